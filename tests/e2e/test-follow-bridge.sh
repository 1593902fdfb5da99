#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A guest on taps in a Linux bridge: vnicd turns learning and unicast flooding off on the guest
# ports and keeps a static FDB entry for the guest's MAC, following MAC changes for the trusted NIC
# and keeping the configured MAC for the untrusted one. The host kernel here has no bridge VLAN
# filtering: vnicd must say so (VLANs n/a); VLAN programming is tested in the kernel-VM tier.
#
#   netns $SANDBOX_NS
#   +---------------------------------------------------------------+
#   |  QEMU guest: net0 -- tap0 (Trust=yes)  net1 -- tap1 (Trust=no) |
#   |                       \                 /                      |
#   |                        br0 (bridge) --- uplink (veth)          |
#   |  vnicd -- QMP -- QEMU;  vnicd -- private D-Bus -- vnicctl       |
#   +---------------------------------------------------------------+

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip bridge jq socat qemu-system-x86_64 dbus-daemon busctl

setup_ns NS
sandbox_uplink
sandbox_bridge br0 tap0 tap1 || exit 1
sandbox_guest_start tap:tap0 tap:tap1 || exit 1

cat >"$SANDBOX_DIR/vnicd.conf" <<CONF
[Manager]
DebounceSec=0.02
ResyncSec=1

[Guest]
Name=web
QMPSocket=$SANDBOX_QMP

[Interface]
Guest=web
Name=net0
HostDevice=tap0
Trust=yes
AllowedVLANs=10,20

[Interface]
Guest=web
Name=net1
HostDevice=tap1
Trust=no
CONF
vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1
sandbox_guest_wait_ready || exit 1
G0=$(guest_nic 52:54:00:12:34:50)
G1=$(guest_nic 52:54:00:12:34:51)

port_flags() { # PORT: "learning flood"
        bridge -n "$SANDBOX_NS" -j -d link show dev "$1" | jq -r '.[0] | "\(.learning) \(.flood)"'
}
synced='.state == "configured" and .in_sync and .bridge != null'

# --- boot: flags off, a static entry for each guest's MAC ----------------------------------------
wait_nic web net0 "$synced" 30000
check_err $? "trusted bridge port not configured"
wait_nic web net1 "$synced" 30000
check_err $? "untrusted bridge port not configured"
for t in tap0 tap1; do
        [[ $(port_flags $t) == "false false" ]]
        check_err $? "kernel: $t learning/flood are $(port_flags $t), not off"
done
busywait 5000 bridge_has_static tap0 "52:54:00:12:34:50 0"
check_err $? "kernel: tap0 static FDB is [$(bridge_static_macs tap0)]"
busywait 5000 bridge_has_static tap1 "52:54:00:12:34:51 0"
check_err $? "kernel: tap1 static FDB is [$(bridge_static_macs tap1)]"
[[ $(port_flags uplink) == "true true" ]]
check_err $? "vnicd touched the uplink's flags: $(port_flags uplink)"
log_test "boot: guest ports learning/flood off, static FDB for the guests' MACs, uplink untouched"

nic_json web net0 | jq -e '.bridge.vlan_filtering == false and (.decisions[] | select(.field == "vlans") | .action == "n/a" and (.reason | test("not VLAN-aware")))' >/dev/null
check_err $? "vnicctl does not say VLANs cannot be applied on a bridge without vlan_filtering"
nic_json web net0 | jq -e '.bridge.uplinks[] | select(.name == "uplink") | .promiscuous and (.reason | test("bridge br0 is not VLAN-aware"))' >/dev/null
check_err $? "vnicctl does not explain why the uplink is promiscuous: $(nic_json web net0 | jq -c .bridge.uplinks)"
log_test "vnicctl: VLANs n/a without vlan_filtering, uplink promiscuity explained"

# --- MAC change: the trusted port's entry follows, the untrusted one keeps its MAC ---------------
guest "/usr/sbin/ip link set dev $G0 address 52:54:00:12:34:99 && /usr/sbin/ip link set dev $G1 address 52:54:00:12:34:98" >/dev/null
check_err $? "guest could not change its MACs"
wait_nic web net0 "$synced and .asked.mac == \"52:54:00:12:34:99\"" 30000
check_err $? "vnicctl: trusted port not in sync after the MAC change"
busywait 5000 bridge_has_static tap0 "52:54:00:12:34:99 0"
check_err $? "kernel: tap0 static FDB after the MAC change is [$(bridge_static_macs tap0)]"
wait_nic web net1 '.asked.mac == "52:54:00:12:34:98" and (.refusals | map(select(.field == "fdb")) | length == 1)' 30000
check_err $? "vnicctl: untrusted MAC change not refused"
bridge_has_static tap1 "52:54:00:12:34:51 0"
check_err $? "kernel: untrusted tap1 FDB changed: [$(bridge_static_macs tap1)]"
log_test "mac change: trusted entry follows (old one gone), untrusted keeps the configured MAC"

# --- behind vnicd's back ------------------------------------------------------------------------
bridge -n "$SANDBOX_NS" fdb del 52:54:00:12:34:99 dev tap0 master
bridge -n "$SANDBOX_NS" link set dev tap0 learning on
busywait 15000 bridge_has_static tap0 "52:54:00:12:34:99 0"
check_err $? "kernel: deleted FDB entry not repaired: [$(bridge_static_macs tap0)]"
busywait 15000 test "$(port_flags tap0)" == "false false"
check_err $? "kernel: learning turned on behind vnicd's back not repaired: $(port_flags tap0)"
log_test "repair: FDB entry deleted and learning turned on behind vnicd's back"

# --- multicast: the bridge snoops, so the trusted guest's groups become L2 MDB entries ----------
# IP groups (the guest's 33:33:…, 01:00:5e:…) are the bridge's own business: it learns them by
# snooping the guest's MLD/IGMP reports. A non-IP group (PTP over Ethernet) needs an L2 entry.
guest "/usr/sbin/ip maddr add 01:1b:19:00:00:00 dev $G0 && /usr/sbin/ip maddr add 01:1b:19:00:00:00 dev $G1" >/dev/null
check_err $? "guest could not join the PTP group"
wait_nic web net0 "$synced and (.asked.multicast_table | index(\"01:1b:19:00:00:00\") != null)" 30000
check_err $? "vnicctl: the guest's PTP group not seen"
busywait 10000 bridge_groups_are tap0 "01:1b:19:00:00:00"
check_err $? "kernel: tap0 L2 MDB groups are [$(bridge_l2_groups tap0)], want [01:1b:19:00:00:00]"
[[ -z $(bridge_l2_groups tap1) ]]
check_err $? "kernel: untrusted tap1 got MDB entries: [$(bridge_l2_groups tap1)]"
log_test "multicast snooping: the trusted guest's non-IP group is an L2 MDB entry, the untrusted's not"

# The real document, for the renderer's golden tests (tests/cli/data/bridge-port.json).
[[ -z ${VNIC_CAPTURE_JSON:-} ]] || vnicctl --json=pretty >"$VNIC_CAPTURE_JSON"

# --- QEMU exits: the persistent taps stay, what vnicd put on them goes ------------------------
sandbox_guest_stop
wait_nic web net0 '.state == "gone"' 20000
check_err $? "vnicctl: NIC not gone after QEMU exit"
busywait 10000 bridge_has_static tap0 ""
check_err $? "kernel: tap0 keeps static FDB entries after its guest is gone: [$(bridge_static_macs tap0)]"
busywait 10000 bridge_has_static tap1 ""
check_err $? "kernel: tap1 keeps static FDB entries after its guest is gone: [$(bridge_static_macs tap1)]"
busywait 10000 bridge_groups_are tap0 ""
check_err $? "kernel: tap0 keeps MDB entries after its guest is gone: [$(bridge_l2_groups tap0)]"
log_test "QEMU exit: the guests' static FDB entries are removed from the ports left behind"

echo "--- vnicctl show web (for the log):"
vnicctl show web

if [[ $EXIT_STATUS -ne 0 ]]; then
        echo "--- vnicd log (last 30 lines):"
        tail -n 30 "$VNICD_LOG"
fi
exit $EXIT_STATUS
