/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "rx-filter.h"
#include "trust.h"
#include "vlan-set.h"

/* What a guest's port in a Linux bridge should carry: its VLANs (with the native VLAN as untagged
 * PVID) and the static FDB entries for its MAC on each of them, decided per field with a reason.
 *
 * Trusted guests get the VLANs they registered that the operator allows (VID 0 is the priority
 * tag a guest with 8021q registers: never programmed). Untrusted guests get the operator's static
 * configuration: every allowed VLAN and the native one. The FDB entries' MAC obeys the same MAC
 * rule as a macvtap (trust_decide_mac(): MACChange=, AllowedMACs=, flapping limit, else Trust=), so
 * a guest's MAC is in its allowed set before the bridge forwards to it; they start with the MAC QEMU
 * was configured with. What a guest asks beyond its rules is refused and reported. Pure: no I/O, no
 * globals. */

typedef enum BridgeField {
        BRIDGE_FIELD_FDB,       /* the static FDB entries (the guest's MAC) */
        BRIDGE_FIELD_VLANS,     /* the port's VLANs */
        BRIDGE_FIELD_MULTICAST, /* L2 MDB entries for the guest's groups (multicast snooping) */
        _BRIDGE_FIELD_MAX,
        _BRIDGE_FIELD_INVALID = -EINVAL,
} BridgeField;

/* L2 MDB entries one guest port may hold: past the bridge's mcast_hash_max (4096 by default) the
 * kernel turns snooping off for the whole bridge, so one guest must never get near it. */
#define BRIDGE_MDB_PER_PORT_MAX 256

typedef struct BridgePortPolicy {
        NicPolicy nic;        /* Trust=, the MAC rules, the configured MAC and the MAC change history */
        VlanSet allowed;      /* AllowedVLANs= */
        unsigned native_vlan; /* NativeVLAN=, 0 = none */
        bool vlan_filtering;  /* the bridge filters VLANs; otherwise no VLAN can be applied */
        const char *bridge;   /* its name, for reasons */
        bool mcast_snooping;  /* the bridge snoops multicast: MDB entries decide delivery */
} BridgePortPolicy;

typedef struct BridgePortState {
        VlanSet vids;  /* the port's VLANs (PVID included) */
        unsigned pvid; /* 0 = none */
        VlanSet untagged;
        bool has_fdb;
        EtherAddr fdb_mac;
        VlanSet fdb_vids; /* VID 0 = an entry without VLAN */
        size_t n_groups;  /* L2 MDB groups on the port, one entry per group and VID of fdb_vids */
        EtherAddr groups[RX_FILTER_MAC_TABLE_MAX];
        bool mcast_flood; /* the port should get all multicast (overflow, "all") */
} BridgePortState;

typedef struct BridgePortDecision {
        FieldDecision fields[_BRIDGE_FIELD_MAX];
        BridgePortState wanted;
        VlanSet refused_vids;    /* asked, not allowed */
        uint64_t mac_hold_until; /* > 0: the guest's MAC change is held down until then */
} BridgePortDecision;

/* Decides the port's wanted state from what the guest 'asked', the 'policy' and what the port
 * has ('have', for KEEP vs APPLY). Always returns 0 for valid arguments, -EINVAL for NULL ones. */
int bridge_port_decide(const RxFilter *asked, const BridgePortPolicy *policy, const BridgePortState *have,
                BridgePortDecision *ret);

bool bridge_port_state_equal(const BridgePortState *a, const BridgePortState *b);
const char *bridge_field_to_string(BridgeField f);
