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

/* The guest's own per-queue counters for the multiqueue policy (issue 8 part 2, "guest agent figures
 * when allowed"): 'ethtool -S DEV' in the guest, read through qemu-guest-agent on a libvirt worker
 * thread. Running commands in a guest is the guest owner's business, so only where the operator
 * allowed it (MultiqueueGuestStats=yes). Only while the NIC carries traffic: a read is asked at a
 * load sample whose packet rate reached MultiqueueIdlePacketRate=, never at an idle one, so an idle
 * host costs nothing. Bounded: one read in flight per NIC, none while the NIC's lever or its 'ethtool
 * -l' read runs, one guest-agent job in the pool (libvirt-queues.h; -EBUSY waits for the next busy
 * sample, and is no failure), the job's wall-clock bound; a failed read waits nic_queues_retry_usec()
 * (MultiqueueHoldDownSec=, at least 60 s), so an absent agent costs one command per hold-down. Works
 * for taps and macvtaps alike: the guest's device is found by MAC, as the lever finds it. */

bool nic_queues_guest_stats_wanted(const Nic *n) {
        return n->settings.multiqueue_guest_stats > 0 && n->guest &&
               n->guest->source == GUEST_SOURCE_LIBVIRT && n->guest->domain && n->has_interface &&
               n->iface.has_mac && n->has_host;
}

void nic_queues_guest_stats_read(Nic *n, const MultiqueueConfig *c, bool busy) {
        NicQueuesGuestStats *v = &n->queues.guest_stats;
        unsigned long long now = now_usec(CLOCK_MONOTONIC);
        int r;

        if (!busy || !nic_queues_guest_stats_wanted(n) || v->in_flight || n->queues.action.in_flight ||
                        n->queues.agent.in_flight || now < v->next)
                return;
        r = libvirt_queues_read_stats(n->guest->manager->libvirt, n);
        if (r == -EBUSY) {
                log_nic_debug(n, "multiqueue: guest stats read waits for another guest agent job");
                return;
        }
        if (r < 0) {
                v->next = now + nic_queues_retry_usec(c);
                v->when = now_usec(CLOCK_REALTIME);
                v->failures++;
                errno = -r;
                (void) snprintf(v->error, sizeof(v->error), "cannot ask libvirt: %m");
                return;
        }
        v->in_flight = true;
}

void nic_queues_guest_stats_done(Nic *n, const LibvirtQueuesResult *res) {
        NicQueuesGuestStats *v = &n->queues.guest_stats;
        char error[NIC_QUEUES_SOURCE_MAX] = "";
        bool was_failing = v->error[0] != 0;

        v->in_flight = false;
        v->agent_calls += res->agent_calls;
        n->queues.action.agent_calls += res->agent_calls;
        log_nic_debug(n, "multiqueue guest stats read: %u guest agent command(s) sent", res->agent_calls);
        if (!n->guest)
                return; /* dropped meanwhile */
        v->when = now_usec(CLOCK_REALTIME);
        if (res->r < 0 || !res->stats)
                (void) snprintf(error, sizeof(error), "%s", res->error ?: "failed");
        else if (res->stats->n_queues > NIC_QUEUES_GUEST_QUEUES_MAX)
                (void) snprintf(error, sizeof(error),
                                "ethtool -S %s: %zu queue pairs, more than the %u vnicd keeps", res->dev,
                                res->stats->n_queues, NIC_QUEUES_GUEST_QUEUES_MAX);
        if (error[0]) {
                v->failures++;
                v->next = now_usec(CLOCK_MONOTONIC) +
                          nic_queues_retry_usec(&n->guest->manager->config.multiqueue);
                if (!streq(v->error, error))
                        log_nic_warning(n, "multiqueue: the guest's per-queue counters cannot be read: %s",
                                        error);
                (void) snprintf(v->error, sizeof(v->error), "%s", error);
                return;
        }
        if (!v->has_stats || was_failing)
                log_nic_info(n, "multiqueue: guest agent: ethtool -S %s: %zu queue pairs", res->dev,
                                res->stats->n_queues);
        v->error[0] = 0;
        v->has_stats = true;
        v->fresh = true;
        v->reads++;
        v->read = v->when;
        v->time_usec = res->exec_usec;
        v->n_queues = res->stats->n_queues;
        memcpy(v->queues, res->stats->queues, v->n_queues * sizeof(EthtoolQueueStats));
        (void) snprintf(v->dev, sizeof(v->dev), "%s", res->dev);
}

void nic_queues_guest_stats_take(Nic *n, size_t i) {
        NicQueuesGuestStats *v = &n->queues.guest_stats;
        MultiqueueSample *s = &n->queues.samples[i];

        if (!v->fresh || !v->has_stats)
                return;
        v->fresh = false;
        for (size_t k = 0; k < v->n_queues; k++)
                n->queues.queue_packets[i][k] = v->queues[k].rx_packets + v->queues[k].tx_packets;
        s->n_queues = v->n_queues;
        s->queue_packets = n->queues.queue_packets[i];
        s->queue_time_usec = v->time_usec;
}

void nic_queues_guest_stats_status(const Nic *n, char *buf, size_t size) {
        const NicQueuesGuestStats *v = &n->queues.guest_stats;

        if (n->settings.multiqueue_guest_stats <= 0)
                (void) snprintf(buf, size, "off (MultiqueueGuestStats=no): the guest is not asked");
        else if (!nic_queues_guest_stats_wanted(n))
                (void) snprintf(buf, size,
                                "not available: only for a libvirt domain's NIC with a MAC and a host "
                                "device");
        else if (v->error[0])
                (void) snprintf(buf, size, "%s", v->error);
        else if (!v->has_stats)
                (void) snprintf(buf, size,
                                "not read yet: read at a load sample where the NIC carries traffic");
        else if (!n->queues.has_decision || !n->queues.decision.load.has_queues)
                (void) snprintf(buf, size, "read; rates after a second read with as many queues");
        else
                (void) snprintf(buf, size, "%s", "");
}
