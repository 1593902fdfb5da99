#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The multiqueue levers (MultiqueueApply=, issue 8 part 4) on real parts: a private libvirtd, one
# TCG guest with 2 vCPUs, a multiqueue tap and qemu-guest-agent, and vnicd restarted with each
# lever in turn. The thresholds make the policy recommend 1 pair while the guest runs 2 (Linux
# enables min(vCPUs, max) at probe): no idle rule (MultiqueueIdlePacketRate=0), no hold-down.
#
#   netns $NS; libvirtd and vnicd in libvirtd's mount namespace
#   +-----------------------------------------------------------------------------------+
#   |  domain vnic-mq (QEMU, TCG, 2 vCPUs, persistent)                                  |
#   |    net0 52:54:00:12:34:52 bridge br0, <driver queues='4'/>  -> vnetN (tap, 4 q.)   |
#   |    org.qemu.guest_agent.0 (qemu-ga)   org.vnicd.test.0 (the test's own agent)      |
#   |  vnicd --libvirt-uri=<private socket>  <-- vnicctl (private D-Bus)                |
#   +-----------------------------------------------------------------------------------+
#
# Steps: report (nothing written, the guest unchanged; with traffic in the guest and
# MultiqueueGuestStats= unset, no guest agent command at all); MultiqueueGuestStats=yes (no read
# while idle; with a ping flow in the guest, vnicctl --json shows per-queue counters read through
# the agent that lie between two of the guest's own 'ethtool -S', the hot queue, and the policy's
# reason names it; no read once idle again); guest-agent with the agent stopped (a
# clear status, one attempt, no retry storm); guest-agent (ethtool -l in the guest and the tap's
# numqueues show 1, vnicctl says confirmed); next-boot (the inactive XML gets one pair -- libvirt
# keeps queues='1' as no queues= -- and nothing else changes, vnicctl says pending; after
# destroy + start the running XML has it and vnicctl says applied).

# shellcheck source=../lib/sandbox.sh disable=SC2119
source "$(dirname "$0")/../lib/sandbox.sh"
# shellcheck source=../lib/libvirt.sh
source "$(dirname "$0")/../lib/libvirt.sh"
# shellcheck source=../lib/vnicd.sh
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip jq qemu-system-x86_64 libvirtd virsh nsenter unshare dbus-daemon diff
: "${VNIC_GUEST_EXEC:=$VNIC_BUILD_DIR/tests/tools/guest-exec}"
[[ -x $VNIC_GUEST_EXEC ]] || skip "guest-exec not built ($VNIC_GUEST_EXEC)"

DOM=vnic-mq
MAC=52:54:00:12:34:52
setup_ns NS || exit 1
libvirt_scenario_net || exit 1
sandbox_image || exit 1
[[ -n $SANDBOX_QGA ]] || skip "no qemu-guest-agent for the guest (tests/guest/fetch-guest-agent.sh failed; offline?)"
__sandbox_dir || exit 1
G=$SANDBOX_DIR/$DOM
mkdir -p "$G" || exit 1
libvirtd_start || exit 1

SANDBOX_VCPUS=2 LIBVIRT_QGA=1 libvirt_scenario_xml "$DOM" "$G" destroy "" \
        "    <interface type='bridge'><source bridge='br0'/><mac address='$MAC'/><model type='virtio'/><driver queues='4'/><rom enabled='no'/></interface>" \
        >"$G/domain.xml"
out=$(virsh define "$G/domain.xml" 2>&1)
check_err $? "virsh define failed: $out"
out=$(virsh start "$DOM" 2>&1)
check_err $? "virsh start failed: $out"
[[ $RET -eq 0 ]] || exit 1
busywait $((SANDBOX_READY_TIMEOUT * 1000)) libvirt_guest_ready "$G" 1
check_err $? "guest not ready; console: $(tail -n 5 "$G/console.log" 2>/dev/null)"
[[ $RET -eq 0 ]] || exit 1
SANDBOX_AGENT=$G/agent.sock
E0=$(guest_nic $MAC)
[[ -n $E0 ]] || { echo "guest NIC not found"; exit 1; }
TAP=$(virsh domiflist "$DOM" | awk -v m=$MAC '$5 == m { print $1 }')
busywait 30000 eval "virsh qemu-agent-command $DOM '{\"execute\":\"guest-ping\"}' >/dev/null 2>&1"
check_err $? "qemu-guest-agent does not answer in the guest"

guest_combined() { # the guest's current combined channels (ethtool -l)
        guest "/usr/sbin/ethtool -l $E0" | awk '/^Current/ { c = 1 } c && /^Combined:/ { print $2 }'
}
tap_numqueues() {
        ip -n "$NS" -d -j link show dev "$TAP" | jq -r '.[0].linkinfo.info_data.numqueues'
}
inactive_xml() {
        virsh dumpxml --inactive "$DOM"
}
# The persistent XML with the interface's <driver queues> taken out: what must not change.
# libvirt stores queues='1' as no queues= (one pair), and an empty <driver/> as nothing.
without_queues() {
        sed "s/ queues='[0-9]*'//; /^ *<driver\/>$/d"
}
xml_queues() { # the queue pairs of the NIC in the domain XML on stdin
        local q
        q=$(grep -o "<driver [^>]*queues='[0-9]*'" | grep -o "[0-9]*'$" | tr -d "'")
        echo "${q:-1}"
}
start_vnicd() { # MODE [EXTRA]
        vnicd_stop
        VNICD_MANAGER_EXTRA="MultiqueueApply=$1
MultiqueueSampleSec=0.5
MultiqueueIdlePacketRate=${IDLE_RATE:-0}
MultiqueueHoldDownSec=0
${2:-}" vnicd_libvirt_start "$G" debug || exit 1
}
# Traffic from inside the guest: one ICMP flow to br0 (in the test's namespace), each echo sent as
# soon as the last reply came, from vCPU 1 only: its echoes go out on the queue XPS gives that CPU,
# and the tap sends the replies back on the queue the flow came from: one hot pair.
ip -n "$NS" addr add 10.99.0.1/24 dev br0 || exit 1
guest "/usr/sbin/ip addr add 10.99.0.2/24 dev $E0 && /usr/sbin/ip link set $E0 up" >/dev/null
check_err $? "cannot give the guest's NIC an address"
traffic_start() {
        guest 'taskset 2 ping -A -q -w 60 10.99.0.1 </dev/null >/dev/null 2>&1 &' >/dev/null
}
traffic_stop() {
        guest 'kill $(pidof ping) 2>/dev/null; true' >/dev/null
}
defer traffic_stop
guest_packets() { # "rx_queue_N_packets COUNT" lines of the guest's own ethtool -S
        guest "/usr/sbin/ethtool -S $E0" | awk -F': ' '$1 ~ /_queue_[0-9]+_packets$/ { gsub(/ /, "", $1); print $1, $2 }' | sort
}
vnicd_packets() { # the same from vnicd's last read
        nic_json "$DOM" net0 | jq -r '.queues.guest_stats.queues[] | "rx_queue_\(.queue)_packets \(.rx_packets)", "tx_queue_\(.queue)_packets \(.tx_packets)"' | sort
}
guest_stats() { # JQ over .queues.guest_stats
        nic_json "$DOM" net0 | jq -r ".queues.guest_stats | $1"
}
action_is() { # JQ over .queues.action
        wait_nic "$DOM" net0 ".queues.action | $1" "${2:-30000}"
}

inactive_xml >"$G/inactive-0.xml"
[[ $(guest_combined) == 2 && $(tap_numqueues) == 2 ]]
check_err $? "at boot the guest runs $(guest_combined) pairs, the tap has $(tap_numqueues) queues; wanted 2 of 4"
log_test "boot: 2 vCPUs, <driver queues='4'/>: the guest runs 2 pairs, the tap has 2 queues attached"

# --- report (the default) ------------------------------------------------------------------------
start_vnicd report
wait_nic "$DOM" net0 '.queues.recommended == 1 and .queues.active == 2 and .queues.vcpus == 2 and (.queues.command | test("combined 1"))'
check_err $? "no recommendation of 1 pair"
action_is '.mode == "report" and .state == "report" and .agent_calls == 0'
check_err $? "report: the action is not 'report'"
sleep 2
inactive_xml | diff -u "$G/inactive-0.xml" - >/dev/null
check_err $? "report: the persistent XML changed"
[[ $(guest_combined) == 2 ]]
check_err $? "report: the guest's pairs changed to $(guest_combined)"
vnicctl show "$DOM" | grep -q 'Queues action: report: report only'
check_err $? "vnicctl show: $(vnicctl show "$DOM" | grep Queues)"
log_test "report: 1 pair recommended with the command; nothing written, the guest keeps 2"

# --- the guest's per-queue counters: off by default ---------------------------------------------
traffic_start
wait_nic "$DOM" net0 '.queues.packet_rate > 200'
check_err $? "no traffic from the guest's ping seen on the tap"
sleep 3 # six busy samples
[[ $(nic_json "$DOM" net0 | jq '.queues.action.agent_calls') == 0 && $(guest_stats .enabled) == false &&
        $(guest_stats .reads) == 0 && $(guest_stats .status) == "off (MultiqueueGuestStats=no): the guest is not asked" ]]
check_err $? "MultiqueueGuestStats unset: the guest agent was asked ($(nic_json "$DOM" net0 | jq -c '.queues.guest_stats, .queues.action.agent_calls'))"
grep -q "guest stats read" "$VNICD_LOG"
check_fail $? "MultiqueueGuestStats unset: vnicd read ethtool -S in the guest"
traffic_stop
log_test "guest stats off: traffic in the guest for 3 s, no guest agent command"

# --- the guest's per-queue counters: MultiqueueGuestStats=yes -----------------------------------
IDLE_RATE=200 start_vnicd report "MultiqueueIdleSampleSec=0.5
MultiqueueGuestStats=yes"
wait_nic "$DOM" net0 '.queues.samples >= 2'
sleep 2 # four idle samples
[[ $(guest_stats .reads) == 0 && $(nic_json "$DOM" net0 | jq '.queues.action.agent_calls') == 0 ]]
check_err $? "guest stats: the guest was asked while the NIC was idle ($(nic_json "$DOM" net0 | jq -c .queues.guest_stats))"
traffic_start
wait_nic "$DOM" net0 '.queues.guest_stats.busiest != null and .queues.guest_stats.dev == "'"$E0"'" and .queues.guest_stats.source == "guest agent: ethtool -S"'
check_err $? "guest stats: no per-queue rates from the guest"
# vnicd's counters lie between two of the guest's own reads: the read two after G1 started after it.
G1=$(guest_packets)
reads=$(guest_stats .reads)
wait_nic "$DOM" net0 ".queues.guest_stats.reads >= $((reads + 2))"
check_err $? "guest stats: no further reads while traffic runs"
V=$(vnicd_packets)
G2=$(guest_packets)
between=$(join <(echo "$G1") <(echo "$V") | join - <(echo "$G2") |
        awk '{ n++ } $2 <= $3 && $3 <= $4 { ok++ } END { print ok + 0, n + 0 }')
[[ $between == "4 4" ]]
check_err $? "guest stats: vnicd's counters are not between the guest's own: G1 '$G1' vnicd '$V' G2 '$G2'"
read -r busiest share carrying < <(guest_stats '"\(.busiest) \(.busiest_share) \(.carrying)"')
[[ $carrying -ge 1 ]] && awk -v s="$share" 'BEGIN { exit !(s > 0.9) }'
check_err $? "guest stats: one ICMP flow, but the busiest queue $busiest carries $share ($carrying carrying)"
wait_nic "$DOM" net0 '.queues.reason | test("^busiest guest queue [0-9] carries [0-9]+% of packets")'
check_err $? "guest stats: the policy's reason does not use the guest's queues"
vnicctl show "$DOM" | grep -q "Queues guest: $E0 read .*queue $busiest [0-9]*/s.*busiest queue $busiest"
check_err $? "vnicctl show: $(vnicctl show "$DOM" | grep 'Queues guest')"
vnicctl explain "$DOM/net0" | grep -q "guest's queues .*busiest queue $busiest"
check_err $? "vnicctl explain: $(vnicctl explain "$DOM/net0" | grep "guest's")"
traffic_stop
wait_nic "$DOM" net0 '.queues.packet_rate < 200'
reads=$(guest_stats .reads)
calls=$(nic_json "$DOM" net0 | jq '.queues.action.agent_calls')
sleep 2 # four idle samples
[[ $(guest_stats .reads) -le $((reads + 1)) && $(guest_stats .failures) == 0 ]]
check_err $? "guest stats: reads went on while idle ($reads, then $(guest_stats .reads))"
log_test "guest stats: ping in the guest; vnicd's ethtool -S counters between the guest's own ($(echo $V | tr '\n' ' ')), queue $busiest carries $share, $(guest_stats .reads) reads, $calls agent commands; none while idle"

# --- guest-agent, with the agent stopped ---------------------------------------------------------
guest 'kill $(pidof qemu-ga)' >/dev/null
busywait 10000 eval "! virsh qemu-agent-command $DOM '{\"execute\":\"guest-ping\"}' >/dev/null 2>&1"
start_vnicd guest-agent
action_is '.mode == "guest-agent" and .state == "failed" and (.detail | test("guest-network-get-interfaces: .*agent is not"))'
check_err $? "agent stopped: no clear status"
sleep 5 # ten more samples
calls=$(grep -c "multiqueue guest-agent: [0-9]* guest agent command(s) sent" "$VNICD_LOG")
agent_calls=$(nic_json "$DOM" net0 | jq .queues.action.agent_calls)
[[ $calls == 1 && $agent_calls == 1 ]]
check_err $? "agent stopped: $calls attempts, $agent_calls agent commands over 10+ samples; wanted 1 and 1"
[[ $(guest_combined) == 2 ]]
check_err $? "agent stopped: the guest's pairs changed"
inactive_xml | diff -u "$G/inactive-0.xml" - >/dev/null
check_err $? "agent stopped: the persistent XML changed"
log_test "guest-agent, agent stopped: '$(nic_json "$DOM" net0 | jq -r .queues.action.detail)', 1 attempt in 5 s"

# --- guest-agent ---------------------------------------------------------------------------------
guest '/sbin/vnic-qga </dev/null >/dev/null 2>&1 &' >/dev/null
busywait 20000 eval "virsh qemu-agent-command $DOM '{\"execute\":\"guest-ping\"}' >/dev/null 2>&1"
check_err $? "qemu-ga did not come back"
start_vnicd guest-agent
action_is '.state == "confirmed" and .pairs == 1 and (.detail | test("confirmed by the tap")) and .when != null'
check_err $? "guest-agent: not confirmed"
[[ $(guest_combined) == 1 ]]
check_err $? "guest-agent: the guest runs $(guest_combined) pairs, wanted 1"
[[ $(tap_numqueues) == 1 ]]
check_err $? "guest-agent: the tap has $(tap_numqueues) queues attached, wanted 1"
wait_nic "$DOM" net0 '.queues.active == 1 and .queues.command == null'
check_err $? "guest-agent: vnicctl does not show 1 active pair"
vnicctl show "$DOM" | grep -q 'Queues action: guest-agent: confirmed 1 pair at'
check_err $? "vnicctl show: $(vnicctl show "$DOM" | grep 'Queues action')"
vnicctl explain "$DOM/net0" | grep -q 'action .*guest-agent, confirmed'
check_err $? "vnicctl explain: $(vnicctl explain "$DOM/net0" | grep action)"
inactive_xml | diff -u "$G/inactive-0.xml" - >/dev/null
check_err $? "guest-agent: the persistent XML changed"
log_test "guest-agent: ethtool -L in the guest; ethtool -l and the tap show 1 pair, vnicctl 'confirmed'"

# --- next-boot -----------------------------------------------------------------------------------
start_vnicd next-boot
action_is '.mode == "next-boot" and .state == "pending-next-boot" and .pairs == 1 and (.detail | test("written to the persistent XML \\(it had 4\\)"))'
check_err $? "next-boot: not pending"
inactive_xml >"$G/inactive-1.xml"
[[ $(xml_queues <"$G/inactive-1.xml") == 1 ]]
check_err $? "next-boot: the inactive XML has $(xml_queues <"$G/inactive-1.xml") pairs, wanted 1"
diff -u <(without_queues <"$G/inactive-0.xml") <(without_queues <"$G/inactive-1.xml")
check_err $? "next-boot: the persistent XML changed beyond <driver queues>"
[[ $(virsh dumpxml "$DOM" | xml_queues) == 4 ]]
check_err $? "next-boot: the running domain's XML changed"
vnicctl show "$DOM" | grep -q 'Queues action: next-boot: pending-next-boot 1 pair at .*pending until next boot'
check_err $? "vnicctl show: $(vnicctl show "$DOM" | grep 'Queues action')"
sleep 2
[[ $(grep -c "multiqueue next-boot: 1 pairs pending-next-boot" "$VNICD_LOG") == 1 ]]
check_err $? "next-boot: written more than once"
log_test "next-boot: one pair (queues='1') in the persistent XML (nothing else changed), vnicctl 'pending'"

out=$(virsh destroy "$DOM" 2>&1)
check_err $? "virsh destroy: $out"
out=$(virsh start "$DOM" 2>&1)
check_err $? "virsh start: $out"
[[ $(virsh dumpxml "$DOM" | xml_queues) == 1 ]]
check_err $? "after the restart the running XML has $(virsh dumpxml "$DOM" | xml_queues) pairs"
action_is '.state == "applied" and .pairs == 1 and (.detail | test("running domain has"))' 60000
check_err $? "next-boot: not applied after the restart"
wait_nic "$DOM" net0 '.queues.max == 1 and .queues.active == 1'
check_err $? "after the restart: not 1 pair"
log_test "next-boot: after destroy + start the running domain has one pair, vnicctl 'applied'"

grep -E "warning|error" "$VNICD_LOG" | head -n 5
exit "$EXIT_STATUS"
