/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <string.h>

#include "macro.h"
#include "proc-stat.h"

#define STAT_FIELD_STIME     15
#define STAT_FIELD_PROCESSOR 39

/* The next blank-separated decimal field (an optional '-', then digits) between '*p' and 'end'.
 * Returns 1 and moves '*p' past it, 0 at the end of the line, -EINVAL for anything else. */
static int next_number(const char **p, const char *end, bool *ret_negative, uint64_t *ret) {
        const char *s = *p;
        bool negative = false;
        uint64_t v = 0;

        while (s < end && (*s == ' ' || *s == '\t'))
                s++;
        if (s == end || *s == '\n')
                return 0;
        if (*s == '-') {
                negative = true;
                s++;
        }
        if (s == end || *s < '0' || *s > '9')
                return -EINVAL;
        for (; s < end && *s >= '0' && *s <= '9'; s++) {
                if (v > (UINT64_MAX - (uint64_t) (*s - '0')) / 10)
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        if (s < end && *s != ' ' && *s != '\t' && *s != '\n')
                return -EINVAL;
        *p = s;
        *ret_negative = negative;
        *ret = v;
        return 1;
}

static bool pid_ok(bool negative, uint64_t v, bool zero_ok) {
        return !negative && v <= INT_MAX && (zero_ok || v > 0);
}

int proc_stat_parse(const char *text, size_t len, ProcStat *ret) {
        const char *end, *open, *close = NULL, *p;
        ProcStat st = {.processor = -1};
        bool negative;
        uint64_t v;
        size_t n;
        int r;

        if (!text || !ret)
                return -EINVAL;
        end = text + strnlen(text, len);

        /* "<pid> (" */
        p = text;
        r = next_number(&p, end, &negative, &v);
        if (r <= 0 || !pid_ok(negative, v, false))
                return -EINVAL;
        st.pid = (pid_t) v;
        if (end - p < 2 || p[0] != ' ' || p[1] != '(')
                return -EINVAL;
        open = p + 1;

        /* The name ends at the last ')': a name may itself hold ") S 1 (". */
        for (const char *c = open + 1; c < end; c++)
                if (*c == ')')
                        close = c;
        if (!close)
                return -EINVAL;
        n = (size_t) (close - open - 1);
        if (n >= sizeof(st.comm))
                return -E2BIG;
        memcpy(st.comm, open + 1, n);
        st.comm[n] = 0;

        /* " <state> " */
        p = close + 1;
        if (end - p < 3 || p[0] != ' ' || p[1] == ' ' || p[1] == '\n' || p[2] != ' ')
                return -EINVAL;
        st.state = p[1];
        p += 2;

        for (unsigned field = 4; field <= STAT_FIELD_PROCESSOR; field++) {
                r = next_number(&p, end, &negative, &v);
                if (r < 0)
                        return r;
                if (r == 0) {
                        if (field <= STAT_FIELD_STIME)
                                return -EINVAL;
                        break;
                }
                switch (field) {
                case 4:
                        if (!pid_ok(negative, v, true))
                                return -EINVAL;
                        st.ppid = (pid_t) v;
                        break;
                case 14:
                case STAT_FIELD_STIME:
                        if (negative)
                                return -EINVAL;
                        if (field == 14)
                                st.utime = v;
                        else
                                st.stime = v;
                        break;
                case STAT_FIELD_PROCESSOR:
                        if (negative || v > INT_MAX)
                                return -EINVAL;
                        st.processor = (int) v;
                        break;
                default:
                        break;
                }
        }

        *ret = st;
        return 0;
}

/* The line of a status file that starts with 'key' ("Tgid:"): '*ret_p' after the key, '*ret_eol'
 * at its end. -ENODATA when there is none. */
static int status_line(
                const char *text, size_t len, const char *key, const char **ret_p, const char **ret_eol) {
        size_t k = strlen(key);
        const char *end, *line;

        end = text + strnlen(text, len);
        for (line = text; line < end;) {
                const char *nl = memchr(line, '\n', (size_t) (end - line));
                const char *eol = nl ?: end;

                if ((size_t) (eol - line) >= k && memcmp(line, key, k) == 0) {
                        *ret_p = line + k;
                        *ret_eol = eol;
                        return 0;
                }
                line = nl ? nl + 1 : end;
        }
        return -ENODATA;
}

/* Nothing but blanks between 'p' and 'eol'. */
static bool only_blanks(const char *p, const char *eol) {
        while (p < eol && (*p == ' ' || *p == '\t'))
                p++;
        return p == eol;
}

int proc_status_tgid(const char *text, size_t len, pid_t *ret) {
        const char *p, *eol;
        bool negative;
        uint64_t v;
        int r;

        if (!text || !ret)
                return -EINVAL;
        r = status_line(text, len, "Tgid:", &p, &eol);
        if (r < 0)
                return r;
        if (next_number(&p, eol, &negative, &v) <= 0 || !pid_ok(negative, v, false) || !only_blanks(p, eol))
                return -EINVAL;
        *ret = (pid_t) v;
        return 0;
}

int proc_status_uid(const char *text, size_t len, uid_t *ret) {
        const char *p, *eol;
        uint64_t uid[4];
        bool negative;
        int r;

        if (!text || !ret)
                return -EINVAL;
        r = status_line(text, len, "Uid:", &p, &eol);
        if (r < 0)
                return r;
        /* real, effective, saved set, filesystem; (uid_t) -1 is no uid */
        for (size_t i = 0; i < ELEMENTSOF(uid); i++)
                if (next_number(&p, eol, &negative, &uid[i]) <= 0 || negative || uid[i] >= UINT32_MAX)
                        return -EINVAL;
        if (!only_blanks(p, eol))
                return -EINVAL;
        *ret = (uid_t) uid[0];
        return 0;
}
