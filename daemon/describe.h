/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"

/* The daemon's whole state as one JSON document (schema version 1, described in vnicctl(8)); the
 * only format vnicctl reads, for tables and --json alike. Returns a malloc'ed string. */
int manager_describe(Manager *m, char **ret);
int nic_describe(Nic *n, char **ret);

/* Every string of the document goes through json_text() (valid UTF-8); times through json_time()
 * (realtime usec, NULL for 0). */
typedef struct json_object json_object;
typedef struct HostPlacement HostPlacement;
json_object *json_text(const char *s);
json_object *json_time(unsigned long long usec);

/* describe-guest-stats.c: a NIC's "queues"."guest_stats". */
typedef struct Nic Nic;
json_object *describe_guest_stats(const Nic *n);

/* describe-placement.c: the document's "placement" and each guest's. */
json_object *describe_placement(const HostPlacement *p);
json_object *describe_guest_placement(const HostPlacement *p, const char *guest);
