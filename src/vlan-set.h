/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A set of 802.1Q VLAN ids 0..4095 as a value type (a bitmap; copy it with '='). VID 0 is the
 * priority tag a Linux guest with 8021q registers; 4095 is reserved. Whether they may be used is
 * for policies to decide, the set just holds them. */

#define VLAN_VID_COUNT 4096
#define VLAN_VID_MAX   4094 /* highest VID a port can be a member of */

typedef struct VlanSet {
        uint64_t bits[VLAN_VID_COUNT / 64];
} VlanSet;

typedef struct VlanRange {
        uint16_t begin, end; /* inclusive */
} VlanRange;

int vlan_set_add(VlanSet *s, unsigned vid); /* -ERANGE for vid >= 4096 */
void vlan_set_remove(VlanSet *s, unsigned vid);
bool vlan_set_contains(const VlanSet *s, unsigned vid);
size_t vlan_set_count(const VlanSet *s);
bool vlan_set_is_empty(const VlanSet *s);
bool vlan_set_equal(const VlanSet *a, const VlanSet *b);
void vlan_set_intersect(VlanSet *s, const VlanSet *with); /* s &= with */
void vlan_set_subtract(VlanSet *s, const VlanSet *what);  /* s &= ~what */

/* Compresses the set into ascending, maximal ranges. Writes at most 'max' ranges into 'ret' and
 * returns how many the whole set needs (so a caller can size the array by calling twice). */
size_t vlan_set_to_ranges(const VlanSet *s, VlanRange *ret, size_t max);

/* "10,20,100-110" form, as iproute2's bridge and libvirt's trunk lists print ranges. Empty set →
 * "". Returns a malloc'ed string or NULL on OOM. */
char *vlan_set_to_string(const VlanSet *s);

/* Parses the same form (whitespace around items allowed). -EINVAL on syntax, -ERANGE on a VID
 * above 4095 or a reversed range; 'ret' untouched on failure. */
int vlan_set_from_string(const char *s, VlanSet *ret);
