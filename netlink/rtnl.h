/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ether-addr.h"
#include "macro.h"

struct nl_msg;

/* A route-netlink connection for the daemon: one non-blocking socket whose writes are matched to
 * their kernel ACK by sequence number (so the event loop never waits for the kernel), one socket
 * for short synchronous reads (RTM_GETLINK of one link), and an optional monitor socket joined to
 * RTNLGRP_LINK. libnl's -NLE_* codes never leave netlink/: everything returns 0 or -errno. */

typedef struct Rtnl Rtnl;

/* Called once per request with 0 or the kernel's -errno (-ENOBUFS when the reply was lost, see
 * rtnl_process(); -ECANCELED from rtnl_free() for requests still pending), and the kernel's extended ACK text (NULL when none; it may come with 0 as a
 * warning), valid during the call only. The handler may call rtnl_send() and rtnl_forget(), not
 * rtnl_free(). */
typedef void (*RtnlReplyHandler)(int error, const char *ext_ack, void *userdata);

typedef struct LinkInfo {
        int ifindex;
        char ifname[IFNAMSIZ];
        char kind[32];        /* IFLA_INFO_KIND: "macvtap", "veth", "bridge", "tun", "" if none */
        int link_ifindex;     /* IFLA_LINK: lower device (macvtap → uplink), 0 if none or in
                               * another namespace (IFLA_LINK_NETNSID) */
        int master_ifindex;   /* IFLA_MASTER, 0 if none */
        EtherAddr mac;        /* IFLA_ADDRESS; zero unless it is 6 bytes long */
        unsigned flags;       /* ifi_flags, IFF_*; IFF_PROMISC/IFF_ALLMULTI are the user-set flags
                               * (dev->gflags, see link.c), not "acts promiscuous" */
        unsigned promiscuity; /* IFLA_PROMISCUITY counter (all reasons) */
        unsigned allmulti;    /* IFLA_ALLMULTI counter, 0 when the kernel lacks it */
        unsigned num_tx_queues;
        unsigned num_rx_queues;
        /* A tun/tap (IFLA_INFO_DATA of kind "tun"): made with multi_queue, and then the queues
         * attached (a guest's active pairs: QEMU detaches the others) and detached; has_tun_queues
         * is false when not reported (the kernel reports them for multiqueue taps only). */
        bool has_tun_queues;
        bool tun_multi_queue;
        unsigned tun_queues;
        unsigned tun_disabled_queues;
} LinkInfo;

/* The counters of IFLA_STATS64, as seen from the host device (a tap's rx is the guest's tx). */
typedef struct LinkStats {
        uint64_t rx_packets, tx_packets;
        uint64_t rx_bytes, tx_bytes;
        uint64_t rx_dropped, tx_dropped;
} LinkStats;

/* 'removed' for RTM_DELLINK. 'link' is valid during the call only. */
typedef void (*RtnlLinkHandler)(bool removed, const LinkInfo *link, void *userdata);

/* Opens the request and synchronous sockets. Returns 0 or -errno. */
int rtnl_new(Rtnl **ret);
/* Closes everything; pending reply handlers are not called. Accepts NULL, returns NULL. */
Rtnl *rtnl_free(Rtnl *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(Rtnl *, rtnl_free)

/* fd to watch for EPOLLIN; call rtnl_process() when readable. */
int rtnl_get_fd(Rtnl *r);

/* Sends 'm' (ownership stays with the caller) with NLM_F_REQUEST|NLM_F_ACK and a fresh sequence
 * number, and calls 'h' (may be NULL) when the kernel answers. Returns 0 or -errno (then 'h' is
 * never called). */
int rtnl_send(Rtnl *r, struct nl_msg *m, RtnlReplyHandler h, void *userdata);

/* Reads and dispatches everything pending without blocking. Returns the number of handlers
 * called, or -errno on a socket error. When the receive queue overflowed (the kernel dropped
 * replies), every request still waiting once the queue is drained gets -ENOBUFS: rtnetlink queues
 * its reply before our send returns, so those replies are lost, not late. */
int rtnl_process(Rtnl *r);

/* Requests sent whose reply has not been read yet, forgotten ones included. */
size_t rtnl_in_flight(Rtnl *r);

/* Drops pending handlers whose userdata is 'userdata' (the object is going away); their replies
 * are then read and ignored. */
void rtnl_forget(Rtnl *r, void *userdata);

/* Synchronous read of one link by index (ifindex > 0) or else by name. -ENODEV when it does not
 * exist, -EINVAL for an empty or too long name. */
int rtnl_link_get(Rtnl *r, int ifindex, const char *ifname, LinkInfo *ret);
/* The same read with the link's counters (a reply three times the size: ask only when sampling). */
int rtnl_link_get_stats(Rtnl *r, int ifindex, LinkInfo *ret, LinkStats *ret_stats);

/* Link monitor: joins RTNLGRP_LINK on a third socket; 'h' is called for every RTM_NEWLINK and
 * RTM_DELLINK of a link (AF_BRIDGE port notifications on the same group go to the handler of
 * rtnl_monitor_start_bridge_port() in bridge.h, or are skipped). Returns the fd to watch, -EBUSY
 * when already started; call rtnl_monitor_process() when readable. The FDB and bridge port
 * monitors of bridge.h share this socket and fd. */
int rtnl_monitor_start(Rtnl *r, RtnlLinkHandler h, void *userdata);
/* Returns the number of notifications handled, or -errno; -ENOBUFS means notifications were lost
 * (the socket stays usable): re-read the links you care about. */
int rtnl_monitor_process(Rtnl *r);

/* Parses one RTM_NEWLINK/RTM_DELLINK message of at most 'size' bytes at 'buf' (aligned as malloc()
 * returns). Returns 0, -ENOMSG for another message type, -EAFNOSUPPORT for a family other than
 * AF_UNSPEC (bridge port messages), -EBADMSG when malformed; 'ret' untouched on failure. */
int link_info_parse(const void *buf, size_t size, bool *ret_removed, LinkInfo *ret);
/* IFLA_STATS64 of the same message; -ENODATA when it has none (RTEXT_FILTER_SKIP_STATS). */
int link_stats_parse(const void *buf, size_t size, LinkStats *ret);

/* Message builders: append to a caller-owned message, no I/O (STYLE R14). Both produce
 * RTM_NEWLINK for an existing link (no NLM_F_CREATE). The first call adds the ifinfomsg; further
 * calls on the same message must name the same 'ifindex' (else -EINVAL), so one message can set
 * MAC and flags together. link_fill_set_flags() sets the bits 'change' to their value in 'flags'
 * (a bit of 'flags' outside 'change', or 'change' 0, is -EINVAL). */
int link_fill_set_mac(struct nl_msg *m, int ifindex, const EtherAddr *mac);
int link_fill_set_flags(struct nl_msg *m, int ifindex, unsigned flags, unsigned change);
/* Allocates an empty RTM_NEWLINK message for link_fill_*(); free it with nlmsg_free(). */
int link_message_new(struct nl_msg **ret);

/* Link-layer multicast addresses that userspace added to 'ifindex' (global users in
 * /proc/net/dev_mcast; the kernel's own IPv6/IPv4 groups are not ours and are left out).
 * Returns a malloc'ed array, sorted and unique. */
int link_mc_list(int ifindex, EtherAddr **ret, size_t *ret_n);
/* The parser behind link_mc_list(): 'text' ('size' bytes, need not be NUL-terminated) in the
 * format of /proc/net/dev_mcast. -EBADMSG for a line not in that format. */
int link_mc_parse(const char *text, size_t size, int ifindex, EtherAddr **ret, size_t *ret_n);

/* SIOCADDMULTI / SIOCDELMULTI: the kernel has no rtnetlink message for link-layer multicast
 * membership (this is what 'ip maddr' and libvirt use). Synchronous, never sleeps. -EEXIST on add
 * and -ENOENT on delete are returned as 0 (idempotent reconcile); deleting a group the kernel
 * joined itself is a no-op too. -EINVAL for a unicast address. */
int link_mc_add(const char *ifname, const EtherAddr *a);
int link_mc_del(const char *ifname, const EtherAddr *a);
