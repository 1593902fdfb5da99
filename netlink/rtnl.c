/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "bridge.h"
#include "log.h"
#include "macro.h"
#include "netlink-util.h"
#include "rtnl.h"

/* Receive buffers. ACKs are small but the kernel charges each one at its skb truesize (~1 KiB), so
 * 1 MiB holds about a thousand unanswered requests. Notifications come in bursts: a bridge going
 * down touches every port, and programming 1000 ports sends ~100 000 FDB notifications; each lost
 * one costs a resync of everything, so the monitor may queue up to 64 MiB (networkd takes 128). The
 * memory is only used while notifications wait. */
#define RTNL_REQUEST_RCVBUF   (1024 * 1024)
#define RTNL_MONITOR_RCVBUF   (64 * 1024 * 1024)
#define RTNL_SYNC_TIMEOUT_SEC 5

typedef struct RtnlRequest {
        uint32_t seq;
        RtnlReplyHandler handler; /* NULL once forgotten: the reply is read and dropped */
        void *userdata;
} RtnlRequest;

struct Rtnl {
        struct nl_sock *request; /* non-blocking; ACKed writes, matched by sequence number */
        struct nl_sock *sync;    /* blocking with a timeout; rtnl_call() */
        struct nl_sock *monitor; /* non-blocking; RTNLGRP_LINK and/or RTNLGRP_NEIGH, NULL until
                                  * rtnl_monitor_start*() */

        /* In sending order, hence in sequence order except across the wrap at 2^32. */
        RtnlRequest *requests;
        size_t n_requests;
        size_t n_allocated;
        uint32_t request_seq;
        uint32_t sync_seq;

        RtnlLinkHandler monitor_handler; /* RTNLGRP_LINK, AF_UNSPEC messages */
        void *monitor_userdata;
        RtnlFdbHandler fdb_handler; /* RTNLGRP_NEIGH, AF_BRIDGE messages */
        void *fdb_userdata;
        RtnlBridgePortHandler bridge_port_handler; /* RTNLGRP_LINK, AF_BRIDGE messages */
        void *bridge_port_userdata;
};

static uint32_t seq_next(uint32_t *seq) {
        /* 0 is what libnl treats as "fill in for me"; never use it. */
        if (++*seq == 0)
                ++*seq;
        return *seq;
}

static int rtnl_socket_open(bool nonblocking, int rcvbuf, struct nl_sock **ret) {
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        int fd, one = 1;
        int r;

        sk = nl_socket_alloc();
        if (!sk)
                return -ENOMEM;

        r = nl_connect(sk, NETLINK_ROUTE);
        if (r < 0)
                return nl_error_to_errno(r);
        fd = nl_socket_get_fd(sk);

        /* Extended ACKs carry the kernel's reason ("mtu less than device minimum"); capped ACKs
         * do not echo our whole request back. Both are optional: older kernels lack them. */
        if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0)
                (void) log_debug_errno(errno, "rtnl: no NETLINK_EXT_ACK, errors come without text: %m");
        if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
                (void) log_debug_errno(errno, "rtnl: no NETLINK_CAP_ACK: %m");

        if (nonblocking) {
                r = nl_socket_set_nonblocking(sk);
                if (r < 0)
                        return nl_error_to_errno(r);
        }

        /* After nl_connect(), which sets its own 32 KiB default. */
        if (rcvbuf > 0) {
                r = netlink_set_rcvbuf(fd, rcvbuf);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(sk);
        return 0;
}

int rtnl_new(Rtnl **ret) {
        _cleanup_(nl_socket_freep) struct nl_sock *request = NULL, *sync = NULL;
        struct timeval tv = {.tv_sec = RTNL_SYNC_TIMEOUT_SEC};
        Rtnl *r;
        int k;

        if (!ret)
                return -EINVAL;

        k = rtnl_socket_open(true, RTNL_REQUEST_RCVBUF, &request);
        if (k < 0)
                return k;

        /* The kernel answers an RTM_GETLINK at once; the timeout only bounds a bug. */
        k = rtnl_socket_open(false, 0, &sync);
        if (k < 0)
                return k;
        if (setsockopt(nl_socket_get_fd(sync), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;

        r = calloc(1, sizeof(Rtnl));
        if (!r)
                return -ENOMEM;
        r->request = TAKE_PTR(request);
        r->sync = TAKE_PTR(sync);

        *ret = r;
        return 0;
}

Rtnl *rtnl_free(Rtnl *r) {
        if (!r)
                return NULL;

        /* Every handler runs exactly once, also at teardown: with -ECANCELED, so whatever its
         * userdata holds (a reference, an allocation) is released. Handlers must not touch 'r'. */
        for (size_t i = 0; i < r->n_requests; i++)
                if (r->requests[i].handler)
                        r->requests[i].handler(-ECANCELED, NULL, r->requests[i].userdata);
        r->n_requests = 0;
        nl_socket_free(r->request);
        nl_socket_free(r->sync);
        nl_socket_free(r->monitor);
        free(r->requests);
        free(r);
        return NULL;
}

int rtnl_get_fd(Rtnl *r) {
        if (!r)
                return -EINVAL;
        return nl_socket_get_fd(r->request);
}

size_t rtnl_in_flight(Rtnl *r) {
        return r ? r->n_requests : 0;
}

static int rtnl_reserve(Rtnl *r) {
        RtnlRequest *n;
        size_t a;

        if (r->n_requests < r->n_allocated)
                return 0;

        a = MAX(r->n_allocated * 2, (size_t) 16);
        n = reallocarray(r->requests, a, sizeof(RtnlRequest));
        if (!n)
                return -ENOMEM;
        r->requests = n;
        r->n_allocated = a;
        return 0;
}

int rtnl_send(Rtnl *r, struct nl_msg *m, RtnlReplyHandler h, void *userdata) {
        struct nlmsghdr *nlh;
        uint32_t seq;
        int k;

        if (!r || !m)
                return -EINVAL;

        /* Room first: once the message is out, its reply must find a handler. */
        k = rtnl_reserve(r);
        if (k < 0)
                return k;

        /* Always a fresh sequence number, so a message the caller sends again (a retry) is not
         * confused with its first reply. */
        nlh = nlmsg_hdr(m);
        seq = seq_next(&r->request_seq);
        nlh->nlmsg_seq = seq;
        nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        nl_complete_msg(r->request, m);

        k = nl_send(r->request, m);
        if (k < 0)
                return nl_error_to_errno(k);

        r->requests[r->n_requests++] = (RtnlRequest){
                        .seq = seq,
                        .handler = h,
                        .userdata = userdata,
        };
        log_debug("rtnl: sent message type %u seq %u, %zu in flight.", nlh->nlmsg_type, seq, r->n_requests);
        return 0;
}

void rtnl_forget(Rtnl *r, void *userdata) {
        if (!r)
                return;

        for (size_t i = 0; i < r->n_requests; i++)
                if (r->requests[i].userdata == userdata) {
                        r->requests[i].handler = NULL;
                        r->requests[i].userdata = NULL;
                }
}

/* Removes entry 'i' and calls its handler. The entry is gone before the call, so the handler may
 * send new requests or forget others. Returns 1 when a handler ran. */
static int rtnl_complete(Rtnl *r, size_t i, int error, const char *ext_ack) {
        RtnlRequest q = r->requests[i];

        memmove(r->requests + i, r->requests + i + 1, (r->n_requests - i - 1) * sizeof(RtnlRequest));
        r->n_requests--;

        log_debug("rtnl: reply to seq %u: %s%s%s", q.seq, error < 0 ? strerror(-error) : "ok",
                        ext_ack ? ": " : "", strempty(ext_ack));
        if (!q.handler)
                return 0;
        q.handler(error, ext_ack, q.userdata);
        return 1;
}

static int rtnl_dispatch_reply(Rtnl *r, struct nlmsghdr *nlh) {
        const char *ext_ack = NULL;
        int error = 0;

        switch (nlh->nlmsg_type) {
        case NLMSG_ERROR:
                /* A reply we cannot read still ends its request: the handler must run once. */
                if (netlink_parse_error(nlh, &error, &ext_ack) < 0) {
                        error = -EBADMSG;
                        ext_ack = NULL;
                }
                break;
        case NLMSG_DONE:
                /* The end of a dump; no ACK follows a dump. */
                error = netlink_parse_done(nlh);
                break;
        default:
                /* Data (a dump, NLM_F_ECHO): the ACK or NLMSG_DONE that follows completes it. */
                return 0;
        }

        for (size_t i = 0; i < r->n_requests; i++)
                if (r->requests[i].seq == nlh->nlmsg_seq)
                        return rtnl_complete(r, i, error, ext_ack);

        log_debug("rtnl: reply with unknown seq %u, ignoring.", nlh->nlmsg_seq);
        return 0;
}

int rtnl_process(Rtnl *r) {
        bool overrun = false;
        size_t n_lost;
        int handled = 0;

        if (!r)
                return -EINVAL;

        for (;;) {
                _cleanup_free_ void *buf = NULL;
                struct nlmsghdr *nlh;
                ssize_t n;
                int rem;

                n = netlink_recv(nl_socket_get_fd(r->request), &buf);
                if (n == -ENOBUFS) {
                        /* Our receive queue was full and the kernel dropped replies. Read what
                         * it kept, then see below. */
                        overrun = true;
                        continue;
                }
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;

                rem = (int) n;
                for (nlh = buf; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem))
                        handled += rtnl_dispatch_reply(r, nlh);
        }

        if (!overrun)
                return handled;

        /* rtnetlink handles a request inside our sendmsg() and queues the reply before it returns,
         * so with the queue drained every request still waiting had its reply dropped. Fail those
         * (only those: a handler may send new ones meanwhile, which are appended). */
        n_lost = r->n_requests;
        log_debug("rtnl: receive queue overrun, %zu replies lost.", n_lost);
        for (; n_lost > 0; n_lost--)
                handled += rtnl_complete(r, 0, -ENOBUFS, NULL);
        return handled;
}

int rtnl_call(Rtnl *r, struct nl_msg *m, RtnlSyncParser parser, void *userdata) {
        struct nlmsghdr *nlh;
        int parser_error = 0;
        uint16_t type;
        uint32_t seq;
        int k;

        if (!r || !m)
                return -EINVAL;

        nlh = nlmsg_hdr(m);
        type = nlh->nlmsg_type;
        seq = seq_next(&r->sync_seq);
        nlh->nlmsg_seq = seq;
        nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        nl_complete_msg(r->sync, m);

        k = nl_send(r->sync, m);
        if (k < 0)
                return nl_error_to_errno(k);

        for (;;) {
                _cleanup_free_ void *buf = NULL;
                ssize_t n;
                int rem;

                n = netlink_recv(nl_socket_get_fd(r->sync), &buf);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        return -ETIMEDOUT;

                rem = (int) n;
                for (nlh = buf; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
                        const char *ext_ack;
                        int error;

                        /* Leftovers of an earlier call that ended early (parser error, timeout). */
                        if (nlh->nlmsg_seq != seq)
                                continue;

                        switch (nlh->nlmsg_type) {
                        case NLMSG_ERROR:
                                k = netlink_parse_error(nlh, &error, &ext_ack);
                                if (k < 0)
                                        return k;
                                if (error < 0)
                                        log_debug("rtnl: request type %u failed: %s%s%s", type,
                                                        strerror(-error), ext_ack ? ": " : "",
                                                        strempty(ext_ack));
                                return error < 0 ? error : parser_error;
                        case NLMSG_DONE:
                                /* The end of a dump, which gets no ACK. */
                                error = netlink_parse_done(nlh);
                                return error < 0 ? error : parser_error;
                        case NLMSG_NOOP:
                        case NLMSG_OVERRUN:
                                break;
                        default:
                                /* After a parser error, read on to the end without parsing: the
                                 * kernel keeps a dump's state on the socket until its
                                 * NLMSG_DONE is read, and a new dump meanwhile fails (-EBUSY). */
                                if (!parser || parser_error < 0)
                                        break;
                                k = parser(nlh, userdata);
                                if (k < 0)
                                        parser_error = k;
                        }
                }
        }
}

typedef struct RtnlDump {
        RtnlSyncParser parser;
        void *userdata;
        bool interrupted;
} RtnlDump;

static int rtnl_dump_parse(struct nlmsghdr *nlh, void *userdata) {
        RtnlDump *d = userdata;

        /* Set on the messages written after the table changed (nl_dump_check_consistent()). */
        if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
                d->interrupted = true;
        return d->parser ? d->parser(nlh, d->userdata) : 0;
}

int rtnl_dump(Rtnl *r, struct nl_msg *m, RtnlSyncParser parser, void *userdata) {
        RtnlDump d = {.parser = parser, .userdata = userdata};
        int k;

        if (!r || !m)
                return -EINVAL;

        nlmsg_hdr(m)->nlmsg_flags |= NLM_F_DUMP;
        k = rtnl_call(r, m, rtnl_dump_parse, &d);
        if (k < 0)
                return k;
        if (d.interrupted) {
                log_debug("rtnl: dump of message type %u interrupted by a change, read it again.",
                                nlmsg_hdr(m)->nlmsg_type);
                return -EAGAIN;
        }
        return 0;
}

/* Opens the monitor socket on first use and joins 'group'. Returns its fd or -errno. */
static int rtnl_monitor_join(Rtnl *r, int group) {
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        int k;

        if (!r->monitor) {
                k = rtnl_socket_open(true, RTNL_MONITOR_RCVBUF, &sk);
                if (k < 0)
                        return k;
        }

        k = nl_socket_add_membership(r->monitor ?: sk, group);
        if (k < 0)
                return nl_error_to_errno(k);

        if (sk)
                r->monitor = TAKE_PTR(sk);
        return nl_socket_get_fd(r->monitor);
}

int rtnl_monitor_start(Rtnl *r, RtnlLinkHandler h, void *userdata) {
        int fd;

        if (!r || !h)
                return -EINVAL;
        if (r->monitor_handler)
                return -EBUSY;

        fd = rtnl_monitor_join(r, RTNLGRP_LINK);
        if (fd < 0)
                return fd;

        r->monitor_handler = h;
        r->monitor_userdata = userdata;
        return fd;
}

int rtnl_monitor_start_neigh(Rtnl *r, RtnlFdbHandler h, void *userdata) {
        int fd;

        if (!r || !h)
                return -EINVAL;
        if (r->fdb_handler)
                return -EBUSY;

        fd = rtnl_monitor_join(r, RTNLGRP_NEIGH);
        if (fd < 0)
                return fd;

        r->fdb_handler = h;
        r->fdb_userdata = userdata;
        return fd;
}

int rtnl_monitor_start_bridge_port(Rtnl *r, RtnlBridgePortHandler h, void *userdata) {
        int fd;

        if (!r || !h)
                return -EINVAL;
        if (r->bridge_port_handler)
                return -EBUSY;

        /* The bridge announces its ports on the links' group, as AF_BRIDGE link messages. */
        fd = rtnl_monitor_join(r, RTNLGRP_LINK);
        if (fd < 0)
                return fd;

        r->bridge_port_handler = h;
        r->bridge_port_userdata = userdata;
        return fd;
}

/* One RTM_NEWLINK/RTM_DELLINK: a link (AF_UNSPEC) or a bridge port (AF_BRIDGE). Returns 1 when a
 * handler ran. */
static int rtnl_monitor_dispatch_link(Rtnl *r, struct nlmsghdr *nlh) {
        BridgePort port;
        LinkInfo info;
        bool removed;
        int k;

        k = link_info_parse(nlh, nlh->nlmsg_len, &removed, &info);
        if (k >= 0) {
                if (!r->monitor_handler)
                        return 0;
                r->monitor_handler(removed, &info, r->monitor_userdata);
                return 1;
        }
        if (k != -EAFNOSUPPORT) {
                (void) log_debug_errno(k, "rtnl: unreadable link notification, ignoring: %m");
                return 0;
        }

        /* AF_BRIDGE: about a port's bridge state; RTM_DELLINK means "left the bridge". */
        if (!r->bridge_port_handler)
                return 0;
        k = bridge_port_parse(nlh, nlh->nlmsg_len, &removed, &port);
        if (k == -EAFNOSUPPORT)
                return 0;
        if (k < 0) {
                (void) log_debug_errno(k, "rtnl: unreadable bridge port notification, ignoring: %m");
                return 0;
        }
        r->bridge_port_handler(removed, &port, r->bridge_port_userdata);
        return 1;
}

/* One RTM_NEWNEIGH/RTM_DELNEIGH: only AF_BRIDGE ones (FDB entries) are ours; ARP and NDP
 * neighbours share the group. Returns 1 when a handler ran. */
static int rtnl_monitor_dispatch_neigh(Rtnl *r, struct nlmsghdr *nlh) {
        FdbEntry e;
        bool removed;
        int k;

        if (!r->fdb_handler)
                return 0;
        k = fdb_entry_parse(nlh, nlh->nlmsg_len, &removed, NULL, &e);
        if (k == -EAFNOSUPPORT)
                return 0;
        if (k < 0) {
                (void) log_debug_errno(k, "rtnl: unreadable FDB notification, ignoring: %m");
                return 0;
        }
        r->fdb_handler(removed, &e, r->fdb_userdata);
        return 1;
}

int rtnl_monitor_process(Rtnl *r) {
        int handled = 0;

        if (!r || !r->monitor)
                return -EINVAL;

        for (;;) {
                _cleanup_free_ void *buf = NULL;
                struct nlmsghdr *nlh;
                ssize_t n;
                int rem;

                /* -ENOBUFS: notifications were lost. The socket stays usable; the caller re-reads
                 * the links it cares about. */
                n = netlink_recv(nl_socket_get_fd(r->monitor), &buf);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        return handled;

                rem = (int) n;
                for (nlh = buf; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem))
                        switch (nlh->nlmsg_type) {
                        case RTM_NEWLINK:
                        case RTM_DELLINK:
                                handled += rtnl_monitor_dispatch_link(r, nlh);
                                break;
                        case RTM_NEWNEIGH:
                        case RTM_DELNEIGH:
                                handled += rtnl_monitor_dispatch_neigh(r, nlh);
                                break;
                        }
        }
}
