/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vhost-workers.h"

/* A guest's vhost-net workers (issue 8): found from QEMU's pid, read with every load sample of
 * its NICs (nic-queues.c), shown by vnicctl. Which queue pair a worker serves the kernel does not
 * say, so the workers belong to the guest, not to one of its NICs. */

#define GUEST_VHOST_STATUS_MAX 192

typedef struct Guest Guest;

typedef struct GuestVhost {
        pid_t qemu_pid;         /* 0: not known */
        const char *pid_source; /* static: how 'qemu_pid' was learned */
        VhostWorker *workers;   /* in tid order */
        size_t n_workers;
        unsigned generation;                 /* changes when the set of workers does */
        bool stale;                          /* look for workers again at the next sample */
        bool complete;                       /* every worker was read at the last sample */
        char status[GUEST_VHOST_STATUS_MAX]; /* how they were found, or why there are none */
} GuestVhost;

/* Looks for the workers again, at the end of this loop iteration (connect, resync, new vCPU
 * threads, a worker gone), once for all guests that asked. */
void guest_vhost_invalidate(Guest *g);

/* Reads every worker's CPU time and CPUs, looking for the workers first when stale or when one
 * vanished at the last sample. Called once per sampling round, before the guest's NICs. */
void guest_vhost_sample(Guest *g);

void guest_vhost_done(GuestVhost *v);
