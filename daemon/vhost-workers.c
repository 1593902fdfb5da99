/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse-util.h"
#include "proc-stat.h"
#include "vhost-workers.h"

#define PROC_FILE_MAX        16384 /* a stat or status file is under 2 KiB */
#define KTHREADD_PID         2
#define KTHREAD_CHILDREN_MAX (1024 * 1024) /* "pid " per kernel thread: tens of thousands fit */
#define PROC_PATH_MAX        PATH_MAX

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(DIR *, closedir);

static const char *const vhost_worker_form_table[_VHOST_WORKER_FORM_MAX] = {
                [VHOST_WORKER_KTHREAD] = "kthread",
                [VHOST_WORKER_THREAD] = "thread",
};

const char *vhost_worker_form_to_string(VhostWorkerForm f) {
        return f >= 0 && f < _VHOST_WORKER_FORM_MAX ? vhost_worker_form_table[f] : NULL;
}

/* A /proc directory entry that is a task id. */
static pid_t entry_pid(const struct dirent *de) {
        unsigned v;

        if (parse_decimal(de->d_name, INT_MAX, &v) < 0 || v == 0)
                return 0;
        return (pid_t) v;
}

static int read_text(const char *path, char **ret, size_t *ret_size) {
        return read_virtual_file(path, PROC_FILE_MAX, ret, ret_size);
}

static int read_stat(const char *path, ProcStat *ret) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        r = read_text(path, &text, &size);
        if (r < 0)
                return r;
        return proc_stat_parse(text, size, ret);
}

static void worker_name(pid_t qemu_pid, char name[static PROC_COMM_MAX]) {
        (void) snprintf(name, PROC_COMM_MAX, "vhost-%d", (int) qemu_pid);
}

/* Whether a task's stat is the worker: its name, and for a kernel thread its
 * parent (a process can name itself "vhost-<pid>", only the kernel makes kthreadd's children). */
static bool stat_is_worker(const ProcStat *st, const char *name, VhostWorkerForm form) {
        return streq(st->comm, name) && (form != VHOST_WORKER_KTHREAD || st->ppid == KTHREADD_PID);
}

static int workers_add(VhostWorker **list, size_t *n, pid_t tid, VhostWorkerForm form) {
        VhostWorker *l;

        if (*n >= VHOST_WORKERS_MAX)
                return 0;
        l = reallocarray(*list, *n + 1, sizeof(VhostWorker));
        if (!l)
                return -ENOMEM;
        *list = l;
        l[(*n)++] = (VhostWorker){.tid = tid, .form = form};
        return 0;
}

static int worker_cmp(const void *a, const void *b) {
        pid_t x = ((const VhostWorker *) a)->tid, y = ((const VhostWorker *) b)->tid;

        return x < y ? -1 : x > y;
}

static void task_stat_path(const char *proc, pid_t qemu_pid, const VhostWorker *w, char *buf, size_t size) {
        if (w->form == VHOST_WORKER_THREAD)
                (void) snprintf(buf, size, "%s/%d/task/%d/stat", proc, (int) qemu_pid, (int) w->tid);
        else
                (void) snprintf(buf, size, "%s/%d/stat", proc, (int) w->tid);
}

/* Adds the workers of one form: threads of QEMU (Linux >= 6.4) are listed in its task directory;
 * kernel threads (Linux < 6.4) can be anywhere in the process list. */
static int find_form(const char *proc, pid_t qemu_pid, VhostWorkerForm form, VhostWorker **list, size_t *n) {
        _cleanup_(closedirp) DIR *d = NULL;
        char path[PROC_PATH_MAX], name[PROC_COMM_MAX];
        struct dirent *de;
        int r;

        worker_name(qemu_pid, name);
        if (form == VHOST_WORKER_THREAD)
                (void) snprintf(path, sizeof(path), "%s/%d/task", proc, (int) qemu_pid);
        else
                (void) snprintf(path, sizeof(path), "%s", proc);
        d = opendir(path);
        if (!d)
                return errno == ENOENT && form == VHOST_WORKER_THREAD ? -ESRCH : -errno;
        while ((de = readdir(d))) {
                VhostWorker w = {.tid = entry_pid(de), .form = form};
                ProcStat st;

                if (w.tid == 0 || (form == VHOST_WORKER_KTHREAD && w.tid == qemu_pid))
                        continue;
                task_stat_path(proc, qemu_pid, &w, path, sizeof(path));
                if (read_stat(path, &st) < 0 || !stat_is_worker(&st, name, form))
                        continue; /* gone meanwhile, or another task */
                r = workers_add(list, n, w.tid, form);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Kernel threads are the children of kthreadd: its children file (CONFIG_PROC_CHILDREN) lists a few
 * hundred of them, where the whole process list may hold thousands of tasks. Returns 1 when the
 * file was read (the workers found are added), 0 when there is none, or -errno. */
static int find_kthreads_from_children(const char *proc, pid_t qemu_pid, VhostWorker **list, size_t *n) {
        _cleanup_free_ char *text = NULL;
        char path[PROC_PATH_MAX], name[PROC_COMM_MAX];
        size_t size;
        int r;

        (void) snprintf(path, sizeof(path), "%s/%d/task/%d/children", proc, KTHREADD_PID, KTHREADD_PID);
        r = read_virtual_file(path, KTHREAD_CHILDREN_MAX, &text, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        worker_name(qemu_pid, name);
        for (char *save = NULL, *w = strtok_r(text, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
                VhostWorker k = {.form = VHOST_WORKER_KTHREAD};
                unsigned v;
                ProcStat st;

                if (parse_decimal(w, INT_MAX, &v) < 0 || v == 0)
                        continue;
                k.tid = (pid_t) v;
                task_stat_path(proc, qemu_pid, &k, path, sizeof(path));
                if (read_stat(path, &st) < 0 || !stat_is_worker(&st, name, VHOST_WORKER_KTHREAD))
                        continue;
                r = workers_add(list, n, k.tid, VHOST_WORKER_KTHREAD);
                if (r < 0)
                        return r;
        }
        return 1;
}

int vhost_workers_find(const char *proc, pid_t qemu_pid, VhostWorker **ret, size_t *ret_n) {
        _cleanup_free_ VhostWorker *list = NULL;
        size_t n = 0;
        int r;

        if (!proc || qemu_pid <= 0 || !ret || !ret_n)
                return -EINVAL;
        /* Threads of QEMU first (Linux >= 6.4): one small directory. A kernel has one form only, so
         * workers found there spare the look for kernel threads. */
        r = find_form(proc, qemu_pid, VHOST_WORKER_THREAD, &list, &n);
        if (r < 0)
                return r;
        if (n == 0) {
                r = find_kthreads_from_children(proc, qemu_pid, &list, &n);
                if (r == 0)
                        r = find_form(proc, qemu_pid, VHOST_WORKER_KTHREAD, &list, &n);
                if (r < 0)
                        return r;
        }
        if (n > 1)
                qsort(list, n, sizeof(VhostWorker), worker_cmp);
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return (int) n;
}

int vhost_worker_read_ticks(const char *proc, pid_t qemu_pid, const VhostWorker *w, uint64_t *ret) {
        char path[PROC_PATH_MAX], name[PROC_COMM_MAX];
        ProcStat st;
        int r;

        task_stat_path(proc, qemu_pid, w, path, sizeof(path));
        r = read_stat(path, &st);
        if (r == -ENOENT || r == -ESRCH)
                return -ESRCH;
        if (r < 0)
                return r;
        worker_name(qemu_pid, name);
        if (!stat_is_worker(&st, name, w->form))
                return -ESRCH;
        *ret = st.utime + st.stime;
        return 0;
}

int vhost_qemu_pid_from_threads(const char *proc, const pid_t *tids, size_t n, pid_t *ret) {
        pid_t found = 0;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *text = NULL;
                char path[PROC_PATH_MAX];
                size_t size;
                pid_t tgid;

                (void) snprintf(path, sizeof(path), "%s/%d/status", proc, (int) tids[i]);
                if (read_text(path, &text, &size) < 0 || proc_status_tgid(text, size, &tgid) < 0)
                        continue; /* that vCPU's thread is gone */
                if (found != 0 && tgid != found)
                        return -EXDEV;
                found = tgid;
        }
        if (found == 0)
                return -ESRCH;
        *ret = found;
        return 0;
}
