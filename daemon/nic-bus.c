/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "describe.h"
#include "manager-bus.h"
#include "nic-bus.h"
#include "nic.h"
#include "utf8.h"

static sd_bus *nic_bus(Nic *n) {
        return n->guest ? n->guest->manager->bus : NULL;
}

int nic_bus_add(Nic *n) {
        char label[2 * CONFIG_NAME_MAX + RX_FILTER_NAME_MAX];
        sd_bus *bus;
        int r;

        (void) snprintf(label, sizeof(label), "%s/%s", n->guest->name, n->name);
        r = sd_bus_path_encode(VNICD_NIC_PATH_PREFIX, label, &n->bus_path);
        if (r < 0)
                return r;
        bus = nic_bus(n);
        if (bus)
                (void) sd_bus_emit_object_added(bus, n->bus_path);
        return 0;
}

void nic_bus_remove(Nic *n) {
        sd_bus *bus = nic_bus(n);

        if (bus && n->bus_path)
                (void) sd_bus_emit_object_removed(bus, n->bus_path);
}

void nic_bus_emit_changed(Nic *n) {
        sd_bus *bus = nic_bus(n);

        if (!bus || !n->bus_path)
                return;
        (void) sd_bus_emit_properties_changed(bus, n->bus_path, VNICD_NIC_IFACE, "State", "InSync",
                        "LastError", "HostDevice", "Trusted", NULL);
}

int nic_bus_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                sd_bus_error *error) {
        Manager *m = userdata;

        for (size_t i = 0; i < m->n_guests; i++)
                for (size_t j = 0; j < m->guests[i]->n_nics; j++)
                        if (streq_ptr(m->guests[i]->nics[j]->bus_path, path)) {
                                *found = m->guests[i]->nics[j];
                                return 1;
                        }
        return 0;
}

int nic_bus_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        char **l;
        size_t k = 0, total = 0;

        for (size_t i = 0; i < m->n_guests; i++)
                total += m->guests[i]->n_nics;
        l = new0(char *, total + 1);
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_guests; i++)
                for (size_t j = 0; j < m->guests[i]->n_nics; j++) {
                        if (!m->guests[i]->nics[j]->bus_path)
                                continue; /* publishing it failed (OOM): not on the bus */
                        l[k] = strdup(m->guests[i]->nics[j]->bus_path);
                        if (!l[k]) {
                                for (size_t x = 0; x < k; x++)
                                        free(l[x]);
                                free(l);
                                return -ENOMEM;
                        }
                        k++;
                }
        *nodes = l;
        return 0;
}

static int property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Nic *n = userdata;
        const char *v = NULL;

        if (streq(property, "Guest"))
                v = n->guest ? n->guest->name : "";
        else if (streq(property, "Name"))
                v = n->name;
        else if (streq(property, "HostDevice"))
                v = n->host_device;
        else if (streq(property, "State"))
                v = nic_state_to_string(n->state);
        else if (streq(property, "LastError"))
                v = n->last_error;
        if (v && !utf8_is_valid(v)) {
                _cleanup_free_ char *valid = utf8_make_valid(v);

                if (!valid)
                        return -ENOMEM;
                return sd_bus_message_append(reply, "s", valid);
        }
        return sd_bus_message_append(reply, "s", strempty(v));
}

static int property_get_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Nic *n = userdata;
        int v = streq(property, "Trusted") ? n->trusted : n->in_sync;

        return sd_bus_message_append(reply, "b", v);
}

static int method_describe(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *json = NULL;
        int r;

        r = nic_describe(userdata, &json);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "s", json);
}

const sd_bus_vtable nic_vtable[] = {
                SD_BUS_VTABLE_START(0),
                SD_BUS_PROPERTY("Guest", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
                SD_BUS_PROPERTY("Name", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
                SD_BUS_PROPERTY("HostDevice", "s", property_get_string, 0,
                                SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
                SD_BUS_PROPERTY("Trusted", "b", property_get_bool, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
                SD_BUS_PROPERTY("State", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
                SD_BUS_PROPERTY("InSync", "b", property_get_bool, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
                SD_BUS_PROPERTY("LastError", "s", property_get_string, 0,
                                SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
                SD_BUS_METHOD_WITH_ARGS("Describe", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", json),
                                method_describe, SD_BUS_VTABLE_UNPRIVILEGED),
                SD_BUS_VTABLE_END,
};
