#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# vnic-qga: starts Debian's qemu-guest-agent on the virtio-serial port named
# org.qemu.guest_agent.0 (libvirt's <channel type='unix'><target type='virtio'
# name='org.qemu.guest_agent.0'/></channel>), in the foreground.  Run once by
# busybox init (not respawned: a test stops it to see an absent agent, and
# starts it again with '/sbin/vnic-qga &').  There is no udev in the guest, so
# the port is found by its name in sysfs.  A guest without the channel (or an
# image without qemu-ga) gives up after 30 s, silently.

NAME=org.qemu.guest_agent.0

[ -x /usr/sbin/qemu-ga ] || exit 0
i=0
while :; do
        for f in /sys/class/virtio-ports/*/name; do
                [ -r "$f" ] && [ "$(cat "$f")" = "$NAME" ] || continue
                d=${f%/name}
                mkdir -p /run/qga
                exec /usr/sbin/qemu-ga -m virtio-serial -p "/dev/${d##*/}" -t /run/qga \
                        -f /run/qga/qemu-ga.pid >/run/qga/qemu-ga.log 2>&1
        done
        i=$((i + 1))
        [ $i -le 300 ] || exit 0
        sleep 0.1
done
