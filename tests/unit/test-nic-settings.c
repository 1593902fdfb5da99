/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "macro.h"
#include "nic-settings.h"

/* Builds settings from "key=value" pairs in vnicd.conf's spelling; NULL ends the list. */
static NicSettings make(const char *const *pairs) {
        NicSettings s;

        nic_settings_init(&s);
        for (size_t i = 0; pairs && pairs[i]; i++) {
                char key[32];
                const char *eq = strchr(pairs[i], '='), *why = NULL;

                assert_non_null(eq);
                (void) snprintf(key, sizeof(key), "%.*s", (int) (eq - pairs[i]), pairs[i]);
                assert_int_equal(nic_settings_set(&s, nic_setting_from_key(key), eq + 1, &why), 0);
        }
        return s;
}

static void test_names(void **state) {
        for (NicSetting w = 0; w < _NIC_SETTING_MAX; w++) {
                assert_non_null(nic_setting_to_key(w));
                assert_non_null(nic_setting_to_attribute(w));
                assert_int_equal(nic_setting_from_key(nic_setting_to_key(w)), w);
                assert_int_equal(nic_setting_from_attribute(nic_setting_to_attribute(w)), w);
        }
        assert_int_equal(nic_setting_from_key("allowed-vlans"), -EINVAL);
        assert_int_equal(nic_setting_from_attribute("AllowedVLANs"), -EINVAL);
        assert_int_equal(nic_setting_from_key(NULL), -EINVAL);
        assert_null(nic_setting_to_key(_NIC_SETTING_MAX));
        assert_string_equal(nic_setting_to_key(NIC_SETTING_ALLOWED_VLANS), "AllowedVLANs");
        assert_string_equal(nic_setting_to_attribute(NIC_SETTING_MULTICAST_FLOOD), "multicast-flood");
}

static void test_set(void **state) {
        static const struct {
                NicSetting which;
                const char *value;
                int r;
                const char *why;
        } cases[] = {
                        {NIC_SETTING_TRUST, "yes", 0, NULL},
                        {NIC_SETTING_TRUST, "off", 0, NULL},
                        {NIC_SETTING_TRUST, "maybe", -EINVAL, "not yes or no"},
                        {NIC_SETTING_TRUST, "Yes", -EINVAL, "not yes or no"},
                        {NIC_SETTING_TRUST, "", -EINVAL, "needs a value"},
                        {NIC_SETTING_ALLOWED_VLANS, "10,20-30", 0, NULL},
                        {NIC_SETTING_ALLOWED_VLANS, "1-4094", 0, NULL},
                        {NIC_SETTING_ALLOWED_VLANS, "0", -ERANGE, "not a list"},
                        {NIC_SETTING_ALLOWED_VLANS, "4095", -ERANGE, "not a list"},
                        {NIC_SETTING_ALLOWED_VLANS, "10,x", -EINVAL, "not a list"},
                        {NIC_SETTING_ALLOWED_VLANS, "10,,20", -EINVAL, "not a list"},
                        {NIC_SETTING_NATIVE_VLAN, "1", 0, NULL},
                        {NIC_SETTING_NATIVE_VLAN, "4094", 0, NULL},
                        {NIC_SETTING_NATIVE_VLAN, "0", -ERANGE, "not a VLAN id"},
                        {NIC_SETTING_NATIVE_VLAN, "4095", -ERANGE, "not a VLAN id"},
                        {NIC_SETTING_NATIVE_VLAN, "+5", -ERANGE, "not a VLAN id"},
                        {NIC_SETTING_NATIVE_VLAN, "99999999999999999999", -ERANGE, "not a VLAN id"},
                        {NIC_SETTING_MULTICAST_FLOOD, "true", 0, NULL},
                        {NIC_SETTING_MULTICAST_GROUPS, "0", 0, NULL},
                        {NIC_SETTING_MULTICAST_GROUPS, "64", 0, NULL},
                        {NIC_SETTING_MULTICAST_GROUPS, "65", -ERANGE, "not a number of groups 0-64"},
                        {NIC_SETTING_MAC_CHANGE_BURST, "0", 0, NULL},
                        {NIC_SETTING_MAC_CHANGE_BURST, "1000", 0, NULL},
                        {NIC_SETTING_MAC_CHANGE_BURST, "1001", -ERANGE, "not a number of MAC changes"},
                        {NIC_SETTING_MAC_CHANGE_BURST, "-1", -EINVAL, "not a number of MAC changes"},
                        {NIC_SETTING_MAC_CHANGE_INTERVAL, "1", 0, NULL},
                        {NIC_SETTING_MAC_CHANGE_INTERVAL, "0", -ERANGE, "not a number of seconds 1-86400"},
                        {NIC_SETTING_MAC_CHANGE_HOLD, "86400", 0, NULL},
                        {NIC_SETTING_MAC_CHANGE_HOLD, "86401", -ERANGE, "not a number of seconds"},
                        {NIC_SETTING_MAC_CHANGE_HOLD, "1.5", -EINVAL, "not a number of seconds"},
                        {NIC_SETTING_MULTIQUEUE_APPLY, "report", 0, NULL},
                        {NIC_SETTING_MULTIQUEUE_APPLY, "guest-agent", 0, NULL},
                        {NIC_SETTING_MULTIQUEUE_APPLY, "next-boot", 0, NULL},
                        {NIC_SETTING_MULTIQUEUE_APPLY, "Next-Boot", -EINVAL,
                                        "not report, guest-agent or next-boot"},
                        {NIC_SETTING_MULTIQUEUE_APPLY, "yes", -EINVAL,
                                        "not report, guest-agent or next-boot"},
                        {NIC_SETTING_MULTIQUEUE_GUEST_STATS, "yes", 0, NULL},
                        {NIC_SETTING_MULTIQUEUE_GUEST_STATS, "no", 0, NULL},
                        {NIC_SETTING_MULTIQUEUE_GUEST_STATS, "always", -EINVAL, "not yes or no"},
                        {_NIC_SETTING_MAX, "yes", -EINVAL, "unknown setting"},
                        {_NIC_SETTING_INVALID, "yes", -EINVAL, "unknown setting"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                NicSettings s, before;
                const char *why = NULL;
                int r;

                nic_settings_init(&s);
                before = s;
                r = nic_settings_set(&s, cases[i].which, cases[i].value, &why);
                printf("case %zu: %d %s\n", i, r, strempty(why));
                assert_int_equal(r, cases[i].r);
                if (r == 0) {
                        assert_true(nic_settings_has(&s, cases[i].which));
                        continue;
                }
                assert_non_null(why);
                assert_non_null(strstr(why, cases[i].why));
                /* A refused value leaves the settings as they were. */
                assert_memory_equal(&s, &before, sizeof(s));
        }
}

/* Every setting reads back as it was written: the one formatter is the parser's inverse. */
static void test_format(void **state) {
        static const char *const values[_NIC_SETTING_MAX] = {
                        [NIC_SETTING_TRUST] = "no",
                        [NIC_SETTING_ALLOWED_VLANS] = "10,20-30,4094",
                        [NIC_SETTING_NATIVE_VLAN] = "5",
                        [NIC_SETTING_LEARNING] = "yes",
                        [NIC_SETTING_UNICAST_FLOOD] = "no",
                        [NIC_SETTING_MULTICAST_FLOOD] = "yes",
                        [NIC_SETTING_MAC_CHANGE] = "allowed",
                        [NIC_SETTING_ALLOWED_MACS] = "52:54:00:aa:00:01,52:54:00:aa:00:02",
                        [NIC_SETTING_PROMISCUOUS] = "refuse",
                        [NIC_SETTING_ALLMULTI] = "allow",
                        [NIC_SETTING_MULTICAST_GROUPS] = "0",
                        [NIC_SETTING_MULTICAST_OVERFLOW] = "allmulti",
                        [NIC_SETTING_MAC_CHANGE_BURST] = "1000",
                        [NIC_SETTING_MAC_CHANGE_INTERVAL] = "86400",
                        [NIC_SETTING_MAC_CHANGE_HOLD] = "1",
                        [NIC_SETTING_MULTIQUEUE_APPLY] = "guest-agent",
                        [NIC_SETTING_MULTIQUEUE_GUEST_STATS] = "yes",
        };
        NicSettings s;
        char *v = NULL;

        nic_settings_init(&s);
        for (NicSetting w = 0; w < _NIC_SETTING_MAX; w++)
                assert_int_equal(nic_settings_format(&s, w, &v), -ENOENT);
        for (NicSetting w = 0; w < _NIC_SETTING_MAX; w++) {
                const char *why = NULL;

                assert_non_null(values[w]);
                assert_int_equal(nic_settings_set(&s, w, values[w], &why), 0);
                assert_int_equal(nic_settings_format(&s, w, &v), 0);
                assert_string_equal(v, values[w]);
                free(v);
        }
        /* A boolean given as "on" reads back in the one spelling vnicd writes. */
        s = make((const char *const[]){"Learning=on", NULL});
        assert_int_equal(nic_settings_format(&s, NIC_SETTING_LEARNING, &v), 0);
        assert_string_equal(v, "yes");
        free(v);
        assert_int_equal(nic_settings_format(&s, _NIC_SETTING_MAX, &v), -EINVAL);
}

/* The words for an unset setting quote the defaults the policy uses. */
static void test_unset_meaning(void **state) {
        static const struct {
                NicSetting which;
                int value;
        } defaults[] = {
                        {NIC_SETTING_MAC_CHANGE_BURST, NIC_MAC_CHANGE_BURST_DEFAULT},
                        {NIC_SETTING_MAC_CHANGE_INTERVAL, NIC_MAC_CHANGE_INTERVAL_DEFAULT},
                        {NIC_SETTING_MAC_CHANGE_HOLD, NIC_MAC_CHANGE_HOLD_DEFAULT},
        };
        char want[32];

        for (NicSetting w = 0; w < _NIC_SETTING_MAX; w++)
                assert_non_null(nic_setting_unset_meaning(w));
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
                (void) snprintf(want, sizeof(want), "default: %d", defaults[i].value);
                assert_string_equal(nic_setting_unset_meaning(defaults[i].which), want);
        }
        assert_null(nic_setting_unset_meaning(_NIC_SETTING_MAX));
}

static void test_check(void **state) {
        NicSettings s = make(STRV("AllowedVLANs=10-20", "NativeVLAN=15"));
        const char *why = NULL;

        assert_int_equal(nic_settings_check(&s, &why), -EINVAL);
        assert_non_null(strstr(why, "native VLAN"));
        s = make(STRV("AllowedVLANs=10-20", "NativeVLAN=21"));
        assert_int_equal(nic_settings_check(&s, &why), 0);
}

/* Per setting, the strongest layer that sets it wins; NULL layers and unset settings fall through. */
static void test_merge(void **state) {
        NicSettings meta = make(STRV("NativeVLAN=5", "Trust=no")),
                    iface = make(STRV("Trust=yes", "AllowedVLANs=100", "Learning=yes")),
                    host = make(STRV("Trust=no", "AllowedVLANs=7", "UnicastFlood=yes",
                                    "MultiqueueApply=next-boot")),
                    empty = make(NULL), merged;
        const NicSettings *layers[] = {&meta, NULL, &iface, &empty, &host};
        int from[_NIC_SETTING_MAX];

        nic_settings_merge(layers, ELEMENTSOF(layers), &merged, from);
        assert_int_equal(merged.trust, 0);
        assert_int_equal(from[NIC_SETTING_TRUST], 0);
        assert_int_equal(merged.native_vlan, 5);
        assert_int_equal(from[NIC_SETTING_NATIVE_VLAN], 0);
        assert_true(vlan_set_contains(&merged.allowed_vlans, 100));
        assert_false(vlan_set_contains(&merged.allowed_vlans, 7));
        assert_int_equal(from[NIC_SETTING_ALLOWED_VLANS], 2);
        assert_int_equal(merged.learning, 1);
        assert_int_equal(from[NIC_SETTING_LEARNING], 2);
        assert_int_equal(merged.unicast_flood, 1);
        assert_int_equal(from[NIC_SETTING_UNICAST_FLOOD], 4);
        assert_int_equal(merged.multicast_flood, -1);
        assert_int_equal(from[NIC_SETTING_MULTICAST_FLOOD], -1);
        assert_false(nic_settings_has(&merged, NIC_SETTING_MULTICAST_FLOOD));
        assert_int_equal(merged.multiqueue_apply, NIC_MULTIQUEUE_APPLY_NEXT_BOOT);
        assert_int_equal(from[NIC_SETTING_MULTIQUEUE_APPLY], 4);

        /* An explicit "empty" still wins: AllowedVLANs is set by the first layer, not inherited. */
        layers[0] = &host;
        layers[2] = &iface;
        nic_settings_merge(layers, ELEMENTSOF(layers), &merged, from);
        assert_true(vlan_set_contains(&merged.allowed_vlans, 7));
        assert_int_equal(merged.trust, 0);
        assert_int_equal(from[NIC_SETTING_LEARNING], 2);

        /* No layer at all: nothing set, everything from the defaults. */
        nic_settings_merge(layers, 0, &merged, from);
        assert_int_equal(merged.set, 0);
        for (NicSetting w = 0; w < _NIC_SETTING_MAX; w++)
                assert_int_equal(from[w], -1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_names),
                        cmocka_unit_test(test_set),
                        cmocka_unit_test(test_format),
                        cmocka_unit_test(test_unset_meaning),
                        cmocka_unit_test(test_check),
                        cmocka_unit_test(test_merge),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
