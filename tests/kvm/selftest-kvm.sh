#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Kernel features the netns tier cannot test on the development machines, asserted
# inside the kernel VM (run-in-vm.sh; Debian's kernel): bridge VLAN filtering,
# 802.1Q links, static FDB entries per VLAN, macvtap + its char device, and
# /dev/vhost-net.  Run elsewhere it reports what that kernel lacks as failures.
#
#   netns $NS
#   +------------------------------------------------------------+
#   |  br0 (bridge, vlan_filtering 1)                            |
#   |    |                                                       |
#   |    p  <--veth-->  p-peer                                   |
#   |    |   vids 100-110, 10; fdb 02:00:00:00:00:10 vlan 10     |
#   |    +-- p.10 (802.1Q, id 10)       |                        |
#   |                    mvt (macvtap on p-peer, mode bridge)    |
#   |                        -> /dev/tapN                        |
#   +------------------------------------------------------------+

# shellcheck source=../lib/sandbox.sh
source "$(dirname "$0")/../lib/sandbox.sh"

require_root
require_cmd ip bridge jq

log_info "kernel $(uname -r)"
setup_ns NS || exit 1

# Every VID of a port, ranges expanded (iproute2 may print vlan + vlanEnd).
port_vids() {
        bridge -n "$NS" -j vlan show dev "$1" |
                jq -c '[.[] | select(.ifname == "'"$1"'") | .vlans[] |
                        if .vlanEnd then range(.vlan; .vlanEnd + 1) else .vlan end]'
}

ip -n "$NS" link add name br0 up type bridge vlan_filtering 1
check_err $? "ip link add br0 type bridge vlan_filtering 1 failed"
ip -n "$NS" -j -d link show dev br0 | jq -e '.[0].linkinfo.info_data.vlan_filtering == 1' >/dev/null
check_err $? "br0 does not report vlan_filtering 1"
ip -n "$NS" link add name p type veth peer name p-peer &&
        ip -n "$NS" link set dev p master br0 &&
        ip -n "$NS" link set dev p up &&
        ip -n "$NS" link set dev p-peer up
check_err $? "veth port p not enslaved to br0"
log_test "bridge: vlan_filtering 1 with a veth port"

bridge -n "$NS" vlan add dev p vid 100-110
check_err $? "bridge vlan add dev p vid 100-110 failed"
vids=$(port_vids p)
jq -e '(. - [1]) == [range(100; 111)]' <<<"$vids" >/dev/null
check_err $? "port p has vids $vids, want 1 (default pvid) and 100..110"
bridge -n "$NS" vlan del dev p vid 105
vids=$(port_vids p)
jq -e 'index(105) == null and index(104) != null and index(106) != null' <<<"$vids" >/dev/null
check_err $? "after deleting vid 105 port p has $vids"
log_test "bridge vlan: range 100-110 added, one VID deleted"

ip -n "$NS" link add link p name p.10 type vlan id 10
check_err $? "ip link add link p name p.10 type vlan id 10 failed"
ip -n "$NS" -j -d link show dev p.10 |
        jq -e '.[0].linkinfo.info_kind == "vlan" and .[0].linkinfo.info_data.id == 10 and
               .[0].linkinfo.info_data.protocol == "802.1Q"' >/dev/null
check_err $? "p.10 is not an 802.1Q link with id 10"
log_test "8021q: vlan link p.10"

mac=02:00:00:00:00:10
bridge -n "$NS" vlan add dev p vid 10 &&
        bridge -n "$NS" fdb add "$mac" dev p master static vlan 10
check_err $? "bridge fdb add $mac dev p master static vlan 10 failed"
bridge -n "$NS" -j fdb show dev p |
        jq -e --arg mac "$mac" 'any(.[]; .mac == $mac and .vlan == 10 and .state == "static" and
                                       (.flags | index("self")) == null)' >/dev/null
check_err $? "no static FDB entry $mac vlan 10 on p: $(bridge -n "$NS" -j fdb show dev p)"
# With filtering on, the kernel refuses an entry for a VLAN the port is not in.
bridge -n "$NS" fdb add 02:00:00:00:00:20 dev p master static vlan 20 2>/dev/null
check_fail $? "an FDB entry in vlan 20 (not on the port) was accepted"
log_test "bridge fdb: static entry in vlan 10, refused in vlan 20"

# A bridge port cannot be a macvlan lower device (EBUSY): use the other end.
ip -n "$NS" link add link p-peer name mvt type macvtap mode bridge
check_err $? "ip link add type macvtap failed"
idx=$(ip -n "$NS" -j link show dev mvt | jq -r '.[0].ifindex')
busywait 2000 test -c "/dev/tap$idx"
check_err $? "/dev/tap$idx (macvtap char device) did not appear"
log_test "macvtap: link and /dev/tap$idx"

if [[ -c /dev/vhost-net ]] && exec {fd}<>/dev/vhost-net; then
        exec {fd}>&-
else
        false
fi
check_err $? "/dev/vhost-net missing or cannot be opened"
[[ -c /dev/net/tun ]]
check_err $? "/dev/net/tun missing"
log_test "vhost-net: /dev/vhost-net opens, /dev/net/tun present"

exit "$EXIT_STATUS"
