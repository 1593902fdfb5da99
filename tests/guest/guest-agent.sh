#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# vnic-agent: the sandbox guest's command agent (/sbin/vnic-agent, respawned by
# busybox init).  It serves the virtio-serial port named org.vnicd.test.0; the
# host side is tests/tools/guest-exec.
#
# Protocol, one request at a time, line based:
#   host  -> guest  "<id> <base64 of the command text>\n"
#                   id: 1-64 characters of [A-Za-z0-9_-], chosen fresh by the host
#   guest -> host   "VNIC-BEGIN <id>\n"
#                   <everything the command wrote to stdout and stderr>
#                   "\nVNIC-END <id> <exit status>\n"
# The command text runs with sh (busybox ash), stdin /dev/null, cwd /.
# The newline before VNIC-END is always added, so the host strips exactly one
# newline and gets the output byte for byte.  BEGIN lets a host that connects
# while a previous client's command is still running skip that output.
#
# While no host is connected, read() on the port returns 0 at once (and poll()
# reports POLLHUP), so the loop waits in small sleeps until a host appears; the
# agent survives any number of disconnects and reconnects.

NAME=org.vnicd.test.0

find_port() {
        for f in /sys/class/virtio-ports/*/name; do
                [ -r "$f" ] || continue
                [ "$(cat "$f")" = "$NAME" ] || continue
                d=${f%/name}
                echo "/dev/${d##*/}"
                return 0
        done
        return 1
}

# The port name arrives over the virtio-serial control queue after the driver
# probed: wait for it, bounded (30 s).
i=0
until port=$(find_port) && [ -c "$port" ]; do
        i=$((i + 1))
        if [ $i -gt 300 ]; then
                echo "VNIC-GUEST-FAILED: no virtio-serial port named $NAME" >/dev/console
                exec sleep 2147483647
        fi
        sleep 0.1
done

# Let the NICs settle before saying ready, so tests start from a stable rx
# filter: operstate follows carrier only after linkwatch (~0.5 s under TCG),
# and IPv6 joins the solicited-node group (33:33:ff:..) when DAD starts.
nics_settled() {
        for d in /sys/class/net/eth*; do
                [ -e "$d" ] || continue
                n=${d##*/}
                [ "$(cat "$d/operstate")" = up ] || return 1
                if [ -e /proc/net/if_inet6 ]; then
                        grep -q "^[0-9]* *$n .*3333ff" /proc/net/dev_mcast || return 1
                fi
        done
        return 0
}
i=0
until nics_settled; do
        i=$((i + 1))
        if [ $i -gt 100 ]; then
                echo "vnic-agent: NICs not settled after 10 s, going on" >/dev/console
                break
        fi
        sleep 0.1
done

exec 3<>"$port"

if [ ! -e /run/vnic-agent.ready ]; then
        : >/run/vnic-agent.ready
        echo "vnic-agent: serving $port" >/dev/console
        echo "VNIC-GUEST-READY" >/dev/console
fi

cd /
while :; do
        if ! IFS= read -r line <&3; then
                # EOF: no host connected (or it left mid-line).  Drop the rest.
                sleep 0.1
                continue
        fi
        id=${line%% *}
        data=${line#* }
        case $id in
        "" | *[!A-Za-z0-9_-]*) continue ;;
        esac
        [ ${#id} -le 64 ] || continue

        printf 'VNIC-BEGIN %s\n' "$id" >&3
        if printf '%s\n' "$data" | base64 -d >/tmp/vnic-agent.cmd 2>/dev/null; then
                sh /tmp/vnic-agent.cmd </dev/null >&3 2>&1 3>&-
                status=$?
        else
                echo "vnic-agent: request $id is not valid base64" >&3
                status=126
        fi
        printf '\nVNIC-END %s %d\n' "$id" "$status" >&3
done
