/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* D-Bus refuses a message whose strings are not valid UTF-8, so one bad byte in one guest's text
 * (a QEMU error, a NIC name cut in the middle of a character by a bounded buffer) would fail
 * Describe() for every guest. Text leaving vnicd passes through here. */

/* True when 's' is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF). */
bool utf8_is_valid(const char *s);

/* Returns a malloc'ed copy of 's' in which every byte that does not start a valid sequence is
 * replaced by '?'. NULL on OOM. */
char *utf8_make_valid(const char *s);
