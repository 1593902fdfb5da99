#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the kernel VM (Debian's kernel has /dev/vhost-net; the development machines do not).
# vnicd finds a guest's vhost-net worker from the guest's vCPU thread ids and shows it: the tid
# this test finds in /proc itself, its form (a kernel thread on 6.1, a thread of the owner from 6.4
# on), its CPU use and the CPUs it may run on; when the worker goes, vnicd drops it quietly.
#
# No QEMU with vhost can run in here: tests/tools/vhost-owner opens /dev/vhost-net and takes
# ownership (VHOST_SET_OWNER), which makes the kernel create the real worker "vhost-<its pid>";
# tests/tools/qmp-hostile's script mode stands in for QEMU's QMP and answers query-cpus-fast with
# vhost-owner's pid as the one vCPU thread. The worker and /proc are real.
#
#   netns $SANDBOX_NS
#   +------------------------------------------------------------------+
#   |  tap0 (the NIC's host device, sampled)                           |
#   |  vnicd -- QMP -- qmp-hostile script (vCPU thread = vhost-owner)  |
#   |  vhost-owner -- /dev/vhost-net --> kernel worker vhost-<pid>     |
#   +------------------------------------------------------------------+

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip jq dbus-daemon busctl
[[ -x $VNIC_BUILD_DIR/tests/tools/qmp-hostile ]] || skip "qmp-hostile not built"
[[ -c /dev/vhost-net ]] || skip "no /dev/vhost-net on this kernel: run in the kernel VM (tests/kvm)"

setup_ns NS
__sandbox_dir || exit 1
ip -n "$SANDBOX_NS" tuntap add tap0 mode tap || exit 1
ip -n "$SANDBOX_NS" link set tap0 up || exit 1

if ! vhost_owner_start "$SANDBOX_DIR"; then
        log_test "the kernel made a worker"
        exit "$EXIT_STATUS"
fi
owner=$VHOST_OWNER_PID tid=$VHOST_WORKER_TID form=$VHOST_WORKER_FORM
cpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$tid/status")
log_info "kernel $(uname -r): worker $tid, $form, Cpus_allowed_list $cpus"

qmp_peer_filter "$SANDBOX_DIR" '[{"name": "net0", "promiscuous": false, "multicast": "normal", "unicast": "normal", "vlan": "normal", "broadcast-allowed": false, "multicast-overflow": false, "unicast-overflow": false, "main-mac": "52:54:00:12:34:56", "vlan-table": [], "unicast-table": [], "multicast-table": []}]'
qmp_peer_start "$SANDBOX_DIR" || exit 1

cat >"$SANDBOX_DIR/vnicd.conf" <<CONF
[Manager]
DebounceSec=0.02
ResyncSec=3
MultiqueueSampleSec=0.2
MultiqueueIdleSampleSec=1.2

[Guest]
Name=vm
QMPSocket=$SANDBOX_DIR/qmp.sock

[Interface]
Guest=vm
Name=net0
HostDevice=tap0
CONF
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
if [[ $(uname -r | cut -d. -f1-2) == 6.1 ]]; then
        [[ $form == kthread ]]
        check_err $? "Debian's 6.1 made the worker a $form, not a kernel thread"
fi
log_test "worker $tid found from the vCPU thread's process: $form, CPUs $cpus, busy figure in range"

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

# The owner exits, its worker with it: dropped quietly, no worker left.
vhost_owner_stop
busywait 20000 guest_holds '.vhost_workers == []'
check_err $? "the worker is still shown after it exited: $(guest_json vm | jq -c '{vhost_workers, vhost_workers_reason}')"
log_info "after the owner exited: $(guest_json vm | jq -r .vhost_workers_reason)"
! grep -iE "warning|error" "$VNICD_LOG" | grep -i vhost
check_err $? "vnicd logged the vanished worker above debug"
log_test "worker gone: dropped, nothing logged above debug"

exit "$EXIT_STATUS"
