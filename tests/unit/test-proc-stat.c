/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "proc-stat.h"

/* A vhost worker's line as Debian's 6.1 prints it (a kernel thread: ppid 2, processor 1). */
#define WORKER_LINE                                                                                         \
        "4242 (vhost-4240) S 2 0 0 0 -1 2129984 0 0 0 0 17 250 0 0 20 0 1 0 5120 0 0 "                      \
        "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"

/* 64 bytes: one past what a name may hold with its NUL */
#define NAME_64 "0123456789012345678901234567890123456789012345678901234567890123"

static int parse(const char *s, ProcStat *ret) {
        return proc_stat_parse(s, strlen(s), ret);
}

static void test_worker(void **state) {
        ProcStat st;

        assert_int_equal(parse(WORKER_LINE, &st), 0);
        assert_int_equal(st.pid, 4242);
        assert_string_equal(st.comm, "vhost-4240");
        assert_int_equal(st.state, 'S');
        assert_int_equal(st.ppid, 2);
        assert_int_equal(st.utime, 17);
        assert_int_equal(st.stime, 250);
        assert_int_equal(st.processor, 1);
}

/* Names a process can give itself (prctl PR_SET_NAME): the fields start after the LAST ')'. */
static void test_tricky_names(void **state) {
        static const struct {
                const char *line, *comm;
        } cases[] = {
                        {"7 (a b) R 1 7 7 0 -1 0 0 0 0 0 3 4\n", "a b"},
                        {"7 (x) S 1 (y) R 1 7 7 0 -1 0 0 0 0 0 3 4\n", "x) S 1 (y"},
                        {"7 ()) R 1 7 7 0 -1 0 0 0 0 0 3 4\n", ")"},
                        {"7 ((() R 1 7 7 0 -1 0 0 0 0 0 3 4\n", "(("},
                        {"7 () R 1 7 7 0 -1 0 0 0 0 0 3 4\n", ""},
                        {"7 (vhost-1 0 0) R 1 7 7 0 -1 0 0 0 0 0 3 4\n", "vhost-1 0 0"},
                        {"7 (a\nb) R 1 7 7 0 -1 0 0 0 0 0 3 4", "a\nb"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ProcStat st;

                assert_int_equal(parse(cases[i].line, &st), 0);
                assert_string_equal(st.comm, cases[i].comm);
                assert_int_equal(st.state, 'R');
                assert_int_equal(st.ppid, 1);
                assert_int_equal(st.utime, 3);
                assert_int_equal(st.stime, 4);
                /* shorter than field 39 */
                assert_int_equal(st.processor, -1);
        }
}

static void test_bad(void **state) {
        static const struct {
                const char *line;
                int r;
        } cases[] = {
                        {"", -EINVAL},
                        {"\n", -EINVAL},
                        {"garbage", -EINVAL},
                        {"7 vhost S 1 7 7 0 -1 0 0 0 0 0 3 4", -EINVAL},
                        {"7 (vhost S 1 7 7 0 -1 0 0 0 0 0 3 4", -EINVAL},
                        {"(vhost) S 1 7 7 0 -1 0 0 0 0 0 3 4", -EINVAL},
                        {"0 (vhost) S 1 7 7 0 -1 0 0 0 0 0 3 4", -EINVAL},
                        {"-7 (vhost) S 1 7 7 0 -1 0 0 0 0 0 3 4", -EINVAL},
                        {"99999999999 (vhost) S 1 7 7 0 -1 0 0 0 0 0 3 4", -EINVAL},
                        {"7(vhost) S 1 7 7 0 -1 0 0 0 0 0 3 4", -EINVAL},
                        /* truncated: before the state, before stime */
                        {"7 (vhost)", -EINVAL},
                        {"7 (vhost) S", -EINVAL},
                        {"7 (vhost) S 1 7 7 0 -1 0 0 0 0 0 3", -EINVAL},
                        {"7 (vhost) S 1 7 7 0 -1 0 0 0 0 0 3\n4", -EINVAL},
                        /* not numbers, signs where none belong, overflow */
                        {"7 (vhost) S x 7 7 0 -1 0 0 0 0 0 3 4", -EINVAL},
                        {"7 (vhost) S -1 7 7 0 -1 0 0 0 0 0 3 4", -EINVAL},
                        {"7 (vhost) S 1 7 7 0 -1 0 0 0 0 0 -3 4", -EINVAL},
                        {"7 (vhost) S 1 7 7 0 -1 0 0 0 0 0 3 18446744073709551616", -EINVAL},
                        {"7 (vhost) S 1 7 7 0 -1 0 0 0 0 0 3 4x", -EINVAL},
                        {"7 (vhost) S 1 7 7 0 - 0 0 0 0 0 3 4", -EINVAL},
                        {"7 (vhost) SS 1 7 7 0 -1 0 0 0 0 0 3 4", -EINVAL},
                        {"7 (vhost)  1 7 7 0 -1 0 0 0 0 0 3 4", -EINVAL},
                        /* garbage after stime is still garbage */
                        {"7 (vhost) S 1 7 7 0 -1 0 0 0 0 0 3 4 5 zz", -EINVAL},
                        {"7 (" NAME_64 ") S 1 7 7 0 -1 0 0 0 0 0 3 4", -E2BIG},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ProcStat st, untouched;

                memset(&st, 0x5a, sizeof(st));
                untouched = st;
                assert_int_equal(parse(cases[i].line, &st), cases[i].r);
                assert_memory_equal(&st, &untouched, sizeof(st));
        }
        assert_int_equal(proc_stat_parse(NULL, 0, &(ProcStat){}), -EINVAL);
}

/* A NUL or the length ends the text: a stat file read into a short buffer is truncated input. */
static void test_length(void **state) {
        const char *l = WORKER_LINE, *to_utime = "4242 (vhost-4240) S 2 0 0 0 -1 2129984 0 0 0 0 17";
        size_t k = strlen(to_utime);
        ProcStat st;

        assert_int_equal(proc_stat_parse(l, k + strlen(" 250"), &st), 0);
        assert_int_equal(st.stime, 250);
        assert_int_equal(st.processor, -1);
        assert_int_equal(proc_stat_parse(l, k, &st), -EINVAL);
        assert_int_equal(proc_stat_parse("7 (a) R 1 7 7 0 -1 0 0 0 0 0 3 4\0 zz", 36, &st), 0);
        assert_int_equal(st.stime, 4);
}

static void test_uid(void **state) {
        static const char status[] = "Name:\tirqbalance\nTgid:\t812\nPid:\t812\nPPid:\t1\n"
                                     "Uid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
        uid_t u = 77;

        /* the real uid: a setuid-root program run by a user is not root's */
        assert_int_equal(proc_status_uid(status, strlen(status), &u), 0);
        assert_int_equal(u, 1000);
        assert_int_equal(proc_status_uid("Uid:\t0\t0\t0\t0\n", 13, &u), 0);
        assert_int_equal(u, 0);

        u = 77;
        assert_int_equal(proc_status_uid("Name:\tx\nPid:\t1\n", 15, &u), -ENODATA);
        assert_int_equal(proc_status_uid("Name:\tUid: 0\n", 13, &u), -ENODATA);
        assert_int_equal(proc_status_uid("Uid:\t0\t0\t0\n", 11, &u), -EINVAL);
        assert_int_equal(proc_status_uid("Uid:\t0\t0\t0\t0\t0\n", 15, &u), -EINVAL);
        assert_int_equal(proc_status_uid("Uid:\t-1\t0\t0\t0\n", 14, &u), -EINVAL);
        assert_int_equal(proc_status_uid("Uid:\t4294967295\t0\t0\t0\n", 22, &u), -EINVAL);
        assert_int_equal(proc_status_uid("Uid:\t0x\t0\t0\t0\n", 14, &u), -EINVAL);
        assert_int_equal(u, 77);
}

static void test_tgid(void **state) {
        static const char status[] = "Name:\tCPU 0/KVM\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4240\n"
                                     "Ngid:\t0\nPid:\t4243\nPPid:\t1\n";
        pid_t p = 0;

        assert_int_equal(proc_status_tgid(status, strlen(status), &p), 0);
        assert_int_equal(p, 4240);
        assert_int_equal(proc_status_tgid("Tgid: 9", 7, &p), 0);
        assert_int_equal(p, 9);

        p = 77;
        assert_int_equal(proc_status_tgid("Name:\tx\nPid:\t1\n", 15, &p), -ENODATA);
        assert_int_equal(proc_status_tgid("", 0, &p), -ENODATA);
        /* "Name: Tgid: 5" is a name, not the line */
        assert_int_equal(proc_status_tgid("Name:\tTgid: 5\n", 14, &p), -ENODATA);
        assert_int_equal(proc_status_tgid("Tgid:\t0\n", 8, &p), -EINVAL);
        assert_int_equal(proc_status_tgid("Tgid:\t-3\n", 9, &p), -EINVAL);
        assert_int_equal(proc_status_tgid("Tgid:\t12x\n", 10, &p), -EINVAL);
        assert_int_equal(proc_status_tgid("Tgid:\t12 13\n", 12, &p), -EINVAL);
        assert_int_equal(proc_status_tgid("Tgid:\n", 6, &p), -EINVAL);
        /* cut before the line ends: the number so far is not trusted past 'len' */
        assert_int_equal(proc_status_tgid("Tgid:\t4240\n", 5, &p), -EINVAL);
        assert_int_equal(p, 77);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_worker),
                        cmocka_unit_test(test_tricky_names),
                        cmocka_unit_test(test_bad),
                        cmocka_unit_test(test_length),
                        cmocka_unit_test(test_tgid),
                        cmocka_unit_test(test_uid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
