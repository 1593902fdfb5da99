/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "placement.h"

#define LIST_MAX  40 /* a CPU list in a reason, with the NUL; longer ones are cut at a comma */
#define LABEL_MAX 96
#define AVOID_MAX 4 /* reserved, isolated, a guest's own vCPUs, pinned vCPUs */

static const char *const placement_rule_table[_PLACEMENT_RULE_MAX] = {
                [PLACEMENT_RULE_PREFERRED] = "preferred",
                [PLACEMENT_RULE_ALLOW_PINNED_VCPUS] = "allow-pinned-vcpus",
                [PLACEMENT_RULE_SHARE_OWN_VCPUS] = "share-own-vcpus",
                [PLACEMENT_RULE_ALLOW_ISOLATED] = "allow-isolated",
                [PLACEMENT_RULE_OTHER_NODES] = "other-nodes",
                [PLACEMENT_RULE_ALL_RESERVED] = "all-reserved",
                [PLACEMENT_RULE_MANAGED] = "managed",
};

const char *placement_rule_to_string(PlacementRule r) {
        if (r < 0 || r >= _PLACEMENT_RULE_MAX)
                return NULL;
        return placement_rule_table[r];
}

/* A CPU set the way a reason shows it: "none", or its list, cut after the last whole item that fits
 * with "..." so a 256-CPU host does not push the rest of the reason out. */
static const char *list(const CpuSet *s, char buf[static LIST_MAX]) {
        char *comma;

        if (cpu_set_is_empty(s))
                return "none";
        if (cpu_set_format(s, buf, LIST_MAX) < LIST_MAX)
                return buf;
        buf[LIST_MAX - 4] = 0;
        comma = strrchr(buf, ',');
        strcpy(comma ? comma + 1 : buf, "...");
        return buf;
}

_printf_(3, 4) static void append(char *buf, size_t size, const char *format, ...) {
        size_t len = strlen(buf);
        va_list ap;

        if (len + 1 >= size)
                return;
        va_start(ap, format);
        (void) vsnprintf(buf + len, size - len, format, ap);
        va_end(ap);
}

/* Where every placement starts: the online CPUs of the uplink's node, or all online CPUs. */
typedef struct Base {
        CpuSet cpus;
        bool on_node; /* false: the node is unknown or has no online CPU */
        char what[LABEL_MAX + LIST_MAX];
} Base;

static void base_init(const PlacementFacts *f, Base *ret) {
        char l[LIST_MAX];

        ret->cpus = f->node_cpus;
        cpu_set_intersect(&ret->cpus, &f->online);
        ret->on_node = f->numa_node >= 0 && !cpu_set_is_empty(&ret->cpus);
        if (ret->on_node) {
                (void) snprintf(ret->what, sizeof(ret->what), "node %d CPUs %s", f->numa_node,
                                list(&ret->cpus, l));
                return;
        }

        ret->cpus = f->online;
        if (f->numa_node >= 0)
                (void) snprintf(ret->what, sizeof(ret->what),
                                "node %d has no online CPU, so all online CPUs %s", f->numa_node,
                                list(&ret->cpus, l));
        else
                (void) snprintf(ret->what, sizeof(ret->what),
                                "no NUMA node known for %s, so all online CPUs %s",
                                f->uplink ?: "the uplink", list(&ret->cpus, l));
}

/* A set of CPUs to stay off, from the most binding (reserved, never given back) to the least. */
typedef struct Avoid {
        char label[LABEL_MAX]; /* "isolated": "minus isolated (3)" */
        CpuSet cpus;
        PlacementRule rule_without;  /* the rule once this and every later set are given back */
        char giving_back[LABEL_MAX]; /* "allowing isolated CPUs" */
} Avoid;

/* The candidates within 'base' (described by 'what'): 'base' minus every set in 'avoid', and while
 * that is empty the same with the least binding sets given back one by one; avoid[0], the reserved
 * CPUs, is never given back. Appends the chain to 'reason' ("node 1 CPUs 2-3 minus isolated (2) →
 * 3"). Returns the rule that gave the candidates, or _PLACEMENT_RULE_INVALID (and 'ret' untouched)
 * when the base has no unreserved CPU. 1 <= 'n_avoid' <= AVOID_MAX. */
static PlacementRule chain(const CpuSet *base, const char *what, const Avoid *avoid, size_t n_avoid,
                CpuSet *ret, char *reason, size_t size) {
        CpuSet keep[AVOID_MAX + 1]; /* keep[k]: the base minus avoid[0..k-1] */
        char l[LIST_MAX];
        bool first = true;

        append(reason, size, "%s", what);
        keep[0] = *base;
        for (size_t k = 0; k < n_avoid; k++) {
                CpuSet removed = keep[k];

                cpu_set_intersect(&removed, &avoid[k].cpus);
                keep[k + 1] = keep[k];
                cpu_set_subtract(&keep[k + 1], &removed);
                if (cpu_set_is_empty(&removed))
                        continue;
                append(reason, size, "%s%s (%s)", first ? " minus " : ", ", avoid[k].label,
                                list(&removed, l));
                first = false;
        }
        if (!first)
                append(reason, size, " → %s", list(&keep[n_avoid], l));
        if (!cpu_set_is_empty(&keep[n_avoid])) {
                *ret = keep[n_avoid];
                return PLACEMENT_RULE_PREFERRED;
        }

        /* Give back from the least binding; a set that took nothing away changes nothing. */
        for (size_t k = n_avoid - 1; k >= 1; k--) {
                if (cpu_set_equal(&keep[k], &keep[k + 1]))
                        continue;
                append(reason, size, "; %s → %s", avoid[k].giving_back, list(&keep[k], l));
                if (!cpu_set_is_empty(&keep[k])) {
                        *ret = keep[k];
                        return avoid[k].rule_without;
                }
        }
        return _PLACEMENT_RULE_INVALID;
}

/* The candidates on the node (chain()), else on the other nodes, avoiding the same CPUs there as far
 * as possible, else none: every online CPU is reserved. Empty candidates only with
 * PLACEMENT_RULE_ALL_RESERVED. */
static PlacementRule choose(const PlacementFacts *f, const Base *b, const Avoid *avoid, size_t n_avoid,
                CpuSet *ret, char *reason, size_t size) {
        CpuSet unreserved = f->online;
        PlacementRule rule;

        rule = chain(&b->cpus, b->what, avoid, n_avoid, ret, reason, size);
        if (rule >= 0)
                return rule;

        cpu_set_subtract(&unreserved, &avoid[0].cpus);
        if (b->on_node && !cpu_set_is_empty(&unreserved)) {
                char what[LABEL_MAX + LIST_MAX], l[LIST_MAX];

                (void) snprintf(what, sizeof(what), "; no unreserved CPU on node %d, so all online CPUs %s",
                                f->numa_node, list(&f->online, l));
                rule = chain(&f->online, what, avoid, n_avoid, ret, reason, size);
                if (rule >= 0)
                        return PLACEMENT_RULE_OTHER_NODES;
        }

        append(reason, size, "; every online CPU is reserved: left as it is");
        *ret = (CpuSet){};
        return PLACEMENT_RULE_ALL_RESERVED;
}

static void avoid_set(Avoid *a, const CpuSet *cpus, PlacementRule rule_without, const char *giving_back,
                const char *label_format, ...) _printf_(5, 6);

static void avoid_set(Avoid *a, const CpuSet *cpus, PlacementRule rule_without, const char *giving_back,
                const char *label_format, ...) {
        va_list ap;

        va_start(ap, label_format);
        (void) vsnprintf(a->label, sizeof(a->label), label_format, ap);
        va_end(ap);
        a->cpus = *cpus;
        a->rule_without = rule_without;
        (void) snprintf(a->giving_back, sizeof(a->giving_back), "%s", giving_back);
}

static const char *ordinal_suffix(size_t n) {
        if (n % 100 >= 11 && n % 100 <= 13)
                return "th";
        switch (n % 10) {
        case 1:
                return "st";
        case 2:
                return "nd";
        case 3:
                return "rd";
        default:
                return "th";
        }
}

static void place_irqs(const PlacementFacts *f, const Base *b, PlacementDecision *ret) {
        char reason[PLACEMENT_REASON_MAX] = "";
        size_t n_placed = 0, n_spread = 0;
        Avoid avoid[3];
        PlacementRule rule;
        CpuSet cpus;

        for (size_t i = 0; i < f->n_irqs; i++)
                if (!f->irqs[i].managed)
                        n_spread++;

        avoid_set(&avoid[0], &f->reserved, _PLACEMENT_RULE_INVALID, "", "reserved");
        avoid_set(&avoid[1], &f->isolated, PLACEMENT_RULE_ALLOW_ISOLATED, "allowing isolated CPUs",
                        "isolated");
        avoid_set(&avoid[2], &f->pinned_vcpus, PLACEMENT_RULE_ALLOW_PINNED_VCPUS,
                        "allowing CPUs of pinned vCPUs", "pinned vCPUs");
        /* All IRQs that are not managed share one candidate set: decide it once. */
        rule = choose(f, b, avoid, ELEMENTSOF(avoid), &cpus, reason, sizeof(reason));

        ret->n_irqs = f->n_irqs;
        for (size_t i = 0; i < f->n_irqs; i++) {
                const PlacementIrq *irq = &f->irqs[i];
                IrqPlacement *p = &ret->irqs[i];
                int cpu;

                *p = (IrqPlacement){.irq = irq->irq};
                if (irq->managed) {
                        p->rule = PLACEMENT_RULE_MANAGED;
                        (void) snprintf(p->reason, sizeof(p->reason),
                                        "%s%smanaged by the kernel (affinity writes fail with EIO): "
                                        "left as it is",
                                        strempty(irq->name), irq->name ? " is " : "");
                        continue;
                }

                p->rule = rule;
                (void) snprintf(p->reason, sizeof(p->reason), "%s", reason);
                if (rule == PLACEMENT_RULE_ALL_RESERVED)
                        continue;

                /* One IRQ per CPU, wrapping around when there are more IRQs than candidates. */
                cpu = cpu_set_nth(&cpus, n_placed % cpu_set_count(&cpus));
                (void) cpu_set_add(&p->cpus, (unsigned) cpu);
                n_placed++;
                append(p->reason, sizeof(p->reason), "; round robin, %zu%s of %zu: CPU %d", n_placed,
                                ordinal_suffix(n_placed), n_spread, cpu);
        }
}

static void place_workers(const PlacementFacts *f, const Base *b, PlacementDecision *ret) {
        ret->n_workers = 0;
        for (size_t g = 0; g < f->n_guests; g++) {
                const PlacementGuest *guest = &f->guests[g];
                char reason[PLACEMENT_REASON_MAX] = "";
                CpuSet own = guest->vcpus, others = f->pinned_vcpus, floating = f->online, cpus;
                Avoid avoid[AVOID_MAX];
                size_t n_avoid = 0;
                PlacementRule rule;

                if (guest->n_workers == 0)
                        continue;

                cpu_set_intersect(&own, &f->online);
                cpu_set_subtract(&floating, &guest->vcpus);
                if (cpu_set_is_empty(&own))
                        append(reason, sizeof(reason), "no online CPU known for the vCPUs of %s; ",
                                        guest->name);
                else if (cpu_set_is_empty(&floating)) {
                        /* vCPUs that may run anywhere cannot be avoided; the other guests' still can. */
                        append(reason, sizeof(reason),
                                        "vCPUs of %s are not pinned (they may run on every online CPU), "
                                        "so its vhost workers cannot avoid them; ",
                                        guest->name);
                        own = (CpuSet){};
                }
                cpu_set_subtract(&others, &own);

                avoid_set(&avoid[n_avoid++], &f->reserved, _PLACEMENT_RULE_INVALID, "", "reserved");
                avoid_set(&avoid[n_avoid++], &f->isolated, PLACEMENT_RULE_ALLOW_ISOLATED,
                                "allowing isolated CPUs", "isolated");
                if (!cpu_set_is_empty(&own))
                        avoid_set(&avoid[n_avoid++], &own, PLACEMENT_RULE_SHARE_OWN_VCPUS,
                                        "sharing its own vCPUs", "vCPUs of %s", guest->name);
                avoid_set(&avoid[n_avoid++], &others, PLACEMENT_RULE_ALLOW_PINNED_VCPUS,
                                "allowing other guests' pinned vCPUs", "other guests' pinned vCPUs");
                rule = choose(f, b, avoid, n_avoid, &cpus, reason, sizeof(reason));

                for (size_t w = 0; w < guest->n_workers; w++) {
                        WorkerPlacement *p = &ret->workers[ret->n_workers++];

                        *p = (WorkerPlacement){
                                        .tid = guest->workers[w], .guest = g, .rule = rule, .cpus = cpus};
                        (void) snprintf(p->reason, sizeof(p->reason), "%s", reason);
                }
        }
}

int placement_decide(const PlacementFacts *f, PlacementDecision *ret) {
        size_t n_workers = 0;
        Base b;

        if (!f || !ret || cpu_set_is_empty(&f->online))
                return -EINVAL;
        if ((f->n_irqs > 0 && !f->irqs) || (f->n_guests > 0 && !f->guests))
                return -EINVAL;
        if (f->n_irqs > PLACEMENT_IRQS_MAX || f->n_guests > PLACEMENT_GUESTS_MAX)
                return -E2BIG;
        for (size_t g = 0; g < f->n_guests; g++) {
                const PlacementGuest *guest = &f->guests[g];

                if (!guest->name || (guest->n_workers > 0 && !guest->workers))
                        return -EINVAL;
                /* Compared one guest at a time, so the sum cannot overflow. */
                if (guest->n_workers > PLACEMENT_WORKERS_MAX - n_workers)
                        return -E2BIG;
                n_workers += guest->n_workers;
        }

        /* Everything is checked: from here on 'ret' is written and nothing fails. */
        base_init(f, &b);
        place_irqs(f, &b, ret);
        place_workers(f, &b, ret);
        return 0;
}
