/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "bridge.h"
#include "ether-addr.h"
#include "manager.h"

/* Kernel writes go through a queue (networkd-queue shape, STYLE R13): a Request names its type,
 * holds a reference on its NIC and carries a payload; identical requests of a NIC are merged while
 * queued; requests are sent from the manager's post source, one per NIC in turn; each answer goes
 * back to the NIC. Deletions are queued before additions by the reconciler, and each NIC's queue
 * keeps that order. */

#define REQUEST_NETLINK_IN_FLIGHT_MAX 256

typedef enum RequestType {
        REQUEST_LINK_SET_MAC,    /* netlink, async */
        REQUEST_LINK_SET_FLAGS,  /* netlink, async */
        REQUEST_MC_DEL,          /* ioctl, immediate */
        REQUEST_MC_ADD,          /* ioctl, immediate */
        REQUEST_MDB_DEL,         /* netlink: one L2 MDB entry (sent to the bridge, for a port) */
        REQUEST_FDB_DEL,         /* netlink: one static FDB entry */
        REQUEST_BRIDGE_VLAN_DEL, /* netlink: every VLAN the port loses, as ranges, one message */
        REQUEST_BRIDGE_PORT_FLAGS,
        REQUEST_BRIDGE_VLAN_FILTERING, /* on the bridge (ifindex is the bridge's) */
        REQUEST_BRIDGE_VLAN_ADD, /* netlink: every VLAN the port gains (and PVID/untagged), one message */
        REQUEST_FDB_ADD,
        REQUEST_MDB_ADD,
        _REQUEST_TYPE_MAX,
        _REQUEST_TYPE_INVALID = -EINVAL,
} RequestType;

struct Request {
        Request *next;
        Manager *manager;
        Nic *nic; /* reference */
        RequestType type;
        int ifindex;
        char ifname[IFNAMSIZ];
        EtherAddr mac;   /* SET_MAC, MC_* */
        unsigned flags;  /* SET_FLAGS */
        unsigned change; /* SET_FLAGS: which flags to change */
        /* bridge requests */
        FdbEntry fdb;               /* FDB_* */
        MdbEntry mdb;               /* MDB_*: 'ifindex' is the bridge's */
        BridgePortFlags port_flags; /* BRIDGE_PORT_FLAGS */
        BridgePortVlans vlans_want; /* BRIDGE_VLAN_*: the whole wanted and current port state; */
        BridgePortVlans vlans_have; /*   the message carries the difference for its phase */
        bool vlan_filtering;        /* BRIDGE_VLAN_FILTERING */
};

/* Queues a copy of 'req' (its 'next', 'manager' and 'nic' are set here). Returns 1 when queued, 0
 * when an identical request was already queued (merged), or -errno. */
int request_queue(Manager *m, Nic *nic, const Request *req);

/* Sends what is queued, as long as fewer than REQUEST_NETLINK_IN_FLIGHT_MAX netlink requests await
 * their answer. Returns the number sent. */
int manager_process_requests(Manager *m);

/* Drops queued requests of a NIC that goes away. */
void manager_drop_requests(Manager *m, Nic *nic);
/* Drops everything queued (the manager goes away). */
void manager_free_requests(Manager *m);

const char *request_type_to_string(RequestType t);
