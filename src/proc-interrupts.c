/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "macro.h"
#include "proc-interrupts.h"

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* The IRQ number a line starts with ("  25:"), or -1 for any other line. */
static long line_irq(const char *l, size_t n, size_t *ret_after) {
        size_t i = 0;
        long v = 0;

        while (i < n && is_blank(l[i]))
                i++;
        if (i >= n || !is_digit(l[i]))
                return -1;
        for (; i < n && is_digit(l[i]); i++) {
                v = v * 10 + (l[i] - '0');
                if (v > 0xffffffffL) /* no IRQ is that large: not an IRQ line */
                        return -1;
        }
        if (i >= n || l[i] != ':')
                return -1;
        *ret_after = i + 1;
        return v;
}

int proc_interrupts_name(const char *text, size_t len, unsigned irq, char *buf, size_t size) {
        const char *s = text, *end;

        if (!text || !buf || size == 0)
                return -EINVAL;
        end = text + len;

        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t) (end - s));
                size_t n = (size_t) ((nl ?: end) - s), after = 0, word, k;
                long v = line_irq(s, n, &after);

                if (v >= 0 && (unsigned long) v == irq) {
                        /* The last word, after the counts, chip and trigger. */
                        while (after < n && is_blank(s[after]))
                                after++;
                        while (n > after && is_blank(s[n - 1]))
                                n--;
                        word = n;
                        while (word > after && !is_blank(s[word - 1]))
                                word--;
                        if (word == n || word == after)
                                return -ENOENT; /* no word, or only the first count */
                        size = MIN(size, (size_t) PROC_INTERRUPTS_NAME_MAX);
                        for (k = 0; k + 1 < size && word + k < n; k++) {
                                char c = s[word + k];

                                buf[k] = c > ' ' && c < 0x7f ? c : '?';
                        }
                        buf[k] = 0;
                        return 0;
                }
                s = nl ? nl + 1 : end;
        }
        return -ENOENT;
}
