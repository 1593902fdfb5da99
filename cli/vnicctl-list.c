/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include <json-c/json.h>

#include "describe-reader.h"
#include "log.h"
#include "render.h"
#include "vnicctl-bus.h"
#include "vnicctl.h"

/* vnicctl list: one row per NIC of every guest vnicd knows. */
int verb_list(int argc, char *argv[], void *userdata) {
        _cleanup_(json_object_putp) json_object *doc = NULL;
        int r;

        r = bus_describe(&doc);
        if (r < 0)
                return r;

        if (arg_json != JSON_FORMAT_OFF)
                r = render_json(doc, arg_json, stdout);
        else
                r = render_list(doc, arg_legend, stdout);
        if (r < 0)
                return log_error_errno(r, "failed to print the NIC list: %m");
        return 0;
}
