/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct EtherAddr {
        uint8_t bytes[6];
} EtherAddr;

#define ETHER_ADDR_STRING_MAX 18 /* "xx:xx:xx:xx:xx:xx" + NUL */

/* Parses exactly "xx:xx:xx:xx:xx:xx" (hex, either case). Returns 0 or -EINVAL; 'ret' untouched
 * on failure. */
int ether_addr_from_string(const char *s, EtherAddr *ret);

/* Formats lower-case colon form into 'buf' and returns 'buf'. */
char *ether_addr_to_string(const EtherAddr *a, char buf[static ETHER_ADDR_STRING_MAX]);

int ether_addr_compare(const EtherAddr *a, const EtherAddr *b);

/* Sorts 'n' addresses ascending and drops duplicates; returns the new count. */
size_t ether_addr_sort_unique(EtherAddr *a, size_t n);

/* Writes the addresses of sorted, unique 'a' that are not in sorted, unique 'b' into 'ret' (room for
 * 'na' entries) and returns how many. */
size_t ether_addr_set_difference(
                const EtherAddr *a, size_t na, const EtherAddr *b, size_t nb, EtherAddr *ret);

static inline bool ether_addr_equal(const EtherAddr *a, const EtherAddr *b) {
        return memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

static inline bool ether_addr_is_multicast(const EtherAddr *a) {
        return a->bytes[0] & 0x01;
}

static inline bool ether_addr_is_zero(const EtherAddr *a) {
        static const EtherAddr zero = {};
        return ether_addr_equal(a, &zero);
}
