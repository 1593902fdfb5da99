#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the kernel VM (Debian's kernel has /dev/vhost-net; the development machines do not).
# vnicd finds a guest's vhost-net worker from the guest's vCPU thread ids and shows it: the tid
# this test finds in /proc itself, its form, its CPU use and the CPUs it may run on; with
# Placement=apply it pins the worker (sched_setaffinity, read back from /proc and with
# sched_getaffinity); when the worker goes, vnicd drops it quietly. The form is the kernel's:
# a kernel thread (PPid 2) before 6.4, a thread of the owner from 6.4 on; the expected one comes
# from `uname -r`, so one script checks both (kernel-vm boots Debian's 6.1, kernel-vm-6.12 its
# 6.12).
#
# No QEMU with vhost can run in here: tests/tools/vhost-owner opens /dev/vhost-net and takes
# ownership (VHOST_SET_OWNER), which makes the kernel create the real worker "vhost-<its pid>";
# tests/tools/qmp-hostile's script mode stands in for QEMU's QMP and answers query-cpus-fast with
# vhost-owner's pid as the one vCPU thread. The worker and /proc are real. The uplink placement
# needs is the VM's virtio-net (a hub port, tests/kvm/meson.build), bridged with the guest's tap:
# it has no NUMA node, so every online CPU but the pinned vCPU's is a candidate for the worker.
#
#   netns $SANDBOX_NS
#   +------------------------------------------------------------------+
#   |  br0 -- $UPLINK (the VM's virtio-net)                            |
#   |     `-- tap0 (the NIC's host device, sampled)                    |
#   |  vnicd -- QMP -- qmp-hostile script (vCPU thread = vhost-owner)  |
#   |  vhost-owner -- /dev/vhost-net --> kernel worker vhost-<pid>     |
#   +------------------------------------------------------------------+

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip jq dbus-daemon busctl
[[ -x $VNIC_BUILD_DIR/tests/tools/qmp-hostile ]] || skip "qmp-hostile not built"
[[ -c /dev/vhost-net ]] || skip "no /dev/vhost-net on this kernel: run in the kernel VM (tests/kvm)"

# The form this kernel makes: a kthreadd child before 6.4, a thread of the owner from 6.4 on.
kver=$(uname -r)
kmajor=${kver%%.*} kminor=${kver#*.}
kminor=${kminor%%[!0-9]*}
if ((kmajor > 6 || (kmajor == 6 && kminor >= 4))); then
        want_form=thread
else
        want_form=kthread
fi

# The VM's virtio-net (another test of the boot may just have had it in its namespace, which
# gives it back asynchronously when deleted).
find_uplink() {
        local dev

        UPLINK=''
        for dev in /sys/class/net/*; do
                [[ $(readlink -f "$dev/device/driver" 2>/dev/null) == */virtio_net ]] || continue
                UPLINK=${dev##*/}
                return 0
        done
        return 1
}
busywait 10000 find_uplink
check_err $? "no virtio-net in this VM to place the worker behind (run-in-vm.sh with a virtio-net-pci: tests/kvm/meson.build)"
[[ -n $UPLINK ]] || exit "$EXIT_STATUS"

setup_ns NS
__sandbox_dir || exit 1
ip link set "$UPLINK" netns "$SANDBOX_NS" || exit 1
ip -n "$SANDBOX_NS" link add br0 up type bridge || exit 1
ip -n "$SANDBOX_NS" link set "$UPLINK" master br0 up || exit 1
ip -n "$SANDBOX_NS" tuntap add tap0 mode tap || exit 1
ip -n "$SANDBOX_NS" link set tap0 master br0 up || exit 1

if ! vhost_owner_start "$SANDBOX_DIR"; then
        log_test "the kernel made a worker"
        exit "$EXIT_STATUS"
fi
owner=$VHOST_OWNER_PID tid=$VHOST_WORKER_TID form=$VHOST_WORKER_FORM
cpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$tid/status")
log_info "kernel $(uname -r): worker $tid, $form, Cpus_allowed_list $cpus"

qmp_peer_filter "$SANDBOX_DIR" '[{"name": "net0", "promiscuous": false, "multicast": "normal", "unicast": "normal", "vlan": "normal", "broadcast-allowed": false, "multicast-overflow": false, "unicast-overflow": false, "main-mac": "52:54:00:12:34:56", "vlan-table": [], "unicast-table": [], "multicast-table": []}]'
qmp_peer_start "$SANDBOX_DIR" || exit 1

conf() { # PLACEMENT
        cat >"$SANDBOX_DIR/vnicd.conf" <<CONF
[Manager]
DebounceSec=0.02
ResyncSec=3
MultiqueueSampleSec=0.2
MultiqueueIdleSampleSec=1.2
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

guest_holds() {
        guest_json vm | jq -e "$1" >/dev/null 2>&1
}

# The second sample gives a busy figure; an idle NIC is sampled every MultiqueueIdleSampleSec=1.2.
busywait 20000 guest_holds '.vhost_workers | length == 1 and .[0].busy_percent != null'
check_err $? "vnicctl shows no worker with a busy figure: $(guest_json vm | jq -c '{qemu_pid, qemu_pid_source, vhost_workers, vhost_workers_reason}')"
w=$(guest_json vm | jq -c '.vhost_workers[0]')
log_info "vnicctl: $(guest_json vm | jq -c '{qemu_pid, qemu_pid_source, vhost_workers, vhost_workers_reason}')"
jq -e --argjson tid "$tid" --arg form "$form" --arg cpus "$cpus" \
        '.tid == $tid and .form == $form and .cpus == $cpus and .busy_percent >= 0 and .busy_percent <= 100' \
        <<<"$w" >/dev/null
check_err $? "vnicctl shows $w, want tid $tid, form $form, cpus $cpus"
guest_holds ".qemu_pid == $owner and (.qemu_pid_source | test(\"vCPU\"))"
check_err $? "QEMU's pid is not the vCPU thread's process $owner"
[[ $form == "$want_form" ]]
check_err $? "kernel $kver made the worker a $form (found in /proc), want a $want_form"
log_test "worker $tid found from the vCPU thread's process: $form, CPUs $cpus, busy figure in range"
jq -e --arg form "$want_form" '.form == $form' <<<"$w" >/dev/null
check_err $? "vnicctl says the worker is a $(jq -r .form <<<"$w"), kernel $kver makes a $want_form"
log_test "kernel $kver: vnicctl shows the worker as a $want_form"

vnicctl show vm/net0 | grep -E "^Vhost workers: $tid $form busy [0-9]+% CPUs $cpus\$" >/dev/null
check_err $? "vnicctl show has no matching 'Vhost workers' line: $(vnicctl show vm/net0 | grep -i vhost)"
log_test "vnicctl show: the 'Vhost workers' line"

# Where it may run changes: the next sample shows it.
set_affinity() { # TID CPU: util-linux's taskset, else busybox's applet
        taskset -p -c "$2" "$1" >/dev/null 2>&1 || busybox taskset -p -c "$2" "$1" >/dev/null 2>&1
}
if [[ $cpus != 0 ]]; then
        if set_affinity "$tid" 0; then
                busywait 10000 guest_holds '.vhost_workers[0].cpus == "0"'
                check_err $? "vnicctl does not follow the worker's new affinity: $(guest_json vm | jq -c .vhost_workers)"
                log_test "affinity changed to CPU 0: vnicctl shows it"
        else
                log_info "no taskset to change the worker's affinity with: not checked"
        fi
fi

# Placement=apply pins the worker: vnicd calls sched_setaffinity on the tid it found (a thread of
# QEMU from 6.4 on). The vCPU stand-in goes to the worker's (first) CPU, so vnicd has to move the
# worker off it, to every other CPU. Report mode wrote nothing so far: the worker is where taskset
# put it.
worker_cpus() {
        sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$tid/status"
}
# Ascending CPU numbers in the kernel's list form: "0 1 2 5" -> "0-2,5".
cpu_list() {
        local out='' first='' last='' c

        for c in "$@" end; do
                if [[ $c != end && -n $last && $c -eq $((last + 1)) ]]; then
                        last=$c
                        continue
                fi
                [[ -z $first ]] || out+="${out:+,}$first$([[ $last == "$first" ]] || echo "-$last")"
                first=$c last=$c
        done
        echo "$out"
}
vcpu_cpu=$(worker_cpus)
vcpu_cpu=${vcpu_cpu%%[-,]*}
others=() mask=0
for c in $(seq 0 $(($(nproc --all) - 1))); do
        [[ -d /sys/devices/system/cpu/cpu$c && $c != "$vcpu_cpu" ]] || continue
        others+=("$c")
        mask=$((mask | (1 << c)))
done
want_cpus=$(cpu_list "${others[@]}")
if [[ -z $want_cpus ]]; then
        check_err 1 "placement needs two CPUs or more (online: $(</sys/devices/system/cpu/online))"
else
        taskset -p -c "$vcpu_cpu" "$owner" >/dev/null 2>&1 || busybox taskset -p -c "$vcpu_cpu" "$owner" >/dev/null
        check_err $? "cannot pin the vCPU stand-in to CPU $vcpu_cpu"
        conf apply
        kill -HUP "$VNICD_PID"
        busywait 20000 guest_holds ".placement.workers | length == 1 and .[0].tid == $tid and .[0].applied and .[0].error == null and .[0].wanted == \"$want_cpus\""
        check_err $? "vnicd did not pin the worker to CPUs $want_cpus: $(guest_json vm | jq -c .placement)"
        log_info "placement: $(guest_json vm | jq -c .placement.workers)"
        [[ $(worker_cpus) == "$want_cpus" ]]
        check_err $? "the $form worker's Cpus_allowed_list is $(worker_cpus), not $want_cpus"
        got=$(taskset -p "$tid" 2>/dev/null | sed -n 's/.*affinity mask: *//p')
        [[ $got =~ ^[0-9a-f]+$ ]] && (($((16#$got)) == mask))
        check_err $? "sched_getaffinity of $tid gives mask '$got', not $(printf %x "$mask")"
        busywait 10000 guest_holds ".vhost_workers[0].cpus == \"$want_cpus\""
        check_err $? "vnicctl's worker does not show CPUs $want_cpus: $(guest_json vm | jq -c .vhost_workers)"
        log_test "apply: vnicd pinned the $form worker $tid to CPUs $want_cpus, off the vCPU's CPU $vcpu_cpu (read back)"
fi

# The owner exits, its worker with it: dropped quietly, no worker left.
vhost_owner_stop
busywait 20000 guest_holds '.vhost_workers == []'
check_err $? "the worker is still shown after it exited: $(guest_json vm | jq -c '{vhost_workers, vhost_workers_reason}')"
log_info "after the owner exited: $(guest_json vm | jq -r .vhost_workers_reason)"
! grep -iE "warning|error" "$VNICD_LOG" | grep -i vhost
check_err $? "vnicd logged the vanished worker above debug"
log_test "worker gone: dropped, nothing logged above debug"

exit "$EXIT_STATUS"
