/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "macro.h"
#include "nic-settings.h"
#include "parse-util.h"

static const char *const nic_setting_attribute_table[_NIC_SETTING_MAX] = {
                [NIC_SETTING_TRUST] = "trust",
                [NIC_SETTING_ALLOWED_VLANS] = "allowed-vlans",
                [NIC_SETTING_NATIVE_VLAN] = "native-vlan",
                [NIC_SETTING_LEARNING] = "learning",
                [NIC_SETTING_UNICAST_FLOOD] = "unicast-flood",
                [NIC_SETTING_MULTICAST_FLOOD] = "multicast-flood",
};

static const char *const nic_setting_key_table[_NIC_SETTING_MAX] = {
                [NIC_SETTING_TRUST] = "Trust",
                [NIC_SETTING_ALLOWED_VLANS] = "AllowedVLANs",
                [NIC_SETTING_NATIVE_VLAN] = "NativeVLAN",
                [NIC_SETTING_LEARNING] = "Learning",
                [NIC_SETTING_UNICAST_FLOOD] = "UnicastFlood",
                [NIC_SETTING_MULTICAST_FLOOD] = "MulticastFlood",
};

const char *nic_setting_to_attribute(NicSetting s) {
        return s >= 0 && s < _NIC_SETTING_MAX ? nic_setting_attribute_table[s] : NULL;
}

const char *nic_setting_to_key(NicSetting s) {
        return s >= 0 && s < _NIC_SETTING_MAX ? nic_setting_key_table[s] : NULL;
}

NicSetting nic_setting_from_attribute(const char *s) {
        return string_table_lookup(nic_setting_attribute_table, _NIC_SETTING_MAX, s);
}

NicSetting nic_setting_from_key(const char *s) {
        return string_table_lookup(nic_setting_key_table, _NIC_SETTING_MAX, s);
}

void nic_settings_init(NicSettings *s) {
        *s = (NicSettings){
                        .trust = -1,
                        .learning = -1,
                        .unicast_flood = -1,
                        .multicast_flood = -1,
        };
}

static int *nic_settings_boolean(NicSettings *s, NicSetting which) {
        switch (which) {
        case NIC_SETTING_TRUST:
                return &s->trust;
        case NIC_SETTING_LEARNING:
                return &s->learning;
        case NIC_SETTING_UNICAST_FLOOD:
                return &s->unicast_flood;
        case NIC_SETTING_MULTICAST_FLOOD:
                return &s->multicast_flood;
        default:
                return NULL;
        }
}

int nic_settings_set(NicSettings *s, NicSetting which, const char *value, const char **ret_why) {
        VlanSet vids;
        unsigned vid;
        int *b, r;

        if (!s || !value || !ret_why)
                return -EINVAL;
        if (which < 0 || which >= _NIC_SETTING_MAX) {
                *ret_why = "unknown setting";
                return -EINVAL;
        }
        if (value[0] == 0) {
                *ret_why = "needs a value";
                return -EINVAL;
        }

        b = nic_settings_boolean(s, which);
        if (b) {
                r = parse_boolean(value);
                if (r < 0) {
                        *ret_why = "not yes or no";
                        return r;
                }
                *b = r;
        } else if (which == NIC_SETTING_ALLOWED_VLANS) {
                r = vlan_set_from_string(value, &vids);
                /* VID 0 is the priority tag and 4095 reserved: neither can be a port VLAN. */
                if (r >= 0 && (vlan_set_contains(&vids, 0) || vlan_set_contains(&vids, 4095)))
                        r = -ERANGE;
                if (r < 0) {
                        *ret_why = "not a list of VLAN ids 1-4094 and ranges (10,20,100-110)";
                        return r;
                }
                s->allowed_vlans = vids;
        } else {
                r = parse_decimal(value, VLAN_VID_MAX, &vid);
                if (r < 0 || vid == 0) {
                        *ret_why = "not a VLAN id 1-4094";
                        return -ERANGE;
                }
                s->native_vlan = vid;
        }

        s->set |= 1u << which;
        return 0;
}

int nic_settings_check(const NicSettings *s, const char **ret_why) {
        if (s->native_vlan > 0 && vlan_set_contains(&s->allowed_vlans, s->native_vlan)) {
                *ret_why = "the native VLAN is also in the allowed VLANs (it is untagged)";
                return -EINVAL;
        }
        return 0;
}

static void nic_settings_copy_one(NicSettings *to, const NicSettings *from, NicSetting which) {
        int *b = nic_settings_boolean(to, which);

        if (b)
                *b = *nic_settings_boolean((NicSettings *) from, which);
        else if (which == NIC_SETTING_ALLOWED_VLANS)
                to->allowed_vlans = from->allowed_vlans;
        else
                to->native_vlan = from->native_vlan;
        to->set |= 1u << which;
}

void nic_settings_merge(const NicSettings *const *layers, size_t n_layers, NicSettings *ret,
                int ret_from[static _NIC_SETTING_MAX]) {
        nic_settings_init(ret);
        for (NicSetting w = 0; w < _NIC_SETTING_MAX; w++) {
                ret_from[w] = -1;
                for (size_t i = 0; i < n_layers; i++)
                        if (layers[i] && nic_settings_has(layers[i], w)) {
                                nic_settings_copy_one(ret, layers[i], w);
                                ret_from[w] = (int) i;
                                break;
                        }
        }
}
