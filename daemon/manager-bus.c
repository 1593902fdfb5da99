/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"
#include "describe.h"
#include "domain-xml.h"
#include "log.h"
#include "manager-bus.h"
#include "nic-bus.h"

static int method_describe(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *json = NULL;
        int r;

        r = manager_describe(userdata, &json);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "s", json);
}

/* Anything that changes state is for root only; reads are for everyone (the bus policy says
 * the same, this holds even on a bus without our policy file). */
static int check_root(sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t uid;
        int r;

        r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID, &creds);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;
        if (uid != 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "Only root may call %s.",
                                sd_bus_message_get_member(msg));
        return 0;
}

static int method_reconcile(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = check_root(msg, error);
        if (r < 0 || sd_bus_error_is_set(error))
                return r;
        log_info("Resynchronisation asked over the bus.");
        manager_resync(m);
        return sd_bus_reply_method_return(msg, NULL);
}

/* From the libvirt hook (libvirt-hooks/qemu): DOMAIN OPERATION SUB-OPERATION as libvirt gave them. */
static int method_notify_domain(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *domain, *operation, *sub_operation;
        Manager *m = userdata;
        int r;

        r = check_root(msg, error);
        if (r < 0 || sd_bus_error_is_set(error))
                return r;
        r = sd_bus_message_read(msg, "sss", &domain, &operation, &sub_operation);
        if (r < 0)
                return r;
        if (!domain[0] || strlen(domain) >= DOMAIN_NAME_MAX)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid domain name.");
        r = manager_libvirt_hook(m, domain, operation, sub_operation);
        if (r == -EINVAL)
                return sd_bus_error_setf(
                                error, SD_BUS_ERROR_INVALID_ARGS, "Unknown hook operation '%s'.", operation);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static const sd_bus_vtable manager_vtable[] = {
                SD_BUS_VTABLE_START(0),
                SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
                SD_BUS_METHOD_WITH_ARGS("Describe", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", json),
                                method_describe, SD_BUS_VTABLE_UNPRIVILEGED),
                SD_BUS_METHOD("Reconcile", NULL, NULL, method_reconcile, SD_BUS_VTABLE_UNPRIVILEGED),
                SD_BUS_METHOD_WITH_ARGS("NotifyDomain",
                                SD_BUS_ARGS("s", domain, "s", operation, "s", sub_operation),
                                SD_BUS_NO_RESULT, method_notify_domain, SD_BUS_VTABLE_UNPRIVILEGED),
                SD_BUS_VTABLE_END,
};

int manager_bus_start(Manager *m) {
        int r;

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus%s: %m",
                                getenv("DBUS_SYSTEM_BUS_ADDRESS") ? " (DBUS_SYSTEM_BUS_ADDRESS)" : "");
        r = sd_bus_add_object_vtable(m->bus, NULL, VNICD_BUS_PATH, VNICD_MANAGER_IFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to publish the manager object: %m");
        r = sd_bus_add_fallback_vtable(
                        m->bus, NULL, VNICD_NIC_PATH_PREFIX, VNICD_NIC_IFACE, nic_vtable, nic_bus_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to publish NIC objects: %m");
        r = sd_bus_add_node_enumerator(m->bus, NULL, VNICD_NIC_PATH_PREFIX, nic_bus_enumerate, m);
        if (r < 0)
                return log_error_errno(r, "Failed to publish the NIC enumerator: %m");
        r = sd_bus_add_object_manager(m->bus, NULL, VNICD_BUS_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to add the object manager: %m");
        r = sd_bus_request_name(m->bus, VNICD_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire bus name %s (is another vnicd running?): %m",
                                VNICD_BUS_NAME);
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        return 0;
}

void manager_bus_stop(Manager *m) {
        m->bus = sd_bus_flush_close_unref(m->bus);
}
