#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# daemon/libvirt-event.c against a real, private libvirtd (the unit test only has libvirt's
# built-in test driver, which needs timeouts but no handles): lifecycle events of a transient TCG
# domain and keepalive arrive through sd-event; closing the connection leaves no source behind.
# Twice: with every libvirt call on the loop's thread ('single'), and with every call on a worker
# thread while the main thread only runs the loop ('worker'), where the loop must never stand
# still for long (its longest gap is measured by a 10 ms timer).
#
#   netns $NS, libvirtd in its own mount namespace (tests/lib/libvirt.sh)
#   +--------------------------------------------------------------+
#   |  libvirt-event-remote --unix socket--> libvirtd --> QEMU      |
#   |  main thread: sd-event loop (socket handle, keepalive and     |
#   |  event timeouts); 'worker': the RPCs on a second thread       |
#   +--------------------------------------------------------------+

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

out=$(libvirt_ns "$VNIC_LIBVIRT_EVENT_REMOTE" single "$LIBVIRT_URI" "$SANDBOX_KERNEL" "$SANDBOX_INITRD" 2>&1)
check_err $? "libvirt-event-remote single: $out"
echo "$out"
log_test "libvirt on sd-event, calls on the loop: lifecycle events, keepalive, no source left"

out=$(libvirt_ns "$VNIC_LIBVIRT_EVENT_REMOTE" worker "$LIBVIRT_URI" "$SANDBOX_KERNEL" "$SANDBOX_INITRD" 2>&1)
check_err $? "libvirt-event-remote worker: $out"
echo "$out"
log_test "libvirt on sd-event, calls on a worker: events, keepalive, loop never blocked"
exit "$EXIT_STATUS"
