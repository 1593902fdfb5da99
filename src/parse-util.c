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

static void json_tokener_freep(json_tokener **p) {
        if (*p)
                json_tokener_free(*p);
}

int json_parse_bounded(const char *what, const char *text, size_t len, int depth, json_object **ret,
                char **ret_error) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        enum json_tokener_error e;
        size_t end;

        tok = json_tokener_new_ex(depth);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);

        o = json_tokener_parse_ex(tok, text, (int) len);
        e = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        if (e == json_tokener_continue) {
                /* A top-level literal ("null", "42") is only complete once json-c sees what follows:
                 * hand it the NUL that ends the text. An unfinished container stays unfinished. */
                o = json_tokener_parse_ex(tok, "", 1);
                if (json_tokener_get_error(tok) != json_tokener_success)
                        return parse_error(ret_error, -EINVAL, "%s: JSON ends early", what);
                end = len;
        } else if (e == json_tokener_error_depth)
                return parse_error(ret_error, -E2BIG, "%s nested deeper than %d levels", what, depth);
        else if (e != json_tokener_success)
                return parse_error(ret_error, -EINVAL, "%s: invalid JSON at byte %zu: %s", what, end,
                                json_tokener_error_desc(e));
        /* json-c stops after the first value; anything but whitespace after it is garbage. */
        if (end < len)
                return parse_error(ret_error, -EINVAL, "%s: trailing data at byte %zu", what, end);

        /* NULL with success is JSON's null: callers see a value of the wrong type. */
        *ret = TAKE_PTR(o);
        return 0;
}

int parse_boolean(const char *s) {
        static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false", "off",
                                                                                     "0"};

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (streq(s, yes[i]))
                        return 1;
                if (streq(s, no[i]))
                        return 0;
        }
        return -EINVAL;
}

int string_table_lookup(const char *const *table, int n, const char *s) {
        if (!s)
                return -EINVAL;
        for (int i = 0; i < n; i++)
                if (table[i] && streq(table[i], s))
                        return i;
        return -EINVAL;
}

int parse_decimal(const char *s, unsigned max, unsigned *ret) {
        unsigned long long v = 0;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++)
                v = MIN(v * 10 + (unsigned) (*s - '0'), (unsigned long long) max + 1);
        if (*s != 0)
                return -EINVAL;
        if (v > max)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}
