/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/mq-replay: runs recorded multiqueue signal traces through policies/multiqueue window by
 * window and prints its decisions next to the static choices, 1 pair and min(vCPUs, max).
 *
 *   mq-replay [--window SEC] [--set Key=Value]... [--summary] TRACE...
 *
 * Trace format (one NIC; bench/README.md has the whole of it):
 *   # vcpus=4 max=4 workers=4 queues=4 active=4   header: before the first sample
 *   # active=2                              later: the guest's active pairs changed (or "unknown")
 *   # any other comment                     a comment line ('#', first word without '=')
 *   T_USEC RX_PKTS TX_PKTS RX_BYTES TX_BYTES [WORKER_CPU_USEC x workers] [GUEST_QUEUE_PKTS x queues]
 * queues= (default 0): the guest's own per-queue packet counters (rx + tx, MultiqueueGuestStats=),
 * read at the sample's time.
 * Every number is cumulative and decimal. A malformed line stops the replay with FILE:LINE. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "multiqueue.h"
#include "parse-util.h"

#define LINE_MAX_BYTES 4096
#define SAMPLES_MAX    10000000 /* per trace: a day at 10 ms, or four months at 1 s */
#define VCPUS_MAX      4096     /* KVM's KVM_MAX_VCPUS on x86 */
#define WINDOW_SEC_MAX 3600

static uint64_t arg_window_usec = 10 * USEC_PER_SEC;
static bool arg_summary_only = false;
static bool arg_no_guest_queues = false; /* read the queues= columns, feed none to the policy */
static MultiqueueConfig arg_config;

/* Digits only, no sign or blank, at most 'max'. */
static int parse_u64(const char *s, uint64_t max, uint64_t *ret) {
        uint64_t v;
        int r = parse_decimal_u64(s, &v);

        if (r < 0)
                return r;
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

typedef struct Trace {
        const char *path;
        FILE *f;
        unsigned line;
        unsigned vcpus, max, workers, active; /* active 0: unknown */
        unsigned queues;                      /* the guest's per-queue counters per sample; 0: none */
        int pending_active; /* active= read after samples, applied by the caller; -1: none */
        bool has_vcpus, has_max, has_workers, has_queues;
        size_t n_samples;
        uint64_t last_time;
} Trace;

_printf_(2, 3) static int trace_error(const Trace *t, const char *format, ...) {
        va_list ap;

        (void) fprintf(stderr, "%s:%u: ", t->path, t->line);
        va_start(ap, format);
        (void) vfprintf(stderr, format, ap);
        va_end(ap);
        (void) fputc('\n', stderr);
        return -EINVAL;
}

/* A header line: every word KEY=VALUE. vcpus, max and workers only before the first sample. */
static int trace_parse_header(Trace *t, char *words) {
        char *save = NULL;

        for (char *w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                char *eq = strchr(w, '=');
                uint64_t v;

                if (!eq)
                        return trace_error(t, "header word '%s' is not KEY=VALUE", w);
                *eq = '\0';
                if (streq(w, "active")) {
                        if (streq(eq + 1, "unknown"))
                                v = 0;
                        else if (!t->has_max)
                                return trace_error(t, "active= needs max= before it");
                        else if (parse_u64(eq + 1, t->max, &v) < 0 || v == 0)
                                return trace_error(
                                                t, "active=%s: expected 1..%u or unknown", eq + 1, t->max);
                        /* After samples, the window so far still had the old count. */
                        if (t->n_samples > 0)
                                t->pending_active = (int) v;
                        else
                                t->active = (unsigned) v;
                        continue;
                }
                if (t->n_samples > 0)
                        return trace_error(t, "%s= after the first sample: only active= may change", w);
                if (streq(w, "vcpus")) {
                        if (t->has_vcpus || parse_u64(eq + 1, VCPUS_MAX, &v) < 0 || v == 0)
                                return trace_error(t, "vcpus=%s: expected 1..%u, once", eq + 1, VCPUS_MAX);
                        t->vcpus = (unsigned) v;
                        t->has_vcpus = true;
                } else if (streq(w, "max")) {
                        if (t->has_max || parse_u64(eq + 1, MULTIQUEUE_PAIRS_MAX, &v) < 0 || v == 0)
                                return trace_error(t, "max=%s: expected 1..%u, once", eq + 1,
                                                MULTIQUEUE_PAIRS_MAX);
                        t->max = (unsigned) v;
                        t->has_max = true;
                } else if (streq(w, "workers")) {
                        if (t->has_workers || parse_u64(eq + 1, MULTIQUEUE_WORKERS_MAX, &v) < 0)
                                return trace_error(t, "workers=%s: expected 0..%u, once", eq + 1,
                                                MULTIQUEUE_WORKERS_MAX);
                        t->workers = (unsigned) v;
                        t->has_workers = true;
                } else if (streq(w, "queues")) {
                        if (t->has_queues || parse_u64(eq + 1, MULTIQUEUE_PAIRS_MAX, &v) < 0)
                                return trace_error(t, "queues=%s: expected 0..%u, once", eq + 1,
                                                MULTIQUEUE_PAIRS_MAX);
                        t->queues = (unsigned) v;
                        t->has_queues = true;
                } else
                        return trace_error(t,
                                        "unknown header key '%s' (vcpus, max, workers, queues, active)", w);
        }
        return 0;
}

/* Reads the next sample into 's' (its worker CPU times, then its guest queue counters, into 'cpu').
 * Returns 1 for a sample, 2 when
 * an active= line came first (in 't->pending_active'; the sample is not read yet: call again), 0 at
 * the end, <0 on error. */
static int trace_next(Trace *t, MultiqueueSample *s, uint64_t *cpu) {
        char buf[LINE_MAX_BYTES + 2];

        while (fgets(buf, sizeof(buf), t->f)) {
                size_t len = strlen(buf);
                char *p = buf, *save = NULL;
                uint64_t v[5];
                unsigned n = 0, want;

                t->line++;
                if (len > 0 && buf[len - 1] == '\n')
                        buf[--len] = '\0';
                else if (!feof(t->f))
                        return trace_error(t, "line longer than %u bytes", LINE_MAX_BYTES);
                if (strlen(buf) != len)
                        return trace_error(t, "NUL byte in the line");

                p += strspn(p, " \t");
                if (*p == '\0')
                        continue;
                if (*p == '#') {
                        size_t first;
                        int r;

                        p++;
                        p += strspn(p, " \t");
                        first = strcspn(p, " \t");
                        if (!memchr(p, '=', first)) {
                                if (t->n_samples == 0 && !arg_summary_only)
                                        (void) printf("#  %s\n", p);
                                continue;
                        }
                        r = trace_parse_header(t, p);
                        if (r < 0)
                                return r;
                        if (t->pending_active >= 0)
                                return 2;
                        continue;
                }

                if (!t->has_vcpus || !t->has_max)
                        return trace_error(t, "a sample before the header '# vcpus=N max=N [workers=N]'");
                if (t->active > t->max)
                        return trace_error(t, "active=%u is above max=%u", t->active, t->max);
                if (t->n_samples >= SAMPLES_MAX)
                        return trace_error(t, "more than %u samples", SAMPLES_MAX);

                want = 5 + t->workers + t->queues;
                for (char *w = strtok_r(p, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                        uint64_t x;
                        int r;

                        if (n >= want)
                                return trace_error(t, "more than %u columns (workers=%u, queues=%u)", want,
                                                t->workers, t->queues);
                        r = parse_u64(w, UINT64_MAX, &x);
                        if (r == -ERANGE)
                                return trace_error(t, "column %u: '%.32s' does not fit 64 bits", n + 1, w);
                        if (r < 0)
                                return trace_error(
                                                t, "column %u: '%.32s' is not a decimal number", n + 1, w);
                        if (n < 5)
                                v[n] = x;
                        else
                                cpu[n - 5] = x;
                        n++;
                }
                if (n < want)
                        return trace_error(t,
                                        "%u columns, expected %u (time, rx/tx packets, rx/tx bytes, "
                                        "workers=%u, queues=%u)",
                                        n, want, t->workers, t->queues);
                if (t->n_samples > 0 && v[0] <= t->last_time)
                        return trace_error(t, "time %" PRIu64 " is not after the previous sample's %" PRIu64,
                                        v[0], t->last_time);

                *s = (MultiqueueSample){
                                .time_usec = v[0],
                                .rx_packets = v[1],
                                .tx_packets = v[2],
                                .rx_bytes = v[3],
                                .tx_bytes = v[4],
                                .n_workers = t->workers,
                                .worker_cpu_usec = cpu,
                                .n_queues = arg_no_guest_queues ? 0 : t->queues,
                                .queue_packets = cpu + t->workers,
                                .queue_time_usec = v[0],
                };
                t->last_time = v[0];
                t->n_samples++;
                return 1;
        }
        if (ferror(t->f))
                return trace_error(t, "read error: %s", strerror(errno));
        return 0;
}

/* What the replay adds up, for ours and the two static choices. */
typedef struct Choice {
        uint64_t usec_at[MULTIQUEUE_PAIRS_MAX + 1];
        uint64_t pair_usec; /* pairs x time: what the choice costs in queues */
        unsigned over_high; /* windows where the load spread over its pairs is above the high mark */
} Choice;

typedef struct Replay {
        MultiqueueSample samples[MULTIQUEUE_SAMPLES_MAX];
        uint64_t *cpu; /* MULTIQUEUE_SAMPLES_MAX rows of 'workers' CPU times, then 'queues' counters */
        size_t n;
        MultiqueueState state;
        unsigned windows, changes;
        uint64_t start, span;
        Choice ours, one, cap;
} Replay;

static Replay *replay_free(Replay *rp) {
        if (rp)
                free(rp->cpu);
        return mfree(rp);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Replay *, replay_free);

static void choice_add(Choice *c, unsigned pairs, const MultiqueueDecision *d) {
        const MultiqueueLoad *l = &d->load;

        c->usec_at[pairs] += l->span_usec;
        c->pair_usec += (uint64_t) pairs * l->span_usec;
        /* Projected with an even spread; a worker at 100% hides load beyond it. */
        if (l->packet_usec > 0 && l->load_total / pairs > arg_config.worker_busy_high_percent / 100.0)
                c->over_high++;
}

static const char *human(double v, char buf[static 16]) {
        if (v >= 1e9)
                (void) snprintf(buf, 16, "%.1fG", v / 1e9);
        else if (v >= 1e6)
                (void) snprintf(buf, 16, "%.1fM", v / 1e6);
        else if (v >= 1e4)
                (void) snprintf(buf, 16, "%.0fk", v / 1e3);
        else
                (void) snprintf(buf, 16, "%.0f", v);
        return buf;
}

/* The numbers a sample carries after its five counters. */
static size_t row_width(const Trace *t) {
        return (size_t) t->workers + t->queues;
}

static int replay_window(Replay *rp, const Trace *t) {
        MultiqueueDecision d;
        char b1[16], b2[16], b3[16];
        int r;

        if (rp->n < 2)
                return 0;
        r = multiqueue_decide(
                        &(MultiqueueInput){
                                        .samples = rp->samples,
                                        .n_samples = rp->n,
                                        .vcpus = t->vcpus,
                                        .max_pairs = t->max,
                                        .active_pairs = t->active,
                                        .state = rp->state,
                        },
                        &arg_config, &d);
        if (r < 0) {
                (void) fprintf(stderr, "%s:%u: the policy refused the window ending here: %s\n", t->path,
                                t->line, strerror(-r));
                return r;
        }

        rp->windows++;
        rp->changes += d.changed;
        rp->span += d.load.span_usec;
        /* A window counts for the recommendation in force during it: the one made at the end of the
         * window before (for the first, where the policy starts: the active pairs, else the cap). */
        choice_add(&rp->ours,
                        rp->state.pairs > 0 ? rp->state.pairs
                                            : MIN(t->active > 0 ? t->active : d.static_cap, d.static_cap),
                        &d);
        choice_add(&rp->one, d.static_one, &d);
        choice_add(&rp->cap, d.static_cap, &d);
        rp->state = d.state;

        if (!arg_summary_only) {
                char busy[16] = "-", sum[16] = "-", active[16] = "?";

                if (d.load.has_workers) {
                        (void) snprintf(busy, sizeof(busy), "%.0f%%", d.load.worker_busy_max * 100);
                        (void) snprintf(sum, sizeof(sum), "%.2f", d.load.worker_busy_sum);
                }
                if (t->active > 0)
                        (void) snprintf(active, sizeof(active), "%u", t->active);
                (void) printf("%8.1f %7s %7s %7s %5s %5s %6s %4u%s %3u %3u  %-12s %s\n",
                                (double) (rp->samples[rp->n - 1].time_usec - rp->start) / USEC_PER_SEC,
                                human(d.load.packet_rate, b1), human(d.load.byte_rate, b2),
                                human(d.load.avg_frame, b3), busy, sum, active, d.pairs,
                                d.changed ? "*" : " ", d.static_one, d.static_cap,
                                multiqueue_rule_to_string(d.rule), d.reason);
        }

        /* The next window starts at this one's last sample. */
        memcpy(rp->cpu, rp->cpu + (rp->n - 1) * row_width(t), row_width(t) * sizeof(uint64_t));
        rp->samples[0] = rp->samples[rp->n - 1];
        rp->samples[0].worker_cpu_usec = rp->cpu;
        rp->samples[0].queue_packets = rp->cpu + t->workers;
        rp->n = 1;
        return 0;
}

static void print_summary(const Replay *rp, const Trace *t) {
        const Choice *choices[] = {&rp->ours, &rp->one, &rp->cap};
        double span = rp->span > 0 ? (double) rp->span : 1;

        (void) printf("summary: %u window%s, %.0f s, ours changed %u %s; static choices 1 and min(vCPUs %u, "
                      "max %u) = %u\n",
                        rp->windows, rp->windows == 1 ? "" : "s", (double) rp->span / USEC_PER_SEC,
                        rp->changes, rp->changes == 1 ? "time" : "times", t->vcpus, t->max,
                        MIN(t->vcpus, t->max));
        (void) printf("  %-28s %10s %10s %10s\n", "", "ours", "static 1", "static cap");
        for (unsigned p = 1; p <= MULTIQUEUE_PAIRS_MAX; p++) {
                char label[32];

                if (rp->ours.usec_at[p] == 0 && rp->one.usec_at[p] == 0 && rp->cap.usec_at[p] == 0)
                        continue;
                (void) snprintf(label, sizeof(label), "time at %u %s", p, p == 1 ? "pair" : "pairs");
                (void) printf("  %-28s", label);
                for (size_t i = 0; i < ELEMENTSOF(choices); i++)
                        (void) printf(" %8.0f s", (double) choices[i]->usec_at[p] / USEC_PER_SEC);
                (void) printf("\n");
        }
        (void) printf("  %-28s", "mean pairs");
        for (size_t i = 0; i < ELEMENTSOF(choices); i++)
                (void) printf(" %10.2f", (double) choices[i]->pair_usec / span);
        (void) printf("\n  %-28s", "windows over the high mark");
        for (size_t i = 0; i < ELEMENTSOF(choices); i++)
                (void) printf(" %10u", choices[i]->over_high);
        (void) printf("\n  (windows over the high mark: the window's load spread evenly over the choice's "
                      "pairs;\n   a worker at 100%% hides load beyond it, so the static choices' figures "
                      "are a floor)\n");
}

static int replay_file(const char *path) {
        _cleanup_(replay_freep) Replay *rp = NULL;
        _cleanup_free_ uint64_t *cpu_next = NULL;
        Trace t = {.path = path, .pending_active = -1};
        bool header_printed = false;
        int r;

        t.f = fopen(path, "re");
        if (!t.f) {
                r = -errno;
                (void) fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r;
        }

        rp = new0(Replay, 1);
        cpu_next = new0(uint64_t, MULTIQUEUE_WORKERS_MAX + MULTIQUEUE_PAIRS_MAX);
        if (!rp || !cpu_next) {
                (void) fclose(t.f);
                return -ENOMEM;
        }

        if (!arg_summary_only)
                (void) printf("== %s\n", path);
        for (;;) {
                MultiqueueSample s;

                r = trace_next(&t, &s, cpu_next);
                if (r < 0)
                        break;
                if (r == 0) {
                        r = replay_window(rp, &t);
                        break;
                }
                if (r == 2) {
                        /* The guest's active pairs changed: the window so far had the old count. */
                        r = replay_window(rp, &t);
                        if (r < 0)
                                break;
                        t.active = (unsigned) t.pending_active;
                        t.pending_active = -1;
                        continue;
                }

                if (!rp->cpu) {
                        rp->cpu = new0(uint64_t, (size_t) MULTIQUEUE_SAMPLES_MAX * MAX(row_width(&t), 1u));
                        if (!rp->cpu) {
                                r = -ENOMEM;
                                break;
                        }
                        rp->start = s.time_usec;
                }
                if (!header_printed && !arg_summary_only) {
                        char active[16] = "unknown";

                        if (t.active > 0)
                                (void) snprintf(active, sizeof(active), "%u", t.active);
                        (void) printf("vcpus %u, max %u, workers %u, guest queues %u, active %s, window "
                                      "%.0f "
                                      "s\n",
                                        t.vcpus, t.max, t.workers, t.queues, active,
                                        (double) arg_window_usec / USEC_PER_SEC);
                        (void) printf("%8s %7s %7s %7s %5s %5s %6s %5s %3s %3s  %-12s %s\n", "time s",
                                        "pkt/s", "B/s", "frame", "busy", "sum", "active", "ours", "1", "cap",
                                        "rule", "reason");
                        header_printed = true;
                }

                memcpy(rp->cpu + rp->n * row_width(&t), cpu_next, row_width(&t) * sizeof(uint64_t));
                s.worker_cpu_usec = rp->cpu + rp->n * row_width(&t);
                s.queue_packets = s.worker_cpu_usec + t.workers;
                rp->samples[rp->n++] = s;

                if (s.time_usec - rp->samples[0].time_usec >= arg_window_usec ||
                                rp->n == MULTIQUEUE_SAMPLES_MAX) {
                        r = replay_window(rp, &t);
                        if (r < 0)
                                break;
                }
        }
        (void) fclose(t.f);
        if (r < 0)
                return r;
        if (t.n_samples == 0) {
                (void) fprintf(stderr, "%s: no samples\n", path);
                return -EINVAL;
        }
        if (arg_summary_only)
                (void) printf("== %s\n", path);
        print_summary(rp, &t);
        return 0;
}

static void help(void) {
        (void) printf("mq-replay [OPTIONS] TRACE...\n\n"
                      "Replays multiqueue signal traces through the multiqueue policy and prints its\n"
                      "decisions next to the static choices 1 and min(vCPUs, max).\n\n"
                      "  -w --window SEC     seconds per decision window (default 10, 1..%u)\n"
                      "  -s --set KEY=VALUE  a multiqueue threshold, as in vnicd.conf(5) [Manager]:\n"
                      "                      MultiqueueIdlePacketRate=, MultiqueueWorkerBusyHighPercent=,\n"
                      "                      MultiqueueWorkerBusyLowPercent=, MultiqueueLargeFrameBytes=,\n"
                      "                      MultiqueuePacketRatePerPair=, MultiqueueHoldDownSec=\n"
                      "  -S --summary        only the summary of each trace\n"
                      "  -G --no-guest-queues  leave the guest's per-queue counters (queues=) out, as a\n"
                      "                      NIC without MultiqueueGuestStats=yes\n"
                      "  -h --help\n",
                        WINDOW_SEC_MAX);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                        {"window", required_argument, NULL, 'w'},
                        {"set", required_argument, NULL, 's'},
                        {"summary", no_argument, NULL, 'S'},
                        {"no-guest-queues", no_argument, NULL, 'G'},
                        {"help", no_argument, NULL, 'h'},
                        {},
        };
        _cleanup_free_ char *error = NULL;
        uint64_t v;
        int c, r, failed = 0;

        arg_config = multiqueue_config_defaults();
        opterr = 0;
        while ((c = getopt_long(argc, argv, "w:s:SGh", options, NULL)) >= 0)
                switch (c) {
                case 'w':
                        if (parse_u64(optarg, WINDOW_SEC_MAX, &v) < 0 || v == 0) {
                                (void) fprintf(stderr, "mq-replay: --window %s: expected 1..%u seconds\n",
                                                optarg, WINDOW_SEC_MAX);
                                return 2;
                        }
                        arg_window_usec = v * USEC_PER_SEC;
                        break;
                case 's':
                        /* vnicd.conf's own parser: the same keys, bounds and messages. */
                        r = config_set_multiqueue(&arg_config, optarg, "mq-replay: --set", &error);
                        if (r < 0) {
                                (void) fprintf(stderr, "%s\n", error ?: "mq-replay: --set: out of memory");
                                return 2;
                        }
                        break;
                case 'S':
                        arg_summary_only = true;
                        break;
                case 'G':
                        arg_no_guest_queues = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        (void) fprintf(stderr, "mq-replay: bad option '%s' (--help)\n", argv[optind - 1]);
                        return 2;
                }
        if (optind >= argc) {
                (void) fprintf(stderr, "mq-replay: no trace given (--help)\n");
                return 2;
        }
        /* Once every --set is made, as vnicd checks a file once it is read. */
        if (multiqueue_config_verify(&arg_config, &error) < 0) {
                (void) fprintf(stderr, "mq-replay: --set: %s\n", error ?: "out of memory");
                return 2;
        }

        for (int i = optind; i < argc; i++) {
                if (i > optind)
                        (void) printf("\n");
                if (replay_file(argv[i]) < 0)
                        failed = 1;
        }
        return failed;
}
