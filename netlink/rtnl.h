/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "ether-addr.h"

struct nl_msg;

/* A route-netlink connection for the daemon: one non-blocking socket whose writes are matched to
 * their kernel ACK by sequence number (so the event loop never waits for the kernel), one socket
 * for short synchronous reads (RTM_GETLINK of one link), and an optional monitor socket joined to
 * RTNLGRP_LINK. libnl's -NLE_* codes never leave netlink/: everything returns 0 or -errno. */

typedef struct Rtnl Rtnl;

/* Called once per request with 0 or the kernel's -errno, and the kernel's extended ACK text
 * (NULL when none). */
typedef void (*RtnlReplyHandler)(int error, const char *ext_ack, void *userdata);

typedef struct LinkInfo {
        int ifindex;
        char ifname[IFNAMSIZ];
        char kind[32];         /* IFLA_INFO_KIND: "macvtap", "veth", "bridge", "tun", "" if none */
        int link_ifindex;      /* IFLA_LINK: lower device (macvtap → uplink), 0 if none */
        int master_ifindex;    /* IFLA_MASTER, 0 if none */
        EtherAddr mac;
        unsigned flags;        /* IFF_*; IFF_PROMISC/IFF_ALLMULTI are the user-set flags */
        unsigned promiscuity;  /* IFLA_PROMISCUITY counter (all reasons) */
        unsigned allmulti;     /* IFLA_ALLMULTI counter, 0 when the kernel lacks it */
        unsigned num_tx_queues;
        unsigned num_rx_queues;
} LinkInfo;

typedef void (*RtnlLinkHandler)(bool removed, const LinkInfo *link, void *userdata);

int rtnl_new(Rtnl **ret);
Rtnl *rtnl_free(Rtnl *r);

/* fd to watch for EPOLLIN; call rtnl_process() when readable. */
int rtnl_get_fd(Rtnl *r);

/* Sends 'm' (ownership stays with the caller) with NLM_F_REQUEST|NLM_F_ACK, and calls 'h' when the
 * kernel answers. Returns 0 or -errno (then 'h' is never called). */
int rtnl_send(Rtnl *r, struct nl_msg *m, RtnlReplyHandler h, void *userdata);

/* Reads and dispatches everything pending without blocking. Returns the number of replies
 * handled, or -errno on a socket error. */
int rtnl_process(Rtnl *r);

size_t rtnl_in_flight(Rtnl *r);

/* Drops pending handlers whose userdata is 'userdata' (the object is going away); their replies
 * are then read and ignored. */
void rtnl_forget(Rtnl *r, void *userdata);

/* Synchronous read of one link by index (ifindex > 0) or name. -ENODEV when it does not exist. */
int rtnl_link_get(Rtnl *r, int ifindex, const char *ifname, LinkInfo *ret);

/* Link monitor: joins RTNLGRP_LINK on a third socket; 'h' is called for every RTM_NEWLINK and
 * RTM_DELLINK. Returns the fd to watch; call rtnl_monitor_process() when readable. */
int rtnl_monitor_start(Rtnl *r, RtnlLinkHandler h, void *userdata);
int rtnl_monitor_process(Rtnl *r);

/* Message builders: append to a caller-owned message, no I/O (STYLE R14). Both produce
 * RTM_NEWLINK for an existing link (no NLM_F_CREATE). */
int link_fill_set_mac(struct nl_msg *m, int ifindex, const EtherAddr *mac);
int link_fill_set_flags(struct nl_msg *m, int ifindex, unsigned flags, unsigned change);
/* Allocates an empty RTM_NEWLINK message for link_fill_*(). */
int link_message_new(struct nl_msg **ret);

/* Link-layer multicast addresses that userspace added to 'ifindex' (global users in
 * /proc/net/dev_mcast; the kernel's own IPv6/IPv4 groups are not ours and are left out).
 * Returns a malloc'ed array, sorted and unique. */
int link_mc_list(int ifindex, EtherAddr **ret, size_t *ret_n);

/* SIOCADDMULTI / SIOCDELMULTI: the kernel has no rtnetlink message for link-layer multicast
 * membership (this is what 'ip maddr' and libvirt use). Synchronous, never sleeps. -EEXIST on add
 * and -ENOENT on delete are returned as 0 (idempotent reconcile). */
int link_mc_add(const char *ifname, const EtherAddr *a);
int link_mc_del(const char *ifname, const EtherAddr *a);
