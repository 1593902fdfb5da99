/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* netlink/bridge-mdb.c: L2 (MAC) entries of the bridge multicast database.
 *
 * `test-bridge-mdb --unit` runs the cases that need no kernel: the builder (inspected attribute by
 * attribute with libnl, independently of the code under test), the parser on messages laid out as
 * the kernel sends them, and mdb_diff(). Without arguments it runs against the running kernel in a
 * private network namespace of this process:
 *
 *   netns (unshare(CLONE_NEWNET) in main(); IPv6 off, so no MLD snooping fills the table)
 *
 *      +-----------------------------------+      +-------+
 *      |                br0                |      |  br1  |  bridges, mcast_snooping 1,
 *      +----+-----------+-----------+------+      +---+---+  vlan_default_pvid 0
 *           |           |           |                 |
 *        +--+--+     +--+--+     +--+--+           +--+--+
 *        | p1  |     | p2  |     | p3  |           | q1  |  ports
 *        +--+--+     +--+--+     +--+--+           +--+--+
 *           | veth      | veth      | veth            | veth
 *        +--+--+     +--+--+     +--+--+           +--+--+
 *        | p1b |     | p2b |     | p3b |           | q1b |  test_mdb_forwarding() sends from
 *        +-----+     +-----+     +-----+           +-----+  p3b and counts on p1b and p2b
 *
 * Every state the API reports is checked again with `bridge -j mdb show` + jq. Kernels without
 * bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING off) answer -EOPNOTSUPP to vlan_filtering:
 * then the VLAN cases are skipped (cmocka SKIPPED, with the kernel's answer) and the rest runs.
 * Skips the whole test (exit 77) when not root, when unshare() fails, when ip/bridge/jq are
 * missing or when the kernel has no MDB (no IFLA_BR_MCAST_SNOOPING).
 *
 * Runs standalone (a kernel VM): nothing is read from the source tree. The tools are "ip",
 * "bridge" and "jq" from $PATH, or the programs named by $IP, $BRIDGE and $JQ. */

#include <errno.h>
#include <linux/if_bridge.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "bridge.h"
#include "ether-addr.h"
#include "macro.h"
#include "netlink-util.h"
#include "rtnl.h"

#define WAIT_MSEC 5000 /* bound on waiting for a reply or a frame */

/* Groups as guests join them: IPv4- and IPv6-mapped MACs, a vendor one, broadcast. */
static const EtherAddr grp_a = {{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}};
static const EtherAddr grp_b = {{0x01, 0x00, 0x5e, 0x01, 0x02, 0x04}};
static const EtherAddr grp_c = {{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}};
static const EtherAddr grp_d = {{0x01, 0x80, 0xc2, 0x00, 0x00, 0x21}};
static const EtherAddr unicast = {{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};

static MdbEntry mdb_entry(const EtherAddr *mac, uint16_t vid, int port) {
        return (MdbEntry){.mac = *mac, .vid = vid, .port_ifindex = port, .permanent = true};
}

/* "mac@vid/port" items joined with ','. */
static char *mdb_string(const MdbEntry *e, size_t n) {
        char *buf = NULL, mac[ETHER_ADDR_STRING_MAX];
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        assert_non_null(f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%s@%u/%d", i ? "," : "", ether_addr_to_string(&e[i].mac, mac), e[i].vid,
                                e[i].port_ifindex);
        assert_int_equal(fclose(f), 0);
        return buf;
}

/* ============================== unit: no kernel ============================================= */

static struct nl_msg *msg_new(void) {
        struct nl_msg *m = nlmsg_alloc();

        assert_non_null(m);
        return m;
}

/* The one MDBA_SET_ENTRY of a request, checked for its exact size. */
static const struct br_mdb_entry *set_entry(struct nl_msg *m) {
        struct nlattr *a;
        int rem, n = 0;

        nlmsg_for_each_attr(a, nlmsg_hdr(m), (int) sizeof(struct br_port_msg), rem) n++;
        assert_int_equal(n, 1);
        a = nlmsg_find_attr(nlmsg_hdr(m), sizeof(struct br_port_msg), MDBA_SET_ENTRY);
        assert_non_null(a);
        /* The kernel wants exactly this size ("Invalid MDBA_SET_ENTRY attribute length"). */
        assert_int_equal(nla_len(a), sizeof(struct br_mdb_entry));
        return nla_data(a);
}

static void assert_mdb_header(struct nl_msg *m, int type, int flags, int bridge) {
        const struct br_port_msg *bpm;

        assert_int_equal(nlmsg_hdr(m)->nlmsg_type, type);
        /* NLM_F_REQUEST and NLM_F_ACK come from rtnl_send(). */
        assert_int_equal(nlmsg_hdr(m)->nlmsg_flags, flags);
        assert_int_equal(
                        nlmsg_datalen(nlmsg_hdr(m)), NLMSG_ALIGN(sizeof(struct br_port_msg)) + NLA_HDRLEN +
                                                                     NLA_ALIGN(sizeof(struct br_mdb_entry)));
        bpm = nlmsg_data(nlmsg_hdr(m));
        assert_int_equal(bpm->family, AF_BRIDGE);
        assert_int_equal(bpm->ifindex, bridge);
}

static void test_mdb_fill(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *add = msg_new(), *vlan = msg_new(), *del = msg_new();
        MdbEntry e = mdb_entry(&grp_a, 0, 5), v = mdb_entry(&grp_c, 10, 6);
        const struct br_mdb_entry *be;
        static const uint8_t zero[16] = {};

        /* `bridge mdb add dev br0 port p1 grp 01:00:5e:01:02:03 permanent` */
        e.permanent = false; /* not read: always MDB_PERMANENT */
        assert_int_equal(bridge_mdb_fill(add, true, 3, &e), 0);
        assert_mdb_header(add, RTM_NEWMDB, NLM_F_CREATE | NLM_F_REPLACE, 3);
        be = set_entry(add);
        assert_int_equal(be->ifindex, 5);
        assert_int_equal(be->state, MDB_PERMANENT);
        assert_int_equal(be->flags, 0);
        assert_int_equal(be->vid, 0);
        /* proto 0 is the L2 form; the rest of the address union stays zero. */
        assert_int_equal(be->addr.proto, 0);
        assert_memory_equal(be->addr.u.mac_addr, grp_a.bytes, 6);
        assert_memory_equal((const uint8_t *) &be->addr.u + 6, zero, sizeof(be->addr.u) - 6);

        assert_int_equal(bridge_mdb_fill(vlan, true, 3, &v), 0);
        be = set_entry(vlan);
        assert_int_equal(be->ifindex, 6);
        assert_int_equal(be->vid, 10);
        assert_memory_equal(be->addr.u.mac_addr, grp_c.bytes, 6);

        assert_int_equal(bridge_mdb_fill(del, false, 3, &v), 0);
        assert_mdb_header(del, RTM_DELMDB, 0, 3);
        be = set_entry(del);
        assert_int_equal(be->ifindex, 6);
        assert_int_equal(be->state, MDB_PERMANENT);
        assert_int_equal(be->vid, 10);
        assert_int_equal(be->addr.proto, 0);

        /* Broadcast has the group bit; the kernel takes it. A host join names the bridge. */
        nlmsg_free(add);
        add = msg_new();
        e = mdb_entry(&(EtherAddr){{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, 4094, 3);
        assert_int_equal(bridge_mdb_fill(add, true, 3, &e), 0);
        assert_int_equal(set_entry(add)->vid, 4094);
        assert_int_equal(set_entry(add)->ifindex, 3);
}

static void test_mdb_fill_errors(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(), *used = msg_new(), *other = NULL;
        MdbEntry ok = mdb_entry(&grp_a, 0, 5), e;

        assert_int_equal(bridge_mdb_fill(NULL, true, 3, &ok), -EINVAL);
        assert_int_equal(bridge_mdb_fill(m, true, 3, NULL), -EINVAL);
        assert_int_equal(bridge_mdb_fill(m, true, 0, &ok), -EINVAL);
        assert_int_equal(bridge_mdb_fill(m, true, -1, &ok), -EINVAL);
        e = mdb_entry(&grp_a, 0, 0);
        assert_int_equal(bridge_mdb_fill(m, true, 3, &e), -EINVAL);
        e = mdb_entry(&grp_a, 4095, 5);
        assert_int_equal(bridge_mdb_fill(m, false, 3, &e), -EINVAL);
        /* The kernel: "L2 entry group is not multicast", the zero address too. */
        e = mdb_entry(&unicast, 0, 5);
        assert_int_equal(bridge_mdb_fill(m, true, 3, &e), -EINVAL);
        e = mdb_entry(&(EtherAddr){}, 0, 5);
        assert_int_equal(bridge_mdb_fill(m, true, 3, &e), -EINVAL);
        assert_int_equal(nlmsg_datalen(nlmsg_hdr(m)), 0);

        /* One entry per message. */
        assert_int_equal(bridge_mdb_fill(used, true, 3, &ok), 0);
        assert_int_equal(bridge_mdb_fill(used, true, 3, &ok), -EINVAL);
        other = nlmsg_alloc_simple(RTM_NEWNEIGH, 0);
        assert_non_null(other);
        assert_int_equal(bridge_mdb_fill(other, true, 3, &ok), -EINVAL);
}

/* Appends an MDBA_MDB_ENTRY_INFO as __mdb_fill_info() writes it: the struct, then a timer and,
 * for a port, the routing protocol. 'info_len' < sizeof(struct br_mdb_entry) cuts the struct. */
static void put_entry_info(struct nl_msg *m, int ifindex, uint16_t vid, uint16_t proto, const void *addr,
                size_t addr_len, int info_len) {
        struct br_mdb_entry be = {
                        .ifindex = (uint32_t) ifindex,
                        .state = MDB_PERMANENT,
                        .vid = vid,
        };
        struct nlattr *info;

        be.addr.proto = proto;
        memcpy(&be.addr.u, addr, addr_len);
        if (info_len >= 0) {
                assert_int_equal(nla_put(m, MDBA_MDB_ENTRY_INFO, info_len, &be), 0);
                return;
        }
        info = nla_nest_start(m, MDBA_MDB_ENTRY_INFO);
        assert_non_null(info);
        assert_int_equal(nlmsg_append(m, &be, sizeof(be), NLA_ALIGNTO), 0);
        assert_int_equal(nla_put_u32(m, MDBA_MDB_EATTR_TIMER, 0), 0);
        assert_int_equal(nla_put_u8(m, MDBA_MDB_EATTR_RTPROT, RTPROT_STATIC), 0);
        assert_int_equal(nla_nest_end(m, info), 0);
}

static struct nl_msg *mdb_message(int type, uint8_t family, int bridge) {
        struct br_port_msg bpm = {.family = family, .ifindex = (uint32_t) bridge};
        struct nl_msg *m;

        m = nlmsg_alloc_simple(type, 0);
        assert_non_null(m);
        assert_int_equal(nlmsg_append(m, &bpm, sizeof(bpm), NLMSG_ALIGNTO), 0);
        return m;
}

/* A dump answer for bridge 3: two L2 groups (one on two ports), an IPv4 and an IPv6 group,
 * a host join and a router port. */
static struct nl_msg *dump_message(void) {
        static const uint8_t ip4[4] = {239, 1, 1, 1};
        static const uint8_t ip6[16] = {0xff, 0x02, [15] = 0x6a};
        struct nlattr *table, *group, *router;
        struct nl_msg *m = mdb_message(RTM_GETMDB, AF_UNSPEC, 3);

        table = nla_nest_start(m, MDBA_MDB);
        group = nla_nest_start(m, MDBA_MDB_ENTRY);
        put_entry_info(m, 7, 0, 0, grp_a.bytes, 6, -1);
        put_entry_info(m, 5, 0, 0, grp_a.bytes, 6, -1);
        put_entry_info(m, 3, 0, 0, grp_a.bytes, 6, -1);
        nla_nest_end(m, group);
        group = nla_nest_start(m, MDBA_MDB_ENTRY);
        put_entry_info(m, 5, 0, htons(ETH_P_IP), ip4, sizeof(ip4), -1);
        nla_nest_end(m, group);
        group = nla_nest_start(m, MDBA_MDB_ENTRY);
        put_entry_info(m, 3, 0, htons(ETH_P_IPV6), ip6, sizeof(ip6), -1);
        nla_nest_end(m, group);
        group = nla_nest_start(m, MDBA_MDB_ENTRY);
        put_entry_info(m, 5, 10, 0, grp_c.bytes, 6, -1);
        nla_nest_end(m, group);
        nla_nest_end(m, table);

        router = nla_nest_start(m, MDBA_ROUTER);
        assert_int_equal(nla_put_u32(m, MDBA_ROUTER_PORT, 7), 0);
        nla_nest_end(m, router);
        return m;
}

static void test_mdb_parse(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *dump = dump_message(), *del = NULL, *empty = NULL;
        _cleanup_free_ MdbEntry *e = NULL;
        _cleanup_free_ char *s = NULL;
        struct nlattr *table, *group;
        bool removed = true;
        int bridge = -1;
        size_t n = 99;

        /* In message order; IP groups and router ports skipped, the host join kept. */
        assert_int_equal(mdb_message_parse(nlmsg_hdr(dump), nlmsg_hdr(dump)->nlmsg_len, &removed, &bridge,
                                         &e, &n),
                        0);
        assert_false(removed);
        assert_int_equal(bridge, 3);
        s = mdb_string(e, n);
        assert_string_equal(s, "01:00:5e:01:02:03@0/7,01:00:5e:01:02:03@0/5,01:00:5e:01:02:03@0/3,"
                               "33:33:00:00:00:01@10/5");
        for (size_t i = 0; i < n; i++)
                assert_true(e[i].permanent);
        e = mfree(e);

        /* A notification: AF_BRIDGE, one entry, the struct alone is enough. */
        del = mdb_message(RTM_DELMDB, AF_BRIDGE, 9);
        table = nla_nest_start(del, MDBA_MDB);
        group = nla_nest_start(del, MDBA_MDB_ENTRY);
        put_entry_info(del, 4, 20, 0, grp_d.bytes, 6, sizeof(struct br_mdb_entry));
        nla_nest_end(del, group);
        nla_nest_end(del, table);
        assert_int_equal(
                        mdb_message_parse(nlmsg_hdr(del), nlmsg_hdr(del)->nlmsg_len, &removed, NULL, &e, &n),
                        0);
        assert_true(removed);
        assert_int_equal(n, 1);
        assert_true(ether_addr_equal(&e[0].mac, &grp_d));
        assert_int_equal(e[0].vid, 20);
        assert_int_equal(e[0].port_ifindex, 4);
        e = mfree(e);

        /* A bridge with nothing (a dump of a bridge without snooping, or only router ports). */
        empty = mdb_message(RTM_GETMDB, AF_UNSPEC, 8);
        assert_int_equal(mdb_message_parse(nlmsg_hdr(empty), nlmsg_hdr(empty)->nlmsg_len, NULL, &bridge, &e,
                                         &n),
                        0);
        assert_int_equal(bridge, 8);
        assert_int_equal(n, 0);
        assert_null(e);
}

static void test_mdb_parse_bad(void **state) {
        static const struct {
                const char *name;
                int type;
                uint8_t family;
                int bridge, port, vid, info_len, expect;
        } cases[] = {
                        {"another message type", RTM_NEWNEIGH, AF_BRIDGE, 3, 5, 0, -1, -ENOMSG},
                        {"another family", RTM_NEWMDB, AF_INET, 3, 5, 0, -1, -EAFNOSUPPORT},
                        {"no bridge", RTM_NEWMDB, AF_BRIDGE, 0, 5, 0, -1, -EBADMSG},
                        {"no port", RTM_NEWMDB, AF_BRIDGE, 3, 0, 0, -1, -EBADMSG},
                        {"VID 4095", RTM_GETMDB, AF_UNSPEC, 3, 5, 4095, -1, -EBADMSG},
                        {"a short br_mdb_entry", RTM_GETMDB, AF_UNSPEC, 3, 5, 0, 20, -EBADMSG},
                        {"fine", RTM_GETMDB, AF_UNSPEC, 3, 5, 0, -1, 0},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
                MdbEntry dummy, *sentinel = &dummy, *e = sentinel;
                struct nlattr *table, *group;
                int bridge = -7;
                size_t n = 77;

                print_message("case: %s\n", cases[i].name);
                m = mdb_message(cases[i].type, cases[i].family, cases[i].bridge);
                table = nla_nest_start(m, MDBA_MDB);
                group = nla_nest_start(m, MDBA_MDB_ENTRY);
                put_entry_info(m, cases[i].port, cases[i].vid, 0, grp_a.bytes, 6, cases[i].info_len);
                nla_nest_end(m, group);
                nla_nest_end(m, table);
                assert_int_equal(mdb_message_parse(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, NULL, &bridge, &e,
                                                 &n),
                                cases[i].expect);
                if (cases[i].expect == 0) {
                        assert_int_equal(n, 1);
                        free(e);
                        continue;
                }
                /* Untouched on failure. */
                assert_ptr_equal(e, sentinel);
                assert_int_equal(n, 77);
                assert_int_equal(bridge, -7);
        }
}

static void test_mdb_parse_truncated(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = dump_message(), *whole = dump_message();
        struct nlmsghdr *nlh = nlmsg_hdr(m);
        const uint32_t table_offset = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct br_port_msg));
        MdbEntry *e = NULL;
        size_t n, n_bad = 0;

        /* A buffer shorter than the message says, and messages shorter than a br_port_msg. */
        assert_int_equal(mdb_message_parse(nlh, nlh->nlmsg_len - 1, NULL, NULL, &e, &n), -EBADMSG);
        assert_int_equal(mdb_message_parse(nlh, NLMSG_HDRLEN - 1, NULL, NULL, &e, &n), -EBADMSG);
        nlh->nlmsg_len = NLMSG_HDRLEN + 4;
        assert_int_equal(mdb_message_parse(nlh, nlh->nlmsg_len, NULL, NULL, &e, &n), -EBADMSG);
        assert_int_equal(mdb_message_parse(NULL, 100, NULL, NULL, &e, &n), -EINVAL);
        assert_null(e);

        /* Every cut of the table: malformed or a prefix, never a read past it (ASan). The header
         * and MDBA_MDB (the first attribute) are made to claim the cut length, so the cut lands
         * inside the table, where a group then claims more than there is. */
        for (uint32_t len = NLMSG_SPACE(sizeof(struct br_port_msg)); len < nlmsg_hdr(whole)->nlmsg_len;
                        len++) {
                _cleanup_free_ struct nlmsghdr *copy = malloc(len);
                struct nlattr *table;
                int r;

                assert_non_null(copy);
                memcpy(copy, nlmsg_hdr(whole), len);
                copy->nlmsg_len = len;
                table = (struct nlattr *) ((uint8_t *) copy + table_offset);
                if (len >= table_offset + NLA_HDRLEN && table->nla_len > len - table_offset)
                        table->nla_len = (uint16_t) (len - table_offset);
                e = NULL;
                r = mdb_message_parse(copy, len, NULL, NULL, &e, &n);
                assert_true(r == 0 || r == -EBADMSG);
                if (r == 0)
                        assert_true(n <= 4);
                else
                        n_bad++;
                free(e);
        }
        assert_true(n_bad > 0);
}

static void test_mdb_diff(void **state) {
        /* Not static: mdb_entry() is no constant expression. */
        const struct {
                const char *name;
                MdbEntry have[6];
                size_t n_have;
                MdbEntry want[6];
                size_t n_want;
                const char *del, *add;
        } cases[] = {
                        {"nothing", {}, 0, {}, 0, "", ""},
                        {"all new", {}, 0, {mdb_entry(&grp_b, 0, 4), mdb_entry(&grp_a, 0, 4)}, 2, "",
                                        "01:00:5e:01:02:03@0/4,01:00:5e:01:02:04@0/4"},
                        {"all gone", {mdb_entry(&grp_a, 0, 4), mdb_entry(&grp_c, 0, 4)}, 2, {}, 0,
                                        "01:00:5e:01:02:03@0/4,33:33:00:00:00:01@0/4", ""},
                        {"in step", {mdb_entry(&grp_a, 0, 4)}, 1, {mdb_entry(&grp_a, 0, 4)}, 1, "", ""},
                        {"the guest left one group and joined another",
                                        {mdb_entry(&grp_a, 0, 4), mdb_entry(&grp_b, 0, 4)}, 2,
                                        {mdb_entry(&grp_b, 0, 4), mdb_entry(&grp_c, 0, 4)}, 2,
                                        "01:00:5e:01:02:03@0/4", "33:33:00:00:00:01@0/4"},
                        {"the VID is part of the key", {mdb_entry(&grp_a, 0, 4)}, 1,
                                        {mdb_entry(&grp_a, 10, 4)}, 1, "01:00:5e:01:02:03@0/4",
                                        "01:00:5e:01:02:03@10/4"},
                        {"the port is part of the key", {mdb_entry(&grp_a, 0, 4)}, 1,
                                        {mdb_entry(&grp_a, 0, 5)}, 1, "01:00:5e:01:02:03@0/4",
                                        "01:00:5e:01:02:03@0/5"},
                        {"'permanent' is not compared", {mdb_entry(&grp_a, 0, 4)}, 1,
                                        {{.mac = grp_a, .port_ifindex = 4}}, 1, "", ""},
                        {"duplicates once, output sorted by port, VID, MAC",
                                        {mdb_entry(&grp_c, 0, 9), mdb_entry(&grp_c, 0, 9),
                                                        mdb_entry(&grp_a, 0, 9)},
                                        3,
                                        {mdb_entry(&grp_d, 5, 4), mdb_entry(&grp_b, 0, 4),
                                                        mdb_entry(&grp_d, 5, 4), mdb_entry(&grp_a, 5, 4)},
                                        4, "01:00:5e:01:02:03@0/9,33:33:00:00:00:01@0/9",
                                        "01:00:5e:01:02:04@0/4,01:00:5e:01:02:03@5/4,01:80:c2:00:00:21@5/4"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ MdbEntry *del = NULL, *add = NULL;
                _cleanup_free_ char *d = NULL, *a = NULL;
                size_t n_del = 99, n_add = 99;

                print_message("case: %s\n", cases[i].name);
                assert_int_equal(mdb_diff(cases[i].have, cases[i].n_have, cases[i].want, cases[i].n_want,
                                                 &del, &n_del, &add, &n_add),
                                0);
                d = mdb_string(del, n_del);
                a = mdb_string(add, n_add);
                assert_string_equal(d, cases[i].del);
                assert_string_equal(a, cases[i].add);
                assert_true((n_del == 0) == (del == NULL));
                assert_true((n_add == 0) == (add == NULL));
        }
}

static void test_mdb_diff_errors(void **state) {
        MdbEntry *del = NULL, *add = NULL, e = mdb_entry(&grp_a, 0, 4);
        size_t n_del = 0, n_add = 0;

        assert_int_equal(mdb_diff(NULL, 1, &e, 1, &del, &n_del, &add, &n_add), -EINVAL);
        assert_int_equal(mdb_diff(&e, 1, NULL, 1, &del, &n_del, &add, &n_add), -EINVAL);
        assert_int_equal(mdb_diff(&e, 1, &e, 1, NULL, &n_del, &add, &n_add), -EINVAL);
        assert_int_equal(mdb_diff(NULL, 0, NULL, 0, &del, &n_del, &add, NULL), -EINVAL);
        assert_null(del);
        assert_null(add);
}

/* ============================== netns: the running kernel =================================== */

static const char *ip_tool = "ip", *bridge_tool = "bridge", *jq_tool = "jq";
static Rtnl *rtnl;
static int ifindex_br0, ifindex_br1, ifindex_p1, ifindex_p2, ifindex_p3, ifindex_p1b, ifindex_q1;

/* The kernel's answer to vlan_filtering 1, probed once in main(). */
static int vlan_error;
static char vlan_ext_ack[256];

/* Runs a shell command line built from 'format'; returns its exit status, -1 when it died. */
_printf_(1, 2) static int run(const char *format, ...) {
        _cleanup_free_ char *cmd = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&cmd, format, ap);
        va_end(ap);
        assert_true(r > 0);

        r = system(cmd);
        if (r < 0 || !WIFEXITED(r))
                return -1;
        return WEXITSTATUS(r);
}

/* Runs a command line and returns its stdout without the trailing newline (malloc'ed); the
 * command must succeed. */
_printf_(1, 2) static char *run_output(const char *format, ...) {
        _cleanup_free_ char *cmd = NULL;
        char *buf = NULL, chunk[4096];
        size_t size = 0, n;
        va_list ap;
        FILE *f, *out;
        int r;

        va_start(ap, format);
        r = vasprintf(&cmd, format, ap);
        va_end(ap);
        assert_true(r > 0);

        out = open_memstream(&buf, &size);
        assert_non_null(out);
        f = popen(cmd, "r");
        assert_non_null(f);
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                assert_int_equal(fwrite(chunk, 1, n, out), n);
        r = pclose(f);
        assert_int_equal(fclose(out), 0);
        if (!WIFEXITED(r) || WEXITSTATUS(r) != 0)
                fail_msg("command failed: %s", cmd);
        while (size > 0 && buf[size - 1] == '\n')
                buf[--size] = '\0';
        return buf;
}

static bool kernel_at_least(unsigned major, unsigned minor) {
        struct utsname u;
        unsigned a = 0, b = 0;

        assert_int_equal(uname(&u), 0);
        assert_int_equal(sscanf(u.release, "%u.%u", &a, &b), 2);
        return a > major || (a == major && b >= minor);
}

typedef struct Reply {
        unsigned calls;
        int error;
        char ext_ack[256];
} Reply;

static void reply_handler(int error, const char *ext_ack, void *userdata) {
        Reply *reply = userdata;

        reply->calls++;
        reply->error = error;
        snprintf(reply->ext_ack, sizeof(reply->ext_ack), "%s", strempty(ext_ack));
}

/* Sends 'm' through rtnl_send() and runs rtnl_process() until its handler ran, once. */
static Reply send_and_wait(struct nl_msg *m) {
        static Reply reply; /* static: a late call after a failed test must not hit a dead stack */

        reply = (Reply){};
        assert_int_equal(rtnl_send(rtnl, m, reply_handler, &reply), 0);
        for (int waited = 0; reply.calls < 1 && waited < WAIT_MSEC; waited += 20) {
                struct pollfd p = {.fd = rtnl_get_fd(rtnl), .events = POLLIN};

                if (poll(&p, 1, 20) > 0)
                        assert_true(rtnl_process(rtnl) >= 0);
        }
        assert_int_equal(reply.calls, 1);
        assert_int_equal(rtnl_in_flight(rtnl), 0);
        if (reply.error < 0)
                print_message("kernel: %s%s%s\n", strerror(-reply.error), reply.ext_ack[0] ? ": " : "",
                                reply.ext_ack);
        return reply;
}

/* Adds or deletes one L2 entry of bridge 'bridge' through the API; returns the kernel's reply. */
static Reply mdb_on(int bridge, bool add, const EtherAddr *group, uint16_t vid, int port) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = nlmsg_alloc();
        MdbEntry e = mdb_entry(group, vid, port);

        assert_non_null(m);
        assert_int_equal(bridge_mdb_fill(m, add, bridge, &e), 0);
        return send_and_wait(m);
}

static int mdb(bool add, const EtherAddr *group, uint16_t vid, int port) {
        return mdb_on(ifindex_br0, add, group, vid, port).error;
}

/* The kernel's answer must be 'error' with extended ACK 'ext_ack' ("" = none). */
static void assert_reply(Reply reply, int error, const char *ext_ack) {
        assert_int_equal(reply.error, error);
        assert_string_equal(reply.ext_ack, ext_ack);
}

static bool snooping(int bridge) {
        bool on = false;

        assert_int_equal(rtnl_bridge_get_mcast_snooping(rtnl, bridge, &on), 0);
        return on;
}

/* The L2 entries `bridge -j mdb show dev BRIDGE` lists, of port IFNAME (all if NULL), as
 * "port/mac@vid,..." sorted. IPv4/IPv6 groups (no MAC form) are left out. */
static char *bridge_mdb_l2(const char *bridge, const char *ifname) {
        _cleanup_free_ char *filter = NULL;

        if (ifname)
                assert_true(asprintf(&filter, ".port == \"%s\"", ifname) > 0);
        else
                filter = strdup("true");
        assert_non_null(filter);
        return run_output("%s -j mdb show dev %s | %s -r '[.[].mdb[]? | select(.grp | "
                          "test(\"^([0-9a-f]{2}:){5}[0-9a-f]{2}$\")) | select(%s) | "
                          "\"\\(.port)/\\(.grp)@\\(.vid // 0)\"] | sort | join(\",\")'",
                        bridge_tool, bridge, jq_tool, filter);
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The same from rtnl_mdb_dump(). */
static char *dump_mdb(int bridge, int port) {
        _cleanup_free_ MdbEntry *e = NULL;
        _cleanup_free_ char **items = NULL;
        char *buf = NULL, a[ETHER_ADDR_STRING_MAX], name[IF_NAMESIZE];
        size_t n = 0, size = 0;
        FILE *f;

        assert_int_equal(rtnl_mdb_dump(rtnl, bridge, port, &e, &n), 0);
        assert_true((n == 0) == (e == NULL));
        items = new0(char *, n + 1);
        assert_non_null(items);
        for (size_t i = 0; i < n; i++) {
                if (port > 0)
                        assert_int_equal(e[i].port_ifindex, port);
                /* The kernel reports every L2 entry as permanent. */
                assert_true(e[i].permanent);
                assert_true(ether_addr_is_multicast(&e[i].mac));
                assert_non_null(if_indextoname((unsigned) e[i].port_ifindex, name));
                assert_true(asprintf(&items[i], "%s/%s@%u", name, ether_addr_to_string(&e[i].mac, a),
                                            e[i].vid) > 0);
        }
        qsort(items, n, sizeof(char *), strcmp_ptr);
        f = open_memstream(&buf, &size);
        assert_non_null(f);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "%s%s", i ? "," : "", items[i]);
                free(items[i]);
        }
        assert_int_equal(fclose(f), 0);
        return buf;
}

/* Ours and iproute2's view of br0's L2 entries (port IFNAME, or all) must both be 'want'. */
static void assert_mdb(const char *ifname, int ifindex, const char *want) {
        _cleanup_free_ char *ours = dump_mdb(ifindex_br0, ifindex), *theirs = bridge_mdb_l2("br0", ifname);

        assert_string_equal(ours, want);
        assert_string_equal(theirs, want);
}

/* Skips the calling test when the kernel cannot filter VLANs, with its answer. */
static void require_vlan_filtering(void) {
        if (vlan_error == 0)
                return;
        print_message("SKIP: this kernel has no bridge VLAN filtering: vlan_filtering 1 -> %s (%s)%s%s\n",
                        strerror(-vlan_error), vlan_error == -EOPNOTSUPP ? "EOPNOTSUPP" : "?",
                        vlan_ext_ack[0] ? ", extended ACK: " : ", no extended ACK", vlan_ext_ack);
        skip();
}

static void test_mcast_snooping(void **state) {
        _cleanup_free_ char *s = NULL;
        bool on = false;

        assert_true(snooping(ifindex_br0));
        s = run_output("%s -j -d link show dev br0 | %s -r '.[0].linkinfo.info_data.mcast_snooping'",
                        ip_tool, jq_tool);
        assert_string_equal(s, "1");

        assert_int_equal(run("%s link set dev br0 type bridge mcast_snooping 0", ip_tool), 0);
        assert_false(snooping(ifindex_br0));
        s = mfree(s);
        s = run_output("%s -j -d link show dev br0 | %s -r '.[0].linkinfo.info_data.mcast_snooping'",
                        ip_tool, jq_tool);
        assert_string_equal(s, "0");
        assert_int_equal(run("%s link set dev br0 type bridge mcast_snooping 1", ip_tool), 0);
        assert_true(snooping(ifindex_br0));

        assert_int_equal(rtnl_bridge_get_mcast_snooping(rtnl, ifindex_p1, &on), -EMEDIUMTYPE);
        assert_int_equal(rtnl_bridge_get_mcast_snooping(rtnl, 99999, &on), -ENODEV);
        assert_int_equal(rtnl_bridge_get_mcast_snooping(rtnl, 0, &on), -EINVAL);
}

static void test_mdb_add_del(void **state) {
        assert_mdb(NULL, 0, "");

        /* `bridge mdb add dev br0 port p1 grp 01:00:5e:01:02:03 permanent` */
        assert_int_equal(mdb(true, &grp_a, 0, ifindex_p1), 0);
        assert_mdb("p1", ifindex_p1, "p1/01:00:5e:01:02:03@0");
        assert_mdb("p2", ifindex_p2, "");

        /* Again: NLM_F_REPLACE makes it a no-op from Linux 6.3 on; before, the kernel ignores the
         * flag and refuses (its message has changed over time). */
        if (kernel_at_least(6, 3))
                assert_reply(mdb_on(ifindex_br0, true, &grp_a, 0, ifindex_p1), 0, "");
        else
                assert_int_equal(mdb(true, &grp_a, 0, ifindex_p1), -EEXIST);
        assert_mdb("p1", ifindex_p1, "p1/01:00:5e:01:02:03@0");

        /* The key is (group, VID) per port: a second port, a VID, other kinds of group. Without
         * VLAN filtering the VID is not checked (and never matches a frame). */
        assert_int_equal(mdb(true, &grp_a, 0, ifindex_p2), 0);
        assert_int_equal(mdb(true, &grp_a, 10, ifindex_p1), 0);
        assert_int_equal(mdb(true, &grp_c, 0, ifindex_p1), 0);
        assert_int_equal(mdb(true, &(EtherAddr){{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, 0, ifindex_p1), 0);
        assert_mdb("p1", ifindex_p1,
                        "p1/01:00:5e:01:02:03@0,p1/01:00:5e:01:02:03@10,p1/33:33:00:00:00:01@0,"
                        "p1/ff:ff:ff:ff:ff:ff@0");
        assert_mdb(NULL, 0,
                        "p1/01:00:5e:01:02:03@0,p1/01:00:5e:01:02:03@10,p1/33:33:00:00:00:01@0,"
                        "p1/ff:ff:ff:ff:ff:ff@0,p2/01:00:5e:01:02:03@0");

        /* A host join names the bridge as the port; again, the same as for a port. */
        assert_int_equal(mdb(true, &grp_b, 0, ifindex_br0), 0);
        if (kernel_at_least(6, 3))
                assert_reply(mdb_on(ifindex_br0, true, &grp_b, 0, ifindex_br0), 0, "");
        else
                assert_int_equal(mdb(true, &grp_b, 0, ifindex_br0), -EEXIST);
        assert_mdb("br0", ifindex_br0, "br0/01:00:5e:01:02:04@0");
        assert_int_equal(mdb(false, &grp_b, 0, ifindex_br0), 0);

        /* IP groups share the table, iproute2's and the snooped ones: not ours, not listed. */
        assert_int_equal(run("%s mdb add dev br0 port p1 grp 239.1.1.1 permanent", bridge_tool), 0);
        assert_mdb("p1", ifindex_p1,
                        "p1/01:00:5e:01:02:03@0,p1/01:00:5e:01:02:03@10,p1/33:33:00:00:00:01@0,"
                        "p1/ff:ff:ff:ff:ff:ff@0");

        /* Deleted one by one; a second delete is -EINVAL without a message (no -ENOENT here). */
        assert_int_equal(mdb(false, &grp_a, 10, ifindex_p1), 0);
        assert_mdb("p1", ifindex_p1, "p1/01:00:5e:01:02:03@0,p1/33:33:00:00:00:01@0,p1/ff:ff:ff:ff:ff:ff@0");
        assert_reply(mdb_on(ifindex_br0, false, &grp_a, 10, ifindex_p1), -EINVAL, "");
        assert_int_equal(mdb(false, &grp_a, 0, ifindex_p1), 0);
        assert_int_equal(mdb(false, &grp_c, 0, ifindex_p1), 0);
        assert_int_equal(mdb(false, &(EtherAddr){{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, 0, ifindex_p1), 0);
        assert_mdb("p1", ifindex_p1, "");
        assert_mdb(NULL, 0, "p2/01:00:5e:01:02:03@0");

        /* Behind our back, with iproute2. */
        assert_int_equal(
                        run("%s mdb add dev br0 port p1 grp 01:80:c2:00:00:21 permanent vid 7", bridge_tool),
                        0);
        assert_mdb("p1", ifindex_p1, "p1/01:80:c2:00:00:21@7");
        assert_int_equal(mdb(false, &grp_d, 7, ifindex_p1), 0);
        assert_int_equal(mdb(false, &grp_a, 0, ifindex_p2), 0);
        assert_mdb(NULL, 0, "");
        assert_int_equal(run("%s mdb del dev br0 port p1 grp 239.1.1.1", bridge_tool), 0);
}

static void test_mdb_errors(void **state) {
        _cleanup_free_ MdbEntry *e = NULL;
        size_t n;

        /* Not a port, a port of another bridge, a missing port. */
        assert_reply(mdb_on(ifindex_br0, true, &grp_a, 0, ifindex_p1b), -EINVAL,
                        "bridge: Net device is not a bridge port");
        assert_reply(mdb_on(ifindex_br0, true, &grp_a, 0, ifindex_q1), -EINVAL,
                        "bridge: Port belongs to a different bridge device");
        assert_int_equal(mdb(true, &grp_a, 0, 99999), -ENODEV);

        /* Not a bridge, no such bridge (the messages differ between kernels). */
        assert_int_equal(mdb_on(ifindex_p1, true, &grp_a, 0, ifindex_p1).error, -EOPNOTSUPP);
        assert_int_equal(mdb_on(99999, true, &grp_a, 0, ifindex_p1).error, -ENODEV);

        /* A bridge that is down. */
        assert_int_equal(run("%s link set dev br0 down", ip_tool), 0);
        assert_reply(mdb_on(ifindex_br0, true, &grp_a, 0, ifindex_p1), -EINVAL,
                        "bridge: Bridge device is not running");
        assert_int_equal(run("%s link set dev br0 up", ip_tool), 0);

        /* The dump has no filter; a link that is no bridge gets no message of its own. */
        assert_int_equal(rtnl_mdb_dump(rtnl, ifindex_p1, 0, &e, &n), -ENODEV);
        assert_int_equal(rtnl_mdb_dump(rtnl, 99999, 0, &e, &n), -ENODEV);
        assert_int_equal(rtnl_mdb_dump(rtnl, 0, 0, &e, &n), -EINVAL);
        assert_null(e);
}

static void test_mdb_snooping_off(void **state) {
        /* Entries need snooping: with it off the kernel takes neither adds nor deletes... */
        assert_int_equal(mdb(true, &grp_a, 0, ifindex_p1), 0);
        assert_int_equal(run("%s link set dev br0 type bridge mcast_snooping 0", ip_tool), 0);
        assert_false(snooping(ifindex_br0));
        assert_reply(mdb_on(ifindex_br0, true, &grp_b, 0, ifindex_p1), -EINVAL,
                        "bridge: Bridge's multicast processing is disabled");
        /* (6.1 says why for the add only.) */
        assert_int_equal(mdb(false, &grp_a, 0, ifindex_p1), -EINVAL);

        /* ...but keeps those it has, for when it is on again. */
        assert_int_equal(run("%s link set dev br0 type bridge mcast_snooping 1", ip_tool), 0);
        assert_mdb("p1", ifindex_p1, "p1/01:00:5e:01:02:03@0");
        assert_int_equal(mdb(false, &grp_a, 0, ifindex_p1), 0);
}

static void test_mdb_hash_max(void **state) {
        _cleanup_free_ char *s = NULL;
        EtherAddr g = grp_a;

        /* The table of br1 holds 4 groups (IPv6 is off: no snooped ones). The fifth is -E2BIG,
         * and the kernel then turns snooping off for the whole bridge: every port floods again
         * and no entry can be added or deleted until someone turns it back on. A guest must not
         * be able to get that far. */
        assert_int_equal(run("%s link set dev br1 type bridge mcast_hash_max 4", ip_tool), 0);
        for (uint8_t i = 0; i < 4; i++) {
                g.bytes[5] = 0x10 + i;
                assert_int_equal(mdb_on(ifindex_br1, true, &g, 0, ifindex_q1).error, 0);
        }
        g.bytes[5] = 0x20;
        assert_reply(mdb_on(ifindex_br1, true, &g, 0, ifindex_q1), -E2BIG, "");
        assert_false(snooping(ifindex_br1));
        s = run_output("%s -j -d link show dev br1 | %s -r '.[0].linkinfo.info_data.mcast_snooping'",
                        ip_tool, jq_tool);
        assert_string_equal(s, "0");

        /* Back on, with room: the four are still there. */
        assert_int_equal(run("%s link set dev br1 type bridge mcast_hash_max 512 mcast_snooping 1", ip_tool),
                        0);
        s = mfree(s);
        s = dump_mdb(ifindex_br1, ifindex_q1);
        assert_string_equal(s, "q1/01:00:5e:01:02:10@0,q1/01:00:5e:01:02:11@0,q1/01:00:5e:01:02:12@0,"
                               "q1/01:00:5e:01:02:13@0");
        /* Another bridge's entries are not br0's. */
        assert_mdb(NULL, 0, "");
        for (uint8_t i = 0; i < 4; i++) {
                g.bytes[5] = 0x10 + i;
                assert_int_equal(mdb_on(ifindex_br1, false, &g, 0, ifindex_q1).error, 0);
        }
}

static void test_mdb_port_state(void **state) {
        /* A port that is down (a guest not running yet) takes permanent entries (Linux >= 6.0)
         * and keeps them while down. */
        assert_int_equal(run("%s link set dev p1 down", ip_tool), 0);
        assert_int_equal(mdb(true, &grp_a, 0, ifindex_p1), 0);
        assert_mdb("p1", ifindex_p1, "p1/01:00:5e:01:02:03@0");
        assert_int_equal(run("%s link set dev p1 up", ip_tool), 0);
        assert_mdb("p1", ifindex_p1, "p1/01:00:5e:01:02:03@0");

        /* A port leaving the bridge takes its entries along. */
        assert_int_equal(run("%s link set dev p1 nomaster", ip_tool), 0);
        assert_mdb(NULL, 0, "");
        assert_int_equal(run("%s link set dev p1 master br0 && %s link set dev p1 up", ip_tool, ip_tool), 0);
        assert_mdb("p1", ifindex_p1, "");
}

/* A raw socket on 'ifindex' that sees every frame arriving there. */
static int packet_socket(int ifindex) {
        struct sockaddr_ll sll = {
                        .sll_family = AF_PACKET,
                        .sll_protocol = htons(ETH_P_ALL),
                        .sll_ifindex = ifindex,
        };
        int fd;

        fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sll, sizeof(sll)), 0);
        return fd;
}

static const EtherAddr frame_src = {{0x02, 0xaa, 0x00, 0x00, 0x00, 0x99}};

/* Sends a 60-byte frame to 'dst' out of 'ifindex': EtherType 'type', 'tag' as its first payload
 * byte; for IPv4 a valid header to 224.1.2.3 (the bridge drops a broken one). */
static void send_frame(int ifindex, const EtherAddr *dst, uint16_t type, uint8_t tag) {
        struct sockaddr_ll sll = {
                        .sll_family = AF_PACKET,
                        .sll_ifindex = ifindex,
                        .sll_halen = 6,
        };
        uint8_t frame[60] = {}, *p = frame + 14;
        _cleanup_close_ int fd = -EBADF;

        memcpy(frame, dst->bytes, 6);
        memcpy(frame + 6, frame_src.bytes, 6);
        frame[12] = type >> 8;
        frame[13] = type & 0xff;
        if (type == ETH_P_IP) {
                static const uint8_t hdr[20] = {
                                0x45, 0, 0, 46, 0, 0, 0, 0, 1, 17, 0, 0, 192, 0, 2, 9, 224, 1, 2, 3};
                uint32_t sum = 0;

                memcpy(p, hdr, sizeof(hdr));
                for (size_t i = 0; i < sizeof(hdr); i += 2)
                        sum += (uint32_t) (p[i] << 8 | p[i + 1]);
                while (sum >> 16)
                        sum = (sum & 0xffff) + (sum >> 16);
                p[10] = (uint8_t) (~sum >> 8);
                p[11] = (uint8_t) ~sum;
                p += sizeof(hdr) + 8; /* the UDP header */
        }
        p[0] = tag;
        memcpy(sll.sll_addr, dst->bytes, 6);
        fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *) &sll, sizeof(sll)),
                        sizeof(frame));
}

/* Reads 'fd' until the broadcast fence tagged 'tag' arrives; returns how many frames to 'dst'
 * tagged 'tag' came before it. The fence follows the same path, so nothing is still on its way. */
static unsigned count_until_fence(int fd, const EtherAddr *dst, uint16_t type, uint8_t tag) {
        static const EtherAddr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
        unsigned n = 0;

        for (int waited = 0; waited < WAIT_MSEC;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                uint8_t buf[256];
                size_t off = type == ETH_P_IP ? 14 + 28 : 14;
                ssize_t k;

                if (poll(&p, 1, 20) <= 0) {
                        waited += 20;
                        continue;
                }
                k = recv(fd, buf, sizeof(buf), 0);
                if (k < 60 || memcmp(buf + 6, frame_src.bytes, 6) != 0)
                        continue;
                if (memcmp(buf, bcast.bytes, 6) == 0 && buf[14] == tag)
                        return n;
                if (memcmp(buf, dst->bytes, 6) == 0 && (buf[12] << 8 | buf[13]) == type && buf[off] == tag)
                        n++;
        }
        fail_msg("the fence frame did not arrive");
        return 0;
}

/* Sends a frame to 'dst' from p3b and returns who got it: "p1b p2b" as "1 1", "1 0"... */
static char *deliveries(const EtherAddr *dst, uint16_t type) {
        static const EtherAddr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
        static uint8_t tag = 0;
        _cleanup_close_ int fd1 = -EBADF, fd2 = -EBADF;
        int ifindex_p3b = (int) if_nametoindex("p3b"), ifindex_p2b = (int) if_nametoindex("p2b");
        char *s = NULL;
        unsigned n1, n2;

        tag++;
        fd1 = packet_socket(ifindex_p1b);
        fd2 = packet_socket(ifindex_p2b);
        send_frame(ifindex_p3b, dst, type, tag);
        send_frame(ifindex_p3b, &bcast, 0x88b5, tag);
        n1 = count_until_fence(fd1, dst, type, tag);
        n2 = count_until_fence(fd2, dst, type, tag);
        assert_true(asprintf(&s, "%u %u", n1, n2) > 0);
        return s;
}

static void assert_deliveries(const EtherAddr *dst, uint16_t type, const char *want) {
        _cleanup_free_ char *got = deliveries(dst, type);
        char a[ETHER_ADDR_STRING_MAX];

        print_message("%s type %#06x: p1b p2b got %s\n", ether_addr_to_string(dst, a), type, got);
        assert_string_equal(got, want);
}

static void test_mdb_forwarding(void **state) {
        /* Unknown multicast floods. */
        assert_deliveries(&grp_a, 0x88b5, "1 1");

        /* Without VLAN filtering frames have VID 0: an entry with a VID is never used. */
        assert_int_equal(mdb(true, &grp_a, 10, ifindex_p2), 0);
        assert_deliveries(&grp_a, 0x88b5, "1 1");
        assert_int_equal(mdb(false, &grp_a, 10, ifindex_p2), 0);

        /* An L2 entry on p1: frames to the group go to p1 only; other groups still flood. */
        assert_int_equal(mdb(true, &grp_a, 0, ifindex_p1), 0);
        assert_deliveries(&grp_a, 0x88b5, "1 0");
        assert_deliveries(&grp_b, 0x88b5, "1 1");

        /* The bridge looks L2 entries up for frames that are neither IPv4 nor IPv6 only: IPv4 to
         * 224.1.2.3 (MAC 01:00:5e:01:02:03) is looked up by its IP group and, with no querier,
         * flooded. */
        assert_deliveries(&grp_a, ETH_P_IP, "1 1");

        /* A port with mcast_flood off gets its groups only. */
        assert_int_equal(run("%s link set dev p2 mcast_flood off", bridge_tool), 0);
        assert_int_equal(mdb(true, &grp_b, 0, ifindex_p2), 0);
        assert_deliveries(&grp_a, 0x88b5, "1 0");
        assert_deliveries(&grp_b, 0x88b5, "0 1");
        assert_deliveries(&grp_c, 0x88b5, "1 0");
        assert_deliveries(&grp_a, ETH_P_IP, "1 0");

        /* Snooping off: the entries stay but are not used; everything floods. */
        assert_int_equal(run("%s link set dev br0 type bridge mcast_snooping 0", ip_tool), 0);
        assert_deliveries(&grp_b, 0x88b5, "1 0");
        assert_deliveries(&grp_a, 0x88b5, "1 0");
        assert_int_equal(run("%s link set dev p2 mcast_flood on", bridge_tool), 0);
        assert_deliveries(&grp_a, 0x88b5, "1 1");
        assert_int_equal(run("%s link set dev br0 type bridge mcast_snooping 1", ip_tool), 0);
        assert_deliveries(&grp_a, 0x88b5, "1 0");
}

/* Applies mdb_diff() between the kernel's entries of p1 and 'want' (n entries). */
static void mdb_reconcile(const MdbEntry *want, size_t n_want, size_t expect_del, size_t expect_add) {
        _cleanup_free_ MdbEntry *have = NULL, *del = NULL, *add = NULL;
        size_t n_have, n_del, n_add;

        assert_int_equal(rtnl_mdb_dump(rtnl, ifindex_br0, ifindex_p1, &have, &n_have), 0);
        assert_int_equal(mdb_diff(have, n_have, want, n_want, &del, &n_del, &add, &n_add), 0);
        assert_int_equal(n_del, expect_del);
        assert_int_equal(n_add, expect_add);
        for (size_t i = 0; i < n_del; i++)
                assert_int_equal(mdb(false, &del[i].mac, del[i].vid, del[i].port_ifindex), 0);
        for (size_t i = 0; i < n_add; i++)
                assert_int_equal(mdb(true, &add[i].mac, add[i].vid, add[i].port_ifindex), 0);
}

static void test_mdb_diff_reconcile(void **state) {
        MdbEntry want[] = {
                        mdb_entry(&grp_a, 0, ifindex_p1),
                        mdb_entry(&grp_b, 0, ifindex_p1),
                        mdb_entry(&grp_c, 0, ifindex_p1),
        };

        /* Another port's entry and an IP group on p1 are not in the dump, so they stay. */
        assert_int_equal(mdb(true, &grp_d, 0, ifindex_p2), 0);
        assert_int_equal(run("%s mdb add dev br0 port p1 grp 239.1.1.1 permanent", bridge_tool), 0);

        mdb_reconcile(want, 2, 0, 2);
        assert_mdb("p1", ifindex_p1, "p1/01:00:5e:01:02:03@0,p1/01:00:5e:01:02:04@0");
        mdb_reconcile(want, 2, 0, 0);

        /* The guest left one group and joined another. */
        mdb_reconcile(want + 1, 2, 1, 1);
        assert_mdb("p1", ifindex_p1, "p1/01:00:5e:01:02:04@0,p1/33:33:00:00:00:01@0");
        mdb_reconcile(want + 1, 2, 0, 0);

        mdb_reconcile(NULL, 0, 2, 0);
        assert_mdb(NULL, 0, "p2/01:80:c2:00:00:21@0");
        mdb_reconcile(NULL, 0, 0, 0);

        assert_int_equal(run("%s -j mdb show dev br0 | %s -e '[.[].mdb[]? | select(.grp == \"239.1.1.1\")] "
                             "| length == 1' >/dev/null",
                                         bridge_tool, jq_tool),
                        0);
        assert_int_equal(run("%s mdb del dev br0 port p1 grp 239.1.1.1", bridge_tool), 0);
        assert_int_equal(mdb(false, &grp_d, 0, ifindex_p2), 0);
}

static void test_mdb_dump_large(void **state) {
        _cleanup_free_ char *count = NULL;
        _cleanup_free_ MdbEntry *e = NULL;
        EtherAddr g = grp_a;
        size_t n;

        /* 2 x 400 entries: far more than one dump message holds (the kernel goes on in the next
         * one, also in the middle of a group). */
        for (unsigned i = 0; i < 400; i++) {
                g.bytes[4] = (uint8_t) (i >> 8);
                g.bytes[5] = (uint8_t) i;
                assert_int_equal(mdb(true, &g, 0, ifindex_p1), 0);
                assert_int_equal(mdb(true, &g, 0, ifindex_p2), 0);
        }
        assert_int_equal(rtnl_mdb_dump(rtnl, ifindex_br0, 0, &e, &n), 0);
        assert_int_equal(n, 800);
        for (size_t i = 1; i < n; i++)
                assert_true(e[i - 1].port_ifindex < e[i].port_ifindex ||
                                (e[i - 1].port_ifindex == e[i].port_ifindex &&
                                                ether_addr_compare(&e[i - 1].mac, &e[i].mac) < 0));
        e = mfree(e);
        assert_int_equal(rtnl_mdb_dump(rtnl, ifindex_br0, ifindex_p2, &e, &n), 0);
        assert_int_equal(n, 400);
        count = run_output("%s -j mdb show dev br0 | %s '[.[].mdb[]? | select(.port == \"p2\")] | length'",
                        bridge_tool, jq_tool);
        assert_string_equal(count, "400");
        /* Removed with the teardown's flush. */
}

static void test_mdb_vlan(void **state) {
        require_vlan_filtering();

        /* p1 in VLANs 10 and 20. */
        assert_int_equal(run("%s link set dev br0 type bridge vlan_filtering 1", ip_tool), 0);
        assert_int_equal(run("%s vlan add dev p1 vid 10 && %s vlan add dev p1 vid 20", bridge_tool,
                                         bridge_tool),
                        0);

        /* `bridge mdb add dev br0 port p1 grp 01:00:5e:01:02:03 permanent vid 10` */
        assert_int_equal(mdb(true, &grp_a, 10, ifindex_p1), 0);
        assert_mdb("p1", ifindex_p1, "p1/01:00:5e:01:02:03@10");

        /* Without a VID the kernel adds one entry per VLAN of the port, and none for VID 0;
         * a delete without VID removes them all. */
        assert_int_equal(mdb(true, &grp_b, 0, ifindex_p1), 0);
        assert_mdb("p1", ifindex_p1,
                        "p1/01:00:5e:01:02:03@10,p1/01:00:5e:01:02:04@10,p1/01:00:5e:01:02:04@20");
        assert_int_equal(mdb(false, &grp_b, 0, ifindex_p1), 0);
        assert_mdb("p1", ifindex_p1, "p1/01:00:5e:01:02:03@10");

        /* A VLAN the port does not have is not checked. */
        assert_int_equal(mdb(true, &grp_c, 30, ifindex_p1), 0);
        assert_mdb("p1", ifindex_p1, "p1/01:00:5e:01:02:03@10,p1/33:33:00:00:00:01@30");

        assert_int_equal(mdb(false, &grp_c, 30, ifindex_p1), 0);
        assert_int_equal(mdb(false, &grp_a, 10, ifindex_p1), 0);
        assert_mdb(NULL, 0, "");
}

/* A fresh connection per test, so one test's failure leaves nothing in flight for the next. */
static int setup_rtnl(void **state) {
        return rtnl_new(&rtnl) < 0 ? -1 : 0;
}

/* Deletes every L2 entry of 'bridge' without waiting for the replies. */
static void mdb_flush(int bridge) {
        _cleanup_free_ MdbEntry *e = NULL;
        size_t n = 0;

        if (rtnl_mdb_dump(rtnl, bridge, 0, &e, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                _cleanup_(nlmsg_freep) struct nl_msg *m = nlmsg_alloc();

                if (m && bridge_mdb_fill(m, false, bridge, &e[i]) >= 0)
                        (void) rtnl_send(rtnl, m, NULL, NULL);
        }
}

/* Puts the bridges back as setup() left them, whatever the test did or where it failed. */
static int teardown_rtnl(void **state) {
        (void) run("%s link set dev br0 up type bridge mcast_snooping 1; "
                   "%s link set dev br1 up type bridge mcast_snooping 1 mcast_hash_max 4096; "
                   "%s link set dev br0 type bridge vlan_filtering 0 2>/dev/null; "
                   "%s link set dev p2 mcast_flood on; true",
                        ip_tool, ip_tool, ip_tool, bridge_tool);
        mdb_flush(ifindex_br0);
        mdb_flush(ifindex_br1);
        while (rtnl_in_flight(rtnl) > 0) {
                struct pollfd p = {.fd = rtnl_get_fd(rtnl), .events = POLLIN};

                if (poll(&p, 1, WAIT_MSEC) <= 0 || rtnl_process(rtnl) < 0)
                        break;
        }
        rtnl = rtnl_free(rtnl);
        return 0;
}

static int setup(void **state) {
        if (run("%s link add br0 type bridge vlan_default_pvid 0 mcast_snooping 1 && "
                "%s link add br1 type bridge vlan_default_pvid 0 mcast_snooping 1",
                            ip_tool, ip_tool) != 0 ||
                        run("for p in p1 p2 p3 q1; do %s link add $p type veth peer name ${p}b || exit 1; "
                            "done",
                                        ip_tool) != 0 ||
                        run("for p in p1 p2 p3; do %s link set dev $p master br0 || exit 1; done && "
                            "%s link set dev q1 master br1",
                                        ip_tool, ip_tool) != 0 ||
                        run("for l in br0 br1 p1 p1b p2 p2b p3 p3b q1 q1b; do %s link set dev $l up || exit "
                            "1; "
                            "done",
                                        ip_tool) != 0)
                return -1;

        ifindex_br0 = (int) if_nametoindex("br0");
        ifindex_br1 = (int) if_nametoindex("br1");
        ifindex_p1 = (int) if_nametoindex("p1");
        ifindex_p2 = (int) if_nametoindex("p2");
        ifindex_p3 = (int) if_nametoindex("p3");
        ifindex_p1b = (int) if_nametoindex("p1b");
        ifindex_q1 = (int) if_nametoindex("q1");
        if (ifindex_br0 <= 0 || ifindex_br1 <= 0 || ifindex_p1 <= 0 || ifindex_p2 <= 0 || ifindex_p3 <= 0 ||
                        ifindex_p1b <= 0 || ifindex_q1 <= 0)
                return -1;
        return 0;
}

static int teardown(void **state) {
        /* The namespace goes away with this process; delete what we made all the same. */
        (void) run("for l in p1 p2 p3 q1 br0 br1; do %s link del $l 2>/dev/null; done; true", ip_tool);
        return 0;
}

/* Asks the kernel for vlan_filtering 1 on a bridge of its own: 0, or its error and message.
 * Also checks that the kernel has an MDB at all: 1 when it has none. */
static int probe_kernel(void) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        Reply reply;
        bool on;
        int ifindex, r;

        if (run("%s link add vnic-probe0 type bridge", ip_tool) != 0)
                return -1;
        ifindex = (int) if_nametoindex("vnic-probe0");
        m = nlmsg_alloc();
        if (ifindex <= 0 || !m || rtnl_new(&rtnl) < 0 ||
                        bridge_link_fill_vlan_filtering(m, ifindex, true) < 0)
                return -1;

        reply = send_and_wait(m);
        vlan_error = reply.error;
        snprintf(vlan_ext_ack, sizeof(vlan_ext_ack), "%s", reply.ext_ack);
        r = rtnl_bridge_get_mcast_snooping(rtnl, ifindex, &on);
        rtnl = rtnl_free(rtnl);
        if (run("%s link del vnic-probe0", ip_tool) != 0)
                return -1;
        if (r == -EOPNOTSUPP)
                return 1;
        return r < 0 ? -1 : 0;
}

static int run_unit(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_mdb_fill),
                        cmocka_unit_test(test_mdb_fill_errors),
                        cmocka_unit_test(test_mdb_parse),
                        cmocka_unit_test(test_mdb_parse_bad),
                        cmocka_unit_test(test_mdb_parse_truncated),
                        cmocka_unit_test(test_mdb_diff),
                        cmocka_unit_test(test_mdb_diff_errors),
        };

        return cmocka_run_group_tests_name("bridge-mdb-unit", tests, NULL, NULL);
}

/* Writes 'value' to the sysctl file 'path' of this network namespace; ignores a missing one. */
static void sysctl_set(const char *path, const char *value) {
        FILE *f = fopen(path, "we");

        if (!f)
                return;
        (void) fputs(value, f);
        (void) fclose(f);
}

int main(int argc, char *argv[]) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test_setup_teardown(test_mcast_snooping, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_mdb_add_del, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_mdb_errors, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_mdb_snooping_off, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_mdb_hash_max, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_mdb_port_state, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_mdb_forwarding, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_mdb_diff_reconcile, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_mdb_dump_large, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_mdb_vlan, setup_rtnl, teardown_rtnl),
        };
        cpu_set_t cpus;
        int r;

        if (argc > 1 && streq(argv[1], "--unit"))
                return run_unit();
        if (argc > 1) {
                fprintf(stderr, "usage: %s [--unit]\n", argv[0]);
                return EXIT_FAILURE;
        }

        ip_tool = getenv("IP") ?: ip_tool;
        bridge_tool = getenv("BRIDGE") ?: bridge_tool;
        jq_tool = getenv("JQ") ?: jq_tool;

        if (geteuid() != 0) {
                fprintf(stderr, "SKIP: needs root (CAP_NET_ADMIN and unshare(CLONE_NEWNET)).\n");
                return 77;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
                return 77;
        }
        if (run("%s -V >/dev/null 2>&1 && %s -V >/dev/null 2>&1 && %s --version >/dev/null 2>&1", ip_tool,
                            bridge_tool, jq_tool) != 0) {
                fprintf(stderr, "SKIP: iproute2's ip and bridge (%s, %s) and jq (%s) are needed.\n", ip_tool,
                                bridge_tool, jq_tool);
                return 77;
        }
        if (run("%s link add vnic-probe1 type veth peer name vnic-probe2 2>/dev/null && %s link del "
                "vnic-probe1",
                            ip_tool, ip_tool) != 0) {
                fprintf(stderr, "SKIP: this kernel cannot create a veth pair.\n");
                return 77;
        }
        /* Frames sent one after the other must reach the bridge in that order (see
         * count_until_fence()): netif_rx() queues them on the sending CPU, so stay on one. */
        CPU_ZERO(&cpus);
        CPU_SET(sched_getcpu(), &cpus);
        if (sched_setaffinity(0, sizeof(cpus), &cpus) < 0) {
                fprintf(stderr, "sched_setaffinity(): %s\n", strerror(errno));
                return EXIT_FAILURE;
        }

        /* No IPv6 on links made from now on: no MLD reports, so no snooped groups in the MDB. */
        sysctl_set("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
        sysctl_set("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");

        r = probe_kernel();
        if (r < 0) {
                fprintf(stderr, "cannot probe the kernel's bridge\n");
                return EXIT_FAILURE;
        }
        if (r > 0) {
                fprintf(stderr, "SKIP: this kernel reports no IFLA_BR_MCAST_SNOOPING: it has no MDB.\n");
                return 77;
        }
        if (vlan_error == 0)
                fprintf(stderr, "kernel: bridge vlan_filtering 1 works; the VLAN cases run.\n");
        else if (vlan_error == -EOPNOTSUPP)
                fprintf(stderr,
                                "kernel: bridge vlan_filtering 1 -> %s (EOPNOTSUPP)%s%s; the VLAN cases are "
                                "skipped.\n",
                                strerror(-vlan_error),
                                vlan_ext_ack[0] ? ", extended ACK: " : ", no extended ACK", vlan_ext_ack);
        else {
                /* Any other answer is a failure of ours, not a missing feature. */
                fprintf(stderr, "kernel: bridge vlan_filtering 1 -> %s%s%s\n", strerror(-vlan_error),
                                vlan_ext_ack[0] ? ": " : "", vlan_ext_ack);
                return EXIT_FAILURE;
        }

        return cmocka_run_group_tests_name("bridge-mdb-netns", tests, setup, teardown);
}
