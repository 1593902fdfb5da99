/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for netlink/bridge*.c without a kernel: the builders (inspected attribute by attribute
 * with libnl's parsing, independently of the code under test), the AF_BRIDGE link and neighbour
 * parsers on messages laid out as the kernel sends them, and fdb_diff(). */

#include <errno.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "bridge.h"
#include "ether-addr.h"
#include "macro.h"
#include "netlink-util.h"
#include "rtnl.h"
#include "vlan-set.h"

static const EtherAddr mac_a = {{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};
static const EtherAddr mac_b = {{0x02, 0x11, 0x22, 0x33, 0x44, 0x66}};
static const EtherAddr mac_c = {{0x52, 0x54, 0x00, 0x00, 0x00, 0x01}};

static struct nl_msg *msg_new(void) {
        struct nl_msg *m = nlmsg_alloc();

        assert_non_null(m);
        return m;
}

static const struct ifinfomsg *msg_ifi(struct nl_msg *m) {
        assert_true(nlmsg_datalen(nlmsg_hdr(m)) >= (int) sizeof(struct ifinfomsg));
        return nlmsg_data(nlmsg_hdr(m));
}

/* The top-level attribute 'type' after a family header of 'hdrlen' bytes, NULL when absent. */
static struct nlattr *msg_attr(struct nl_msg *m, size_t hdrlen, int type) {
        return nlmsg_find_attr(nlmsg_hdr(m), (int) hdrlen, type);
}

static int msg_attr_count(struct nl_msg *m, size_t hdrlen) {
        struct nlattr *a;
        int rem, n = 0;

        nlmsg_for_each_attr(a, nlmsg_hdr(m), (int) hdrlen, rem) n++;
        return n;
}

static int nested_count(struct nlattr *nest, int type) {
        struct nlattr *a;
        int rem, n = 0;

        nla_for_each_nested(a, nest, rem) if (nla_type(a) == type) n++;
        return n;
}

/* How many entries of 'type' the message's IFLA_AF_SPEC has. */
static int af_spec_count(struct nl_msg *m, int type) {
        struct nlattr *af_spec = msg_attr(m, sizeof(struct ifinfomsg), IFLA_AF_SPEC);

        assert_non_null(af_spec);
        return nested_count(af_spec, type);
}

static VlanSet set_of(const char *s) {
        VlanSet v;

        assert_int_equal(vlan_set_from_string(s, &v), 0);
        return v;
}

static BridgePortVlans vlans_of(const char *vids, unsigned pvid, const char *untagged) {
        return (BridgePortVlans){.vids = set_of(vids), .pvid = pvid, .untagged = set_of(untagged)};
}

/* Decodes the IFLA_AF_SPEC of an AF_BRIDGE link message into "1,16-20,30:PU": one item per single
 * entry or RANGE_BEGIN/RANGE_END pair, in message order, ":P"/":U" for the flags. Fails the test
 * on a pair whose flags differ or that is not a pair. Returns a malloc'ed string ("" without
 * IFLA_AF_SPEC). */
static char *vlan_entries(struct nl_msg *m) {
        const struct bridge_vlan_info *begin = NULL;
        struct nlattr *af_spec, *a;
        char *buf = NULL;
        size_t size = 0;
        bool first = true;
        FILE *f;
        int rem;

        f = open_memstream(&buf, &size);
        assert_non_null(f);
        af_spec = msg_attr(m, sizeof(struct ifinfomsg), IFLA_AF_SPEC);
        if (af_spec)
                nla_for_each_nested(a, af_spec, rem) {
                        const struct bridge_vlan_info *vi;
                        uint16_t flags;

                        assert_int_equal(nla_type(a), IFLA_BRIDGE_VLAN_INFO);
                        assert_int_equal(nla_len(a), sizeof(struct bridge_vlan_info));
                        vi = nla_data(a);
                        if (vi->flags & BRIDGE_VLAN_INFO_RANGE_BEGIN) {
                                assert_null(begin);
                                assert_false(vi->flags & BRIDGE_VLAN_INFO_RANGE_END);
                                begin = vi;
                                continue;
                        }
                        fprintf(f, "%s", first ? "" : ",");
                        first = false;
                        if (vi->flags & BRIDGE_VLAN_INFO_RANGE_END) {
                                assert_non_null(begin);
                                assert_true(begin->vid < vi->vid);
                                assert_int_equal(begin->flags & ~BRIDGE_VLAN_INFO_RANGE_BEGIN,
                                                vi->flags & ~BRIDGE_VLAN_INFO_RANGE_END);
                                fprintf(f, "%u-%u", begin->vid, vi->vid);
                                begin = NULL;
                        } else {
                                assert_null(begin);
                                fprintf(f, "%u", vi->vid);
                        }
                        flags = vi->flags & (BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED);
                        if (flags)
                                fprintf(f, ":%s%s", flags & BRIDGE_VLAN_INFO_PVID ? "P" : "",
                                                flags & BRIDGE_VLAN_INFO_UNTAGGED ? "U" : "");
                }
        assert_null(begin);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static void assert_vlan_entries(struct nl_msg *m, const char *want) {
        _cleanup_free_ char *got = vlan_entries(m);

        assert_string_equal(got, want);
}

static void assert_vlan_header(struct nl_msg *m, int type, int ifindex) {
        const struct ifinfomsg *ifi = msg_ifi(m);

        assert_int_equal(nlmsg_hdr(m)->nlmsg_type, type);
        assert_int_equal(ifi->ifi_family, AF_BRIDGE);
        assert_int_equal(ifi->ifi_index, ifindex);
        /* NLM_F_REQUEST and NLM_F_ACK come from rtnl_send(); nothing else is set. */
        assert_int_equal(nlmsg_hdr(m)->nlmsg_flags, 0);
}

static void test_vlan_fill_single(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(), *d = msg_new(), *u = msg_new();
        VlanRange one = {10, 10}, range = {100, 110};

        /* A range of one VID is a single entry, without range flags. */
        assert_int_equal(bridge_vlan_fill(m, 7, true, &one, 1, true, true), 0);
        assert_vlan_header(m, RTM_SETLINK, 7);
        assert_vlan_entries(m, "10:PU");
        /* IFLA_AF_SPEC and nothing else: no IFLA_BRIDGE_FLAGS, so the port's master acts. */
        assert_int_equal(msg_attr_count(m, sizeof(struct ifinfomsg)), 1);
        assert_int_equal(af_spec_count(m, IFLA_BRIDGE_FLAGS), 0);
        assert_true(msg_attr(m, sizeof(struct ifinfomsg), IFLA_AF_SPEC)->nla_type & NLA_F_NESTED);

        /* A range: BEGIN and END carry the same flags. */
        assert_int_equal(bridge_vlan_fill(u, 7, true, &range, 1, false, true), 0);
        assert_vlan_entries(u, "100-110:U");
        assert_int_equal(af_spec_count(u, IFLA_BRIDGE_VLAN_INFO), 2);

        assert_int_equal(bridge_vlan_fill(d, 7, false, &range, 1, false, false), 0);
        assert_vlan_header(d, RTM_DELLINK, 7);
        assert_vlan_entries(d, "100-110");
}

static void test_vlan_fill_many_ranges(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new();
        VlanRange r[10];
        char buf[256] = "";

        /* 100 VLANs in 10 ranges: one message, one IFLA_AF_SPEC, 20 entries. */
        for (unsigned i = 0; i < ELEMENTSOF(r); i++) {
                r[i] = (VlanRange){100 * (i + 1), 100 * (i + 1) + 9};
                snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%u-%u", i ? "," : "", r[i].begin,
                                r[i].end);
        }
        assert_int_equal(bridge_vlan_fill(m, 3, true, r, ELEMENTSOF(r), false, false), 0);
        assert_vlan_header(m, RTM_SETLINK, 3);
        assert_int_equal(msg_attr_count(m, sizeof(struct ifinfomsg)), 1);
        assert_int_equal(af_spec_count(m, IFLA_BRIDGE_VLAN_INFO), 20);
        assert_vlan_entries(m, buf);
}

static void test_vlan_fill_append(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new();
        VlanRange plain[] = {{1, 1}, {5, 9}}, untagged = {20, 29}, pvid = {30, 30};

        /* Three calls, one IFLA_AF_SPEC with everything in order. */
        assert_int_equal(bridge_vlan_fill(m, 4, true, plain, ELEMENTSOF(plain), false, false), 0);
        assert_int_equal(bridge_vlan_fill(m, 4, true, &untagged, 1, false, true), 0);
        assert_int_equal(bridge_vlan_fill(m, 4, true, &pvid, 1, true, false), 0);
        assert_int_equal(msg_attr_count(m, sizeof(struct ifinfomsg)), 1);
        assert_vlan_entries(m, "1,5-9,20-29:U,30:P");

        /* Another port or the other direction does not fit into this message. */
        assert_int_equal(bridge_vlan_fill(m, 5, true, &pvid, 1, false, false), -EINVAL);
        assert_int_equal(bridge_vlan_fill(m, 4, false, &pvid, 1, false, false), -EINVAL);
        assert_vlan_entries(m, "1,5-9,20-29:U,30:P");
}

static void test_vlan_fill_grows(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(), *all = msg_new();
        _cleanup_free_ VlanRange *r = NULL;
        _cleanup_free_ char *got = NULL;
        VlanRange every = {1, VLAN_VID_MAX};
        size_t n = 0;

        /* Every odd VID: 2047 single entries, 16 KiB, beyond the page nlmsg_alloc() gives. */
        r = new0(VlanRange, 2047);
        assert_non_null(r);
        for (unsigned vid = 1; vid <= VLAN_VID_MAX; vid += 2)
                r[n++] = (VlanRange){vid, vid};
        assert_int_equal(n, 2047);
        assert_int_equal(bridge_vlan_fill(m, 2, true, r, n, false, true), 0);
        assert_true(nlmsg_hdr(m)->nlmsg_len > 16 * 1024);
        assert_int_equal(af_spec_count(m, IFLA_BRIDGE_VLAN_INFO), 2047);
        got = vlan_entries(m);
        assert_true(strncmp(got, "1:U,3:U,5:U,", 12) == 0);
        assert_non_null(strstr(got, ",4093:U"));

        assert_int_equal(bridge_vlan_fill(all, 2, false, &every, 1, false, false), 0);
        assert_vlan_entries(all, "1-4094");
}

static void test_vlan_fill_errors(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(), *other = NULL;
        VlanRange ok = {10, 10}, range = {10, 12}, two[] = {{10, 10}, {12, 12}};
        VlanRange bad[] = {{0, 0}, {0, 5}, {4095, 4095}, {4090, 4095}, {20, 10}};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(bridge_vlan_fill(m, 1, true, &bad[i], 1, false, false), -EINVAL);
        assert_int_equal(bridge_vlan_fill(m, 1, true, &ok, 0, false, false), -EINVAL);
        assert_int_equal(bridge_vlan_fill(m, 1, true, NULL, 1, false, false), -EINVAL);
        assert_int_equal(bridge_vlan_fill(NULL, 1, true, &ok, 1, false, false), -EINVAL);
        assert_int_equal(bridge_vlan_fill(m, 0, true, &ok, 1, false, false), -EINVAL);
        /* The kernel refuses a PVID range; one PVID per port. */
        assert_int_equal(bridge_vlan_fill(m, 1, true, &range, 1, true, false), -EINVAL);
        assert_int_equal(bridge_vlan_fill(m, 1, true, two, 2, true, false), -EINVAL);
        /* Flags on a deletion mean nothing to the kernel. */
        assert_int_equal(bridge_vlan_fill(m, 1, false, &ok, 1, true, false), -EINVAL);
        assert_int_equal(bridge_vlan_fill(m, 1, false, &ok, 1, false, true), -EINVAL);
        /* Nothing was written by the failures. */
        assert_int_equal(nlmsg_datalen(nlmsg_hdr(m)), 0);

        /* A message of another type. */
        other = nlmsg_alloc_simple(RTM_NEWNEIGH, 0);
        assert_non_null(other);
        assert_int_equal(bridge_vlan_fill(other, 1, true, &ok, 1, false, false), -EINVAL);
}

static void test_vlan_fill_port(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *del = msg_new(), *add = msg_new();
        BridgePortVlans have = vlans_of("1,10-20", 1, "1"), want = vlans_of("10-15,30,40", 30, "30");

        /* Deletion phase: only what 'want' lacks, as ranges, no flags. */
        assert_int_equal(bridge_vlan_fill_port(del, 9, &want, &have, false), 6);
        assert_vlan_header(del, RTM_DELLINK, 9);
        assert_vlan_entries(del, "1,16-20");

        /* Addition phase: only what 'have' lacks, the PVID last with its untagged flag. */
        assert_int_equal(bridge_vlan_fill_port(add, 9, &want, &have, true), 2);
        assert_vlan_header(add, RTM_SETLINK, 9);
        assert_vlan_entries(add, "40,30:PU");
}

static void test_vlan_fill_port_flags(void **state) {
        static const struct {
                const char *have_vids;
                unsigned have_pvid;
                const char *have_untagged;
                const char *want_vids;
                unsigned want_pvid;
                const char *want_untagged;
                int n_del, n_add;
                const char *del, *add;
        } cases[] = {
                        /* untagged dropped from a VID: sent again without the flag */
                        {"10", 0, "10", "10", 0, "", 0, 1, "", "10"},
                        /* untagged added to a range */
                        {"10-19", 0, "", "10-19", 0, "12-14", 0, 3, "", "12-14:U"},
                        /* PVID dropped, the VID stays */
                        {"10", 10, "10", "10", 0, "10", 0, 1, "", "10:U"},
                        /* PVID moves between two kept VIDs: the old one plain, the new one last */
                        {"10,20", 10, "", "10,20", 20, "", 0, 2, "", "10,20:P"},
                        /* the port's default VLAN 1 replaced by a tagged trunk with native VLAN 100 */
                        {"1", 1, "1", "100-199", 100, "100", 1, 100, "1", "101-199,100:PU"},
                        /* nothing changes */
                        {"5-9,30", 30, "30", "5-9,30", 30, "30", 0, 0, "", ""},
                        /* all goes */
                        {"1,5-9", 1, "1", "", 0, "", 6, 0, "1,5-9", ""},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(nlmsg_freep) struct nl_msg *del = msg_new(), *add = msg_new();
                BridgePortVlans have =
                                vlans_of(cases[i].have_vids, cases[i].have_pvid, cases[i].have_untagged);
                BridgePortVlans want =
                                vlans_of(cases[i].want_vids, cases[i].want_pvid, cases[i].want_untagged);

                print_message("case %zu: %s -> %s\n", i, cases[i].have_vids, cases[i].want_vids);
                assert_int_equal(bridge_vlan_fill_port(del, 2, &want, &have, false), cases[i].n_del);
                assert_vlan_header(del, RTM_DELLINK, 2);
                assert_vlan_entries(del, cases[i].del);
                assert_int_equal(bridge_vlan_fill_port(add, 2, &want, &have, true), cases[i].n_add);
                assert_vlan_header(add, RTM_SETLINK, 2);
                assert_vlan_entries(add, cases[i].add);
                /* Nothing to do is a message without IFLA_AF_SPEC, a no-op for the kernel. */
                if (cases[i].n_add == 0)
                        assert_null(msg_attr(add, sizeof(struct ifinfomsg), IFLA_AF_SPEC));
        }
}

static void test_vlan_fill_port_errors(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new();
        BridgePortVlans have = {}, want;

        want = vlans_of("10", 20, "");
        assert_int_equal(bridge_vlan_fill_port(m, 1, &want, &have, true), -EINVAL);
        want = vlans_of("10", 0, "10-11");
        assert_int_equal(bridge_vlan_fill_port(m, 1, &want, &have, true), -EINVAL);
        want = vlans_of("0,10", 0, "");
        assert_int_equal(bridge_vlan_fill_port(m, 1, &want, &have, true), -ERANGE);
        want = vlans_of("10,4095", 0, "");
        assert_int_equal(bridge_vlan_fill_port(m, 1, &want, &have, false), -ERANGE);
        want = vlans_of("10", 0, "");
        assert_int_equal(bridge_vlan_fill_port(m, 0, &want, &have, true), -EINVAL);
        assert_int_equal(bridge_vlan_fill_port(m, 1, NULL, &have, true), -EINVAL);
        assert_int_equal(nlmsg_datalen(nlmsg_hdr(m)), 0);
}

static void test_port_fill_flags(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(), *part = msg_new(), *both = msg_new();
        BridgePortFlags off = {0, 0, 0}, learning_on = {1, -1, -1};
        struct nlattr *pi, *tb[IFLA_BRPORT_MAX + 1];
        VlanRange r = {10, 10};

        assert_int_equal(bridge_port_fill_flags(m, 6, &off), 0);
        assert_vlan_header(m, RTM_SETLINK, 6);
        pi = msg_attr(m, sizeof(struct ifinfomsg), IFLA_PROTINFO);
        assert_non_null(pi);
        /* Without NLA_F_NESTED the kernel reads the payload as the old u8 port state. */
        assert_true(pi->nla_type & NLA_F_NESTED);
        assert_int_equal(nla_parse_nested(tb, IFLA_BRPORT_MAX, pi, NULL), 0);
        assert_non_null(tb[IFLA_BRPORT_LEARNING]);
        assert_int_equal(nla_len(tb[IFLA_BRPORT_LEARNING]), 1);
        assert_int_equal(nla_get_u8(tb[IFLA_BRPORT_LEARNING]), 0);
        assert_int_equal(nla_get_u8(tb[IFLA_BRPORT_UNICAST_FLOOD]), 0);
        assert_int_equal(nla_get_u8(tb[IFLA_BRPORT_MCAST_FLOOD]), 0);
        assert_int_equal(nested_count(pi, IFLA_BRPORT_LEARNING) +
                                         nested_count(pi, IFLA_BRPORT_UNICAST_FLOOD) +
                                         nested_count(pi, IFLA_BRPORT_MCAST_FLOOD),
                        3);

        /* -1 leaves a flag out. */
        assert_int_equal(bridge_port_fill_flags(part, 6, &learning_on), 0);
        pi = msg_attr(part, sizeof(struct ifinfomsg), IFLA_PROTINFO);
        assert_int_equal(nla_parse_nested(tb, IFLA_BRPORT_MAX, pi, NULL), 0);
        assert_int_equal(nla_get_u8(tb[IFLA_BRPORT_LEARNING]), 1);
        assert_null(tb[IFLA_BRPORT_UNICAST_FLOOD]);
        assert_null(tb[IFLA_BRPORT_MCAST_FLOOD]);

        /* VLANs and flags of one port in one message; the flags close it. */
        assert_int_equal(bridge_vlan_fill(both, 6, true, &r, 1, true, true), 0);
        assert_int_equal(bridge_port_fill_flags(both, 6, &off), 0);
        assert_int_equal(msg_attr_count(both, sizeof(struct ifinfomsg)), 2);
        assert_vlan_entries(both, "10:PU");
        assert_int_equal(bridge_vlan_fill(both, 6, true, &r, 1, false, false), -EINVAL);
        assert_int_equal(bridge_port_fill_flags(both, 6, &off), -EINVAL);

        assert_int_equal(bridge_port_fill_flags(m, 7, &off), -EINVAL);
        assert_int_equal(bridge_port_fill_flags(part, 6, &BRIDGE_PORT_FLAGS_UNSET), -EINVAL);
        assert_int_equal(bridge_port_fill_flags(part, 6, NULL), -EINVAL);
}

static void test_fdb_fill(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *add = msg_new(), *vlan = msg_new(), *del = msg_new();
        FdbEntry e = {.mac = mac_a, .ifindex = 5}, v = {.mac = mac_b, .vid = 10, .ifindex = 5};
        const struct ndmsg *ndm;
        struct nlattr *a;

        assert_int_equal(bridge_fdb_fill(add, true, &e), 0);
        assert_int_equal(nlmsg_hdr(add)->nlmsg_type, RTM_NEWNEIGH);
        assert_int_equal(nlmsg_hdr(add)->nlmsg_flags, NLM_F_CREATE | NLM_F_REPLACE);
        ndm = nlmsg_data(nlmsg_hdr(add));
        assert_int_equal(ndm->ndm_family, AF_BRIDGE);
        assert_int_equal(ndm->ndm_ifindex, 5);
        assert_int_equal(ndm->ndm_state, NUD_NOARP);
        assert_int_equal(ndm->ndm_flags, NTF_MASTER);
        a = msg_attr(add, sizeof(struct ndmsg), NDA_LLADDR);
        assert_non_null(a);
        assert_int_equal(nla_len(a), 6);
        assert_memory_equal(nla_data(a), mac_a.bytes, 6);
        /* No VLAN: no NDA_VLAN at all (NDA_VLAN 0 is not the same to every kernel). */
        assert_null(msg_attr(add, sizeof(struct ndmsg), NDA_VLAN));
        assert_int_equal(msg_attr_count(add, sizeof(struct ndmsg)), 1);

        assert_int_equal(bridge_fdb_fill(vlan, true, &v), 0);
        a = msg_attr(vlan, sizeof(struct ndmsg), NDA_VLAN);
        assert_non_null(a);
        assert_int_equal(nla_len(a), 2);
        assert_int_equal(nla_get_u16(a), 10);
        assert_int_equal(msg_attr_count(vlan, sizeof(struct ndmsg)), 2);

        assert_int_equal(bridge_fdb_fill(del, false, &v), 0);
        assert_int_equal(nlmsg_hdr(del)->nlmsg_type, RTM_DELNEIGH);
        assert_int_equal(nlmsg_hdr(del)->nlmsg_flags, 0);
        ndm = nlmsg_data(nlmsg_hdr(del));
        assert_int_equal(ndm->ndm_flags, NTF_MASTER);
        assert_int_equal(nla_get_u16(msg_attr(del, sizeof(struct ndmsg), NDA_VLAN)), 10);
}

static void test_fdb_fill_errors(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(), *used = msg_new(), *other = NULL;
        FdbEntry e = {.mac = mac_a, .ifindex = 5}, bad;

        bad = e;
        bad.mac = (EtherAddr){};
        assert_int_equal(bridge_fdb_fill(m, true, &bad), -EINVAL);
        bad = e;
        bad.vid = 4095;
        assert_int_equal(bridge_fdb_fill(m, true, &bad), -EINVAL);
        bad = e;
        bad.ifindex = 0;
        assert_int_equal(bridge_fdb_fill(m, true, &bad), -EINVAL);
        assert_int_equal(bridge_fdb_fill(m, true, NULL), -EINVAL);
        assert_int_equal(nlmsg_datalen(nlmsg_hdr(m)), 0);

        /* One entry per message. */
        assert_int_equal(bridge_fdb_fill(used, true, &e), 0);
        assert_int_equal(bridge_fdb_fill(used, true, &e), -EINVAL);
        other = nlmsg_alloc_simple(RTM_SETLINK, 0);
        assert_non_null(other);
        assert_int_equal(bridge_fdb_fill(other, true, &e), -EINVAL);
}

static void test_vlan_filtering_fill(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *on = msg_new(), *off = NULL;
        struct nlattr *li[IFLA_INFO_MAX + 1], *data[IFLA_BR_MAX + 1], *a;
        const struct ifinfomsg *ifi;

        assert_int_equal(bridge_link_fill_vlan_filtering(on, 8, true), 0);
        assert_int_equal(nlmsg_hdr(on)->nlmsg_type, RTM_NEWLINK);
        /* Changes an existing link: no NLM_F_CREATE. */
        assert_int_equal(nlmsg_hdr(on)->nlmsg_flags, 0);
        ifi = msg_ifi(on);
        assert_int_equal(ifi->ifi_family, AF_UNSPEC);
        assert_int_equal(ifi->ifi_index, 8);
        assert_int_equal(ifi->ifi_change, 0);
        assert_int_equal(msg_attr_count(on, sizeof(struct ifinfomsg)), 1);
        a = msg_attr(on, sizeof(struct ifinfomsg), IFLA_LINKINFO);
        assert_non_null(a);
        assert_int_equal(nla_parse_nested(li, IFLA_INFO_MAX, a, NULL), 0);
        assert_string_equal(nla_get_string(li[IFLA_INFO_KIND]), "bridge");
        assert_int_equal(nla_parse_nested(data, IFLA_BR_MAX, li[IFLA_INFO_DATA], NULL), 0);
        assert_int_equal(nla_len(data[IFLA_BR_VLAN_FILTERING]), 1);
        assert_int_equal(nla_get_u8(data[IFLA_BR_VLAN_FILTERING]), 1);
        assert_int_equal(nested_count(li[IFLA_INFO_DATA], IFLA_BR_VLAN_FILTERING), 1);
        assert_int_equal(nla_len(li[IFLA_INFO_DATA]), NLA_HDRLEN + NLA_ALIGN(1));

        /* Together with link_fill_*() for the same link, e.g. bringing it up. */
        assert_int_equal(link_message_new(&off), 0);
        assert_int_equal(link_fill_set_flags(off, 8, IFF_UP, IFF_UP), 0);
        assert_int_equal(bridge_link_fill_vlan_filtering(off, 8, false), 0);
        ifi = msg_ifi(off);
        assert_int_equal(ifi->ifi_change, IFF_UP);
        a = msg_attr(off, sizeof(struct ifinfomsg), IFLA_LINKINFO);
        assert_int_equal(nla_parse_nested(li, IFLA_INFO_MAX, a, NULL), 0);
        assert_int_equal(nla_parse_nested(data, IFLA_BR_MAX, li[IFLA_INFO_DATA], NULL), 0);
        assert_int_equal(nla_get_u8(data[IFLA_BR_VLAN_FILTERING]), 0);

        assert_int_equal(bridge_link_fill_vlan_filtering(off, 8, true), -EINVAL);
        assert_int_equal(bridge_link_fill_vlan_filtering(on, 9, true), -EINVAL);
        assert_int_equal(bridge_link_fill_vlan_filtering(NULL, 9, true), -EINVAL);
}

/* An AF_BRIDGE link message as br_fill_ifinfo() lays it out: name, master, IFLA_PROTINFO without
 * NLA_F_NESTED, then IFLA_AF_SPEC with 'n' entries (vid, flags). */
static struct nl_msg *port_message(int type, int family, int ifindex, int master,
                const BridgePortFlags *flags, const uint16_t (*vlans)[2], size_t n) {
        struct ifinfomsg ifi = {.ifi_family = family, .ifi_index = ifindex};
        struct nlattr *nest;
        struct nl_msg *m;

        m = nlmsg_alloc_simple(type, 0);
        assert_non_null(m);
        assert_int_equal(nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
        assert_int_equal(nla_put_string(m, IFLA_IFNAME, "p1"), 0);
        assert_int_equal(nla_put_u32(m, IFLA_MTU, 1500), 0);
        if (master > 0)
                assert_int_equal(nla_put_u32(m, IFLA_MASTER, master), 0);
        if (flags) {
                nest = nla_nest_start(m, IFLA_PROTINFO);
                assert_non_null(nest);
                nest->nla_type = IFLA_PROTINFO; /* as the kernel sends it */
                assert_int_equal(nla_put_u8(m, IFLA_BRPORT_STATE, 3), 0);
                if (flags->learning >= 0)
                        assert_int_equal(nla_put_u8(m, IFLA_BRPORT_LEARNING, flags->learning), 0);
                if (flags->unicast_flood >= 0)
                        assert_int_equal(nla_put_u8(m, IFLA_BRPORT_UNICAST_FLOOD, flags->unicast_flood), 0);
                if (flags->mcast_flood >= 0)
                        assert_int_equal(nla_put_u8(m, IFLA_BRPORT_MCAST_FLOOD, flags->mcast_flood), 0);
                assert_int_equal(nla_nest_end(m, nest), 0);
        }
        if (vlans) {
                nest = nla_nest_start(m, IFLA_AF_SPEC);
                assert_non_null(nest);
                for (size_t i = 0; i < n; i++) {
                        struct bridge_vlan_info vi = {.vid = vlans[i][0], .flags = vlans[i][1]};

                        assert_int_equal(nla_put(m, IFLA_BRIDGE_VLAN_INFO, sizeof(vi), &vi), 0);
                }
                /* Something else the kernel may add: tunnel info. */
                assert_int_equal(nla_put_u32(m, IFLA_BRIDGE_VLAN_TUNNEL_INFO, 0), 0);
                assert_int_equal(nla_nest_end(m, nest), 0);
        }
        return m;
}

#define P  BRIDGE_VLAN_INFO_PVID
#define U  BRIDGE_VLAN_INFO_UNTAGGED
#define RB BRIDGE_VLAN_INFO_RANGE_BEGIN
#define RE BRIDGE_VLAN_INFO_RANGE_END

static void test_port_parse(void **state) {
        static const uint16_t each[][2] = {{1, P | U}, {10, 0}, {11, 0}, {12, U}};
        static const uint16_t ranges[][2] = {
                        {1, 0}, {5, RB | U}, {9, RE | U}, {20, P}, {100, RB}, {4094, RE}};
        BridgePortFlags flags = {0, 1, 0};
        _cleanup_(nlmsg_freep) struct nl_msg *dump = NULL, *notify = NULL, *del = NULL, *bare = NULL;
        _cleanup_free_ char *s = NULL;
        bool removed = true;
        BridgePort p;

        dump = port_message(RTM_NEWLINK, AF_BRIDGE, 4, 3, &flags, each, ELEMENTSOF(each));
        assert_int_equal(bridge_port_parse(nlmsg_hdr(dump), nlmsg_hdr(dump)->nlmsg_len, &removed, &p), 0);
        assert_false(removed);
        assert_int_equal(p.ifindex, 4);
        assert_int_equal(p.master_ifindex, 3);
        assert_int_equal(p.flags.learning, 0);
        assert_int_equal(p.flags.unicast_flood, 1);
        assert_int_equal(p.flags.mcast_flood, 0);
        assert_int_equal(p.vlans.pvid, 1);
        s = vlan_set_to_string(&p.vlans.vids);
        assert_string_equal(s, "1,10-12");
        s = mfree(s);
        s = vlan_set_to_string(&p.vlans.untagged);
        assert_string_equal(s, "1,12");
        s = mfree(s);

        /* Notifications compress ranges. */
        notify = port_message(RTM_NEWLINK, AF_BRIDGE, 4, 3, &flags, ranges, ELEMENTSOF(ranges));
        assert_int_equal(bridge_port_parse(nlmsg_hdr(notify), nlmsg_hdr(notify)->nlmsg_len, NULL, &p), 0);
        assert_int_equal(p.vlans.pvid, 20);
        assert_int_equal(vlan_set_count(&p.vlans.vids), 1 + 5 + 1 + 3995);
        s = vlan_set_to_string(&p.vlans.untagged);
        assert_string_equal(s, "5-9");
        s = mfree(s);

        /* Left the bridge; no flags, no VLANs. */
        del = port_message(RTM_DELLINK, AF_BRIDGE, 4, 3, NULL, NULL, 0);
        assert_int_equal(bridge_port_parse(nlmsg_hdr(del), nlmsg_hdr(del)->nlmsg_len, &removed, &p), 0);
        assert_true(removed);
        assert_int_equal(p.flags.learning, -1);
        assert_int_equal(p.flags.unicast_flood, -1);
        assert_int_equal(p.flags.mcast_flood, -1);
        assert_true(vlan_set_is_empty(&p.vlans.vids));
        assert_int_equal(p.vlans.pvid, 0);

        /* Flags the kernel did not send stay unknown. */
        flags = (BridgePortFlags){1, -1, -1};
        bare = port_message(RTM_NEWLINK, AF_BRIDGE, 4, 0, &flags, NULL, 0);
        assert_int_equal(bridge_port_parse(nlmsg_hdr(bare), nlmsg_hdr(bare)->nlmsg_len, NULL, &p), 0);
        assert_int_equal(p.master_ifindex, 0);
        assert_int_equal(p.flags.learning, 1);
        assert_int_equal(p.flags.unicast_flood, -1);
}

static void test_port_parse_bad(void **state) {
        static const uint16_t zero[][2] = {{0, 0}};
        static const uint16_t high[][2] = {{4095, 0}};
        static const uint16_t lone_end[][2] = {{5, RE}};
        static const uint16_t two_begins[][2] = {{5, RB}, {6, RB}, {9, RE}};
        static const uint16_t open_range[][2] = {{5, RB}};
        static const uint16_t backwards[][2] = {{9, RB}, {5, RE}};
        static const uint16_t pvid_range[][2] = {{5, RB | P}, {9, RE | P}};
        static const uint16_t two_pvids[][2] = {{5, P}, {9, P}};
        static const uint16_t single_in_range[][2] = {{5, RB}, {7, 0}, {9, RE}};
        static const struct {
                const uint16_t (*v)[2];
                size_t n;
        } bad[] = {
                        {zero, 1},
                        {high, 1},
                        {lone_end, 1},
                        {two_begins, 3},
                        {open_range, 1},
                        {backwards, 2},
                        {pvid_range, 2},
                        {two_pvids, 2},
                        {single_in_range, 3},
        };
        _cleanup_(nlmsg_freep) struct nl_msg *ok = NULL, *inet = NULL, *other = NULL, *shortv = NULL;
        struct ifinfomsg ifi = {.ifi_family = AF_BRIDGE, .ifi_index = 4};
        BridgePort p, sentinel;
        struct nlattr *nest;
        struct nlmsghdr *nlh;

        memset(&sentinel, 0xaa, sizeof(sentinel));
        p = sentinel;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(nlmsg_freep) struct nl_msg *m =
                                port_message(RTM_NEWLINK, AF_BRIDGE, 4, 3, NULL, bad[i].v, bad[i].n);

                print_message("bad VLAN list %zu\n", i);
                nlh = nlmsg_hdr(m);
                assert_int_equal(bridge_port_parse(nlh, nlh->nlmsg_len, NULL, &p), -EBADMSG);
        }

        ok = port_message(RTM_NEWLINK, AF_BRIDGE, 4, 3, NULL, NULL, 0);
        nlh = nlmsg_hdr(ok);
        assert_int_equal(bridge_port_parse(nlh, nlh->nlmsg_len - 1, NULL, &p), -EBADMSG);
        assert_int_equal(bridge_port_parse(nlh, NLMSG_HDRLEN - 1, NULL, &p), -EBADMSG);
        assert_int_equal(bridge_port_parse(NULL, 100, NULL, &p), -EINVAL);

        inet = port_message(RTM_NEWLINK, AF_UNSPEC, 4, 3, NULL, NULL, 0);
        nlh = nlmsg_hdr(inet);
        assert_int_equal(bridge_port_parse(nlh, nlh->nlmsg_len, NULL, &p), -EAFNOSUPPORT);

        other = port_message(RTM_NEWADDR, AF_BRIDGE, 4, 3, NULL, NULL, 0);
        nlh = nlmsg_hdr(other);
        assert_int_equal(bridge_port_parse(nlh, nlh->nlmsg_len, NULL, &p), -ENOMSG);

        /* A VLAN entry shorter than struct bridge_vlan_info. */
        shortv = nlmsg_alloc_simple(RTM_NEWLINK, 0);
        assert_int_equal(nlmsg_append(shortv, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
        nest = nla_nest_start(shortv, IFLA_AF_SPEC);
        assert_int_equal(nla_put_u16(shortv, IFLA_BRIDGE_VLAN_INFO, 10), 0);
        assert_int_equal(nla_nest_end(shortv, nest), 0);
        nlh = nlmsg_hdr(shortv);
        assert_int_equal(bridge_port_parse(nlh, nlh->nlmsg_len, NULL, &p), -EBADMSG);

        assert_memory_equal(&p, &sentinel, sizeof(p));
}

/* A neighbour message as fdb_fill_info() (bridge FDB) or nlmsg_populate_fdb_fill() (NTF_SELF)
 * lays it out. */
static struct nl_msg *neigh_message(int type, int family, int ifindex, uint8_t flags, uint16_t state,
                const void *lladdr, size_t lladdr_len, int vid, int master) {
        struct ndmsg ndm = {
                        .ndm_family = family,
                        .ndm_ifindex = ifindex,
                        .ndm_flags = flags,
                        .ndm_state = state,
        };
        struct nda_cacheinfo ci = {};
        struct nl_msg *m;

        m = nlmsg_alloc_simple(type, 0);
        assert_non_null(m);
        assert_int_equal(nlmsg_append(m, &ndm, sizeof(ndm), NLMSG_ALIGNTO), 0);
        if (lladdr)
                assert_int_equal(nla_put(m, NDA_LLADDR, lladdr_len, lladdr), 0);
        if (master > 0)
                assert_int_equal(nla_put_u32(m, NDA_MASTER, master), 0);
        assert_int_equal(nla_put(m, NDA_CACHEINFO, sizeof(ci), &ci), 0);
        if (vid >= 0)
                assert_int_equal(nla_put_u16(m, NDA_VLAN, vid), 0);
        return m;
}

static void test_fdb_parse(void **state) {
        static const struct {
                int type;
                uint8_t flags;
                uint16_t state;
                int vid, master;
                bool removed, is_static, is_local, is_master;
                int want_vid;
        } cases[] = {
                        /* `bridge fdb add MAC dev p1 master static vlan 10` as the kernel reports it */
                        {RTM_NEWNEIGH, 0, NUD_NOARP, 10, 3, false, true, false, true, 10},
                        /* the port's own address: "permanent" */
                        {RTM_NEWNEIGH, 0, NUD_PERMANENT, -1, 3, false, false, true, true, 0},
                        /* learned, fresh and aged */
                        {RTM_NEWNEIGH, 0, NUD_REACHABLE, -1, 3, false, false, false, true, 0},
                        {RTM_NEWNEIGH, NTF_EXT_LEARNED, NUD_STALE, 20, 3, false, false, false, true, 20},
                        /* a device's own list (NTF_SELF): no NDA_MASTER */
                        {RTM_NEWNEIGH, NTF_SELF, NUD_PERMANENT, -1, 0, false, false, true, false, 0},
                        /* removal of a static entry */
                        {RTM_DELNEIGH, 0, NUD_NOARP, -1, 3, true, true, false, true, 0},
                        /* NTF_MASTER as a request carries it */
                        {RTM_NEWNEIGH, NTF_MASTER, NUD_NOARP, 0, 0, false, true, false, true, 0},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
                bool removed = !cases[i].removed;
                int bridge = -1;
                FdbEntry e;

                print_message("case %zu\n", i);
                m = neigh_message(cases[i].type, AF_BRIDGE, 4, cases[i].flags, cases[i].state, mac_a.bytes,
                                6, cases[i].vid, cases[i].master);
                assert_int_equal(fdb_entry_parse(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, &removed, &bridge,
                                                 &e),
                                0);
                assert_int_equal(removed, cases[i].removed);
                assert_int_equal(bridge, cases[i].master);
                assert_true(ether_addr_equal(&e.mac, &mac_a));
                assert_int_equal(e.ifindex, 4);
                assert_int_equal(e.vid, cases[i].want_vid);
                assert_int_equal(e.is_static, cases[i].is_static);
                assert_int_equal(e.is_local, cases[i].is_local);
                assert_int_equal(e.master, cases[i].is_master);
        }
}

static void test_fdb_parse_bad(void **state) {
        static const uint8_t ip[4] = {10, 0, 0, 1};
        _cleanup_(nlmsg_freep) struct nl_msg *inet = NULL, *nolladdr = NULL, *shortaddr = NULL,
                                             *highvid = NULL, *type = NULL, *noindex = NULL, *ok = NULL;
        FdbEntry e, sentinel;
        struct nlmsghdr *nlh;

        memset(&sentinel, 0xaa, sizeof(sentinel));
        e = sentinel;

        /* ARP and NDP neighbours share the group. */
        inet = neigh_message(RTM_NEWNEIGH, AF_INET, 4, 0, NUD_REACHABLE, mac_a.bytes, 6, -1, 0);
        nlh = nlmsg_hdr(inet);
        assert_int_equal(fdb_entry_parse(nlh, nlh->nlmsg_len, NULL, NULL, &e), -EAFNOSUPPORT);

        nolladdr = neigh_message(RTM_NEWNEIGH, AF_BRIDGE, 4, 0, NUD_NOARP, NULL, 0, -1, 3);
        nlh = nlmsg_hdr(nolladdr);
        assert_int_equal(fdb_entry_parse(nlh, nlh->nlmsg_len, NULL, NULL, &e), -EBADMSG);

        shortaddr = neigh_message(RTM_NEWNEIGH, AF_BRIDGE, 4, 0, NUD_NOARP, ip, sizeof(ip), -1, 3);
        nlh = nlmsg_hdr(shortaddr);
        assert_int_equal(fdb_entry_parse(nlh, nlh->nlmsg_len, NULL, NULL, &e), -EBADMSG);

        highvid = neigh_message(RTM_NEWNEIGH, AF_BRIDGE, 4, 0, NUD_NOARP, mac_a.bytes, 6, 4095, 3);
        nlh = nlmsg_hdr(highvid);
        assert_int_equal(fdb_entry_parse(nlh, nlh->nlmsg_len, NULL, NULL, &e), -EBADMSG);

        noindex = neigh_message(RTM_NEWNEIGH, AF_BRIDGE, 0, 0, NUD_NOARP, mac_a.bytes, 6, -1, 3);
        nlh = nlmsg_hdr(noindex);
        assert_int_equal(fdb_entry_parse(nlh, nlh->nlmsg_len, NULL, NULL, &e), -EBADMSG);

        type = neigh_message(RTM_GETNEIGH, AF_BRIDGE, 4, 0, NUD_NOARP, mac_a.bytes, 6, -1, 3);
        nlh = nlmsg_hdr(type);
        assert_int_equal(fdb_entry_parse(nlh, nlh->nlmsg_len, NULL, NULL, &e), -ENOMSG);

        ok = neigh_message(RTM_NEWNEIGH, AF_BRIDGE, 4, 0, NUD_NOARP, mac_a.bytes, 6, 10, 3);
        nlh = nlmsg_hdr(ok);
        assert_int_equal(fdb_entry_parse(nlh, nlh->nlmsg_len - 1, NULL, NULL, &e), -EBADMSG);
        assert_int_equal(fdb_entry_parse(nlh, NLMSG_HDRLEN + 4, NULL, NULL, &e), -EBADMSG);
        assert_int_equal(fdb_entry_parse(NULL, 100, NULL, NULL, &e), -EINVAL);

        assert_memory_equal(&e, &sentinel, sizeof(e));
}

static FdbEntry fdb(const EtherAddr *mac, uint16_t vid, int ifindex, char kind) {
        return (FdbEntry){
                        .mac = *mac,
                        .vid = vid,
                        .ifindex = ifindex,
                        .master = true,
                        .is_static = kind == 's',
                        .is_local = kind == 'l',
        };
}

/* "mac@vid/ifindex" items joined with ','. */
static char *fdb_string(const FdbEntry *e, size_t n) {
        char *buf = NULL, mac[ETHER_ADDR_STRING_MAX];
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        assert_non_null(f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%s@%u/%d", i ? "," : "", ether_addr_to_string(&e[i].mac, mac), e[i].vid,
                                e[i].ifindex);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static void test_fdb_diff(void **state) {
        /* Not static: fdb() is no constant expression. */
        const struct {
                const char *name;
                FdbEntry have[6];
                size_t n_have;
                FdbEntry want[6];
                size_t n_want;
                const char *del, *add;
        } cases[] = {
                        {"both empty", {}, 0, {}, 0, "", ""},
                        {"in step", {fdb(&mac_a, 0, 4, 's')}, 1, {fdb(&mac_a, 0, 4, 's')}, 1, "", ""},
                        {"new MAC", {fdb(&mac_a, 0, 4, 's'), fdb(&mac_b, 0, 4, 's')}, 2,
                                        {fdb(&mac_b, 0, 4, 's'), fdb(&mac_c, 0, 4, 's')}, 2,
                                        "02:11:22:33:44:55@0/4", "52:54:00:00:00:01@0/4"},
                        {"VIDs are part of the key", {fdb(&mac_a, 10, 4, 's'), fdb(&mac_a, 20, 4, 's')}, 2,
                                        {fdb(&mac_a, 20, 4, 's'), fdb(&mac_a, 30, 4, 's')}, 2,
                                        "02:11:22:33:44:55@10/4", "02:11:22:33:44:55@30/4"},
                        {"moved to another port", {fdb(&mac_a, 0, 4, 's')}, 1, {fdb(&mac_a, 0, 5, 's')}, 1,
                                        "02:11:22:33:44:55@0/4", "02:11:22:33:44:55@0/5"},
                        {"learned: replaced when wanted, never deleted",
                                        {fdb(&mac_a, 0, 4, 'd'), fdb(&mac_b, 0, 4, 'd')}, 2,
                                        {fdb(&mac_a, 0, 4, 's')}, 1, "", "02:11:22:33:44:55@0/4"},
                        {"local: serves already, never deleted",
                                        {fdb(&mac_a, 0, 4, 'l'), fdb(&mac_b, 0, 4, 'l')}, 2,
                                        {fdb(&mac_a, 0, 4, 's')}, 1, "", ""},
                        {"want's flags and master are not compared", {fdb(&mac_a, 0, 4, 's')}, 1,
                                        {{.mac = mac_a, .ifindex = 4}}, 1, "", ""},
                        {"duplicates once, output sorted by port, VID, MAC",
                                        {fdb(&mac_b, 0, 9, 's'), fdb(&mac_b, 0, 9, 's'),
                                                        fdb(&mac_a, 0, 9, 's')},
                                        3,
                                        {fdb(&mac_c, 5, 4, 's'), fdb(&mac_b, 0, 4, 's'),
                                                        fdb(&mac_c, 5, 4, 's'), fdb(&mac_a, 5, 4, 's')},
                                        4, "02:11:22:33:44:55@0/9,02:11:22:33:44:66@0/9",
                                        "02:11:22:33:44:66@0/4,02:11:22:33:44:55@5/4,52:54:00:00:00:01@5/4"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ FdbEntry *del = NULL, *add = NULL;
                _cleanup_free_ char *d = NULL, *a = NULL;
                size_t n_del = 99, n_add = 99;

                print_message("case: %s\n", cases[i].name);
                assert_int_equal(fdb_diff(cases[i].have, cases[i].n_have, cases[i].want, cases[i].n_want,
                                                 &del, &n_del, &add, &n_add),
                                0);
                d = fdb_string(del, n_del);
                a = fdb_string(add, n_add);
                assert_string_equal(d, cases[i].del);
                assert_string_equal(a, cases[i].add);
                assert_true((n_del == 0) == (del == NULL));
                assert_true((n_add == 0) == (add == NULL));
        }
}

static void test_fdb_diff_errors(void **state) {
        FdbEntry *del = NULL, *add = NULL, e = fdb(&mac_a, 0, 4, 's');
        size_t n_del = 0, n_add = 0;

        assert_int_equal(fdb_diff(NULL, 1, &e, 1, &del, &n_del, &add, &n_add), -EINVAL);
        assert_int_equal(fdb_diff(&e, 1, NULL, 1, &del, &n_del, &add, &n_add), -EINVAL);
        assert_int_equal(fdb_diff(&e, 1, &e, 1, NULL, &n_del, &add, &n_add), -EINVAL);
        assert_int_equal(fdb_diff(NULL, 0, NULL, 0, &del, &n_del, &add, NULL), -EINVAL);
        assert_null(del);
        assert_null(add);
}

static void test_port_vlans(void **state) {
        BridgePortVlans v = {}, w;
        BridgeVlan e;

        e = (BridgeVlan){.vid = 10, .pvid = true, .untagged = true};
        assert_int_equal(bridge_port_vlans_add(&v, &e), 0);
        e = (BridgeVlan){.vid = 20};
        assert_int_equal(bridge_port_vlans_add(&v, &e), 0);
        w = vlans_of("10,20", 10, "10");
        assert_true(bridge_port_vlans_equal(&v, &w));

        /* A second PVID replaces the first. */
        e = (BridgeVlan){.vid = 20, .pvid = true};
        assert_int_equal(bridge_port_vlans_add(&v, &e), 0);
        assert_int_equal(v.pvid, 20);
        assert_false(bridge_port_vlans_equal(&v, &w));

        e = (BridgeVlan){.vid = 0};
        assert_int_equal(bridge_port_vlans_add(&v, &e), -ERANGE);
        e = (BridgeVlan){.vid = 4095};
        assert_int_equal(bridge_port_vlans_add(&v, &e), -ERANGE);
        assert_int_equal(bridge_port_vlans_add(NULL, &e), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_vlan_fill_single),
                        cmocka_unit_test(test_vlan_fill_many_ranges),
                        cmocka_unit_test(test_vlan_fill_append),
                        cmocka_unit_test(test_vlan_fill_grows),
                        cmocka_unit_test(test_vlan_fill_errors),
                        cmocka_unit_test(test_vlan_fill_port),
                        cmocka_unit_test(test_vlan_fill_port_flags),
                        cmocka_unit_test(test_vlan_fill_port_errors),
                        cmocka_unit_test(test_port_fill_flags),
                        cmocka_unit_test(test_fdb_fill),
                        cmocka_unit_test(test_fdb_fill_errors),
                        cmocka_unit_test(test_vlan_filtering_fill),
                        cmocka_unit_test(test_port_parse),
                        cmocka_unit_test(test_port_parse_bad),
                        cmocka_unit_test(test_fdb_parse),
                        cmocka_unit_test(test_fdb_parse_bad),
                        cmocka_unit_test(test_fdb_diff),
                        cmocka_unit_test(test_fdb_diff_errors),
                        cmocka_unit_test(test_port_vlans),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
