/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "bridge-port.h"
#include "macro.h"

static const char *const bridge_field_table[_BRIDGE_FIELD_MAX] = {
                [BRIDGE_FIELD_FDB] = "fdb",
                [BRIDGE_FIELD_VLANS] = "vlans",
                [BRIDGE_FIELD_MULTICAST] = "multicast",
};

const char *bridge_field_to_string(BridgeField f) {
        return f >= 0 && f < _BRIDGE_FIELD_MAX ? bridge_field_table[f] : NULL;
}

#define set_field(d, f, a, ...) field_decision_set(&(d)->fields[f], a, __VA_ARGS__)

bool bridge_port_state_equal(const BridgePortState *a, const BridgePortState *b) {
        if (!vlan_set_equal(&a->vids, &b->vids) || a->pvid != b->pvid ||
                        !vlan_set_equal(&a->untagged, &b->untagged))
                return false;
        if (a->has_fdb != b->has_fdb || a->n_groups != b->n_groups || a->mcast_flood != b->mcast_flood ||
                        memcmp(a->groups, b->groups, a->n_groups * sizeof(EtherAddr)) != 0)
                return false;
        return !a->has_fdb ||
               (ether_addr_equal(&a->fdb_mac, &b->fdb_mac) && vlan_set_equal(&a->fdb_vids, &b->fdb_vids));
}

/* "7,9-11" of a set, into a fixed buffer (reasons are bounded anyway). */
static const char *vids_string(const VlanSet *s, char *buf, size_t size) {
        _cleanup_free_ char *t = vlan_set_to_string(s);

        (void) snprintf(buf, size, "%s", t && *t ? t : "none");
        return buf;
}

static void decide_vlans(const RxFilter *asked, const BridgePortPolicy *p, BridgePortDecision *d) {
        VlanSet want = p->allowed, refused = {};
        char a[64], b[64];

        if (!p->vlan_filtering) {
                /* Without VLAN filtering the bridge ignores port VLANs: nothing to program. */
                set_field(d, BRIDGE_FIELD_VLANS, TRUST_ACTION_NA,
                                "bridge %s is not VLAN-aware (vlan_filtering 0): VLANs cannot be applied",
                                p->bridge);
                return;
        }

        if (p->nic.trusted && asked->vlan != RX_MODE_ALL) {
                VlanSet guest = asked->vlans;

                /* VID 0 is the priority tag, 4095 is reserved: never port VLANs. */
                vlan_set_remove(&guest, 0);
                vlan_set_remove(&guest, 4095);
                refused = guest;
                vlan_set_subtract(&refused, &p->allowed);
                if (p->native_vlan > 0)
                        vlan_set_remove(&refused, p->native_vlan);
                want = guest;
                vlan_set_intersect(&want, &p->allowed);
        } else if (!p->nic.trusted && asked->vlan != RX_MODE_ALL) {
                refused = asked->vlans;
                vlan_set_remove(&refused, 0);
                vlan_set_remove(&refused, 4095);
                vlan_set_subtract(&refused, &p->allowed);
                if (p->native_vlan > 0)
                        vlan_set_remove(&refused, p->native_vlan);
        }

        if (p->native_vlan > 0) {
                (void) vlan_set_add(&want, p->native_vlan);
                (void) vlan_set_add(&d->wanted.untagged, p->native_vlan);
                d->wanted.pvid = p->native_vlan;
        }
        d->wanted.vids = want;
        d->refused_vids = refused;

        if (!vlan_set_is_empty(&refused))
                set_field(d, BRIDGE_FIELD_VLANS, TRUST_ACTION_REFUSE, "vid %s not in AllowedVLANs=%s",
                                vids_string(&refused, a, sizeof(a)), vids_string(&p->allowed, b, sizeof(b)));
        else if (asked->vlan == RX_MODE_ALL)
                set_field(d, BRIDGE_FIELD_VLANS, TRUST_ACTION_APPLY,
                                "guest does not filter VLANs (no VIRTIO_NET_F_CTRL_VLAN): port carries "
                                "every "
                                "allowed VLAN");
        else if (!p->nic.trusted)
                set_field(d, BRIDGE_FIELD_VLANS, TRUST_ACTION_APPLY,
                                "guest not trusted (%s): port carries the allowed VLANs",
                                strempty(p->nic.trust_origin));
        else
                set_field(d, BRIDGE_FIELD_VLANS, TRUST_ACTION_APPLY,
                                "trusted guest: its VLANs within AllowedVLANs=%s",
                                vids_string(&p->allowed, b, sizeof(b)));
}

static void decide_fdb(const RxFilter *asked, const BridgePortPolicy *p, const BridgePortState *have,
                BridgePortDecision *d) {
        static const MacDevice fdb = {
                        .takes = "static FDB entries take", .keeps = "static FDB entries keep"};
        static const EtherAddr none = {};
        const EtherAddr *from, *mac;

        /* The entries move from the MAC the port has, if the rule still lets it have that one (Trust=
         * or MACChange= may have changed since), else from the configured MAC. */
        if (have->has_fdb && trust_mac_permitted(&p->nic, &have->fdb_mac))
                from = &have->fdb_mac;
        else
                from = p->nic.has_configured_mac ? &p->nic.configured_mac : &none;
        mac = trust_decide_mac(&p->nic, &fdb, from, &asked->main_mac, &d->fields[BRIDGE_FIELD_FDB],
                        &d->mac_hold_until);
        if (ether_addr_is_zero(mac)) {
                set_field(d, BRIDGE_FIELD_FDB, TRUST_ACTION_NA,
                                "the guest's MAC is refused (%s) and its configured MAC is unknown: no "
                                "static "
                                "entry",
                                d->fields[BRIDGE_FIELD_FDB].reason);
                return;
        }
        /* The port has no entry for it yet: what the rule keeps is still to be written. */
        if (from != &have->fdb_mac && d->fields[BRIDGE_FIELD_FDB].action == TRUST_ACTION_KEEP) {
                char s[ETHER_ADDR_STRING_MAX];

                set_field(d, BRIDGE_FIELD_FDB, TRUST_ACTION_APPLY,
                                "configured MAC %s, the guest's, on every port VLAN",
                                ether_addr_to_string(mac, s));
        }

        d->wanted.has_fdb = true;
        d->wanted.fdb_mac = *mac;
        if (p->vlan_filtering && !vlan_set_is_empty(&d->wanted.vids))
                d->wanted.fdb_vids = d->wanted.vids;
        else
                (void) vlan_set_add(&d->wanted.fdb_vids, 0);
}

/* 01:80:c2:00:00:00-2f are IEEE 802.1 reserved addresses (STP, LACP, GARP/MRP such as the MVRP
 * group a guest with 8021q joins): the bridge's business, never MDB entries. */
static bool link_local_group(const EtherAddr *a) {
        static const uint8_t p[5] = {0x01, 0x80, 0xc2, 0x00, 0x00};

        return memcmp(a->bytes, p, 5) == 0 && a->bytes[5] <= 0x2f;
}

/* IPv4 (01:00:5e, first bit of the 4th byte clear) and IPv6 (33:33) groups: the bridge forwards
 * them by IP group, learned by snooping the guest's IGMP/MLD reports; an L2 entry would do nothing
 * (verified on 6.1 and 6.18) and only take room in the table. */
static bool ip_group(const EtherAddr *a) {
        return (a->bytes[0] == 0x01 && a->bytes[1] == 0x00 && a->bytes[2] == 0x5e &&
                               !(a->bytes[3] & 0x80)) ||
               (a->bytes[0] == 0x33 && a->bytes[1] == 0x33);
}

static void decide_multicast(const RxFilter *asked, const BridgePortPolicy *p, BridgePortDecision *d) {
        size_t n_ip = 0, n_vids;

        if (!p->mcast_snooping) {
                set_field(d, BRIDGE_FIELD_MULTICAST, TRUST_ACTION_NA,
                                "bridge %s does not snoop multicast: it floods groups to every port",
                                p->bridge);
                return;
        }
        if (!p->nic.trusted) {
                set_field(d, BRIDGE_FIELD_MULTICAST, TRUST_ACTION_NA,
                                "guest not trusted (%s): its groups get no MDB entries",
                                strempty(p->nic.trust_origin));
                return;
        }
        if (asked->multicast_overflow || asked->multicast == RX_MODE_ALL) {
                d->wanted.mcast_flood = true;
                set_field(d, BRIDGE_FIELD_MULTICAST, TRUST_ACTION_APPLY,
                                "guest wants all multicast%s: port floods it",
                                asked->multicast_overflow ? " (its table overflowed)" : "");
                return;
        }
        for (size_t i = 0; i < asked->n_multicast && d->wanted.n_groups < RX_FILTER_MAC_TABLE_MAX; i++) {
                const EtherAddr *g = &asked->multicast_table[i];

                if (ip_group(g))
                        n_ip++;
                else if (!link_local_group(g))
                        d->wanted.groups[d->wanted.n_groups++] = *g;
        }
        n_vids = MAX(vlan_set_count(&d->wanted.fdb_vids), (size_t) 1);
        if (d->wanted.n_groups * n_vids > BRIDGE_MDB_PER_PORT_MAX) {
                set_field(d, BRIDGE_FIELD_MULTICAST, TRUST_ACTION_APPLY,
                                "%zu groups on %zu VLANs would be more than %d MDB entries: port floods "
                                "multicast",
                                d->wanted.n_groups, n_vids, BRIDGE_MDB_PER_PORT_MAX);
                d->wanted.n_groups = 0;
                d->wanted.mcast_flood = true;
                return;
        }
        set_field(d, BRIDGE_FIELD_MULTICAST, TRUST_ACTION_APPLY,
                        "trusted guest: an L2 MDB entry for each of its %zu non-IP groups per port VLAN; "
                        "its %zu IP "
                        "groups the bridge learns by snooping",
                        d->wanted.n_groups, n_ip);
}

int bridge_port_decide(const RxFilter *asked, const BridgePortPolicy *policy, const BridgePortState *have,
                BridgePortDecision *ret) {
        BridgePortDecision d = {};

        if (!asked || !policy || !have || !ret)
                return -EINVAL;

        decide_vlans(asked, policy, &d);
        decide_fdb(asked, policy, have, &d);
        decide_multicast(asked, policy, &d);

        /* A field already as wanted is KEEP, unless it carries a refusal to report. */
        if (d.fields[BRIDGE_FIELD_MULTICAST].action == TRUST_ACTION_APPLY &&
                        d.wanted.n_groups == have->n_groups &&
                        (!d.wanted.mcast_flood || have->mcast_flood) &&
                        (d.wanted.n_groups == 0 ||
                                        memcmp(d.wanted.groups, have->groups,
                                                        d.wanted.n_groups * sizeof(EtherAddr)) == 0))
                d.fields[BRIDGE_FIELD_MULTICAST].action = TRUST_ACTION_KEEP;
        if (d.fields[BRIDGE_FIELD_VLANS].action == TRUST_ACTION_APPLY &&
                        vlan_set_equal(&d.wanted.vids, &have->vids) && d.wanted.pvid == have->pvid &&
                        vlan_set_equal(&d.wanted.untagged, &have->untagged))
                d.fields[BRIDGE_FIELD_VLANS].action = TRUST_ACTION_KEEP;
        if (d.fields[BRIDGE_FIELD_FDB].action == TRUST_ACTION_APPLY && have->has_fdb && d.wanted.has_fdb &&
                        ether_addr_equal(&d.wanted.fdb_mac, &have->fdb_mac) &&
                        vlan_set_equal(&d.wanted.fdb_vids, &have->fdb_vids))
                d.fields[BRIDGE_FIELD_FDB].action = TRUST_ACTION_KEEP;

        *ret = d;
        return 0;
}
