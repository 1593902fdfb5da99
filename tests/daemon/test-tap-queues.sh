#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vnicd follows a multiqueue tap's active queue pairs as QEMU attaches and detaches queues (what a
# guest's `ethtool -L` turns into). The kernel may say so in two ways: kobject uevents for the
# tap's queues/rx-N and tx-N (every kernel), and an RTM_NEWLINK carrying IFLA_TUN_NUM_QUEUES per
# attach or detach, which Debian's 6.1.0-56 and 6.12.117 send and older builds may not. The test
# records what this kernel sends (`ip -d monitor link`, counted per step: one per queue attached
# or detached, or none at all) and checks vnicd follows:
#   1. in a plain namespace, where both signals reach vnicd: each step followed, its queue uevents
#      logged;
#   2. when the kernel sends RTM_NEWLINK: again with the uevents kept from vnicd, which then has
#      only RTM_NEWLINK to go by. The tap lives in a namespace owned by a user namespace whose root
#      is uid 100000 outside: the kernel sends that namespace's uevents with that uid as sender,
#      and vnicd takes only uid 0's as the kernel's (netlink/uevent-socket.c), so it drops them.
#      No queue uevent may be logged there.
# The resync and the load sampling are slowed to far beyond the waits here, so neither can be what
# vnicd followed. Runs on the host (netns tier) and in the kernel VM (tests/kvm) on 6.1 and 6.12.
#
#   netns $ns (1: setup_ns; 2: owned by a user namespace, root = uid 100000)
#   +----------------------------------------------------------------+
#   |  tap0 (multi_queue; 4 queues held by tests/tools/tap-queues)   |
#   |  vnicd -- QMP -- qmp-hostile script (the guest's QEMU)         |
#   |  ip -d monitor link (what the kernel sends)                    |
#   +----------------------------------------------------------------+

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip jq dbus-daemon busctl
tapq=$VNIC_BUILD_DIR/tests/tools/tap-queues
[[ -x $tapq ]] || skip "tap-queues not built"
[[ -c /dev/net/tun ]] || skip "no /dev/net/tun"

setup_ns NS
__sandbox_dir || exit 1
kernel=$(uname -r)

# One phase: tap-queues, the kernel's link messages, a QMP stand-in and vnicd in namespace NS, files
# in DIR; then the guest goes to 1, 3, 2, 4 pairs. Sets NEWLINK_STEPS to the RTM_NEWLINK count of
# each step. UEVENTS: "seen" (each step's queue uevents must be logged) or "dropped" (none may be).
run_phase() { # NS DIR UEVENTS
        local ns=$1 dir=$2 uevents=$3 tapq_pid mon_pid k prev=4 mark mon_mark n last

        mkdir -p "$dir" || return 1
        # tap-queues reads its commands from a FIFO the test keeps open on fd 7.
        mkfifo "$dir/ctl" || return 1
        ip netns exec "$ns" "$tapq" tap0 4 <"$dir/ctl" >"$dir/tapq.log" 2>&1 &
        tapq_pid=$!
        exec 7>"$dir/ctl"
        defer kill "$tapq_pid"
        busywait 5000 grep -qx ready "$dir/tapq.log"
        check_err $? "tap-queues did not start: $(cat "$dir/tapq.log")"
        ip -n "$ns" link set tap0 up || return 1
        ip -n "$ns" -d monitor link >"$dir/monitor.log" 2>&1 &
        mon_pid=$!
        defer kill "$mon_pid"

        qmp_peer_filter_nic "$dir" 52:54:00:12:34:56 '[]'
        qmp_peer_start "$dir" || return 1
        cat >"$dir/vnicd.conf" <<CONF
[Manager]
LogLevel=debug
DebounceSec=0.02
ResyncSec=3600
MultiqueueSampleSec=600

[Guest]
Name=vm
QMPSocket=$dir/qmp.sock

[Interface]
Guest=vm
Name=net0
HostDevice=tap0
CONF
        # Its own log in DIR (vnicd_start logs to $SANDBOX_DIR/vnicd.log).
        SANDBOX_NS=$ns SANDBOX_DIR=$dir vnicd_start "$dir/vnicd.conf" || return 1

        wait_nic vm net0 '.queues.max == 4 and .queues.active == 4' 10000
        check_err $? "vnicctl does not show 4 of 4 queue pairs at start"
        log_test "$uevents uevents: at start 4 pairs of 4 (the tap's attached queues)"

        NEWLINK_STEPS=()
        for k in 1 3 2 4; do
                mark=$(wc -l <"$VNICD_LOG")
                mon_mark=$(wc -l <"$dir/monitor.log")
                echo "$k" >&7
                busywait 5000 grep -qx "active $k" "$dir/tapq.log"
                check_err $? "tap-queues did not set $k active: $(tail -n 3 "$dir/tapq.log")"
                wait_nic vm net0 ".queues.active == $k and .queues.max == 4" 5000
                check_err $? "vnicctl does not follow the guest to $k pairs"
                tail -n +"$((mark + 1))" "$VNICD_LOG" | grep -q "tap tap0: $k queues attached, $((4 - k)) detached"
                check_err $? "no info line for the change to $k pairs"
                if [[ $uevents == seen ]]; then
                        tail -n +"$((mark + 1))" "$VNICD_LOG" | grep -q "queue uevent: .* /devices/virtual/net/tap0/queues/[rt]x-"
                        check_err $? "no queue uevent logged for the change to $k pairs"
                else
                        ! grep -q "queue uevent:" "$VNICD_LOG"
                        check_err $? "vnicd took a queue uevent it should have dropped (sender uid not 0)"
                fi
                # The kernel's messages of this step: a marker message on lo comes after all of them
                # on the monitor's socket, so once it is printed they are. One per attach or detach,
                # the last one with the new count, or none.
                ip -n "$ns" link set dev lo alias "vnic-step-$k" || return 1
                busywait 5000 grep -q "alias vnic-step-$k" "$dir/monitor.log"
                check_err $? "ip monitor did not print the marker: $(tail -n 5 "$dir/monitor.log")"
                n=$(tail -n +"$((mon_mark + 1))" "$dir/monitor.log" | grep -c "^[0-9]*: tap0:")
                last=$(tail -n +"$((mon_mark + 1))" "$dir/monitor.log" | grep -o "numqueues [0-9]* numdisabled [0-9]*" | tail -n 1)
                NEWLINK_STEPS+=("$n")
                if ((n > 0)); then
                        [[ $n -eq $((k > prev ? k - prev : prev - k)) && $last == "numqueues $k numdisabled $((4 - k))" ]]
                        check_err $? "the kernel sent $n RTM_NEWLINK for tap0 ($last) for $prev -> $k queues"
                fi
                log_test "$uevents uevents: guest to $k pairs, vnicctl follows (kernel $kernel: $n RTM_NEWLINK, last: ${last:-none})"
                prev=$k
        done
        vnicd_stop
        exec 7>&-
}

run_phase "$SANDBOX_NS" "$SANDBOX_DIR/plain" seen || exit 1
newlink=${NEWLINK_STEPS[*]}
if [[ $newlink == "0 0 0 0" ]]; then
        log_info "kernel $kernel sends no RTM_NEWLINK for tap queue changes: the queue uevents are the only signal"
        exit "$EXIT_STATUS"
fi
[[ ! $newlink =~ (^| )0( |$) ]]
check_err $? "kernel $kernel sent RTM_NEWLINK for some queue changes only: $newlink per step"
log_test "kernel $kernel: an RTM_NEWLINK per queue attached or detached ($newlink per step)"

# A network namespace owned by a user namespace whose root is uid 100000 outside. unshare's sleep
# holds both; `ip netns attach` names the network namespace for ip netns exec and the cleanup.
unshare --user --net sleep infinity 2>"$SANDBOX_DIR/unshare.log" &
holder=$!
defer kill "$holder"
my_userns=$(readlink /proc/self/ns/user)
if ! busywait 5000 eval '[[ $(readlink /proc/$holder/ns/user) != "$my_userns" ]]'; then
        log_info "SKIP following RTM_NEWLINK alone: no user namespace ($(cat "$SANDBOX_DIR/unshare.log"))"
        exit "$EXIT_STATUS"
fi
uns=vnic-uns-$$-$RANDOM$RANDOM
echo "0 100000 1" >"/proc/$holder/uid_map" && echo "0 100000 1" >"/proc/$holder/gid_map" &&
        ip netns attach "$uns" "$holder"
rc=$?
check_err $rc "cannot map the user namespace's root to uid 100000 or name its network namespace"
log_test "a network namespace owned by a user namespace (root = uid 100000)"
((rc == 0)) || exit 1
defer ip netns del "$uns"
ip -n "$uns" link set lo up || exit 1
run_phase "$uns" "$SANDBOX_DIR/no-uevents" dropped || exit 1

exit "$EXIT_STATUS"
