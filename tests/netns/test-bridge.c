/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* netlink/bridge*.c against the running kernel, in a private network namespace of this process:
 *
 *   netns (unshare(CLONE_NEWNET) in main())
 *
 *                +-------------------------+
 *                |           br0           |  bridge, vlan_default_pvid 0 (ports start
 *                +-----+-------------+-----+  without VLANs; vlan_filtering 1 where the
 *                      |             |        kernel has it, see test_vlan_filtering)
 *                  +---+--+      +---+--+
 *                  |  p1  |      |  p2  |     ports
 *                  +---+--+      +---+--+
 *                      | veth        | veth
 *                  +---+--+      +---+--+
 *                  | p1b  |      | p2b  |     frames sent here reach the bridge
 *                  +------+      +------+
 *
 * Every state the API reports is checked again with iproute2 (`bridge -j`, `ip -j`) + jq. Kernels
 * without bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING off) answer -EOPNOTSUPP to
 * vlan_filtering: then the VLAN cases are skipped (cmocka SKIPPED, with the kernel's answer) and
 * the rest runs. Skips the whole test (exit 77) when not root, when unshare() fails or when
 * ip/bridge/jq are missing.
 *
 * Runs standalone (a kernel VM): nothing is read from the source tree. The tools are "ip",
 * "bridge" and "jq" from $PATH, or the programs named by $IP, $BRIDGE and $JQ (a busybox shell
 * runs its own `ip` applet before $PATH: set IP=/usr/sbin/ip there). */

#include <errno.h>
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <netlink/msg.h>

#include "bridge.h"
#include "ether-addr.h"
#include "macro.h"
#include "netlink-util.h"
#include "rtnl.h"
#include "vlan-set.h"

#define WAIT_MSEC 5000 /* bound on waiting for a reply, a notification or a learned entry */

static const char *ip_tool = "ip", *bridge_tool = "bridge", *jq_tool = "jq";
static Rtnl *rtnl;
static int ifindex_br, ifindex_p1, ifindex_p2, ifindex_p1b;

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
        char *buf = NULL;
        size_t size = 0, n;
        va_list ap;
        FILE *f, *out;
        char chunk[4096];
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

static EtherAddr mac(const char *s) {
        EtherAddr a;

        assert_int_equal(ether_addr_from_string(s, &a), 0);
        return a;
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

/* --- builders + send ------------------------------------------------------------------------- */

static int set_port_flags(int ifindex, int learning, int unicast_flood, int mcast_flood) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = nlmsg_alloc();
        BridgePortFlags f = {learning, unicast_flood, mcast_flood};

        assert_non_null(m);
        assert_int_equal(bridge_port_fill_flags(m, ifindex, &f), 0);
        return send_and_wait(m).error;
}

static int fdb(bool add, const char *address, uint16_t vid, int ifindex) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = nlmsg_alloc();
        FdbEntry e = {.mac = mac(address), .vid = vid, .ifindex = ifindex};

        assert_non_null(m);
        assert_int_equal(bridge_fdb_fill(m, add, &e), 0);
        return send_and_wait(m).error;
}

static int set_vlan_filtering(bool on) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = nlmsg_alloc();

        assert_non_null(m);
        assert_int_equal(bridge_link_fill_vlan_filtering(m, ifindex_br, on), 0);
        return send_and_wait(m).error;
}

/* Brings port 'ifindex' from what the kernel has to 'want' in two messages, deletions first.
 * Returns the number of VIDs changed. */
static int port_vlans_apply(int ifindex, const BridgePortVlans *want) {
        _cleanup_(nlmsg_freep) struct nl_msg *del = nlmsg_alloc(), *add = nlmsg_alloc();
        BridgePortVlans have;
        int n_del, n_add;

        assert_non_null(del);
        assert_non_null(add);
        assert_int_equal(rtnl_bridge_port_get(rtnl, ifindex, NULL, &have), 0);
        n_del = bridge_vlan_fill_port(del, ifindex, want, &have, false);
        n_add = bridge_vlan_fill_port(add, ifindex, want, &have, true);
        assert_true(n_del >= 0);
        assert_true(n_add >= 0);
        /* Also a message that changes nothing is a valid one. */
        assert_int_equal(send_and_wait(del).error, 0);
        assert_int_equal(send_and_wait(add).error, 0);
        return n_del + n_add;
}

/* --- what iproute2 says ---------------------------------------------------------------------- */

/* `bridge -j -d link show dev IFNAME` as "learning flood mcast_flood", e.g. "true false false". */
static char *bridge_link_flags(const char *ifname) {
        return run_output("%s -j -d link show dev %s | %s -r '.[0] | \"\\(.learning) \\(.flood) "
                          "\\(.mcast_flood)\"'",
                        bridge_tool, ifname, jq_tool);
}

/* The static FDB entries of br0 on port IFNAME (all ports if NULL) as "mac@vid,..." sorted. */
static char *bridge_fdb_static(const char *ifname) {
        return run_output(
                        "%s -j fdb show br br0%s%s | %s -r '[.[] | select(.master == \"br0\" and .state == "
                        "\"static\") | \"\\(.mac)@\\(.vlan // 0)\"] | sort | join(\",\")'",
                        bridge_tool, ifname ? " brport " : "", strempty(ifname), jq_tool);
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The same from rtnl_fdb_dump(): the static entries ('s') or the local ones ('l'). */
static char *dump_fdb(int port_ifindex, char kind) {
        _cleanup_free_ FdbEntry *e = NULL;
        _cleanup_free_ char **items = NULL;
        char *buf = NULL, a[ETHER_ADDR_STRING_MAX];
        size_t n = 0, k = 0, size = 0;
        FILE *f;

        assert_int_equal(rtnl_fdb_dump(rtnl, ifindex_br, port_ifindex, &e, &n), 0);
        items = new0(char *, n + 1);
        assert_non_null(items);
        for (size_t i = 0; i < n; i++) {
                assert_true(e[i].master);
                if (port_ifindex > 0)
                        assert_int_equal(e[i].ifindex, port_ifindex);
                assert_false(e[i].is_static && e[i].is_local);
                if (kind == 's' ? !e[i].is_static : !e[i].is_local)
                        continue;
                assert_true(asprintf(&items[k++], "%s@%u", ether_addr_to_string(&e[i].mac, a), e[i].vid) >
                                0);
        }
        qsort(items, k, sizeof(char *), strcmp_ptr);
        f = open_memstream(&buf, &size);
        assert_non_null(f);
        for (size_t i = 0; i < k; i++) {
                fprintf(f, "%s%s", i ? "," : "", items[i]);
                free(items[i]);
        }
        assert_int_equal(fclose(f), 0);
        return buf;
}

static void assert_fdb_static(const char *ifname, int ifindex, const char *want) {
        _cleanup_free_ char *ours = dump_fdb(ifindex, 's'), *theirs = bridge_fdb_static(ifname);

        assert_string_equal(ours, want);
        assert_string_equal(theirs, want);
}

/* A VlanSet from jq's list of VIDs of port IFNAME in `bridge -j vlan show` whose entry passes
 * 'filter' (a jq condition on the entry; ranges expanded). */
static VlanSet bridge_vlan_set(const char *ifname, const char *filter) {
        _cleanup_free_ char *s = NULL;
        VlanSet v;

        s = run_output("%s -j vlan show dev %s | %s -r '[.[] | select(.ifname == \"%s\") | .vlans[] | "
                       "select(%s) | range(.vlan; (.vlanEnd // .vlan) + 1)] | map(tostring) | join(\",\")'",
                        bridge_tool, ifname, jq_tool, ifname, filter);
        assert_int_equal(vlan_set_from_string(s, &v), 0);
        return v;
}

static BridgePortVlans bridge_vlans(const char *ifname) {
        BridgePortVlans v = {};
        VlanSet pvid;
        size_t n;

        v.vids = bridge_vlan_set(ifname, "true");
        v.untagged = bridge_vlan_set(ifname, "(.flags // []) | index(\"Egress Untagged\") != null");
        pvid = bridge_vlan_set(ifname, "(.flags // []) | index(\"PVID\") != null");
        n = vlan_set_count(&pvid);
        assert_true(n <= 1);
        for (unsigned vid = 1; n == 1 && vid <= VLAN_VID_MAX; vid++)
                if (vlan_set_contains(&pvid, vid))
                        v.pvid = vid;
        return v;
}

/* The whole-bridge dump says about the port what the single read says. */
static void assert_port_in_dump(int ifindex, const BridgePortVlans *want) {
        _cleanup_free_ BridgePort *ports = NULL;
        const BridgePort *p;
        BridgePortFlags f;
        size_t n;

        assert_int_equal(rtnl_bridge_ports_dump(rtnl, ifindex_br, &ports, &n), 0);
        p = bridge_ports_find(ports, n, ifindex);
        assert_non_null(p);
        assert_int_equal(p->master_ifindex, ifindex_br);
        assert_int_equal(rtnl_bridge_port_get(rtnl, ifindex, &f, NULL), 0);
        assert_memory_equal(&p->flags, &f, sizeof(f));
        if (want)
                assert_true(bridge_port_vlans_equal(&p->vlans, want));
}

static void assert_port_vlans(const char *ifname, int ifindex, const BridgePortVlans *want) {
        BridgePortVlans ours, theirs;
        _cleanup_free_ char *a = NULL, *b = NULL;

        assert_int_equal(rtnl_bridge_port_get(rtnl, ifindex, NULL, &ours), 0);
        theirs = bridge_vlans(ifname);
        a = vlan_set_to_string(&ours.vids);
        b = vlan_set_to_string(&want->vids);
        print_message("%s: vids %s pvid %u (want %s pvid %u)\n", ifname, a, ours.pvid, b, want->pvid);
        assert_true(bridge_port_vlans_equal(&ours, want));
        assert_true(bridge_port_vlans_equal(&theirs, want));
        assert_port_in_dump(ifindex, want);
}

static BridgePortVlans vlans_of(const char *vids, unsigned pvid, const char *untagged) {
        BridgePortVlans v = {.pvid = pvid};

        assert_int_equal(vlan_set_from_string(vids, &v.vids), 0);
        assert_int_equal(vlan_set_from_string(untagged, &v.untagged), 0);
        return v;
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

/* --- port flags and the bridge ---------------------------------------------------------------- */

static void test_port_flags(void **state) {
        BridgePortFlags f;
        char *s;

        /* The kernel's defaults for a new port. */
        assert_int_equal(rtnl_bridge_port_get(rtnl, ifindex_p1, &f, NULL), 0);
        assert_int_equal(f.learning, 1);
        assert_int_equal(f.unicast_flood, 1);
        assert_int_equal(f.mcast_flood, 1);
        s = bridge_link_flags("p1");
        assert_string_equal(s, "true true true");
        free(s);

        /* What vnicd makes of a guest port: learning off flood off mcast_flood off. */
        assert_int_equal(set_port_flags(ifindex_p1, 0, 0, 0), 0);
        assert_int_equal(rtnl_bridge_port_get(rtnl, ifindex_p1, &f, NULL), 0);
        assert_int_equal(f.learning, 0);
        assert_int_equal(f.unicast_flood, 0);
        assert_int_equal(f.mcast_flood, 0);
        s = bridge_link_flags("p1");
        assert_string_equal(s, "false false false");
        free(s);

        /* -1 leaves a flag alone. */
        assert_int_equal(set_port_flags(ifindex_p1, 1, -1, -1), 0);
        assert_int_equal(rtnl_bridge_port_get(rtnl, ifindex_p1, &f, NULL), 0);
        assert_int_equal(f.learning, 1);
        assert_int_equal(f.unicast_flood, 0);
        assert_int_equal(f.mcast_flood, 0);
        s = bridge_link_flags("p1");
        assert_string_equal(s, "true false false");
        free(s);

        /* The other port was not touched. */
        s = bridge_link_flags("p2");
        assert_string_equal(s, "true true true");
        free(s);

        /* Behind our back. */
        assert_int_equal(run("%s link set dev p1 flood on mcast_flood on", bridge_tool), 0);
        assert_int_equal(rtnl_bridge_port_get(rtnl, ifindex_p1, &f, NULL), 0);
        assert_int_equal(f.unicast_flood, 1);
        assert_int_equal(f.mcast_flood, 1);

        /* Not a port: the kernel has no bridge to hand the request to. */
        assert_int_equal(set_port_flags(ifindex_p1b, 0, -1, -1), -EOPNOTSUPP);
        assert_int_equal(rtnl_bridge_port_get(rtnl, ifindex_p1b, &f, NULL), -ENODEV);
        assert_int_equal(rtnl_bridge_port_get(rtnl, ifindex_br, &f, NULL), -ENODEV);
        assert_int_equal(rtnl_bridge_port_get(rtnl, 99999, &f, NULL), -ENODEV);
        assert_int_equal(rtnl_bridge_port_get(rtnl, 0, &f, NULL), -EINVAL);
}

static void test_ports_dump(void **state) {
        _cleanup_free_ BridgePort *ports = NULL;
        size_t n;

        /* Both ports, sorted, not the bridge's own entry nor the veth peers outside it. */
        assert_int_equal(rtnl_bridge_ports_dump(rtnl, ifindex_br, &ports, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(ports[0].ifindex, MIN(ifindex_p1, ifindex_p2));
        assert_int_equal(ports[1].ifindex, MAX(ifindex_p1, ifindex_p2));
        assert_null(bridge_ports_find(ports, n, ifindex_br));
        assert_null(bridge_ports_find(ports, n, ifindex_p1b));
        assert_port_in_dump(ifindex_p1, NULL);
        assert_port_in_dump(ifindex_p2, NULL);

        /* Flags as the single read sees them, after a change. */
        assert_int_equal(set_port_flags(ifindex_p2, 0, 0, -1), 0);
        assert_port_in_dump(ifindex_p2, NULL);
        assert_int_equal(set_port_flags(ifindex_p2, 1, 1, -1), 0);

        /* A third port appears in the next dump, and is gone after it leaves. */
        ports = mfree(ports);
        assert_int_equal(run("%s link add p3 type veth peer name p3b && %s link set dev p3 master br0",
                                         ip_tool, ip_tool),
                        0);
        assert_int_equal(rtnl_bridge_ports_dump(rtnl, ifindex_br, &ports, &n), 0);
        assert_int_equal(n, 3);
        ports = mfree(ports);
        assert_int_equal(run("%s link del p3", ip_tool), 0);
        assert_int_equal(rtnl_bridge_ports_dump(rtnl, ifindex_br, &ports, &n), 0);
        assert_int_equal(n, 2);
        ports = mfree(ports);

        /* A link that is no bridge has no ports. */
        assert_int_equal(rtnl_bridge_ports_dump(rtnl, ifindex_p1, &ports, &n), 0);
        assert_int_equal(n, 0);
        assert_null(ports);
        assert_int_equal(rtnl_bridge_ports_dump(rtnl, 0, &ports, &n), -EINVAL);
}

/* How many ports br0 has, as the ports dump lists them. */
static size_t count_ports(void) {
        _cleanup_free_ BridgePort *ports = NULL;
        size_t n;

        assert_int_equal(rtnl_bridge_ports_dump(rtnl, ifindex_br, &ports, &n), 0);
        return n;
}

static void test_bridge_get(void **state) {
        BridgeInfo info;
        char *s;

        assert_int_equal(rtnl_bridge_get(rtnl, ifindex_br, &info), 0);
        assert_int_equal(info.ifindex, ifindex_br);
        assert_string_equal(info.ifname, "br0");
        assert_int_equal(count_ports(), 2);
        assert_false(info.promisc);
        s = run_output("%s -j -d link show dev br0 | %s -r '.[0].linkinfo.info_data.vlan_filtering'",
                        ip_tool, jq_tool);
        assert_string_equal(s, info.vlan_filtering ? "1" : "0");
        free(s);

        /* Promiscuous for any reason counts: here the user's flag. */
        assert_int_equal(run("%s link set dev br0 promisc on", ip_tool), 0);
        assert_int_equal(rtnl_bridge_get(rtnl, ifindex_br, &info), 0);
        assert_true(info.promisc);
        assert_int_equal(run("%s link set dev br0 promisc off", ip_tool), 0);
        assert_int_equal(rtnl_bridge_get(rtnl, ifindex_br, &info), 0);
        assert_false(info.promisc);

        /* A third port, and gone again. */
        assert_int_equal(run("%s link add p3 type veth peer name p3b && %s link set dev p3 master br0",
                                         ip_tool, ip_tool),
                        0);
        assert_int_equal(rtnl_bridge_get(rtnl, ifindex_br, &info), 0);
        assert_int_equal(count_ports(), 3);
        assert_int_equal(run("%s link del p3", ip_tool), 0);
        assert_int_equal(rtnl_bridge_get(rtnl, ifindex_br, &info), 0);
        assert_int_equal(count_ports(), 2);

        assert_int_equal(rtnl_bridge_get(rtnl, ifindex_p1, &info), -EMEDIUMTYPE);
        assert_int_equal(rtnl_bridge_get(rtnl, 99999, &info), -ENODEV);
}

/* --- FDB ------------------------------------------------------------------------------------- */

static void test_fdb_static(void **state) {
        _cleanup_free_ FdbEntry *e = NULL;
        _cleanup_free_ char *p1_mac = NULL, *locals = NULL;
        size_t n;

        assert_fdb_static("p1", ifindex_p1, "");

        /* `bridge fdb add 02:aa:00:00:00:01 dev p1 master static` */
        assert_int_equal(fdb(true, "02:aa:00:00:00:01", 0, ifindex_p1), 0);
        assert_fdb_static("p1", ifindex_p1, "02:aa:00:00:00:01@0");
        assert_fdb_static(NULL, 0, "02:aa:00:00:00:01@0");
        assert_fdb_static("p2", ifindex_p2, "");

        /* Adding it again is no error (NLM_F_REPLACE, no NLM_F_EXCL). */
        assert_int_equal(fdb(true, "02:aa:00:00:00:01", 0, ifindex_p1), 0);
        assert_fdb_static("p1", ifindex_p1, "02:aa:00:00:00:01@0");

        /* The port's own address is there as a local entry ("permanent"), reported apart. */
        p1_mac = run_output("%s -j link show dev p1 | %s -r '.[0].address'", ip_tool, jq_tool);
        locals = dump_fdb(ifindex_p1, 'l');
        assert_non_null(strstr(locals, p1_mac));
        assert_null(strstr(locals, "02:aa:00:00:00:01"));

        /* The key is (MAC, VID) per bridge: an add for p2 moves the entry. */
        assert_int_equal(fdb(true, "02:aa:00:00:00:01", 0, ifindex_p2), 0);
        assert_fdb_static("p1", ifindex_p1, "");
        assert_fdb_static("p2", ifindex_p2, "02:aa:00:00:00:01@0");

        /* Deleted; a second delete is -ENOENT (a reconcile takes it as done). */
        assert_int_equal(fdb(false, "02:aa:00:00:00:01", 0, ifindex_p2), 0);
        assert_fdb_static("p2", ifindex_p2, "");
        assert_int_equal(fdb(false, "02:aa:00:00:00:01", 0, ifindex_p2), -ENOENT);

        /* Behind our back, with iproute2's `static`. */
        assert_int_equal(run("%s fdb add 02:aa:00:00:00:02 dev p1 master static", bridge_tool), 0);
        assert_fdb_static("p1", ifindex_p1, "02:aa:00:00:00:02@0");
        assert_int_equal(fdb(false, "02:aa:00:00:00:02", 0, ifindex_p1), 0);
        assert_fdb_static("p1", ifindex_p1, "");

        /* A VID the port does not have (it has none: vlan_default_pvid 0). */
        assert_int_equal(fdb(true, "02:aa:00:00:00:03", 99, ifindex_p1), -EINVAL);
        /* Not a port. */
        assert_int_equal(fdb(true, "02:aa:00:00:00:03", 0, ifindex_p1b), -EOPNOTSUPP);

        /* A link that is no bridge has no FDB of its own; a missing one is -ENODEV. */
        assert_int_equal(rtnl_fdb_dump(rtnl, ifindex_p1b, 0, &e, &n), 0);
        assert_int_equal(n, 0);
        assert_null(e);
        assert_int_equal(rtnl_fdb_dump(rtnl, 99999, 0, &e, &n), -ENODEV);
}

/* Sends one Ethernet frame with source address 'src' out of 'ifindex'. */
static void send_frame(int ifindex, const EtherAddr *src) {
        struct sockaddr_ll sll = {
                        .sll_family = AF_PACKET,
                        .sll_ifindex = ifindex,
                        .sll_halen = 6,
        };
        uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        _cleanup_close_ int fd = -EBADF;

        memcpy(frame + 6, src->bytes, 6);
        frame[12] = 0x88; /* 0x88b5, local experimental EtherType */
        frame[13] = 0xb5;
        memset(sll.sll_addr, 0xff, 6);
        fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *) &sll, sizeof(sll)),
                        sizeof(frame));
}

/* Waits until the bridge learned 'a' on 'ifindex'; returns the entry. */
static FdbEntry wait_learned(int ifindex, const EtherAddr *a) {
        for (int waited = 0; waited < WAIT_MSEC; waited += 20) {
                _cleanup_free_ FdbEntry *e = NULL;
                size_t n;

                assert_int_equal(rtnl_fdb_dump(rtnl, ifindex_br, ifindex, &e, &n), 0);
                for (size_t i = 0; i < n; i++)
                        if (ether_addr_equal(&e[i].mac, a))
                                return e[i];
                (void) usleep(20 * 1000);
        }
        fail_msg("the bridge did not learn the address");
        return (FdbEntry){};
}

static void test_fdb_learned(void **state) {
        EtherAddr a = mac("02:aa:00:00:00:0d");
        _cleanup_free_ char *state_s = NULL;
        FdbEntry e;

        assert_int_equal(set_port_flags(ifindex_p1, 1, 1, 1), 0);
        send_frame(ifindex_p1b, &a);
        e = wait_learned(ifindex_p1, &a);
        assert_false(e.is_static);
        assert_false(e.is_local);
        assert_true(e.master);
        assert_int_equal(e.vid, 0);
        /* iproute2 prints NUD_REACHABLE as "". */
        state_s = run_output("%s -j fdb show br br0 brport p1 | %s -r '.[] | select(.mac == "
                             "\"02:aa:00:00:00:0d\") | .state'",
                        bridge_tool, jq_tool);
        assert_string_equal(state_s, "");

        /* Adding it makes the learned entry static. */
        assert_int_equal(fdb(true, "02:aa:00:00:00:0d", 0, ifindex_p1), 0);
        assert_fdb_static("p1", ifindex_p1, "02:aa:00:00:00:0d@0");
        assert_int_equal(fdb(false, "02:aa:00:00:00:0d", 0, ifindex_p1), 0);
        assert_fdb_static("p1", ifindex_p1, "");
}

/* Applies fdb_diff() between the kernel's entries of p1 and 'want' (n entries). */
static void fdb_reconcile(const FdbEntry *want, size_t n_want, size_t expect_del, size_t expect_add) {
        _cleanup_free_ FdbEntry *have = NULL, *del = NULL, *add = NULL;
        size_t n_have, n_del, n_add;

        assert_int_equal(rtnl_fdb_dump(rtnl, ifindex_br, ifindex_p1, &have, &n_have), 0);
        assert_int_equal(fdb_diff(have, n_have, want, n_want, &del, &n_del, &add, &n_add), 0);
        assert_int_equal(n_del, expect_del);
        assert_int_equal(n_add, expect_add);
        for (size_t i = 0; i < n_del; i++) {
                _cleanup_(nlmsg_freep) struct nl_msg *m = nlmsg_alloc();

                assert_int_equal(bridge_fdb_fill(m, false, &del[i]), 0);
                assert_int_equal(send_and_wait(m).error, 0);
        }
        for (size_t i = 0; i < n_add; i++) {
                _cleanup_(nlmsg_freep) struct nl_msg *m = nlmsg_alloc();

                assert_int_equal(bridge_fdb_fill(m, true, &add[i]), 0);
                assert_int_equal(send_and_wait(m).error, 0);
        }
}

static void test_fdb_diff_reconcile(void **state) {
        EtherAddr learned = mac("02:aa:00:00:00:0e");
        FdbEntry want[] = {
                        {.mac = mac("02:bb:00:00:00:01"), .ifindex = ifindex_p1},
                        {.mac = mac("02:bb:00:00:00:02"), .ifindex = ifindex_p1},
                        {.mac = mac("02:bb:00:00:00:03"), .ifindex = ifindex_p1},
        };
        _cleanup_free_ char *locals_before = NULL, *locals_after = NULL;
        FdbEntry e;

        /* A learned entry and the port's local one are there and must survive. */
        assert_int_equal(set_port_flags(ifindex_p1, 1, 1, 1), 0);
        send_frame(ifindex_p1b, &learned);
        (void) wait_learned(ifindex_p1, &learned);
        locals_before = dump_fdb(ifindex_p1, 'l');
        assert_string_not_equal(locals_before, "");

        fdb_reconcile(want, 2, 0, 2);
        assert_fdb_static("p1", ifindex_p1, "02:bb:00:00:00:01@0,02:bb:00:00:00:02@0");
        fdb_reconcile(want, 2, 0, 0);

        /* The guest changed its MAC: one goes, one comes. */
        fdb_reconcile(want + 1, 2, 1, 1);
        assert_fdb_static("p1", ifindex_p1, "02:bb:00:00:00:02@0,02:bb:00:00:00:03@0");
        fdb_reconcile(want + 1, 2, 0, 0);

        e = wait_learned(ifindex_p1, &learned);
        assert_false(e.is_static);

        fdb_reconcile(NULL, 0, 2, 0);
        assert_fdb_static("p1", ifindex_p1, "");
        fdb_reconcile(NULL, 0, 0, 0);

        /* Neither the port's local entry nor the learned one was touched. */
        locals_after = dump_fdb(ifindex_p1, 'l');
        assert_string_equal(locals_after, locals_before);
        e = wait_learned(ifindex_p1, &learned);
        assert_false(e.is_static);
}

static size_t count_static(const FdbEntry *e, size_t n) {
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
                k += e[i].is_static;
        return k;
}

static int parse_fail(struct nlmsghdr *nlh, void *userdata) {
        unsigned *calls = userdata;

        (*calls)++;
        return -EIO;
}

static void test_fdb_dump_large(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        _cleanup_free_ FdbEntry *e = NULL;
        struct ifinfomsg ifi = {.ifi_family = AF_BRIDGE};
        _cleanup_free_ char *cmd = NULL;
        unsigned calls = 0;
        size_t n;
        FILE *f;
        int r;

        /* 1000 static entries, through `bridge -batch -`: a dump of many datagrams. */
        assert_true(asprintf(&cmd, "%s -batch -", bridge_tool) > 0);
        f = popen(cmd, "w");
        assert_non_null(f);
        for (unsigned i = 0; i < 1000; i++)
                fprintf(f, "fdb add 02:ee:00:00:%02x:%02x dev p2 master static\n", i / 256, i % 256);
        r = pclose(f);
        assert_true(WIFEXITED(r) && WEXITSTATUS(r) == 0);

        /* Besides them p2's local entry, and what the bridge learned from p2b's IPv6 chatter. */
        assert_int_equal(rtnl_fdb_dump(rtnl, ifindex_br, ifindex_p2, &e, &n), 0);
        assert_int_equal(count_static(e, n), 1000);
        for (size_t i = 1; i < n; i++)
                assert_true(ether_addr_compare(&e[i - 1].mac, &e[i].mac) < 0);
        e = mfree(e);

        /* A parser error on the first message: the error comes back, the rest of the dump is read
         * and dropped, and the next dump on the socket works (else the kernel, still in the first
         * one, answers -EBUSY). */
        m = nlmsg_alloc_simple(RTM_GETNEIGH, 0);
        assert_non_null(m);
        assert_int_equal(nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
        assert_int_equal(rtnl_dump(rtnl, m, parse_fail, &calls), -EIO);
        assert_int_equal(calls, 1);
        assert_int_equal(rtnl_fdb_dump(rtnl, ifindex_br, ifindex_p2, &e, &n), 0);
        assert_int_equal(count_static(e, n), 1000);

        /* Leaving the bridge flushes the port's entries, static ones too. */
        assert_int_equal(run("%s link set dev p2 nomaster && %s link set dev p2 master br0", ip_tool,
                                         ip_tool),
                        0);
        e = mfree(e);
        assert_int_equal(rtnl_fdb_dump(rtnl, ifindex_br, ifindex_p2, &e, &n), 0);
        assert_int_equal(count_static(e, n), 0);
}

typedef struct FdbEvent {
        bool removed;
        FdbEntry e;
} FdbEvent;

static struct {
        FdbEvent events[256];
        unsigned n;
} fdb_log;

static void fdb_handler(bool removed, const FdbEntry *e, void *userdata) {
        assert_ptr_equal(userdata, &fdb_log);
        if (fdb_log.n < ELEMENTSOF(fdb_log.events))
                fdb_log.events[fdb_log.n++] = (FdbEvent){removed, *e};
}

/* Runs the monitor until an FDB event for 'a' with 'removed' was logged; returns it. */
static FdbEvent wait_fdb_event(const EtherAddr *a, bool removed) {
        for (int waited = 0; waited < WAIT_MSEC; waited += 20) {
                for (unsigned i = 0; i < fdb_log.n; i++)
                        if (ether_addr_equal(&fdb_log.events[i].e.mac, a) &&
                                        fdb_log.events[i].removed == removed)
                                return fdb_log.events[i];
                (void) poll(NULL, 0, 20);
                assert_true(rtnl_monitor_process(rtnl) >= 0);
        }
        fail_msg("no FDB event");
        return (FdbEvent){};
}

static void test_fdb_monitor(void **state) {
        EtherAddr a = mac("02:cc:00:00:00:01");
        EtherAddr arp = mac("02:cc:00:00:00:99"), ndp = mac("02:cc:00:00:00:98");
        FdbEvent ev;
        int fd;

        fdb_log.n = 0;
        fd = rtnl_monitor_start_neigh(rtnl, fdb_handler, &fdb_log);
        assert_true(fd >= 0);
        assert_int_equal(rtnl_monitor_start_neigh(rtnl, fdb_handler, &fdb_log), -EBUSY);

        /* ARP/NDP neighbours share the group and are not reported. The kernel (6.1 as 6.18) sends them
         * as AF_INET/AF_INET6 RTM_NEWNEIGH, here with p1b's ifindex, never as AF_BRIDGE. Their
         * notifications are queued before the FDB add's below, so once wait_fdb_event() has seen that
         * one, the monitor has read them too. */
        assert_int_equal(run("%s neigh add 192.0.2.1 lladdr 02:cc:00:00:00:99 dev p1b nud permanent",
                                         ip_tool),
                        0);
        assert_int_equal(run("%s -6 neigh add 2001:db8::1 lladdr 02:cc:00:00:00:98 dev p1b nud permanent",
                                         ip_tool),
                        0);

        assert_int_equal(run("%s fdb add 02:cc:00:00:00:01 dev p1 master static", bridge_tool), 0);
        ev = wait_fdb_event(&a, false);
        assert_int_equal(ev.e.ifindex, ifindex_p1);
        assert_true(ev.e.is_static);
        assert_true(ev.e.master);
        assert_int_equal(ev.e.vid, 0);

        assert_int_equal(fdb(false, "02:cc:00:00:00:01", 0, ifindex_p1), 0);
        ev = wait_fdb_event(&a, true);
        assert_int_equal(ev.e.ifindex, ifindex_p1);

        /* Real FDB events may come in between: test_fdb_dump_large's nomaster flushed what the bridge
         * had learned on p2, and it learns p2b's (random) address again from the next IPv6 router
         * solicitation p2b sends, an AF_BRIDGE RTM_NEWNEIGH for p2. So look for the neighbours'
         * exact addresses and their link, not for one byte of an address. */
        for (unsigned i = 0; i < fdb_log.n; i++) {
                assert_false(ether_addr_equal(&fdb_log.events[i].e.mac, &arp));
                assert_false(ether_addr_equal(&fdb_log.events[i].e.mac, &ndp));
                assert_int_not_equal(fdb_log.events[i].e.ifindex, ifindex_p1b);
        }
        assert_int_equal(run("%s neigh del 192.0.2.1 dev p1b && %s -6 neigh del 2001:db8::1 dev p1b",
                                         ip_tool, ip_tool),
                        0);
}

typedef struct PortEvent {
        bool removed;
        BridgePort p;
} PortEvent;

static struct {
        PortEvent events[64];
        unsigned n;
        unsigned links;
} port_log;

static void port_handler(bool removed, const BridgePort *p, void *userdata) {
        assert_ptr_equal(userdata, &port_log);
        if (port_log.n < ELEMENTSOF(port_log.events))
                port_log.events[port_log.n++] = (PortEvent){removed, *p};
}

static void link_handler(bool removed, const LinkInfo *link, void *userdata) {
        assert_ptr_equal(userdata, &port_log);
        port_log.links++;
}

typedef bool (*PortMatch)(const PortEvent *ev);

static PortEvent wait_port_event(PortMatch match) {
        for (int waited = 0; waited < WAIT_MSEC; waited += 20) {
                for (unsigned i = 0; i < port_log.n; i++)
                        if (match(&port_log.events[i]))
                                return port_log.events[i];
                (void) poll(NULL, 0, 20);
                assert_true(rtnl_monitor_process(rtnl) >= 0);
        }
        fail_msg("no bridge port event");
        return (PortEvent){};
}

static bool p1_learning_off(const PortEvent *ev) {
        return !ev->removed && ev->p.ifindex == ifindex_p1 && ev->p.flags.learning == 0;
}

static bool p2_left(const PortEvent *ev) {
        return ev->removed && ev->p.ifindex == ifindex_p2;
}

static void test_port_monitor(void **state) {
        PortEvent ev;

        port_log.n = port_log.links = 0;
        assert_true(rtnl_monitor_start_bridge_port(rtnl, port_handler, &port_log) >= 0);
        /* The link monitor shares the socket and still gets the AF_UNSPEC messages. */
        assert_true(rtnl_monitor_start(rtnl, link_handler, &port_log) >= 0);
        assert_int_equal(rtnl_monitor_start_bridge_port(rtnl, port_handler, &port_log), -EBUSY);

        assert_int_equal(run("%s link set dev p1 learning off", bridge_tool), 0);
        ev = wait_port_event(p1_learning_off);
        assert_int_equal(ev.p.master_ifindex, ifindex_br);
        assert_int_equal(set_port_flags(ifindex_p1, 1, 1, 1), 0);

        /* Leaving the bridge is an AF_BRIDGE RTM_DELLINK: "removed" from the bridge. */
        assert_int_equal(run("%s link set dev p2 nomaster", ip_tool), 0);
        ev = wait_port_event(p2_left);
        assert_int_equal(run("%s link set dev p2 master br0", ip_tool), 0);
        assert_true(port_log.links > 0);
}

/* --- VLANs (skipped where the kernel lacks VLAN filtering) ----------------------------------- */

static void test_vlan_filtering(void **state) {
        BridgeInfo info;
        char *s;

        require_vlan_filtering();

        assert_int_equal(set_vlan_filtering(false), 0);
        assert_int_equal(rtnl_bridge_get(rtnl, ifindex_br, &info), 0);
        assert_false(info.vlan_filtering);

        assert_int_equal(set_vlan_filtering(true), 0);
        assert_int_equal(rtnl_bridge_get(rtnl, ifindex_br, &info), 0);
        assert_true(info.vlan_filtering);
        s = run_output("%s -j -d link show dev br0 | %s -r '.[0].linkinfo.info_data.vlan_filtering'",
                        ip_tool, jq_tool);
        assert_string_equal(s, "1");
        free(s);
}

static void test_vlan_pvid_untagged(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL, *d = NULL;
        BridgePortVlans none = {}, want = vlans_of("10", 10, "10");
        VlanRange r = {10, 10};

        /* skip() jumps out: nothing to clean up may exist before it. */
        require_vlan_filtering();
        m = nlmsg_alloc();
        d = nlmsg_alloc();
        assert_true(m && d);
        assert_int_equal(set_vlan_filtering(true), 0);
        (void) port_vlans_apply(ifindex_p1, &none);
        assert_port_vlans("p1", ifindex_p1, &none);

        /* `bridge vlan add dev p1 vid 10 pvid untagged` */
        assert_int_equal(bridge_vlan_fill(m, ifindex_p1, true, &r, 1, true, true), 0);
        assert_int_equal(send_and_wait(m).error, 0);
        assert_port_vlans("p1", ifindex_p1, &want);

        assert_int_equal(bridge_vlan_fill(d, ifindex_p1, false, &r, 1, false, false), 0);
        assert_int_equal(send_and_wait(d).error, 0);
        assert_port_vlans("p1", ifindex_p1, &none);
}

static void test_vlan_ranges(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL, *d = NULL;
        BridgePortVlans none = {}, want = {};
        VlanRange r[10];
        Reply reply;

        require_vlan_filtering();
        m = nlmsg_alloc();
        d = nlmsg_alloc();
        assert_true(m && d);
        assert_int_equal(set_vlan_filtering(true), 0);
        (void) port_vlans_apply(ifindex_p2, &none);

        /* 100 VLANs in 10 ranges, one message, one answer. */
        for (unsigned i = 0; i < ELEMENTSOF(r); i++) {
                r[i] = (VlanRange){100 * (i + 1), 100 * (i + 1) + 9};
                for (unsigned vid = r[i].begin; vid <= r[i].end; vid++)
                        assert_int_equal(vlan_set_add(&want.vids, vid), 0);
        }
        assert_int_equal(vlan_set_count(&want.vids), 100);
        assert_int_equal(bridge_vlan_fill(m, ifindex_p2, true, r, ELEMENTSOF(r), false, false), 0);
        reply = send_and_wait(m);
        assert_int_equal(reply.error, 0);
        assert_int_equal(reply.calls, 1);
        assert_port_vlans("p2", ifindex_p2, &want);

        /* Removed in one message too. */
        assert_int_equal(bridge_vlan_fill(d, ifindex_p2, false, r, ELEMENTSOF(r), false, false), 0);
        assert_int_equal(send_and_wait(d).error, 0);
        assert_port_vlans("p2", ifindex_p2, &none);
}

static void test_vlan_extremes(void **state) {
        BridgePortVlans none = {}, all = vlans_of("1-4094", 0, ""), odd = {};

        require_vlan_filtering();
        assert_int_equal(set_vlan_filtering(true), 0);
        (void) port_vlans_apply(ifindex_p2, &none);

        /* Every VID: one range. The dump lists 4094 entries for the port in one message. */
        assert_int_equal(port_vlans_apply(ifindex_p2, &all), 4094);
        assert_port_vlans("p2", ifindex_p2, &all);

        /* Every odd VID: 2047 single entries, a 16 KiB message (beyond the page nlmsg_alloc()
         * gives), and 2047 deletions as ranges of one. */
        for (unsigned vid = 1; vid <= VLAN_VID_MAX; vid += 2)
                assert_int_equal(vlan_set_add(&odd.vids, vid), 0);
        odd.pvid = 4093;
        assert_int_equal(vlan_set_add(&odd.untagged, 4093), 0);
        assert_int_equal(port_vlans_apply(ifindex_p2, &odd), 2047 + 1);
        assert_port_vlans("p2", ifindex_p2, &odd);

        assert_int_equal(port_vlans_apply(ifindex_p2, &none), 2047);
        assert_port_vlans("p2", ifindex_p2, &none);
}

static void test_vlan_fill_port(void **state) {
        static const struct {
                const char *vids;
                unsigned pvid;
                const char *untagged;
                int changes;
        } steps[] = {
                        {"20-29,30,40", 30, "30", 12},
                        {"20-29,30,40", 30, "30", 0},    /* again: nothing to do */
                        {"40,50-59", 55, "55-59", 21},   /* 20-30 go, 50-59 come, 40 stays */
                        {"40,50-59", 40, "40,55-59", 2}, /* the PVID moves to 40, untagged */
                        {"", 0, "", 11},
        };

        require_vlan_filtering();
        assert_int_equal(set_vlan_filtering(true), 0);
        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                BridgePortVlans want = vlans_of(steps[i].vids, steps[i].pvid, steps[i].untagged);

                print_message("step %zu: %s pvid %u untagged %s\n", i, steps[i].vids, steps[i].pvid,
                                steps[i].untagged);
                assert_int_equal(port_vlans_apply(ifindex_p1, &want), steps[i].changes);
                assert_port_vlans("p1", ifindex_p1, &want);
        }
}

static void test_fdb_vlan(void **state) {
        BridgePortVlans want = vlans_of("10,20", 0, "");

        require_vlan_filtering();
        assert_int_equal(set_vlan_filtering(true), 0);
        (void) port_vlans_apply(ifindex_p1, &want);

        /* `bridge fdb add 02:dd:00:00:00:01 dev p1 master static vlan 10` */
        assert_int_equal(fdb(true, "02:dd:00:00:00:01", 10, ifindex_p1), 0);
        assert_fdb_static("p1", ifindex_p1, "02:dd:00:00:00:01@10");

        /* A VLAN the port does not have. */
        assert_int_equal(fdb(true, "02:dd:00:00:00:01", 99, ifindex_p1), -EINVAL);

        /* Without a VID on a port with VLANs: VID 0 and every VLAN of the port, both ways. */
        assert_int_equal(fdb(true, "02:dd:00:00:00:02", 0, ifindex_p1), 0);
        assert_fdb_static("p1", ifindex_p1,
                        "02:dd:00:00:00:01@10,02:dd:00:00:00:02@0,02:dd:00:00:00:02@10,02:dd:00:00:00:02@"
                        "20");
        assert_int_equal(fdb(false, "02:dd:00:00:00:02", 0, ifindex_p1), 0);
        assert_fdb_static("p1", ifindex_p1, "02:dd:00:00:00:01@10");

        assert_int_equal(fdb(false, "02:dd:00:00:00:01", 10, ifindex_p1), 0);
        assert_fdb_static("p1", ifindex_p1, "");

        /* A VLAN's removal flushes learned entries only: the static one stays, and the kernel
         * refuses to delete it while the port lacks its VLAN. FDB entries must go first. */
        assert_int_equal(fdb(true, "02:dd:00:00:00:03", 20, ifindex_p1), 0);
        want = vlans_of("10", 0, "");
        assert_int_equal(port_vlans_apply(ifindex_p1, &want), 1);
        assert_fdb_static("p1", ifindex_p1, "02:dd:00:00:00:03@20");
        assert_int_equal(fdb(false, "02:dd:00:00:00:03", 20, ifindex_p1), -EINVAL);
        want = vlans_of("10,20", 0, "");
        assert_int_equal(port_vlans_apply(ifindex_p1, &want), 1);
        assert_int_equal(fdb(false, "02:dd:00:00:00:03", 20, ifindex_p1), 0);
        assert_fdb_static("p1", ifindex_p1, "");

        want = (BridgePortVlans){};
        (void) port_vlans_apply(ifindex_p1, &want);
}

static bool p2_has_vlan_77(const PortEvent *ev) {
        return !ev->removed && ev->p.ifindex == ifindex_p2 && vlan_set_contains(&ev->p.vlans.vids, 77) &&
               vlan_set_count(&ev->p.vlans.vids) == 11;
}

static void test_vlan_monitor(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        BridgePortVlans none = {}, base = vlans_of("200-209", 0, "");
        VlanRange r = {77, 77};
        PortEvent ev;

        require_vlan_filtering();
        m = nlmsg_alloc();
        assert_non_null(m);
        assert_int_equal(set_vlan_filtering(true), 0);
        (void) port_vlans_apply(ifindex_p2, &base);

        port_log.n = 0;
        assert_true(rtnl_monitor_start_bridge_port(rtnl, port_handler, &port_log) >= 0);
        assert_int_equal(bridge_vlan_fill(m, ifindex_p2, true, &r, 1, true, true), 0);
        assert_int_equal(send_and_wait(m).error, 0);

        /* The notification carries the port's whole VLAN list (as ranges). */
        ev = wait_port_event(p2_has_vlan_77);
        assert_int_equal(ev.p.vlans.pvid, 77);
        assert_true(vlan_set_contains(&ev.p.vlans.untagged, 77));
        assert_int_equal(vlan_set_count(&ev.p.vlans.untagged), 1);

        (void) port_vlans_apply(ifindex_p2, &none);
}

/* A fresh connection per test, so one test's failure leaves nothing in flight for the next. */
static int setup_rtnl(void **state) {
        return rtnl_new(&rtnl) < 0 ? -1 : 0;
}

static int teardown_rtnl(void **state) {
        rtnl = rtnl_free(rtnl);
        return 0;
}

static int setup(void **state) {
        if (run("%s link add br0 type bridge vlan_default_pvid 0", ip_tool) != 0 ||
                        run("%s link add p1 type veth peer name p1b && %s link add p2 type veth peer name "
                            "p2b",
                                        ip_tool, ip_tool) != 0 ||
                        run("%s link set dev p1 master br0 && %s link set dev p2 master br0", ip_tool,
                                        ip_tool) != 0 ||
                        run("for l in br0 p1 p1b p2 p2b; do %s link set dev $l up || exit 1; done",
                                        ip_tool) != 0)
                return -1;

        ifindex_br = (int) if_nametoindex("br0");
        ifindex_p1 = (int) if_nametoindex("p1");
        ifindex_p2 = (int) if_nametoindex("p2");
        ifindex_p1b = (int) if_nametoindex("p1b");
        if (ifindex_br <= 0 || ifindex_p1 <= 0 || ifindex_p2 <= 0 || ifindex_p1b <= 0)
                return -1;
        return 0;
}

static int teardown(void **state) {
        /* The namespace goes away with this process; delete what we made all the same. */
        (void) run("for l in p1 p2 p3 br0; do %s link del $l 2>/dev/null; done; true", ip_tool);
        return 0;
}

/* Asks the kernel for vlan_filtering 1 on a bridge of its own: 0, or its error and message. */
static int probe_vlan_filtering(void) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        Reply reply;
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
        rtnl = rtnl_free(rtnl);
        r = run("%s link del vnic-probe0", ip_tool);
        return r == 0 ? 0 : -1;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test_setup_teardown(test_port_flags, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_ports_dump, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_bridge_get, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_fdb_static, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_fdb_learned, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_fdb_diff_reconcile, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_fdb_dump_large, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_fdb_monitor, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_port_monitor, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_vlan_filtering, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_vlan_pvid_untagged, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_vlan_ranges, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_vlan_extremes, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_vlan_fill_port, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_fdb_vlan, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_vlan_monitor, setup_rtnl, teardown_rtnl),
        };

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

        if (probe_vlan_filtering() < 0) {
                fprintf(stderr, "cannot probe the kernel's bridge VLAN filtering\n");
                return EXIT_FAILURE;
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

        return cmocka_run_group_tests(tests, setup, teardown);
}
