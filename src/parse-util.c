/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "parse-util.h"

int parse_error(char **ret_error, int error, const char *format, ...) {
        va_list ap;

        if (ret_error) {
                char *s = NULL;

                va_start(ap, format);
                if (vasprintf(&s, format, ap) < 0)
                        s = NULL;
                va_end(ap);

                *ret_error = s;
        }
        return error;
}

const char *string_excerpt(const char *s, size_t len, char buf[static EXCERPT_MAX]) {
        const size_t keep = EXCERPT_MAX - 4; /* room for "..." and the NUL */
        size_t i;

        for (i = 0; i < len && i < keep; i++) {
                unsigned char c = (unsigned char) s[i];

                buf[i] = c >= 0x20 && c < 0x7f ? (char) c : '?';
        }
        if (i < len) {
                memcpy(buf + i, "...", 3);
                i += 3;
        }
        buf[i] = 0;
        return buf;
}
