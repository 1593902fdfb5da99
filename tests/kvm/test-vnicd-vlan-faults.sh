#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the kernel VM: the VLAN parts of the hostile-guest and crash scenarios
# (tests/e2e/test-hostile-guest.sh, test-crash-converge.sh), which the host's kernel cannot run
# (no bridge VLAN filtering there).
#   1. A guest asking for all 4094 VLANs (and VID 0, 4095, out-of-range ids): the port carries
#      exactly AllowedVLANs= ∩ asked plus NativeVLAN= untagged, one static FDB entry per VLAN, the
#      refusal is shown; then 50 rx-filter events flip between four large tables: a recording of
#      the bridge shows no disallowed VID or entry ever, and the writes stay within what one
#      reconcile round may write per query.
#   2. vnicd SIGKILLed while the guest changes its table; while it is down the table changes again
#      and someone adds a stray VLAN and stray static entries: restarted, it converges exactly.
#   3. QEMU (its stand-in) killed: what vnicd put on the tap left behind is removed.
# The stand-in for QEMU is tests/tools/qmp-hostile's script mode, as in test-vnicd-bridge.sh.
#
#   netns $SANDBOX_NS
#   +-------------------------------------------------------------------+
#   |  br0 (vlan_filtering 1, set by vnicd)                             |
#   |   +-- tap0 guest port: AllowedVLANs=10,20 NativeVLAN=5, Trust=yes |
#   |  vnicd -- QMP -- qmp-hostile script;  vnicd -- D-Bus -- vnicctl   |
#   |  recorder: bridge -t monitor all (checked up to the crash phase)  |
#   +-------------------------------------------------------------------+

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip bridge jq awk dbus-daemon busctl
[[ -x $VNIC_BUILD_DIR/tests/tools/qmp-hostile ]] || skip "qmp-hostile not built"
require_vlan_filtering

MAC=52:54:00:12:34:50
ALLOWED="5 10 20" # NativeVLAN= and AllowedVLANs=: the only VIDs the port may ever carry

setup_ns NS
__sandbox_dir || exit 1
ip -n "$SANDBOX_NS" link add br0 up type bridge || exit 1
ip -n "$SANDBOX_NS" tuntap add tap0 mode tap || exit 1
ip -n "$SANDBOX_NS" link set tap0 master br0 up || exit 1

# Started before vnicd: every VLAN and FDB change on the port until the crash phase.
MON_LOG=$SANDBOX_DIR/monitor.log
bridge -n "$SANDBOX_NS" -t monitor all >"$MON_LOG" 2>&1 &
MON_PID=$!
defer kill "$MON_PID"
bridge -n "$SANDBOX_NS" fdb add 02:00:00:00:ff:ff dev br0 self permanent &&
        bridge -n "$SANDBOX_NS" fdb del 02:00:00:00:ff:ff dev br0 self permanent
busywait 10000 grep -q "Deleted 02:00:00:00:ff:ff dev br0" "$MON_LOG"
check_err $? "the bridge recorder does not record: $(head -c 300 "$MON_LOG")"
log_test "recorder: bridge monitor running"

# A vlan-table of the VIDs in RANGE... (a-b or a), highest first as QEMU lists them.
table() {
        local r

        for r in "$@"; do seq "${r%-*}" "${r#*-}"; done | sort -rn | paste -sd, | sed 's/^/[/; s/$/]/'
}
guest_asks() { # VLAN-TABLE-JSON: the stand-in QEMU answers with it from now on and says so
        qmp_peer_filter_nic "$SANDBOX_DIR" "$MAC" "$1"
        kill -USR1 "$QMP_PEER_PID"
}

T_ALL=$(table 1-4094)         # -> 5pu 10 20
T_NO10=$(table 11-4094)       # -> 5pu 20
T_NO20=$(table 1-19 21-4094)  # -> 5pu 10
T_NONE=$(table 100-4094)      # -> 5pu

qmp_peer_filter_nic "$SANDBOX_DIR" "$MAC" "$T_ALL"
qmp_peer_start "$SANDBOX_DIR" || exit 1

# ResyncSec= long: the rounds counted below come from queries only.
qmp_peer_conf "$SANDBOX_DIR" 600 10,20 5
vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1

# --- the port, as full dumps -------------------------------------------------------------------
have_vlans() {
        bridge -n "$SANDBOX_NS" -j vlan show dev tap0 | jq -S .
}
want_vlans() { # "vid[p][u] ...": what 'bridge -j vlan show dev tap0' prints for it
        jq -Sn --arg s "$1" 'if $s == "" then [] else [{ifname: "tap0", vlans: [$s | split(" ")[] |
                capture("^(?<v>[0-9]+)(?<f>[pu]*)$") | {vlan: (.v | tonumber)} +
                (if .f == "" then {} else {flags: [(if (.f | test("p")) then "PVID" else empty end),
                        (if (.f | test("u")) then "Egress Untagged" else empty end)]} end)]}] end'
}
have_fdb() { # tap0's static entries, whatever their MAC
        bridge -n "$SANDBOX_NS" -j fdb show br br0 dev tap0 |
                jq -S '[.[] | select(.state == "static")] | sort_by(.vlan // 0, .mac)'
}
want_fdb() { # "VID ...": one static entry for the guest's MAC on each
        jq -Sn --arg m "$MAC" --arg v "$1" '[$v | split(" ")[] | select(. != "") | tonumber |
                {mac: $m, vlan: ., flags: [], master: "br0", state: "static"}] | sort_by(.vlan)'
}
port_is() { # VLANS FDB-VIDS
        [[ $(have_vlans) == "$(want_vlans "$1")" && $(have_fdb) == "$(want_fdb "$2")" ]]
}
port_diff() { # VLANS FDB-VIDS: the dumps against the expected ones, for a failure message
        local d=$SANDBOX_DIR

        # Files, not <(...): the VM has no /dev/fd.
        want_vlans "$1" >"$d/want" && have_vlans >"$d/have" &&
                diff -u "$d/want" "$d/have" | sed 's/^/  vlan /'
        want_fdb "$2" >"$d/want" && have_fdb >"$d/have" &&
                diff -u "$d/want" "$d/have" | sed 's/^/  fdb /'
}
check_port() { # VLANS FDB-VIDS WHEN [MS]: wait for the port to be exactly that
        busywait "${4:-15000}" port_is "$1" "$2"
        check_err $? "kernel: tap0 after $3 is not [$1] with FDB on [$2]:
$(port_diff "$1" "$2")"
}
writes() { nic_json vm net0 | jq -r .writes; }
queries() { nic_json vm net0 | jq -r .queries; }
events() { nic_json vm net0 | jq -r .events; }
vlan_refusal() { # "count<TAB>asked<TAB>rule" of the VLAN refusal
        nic_json vm net0 | jq -r '.refusals[] | select(.field == "vlans") | "\(.count)\t\(.asked)\t\(.rule)"'
}

# --- 1. all 4094 VLANs -------------------------------------------------------------------------
REFUSED="1-4,6-9,11-19,21-4094"
wait_nic vm net0 '.state == "configured" and .in_sync and .asked.vlans == "1-4094"' 30000
check_err $? "vnicd did not configure the port for 4094 asked VLANs"
check_port "5pu 10 20" "5 10 20" "4094 asked VLANs"
nic_json vm net0 | jq -e --arg r "$REFUSED" '.bridge.vlans | .refused == $r and .applied == "5,10,20"' \
        >/dev/null
check_err $? "vnicctl: bridge.vlans is $(nic_json vm net0 | jq -c .bridge.vlans)"
IFS=$'\t' read -r count asked rule <<<"$(vlan_refusal)"
[[ $count == 1 && $asked == 1-4094 && $rule == "vid $REFUSED not in AllowedVLANs=10,20" ]]
check_err $? "vnicctl: VLAN refusal is [$(vlan_refusal)]"
# One round, however many VIDs were asked: vlan_filtering, port flags, one VLAN deletion (the
# default VID 1), one VLAN addition, one FDB entry per port VLAN.
W=$(writes)
[[ $W -le 7 ]]
check_err $? "vnicd wrote $W times for its first configuration, bound 1+1+2+3 = 7"
log_test "4094 VLANs asked: port 5 (PVID untagged) 10 20, FDB per VLAN, refusal shown ($W writes)"

# VID 0 (the priority tag a Linux guest registers) and 4095 (reserved) are never port VLANs, and
# not refusals either.
guest_asks "$(table 0-4095)"
wait_nic vm net0 '.in_sync and .asked.vlans == "0-4095"' 15000
check_err $? "vnicd did not take the table 0-4095"
check_port "5pu 10 20" "5 10 20" "VIDs 0-4095 asked"
IFS=$'\t' read -r count asked rule <<<"$(vlan_refusal)"
[[ $count == 2 && $asked == 0-4095 && $rule == "vid $REFUSED not in AllowedVLANs=10,20" ]]
check_err $? "vnicctl: VLAN refusal for 0-4095 is [$(vlan_refusal)]"
[[ $(writes) -eq $W ]]
check_err $? "vnicd wrote $(($(writes) - W)) times for a table that changes nothing on the port"
log_test "VIDs 0 and 4095 asked: ignored, port unchanged, nothing written"

# Out of range: the whole reply is refused and the port keeps what it has.
for bad in 4096 -1; do
        guest_asks "[$bad, $(table 1-4094 | tr -d '[]')]"
        wait_nic vm net0 \
                ".state == \"failed\" and (.last_error | test(\"vlan-table.*$bad is not a VLAN id\"))" 15000
        check_err $? "vnicd did not refuse VID $bad"
        check_port "5pu 10 20" "5 10 20" "VID $bad asked" 0
        [[ $(writes) -eq $W ]]
        check_err $? "vnicd wrote $(($(writes) - W)) times for a refused reply with VID $bad"
done
kill -0 "$VNICD_PID"
check_err $? "vnicd died on out-of-range VIDs"
guest_asks "$T_ALL"
wait_nic vm net0 '.state == "configured" and .in_sync and .asked.vlans == "1-4094" and .last_error == null' \
        15000
check_err $? "vnicd did not recover with a valid table after refused ones"
log_test "VIDs 4096 and -1: reply refused and shown, port kept, then a valid table taken"

# 50 events, as fast as the test can send them, over four tables of ~4000 VIDs each.
T=("$T_NO10" "$T_NO20" "$T_NONE" "$T_ALL")
T_ASKED=("11-4094" "1-19,21-4094" "100-4094" "1-4094")
T_PORT=("5pu 20" "5pu 10" "5pu" "5pu 10 20")
T_FDB=("5 20" "5 10" "5" "5 10 20")
W0=$(writes) Q0=$(queries) E0=$(events)
for ((i = 1; i <= 50; i++)); do
        guest_asks "${T[i % 4]}"
done
k=$((50 % 4))
wait_nic vm net0 ".state == \"configured\" and .in_sync and .asked.vlans == \"${T_ASKED[k]}\"" 30000
check_err $? "vnicd did not settle on the last table"
check_port "${T_PORT[k]}" "${T_FDB[k]}" "50 table flips" 0
DW=$(($(writes) - W0)) DQ=$(($(queries) - Q0)) DE=$(($(events) - E0))
# Events are debounced into queries (at most one each). Writes come from reconcile rounds; a round
# starts with a query's new table (or once more, to repair) and writes at most one VLAN deletion,
# one addition, and an FDB deletion and addition per allowed VLAN: 2 + 2*2, never one per VID.
bound=$((6 * (DQ + 1)))
[[ $DE -ge 1 && $DQ -ge 1 && $DQ -le $DE && $DW -le $bound ]]
check_err $? "50 events: vnicd saw $DE, sent $DQ queries (bound $DE), wrote $DW times (bound $bound)"
log_info "50 events: vnicd saw $DE, sent $DQ queries, wrote $DW times (bound $bound)"
log_test "50 flips of ~4000-VID tables: settled, writes bounded by rounds ($DW <= $bound)"

# The whole recording: no VID outside 5,10,20 ever added to tap0, no static entry elsewhere.
recorded_vids() { # VIDs added to tap0, one a line ("a-b" ranges expanded)
        awk '/^\[/ { vlan = 0 }
             /^\[VLAN\]tap0 / { vlan = 1; print $2; next }
             vlan && $1 ~ /^[0-9]+(-[0-9]+)?$/ { print $1 }' "$MON_LOG" |
                awk -F- '{ for (v = $1; v <= ($2 == "" ? $1 : $2); v++) print v }'
}
recorded_static() { # "MAC VID" of static entries added on tap0
        awk '$1 ~ /^\[NEIGH\]/ && $3 == "tap0" && / static *$/ {
                sub(/^\[NEIGH\]/, "", $1); print $1, ($4 == "vlan" ? $5 : 0) }' "$MON_LOG"
}
n_vids=$(recorded_vids | grep -c .)
n_static=$(recorded_static | grep -c .)
[[ $n_vids -ge 4 && $n_static -ge 4 ]]
check_err $? "the recording misses what vnicd did: $n_vids VIDs, $n_static static entries added on tap0"
bad=$(recorded_vids | grep -vxE "${ALLOWED// /|}" | sort -un | paste -sd' ')
[[ -z $bad ]]
check_err $? "recording: VIDs [$bad] were added to tap0"
bad=$(recorded_static | grep -vxE "$MAC (${ALLOWED// /|})" | sort -u | paste -sd,)
[[ -z $bad ]]
check_err $? "recording: static entries [$bad] were added on tap0"
log_test "recording: only VIDs 5,10,20 and their entries ever on tap0 ($n_vids VIDs, $n_static entries)"

# --- 2. SIGKILL while the guest changes its table ----------------------------------------------
# Killed 0-100 ms after the event: before its query, or after its round, now and then between
# writes (under TCG a round's writes come 30-60 ms after the event; where each kill lands is
# logged). While vnicd is down the guest's table changes again, and someone adds VLAN 30 with
# entries for the guest's MAC ('fdb replace' without a VID puts one on VID 0 and on every VLAN of
# the port; deleting that one takes the others with it).
stray() {
        bridge -n "$SANDBOX_NS" vlan add dev tap0 vid 30 &&
                bridge -n "$SANDBOX_NS" fdb add "$MAC" dev tap0 master static vlan 30 &&
                bridge -n "$SANDBOX_NS" fdb replace "$MAC" dev tap0 master static
}
# (table asked when killed, table while down) as indexes into T, each from where the last ended.
crashes=("3 0" "1 3" "2 1" "0 2")
delays=(0 0.04 0.06 0.1)
for c in 0 1 2 3; do
        read -r a b <<<"${crashes[c]}"
        guest_asks "${T[a]}"
        sleep "${delays[c]}"
        vnicd_stop KILL
        seen="VLANs $(have_vlans | jq -c '[.[0].vlans[]?.vlan]'), FDB $(have_fdb | jq -c 'map(.vlan // 0)')"
        log_info "vnicd killed ${delays[c]} s after the event; port: $seen"
        qmp_peer_filter_nic "$SANDBOX_DIR" "$MAC" "${T[b]}"
        stray
        check_err $? "cannot add the stray VLAN and entries"
        have_fdb | jq -e 'map(.vlan // 0) | index(0) != null and index(30) != null' >/dev/null
        check_err $? "the stray entries are not there: $(have_fdb | jq -c 'map(.vlan // 0)')"
        log_lines=$(wc -l <"$VNICD_LOG")
        vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1
        wait_nic vm net0 ".state == \"configured\" and .in_sync and .asked.vlans == \"${T_ASKED[b]}\"" \
                30000
        check_err $? "restarted vnicd did not settle on the table changed while it was down"
        check_port "${T_PORT[b]}" "${T_FDB[b]}" "a restart with strays" 0
        # The kernel took every write: a deletion of what is gone already is no failure.
        failed=$(tail -n +$((log_lines + 1)) "$VNICD_LOG" | grep ' failed: ' | head -n 3)
        [[ -z $failed ]]
        check_err $? "vnicd after the restart: $failed"
        log_test "SIGKILL ${delays[c]} s into a change, strays added while down: converged to [${T_PORT[b]}]"
done

# --- 3. QEMU gone ------------------------------------------------------------------------------
guest_asks "$T_ALL"
check_port "5pu 10 20" "5 10 20" "the last table before QEMU goes"
kill -KILL "$QMP_PEER_PID"
wait_nic vm net0 '.state == "gone"' 20000
check_err $? "vnicctl: NIC not gone after its QEMU was killed"
check_port "" "" "QEMU killed"
kill -0 "$VNICD_PID"
check_err $? "vnicd died with its QEMU"
log_test "QEMU killed: every VLAN and static entry vnicd set is gone from the tap"

if [[ $EXIT_STATUS -ne 0 ]]; then
        echo "--- vnicctl net0:"
        nic_json vm net0 | jq -c '{state, in_sync, last_error, writes, queries, events, refusals,
                bridge: .bridge.vlans}'
        echo "--- vnicd log (last 40 lines):"
        tail -n 40 "$VNICD_LOG"
fi
exit $EXIT_STATUS
