#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vnicd follows a QEMU given only as --qmp NAME=PATH: no [Interface] names the NICs' host devices,
# so vnicd asks QEMU ('info network': which fd backs each NIC), follows the fd through
# /proc/<QEMU pid>/fd to the macvtap's character device, and programs it ([Manager] Trust=yes).
#
#   netns $SANDBOX_NS
#   +-------------------------------------------------------------+
#   |  QEMU: net0 --fd--> mvt0, net1 --fd--> mvt1 (both on uplink) |
#   |  vnicd --qmp g0=<socket>   (config: [Manager] Trust=yes)     |
#   +-------------------------------------------------------------+

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip jq socat qemu-system-x86_64 dbus-daemon busctl

setup_ns NS
sandbox_uplink
sandbox_macvtap mvt0
sandbox_macvtap mvt1
sandbox_guest_start mvt0 mvt1 || exit 1
# Start from a macvtap MAC that differs from the NIC's, so following is visible.
ip -n "$SANDBOX_NS" link set dev mvt1 address 02:00:00:00:00:77

printf '[Manager]\nTrust=yes\nResyncSec=2\n' >"$SANDBOX_DIR/vnicd.conf"
vnicd_start "$SANDBOX_DIR/vnicd.conf" --qmp "g0=$SANDBOX_QMP" || exit 1

for k in 0 1; do
        wait_nic g0 net$k ".host_device == \"mvt$k\" and (.host_device_origin | test(\"character device [0-9]+:[0-9]+ of macvtap mvt$k\"))" 30000
        check_err $? "net$k: host device not discovered from QEMU"
done
log_test "host devices found from QEMU's fds (no HostDevice= configured)"

wait_nic g0 net1 '.state == "configured" and .in_sync and .trusted and .host.mac == "52:54:00:12:34:51"' 30000
check_err $? "net1: discovered macvtap not programmed"
[[ $(ip -n "$SANDBOX_NS" -j link show dev mvt1 | jq -r '.[0].address') == 52:54:00:12:34:51 ]]
check_err $? "kernel: mvt1 does not carry the guest's MAC"
log_test "discovered macvtap follows the guest (Trust=yes in [Manager])"

vnicctl show g0/net0 | grep -q "Known from: QEMU fd [0-9]* is the character device"
check_err $? "vnicctl show does not say how the host device was found"
log_test "vnicctl show says where the host device came from"

exit $EXIT_STATUS
