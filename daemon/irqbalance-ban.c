/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host-placement.h"
#include "irqbalance-ban.h"
#include "irqbalance-client.h"
#include "macro.h"

#define PEER_REFUSED                                                                                        \
        "refused: the socket's peer is not this irqbalance running as uid 0 (SO_PEERCRED), nothing sent"

static bool irqs_equal(const unsigned *a, size_t n_a, const unsigned *b, size_t n_b) {
        return n_a == n_b && (n_a == 0 || memcmp(a, b, n_a * sizeof(*a)) == 0);
}

size_t uplink_placed_irqs(const UplinkPlacement *u, unsigned *ret, size_t max) {
        size_t n = 0;

        if (u->mode != PLACEMENT_MODE_APPLY)
                return 0;
        for (size_t i = 0; i < u->n_irqs && n < max; i++)
                if (!u->irqs[i].managed && !cpu_set_is_empty(&u->irqs[i].wanted))
                        ret[n++] = u->irqs[i].irq;
        qsort(ret, n, sizeof(*ret), cmp_unsigned);
        return n;
}

/* Every uplink's placed IRQs, ascending, no duplicates (an uplink named twice). */
static size_t placed_irqs(const HostPlacement *p, unsigned *ret, size_t max) {
        size_t n = 0, k = 0;

        for (size_t i = 0; i < p->n_uplinks; i++)
                n += uplink_placed_irqs(&p->uplinks[i], ret + n, max - n);
        qsort(ret, n, sizeof(*ret), cmp_unsigned);
        for (size_t i = 0; i < n; i++)
                if (k == 0 || ret[i] != ret[k - 1])
                        ret[k++] = ret[i];
        return k;
}

static void ban_failed(IrqbalanceBan *b, const unsigned *want, size_t n_want, int r, const char *what) {
        char irqs[128];

        b->error = r;
        memcpy(b->error_irqs, want, n_want * sizeof(*want));
        b->n_error_irqs = n_want;
        errno = -r;
        (void) snprintf(b->status, sizeof(b->status), "%s: %m", what);
        irq_list_format(want, n_want, irqs, sizeof(irqs));
        if (ratelimit_below(&b->log_rl))
                log_warning_errno(r,
                                "irqbalance (pid %d): cannot ban IRQs %s through its socket, %s: %m; "
                                "it may move them",
                                (int) b->pid, n_want > 0 ? irqs : "(none)", what);
}

void irqbalance_ban_sync(HostPlacement *p, bool force) {
        _cleanup_free_ IrqbalanceSetup *setup = new0(IrqbalanceSetup, 1);
        _cleanup_free_ unsigned *want = new0(unsigned, IRQBALANCE_BANNED_MAX);
        _cleanup_free_ unsigned *list = new0(unsigned, IRQBALANCE_BANNED_MAX);
        _cleanup_free_ unsigned *added = new0(unsigned, IRQBALANCE_BANNED_MAX);
        IrqbalanceBan *b = &p->ban;
        char irqs[128];
        size_t n_want, n_added;
        int r, n;

        if (!b->log_rl.interval_usec)
                b->log_rl = (RateLimit){.interval_usec = 60ULL * USEC_PER_SEC, .burst = 5};
        if (b->pid != p->irqbalance) {
                /* Gone, or another one: a new irqbalance knows only its own --banirq list. */
                b->pid = p->irqbalance;
                b->n_irqs = b->n_added = b->n_kept = b->n_error_irqs = 0;
                b->error = 0;
                b->sent_usec = 0;
                b->status[0] = 0;
        }
        if (b->pid <= 0)
                return;
        if (!setup || !want || !list || !added) {
                (void) log_oom();
                return;
        }
        n_want = placed_irqs(p, want, IRQBALANCE_BANNED_MAX);
        if (b->error == 0 && irqs_equal(want, n_want, b->irqs, b->n_irqs))
                return;
        /* No retry storm: the same failed ban again only at a resync. */
        if (b->error != 0 && !force && irqs_equal(want, n_want, b->error_irqs, b->n_error_irqs))
                return;
        if (geteuid() != 0)
                return ban_failed(b, want, n_want, -EPERM, "irqbalance takes commands from uid 0 only");

        r = irqbalance_query_setup(b->pid, IRQBALANCE_TIMEOUT_USEC, setup);
        if (r == -EPERM)
                return ban_failed(b, want, n_want, r, PEER_REFUSED);
        if (r < 0)
                return ban_failed(b, want, n_want, r, "reading its banned IRQs (setup)");
        /* Drops only what vnicd added: an IRQ someone else had banned (an operator's --banirq)
         * stays banned when vnicd stops placing it. */
        n = irqbalance_ban_list(setup->banned, setup->n_banned, b->added, b->n_added, want, n_want, list,
                        IRQBALANCE_BANNED_MAX, added, &n_added);
        if (n < 0)
                return ban_failed(b, want, n_want, n, "merging with its banned IRQs");
        r = irqbalance_send_ban(b->pid, list, (size_t) n, IRQBALANCE_TIMEOUT_USEC);
        if (r == -EPERM)
                return ban_failed(b, want, n_want, r, PEER_REFUSED);
        if (r < 0)
                return ban_failed(b, want, n_want, r, "sending settings ban irqs");

        memcpy(b->irqs, want, n_want * sizeof(*want));
        b->n_irqs = n_want;
        memcpy(b->added, added, n_added * sizeof(*added));
        b->n_added = n_added;
        b->n_kept = (size_t) n - n_added;
        b->error = 0;
        b->n_error_irqs = 0;
        b->status[0] = 0;
        b->sent_usec = now_usec(CLOCK_REALTIME);
        irq_list_format(want, n_want, irqs, sizeof(irqs));
        log_info("irqbalance (pid %d): IRQs %s banned through its socket (%zu banned by others kept)",
                        (int) b->pid, n_want > 0 ? irqs : "(none)", b->n_kept);
}

bool irqbalance_ban_describe(const HostPlacement *p, const UplinkPlacement *u, char *buf, size_t size) {
        const IrqbalanceBan *b = &p->ban;
        unsigned mine[PLACEMENT_IRQS_MAX];
        char irqs[128];
        size_t n;
        bool banned = true;

        if (p->irqbalance <= 0 || u->n_irqs == 0)
                return false;
        if (u->mode != PLACEMENT_MODE_APPLY) {
                (void) snprintf(buf, size,
                                "irqbalance (pid %d) runs and places these IRQs (Placement=report: nothing "
                                "is "
                                "sent to it)",
                                (int) p->irqbalance);
                return true;
        }
        n = uplink_placed_irqs(u, mine, ELEMENTSOF(mine));
        if (n == 0) {
                (void) snprintf(buf, size, "irqbalance (pid %d) runs; vnicd places none of these IRQs",
                                (int) p->irqbalance);
                return true;
        }
        irq_list_format(mine, n, irqs, sizeof(irqs));
        for (size_t i = 0; i < n && banned; i++)
                banned = bsearch(&mine[i], b->irqs, b->n_irqs, sizeof(*mine), cmp_unsigned) != NULL;
        if (b->pid == p->irqbalance && banned)
                (void) snprintf(buf, size, "irqbalance (pid %d): IRQs %s banned through its socket",
                                (int) p->irqbalance, irqs);
        else if (b->pid == p->irqbalance && b->error != 0)
                (void) snprintf(buf, size,
                                "irqbalance (pid %d): banning IRQs %s through its socket failed, %s; it may "
                                "undo this placement (tried again at the next resync)",
                                (int) p->irqbalance, irqs, b->status);
        else
                (void) snprintf(buf, size, "irqbalance (pid %d): IRQs %s not banned yet",
                                (int) p->irqbalance, irqs);
        return true;
}
