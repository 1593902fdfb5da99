/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "libvirt-conn.h"
#include "libvirt-queues.h"
#include "manager.h"
#include "nic-bus.h"
#include "nic-queues.h"
#include "nic.h"

/* The guest agent's view of a NIC's active pairs: 'ethtool -l DEV' in the guest, read through
 * qemu-guest-agent on a libvirt worker thread. Only where the host device cannot tell (a macvtap
 * sends no queue uevent and no RTM_NEWLINK, HOST-FACTS §2): a tap's count is free and exact, the
 * agent costs four commands in the guest. Only where the operator allowed the agent for the NIC
 * (MultiqueueApply=guest-agent). Bounded: one read per MultiqueueHoldDownSec= (at least
 * NIC_QUEUES_RETRY_MIN_USEC), whether it worked or not, so an absent agent costs one command per
 * hold-down; the lever reads again right after its 'ethtool -L' to confirm it. One guest-agent job
 * runs at a time (libvirt-queues.h): a read that finds another NIC's running waits for the next
 * sample, without counting as a read. */

bool nic_queues_agent_wanted(const Nic *n) {
        return n->settings.multiqueue_apply == NIC_MULTIQUEUE_APPLY_GUEST_AGENT && n->guest &&
               n->guest->source == GUEST_SOURCE_LIBVIRT && n->guest->domain && n->has_interface &&
               n->iface.has_mac && n->has_host && streq(n->host.kind, "macvtap");
}

/* The one writer of the view; logs what changed, once. */
_printf_(3, 4) static void view_set(Nic *n, const LibvirtQueuesResult *res, const char *format, ...) {
        NicQueuesAgentView *v = &n->queues.agent;
        char error[NIC_QUEUES_SOURCE_MAX] = "";
        va_list ap;
        bool changed;

        if (format) {
                va_start(ap, format);
                (void) vsnprintf(error, sizeof(error), format, ap);
                va_end(ap);
        }
        changed = !streq(v->error, error) || v->has_channels != (res && res->has_channels) ||
                  (res && res->has_channels &&
                                  (v->channels.combined != res->channels.combined ||
                                                  !streq(v->dev, res->dev)));
        v->when = now_usec(CLOCK_REALTIME);
        (void) snprintf(v->error, sizeof(v->error), "%s", error);
        v->has_channels = res && res->has_channels;
        if (v->has_channels) {
                v->channels = res->channels;
                (void) snprintf(v->dev, sizeof(v->dev), "%s", res->dev);
        }
        if (!changed)
                return;
        if (error[0])
                log_nic_warning(n, "multiqueue: the guest agent cannot tell the active pairs: %s", error);
        else
                log_nic_info(n, "multiqueue: guest agent: ethtool -l %s: %u combined (of %u)", v->dev,
                                v->channels.combined, v->channels.max_combined);
        nic_bus_emit_changed(n);
}

void nic_queues_agent_read(Nic *n, const MultiqueueConfig *c) {
        NicQueuesAgentView *v = &n->queues.agent;
        unsigned long long now = now_usec(CLOCK_MONOTONIC);
        int r;

        if (!nic_queues_agent_wanted(n) || v->in_flight || n->queues.action.in_flight || now < v->next)
                return;
        r = libvirt_queues_read(n->guest->manager->libvirt, n);
        if (r == -EBUSY) {
                /* Another NIC's guest-agent job runs: no read yet, none missed; the next sample asks. */
                log_nic_debug(n, "multiqueue: guest agent read waits for another guest agent job");
                return;
        }
        v->next = now + nic_queues_retry_usec(c);
        if (r < 0) {
                errno = -r;
                return view_set(n, NULL, "cannot ask libvirt: %m");
        }
        v->in_flight = true;
}

void nic_queues_agent_done(Nic *n, const LibvirtQueuesResult *res) {
        NicQueuesAgentView *v = &n->queues.agent;

        v->in_flight = false;
        n->queues.action.agent_calls += res->agent_calls;
        log_nic_debug(n, "multiqueue guest-agent read: %u guest agent command(s) sent", res->agent_calls);
        if (!n->guest)
                return; /* dropped meanwhile */
        if (res->r < 0)
                view_set(n, NULL, "%s", res->error ?: "failed");
        else
                view_set(n, res, NULL);
        /* What the lever waited for is here: act now rather than at the next sample. */
        if (n->queues.has_decision)
                nic_queues_act(n, &n->guest->manager->config.multiqueue);
}

void nic_queues_agent_update(Nic *n, const LibvirtQueuesResult *res, const MultiqueueConfig *c) {
        if (!res->has_channels)
                return;
        n->queues.agent.next = now_usec(CLOCK_MONOTONIC) + nic_queues_retry_usec(c);
        view_set(n, res, NULL);
}

unsigned nic_queues_agent_source(const Nic *n, const char *host_says, char *buf, size_t size) {
        const NicQueuesAgentView *v = &n->queues.agent;
        char when[TIMESTAMP_MAX];

        (void) format_timestamp(v->when, when);
        if (v->when == 0)
                (void) snprintf(buf, size, "%s; asking the guest agent (ethtool -l)", host_says);
        else if (!v->has_channels)
                (void) snprintf(buf, size, "%s; the guest agent could not tell (asked %s): %s", host_says,
                                when, v->error);
        else if (v->channels.combined == 0)
                (void) snprintf(buf, size,
                                "%s; guest agent: ethtool -l %s shows no combined channels (read %s)",
                                host_says, v->dev, when);
        else {
                (void) snprintf(buf, size, "guest agent: ethtool -l %s: %u combined (read %s)", v->dev,
                                v->channels.combined, when);
                return v->channels.combined;
        }
        return 0;
}
