/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-c/json.h>

#include "describe.h"
#include "nic-queues.h"
#include "nic.h"

/* The guest's own per-queue figures (MultiqueueGuestStats=): what the last 'ethtool -S' read said,
 * each pair's packet rate over the policy's window, the busiest pair and how many carry traffic; or
 * why there are none. */
json_object *describe_guest_stats(const Nic *n) {
        const NicQueuesGuestStats *v = &n->queues.guest_stats;
        const MultiqueueLoad *l = n->queues.has_decision ? &n->queues.decision.load : NULL;
        bool rates = l && l->has_queues && l->n_queues == v->n_queues;
        json_object *o = json_object_new_object(), *a = json_object_new_array();
        char status[NIC_QUEUES_SOURCE_MAX];

        nic_queues_guest_stats_status(n, status, sizeof(status));
        json_object_object_add(
                        o, "enabled", json_object_new_boolean(n->settings.multiqueue_guest_stats > 0));
        json_object_object_add(o, "source", v->has_stats ? json_text("guest agent: ethtool -S") : NULL);
        json_object_object_add(o, "status", status[0] ? json_text(status) : NULL);
        json_object_object_add(o, "dev", v->has_stats ? json_text(v->dev) : NULL);
        json_object_object_add(o, "read", json_time(v->read));
        json_object_object_add(o, "reads", json_object_new_int64((int64_t) v->reads));
        json_object_object_add(o, "failures", json_object_new_int64((int64_t) v->failures));
        json_object_object_add(o, "agent_calls", json_object_new_int64((int64_t) v->agent_calls));
        json_object_object_add(o, "error", v->error[0] ? json_text(v->error) : NULL);
        for (size_t q = 0; v->has_stats && q < v->n_queues; q++) {
                json_object *e = json_object_new_object();

                json_object_object_add(e, "queue", json_object_new_int64((int64_t) q));
                json_object_object_add(
                                e, "rx_packets", json_object_new_int64((int64_t) v->queues[q].rx_packets));
                json_object_object_add(
                                e, "rx_bytes", json_object_new_int64((int64_t) v->queues[q].rx_bytes));
                json_object_object_add(
                                e, "tx_packets", json_object_new_int64((int64_t) v->queues[q].tx_packets));
                json_object_object_add(
                                e, "tx_bytes", json_object_new_int64((int64_t) v->queues[q].tx_bytes));
                json_object_object_add(
                                e, "packet_rate", rates ? json_object_new_double(l->queue_rate[q]) : NULL);
                json_object_array_add(a, e);
        }
        json_object_object_add(o, "queues", a);
        json_object_object_add(o, "busiest", rates ? json_object_new_int64(l->queue_busiest) : NULL);
        json_object_object_add(
                        o, "busiest_share", rates ? json_object_new_double(l->queue_busiest_share) : NULL);
        json_object_object_add(o, "carrying", rates ? json_object_new_int64(l->queues_carrying) : NULL);
        json_object_object_add(o, "gaps", l ? json_object_new_int64(l->queue_gaps) : NULL);
        return o;
}
