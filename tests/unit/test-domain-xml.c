/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
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

/* The samples are what libvirt 9.0 printed, unedited: 'virsh dumpxml' of a running TCG domain
 * with one NIC of each kind ('demo', started by a private libvirtd with the networks below
 * defined and started), 'virsh dumpxml' of a defined domain whose <vlan>s libvirt 9.0 refuses to
 * start on a Linux bridge ('vlans'), and 'virsh net-dumpxml' of the networks ('ovs' defined only:
 * libvirt takes <vlan> on Open vSwitch networks alone). */

static const char live_demo[] =
                "<domain type='qemu' id='1'>\n"
                "  <name>demo</name>\n"
                "  <uuid>9067a0de-055f-4a7c-beb8-fc1315a87a9e</uuid>\n"
                "  <metadata>\n"
                "    <vnicd:nics xmlns:vnicd=\"https://vnicd.org/xmlns/vnicd/1\">\n"
                "      <vnicd:nic alias=\"ua-lan\" trust=\"yes\"/>\n"
                "      <vnicd:nic mac=\"52:54:00:00:00:03\" allowed-vlans=\"20,100-110\" native-vlan=\"10\" "
                "learning=\"no\" unicast-flood=\"no\" multicast-flood=\"yes\"/>\n"
                "    </vnicd:nics>\n"
                "  </metadata>\n"
                "  <memory unit='KiB'>65536</memory>\n"
                "  <currentMemory unit='KiB'>65536</currentMemory>\n"
                "  <vcpu placement='static'>1</vcpu>\n"
                "  <os>\n"
                "    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>\n"
                "    <boot dev='hd'/>\n"
                "  </os>\n"
                "  <cpu mode='custom' match='exact' check='full'>\n"
                "    <model fallback='forbid'>qemu64</model>\n"
                "    <feature policy='require' name='hypervisor'/>\n"
                "    <feature policy='require' name='lahf_lm'/>\n"
                "  </cpu>\n"
                "  <clock offset='utc'/>\n"
                "  <on_poweroff>destroy</on_poweroff>\n"
                "  <on_reboot>restart</on_reboot>\n"
                "  <on_crash>destroy</on_crash>\n"
                "  <devices>\n"
                "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
                "    <controller type='usb' index='0' model='piix3-uhci'>\n"
                "      <alias name='usb'/>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x2'/>\n"
                "    </controller>\n"
                "    <controller type='pci' index='0' model='pci-root'>\n"
                "      <alias name='pci.0'/>\n"
                "    </controller>\n"
                "    <interface type='direct' trustGuestRxFilters='yes'>\n"
                "      <mac address='52:54:00:00:00:01'/>\n"
                "      <source dev='dummy0' mode='bridge'/>\n"
                "      <target dev='macvtap0'/>\n"
                "      <model type='virtio'/>\n"
                "      <driver queues='2'/>\n"
                "      <alias name='net0'/>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>\n"
                "    </interface>\n"
                "    <interface type='direct'>\n"
                "      <mac address='52:54:00:00:00:02'/>\n"
                "      <source dev='dummy0' mode='vepa'/>\n"
                "      <target dev='macvtap1'/>\n"
                "      <model type='virtio'/>\n"
                "      <alias name='ua-lan'/>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>\n"
                "    </interface>\n"
                "    <interface type='bridge'>\n"
                "      <mac address='52:54:00:00:00:03'/>\n"
                "      <source bridge='br0'/>\n"
                "      <target dev='vnet0'/>\n"
                "      <model type='virtio'/>\n"
                "      <driver queues='4'/>\n"
                "      <alias name='net1'/>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>\n"
                "    </interface>\n"
                "    <interface type='bridge'>\n"
                "      <mac address='52:54:00:00:00:04'/>\n"
                "      <source network='lan' portgroup='guests' "
                "portid='1377922f-0272-40ca-a90e-5219100bcff7' bridge='br1'/>\n"
                "      <target dev='vnet1'/>\n"
                "      <model type='virtio'/>\n"
                "      <alias name='net2'/>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>\n"
                "    </interface>\n"
                "    <interface type='direct'>\n"
                "      <mac address='52:54:00:00:00:05'/>\n"
                "      <source network='pool' portid='772f54bb-716d-442f-bec2-d6f5aa9e4efa' dev='dummy1' "
                "mode='bridge'/>\n"
                "      <target dev='macvtap2'/>\n"
                "      <model type='virtio'/>\n"
                "      <alias name='net3'/>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x06' function='0x0'/>\n"
                "    </interface>\n"
                "    <interface type='bridge'>\n"
                "      <mac address='52:54:00:00:00:06'/>\n"
                "      <source network='lan' portid='7313ed87-ceea-4592-9325-007d13ea4b0f' bridge='br1'/>\n"
                "      <target dev='vnet2'/>\n"
                "      <model type='e1000'/>\n"
                "      <alias name='net4'/>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/>\n"
                "    </interface>\n"
                "    <interface type='ethernet'>\n"
                "      <mac address='52:54:00:00:00:07'/>\n"
                "      <target dev='vnicdeth0' managed='yes'/>\n"
                "      <model type='virtio'/>\n"
                "      <alias name='net5'/>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x08' function='0x0'/>\n"
                "    </interface>\n"
                "    <interface type='user'>\n"
                "      <mac address='52:54:00:00:00:08'/>\n"
                "      <model type='virtio'/>\n"
                "      <alias name='net6'/>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/>\n"
                "    </interface>\n"
                "    <input type='mouse' bus='ps2'>\n"
                "      <alias name='input0'/>\n"
                "    </input>\n"
                "    <input type='keyboard' bus='ps2'>\n"
                "      <alias name='input1'/>\n"
                "    </input>\n"
                "    <audio id='1' type='none'/>\n"
                "    <memballoon model='virtio'>\n"
                "      <alias name='balloon0'/>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x0a' function='0x0'/>\n"
                "    </memballoon>\n"
                "  </devices>\n"
                "  <seclabel type='dynamic' model='dac' relabel='yes'>\n"
                "    <label>+0:+0</label>\n"
                "    <imagelabel>+0:+0</imagelabel>\n"
                "  </seclabel>\n"
                "</domain>\n"
                "\n";

static const char inactive_vlans[] =
                "<domain type='qemu'>\n"
                "  <name>vlans</name>\n"
                "  <uuid>2694633b-f476-4253-a611-4e46bf7575a4</uuid>\n"
                "  <memory unit='KiB'>65536</memory>\n"
                "  <currentMemory unit='KiB'>65536</currentMemory>\n"
                "  <vcpu placement='static'>1</vcpu>\n"
                "  <os>\n"
                "    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>\n"
                "    <boot dev='hd'/>\n"
                "  </os>\n"
                "  <cpu mode='custom' match='exact' check='none'>\n"
                "    <model fallback='forbid'>qemu64</model>\n"
                "  </cpu>\n"
                "  <clock offset='utc'/>\n"
                "  <on_poweroff>destroy</on_poweroff>\n"
                "  <on_reboot>restart</on_reboot>\n"
                "  <on_crash>destroy</on_crash>\n"
                "  <devices>\n"
                "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
                "    <controller type='usb' index='0' model='piix3-uhci'>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x2'/>\n"
                "    </controller>\n"
                "    <controller type='pci' index='0' model='pci-root'/>\n"
                "    <interface type='bridge'>\n"
                "      <mac address='52:54:00:00:01:01'/>\n"
                "      <source bridge='br0'/>\n"
                "      <vlan trunk='yes'>\n"
                "        <tag id='42' nativeMode='untagged'/>\n"
                "        <tag id='47'/>\n"
                "      </vlan>\n"
                "      <model type='virtio'/>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>\n"
                "    </interface>\n"
                "    <interface type='bridge'>\n"
                "      <mac address='52:54:00:00:01:02'/>\n"
                "      <source bridge='br0'/>\n"
                "      <vlan>\n"
                "        <tag id='42'/>\n"
                "      </vlan>\n"
                "      <virtualport type='openvswitch'>\n"
                "        <parameters interfaceid='94f78c00-04c7-440b-a219-d6c44192b5b9'/>\n"
                "      </virtualport>\n"
                "      <model type='virtio'/>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>\n"
                "    </interface>\n"
                "    <interface type='vhostuser'>\n"
                "      <mac address='52:54:00:00:01:03'/>\n"
                "      <source type='unix' path='/run/vnic-switch/port0.sock' mode='client'/>\n"
                "      <model type='virtio'/>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>\n"
                "    </interface>\n"
                "    <input type='mouse' bus='ps2'/>\n"
                "    <input type='keyboard' bus='ps2'/>\n"
                "    <audio id='1' type='none'/>\n"
                "    <memballoon model='virtio'>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>\n"
                "    </memballoon>\n"
                "  </devices>\n"
                "</domain>\n"
                "\n";

static const char net_ovs[] = "<network>\n"
                              "  <name>ovs</name>\n"
                              "  <uuid>1fe36e6a-9a25-4962-8a63-305126f1a5cb</uuid>\n"
                              "  <forward mode='bridge'/>\n"
                              "  <bridge name='ovsbr0'/>\n"
                              "  <vlan>\n"
                              "    <tag id='7'/>\n"
                              "  </vlan>\n"
                              "  <virtualport type='openvswitch'/>\n"
                              "  <portgroup name='plain' default='yes'>\n"
                              "  </portgroup>\n"
                              "  <portgroup name='web' trustGuestRxFilters='no'>\n"
                              "    <vlan>\n"
                              "      <tag id='42'/>\n"
                              "    </vlan>\n"
                              "  </portgroup>\n"
                              "  <portgroup name='trunk'>\n"
                              "    <vlan trunk='yes'>\n"
                              "      <tag id='100' nativeMode='tagged'/>\n"
                              "      <tag id='101'/>\n"
                              "      <tag id='102'/>\n"
                              "    </vlan>\n"
                              "  </portgroup>\n"
                              "</network>\n"
                              "\n";

static const char net_iso[] = "<network>\n"
                              "  <name>iso</name>\n"
                              "  <uuid>f6ebfe77-9b4e-4f0c-91f9-35ece2b7c749</uuid>\n"
                              "  <bridge name='virbr7' stp='on' delay='0'/>\n"
                              "  <mac address='52:54:00:33:cf:4b'/>\n"
                              "</network>\n"
                              "\n";

static int parse_domain(const char *xml, DomainXml *d, char **error) {
        return domain_xml_parse(xml, strlen(xml), d, error);
}

static int parse_network(const char *xml, NetworkXml *n, char **error) {
        return network_xml_parse(xml, strlen(xml), n, error);
}

static void assert_vids(const VlanSet *v, const char *want) {
        _cleanup_free_ char *s = vlan_set_to_string(v);

        assert_non_null(s);
        assert_string_equal(s, want);
}

static void assert_mac(const EtherAddr *a, const char *want) {
        char buf[ETHER_ADDR_STRING_MAX];

        assert_string_equal(ether_addr_to_string(a, buf), want);
}

static void assert_contains(const char *s, const char *part) {
        if (!s || !strstr(s, part))
                fail_msg("\"%s\" does not contain \"%s\"", strempty(s), part);
}

static void test_live_domain(void **state) {
        _cleanup_(domain_xml_done) DomainXml d = {};
        const DomainInterface *i;
        const DomainMetadataNic *m;

        assert_int_equal(parse_domain(live_demo, &d, NULL), 0);
        assert_string_equal(d.name, "demo");
        assert_string_equal(d.uuid, "9067a0de-055f-4a7c-beb8-fc1315a87a9e");
        assert_int_equal(d.id, 1);
        assert_int_equal(d.vcpus, 1);
        assert_int_equal(d.n_interfaces, 8);

        /* direct, trusted, multiqueue */
        i = &d.interfaces[0];
        assert_int_equal(i->type, DOMAIN_INTERFACE_DIRECT);
        assert_string_equal(i->type_name, "direct");
        assert_int_equal(i->trust_guest_rx_filters, 1);
        assert_true(i->has_mac);
        assert_mac(&i->mac, "52:54:00:00:00:01");
        assert_string_equal(i->source_dev, "dummy0");
        assert_int_equal(i->source_mode, MACVTAP_MODE_BRIDGE);
        assert_string_equal(i->target_dev, "macvtap0");
        assert_string_equal(i->model, "virtio");
        assert_int_equal(i->queues, 2);
        assert_string_equal(i->alias, "net0");
        assert_false(libvirt_vlan_is_set(&i->vlan));
        assert_int_equal(i->metadata, -1);
        assert_null(domain_interface_metadata(&d, i));

        /* direct, untrusted, user alias, vnicd metadata by alias */
        i = &d.interfaces[1];
        assert_int_equal(i->type, DOMAIN_INTERFACE_DIRECT);
        assert_int_equal(i->trust_guest_rx_filters, -1);
        assert_int_equal(i->source_mode, MACVTAP_MODE_VEPA);
        assert_string_equal(i->target_dev, "macvtap1");
        assert_string_equal(i->alias, "ua-lan");
        assert_int_equal(i->queues, 0);
        m = domain_interface_metadata(&d, i);
        assert_non_null(m);
        assert_string_equal(m->error, "");
        assert_string_equal(m->alias, "ua-lan");
        assert_false(m->has_mac);
        assert_int_equal(m->interface, 1);
        assert_int_equal(m->settings.trust, 1);
        assert_true(vlan_set_is_empty(&m->settings.allowed_vlans));
        assert_int_equal(m->settings.learning, -1);

        /* bridge, vnicd metadata by MAC */
        i = &d.interfaces[2];
        assert_int_equal(i->type, DOMAIN_INTERFACE_BRIDGE);
        assert_string_equal(i->source_bridge, "br0");
        assert_string_equal(i->target_dev, "vnet0");
        assert_string_equal(i->alias, "net1");
        assert_int_equal(i->queues, 4);
        assert_int_equal(i->source_mode, _MACVTAP_MODE_INVALID);
        m = domain_interface_metadata(&d, i);
        assert_non_null(m);
        assert_string_equal(m->error, "");
        assert_true(m->has_mac);
        assert_mac(&m->mac, "52:54:00:00:00:03");
        assert_int_equal(m->settings.trust, -1);
        assert_vids(&m->settings.allowed_vlans, "20,100-110");
        assert_int_equal(m->settings.native_vlan, 10);
        assert_int_equal(m->settings.learning, 0);
        assert_int_equal(m->settings.unicast_flood, 0);
        assert_int_equal(m->settings.multicast_flood, 1);

        /* type='network' is printed as what it was plugged as, with the network next to it */
        i = &d.interfaces[3];
        assert_int_equal(i->type, DOMAIN_INTERFACE_BRIDGE);
        assert_string_equal(i->source_network, "lan");
        assert_string_equal(i->source_portgroup, "guests");
        assert_string_equal(i->source_bridge, "br1");
        assert_int_equal(i->trust_guest_rx_filters, -1); /* the portgroup's 'yes' is not printed */
        i = &d.interfaces[4];
        assert_int_equal(i->type, DOMAIN_INTERFACE_DIRECT);
        assert_string_equal(i->source_network, "pool");
        assert_string_equal(i->source_dev, "dummy1");
        assert_int_equal(i->source_mode, MACVTAP_MODE_BRIDGE);
        assert_string_equal(i->target_dev, "macvtap2");
        assert_int_equal(i->trust_guest_rx_filters, -1); /* nor the network's */
        i = &d.interfaces[5];
        assert_string_equal(i->model, "e1000");
        assert_string_equal(i->source_portgroup, "");

        i = &d.interfaces[6];
        assert_int_equal(i->type, DOMAIN_INTERFACE_ETHERNET);
        assert_string_equal(i->target_dev, "vnicdeth0");
        i = &d.interfaces[7];
        assert_int_equal(i->type, DOMAIN_INTERFACE_USER);
        assert_string_equal(i->target_dev, "");
        assert_string_equal(i->alias, "net6");

        assert_int_equal(d.n_metadata, 2);
        assert_int_equal(d.metadata[0].interface, 1);
        assert_int_equal(d.metadata[1].interface, 2);
        assert_int_equal(d.metadata[0].line, 6);

        assert_ptr_equal(domain_xml_find_alias(&d, "net4"), &d.interfaces[5]);
        assert_null(domain_xml_find_alias(&d, "net9"));
        assert_null(domain_xml_find_alias(&d, ""));
        assert_ptr_equal(domain_xml_find_mac(&d, &d.interfaces[6].mac), &d.interfaces[6]);
}

static void test_vlans_and_other_types(void **state) {
        _cleanup_(domain_xml_done) DomainXml d = {};
        const DomainInterface *i;

        assert_int_equal(parse_domain(inactive_vlans, &d, NULL), 0);
        assert_string_equal(d.name, "vlans");
        assert_int_equal(d.id, -1); /* not running */
        assert_int_equal(d.n_interfaces, 3);
        assert_int_equal(d.n_metadata, 0);

        i = &d.interfaces[0];
        assert_vids(&i->vlan.tags, "42,47");
        assert_true(i->vlan.trunk);
        assert_int_equal(i->vlan.native_vid, 42);
        assert_int_equal(i->vlan.native_mode, VLAN_NATIVE_UNTAGGED);
        assert_string_equal(i->target_dev, "");
        assert_string_equal(i->alias, "");

        i = &d.interfaces[1];
        assert_vids(&i->vlan.tags, "42");
        assert_false(i->vlan.trunk);
        assert_int_equal(i->vlan.native_mode, VLAN_NATIVE_NONE);
        assert_string_equal(i->virtualport, "openvswitch");

        i = &d.interfaces[2];
        assert_int_equal(i->type, DOMAIN_INTERFACE_VHOSTUSER);
        assert_string_equal(i->source_path, "/run/vnic-switch/port0.sock");
        assert_int_equal(i->source_mode, _MACVTAP_MODE_INVALID); /* mode='client' is not a macvtap's */
}

static void test_networks(void **state) {
        _cleanup_(network_xml_done) NetworkXml lan = {}, pool = {}, ovs = {}, iso = {};
        const NetworkPortgroup *g;

        assert_int_equal(parse_network(net_lan, &lan, NULL), 0);
        assert_string_equal(lan.name, "lan");
        assert_string_equal(lan.uuid, "7c80536e-8688-49df-ae58-717f1e4f179f");
        assert_int_equal(lan.forward_mode, NETWORK_FORWARD_BRIDGE);
        assert_string_equal(lan.bridge, "br1");
        assert_int_equal(lan.trust_guest_rx_filters, -1);
        assert_int_equal(lan.n_portgroups, 2);
        g = network_xml_find_portgroup(&lan, NULL);
        assert_non_null(g);
        assert_string_equal(g->name, "eng");
        assert_true(g->is_default);
        assert_int_equal(g->trust_guest_rx_filters, -1);
        g = network_xml_find_portgroup(&lan, "guests");
        assert_non_null(g);
        assert_false(g->is_default);
        assert_int_equal(g->trust_guest_rx_filters, 1);
        assert_null(network_xml_find_portgroup(&lan, "nope"));

        assert_int_equal(parse_network(net_pool, &pool, NULL), 0);
        assert_int_equal(pool.forward_mode, NETWORK_FORWARD_BRIDGE);
        assert_string_equal(pool.bridge, "");
        assert_string_equal(pool.forward_dev, "dummy1");
        assert_int_equal(pool.trust_guest_rx_filters, 1);
        assert_int_equal(pool.n_portgroups, 0);
        assert_null(network_xml_find_portgroup(&pool, NULL));

        assert_int_equal(parse_network(net_ovs, &ovs, NULL), 0);
        assert_string_equal(ovs.virtualport, "openvswitch");
        assert_vids(&ovs.vlan.tags, "7");
        assert_int_equal(ovs.n_portgroups, 3);
        g = network_xml_find_portgroup(&ovs, "web");
        assert_int_equal(g->trust_guest_rx_filters, 0);
        assert_vids(&g->vlan.tags, "42");
        g = network_xml_find_portgroup(&ovs, "trunk");
        assert_vids(&g->vlan.tags, "100-102");
        assert_true(g->vlan.trunk);
        assert_int_equal(g->vlan.native_vid, 100);
        assert_int_equal(g->vlan.native_mode, VLAN_NATIVE_TAGGED);

        assert_int_equal(parse_network(net_iso, &iso, NULL), 0);
        assert_int_equal(iso.forward_mode, NETWORK_FORWARD_NONE);
        assert_string_equal(iso.bridge, "virbr7");
}

static void resolve_ok(const DomainInterface *i, const NetworkXml *n, ResolvedInterface *r) {
        _cleanup_free_ char *error = NULL;

        if (network_resolve_interface(i, n, r, &error) < 0)
                fail_msg("resolve failed: %s", strempty(error));
        assert_null(error);
}

static void test_resolve_live(void **state) {
        _cleanup_(domain_xml_done) DomainXml d = {};
        _cleanup_(network_xml_done) NetworkXml lan = {}, pool = {};
        ResolvedInterface r;

        assert_int_equal(parse_domain(live_demo, &d, NULL), 0);
        assert_int_equal(parse_network(net_lan, &lan, NULL), 0);
        assert_int_equal(parse_network(net_pool, &pool, NULL), 0);

        /* no network: the interface says it all */
        resolve_ok(&d.interfaces[0], NULL, &r);
        assert_int_equal(r.type, DOMAIN_INTERFACE_DIRECT);
        assert_true(r.trust_guest_rx_filters);
        assert_int_equal(r.trust_origin, SETTING_ORIGIN_INTERFACE);
        assert_string_equal(r.source_dev, "dummy0");
        assert_string_equal(r.target_dev, "macvtap0");
        assert_int_equal(r.mode, MACVTAP_MODE_BRIDGE);
        assert_string_equal(r.network, "");

        resolve_ok(&d.interfaces[1], NULL, &r);
        assert_false(r.trust_guest_rx_filters);
        assert_int_equal(r.trust_origin, SETTING_ORIGIN_NONE);
        assert_int_equal(r.mode, MACVTAP_MODE_VEPA);

        resolve_ok(&d.interfaces[2], NULL, &r);
        assert_int_equal(r.type, DOMAIN_INTERFACE_BRIDGE);
        assert_string_equal(r.bridge, "br0");
        assert_int_equal(r.vlan_origin, SETTING_ORIGIN_NONE);

        /* trust from the portgroup the interface names */
        resolve_ok(&d.interfaces[3], &lan, &r);
        assert_int_equal(r.type, DOMAIN_INTERFACE_BRIDGE);
        assert_string_equal(r.bridge, "br1");
        assert_string_equal(r.network, "lan");
        assert_string_equal(r.portgroup, "guests");
        assert_true(r.trust_guest_rx_filters);
        assert_int_equal(r.trust_origin, SETTING_ORIGIN_PORTGROUP);

        /* trust from the network: the live XML shows a plain untrusted macvtap, libvirt syncs it */
        resolve_ok(&d.interfaces[4], &pool, &r);
        assert_int_equal(r.type, DOMAIN_INTERFACE_DIRECT);
        assert_string_equal(r.source_dev, "dummy1");
        assert_true(r.trust_guest_rx_filters);
        assert_int_equal(r.trust_origin, SETTING_ORIGIN_NETWORK);
        assert_string_equal(r.portgroup, "");

        /* no portgroup named: the default one applies */
        resolve_ok(&d.interfaces[5], &lan, &r);
        assert_string_equal(r.portgroup, "eng");
        assert_false(r.trust_guest_rx_filters);
        assert_int_equal(r.trust_origin, SETTING_ORIGIN_NONE);
        assert_string_equal(r.model, "e1000");
}

/* An interface as an inactive XML (or a network with its own bridge) has it: type='network'. */
static const char network_interfaces[] = "<domain type='kvm'>\n"
                                         "  <name>n</name>\n"
                                         "  <devices>\n"
                                         "    <interface type='network'>\n"
                                         "      <source network='ovs' portgroup='web'/>\n"
                                         "    </interface>\n"
                                         "    <interface type='network' trustGuestRxFilters='yes'>\n"
                                         "      <source network='ovs' portgroup='web'/>\n"
                                         "      <vlan><tag id='99'/></vlan>\n"
                                         "    </interface>\n"
                                         "    <interface type='network'>\n"
                                         "      <source network='ovs'/>\n"
                                         "    </interface>\n"
                                         "    <interface type='network'>\n"
                                         "      <source network='iso'/>\n"
                                         "    </interface>\n"
                                         "    <interface type='network'>\n"
                                         "      <source network='pool'/>\n"
                                         "    </interface>\n"
                                         "    <interface type='network'>\n"
                                         "      <source network='lan' portgroup='none-such'/>\n"
                                         "    </interface>\n"
                                         "    <interface type='network'/>\n"
                                         "  </devices>\n"
                                         "</domain>\n";

static void test_resolve_precedence(void **state) {
        _cleanup_(domain_xml_done) DomainXml d = {};
        _cleanup_(network_xml_done) NetworkXml ovs = {}, iso = {}, pool = {}, lan = {};
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
        ResolvedInterface r, untouched = {.alias = "sentinel"};

        assert_int_equal(parse_domain(network_interfaces, &d, NULL), 0);
        assert_int_equal(parse_network(net_ovs, &ovs, NULL), 0);
        assert_int_equal(parse_network(net_iso, &iso, NULL), 0);
        assert_int_equal(parse_network(net_pool, &pool, NULL), 0);
        assert_int_equal(parse_network(net_lan, &lan, NULL), 0);

        /* the portgroup's VLAN and trust, the network's virtualport */
        resolve_ok(&d.interfaces[0], &ovs, &r);
        assert_int_equal(r.type, DOMAIN_INTERFACE_BRIDGE);
        assert_string_equal(r.bridge, "ovsbr0");
        assert_string_equal(r.virtualport, "openvswitch");
        assert_vids(&r.vlan.tags, "42");
        assert_int_equal(r.vlan_origin, SETTING_ORIGIN_PORTGROUP);
        assert_false(r.trust_guest_rx_filters);
        assert_int_equal(r.trust_origin, SETTING_ORIGIN_PORTGROUP);

        /* the interface overrides the portgroup */
        resolve_ok(&d.interfaces[1], &ovs, &r);
        assert_vids(&r.vlan.tags, "99");
        assert_int_equal(r.vlan_origin, SETTING_ORIGIN_INTERFACE);
        assert_true(r.trust_guest_rx_filters);
        assert_int_equal(r.trust_origin, SETTING_ORIGIN_INTERFACE);

        /* the default portgroup sets nothing: the network's VLAN */
        resolve_ok(&d.interfaces[2], &ovs, &r);
        assert_string_equal(r.portgroup, "plain");
        assert_vids(&r.vlan.tags, "7");
        assert_int_equal(r.vlan_origin, SETTING_ORIGIN_NETWORK);
        assert_int_equal(r.trust_origin, SETTING_ORIGIN_NONE);

        /* an isolated network's own bridge */
        resolve_ok(&d.interfaces[3], &iso, &r);
        assert_int_equal(r.type, DOMAIN_INTERFACE_BRIDGE);
        assert_string_equal(r.bridge, "virbr7");

        /* a macvtap pool: which lower device is only known once running */
        resolve_ok(&d.interfaces[4], &pool, &r);
        assert_int_equal(r.type, DOMAIN_INTERFACE_DIRECT);
        assert_int_equal(r.mode, MACVTAP_MODE_BRIDGE);
        assert_string_equal(r.source_dev, "");
        assert_true(r.trust_guest_rx_filters);

        /* errors leave the result alone */
        r = untouched;
        assert_int_equal(network_resolve_interface(&d.interfaces[0], NULL, &r, &e1), -ENOENT);
        assert_string_equal(e1, "interface at line 4: network 'ovs' is not known");
        assert_int_equal(network_resolve_interface(&d.interfaces[0], &lan, &r, &e2), -EINVAL);
        assert_string_equal(e2, "interface at line 4: attached to network 'ovs', not 'lan'");
        assert_int_equal(network_resolve_interface(&d.interfaces[5], &lan, &r, &e3), -ENOENT);
        assert_string_equal(e3, "interface at line 20: network 'lan' has no portgroup 'none-such'");
        assert_int_equal(network_resolve_interface(&d.interfaces[6], &lan, &r, &e4), -EINVAL);
        assert_string_equal(e4, "interface at line 23: type='network' without source network=");
        assert_string_equal(r.alias, "sentinel");
        assert_int_equal(network_resolve_interface(NULL, &lan, &r, NULL), -EINVAL);
}

static void test_resolve_forward_modes(void **state) {
        static const struct {
                const char *forward;
                DomainInterfaceType type;
                MacvtapMode mode;
                const char *bridge;
        } cases[] = {
                        {"<forward mode='private'><interface dev='eth0'/></forward>",
                                        DOMAIN_INTERFACE_DIRECT, MACVTAP_MODE_PRIVATE, ""},
                        {"<forward mode='vepa'><interface dev='eth0'/></forward>", DOMAIN_INTERFACE_DIRECT,
                                        MACVTAP_MODE_VEPA, ""},
                        {"<forward mode='passthrough'><interface dev='eth0'/></forward>",
                                        DOMAIN_INTERFACE_DIRECT, MACVTAP_MODE_PASSTHROUGH, ""},
                        {"<forward mode='bridge'/><bridge name='br9'/>", DOMAIN_INTERFACE_BRIDGE,
                                        _MACVTAP_MODE_INVALID, "br9"},
                        {"<forward/><bridge name='virbr0'/>", DOMAIN_INTERFACE_BRIDGE, _MACVTAP_MODE_INVALID,
                                        "virbr0"},
                        {"<forward mode='route'/><bridge name='virbr1'/>", DOMAIN_INTERFACE_BRIDGE,
                                        _MACVTAP_MODE_INVALID, "virbr1"},
                        {"<forward mode='hostdev' managed='yes'><pf dev='eth2'/></forward>",
                                        DOMAIN_INTERFACE_HOSTDEV, _MACVTAP_MODE_INVALID, ""},
        };
        static const char domain[] = "<domain><name>f</name><devices><interface type='network'>"
                                     "<source network='f'/></interface></devices></domain>";
        _cleanup_(domain_xml_done) DomainXml d = {};

        assert_int_equal(parse_domain(domain, &d, NULL), 0);
        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                _cleanup_free_ char *xml = NULL;
                _cleanup_(network_xml_done) NetworkXml n = {};
                ResolvedInterface r;

                assert_true(asprintf(&xml, "<network><name>f</name>%s</network>", cases[k].forward) > 0);
                assert_int_equal(parse_network(xml, &n, NULL), 0);
                resolve_ok(&d.interfaces[0], &n, &r);
                if (r.type != cases[k].type || r.mode != cases[k].mode || !streq(r.bridge, cases[k].bridge))
                        fail_msg("case %zu: type %d mode %d bridge '%s'", k, r.type, r.mode, r.bridge);
        }
}

/* Replaces the first "@" in 'template' by 'part'. */
static char *fill(const char *template, const char *part) {
        const char *at = strchr(template, '@');
        char *s = NULL;

        assert_non_null(at);
        assert_true(asprintf(&s, "%.*s%s%s", (int) (at - template), template, part, at + 1) > 0);
        return s;
}

static const char one_interface[] = "<domain type='kvm' id='3'>\n"
                                    "  <name>bad</name>\n"
                                    "  <devices>\n"
                                    "    <interface type='bridge'>\n"
                                    "@"
                                    "    </interface>\n"
                                    "  </devices>\n"
                                    "</domain>\n";

typedef struct BadCase {
        const char *xml; /* put into one_interface, or a whole document when it starts with '<' or '#' */
        int r;
        const char *error; /* the exact message; ending in '*', its start (libxml2's words vary) */
} BadCase;

static bool message_matches(const char *got, const char *want) {
        size_t n;

        if (!got || !want)
                return got == want;
        n = strlen(want);
        if (n > 0 && want[n - 1] == '*')
                return strncmp(got, want, n - 1) == 0;
        return streq(got, want);
}

static const BadCase bad_cases[] = {
                {"<domain><name>a</name><vcpu>0</vcpu></domain>", -ERANGE,
                                "domain XML line 1: <vcpu>: not a vCPU count 1-16384"},
                {"<domain><name>a</name><vcpu>16385</vcpu></domain>", -ERANGE,
                                "domain XML line 1: <vcpu>: not a vCPU count 1-16384"},
                {"<domain><name>a</name><vcpu>two</vcpu></domain>", -ERANGE,
                                "domain XML line 1: <vcpu>: not a vCPU count 1-16384"},
                {"<domain><name>a</name><vcpu current='5'>4</vcpu></domain>", -ERANGE,
                                "domain XML line 1: <vcpu current='5'>: not a vCPU count within <vcpu>"},
                {"<domain><name>a</name><vcpu current='0'>4</vcpu></domain>", -ERANGE,
                                "domain XML line 1: <vcpu current='0'>: not a vCPU count within <vcpu>"},
                {"<domain><name>a</name><vcpu>1</vcpu><vcpu>2</vcpu></domain>", -EINVAL,
                                "domain XML line 1: more than one <vcpu>"},
                {"      <mac address='52:54:00:zz:00:01'/>\n", -EINVAL,
                                "domain XML line 5: <mac address='52:54:00:zz:00:01'>: not a MAC address"},
                {"      <mac/>\n", -EINVAL, "domain XML line 5: <mac> without address="},
                {"      <mac address='52:54:00:00:00:01'/>\n      <mac address='52:54:00:00:00:02'/>\n",
                                -EINVAL, "domain XML line 6: more than one <mac> in <interface>"},
                {"      <target dev='a-name-of-16-byt'/>\n", -EINVAL,
                                "domain XML line 5: <target dev='a-name-of-16-byt'>: longer than 15 bytes"},
                {"      <target dev='../etc'/>\n", -EINVAL,
                                "domain XML line 5: <target dev='../etc'>: may not contain '/', ':' or "
                                "whitespace"},
                {"      <source bridge='br 0'/>\n", -EINVAL,
                                "domain XML line 5: <source bridge='br 0'>: may not contain '/', ':' or "
                                "whitespace"},
                {"      <source network='a/b'/>\n", -EINVAL,
                                "domain XML line 5: <source network='a/b'>: not a name (1 or more bytes, no "
                                "'/')"},
                {"      <source network='&#9;'/>\n", -EINVAL,
                                "domain XML line 5: <source network='?'>: contains control characters"},
                {"      <driver queues='0'/>\n", -ERANGE,
                                "domain XML line 5: <driver queues='0'>: not a queue count 1-1024"},
                {"      <driver queues='1025'/>\n", -ERANGE,
                                "domain XML line 5: <driver queues='1025'>: not a queue count 1-1024"},
                {"      <driver queues='-1'/>\n", -ERANGE,
                                "domain XML line 5: <driver queues='-1'>: not a queue count 1-1024"},
                {"      <model type='virtio net'/>\n", -EINVAL,
                                "domain XML line 5: <model type='virtio net'>: may only contain A-Z a-z 0-9 "
                                "_ . -"},
                {"      <alias name='net0;rm'/>\n", -EINVAL,
                                "domain XML line 5: <alias name='net0;rm'>: may only contain A-Z a-z 0-9 _ "
                                ". -"},
                {"      <vlan><tag id='4096'/></vlan>\n", -ERANGE,
                                "domain XML line 5: <tag id='4096'>: not a VLAN id 0-4095"},
                {"      <vlan><tag id='0x10'/></vlan>\n", -ERANGE,
                                "domain XML line 5: <tag id='0x10'>: not a VLAN id 0-4095"},
                {"      <vlan><tag/></vlan>\n", -EINVAL, "domain XML line 5: <tag> without id="},
                {"      <vlan></vlan>\n", -EINVAL, "domain XML line 5: <vlan> without <tag id=...>"},
                {"      <vlan trunk='yes'><tag id='10'/><tag id='10'/></vlan>\n", -EINVAL,
                                "domain XML line 5: <tag id='10'>: VLAN 10 given twice"},
                {"      <vlan trunk='no'><tag id='10'/><tag id='20'/></vlan>\n", -EINVAL,
                                "domain XML line 5: <vlan trunk='no'>: more than one tag needs trunk='yes'"},
                {"      <vlan trunk='no'><tag id='10' nativeMode='untagged'/></vlan>\n", -EINVAL,
                                "domain XML line 5: <vlan trunk='no'>: a native VLAN needs trunk='yes'"},
                {"      <vlan trunk='sometimes'><tag id='10'/></vlan>\n", -EINVAL,
                                "domain XML line 5: <vlan trunk='sometimes'>: not yes or no"},
                {"      <vlan trunk='yes'><tag id='10' nativeMode='untagged'/><tag id='20' "
                 "nativeMode='tagged'/></vlan>\n",
                                -EINVAL,
                                "domain XML line 5: <tag id='20'>: a second native VLAN (10 is native "
                                "already)"},
                {"      <vlan trunk='yes'><tag id='10' nativeMode='default'/></vlan>\n", -EINVAL,
                                "domain XML line 5: <tag nativeMode='default'>: not tagged or untagged"},
                {"      <source bridge='br0' mode='loopback'/>\n", 0, NULL}, /* mode= is a macvtap's only */
                {"<domain type='kvm'><name>d</name><devices><interface type='direct'><source dev='eth0' "
                 "mode='loopback'/></interface></devices></domain>",
                                -EINVAL,
                                "domain XML line 1: <source mode='loopback'>: not one of vepa, bridge, "
                                "private, "
                                "passthrough"},
                {"<domain><name>d</name><devices><interface type='bridge' "
                 "trustGuestRxFilters='maybe'/></devices>"
                 "</domain>",
                                -EINVAL,
                                "domain XML line 1: <interface trustGuestRxFilters='maybe'>: not yes or no"},
                {"<domain><name>d</name><devices><interface/></devices></domain>", -EINVAL,
                                "domain XML line 1: <interface> without type="},
                {"<domain><name>d</name><devices><interface type='bri dge'/></devices></domain>", -EINVAL,
                                "domain XML line 1: <interface type='bri dge'>: not an interface type"},
                {"<domain><name>d</name><devices><interface type='bridge'><alias name='net0'/></interface>"
                 "<interface type='bridge'><alias name='net0'/></interface></devices></domain>",
                                -EINVAL,
                                "domain XML line 1: <alias name='net0'>: a second interface with it"},
                {"<domain id='x'><name>d</name></domain>", -EINVAL,
                                "domain XML line 1: <domain id='x'>: not a domain id"},
                {"<domain><uuid>5debac3f-b058-4221-b103-7209ef3381e</uuid><name>d</name></domain>", -EINVAL,
                                "domain XML line 1: <uuid>5debac3f-b058-4221-b103-7209ef3381e</uuid>: not a "
                                "UUID"},
                {"<domain><uuid>9067a0de-055f-4a7c-beb8-fc1315a87a9ec</uuid><name>d</name></domain>",
                                -EINVAL,
                                "domain XML line 1: <uuid>9067a0de-055f-4a7c-beb8-fc1315a87a9ec</uuid>: not "
                                "a UUID"},
                {"<domain><name>a/b</name></domain>", -EINVAL,
                                "domain XML line 1: <name>: not a domain name"},
                {"<domain><name>a</name><name>b</name></domain>", -EINVAL,
                                "domain XML line 1: more than one <name>"},
                {"<domain><devices/></domain>", -EINVAL, "domain XML line 1: <domain> without <name>"},
                {"<domain><name>d</name><devices/><devices/></domain>", -EINVAL,
                                "domain XML line 1: more than one <devices>"},
                {"<network><name>d</name></network>", -EINVAL,
                                "domain XML line 1: root element is <network>, expected <domain>"},
                {"<domain xmlns='urn:x'><name>d</name></domain>", -EINVAL,
                                "domain XML line 1: root element is <domain>, expected <domain>"},
                {"<domain><name>d</name>", -EINVAL,
                                "domain XML line 1: not well-formed XML: Premature end of data in tag "
                                "domain line 1"},
                {"", -EINVAL, "domain XML line 1: not well-formed XML: *"},
                {"<!DOCTYPE domain [<!ENTITY a 'aaaa'>]><domain><name>&a;</name></domain>", -EINVAL,
                                "domain XML: a DTD (<!DOCTYPE>) is not allowed"},
                {"<!DOCTYPE domain SYSTEM 'http://example.org/d.dtd'><domain><name>d</name></domain>",
                                -EINVAL, "domain XML: a DTD (<!DOCTYPE>) is not allowed"},
                /* only UTF-8, whatever the document declares */
                {"<?xml version='1.0' encoding='ISO-8859-1'?><domain><name>caf\xe9</name></domain>", -EINVAL,
                                "domain XML line 1: not well-formed XML: *"},
                {"<?xml version='1.0' encoding='UTF-16'?><domain><name>d</name></domain>", 0, NULL},
                {"<domain><name>&x;</name></domain>", -EINVAL, "domain XML line 1: not well-formed XML: *"},
};

/* <vcpu>: the vCPUs online now; hot-plug moves 'current' below the maximum. */
static void test_vcpus(void **state) {
        static const struct {
                const char *xml;
                unsigned vcpus;
        } cases[] = {
                        {"<domain><name>a</name><vcpu placement='static'>4</vcpu></domain>", 4},
                        {"<domain><name>a</name><vcpu placement='static' current='2'>8</vcpu></domain>", 2},
                        {"<domain><name>a</name><vcpu current='16384'>16384</vcpu></domain>", 16384},
                        {"<domain><name>a</name></domain>", 0},
        };

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                _cleanup_(domain_xml_done) DomainXml d = {};

                assert_int_equal(parse_domain(cases[k].xml, &d, NULL), 0);
                assert_int_equal(d.vcpus, cases[k].vcpus);
        }
}

static void test_bad_values(void **state) {
        for (size_t k = 0; k < ELEMENTSOF(bad_cases); k++) {
                const BadCase *c = &bad_cases[k];
                _cleanup_free_ char *xml = NULL, *error = NULL;
                DomainXml d = {.name = "sentinel", .id = -7};
                int r;

                xml = c->xml[0] == '<' || c->xml[0] == 0 ? strdup(c->xml) : fill(one_interface, c->xml);
                assert_non_null(xml);
                r = parse_domain(xml, &d, &error);
                if (r != c->r || !message_matches(error, c->error))
                        fail_msg("case %zu: got %d \"%s\", want %d \"%s\"", k, r, strempty(error), c->r,
                                        strempty(c->error));
                if (r < 0) {
                        /* untouched on failure */
                        assert_string_equal(d.name, "sentinel");
                        assert_int_equal(d.id, -7);
                        assert_null(d.interfaces);
                } else
                        domain_xml_done(&d);
        }
}

static const char metadata_template[] =
                "<domain type='kvm'>\n"
                "  <name>m</name>\n"
                "  <metadata>\n"
                "    <other:thing xmlns:other='http://example.org/other/1'><x/></other:thing>\n"
                "    <vnicd:nics xmlns:vnicd='https://vnicd.org/xmlns/vnicd/1'>\n"
                "@"
                "    </vnicd:nics>\n"
                "  </metadata>\n"
                "  <devices>\n"
                "    <interface type='bridge'>\n"
                "      <mac address='52:54:00:00:00:01'/>\n"
                "      <alias name='net0'/>\n"
                "    </interface>\n"
                "    <interface type='direct'>\n"
                "      <mac address='52:54:00:00:00:02'/>\n"
                "      <alias name='net1'/>\n"
                "    </interface>\n"
                "  </devices>\n"
                "</domain>\n";

typedef struct EntryCase {
        const char *entries;
        int interface;      /* of the first entry */
        int net0, net1;     /* the interfaces' metadata indexes */
        const char *error;  /* of the first entry; "" none */
        const char *error2; /* of the second entry, if any */
} EntryCase;

static const EntryCase entry_cases[] = {
                {"<vnicd:nic alias='net0' allowed-vlans='10,5000'/>", 0, 0, -1,
                                "domain XML line 6: <vnicd:nic allowed-vlans='10,5000'>: not a list of VLAN "
                                "ids "
                                "1-4094 and ranges (10,20,100-110)"},
                {"<vnicd:nic alias='net0' allowed-vlans='0,10'/>", 0, 0, -1,
                                "domain XML line 6: <vnicd:nic allowed-vlans='0,10'>: not a list of VLAN "
                                "ids 1-4094 "
                                "and ranges (10,20,100-110)"},
                {"<vnicd:nic alias='net0' allowed-vlans=''/>", 0, 0, -1,
                                "domain XML line 6: <vnicd:nic allowed-vlans=''>: needs a value"},
                {"<vnicd:nic alias='net0' native-vlan='4095'/>", 0, 0, -1,
                                "domain XML line 6: <vnicd:nic native-vlan='4095'>: not a VLAN id 1-4094"},
                {"<vnicd:nic alias='net0' native-vlan='10' allowed-vlans='10-20'/>", 0, 0, -1,
                                "domain XML line 6: <vnicd:nic native-vlan='10'>: the native VLAN is also "
                                "in the "
                                "allowed VLANs (it is untagged)"},
                {"<vnicd:nic alias='net0' trust='maybe'/>", 0, 0, -1,
                                "domain XML line 6: <vnicd:nic trust='maybe'>: not yes or no"},
                {"<vnicd:nic alias='net0' learning='2'/>", 0, 0, -1,
                                "domain XML line 6: <vnicd:nic learning='2'>: not yes or no"},
                {"<vnicd:nic alias='net0' allowed_vlans='10'/>", 0, 0, -1,
                                "domain XML line 6: <vnicd:nic allowed_vlans='10'>: unknown attribute"},
                {"<vnicd:nic alias='net0' vnicd:trust='yes'/>", 0, 0, -1,
                                "domain XML line 6: <vnicd:nic vnicd:trust=...>: vnicd's attributes take no "
                                "prefix"},
                {"<vnicd:nic alias='net9' trust='yes'/>", -1, -1, -1,
                                "domain XML line 6: <vnicd:nic alias='net9'>: no interface has this alias"},
                {"<vnicd:nic mac='52:54:00:00:00:09'/>", -1, -1, -1,
                                "domain XML line 6: <vnicd:nic mac='52:54:00:00:00:09'>: no interface has "
                                "this MAC"},
                {"<vnicd:nic mac='52-54-00-00-00-01'/>", -1, -1, -1,
                                "domain XML line 6: <vnicd:nic mac='52-54-00-00-00-01'>: not a MAC address"},
                {"<vnicd:nic alias='net 0'/>", -1, -1, -1,
                                "domain XML line 6: <vnicd:nic alias='net 0'>: not a device alias (1-63 of "
                                "A-Z a-z "
                                "0-9 _ . -)"},
                {"<vnicd:nic trust='yes'/>", -1, -1, -1,
                                "domain XML line 6: <vnicd:nic>: needs alias= or mac= to name its "
                                "interface"},
                {"<vnicd:nic alias='net0' mac='52:54:00:00:00:02'/>", -1, -1, -1,
                                "domain XML line 6: <vnicd:nic alias='net0' mac='52:54:00:00:00:02'>: alias "
                                "and MAC "
                                "name different interfaces"},
                {"<vnicd:nic alias='net1' mac='52:54:00:00:00:02' trust='on'/>", 1, -1, 0, ""},
                {"<vnicd:nic alias='net0' multiqueue-apply='next-boot'/>", 0, 0, -1, ""},
                {"<vnicd:nic alias='net0' multiqueue-apply='now'/>", 0, 0, -1,
                                "domain XML line 6: <vnicd:nic multiqueue-apply='now'>: not report, "
                                "guest-agent or next-boot"},
                {"<vnicd:nic alias='net0' multiqueue-guest-stats='yes'/>", 0, 0, -1, ""},
                {"<vnicd:nic alias='net0' multiqueue-guest-stats='ethtool'/>", 0, 0, -1,
                                "domain XML line 6: <vnicd:nic multiqueue-guest-stats='ethtool'>: not yes "
                                "or no"},
                /* the second entry for one NIC is refused, and the NIC shows that, not the first entry */
                {"<vnicd:nic alias='net0' trust='yes'/>\n<vnicd:nic mac='52:54:00:00:00:01' trust='no'/>", 0,
                                1, -1, "",
                                "domain XML line 7: <vnicd:nic>: interface net0 has another <vnicd:nic> "
                                "already, at "
                                "line 6"},
                /* the first problem of an entry is the one reported */
                {"<vnicd:nic alias='net1' trust='x' learning='y'/>", 1, -1, 0,
                                "domain XML line 6: <vnicd:nic trust='x'>: not yes or no"},
                {"<vnicd:nic alias='net0' learning='no' unicast-flood='false' multicast-flood='1'/>\n"
                 "<vnicd:nic alias='net1' trust='no'/>",
                                0, 0, 1, "", ""},
};

static void test_metadata_entries(void **state) {
        for (size_t k = 0; k < ELEMENTSOF(entry_cases); k++) {
                const EntryCase *c = &entry_cases[k];
                _cleanup_free_ char *xml = fill(metadata_template, c->entries), *error = NULL;
                _cleanup_(domain_xml_done) DomainXml d = {};
                int r;

                r = parse_domain(xml, &d, &error);
                if (r < 0)
                        fail_msg("case %zu: %s", k, strempty(error));
                assert_int_equal(d.n_interfaces, 2);
                assert_true(d.n_metadata >= 1);
                if (!streq(d.metadata[0].error, c->error))
                        fail_msg("case %zu: error \"%s\", want \"%s\"", k, d.metadata[0].error, c->error);
                if (c->error2 && (d.n_metadata < 2 || !streq(d.metadata[1].error, c->error2)))
                        fail_msg("case %zu: second error \"%s\", want \"%s\"", k,
                                        d.n_metadata > 1 ? d.metadata[1].error : "(none)", c->error2);
                assert_int_equal(d.metadata[0].interface, c->interface);
                assert_int_equal(d.interfaces[0].metadata, c->net0);
                assert_int_equal(d.interfaces[1].metadata, c->net1);
        }
}

static void test_metadata_values(void **state) {
        _cleanup_free_ char *xml = fill(metadata_template,
                        "<vnicd:nic alias='net0' learning='no' unicast-flood='false' multicast-flood='1' "
                        "allowed-vlans=' 20, 100-102 ' native-vlan='10'/>");
        _cleanup_(domain_xml_done) DomainXml d = {};
        const DomainMetadataNic *m;

        assert_int_equal(parse_domain(xml, &d, NULL), 0);
        m = domain_interface_metadata(&d, &d.interfaces[0]);
        assert_non_null(m);
        assert_string_equal(m->error, "");
        assert_int_equal(m->settings.trust, -1);
        assert_int_equal(m->settings.learning, 0);
        assert_int_equal(m->settings.unicast_flood, 0);
        assert_int_equal(m->settings.multicast_flood, 1);
        assert_vids(&m->settings.allowed_vlans, "20,100-102");
        assert_int_equal(m->settings.native_vlan, 10);
        assert_null(domain_interface_metadata(&d, &d.interfaces[1]));
}

typedef struct MetadataBad {
        const char *metadata;
        int r;
        const char *error;
} MetadataBad;

static const MetadataBad metadata_bad[] = {
                {"<vnicd:nics xmlns:vnicd='https://vnicd.org/xmlns/vnicd/1'><nic "
                 "alias='net0'/></vnicd:nics>",
                                -EINVAL,
                                "domain XML line 1: unknown element <nic> in <vnicd:nics> (vnicd's elements "
                                "need its "
                                "namespace)"},
                {"<vnicd:nics xmlns:vnicd='https://vnicd.org/xmlns/vnicd/1'><vnicd:port/></vnicd:nics>",
                                -EINVAL, "domain XML line 1: unknown element <vnicd:port> in <vnicd:nics>"},
                {"<vnicd:nic xmlns:vnicd='https://vnicd.org/xmlns/vnicd/1'/>", -EINVAL,
                                "domain XML line 1: unknown element <vnicd:nic> in <metadata>"},
                {"<v:nics xmlns:v='https://vnicd.org/xmlns/vnicd/1'/><w:nics "
                 "xmlns:w='https://vnicd.org/xmlns/vnicd/1'/>",
                                -EINVAL, "domain XML line 1: more than one <w:nics>"},
                {"<vnicd:nics xmlns:vnicd='https://vnicd.org/xmlns/vnicd/2'/>", -EINVAL,
                                "domain XML line 1: namespace https://vnicd.org/xmlns/vnicd/2: this vnicd "
                                "reads "
                                "https://vnicd.org/xmlns/vnicd/1 only"},
                /* a default namespace works as well as a prefix */
                {"<nics xmlns='https://vnicd.org/xmlns/vnicd/1'><nic alias='x'/></nics>", 0, NULL},
                /* someone else's metadata is none of our business */
                {"<nics xmlns='https://example.org/nics'><nic alias='x' trust='maybe'/></nics>", 0, NULL},
};

static void test_metadata_structure(void **state) {
        static const char template[] = "<domain><name>m</name><metadata>@</metadata></domain>";

        for (size_t k = 0; k < ELEMENTSOF(metadata_bad); k++) {
                const MetadataBad *c = &metadata_bad[k];
                _cleanup_free_ char *xml = fill(template, c->metadata), *error = NULL;
                _cleanup_(domain_xml_done) DomainXml d = {};
                int r;

                r = parse_domain(xml, &d, &error);
                if (r != c->r || !message_matches(error, c->error))
                        fail_msg("case %zu: got %d \"%s\", want %d \"%s\"", k, r, strempty(error), c->r,
                                        strempty(c->error));
        }
}

/* A domain with 'n_interfaces' bridge interfaces (aliases net0...) and 'n_entries' metadata entries. */
static char *many(size_t n_interfaces, size_t n_entries) {
        _cleanup_free_ char *s = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&s, &size);
        assert_non_null(f);
        fprintf(f, "<domain><name>many</name><metadata><vnicd:nics xmlns:vnicd='" VNICD_XMLNS "'>\n");
        for (size_t i = 0; i < n_entries; i++)
                fprintf(f, "<vnicd:nic alias='net%zu' trust='yes'/>\n", i);
        fprintf(f, "</vnicd:nics></metadata><devices>\n");
        for (size_t i = 0; i < n_interfaces; i++)
                fprintf(f, "<interface type='bridge'><alias name='net%zu'/></interface>\n", i);
        fprintf(f, "</devices></domain>\n");
        assert_int_equal(fclose(f), 0);
        return TAKE_PTR(s);
}

static void test_limits(void **state) {
        _cleanup_free_ char *ok = many(DOMAIN_INTERFACES_MAX, DOMAIN_METADATA_NICS_MAX);
        _cleanup_free_ char *too_many_ifs = many(DOMAIN_INTERFACES_MAX + 1, 0);
        _cleanup_free_ char *too_many_entries = many(1, DOMAIN_METADATA_NICS_MAX + 1);
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL, *e5 = NULL, *big = NULL,
                            *tags = NULL;
        _cleanup_free_ char *long_name = NULL, *name = NULL;
        _cleanup_(domain_xml_done) DomainXml d = {};
        DomainXml fail = {};
        size_t size = 0;
        FILE *f;

        assert_int_equal(parse_domain(ok, &d, NULL), 0);
        assert_int_equal(d.n_interfaces, DOMAIN_INTERFACES_MAX);
        assert_int_equal(d.n_metadata, DOMAIN_METADATA_NICS_MAX);
        for (size_t i = 0; i < d.n_interfaces; i++)
                assert_int_equal(d.interfaces[i].metadata, (int) i);
        domain_xml_done(&d);

        assert_int_equal(parse_domain(too_many_ifs, &fail, &e1), -E2BIG);
        assert_string_equal(e1, "domain XML line 67: more than 64 <interface> elements");
        assert_int_equal(parse_domain(too_many_entries, &fail, &e2), -E2BIG);
        assert_string_equal(e2, "domain XML line 66: more than 64 <vnicd:nic> entries");

        /* the size bound holds before libxml2 sees a byte */
        big = malloc(DOMAIN_XML_MAX + 1);
        assert_non_null(big);
        memset(big, ' ', DOMAIN_XML_MAX + 1);
        assert_int_equal(domain_xml_parse(big, DOMAIN_XML_MAX + 1, &fail, &e3), -E2BIG);
        assert_string_equal(e3, "domain XML: larger than 4194304 bytes");

        /* every VID once is the most a <vlan> can hold */
        f = open_memstream(&tags, &size);
        assert_non_null(f);
        fprintf(f, "<domain><name>t</name><devices><interface type='bridge'><vlan trunk='yes'>");
        for (unsigned v = 0; v < VLAN_VID_COUNT; v++)
                fprintf(f, "<tag id='%u'/>", v);
        fprintf(f, "</vlan></interface></devices></domain>");
        assert_int_equal(fclose(f), 0);
        assert_int_equal(parse_domain(tags, &d, NULL), 0);
        assert_int_equal(vlan_set_count(&d.interfaces[0].vlan.tags), VLAN_VID_COUNT);
        domain_xml_done(&d);

        /* names: 255 bytes fit, 256 do not */
        assert_true(asprintf(&name, "<domain><name>%0255d</name></domain>", 0) > 0);
        assert_int_equal(parse_domain(name, &d, NULL), 0);
        assert_int_equal(strlen(d.name), 255);
        domain_xml_done(&d);
        assert_true(asprintf(&long_name, "<domain><name>%0256d</name></domain>", 0) > 0);
        assert_int_equal(parse_domain(long_name, &fail, &e4), -EINVAL);
        assert_contains(e4, "domain XML line 1: <name>0000");
        assert_contains(e4, "...</name>: longer than 255 bytes");

        assert_int_equal(domain_xml_parse(NULL, 1, &fail, &e5), -EINVAL);
        assert_int_equal(domain_xml_parse("<domain/>", 9, NULL, NULL), -EINVAL);
        assert_null(fail.interfaces);
}

static void test_network_errors(void **state) {
        static const struct {
                const char *xml;
                int r;
                const char *error;
        } cases[] = {
                        {"<network><name>n</name><portgroup name='a'/><portgroup name='a'/></network>",
                                        -EINVAL,
                                        "network XML line 1: <portgroup name='a'>: a second one with this "
                                        "name"},
                        {"<network><name>n</name><portgroup name='a' default='yes'/><portgroup name='b' "
                         "default='yes'/>"
                         "</network>",
                                        -EINVAL,
                                        "network XML line 1: <portgroup name='b' default='yes'>: a second "
                                        "default one"},
                        {"<network><name>n</name><portgroup/></network>", -EINVAL,
                                        "network XML line 1: <portgroup> without name="},
                        {"<network><name>n</name><portgroup name='a' trustGuestRxFilters='1'/></network>",
                                        -EINVAL,
                                        "network XML line 1: <portgroup trustGuestRxFilters='1'>: not yes "
                                        "or no"},
                        {"<network><name>n</name><forward mode='tunnel'/></network>", -EINVAL,
                                        "network XML line 1: <forward mode='tunnel'>: not one of nat, "
                                        "route, open, bridge, "
                                        "private, vepa, passthrough, hostdev"},
                        {"<network><name>n</name><forward/></network>", 0, NULL},
                        {"<network><name>n</name><bridge name='br/0'/></network>", -EINVAL,
                                        "network XML line 1: <bridge name='br/0'>: may not contain '/', ':' "
                                        "or whitespace"},
                        {"<network><name>n</name><vlan><tag id='5000'/></vlan></network>", -ERANGE,
                                        "network XML line 1: <tag id='5000'>: not a VLAN id 0-4095"},
                        {"<network><name>n</name><bridge name='a'/><bridge name='b'/></network>", -EINVAL,
                                        "network XML line 1: more than one <bridge>"},
                        {"<network trustGuestRxFilters='true'><name>n</name></network>", -EINVAL,
                                        "network XML line 1: <network trustGuestRxFilters='true'>: not yes "
                                        "or no"},
                        {"<network/>", -EINVAL, "network XML line 1: <network> without <name>"},
                        {"<domain><name>n</name></domain>", -EINVAL,
                                        "network XML line 1: root element is <domain>, expected <network>"},
        };

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                _cleanup_free_ char *error = NULL;
                _cleanup_(network_xml_done) NetworkXml n = {};
                int r;

                r = parse_network(cases[k].xml, &n, &error);
                if (r != cases[k].r || !streq_ptr(error, cases[k].error))
                        fail_msg("case %zu: got %d \"%s\", want %d \"%s\"", k, r, strempty(error),
                                        cases[k].r, strempty(cases[k].error));
        }
}

static void test_network_limits(void **state) {
        _cleanup_free_ char *ok = NULL, *over = NULL, *error = NULL;
        _cleanup_(network_xml_done) NetworkXml n = {};
        NetworkXml fail = {.name = "sentinel"};

        for (int round = 0; round < 2; round++) {
                size_t size = 0;
                char **s = round == 0 ? &ok : &over;
                FILE *f = open_memstream(s, &size);

                assert_non_null(f);
                fprintf(f, "<network><name>n</name>");
                for (int i = 0; i < NETWORK_PORTGROUPS_MAX + round; i++)
                        fprintf(f, "<portgroup name='g%d'/>", i);
                fprintf(f, "</network>");
                assert_int_equal(fclose(f), 0);
        }
        assert_int_equal(parse_network(ok, &n, NULL), 0);
        assert_int_equal(n.n_portgroups, NETWORK_PORTGROUPS_MAX);
        assert_int_equal(parse_network(over, &fail, &error), -E2BIG);
        assert_string_equal(error, "network XML line 1: more than 64 <portgroup> elements");
        assert_string_equal(fail.name, "sentinel");
}

static void test_strings(void **state) {
        for (DomainInterfaceType t = 0; t < _DOMAIN_INTERFACE_TYPE_MAX; t++)
                if (t != DOMAIN_INTERFACE_OTHER)
                        assert_int_equal(domain_interface_type_from_string(
                                                         domain_interface_type_to_string(t)),
                                        t);
        assert_int_equal(domain_interface_type_from_string("other"), _DOMAIN_INTERFACE_TYPE_INVALID);
        assert_int_equal(domain_interface_type_from_string(NULL), _DOMAIN_INTERFACE_TYPE_INVALID);
        for (MacvtapMode m = 0; m < _MACVTAP_MODE_MAX; m++)
                assert_int_equal(macvtap_mode_from_string(macvtap_mode_to_string(m)), m);
        for (NetworkForwardMode m = NETWORK_FORWARD_NAT; m < _NETWORK_FORWARD_MODE_MAX; m++)
                assert_int_equal(network_forward_mode_from_string(network_forward_mode_to_string(m)), m);
        assert_int_equal(network_forward_mode_from_string("none"), _NETWORK_FORWARD_MODE_INVALID);
        assert_string_equal(vlan_native_mode_to_string(VLAN_NATIVE_UNTAGGED), "untagged");
        assert_string_equal(setting_origin_to_string(SETTING_ORIGIN_PORTGROUP), "portgroup");
        assert_null(setting_origin_to_string(_SETTING_ORIGIN_MAX));
        assert_null(domain_interface_type_to_string(-1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_live_domain),
                        cmocka_unit_test(test_vlans_and_other_types),
                        cmocka_unit_test(test_networks),
                        cmocka_unit_test(test_resolve_live),
                        cmocka_unit_test(test_resolve_precedence),
                        cmocka_unit_test(test_resolve_forward_modes),
                        cmocka_unit_test(test_vcpus),
                        cmocka_unit_test(test_bad_values),
                        cmocka_unit_test(test_metadata_entries),
                        cmocka_unit_test(test_metadata_values),
                        cmocka_unit_test(test_metadata_structure),
                        cmocka_unit_test(test_limits),
                        cmocka_unit_test(test_network_errors),
                        cmocka_unit_test(test_network_limits),
                        cmocka_unit_test(test_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
