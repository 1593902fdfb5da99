/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config-file.h"
#include "ethtool-channels.h"
#include "ethtool-stats.h"
#include "guest-agent.h"
#include "macro.h"
#include "multiqueue.h"

/* A NIC's queue pairs (issue 8, parts 1 to 3): the most it can have and how many the guest uses
 * now, each with how vnicd knows, and the multiqueue policy's recommendation from samples of its
 * load. vnicd cannot set a running guest's pairs: the recommendation is shown with the command an
 * operator would run. */

/* The most samples a NIC keeps; the policy sees the last MultiqueueWindowSamples= of them. */
#define NIC_QUEUES_WINDOW           CONFIG_WINDOW_SAMPLES_MAX
#define NIC_QUEUES_SOURCE_MAX       320
#define NIC_QUEUES_WORKERS_MAX      64 /* vhost workers fed to the policy; a guest with more feeds none */
#define NIC_QUEUES_GUEST_QUEUES_MAX 64 /* the guest's queue pairs kept and fed; a NIC with more feeds none */

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
        NIC_QUEUES_ACTION_SKIPPED, /* the lever cannot work for this NIC (not libvirt, transient, no channels) */
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

/* The guest agent's view of the active pairs (nic-queues-agent.c): 'ethtool -l' in the guest, read
 * for a NIC whose host device cannot tell (a macvtap) where MultiqueueApply=guest-agent allows the
 * agent; at most once per MultiqueueHoldDownSec= (at least NIC_QUEUES_RETRY_MIN_USEC), and right
 * after the guest-agent lever ran. */
typedef struct NicQueuesAgentView {
        bool in_flight;    /* a read is on its way */
        bool has_channels; /* the last read worked: 'channels' and 'dev' are what it saw */
        EthtoolChannels channels;
        char dev[GUEST_AGENT_IFNAME_MAX];
        unsigned long long when; /* realtime usec of the last read, whether it worked or not; 0: none */
        unsigned long long next; /* monotonic: no read before this */
        char error[NIC_QUEUES_SOURCE_MAX]; /* why the last read failed */
} NicQueuesAgentView;

/* The guest's own per-queue counters (nic-queues-guest-stats.c): 'ethtool -S' in the guest through
 * the guest agent, where MultiqueueGuestStats= allows it, at a load sample where the NIC carries
 * traffic (never while it is idle), one read in flight at most; a failed read waits
 * nic_queues_retry_usec() before the next. The next sample takes a read's counters to the policy. */
typedef struct NicQueuesGuestStats {
        bool in_flight; /* a read is on its way */
        bool has_stats; /* the last read worked: 'queues' and 'dev' are what it saw */
        bool fresh;     /* read since a sample last took the counters */
        size_t n_queues;
        EthtoolQueueStats queues[NIC_QUEUES_GUEST_QUEUES_MAX];
        char dev[GUEST_AGENT_IFNAME_MAX];
        uint64_t time_usec;          /* monotonic: when ethtool ran in the guest (its guest-exec answered) */
        unsigned long long read;     /* realtime usec of the last read that worked; 0: none */
        unsigned long long when;     /* realtime usec of the last read, whether it worked or not */
        unsigned long long next;     /* monotonic: no read before this (after a failure) */
        unsigned long long reads;    /* reads that worked */
        unsigned long long failures; /* reads that failed */
        unsigned long long agent_calls;    /* guest agent commands the reads sent (also in action's) */
        char error[NIC_QUEUES_SOURCE_MAX]; /* why the last read failed; "" when it worked */
} NicQueuesGuestStats;

/* Max and active pairs with how vnicd knows, derived from what was read last: the host device (a
 * tap's attached and detached queues), libvirt's <driver queues='N'/>, and where the host device
 * cannot tell, the guest agent's 'ethtool -l' (NicQueuesAgentView). */
typedef struct NicQueuesSeen {
        unsigned max; /* 0: not known */
        char max_source[NIC_QUEUES_SOURCE_MAX];
        unsigned active; /* 0: not known (a macvtap reports no queue changes, no agent view) */
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
        /* The guest's rx + tx packets per queue pair in each sample that took a read (GuestStats). */
        uint64_t queue_packets[NIC_QUEUES_WINDOW][NIC_QUEUES_GUEST_QUEUES_MAX];
        MultiqueueState state; /* the policy's, passed back at the next sample */
        bool has_decision;
        MultiqueueDecision decision;
        char status[NIC_QUEUES_SOURCE_MAX]; /* why there is no recommendation; "" when there is one */
        NicQueuesAction action;
        NicQueuesAgentView agent;
        NicQueuesGuestStats guest_stats;
} NicQueues;

void nic_queues_seen(const Nic *n, NicQueuesSeen *ret);

/* Reads the host device's counters, appends a sample and runs the policy. '*ret_rate' gets the packet
 * rate of the newest interval (packets/s; 0 for the first sample). Returns 0 or -errno when the
 * device cannot be read. */
int nic_queues_sample(Nic *n, const MultiqueueConfig *c, double *ret_rate);

/* The guest's command for the recommendation, e.g. "ethtool -L <its interface> combined 2" (the
 * guest's device name is not known on the host, unless the guest agent's view named it); "" when
 * the guest already runs it. */
void nic_queues_command(const NicQueues *q, const NicQueuesSeen *seen, char *buf, size_t size);

/* Acts on the recommendation as MultiqueueApply= says (nic-queues-apply.c); called after each
 * sample. Never blocks: the levers are libvirt jobs. 'c' gives the retry delay. */
void nic_queues_act(Nic *n, const MultiqueueConfig *c);
/* A libvirt job of nic_queues_act() ended (on the loop). */
void nic_queues_action_done(Nic *n, const LibvirtQueuesResult *res);
const char *nic_queues_action_state_to_string(NicQueuesActionState s);
/* How long a failed action, or a guest agent read, waits before the next try. */
unsigned long long nic_queues_retry_usec(const MultiqueueConfig *c);

/* The guest agent's view (nic-queues-agent.c). nic_queues_agent_wanted(): the agent may be used for
 * 'n' (MultiqueueApply=guest-agent, a libvirt domain's NIC with a MAC) and its host device cannot
 * tell the active pairs. nic_queues_agent_read() queues a read when one is due (never blocks);
 * nic_queues_agent_done() takes a read's result, nic_queues_agent_update() the channels a lever read
 * to confirm itself. nic_queues_agent_source() writes the active pairs' source for nic_queues_seen()
 * and returns the pairs (0: not known). */
bool nic_queues_agent_wanted(const Nic *n);
void nic_queues_agent_read(Nic *n, const MultiqueueConfig *c);
void nic_queues_agent_done(Nic *n, const LibvirtQueuesResult *res);
void nic_queues_agent_update(Nic *n, const LibvirtQueuesResult *res, const MultiqueueConfig *c);
unsigned nic_queues_agent_source(const Nic *n, const char *host_says, char *buf, size_t size);

/* The guest's per-queue counters (nic-queues-guest-stats.c). nic_queues_guest_stats_wanted(): the
 * operator allowed it for 'n' (MultiqueueGuestStats=yes) and it is a libvirt domain's NIC with a MAC.
 * nic_queues_guest_stats_read() queues a read when the sample was busy and one is allowed (never
 * blocks); nic_queues_guest_stats_done() takes its result; nic_queues_guest_stats_take() puts a fresh
 * read's counters into sample 'i' of the window. nic_queues_guest_stats_status() says why there are
 * no figures ("" when there are). */
bool nic_queues_guest_stats_wanted(const Nic *n);
void nic_queues_guest_stats_read(Nic *n, const MultiqueueConfig *c, bool busy);
void nic_queues_guest_stats_done(Nic *n, const LibvirtQueuesResult *res);
void nic_queues_guest_stats_take(Nic *n, size_t i);
void nic_queues_guest_stats_status(const Nic *n, char *buf, size_t size);

/* Starts the manager's sampling timer. */
int manager_start_queue_sampling(Manager *m);

/* Listens for the kernel's uevents of tap queues (queue-uevents.c). Returns 0 or -errno when the
 * uevent socket cannot be opened. */
int manager_start_queue_uevents(Manager *m);
