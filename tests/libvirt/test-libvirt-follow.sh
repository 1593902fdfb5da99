#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# vnicd follows a libvirt domain: a private libvirtd (tests/lib/libvirt.sh) runs a TCG guest defined
# by domain XML, vnicd connects to it (no per-guest configuration) and the guest is driven from
# inside over a virtio-serial channel. After every step the host and 'vnicctl --json' are checked.
#
#   netns $NS; libvirtd and vnicd in libvirtd's mount namespace
#   +--------------------------------------------------------------------------------------+
#   |  domain vnic-follow (QEMU, TCG)                                                      |
#   |    net0 52:54:00:12:34:50 direct trustGuestRxFilters='yes' -> macvtapN  (libvirt's)   |
#   |    net1 52:54:00:12:34:51 direct, vnicd metadata trust='no' -> macvtapM (vnicd's)     |
#   |                                   \                /                                 |
#   |                              uplink (veth) --- uplink-peer                           |
#   |    net2 52:54:00:12:34:52 bridge br0, metadata allowed-vlans -> vnetK (vnicd's)       |
#   |  vnicd --libvirt-uri=<private socket>  <-- vnicctl (private D-Bus)                   |
#   +--------------------------------------------------------------------------------------+
#
# Steps: boot and ownership; the guest changes its MACs (libvirt syncs net0, vnicd refuses net1's
# and net2's per policy, nothing is queried on net0); guest reset (libvirt's reboot event: vnicd
# queries again); libvirtd restarted under vnicd (vnicd reconnects and converges); vnicd
# restarted (converges from libvirt and the kernel); hot-unplug and re-plug of net2; 'virsh
# destroy' (the guest and what vnicd made for it are gone).

# shellcheck source=../lib/sandbox.sh disable=SC2119
source "$(dirname "$0")/../lib/sandbox.sh"
# shellcheck source=../lib/libvirt.sh
source "$(dirname "$0")/../lib/libvirt.sh"
# shellcheck source=../lib/vnicd.sh
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip jq qemu-system-x86_64 libvirtd virsh nsenter unshare dbus-daemon
: "${VNIC_GUEST_EXEC:=$VNIC_BUILD_DIR/tests/tools/guest-exec}"
[[ -x $VNIC_GUEST_EXEC ]] || skip "guest-exec not built ($VNIC_GUEST_EXEC)"

DOM=vnic-follow
setup_ns NS || exit 1
libvirt_scenario_net || exit 1

sandbox_image || exit 1
__sandbox_dir || exit 1
G=$SANDBOX_DIR/$DOM
mkdir -p "$G" || exit 1
libvirtd_start || exit 1

libvirt_scenario_xml "$DOM" "$G" restart "
    <vnicd:nics xmlns:vnicd='https://vnicd.org/xmlns/vnicd/1'>
      <vnicd:nic mac='52:54:00:12:34:51' trust='no' mac-change='allowed' allowed-macs='52:54:00:aa:00:61'/>
      <vnicd:nic mac='52:54:00:12:34:52' allowed-vlans='10,20' native-vlan='1'/>
    </vnicd:nics>
  " >"$G/domain.xml"

out=$(virsh define "$G/domain.xml" 2>&1)
check_err $? "virsh define failed: $out"
out=$(virsh start "$DOM" 2>&1)
check_err $? "virsh start failed: $out"
[[ $RET -eq 0 ]] || exit 1

vnicd_libvirt_start "$G" debug || exit 1

busywait $((SANDBOX_READY_TIMEOUT * 1000)) libvirt_guest_ready "$G" 1
check_err $? "guest not ready; console: $(tail -n 5 "$G/console.log" 2>/dev/null)"
SANDBOX_AGENT=$G/agent.sock
E0=$(guest_nic 52:54:00:12:34:50)
E1=$(guest_nic 52:54:00:12:34:51)
E2=$(guest_nic 52:54:00:12:34:52)
[[ -n $E0 && -n $E1 && -n $E2 ]] || { echo "guest NICs not found: '$E0' '$E1' '$E2'"; exit 1; }
guest "/usr/sbin/ip link set $E0 up && /usr/sbin/ip link set $E1 up && /usr/sbin/ip link set $E2 up" >/dev/null

mapfile -t targets < <(virsh domiflist "$DOM" | awk 'NF == 5 { print $1 }')
log_info "host devices: ${targets[*]}; guest: $E0 $E1 $E2"

# --- boot: every NIC of the domain, from its XML, with who owns it -----------------------------
wait_nic "$DOM" net0 ".owner == \"libvirt\" and .host_device == \"${targets[0]}\" and .state == \"configured\" and .interface.type == \"direct\" and .interface.trustGuestRxFilters and .queries == 0"
check_err $? "net0 (trusted macvtap) is not reported as libvirt's"
wait_nic "$DOM" net1 ".owner == \"vnicd\" and .host_device == \"${targets[1]}\" and (.trusted | not) and (.trust_reason | test(\"metadata\")) and .state == \"configured\" and .in_sync and .queries >= 1"
check_err $? "net1 (untrusted macvtap) is not vnicd's, configured"
wait_nic "$DOM" net2 ".owner == \"vnicd\" and .host_device == \"${targets[2]}\" and .bridge.bridge == \"br0\" and .bridge.vlans.allowed == \"10,20\" and (.bridge.vlans.settings_origin | test(\"metadata\")) and .state == \"configured\""
check_err $? "net2 (tap in br0) is not vnicd's, configured with the metadata's VLANs"
g=$(vnicctl --json | jq -c --arg d "$DOM" '.guests[] | select(.name == $d) | {source, uuid, domain_id}')
jq -e '.source == "libvirt" and (.uuid | length == 36) and .domain_id >= 1' <<<"$g" >/dev/null
check_err $? "guest entry: $g"
vnicctl --json | jq -e '.daemon.libvirt.state == "connected" and .daemon.libvirt.connects == 1' >/dev/null
check_err $? "daemon.libvirt: $(vnicctl --json | jq -c .daemon.libvirt)"
log_test "boot: 3 NICs from the domain XML; net0 libvirt's, net1 and net2 vnicd's with metadata settings"

# --- the guest changes its MACs ----------------------------------------------------------------
guest "/usr/sbin/ip link set dev $E0 address 52:54:00:aa:00:50 && /usr/sbin/ip link set dev $E1 address 52:54:00:aa:00:51 && /usr/sbin/ip link set dev $E2 address 52:54:00:aa:00:52" >/dev/null
check_err $? "guest could not change its MACs"
wait_nic "$DOM" net0 '.host.mac == "52:54:00:aa:00:50" and .owner == "libvirt" and .queries == 0'
check_err $? "net0: libvirt did not sync the MAC, or vnicd queried a NIC libvirt owns"
wait_nic "$DOM" net1 '.asked.mac == "52:54:00:aa:00:51" and .host.mac == "52:54:00:12:34:51" and (.refusals | map(select(.field == "mac")) | length == 1)'
check_err $? "net1: the MAC change is not refused and shown"
[[ $(ip -n "$NS" -j link show dev "${targets[1]}" | jq -r '.[0].address') == 52:54:00:12:34:51 ]]
check_err $? "kernel: ${targets[1]} does not keep the configured MAC"
wait_nic "$DOM" net1 '.refusals | map(select(.field == "mac" and (.rule | test("MACChange=allowed .*metadata.*neither the configured MAC nor in AllowedMACs=")))) | length == 1'
check_err $? "net1: the refusal does not name the per-field rule and its origin"
wait_nic "$DOM" net2 '.asked.mac == "52:54:00:aa:00:52" and (.refusals | map(select(.field == "fdb")) | length == 1)'
check_err $? "net2: the FDB refusal is not shown"
# VNIC_CAPTURE_DIR=DIR keeps this document for vnicctl's golden tests (tests/cli/data).
[[ -z ${VNIC_CAPTURE_DIR:-} ]] || vnicctl --json | jq . >"$VNIC_CAPTURE_DIR/libvirt-domain.json"
log_test "guest MAC changes: libvirt syncs net0 (vnicd never queried it), vnicd refuses net1 and net2 per policy"

# --- per-field rule: net1 is untrusted but may take a MAC of its metadata's allowed-macs --------
guest "/usr/sbin/ip link set dev $E1 address 52:54:00:aa:00:61" >/dev/null
check_err $? "guest could not change net1's MAC"
wait_nic "$DOM" net1 '.asked.mac == "52:54:00:aa:00:61" and .host.mac == "52:54:00:aa:00:61" and .in_sync and (.host.promiscuous | not)'
check_err $? "net1: a MAC in allowed-macs is not applied"
[[ $(ip -n "$NS" -j link show dev "${targets[1]}" | jq -r '.[0].address') == 52:54:00:aa:00:61 ]]
check_err $? "kernel: ${targets[1]} does not have the allowed MAC"
log_test "per-field rule: untrusted net1 takes a MAC its metadata allows (mac-change='allowed'), nothing else"

# --- guest reset: libvirt's reboot event, no rx-filter event -> vnicd queries again -------------
q1=$(nic_json "$DOM" net1 | jq .queries)
out=$(virsh reset "$DOM" 2>&1)
check_err $? "virsh reset: $out"
busywait 20000 grep -q "$DOM: reset by libvirt or the guest; querying its NICs again" "$VNICD_LOG"
check_err $? "vnicd did not react to libvirt's reboot event"
wait_nic "$DOM" net1 ".queries > $q1 and .asked.mac == \"52:54:00:12:34:51\" and (.refusals | map(select(.field == \"mac\")) | length == 1)" 30000
check_err $? "net1: not queried again after the reset"
busywait $((SANDBOX_READY_TIMEOUT * 1000)) libvirt_guest_ready "$G" 2
check_err $? "guest not ready again after the reset"
log_test "guest reset: vnicd queries again on libvirt's reboot event (the filter is back to the configured MAC)"

# --- libvirtd restarted under vnicd ------------------------------------------------------------
libvirtd_restart || exit 1
busywait 30000 eval "vnicctl --json | jq -e '.daemon.libvirt.state == \"connected\" and .daemon.libvirt.connects == 2' >/dev/null"
check_err $? "vnicd did not reconnect: $(vnicctl --json | jq -c .daemon.libvirt)"
wait_nic "$DOM" net1 '.state == "configured" and .in_sync'
E1=$(guest_nic 52:54:00:12:34:51)
guest "/usr/sbin/ip link set dev $E1 up && /usr/sbin/ip link set dev $E1 promisc on" >/dev/null
wait_nic "$DOM" net1 '.asked.promiscuous and (.refusals | map(select(.field == "promiscuous")) | length == 1)'
check_err $? "net1: events are not followed after libvirtd came back"
log_test "libvirtd restarted: vnicd reconnects (keepalive/close, backoff), converges, follows events again"

# --- vnicd restarted ---------------------------------------------------------------------------
vnicd_stop
vnicd_libvirt_start "$G" debug || exit 1
wait_nic "$DOM" net1 '.asked.promiscuous and .state == "configured" and (.host.promiscuous | not)'
check_err $? "net1 after vnicd restart"
wait_nic "$DOM" net0 '.owner == "libvirt" and .state == "configured"'
check_err $? "net0 after vnicd restart"
log_test "vnicd restarted: the running domain is found again and converges"

# --- hot-unplug and re-plug of net2 (the tap in br0) ---------------------------------------------
fdb_static_52() {
        bridge -n "$NS" -j fdb show br br0 | jq -r '[.[] | select(.state == "static" and .mac == "52:54:00:12:34:52")] | length'
}
[[ $(fdb_static_52) -ge 1 ]]
check_err $? "before the unplug: br0 has no static FDB entry of net2 (nothing to check the unplug against)"
out=$(virsh detach-interface "$DOM" bridge --mac 52:54:00:12:34:52 --live 2>&1)
check_err $? "virsh detach-interface: $out"
# The guest ejects the device through ACPI; libvirt's device-removed event follows.
busywait 30000 eval "[[ -z \$(vnicctl --json | jq -r --arg d '$DOM' '.guests[] | select(.name == \$d) | .nics[] | select(.name == \"net2\") | .name') ]]"
check_err $? "net2 is still listed after the unplug: $(vnicctl --json | jq -c --arg d "$DOM" '[.guests[] | select(.name == $d) | .nics[].name]')"
! ip -n "$NS" link show dev "${targets[2]}" >/dev/null 2>&1
check_err $? "${targets[2]} still exists after the unplug"
static=$(fdb_static_52)
[[ $static == 0 ]]
check_err $? "br0 keeps $static static FDB entries of the unplugged NIC"
nic_json "$DOM" net1 | jq -e '.state == "configured"' >/dev/null
check_err $? "net1 changed with net2's unplug"
libvirt_interface_xml bridge:br0 52:54:00:12:34:52 >"$G/net2.xml"
out=$(virsh attach-device "$DOM" "$G/net2.xml" --live 2>&1)
check_err $? "virsh attach-device: $out"
dev=$(virsh domiflist "$DOM" | awk '$5 == "52:54:00:12:34:52" { print $1 }')
[[ -n $dev ]]
check_err $? "the re-plugged NIC is not in the domain: $(virsh domiflist "$DOM")"
# Its alias is libvirt's choice (the next free netN): found by the configured MAC.
busywait 30000 eval "vnicctl --json | jq -e --arg d '$DOM' '.guests[] | select(.name == \$d) | .nics[] | select(.configured_mac == \"52:54:00:12:34:52\")' >/dev/null"
replug=$(vnicctl --json | jq -r --arg d "$DOM" '.guests[] | select(.name == $d) | .nics[] | select(.configured_mac == "52:54:00:12:34:52") | .name')
wait_nic "$DOM" "$replug" ".owner == \"vnicd\" and .host_device == \"$dev\" and .bridge.bridge == \"br0\" and .bridge.vlans.allowed == \"10,20\" and (.bridge.vlans.settings_origin | test(\"metadata\")) and .state == \"configured\""
check_err $? "the re-plugged NIC ($replug on $dev) is not vnicd's with the metadata's VLANs"
busywait 10000 eval '[[ $(fdb_static_52) -ge 1 ]]'
check_err $? "the re-plugged NIC has no static FDB entry on br0"
log_test "hot-unplug and re-plug: net2 leaves with its tap and FDB entries, the new $replug ($dev) takes the metadata's settings"

# --- destroy ------------------------------------------------------------------------------------
out=$(virsh destroy "$DOM" 2>&1)
check_err $? "virsh destroy: $out"
busywait 20000 eval "[[ -z \$(vnicctl --json | jq -r --arg d '$DOM' '.guests[] | select(.name == \$d) | .name') ]]"
check_err $? "the destroyed domain is still listed: $(vnicctl --json | jq -c '.guests[].name')"
static=$(bridge -n "$NS" -j fdb show br br0 | jq -r '[.[] | select(.state == "static" and (.mac | startswith("52:54:00")))] | length')
[[ $static == 0 ]]
check_err $? "br0 keeps $static static guest FDB entries after destroy"
# libvirt deletes the taps before its lifecycle event: a vanished device is the NIC ending.
failed=$(grep -E "^$DOM/net[0-9]+: (state .* -> failed|host device .* does not exist)" "$VNICD_LOG")
[[ -z $failed ]]
check_err $? "a NIC was marked failed as libvirt removed its tap: $(tr '\n' ';' <<<"$failed")"
grep -qE "^$DOM/net[0-9]+: host device .* was removed" "$VNICD_LOG"
check_err $? "vnicd did not log that libvirt removed the host devices"
log_test "virsh destroy: the guest leaves vnicctl, nothing of it stays on br0, no NIC is reported failed"

grep -E "warning|error" "$VNICD_LOG" | head -n 5
exit "$EXIT_STATUS"
