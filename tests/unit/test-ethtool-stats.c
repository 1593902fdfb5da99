/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ethtool-stats.h"
#include "macro.h"

/* 'ethtool -S eth0' as Debian 12's ethtool 6.1 printed it in the test guest (Debian's 6.1 kernel,
 * virtio_net, <driver queues='4'/> and 2 vCPUs: 2 pairs in use), through tests/tools/guest-exec:
 * at boot; after 'ping -c 200 -A' to the host (one flow: its replies all came in on queue 1, and the
 * requests went out on queue 1); and after 'ethtool -L eth0 combined 1', which lists one pair. */
static const char virtio_boot[] = "NIC statistics:\n"
                                  "     rx_queue_0_packets: 10\n"
                                  "     rx_queue_0_bytes: 816\n"
                                  "     rx_queue_0_drops: 0\n"
                                  "     rx_queue_0_xdp_packets: 0\n"
                                  "     rx_queue_0_xdp_tx: 0\n"
                                  "     rx_queue_0_xdp_redirects: 0\n"
                                  "     rx_queue_0_xdp_drops: 0\n"
                                  "     rx_queue_0_kicks: 1\n"
                                  "     rx_queue_1_packets: 0\n"
                                  "     rx_queue_1_bytes: 0\n"
                                  "     rx_queue_1_drops: 0\n"
                                  "     rx_queue_1_xdp_packets: 0\n"
                                  "     rx_queue_1_xdp_tx: 0\n"
                                  "     rx_queue_1_xdp_redirects: 0\n"
                                  "     rx_queue_1_xdp_drops: 0\n"
                                  "     rx_queue_1_kicks: 1\n"
                                  "     tx_queue_0_packets: 3\n"
                                  "     tx_queue_0_bytes: 266\n"
                                  "     tx_queue_0_xdp_tx: 0\n"
                                  "     tx_queue_0_xdp_tx_drops: 0\n"
                                  "     tx_queue_0_kicks: 3\n"
                                  "     tx_queue_0_tx_timeouts: 0\n"
                                  "     tx_queue_1_packets: 0\n"
                                  "     tx_queue_1_bytes: 0\n"
                                  "     tx_queue_1_xdp_tx: 0\n"
                                  "     tx_queue_1_xdp_tx_drops: 0\n"
                                  "     tx_queue_1_kicks: 0\n"
                                  "     tx_queue_1_tx_timeouts: 0\n";
static const char virtio_ping[] = "NIC statistics:\n"
                                  "     rx_queue_0_packets: 14\n"
                                  "     rx_queue_0_bytes: 1096\n"
                                  "     rx_queue_0_drops: 0\n"
                                  "     rx_queue_0_xdp_packets: 0\n"
                                  "     rx_queue_0_xdp_tx: 0\n"
                                  "     rx_queue_0_xdp_redirects: 0\n"
                                  "     rx_queue_0_xdp_drops: 0\n"
                                  "     rx_queue_0_kicks: 1\n"
                                  "     rx_queue_1_packets: 201\n"
                                  "     rx_queue_1_bytes: 19698\n"
                                  "     rx_queue_1_drops: 0\n"
                                  "     rx_queue_1_xdp_packets: 0\n"
                                  "     rx_queue_1_xdp_tx: 0\n"
                                  "     rx_queue_1_xdp_redirects: 0\n"
                                  "     rx_queue_1_xdp_drops: 0\n"
                                  "     rx_queue_1_kicks: 1\n"
                                  "     tx_queue_0_packets: 8\n"
                                  "     tx_queue_0_bytes: 712\n"
                                  "     tx_queue_0_xdp_tx: 0\n"
                                  "     tx_queue_0_xdp_tx_drops: 0\n"
                                  "     tx_queue_0_kicks: 7\n"
                                  "     tx_queue_0_tx_timeouts: 0\n"
                                  "     tx_queue_1_packets: 202\n"
                                  "     tx_queue_1_bytes: 19740\n"
                                  "     tx_queue_1_xdp_tx: 0\n"
                                  "     tx_queue_1_xdp_tx_drops: 0\n"
                                  "     tx_queue_1_kicks: 202\n"
                                  "     tx_queue_1_tx_timeouts: 0\n";
static const char virtio_one[] = "NIC statistics:\n"
                                 "     rx_queue_0_packets: 14\n"
                                 "     rx_queue_0_bytes: 1096\n"
                                 "     rx_queue_0_drops: 0\n"
                                 "     rx_queue_0_xdp_packets: 0\n"
                                 "     rx_queue_0_xdp_tx: 0\n"
                                 "     rx_queue_0_xdp_redirects: 0\n"
                                 "     rx_queue_0_xdp_drops: 0\n"
                                 "     rx_queue_0_kicks: 1\n"
                                 "     tx_queue_0_packets: 8\n"
                                 "     tx_queue_0_bytes: 712\n"
                                 "     tx_queue_0_xdp_tx: 0\n"
                                 "     tx_queue_0_xdp_tx_drops: 0\n"
                                 "     tx_queue_0_kicks: 7\n"
                                 "     tx_queue_0_tx_timeouts: 0\n";

/* Captured in the kernel VM on Debian's 6.12.117 (one queue pair): from Linux 6.10 virtio_net's
 * per-queue lines have no packets or bytes (they moved to netlink's netdev queue statistics). */
static const char virtio_6_12[] = "NIC statistics:\n"
                                  "     rx_drops: 0\n"
                                  "     rx_xdp_packets: 0\n"
                                  "     rx_xdp_tx: 0\n"
                                  "     rx_xdp_redirects: 0\n"
                                  "     rx_xdp_drops: 0\n"
                                  "     rx_kicks: 1\n"
                                  "     tx_xdp_tx: 0\n"
                                  "     tx_xdp_tx_drops: 0\n"
                                  "     tx_kicks: 1\n"
                                  "     tx_tx_timeouts: 0\n"
                                  "     rx0_drops: 0\n"
                                  "     rx0_xdp_packets: 0\n"
                                  "     rx0_xdp_tx: 0\n"
                                  "     rx0_xdp_redirects: 0\n"
                                  "     rx0_xdp_drops: 0\n"
                                  "     rx0_kicks: 1\n"
                                  "     tx0_xdp_tx: 0\n"
                                  "     tx0_xdp_tx_drops: 0\n"
                                  "     tx0_kicks: 1\n"
                                  "     tx0_tx_timeouts: 0\n";

static void test_parse_captured(void **state) {
        _cleanup_free_ EthtoolStats *st = malloc(sizeof(EthtoolStats));

        assert_non_null(st);
        assert_int_equal(ethtool_stats_parse(virtio_boot, strlen(virtio_boot), st, NULL), 0);
        assert_int_equal(st->n_queues, 2);
        assert_int_equal(st->queues[0].rx_packets, 10);
        assert_int_equal(st->queues[0].rx_bytes, 816);
        assert_int_equal(st->queues[0].tx_packets, 3);
        assert_int_equal(st->queues[0].tx_bytes, 266);
        assert_int_equal(st->queues[1].rx_packets, 0);
        assert_int_equal(ethtool_stats_parse(virtio_ping, strlen(virtio_ping), st, NULL), 0);
        assert_int_equal(st->n_queues, 2);
        assert_int_equal(st->queues[1].rx_packets, 201);
        assert_int_equal(st->queues[1].rx_bytes, 19698);
        assert_int_equal(st->queues[1].tx_packets, 202);
        assert_int_equal(st->queues[1].tx_bytes, 19740);
        assert_int_equal(st->queues[0].tx_packets, 8);
        assert_int_equal(ethtool_stats_parse(virtio_one, strlen(virtio_one), st, NULL), 0);
        assert_int_equal(st->n_queues, 1);
        assert_int_equal(st->queues[0].rx_packets, 14);
}

static void test_parse_6_10_on(void **state) {
        _cleanup_free_ EthtoolStats *st = malloc(sizeof(EthtoolStats));
        _cleanup_free_ char *error = NULL;

        assert_non_null(st);
        st->n_queues = 77;
        assert_int_equal(ethtool_stats_parse(virtio_6_12, strlen(virtio_6_12), st, &error), -EOPNOTSUPP);
        assert_string_equal(error,
                        "ethtool -S output: per-queue counters without packets or bytes (rx0_kicks, ...): "
                        "virtio_net of Linux 6.10 and later reports those through netlink (netdev qstats), "
                        "not ethtool -S");
        assert_int_equal(st->n_queues, 77); /* untouched */
}

#define Q0                                                                                                  \
        "     rx_queue_0_packets: 1\n     rx_queue_0_bytes: 2\n     tx_queue_0_packets: 3\n     "           \
        "tx_queue_0_bytes: 4\n"

static void test_parse(void **state) {
        static const struct {
                const char *text;
                int r;
                size_t n_queues;
                const char *error;
        } cases[] = {
                        {"NIC statistics:\n" Q0, 0, 1, NULL},
                        /* no trailing newline, other counters and blank lines passed over */
                        {"NIC statistics:\n\n     rx_queue_0_kicks: 9\n     tx_queue_0_bytes: 4\n"
                         "     tx_queue_0_packets: 3\n     rx_queue_0_bytes: 2\n     rx_queue_0_packets: 1",
                                        0, 1, NULL},
                        {"NIC statistics:\n     rx_queue_0_packets: 18446744073709551615\n"
                         "     rx_queue_0_bytes: 2\n     tx_queue_0_packets: 3\n     tx_queue_0_bytes: 4\n",
                                        0, 1, NULL},
                        {"", -EINVAL, 0, "ethtool -S output: empty"},
                        {"no stats available\n", -EINVAL, 0,
                                        "ethtool -S output: \"no stats available\" where \"NIC "
                                        "statistics:\" was "
                                        "expected"},
                        {"NIC statistics:\n     rx_errors: 0\n", -EINVAL, 0,
                                        "ethtool -S output: no per-queue packet counters "
                                        "(rx_queue_N_packets; not "
                                        "virtio_net?)"},
                        {"NIC statistics:\n     rx_queue_0_packets: 18446744073709551616\n", -EINVAL, 0,
                                        "ethtool -S output: \"     rx_queue_0_packets: "
                                        "18446744073709551616\" is "
                                        "not a counter"},
                        {"NIC statistics:\n     rx_queue_0_packets: -1\n", -EINVAL, 0,
                                        "ethtool -S output: \"     rx_queue_0_packets: -1\" is not a "
                                        "counter"},
                        {"NIC statistics:\n     rx_queue_0_packets: +1\n", -EINVAL, 0,
                                        "ethtool -S output: \"     rx_queue_0_packets: +1\" is not a "
                                        "counter"},
                        {"NIC statistics:\n     rx_queue_0_packets: 1 \n", -EINVAL, 0,
                                        "ethtool -S output: \"     rx_queue_0_packets: 1 \" is not a "
                                        "counter"},
                        {"NIC statistics:\n     rx_queue_0_packets: \n", -EINVAL, 0,
                                        "ethtool -S output: \"     rx_queue_0_packets: \" is not a counter"},
                        {"NIC statistics:\n     rx_queue_0_packets:1\n", -EINVAL, 0,
                                        "ethtool -S output: \"     rx_queue_0_packets:1\" is not \"NAME: "
                                        "VALUE\""},
                        {"NIC statistics:\nrx_queue_0_packets: 1\n", -EINVAL, 0,
                                        "ethtool -S output: \"rx_queue_0_packets: 1\" is not \"NAME: "
                                        "VALUE\""},
                        {"NIC statistics:\n" Q0 "     rx_queue_0_packets: 1\n", -EINVAL, 0,
                                        "ethtool -S output: rx_queue_0_packets twice for queue 0"},
                        /* a 6.10-style line next to the counters: passed over */
                        {"NIC statistics:\n" Q0 "     rx0_kicks: 1\n", 0, 1, NULL},
                        {"NIC statistics:\n     rx_queue_1_packets: 1\n     rx_queue_1_bytes: 2\n"
                         "     tx_queue_1_packets: 3\n     tx_queue_1_bytes: 4\n",
                                        -EINVAL, 0, "ethtool -S output: queue 0 has no rx packets counter"},
                        {"NIC statistics:\n     rx_queue_0_packets: 1\n     rx_queue_0_bytes: 2\n"
                         "     tx_queue_0_packets: 3\n",
                                        -EINVAL, 0, "ethtool -S output: queue 0 has no tx bytes counter"},
                        /* a leading zero is not a queue number ethtool prints: another counter */
                        {"NIC statistics:\n" Q0 "     rx_queue_01_packets: 1\n", 0, 1, NULL},
                        {"NIC statistics:\n     rx_queue_256_packets: 1\n", -E2BIG, 0,
                                        "ethtool -S output: \"rx_queue_256_packets\": more than 256 queues"},
                        {"NIC statistics:\n     rx_queue_99999999999999999999_packets: 1\n", -E2BIG, 0,
                                        "ethtool -S output: \"rx_queue_99999999999999999999_packets\": more "
                                        "than 256 "
                                        "queues"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ EthtoolStats *st = malloc(sizeof(EthtoolStats));
                _cleanup_free_ char *error = NULL;
                int r;

                assert_non_null(st);
                st->n_queues = 77;
                r = ethtool_stats_parse(cases[i].text, strlen(cases[i].text), st, &error);
                if (r != cases[i].r)
                        fail_msg("case %zu: r=%d, wanted %d (%s)", i, r, cases[i].r, error ?: "");
                if (r == 0) {
                        assert_int_equal(st->n_queues, cases[i].n_queues);
                        assert_null(error);
                } else {
                        assert_string_equal(error, cases[i].error);
                        assert_int_equal(st->n_queues, 77); /* untouched on failure */
                }
        }
}

/* The bounds: text, line, queues; 256 pairs in 6.1's form (14 lines each) fit the text bound. */
static void test_bounds(void **state) {
        _cleanup_free_ char *big = malloc(ETHTOOL_STATS_TEXT_MAX + 1), *e1 = NULL, *e2 = NULL, *e3 = NULL;
        _cleanup_free_ EthtoolStats *st = malloc(sizeof(EthtoolStats));
        static const char nul[] = "NIC statistics:\n     rx_queue_0_packets: 1\0\n";
        char line[300];
        size_t n = 0;

        assert_non_null(big);
        assert_non_null(st);
        memset(big, '\n', ETHTOOL_STATS_TEXT_MAX + 1);
        assert_int_equal(ethtool_stats_parse(big, ETHTOOL_STATS_TEXT_MAX + 1, st, &e1), -E2BIG);
        assert_string_equal(e1, "ethtool -S output: larger than 262144 bytes");
        assert_int_equal(ethtool_stats_parse(nul, sizeof(nul) - 1, st, &e2), -EINVAL);
        assert_string_equal(e2, "ethtool -S output: a NUL byte");
        n = (size_t) snprintf(line, sizeof(line), "NIC statistics:\n     ");
        memset(line + n, 'x', sizeof(line) - n - 1);
        line[sizeof(line) - 1] = 0;
        assert_int_equal(ethtool_stats_parse(line, strlen(line), st, &e3), -E2BIG);
        assert_string_equal(e3, "ethtool -S output: a line longer than 128 bytes");

        n = (size_t) snprintf(big, ETHTOOL_STATS_TEXT_MAX, "NIC statistics:\n");
        for (unsigned q = 0; q < ETHTOOL_STATS_QUEUES_MAX; q++) {
                static const char *const rx[] = {"packets", "bytes", "drops", "xdp_packets", "xdp_tx",
                                "xdp_redirects", "xdp_drops", "kicks"};
                static const char *const tx[] = {
                                "packets", "bytes", "xdp_tx", "xdp_tx_drops", "kicks", "tx_timeouts"};

                for (size_t k = 0; k < ELEMENTSOF(rx); k++)
                        n += (size_t) snprintf(big + n, ETHTOOL_STATS_TEXT_MAX - n,
                                        "     rx_queue_%u_%s: %u\n", q, rx[k], q * 10);
                for (size_t k = 0; k < ELEMENTSOF(tx); k++)
                        n += (size_t) snprintf(big + n, ETHTOOL_STATS_TEXT_MAX - n,
                                        "     tx_queue_%u_%s: 18446744073709551615\n", q, tx[k]);
        }
        assert_true(n < ETHTOOL_STATS_TEXT_MAX);
        assert_int_equal(ethtool_stats_parse(big, n, st, NULL), 0);
        assert_int_equal(st->n_queues, ETHTOOL_STATS_QUEUES_MAX);
        assert_int_equal(st->queues[255].rx_packets, 2550);
        assert_true(st->queues[255].tx_bytes == UINT64_MAX);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_parse_captured),
                        cmocka_unit_test(test_parse_6_10_on),
                        cmocka_unit_test(test_parse),
                        cmocka_unit_test(test_bounds),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
