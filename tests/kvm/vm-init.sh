#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# /init of the kernel-VM tier (copied into the initramfs by run-in-vm.sh).
# Mounts the pseudo file systems, loads /etc/vnic-modules (modules.dep order,
# written by tests/guest/build-initramfs.sh), mounts the host's 9p share "out" at
# /out, then runs every test of /etc/vnic-kvm/tests ("NAME PATH" lines) in turn:
# output to /out/NAME.log, exit status to /out/NAME.rc, duration (s) to
# /out/NAME.time, and the console markers
#       VNIC-KVM-INIT <uptime>
#       VNIC-KVM-BEGIN <name>
#       VNIC-KVM-END <name> <rc>
#       VNIC-KVM-DONE
# then powers off.  Runs with busybox sh; the tests get bash as /bin/sh.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TMPDIR=/tmp

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
read -r up _ </proc/uptime
echo "VNIC-KVM-INIT $up"

mkdir -p /dev/pts /dev/shm /run /tmp /out
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
hostname vnic-kvm

fail() {
        echo "VNIC-KVM-FAILED $*"
        poweroff -f
        sleep 10
}

while read -r m; do
        insmod "/lib/modules/$m.ko" || echo "vnic-kvm: insmod $m failed"
done </etc/vnic-modules

mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /out ||
        fail "cannot mount the 9p share 'out' at /out"
/usr/sbin/ip link set lo up

# shellcheck disable=SC1091  # written by run-in-vm.sh
. /etc/vnic-kvm/env
mkdir -p "$VNIC_BUILD_DIR"

# Centiseconds since boot.
uptime_cs() {
        read -r _u _ </proc/uptime
        echo "${_u%.*}${_u#*.}" | sed 's/^0*//; s/^$/0/'
}

while read -r name path; do
        [ -n "$name" ] || continue
        echo "VNIC-KVM-BEGIN $name"
        t0=$(uptime_cs)
        (cd "$VNIC_BUILD_DIR" && exec timeout -k 10 "$VNIC_KVM_TIMEOUT" "$path") \
                </dev/null >"/out/$name.log" 2>&1
        rc=$?
        t1=$(uptime_cs)
        dt=$((t1 - t0))
        if [ "$dt" -ge $((VNIC_KVM_TIMEOUT * 100)) ]; then
                echo "vnic-kvm: $name timed out after ${VNIC_KVM_TIMEOUT}s (status $rc)" >>"/out/$name.log"
                [ "$rc" -ne 0 ] || rc=124
        fi
        printf '%d.%02d\n' $((dt / 100)) $((dt % 100)) >"/out/$name.time"
        echo "$rc" >"/out/$name.rc"
        echo "VNIC-KVM-END $name $rc"
done </etc/vnic-kvm/tests

sync
echo "VNIC-KVM-DONE"
if [ "$VNIC_KVM_SHELL" = 1 ]; then
        echo "vnic-kvm: results in /out; leave the shell to power off"
        setsid -c /bin/sh -l </dev/ttyS0 >/dev/ttyS0 2>&1
fi
poweroff -f
sleep 10
