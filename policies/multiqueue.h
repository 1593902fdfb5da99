/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config-file.h" /* MultiqueueConfig: the thresholds, vnicd.conf keys */

/* How many virtio-net queue pairs one guest NIC should have, from its load over a window of
 * samples, with a reason. The host cannot set a running guest's active pairs (DESIGN "What
 * auto-tune can and cannot do"): this only recommends; actuators and vnicctl act on it.
 *
 * Known (HOST-FACTS §6): multiqueue regresses some workloads (small-message TCP streams, some
 * guests), and nova and KubeVirt set min(vCPUs, cap) statically. What more pairs are for: spreading
 * a load that saturates one vhost worker (one queue) over several. So: more pairs only when a worker
 * is near saturation, one pair for few large-segment streams that one worker carries (one queue
 * batches them better), fewer pairs only after the load stayed low for a while, never more than
 * min(vCPUs, max), and nothing decided from an idle NIC. The rules, first match wins, are the
 * MultiqueueRule members in order.
 *
 * Hysteresis: more pairs are recommended at once when a pair is over the high mark (a saturated
 * worker drops and delays packets now). The count is sized from the total load, not stepped up, so
 * the same load always gives the same count and repeated windows cannot ratchet it; but a worker at
 * 100% hides what it could not carry, so a saturated NIC may take a second step once more pairs
 * show the rest. Fewer pairs need their condition to hold without a break for
 * MultiqueueHoldDownSec= and the last change to be at least that old. With the low mark at most
 * half the high mark (enforced), a scale-up lands every pair above the low mark, so an up-down
 * cycle takes at least one hold-down: a load that oscillates around either mark changes the
 * recommendation at most once per hold-down.
 *
 * Pure: no I/O, no globals, no allocation. */

#define MULTIQUEUE_SAMPLES_MAX 1024 /* samples in one window */
#define MULTIQUEUE_PAIRS_MAX   256  /* tun/macvtap MAX_TAP_QUEUES: no host device has more */
#define MULTIQUEUE_WORKERS_MAX 256  /* vhost-net: one worker per queue pair */
#define MULTIQUEUE_REASON_MAX  320

/* One reading of a NIC's counters, all cumulative. Times are CLOCK_MONOTONIC microseconds. */
typedef struct MultiqueueSample {
        uint64_t time_usec;
        uint64_t rx_packets; /* the host device's link statistics (tap rx = guest tx) */
        uint64_t tx_packets;
        uint64_t rx_bytes; /* a tap sees GSO super-frames, up to 64 KiB each */
        uint64_t tx_bytes;
        size_t n_workers;                /* vhost workers serving the NIC; 0: none (userspace virtio) */
        const uint64_t *worker_cpu_usec; /* n_workers CPU times (utime + stime), same order each sample */
        /* The guest's own per-queue counters (virtio_net's 'ethtool -S' through the guest agent, where
         * MultiqueueGuestStats= allows it): each queue pair's rx + tx packets as the guest counts them,
         * cumulative, queue 0 first, read at queue_time_usec (the guest is asked asynchronously, so
         * not at time_usec). n_queues 0: none in this sample (not every sample has them). */
        size_t n_queues;
        const uint64_t *queue_packets;
        uint64_t queue_time_usec;
} MultiqueueSample;

/* A queue pair carrying more than this share of the guest's packets counts as carrying traffic. */
#define MULTIQUEUE_QUEUE_CARRYING_SHARE 0.10
/* One of the guest's queues carrying more than this share of its packets, with two or more queues
 * active, is taken for few flows: RSS keeps a flow on one queue, many flows would spread. More pairs
 * cannot split it, so a saturated NIC is sized as that queue's pair plus pairs for the rest. */
#define MULTIQUEUE_QUEUE_HOT_SHARE 0.75

/* What the caller keeps per NIC between calls: the decision's 'state', passed back next time.
 * Zero-initialized for a NIC never decided on. 0 means "none" for the times, so sample times are
 * expected above 0 (CLOCK_MONOTONIC is, once the machine has booted). */
typedef struct MultiqueueState {
        unsigned pairs;           /* current recommendation; 0 = none yet */
        uint64_t changed_usec;    /* when 'pairs' last changed; 0 = never */
        uint64_t down_since_usec; /* fewer pairs called for without a break since; 0 = not */
        unsigned boot_pairs; /* pairs for the next boot above 'pairs' (see boot_pairs below); 0 = none */
} MultiqueueState;

typedef struct MultiqueueInput {
        const MultiqueueSample *samples; /* oldest first, time strictly increasing */
        size_t n_samples;                /* 1..MULTIQUEUE_SAMPLES_MAX */
        unsigned vcpus;                  /* the guest's vCPUs, >= 1 */
        unsigned max_pairs;    /* libvirt <driver queues='N'/>, 1 when unset; 1..MULTIQUEUE_PAIRS_MAX */
        unsigned active_pairs; /* observed active pairs, 0 = unknown (macvtap), <= max_pairs */
        MultiqueueState state;
} MultiqueueInput;

/* The figures a window yields. Intervals across a counter reset are gaps: left out of the rates
 * and durations, never negative load. Packet and worker figures have gaps of their own. */
typedef struct MultiqueueLoad {
        uint64_t span_usec;     /* first to last sample */
        uint64_t packet_usec;   /* of it, intervals whose packet and byte counters all went forward */
        uint64_t worker_usec;   /* of it, intervals with the same workers, all CPU times forward */
        unsigned gaps;          /* intervals left out of either (counter resets, workers changed) */
        double packet_rate;     /* packets/s, rx + tx */
        double byte_rate;       /* bytes/s, rx + tx */
        double avg_frame;       /* bytes per packet in the direction carrying more bytes */
        size_t n_workers;       /* workers of the last sample */
        bool has_workers;       /* worker figures are available (worker_usec > 0) */
        double worker_busy_max; /* the busiest worker, 0..1 (a CPU time read late is capped) */
        double worker_busy_sum; /* all workers, in CPUs */
        /* The guest's per-queue figures, from the samples that have them: each interval between two
         * such samples (not necessarily adjacent) with as many queues and every counter forward. */
        uint64_t queue_usec; /* of the guest's read times, the intervals that count */
        unsigned queue_gaps; /* intervals left out (a queue's counter went back, the queue count changed) */
        bool has_queues;     /* per-queue figures are available (queue_usec > 0) */
        size_t n_queues;     /* queue pairs in the last guest figures */
        double queue_rate[MULTIQUEUE_PAIRS_MAX]; /* packets/s of each pair, rx + tx, as the guest counts */
        unsigned queue_busiest;                  /* the pair that carried most packets */
        double queue_busiest_share;              /* its share of the guest's packets, 0..1 */
        unsigned queues_carrying; /* pairs above MULTIQUEUE_QUEUE_CARRYING_SHARE of the packets */
        unsigned served_pairs;    /* pairs carrying the load: active if known, else the recommendation */
        /* the busiest pair, 0..1: worker busy; else the busiest guest queue's packet rate (at most the
         * NIC's) / MultiqueuePacketRatePerPair=; else the packet rate per pair, as if spread evenly */
        double load_peak;
        double load_total; /* all pairs, in pairs at 100%: the sum of busy, else rate / per-pair */
} MultiqueueLoad;

typedef enum MultiqueueRule {
        MULTIQUEUE_RULE_ONE_QUEUE, /* max_pairs <= 1 */
        MULTIQUEUE_RULE_ONE_VCPU,  /* one vCPU: one queue pair */
        MULTIQUEUE_RULE_CLAMP,     /* the recommendation was above min(vCPUs, max): lowered, no hold-down */
        MULTIQUEUE_RULE_NO_DATA,   /* one sample, or every interval a gap: keeps */
        MULTIQUEUE_RULE_IDLE,      /* packet rate under MultiqueueIdlePacketRate=: keeps */
        MULTIQUEUE_RULE_SATURATED, /* a pair over the high mark: ceil(total / high) pairs */
        MULTIQUEUE_RULE_AT_CAP,    /* a pair over the high mark, already min(vCPUs, max) */
        MULTIQUEUE_RULE_HOT_QUEUE, /* a pair over the high mark, but the total fits the pairs served */
        MULTIQUEUE_RULE_LARGE_FRAMES, /* large average frame, total under the high mark: 1 pair */
        MULTIQUEUE_RULE_LOW,          /* every pair under the low mark: ceil(total / middle) pairs */
        MULTIQUEUE_RULE_STEADY,       /* nothing calls for a change: keeps */
        _MULTIQUEUE_RULE_MAX,
        _MULTIQUEUE_RULE_INVALID = -EINVAL,
} MultiqueueRule;

#define MULTIQUEUE_WHY_MAX 96

/* A rule the decision passed over on its way to the one that decided, and why it did not apply. */
typedef struct MultiqueuePassed {
        MultiqueueRule rule;
        char why[MULTIQUEUE_WHY_MAX]; /* "max 4 pairs > 1", "812 packets/s >= 200" */
} MultiqueuePassed;

typedef struct MultiqueueDecision {
        unsigned pairs; /* recommended, 1..min(vCPUs, max) */
        /* What <driver queues> should be at the guest's next boot (MultiqueueApply=next-boot): 'pairs',
         * or more, up to vCPUs, once a saturated load has called for more pairs than max allows (rules
         * at-cap and saturated). Kept until the recommendation goes down, so a load that stops being
         * saturated does not take the raise back; never above vCPUs. Max 1 (multiqueue off) is the
         * operator's choice and is never raised. */
        unsigned boot_pairs;
        MultiqueueRule rule; /* the rule that decided, for vnicctl explain */
        /* The rules checked before it, in order, each with the condition that failed: the rule
         * chain vnicctl explain prints. The three rules of a pair over the high mark (saturated,
         * at-cap, hot-queue) are one step of the chain. */
        MultiqueuePassed passed[_MULTIQUEUE_RULE_MAX];
        size_t n_passed;
        bool changed;          /* 'pairs' differs from the input's recommendation */
        bool held;             /* the rule called for fewer pairs; the hold-down kept 'pairs' */
        unsigned static_one;   /* the static choices to compare with: 1 (multiqueue off) */
        unsigned static_cap;   /* and min(vCPUs, max) (nova, KubeVirt, Linux guests at probe) */
        MultiqueueLoad load;   /* what the rules looked at */
        MultiqueueState state; /* to pass back in the next call's input */
        char reason[MULTIQUEUE_REASON_MAX];
} MultiqueueDecision;

/* Derives the window's figures from 'in' (samples and pairs) under 'c' (NULL: the defaults; only
 * MultiqueuePacketRatePerPair= is used). Worker figures come from the intervals whose two samples
 * have as many workers as the last sample; the guest's queue figures from the intervals between
 * consecutive samples that have them, with as many queues as the last of them. Returns 0, -EINVAL
 * for NULL arguments, no sample, time not increasing or a sample with workers but no CPU times (or
 * queues but no counters), -E2BIG past MULTIQUEUE_SAMPLES_MAX samples, MULTIQUEUE_WORKERS_MAX
 * workers or MULTIQUEUE_PAIRS_MAX queues. 'ret' untouched on failure. */
int multiqueue_load_compute(const MultiqueueInput *in, const MultiqueueConfig *c, MultiqueueLoad *ret);

/* Decides the recommendation for the window in 'in' under 'c' (NULL: the defaults). A NIC without
 * a recommendation yet ('in->state.pairs' 0) starts from its active pairs if known, else from
 * min(vCPUs, max), what a Linux guest enables at probe; that start is not a change. Fills 'ret'
 * (pairs, rule, reason citing the thresholds used, figures, the state for next time) and returns 0;
 * -EINVAL for NULL arguments, vCPUs 0, max pairs 0, active pairs above max, state times after the
 * last sample, or what multiqueue_load_compute() refuses; what multiqueue_config_verify() returns
 * for a bad 'c'; -E2BIG for max pairs or bounds past the MULTIQUEUE_*_MAX. 'ret' untouched on
 * failure. */
int multiqueue_decide(const MultiqueueInput *in, const MultiqueueConfig *c, MultiqueueDecision *ret);

const char *multiqueue_rule_to_string(MultiqueueRule r);
