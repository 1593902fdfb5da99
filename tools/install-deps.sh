#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs, from Debian's archive only, what building and testing vnicd needs and is missing.
# Debian 12 (bookworm). Safe to run again: does nothing when all is there.
set -eu

packages=(
        # build
        build-essential meson ninja-build pkg-config clang clang-format libclang-rt-14-dev
        libsystemd-dev libjson-c-dev libnl-3-dev libnl-route-3-dev libxml2-dev libcmocka-dev libvirt-dev
        # tests and demo: links, guests, a private bus
        iproute2 ethtool jq socat cpio kmod busybox-static qemu-system-x86 dbus procps util-linux
        # a private libvirtd the tests start themselves; not libvirt-daemon-system, which would
        # start a daemon and a default network in the machine's own namespace
        libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
        git
)

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
        if [ "$(id -u)" -ne 0 ]; then
                echo "install-deps: missing packages: ${missing[*]}; run as root (or install them)." >&2
                exit 1
        fi
        echo "install-deps: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The guest kernel and qemu-guest-agent are downloaded (never installed) by the tests
# (tests/guest/fetch-kernel.sh, fetch-guest-agent.sh): apt's lists must know them.
if ! apt-cache depends linux-image-amd64 2>/dev/null | grep -q 'Depends: linux-image-' ||
   ! apt-cache show qemu-guest-agent >/dev/null 2>&1; then
        if [ "$(id -u)" -ne 0 ]; then
                echo "install-deps: apt does not know linux-image-amd64; run 'apt-get update' as root." >&2
                exit 1
        fi
        apt-get update -qq
fi
echo "install-deps: all build and test packages present."
