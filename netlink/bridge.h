/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ether-addr.h"
#include "vlan-set.h"

struct nl_msg;
typedef struct Rtnl Rtnl;

/* A Linux bridge over rtnetlink: its ports' flags and VLANs, its static FDB entries and its
 * vlan_filtering option. Builders (*_fill*()) append to a caller-owned message (nlmsg_alloc()) and
 * do no I/O (STYLE R14): send it with rtnl_send(). Reads are synchronous on the Rtnl's sync socket.
 * Parsers take a plain buffer, so they can be fuzzed. Everything returns 0 (or a count) or -errno;
 * out-parameters are untouched on failure, but a builder that fails may leave its message half
 * filled: drop it. Names are iproute2's `bridge` words; the kernel behaviour relied on is checked
 * by tests/netns/test-bridge.c and bridge-vlan.sh (Debian's 6.1 in a VM). */

typedef struct BridgePortFlags {
        int learning;      /* IFLA_BRPORT_LEARNING: 1 on, 0 off, -1 unknown (read) / leave (write) */
        int unicast_flood; /* IFLA_BRPORT_UNICAST_FLOOD, `bridge link set ... flood`: likewise */
        int mcast_flood;   /* IFLA_BRPORT_MCAST_FLOOD: likewise */
} BridgePortFlags;

#define BRIDGE_PORT_FLAGS_UNSET ((BridgePortFlags){-1, -1, -1})

typedef struct BridgeVlan {
        uint16_t vid;  /* 1..4094 */
        bool pvid;     /* untagged frames coming in get this VLAN (at most one per port) */
        bool untagged; /* frames of this VLAN go out without a tag */
} BridgeVlan;

typedef struct BridgePortVlans {
        VlanSet vids;     /* member VLANs, 1..4094, the PVID included */
        unsigned pvid;    /* 0 = none */
        VlanSet untagged; /* a subset of 'vids' */
} BridgePortVlans;

typedef struct FdbEntry {
        EtherAddr mac;
        uint16_t vid;   /* 0 = no VLAN */
        int ifindex;    /* the port (or the bridge itself, for its own addresses) */
        bool is_static; /* read: NUD_NOARP, a static entry (`bridge fdb add ... master static`) */
        bool master;    /* read: from the bridge's FDB (NDA_MASTER), not a device's own list */
        bool is_local;  /* read: NUD_PERMANENT, the kernel's entry for the port's or bridge's own
                         * address ("permanent"); neither flag: learned ("", "stale") */
} FdbEntry;

typedef struct BridgeInfo {
        int ifindex;
        char ifname[IFNAMSIZ];
        bool vlan_filtering; /* IFLA_BR_VLAN_FILTERING */
        bool promisc;        /* IFLA_PROMISCUITY > 0: the device acts promiscuous, for whatever
                              * reason (a user's flag, a packet socket); that is what makes the
                              * bridge keep every port promiscuous (br_manage_promisc()) */
        int mcast_snooping;  /* IFLA_BR_MCAST_SNOOPING: 1, 0, -1 when the kernel has no snooping */
} BridgeInfo;

/* A bridge port as an AF_BRIDGE link message (dump or notification) describes it. */
typedef struct BridgePort {
        int ifindex;
        int master_ifindex;    /* the bridge (IFLA_MASTER); equal to 'ifindex' for the bridge
                                * device's own entry (its `self` VLANs), 0 when not given */
        BridgePortFlags flags; /* -1 where the message does not say (bridge entry, RTM_DELLINK) */
        BridgePortVlans vlans; /* empty when the kernel has no VLAN filtering support */
} BridgePort;

/* --- builders: no I/O ------------------------------------------------------------------------ */

/* RTM_SETLINK, AF_BRIDGE, for port 'ifindex': IFLA_PROTINFO (nested) with the IFLA_BRPORT_* of the
 * fields of 'f' that are not -1 (-EINVAL when all are). May share a message with bridge_vlan_fill()
 * for the same port when it comes last. */
int bridge_port_fill_flags(struct nl_msg *m, int ifindex, const BridgePortFlags *f);

/* RTM_SETLINK ('add') or RTM_DELLINK, AF_BRIDGE, for port 'ifindex': all 'n' ranges 'r' in one
 * IFLA_AF_SPEC as IFLA_BRIDGE_VLAN_INFO entries, a range as a RANGE_BEGIN/RANGE_END pair, a range
 * of one VID as a single entry, each with the flags 'pvid'/'untagged'. Called again on the same
 * message (same 'ifindex' and 'add'), it appends to the same IFLA_AF_SPEC, so one message can carry
 * VIDs with different flags. Grows 'm' as needed. -EINVAL for n == 0, a range outside 1..4094 or
 * reversed, a PVID that is not one single VID (the kernel refuses a PVID range), or flags on a
 * deletion. */
int bridge_vlan_fill(struct nl_msg *m, int ifindex, bool add, const VlanRange *r, size_t n, bool pvid,
                bool untagged);

/* The whole change of port 'ifindex' from 'have' to 'want', one message per phase: the deletion
 * phase ('add_phase' false, RTM_DELLINK) removes the VIDs 'want' lacks; the addition phase
 * (RTM_SETLINK) adds the VIDs 'have' lacks and adds again those whose PVID or untagged flag
 * changes (the kernel replaces the flags of a VID it has), the PVID last. Send the deletion phase
 * first. Returns the number of VIDs the message changes; with 0 it is a valid message that changes
 * nothing (the caller may skip it). -EINVAL when want's PVID or untagged VIDs are not among its
 * VIDs, -ERANGE for VID 0 or 4095 in 'want'. */
int bridge_vlan_fill_port(struct nl_msg *m, int ifindex, const BridgePortVlans *want,
                const BridgePortVlans *have, bool add_phase);

/* RTM_NEWNEIGH with NLM_F_CREATE|NLM_F_REPLACE ('add': also turns a learned entry into a static
 * one, and moves one from another port) or RTM_DELNEIGH; AF_BRIDGE, NUD_NOARP, NTF_MASTER,
 * NDA_LLADDR, NDA_VLAN when e->vid > 0. Always a static entry in the bridge's FDB: e->is_static,
 * e->master and e->is_local are not read. 'm' must be empty. -EINVAL for the zero MAC, ifindex <= 0
 * or vid > 4094. The kernel's answers: -EINVAL for a VID the port does not have, for a delete too
 * (a port losing a VLAN keeps its static entries on it, which can then not be deleted: delete FDB
 * entries before their VLAN, add them after it); without NDA_VLAN, on a port that has VLANs, the
 * add or delete acts on VID 0 and on each of the port's VLANs; a second delete is -ENOENT. */
int bridge_fdb_fill(struct nl_msg *m, bool add, const FdbEntry *e);

/* RTM_NEWLINK (no NLM_F_CREATE), AF_UNSPEC, IFLA_LINKINFO { IFLA_INFO_KIND "bridge", IFLA_INFO_DATA
 * { IFLA_BR_VLAN_FILTERING } } for bridge 'bridge_ifindex'. May share a message made by
 * link_message_new()/link_fill_*() for the same link. */
int bridge_link_fill_vlan_filtering(struct nl_msg *m, int bridge_ifindex, bool on);

/* --- pure helpers ---------------------------------------------------------------------------- */

/* Adds 'e' to 'v': its VID, the PVID when e->pvid (replacing another), untagged when e->untagged.
 * -ERANGE for a VID outside 1..4094. */
int bridge_port_vlans_add(BridgePortVlans *v, const BridgeVlan *e);
bool bridge_port_vlans_equal(const BridgePortVlans *a, const BridgePortVlans *b);

/* What to send to go from the entries 'have' (as rtnl_fdb_dump() reads them) to the static
 * entries 'want'. Entries are the same when MAC, VID and port are; 'master' and want's flags are
 * not compared. Deleted: static entries of 'have' not wanted; learned and local entries are never
 * deleted (they are not ours, and a local one is the port's own address). Added: wanted entries
 * 'have' has not as static or local (a learned one is replaced by a static one). Both results are
 * malloc'ed, sorted by port, VID, MAC, without duplicates (NULL when empty); send the deletions
 * first. */
int fdb_diff(const FdbEntry *have, size_t n_have, const FdbEntry *want, size_t n_want, FdbEntry **ret_del,
                size_t *n_del, FdbEntry **ret_add, size_t *n_add);

/* --- parsers of one message ('size' bytes at 'buf', aligned as malloc() returns) --------------- */

/* An AF_BRIDGE RTM_NEWLINK/RTM_DELLINK (RTM_DELLINK: the port left its bridge), from a dump or a
 * notification; VLANs as single entries or ranges (notifications use ranges). -ENOMSG for another
 * type, -EAFNOSUPPORT for another family, -EBADMSG when malformed (VIDs out of 1..4094, broken
 * ranges, two PVIDs). */
int bridge_port_parse(const void *buf, size_t size, bool *ret_removed, BridgePort *ret);

/* An AF_BRIDGE RTM_NEWNEIGH/RTM_DELNEIGH: an FDB entry. '*ret_bridge_ifindex' (may be NULL) gets
 * NDA_MASTER, 0 for a device's own entry (NTF_SELF). The states counted: NUD_PERMANENT → is_local,
 * else NUD_NOARP → is_static, anything else (NUD_REACHABLE, NUD_STALE) learned. -ENOMSG for another
 * type, -EAFNOSUPPORT for another family (ARP/NDP neighbours), -EBADMSG when malformed (no 6-byte
 * NDA_LLADDR, VID above 4094). */
int fdb_entry_parse(const void *buf, size_t size, bool *ret_removed, int *ret_bridge_ifindex, FdbEntry *ret);

/* --- reads (synchronous) --------------------------------------------------------------------- */

/* The flags and VLANs of bridge port 'ifindex' (either out-parameter may be NULL), from an
 * AF_BRIDGE RTM_GETLINK dump with RTEXT_FILTER_BRVLAN (the kernel has no single-link form of it).
 * -ENODEV when 'ifindex' is no bridge port. */
int rtnl_bridge_port_get(Rtnl *r, int ifindex, BridgePortFlags *ret_flags, BridgePortVlans *ret_vlans);

/* Every port of bridge 'bridge_ifindex' (not the bridge's own entry) with its flags and VLANs, from
 * one AF_BRIDGE dump: a malloc'ed array sorted by ifindex (NULL when none). What a pass over many
 * ports of one bridge reads once instead of once per port. */
int rtnl_bridge_ports_dump(Rtnl *r, int bridge_ifindex, BridgePort **ret, size_t *ret_n);
/* The port 'ifindex' in an array from rtnl_bridge_ports_dump(), NULL when not there. */
const BridgePort *bridge_ports_find(const BridgePort *ports, size_t n, int ifindex);

/* Name, vlan_filtering, promiscuity and multicast snooping of bridge 'bridge_ifindex', from one
 * RTM_GETLINK (its ports: rtnl_bridge_ports_dump()). -ENODEV when the link does not exist,
 * -EMEDIUMTYPE when it is not a bridge. */
int rtnl_bridge_get(Rtnl *r, int bridge_ifindex, BridgeInfo *ret);

/* The entries of the FDB of bridge 'bridge_ifindex' (NDA_MASTER; not the devices' own NTF_SELF
 * lists), of port 'port_ifindex' or, with 0, of all ports and the bridge itself. Returns a
 * malloc'ed array sorted by port, VID, MAC (NULL when empty). A link that is not a bridge has
 * none; -ENODEV when 'bridge_ifindex' does not exist. */
int rtnl_fdb_dump(Rtnl *r, int bridge_ifindex, int port_ifindex, FdbEntry **ret, size_t *ret_n);

/* --- monitor (the socket of rtnl_monitor_start(), see rtnl.h) ------------------------------- */

/* 'e' and 'p' are valid during the call only. */
typedef void (*RtnlFdbHandler)(bool removed, const FdbEntry *e, void *userdata);
typedef void (*RtnlBridgePortHandler)(bool removed, const BridgePort *p, void *userdata);

/* Joins RTNLGRP_NEIGH: 'h' gets every AF_BRIDGE RTM_NEWNEIGH/RTM_DELNEIGH (bridge FDB entries and
 * devices' own lists alike; ARP/NDP neighbours are skipped). Returns the monitor fd, -EBUSY when
 * already started. */
int rtnl_monitor_start_neigh(Rtnl *r, RtnlFdbHandler h, void *userdata);

/* Joins RTNLGRP_LINK: 'h' gets every AF_BRIDGE RTM_NEWLINK/RTM_DELLINK (a port's flags or VLANs
 * changed, a port joined or left). Returns the monitor fd, -EBUSY when already started. */
int rtnl_monitor_start_bridge_port(Rtnl *r, RtnlBridgePortHandler h, void *userdata);

/* --- multicast database (bridge-mdb.c) -------------------------------------------------------- */

/* A bridge MDB entry of the L2 (MAC) form (Linux >= 5.11): frames to 'mac' go to 'port_ifindex'
 * instead of being flooded. The bridge looks L2 entries up only for frames that are neither IPv4
 * nor IPv6 (br_mdb_entry_skb_get()); IP multicast follows the IP entries and a querier. Kernel
 * behaviour relied on: tests/netns/test-bridge-mdb.c. */
typedef struct MdbEntry {
        EtherAddr mac;    /* a multicast address (bit 0 of the first byte set) */
        uint16_t vid;     /* 0 = none */
        int port_ifindex; /* the port, or the bridge itself for a host join */
        bool permanent;   /* read: MDB_PERMANENT; the kernel reports every L2 entry so */
} MdbEntry;

/* RTM_NEWMDB with NLM_F_CREATE|NLM_F_REPLACE ('add') or RTM_DELMDB for bridge 'bridge_ifindex':
 * a br_port_msg (AF_BRIDGE) and one MDBA_SET_ENTRY, a struct br_mdb_entry of port
 * e->port_ifindex, state MDB_PERMANENT (the kernel refuses a temporary L2 entry), e->vid, proto 0
 * and e->mac. e->permanent is not read. 'm' must be empty. -EINVAL for bridge_ifindex or
 * port_ifindex <= 0, vid > 4094 or a MAC that is not multicast. The kernel's answers: -EINVAL
 * while multicast snooping is off (adds and deletes alike), when the bridge is down, for a link
 * that is no port of the bridge, and for the delete of an entry it does not have (no message);
 * -EOPNOTSUPP when 'bridge_ifindex' is not a bridge; -ENODEV when it or the port does not exist;
 * -E2BIG past the bridge's mcast_hash_max, which also turns snooping off for the whole bridge. A
 * second add is 0 from Linux 6.3 on (NLM_F_REPLACE), -EEXIST before. A port that is down takes
 * entries. With VLAN filtering, vid 0 acts on each VLAN of the port; the VID is never checked
 * against the port's VLANs. */
int bridge_mdb_fill(struct nl_msg *m, bool add, int bridge_ifindex, const MdbEntry *e);

/* Parses one MDB message: RTM_GETMDB (a dump's answer: one or more per bridge, family 0),
 * RTM_NEWMDB or RTM_DELMDB (a notification, AF_BRIDGE, one entry). '*ret_removed' (may be NULL)
 * is true for RTM_DELMDB, '*ret_bridge_ifindex' (may be NULL) gets the bridge. '*ret' gets a
 * malloc'ed array of its L2 entries in message order (NULL when none; IP entries and router
 * ports are skipped). -ENOMSG for another type, -EAFNOSUPPORT for another family, -EBADMSG when
 * malformed (a short br_mdb_entry, a port index <= 0, a VID above 4094). */
int mdb_message_parse(const void *buf, size_t size, bool *ret_removed, int *ret_bridge_ifindex,
                MdbEntry **ret, size_t *ret_n);

/* The L2 entries of the MDB of bridge 'bridge_ifindex', of port 'port_ifindex' or, with 0, of all
 * ports and host joins (port_ifindex = the bridge). RTM_GETMDB dumps every bridge (the kernel has
 * no filter): the others are skipped here. Returns a malloc'ed array sorted by port, VID, MAC
 * (NULL when empty). -ENODEV when no bridge has that index. */
int rtnl_mdb_dump(Rtnl *r, int bridge_ifindex, int port_ifindex, MdbEntry **ret, size_t *ret_n);

/* What to send to go from the entries 'have' (as rtnl_mdb_dump() reads them, for the ports the
 * caller owns) to the entries 'want'. Entries are the same when MAC, VID and port are; 'permanent'
 * is not compared. Deleted: entries of 'have' not wanted; added: wanted entries 'have' lacks. Both
 * results are malloc'ed, sorted by port, VID, MAC, without duplicates (NULL when empty); send the
 * deletions first, so the bridge's mcast_hash_max is not passed on the way. */
int mdb_diff(const MdbEntry *have, size_t n_have, const MdbEntry *want, size_t n_want, MdbEntry **ret_del,
                size_t *n_del, MdbEntry **ret_add, size_t *n_add);

/* IFLA_BR_MCAST_SNOOPING of bridge 'bridge_ifindex': MDB entries can be added and deleted, and
 * work, only while it is on. -ENODEV when the link does not exist, -EMEDIUMTYPE when it is not a
 * bridge, -EOPNOTSUPP when the kernel does not report it (built without
 * CONFIG_BRIDGE_IGMP_SNOOPING: it has no MDB). */
int rtnl_bridge_get_mcast_snooping(Rtnl *r, int bridge_ifindex, bool *ret);
