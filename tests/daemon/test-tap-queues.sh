#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vnicd follows a multiqueue tap's active queue pairs as QEMU attaches and detaches queues (what a
# guest's `ethtool -L` turns into), from the kernel's queue uevents: Debian 12's kernel (6.1) sends
# no RTM_NEWLINK for these changes (HOST-FACTS §2), so there the uevents are the only signal. The
# resync and the load sampling are slowed to far beyond the waits here, so neither can be what
# vnicd followed. Runs on the host (netns tier) and in the kernel VM (tests/kvm), on 6.1.
#
#   netns $SANDBOX_NS
#   +----------------------------------------------------------------+
#   |  tap0 (multi_queue; 4 queues held by tests/tools/tap-queues)   |
#   |  vnicd -- QMP -- qmp-hostile script (the guest's QEMU)         |
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

# tap-queues reads its commands from a FIFO the test keeps open on fd 7.
mkfifo "$SANDBOX_DIR/ctl" || exit 1
ip netns exec "$SANDBOX_NS" "$tapq" tap0 4 <"$SANDBOX_DIR/ctl" >"$SANDBOX_DIR/tapq.log" 2>&1 &
tapq_pid=$!
exec 7>"$SANDBOX_DIR/ctl"
stop_tapq() {
        exec 7>&-
        kill "$tapq_pid" 2>/dev/null
        wait "$tapq_pid" 2>/dev/null
}
defer stop_tapq
busywait 5000 grep -qx ready "$SANDBOX_DIR/tapq.log"
check_err $? "tap-queues did not start: $(cat "$SANDBOX_DIR/tapq.log")"
ip -n "$SANDBOX_NS" link set tap0 up || exit 1

set_active() { # K: the guest's `ethtool -L <dev> combined K`, as QEMU carries it out
        echo "$1" >&7
        busywait 5000 grep -qx "active $1" "$SANDBOX_DIR/tapq.log"
}

qmp_peer_filter_nic "$SANDBOX_DIR" 52:54:00:12:34:56 '[]'
qmp_peer_start "$SANDBOX_DIR" || exit 1
cat >"$SANDBOX_DIR/vnicd.conf" <<CONF
[Manager]
LogLevel=debug
DebounceSec=0.02
ResyncSec=3600
MultiqueueSampleSec=600

[Guest]
Name=vm
QMPSocket=$SANDBOX_DIR/qmp.sock

[Interface]
Guest=vm
Name=net0
HostDevice=tap0
CONF
vnicd_start "$SANDBOX_DIR/vnicd.conf" || exit 1

wait_nic vm net0 '.queues.max == 4 and .queues.active == 4' 10000
check_err $? "vnicctl does not show 4 of 4 queue pairs at start"
log_test "at start: 4 pairs of 4 (the tap's attached queues)"

kernel_notes=$(uname -r)
for k in 1 3 2 4; do
        mark=$(wc -l <"$VNICD_LOG")
        set_active "$k"
        check_err $? "tap-queues did not set $k active: $(tail -n 3 "$SANDBOX_DIR/tapq.log")"
        wait_nic vm net0 ".queues.active == $k and .queues.max == 4" 5000
        check_err $? "vnicctl does not follow the guest to $k pairs"
        # What made vnicd look: the queue uevents (the only signal on 6.1).
        tail -n +"$((mark + 1))" "$VNICD_LOG" | grep -q "queue uevent: .* /devices/virtual/net/tap0/queues/[rt]x-"
        check_err $? "no queue uevent logged for the change to $k pairs"
        tail -n +"$((mark + 1))" "$VNICD_LOG" | grep -q "tap tap0: $k queues attached, $((4 - k)) detached"
        check_err $? "no info line for the change to $k pairs"
        log_test "guest to $k pairs: vnicctl shows $k active, from the queue uevents ($kernel_notes)"
done

exit "$EXIT_STATUS"
