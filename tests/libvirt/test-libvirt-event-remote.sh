#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# daemon/libvirt-event.c against a real, private libvirtd (the unit test only has libvirt's
# built-in test driver, which needs timeouts but no handles): lifecycle events of a transient TCG
# domain and keepalive arrive through sd-event; closing the connection leaves no source behind.
#
#   netns $NS, libvirtd in its own mount namespace (tests/lib/libvirt.sh)
#   +-------------------------------------------------------------+
#   |  libvirt-event-remote --unix socket--> libvirtd --> QEMU     |
#   |  (sd-event loop: socket handle, keepalive + event timeouts)  |
#   +-------------------------------------------------------------+

# shellcheck source=../lib/sandbox.sh
source "$(dirname "$0")/../lib/sandbox.sh"
# shellcheck source=../lib/libvirt.sh
source "$(dirname "$0")/../lib/libvirt.sh"

require_root
require_cmd ip qemu-system-x86_64 libvirtd virsh nsenter unshare
: "${VNIC_LIBVIRT_EVENT_REMOTE:=$VNIC_BUILD_DIR/tests/libvirt/libvirt-event-remote}"
[[ -x $VNIC_LIBVIRT_EVENT_REMOTE ]] || skip "libvirt-event-remote not built ($VNIC_LIBVIRT_EVENT_REMOTE)"

setup_ns NS || exit 1
sandbox_image || exit 1
libvirtd_start || exit 1

out=$(libvirt_ns "$VNIC_LIBVIRT_EVENT_REMOTE" "$LIBVIRT_URI" "$SANDBOX_KERNEL" "$SANDBOX_INITRD" 2>&1)
check_err $? "libvirt-event-remote: $out"
echo "$out"
log_test "libvirt on sd-event, remote driver: lifecycle events, keepalive, no source left"
exit "$EXIT_STATUS"
