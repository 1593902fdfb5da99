/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "bridge-port.h"
#include "macro.h"

static EtherAddr mac(const char *s) {
        EtherAddr a = {};

        assert_int_equal(ether_addr_from_string(s, &a), 0);
        return a;
}

static VlanSet vids(const char *s) {
        VlanSet v = {};

        assert_int_equal(vlan_set_from_string(s, &v), 0);
        return v;
}

static void assert_vids(const VlanSet *v, const char *want) {
        _cleanup_free_ char *s = vlan_set_to_string(v);

        assert_string_equal(s, want);
}

typedef struct Case {
        const char *name;
        bool trusted;
        const char *asked_mac;
        const char *asked_vids; /* "" = none; NULL = "vlan":"all" */
        const char *allowed;
        unsigned native;
        bool filtering;
        /* expectations */
        TrustAction vlans_action;
        const char *vlans_reason; /* substring */
        const char *want_vids;
        unsigned want_pvid;
        const char *refused;
        TrustAction fdb_action;
        const char *fdb_reason;
        const char *fdb_mac; /* NULL: no entry */
        const char *fdb_vids;
} Case;

static const Case cases[] = {
                {"trusted: guest VLANs within the allowed set", true, "52:54:00:12:34:99", "0,10,20,100-110",
                                "10,20,100-110", 0, true, TRUST_ACTION_APPLY,
                                "its VLANs within AllowedVLANs=10,20,100-110", "10,20,100-110", 0, "",
                                TRUST_ACTION_APPLY, "take the guest's MAC 52:54:00:12:34:99",
                                "52:54:00:12:34:99", "10,20,100-110"},
                {"trusted: vid outside the allowed set refused, the rest applied", true, "52:54:00:12:34:50",
                                "7,10,15", "10-20", 0, true, TRUST_ACTION_REFUSE,
                                "vid 7 not in AllowedVLANs=10-20", "10,15", 0, "7", TRUST_ACTION_APPLY,
                                "configured MAC 52:54:00:12:34:50", "52:54:00:12:34:50", "10,15"},
                {"native VLAN: untagged PVID, never refused", true, "52:54:00:12:34:50", "0,5,10", "10", 5,
                                true, TRUST_ACTION_APPLY, "within AllowedVLANs=10", "5,10", 5, "",
                                TRUST_ACTION_APPLY, "configured MAC 52:54:00:12:34:50", "52:54:00:12:34:50",
                                "5,10"},
                {"VID 0 alone (8021q loaded, no VLAN device): nothing", true, "52:54:00:12:34:50", "0",
                                "10-20", 0, true, TRUST_ACTION_KEEP, "within AllowedVLANs", "", 0, "",
                                TRUST_ACTION_APPLY, "configured MAC 52:54:00:12:34:50", "52:54:00:12:34:50",
                                "0"},
                {"all 4094 VLANs asked and allowed", true, "52:54:00:12:34:50", "0-4095", "1-4094", 0, true,
                                TRUST_ACTION_APPLY, "within AllowedVLANs=1-4094", "1-4094", 0, "",
                                TRUST_ACTION_APPLY, "configured MAC 52:54:00:12:34:50", "52:54:00:12:34:50",
                                "1-4094"},
                {"all 4094 VLANs asked, few allowed", true, "52:54:00:12:34:50", "1-4094", "100", 0, true,
                                TRUST_ACTION_REFUSE, "vid 1-99,101-4094 not in AllowedVLANs=100", "100", 0,
                                "1-99,101-4094", TRUST_ACTION_APPLY, "configured MAC 52:54:00:12:34:50",
                                "52:54:00:12:34:50", "100"},
                {"guest without CTRL_VLAN: every allowed VLAN", true, "52:54:00:12:34:50", NULL, "10,20", 0,
                                true, TRUST_ACTION_APPLY, "does not filter VLANs", "10,20", 0, "",
                                TRUST_ACTION_APPLY, "configured MAC 52:54:00:12:34:50", "52:54:00:12:34:50",
                                "10,20"},
                {"bridge not VLAN-aware: n/a, one entry without VLAN", true, "52:54:00:12:34:50", "0,10",
                                "10", 0, false, TRUST_ACTION_NA, "not VLAN-aware (vlan_filtering 0)", "", 0,
                                "", TRUST_ACTION_APPLY, "configured MAC 52:54:00:12:34:50",
                                "52:54:00:12:34:50", "0"},
                {"untrusted: the allowed set, not the guest's", false, "52:54:00:12:34:50", "0,10", "10,20",
                                0, true, TRUST_ACTION_APPLY, "not trusted", "10,20", 0, "",
                                TRUST_ACTION_APPLY, "configured MAC 52:54:00:12:34:50", "52:54:00:12:34:50",
                                "10,20"},
                {"untrusted: VLAN beyond the allowed set refused", false, "52:54:00:12:34:50", "30", "10", 0,
                                true, TRUST_ACTION_REFUSE, "vid 30 not in AllowedVLANs=10", "10", 0, "30",
                                TRUST_ACTION_APPLY, "configured MAC", "52:54:00:12:34:50", "10"},
                {"untrusted MAC change refused: entries keep the configured MAC", false, "52:54:00:12:34:99",
                                "", "10", 0, true, TRUST_ACTION_APPLY, "not trusted", "10", 0, "",
                                TRUST_ACTION_REFUSE, "static FDB entries keep 52:54:00:12:34:50",
                                "52:54:00:12:34:50", "10"},
                {"trusted multicast MAC refused: configured MAC kept", true, "01:00:5e:00:00:01", "", "10",
                                0, true, TRUST_ACTION_KEEP, "within", "", 0, "", TRUST_ACTION_REFUSE,
                                "multicast MAC is not a valid station", "52:54:00:12:34:50", "0"},
                {"trusted zero MAC refused", true, "00:00:00:00:00:00", "", "", 0, false, TRUST_ACTION_NA,
                                "not VLAN-aware", "", 0, "", TRUST_ACTION_REFUSE, "all-zero MAC",
                                "52:54:00:12:34:50", "0"},
};

static void test_cases(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const Case *c = &cases[i];
                RxFilter asked = {
                                .unicast = RX_MODE_NORMAL,
                                .multicast = RX_MODE_NORMAL,
                                .vlan = c->asked_vids ? RX_MODE_NORMAL : RX_MODE_ALL,
                                .main_mac = mac(c->asked_mac),
                };
                BridgePortPolicy p = {
                                .nic = {.trusted = c->trusted,
                                                .trust_origin = c->trusted ? "Trust=yes" : "Trust=no",
                                                .has_configured_mac = true,
                                                .configured_mac = mac("52:54:00:12:34:50")},
                                .allowed = c->allowed[0] ? vids(c->allowed) : (VlanSet){},
                                .native_vlan = c->native,
                                .vlan_filtering = c->filtering,
                                .bridge = "br0",
                };
                BridgePortState have = {};
                BridgePortDecision d;

                print_message("case: %s\n", c->name);
                if (c->asked_vids && c->asked_vids[0])
                        asked.vlans = vids(c->asked_vids);
                else if (!c->asked_vids)
                        asked.vlans = vids("0-4095");
                assert_int_equal(bridge_port_decide(&asked, &p, &have, &d), 0);
                assert_int_equal(d.fields[BRIDGE_FIELD_VLANS].action, c->vlans_action);
                assert_non_null(strstr(d.fields[BRIDGE_FIELD_VLANS].reason, c->vlans_reason));
                assert_vids(&d.wanted.vids, c->want_vids);
                assert_int_equal(d.wanted.pvid, c->want_pvid);
                if (c->want_pvid)
                        assert_true(vlan_set_contains(&d.wanted.untagged, c->want_pvid));
                else
                        assert_true(vlan_set_is_empty(&d.wanted.untagged));
                assert_vids(&d.refused_vids, c->refused);
                assert_int_equal(d.fields[BRIDGE_FIELD_FDB].action, c->fdb_action);
                assert_non_null(strstr(d.fields[BRIDGE_FIELD_FDB].reason, c->fdb_reason));
                assert_int_equal(d.wanted.has_fdb, c->fdb_mac != NULL);
                if (c->fdb_mac) {
                        EtherAddr m = mac(c->fdb_mac);

                        assert_true(ether_addr_equal(&d.wanted.fdb_mac, &m));
                        assert_vids(&d.wanted.fdb_vids, c->fdb_vids);
                }
        }
}

/* A port already as wanted: KEEP, and the state compares equal. */
static void test_keep(void **state) {
        RxFilter asked = {
                        .vlan = RX_MODE_NORMAL, .main_mac = mac("52:54:00:12:34:50"), .vlans = vids("0,10")};
        BridgePortPolicy p = {.nic.trusted = true,
                        .allowed = vids("10"),
                        .native_vlan = 5,
                        .vlan_filtering = true,
                        .bridge = "br0"};
        BridgePortDecision d, d2;

        assert_int_equal(bridge_port_decide(&asked, &p, &(BridgePortState){}, &d), 0);
        assert_int_equal(d.fields[BRIDGE_FIELD_VLANS].action, TRUST_ACTION_APPLY);
        assert_int_equal(bridge_port_decide(&asked, &p, &d.wanted, &d2), 0);
        assert_int_equal(d2.fields[BRIDGE_FIELD_VLANS].action, TRUST_ACTION_KEEP);
        assert_int_equal(d2.fields[BRIDGE_FIELD_FDB].action, TRUST_ACTION_KEEP);
        assert_true(bridge_port_state_equal(&d.wanted, &d2.wanted));
        d2.wanted.pvid = 0;
        assert_false(bridge_port_state_equal(&d.wanted, &d2.wanted));
}

/* Untrusted without a known configured MAC: no entry rather than one for a MAC the guest chose. */
static void test_untrusted_unknown_mac(void **state) {
        RxFilter asked = {.vlan = RX_MODE_NORMAL, .main_mac = mac("52:54:00:66:66:66")};
        BridgePortPolicy p = {.nic.trusted = false, .vlan_filtering = false, .bridge = "br0"};
        BridgePortDecision d;

        assert_int_equal(bridge_port_decide(&asked, &p, &(BridgePortState){}, &d), 0);
        assert_false(d.wanted.has_fdb);
        assert_int_equal(d.fields[BRIDGE_FIELD_FDB].action, TRUST_ACTION_NA);
        assert_int_equal(bridge_port_decide(NULL, &p, &(BridgePortState){}, &d), -EINVAL);
        assert_string_equal(bridge_field_to_string(BRIDGE_FIELD_FDB), "fdb");
        assert_null(bridge_field_to_string(_BRIDGE_FIELD_MAX));
}

static void test_multicast(void **state) {
        RxFilter asked = {.vlan = RX_MODE_NORMAL,
                        .multicast = RX_MODE_NORMAL,
                        .main_mac = mac("52:54:00:12:34:50")};
        BridgePortPolicy p = {.nic.trusted = true,
                        .vlan_filtering = false,
                        .bridge = "br0",
                        .mcast_snooping = true};
        BridgePortDecision d, d2;

        asked.multicast_table[0] = mac("01:00:5e:01:02:03"); /* IPv4: snooping's business */
        asked.multicast_table[1] = mac("01:1b:19:00:00:00"); /* PTP over Ethernet: an L2 entry */
        asked.multicast_table[2] = mac("01:80:c2:00:00:21"); /* 802.1Q MVRP: the bridge's own */
        asked.multicast_table[3] = mac("33:33:00:00:00:01"); /* IPv6: snooping's business */
        asked.n_multicast = 4;

        assert_int_equal(bridge_port_decide(&asked, &p, &(BridgePortState){}, &d), 0);
        assert_int_equal(d.fields[BRIDGE_FIELD_MULTICAST].action, TRUST_ACTION_APPLY);
        assert_non_null(strstr(d.fields[BRIDGE_FIELD_MULTICAST].reason, "each of its 1 non-IP groups"));
        assert_non_null(strstr(d.fields[BRIDGE_FIELD_MULTICAST].reason, "its 2 IP groups"));
        assert_int_equal(d.wanted.n_groups, 1);
        assert_memory_equal(d.wanted.groups[0].bytes, mac("01:1b:19:00:00:00").bytes, 6);
        assert_false(d.wanted.mcast_flood);
        assert_int_equal(bridge_port_decide(&asked, &p, &d.wanted, &d2), 0);
        assert_int_equal(d2.fields[BRIDGE_FIELD_MULTICAST].action, TRUST_ACTION_KEEP);

        /* 40 non-IP groups on 10 VLANs: 400 entries, more than one port may hold. */
        for (size_t i = 0; i < 40; i++)
                asked.multicast_table[i] = (EtherAddr){{0x01, 0x1b, 0x19, 0x00, 0x01, (uint8_t) i}};
        asked.n_multicast = 40;
        p.vlan_filtering = true;
        p.allowed = vids("10-19");
        asked.vlans = vids("10-19");
        assert_int_equal(bridge_port_decide(&asked, &p, &(BridgePortState){}, &d), 0);
        assert_true(d.wanted.mcast_flood);
        assert_int_equal(d.wanted.n_groups, 0);
        assert_non_null(strstr(d.fields[BRIDGE_FIELD_MULTICAST].reason,
                        "40 groups on 10 VLANs would be more than 256"));
        p.vlan_filtering = false;

        asked.multicast_overflow = true;
        asked.n_multicast = 0;
        assert_int_equal(bridge_port_decide(&asked, &p, &(BridgePortState){}, &d), 0);
        assert_true(d.wanted.mcast_flood);
        assert_int_equal(d.wanted.n_groups, 0);
        assert_non_null(strstr(d.fields[BRIDGE_FIELD_MULTICAST].reason, "overflowed"));

        p.nic.trusted = false;
        assert_int_equal(bridge_port_decide(&asked, &p, &(BridgePortState){}, &d), 0);
        assert_int_equal(d.fields[BRIDGE_FIELD_MULTICAST].action, TRUST_ACTION_NA);
        assert_false(d.wanted.mcast_flood);
        p.nic.trusted = true;
        p.mcast_snooping = false;
        assert_int_equal(bridge_port_decide(&asked, &p, &(BridgePortState){}, &d), 0);
        assert_int_equal(d.fields[BRIDGE_FIELD_MULTICAST].action, TRUST_ACTION_NA);
        assert_non_null(strstr(d.fields[BRIDGE_FIELD_MULTICAST].reason, "does not snoop"));
}

/* The FDB entries obey the same MAC rule as a macvtap: anti-spoofing before the bridge forwards
 * frames for a MAC to the guest, and the flapping limit. */
static void test_fdb_mac_rules(void **state) {
        RxFilter asked = {.vlan = RX_MODE_NORMAL, .main_mac = mac("52:54:00:aa:00:01")};
        const char *origins[_NIC_SETTING_MAX] = {
                        [NIC_SETTING_MAC_CHANGE] = "metadata", [NIC_SETTING_ALLOWED_MACS] = "metadata"};
        NicSettings settings;
        BridgePortPolicy p = {
                        .nic = {.trusted = false,
                                        .trust_origin = "Trust=no",
                                        .settings = &settings,
                                        .setting_origins = origins,
                                        .has_configured_mac = true,
                                        .configured_mac = mac("52:54:00:12:34:50")},
                        .bridge = "br0",
        };
        BridgePortState have = {.has_fdb = true, .fdb_mac = mac("52:54:00:12:34:50")};
        BridgePortDecision d;
        const char *why;

        (void) vlan_set_add(&have.fdb_vids, 0);
        nic_settings_init(&settings);
        assert_int_equal(nic_settings_set(&settings, NIC_SETTING_MAC_CHANGE, "allowed", &why), 0);
        assert_int_equal(
                        nic_settings_set(&settings, NIC_SETTING_ALLOWED_MACS, "52:54:00:aa:00:01", &why), 0);

        /* Untrusted, MACChange=allowed: a listed MAC moves the entries. */
        assert_int_equal(bridge_port_decide(&asked, &p, &have, &d), 0);
        assert_int_equal(d.fields[BRIDGE_FIELD_FDB].action, TRUST_ACTION_APPLY);
        assert_non_null(strstr(d.fields[BRIDGE_FIELD_FDB].reason, "MACChange=allowed (metadata)"));
        assert_true(ether_addr_equal(&d.wanted.fdb_mac, &asked.main_mac));

        /* An unlisted MAC: refused, the entries stay on the allowed MAC the port has. */
        have.fdb_mac = asked.main_mac;
        asked.main_mac = mac("52:54:00:bb:00:01");
        assert_int_equal(bridge_port_decide(&asked, &p, &have, &d), 0);
        assert_int_equal(d.fields[BRIDGE_FIELD_FDB].action, TRUST_ACTION_REFUSE);
        assert_non_null(strstr(d.fields[BRIDGE_FIELD_FDB].reason,
                        "52:54:00:bb:00:01 is neither the configured MAC nor in AllowedMACs="));
        assert_true(d.wanted.has_fdb);
        assert_true(ether_addr_equal(&d.wanted.fdb_mac, &have.fdb_mac));

        /* Back to the configured MAC: always allowed. */
        asked.main_mac = mac("52:54:00:12:34:50");
        assert_int_equal(bridge_port_decide(&asked, &p, &have, &d), 0);
        assert_int_equal(d.fields[BRIDGE_FIELD_FDB].action, TRUST_ACTION_APPLY);
        assert_true(ether_addr_equal(&d.wanted.fdb_mac, &asked.main_mac));

        /* A trusted guest under MACChange=never: the entries go back to the configured MAC, whatever
         * the guest asks. */
        assert_int_equal(nic_settings_set(&settings, NIC_SETTING_MAC_CHANGE, "never", &why), 0);
        p.nic.trusted = true;
        asked.main_mac = mac("52:54:00:bb:00:01");
        assert_int_equal(bridge_port_decide(&asked, &p, &have, &d), 0);
        assert_int_equal(d.fields[BRIDGE_FIELD_FDB].action, TRUST_ACTION_REFUSE);
        assert_non_null(strstr(d.fields[BRIDGE_FIELD_FDB].reason,
                        "MACChange=never (metadata): static FDB entries keep 52:54:00:12:34:50"));
        assert_true(ether_addr_equal(&d.wanted.fdb_mac, &p.nic.configured_mac));

        /* Trust taken away (no MAC rule, Trust=no) from a port whose entries follow the guest's MAC:
         * they go back to the configured MAC. */
        settings.set &= ~(1u << NIC_SETTING_MAC_CHANGE);
        p.nic.trusted = false;
        assert_int_equal(bridge_port_decide(&asked, &p,
                                         &(BridgePortState){.has_fdb = true,
                                                         .fdb_mac = asked.main_mac,
                                                         .fdb_vids = have.fdb_vids},
                                         &d),
                        0);
        assert_int_equal(d.fields[BRIDGE_FIELD_FDB].action, TRUST_ACTION_REFUSE);
        assert_non_null(strstr(d.fields[BRIDGE_FIELD_FDB].reason,
                        "guest not trusted (Trust=no): static FDB entries keep 52:54:00:12:34:50"));
        assert_true(ether_addr_equal(&d.wanted.fdb_mac, &p.nic.configured_mac));
        p.nic.trusted = true;

        /* Flapping: a NIC at its limit has the next move held down, and the decision says until when. */
        p.nic.flap = &(MacFlapState){.window_start_usec = 5 * USEC_PER_SEC, .n_changes = 10};
        p.nic.now_usec = 6 * USEC_PER_SEC;
        assert_int_equal(bridge_port_decide(&asked, &p, &have, &d), 0);
        assert_int_equal(d.fields[BRIDGE_FIELD_FDB].action, TRUST_ACTION_REFUSE);
        assert_non_null(strstr(d.fields[BRIDGE_FIELD_FDB].reason, "more than 10 MAC changes within 60 s"));
        assert_int_equal(d.mac_hold_until, 66 * USEC_PER_SEC);
        assert_true(ether_addr_equal(&d.wanted.fdb_mac, &have.fdb_mac));
        /* ... and not once the window is over. */
        p.nic.now_usec = 65 * USEC_PER_SEC;
        assert_int_equal(bridge_port_decide(&asked, &p, &have, &d), 0);
        assert_int_equal(d.fields[BRIDGE_FIELD_FDB].action, TRUST_ACTION_APPLY);
        assert_int_equal(d.mac_hold_until, 0);
        assert_true(ether_addr_equal(&d.wanted.fdb_mac, &asked.main_mac));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_cases),
                        cmocka_unit_test(test_keep),
                        cmocka_unit_test(test_multicast),
                        cmocka_unit_test(test_untrusted_unknown_mac),
                        cmocka_unit_test(test_fdb_mac_rules),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
