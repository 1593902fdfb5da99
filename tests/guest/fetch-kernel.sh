#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fetch-kernel.sh [--meta PKG] CACHE_DIR
#
# Puts Debian's current guest kernel into CACHE_DIR without installing it:
# the version comes from `apt-cache depends PKG` (default linux-image-amd64,
# Debian 12's 6.1; e.g. --meta linux-image-6.12-amd64 for the 6.12 that
# bookworm also ships, whose vhost workers are threads of their owner), the
# package is fetched with `apt-get download` (only when its .deb is not
# cached yet) and unpacked with `dpkg-deb -x`.  Nothing under /boot or
# /lib/modules of this machine is touched, no initramfs is generated.
#
# Prints three lines on success:
#   KVER=<version>            e.g. 6.1.0-56-amd64
#   KERNEL=<path to vmlinuz>
#   MODULES=<path to lib/modules/<version>>
#
# Exit status: 0 ok, 1 failure (message on stderr).  A second run with the
# kernel already unpacked only asks apt-cache for the version (well below 1 s).
# Concurrent runs on one CACHE_DIR serialise on CACHE_DIR/.lock.

set -euo pipefail

die() {
        echo "fetch-kernel: $*" >&2
        exit 1
}

usage() {
        echo "usage: fetch-kernel.sh [--meta PKG] CACHE_DIR" >&2
        exit 2
}

meta=linux-image-amd64
if [[ ${1:-} == --meta ]]; then
        [[ $# -ge 2 && $2 =~ ^linux-image-[a-z0-9.+-]+$ ]] || usage
        meta=$2
        shift 2
fi
[[ $# -eq 1 ]] || usage
cache=$1

command -v apt-cache >/dev/null || die "apt-cache not found (needs a Debian host)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"
command -v depmod >/dev/null || PATH=$PATH:/usr/sbin:/sbin
command -v depmod >/dev/null || die "depmod not found (apt-get install kmod)"

# "  Depends: linux-image-6.1.0-56-amd64" -> 6.1.0-56-amd64
# "  Depends: linux-image-6.12.117+deb12-amd64" -> 6.12.117+deb12-amd64
pkg=$(apt-cache depends "$meta" 2>/dev/null |
      sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1) || true # unknown: said below
[[ -n $pkg ]] || die "apt-cache depends $meta names no linux-image-<version> (run apt-get update?)"
kver=${pkg#linux-image-}
kver=${kver%-unsigned}

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
exec {lockfd}>"$cache/.lock"
flock "$lockfd"

root=$cache/$pkg
if [[ ! -e $root/.complete ]]; then
        debs=("$cache"/"$pkg"_*.deb)
        if [[ ! -e ${debs[0]} ]]; then
                # apt-get download writes into the current directory; a partial
                # file never gets the final name, so a failed run leaves nothing.
                (cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
                        die "apt-get download $pkg failed"
                debs=("$cache"/"$pkg"_*.deb)
                [[ -e ${debs[0]} ]] || die "apt-get download $pkg produced no .deb"
        fi

        tmp=$(mktemp -d "$cache/.extract.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        dpkg-deb -x "${debs[-1]}" "$tmp" || die "dpkg-deb -x ${debs[-1]} failed"
        # The package ships no modules.dep (the postinst would run depmod).
        depmod -b "$tmp" "$kver" || die "depmod -b for $kver failed"
        touch "$tmp/.complete"
        rm -rf "$root"
        mv "$tmp" "$root"
        trap - EXIT
fi

kernel=$root/boot/vmlinuz-$kver
modules=$root/lib/modules/$kver
[[ -f $kernel ]] || die "$kernel missing in $pkg"
[[ -f $modules/modules.dep ]] || die "$modules/modules.dep missing in $pkg"

echo "KVER=$kver"
echo "KERNEL=$kernel"
echo "MODULES=$modules"
