/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "vlan-set.h"

#define WORDS ELEMENTSOF(((VlanSet *) NULL)->bits)

int vlan_set_add(VlanSet *s, unsigned vid) {
        if (vid >= VLAN_VID_COUNT)
                return -ERANGE;
        s->bits[vid / 64] |= UINT64_C(1) << (vid % 64);
        return 0;
}

void vlan_set_remove(VlanSet *s, unsigned vid) {
        if (vid >= VLAN_VID_COUNT)
                return;
        s->bits[vid / 64] &= ~(UINT64_C(1) << (vid % 64));
}

bool vlan_set_contains(const VlanSet *s, unsigned vid) {
        if (vid >= VLAN_VID_COUNT)
                return false;
        return s->bits[vid / 64] & (UINT64_C(1) << (vid % 64));
}

size_t vlan_set_count(const VlanSet *s) {
        size_t n = 0;

        for (size_t i = 0; i < WORDS; i++)
                n += (size_t) __builtin_popcountll(s->bits[i]);
        return n;
}

bool vlan_set_is_empty(const VlanSet *s) {
        for (size_t i = 0; i < WORDS; i++)
                if (s->bits[i] != 0)
                        return false;
        return true;
}

bool vlan_set_equal(const VlanSet *a, const VlanSet *b) {
        return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

void vlan_set_intersect(VlanSet *s, const VlanSet *with) {
        for (size_t i = 0; i < WORDS; i++)
                s->bits[i] &= with->bits[i];
}

void vlan_set_subtract(VlanSet *s, const VlanSet *what) {
        for (size_t i = 0; i < WORDS; i++)
                s->bits[i] &= ~what->bits[i];
}

/* Index of the first VID >= 'from' whose bit equals 'value', or VLAN_VID_COUNT. Works a word at a
 * time, so walking a full set costs 64 steps, not 4096. */
static unsigned find_next(const VlanSet *s, unsigned from, bool value) {
        while (from < VLAN_VID_COUNT) {
                uint64_t w = s->bits[from / 64];

                if (!value)
                        w = ~w;
                w &= ~UINT64_C(0) << (from % 64);
                if (w != 0)
                        return (from & ~63u) + (unsigned) __builtin_ctzll(w);
                from = (from & ~63u) + 64;
        }
        return VLAN_VID_COUNT;
}

size_t vlan_set_to_ranges(const VlanSet *s, VlanRange *ret, size_t max) {
        size_t n = 0;

        for (unsigned vid = find_next(s, 0, true); vid < VLAN_VID_COUNT; vid = find_next(s, vid, true)) {
                unsigned end = find_next(s, vid, false);

                if (n < max)
                        ret[n] = (VlanRange){.begin = (uint16_t) vid, .end = (uint16_t) (end - 1)};
                n++;
                vid = end;
        }
        return n;
}

char *vlan_set_to_string(const VlanSet *s) {
        VlanRange ranges[VLAN_VID_COUNT / 2];
        size_t n;
        char *buf, *p;

        n = vlan_set_to_ranges(s, ranges, ELEMENTSOF(ranges));

        /* Worst case is "0-1,3-4,…": at most "4094-4095," per range, 10 bytes, and the NUL. */
        buf = malloc(n * 10 + 1);
        if (!buf)
                return NULL;

        p = buf;
        *p = 0;
        for (size_t i = 0; i < n; i++) {
                const char *sep = i > 0 ? "," : "";

                if (ranges[i].begin == ranges[i].end)
                        p += sprintf(p, "%s%u", sep, ranges[i].begin);
                else
                        p += sprintf(p, "%s%u-%u", sep, ranges[i].begin, ranges[i].end);
        }
        return buf;
}

static const char *skip_space(const char *p) {
        while (*p != 0 && isspace((unsigned char) *p))
                p++;
        return p;
}

/* Reads a decimal VID at '*p'. A number too large for a VID is -ERANGE however many digits it has;
 * we stop accumulating early so nothing overflows. */
static int parse_vid(const char **p, unsigned *ret) {
        const char *q = *p;
        unsigned v = 0;
        bool big = false;

        if (!isdigit((unsigned char) *q))
                return -EINVAL;
        for (; isdigit((unsigned char) *q); q++) {
                if (!big)
                        v = v * 10 + (unsigned) (*q - '0');
                if (v >= VLAN_VID_COUNT)
                        big = true;
        }
        if (big)
                return -ERANGE;

        *p = q;
        *ret = v;
        return 0;
}

int vlan_set_from_string(const char *s, VlanSet *ret) {
        VlanSet set = {};
        const char *p;
        int r;

        if (!s || !ret)
                return -EINVAL;

        p = skip_space(s);
        if (*p == 0) {
                *ret = set;
                return 0;
        }

        for (;;) {
                unsigned begin, end;

                p = skip_space(p);
                r = parse_vid(&p, &begin);
                if (r < 0)
                        return r;
                end = begin;

                p = skip_space(p);
                if (*p == '-') {
                        p = skip_space(p + 1);
                        r = parse_vid(&p, &end);
                        if (r < 0)
                                return r;
                        if (end < begin)
                                return -ERANGE;
                        p = skip_space(p);
                }

                for (unsigned vid = begin; vid <= end; vid++)
                        (void) vlan_set_add(&set, vid);

                if (*p == 0)
                        break;
                if (*p != ',')
                        return -EINVAL;
                p++;
        }

        *ret = set;
        return 0;
}
