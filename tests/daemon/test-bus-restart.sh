#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The D-Bus daemon vnicd serves on restarts (twice): vnicd keeps running and keeps managing its
# NIC while the bus is gone (a guest change made then reaches the host), logs the loss once,
# reconnects on its own, owns org.vnicd1 again and answers vnicctl with the same state.
# qmp-hostile's script mode stands in for QEMU; no guest is needed.
#
#   netns $SANDBOX_NS
#   +----------------------------------------------------------------+
#   |  qmp-hostile script: net0 ····· mvt0 (macvtap on uplink, Trust) |
#   |  vnicd ── QMP ── qmp-hostile                                   |
#   |  vnicd ── private D-Bus (stopped, restarted) ── vnicctl         |
#   +----------------------------------------------------------------+

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip jq dbus-daemon busctl
[[ -x $VNIC_BUILD_DIR/tests/tools/qmp-hostile ]] || skip "qmp-hostile not built"

setup_ns NS || exit 1
sandbox_uplink || exit 1
sandbox_macvtap mvt0 || exit 1
__sandbox_dir || exit 1
D=$SANDBOX_DIR

filter() { # MULTICAST-JSON-ARRAY
        qmp_peer_filter "$D" "$(printf '[{"name": "net0", "promiscuous": false, "multicast": "normal", "unicast": "normal", "vlan": "normal", "broadcast-allowed": false, "multicast-overflow": false, "unicast-overflow": false, "main-mac": "52:54:00:12:34:50", "vlan-table": [], "unicast-table": [], "multicast-table": %s}]' "$1")"
}
filter '["01:00:5e:00:00:fb"]'
qmp_peer_start "$D" || exit 1

cat >"$D/vnicd.conf" <<CONF
[Manager]
DebounceSec=0.02
Libvirt=no

[Guest]
Name=vm
QMPSocket=$D/qmp.sock

[Interface]
Guest=vm
Name=net0
HostDevice=mvt0
Trust=yes
CONF
vnicd_start "$D/vnicd.conf" || exit 1

LOST="Lost the connection to the system bus"
BACK="Connected to the system bus again."
NIC_PATH=/org/vnicd1/nic/vm_2fnet0

# What a reader sees of vnicd; must be the same before and after the bus restarts.
snapshot() {
        vnicctl --json | jq -c '{pid: .daemon.pid, started: .daemon.started,
                nics: [.guests[] | .name as $g | .nics[] | {guest: $g, name, host_device, state}]}'
}
answers() { vnicctl list >/dev/null 2>&1; }
log_count() { grep -c -F -- "$1" "$VNICD_LOG"; }
logged_times() { [[ $(log_count "$1") -eq $2 ]]; }
has_mc() { [[ $(ns_mc mvt0 | tr '\n' ' ') == "$1" ]]; }
name_owner_pid() {
        local owner

        owner=$(busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                GetNameOwner s org.vnicd1 | cut -d'"' -f2) || return 1
        busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                GetConnectionUnixProcessID s "$owner" | cut -d' ' -f2
}

wait_nic vm net0 '.state == "configured" and .in_sync' 30000
check_err $? "vnicd did not configure net0"
has_mc "01:00:5e:00:00:fb "
check_err $? "kernel: mvt0 multicast is [$(ns_mc mvt0)], want 01:00:5e:00:00:fb"
before=$(snapshot)
[[ $before == *'"name":"net0"'* && $(name_owner_pid) == "$VNICD_PID" ]]
check_err $? "before the restart: vnicd does not own org.vnicd1 or lists no net0: $before"
log_test "before: vnicctl lists vm/net0, configured; vnicd owns org.vnicd1"

# --- the bus goes away ----------------------------------------------------------------------------
bus_stop
busywait 5000 grep -q -F "$LOST" "$VNICD_LOG"
check_err $? "vnicd did not log the loss of the bus: $(tail -n 3 "$VNICD_LOG")"
kill -0 "$VNICD_PID" 2>/dev/null
check_err $? "vnicd exited when the bus went away: $(tail -n 3 "$VNICD_LOG")"
answers
check_fail $? "vnicctl answers with no bus running"
log_test "bus stopped: vnicd keeps running and logs the loss"

# Still managing the NIC: a guest change made now reaches the host without the bus.
filter '["01:00:5e:00:00:fb", "01:00:5e:01:02:03"]'
kill -USR1 "$QMP_PEER_PID"
busywait 10000 has_mc "01:00:5e:00:00:fb 01:00:5e:01:02:03 "
check_err $? "kernel: with the bus gone, mvt0 multicast is [$(ns_mc mvt0)]"
log_test "bus stopped: a guest multicast change is applied to the host"

# --- a new bus on the same address ------------------------------------------------------------------
bus_start "$D/bus" || exit 1
# Backoff from 1 s doubling, at most 30 s: the bus was away for a few seconds.
busywait 40000 answers
check_err $? "vnicctl gets no answer after the bus restarted: $(tail -n 3 "$VNICD_LOG")"
busywait 5000 grep -q -F "$BACK" "$VNICD_LOG"
check_err $? "vnicd did not log '$BACK'"
[[ $(log_count "$LOST") -eq 1 && $(log_count "$BACK") -eq 1 ]]
check_err $? "want the loss and the reconnection logged once each: $(grep -F -e "$LOST" -e "$BACK" "$VNICD_LOG")"
[[ $(name_owner_pid) == "$VNICD_PID" ]]
check_err $? "org.vnicd1 is owned by PID '$(name_owner_pid)', not vnicd ($VNICD_PID)"
log_test "bus restarted: vnicd reconnects, logs it once and owns org.vnicd1 again"

wait_nic vm net0 '.in_sync and (.asked.multicast_table | index("01:00:5e:01:02:03") != null)' 10000
check_err $? "vnicctl does not show the change made while the bus was gone"
after=$(snapshot)
[[ $after == "$before" ]]
check_err $? "vnicd's state changed: before $before, after $after"
[[ $(busctl --system get-property org.vnicd1 "$NIC_PATH" org.vnicd1.Nic State) == 's "configured"' ]]
check_err $? "the NIC object $NIC_PATH is not published again"
busctl --system call org.vnicd1 /org/vnicd1 org.freedesktop.DBus.ObjectManager GetManagedObjects |
        grep -q -F "$NIC_PATH"
check_err $? "the object manager does not list $NIC_PATH again"
log_test "bus restarted: same daemon, same NIC, objects published again"

# --- once more: the new connection watches for its loss too, the backoff starts again -----------
bus_stop
busywait 5000 logged_times "$LOST" 2
check_err $? "the second loss of the bus is not logged"
bus_start "$D/bus" || exit 1
busywait 40000 answers
check_err $? "vnicctl gets no answer after the second restart"
busywait 5000 logged_times "$BACK" 2
check_err $? "the second reconnection is not logged"
kill -0 "$VNICD_PID" 2>/dev/null && [[ $(name_owner_pid) == "$VNICD_PID" && $(snapshot) == "$before" ]]
check_err $? "after the second restart: vnicd gone, not the owner, or its state changed: $(snapshot)"
log_test "second bus restart: reconnected again, same state"

exit $EXIT_STATUS
