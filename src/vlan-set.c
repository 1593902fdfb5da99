/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse-util.h"
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

size_t vlan_set_to_ranges(const VlanSet *s, VlanRange *ret, size_t max) {
        size_t n = 0, vid = bitmap_find(s->bits, VLAN_VID_COUNT, 0, true);

        while (vid < VLAN_VID_COUNT) {
                size_t end = bitmap_find(s->bits, VLAN_VID_COUNT, vid, false); /* one past the range */

                if (n < max)
                        ret[n] = (VlanRange){.begin = (uint16_t) vid, .end = (uint16_t) (end - 1)};
                n++;
                vid = bitmap_find(s->bits, VLAN_VID_COUNT, end, true);
        }
        return n;
}

char *vlan_set_to_string(const VlanSet *s) {
        size_t n = range_list_format(s->bits, VLAN_VID_COUNT, NULL, 0);
        char *buf;

        buf = malloc(n + 1);
        if (!buf)
                return NULL;
        (void) range_list_format(s->bits, VLAN_VID_COUNT, buf, n + 1);
        return buf;
}

int vlan_set_from_string(const char *s, VlanSet *ret) {
        VlanSet set;
        int r;

        if (!s || !ret)
                return -EINVAL;

        r = range_list_parse(s, set.bits, VLAN_VID_COUNT);
        if (r < 0)
                return r;
        *ret = set;
        return 0;
}
