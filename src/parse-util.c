/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
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

int parse_decimal_u64(const char *s, uint64_t *ret) {
        uint64_t v = 0;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++) {
                unsigned d = (unsigned) (*s - '0');

                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        if (*s != 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Works a word at a time, so walking a full 8192-bit set costs 128 steps, not 8192. */
size_t bitmap_find(const uint64_t *bits, size_t n_bits, size_t from, bool value) {
        while (from < n_bits) {
                uint64_t w = bits[from / 64];

                if (!value)
                        w = ~w;
                w &= ~UINT64_C(0) << (from % 64);
                if (w != 0)
                        return MIN((from & ~(size_t) 63) + (size_t) __builtin_ctzll(w), n_bits);
                from = (from & ~(size_t) 63) + 64;
        }
        return n_bits;
}

size_t range_list_format(const uint64_t *bits, size_t n_bits, char *buf, size_t size) {
        size_t len = 0, begin = bitmap_find(bits, n_bits, 0, true);

        if (size > 0)
                buf[0] = 0;
        while (begin < n_bits) {
                size_t end = bitmap_find(bits, n_bits, begin, false); /* one past the range */
                char item[2 * 20 + 3];
                int k;

                if (end - begin == 1)
                        k = snprintf(item, sizeof(item), "%s%zu", len > 0 ? "," : "", begin);
                else
                        k = snprintf(item, sizeof(item), "%s%zu-%zu", len > 0 ? "," : "", begin, end - 1);
                if (len + 1 < size) {
                        size_t n = MIN((size_t) k, size - 1 - len);

                        memcpy(buf + len, item, n);
                        buf[len + n] = 0;
                }
                len += (size_t) k;
                begin = bitmap_find(bits, n_bits, end, true);
        }
        return len;
}

static const char *skip_blanks(const char *p) {
        while (*p != 0 && isspace((unsigned char) *p))
                p++;
        return p;
}

/* Sets bits 'begin'..'end' (inclusive) a word at a time: "0-8191" repeated must stay cheap. */
static void set_range(uint64_t *bits, size_t begin, size_t end) {
        for (size_t w = begin / 64; w <= end / 64; w++) {
                uint64_t m = ~UINT64_C(0);

                if (w == begin / 64)
                        m &= ~UINT64_C(0) << (begin % 64);
                if (w == end / 64)
                        m &= ~UINT64_C(0) >> (63 - end % 64);
                bits[w] |= m;
        }
}

/* Reads a decimal index at '*p'. One too large for the bitmap is -ERANGE however many digits it
 * has: accumulating stops once past the bound, so nothing overflows. */
static int parse_index(const char **p, size_t n_bits, size_t *ret) {
        const char *q = *p;
        size_t v = 0;

        if (!isdigit((unsigned char) *q))
                return -EINVAL;
        for (; isdigit((unsigned char) *q); q++)
                if (v < n_bits)
                        v = v * 10 + (size_t) (*q - '0');
        if (v >= n_bits)
                return -ERANGE;

        *p = q;
        *ret = v;
        return 0;
}

int range_list_parse(const char *s, uint64_t *bits, size_t n_bits) {
        const char *p;
        int r;

        if (!s || !bits)
                return -EINVAL;

        memset(bits, 0, n_bits / 64 * sizeof(uint64_t));
        p = skip_blanks(s);
        if (*p == 0)
                return 0;

        for (;;) {
                size_t begin, end;

                p = skip_blanks(p);
                r = parse_index(&p, n_bits, &begin);
                if (r < 0)
                        return r;
                end = begin;

                p = skip_blanks(p);
                if (*p == '-') {
                        p = skip_blanks(p + 1);
                        r = parse_index(&p, n_bits, &end);
                        if (r < 0)
                                return r;
                        if (end < begin)
                                return -ERANGE;
                        p = skip_blanks(p);
                }

                set_range(bits, begin, end);

                if (*p == 0)
                        return 0;
                if (*p != ',')
                        return -EINVAL;
                p++;
        }
}
