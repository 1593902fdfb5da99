/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Makes a real vhost-net worker for the kernel-VM tier, where no QEMU with vhost can run:
 *
 *   vhost-owner READY-FILE
 *
 * opens /dev/vhost-net and takes ownership (VHOST_SET_OWNER), which creates the worker named
 * "vhost-<our pid>" as QEMU's would be, writes our pid to READY-FILE and waits to be killed. The
 * worker stays idle (it runs only for queued vhost work), and goes when we exit. With
 * tests/tools/qmp-hostile answering query-cpus-fast with our pid as the vCPU thread, vnicd takes
 * us for the guest's QEMU. Exit status 77 when there is no /dev/vhost-net. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        FILE *f;
        int fd;

        if (argc != 2) {
                fprintf(stderr, "usage: vhost-owner READY-FILE\n");
                return 2;
        }
        fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "vhost-owner: /dev/vhost-net: %s\n", strerror(errno));
                return errno == ENOENT ? 77 : 1;
        }
        if (ioctl(fd, VHOST_SET_OWNER, NULL) < 0) {
                fprintf(stderr, "vhost-owner: VHOST_SET_OWNER: %s\n", strerror(errno));
                return 1;
        }
        f = fopen(argv[1], "we");
        if (!f || fprintf(f, "%d\n", (int) getpid()) < 0 || fclose(f) != 0) {
                fprintf(stderr, "vhost-owner: %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        for (;;)
                pause();
}
