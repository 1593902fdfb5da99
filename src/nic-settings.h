/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stddef.h>

#include "ether-addr.h"
#include "vlan-set.h"

/* vnicd's own settings for one NIC: what the guest may change and how its bridge port is set up.
 * The same settings, with the same values and meaning, come from three places: the domain's
 * <vnicd:nic> metadata (attribute names, docs/domain-metadata.md), an [Interface] section and the
 * host defaults in [Manager] (key names, vnicd.conf(5)). nic_settings_set() is the one parser of a
 * value for all of them; nic_settings_merge() the one rule of precedence. */

typedef enum NicSetting {
        NIC_SETTING_TRUST,           /* trust=, Trust= */
        NIC_SETTING_ALLOWED_VLANS,   /* allowed-vlans=, AllowedVLANs= */
        NIC_SETTING_NATIVE_VLAN,     /* native-vlan=, NativeVLAN= */
        NIC_SETTING_LEARNING,        /* learning=, Learning= */
        NIC_SETTING_UNICAST_FLOOD,   /* unicast-flood=, UnicastFlood= */
        NIC_SETTING_MULTICAST_FLOOD, /* multicast-flood=, MulticastFlood= */
        /* What a guest may change, field by field; unset: what Trust= says. */
        NIC_SETTING_MAC_CHANGE,         /* mac-change=, MACChange=: never|allowed|any */
        NIC_SETTING_ALLOWED_MACS,       /* allowed-macs=, AllowedMACs=: up to 16 unicast MACs */
        NIC_SETTING_PROMISCUOUS,        /* promiscuous=, Promiscuous=: allow|refuse */
        NIC_SETTING_ALLMULTI,           /* allmulti=, AllMulticast=: allow|refuse */
        NIC_SETTING_MULTICAST_GROUPS,   /* multicast-groups=, MulticastGroups=: 0-64 */
        NIC_SETTING_MULTICAST_OVERFLOW, /* multicast-overflow=, MulticastOverflow=: allmulti|refuse */
        /* MAC flapping: more than Burst MAC changes within IntervalSec hold changes down for HoldSec. */
        NIC_SETTING_MAC_CHANGE_BURST,    /* mac-change-limit-burst=, MACChangeLimitBurst=: 0-1000, 0 = off */
        NIC_SETTING_MAC_CHANGE_INTERVAL, /* mac-change-limit-interval-sec=, MACChangeLimitIntervalSec= */
        NIC_SETTING_MAC_CHANGE_HOLD,     /* mac-change-hold-sec=, MACChangeHoldSec= */
        /* What vnicd does with the multiqueue recommendation. */
        NIC_SETTING_MULTIQUEUE_APPLY, /* multiqueue-apply=, MultiqueueApply=: report|guest-agent|next-boot */
        /* Whether the guest agent may read the guest's per-queue counters (ethtool -S) for the policy. */
        NIC_SETTING_MULTIQUEUE_GUEST_STATS, /* multiqueue-guest-stats=, MultiqueueGuestStats=: yes|no */
        _NIC_SETTING_MAX,
        _NIC_SETTING_INVALID = -EINVAL,
} NicSetting;

typedef enum NicMacChange {
        NIC_MAC_CHANGE_NEVER,   /* the host device keeps the configured MAC */
        NIC_MAC_CHANGE_ALLOWED, /* only to the configured MAC or one of AllowedMACs= */
        NIC_MAC_CHANGE_ANY,     /* any valid station address */
        _NIC_MAC_CHANGE_MAX,
        _NIC_MAC_CHANGE_INVALID = -EINVAL,
} NicMacChange;

/* How the multiqueue recommendation is acted on (issue 8 part 4); each lever is opt-in. */
typedef enum NicMultiqueueApply {
        NIC_MULTIQUEUE_APPLY_REPORT,      /* show it and the command an operator would run */
        NIC_MULTIQUEUE_APPLY_GUEST_AGENT, /* run ethtool -L in the guest through qemu-guest-agent */
        NIC_MULTIQUEUE_APPLY_NEXT_BOOT,   /* <driver queues='N'/> in the persistent domain XML */
        _NIC_MULTIQUEUE_APPLY_MAX,
        _NIC_MULTIQUEUE_APPLY_INVALID = -EINVAL,
} NicMultiqueueApply;

#define NIC_ALLOWED_MACS_MAX     16
#define NIC_MULTICAST_GROUPS_MAX 64 /* QEMU's MAC table: a guest cannot ask for more */
/* MAC flapping defaults: a guest that changes its MAC more than 10 times a minute is held down for a
 * minute. A real guest changes it a few times in its life (bonding failover, a new OS). */
#define NIC_MAC_CHANGE_BURST_DEFAULT    10
#define NIC_MAC_CHANGE_INTERVAL_DEFAULT 60
#define NIC_MAC_CHANGE_HOLD_DEFAULT     60
#define NIC_MAC_CHANGE_BURST_MAX        1000
#define NIC_MAC_CHANGE_SEC_MAX          86400

typedef struct NicSettings {
        unsigned set;          /* bit (1 << NicSetting) for each setting given */
        int trust;             /* -1 not set, 0 no, 1 yes */
        VlanSet allowed_vlans; /* VIDs 1-4094 the guest may use; empty = none */
        unsigned native_vlan;  /* PVID, untagged; 0 = none */
        int learning;          /* -1 not set */
        int unicast_flood;     /* -1 not set */
        int multicast_flood;   /* -1 not set: leave as the bridge made it */
        int mac_change;        /* NicMacChange; -1 not set */
        size_t n_allowed_macs;
        EtherAddr allowed_macs[NIC_ALLOWED_MACS_MAX];
        int promiscuous;            /* 1 allow, 0 refuse, -1 not set */
        int allmulti;               /* 1 allow, 0 refuse, -1 not set */
        int multicast_groups;       /* at most this many groups; -1 not set */
        int multicast_overflow;     /* past them: 1 all multicast, 0 refuse; -1 not set */
        int mac_change_burst;       /* MAC changes allowed within the interval, 0 = no limit; -1 not set */
        int mac_change_interval;    /* seconds; -1 not set */
        int mac_change_hold;        /* seconds; -1 not set */
        int multiqueue_apply;       /* NicMultiqueueApply; -1 not set: report */
        int multiqueue_guest_stats; /* 1 read ethtool -S in the guest while busy; -1 not set: no */
} NicSettings;

void nic_settings_init(NicSettings *s);

static inline int nic_settings_has(const NicSettings *s, NicSetting which) {
        return which >= 0 && which < _NIC_SETTING_MAX && (s->set & (1u << which));
}

/* Parses 'value' for setting 'which' into 's'. Returns 0, or -EINVAL/-ERANGE with '*ret_why'
 * pointing at a static explanation ("not yes or no"); 's' is untouched on failure. */
int nic_settings_set(NicSettings *s, NicSetting which, const char *value, const char **ret_why);

/* The value of setting 'which' as nic_settings_set() reads it ("10,20", "allow", "yes"), in a
 * malloc'ed '*ret'. -ENOENT when 's' does not set it, -ENOMEM. */
int nic_settings_format(const NicSettings *s, NicSetting which, char **ret);

/* Checks the settings against each other (a native VLAN may not also be an allowed, tagged one).
 * Returns 0 or -EINVAL with '*ret_why' set. */
int nic_settings_check(const NicSettings *s, const char **ret_why);

/* The rule of precedence: 'layers' from the strongest to the weakest (e.g. metadata, [Interface],
 * [Manager]); per setting the first layer that sets it wins. Fills 'ret' (settings no layer sets
 * keep nic_settings_init()'s "not set") and, per setting, the index of the winning layer in
 * 'ret_from' or -1 when none sets it. NULL layers are skipped. Pure. */
void nic_settings_merge(const NicSettings *const *layers, size_t n_layers, NicSettings *ret,
                int ret_from[static _NIC_SETTING_MAX]);

const char *nic_setting_to_attribute(NicSetting s); /* "allowed-vlans" */
const char *nic_setting_to_key(NicSetting s);       /* "AllowedVLANs" */
NicSetting nic_setting_from_attribute(const char *s);
NicSetting nic_setting_from_key(const char *s);
const char *nic_mac_change_to_string(NicMacChange c);             /* "allowed" */
const char *nic_multiqueue_apply_to_string(NicMultiqueueApply a); /* "next-boot" */
const char *nic_setting_unset_meaning(NicSetting s); /* "default: off", "unset: Trust= decides" */
