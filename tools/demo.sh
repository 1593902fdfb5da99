#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's first command: installs what is missing, builds, and shows vnicd at work in a
# sandbox it builds and removes again: a private network namespace (veth "uplink", macvtaps
# mvt0 and mvt1), a private D-Bus, a small QEMU guest under TCG whose virtio-net driver changes
# its receive filter step by step, vnicd following it, and vnicctl showing the host follow.
# net0 (on mvt0) is trusted: the host follows it. net1 (on mvt1) is not: vnicd only reports.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash tools/install-deps.sh || exit 1
: "${VNIC_BUILD_DIR:=$top/build}"
export VNIC_BUILD_DIR
[ -d "$VNIC_BUILD_DIR" ] || meson setup "$VNIC_BUILD_DIR" >/dev/null || exit 1
ninja -C "$VNIC_BUILD_DIR" >/dev/null || { echo "demo: build failed"; exit 1; }
: "${VNIC_GUEST_CACHE:=$top/.cache/guest}"
export VNIC_GUEST_CACHE

source tests/lib/sandbox.sh
source tests/lib/vnicd.sh
require_root

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() {
        vnicctl show demo
        echo "-- kernel: $(ip -n "$SANDBOX_NS" -br link show dev mvt0 | tr -s ' ')"
        echo "--         $(ip -n "$SANDBOX_NS" -br link show dev mvt1 | tr -s ' ')"
        echo "-- mvt0 multicast: $(ns_mc mvt0 | tr '\n' ' ')"
        echo "-- mvt1 multicast: $(ns_mc mvt1 | tr '\n' ' ')"
}
step() { # TITLE GUEST-COMMAND JQ-CONDITION-ON-net0
        say "$1"
        echo "guest\$ $2"
        guest --timeout 120 "$2" >/dev/null || { echo "demo: the guest command failed"; exit 1; }
        wait_nic demo net0 ".state == \"configured\" and .in_sync and ($3)" 60000 || exit 1
        show
}

say "Setting up: namespace, uplink, two macvtaps, a private bus, a TCG guest (about 10-20 s)"
setup_ns NS
sandbox_uplink
sandbox_macvtap mvt0
sandbox_macvtap mvt1
sandbox_guest_start mvt0 mvt1 || exit 1
cat >"$SANDBOX_DIR/vnicd.conf" <<CONF
[Manager]
DebounceSec=0.05
ResyncSec=5

[Guest]
Name=demo
QMPSocket=$SANDBOX_QMP

[Interface]
Guest=demo
Name=net0
HostDevice=mvt0
Trust=yes

[Interface]
Guest=demo
Name=net1
HostDevice=mvt1
Trust=no
CONF
echo "vnicd.conf:"; sed 's/^/    /' "$SANDBOX_DIR/vnicd.conf"
vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1
sandbox_guest_wait_ready || exit 1
G0=$(guest_nic 52:54:00:12:34:50)
G1=$(guest_nic 52:54:00:12:34:51)
wait_nic demo net0 '.state == "configured" and .in_sync' 60000 || exit 1
wait_nic demo net1 '.state == "configured"' 60000 || exit 1

say "The guest booted: vnicctl list"
vnicctl list
show

step "The guest changes its MAC" \
        "/usr/sbin/ip link set $G0 address 52:54:00:12:34:99; /usr/sbin/ip link set $G1 address 52:54:00:12:34:98" \
        '.host.mac == "52:54:00:12:34:99"'
step "The guest joins 3 multicast groups" \
        "for m in 01:00:5e:01:02:01 01:00:5e:01:02:02 01:00:5e:01:02:03; do /usr/sbin/ip maddr add \$m dev $G0; /usr/sbin/ip maddr add \$m dev $G1; done" \
        '.asked.multicast_table | index("01:00:5e:01:02:03") != null'
step "The guest joins 80 more: QEMU's table (64) overflows, so the macvtap goes allmulticast" \
        "i=0; while [ \$i -lt 80 ]; do m=\$(printf '01:00:5e:02:00:%02x' \$i); /usr/sbin/ip maddr add \$m dev $G0; /usr/sbin/ip maddr add \$m dev $G1; i=\$((i+1)); done" \
        '.asked.multicast_overflow and .host.allmulti'
step "The guest leaves those 80 groups" \
        "i=0; while [ \$i -lt 80 ]; do m=\$(printf '01:00:5e:02:00:%02x' \$i); /usr/sbin/ip maddr del \$m dev $G0; /usr/sbin/ip maddr del \$m dev $G1; i=\$((i+1)); done" \
        '(.asked.multicast_overflow | not) and (.host.allmulti | not)'
step "The guest turns promiscuous mode on" \
        "/usr/sbin/ip link set $G0 promisc on; /usr/sbin/ip link set $G1 promisc on" \
        '.host.promiscuous'
step "... and off again" \
        "/usr/sbin/ip link set $G0 promisc off; /usr/sbin/ip link set $G1 promisc off" \
        '.host.promiscuous | not'
step "The guest sets allmulticast" \
        "/usr/sbin/ip link set $G0 allmulticast on; /usr/sbin/ip link set $G1 allmulticast on" \
        '.host.allmulti'
step "The guest adds VLANs 10, 20 and 100-110 (a macvtap passes them: nothing to program)" \
        "for v in 10 20 100 101 102 103 104 105 106 107 108 109 110; do /usr/sbin/ip link add link $G0 name a.\$v type vlan id \$v; /usr/sbin/ip link add link $G1 name b.\$v type vlan id \$v; done" \
        '.asked.vlans == "0,10,20,100-110"'

say "Someone changes mvt0's MAC behind vnicd's back; vnicd repairs it"
ip -n "$SANDBOX_NS" link set dev mvt0 address 02:00:00:00:00:aa
echo "host\$ ip link set dev mvt0 address 02:00:00:00:00:aa"
wait_nic demo net0 '.in_sync and .host.mac == "52:54:00:12:34:99"' 30000 || exit 1
show

say "The same, for scripts: vnicctl --json=pretty show demo/net1 (excerpt)"
vnicctl --json=pretty show demo/net1 | jq '{state, trusted, trust_reason, refusals}'

say "Done. Everything the demo started is being stopped and removed."
