/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"

/* The daemon's whole state as one JSON document (schema version 1, described in vnicctl(8)); the
 * only format vnicctl reads, for tables and --json alike. Returns a malloc'ed string. */
int manager_describe(Manager *m, char **ret);
int nic_describe(Nic *n, char **ret);
