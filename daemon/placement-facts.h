/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "cpu-set.h"

/* The host facts the placement policy takes (issue 8 part 6), read from a sysfs root ("/sys") and a
 * proc root ("/proc"), or a fixture tree in the tests; and the two writes placement makes. Only the
 * files named here are read or written. */

#define PLACEMENT_DEVICE_MAX 256 /* bytes of a device path below <sysfs>/devices, with the NUL */

/* A CPU list file (a sysfs cpulist, smp_affinity_list): 0, -errno from reading, -EINVAL/-ERANGE
 * when it does not parse. */
int cpu_list_file_read(const char *path, CpuSet *ret);

/* <sysfs>/devices/system/cpu/online and .../isolated (a kernel without the file isolates none). */
int host_cpus_read(const char *sysfs, CpuSet *ret_online, CpuSet *ret_isolated);

/* <sysfs>/devices/system/node/node'node'/cpulist. -ENOENT for a node the host does not have. */
int numa_node_cpus_read(const char *sysfs, int node, CpuSet *ret);

/* The NUMA node of network interface 'ifname': from its device (<sysfs>/class/net/IF/device) up
 * to the first ancestor whose numa_node is >= 0 (a virtio-net's virtio device has no numa_node,
 * its PCI parent has). '*ret_node' is -1 when no ancestor names one; 'ret_device' (may be NULL,
 * PLACEMENT_DEVICE_MAX bytes) gets the device path below <sysfs>/devices that named it, or the
 * interface's own device. -ENODEV: no such interface; -ENXIO: it has no device (virtual). */
int uplink_numa_node(const char *sysfs, const char *ifname, int *ret_node, char *ret_device);

/* The MSI IRQs of 'ifname': the msi_irqs directory of its PCI function (its device, or the first
 * PCI ancestor of a virtio device virtioN; never a bridge above that function), in
 * ascending order, in a malloc'ed array (NULL when none). 'ret_function' (may be NULL,
 * PLACEMENT_DEVICE_MAX bytes) gets that function's path below <sysfs>/devices, "" when the device
 * has no PCI function (a USB NIC: the xHCI above is another device). Returns the count: 0 also for a function without msi_irqs (INTx)
 * and for no PCI function; -ENODEV, -ENXIO as uplink_numa_node(); -ENOMEM. */
int uplink_msi_irqs(
                const char *sysfs, const char *ifname, unsigned **ret, size_t *ret_n, char *ret_function);

/* The handler names of 'n' IRQs from <proc>/interrupts, each into 'names[i]' ('size' bytes
 * each; "" when the IRQ has no line). Reads the file once. */
int irq_names_read(const char *proc, const unsigned *irqs, size_t n, char *names, size_t size);

/* <proc>/irq/N/smp_affinity_list: read, and write (-EIO: the kernel manages its affinity;
 * -EINVAL: no online CPU in the set). */
int irq_affinity_read(const char *proc, unsigned irq, CpuSet *ret);
int irq_affinity_write(const char *proc, unsigned irq, const CpuSet *s);

/* sched_getaffinity()/sched_setaffinity() of thread 'tid' as a CpuSet. -ESRCH: it is gone. */
int thread_affinity_get(pid_t tid, CpuSet *ret);
int thread_affinity_set(pid_t tid, const CpuSet *s);

/* The lowest pid under 'proc' whose comm is 'comm' (a process, not its threads) and whose real
 * uid ("Uid:" of its status) is 'uid': any user can name a process "irqbalance". 0 and '*ret'
 * set; -ESRCH when there is none. */
int process_find_by_comm(const char *proc, const char *comm, uid_t uid, pid_t *ret);
