/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"

#define VNICD_BUS_NAME      "org.vnicd1"
#define VNICD_BUS_PATH      "/org/vnicd1"
#define VNICD_MANAGER_IFACE "org.vnicd1.Manager"

/* Connects to the system bus (or DBUS_SYSTEM_BUS_ADDRESS), publishes the manager and NIC
 * objects and takes the name. Fails when another vnicd owns it. */
int manager_bus_start(Manager *m);
void manager_bus_stop(Manager *m);
