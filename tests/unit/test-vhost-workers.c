/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "vhost-workers.h"

/* The walker on tests/fixtures/proc, a proc tree written by hand (README there): QEMU 100 on a
 * kernel >= 6.4 (its worker a thread of its own), QEMU 200 on Debian 12's 6.1 (kernel threads,
 * next to an impostor process, another QEMU's worker and a name holding ')'), QEMU 400 with one of
 * each; a task of each form that vanished while the tree was walked (a directory without stat). */

static char proc[4096];

static int setup(void **state) {
        const char *dir = getenv("VNIC_FIXTURES");

        if (!dir)
                fail_msg("VNIC_FIXTURES is not set: run this test through 'meson test'");
        (void) snprintf(proc, sizeof(proc), "%s/proc", dir);
        return 0;
}

/* The workers of 'pid' as "tid:form ..." */
static char *found(pid_t pid) {
        _cleanup_free_ VhostWorker *w = NULL;
        char buf[256] = "";
        size_t n = 99, k = 0;
        int r;

        r = vhost_workers_find(proc, pid, &w, &n);
        assert_int_equal(r, (int) n);
        for (size_t i = 0; i < n; i++)
                k += (size_t) snprintf(buf + k, sizeof(buf) - k, "%s%d:%s", i > 0 ? " " : "", (int) w[i].tid,
                                vhost_worker_form_to_string(w[i].form));
        return strdup(buf);
}

static void assert_found(pid_t pid, const char *want) {
        _cleanup_free_ char *got = found(pid);

        assert_non_null(got);
        assert_string_equal(got, want);
}

static void test_find(void **state) {
        /* the thread of QEMU; task 106 vanished */
        assert_found(100, "105:thread");
        /* kernel threads only: not 302 (vanished), 303 (PPid 1), 304 (vhost-2000), 305 ("vhost-200) S 2 (x") */
        assert_found(200, "300:kthread 301:kthread");
        /* a kernel has one form: threads of QEMU found, kernel threads are not looked for */
        assert_found(400, "403:thread");
        /* a process without workers: QEMU without vhost */
        assert_found(1, "");
}

/* Kernel threads listed by kthreadd's children file (CONFIG_PROC_CHILDREN): only those are read,
 * not the whole process list. The fixture tree seen through symlinks, plus that file naming worker
 * 301, the vanished 302 and another QEMU's worker 304: 300, a worker by its stat but not named by
 * the file, is not found, which a walk of the whole list would find. */
static void test_find_children(void **state) {
        char tmp[] = "/tmp/vnic-proc-XXXXXX", path[8192], target[8192];
        _cleanup_free_ VhostWorker *w = NULL;
        struct dirent *de;
        size_t n = 0;
        DIR *d;
        FILE *f;

        assert_non_null(mkdtemp(tmp));
        d = opendir(proc);
        assert_non_null(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && strcmp(de->d_name, "2") != 0) {
                        (void) snprintf(target, sizeof(target), "%s/%s", proc, de->d_name);
                        (void) snprintf(path, sizeof(path), "%s/%s", tmp, de->d_name);
                        assert_int_equal(symlink(target, path), 0);
                }
        closedir(d);
        for (const char *const *sub = (const char *const[]){"2", "2/task", "2/task/2", NULL}; *sub; sub++) {
                (void) snprintf(path, sizeof(path), "%s/%s", tmp, *sub);
                assert_int_equal(mkdir(path, 0755), 0);
        }
        (void) snprintf(path, sizeof(path), "%s/2/task/2/children", tmp);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs("301 302 304 ", f);
        assert_int_equal(fclose(f), 0);

        assert_int_equal(vhost_workers_find(tmp, 200, &w, &n), 1);
        assert_int_equal(w[0].tid, 301);
        assert_int_equal(w[0].form, VHOST_WORKER_KTHREAD);
        (void) snprintf(path, sizeof(path), "rm -rf '%s'", tmp);
        assert_int_equal(system(path), 0);
}

/* procfs text read whole is a C string: the walkers hand it to string functions (strtok_r on
 * kthreadd's children file overran the buffer before). */
static void test_read_virtual_file_terminated(void **state) {
        _cleanup_free_ char *text = NULL;
        char path[8192];
        size_t size = 0;

        (void) snprintf(path, sizeof(path), "%s/300/stat", proc);
        assert_int_equal(read_virtual_file(path, 65536, &text, &size), 0);
        assert_true(size > 0);
        assert_int_equal(text[size], 0);
        assert_int_equal(strlen(text), size);
}

static void test_find_gone(void **state) {
        _cleanup_free_ VhostWorker *w = NULL;
        size_t n = 7;

        assert_int_equal(vhost_workers_find(proc, 999, &w, &n), -ESRCH);
        assert_null(w);
        assert_int_equal(n, 7);
        assert_int_equal(vhost_workers_find(proc, 0, &w, &n), -EINVAL);
        assert_int_equal(vhost_workers_find("/nonexistent-proc-root", 100, &w, &n), -ESRCH);
}

static int read_ticks(pid_t qemu_pid, pid_t tid, VhostWorkerForm form, uint64_t *ret) {
        return vhost_worker_read_ticks(proc, qemu_pid, &(VhostWorker){.tid = tid, .form = form}, ret);
}

static void test_read_ticks(void **state) {
        static const struct {
                pid_t qemu, tid;
                VhostWorkerForm form;
        } gone[] = {
                        /* gone between discovery and read */
                        {200, 302, VHOST_WORKER_KTHREAD},
                        {100, 106, VHOST_WORKER_THREAD},
                        {200, 4000, VHOST_WORKER_KTHREAD},
                        /* the tid now names another task (reused) */
                        {200, 303, VHOST_WORKER_KTHREAD},
                        {200, 1, VHOST_WORKER_KTHREAD},
                        {200, 300, VHOST_WORKER_THREAD},
        };
        uint64_t t = 0;

        assert_int_equal(read_ticks(200, 300, VHOST_WORKER_KTHREAD, &t), 0);
        assert_int_equal(t, 100);
        assert_int_equal(read_ticks(100, 105, VHOST_WORKER_THREAD, &t), 0);
        assert_int_equal(t, 357);

        /* quietly -ESRCH, 't' untouched */
        t = 1;
        for (size_t i = 0; i < ELEMENTSOF(gone); i++)
                assert_int_equal(read_ticks(gone[i].qemu, gone[i].tid, gone[i].form, &t), -ESRCH);
        assert_int_equal(t, 1);
}

static void test_qemu_pid(void **state) {
        pid_t p = 0;

        /* vCPU threads (hidden from a /proc listing, but /proc/<tid> answers) */
        assert_int_equal(vhost_qemu_pid_from_threads(proc, (pid_t[]){201, 202}, 2, &p), 0);
        assert_int_equal(p, 200);
        /* QEMU reports its own pid for vCPUs without threads of their own (TCG) */
        assert_int_equal(vhost_qemu_pid_from_threads(proc, (pid_t[]){100}, 1, &p), 0);
        assert_int_equal(p, 100);
        /* one thread gone: the others still say */
        assert_int_equal(vhost_qemu_pid_from_threads(proc, (pid_t[]){4000, 101}, 2, &p), 0);
        assert_int_equal(p, 100);

        p = 5;
        assert_int_equal(vhost_qemu_pid_from_threads(proc, (pid_t[]){101, 201}, 2, &p), -EXDEV);
        assert_int_equal(vhost_qemu_pid_from_threads(proc, (pid_t[]){4000}, 1, &p), -ESRCH);
        assert_int_equal(vhost_qemu_pid_from_threads(proc, NULL, 0, &p), -ESRCH);
        assert_int_equal(p, 5);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_find),
                        cmocka_unit_test(test_find_children),
                        cmocka_unit_test(test_read_virtual_file_terminated),
                        cmocka_unit_test(test_find_gone),
                        cmocka_unit_test(test_read_ticks),
                        cmocka_unit_test(test_qemu_pid),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
