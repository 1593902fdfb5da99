#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fetch-guest-agent.sh CACHE_DIR
#
# Puts Debian's qemu-guest-agent (qemu-ga) into CACHE_DIR without installing
# it, the way fetch-kernel.sh does the kernel: `apt-get download` (only when its
# .deb is not cached yet) and `dpkg-deb -x`.  Its libraries (glib, libnuma,
# liburing, libudev) are the host's, which qemu-system-x86 already pulls in;
# build-initramfs.sh copies them with it (--add).
#
# Prints one line on success:
#   QGA=<path to usr/sbin/qemu-ga>
#
# Exit status: 0 ok, 1 failure (message on stderr).  Concurrent runs on one
# CACHE_DIR serialise on CACHE_DIR/.lock.

set -euo pipefail

die() {
        echo "fetch-guest-agent: $*" >&2
        exit 1
}

[[ $# -eq 1 ]] || { echo "usage: fetch-guest-agent.sh CACHE_DIR" >&2; exit 2; }
cache=$1
pkg=qemu-guest-agent

command -v apt-get >/dev/null || die "apt-get not found (needs a Debian host)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
exec {lockfd}>"$cache/.lock"
flock "$lockfd"

root=$cache/$pkg
if [[ ! -e $root/.complete ]]; then
        debs=("$cache"/"$pkg"_*.deb)
        if [[ ! -e ${debs[0]} ]]; then
                (cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
                        die "apt-get download $pkg failed"
                debs=("$cache"/"$pkg"_*.deb)
                [[ -e ${debs[0]} ]] || die "apt-get download $pkg produced no .deb"
        fi
        tmp=$(mktemp -d "$cache/.extract.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        dpkg-deb -x "${debs[-1]}" "$tmp" || die "dpkg-deb -x ${debs[-1]} failed"
        touch "$tmp/.complete"
        rm -rf "$root"
        mv "$tmp" "$root"
        trap - EXIT
fi

qga=$root/usr/sbin/qemu-ga
[[ -x $qga ]] || die "$qga missing in $pkg"
echo "QGA=$qga"
