#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Sourced after tests/lib/sandbox.sh: runs the real vnicd in the sandbox's namespace on a private
# bus, and reads its state the way a user does, through vnicctl.
#
#   vnicd_start CONFIG [ARGS...]  start vnicd in $SANDBOX_NS with CONFIG (private bus started on
#                                 first use); sets VNICD_PID, VNICD_LOG; stopped on exit (by PID)
#                                 (with VNICD_NSENTER_PID set: in that process's mount and
#                                 network namespaces instead, e.g. a private libvirtd's)
#   vnicd_stop [SIGNAL]           stop it (default TERM), wait for it
#   vnicctl ARGS...               the built vnicctl on the private bus
#   qmp_peer_filter DIR JSON      the rx-filter list a stand-in QEMU answers with (written to
#                                 DIR/filter.json at once)
#   qmp_peer_filter_nic DIR MAC VLAN-TABLE
#                                 the same for one NIC net0 with main MAC MAC and that vlan-table
#                                 (a JSON array), every mode "normal", no other table
#   qmp_peer_start DIR            a stand-in QEMU (tests/tools/qmp-hostile, script mode) on
#                                 DIR/qmp.sock answering query-rx-filter with DIR/filter.json;
#                                 sets QMP_PEER_PID (kill -USR1 it: an rx-filter event), killed on exit
#   qmp_peer_conf DIR RESYNC ALLOWED NATIVE
#                                 DIR/vnicd.conf for that stand-in: guest vm, NIC net0 on tap0,
#                                 Trust=yes, AllowedVLANs=ALLOWED, NativeVLAN=NATIVE, br0 made
#                                 VLAN-aware by vnicd, DebounceSec=0.02, ResyncSec=RESYNC
#   vhost_owner_start DIR         a stand-in QEMU with a real vhost-net worker (tests/tools/vhost-owner,
#                                 kernel VM only): sets VHOST_OWNER_PID, VHOST_WORKER_TID and
#                                 VHOST_WORKER_FORM (kthread|thread, as found in /proc), writes
#                                 DIR/query-cpus-fast.json naming the owner as the one vCPU thread
#                                 (for qmp_peer_start); stopped on exit; returns 1 (with the reason
#                                 in check_err) when it did not start or the kernel made no worker
#   vhost_owner_stop              stop it now (its worker goes with it)
#   guest_json GUEST              that guest's object from 'vnicctl --json'
#   nic_json GUEST NIC            that NIC's object from 'vnicctl --json'
#   wait_nic GUEST NIC JQ [MS]    wait until JQ (a jq boolean over the NIC object) holds;
#                                 on timeout prints the NIC object and returns 1
#   ns_mc DEV                     sorted user-added multicast MACs of DEV (ip -j maddr, static)
#   ns_link DEV                   'ip -d -j link show DEV' object

source "$(dirname "${BASH_SOURCE[0]}")/bus.sh"

: "${VNICD_BIN:=$VNIC_BUILD_DIR/daemon/vnicd}"
: "${VNICCTL_BIN:=$VNIC_BUILD_DIR/cli/vnicctl}"
VNICD_PID=

__vnicd_bus() {
        [[ -n ${BUS_PID:-} ]] && return 0
        __sandbox_dir || return 1
        bus_start "$SANDBOX_DIR/bus" || return 1
        defer bus_stop
}

vnicd_start() {
        local config=$1
        shift
        [[ -x $VNICD_BIN ]] || skip "vnicd not built ($VNICD_BIN)"
        __vnicd_bus || return 1
        VNICD_LOG=$SANDBOX_DIR/vnicd.log
        if [[ -n ${VNICD_NSENTER_PID:-} ]]; then
                # Next to a private libvirtd: in its mount namespace too, where its socket is.
                nsenter -t "$VNICD_NSENTER_PID" -m -n -- "$VNICD_BIN" -c "$config" "$@" >>"$VNICD_LOG" 2>&1 &
        else
                ip netns exec "$SANDBOX_NS" "$VNICD_BIN" -c "$config" "$@" >>"$VNICD_LOG" 2>&1 &
        fi
        VNICD_PID=$!
        defer vnicd_stop
        bus_wait_vnicd 10 || { echo "--- vnicd log:" >&2; cat "$VNICD_LOG" >&2; return 1; }
}

vnicd_stop() {
        local sig=${1:-TERM}

        [[ -n ${VNICD_PID:-} ]] || return 0
        if kill -0 "$VNICD_PID" 2>/dev/null; then
                kill -"$sig" "$VNICD_PID" 2>/dev/null
                busywait 10000 __pid_gone "$VNICD_PID" || kill -KILL "$VNICD_PID" 2>/dev/null
        fi
        wait "$VNICD_PID" 2>/dev/null
        VNICD_PID=
}

vnicctl() {
        "$VNICCTL_BIN" "$@"
}

qmp_peer_filter() {
        printf '%s\n' "$2" >"$1/filter.json.new" && mv "$1/filter.json.new" "$1/filter.json"
}

qmp_peer_filter_nic() {
        local f='[{"name": "net0", "promiscuous": false, "multicast": "normal", "unicast": "normal",'

        f+=' "vlan": "normal", "broadcast-allowed": false, "multicast-overflow": false,'
        f+=' "unicast-overflow": false, "main-mac": "%s", "vlan-table": %s, "unicast-table": [],'
        f+=' "multicast-table": []}]'
        # shellcheck disable=SC2059  # the format is ours
        qmp_peer_filter "$1" "$(printf "$f" "$2" "$3")"
}

qmp_peer_start() {
        local dir=$1 peer=$VNIC_BUILD_DIR/tests/tools/qmp-hostile

        [[ -x $peer ]] || skip "qmp-hostile not built ($peer)"
        "$peer" "$dir/qmp.sock" script "$dir/filter.json" >"$dir/peer.log" 2>&1 &
        QMP_PEER_PID=$!
        defer kill "$QMP_PEER_PID"
        busywait 5000 test -S "$dir/qmp.sock"
}

qmp_peer_conf() {
        cat >"$1/vnicd.conf" <<CONF
[Manager]
DebounceSec=0.02
ResyncSec=$2

[Guest]
Name=vm
QMPSocket=$1/qmp.sock

[Interface]
Guest=vm
Name=net0
HostDevice=tap0
Trust=yes
AllowedVLANs=$3
NativeVLAN=$4

[Bridge]
Name=br0
VLANFiltering=yes
CONF
}

vhost_owner_start() {
        local dir=$1 bin=$VNIC_BUILD_DIR/tests/tools/vhost-owner s c line rest ppid

        [[ -x $bin ]] || skip "vhost-owner not built"
        "$bin" "$dir/owner.pid" >"$dir/owner.log" 2>&1 &
        VHOST_OWNER_PID=$!
        defer vhost_owner_stop
        if ! busywait 5000 test -s "$dir/owner.pid"; then
                check_err 1 "vhost-owner did not start: $(cat "$dir/owner.log")"
                return 1
        fi
        [[ $(<"$dir/owner.pid") == "$VHOST_OWNER_PID" ]] || return 1

        # The worker: a kernel thread anywhere (PPid 2, Linux < 6.4), or a thread of the owner.
        VHOST_WORKER_TID='' VHOST_WORKER_FORM=''
        for s in /proc/[0-9]*/stat; do
                read -r line <"$s" 2>/dev/null || continue
                [[ $line == *" (vhost-$VHOST_OWNER_PID) "* ]] || continue
                rest=${line##*) }
                read -r _ ppid _ <<<"$rest"
                [[ $ppid == 2 ]] || continue
                VHOST_WORKER_TID=${s#/proc/}
                VHOST_WORKER_TID=${VHOST_WORKER_TID%/stat}
                VHOST_WORKER_FORM=kthread
        done
        for c in /proc/"$VHOST_OWNER_PID"/task/*/comm; do
                [[ $(<"$c") == "vhost-$VHOST_OWNER_PID" ]] || continue
                VHOST_WORKER_TID=${c#/proc/"$VHOST_OWNER_PID"/task/}
                VHOST_WORKER_TID=${VHOST_WORKER_TID%/comm}
                VHOST_WORKER_FORM=thread
        done
        if [[ -z $VHOST_WORKER_TID ]]; then
                check_err 1 "no task named vhost-$VHOST_OWNER_PID after VHOST_SET_OWNER"
                return 1
        fi
        printf '[{"cpu-index": 0, "thread-id": %d, "props": {"core-id": 0, "thread-id": 0, "socket-id": 0}, "qom-path": "/machine/unattached/device[0]", "target": "x86_64"}]\n' \
                "$VHOST_OWNER_PID" >"$dir/query-cpus-fast.json"
}

vhost_owner_stop() {
        [[ -n ${VHOST_OWNER_PID:-} ]] || return 0
        kill "$VHOST_OWNER_PID" 2>/dev/null && wait "$VHOST_OWNER_PID" 2>/dev/null
        VHOST_OWNER_PID=
}

guest_json() {
        vnicctl --json | jq -c --arg g "$1" '.guests[] | select(.name == $g)'
}

nic_json() {
        vnicctl --json | jq -c --arg g "$1" --arg n "$2" \
                '.guests[] | select(.name == $g) | .nics[] | select(.name == $n)'
}

__nic_holds() {
        local obj

        obj=$(nic_json "$1" "$2") || return 1
        [[ -n $obj ]] || return 1
        jq -e "$3" <<<"$obj" >/dev/null 2>&1
}

wait_nic() {
        local g=$1 n=$2 expr=$3 ms=${4:-30000}

        busywait "$ms" __nic_holds "$g" "$n" "$expr" && return 0
        echo "wait_nic $g/$n: '$expr' did not hold within ${ms}ms; NIC is:" >&2
        nic_json "$g" "$n" | jq . >&2
        return 1
}

ns_mc() {
        ip -n "$SANDBOX_NS" -j maddr show dev "$1" |
                jq -r '.[].maddr[]? | select(.link and .features == "static") | .link' | sort
}

ns_link() {
        ip -n "$SANDBOX_NS" -d -j link show dev "$1" | jq -c '.[0]'
}
