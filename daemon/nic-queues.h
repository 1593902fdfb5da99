/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config-file.h"
#include "macro.h"
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
typedef struct LibvirtQueuesResult LibvirtQueuesResult;

/* What MultiqueueApply= did with the recommendation (nic-queues-apply.c). */
typedef enum NicQueuesActionState {
        NIC_QUEUES_ACTION_REPORT,    /* report only: the command is shown, nothing is done */
        NIC_QUEUES_ACTION_NONE,      /* nothing to do: the guest runs (next-boot: will run) the pairs */
        NIC_QUEUES_ACTION_RUNNING,   /* a libvirt job is on its way */
        NIC_QUEUES_ACTION_WAITING,   /* guest-agent: ethtool -L ran; waiting for the tap to follow */
        NIC_QUEUES_ACTION_CONFIRMED, /* guest-agent: the tap shows the pairs */
        NIC_QUEUES_ACTION_PENDING,   /* next-boot: in the persistent XML, the running domain differs */
        NIC_QUEUES_ACTION_APPLIED,   /* next-boot: the running domain has them */
        NIC_QUEUES_ACTION_FAILED,    /* see detail; tried again on a new recommendation or after a while */
        NIC_QUEUES_ACTION_SKIPPED, /* the lever cannot work for this NIC (not libvirt, transient, macvtap) */
        _NIC_QUEUES_ACTION_MAX,
        _NIC_QUEUES_ACTION_INVALID = -EINVAL,
} NicQueuesActionState;

#define NIC_QUEUES_CONFIRM_USEC    (15ULL * USEC_PER_SEC) /* the tap must follow ethtool -L by then */
#define NIC_QUEUES_RETRY_MIN_USEC  (60ULL * USEC_PER_SEC) /* a failed action waits at least this long */
#define NIC_QUEUES_ACTION_TEXT_MAX 320

typedef struct NicQueuesAction {
        int mode; /* NicMultiqueueApply in effect */
        NicQueuesActionState state;
        unsigned pairs;                 /* what was (or is being) acted on; 0: nothing yet */
        unsigned long long when;        /* realtime usec of the last state change */
        unsigned long long until;       /* monotonic: WAITING gives up, FAILED may retry, after this */
        bool in_flight;                 /* a libvirt job holds the NIC */
        unsigned long long agent_calls; /* guest agent commands sent, in all */
        char detail[NIC_QUEUES_ACTION_TEXT_MAX];
} NicQueuesAction;

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
        NicQueuesAction action;
} NicQueues;

void nic_queues_seen(const Nic *n, NicQueuesSeen *ret);

/* Reads the host device's counters, appends a sample and runs the policy. '*ret_rate' gets the packet
 * rate of the newest interval (packets/s; 0 for the first sample). Returns 0 or -errno when the
 * device cannot be read. */
int nic_queues_sample(Nic *n, const MultiqueueConfig *c, double *ret_rate);

/* The guest's command for the recommendation, e.g. "ethtool -L <dev> combined 2" (the guest's
 * device name is not known on the host); "" when the guest already runs it. */
void nic_queues_command(const NicQueues *q, const NicQueuesSeen *seen, char *buf, size_t size);

/* Acts on the recommendation as MultiqueueApply= says (nic-queues-apply.c); called after each
 * sample. Never blocks: the levers are libvirt jobs. 'c' gives the retry delay. */
void nic_queues_act(Nic *n, const MultiqueueConfig *c);
/* A libvirt job of nic_queues_act() ended (on the loop). */
void nic_queues_action_done(Nic *n, const LibvirtQueuesResult *res);
const char *nic_queues_action_state_to_string(NicQueuesActionState s);

/* Starts the manager's sampling timer. */
int manager_start_queue_sampling(Manager *m);

/* Listens for the kernel's uevents of tap queues (queue-uevents.c). Returns 0 or -errno when the
 * uevent socket cannot be opened. */
int manager_start_queue_uevents(Manager *m);
