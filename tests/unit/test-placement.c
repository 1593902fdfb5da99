/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cpu-set.h"
#include "macro.h"
#include "placement.h"

/* The host of the kernel-VM tier unless a case says otherwise: 4 CPUs, node 0 = 0-1, node 1 = 2-3,
 * the uplink eth1 on node 1. */

#define CASE_IRQS_MAX   6
#define CASE_GUESTS_MAX 3

typedef struct Expect {
        const char *cpus;
        PlacementRule rule;
        const char *reason;
} Expect;

typedef struct GuestCase {
        const char *name;
        const char *vcpus;
        size_t n_workers;
        Expect expect; /* for each of its workers */
} GuestCase;

typedef struct Case {
        const char *name;
        const char *online; /* NULL: "0-3" */
        const char *reserved, *isolated, *pinned;
        int node;              /* 0 is taken as 1, the usual node; -1 (NO_NODE) for none */
        const char *node_cpus; /* NULL: "2-3" */
        size_t n_irqs;
        unsigned managed; /* bit i: IRQ i is managed */
        Expect irqs[CASE_IRQS_MAX];
        GuestCase guests[CASE_GUESTS_MAX];
} Case;

#define NO_NODE (-1)

static const Case cases[] = {
                {.name = "nothing to avoid",
                                .pinned = "0",
                                .n_irqs = 2,
                                .irqs = {{"2", PLACEMENT_RULE_PREFERRED,
                                                         "node 1 CPUs 2-3; round robin, 1st of 2: CPU 2"},
                                                {"3", PLACEMENT_RULE_PREFERRED,
                                                                "node 1 CPUs 2-3; round robin, 2nd of 2: "
                                                                "CPU 3"}},
                                .guests = {{"web1", "0", 2,
                                                {"2-3", PLACEMENT_RULE_PREFERRED, "node 1 CPUs 2-3"}}}},
                {.name = "pinned vCPUs on the node",
                                .pinned = "3",
                                .n_irqs = 2,
                                .irqs = {{"2", PLACEMENT_RULE_PREFERRED,
                                                         "node 1 CPUs 2-3 minus pinned vCPUs (3) → 2; round "
                                                         "robin, 1st "
                                                         "of 2: CPU 2"},
                                                {"2", PLACEMENT_RULE_PREFERRED,
                                                                "node 1 CPUs 2-3 minus pinned vCPUs (3) → "
                                                                "2; round robin, "
                                                                "2nd of 2: CPU 2"}},
                                .guests = {{"web1", "3", 1,
                                                {"2", PLACEMENT_RULE_PREFERRED,
                                                                "node 1 CPUs 2-3 minus vCPUs of web1 (3) → "
                                                                "2"}}}},
                {.name = "all node CPUs taken by pinned vCPUs",
                                .pinned = "0,2-3",
                                .n_irqs = 1,
                                .irqs = {{"2", PLACEMENT_RULE_ALLOW_PINNED_VCPUS,
                                                "node 1 CPUs 2-3 minus pinned vCPUs (2-3) → none; allowing "
                                                "CPUs of pinned "
                                                "vCPUs → 2-3; round robin, 1st of 1: CPU 2"}},
                                .guests = {{"web1", "2", 1,
                                                           {"3", PLACEMENT_RULE_ALLOW_PINNED_VCPUS,
                                                                           "node 1 CPUs 2-3 minus vCPUs of "
                                                                           "web1 (2), other "
                                                                           "guests' pinned vCPUs (3) → "
                                                                           "none; allowing other "
                                                                           "guests' pinned vCPUs → 3"}},
                                                {"web2", "3", 2,
                                                                {"2", PLACEMENT_RULE_ALLOW_PINNED_VCPUS,
                                                                                "node 1 CPUs 2-3 minus "
                                                                                "vCPUs of web2 (3), "
                                                                                "other guests' pinned vCPUs "
                                                                                "(2) → none; "
                                                                                "allowing other guests' "
                                                                                "pinned vCPUs → 2"}},
                                                {"db1", "0", 1,
                                                                {"2-3", PLACEMENT_RULE_ALLOW_PINNED_VCPUS,
                                                                                "node 1 CPUs 2-3 minus "
                                                                                "other guests' pinned "
                                                                                "vCPUs (2-3) → none; "
                                                                                "allowing other guests' "
                                                                                "pinned vCPUs → 2-3"}}}},
                {.name = "a guest's own vCPUs cover the node",
                                .pinned = "2-3",
                                .guests = {{"web1", "2-3", 2,
                                                {"2-3", PLACEMENT_RULE_SHARE_OWN_VCPUS,
                                                                "node 1 CPUs 2-3 minus vCPUs of web1 (2-3) "
                                                                "→ none; sharing "
                                                                "its own vCPUs → 2-3"}}}},
                {.name = "no NUMA node",
                                .node = NO_NODE,
                                .pinned = "1",
                                .n_irqs = 3,
                                .irqs = {{"0", PLACEMENT_RULE_PREFERRED,
                                                         "no NUMA node known for eth1, so all online CPUs "
                                                         "0-3 minus pinned "
                                                         "vCPUs (1) → 0,2-3; round robin, 1st of 3: CPU 0"},
                                                {"2", PLACEMENT_RULE_PREFERRED,
                                                                "no NUMA node known for eth1, so all online "
                                                                "CPUs 0-3 minus "
                                                                "pinned vCPUs (1) → 0,2-3; round robin, 2nd "
                                                                "of 3: CPU 2"},
                                                {"3", PLACEMENT_RULE_PREFERRED,
                                                                "no NUMA node known for eth1, so all online "
                                                                "CPUs 0-3 minus "
                                                                "pinned vCPUs (1) → 0,2-3; round robin, 3rd "
                                                                "of 3: CPU 3"}},
                                .guests = {{"web1", "1", 1,
                                                {"0,2-3", PLACEMENT_RULE_PREFERRED,
                                                                "no NUMA node known for eth1, so all online "
                                                                "CPUs 0-3 minus "
                                                                "vCPUs of web1 (1) → 0,2-3"}}}},
                {.name = "no NUMA node, everything pinned",
                                .node = NO_NODE,
                                .pinned = "0-3",
                                .n_irqs = 1,
                                .irqs = {{"0", PLACEMENT_RULE_ALLOW_PINNED_VCPUS,
                                                "no NUMA node known for eth1, so all online CPUs 0-3 minus "
                                                "pinned vCPUs "
                                                "(0-3) → none; allowing CPUs of pinned vCPUs → 0-3; round "
                                                "robin, 1st of "
                                                "1: CPU 0"}}},
                {.name = "node without online CPUs",
                                .node = 2,
                                .node_cpus = "4-5",
                                .n_irqs = 1,
                                .irqs = {{"0", PLACEMENT_RULE_PREFERRED,
                                                "node 2 has no online CPU, so all online CPUs 0-3; round "
                                                "robin, 1st of "
                                                "1: CPU 0"}}},
                {.name = "offline CPUs of the node are not used",
                                .online = "0-2",
                                .n_irqs = 2,
                                .irqs = {{"2", PLACEMENT_RULE_PREFERRED,
                                                         "node 1 CPUs 2; round robin, 1st of 2: CPU 2"},
                                                {"2", PLACEMENT_RULE_PREFERRED,
                                                                "node 1 CPUs 2; round robin, 2nd of 2: CPU "
                                                                "2"}}},
                {.name = "reserved CPUs",
                                .reserved = "0,2",
                                .n_irqs = 2,
                                .irqs = {{"3", PLACEMENT_RULE_PREFERRED,
                                                         "node 1 CPUs 2-3 minus reserved (2) → 3; round "
                                                         "robin, 1st of 2: "
                                                         "CPU 3"},
                                                {"3", PLACEMENT_RULE_PREFERRED,
                                                                "node 1 CPUs 2-3 minus reserved (2) → 3; "
                                                                "round robin, 2nd of "
                                                                "2: CPU 3"}},
                                .guests = {{"web1", "0", 1,
                                                {"3", PLACEMENT_RULE_PREFERRED,
                                                                "node 1 CPUs 2-3 minus reserved (2) → 3"}}}},
                {.name = "isolated CPUs",
                                .isolated = "1-2",
                                .n_irqs = 1,
                                .irqs = {{"3", PLACEMENT_RULE_PREFERRED,
                                                "node 1 CPUs 2-3 minus isolated (2) → 3; round robin, 1st "
                                                "of 1: CPU 3"}},
                                .guests = {{"web1", "0", 1,
                                                {"3", PLACEMENT_RULE_PREFERRED,
                                                                "node 1 CPUs 2-3 minus isolated (2) → 3"}}}},
                {.name = "reserved and isolated fill the node",
                                .reserved = "2",
                                .isolated = "3",
                                .pinned = "3",
                                .n_irqs = 1,
                                .irqs = {{"3", PLACEMENT_RULE_ALLOW_ISOLATED,
                                                "node 1 CPUs 2-3 minus reserved (2), isolated (3) → none; "
                                                "allowing isolated "
                                                "CPUs → 3; round robin, 1st of 1: CPU 3"}},
                                .guests = {{"web1", "3", 1,
                                                {"3", PLACEMENT_RULE_ALLOW_ISOLATED,
                                                                "node 1 CPUs 2-3 minus reserved (2), "
                                                                "isolated (3) → none; "
                                                                "allowing isolated CPUs → 3"}}}},
                {.name = "isolated and pinned fill the node",
                                .isolated = "2",
                                .pinned = "3",
                                .n_irqs = 1,
                                .irqs = {{"3", PLACEMENT_RULE_ALLOW_PINNED_VCPUS,
                                                "node 1 CPUs 2-3 minus isolated (2), pinned vCPUs (3) → "
                                                "none; allowing CPUs "
                                                "of pinned vCPUs → 3; round robin, 1st of 1: CPU 3"}}},
                {.name = "the whole node reserved",
                                .reserved = "2-3",
                                .pinned = "0",
                                .n_irqs = 2,
                                .irqs = {{"1", PLACEMENT_RULE_OTHER_NODES,
                                                         "node 1 CPUs 2-3 minus reserved (2-3) → none; no "
                                                         "unreserved CPU on "
                                                         "node 1, so all online CPUs 0-3 minus reserved "
                                                         "(2-3), pinned vCPUs "
                                                         "(0) → 1; round robin, 1st of 2: CPU 1"},
                                                {"1", PLACEMENT_RULE_OTHER_NODES,
                                                                "node 1 CPUs 2-3 minus reserved (2-3) → "
                                                                "none; no unreserved "
                                                                "CPU on node 1, so all online CPUs 0-3 "
                                                                "minus reserved (2-3), "
                                                                "pinned vCPUs (0) → 1; round robin, 2nd of "
                                                                "2: CPU 1"}},
                                .guests = {{"web1", "0", 1,
                                                {"1", PLACEMENT_RULE_OTHER_NODES,
                                                                "node 1 CPUs 2-3 minus reserved (2-3) → "
                                                                "none; no unreserved CPU "
                                                                "on node 1, so all online CPUs 0-3 minus "
                                                                "reserved (2-3), vCPUs "
                                                                "of web1 (0) → 1"}}}},
                {.name = "the whole node reserved, the other pinned",
                                .reserved = "2-3",
                                .pinned = "0-1",
                                .n_irqs = 1,
                                .irqs = {{"0", PLACEMENT_RULE_OTHER_NODES,
                                                "node 1 CPUs 2-3 minus reserved (2-3) → none; no unreserved "
                                                "CPU on node 1, "
                                                "so all online CPUs 0-3 minus reserved (2-3), pinned vCPUs "
                                                "(0-1) → none; "
                                                "allowing CPUs of pinned vCPUs → 0-1; round robin, 1st of "
                                                "1: CPU 0"}},
                                .guests = {{"web1", "0", 1,
                                                {"1", PLACEMENT_RULE_OTHER_NODES,
                                                                "node 1 CPUs 2-3 minus reserved (2-3) → "
                                                                "none; no unreserved CPU "
                                                                "on node 1, so all online CPUs 0-3 minus "
                                                                "reserved (2-3), vCPUs "
                                                                "of web1 (0), other guests' pinned vCPUs "
                                                                "(1) → none; allowing "
                                                                "other guests' pinned vCPUs → 1"}}}},
                {.name = "every online CPU reserved",
                                .reserved = "0-3",
                                .n_irqs = 1,
                                .irqs = {{"", PLACEMENT_RULE_ALL_RESERVED,
                                                "node 1 CPUs 2-3 minus reserved (2-3) → none; every online "
                                                "CPU is reserved: "
                                                "left as it is"}},
                                .guests = {{"web1", "0", 1,
                                                {"", PLACEMENT_RULE_ALL_RESERVED,
                                                                "node 1 CPUs 2-3 minus reserved (2-3) → "
                                                                "none; every online CPU "
                                                                "is reserved: left as it is"}}}},
                {.name = "every online CPU reserved, no NUMA node",
                                .node = NO_NODE,
                                .reserved = "0-7",
                                .n_irqs = 1,
                                .irqs = {{"", PLACEMENT_RULE_ALL_RESERVED,
                                                "no NUMA node known for eth1, so all online CPUs 0-3 minus "
                                                "reserved (0-3) → "
                                                "none; every online CPU is reserved: left as it is"}}},
                {.name = "managed IRQs",
                                .n_irqs = 4,
                                .managed = 0x5,
                                .irqs = {{"", PLACEMENT_RULE_MANAGED,
                                                         "virtio2-input.0 is managed by the kernel "
                                                         "(affinity writes fail "
                                                         "with EIO): left as it is"},
                                                {"2", PLACEMENT_RULE_PREFERRED,
                                                                "node 1 CPUs 2-3; round robin, 1st of 2: "
                                                                "CPU 2"},
                                                {"", PLACEMENT_RULE_MANAGED,
                                                                "virtio2-input.2 is managed by the kernel "
                                                                "(affinity writes "
                                                                "fail with EIO): left as it is"},
                                                {"3", PLACEMENT_RULE_PREFERRED,
                                                                "node 1 CPUs 2-3; round robin, 2nd of 2: "
                                                                "CPU 3"}}},
                {.name = "managed IRQs and every CPU reserved",
                                .reserved = "0-3",
                                .n_irqs = 2,
                                .managed = 0x1,
                                .irqs = {{"", PLACEMENT_RULE_MANAGED,
                                                         "virtio2-input.0 is managed by the kernel "
                                                         "(affinity writes fail "
                                                         "with EIO): left as it is"},
                                                {"", PLACEMENT_RULE_ALL_RESERVED,
                                                                "node 1 CPUs 2-3 minus reserved (2-3) → "
                                                                "none; every online "
                                                                "CPU is reserved: left as it is"}}},
                {.name = "more IRQs than CPUs: round robin wraps",
                                .pinned = "3",
                                .node_cpus = "1-3",
                                .n_irqs = 5,
                                .irqs = {{"1", PLACEMENT_RULE_PREFERRED,
                                                         "node 1 CPUs 1-3 minus pinned vCPUs (3) → 1-2; "
                                                         "round robin, 1st of "
                                                         "5: CPU 1"},
                                                {"2", PLACEMENT_RULE_PREFERRED,
                                                                "node 1 CPUs 1-3 minus pinned vCPUs (3) → "
                                                                "1-2; round robin, "
                                                                "2nd of 5: CPU 2"},
                                                {"1", PLACEMENT_RULE_PREFERRED,
                                                                "node 1 CPUs 1-3 minus pinned vCPUs (3) → "
                                                                "1-2; round robin, "
                                                                "3rd of 5: CPU 1"},
                                                {"2", PLACEMENT_RULE_PREFERRED,
                                                                "node 1 CPUs 1-3 minus pinned vCPUs (3) → "
                                                                "1-2; round robin, "
                                                                "4th of 5: CPU 2"},
                                                {"1", PLACEMENT_RULE_PREFERRED,
                                                                "node 1 CPUs 1-3 minus pinned vCPUs (3) → "
                                                                "1-2; round robin, "
                                                                "5th of 5: CPU 1"}}},
                {.name = "a guest with unpinned vCPUs",
                                .pinned = "2",
                                .guests = {{"web1", "0-3", 2,
                                                           {"3", PLACEMENT_RULE_PREFERRED,
                                                                           "vCPUs of web1 are not pinned "
                                                                           "(they may run on "
                                                                           "every online CPU), so its vhost "
                                                                           "workers cannot "
                                                                           "avoid them; node 1 CPUs 2-3 "
                                                                           "minus other guests' "
                                                                           "pinned vCPUs (2) → 3"}},
                                                {"db1", "2", 0, {}}}},
                {.name = "unpinned beyond the online CPUs",
                                .guests = {{"web1", "0-8191", 1,
                                                {"2-3", PLACEMENT_RULE_PREFERRED,
                                                                "vCPUs of web1 are not pinned (they may run "
                                                                "on every online "
                                                                "CPU), so its vhost workers cannot avoid "
                                                                "them; node 1 CPUs "
                                                                "2-3"}}}},
                {.name = "a guest whose vCPUs are not known",
                                .guests = {{"web1", "", 1,
                                                {"2-3", PLACEMENT_RULE_PREFERRED,
                                                                "no online CPU known for the vCPUs of web1; "
                                                                "node 1 CPUs 2-3"}}}},
                {.name = "workers guest by guest",
                                .pinned = "0-1",
                                .guests = {{"web1", "0", 1,
                                                           {"2-3", PLACEMENT_RULE_PREFERRED,
                                                                           "node 1 CPUs 2-3"}},
                                                {"idle", "1", 0, {}},
                                                {"web2", "1", 3,
                                                                {"2-3", PLACEMENT_RULE_PREFERRED,
                                                                                "node 1 CPUs 2-3"}}}},
                {.name = "zero IRQs, zero workers", .guests = {{"web1", "2", 0, {}}}},
                {.name = "nothing at all"},
};

static CpuSet set_of(const char *s) {
        CpuSet c;

        assert_int_equal(cpu_set_from_string(s ?: "", &c), 0);
        return c;
}

static void assert_placed(
                const CpuSet *got_cpus, PlacementRule got_rule, const char *got_reason, const Expect *e) {
        _cleanup_free_ char *cpus = cpu_set_to_string(got_cpus);

        assert_non_null(cpus);
        assert_string_equal(got_reason, e->reason);
        assert_string_equal(cpus, e->cpus);
        assert_string_equal(placement_rule_to_string(got_rule), placement_rule_to_string(e->rule));
}

/* Fills 'f' (and the arrays it points to) from 'c'. */
static void facts_from_case(const Case *c, PlacementFacts *f, PlacementIrq irqs[static CASE_IRQS_MAX],
                char names[static CASE_IRQS_MAX][40], PlacementGuest guests[static CASE_GUESTS_MAX],
                pid_t tids[static CASE_GUESTS_MAX][8]) {
        size_t n_guests = 0;

        *f = (PlacementFacts){
                        .uplink = "eth1",
                        .online = set_of(c->online ?: "0-3"),
                        .reserved = set_of(c->reserved),
                        .isolated = set_of(c->isolated),
                        .numa_node = c->node == 0 ? 1 : c->node,
                        .node_cpus = set_of(c->node_cpus ?: "2-3"),
                        .pinned_vcpus = set_of(c->pinned),
                        .irqs = irqs,
                        .n_irqs = c->n_irqs,
                        .guests = guests,
        };
        for (size_t i = 0; i < c->n_irqs; i++) {
                (void) snprintf(names[i], 40, "virtio2-input.%zu", i);
                irqs[i] = (PlacementIrq){.irq = 24 + (unsigned) i,
                                .name = names[i],
                                .managed = c->managed & (1u << i)};
        }
        for (size_t g = 0; g < CASE_GUESTS_MAX && c->guests[g].name; g++) {
                assert_true(c->guests[g].n_workers <= 8);
                for (size_t w = 0; w < c->guests[g].n_workers; w++)
                        tids[g][w] = (pid_t) (1000 * (g + 1) + w);
                guests[g] = (PlacementGuest){
                                .name = c->guests[g].name,
                                .vcpus = set_of(c->guests[g].vcpus),
                                .workers = tids[g],
                                .n_workers = c->guests[g].n_workers,
                };
                n_guests++;
        }
        f->n_guests = n_guests;
}

static void test_cases(void **state) {
        _cleanup_free_ PlacementDecision *d = new0(PlacementDecision, 1),
                                         *again = new0(PlacementDecision, 1);

        assert_non_null(d);
        assert_non_null(again);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const Case *c = &cases[i];
                PlacementIrq irqs[CASE_IRQS_MAX];
                char names[CASE_IRQS_MAX][40];
                PlacementGuest guests[CASE_GUESTS_MAX];
                pid_t tids[CASE_GUESTS_MAX][8];
                PlacementFacts f;
                size_t w = 0;

                print_message("case: %s\n", c->name);
                facts_from_case(c, &f, irqs, names, guests, tids);
                assert_int_equal(placement_decide(&f, d), 0);

                assert_int_equal(d->n_irqs, c->n_irqs);
                for (size_t k = 0; k < c->n_irqs; k++) {
                        print_message("  IRQ %zu: %s\n", k, d->irqs[k].reason);
                        assert_int_equal(d->irqs[k].irq, 24 + k);
                        assert_placed(&d->irqs[k].cpus, d->irqs[k].rule, d->irqs[k].reason, &c->irqs[k]);
                }

                for (size_t g = 0; g < f.n_guests; g++)
                        for (size_t k = 0; k < c->guests[g].n_workers; k++, w++) {
                                const WorkerPlacement *p = &d->workers[w];

                                print_message("  worker %zu of %s: %s\n", k, c->guests[g].name, p->reason);
                                assert_true(w < d->n_workers);
                                assert_int_equal(p->guest, g);
                                assert_int_equal(p->tid, tids[g][k]);
                                assert_placed(&p->cpus, p->rule, p->reason, &c->guests[g].expect);
                        }
                assert_int_equal(d->n_workers, w);

                /* the same facts give the same decision, whatever was in 'ret' before */
                memset(again, 0x5a, sizeof(*again));
                assert_int_equal(placement_decide(&f, again), 0);
                assert_int_equal(again->n_irqs, d->n_irqs);
                assert_int_equal(again->n_workers, d->n_workers);
                assert_memory_equal(again->irqs, d->irqs, d->n_irqs * sizeof(IrqPlacement));
                assert_memory_equal(again->workers, d->workers, d->n_workers * sizeof(WorkerPlacement));
        }
}

/* A 256-CPU host with interleaved node numbering: the reason stays bounded and readable. */
static void test_long_lists(void **state) {
        _cleanup_free_ PlacementDecision *d = new0(PlacementDecision, 1);
        PlacementIrq irqs[4];
        PlacementFacts f = {.uplink = "eth0", .numa_node = 1, .irqs = irqs, .n_irqs = ELEMENTSOF(irqs)};

        assert_non_null(d);
        assert_int_equal(cpu_set_from_string("0-255", &f.online), 0);
        for (unsigned cpu = 1; cpu < 256; cpu += 2)
                assert_int_equal(cpu_set_add(&f.node_cpus, cpu), 0);
        for (unsigned cpu = 1; cpu < 200; cpu += 4)
                assert_int_equal(cpu_set_add(&f.pinned_vcpus, cpu), 0);
        for (size_t i = 0; i < ELEMENTSOF(irqs); i++)
                irqs[i] = (PlacementIrq){.irq = 100 + (unsigned) i, .name = "eth0-TxRx"};

        assert_int_equal(placement_decide(&f, d), 0);
        for (size_t i = 0; i < ELEMENTSOF(irqs); i++) {
                print_message("%s\n", d->irqs[i].reason);
                assert_int_equal(d->irqs[i].rule, PLACEMENT_RULE_PREFERRED);
                assert_int_equal(cpu_set_count(&d->irqs[i].cpus), 1);
                assert_true(strlen(d->irqs[i].reason) < PLACEMENT_REASON_MAX);
                assert_true(strncmp(d->irqs[i].reason, "node 1 CPUs 1,3,5,7,", 20) == 0);
                assert_non_null(strstr(d->irqs[i].reason, ",... minus pinned vCPUs (1,5,9,"));
                assert_non_null(strstr(d->irqs[i].reason, "round robin"));
        }
        /* candidates 3,7,11,…: the first four */
        assert_true(cpu_set_contains(&d->irqs[0].cpus, 3));
        assert_true(cpu_set_contains(&d->irqs[1].cpus, 7));
        assert_true(cpu_set_contains(&d->irqs[2].cpus, 11));
        assert_true(cpu_set_contains(&d->irqs[3].cpus, 15));
}

static void test_limits(void **state) {
        _cleanup_free_ PlacementDecision *d = new0(PlacementDecision, 1),
                                         *before = new0(PlacementDecision, 1);
        _cleanup_free_ PlacementIrq *irqs = new0(PlacementIrq, PLACEMENT_IRQS_MAX + 1);
        _cleanup_free_ PlacementGuest *guests = new0(PlacementGuest, PLACEMENT_GUESTS_MAX + 1);
        static pid_t tids[PLACEMENT_WORKERS_MAX + 1];
        PlacementFacts f = {.numa_node = 1, .irqs = irqs, .guests = guests};

        assert_non_null(d);
        assert_non_null(before);
        assert_non_null(irqs);
        assert_non_null(guests);
        assert_int_equal(cpu_set_from_string("0-3", &f.online), 0);
        assert_int_equal(cpu_set_from_string("2-3", &f.node_cpus), 0);
        for (size_t i = 0; i <= PLACEMENT_IRQS_MAX; i++)
                irqs[i] = (PlacementIrq){.irq = (unsigned) i};
        for (size_t i = 0; i <= PLACEMENT_WORKERS_MAX; i++)
                tids[i] = (pid_t) (100 + i);
        for (size_t g = 0; g <= PLACEMENT_GUESTS_MAX; g++)
                guests[g] = (PlacementGuest){.name = "g", .workers = tids};

        memset(d, 0x5a, sizeof(*d));
        memcpy(before, d, sizeof(*d));

        /* at the bounds */
        f.n_irqs = PLACEMENT_IRQS_MAX;
        f.n_guests = PLACEMENT_GUESTS_MAX;
        guests[0].n_workers = PLACEMENT_WORKERS_MAX - 1;
        guests[PLACEMENT_GUESTS_MAX - 1].n_workers = 1;
        assert_int_equal(placement_decide(&f, d), 0);
        assert_int_equal(d->n_irqs, PLACEMENT_IRQS_MAX);
        assert_int_equal(d->n_workers, PLACEMENT_WORKERS_MAX);
        assert_true(cpu_set_contains(&d->irqs[PLACEMENT_IRQS_MAX - 1].cpus, 3)); /* 256th: even → 3 */
        assert_int_equal(d->workers[PLACEMENT_WORKERS_MAX - 1].guest, PLACEMENT_GUESTS_MAX - 1);
        assert_int_equal(d->workers[PLACEMENT_WORKERS_MAX - 1].tid, 100);

        /* one past each: refused, 'ret' untouched */
        memset(d, 0x5a, sizeof(*d));
        f.n_irqs = PLACEMENT_IRQS_MAX + 1;
        assert_int_equal(placement_decide(&f, d), -E2BIG);
        f.n_irqs = 1;
        f.n_guests = PLACEMENT_GUESTS_MAX + 1;
        assert_int_equal(placement_decide(&f, d), -E2BIG);
        f.n_guests = PLACEMENT_GUESTS_MAX;
        guests[1].n_workers = 1; /* one worker too many in all */
        assert_int_equal(placement_decide(&f, d), -E2BIG);
        guests[1].n_workers = 0;
        guests[0].n_workers = SIZE_MAX; /* no overflow in the sum */
        assert_int_equal(placement_decide(&f, d), -E2BIG);
        assert_memory_equal(d, before, sizeof(*d));
}

static void test_invalid(void **state) {
        _cleanup_free_ PlacementDecision *d = new0(PlacementDecision, 1),
                                         *before = new0(PlacementDecision, 1);
        PlacementGuest guest = {.name = "web1", .n_workers = 1};
        PlacementFacts f = {.numa_node = -1};

        assert_non_null(d);
        assert_non_null(before);
        memset(d, 0x5a, sizeof(*d));
        memcpy(before, d, sizeof(*d));

        assert_int_equal(placement_decide(NULL, d), -EINVAL);
        assert_int_equal(placement_decide(&f, NULL), -EINVAL);
        assert_int_equal(placement_decide(&f, d), -EINVAL); /* no online CPU */
        assert_int_equal(cpu_set_add(&f.online, 0), 0);
        f.n_irqs = 1;
        assert_int_equal(placement_decide(&f, d), -EINVAL); /* IRQs NULL */
        f.n_irqs = 0;
        f.n_guests = 1;
        assert_int_equal(placement_decide(&f, d), -EINVAL); /* guests NULL */
        f.guests = &guest;
        assert_int_equal(placement_decide(&f, d), -EINVAL); /* workers NULL */
        guest.n_workers = 0;
        guest.name = NULL;
        assert_int_equal(placement_decide(&f, d), -EINVAL); /* no name */
        assert_memory_equal(d, before, sizeof(*d));

        guest.name = "web1";
        assert_int_equal(placement_decide(&f, d), 0);
        assert_int_equal(d->n_irqs, 0);
        assert_int_equal(d->n_workers, 0);
}

static void test_rule_strings(void **state) {
        for (PlacementRule r = 0; r < _PLACEMENT_RULE_MAX; r++)
                assert_non_null(placement_rule_to_string(r));
        assert_string_equal(placement_rule_to_string(PLACEMENT_RULE_MANAGED), "managed");
        assert_null(placement_rule_to_string(_PLACEMENT_RULE_MAX));
        assert_null(placement_rule_to_string(_PLACEMENT_RULE_INVALID));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_cases),
                        cmocka_unit_test(test_long_lists),
                        cmocka_unit_test(test_limits),
                        cmocka_unit_test(test_invalid),
                        cmocka_unit_test(test_rule_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
