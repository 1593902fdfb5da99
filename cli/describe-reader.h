/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "macro.h"

/* Reading the document vnicd's Describe() returns (schema in vnicctl(8)): a root object with
 * "version", "daemon" and "guests", each guest with its "nics". Any field may be absent, null or
 * of an unexpected type; the getters report that as "nothing" instead of failing, and callers
 * print "-". All json_object pointers here are borrowed from the document. */

#define DESCRIBE_VERSION 1

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(json_object *, json_object_put);

/* Parses 'text' ('len' bytes), which must hold exactly one JSON object, into '*ret' (a new
 * reference). -EBADMSG for anything else, with '*ret_error' (optional) pointing to a static
 * description; -ENOMEM. */
int describe_parse(const char *text, size_t len, json_object **ret, const char **ret_error);

/* Value of string member 'key' of object 'o', or NULL (absent, null, not a string, 'o' not an
 * object). */
const char *describe_str(json_object *o, const char *key);

/* 1 or 0 for a boolean member 'key' of 'o'; -ENODATA when it is absent or not a boolean. */
int describe_bool(json_object *o, const char *key);

/* Stores integer member 'key' of 'o' in '*ret'; -ENODATA (ret untouched) when absent or not an
 * integer. */
int describe_int(json_object *o, const char *key, int64_t *ret);

/* Stores number member 'key' of 'o' (a double or an integer) in '*ret'; -ENODATA (ret untouched)
 * when absent or not a number. */
int describe_double(json_object *o, const char *key, double *ret);

/* Member 'key' of 'o' when it is an object (an array), else NULL. */
json_object *describe_object(json_object *o, const char *key);
json_object *describe_array(json_object *o, const char *key);

/* Length of array 'a'; 0 for NULL or a non-array. */
size_t describe_array_length(json_object *a);

/* Element 'i' of array 'a' (NULL past the end or for a non-array). */
json_object *describe_array_get(json_object *a, size_t i);

/* Element 'i' of array 'a' when it is an object, else NULL (a null or a stray value in a list of
 * guests or NICs is skipped, not shown). */
json_object *describe_array_get_object(json_object *a, size_t i);

/* Number of elements of array 'a' that are objects. */
size_t describe_array_count_objects(json_object *a);

/* Splits the command line selector "GUEST" or "GUEST/NIC". On success '*ret_guest' and
 * '*ret_nic' (NULL for "GUEST") are malloc'ed. -EINVAL for an empty guest or NIC part or more
 * than one '/'; -ENOMEM. */
int describe_parse_selector(const char *s, char **ret_guest, char **ret_nic);

/* Whether guest object 'g' (NIC object 'n') is selected by 'guest' ('nic'); NULL selects all. */
bool describe_guest_selected(json_object *g, const char *guest);
bool describe_nic_selected(json_object *n, const char *nic);

/* What 'guest' (NULL: everything) and 'nic' (NULL: the whole guest) select in 'doc': the
 * document itself, a guest object or a NIC object, stored in '*ret' (borrowed). -ENXIO when
 * nothing matches. */
int describe_select(json_object *doc, const char *guest, const char *nic, json_object **ret);

/* "demo/net0, demo/net1, web" (guests without NICs by name alone), or "none": malloc'ed in
 * '*ret'. Returns 0 or -ENOMEM. */
int describe_known(json_object *doc, char **ret);
