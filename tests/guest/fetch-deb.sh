#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fetch-deb.sh CACHE_DIR PACKAGE
#
# Puts a Debian package's files into CACHE_DIR/PACKAGE without installing it
# (no maintainer script runs, nothing starts): `apt-get download` (only when its
# .deb is not cached yet) and `dpkg-deb -x`.  For programs the tests copy into a
# guest or the kernel VM (qemu-guest-agent, irqbalance); their libraries come
# from this machine, as build-initramfs.sh and run-in-vm.sh copy what ldd lists.
#
# Prints one line on success:
#   ROOT=<CACHE_DIR/PACKAGE, the unpacked tree>
#
# Exit status: 0 ok, 1 failure (message on stderr).  Concurrent runs on one
# CACHE_DIR serialise on CACHE_DIR/.lock.

set -euo pipefail

die() {
        echo "fetch-deb: $*" >&2
        exit 1
}

[[ $# -eq 2 && $2 =~ ^[a-z0-9][a-z0-9.+-]+$ ]] || { echo "usage: fetch-deb.sh CACHE_DIR PACKAGE" >&2; exit 2; }
cache=$1
pkg=$2

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
echo "ROOT=$root"
