/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include <json-c/json.h>

#include "describe.h"
#include "host-placement.h"

static json_object *json_cpus(const CpuSet *s) {
        _cleanup_free_ char *list = cpu_set_to_string(s);

        return json_text(list);
}

static json_object *json_errno(int error) {
        char buf[128];

        if (error >= 0)
                return NULL;
        errno = -error;
        (void) snprintf(buf, sizeof(buf), "%m");
        return json_text(buf);
}

static json_object *describe_item(const PlacedItem *it, bool is_irq) {
        json_object *o = json_object_new_object();
        bool placed = !cpu_set_is_empty(&it->wanted);

        if (is_irq) {
                json_object_object_add(o, "irq", json_object_new_int64(it->irq));
                json_object_object_add(o, "name", json_text(it->name[0] ? it->name : NULL));
        } else {
                json_object_object_add(o, "tid", json_object_new_int((int) it->tid));
                json_object_object_add(o, "guest", json_text(it->name));
        }
        json_object_object_add(o, "wanted", placed ? json_cpus(&it->wanted) : NULL);
        json_object_object_add(o, "current", it->has_current ? json_cpus(&it->current) : NULL);
        json_object_object_add(o, "applied",
                        json_object_new_boolean(placed && it->has_current &&
                                                cpu_set_equal(&it->current, &it->wanted)));
        json_object_object_add(o, "rule", json_text(placement_rule_to_string(it->rule)));
        json_object_object_add(o, "reason", json_text(it->reason));
        json_object_object_add(o, "error", it->managed ? NULL : json_errno(it->error));
        json_object_object_add(o, "changed", json_time(it->changed_usec));
        return o;
}

static json_object *describe_items(const PlacedItem *items, size_t n, bool is_irq, const char *guest) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < n; i++)
                if (!guest || streq(items[i].name, guest))
                        json_object_array_add(a, describe_item(&items[i], is_irq));
        return a;
}

static json_object *describe_irqbalance(const HostPlacement *p, const UplinkPlacement *u) {
        char buf[512];

        return irqbalance_ban_describe(p, u, buf, sizeof(buf)) ? json_text(buf) : NULL;
}

/* What vnicd last told irqbalance: its IRQs on the list, the others' kept, the last error. */
static json_object *describe_irqbalance_ban(const HostPlacement *p) {
        const IrqbalanceBan *b = &p->ban;
        json_object *o, *irqs;

        if (p->irqbalance <= 0)
                return NULL;
        o = json_object_new_object();
        irqs = json_object_new_array();
        for (size_t i = 0; irqs && i < b->n_irqs; i++)
                json_object_array_add(irqs, json_object_new_int64(b->irqs[i]));
        json_object_object_add(o, "irqs", irqs);
        json_object_object_add(o, "kept", json_object_new_int64((int64_t) b->n_kept));
        json_object_object_add(o, "sent", json_time(b->sent_usec));
        json_object_object_add(o, "error", json_text(b->error ? b->status : NULL));
        return o;
}

static json_object *describe_uplink_placement(const HostPlacement *p, const UplinkPlacement *u) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "name", json_text(u->name));
        json_object_object_add(o, "mode", json_text(placement_mode_to_string(u->mode)));
        json_object_object_add(o, "numa_node",
                        u->has_facts && u->numa_node >= 0 ? json_object_new_int(u->numa_node) : NULL);
        json_object_object_add(o, "device", u->has_facts ? json_text(u->device) : NULL);
        json_object_object_add(
                        o, "node_cpus", u->has_facts && u->numa_node >= 0 ? json_cpus(&u->node_cpus) : NULL);
        json_object_object_add(o, "reason", json_text(u->status));
        json_object_object_add(o, "irqbalance", describe_irqbalance(p, u));
        json_object_object_add(o, "irqs", describe_items(u->irqs, u->n_irqs, true, NULL));
        json_object_object_add(o, "workers", describe_items(u->workers, u->n_workers, false, NULL));
        json_object_object_add(o, "changes", json_object_new_int64((int64_t) u->changes));
        json_object_object_add(o, "last_change", json_time(u->last_change_usec));
        return o;
}

json_object *describe_placement(const HostPlacement *p) {
        json_object *o, *uplinks;

        if (!p)
                return NULL;
        o = json_object_new_object();
        json_object_object_add(o, "passes", json_object_new_int64((int64_t) p->passes));
        json_object_object_add(o, "last_pass", json_time(p->pass_usec));
        json_object_object_add(o, "error", json_text(p->status[0] ? p->status : NULL));
        json_object_object_add(o, "online_cpus", json_cpus(&p->online));
        json_object_object_add(o, "isolated_cpus", json_cpus(&p->isolated));
        json_object_object_add(o, "reserved_cpus", json_cpus(&p->manager->config.reserved_cpus));
        json_object_object_add(o, "pinned_vcpus", json_cpus(&p->pinned_vcpus));
        json_object_object_add(o, "irqbalance_pid",
                        p->irqbalance > 0 ? json_object_new_int((int) p->irqbalance) : NULL);
        json_object_object_add(o, "irqbalance_ban", describe_irqbalance_ban(p));
        uplinks = json_object_new_array();
        for (size_t i = 0; uplinks && i < p->n_uplinks; i++)
                json_object_array_add(uplinks, describe_uplink_placement(p, &p->uplinks[i]));
        json_object_object_add(o, "uplinks", uplinks);
        return o;
}

json_object *describe_guest_placement(const HostPlacement *p, const char *guest) {
        const PlacedGuest *g = host_placement_find_guest(p, guest);
        const UplinkPlacement *u;
        json_object *o, *threads;
        char reason[256];

        if (!g)
                return NULL;
        u = g->uplink[0] ? host_placement_find_uplink(p, g->uplink) : NULL;
        o = json_object_new_object();
        json_object_object_add(o, "uplink", json_text(u ? u->name : NULL));
        json_object_object_add(o, "mode", u ? json_text(placement_mode_to_string(u->mode)) : NULL);
        if (u)
                (void) snprintf(reason, sizeof(reason),
                                "its vhost workers are placed with uplink %s (Placement=%s), the first "
                                "[Uplink] "
                                "one of its NICs is on",
                                u->name, placement_mode_to_string(u->mode));
        else
                (void) snprintf(reason, sizeof(reason),
                                "none of its NICs is on an [Uplink] (a macvtap's lower device or a port of "
                                "its "
                                "bridge): its vhost workers are left alone");
        json_object_object_add(o, "reason", json_text(reason));
        json_object_object_add(o, "vcpus", json_cpus(&g->vcpus));
        json_object_object_add(o, "vcpus_pinned", json_object_new_boolean(g->pinned));
        threads = json_object_new_array();
        for (size_t i = 0; threads && i < g->n_threads; i++) {
                json_object *t = json_object_new_object();

                json_object_object_add(t, "tid", json_object_new_int((int) g->threads[i]));
                json_object_object_add(t, "cpus",
                                cpu_set_is_empty(&g->thread_cpus[i]) ? NULL : json_cpus(&g->thread_cpus[i]));
                json_object_array_add(threads, t);
        }
        json_object_object_add(o, "vcpu_threads", threads);
        json_object_object_add(o, "workers",
                        u ? describe_items(u->workers, u->n_workers, false, guest)
                          : json_object_new_array());
        return o;
}
