# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034  # SANDBOX_* and EXIT_STATUS are for the sourcing script
#
# tests/lib/sandbox.sh: helpers for netns and guest tests, kernel-selftest style.
# Source it from a bash test script:
#
#       source "$(dirname "$0")/../lib/sandbox.sh"
#
# Generic helpers
#   defer CMD [ARG...]         push a cleanup command; all run in reverse order on
#                              EXIT (also after a failure, exit, INT, TERM, HUP)
#   defer_run                  run and clear the cleanup stack now
#   skip REASON                print "SKIP: REASON" and exit 77 (meson: skipped)
#   require_root, require_cmd CMD...   skip when not root / a command is missing
#   require_vlan_filtering     skip when this kernel's bridge has no VLAN filtering (the
#                              host's: such tests run in the kernel VM, tests/kvm)
#   setup_ns VAR...            create one netns per VAR with a unique name
#                              (vnic-<var>-<pid>-<random>), lo up, stored in VAR;
#                              the first one also becomes $SANDBOX_NS; deleted on exit
#   busywait TIMEOUT_MS CMD... run CMD every $SANDBOX_POLL s until it succeeds;
#                              returns its last status (bounded, no fixed sleeps)
#   check_err RC MSG, check_fail RC MSG, log_test NAME, log_info MSG
#                              selftest-style result bookkeeping; $EXIT_STATUS is
#                              0, 1 (a test failed) and what the script should exit with
#
# Network sandbox (in $SANDBOX_NS)
#   sandbox_uplink [NAME]      veth pair NAME (default "uplink", 02:00:00:00:00:01)
#                              <-> NAME-peer (02:00:00:00:00:02), both up; sets
#                              $SANDBOX_UPLINK
#   sandbox_macvtap NAME [MODE] [MAC]
#                              macvtap NAME on $SANDBOX_UPLINK, mode MODE (default
#                              bridge), up
#   sandbox_bridge BR TAP...   bridge BR, up, with $SANDBOX_UPLINK and persistent taps
#                              TAP... (for tap:NAME NICs) as ports
#   bridge_static_macs PORT    sorted "MAC VID" lines of PORT's static FDB entries in
#                              its bridge (VID 0: an entry without VLAN)
#   bridge_has_static PORT WANT    exactly those entries (a predicate, for busywait)
#   bridge_l2_groups PORT      PORT's MAC-form MDB groups, sorted, space separated (IP
#                              groups are the bridge's: it learns them by snooping)
#   bridge_groups_are PORT WANT    exactly those groups (a predicate, for busywait)
#
# Guest sandbox (QEMU under TCG, kernel + initramfs from tests/guest/)
#   sandbox_image              fetch the kernel and qemu-guest-agent and build the
#                              initramfs if stale; sets SANDBOX_KVER, SANDBOX_KERNEL,
#                              SANDBOX_INITRD, SANDBOX_QGA (qemu-ga in the cache; empty
#                              when it could not be had: the guest then has no agent)
#                              (skips when no kernel can be had)
#   sandbox_guest_start [--name G] [--smp N] [--mem MB] [--incoming URI] [NIC...]
#                              start a guest in $SANDBOX_NS (--incoming: a live
#                              migration's target, paused, waiting on URI, e.g.
#                              unix:PATH; it gets its guest's agent once migrated);
#                              NIC = MACVTAP[,OPTS]:
#                              NIC k (0-based) is virtio-net-pci id=netk,
#                              mac=52:54:00:12:34:5k, romfile=, on MACVTAP (whose
#                              MAC is set to the same address, as libvirt does);
#                              OPTS are extra -device options (e.g. ctrl_vlan=off)
#                              plus queues=N (multiqueue: N fds, mq=on).
#                              NIC = tap:NAME[,OPTS]: a tap QEMU attaches to by name
#                              (create it first, e.g. 'ip tuntap add NAME mode tap',
#                              and put it in a bridge); queues=N in OPTS: multiqueue
#                              (the tap made with 'multi_queue').
#                              Sets $SANDBOX_GUEST (default name g0) and, for it:
#                              SANDBOX_QEMU_PID, SANDBOX_CONSOLE, SANDBOX_AGENT,
#                              SANDBOX_QMP (for vnicd), SANDBOX_QMP_TEST (ours,
#                              kept open by a session logging to SANDBOX_QMP_LOG)
#                              Call it in the test's own shell, not in $(...): it
#                              keeps state (PIDs, fds) in shell variables.
#   sandbox_guest_use G        make guest G current (sets the variables above)
#   sandbox_guest_wait_ready [TIMEOUT_S]
#                              wait for VNIC-GUEST-READY on the console (default
#                              $SANDBOX_READY_TIMEOUT = 90 s); fails at once if QEMU
#                              exits or the guest reports a failure; sets
#                              SANDBOX_READY_MS (since QEMU started)
#   sandbox_guest_stop [G]     stop QEMU (TERM, then KILL) — also done on exit
#   guest [--timeout S] CMD... run CMD in the current guest (guest-exec); output and
#                              exit status are the guest command's
#   guest_nic MAC              the current guest's interface that has MAC
#   qmp_test CMDJSON           send one command on the test's QMP socket, print the
#                              reply line exactly as QEMU sent it (our "id" removed);
#                              status 0 for "return", 1 for "error" or no reply
#   qmp_event_count NAME [NIC] number of events NAME (of device NIC, e.g. net0)
#                              seen on the test socket since the guest started
#   qmp_wait_event [--nic NIC] NAME [MIN] [TIMEOUT_MS]
#                              wait until at least MIN (default 1) such events were
#                              seen; prints the last one.  NIC_RX_FILTER_CHANGED is
#                              one-shot per NIC until a query-rx-filter re-arms it
#
# Environment
#   VNIC_BUILD_DIR       meson build dir (default: <source root>/build)
#   VNIC_GUEST_CACHE     kernel cache (default: $VNIC_BUILD_DIR/tests/guest/cache)
#   VNIC_GUEST_EXEC      guest-exec binary (default: $VNIC_BUILD_DIR/tests/tools/guest-exec)
#   SANDBOX_KERNEL, SANDBOX_INITRD   use these instead of sandbox_image's
#   SANDBOX_SMP, SANDBOX_MEM (MB), SANDBOX_APPEND   guest defaults (1, 256, extra cmdline)
#   SANDBOX_READY_TIMEOUT, SANDBOX_POLL, GUEST_TIMEOUT, QMP_TIMEOUT   seconds
#   VNIC_TEST_KEEP=1     keep the sandbox directory (logs, console) after the test

# ---------------------------------------------------------------------------
# Generic helpers

SANDBOX_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SANDBOX_SRC_ROOT=$(cd "$SANDBOX_LIB_DIR/../.." && pwd)
: "${VNIC_BUILD_DIR:=$SANDBOX_SRC_ROOT/build}"
: "${SANDBOX_POLL:=0.1}"
: "${SANDBOX_READY_TIMEOUT:=90}"
: "${GUEST_TIMEOUT:=60}"
: "${QMP_TIMEOUT:=30}"
EXIT_STATUS=0
RET=0
retmsg=

__defer_stack=()

# Stores the command as one safely quoted string, run later with eval.
defer() {
        local q

        printf -v q '%q ' "$@"
        __defer_stack+=("$q")
}

defer_run() {
        local i

        for ((i = ${#__defer_stack[@]} - 1; i >= 0; i--)); do
                eval "${__defer_stack[i]}" || true
        done
        __defer_stack=()
}

__failed_tests=()

__sandbox_on_exit() {
        local rc=$?

        set +e
        trap - EXIT
        defer_run
        # Said again last: a long log after the steps (meson keeps its last 100 lines) would hide them.
        if [[ ${#__failed_tests[@]} -gt 0 ]]; then
                printf 'FAILED: %s\n' "${__failed_tests[@]}"
        fi
        exit "$rc"
}
trap __sandbox_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

log_info() {
        echo "INFO: $*"
}

skip() {
        echo "SKIP: $*"
        exit 77
}

require_root() {
        [[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces, macvtap)"
}

require_cmd() {
        local c

        for c in "$@"; do
                command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
        done
}

check_err() {
        local err=$1 msg=$2

        if [[ $RET -eq 0 && $err -ne 0 ]]; then
                RET=$err
                retmsg=$msg
        fi
}

check_fail() {
        local err=$1 msg=$2

        if [[ $RET -eq 0 && $err -eq 0 ]]; then
                RET=1
                retmsg=$msg
        fi
}

log_test() {
        local name=$1

        if [[ $RET -ne 0 ]]; then
                EXIT_STATUS=1
                printf "TEST: %-60s  [FAIL]\n" "$name"
                [[ -z $retmsg ]] || printf "\t%s\n" "$retmsg"
                __failed_tests+=("$name${retmsg:+: $retmsg}")
        else
                printf "TEST: %-60s  [ OK ]\n" "$name"
        fi
        RET=0
        retmsg=
}

busywait() {
        local timeout_ms=$1 start now rc
        shift

        start=$(date +%s%3N)
        while :; do
                "$@"
                rc=$?
                [[ $rc -ne 0 ]] || return 0
                now=$(date +%s%3N)
                ((now - start < timeout_ms)) || return "$rc"
                sleep "$SANDBOX_POLL"
        done
}

require_vlan_filtering() {
        ip link add vnic-probe type bridge vlan_filtering 1 2>/dev/null ||
                skip "this kernel has no bridge VLAN filtering: run in the kernel VM (tests/kvm)"
        ip link del vnic-probe
}

setup_ns() {
        local var name lower

        for var in "$@"; do
                lower=${var,,}
                name=vnic-${lower//_/-}-$$-$RANDOM$RANDOM
                ip netns add "$name" || { echo "setup_ns: cannot create netns $name" >&2; return 1; }
                defer ip netns del "$name"
                ip -n "$name" link set lo up || return 1
                printf -v "$var" '%s' "$name"
                : "${SANDBOX_NS:=$name}"
        done
}

# ---------------------------------------------------------------------------
# Network sandbox

sandbox_uplink() {
        local name=${1:-uplink}

        [[ -n ${SANDBOX_NS:-} ]] || { echo "sandbox_uplink: call setup_ns first" >&2; return 1; }
        ip -n "$SANDBOX_NS" link add name "$name" address 02:00:00:00:00:01 type veth \
                peer name "$name-peer" address 02:00:00:00:00:02 || return 1
        ip -n "$SANDBOX_NS" link set "$name-peer" up || return 1
        ip -n "$SANDBOX_NS" link set "$name" up || return 1
        SANDBOX_UPLINK=$name
}

sandbox_macvtap() {
        local name=$1 mode=${2:-bridge} mac=${3:-}

        [[ -n ${SANDBOX_UPLINK:-} ]] || { echo "sandbox_macvtap: call sandbox_uplink first" >&2; return 1; }
        ip -n "$SANDBOX_NS" link add link "$SANDBOX_UPLINK" name "$name" \
                ${mac:+address "$mac"} type macvtap mode "$mode" || return 1
        ip -n "$SANDBOX_NS" link set "$name" up
}

# A bridge with the uplink and persistent taps (guest ports QEMU attaches to by name) as ports.
sandbox_bridge() {
        local br=$1 t

        shift
        [[ -n ${SANDBOX_UPLINK:-} ]] || { echo "sandbox_bridge: call sandbox_uplink first" >&2; return 1; }
        ip -n "$SANDBOX_NS" link add "$br" up type bridge || return 1
        ip -n "$SANDBOX_NS" link set "$SANDBOX_UPLINK" master "$br" || return 1
        for t in "$@"; do
                ip -n "$SANDBOX_NS" tuntap add "$t" mode tap || return 1
                ip -n "$SANDBOX_NS" link set "$t" master "$br" up || return 1
        done
}

bridge_static_macs() {
        bridge -n "$SANDBOX_NS" -j fdb show dev "$1" |
                jq -r '.[] | select((.master // "") != "" and .state == "static") | "\(.mac) \(.vlan // 0)"' | sort
}

bridge_has_static() {
        [[ $(bridge_static_macs "$1") == "$2" ]]
}

bridge_l2_groups() {
        bridge -n "$SANDBOX_NS" -j mdb show |
                jq -r --arg p "$1" '[.[].mdb[]? | select(.port == $p and (.grp | test("^([0-9a-f]{2}:){5}[0-9a-f]{2}$"))) | .grp] | unique | join(" ")'
}

bridge_groups_are() {
        [[ $(bridge_l2_groups "$1") == "$2" ]]
}

# ---------------------------------------------------------------------------
# Guest sandbox

declare -A __guest_dir=() __guest_pid=() __guest_qmp_fd=() __guest_qmp_pid=() __guest_t0=()

__sandbox_dir() {
        [[ -z ${SANDBOX_DIR:-} ]] || return 0
        SANDBOX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vnic-sandbox.XXXXXX") || return 1
        if [[ ${VNIC_TEST_KEEP:-0} == 1 ]]; then
                echo "INFO: keeping $SANDBOX_DIR"
        else
                defer rm -rf "$SANDBOX_DIR"
        fi
}

sandbox_image() {
        local cache out line lock stale f

        [[ -n ${SANDBOX_KERNEL:-} && -n ${SANDBOX_INITRD:-} ]] && return 0

        cache=${VNIC_GUEST_CACHE:-$VNIC_BUILD_DIR/tests/guest/cache}
        while IFS= read -r line; do
                case $line in
                KVER=*) SANDBOX_KVER=${line#KVER=} ;;
                KERNEL=*) SANDBOX_KERNEL=${line#KERNEL=} ;;
                MODULES=*) SANDBOX_MODULES=${line#MODULES=} ;;
                esac
        done < <("$SANDBOX_SRC_ROOT/tests/guest/fetch-kernel.sh" "$cache")
        [[ -n ${SANDBOX_KERNEL:-} && -f $SANDBOX_KERNEL ]] ||
                skip "no guest kernel (tests/guest/fetch-kernel.sh $cache failed; offline?)"

        # qemu-guest-agent for the guest (tests of vnicd's guest-agent lever); optional: a guest
        # without it has no agent, which the tests that need one skip on.
        SANDBOX_QGA=$("$SANDBOX_SRC_ROOT/tests/guest/fetch-guest-agent.sh" "$cache" | sed -n 's/^QGA=//p') ||
                SANDBOX_QGA=
        out=$VNIC_BUILD_DIR/tests/guest/initramfs-$SANDBOX_KVER.cpio.gz
        mkdir -p "$(dirname "$out")" || return 1
        exec {lock}>"$out.lock"
        flock "$lock"
        stale=0
        if [[ ! -s $out ]]; then
                stale=1
        else
                for f in "$SANDBOX_SRC_ROOT"/tests/guest/{build-initramfs.sh,guest-init.sh,guest-agent.sh,guest-qga.sh} \
                         "$SANDBOX_MODULES/modules.dep" /usr/sbin/ip /usr/sbin/ethtool /bin/busybox ${SANDBOX_QGA:+"$SANDBOX_QGA"}; do
                        [[ ! $f -nt $out ]] || stale=1
                done
        fi
        if [[ $stale -eq 1 ]]; then
                "$SANDBOX_SRC_ROOT/tests/guest/build-initramfs.sh" ${SANDBOX_QGA:+--add "$SANDBOX_QGA:/usr/sbin/qemu-ga"} \
                        "$SANDBOX_MODULES" "$out" || {
                        exec {lock}>&-
                        echo "sandbox_image: building the initramfs failed" >&2
                        return 1
                }
        fi
        exec {lock}>&-
        SANDBOX_INITRD=$out
}

sandbox_guest_use() {
        local g=$1 d

        d=${__guest_dir[$g]:-}
        [[ -n $d ]] || { echo "sandbox_guest_use: no guest $g" >&2; return 1; }
        SANDBOX_GUEST=$g
        SANDBOX_QEMU_PID=${__guest_pid[$g]}
        SANDBOX_CONSOLE=$d/console.log
        SANDBOX_AGENT=$d/agent.sock
        SANDBOX_QMP=$d/qmp-vnicd.sock
        SANDBOX_QMP_TEST=$d/qmp-test.sock
        SANDBOX_QMP_LOG=$d/qmp-test.log
}

# Opens the test's QMP session: socat reads commands from a FIFO we keep open
# and appends everything QEMU says to qmp-test.log.  QEMU serves one client
# per monitor socket, so this session owns SANDBOX_QMP_TEST for the guest's life.
__qmp_session_open() {
        local g=$1 d=${__guest_dir[$1]} fd pid

        if ! busywait 10000 test -S "$d/qmp-test.sock"; then
                echo "sandbox: QEMU did not create $d/qmp-test.sock" >&2
                return 1
        fi
        mkfifo "$d/qmp-test.in" || return 1
        exec {fd}<>"$d/qmp-test.in"
        socat -t 0 STDIO "UNIX-CONNECT:$d/qmp-test.sock" <"$d/qmp-test.in" \
                >>"$d/qmp-test.log" 2>>"$d/qmp-test.err" {fd}>&- &
        pid=$!
        __guest_qmp_fd[$g]=$fd
        __guest_qmp_pid[$g]=$pid
        defer __qmp_session_close "$g"

        printf '{"execute":"qmp_capabilities","id":"vnic-caps"}\n' >&"$fd"
        if ! busywait $((QMP_TIMEOUT * 1000)) grep -q '"id": "vnic-caps"' "$d/qmp-test.log"; then
                echo "sandbox: no QMP capabilities reply on $d/qmp-test.sock" >&2
                return 1
        fi
}

__qmp_session_close() {
        local g=$1 fd=${__guest_qmp_fd[$1]:-} pid=${__guest_qmp_pid[$1]:-}

        [[ -z $fd ]] || exec {fd}>&-
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
                kill "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
        fi
        __guest_qmp_fd[$g]=
        __guest_qmp_pid[$g]=
}

# Prints "MAJOR MINOR" of macvtap NAME's character device, read inside the netns
# (ip netns exec mounts that namespace's /sys).
__macvtap_devnum() {
        local name=$1 idx dev

        idx=$(ip netns exec "$SANDBOX_NS" cat "/sys/class/net/$name/ifindex") || return 1
        dev=$(ip netns exec "$SANDBOX_NS" cat "/sys/class/net/$name/macvtap/tap$idx/dev") || return 1
        echo "${dev%:*} ${dev#*:}"
}

sandbox_guest_start() {
        local g=g0 smp=${SANDBOX_SMP:-1} mem=${SANDBOX_MEM:-256} d k=0 spec tap opts queues
        local node devnum fd fdlist i pid mac incoming=
        local -a args fds=()

        while [[ $# -gt 0 ]]; do
                case $1 in
                --name) g=$2; shift 2 ;;
                --smp) smp=$2; shift 2 ;;
                --mem) mem=$2; shift 2 ;;
                # A migration target: paused (-S), waiting for the guest's state on URI.
                --incoming) incoming=$2; shift 2 ;;
                *) break ;;
                esac
        done
        [[ -z ${__guest_dir[$g]:-} ]] || { echo "sandbox_guest_start: guest $g exists" >&2; return 1; }
        [[ -n ${SANDBOX_NS:-} ]] || { echo "sandbox_guest_start: call setup_ns first" >&2; return 1; }
        [[ $# -le 10 ]] || { echo "sandbox_guest_start: at most 10 NICs" >&2; return 1; }
        require_cmd qemu-system-x86_64 socat
        : "${VNIC_GUEST_EXEC:=$VNIC_BUILD_DIR/tests/tools/guest-exec}"
        [[ -x $VNIC_GUEST_EXEC ]] ||
                skip "guest-exec not built ($VNIC_GUEST_EXEC; run ninja -C build or set VNIC_GUEST_EXEC)"
        sandbox_image || return 1
        __sandbox_dir || return 1

        d=$SANDBOX_DIR/$g
        mkdir -p "$d" || return 1
        if [[ ${#d} -gt 80 ]]; then
                echo "sandbox_guest_start: $d is too long for unix socket paths (set TMPDIR)" >&2
                return 1
        fi

        # shellcheck disable=SC2054  # commas belong to QEMU options
        args=(qemu-system-x86_64 -accel tcg -nodefaults -no-user-config -display none
              -name "$g" -m "$mem" -smp "$smp" -no-reboot
              -kernel "$SANDBOX_KERNEL" -initrd "$SANDBOX_INITRD"
              -append "console=ttyS0 panic=-1 ${SANDBOX_APPEND:-}"
              -serial "file:$d/console.log"
              -chardev "socket,id=qmp-vnicd,path=$d/qmp-vnicd.sock,server=on,wait=off"
              -mon chardev=qmp-vnicd,mode=control
              -chardev "socket,id=qmp-test,path=$d/qmp-test.sock,server=on,wait=off"
              -mon chardev=qmp-test,mode=control
              -device virtio-serial-pci,id=vser0
              -chardev "socket,id=agent,path=$d/agent.sock,server=on,wait=off"
              -device virtserialport,chardev=agent,name=org.vnicd.test.0)
        [[ -z $incoming ]] || args+=(-S -incoming "$incoming")

        for spec in "$@"; do
                if [[ $spec == tap:* ]]; then
                        # A tap QEMU creates by name (e.g. a port for a bridge): tap:NAME[,OPTS].
                        tap=${spec#tap:}
                        opts=
                        [[ $tap != *,* ]] || { opts=,${tap#*,}; tap=${tap%%,*}; }
                        mac=52:54:00:12:34:5$k
                        queues=
                        if [[ $opts =~ ,queues=([0-9]+) ]]; then
                                # A multiqueue tap ('ip tuntap add NAME mode tap multi_queue').
                                queues=${BASH_REMATCH[1]}
                                opts="${opts/,queues=$queues/},mq=on,vectors=$((2 * queues + 2))"
                        fi
                        args+=(-netdev "tap,id=hn$k,ifname=$tap,script=no,downscript=no${queues:+,queues=$queues}"
                               -device "virtio-net-pci,id=net$k,netdev=hn$k,mac=$mac,romfile=$opts")
                        k=$((k + 1))
                        continue
                fi
                tap=${spec%%,*}
                opts=
                [[ $spec != *,* ]] || opts=,${spec#*,}
                queues=1
                if [[ $opts =~ ,queues=([0-9]+) ]]; then
                        queues=${BASH_REMATCH[1]}
                        opts=${opts/,queues=$queues/}
                fi
                mac=52:54:00:12:34:5$k
                ip -n "$SANDBOX_NS" link set "$tap" address "$mac" || return 1

                # A private node for the macvtap's char device: /dev/tap<ifindex>
                # names clash between namespaces (ifindexes restart at 1 in each).
                devnum=$(__macvtap_devnum "$tap") || { echo "sandbox: $tap is not a macvtap" >&2; return 1; }
                node=$d/tap-$tap
                # shellcheck disable=SC2086
                mknod "$node" c $devnum || return 1
                fdlist=
                for ((i = 0; i < queues; i++)); do
                        exec {fd}<>"$node"
                        fds+=("$fd")
                        fdlist+=${fdlist:+:}$fd
                done
                if [[ $queues -gt 1 ]]; then
                        args+=(-netdev "tap,id=hn$k,fds=$fdlist"
                               -device "virtio-net-pci,id=net$k,netdev=hn$k,mac=$mac,romfile=,mq=on,vectors=$((2 * queues + 2))$opts")
                else
                        args+=(-netdev "tap,id=hn$k,fd=$fdlist"
                               -device "virtio-net-pci,id=net$k,netdev=hn$k,mac=$mac,romfile=$opts")
                fi
                k=$((k + 1))
        done

        printf '%q ' "${args[@]}" >"$d/qemu.cmdline"
        # QEMU gets stdio and the tap fds only (no inherited pipes of whoever runs
        # the test); ip netns exec execs QEMU in place, so $! is QEMU's PID.
        (
                for f in "/proc/$BASHPID/fd/"*; do
                        f=${f##*/}
                        [[ " 0 1 2 ${fds[*]} " == *" $f "* ]] || eval "exec $f>&-"
                done
                exec ip netns exec "$SANDBOX_NS" "${args[@]}"
        ) </dev/null >"$d/qemu.log" 2>&1 &
        pid=$!
        __guest_t0[$g]=$(date +%s%3N)
        for fd in "${fds[@]}"; do
                exec {fd}>&-
        done
        __guest_dir[$g]=$d
        __guest_pid[$g]=$pid
        defer sandbox_guest_stop "$g"
        sandbox_guest_use "$g"

        __qmp_session_open "$g" || {
                echo "sandbox: QEMU log:" >&2
                cat "$d/qemu.log" >&2
                return 1
        }
}

__pid_gone() {
        ! kill -0 "$1" 2>/dev/null
}

sandbox_guest_stop() {
        local g=${1:-$SANDBOX_GUEST} pid

        pid=${__guest_pid[$g]:-}
        [[ -n $pid ]] || return 0
        __qmp_session_close "$g"
        if kill -0 "$pid" 2>/dev/null; then
                kill -TERM "$pid" 2>/dev/null
                busywait 10000 __pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
        __guest_pid[$g]=
}

__guest_ready() {
        local pid=$1 console=$2

        if ! kill -0 "$pid" 2>/dev/null; then
                echo "QEMU exited"
                return 2
        fi
        [[ -f $console ]] || return 1
        if grep -q -e 'VNIC-GUEST-FAILED' -e 'Kernel panic' "$console"; then
                echo "guest failed"
                return 2
        fi
        grep -q '^VNIC-GUEST-READY' "$console"
}

sandbox_guest_wait_ready() {
        local timeout=${1:-$SANDBOX_READY_TIMEOUT} start end why d

        d=${__guest_dir[$SANDBOX_GUEST]}
        start=$(date +%s%3N)
        while :; do
                why=$(__guest_ready "$SANDBOX_QEMU_PID" "$SANDBOX_CONSOLE")
                case $? in
                0) break ;;
                2) ;;
                *) end=$(date +%s%3N)
                   if ((end - start < timeout * 1000)); then
                           sleep "$SANDBOX_POLL"
                           continue
                   fi
                   why="no VNIC-GUEST-READY within ${timeout}s" ;;
                esac
                echo "sandbox: guest $SANDBOX_GUEST: $why" >&2
                echo "--- QEMU log:" >&2
                tail -n 20 "$d/qemu.log" >&2
                echo "--- console (last 30 lines):" >&2
                tail -n 30 "$SANDBOX_CONSOLE" >&2
                return 1
        done
        end=$(date +%s%3N)
        # Measured from QEMU's start, not from this call.
        SANDBOX_READY_MS=$((end - ${__guest_t0[$SANDBOX_GUEST]}))
        log_info "guest $SANDBOX_GUEST ready after $((SANDBOX_READY_MS / 1000)).$(printf %03d $((SANDBOX_READY_MS % 1000)))s"
}

guest() {
        local t=$GUEST_TIMEOUT

        if [[ ${1:-} == --timeout ]]; then
                t=$2
                shift 2
        fi
        "$VNIC_GUEST_EXEC" --timeout "$t" "$SANDBOX_AGENT" "$@"
}

guest_nic() {
        guest "/usr/sbin/ip -o link show | grep -i '$1' | cut -d: -f2 | tr -d ' '"
}

__qmp_reply_for() {
        grep -m 1 -F "\"id\": \"$1\"" "$SANDBOX_QMP_LOG" >/dev/null
}

qmp_test() {
        local cmd=$1 id line fd

        fd=${__guest_qmp_fd[$SANDBOX_GUEST]:-}
        [[ -n $fd ]] || { echo "qmp_test: no QMP session for guest $SANDBOX_GUEST" >&2; return 1; }
        id=vnic-$BASHPID-$RANDOM$RANDOM
        line=$(jq -c --arg id "$id" '. + {id: $id}' <<<"$cmd") || {
                echo "qmp_test: not a JSON object: $cmd" >&2
                return 1
        }
        printf '%s\n' "$line" >&"$fd"
        if ! busywait $((QMP_TIMEOUT * 1000)) __qmp_reply_for "$id"; then
                echo "qmp_test: no reply to $cmd within ${QMP_TIMEOUT}s" >&2
                return 1
        fi
        line=$(grep -m 1 -F "\"id\": \"$id\"" "$SANDBOX_QMP_LOG")
        # QEMU appends the id last: drop it to get the reply as sent without one.
        line=${line/, \"id\": \"$id\"\}/\}}
        line=${line/\{\"id\": \"$id\", /\{}
        printf '%s\n' "$line"
        [[ $line == '{"return"'* ]]
}

# Event lines NAME, of device NIC (its id=, "name" in the event) if given.
__qmp_events() {
        local name=$1 nic=${2:-}

        grep -F "\"event\": \"$name\"" "$SANDBOX_QMP_LOG" |
                if [[ -n $nic ]]; then grep -F "\"name\": \"$nic\""; else cat; fi
}

qmp_event_count() {
        __qmp_events "$1" "${2:-}" | wc -l
}

__qmp_event_at_least() {
        [[ $(qmp_event_count "$1" "$3") -ge $2 ]]
}

qmp_wait_event() {
        local nic=

        if [[ ${1:-} == --nic ]]; then
                nic=$2
                shift 2
        fi
        local name=$1 min=${2:-1} timeout_ms=${3:-$((QMP_TIMEOUT * 1000))}

        busywait "$timeout_ms" __qmp_event_at_least "$name" "$min" "$nic" || return 1
        __qmp_events "$name" "$nic" | tail -n 1
}
