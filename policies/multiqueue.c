/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "macro.h"
#include "multiqueue.h"

static const char *const multiqueue_rule_table[_MULTIQUEUE_RULE_MAX] = {
                [MULTIQUEUE_RULE_ONE_QUEUE] = "one-queue",
                [MULTIQUEUE_RULE_ONE_VCPU] = "one-vcpu",
                [MULTIQUEUE_RULE_CLAMP] = "clamp",
                [MULTIQUEUE_RULE_NO_DATA] = "no-data",
                [MULTIQUEUE_RULE_IDLE] = "idle",
                [MULTIQUEUE_RULE_SATURATED] = "saturated",
                [MULTIQUEUE_RULE_AT_CAP] = "at-cap",
                [MULTIQUEUE_RULE_HOT_QUEUE] = "hot-queue",
                [MULTIQUEUE_RULE_LARGE_FRAMES] = "large-frames",
                [MULTIQUEUE_RULE_LOW] = "low",
                [MULTIQUEUE_RULE_STEADY] = "steady",
};

const char *multiqueue_rule_to_string(MultiqueueRule r) {
        return r >= 0 && r < _MULTIQUEUE_RULE_MAX ? multiqueue_rule_table[r] : NULL;
}

static unsigned cap_pairs(const MultiqueueInput *in) {
        return MAX(MIN(in->vcpus, in->max_pairs), 1u);
}

/* The recommendation the window starts from: the state's, else what the guest runs, else what a
 * Linux guest enables at probe. */
static unsigned start_pairs(const MultiqueueInput *in) {
        unsigned cap = cap_pairs(in);

        if (in->state.pairs > 0)
                return in->state.pairs;
        return MIN(in->active_pairs > 0 ? in->active_pairs : cap, cap);
}

/* The guest's per-queue figures into 'l': rates over the intervals between consecutive samples that
 * carry them, where the queue count is the last figures' and no counter went back. */
static void queue_figures(const MultiqueueInput *in, MultiqueueLoad *l) {
        double packets[MULTIQUEUE_PAIRS_MAX] = {}, all = 0;
        const MultiqueueSample *a = NULL;
        size_t n = 0;

        for (size_t i = in->n_samples; i > 0; i--)
                if (in->samples[i - 1].n_queues > 0) {
                        n = in->samples[i - 1].n_queues;
                        break;
                }
        l->n_queues = n;
        for (size_t i = 0; n > 0 && i < in->n_samples; i++) {
                const MultiqueueSample *b = &in->samples[i];
                bool ok;

                if (b->n_queues == 0)
                        continue;
                if (!a) {
                        a = b;
                        continue;
                }
                /* A queue count that changed (ethtool -L, a driver reload) or a counter that went back
                 * (the guest rebooted, the device was reset) leaves the interval out. */
                ok = a->n_queues == n && b->n_queues == n && b->queue_time_usec > a->queue_time_usec;
                for (size_t q = 0; ok && q < n; q++)
                        if (b->queue_packets[q] < a->queue_packets[q])
                                ok = false;
                if (ok) {
                        l->queue_usec += b->queue_time_usec - a->queue_time_usec;
                        for (size_t q = 0; q < n; q++) {
                                packets[q] += (double) (b->queue_packets[q] - a->queue_packets[q]);
                                all += (double) (b->queue_packets[q] - a->queue_packets[q]);
                        }
                } else
                        l->queue_gaps++;
                a = b;
        }
        l->has_queues = l->queue_usec > 0;
        if (!l->has_queues)
                return;
        for (size_t q = 0; q < n; q++) {
                double share = all > 0 ? packets[q] / all : 0;

                l->queue_rate[q] = packets[q] / ((double) l->queue_usec / USEC_PER_SEC);
                if (packets[q] > packets[l->queue_busiest])
                        l->queue_busiest = (unsigned) q;
                if (share > MULTIQUEUE_QUEUE_CARRYING_SHARE)
                        l->queues_carrying++;
        }
        l->queue_busiest_share = all > 0 ? packets[l->queue_busiest] / all : 0;
}

int multiqueue_load_compute(const MultiqueueInput *in, const MultiqueueConfig *c, MultiqueueLoad *ret) {
        MultiqueueConfig defaults = multiqueue_config_defaults();
        double busy[MULTIQUEUE_WORKERS_MAX] = {};
        double rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
        MultiqueueLoad l = {};
        const MultiqueueSample *first, *last;

        if (!in || !ret || !in->samples || in->n_samples == 0)
                return -EINVAL;
        if (!c)
                c = &defaults;
        if (c->packet_rate_per_pair == 0)
                return -EINVAL;
        if (in->n_samples > MULTIQUEUE_SAMPLES_MAX)
                return -E2BIG;
        for (size_t i = 0; i < in->n_samples; i++) {
                const MultiqueueSample *s = &in->samples[i];

                if (s->n_workers > MULTIQUEUE_WORKERS_MAX)
                        return -E2BIG;
                if (s->n_workers > 0 && !s->worker_cpu_usec)
                        return -EINVAL;
                if (s->n_queues > MULTIQUEUE_PAIRS_MAX)
                        return -E2BIG;
                if (s->n_queues > 0 && !s->queue_packets)
                        return -EINVAL;
                if (i > 0 && s->time_usec <= in->samples[i - 1].time_usec)
                        return -EINVAL;
        }

        first = &in->samples[0];
        last = &in->samples[in->n_samples - 1];
        l.span_usec = last->time_usec - first->time_usec;
        l.n_workers = last->n_workers;

        for (size_t i = 1; i < in->n_samples; i++) {
                const MultiqueueSample *a = &in->samples[i - 1], *b = &in->samples[i];
                uint64_t dt = b->time_usec - a->time_usec;
                bool packets_ok, workers_ok;

                /* A counter that went back was reset (device recreated, QEMU restarted, migration):
                 * the interval says nothing about the load. */
                packets_ok = b->rx_packets >= a->rx_packets && b->tx_packets >= a->tx_packets &&
                             b->rx_bytes >= a->rx_bytes && b->tx_bytes >= a->tx_bytes;
                if (packets_ok) {
                        l.packet_usec += dt;
                        rx_packets += (double) (b->rx_packets - a->rx_packets);
                        tx_packets += (double) (b->tx_packets - a->tx_packets);
                        rx_bytes += (double) (b->rx_bytes - a->rx_bytes);
                        tx_bytes += (double) (b->tx_bytes - a->tx_bytes);
                }

                /* Workers are matched by position, so only intervals with the last sample's set count. */
                workers_ok = l.n_workers > 0 && a->n_workers == l.n_workers && b->n_workers == l.n_workers;
                for (size_t w = 0; workers_ok && w < l.n_workers; w++)
                        if (b->worker_cpu_usec[w] < a->worker_cpu_usec[w])
                                workers_ok = false;
                if (workers_ok) {
                        l.worker_usec += dt;
                        for (size_t w = 0; w < l.n_workers; w++)
                                busy[w] += (double) (b->worker_cpu_usec[w] - a->worker_cpu_usec[w]);
                }

                if (!packets_ok || (!workers_ok && (a->n_workers > 0 || b->n_workers > 0)))
                        l.gaps++;
        }

        if (l.packet_usec > 0) {
                double seconds = (double) l.packet_usec / USEC_PER_SEC;

                l.packet_rate = (rx_packets + tx_packets) / seconds;
                l.byte_rate = (rx_bytes + tx_bytes) / seconds;
                /* The direction with more bytes: a bulk stream's ACKs going the other way would
                 * otherwise halve its average. */
                if (rx_bytes >= tx_bytes)
                        l.avg_frame = rx_packets > 0 ? rx_bytes / rx_packets : 0;
                else
                        l.avg_frame = tx_packets > 0 ? tx_bytes / tx_packets : 0;
        }

        l.has_workers = l.worker_usec > 0;
        for (size_t w = 0; l.has_workers && w < l.n_workers; w++) {
                /* /proc CPU times and the clock are read at slightly different moments. */
                double b = MIN(busy[w] / (double) l.worker_usec, 1.0);

                l.worker_busy_max = MAX(l.worker_busy_max, b);
                l.worker_busy_sum += b;
        }

        queue_figures(in, &l);

        l.served_pairs = in->active_pairs > 0 ? in->active_pairs : MIN(start_pairs(in), cap_pairs(in));
        if (l.has_workers) {
                l.load_peak = l.worker_busy_max;
                l.load_total = l.worker_busy_sum;
        } else if (l.has_queues) {
                /* The guest says how the packets are spread: the busiest queue is the busiest pair. Its
                 * reads and the host's are not at the same moments, so it is held to the NIC's rate. */
                l.load_total = l.packet_rate / (double) c->packet_rate_per_pair;
                l.load_peak = MIN(l.queue_rate[l.queue_busiest], l.packet_rate) /
                              (double) c->packet_rate_per_pair;
        } else {
                /* Without workers only the mean per pair is visible. */
                l.load_total = l.packet_rate / (double) c->packet_rate_per_pair;
                l.load_peak = l.load_total / l.served_pairs;
        }

        *ret = l;
        return 0;
}

_printf_(2, 3) static void say(MultiqueueDecision *d, const char *format, ...) {
        size_t n = strlen(d->reason);
        va_list ap;

        if (n >= sizeof(d->reason) - 1)
                return;
        va_start(ap, format);
        (void) vsnprintf(d->reason + n, sizeof(d->reason) - n, format, ap);
        va_end(ap);
}

static const char *plural(unsigned n) {
        return n == 1 ? "pair" : "pairs";
}

/* The smallest count of pairs that carries 'total' at 'per_pair' each, at least 1. */
static unsigned pairs_for(double total, double per_pair) {
        double n = total / per_pair;
        unsigned k;

        if (n <= 1)
                return 1;
        if (n >= MULTIQUEUE_PAIRS_MAX)
                return MULTIQUEUE_PAIRS_MAX;
        k = (unsigned) n;
        return k < n ? k + 1 : k;
}

/* "worker busy 92%", or without workers "busiest guest queue 3 carries 91% of packets, 230000/s (92% of
 * 250000)" from the guest's figures, else "packet rate per pair 230000/s (92% of 250000)". */
static void say_load(MultiqueueDecision *d, const MultiqueueConfig *c) {
        const MultiqueueLoad *l = &d->load;

        if (l->has_workers)
                say(d, "worker busy %.0f%%", l->load_peak * 100);
        else if (l->has_queues)
                say(d, "busiest guest queue %u carries %.0f%% of packets, %.0f/s (%.0f%% of %" PRIu64 ")",
                                l->queue_busiest, l->queue_busiest_share * 100,
                                l->load_peak * (double) c->packet_rate_per_pair, l->load_peak * 100,
                                c->packet_rate_per_pair);
        else
                say(d, "packet rate per pair %.0f/s (%.0f%% of %" PRIu64 ")",
                                l->packet_rate / l->served_pairs, l->load_peak * 100,
                                c->packet_rate_per_pair);
}

/* Records that rule 'r' did not apply and why. */
_printf_(3, 4) static void pass_over(MultiqueueDecision *d, MultiqueueRule r, const char *fmt, ...) {
        MultiqueuePassed *p;
        va_list ap;

        if (d->n_passed >= ELEMENTSOF(d->passed))
                return;
        p = &d->passed[d->n_passed++];
        p->rule = r;
        va_start(ap, fmt);
        (void) vsnprintf(p->why, sizeof(p->why), fmt, ap);
        va_end(ap);
}

/* "; next boot: <driver queues='4'/>" when the load calls for more pairs than max allows. */
static void say_boot(MultiqueueDecision *d) {
        if (d->boot_pairs > d->pairs)
                say(d, "; next boot: <driver queues='%u'/>", d->boot_pairs);
}

static void decide_saturated(MultiqueueDecision *d, const MultiqueueConfig *c, unsigned cur, unsigned cap,
                const MultiqueueInput *in) {
        const MultiqueueLoad *l = &d->load;
        double high = c->worker_busy_high_percent / 100.0, rest = 0;
        unsigned need = pairs_for(l->load_total, high), served = l->served_pairs;
        /* The guest shows one queue carrying most packets: few flows, which more pairs cannot split.
         * That queue keeps its pair; only the rest is spread over more. */
        bool hot = l->has_queues && l->n_queues >= 2 && l->queue_busiest_share > MULTIQUEUE_QUEUE_HOT_SHARE;

        if (hot) {
                rest = MAX(l->load_total - l->load_peak, 0.0);
                need = rest > 0.01 ? 1 + pairs_for(rest, high) : 1;
        }
        d->pairs = cur;
        /* More than max allows, where vCPUs would take more: a matter for the next boot. */
        if (need > cap && in->max_pairs < in->vcpus)
                d->boot_pairs = MIN(need, in->vcpus);
        if (need > cur && cur >= cap) {
                d->rule = MULTIQUEUE_RULE_AT_CAP;
                say_load(d, c);
                say(d, " > %" PRIu64 "%% on %u %s, already min(vCPUs %u, max %u): keeps %u",
                                c->worker_busy_high_percent, served, plural(served), in->vcpus,
                                in->max_pairs, cur);
                say_boot(d);
                return;
        }
        if (need > cur) {
                d->rule = MULTIQUEUE_RULE_SATURATED;
                d->pairs = MIN(need, cap);
                say_load(d, c);
                if (hot)
                        say(d,
                                        " > %" PRIu64
                                        "%% on %u %s: %u pairs, one for the busiest queue's flows (more "
                                        "pairs cannot split them) and %u for the rest (%.0f%% of one pair)",
                                        c->worker_busy_high_percent, served, plural(served), d->pairs,
                                        d->pairs - 1, rest * 100);
                else
                        say(d, " > %" PRIu64 "%% on %u %s: %u pairs bring it to ~%.0f%%",
                                        c->worker_busy_high_percent, served, plural(served), d->pairs,
                                        l->load_total / d->pairs * 100);
                if (need > cap)
                        say(d, " (%u needed, min(vCPUs %u, max %u) = %u)", need, in->vcpus, in->max_pairs,
                                        cap);
                say_boot(d);
                return;
        }
        if (served < need) {
                /* Recommended already; the guest has not followed (report-only, or not yet). */
                d->rule = MULTIQUEUE_RULE_SATURATED;
                say_load(d, c);
                say(d,
                                " > %" PRIu64
                                "%% on %u %s: %u pairs bring it to ~%.0f%%: keeps %u (the guest runs %u)",
                                c->worker_busy_high_percent, served, plural(served), need,
                                l->load_total / need * 100, cur, served);
                return;
        }
        /* The total fits the pairs the guest has if spread evenly, but it is not: the busiest queue's
         * flows hash to it, and more pairs would not relieve it. */
        d->rule = MULTIQUEUE_RULE_HOT_QUEUE;
        say_load(d, c);
        if (hot) {
                say(d,
                                " > %" PRIu64
                                "%% on one of %u %s: few flows, which stay on one queue whatever the "
                                "pairs; the rest (%.0f%% of one pair) fits the other %u: more pairs would "
                                "not relieve the busiest: keeps %u",
                                c->worker_busy_high_percent, served, plural(served), rest * 100, served - 1,
                                cur);
                return;
        }
        say(d,
                        " > %" PRIu64
                        "%% on one of %u %s, but they carry the total (%.0f%% of one pair) at ~%.0f%% "
                        "each if spread evenly: more pairs would not relieve the busiest: keeps %u",
                        c->worker_busy_high_percent, served, plural(served), l->load_total * 100,
                        l->load_total / served * 100, cur);
}

int multiqueue_decide(const MultiqueueInput *in, const MultiqueueConfig *c, MultiqueueDecision *ret) {
        MultiqueueConfig defaults = multiqueue_config_defaults();
        MultiqueueDecision d = {};
        const MultiqueueLoad *l = &d.load;
        unsigned cap, cur, down = 0; /* down: the fewer pairs a rule calls for, 0 = none */
        uint64_t now, start;
        double high, low, middle;
        int r;

        if (!in || !ret)
                return -EINVAL;
        if (!c)
                c = &defaults;
        r = multiqueue_config_verify(c, NULL);
        if (r < 0)
                return r;
        if (in->vcpus == 0 || in->max_pairs == 0 || in->active_pairs > in->max_pairs)
                return -EINVAL;
        if (in->max_pairs > MULTIQUEUE_PAIRS_MAX || in->state.pairs > MULTIQUEUE_PAIRS_MAX ||
                        in->state.boot_pairs > MULTIQUEUE_PAIRS_MAX)
                return -E2BIG;
        r = multiqueue_load_compute(in, c, &d.load);
        if (r < 0)
                return r;

        start = in->samples[0].time_usec;
        now = in->samples[in->n_samples - 1].time_usec;
        if (in->state.changed_usec > now || in->state.down_since_usec > now)
                return -EINVAL;

        cap = cap_pairs(in);
        cur = start_pairs(in);
        high = c->worker_busy_high_percent / 100.0;
        low = c->worker_busy_low_percent / 100.0;
        middle = (high + low) / 2;
        d.static_one = 1;
        d.static_cap = cap;
        d.state = in->state;
        d.pairs = cur;

        if (in->max_pairs <= 1) {
                d.rule = MULTIQUEUE_RULE_ONE_QUEUE;
                d.pairs = 1;
                say(&d, "the NIC has one queue pair");
                goto decided;
        }
        pass_over(&d, MULTIQUEUE_RULE_ONE_QUEUE, "max %u pairs > 1", in->max_pairs);
        if (in->vcpus == 1) {
                d.rule = MULTIQUEUE_RULE_ONE_VCPU;
                d.pairs = 1;
                say(&d, "the guest has one vCPU: min(vCPUs 1, max %u) = 1", in->max_pairs);
                goto decided;
        }
        pass_over(&d, MULTIQUEUE_RULE_ONE_VCPU, "%u vCPUs > 1", in->vcpus);
        if (cur > cap) {
                /* A hard limit (vCPUs unplugged, <driver queues> lowered): no hold-down. */
                d.rule = MULTIQUEUE_RULE_CLAMP;
                d.pairs = cap;
                say(&d, "clamped to min(vCPUs %u, max %u) = %u: %u is above it", in->vcpus, in->max_pairs,
                                cap, cur);
                goto decided;
        }
        pass_over(&d, MULTIQUEUE_RULE_CLAMP, "%u <= min(vCPUs %u, max %u) = %u", cur, in->vcpus,
                        in->max_pairs, cap);
        if (l->packet_usec == 0) {
                d.rule = MULTIQUEUE_RULE_NO_DATA;
                if (in->n_samples < 2)
                        say(&d, "no load figures yet (1 sample): keeps %u", cur);
                else
                        say(&d, "no load figures (every interval crossed a counter reset): keeps %u", cur);
                goto decided;
        }
        pass_over(&d, MULTIQUEUE_RULE_NO_DATA, "load figures over %.1f s of %zu samples",
                        (double) l->packet_usec / USEC_PER_SEC, in->n_samples);
        if (l->packet_rate < c->idle_packet_rate) {
                d.rule = MULTIQUEUE_RULE_IDLE;
                say(&d, "idle: keeps %u (%.0f packets/s < %" PRIu64 ")", cur, l->packet_rate,
                                c->idle_packet_rate);
                goto decided;
        }
        pass_over(&d, MULTIQUEUE_RULE_IDLE, "%.0f packets/s >= %" PRIu64, l->packet_rate,
                        c->idle_packet_rate);
        if (l->load_peak > high) {
                decide_saturated(&d, c, cur, cap, in);
                goto decided;
        }
        pass_over(&d, MULTIQUEUE_RULE_SATURATED, "busiest pair %.0f%% <= %" PRIu64 "%%", l->load_peak * 100,
                        c->worker_busy_high_percent);
        if (c->large_frame_bytes > 0 && l->avg_frame >= c->large_frame_bytes && l->load_total < high) {
                d.rule = MULTIQUEUE_RULE_LARGE_FRAMES;
                say(&d,
                                "average frame %.0f bytes >= %" PRIu64 ", %.0f%% of one pair in all: few "
                                "large-segment streams batch better on one queue",
                                l->avg_frame, c->large_frame_bytes, l->load_total * 100);
                if (cur > 1)
                        down = 1;
                else
                        say(&d, ": keeps 1");
                goto decided;
        }
        if (c->large_frame_bytes == 0)
                pass_over(&d, MULTIQUEUE_RULE_LARGE_FRAMES, "off (MultiqueueLargeFrameBytes=0)");
        else if (l->avg_frame < c->large_frame_bytes)
                pass_over(&d, MULTIQUEUE_RULE_LARGE_FRAMES, "average frame %.0f bytes < %" PRIu64,
                                l->avg_frame, c->large_frame_bytes);
        else
                pass_over(&d, MULTIQUEUE_RULE_LARGE_FRAMES, "%.0f%% of one pair in all >= %" PRIu64 "%%",
                                l->load_total * 100, c->worker_busy_high_percent);
        if (l->load_peak < low) {
                unsigned want = pairs_for(l->load_total, middle);

                if (want < cur) {
                        d.rule = MULTIQUEUE_RULE_LOW;
                        down = want;
                        say_load(&d, c);
                        say(&d, " < %" PRIu64 "%% on every pair: %u %s at ~%.0f%%",
                                        c->worker_busy_low_percent, want, plural(want),
                                        l->load_total / want * 100);
                        goto decided;
                }
                if (cur == 1)
                        pass_over(&d, MULTIQUEUE_RULE_LOW, "already 1 pair");
                else
                        pass_over(&d, MULTIQUEUE_RULE_LOW, "%u %s would carry ~%.0f%% > %.0f%%", cur - 1,
                                        plural(cur - 1), l->load_total / (cur - 1) * 100, middle * 100);
                d.rule = MULTIQUEUE_RULE_STEADY;
                say_load(&d, c);
                if (cur == 1)
                        say(&d, " < %" PRIu64 "%% on 1 pair: keeps 1", c->worker_busy_low_percent);
                else
                        say(&d, " < %" PRIu64 "%% on every pair, but %u %s would carry ~%.0f%%: keeps %u",
                                        c->worker_busy_low_percent, cur - 1, plural(cur - 1),
                                        l->load_total / (cur - 1) * 100, cur);
                goto decided;
        }
        pass_over(&d, MULTIQUEUE_RULE_LOW, "busiest pair %.0f%% >= %" PRIu64 "%%", l->load_peak * 100,
                        c->worker_busy_low_percent);
        d.rule = MULTIQUEUE_RULE_STEADY;
        say_load(&d, c);
        say(&d, " between %" PRIu64 "%% and %" PRIu64 "%% on %u %s: keeps %u", c->worker_busy_low_percent,
                        c->worker_busy_high_percent, l->served_pairs, plural(l->served_pairs), cur);

decided:
        if (down > 0) {
                /* Fewer pairs only when called for without a break for the hold-down (from the start of
                 * the first window that called for them), and not within a hold-down of the last change. */
                uint64_t since = d.state.down_since_usec > 0 ? d.state.down_since_usec : start;
                uint64_t streak = now - since;
                uint64_t age = d.state.changed_usec > 0 ? now - d.state.changed_usec : UINT64_MAX;

                if (streak >= c->hold_down_usec && age >= c->hold_down_usec) {
                        d.pairs = down;
                        d.state.down_since_usec = 0;
                        if (d.rule == MULTIQUEUE_RULE_LARGE_FRAMES)
                                say(&d, ": 1 pair");
                } else {
                        d.held = true;
                        d.state.down_since_usec = since;
                        if (streak < c->hold_down_usec)
                                say(&d, "; for %.0f s of %.0f s: keeps %u", (double) streak / USEC_PER_SEC,
                                                (double) c->hold_down_usec / USEC_PER_SEC, cur);
                        else
                                say(&d, "; changed %.0f s ago, hold-down %.0f s: keeps %u",
                                                (double) age / USEC_PER_SEC,
                                                (double) c->hold_down_usec / USEC_PER_SEC, cur);
                }
        } else
                d.state.down_since_usec = 0;

        /* The next boot's pairs: a raise stays until the recommendation goes down (or vCPUs do). */
        if (d.pairs >= cur && in->max_pairs > 1)
                d.boot_pairs = MAX(d.boot_pairs, MIN(in->state.boot_pairs, in->vcpus));
        d.boot_pairs = MAX(d.boot_pairs, d.pairs);
        d.state.boot_pairs = d.boot_pairs > d.pairs ? d.boot_pairs : 0;
        d.changed = d.pairs != cur;
        d.state.pairs = d.pairs;
        if (d.changed)
                d.state.changed_usec = now;

        *ret = d;
        return 0;
}
