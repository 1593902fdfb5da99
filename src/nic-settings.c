/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                [NIC_SETTING_MAC_CHANGE] = "mac-change",
                [NIC_SETTING_ALLOWED_MACS] = "allowed-macs",
                [NIC_SETTING_PROMISCUOUS] = "promiscuous",
                [NIC_SETTING_ALLMULTI] = "allmulti",
                [NIC_SETTING_MULTICAST_GROUPS] = "multicast-groups",
                [NIC_SETTING_MULTICAST_OVERFLOW] = "multicast-overflow",
                [NIC_SETTING_MAC_CHANGE_BURST] = "mac-change-limit-burst",
                [NIC_SETTING_MAC_CHANGE_INTERVAL] = "mac-change-limit-interval-sec",
                [NIC_SETTING_MAC_CHANGE_HOLD] = "mac-change-hold-sec",
                [NIC_SETTING_MULTIQUEUE_APPLY] = "multiqueue-apply",
                [NIC_SETTING_MULTIQUEUE_GUEST_STATS] = "multiqueue-guest-stats",
};

static const char *const nic_setting_key_table[_NIC_SETTING_MAX] = {
                [NIC_SETTING_TRUST] = "Trust",
                [NIC_SETTING_ALLOWED_VLANS] = "AllowedVLANs",
                [NIC_SETTING_NATIVE_VLAN] = "NativeVLAN",
                [NIC_SETTING_LEARNING] = "Learning",
                [NIC_SETTING_UNICAST_FLOOD] = "UnicastFlood",
                [NIC_SETTING_MULTICAST_FLOOD] = "MulticastFlood",
                [NIC_SETTING_MAC_CHANGE] = "MACChange",
                [NIC_SETTING_ALLOWED_MACS] = "AllowedMACs",
                [NIC_SETTING_PROMISCUOUS] = "Promiscuous",
                [NIC_SETTING_ALLMULTI] = "AllMulticast",
                [NIC_SETTING_MULTICAST_GROUPS] = "MulticastGroups",
                [NIC_SETTING_MULTICAST_OVERFLOW] = "MulticastOverflow",
                [NIC_SETTING_MAC_CHANGE_BURST] = "MACChangeLimitBurst",
                [NIC_SETTING_MAC_CHANGE_INTERVAL] = "MACChangeLimitIntervalSec",
                [NIC_SETTING_MAC_CHANGE_HOLD] = "MACChangeHoldSec",
                [NIC_SETTING_MULTIQUEUE_APPLY] = "MultiqueueApply",
                [NIC_SETTING_MULTIQUEUE_GUEST_STATS] = "MultiqueueGuestStats",
};

static const char *const nic_mac_change_table[_NIC_MAC_CHANGE_MAX] = {
                [NIC_MAC_CHANGE_NEVER] = "never",
                [NIC_MAC_CHANGE_ALLOWED] = "allowed",
                [NIC_MAC_CHANGE_ANY] = "any",
};

static const char *const nic_multiqueue_apply_table[_NIC_MULTIQUEUE_APPLY_MAX] = {
                [NIC_MULTIQUEUE_APPLY_REPORT] = "report",
                [NIC_MULTIQUEUE_APPLY_GUEST_AGENT] = "guest-agent",
                [NIC_MULTIQUEUE_APPLY_NEXT_BOOT] = "next-boot",
};

/* The words of the settings that take one of a few: index = the value stored. */
static const char *const allow_refuse_table[] = {"refuse", "allow"};
static const char *const overflow_table[] = {"refuse", "allmulti"};

/* What a NIC gets for a setting no layer gives (vnicd.conf(5)); test-nic-settings checks the
 * figures against the NIC_MAC_CHANGE_*_DEFAULT values. */
static const char *const nic_setting_unset_table[_NIC_SETTING_MAX] = {
                [NIC_SETTING_TRUST] = "default: no",
                [NIC_SETTING_ALLOWED_VLANS] = "default: none",
                [NIC_SETTING_NATIVE_VLAN] = "default: none",
                [NIC_SETTING_LEARNING] = "default: off",
                [NIC_SETTING_UNICAST_FLOOD] = "default: off",
                [NIC_SETTING_MULTICAST_FLOOD] = "default: as the bridge set the port",
                [NIC_SETTING_MAC_CHANGE] = "unset: Trust= decides",
                [NIC_SETTING_ALLOWED_MACS] = "default: none",
                [NIC_SETTING_PROMISCUOUS] = "unset: Trust= decides",
                [NIC_SETTING_ALLMULTI] = "unset: Trust= decides",
                [NIC_SETTING_MULTICAST_GROUPS] = "unset: Trust= decides",
                [NIC_SETTING_MULTICAST_OVERFLOW] = "unset: Trust= decides",
                [NIC_SETTING_MAC_CHANGE_BURST] = "default: 10",
                [NIC_SETTING_MAC_CHANGE_INTERVAL] = "default: 60",
                [NIC_SETTING_MAC_CHANGE_HOLD] = "default: 60",
                [NIC_SETTING_MULTIQUEUE_APPLY] = "default: report",
                [NIC_SETTING_MULTIQUEUE_GUEST_STATS] = "default: no",
};

const char *nic_setting_unset_meaning(NicSetting s) {
        return s >= 0 && s < _NIC_SETTING_MAX ? nic_setting_unset_table[s] : NULL;
}

const char *nic_mac_change_to_string(NicMacChange c) {
        return c >= 0 && c < _NIC_MAC_CHANGE_MAX ? nic_mac_change_table[c] : NULL;
}

const char *nic_multiqueue_apply_to_string(NicMultiqueueApply a) {
        return a >= 0 && a < _NIC_MULTIQUEUE_APPLY_MAX ? nic_multiqueue_apply_table[a] : NULL;
}

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
                        .mac_change = -1,
                        .promiscuous = -1,
                        .allmulti = -1,
                        .multicast_groups = -1,
                        .multicast_overflow = -1,
                        .mac_change_burst = -1,
                        .mac_change_interval = -1,
                        .mac_change_hold = -1,
                        .multiqueue_apply = -1,
                        .multiqueue_guest_stats = -1,
        };
}

/* A list of unicast MACs separated by commas or blanks, each once. */
static int parse_macs(const char *value, EtherAddr ret[static NIC_ALLOWED_MACS_MAX], size_t *ret_n) {
        size_t n = 0;

        for (const char *p = value; *p;) {
                char word[32];
                size_t len = strcspn(p, ", \t");
                EtherAddr a;
                bool dup = false;

                if (len == 0) {
                        p++;
                        continue;
                }
                if (len >= sizeof(word))
                        return -EINVAL;
                memcpy(word, p, len);
                word[len] = 0;
                p += len;
                if (ether_addr_from_string(word, &a) < 0 || ether_addr_is_multicast(&a) ||
                                ether_addr_is_zero(&a))
                        return -EINVAL;
                for (size_t i = 0; i < n; i++)
                        dup = dup || ether_addr_equal(&ret[i], &a);
                if (dup)
                        continue;
                if (n >= NIC_ALLOWED_MACS_MAX)
                        return -E2BIG;
                ret[n++] = a;
        }
        if (n == 0)
                return -EINVAL;
        *ret_n = n;
        return 0;
}

/* The settings stored as one of a few words: their field and words. */
static int *nic_settings_word(
                NicSettings *s, NicSetting which, const char *const **ret_words, size_t *ret_n) {
        switch (which) {
        case NIC_SETTING_MAC_CHANGE:
                *ret_words = nic_mac_change_table;
                *ret_n = _NIC_MAC_CHANGE_MAX;
                return &s->mac_change;
        case NIC_SETTING_PROMISCUOUS:
                *ret_words = allow_refuse_table;
                *ret_n = ELEMENTSOF(allow_refuse_table);
                return &s->promiscuous;
        case NIC_SETTING_ALLMULTI:
                *ret_words = allow_refuse_table;
                *ret_n = ELEMENTSOF(allow_refuse_table);
                return &s->allmulti;
        case NIC_SETTING_MULTICAST_OVERFLOW:
                *ret_words = overflow_table;
                *ret_n = ELEMENTSOF(overflow_table);
                return &s->multicast_overflow;
        case NIC_SETTING_MULTIQUEUE_APPLY:
                *ret_words = nic_multiqueue_apply_table;
                *ret_n = _NIC_MULTIQUEUE_APPLY_MAX;
                return &s->multiqueue_apply;
        default:
                return NULL;
        }
}

/* The settings stored as a number: their field, range and what a bad value is not. */
static int *nic_settings_number(NicSettings *s, NicSetting which, unsigned *ret_min, unsigned *ret_max,
                const char **ret_why) {
        switch (which) {
        case NIC_SETTING_MULTICAST_GROUPS:
                *ret_min = 0, *ret_max = NIC_MULTICAST_GROUPS_MAX;
                *ret_why = "not a number of groups 0-64";
                return &s->multicast_groups;
        case NIC_SETTING_MAC_CHANGE_BURST:
                *ret_min = 0, *ret_max = NIC_MAC_CHANGE_BURST_MAX;
                *ret_why = "not a number of MAC changes 0-1000 (0: no limit)";
                return &s->mac_change_burst;
        case NIC_SETTING_MAC_CHANGE_INTERVAL:
                *ret_min = 1, *ret_max = NIC_MAC_CHANGE_SEC_MAX;
                *ret_why = "not a number of seconds 1-86400";
                return &s->mac_change_interval;
        case NIC_SETTING_MAC_CHANGE_HOLD:
                *ret_min = 1, *ret_max = NIC_MAC_CHANGE_SEC_MAX;
                *ret_why = "not a number of seconds 1-86400";
                return &s->mac_change_hold;
        default:
                return NULL;
        }
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
        case NIC_SETTING_MULTIQUEUE_GUEST_STATS:
                return &s->multiqueue_guest_stats;
        default:
                return NULL;
        }
}

int nic_settings_set(NicSettings *s, NicSetting which, const char *value, const char **ret_why) {
        const char *const *words = NULL, *number_why;
        size_t n_words = 0;
        VlanSet vids;
        unsigned vid, min, max;
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

        b = nic_settings_word(s, which, &words, &n_words);
        if (b) {
                r = string_table_lookup(words, (int) n_words, value);
                if (r < 0) {
                        *ret_why = which == NIC_SETTING_MAC_CHANGE           ? "not never, allowed or any"
                                   : which == NIC_SETTING_MULTICAST_OVERFLOW ? "not allmulti or refuse"
                                   : which == NIC_SETTING_MULTIQUEUE_APPLY
                                                   ? "not report, guest-agent or next-boot"
                                                   : "not allow or refuse";
                        return r;
                }
                *b = r;
        } else if ((b = nic_settings_boolean(s, which))) {
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
        } else if (which == NIC_SETTING_ALLOWED_MACS) {
                EtherAddr macs[NIC_ALLOWED_MACS_MAX];
                size_t n_macs = 0;

                r = parse_macs(value, macs, &n_macs);
                if (r < 0) {
                        *ret_why = r == -E2BIG ? "more than 16 MACs"
                                               : "not a list of unicast MACs (52:54:00:12:34:56, ...)";
                        return r;
                }
                memcpy(s->allowed_macs, macs, n_macs * sizeof(EtherAddr));
                s->n_allowed_macs = n_macs;
        } else if ((b = nic_settings_number(s, which, &min, &max, &number_why))) {
                r = parse_decimal(value, max, &vid);
                if (r >= 0 && vid < min)
                        r = -ERANGE;
                if (r < 0) {
                        *ret_why = number_why;
                        return r;
                }
                *b = (int) vid;
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

int nic_settings_format(const NicSettings *s, NicSetting which, char **ret) {
        const char *const *words, *why;
        char buf[NIC_ALLOWED_MACS_MAX * ETHER_ADDR_STRING_MAX], mac[ETHER_ADDR_STRING_MAX];
        NicSettings *m = (NicSettings *) s; /* the accessors only point into it */
        size_t n_words, len = 0;
        unsigned min, max;
        int *b;

        if (!s || !ret || which < 0 || which >= _NIC_SETTING_MAX)
                return -EINVAL;
        if (!nic_settings_has(s, which))
                return -ENOENT;
        if ((b = nic_settings_word(m, which, &words, &n_words)))
                (void) snprintf(buf, sizeof(buf), "%s", *b >= 0 && (size_t) *b < n_words ? words[*b] : "?");
        else if ((b = nic_settings_boolean(m, which)))
                (void) snprintf(buf, sizeof(buf), "%s", *b > 0 ? "yes" : "no");
        else if ((b = nic_settings_number(m, which, &min, &max, &why)))
                (void) snprintf(buf, sizeof(buf), "%d", *b);
        else if (which == NIC_SETTING_ALLOWED_VLANS) {
                *ret = vlan_set_to_string(&s->allowed_vlans);
                return *ret ? 0 : -ENOMEM;
        } else if (which == NIC_SETTING_ALLOWED_MACS) {
                buf[0] = 0;
                for (size_t i = 0; i < s->n_allowed_macs; i++)
                        len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%s%s", i > 0 ? "," : "",
                                        ether_addr_to_string(&s->allowed_macs[i], mac));
        } else
                (void) snprintf(buf, sizeof(buf), "%u", s->native_vlan);
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int nic_settings_check(const NicSettings *s, const char **ret_why) {
        if (s->native_vlan > 0 && vlan_set_contains(&s->allowed_vlans, s->native_vlan)) {
                *ret_why = "the native VLAN is also in the allowed VLANs (it is untagged)";
                return -EINVAL;
        }
        return 0;
}

static void nic_settings_copy_one(NicSettings *to, const NicSettings *from, NicSetting which) {
        const char *const *words, *why;
        size_t n_words;
        unsigned min, max;
        int *b;

        if ((b = nic_settings_boolean(to, which)))
                *b = *nic_settings_boolean((NicSettings *) from, which);
        else if ((b = nic_settings_word(to, which, &words, &n_words)))
                *b = *nic_settings_word((NicSettings *) from, which, &words, &n_words);
        else if (which == NIC_SETTING_ALLOWED_VLANS)
                to->allowed_vlans = from->allowed_vlans;
        else if (which == NIC_SETTING_ALLOWED_MACS) {
                memcpy(to->allowed_macs, from->allowed_macs, sizeof(to->allowed_macs));
                to->n_allowed_macs = from->n_allowed_macs;
        } else if ((b = nic_settings_number(to, which, &min, &max, &why)))
                *b = *nic_settings_number((NicSettings *) from, which, &min, &max, &why);
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
