#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# /init of the sandbox guest (copied into the initramfs by build-initramfs.sh).
# Mounts the pseudo file systems, loads the modules listed in /etc/vnic-modules
# (already in modules.dep order), brings lo and every eth* up, then hands PID 1
# to busybox init, which (re)spawns /sbin/vnic-agent from /etc/inittab.  The
# agent prints VNIC-GUEST-READY on the console once the host can talk to it.
#
# Debian's busybox-static runs its own applets before $PATH: the full iproute2
# is /usr/sbin/ip and must be called with its path.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Harmless if the kernel already opened /dev/console from the initramfs.
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /run /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
hostname vnic-guest

while read -r m; do
        insmod "/lib/modules/$m.ko" || echo "vnic-init: insmod $m failed"
done </etc/vnic-modules

/usr/sbin/ip link set lo up
# virtio_net registers its netdevs while insmod runs, so they exist by now.
for d in /sys/class/net/eth*; do
        [ -e "$d" ] || continue
        /usr/sbin/ip link set dev "${d##*/}" up || echo "vnic-init: cannot set ${d##*/} up"
done

exec /bin/busybox init
