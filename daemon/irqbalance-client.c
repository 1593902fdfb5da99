/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "irqbalance-client.h"
#include "macro.h"

#define IRQBALANCE_RUNDIR "/run/irqbalance"

/* Waits for 'events' on 'fd' until 'deadline' (CLOCK_MONOTONIC usec). */
static int wait_fd(int fd, short events, unsigned long long deadline) {
        for (;;) {
                unsigned long long now = now_usec(CLOCK_MONOTONIC);
                struct pollfd p = {.fd = fd, .events = events};
                int r;

                if (now >= deadline)
                        return -ETIMEDOUT;
                r = poll(&p, 1, (int) ((deadline - now + 999) / 1000));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r > 0)
                        return 0;
        }
}

static int connect_to(const struct sockaddr_un *sa, int *ret) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0)
                return -errno;
        /* A unix stream connect never waits: it is queued, or EAGAIN when the backlog is full. */
        if (connect(fd, (const struct sockaddr *) sa, sizeof(*sa)) < 0)
                return -errno;
        *ret = fd;
        fd = -1;
        return 0;
}

/* The peer of 'fd' (who called listen()) must be irqbalance 'pid' as uid 0: any local user can
 * bind the abstract name, or a socket under another name, and would be sent our ban lists and
 * answer with a list of its own. */
static int check_peer(int fd, pid_t pid) {
        struct ucred cred = {};
        socklen_t len = sizeof(cred);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        if (len != sizeof(cred) || cred.uid != 0 || cred.pid != pid)
                return -EPERM;
        return 0;
}

/* The file socket first; irqbalance falls back to the abstract all-zero name when /run/irqbalance
 * is not there. Both use the whole sockaddr_un as address length, as irqbalance binds them. */
static int irqbalance_connect(pid_t pid, int *ret) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -1;
        int r;

        (void) snprintf(sa.sun_path, sizeof(sa.sun_path), IRQBALANCE_RUNDIR "/irqbalance%d.sock", (int) pid);
        r = connect_to(&sa, &fd);
        if (r == -ENOENT || r == -ECONNREFUSED) {
                memset(sa.sun_path, 0, sizeof(sa.sun_path));
                r = connect_to(&sa, &fd);
        }
        if (r < 0)
                return r;
        r = check_peer(fd, pid);
        if (r < 0)
                return r;
        *ret = TAKE_FD(fd);
        return 0;
}

/* One command with our credentials: irqbalance reads it with a single recvmsg(). */
static int send_command(int fd, const char *command, unsigned long long deadline) {
        struct ucred cred = {.pid = getpid(), .uid = geteuid(), .gid = getegid()};
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(struct ucred))];
        } control = {};
        struct iovec iov = {.iov_base = (void *) command, .iov_len = strlen(command)};
        struct msghdr mh = {
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = &control,
                        .msg_controllen = sizeof(control),
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        int r;

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_CREDENTIALS;
        c->cmsg_len = CMSG_LEN(sizeof(cred));
        memcpy(CMSG_DATA(c), &cred, sizeof(cred));
        for (;;) {
                ssize_t k = sendmsg(fd, &mh, MSG_NOSIGNAL);

                if (k >= 0)
                        return (size_t) k == iov.iov_len ? 0 : -EIO;
                if (errno != EAGAIN && errno != EINTR)
                        return -errno;
                r = wait_fd(fd, POLLOUT, deadline);
                if (r < 0)
                        return r;
        }
}

int irqbalance_query_setup(pid_t pid, unsigned long long timeout_usec, IrqbalanceSetup *ret) {
        unsigned long long deadline = now_usec(CLOCK_MONOTONIC) + timeout_usec;
        _cleanup_free_ char *answer = malloc(IRQBALANCE_ANSWER_MAX + 1);
        _cleanup_close_ int fd = -1;
        size_t len = 0;
        int r;

        if (!answer)
                return -ENOMEM;
        r = irqbalance_connect(pid, &fd);
        if (r < 0)
                return r;
        r = send_command(fd, "setup", deadline);
        if (r < 0)
                return r;
        /* The answer ends when irqbalance closes the connection. */
        for (;;) {
                ssize_t k = read(fd, answer + len, IRQBALANCE_ANSWER_MAX + 1 - len);

                if (k == 0)
                        break;
                if (k > 0) {
                        len += (size_t) k;
                        if (len > IRQBALANCE_ANSWER_MAX)
                                return -E2BIG;
                        continue;
                }
                if (errno != EAGAIN && errno != EINTR)
                        return -errno;
                r = wait_fd(fd, POLLIN, deadline);
                if (r < 0)
                        return r;
        }
        /* It closes without an answer when it refused our credentials or the command. */
        if (len == 0)
                return -ECONNABORTED;
        return irqbalance_setup_parse(answer, len, ret);
}

int irqbalance_send_ban(pid_t pid, const unsigned *irqs, size_t n, unsigned long long timeout_usec) {
        unsigned long long deadline = now_usec(CLOCK_MONOTONIC) + timeout_usec;
        _cleanup_close_ int fd = -1;
        char command[IRQBALANCE_COMMAND_MAX + 1];
        int r;

        r = irqbalance_ban_command(irqs, n, command, sizeof(command));
        if (r < 0)
                return r;
        r = irqbalance_connect(pid, &fd);
        if (r < 0)
                return r;
        return send_command(fd, command, deadline);
}
