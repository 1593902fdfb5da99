/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "host-device.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(FILE *, fclose);
DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(DIR *, closedir);

/* A tun/tap fd: the kernel's fdinfo carries the interface name. */
static int tun_ifname(pid_t pid, int fd, char ret[static IFNAMSIZ]) {
        _cleanup_(fclosep) FILE *f = NULL;
        char path[64], line[256];

        (void) snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int) pid, fd);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char name[IFNAMSIZ + 1];

                if (sscanf(line, "iff: %16s", name) == 1 && strlen(name) < IFNAMSIZ) {
                        memcpy(ret, name, strlen(name) + 1);
                        return 0;
                }
        }
        return -ENODEV;
}

static int macvtap_by_devnum(dev_t devnum, char ret[static IFNAMSIZ]) {
        _cleanup_(closedirp) DIR *d = opendir("/sys/class/net");
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                _cleanup_(closedirp) DIR *t = NULL;
                struct dirent *te;
                char path[320];

                if (de->d_name[0] == '.' || strlen(de->d_name) >= IFNAMSIZ)
                        continue;
                (void) snprintf(path, sizeof(path), "/sys/class/net/%s/macvtap", de->d_name);
                t = opendir(path);
                if (!t)
                        continue;
                while ((te = readdir(t))) {
                        _cleanup_(fclosep) FILE *f = NULL;
                        unsigned maj, min;

                        if (strncmp(te->d_name, "tap", 3) != 0)
                                continue;
                        (void) snprintf(path, sizeof(path), "/sys/class/net/%s/macvtap/%.32s/dev",
                                        de->d_name, te->d_name);
                        f = fopen(path, "re");
                        if (f && fscanf(f, "%u:%u", &maj, &min) == 2 && makedev(maj, min) == devnum) {
                                memcpy(ret, de->d_name, strlen(de->d_name) + 1);
                                return 0;
                        }
                }
        }
        return -ENODEV;
}

int host_device_from_qemu_fd(pid_t pid, int fd, char ret[static IFNAMSIZ], char *how, size_t how_size) {
        char path[64], name[IFNAMSIZ];
        struct stat st;
        int r;

        if (pid <= 0 || fd < 0)
                return -EINVAL;
        (void) snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int) pid, fd);
        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISCHR(st.st_mode))
                return -ENODEV;

        r = tun_ifname(pid, fd, name);
        if (r >= 0) {
                (void) snprintf(how, how_size, "QEMU fd %d is a tap attached to %s", fd, name);
                memcpy(ret, name, sizeof(name));
                return 0;
        }
        r = macvtap_by_devnum(st.st_rdev, name);
        if (r < 0)
                return r;
        (void) snprintf(how, how_size, "QEMU fd %d is the character device %u:%u of macvtap %s", fd,
                        major(st.st_rdev), minor(st.st_rdev), name);
        memcpy(ret, name, sizeof(name));
        return 0;
}
