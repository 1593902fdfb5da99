/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

#define VNICD_BUS_NAME          "org.vnicd1"
#define VNICD_OBJECT_PATH       "/org/vnicd1"
#define VNICD_MANAGER_INTERFACE "org.vnicd1.Manager"

/* Calls Describe() on vnicd over the system bus (sd_bus_default_system(), which honours
 * DBUS_SYSTEM_BUS_ADDRESS) and parses the answer into '*ret' (a new reference). Logs why and
 * returns a negative errno when there is no bus, vnicd is not on it, the call fails, or the
 * answer is not a JSON object. */
int bus_describe(json_object **ret);
