#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bad input from QEMU's side: one "QEMU" (tests/tools/qmp-hostile, standing in for a broken or
# compromised one) sends garbage, over-long and over-deep lines, rx-filters that must be refused,
# then 10 000 events a second, then no answers at all; a real QEMU guest next to it must stay
# served.
#
#   netns $SANDBOX_NS
#   +---------------------------------------------------------------+
#   |  QEMU guest g0: net0 ──fd── mvt0 (Trust=yes)   "good"         |
#   |  qmp-hostile:   net0 ······ mvt1 (Trust=yes)   "evil"         |
#   |                 both macvtaps on uplink (veth)                |
#   |  vnicd ── QMP ── both;  vnicd ── private D-Bus ── vnicctl     |
#   +---------------------------------------------------------------+

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip jq socat qemu-system-x86_64 dbus-daemon busctl
HOSTILE=$VNIC_BUILD_DIR/tests/tools/qmp-hostile
[[ -x $HOSTILE ]] || skip "qmp-hostile not built ($HOSTILE)"

setup_ns NS
sandbox_uplink
sandbox_macvtap mvt0
sandbox_macvtap mvt1 bridge 02:00:00:00:00:e1
sandbox_guest_start mvt0 || exit 1
EVIL=$SANDBOX_DIR/evil.qmp

HOSTILE_PID=
hostile_start() {
        rm -f "$EVIL"
        "$HOSTILE" "$EVIL" "$@" >>"$SANDBOX_DIR/hostile.log" 2>&1 &
        HOSTILE_PID=$!
        busywait 5000 test -S "$EVIL"
}
hostile_stop() {
        [[ -n $HOSTILE_PID ]] || return 0
        kill "$HOSTILE_PID" 2>/dev/null
        wait "$HOSTILE_PID" 2>/dev/null
        HOSTILE_PID=
}
defer hostile_stop

cat >"$SANDBOX_DIR/vnicd.conf" <<CONF
[Manager]
DebounceSec=0.05
ResyncSec=1

[Guest]
Name=good
QMPSocket=$SANDBOX_QMP

[Guest]
Name=evil
QMPSocket=$EVIL

[Interface]
Guest=good
Name=net0
HostDevice=mvt0
Trust=yes

[Interface]
Guest=evil
Name=net0
HostDevice=mvt1
Trust=yes
CONF

hostile_start garbage
# Under ASan freed memory sits in a quarantine (256 MB by default) and would look like growth:
# keep it small so the memory bound below means the same in both builds.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4
vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1
sandbox_guest_wait_ready || exit 1

link_addr() {
        ip -n "$SANDBOX_NS" -j link show dev "$1" | jq -r '.[0].address'
}
addr_is() { # DEV MAC
        [[ $(link_addr "$1") == "$2" ]]
}
good_repairs() { # vnicd still serves the good guest: a MAC set behind its back comes back
        local want
        want=$(nic_json good net0 | jq -r .asked.mac)
        ip -n "$SANDBOX_NS" link set dev mvt0 address 02:00:00:00:00:bb
        busywait 15000 addr_is mvt0 "$want"
}

# --- garbage: every bad reply refused and visible; the valid one applied ----------------------
busywait 30000 bash -c "grep -q 'rx-filter list we refuse' '$VNICD_LOG'"
check_err $? "no refusal of the hostile rx-filter in vnicd's log"
grep -q 'vlan-table' "$VNICD_LOG" && grep -q 'invalid message' "$VNICD_LOG"
check_err $? "vnicd's log does not name the bad VID and the invalid messages"
wait_nic evil net0 '.state == "configured" and .in_sync and .host.mac == "52:54:00:66:66:66" and .host.promiscuous' 30000
check_err $? "the valid filter after the hostile ones was not applied"
[[ $(link_addr mvt1) == 52:54:00:66:66:66 ]]
check_err $? "kernel: mvt1 address is $(link_addr mvt1)"
kill -0 "$VNICD_PID"
check_err $? "vnicd died on garbage"
n=$(grep -c 'invalid message\|longer than' "$VNICD_LOG")
[[ $n -ge 3 && $n -le 40 ]]
check_err $? "expected a few rate-limited lines about bad messages, found $n"
log_test "garbage from QEMU: refused with clear errors, later valid filter applied ($n log lines)"

wait_nic good net0 '.state == "configured" and .in_sync' 30000
check_err $? "the good guest is not in sync"
good_repairs
check_err $? "the good guest is no longer served during the garbage"
log_test "garbage from one QEMU: the other guest is untouched and served"

# --- 10 000 events a second for 3 s: one query per debounce period, memory bounded ------------
hostile_stop
rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$VNICD_PID/status")
hostile_start flood 3 10000 "$SANDBOX_DIR/flood.count"
good_repairs
check_err $? "the good guest is not served during the event flood"
busywait 30000 test -s "$SANDBOX_DIR/flood.count"
check_err $? "the flood did not finish"
read -r ev q < <(sed 's/events=\([0-9]*\) queries=\([0-9]*\)/\1 \2/' "$SANDBOX_DIR/flood.count")
rss1=$(awk '/VmRSS/ { print $2 }' "/proc/$VNICD_PID/status")
log_info "flood: $ev events sent, $q queries answered, vnicd RSS ${rss0} kB -> ${rss1} kB"
[[ ${ev:-0} -ge 20000 ]]
check_err $? "the flood sent only ${ev:-0} events"
# 3 s / 50 ms debounce = 60 rounds, plus the reconnect's query-all and slack.
[[ ${q:-999} -le 90 ]]
check_err $? "vnicd queried $q times for $ev events: not coalesced"
[[ $((rss1 - rss0)) -le 20480 ]]
check_err $? "vnicd grew by $((rss1 - rss0)) kB during the flood"
kill -0 "$VNICD_PID"
check_err $? "vnicd died in the flood"
log_test "event flood (10 000/s): $q queries for $ev events, memory bounded"

# --- a QEMU that stops answering: dropped after the reply timeout, reconnected ---------------
hostile_stop
hostile_start mute
# Whichever command vnicd sent first after connecting (it asks for several) is the one unanswered.
busywait 30000 bash -c "grep -Eq 'no reply to [a-z-]+ within 10 s' '$VNICD_LOG'"
check_err $? "a QEMU that never answers is not detected"
guest_json evil | jq -e '.last_error // "" | test("no reply to [a-z-]+ within 10 s")' >/dev/null
check_err $? "vnicctl does not show the unanswered query: $(guest_json evil | jq -c .last_error)"
good_repairs
check_err $? "the good guest is not served while the other QEMU hangs"
log_test "a QEMU that stops answering: dropped after 10 s, shown, others served"

if [[ $EXIT_STATUS -ne 0 ]]; then
        echo "--- vnicd log (last 40 lines):"
        tail -n 40 "$VNICD_LOG"
fi
exit $EXIT_STATUS
