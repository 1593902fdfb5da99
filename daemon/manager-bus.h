/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"

#define VNICD_BUS_NAME      "org.vnicd1"
#define VNICD_BUS_PATH      "/org/vnicd1"
#define VNICD_MANAGER_IFACE "org.vnicd1.Manager"

/* Reconnect delays after the bus is lost, doubling from MIN to MAX. */
#define BUS_BACKOFF_MIN_USEC (1 * USEC_PER_SEC)
#define BUS_BACKOFF_MAX_USEC (30 * USEC_PER_SEC)

/* Connects to the system bus (or DBUS_SYSTEM_BUS_ADDRESS), publishes the manager and NIC
 * objects and takes the name. Fails when another vnicd owns it. When the connection is lost
 * later (the bus daemon restarted), it is re-made with a backoff; vnicd keeps running. */
int manager_bus_start(Manager *m);
void manager_bus_stop(Manager *m);
