/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A multiqueue tap held the way QEMU holds one, for tests that have no QEMU with vhost:
 *
 *   tap-queues NAME QUEUES
 *
 * creates tap NAME with IFF_MULTI_QUEUE and opens it QUEUES times (one fd per queue pair, as QEMU
 * does for <driver queues='N'/>), all attached; prints "ready", then reads lines from stdin: a
 * number K attaches the first K queues and detaches the others (TUNSETQUEUE, what QEMU does when
 * the guest runs `ethtool -L <dev> combined K`), answered by "active K". The tap goes when we exit
 * (end of stdin or a signal). Exit status 2 on usage errors, 1 when a call fails. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define QUEUES_MAX 64

static int queue_open(const char *name) {
        struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE};
        int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

static int queue_set(int fd, int attach) {
        struct ifreq ifr = {.ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE};

        return ioctl(fd, TUNSETQUEUE, &ifr) < 0 ? -errno : 0;
}

int main(int argc, char *argv[]) {
        int fds[QUEUES_MAX], attached[QUEUES_MAX];
        char line[64], *end;
        long queues;

        if (argc != 3 || strlen(argv[1]) >= IFNAMSIZ) {
                fprintf(stderr, "usage: tap-queues NAME QUEUES\n");
                return 2;
        }
        queues = strtol(argv[2], &end, 10);
        if (*end || queues < 1 || queues > QUEUES_MAX) {
                fprintf(stderr, "tap-queues: QUEUES must be 1-%d\n", QUEUES_MAX);
                return 2;
        }
        for (long i = 0; i < queues; i++) {
                fds[i] = queue_open(argv[1]);
                if (fds[i] < 0) {
                        fprintf(stderr, "tap-queues: %s queue %ld: %s\n", argv[1], i, strerror(-fds[i]));
                        return 1;
                }
                attached[i] = 1;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        printf("ready\n");

        while (fgets(line, sizeof(line), stdin)) {
                long k = strtol(line, &end, 10);

                if (end == line || (*end && *end != '\n') || k < 1 || k > queues) {
                        fprintf(stderr, "tap-queues: not a number of queues 1-%ld: %s", queues, line);
                        continue;
                }
                /* Queue 0 stays attached (k >= 1), as QEMU's first queue does. */
                for (long i = 1; i < queues; i++) {
                        int want = i < k, r;

                        if (attached[i] == want)
                                continue;
                        r = queue_set(fds[i], want);
                        if (r < 0) {
                                fprintf(stderr, "tap-queues: queue %ld %s: %s\n", i,
                                                want ? "attach" : "detach", strerror(-r));
                                return 1;
                        }
                        attached[i] = want;
                }
                printf("active %ld\n", k);
        }
        return 0;
}
