/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A set of CPU numbers as a value type: a fixed bitmap as large as the kernel's largest NR_CPUS,
 * 1 KiB; copy it with '='. It is not glibc's cpu_set_t (1024 CPUs): turning one into the other is
 * the caller's I/O glue. The text form is the kernel's CPU list ("0-3,8,10-11"), as
 * /proc/irq/N/smp_affinity_list, /sys/devices/system/node/nodeN/cpulist and
 * /sys/devices/system/cpu/isolated print it. */

#define CPU_SET_NR_CPUS 8192 /* CPUs 0..8191; the kernel's NR_CPUS is at most 8192 */

typedef struct CpuSet {
        uint64_t bits[CPU_SET_NR_CPUS / 64];
} CpuSet;

int cpu_set_add(CpuSet *s, unsigned cpu); /* -ERANGE for cpu >= CPU_SET_NR_CPUS */
void cpu_set_remove(CpuSet *s, unsigned cpu);
bool cpu_set_contains(const CpuSet *s, unsigned cpu);
size_t cpu_set_count(const CpuSet *s);
bool cpu_set_is_empty(const CpuSet *s);
bool cpu_set_equal(const CpuSet *a, const CpuSet *b);
void cpu_set_intersect(CpuSet *s, const CpuSet *with); /* s &= with */
void cpu_set_subtract(CpuSet *s, const CpuSet *what);  /* s &= ~what */
void cpu_set_union(CpuSet *s, const CpuSet *with);     /* s |= with */

/* The lowest CPU in 's' above 'after' (-1 starts from CPU 0), or -1 when there is none. */
int cpu_set_next(const CpuSet *s, int after);

/* The 'n'th lowest CPU in 's', counting from 0, or -1 when 's' has 'n' CPUs or fewer. */
int cpu_set_nth(const CpuSet *s, size_t n);

/* Walks the CPUs of 's' in ascending order; 'cpu' is an int declared by the caller. */
#define CPU_SET_FOREACH(cpu, s)                                                                             \
        for ((cpu) = cpu_set_next((s), -1); (cpu) >= 0; (cpu) = cpu_set_next((s), (cpu)))

/* Writes the CPU list of 's' into 'buf' of 'size' bytes ("" for the empty set), cut short if it does
 * not fit, NUL-terminated when 'size' > 0. Returns the length of the whole list, as snprintf() does.
 * Allocates nothing: for reasons in pure policies. */
size_t cpu_set_format(const CpuSet *s, char *buf, size_t size);

/* The CPU list of 's' as a malloc'ed string ("" for the empty set), or NULL on OOM. */
char *cpu_set_to_string(const CpuSet *s);

/* Parses a CPU list (blanks around items allowed, so the newline a sysfs file ends with too; empty
 * input is the empty set). -EINVAL on syntax, -ERANGE on a CPU >= CPU_SET_NR_CPUS or a reversed
 * range; 'ret' untouched on failure. */
int cpu_set_from_string(const char *s, CpuSet *ret);
