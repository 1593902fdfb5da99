/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "hmp-network.h"
#include "macro.h"
#include "qmp-message.h"

/* Real 'info network' outputs live in tests/fixtures/hmp/ (see its README.md); meson passes the
 * fixtures directory in VNIC_FIXTURES. A missing fixture fails its test. */

static char *fixture_read(const char *name, size_t *ret_len) {
        _cleanup_free_ char *path = NULL;
        const char *dir = getenv("VNIC_FIXTURES");
        char *buf = NULL;
        size_t len = 0, alloc = 0;
        FILE *f;

        if (!dir)
                fail_msg("VNIC_FIXTURES is not set: run this test through 'meson test'");
        assert_true(asprintf(&path, "%s/hmp/%s", dir, name) >= 0);
        f = fopen(path, "re");
        if (!f)
                fail_msg("fixture tests/fixtures/hmp/%s is missing (%s): record it with "
                         "tests/fixtures/record-hmp.sh",
                                name, strerror(errno));
        for (;;) {
                size_t k;

                if (alloc - len < 4096) {
                        alloc = alloc * 2 + 4096;
                        buf = realloc(buf, alloc);
                        assert_non_null(buf);
                }
                k = fread(buf + len, 1, alloc - len, f);
                len += k;
                if (k == 0)
                        break;
        }
        fclose(f);
        *ret_len = len;
        return buf; /* not NUL-terminated: the parser must not need it */
}

static void fixture_parse(const char *name, HmpNetClient **ret, size_t *ret_n) {
        _cleanup_free_ char *text = NULL, *error = NULL;
        size_t len;
        int r;

        text = fixture_read(name, &len);
        /* QEMU's monitor ends every line with "\r\n"; the recording must have kept them. */
        assert_true(len >= 2);
        assert_memory_equal(text + len - 2, "\r\n", 2);
        r = hmp_network_parse(text, len, ret, ret_n, &error);
        if (r < 0)
                fail_msg("%s: %s", name, strempty(error));
        assert_null(error);
}

static const HmpNetClient *find(const HmpNetClient *list, size_t n, const char *nic) {
        for (size_t i = 0; i < n; i++)
                if (streq(list[i].nic, nic))
                        return &list[i];
        fail_msg("no NIC %s", nic);
        return NULL;
}

static void assert_fds_distinct(const HmpNetClient *c) {
        for (size_t i = 0; i < c->n_fds; i++) {
                assert_true(c->fds[i] > 2);
                for (size_t j = 0; j < i; j++)
                        assert_int_not_equal(c->fds[i], c->fds[j]);
        }
}

static void test_fixture_macvtap(void **state) {
        _cleanup_free_ HmpNetClient *list = NULL;
        size_t n;

        /* two single-queue NICs, each on a macvtap passed as -netdev tap,fd=N */
        fixture_parse("info-network-macvtap.txt", &list, &n);
        assert_int_equal(n, 2);
        for (size_t i = 0; i < n; i++) {
                char nic[32], netdev[32];

                (void) snprintf(nic, sizeof(nic), "net%zu", i);
                (void) snprintf(netdev, sizeof(netdev), "hn%zu", i);
                assert_string_equal(list[i].nic, nic);
                assert_string_equal(list[i].netdev, netdev);
                assert_string_equal(list[i].type, "tap");
                assert_int_equal(list[i].n_fds, 1);
                assert_true(list[i].fds[0] > 2);
                assert_string_equal(list[i].ifname, "");
        }
        assert_int_not_equal(list[0].fds[0], list[1].fds[0]);
}

static void test_fixture_mq(void **state) {
        _cleanup_free_ HmpNetClient *list = NULL;
        size_t n;

        /* queues=4: one NIC line and one tap line with fd=N per queue, no "fds=" */
        fixture_parse("info-network-mq.txt", &list, &n);
        assert_int_equal(n, 1);
        assert_string_equal(list[0].nic, "net0");
        assert_string_equal(list[0].netdev, "hn0");
        assert_string_equal(list[0].type, "tap");
        assert_int_equal(list[0].n_fds, 4);
        assert_fds_distinct(&list[0]);
        assert_string_equal(list[0].ifname, "");
}

static void test_fixture_tap(void **state) {
        _cleanup_free_ HmpNetClient *list = NULL;
        size_t n;

        fixture_parse("info-network-tap.txt", &list, &n);
        assert_int_equal(n, 1);
        assert_string_equal(list[0].nic, "net0");
        assert_string_equal(list[0].netdev, "hn0");
        assert_string_equal(list[0].type, "tap");
        assert_int_equal(list[0].n_fds, 0);
        assert_string_equal(list[0].ifname, "vnict0");
}

static void test_fixture_mixed(void **state) {
        _cleanup_free_ HmpNetClient *list = NULL;
        const HmpNetClient *c;
        size_t n;

        fixture_parse("info-network-mixed.txt", &list, &n);
        /* hn5 (a tap without NIC) is not listed; the hub's NIC comes first, as QEMU prints it */
        assert_int_equal(n, 6);
        assert_string_equal(list[0].nic, "virtio-net-pci.0");
        assert_string_equal(list[0].netdev, "hub0port0");
        assert_string_equal(list[0].type, "hubport");
        assert_int_equal(list[0].n_fds, 0);
        assert_string_equal(list[0].ifname, "");

        /* a filter on the tap: its lines are skipped */
        c = find(list, n, "net0");
        assert_string_equal(c->netdev, "hn0");
        assert_string_equal(c->type, "tap");
        assert_string_equal(c->ifname, "vnict0");
        assert_int_equal(c->n_fds, 0);

        /* id-less, 2 queues: queue 1 is printed as virtio-net-pci.3 and folded into queue 0 */
        c = find(list, n, "virtio-net-pci.2");
        assert_string_equal(c->netdev, "hn1");
        assert_string_equal(c->type, "tap");
        assert_string_equal(c->ifname, "vnict1");
        for (size_t i = 0; i < n; i++)
                assert_string_not_equal(list[i].nic, "virtio-net-pci.3");

        c = find(list, n, "net2");
        assert_string_equal(c->netdev, "hn2");
        assert_string_equal(c->type, "user");
        assert_int_equal(c->n_fds, 0);

        c = find(list, n, "net3");
        assert_string_equal(c->netdev, "hn3");
        assert_string_equal(c->type, "socket");
        assert_int_equal(c->n_fds, 0);

        c = find(list, n, "net6");
        assert_string_equal(c->netdev, "");
        assert_string_equal(c->type, "");
        assert_int_equal(c->n_fds, 0);
}

static int parse(const char *text, HmpNetClient **ret, size_t *ret_n, char **ret_error) {
        return hmp_network_parse(text, strlen(text), ret, ret_n, ret_error);
}

/* Parses text that must give exactly one NIC. */
static void parse_one(const char *text, HmpNetClient *ret) {
        _cleanup_free_ HmpNetClient *list = NULL;
        _cleanup_free_ char *error = NULL;
        size_t n = 0;

        if (parse(text, &list, &n, &error) < 0)
                fail_msg("%s", strempty(error));
        assert_int_equal(n, 1);
        *ret = list[0];
}

static void test_empty(void **state) {
        HmpNetClient *list = (HmpNetClient *) 1;
        size_t n = 7;

        /* a QEMU without network devices says nothing at all */
        assert_int_equal(hmp_network_parse("", 0, &list, &n, NULL), 0);
        assert_null(list);
        assert_int_equal(n, 0);
        n = 7;
        assert_int_equal(hmp_network_parse(NULL, 0, &list, &n, NULL), 0);
        assert_int_equal(n, 0);
        assert_int_equal(parse("\r\n\n", &list, &n, NULL), 0);
        assert_int_equal(n, 0);
        /* a netdev nobody uses is not a NIC */
        assert_int_equal(parse("hn0: index=0,type=tap,fd=3\r\n", &list, &n, NULL), 0);
        assert_int_equal(n, 0);
        assert_int_equal(parse("hub 0\r\n \\ hub0port0\r\n \\ hub0port1: #net1: index=0,type=user,\r\n",
                                         &list, &n, NULL),
                        0);
        assert_int_equal(n, 0);
}

static void test_line_ends(void **state) {
        HmpNetClient c;

        /* "\n" alone, and a last line without its end */
        parse_one("net0: index=0,type=nic,model=e1000\n \\ hn0: index=0,type=tap,fd=30\n", &c);
        assert_int_equal(c.n_fds, 1);
        assert_int_equal(c.fds[0], 30);
        parse_one("net0: index=0,type=nic,model=e1000\r\n \\ hn0: index=0,type=tap,fd=31", &c);
        assert_int_equal(c.fds[0], 31);
        /* no comma after the type */
        parse_one("net0: index=0,type=nic\r\n \\ hn0: index=0,type=socket\r\n", &c);
        assert_string_equal(c.type, "socket");
}

static void test_types(void **state) {
        HmpNetClient c;

        /* unknown and non-tap types are kept, with no fds, whatever their text says */
        parse_one("net0: index=0,type=nic,\r\n \\ vu0: index=0,type=vhost-user,vhost-user0 to chr0\r\n", &c);
        assert_string_equal(c.netdev, "vu0");
        assert_string_equal(c.type, "vhost-user");
        assert_int_equal(c.n_fds, 0);
        parse_one("net0: index=0,type=nic,\r\n \\ x: index=0,type=future-backend,fd=5\r\n", &c);
        assert_string_equal(c.type, "future-backend");
        assert_int_equal(c.n_fds, 0);
        parse_one("net0: index=0,type=nic,\r\n \\ hn0: index=0,type=socket,fd=5\r\n", &c);
        assert_int_equal(c.n_fds, 0);
        /* a tap from the bridge helper: nothing to learn */
        parse_one("net0: index=0,type=nic,\r\n \\ hn0: "
                  "index=0,type=tap,helper=/usr/lib/qemu/qemu-bridge-helper\r\n",
                        &c);
        assert_string_equal(c.type, "tap");
        assert_int_equal(c.n_fds, 0);
        assert_string_equal(c.ifname, "");
        /* a NIC on a hub port made with -netdev hubport */
        parse_one("hub 1\r\n \\ p0: net0: index=0,type=nic,model=e1000\r\n \\ p1: hn0: "
                  "index=0,type=tap,fd=9\r\n",
                        &c);
        assert_string_equal(c.nic, "net0");
        assert_string_equal(c.netdev, "p0");
        assert_string_equal(c.type, "hubport");
        assert_int_equal(c.n_fds, 0);
}

static void test_ifname(void **state) {
        HmpNetClient c;

        parse_one("net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,ifname=tap0\r\n", &c);
        assert_string_equal(c.ifname, "tap0");
        /* a comma is allowed in a Linux interface name: the name ends at ",script=" */
        parse_one("net0: index=0,type=nic,\r\n \\ hn0: "
                  "index=0,type=tap,ifname=t,a,p,script=no,downscript=no\r\n",
                        &c);
        assert_string_equal(c.ifname, "t,a,p");
        parse_one("net0: index=0,type=nic,\r\n \\ hn0: "
                  "index=0,type=tap,ifname=012345678901234,script=/a,b\r\n",
                        &c);
        assert_string_equal(c.ifname, "012345678901234");
        /* queues of a tap QEMU opened by name: one name */
        parse_one("net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,ifname=t0,script=no\r\n"
                  "net0: index=1,type=nic,\r\n \\ hn0: index=1,type=tap,ifname=t0,script=no\r\n",
                        &c);
        assert_string_equal(c.ifname, "t0");
        assert_int_equal(c.n_fds, 0);
}

static void test_names(void **state) {
        char text[512], name[RX_FILTER_NAME_MAX];
        HmpNetClient c;

        memset(name, 'n', sizeof(name) - 1);
        name[sizeof(name) - 1] = 0;
        (void) snprintf(text, sizeof(text), "%s: index=0,type=nic,\r\n \\ %.63s: index=0,type=tap,fd=3\r\n",
                        name, name);
        parse_one(text, &c);
        assert_string_equal(c.nic, name);
        assert_int_equal(strlen(c.netdev), 63);

        /* what -net and an id-less -device are called */
        parse_one("virtio-net-pci.0: index=0,type=nic,\r\n \\ #net12: index=0,type=user,\r\n", &c);
        assert_string_equal(c.nic, "virtio-net-pci.0");
        assert_string_equal(c.netdev, "#net12");
        /* only the first ": " ends a name */
        parse_one("a:b: index=0,type=nic,\r\n", &c);
        assert_string_equal(c.nic, "a:b");
}

static char *queues_text(const char *nic_fmt, unsigned n, bool fd) {
        char *s = strdup("");

        assert_non_null(s);
        for (unsigned i = 0; i < n; i++) {
                char nic[64], *t;

                (void) snprintf(nic, sizeof(nic), nic_fmt, i);
                if (fd)
                        assert_true(asprintf(&t,
                                                    "%s%s: index=%u,type=nic,\r\n \\ hn0: "
                                                    "index=%u,type=tap,fd=%u\r\n",
                                                    s, nic, i, i, 100 + i) >= 0);
                else
                        assert_true(asprintf(&t,
                                                    "%s%s: index=%u,type=nic,\r\n \\ hn0: "
                                                    "index=%u,type=vhost-user,\r\n",
                                                    s, nic, i, i) >= 0);
                free(s);
                s = t;
        }
        return s;
}

static void test_queues(void **state) {
        _cleanup_free_ HmpNetClient *list = NULL;
        _cleanup_free_ char *error = NULL;
        size_t n;

        {
                _cleanup_free_ char *text = queues_text("net0", HMP_NET_FDS_MAX, true);

                assert_int_equal(parse(text, &list, &n, NULL), 0);
                assert_int_equal(n, 1);
                assert_int_equal(list[0].n_fds, HMP_NET_FDS_MAX);
                for (unsigned i = 0; i < HMP_NET_FDS_MAX; i++)
                        assert_int_equal(list[0].fds[i], 100 + i);
                list = mfree(list);
        }
        {
                _cleanup_free_ char *text = queues_text("net0", HMP_NET_FDS_MAX + 1, true);

                assert_int_equal(parse(text, &list, &n, &error), -E2BIG);
                assert_null(list);
                assert_string_equal(error, "info network line 130: tap hn0 has more than 64 fds");
                error = mfree(error);
        }
        {
                /* id-less: QEMU names every queue anew */
                _cleanup_free_ char *text = queues_text("virtio-net-pci.%u", 3, true);

                assert_int_equal(parse(text, &list, &n, NULL), 0);
                assert_int_equal(n, 1);
                assert_string_equal(list[0].nic, "virtio-net-pci.0");
                assert_int_equal(list[0].n_fds, 3);
                list = mfree(list);
        }
        {
                /* queues without fds are not bounded by HMP_NET_FDS_MAX, only by QEMU's maximum */
                _cleanup_free_ char *text = queues_text("net0", HMP_NET_QUEUES_MAX, false);

                assert_int_equal(parse(text, &list, &n, NULL), 0);
                assert_int_equal(n, 1);
                assert_int_equal(list[0].n_fds, 0);
                list = mfree(list);
        }
        {
                _cleanup_free_ char *text = queues_text("net0", HMP_NET_QUEUES_MAX + 1, false);

                assert_int_equal(parse(text, &list, &n, &error), -EINVAL);
                assert_string_equal(error,
                                "info network line 2049: \"index=\" is not a queue number below 1024");
        }
}

static void test_many_nics(void **state) {
        _cleanup_free_ HmpNetClient *list = NULL;
        _cleanup_free_ char *text = NULL, *error = NULL;
        size_t n;

        text = strdup("");
        assert_non_null(text);
        for (unsigned i = 0; i <= RX_FILTER_LIST_MAX; i++) {
                char *t;

                assert_true(asprintf(&t,
                                            "%snet%u: index=0,type=nic,\r\n \\ hn%u: "
                                            "index=0,type=tap,fd=%u\r\n",
                                            text, i, i, 10 + i) >= 0);
                free(text);
                text = t;
                if (i == RX_FILTER_LIST_MAX - 1) {
                        assert_int_equal(parse(text, &list, &n, NULL), 0);
                        assert_int_equal(n, RX_FILTER_LIST_MAX);
                        assert_string_equal(list[n - 1].nic, "net255");
                        assert_int_equal(list[n - 1].fds[0], 265);
                        list = mfree(list);
                }
        }
        assert_int_equal(parse(text, &list, &n, &error), -E2BIG);
        assert_null(list);
        assert_string_equal(error, "info network lists more than 256 NICs");
}

static void test_errors(void **state) {
        static const struct {
                const char *text;
                int r;
                const char *error;
        } cases[] = {
                        {"hello\r\n", -EINVAL,
                                        "info network line 1: \"hello\" is not \"NAME: "
                                        "index=N,type=TYPE,...\""},
                        {"net0: index=0,type=nic,\r\nnet0 index=0\r\n", -EINVAL,
                                        "info network line 2: \"net0 index=0\" is not \"NAME: "
                                        "index=N,type=TYPE,...\""},
                        {"net0: type=nic,\r\n", -EINVAL,
                                        "info network line 1: \"net0: type=nic,\" is not \"NAME: "
                                        "index=N,type=TYPE,...\""},
                        {"net0: index=0,model=x\r\n", -EINVAL,
                                        "info network line 1: \"net0: index=0,model=x\" is not \"NAME: "
                                        "index=N,type=TYPE,...\""},
                        {"net0: index=,type=nic,\r\n", -EINVAL,
                                        "info network line 1: \"index=\" is not a queue number below 1024"},
                        {"net0: index=99999999999,type=nic,\r\n", -EINVAL,
                                        "info network line 1: \"index=\" is not a queue number below 1024"},
                        {"net0: index=0,type=NIC,\r\n", -EINVAL,
                                        "info network line 1: \"type=NIC,\" is not a client type"},
                        {"net0: index=0,type=,\r\n", -EINVAL,
                                        "info network line 1: client type \"\" must have 1-15 bytes"},
                        {"net0: index=0,type=0123456789abcdef,\r\n", -EINVAL,
                                        "info network line 1: client type \"0123456789abcdef\" must have "
                                        "1-15 bytes"},
                        {": index=0,type=nic,\r\n", -EINVAL,
                                        "info network line 1: NIC name \"\" must have 1-127 bytes"},
                        {"n\te: index=0,type=nic,\r\n", -EINVAL,
                                        "info network line 1: NIC name \"n?e\" contains a control "
                                        "character"},
                        {"n\re: index=0,type=nic,\r\n", -EINVAL,
                                        "info network line 1: NIC name \"n?e\" contains a control "
                                        "character"},
                        {"net0: index=0,type=nic,\r\n \\ : index=0,type=tap,fd=3\r\n", -EINVAL,
                                        "info network line 2: netdev name \"\" must have 1-63 bytes"},
                        {"net0: index=0,type=nic,\r\n \\ "
                         "hn0123456789012345678901234567890123456789012345678901234567890123: "
                         "index=0,type=user,\r\n",
                                        -EINVAL,
                                        "info network line 2: netdev name "
                                        "\"hn012345678901234567890123456789012345678901234567890123456789012"
                                        "3\" "
                                        "must have 1-63 bytes"},
                        {"net0: index=0,type=nic,\r\nnet0: index=0,type=nic,\r\n", -EINVAL,
                                        "info network line 2: NIC net0 listed twice"},
                        {"hub 0\r\n \\ p0: net0: index=0,type=nic,\r\nnet0: index=0,type=nic,\r\n", -EINVAL,
                                        "info network line 3: NIC net0 listed twice"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=3\r\n"
                         "net1: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=4\r\n",
                                        -EINVAL,
                                        "info network line 4: netdev hn0 is the peer of NICs net0 and net1"},
                        {"hub 0\r\n \\ p0: net0: index=0,type=nic,\r\n \\ p0: net1: index=0,type=nic,\r\n",
                                        -EINVAL,
                                        "info network line 3: netdev p0 is the peer of NICs net0 and net1"},
                        {"hub 0\r\n \\ p0: net0: index=0,type=nic,\r\nnet1: index=0,type=nic,\r\n"
                         " \\ p0: index=0,type=hubport,\r\n",
                                        -EINVAL,
                                        "info network line 4: netdev p0 is the peer of NICs net0 and net1"},
                        /* peers */
                        {" \\ hn0: index=0,type=tap,fd=3\r\n", -EINVAL,
                                        "info network line 1: peer line without a NIC before it"},
                        {"hn5: index=0,type=tap,fd=3\r\n \\ hn0: index=0,type=tap,fd=3\r\n", -EINVAL,
                                        "info network line 2: peer line without a NIC before it"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=3\r\n \\ hn1: "
                         "index=0,type=tap,fd=4\r\n",
                                        -EINVAL,
                                        "info network line 3: a second peer line for NIC net0 queue 0"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=1,type=tap,fd=3\r\n", -EINVAL,
                                        "info network line 2: peer queue 1 on NIC queue 0"},
                        {"net0: index=0,type=nic,\r\n \\ hn0\r\n", -EINVAL,
                                        "info network line 2: \"hn0\" is not \"NAME: "
                                        "index=N,type=TYPE,...\""},
                        /* queues */
                        {"net0: index=1,type=nic,\r\n", -EINVAL,
                                        "info network line 1: NIC net0 queue 1 does not follow queue 0 of a "
                                        "NIC"},
                        {"net0: index=0,type=nic,\r\nnet0: index=2,type=nic,\r\n", -EINVAL,
                                        "info network line 2: NIC net0 queue 2 does not follow queue 1 of a "
                                        "NIC"},
                        {"net0: index=0,type=nic,\r\nhn5: index=0,type=user,\r\nnet0: index=1,type=nic,\r\n",
                                        -EINVAL,
                                        "info network line 3: NIC net0 queue 1 does not follow queue 0 of a "
                                        "NIC"},
                        {"net0: index=0,type=nic,\r\nnet1: index=1,type=nic,\r\n", -EINVAL,
                                        "info network line 2: queue 1 is named net1, queue 0 net0"},
                        {"e1000.0: index=0,type=nic,\r\nvirtio-net-pci.1: index=1,type=nic,\r\n", -EINVAL,
                                        "info network line 2: queue 1 is named virtio-net-pci.1, queue 0 "
                                        "e1000.0"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=3\r\nnet0: "
                         "index=1,type=nic,\r\n",
                                        -EINVAL,
                                        "info network line 3: queue 1 of NIC net0 has no peer line, queue 0 "
                                        "has one"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=3\r\n"
                         "net0: index=1,type=nic,\r\nnet1: index=0,type=nic,\r\n",
                                        -EINVAL,
                                        "info network line 3: queue 1 of NIC net0 has no peer line, queue 0 "
                                        "has one"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=3\r\n"
                         "net0: index=1,type=nic,\r\n \\ hn1: index=1,type=tap,fd=4\r\n",
                                        -EINVAL,
                                        "info network line 4: queue 1 of NIC net0 is on hn1, queue 0 on "
                                        "hn0"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=3\r\n"
                         "net0: index=1,type=nic,\r\n \\ hn0: index=1,type=user,\r\n",
                                        -EINVAL,
                                        "info network line 4: queue 1 of NIC net0 has peer type user, queue "
                                        "0 tap"},
                        {"net0: index=0,type=nic,\r\nnet0: index=1,type=nic,\r\n \\ hn0: "
                         "index=1,type=user,\r\n",
                                        -EINVAL,
                                        "info network line 3: queue 1 of NIC net0 has a peer, queue 0 has "
                                        "none"},
                        /* tap fds and names */
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=\r\n", -EINVAL,
                                        "info network line 2: bad tap fd in \"fd=\""},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=-1\r\n", -EINVAL,
                                        "info network line 2: bad tap fd in \"fd=-1\""},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=3x\r\n", -EINVAL,
                                        "info network line 2: bad tap fd in \"fd=3x\""},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=2147483648\r\n", -EINVAL,
                                        "info network line 2: bad tap fd in \"fd=2147483648\""},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=99999999999999999999\r\n",
                                        -EINVAL,
                                        "info network line 2: bad tap fd in \"fd=99999999999999999999\""},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,ifname=\r\n", -EINVAL,
                                        "info network line 2: tap ifname \"\" is not an interface name"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: "
                         "index=0,type=tap,ifname=0123456789012345,script=no\r\n",
                                        -EINVAL,
                                        "info network line 2: tap ifname \"0123456789012345\" is not an "
                                        "interface name"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,ifname=a/b,script=no\r\n",
                                        -EINVAL,
                                        "info network line 2: tap ifname \"a/b\" is not an interface name"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,ifname=a b,script=no\r\n",
                                        -EINVAL,
                                        "info network line 2: tap ifname \"a b\" is not an interface name"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,ifname=..,script=no\r\n",
                                        -EINVAL,
                                        "info network line 2: tap ifname \"..\" is not an interface name"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,ifname=t0\r\n"
                         "net0: index=1,type=nic,\r\n \\ hn0: index=1,type=tap,ifname=t1\r\n",
                                        -EINVAL,
                                        "info network line 4: tap hn0 queue on \"t1\", queue 0 on \"t0\""},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,ifname=t0\r\n"
                         "net0: index=1,type=nic,\r\n \\ hn0: index=1,type=tap,fd=3\r\n",
                                        -EINVAL,
                                        "info network line 4: tap hn0 has an fd on queue 1, not on queue 0"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,helper=h\r\n"
                         "net0: index=1,type=nic,\r\n \\ hn0: index=1,type=tap,fd=3\r\n",
                                        -EINVAL,
                                        "info network line 4: tap hn0 has an fd on queue 1, not on queue 0"},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=3\r\n"
                         "net0: index=1,type=nic,\r\n \\ hn0: index=1,type=tap,ifname=t0\r\n",
                                        -EINVAL,
                                        "info network line 4: tap hn0 queue on \"t0\", queue 0 on \"\""},
                        {"net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=3\r\n"
                         "net0: index=1,type=nic,\r\n \\ hn0: index=1,type=tap,\r\n",
                                        -EINVAL,
                                        "info network line 4: tap hn0 queue 1 has neither fd nor ifname, "
                                        "queue 0 has"},
                        /* hubs and filters */
                        {"hub\r\n", -EINVAL,
                                        "info network line 1: \"hub\" is not \"NAME: "
                                        "index=N,type=TYPE,...\""},
                        {"hub x\r\n", -EINVAL, "info network line 1: bad hub line \"hub x\""},
                        {"hub 0\r\n \\ : net0: index=0,type=nic,\r\n", -EINVAL,
                                        "info network line 2: hub port \"\" must have 1-63 bytes"},
                        {"hub 0\r\n \\ p\x01: net0: index=0,type=nic,\r\n", -EINVAL,
                                        "info network line 2: hub port \"p?\" contains a control character"},
                        {"hub 0\r\n \\ p0: net0: index=1,type=nic,\r\n", -EINVAL,
                                        "info network line 2: NIC queue 1 on a hub port"},
                        {"hub 0\r\n \\ p0: net0\r\n", -EINVAL,
                                        "info network line 2: \"net0\" is not \"NAME: "
                                        "index=N,type=TYPE,...\""},
                        {"filters:\r\n", -EINVAL,
                                        "info network line 1: \"filters:\" without a client before it"},
                        {"hub 0\r\nfilters:\r\n", -EINVAL,
                                        "info network line 2: \"filters:\" without a client before it"},
                        {"net0: index=0,type=nic,\r\n  - f0: type=filter-buffer\r\n", -EINVAL,
                                        "info network line 2: filter line without \"filters:\" before it"},
                        {"net0: index=0,type=nic,\r\nfilters:\r\n  - f0: type=x\r\n \\ hn0: "
                         "index=0,type=tap,fd=3\r\n"
                         "  - f1: type=x\r\n",
                                        -EINVAL,
                                        "info network line 5: filter line without \"filters:\" before it"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *error = NULL;
                HmpNetClient *list = (HmpNetClient *) 1;
                size_t n = 7;

                print_message("case %zu: %s\n", i, cases[i].error);
                assert_int_equal(parse(cases[i].text, &list, &n, &error), cases[i].r);
                assert_non_null(error);
                assert_string_equal(error, cases[i].error);
                /* out-parameters untouched on failure */
                assert_ptr_equal(list, (HmpNetClient *) 1);
                assert_int_equal(n, 7);
                /* the same without a message wanted */
                assert_int_equal(parse(cases[i].text, &list, &n, NULL), cases[i].r);
        }
}

static void test_filters(void **state) {
        HmpNetClient c;

        /* filter lines after the NIC, after its peer, and after a netdev without NIC */
        parse_one("hn5: index=0,type=tap,fd=9\r\nfilters:\r\n  - f5: type=filter-dump,file=x\r\n"
                  "net0: index=0,type=nic,\r\nfilters:\r\n  - f0: type=x\r\n"
                  " \\ hn0: index=0,type=tap,fd=3\r\nfilters:\r\n  - f1: type=x\r\n  - f2: type=y\r\n",
                        &c);
        assert_string_equal(c.nic, "net0");
        assert_int_equal(c.n_fds, 1);
        assert_int_equal(c.fds[0], 3);
}

static void test_bounds(void **state) {
        _cleanup_free_ HmpNetClient *list = NULL;
        _cleanup_free_ char *text = NULL, *error = NULL;
        const char *head = "net0: index=0,type=nic,";
        size_t n, len;

        /* a line of exactly HMP_NET_LINE_MAX bytes, "\r\n" not counted, then one byte more */
        len = HMP_NET_LINE_MAX + 3;
        text = malloc(len);
        assert_non_null(text);
        memcpy(text, head, strlen(head));
        memset(text + strlen(head), 'x', HMP_NET_LINE_MAX - strlen(head));
        memcpy(text + HMP_NET_LINE_MAX, "\r\n", 2);
        assert_int_equal(hmp_network_parse(text, HMP_NET_LINE_MAX + 2, &list, &n, NULL), 0);
        assert_int_equal(n, 1);
        list = mfree(list);
        text[HMP_NET_LINE_MAX] = 'x';
        memcpy(text + HMP_NET_LINE_MAX + 1, "\r\n", 2);
        assert_int_equal(hmp_network_parse(text, len, &list, &n, &error), -E2BIG);
        assert_string_equal(error, "info network line 1 has 4097 bytes, more than 4096");
        error = mfree(error);
        /* the same without a line end */
        assert_int_equal(hmp_network_parse(text, HMP_NET_LINE_MAX + 1, &list, &n, &error), -E2BIG);
        error = mfree(error);
        text = mfree(text);

        /* the whole: checked before anything is read */
        len = QMP_LINE_MAX + 1;
        text = malloc(len);
        assert_non_null(text);
        memset(text, '\n', len);
        assert_int_equal(hmp_network_parse(text, len, &list, &n, &error), -E2BIG);
        assert_string_equal(error, "info network output of 4194305 bytes, more than 4194304");
        error = mfree(error);
        assert_int_equal(hmp_network_parse(text, len - 1, &list, &n, NULL), 0);
        assert_int_equal(n, 0);

        /* a NUL byte: not QEMU's output */
        assert_int_equal(hmp_network_parse("net0: index=0,type=nic,\0\r\n", 26, &list, &n, &error), -EINVAL);
        assert_string_equal(error, "info network output contains a NUL byte at 23");
}

static void test_not_nul_terminated(void **state) {
        static const char text[] = "net0: index=0,type=nic,\r\n \\ hn0: index=0,type=tap,fd=42";
        _cleanup_free_ HmpNetClient *list = NULL;
        _cleanup_free_ char *copy = NULL;
        size_t n, len = strlen(text);

        /* an exact-size heap copy: ASan catches a read past the end */
        copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, text, len);
        assert_int_equal(hmp_network_parse(copy, len, &list, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(list[0].fds[0], 42);
        list = mfree(list);
        /* cut inside the fd: "fd=4" */
        assert_int_equal(hmp_network_parse(copy, len - 1, &list, &n, NULL), 0);
        assert_int_equal(list[0].fds[0], 4);
}

static void test_arguments(void **state) {
        HmpNetClient *list = NULL;
        size_t n;

        assert_int_equal(hmp_network_parse(NULL, 1, &list, &n, NULL), -EINVAL);
        assert_int_equal(hmp_network_parse("", 0, NULL, &n, NULL), -EINVAL);
        assert_int_equal(hmp_network_parse("", 0, &list, NULL, NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_fixture_macvtap),
                        cmocka_unit_test(test_fixture_mq),
                        cmocka_unit_test(test_fixture_tap),
                        cmocka_unit_test(test_fixture_mixed),
                        cmocka_unit_test(test_empty),
                        cmocka_unit_test(test_line_ends),
                        cmocka_unit_test(test_types),
                        cmocka_unit_test(test_ifname),
                        cmocka_unit_test(test_names),
                        cmocka_unit_test(test_queues),
                        cmocka_unit_test(test_many_nics),
                        cmocka_unit_test(test_errors),
                        cmocka_unit_test(test_filters),
                        cmocka_unit_test(test_bounds),
                        cmocka_unit_test(test_not_nul_terminated),
                        cmocka_unit_test(test_arguments),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
