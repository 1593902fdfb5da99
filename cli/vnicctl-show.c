/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include <json-c/json.h>

#include "describe-reader.h"
#include "log.h"
#include "render.h"
#include "verbs.h"
#include "vnicctl-bus.h"
#include "vnicctl.h"

int describe_select_or_report(json_object *doc, const char *guest, const char *nic, json_object **ret) {
        _cleanup_free_ char *known = NULL;
        int r;

        r = describe_select(doc, guest, nic, ret);
        if (r != -ENXIO)
                return r;
        r = describe_known(doc, &known);
        if (r < 0)
                return log_error_errno(r, "out of memory");
        if (nic)
                return log_error_errno(
                                SYNTHETIC_ERRNO(ENXIO), "no NIC %s/%s (known: %s)", guest, nic, known);
        return log_error_errno(SYNTHETIC_ERRNO(ENXIO), "no guest %s (known: %s)", guest, known);
}

/* vnicctl show [GUEST[/NIC]]: everything vnicd knows about the selected NICs. With --json the
 * selected object is printed as the daemon sent it: the document, a guest or a NIC. */
int verb_show(int argc, char *argv[], void *userdata) {
        _cleanup_(json_object_putp) json_object *doc = NULL;
        _cleanup_free_ char *guest = NULL, *nic = NULL;
        json_object *selected = NULL;
        int r;

        /* The selector is checked before talking to the bus, so a typo is a usage error even when
         * vnicd is down. */
        if (argc > 1) {
                r = describe_parse_selector(argv[1], &guest, &nic);
                if (r == -ENOMEM)
                        return log_error_errno(r, "out of memory");
                if (r < 0)
                        return log_usage_error(
                                        "invalid selector '%s': expected GUEST or GUEST/NIC", argv[1]);
        }

        r = bus_describe(&doc);
        if (r < 0)
                return r;

        r = describe_select_or_report(doc, guest, nic, &selected);
        if (r < 0)
                return r;

        if (arg_json != JSON_FORMAT_OFF)
                r = render_json(selected, arg_json, stdout);
        else
                r = render_show(doc, guest, nic, stdout);
        if (r < 0)
                return log_error_errno(r, "failed to print the NIC details: %m");
        return 0;
}
