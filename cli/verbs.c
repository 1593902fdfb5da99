/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "verbs.h"

static const Verb *verbs_find(const Verb *verbs, size_t n_verbs, const char *name) {
        for (size_t i = 0; i < n_verbs; i++)
                if (name ? streq(verbs[i].verb, name) : (verbs[i].flags & VERB_DEFAULT))
                        return &verbs[i];
        return NULL;
}

static int log_unknown_verb(const Verb *verbs, size_t n_verbs, const char *name) {
        char known[256] = "";
        size_t len = 0;

        for (size_t i = 0; i < n_verbs && len < sizeof(known); i++)
                len += snprintf(known + len, sizeof(known) - len, "%s%s", i > 0 ? ", " : "", verbs[i].verb);

        return log_usage_error("unknown command '%s' (known: %s)", name, known);
}

int dispatch_verb(int argc, char *argv[], const Verb *verbs, size_t n_verbs, void *userdata) {
        static char *no_args[] = {NULL, NULL};
        const Verb *v;
        unsigned n;

        v = verbs_find(verbs, n_verbs, argc > 0 ? argv[0] : NULL);
        if (!v) {
                if (argc == 0)
                        return log_usage_error("no command given");
                return log_unknown_verb(verbs, n_verbs, argv[0]);
        }

        /* The default verb sees itself as argv[0], as if typed. */
        if (argc == 0) {
                no_args[0] = (char *) v->verb;
                argc = 1;
                argv = no_args;
        }

        n = (unsigned) argc;
        if (v->min_args != VERB_ANY && n < v->min_args)
                return log_usage_error("missing argument for '%s' (usage: vnicctl %s %s)", v->verb, v->verb,
                                v->synopsis ?: "");
        if (v->max_args != VERB_ANY && n > v->max_args) {
                if (!v->synopsis)
                        return log_usage_error("'%s' takes no arguments (got '%s')", v->verb, argv[1]);
                return log_usage_error("too many arguments for '%s' (usage: vnicctl %s %s)", v->verb,
                                v->verb, v->synopsis);
        }

        return v->dispatch(argc, argv, userdata);
}
