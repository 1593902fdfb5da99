# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# tests/lib/libvirt.sh: a private libvirtd for tests, the way HOST-FACTS §4 describes, sourced after
# tests/lib/sandbox.sh. Nothing of it is visible outside: the daemon runs in $SANDBOX_NS and in a
# mount namespace of its own, where private directories cover /etc/libvirt, /run/libvirt,
# /var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt, and a private passwd/group has the
# libvirt-qemu user the QEMU driver insists on. A directory the host lacks is made in a private
# overlay of its parent, so the host gets no new directory either. Stopped by PID, never by name.
#
#   libvirtd_start [NAME]   start libvirtd in $SANDBOX_NS (call setup_ns first) and wait until it
#                           answers; sets LIBVIRTD_PID, LIBVIRTD_DIR (its private directories on the
#                           host: etc/ run/ lib/ log/ cache/), LIBVIRTD_LOG, LIBVIRT_URI (for
#                           clients inside its namespaces), LIBVIRT_REMOTE_URI (for clients in
#                           any mount namespace: the socket by its host path), LIBVIRTD_MNTNS (its
#                           mount namespace, as readlink /proc/PID/ns/mnt shows it) and
#                           LIBVIRTD_START_MS; stopped on exit. Skips when libvirtd or its QEMU
#                           driver is not installed.
#                           NAME: one of several daemons standing for several hosts in one network
#                           namespace (a migration's source and destination). Each has its own
#                           directories ($SANDBOX_DIR/libvirtd-NAME), a host_uuid of its own
#                           (libvirt refuses to migrate between daemons with one host UUID), and
#                           its vnicd its own private bus and log ($LIBVIRTD_DIR/bus,
#                           $LIBVIRTD_DIR/vnicd.log); it becomes the current daemon. Without NAME:
#                           the current daemon, i.e. the single unnamed one as before unless a
#                           named one was started.
#   libvirt_use NAME        make daemon NAME current: the LIBVIRTD_* and LIBVIRT_REMOTE_URI
#                           variables, virsh, libvirt_ns, libvirtd_restart, libvirtd_stop and
#                           vnicd_libvirt_start then mean it, and vnicctl, vnicd_stop, VNICD_PID
#                           and VNICD_LOG its vnicd (tests/lib/vnicd.sh)
#   libvirtd_stop           destroy running domains, stop libvirtd (TERM, then KILL) and any QEMU it
#                           left behind, by PID; keep its capability cache for the next start
#   libvirtd_restart        stop libvirtd only (its domains keep running) and start it again; the
#                           new daemon reconnects to them
#   libvirt_scenario_xml NAME DIR [ON_REBOOT] [METADATA] [INTERFACES]
#                           print the domain XML of the tier's scenario guest: the sandbox kernel
#                           and initramfs, console in DIR/console.log, the test agent channel at
#                           DIR/agent.sock, and three virtio NICs: 52:54:00:12:34:50 direct on
#                           'uplink' with trustGuestRxFilters='yes', :51 direct on 'uplink', :52
#                           in bridge br0, or the <interface> elements INTERFACES gives instead;
#                           METADATA goes inside <metadata>. SANDBOX_VCPUS vCPUs (default
#                           1); LIBVIRT_QGA=1 adds the qemu-guest-agent channel
#                           (org.qemu.guest_agent.0, qemu-ga runs in the guest on it). ACPI is on: without
#                           it libvirt starts QEMU with -no-acpi and PCI hot-unplug is refused
#   vnicd_libvirt_start DIR [LOGLEVEL] [ARGS...]
#                           write DIR/vnicd.conf ([Manager] LogLevel, default info; DebounceSec from
#                           VNICD_DEBOUNCE, default 0.02; more lines from VNICD_MANAGER_EXTRA)
#                           and start vnicd (tests/lib/vnicd.sh) in
#                           libvirtd's namespaces, connected to it; again after vnicd_stop to restart
#   libvirt_interface_xml KIND MAC
#                           one virtio <interface> (no option ROM) on one line: KIND is
#                           direct:DEV, trusted:DEV (direct with trustGuestRxFilters='yes'),
#                           bridge:BRIDGE or network:NETWORK
#   libvirt_scenario_net    the scenario's links in $SANDBOX_NS (call setup_ns first): 'uplink'
#                           (sandbox_uplink) and bridge br0 with one veth port, brport
#   libvirt_guest_ready DIR [N]
#                           0 once DIR/console.log has N (default 1) ready lines of the test
#                           guest, 2 when it failed or panicked, else 1 (for busywait)
#   libvirt_ns CMD...       run CMD in libvirtd's mount and network namespaces (where its paths and
#                           devices are)
#   virsh ARGS...           virsh connected to the private libvirtd, run in its namespaces
#
# Environment
#   VNIC_LIBVIRT_CACHE      a warm /var/cache/libvirt kept across runs: with it libvirtd starts in
#                           well under a second instead of probing QEMU for ~9 s
#                           (default: <source root>/.cache/libvirt)
#   LIBVIRTD_TIMEOUT        seconds to wait for the daemon to answer (default 90)

: "${VNIC_LIBVIRT_CACHE:=$SANDBOX_SRC_ROOT/.cache/libvirt}"
: "${LIBVIRTD_TIMEOUT:=90}"
LIBVIRT_URI="qemu:///system?socket=/run/libvirt/libvirt-sock"
LIBVIRT_REMOTE_URI=
LIBVIRTD_PID=
LIBVIRTD_MNTNS=
LIBVIRTD_NAME=

# What makes one named daemon and its vnicd current (libvirt_use); saved per NAME.
__LIBVIRT_INSTANCE_VARS=(LIBVIRTD_PID LIBVIRTD_DIR LIBVIRTD_LOG LIBVIRTD_MNTNS LIBVIRTD_START_MS
        LIBVIRTD_OLD_MNTNS LIBVIRT_REMOTE_URI VNICD_PID VNICD_LOG BUS_PID DBUS_SYSTEM_BUS_ADDRESS)
declare -A __libvirt_saved=()

libvirt_interface_xml() {
        local kind=${1%%:*} src=${1#*:}

        case $kind in
        trusted) printf "    <interface type='direct' trustGuestRxFilters='yes'><source dev='%s' mode='bridge'/>" "$src" ;;
        direct) printf "    <interface type='direct'><source dev='%s' mode='bridge'/>" "$src" ;;
        bridge) printf "    <interface type='bridge'><source bridge='%s'/>" "$src" ;;
        network) printf "    <interface type='network'><source network='%s'/>" "$src" ;;
        *) echo "libvirt_interface_xml: unknown kind '$kind'" >&2; return 1 ;;
        esac
        printf "<mac address='%s'/><model type='virtio'/><rom enabled='no'/></interface>\n" "$2"
}

libvirt_scenario_net() {
        # shellcheck disable=SC2119  # the default name, 'uplink'
        sandbox_uplink || return 1
        ip -n "$SANDBOX_NS" link add br0 up type bridge &&
                ip -n "$SANDBOX_NS" link add brport type veth peer name brport-peer &&
                ip -n "$SANDBOX_NS" link set brport master br0 up &&
                ip -n "$SANDBOX_NS" link set brport-peer up
}

libvirt_guest_ready() {
        local log=$1/console.log

        grep -q -e 'VNIC-GUEST-FAILED' -e 'Kernel panic' "$log" 2>/dev/null && return 2
        [[ $(grep -c '^VNIC-GUEST-READY' "$log" 2>/dev/null) -ge ${2:-1} ]]
}

libvirt_scenario_xml() {
        local name=$1 dir=$2 on_reboot=${3:-destroy} metadata=${4:-} interfaces=${5:-}

        if [[ -z $interfaces ]]; then
                interfaces="$(libvirt_interface_xml trusted:uplink 52:54:00:12:34:50)
$(libvirt_interface_xml direct:uplink 52:54:00:12:34:51)
$(libvirt_interface_xml bridge:br0 52:54:00:12:34:52)"
        fi

        cat <<XML
<domain type='qemu'>
  <name>$name</name>
  <metadata>$metadata</metadata>
  <memory unit='MiB'>${SANDBOX_MEM:-256}</memory>
  <vcpu>${SANDBOX_VCPUS:-1}</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$SANDBOX_KERNEL</kernel>
    <initrd>$SANDBOX_INITRD</initrd>
    <cmdline>console=ttyS0 panic=-1 ${SANDBOX_APPEND:-}</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>$on_reboot</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='$dir/console.log' append='on'/>
      <target port='0'/>
    </serial>
    <channel type='unix'>
      <source mode='bind' path='$dir/agent.sock'/>
      <target type='virtio' name='org.vnicd.test.0'/>
    </channel>${LIBVIRT_QGA:+
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>}
$interfaces
    <memballoon model='none'/>
  </devices>
</domain>
XML
}

vnicd_libvirt_start() {
        local dir=$1 level=${2:-info}

        shift $(($# < 2 ? $# : 2))
        printf '[Manager]\nLogLevel=%s\nDebounceSec=%s\n%s\n' "$level" "${VNICD_DEBOUNCE:-0.02}" \
                "${VNICD_MANAGER_EXTRA:-}" >"$dir/vnicd.conf" || return 1
        VNICD_NSENTER_PID=$LIBVIRTD_PID
        if [[ -z $LIBVIRTD_NAME ]]; then
                vnicd_start "$dir/vnicd.conf" --libvirt-uri="$LIBVIRT_URI" "$@"
                return
        fi
        # A named daemon's vnicd: vnicd_start puts the bus and the log in $SANDBOX_DIR, here the
        # daemon's own directory (for this call only), so each "host" has its own of both.
        SANDBOX_DIR=$LIBVIRTD_DIR vnicd_start "$dir/vnicd.conf" --libvirt-uri="$LIBVIRT_URI" "$@"
}

# Saves the current named daemon's variables and loads NAME's (all empty for a new NAME).
libvirt_use() {
        local name=$1 v

        [[ -n $name ]] || { echo "libvirt_use: no name" >&2; return 1; }
        if [[ -n $LIBVIRTD_NAME ]]; then
                for v in "${__LIBVIRT_INSTANCE_VARS[@]}"; do
                        __libvirt_saved[$LIBVIRTD_NAME.$v]=${!v:-}
                done
        elif [[ -n ${LIBVIRTD_PID:-} ]]; then
                echo "libvirt_use: the unnamed libvirtd is running; name every daemon" >&2
                return 1
        fi
        for v in "${__LIBVIRT_INSTANCE_VARS[@]}"; do
                printf -v "$v" '%s' "${__libvirt_saved[$name.$v]:-}"
        done
        if [[ -n $DBUS_SYSTEM_BUS_ADDRESS ]]; then
                export DBUS_SYSTEM_BUS_ADDRESS
        else
                unset DBUS_SYSTEM_BUS_ADDRESS
        fi
        LIBVIRTD_NAME=$name
}

# The cleanup of a named daemon: its vnicd, libvirtd and bus, whichever daemon is current then.
__libvirt_instance_stop() {
        local name=$1 was=$LIBVIRTD_NAME

        libvirt_use "$name" || return 1
        ! declare -F vnicd_stop >/dev/null || vnicd_stop
        libvirtd_stop
        ! declare -F bus_stop >/dev/null || bus_stop
        [[ -z $was || $was == "$name" ]] || libvirt_use "$was"
}

libvirt_ns() {
        nsenter -t "$LIBVIRTD_PID" -m -n -- "$@"
}

virsh() {
        libvirt_ns virsh -q -c "$LIBVIRT_URI" "$@"
}

# virsh for the helpers here: bounded in time, so a hung daemon cannot hang the cleanup.
__virsh_within() {
        local s=$1
        shift
        timeout "$s" nsenter -t "$LIBVIRTD_PID" -m -n -- virsh -q -c "$LIBVIRT_URI" "$@"
}

# The host's passwd and group plus libvirt-qemu (the QEMU driver resolves it before reading
# qemu.conf, whose user = "root" then applies).
__libvirt_passwd() {
        local d=$1 id=64055

        cp /etc/passwd "$d/passwd" && cp /etc/group "$d/group" || return 1
        getent passwd libvirt-qemu >/dev/null && return 0
        while cut -d: -f3 "$d/passwd" "$d/group" | grep -qx "$id"; do
                id=$((id + 1))
        done
        echo "libvirt-qemu:x:$id:$id:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin" >>"$d/passwd"
        getent group libvirt-qemu >/dev/null || echo "libvirt-qemu:x:$id:" >>"$d/group"
}

__libvirt_config() {
        local d=$1

        printf '%s\n' \
                'unix_sock_group = "root"' \
                'unix_sock_rw_perms = "0700"' \
                'unix_sock_ro_perms = "0700"' \
                'auth_unix_rw = "none"' \
                'auth_unix_ro = "none"' \
                'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"' >"$d/etc/libvirtd.conf" || return 1
        # A named daemon is another host: libvirt tells hosts apart by this UUID only. Kept across
        # restarts, as a host's would be.
        if [[ -n $LIBVIRTD_NAME ]]; then
                [[ -s $d/host-uuid ]] || cat /proc/sys/kernel/random/uuid >"$d/host-uuid" || return 1
                echo "host_uuid = \"$(<"$d/host-uuid")\"" >>"$d/etc/libvirtd.conf" || return 1
        fi
        printf '%s\n' \
                'user = "root"' \
                'group = "root"' \
                'security_driver = "none"' \
                'namespaces = [ ]' \
                'cgroup_controllers = [ ]' \
                'stdio_handler = "file"' \
                'dynamic_ownership = 0' \
                'remember_owner = 0' >"$d/etc/qemu.conf"
}

# Runs as 'ip netns exec NS unshare -m bash -c ...' (a function, so it is passed by its text):
# makes the private mounts, then becomes libvirtd.
__libvirt_inner() {
        local d=$1 m

        set -eu
        mount --make-rprivate /
        for m in etc:/etc/libvirt run:/run/libvirt lib:/var/lib/libvirt log:/var/log/libvirt \
                 cache:/var/cache/libvirt; do
                __libvirt_ensure_dir "$d" "${m#*:}"
                mount --bind "$d/${m%%:*}" "${m#*:}"
        done
        mount --bind "$d/passwd" /etc/passwd
        mount --bind "$d/group" /etc/group
        exec libvirtd -p /run/libvirt/libvirtd.pid
}

# A directory the host lacks is made in a private overlay of its parent (in the daemon's mount
# namespace only), so the host gets no new directory.
__libvirt_ensure_dir() {
        local d=$1 dir=$2 parent up

        [[ -d $dir ]] && return 0
        parent=$(dirname "$dir")
        __libvirt_ensure_dir "$d" "$parent"
        up=$d/overlay/${parent//\//_}
        if [[ ! -d $up ]]; then
                mkdir -p "$up/upper" "$up/work"
                mount -t overlay overlay -o "lowerdir=$parent,upperdir=$up/upper,workdir=$up/work" "$parent"
        fi
        mkdir "$dir"
}

__libvirt_answers() {
        kill -0 "$LIBVIRTD_PID" 2>/dev/null || return 2
        __virsh_within 10 version >/dev/null 2>&1
}

# shellcheck disable=SC2120  # NAME: for tests with several daemons; this file restarts the current one
libvirtd_start() {
        local name=${1:-$LIBVIRTD_NAME} d lock t0 f rc

        [[ $name == "$LIBVIRTD_NAME" ]] || libvirt_use "$name" || return 1
        [[ -z ${LIBVIRTD_PID:-} ]] || { echo "libvirtd_start: already running" >&2; return 1; }
        [[ -n ${SANDBOX_NS:-} ]] || { echo "libvirtd_start: call setup_ns first" >&2; return 1; }
        require_cmd libvirtd virsh nsenter unshare flock
        __sandbox_dir || return 1
        d=$SANDBOX_DIR/libvirtd${name:+-$name}
        mkdir -p "$d"/{etc,run,lib,log,cache,overlay} "$VNIC_LIBVIRT_CACHE" || return 1
        __libvirt_passwd "$d" || return 1
        __libvirt_config "$d" || return 1
        exec {lock}>"$VNIC_LIBVIRT_CACHE/.lock"
        flock "$lock"
        cp -a "$VNIC_LIBVIRT_CACHE/." "$d/cache/"
        rm -f "$d/cache/.lock"
        exec {lock}>&-

        t0=$(date +%s%3N)
        # libvirtd gets stdio only (no pipe of whoever runs the test stays open in it); ip netns
        # exec and unshare exec in place, so $! ends up being libvirtd's PID.
        (
                for f in "/proc/$BASHPID/fd/"*; do
                        f=${f##*/}
                        [[ " 0 1 2 " == *" $f "* ]] || eval "exec $f>&-"
                done
                exec ip netns exec "$SANDBOX_NS" unshare -m --propagation private \
                        bash -c "$(declare -f __libvirt_inner __libvirt_ensure_dir); __libvirt_inner \"\$1\"" \
                        libvirtd-ns "$d"
        ) </dev/null >"$d/libvirtd.out" 2>&1 &
        LIBVIRTD_PID=$!
        LIBVIRTD_DIR=$d
        LIBVIRTD_LOG=$d/log/libvirtd.log
        # shellcheck disable=SC2034  # for the sourcing script
        LIBVIRT_REMOTE_URI="qemu+unix:///system?socket=$d/run/libvirt-sock"
        if [[ -z $name ]]; then
                defer libvirtd_stop
        else
                defer __libvirt_instance_stop "$name"
        fi

        busywait $((LIBVIRTD_TIMEOUT * 1000)) __libvirt_answers
        rc=$?
        if [[ $rc -ne 0 ]]; then
                if grep -qs -e 'no connection driver available' -e 'Failed to load module' "$d/libvirtd.out" "$LIBVIRTD_LOG"; then
                        skip "libvirtd has no QEMU driver (install libvirt-daemon-driver-qemu)"
                fi
                if grep -qs "unknown filesystem type 'overlay'" "$d/libvirtd.out"; then
                        skip "no overlayfs in this kernel: cannot give libvirtd directories the host lacks"
                fi
                [[ $rc -eq 2 ]] && echo "libvirtd_start: libvirtd exited" >&2 ||
                        echo "libvirtd_start: libvirtd did not answer within ${LIBVIRTD_TIMEOUT}s" >&2
                echo "--- libvirtd output:" >&2
                tail -n 20 "$d/libvirtd.out" >&2
                echo "--- libvirtd log:" >&2
                tail -n 20 "$LIBVIRTD_LOG" >&2 2>/dev/null
                return 1
        fi
        LIBVIRTD_START_MS=$(($(date +%s%3N) - t0))
        LIBVIRTD_MNTNS=$(readlink "/proc/$LIBVIRTD_PID/ns/mnt")
        log_info "libvirtd $LIBVIRTD_PID answers after $((LIBVIRTD_START_MS / 1000)).$(printf %03d $((LIBVIRTD_START_MS % 1000)))s"
}

libvirtd_restart() {
        local pid=$LIBVIRTD_PID

        kill -TERM "$pid" 2>/dev/null
        busywait 15000 __pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        LIBVIRTD_PID=
        # QEMUs started by the first daemon stay in its mount namespace: remember it for the cleanup.
        LIBVIRTD_OLD_MNTNS="${LIBVIRTD_OLD_MNTNS:-} $LIBVIRTD_MNTNS"
        libvirtd_start
}

libvirtd_stop() {
        local pid=${LIBVIRTD_PID:-} d=${LIBVIRTD_DIR:-} mntns=${LIBVIRTD_MNTNS:-} dom f q qns lock
        local -a qemus=()

        [[ -n $pid ]] || return 0
        for f in "$d"/run/qemu/*.pid; do
                [[ -s $f ]] && qemus+=("$(<"$f")")
        done
        if kill -0 "$pid" 2>/dev/null; then
                while read -r dom; do
                        [[ -z $dom ]] || __virsh_within 30 destroy "$dom" >/dev/null 2>&1
                done < <(__virsh_within 30 list --name 2>/dev/null)
                kill -TERM "$pid" 2>/dev/null
                busywait 15000 __pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
        # A QEMU the daemon started and did not end: only if that PID is still in its namespace.
        for q in "${qemus[@]}"; do
                qns=$(readlink "/proc/$q/ns/mnt" 2>/dev/null)
                [[ -n $mntns && -n $qns && " $mntns ${LIBVIRTD_OLD_MNTNS:-} " == *" $qns "* ]] || continue
                kill -KILL "$q" 2>/dev/null
                busywait 10000 __pid_gone "$q"
        done
        LIBVIRTD_PID=

        # The capability cache for the next start; libvirt rewrites what it found stale.
        if [[ -d $d/cache ]]; then
                exec {lock}>"$VNIC_LIBVIRT_CACHE/.lock"
                flock "$lock"
                cp -a -u "$d/cache/." "$VNIC_LIBVIRT_CACHE/" 2>/dev/null
                exec {lock}>&-
        fi
}
