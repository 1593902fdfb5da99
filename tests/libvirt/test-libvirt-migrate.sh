#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Live migration through libvirt on one host: two private libvirtds (tests/lib/libvirt.sh, named
# "src" and "dst", each with a host UUID of its own, as two hosts would be) in one network
# namespace, each with its own vnicd on its own private bus. A TCG guest with a bridge NIC runs on
# "src"; it takes a MAC its metadata allows and joins a non-IP group, and the source tap follows;
# 'virsh migrate --live --suspend' moves it to "dst", whose vnicd has ResumeMigratedDomains=yes.
# The destination's tap must get the guest's current filter (not the configured one) before the
# guest runs there, vnicd then resumes the domain, the source's state must go, and the guest must
# be followed on the destination. tests/e2e/test-migrate.sh is the same in QMP mode.
#
# Why --suspend: libvirt holds the destination domain's incoming-migration job until it has
# resumed the guest itself, and a monitor command (query-rx-filter) waits for that job, so a plain
# --live migration gets the destination's filter only tens of milliseconds after the guest runs
# there. With --suspend the job ends with the guest paused; vnicd reads and programs, then resumes.
#
#   netns $NS
#   +----------------------------------------------------------------------------------------+
#   |  libvirtd "src" + vnicd (bus A)          libvirtd "dst" + vnicd (bus B)                 |
#   |  domain vnic-migrate net0 -- vnetS --+   domain vnic-migrate (-incoming) net0 -- vnetD  |
#   |                                      |                                          |      |
#   |                                      +---------------- br0 ---------------------+      |
#   |                                                         |                              |
#   |  virsh migrate --live (tcp://127.0.0.1)     uplink (veth) --- uplink-peer               |
#   +----------------------------------------------------------------------------------------+
#
# On one host:
# - libvirt refuses a migration between daemons with one host UUID ("Attempt to migrate guest to
#   the same host"): named daemons get their own host_uuid.
# - Both daemons name taps vnetN from 0; libvirt 9.0 skips names that exist, so the destination's
#   tap gets the next free one (checked below: the two differ).
# - virsh runs in the source daemon's mount namespace and reaches the destination by its socket's
#   host path (LIBVIRT_REMOTE_URI, qemu+unix://); the migration stream goes over TCP on the
#   namespace's loopback. No --unsafe: the guest boots a kernel and initramfs, it has no disk. Both
#   daemons see the kernel and initramfs at the same host paths.
# - The destination gets its own console file and agent socket (virsh migrate --xml): two QEMUs on
#   one host cannot listen on one socket path.
# - macvtaps cannot take part (two macvtaps on one uplink cannot have the same MAC).

# shellcheck source=../lib/sandbox.sh disable=SC2119
source "$(dirname "$0")/../lib/sandbox.sh"
# shellcheck source=../lib/libvirt.sh
source "$(dirname "$0")/../lib/libvirt.sh"
# shellcheck source=../lib/vnicd.sh
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip bridge jq qemu-system-x86_64 libvirtd virsh nsenter unshare dbus-daemon busctl date
: "${VNIC_GUEST_EXEC:=$VNIC_BUILD_DIR/tests/tools/guest-exec}"
[[ -x $VNIC_GUEST_EXEC ]] || skip "guest-exec not built ($VNIC_GUEST_EXEC)"

DOM=vnic-migrate
CONF_MAC=52:54:00:12:34:50      # the configured MAC: QEMU's filter before the guest's state arrives
MAC1=52:54:00:aa:00:01          # allowed by the metadata, taken on the source
MAC2=52:54:00:aa:00:02          # allowed by the metadata, taken on the destination
BAD_MAC=52:54:00:bb:00:09       # not allowed
GROUP1=01:1b:19:00:00:00        # PTP over Ethernet: a non-IP group, so an L2 MDB entry
GROUP2=01:1b:19:00:00:01

setup_ns NS || exit 1
sandbox_uplink || exit 1
ip -n "$NS" link add br0 up type bridge && ip -n "$NS" link set uplink master br0 || exit 1
sandbox_image || exit 1
__sandbox_dir || exit 1
G=$SANDBOX_DIR/$DOM
mkdir -p "$G/src" "$G/dst" || exit 1

libvirtd_start src || exit 1
libvirtd_start dst || exit 1
DST_URI=$LIBVIRT_REMOTE_URI

libvirt_scenario_xml "$DOM" "$G/src" destroy "
    <vnicd:nics xmlns:vnicd='https://vnicd.org/xmlns/vnicd/1'>
      <vnicd:nic mac='$CONF_MAC' trust='yes' mac-change='allowed' allowed-macs='$MAC1,$MAC2'/>
    </vnicd:nics>
  " "$(libvirt_interface_xml bridge:br0 "$CONF_MAC")" >"$G/domain.xml"

libvirt_use src
out=$(virsh define "$G/domain.xml" 2>&1)
check_err $? "virsh define on src: $out"
out=$(virsh start "$DOM" 2>&1)
check_err $? "virsh start on src: $out"
[[ $RET -eq 0 ]] || { log_test "src: domain defined and started"; exit 1; }
vnicd_libvirt_start "$G/src" debug || exit 1
libvirt_use dst
VNICD_MANAGER_EXTRA=ResumeMigratedDomains=yes vnicd_libvirt_start "$G/dst" debug || exit 1

# Recorded from here on: the bridge's FDB/MDB notifications with their time (bridge -timestamp; the
# kernel sends them as it writes), and the destination QEMU's RESUME events with QEMU's own
# timestamp (the moment a guest runs there). Started long before the migration, so both listen by
# then; stopped by PID on exit.
stop_listener() {
        kill "$1" 2>/dev/null
        wait "$1" 2>/dev/null
}
ip netns exec "$NS" stdbuf -oL bridge -timestamp monitor fdb mdb >"$G/bridge-monitor.log" 2>&1 &
defer stop_listener "$!"
libvirt_ns stdbuf -oL virsh -q -c "$LIBVIRT_URI" qemu-monitor-event --event RESUME --loop \
        >"$G/dst-resume.log" 2>&1 &
defer stop_listener "$!"

port_flags() { # TAP: "learning flood"
        bridge -n "$NS" -j -d link show dev "$1" | jq -r '.[0] | "\(.learning) \(.flood)"'
}
# "TAP MAC" of every static guest entry on br0, sorted: where the bridge sends each guest MAC.
br0_static() {
        bridge -n "$NS" -j fdb show br br0 |
                jq -r '.[] | select(.state == "static" and (.mac | startswith("52:54:00"))) | "\(.ifname) \(.mac)"' | sort
}
domain_tap() {
        virsh domiflist "$DOM" | awk -v m="$CONF_MAC" '$5 == m { print $1 }'
}
libvirt_connected() {
        vnicctl --json | jq -e '.daemon.libvirt.state == "connected"' >/dev/null
}
synced='.state == "configured" and .in_sync'

# --- the guest runs on src; its tap follows; dst knows no guest ----------------------------------
libvirt_use src
busywait $((SANDBOX_READY_TIMEOUT * 1000)) libvirt_guest_ready "$G/src" 1
check_err $? "guest not ready; console: $(tail -n 5 "$G/src/console.log" 2>/dev/null)"
[[ $RET -eq 0 ]] || { log_test "src: guest boots"; exit 1; }
SANDBOX_AGENT=$G/src/agent.sock
E=$(guest_nic "$CONF_MAC")
[[ -n $E ]] || { echo "guest NIC with $CONF_MAC not found"; exit 1; }
TS=$(domain_tap)
[[ -n $TS ]] || { echo "no tap for $CONF_MAC on src: $(virsh domiflist "$DOM")"; exit 1; }
log_info "src tap $TS, guest $E"

wait_nic "$DOM" net0 "$synced and .owner == \"vnicd\" and .host_device == \"$TS\" and .bridge.bridge == \"br0\""
check_err $? "src vnicctl: net0 not configured on $TS"
busywait 10000 bridge_has_static "$TS" "$CONF_MAC 0"
check_err $? "kernel: $TS static FDB is [$(bridge_static_macs "$TS")], want [$CONF_MAC 0]"
[[ $(port_flags "$TS") == "false false" ]]
check_err $? "kernel: $TS learning/flood are $(port_flags "$TS"), not off"
libvirt_use dst
busywait 10000 libvirt_connected
check_err $? "dst vnicd not connected to its libvirtd: $(vnicctl --json | jq -c .daemon.libvirt)"
[[ $(vnicctl --json | jq '.guests | length') == 0 ]]
check_err $? "dst vnicctl lists guests before the migration: $(vnicctl --json | jq -c '[.guests[].name]')"
log_test "boot on src: $TS learning/flood off with the configured MAC's entry; dst has no guest"

libvirt_use src
guest "/usr/sbin/ip link set dev $E address $MAC1 && /usr/sbin/ip maddr add $GROUP1 dev $E" >/dev/null
check_err $? "guest could not change its MAC and join $GROUP1"
wait_nic "$DOM" net0 "$synced and .asked.mac == \"$MAC1\""
check_err $? "src vnicctl: net0 did not follow the guest"
busywait 10000 bridge_has_static "$TS" "$MAC1 0"
check_err $? "kernel: $TS static FDB is [$(bridge_static_macs "$TS")], want [$MAC1 0]"
busywait 10000 bridge_groups_are "$TS" "$GROUP1"
check_err $? "kernel: $TS MDB groups are [$(bridge_l2_groups "$TS")], want [$GROUP1]"
log_test "src: the guest takes $MAC1 (allowed) and joins $GROUP1, $TS follows"

# --- migrate ----------------------------------------------------------------------------------
libvirt_use src
virsh dumpxml --migratable "$DOM" | sed -e "s|$G/src/|$G/dst/|g" >"$G/dst.xml"
grep -q "$G/dst/agent.sock" "$G/dst.xml"
check_err $? "the destination XML does not have the destination's agent socket"
t0=$(date +%s%3N)
out=$(timeout --foreground 120 nsenter -t "$LIBVIRTD_PID" -m -n -- virsh -q -c "$LIBVIRT_URI" \
        migrate --live --suspend --xml "$G/dst.xml" "$DOM" "$DST_URI" tcp://127.0.0.1 2>&1)
check_err $? "virsh migrate --live --suspend: $out"
MIGRATE_MS=$(($(date +%s%3N) - t0))
[[ $(virsh domstate "$DOM" --reason 2>&1) == "shut off (migrated)" ]]
check_err $? "src: domain is '$(virsh domstate "$DOM" --reason 2>&1)', not shut off (migrated)"
libvirt_use dst
# vnicd resumes it once its NIC is programmed.
busywait 15000 eval "[[ \$(virsh domstate '$DOM' 2>&1) == running ]]"
check_err $? "dst: domain is '$(virsh domstate "$DOM" --reason 2>&1)': vnicd did not resume it"
RESUMED_MS=$(($(date +%s%3N) - t0 - MIGRATE_MS))
grep -q "^$DOM: its NICs are programmed: resuming the domain" "$VNICD_LOG"
check_err $? "dst vnicd did not resume the domain because its NICs were programmed: $(grep "^$DOM: " "$VNICD_LOG" | tail -n 3 | tr '\n' ';')"
TD=$(domain_tap)
[[ -n $TD && $TD != "$TS" ]]
check_err $? "dst tap '$TD' (src tap $TS): $(virsh domiflist "$DOM" 2>&1)"
log_test "virsh migrate --live --suspend src -> dst in $((MIGRATE_MS / 1000)).$(printf %03d $((MIGRATE_MS % 1000)))s, resumed by vnicd within ${RESUMED_MS} ms; the guest runs on dst on $TD"
[[ $RET -eq 0 && -n $TD ]] || exit 1

# --- the destination's tap gets the guest's current filter -------------------------------------
wait_nic "$DOM" net0 "$synced and .owner == \"vnicd\" and .host_device == \"$TD\" and .asked.mac == \"$MAC1\" and (.asked.multicast_table | index(\"$GROUP1\") != null)"
check_err $? "dst vnicctl: net0 on $TD did not get the guest's filter"
busywait 10000 bridge_has_static "$TD" "$MAC1 0"
check_err $? "kernel: $TD static FDB is [$(bridge_static_macs "$TD")], want [$MAC1 0]"
busywait 10000 bridge_groups_are "$TD" "$GROUP1"
check_err $? "kernel: $TD MDB groups are [$(bridge_l2_groups "$TD")], want [$GROUP1]"
[[ $(port_flags "$TD") == "false false" ]]
check_err $? "kernel: $TD learning/flood are $(port_flags "$TD"), not off"
# QEMU's filter before the guest's state arrives has the configured MAC: never written for TD.
! grep -q "^$CONF_MAC dev $TD .*static" "$G/bridge-monitor.log"
check_err $? "kernel: $TD got a static entry for the configured MAC $CONF_MAC (QEMU's default filter, not the guest's)"
log_test "dst: $TD has the guest's current MAC $MAC1 and group (not the configured MAC), learning/flood off"

# Before the guest runs there: as tests/e2e/test-migrate.sh asks of vnicd in QMP mode.
# The time of the kernel's first notification whose line matches ERE, in µs since the epoch.
first_notification_us() {
        local line ts="" us d

        while IFS= read -r line; do
                if [[ $line == "Timestamp: "* ]]; then
                        ts=${line#Timestamp: }
                        continue
                fi
                [[ -n $ts && $line =~ $1 ]] || continue
                # "Tue Nov 24 02:31:10 2026 538597 usec"
                us=${ts% usec}
                us=${us##* }
                d=${ts% "$us usec"}
                echo $(($(date -d "$d" +%s) * 1000000 + 10#$us))
                return 0
        done <"$G/bridge-monitor.log"
        return 1
}
# "event RESUME at 1763951470.491234 for domain 'vnic-migrate': ..." (QEMU's timestamp).
resume_us() {
        sed -n "s/^event RESUME at \([0-9]*\)\.\([0-9]*\) for domain '$DOM'.*/\1 \2/p" "$G/dst-resume.log" |
                head -n 1 | { read -r s u && echo $((s * 1000000 + 10#$u)); }
}
fdb_us=$(first_notification_us "^$MAC1 dev $TD .*static")
mdb_us=$(first_notification_us "^dev br0 port $TD grp $GROUP1 ")
run_us=$(resume_us)
[[ -n $run_us && -n $fdb_us && -n $mdb_us ]]
check_err $? "no time for: RESUME [$(cat "$G/dst-resume.log")] or $TD's FDB/MDB notification (see $G/bridge-monitor.log)"
if [[ $RET -eq 0 ]]; then
        log_info "dst QEMU RESUME at $run_us µs; $TD's FDB entry $((run_us - fdb_us)) µs and MDB group $((run_us - mdb_us)) µs before it"
        ((fdb_us < run_us))
        check_err $? "kernel: $TD got $MAC1's static entry $(((fdb_us - run_us) / 1000)) ms after the guest ran there"
        ((mdb_us < run_us))
        check_err $? "kernel: $TD got $GROUP1 $(((mdb_us - run_us) / 1000)) ms after the guest ran there"
fi
log_test "dst: $TD has the guest's FDB entry and group before the guest runs there"

# --- the source's state is removed ------------------------------------------------------------
libvirt_use src
busywait 20000 eval "[[ \$(vnicctl --json | jq --arg d '$DOM' '[.guests[] | select(.name == \$d)] | length') == 0 ]]"
check_err $? "src vnicctl still lists $DOM: $(guest_json "$DOM")"
grep -q "$DOM: the domain migrated away; removing what vnicd set up" "$VNICD_LOG"
check_err $? "src vnicd did not log the migration away"
libvirt_connected
check_err $? "src vnicd: libvirt $(vnicctl --json | jq -c .daemon.libvirt)"
# libvirt deletes the source's tap with its QEMU; if it were left, it must carry nothing of ours.
if ip -n "$NS" link show dev "$TS" >/dev/null 2>&1; then
        bridge_has_static "$TS" "" && bridge_groups_are "$TS" ""
        check_err $? "kernel: $TS keeps [$(bridge_static_macs "$TS")] [$(bridge_l2_groups "$TS")]"
fi
[[ $(br0_static) == "$TD $MAC1" ]]
check_err $? "kernel: br0's static guest entries are [$(br0_static | tr '\n' ' ')], want [$TD $MAC1]"
log_test "src: the guest left vnicctl, no static entry or group of it outside $TD"

# A migrated-away domain's tap vanishes (libvirt ends its QEMU) before libvirt's STOPPED event:
# that is the domain leaving, not a failure of its NIC.
failed=$(grep -E "^$DOM/net0: (state .* -> failed|host device .* does not exist)" "$VNICD_LOG")
[[ -z $failed ]]
check_err $? "src vnicd marked the migrating NIC failed: $(tr '\n' ';' <<<"$failed")"
log_test "src: the NIC of the migrated-away domain is never reported failed"

# --- the guest runs on the destination and is followed there ------------------------------------
libvirt_use dst
SANDBOX_AGENT=$G/dst/agent.sock
E=$(guest_nic "$MAC1")
[[ -n $E ]]
check_err $? "the guest does not answer on dst (agent $SANDBOX_AGENT)"
[[ $RET -eq 0 ]] || { log_test "dst: the guest answers"; exit 1; }
# The metadata came with the domain: a MAC it does not allow is refused on the destination too.
guest "/usr/sbin/ip link set dev $E address $BAD_MAC" >/dev/null
check_err $? "guest could not change its MAC on dst"
wait_nic "$DOM" net0 ".asked.mac == \"$BAD_MAC\" and (.refusals | map(select(.field == \"fdb\")) | length == 1)"
check_err $? "dst vnicctl: $BAD_MAC (not in allowed-macs) is not refused"
bridge_has_static "$TD" "$MAC1 0"
check_err $? "kernel: $TD static FDB is [$(bridge_static_macs "$TD")] after a refused MAC, want [$MAC1 0]"
guest "/usr/sbin/ip link set dev $E address $MAC2 && /usr/sbin/ip maddr del $GROUP1 dev $E && /usr/sbin/ip maddr add $GROUP2 dev $E" >/dev/null
check_err $? "guest could not change its MAC and groups on dst"
wait_nic "$DOM" net0 "$synced and .asked.mac == \"$MAC2\""
check_err $? "dst vnicctl: net0 did not follow the guest on dst"
busywait 10000 bridge_has_static "$TD" "$MAC2 0"
check_err $? "kernel: $TD static FDB is [$(bridge_static_macs "$TD")], want [$MAC2 0]"
busywait 10000 bridge_groups_are "$TD" "$GROUP2"
check_err $? "kernel: $TD MDB groups are [$(bridge_l2_groups "$TD")], want [$GROUP2]"
[[ $(br0_static) == "$TD $MAC2" ]]
check_err $? "kernel: br0's static guest entries are [$(br0_static | tr '\n' ' ')], want [$TD $MAC2]"
libvirt_use src
[[ $(vnicctl --json | jq '.guests | length') == 0 ]]
check_err $? "src vnicctl lists guests again: $(vnicctl --json | jq -c '[.guests[].name]')"
log_test "dst: the guest is followed ($BAD_MAC refused per its metadata, $MAC2 and $GROUP2 applied), src stays empty"

libvirt_use dst
echo "--- dst vnicctl show $DOM (for the log):"
vnicctl show "$DOM"

# --- destroy on the destination: nothing of the guest stays ------------------------------------
out=$(virsh destroy "$DOM" 2>&1)
check_err $? "virsh destroy on dst: $out"
busywait 20000 eval "[[ \$(vnicctl --json | jq '.guests | length') == 0 ]]"
check_err $? "dst vnicctl still lists guests: $(vnicctl --json | jq -c '[.guests[].name]')"
[[ -z $(br0_static) ]]
check_err $? "kernel: br0 keeps static guest entries after destroy: [$(br0_static | tr '\n' ' ')]"
log_test "dst: virsh destroy leaves no guest and no static guest entry on br0"

if [[ $EXIT_STATUS -ne 0 ]]; then
        for side in src dst; do
                libvirt_use "$side"
                echo "--- $side vnicd log (last 40 lines):"
                tail -n 40 "$VNICD_LOG"
        done
        echo "--- bridge monitor (FDB/MDB notifications with their time):"
        cat "$G/bridge-monitor.log"
        echo "--- dst QEMU RESUME:"
        cat "$G/dst-resume.log"
fi
exit "$EXIT_STATUS"
