#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# End to end: guest virtio-net driver → QEMU → NIC_RX_FILTER_CHANGED → vnicd → macvtap → vnicctl.
#
#   netns $SANDBOX_NS
#   +-----------------------------------------------------------------+
#   |  QEMU (TCG) guest g0                                            |
#   |    net0 52:54:00:12:34:50  --fd-->  mvt0 (macvtap, Trust=yes)  |
#   |    net1 52:54:00:12:34:51  --fd-->  mvt1 (macvtap, Trust=no)   |
#   |                                        \      /                 |
#   |                               uplink (veth) --- uplink-peer     |
#   |  vnicd ── QMP ── QEMU;  vnicd ── private D-Bus ── vnicctl       |
#   +-----------------------------------------------------------------+
#
# The guest is driven from inside (virtio-serial agent). After every step the test asserts what
# vnicctl --json reports and what the kernel has (ip -d -j link, ip -j maddr), for the trusted
# NIC (host follows) and the untrusted one (host untouched, refusal visible).

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip jq socat qemu-system-x86_64 dbus-daemon busctl

T=mvt0 U=mvt1

setup_ns NS
sandbox_uplink
sandbox_macvtap $T
sandbox_macvtap $U
SANDBOX_SMP=1 sandbox_guest_start $T $U || exit 1

cat >"$SANDBOX_DIR/vnicd.conf" <<CONF
[Manager]
LogLevel=debug
DebounceSec=0.02
ResyncSec=1

[Guest]
Name=demo
QMPSocket=$SANDBOX_QMP

[Interface]
Guest=demo
Name=net0
HostDevice=$T
Trust=yes

[Interface]
Guest=demo
Name=net1
HostDevice=$U
Trust=no

# A NIC this guest does not have: a warning in vnicctl, nothing else.
[Interface]
Guest=demo
Name=net9
HostDevice=mvt9
CONF

vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1
sandbox_guest_wait_ready || exit 1

G0=$(guest_nic 52:54:00:12:34:50)
G1=$(guest_nic 52:54:00:12:34:51)
[[ -n $G0 && -n $G1 ]] || { echo "guest NICs not found: '$G0' '$G1'"; exit 1; }
log_info "guest NICs: net0=$G0 net1=$G1"

# In sync with the guest, and the host device's multicast list is exactly the asked table.
trusted_synced='.state == "configured" and .in_sync and .asked != null'
untrusted_synced='.state == "configured" and .asked != null'

check_trusted_mc() {
        local want have
        want=$(nic_json demo net0 | jq -r '.asked.multicast_table[]' | sort)
        have=$(ns_mc $T)
        [[ "$want" == "$have" ]] || { echo "mvt0 multicast: want [$want] have [$have]"; return 1; }
}

link_flag() { # DEV FLAG → 0 when set
        ns_link "$1" | jq -e --arg f "$2" '.flags | index($f) != null' >/dev/null
}

link_addr() {
        ns_link "$1" | jq -r .address
}

# --- boot -------------------------------------------------------------------------------------
wait_nic demo net0 "$trusted_synced"
check_err $? "trusted NIC not configured after boot"
wait_nic demo net1 "$untrusted_synced"
check_err $? "untrusted NIC not configured after boot"
check_trusted_mc
check_err $? "trusted macvtap multicast differs from the guest's table"
[[ -z $(ns_mc $U) ]]
check_err $? "untrusted macvtap got multicast entries: $(ns_mc $U)"
log_test "boot: both NICs seen, trusted macvtap has the guest's groups"

vnicctl list | grep -q "warning: demo: \[Interface\] demo/net9 (line [0-9]*): QEMU reports no NIC net9 (it has: net0, net1)"
check_err $? "vnicctl list does not warn about the configured NIC QEMU lacks: $(vnicctl list | tail -n 2)"
log_test "config naming a NIC QEMU lacks: warning in vnicctl list"

# PropertiesChanged on the NIC's object while the guest changes its MAC (below).
busctl --system monitor --match "type='signal',interface='org.freedesktop.DBus.Properties',path='/org/vnicd1/nic/demo_2fnet0'" \
        >"$SANDBOX_DIR/bus-monitor.log" 2>&1 &
MONITOR_PID=$!
defer kill "$MONITOR_PID"
busywait 5000 grep -q "Monitoring bus" "$SANDBOX_DIR/bus-monitor.log"

# --- MAC change -------------------------------------------------------------------------------
guest "/usr/sbin/ip link set dev $G0 address 52:54:00:12:34:99 && /usr/sbin/ip link set dev $G1 address 52:54:00:12:34:98" >/dev/null
check_err $? "guest could not change its MACs"
wait_nic demo net0 "$trusted_synced and .asked.mac == \"52:54:00:12:34:99\" and .host.mac == \"52:54:00:12:34:99\""
check_err $? "vnicctl: trusted MAC not followed"
[[ $(link_addr $T) == 52:54:00:12:34:99 ]]
check_err $? "kernel: $T address is $(link_addr $T)"
wait_nic demo net1 '.asked.mac == "52:54:00:12:34:98" and (.refusals | map(select(.field == "mac")) | length == 1)'
check_err $? "vnicctl: untrusted MAC change not shown as refused"
[[ $(link_addr $U) == 52:54:00:12:34:51 ]]
check_err $? "kernel: untrusted $U address changed to $(link_addr $U)"
log_test "mac: trusted macvtap follows, untrusted refused and untouched"

busywait 5000 grep -q 'STRING "configuring"' "$SANDBOX_DIR/bus-monitor.log"
check_err $? "no PropertiesChanged with State configuring for demo/net0"
busctl --system get-property org.vnicd1 /org/vnicd1/nic/demo_2fnet0 org.vnicd1.Nic State | grep -qx 's "configured"'
check_err $? "busctl get-property State is not configured"
log_test "bus: per-NIC object emits PropertiesChanged, properties readable"

# --- 3 multicast groups -----------------------------------------------------------------------
groups3="01:00:5e:01:02:01 01:00:5e:01:02:02 01:00:5e:01:02:03"
guest "for m in $groups3; do /usr/sbin/ip maddr add \$m dev $G0; /usr/sbin/ip maddr add \$m dev $G1; done" >/dev/null
check_err $? "guest could not join groups"
wait_nic demo net0 "$trusted_synced and ([\"01:00:5e:01:02:01\",\"01:00:5e:01:02:02\",\"01:00:5e:01:02:03\"] - .asked.multicast_table | length == 0)"
check_err $? "vnicctl: trusted NIC did not report the 3 groups"
check_trusted_mc
check_err $? "kernel: trusted macvtap multicast differs"
wait_nic demo net1 '([.refusals[] | select(.field == "multicast")] | length == 1) and (.asked.multicast_table | index("01:00:5e:01:02:03") != null)'
check_err $? "vnicctl: untrusted multicast not refused"
[[ -z $(ns_mc $U) ]]
check_err $? "kernel: untrusted macvtap joined groups"
log_test "multicast: 3 groups joined on the trusted macvtap only"

# --- 80 groups: overflow ----------------------------------------------------------------------
join80="i=0; while [ \$i -lt 80 ]; do m=\$(printf '01:00:5e:02:00:%02x' \$i); /usr/sbin/ip maddr add \$m dev $G0; /usr/sbin/ip maddr add \$m dev $G1; i=\$((i+1)); done"
guest --timeout 120 "$join80" >/dev/null
check_err $? "guest could not join 80 groups"
wait_nic demo net0 "$trusted_synced and .asked.multicast_overflow and .host.allmulti" 60000
check_err $? "vnicctl: overflow not followed"
link_flag $T ALLMULTI
check_err $? "kernel: $T not allmulticast after overflow"
[[ -z $(ns_mc $T) ]]
check_err $? "kernel: $T keeps a multicast list while allmulticast: $(ns_mc $T)"
wait_nic demo net1 '.asked.multicast_overflow and (.refusals | map(select(.field == "allmulti")) | length == 1)'
check_err $? "vnicctl: untrusted allmulti not refused"
! link_flag $U ALLMULTI
check_err $? "kernel: untrusted $U became allmulticast"
log_test "multicast overflow (80 groups): trusted macvtap allmulticast"

leave80="i=0; while [ \$i -lt 80 ]; do m=\$(printf '01:00:5e:02:00:%02x' \$i); /usr/sbin/ip maddr del \$m dev $G0; /usr/sbin/ip maddr del \$m dev $G1; i=\$((i+1)); done"
guest --timeout 120 "$leave80" >/dev/null
check_err $? "guest could not leave 80 groups"
wait_nic demo net0 "$trusted_synced and (.asked.multicast_overflow | not) and (.host.allmulti | not)" 60000
check_err $? "vnicctl: leaving the groups not followed"
! link_flag $T ALLMULTI
check_err $? "kernel: $T still allmulticast"
check_trusted_mc
check_err $? "kernel: trusted macvtap multicast differs after leaving"
log_test "multicast: leaving 80 groups restores the list"

# --- promiscuous on / off ---------------------------------------------------------------------
guest "/usr/sbin/ip link set dev $G0 promisc on && /usr/sbin/ip link set dev $G1 promisc on" >/dev/null
wait_nic demo net0 "$trusted_synced and .asked.promiscuous and .host.promiscuous"
check_err $? "vnicctl: promiscuous not followed"
link_flag $T PROMISC
check_err $? "kernel: $T not promiscuous"
wait_nic demo net1 '.asked.promiscuous and (.refusals | map(select(.field == "promiscuous")) | length == 1)'
check_err $? "vnicctl: untrusted promiscuous not refused"
! link_flag $U PROMISC
check_err $? "kernel: untrusted $U promiscuous"
log_test "promiscuous on: trusted follows, untrusted refused"

wait_nic demo net0 '.uplink.name == "uplink" and .uplink.promiscuous and (.uplink.reason | test("macvtap mvt0 is promiscuous"))' 10000
check_err $? "vnicctl does not say the uplink is promiscuous because of mvt0"
log_test "uplink: promiscuous because macvtap mvt0 is"

guest "/usr/sbin/ip link set dev $G0 promisc off && /usr/sbin/ip link set dev $G1 promisc off" >/dev/null
wait_nic demo net0 "$trusted_synced and (.asked.promiscuous | not) and (.host.promiscuous | not)"
check_err $? "vnicctl: promiscuous off not followed"
! link_flag $T PROMISC
check_err $? "kernel: $T still promiscuous"
log_test "promiscuous off: trusted follows"

# veth has no unicast filter: the two macvtap MACs keep it promiscuous, and vnicctl says so.
wait_nic demo net0 '.uplink.promiscuity == ('"$(ip -n "$SANDBOX_NS" -d -j link show dev uplink | jq .[0].promiscuity)"') and (.uplink.reason | test("does not filter unicast"))' 10000
check_err $? "vnicctl does not explain the veth uplink's promiscuity"
log_test "uplink: the veth driver's lack of unicast filtering explained"

# --- allmulticast -----------------------------------------------------------------------------
guest "/usr/sbin/ip link set dev $G0 allmulticast on && /usr/sbin/ip link set dev $G1 allmulticast on" >/dev/null
wait_nic demo net0 "$trusted_synced and .asked.multicast == \"all\" and .host.allmulti"
check_err $? "vnicctl: allmulticast not followed"
link_flag $T ALLMULTI
check_err $? "kernel: $T not allmulticast"
! link_flag $U ALLMULTI
check_err $? "kernel: untrusted $U allmulticast"
log_test "allmulticast: trusted follows, untrusted untouched"

# --- VLANs 10, 20, 100-110 --------------------------------------------------------------------
addvlans="for v in 10 20 100 101 102 103 104 105 106 107 108 109 110; do /usr/sbin/ip link add link $G0 name v0.\$v type vlan id \$v || exit 1; /usr/sbin/ip link add link $G1 name v1.\$v type vlan id \$v || exit 1; done"
guest --timeout 120 "$addvlans" >/dev/null
check_err $? "guest could not add VLANs"
wait_nic demo net0 "$trusted_synced and .asked.vlans == \"0,10,20,100-110\" and (.decisions[] | select(.field == \"vlans\") | .action == \"n/a\")"
check_err $? "vnicctl: VLANs not reported"
! link_flag $T PROMISC
check_err $? "kernel: $T went promiscuous for VLANs"
wait_nic demo net1 '.asked.vlans == "0,10,20,100-110"'
check_err $? "vnicctl: untrusted VLANs not reported"
log_test "vlans: asked 0,10,20,100-110 shown; macvtap stays non-promiscuous"

# --- changes behind vnicd's back are repaired -------------------------------------------------
ip -n "$SANDBOX_NS" link set dev $T address 02:00:00:00:00:aa
wait_nic demo net0 "$trusted_synced and .host.mac == \"52:54:00:12:34:99\""
check_err $? "vnicctl: MAC changed behind the back not repaired"
[[ $(link_addr $T) == 52:54:00:12:34:99 ]]
check_err $? "kernel: $T address not repaired: $(link_addr $T)"
log_test "repair: MAC set behind vnicd's back"

ip netns exec "$SANDBOX_NS" ip maddr add 01:00:5e:7f:7f:7f dev $T
ip netns exec "$SANDBOX_NS" ip maddr del 01:00:5e:01:02:02 dev $T
busywait 15000 check_trusted_mc >/dev/null
check_err $? "kernel: multicast changed behind the back not repaired: $(ns_mc $T | tr '\n' ' ')"
log_test "repair: multicast added/removed behind vnicd's back (resync)"

# --- vnicd restart: converge from the kernel and QEMU -----------------------------------------
vnicd_stop
ip -n "$SANDBOX_NS" link set dev $T promisc on
ip netns exec "$SANDBOX_NS" ip maddr del 01:00:5e:01:02:01 dev $T
vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1
wait_nic demo net0 "$trusted_synced and (.host.promiscuous | not)"
check_err $? "vnicctl: not converged after restart"
! link_flag $T PROMISC && check_trusted_mc
check_err $? "kernel: not converged after restart"
log_test "restart: vnicd converges to QEMU's filter"

# --- QEMU goes away: NICs gone, daemon alive --------------------------------------------------
sandbox_guest_stop
wait_nic demo net0 '.state == "gone"' 20000
check_err $? "vnicctl: NIC not gone after QEMU exit"
kill -0 "$VNICD_PID"
check_err $? "vnicd died when QEMU went away"
vnicctl list | grep -q 'gone'
check_err $? "vnicctl list does not show the gone NIC"
log_test "QEMU exit: NICs shown gone, vnicd keeps running"

if [[ $EXIT_STATUS -ne 0 ]]; then
        echo "--- vnicd log (last 40 lines):"
        tail -n 40 "$VNICD_LOG"
fi
exit $EXIT_STATUS
