/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "ethtool-channels.h"
#include "parse-util.h"

/* ethtool 6.1 prints (tabs between the name and the value):
 *
 *   Channel parameters for eth0:
 *   Pre-set maximums:
 *   RX:             n/a
 *   ...
 *   Combined:       4
 *   Current hardware settings:
 *   ...
 *   Combined:       2
 */

typedef enum Section {
        SECTION_NONE,
        SECTION_MAX,     /* "Pre-set maximums:" */
        SECTION_CURRENT, /* "Current hardware settings:" */
} Section;

#define LINE_MAX_BYTES 128 /* a line of ethtool -l is short; longer ones are not its output */

static bool line_is(const char *line, size_t n, const char *s) {
        return n == strlen(s) && memcmp(line, s, n) == 0;
}

/* "Combined:" then blanks, then "n/a" (0) or a decimal number. -EINVAL otherwise. */
static int parse_combined(const char *line, size_t n, unsigned *ret) {
        static const char key[] = "Combined:";
        char value[LINE_MAX_BYTES];
        size_t k = sizeof(key) - 1;

        while (k < n && (line[k] == ' ' || line[k] == '\t'))
                k++;
        while (n > k && (line[n - 1] == ' ' || line[n - 1] == '\t'))
                n--;
        if (k == sizeof(key) - 1 && k < n)
                return -EINVAL; /* "Combined:4": not ethtool's */
        memcpy(value, line + k, n - k);
        value[n - k] = 0;
        if (streq(value, "n/a")) {
                *ret = 0;
                return 0;
        }
        return parse_decimal(value, ETHTOOL_CHANNELS_MAX, ret);
}

int ethtool_channels_parse(const char *text, size_t len, EthtoolChannels *ret, char **ret_error) {
        static const char what[] = "ethtool -l output";
        EthtoolChannels ch = {};
        bool seen_max = false, seen_current = false, seen_combined[3] = {};
        Section section = SECTION_NONE;
        size_t i = 0;

        if (!text || !ret)
                return -EINVAL;
        if (len > ETHTOOL_CHANNELS_TEXT_MAX)
                return parse_error(ret_error, -E2BIG, "%s: larger than %u bytes", what,
                                ETHTOOL_CHANNELS_TEXT_MAX);
        while (i < len) {
                const char *line = text + i, *nl = memchr(line, '\n', len - i);
                size_t n = nl ? (size_t) (nl - line) : len - i;
                char buf[EXCERPT_MAX];

                i += n + (nl ? 1 : 0);
                if (memchr(line, 0, n))
                        return parse_error(ret_error, -EINVAL, "%s: a NUL byte", what);
                if (n >= LINE_MAX_BYTES)
                        return parse_error(ret_error, -EINVAL, "%s: a line longer than %u bytes", what,
                                        LINE_MAX_BYTES - 1);
                if (line_is(line, n, "Pre-set maximums:")) {
                        if (seen_max)
                                return parse_error(
                                                ret_error, -EINVAL, "%s: \"Pre-set maximums:\" twice", what);
                        seen_max = true;
                        section = SECTION_MAX;
                } else if (line_is(line, n, "Current hardware settings:")) {
                        if (seen_current)
                                return parse_error(ret_error, -EINVAL,
                                                "%s: \"Current hardware settings:\" twice", what);
                        seen_current = true;
                        section = SECTION_CURRENT;
                } else if (n >= strlen("Combined:") && memcmp(line, "Combined:", strlen("Combined:")) == 0) {
                        unsigned v;

                        if (section == SECTION_NONE)
                                continue; /* not in a section ethtool prints it in: passed over */
                        if (seen_combined[section])
                                return parse_error(ret_error, -EINVAL,
                                                "%s: \"Combined:\" twice in a section", what);
                        if (parse_combined(line, n, &v) < 0)
                                return parse_error(ret_error, -EINVAL, "%s: \"%s\" is not a channel count",
                                                what, string_excerpt(line, n, buf));
                        seen_combined[section] = true;
                        if (section == SECTION_MAX)
                                ch.max_combined = v;
                        else
                                ch.combined = v;
                }
                /* "Channel parameters for DEV:", "RX:", "TX:", "Other:", blank lines: passed over. */
        }
        if (!seen_current)
                return parse_error(ret_error, -EINVAL, "%s: no \"Current hardware settings:\"", what);
        if (!seen_combined[SECTION_CURRENT])
                return parse_error(ret_error, -EINVAL,
                                "%s: no \"Combined:\" in the current hardware settings", what);
        *ret = ch;
        return 0;
}
