/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* netlink/ against the running kernel, in a private network namespace of this process:
 *
 *   netns (unshare(CLONE_NEWNET) in main())
 *
 *     +--------+   veth   +--------+
 *     |  peer  |==========| uplink |
 *     +--------+          +---+----+
 *                             | lower device
 *                         +---+----+
 *                         |  mvt   |  macvtap, mode bridge
 *                         +--------+
 *
 * Links are created and changed "behind our back" with ip(8), which runs in the same namespace,
 * and every state the API reports is checked again with `ip -j` + jq. Skips (exit 77) when not
 * root, when unshare() fails or when ip/jq/macvtap are missing. */

#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "ether-addr.h"
#include "macro.h"
#include "netlink-util.h"
#include "rtnl.h"

#define WAIT_MSEC 5000 /* bound on waiting for a reply or a notification */

static Rtnl *rtnl;
static int ifindex_uplink, ifindex_peer, ifindex_mvt;

/* Runs a shell command line built from 'format'; returns its exit status, -1 when it died. */
_printf_(1, 2) static int run(const char *format, ...) {
        char cmd[1024];
        va_list ap;
        int r;

        va_start(ap, format);
        r = vsnprintf(cmd, sizeof(cmd), format, ap);
        va_end(ap);
        assert_true(r > 0 && (size_t) r < sizeof(cmd));

        r = system(cmd);
        if (r < 0 || !WIFEXITED(r))
                return -1;
        return WEXITSTATUS(r);
}

/* Runs a command line and returns its stdout without the trailing newline (malloc'ed). */
_printf_(1, 2) static char *run_output(const char *format, ...) {
        char cmd[1024], buf[4096];
        size_t n;
        va_list ap;
        FILE *f;
        int r;

        va_start(ap, format);
        r = vsnprintf(cmd, sizeof(cmd), format, ap);
        va_end(ap);
        assert_true(r > 0 && (size_t) r < sizeof(cmd));

        f = popen(cmd, "r");
        assert_non_null(f);
        n = fread(buf, 1, sizeof(buf) - 1, f);
        r = pclose(f);
        assert_true(WIFEXITED(r) && WEXITSTATUS(r) == 0);
        buf[n] = '\0';
        while (n > 0 && buf[n - 1] == '\n')
                buf[--n] = '\0';
        return strdup(buf);
}

/* `ip -j -d link show dev IFNAME | jq -r FILTER`, as a number. */
static long ip_link_number(const char *ifname, const char *filter) {
        _cleanup_free_ char *s = NULL;
        char *end;
        long v;

        s = run_output("ip -j -d link show dev %s | jq -r '.[0] | %s'", ifname, filter);
        errno = 0;
        v = strtol(s, &end, 10);
        assert_true(errno == 0 && end != s && *end == '\0');
        return v;
}

static bool ip_link_has_flag(const char *ifname, const char *flag) {
        _cleanup_free_ char *s = NULL;

        s = run_output("ip -j link show dev %s | jq -r '.[0].flags | index(\"%s\") != null'", ifname, flag);
        assert_true(streq(s, "true") || streq(s, "false"));
        return streq(s, "true");
}

static EtherAddr mac(const char *s) {
        EtherAddr a;

        assert_int_equal(ether_addr_from_string(s, &a), 0);
        return a;
}

static LinkInfo link_get(int ifindex) {
        LinkInfo info;

        assert_int_equal(rtnl_link_get(rtnl, ifindex, NULL, &info), 0);
        assert_int_equal(info.ifindex, ifindex);
        return info;
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

/* Runs rtnl_process() on 'r' whenever its fd is readable until '*counter' reaches 'want' or
 * WAIT_MSEC pass. */
static void wait_replies(Rtnl *r, const unsigned *counter, unsigned want) {
        for (int waited = 0; *counter < want && waited < WAIT_MSEC; waited += 20) {
                struct pollfd p = {.fd = rtnl_get_fd(r), .events = POLLIN};

                if (poll(&p, 1, 20) > 0)
                        assert_true(rtnl_process(r) >= 0);
        }
        assert_int_equal(*counter, want);
}

/* Sends 'm' through rtnl_send() and runs the loop until its handler ran, once. */
static Reply send_and_wait(Rtnl *r, struct nl_msg *m) {
        static Reply reply; /* static: a late call after a failed test must not hit a dead stack */

        reply = (Reply){};
        assert_int_equal(rtnl_send(r, m, reply_handler, &reply), 0);
        assert_int_equal(rtnl_in_flight(r), 1);
        wait_replies(r, &reply.calls, 1);
        assert_int_equal(rtnl_in_flight(r), 0);
        return reply;
}

static int set_flags(int ifindex, unsigned flags, unsigned change) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        Reply reply;

        assert_int_equal(link_message_new(&m), 0);
        assert_int_equal(link_fill_set_flags(m, ifindex, flags, change), 0);
        reply = send_and_wait(rtnl, m);
        return reply.error;
}

static void test_link_get(void **state) {
        char buf[ETHER_ADDR_STRING_MAX];
        _cleanup_free_ char *kind = NULL, *lower = NULL, *address = NULL;
        LinkInfo by_name, by_index, up;

        assert_int_equal(rtnl_link_get(rtnl, 0, "mvt", &by_name), 0);
        assert_int_equal(by_name.ifindex, ifindex_mvt);
        assert_string_equal(by_name.ifname, "mvt");
        assert_string_equal(by_name.kind, "macvtap");
        assert_int_equal(by_name.link_ifindex, ifindex_uplink);
        assert_int_equal(by_name.master_ifindex, 0);
        assert_true(by_name.flags & IFF_UP);

        assert_int_equal(rtnl_link_get(rtnl, ifindex_mvt, NULL, &by_index), 0);
        assert_string_equal(by_index.ifname, "mvt");
        assert_string_equal(by_index.kind, "macvtap");
        assert_int_equal(by_index.link_ifindex, ifindex_uplink);
        assert_true(ether_addr_equal(&by_index.mac, &by_name.mac));
        assert_int_equal(by_index.flags, by_name.flags);

        /* The same link as ip(8) sees it. */
        kind = run_output("ip -j -d link show dev mvt | jq -r '.[0].linkinfo.info_kind'");
        assert_string_equal(by_index.kind, kind);
        lower = run_output("ip -j link show dev mvt | jq -r '.[0].link'");
        assert_string_equal(lower, "uplink");
        address = run_output("ip -j link show dev mvt | jq -r '.[0].address'");
        assert_string_equal(ether_addr_to_string(&by_index.mac, buf), address);
        assert_int_equal(by_index.promiscuity, ip_link_number("mvt", ".promiscuity"));
        assert_int_equal(by_index.allmulti, ip_link_number("mvt", ".allmulti"));
        assert_int_equal(by_index.num_tx_queues, ip_link_number("mvt", ".num_tx_queues"));
        assert_int_equal(by_index.num_rx_queues, ip_link_number("mvt", ".num_rx_queues"));
        assert_true(by_index.num_tx_queues >= 1);

        /* The veth: its IFLA_LINK is the peer. */
        up = link_get(ifindex_uplink);
        assert_string_equal(up.ifname, "uplink");
        assert_string_equal(up.kind, "veth");
        assert_int_equal(up.link_ifindex, ifindex_peer);

        assert_int_equal(rtnl_link_get(rtnl, 0, "nosuchlink", &up), -ENODEV);
        assert_int_equal(rtnl_link_get(rtnl, 99999, NULL, &up), -ENODEV);
        assert_int_equal(rtnl_link_get(rtnl, 0, "", &up), -EINVAL);
        assert_int_equal(rtnl_link_get(rtnl, 0, "name-longer-than-15", &up), -EINVAL);
        assert_int_equal(rtnl_link_get(rtnl, 0, NULL, &up), -EINVAL);
}

/* A multiqueue tap as QEMU uses it: one fd per queue (TUNSETIFF with IFF_MULTI_QUEUE), and a
 * guest's `ethtool -L` detaches queues (TUNSETQUEUE IFF_DETACH_QUEUE). */
static int tap_queue_open(const char *name) {
        struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE};
        int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

        assert_true(fd >= 0);
        strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
        assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
        return fd;
}

static void test_tap_queues(void **state) {
        struct ifreq detach = {.ifr_flags = IFF_DETACH_QUEUE}, attach = {.ifr_flags = IFF_ATTACH_QUEUE};
        int fds[4];
        LinkInfo li;

        assert_int_equal(run("ip tuntap add mqtap mode tap multi_queue"), 0);
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                fds[i] = tap_queue_open("mqtap");
        assert_int_equal(rtnl_link_get(rtnl, 0, "mqtap", &li), 0);
        assert_string_equal(li.kind, "tun");
        assert_true(li.has_tun_queues);
        assert_true(li.tun_multi_queue);
        assert_int_equal(li.tun_queues, 4);
        assert_int_equal(li.tun_disabled_queues, 0);
        assert_int_equal(li.tun_queues, ip_link_number("mqtap", ".linkinfo.info_data.numqueues"));

        /* The guest goes to 1 pair: QEMU detaches the other three. */
        for (size_t i = 1; i < ELEMENTSOF(fds); i++)
                assert_int_equal(ioctl(fds[i], TUNSETQUEUE, &detach), 0);
        assert_int_equal(rtnl_link_get(rtnl, 0, "mqtap", &li), 0);
        assert_int_equal(li.tun_queues, 1);
        assert_int_equal(li.tun_disabled_queues, 3);
        assert_int_equal(li.tun_disabled_queues, ip_link_number("mqtap", ".linkinfo.info_data.numdisabled"));
        assert_int_equal(ioctl(fds[1], TUNSETQUEUE, &attach), 0);
        assert_int_equal(rtnl_link_get(rtnl, 0, "mqtap", &li), 0);
        assert_int_equal(li.tun_queues, 2);
        assert_int_equal(li.tun_disabled_queues, 2);

        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                close(fds[i]);
        assert_int_equal(run("ip link del mqtap"), 0);

        /* A macvtap is no tun: nothing reported. */
        assert_int_equal(rtnl_link_get(rtnl, ifindex_mvt, NULL, &li), 0);
        assert_false(li.has_tun_queues);
}

/* The counters with the link: frames sent on the veth show on both ends, as ip(8) reads them. */
static void test_link_stats(void **state) {
        LinkStats before, after;
        LinkInfo li;

        struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = ifindex_uplink, .sll_halen = 6};
        uint8_t frame[100] = {0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x98, 0x88, 0xb5}; /* local exp. */
        _cleanup_free_ char *tx = NULL;
        int fd;

        assert_int_equal(run("ip link set uplink up && ip link set peer up"), 0);
        assert_int_equal(rtnl_link_get_stats(rtnl, ifindex_uplink, &li, &before), 0);
        assert_string_equal(li.ifname, "uplink");
        fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        for (int i = 0; i < 5; i++)
                assert_int_equal(sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *) &to, sizeof(to)),
                                (ssize_t) sizeof(frame));
        close(fd);
        assert_int_equal(rtnl_link_get_stats(rtnl, ifindex_uplink, &li, &after), 0);
        /* At least ours (the kernel may send its own, e.g. IPv6 router solicitations). */
        assert_true(after.tx_packets >= before.tx_packets + 5);
        assert_true(after.tx_bytes >= before.tx_bytes + 5 * sizeof(frame));
        tx = run_output("ip -j -s link show dev uplink | jq -r '.[0].stats64.tx.packets'");
        assert_true(strtoull(tx, NULL, 10) >= after.tx_packets);
        assert_int_equal(rtnl_link_get_stats(rtnl, 99999, &li, &after), -ENODEV);
}

static void test_set_mac(void **state) {
        static const char *const macs[] = {"02:aa:bb:cc:dd:01", "02:aa:bb:cc:dd:02"};

        /* Twice, so the second value differs from whatever the first run left. */
        for (size_t i = 0; i < ELEMENTSOF(macs); i++) {
                _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
                _cleanup_free_ char *address = NULL;
                EtherAddr want = mac(macs[i]);
                LinkInfo info;
                Reply reply;

                assert_int_equal(link_message_new(&m), 0);
                assert_int_equal(link_fill_set_mac(m, ifindex_mvt, &want), 0);
                reply = send_and_wait(rtnl, m);
                assert_int_equal(reply.error, 0);
                assert_int_equal(reply.calls, 1);

                info = link_get(ifindex_mvt);
                assert_true(ether_addr_equal(&info.mac, &want));
                address = run_output("ip -j link show dev mvt | jq -r '.[0].address'");
                assert_string_equal(address, macs[i]);
        }
}

static void test_promisc(void **state) {
        LinkInfo before, on, off;

        before = link_get(ifindex_mvt);
        assert_false(before.flags & IFF_PROMISC);
        assert_false(ip_link_has_flag("mvt", "PROMISC"));

        assert_int_equal(set_flags(ifindex_mvt, IFF_PROMISC, IFF_PROMISC), 0);
        on = link_get(ifindex_mvt);
        assert_true(on.flags & IFF_PROMISC);
        assert_int_equal(on.promiscuity, before.promiscuity + 1);
        assert_true(ip_link_has_flag("mvt", "PROMISC"));
        assert_int_equal(ip_link_number("mvt", ".promiscuity"), on.promiscuity);
        /* Only the asked-for bit changed. */
        assert_int_equal(on.flags & ~(unsigned) IFF_PROMISC, before.flags);

        /* Setting it again is no change: the kernel counts a user's promisc once. */
        assert_int_equal(set_flags(ifindex_mvt, IFF_PROMISC, IFF_PROMISC), 0);
        assert_int_equal(link_get(ifindex_mvt).promiscuity, on.promiscuity);

        assert_int_equal(set_flags(ifindex_mvt, 0, IFF_PROMISC), 0);
        off = link_get(ifindex_mvt);
        assert_false(off.flags & IFF_PROMISC);
        assert_int_equal(off.promiscuity, before.promiscuity);
        assert_false(ip_link_has_flag("mvt", "PROMISC"));
        assert_int_equal(ip_link_number("mvt", ".promiscuity"), off.promiscuity);
}

static void test_allmulti(void **state) {
        LinkInfo before, on, off;

        before = link_get(ifindex_mvt);
        assert_false(before.flags & IFF_ALLMULTI);

        assert_int_equal(set_flags(ifindex_mvt, IFF_ALLMULTI, IFF_ALLMULTI), 0);
        on = link_get(ifindex_mvt);
        assert_true(on.flags & IFF_ALLMULTI);
        assert_int_equal(on.allmulti, before.allmulti + 1);
        assert_true(ip_link_has_flag("mvt", "ALLMULTI"));
        assert_int_equal(ip_link_number("mvt", ".allmulti"), on.allmulti);
        assert_false(on.flags & IFF_PROMISC);

        assert_int_equal(set_flags(ifindex_mvt, 0, IFF_ALLMULTI), 0);
        off = link_get(ifindex_mvt);
        assert_false(off.flags & IFF_ALLMULTI);
        assert_int_equal(off.allmulti, before.allmulti);
        assert_false(ip_link_has_flag("mvt", "ALLMULTI"));
}

static void test_error_ack(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL, *mtu = NULL;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex_mvt};
        EtherAddr a = mac("02:aa:bb:cc:dd:99");
        Reply reply;

        /* No such link: the kernel's -ENODEV reaches the handler. */
        assert_int_equal(link_message_new(&m), 0);
        assert_int_equal(link_fill_set_mac(m, 99999, &a), 0);
        reply = send_and_wait(rtnl, m);
        assert_int_equal(reply.calls, 1);
        assert_int_equal(reply.error, -ENODEV);

        /* An error with extended ACK text: an MTU below the device minimum (68). */
        assert_int_equal(link_message_new(&mtu), 0);
        assert_int_equal(nlmsg_append(mtu, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
        assert_int_equal(nla_put_u32(mtu, IFLA_MTU, 10), 0);
        reply = send_and_wait(rtnl, mtu);
        assert_int_equal(reply.error, -EINVAL);
        assert_non_null(strstr(reply.ext_ack, "mtu"));
        assert_int_equal(ip_link_number("mvt", ".mtu"), 1500);

        assert_int_equal(rtnl_send(rtnl, NULL, reply_handler, &reply), -EINVAL);
        assert_int_equal(rtnl_in_flight(rtnl), 0);
}

static void test_forget(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        static Reply a, b;

        assert_int_equal(link_message_new(&m), 0);
        assert_int_equal(link_fill_set_flags(m, ifindex_mvt, 0, IFF_PROMISC), 0);

        /* The same message three times: each send gets its own sequence number. */
        assert_int_equal(rtnl_send(rtnl, m, reply_handler, &a), 0);
        assert_int_equal(rtnl_send(rtnl, m, reply_handler, &b), 0);
        assert_int_equal(rtnl_send(rtnl, m, reply_handler, &a), 0);
        assert_int_equal(rtnl_in_flight(rtnl), 3);

        rtnl_forget(rtnl, &a);
        assert_int_equal(rtnl_in_flight(rtnl), 3); /* still in flight, just unowned */

        wait_replies(rtnl, &b.calls, 1);
        assert_int_equal(rtnl_process(rtnl), 0);
        assert_int_equal(a.calls, 0);
        assert_int_equal(b.calls, 1);
        assert_int_equal(b.error, 0);
        assert_int_equal(rtnl_in_flight(rtnl), 0);
}

typedef struct Overrun {
        unsigned calls, ok, lost, other;
} Overrun;

static void overrun_handler(int error, const char *ext_ack, void *userdata) {
        Overrun *o = userdata;

        o->calls++;
        if (error == 0)
                o->ok++;
        else if (error == -ENOBUFS)
                o->lost++;
        else
                o->other++;
}

static void test_overrun(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        _cleanup_(rtnl_freep) Rtnl *small = NULL;
        static Overrun o;
        int size = 4096;
        Reply reply;

        /* A tiny receive queue and 300 requests before reading: the kernel drops most ACKs, and
         * every handler must still run exactly once. */
        assert_int_equal(rtnl_new(&small), 0);
        assert_true(setsockopt(rtnl_get_fd(small), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) >= 0);

        assert_int_equal(link_message_new(&m), 0);
        assert_int_equal(link_fill_set_flags(m, ifindex_mvt, 0, IFF_ALLMULTI), 0);
        for (unsigned i = 0; i < 300; i++)
                assert_int_equal(rtnl_send(small, m, overrun_handler, &o), 0);
        assert_int_equal(rtnl_in_flight(small), 300);

        wait_replies(small, &o.calls, 300);
        assert_int_equal(o.other, 0);
        assert_true(o.ok > 0);
        assert_true(o.lost > 0);
        assert_int_equal(o.ok + o.lost, 300);
        assert_int_equal(rtnl_in_flight(small), 0);

        /* The socket still works afterwards. */
        reply = send_and_wait(small, m);
        assert_int_equal(reply.error, 0);
}

static void test_dump(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
        Reply reply;

        /* A dump ends with NLMSG_DONE, not an ACK: that completes the request. */
        m = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_DUMP);
        assert_non_null(m);
        assert_int_equal(nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
        reply = send_and_wait(rtnl, m);
        assert_int_equal(reply.error, 0);
        assert_int_equal(reply.calls, 1);
}

static char *ip_maddr(const char *ifname, bool static_only) {
        return run_output("ip -j maddr show dev %s | jq -r '[.[0].maddr[] | select(.link != null and "
                          "(.features == \"static\") == %s) | .link] | sort | join(\",\")'",
                        ifname, static_only ? "true" : "false");
}

static void assert_mc_list(const char *want) {
        _cleanup_free_ EtherAddr *list = NULL;
        _cleanup_free_ char *from_ip = NULL;
        char got[512] = "", buf[ETHER_ADDR_STRING_MAX];
        size_t n = 0;

        assert_int_equal(link_mc_list(ifindex_mvt, &list, &n), 0);
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        strcat(got, ",");
                strcat(got, ether_addr_to_string(&list[i], buf));
        }
        assert_string_equal(got, want);

        from_ip = ip_maddr("mvt", true);
        assert_string_equal(from_ip, want);
}

static void test_mc(void **state) {
        static const char *const groups[] = {"33:33:00:00:12:34", "01:00:5e:01:02:03", "01:80:c2:00:00:0e"};
        _cleanup_free_ char *kernel_groups = NULL, *kernel_after = NULL;
        EtherAddr *list = NULL, a;
        size_t n = 0;

        assert_mc_list("");

        /* The kernel's own groups are there (the link is up, IPv6 joined all-nodes) and must not
         * be reported. */
        kernel_groups = ip_maddr("mvt", false);
        assert_non_null(strstr(kernel_groups, "33:33:00:00:00:01"));

        for (size_t i = 0; i < ELEMENTSOF(groups); i++) {
                a = mac(groups[i]);
                assert_int_equal(link_mc_add("mvt", &a), 0);
        }
        assert_mc_list("01:00:5e:01:02:03,01:80:c2:00:00:0e,33:33:00:00:12:34");

        /* Idempotent both ways. */
        a = mac(groups[1]);
        assert_int_equal(link_mc_add("mvt", &a), 0);
        assert_mc_list("01:00:5e:01:02:03,01:80:c2:00:00:0e,33:33:00:00:12:34");
        a = mac("01:00:5e:7f:7f:7f");
        assert_int_equal(link_mc_del("mvt", &a), 0);
        assert_mc_list("01:00:5e:01:02:03,01:80:c2:00:00:0e,33:33:00:00:12:34");

        /* A group the kernel joined itself is not ours to drop: a no-op. */
        a = mac("33:33:00:00:00:01");
        assert_int_equal(link_mc_del("mvt", &a), 0);
        kernel_after = ip_maddr("mvt", false);
        assert_string_equal(kernel_after, kernel_groups);

        /* Added twice, deleted once: gone (the kernel does not count a global add twice). */
        a = mac(groups[1]);
        assert_int_equal(link_mc_del("mvt", &a), 0);
        assert_mc_list("01:80:c2:00:00:0e,33:33:00:00:12:34");
        assert_int_equal(link_mc_add("mvt", &a), 0);
        assert_mc_list("01:00:5e:01:02:03,01:80:c2:00:00:0e,33:33:00:00:12:34");

        /* Behind our back. */
        assert_int_equal(run("ip maddr del 01:80:c2:00:00:0e dev mvt"), 0);
        assert_mc_list("01:00:5e:01:02:03,33:33:00:00:12:34");
        assert_int_equal(run("ip maddr add 01:00:5e:00:00:fb dev mvt"), 0);
        assert_mc_list("01:00:5e:00:00:fb,01:00:5e:01:02:03,33:33:00:00:12:34");

        /* Bad input. */
        a = mac("02:00:00:00:00:01");
        assert_int_equal(link_mc_add("mvt", &a), -EINVAL);
        a = mac(groups[0]);
        assert_int_equal(link_mc_add("nosuchlink", &a), -ENODEV);
        assert_int_equal(link_mc_add("name-longer-than-15", &a), -EINVAL);
        assert_int_equal(link_mc_list(0, &list, &n), -EINVAL);

        /* Clean up; the list is empty again. */
        for (size_t i = 0; i < ELEMENTSOF(groups); i++) {
                a = mac(groups[i]);
                assert_int_equal(link_mc_del("mvt", &a), 0);
        }
        a = mac("01:00:5e:00:00:fb");
        assert_int_equal(link_mc_del("mvt", &a), 0);
        assert_mc_list("");
}

static void test_behind_back(void **state) {
        EtherAddr want;
        LinkInfo info;

        assert_int_equal(set_flags(ifindex_mvt, IFF_PROMISC, IFF_PROMISC), 0);
        assert_true(link_get(ifindex_mvt).flags & IFF_PROMISC);

        assert_int_equal(run("ip link set dev mvt promisc off"), 0);
        info = link_get(ifindex_mvt);
        assert_false(info.flags & IFF_PROMISC);
        assert_int_equal(info.promiscuity, ip_link_number("mvt", ".promiscuity"));

        assert_int_equal(run("ip link set dev mvt address 02:aa:bb:cc:dd:77"), 0);
        want = mac("02:aa:bb:cc:dd:77");
        info = link_get(ifindex_mvt);
        assert_true(ether_addr_equal(&info.mac, &want));
}

/* Is IFF_PROMISC in RTM_NEWLINK's ifi_flags the flag a user set, or "acts promiscuous"? The
 * kernel promotes a device to promiscuous for other reasons too; those must show only in the
 * counters. */
static void test_user_flag_vs_counter(void **state) {
        struct packet_mreq mr = {.mr_ifindex = ifindex_peer};
        _cleanup_close_ int fd = -EBADF;
        LinkInfo base, pkt, user, after;

        /* 1. The veth under a macvtap: the macvtap's own MAC is on the veth's unicast list and
         * veth has no IFF_UNICAST_FLT, so the kernel made it promiscuous. */
        base = link_get(ifindex_uplink);
        assert_true(base.promiscuity >= 1);
        assert_false(base.flags & IFF_PROMISC);
        assert_false(ip_link_has_flag("uplink", "PROMISC"));
        assert_int_equal(ip_link_number("uplink", ".promiscuity"), base.promiscuity);

        /* 2. A packet socket's PACKET_MR_PROMISC and PACKET_MR_ALLMULTI on the peer. */
        base = link_get(ifindex_peer);
        fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        mr.mr_type = PACKET_MR_PROMISC;
        assert_true(setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) >= 0);
        mr.mr_type = PACKET_MR_ALLMULTI;
        assert_true(setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) >= 0);

        pkt = link_get(ifindex_peer);
        assert_int_equal(pkt.promiscuity, base.promiscuity + 1);
        assert_int_equal(pkt.allmulti, base.allmulti + 1);
        assert_false(pkt.flags & IFF_PROMISC);
        assert_false(pkt.flags & IFF_ALLMULTI);
        assert_false(ip_link_has_flag("peer", "PROMISC"));

        /* 3. A user's promisc on top: the flag appears, the counter adds one. */
        assert_int_equal(run("ip link set dev peer promisc on"), 0);
        user = link_get(ifindex_peer);
        assert_true(user.flags & IFF_PROMISC);
        assert_int_equal(user.promiscuity, base.promiscuity + 2);

        /* 4. The user's off leaves the packet socket's reason: flag gone, counter still 1 up. */
        assert_int_equal(run("ip link set dev peer promisc off"), 0);
        after = link_get(ifindex_peer);
        assert_false(after.flags & IFF_PROMISC);
        assert_int_equal(after.promiscuity, base.promiscuity + 1);

        fd = safe_close(fd);
        after = link_get(ifindex_peer);
        assert_int_equal(after.promiscuity, base.promiscuity);
        assert_int_equal(after.allmulti, base.allmulti);
}

typedef struct Event {
        bool removed;
        LinkInfo link;
} Event;

static struct {
        Event events[256];
        unsigned n;
} monitor_log;

static void monitor_handler(bool removed, const LinkInfo *link, void *userdata) {
        assert_ptr_equal(userdata, &monitor_log);
        if (monitor_log.n < ELEMENTSOF(monitor_log.events))
                monitor_log.events[monitor_log.n++] = (Event){removed, *link};
}

static int monitor_fd = -EBADF;

static int monitor_start(void) {
        if (monitor_fd < 0)
                monitor_fd = rtnl_monitor_start(rtnl, monitor_handler, &monitor_log);
        assert_true(monitor_fd >= 0);
        return monitor_fd;
}

typedef struct Match {
        int ifindex;
        bool removed;
        unsigned flag; /* must be set in the link's flags, 0 for any */
        int master;    /* IFLA_MASTER, -1 for any */
} Match;

/* Runs the monitor until an event matching 'm' was logged; returns it. */
static Event wait_event(Match m) {
        for (int waited = 0; waited < WAIT_MSEC; waited += 20) {
                struct pollfd p = {.fd = monitor_start(), .events = POLLIN};

                for (unsigned i = 0; i < monitor_log.n; i++) {
                        Event *e = &monitor_log.events[i];

                        if (e->link.ifindex == m.ifindex && e->removed == m.removed &&
                                        (e->link.flags & m.flag) == m.flag &&
                                        (m.master < 0 || e->link.master_ifindex == m.master))
                                return *e;
                }
                if (poll(&p, 1, 20) > 0)
                        assert_true(rtnl_monitor_process(rtnl) >= 0);
        }
        fail_msg("no %s event for ifindex %d with flags 0x%x master %d", m.removed ? "removal" : "link",
                        m.ifindex, m.flag, m.master);
        return (Event){};
}

static void test_monitor(void **state) {
        int ifindex_tmp;
        Event e;

        monitor_start();
        assert_int_equal(rtnl_monitor_start(rtnl, monitor_handler, &monitor_log), -EBUSY);

        assert_int_equal(run("ip link set dev mvt promisc on"), 0);
        e = wait_event((Match){ifindex_mvt, false, IFF_PROMISC, -1});
        assert_string_equal(e.link.ifname, "mvt");
        assert_string_equal(e.link.kind, "macvtap");
        assert_int_equal(e.link.link_ifindex, ifindex_uplink);
        assert_true(e.link.promiscuity >= 1);
        assert_int_equal(run("ip link set dev mvt promisc off"), 0);

        /* A new link and its removal. */
        assert_int_equal(run("ip link add tmp0 type veth peer name tmp1"), 0);
        ifindex_tmp = (int) if_nametoindex("tmp0");
        assert_true(ifindex_tmp > 0);
        e = wait_event((Match){ifindex_tmp, false, 0, -1});
        assert_string_equal(e.link.ifname, "tmp0");
        assert_string_equal(e.link.kind, "veth");
        assert_int_equal(run("ip link del tmp0"), 0);
        e = wait_event((Match){ifindex_tmp, true, 0, -1});
        assert_string_equal(e.link.ifname, "tmp0");
}

static void test_monitor_overrun(void **state) {
        int size = 1024, fd;
        bool lost = false;
        Event e;

        /* A tiny queue and a burst of changes: the kernel drops notifications and says so. */
        fd = monitor_start();
        assert_true(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) >= 0);
        assert_int_equal(run("for i in 1 2 3 4 5 6 7 8; do ip link set dev mvt promisc on; "
                             "ip link set dev mvt promisc off; done"),
                        0);

        for (int i = 0; i < 100 && !lost; i++) {
                int k = rtnl_monitor_process(rtnl);

                if (k == -ENOBUFS)
                        lost = true;
                else
                        assert_true(k >= 0);
        }
        assert_true(lost);

        /* The socket is still usable: later changes arrive. */
        size = 1024 * 1024;
        assert_true(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) >= 0);
        while (rtnl_monitor_process(rtnl) > 0)
                ;
        monitor_log.n = 0;
        assert_int_equal(run("ip link set dev mvt allmulticast on"), 0);
        e = wait_event((Match){ifindex_mvt, false, IFF_ALLMULTI, -1});
        assert_true(e.link.allmulti >= 1);
        assert_int_equal(run("ip link set dev mvt allmulticast off"), 0);
}

/* Counts AF_BRIDGE RTM_DELLINK messages for 'ifindex' on a raw RTNLGRP_LINK socket: the proof
 * that the kernel sent the message the monitor has to skip. */
static unsigned raw_count_bridge_dellink(struct nl_sock *sk, int ifindex) {
        unsigned n = 0;

        for (;;) {
                _cleanup_free_ void *buf = NULL;
                struct nlmsghdr *nlh;
                ssize_t k;
                int rem;

                k = netlink_recv(nl_socket_get_fd(sk), &buf);
                assert_true(k >= 0);
                if (k == 0)
                        return n;
                rem = (int) k;
                for (nlh = buf; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
                        const struct ifinfomsg *ifi = nlmsg_data(nlh);

                        if (nlh->nlmsg_type == RTM_DELLINK && ifi->ifi_family == AF_BRIDGE &&
                                        ifi->ifi_index == ifindex)
                                n++;
                }
        }
}

static void test_monitor_bridge_port(void **state) {
        _cleanup_(nl_socket_freep) struct nl_sock *raw = NULL;
        int ifindex_br;
        Event e;

        raw = nl_socket_alloc();
        assert_non_null(raw);
        assert_int_equal(nl_connect(raw, NETLINK_ROUTE), 0);
        assert_int_equal(nl_socket_add_membership(raw, RTNLGRP_LINK), 0);
        assert_int_equal(nl_socket_set_nonblocking(raw), 0);

        monitor_start();

        assert_int_equal(run("ip link add br0 type bridge"), 0);
        ifindex_br = (int) if_nametoindex("br0");
        assert_true(ifindex_br > 0);
        assert_int_equal(run("ip link set dev peer master br0"), 0);

        /* IFLA_MASTER of the new port, from the notification and from a read. */
        e = wait_event((Match){ifindex_peer, false, 0, ifindex_br});
        assert_string_equal(e.link.ifname, "peer");
        assert_int_equal(link_get(ifindex_peer).master_ifindex, ifindex_br);

        assert_int_equal(run("ip link set dev peer nomaster"), 0);
        assert_int_equal(run("ip link del br0"), 0);
        e = wait_event((Match){ifindex_br, true, 0, -1});
        assert_string_equal(e.link.ifname, "br0");

        /* The bridge said "peer left" with an AF_BRIDGE RTM_DELLINK... */
        assert_true(raw_count_bridge_dellink(raw, ifindex_peer) >= 1);
        /* ...which is not "peer was deleted". */
        (void) rtnl_monitor_process(rtnl);
        for (unsigned i = 0; i < monitor_log.n; i++)
                if (monitor_log.events[i].link.ifindex == ifindex_peer)
                        assert_false(monitor_log.events[i].removed);
        assert_true(if_nametoindex("peer") > 0);
}

/* A fresh connection per test, so one test's failure leaves nothing in flight for the next. */
static int setup_rtnl(void **state) {
        monitor_fd = -EBADF;
        monitor_log.n = 0;
        return rtnl_new(&rtnl) < 0 ? -1 : 0;
}

static int teardown_rtnl(void **state) {
        rtnl = rtnl_free(rtnl);
        return 0;
}

static int setup(void **state) {
        if (run("ip link add uplink type veth peer name peer") != 0 ||
                        run("ip link add link uplink name mvt type macvtap mode bridge") != 0 ||
                        run("ip link set dev uplink up && ip link set dev peer up && ip link set dev mvt "
                            "up") != 0)
                return -1;

        ifindex_uplink = (int) if_nametoindex("uplink");
        ifindex_peer = (int) if_nametoindex("peer");
        ifindex_mvt = (int) if_nametoindex("mvt");
        if (ifindex_uplink <= 0 || ifindex_peer <= 0 || ifindex_mvt <= 0)
                return -1;
        return 0;
}

static int teardown(void **state) {
        /* The namespace goes away with this process; delete what we made all the same. */
        (void) run("ip link del mvt 2>/dev/null; ip link del uplink 2>/dev/null; ip link del br0 "
                   "2>/dev/null; "
                   "ip link del tmp0 2>/dev/null; true");
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test_setup_teardown(test_link_get, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_tap_queues, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_link_stats, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_set_mac, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_promisc, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_allmulti, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_error_ack, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_forget, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_overrun, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_dump, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_mc, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_behind_back, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(
                                        test_user_flag_vs_counter, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_monitor, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_monitor_overrun, setup_rtnl, teardown_rtnl),
                        cmocka_unit_test_setup_teardown(test_monitor_bridge_port, setup_rtnl, teardown_rtnl),
        };

        if (geteuid() != 0) {
                fprintf(stderr, "SKIP: needs root (CAP_NET_ADMIN and unshare(CLONE_NEWNET)).\n");
                return 77;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
                return 77;
        }
        if (run("ip -V >/dev/null 2>&1 && jq --version >/dev/null 2>&1") != 0) {
                fprintf(stderr, "SKIP: ip(8) and jq are needed.\n");
                return 77;
        }
        /* Probe macvtap separately so a kernel without it is a skip, not a failure. */
        if (run("ip link add vnic-probe0 type veth peer name vnic-probe1 && "
                "ip link add link vnic-probe0 name vnic-probe2 type macvtap 2>/dev/null") != 0) {
                fprintf(stderr, "SKIP: this kernel cannot create a macvtap.\n");
                (void) run("ip link del vnic-probe0 2>/dev/null");
                return 77;
        }
        (void) run("ip link del vnic-probe2; ip link del vnic-probe0");

        return cmocka_run_group_tests(tests, setup, teardown);
}
