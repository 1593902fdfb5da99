/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink-util.h"
#include "uevent-socket.h"

#define UEVENT_GROUP_KERNEL 1u
#define UEVENT_RCVBUF       (1024 * 1024) /* a 64-queue tap going to one pair is 126 messages */

int uevent_socket_open(void) {
        struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = UEVENT_GROUP_KERNEL};
        int fd, one = 1, r;

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
                        bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        (void) netlink_set_rcvbuf(fd, UEVENT_RCVBUF);
        return fd;
}

ssize_t uevent_socket_receive(int fd, char *buf, size_t size) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(struct ucred))];
        } control = {};
        struct sockaddr_nl sa = {};
        struct iovec iov = {.iov_base = buf, .iov_len = size};
        struct msghdr mh = {
                        .msg_name = &sa,
                        .msg_namelen = sizeof(sa),
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = &control,
                        .msg_controllen = sizeof(control),
        };
        const struct ucred *cred = NULL;
        ssize_t n;

        do
                n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        if (mh.msg_flags & MSG_TRUNC)
                return -EMSGSIZE;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                                c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
                        cred = (const struct ucred *) CMSG_DATA(c);
        /* Any process may send to the group: only port 0 with root's credentials is the kernel. */
        if (sa.nl_pid != 0 || !cred || cred->uid != 0)
                return -EPERM;
        return n;
}
