/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <stddef.h>
#include <sys/types.h>

/* Which host interface backs one of QEMU's tap fds, for NICs whose configuration does not say.
 * QEMU 7.2 has no query-netdev; HMP 'info network' names the fd (or the tap's ifname), the QMP
 * socket's peer credentials give QEMU's pid, and /proc/<pid>/fd/<fd> is then either the tun
 * device (its fdinfo says "iff: NAME") or a macvtap's character device, matched by device number
 * against /sys/class/net/\*\/macvtap/tap*\/dev in our network namespace. Reads /proc and /sys only.
 *
 * Fills 'ret' and a short account of how in 'how' (e.g. "QEMU fd 11 = macvtap char device 246:1").
 * -ENOENT when the fd is gone, -ENODEV when it is not a tap we can name here. */
int host_device_from_qemu_fd(pid_t pid, int fd, char ret[static IFNAMSIZ], char *how, size_t how_size);
