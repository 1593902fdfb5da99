/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "config.h"
#include "config-file.h"
#include "log-journal.h"
#include "manager.h"

#define DEFAULT_CONFIG SYSCONFDIR "/vnicd/vnicd.conf"

static const char *arg_config = NULL;
static char *arg_qmp[64]; /* kept for reloads; points into argv */
static size_t arg_n_qmp = 0;
static bool arg_check_config = false;
static int arg_log_level = -1;
static const char *arg_libvirt_uri = NULL;
static int arg_libvirt = -1;

static void help(void) {
        printf("vnicd [OPTIONS...]\n\n"
               "Makes the host follow the receive filters of its guests' virtio-net NICs.\n\n"
               "  -c --config=FILE        Configuration file (default: %s)\n"
               "     --qmp=NAME=PATH      Follow the QEMU whose QMP socket is PATH, as guest NAME\n"
               "     --libvirt-uri=URI    Follow the running domains of this libvirtd\n"
               "                          (default: LibvirtURI=, else " CONFIG_LIBVIRT_URI_DEFAULT ")\n"
               "     --no-libvirt         Do not connect to libvirt\n"
               "     --log-level=LEVEL    err, warning, notice, info or debug\n"
               "     --check-config       Parse the configuration, print errors, and exit\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n\n"
               "See vnicd(8) and vnicd.conf(5).\n",
                        DEFAULT_CONFIG);
}

/* Returns 1 to go on, 0 to exit successfully, < 0 on a usage error (already reported). */
static int parse_argv(int argc, char *argv[], Config *c) {
        enum {
                ARG_QMP = 0x100,
                ARG_LOG_LEVEL,
                ARG_CHECK_CONFIG,
                ARG_VERSION,
                ARG_LIBVIRT_URI,
                ARG_NO_LIBVIRT
        };
        static const struct option options[] = {
                        {"config", required_argument, NULL, 'c'},
                        {"qmp", required_argument, NULL, ARG_QMP},
                        {"log-level", required_argument, NULL, ARG_LOG_LEVEL},
                        {"check-config", no_argument, NULL, ARG_CHECK_CONFIG},
                        {"libvirt-uri", required_argument, NULL, ARG_LIBVIRT_URI},
                        {"no-libvirt", no_argument, NULL, ARG_NO_LIBVIRT},
                        {"help", no_argument, NULL, 'h'},
                        {"version", no_argument, NULL, ARG_VERSION},
                        {},
        };
        int opt, r;

        while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (opt) {
                case 'c':
                        arg_config = optarg;
                        break;
                case ARG_QMP: {
                        _cleanup_free_ char *error = NULL;

                        r = config_add_guest_arg(c, optarg, &error);
                        if (r < 0)
                                return log_error_errno(r, "--qmp=%s: %s", optarg, error ?: "invalid");
                        if (arg_n_qmp >= ELEMENTSOF(arg_qmp))
                                return log_error_errno(
                                                E2BIG, "At most %zu --qmp options.", ELEMENTSOF(arg_qmp));
                        arg_qmp[arg_n_qmp++] = optarg;
                        break;
                }
                case ARG_LOG_LEVEL:
                        arg_log_level = log_level_from_string(optarg);
                        if (arg_log_level < 0)
                                return log_error_errno(EINVAL, "Unknown log level '%s'.", optarg);
                        break;
                case ARG_LIBVIRT_URI:
                        if (config_check_libvirt_uri(optarg) < 0)
                                return log_error_errno(
                                                EINVAL, "--libvirt-uri=%s: not a libvirt URI.", optarg);
                        arg_libvirt_uri = optarg;
                        arg_libvirt = 1;
                        break;
                case ARG_NO_LIBVIRT:
                        arg_libvirt = 0;
                        break;
                case ARG_CHECK_CONFIG:
                        arg_check_config = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("vnicd %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(EINVAL, "Unexpected argument '%s'.", argv[optind]);
        return 1;
}

static int load_config(Config *c) {
        _cleanup_free_ char *error = NULL;
        int r;

        /* The default file is optional: --qmp alone, or libvirt, is a complete setup. */
        r = config_load(c, arg_config ?: DEFAULT_CONFIG, !arg_config, &error);
        if (r < 0)
                return log_error_errno(r, "%s", error ?: "Failed to read the configuration.");
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        Config c;
        int r;

        log_setup_daemon();
        config_init(&c);

        r = parse_argv(argc, argv, &c);
        if (r <= 0) {
                config_done(&c);
                return r < 0 ? 2 : 0;
        }
        r = load_config(&c);
        if (r < 0) {
                config_done(&c);
                return 1;
        }
        if (arg_log_level >= 0)
                log_set_max_level(arg_log_level);
        else if (c.log_level >= 0)
                log_set_max_level(c.log_level);

        if (arg_check_config) {
                printf("%s: %zu guest(s), %zu interface(s): OK\n", arg_config ?: DEFAULT_CONFIG, c.n_guests,
                                c.n_interfaces);
                config_done(&c);
                return 0;
        }

        r = manager_new(&m);
        if (r < 0) {
                config_done(&c);
                log_error_errno(r, "Failed to create the manager: %m");
                return 1;
        }
        r = manager_load_config(m, &c, arg_config ?: DEFAULT_CONFIG, !arg_config);
        config_done(&c);
        m->log_level_arg = arg_log_level;
        m->libvirt_arg = arg_libvirt;
        if (r >= 0 && arg_libvirt_uri) {
                m->libvirt_uri_arg = strdup(arg_libvirt_uri);
                if (!m->libvirt_uri_arg)
                        r = -ENOMEM;
        }
        for (size_t i = 0; r >= 0 && i < arg_n_qmp; i++)
                r = manager_add_qmp_arg(m, arg_qmp[i]);
        if (r < 0) {
                log_oom();
                return 1;
        }
        r = manager_start(m);
        if (r < 0)
                return 1;
        r = manager_run(m);
        if (r < 0) {
                log_error_errno(r, "Event loop failed: %m");
                return 1;
        }
        return 0;
}
