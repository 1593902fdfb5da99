/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config-file.h"
#include "multiqueue.h"

/* A NIC's queue pairs (issue 8, parts 1 to 3): the most it can have and how many the guest uses
 * now, each with how vnicd knows, and the multiqueue policy's recommendation from samples of its
 * load. vnicd cannot set a running guest's pairs: the recommendation is shown with the command an
 * operator would run. */

/* The most samples a NIC keeps; the policy sees the last MultiqueueWindowSamples= of them. */
#define NIC_QUEUES_WINDOW      CONFIG_WINDOW_SAMPLES_MAX
#define NIC_QUEUES_SOURCE_MAX  192
#define NIC_QUEUES_WORKERS_MAX 64 /* vhost workers fed to the policy; a guest with more feeds none */

typedef struct Nic Nic;
typedef struct Manager Manager;

/* Max and active pairs with how vnicd knows, derived from what was read last: the host device (a
 * tap's attached and detached queues) and libvirt's <driver queues='N'/>. */
typedef struct NicQueuesSeen {
        unsigned max; /* 0: not known */
        char max_source[NIC_QUEUES_SOURCE_MAX];
        unsigned active; /* 0: not known (a macvtap reports no queue changes) */
        char active_source[NIC_QUEUES_SOURCE_MAX];
} NicQueuesSeen;

/* What sampling keeps per NIC. */
typedef struct NicQueues {
        MultiqueueSample samples[NIC_QUEUES_WINDOW]; /* oldest first */
        size_t n_samples;
        /* The CPU times (usec) of the guest's vhost workers in each sample, and which set of them
         * (GuestVhost's generation): the policy matches workers by position. */
        uint64_t worker_usec[NIC_QUEUES_WINDOW][NIC_QUEUES_WORKERS_MAX];
        unsigned worker_generation;
        MultiqueueState state; /* the policy's, passed back at the next sample */
        bool has_decision;
        MultiqueueDecision decision;
        char status[NIC_QUEUES_SOURCE_MAX]; /* why there is no recommendation; "" when there is one */
} NicQueues;

void nic_queues_seen(const Nic *n, NicQueuesSeen *ret);

/* Reads the host device's counters, appends a sample and runs the policy. '*ret_rate' gets the packet
 * rate of the newest interval (packets/s; 0 for the first sample). Returns 0 or -errno when the
 * device cannot be read. */
int nic_queues_sample(Nic *n, const MultiqueueConfig *c, double *ret_rate);

/* The guest's command for the recommendation, e.g. "ethtool -L <dev> combined 2" (the guest's
 * device name is not known on the host); "" when the guest already runs it. */
void nic_queues_command(const NicQueues *q, const NicQueuesSeen *seen, char *buf, size_t size);

/* Starts the manager's sampling timer. */
int manager_start_queue_sampling(Manager *m);

/* Listens for the kernel's uevents of tap queues (queue-uevents.c). Returns 0 or -errno when the
 * uevent socket cannot be opened. */
int manager_start_queue_uevents(Manager *m);
