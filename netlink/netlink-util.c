/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>

#include "macro.h"
#include "netlink-util.h"

/* errno for every NLE_* of libnl 3.7. Where libnl has one code for several causes, the errno names
 * what callers can act on: "not there", "bad input", "try again", "the kernel's data is bad". */
static const int nle_errno_table[] = {
                [NLE_SUCCESS] = 0,
                [NLE_FAILURE] = EIO, /* unspecific failure */
                [NLE_INTR] = EINTR,
                [NLE_BAD_SOCK] = EBADF, /* socket not connected or closed */
                [NLE_AGAIN] = EAGAIN,
                [NLE_NOMEM] = ENOMEM, /* also what libnl makes of ENOBUFS */
                [NLE_EXIST] = EEXIST,
                [NLE_INVAL] = EINVAL,
                [NLE_RANGE] = ERANGE,
                [NLE_MSGSIZE] = EMSGSIZE, /* message does not fit its buffer */
                [NLE_OPNOTSUPP] = EOPNOTSUPP,
                [NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
                [NLE_OBJ_NOTFOUND] = ENOENT,
                [NLE_NOATTR] = ENODATA,      /* attribute not present in the object */
                [NLE_MISSING_ATTR] = EINVAL, /* a builder was not given a required attribute */
                [NLE_AF_MISMATCH] = EAFNOSUPPORT,
                [NLE_SEQ_MISMATCH] = EPROTO,
                [NLE_MSG_OVERFLOW] = EOVERFLOW,
                [NLE_MSG_TRUNC] = EBADMSG, /* the kernel's message was cut */
                [NLE_NOADDR] = EADDRNOTAVAIL,
                [NLE_SRCRT_NOSUPPORT] = EOPNOTSUPP,
                [NLE_MSG_TOOSHORT] = EBADMSG,
                [NLE_MSGTYPE_NOSUPPORT] = EOPNOTSUPP,
                [NLE_OBJ_MISMATCH] = EINVAL,
                [NLE_NOCACHE] = ENOENT,
                [NLE_BUSY] = EBUSY,
                [NLE_PROTO_MISMATCH] = EPROTONOSUPPORT,
                [NLE_NOACCESS] = EACCES,
                [NLE_PERM] = EPERM,
                [NLE_PKTLOC_FILE] = ENOENT,
                [NLE_PARSE_ERR] = EINVAL, /* text given to a libnl parser */
                [NLE_NODEV] = ENODEV,
                [NLE_IMMUTABLE] = EPERM,  /* attribute may not be changed */
                [NLE_DUMP_INTR] = EAGAIN, /* dump changed under us: read it again */
                [NLE_ATTRSIZE] = EBADMSG,
};

int nl_error_to_errno(int nle) {
        unsigned u;

        if (nle == 0)
                return 0;
        /* Negate in unsigned: -INT_MIN does not exist. */
        u = nle < 0 ? 0u - (unsigned) nle : (unsigned) nle;
        if (u >= ELEMENTSOF(nle_errno_table) || nle_errno_table[u] == 0)
                return -EIO;
        return -nle_errno_table[u];
}

ssize_t netlink_recv(int fd, void **ret) {
        _cleanup_free_ void *buf = NULL;
        ssize_t n, k;

        /* Netlink delivers whole datagrams: peek at the size first (MSG_TRUNC returns the real
         * length), so a large RTM_NEWLINK is never cut. */
        do
                n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;

        buf = malloc(MAX(n, 1));
        if (!buf)
                return -ENOMEM;

        do
                k = recv(fd, buf, MAX(n, 1), 0);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;

        *ret = TAKE_PTR(buf);
        return k;
}

int netlink_parse_error(struct nlmsghdr *nlh, int *ret_error, const char **ret_ext_ack) {
        static const struct nla_policy policy[NLMSGERR_ATTR_MAX + 1] = {
                        [NLMSGERR_ATTR_MSG] = {.type = NLA_STRING},
        };
        struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {};
        const struct nlmsgerr *e;
        size_t offset, len;
        int r;

        if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nlmsgerr))
                return -EBADMSG;

        e = nlmsg_data(nlh);
        len = nlh->nlmsg_len - NLMSG_HDRLEN;

        /* The TLVs follow the error, and the copy of our request unless NLM_F_CAPPED says the
         * kernel sent only its header (always so for a plain ACK, and with NETLINK_CAP_ACK). */
        *ret_ext_ack = NULL;
        if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
                offset = NLMSG_ALIGN(sizeof(struct nlmsgerr));
                if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
                        if (e->msg.nlmsg_len < NLMSG_HDRLEN)
                                return -EBADMSG;
                        offset += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
                }
                if (offset > len)
                        return -EBADMSG;

                r = nla_parse(tb, NLMSGERR_ATTR_MAX,
                                (struct nlattr *) ((uint8_t *) nlmsg_data(nlh) + offset), len - offset,
                                policy);
                if (r < 0)
                        return -EBADMSG;
                if (tb[NLMSGERR_ATTR_MSG])
                        *ret_ext_ack = nla_get_string(tb[NLMSGERR_ATTR_MSG]);
        }

        /* The kernel sends -errno; guard against a positive value all the same. */
        *ret_error = e->error > 0 ? -e->error : e->error;
        return 0;
}

int netlink_parse_done(struct nlmsghdr *nlh) {
        int error = 0;

        /* netlink_dump_done() puts an int after the header; tolerate a message without it. */
        if (nlmsg_datalen(nlh) >= (int) sizeof(int))
                memcpy(&error, nlmsg_data(nlh), sizeof(int));
        return error > 0 ? -error : error;
}

int netlink_set_rcvbuf(int fd, int size) {
        /* SO_RCVBUFFORCE passes rmem_max with CAP_NET_ADMIN; otherwise take what we may get. */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) >= 0)
                return 0;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
                return -errno;
        return 0;
}

int netlink_fill_ifinfo(struct nl_msg *m, uint16_t type, uint16_t flags, unsigned char family, int ifindex,
                struct ifinfomsg **ret) {
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifi;
        int r;

        if (!m || ifindex <= 0 || !ret)
                return -EINVAL;

        nlh = nlmsg_hdr(m);
        if (nlmsg_datalen(nlh) == 0) {
                struct ifinfomsg h = {
                                .ifi_family = family,
                                .ifi_index = ifindex,
                };

                /* nlmsg_alloc() leaves the type 0; a type set by the caller must be ours. */
                if (nlh->nlmsg_type != 0 && nlh->nlmsg_type != type)
                        return -EINVAL;
                r = nlmsg_append(m, &h, sizeof(h), NLMSG_ALIGNTO);
                if (r < 0)
                        return nl_error_to_errno(r);
                nlh = nlmsg_hdr(m);
                nlh->nlmsg_type = type;
                nlh->nlmsg_flags |= flags;
        } else if (nlh->nlmsg_type != type || nlmsg_datalen(nlh) < (int) sizeof(struct ifinfomsg))
                return -EINVAL;

        ifi = nlmsg_data(nlh);
        if (ifi->ifi_family != family || ifi->ifi_index != ifindex)
                return -EINVAL;

        *ret = ifi;
        return 0;
}

int netlink_message_reserve(struct nl_msg *m, size_t size) {
        size_t used, have;
        int r;

        if (!m)
                return -EINVAL;

        used = NLMSG_ALIGN(nlmsg_hdr(m)->nlmsg_len);
        have = nlmsg_get_max_size(m);
        if (size > UINT32_MAX - used)
                return -EMSGSIZE;
        if (used + size <= have)
                return 0;

        /* Doubling keeps a builder that grows a message in steps linear overall. */
        r = nlmsg_expand(m, MAX(used + size, 2 * have));
        if (r < 0)
                return nl_error_to_errno(r);
        return 0;
}
