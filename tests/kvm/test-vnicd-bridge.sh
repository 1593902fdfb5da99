#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the kernel VM (Debian's kernel: bridge VLAN filtering exists there). vnicd programs a
# guest's tap port in a VLAN-aware bridge: vlan_filtering set because a [Bridge] section says so,
# port VLANs = the guest's ∩ AllowedVLANs= with NativeVLAN= untagged PVID, one static FDB entry per
# VLAN for the guest's MAC, following VLAN and MAC changes; a VLAN added behind its back is removed;
# the uplink (the VM's virtio-net NIC, which filters unicast) leaves promiscuous mode.
#
# No QEMU guest can run in here: tests/tools/qmp-hostile's script mode stands in for QEMU and
# answers query-rx-filter with what the test writes (the guest side is covered on the host by
# tests/e2e/test-follow-bridge.sh); what this test checks is the kernel, and the kernel is real.
#
#   netns $SANDBOX_NS
#   +---------------------------------------------------------------+
#   |  br0 (vlan_filtering 1, set by vnicd)                         |
#   |   +-- tap0 (guest port: learning off, flood off, VLANs, FDB)  |
#   |   +-- $UPLINK (virtio-net when the VM has one, else a veth)   |
#   |  vnicd -- QMP -- qmp-hostile script;  vnicd -- D-Bus -- vnicctl|
#   +---------------------------------------------------------------+

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip bridge jq dbus-daemon busctl
[[ -x $VNIC_BUILD_DIR/tests/tools/qmp-hostile ]] || skip "qmp-hostile not built"
require_vlan_filtering

setup_ns NS
__sandbox_dir || exit 1
ip -n "$SANDBOX_NS" link add br0 up type bridge || exit 1
# A NIC whose driver filters unicast makes the point that the uplink can leave promiscuous mode.
UPLINK=
for dev in /sys/class/net/*; do
        d=${dev##*/}
        [[ $(readlink -f "$dev/device/driver" 2>/dev/null) == */virtio_net ]] || continue
        ip link set "$d" netns "$SANDBOX_NS" && UPLINK=$d && break
done
if [[ -z $UPLINK ]]; then
        sandbox_uplink
        UPLINK=uplink
fi
ip -n "$SANDBOX_NS" link set "$UPLINK" master br0 up || exit 1
ip -n "$SANDBOX_NS" tuntap add tap0 mode tap || exit 1
ip -n "$SANDBOX_NS" link set tap0 master br0 up || exit 1

filter() { # MAC VIDS-JSON-ARRAY
        qmp_peer_filter_nic "$SANDBOX_DIR" "$1" "$2"
}
filter 52:54:00:12:34:50 '[30, 20, 10, 0]'
qmp_peer_start "$SANDBOX_DIR" || exit 1

qmp_peer_conf "$SANDBOX_DIR" 2 10,20,100-110 5
vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1

port_vlans() { # "vid[p][u] ..." as the kernel reports them for tap0
        bridge -n "$SANDBOX_NS" -j vlan show dev tap0 |
                jq -r '[.[0].vlans[] | "\(.vlan)\(if (.flags // []) | index("PVID") then "p" else "" end)\(if (.flags // []) | index("Egress Untagged") then "u" else "" end)"] | join(" ")'
}
static_fdb() {
        bridge -n "$SANDBOX_NS" -j fdb show br br0 dev tap0 |
                jq -r '[.[] | select(.state == "static") | "\(.mac)@\(.vlan // 0)"] | sort | join(" ")'
}
is() { [[ $($1) == "$2" ]]; }

wait_nic vm net0 '.state == "configured" and .in_sync' 30000
check_err $? "vnicd did not configure the port"
[[ $(ip -n "$SANDBOX_NS" -d -j link show dev br0 | jq .[0].linkinfo.info_data.vlan_filtering) == 1 ]]
check_err $? "vnicd did not turn vlan_filtering on for br0"
is port_vlans "5pu 10 20"
check_err $? "kernel: tap0 VLANs are [$(port_vlans)], want [5pu 10 20]"
is static_fdb "52:54:00:12:34:50@10 52:54:00:12:34:50@20 52:54:00:12:34:50@5"
check_err $? "kernel: tap0 static FDB is [$(static_fdb)]"
nic_json vm net0 | jq -e '.bridge.vlans.refused == "30" and (.refusals[] | select(.field == "vlans") | .rule | test("vid 30 not in AllowedVLANs"))' >/dev/null
check_err $? "vnicctl does not show VID 30 refused: $(nic_json vm net0 | jq -c '.bridge.vlans, .refusals')"
log_test "vlan_filtering set; VLANs 10,20 + native 5 (PVID untagged); VID 30 refused; FDB per VLAN"

# The guest changes MAC and VLANs: 10 goes, 100-110 come.
filter 52:54:00:12:34:99 '[110, 109, 108, 107, 106, 105, 104, 103, 102, 101, 100, 20, 0]'
kill -USR1 "$QMP_PEER_PID"
wait_nic vm net0 '.in_sync and .asked.mac == "52:54:00:12:34:99" and .bridge.vlans.applied == "5,20,100-110"' 30000
check_err $? "vnicd did not follow the new MAC and VLANs"
is port_vlans "5pu 20 100 101 102 103 104 105 106 107 108 109 110"
check_err $? "kernel: tap0 VLANs are [$(port_vlans)]"
want=$(for v in 5 20 100 101 102 103 104 105 106 107 108 109 110; do echo "52:54:00:12:34:99@$v"; done | sort | tr '\n' ' ')
is static_fdb "${want% }"
check_err $? "kernel: tap0 static FDB is [$(static_fdb)]"
log_test "guest MAC and VLAN change: old entries and VLAN 10 gone, 100-110 with FDB entries"

bridge -n "$SANDBOX_NS" vlan add dev tap0 vid 500
busywait 15000 is port_vlans "5pu 20 100 101 102 103 104 105 106 107 108 109 110"
check_err $? "kernel: VLAN 500 added behind vnicd's back not removed: [$(port_vlans)]"
log_test "repair: a VLAN added with 'bridge vlan add' is removed"

promisc=$(ip -n "$SANDBOX_NS" -d -j link show dev "$UPLINK" | jq .[0].promiscuity)
reason=$(nic_json vm net0 | jq -r --arg u "$UPLINK" '.bridge.uplinks[] | select(.name == $u) | .reason')
log_info "uplink $UPLINK: promiscuity $promisc: $reason"
if [[ $UPLINK == uplink ]]; then
        [[ $reason == *"does not filter unicast"* ]]
        check_err $? "veth uplink: the reason does not name the driver: $reason"
else
        [[ $promisc == 0 && $reason == "not promiscuous"* ]]
        check_err $? "virtio-net uplink $UPLINK should have left promiscuous mode: promiscuity $promisc, '$reason'"
fi
log_test "uplink promiscuity matches the kernel's rules and is explained"

# QEMU (here its stand-in) goes away: the tap stays, vnicd's VLANs and entries leave it.
kill "$QMP_PEER_PID"
wait_nic vm net0 '.state == "gone"' 20000
check_err $? "vnicctl: NIC not gone after its QMP peer exited"
busywait 10000 is port_vlans ""
check_err $? "kernel: tap0 keeps VLANs after its guest is gone: [$(port_vlans)]"
busywait 10000 is static_fdb ""
check_err $? "kernel: tap0 keeps static FDB entries after its guest is gone: [$(static_fdb)]"
log_test "guest gone: its VLANs and static entries are removed from the tap left behind"

exit $EXIT_STATUS
