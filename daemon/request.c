/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <time.h>

#include <netlink/msg.h>

#include "log.h"
#include "nic.h"
#include "request.h"

static const char *const request_type_table[_REQUEST_TYPE_MAX] = {
                [REQUEST_LINK_SET_MAC] = "set-mac",
                [REQUEST_LINK_SET_FLAGS] = "set-flags",
                [REQUEST_MC_DEL] = "multicast-del",
                [REQUEST_MC_ADD] = "multicast-add",
                [REQUEST_FDB_DEL] = "fdb-del",
                [REQUEST_BRIDGE_VLAN_DEL] = "vlan-del",
                [REQUEST_BRIDGE_PORT_FLAGS] = "port-flags",
                [REQUEST_BRIDGE_VLAN_FILTERING] = "vlan-filtering",
                [REQUEST_BRIDGE_VLAN_ADD] = "vlan-add",
                [REQUEST_FDB_ADD] = "fdb-add",
                [REQUEST_MDB_DEL] = "mdb-del",
                [REQUEST_MDB_ADD] = "mdb-add",
};

const char *request_type_to_string(RequestType t) {
        return t >= 0 && t < _REQUEST_TYPE_MAX ? request_type_table[t] : NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(struct nl_msg *, nlmsg_free);

static Request *request_free(Request *r) {
        if (!r)
                return NULL;
        nic_unref(r->nic);
        free(r);
        return NULL;
}

static bool request_same(const Request *a, const Request *b) {
        if (a->nic != b->nic || a->type != b->type || a->ifindex != b->ifindex)
                return false;
        switch (a->type) {
        case REQUEST_LINK_SET_MAC:
        case REQUEST_LINK_SET_FLAGS:
        case REQUEST_BRIDGE_PORT_FLAGS:
        case REQUEST_BRIDGE_VLAN_DEL:
        case REQUEST_BRIDGE_VLAN_ADD:
        case REQUEST_BRIDGE_VLAN_FILTERING:
                return true; /* the newest payload wins: see request_queue() */
        case REQUEST_FDB_ADD:
        case REQUEST_FDB_DEL:
                return ether_addr_equal(&a->fdb.mac, &b->fdb.mac) && a->fdb.vid == b->fdb.vid;
        case REQUEST_MDB_ADD:
        case REQUEST_MDB_DEL:
                return ether_addr_equal(&a->mdb.mac, &b->mdb.mac) && a->mdb.vid == b->mdb.vid &&
                       a->mdb.port_ifindex == b->mdb.port_ifindex;
        default:
                return ether_addr_equal(&a->mac, &b->mac);
        }
}

/* A NIC with queued requests waits in the manager's round-robin list, which holds a reference. */
static void pending_push(Manager *m, Nic *nic) {
        nic->pending_next = NULL;
        if (m->pending_tail)
                m->pending_tail->pending_next = nic;
        else
                m->pending_head = nic;
        m->pending_tail = nic;
}

static Nic *pending_pop(Manager *m) {
        Nic *nic = m->pending_head;

        if (!nic)
                return NULL;
        m->pending_head = nic->pending_next;
        if (!m->pending_head)
                m->pending_tail = NULL;
        nic->pending_next = NULL;
        return nic;
}

int request_queue(Manager *m, Nic *nic, const Request *req) {
        Request *r;

        /* Only this NIC's own requests can be the same: a short list, however long the queue. */
        for (r = nic->queued_head; r; r = r->next) {
                if (!request_same(r, req))
                        continue;
                /* A newer MAC or flag set replaces one not sent yet. */
                r->mac = req->mac;
                r->flags = req->flags;
                r->change = req->change;
                r->port_flags = req->port_flags;
                r->vlans_want = req->vlans_want;
                r->vlans_have = req->vlans_have;
                r->vlan_filtering = req->vlan_filtering;
                return 0;
        }

        r = new0(Request, 1);
        if (!r)
                return -ENOMEM;
        *r = *req;
        r->next = NULL;
        r->manager = m;
        r->nic = nic_ref(nic);

        if (nic->queued_tail)
                nic->queued_tail->next = r;
        else
                nic->queued_head = r;
        nic->queued_tail = r;
        if (!nic->pending) {
                nic->pending = true;
                pending_push(m, nic_ref(nic));
        }
        m->n_requests_queued++;
        /* Counted from now on, not from sending: a NIC with writes still queued must not be
         * reconciled again, and its round ends with the answer to its last write. */
        nic->in_flight++;
        return 1;
}

void manager_drop_requests(Manager *m, Nic *nic) {
        Request *r;

        /* The NIC stays in the round-robin list; manager_process_requests() finds it empty. */
        while ((r = nic->queued_head)) {
                nic->queued_head = r->next;
                m->n_requests_queued--;
                if (nic->in_flight > 0)
                        nic->in_flight--;
                request_free(r);
        }
        nic->queued_tail = NULL;
}

void manager_free_requests(Manager *m) {
        Nic *nic;

        while ((nic = pending_pop(m))) {
                manager_drop_requests(m, nic);
                nic->pending = false;
                nic_unref(nic);
        }
}

static const char *on_off_unset(int v) {
        return v < 0 ? "-" : v ? "on" : "off";
}

static void describe(const Request *r, char *buf, size_t size) {
        char mac[ETHER_ADDR_STRING_MAX];

        switch (r->type) {
        case REQUEST_LINK_SET_FLAGS:
                (void) snprintf(buf, size, "set %s promisc %s allmulticast %s", r->ifname,
                                (r->flags & IFF_PROMISC) ? "on" : "off",
                                (r->flags & IFF_ALLMULTI) ? "on" : "off");
                break;
        case REQUEST_LINK_SET_MAC:
                (void) snprintf(buf, size, "set %s address %s", r->ifname,
                                ether_addr_to_string(&r->mac, mac));
                break;
        case REQUEST_MC_ADD:
        case REQUEST_MC_DEL:
                (void) snprintf(buf, size, "%s multicast %s %s",
                                r->type == REQUEST_MC_ADD ? "add" : "delete",
                                ether_addr_to_string(&r->mac, mac), r->ifname);
                break;
        case REQUEST_FDB_ADD:
        case REQUEST_FDB_DEL: {
                char vlan[16] = "";

                if (r->fdb.vid > 0)
                        (void) snprintf(vlan, sizeof(vlan), " vlan %u", r->fdb.vid);
                (void) snprintf(buf, size, "bridge fdb %s %s dev %s master static%s",
                                r->type == REQUEST_FDB_ADD ? "add" : "del",
                                ether_addr_to_string(&r->fdb.mac, mac), r->ifname, vlan);
                break;
        }
        case REQUEST_MDB_ADD:
        case REQUEST_MDB_DEL: {
                char vlan[16] = "";

                if (r->mdb.vid > 0)
                        (void) snprintf(vlan, sizeof(vlan), " vid %u", r->mdb.vid);
                (void) snprintf(buf, size, "bridge mdb %s dev %s port %d grp %s permanent%s",
                                r->type == REQUEST_MDB_ADD ? "add" : "del", r->ifname, r->mdb.port_ifindex,
                                ether_addr_to_string(&r->mdb.mac, mac), vlan);
                break;
        }
        case REQUEST_BRIDGE_VLAN_ADD:
        case REQUEST_BRIDGE_VLAN_DEL:
                (void) snprintf(buf, size, "bridge vlan %s dev %s (port VLANs)",
                                r->type == REQUEST_BRIDGE_VLAN_ADD ? "add" : "del", r->ifname);
                break;
        case REQUEST_BRIDGE_PORT_FLAGS:
                (void) snprintf(buf, size, "bridge link set dev %s learning %s flood %s mcast_flood %s",
                                r->ifname, on_off_unset(r->port_flags.learning),
                                on_off_unset(r->port_flags.unicast_flood),
                                on_off_unset(r->port_flags.mcast_flood));
                break;
        case REQUEST_BRIDGE_VLAN_FILTERING:
                (void) snprintf(buf, size, "ip link set dev %s type bridge vlan_filtering %d", r->ifname,
                                r->vlan_filtering);
                break;
        default:
                (void) snprintf(buf, size, "request %d", r->type);
        }
}

typedef struct InFlight {
        Nic *nic;
        RequestType type;
        char what[96];
} InFlight;

static void on_netlink_reply(int error, const char *ext_ack, void *userdata) {
        InFlight *f = userdata;

        /* A reconcile deletes what it saw: an entry gone meanwhile is what it wanted. Deleting a
         * MAC's VID 0 entry takes its entries on every VLAN of the port with it. */
        if (error == -ENOENT && f->type == REQUEST_FDB_DEL)
                error = 0;
        nic_request_done(f->nic, error, f->what, ext_ack);
        nic_unref(f->nic);
        free(f);
}

/* The netlink message of a request (no I/O: the fill functions live in netlink/). */
static int request_fill(const Request *r, struct nl_msg **ret) {
        _cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
        int k;

        switch (r->type) {
        case REQUEST_LINK_SET_MAC:
        case REQUEST_LINK_SET_FLAGS:
                k = link_message_new(&msg);
                if (k < 0)
                        return k;
                k = r->type == REQUEST_LINK_SET_MAC
                                    ? link_fill_set_mac(msg, r->ifindex, &r->mac)
                                    : link_fill_set_flags(msg, r->ifindex, r->flags, r->change);
                break;
        case REQUEST_FDB_ADD:
        case REQUEST_FDB_DEL:
                msg = nlmsg_alloc();
                k = msg ? bridge_fdb_fill(msg, r->type == REQUEST_FDB_ADD, &r->fdb) : -ENOMEM;
                break;
        case REQUEST_BRIDGE_VLAN_ADD:
        case REQUEST_BRIDGE_VLAN_DEL:
                msg = nlmsg_alloc();
                k = msg ? bridge_vlan_fill_port(msg, r->ifindex, &r->vlans_want, &r->vlans_have,
                                          r->type == REQUEST_BRIDGE_VLAN_ADD)
                        : -ENOMEM;
                break;
        case REQUEST_BRIDGE_PORT_FLAGS:
                msg = nlmsg_alloc();
                k = msg ? bridge_port_fill_flags(msg, r->ifindex, &r->port_flags) : -ENOMEM;
                break;
        case REQUEST_MDB_ADD:
        case REQUEST_MDB_DEL:
                msg = nlmsg_alloc();
                k = msg ? bridge_mdb_fill(msg, r->type == REQUEST_MDB_ADD, r->ifindex, &r->mdb) : -ENOMEM;
                break;
        case REQUEST_BRIDGE_VLAN_FILTERING:
                msg = nlmsg_alloc();
                k = msg ? bridge_link_fill_vlan_filtering(msg, r->ifindex, r->vlan_filtering) : -ENOMEM;
                break;
        default:
                k = -EINVAL;
        }
        if (k < 0)
                return k;
        *ret = TAKE_PTR(msg);
        return 0;
}

static int request_send(Request *r) {
        _cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
        char what[96];
        InFlight *f;
        int k;

        describe(r, what, sizeof(what));

        switch (r->type) {
        case REQUEST_MC_ADD:
        case REQUEST_MC_DEL:
                /* No netlink message exists for link-layer multicast: the ioctl answers at once. */
                k = r->type == REQUEST_MC_ADD ? link_mc_add(r->ifname, &r->mac)
                                              : link_mc_del(r->ifname, &r->mac);
                nic_request_done(r->nic, k, what, NULL);
                return 0;
        case REQUEST_LINK_SET_MAC:
        case REQUEST_LINK_SET_FLAGS:
        case REQUEST_FDB_ADD:
        case REQUEST_FDB_DEL:
        case REQUEST_BRIDGE_VLAN_ADD:
        case REQUEST_BRIDGE_VLAN_DEL:
        case REQUEST_BRIDGE_PORT_FLAGS:
        case REQUEST_BRIDGE_VLAN_FILTERING:
        case REQUEST_MDB_ADD:
        case REQUEST_MDB_DEL:
                k = request_fill(r, &msg);
                if (k < 0)
                        return k;
                f = new0(InFlight, 1);
                if (!f)
                        return -ENOMEM;
                f->nic = nic_ref(r->nic);
                f->type = r->type;
                memcpy(f->what, what, sizeof(f->what));
                k = rtnl_send(r->manager->rtnl, msg, on_netlink_reply, f);
                if (k < 0) {
                        nic_unref(f->nic);
                        free(f);
                        return k;
                }
                return 0;
        default:
                return -EINVAL;
        }
}

int manager_process_requests(Manager *m) {
        int n = 0;

        /* The kernel queues one ACK per request in our socket's receive buffer: past about a
         * thousand unread ones they are lost. Send in bounded slices; answers resume sending.
         * One request per NIC in turn: a guest's change is not stuck behind another's thousands,
         * and each NIC's own order (deletions first) is kept. */
        while (m->pending_head && rtnl_in_flight(m->rtnl) < REQUEST_NETLINK_IN_FLIGHT_MAX) {
                Nic *nic = pending_pop(m);
                Request *r = nic->queued_head;
                unsigned long long t0;
                bool again;
                int k;

                if (!r) {
                        nic->pending = false;
                        nic_unref(nic);
                        continue;
                }
                nic->queued_head = r->next;
                if (!nic->queued_head)
                        nic->queued_tail = NULL;
                m->n_requests_queued--;
                again = nic->queued_head;
                if (again)
                        pending_push(m, nic); /* keeps the list's reference */
                else
                        nic->pending = false; /* a request queued while sending pushes it anew */

                t0 = now_usec(CLOCK_THREAD_CPUTIME_ID);
                k = request_send(r);
                if (k < 0) {
                        char what[96];

                        describe(r, what, sizeof(what));
                        nic_request_done(r->nic, k, what, NULL);
                } else
                        n++;
                m->n_writes++;
                r->nic->writes++;
                r->nic->round_proc_usec += now_usec(CLOCK_THREAD_CPUTIME_ID) - t0;
                request_free(r);
                if (!again)
                        nic_unref(nic);
        }
        return n;
}
