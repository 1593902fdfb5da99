/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"

#define VNICD_NIC_PATH_PREFIX "/org/vnicd1/nic"
#define VNICD_NIC_IFACE       "org.vnicd1.Nic"

extern const sd_bus_vtable nic_vtable[];

/* Gives the NIC its object path (/org/vnicd1/nic/<guest>_2f<nic>, escaped) and announces it. */
int nic_bus_add(Nic *n);
void nic_bus_remove(Nic *n);
/* PropertiesChanged for the NIC's state properties. Cheap when nobody listens. */
void nic_bus_emit_changed(Nic *n);

int nic_bus_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                sd_bus_error *error);
int nic_bus_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);
