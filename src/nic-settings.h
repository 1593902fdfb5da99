/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stddef.h>

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
        _NIC_SETTING_MAX,
        _NIC_SETTING_INVALID = -EINVAL,
} NicSetting;

typedef struct NicSettings {
        unsigned set;          /* bit (1 << NicSetting) for each setting given */
        int trust;             /* -1 not set, 0 no, 1 yes */
        VlanSet allowed_vlans; /* VIDs 1-4094 the guest may use; empty = none */
        unsigned native_vlan;  /* PVID, untagged; 0 = none */
        int learning;          /* -1 not set */
        int unicast_flood;     /* -1 not set */
        int multicast_flood;   /* -1 not set: leave as the bridge made it */
} NicSettings;

void nic_settings_init(NicSettings *s);

static inline int nic_settings_has(const NicSettings *s, NicSetting which) {
        return which >= 0 && which < _NIC_SETTING_MAX && (s->set & (1u << which));
}

/* Parses 'value' for setting 'which' into 's'. Returns 0, or -EINVAL/-ERANGE with '*ret_why'
 * pointing at a static explanation ("not yes or no"); 's' is untouched on failure. */
int nic_settings_set(NicSettings *s, NicSetting which, const char *value, const char **ret_why);

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
