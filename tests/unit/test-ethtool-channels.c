/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ethtool-channels.h"
#include "macro.h"

/* 'ethtool -l' as Debian 12's ethtool 6.1 printed it: in the test guest for its virtio-net NIC with
 * <driver queues='4'/> and 2 vCPUs (at boot, and after 'ethtool -L eth0 combined 1'), through
 * tests/tools/guest-exec; and on the host for a veth with 4 queues after 'ethtool -L v0 rx 2 tx 2'. */
static const char virtio_2of4[] = "Channel parameters for eth0:\n"
                                  "Pre-set maximums:\n"
                                  "RX:\t\tn/a\n"
                                  "TX:\t\tn/a\n"
                                  "Other:\t\tn/a\n"
                                  "Combined:\t4\n"
                                  "Current hardware settings:\n"
                                  "RX:\t\tn/a\n"
                                  "TX:\t\tn/a\n"
                                  "Other:\t\tn/a\n"
                                  "Combined:\t2\n";
static const char virtio_1of4[] = "Channel parameters for eth0:\n"
                                  "Pre-set maximums:\n"
                                  "RX:\t\tn/a\n"
                                  "TX:\t\tn/a\n"
                                  "Other:\t\tn/a\n"
                                  "Combined:\t4\n"
                                  "Current hardware settings:\n"
                                  "RX:\t\tn/a\n"
                                  "TX:\t\tn/a\n"
                                  "Other:\t\tn/a\n"
                                  "Combined:\t1\n";
static const char veth[] = "Channel parameters for v0:\n"
                           "Pre-set maximums:\n"
                           "RX:\t\t4\n"
                           "TX:\t\t4\n"
                           "Other:\t\tn/a\n"
                           "Combined:\tn/a\n"
                           "Current hardware settings:\n"
                           "RX:\t\t2\n"
                           "TX:\t\t2\n"
                           "Other:\t\tn/a\n"
                           "Combined:\tn/a\n";

static void test_parse(void **state) {
        static const struct {
                const char *text;
                int r;
                unsigned max_combined, combined;
                const char *error;
        } cases[] = {
                        {virtio_2of4, 0, 4, 2, NULL},
                        {virtio_1of4, 0, 4, 1, NULL},
                        {veth, 0, 0, 0, NULL},
                        /* no trailing newline, blanks around the value, no maximums */
                        {"Current hardware settings:\nCombined:  3 ", 0, 0, 3, NULL},
                        {"Channel parameters for eth0:\nCombined:\t9\nCurrent hardware "
                         "settings:\nCombined:\t1\n",
                                        0, 0, 1, NULL},
                        {"", -EINVAL, 0, 0, "ethtool -l output: no \"Current hardware settings:\""},
                        {"netlink error: Operation not supported\n", -EINVAL, 0, 0,
                                        "ethtool -l output: no \"Current hardware settings:\""},
                        {"Current hardware settings:\nRX:\t\t1\n", -EINVAL, 0, 0,
                                        "ethtool -l output: no \"Combined:\" in the current hardware "
                                        "settings"},
                        {"Current hardware settings:\nCombined:\t1\nCombined:\t2\n", -EINVAL, 0, 0,
                                        "ethtool -l output: \"Combined:\" twice in a section"},
                        {"Current hardware settings:\nCurrent hardware settings:\n", -EINVAL, 0, 0,
                                        "ethtool -l output: \"Current hardware settings:\" twice"},
                        {"Current hardware settings:\nCombined:\t-1\n", -EINVAL, 0, 0,
                                        "ethtool -l output: \"Combined:?-1\" is not a channel count"},
                        {"Current hardware settings:\nCombined:\t65536\n", -EINVAL, 0, 0,
                                        "ethtool -l output: \"Combined:?65536\" is not a channel count"},
                        {"Current hardware settings:\nCombined:4\n", -EINVAL, 0, 0,
                                        "ethtool -l output: \"Combined:4\" is not a channel count"},
                        {"Current hardware settings:\nCombined:\t\n", -EINVAL, 0, 0,
                                        "ethtool -l output: \"Combined:?\" is not a channel count"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *error = NULL;
                EthtoolChannels ch = {.max_combined = 77, .combined = 77};
                int r;

                r = ethtool_channels_parse(cases[i].text, strlen(cases[i].text), &ch, &error);
                if (r != cases[i].r)
                        fail_msg("case %zu: r=%d, wanted %d (%s)", i, r, cases[i].r, error ?: "");
                if (r == 0) {
                        assert_int_equal(ch.max_combined, cases[i].max_combined);
                        assert_int_equal(ch.combined, cases[i].combined);
                        assert_null(error);
                } else {
                        assert_string_equal(error, cases[i].error);
                        assert_int_equal(ch.combined, 77); /* untouched on failure */
                }
        }
}

static void test_bounds(void **state) {
        _cleanup_free_ char *big = malloc(ETHTOOL_CHANNELS_TEXT_MAX + 1), *e1 = NULL, *e2 = NULL, *e3 = NULL;
        static const char nul[] = "Current hardware settings:\nCombined:\t2\0\n";
        char line[200];
        EthtoolChannels ch;

        assert_non_null(big);
        memset(big, '\n', ETHTOOL_CHANNELS_TEXT_MAX + 1);
        assert_int_equal(ethtool_channels_parse(big, ETHTOOL_CHANNELS_TEXT_MAX + 1, &ch, &e1), -E2BIG);
        assert_string_equal(e1, "ethtool -l output: larger than 4096 bytes");
        assert_int_equal(ethtool_channels_parse(nul, sizeof(nul) - 1, &ch, &e2), -EINVAL);
        assert_string_equal(e2, "ethtool -l output: a NUL byte");
        memset(line, 'x', sizeof(line) - 1);
        line[sizeof(line) - 1] = 0;
        assert_int_equal(ethtool_channels_parse(line, strlen(line), &ch, &e3), -EINVAL);
        assert_string_equal(e3, "ethtool -l output: a line longer than 127 bytes");
        /* exactly the bound: read */
        memset(big, '\n', ETHTOOL_CHANNELS_TEXT_MAX);
        memcpy(big, virtio_2of4, strlen(virtio_2of4));
        assert_int_equal(ethtool_channels_parse(big, ETHTOOL_CHANNELS_TEXT_MAX, &ch, NULL), 0);
        assert_int_equal(ch.combined, 2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_parse),
                        cmocka_unit_test(test_bounds),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
