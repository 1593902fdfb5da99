/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

/* The text and JSON renderers of vnicctl. They read the document vnicd's Describe() returns
 * (see describe-reader.h) and write to 'f'; no D-Bus here, so tests feed them captured documents. Both
 * text renderers print "-" for anything absent or null. */

typedef enum JsonFormat {
        JSON_FORMAT_OFF,    /* text tables */
        JSON_FORMAT_SHORT,  /* one line */
        JSON_FORMAT_PRETTY, /* indented, two spaces */
        _JSON_FORMAT_MAX,
        _JSON_FORMAT_INVALID = -EINVAL,
} JsonFormat;

/* "off", "short", "pretty" → the format, or -EINVAL. */
JsonFormat json_format_from_string(const char *s);

/* Prints 'o' unchanged (members in the daemon's order, numbers as it wrote them) followed by a
 * newline. Returns 0, -EINVAL for JSON_FORMAT_OFF, or -EIO. */
int render_json(json_object *o, JsonFormat format, FILE *f);

/* The guest's per-queue figures of a NIC's "queues" object (MultiqueueGuestStats=), for show and
 * explain alike: "eth0 read WHEN: queue 0 120/s, queue 1 3400/s; busiest queue 1 (97%), 1 carrying"
 * (counters only, before the policy has rates), or why there are none. Into 'buf' of 'size' bytes,
 * cut short if needed. Returns false when 'q' has no "guest_stats" or it is off. */
bool render_guest_stats(json_object *q, char *buf, size_t size);

/* 'vnicctl list': one row per NIC (GUEST NIC HOST-DEV KIND TRUST STATE SYNC ERROR), one row with
 * NIC "-" per guest without NICs, then "N NICs listed." when 'legend'. Returns 0, -ENOMEM or
 * -EIO; -EBADMSG when 'doc' is not an object. */
int render_list(json_object *doc, bool legend, FILE *f);

/* 'vnicctl show': a block per NIC selected by 'guest' and 'nic' (NULL selects all; see
 * describe_select()), and one per selected guest without NICs, separated by blank lines. Prints
 * nothing when nothing is selected. Returns 0, -ENOMEM or -EIO; -EBADMSG when 'doc' is not an
 * object. */
int render_show(json_object *doc, const char *guest, const char *nic, FILE *f);

/* 'vnicctl explain': for one NIC object of the document, every setting with its value and origin,
 * the inputs of its decisions (host device, owner, what the guest asked), each decision with its
 * rule, the uplinks' reasons, the queue pairs' inputs and rule, and the refusals. Returns 0, -EIO,
 * or -EBADMSG when 'nic' is not an object. */
int render_explain(json_object *nic, FILE *f);

/* The placement of guest 'g' of 'doc' (render-placement.c): show's Placement block (its uplink,
 * vCPU threads, each vhost worker and uplink IRQ wanted/now), explain's inputs and rules. Print
 * nothing for a daemon without placement. Return 0 or -EIO. */
int render_show_placement(json_object *doc, json_object *g, FILE *f);
int render_explain_placement(json_object *doc, json_object *g, FILE *f);
