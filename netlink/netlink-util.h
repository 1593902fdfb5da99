/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include <netlink/msg.h>
#include <netlink/socket.h>

#include "macro.h"

/* Helpers shared by the files of netlink/; not for use outside netlink/ and its tests. */

typedef struct Rtnl Rtnl;

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

/* Called for each message that answers a synchronous request; returns 0 or -errno (which ends the
 * call). 'nlh' is valid during the call only. */
typedef int (*RtnlSyncParser)(struct nlmsghdr *nlh, void *userdata);

/* Sends 'm' (still owned by the caller) on the synchronous socket of 'r' with NLM_F_REQUEST|NLM_F_ACK,
 * passes every reply with its sequence number to 'parser' and returns at the kernel's ACK, error
 * or NLMSG_DONE (a dump): 0, the kernel's -errno, the parser's -errno, or -ETIMEDOUT. */
int rtnl_call(Rtnl *r, struct nl_msg *m, RtnlSyncParser parser, void *userdata);
