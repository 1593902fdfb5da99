/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include <json-c/json.h>

#include "describe-reader.h"
#include "log.h"
#include "render.h"
#include "verbs.h"
#include "vnicctl-bus.h"
#include "vnicctl.h"

/* vnicctl explain GUEST/NIC: the inputs and the rule of each of one NIC's decisions. With --json
 * the NIC's object, as show --json prints it. */
int verb_explain(int argc, char *argv[], void *userdata) {
        _cleanup_(json_object_putp) json_object *doc = NULL;
        _cleanup_free_ char *guest = NULL, *nic = NULL;
        json_object *selected = NULL, *g = NULL;
        int r;

        r = describe_parse_selector(argv[1], &guest, &nic);
        if (r == -ENOMEM)
                return log_error_errno(r, "out of memory");
        if (r < 0 || !nic)
                return log_usage_error("invalid selector '%s': expected GUEST/NIC", argv[1]);

        r = bus_describe(&doc);
        if (r < 0)
                return r;
        r = describe_select_or_report(doc, guest, nic, &selected);
        if (r < 0)
                return r;

        r = arg_json != JSON_FORMAT_OFF ? render_json(selected, arg_json, stdout)
                                        : render_explain(selected, stdout);
        if (r >= 0 && arg_json == JSON_FORMAT_OFF && describe_select(doc, guest, NULL, &g) >= 0)
                r = render_explain_placement(doc, g, stdout);
        if (r < 0)
                return log_error_errno(r, "failed to print the explanation: %m");
        return 0;
}
