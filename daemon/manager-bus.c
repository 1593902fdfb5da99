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

/* The bus is only vnicd's control and read interface: losing it changes nothing on the host. The
 * connection is re-made with a backoff, as libvirt's and QEMU's are. */

static void bus_reconnect(Manager *m);

static int on_bus_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->bus_retry = sd_event_source_disable_unref(m->bus_retry);
        /* Dropped here, not in its own Disconnected callback. */
        m->bus = sd_bus_close_unref(m->bus);
        bus_reconnect(m);
        return 0;
}

/* Idempotent: a failed call and the Disconnected that follows it arm one timer, not two. */
static void bus_schedule_reconnect(Manager *m) {
        if (m->bus_retry)
                return;
        m->bus_backoff_usec = backoff_next(m->bus_backoff_usec, BUS_BACKOFF_MIN_USEC, BUS_BACKOFF_MAX_USEC);
        if (sd_event_add_time_relative(m->event, &m->bus_retry, CLOCK_MONOTONIC, m->bus_backoff_usec, 0,
                            on_bus_retry, m) < 0)
                log_error("Cannot arm the bus reconnect timer; not reconnecting.");
}

/* Synthesized by sd-bus when the connection closes (the bus daemon exited or restarted). */
static int on_bus_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        /* A zero backoff means we were fully connected: said once, not at every failed attempt. */
        if (m->bus_backoff_usec == 0)
                log_warning("Lost the connection to the system bus; still managing NICs, reconnecting.");
        else
                log_debug("Lost the connection to the system bus again while reconnecting.");
        bus_schedule_reconnect(m);
        return 0;
}

/* Opens a connection, publishes our objects on it and attaches it to the loop, without taking the
 * name yet. Failures are logged at 'level'. */
static int bus_open(Manager *m, int level, sd_bus **ret) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL; /* no flush: it would wait for the bus */
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_full_errno(level, r, "Failed to connect to the system bus%s: %m",
                                getenv("DBUS_SYSTEM_BUS_ADDRESS") ? " (DBUS_SYSTEM_BUS_ADDRESS)" : "");
        r = sd_bus_set_exit_on_disconnect(bus, false);
        if (r < 0)
                return log_full_errno(level, r, "Failed to keep running without the bus: %m");
        /* A local match: sd-bus delivers it without asking the bus daemon. */
        r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                        "org.freedesktop.DBus.Local", "Disconnected", on_bus_disconnected, m);
        if (r < 0)
                return log_full_errno(level, r, "Failed to watch for the loss of the bus: %m");
        r = sd_bus_add_object_vtable(bus, NULL, VNICD_BUS_PATH, VNICD_MANAGER_IFACE, manager_vtable, m);
        if (r < 0)
                return log_full_errno(level, r, "Failed to publish the manager object: %m");
        r = sd_bus_add_fallback_vtable(
                        bus, NULL, VNICD_NIC_PATH_PREFIX, VNICD_NIC_IFACE, nic_vtable, nic_bus_find, m);
        if (r < 0)
                return log_full_errno(level, r, "Failed to publish NIC objects: %m");
        r = sd_bus_add_node_enumerator(bus, NULL, VNICD_NIC_PATH_PREFIX, nic_bus_enumerate, m);
        if (r < 0)
                return log_full_errno(level, r, "Failed to publish the NIC enumerator: %m");
        r = sd_bus_add_object_manager(bus, NULL, VNICD_BUS_PATH);
        if (r < 0)
                return log_full_errno(level, r, "Failed to add the object manager: %m");
        r = sd_bus_attach_event(bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_full_errno(level, r, "Failed to attach the bus to the event loop: %m");
        *ret = TAKE_PTR(bus);
        return 0;
}

static int on_name_reply(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const sd_bus_error *e;
        uint32_t ret = 0;
        int r;

        e = sd_bus_message_get_error(reply);
        if (e)
                r = -sd_bus_error_get_errno(e);
        else {
                r = sd_bus_message_read(reply, "u", &ret);
                /* 1: primary owner; 4: already the owner. Otherwise another process has it. */
                if (r >= 0 && ret != 1 && ret != 4)
                        r = -EEXIST;
        }
        if (r < 0) {
                log_debug_errno(r, "Failed to acquire bus name %s, retrying: %m", VNICD_BUS_NAME);
                bus_schedule_reconnect(m);
                return 0;
        }
        m->bus_backoff_usec = 0;
        log_info("Connected to the system bus again.");
        return 0;
}

/* Not blocking: the name is asked for asynchronously, its reply says whether we are back. */
static void bus_reconnect(Manager *m) {
        int r;

        r = bus_open(m, LOG_DEBUG, &m->bus);
        if (r >= 0) {
                r = sd_bus_request_name_async(m->bus, NULL, VNICD_BUS_NAME, 0, on_name_reply, m);
                if (r < 0)
                        log_debug_errno(r, "Failed to ask for bus name %s: %m", VNICD_BUS_NAME);
        }
        if (r < 0)
                bus_schedule_reconnect(m);
}

/* At start-up a bus we cannot join is fatal, and so is a name another vnicd owns. */
int manager_bus_start(Manager *m) {
        int r;

        r = bus_open(m, LOG_ERR, &m->bus);
        if (r < 0)
                return r;
        r = sd_bus_request_name(m->bus, VNICD_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire bus name %s (is another vnicd running?): %m",
                                VNICD_BUS_NAME);
        return 0;
}

void manager_bus_stop(Manager *m) {
        m->bus_retry = sd_event_source_disable_unref(m->bus_retry);
        m->bus = sd_bus_flush_close_unref(m->bus);
}
