/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "irqbalance-proto.h"
#include "macro.h"
#include "parse-util.h"

#define BAN_PREFIX "settings ban irqs "

/* Digits only, an optional leading '-' when 'sign'. */
static bool is_number(const char *s, bool sign) {
        if (sign && *s == '-')
                s++;
        if (!*s)
                return false;
        return strspn(s, "0123456789") == strlen(s);
}

/* A cpumask as irqbalance prints it: 8-digit hex groups joined by ','. */
static bool is_cpumask(const char *s) {
        return *s && strspn(s, "0123456789abcdefABCDEF,") == strlen(s);
}

/* Sorts 'v' and drops duplicates; returns the new count. */
static size_t sort_unique(unsigned *v, size_t n) {
        size_t k = 0;

        if (n == 0)
                return 0;
        qsort(v, n, sizeof(*v), cmp_unsigned);
        for (size_t i = 1; i < n; i++)
                if (v[i] != v[k])
                        v[++k] = v[i];
        return k + 1;
}

static bool contains(const unsigned *v, size_t n, unsigned x) {
        for (size_t i = 0; i < n; i++)
                if (v[i] == x)
                        return true;
        return false;
}

int irqbalance_setup_parse(const char *text, size_t len, IrqbalanceSetup *ret) {
        _cleanup_free_ IrqbalanceSetup *s = NULL;
        _cleanup_free_ char *copy = NULL;
        const char *key[] = {"IRQ", "LOAD", "DIFF", "CLASS"};
        char *save = NULL, *tok;
        unsigned v;
        bool banned_seen = false;
        size_t n = 0;

        if (len > IRQBALANCE_ANSWER_MAX)
                return -E2BIG;
        if (memchr(text, 0, len))
                return -EBADMSG;
        copy = strndup(text, len);
        s = new0(IrqbalanceSetup, 1);
        if (!copy || !s)
                return -ENOMEM;

        tok = strtok_r(copy, " \n", &save);
        if (!tok || !streq(tok, "SLEEP"))
                return -EBADMSG;
        tok = strtok_r(NULL, " \n", &save);
        if (!tok || parse_decimal(tok, INT_MAX, &v) < 0)
                return -EBADMSG;
        s->sleep_sec = (int) v;

        /* IRQ n LOAD n DIFF n CLASS n, any number of times, then BANNED mask and nothing more. */
        while ((tok = strtok_r(NULL, " \n", &save))) {
                if (banned_seen)
                        return -EBADMSG;
                if (streq(tok, "BANNED")) {
                        tok = strtok_r(NULL, " \n", &save);
                        if (!tok || !is_cpumask(tok))
                                return -EBADMSG;
                        banned_seen = true;
                        continue;
                }
                for (size_t k = 0; k < ELEMENTSOF(key); k++) {
                        if (k > 0)
                                tok = strtok_r(NULL, " \n", &save);
                        if (!tok || !streq(tok, key[k]))
                                return -EBADMSG;
                        tok = strtok_r(NULL, " \n", &save);
                        if (!tok)
                                return -EBADMSG;
                        if (k == 0) {
                                if (parse_decimal(tok, INT_MAX, &v) < 0)
                                        return -EBADMSG;
                        } else if (!is_number(tok, k == 3))
                                return -EBADMSG;
                }
                if (!contains(s->banned, n, v)) {
                        if (n >= IRQBALANCE_BANNED_MAX)
                                return -E2BIG;
                        s->banned[n++] = v;
                }
        }
        if (!banned_seen)
                return -EBADMSG;
        s->n_banned = sort_unique(s->banned, n);
        *ret = *s;
        return 0;
}

int irqbalance_ban_list(const unsigned *theirs, size_t n_theirs, const unsigned *drop, size_t n_drop,
                const unsigned *ours, size_t n_ours, unsigned *ret, size_t max, unsigned *ret_added,
                size_t *ret_n_added) {
        size_t n = 0, kept, n_added = 0;

        for (size_t i = 0; i < n_theirs; i++) {
                if (contains(drop, n_drop, theirs[i]) || contains(ret, n, theirs[i]))
                        continue;
                if (n >= max)
                        return -E2BIG;
                ret[n++] = theirs[i];
        }
        kept = n;
        for (size_t i = 0; i < n_ours; i++) {
                if (contains(ret, n, ours[i]))
                        continue;
                if (n >= max)
                        return -E2BIG;
                ret[n++] = ours[i];
        }
        /* What came after the kept ones is what this list adds. */
        if (ret_added) {
                n_added = n - kept;
                memcpy(ret_added, ret + kept, n_added * sizeof(*ret));
                n_added = sort_unique(ret_added, n_added);
        }
        if (ret_n_added)
                *ret_n_added = n_added;
        return (int) sort_unique(ret, n);
}

int irqbalance_ban_command(const unsigned *irqs, size_t n, char *buf, size_t size) {
        size_t len;
        int k;

        k = snprintf(buf, size, "%s%s", BAN_PREFIX, n == 0 ? "NONE" : "");
        if (k < 0 || (size_t) k >= size)
                return -E2BIG;
        len = (size_t) k;
        for (size_t i = 0; i < n; i++) {
                if (i > 0 && irqs[i] <= irqs[i - 1])
                        return -EINVAL;
                k = snprintf(buf + len, size - len, "%s%u", i > 0 ? " " : "", irqs[i]);
                if (k < 0 || (size_t) k >= size - len)
                        return -E2BIG;
                len += (size_t) k;
        }
        if (len > IRQBALANCE_COMMAND_MAX)
                return -E2BIG;
        return (int) len;
}

void irq_list_format(const unsigned *irqs, size_t n, char *buf, size_t size) {
        size_t len = 0;

        if (size == 0)
                return;
        buf[0] = 0;
        for (size_t i = 0; i < n; i++) {
                int k = snprintf(buf + len, size - len, "%s%u", i > 0 ? "," : "", irqs[i]);

                if (k < 0 || (size_t) k >= size - len) {
                        if (size >= 4)
                                memcpy(buf + size - 4, "...", 4);
                        return;
                }
                len += (size_t) k;
        }
}
