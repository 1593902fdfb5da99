#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fetch-guest-agent.sh CACHE_DIR
#
# Puts Debian's qemu-guest-agent (qemu-ga) into CACHE_DIR without installing
# it (fetch-deb.sh).  Its libraries (glib, libnuma, liburing, libudev) are the
# host's, which qemu-system-x86 already pulls in; build-initramfs.sh copies them
# with it (--add).
#
# Prints one line on success:
#   QGA=<path to usr/sbin/qemu-ga>
#
# Exit status: 0 ok, 1 failure (message on stderr).

set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: fetch-guest-agent.sh CACHE_DIR" >&2; exit 2; }
root=$("$(dirname "${BASH_SOURCE[0]}")/fetch-deb.sh" "$1" qemu-guest-agent | sed -n 's/^ROOT=//p')
qga=$root/usr/sbin/qemu-ga
[[ -n $root && -x $qga ]] || { echo "fetch-guest-agent: $qga missing in qemu-guest-agent" >&2; exit 1; }
echo "QGA=$qga"
