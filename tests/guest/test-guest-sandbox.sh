#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Smoke test of the guest sandbox (tests/lib/sandbox.sh): boots the Debian
# kernel + test initramfs under TCG on one macvtap and checks the agent, the
# guest NIC and the rx-filter path to QMP.
#
#   netns $NS
#   +--------------------------------------------------------------+
#   |  uplink-peer <--veth--> uplink 02:00:00:00:00:01             |
#   |                           |                                  |
#   |                         mvt0 (macvtap, mode bridge)          |
#   |                           | fd of its char device            |
#   |  qemu-system-x86_64 -accel tcg                               |
#   |    net0 virtio-net-pci 52:54:00:12:34:50  -> guest eth0      |
#   |    virtserialport org.vnicd.test.0         <- guest-exec     |
#   |    QMP qmp-vnicd.sock (unused here), qmp-test.sock (ours)    |
#   +--------------------------------------------------------------+

# shellcheck source=../lib/sandbox.sh disable=SC2119
source "$(dirname "$0")/../lib/sandbox.sh"

require_root
require_cmd ip jq socat qemu-system-x86_64

t0=$(date +%s%3N)
setup_ns NS || exit 1
sandbox_uplink || exit 1
sandbox_macvtap mvt0 bridge || skip "macvtap not available in this kernel"
sandbox_guest_start mvt0 || exit 1
sandbox_guest_wait_ready || exit 1

out=$(guest uname -r)
check_err $? "guest-exec failed"
[[ $out == "$SANDBOX_KVER" ]]
check_err $? "guest runs '$out', expected '$SANDBOX_KVER'"
log_test "agent: guest answers, kernel $SANDBOX_KVER"

guest 'exit 7'
[[ $? -eq 7 ]]
check_err $? "exit status not propagated"
out=$(guest 'printf "a\nb"; echo " err" >&2')
[[ $out == $'a\nb err' ]]
check_err $? "output not byte exact: '$out'"
log_test "agent: exit status and output"

out=$(guest cat /sys/class/net/eth0/address)
check_err $? "no eth0 in the guest"
[[ $out == 52:54:00:12:34:50 ]]
check_err $? "eth0 has MAC '$out'"
guest '/usr/sbin/ip -o link show eth0' | grep -q 'state UP'
check_err $? "eth0 not up"
log_test "guest: eth0 up with 52:54:00:12:34:50"

# Events are one-shot per NIC until someone queries: query first to re-arm.
qmp_test '{"execute":"query-rx-filter","arguments":{"name":"net0"}}' >/dev/null
check_err $? "query-rx-filter failed"
n=$(qmp_event_count NIC_RX_FILTER_CHANGED net0)
guest /usr/sbin/ip maddr add 01:00:5e:01:02:03 dev eth0
check_err $? "ip maddr add failed in the guest"
ev=$(qmp_wait_event --nic net0 NIC_RX_FILTER_CHANGED $((n + 1)))
check_err $? "no NIC_RX_FILTER_CHANGED event"
jq -e '.data.name == "net0"' <<<"$ev" >/dev/null
check_err $? "event not for net0: $ev"
reply=$(qmp_test '{"execute":"query-rx-filter","arguments":{"name":"net0"}}')
check_err $? "query-rx-filter failed: $reply"
jq -e '.return[0]["multicast-table"] | index("01:00:5e:01:02:03") != null' <<<"$reply" >/dev/null
check_err $? "group missing in query-rx-filter: $reply"
log_test "qmp: guest ip maddr add -> event + query-rx-filter"

guest --timeout 1 'sleep 3; echo late' >/dev/null 2>&1
[[ $? -eq 124 ]]
check_err $? "guest-exec did not time out with 124"
out=$(guest echo again)
[[ $out == again ]]
check_err $? "agent did not answer after a client timed out: '$out'"
log_test "agent: survives a client that gave up"

log_info "total $(( ($(date +%s%3N) - t0) / 1000 ))s (guest ready after ${SANDBOX_READY_MS}ms)"
exit "$EXIT_STATUS"
