/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "log.h"

/* The command table of vnicctl, in the shape of wg's subcommands[] and networkctl's verbs[]. */

#define VERB_ANY ((unsigned) -1)

/* Exit status for a usage error (vnicctl(8), EXIT STATUS). */
#define EXIT_USAGE 2

typedef enum VerbFlags {
        VERB_DEFAULT = 1 << 0, /* runs when no command is given */
} VerbFlags;

typedef struct Verb {
        const char *verb;
        unsigned min_args, max_args; /* counting the verb itself, like argv */
        VerbFlags flags;
        int (*dispatch)(int argc, char *argv[], void *userdata);
        const char *synopsis; /* the arguments, for --help and usage errors; NULL for none */
        const char *help;     /* one line */
} Verb;

/* Reports a usage error in one line and evaluates to EXIT_USAGE. */
#define log_usage_error(...)                                                                                \
        ({                                                                                                  \
                log_error(__VA_ARGS__);                                                                     \
                EXIT_USAGE;                                                                                 \
        })

/* Runs the verb 'argv[0]' names with 'argc'/'argv' (the default verb when 'argc' is 0) after
 * checking its argument count against 'verbs' ('n_verbs' entries). Returns what the verb returns:
 * 0, a negative errno (failure, already logged) or EXIT_USAGE (usage error, already logged); an
 * unknown verb or a wrong argument count is EXIT_USAGE. */
int dispatch_verb(int argc, char *argv[], const Verb *verbs, size_t n_verbs, void *userdata);
