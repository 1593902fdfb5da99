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
#   bench/rxfilter-latency.sh [N]  (as root)      (default N=40; DebounceSec from BENCH_DEBOUNCE, default 0.05)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-40}
: "${VNIC_BUILD_DIR:=$top/build}"
: "${VNIC_GUEST_CACHE:=$top/.cache/guest}"
: "${BENCH_DEBOUNCE:=0.05}"
export VNIC_BUILD_DIR VNIC_GUEST_CACHE
ninja -C "$VNIC_BUILD_DIR" >/dev/null || { echo "build first: meson setup build && ninja -C build"; exit 1; }

source "$top/tests/lib/sandbox.sh"
source "$top/tests/lib/vnicd.sh"
require_root

setup_ns NS
sandbox_uplink
sandbox_macvtap mvt0
sandbox_macvtap ref0
sandbox_guest_start mvt0 >/dev/null || exit 1
cat >"$SANDBOX_DIR/vnicd.conf" <<CONF
[Manager]
DebounceSec=$BENCH_DEBOUNCE
ResyncSec=0

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
G=$(guest "/usr/sbin/ip -o link | grep -i 52:54:00:12:34:50 | cut -d: -f2 | tr -d ' '")
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

stats() { # reads microseconds, one per line; prints "p50 p99 min max n" in ms
        sort -n | awk '{ a[NR] = $1 } END {
                if (NR == 0) { print "- - - - 0"; exit }
                p50 = a[int(0.50 * (NR - 1)) + 1]; p99 = a[int(0.99 * (NR - 1)) + 1]
                printf "%.3f %.3f %.3f %.3f %d\n", p50 / 1000, p99 / 1000, a[1] / 1000, a[NR] / 1000, NR }'
}
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
