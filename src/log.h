/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <syslog.h>

#include "macro.h"

/* Logging. Libraries (src/, netlink/, policies/) log at debug level at most; daemon/ and cli/
 * decide what the user sees. Messages may use %m, which prints the error passed in. A sink can
 * be installed (the daemon installs the journal one); the default writes to stderr. */

typedef void (*LogSink)(int level, const char *const *fields, const char *message);

void log_set_max_level(int level);
int log_get_max_level(void);
void log_set_sink(LogSink sink);
int log_level_from_string(const char *s);

/* Logs 'format' at 'level' with optional journal 'fields' ("KEY=value", NULL-terminated) and
 * returns -abs(error) (or 0 when error is 0), so callers can 'return log_..._errno(r, ...)'. */
int log_internal(int level, int error, const char *const *fields, const char *format, ...) _printf_(4, 5);

#define log_full_errno(level, error, ...)                                                                   \
        ({                                                                                                  \
                int _l = (level), _e = (error);                                                             \
                _l <= log_get_max_level() ? log_internal(_l, _e, NULL, __VA_ARGS__) : NEG_ERRNO(_e);        \
        })
#define log_full(level, ...)      (void) log_full_errno(level, 0, __VA_ARGS__)

#define log_debug(...)            log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)             log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...)           log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...)          log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)            log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...)   log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...)    log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_notice_errno(e, ...)  log_full_errno(LOG_NOTICE, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, e, __VA_ARGS__)

/* An error we invent (not from a failed call): logged with the errno, returned negative. */
#define SYNTHETIC_ERRNO(e) (e)

/* Simple token bucket for rate-limited logging: at most 'burst' messages per 'interval_usec'. */
typedef struct RateLimit {
        unsigned long long interval_usec;
        unsigned burst;
        unsigned long long begin;
        unsigned num;
        unsigned suppressed;
} RateLimit;

/* Returns true when a message may be logged now; counts suppressed ones in 'rl->suppressed'. */
bool ratelimit_below(RateLimit *rl);

#define log_oom() log_error_errno(ENOMEM, "Out of memory.")
