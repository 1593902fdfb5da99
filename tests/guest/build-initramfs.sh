#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# build-initramfs.sh [OPTIONS] MODULES_DIR OUTPUT
#
# Builds the sandbox guest's initramfs (newc cpio, gzip) at OUTPUT:
#   - /bin/busybox from busybox-static plus a symlink per applet,
#   - Debian's /usr/sbin/ip and /usr/sbin/ethtool with every library ldd lists
#     and the dynamic loader (busybox's own ip lacks maddr, vlan, allmulticast),
#   - the modules virtio_pci, virtio_net, virtio_console and 8021q from
#     MODULES_DIR (= .../lib/modules/<version>, as fetch-kernel.sh prints it)
#     with everything modules.dep says they need, dependencies first; .ko.xz,
#     .ko.gz and .ko.zst are stored uncompressed for busybox insmod,
#   - /init (guest-init.sh), /sbin/vnic-agent (guest-agent.sh), /sbin/vnic-qga
#     (guest-qga.sh: starts qemu-ga when one was added, see --add), /etc/inittab.
#
# Options:
#   --module NAME        load module NAME (and its dependencies) too
#   --add SRC[:DEST]     copy executable SRC to DEST (default: same path) together
#                        with the libraries ldd lists for it
#
# The output is written to a temporary name and renamed, so a reader never
# sees half an archive.  Runs in about a second; no network.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
modules=(virtio_pci virtio_net virtio_console 8021q)
adds=("/usr/sbin/ip" "/usr/sbin/ethtool")

die() {
        echo "build-initramfs: $*" >&2
        exit 1
}

usage() {
        echo "usage: build-initramfs.sh [--module NAME]... [--add SRC[:DEST]]... MODULES_DIR OUTPUT" >&2
        exit 2
}

while [[ $# -gt 0 ]]; do
        case $1 in
        --module) [[ $# -ge 2 ]] || usage; modules+=("$2"); shift 2 ;;
        --add)    [[ $# -ge 2 ]] || usage; adds+=("$2"); shift 2 ;;
        --) shift; break ;;
        -*) usage ;;
        *) break ;;
        esac
done
[[ $# -eq 2 ]] || usage
moddir=$1
out=$2

[[ -f $moddir/modules.dep ]] || die "$moddir/modules.dep not found"
for tool in cpio gzip ldd; do
        command -v "$tool" >/dev/null || die "$tool not found"
done

busybox=
for b in /bin/busybox /usr/bin/busybox; do
        if [[ -x $b ]] && ! ldd "$b" >/dev/null 2>&1; then
                busybox=$b
                break
        fi
done
[[ -n $busybox ]] || die "no statically linked busybox (apt-get install busybox-static)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/vnic-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,lib/modules}

install -m 0755 "$busybox" "$stage/bin/busybox"
# Every applet as a symlink, except where a real tool is copied below.
while read -r applet; do
        [[ -n $applet && ! -e $stage/$applet && ! -L $stage/$applet ]] || continue
        mkdir -p "$stage/$(dirname "$applet")"
        ln -s /bin/busybox "$stage/$applet"
done < <("$busybox" --list-full)

# Copies one file to the same path inside the image, resolving symlinks.
copy_file() {
        local src=$1 dest=${2:-$1}

        mkdir -p "$stage/$(dirname "$dest")"
        rm -f "$stage/$dest"
        cp -L "$src" "$stage/$dest"
}

add_binary() {
        local spec=$1 src dest lib

        src=${spec%%:*}
        dest=${spec#*:}
        [[ $spec == *:* ]] || dest=$src
        [[ -x $src ]] || die "$src not found (apt-get install iproute2 ethtool?)"
        copy_file "$src" "$dest"
        # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and
        # "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no file.
        while read -r lib; do
                copy_file "$lib"
        done < <(ldd "$src" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) (.*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p')
}

for a in "${adds[@]}"; do
        add_binary "$a"
done

# Module resolution: modules.dep maps "kernel/x/y.ko: dep.ko dep2.ko"; names
# use '_' and '-' interchangeably.  Dependencies are visited first, so the
# resulting list is a valid load order.
declare -A dep_of=() path_of=() seen=()
while IFS= read -r line; do
        mod=${line%%:*}
        deps=${line#*:}
        name=${mod##*/}
        name=${name%%.ko*}
        name=${name//-/_}
        path_of[$name]=$mod
        dep_of[$name]=$deps
done <"$moddir/modules.dep"

order=()
visit() {
        local name=${1//-/_} d dname

        [[ -z ${seen[$name]:-} ]] || return 0
        seen[$name]=1
        if [[ -z ${path_of[$name]:-} ]]; then
                if grep -q "/${name}.ko" "$moddir/modules.builtin" 2>/dev/null ||
                   grep -q "/${name//_/-}.ko" "$moddir/modules.builtin" 2>/dev/null; then
                        return 0   # built into the kernel
                fi
                die "module $name not in $moddir/modules.dep"
        fi
        for d in ${dep_of[$name]}; do
                dname=${d##*/}
                visit "${dname%%.ko*}"
        done
        order+=("$name")
}
for m in "${modules[@]}"; do
        visit "$m"
done

: >"$stage/etc/vnic-modules"
for name in "${order[@]}"; do
        src=$moddir/${path_of[$name]}
        dst=$stage/lib/modules/$name.ko
        case $src in
        *.ko)     cp "$src" "$dst" ;;
        *.ko.xz)  xz -dc "$src" >"$dst" ;;
        *.ko.gz)  gzip -dc "$src" >"$dst" ;;
        *.ko.zst) zstd -qdc "$src" >"$dst" ;;
        *) die "unknown module format: $src" ;;
        esac
        echo "$name" >>"$stage/etc/vnic-modules"
done

install -m 0755 "$here/guest-init.sh" "$stage/init"
install -m 0755 "$here/guest-agent.sh" "$stage/sbin/vnic-agent"
install -m 0755 "$here/guest-qga.sh" "$stage/sbin/vnic-qga"
cat >"$stage/etc/inittab" <<'INITTAB'
::respawn:/sbin/vnic-agent
::once:/sbin/vnic-qga
::ctrlaltdel:/bin/poweroff -f
INITTAB
echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
echo "root:x:0:" >"$stage/etc/group"
# The kernel opens /dev/console for /init before devtmpfs is mounted.
mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null || true

mkdir -p "$(dirname "$out")"
tmp_out=$(mktemp "$out.XXXXXX")
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
        cpio --null --reproducible --quiet -o -H newc -R 0:0) | gzip -n -6 >"$tmp_out"
chmod 0644 "$tmp_out"
mv -f "$tmp_out" "$out"
echo "build-initramfs: $out (modules: ${order[*]})" >&2
