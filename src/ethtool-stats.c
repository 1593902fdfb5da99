/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ethtool-stats.h"
#include "parse-util.h"

/* ethtool 6.1 prints, for virtio_net on Linux 6.1 (blanks, the name, ": ", the value):
 *
 *   NIC statistics:
 *        rx_queue_0_packets: 1201
 *        rx_queue_0_bytes: 170346
 *        rx_queue_0_drops: 0
 *        ...
 *        tx_queue_0_packets: 31
 *        ...
 */

enum {
        COUNTER_RX_PACKETS,
        COUNTER_RX_BYTES,
        COUNTER_TX_PACKETS,
        COUNTER_TX_BYTES,
        _COUNTER_MAX,
};

static const char *const counter_table[_COUNTER_MAX] = {
                [COUNTER_RX_PACKETS] = "rx_packets",
                [COUNTER_RX_BYTES] = "rx_bytes",
                [COUNTER_TX_PACKETS] = "tx_packets",
                [COUNTER_TX_BYTES] = "tx_bytes",
};

static uint64_t *counter_field(EthtoolQueueStats *q, int counter) {
        switch (counter) {
        case COUNTER_RX_PACKETS:
                return &q->rx_packets;
        case COUNTER_RX_BYTES:
                return &q->rx_bytes;
        case COUNTER_TX_PACKETS:
                return &q->tx_packets;
        default:
                return &q->tx_bytes;
        }
}

/* A queue number: digits, no leading zero, below ETHTOOL_STATS_QUEUES_MAX (-E2BIG past it). Sets
 * '*ret_end' after it. -EINVAL when 's' does not start with one. */
static int queue_number(const char *s, const char *end, unsigned *ret, const char **ret_end) {
        unsigned v = 0;
        const char *p = s;

        if (p >= end || *p < '0' || *p > '9' || (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9'))
                return -EINVAL;
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (unsigned) (*p - '0');
                if (v >= ETHTOOL_STATS_QUEUES_MAX)
                        return -E2BIG;
        }
        *ret = v;
        *ret_end = p;
        return 0;
}

static bool has_prefix(const char *s, const char *end, const char *prefix) {
        size_t n = strlen(prefix);

        return (size_t) (end - s) >= n && memcmp(s, prefix, n) == 0;
}

/* Which per-queue counter 'name' (up to 'end') is: "rx_queue_N_packets", rx or tx, packets or bytes.
 * -EOPNOTSUPP for a per-queue counter of Linux 6.10 on ("rx0_kicks": that virtio_net has no
 * per-queue packets or bytes in ethtool -S), -ENOENT for any other name (passed over), -E2BIG for a
 * queue number past the bound. */
static int counter_name(const char *name, const char *end, unsigned *ret_queue, int *ret_counter) {
        const char *p, *suffix;
        bool rx;
        unsigned q;
        int r;

        if (has_prefix(name, end, "rx"))
                rx = true;
        else if (has_prefix(name, end, "tx"))
                rx = false;
        else
                return -ENOENT;
        p = name + 2;
        if (!has_prefix(p, end, "_queue_")) {
                r = queue_number(p, end, &q, &p);
                return r >= 0 && p < end && *p == '_' ? -EOPNOTSUPP : -ENOENT;
        }
        p += strlen("_queue_");
        r = queue_number(p, end, &q, &p);
        if (r == -E2BIG)
                return r;
        if (r < 0 || p >= end || *p != '_')
                return -ENOENT;
        suffix = p + 1;
        for (int c = 0; c < _COUNTER_MAX; c++) {
                /* counter_table[c] is "rx_packets": its direction, then the suffix after "rx_". */
                const char *want = counter_table[c] + 3;

                if ((counter_table[c][0] == 'r') == rx && (size_t) (end - suffix) == strlen(want) &&
                                memcmp(suffix, want, strlen(want)) == 0) {
                        *ret_queue = q;
                        *ret_counter = c;
                        return 0;
                }
        }
        return -ENOENT;
}

int ethtool_stats_parse(const char *text, size_t len, EthtoolStats *ret, char **ret_error) {
        static const char what[] = "ethtool -S output";
        _cleanup_free_ EthtoolStats *st = NULL;
        _cleanup_free_ unsigned char *seen = NULL; /* per queue, a bit per counter */
        size_t i = 0, n_queues = 0;
        bool header = false, newer = false;

        if (!text || !ret)
                return -EINVAL;
        if (len > ETHTOOL_STATS_TEXT_MAX)
                return parse_error(
                                ret_error, -E2BIG, "%s: larger than %u bytes", what, ETHTOOL_STATS_TEXT_MAX);
        st = calloc(1, sizeof(EthtoolStats));
        seen = calloc(ETHTOOL_STATS_QUEUES_MAX, 1);
        if (!st || !seen)
                return -ENOMEM;
        while (i < len) {
                const char *line = text + i, *nl = memchr(line, '\n', len - i), *end, *name, *colon;
                size_t n = nl ? (size_t) (nl - line) : len - i;
                char buf[EXCERPT_MAX], value[32];
                unsigned q;
                int c, r;
                uint64_t v;

                i += n + (nl ? 1 : 0);
                if (memchr(line, 0, n))
                        return parse_error(ret_error, -EINVAL, "%s: a NUL byte", what);
                if (n > ETHTOOL_STATS_LINE_MAX)
                        return parse_error(ret_error, -E2BIG, "%s: a line longer than %u bytes", what,
                                        ETHTOOL_STATS_LINE_MAX);
                end = line + n;
                if (!header) {
                        if (n != strlen("NIC statistics:") || memcmp(line, "NIC statistics:", n) != 0)
                                return parse_error(ret_error, -EINVAL,
                                                "%s: \"%s\" where \"NIC statistics:\" was expected", what,
                                                string_excerpt(line, n, buf));
                        header = true;
                        continue;
                }
                if (n == 0)
                        continue;
                name = line;
                while (name < end && (*name == ' ' || *name == '\t'))
                        name++;
                /* The value follows the last ": " (a driver's name may hold a colon, ethtool's
                 * format does not). */
                colon = NULL;
                for (const char *p = name; p + 1 < end; p++)
                        if (p[0] == ':' && p[1] == ' ')
                                colon = p;
                if (name == line || !colon || colon == name)
                        return parse_error(ret_error, -EINVAL, "%s: \"%s\" is not \"NAME: VALUE\"", what,
                                        string_excerpt(line, n, buf));
                r = counter_name(name, colon, &q, &c);
                if (r == -E2BIG)
                        return parse_error(ret_error, -E2BIG, "%s: \"%s\": more than %u queues", what,
                                        string_excerpt(name, (size_t) (colon - name), buf),
                                        ETHTOOL_STATS_QUEUES_MAX);
                if (r == -EOPNOTSUPP)
                        newer = true;
                if (r < 0)
                        continue; /* another counter (drops, kicks, xdp_*): passed over */
                if ((size_t) (end - (colon + 2)) >= sizeof(value) ||
                                (memcpy(value, colon + 2, (size_t) (end - (colon + 2))),
                                                value[end - (colon + 2)] = 0,
                                                parse_decimal_u64(value, &v) < 0))
                        return parse_error(ret_error, -EINVAL, "%s: \"%s\" is not a counter", what,
                                        string_excerpt(line, n, buf));
                if (seen[q] & (1u << c))
                        return parse_error(ret_error, -EINVAL, "%s: %s twice for queue %u", what,
                                        string_excerpt(name, (size_t) (colon - name), buf), q);
                seen[q] |= 1u << c;
                *counter_field(&st->queues[q], c) = v;
                n_queues = MAX(n_queues, (size_t) q + 1);
        }
        if (!header)
                return parse_error(ret_error, -EINVAL, "%s: empty", what);
        if (n_queues == 0 && newer)
                return parse_error(ret_error, -EOPNOTSUPP,
                                "%s: per-queue counters without packets or bytes (rx0_kicks, ...): "
                                "virtio_net of Linux 6.10 and later reports those through netlink "
                                "(netdev qstats), not ethtool -S",
                                what);
        if (n_queues == 0)
                return parse_error(ret_error, -EINVAL,
                                "%s: no per-queue packet counters (rx_queue_N_packets; not virtio_net?)",
                                what);
        for (size_t q = 0; q < n_queues; q++)
                for (int c = 0; c < _COUNTER_MAX; c++)
                        if (!(seen[q] & (1u << c)))
                                return parse_error(ret_error, -EINVAL,
                                                "%s: queue %zu has no %.2s %s counter", what, q,
                                                counter_table[c], counter_table[c] + 3);
        st->n_queues = n_queues;
        *ret = *st;
        return 0;
}
