/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpu-set.h"

/* The vhost-net worker threads of one QEMU, found in a proc tree ("/proc", or a fixture in the
 * tests). Each /dev/vhost-net QEMU opens (one per queue pair of each NIC) gets a worker named
 * "vhost-<QEMU's pid>" at VHOST_SET_OWNER; which queue a worker serves the kernel does not say
 * (HOST-FACTS §6). Its form depends on the kernel (HOST-FACTS §1), so both are looked for:
 *   - before Linux 6.4 a kernel thread, child of kthreadd (PPid 2), in no thread group of QEMU:
 *     /proc/<tid>/stat names it;
 *   - from 6.4 on a thread of QEMU: /proc/<QEMU's pid>/task/<tid>/comm names it.
 * Only reads files below the proc root. */

#define VHOST_WORKERS_MAX 1024 /* more are not listed: QEMU has at most 1024 queue pairs per NIC */

typedef enum VhostWorkerForm {
        VHOST_WORKER_THREAD,  /* a thread of QEMU (Linux >= 6.4); looked for first, in QEMU's tasks */
        VHOST_WORKER_KTHREAD, /* a kernel thread (Linux < 6.4) */
        _VHOST_WORKER_FORM_MAX,
        _VHOST_WORKER_FORM_INVALID = -EINVAL,
} VhostWorkerForm;

typedef struct VhostWorker {
        pid_t tid;
        VhostWorkerForm form;
        uint64_t ticks;      /* utime + stime at the last read, clock ticks */
        uint64_t read_usec;  /* CLOCK_MONOTONIC of that read; 0: not read yet */
        bool has_busy;       /* two reads so far */
        double busy_percent; /* CPU time over wall time between the last two reads, 0..100 */
        bool has_cpus;
        CpuSet cpus; /* where it may run (sched_getaffinity) at the last read */
} VhostWorker;

/* The workers of QEMU 'qemu_pid' under 'proc': both forms, in tid order, in a malloc'ed array
 * (NULL when none). A task that vanishes while the tree is walked is left out. Returns the count,
 * -ESRCH when QEMU itself is not there, -ENOMEM, or -errno when 'proc' cannot be read. */
int vhost_workers_find(const char *proc, pid_t qemu_pid, VhostWorker **ret, size_t *ret_n);

/* The CPU time (utime + stime, clock ticks) of worker 'w' of QEMU 'qemu_pid' now. -ESRCH when it
 * is gone, or its tid now names another task (tids are reused); -errno on other read failures. */
int vhost_worker_read_ticks(const char *proc, pid_t qemu_pid, const VhostWorker *w, uint64_t *ret);

/* The process the threads 'tids' ('n' of them: QEMU's vCPU threads) belong to, from their
 * /proc/<tid>/status Tgid line. Threads that are gone are skipped. Returns 0; -ESRCH when none
 * is left; -EXDEV when they do not all belong to one process. */
int vhost_qemu_pid_from_threads(const char *proc, const pid_t *tids, size_t n, pid_t *ret);

/* "kthread", "thread". */
const char *vhost_worker_form_to_string(VhostWorkerForm f);
