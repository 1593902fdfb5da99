/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "render.h"

/* Options, set by main() from the command line before a verb runs. */
extern JsonFormat arg_json;
extern bool arg_legend;

/* The verbs; each lives in cli/vnicctl-<verb>.c. They return 0, a negative errno after logging
 * (exit status 1) or EXIT_USAGE after logging (exit status 2). */
int verb_list(int argc, char *argv[], void *userdata);
int verb_show(int argc, char *argv[], void *userdata);
int verb_explain(int argc, char *argv[], void *userdata);

/* describe_select(), and on -ENXIO an error that lists the known guests or NICs (logged). */
int describe_select_or_report(json_object *doc, const char *guest, const char *nic, json_object **ret);
