/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static int max_level = LOG_INFO;
static LogSink sink = NULL;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_sink(LogSink s) {
        sink = s;
}

int log_level_from_string(const char *s) {
        static const char *const names[] = {
                        [LOG_ERR] = "err",
                        [LOG_WARNING] = "warning",
                        [LOG_NOTICE] = "notice",
                        [LOG_INFO] = "info",
                        [LOG_DEBUG] = "debug",
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (names[i] && strcasecmp(names[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}

int log_internal(int level, int error, const char *const *fields, const char *format, ...) {
        char buf[2048];
        va_list ap;
        int saved = errno;

        /* %m prints the error we were given, not whatever errno happens to hold. */
        errno = abs(error);
        va_start(ap, format);
        (void) vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);

        if (sink)
                sink(level, fields, buf);
        else
                (void) fprintf(stderr, "%s\n", buf);

        errno = saved;
        return NEG_ERRNO(error);
}

bool ratelimit_below(RateLimit *rl) {
        unsigned long long now = now_usec(CLOCK_MONOTONIC);

        if (rl->interval_usec == 0 || rl->burst == 0)
                return true;
        if (rl->begin == 0 || now - rl->begin >= rl->interval_usec) {
                rl->begin = now;
                rl->num = 0;
        }
        if (rl->num < rl->burst) {
                rl->num++;
                return true;
        }
        rl->suppressed++;
        return false;
}
