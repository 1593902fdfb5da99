/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

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
