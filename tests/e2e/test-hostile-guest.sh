#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A hostile guest: it joins 200 multicast groups, registers all 4094 VLANs, changes its MACs 1000
# times and toggles promiscuous mode 200 times. The host must never leave policy, every refusal
# must be visible in vnicctl, and coalescing must keep vnicd's netlink writes bounded: they are
# counted per phase (vnicctl's "writes") against a bound derived from the policy. Nothing here
# passes or fails on time.
#
#   netns $SANDBOX_NS
#   +------------------------------------------------------------------+
#   |  QEMU (TCG) guest vm, 1 GiB                                      |
#   |    net0 52:54:00:12:34:50 --fd--> mvt0 (macvtap) --- uplink      |
#   |         Trust=yes, MulticastGroups=16, MulticastOverflow=refuse, |
#   |         Promiscuous=refuse, AllMulticast=refuse,                 |
#   |         MACChangeLimitBurst=5 within 600 s, held 600 s           |
#   |    net1 52:54:00:12:34:51 ------> tap0 --- br0 --- bru (veth)    |
#   |         Trust=no, MACChange=allowed,                             |
#   |         AllowedMACs=52:54:00:aa:00:01, AllowedVLANs=10,20        |
#   |  vnicd -- QMP -- QEMU;  vnicd -- private D-Bus -- vnicctl        |
#   |  recorders: ip -ts monitor link, bridge -t monitor fdb           |
#   +------------------------------------------------------------------+
#
# What the host did is recorded for the whole run by the two monitors, started before vnicd and
# the guest act, and checked afterwards: mvt0 never PROMISC or ALLMULTI, at most 5 MACs on mvt0 in
# the MAC phase, tap0 never a static FDB entry for a MAC outside its configured one and
# AllowedMACs=. The 600 s window and hold keep the whole MAC phase inside one window.
#
# The host kernel here has no bridge VLAN filtering (and no 802.1Q): vnicd reports the port's
# VLANs n/a. So the 4094-VLAN phase checks that vnicctl shows the asked VLANs and the n/a
# decision and that nothing VLAN-related is written (no write for either NIC, the FDB entry still
# without VLAN); refusals by AllowedVLANs= on a VLAN-aware bridge are the kernel-VM tier's
# (tests/kvm/test-vnicd-vlan-faults.sh). The guest needs 1 GiB for 8188 VLAN devices (about 45 kB
# each; 256 MiB runs out at ~3500).

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip bridge jq awk socat qemu-system-x86_64 dbus-daemon busctl

CONF_MAC1=52:54:00:12:34:51  # net1 as QEMU was configured (sandbox: NIC k has 52:54:00:12:34:5k)
ALLOWED_MAC1=52:54:00:aa:00:01

setup_ns NS
sandbox_uplink
sandbox_macvtap mvt0
# The macvtap's lower device cannot also be a bridge port: the bridge has its own veth.
ip -n "$SANDBOX_NS" link add bru type veth peer name bru-peer || exit 1
ip -n "$SANDBOX_NS" link add br0 up type bridge || exit 1
ip -n "$SANDBOX_NS" link set bru master br0 up || exit 1
ip -n "$SANDBOX_NS" link set bru-peer up || exit 1
ip -n "$SANDBOX_NS" tuntap add tap0 mode tap || exit 1
ip -n "$SANDBOX_NS" link set tap0 master br0 up || exit 1
# A link nobody uses, whose MAC marks phase boundaries in the link recording.
ip -n "$SANDBOX_NS" link add hgmark type veth peer name hgmark-peer || exit 1
sandbox_guest_start --mem 1024 mvt0 tap:tap0 || exit 1

# --- recorders, before vnicd and the guest act -------------------------------------------------
LINK_LOG=$SANDBOX_DIR/monitor-link.log
FDB_LOG=$SANDBOX_DIR/monitor-fdb.log
ip -n "$SANDBOX_NS" -ts monitor link >"$LINK_LOG" 2>&1 &
defer kill $!
# bridge(8) 6.1 has -t[imestamp], not -ts.
bridge -n "$SANDBOX_NS" -t monitor fdb >"$FDB_LOG" 2>&1 &
defer kill $!

declare -A MARKS=()
mark() { # NAME: a new MAC on hgmark, in the link recording once the recorder has it
        local mac

        mac=$(printf '02:4d:00:00:00:%02x' ${#MARKS[@]})
        MARKS[$1]=$mac
        ip -n "$SANDBOX_NS" link set dev hgmark address "$mac" || return 1
        busywait 10000 grep -q "link/ether $mac " "$LINK_LOG"
}
# A static entry on a port no guest has, deleted at once: the FDB recorder is listening.
bridge -n "$SANDBOX_NS" fdb add 02:00:00:00:ff:ff dev bru master static &&
        bridge -n "$SANDBOX_NS" fdb del 02:00:00:00:ff:ff dev bru master static
busywait 10000 grep -q "^Deleted 02:00:00:00:ff:ff dev bru" "$FDB_LOG"
check_err $? "the FDB recorder does not record: $(head -c 300 "$FDB_LOG")"
mark start
check_err $? "the link recorder does not record: $(head -c 300 "$LINK_LOG")"
log_test "recorders: ip monitor link and bridge monitor fdb running"

cat >"$SANDBOX_DIR/vnicd.conf" <<CONF
[Manager]
DebounceSec=0.02
ResyncSec=1

[Guest]
Name=vm
QMPSocket=$SANDBOX_QMP

[Interface]
Guest=vm
Name=net0
HostDevice=mvt0
Trust=yes
MulticastGroups=16
MulticastOverflow=refuse
Promiscuous=refuse
AllMulticast=refuse
MACChangeLimitBurst=5
MACChangeLimitIntervalSec=600
MACChangeHoldSec=600

[Interface]
Guest=vm
Name=net1
HostDevice=tap0
Trust=no
MACChange=allowed
AllowedMACs=$ALLOWED_MAC1
AllowedVLANs=10,20
CONF
vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1
sandbox_guest_wait_ready || exit 1
G0=$(guest_nic 52:54:00:12:34:50)
G1=$(guest_nic $CONF_MAC1)
[[ -n $G0 && -n $G1 ]] || { echo "guest NICs not found: '$G0' '$G1'"; exit 1; }
log_info "guest NICs: net0=$G0 net1=$G1"

link_flag() { # DEV FLAG: 0 when set now
        ns_link "$1" | jq -e --arg f "$2" '.flags | index($f) != null' >/dev/null
}
writes() { nic_json vm "$1" | jq -r .writes; }
refusal() { # NIC FIELD: "count<TAB>asked<TAB>rule" of that refusal, empty when none
        nic_json vm "$1" | jq -r --arg f "$2" '.refusals[] | select(.field == $f) | "\(.count)\t\(.asked)\t\(.rule)"'
}
refusal_count() { refusal "$1" "$2" | cut -f1 | grep . || echo 0; }
decision() { # NIC FIELD: "action<TAB>reason"
        nic_json vm "$1" | jq -r --arg f "$2" '.decisions[] | select(.field == $f) | "\(.action)\t\(.reason)"'
}
groups_joined() { # groups vnicd joined on mvt0 (user-added entries; the kernel's own IPv6/IPv4 ones are not)
        ns_mc mvt0 | grep -c .
}
check_groups() { # CHECKPOINT: mvt0 never holds more groups than MulticastGroups=16
        local n

        n=$(groups_joined)
        [[ $n -le 16 ]]
        check_err $? "kernel: mvt0 has $n joined groups after $1, MulticastGroups=16"
        ! link_flag mvt0 ALLMULTI && ! link_flag mvt0 PROMISC
        check_err $? "kernel: mvt0 flags after $1: $(ns_link mvt0 | jq -c .flags)"
}
# Phase bookkeeping: writes of both NICs when it began.
phase_begin() {
        W0=$(writes net0) W1=$(writes net1)
        mark "$1-begin"
        check_err $? "no phase mark $1-begin in the link recording"
}
phase_end() { # NAME: sets D0 D1, the writes each NIC made during the phase
        D0=$(($(writes net0) - W0)) D1=$(($(writes net1) - W1))
        mark "$1-end"
        check_err $? "no phase mark $1-end in the link recording"
}
section() { # NAME: the link recording between the phase's marks
        sed -n "/link\/ether ${MARKS[$1-begin]} /,/link\/ether ${MARKS[$1-end]} /p" "$LINK_LOG"
}
mvt0_addrs() { # the address of each mvt0 RTM_NEWLINK in the link recording on stdin, in order
        awk '/^\[/ { cur = ($0 ~ /^\[[^]]*\] (Deleted )?[0-9]+: mvt0[@:]/) } cur && $1 == "link/ether" { print $2 }'
}

# --- boot: both NICs configured, the baseline -------------------------------------------------
wait_nic vm net0 '.state == "configured" and .in_sync and .asked != null' 30000
check_err $? "net0 not configured after boot"
wait_nic vm net1 '.state == "configured" and .in_sync and .bridge != null' 30000
check_err $? "net1 not configured after boot"
busywait 5000 bridge_has_static tap0 "$CONF_MAC1 0"
check_err $? "kernel: tap0 static FDB is [$(bridge_static_macs tap0)], want its configured MAC"
check_groups boot
log_info "boot: net0 writes $(writes net0), net1 writes $(writes net1), mvt0 groups $(groups_joined)"
log_test "boot: net0 and net1 configured, tap0 has its configured MAC"

# --- phase 1: 200 groups on each NIC ------------------------------------------------------------
# One ip per group: iproute2 6.1's -batch mis-parses a second 'maddr add' line.
g_before=$(groups_joined)
phase_begin groups
join200="i=0; while [ \$i -lt 200 ]; do m=\$(printf '01:00:5e:40:%02x:%02x' \$((i / 256)) \$((i % 256)));
        /usr/sbin/ip maddr add \$m dev $G0 || exit 1; /usr/sbin/ip maddr add \$m dev $G1 || exit 1; i=\$((i + 1)); done"
guest --timeout 300 "$join200" >/dev/null
check_err $? "guest could not join 200 groups"
wait_nic vm net0 '.state == "configured" and .in_sync and .asked.multicast_overflow' 60000
check_err $? "vnicctl: net0's overflowed table not seen or not settled"
wait_nic vm net1 '.state == "configured" and .in_sync and .asked.multicast_overflow' 60000
check_err $? "vnicctl: net1's overflowed table not seen or not settled"
phase_end groups
check_groups "200 groups"
refusal net0 multicast | grep -qE $'\t.*(overflowed|MulticastGroups=16)'
check_err $? "vnicctl: no multicast refusal for net0: [$(refusal net0 multicast)]"
refusal net0 allmulti | grep -q $'\tAllMulticast=refuse'
check_err $? "vnicctl: no allmulti refusal for net0 (overflow asks all multicast): [$(refusal net0 allmulti)]"
decision net1 multicast | grep -q $'^n/a\tguest not trusted'
check_err $? "vnicctl: net1's multicast decision is [$(decision net1 multicast)]"
[[ -z $(bridge_l2_groups tap0) ]]
check_err $? "kernel: untrusted tap0 got MDB entries: [$(bridge_l2_groups tap0)]"
# net0: one write per group joined, up to MulticastGroups=16 with those it had (never a leave: a
# refusal keeps the host's groups; flags are refused). net1: nothing (untrusted: no MDB, FDB
# unchanged). +2 for a resync that finds something to repair.
bound=$((16 - g_before + 2))
[[ $D0 -le $bound && $D1 -le 2 ]]
check_err $? "writes not bounded: net0 +$D0 (bound 16-$g_before+2 = $bound), net1 +$D1 (bound 2)"
echo "phase groups: net0 writes +$D0, net1 writes +$D1, mvt0 groups $(groups_joined)," \
        "multicast refusals $(refusal_count net0 multicast), allmulti refusals $(refusal_count net0 allmulti)"
log_test "200 groups: mvt0 keeps <= 16, no ALLMULTI, refusals shown, writes bounded"

# --- phase 2: all 4094 VLANs on each NIC --------------------------------------------------------
phase_begin vlans
addvlans="seq 1 4094 | awk '{ print \"link add link $G1 name w.\" \$1 \" type vlan id \" \$1 }' >/tmp/v1 &&
        seq 1 4094 | awk '{ print \"link add link $G0 name v.\" \$1 \" type vlan id \" \$1 }' >/tmp/v0 &&
        /usr/sbin/ip -batch /tmp/v1; r1=\$?; /usr/sbin/ip -batch /tmp/v0; r0=\$?;
        echo \"\$(ls /sys/class/net | grep -c '^w\\.') \$(ls /sys/class/net | grep -c '^v\\.')\"; [ \$r1 = 0 ] && [ \$r0 = 0 ]"
out=$(guest --timeout 400 "$addvlans")
check_err $? "guest could not add 4094 VLANs on each NIC: created (net1 net0) $(tail -n 3 <<<"$out")"
out=$(tail -n 1 <<<"$out")
log_info "VLAN devices created in the guest (net1 net0): $out"
wait_nic vm net1 '.state == "configured" and .in_sync and .asked.vlans == "0-4094"' 60000
check_err $? "vnicctl: net1 does not show the asked VLANs 0-4094"
wait_nic vm net0 '.state == "configured" and .in_sync and .asked.vlans == "0-4094"' 60000
check_err $? "vnicctl: net0 does not show the asked VLANs 0-4094"
phase_end vlans
decision net1 vlans | grep -q $'^n/a\tbridge br0 is not VLAN-aware'
check_err $? "vnicctl: net1's VLAN decision is [$(decision net1 vlans)]"
decision net0 vlans | grep -q $'^n/a\tmacvtap does not filter VLANs'
check_err $? "vnicctl: net0's VLAN decision is [$(decision net0 vlans)]"
bridge_has_static tap0 "$CONF_MAC1 0"
check_err $? "kernel: tap0 static FDB after 4094 VLANs is [$(bridge_static_macs tap0)]"
check_groups "4094 VLANs"
# Nothing expresses a VLAN on either device here: no write at all (+2 for a resync repair).
[[ $D0 -le 2 && $D1 -le 2 ]]
check_err $? "writes for VLANs nothing can carry: net0 +$D0, net1 +$D1 (bound 2 each)"
echo "phase vlans: net0 writes +$D0, net1 writes +$D1, asked vlans 0-4094 on both, decisions n/a," \
        "vlan refusals $(refusal_count net1 vlans)"
log_test "4094 VLANs: shown as asked, n/a on this host, nothing written"

# --- phase 3: 1000 MAC changes on each NIC ------------------------------------------------------
# net0 through 1000 distinct MACs; net1 through unlisted ones, every 100th the allowed one.
phase_begin flip
flip="awk 'BEGIN { for (i = 0; i < 1000; i++) {
                printf \"link set dev $G0 address 52:54:00:c0:%02x:%02x\\n\", int(i / 256), i % 256
                if (i % 100 == 50) print \"link set dev $G1 address $ALLOWED_MAC1\"
                else printf \"link set dev $G1 address 52:54:00:d1:%02x:%02x\\n\", int(i / 256), i % 256 } }' >/tmp/mac &&
        /usr/sbin/ip -batch /tmp/mac"
guest --timeout 300 "$flip" >/dev/null
check_err $? "guest could not change its MACs 1000 times"
# However many of those vnicd saw, six more it surely sees (each waited for) exceed the burst of
# five in the window: the hold-down is then certain, whatever the coalescing did.
for j in 1 2 3 4 5 6; do
        mac=52:54:00:c1:00:0$j
        guest "/usr/sbin/ip link set dev $G0 address $mac" >/dev/null
        wait_nic vm net0 ".asked.mac == \"$mac\" and (.host.mac == \"$mac\" or any(.refusals[]; .field == \"mac\" and .asked == \"$mac\"))" 30000
        check_err $? "vnicctl: net0's MAC $mac not decided"
done
# net1 to the allowed MAC (followed), then to an unlisted one (refused, entry stays).
guest "/usr/sbin/ip link set dev $G1 address $ALLOWED_MAC1" >/dev/null
wait_nic vm net1 ".asked.mac == \"$ALLOWED_MAC1\" and .in_sync and .state == \"configured\"" 30000
check_err $? "vnicctl: net1's allowed MAC not settled"
busywait 5000 bridge_has_static tap0 "$ALLOWED_MAC1 0"
check_err $? "kernel: tap0 static FDB after the allowed MAC is [$(bridge_static_macs tap0)]"
guest "/usr/sbin/ip link set dev $G1 address 52:54:00:d2:00:01" >/dev/null
wait_nic vm net1 'any(.refusals[]; .field == "fdb" and .asked == "52:54:00:d2:00:01") and .in_sync' 30000
check_err $? "vnicctl: net1's unlisted MAC not refused"
wait_nic vm net0 '.in_sync and .state == "configured"' 30000
check_err $? "net0 not settled after the MAC changes"
phase_end flip

mac_rule=$(refusal net0 mac)
[[ $(cut -f1 <<<"$mac_rule") -ge 1 ]] && grep -q $'\t'"more than 5 MAC changes within 600 s" <<<"$mac_rule"
check_err $? "vnicctl: net0's MAC refusal is [$mac_rule]"
hold=$(nic_json vm net0 | jq -r '.mac_changes.hold_remaining_sec // 0')
[[ $hold -gt 0 ]]
check_err $? "vnicctl: net0's MAC changes not held down: $(nic_json vm net0 | jq -c .mac_changes)"
[[ $(ns_link mvt0 | jq -r .address) != 52:54:00:c1:00:06 ]]
check_err $? "kernel: mvt0 took the guest's MAC during the hold-down"
refusal net1 fdb | grep -q $'\t52:54:00:d2:00:01\t.*neither the configured MAC nor in AllowedMACs='
check_err $? "vnicctl: net1's FDB refusal is [$(refusal net1 fdb)]"
bridge_has_static tap0 "$ALLOWED_MAC1 0"
check_err $? "kernel: tap0 static FDB after the refused MAC is [$(bridge_static_macs tap0)]"
# The MACs mvt0 took in this phase (the recording between the marks), besides the one it had.
before=$(sed -n "1,/link\/ether ${MARKS[flip-begin]} /p" "$LINK_LOG" | mvt0_addrs | tail -n 1)
: "${before:=52:54:00:12:34:50}"
took=$(section flip | mvt0_addrs | awk -v prev="$before" '$1 != prev { n++ } { prev = $1 } END { print n + 0 }')
distinct=$(section flip | mvt0_addrs | grep -v -x "$before" | sort -u | grep -c .)
[[ $took -le 5 && $distinct -le 5 ]]
check_err $? "kernel: mvt0 changed its MAC $took times ($distinct MACs) in the phase, MACChangeLimitBurst=5"
# net0: one write per MAC taken, at most the burst of 5. net1: the entry moved at most once
# (configured -> allowed; nothing asks it back): one delete and one add. +2 each for a resync.
[[ $D0 -le 7 && $D1 -le 4 ]]
check_err $? "writes not bounded: net0 +$D0 (bound 5+2), net1 +$D1 (bound 2+2)"
echo "phase flip: net0 writes +$D0, net1 writes +$D1, mvt0 address changes $took ($distinct MACs)," \
        "mac refusals $(refusal_count net0 mac) (hold ${hold} s left), fdb refusals $(refusal_count net1 fdb)"
check_groups "MAC changes"
log_test "1000 MAC changes: mvt0 takes <= 5 then holds, tap0 only allowed MACs, refusals shown"

# --- phase 4: promiscuous on and off 100 times each ---------------------------------------------
phase_begin promisc
toggle="awk 'BEGIN { for (i = 0; i < 100; i++) { print \"link set dev $G0 promisc on\"; print \"link set dev $G0 promisc off\" } }' >/tmp/promisc &&
        /usr/sbin/ip -batch /tmp/promisc"
guest --timeout 300 "$toggle" >/dev/null
check_err $? "guest could not toggle promiscuous mode"
# A last "on" that vnicd surely sees, then off again.
guest "/usr/sbin/ip link set dev $G0 promisc on" >/dev/null
wait_nic vm net0 '.asked.promiscuous and .in_sync and any(.refusals[]; .field == "promiscuous" and (.rule | test("Promiscuous=refuse")))' 30000
check_err $? "vnicctl: net0's promiscuous mode not refused"
! link_flag mvt0 PROMISC
check_err $? "kernel: mvt0 is promiscuous"
guest "/usr/sbin/ip link set dev $G0 promisc off" >/dev/null
wait_nic vm net0 '(.asked.promiscuous | not) and .in_sync and .state == "configured"' 30000
check_err $? "vnicctl: net0 not settled after promiscuous off"
phase_end promisc
[[ $D0 -le 2 && $D1 -le 2 ]]
check_err $? "writes for refused promiscuous mode: net0 +$D0, net1 +$D1 (bound 2 each)"
echo "phase promisc: net0 writes +$D0, net1 writes +$D1, promiscuous refusals $(refusal_count net0 promiscuous)"
check_groups "promiscuous toggles"
log_test "200 promiscuous toggles: refused and shown, mvt0 never promiscuous"

# --- the whole run, from the recordings -------------------------------------------------------
# Not vacuous: the recordings hold tap0's first entry and mvt0's MAC changes.
n_mvt0=$(grep -cE '^\[[^]]*\] [0-9]+: mvt0[@:]' "$LINK_LOG")
n_fdb=$(grep -v '^Deleted' "$FDB_LOG" | awk '$2 == "dev" && $3 == "tap0" && / static/' | grep -c .)
[[ $n_mvt0 -ge 1 && $n_fdb -ge 1 ]]
check_err $? "recordings miss what vnicd did: $n_mvt0 mvt0 link messages, $n_fdb tap0 static FDB entries"
n=$(grep -E '^\[[^]]*\] [0-9]+: mvt0[@:]' "$LINK_LOG" | grep -cE '[<,](PROMISC|ALLMULTI)[,>]')
[[ $n -eq 0 ]]
check_err $? "recording: mvt0 was PROMISC or ALLMULTI $n times: $(grep -E '^\[[^]]*\] [0-9]+: mvt0[@:]' "$LINK_LOG" | grep -E '[<,](PROMISC|ALLMULTI)[,>]' | head -n 2)"
bad=$(grep -v '^Deleted' "$FDB_LOG" | awk '$2 == "dev" && $3 == "tap0" && / static/ { print $1 }' |
        grep -v -x -e "$CONF_MAC1" -e "$ALLOWED_MAC1" | sort -u | tr '\n' ' ')
[[ -z $bad ]]
check_err $? "recording: tap0 got static FDB entries for [$bad]"
n=$(grep -v '^Deleted' "$FDB_LOG" | awk '$2 == "dev" && $3 == "tap0" && / static/' | grep -c ' vlan ')
[[ $n -eq 0 ]]
check_err $? "recording: $n static FDB entries with a VLAN on tap0"
log_info "recording: mvt0 $n_mvt0 link messages, tap0 $n_fdb static FDB adds"
log_test "recording: mvt0 never promiscuous/allmulti, tap0 only configured/allowed MACs"

# --- vnicd: alive, refusals logged rate-limited -------------------------------------------------
kill -0 "$VNICD_PID"
check_err $? "vnicd died"
vnicctl list >/dev/null
check_err $? "vnicctl list fails"
logged=$(grep -c ': refused ' "$VNICD_LOG")
total=$(vnicctl --json | jq '[.guests[].nics[].refusals[].count] | add // 0')
[[ $logged -ge 1 && $logged -lt 100 ]]
check_err $? "vnicd logged $logged refusal lines (want 1-99, rate-limited) for $total refusals"
echo "refusals: $total counted in vnicctl, $logged logged; writes net0 $(writes net0), net1 $(writes net1)"
log_test "vnicd alive, refusals logged rate-limited ($logged lines for $total refusals)"

if [[ $EXIT_STATUS -ne 0 ]]; then
        echo "--- vnicctl --json (net0, net1):"
        nic_json vm net0 | jq -c '{writes, refusals, mac_changes, host, state, last_error}'
        nic_json vm net1 | jq -c '{writes, refusals, mac_changes, state, last_error}'
        echo "--- vnicd log (last 40 lines):"
        tail -n 40 "$VNICD_LOG"
fi
exit $EXIT_STATUS
