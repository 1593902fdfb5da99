/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "ether-addr.h"
#include "macro.h"

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

int ether_addr_from_string(const char *s, EtherAddr *ret) {
        EtherAddr a;

        if (!s || !ret)
                return -EINVAL;

        /* Exactly six two-digit groups: no sscanf(), which would take "1:2:3:4:5:6", signs and
         * trailing junk. The length check comes first so we never read past the NUL. */
        if (strnlen(s, ETHER_ADDR_STRING_MAX) != ETHER_ADDR_STRING_MAX - 1)
                return -EINVAL;

        for (size_t i = 0; i < 6; i++) {
                const char *p = s + i * 3;
                int hi, lo;

                hi = unhex(p[0]);
                lo = unhex(p[1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                if (i < 5 && p[2] != ':')
                        return -EINVAL;
                a.bytes[i] = (uint8_t) (hi << 4 | lo);
        }

        *ret = a;
        return 0;
}

char *ether_addr_to_string(const EtherAddr *a, char buf[static ETHER_ADDR_STRING_MAX]) {
        (void) snprintf(buf, ETHER_ADDR_STRING_MAX, "%02x:%02x:%02x:%02x:%02x:%02x", a->bytes[0],
                        a->bytes[1], a->bytes[2], a->bytes[3], a->bytes[4], a->bytes[5]);
        return buf;
}

int ether_addr_compare(const EtherAddr *a, const EtherAddr *b) {
        return memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

static int ether_addr_compare_qsort(const void *a, const void *b) {
        return ether_addr_compare(a, b);
}

size_t ether_addr_sort_unique(EtherAddr *a, size_t n) {
        size_t k = 0;

        if (n == 0)
                return 0;

        qsort(a, n, sizeof(EtherAddr), ether_addr_compare_qsort);
        for (size_t i = 1; i < n; i++)
                if (!ether_addr_equal(&a[k], &a[i]))
                        a[++k] = a[i];
        return k + 1;
}

size_t ether_addr_set_difference(
                const EtherAddr *a, size_t na, const EtherAddr *b, size_t nb, EtherAddr *ret) {
        size_t i = 0, j = 0, k = 0;

        /* A merge walk over two sorted sets: O(na + nb). */
        while (i < na) {
                int c = j < nb ? ether_addr_compare(&a[i], &b[j]) : -1;

                if (c < 0)
                        ret[k++] = a[i++];
                else if (c > 0)
                        j++;
                else {
                        i++;
                        j++;
                }
        }
        return k;
}
