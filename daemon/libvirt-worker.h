/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

/* Every libvirt call is a blocking RPC, and one can hang for as long as libvirtd or a QEMU
 * monitor does (libvirt's own job timeout is 30 s). The loop never makes one: it hands a job to
 * a small pool of worker threads, which run its 'run' part (the blocking calls, nothing else:
 * no sd-event, no manager state), and the loop runs its 'done' part with the result. libvirt's
 * event loop stays on sd-event (libvirt-event.c), which takes calls from these threads.
 *
 * A job has an owner (the object that asked, or NULL); when the owner goes away it cancels its
 * jobs: 'done' is then not called, 'free' always is. */

#define LIBVIRT_WORKERS      2   /* one hung QEMU monitor does not stall every other domain */
#define LIBVIRT_JOBS_MAX     512 /* queued and running; more is refused with -EBUSY */
#define LIBVIRT_JOIN_TIMEOUT 5   /* seconds to wait for a running call at shutdown */

typedef struct LibvirtWorker LibvirtWorker;

typedef void (*LibvirtJobFunc)(void *data);

int libvirt_worker_new(sd_event *event, LibvirtWorker **ret);
/* Stops the threads; a call still running after LIBVIRT_JOIN_TIMEOUT is abandoned (its thread is
 * detached and its job leaked), so a hung libvirtd cannot hang vnicd's exit. */
LibvirtWorker *libvirt_worker_free(LibvirtWorker *w);

/* Queues a job. 'run' runs on a worker thread, 'done' (may be NULL) then on the loop, 'free_data'
 * (may be NULL) last, on the loop. On failure nothing was queued and 'data' is the caller's. */
int libvirt_worker_submit(LibvirtWorker *w, void *owner, LibvirtJobFunc run, LibvirtJobFunc done,
                LibvirtJobFunc free_data, void *data);

/* 'done' will not be called for the jobs of 'owner' queued or running now. */
void libvirt_worker_cancel(LibvirtWorker *w, void *owner);

/* Jobs queued or running. */
unsigned libvirt_worker_busy(LibvirtWorker *w);
