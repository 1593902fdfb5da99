#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The libvirt hook (libvirt-hooks/qemu, installed as <sysconfdir>/libvirt/hooks/qemu.d/vnicd),
# run as libvirt runs it (DOMAIN OPERATION SUB-OPERATION EXTRA, the domain XML on stdin) against
# the real vnicd on a private bus: it exits 0, prints nothing, reads all of stdin, tells vnicd
# (NotifyDomain) only about the operations vnicd cares about, and returns within a bound when
# vnicd is down, the bus is hung (SIGSTOP) or the bus is gone. What goes over the bus is read
# with a bus monitor, so the call is checked on the wire as well as in vnicd's log.

source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/vnicd.sh"
require_root
require_cmd dbus-daemon busctl jq timeout
HOOK=$SANDBOX_SRC_ROOT/libvirt-hooks/qemu
[[ -x $HOOK ]] || { echo "FAIL: $HOOK missing or not executable"; exit 1; }
BOUND_MS=10000 # liveness, not speed: the hook itself gives up after ~5 s
__sandbox_dir || exit 1
D=$SANDBOX_DIR
setup_ns NS || exit 1

cat >"$D/web1.xml" <<'XML'
<domain type='qemu' id='1'>
  <name>web1</name>
  <uuid>6c3c4f6e-4b8e-4c43-9d6e-1f2a3b4c5d6e</uuid>
  <memory unit='KiB'>262144</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <interface type='direct'>
      <mac address='52:54:00:12:34:56'/>
      <source dev='uplink' mode='bridge'/>
      <target dev='macvtap0'/>
      <model type='virtio'/>
      <alias name='net0'/>
    </interface>
  </devices>
</domain>
XML

# run_hook [--xml FILE] [--path PATH] ARGS...: runs the hook as libvirt does (with PATH as its
# PATH if given), with a test-side guard of 30 s.
# Sets HOOK_RC, HOOK_MS, HOOK_OUT (stdout), HOOK_ERR (stderr), FEED_RC (the stdin writer's
# status: not 0 when the hook left stdin unread and the writer got EPIPE).
run_hook() {
        local xml=$D/web1.xml start end
        local -a envs=()
        while [[ $1 == --* ]]; do
                case $1 in
                --xml) xml=$2 ;;
                --path) envs+=("PATH=$2") ;;
                esac
                shift 2
        done
        start=$(date +%s%3N)
        # A writer process, not a redirection: it fails with EPIPE if stdin is left unread.
        # shellcheck disable=SC2002
        cat "$xml" | timeout -k 1 30 env "${envs[@]}" "$HOOK" "$@" >"$D/hook.out" 2>"$D/hook.err"
        local st=("${PIPESTATUS[@]}")
        end=$(date +%s%3N)
        FEED_RC=${st[0]} HOOK_RC=${st[1]} HOOK_MS=$((end - start))
        HOOK_OUT=$(cat "$D/hook.out") HOOK_ERR=$(cat "$D/hook.err")
}

# The checks every run must pass: exit 0, silent on stdout, stdin read, within the bound.
check_run() {
        local what=$1
        [[ $HOOK_RC -eq 0 ]]
        check_err $? "$what: exit status $HOOK_RC (stderr: $HOOK_ERR)"
        [[ -z $HOOK_OUT && ! -s $D/hook.out ]]
        check_err $? "$what: printed on stdout (libvirt would take it as XML): $HOOK_OUT"
        [[ $FEED_RC -eq 0 ]]
        check_err $? "$what: stdin not drained (writer exit $FEED_RC)"
        ((HOOK_MS < BOUND_MS))
        check_err $? "$what: took ${HOOK_MS} ms (bound ${BOUND_MS} ms)"
}

# The stderr of a failed notification: exactly one line, naming the domain and saying why.
check_one_line() {
        local what=$1 want=$2
        [[ $(wc -l <"$D/hook.err") -eq 1 && $HOOK_ERR == *"vnicd hook: web1 "*"$want"* ]]
        check_err $? "$what: stderr is not one line with '$want': '$HOOK_ERR'"
}

# --- install: <sysconfdir>/libvirt/hooks/qemu.d/vnicd, executable --------------------------------
if command -v meson >/dev/null; then
        opts=$(meson introspect --buildoptions "$VNIC_BUILD_DIR")
        prefix=$(jq -r '.[] | select(.name == "prefix") | .value' <<<"$opts")
        sysconfdir=$(jq -r '.[] | select(.name == "sysconfdir") | .value' <<<"$opts")
        [[ $sysconfdir == /* ]] || sysconfdir=$prefix/$sysconfdir
        meson install -C "$VNIC_BUILD_DIR" --no-rebuild --quiet --tags libvirt-hook \
                --destdir "$D/dest" >"$D/install.log" 2>&1
        check_err $? "meson install --tags libvirt-hook failed: $(tail -n 3 "$D/install.log")"
        installed=$D/dest$sysconfdir/libvirt/hooks/qemu.d/vnicd
        [[ -f $installed && -x $installed ]] && cmp -s "$installed" "$HOOK"
        check_err $? "not installed as an executable $sysconfdir/libvirt/hooks/qemu.d/vnicd: $(find "$D/dest" -type f 2>/dev/null)"
        log_test "installed as $sysconfdir/libvirt/hooks/qemu.d/vnicd (executable)"
else
        log_info "SKIP part: meson not in PATH, installation not checked"
fi

# --- vnicd running ------------------------------------------------------------------------------
printf '[Manager]\nDebounceSec=0.1\n' >"$D/vnicd.conf"
vnicd_args=()
if "$VNICD_BIN" --help 2>&1 | grep -q -e '--no-libvirt'; then
        vnicd_args+=(--no-libvirt)
else
        log_info "vnicd has no --no-libvirt option yet; started without it"
fi
vnicd_start "$D/vnicd.conf" "${vnicd_args[@]}" || exit 1

# A bus monitor on org.vnicd1.Manager, ready once it has seen a probe call (Describe).
busctl --system monitor --json=short --match "interface='org.vnicd1.Manager'" \
        >"$D/monitor.json" 2>"$D/monitor.err" &
MON_PID=$!
__mon_stop() {
        [[ -n $MON_PID ]] || return 0
        kill "$MON_PID" 2>/dev/null
        wait "$MON_PID" 2>/dev/null
        MON_PID=
}
defer __mon_stop
# shellcheck disable=SC2317  # called through busywait
__probe_seen() {
        busctl --system call org.vnicd1 /org/vnicd1 org.vnicd1.Manager Describe >/dev/null 2>&1
        grep -q '"member":"Describe"' "$D/monitor.json"
}
busywait 10000 __probe_seen || { echo "FAIL: the bus monitor does not start: $(cat "$D/monitor.err")"; exit 1; }

# NotifyDomain calls seen on the bus, as "DOMAIN|OPERATION|SUB" lines.
notified() {
        jq -r 'select(.type == "method_call" and .member == "NotifyDomain")
                | .payload.data | join("|")' "$D/monitor.json" 2>/dev/null
}
# shellcheck disable=SC2317  # called through busywait
__notified_has() { notified | grep -qxF -e "$1"; }

for step in "started begin" "stopped end" "release end"; do
        read -r op sub <<<"$step"
        run_hook web1 "$op" "$sub" -
        check_run "web1 $op $sub"
        busywait 5000 __notified_has "web1|$op|$sub"
        check_err $? "web1 $op $sub: no NotifyDomain(web1, $op, $sub) on the bus; seen: $(notified | paste -sd ' ')"
done
log_test "started/stopped/release: exit 0, silent, stdin read, NotifyDomain sent"

for step in "started begin" "stopped end" "release end"; do
        read -r op sub <<<"$step"
        busywait 5000 grep -qF "libvirt hook: web1 $op $sub" "$VNICD_LOG"
        check_err $? "vnicd did not log 'libvirt hook: web1 $op $sub'; hook stderr: ${HOOK_ERR:-none}; vnicd log: $(tail -n 3 "$VNICD_LOG" | paste -sd ' ')"
done
[[ -z $HOOK_ERR ]]
check_err $? "vnicd running, yet the hook complains: $HOOK_ERR"
log_test "vnicd logs 'libvirt hook: web1 started begin' (and stopped, release)"

# Operations vnicd does not care about: nothing on the bus. A started call afterwards is the
# marker that everything sent before it has reached the monitor.
before=$(notified | wc -l)
for step in "start begin" "attach begin" "no-such-operation begin"; do
        read -r op sub <<<"$step"
        run_hook web1 "$op" "$sub" -
        check_run "web1 $op $sub"
        [[ -z $HOOK_ERR ]]
        check_err $? "web1 $op $sub: stderr: $HOOK_ERR"
done
run_hook web2 started begin -
busywait 5000 __notified_has "web2|started|begin"
check_err $? "the marker call (web2 started) is not seen on the bus"
[[ $(notified | tail -n +$((before + 1))) == "web2|started|begin" ]]
check_err $? "operations vnicd does not follow were sent: $(notified | tail -n +$((before + 1)) | paste -sd ' ')"
log_test "start, attach, unknown operations: exit 0, nothing sent"

# A large XML (more than a pipe holds) is read to the end, on an operation that is sent and on
# one that is not.
{
        sed '/<\/domain>/d' "$D/web1.xml"
        printf '  <description>'
        head -c 300000 /dev/zero | tr '\0' x
        printf '</description>\n</domain>\n'
} >"$D/big.xml"
run_hook --xml "$D/big.xml" web1 started begin -
check_run "300 kB XML, started"
run_hook --xml "$D/big.xml" web1 start begin -
check_run "300 kB XML, start"
log_test "stdin is read to the end (300 kB XML)"

# Names are passed as they are, through either client: busctl when dbus-send is missing.
odd='-web 1:x,y'
run_hook "$odd" migrate begin -
check_run "'$odd' migrate"
busywait 5000 __notified_has "$odd|migrate|begin"
check_err $? "dbus-send: NotifyDomain($odd, migrate, begin) not seen: $(notified | tail -n 3 | paste -sd ' ')"
mkdir -p "$D/bin-busctl" "$D/bin-none"
for c in timeout cat busctl; do
        ln -sf "$(command -v "$c")" "$D/bin-busctl/$c"
done
for c in timeout cat; do
        ln -sf "$(command -v "$c")" "$D/bin-none/$c"
done
run_hook --path "$D/bin-busctl" "$odd" reconnect begin -
check_run "'$odd' reconnect, busctl only"
busywait 5000 __notified_has "$odd|reconnect|begin"
check_err $? "busctl: NotifyDomain($odd, reconnect, begin) not seen: $(notified | tail -n 3 | paste -sd ' ')"
run_hook --path "$D/bin-none" web1 restore begin -
check_run "restore, no client"
check_one_line "restore, no client" "neither dbus-send"
log_test "names verbatim via dbus-send and busctl; no client: exit 0, one line"
__mon_stop

# --- vnicd hung (SIGSTOP), then stopped ---------------------------------------------------------
# shellcheck disable=SC2317  # run by defer
__vnicd_cont() { [[ -z ${VNICD_PID:-} ]] || kill -CONT "$VNICD_PID" 2>/dev/null; }
defer __vnicd_cont # should the test end while vnicd is stopped
kill -STOP "$VNICD_PID"
run_hook web1 started begin -
kill -CONT "$VNICD_PID"
check_run "vnicd stopped with SIGSTOP"
check_one_line "vnicd stopped with SIGSTOP" "vnicd not notified"
log_test "vnicd hung (SIGSTOP): exit 0 in ${HOOK_MS} ms, says why on stderr"

vnicd_stop TERM
run_hook web1 started begin -
check_run "vnicd stopped"
check_one_line "vnicd stopped" "vnicd is not running"
log_test "vnicd stopped: exit 0 in ${HOOK_MS} ms, says why on stderr"

# --- the bus hung (SIGSTOP), then gone -----------------------------------------------------------
# shellcheck disable=SC2317  # run by defer
__bus_cont() { [[ -z ${BUS_PID:-} ]] || kill -CONT "$BUS_PID" 2>/dev/null; }
defer __bus_cont # should the test end while the bus is stopped
kill -STOP "$BUS_PID"
run_hook web1 stopped end -
kill -CONT "$BUS_PID"
check_run "bus stopped with SIGSTOP"
check_one_line "bus stopped with SIGSTOP" "no answer"
log_test "bus hung (SIGSTOP): exit 0 in ${HOOK_MS} ms, says why on stderr"

bus_stop
run_hook web1 prepare begin -
check_run "bus gone"
check_one_line "bus gone" "vnicd not notified"
log_test "bus gone: exit 0 in ${HOOK_MS} ms, says why on stderr"

exit "$EXIT_STATUS"
