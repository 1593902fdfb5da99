/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "macro.h"
#include "qmp-message.h"
#include "rx-filter.h"

/* Real query-rx-filter replies live in tests/fixtures/qmp/; meson passes the directory in
 * VNIC_FIXTURES. A missing fixture fails its test: a scenario nobody recorded is not a pass. */

static EtherAddr mac(const char *s) {
        EtherAddr a = {};

        assert_int_equal(ether_addr_from_string(s, &a), 0);
        return a;
}

static bool has_mac(const EtherAddr *table, size_t n, const char *s) {
        EtherAddr a = mac(s);

        for (size_t i = 0; i < n; i++)
                if (ether_addr_equal(&table[i], &a))
                        return true;
        return false;
}

static bool fixture_is_provisional(const char *dir, const char *name) {
        _cleanup_free_ char *path = NULL;
        char line[256];
        bool found = false;
        FILE *f;

        assert_true(asprintf(&path, "%s/qmp/PROVISIONAL", dir) >= 0);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\r\n")] = 0;
                if (line[0] != '#' && streq(line, name))
                        found = true;
        }
        fclose(f);
        return found;
}

/* Reads the whole file; fails the test with a clear message when it is not there. */
static char *fixture_read(const char *name, size_t *ret_len) {
        _cleanup_free_ char *path = NULL;
        const char *dir = getenv("VNIC_FIXTURES");
        char *buf = NULL;
        size_t len = 0, alloc = 0;
        FILE *f;

        if (!dir)
                fail_msg("VNIC_FIXTURES is not set: run this test through 'meson test'");
        assert_true(asprintf(&path, "%s/qmp/%s", dir, name) >= 0);
        f = fopen(path, "re");
        if (!f)
                fail_msg("fixture tests/fixtures/qmp/%s is missing (%s): record it from a real QEMU "
                         "(see tests/fixtures/qmp/PROVISIONAL)",
                                name, strerror(errno));
        if (fixture_is_provisional(dir, name))
                print_message("NOTE: tests/fixtures/qmp/%s is PROVISIONAL (hand-made, not recorded)\n",
                                name);

        for (;;) {
                size_t k;

                if (alloc - len < 4096) {
                        alloc = alloc * 2 + 4096;
                        buf = realloc(buf, alloc + 1);
                        assert_non_null(buf);
                }
                k = fread(buf + len, 1, alloc - len, f);
                len += k;
                if (k == 0)
                        break;
        }
        fclose(f);
        buf[len] = 0;
        *ret_len = len;
        return buf;
}

/* The whole path a reply takes in the daemon: QMP line reader, message parser, rx-filter parser. */
static void fixture_parse(const char *name, RxFilter **ret, size_t *ret_n) {
        _cleanup_free_ char *text = NULL, *error = NULL;
        _cleanup_(qmp_message_done) QmpMessage m = {};
        QmpReader reader;
        const char *line;
        size_t len, line_len;
        int r;

        text = fixture_read(name, &len);
        qmp_reader_init(&reader, 0);
        assert_int_equal(qmp_reader_feed(&reader, text, len), 0);
        if (len == 0 || text[len - 1] != '\n')
                assert_int_equal(qmp_reader_feed(&reader, "\r\n", 2), 0);
        assert_int_equal(qmp_reader_next_line(&reader, &line, &line_len), 1);

        r = qmp_message_parse(line, line_len, &m, &error);
        if (r < 0)
                fail_msg("%s: %s", name, strempty(error));
        assert_int_equal(m.type, QMP_MESSAGE_RETURN); /* the recorder strips "id" */
        assert_int_equal(qmp_reader_next_line(&reader, &line, &line_len), 0);
        qmp_reader_done(&reader);

        r = rx_filter_list_parse(m.return_json, strlen(m.return_json), ret, ret_n, &error);
        if (r < 0)
                fail_msg("%s: %s", name, strempty(error));
}

/* A recording of one guest: its NIC is the only one, or the one called net0. */
static const RxFilter *fixture_nic(const RxFilter *list, size_t n) {
        if (n == 1)
                return &list[0];
        for (size_t i = 0; i < n; i++)
                if (streq(list[i].name, "net0"))
                        return &list[i];
        fail_msg("fixture has %zu NICs and none is net0", n);
        return NULL;
}

static void assert_sorted_unique(const RxFilter *f) {
        for (size_t i = 1; i < f->n_unicast; i++)
                assert_true(ether_addr_compare(&f->unicast_table[i - 1], &f->unicast_table[i]) < 0);
        for (size_t i = 1; i < f->n_multicast; i++)
                assert_true(ether_addr_compare(&f->multicast_table[i - 1], &f->multicast_table[i]) < 0);
        for (size_t i = 0; i < f->n_unicast; i++)
                assert_false(ether_addr_is_multicast(&f->unicast_table[i]));
        for (size_t i = 0; i < f->n_multicast; i++)
                assert_true(ether_addr_is_multicast(&f->multicast_table[i]));
}

/* The guest's own MAC, as the boot recording shows it; later steps keep it unless they change it. */
static EtherAddr fixture_boot_mac(void) {
        _cleanup_free_ RxFilter *list = NULL;
        size_t n;

        fixture_parse("rx-filter-boot.json", &list, &n);
        return fixture_nic(list, n)->main_mac;
}

/* What every recorded state of net0 shares unless the scenario changes it. */
static void assert_guest_defaults(const RxFilter *f) {
        EtherAddr want = fixture_boot_mac();

        assert_true(ether_addr_equal(&f->main_mac, &want));
        assert_int_equal(f->unicast, RX_MODE_NORMAL);
        assert_false(f->unicast_overflow);
        assert_int_equal(f->n_unicast, 0);
        assert_sorted_unique(f);
}

static void test_fixture_boot(void **state) {
        _cleanup_free_ RxFilter *list = NULL;
        const RxFilter *f;
        VlanSet rest;
        size_t n;

        fixture_parse("rx-filter-boot.json", &list, &n);
        f = fixture_nic(list, n);
        assert_guest_defaults(f);
        /* QEMU's default OUI */
        assert_memory_equal(f->main_mac.bytes, ((const uint8_t[]){0x52, 0x54, 0x00}), 3);
        assert_false(f->promiscuous);
        assert_int_equal(f->multicast, RX_MODE_NORMAL);
        assert_int_equal(f->vlan, RX_MODE_NORMAL);
        assert_false(f->multicast_overflow);
        /* IPv4 and IPv6 all-hosts: a Linux guest with the interface up has joined both */
        assert_true(has_mac(f->multicast_table, f->n_multicast, "01:00:5e:00:00:01"));
        assert_true(has_mac(f->multicast_table, f->n_multicast, "33:33:00:00:00:01"));
        /* no VLAN configured: at most VID 0, which the guest's 8021q registers when loaded */
        rest = f->vlans;
        vlan_set_remove(&rest, 0);
        assert_true(vlan_set_is_empty(&rest));
}

static void test_fixture_mac(void **state) {
        _cleanup_free_ RxFilter *list = NULL;
        const RxFilter *f;
        EtherAddr want = mac("52:54:00:12:34:99");
        size_t n;

        fixture_parse("rx-filter-mac.json", &list, &n);
        f = fixture_nic(list, n);
        assert_true(ether_addr_equal(&f->main_mac, &want));
        assert_false(f->promiscuous);
        assert_int_equal(f->unicast, RX_MODE_NORMAL);
        assert_int_equal(f->multicast, RX_MODE_NORMAL);
        assert_sorted_unique(f);
}

static void test_fixture_mcast3(void **state) {
        _cleanup_free_ RxFilter *list = NULL;
        const RxFilter *f;
        size_t n;

        fixture_parse("rx-filter-mcast3.json", &list, &n);
        f = fixture_nic(list, n);
        assert_guest_defaults(f);
        assert_int_equal(f->multicast, RX_MODE_NORMAL);
        assert_false(f->multicast_overflow);
        assert_true(f->n_multicast >= 3);
        assert_true(has_mac(f->multicast_table, f->n_multicast, "01:00:5e:01:02:01"));
        assert_true(has_mac(f->multicast_table, f->n_multicast, "01:00:5e:01:02:02"));
        assert_true(has_mac(f->multicast_table, f->n_multicast, "01:00:5e:01:02:03"));
        assert_false(has_mac(f->multicast_table, f->n_multicast, "01:00:5e:01:02:04"));
}

static void test_fixture_mcast80(void **state) {
        _cleanup_free_ RxFilter *list = NULL;
        const RxFilter *f;
        size_t n;

        fixture_parse("rx-filter-mcast80.json", &list, &n);
        f = fixture_nic(list, n);
        assert_guest_defaults(f);
        assert_true(f->multicast_overflow);
        assert_int_equal(f->n_multicast, 0);
}

static void test_fixture_promisc(void **state) {
        _cleanup_free_ RxFilter *list = NULL;
        const RxFilter *f;
        size_t n;

        fixture_parse("rx-filter-promisc.json", &list, &n);
        f = fixture_nic(list, n);
        assert_guest_defaults(f);
        assert_true(f->promiscuous);
}

static void test_fixture_allmulti(void **state) {
        _cleanup_free_ RxFilter *list = NULL;
        const RxFilter *f;
        size_t n;

        fixture_parse("rx-filter-allmulti.json", &list, &n);
        f = fixture_nic(list, n);
        assert_guest_defaults(f);
        assert_false(f->promiscuous);
        assert_int_equal(f->multicast, RX_MODE_ALL);
}

static void test_fixture_vlans(void **state) {
        _cleanup_free_ RxFilter *list = NULL;
        _cleanup_free_ char *s = NULL;
        const RxFilter *f;
        size_t n;

        fixture_parse("rx-filter-vlans.json", &list, &n);
        f = fixture_nic(list, n);
        assert_guest_defaults(f);
        assert_int_equal(f->vlan, RX_MODE_NORMAL);
        s = vlan_set_to_string(&f->vlans);
        assert_non_null(s);
        assert_string_equal(s, "0,10,20,100-110");
}

static void test_fixture_novlan(void **state) {
        _cleanup_free_ RxFilter *list = NULL;
        const RxFilter *f;
        size_t n;

        /* a second NIC, with ctrl_vlan=off: its own MAC, no VLAN filter at all */
        fixture_parse("rx-filter-novlan.json", &list, &n);
        f = fixture_nic(list, n);
        assert_false(ether_addr_is_multicast(&f->main_mac));
        assert_int_equal(f->unicast, RX_MODE_NORMAL);
        assert_int_equal(f->n_unicast, 0);
        assert_sorted_unique(f);
        assert_int_equal(f->vlan, RX_MODE_ALL);
        assert_int_equal(vlan_set_count(&f->vlans), VLAN_VID_COUNT);
}

static void test_fixture_nodriver(void **state) {
        _cleanup_free_ RxFilter *list = NULL;
        size_t n;

        /* Recorded before any guest driver ran: QEMU's start state, and a NIC without id=. */
        fixture_parse("rx-filter-nodriver.json", &list, &n);
        assert_int_equal(n, 2);
        assert_string_equal(list[0].name, "net0");
        assert_string_equal(list[1].name, "virtio-net-pci.1");
        for (size_t i = 0; i < n; i++) {
                assert_true(list[i].promiscuous);
                assert_int_equal(list[i].vlan, RX_MODE_ALL);
                assert_int_equal(vlan_set_count(&list[i].vlans), VLAN_VID_COUNT);
                assert_int_equal(list[i].n_unicast, 0);
                assert_int_equal(list[i].n_multicast, 0);
        }
}

/* A NIC object with every field at a plain value; each non-NULL override replaces one field's
 * JSON text, and "-" leaves the field out. */
typedef struct NicJson {
        const char *name, *promiscuous, *main_mac, *unicast, *vlan, *vlan_table, *unicast_table, *multicast,
                        *multicast_overflow, *unicast_overflow, *multicast_table, *broadcast_allowed, *extra;
} NicJson;

static char *nic_json(const NicJson *o) {
        const struct {
                const char *key, *value, *dflt;
        } fields[] = {
                        {"promiscuous", o->promiscuous, "false"},
                        {"name", o->name, "\"net0\""},
                        {"main-mac", o->main_mac, "\"52:54:00:12:34:56\""},
                        {"unicast", o->unicast, "\"normal\""},
                        {"vlan", o->vlan, "\"normal\""},
                        {"vlan-table", o->vlan_table, "[]"},
                        {"unicast-table", o->unicast_table, "[]"},
                        {"multicast", o->multicast, "\"normal\""},
                        {"multicast-overflow", o->multicast_overflow, "false"},
                        {"unicast-overflow", o->unicast_overflow, "false"},
                        {"multicast-table", o->multicast_table, "[]"},
                        {"broadcast-allowed", o->broadcast_allowed, "false"},
                        {"extra", o->extra, "-"},
        };
        char *s = strdup("{");

        assert_non_null(s);
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                const char *v = fields[i].value ?: fields[i].dflt;
                char *t;

                if (streq(v, "-"))
                        continue;
                assert_true(asprintf(&t, "%s%s\"%s\": %s", s, s[1] ? ", " : "", fields[i].key, v) >= 0);
                free(s);
                s = t;
        }
        {
                char *t;

                assert_true(asprintf(&t, "%s}", s) >= 0);
                free(s);
                s = t;
        }
        return s;
}

/* Wraps one NIC into a reply array. */
static char *reply_json(const NicJson *o) {
        _cleanup_free_ char *nic = nic_json(o);
        char *s;

        assert_true(asprintf(&s, "[%s]", nic) >= 0);
        return s;
}

static char *mac_list(const char *prefix, unsigned n) {
        char *s = strdup("[");

        for (unsigned i = 0; i < n; i++) {
                char *t;

                assert_true(asprintf(&t, "%s%s\"%s:%02x:%02x\"", s, i ? ", " : "", prefix, i / 256,
                                            i % 256) >= 0);
                free(s);
                s = t;
        }
        {
                char *t;

                assert_true(asprintf(&t, "%s]", s) >= 0);
                free(s);
                s = t;
        }
        return s;
}

static int parse_one(const NicJson *o, RxFilter *ret, char **ret_error) {
        _cleanup_free_ char *json = reply_json(o);
        _cleanup_free_ RxFilter *list = NULL;
        size_t n = 0;
        int r;

        r = rx_filter_list_parse(json, strlen(json), &list, &n, ret_error);
        if (r < 0) {
                assert_null(list);
                return r;
        }
        assert_int_equal(n, 1);
        *ret = list[0];
        return 0;
}

static void test_plain(void **state) {
        RxFilter f;

        assert_int_equal(parse_one(&(NicJson){}, &f, NULL), 0);
        assert_string_equal(f.name, "net0");
        assert_false(f.promiscuous);
        assert_int_equal(f.unicast, RX_MODE_NORMAL);
        assert_int_equal(f.multicast, RX_MODE_NORMAL);
        assert_int_equal(f.vlan, RX_MODE_NORMAL);
        assert_false(f.unicast_overflow);
        assert_false(f.multicast_overflow);
        assert_int_equal(f.n_unicast, 0);
        assert_int_equal(f.n_multicast, 0);
        assert_true(vlan_set_is_empty(&f.vlans));
}

static void test_modes(void **state) {
        static const struct {
                const char *json;
                RxMode mode;
        } cases[] = {
                        {"\"none\"", RX_MODE_NONE},
                        {"\"normal\"", RX_MODE_NORMAL},
                        {"\"all\"", RX_MODE_ALL},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                RxFilter f;

                assert_int_equal(parse_one(&(NicJson){.unicast = cases[i].json}, &f, NULL), 0);
                assert_int_equal(f.unicast, cases[i].mode);
                assert_int_equal(parse_one(&(NicJson){.multicast = cases[i].json}, &f, NULL), 0);
                assert_int_equal(f.multicast, cases[i].mode);
                assert_int_equal(parse_one(&(NicJson){.vlan = cases[i].json}, &f, NULL), 0);
                assert_int_equal(f.vlan, cases[i].mode);
        }

        for (RxMode m = 0; m < _RX_MODE_MAX; m++)
                assert_int_equal(rx_mode_from_string(rx_mode_to_string(m)), m);
        assert_null(rx_mode_to_string(_RX_MODE_MAX));
        assert_null(rx_mode_to_string(_RX_MODE_INVALID));
        assert_int_equal(rx_mode_from_string("Normal"), _RX_MODE_INVALID);
        assert_int_equal(rx_mode_from_string(""), _RX_MODE_INVALID);
        assert_int_equal(rx_mode_from_string(NULL), _RX_MODE_INVALID);
}

static void test_broadcast_allowed_ignored(void **state) {
        static const char *const values[] = {"true", "false", "-", "\"inverted\"", "null"};
        RxFilter first;

        assert_int_equal(parse_one(&(NicJson){}, &first, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                RxFilter f;

                assert_int_equal(parse_one(&(NicJson){.broadcast_allowed = values[i]}, &f, NULL), 0);
                assert_true(rx_filter_equal(&f, &first));
        }
}

static void test_tables_sorted(void **state) {
        RxFilter f;

        /* reverse order as QEMU sends it, plus a duplicate a guest could put in */
        assert_int_equal(parse_one(
                                         &(NicJson){
                                                         .unicast_table = "[\"52:54:00:00:00:03\", "
                                                                          "\"52:54:00:00:00:01\", "
                                                                          "\"52:54:00:00:00:02\", "
                                                                          "\"52:54:00:00:00:01\"]",
                                                         .multicast_table = "[\"33:33:ff:12:34:56\", "
                                                                            "\"33:33:00:00:00:01\", "
                                                                            "\"01:00:5e:00:00:01\"]",
                                                         .vlan_table = "[110, 20, 10, 0, 10]",
                                         },
                                         &f, NULL),
                        0);
        assert_int_equal(f.n_unicast, 3);
        assert_true(ether_addr_equal(&f.unicast_table[0], &(EtherAddr){{0x52, 0x54, 0, 0, 0, 1}}));
        assert_true(ether_addr_equal(&f.unicast_table[2], &(EtherAddr){{0x52, 0x54, 0, 0, 0, 3}}));
        assert_int_equal(f.n_multicast, 3);
        assert_true(ether_addr_equal(&f.multicast_table[0], &(EtherAddr){{0x01, 0x00, 0x5e, 0, 0, 1}}));
        assert_true(ether_addr_equal(
                        &f.multicast_table[2], &(EtherAddr){{0x33, 0x33, 0xff, 0x12, 0x34, 0x56}}));
        assert_int_equal(vlan_set_count(&f.vlans), 4);
        assert_true(vlan_set_contains(&f.vlans, 0)); /* VID 0 kept */
        assert_true(vlan_set_contains(&f.vlans, 110));
}

static void test_overflow_empties_table(void **state) {
        RxFilter f;

        assert_int_equal(parse_one(&(NicJson){.multicast_overflow = "true"}, &f, NULL), 0);
        assert_true(f.multicast_overflow);
        assert_false(f.unicast_overflow);
        assert_int_equal(f.n_multicast, 0);

        /* QEMU never sends entries with overflow; if something does, they mean nothing */
        assert_int_equal(parse_one(&(NicJson){.multicast_overflow = "true",
                                                   .multicast_table = "[\"01:00:5e:00:00:01\"]",
                                                   .unicast_table = "[\"52:54:00:00:00:01\"]"},
                                         &f, NULL),
                        0);
        assert_int_equal(f.n_multicast, 0);
        assert_int_equal(f.n_unicast, 1);
        assert_int_equal(parse_one(&(NicJson){.unicast_overflow = "true",
                                                   .unicast_table = "[\"52:54:00:00:00:01\"]",
                                                   .multicast_table = "[\"01:00:5e:00:00:01\"]"},
                                         &f, NULL),
                        0);
        assert_true(f.unicast_overflow);
        assert_int_equal(f.n_unicast, 0);
        assert_int_equal(f.n_multicast, 1);
}

static void test_vlan_all(void **state) {
        _cleanup_free_ char *table = strdup("[");
        RxFilter f;

        for (int vid = VLAN_VID_COUNT - 1; vid >= 0; vid--) {
                char *t;

                assert_true(asprintf(&t, "%s%s%d", table, vid < VLAN_VID_COUNT - 1 ? ", " : "", vid) >= 0);
                free(table);
                table = t;
        }
        {
                char *t;

                assert_true(asprintf(&t, "%s]", table) >= 0);
                free(table);
                table = t;
        }

        assert_int_equal(parse_one(&(NicJson){.vlan = "\"all\"", .vlan_table = table}, &f, NULL), 0);
        assert_int_equal(f.vlan, RX_MODE_ALL);
        assert_int_equal(vlan_set_count(&f.vlans), 4096);

        /* one more entry than VIDs exist is not something QEMU sends */
        table[strlen(table) - 1] = 0;
        {
                _cleanup_free_ char *more = NULL, *error = NULL;

                assert_true(asprintf(&more, "%s, 5]", table) >= 0);
                assert_int_equal(parse_one(&(NicJson){.vlan = "\"all\"", .vlan_table = more}, &f, &error),
                                -E2BIG);
                assert_string_equal(error,
                                "NIC net0: \"vlan-table\" has 4097 entries, at most 4096 VLAN ids exist");
        }
}

static void test_mac_table_bounds(void **state) {
        _cleanup_free_ char *uc40 = mac_list("52:54:00:00", 40), *uc64 = mac_list("52:54:00:00", 64),
                            *uc65 = mac_list("52:54:00:00", 65), *mc24 = mac_list("01:00:5e:00", 24),
                            *mc25 = mac_list("01:00:5e:00", 25), *mc64 = mac_list("01:00:5e:00", 64),
                            *mc65 = mac_list("01:00:5e:00", 65);
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL;
        RxFilter f;

        assert_int_equal(parse_one(&(NicJson){.unicast_table = uc64}, &f, NULL), 0);
        assert_int_equal(f.n_unicast, 64);
        assert_int_equal(parse_one(&(NicJson){.multicast_table = mc64}, &f, NULL), 0);
        assert_int_equal(f.n_multicast, 64);
        assert_int_equal(parse_one(&(NicJson){.unicast_table = uc40, .multicast_table = mc24}, &f, NULL), 0);
        assert_int_equal(f.n_unicast + f.n_multicast, 64);

        assert_int_equal(parse_one(&(NicJson){.unicast_table = uc40, .multicast_table = mc25}, &f, &e1),
                        -E2BIG);
        assert_string_equal(e1, "NIC net0: 40 unicast + 25 multicast addresses, QEMU's table holds 64");
        assert_int_equal(parse_one(&(NicJson){.unicast_table = uc65}, &f, &e2), -E2BIG);
        assert_string_equal(e2, "NIC net0: \"unicast-table\" has 65 entries, QEMU's table holds 64");
        assert_int_equal(parse_one(&(NicJson){.multicast_table = mc65}, &f, &e3), -E2BIG);
        assert_string_equal(e3, "NIC net0: \"multicast-table\" has 65 entries, QEMU's table holds 64");
}

static void test_nic_errors(void **state) {
        static const struct {
                NicJson nic;
                int r;
                const char *error;
        } cases[] = {
                        {{.name = "-"}, -EINVAL, "NIC #0: missing \"name\""},
                        {{.name = "5"}, -EINVAL, "NIC #0: \"name\" is not a string"},
                        {{.name = "null"}, -EINVAL, "NIC #0: missing \"name\""},
                        {{.name = "\"\""}, -EINVAL, "NIC #0: \"name\" must have 1-127 bytes, not 0"},
                        {{.name = "\"a\\u0001b\""}, -EINVAL,
                                        "NIC #0: \"name\" \"a?b\" contains a control character"},
                        {{.name = "\"a\\u0000b\""}, -EINVAL,
                                        "NIC #0: \"name\" \"a?b\" contains a control character"},
                        {{.promiscuous = "-"}, -EINVAL, "NIC net0: missing \"promiscuous\""},
                        {{.promiscuous = "\"yes\""}, -EINVAL, "NIC net0: \"promiscuous\" is not a boolean"},
                        {{.promiscuous = "1"}, -EINVAL, "NIC net0: \"promiscuous\" is not a boolean"},
                        {{.unicast = "\"some\""}, -EINVAL,
                                        "NIC net0: \"unicast\" is \"some\", not none, normal or all"},
                        {{.multicast = "\"all\\u0000\""}, -EINVAL,
                                        "NIC net0: \"multicast\" is \"all?\", not none, normal or all"},
                        {{.vlan = "null"}, -EINVAL, "NIC net0: missing \"vlan\""},
                        {{.vlan = "[]"}, -EINVAL, "NIC net0: \"vlan\" is not a string"},
                        {{.unicast_overflow = "0"}, -EINVAL,
                                        "NIC net0: \"unicast-overflow\" is not a boolean"},
                        {{.multicast_overflow = "-"}, -EINVAL, "NIC net0: missing \"multicast-overflow\""},
                        {{.main_mac = "-"}, -EINVAL, "NIC net0: missing \"main-mac\""},
                        {{.main_mac = "\"52:54:00:12:34\""}, -EINVAL,
                                        "NIC net0: \"main-mac\": \"52:54:00:12:34\" is not a MAC address"},
                        {{.main_mac = "\"52:54:00:12:34:56\\u0000\""}, -EINVAL,
                                        "NIC net0: \"main-mac\": \"52:54:00:12:34:56\\u0000\" is not a MAC "
                                        "address"},
                        {{.main_mac = "525400123456"}, -EINVAL, "NIC net0: \"main-mac\" is not a string"},
                        {{.unicast_table = "{}"}, -EINVAL, "NIC net0: \"unicast-table\" is not an array"},
                        {{.unicast_table = "[\"01:00:5e:00:00:01\"]"}, -EINVAL,
                                        "NIC net0: \"unicast-table\"[0]: 01:00:5e:00:00:01 is a multicast "
                                        "address"},
                        {{.multicast_table = "[\"01:00:5e:00:00:01\", \"52:54:00:00:00:01\"]"}, -EINVAL,
                                        "NIC net0: \"multicast-table\"[1]: 52:54:00:00:00:01 is a unicast "
                                        "address"},
                        {{.multicast_table = "[1]"}, -EINVAL,
                                        "NIC net0: \"multicast-table\"[0]: 1 is not a MAC address"},
                        {{.multicast_table = "[null]"}, -EINVAL,
                                        "NIC net0: \"multicast-table\"[0]: null is not a MAC address"},
                        {{.multicast_table = "[\"01-00-5e-00-00-01\"]"}, -EINVAL,
                                        "NIC net0: \"multicast-table\"[0]: \"01-00-5e-00-00-01\" is not a "
                                        "MAC address"},
                        {{.vlan_table = "-"}, -EINVAL, "NIC net0: missing \"vlan-table\""},
                        {{.vlan_table = "[4096]"}, -ERANGE,
                                        "NIC net0: \"vlan-table\"[0]: 4096 is not a VLAN id (0-4095)"},
                        {{.vlan_table = "[10, -1]"}, -ERANGE,
                                        "NIC net0: \"vlan-table\"[1]: -1 is not a VLAN id (0-4095)"},
                        {{.vlan_table = "[18446744073709551615]"}, -ERANGE,
                                        "NIC net0: \"vlan-table\"[0]: 18446744073709551615 is not a VLAN id "
                                        "(0-4095)"},
                        {{.vlan_table = "[\"10\"]"}, -EINVAL,
                                        "NIC net0: \"vlan-table\"[0]: \"10\" is not an integer"},
                        {{.vlan_table = "[1.5]"}, -EINVAL,
                                        "NIC net0: \"vlan-table\"[0]: 1.5 is not an integer"},
                        {{.vlan_table = "[true]"}, -EINVAL,
                                        "NIC net0: \"vlan-table\"[0]: true is not an integer"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *error = NULL;
                RxFilter f;

                print_message("case %zu: %s\n", i, cases[i].error);
                assert_int_equal(parse_one(&cases[i].nic, &f, &error), cases[i].r);
                assert_non_null(error);
                assert_string_equal(error, cases[i].error);
                /* the same without a message wanted */
                assert_int_equal(parse_one(&cases[i].nic, &f, NULL), cases[i].r);
        }
}

static void test_names(void **state) {
        char name[RX_FILTER_NAME_MAX + 8], json[RX_FILTER_NAME_MAX + 16];
        _cleanup_free_ char *error = NULL;
        RxFilter f;

        memset(name, 'n', RX_FILTER_NAME_MAX - 1);
        name[RX_FILTER_NAME_MAX - 1] = 0;
        (void) snprintf(json, sizeof(json), "\"%s\"", name);
        assert_int_equal(parse_one(&(NicJson){.name = json}, &f, NULL), 0);
        assert_string_equal(f.name, name);

        memset(name, 'n', RX_FILTER_NAME_MAX);
        name[RX_FILTER_NAME_MAX] = 0;
        (void) snprintf(json, sizeof(json), "\"%s\"", name);
        assert_int_equal(parse_one(&(NicJson){.name = json}, &f, &error), -EINVAL);
        assert_string_equal(error, "NIC #0: \"name\" must have 1-127 bytes, not 128");

        /* what QEMU calls a NIC without id=, and UTF-8 */
        assert_int_equal(parse_one(&(NicJson){.name = "\"virtio-net-pci.1\""}, &f, NULL), 0);
        assert_string_equal(f.name, "virtio-net-pci.1");
        assert_int_equal(parse_one(&(NicJson){.name = "\"n\\u00e9t\""}, &f, NULL), 0);
        assert_string_equal(f.name, "n\xc3\xa9t");
}

static void test_extra_fields(void **state) {
        RxFilter f, plain;

        assert_int_equal(parse_one(&(NicJson){}, &plain, NULL), 0);
        assert_int_equal(parse_one(&(NicJson){.extra = "{\"future\": [1, {\"x\": null}]}"}, &f, NULL), 0);
        assert_true(rx_filter_equal(&f, &plain));
}

static void test_list_errors(void **state) {
        static const struct {
                const char *json;
                int r;
                const char *error; /* NULL: just the errno */
        } cases[] = {
                        {"", -EINVAL, "query-rx-filter reply: JSON ends early"},
                        {"   ", -EINVAL, "query-rx-filter reply: JSON ends early"},
                        {"[", -EINVAL, "query-rx-filter reply: JSON ends early"},
                        {"{}", -EINVAL, "query-rx-filter reply is not a JSON array"},
                        {"null", -EINVAL, "query-rx-filter reply is not a JSON array"},
                        {"\"x\"", -EINVAL, "query-rx-filter reply is not a JSON array"},
                        {"[1]", -EINVAL, "NIC #0: not a JSON object"},
                        {"[[]]", -EINVAL, "NIC #0: not a JSON object"},
                        {"[] []", -EINVAL, NULL},
                        {"[] x", -EINVAL, NULL},
                        {"[1,]", -EINVAL, NULL},
                        {"[\"\xff\"]", -EINVAL, NULL},
                        {"[{\"name\": \"net0\",}]", -EINVAL, NULL},
                        {"[[[[[[[[[]]]]]]]]]", -E2BIG, "query-rx-filter reply nested deeper than 8 levels"},
                        {"[[[[[[[[1]]]]]]]]", -E2BIG, "query-rx-filter reply nested deeper than 8 levels"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *error = NULL;
                RxFilter *list = (RxFilter *) 0x1; /* must stay untouched */
                size_t n = 77;

                print_message("case %zu: %s\n", i, cases[i].json);
                assert_int_equal(rx_filter_list_parse(
                                                 cases[i].json, strlen(cases[i].json), &list, &n, &error),
                                cases[i].r);
                assert_non_null(error);
                if (cases[i].error)
                        assert_string_equal(error, cases[i].error);
                assert_ptr_equal(list, (RxFilter *) 0x1);
                assert_int_equal(n, 77);
        }
}

static void test_depth_boundary(void **state) {
        _cleanup_free_ char *deep = NULL;
        RxFilter f;

        /* reply array, NIC object, then 5 more arrays and a scalar: 8 levels as json-c counts */
        assert_int_equal(parse_one(&(NicJson){.extra = "[[[[[1]]]]]"}, &f, NULL), 0);
        assert_int_equal(parse_one(&(NicJson){.extra = "[[[[[[1]]]]]]"}, &f, &deep), -E2BIG);
        assert_string_equal(deep, "query-rx-filter reply nested deeper than 8 levels");
}

static void test_empty_and_many(void **state) {
        _cleanup_free_ char *nic = NULL, *json = NULL, *error = NULL;
        _cleanup_free_ RxFilter *list = NULL;
        size_t n = 99, len = 0;

        assert_int_equal(rx_filter_list_parse("[]", 2, &list, &n, NULL), 0);
        assert_int_equal(n, 0);
        assert_null(list);

        /* 256 NICs with distinct names are fine, 257 are not */
        json = malloc(300 * 512);
        assert_non_null(json);
        json[len++] = '[';
        for (unsigned i = 0; i < 257; i++) {
                char name[32];

                (void) snprintf(name, sizeof(name), "\"net%u\"", i);
                nic = nic_json(&(NicJson){.name = name});
                len += (size_t) sprintf(json + len, "%s%s", i ? "," : "", nic);
                nic = mfree(nic);
                if (i == 255) {
                        json[len] = ']';
                        assert_int_equal(rx_filter_list_parse(json, len + 1, &list, &n, NULL), 0);
                        assert_int_equal(n, 256);
                        assert_string_equal(list[255].name, "net255");
                        list = mfree(list);
                }
        }
        json[len++] = ']';
        assert_int_equal(rx_filter_list_parse(json, len, &list, &n, &error), -E2BIG);
        assert_string_equal(error, "query-rx-filter reply lists 257 NICs, at most 256 accepted");
}

static void test_duplicate_names(void **state) {
        _cleanup_free_ char *a = nic_json(&(NicJson){}), *b = nic_json(&(NicJson){.name = "\"net1\""}),
                            *json = NULL, *error = NULL;
        RxFilter *list = NULL;
        size_t n;

        assert_true(asprintf(&json, "[%s, %s, %s]", a, b, a) >= 0);
        assert_int_equal(rx_filter_list_parse(json, strlen(json), &list, &n, &error), -EINVAL);
        assert_string_equal(error, "NIC #2: name \"net0\" also used by NIC #0");
}

static void test_not_nul_terminated(void **state) {
        _cleanup_free_ char *json = reply_json(&(NicJson){}), *buf = NULL;
        _cleanup_free_ RxFilter *list = NULL;
        size_t len = strlen(json), n;

        /* the parser gets a length; what follows must not be read */
        buf = malloc(len);
        assert_non_null(buf);
        memcpy(buf, json, len);
        assert_int_equal(rx_filter_list_parse(buf, len, &list, &n, NULL), 0);
        assert_int_equal(n, 1);
        /* trailing NUL bytes inside the length are garbage */
        assert_int_equal(rx_filter_list_parse("[]\0", 3, &list, &n, NULL), -EINVAL);
}

static void test_huge_input(void **state) {
        _cleanup_free_ char *buf = NULL, *error = NULL;
        RxFilter *list = NULL;
        size_t n, len = QMP_LINE_MAX + 1;

        buf = malloc(len);
        assert_non_null(buf);
        memset(buf, ' ', len);
        buf[0] = '[';
        buf[len - 1] = ']';
        assert_int_equal(rx_filter_list_parse(buf, len, &list, &n, &error), -E2BIG);
        assert_string_equal(error, "query-rx-filter reply of 4194305 bytes, more than 4194304");

        /* a long string inside is cut in the message */
        {
                _cleanup_free_ char *mac = NULL, *e2 = NULL;
                RxFilter f;

                mac = malloc(100003);
                assert_non_null(mac);
                mac[0] = '"';
                memset(mac + 1, 'x', 100000);
                strcpy(mac + 100001, "\"");
                assert_int_equal(parse_one(&(NicJson){.main_mac = mac}, &f, &e2), -EINVAL);
                assert_true(strlen(e2) < 200);
        }
}

static void test_arguments(void **state) {
        RxFilter *list = NULL;
        size_t n;

        assert_int_equal(rx_filter_list_parse(NULL, 0, &list, &n, NULL), -EINVAL);
        assert_int_equal(rx_filter_list_parse(NULL, 5, &list, &n, NULL), -EINVAL);
        assert_int_equal(rx_filter_list_parse("[]", 2, NULL, &n, NULL), -EINVAL);
        assert_int_equal(rx_filter_list_parse("[]", 2, &list, NULL, NULL), -EINVAL);
}

static void test_equal(void **state) {
        RxFilter a, b;

        assert_int_equal(parse_one(&(NicJson){.multicast_table = "[\"01:00:5e:00:00:01\"]"}, &a, NULL), 0);
        b = a;
        assert_true(rx_filter_equal(&a, &b));
        /* garbage beyond n_multicast does not count */
        b.multicast_table[5] = (EtherAddr){{1, 2, 3, 4, 5, 6}};
        assert_true(rx_filter_equal(&a, &b));
        b.promiscuous = true;
        assert_false(rx_filter_equal(&a, &b));
        b = a;
        (void) vlan_set_add(&b.vlans, 7);
        assert_false(rx_filter_equal(&a, &b));
        b = a;
        b.n_multicast = 0;
        assert_false(rx_filter_equal(&a, &b));
        b = a;
        b.name[0] = 'N';
        assert_false(rx_filter_equal(&a, &b));
        assert_true(rx_filter_equal(NULL, NULL));
        assert_false(rx_filter_equal(&a, NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_fixture_boot),
                        cmocka_unit_test(test_fixture_mac),
                        cmocka_unit_test(test_fixture_mcast3),
                        cmocka_unit_test(test_fixture_mcast80),
                        cmocka_unit_test(test_fixture_promisc),
                        cmocka_unit_test(test_fixture_allmulti),
                        cmocka_unit_test(test_fixture_vlans),
                        cmocka_unit_test(test_fixture_novlan),
                        cmocka_unit_test(test_fixture_nodriver),
                        cmocka_unit_test(test_plain),
                        cmocka_unit_test(test_modes),
                        cmocka_unit_test(test_broadcast_allowed_ignored),
                        cmocka_unit_test(test_tables_sorted),
                        cmocka_unit_test(test_overflow_empties_table),
                        cmocka_unit_test(test_vlan_all),
                        cmocka_unit_test(test_mac_table_bounds),
                        cmocka_unit_test(test_nic_errors),
                        cmocka_unit_test(test_names),
                        cmocka_unit_test(test_extra_fields),
                        cmocka_unit_test(test_list_errors),
                        cmocka_unit_test(test_depth_boundary),
                        cmocka_unit_test(test_empty_and_many),
                        cmocka_unit_test(test_duplicate_names),
                        cmocka_unit_test(test_not_nul_terminated),
                        cmocka_unit_test(test_huge_input),
                        cmocka_unit_test(test_arguments),
                        cmocka_unit_test(test_equal),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
