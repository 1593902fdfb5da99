#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/rxfilter-latency: how fast the host follows a guest's receive-filter change.
#
# A TCG guest in a sandbox (as in the demo) makes N changes on a trusted macvtap NIC, alternating
# a MAC change and a multicast join/leave. For each round vnicd records (in Describe()'s
# "latency"):
#   event -> ACK     QEMU's NIC_RX_FILTER_CHANGED timestamp to the kernel's answer to the last
#                    write of the round (includes DebounceSec and the query round trip)
#   processing       vnicd's own CPU time in the round: parsing the reply, policy, diff, sending
# Reference, measured in the same run, alternating with the guest steps (A/B): iproute2 making one
# comparable kernel write, 'ip link set dev ref0 address …' on a macvtap of its own, process start
# included. Prints p50, p99, min and max of each and the ratio of the medians. Not a pass/fail
# test: these machines are noisy; compare figures from one run only.
#
# --libvirt: the comparison with libvirt itself. A private libvirtd (tests/lib/libvirt.sh, as in
# tests/libvirt/test-libvirt-follow.sh) runs the libvirt tier's scenario domain with two macvtaps
# on one uplink: net0 with trustGuestRxFilters='yes' (libvirt's: libvirtd queries QEMU and syncs
# the macvtap itself) and net1 without it, trusted by vnicd's domain metadata (vnicd's: vnicd,
# connected to that libvirtd, follows it). In each of N rounds the guest sets a new MAC on net0
# and the host is waited for until net0's macvtap has it, then the same step on net1 (A/B). Both
# are timed the same way, outside vnicd, on the host's realtime clock:
#   from  QEMU's NIC_RX_FILTER_CHANGED timestamp for that NIC, as 'virsh qemu-monitor-event'
#         prints it (the first one between the step's start and the host having the MAC)
#   to    the first 'ip -ts monitor link' line of that macvtap with the new MAC (iproute2's time
#         of reading the notification)
# A step without either is reported as missing, never dropped silently. Also printed: vnicd's own
# "event -> ACK" for net1 (Describe()'s "latency") and the ratio of the medians vnicd / libvirt.
# vnicd's figures include DebounceSec; libvirt does not debounce.
#
#   bench/rxfilter-latency.sh [N]  (as root)      (default N=40; DebounceSec from BENCH_DEBOUNCE, default 0.05)
#   bench/rxfilter-latency.sh --libvirt [N]       (N rounds, one MAC change on each NIC per round;
#                                                  BENCH_STEP_TIMEOUT s per step, default 20)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
mode=qmp
if [[ ${1:-} == --libvirt ]]; then
        mode=libvirt
        shift
fi
N=${1:-40}
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [--libvirt] [N]"; exit 1; }
: "${VNIC_BUILD_DIR:=$top/build}"
: "${VNIC_GUEST_CACHE:=$top/.cache/guest}"
: "${BENCH_DEBOUNCE:=0.05}"
: "${BENCH_STEP_TIMEOUT:=20}"
export VNIC_BUILD_DIR VNIC_GUEST_CACHE
ninja -C "$VNIC_BUILD_DIR" >/dev/null || { echo "build first: meson setup build && ninja -C build"; exit 1; }

source "$top/tests/lib/sandbox.sh"
source "$top/tests/lib/vnicd.sh"
require_root

stats() { # reads microseconds, one per line; prints "p50 p99 min max n" in ms
        sort -n | awk '{ a[NR] = $1 } END {
                if (NR == 0) { print "- - - - 0"; exit }
                p50 = a[int(0.50 * (NR - 1)) + 1]; p99 = a[int(0.99 * (NR - 1)) + 1]
                printf "%.3f %.3f %.3f %.3f %d\n", p50 / 1000, p99 / 1000, a[1] / 1000, a[NR] / 1000, NR }'
}

# --- the --libvirt mode ---------------------------------------------------------------------------

BENCH_EVENTS_PID=
BENCH_LINKS_PID=

# Stops the two background readers, by PID (virsh with INT: it ends its event loop and flushes).
bench_readers_stop() {
        local pid sig

        for pid in "$BENCH_EVENTS_PID:INT" "$BENCH_LINKS_PID:TERM"; do
                sig=${pid#*:}
                pid=${pid%:*}
                [[ -n $pid ]] || continue
                kill -"$sig" "$pid" 2>/dev/null
                busywait 5000 __pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
        done
        BENCH_EVENTS_PID=
        BENCH_LINKS_PID=
}

__link_has() { # DEV MAC: the kernel has MAC on DEV
        [[ $(ip -n "$NS" -o link show dev "$1" 2>/dev/null) == *"link/ether $2 "* ]]
}

__events_seen() { # FILE NIC...: FILE has an event line of each NIC
        local f=$1 n
        shift

        for n in "$@"; do
                grep -q "^event NIC_RX_FILTER_CHANGED at .*\"name\": *\"$n\"" "$f" || return 1
        done
}

# shellcheck disable=SC2317  # called through busywait
__events_live() { # FILE IF0 IF1: a guest multicast join and leave on both NICs shows in FILE
        guest "for i in $2 $3; do /usr/sbin/ip maddr add 01:00:5e:7f:00:01 dev \$i;" \
                "/usr/sbin/ip maddr del 01:00:5e:7f:00:01 dev \$i; done" >/dev/null
        busywait 3000 __events_seen "$1" net0 net1
}

bench_libvirt() {
        local dom=vnic-bench d out k i mac t0 t1 fails rounds0 got json qemu lv what val why
        local l50 l99 lmin lmax ln v50 v99 vmin vmax vn a50 a99 amin amax an
        local -a gif=() tgt=() lib=() vni=() ack=()
        local -A missing=()

        require_cmd libvirtd virsh nsenter unshare jq qemu-system-x86_64 dbus-daemon
        : "${VNIC_GUEST_EXEC:=$VNIC_BUILD_DIR/tests/tools/guest-exec}"
        [[ -x $VNIC_GUEST_EXEC ]] || skip "guest-exec not built ($VNIC_GUEST_EXEC)"

        setup_ns NS || exit 1
        libvirt_scenario_net || exit 1
        sandbox_image || exit 1
        __sandbox_dir || exit 1
        d=$SANDBOX_DIR/$dom
        mkdir -p "$d" || exit 1
        libvirtd_start || exit 1
        # net0 (:50) trustGuestRxFilters='yes': libvirt's; net1 (:51) trusted by vnicd: vnicd's.
        libvirt_scenario_xml "$dom" "$d" destroy "
    <vnicd:nics xmlns:vnicd='https://vnicd.org/xmlns/vnicd/1'>
      <vnicd:nic mac='52:54:00:12:34:51' trust='yes'/>
    </vnicd:nics>
  " >"$d/domain.xml" || exit 1
        out=$(virsh define "$d/domain.xml" 2>&1) || { echo "virsh define: $out"; exit 1; }
        out=$(virsh start "$dom" 2>&1) || { echo "virsh start: $out"; exit 1; }

        VNICD_DEBOUNCE=$BENCH_DEBOUNCE VNICD_MANAGER_EXTRA=$'ResyncSec=0\nMACChangeLimitBurst=0' vnicd_libvirt_start "$d" warning || exit 1

        busywait $((SANDBOX_READY_TIMEOUT * 1000)) libvirt_guest_ready "$d" ||
                { echo "guest not ready; console:"; tail -n 5 "$d/console.log"; exit 1; }
        SANDBOX_AGENT=$d/agent.sock
        for k in 0 1; do
                gif[k]=$(guest_nic 52:54:00:12:34:5$k)
                [[ -n ${gif[k]} ]] || { echo "guest NIC 52:54:00:12:34:5$k not found"; exit 1; }
        done
        mapfile -t tgt < <(virsh domiflist "$dom" | awk 'NF == 5 { print $1 }')
        wait_nic "$dom" net0 ".owner == \"libvirt\" and .host_device == \"${tgt[0]}\" and .state == \"configured\"" 60000 ||
                exit 1
        wait_nic "$dom" net1 ".owner == \"vnicd\" and .host_device == \"${tgt[1]}\" and .trusted and .state == \"configured\" and .in_sync" 60000 ||
                exit 1

        guest "/usr/sbin/ip link set ${gif[0]} up && /usr/sbin/ip link set ${gif[1]} up" >/dev/null || exit 1
        wait_nic "$dom" net1 '.in_sync' 30000 >/dev/null || exit 1

        # The readers, in the background and stopped by PID: the netns's link notifications and
        # libvirt's copy of QEMU's events (in libvirtd's namespaces, where its socket is). The
        # event reader is live once a guest multicast join shows an event of each NIC.
        TZ=UTC ip -n "$NS" -o -ts monitor link >"$d/links" 2>&1 &
        BENCH_LINKS_PID=$!
        nsenter -t "$LIBVIRTD_PID" -m -n -- virsh -q -c "$LIBVIRT_URI" qemu-monitor-event \
                --domain "$dom" --event NIC_RX_FILTER_CHANGED --loop >"$d/events" 2>&1 &
        BENCH_EVENTS_PID=$!
        defer bench_readers_stop
        busywait 30000 __events_live "$d/events" "${gif[0]}" "${gif[1]}" ||
                { echo "no NIC_RX_FILTER_CHANGED of net0 and net1 seen: $(head -c 300 "$d/events")"; exit 1; }
        wait_nic "$dom" net1 '.in_sync' 30000 >/dev/null || exit 1
        rounds0=$(nic_json "$dom" net1 | jq .latency.rounds)

        : >"$d/steps"
        fails=0
        for ((i = 0; i < N && fails < 3; i++)); do
                for k in 0 1; do
                        mac=$(printf '52:54:00:b%d:%02x:%02x' "$k" $((i / 256 % 256)) $((i % 256)))
                        t0=$(date +%s%6N)
                        guest "/usr/sbin/ip link set dev ${gif[k]} address $mac" >/dev/null || exit 1
                        if busywait $((BENCH_STEP_TIMEOUT * 1000)) __link_has "${tgt[k]}" "$mac"; then
                                t1=$(date +%s%6N)
                                fails=0
                        else
                                echo "net$k: ${tgt[k]} does not have $mac after ${BENCH_STEP_TIMEOUT}s"
                                t1=0
                                fails=$((fails + 1))
                        fi
                        echo "net$k ${tgt[k]} $mac $t0 $t1" >>"$d/steps"
                done
        done
        ((fails < 3)) || echo "three steps in a row not followed: stopped after $i rounds"
        wait_nic "$dom" net1 '.in_sync' 30000 >/dev/null
        json=$(nic_json "$dom" net1)
        bench_readers_stop

        # Per step: QEMU's event for that NIC within [start, host has the MAC], then the first link
        # line of its macvtap with the new MAC. Prints "net0 USEC", or "missing net0 WHY".
        while read -r what val why; do
                case $what in
                net0) lib+=("$val") ;;
                net1) vni+=("$val") ;;
                missing) missing[$val]="${missing[$val]:-}$why " ;;
                esac
        done < <(TZ=UTC awk '
                FNR == 1 { f++ }
                f == 1 { n++; snic[n] = $1; sdev[n] = $2; smac[n] = $3; st0[n] = $4; st1[n] = $5; next }
                f == 2 && $1 == "event" && $2 == "NIC_RX_FILTER_CHANGED" && $3 == "at" {
                        if (!match($0, /"name": *"[^"]*"/)) next
                        nm = substr($0, RSTART, RLENGTH)
                        sub(/^"name": *"/, "", nm)
                        sub(/"$/, "", nm)
                        split($4, p, ".")
                        e++; enic[e] = nm; ets[e] = p[1] * 1000000 + p[2]
                        next
                }
                f == 3 && $2 != "Deleted" && /link\/ether/ {
                        split(substr($1, 2, length($1) - 2), a, /[-T:.]/)
                        dv = $3
                        sub(/@.*/, "", dv)
                        sub(/:$/, "", dv)
                        for (i = 4; i < NF; i++)
                                if ($i == "link/ether") {
                                        l++; ldev[l] = dv; lmac[l] = $(i + 1)
                                        lts[l] = mktime(a[1] " " a[2] " " a[3] " " a[4] " " a[5] " " a[6]) * 1000000 + a[7]
                                        break
                                }
                }
                END {
                        for (s = 1; s <= n; s++) {
                                if (st1[s] == 0) { print "missing", snic[s], "not-followed"; continue }
                                ev = 0; fin = 0
                                for (i = 1; i <= e && !ev; i++)
                                        if (enic[i] == snic[s] && ets[i] >= st0[s] && ets[i] <= st1[s]) ev = ets[i]
                                for (i = 1; i <= l && !fin; i++)
                                        if (ldev[i] == sdev[s] && lmac[i] == smac[s]) fin = lts[i]
                                if (!ev) print "missing", snic[s], "no-event"
                                else if (!fin) print "missing", snic[s], "no-link-line"
                                else printf "%s %d\n", snic[s], fin - ev
                        }
                }' "$d/steps" "$d/events" "$d/links")

        got=$(($(jq .latency.rounds <<<"$json") - rounds0))
        ((got > 0)) && mapfile -t ack < <(jq -r ".latency.event_to_ack_usec[-$got:][]" <<<"$json")
        read -r l50 l99 lmin lmax ln < <(printf '%s\n' "${lib[@]}" | grep . | stats)
        read -r v50 v99 vmin vmax vn < <(printf '%s\n' "${vni[@]}" | grep . | stats)
        read -r a50 a99 amin amax an < <(printf '%s\n' "${ack[@]}" | grep . | stats)

        out=$(virsh version --daemon 2>/dev/null)
        qemu=$(awk '/Running hypervisor:/ { print $NF }' <<<"$out")
        lv=$(awk '/Running against daemon:/ { print $NF }' <<<"$out")
        printf '\nrxfilter-latency --libvirt: %d rounds (a guest MAC change on each NIC), DebounceSec=%s (vnicd), QEMU %s under TCG, libvirt %s\n' \
                "$i" "$BENCH_DEBOUNCE" "${qemu:-?}" "${lv:-?}"
        printf 'QEMU event: its NIC_RX_FILTER_CHANGED timestamp; macvtap has the MAC: the link notification (ip monitor)\n'
        printf '%-64s %10s %10s %10s %10s %5s\n' "" "p50 ms" "p99 ms" "min ms" "max ms" "n"
        printf '%-64s %10s %10s %10s %10s %5s\n' "libvirt-owned (libvirt syncs): QEMU event -> macvtap has the MAC" \
                "$l50" "$l99" "$lmin" "$lmax" "$ln"
        printf '%-64s %10s %10s %10s %10s %5s\n' "vnicd-owned (vnicd follows): QEMU event -> macvtap has the MAC" \
                "$v50" "$v99" "$vmin" "$vmax" "$vn"
        printf '%-64s %10s %10s %10s %10s %5s\n' "vnicd's own, net1: QEMU event -> last netlink ACK" \
                "$a50" "$a99" "$amin" "$amax" "$an"
        printf 'missing steps: libvirt-owned %d of %d%s, vnicd-owned %d of %d%s\n' \
                $((i - ln)) "$i" "${missing[net0]:+ (${missing[net0]% })}" \
                $((i - vn)) "$i" "${missing[net1]:+ (${missing[net1]% })}"
        awk -v l="$l50" -v v="$v50" -v db="$BENCH_DEBOUNCE" 'BEGIN {
                if (l > 0) printf "ratio of medians: vnicd / libvirt = %.2f (vnicd'"'"'s figure includes DebounceSec=%s s; libvirt does not debounce)\n", v / l, db
                if (l > 0) printf "ratio of medians without DebounceSec: (vnicd - %s s) / libvirt = %.2f\n", db, (v - db * 1000) / l }'
}

if [[ $mode == libvirt ]]; then
        source "$top/tests/lib/libvirt.sh"
        bench_libvirt
        exit 0
fi

# --- the QMP mode (default) -----------------------------------------------------------------------

setup_ns NS
sandbox_uplink
sandbox_macvtap mvt0
sandbox_macvtap ref0
sandbox_guest_start mvt0 >/dev/null || exit 1
cat >"$SANDBOX_DIR/vnicd.conf" <<CONF
[Manager]
DebounceSec=$BENCH_DEBOUNCE
ResyncSec=0
# The bench flips the MAC on purpose: no flapping limit.
MACChangeLimitBurst=0

[Guest]
Name=bench
QMPSocket=$SANDBOX_QMP

[Interface]
Guest=bench
Name=net0
HostDevice=mvt0
Trust=yes
CONF
vnicd_start "$SANDBOX_DIR/vnicd.conf" --log-level=warning || exit 1
sandbox_guest_wait_ready >/dev/null || exit 1
wait_nic bench net0 '.state == "configured" and .in_sync' 60000 || exit 1
G=$(guest_nic 52:54:00:12:34:50)
rounds0=$(nic_json bench net0 | jq .latency.rounds)

ref_ns=()
for ((i = 0; i < N; i++)); do
        # A: a guest change, waited for until the host has it.
        if ((i % 2 == 0)); then
                mac=$(printf '52:54:00:12:35:%02x' $((i % 256)))
                guest "/usr/sbin/ip link set dev $G address $mac" >/dev/null || exit 1
                wait_nic bench net0 ".in_sync and .host.mac == \"$mac\"" 30000 >/dev/null || exit 1
        else
                grp=$(printf '01:00:5e:03:00:%02x' $((i % 256)))
                guest "/usr/sbin/ip maddr add $grp dev $G" >/dev/null || exit 1
                wait_nic bench net0 ".in_sync and (.host.multicast | index(\"$grp\") != null)" 30000 >/dev/null || exit 1
        fi
        # B: the reference write with iproute2, right after, on its own macvtap.
        t0=$(date +%s%N)
        ip -n "$SANDBOX_NS" link set dev ref0 address "$(printf '02:00:00:00:01:%02x' $((i % 256)))"
        t1=$(date +%s%N)
        ref_ns+=($(((t1 - t0) / 1000)))
done

json=$(nic_json bench net0)
got=$(($(jq .latency.rounds <<<"$json") - rounds0))

read -r a50 a99 amin amax an < <(jq -r ".latency.event_to_ack_usec[-$got:][]" <<<"$json" | stats)
read -r p50 p99 pmin pmax pn < <(jq -r ".latency.processing_usec[-$got:][]" <<<"$json" | stats)
read -r r50 r99 rmin rmax rn < <(printf '%s\n' "${ref_ns[@]}" | stats)

qemu=$(vnicctl --json | jq -r '.guests[0].qemu_version')
printf '\nrxfilter-latency: %d guest changes (%d rounds measured), DebounceSec=%s, QEMU %s under TCG\n' \
        "$N" "$an" "$BENCH_DEBOUNCE" "$qemu"
printf '%-44s %10s %10s %10s %10s %5s\n' "" "p50 ms" "p99 ms" "min ms" "max ms" "n"
printf '%-44s %10s %10s %10s %10s %5s\n' "vnicd: QEMU event -> last netlink ACK" "$a50" "$a99" "$amin" "$amax" "$an"
printf '%-44s %10s %10s %10s %10s %5s\n' "vnicd: own CPU time per round" "$p50" "$p99" "$pmin" "$pmax" "$pn"
printf '%-44s %10s %10s %10s %10s %5s\n' "reference: ip link set address (iproute2)" "$r50" "$r99" "$rmin" "$rmax" "$rn"
awk -v a="$p50" -v b="$r50" -v c="$a50" 'BEGIN {
        if (b > 0) printf "ratio of medians: vnicd CPU per round / iproute2 write (wall) = %.3f\n", a / b
        if (b > 0) printf "ratio of medians: vnicd event->ACK / iproute2 write = %.1f (includes DebounceSec and the QMP query)\n", c / b }'
