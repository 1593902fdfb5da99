#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the kernel VM booted with --numa (two nodes, CPUs 0-1 / 2-3) and a multiqueue
# virtio-net with MSI-X on bus=pbr1, behind the PCI expander bridge on node 1 (tests/kvm/meson.build,
# kernel-vm-numa: 4 queue pairs, so config, input.0-3 and output.0-3 IRQs). vnicd places that
# uplink's IRQs and the vhost worker of the guest behind it; the test reads back
# /proc/irq/N/smp_affinity_list and the worker's Cpus_allowed_list. IRQs get one CPU each, round
# robin over the candidates (policies/placement.h): with the vCPU on a CPU of node 1 the one other
# CPU of the node takes them all; moved to node 0, they alternate over both CPUs of node 1.
#
# As in test-vnicd-vhost-workers.sh, tests/tools/vhost-owner makes a real worker and a qmp-hostile
# script stands in for QEMU's QMP, with vhost-owner as the one vCPU thread, pinned to a CPU of
# node 1. The guest's tap and the uplink are ports of one bridge: the guest is behind the uplink.
#
#   netns $SANDBOX_NS
#   +---------------------------------------------------------------------+
#   |  br0 -- $UPLINK (virtio-net, node 1, its MSI-X IRQs)                |
#   |      `- tap0 (the guest's NIC)                                      |
#   |  vnicd -- QMP -- qmp-hostile script (vCPU thread = vhost-owner)     |
#   |  vhost-owner -- /dev/vhost-net --> kernel worker vhost-<pid>        |
#   +---------------------------------------------------------------------+

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip jq dbus-daemon busctl
[[ -c /dev/vhost-net ]] || skip "no /dev/vhost-net on this kernel: run in the kernel VM (tests/kvm)"
[[ -r /sys/devices/system/node/node1/cpulist ]] || skip "one NUMA node: run-in-vm.sh --numa"

# "2-3,5" -> "2 3 5"
expand_cpus() {
        local item out=()

        for item in ${1//,/ }; do
                if [[ $item == *-* ]]; then
                        out+=($(seq "${item%-*}" "${item#*-}"))
                else
                        out+=("$item")
                fi
        done
        echo "${out[*]}"
}

# CPUS is within ALLOWED and does not hold AVOID.
cpus_ok() { # CPUS ALLOWED AVOID
        local c

        [[ -n $1 ]] || return 1
        for c in $(expand_cpus "$1"); do
                [[ " $(expand_cpus "$2") " == *" $c "* ]] || return 1
                [[ $c != "$3" ]] || return 1
        done
}

# The node of a NIC: the first ancestor of its device with numa_node >= 0.
nic_node() {
        local d

        d=$(readlink -f "/sys/class/net/$1/device") || return 1
        while [[ $d == /sys/devices/* ]]; do
                if [[ -r $d/numa_node && $(<"$d/numa_node") -ge 0 ]]; then
                        cat "$d/numa_node"
                        return 0
                fi
                d=${d%/*}
        done
        return 1
}

UPLINK='' pci=''
for dev in /sys/class/net/*; do
        d=${dev##*/}
        [[ $(readlink -f "$dev/device/driver" 2>/dev/null) == */virtio_net ]] || continue
        [[ $(nic_node "$d") == 1 ]] || continue
        UPLINK=$d
        pci=$(readlink -f "$dev/device")
        pci=${pci%/*} # the virtio device's parent: the PCI function
done
[[ -n $UPLINK ]] || skip "no virtio-net on NUMA node 1 (run-in-vm.sh --numa, the NIC on bus=pbr1)"
read -r -a irqs <<<"$(ls "$pci/msi_irqs" 2>/dev/null | sort -n | tr "\n" " ")"
((${#irqs[@]} > 0)) || skip "$UPLINK has no MSI IRQs"
node1=$(</sys/devices/system/node/node1/cpulist)
vcpu_cpu=$(expand_cpus "$node1")
vcpu_cpu=${vcpu_cpu##* } # the last CPU of node 1
node0_cpu=$(expand_cpus "$(</sys/devices/system/node/node0/cpulist)")
node0_cpu=${node0_cpu%% *} # where the vCPU goes later: the first CPU of node 0
log_info "uplink $UPLINK on node 1 (CPUs $node1), IRQs ${irqs[*]}; the vCPU runs on CPU $vcpu_cpu"

# Multiqueue: 4 pairs (QEMU's tap has 4 queues, the VM 4 vCPUs), each queue with its own MSI-X IRQ,
# named in /proc/interrupts after the virtio device.
virtio=$(readlink -f "/sys/class/net/$UPLINK/device")
virtio=${virtio##*/}
declare -A irq_of # name in /proc/interrupts -> IRQ, for the uplink's IRQs
while read -r n name; do
        [[ " ${irqs[*]} " == *" $n "* ]] && irq_of[$name]=$n
done <<<"$(awk '$1 ~ /^[0-9]+:$/ { sub(/:$/, "", $1); print $1, $NF }' /proc/interrupts)"
missing=()
for q in config input.{0..3} output.{0..3}; do
        [[ -n ${irq_of[$virtio-$q]:-} ]] || missing+=("$virtio-$q")
done
rxq=("/sys/class/net/$UPLINK/queues/rx-"*)
[[ ${#missing[@]} -eq 0 && ${#irqs[@]} -eq 9 && ${#rxq[@]} -eq 4 ]]
check_err $? "$UPLINK has IRQs ${irqs[*]} (${!irq_of[*]}), ${#rxq[@]} rx queues;\
 missing ${missing[*]:-nothing} (a 4-queue netdev and mq=on,vectors=10: tests/kvm/meson.build)"
log_test "multiqueue uplink: $virtio-config, -input.0-3, -output.0-3 in /proc/interrupts"

irq_cpus() {
        cat "/proc/irq/$1/smp_affinity_list"
}
# Every other IRQ with an affinity: none of them may change.
declare -A others
for f in /proc/irq/*/smp_affinity_list; do
        n=${f#/proc/irq/}
        n=${n%%/*}
        [[ " ${irqs[*]} " == *" $n "* ]] && continue
        others[$n]=$(<"$f")
done
declare -A before
for n in "${irqs[@]}"; do
        before[$n]=$(irq_cpus "$n")
done

setup_ns NS
__sandbox_dir || exit 1
ip link set "$UPLINK" netns "$SANDBOX_NS" || exit 1
ip -n "$SANDBOX_NS" link add br0 up type bridge || exit 1
ip -n "$SANDBOX_NS" link set "$UPLINK" master br0 up || exit 1
ip -n "$SANDBOX_NS" tuntap add tap0 mode tap || exit 1
ip -n "$SANDBOX_NS" link set tap0 master br0 up || exit 1

if ! vhost_owner_start "$SANDBOX_DIR"; then
        log_test "the kernel made a worker"
        exit 1
fi
owner=$VHOST_OWNER_PID tid=$VHOST_WORKER_TID
taskset -p -c "$vcpu_cpu" "$owner" >/dev/null 2>&1 || busybox taskset -p -c "$vcpu_cpu" "$owner" >/dev/null
check_err $? "cannot pin the vCPU stand-in to CPU $vcpu_cpu"
worker_cpus() {
        sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$tid/status"
}
worker_before=$(worker_cpus)
log_info "worker $tid, Cpus_allowed_list $worker_before"

qmp_peer_filter_nic "$SANDBOX_DIR" 52:54:00:12:34:56 '[]'
qmp_peer_start "$SANDBOX_DIR" || exit 1

conf() { # MODE
        cat >"$SANDBOX_DIR/vnicd.conf" <<CONF
[Manager]
DebounceSec=0.02
ResyncSec=1
MultiqueueSampleSec=0.2
Placement=$1

[Uplink]
Name=$UPLINK

[Guest]
Name=vm
QMPSocket=$SANDBOX_DIR/qmp.sock

[Interface]
Guest=vm
Name=net0
HostDevice=tap0
CONF
}
conf report
vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1

placement() {
        vnicctl --json | jq -c '.placement'
}
holds() {
        vnicctl --json | jq -e "$1" >/dev/null 2>&1
}

# The CPUs the policy spreads the IRQs over with the vCPU on CPU VCPU: node 1 without it, or the
# whole node when that leaves nothing (pinned vCPUs given back).
candidates() { # VCPU
        local c out=()

        for c in $(expand_cpus "$node1"); do
                [[ $c == "$1" ]] || out+=("$c")
        done
        ((${#out[@]} > 0)) || read -r -a out <<<"$(expand_cpus "$node1")"
        echo "${out[*]}"
}
# The n-th IRQ (ascending) on the n-th candidate, wrapping around.
round_robin() { # CANDIDATE...
        local cand=("$@") i out=()

        for i in "${!irqs[@]}"; do
                out+=("${cand[i % ${#cand[@]}]}")
        done
        echo "${out[*]}"
}
# Each IRQ's smp_affinity_list, in the order of irqs.
irq_spread() {
        local n out=()

        for n in "${irqs[@]}"; do
                out+=("$(irq_cpus "$n")")
        done
        echo "${out[*]}"
}
# vnicd wants and has applied the round robin over candidates(VCPU), and the kernel reads it back.
check_spread() { # VCPU
        local cand want

        cand=$(candidates "$1")
        # shellcheck disable=SC2086 # a list of CPUs
        want=$(round_robin $cand)
        busywait 30000 holds ".placement.uplinks[0].irqs | ([.[].wanted] | join(\" \")) == \"$want\" and all(.applied)"
        check_err $? "vnicd wants $(placement | jq -r '[.uplinks[0].irqs[].wanted] | join(" ")') for IRQs ${irqs[*]},\
 not the round robin over CPUs $cand: $want ($(placement))"
        [[ $(irq_spread) == "$want" ]]
        check_err $? "IRQs ${irqs[*]} on CPUs $(irq_spread), not $want (round robin over $cand)"
}
# Decided: every IRQ and the worker have a wanted set.
decided=".placement.uplinks[0].irqs | length == ${#irqs[@]} and all(.wanted != null)"
busywait 30000 holds "($decided) and (.guests[0].placement.workers | length == 1 and .[0].wanted != null)"
check_err $? "no placement decided: $(placement)"
log_info "report: $(placement)"
holds ".placement.uplinks[0].numa_node == 1 and .placement.uplinks[0].mode == \"report\" and .guests[0].placement.uplink == \"$UPLINK\""
check_err $? "the uplink's node, mode or the guest's uplink is wrong: $(placement)"
log_test "report: node 1, every IRQ and the worker decided"

changed=0
for n in "${irqs[@]}"; do
        [[ $(irq_cpus "$n") == "${before[$n]}" ]] || changed=1
done
[[ $(worker_cpus) == "$worker_before" ]] || changed=1
holds '.placement.uplinks[0].changes == 0'
check_err $(($? + changed)) "report mode wrote something: $(placement)"
log_test "report: nothing written"

# apply, on SIGHUP.
conf apply
kill -HUP "$VNICD_PID"
busywait 30000 holds '.placement.uplinks[0] | .mode == "apply" and (.irqs | all(.applied)) and (.workers | length == 1 and all(.applied))'
check_err $? "not applied: $(placement)"
log_info "apply: $(placement)"
for n in "${irqs[@]}"; do
        cpus_ok "$(irq_cpus "$n")" "$node1" "$vcpu_cpu"
        check_err $? "IRQ $n on CPUs $(irq_cpus "$n"): not within node 1 ($node1) or on the vCPU's CPU $vcpu_cpu"
done
log_test "apply: every IRQ of $UPLINK on node 1, off the vCPU's CPU"
check_spread "$vcpu_cpu"
log_test "apply: IRQs round robin over node 1 minus CPU $vcpu_cpu: $(irq_spread)"
cpus_ok "$(worker_cpus)" "$node1" "$vcpu_cpu"
check_err $? "worker on CPUs $(worker_cpus): not within node 1 ($node1) or on the vCPU's CPU $vcpu_cpu"
log_test "apply: the vhost worker on node 1, off the vCPU's CPU"

# The vCPU moves to node 0: nothing on node 1 to avoid any more, the IRQs alternate over its CPUs
# and the worker gets the whole node (re-applied at the next pass: vnicd reads vCPU affinities).
taskset -p -c "$node0_cpu" "$owner" >/dev/null 2>&1 || busybox taskset -p -c "$node0_cpu" "$owner" >/dev/null
check_err $? "cannot pin the vCPU stand-in to CPU $node0_cpu"
check_spread "$node0_cpu"
log_test "vCPU to node 0: IRQs round robin over node 1: $(irq_spread)"
busywait 20000 holds ".placement.uplinks[0].workers | length == 1 and all(.applied and .wanted == \"$node1\")"
[[ $(worker_cpus) == "$node1" ]]
check_err $? "worker on CPUs $(worker_cpus), not node 1 ($node1), with the vCPU on node 0: $(placement)"
log_test "vCPU to node 0: the vhost worker on all of node 1"

for n in "${!others[@]}"; do
        [[ -r /proc/irq/$n/smp_affinity_list ]] || continue
        [[ $(irq_cpus "$n") == "${others[$n]}" ]]
        check_err $? "IRQ $n of another device moved: ${others[$n]} -> $(irq_cpus "$n")"
done
log_test "apply: no other device's IRQ touched"

# Writes only what differs: three more passes (resyncs) write nothing.
changes=$(placement | jq '.uplinks[0].changes')
passes=$(placement | jq .passes)
busywait 20000 holds ".placement.passes >= $((passes + 3))"
check_err $? "no further passes: $(placement | jq -c '{passes}')"
holds ".placement.uplinks[0].changes == $changes"
check_err $? "passes rewrote what was in place: $changes -> $(placement | jq '.uplinks[0].changes')"
log_test "apply: $changes writes, none again in three resyncs"

vnicctl show vm/net0 | grep -E "^ *Placement:" >/dev/null
check_err $? "vnicctl show has no Placement block: $(vnicctl show vm/net0)"
log_test "vnicctl show: Placement block"

# The worker exits while placed (with its owner, the vCPU stand-in: nothing is pinned any more, so
# the IRQs may move once to the whole node): dropped, nothing logged above debug, no retries.
wait_passes() { # N
        local p

        p=$(placement | jq .passes)
        busywait 20000 holds ".placement.passes >= $((p + $1))"
}
vhost_owner_stop
busywait 20000 holds '.placement.uplinks[0].workers == [] and .guests[0].placement.workers == []'
check_err $? "the worker is still placed after it exited: $(placement)"
wait_passes 2
changes=$(placement | jq '.uplinks[0].changes')
wait_passes 3
holds ".placement.uplinks[0].changes == $changes and (.placement.uplinks[0].irqs | all(.applied and .error == null))"
check_err $? "writes go on after the worker went, or failed: $(placement)"
! grep -iE "warning|error" "$VNICD_LOG" | grep -iE "vhost|uplink|placement|CPU"
check_err $? "vnicd logged about placement above debug"
log_test "worker gone: dropped quietly, no retries ($changes writes in all)"

# irqbalance (Debian's, run-in-vm.sh --deb) moves IRQs every interval unless banned. Started with
# its own --banirq of another device's IRQ and a 1 s interval; report mode sends it nothing, apply
# bans the uplink's IRQs through its socket and keeps the --banirq one (a ban replaces its list).
irqbalance_bin=$(type -P irqbalance) || {
        log_info "SKIP irqbalance part: no irqbalance in the VM (run-in-vm.sh --deb irqbalance:...)"
        exit "$EXIT_STATUS"
}
setup_bin=$VNIC_BUILD_DIR/tests/tools/irqbalance-setup
# The lowest and the highest: irqbalance 1.9.2 reads a ban list only up to a 0 after its first IRQ.
other_lo=$(printf '%s\n' "${!others[@]}" | sort -n | head -n 1)
other_hi=$(printf '%s\n' "${!others[@]}" | sort -n | tail -n 1)
other_irqs="$other_lo $other_hi"
mkdir -p /run/irqbalance # its systemd unit's RuntimeDirectory: the socket is a file vnicd's netns reaches
conf report
kill -HUP "$VNICD_PID"
"$irqbalance_bin" --foreground --interval=1 --banirq="$other_lo" --banirq="$other_hi" >"$SANDBOX_DIR/irqbalance.log" 2>&1 &
irqbalance_pid=$!
defer kill "$irqbalance_pid"
irqbalance_setup() {
        "$setup_bin" "$irqbalance_pid" 15000 | sed -n 's/^banned *//p'
}
busywait 10000 test -S "/run/irqbalance/irqbalance$irqbalance_pid.sock"
check_err $? "irqbalance made no socket: $(cat "$SANDBOX_DIR/irqbalance.log")"
busywait 20000 holds ".placement.irqbalance_pid == $irqbalance_pid and .placement.uplinks[0].mode == \"report\""
check_err $? "vnicd does not see irqbalance $irqbalance_pid in report mode: $(placement)"
wait_passes 2
log_info "report: $(placement | jq -c '{irqbalance_ban, irqbalance: .uplinks[0].irqbalance}')"
[[ $(irqbalance_setup) == "$other_irqs" ]]
check_err $? "report mode changed irqbalance's banned list: '$(irqbalance_setup)', not '$other_irqs'"
holds '.placement.irqbalance_ban.irqs == [] and .placement.irqbalance_ban.sent == null'
check_err $? "report mode sent a ban: $(placement | jq -c .irqbalance_ban)"
log_test "irqbalance, report: nothing sent (its list stays $other_irqs)"

conf apply
kill -HUP "$VNICD_PID"
busywait 20000 holds '.placement.uplinks[0].irqbalance | test("banned through its socket")'
check_err $? "no ban: $(placement | jq -c '{irqbalance_ban, irqbalance: .uplinks[0].irqbalance}')"
log_info "apply: $(placement | jq -c '{irqbalance_ban, irqbalance: .uplinks[0].irqbalance}')"
want=$(printf '%s\n' $other_irqs "${irqs[@]}" | sort -n -u | tr '\n' ' ')
[[ "$(irqbalance_setup) " == "$want" ]]
check_err $? "irqbalance's banned list is '$(irqbalance_setup)', not '$want'"
log_test "irqbalance, apply: IRQs ${irqs[*]} banned through its socket, its --banirq $other_irqs kept"

# Several of its intervals later the IRQs are where vnicd put them, and vnicd wrote nothing more.
declare -A placed
for n in "${irqs[@]}"; do
        placed[$n]=$(irq_cpus "$n")
done
changes=$(placement | jq '.uplinks[0].changes')
wait_passes 4
moved=0
for n in "${irqs[@]}"; do
        [[ $(irq_cpus "$n") == "${placed[$n]}" ]] || moved=1
done
holds ".placement.uplinks[0].changes == $changes and .placement.irqbalance_ban.error == null"
check_err $((moved + $?)) "IRQs moved after the ban or vnicd wrote again: $(placement)"
kill -0 "$irqbalance_pid"
check_err $? "irqbalance exited: $(tail -n 20 "$SANDBOX_DIR/irqbalance.log")"
log_test "irqbalance, apply: the IRQs stay on vnicd's CPUs over its intervals, one ban in all"

exit "$EXIT_STATUS"
