#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by tests and the demo: a private dbus-daemon with the project's bus policy.
#   bus_start DIR     starts it with its socket in DIR, exports DBUS_SYSTEM_BUS_ADDRESS, sets BUS_PID
#   bus_stop          stops it (by PID)
# The caller's 'defer' (tests/lib/sandbox.sh) should call bus_stop.

BUS_PID=

bus_start() {
        local dir=$1 src
        src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
        mkdir -p "$dir"
        sed -e "s|@SOCKET@|$dir/bus.sock|" -e "s|@POLICY@|$src/daemon/org.vnicd1.conf|" \
                "$src/tests/lib/bus.conf.in" > "$dir/bus.conf"
        dbus-daemon --config-file="$dir/bus.conf" --fork --print-pid=3 --nopidfile --nosyslog 3> "$dir/bus.pid" ||
                return 1
        BUS_PID=$(cat "$dir/bus.pid")
        export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus.sock"
        local i
        for i in $(seq 1 100); do
                [ -S "$dir/bus.sock" ] && return 0
                sleep 0.05
        done
        echo "bus_start: dbus-daemon did not create its socket" >&2
        return 1
}

bus_stop() {
        if [ -n "${BUS_PID:-}" ] && kill -0 "$BUS_PID" 2>/dev/null; then
                kill "$BUS_PID" 2>/dev/null
                local i
                for i in $(seq 1 50); do kill -0 "$BUS_PID" 2>/dev/null || break; sleep 0.05; done
        fi
        BUS_PID=
}

# Waits until org.vnicd1 is on the bus (vnicd started and ready), at most $1 seconds.
bus_wait_vnicd() {
        local timeout=${1:-10} i
        for i in $(seq 1 $((timeout * 20))); do
                [[ $(busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                        NameHasOwner s org.vnicd1 2>/dev/null) == "b true" ]] && return 0
                sleep 0.05
        done
        echo "bus_wait_vnicd: org.vnicd1 did not appear within ${timeout}s" >&2
        return 1
}
