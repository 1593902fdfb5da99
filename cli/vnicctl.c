/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "render.h"
#include "verbs.h"
#include "vnicctl.h"

JsonFormat arg_json = JSON_FORMAT_OFF;
bool arg_legend = true;

static int verb_help(int argc, char *argv[], void *userdata);

static const Verb verbs[] = {
                {"list", VERB_ANY, 1, VERB_DEFAULT, verb_list, NULL,
                                "List the guest NICs vnicd knows, with trust, state and sync (default)"},
                {"show", VERB_ANY, 2, 0, verb_show, "[GUEST[/NIC]]",
                                "Show what a guest asked, what its host device has, and why"},
                {"explain", 2, 2, 0, verb_explain, "GUEST/NIC",
                                "Show the inputs and the rule of each decision about one NIC"},
                {"help", VERB_ANY, VERB_ANY, 0, verb_help, NULL, "Show this help"},
};

static void help(void) {
        (void) printf("vnicctl [OPTIONS...] [COMMAND] [ARGS...]\n\n"
                      "Show how vnicd makes the host follow the receive filter of guest NICs.\n\n"
                      "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                int w = printf("  %s%s%s", verbs[i].verb, verbs[i].synopsis ? " " : "",
                                strempty(verbs[i].synopsis));

                (void) printf("%*s%s\n", MAX(24 - w, 1), "", verbs[i].help);
        }
        (void) printf("\nOptions:\n"
                      "  -h --help             Show this help\n"
                      "     --version          Show the version\n"
                      "     --json[=FORMAT]    Print vnicd's JSON instead of tables: short (default)\n"
                      "                        or pretty\n"
                      "     --no-legend        Leave out the column headers and the footer of list\n"
                      "\nSee the vnicctl(8) man page for details.\n");
}

static int verb_help(int argc, char *argv[], void *userdata) {
        help();
        return 0;
}

/* Returns 1 to run a verb, 0 to exit successfully (--help, --version), or -EINVAL after
 * reporting a usage error: nothing else here can fail. */
static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_JSON,
                ARG_NO_LEGEND,
        };
        static const struct option options[] = {
                        {"help", no_argument, NULL, 'h'},
                        {"version", no_argument, NULL, ARG_VERSION},
                        {"json", optional_argument, NULL, ARG_JSON},
                        {"no-legend", no_argument, NULL, ARG_NO_LEGEND},
                        {},
        };
        int c;

        /* getopt's own messages would name argv[0], a path when run from a build tree. */
        opterr = 0;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        (void) printf("vnicctl %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_JSON:
                        if (!optarg) {
                                arg_json = JSON_FORMAT_SHORT;
                                break;
                        }
                        arg_json = json_format_from_string(optarg);
                        if (arg_json < 0) {
                                log_error("unknown --json format '%s' (expected short, pretty or off)",
                                                optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_NO_LEGEND:
                        arg_legend = false;
                        break;
                case '?':
                        if (optopt > 0 && optopt < 0x100)
                                log_error("unknown option -%c", optopt);
                        else if (optopt >= 0x100)
                                /* getopt sets optopt to the value of a known long option it
                                 * rejected: the only way that happens here is "--opt=value". */
                                log_error("option '%.*s' takes no value",
                                                (int) strcspn(argv[optind - 1], "="), argv[optind - 1]);
                        else
                                log_error("unknown option '%s'", argv[optind - 1]);
                        return -EINVAL;
                default:
                        log_error("unhandled option %d", c);
                        return -EINVAL;
                }

        return 1;
}

static void log_sink_stderr(int level, const char *const *fields, const char *message) {
        (void) fprintf(stderr, "vnicctl: %s\n", message);
}

int main(int argc, char *argv[]) {
        int r;

        log_set_sink(log_sink_stderr);

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;

        r = dispatch_verb(argc - optind, argv + optind, verbs, ELEMENTSOF(verbs), NULL);

        if (fflush(stdout) != 0 && r >= 0)
                r = log_error_errno(errno, "failed to write to standard output: %m");

        return r < 0 ? EXIT_FAILURE : r;
}
