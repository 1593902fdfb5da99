/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <time.h>

#include "macro.h"

int free_and_strdup(char **p, const char *s) {
        char *t = NULL;

        if (s) {
                t = strdup(s);
                if (!t)
                        return -ENOMEM;
        }
        free(*p);
        *p = t;
        return 0;
}

unsigned long long now_usec(int clock_id) {
        struct timespec ts;

        if (clock_gettime(clock_id, &ts) < 0)
                return 0;
        return (unsigned long long) ts.tv_sec * 1000000ULL + (unsigned long long) ts.tv_nsec / 1000ULL;
}
