/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "describe-reader.h"
#include "log.h"
#include "vnicctl-bus.h"

/* Where sd_bus_default_system() connects, for messages. */
static const char *system_bus_address(void) {
        const char *e = getenv("DBUS_SYSTEM_BUS_ADDRESS");

        return e && *e ? e : "unix:path=/run/dbus/system_bus_socket";
}

static int log_call_error(const sd_bus_error *error, int r) {
        /* ServiceUnknown is what the bus answers for a name nobody owns (and that it cannot
         * activate); NameHasNoOwner comes from buses that do not try activation. */
        if (sd_bus_error_has_name(error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                        sd_bus_error_has_name(error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                return log_error_errno(
                                r, "vnicd is not running (%s is not on the system bus)", VNICD_BUS_NAME);

        if (sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_METHOD) ||
                        sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
                        sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_INTERFACE))
                return log_error_errno(r, "%s on the system bus has no %s.Describe() at %s: %s",
                                VNICD_BUS_NAME, VNICD_MANAGER_INTERFACE, VNICD_OBJECT_PATH,
                                error->message ?: error->name);

        if (sd_bus_error_has_name(error, SD_BUS_ERROR_ACCESS_DENIED))
                return log_error_errno(r, "not allowed to call vnicd's Describe(): %s",
                                error->message ?: error->name);

        if (sd_bus_error_is_set(error))
                return log_error_errno(
                                r, "vnicd's Describe() failed: %s (%s)", error->message ?: "-", error->name);
        return log_error_errno(r, "vnicd's Describe() failed: %m");
}

int bus_describe(json_object **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(json_object_putp) json_object *doc = NULL;
        const char *text, *why = NULL;
        int64_t version;
        int r;

        r = sd_bus_default_system(&bus);
        if (r < 0)
                return log_error_errno(
                                r, "cannot connect to the system bus at %s: %m", system_bus_address());

        r = sd_bus_call_method(bus, VNICD_BUS_NAME, VNICD_OBJECT_PATH, VNICD_MANAGER_INTERFACE, "Describe",
                        &error, &reply, "");
        if (r < 0)
                return log_call_error(&error, r);

        r = sd_bus_message_read(reply, "s", &text);
        if (r < 0)
                return log_error_errno(
                                r, "vnicd's Describe() answered with something else than a string: %m");

        r = describe_parse(text, strlen(text), &doc, &why);
        if (r == -ENOMEM)
                return log_error_errno(r, "out of memory");
        if (r < 0)
                return log_error_errno(r, "vnicd's Describe() answered with a malformed document: %s", why);

        /* A newer daemon may add fields (shown if known, ignored otherwise) but a new version number
         * means the meaning of old ones changed: say so, then still show what can be read. */
        if (describe_int(doc, "version", &version) >= 0 && version != DESCRIBE_VERSION)
                log_warning("vnicd speaks Describe() version %lld, this vnicctl knows version %d; "
                            "the output may be incomplete",
                                (long long) version, DESCRIBE_VERSION);

        *ret = TAKE_PTR(doc);
        return 0;
}
