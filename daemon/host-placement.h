/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "config-file.h"
#include "cpu-set.h"
#include "irqbalance-ban.h"
#include "log.h"
#include "placement-facts.h"
#include "placement.h"
#include "proc-interrupts.h"

/* Placement of the [Uplink]s' queue IRQs and of the vhost workers of the guests behind them
 * (issue 8 part 6), owned by the manager. A pass reads the facts (placement-facts.h), asks the pure
 * policy (policies/placement.h) and, for an uplink with Placement=apply, writes what differs from
 * what the kernel reports. Passes run when workers or vCPU threads change and at every resync. A
 * write that failed is not tried again for the same wanted CPUs until the facts change or the next
 * resync: no retry storm. */

typedef struct Manager Manager;

#define HOST_PLACEMENT_STATUS_MAX 256

/* One IRQ or worker: what the policy wants, what the kernel says, what vnicd did. */
typedef struct PlacedItem {
        pid_t tid;                           /* workers */
        unsigned irq;                        /* IRQs */
        char name[PROC_INTERRUPTS_NAME_MAX]; /* IRQs: the handler; workers: the guest */
        bool managed;                        /* IRQs: a write failed with EIO, the kernel manages it */
        bool has_current;
        CpuSet current; /* smp_affinity_list / sched_getaffinity after the pass */
        PlacementRule rule;
        CpuSet wanted; /* empty: left alone */
        char reason[PLACEMENT_REASON_MAX];
        int error;           /* the last write's negative errno, 0 when it worked or none was made */
        CpuSet error_wanted; /* what that failed write asked for */
        unsigned long long changed_usec; /* realtime of vnicd's last write, 0 none */
} PlacedItem;

typedef struct UplinkPlacement {
        char name[IFNAMSIZ];
        PlacementMode mode;
        bool has_facts; /* the NIC was found: numa_node, irqs mean something */
        int numa_node;  /* -1: unknown */
        char device[PLACEMENT_DEVICE_MAX];
        CpuSet node_cpus;
        char status[HOST_PLACEMENT_STATUS_MAX]; /* the NUMA node's source, or why nothing is placed */
        PlacedItem *irqs;
        size_t n_irqs;
        PlacedItem *workers;
        size_t n_workers;
        uint64_t changes; /* writes made */
        unsigned long long last_change_usec;
        RateLimit log_rl;
} UplinkPlacement;

/* A guest as the last pass saw it: its vCPU threads' CPUs and the uplink placing its workers. */
typedef struct PlacedGuest {
        char *name;
        char uplink[IFNAMSIZ]; /* "" when none of its NICs is on an [Uplink] */
        size_t n_threads;
        pid_t *threads;
        CpuSet *thread_cpus; /* empty set: not readable */
        CpuSet vcpus;        /* their union */
        bool pinned;         /* 'vcpus' leaves out some online CPU */
} PlacedGuest;

typedef struct HostPlacement {
        Manager *manager;
        sd_event_source *pass;
        bool force; /* the next pass retries failed writes (resync, reload) */
        unsigned long long pass_usec;
        char status[HOST_PLACEMENT_STATUS_MAX]; /* host facts that could not be read */
        CpuSet online, isolated, pinned_vcpus;
        pid_t irqbalance;  /* 0: not running */
        IrqbalanceBan ban; /* what irqbalance was told */
        UplinkPlacement *uplinks;
        size_t n_uplinks;
        PlacedGuest *guests;
        size_t n_guests;
        uint64_t passes;
} HostPlacement;

int host_placement_new(Manager *m, HostPlacement **ret);
HostPlacement *host_placement_free(HostPlacement *p);

/* Runs a pass at the end of this loop iteration; 'force' also retries writes that failed. */
void host_placement_schedule(Manager *m, bool force);

const PlacedGuest *host_placement_find_guest(const HostPlacement *p, const char *name);
const UplinkPlacement *host_placement_find_uplink(const HostPlacement *p, const char *name);
