/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "parse-util.h"
#include "placement-facts.h"
#include "proc-interrupts.h"
#include "proc-stat.h"

#define SYSFS_FILE_MAX      (64 * 1024)
#define INTERRUPTS_FILE_MAX (64 * 1024 * 1024) /* one line per IRQ, 11 bytes per CPU */
#define IRQ_MAX             (1u << 24)         /* the kernel's IRQ_BITMAP_BITS is below */

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(DIR *, closedir);

int cpu_list_file_read(const char *path, CpuSet *ret) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        r = read_virtual_file(path, SYSFS_FILE_MAX, &text, &size);
        if (r < 0)
                return r;
        /* A cpulist is text: a NUL inside is no list. */
        if (memchr(text, 0, size))
                return -EINVAL;
        text[size] = 0; /* read_virtual_file() keeps at least 4 KiB free behind the data */
        return cpu_set_from_string(text, ret);
}

int host_cpus_read(const char *sysfs, CpuSet *ret_online, CpuSet *ret_isolated) {
        char path[PATH_MAX];
        CpuSet online, isolated = {};
        int r;

        (void) snprintf(path, sizeof(path), "%s/devices/system/cpu/online", sysfs);
        r = cpu_list_file_read(path, &online);
        if (r < 0)
                return r;
        if (cpu_set_is_empty(&online))
                return -ENODATA;
        (void) snprintf(path, sizeof(path), "%s/devices/system/cpu/isolated", sysfs);
        r = cpu_list_file_read(path, &isolated);
        if (r < 0 && r != -ENOENT)
                return r;
        *ret_online = online;
        *ret_isolated = isolated;
        return 0;
}

int numa_node_cpus_read(const char *sysfs, int node, CpuSet *ret) {
        char path[PATH_MAX];

        if (node < 0)
                return -EINVAL;
        (void) snprintf(path, sizeof(path), "%s/devices/system/node/node%d/cpulist", sysfs, node);
        return cpu_list_file_read(path, ret);
}

/* The real path of IF's device and of <sysfs>/devices, which every ancestor looked at must be
 * below. */
static int uplink_device(const char *sysfs, const char *ifname, char dev[static PATH_MAX],
                char top[static PATH_MAX]) {
        char path[PATH_MAX];

        if (!ifname || strchr(ifname, '/') || streq(ifname, ".") || streq(ifname, ".."))
                return -EINVAL;
        (void) snprintf(path, sizeof(path), "%s/class/net/%s", sysfs, ifname);
        if (access(path, F_OK) < 0)
                return -ENODEV;
        (void) snprintf(path, sizeof(path), "%s/devices", sysfs);
        if (!realpath(path, top))
                return -errno;
        (void) snprintf(path, sizeof(path), "%s/class/net/%s/device", sysfs, ifname);
        if (!realpath(path, dev))
                return errno == ENOENT ? -ENXIO : -errno;
        if (strncmp(dev, top, strlen(top)) != 0 || dev[strlen(top)] != '/')
                return -ENXIO;
        return 0;
}

/* Goes one directory up; false when that would leave <sysfs>/devices. */
static bool device_parent(char *dev, const char *top) {
        char *slash = strrchr(dev, '/');

        if (!slash || (size_t) (slash - dev) <= strlen(top))
                return false;
        *slash = 0;
        return true;
}

/* numa_node of 'dev': the node, -1 for "-1" (none), -ENOENT without the file. */
static int device_numa_node(const char *dev) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX + 16], *e;
        size_t size;
        unsigned v;
        int r;

        (void) snprintf(path, sizeof(path), "%s/numa_node", dev);
        r = read_virtual_file(path, SYSFS_FILE_MAX, &text, &size);
        if (r < 0)
                return r;
        if (memchr(text, 0, size))
                return -EINVAL;
        text[size] = 0;
        e = text + strcspn(text, "\n");
        *e = 0;
        if (streq(text, "-1"))
                return -1;
        r = parse_decimal(text, 65535, &v);
        if (r < 0)
                return r;
        return (int) v;
}

int uplink_numa_node(const char *sysfs, const char *ifname, int *ret_node, char *ret_device) {
        char dev[PATH_MAX], top[PATH_MAX];
        int r;

        r = uplink_device(sysfs, ifname, dev, top);
        if (r < 0)
                return r;
        if (ret_device)
                (void) snprintf(ret_device, PLACEMENT_DEVICE_MAX, "%s", dev + strlen(top) + 1);
        do {
                int node = device_numa_node(dev);

                if (node >= 0) {
                        if (ret_device)
                                (void) snprintf(ret_device, PLACEMENT_DEVICE_MAX, "%s",
                                                dev + strlen(top) + 1);
                        *ret_node = node;
                        return 0;
                }
        } while (device_parent(dev, top));
        *ret_node = -1;
        return 0;
}

/* Whether 'dev' is on bus 'bus': its subsystem link ends in bus/<bus>. A PCI function's is
 * bus/pci; a PCI host bridge's directory "pciDDDD:BB" has none. */
static bool device_on_bus(const char *dev, const char *bus) {
        char path[PATH_MAX + 16], target[PATH_MAX];
        size_t len;
        ssize_t k;

        (void) snprintf(path, sizeof(path), "%s/subsystem", dev);
        k = readlink(path, target, sizeof(target) - 1);
        if (k < 0)
                return false;
        target[k] = 0;
        len = (size_t) k;
        (void) snprintf(path, sizeof(path), "/bus/%s", bus);
        return streq(target, path + 1) || (len > strlen(path) && streq(target + len - strlen(path), path));
}

int uplink_msi_irqs(
                const char *sysfs, const char *ifname, unsigned **ret, size_t *ret_n, char *ret_function) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ unsigned *irqs = NULL;
        char dev[PATH_MAX], top[PATH_MAX], path[PATH_MAX + 16];
        struct dirent *de;
        size_t n = 0;
        bool pci;
        int r;

        r = uplink_device(sysfs, ifname, dev, top);
        if (r < 0)
                return r;
        /* Up only from a virtio device (virtioN: its interrupts are its PCI function's) to its PCI
         * function, never past that: a bridge or root port above is another device. Any other
         * device (USB, platform) has no PCI function of its own: its host controller's IRQs are
         * not the NIC's. */
        while (!(pci = device_on_bus(dev, "pci")) && device_on_bus(dev, "virtio") && device_parent(dev, top))
                ;
        if (ret_function)
                (void) snprintf(ret_function, PLACEMENT_DEVICE_MAX, "%s", pci ? dev + strlen(top) + 1 : "");
        *ret = NULL;
        *ret_n = 0;
        if (!pci)
                return 0;
        (void) snprintf(path, sizeof(path), "%s/msi_irqs", dev);
        d = opendir(path);
        if (!d)
                return errno == ENOENT ? 0 : -errno; /* INTx */
        while ((de = readdir(d))) {
                unsigned irq, *l;

                if (parse_decimal(de->d_name, IRQ_MAX, &irq) < 0)
                        continue;
                if (n >= IRQ_MAX)
                        break;
                l = reallocarray(irqs, n + 1, sizeof(unsigned));
                if (!l)
                        return -ENOMEM;
                irqs = l;
                irqs[n++] = irq;
        }
        if (n > 0)
                qsort(irqs, n, sizeof(unsigned), cmp_unsigned);
        *ret = TAKE_PTR(irqs);
        *ret_n = n;
        return (int) MIN(n, (size_t) INT_MAX);
}

int irq_names_read(const char *proc, const unsigned *irqs, size_t n, char *names, size_t size) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        size_t len;
        int r;

        (void) snprintf(path, sizeof(path), "%s/interrupts", proc);
        r = read_virtual_file(path, INTERRUPTS_FILE_MAX, &text, &len);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (proc_interrupts_name(text, len, irqs[i], names + i * size, size) < 0)
                        names[i * size] = 0;
        return 0;
}

int irq_affinity_read(const char *proc, unsigned irq, CpuSet *ret) {
        char path[PATH_MAX];

        (void) snprintf(path, sizeof(path), "%s/irq/%u/smp_affinity_list", proc, irq);
        return cpu_list_file_read(path, ret);
}

int irq_affinity_write(const char *proc, unsigned irq, const CpuSet *s) {
        _cleanup_free_ char *list = cpu_set_to_string(s);
        _cleanup_close_ int fd = -EBADF;
        char path[PATH_MAX];
        size_t n;
        ssize_t k;

        if (!list)
                return -ENOMEM;
        if (list[0] == 0)
                return -EINVAL;
        (void) snprintf(path, sizeof(path), "%s/irq/%u/smp_affinity_list", proc, irq);
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY); /* as the shell's "echo >" */
        if (fd < 0)
                return -errno;
        /* One write(): the kernel parses what one call gives it. */
        n = strlen(list);
        k = write(fd, list, n);
        if (k < 0)
                return -errno;
        return (size_t) k == n ? 0 : -EIO;
}

int thread_affinity_get(pid_t tid, CpuSet *ret) {
        size_t size = CPU_ALLOC_SIZE(CPU_SET_NR_CPUS);
        cpu_set_t *mask = CPU_ALLOC(CPU_SET_NR_CPUS);
        CpuSet s = {};

        if (!mask)
                return -ENOMEM;
        if (sched_getaffinity(tid, size, mask) < 0) {
                int r = -errno;

                CPU_FREE(mask);
                return r;
        }
        for (unsigned cpu = 0; cpu < CPU_SET_NR_CPUS; cpu++)
                if (CPU_ISSET_S(cpu, size, mask))
                        (void) cpu_set_add(&s, cpu);
        CPU_FREE(mask);
        *ret = s;
        return 0;
}

int thread_affinity_set(pid_t tid, const CpuSet *s) {
        size_t size = CPU_ALLOC_SIZE(CPU_SET_NR_CPUS);
        cpu_set_t *mask;
        int cpu, r = 0;

        if (tid <= 0 || cpu_set_is_empty(s))
                return -EINVAL;
        mask = CPU_ALLOC(CPU_SET_NR_CPUS);
        if (!mask)
                return -ENOMEM;
        CPU_ZERO_S(size, mask);
        CPU_SET_FOREACH(cpu, s)
        CPU_SET_S((unsigned) cpu, size, mask);
        if (sched_setaffinity(tid, size, mask) < 0)
                r = -errno;
        CPU_FREE(mask);
        return r;
}

int process_find_by_comm(const char *proc, const char *comm, uid_t uid, pid_t *ret) {
        _cleanup_(closedirp) DIR *d = opendir(proc);
        struct dirent *de;
        pid_t best = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *text = NULL;
                char path[PATH_MAX];
                size_t size;
                unsigned pid;
                uid_t owner;

                if (parse_decimal(de->d_name, INT_MAX, &pid) < 0 || pid == 0)
                        continue;
                if (best > 0 && (pid_t) pid > best)
                        continue;
                (void) snprintf(path, sizeof(path), "%s/%u/comm", proc, pid);
                if (read_virtual_file(path, SYSFS_FILE_MAX, &text, &size) < 0)
                        continue; /* gone meanwhile */
                if (size > 0 && text[size - 1] == '\n')
                        size--;
                if (size != strlen(comm) || memcmp(text, comm, size) != 0)
                        continue;
                text = mfree(text);
                (void) snprintf(path, sizeof(path), "%s/%u/status", proc, pid);
                if (read_virtual_file(path, SYSFS_FILE_MAX, &text, &size) < 0 ||
                                proc_status_uid(text, size, &owner) < 0 || owner != uid)
                        continue; /* gone meanwhile, or another user's */
                best = (pid_t) pid;
        }
        if (best == 0)
                return -ESRCH;
        *ret = best;
        return 0;
}
