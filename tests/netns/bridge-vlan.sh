#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The bridge VLAN behaviour vnicd relies on (netlink/bridge-vlan.c, netlink/bridge-fdb.c), driven
# with iproute2 on the running kernel in the style of the Linux net selftests; then, when given,
# the C test of the same behaviour through vnicd's own netlink code (test-bridge).
#
#   netns $ns
#
#              +-------------------------------+
#              |              br0              |  vlan_filtering 1, vlan_default_pvid 0
#              +-------+---------------+-------+  (ports start without VLANs)
#                      |               |
#                  +---+--+        +---+--+
#                  |  p1  |        |  p2  |
#                  +---+--+        +---+--+
#                      | veth          | veth
#                  +---+--+        +---+--+
#                  | p1b  |        | p2b  |
#                  +------+        +------+
#
# Needs root, iproute2 (ip, bridge), jq, and a kernel with bridge VLAN filtering (Debian's 6.1 has
# it; a kernel without answers vlan_filtering with EOPNOTSUPP: the test then skips, printing the
# kernel's answer). Standalone: reads nothing from the source tree.
#
# Environment:
#   IP, BRIDGE, JQ   the programs (default: from $PATH). A busybox shell runs its own `ip` applet
#                    before $PATH: give IP=/usr/sbin/ip there.
#   TEST_BRIDGE      path of the built test-bridge binary: run it too, and require that none of
#                    its cases was skipped.
#
# Exit status: 0 all passed, 1 a case failed, 77 skipped.
#
# In a kernel VM (Debian's 6.1, busybox init): besides busybox it needs /bin/bash, /usr/sbin/ip,
# /usr/sbin/bridge, /usr/bin/jq and this build's tests/netns/test-bridge, each with
# the libraries ldd lists, and the modules llc, stp, bridge, veth loaded in that order; then
#   IP=/usr/sbin/ip TEST_BRIDGE=/path/to/test-bridge /bin/bash bridge-vlan.sh
# Both take about a minute under TCG.

set -u

ksft_skip=77
IP=${IP:-ip}
BRIDGE=${BRIDGE:-bridge}
JQ=${JQ:-jq}
ns=vnic-brvlan-$$
RET=0
RETMSG=
EXIT_STATUS=0

# defer: commands run at exit in reverse order (net/lib/sh/defer.sh, simplified).
__deferred=()
defer() {
        __deferred+=("$*")
}
# shellcheck disable=SC2317  # run by the EXIT trap
defer_run() {
        local i

        for ((i = ${#__deferred[@]} - 1; i >= 0; i--)); do
                eval "${__deferred[i]}" >/dev/null 2>&1
        done
        __deferred=()
}
trap defer_run EXIT

check_err() {
        if [[ $RET -eq 0 && $1 -ne 0 ]]; then
                RET=$1
                RETMSG=$2
        fi
}

log_test() {
        if [[ $RET -ne 0 ]]; then
                EXIT_STATUS=1
                printf "TEST: %-66s [FAIL]\n\t%s\n" "$1" "$RETMSG"
        else
                printf "TEST: %-66s [ OK ]\n" "$1"
        fi
        RET=0
        RETMSG=
}

skip() {
        echo "SKIP: $*"
        exit $ksft_skip
}

ip_ns() { $IP -n "$ns" "$@"; }
br_ns() { $BRIDGE -n "$ns" "$@"; }

# The VLANs of port $1 as `bridge -j vlan show` lists them, one item per VID (ranges expanded):
# "10:PU,20,21" (P = PVID, U = Egress Untagged).
# shellcheck disable=SC2016  # $dev and $v are jq's
vlans() {
        br_ns -j vlan show dev "$1" | $JQ -r --arg dev "$1" '
                [.[] | select(.ifname == $dev) | .vlans[] | . as $v
                 | ([if ($v.flags // [] | index("PVID")) then "P" else empty end,
                     if ($v.flags // [] | index("Egress Untagged")) then "U" else empty end] | join("")) as $f
                 | range($v.vlan; ($v.vlanEnd // $v.vlan) + 1)
                 | tostring + (if $f == "" then "" else ":" + $f end)] | join(",")'
}

# The static FDB entries of br0 on port $1 as "mac@vid,..." sorted.
fdb_static() {
        br_ns -j fdb show br br0 brport "$1" | $JQ -r '
                [.[] | select(.master == "br0" and .state == "static") | "\(.mac)@\(.vlan // 0)"]
                | sort | join(",")'
}

# VIDs $1..$2 as "a,a+1,...,b".
vid_list() {
        local v out=

        for ((v = $1; v <= $2; v++)); do
                out+=${out:+,}$v
        done
        echo "$out"
}

setup() {
        $IP netns add "$ns" || return 1
        defer "$IP" netns del "$ns"
        ip_ns link add br0 type bridge vlan_default_pvid 0 || return 1
        ip_ns link add p1 type veth peer name p1b || return 1
        ip_ns link add p2 type veth peer name p2b || return 1
        ip_ns link set dev p1 master br0 && ip_ns link set dev p2 master br0 || return 1
        for l in br0 p1 p1b p2 p2b; do
                ip_ns link set dev "$l" up || return 1
        done
}

test_vlan_filtering() {
        local out

        RET=0
        if ! out=$(ip_ns link set dev br0 type bridge vlan_filtering 1 2>&1); then
                if [[ $out == *"Operation not supported"* ]]; then
                        skip "this kernel has no bridge VLAN filtering: vlan_filtering 1 -> $out"
                fi
                check_err 1 "vlan_filtering 1: $out"
        fi
        ip_ns -j -d link show dev br0 | $JQ -e '.[0].linkinfo.info_data.vlan_filtering == 1' >/dev/null
        check_err $? "br0 does not filter VLANs"
        [[ -z $(vlans p1) && -z $(vlans p2) ]]
        check_err $? "ports have VLANs despite vlan_default_pvid 0: p1 '$(vlans p1)' p2 '$(vlans p2)'"
        log_test "vlan_filtering 1; ports start without VLANs"
}

test_pvid_untagged() {
        RET=0
        br_ns vlan add dev p1 vid 10 pvid untagged
        check_err $? "bridge vlan add dev p1 vid 10 pvid untagged failed"
        [[ $(vlans p1) == "10:PU" ]]
        check_err $? "p1 has '$(vlans p1)', not 10:PU"
        log_test "PVID and untagged on one VID"

        # A second PVID takes over; adding a VID the port has replaces its flags (what
        # bridge_vlan_fill_port() relies on to move PVID and untagged).
        RET=0
        br_ns vlan add dev p1 vid 20 pvid
        check_err $? "bridge vlan add dev p1 vid 20 pvid failed"
        [[ $(vlans p1) == "10:U,20:P" ]]
        check_err $? "p1 has '$(vlans p1)', not 10:U,20:P"
        br_ns vlan add dev p1 vid 10
        check_err $? "bridge vlan add dev p1 vid 10 failed"
        [[ $(vlans p1) == "10,20:P" ]]
        check_err $? "p1 has '$(vlans p1)', not 10,20:P"
        log_test "the PVID moves; adding a VID again replaces its flags"

        br_ns vlan del dev p1 vid 10-20
}

test_ranges() {
        local want='' i

        RET=0
        for ((i = 1; i <= 10; i++)); do
                br_ns vlan add dev p2 vid $((i * 100))-$((i * 100 + 9))
                check_err $? "bridge vlan add dev p2 vid $((i * 100))-$((i * 100 + 9)) failed"
                want+=${want:+,}$(vid_list $((i * 100)) $((i * 100 + 9)))
        done
        [[ $(vlans p2) == "$want" ]]
        check_err $? "p2 has '$(vlans p2)'"
        # Without -c the kernel's RTEXT_FILTER_BRVLAN dump lists each VID on its own.
        br_ns -j vlan show dev p2 | $JQ -e '[.[].vlans[] | select(.vlanEnd)] | length == 0' >/dev/null
        check_err $? "bridge -j vlan show printed ranges"
        [[ $(br_ns -j vlan show dev p2 | $JQ '[.[].vlans[]] | length') == 100 ]]
        check_err $? "not 100 entries"
        log_test "100 VIDs in 10 ranges, listed one VID each"

        RET=0
        br_ns vlan del dev p2 vid 100-109
        check_err $? "bridge vlan del dev p2 vid 100-109 failed"
        [[ $(vlans p2) == "${want#"$(vid_list 100 109),"}" ]]
        check_err $? "p2 has '$(vlans p2)' after deleting 100-109"
        for ((i = 2; i <= 10; i++)); do
                br_ns vlan del dev p2 vid $((i * 100))-$((i * 100 + 9))
                check_err $? "bridge vlan del dev p2 vid $((i * 100))-$((i * 100 + 9)) failed"
        done
        [[ -z $(vlans p2) ]]
        check_err $? "p2 still has '$(vlans p2)'"
        log_test "VLAN removal"
}

test_fdb_vlan() {
        local out

        br_ns vlan add dev p1 vid 10 && br_ns vlan add dev p1 vid 20 || return 1

        RET=0
        br_ns fdb add 02:dd:00:00:00:01 dev p1 master static vlan 10
        check_err $? "bridge fdb add ... vlan 10 failed"
        [[ $(fdb_static p1) == "02:dd:00:00:00:01@10" ]]
        check_err $? "p1 has static entries '$(fdb_static p1)'"
        log_test "static FDB entry with a VID"

        RET=0
        out=$(br_ns fdb add 02:dd:00:00:00:01 dev p1 master static vlan 99 2>&1)
        [[ $? -ne 0 && $out == *"Invalid argument"* ]]
        check_err $? "a VID the port lacks: expected EINVAL, got '$out'"
        log_test "static FDB entry with a VID the port lacks: $out"

        # Without a VID, on a port with VLANs: VID 0 and every VLAN of the port, both ways.
        RET=0
        br_ns fdb add 02:dd:00:00:00:02 dev p1 master static
        check_err $? "bridge fdb add ... (no vlan) failed"
        [[ $(fdb_static p1) == "02:dd:00:00:00:01@10,02:dd:00:00:00:02@0,02:dd:00:00:00:02@10,02:dd:00:00:00:02@20" ]]
        check_err $? "p1 has static entries '$(fdb_static p1)'"
        br_ns fdb del 02:dd:00:00:00:02 dev p1 master
        check_err $? "bridge fdb del ... (no vlan) failed"
        [[ $(fdb_static p1) == "02:dd:00:00:00:01@10" ]]
        check_err $? "p1 has static entries '$(fdb_static p1)' after the delete"
        log_test "FDB entry without VID on a port with VLANs: VID 0 and each VLAN"

        # Removing a VLAN flushes learned entries only: a static one stays, and cannot be deleted
        # while the port lacks its VLAN (EINVAL). So FDB entries go before their VLAN does.
        RET=0
        br_ns vlan del dev p1 vid 10
        check_err $? "bridge vlan del dev p1 vid 10 failed"
        [[ $(fdb_static p1) == "02:dd:00:00:00:01@10" ]]
        check_err $? "p1 has static entries '$(fdb_static p1)' after its VLAN went"
        out=$(br_ns fdb del 02:dd:00:00:00:01 dev p1 master vlan 10 2>&1)
        [[ $? -ne 0 && $out == *"Invalid argument"* ]]
        check_err $? "deleting it without its VLAN: expected EINVAL, got '$out'"
        br_ns vlan add dev p1 vid 10 && br_ns fdb del 02:dd:00:00:00:01 dev p1 master vlan 10
        check_err $? "bridge fdb del ... vlan 10 failed with the VLAN back"
        [[ -z $(fdb_static p1) ]]
        check_err $? "p1 still has '$(fdb_static p1)'"
        log_test "a static FDB entry outlives its VLAN, undeletable until it is back: $out"

        br_ns vlan del dev p1 vid 10-20
}

test_c_binary() {
        local out status

        [[ -n ${TEST_BRIDGE:-} ]] || return 0
        RET=0
        out=$(IP=$IP BRIDGE=$BRIDGE JQ=$JQ "$TEST_BRIDGE" 2>&1)
        status=$?
        printf '    %s\n' "${out//$'\n'/$'\n'    }"
        check_err $status "test-bridge exited with $status"
        [[ $out != *"SKIPPED"* ]]
        check_err $? "test-bridge skipped cases on a kernel with VLAN filtering"
        log_test "test-bridge: vnicd's netlink code, all cases run"
}

[[ $(id -u) -eq 0 ]] || skip "needs root"
for tool in "$IP" "$BRIDGE" "$JQ"; do
        command -v "$tool" >/dev/null || skip "$tool not found"
done
if ! $IP -V >/dev/null 2>&1 || ! $BRIDGE -V >/dev/null 2>&1; then
        skip "$IP and $BRIDGE must be iproute2's"
fi

setup || { echo "FAIL: setup"; exit 1; }
test_vlan_filtering
test_pvid_untagged
test_ranges
test_fdb_vlan || EXIT_STATUS=1
test_c_binary
exit $EXIT_STATUS
