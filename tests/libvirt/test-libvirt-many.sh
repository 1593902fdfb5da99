#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Many domains at once, and bad ones among them: vnicd keeps serving the rest.
#
#   netns $NS; libvirtd and vnicd in libvirtd's mount namespace
#   +--------------------------------------------------------------------------------------+
#   |  $MANY transient domains many-001.. started at once (paused: QEMU runs, no vCPU does)  |
#   |    odd:  one untrusted direct NIC on 'uplink'         -> macvtapN (vnicd's)            |
#   |    even: one bridge NIC in br0, metadata allowed-vlans -> vnetN   (vnicd's)            |
#   |  bad-range:  metadata allowed-vlans='4095'             -> failed, nothing written      |
#   |  bad-native: metadata native-vlan also allowed tagged  -> failed, nothing written      |
#   |  on-net:     type='network' network 'lan' (br0); 'lan' is then removed -> unmanaged     |
#   |  host-vlans: metadata native-vlan only -> [Manager] AllowedVLANs= fills in the rest       |
#   |  bad-merged: metadata native-vlan inside [Manager] AllowedVLANs= -> failed               |
#   |  host-trusted: trusted direct NIC (libvirt's), <vcpu current='1'>2 -> no monitor command |
#   +--------------------------------------------------------------------------------------+
#
# Steps: every domain started at once while vnicd runs (each NIC configured, each bad one failed
# with its reason); vnicd restarted with all of them running (found again, the same states); the
# network removed under a running domain (its NIC becomes unmanaged with the reason, the others are
# untouched); every domain destroyed at once (all gone from vnicctl, no static FDB entry left).
#
# MANY (default 100) sets the number of good domains. The domains boot nothing: they are started
# paused, so 100 QEMU processes cost memory (about 40 MiB each) but no CPU.

# shellcheck source=../lib/sandbox.sh disable=SC2119
source "$(dirname "$0")/../lib/sandbox.sh"
# shellcheck source=../lib/libvirt.sh
source "$(dirname "$0")/../lib/libvirt.sh"
# shellcheck source=../lib/vnicd.sh
source "$(dirname "$0")/../lib/vnicd.sh"

require_root
require_cmd ip jq qemu-system-x86_64 libvirtd virsh nsenter unshare dbus-daemon xargs busctl

: "${MANY:=100}"
PARALLEL=8

setup_ns NS || exit 1
libvirt_scenario_net || exit 1
__sandbox_dir || exit 1
D=$SANDBOX_DIR/many
mkdir -p "$D" || exit 1
libvirtd_start || exit 1

# One domain's XML: NAME INDEX and the <interface> and <metadata> to put in it.
domain_xml() {
        cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <metadata>$3</metadata>
  <memory unit='MiB'>16</memory>
  ${VCPU_XML:-<vcpu>1</vcpu>}
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <devices>
    <controller type='usb' model='none'/>
$2
    <memballoon model='none'/>
  </devices>
</domain>
XML
}

mac_of() {
        printf '52:54:00:20:%02x:%02x' $(($1 / 256)) $(($1 % 256))
}

iface_xml() { # KIND INDEX
        libvirt_interface_xml "$1" "$(mac_of "$2")"
}

meta_xml() { # INDEX ATTRIBUTES
        printf "<vnicd:nics xmlns:vnicd='https://vnicd.org/xmlns/vnicd/1'><vnicd:nic mac='%s' %s/></vnicd:nics>" \
                "$(mac_of "$1")" "$2"
}

names=()
for ((i = 1; i <= MANY; i++)); do
        name=$(printf 'many-%03d' "$i")
        names+=("$name")
        if ((i % 2)); then
                domain_xml "$name" "$(iface_xml direct:uplink "$i")" "" >"$D/$name.xml"
        else
                domain_xml "$name" "$(iface_xml bridge:br0 "$i")" "$(meta_xml "$i" "allowed-vlans='10,20-30'")" >"$D/$name.xml"
        fi
done
domain_xml bad-range "$(iface_xml bridge:br0 1001)" "$(meta_xml 1001 "allowed-vlans='10,4095'")" >"$D/bad-range.xml"
domain_xml bad-native "$(iface_xml bridge:br0 1002)" "$(meta_xml 1002 "allowed-vlans='10-20' native-vlan='15'")" >"$D/bad-native.xml"
domain_xml on-net "$(iface_xml network:lan 1003)" "" >"$D/on-net.xml"
# Per-setting precedence: metadata with only native-vlan gets the host's AllowedVLANs=; a native
# VLAN that the host's default allows tagged is a contradiction once merged.
domain_xml host-vlans "$(iface_xml bridge:br0 1004)" "$(meta_xml 1004 "native-vlan='5'")" >"$D/host-vlans.xml"
domain_xml bad-merged "$(iface_xml bridge:br0 1005)" "$(meta_xml 1005 "native-vlan='300'")" >"$D/bad-merged.xml"
# A NIC libvirt syncs itself: vnicd sends its domain no monitor command at all.
VCPU_XML="<vcpu current='1'>2</vcpu>" domain_xml host-trusted "$(iface_xml trusted:uplink 1006)" "" >"$D/host-trusted.xml"
names+=(bad-range bad-native on-net host-vlans bad-merged host-trusted)
VNICD_MANAGER_EXTRA='AllowedVLANs=300-310'
EXTRA=6

cat >"$D/lan.xml" <<XML
<network>
  <name>lan</name>
  <forward mode='bridge'/>
  <bridge name='br0'/>
</network>
XML
out=$(virsh net-define "$D/lan.xml" 2>&1 && virsh net-start lan 2>&1)
check_err $? "network lan: $out"

vnicd_libvirt_start "$D" || exit 1

# How many NICs of the test's domains hold JQ (a jq boolean over a NIC object).
count_nics() {
        vnicctl --json | jq "[.guests[] | select(.name | test(\"^(many-|bad-|on-net|host-)\")) | .nics[] | select($1)] | length"
}
# shellcheck disable=SC2317  # called through busywait
nics_hold() { # JQ COUNT
        [[ $(count_nics "$1") -eq $2 ]]
}
good='(.guest | startswith("many-"))'
all_settled() {
        # Every good NIC configured by vnicd with its settings, each bad one failed, on-net vnicd's.
        busywait "$1" nics_hold "$good and .owner == \"vnicd\" and .state == \"configured\" and .queries >= 1" "$MANY" &&
                busywait 10000 nics_hold '(.guest | startswith("bad-")) and .state == "failed" and .config_error != null' 3 &&
                busywait 10000 nics_hold '.guest == "host-vlans" and .state == "configured" and .bridge.vlans.allowed == "300-310" and .bridge.vlans.native == 5' 1 &&
                busywait 10000 nics_hold '.guest == "on-net" and .owner == "vnicd" and .bridge.bridge == "br0"' 1
}
state_summary() {
        vnicctl --json | jq -c '[.guests[] | .nics[] | {g: .guest, s: .state, o: .owner}] | group_by(.s) | map({(.[0].s): length}) | add'
}

# --- every domain started at once --------------------------------------------------------------
t0=$(date +%s%3N)
printf '%s\n' "${names[@]}" | sed "s|.*|$D/&.xml|" |
        libvirt_ns xargs -P "$PARALLEL" -n 1 virsh -q -c "$LIBVIRT_URI" create --paused >"$D/create.log" 2>&1
check_err $? "virsh create: $(grep -i error "$D/create.log" | head -n 3)"
t1=$(date +%s%3N)
running=$(virsh list --name | grep -c -E '^(many-|bad-|on-net|host-)')
[[ $running -eq $((MANY + EXTRA)) ]]
check_err $? "$running of $((MANY + EXTRA)) domains run"
# vnicd answers on its bus while the storm goes on (its calls run on worker threads).
vnicctl list >/dev/null
check_err $? "vnicctl list failed during the start"
all_settled 180000
check_err $? "not every NIC settled: $(state_summary)"
t2=$(date +%s%3N)
log_info "$((MANY + EXTRA)) domains created in $((t1 - t0)) ms (${PARALLEL} at a time); all NICs settled $((t2 - t1)) ms later"
vnicctl --json | jq -e '.guests[] | select(.name == "bad-range") | .nics[0] | .config_error | test("4095")' >/dev/null
check_err $? "bad-range: the refused VLAN is not named: $(vnicctl --json | jq -c '.guests[] | select(.name == "bad-range") | .nics[0].config_error')"
# No monitor command for a domain whose NICs libvirt syncs: its vCPUs online come from the live XML.
trusted() { vnicctl --json | jq -c '.guests[] | select(.name == "host-trusted") | .nics[0] | {owner, queries, q: .queues | {vcpus, vcpus_source}}'; }
busywait 10000 eval 'trusted | jq -e ".owner == \"libvirt\" and .queries == 0 and .q.vcpus == 1 and (.q.vcpus_source | test(\"libvirt: <vcpu>\"))" >/dev/null'
check_err $? "host-trusted: vCPUs not from the domain XML's <vcpu current='1'>2</vcpu>: $(trusted)"
vnicctl --json | jq -e '.guests[] | select(.name == "bad-native") | .nics[0] | .config_error | test("native")' >/dev/null
check_err $? "bad-native: the contradiction is not named: $(vnicctl --json | jq -c '.guests[] | select(.name == "bad-native") | .nics[0].config_error')"
vnicctl --json | jq -e '[.guests[] | select(.name | startswith("bad-")) | .nics[0] | .writes == 0 and (.host_device | length > 0)] | length == 3 and all' >/dev/null
check_err $? "a failed NIC was written to"
vnicctl --json | jq -e '.guests[] | select(.name == "bad-merged") | .nics[0] | .config_error | test("metadata.*\\[Manager\\].*refused together: the native VLAN")' >/dev/null
check_err $? "bad-merged: the merged contradiction is not named: $(vnicctl --json | jq -c '.guests[] | select(.name == "bad-merged") | .nics[0].config_error')"
vnicctl --json | jq -e '.guests[] | select(.name == "host-vlans") | .nics[0].bridge.vlans.settings_origin | test("metadata.*, \\[Manager\\]")' >/dev/null
check_err $? "host-vlans: both origins are not named: $(vnicctl --json | jq -c '.guests[] | select(.name == "host-vlans") | .nics[0].bridge.vlans.settings_origin')"
grep -q -E "bad-range/net0: vnicd metadata \(line [0-9]+\) refused: .*4095" "$VNICD_LOG"
check_err $? "no log line names bad-range's refused metadata"
static_fdb() {
        bridge -n "$NS" -j fdb show br br0 | jq -r '[.[] | select(.state == "static" and (.mac | startswith("52:54:00:20:")))] | length'
}
# One static FDB entry per bridge NIC vnicd configured (the even ones, on-net and host-vlans), none
# of the failed ones.
busywait 10000 eval '[[ $(static_fdb) -eq $((MANY / 2 + 2)) ]]'
check_err $? "br0 has $(static_fdb) static guest FDB entries, not $((MANY / 2 + 2))"
vnicctl --json | jq -e '.daemon.libvirt.state == "connected" and .daemon.libvirt.connects == 1' >/dev/null
check_err $? "the connection did not hold: $(vnicctl --json | jq -c .daemon.libvirt)"
log_test "$((MANY + EXTRA)) domains started at once: $MANY configured, 3 with refused settings failed with the reason, host defaults merged per setting, a libvirt-synced NIC with its vCPUs from the XML"

# --- vnicd restarted with all of them running --------------------------------------------------
vnicd_stop
vnicd_libvirt_start "$D" || exit 1
all_settled 180000
check_err $? "after the restart: $(state_summary)"
log_test "vnicd restarted with $((MANY + EXTRA)) domains running: all found again, the same states"

# --- the network removed under a running domain --------------------------------------------------
out=$(virsh net-destroy lan 2>&1 && virsh net-undefine lan 2>&1)
check_err $? "removing network lan: $out"
busctl --system call org.vnicd1 /org/vnicd1 org.vnicd1.Manager Reconcile >/dev/null
check_err $? "Reconcile"
busywait 30000 nics_hold '.guest == "on-net" and .owner == "unmanaged" and (.owner_reason | test("network .lan. is not known"))' 1
check_err $? "on-net: $(vnicctl --json | jq -c '.guests[] | select(.name == "on-net") | .nics[0] | {owner, owner_reason}')"
nics_hold "$good and .state == \"configured\"" "$MANY"
check_err $? "the other domains changed: $(state_summary)"
log_test "network removed under a running domain: its NIC is unmanaged with the reason, the rest untouched"

# --- every domain destroyed at once ------------------------------------------------------------
printf '%s\n' "${names[@]}" | libvirt_ns xargs -P "$PARALLEL" -n 1 virsh -q -c "$LIBVIRT_URI" destroy >"$D/destroy.log" 2>&1
check_err $? "virsh destroy: $(grep -i error "$D/destroy.log" | head -n 3)"
busywait 60000 eval '[[ $(vnicctl --json | jq "[.guests[] | select(.name | test(\"^(many-|bad-|on-net|host-)\"))] | length") -eq 0 ]]'
check_err $? "domains still listed after destroy: $(vnicctl --json | jq -c '[.guests[].name]')"
static=$(static_fdb)
[[ $static == 0 ]]
check_err $? "br0 keeps $static static FDB entries of destroyed domains"
[[ $(ip -n "$NS" -o link show type macvtap | wc -l) -eq 0 ]]
check_err $? "macvtaps left: $(ip -n "$NS" -o link show type macvtap | cut -d: -f2 | head -n 5)"
log_test "every domain destroyed at once: none listed, no static FDB entry or macvtap left"

exit "$EXIT_STATUS"
