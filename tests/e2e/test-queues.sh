#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Queue pairs, observed on the real parts (issue 8, parts 1 to 3): a TCG guest with 2 vCPUs and a
# 4-queue virtio-net on a multiqueue tap in a bridge, and a single-queue tap; vnicd follows the
# guest over QMP.
#
#   netns
#     br0 --- tap0 (multi_queue, 4 queues) === QEMU net0 (mq=on)  guest: ethtool -L <dev> combined N
#         \-- tap1 (one queue)             === QEMU net1
#
# vnicctl must show for net0: max 4 (the queues QEMU opened on the tap), active as the kernel
# counts the tap's attached queues (2 at probe: min(vCPUs, max); then what the guest's ethtool -L
# asks), vCPUs 2 (query-cpus-fast), and a recommendation with its rule and reason from load
# samples; for net1 max 1 and the one-queue rule. Every figure is checked against the kernel
# (ip -d link: numqueues/numdisabled) or the guest (ethtool -l).

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip bridge jq socat qemu-system-x86_64 dbus-daemon busctl

setup_ns NS
sandbox_uplink
sandbox_bridge br0 tap1 || exit 1
ip -n "$SANDBOX_NS" tuntap add tap0 mode tap multi_queue || exit 1
ip -n "$SANDBOX_NS" link set tap0 master br0 up || exit 1
sandbox_guest_start --smp 2 tap:tap0,queues=4 tap:tap1 || exit 1

cat >"$SANDBOX_DIR/vnicd.conf" <<CONF
[Manager]
DebounceSec=0.02
ResyncSec=1
MultiqueueSampleSec=0.5
MultiqueueIdleSampleSec=3
# a short window: the policy keeps this many samples and no more
MultiqueueWindowSamples=4
# not the default 200: the reason must cite the threshold vnicd.conf set
MultiqueueIdlePacketRate=180

[Guest]
Name=mq
QMPSocket=$SANDBOX_QMP

[Interface]
Guest=mq
Name=net0
HostDevice=tap0
Trust=yes

[Interface]
Guest=mq
Name=net1
HostDevice=tap1
Trust=yes
CONF
vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1
sandbox_guest_wait_ready || exit 1
G0=$(guest_nic 52:54:00:12:34:50)
[[ -n $G0 ]] || { echo "guest NIC of net0 not found"; exit 1; }

tap_queues() { # TAP: "attached detached", as the kernel counts them
        ip -n "$SANDBOX_NS" -d -j link show dev "$1" |
                jq -r '.[0].linkinfo.info_data | "\(.numqueues) \(.numdisabled)"'
}
guest_combined() { # the guest driver's current combined channels
        guest "/usr/sbin/ethtool -l $G0" | awk '/^Current/ { cur = 1 } cur && /^Combined/ { print $2; exit }'
}
queues_are() { # NIC MAX ACTIVE VCPUS
        nic_json mq "$1" | jq -e --argjson max "$2" --argjson active "$3" --argjson vcpus "$4" \
                '.queues | .max == $max and .active == $active and .vcpus == $vcpus' >/dev/null
}

# --- at boot: the guest enables min(vCPUs, max) = 2 of 4 pairs ---------------------------------
busywait 30000 queues_are net0 4 2 2
check_err $? "vnicctl: net0 queues $(nic_json mq net0 | jq -c .queues), wanted max 4 active 2 vCPUs 2"
[[ $(tap_queues tap0) == "2 2" ]]
check_err $? "kernel: tap0 has '$(tap_queues tap0)' attached/detached queues, wanted '2 2'"
[[ $(guest_combined) == 2 ]]
check_err $? "guest: $G0 has $(guest_combined) combined channels, wanted 2"
nic_json mq net0 | jq -e '.queues.max_source | test("4 queues opened by QEMU")' >/dev/null
check_err $? "vnicctl: net0 max_source '$(nic_json mq net0 | jq -r .queues.max_source)'"
log_test "boot: max 4 (tap), active 2 (the tap's attached queues), vCPUs 2 (QEMU)"

# --- the guest changes its pairs: the tap and vnicctl follow ---------------------------------------
for n in 1 2; do
        guest "/usr/sbin/ethtool -L $G0 combined $n" || { echo "guest: ethtool -L combined $n failed"; exit 1; }
        busywait 20000 queues_are net0 4 $n 2
        check_err $? "vnicctl: after ethtool -L combined $n: $(nic_json mq net0 | jq -c .queues)"
        [[ $(tap_queues tap0) == "$n $((4 - n))" ]]
        check_err $? "kernel: tap0 has '$(tap_queues tap0)' attached/detached queues after combined $n"
done
log_test "guest ethtool -L combined 1, then 2: the tap's attached queues and vnicctl follow"

# --- a recommendation, with its rule and reason, from load samples -----------------------------
recommended() { nic_json mq net0 | jq -e '.queues.recommended != null and .queues.samples >= 2' >/dev/null; }
busywait 20000 recommended
check_err $? "vnicctl: no recommendation for net0: $(nic_json mq net0 | jq -c .queues)"
q=$(nic_json mq net0 | jq -c .queues)
# An idle guest keeps its recommendation (1 or 2: the pairs active when sampling started), under
# the idle rule (under MultiqueueIdlePacketRate=180 packets/s, which the reason cites), next to the
# static choices 1 and min(vCPUs, max) = 2; more samples change nothing.
jq -e '(.recommended == 1 or .recommended == 2) and .rule == "idle" and .static_one == 1 and
        .static_cap == 2 and (.reason | test("^idle: keeps [12] \\([0-9]+ packets/s < 180\\)$")) and
        .packet_rate < 180' <<<"$q" >/dev/null
check_err $? "vnicctl: net0's recommendation is not 'idle, keeps': $q"
REC=$(jq -r .recommended <<<"$q")
SAMPLED=$(jq -r .sampled <<<"$q")
more_samples() { nic_json mq net0 | jq -e --arg t "$SAMPLED" '.queues.sampled != $t' >/dev/null; }
busywait 20000 more_samples
check_err $? "vnicctl: no new sample for net0 after the one at $SAMPLED"
nic_json mq net0 | jq -e --argjson r "$REC" '.queues.recommended == $r and .queues.rule == "idle"' >/dev/null
check_err $? "vnicctl: an idle net0's recommendation changed: $(nic_json mq net0 | jq -c .queues)"
log_info "net0 queues: $q"
# The window: samples stop at MultiqueueWindowSamples=4, the oldest dropped for each new one.
busywait 20000 eval 'nic_json mq net0 | jq -e ".queues.samples == 4" >/dev/null'
check_err $? "vnicctl: net0 never had 4 samples: $(nic_json mq net0 | jq -c .queues.samples)"
SAMPLED=$(nic_json mq net0 | jq -r .queues.sampled)
busywait 20000 more_samples
nic_json mq net0 | jq -e '.queues.samples == 4' >/dev/null
check_err $? "vnicctl: net0 has more samples than MultiqueueWindowSamples=4: $(nic_json mq net0 | jq -c .queues.samples)"
# net1: one queue, nothing to decide.
busywait 20000 queues_are net1 1 1 2
check_err $? "vnicctl: net1 queues $(nic_json mq net1 | jq -c .queues), wanted max 1 active 1"
busywait 20000 eval 'nic_json mq net1 | jq -e ".queues.recommended == 1 and .queues.rule == \"one-queue\"" >/dev/null'
check_err $? "vnicctl: net1 recommendation $(nic_json mq net1 | jq -c .queues)"
log_test "recommendation: idle net0 keeps its pairs (static 1 and 2 beside it) over a 4-sample window, net1 one queue"

# --- the table for people ----------------------------------------------------------------------
out=$(vnicctl show mq/net0)
grep -q "Queues: *max 4, active 2, recommended $REC, vCPUs 2" <<<"$out"
check_err $? "vnicctl show: no Queues line: $out"
log_test "vnicctl show prints max, active, recommended and vCPUs, and why"

exit $EXIT_STATUS
