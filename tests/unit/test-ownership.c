/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "libvirt-networks.h"

#include "domain-xml.h"
#include "macro.h"
#include "network-xml.h"
#include "ownership.h"

typedef struct Case {
        const char *name;
        DomainInterfaceType type;
        const char *type_name;
        const char *model;
        const char *target_dev;
        const char *bridge;
        const char *source_dev;
        MacvtapMode mode;
        const char *virtualport;
        bool trust;
        SettingOrigin trust_origin;
        /* expectations */
        Owner owner;
        Owner host_device, bridge_port, uplink;
        const char *reason; /* substring of the NIC's reason */
} Case;

#define V  OWNER_VNICD
#define L  OWNER_LIBVIRT
#define U  OWNER_UNMANAGED
#define NA OWNER_NONE

static const Case cases[] = {
                {"macvtap trusted on the interface", DOMAIN_INTERFACE_DIRECT, "direct", "virtio", "macvtap0",
                                "", "eth0", MACVTAP_MODE_BRIDGE, "", true, SETTING_ORIGIN_INTERFACE, L, L,
                                NA, L,
                                "trusted macvtap (trustGuestRxFilters='yes' on the interface): libvirt "
                                "syncs "
                                "macvtap0, vnicd reports"},
                {"macvtap trusted by its portgroup", DOMAIN_INTERFACE_DIRECT, "direct", "virtio", "macvtap1",
                                "", "eth0", MACVTAP_MODE_VEPA, "", true, SETTING_ORIGIN_PORTGROUP, L, L, NA,
                                L, "trustGuestRxFilters='yes' from portgroup 'guests' of network 'lan'"},
                {"macvtap trusted by its network", DOMAIN_INTERFACE_DIRECT, "direct", "virtio", "macvtap2",
                                "", "dummy1", MACVTAP_MODE_BRIDGE, "", true, SETTING_ORIGIN_NETWORK, L, L,
                                NA, L, "trustGuestRxFilters='yes' from network 'lan'"},
                {"macvtap in passthrough mode, trusted", DOMAIN_INTERFACE_DIRECT, "direct", "virtio",
                                "macvtap3", "", "eth1", MACVTAP_MODE_PASSTHROUGH, "", true,
                                SETTING_ORIGIN_INTERFACE, L, L, NA, L, "libvirt syncs macvtap3"},
                {"macvtap, trust not set", DOMAIN_INTERFACE_DIRECT, "direct", "virtio", "macvtap1", "",
                                "eth0", MACVTAP_MODE_VEPA, "", false, SETTING_ORIGIN_NONE, V, V, NA, V,
                                "untrusted macvtap (trustGuestRxFilters not set): libvirt ignores the "
                                "guest's "
                                "filter, vnicd's policy applies"},
                {"macvtap, trustGuestRxFilters='no'", DOMAIN_INTERFACE_DIRECT, "direct", "virtio",
                                "macvtap1", "", "eth0", MACVTAP_MODE_VEPA, "", false,
                                SETTING_ORIGIN_PORTGROUP, V, V, NA, V, "(trustGuestRxFilters 'no')"},
                {"tap in a bridge", DOMAIN_INTERFACE_BRIDGE, "bridge", "virtio", "vnet0", "br0", "",
                                _MACVTAP_MODE_INVALID, "", false, SETTING_ORIGIN_NONE, V, V, V, V,
                                "tap in bridge br0: vnicd owns its port"},
                {"trusted tap in a bridge: still vnicd's", DOMAIN_INTERFACE_BRIDGE, "bridge", "virtio",
                                "vnet1", "br1", "", _MACVTAP_MODE_INVALID, "", true,
                                SETTING_ORIGIN_PORTGROUP, V, V, V, V, "makes libvirt sync nothing on a tap"},
                {"virtio-non-transitional is virtio-net", DOMAIN_INTERFACE_BRIDGE, "bridge",
                                "virtio-non-transitional", "vnet2", "br0", "", _MACVTAP_MODE_INVALID, "",
                                false, SETTING_ORIGIN_NONE, V, V, V, V, "vnicd owns its port"},
                {"Open vSwitch port", DOMAIN_INTERFACE_BRIDGE, "bridge", "virtio", "vnet3", "ovsbr0", "",
                                _MACVTAP_MODE_INVALID, "openvswitch", false, SETTING_ORIGIN_NONE, U, U, U, U,
                                "Open vSwitch port on ovsbr0: its VLANs and flows belong to OVS"},
                {"bridge interface without a bridge", DOMAIN_INTERFACE_BRIDGE, "bridge", "virtio", "vnet4",
                                "", "", _MACVTAP_MODE_INVALID, "", false, SETTING_ORIGIN_NONE, U, U, U, U,
                                "tap vnet4: the domain XML names no bridge"},
                {"ethernet in no bridge", DOMAIN_INTERFACE_ETHERNET, "ethernet", "virtio", "vnicdeth0", "",
                                "", _MACVTAP_MODE_INVALID, "", false, SETTING_ORIGIN_NONE, U, U, U, U,
                                "type='ethernet': tap vnicdeth0 is in no bridge, whoever set it up owns it"},
                {"ethernet the kernel shows in a bridge", DOMAIN_INTERFACE_ETHERNET, "ethernet", "virtio",
                                "vnicdeth0", "br0", "", _MACVTAP_MODE_INVALID, "", false,
                                SETTING_ORIGIN_NONE, V, V, V, V, "tap in bridge br0"},
                {"vhost-user", DOMAIN_INTERFACE_VHOSTUSER, "vhostuser", "virtio", "", "", "",
                                _MACVTAP_MODE_INVALID, "", false, SETTING_ORIGIN_NONE, U, U, U, U,
                                "type='vhostuser': no host device, the vhost-user backend switches its "
                                "frames"},
                {"user-mode", DOMAIN_INTERFACE_USER, "user", "virtio", "", "", "", _MACVTAP_MODE_INVALID, "",
                                false, SETTING_ORIGIN_NONE, U, U, U, U,
                                "type='user': QEMU's user-mode network"},
                {"SR-IOV VF", DOMAIN_INTERFACE_HOSTDEV, "hostdev", "virtio", "", "", "",
                                _MACVTAP_MODE_INVALID, "", true, SETTING_ORIGIN_INTERFACE, U, U, U, U,
                                "SR-IOV VF passed to the guest"},
                {"another type", DOMAIN_INTERFACE_OTHER, "mcast", "virtio", "", "", "",
                                _MACVTAP_MODE_INVALID, "", false, SETTING_ORIGIN_NONE, U, U, U, U,
                                "type='mcast': not a host device vnicd programs"},
                {"a network left unresolved", DOMAIN_INTERFACE_NETWORK, "network", "virtio", "vnet5", "br0",
                                "", _MACVTAP_MODE_INVALID, "", false, SETTING_ORIGIN_NONE, U, U, U, U,
                                "type='network': not a host device"},
                {"trusted macvtap, model e1000: nobody syncs it", DOMAIN_INTERFACE_DIRECT, "direct", "e1000",
                                "macvtap4", "", "eth0", MACVTAP_MODE_BRIDGE, "", true,
                                SETTING_ORIGIN_INTERFACE, U, U, U, U,
                                "model 'e1000': only virtio-net reports the guest's receive filter"},
                {"no model", DOMAIN_INTERFACE_BRIDGE, "bridge", "", "vnet6", "br0", "",
                                _MACVTAP_MODE_INVALID, "", false, SETTING_ORIGIN_NONE, U, U, U, U,
                                "no <model>: QEMU's default NIC is not virtio-net"},
                {"not running: no host device", DOMAIN_INTERFACE_DIRECT, "direct", "virtio", "", "", "eth0",
                                MACVTAP_MODE_BRIDGE, "", true, SETTING_ORIGIN_INTERFACE, U, U, U, U,
                                "no <target dev=> in the domain XML: the domain is not running"},
};

static ResolvedInterface make(const Case *c) {
        ResolvedInterface r = {
                        .type = c->type,
                        .mode = c->mode,
                        .trust_guest_rx_filters = c->trust,
                        .trust_origin = c->trust_origin,
        };

        (void) snprintf(r.type_name, sizeof(r.type_name), "%s", c->type_name);
        (void) snprintf(r.model, sizeof(r.model), "%s", c->model);
        (void) snprintf(r.target_dev, sizeof(r.target_dev), "%s", c->target_dev);
        (void) snprintf(r.bridge, sizeof(r.bridge), "%s", c->bridge);
        (void) snprintf(r.source_dev, sizeof(r.source_dev), "%s", c->source_dev);
        (void) snprintf(r.virtualport, sizeof(r.virtualport), "%s", c->virtualport);
        if (c->trust_origin == SETTING_ORIGIN_PORTGROUP || c->trust_origin == SETTING_ORIGIN_NETWORK) {
                (void) snprintf(r.network, sizeof(r.network), "lan");
                if (c->trust_origin == SETTING_ORIGIN_PORTGROUP)
                        (void) snprintf(r.portgroup, sizeof(r.portgroup), "guests");
        }
        return r;
}

static void test_table(void **state) {
        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                const Case *c = &cases[k];
                ResolvedInterface nic = make(c);
                OwnershipDecision d;

                assert_int_equal(ownership_decide(&nic, &d), 0);
                if (d.owner != c->owner || d.parts[OWNED_PART_HOST_DEVICE].owner != c->host_device ||
                                d.parts[OWNED_PART_BRIDGE_PORT].owner != c->bridge_port ||
                                d.parts[OWNED_PART_UPLINK].owner != c->uplink)
                        fail_msg("%s: owner %s, parts %s %s %s; reason \"%s\"", c->name,
                                        owner_to_string(d.owner), owner_to_string(d.parts[0].owner),
                                        owner_to_string(d.parts[1].owner), owner_to_string(d.parts[2].owner),
                                        d.reason);
                if (!strstr(d.reason, c->reason))
                        fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name, d.reason, c->reason);
                /* every part explains itself */
                for (OwnedPart p = 0; p < _OWNED_PART_MAX; p++)
                        if (d.parts[p].reason[0] == 0)
                                fail_msg("%s: part %s has no reason", c->name, owned_part_to_string(p));
        }
}

static void test_part_reasons(void **state) {
        ResolvedInterface nic = make(&cases[0]);
        OwnershipDecision d;

        assert_int_equal(ownership_decide(&nic, &d), 0);
        assert_string_equal(d.parts[OWNED_PART_HOST_DEVICE].reason,
                        "libvirt copies the guest's MAC, multicast list and modes to macvtap0: vnicd never "
                        "writes it");
        assert_string_equal(d.parts[OWNED_PART_BRIDGE_PORT].reason, "a macvtap has no bridge port");
        assert_string_equal(d.parts[OWNED_PART_UPLINK].reason,
                        "what macvtap0 passes to eth0 (its MAC, promiscuous mode) follows libvirt's sync: "
                        "reported, "
                        "not written");

        nic = make(&cases[6]);
        assert_int_equal(ownership_decide(&nic, &d), 0);
        assert_string_equal(d.parts[OWNED_PART_BRIDGE_PORT].reason,
                        "vnicd programs the FDB entries, VLANs and flags of vnet0 on br0");

        nic = make(&cases[11]);
        assert_int_equal(ownership_decide(&nic, &d), 0);
        assert_string_equal(d.parts[OWNED_PART_UPLINK].reason,
                        "NIC not managed: type='ethernet': tap vnicdeth0 "
                        "is in no bridge, whoever set it up owns it");

        assert_int_equal(ownership_decide(NULL, &d), -EINVAL);
        assert_int_equal(ownership_decide(&nic, NULL), -EINVAL);
        assert_string_equal(owner_to_string(OWNER_LIBVIRT), "libvirt");
        assert_string_equal(owned_part_to_string(OWNED_PART_BRIDGE_PORT), "bridge-port");
        assert_null(owner_to_string(_OWNER_MAX));
        assert_null(owned_part_to_string(_OWNED_PART_INVALID));
}

/* The devices of the live XML libvirt 9.0 printed for test-domain-xml's 'demo' (addresses left
 * out), with its networks: what vnicd sees for a running domain, end to end. */
static const char live_devices[] =
                "<domain type='qemu' id='1'>\n"
                "  <name>demo</name>\n"
                "  <devices>\n"
                "    <interface type='direct' trustGuestRxFilters='yes'>\n"
                "      <mac address='52:54:00:00:00:01'/>\n"
                "      <source dev='dummy0' mode='bridge'/>\n"
                "      <target dev='macvtap0'/>\n"
                "      <model type='virtio'/>\n"
                "      <driver queues='2'/>\n"
                "      <alias name='net0'/>\n"
                "    </interface>\n"
                "    <interface type='direct'>\n"
                "      <mac address='52:54:00:00:00:02'/>\n"
                "      <source dev='dummy0' mode='vepa'/>\n"
                "      <target dev='macvtap1'/>\n"
                "      <model type='virtio'/>\n"
                "      <alias name='ua-lan'/>\n"
                "    </interface>\n"
                "    <interface type='bridge'>\n"
                "      <mac address='52:54:00:00:00:03'/>\n"
                "      <source bridge='br0'/>\n"
                "      <target dev='vnet0'/>\n"
                "      <model type='virtio'/>\n"
                "      <driver queues='4'/>\n"
                "      <alias name='net1'/>\n"
                "    </interface>\n"
                "    <interface type='bridge'>\n"
                "      <mac address='52:54:00:00:00:04'/>\n"
                "      <source network='lan' portgroup='guests' "
                "portid='1377922f-0272-40ca-a90e-5219100bcff7' "
                "bridge='br1'/>\n"
                "      <target dev='vnet1'/>\n"
                "      <model type='virtio'/>\n"
                "      <alias name='net2'/>\n"
                "    </interface>\n"
                "    <interface type='direct'>\n"
                "      <mac address='52:54:00:00:00:05'/>\n"
                "      <source network='pool' portid='772f54bb-716d-442f-bec2-d6f5aa9e4efa' dev='dummy1' "
                "mode='bridge'/>\n"
                "      <target dev='macvtap2'/>\n"
                "      <model type='virtio'/>\n"
                "      <alias name='net3'/>\n"
                "    </interface>\n"
                "    <interface type='bridge'>\n"
                "      <mac address='52:54:00:00:00:06'/>\n"
                "      <source network='lan' portid='7313ed87-ceea-4592-9325-007d13ea4b0f' bridge='br1'/>\n"
                "      <target dev='vnet2'/>\n"
                "      <model type='e1000'/>\n"
                "      <alias name='net4'/>\n"
                "    </interface>\n"
                "    <interface type='ethernet'>\n"
                "      <mac address='52:54:00:00:00:07'/>\n"
                "      <target dev='vnicdeth0' managed='yes'/>\n"
                "      <model type='virtio'/>\n"
                "      <alias name='net5'/>\n"
                "    </interface>\n"
                "    <interface type='user'>\n"
                "      <mac address='52:54:00:00:00:08'/>\n"
                "      <model type='virtio'/>\n"
                "      <alias name='net6'/>\n"
                "    </interface>\n"
                "  </devices>\n"
                "</domain>\n";

static void test_live_domain(void **state) {
        static const Owner want[] = {
                        OWNER_LIBVIRT, /* net0: trusted on the interface */
                        OWNER_VNICD,   /* ua-lan: untrusted macvtap */
                        OWNER_VNICD,   /* net1: tap in br0 */
                        OWNER_VNICD,   /* net2: tap in br1, trusted by its portgroup: libvirt syncs no tap */
                        OWNER_LIBVIRT, /* net3: the live XML shows no trust, the network has it */
                        OWNER_UNMANAGED, /* net4: e1000 */
                        OWNER_UNMANAGED, /* net5: ethernet in no bridge */
                        OWNER_UNMANAGED, /* net6: user */
        };
        _cleanup_(domain_xml_done) DomainXml d = {};
        _cleanup_(network_xml_done) NetworkXml lan = {}, pool = {};

        assert_int_equal(domain_xml_parse(live_devices, strlen(live_devices), &d, NULL), 0);
        assert_int_equal(network_xml_parse(net_lan, strlen(net_lan), &lan, NULL), 0);
        assert_int_equal(network_xml_parse(net_pool, strlen(net_pool), &pool, NULL), 0);
        assert_int_equal(d.n_interfaces, ELEMENTSOF(want));

        for (size_t i = 0; i < d.n_interfaces; i++) {
                const DomainInterface *iface = &d.interfaces[i];
                const NetworkXml *net = streq(iface->source_network, "lan")    ? &lan
                                        : streq(iface->source_network, "pool") ? &pool
                                                                               : NULL;
                ResolvedInterface nic;
                OwnershipDecision o;

                assert_int_equal(network_resolve_interface(iface, net, &nic, NULL), 0);
                assert_int_equal(ownership_decide(&nic, &o), 0);
                if (o.owner != want[i])
                        fail_msg("%s: %s (%s), want %s", iface->alias, owner_to_string(o.owner), o.reason,
                                        owner_to_string(want[i]));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_table),
                        cmocka_unit_test(test_part_reasons),
                        cmocka_unit_test(test_live_domain),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
