/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "macro.h"
#include "uplink.h"

typedef struct Case {
        const char *name;
        UplinkFacts facts;
        bool promiscuous;
        bool could_leave;
        const char *reason;
} Case;

static const Case cases[] = {
                {"bridge uplink left promiscuous mode",
                                {.uplink = "eth1",
                                                .bridge = "br0",
                                                .vlan_filtering = true,
                                                .n_auto_ports = 1,
                                                .n_unicast = 4},
                                false, false,
                                "not promiscuous: its unicast filter holds the 4 static FDB entries"},
                {"bridge not VLAN-aware",
                                {.uplink = "eth1",
                                                .bridge = "br0",
                                                .promiscuity = 1,
                                                .vlan_filtering = false,
                                                .n_auto_ports = 1},
                                true, false,
                                "bridge br0 is not VLAN-aware (vlan_filtering 0): it keeps every port "
                                "promiscuous"},
                {"bridge device promiscuous",
                                {.uplink = "eth1",
                                                .bridge = "br0",
                                                .promiscuity = 1,
                                                .vlan_filtering = true,
                                                .bridge_promisc = true,
                                                .n_auto_ports = 1},
                                true, false,
                                "the bridge device br0 itself is promiscuous, so are its ports"},
                {"second auto port",
                                {.uplink = "eth1",
                                                .bridge = "br0",
                                                .promiscuity = 1,
                                                .vlan_filtering = true,
                                                .n_auto_ports = 2,
                                                .auto_ports = "eth1, tap3"},
                                true, false, "2 ports of br0 learn or flood unknown unicast (eth1, tap3)"},
                {"driver without unicast filtering",
                                {.uplink = "veth1",
                                                .bridge = "br0",
                                                .promiscuity = 1,
                                                .vlan_filtering = true,
                                                .n_auto_ports = 1,
                                                .n_unicast = 2},
                                true, true, "veth1's driver does not filter unicast (no IFF_UNICAST_FLT)"},
                {"promisc flag set by hand wins",
                                {.uplink = "eth1",
                                                .bridge = "br0",
                                                .promiscuity = 2,
                                                .promisc_flag = true,
                                                .vlan_filtering = false},
                                true, false,
                                "promiscuous mode was set on eth1 itself (ip link set dev eth1 promisc on)"},
                {"macvtap uplink with a promiscuous guest",
                                {.uplink = "eth0",
                                                .promiscuity = 2,
                                                .n_unicast = 3,
                                                .promisc_macvtaps = "mvt0"},
                                true, false,
                                "macvtap mvt0 is promiscuous (its guest asked) and passes that to eth0"},
                {"macvtap uplink without unicast filtering",
                                {.uplink = "veth0",
                                                .promiscuity = 1,
                                                .n_unicast = 2,
                                                .promisc_macvtaps = ""},
                                true, true, "the 2 macvtap MACs need its unicast filter"},
                {"macvtap uplink clean", {.uplink = "eth0", .n_unicast = 2}, false, false,
                                "not promiscuous: its unicast filter holds the 2 macvtap MACs"},
};

static void test_cases(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                UplinkVerdict v;

                print_message("case: %s\n", cases[i].name);
                assert_int_equal(uplink_explain(&cases[i].facts, &v), 0);
                assert_int_equal(v.promiscuous, cases[i].promiscuous);
                assert_int_equal(v.could_leave, cases[i].could_leave);
                assert_non_null(strstr(v.reason, cases[i].reason));
        }
}

static void test_invalid(void **state) {
        UplinkVerdict v;

        assert_int_equal(uplink_explain(NULL, &v), -EINVAL);
        assert_int_equal(uplink_explain(&(UplinkFacts){}, &v), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_cases),
                        cmocka_unit_test(test_invalid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
