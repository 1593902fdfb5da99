/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu-set.h"
#include "macro.h"
#include "parse-util.h"

#define WORDS ELEMENTSOF(((CpuSet *) NULL)->bits)

int cpu_set_add(CpuSet *s, unsigned cpu) {
        if (cpu >= CPU_SET_NR_CPUS)
                return -ERANGE;
        s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
        return 0;
}

void cpu_set_remove(CpuSet *s, unsigned cpu) {
        if (cpu >= CPU_SET_NR_CPUS)
                return;
        s->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}

bool cpu_set_contains(const CpuSet *s, unsigned cpu) {
        if (cpu >= CPU_SET_NR_CPUS)
                return false;
        return s->bits[cpu / 64] & (UINT64_C(1) << (cpu % 64));
}

size_t cpu_set_count(const CpuSet *s) {
        size_t n = 0;

        for (size_t i = 0; i < WORDS; i++)
                n += (size_t) __builtin_popcountll(s->bits[i]);
        return n;
}

bool cpu_set_is_empty(const CpuSet *s) {
        for (size_t i = 0; i < WORDS; i++)
                if (s->bits[i] != 0)
                        return false;
        return true;
}

bool cpu_set_equal(const CpuSet *a, const CpuSet *b) {
        return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

void cpu_set_intersect(CpuSet *s, const CpuSet *with) {
        for (size_t i = 0; i < WORDS; i++)
                s->bits[i] &= with->bits[i];
}

void cpu_set_subtract(CpuSet *s, const CpuSet *what) {
        for (size_t i = 0; i < WORDS; i++)
                s->bits[i] &= ~what->bits[i];
}

void cpu_set_union(CpuSet *s, const CpuSet *with) {
        for (size_t i = 0; i < WORDS; i++)
                s->bits[i] |= with->bits[i];
}

int cpu_set_next(const CpuSet *s, int after) {
        size_t cpu;

        if (after >= CPU_SET_NR_CPUS - 1)
                return -1;
        cpu = bitmap_find(s->bits, CPU_SET_NR_CPUS, after < 0 ? 0 : (size_t) after + 1, true);
        return cpu < CPU_SET_NR_CPUS ? (int) cpu : -1;
}

int cpu_set_nth(const CpuSet *s, size_t n) {
        for (size_t i = 0; i < WORDS; i++) {
                uint64_t w = s->bits[i];
                size_t k = (size_t) __builtin_popcountll(w);

                if (n >= k) {
                        n -= k;
                        continue;
                }
                /* The answer is in this word: drop its 'n' lowest set bits. */
                for (; n > 0; n--)
                        w &= w - 1;
                return (int) (i * 64 + (size_t) __builtin_ctzll(w));
        }
        return -1;
}

size_t cpu_set_format(const CpuSet *s, char *buf, size_t size) {
        return range_list_format(s->bits, CPU_SET_NR_CPUS, buf, size);
}

char *cpu_set_to_string(const CpuSet *s) {
        size_t n = cpu_set_format(s, NULL, 0);
        char *buf;

        buf = malloc(n + 1);
        if (!buf)
                return NULL;
        (void) cpu_set_format(s, buf, n + 1);
        return buf;
}

int cpu_set_from_string(const char *s, CpuSet *ret) {
        CpuSet set;
        int r;

        if (!s || !ret)
                return -EINVAL;

        r = range_list_parse(s, set.bits, CPU_SET_NR_CPUS);
        if (r < 0)
                return r;
        *ret = set;
        return 0;
}
