/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Length of the valid sequence at 's', or 0 when the byte there does not start one. */
static size_t utf8_sequence_length(const unsigned char *s) {
        uint32_t cp;
        size_t n;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                n = 2;
                cp = s[0] & 0x1f;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                n = 3;
                cp = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                n = 4;
                cp = s[0] & 0x07;
        } else
                return 0;

        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                        (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

bool utf8_is_valid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;

        while (*p) {
                size_t n = utf8_sequence_length(p);

                if (n == 0)
                        return false;
                p += n;
        }
        return true;
}

char *utf8_make_valid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;
        char *d = strdup(s), *q = d;

        if (!d)
                return NULL;
        while (*p) {
                size_t n = utf8_sequence_length(p);

                if (n == 0) {
                        *q++ = '?';
                        p++;
                        continue;
                }
                memcpy(q, p, n);
                q += n;
                p += n;
        }
        *q = 0;
        return d;
}
