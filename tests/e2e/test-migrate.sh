#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Live migration on one host, QMP mode: a guest on tapA migrates to a second QEMU started with
# -S -incoming on tapB, both ports of one bridge. While the target waits, vnicd writes nothing
# for it (QEMU's filter there is still the default one; writing it would move the guest's MAC
# away from where the guest runs). When the guest's state has arrived (QEMU sends no rx-filter
# event for that: vnicd asks on MIGRATION), tapB gets the guest's static FDB entry and MDB group
# while the target is still paused, i.e. before the guest runs there; tapA loses them. The guest
# then runs on the target and is followed there.
#
# macvtaps cannot take part in a migration on one host: two macvtaps on one uplink cannot have
# the same MAC (EADDRINUSE), so the target's could not even be created with the guest's MAC.
#
#   netns $SANDBOX_NS
#   +---------------------------------------------------------------+
#   |  QEMU "src" net0 -- tapA --+                                  |
#   |        | migrate (unix)     br0 --- uplink (veth)              |
#   |  QEMU "dst" net0 -- tapB --+   (-S -incoming)                  |
#   |  vnicd -- QMP -- both;  vnicd -- private D-Bus -- vnicctl       |
#   +---------------------------------------------------------------+

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip bridge jq socat qemu-system-x86_64 dbus-daemon busctl

setup_ns NS
sandbox_uplink
sandbox_bridge br0 tapA tapB || exit 1
__sandbox_dir || exit 1
MIG=unix:$SANDBOX_DIR/migrate.sock
sandbox_guest_start --name src tap:tapA || exit 1
sandbox_guest_start --name dst --incoming "$MIG" tap:tapB || exit 1

cat >"$SANDBOX_DIR/vnicd.conf" <<CONF
[Manager]
DebounceSec=0.02
ResyncSec=1

[Guest]
Name=src
QMPSocket=$SANDBOX_DIR/src/qmp-vnicd.sock

[Guest]
Name=dst
QMPSocket=$SANDBOX_DIR/dst/qmp-vnicd.sock

[Interface]
Guest=src
Name=net0
HostDevice=tapA
Trust=yes

[Interface]
Guest=dst
Name=net0
HostDevice=tapB
Trust=yes
CONF
vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1
sandbox_guest_use src
sandbox_guest_wait_ready || exit 1

guest_holds() { [[ $(guest_json "$1" | jq -r "$2") == true ]]; }
run_state() { # the current QMP test session's QEMU run state
        qmp_test '{"execute":"query-status"}' | jq -r '.return.status'
}
run_state_is() { [[ $(run_state) == "$1" ]]; }
NEW_MAC=52:54:00:12:34:99
GROUP=01:1b:19:00:00:00
synced='.state == "configured" and .in_sync'

# --- the guest runs on tapA; the target waits, and nothing is written for it -------------------
G=$(guest_nic 52:54:00:12:34:50)
guest "/usr/sbin/ip link set dev $G address $NEW_MAC && /usr/sbin/ip maddr add $GROUP dev $G" >/dev/null
check_err $? "guest could not change its MAC and join $GROUP"
wait_nic src net0 "$synced and .asked.mac == \"$NEW_MAC\"" 30000
check_err $? "vnicctl: src/net0 did not follow the guest"
busywait 10000 bridge_has_static tapA "$NEW_MAC 0"
check_err $? "kernel: tapA static FDB is [$(bridge_static_macs tapA)], want [$NEW_MAC 0]"
busywait 10000 bridge_groups_are tapA "$GROUP"
check_err $? "kernel: tapA MDB groups are [$(bridge_l2_groups tapA)], want [$GROUP]"
# vnicd has read the waiting target's filter (QEMU's default) and written nothing for it.
wait_nic dst net0 '.state == "pending" and .asked != null' 20000
check_err $? "vnicctl: dst/net0 not pending while the migration is incoming: $(nic_json dst net0 | jq -c '{state, queries, last_error}')"
guest_holds dst '.migration | test("^incoming")'
check_err $? "vnicctl: dst does not say it is an incoming migration: $(guest_json dst | jq -c .migration)"
[[ -z $(bridge_static_macs tapB) && $(nic_json dst net0 | jq -r .writes) == 0 ]]
check_err $? "kernel: vnicd wrote for the waiting target: tapB [$(bridge_static_macs tapB)], writes $(nic_json dst net0 | jq -r .writes)"
log_test "incoming migration: the target's NIC is pending, nothing written on tapB"

# --- migrate: tapB gets the guest's state while the target is still paused ----------------------
out=$(qmp_test "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"$MIG\"}}")
check_err $? "migrate: $out"
busywait 60000 run_state_is postmigrate
check_err $? "source QEMU is in run state $(run_state), not postmigrate"
sandbox_guest_use dst
busywait 30000 run_state_is paused
check_err $? "target QEMU is in run state $(run_state), not paused"
wait_nic dst net0 "$synced and .asked.mac == \"$NEW_MAC\"" 30000
check_err $? "vnicctl: dst/net0 did not get the guest's filter: $(nic_json dst net0 | jq -c '{state, in_sync, mac: .asked.mac}')"
busywait 10000 bridge_has_static tapB "$NEW_MAC 0"
check_err $? "kernel: tapB static FDB is [$(bridge_static_macs tapB)], want [$NEW_MAC 0]"
busywait 10000 bridge_groups_are tapB "$GROUP"
check_err $? "kernel: tapB MDB groups are [$(bridge_l2_groups tapB)], want [$GROUP]"
[[ $(run_state) == paused ]]
check_err $? "the target ran before its host state was in place (run state $(run_state))"
log_test "migration: tapB has the guest's FDB entry and group before the guest runs there"

wait_nic src net0 '.state == "gone"' 20000
check_err $? "vnicctl: src/net0 is $(nic_json src net0 | jq -r .state), not gone"
guest_holds src '.migration | test("^migrated away")'
check_err $? "vnicctl: src does not say it migrated away: $(guest_json src | jq -c .migration)"
busywait 10000 bridge_has_static tapA ""
check_err $? "kernel: tapA keeps static FDB entries after the guest left: [$(bridge_static_macs tapA)]"
busywait 10000 bridge_groups_are tapA ""
check_err $? "kernel: tapA keeps MDB groups after the guest left: [$(bridge_l2_groups tapA)]"
log_test "migration: the source's FDB entry and group are removed, its NIC is gone"

# --- the guest runs on the target and is followed there ----------------------------------------
out=$(qmp_test '{"execute":"cont"}')
check_err $? "cont on the target: $out"
G=$(guest_nic "$NEW_MAC")
[[ -n $G ]]
check_err $? "the guest does not answer on the target"
guest "/usr/sbin/ip link set dev $G address 52:54:00:12:34:98" >/dev/null
check_err $? "guest could not change its MAC on the target"
busywait 20000 bridge_has_static tapB "52:54:00:12:34:98 0"
check_err $? "kernel: tapB static FDB is [$(bridge_static_macs tapB)], want [52:54:00:12:34:98 0]"
# Resync rounds of the source (still in postmigrate) must not bring its entries back: the
# target's MAC change above took several of them (ResyncSec=1).
bridge_has_static tapA ""
check_err $? "kernel: tapA got static FDB entries back: [$(bridge_static_macs tapA)]"
log_test "after migration: the guest is followed on tapB, nothing comes back on tapA"

# --- the source QEMU quits; vnicd restarted: the target's state stays --------------------------
sandbox_guest_stop src
vnicd_stop
vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1
wait_nic dst net0 "$synced" 30000
check_err $? "vnicctl: dst/net0 not configured after restart"
bridge_has_static tapB "52:54:00:12:34:98 0" && bridge_has_static tapA ""
check_err $? "kernel: after the source quit and a restart tapA [$(bridge_static_macs tapA)] tapB [$(bridge_static_macs tapB)]"
log_test "source gone, vnicd restarted: tapB keeps the guest's entry, tapA none"

if [[ $EXIT_STATUS -ne 0 ]]; then
        vnicctl show
        echo "--- vnicd log (last 40 lines):"
        tail -n 40 "$VNICD_LOG"
fi
exit $EXIT_STATUS
