#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vnicd's command line and configuration errors, as an operator meets them: exact messages with
# file and line, exit codes (0 ok, 1 error, 2 usage), and a second vnicd refused while the first
# keeps running. Runs the real vnicd on a private bus; no network namespace is needed.

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"
require_cmd dbus-daemon busctl
__sandbox_dir || exit 1
D=$SANDBOX_DIR

__vnicd_has_guests() { [[ $(guests) == "$1" ]]; }

run() { # EXPECTED-RC EXPECTED-STDERR-SUBSTRING ARGS...
        local rc=$1 want=$2 out got
        shift 2
        out=$("$VNICD_BIN" "$@" 2>&1)
        got=$?
        [[ $got -eq $rc ]] || { echo "vnicd $*: exit $got, expected $rc; output: $out"; return 1; }
        [[ -z $want || $out == *"$want"* ]] || { echo "vnicd $*: output '$out' lacks '$want'"; return 1; }
}

cat >"$D/good.conf" <<'CONF'
[Manager]
DebounceSec=0.1
[Guest]
Name=web1
QMPSocket=/run/qemu/web1.qmp
[Interface]
Guest=web1
Name=net0
HostDevice=macvtap0
Trust=yes
AllowedVLANs=10,20
MulticastGroups=8
CONF
run 0 "1 guest(s), 1 interface(s): OK" -c "$D/good.conf" --check-config
check_err $? "a valid file is not accepted"
log_test "check-config: valid file"

printf '[Manager]\nDebounceSec=0.1\nTrust=maybe\n' >"$D/bad-bool.conf"
run 1 "bad-bool.conf:3:" -c "$D/bad-bool.conf" --check-config
check_err $? "a bad boolean is not reported with file:line"
printf '[Guest]\nName=a\nQMPSocket=/x\n[Interface]\nGuest=nosuch\nName=net0\n' >"$D/bad-guest.conf"
run 1 "bad-guest.conf:4: [Interface] net0 names unknown guest nosuch" -c "$D/bad-guest.conf" --check-config
check_err $? "an interface naming an unknown guest is not reported with its line"
printf '[Manager]\nNoSuchKey=1\n' >"$D/bad-key.conf"
run 1 "bad-key.conf:2:" -c "$D/bad-key.conf" --check-config
check_err $? "an unknown key is not reported with its line"
run 1 "nonexistent.conf" -c "$D/nonexistent.conf" --check-config
check_err $? "a missing file named with -c is not an error"
log_test "check-config: errors name file and line, exit 1"

# Drop-ins: FILE.d/*.conf after FILE, by name; [Manager] keys override, sections add.
mkdir -p "$D/drop.conf.d/ignored.conf.d"
cp "$D/good.conf" "$D/drop.conf"
printf '[Manager]\nDebounceSec=0.2\n[Guest]\nName=web3\nQMPSocket=/run/qemu/web3.qmp\n' >"$D/drop.conf.d/20-web3.conf"
printf '[Interface]\nGuest=web3\nName=net0\nAllowedVLANs=10\n' >"$D/drop.conf.d/30-web3-net0.conf"
printf 'not a config file\n' >"$D/drop.conf.d/README"
run 0 "2 guest(s), 2 interface(s): OK" -c "$D/drop.conf" --check-config
check_err $? "drop-ins are not read"
printf '[Interface]\nGuest=web3\nName=net1\nNativeVLAN=5000\n' >"$D/drop.conf.d/10-bad.conf"
run 1 "drop.conf.d/10-bad.conf:4: NativeVLAN=5000: not a VLAN id 1-4094" -c "$D/drop.conf" --check-config
check_err $? "an error in a drop-in is not reported with its file and line"
rm "$D/drop.conf.d/10-bad.conf"
printf '[Guest]\nName=web1\nQMPSocket=/run/qemu/other.qmp\n' >"$D/drop.conf.d/40-dup.conf"
run 1 "drop.conf.d/40-dup.conf:1: duplicate guest web1, already configured" -c "$D/drop.conf" --check-config
check_err $? "a drop-in repeating a guest is not refused"
rm "$D/drop.conf.d/40-dup.conf"
log_test "check-config: drop-ins in FILE.d/ read in name order, errors name the drop-in and line"

# The multiqueue thresholds: bounds per key, the rules between keys once each file is read.
mkdir -p "$D/mq.conf.d"
printf '[Manager]\nMultiqueueWorkerBusyHighPercent=40\nMultiqueueHoldDownSec=90.5\n[Manager]\nMultiqueueWorkerBusyLowPercent=20\n' >"$D/mq.conf"
run 0 "0 guest(s), 0 interface(s): OK" -c "$D/mq.conf" --check-config
check_err $? "thresholds that go together are refused"
printf '[Manager]\nMultiqueueLargeFrameBytes=70000\n' >"$D/mq.conf.d/10-frames.conf"
run 1 "mq.conf.d/10-frames.conf:2: MultiqueueLargeFrameBytes=70000: out of range (0-65536)" -c "$D/mq.conf" --check-config
check_err $? "a threshold out of range is not reported with its file and line"
printf '[Manager]\nMultiqueueWorkerBusyLowPercent=30\n' >"$D/mq.conf.d/10-frames.conf"
run 1 "mq.conf.d/10-frames.conf:2: MultiqueueWorkerBusyLowPercent=30 is more than half of MultiqueueWorkerBusyHighPercent=40" \
        -c "$D/mq.conf" --check-config
check_err $? "a drop-in's low mark above half the main file's high mark is not refused"
log_test "check-config: multiqueue thresholds, their bounds and the rules between them"

run 2 "" --no-such-option
check_err $? "an unknown option does not exit 2"
run 2 "--qmp=bad" --qmp=bad
check_err $? "a malformed --qmp does not exit 2 with its value"
run 2 "Unknown log level" --log-level=loud
check_err $? "a bad log level does not exit 2"
run 0 "vnicd " --version
check_err $? "--version"
log_test "usage errors exit 2 with the offending value"

__vnicd_bus || exit 1
"$VNICD_BIN" -c "$D/good.conf" >"$D/first.log" 2>&1 &
first=$!
defer kill "$first"
bus_wait_vnicd 10
check_err $? "the first vnicd did not come up"
run 1 "Failed to acquire bus name org.vnicd1" -c "$D/good.conf"
check_err $? "a second vnicd is not refused clearly"
kill -0 "$first"
check_err $? "the first vnicd died"
"$VNICCTL_BIN" list | grep -q "web1"
check_err $? "vnicctl does not show the first vnicd's guest"
log_test "a second vnicd is refused; the first keeps running"

# --- vnicctl explain: every setting with its origin, the NIC's inputs ------------------------------
out=$("$VNICCTL_BIN" explain web1/net0 2>&1)
check_err $? "vnicctl explain web1/net0 failed: $out"
echo "$out" >"$D/explain.txt"
grep -qE "^  AllowedVLANs +10,20  \(\[Interface\] web1/net0 \(line 6\)\)" "$D/explain.txt" &&
        grep -qE "^  MulticastGroups +8  \(" "$D/explain.txt" &&
        grep -qE "^  Trust +yes  \(Trust=yes in \[Interface\] web1/net0\)" "$D/explain.txt" &&
        grep -qE "^  MACChange +-  \(unset: Trust= decides\)" "$D/explain.txt" &&
        grep -qE "^  MACChangeHoldSec +-  \(default: 60\)" "$D/explain.txt" &&
        grep -qE "^  host device +macvtap0  \(HostDevice= in \[Interface\]" "$D/explain.txt"
check_err $? "vnicctl explain does not show the settings and their origins: $out"
"$VNICCTL_BIN" --json explain web1/net0 | jq -e '.settings | map(select(.key == "AllowedVLANs"))[0].value == "10,20"' >/dev/null
check_err $? "vnicctl --json explain: no AllowedVLANs in .settings"
"$VNICCTL_BIN" explain web1 >/dev/null 2>&1
[[ $? == 2 ]]
check_err $? "vnicctl explain GUEST (no NIC) is not a usage error"
out=$("$VNICCTL_BIN" explain web1/net9 2>&1)
[[ $? == 1 && $out == *"no NIC web1/net9 (known: web1/net0)"* ]]
check_err $? "vnicctl explain of an unknown NIC: $out"
log_test "vnicctl explain: settings with their origins, inputs; GUEST alone is a usage error, an unknown NIC named"

# --- the bus API: introspectable; reads for everyone, changes for root only ---------------------
busctl --system introspect org.vnicd1 /org/vnicd1 org.vnicd1.Manager | grep -q '^.Describe *method'
check_err $? "busctl introspect does not show org.vnicd1.Manager.Describe"
busctl --system get-property org.vnicd1 /org/vnicd1 org.vnicd1.Manager Version | grep -q '^s "'
check_err $? "the Version property cannot be read"
busctl --system call org.vnicd1 /org/vnicd1 org.vnicd1.Manager Reconcile >/dev/null
check_err $? "root cannot call Reconcile"
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
        chmod 755 "$SANDBOX_DIR" "$SANDBOX_DIR/bus"
        as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
        as_nobody "$VNICCTL_BIN" list | grep -q web1
        check_err $? "an unprivileged user cannot read the state with vnicctl"
        out=$(as_nobody busctl --system call org.vnicd1 /org/vnicd1 org.vnicd1.Manager Reconcile 2>&1)
        [[ $? -ne 0 && $out == *"ccess denied"* ]]
        check_err $? "an unprivileged user could call Reconcile: $out"
        out=$(as_nobody busctl --system call org.vnicd1 /org/vnicd1 org.vnicd1.Manager NotifyDomain sss web1 release end 2>&1)
        [[ $? -ne 0 && $out == *"ccess denied"* ]]
        check_err $? "an unprivileged user could call NotifyDomain: $out"
        out=$(as_nobody busctl --system set-property org.vnicd1 /org/vnicd1 org.vnicd1.Manager Version s x 2>&1)
        [[ $? -ne 0 ]]
        check_err $? "an unprivileged user could set a property: $out"
        log_test "bus: introspectable, reads for everyone, Reconcile, NotifyDomain and property writes for root only"
else
        log_info "SKIP part: setpriv or user nobody missing; unprivileged access not checked"
        log_test "bus: introspectable, Reconcile for root"
fi

# --- reload (SIGHUP, systemctl reload) -----------------------------------------------------------
guests() { "$VNICCTL_BIN" --json | jq -r '[.guests[].name] | join(",")'; }
cp "$D/good.conf" "$D/running.conf"
printf '[Guest]\nName=web1\nQMPSocket=relative/path\n' >"$D/good.conf"
kill -HUP "$first"
busywait 5000 grep -q "Reloading failed, keeping the running configuration: .*good.conf:3:" "$D/first.log"
check_err $? "a broken file on reload is not reported with file:line: $(tail -n 2 "$D/first.log")"
kill -0 "$first" && [[ $(guests) == web1 ]] && "$VNICCTL_BIN" --json | jq -e '.guests[0].nics | map(.name) == ["net0"] and .[0].state == "gone"' >/dev/null
check_err $? "a broken file on reload changed the running state: $(guests)"
log_test "reload with an error: logged with file:line, nothing changed"

printf '[Guest]\nName=web2\nQMPSocket=/run/qemu/web2.qmp\n' >"$D/good.conf"
kill -HUP "$first"
busywait 5000 __vnicd_has_guests web2
check_err $? "reload did not replace web1 by web2: $(guests)"
log_test "reload: guests added and removed"

mkdir -p "$D/good.conf.d"
printf '[Guest]\nName=web4\nQMPSocket=/run/qemu/web4.qmp\n' >"$D/good.conf.d/50-web4.conf"
kill -HUP "$first"
busywait 5000 __vnicd_has_guests web2,web4
check_err $? "reload did not read the new drop-in: $(guests)"
printf '[Guest]\nName=web5\n' >"$D/good.conf.d/60-broken.conf"
kill -HUP "$first"
busywait 5000 grep -q "Reloading failed, keeping the running configuration: .*good.conf.d/60-broken.conf:1: \[Guest\] web5 needs QMPSocket=" "$D/first.log"
check_err $? "a broken drop-in on reload is not reported with file:line: $(tail -n 1 "$D/first.log")"
[[ $(guests) == web2,web4 ]]
check_err $? "a broken drop-in on reload changed the running state: $(guests)"
log_test "reload: a new drop-in is read; a broken one is named and changes nothing"

exit $EXIT_STATUS
