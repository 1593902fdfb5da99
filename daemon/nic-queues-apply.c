/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "libvirt-conn.h"
#include "libvirt-queues.h"
#include "manager.h"
#include "nic-bus.h"
#include "nic-queues.h"
#include "nic.h"

/* MultiqueueApply=: what becomes of the recommendation. 'report' shows it (describe.c); the two
 * levers act through libvirt, one job at a time per NIC, and only for a recommendation they have not
 * acted on yet: a NIC whose lever failed waits for a new recommendation, or for MultiqueueHoldDownSec=
 * (at least NIC_QUEUES_RETRY_MIN_USEC), so an absent agent or a refusing libvirtd costs one attempt
 * per hold-down, not one per sample. One guest-agent job runs in the pool at a time (libvirt-queues.h):
 * a lever that finds another NIC's running is not started and asks again at the next sample, which
 * counts as neither attempt nor failure. Nothing is kept that libvirt or the kernel can tell again: after a
 * restart, next-boot finds its change in the persistent XML, guest-agent sees the tap. */

static const char *const action_state_table[_NIC_QUEUES_ACTION_MAX] = {
                [NIC_QUEUES_ACTION_REPORT] = "report",
                [NIC_QUEUES_ACTION_NONE] = "nothing-to-do",
                [NIC_QUEUES_ACTION_RUNNING] = "running",
                [NIC_QUEUES_ACTION_WAITING] = "waiting-for-tap",
                [NIC_QUEUES_ACTION_CONFIRMED] = "confirmed",
                [NIC_QUEUES_ACTION_PENDING] = "pending-next-boot",
                [NIC_QUEUES_ACTION_APPLIED] = "applied",
                [NIC_QUEUES_ACTION_FAILED] = "failed",
                [NIC_QUEUES_ACTION_SKIPPED] = "skipped",
};

const char *nic_queues_action_state_to_string(NicQueuesActionState s) {
        return s >= 0 && s < _NIC_QUEUES_ACTION_MAX ? action_state_table[s] : NULL;
}

/* The one writer of the action: logs a change of state, tells bus subscribers. */
_printf_(4, 5) static void action_set(
                Nic *n, NicQueuesActionState s, unsigned pairs, const char *format, ...) {
        NicQueuesAction *a = &n->queues.action;
        char detail[NIC_QUEUES_ACTION_TEXT_MAX];
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(detail, sizeof(detail), format, ap);
        va_end(ap);
        if (a->state == s && a->pairs == pairs && streq(a->detail, detail))
                return;
        if (s == NIC_QUEUES_ACTION_FAILED)
                log_nic_warning(n, "multiqueue %s: %u pairs: %s", nic_multiqueue_apply_to_string(a->mode),
                                pairs, detail);
        else if (s != NIC_QUEUES_ACTION_REPORT)
                log_nic_info(n, "multiqueue %s: %u pairs %s: %s", nic_multiqueue_apply_to_string(a->mode),
                                pairs, nic_queues_action_state_to_string(s), detail);
        a->state = s;
        a->pairs = pairs;
        a->when = now_usec(CLOCK_REALTIME);
        (void) snprintf(a->detail, sizeof(a->detail), "%s", detail);
        nic_bus_emit_changed(n);
}

unsigned long long nic_queues_retry_usec(const MultiqueueConfig *c) {
        return MAX(c->hold_down_usec, NIC_QUEUES_RETRY_MIN_USEC);
}

static void submit(Nic *n, LibvirtQueuesLever lever, unsigned pairs, const MultiqueueConfig *c) {
        NicQueuesAction *a = &n->queues.action;
        int r;

        /* Where the host device cannot confirm ethtool -L, the guest agent's ethtool -l does. */
        r = libvirt_queues_apply(n->guest->manager->libvirt, n, lever, pairs,
                        lever == LIBVIRT_QUEUES_GUEST_AGENT && nic_queues_agent_wanted(n));
        if (r == -EBUSY) {
                /* Another guest-agent job runs (or the pool is full): no attempt, no failure, the
                 * state stays; the next sample asks again. */
                log_nic_debug(n, "multiqueue %s: %u pairs wait for another libvirt job",
                                nic_multiqueue_apply_to_string(a->mode), pairs);
                return;
        }
        if (r < 0) {
                errno = -r;
                a->until = now_usec(CLOCK_MONOTONIC) + nic_queues_retry_usec(c);
                return action_set(n, NIC_QUEUES_ACTION_FAILED, pairs, "cannot ask libvirt: %m");
        }
        a->in_flight = true;
        action_set(n, NIC_QUEUES_ACTION_RUNNING, pairs, "%s",
                        lever == LIBVIRT_QUEUES_NEXT_BOOT ? "editing the persistent domain XML"
                                                          : "running ethtool -L in the guest");
}

/* The lever already acted on 'pairs' (or failed on it and may not try again yet). */
static bool acted_on(const NicQueuesAction *a, unsigned pairs, unsigned long long now) {
        if (a->pairs != pairs)
                return false;
        if (a->state == NIC_QUEUES_ACTION_FAILED)
                return now < a->until;
        return a->state != NIC_QUEUES_ACTION_NONE && a->state != NIC_QUEUES_ACTION_REPORT;
}

static void act_guest_agent(Nic *n, unsigned pairs, const NicQueuesSeen *seen, const MultiqueueConfig *c) {
        NicQueuesAction *a = &n->queues.action;
        unsigned long long now = now_usec(CLOCK_MONOTONIC);

        if (a->state == NIC_QUEUES_ACTION_WAITING && a->pairs == pairs) {
                if (seen->active == pairs)
                        return action_set(n, NIC_QUEUES_ACTION_CONFIRMED, pairs,
                                        "confirmed by the tap: %u queues attached", seen->active);
                if (now < a->until)
                        return;
                a->until = now + nic_queues_retry_usec(c);
                return action_set(n, NIC_QUEUES_ACTION_FAILED, pairs,
                                "ethtool -L ran in the guest, but the tap still shows %u pairs after %llu s",
                                seen->active, NIC_QUEUES_CONFIRM_USEC / USEC_PER_SEC);
        }
        if (seen->active == 0 && nic_queues_agent_wanted(n)) {
                const NicQueuesAgentView *v = &n->queues.agent;

                if (v->in_flight || v->when == 0)
                        return; /* the guest agent's read decides */
                if (!v->has_channels)
                        return action_set(n, NIC_QUEUES_ACTION_FAILED, pairs,
                                        "cannot read the guest's active pairs: %s", v->error);
                return action_set(n, NIC_QUEUES_ACTION_SKIPPED, pairs,
                                "ethtool -l %s in the guest shows no combined channels", v->dev);
        }
        if (seen->active == 0)
                return action_set(n, NIC_QUEUES_ACTION_SKIPPED, pairs,
                                "the guest's active pairs cannot be observed on this host device, so a "
                                "change "
                                "could not be confirmed");
        if (seen->active == pairs) {
                if (a->state == NIC_QUEUES_ACTION_CONFIRMED && a->pairs == pairs)
                        return;
                return action_set(n, NIC_QUEUES_ACTION_NONE, pairs, "the guest runs %u pairs", pairs);
        }
        if (acted_on(a, pairs, now))
                return;
        submit(n, LIBVIRT_QUEUES_GUEST_AGENT, pairs, c);
}

/* The running domain's <driver queues>: none is one pair (libvirt drops queues='1'). */
static unsigned running_pairs(const Nic *n) {
        return MAX(n->iface.queues, 1u);
}

static void act_next_boot(Nic *n, unsigned pairs, const MultiqueueConfig *c) {
        NicQueuesAction *a = &n->queues.action;

        if (a->state == NIC_QUEUES_ACTION_PENDING && a->pairs == pairs && running_pairs(n) == pairs)
                return action_set(n, NIC_QUEUES_ACTION_APPLIED, pairs,
                                "the running domain has %u queue pair(s), as the persistent XML", pairs);
        if (acted_on(a, pairs, now_usec(CLOCK_MONOTONIC)))
                return;
        submit(n, LIBVIRT_QUEUES_NEXT_BOOT, pairs, c);
}

void nic_queues_act(Nic *n, const MultiqueueConfig *c) {
        NicQueues *q = &n->queues;
        NicQueuesAction *a = &q->action;
        int mode = n->settings.multiqueue_apply >= 0 ? n->settings.multiqueue_apply
                                                     : NIC_MULTIQUEUE_APPLY_REPORT;
        NicQueuesSeen seen;
        unsigned pairs;

        if (a->in_flight || q->agent.in_flight)
                return; /* its result decides; the next sample looks again */
        if (mode != a->mode) {
                *a = (NicQueuesAction){.mode = mode, .agent_calls = a->agent_calls};
                if (mode == NIC_MULTIQUEUE_APPLY_REPORT)
                        a->when = 0;
        }
        if (mode == NIC_MULTIQUEUE_APPLY_REPORT || !q->has_decision)
                return;

        /* next-boot writes what the next boot should have, which may be above this boot's max. */
        pairs = mode == NIC_MULTIQUEUE_APPLY_NEXT_BOOT ? q->decision.boot_pairs : q->decision.pairs;
        nic_queues_seen(n, &seen);
        /* The policy's bounds, checked again where they turn into an action. */
        if (pairs == 0 || pairs > guest_vcpu_count(n->guest, NULL) ||
                        (pairs > seen.max && mode != NIC_MULTIQUEUE_APPLY_NEXT_BOOT) ||
                        pairs > MULTIQUEUE_PAIRS_MAX)
                return;
        if (n->guest->source != GUEST_SOURCE_LIBVIRT || !n->has_interface || !n->iface.has_mac)
                return action_set(n, NIC_QUEUES_ACTION_SKIPPED, pairs,
                                "%s acts through libvirt: this NIC is not a libvirt domain's",
                                nic_multiqueue_apply_to_string(mode));
        if (mode == NIC_MULTIQUEUE_APPLY_GUEST_AGENT)
                act_guest_agent(n, pairs, &seen, c);
        else
                act_next_boot(n, pairs, c);
}

void nic_queues_action_done(Nic *n, const LibvirtQueuesResult *res) {
        NicQueuesAction *a = &n->queues.action;
        unsigned long long now = now_usec(CLOCK_MONOTONIC);
        const MultiqueueConfig *c;

        a->in_flight = false;
        a->agent_calls += res->agent_calls;
        if (res->lever == LIBVIRT_QUEUES_GUEST_AGENT)
                log_nic_debug(n, "multiqueue guest-agent: %u guest agent command(s) sent", res->agent_calls);
        if (!n->guest)
                return; /* dropped meanwhile */
        c = &n->guest->manager->config.multiqueue;
        if (res->r < 0) {
                a->until = now + nic_queues_retry_usec(c);
                return action_set(n, res->permanent ? NIC_QUEUES_ACTION_SKIPPED : NIC_QUEUES_ACTION_FAILED,
                                res->pairs, "%s", res->error ?: "failed");
        }
        if (res->lever == LIBVIRT_QUEUES_GUEST_AGENT && res->confirm) {
                nic_queues_agent_update(n, res, c);
                if (res->channels.combined == res->pairs)
                        return action_set(n, NIC_QUEUES_ACTION_CONFIRMED, res->pairs,
                                        "confirmed by the guest agent: ethtool -l %s shows %u combined",
                                        res->dev, res->channels.combined);
                a->until = now + nic_queues_retry_usec(c);
                return action_set(n, NIC_QUEUES_ACTION_FAILED, res->pairs,
                                "ethtool -L %s combined %u ran in the guest, but ethtool -l shows %u "
                                "combined",
                                res->dev, res->pairs, res->channels.combined);
        }
        if (res->lever == LIBVIRT_QUEUES_GUEST_AGENT) {
                a->until = now + NIC_QUEUES_CONFIRM_USEC;
                return action_set(n, NIC_QUEUES_ACTION_WAITING, res->pairs,
                                "ethtool -L %s combined %u ran in the guest; waiting for the tap", res->dev,
                                res->pairs);
        }
        if (running_pairs(n) == res->pairs)
                return action_set(n, NIC_QUEUES_ACTION_APPLIED, res->pairs,
                                "the running domain has %u queue pair(s), as the persistent XML%s",
                                res->pairs, res->written ? " (written now)" : "");
        if (res->written)
                return action_set(n, NIC_QUEUES_ACTION_PENDING, res->pairs,
                                "pending until next boot: <driver queues='%u'/> written to the persistent "
                                "XML "
                                "(it had %u)",
                                res->pairs, MAX(res->old, 1u));
        action_set(n, NIC_QUEUES_ACTION_PENDING, res->pairs,
                        "pending until next boot: the persistent XML has <driver queues='%u'/> already",
                        res->pairs);
}
