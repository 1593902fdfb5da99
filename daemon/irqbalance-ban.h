/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "irqbalance-proto.h"
#include "log.h"

/* Keeps a running irqbalance off the IRQs vnicd places (issue 8 part 6): with Placement=apply,
 * after each placement pass, the IRQs vnicd placed are put on irqbalance's banned list through its
 * runtime socket (daemon/irqbalance-client.h), once per change of that set or of irqbalance's pid.
 * A ban replaces irqbalance's whole list, its --banirq ones included, so vnicd first reads the
 * list ("setup") and sends it back with its own IRQs added and the ones it banned before and no
 * longer places removed. A failure is kept and shown, and tried again only at the next resync.
 * Nothing is sent while vnicd places no IRQ and has banned none (Placement=report). */

typedef struct HostPlacement HostPlacement;

#define IRQBALANCE_TIMEOUT_USEC   (100ULL * 1000) /* per exchange; a pass makes at most two */
#define IRQBALANCE_BAN_STATUS_MAX 256

typedef struct IrqbalanceBan {
        pid_t pid;                            /* the irqbalance 'irqs' were sent to; 0: none */
        unsigned irqs[IRQBALANCE_BANNED_MAX]; /* vnicd's IRQs on its list, ascending */
        size_t n_irqs;
        unsigned added[IRQBALANCE_BANNED_MAX]; /* those of 'irqs' vnicd added: not banned by others
                                                  then; the only ones it removes later */
        size_t n_added;
        size_t n_kept;                              /* IRQs others banned, kept on the list */
        unsigned long long sent_usec;               /* realtime of the last ban that worked, 0 none */
        int error;                                  /* the last exchange's negative errno, 0 none */
        unsigned error_irqs[IRQBALANCE_BANNED_MAX]; /* what that failed exchange was to ban */
        size_t n_error_irqs;
        char status[IRQBALANCE_BAN_STATUS_MAX]; /* what failed, "" when nothing did */
        RateLimit log_rl;
} IrqbalanceBan;

/* After a pass: bans what 'p' placed, if that differs from what irqbalance was last told. 'force'
 * (resync, reload) retries a failed exchange. */
void irqbalance_ban_sync(HostPlacement *p, bool force);

/* The IRQs of 'u' vnicd places (Placement=apply, a wanted set, not managed by the kernel),
 * ascending, into 'ret' ('max' entries); returns the count. */
typedef struct UplinkPlacement UplinkPlacement;
size_t uplink_placed_irqs(const UplinkPlacement *u, unsigned *ret, size_t max);

/* One line on what irqbalance does to the IRQs of 'u' ("irqbalance (pid N): IRQs 24,25 banned
 * through its socket", or why not) into 'buf'; false when irqbalance does not run or 'u' has no
 * IRQs. */
bool irqbalance_ban_describe(const HostPlacement *p, const UplinkPlacement *u, char *buf, size_t size);
