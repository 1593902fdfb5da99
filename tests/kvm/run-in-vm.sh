#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# run-in-vm.sh [OPTIONS] -- TEST [TEST...]
#
# The kernel-VM tier (DESIGN.md, HOST-FACTS.md §1): boots Debian's kernel
# (tests/guest/fetch-kernel.sh and its cache) under qemu-system-x86_64 -accel tcg
# with an initramfs built for this run, runs every TEST inside, one after the
# other, and reports each one as meson would: "TEST name [ OK ]", "[FAIL]",
# "[SKIP]".  Exit status: 0 all passed (skips allowed), 1 a test failed or the VM
# did not finish, 77 all skipped (or no kernel can be had).
#
# A TEST is an executable (script or binary) on this machine; it runs inside the
# VM as root, with stdin /dev/null, cwd $VNIC_BUILD_DIR, under a timeout.
#
# Inside the VM (see README.md):
#   /vnic/src     the source tree (without .git and build directories)
#   /vnic/build   the build outputs given as TEST or --file, at their paths
#                 relative to the build directory
#   So a script finds its helpers as it does here ("$(dirname "$0")/../lib/...")
#   and VNIC_BUILD_DIR=/vnic/build, VNIC_SRC_DIR=/vnic/src, VNIC_KVM=1 are set.
#   Any other file goes to the same absolute path, or to /vnic/host/PATH when the
#   VM mounts over it (/tmp, /run, /dev, /proc, /sys).  ELF files bring the libraries
#   ldd lists (with an ASan build: libasan, libubsan).
#
# Options:
#   --kernel-meta PKG  boot the kernel Debian's metapackage PKG names (default
#                      linux-image-amd64, bookworm's 6.1; linux-image-6.12-amd64 is
#                      bookworm's 6.12, where vhost workers are threads of their
#                      owner): tests/guest/fetch-kernel.sh --meta PKG
#   --mem MB           guest memory (default 1024)
#   --smp N            vCPUs (default 2; --numa makes it 4)
#   --timeout S        per test, inside the VM (default 120; TERM, KILL 10 s later)
#   --boot-timeout S   QEMU start to /init (default 120)
#   --numa             two NUMA nodes (cpus 0-1 / 2-3, half the memory each) and a
#                      PCI expander bridge on node 1 with a pci-bridge "pbr1" behind
#                      it: put a device there with --qemu -device --qemu ...,bus=pbr1
#   --file SRC[:DEST]  copy SRC (file or directory) into the VM too; DEST is an
#                      absolute path inside the VM (default: see above)
#   --env NAME=VALUE   set NAME in the tests' environment; NAME=@PATH copies the
#                      host file PATH (as --file does) and sets NAME to its VM path
#   --deb PKG:PATH     one program of a Debian package, PATH inside it (e.g.
#                      irqbalance:/usr/sbin/irqbalance), at PATH in the VM with its
#                      libraries: tests/guest/fetch-deb.sh unpacks the package into
#                      the kernel cache without installing it; when that fails
#                      (offline) a warning, and the tests skip what needs it
#   --module NAME      load one more kernel module (and what it depends on)
#   --qemu ARG         one more QEMU argument (repeat for each word)
#   --netns-tap ID:QUEUES
#                      a multiqueue tap as QEMU netdev ID (QUEUES 1-256, e.g. for
#                      --qemu -device --qemu virtio-net-pci,netdev=ID,mq=on,vectors=2*QUEUES+2):
#                      a private network namespace made for this run holds the tap
#                      (multi_queue, left down, no other port: no frame leaves it) and
#                      QEMU runs inside it (ip netns exec, which keeps QEMU's PID); the
#                      namespace and its taps are deleted at exit.  Needs root.
#   --shell            the console on this terminal and a shell after the tests
#                      (for debugging by hand; leave the shell to power off)
#
# Environment:
#   VNIC_BUILD_DIR     meson build directory (default <source>/build)
#   VNIC_GUEST_CACHE   kernel cache (default $VNIC_BUILD_DIR/tests/guest/cache)
#   VNIC_TEST_KEEP=1   keep the work directory (console.log, qemu.cmdline,
#                      initrd.img, out/<test>.log|.rc) and print its path
#   VNIC_KVM_APPEND    extra kernel command line (e.g. "loglevel=7" instead of quiet)
#   ASAN_OPTIONS, UBSAN_OPTIONS, LSAN_OPTIONS and VNIC_TEST_* are passed into
#   the VM (defaults: detect_leaks=1, halt_on_error=1:print_stacktrace=1).

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src_root=$(cd "$here/../.." && pwd)
: "${VNIC_BUILD_DIR:=$src_root/build}"

vm_src=/vnic/src
vm_build=/vnic/build
kernel_meta=linux-image-amd64
mem=1024
smp=2
test_timeout=120
boot_timeout=120
numa=0
shell=0
files=()
debs=()
envs=()
modules=(bridge 8021q veth tun macvlan macvtap tap vhost vhost_iotlb vhost_net
         9p 9pnet 9pnet_virtio netfs virtio_pci virtio_net)
qemu_extra=()
netns_taps=()
tests=()

usage() {
        echo "usage: run-in-vm.sh [--kernel-meta PKG] [--mem MB] [--smp N] [--timeout S] [--boot-timeout S] [--numa]" >&2
        echo "                    [--file SRC[:DEST]]... [--deb PKG:PATH]... [--env NAME=VALUE|NAME=@PATH]..." >&2
        echo "                    [--module NAME]..." >&2
        echo "                    [--qemu ARG]... [--netns-tap ID:QUEUES]... [--shell]" >&2
        echo "                    -- TEST [TEST...]" >&2
        exit 2
}

die() {
        echo "run-in-vm: $*" >&2
        exit 1
}

skip() {
        echo "SKIP: $*"
        exit 77
}

while [[ $# -gt 0 ]]; do
        case $1 in
        --kernel-meta) [[ $# -ge 2 && $2 =~ ^linux-image-[a-z0-9.+-]+$ ]] || usage; kernel_meta=$2; shift 2 ;;
        --mem) [[ $# -ge 2 ]] || usage; mem=$2; shift 2 ;;
        --smp) [[ $# -ge 2 ]] || usage; smp=$2; shift 2 ;;
        --timeout) [[ $# -ge 2 ]] || usage; test_timeout=$2; shift 2 ;;
        --boot-timeout) [[ $# -ge 2 ]] || usage; boot_timeout=$2; shift 2 ;;
        --numa) numa=1; shift ;;
        --file) [[ $# -ge 2 ]] || usage; files+=("$2"); shift 2 ;;
        --deb) [[ $# -ge 2 && $2 =~ ^[a-z0-9][a-z0-9.+-]+:/ ]] || usage; debs+=("$2"); shift 2 ;;
        --env) [[ $# -ge 2 && $2 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || usage; envs+=("$2"); shift 2 ;;
        --module) [[ $# -ge 2 ]] || usage; modules+=("$2"); shift 2 ;;
        --qemu) [[ $# -ge 2 ]] || usage; qemu_extra+=("$2"); shift 2 ;;
        --netns-tap)
                if ! [[ $# -ge 2 && $2 =~ ^[A-Za-z][A-Za-z0-9_.-]*:([1-9][0-9]{0,2})$ ]] ||
                        ((BASH_REMATCH[1] > 256)); then
                        usage
                fi
                netns_taps+=("$2"); shift 2 ;;
        --shell) shell=1; shift ;;
        --) shift; tests=("$@"); break ;;
        *) usage ;;
        esac
done
[[ ${#tests[@]} -gt 0 ]] || usage
for n in "$mem" "$smp" "$test_timeout" "$boot_timeout"; do
        [[ $n =~ ^[1-9][0-9]*$ ]] || usage
done

for c in qemu-system-x86_64 cpio gzip ldd; do
        command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
if [[ ${#netns_taps[@]} -gt 0 ]]; then
        [[ $EUID -eq 0 ]] || skip "--netns-tap needs root (ip netns add)"
        [[ -c /dev/net/tun ]] || skip "--netns-tap: no /dev/net/tun"
fi
# Debian tools copied into the VM (with their libraries), as SRC:DEST for
# build-initramfs.sh --add: DEST is the command's path with /usr in front (Debian's
# /bin is /usr/bin), so $PATH (/usr/sbin:/usr/bin:/sbin:/bin) finds them before
# busybox's applets.  Required: what the tests and helpers use everywhere;
# optional: the bus and ethtool; userland: GNU coreutils & co, because scripts
# written on the host expect them (date +%s%3N, timeout's status 124, ps -o ...).
tools=()
add_tool() {
        local name=$1 need=$2 p dest

        p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P "$name") || {
                case $need in
                required) skip "$name not installed" ;;
                optional) echo "run-in-vm: warning: $name not installed, not in the VM" >&2 ;;
                esac
                return 0
        }
        dest=$p
        [[ $dest == /usr/* ]] || dest=/usr$dest
        tools+=("$(readlink -f "$p"):$dest")
}
for t in ip bridge jq bash; do
        add_tool "$t" required
done
for t in ethtool dbus-daemon busctl; do
        add_tool "$t" optional
done
userland=(grep sed awk find xargs flock unshare nsenter setsid ps pgrep pkill socat)
if command -v dpkg >/dev/null; then
        while IFS= read -r f; do
                [[ -f $f && -x $f ]] && userland+=("${f##*/}")
        done < <(dpkg -L coreutils 2>/dev/null | grep -E '^/(usr/)?bin/[^/]+$')
fi
for t in "${userland[@]}"; do
        add_tool "$t" userland
done

[[ -d $VNIC_BUILD_DIR ]] || die "build directory $VNIC_BUILD_DIR not found (set VNIC_BUILD_DIR)"
build_root=$(cd "$VNIC_BUILD_DIR" && pwd -P)
src_real=$(cd "$src_root" && pwd -P)
cache=${VNIC_GUEST_CACHE:-$build_root/tests/guest/cache}

# Where a file of this machine goes in the VM: build outputs and the source tree
# keep their relative paths (the build directory may lie inside the source tree).
vm_path_of() {
        local p

        p=$(readlink -f -- "$1") || return 1
        case $p in
        "$build_root"/*) echo "$vm_build/${p#"$build_root"/}" ;;
        "$src_real"/*) echo "$vm_src/${p#"$src_real"/}" ;;
        # The VM mounts over these: keep such a file under /vnic/host.
        /tmp/* | /run/* | /dev/* | /proc/* | /sys/* | /out/*) echo "/vnic/host$p" ;;
        *) echo "$p" ;;
        esac
}

# ---------------------------------------------------------------------------
# Work directory, cleanup

work=$(mktemp -d "${TMPDIR:-/tmp}/vnic-kvm.XXXXXX") || die "mktemp failed"
qemu_pid=
netns='' # --netns-tap: the namespace this run made

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
        local rc=$? i

        trap - EXIT
        if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
                kill -TERM "$qemu_pid" 2>/dev/null
                for ((i = 0; i < 50; i++)); do
                        kill -0 "$qemu_pid" 2>/dev/null || break
                        sleep 0.1
                done
                kill -KILL "$qemu_pid" 2>/dev/null
                wait "$qemu_pid" 2>/dev/null
        fi
        # QEMU is gone: the namespace holds only the taps, which go with it.
        if [[ -n $netns ]]; then
                ip netns del "$netns" || echo "run-in-vm: cannot delete network namespace $netns" >&2
        fi
        if [[ ${VNIC_TEST_KEEP:-0} == 1 ]]; then
                echo "run-in-vm: kept $work"
        else
                rm -rf "$work"
        fi
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

now_ms() {
        date +%s%3N
}

secs() {
        printf '%d.%01d' $(($1 / 1000)) $(($1 % 1000 / 100))
}

t_start=$(now_ms)

# ---------------------------------------------------------------------------
# Kernel and initramfs

kver='' kernel='' moddir=''
while IFS= read -r line; do
        case $line in
        KVER=*) kver=${line#KVER=} ;;
        KERNEL=*) kernel=${line#KERNEL=} ;;
        MODULES=*) moddir=${line#MODULES=} ;;
        esac
done < <("$src_root/tests/guest/fetch-kernel.sh" --meta "$kernel_meta" "$cache")
[[ -n $kernel && -f $kernel && -d $moddir ]] ||
        skip "no guest kernel (tests/guest/fetch-kernel.sh --meta $kernel_meta $cache failed; offline?)"

# Base archive: busybox-static, the Debian tools with their libraries and the
# loader, the modules in modules.dep order (/etc/vnic-modules).  It depends only
# on what is installed here, so it is kept in the build directory and rebuilt
# (about 4 s) when its inputs change: another kernel, module or tool list, a
# newer tests/guest script, modules.dep, busybox, tool or apt/dpkg run.
base_args=()
for m in "${modules[@]}"; do
        base_args+=(--module "$m")
done
inputs=("$src_root"/tests/guest/{build-initramfs.sh,guest-init.sh,guest-agent.sh}
        "$moddir/modules.dep" /var/lib/dpkg/status /bin/busybox /usr/bin/busybox)
for t in "${tools[@]}"; do
        base_args+=(--add "$t")
        inputs+=("${t%%:*}")
done
base=$build_root/tests/kvm/base-$kver.cpio.gz
key="$kver ${base_args[*]}"
mkdir -p "$(dirname "$base")" || die "cannot create $(dirname "$base")"
exec {lock}>"$base.lock"
flock "$lock"
stale=0
[[ -s $base && -f $base.key && $(<"$base.key") == "$key" ]] || stale=1
for f in "${inputs[@]}"; do
        [[ ! -e $f || ! $f -nt $base ]] || stale=1
done
if [[ $stale -eq 1 ]]; then
        "$src_root/tests/guest/build-initramfs.sh" "${base_args[@]}" "$moddir" "$base" \
                2>"$work/build-initramfs.log" || {
                cat "$work/build-initramfs.log" >&2
                die "tests/guest/build-initramfs.sh failed"
        }
        printf '%s\n' "$key" >"$base.key"
fi
exec {lock}>&-

# Overlay archive, unpacked by the kernel over the base one: our /init, bash as
# /bin/sh (busybox's sh runs its own applets before $PATH, so system("ip ...")
# would get busybox's ip), the source tree, the tests and files, their libraries.
stage=$work/overlay
mkdir -p "$stage"/{bin,etc/vnic-kvm,out,"${vm_src#/}","${vm_build#/}"}

# Copies SRC to DEST inside the image (symlinks resolved); for ELF files also
# every library ldd lists, at its own path.
stage_file() {
        local src=$1 dest=$2 lib

        mkdir -p "$stage/$(dirname "$dest")" || return 1
        rm -rf "${stage:?}/$dest"
        cp -L -- "$src" "$stage/$dest" || return 1
        [[ $(head -c 4 -- "$src" | od -An -c | tr -d ' ') == 177ELF ]] || return 0
        while read -r lib; do
                [[ -e $stage/$lib ]] && continue
                mkdir -p "$stage/$(dirname "$lib")" && cp -L -- "$lib" "$stage/$lib" || return 1
        done < <(ldd -- "$src" 2>/dev/null |
                 sed -n 's/.*=> \(\/[^ ]*\) (.*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p')
}

stage_path() {
        local src=$1 dest=$2 f

        if [[ -d $src ]]; then
                while IFS= read -r -d '' f; do
                        stage_file "$src/$f" "$dest/$f" || return 1
                done < <(cd "$src" && find . -type f -printf '%P\0')
        else
                stage_file "$src" "$dest"
        fi
}

# The source tree, minus .git, .cache (kernel cache) and every meson build
# directory (one with meson-private/) and build*/ (.gitignore).
prune=(-name .git -o -name .cache -o -type d -path './build*')
while IFS= read -r -d '' d; do
        prune+=(-o -path "./${d%/meson-private}")
done < <(cd "$src_real" && find . -mindepth 2 -maxdepth 3 -type d -name meson-private -printf '%P\0')
(cd "$src_real" && find . -mindepth 1 \( "${prune[@]}" \) -prune -o -print0 |
        cpio --null --quiet -pdm "$stage/${vm_src#/}") || die "copying the source tree failed"

for spec in "${files[@]}"; do
        src=${spec%%:*}
        [[ -e $src ]] || die "--file $src: not found"
        if [[ $spec == *:* ]]; then
                dest=${spec#*:}
                [[ $dest == /* ]] || die "--file $spec: DEST must be absolute"
        else
                dest=$(vm_path_of "$src")
        fi
        stage_path "$src" "$dest" || die "cannot copy $src"
done

for spec in "${debs[@]}"; do
        pkg=${spec%%:*} path=${spec#*:}
        root=$("$src_root/tests/guest/fetch-deb.sh" "$cache" "$pkg" | sed -n 's/^ROOT=//p')
        if [[ -z $root || ! -f $root$path ]]; then
                echo "run-in-vm: warning: no $path from Debian's $pkg (offline?), not in the VM" >&2
                continue
        fi
        stage_file "$root$path" "$path" || die "cannot copy $path of $pkg"
done

env_lines=()
for e in "${envs[@]}"; do
        v=${e#*=}
        if [[ $v == @* ]]; then
                v=${v#@}
                [[ -f $v ]] || die "--env $e: $v not found"
                dest=$(vm_path_of "$v")
                stage_file "$v" "$dest" || die "cannot copy $v"
                v=$dest
        fi
        env_lines+=("${e%%=*}=$v")
done

: >"$stage/etc/vnic-kvm/tests"
declare -A seen_name=()
names=()
for t in "${tests[@]}"; do
        [[ -f $t && -x $t ]] || die "test $t: not an executable file (not built? run ninja)"
        name=$(basename -- "$t")
        [[ -z ${seen_name[$name]:-} ]] || die "two tests named $name"
        seen_name[$name]=1
        names+=("$name")
        dest=$(vm_path_of "$t")
        stage_file "$t" "$dest" || die "cannot copy $t"
        printf '%s %s\n' "$name" "$dest" >>"$stage/etc/vnic-kvm/tests"
done

# dbus-daemon's own configuration (tests use tests/lib/bus.conf.in).
for f in /usr/share/dbus-1/system.conf /usr/share/dbus-1/session.conf; do
        [[ -f $f ]] && stage_file "$f" "$f"
done

ln -sf /usr/bin/bash "$stage/bin/bash"
ln -sf /usr/bin/bash "$stage/bin/sh"
install -m 0755 "$here/vm-init.sh" "$stage/init"

# The environment of the tests, read by /init with busybox sh.
shq() {
        printf "'%s'" "${1//\'/\'\\\'\'}"
}
{
        echo "export VNIC_KVM=1"
        echo "export VNIC_BUILD_DIR=$vm_build"
        echo "export VNIC_SRC_DIR=$vm_src"
        echo "export VNIC_KVM_TIMEOUT=$test_timeout"
        echo "export VNIC_KVM_SHELL=$shell"
        echo "export ASAN_OPTIONS=$(shq "${ASAN_OPTIONS:-detect_leaks=1}")"
        echo "export UBSAN_OPTIONS=$(shq "${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}")"
        [[ -z ${LSAN_OPTIONS:-} ]] || echo "export LSAN_OPTIONS=$(shq "$LSAN_OPTIONS")"
        while IFS= read -r v; do
                [[ $v == VNIC_TEST_KEEP ]] || echo "export $v=$(shq "${!v}")"
        done < <(compgen -e | grep '^VNIC_TEST_')
        for e in "${env_lines[@]}"; do
                echo "export ${e%%=*}=$(shq "${e#*=}")"
        done
} >"$stage/etc/vnic-kvm/env"

(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
        cpio --null --reproducible --quiet -o -H newc -R 0:0) | gzip -n -1 >"$work/overlay.cpio.gz" ||
        die "writing the overlay archive failed"
# The kernel unpacks concatenated archives in order; later entries replace earlier ones.
cat "$base" "$work/overlay.cpio.gz" >"$work/initrd.img" || die "writing initrd.img failed"
rm -rf "$stage" "$work/overlay.cpio.gz"
t_image=$(now_ms)

# ---------------------------------------------------------------------------
# QEMU

mkdir -p "$work/out"
if [[ $numa -eq 1 ]]; then
        smp=4
fi
# shellcheck disable=SC2054  # commas belong to QEMU options
qemu=(qemu-system-x86_64 -accel tcg -nodefaults -no-user-config -display none
      -name vnic-kvm -m "$mem" -smp "$smp" -no-reboot
      -kernel "$kernel" -initrd "$work/initrd.img"
      -append "console=ttyS0 panic=-1 quiet ${VNIC_KVM_APPEND:-}"
      -fsdev "local,id=fs0,path=$work/out,security_model=none"
      -device virtio-9p-pci,fsdev=fs0,mount_tag=out,bus=pci.0)
if [[ $numa -eq 1 ]]; then
        half=$((mem / 2))
        # shellcheck disable=SC2054
        qemu+=(-object "memory-backend-ram,id=m0,size=${half}M"
               -object "memory-backend-ram,id=m1,size=$((mem - half))M"
               -numa node,nodeid=0,cpus=0-1,memdev=m0
               -numa node,nodeid=1,cpus=2-3,memdev=m1
               -device pxb,id=pxb1,bus=pci.0,bus_nr=8,numa_node=1
               -device pci-bridge,id=pbr1,bus=pxb1,chassis_nr=1)
fi
if [[ $shell -eq 1 ]]; then
        qemu+=(-serial mon:stdio)
else
        qemu+=(-serial "file:$work/console.log")
fi
# --netns-tap: a namespace of this run with one multiqueue tap per netdev; QEMU runs in it.
qemu_prefix=()
netns_setup=()
if [[ ${#netns_taps[@]} -gt 0 ]]; then
        netns=vnic-kvm-$$-$RANDOM$RANDOM
        ip netns add "$netns" || { netns=''; die "--netns-tap: cannot create network namespace"; }
        netns_setup+=("ip netns add $netns")
        i=0
        for spec in "${netns_taps[@]}"; do
                id=${spec%%:*} queues=${spec#*:} tap=vkt$i
                i=$((i + 1))
                ip -n "$netns" tuntap add "$tap" mode tap multi_queue ||
                        die "--netns-tap $spec: cannot create tap $tap in $netns"
                netns_setup+=("ip -n $netns tuntap add $tap mode tap multi_queue")
                # shellcheck disable=SC2054
                qemu+=(-netdev "tap,id=$id,ifname=$tap,script=no,downscript=no,queues=$queues,vhost=off")
        done
        # ip netns exec execs QEMU: $! below is QEMU's PID.
        qemu_prefix=(ip netns exec "$netns")
fi
qemu+=("${qemu_extra[@]}")
{
        for c in "${netns_setup[@]}"; do
                echo "# first (deleted when this run ended): $c"
        done
        printf '%q ' "${qemu_prefix[@]}" "${qemu[@]}"
        echo
} >"$work/qemu.cmdline"

echo "run-in-vm: kernel $kver, ${#tests[@]} test(s), initrd $(($(stat -c %s "$work/initrd.img") / 1024)) KiB" \
        "built in $(secs $((t_image - t_start)))s"
init_ms=''
why=''
if [[ $shell -eq 1 ]]; then
        # By hand: no bound, the console is this terminal (Ctrl-a x quits QEMU).
        t_qemu=$(now_ms)
        "${qemu_prefix[@]}" "${qemu[@]}" 2>"$work/qemu.log"
        qemu_rc=$?
        t_end=$(now_ms)
        [[ $qemu_rc -eq 0 ]] || why="QEMU exited with status $qemu_rc"
else
        : >"$work/console.log"
        "${qemu_prefix[@]}" "${qemu[@]}" </dev/null >"$work/qemu.log" 2>&1 &
        qemu_pid=$!
        t_qemu=$(now_ms)

        # Bounded wait on QEMU: the boot, then every test's timeout plus slack.
        limit_ms=$(((boot_timeout + ${#tests[@]} * (test_timeout + 15) + 30) * 1000))
        while kill -0 "$qemu_pid" 2>/dev/null; do
                t=$(($(now_ms) - t_qemu))
                if [[ -z $init_ms ]]; then
                        if grep -q '^VNIC-KVM-INIT' "$work/console.log"; then
                                init_ms=$t
                        elif ((t > boot_timeout * 1000)); then
                                why="no /init within ${boot_timeout}s"
                                break
                        fi
                fi
                if ((t > limit_ms)); then
                        why="the VM did not power off within $((limit_ms / 1000))s"
                        break
                fi
                sleep 0.2
        done
        [[ -z $why ]] || kill -TERM "$qemu_pid" 2>/dev/null
        wait "$qemu_pid"
        qemu_rc=$?
        qemu_pid=''
        t_end=$(now_ms)
        if [[ -z $why && $qemu_rc -ne 0 ]]; then
                why="QEMU exited with status $qemu_rc"
        fi
        if [[ -z $why ]] && ! grep -q '^VNIC-KVM-DONE' "$work/console.log"; then
                why="the VM stopped before running every test"
        fi
fi

# ---------------------------------------------------------------------------
# Results

pass=0 fail=0 nskip=0
for name in "${names[@]}"; do
        echo "=== $name ==="
        [[ ! -f $work/out/$name.log ]] || cat "$work/out/$name.log"
        rc=
        [[ ! -f $work/out/$name.rc ]] || rc=$(<"$work/out/$name.rc")
        dur=
        [[ ! -f $work/out/$name.time ]] || dur=" ($(<"$work/out/$name.time")s)"
        case $rc in
        0) printf 'TEST %-50s [ OK ]%s\n' "$name" "$dur"; pass=$((pass + 1)) ;;
        77) printf 'TEST %-50s [SKIP]%s\n' "$name" "$dur"; nskip=$((nskip + 1)) ;;
        '') printf 'TEST %-50s [FAIL] no result: %s\n' "$name" "${why:-the VM stopped}"; fail=$((fail + 1)) ;;
        *) printf 'TEST %-50s [FAIL] exit status %s%s\n' "$name" "$rc" "$dur"; fail=$((fail + 1)) ;;
        esac
done

if [[ -n $why ]]; then
        echo "run-in-vm: $why"
        echo "--- QEMU log:"
        tail -n 20 "$work/qemu.log"
        if [[ -f $work/console.log ]]; then
                echo "--- console (last 40 lines):"
                tail -n 40 "$work/console.log"
        fi
fi
echo "run-in-vm: $pass passed, $fail failed, $nskip skipped;" \
        "image $(secs $((t_image - t_start)))s, QEMU start to /init $([[ -n $init_ms ]] && echo "$(secs "$init_ms")s" || echo unknown)," \
        "QEMU total $(secs $((t_end - t_qemu)))s, all $(secs $((t_end - t_start)))s"

if ((fail > 0)) || [[ -n $why ]]; then
        exit 1
elif ((pass == 0)); then
        exit 77
fi
exit 0
