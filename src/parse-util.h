/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "macro.h"

/* Small helpers shared by the parsers of outside input (QMP, rx filter, config file). */

#define EXCERPT_MAX 72 /* bytes string_excerpt() writes, with the NUL */

/* Stores a malloc'ed message made from 'format' in '*ret_error' (when 'ret_error' is not NULL) and
 * returns 'error', a negative errno. The old value of '*ret_error' is overwritten, not freed. Without memory
 * the message is dropped (NULL stored) and 'error' is still returned. */
int parse_error(char **ret_error, int error, const char *format, ...) _printf_(3, 4);

/* Copies a bounded, printable excerpt of 's' ('len' bytes, need not be NUL-terminated) into 'buf'
 * for use in a message: bytes outside printable ASCII become '?', '"' and '\' are kept, and a long
 * string is cut with "..." appended. Returns 'buf'. Hostile input never makes a message long. */
const char *string_excerpt(const char *s, size_t len, char buf[static EXCERPT_MAX]);

/* The words vnicd.conf and vnicd's metadata take for a boolean: yes/true/on/1 -> 1,
 * no/false/off/0 -> 0, anything else -EINVAL. */
int parse_boolean(const char *s);

/* Decimal digits only (no sign, no blanks, no leading '+'), at most 'max': 0, -EINVAL or -ERANGE. */
int parse_decimal(const char *s, unsigned max, unsigned *ret);
/* The same for a 64-bit counter: decimal digits only, -EINVAL, or -ERANGE past UINT64_MAX. */
int parse_decimal_u64(const char *s, uint64_t *ret);

/* Bitmaps of 'n_bits' bits (a multiple of 64) in uint64_t words, bit i in word i / 64, and their
 * range-list form, the one the kernel prints for cpulist files and smp_affinity_list ("0-3,8,10-11")
 * and iproute2 prints for VLANs. VlanSet and CpuSet are such bitmaps. */

/* The first index >= 'from' whose bit equals 'value', or 'n_bits' if none. */
size_t bitmap_find(const uint64_t *bits, size_t n_bits, size_t from, bool value);

/* Writes the range list of 'bits' (ascending, maximal ranges; "" when none is set) into 'buf' of
 * 'size' bytes, cut short if it does not fit and NUL-terminated when 'size' > 0. Returns the length
 * of the whole list without the NUL, as snprintf() does; 'buf' may be NULL when 'size' is 0. */
size_t range_list_format(const uint64_t *bits, size_t n_bits, char *buf, size_t size);

/* Parses a range list into 'bits' (cleared first): items "N" or "N-M" (decimal, inclusive) joined
 * by ',', blanks (a trailing newline too) allowed around items and numbers; empty or blank input is
 * the empty set. Overlapping and unordered items are fine. -EINVAL on syntax, -ERANGE for a number
 * >= 'n_bits' (however long) or a reversed range; the contents of 'bits' are unspecified then. */
int range_list_parse(const char *s, uint64_t *bits, size_t n_bits);

/* The index of 's' in 'table' ('n' entries, NULL entries skipped), or -EINVAL. */
int string_table_lookup(const char *const *table, int n, const char *s);

static inline void json_object_putp(json_object **p) {
        if (*p)
                (void) json_object_put(*p);
}

/* Parses 'text' ('len' bytes, need not be NUL-terminated) as exactly one JSON value, strictly
 * (valid UTF-8 only), at most 'depth' levels deep as json-c counts them. Error messages start
 * with 'what' ("QMP message"). Returns 0 and the value in '*ret' (NULL for JSON null), -EINVAL for
 * bad or trailing data, -E2BIG for deeper nesting, -ENOMEM. */
int json_parse_bounded(const char *what, const char *text, size_t len, int depth, json_object **ret,
                char **ret_error);
