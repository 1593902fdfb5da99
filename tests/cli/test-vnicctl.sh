#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the built vnicctl as a user would.
#
#   usage  exit codes and one-line messages: no bus at all (exit 1), bad usage (exit 2), --help
#   bus    a private dbus-daemon; first with nothing on it (vnicd not running, exit 1), then with
#          vnicd-describe-stub owning org.vnicd1 and serving a document from data/: the output
#          must match the golden files the renderer tests use.
#
#   test-vnicctl.sh usage|bus VNICCTL STUB DATA-DIR
#
# Exit 0 pass, 1 fail, 77 skip (with the reason).

set -u

mode=$1 vnicctl=$2 stub=$3 data=$4
failed=0
tmp=$(mktemp -d)
bus_pid=
stub_pid=

cleanup() {
        # Only the processes this script started, by PID.
        [ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null && wait "$stub_pid" 2>/dev/null
        [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null && wait "$bus_pid" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

log_test() {
        local rc=$1 msg=$2

        if [ "$rc" -eq 0 ]; then
                echo "PASS: $msg"
        else
                echo "FAIL: $msg"
                failed=1
        fi
}

# expect CODE STDERR-LINE ARGS...: runs vnicctl ARGS, checks the exit code and that stderr is
# exactly STDERR-LINE ("" for nothing).
expect() {
        local code=$1 want=$2 got rc
        shift 2

        "$vnicctl" "$@" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        got=$(cat "$tmp/err")
        if [ "$rc" -ne "$code" ] || [ "$got" != "$want" ]; then
                echo "  vnicctl $*: exit $rc (want $code)"
                echo "  stderr: '$got'"
                echo "  want:   '$want'"
                log_test 1 "vnicctl ${*:-(no arguments)}"
                return 1
        fi
        log_test 0 "vnicctl ${*:-(no arguments)} → $code"
}

# same GOLDEN ARGS...: vnicctl ARGS must exit 0 and print exactly the file GOLDEN.
same() {
        local golden=$1
        shift

        if ! "$vnicctl" "$@" >"$tmp/out" 2>"$tmp/err"; then
                echo "  stderr: $(cat "$tmp/err")"
                log_test 1 "vnicctl $* exits 0"
                return 1
        fi
        diff -u "$golden" "$tmp/out"
        log_test $? "vnicctl ${*:-(no arguments)} matches $(basename "$golden")"
}

test_usage() {
        export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent

        expect 1 "vnicctl: cannot connect to the system bus at unix:path=/nonexistent: No such file or directory"
        expect 1 "vnicctl: cannot connect to the system bus at unix:path=/nonexistent: No such file or directory" list
        expect 1 "vnicctl: cannot connect to the system bus at unix:path=/nonexistent: No such file or directory" \
                --json=pretty show demo/net0

        expect 2 "vnicctl: unknown command 'frobnicate' (known: list, show, explain, help)" frobnicate
        expect 2 "vnicctl: unknown option '--frobnicate'" --frobnicate
        expect 2 "vnicctl: unknown option -x" -x list
        expect 2 "vnicctl: unknown --json format 'xml' (expected short, pretty or off)" --json=xml
        expect 2 "vnicctl: option '--no-legend' takes no value" --no-legend=yes
        expect 2 "vnicctl: 'list' takes no arguments (got 'demo')" list demo
        expect 2 "vnicctl: too many arguments for 'show' (usage: vnicctl show [GUEST[/NIC]])" show demo net0
        # A malformed selector is a usage error even though the bus is missing too.
        expect 2 "vnicctl: invalid selector 'demo/net0/x': expected GUEST or GUEST/NIC" show demo/net0/x
        expect 2 "vnicctl: invalid selector 'demo/': expected GUEST or GUEST/NIC" show demo/
        expect 2 "vnicctl: invalid selector 'demo': expected GUEST/NIC" explain demo
        expect 2 "vnicctl: missing argument for 'explain' (usage: vnicctl explain GUEST/NIC)" explain

        expect 0 "" --help
        grep -q '^  show \[GUEST\[/NIC\]\] ' "$tmp/out"
        log_test $? "--help lists show"
        expect 0 "" help
        expect 0 "" --version
        grep -qx 'vnicctl [0-9][0-9.]*' "$tmp/out"
        log_test $? "--version prints 'vnicctl VERSION'"
}

start_bus() {
        command -v dbus-daemon >/dev/null || { echo "SKIP: dbus-daemon not installed"; exit 77; }

        cat >"$tmp/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>vnicctl-test</type>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
CONF
        # Its complaints (it cannot raise the fd limit unprivileged, ...) go to a log shown on failure.
        dbus-daemon --config-file="$tmp/bus.conf" --nofork --nopidfile --print-address=3 \
                3>"$tmp/address" 2>"$tmp/bus.log" &
        bus_pid=$!
        for _ in $(seq 50); do
                [ -s "$tmp/address" ] && break
                sleep 0.1
        done
        if ! [ -s "$tmp/address" ]; then
                echo "FAIL: private dbus-daemon did not start"
                cat "$tmp/bus.log"
                exit 1
        fi
        DBUS_SYSTEM_BUS_ADDRESS=$(head -n1 "$tmp/address")
        export DBUS_SYSTEM_BUS_ADDRESS
}

start_stub() {
        mkfifo "$tmp/stub.out"
        "$stub" "$tmp/doc.json" >"$tmp/stub.out" &
        stub_pid=$!
        # The stub says READY once it owns the name; a timeout keeps a broken stub from hanging us.
        if ! timeout 10 head -n1 "$tmp/stub.out" | grep -qx READY; then
                echo "FAIL: vnicd-describe-stub did not come up"
                exit 1
        fi
}

test_bus() {
        start_bus

        expect 1 "vnicctl: vnicd is not running (org.vnicd1 is not on the system bus)"
        expect 1 "vnicctl: vnicd is not running (org.vnicd1 is not on the system bus)" show demo

        cp "$data/untrusted-refusals.json" "$tmp/doc.json"
        start_stub

        same "$data/untrusted-refusals.list.txt" list
        same "$data/untrusted-refusals.list.txt"
        same "$data/untrusted-refusals.show.txt" show
        same "$data/untrusted-refusals.show.txt" show web
        same "$data/untrusted-refusals.show.txt" show web/net0
        expect 1 "vnicctl: no NIC web/net9 (known: web/net0)" show web/net9
        expect 1 "vnicctl: no guest demo (known: web/net0)" show demo

        # --json: the document as vnicd sent it (this one is compact already), or the selected
        # object unchanged.
        same "$data/untrusted-refusals.json" --json
        same "$data/untrusted-refusals.json" list --json=short
        if command -v jq >/dev/null; then
                "$vnicctl" --json=pretty show web/net0 >"$tmp/out"
                jq -e --slurpfile doc "$data/untrusted-refusals.json" '. == $doc[0].guests[0].nics[0]' \
                        "$tmp/out" >/dev/null
                log_test $? "show --json=pretty web/net0 is the daemon's NIC object"
                "$vnicctl" show --json web >"$tmp/out"
                jq -e --slurpfile doc "$data/untrusted-refusals.json" '. == $doc[0].guests[0]' "$tmp/out" >/dev/null
                log_test $? "show --json web is the daemon's guest object"
        else
                echo "SKIP: jq not installed; --json selections not compared"
        fi

        cp "$data/trusted-in-sync.json" "$tmp/doc.json"
        same "$data/trusted-in-sync.list.txt"
        same "$data/trusted-in-sync.show-demo-net1.txt" show demo/net1

        cp "$data/no-guests.json" "$tmp/doc.json"
        same "$data/no-guests.list.txt" list
        expect 1 "vnicctl: no NIC demo/net0 (known: none)" show demo/net0

        printf '{"version": 1, "guests": [' >"$tmp/doc.json"
        expect 1 "vnicctl: vnicd's Describe() answered with a malformed document: unexpected end of input" list
        printf '{"version": 2, "guests": []}\n' >"$tmp/doc.json"
        expect 0 "vnicctl: vnicd speaks Describe() version 2, this vnicctl knows version 1; the output may be incomplete" \
                --no-legend
}

case $mode in
usage) test_usage ;;
bus) test_bus ;;
*)
        echo "unknown mode $mode" >&2
        exit 1
        ;;
esac

exit $failed
