/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "placement-facts.h"

/* A fixture tree shaped like the kernel VM's (HOST-FACTS §1): two nodes, a virtio-net behind a PCI
 * expander bridge on node 1 whose virtio device has no numa_node, its PCI function has; a veth
 * without a device; a NIC whose ancestors all say -1 on INTx; a PCI NIC on INTx and a USB NIC, both
 * below devices (a PCIe root port, an xHCI controller) that have MSI IRQs of their own. */
static char root[] = "/tmp/test-placement-facts-XXXXXX";
static char sysfs[PATH_MAX], proc[PATH_MAX];

static void put(const char *path, const char *text) {
        char full[PATH_MAX + 64], *p;
        FILE *f;

        (void) snprintf(full, sizeof(full), "%s/%s", root, path);
        for (p = strchr(full + strlen(root) + 1, '/'); p; p = strchr(p + 1, '/')) {
                *p = 0;
                (void) mkdir(full, 0755);
                *p = '/';
        }
        if (!text) {
                assert_int_equal(mkdir(full, 0755), 0);
                return;
        }
        f = fopen(full, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void link_to(const char *path, const char *target) {
        char full[PATH_MAX + 64];

        (void) snprintf(full, sizeof(full), "%s/%s", root, path);
        assert_int_equal(symlink(target, full), 0);
}

#define PCI           "sys/devices/pci0000:08/0000:08:00.0/0000:09:01.0"
#define ROOT_PORT     "sys/devices/pci0000:10/0000:10:1c.0"
#define XHCI          "sys/devices/pci0000:10/0000:10:14.0"
#define SUBSYS_PCI    "../../../../bus/pci" /* only the links' last two components are looked at */
#define SUBSYS_VIRTIO "/sys/bus/virtio"

static int setup(void **state) {
        assert_non_null(mkdtemp(root));
        (void) snprintf(sysfs, sizeof(sysfs), "%s/sys", root);
        (void) snprintf(proc, sizeof(proc), "%s/proc", root);
        put("sys/devices/system/cpu/online", "0-3\n");
        put("sys/devices/system/cpu/isolated", "\n");
        put("sys/devices/system/node/node0/cpulist", "0-1\n");
        put("sys/devices/system/node/node1/cpulist", "2-3\n");
        put("sys/devices/pci0000:08/numa_node", "1\n");
        put(PCI "/numa_node", "1\n");
        put(PCI "/msi_irqs/28", "msix\n");
        put(PCI "/msi_irqs/27", "msix\n");
        put(PCI "/msi_irqs/26", "msix\n");
        put(PCI "/msi_irqs/notanirq", "msix\n");
        put(PCI "/virtio1/net/eth1/ifindex", "3\n");
        put("sys/class/net/placeholder", "");
        link_to("sys/class/net/eth1", "../../devices/pci0000:08/0000:08:00.0/0000:09:01.0/virtio1/net/eth1");
        link_to(PCI "/virtio1/net/eth1/device", "../../../virtio1");
        link_to(PCI "/subsystem", SUBSYS_PCI);
        link_to("sys/devices/pci0000:08/0000:08:00.0/subsystem", SUBSYS_PCI);
        put("sys/devices/pci0000:08/0000:08:00.0/msi_irqs/24", "msi\n"); /* the bridge's own */
        link_to(PCI "/virtio1/subsystem", SUBSYS_VIRTIO);
        put("sys/devices/virtual/net/veth0/ifindex", "4\n");
        link_to("sys/class/net/veth0", "../../devices/virtual/net/veth0");
        put("sys/devices/pci0000:00/numa_node", "-1\n");
        put("sys/devices/pci0000:00/0000:00:03.0/numa_node", "-1\n");
        put("sys/devices/pci0000:00/0000:00:03.0/virtio0/net/eth0/ifindex", "2\n");
        link_to("sys/class/net/eth0", "../../devices/pci0000:00/0000:00:03.0/virtio0/net/eth0");
        link_to("sys/devices/pci0000:00/0000:00:03.0/virtio0/net/eth0/device", "../../../virtio0");
        link_to("sys/devices/pci0000:00/0000:00:03.0/subsystem", SUBSYS_PCI);
        link_to("sys/devices/pci0000:00/0000:00:03.0/virtio0/subsystem", SUBSYS_VIRTIO);
        /* eth2: a PCI NIC on INTx below a root port with MSI; usb0: a USB NIC below an xHCI. */
        put(ROOT_PORT "/msi_irqs/40", "msi\n");
        link_to(ROOT_PORT "/subsystem", SUBSYS_PCI);
        put(ROOT_PORT "/0000:11:00.0/net/eth2/ifindex", "5\n");
        link_to(ROOT_PORT "/0000:11:00.0/subsystem", SUBSYS_PCI);
        link_to(ROOT_PORT "/0000:11:00.0/net/eth2/device", "../../../0000:11:00.0");
        link_to("sys/class/net/eth2", "../../devices/pci0000:10/0000:10:1c.0/0000:11:00.0/net/eth2");
        put(XHCI "/msi_irqs/50", "msi\n");
        link_to(XHCI "/subsystem", SUBSYS_PCI);
        put(XHCI "/usb1/1-1/1-1:1.0/net/usb0/ifindex", "6\n");
        link_to(XHCI "/usb1/subsystem", "/sys/bus/usb");
        link_to(XHCI "/usb1/1-1/subsystem", "/sys/bus/usb");
        link_to(XHCI "/usb1/1-1/1-1:1.0/subsystem", "/sys/bus/usb");
        link_to(XHCI "/usb1/1-1/1-1:1.0/net/usb0/device", "../../../1-1:1.0");
        link_to("sys/class/net/usb0", "../../devices/pci0000:10/0000:10:14.0/usb1/1-1/1-1:1.0/net/usb0");
        put("proc/interrupts", "           CPU0       CPU1       CPU2       CPU3\n"
                               " 26:   0   0   0   0   PCI-MSI 4718592-edge      virtio1-config\n"
                               " 27:   3   0   0   1   PCI-MSI 4718593-edge      virtio1-input.0\n"
                               "NMI:   0   0   0   0   Non-maskable interrupts\n");
        put("proc/irq/27/smp_affinity_list", "0-3\n");
        put("proc/irq/28/smp_affinity_list", "2,x\n");
        put("proc/1/comm", "init\n");
        /* 700 and 812 are users' processes named irqbalance (812 a setuid-root one); 750 has no
         * status; 900 is root's. */
        put("proc/700/comm", "irqbalance\n");
        put("proc/700/status", "Name:\tirqbalance\nUid:\t1000\t1000\t1000\t1000\n");
        put("proc/750/comm", "irqbalance\n");
        put("proc/812/comm", "irqbalance\n");
        put("proc/812/status", "Name:\tirqbalance\nUid:\t1000\t0\t0\t0\n");
        put("proc/900/comm", "irqbalance\n");
        put("proc/900/status", "Name:\tirqbalance\nUid:\t0\t0\t0\t0\n");
        put("proc/901/comm", "irqbalance\n");
        put("proc/901/status", "Name:\tirqbalance\nUid:\t0\t0\t0\t0\n");
        put("proc/self/comm", "irqbalance\n");
        return 0;
}

static int teardown(void **state) {
        char cmd[PATH_MAX + 16];

        (void) snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

static char *list(const CpuSet *s) {
        static char buf[64];

        (void) cpu_set_format(s, buf, sizeof(buf));
        return buf;
}

static void test_cpus(void **state) {
        CpuSet online, isolated, node;
        char other[PATH_MAX + 16];

        assert_int_equal(host_cpus_read(sysfs, &online, &isolated), 0);
        assert_string_equal(list(&online), "0-3");
        assert_true(cpu_set_is_empty(&isolated));
        assert_int_equal(numa_node_cpus_read(sysfs, 1, &node), 0);
        assert_string_equal(list(&node), "2-3");
        assert_int_equal(numa_node_cpus_read(sysfs, 2, &node), -ENOENT);
        assert_int_equal(numa_node_cpus_read(sysfs, -1, &node), -EINVAL);
        /* A kernel without the isolated file isolates nothing; without online: an error. */
        (void) snprintf(other, sizeof(other), "%s/nothing", root);
        assert_int_equal(host_cpus_read(other, &online, &isolated), -ENOENT);
}

static void test_numa_node(void **state) {
        char dev[PLACEMENT_DEVICE_MAX];
        int node = -7;

        assert_int_equal(uplink_numa_node(sysfs, "eth1", &node, dev), 0);
        assert_int_equal(node, 1);
        assert_string_equal(dev, "pci0000:08/0000:08:00.0/0000:09:01.0"); /* the PCI parent */
        assert_int_equal(uplink_numa_node(sysfs, "eth0", &node, dev), 0);
        assert_int_equal(node, -1);
        assert_string_equal(dev, "pci0000:00/0000:00:03.0/virtio0");
        assert_int_equal(uplink_numa_node(sysfs, "veth0", &node, dev), -ENXIO);
        assert_int_equal(uplink_numa_node(sysfs, "eth9", &node, dev), -ENODEV);
        assert_int_equal(uplink_numa_node(sysfs, "../x", &node, dev), -EINVAL);
}

static void test_irqs(void **state) {
        _cleanup_free_ unsigned *irqs = NULL;
        char names[3][32], function[PLACEMENT_DEVICE_MAX];
        size_t n = 0;
        CpuSet s;

        assert_int_equal(uplink_msi_irqs(sysfs, "eth1", &irqs, &n, function), 3);
        assert_string_equal(function, "pci0000:08/0000:08:00.0/0000:09:01.0"); /* not the bridge */
        assert_int_equal(n, 3);
        assert_int_equal(irqs[0], 26);
        assert_int_equal(irqs[1], 27);
        assert_int_equal(irqs[2], 28);
        assert_int_equal(irq_names_read(proc, irqs, n, &names[0][0], sizeof(names[0])), 0);
        assert_string_equal(names[0], "virtio1-config");
        assert_string_equal(names[1], "virtio1-input.0");
        assert_string_equal(names[2], ""); /* no line */

        assert_int_equal(irq_affinity_read(proc, 27, &s), 0);
        assert_string_equal(list(&s), "0-3");
        assert_int_equal(irq_affinity_read(proc, 28, &s), -EINVAL);
        assert_int_equal(irq_affinity_read(proc, 26, &s), -ENOENT);
        cpu_set_remove(&s, 0);
        s = (CpuSet){};
        (void) cpu_set_add(&s, 2);
        assert_int_equal(irq_affinity_write(proc, 27, &s), 0);
        assert_int_equal(irq_affinity_read(proc, 27, &s), 0);
        assert_string_equal(list(&s), "2");
        assert_int_equal(irq_affinity_write(proc, 27, &(CpuSet){}), -EINVAL);

        free(irqs);
        irqs = NULL;
        assert_int_equal(uplink_msi_irqs(sysfs, "eth0", &irqs, &n, function), 0);
        assert_int_equal(n, 0);
        assert_null(irqs);
        assert_string_equal(function, "pci0000:00/0000:00:03.0");
        assert_int_equal(uplink_msi_irqs(sysfs, "veth0", &irqs, &n, NULL), -ENXIO);
        /* INTx below a root port with MSI: none, the port's IRQ is not the NIC's. */
        assert_int_equal(uplink_msi_irqs(sysfs, "eth2", &irqs, &n, function), 0);
        assert_int_equal(n, 0);
        assert_null(irqs);
        assert_string_equal(function, "pci0000:10/0000:10:1c.0/0000:11:00.0");
        /* USB: the first PCI ancestor is the xHCI controller, another device: none, no function. */
        assert_int_equal(uplink_msi_irqs(sysfs, "usb0", &irqs, &n, function), 0);
        assert_int_equal(n, 0);
        assert_null(irqs);
        assert_string_equal(function, "");
}

static void test_threads(void **state) {
        CpuSet s, mine;
        pid_t pid = 0;

        assert_int_equal(thread_affinity_get(getpid(), &mine), 0);
        assert_false(cpu_set_is_empty(&mine));
        assert_int_equal(thread_affinity_set(getpid(), &mine), 0);
        assert_int_equal(thread_affinity_get(getpid(), &s), 0);
        assert_true(cpu_set_equal(&s, &mine));
        assert_int_equal(thread_affinity_set(getpid(), &(CpuSet){}), -EINVAL);
        assert_int_equal(thread_affinity_get(INT32_MAX, &s), -ESRCH);

        assert_int_equal(process_find_by_comm(proc, "irqbalance", 0, &pid), 0);
        assert_int_equal(pid, 900); /* the lowest of root's; "self" is no pid */
        assert_int_equal(process_find_by_comm(proc, "irqbalance", 1000, &pid), 0);
        assert_int_equal(pid, 700);
        assert_int_equal(process_find_by_comm(proc, "irqbalanc", 0, &pid), -ESRCH);
        assert_int_equal(process_find_by_comm(proc, "irqbalance", 5, &pid), -ESRCH);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_cpus),
                        cmocka_unit_test(test_numa_node),
                        cmocka_unit_test(test_irqs),
                        cmocka_unit_test(test_threads),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
