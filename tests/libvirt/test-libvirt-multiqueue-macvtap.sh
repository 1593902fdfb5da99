#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The guest agent's view of a macvtap's queue pairs (issue 8 part 1) on real parts: a macvtap
# reports no queue changes to the host (HOST-FACTS §2), so with MultiqueueApply=guest-agent vnicd
# reads 'ethtool -l' in the guest through qemu-guest-agent, shows it as the active pairs' source,
# and confirms its own 'ethtool -L' the same way. A private libvirtd, one TCG guest with 2 vCPUs, a
# multiqueue macvtap (<driver queues='4'/>) and qemu-guest-agent; the thresholds make the policy
# recommend 1 pair while the guest runs 2 (as in test-libvirt-multiqueue.sh).
#
#   netns $NS; libvirtd and vnicd in libvirtd's mount namespace
#   +------------------------------------------------------------------------------------+
#   |  domain vnic-mq-mvt (QEMU, TCG, 2 vCPUs)                                           |
#   |    net0 52:54:00:12:34:51 direct on uplink, <driver queues='4'/> -> macvtapN       |
#   |    org.qemu.guest_agent.0 (qemu-ga)   org.vnicd.test.0 (the test's own agent)       |
#   |                              uplink (veth) --- uplink-peer                         |
#   |  vnicd --libvirt-uri=<private socket>  <-- vnicctl (private D-Bus)                 |
#   +------------------------------------------------------------------------------------+
#
# Steps: report (active pairs not known, the agent never asked); guest-agent with the agent
# stopped (a clear status, one read in the hold-down, nothing run in the guest); guest-agent (the
# agent's ethtool -l shows 2, the lever runs ethtool -L 1 and the agent's ethtool -l confirms it;
# vnicctl and the guest's own ethtool -l say 1; no further agent call within the hold-down).

# shellcheck source=../lib/sandbox.sh disable=SC2119
source "$(dirname "$0")/../lib/sandbox.sh"
# shellcheck source=../lib/libvirt.sh
source "$(dirname "$0")/../lib/libvirt.sh"
# shellcheck source=../lib/vnicd.sh
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip jq qemu-system-x86_64 libvirtd virsh nsenter unshare dbus-daemon
: "${VNIC_GUEST_EXEC:=$VNIC_BUILD_DIR/tests/tools/guest-exec}"
[[ -x $VNIC_GUEST_EXEC ]] || skip "guest-exec not built ($VNIC_GUEST_EXEC)"

DOM=vnic-mq-mvt
MAC=52:54:00:12:34:51
setup_ns NS || exit 1
sandbox_uplink || exit 1
sandbox_image || exit 1
[[ -n $SANDBOX_QGA ]] || skip "no qemu-guest-agent for the guest (tests/guest/fetch-guest-agent.sh failed; offline?)"
__sandbox_dir || exit 1
G=$SANDBOX_DIR/$DOM
mkdir -p "$G" || exit 1
libvirtd_start || exit 1

SANDBOX_VCPUS=2 LIBVIRT_QGA=1 libvirt_scenario_xml "$DOM" "$G" destroy "" \
        "    <interface type='direct'><source dev='uplink' mode='bridge'/><mac address='$MAC'/><model type='virtio'/><driver queues='4'/><rom enabled='no'/></interface>" \
        >"$G/domain.xml"
boot_failed() { # a step the rest depends on failed: say which, and stop
        log_test "boot: $1"
        exit 1
}
out=$(virsh create "$G/domain.xml" 2>&1)
check_err $? "virsh create failed: $out"
[[ $RET -eq 0 ]] || boot_failed "virsh create"
busywait $((SANDBOX_READY_TIMEOUT * 1000)) libvirt_guest_ready "$G" 1
check_err $? "guest not ready after ${SANDBOX_READY_TIMEOUT}s; console: $(tail -n 5 "$G/console.log" 2>/dev/null)"
[[ $RET -eq 0 ]] || boot_failed "the guest starts"
SANDBOX_AGENT=$G/agent.sock
E0=$(guest_nic $MAC)
[[ -n $E0 ]]
check_err $? "the guest has no NIC with $MAC"
[[ $RET -eq 0 ]] || boot_failed "the guest's NIC"
MVT=$(virsh domiflist "$DOM" | awk -v m=$MAC '$5 == m { print $1 }')
busywait 30000 eval "virsh qemu-agent-command $DOM '{\"execute\":\"guest-ping\"}' >/dev/null 2>&1"
check_err $? "qemu-guest-agent does not answer in the guest"
[[ $RET -eq 0 ]] || boot_failed "qemu-guest-agent"

guest_combined() { # the guest's current combined channels (ethtool -l)
        guest "/usr/sbin/ethtool -l $E0" | awk '/^Current/ { c = 1 } c && /^Combined:/ { print $2 }'
}
start_vnicd() { # MODE
        vnicd_stop
        VNICD_MANAGER_EXTRA="MultiqueueApply=$1
MultiqueueSampleSec=0.5
MultiqueueIdlePacketRate=0
MultiqueueHoldDownSec=0" vnicd_libvirt_start "$G" debug || exit 1
}
agent_reads() { # guest agent reads (ethtool -l) vnicd logged
        grep -c "multiqueue guest-agent read: [0-9]* guest agent command(s) sent" "$VNICD_LOG"
}
agent_levers() { # guest-agent lever jobs vnicd logged
        grep -c "multiqueue guest-agent: [0-9]* guest agent command(s) sent" "$VNICD_LOG"
}

[[ $(ip -n "$NS" -j link show dev "$MVT" | jq -r '.[0].linkinfo.info_kind // empty') == macvtap ||
        $(ip -n "$NS" -d -j link show dev "$MVT" | jq -r '.[0].linkinfo.info_kind') == macvtap ]]
check_err $? "$MVT is not a macvtap"
[[ $(guest_combined) == 2 ]]
check_err $? "at boot the guest runs $(guest_combined) pairs; wanted 2 of 4"
log_test "boot: 2 vCPUs, a macvtap with <driver queues='4'/>: the guest runs 2 pairs"

# --- report: nothing asks the agent --------------------------------------------------------------
start_vnicd report
wait_nic "$DOM" net0 '.queues.recommended == 1 and .queues.max == 4 and .queues.active == null and (.queues.active_source | test("^not known: a macvtap reports no queue changes"))'
check_err $? "report: the macvtap's active pairs are not 'not known'"
sleep 2
[[ $(agent_reads) == 0 && $(nic_json "$DOM" net0 | jq .queues.action.agent_calls) == 0 ]]
check_err $? "report: the guest agent was asked"
log_test "report: active pairs not known on a macvtap, the guest agent not asked"

# --- guest-agent, with the agent stopped ---------------------------------------------------------
guest 'kill $(pidof qemu-ga)' >/dev/null
busywait 10000 eval "! virsh qemu-agent-command $DOM '{\"execute\":\"guest-ping\"}' >/dev/null 2>&1"
start_vnicd guest-agent
wait_nic "$DOM" net0 '.queues.active == null and (.queues.active_source | test("^not known: a macvtap reports no queue changes; the guest agent could not tell \\(asked .*\\): guest-network-get-interfaces: .*agent is not"))'
check_err $? "agent stopped: the active pairs' source does not say why"
action_is() { # JQ over .queues.action
        wait_nic "$DOM" net0 ".queues.action | $1" "${2:-30000}"
}
action_is '.mode == "guest-agent" and .state == "failed" and (.detail | test("cannot read the guest.s active pairs: guest-network-get-interfaces: .*agent is not"))'
check_err $? "agent stopped: the action has no clear status"
sleep 5 # ten more samples
reads=$(agent_reads)
levers=$(agent_levers)
agent_calls=$(nic_json "$DOM" net0 | jq .queues.action.agent_calls)
[[ $reads == 1 && $levers == 0 && $agent_calls == 1 ]]
check_err $? "agent stopped: $reads reads, $levers lever jobs, $agent_calls agent commands over 10+ samples; wanted 1, 0, 1"
[[ $(guest_combined) == 2 ]]
check_err $? "agent stopped: the guest's pairs changed"
vnicctl explain "$DOM/net0" | grep -q 'active .*the guest agent could not tell .*agent is not'
check_err $? "vnicctl explain: $(vnicctl explain "$DOM/net0" | grep -i 'active')"
vnicctl show "$DOM" | grep -q 'Queues action: guest-agent: failed 1 pair at .*cannot read the guest'
check_err $? "vnicctl show: $(vnicctl show "$DOM" | grep 'Queues action')"
log_test "guest-agent, agent stopped: '$(nic_json "$DOM" net0 | jq -r .queues.active_source)', 1 read in 5 s"

# --- guest-agent -----------------------------------------------------------------------------------
guest '/sbin/vnic-qga </dev/null >/dev/null 2>&1 &' >/dev/null
busywait 20000 eval "virsh qemu-agent-command $DOM '{\"execute\":\"guest-ping\"}' >/dev/null 2>&1"
check_err $? "qemu-ga did not come back"
reads0=$(agent_reads) # the log goes on across restarts of vnicd
start_vnicd guest-agent
action_is '.state == "confirmed" and .pairs == 1 and (.detail | test("confirmed by the guest agent: ethtool -l '"$E0"' shows 1 combined")) and .when != null'
check_err $? "guest-agent: not confirmed by the guest agent"
grep -q "guest agent: ethtool -l $E0: 2 combined" "$VNICD_LOG"
check_err $? "guest-agent: vnicd did not read 2 pairs through the guest agent before acting"
wait_nic "$DOM" net0 '.queues.active == 1 and (.queues.active_source | test("^guest agent: ethtool -l '"$E0"': 1 combined \\(read 20[0-9-]*T[0-9:]*Z\\)$")) and .queues.command == null'
check_err $? "guest-agent: vnicctl does not show 1 active pair from the guest agent"
[[ $(guest_combined) == 1 ]]
check_err $? "guest-agent: the guest runs $(guest_combined) pairs, wanted 1"
vnicctl show "$DOM" | grep -q 'Queues action: guest-agent: confirmed 1 pair at'
check_err $? "vnicctl show: $(vnicctl show "$DOM" | grep 'Queues action')"
vnicctl explain "$DOM/net0" | grep -q "guest agent: ethtool -l $E0: 1 combined"
check_err $? "vnicctl explain: $(vnicctl explain "$DOM/net0" | grep -i active)"
calls=$(nic_json "$DOM" net0 | jq .queues.action.agent_calls)
sleep 3 # six more samples: no read before the hold-down is over
reads=$(($(agent_reads) - reads0))
[[ $(nic_json "$DOM" net0 | jq .queues.action.agent_calls) == "$calls" && $reads == 1 && $(agent_levers) == 1 ]]
check_err $? "guest-agent: agent calls went on after the confirmation ($calls, then $(nic_json "$DOM" net0 | jq .queues.action.agent_calls); $reads reads, $(agent_levers) lever jobs; wanted 1 and 1)"
log_test "guest-agent: read 2 through the agent, ethtool -L 1 confirmed by the agent's ethtool -l; vnicctl and the guest say 1; 1 read + 1 lever job, $calls agent commands"

grep -E "warning|error" "$VNICD_LOG" | head -n 5
exit "$EXIT_STATUS"
