/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ether-addr.h"
#include "macro.h"

static EtherAddr mac(const char *s) {
        EtherAddr a = {};

        assert_int_equal(ether_addr_from_string(s, &a), 0);
        return a;
}

static void test_from_string_valid(void **state) {
        static const struct {
                const char *in;
                uint8_t bytes[6];
                const char *out;
        } cases[] = {
                        {"52:54:00:12:34:56", {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, "52:54:00:12:34:56"},
                        {"00:00:00:00:00:00", {0, 0, 0, 0, 0, 0}, "00:00:00:00:00:00"},
                        {"ff:ff:ff:ff:ff:ff", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "ff:ff:ff:ff:ff:ff"},
                        {"AB:CD:EF:0a:Bc:dE", {0xab, 0xcd, 0xef, 0x0a, 0xbc, 0xde}, "ab:cd:ef:0a:bc:de"},
                        {"01:00:5e:00:00:01", {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, "01:00:5e:00:00:01"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char buf[ETHER_ADDR_STRING_MAX];
                EtherAddr a;

                assert_int_equal(ether_addr_from_string(cases[i].in, &a), 0);
                assert_memory_equal(a.bytes, cases[i].bytes, 6);
                assert_string_equal(ether_addr_to_string(&a, buf), cases[i].out);
                assert_ptr_equal(ether_addr_to_string(&a, buf), buf);
        }
}

static void test_from_string_invalid(void **state) {
        static const char *const cases[] = {
                        "",
                        "52:54:00:12:34",
                        "52:54:00:12:34:5",
                        "52:54:00:12:34:567",
                        "52:54:00:12:34:56:",
                        "52:54:00:12:34:56 ",
                        " 52:54:00:12:34:56",
                        "52-54-00-12-34-56",
                        "5254.0012.3456",
                        "525400123456",
                        "52:54:00:12:34:5g",
                        "g2:54:00:12:34:56",
                        "2:54:00:12:34:56a",
                        "52:54:0:012:34:56",
                        "+2:54:00:12:34:56",
                        "52::54:00:12:34:5",
                        "52:54:00:12:34:56\n",
                        "xx:xx:xx:xx:xx:xx",
                        "52:54:00:12:34:56 and more text after it",
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                EtherAddr a = {.bytes = {1, 2, 3, 4, 5, 6}};

                assert_int_equal(ether_addr_from_string(cases[i], &a), -EINVAL);
                /* untouched on failure */
                assert_memory_equal(a.bytes, ((uint8_t[]){1, 2, 3, 4, 5, 6}), 6);
        }

        assert_int_equal(ether_addr_from_string(NULL, &(EtherAddr){}), -EINVAL);
        assert_int_equal(ether_addr_from_string("52:54:00:12:34:56", NULL), -EINVAL);
}

static void test_from_string_embedded_nul(void **state) {
        /* A NUL inside the 17 bytes ends the string early: too short, never read past. */
        static const char s[] = "52:54:00\0:12:34:56";
        EtherAddr a;

        assert_int_equal(ether_addr_from_string(s, &a), -EINVAL);
}

static void test_predicates(void **state) {
        EtherAddr zero = {}, uc = mac("52:54:00:12:34:56"), mc = mac("01:00:5e:00:00:01"),
                  bc = mac("ff:ff:ff:ff:ff:ff"), v6 = mac("33:33:00:00:00:01");

        assert_true(ether_addr_is_zero(&zero));
        assert_false(ether_addr_is_zero(&uc));
        assert_false(ether_addr_is_multicast(&uc));
        assert_true(ether_addr_is_multicast(&mc));
        assert_true(ether_addr_is_multicast(&bc));
        assert_true(ether_addr_is_multicast(&v6));
        assert_false(ether_addr_is_multicast(&zero));
        assert_true(ether_addr_equal(&uc, &(EtherAddr){{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}}));
        assert_false(ether_addr_equal(&uc, &mc));
}

static void test_compare(void **state) {
        EtherAddr a = mac("00:00:00:00:00:01"), b = mac("00:00:00:00:00:02"), c = mac("01:00:00:00:00:00");

        assert_true(ether_addr_compare(&a, &b) < 0);
        assert_true(ether_addr_compare(&b, &a) > 0);
        assert_true(ether_addr_compare(&b, &c) < 0);
        assert_int_equal(ether_addr_compare(&a, &a), 0);
}

static void test_sort_unique(void **state) {
        static const struct {
                const char *in[8];
                const char *out[8];
        } cases[] = {
                        {{NULL}, {NULL}},
                        {{"52:54:00:00:00:01"}, {"52:54:00:00:00:01"}},
                        /* QEMU lists its tables last entry first */
                        {{"33:33:ff:12:34:56", "33:33:00:00:00:01", "01:00:5e:00:00:01"},
                                        {"01:00:5e:00:00:01", "33:33:00:00:00:01", "33:33:ff:12:34:56"}},
                        {{"01:00:5e:00:00:01", "01:00:5e:00:00:01", "01:00:5e:00:00:01"},
                                        {"01:00:5e:00:00:01"}},
                        {{"02:00:00:00:00:02", "02:00:00:00:00:01", "02:00:00:00:00:02",
                                         "02:00:00:00:00:01"},
                                        {"02:00:00:00:00:01", "02:00:00:00:00:02"}},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                EtherAddr a[8];
                size_t n = 0, m = 0;

                while (cases[i].in[n]) {
                        a[n] = mac(cases[i].in[n]);
                        n++;
                }
                while (cases[i].out[m])
                        m++;

                assert_int_equal(ether_addr_sort_unique(a, n), m);
                for (size_t j = 0; j < m; j++) {
                        EtherAddr want = mac(cases[i].out[j]);

                        assert_true(ether_addr_equal(&a[j], &want));
                }
        }
}

static void test_set_difference(void **state) {
        EtherAddr a[] = {mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"), mac("02:00:00:00:00:03"),
                        mac("02:00:00:00:00:05")};
        EtherAddr b[] = {mac("02:00:00:00:00:00"), mac("02:00:00:00:00:02"), mac("02:00:00:00:00:05"),
                        mac("02:00:00:00:00:09")};
        EtherAddr out[ELEMENTSOF(a)];

        assert_int_equal(ether_addr_set_difference(a, ELEMENTSOF(a), b, ELEMENTSOF(b), out), 2);
        assert_true(ether_addr_equal(&out[0], &a[0]));
        assert_true(ether_addr_equal(&out[1], &a[2]));

        assert_int_equal(ether_addr_set_difference(a, ELEMENTSOF(a), NULL, 0, out), ELEMENTSOF(a));
        assert_memory_equal(out, a, sizeof(a));
        assert_int_equal(ether_addr_set_difference(NULL, 0, b, ELEMENTSOF(b), out), 0);
        assert_int_equal(ether_addr_set_difference(a, ELEMENTSOF(a), a, ELEMENTSOF(a), out), 0);

        /* b - a */
        assert_int_equal(ether_addr_set_difference(b, ELEMENTSOF(b), a, ELEMENTSOF(a), out), 2);
        assert_true(ether_addr_equal(&out[0], &b[0]));
        assert_true(ether_addr_equal(&out[1], &b[3]));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_from_string_valid),
                        cmocka_unit_test(test_from_string_invalid),
                        cmocka_unit_test(test_from_string_embedded_nul),
                        cmocka_unit_test(test_predicates),
                        cmocka_unit_test(test_compare),
                        cmocka_unit_test(test_sort_unique),
                        cmocka_unit_test(test_set_difference),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
