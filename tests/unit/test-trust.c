/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "trust.h"

static EtherAddr mac(const char *s) {
        EtherAddr a = {};

        assert_int_equal(ether_addr_from_string(s, &a), 0);
        return a;
}

static RxFilter asked_base(void) {
        return (RxFilter){
                        .name = "net0",
                        .unicast = RX_MODE_NORMAL,
                        .multicast = RX_MODE_NORMAL,
                        .vlan = RX_MODE_NORMAL,
                        .main_mac = mac("52:54:00:12:34:56"),
        };
}

static MacvtapSettings host_base(void) {
        return (MacvtapSettings){.mac = mac("52:54:00:12:34:56")};
}

/* What a decision must say about one field, and what it must want. */
typedef struct Expect {
        TrustField field;
        TrustAction action;
        const char *reason; /* substring */
        bool write;
        int promisc; /* -1: do not check */
        int allmulti;
        int n_multicast;
        const char *mac; /* NULL: do not check */
} Expect;

static void assert_decision(const TrustDecision *d, const Expect *e) {
        assert_int_equal(d->fields[e->field].action, e->action);
        assert_non_null(strstr(d->fields[e->field].reason, e->reason));
        assert_int_equal(d->write_host, e->write);
        if (e->promisc >= 0)
                assert_int_equal(d->wanted.promiscuous, e->promisc);
        if (e->allmulti >= 0)
                assert_int_equal(d->wanted.allmulti, e->allmulti);
        if (e->n_multicast >= 0)
                assert_int_equal(d->wanted.n_multicast, e->n_multicast);
        if (e->mac) {
                EtherAddr want = mac(e->mac);

                assert_true(ether_addr_equal(&d->wanted.mac, &want));
        }
}

typedef struct Case {
        const char *name;
        bool trusted;
        void (*setup)(RxFilter *asked, MacvtapSettings *host);
        Expect expect;
} Case;

static void setup_none(RxFilter *a, MacvtapSettings *h) {
}

static void setup_mac_change(RxFilter *a, MacvtapSettings *h) {
        a->main_mac = mac("52:54:00:12:34:99");
}

static void setup_mac_multicast(RxFilter *a, MacvtapSettings *h) {
        a->main_mac = mac("01:00:5e:00:00:01");
}

static void setup_mac_zero(RxFilter *a, MacvtapSettings *h) {
        a->main_mac = mac("00:00:00:00:00:00");
}

static void setup_mcast3(RxFilter *a, MacvtapSettings *h) {
        a->multicast_table[0] = mac("01:00:5e:01:02:01");
        a->multicast_table[1] = mac("01:00:5e:01:02:02");
        a->multicast_table[2] = mac("01:00:5e:01:02:03");
        a->n_multicast = 3;
}

static void setup_mcast3_on_host(RxFilter *a, MacvtapSettings *h) {
        setup_mcast3(a, h);
        h->multicast[0] = a->multicast_table[0];
        h->multicast[1] = a->multicast_table[1];
        h->multicast[2] = a->multicast_table[2];
        h->n_multicast = 3;
}

static void setup_overflow(RxFilter *a, MacvtapSettings *h) {
        a->multicast_overflow = true;
        a->n_multicast = 0;
        h->multicast[0] = mac("01:00:5e:01:02:01");
        h->n_multicast = 1;
}

static void setup_promisc(RxFilter *a, MacvtapSettings *h) {
        a->promiscuous = true;
}

static void setup_promisc_off_host_on(RxFilter *a, MacvtapSettings *h) {
        h->promiscuous = true;
}

static void setup_allmulti(RxFilter *a, MacvtapSettings *h) {
        a->multicast = RX_MODE_ALL;
}

static void setup_extra_unicast(RxFilter *a, MacvtapSettings *h) {
        a->unicast_table[0] = mac("52:54:00:aa:bb:cc");
        a->n_unicast = 1;
}

static void setup_vlans(RxFilter *a, MacvtapSettings *h) {
        (void) vlan_set_add(&a->vlans, 0);
        (void) vlan_set_add(&a->vlans, 10);
}

static void setup_vlan_all(RxFilter *a, MacvtapSettings *h) {
        a->vlan = RX_MODE_ALL;
}

static const Case cases[] = {
                {"trusted, nothing changed", true, setup_none,
                                {TRUST_FIELD_MAC, TRUST_ACTION_KEEP, "already matches", true, 0, 0, 0,
                                                "52:54:00:12:34:56"}},
                {"trusted MAC change applied", true, setup_mac_change,
                                {TRUST_FIELD_MAC, TRUST_ACTION_APPLY, "takes the guest's MAC", true, -1, -1,
                                                -1, "52:54:00:12:34:99"}},
                {"untrusted MAC change refused", false, setup_mac_change,
                                {TRUST_FIELD_MAC, TRUST_ACTION_REFUSE,
                                                "guest not trusted (Trust=no): macvtap keeps "
                                                "52:54:00:12:34:56",
                                                false, -1, -1, -1, "52:54:00:12:34:56"}},
                {"multicast MAC refused even when trusted", true, setup_mac_multicast,
                                {TRUST_FIELD_MAC, TRUST_ACTION_REFUSE,
                                                "multicast MAC is not a valid station address", true, -1, -1,
                                                -1, "52:54:00:12:34:56"}},
                {"zero MAC refused even when trusted", true, setup_mac_zero,
                                {TRUST_FIELD_MAC, TRUST_ACTION_REFUSE, "all-zero MAC", true, -1, -1, -1,
                                                "52:54:00:12:34:56"}},
                {"trusted multicast joins", true, setup_mcast3,
                                {TRUST_FIELD_MULTICAST, TRUST_ACTION_APPLY, "joins the guest's 3 groups",
                                                true, 0, 0, 3, NULL}},
                {"multicast already there", true, setup_mcast3_on_host,
                                {TRUST_FIELD_MULTICAST, TRUST_ACTION_KEEP, "already matches", true, -1, -1,
                                                3, NULL}},
                {"untrusted multicast refused", false, setup_mcast3,
                                {TRUST_FIELD_MULTICAST, TRUST_ACTION_REFUSE, "not trusted", false, -1, -1, 0,
                                                NULL}},
                {"overflow means allmulti", true, setup_overflow,
                                {TRUST_FIELD_ALLMULTI, TRUST_ACTION_APPLY, "overflowed", true, 0, 1, 0,
                                                NULL}},
                {"overflow drops the table", true, setup_overflow,
                                {TRUST_FIELD_MULTICAST, TRUST_ACTION_APPLY, "0 groups", true, -1, 1, 0,
                                                NULL}},
                {"trusted promiscuous", true, setup_promisc,
                                {TRUST_FIELD_PROMISCUOUS, TRUST_ACTION_APPLY, "promiscuous flag", true, 1, 0,
                                                -1, NULL}},
                {"untrusted promiscuous refused", false, setup_promisc,
                                {TRUST_FIELD_PROMISCUOUS, TRUST_ACTION_REFUSE, "not trusted", false, 0, -1,
                                                -1, NULL}},
                {"trusted promiscuous off", true, setup_promisc_off_host_on,
                                {TRUST_FIELD_PROMISCUOUS, TRUST_ACTION_APPLY, "promiscuous flag", true, 0,
                                                -1, -1, NULL}},
                {"trusted allmulti", true, setup_allmulti,
                                {TRUST_FIELD_ALLMULTI, TRUST_ACTION_APPLY, "allmulti flag", true, 0, 1, -1,
                                                NULL}},
                {"extra unicast needs promiscuous", true, setup_extra_unicast,
                                {TRUST_FIELD_PROMISCUOUS, TRUST_ACTION_APPLY, "extra unicast", true, 1, -1,
                                                -1, NULL}},
                {"extra unicast reported n/a", true, setup_extra_unicast,
                                {TRUST_FIELD_UNICAST, TRUST_ACTION_NA, "one unicast address", true, -1, -1,
                                                -1, NULL}},
                {"vlans n/a on macvtap", true, setup_vlans,
                                {TRUST_FIELD_VLANS, TRUST_ACTION_NA, "does not filter VLANs", true, 0, 0, -1,
                                                NULL}},
                {"vlan all", false, setup_vlan_all,
                                {TRUST_FIELD_VLANS, TRUST_ACTION_NA, "no VIRTIO_NET_F_CTRL_VLAN", false, -1,
                                                -1, -1, NULL}},
};

static void test_cases(void **state) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const Case *c = &cases[i];
                RxFilter asked = asked_base();
                MacvtapSettings host = host_base();
                NicPolicy policy = {.trusted = c->trusted,
                                .trust_origin = c->trusted ? "Trust=yes" : "Trust=no"};
                TrustDecision d;

                c->setup(&asked, &host);
                print_message("case: %s\n", c->name);
                assert_int_equal(trust_decide_macvtap(&asked, &policy, &host, &d), 0);
                assert_decision(&d, &c->expect);
        }
}

/* Untrusted: whatever the guest asks, the decision is the host as it is. */
static void test_untrusted_wants_host(void **state) {
        RxFilter asked = asked_base();
        MacvtapSettings host = host_base();
        NicPolicy policy = {.trusted = false};
        TrustDecision d;

        setup_mac_change(&asked, &host);
        setup_mcast3(&asked, &host);
        asked.promiscuous = true;
        host.allmulti = true;
        assert_int_equal(trust_decide_macvtap(&asked, &policy, &host, &d), 0);
        assert_false(d.write_host);
        assert_memory_equal(&d.wanted, &host, sizeof(host));
        assert_non_null(strstr(d.fields[TRUST_FIELD_MAC].reason, "Trust=no"));
}

/* Per-field rules: each field follows its own setting, the rest follows Trust=. */
typedef struct RuleCase {
        const char *name;
        bool trusted;
        const char *settings[4]; /* "Key=value" in vnicd.conf's spelling */
        void (*setup)(RxFilter *asked, MacvtapSettings *host);
        Expect expect;
} RuleCase;

static void setup_mac_77(RxFilter *a, MacvtapSettings *h) {
        a->main_mac = mac("52:54:00:12:34:77");
}

static void setup_back_to_configured(RxFilter *a, MacvtapSettings *h) {
        h->mac = mac("52:54:00:12:34:99");
        a->main_mac = mac("52:54:00:12:34:56");
}

static void setup_mcast2(RxFilter *a, MacvtapSettings *h) {
        setup_mcast3(a, h);
        a->n_multicast = 2;
}

static const RuleCase rule_cases[] = {
                {"untrusted, MACChange=any: the MAC follows", false, {"MACChange=any"}, setup_mac_change,
                                {TRUST_FIELD_MAC, TRUST_ACTION_APPLY, "MACChange=any ([Manager])", true, 0,
                                                0, 0, "52:54:00:12:34:99"}},
                {"untrusted, MACChange=any: promiscuous still refused", false, {"MACChange=any"},
                                setup_promisc,
                                {TRUST_FIELD_PROMISCUOUS, TRUST_ACTION_REFUSE, "not trusted", true, 0, -1,
                                                -1, NULL}},
                {"trusted, MACChange=never", true, {"MACChange=never"}, setup_mac_change,
                                {TRUST_FIELD_MAC, TRUST_ACTION_REFUSE,
                                                "MACChange=never ([Manager]): macvtap keeps "
                                                "52:54:00:12:34:56",
                                                true, -1, -1, -1, "52:54:00:12:34:56"}},
                {"MACChange=never also for a multicast MAC", true, {"MACChange=never"}, setup_mac_multicast,
                                {TRUST_FIELD_MAC, TRUST_ACTION_REFUSE, "MACChange=never", true, -1, -1, -1,
                                                "52:54:00:12:34:56"}},
                {"allowed: a listed MAC", false, {"MACChange=allowed", "AllowedMACs=52:54:00:12:34:99"},
                                setup_mac_change,
                                {TRUST_FIELD_MAC, TRUST_ACTION_APPLY, "in AllowedMACs=", true, -1, -1, -1,
                                                "52:54:00:12:34:99"}},
                {"allowed: an unlisted MAC (anti-spoofing)", true,
                                {"MACChange=allowed", "AllowedMACs=52:54:00:12:34:99"}, setup_mac_77,
                                {TRUST_FIELD_MAC, TRUST_ACTION_REFUSE,
                                                "52:54:00:12:34:77 is neither the configured MAC nor in "
                                                "AllowedMACs=",
                                                true, -1, -1, -1, "52:54:00:12:34:56"}},
                {"allowed: back to the configured MAC", false, {"MACChange=allowed"},
                                setup_back_to_configured,
                                {TRUST_FIELD_MAC, TRUST_ACTION_APPLY, "configured MAC", true, -1, -1, -1,
                                                "52:54:00:12:34:56"}},
                {"trusted, Promiscuous=refuse", true, {"Promiscuous=refuse"}, setup_promisc,
                                {TRUST_FIELD_PROMISCUOUS, TRUST_ACTION_REFUSE,
                                                "Promiscuous=refuse ([Manager]): the host keeps it off",
                                                true, 0, -1, -1, NULL}},
                {"trusted, Promiscuous=refuse: extra unicast refused too", true, {"Promiscuous=refuse"},
                                setup_extra_unicast,
                                {TRUST_FIELD_PROMISCUOUS, TRUST_ACTION_REFUSE, "Promiscuous=refuse", true, 0,
                                                -1, -1, NULL}},
                {"untrusted, Promiscuous=allow", false, {"Promiscuous=allow"}, setup_promisc,
                                {TRUST_FIELD_PROMISCUOUS, TRUST_ACTION_APPLY,
                                                "Promiscuous=allow ([Manager])", true, 1, 0, 0, NULL}},
                {"untrusted, AllMulticast=allow", false, {"AllMulticast=allow"}, setup_allmulti,
                                {TRUST_FIELD_ALLMULTI, TRUST_ACTION_APPLY, "AllMulticast=allow", true, 0, 1,
                                                0, NULL}},
                {"MulticastGroups=2, 2 groups", true, {"MulticastGroups=2"}, setup_mcast2,
                                {TRUST_FIELD_MULTICAST, TRUST_ACTION_APPLY, "MulticastGroups=2 ([Manager])",
                                                true, 0, 0, 2, NULL}},
                {"MulticastGroups=2, 3 groups: all multicast instead", true, {"MulticastGroups=2"},
                                setup_mcast3,
                                {TRUST_FIELD_ALLMULTI, TRUST_ACTION_APPLY,
                                                "3 groups are more than MulticastGroups=2", true, 0, 1, 0,
                                                NULL}},
                {"MulticastGroups=2, MulticastOverflow=refuse, 3 groups", true,
                                {"MulticastGroups=2", "MulticastOverflow=refuse"}, setup_mcast3,
                                {TRUST_FIELD_MULTICAST, TRUST_ACTION_REFUSE, "all multicast is not allowed",
                                                true, 0, 0, 0, NULL}},
                {"MulticastGroups=2, AllMulticast=refuse, 3 groups", true,
                                {"MulticastGroups=2", "AllMulticast=refuse"}, setup_mcast3,
                                {TRUST_FIELD_MULTICAST, TRUST_ACTION_REFUSE, "more than MulticastGroups=2",
                                                true, 0, 0, 0, NULL}},
                {"overflow with AllMulticast=refuse keeps the groups", true, {"AllMulticast=refuse"},
                                setup_overflow,
                                {TRUST_FIELD_MULTICAST, TRUST_ACTION_REFUSE, "the host keeps its 1 groups",
                                                true, 0, 0, 1, NULL}},
                {"overflow with MulticastOverflow=refuse: no all multicast", true,
                                {"MulticastOverflow=refuse"}, setup_overflow,
                                {TRUST_FIELD_ALLMULTI, TRUST_ACTION_REFUSE,
                                                "MulticastOverflow=refuse ([Manager]): the host keeps it "
                                                "off",
                                                true, 0, 0, 1, NULL}},
                {"untrusted overflow: all multicast refused", false, {"Promiscuous=allow"}, setup_overflow,
                                {TRUST_FIELD_ALLMULTI, TRUST_ACTION_REFUSE, "not trusted", true, 0, 0, 1,
                                                NULL}},
                {"untrusted, MulticastGroups=64: joins", false, {"MulticastGroups=64"}, setup_mcast3,
                                {TRUST_FIELD_MULTICAST, TRUST_ACTION_APPLY, "joins the guest's 3 groups",
                                                true, 0, 0, 3, NULL}},
                {"untrusted, MulticastGroups=0, nothing asked", false, {"MulticastGroups=0"}, setup_none,
                                {TRUST_FIELD_MULTICAST, TRUST_ACTION_KEEP, "already matches", false, 0, 0, 0,
                                                NULL}},
};

static void test_rules(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(rule_cases); i++) {
                const RuleCase *c = &rule_cases[i];
                const char *origins[_NIC_SETTING_MAX];
                RxFilter asked = asked_base();
                MacvtapSettings host = host_base();
                NicSettings settings;
                TrustDecision d;

                print_message("case: %s\n", c->name);
                nic_settings_init(&settings);
                for (size_t k = 0; k < ELEMENTSOF(c->settings) && c->settings[k]; k++) {
                        char key[32];
                        const char *eq = strchr(c->settings[k], '='), *why = NULL;

                        (void) snprintf(key, sizeof(key), "%.*s", (int) (eq - c->settings[k]),
                                        c->settings[k]);
                        assert_int_equal(
                                        nic_settings_set(&settings, nic_setting_from_key(key), eq + 1, &why),
                                        0);
                }
                for (size_t k = 0; k < _NIC_SETTING_MAX; k++)
                        origins[k] = "[Manager]";
                NicPolicy policy = {
                                .trusted = c->trusted,
                                .trust_origin = c->trusted ? "Trust=yes" : "Trust=no",
                                .settings = &settings,
                                .setting_origins = origins,
                                .has_configured_mac = true,
                                .configured_mac = mac("52:54:00:12:34:56"),
                };

                c->setup(&asked, &host);
                assert_int_equal(trust_decide_macvtap(&asked, &policy, &host, &d), 0);
                print_message("  %s: %s\n", trust_action_to_string(d.fields[c->expect.field].action),
                                d.fields[c->expect.field].reason);
                assert_decision(&d, &c->expect);
        }
}

/* MAC flapping: past MACChangeLimitBurst= changes within MACChangeLimitIntervalSec= the next one
 * is held down for MACChangeHoldSec=, then the guest's MAC is taken again. */
static TrustAction flap_step(const NicSettings *settings, MacFlapState *flap, uint64_t now, const char *want,
                MacvtapSettings *host, TrustDecision *d) {
        RxFilter asked = asked_base();
        NicPolicy policy = {.trusted = true,
                        .settings = settings,
                        .has_configured_mac = true,
                        .configured_mac = mac("52:54:00:12:34:56"),
                        .flap = flap,
                        .now_usec = now};

        asked.main_mac = mac(want);
        assert_int_equal(trust_decide_macvtap(&asked, &policy, host, d), 0);
        /* What the daemon does with a decision (nic_mac_flap_update()). */
        if (d->fields[TRUST_FIELD_MAC].action == TRUST_ACTION_APPLY) {
                mac_flap_record(flap, &policy);
                host->mac = d->wanted.mac;
        }
        if (d->mac_hold_until > flap->hold_until_usec)
                mac_flap_hold(flap, d->mac_hold_until);
        return d->fields[TRUST_FIELD_MAC].action;
}

static unsigned flap_in_window(const NicSettings *settings, const MacFlapState *flap, uint64_t now) {
        NicPolicy policy = {.trusted = true, .settings = settings, .flap = flap, .now_usec = now};

        return mac_flap_in_window(flap, &policy);
}

static void test_mac_flapping(void **state) {
        static const char *const macs[] = {"52:54:00:00:00:01", "52:54:00:00:00:02"};
        const uint64_t t0 = 1000 * USEC_PER_SEC, s = USEC_PER_SEC;
        MacvtapSettings host = host_base();
        MacFlapState flap = {};
        NicSettings settings;
        TrustDecision d;
        const char *why;

        nic_settings_init(&settings);
        assert_int_equal(nic_settings_set(&settings, NIC_SETTING_MAC_CHANGE_BURST, "3", &why), 0);
        assert_int_equal(nic_settings_set(&settings, NIC_SETTING_MAC_CHANGE_INTERVAL, "10", &why), 0);
        assert_int_equal(nic_settings_set(&settings, NIC_SETTING_MAC_CHANGE_HOLD, "30", &why), 0);

        /* Three changes in a second: taken. The fourth: held down for 30 s. */
        for (int i = 0; i < 3; i++)
                assert_int_equal(flap_step(&settings, &flap, t0 + i * s / 4, macs[i % 2], &host, &d),
                                TRUST_ACTION_APPLY);
        assert_int_equal(flap.n_changes, 3);
        assert_int_equal(flap_in_window(&settings, &flap, t0 + s), 3);
        assert_int_equal(flap_step(&settings, &flap, t0 + s, macs[1], &host, &d), TRUST_ACTION_REFUSE);
        assert_int_equal(flap_in_window(&settings, &flap, t0 + 2 * s), 0); /* held down */
        assert_non_null(strstr(d.fields[TRUST_FIELD_MAC].reason,
                        "more than 3 MAC changes within 10 s (MACChangeLimitBurst=, "
                        "MACChangeLimitIntervalSec=): changes held down for 30 s, macvtap keeps "
                        "52:54:00:00:00:01"));
        assert_int_equal(d.mac_hold_until, t0 + 31 * s);
        assert_true(ether_addr_equal(&d.wanted.mac, &host.mac));
        assert_int_equal(flap.hold_until_usec, t0 + 31 * s);

        /* Held: a change 20 s later is refused, the hold does not grow; going back to what the
         * host has is no change at all. */
        assert_int_equal(flap_step(&settings, &flap, t0 + 21 * s, macs[1], &host, &d), TRUST_ACTION_REFUSE);
        assert_int_equal(d.mac_hold_until, t0 + 31 * s);
        assert_int_equal(flap_step(&settings, &flap, t0 + 22 * s, macs[0], &host, &d), TRUST_ACTION_KEEP);
        assert_int_equal(d.mac_hold_until, 0);

        /* The hold is over: the MAC the guest asks for now is taken, in a new window. */
        assert_int_equal(flap_step(&settings, &flap, t0 + 31 * s, macs[1], &host, &d), TRUST_ACTION_APPLY);
        assert_int_equal(flap.n_changes, 1);
        assert_int_equal(flap.window_start_usec, t0 + 31 * s);
        assert_int_equal(flap_in_window(&settings, &flap, t0 + 40 * s), 1);
        assert_int_equal(flap_in_window(&settings, &flap, t0 + 41 * s), 0); /* the interval passed */

        /* Changes spread wider than the interval never trip it. */
        for (int i = 0; i < 20; i++)
                assert_int_equal(flap_step(&settings, &flap, t0 + (40 + 4 * i) * s, macs[i % 2], &host, &d),
                                TRUST_ACTION_APPLY);

        /* MACChangeLimitBurst=0: no limit. */
        assert_int_equal(nic_settings_set(&settings, NIC_SETTING_MAC_CHANGE_BURST, "0", &why), 0);
        flap = (MacFlapState){};
        for (int i = 0; i < 1000; i++)
                assert_int_equal(flap_step(&settings, &flap, t0 + i, macs[i % 2], &host, &d),
                                TRUST_ACTION_APPLY);

        /* Nothing set: 10 changes within 60 s, then 60 s of hold-down. */
        nic_settings_init(&settings);
        flap = (MacFlapState){};
        for (int i = 0; i < 10; i++)
                assert_int_equal(flap_step(&settings, &flap, t0 + i * s, macs[i % 2], &host, &d),
                                TRUST_ACTION_APPLY);
        assert_int_equal(flap_step(&settings, &flap, t0 + 59 * s, macs[0], &host, &d), TRUST_ACTION_REFUSE);
        assert_non_null(strstr(d.fields[TRUST_FIELD_MAC].reason, "more than 10 MAC changes within 60 s"));
        assert_int_equal(d.mac_hold_until, t0 + 119 * s);

        /* A MAC the rules refuse anyway says so, not the hold-down. */
        assert_int_equal(flap_step(&settings, &flap, t0 + 60 * s, "01:00:5e:00:00:01", &host, &d),
                        TRUST_ACTION_REFUSE);
        assert_non_null(strstr(d.fields[TRUST_FIELD_MAC].reason, "not a valid station address"));
}

static void test_null_arguments(void **state) {
        RxFilter asked = asked_base();
        MacvtapSettings host = host_base();
        NicPolicy policy = {};
        TrustDecision d;

        assert_int_equal(trust_decide_macvtap(NULL, &policy, &host, &d), -EINVAL);
        assert_int_equal(trust_decide_macvtap(&asked, NULL, &host, &d), -EINVAL);
        assert_int_equal(trust_decide_macvtap(&asked, &policy, NULL, &d), -EINVAL);
        assert_int_equal(trust_decide_macvtap(&asked, &policy, &host, NULL), -EINVAL);
}

static void test_strings(void **state) {
        assert_string_equal(trust_field_to_string(TRUST_FIELD_VLANS), "vlans");
        assert_null(trust_field_to_string(_TRUST_FIELD_MAX));
        assert_string_equal(trust_action_to_string(TRUST_ACTION_NA), "n/a");
        assert_null(trust_action_to_string(-1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_cases),
                        cmocka_unit_test(test_untrusted_wants_host),
                        cmocka_unit_test(test_rules),
                        cmocka_unit_test(test_mac_flapping),
                        cmocka_unit_test(test_null_arguments),
                        cmocka_unit_test(test_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
