/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <netlink/msg.h>
#include <netlink/socket.h>

#include "macro.h"

/* Helpers shared by the files of netlink/; not for use outside netlink/ and its tests. */

typedef struct BridgePortVlans BridgePortVlans;
typedef struct Rtnl Rtnl;
struct ifinfomsg;
struct nlattr;

/* Cleanup helpers for libnl objects (STYLE R9). */
DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(struct nl_msg *, nlmsg_free)
DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(struct nl_sock *, nl_socket_free)

/* Converts a libnl code ('nle' = -NLE_* or NLE_*, either sign) to a negative errno; 0 stays 0 and
 * codes the table does not know become -EIO. The one place where -NLE_* turn into errno (STYLE
 * R7). */
int nl_error_to_errno(int nle);

/* Reads one datagram from the netlink socket 'fd' into a malloc'ed buffer stored in '*ret'.
 * Returns its size, 0 when nothing is pending on a non-blocking socket (or a blocking one timed
 * out), or -errno. libnl's nl_recv() is not used because it folds ENOBUFS (the kernel dropped
 * messages for us) into -NLE_NOMEM. */
ssize_t netlink_recv(int fd, void **ret);

/* Parses an NLMSG_ERROR message: '*ret_error' gets 0 (ACK) or the kernel's -errno, '*ret_ext_ack'
 * the NLMSGERR_ATTR_MSG text inside 'nlh' or NULL (valid as long as 'nlh'). Returns 0, or
 * -EBADMSG when the message is malformed. */
int netlink_parse_error(struct nlmsghdr *nlh, int *ret_error, const char **ret_ext_ack);

/* The error an NLMSG_DONE carries (the end of a dump): 0 or -errno. */
int netlink_parse_done(struct nlmsghdr *nlh);

/* Sets the receive buffer of socket 'fd' to 'size' bytes, beyond rmem_max when privileged. */
int netlink_set_rcvbuf(int fd, int size);

/* Starts or continues a message that several *_fill_*() builders add to (STYLE R14). An empty 'm'
 * (nlmsg_alloc(), or nlmsg_alloc_simple() with type 'type') gets type 'type', 'flags' and an
 * ifinfomsg for 'family' and 'ifindex'; a message that already has them is accepted as it is when
 * type, family and index match (flags are not compared). Anything else is -EINVAL. '*ret' points
 * into the message until it grows. */
int netlink_fill_ifinfo(struct nl_msg *m, uint16_t type, uint16_t flags, unsigned char family, int ifindex,
                struct ifinfomsg **ret);

/* Makes sure 'size' more bytes fit into 'm', growing its buffer (nlmsg_expand()) when they do not:
 * libnl's own puts fail once the page nlmsg_alloc() gives is full. Pointers into the message are
 * stale afterwards; take them again from nlmsg_hdr(). */
int netlink_message_reserve(struct nl_msg *m, size_t size);

/* Parses the IFLA_AF_SPEC of an AF_BRIDGE link message (bridge-vlan.c): its IFLA_BRIDGE_VLAN_INFO
 * entries, single or as ranges. Returns 0 or -EBADMSG. */
int bridge_vlans_parse(const struct nlattr *af_spec, BridgePortVlans *ret);

/* Called for each message that answers a synchronous request; returns 0 or -errno (which ends the
 * call). 'nlh' is valid during the call only. */
typedef int (*RtnlSyncParser)(struct nlmsghdr *nlh, void *userdata);

/* Sends 'm' (still owned by the caller) on the synchronous socket of 'r' with NLM_F_REQUEST|NLM_F_ACK,
 * passes every reply with its sequence number to 'parser' and returns at the kernel's ACK, error
 * or NLMSG_DONE (a dump): 0, the kernel's -errno, the parser's first -errno, or -ETIMEDOUT. After a
 * parser error the rest of the answer is still read (not parsed), so no dump is left half-read. */
int rtnl_call(Rtnl *r, struct nl_msg *m, RtnlSyncParser parser, void *userdata);

/* rtnl_call() for a dump request: adds NLM_F_DUMP. -EAGAIN when the kernel marked the dump
 * inconsistent (NLM_F_DUMP_INTR: the table changed while it was read); the caller then starts
 * over with fresh state. */
int rtnl_dump(Rtnl *r, struct nl_msg *m, RtnlSyncParser parser, void *userdata);
