/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "multiqueue.h"

#define SEC(x)      ((uint64_t) (x) *USEC_PER_SEC)
#define T0          SEC(1000) /* the first sample of every generated window */
#define GEN_WORKERS 8
#define WINDOW_MAX  64

/* A steady load over 'seconds' one-second intervals (0: a single sample). */
typedef struct Load {
        unsigned seconds;
        uint64_t rx_pps, tx_pps; /* tap rx = from the guest, tx = to the guest */
        uint64_t rx_frame, tx_frame;
        size_t n_workers;
        double busy[GEN_WORKERS];  /* percent of each worker */
        size_t n_queues;           /* the guest's per-queue figures (MultiqueueGuestStats=); 0: none */
        double share[GEN_WORKERS]; /* percent of the packets on each queue pair */
} Load;

/* Cumulative counters carried from one window to the next, so sequences stay continuous. */
typedef struct Gen {
        uint64_t t_usec;
        uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
        uint64_t cpu[GEN_WORKERS];
        uint64_t queue[GEN_WORKERS];
} Gen;

typedef struct Window {
        MultiqueueSample samples[WINDOW_MAX];
        uint64_t cpu[WINDOW_MAX][GEN_WORKERS];
        uint64_t queue[WINDOW_MAX][GEN_WORKERS];
        size_t n;
} Window;

static Gen gen_new(void) {
        /* Counters far from 0, as on a host that has been up for a while. */
        return (Gen){.t_usec = T0,
                        .rx_packets = 1000000,
                        .tx_packets = 2000000,
                        .rx_bytes = 5000000000,
                        .tx_bytes = 7000000000,
                        .cpu = {SEC(30), SEC(20), SEC(10), SEC(5)},
                        .queue = {400000, 300000, 200000, 100000}};
}

static void gen_push(Gen *g, size_t n_workers, size_t n_queues, Window *w) {
        assert_true(w->n < WINDOW_MAX);
        memcpy(w->cpu[w->n], g->cpu, sizeof(g->cpu));
        memcpy(w->queue[w->n], g->queue, sizeof(g->queue));
        w->samples[w->n] = (MultiqueueSample){
                        .time_usec = g->t_usec,
                        .rx_packets = g->rx_packets,
                        .tx_packets = g->tx_packets,
                        .rx_bytes = g->rx_bytes,
                        .tx_bytes = g->tx_bytes,
                        .n_workers = n_workers,
                        .worker_cpu_usec = w->cpu[w->n],
                        .n_queues = n_queues,
                        .queue_packets = w->queue[w->n],
                        .queue_time_usec = g->t_usec,
        };
        w->n++;
}

/* Fills 'w' with 'l', starting at the generator's current sample (shared with the previous window). */
static void gen_window(Gen *g, const Load *l, Window *w) {
        w->n = 0;
        gen_push(g, l->n_workers, l->n_queues, w);
        for (unsigned i = 0; i < l->seconds; i++) {
                g->t_usec += USEC_PER_SEC;
                g->rx_packets += l->rx_pps;
                g->tx_packets += l->tx_pps;
                g->rx_bytes += l->rx_pps * l->rx_frame;
                g->tx_bytes += l->tx_pps * l->tx_frame;
                for (size_t k = 0; k < l->n_workers; k++)
                        g->cpu[k] += (uint64_t) (l->busy[k] * USEC_PER_SEC / 100);
                for (size_t k = 0; k < l->n_queues; k++)
                        g->queue[k] += (uint64_t) (l->share[k] * (double) (l->rx_pps + l->tx_pps) / 100);
                gen_push(g, l->n_workers, l->n_queues, w);
        }
}

/* Small frames both ways: many flows of short messages. */
#define SMALL(pps) .rx_pps = (pps) / 2, .tx_pps = (pps) / 2, .rx_frame = 300, .tx_frame = 300
/* One bulk TCP stream to the guest: 60 KB super-frames, ACKs back. */
#define BULK_TX(pps)   .rx_pps = (pps) / 2, .tx_pps = (pps), .rx_frame = 66, .tx_frame = 60000
#define BULK_RX(pps)   .rx_pps = (pps), .tx_pps = (pps) / 2, .rx_frame = 60000, .tx_frame = 66
#define W4(a, b, c, d) .n_workers = 4, .busy = {a, b, c, d}
/* The guest's view of how the packets are spread over its queue pairs, in percent. */
#define Q4(a, b, c, d) .n_queues = 4, .share = {a, b, c, d}

typedef struct Case {
        const char *name;
        Load load;
        unsigned vcpus, max, active;
        MultiqueueState state;
        const char *set; /* vnicd.conf thresholds changed from the defaults, "Key=value ..."; NULL: none */
        unsigned pairs;
        MultiqueueRule rule;
        bool changed, held;
        const char *reason; /* substring */
        int64_t down_since; /* the new state's, in usec; -1: not checked */
} Case;

#define NARROW_BAND     "MultiqueueWorkerBusyHighPercent=60 MultiqueueWorkerBusyLowPercent=30"
#define NO_LARGE_FRAMES "MultiqueueLargeFrameBytes=0"

static const Case cases[] = {
                /* The limits. */
                {"max=1", {10, SMALL(900000), W4(95, 0, 0, 0)}, 4, 1, 1, {}, NULL, 1,
                                MULTIQUEUE_RULE_ONE_QUEUE, false, false, "the NIC has one queue pair", 0},
                {"max=1 after a larger recommendation", {10, SMALL(900000), W4(95, 0, 0, 0)}, 4, 1, 0,
                                {.pairs = 4, .changed_usec = T0}, NULL, 1, MULTIQUEUE_RULE_ONE_QUEUE, true,
                                false, "the NIC has one queue pair", 0},
                {"vCPUs=1", {10, SMALL(900000), W4(95, 0, 0, 0)}, 1, 4, 0, {.pairs = 4}, NULL, 1,
                                MULTIQUEUE_RULE_ONE_VCPU, true, false,
                                "the guest has one vCPU: min(vCPUs 1, max 4) = 1", 0},
                {"clamped after vCPUs went away", {10, SMALL(900000), W4(40, 40, 0, 0)}, 2, 4, 0,
                                {.pairs = 4, .changed_usec = T0 + SEC(5)}, NULL, 2, MULTIQUEUE_RULE_CLAMP,
                                true, false, "clamped to min(vCPUs 2, max 4) = 2: 4 is above it", 0},
                {"first decision starts at min(vCPUs, max)", {0}, 8, 4, 0, {}, NULL, 4,
                                MULTIQUEUE_RULE_NO_DATA, false, false,
                                "no load figures yet (1 sample): keeps 4", 0},
                {"first decision starts at the active pairs", {10, .rx_pps = 20, .tx_pps = 20}, 8, 4, 2, {},
                                NULL, 2, MULTIQUEUE_RULE_IDLE, false, false,
                                "idle: keeps 2 (40 packets/s < 200)", 0},
                {"active pairs above the cap start at the cap", {0}, 2, 4, 4, {}, NULL, 2,
                                MULTIQUEUE_RULE_NO_DATA, false, false, "keeps 2", 0},

                /* Idle. */
                {"idle keeps", {10, SMALL(150), W4(1, 0, 0, 0)}, 4, 4, 4, {.pairs = 4}, NULL, 4,
                                MULTIQUEUE_RULE_IDLE, false, false, "idle: keeps 4", 0},
                {"idle keeps one pair", {10, SMALL(150), W4(1, 0, 0, 0)}, 4, 4, 1, {.pairs = 1}, NULL, 1,
                                MULTIQUEUE_RULE_IDLE, false, false, "idle: keeps 1", 0},
                {"idle ends a streak of low load", {10, SMALL(150), W4(1, 0, 0, 0)}, 4, 4, 4,
                                {.pairs = 4, .down_since_usec = T0 - SEC(50)}, NULL, 4, MULTIQUEUE_RULE_IDLE,
                                false, false, "idle", 0},

                /* Saturation. */
                {"saturated worker", {10, SMALL(600000), W4(92, 0, 0, 0)}, 4, 4, 1, {.pairs = 1}, NULL, 2,
                                MULTIQUEUE_RULE_SATURATED, true, false,
                                "worker busy 92% > 75% on 1 pair: 2 pairs bring it to ~46%", 0},
                {"saturation sized by the total", {10, SMALL(900000), .n_workers = 8, .busy = {95, 90}}, 8,
                                8, 2, {.pairs = 2}, NULL, 3, MULTIQUEUE_RULE_SATURATED, true, false,
                                "worker busy 95% > 75% on 2 pairs: 3 pairs bring it to ~62%", 0},
                {"saturation clamped to vCPUs", {10, SMALL(900000), W4(100, 80, 0, 0)}, 2, 4, 0,
                                {.pairs = 1}, NULL, 2, MULTIQUEUE_RULE_SATURATED, true, false,
                                "2 pairs bring it to ~90% (3 needed, min(vCPUs 2, max 4) = 2)", 0},
                {"saturation clamped to max", {10, SMALL(900000), W4(100, 100, 100, 20)}, 8, 4, 3,
                                {.pairs = 3}, NULL, 4, MULTIQUEUE_RULE_SATURATED, true, false,
                                "4 pairs bring it to ~80% (5 needed, min(vCPUs 8, max 4) = 4)", 0},
                {"saturated at the cap", {10, SMALL(900000), W4(90, 85, 80, 80)}, 4, 4, 4, {.pairs = 4},
                                NULL, 4, MULTIQUEUE_RULE_AT_CAP, false, false,
                                "worker busy 90% > 75% on 4 pairs, already min(vCPUs 4, max 4): keeps 4", 0},
                {"one hot queue", {10, SMALL(600000), W4(90, 5, 5, 5)}, 4, 4, 4, {.pairs = 4}, NULL, 4,
                                MULTIQUEUE_RULE_HOT_QUEUE, false, false,
                                "worker busy 90% > 75% on one of 4 pairs, but they carry the total (105% of "
                                "one pair) at ~26% each if spread evenly",
                                0},
                {"recommended already, the guest has not followed", {10, SMALL(600000), W4(92, 0, 0, 0)}, 4,
                                4, 1, {.pairs = 2, .changed_usec = T0}, NULL, 2, MULTIQUEUE_RULE_SATURATED,
                                false, false, "keeps 2 (the guest runs 1)", 0},
                {"saturation goes up within the hold-down", {10, SMALL(600000), W4(92, 0, 0, 0)}, 4, 4, 1,
                                {.pairs = 1, .changed_usec = T0 - SEC(5)}, NULL, 2,
                                MULTIQUEUE_RULE_SATURATED, true, false, "2 pairs bring it to ~46%", 0},
                {"saturation ends a streak of low load", {10, SMALL(600000), W4(92, 0, 0, 0)}, 4, 4, 1,
                                {.pairs = 1, .down_since_usec = T0 - SEC(30)}, NULL, 2,
                                MULTIQUEUE_RULE_SATURATED, true, false, "2 pairs", 0},

                /* Without vhost workers: the packet rate per pair. */
                {"no vhost: packet rate per pair saturated", {10, SMALL(400000)}, 4, 4, 1, {.pairs = 1},
                                NULL, 3, MULTIQUEUE_RULE_SATURATED, true, false,
                                "packet rate per pair 400000/s (160% of 250000) > 75% on 1 pair: 3 pairs "
                                "bring it to ~53%",
                                0},
                {"no vhost, active unknown: the recommendation serves", {10, SMALL(400000)}, 4, 4, 0,
                                {.pairs = 2}, NULL, 3, MULTIQUEUE_RULE_SATURATED, true, false,
                                "packet rate per pair 200000/s (80% of 250000) > 75% on 2 pairs", 0},
                {"no vhost: low", {10, SMALL(100000)}, 4, 4, 4, {.pairs = 4}, NULL, 4, MULTIQUEUE_RULE_LOW,
                                false, true,
                                "packet rate per pair 25000/s (10% of 250000) < 25% on every pair", T0},
                {"no vhost: steady", {10, SMALL(200000)}, 4, 4, 2, {.pairs = 2}, NULL, 2,
                                MULTIQUEUE_RULE_STEADY, false, false,
                                "(40% of 250000) between 25% and 75% on 2 pairs: keeps 2", 0},

                /* Large frames. */
                {"large frames to the guest, held", {10, BULK_TX(20000), W4(40, 2, 1, 1)}, 4, 4, 4,
                                {.pairs = 4}, NULL, 4, MULTIQUEUE_RULE_LARGE_FRAMES, false, true,
                                "average frame 60000 bytes >= 16384, 44% of one pair in all: few "
                                "large-segment streams batch better on one queue; for 10 s of 60 s: keeps 4",
                                T0},
                {"large frames to the guest, after the hold-down", {10, BULK_TX(20000), W4(40, 2, 1, 1)}, 4,
                                4, 4, {.pairs = 4, .down_since_usec = T0 - SEC(50)}, NULL, 1,
                                MULTIQUEUE_RULE_LARGE_FRAMES, true, false, "one queue: 1 pair", 0},
                {"large frames from the guest", {10, BULK_RX(20000), W4(40, 2, 1, 1)}, 4, 4, 4,
                                {.pairs = 4, .down_since_usec = T0 - SEC(50)}, NULL, 1,
                                MULTIQUEUE_RULE_LARGE_FRAMES, true, false, "average frame 60000 bytes", 0},
                {"large frames on one pair keep it", {10, BULK_TX(20000), W4(40, 0, 0, 0)}, 4, 4, 1,
                                {.pairs = 1}, NULL, 1, MULTIQUEUE_RULE_LARGE_FRAMES, false, false,
                                "one queue: keeps 1", 0},
                {"large frames, more than one worker's load", {10, BULK_TX(80000), W4(70, 70, 70, 70)}, 4, 4,
                                4, {.pairs = 4}, NULL, 4, MULTIQUEUE_RULE_STEADY, false, false,
                                "worker busy 70% between 25% and 75% on 4 pairs: keeps 4", 0},
                {"large frames, rule off", {10, BULK_TX(20000), W4(40, 2, 1, 1)}, 4, 4, 4, {.pairs = 4},
                                NO_LARGE_FRAMES, 4, MULTIQUEUE_RULE_STEADY, false, false, "worker busy 40%",
                                0},
                {"MTU-sized frames are not large",
                                {10, .rx_pps = 100000, .tx_pps = 100000, .rx_frame = 9000, .tx_frame = 9000,
                                                W4(40, 2, 1, 1)},
                                4, 4, 4, {.pairs = 4}, NULL, 4, MULTIQUEUE_RULE_STEADY, false, false,
                                "worker busy 40%", 0},

                /* Low load and the hold-down. */
                {"low, held until the streak is long enough", {10, SMALL(100000), W4(10, 10, 10, 10)}, 4, 4,
                                4, {.pairs = 4}, NULL, 4, MULTIQUEUE_RULE_LOW, false, true,
                                "worker busy 10% < 25% on every pair: 1 pair at ~40%; for 10 s of 60 s: "
                                "keeps 4",
                                T0},
                {"low, a streak under way", {10, SMALL(100000), W4(10, 10, 10, 10)}, 4, 4, 4,
                                {.pairs = 4, .down_since_usec = T0 - SEC(40)}, NULL, 4, MULTIQUEUE_RULE_LOW,
                                false, true, "for 50 s of 60 s: keeps 4", T0 - SEC(40)},
                {"low for the hold-down", {10, SMALL(100000), W4(10, 10, 10, 10)}, 4, 4, 4,
                                {.pairs = 4, .down_since_usec = T0 - SEC(50)}, NULL, 1, MULTIQUEUE_RULE_LOW,
                                true, false, "worker busy 10% < 25% on every pair: 1 pair at ~40%", 0},
                {"low for a whole window as long as the hold-down", {60, SMALL(100000), W4(10, 10, 10, 10)},
                                4, 4, 4, {.pairs = 4}, NULL, 1, MULTIQUEUE_RULE_LOW, true, false,
                                "1 pair at ~40%", 0},
                {"low, changed too recently", {10, SMALL(100000), W4(10, 10, 10, 10)}, 4, 4, 4,
                                {.pairs = 4, .changed_usec = T0 - SEC(20), .down_since_usec = T0 - SEC(200)},
                                NULL, 4, MULTIQUEUE_RULE_LOW, false, true,
                                "changed 30 s ago, hold-down 60 s: keeps 4", T0 - SEC(200)},
                {"low, hold-down expired", {10, SMALL(100000), W4(10, 10, 10, 10)}, 4, 4, 4,
                                {.pairs = 4, .changed_usec = T0 - SEC(51), .down_since_usec = T0 - SEC(200)},
                                NULL, 1, MULTIQUEUE_RULE_LOW, true, false, "1 pair at ~40%", 0},
                {"low sized to the middle of the band", {10, SMALL(400000), W4(24, 24, 24, 24)}, 4, 4, 4,
                                {.pairs = 4, .down_since_usec = T0 - SEC(50)}, NULL, 2, MULTIQUEUE_RULE_LOW,
                                true, false, "worker busy 24% < 25% on every pair: 2 pairs at ~48%", 0},
                {"low on one pair keeps it", {10, SMALL(100000), W4(10, 0, 0, 0)}, 4, 4, 1, {.pairs = 1},
                                NULL, 1, MULTIQUEUE_RULE_STEADY, false, false,
                                "worker busy 10% < 25% on 1 pair: keeps 1", 0},
                {"low, but fewer pairs would be too busy", {10, SMALL(100000), W4(28, 28, 0, 0)}, 4, 4, 2,
                                {.pairs = 2, .down_since_usec = T0 - SEC(50)}, NARROW_BAND, 2,
                                MULTIQUEUE_RULE_STEADY, false, false,
                                "worker busy 28% < 30% on every pair, but 1 pair would carry ~56%: keeps 2",
                                0},
                {"steady ends a streak", {10, SMALL(300000), W4(46, 46, 0, 0)}, 4, 4, 2,
                                {.pairs = 2, .down_since_usec = T0 - SEC(50)}, NULL, 2,
                                MULTIQUEUE_RULE_STEADY, false, false,
                                "worker busy 46% between 25% and 75% on 2 pairs: keeps 2", 0},
                {"a worker read late is capped at 100%", {10, SMALL(900000), W4(104, 0, 0, 0)}, 4, 4, 1,
                                {.pairs = 1}, NULL, 2, MULTIQUEUE_RULE_SATURATED, true, false,
                                "worker busy 100% > 75% on 1 pair: 2 pairs bring it to ~50%", 0},

                /* Without vhost workers (userspace virtio, vhost=off), the guest's own per-queue counters
                 * show a hot queue that the even spread hides: 400000 packets/s on 4 pairs is 40% of
                 * a pair each if spread evenly, but 91% of it on queue 0 is 146% of one pair. */
                {"no workers, no guest figures: 400000/s spread evenly over 4 pairs", {10, SMALL(400000)}, 4,
                                4, 4, {.pairs = 4}, NULL, 4, MULTIQUEUE_RULE_STEADY, false, false,
                                "packet rate per pair 100000/s (40% of 250000) between 25% and 75% on 4 "
                                "pairs: keeps 4",
                                0},
                {"no workers, the guest's queues spread evenly", {10, SMALL(400000), Q4(25, 25, 25, 25)}, 4,
                                4, 4, {.pairs = 4}, NULL, 4, MULTIQUEUE_RULE_STEADY, false, false,
                                "busiest guest queue 0 carries 25% of packets, 100000/s (40% of 250000) "
                                "between 25% and 75% on 4 pairs: keeps 4",
                                0},
                {"no workers, the guest's queue 2 carries 91%", {10, SMALL(400000), Q4(3, 3, 91, 3)}, 4, 4,
                                4, {.pairs = 4}, NULL, 4, MULTIQUEUE_RULE_HOT_QUEUE, false, false,
                                "busiest guest queue 2 carries 91% of packets, 364000/s (146% of 250000) > "
                                "75% on one of 4 pairs: few flows, which stay on one queue whatever the "
                                "pairs; the rest (14% of one pair) fits the other 3",
                                0},
                /* 600000/s on 2 pairs: spread evenly, 120% of a pair each, 4 pairs; but 95% of it on
                 * one guest queue is few flows, which 4 pairs would not split: the rest (12% of a
                 * pair) fits the other pair. */
                {"no workers, 2 pairs, the guest's queue 0 carries 95%: few flows, no more pairs",
                                {10, SMALL(600000), .n_queues = 2, .share = {95, 5}}, 4, 4, 2, {.pairs = 2},
                                NULL, 2, MULTIQUEUE_RULE_HOT_QUEUE, false, false,
                                "busiest guest queue 0 carries 95% of packets, 570000/s (228% of 250000) > "
                                "75% "
                                "on one of 2 pairs: few flows",
                                0},
                {"no workers, 2 pairs, the same load spread evenly: 4 pairs",
                                {10, SMALL(600000), .n_queues = 2, .share = {50, 50}}, 4, 4, 2, {.pairs = 2},
                                NULL, 4, MULTIQUEUE_RULE_SATURATED, true, false,
                                "on 2 pairs: 4 pairs bring it to ~60%", 0},
                /* The hot queue and more besides: its pair, and pairs for the rest. */
                {"no workers, 2 pairs, one hot queue and a busy rest",
                                {10, SMALL(800000), .n_queues = 2, .share = {76, 24}}, 4, 4, 2, {.pairs = 2},
                                NULL, 3, MULTIQUEUE_RULE_SATURATED, true, false,
                                "3 pairs, one for the busiest queue's flows (more pairs cannot split them) "
                                "and 2 for the rest (77% of one pair)",
                                0},
                {"no workers, the guest's 2 pairs both busy: more pairs",
                                {10, SMALL(400000), Q4(50, 50, 0, 0)}, 4, 4, 2, {.pairs = 2}, NULL, 3,
                                MULTIQUEUE_RULE_SATURATED, true, false,
                                "busiest guest queue 0 carries 50% of packets, 200000/s (80% of 250000) > "
                                "75% "
                                "on 2 pairs: 3 pairs bring it to ~53%",
                                0},

                /* Each threshold changed from its default changes a decision above, and the reason
                 * cites the figure used. */
                {"MultiqueueIdlePacketRate= lower: 150 packets/s is load", {10, SMALL(150), W4(1, 0, 0, 0)},
                                4, 4, 4, {.pairs = 4}, "MultiqueueIdlePacketRate=100", 4,
                                MULTIQUEUE_RULE_LOW, false, true, "worker busy 1% < 25% on every pair", T0},
                {"MultiqueueIdlePacketRate= higher: 30000 packets/s is idle",
                                {10, SMALL(30000), W4(1, 0, 0, 0)}, 4, 4, 4, {.pairs = 4},
                                "MultiqueueIdlePacketRate=50000", 4, MULTIQUEUE_RULE_IDLE, false, false,
                                "idle: keeps 4 (30000 packets/s < 50000)", 0},
                {"MultiqueueWorkerBusyHighPercent= higher: 92% is not saturated",
                                {10, SMALL(600000), W4(92, 0, 0, 0)}, 4, 4, 1, {.pairs = 1},
                                "MultiqueueWorkerBusyHighPercent=95", 1, MULTIQUEUE_RULE_STEADY, false,
                                false, "worker busy 92% between 25% and 95% on 1 pair: keeps 1", 0},
                {"MultiqueueWorkerBusyHighPercent= lower: 60% is saturated",
                                {10, SMALL(600000), W4(60, 0, 0, 0)}, 4, 4, 1, {.pairs = 1},
                                "MultiqueueWorkerBusyHighPercent=50", 2, MULTIQUEUE_RULE_SATURATED, true,
                                false, "worker busy 60% > 50% on 1 pair: 2 pairs bring it to ~30%", 0},
                {"MultiqueueWorkerBusyLowPercent= higher: 30% is low", {10, SMALL(300000), W4(30, 30, 0, 0)},
                                4, 4, 2, {.pairs = 2, .down_since_usec = T0 - SEC(50)},
                                "MultiqueueWorkerBusyHighPercent=100 MultiqueueWorkerBusyLowPercent=50", 1,
                                MULTIQUEUE_RULE_LOW, true, false,
                                "worker busy 30% < 50% on every pair: 1 pair at ~60%", 0},
                {"MultiqueueWorkerBusyLowPercent= lower: 10% is not low",
                                {10, SMALL(100000), W4(10, 10, 10, 10)}, 4, 4, 4,
                                {.pairs = 4, .down_since_usec = T0 - SEC(50)},
                                "MultiqueueWorkerBusyLowPercent=5", 4, MULTIQUEUE_RULE_STEADY, false, false,
                                "worker busy 10% between 5% and 75% on 4 pairs: keeps 4", 0},
                {"MultiqueueLargeFrameBytes= above the frames", {10, BULK_TX(20000), W4(40, 2, 1, 1)}, 4, 4,
                                4, {.pairs = 4, .down_since_usec = T0 - SEC(50)},
                                "MultiqueueLargeFrameBytes=65536", 4, MULTIQUEUE_RULE_STEADY, false, false,
                                "worker busy 40% between 25% and 75% on 4 pairs: keeps 4", 0},
                {"MultiqueueLargeFrameBytes= down to jumbo frames",
                                {10, .rx_pps = 100000, .tx_pps = 100000, .rx_frame = 9000, .tx_frame = 9000,
                                                W4(40, 2, 1, 1)},
                                4, 4, 4, {.pairs = 4, .down_since_usec = T0 - SEC(50)},
                                "MultiqueueLargeFrameBytes=9000", 1, MULTIQUEUE_RULE_LARGE_FRAMES, true,
                                false, "average frame 9000 bytes >= 9000", 0},
                {"MultiqueuePacketRatePerPair= lower: 100000/s per pair is saturated", {10, SMALL(200000)},
                                4, 4, 2, {.pairs = 2}, "MultiqueuePacketRatePerPair=100000", 3,
                                MULTIQUEUE_RULE_SATURATED, true, false,
                                "packet rate per pair 100000/s (100% of 100000) > 75% on 2 pairs: 3 pairs "
                                "bring it to ~67%",
                                0},
                {"MultiqueuePacketRatePerPair= higher: 400000/s on one pair is steady", {10, SMALL(400000)},
                                4, 4, 1, {.pairs = 1}, "MultiqueuePacketRatePerPair=1000000", 1,
                                MULTIQUEUE_RULE_STEADY, false, false,
                                "packet rate per pair 400000/s (40% of 1000000) between 25% and 75% on 1 "
                                "pair",
                                0},
                {"MultiqueueHoldDownSec= shorter: 50 s of low load is enough",
                                {10, SMALL(100000), W4(10, 10, 10, 10)}, 4, 4, 4,
                                {.pairs = 4, .down_since_usec = T0 - SEC(40)}, "MultiqueueHoldDownSec=30", 1,
                                MULTIQUEUE_RULE_LOW, true, false, "1 pair at ~40%", 0},
                {"MultiqueueHoldDownSec= longer: 60 s of low load is not",
                                {10, SMALL(100000), W4(10, 10, 10, 10)}, 4, 4, 4,
                                {.pairs = 4, .down_since_usec = T0 - SEC(50)}, "MultiqueueHoldDownSec=120",
                                4, MULTIQUEUE_RULE_LOW, false, true, "for 60 s of 120 s: keeps 4",
                                T0 - SEC(50)},
                {"MultiqueueHoldDownSec=0: at once", {10, SMALL(100000), W4(10, 10, 10, 10)}, 4, 4, 4,
                                {.pairs = 4, .changed_usec = T0 + SEC(9)}, "MultiqueueHoldDownSec=0", 1,
                                MULTIQUEUE_RULE_LOW, true, false, "1 pair at ~40%", 0},
};

/* The defaults with the case's "Key=value ..." applied by vnicd.conf's own parser. */
static MultiqueueConfig case_config(const Case *c) {
        _cleanup_free_ char *copy = NULL;
        MultiqueueConfig mq = multiqueue_config_defaults();
        char *save = NULL;

        if (!c->set)
                return mq;
        copy = strdup(c->set);
        assert_non_null(copy);
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
                assert_int_equal(config_set_multiqueue(&mq, w, c->name, NULL), 0);
        assert_int_equal(multiqueue_config_verify(&mq, NULL), 0);
        return mq;
}

/* The rule chain: the rules passed over come in the policy's order, each with why, and how many
 * there are follows from the rule that decided (the three rules of a pair over the high mark are
 * one step). */
static void check_chain(const MultiqueueDecision *d) {
        static const size_t before[_MULTIQUEUE_RULE_MAX] = {
                        [MULTIQUEUE_RULE_ONE_QUEUE] = 0,
                        [MULTIQUEUE_RULE_ONE_VCPU] = 1,
                        [MULTIQUEUE_RULE_CLAMP] = 2,
                        [MULTIQUEUE_RULE_NO_DATA] = 3,
                        [MULTIQUEUE_RULE_IDLE] = 4,
                        [MULTIQUEUE_RULE_SATURATED] = 5,
                        [MULTIQUEUE_RULE_AT_CAP] = 5,
                        [MULTIQUEUE_RULE_HOT_QUEUE] = 5,
                        [MULTIQUEUE_RULE_LARGE_FRAMES] = 6,
                        [MULTIQUEUE_RULE_LOW] = 7,
                        [MULTIQUEUE_RULE_STEADY] = 8,
        };

        assert_int_equal(d->n_passed, before[d->rule]);
        for (size_t i = 0; i < d->n_passed; i++) {
                print_message("      passed over %s: %s\n", multiqueue_rule_to_string(d->passed[i].rule),
                                d->passed[i].why);
                assert_true(d->passed[i].rule < d->rule);
                assert_true(i == 0 || d->passed[i - 1].rule < d->passed[i].rule);
                assert_true(d->passed[i].rule != MULTIQUEUE_RULE_AT_CAP &&
                                d->passed[i].rule != MULTIQUEUE_RULE_HOT_QUEUE);
                assert_true(d->passed[i].why[0] != 0);
        }
}

/* What explain prints for a steady NIC: every rule it passed over, with the figures and thresholds. */
static void test_chain_text(void **state) {
        const Load load = {10, SMALL(200000)};
        MultiqueueDecision d;
        Gen g = gen_new();
        Window w;
        static const char *const want[] = {
                        "max 4 pairs > 1",
                        "4 vCPUs > 1",
                        "2 <= min(vCPUs 4, max 4) = 4",
                        "load figures over 10.0 s of 11 samples",
                        "200000 packets/s >= 200",
                        "busiest pair 40% <= 75%",
                        "average frame 300 bytes < 16384",
                        "busiest pair 40% >= 25%",
        };

        gen_window(&g, &load, &w);
        assert_int_equal(multiqueue_decide(&(MultiqueueInput){.samples = w.samples,
                                                           .n_samples = w.n,
                                                           .vcpus = 4,
                                                           .max_pairs = 4,
                                                           .active_pairs = 2},
                                         NULL, &d),
                        0);
        assert_int_equal(d.rule, MULTIQUEUE_RULE_STEADY);
        assert_int_equal(d.n_passed, ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                assert_string_equal(d.passed[i].why, want[i]);
        assert_int_equal(d.passed[5].rule, MULTIQUEUE_RULE_SATURATED);
}

static void test_cases(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const Case *c = &cases[i];
                MultiqueueConfig mq = case_config(c);
                MultiqueueDecision d, d_default;
                MultiqueueInput in;
                Gen g = gen_new();
                Window w;

                print_message("case: %s\n", c->name);
                gen_window(&g, &c->load, &w);
                in = (MultiqueueInput){
                                .samples = w.samples,
                                .n_samples = w.n,
                                .vcpus = c->vcpus,
                                .max_pairs = c->max,
                                .active_pairs = c->active,
                                .state = c->state,
                };
                assert_int_equal(multiqueue_decide(&in, &mq, &d), 0);
                print_message("      %s: %u, %s\n", multiqueue_rule_to_string(d.rule), d.pairs, d.reason);
                assert_int_equal(d.pairs, c->pairs);
                assert_int_equal(d.rule, c->rule);
                assert_int_equal(d.changed, c->changed);
                assert_int_equal(d.held, c->held);
                assert_non_null(strstr(d.reason, c->reason));
                check_chain(&d);
                assert_int_equal(d.static_one, 1);
                assert_int_equal(d.static_cap, MIN(c->vcpus, c->max));
                assert_int_equal(d.state.pairs, d.pairs);
                assert_int_equal(d.state.down_since_usec, (uint64_t) c->down_since);
                if (d.changed)
                        assert_int_equal(d.state.changed_usec, w.samples[w.n - 1].time_usec);
                else
                        assert_int_equal(d.state.changed_usec, c->state.changed_usec);

                /* A changed threshold matters: the defaults decide the same window otherwise. */
                if (!c->set)
                        continue;
                assert_int_equal(multiqueue_decide(&in, NULL, &d_default), 0);
                print_message("      by default %s: %u, %s\n", multiqueue_rule_to_string(d_default.rule),
                                d_default.pairs, d_default.reason);
                assert_true(d_default.pairs != d.pairs || d_default.rule != d.rule ||
                                d_default.held != d.held || !streq(d_default.reason, d.reason));
        }
}

static int decide(const MultiqueueSample *s, size_t n, unsigned vcpus, unsigned max, MultiqueueState st,
                MultiqueueDecision *ret) {
        return multiqueue_decide(&(MultiqueueInput){.samples = s,
                                                 .n_samples = n,
                                                 .vcpus = vcpus,
                                                 .max_pairs = max,
                                                 .state = st},
                        NULL, ret);
}

static void test_figures(void **state) {
        MultiqueueLoad l;
        Gen g = gen_new();
        Window w;

        /* 10 s of a bulk stream to the guest: the ACKs do not dilute the average frame. */
        gen_window(&g, &(Load){10, BULK_TX(20000), W4(40, 2, 1, 1)}, &w);
        assert_int_equal(multiqueue_load_compute(&(MultiqueueInput){.samples = w.samples,
                                                                 .n_samples = w.n,
                                                                 .vcpus = 4,
                                                                 .max_pairs = 4},
                                         NULL, &l),
                        0);
        assert_int_equal(l.span_usec, SEC(10));
        assert_int_equal(l.packet_usec, SEC(10));
        assert_int_equal(l.worker_usec, SEC(10));
        assert_int_equal(l.gaps, 0);
        assert_int_equal(l.n_workers, 4);
        assert_true(l.has_workers);
        assert_float_equal(l.packet_rate, 30000, 1e-6);
        assert_float_equal(l.byte_rate, 20000.0 * 60000 + 10000.0 * 66, 1e-3);
        assert_float_equal(l.avg_frame, 60000, 1e-6);
        assert_float_equal(l.worker_busy_max, 0.40, 1e-9);
        assert_float_equal(l.worker_busy_sum, 0.44, 1e-9);
        assert_int_equal(l.served_pairs, 4);
}

static void test_counter_reset(void **state) {
        uint64_t cpu[4][1] = {{0}, {500000}, {1500000}, {2500000}};
        MultiqueueSample s[4] = {
                        {SEC(10), 1000, 1000, 100000, 100000, 1, cpu[0]},
                        {SEC(11), 101000, 101000, 30100000, 30100000, 1, cpu[1]},
                        /* the tap was recreated: its counters start again */
                        {SEC(12), 50, 50, 5000, 5000, 1, cpu[2]},
                        {SEC(13), 100050, 100050, 30005000, 30005000, 1, cpu[3]},
        };
        MultiqueueDecision d;

        assert_int_equal(decide(s, 4, 4, 4, (MultiqueueState){.pairs = 1}, &d), 0);
        assert_int_equal(d.load.gaps, 1);
        assert_int_equal(d.load.packet_usec, SEC(2));
        assert_int_equal(d.load.worker_usec, SEC(3)); /* the worker did not restart */
        assert_float_equal(d.load.packet_rate, 200000, 1e-6);
        assert_float_equal(d.load.avg_frame, 300, 1e-6);
        assert_float_equal(d.load.worker_busy_max, 2.5 / 3, 1e-9);
        assert_int_equal(d.rule, MULTIQUEUE_RULE_SATURATED);
        assert_int_equal(d.pairs, 2);

        /* Only resets: no figures at all. */
        s[1].rx_packets = 10;
        s[3].tx_bytes = 0;
        assert_int_equal(decide(s, 4, 4, 4, (MultiqueueState){.pairs = 3}, &d), 0);
        assert_int_equal(d.load.gaps, 3);
        assert_int_equal(d.load.packet_usec, 0);
        assert_int_equal(d.rule, MULTIQUEUE_RULE_NO_DATA);
        assert_int_equal(d.pairs, 3);
        assert_non_null(strstr(d.reason, "(every interval crossed a counter reset): keeps 3"));
}

static void test_worker_changes(void **state) {
        uint64_t cpu[4][2] = {{0, 0}, {900000, 0}, {100, 100}, {300100, 300100}};
        MultiqueueSample s[4] = {
                        {SEC(10), 0, 0, 0, 0, 2, cpu[0]},
                        {SEC(11), 100000, 100000, 30000000, 30000000, 2, cpu[1]},
                        /* the workers were restarted (QEMU reconnected vhost): their times start again */
                        {SEC(12), 200000, 200000, 60000000, 60000000, 2, cpu[2]},
                        {SEC(13), 300000, 300000, 90000000, 90000000, 2, cpu[3]},
        };
        MultiqueueDecision d;

        assert_int_equal(decide(s, 4, 4, 4, (MultiqueueState){.pairs = 2}, &d), 0);
        assert_int_equal(d.load.gaps, 1);
        assert_int_equal(d.load.packet_usec, SEC(3));
        assert_int_equal(d.load.worker_usec, SEC(2));
        assert_float_equal(d.load.worker_busy_max, 0.6, 1e-9);
        assert_int_equal(d.rule, MULTIQUEUE_RULE_STEADY);

        /* A worker appeared: only the intervals with the last sample's two workers count. */
        s[0].n_workers = 1;
        s[1].n_workers = 1;
        assert_int_equal(decide(s, 4, 4, 4, (MultiqueueState){.pairs = 2}, &d), 0);
        assert_int_equal(d.load.worker_usec, SEC(1));
        assert_float_equal(d.load.worker_busy_max, 0.3, 1e-9);

        /* No interval with the last sample's workers: the packet rate decides. */
        s[3].n_workers = 0;
        assert_int_equal(decide(s, 4, 4, 4, (MultiqueueState){.pairs = 2}, &d), 0);
        assert_false(d.load.has_workers);
        assert_float_equal(d.load.load_total, 200000.0 / 250000, 1e-9);
        assert_non_null(strstr(d.reason, "packet rate per pair 100000/s (40% of 250000)"));
}

/* The guest's per-queue figures: rates over the guest's own read times, between the samples that
 * carry them; a counter that went back or a queue count that changed is a gap. */
static void test_guest_queues(void **state) {
        uint64_t q[5][4] = {
                        {1000, 1000, 1000, 1000},
                        {0, 0, 0, 0}, /* not read in this sample */
                        {1000 + 9100, 1000 + 300, 1000 + 300, 1000 + 300},
                        {1000 + 18200, 1000 + 600, 1000 + 600, 1000 + 600},
                        {1000 + 27300, 1000 + 900, 1000 + 900, 1000 + 900},
        };
        MultiqueueSample s[5] = {
                        {SEC(10), 0, 0, 0, 0, .n_queues = 4, .queue_packets = q[0],
                                        .queue_time_usec = SEC(9)},
                        {SEC(11), 5000, 5000, 1500000, 1500000},
                        {SEC(12), 10000, 10000, 3000000, 3000000, .n_queues = 4, .queue_packets = q[2],
                                        .queue_time_usec = SEC(11)},
                        {SEC(13), 15000, 15000, 4500000, 4500000, .n_queues = 4, .queue_packets = q[3],
                                        .queue_time_usec = SEC(12)},
                        {SEC(14), 20000, 20000, 6000000, 6000000, .n_queues = 4, .queue_packets = q[4],
                                        .queue_time_usec = SEC(13)},
        };
        MultiqueueDecision d;

        /* 10000 packets/s over the host's 4 s; the guest's reads 4 s apart, queue 0 at 9100/s. */
        assert_int_equal(decide(s, 5, 4, 4, (MultiqueueState){.pairs = 4}, &d), 0);
        assert_true(d.load.has_queues);
        assert_int_equal(d.load.n_queues, 4);
        assert_int_equal(d.load.queue_usec, SEC(4));
        assert_int_equal(d.load.queue_gaps, 0);
        assert_int_equal(d.load.gaps, 0);
        assert_float_equal(d.load.queue_rate[0], 27300.0 / 4, 1e-9);
        assert_float_equal(d.load.queue_rate[3], 900.0 / 4, 1e-9);
        assert_int_equal(d.load.queue_busiest, 0);
        assert_float_equal(d.load.queue_busiest_share, 0.91, 1e-9);
        assert_int_equal(d.load.queues_carrying, 1);
        assert_float_equal(d.load.load_peak, 6825.0 / 250000, 1e-9);
        assert_float_equal(d.load.load_total, 10000.0 / 250000, 1e-9);

        /* Queue 3's counter went back (the guest rebooted its driver): that interval is a gap. */
        q[3][3] = 5;
        assert_int_equal(decide(s, 5, 4, 4, (MultiqueueState){.pairs = 4}, &d), 0);
        assert_int_equal(d.load.queue_gaps, 1);
        assert_int_equal(d.load.queue_usec, SEC(3)); /* 9 -> 11 s, then 12 -> 13 s */
        assert_float_equal(d.load.queue_rate[0], 18200.0 / 3, 1e-9);
        assert_int_equal(d.load.gaps, 0); /* the host's counters are not the guest's */
        q[3][3] = 1000 + 600;

        /* The queue count changed (ethtool -L): only intervals with the last figures' count count. */
        s[0].n_queues = 2;
        s[2].n_queues = 2;
        assert_int_equal(decide(s, 5, 4, 4, (MultiqueueState){.pairs = 4}, &d), 0);
        assert_int_equal(d.load.n_queues, 4);
        assert_int_equal(d.load.queue_gaps, 2); /* 2 -> 2 queues, then 2 -> 4 */
        assert_int_equal(d.load.queue_usec, SEC(1));
        assert_float_equal(d.load.queue_rate[0], 9100, 1e-9);

        /* Only gaps: no guest figures, the even spread again. */
        s[3].n_queues = 2;
        assert_int_equal(decide(s, 5, 4, 4, (MultiqueueState){.pairs = 4}, &d), 0);
        assert_false(d.load.has_queues);
        assert_int_equal(d.load.queue_gaps, 3);
        assert_float_equal(d.load.load_peak, 10000.0 / 250000 / 4, 1e-9);
        assert_non_null(strstr(d.reason, "packet rate per pair 2500/s"));

        /* Worker figures come first: the guest's queues do not replace them. */
        {
                uint64_t cpu[5][1] = {{0}, {500000}, {1000000}, {1500000}, {2000000}};

                s[0].n_queues = s[2].n_queues = s[3].n_queues = 4;
                for (size_t i = 0; i < 5; i++) {
                        s[i].n_workers = 1;
                        s[i].worker_cpu_usec = cpu[i];
                }
                assert_int_equal(decide(s, 5, 4, 4, (MultiqueueState){.pairs = 4}, &d), 0);
                assert_true(d.load.has_queues);
                assert_float_equal(d.load.load_peak, 0.5, 1e-9);
                assert_non_null(strstr(d.reason, "worker busy 50%"));
        }
}

static void test_invalid(void **state) {
        uint64_t cpu[3] = {};
        MultiqueueSample s[3] = {{SEC(1)}, {SEC(2)}, {SEC(3)}};
        MultiqueueSample big[MULTIQUEUE_SAMPLES_MAX + 1];
        MultiqueueConfig c = multiqueue_config_defaults();
        MultiqueueDecision d = {.pairs = 77}, d_before;
        MultiqueueInput in = {.samples = s, .n_samples = 3, .vcpus = 4, .max_pairs = 4};
        MultiqueueLoad l;

        d_before = d;
        assert_int_equal(multiqueue_decide(NULL, NULL, &d), -EINVAL);
        assert_int_equal(multiqueue_decide(&(MultiqueueInput){.samples = s,
                                                           .n_samples = 3,
                                                           .vcpus = 1,
                                                           .max_pairs = 1},
                                         NULL, NULL),
                        -EINVAL);
        assert_int_equal(decide(s, 0, 4, 4, (MultiqueueState){}, &d), -EINVAL);
        assert_int_equal(decide(NULL, 3, 4, 4, (MultiqueueState){}, &d), -EINVAL);
        assert_int_equal(decide(s, 3, 0, 4, (MultiqueueState){}, &d), -EINVAL);
        assert_int_equal(decide(s, 3, 4, 0, (MultiqueueState){}, &d), -EINVAL);
        assert_int_equal(decide(s, 3, 4, MULTIQUEUE_PAIRS_MAX + 1, (MultiqueueState){}, &d), -E2BIG);
        assert_int_equal(decide(s, 3, 4, 4, (MultiqueueState){.pairs = MULTIQUEUE_PAIRS_MAX + 1}, &d),
                        -E2BIG);
        assert_int_equal(multiqueue_decide(&(MultiqueueInput){.samples = s,
                                                           .n_samples = 3,
                                                           .vcpus = 4,
                                                           .max_pairs = 2,
                                                           .active_pairs = 3},
                                         NULL, &d),
                        -EINVAL);
        /* state times after the window */
        assert_int_equal(decide(s, 3, 4, 4, (MultiqueueState){.pairs = 2, .changed_usec = SEC(4)}, &d),
                        -EINVAL);
        assert_int_equal(decide(s, 3, 4, 4, (MultiqueueState){.pairs = 2, .down_since_usec = SEC(4)}, &d),
                        -EINVAL);

        /* guest queue figures without counters, or more queues than a NIC can have */
        s[1].n_queues = 2;
        assert_int_equal(decide(s, 3, 4, 4, (MultiqueueState){}, &d), -EINVAL);
        s[1].queue_packets = cpu;
        s[1].n_queues = MULTIQUEUE_PAIRS_MAX + 1;
        assert_int_equal(decide(s, 3, 4, 4, (MultiqueueState){}, &d), -E2BIG);
        s[1].n_queues = 0;
        s[1].queue_packets = NULL;

        /* time going backwards, or standing still */
        s[2].time_usec = SEC(1);
        assert_int_equal(decide(s, 3, 4, 4, (MultiqueueState){}, &d), -EINVAL);
        s[2].time_usec = SEC(2);
        assert_int_equal(decide(s, 3, 4, 4, (MultiqueueState){}, &d), -EINVAL);
        s[2].time_usec = SEC(3);

        /* workers without their CPU times, too many workers */
        s[1].n_workers = 3;
        assert_int_equal(decide(s, 3, 4, 4, (MultiqueueState){}, &d), -EINVAL);
        s[1].worker_cpu_usec = cpu;
        assert_int_equal(decide(s, 3, 4, 4, (MultiqueueState){}, &d), 0);
        s[1].n_workers = MULTIQUEUE_WORKERS_MAX + 1;
        assert_int_equal(decide(s, 3, 4, 4, (MultiqueueState){}, &d), -E2BIG);
        s[1].n_workers = 0;

        /* too many samples */
        for (size_t i = 0; i < ELEMENTSOF(big); i++)
                big[i] = (MultiqueueSample){.time_usec = SEC(1) + i};
        assert_int_equal(decide(big, MULTIQUEUE_SAMPLES_MAX, 4, 4, (MultiqueueState){}, &d), 0);
        d = d_before;
        assert_int_equal(decide(big, ELEMENTSOF(big), 4, 4, (MultiqueueState){}, &d), -E2BIG);
        assert_int_equal(multiqueue_load_compute(
                                         &(MultiqueueInput){.samples = big, .n_samples = ELEMENTSOF(big)},
                                         NULL, &l),
                        -E2BIG);

        /* bad configs (every rule: test-config-file.c): refused, not used */
        c.worker_busy_high_percent = 60;
        c.worker_busy_low_percent = 31;
        assert_int_equal(multiqueue_decide(&in, &c, &d), -EINVAL);
        c = multiqueue_config_defaults();
        c.packet_rate_per_pair = 0;
        assert_int_equal(multiqueue_decide(&in, &c, &d), -ERANGE);
        assert_int_equal(multiqueue_load_compute(&in, &c, &l), -EINVAL);

        /* nothing written on failure */
        assert_memory_equal(&d, &d_before, sizeof(d));
}

static void test_rule_strings(void **state) {
        for (MultiqueueRule r = 0; r < _MULTIQUEUE_RULE_MAX; r++)
                assert_non_null(multiqueue_rule_to_string(r));
        assert_string_equal(multiqueue_rule_to_string(MULTIQUEUE_RULE_LARGE_FRAMES), "large-frames");
        assert_null(multiqueue_rule_to_string(_MULTIQUEUE_RULE_MAX));
        assert_null(multiqueue_rule_to_string(_MULTIQUEUE_RULE_INVALID));
}

/* A closed loop: each window's load 'total' (in workers at 100%) is spread evenly over the pairs the
 * guest runs, and the guest follows every recommendation at once (the agent actuator). The state is
 * fed back. Returns the number of changes; checks the invariants of every decision on the way. */
typedef double (*LoadFn)(unsigned window, void *userdata);

typedef struct Run {
        unsigned changes;
        unsigned ups, downs;
        unsigned final_pairs;
        unsigned at[MULTIQUEUE_PAIRS_MAX + 1]; /* windows at each count */
} Run;

static Run run_loop(unsigned n_windows, unsigned vcpus, unsigned max, unsigned start, LoadFn load,
                void *userdata, const MultiqueueConfig *config) {
        MultiqueueConfig defaults = multiqueue_config_defaults();
        const MultiqueueConfig *c = config ?: &defaults;
        MultiqueueState st = {.pairs = start};
        uint64_t last_change = 0;
        Gen g = gen_new();
        Run run = {};
        Window w;

        for (unsigned i = 0; i < n_windows; i++) {
                double total = load(i, userdata);
                Load l = {10, SMALL((uint64_t) (total * 500000)), .n_workers = max};
                MultiqueueDecision d;

                for (unsigned k = 0; k < st.pairs && k < GEN_WORKERS; k++)
                        l.busy[k] = MIN(total / st.pairs, 1.0) * 100;
                gen_window(&g, &l, &w);
                assert_int_equal(multiqueue_decide(
                                                 &(MultiqueueInput){
                                                                 .samples = w.samples,
                                                                 .n_samples = w.n,
                                                                 .vcpus = vcpus,
                                                                 .max_pairs = max,
                                                                 .active_pairs = st.pairs,
                                                                 .state = st,
                                                 },
                                                 c, &d),
                                0);
                assert_true(d.pairs >= 1 && d.pairs <= MIN(vcpus, max));
                if (d.changed) {
                        uint64_t now = w.samples[w.n - 1].time_usec;

                        run.changes++;
                        if (d.pairs < st.pairs) {
                                /* never down within a hold-down of the last change */
                                assert_true(last_change == 0 || now - last_change >= c->hold_down_usec);
                                run.downs++;
                        } else
                                run.ups++;
                        last_change = now;
                }
                st = d.state;
                run.at[d.pairs]++;
        }
        run.final_pairs = st.pairs;
        return run;
}

static double alternate(unsigned window, void *userdata) {
        const double *v = userdata;

        return v[window % 2];
}

static double bursts(unsigned window, void *userdata) {
        const unsigned *period = userdata; /* windows heavy, then as many light */

        return (window / *period) % 2 == 0 ? 1.6 : 0.2;
}

static double burst_then_quiet(unsigned window, void *userdata) {
        return window < 3 ? 1.6 : 0.2;
}

static double pseudo_random(unsigned window, void *userdata) {
        uint32_t *seed = userdata;

        *seed = *seed * 1103515245u + 12345u;
        return (double) ((*seed >> 16) % 3000) / 1000; /* 0 .. 3 workers */
}

/* One decision on a fresh window of 'l' with 'max' pairs, all active, and the state 'st'. */
static MultiqueueDecision decide_load(
                Gen *g, const Load *l, unsigned vcpus, unsigned max, MultiqueueState st) {
        MultiqueueDecision d;
        Window w;

        gen_window(g, l, &w);
        assert_int_equal(multiqueue_decide(&(MultiqueueInput){.samples = w.samples,
                                                           .n_samples = w.n,
                                                           .vcpus = vcpus,
                                                           .max_pairs = max,
                                                           .active_pairs = MIN(st.pairs, max),
                                                           .state = st},
                                         NULL, &d),
                        0);
        return d;
}

/* The pairs for the next boot (MultiqueueApply=next-boot): above max only when a saturated load
 * calls for more than max allows and vCPUs would take them; kept when the load calms down, dropped
 * with the recommendation. */
static void test_boot_pairs(void **state) {
        Gen g = gen_new();
        MultiqueueDecision d;

        /* Both pairs of max 2 saturated, 8 vCPUs: 200% of a pair needs 3 at 75%. */
        d = decide_load(&g, &(Load){10, SMALL(900000), W4(100, 100, 0, 0)}, 8, 2,
                        (MultiqueueState){.pairs = 2});
        assert_int_equal(d.rule, MULTIQUEUE_RULE_AT_CAP);
        assert_int_equal(d.pairs, 2);
        assert_int_equal(d.boot_pairs, 3);
        assert_int_equal(d.state.boot_pairs, 3);
        assert_non_null(strstr(d.reason, "keeps 2; next boot: <driver queues='3'/>"));

        /* The load calms down to steady: the raise stays, and is no longer in the reason. */
        d = decide_load(&g, &(Load){10, SMALL(500000), W4(50, 50, 0, 0)}, 8, 2, d.state);
        assert_int_equal(d.rule, MULTIQUEUE_RULE_STEADY);
        assert_int_equal(d.boot_pairs, 3);
        assert_null(strstr(d.reason, "next boot"));

        /* Fewer vCPUs than the raise (unplugged): held to vCPUs. */
        d = decide_load(&g, &(Load){10, SMALL(500000), W4(50, 50, 0, 0)}, 2, 2, d.state);
        assert_int_equal(d.pairs, 2);
        assert_int_equal(d.boot_pairs, 2);
        assert_int_equal(d.state.boot_pairs, 0);

        /* A raise, then low load for longer than the hold-down: the recommendation goes down, and
         * the next boot with it. */
        d = decide_load(&g, &(Load){10, SMALL(900000), W4(100, 100, 0, 0)}, 8, 2,
                        (MultiqueueState){.pairs = 2});
        assert_int_equal(d.boot_pairs, 3);
        for (unsigned i = 0; i < 8 && d.pairs == 2; i++)
                d = decide_load(&g, &(Load){10, SMALL(20000), W4(2, 2, 0, 0)}, 8, 2, d.state);
        assert_int_equal(d.rule, MULTIQUEUE_RULE_LOW);
        assert_int_equal(d.pairs, 1);
        assert_int_equal(d.boot_pairs, 1);
        assert_int_equal(d.state.boot_pairs, 0);

        /* Saturated past max, sized by vCPUs: min(vCPUs 4, 5 needed). */
        d = decide_load(&g, &(Load){10, SMALL(900000), W4(100, 100, 100, 0)}, 4, 3,
                        (MultiqueueState){.pairs = 2});
        assert_int_equal(d.rule, MULTIQUEUE_RULE_SATURATED);
        assert_int_equal(d.pairs, 3);
        assert_int_equal(d.boot_pairs, 4);
        assert_non_null(strstr(d.reason, "; next boot: <driver queues='4'/>"));

        /* max = vCPUs: nothing for the next boot to raise. */
        d = decide_load(&g, &(Load){10, SMALL(900000), W4(90, 85, 80, 80)}, 4, 4,
                        (MultiqueueState){.pairs = 4});
        assert_int_equal(d.rule, MULTIQUEUE_RULE_AT_CAP);
        assert_int_equal(d.boot_pairs, 4);
        assert_null(strstr(d.reason, "next boot"));

        /* Max 1 is multiqueue off, the operator's choice: never raised. */
        d = decide_load(&g, &(Load){10, SMALL(900000), W4(100, 0, 0, 0)}, 4, 1,
                        (MultiqueueState){.pairs = 1, .boot_pairs = 4});
        assert_int_equal(d.rule, MULTIQUEUE_RULE_ONE_QUEUE);
        assert_int_equal(d.boot_pairs, 1);
}

static void test_no_flapping(void **state) {
        Run run;

        /* Around the high mark on one pair (70% / 80%): one scale-up, then stable for 1000 s. */
        run = run_loop(100, 4, 4, 1, alternate, (double[]){0.70, 0.80}, NULL);
        assert_int_equal(run.changes, 1);
        assert_int_equal(run.final_pairs, 2);

        /* Around the low mark on 2 pairs (22% / 28% each): a streak never lasts a hold-down. */
        run = run_loop(100, 4, 4, 2, alternate, (double[]){0.44, 0.56}, NULL);
        assert_int_equal(run.changes, 0);

        /* Around the idle threshold with little load: nothing moves. */
        run = run_loop(100, 4, 4, 4, alternate, (double[]){0.0003, 0.0005}, NULL);
        assert_int_equal(run.changes, 0);

        /* Bursts of 30 s, pauses of 30 s from one pair: up in the first burst (to 2: the saturated
         * worker hides the rest of the load; then to 3), never back down: no pause lasts a hold-down. */
        run = run_loop(100, 4, 4, 1, bursts, (unsigned[]){3}, NULL);
        assert_int_equal(run.changes, 2);
        assert_int_equal(run.ups, 2);
        assert_int_equal(run.final_pairs, 3);

        /* Starting at min(vCPUs, max) with the same bursts: no change at all. */
        run = run_loop(100, 4, 4, 4, bursts, (unsigned[]){3}, NULL);
        assert_int_equal(run.changes, 0);

        /* Bursts of 100 s and pauses of 100 s: each pause long enough to go down once, each burst
         * goes up again (in two steps, as above): the load changes, the recommendation follows it. */
        run = run_loop(100, 4, 4, 1, bursts, (unsigned[]){10}, NULL);
        assert_int_equal(run.downs, 5);
        assert_int_equal(run.ups, 10);
}

static void test_hold_down_expiry(void **state) {
        Run run;

        /* 30 s of burst from 1 pair: up to 2, then 3; then quiet: down to 1 once the quiet lasted
         * 60 s (windows 3-8) and the last change (window 1) is 60 s old. */
        run = run_loop(30, 4, 4, 1, burst_then_quiet, NULL, NULL);
        assert_int_equal(run.ups, 2);
        assert_int_equal(run.downs, 1);
        assert_int_equal(run.final_pairs, 1);
        assert_int_equal(run.at[2], 1);
        assert_int_equal(run.at[3], 7);
        assert_int_equal(run.at[1], 22);
}

static void test_random_loads(void **state) {
        MultiqueueConfig c = multiqueue_config_defaults();
        uint32_t seed = 42;
        Run run;

        /* 500 windows of 10 s with any load from 0 to 3 workers: run_loop() checks the bounds and
         * that no decrease comes within a hold-down of the previous change. So at most one decrease per
         * hold-down, and between two decreases the count only grows, at most to min(vCPUs, max). */
        run = run_loop(500, 8, 8, 0, pseudo_random, &seed, NULL);
        print_message("random loads, hold-down 60 s: %u changes (%u up, %u down)\n", run.changes, run.ups,
                        run.downs);
        assert_true(run.downs <= 500 * 10 / 60 + 1);
        assert_true(run.ups <= (run.downs + 1) * 7);

        c.hold_down_usec = SEC(120);
        seed = 7;
        run = run_loop(500, 8, 8, 0, pseudo_random, &seed, &c);
        print_message("random loads, hold-down 120 s: %u changes (%u up, %u down)\n", run.changes, run.ups,
                        run.downs);
        assert_true(run.downs <= 500 * 10 / 120 + 1);
        assert_true(run.ups <= (run.downs + 1) * 7);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_cases),
                        cmocka_unit_test(test_chain_text),
                        cmocka_unit_test(test_figures),
                        cmocka_unit_test(test_counter_reset),
                        cmocka_unit_test(test_worker_changes),
                        cmocka_unit_test(test_guest_queues),
                        cmocka_unit_test(test_invalid),
                        cmocka_unit_test(test_rule_strings),
                        cmocka_unit_test(test_boot_pairs),
                        cmocka_unit_test(test_no_flapping),
                        cmocka_unit_test(test_hold_down_expiry),
                        cmocka_unit_test(test_random_loads),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
