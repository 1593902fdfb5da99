/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon/irqbalance-client.c against real unix sockets: a stand-in irqbalance, forked per case,
 * listens on irqbalance's abstract all-zero name in a private network namespace (abstract names
 * are per namespace, so no irqbalance of the machine is reached or shadowed) and reports over a
 * pipe what it was sent and with which credentials. Checked: the "setup" exchange with our
 * SCM_CREDENTIALS, the ban command as sent, an answer-less close, no answer in time, no listener,
 * and the refusals of a listener that is not irqbalance 'pid' as uid 0 (SO_PEERCRED): nothing is
 * sent to it. Skips (77) when not root or unshare() fails. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "irqbalance-client.h"

#define TIMEOUT_USEC (2ULL * 1000 * 1000)
#define NOBODY       65534

typedef enum ServerMode {
        SERVER_ANSWER, /* reads one command, answers a "setup" text, closes */
        SERVER_CLOSE,  /* reads one command, closes without an answer */
        SERVER_SILENT, /* reads one command, never answers (killed by the test) */
} ServerMode;

/* What the stand-in saw of the one connection it accepted. */
typedef struct ServerReport {
        int accepted; /* 1: a connection came */
        int has_cred; /* SCM_CREDENTIALS came with the command */
        uid_t cred_uid;
        ssize_t len; /* bytes of the command; 0 when the peer closed without sending */
        char command[512];
} ServerReport;

typedef struct Server {
        pid_t pid;
        int report_fd; /* the read end of the report pipe */
} Server;

static const char setup_answer[] = "SLEEP 10 IRQ 24 LOAD 0 DIFF 0 CLASS 0 IRQ 26 LOAD 0 DIFF 0 CLASS 0 "
                                   "BANNED 00000000";

static void server_run(ServerMode mode, uid_t uid, int ready_fd, int report_fd) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        ServerReport rep = {};
        struct pollfd p;
        int one = 1, lfd, cfd;

        if (uid != 0 && (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0))
                _exit(2);
        /* As irqbalance binds it when /run/irqbalance is missing: the whole sockaddr_un, zeros. */
        lfd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
                        bind(lfd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0)
                _exit(3);
        if (write(ready_fd, "r", 1) != 1)
                _exit(4);
        p = (struct pollfd){.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 5000) == 1) {
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(struct ucred))];
                } control = {};
                struct iovec iov = {.iov_base = rep.command, .iov_len = sizeof(rep.command) - 1};
                struct msghdr mh = {.msg_iov = &iov,
                                .msg_iovlen = 1,
                                .msg_control = &control,
                                .msg_controllen = sizeof(control)};
                struct cmsghdr *c;

                cfd = accept(lfd, NULL, NULL);
                if (cfd < 0)
                        _exit(5);
                rep.accepted = 1;
                rep.len = recvmsg(cfd, &mh, 0);
                for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                                struct ucred cred;

                                memcpy(&cred, CMSG_DATA(c), sizeof(cred));
                                rep.has_cred = 1;
                                rep.cred_uid = cred.uid;
                        }
                if (rep.len > 0 && mode == SERVER_ANSWER &&
                                write(cfd, setup_answer, sizeof(setup_answer) - 1) < 0)
                        _exit(6);
                if (write(report_fd, &rep, sizeof(rep)) != sizeof(rep))
                        _exit(7);
                if (mode == SERVER_SILENT)
                        pause();
                close(cfd);
        } else if (write(report_fd, &rep, sizeof(rep)) != sizeof(rep))
                _exit(7);
        _exit(0);
}

static void server_start(Server *s, ServerMode mode, uid_t uid) {
        int ready[2], report[2];
        char c;

        assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
        assert_int_equal(pipe2(report, O_CLOEXEC), 0);
        s->pid = fork();
        assert_true(s->pid >= 0);
        if (s->pid == 0)
                server_run(mode, uid, ready[1], report[1]);
        close(ready[1]);
        close(report[1]);
        /* The listener is up once the stand-in says so: no connect races its bind. */
        assert_int_equal(read(ready[0], &c, 1), 1);
        close(ready[0]);
        s->report_fd = report[0];
}

/* Reads what the stand-in saw, then ends it (it may be waiting forever) and reaps it. */
static void server_stop(Server *s, ServerReport *ret) {
        ssize_t k = read(s->report_fd, ret, sizeof(*ret));
        int status;

        (void) kill(s->pid, SIGTERM);
        assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
        close(s->report_fd);
        assert_int_equal(k, (ssize_t) sizeof(*ret));
        ret->command[sizeof(ret->command) - 1] = 0;
        if (ret->len > 0 && (size_t) ret->len < sizeof(ret->command))
                ret->command[ret->len] = 0;
}

static void test_setup_exchange(void **state) {
        IrqbalanceSetup setup = {};
        ServerReport rep;
        Server s;

        (void) state;
        server_start(&s, SERVER_ANSWER, 0);
        assert_int_equal(irqbalance_query_setup(s.pid, TIMEOUT_USEC, &setup), 0);
        server_stop(&s, &rep);
        assert_int_equal(rep.accepted, 1);
        assert_string_equal(rep.command, "setup");
        /* irqbalance takes commands only with credentials of uid 0 attached. */
        assert_int_equal(rep.has_cred, 1);
        assert_int_equal(rep.cred_uid, 0);
        assert_int_equal(setup.sleep_sec, 10);
        assert_int_equal(setup.n_banned, 2);
        assert_int_equal(setup.banned[0], 24);
        assert_int_equal(setup.banned[1], 26);
}

static void test_ban_command(void **state) {
        static const unsigned irqs[] = {24, 25, 31};
        ServerReport rep;
        Server s;

        (void) state;
        server_start(&s, SERVER_CLOSE, 0);
        assert_int_equal(irqbalance_send_ban(s.pid, irqs, 3, TIMEOUT_USEC), 0);
        server_stop(&s, &rep);
        assert_string_equal(rep.command, "settings ban irqs 24 25 31");
        assert_int_equal(rep.has_cred, 1);
        assert_int_equal(rep.cred_uid, 0);
}

static void test_closed_without_answer(void **state) {
        IrqbalanceSetup setup = {.sleep_sec = -1};
        ServerReport rep;
        Server s;

        (void) state;
        server_start(&s, SERVER_CLOSE, 0);
        assert_int_equal(irqbalance_query_setup(s.pid, TIMEOUT_USEC, &setup), -ECONNABORTED);
        server_stop(&s, &rep);
        assert_string_equal(rep.command, "setup");
        assert_int_equal(setup.sleep_sec, -1); /* untouched */
}

static void test_no_answer_in_time(void **state) {
        IrqbalanceSetup setup = {};
        ServerReport rep;
        Server s;

        (void) state;
        server_start(&s, SERVER_SILENT, 0);
        assert_int_equal(irqbalance_query_setup(s.pid, 200 * 1000, &setup), -ETIMEDOUT);
        server_stop(&s, &rep);
        assert_string_equal(rep.command, "setup");
}

/* Anyone may bind the abstract name: a listener of another uid is sent nothing. */
static void test_refuses_other_uid(void **state) {
        static const unsigned irqs[] = {24};
        IrqbalanceSetup setup = {.sleep_sec = -1};
        ServerReport rep;
        Server s;

        (void) state;
        server_start(&s, SERVER_ANSWER, NOBODY);
        assert_int_equal(irqbalance_query_setup(s.pid, TIMEOUT_USEC, &setup), -EPERM);
        server_stop(&s, &rep);
        assert_int_equal(rep.accepted, 1);
        assert_int_equal(rep.len, 0); /* closed before a byte was sent */
        assert_int_equal(setup.sleep_sec, -1);

        server_start(&s, SERVER_CLOSE, NOBODY);
        assert_int_equal(irqbalance_send_ban(s.pid, irqs, 1, TIMEOUT_USEC), -EPERM);
        server_stop(&s, &rep);
        assert_int_equal(rep.accepted, 1);
        assert_int_equal(rep.len, 0);
}

/* A root listener that is not the irqbalance process asked for (a stale socket, another
 * program) is refused the same way. */
static void test_refuses_other_pid(void **state) {
        IrqbalanceSetup setup = {};
        ServerReport rep;
        Server s;

        (void) state;
        server_start(&s, SERVER_ANSWER, 0);
        assert_int_equal(irqbalance_query_setup(getpid(), TIMEOUT_USEC, &setup), -EPERM);
        server_stop(&s, &rep);
        assert_int_equal(rep.accepted, 1);
        assert_int_equal(rep.len, 0);
}

static void test_no_listener(void **state) {
        IrqbalanceSetup setup = {};
        int r;

        (void) state;
        /* Neither /run/irqbalance/irqbalance<pid>.sock of this process nor the abstract name of
         * this fresh namespace exists. */
        r = irqbalance_query_setup(getpid(), TIMEOUT_USEC, &setup);
        assert_true(r == -ECONNREFUSED || r == -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_setup_exchange),
                        cmocka_unit_test(test_ban_command),
                        cmocka_unit_test(test_closed_without_answer),
                        cmocka_unit_test(test_no_answer_in_time),
                        cmocka_unit_test(test_refuses_other_uid),
                        cmocka_unit_test(test_refuses_other_pid),
                        cmocka_unit_test(test_no_listener),
        };

        if (geteuid() != 0) {
                fprintf(stderr, "SKIP: needs root (unshare(CLONE_NEWNET), a listener as another uid).\n");
                return 77;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
                return 77;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
