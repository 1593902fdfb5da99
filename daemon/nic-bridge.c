/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A guest NIC whose host device is a port of a Linux bridge (a tap): its port flags, its VLANs (the
 * guest's ∩ AllowedVLANs=, the native one untagged) and the static FDB entries for its MAC, so the
 * bridge can stop learning and flooding on guest ports and the uplink can leave promiscuous mode.
 *
 * What vnicd owns on such a port: the port flags it is told to set, the port's VLANs, and every
 * static (NUD_NOARP, master) FDB entry on it. The port exists for this guest only, so nothing else
 * has a reason to put static entries there; the kernel's own "permanent" entry (the port's MAC) is
 * not static and not ours. Other ports of the bridge are only read. */
#include <net/if.h>
#include <stdio.h>

#include "bridge-view.h"
#include "nic-bus.h"
#include "nic.h"
#include "request.h"

static const char *bool_flag(int v) {
        return v < 0 ? "leave" : v ? "on" : "off";
}

/* The wanted port flags: Learning= and UnicastFlood= default to off (the uplink can only leave
 * promiscuous mode when it is the one port that learns and floods), MulticastFlood= to leaving
 * whatever the bridge set. */
static BridgePortFlags wanted_port_flags(const Nic *n) {
        return (BridgePortFlags){
                        .learning = n->settings.learning >= 0 ? n->settings.learning : 0,
                        .unicast_flood = n->settings.unicast_flood >= 0 ? n->settings.unicast_flood : 0,
                        .mcast_flood = n->settings.multicast_flood,
        };
}

static bool port_flags_match(const BridgePortFlags *want, const BridgePortFlags *have) {
        return (want->learning < 0 || want->learning == have->learning) &&
               (want->unicast_flood < 0 || want->unicast_flood == have->unicast_flood) &&
               (want->mcast_flood < 0 || want->mcast_flood == have->mcast_flood);
}

/* The port's VLANs and static entries, as the policy compares them. */
static void port_state_from_kernel(Nic *n, const BridgePortVlans *vlans) {
        BridgePortState *h = &n->port_have;

        *h = (BridgePortState){.vids = vlans->vids, .pvid = vlans->pvid, .untagged = vlans->untagged};
        h->mcast_flood = n->port_flags.mcast_flood > 0;
        for (size_t i = 0; i < n->n_port_mdb && h->n_groups < RX_FILTER_MAC_TABLE_MAX; i++)
                h->groups[h->n_groups++] = n->port_mdb[i].mac;
        h->n_groups = ether_addr_sort_unique(h->groups, h->n_groups);
        for (size_t i = 0; i < n->n_port_fdb; i++) {
                const FdbEntry *e = &n->port_fdb[i];

                if (!h->has_fdb) {
                        h->has_fdb = true;
                        h->fdb_mac = e->mac;
                }
                if (!ether_addr_equal(&e->mac, &h->fdb_mac)) {
                        /* Several MACs: a state to repair, not one to describe as "the" entry. */
                        h->has_fdb = false;
                        h->fdb_vids = (VlanSet){};
                        return;
                }
                (void) vlan_set_add(&h->fdb_vids, e->vid);
        }
}

typedef struct GuestPort {
        int ifindex;
        const Nic *nic;
} GuestPort;

static int guest_port_compare(const void *a, const void *b) {
        const GuestPort *x = a, *y = b;

        return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

/* The bridge's ports other than guest ports: which ports learn or flood, and why each uplink is (or
 * is not) promiscuous. Computed once per bridge from the pass's view and given to every guest NIC on
 * it, so a pass over many ports of one bridge costs one computation, not one per port. */
int manager_refresh_bridge_uplinks(Manager *m, BridgeView *v) {
        _cleanup_free_ UplinkReport *reports = NULL;
        _cleanup_free_ GuestPort *guests = NULL;
        char auto_ports[256] = "";
        size_t n_reports = 0, n_guests = 0, n_auto = 0, k = 0, n_static = 0;

        for (size_t i = 0; i < m->n_guests; i++)
                for (size_t j = 0; j < m->guests[i]->n_nics; j++) {
                        const Nic *o = m->guests[i]->nics[j];
                        GuestPort *a;

                        if (!o->is_bridge_port || !o->has_host || o->host.master_ifindex != v->ifindex)
                                continue;
                        a = reallocarray(guests, n_guests + 1, sizeof(GuestPort));
                        if (!a)
                                return -ENOMEM;
                        guests = a;
                        guests[n_guests++] = (GuestPort){.ifindex = o->host.ifindex, .nic = o};
                        /* Their static entries are what the uplinks' unicast filters hold. */
                        n_static += o->n_port_fdb;
                }
        if (n_guests == 0)
                return 0;
        qsort(guests, n_guests, sizeof(GuestPort), guest_port_compare);

        for (size_t i = 0; i < v->n_ports; i++) {
                const BridgePort *p = &v->ports[i];
                GuestPort key = {.ifindex = p->ifindex};
                const GuestPort *g = bsearch(&key, guests, n_guests, sizeof(GuestPort), guest_port_compare);
                UplinkReport *a;
                LinkInfo li;

                /* Only the few ports that are no guest's are read: their name and promiscuity. */
                if (!g && rtnl_link_get(m->rtnl, p->ifindex, NULL, &li) < 0)
                        continue;
                if (p->flags.learning > 0 || p->flags.unicast_flood > 0) {
                        n_auto++;
                        k += (size_t) snprintf(auto_ports + MIN(k, sizeof(auto_ports) - 1),
                                        sizeof(auto_ports) - MIN(k, sizeof(auto_ports) - 1), "%s%s",
                                        k ? ", " : "", g ? g->nic->host.ifname : li.ifname);
                }
                if (g)
                        continue;
                a = reallocarray(reports, n_reports + 1, sizeof(UplinkReport));
                if (!a)
                        return -ENOMEM;
                reports = a;
                reports[n_reports] = (UplinkReport){
                                .promiscuity = li.promiscuity,
                                .learning = p->flags.learning > 0,
                                .unicast_flood = p->flags.unicast_flood > 0,
                };
                memcpy(reports[n_reports].ifname, li.ifname, sizeof(li.ifname));
                reports[n_reports].verdict.promiscuous =
                                li.flags & IFF_PROMISC; /* the flag, refined below */
                n_reports++;
        }

        for (size_t i = 0; i < n_reports; i++) {
                UplinkReport *u = &reports[i];
                UplinkFacts facts = {
                                .uplink = u->ifname,
                                .bridge = v->info.ifname,
                                .promiscuity = u->promiscuity,
                                .promisc_flag = u->verdict.promiscuous,
                                .vlan_filtering = v->info.vlan_filtering,
                                .bridge_promisc = v->info.promisc,
                                .n_auto_ports = n_auto,
                                .auto_ports = auto_ports,
                                .n_unicast = n_static,
                };

                (void) uplink_explain(&facts, &u->verdict);
        }

        for (size_t i = 0; i < n_guests; i++) {
                Nic *n = (Nic *) guests[i].nic;
                UplinkReport *c = NULL;

                if (n_reports > 0) {
                        c = malloc(n_reports * sizeof(UplinkReport));
                        if (!c)
                                return -ENOMEM;
                        memcpy(c, reports, n_reports * sizeof(UplinkReport));
                }
                free(n->uplinks);
                n->uplinks = c;
                n->n_uplinks = n_reports;
        }
        return 0;
}

static int queue(Nic *n, Request *q) {
        q->ifindex = q->ifindex ?: n->host.ifindex;
        if (!q->ifname[0])
                (void) snprintf(q->ifname, sizeof(q->ifname), "%s", n->host.ifname);
        return request_queue(n->guest->manager, n, q);
}

/* The static entries the port should have against those it has: what to delete and to add. */
static int fdb_plan(Nic *n, FdbEntry **ret_del, size_t *n_del, FdbEntry **ret_add, size_t *n_add) {
        _cleanup_free_ FdbEntry *want = NULL;
        const BridgePortState *w = &n->port_decision.wanted;
        size_t n_want = 0;

        if (w->has_fdb) {
                want = new0(FdbEntry, vlan_set_count(&w->fdb_vids) + 1);
                if (!want)
                        return -ENOMEM;
                for (unsigned vid = 0; vid < VLAN_VID_COUNT; vid++)
                        if (vlan_set_contains(&w->fdb_vids, vid))
                                want[n_want++] = (FdbEntry){
                                                .mac = w->fdb_mac,
                                                .vid = (uint16_t) vid,
                                                .ifindex = n->host.ifindex,
                                                .is_static = true,
                                                .master = true,
                                };
        }
        return fdb_diff(n->port_fdb, n->n_port_fdb, want, n_want, ret_del, n_del, ret_add, n_add);
}

/* The L2 MDB entries the port should have (each group on each port VLAN) against those it has. */
static int mdb_plan(Nic *n, MdbEntry **ret_del, size_t *n_del, MdbEntry **ret_add, size_t *n_add) {
        _cleanup_free_ MdbEntry *want = NULL;
        const BridgePortState *w = &n->port_decision.wanted;
        size_t n_want = 0, n_vids = vlan_set_count(&w->fdb_vids);

        if ((n->bridge.mcast_snooping > 0) && w->n_groups > 0 && n_vids > 0) {
                want = new0(MdbEntry, w->n_groups * n_vids);
                if (!want)
                        return -ENOMEM;
                for (unsigned vid = 0; vid < VLAN_VID_COUNT; vid++) {
                        if (!vlan_set_contains(&w->fdb_vids, vid))
                                continue;
                        for (size_t i = 0; i < w->n_groups; i++)
                                want[n_want++] = (MdbEntry){
                                                .mac = w->groups[i],
                                                .vid = (uint16_t) vid,
                                                .port_ifindex = n->host.ifindex,
                                                .permanent = true,
                                };
                }
        }
        return mdb_diff(n->port_mdb, n->n_port_mdb, want, n_want, ret_del, n_del, ret_add, n_add);
}

static int queue_mdb(Nic *n, RequestType type, const MdbEntry *e, size_t count) {
        for (size_t i = 0; i < count; i++) {
                Request q = {.type = type, .mdb = e[i], .ifindex = n->host.master_ifindex};
                int r;

                (void) snprintf(q.ifname, sizeof(q.ifname), "%s", n->bridge_name);
                r = queue(n, &q);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int queue_fdb(Nic *n, RequestType type, const FdbEntry *e, size_t count) {
        for (size_t i = 0; i < count; i++) {
                Request q = {.type = type, .fdb = e[i]};
                int r;

                r = queue(n, &q);
                if (r < 0)
                        return r;
        }
        return 0;
}

int nic_reconcile_bridge_port(Nic *n) {
        Manager *m = n->guest->manager;
        _cleanup_free_ FdbEntry *fdb_del = NULL, *fdb_add = NULL;
        size_t n_fdb_del = 0, n_fdb_add = 0;
        _cleanup_free_ MdbEntry *mdb_del = NULL, *mdb_add = NULL;
        size_t n_mdb_del = 0, n_mdb_add = 0;
        const ConfigBridge *cb;
        const BridgePort *port;
        BridgePortVlans vlans;
        BridgePortPolicy policy;
        BridgeView *view;
        LinkInfo br;
        int r;

        r = manager_bridge_view(m, n->host.master_ifindex, &view);
        if (r == -EMEDIUMTYPE && rtnl_link_get(m->rtnl, n->host.master_ifindex, NULL, &br) >= 0)
                return nic_enter_failed(n, SYNTHETIC_ERRNO(EOPNOTSUPP),
                                "%s is enslaved to %s, a %s, not a bridge: vnicd programs macvtaps and "
                                "bridge ports",
                                n->host_device, br.ifname, br.kind[0] ? br.kind : "device without a kind");
        if (r < 0)
                return nic_enter_failed(n, r, "cannot read the bridge of %s: %m", n->host_device);
        memcpy(n->bridge_name, view->info.ifname, sizeof(view->info.ifname));
        n->bridge = view->info;
        port = bridge_ports_find(view->ports, view->n_ports, n->host.ifindex);
        if (!port)
                return nic_enter_failed(n, SYNTHETIC_ERRNO(ENODEV), "%s is not listed as a port of %s",
                                n->host_device, n->bridge_name);
        n->port_flags = port->flags;
        vlans = port->vlans;
        n->port_fdb = mfree(n->port_fdb);
        n->n_port_fdb = 0;
        r = bridge_view_port_fdb(m, view, n->host.ifindex, &n->port_fdb, &n->n_port_fdb);
        if (r < 0)
                return nic_enter_failed(n, r, "cannot read the FDB of %s: %m", n->bridge_name);
        n->port_mdb = mfree(n->port_mdb);
        n->n_port_mdb = 0;
        r = bridge_view_port_mdb(m, view, n->host.ifindex, &n->port_mdb, &n->n_port_mdb);
        if (r < 0)
                return nic_enter_failed(n, r, "cannot read the MDB of %s: %m", n->bridge_name);
        port_state_from_kernel(n, &vlans);

        if (!n->has_asked) {
                nic_set_state(n, NIC_STATE_PENDING);
                return 0;
        }

        /* vlan_filtering belongs to the bridge: set only when a [Bridge] section says so. */
        cb = config_find_bridge(&m->config, n->bridge_name);
        if (cb && cb->vlan_filtering >= 0 && cb->vlan_filtering != n->bridge.vlan_filtering) {
                Request q = {.type = REQUEST_BRIDGE_VLAN_FILTERING,
                                .ifindex = view->ifindex,
                                .vlan_filtering = cb->vlan_filtering};

                (void) snprintf(q.ifname, sizeof(q.ifname), "%s", n->bridge_name);
                r = queue(n, &q);
                if (r < 0)
                        return nic_enter_failed(n, r, "cannot queue kernel requests: %m");
                nic_set_state(n, NIC_STATE_CONFIGURING);
                return 0; /* the rest once the bridge says what it does */
        }

        policy = (BridgePortPolicy){
                        .allowed = n->settings.allowed_vlans,
                        .native_vlan = n->settings.native_vlan,
                        .vlan_filtering = n->bridge.vlan_filtering,
                        .bridge = n->bridge_name,
                        .mcast_snooping = (n->bridge.mcast_snooping > 0),
        };
        nic_policy(n, &policy.nic);
        r = bridge_port_decide(&n->asked, &policy, &n->port_have, &n->port_decision);
        if (r < 0)
                return nic_enter_failed(n, r, "bridge port policy failed: %m");
        n->has_port_decision = true;
        /* A MAC change is the entries moving from one MAC to another, not the port's first entry. */
        nic_mac_flap_update(n, &policy.nic,
                        n->port_decision.fields[BRIDGE_FIELD_FDB].action == TRUST_ACTION_APPLY &&
                                        n->port_have.has_fdb &&
                                        !ether_addr_equal(&n->port_have.fdb_mac,
                                                        &n->port_decision.wanted.fdb_mac),
                        n->port_decision.mac_hold_until);
        n->port_flags_wanted = wanted_port_flags(n);
        /* A guest that wants all multicast (overflowed table, "all") gets it flooded. */
        if (n->port_decision.wanted.mcast_flood)
                n->port_flags_wanted.mcast_flood = 1;
        for (BridgeField f = 0; f < _BRIDGE_FIELD_MAX; f++) {
                _cleanup_free_ char *v = vlan_set_to_string(&n->asked.vlans);
                char asked[64], mac[ETHER_ADDR_STRING_MAX];

                (void) snprintf(asked, sizeof(asked), "%s",
                                f == BRIDGE_FIELD_FDB ? ether_addr_to_string(&n->asked.main_mac, mac)
                                                      : strempty(v));
                nic_record_refusal(n, &n->bridge_refusals[f], bridge_field_to_string(f),
                                &n->port_decision.fields[f], asked);
        }

        r = fdb_plan(n, &fdb_del, &n_fdb_del, &fdb_add, &n_fdb_add);
        if (r < 0)
                return nic_enter_failed(n, r, "cannot plan FDB changes: %m");
        r = mdb_plan(n, &mdb_del, &n_mdb_del, &mdb_add, &n_mdb_add);
        if (r < 0)
                return nic_enter_failed(n, r, "cannot plan MDB changes: %m");
        if (n_fdb_del == 0 && n_fdb_add == 0 && n_mdb_del == 0 && n_mdb_add == 0 &&
                        vlan_set_equal(&n->port_decision.wanted.vids, &vlans.vids) &&
                        n->port_decision.wanted.pvid == vlans.pvid &&
                        vlan_set_equal(&n->port_decision.wanted.untagged, &vlans.untagged) &&
                        port_flags_match(&n->port_flags_wanted, &n->port_flags)) {
                n->unconverged_rounds = 0;
                n->in_sync = true;
                nic_set_state(n, NIC_STATE_CONFIGURED);
                nic_bus_emit_changed(n);
                return 0;
        }
        if (++n->unconverged_rounds > 3)
                return nic_enter_failed(n, SYNTHETIC_ERRNO(EAGAIN),
                                "bridge port %s does not keep the settings written 3 times in a row",
                                n->host_device);

        n->in_sync = false;
        /* Order matters to the kernel: an entry can be deleted, or added, only while the port is
         * in its VLAN (RTM_DELNEIGH/NEWNEIGH with an unconfigured vid: EINVAL), and removing a
         * VLAN leaves its static entries behind. So: entries out, VLANs out, flags, VLANs in,
         * entries in. */
        r = queue_mdb(n, REQUEST_MDB_DEL, mdb_del, n_mdb_del);
        if (r >= 0)
                r = queue_fdb(n, REQUEST_FDB_DEL, fdb_del, n_fdb_del);
        if (r < 0)
                return nic_enter_failed(n, r, "cannot queue FDB requests: %m");
        if (!port_flags_match(&n->port_flags_wanted, &n->port_flags)) {
                Request q = {.type = REQUEST_BRIDGE_PORT_FLAGS, .port_flags = n->port_flags_wanted};

                log_nic_debug(n, "port flags: learning %s flood %s mcast_flood %s",
                                bool_flag(q.port_flags.learning), bool_flag(q.port_flags.unicast_flood),
                                bool_flag(q.port_flags.mcast_flood));
                r = queue(n, &q);
                if (r < 0)
                        return nic_enter_failed(n, r, "cannot queue kernel requests: %m");
        }
        if (n->bridge.vlan_filtering) {
                BridgePortVlans want = {
                                .vids = n->port_decision.wanted.vids,
                                .pvid = n->port_decision.wanted.pvid,
                                .untagged = n->port_decision.wanted.untagged,
                };
                VlanSet gone = vlans.vids;

                vlan_set_subtract(&gone, &want.vids);
                /* One message for what the port loses, one for what it gains (and PVID/untagged
                 * changes): never one per VID. */
                if (!vlan_set_is_empty(&gone)) {
                        Request q = {.type = REQUEST_BRIDGE_VLAN_DEL,
                                        .vlans_want = want,
                                        .vlans_have = vlans};

                        r = queue(n, &q);
                        if (r < 0)
                                return nic_enter_failed(n, r, "cannot queue kernel requests: %m");
                }
                if (!vlan_set_equal(&want.vids, &vlans.vids) || want.pvid != vlans.pvid ||
                                !vlan_set_equal(&want.untagged, &vlans.untagged)) {
                        Request q = {.type = REQUEST_BRIDGE_VLAN_ADD,
                                        .vlans_want = want,
                                        .vlans_have = vlans};

                        r = queue(n, &q);
                        if (r < 0)
                                return nic_enter_failed(n, r, "cannot queue kernel requests: %m");
                }
        }
        r = queue_fdb(n, REQUEST_FDB_ADD, fdb_add, n_fdb_add);
        if (r >= 0)
                r = queue_mdb(n, REQUEST_MDB_ADD, mdb_add, n_mdb_add);
        if (r < 0)
                return nic_enter_failed(n, r, "cannot queue FDB requests: %m");
        nic_set_state(n, NIC_STATE_CONFIGURING);
        return 0;
}

int nic_release_bridge_port(Nic *n) {
        Manager *m = n->guest ? n->guest->manager : NULL;
        BridgePortVlans vlans = {};
        BridgePortFlags flags;
        LinkInfo li;
        int r;

        /* vnicd exiting is not the guest going: what it set up stays for the next vnicd. */
        if (!m || m->exiting || !n->is_bridge_port || !n->has_host)
                return 0;
        /* A tap QEMU created is gone with QEMU, its entries with it; a persistent one stays, and
         * so would what we put on it. Look again rather than trust what we last saw. */
        if (rtnl_link_get(m->rtnl, n->host.ifindex, NULL, &li) < 0 ||
                        li.master_ifindex != n->host.master_ifindex)
                return 0;
        n->port_fdb = mfree(n->port_fdb);
        n->n_port_fdb = 0;
        r = rtnl_fdb_dump(m->rtnl, li.master_ifindex, li.ifindex, &n->port_fdb, &n->n_port_fdb);
        if (r < 0)
                return r;
        n->n_port_fdb = fdb_keep_static(n->port_fdb, n->n_port_fdb);
        r = rtnl_bridge_port_get(m->rtnl, li.ifindex, &flags, &vlans);
        if (r < 0)
                return r;

        log_nic_info(n, "guest gone: removing its %zu static FDB entries and %zu VLANs from %s.",
                        n->n_port_fdb, vlan_set_count(&vlans.vids), li.ifname);
        n->port_mdb = mfree(n->port_mdb);
        n->n_port_mdb = 0;
        /* Whatever the bridge's snooping is now (this NIC may never have been reconciled here). */
        (void) rtnl_mdb_dump(m->rtnl, li.master_ifindex, li.ifindex, &n->port_mdb, &n->n_port_mdb);
        /* Entries before VLANs: the kernel deletes an entry only while its VLAN is there. */
        r = queue_mdb(n, REQUEST_MDB_DEL, n->port_mdb, n->n_port_mdb);
        if (r < 0)
                return r;
        r = queue_fdb(n, REQUEST_FDB_DEL, n->port_fdb, n->n_port_fdb);
        if (r < 0)
                return r;
        if (!vlan_set_is_empty(&vlans.vids)) {
                Request q = {.type = REQUEST_BRIDGE_VLAN_DEL, .vlans_want = {}, .vlans_have = vlans};

                r = queue(n, &q);
                if (r < 0)
                        return r;
        }
        manager_kick(m);
        return 0;
}
