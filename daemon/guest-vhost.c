/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "host-placement.h"
#include "log.h"
#include "placement-facts.h"

#define PROC_ROOT "/proc"

static int on_vhost_discover(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        for (size_t i = 0; i < m->n_guests; i++)
                if (m->guests[i]->vhost.stale && guest_is_connected(m->guests[i]))
                        guest_vhost_sample(m->guests[i]);
        return 0;
}

void guest_vhost_invalidate(Guest *g) {
        Manager *m = g->manager;

        g->vhost.stale = true;
        /* Looked for soon, not at the next load sample (an idle host samples every
         * MultiqueueIdleSampleSec=, and placement waits for the workers): once for every guest
         * that asked in this loop iteration. */
        if (!m || !m->event)
                return;
        if (!m->vhost_discover && sd_event_add_defer(m->event, &m->vhost_discover, on_vhost_discover, m) < 0)
                return;
        (void) sd_event_source_set_description(m->vhost_discover, "vhost-discover");
        (void) sd_event_source_set_enabled(m->vhost_discover, SD_EVENT_ONESHOT);
}

void guest_vhost_done(GuestVhost *v) {
        v->workers = mfree(v->workers);
        v->n_workers = 0;
}

_printf_(2, 3) static void vhost_status(GuestVhost *v, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(v->status, sizeof(v->status), format, ap);
        va_end(ap);
}

/* The vCPU threads' process, else the QMP socket's peer: a QMP proxy between vnicd and QEMU
 * would be that peer, the vCPU threads are QEMU's own. */
static pid_t guest_qemu_pid(Guest *g, const char **ret_source) {
        _cleanup_free_ pid_t *tids = new0(pid_t, MAX(g->n_vcpus, (size_t) 1));
        pid_t pid;

        for (size_t i = 0; tids && i < g->n_vcpus; i++)
                tids[i] = g->vcpus[i].thread_id;
        if (tids && vhost_qemu_pid_from_threads(PROC_ROOT, tids, g->n_vcpus, &pid) >= 0) {
                *ret_source = "the process of its vCPU threads (query-cpus-fast)";
                return pid;
        }
        if (g->qmp && qmp_client_get_peer_pid(g->qmp, &pid) >= 0) {
                *ret_source = "the QMP socket's peer";
                return pid;
        }
        *ret_source = NULL;
        return 0;
}

static bool same_tids(const VhostWorker *a, size_t n_a, const VhostWorker *b, size_t n_b) {
        if (n_a != n_b)
                return false;
        for (size_t i = 0; i < n_a; i++)
                if (a[i].tid != b[i].tid || a[i].form != b[i].form)
                        return false;
        return true;
}

static void guest_vhost_discover(Guest *g) {
        _cleanup_free_ VhostWorker *found = NULL;
        GuestVhost *v = &g->vhost;
        size_t n = 0;
        pid_t pid;
        int r;

        v->stale = false;
        pid = guest_qemu_pid(g, &v->pid_source);
        if (pid == 0)
                r = -ESRCH;
        else
                r = vhost_workers_find(PROC_ROOT, pid, &found, &n);
        if (pid == 0)
                vhost_status(v, "QEMU's pid is not known: no vCPU thread ids (query-cpus-fast)%s",
                                g->source == GUEST_SOURCE_QMP ? " and no QMP socket peer" : "");
        else if (r == -ESRCH)
                vhost_status(v, "QEMU (pid %d) is gone", (int) pid);
        else if (r < 0) {
                errno = -r;
                vhost_status(v, "cannot look for them in " PROC_ROOT ": %m");
        } else if (n == 0)
                vhost_status(v,
                                "no /dev/vhost-net worker: QEMU (pid %d) runs without vhost (no task named "
                                "vhost-%d)",
                                (int) pid, (int) pid);
        else
                vhost_status(v,
                                "%zu named vhost-%d: QEMU's pid from %s; which queue each serves the kernel "
                                "does not say",
                                n, (int) pid, v->pid_source);

        /* Workers that stay keep their last reading, so their busy figure goes on. */
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < v->n_workers; j++)
                        if (v->workers[j].tid == found[i].tid && v->workers[j].form == found[i].form)
                                found[i] = v->workers[j];
        if (pid != v->qemu_pid || !same_tids(found, n, v->workers, v->n_workers)) {
                v->generation++;
                log_debug("%s: %zu vhost worker(s) of QEMU %d: %s", g->name, n, (int) pid, v->status);
        }
        v->qemu_pid = pid;
        free(v->workers);
        v->workers = TAKE_PTR(found);
        v->n_workers = n;
}

static void worker_read_cpus(VhostWorker *w) {
        w->has_cpus = thread_affinity_get(w->tid, &w->cpus) >= 0;
}

/* One worker's CPU time and CPUs now. -ESRCH when it is gone. */
static int worker_sample(GuestVhost *v, VhostWorker *w, uint64_t now, long ticks_per_sec) {
        uint64_t ticks;
        int r;

        r = vhost_worker_read_ticks(PROC_ROOT, v->qemu_pid, w, &ticks);
        if (r < 0)
                return r;
        w->has_busy = w->read_usec > 0 && now > w->read_usec && ticks >= w->ticks && ticks_per_sec > 0;
        if (w->has_busy) {
                double seconds = (double) (now - w->read_usec) / USEC_PER_SEC;

                /* /proc CPU times and the clock are read at slightly different moments. */
                w->busy_percent = MIN((double) (ticks - w->ticks) / (seconds * (double) ticks_per_sec) * 100,
                                100.0);
        }
        w->ticks = ticks;
        w->read_usec = now;
        worker_read_cpus(w);
        return 0;
}

void guest_vhost_sample(Guest *g) {
        GuestVhost *v = &g->vhost;
        unsigned generation = v->generation;
        long ticks_per_sec = sysconf(_SC_CLK_TCK);
        uint64_t now;
        size_t kept = 0;

        if (!guest_is_connected(g)) {
                guest_vhost_done(v);
                v->qemu_pid = 0;
                v->stale = true;
                vhost_status(v, "not looked for: the guest is not connected");
                return;
        }
        if (v->stale)
                guest_vhost_discover(g);

        now = now_usec(CLOCK_MONOTONIC);
        v->complete = true;
        for (size_t i = 0; i < v->n_workers; i++) {
                VhostWorker *w = &v->workers[i];
                int r = worker_sample(v, w, now, ticks_per_sec);

                if (r == -ESRCH) {
                        /* Exited since discovery (a NIC unplugged, QEMU stopping): dropped, and the
                         * next sample looks again, once. */
                        log_debug("%s: vhost worker %d is gone.", g->name, (int) w->tid);
                        v->stale = true;
                        v->complete = false;
                        continue;
                }
                if (r < 0) {
                        log_debug_errno(r, "%s: cannot read vhost worker %d: %m", g->name, (int) w->tid);
                        v->complete = false;
                }
                if (kept != i)
                        v->workers[kept] = *w;
                kept++;
        }
        if (kept != v->n_workers) {
                v->generation++;
                /* The status says what is left now, not what the last discovery found. */
                vhost_status(v, "%zu named vhost-%d after %zu exited; looking again at the next sample",
                                kept, (int) v->qemu_pid, v->n_workers - kept);
        }
        v->n_workers = kept;
        if (v->generation != generation)
                host_placement_schedule(g->manager, false); /* workers to place, or gone */
}
