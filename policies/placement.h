/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cpu-set.h"

/* Where the uplink's queue IRQs and the guests' vhost workers should run, decided from facts vnicd
 * reads, each with a reason that names the CPUs (issue 8 part 5). Pure: no I/O, no globals, no
 * allocation; the same facts give the same decision.
 *
 * Every placement starts from the CPUs of the uplink's NUMA node that are online (all online CPUs
 * when the node is unknown or has none online) and takes away the CPUs it should avoid, then gives
 * those back step by step while nothing is left (PlacementRule, in this order):
 *
 *   IRQs:    node − reserved − isolated − pinned vCPUs of all guests
 *            → allow pinned vCPUs → allow isolated (the node minus reserved)
 *   workers: node − reserved − isolated − the guest's vCPUs − other guests' pinned vCPUs
 *            → allow other guests' pinned vCPUs → share the guest's own vCPUs → allow isolated
 *
 * and when the node has no unreserved CPU, the same chain over all online CPUs (other nodes); when
 * no online CPU is unreserved, the IRQ or worker is left alone. Reserved CPUs are the operator's
 * and are never used. Isolated CPUs are given up before leaving the NIC's node, because a remote
 * node costs every packet a cross-node access.
 *
 * IRQs get one CPU each, round robin over the candidates in the order given (the n-th IRQ that is
 * placed gets the n-th candidate, wrapping around). A vhost worker instead gets the whole candidate
 * set: a worker's load follows its guest's traffic and cannot be known in advance, so the
 * scheduler balances workers within the set rather than vnicd guessing a static split; a worker
 * never lands on the guest's vCPUs while the set has other CPUs. A guest whose vCPUs are not pinned
 * (they may run on every online CPU) cannot be avoided: its workers get the node, and the reason
 * says so. IRQs whose affinity the kernel manages (writes fail with EIO) are left alone. */

#define PLACEMENT_IRQS_MAX    256 /* queue IRQs of one uplink */
#define PLACEMENT_GUESTS_MAX  64
#define PLACEMENT_WORKERS_MAX 256 /* vhost workers of all guests together */
#define PLACEMENT_REASON_MAX  512

typedef struct PlacementIrq {
        unsigned irq;
        const char *name; /* "virtio2-input.0", "eth0-TxRx-3" (/proc/interrupts); NULL: unknown */
        bool managed;     /* the kernel manages its affinity (writes fail with EIO) */
} PlacementIrq;

typedef struct PlacementGuest {
        const char *name;     /* the domain name, for reasons */
        CpuSet vcpus;         /* union of its vCPU threads' affinities; all online = not pinned */
        const pid_t *workers; /* its vhost worker thread ids */
        size_t n_workers;
} PlacementGuest;

typedef struct PlacementFacts {
        const char *uplink;  /* its name, for reasons; NULL: "the uplink" */
        CpuSet online;       /* /sys/devices/system/cpu/online; must not be empty */
        CpuSet reserved;     /* the operator's: kept for the host's own work, never used */
        CpuSet isolated;     /* /sys/devices/system/cpu/isolated */
        int numa_node;       /* the uplink's node; < 0: unknown */
        CpuSet node_cpus;    /* /sys/devices/system/node/nodeN/cpulist; ignored for an unknown node */
        CpuSet pinned_vcpus; /* CPUs that pinned vCPUs of all guests on the host run on (union);
                              * guests whose vCPUs float count for nothing here */
        const PlacementIrq *irqs;
        size_t n_irqs;
        const PlacementGuest *guests;
        size_t n_guests;
} PlacementFacts;

typedef enum PlacementRule {
        PLACEMENT_RULE_PREFERRED,          /* nothing to avoid had to be given back */
        PLACEMENT_RULE_ALLOW_PINNED_VCPUS, /* CPUs of (other guests') pinned vCPUs allowed */
        PLACEMENT_RULE_SHARE_OWN_VCPUS,    /* workers only: on their own guest's vCPUs */
        PLACEMENT_RULE_ALLOW_ISOLATED,     /* the whole node but its reserved CPUs */
        PLACEMENT_RULE_OTHER_NODES,        /* the node has no unreserved CPU: the chain over all online */
        PLACEMENT_RULE_ALL_RESERVED,       /* every online CPU is reserved: left alone */
        PLACEMENT_RULE_MANAGED,            /* IRQs only: the kernel manages it: left alone */
        _PLACEMENT_RULE_MAX,
        _PLACEMENT_RULE_INVALID = -EINVAL,
} PlacementRule;

typedef struct IrqPlacement {
        unsigned irq;
        PlacementRule rule;
        CpuSet cpus; /* one CPU; empty: leave the IRQ's affinity as it is */
        char reason[PLACEMENT_REASON_MAX];
} IrqPlacement;

typedef struct WorkerPlacement {
        pid_t tid;
        size_t guest; /* index into PlacementFacts.guests */
        PlacementRule rule;
        CpuSet cpus; /* empty: leave the worker's affinity as it is */
        char reason[PLACEMENT_REASON_MAX];
} WorkerPlacement;

/* About 800 KiB: allocate it, do not put it on the stack. */
typedef struct PlacementDecision {
        size_t n_irqs;
        IrqPlacement irqs[PLACEMENT_IRQS_MAX]; /* in the order of PlacementFacts.irqs */
        size_t n_workers;
        WorkerPlacement workers[PLACEMENT_WORKERS_MAX]; /* guest by guest, each in its order */
} PlacementDecision;

/* Places every IRQ and vhost worker of 'f' into 'ret' (its first n_irqs and n_workers entries are
 * written). Returns 0; -EINVAL for NULL arguments, NULL arrays with a count, a guest without a name
 * or no online CPU; -E2BIG for more IRQs, guests or workers than the PLACEMENT_*_MAX bounds. 'ret'
 * is untouched on failure. */
int placement_decide(const PlacementFacts *f, PlacementDecision *ret);

const char *placement_rule_to_string(PlacementRule r);
