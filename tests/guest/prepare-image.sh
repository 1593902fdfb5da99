#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# prepare-image.sh: fetch the guest kernel and (re)build the sandbox initramfs
# now, as the tests would on first use; prints KVER=, KERNEL= and INITRD=.
# Used by `ninja -C build guest-image`; needs VNIC_BUILD_DIR (meson sets it).

# shellcheck source=../lib/sandbox.sh
source "$(dirname "$0")/../lib/sandbox.sh"

sandbox_image || exit 1
echo "KVER=$SANDBOX_KVER"
echo "KERNEL=$SANDBOX_KERNEL"
echo "INITRD=$SANDBOX_INITRD"
echo "QGA=$SANDBOX_QGA"
