/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "describe.h"
#include "host-placement.h"
#include "libvirt-conn.h"
#include "nic.h"
#include "utf8.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(json_object *, json_object_put);

/* Every string of the document passes here: D-Bus refuses the whole reply for one invalid
 * UTF-8 byte (a QEMU error text, a name cut by a bounded buffer). NULL stays JSON null. */
json_object *json_text(const char *s) {
        _cleanup_free_ char *valid = NULL;

        if (!s)
                return NULL;
        if (utf8_is_valid(s))
                return json_object_new_string(s);
        valid = utf8_make_valid(s);
        return valid ? json_object_new_string(valid) : NULL;
}

json_object *json_time(unsigned long long usec) {
        char buf[TIMESTAMP_MAX];

        return json_text(format_timestamp(usec, buf));
}

/* A CLOCK_MONOTONIC time (the policies' clock) as wall-clock time. */
static json_object *json_time_monotonic(unsigned long long usec) {
        unsigned long long mono = now_usec(CLOCK_MONOTONIC), real = now_usec(CLOCK_REALTIME);

        if (usec == 0 || usec > mono || mono - usec > real)
                return NULL;
        return json_time(real - (mono - usec));
}

static json_object *json_mac(const EtherAddr *a) {
        char buf[ETHER_ADDR_STRING_MAX];

        return json_text(ether_addr_to_string(a, buf));
}

static json_object *json_mac_array(const EtherAddr *a, size_t n) {
        json_object *arr = json_object_new_array();

        for (size_t i = 0; arr && i < n; i++)
                json_object_array_add(arr, json_mac(&a[i]));
        return arr;
}

static json_object *describe_asked(const RxFilter *f) {
        json_object *o = json_object_new_object();
        _cleanup_free_ char *vlans = vlan_set_to_string(&f->vlans);

        json_object_object_add(o, "mac", json_mac(&f->main_mac));
        json_object_object_add(o, "promiscuous", json_object_new_boolean(f->promiscuous));
        json_object_object_add(o, "unicast", json_text(rx_mode_to_string(f->unicast)));
        json_object_object_add(o, "multicast", json_text(rx_mode_to_string(f->multicast)));
        json_object_object_add(o, "vlan", json_text(rx_mode_to_string(f->vlan)));
        json_object_object_add(o, "unicast_overflow", json_object_new_boolean(f->unicast_overflow));
        json_object_object_add(o, "multicast_overflow", json_object_new_boolean(f->multicast_overflow));
        json_object_object_add(o, "unicast_table", json_mac_array(f->unicast_table, f->n_unicast));
        json_object_object_add(o, "multicast_table", json_mac_array(f->multicast_table, f->n_multicast));
        /* "vlan":"all" comes with the whole 0-4095 table: say "all" rather than a giant range. */
        json_object_object_add(o, "vlans", json_text(f->vlan == RX_MODE_ALL ? "all" : strempty(vlans)));
        return o;
}

static json_object *describe_host(const Nic *n) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "mac", json_mac(&n->host.mac));
        json_object_object_add(o, "up", json_object_new_boolean(n->host.flags & IFF_UP));
        json_object_object_add(o, "promiscuous", json_object_new_boolean(n->host.flags & IFF_PROMISC));
        json_object_object_add(o, "allmulti", json_object_new_boolean(n->host.flags & IFF_ALLMULTI));
        json_object_object_add(o, "promiscuity", json_object_new_int64(n->host.promiscuity));
        json_object_object_add(o, "multicast", json_mac_array(n->host_mc, n->n_host_mc));
        return o;
}

static json_object *describe_uplink(const Nic *n) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "name", json_text(n->uplink.ifname));
        json_object_object_add(o, "promiscuity", json_object_new_int64(n->uplink.promiscuity));
        json_object_object_add(o, "promiscuous", json_object_new_boolean(n->uplink_verdict.promiscuous));
        json_object_object_add(o, "reason", json_text(n->uplink_verdict.reason));
        return o;
}

static json_object *json_vids(const VlanSet *v) {
        _cleanup_free_ char *s = vlan_set_to_string(v);

        return json_text(strempty(s));
}

static json_object *json_port_flags(const BridgePortFlags *f) {
        json_object *o = json_object_new_object();

        /* null = not set / leave as it is */
        json_object_object_add(o, "learning", f->learning < 0 ? NULL : json_object_new_boolean(f->learning));
        json_object_object_add(o, "unicast_flood",
                        f->unicast_flood < 0 ? NULL : json_object_new_boolean(f->unicast_flood));
        json_object_object_add(o, "mcast_flood",
                        f->mcast_flood < 0 ? NULL : json_object_new_boolean(f->mcast_flood));
        return o;
}

/* A tap in a bridge: the bridge, the port's flags, VLANs asked/allowed/applied, FDB entries, and
 * the bridge's other ports with why each is promiscuous. */
static json_object *describe_bridge_port(const Nic *n) {
        json_object *mdb;
        json_object *o = json_object_new_object(), *vlans = json_object_new_object(),
                    *fdb = json_object_new_array(), *uplinks = json_object_new_array();

        json_object_object_add(o, "bridge", json_text(n->bridge_name));
        json_object_object_add(o, "vlan_filtering", json_object_new_boolean(n->bridge.vlan_filtering));
        json_object_object_add(o, "bridge_promiscuous", json_object_new_boolean(n->bridge.promisc));
        json_object_object_add(o, "port_flags", json_port_flags(&n->port_flags));
        json_object_object_add(o, "port_flags_wanted", json_port_flags(&n->port_flags_wanted));

        json_object_object_add(vlans, "asked", n->has_asked ? json_vids(&n->asked.vlans) : NULL);
        json_object_object_add(vlans, "allowed", json_vids(&n->settings.allowed_vlans));
        json_object_object_add(vlans, "native",
                        n->settings.native_vlan ? json_object_new_int((int) n->settings.native_vlan) : NULL);
        json_object_object_add(vlans, "settings_origin", json_text(n->settings_origin));
        json_object_object_add(vlans, "applied", json_vids(&n->port_have.vids));
        json_object_object_add(vlans, "pvid",
                        n->port_have.pvid ? json_object_new_int((int) n->port_have.pvid) : NULL);
        json_object_object_add(vlans, "wanted",
                        n->has_port_decision ? json_vids(&n->port_decision.wanted.vids) : NULL);
        json_object_object_add(vlans, "refused",
                        n->has_port_decision ? json_vids(&n->port_decision.refused_vids) : NULL);
        json_object_object_add(o, "vlans", vlans);

        for (size_t i = 0; i < n->n_port_fdb; i++) {
                json_object *e = json_object_new_object();

                json_object_object_add(e, "mac", json_mac(&n->port_fdb[i].mac));
                json_object_object_add(e, "vlan",
                                n->port_fdb[i].vid ? json_object_new_int(n->port_fdb[i].vid) : NULL);
                json_object_array_add(fdb, e);
        }
        json_object_object_add(o, "fdb", fdb);
        json_object_object_add(o, "mcast_snooping", json_object_new_boolean((n->bridge.mcast_snooping > 0)));
        mdb = json_object_new_array();
        for (size_t i = 0; i < n->n_port_mdb; i++) {
                json_object *e = json_object_new_object();

                json_object_object_add(e, "group", json_mac(&n->port_mdb[i].mac));
                json_object_object_add(e, "vlan",
                                n->port_mdb[i].vid ? json_object_new_int(n->port_mdb[i].vid) : NULL);
                json_object_array_add(mdb, e);
        }
        json_object_object_add(o, "mdb", mdb);

        for (size_t i = 0; i < n->n_uplinks; i++) {
                const UplinkReport *u = &n->uplinks[i];
                json_object *e = json_object_new_object();

                json_object_object_add(e, "name", json_text(u->ifname));
                json_object_object_add(e, "promiscuity", json_object_new_int64(u->promiscuity));
                json_object_object_add(e, "promiscuous", json_object_new_boolean(u->verdict.promiscuous));
                json_object_object_add(e, "learning", json_object_new_boolean(u->learning));
                json_object_object_add(e, "unicast_flood", json_object_new_boolean(u->unicast_flood));
                json_object_object_add(e, "reason", json_text(u->verdict.reason));
                json_object_array_add(uplinks, e);
        }
        json_object_object_add(o, "uplinks", uplinks);
        return o;
}

/* For a bridge port the decisions are the bridge fields; what a bridge port cannot express says so. */
static json_object *describe_bridge_decisions(const Nic *n) {
        static const struct {
                const char *field, *reason;
        } na[] = {
                        {"promiscuous", "a bridge port gets what the bridge forwards: nothing to program"},
        };
        json_object *arr = json_object_new_array();
        char mac[ETHER_ADDR_STRING_MAX], wmac[ETHER_ADDR_STRING_MAX], ag[48], wg[48];
        _cleanup_free_ char *asked_v = vlan_set_to_string(&n->asked.vlans);
        _cleanup_free_ char *want_v = vlan_set_to_string(&n->port_decision.wanted.vids);
        const BridgePortState *w = &n->port_decision.wanted;

        for (BridgeField f = 0; f < _BRIDGE_FIELD_MAX; f++) {
                const FieldDecision *d = &n->port_decision.fields[f];
                json_object *o = json_object_new_object();
                const char *asked, *wanted;

                if (f == BRIDGE_FIELD_FDB) {
                        asked = ether_addr_to_string(&n->asked.main_mac, mac);
                        wanted = w->has_fdb ? ether_addr_to_string(&w->fdb_mac, wmac) : "-";
                } else if (f == BRIDGE_FIELD_MULTICAST) {
                        (void) snprintf(ag, sizeof(ag), "%zu groups%s", n->asked.n_multicast,
                                        n->asked.multicast_overflow ? " (overflow)" : "");
                        if (w->mcast_flood)
                                (void) snprintf(wg, sizeof(wg), "flood");
                        else
                                (void) snprintf(wg, sizeof(wg), "%zu groups", w->n_groups);
                        asked = ag;
                        wanted = wg;
                } else {
                        asked = n->asked.vlan == RX_MODE_ALL ? "all" : strempty(asked_v);
                        wanted = strempty(want_v);
                }
                json_object_object_add(o, "field", json_text(bridge_field_to_string(f)));
                json_object_object_add(o, "asked", json_text(asked));
                json_object_object_add(o, "wanted", json_text(wanted));
                json_object_object_add(o, "action", json_text(trust_action_to_string(d->action)));
                json_object_object_add(o, "reason", json_text(d->reason));
                json_object_array_add(arr, o);
        }
        for (size_t i = 0; i < ELEMENTSOF(na); i++) {
                json_object *o = json_object_new_object();

                json_object_object_add(o, "field", json_text(na[i].field));
                json_object_object_add(o, "asked", json_text("-"));
                json_object_object_add(o, "wanted", json_text("-"));
                json_object_object_add(o, "action", json_text("n/a"));
                json_object_object_add(o, "reason", json_text(na[i].reason));
                json_object_array_add(arr, o);
        }
        return arr;
}

static void field_values(const Nic *n, TrustField f, char *asked, char *wanted, size_t size) {
        const MacvtapSettings *w = &n->decision.wanted;
        const RxFilter *a = &n->asked;
        char mac[ETHER_ADDR_STRING_MAX];

        switch (f) {
        case TRUST_FIELD_MAC:
                (void) snprintf(asked, size, "%s", ether_addr_to_string(&a->main_mac, mac));
                (void) snprintf(wanted, size, "%s", ether_addr_to_string(&w->mac, mac));
                break;
        case TRUST_FIELD_PROMISCUOUS:
                (void) snprintf(asked, size, "%s", a->promiscuous ? "on" : "off");
                (void) snprintf(wanted, size, "%s", w->promiscuous ? "on" : "off");
                break;
        case TRUST_FIELD_ALLMULTI:
                (void) snprintf(asked, size, "%s",
                                a->multicast == RX_MODE_ALL || a->multicast_overflow ? "on" : "off");
                (void) snprintf(wanted, size, "%s", w->allmulti ? "on" : "off");
                break;
        case TRUST_FIELD_MULTICAST:
                (void) snprintf(asked, size, "%zu groups%s", a->n_multicast,
                                a->multicast_overflow ? " (overflow)" : "");
                (void) snprintf(wanted, size, "%zu groups", w->n_multicast);
                break;
        case TRUST_FIELD_UNICAST:
                (void) snprintf(asked, size, "%zu extra%s", a->n_unicast,
                                a->unicast_overflow ? " (overflow)" : "");
                (void) snprintf(wanted, size, "-");
                break;
        case TRUST_FIELD_VLANS: {
                _cleanup_free_ char *v = vlan_set_to_string(&a->vlans);

                (void) snprintf(asked, size, "%s", a->vlan == RX_MODE_ALL ? "all" : (v && *v ? v : "none"));
                (void) snprintf(wanted, size, "-");
                break;
        }
        default:
                asked[0] = wanted[0] = 0;
        }
}

static json_object *describe_decisions(const Nic *n) {
        json_object *arr = json_object_new_array();

        for (TrustField f = 0; f < _TRUST_FIELD_MAX; f++) {
                const FieldDecision *d = &n->decision.fields[f];
                json_object *o = json_object_new_object();
                char asked[128], wanted[128];

                field_values(n, f, asked, wanted, sizeof(asked));
                json_object_object_add(o, "field", json_text(trust_field_to_string(f)));
                json_object_object_add(o, "asked", json_text(asked));
                json_object_object_add(o, "wanted", json_text(wanted));
                json_object_object_add(o, "action", json_text(trust_action_to_string(d->action)));
                json_object_object_add(o, "reason", json_text(d->reason));
                json_object_array_add(arr, o);
        }
        return arr;
}

static void add_refusal(json_object *arr, const char *field, const Refusal *rf) {
        json_object *o;

        if (rf->count == 0)
                return;
        o = json_object_new_object();
        json_object_object_add(o, "field", json_text(field));
        json_object_object_add(o, "asked", json_text(rf->asked));
        json_object_object_add(o, "rule", json_text(rf->rule));
        json_object_object_add(o, "count", json_object_new_int64((int64_t) rf->count));
        json_object_object_add(o, "last", json_time(rf->last_usec));
        json_object_array_add(arr, o);
}

static json_object *describe_refusals(const Nic *n) {
        json_object *arr = json_object_new_array();

        for (TrustField f = 0; f < _TRUST_FIELD_MAX; f++)
                add_refusal(arr, trust_field_to_string(f), &n->refusals[f]);
        for (BridgeField f = 0; f < _BRIDGE_FIELD_MAX; f++)
                add_refusal(arr, bridge_field_to_string(f), &n->bridge_refusals[f]);
        return arr;
}

static json_object *describe_latency(const Nic *n) {
        json_object *o = json_object_new_object(), *ack = json_object_new_array(),
                    *proc = json_object_new_array();
        size_t count = MIN(n->n_lat, (size_t) NIC_LATENCY_SAMPLES);

        /* Oldest first. */
        for (size_t k = 0; k < count; k++) {
                size_t i = (n->n_lat - count + k) % NIC_LATENCY_SAMPLES;

                json_object_array_add(ack, json_object_new_int64((int64_t) n->lat_event_to_ack[i]));
                json_object_array_add(proc, json_object_new_int64((int64_t) n->lat_processing[i]));
        }
        json_object_object_add(o, "rounds", json_object_new_int64((int64_t) n->n_lat));
        json_object_object_add(o, "event_to_ack_usec", ack);
        json_object_object_add(o, "processing_usec", proc);
        return o;
}

static json_object *describe_vlan(const LibvirtVlan *v) {
        _cleanup_free_ char *tags = NULL;
        json_object *o;

        if (!libvirt_vlan_is_set(v))
                return NULL;
        tags = vlan_set_to_string(&v->tags);
        o = json_object_new_object();
        json_object_object_add(o, "tags", json_text(strempty(tags)));
        json_object_object_add(o, "trunk", json_object_new_boolean(v->trunk));
        json_object_object_add(o, "native_mode", json_text(vlan_native_mode_to_string(v->native_mode)));
        json_object_object_add(
                        o, "native_vid", v->native_vid ? json_object_new_int((int) v->native_vid) : NULL);
        return o;
}

static json_object *json_text_or_null(const char *s) {
        return s && s[0] ? json_text(s) : NULL;
}

/* A libvirt NIC's <interface>, as libvirt plugged it (network resolved). */
static json_object *describe_interface(const Nic *n) {
        const ResolvedInterface *r = &n->resolved;
        const DomainInterface *i = &n->iface;
        json_object *o = json_object_new_object();

        json_object_object_add(o, "type", json_text(i->type_name));
        json_object_object_add(o, "model", json_text_or_null(i->model));
        json_object_object_add(o, "mac", i->has_mac ? json_mac(&i->mac) : NULL);
        json_object_object_add(o, "alias", json_text_or_null(i->alias));
        json_object_object_add(o, "target_dev", json_text_or_null(i->target_dev));
        json_object_object_add(o, "source_dev",
                        json_text_or_null(r->source_dev[0] ? r->source_dev : i->source_dev));
        json_object_object_add(
                        o, "source_bridge", json_text_or_null(r->bridge[0] ? r->bridge : i->source_bridge));
        json_object_object_add(
                        o, "source_network", i->source_network[0] ? json_text(i->source_network) : NULL);
        json_object_object_add(o, "source_portgroup", r->portgroup[0] ? json_text(r->portgroup) : NULL);
        json_object_object_add(o, "source_mode",
                        i->type == DOMAIN_INTERFACE_DIRECT ? json_text(macvtap_mode_to_string(r->mode))
                                                           : NULL);
        json_object_object_add(o, "queues", i->queues ? json_object_new_int((int) i->queues) : NULL);
        json_object_object_add(o, "vlan", describe_vlan(&r->vlan));
        json_object_object_add(o, "vlan_origin", json_text(setting_origin_to_string(r->vlan_origin)));
        json_object_object_add(o, "trustGuestRxFilters", json_object_new_boolean(r->trust_guest_rx_filters));
        json_object_object_add(o, "trust_origin", json_text(setting_origin_to_string(r->trust_origin)));
        return o;
}

static json_object *describe_ownership(const Nic *n) {
        json_object *o = json_object_new_object();

        for (OwnedPart p = 0; p < _OWNED_PART_MAX; p++) {
                json_object *e = json_object_new_object();

                json_object_object_add(e, "owner", json_text(owner_to_string(n->ownership.parts[p].owner)));
                json_object_object_add(e, "reason", json_text(n->ownership.parts[p].reason));
                json_object_object_add(o, owned_part_to_string(p), e);
        }
        return o;
}

/* The multiqueue rules checked before the one that decided, in order, each with why it did not
 * apply: with "rule", the rule chain. */
static json_object *describe_passed_over(const MultiqueueDecision *d) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < d->n_passed; i++) {
                json_object *e = json_object_new_object();

                json_object_object_add(e, "rule", json_text(multiqueue_rule_to_string(d->passed[i].rule)));
                json_object_object_add(e, "why", json_text(d->passed[i].why));
                json_object_array_add(a, e);
        }
        return a;
}

/* What MultiqueueApply= did: the lever, its state, the pairs it acted on, when and how it went. */
static json_object *describe_queues_action(const NicQueuesAction *a) {
        json_object *o = json_object_new_object();
        int mode = a->mode >= 0 ? a->mode : NIC_MULTIQUEUE_APPLY_REPORT;

        json_object_object_add(o, "mode", json_text(nic_multiqueue_apply_to_string(mode)));
        json_object_object_add(o, "state", json_text(nic_queues_action_state_to_string(a->state)));
        json_object_object_add(o, "pairs", a->pairs > 0 ? json_object_new_int64(a->pairs) : NULL);
        json_object_object_add(o, "when", json_time(a->when));
        json_object_object_add(o, "detail", json_text(a->detail[0] ? a->detail : NULL));
        json_object_object_add(o, "agent_calls", json_object_new_int64((int64_t) a->agent_calls));
        return o;
}

/* Queue pairs: the most the NIC can have and the guest's active ones, each with how vnicd knows; the
 * multiqueue recommendation with its rule, reason and the figures it looked at, next to the static
 * choices; the command an operator would run for it. */
static json_object *describe_queues(const Nic *n) {
        const NicQueues *q = &n->queues;
        json_object *o = json_object_new_object();
        const char *vcpus_source = NULL;
        NicQueuesSeen seen;
        char command[256];
        unsigned vcpus;

        nic_queues_seen(n, &seen);
        json_object_object_add(o, "max", seen.max > 0 ? json_object_new_int64(seen.max) : NULL);
        json_object_object_add(o, "max_source", json_text(seen.max_source));
        json_object_object_add(o, "active", seen.active > 0 ? json_object_new_int64(seen.active) : NULL);
        json_object_object_add(o, "active_source", json_text(seen.active_source));
        vcpus = n->guest ? guest_vcpu_count(n->guest, &vcpus_source) : 0;
        json_object_object_add(o, "vcpus", vcpus > 0 ? json_object_new_int64(vcpus) : NULL);
        json_object_object_add(o, "vcpus_source", json_text(vcpus_source));
        json_object_object_add(o, "samples", json_object_new_int64((int64_t) q->n_samples));
        json_object_object_add(o, "sampled",
                        q->n_samples > 0 ? json_time_monotonic(q->samples[q->n_samples - 1].time_usec)
                                         : NULL);
        json_object_object_add(o, "action", describe_queues_action(&q->action));
        json_object_object_add(o, "guest_stats", describe_guest_stats(n));
        if (!q->has_decision) {
                json_object_object_add(o, "recommended", NULL);
                json_object_object_add(o, "reason", json_text(q->status[0] ? q->status : "no sample yet"));
                return o;
        }
        json_object_object_add(o, "recommended", json_object_new_int64(q->decision.pairs));
        json_object_object_add(o, "next_boot", json_object_new_int64(q->decision.boot_pairs));
        json_object_object_add(o, "rule", json_text(multiqueue_rule_to_string(q->decision.rule)));
        json_object_object_add(o, "reason", json_text(q->decision.reason));
        json_object_object_add(o, "passed_over", describe_passed_over(&q->decision));
        json_object_object_add(o, "held", json_object_new_boolean(q->decision.held));
        json_object_object_add(o, "static_one", json_object_new_int64(q->decision.static_one));
        json_object_object_add(o, "static_cap", json_object_new_int64(q->decision.static_cap));
        json_object_object_add(o, "packet_rate", json_object_new_double(q->decision.load.packet_rate));
        json_object_object_add(o, "avg_frame", json_object_new_double(q->decision.load.avg_frame));
        json_object_object_add(o, "worker_busy_max",
                        q->decision.load.has_workers
                                        ? json_object_new_double(q->decision.load.worker_busy_max)
                                        : NULL);
        json_object_object_add(o, "changed", json_time_monotonic(q->state.changed_usec));
        nic_queues_command(q, &seen, command, sizeof(command));
        json_object_object_add(o, "command", json_text(command[0] ? command : NULL));
        return o;
}

/* MAC flapping: the changes counted in the current window, and the hold-down left, if any. */
static json_object *describe_mac_changes(const Nic *n) {
        json_object *o = json_object_new_object();
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        NicPolicy p;

        nic_policy(n, &p);
        json_object_object_add(o, "in_window", json_object_new_int64(mac_flap_in_window(&n->mac_flap, &p)));
        json_object_object_add(o, "hold_remaining_sec",
                        n->mac_flap.hold_until_usec > now
                                        ? json_object_new_int64(
                                                          (int64_t) ((n->mac_flap.hold_until_usec - now +
                                                                                     USEC_PER_SEC - 1) /
                                                                          USEC_PER_SEC))
                                        : NULL);
        return o;
}

/* Every per-NIC setting with its effective value and where it came from (the rule of
 * precedence's winner); an unset one has a null value and what it means as its origin. */
static json_object *describe_settings(const Nic *n) {
        json_object *a = json_object_new_array();

        for (NicSetting w = 0; w < _NIC_SETTING_MAX; w++) {
                _cleanup_free_ char *value = NULL;
                json_object *e = json_object_new_object();
                bool trust = w == NIC_SETTING_TRUST;

                if (!trust)
                        (void) nic_settings_format(&n->settings, w, &value);
                json_object_object_add(e, "key", json_text(nic_setting_to_key(w)));
                json_object_object_add(e, "value", json_text(trust ? yes_no(n->trusted) : value));
                json_object_object_add(e, "origin",
                                json_text(trust         ? n->trust_origin
                                                : value ? n->setting_origins[w]
                                                        : nic_setting_unset_meaning(w)));
                json_object_array_add(a, e);
        }
        return a;
}

static json_object *describe_nic(const Nic *n) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "guest", json_text(n->guest ? n->guest->name : NULL));
        json_object_object_add(o, "name", json_text(n->name));
        json_object_object_add(o, "path", json_text(n->path));
        json_object_object_add(o, "host_device", json_text(n->host_device));
        json_object_object_add(o, "host_device_origin", json_text(n->host_device_origin));
        json_object_object_add(o, "ifindex", n->has_host ? json_object_new_int(n->host.ifindex) : NULL);
        json_object_object_add(o, "kind", n->has_host ? json_text(n->host.kind) : NULL);
        json_object_object_add(o, "state", json_text(nic_state_to_string(n->state)));
        json_object_object_add(o, "trusted", json_object_new_boolean(n->trusted));
        json_object_object_add(o, "trust_reason", json_text(n->trust_origin));
        /* Who owns the host settings: vnicd unless libvirt syncs a trusted macvtap itself. */
        json_object_object_add(o, "owner",
                        json_text(n->has_interface ? owner_to_string(n->ownership.owner) : "vnicd"));
        json_object_object_add(o, "owner_reason",
                        json_text(n->has_interface ? n->ownership.reason : "configured for vnicd (QMP)"));
        json_object_object_add(o, "owners", n->has_interface ? describe_ownership(n) : NULL);
        json_object_object_add(o, "interface", n->has_interface ? describe_interface(n) : NULL);
        json_object_object_add(o, "config_error", json_text(n->config_error));
        json_object_object_add(o, "settings", describe_settings(n));
        json_object_object_add(
                        o, "configured_mac", n->has_configured_mac ? json_mac(&n->configured_mac) : NULL);
        json_object_object_add(o, "asked", n->has_asked ? describe_asked(&n->asked) : NULL);
        json_object_object_add(o, "host", n->has_host ? describe_host(n) : NULL);
        json_object_object_add(o, "uplink", n->has_uplink ? describe_uplink(n) : NULL);
        if (n->is_bridge_port)
                json_object_object_add(o, "decisions",
                                n->has_port_decision ? describe_bridge_decisions(n)
                                                     : json_object_new_array());
        else
                json_object_object_add(o, "decisions",
                                n->has_decision ? describe_decisions(n) : json_object_new_array());
        json_object_object_add(o, "bridge", n->is_bridge_port ? describe_bridge_port(n) : NULL);
        json_object_object_add(o, "in_sync", json_object_new_boolean(n->in_sync));
        json_object_object_add(o, "events", json_object_new_int64((int64_t) n->events));
        json_object_object_add(o, "queries", json_object_new_int64((int64_t) n->queries));
        json_object_object_add(o, "writes", json_object_new_int64((int64_t) n->writes));
        json_object_object_add(o, "last_change", json_time(n->last_change_usec));
        json_object_object_add(o, "last_error", json_text(n->last_error));
        json_object_object_add(o, "refusals", describe_refusals(n));
        json_object_object_add(o, "mac_changes", describe_mac_changes(n));
        json_object_object_add(o, "queues", describe_queues(n));
        json_object_object_add(o, "latency", describe_latency(n));
        return o;
}

/* The guest's vhost-net workers: tid, form, busy over the last sample interval and allowed CPUs. */
static json_object *describe_vhost_workers(const GuestVhost *v) {
        json_object *arr = json_object_new_array();

        for (size_t i = 0; arr && i < v->n_workers; i++) {
                const VhostWorker *w = &v->workers[i];
                json_object *o = json_object_new_object();
                _cleanup_free_ char *cpus = w->has_cpus ? cpu_set_to_string(&w->cpus) : NULL;

                json_object_object_add(o, "tid", json_object_new_int((int) w->tid));
                json_object_object_add(o, "form", json_text(vhost_worker_form_to_string(w->form)));
                json_object_object_add(o, "busy_percent",
                                w->has_busy ? json_object_new_double(w->busy_percent) : NULL);
                json_object_object_add(o, "cpus", json_text(cpus));
                json_object_array_add(arr, o);
        }
        return arr;
}

static json_object *describe_guest(Guest *g) {
        json_object *o = json_object_new_object(), *nics = json_object_new_array();

        json_object_object_add(o, "name", json_text(g->name));
        json_object_object_add(o, "source", json_text(guest_source_to_string(g->source)));
        json_object_object_add(o, "qmp_socket", json_text(g->qmp_socket));
        json_object_object_add(o, "uuid", json_text(g->uuid));
        json_object_object_add(o, "domain_id", g->domain_id >= 0 ? json_object_new_int(g->domain_id) : NULL);
        json_object_object_add(o, "xml_read", json_time(g->xml_usec));
        json_object_object_add(o, "connected", json_object_new_boolean(guest_is_connected(g)));
        json_object_object_add(o, "qemu_version", json_text(g->qmp ? qmp_client_get_version(g->qmp) : NULL));
        json_object_object_add(o, "events", json_object_new_int64((int64_t) g->events));
        json_object_object_add(o, "last_error", json_text(g->last_error));
        json_object_object_add(o, "warning", json_text(g->warning));
        json_object_object_add(o, "migration", json_text(guest_migration_to_string(g->migration)));
        json_object_object_add(o, "qemu_pid",
                        g->vhost.qemu_pid > 0 ? json_object_new_int((int) g->vhost.qemu_pid) : NULL);
        json_object_object_add(
                        o, "qemu_pid_source", json_text(g->vhost.qemu_pid > 0 ? g->vhost.pid_source : NULL));
        json_object_object_add(o, "vhost_workers", describe_vhost_workers(&g->vhost));
        json_object_object_add(o, "vhost_workers_reason", json_text(g->vhost.status));
        json_object_object_add(o, "placement", describe_guest_placement(g->manager->placement, g->name));
        for (size_t i = 0; i < g->n_nics; i++)
                json_object_array_add(nics, describe_nic(g->nics[i]));
        json_object_object_add(o, "nics", nics);
        return o;
}

static int to_string(json_object *o, char **ret) {
        const char *s = json_object_to_json_string_ext(
                        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        char *d;

        if (!s)
                return -ENOMEM;
        d = strdup(s);
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

static json_object *describe_libvirt(Manager *m) {
        json_object *o;

        if (!m->libvirt)
                return NULL;
        o = json_object_new_object();
        json_object_object_add(o, "uri", json_text(libvirt_conn_get_uri(m->libvirt)));
        json_object_object_add(o, "state",
                        json_text(libvirt_conn_state_to_string(libvirt_conn_get_state(m->libvirt))));
        json_object_object_add(o, "connects",
                        json_object_new_int64((int64_t) libvirt_conn_get_connects(m->libvirt)));
        json_object_object_add(o, "last_error", json_text(libvirt_conn_get_error(m->libvirt)));
        return o;
}

int manager_describe(Manager *m, char **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *daemon, *guests;

        if (!o)
                return -ENOMEM;
        daemon = json_object_new_object();
        json_object_object_add(daemon, "pid", json_object_new_int((int) getpid()));
        json_object_object_add(daemon, "version", json_text(PACKAGE_VERSION));
        json_object_object_add(daemon, "config", json_text(m->config_path));
        json_object_object_add(daemon, "started", json_time(m->started_usec));
        json_object_object_add(daemon, "writes", json_object_new_int64((int64_t) m->n_writes));
        json_object_object_add(daemon, "libvirt", describe_libvirt(m));
        json_object_object_add(o, "version", json_object_new_int(1));
        json_object_object_add(o, "daemon", daemon);
        guests = json_object_new_array();
        for (size_t i = 0; i < m->n_guests; i++)
                json_object_array_add(guests, describe_guest(m->guests[i]));
        json_object_object_add(o, "guests", guests);
        json_object_object_add(o, "placement", describe_placement(m->placement));
        return to_string(o, ret);
}

int nic_describe(Nic *n, char **ret) {
        _cleanup_(json_object_putp) json_object *o = describe_nic(n);

        if (!o)
                return -ENOMEM;
        return to_string(o, ret);
}
