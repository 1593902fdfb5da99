#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Smoke test of the libvirt tier: a private libvirtd (tests/lib/libvirt.sh) defines and starts a
# TCG guest (the sandbox kernel + initramfs) with the three kinds of NIC the tier is about, the
# guest boots and sees them, and 'virsh destroy' plus stopping the daemon leave nothing behind.
#
#   netns $NS, libvirtd in its own mount namespace (private /etc/libvirt, /run/libvirt, ...)
#   +-------------------------------------------------------------------------------+
#   |  QEMU (TCG) domain vnic-smoke, from domain XML                                |
#   |    net0 52:54:00:12:34:50  type='direct' trustGuestRxFilters='yes' -> macvtapN |
#   |    net1 52:54:00:12:34:51  type='direct' (untrusted)               -> macvtapM |
#   |                                           \          /                        |
#   |                                  uplink (veth) --- uplink-peer                 |
#   |    net2 52:54:00:12:34:52  type='bridge' -> vnetK -- br0 -- brport (veth)      |
#   |    channel org.vnicd.test.0 <- guest-exec                                     |
#   +-------------------------------------------------------------------------------+

# shellcheck source=../lib/sandbox.sh disable=SC2119
source "$(dirname "$0")/../lib/sandbox.sh"
# shellcheck source=../lib/libvirt.sh
source "$(dirname "$0")/../lib/libvirt.sh"

require_root
require_cmd ip jq qemu-system-x86_64 libvirtd virsh nsenter unshare

DOM=vnic-smoke
t0=$(date +%s%3N)

setup_ns NS || exit 1
libvirt_scenario_net || exit 1
ns_links() {
        ip -n "$NS" -j link show | jq -r '.[].ifname' | sort | tr '\n' ' '
}
links_before=$(ns_links)

sandbox_image || exit 1
__sandbox_dir || exit 1
G=$SANDBOX_DIR/$DOM
mkdir -p "$G" || exit 1

# What a run must not leave on the host, taken before the daemon starts.
host_state() {
        local p

        for p in /etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
                [[ -e $p ]] && echo "$p: $(find "$p" | wc -l) entries" || echo "$p: absent"
        done
        cksum </etc/passwd
        cksum </etc/group
}
host_before=$(host_state)

libvirtd_start || exit 1
mntns=$LIBVIRTD_MNTNS
[[ -n $(virsh list --all --name) ]]
check_fail $? "a fresh private libvirtd already has domains: $(virsh list --all --name)"
log_test "private libvirtd answers ($((LIBVIRTD_START_MS)) ms), no domains of anyone else"

libvirt_scenario_xml "$DOM" "$G" >"$G/domain.xml"

# --- define and start -------------------------------------------------------------------------
out=$(virsh define "$G/domain.xml" 2>&1)
check_err $? "virsh define failed: $out"
t1=$(date +%s%3N)
out=$(virsh start "$DOM" 2>&1)
check_err $? "virsh start failed: $out"
start_ms=$(($(date +%s%3N) - t1))
[[ $(virsh domstate "$DOM" 2>&1) == running ]]
check_err $? "domain state is '$(virsh domstate "$DOM" 2>&1)', not running"
log_test "define + start a TCG domain with 3 NICs (virsh start took $start_ms ms)"
if [[ $RET -ne 0 || $EXIT_STATUS -ne 0 ]]; then
        echo "--- QEMU log:"
        tail -n 20 "$LIBVIRTD_DIR/log/qemu/$DOM.log" 2>/dev/null
        exit 1
fi

# --- domiflist: three NICs, each on a host device that exists in the netns --------------------
mapfile -t ifs < <(virsh domiflist "$DOM" | awk 'NF == 5 { print $1, $2, $3, $5 }')
log_info "domiflist: $(printf '[%s] ' "${ifs[@]}")"
[[ ${#ifs[@]} -eq 3 ]]
check_err $? "domiflist lists ${#ifs[@]} interfaces, not 3: ${ifs[*]}"
want=("macvtap direct uplink 52:54:00:12:34:50" "macvtap direct uplink 52:54:00:12:34:51"
      "vnet bridge br0 52:54:00:12:34:52")
targets=()
for i in 0 1 2; do
        read -r dev type src mac <<<"${ifs[i]:-}"
        [[ "${dev%%[0-9]*} $type $src $mac" == "${want[i]}" && $dev =~ ^(macvtap|vnet)[0-9]+$ ]]
        check_err $? "NIC $i is '${ifs[i]:-}', want '${want[i]}' with a numbered target"
        targets+=("$dev")
done
log_test "domiflist: 2 direct (macvtap) + 1 bridge (vnet), configured MACs"

link=$(ip -n "$NS" -d -j link show dev "${targets[0]}" 2>/dev/null | jq -c '.[0]')
jq -e '.linkinfo.info_kind == "macvtap" and .link == "uplink" and .linkinfo.info_data.mode == "bridge"' \
        <<<"$link" >/dev/null
check_err $? "${targets[0]} in the netns is not a bridge-mode macvtap on uplink: $link"
link=$(ip -n "$NS" -d -j link show dev "${targets[1]}" 2>/dev/null | jq -c '.[0]')
jq -e '.linkinfo.info_kind == "macvtap" and .link == "uplink"' <<<"$link" >/dev/null
check_err $? "${targets[1]} in the netns is not a macvtap on uplink: $link"
link=$(ip -n "$NS" -d -j link show dev "${targets[2]}" 2>/dev/null | jq -c '.[0]')
jq -e '.linkinfo.info_kind == "tun" and .master == "br0"' <<<"$link" >/dev/null
check_err $? "${targets[2]} in the netns is not a tap in br0: $link"
xml=$(virsh dumpxml "$DOM")
[[ $(grep -c "trustGuestRxFilters='yes'" <<<"$xml") -eq 1 ]]
check_err $? "live XML does not have exactly one trusted interface"
log_test "host devices: macvtaps on uplink and a tap in br0, in the test's netns"

# --- the guest boots under libvirt and sees its NICs -------------------------------------------
busywait $((SANDBOX_READY_TIMEOUT * 1000)) libvirt_guest_ready "$G"
check_err $? "guest not ready within ${SANDBOX_READY_TIMEOUT}s; console: $(tail -n 5 "$G/console.log" 2>/dev/null)"
SANDBOX_AGENT=$G/agent.sock
: "${VNIC_GUEST_EXEC:=$VNIC_BUILD_DIR/tests/tools/guest-exec}"
if [[ $RET -eq 0 && -x $VNIC_GUEST_EXEC ]]; then
        macs=$(guest "/usr/sbin/ip -o link show | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2 | sort | tr '\n' ' '")
        check_err $? "guest-exec over the libvirt channel failed"
        log_info "guest MACs: $macs"
        [[ $macs == "52:54:00:12:34:50 52:54:00:12:34:51 52:54:00:12:34:52 " ]]
        check_err $? "guest sees MACs '$macs'"
fi
log_test "guest boots from the sandbox image and sees the 3 NICs (agent over a libvirt channel)"

# --- destroy: QEMU and every host device libvirt made are gone ---------------------------------
qemu_pid=$(cat "$LIBVIRTD_DIR/run/qemu/$DOM.pid" 2>/dev/null)
[[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null
check_err $? "no live QEMU pid in $LIBVIRTD_DIR/run/qemu/$DOM.pid"
out=$(virsh destroy "$DOM" 2>&1)
check_err $? "virsh destroy failed: $out"
[[ $(virsh domstate "$DOM" 2>&1) == "shut off" ]]
check_err $? "domain state after destroy is '$(virsh domstate "$DOM" 2>&1)'"
[[ -z $qemu_pid ]] || busywait 10000 __pid_gone "$qemu_pid"
check_err $? "QEMU $qemu_pid still runs after destroy"
busywait 10000 test "$(ns_links)" == "$links_before"
check_err $? "netns links after destroy: '$(ns_links)', before start: '$links_before'"
log_test "destroy: QEMU gone, macvtaps and vnet removed from the netns"

# --- stop the daemon: no process left in its namespace, nothing new on the host ---------------
out=$(virsh undefine "$DOM" 2>&1)
check_err $? "virsh undefine failed: $out"
pid=$LIBVIRTD_PID
libvirtd_stop
__pid_gone "$pid"
check_err $? "libvirtd $pid still runs"
left=()
for p in /proc/[0-9]*; do
        [[ $(readlink "$p/ns/mnt" 2>/dev/null) == "$mntns" ]] && left+=("${p#/proc/}")
done
[[ ${#left[@]} -eq 0 ]]
check_err $? "processes left in libvirtd's mount namespace: ${left[*]}"
host_after=$(host_state)
[[ $host_after == "$host_before" ]]
check_err $? "host changed: before [$host_before] after [$host_after]"
ls "$VNIC_LIBVIRT_CACHE"/qemu/capabilities/*.xml >/dev/null 2>&1
check_err $? "no capability cache kept in $VNIC_LIBVIRT_CACHE for the next start"
log_test "stop: libvirtd and its namespace gone, host untouched, capability cache kept"

log_info "smoke test took $(($(date +%s%3N) - t0)) ms (libvirtd start $LIBVIRTD_START_MS ms)"
exit "$EXIT_STATUS"
