/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cpu-set.h"
#include "macro.h"

static CpuSet set_of(const char *s) {
        CpuSet c;

        assert_int_equal(cpu_set_from_string(s, &c), 0);
        return c;
}

static void assert_to_string(const CpuSet *s, const char *want) {
        _cleanup_free_ char *got = cpu_set_to_string(s);

        assert_non_null(got);
        assert_string_equal(got, want);
}

static void test_empty(void **state) {
        CpuSet s = {};
        char buf[8] = "xxxxxxx";
        int cpu, n = 0;

        assert_true(cpu_set_is_empty(&s));
        assert_int_equal(cpu_set_count(&s), 0);
        assert_false(cpu_set_contains(&s, 0));
        assert_false(cpu_set_contains(&s, CPU_SET_NR_CPUS - 1));
        assert_int_equal(cpu_set_next(&s, -1), -1);
        assert_int_equal(cpu_set_nth(&s, 0), -1);
        CPU_SET_FOREACH(cpu, &s) {
                n++;
        }
        assert_int_equal(n, 0);
        assert_to_string(&s, "");
        assert_int_equal(cpu_set_format(&s, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "");
}

static void test_single(void **state) {
        static const unsigned cpus[] = {0, 1, 63, 64, 65, 1023, 1024, 4095, 4096, 8190, 8191};

        for (size_t i = 0; i < ELEMENTSOF(cpus); i++) {
                CpuSet s = {}, t;
                char want[8];

                assert_int_equal(cpu_set_add(&s, cpus[i]), 0);
                assert_false(cpu_set_is_empty(&s));
                assert_int_equal(cpu_set_count(&s), 1);
                assert_true(cpu_set_contains(&s, cpus[i]));
                assert_int_equal(cpu_set_next(&s, -1), cpus[i]);
                assert_int_equal(cpu_set_next(&s, (int) cpus[i]), -1);
                assert_int_equal(cpu_set_nth(&s, 0), cpus[i]);
                assert_int_equal(cpu_set_nth(&s, 1), -1);
                (void) snprintf(want, sizeof(want), "%u", cpus[i]);
                assert_to_string(&s, want);
                t = set_of(want);
                assert_true(cpu_set_equal(&s, &t));

                /* adding twice is harmless */
                assert_int_equal(cpu_set_add(&s, cpus[i]), 0);
                assert_int_equal(cpu_set_count(&s), 1);
                cpu_set_remove(&s, cpus[i]);
                assert_true(cpu_set_is_empty(&s));
        }
}

static void test_full(void **state) {
        CpuSet s = {}, t;

        for (unsigned cpu = 0; cpu < CPU_SET_NR_CPUS; cpu++)
                assert_int_equal(cpu_set_add(&s, cpu), 0);

        assert_int_equal(cpu_set_count(&s), 8192);
        assert_int_equal(cpu_set_nth(&s, 8191), 8191);
        assert_int_equal(cpu_set_nth(&s, 8192), -1);
        assert_int_equal(cpu_set_next(&s, 8190), 8191);
        assert_int_equal(cpu_set_next(&s, 8191), -1);
        assert_int_equal(cpu_set_next(&s, 100000), -1);
        assert_to_string(&s, "0-8191");
        t = set_of("0-8191");
        assert_true(cpu_set_equal(&s, &t));
}

static void test_out_of_range(void **state) {
        CpuSet s = {};

        assert_int_equal(cpu_set_add(&s, 8192), -ERANGE);
        assert_int_equal(cpu_set_add(&s, UINT32_MAX), -ERANGE);
        assert_true(cpu_set_is_empty(&s));
        assert_false(cpu_set_contains(&s, 8192));
        assert_false(cpu_set_contains(&s, UINT32_MAX));
        cpu_set_remove(&s, 8192); /* no-op, no crash */
        assert_true(cpu_set_is_empty(&s));
}

static void test_iterate(void **state) {
        static const int want[] = {0, 2, 63, 64, 127, 128, 4000, 8191};
        CpuSet s = set_of("0,2,63-64,127-128,4000,8191");
        size_t n = 0;
        int cpu;

        assert_int_equal(cpu_set_count(&s), ELEMENTSOF(want));
        CPU_SET_FOREACH(cpu, &s) {
                assert_true(n < ELEMENTSOF(want));
                assert_int_equal(cpu, want[n]);
                assert_int_equal(cpu_set_nth(&s, n), want[n]);
                n++;
        }
        assert_int_equal(n, ELEMENTSOF(want));
        assert_int_equal(cpu_set_nth(&s, n), -1);
        assert_int_equal(cpu_set_next(&s, -5), 0); /* anything below 0 starts at the beginning */
        assert_int_equal(cpu_set_next(&s, 3), 63);
        assert_int_equal(cpu_set_next(&s, 64), 127);
        assert_int_equal(cpu_set_next(&s, 4000), 8191);
}

static void test_set_ops(void **state) {
        static const struct {
                const char *a, *b, *intersect, *subtract, *union_;
                bool equal;
        } cases[] = {
                        {"0-3", "2-5", "2-3", "0-1", "0-5", false},
                        {"0-3", "", "", "0-3", "0-3", false},
                        {"", "", "", "", "", true},
                        {"0-7", "0-7", "0-7", "", "0-7", true},
                        {"0-63", "64-127", "", "0-63", "0-127", false},
                        {"0,8191", "8191", "8191", "0", "0,8191", false},
                        {"0-8191", "1-8190", "1-8190", "0,8191", "0-8191", false},
                        {"2-3,6-7", "0-1,4-5", "", "2-3,6-7", "0-7", false},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                CpuSet a = set_of(cases[i].a), b = set_of(cases[i].b), x;

                print_message("case: %s, %s\n", cases[i].a, cases[i].b);
                x = a;
                cpu_set_intersect(&x, &b);
                assert_to_string(&x, cases[i].intersect);
                x = a;
                cpu_set_subtract(&x, &b);
                assert_to_string(&x, cases[i].subtract);
                x = a;
                cpu_set_union(&x, &b);
                assert_to_string(&x, cases[i].union_);
                assert_int_equal(cpu_set_equal(&a, &b), cases[i].equal);
        }
}

static void test_string_round_trip(void **state) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                        {"", ""},
                        {"\n", ""}, /* /sys/devices/system/cpu/isolated with none isolated */
                        {"   ", ""},
                        {"0-1\n", "0-1"}, /* a sysfs file: nodeN/cpulist, cpu/online */
                        {"0-3,8,10-11", "0-3,8,10-11"},
                        {"0-3,8,10-11\n", "0-3,8,10-11"},
                        {" 0 - 3 , 8 ,10-11 ", "0-3,8,10-11"},
                        {"\t5\t", "5"},
                        {"3,2,1", "1-3"},
                        {"0-3,2-5", "0-5"},   /* overlapping */
                        {"0-10,3-4", "0-10"}, /* contained */
                        {"4-7,0-3", "0-7"},   /* adjacent, out of order */
                        {"5-5", "5"},
                        {"007", "7"},
                        {"0,64", "0,64"}, /* SMT siblings on a 128-thread host */
                        {"0,2,4,6,8,10", "0,2,4,6,8,10"},
                        {"0-8191", "0-8191"},
                        {"8191", "8191"},
                        {"0-63,64-127", "0-127"},
                        {"62-65", "62-65"},
                        {"1,1,1", "1"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = NULL;
                CpuSet c, d;

                print_message("case: \"%s\"\n", cases[i].in);
                assert_int_equal(cpu_set_from_string(cases[i].in, &c), 0);
                s = cpu_set_to_string(&c);
                assert_non_null(s);
                assert_string_equal(s, cases[i].out);
                /* and back */
                assert_int_equal(cpu_set_from_string(s, &d), 0);
                assert_true(cpu_set_equal(&c, &d));
        }
}

static void test_string_invalid(void **state) {
        static const struct {
                const char *in;
                int r;
        } cases[] = {
                        {",", -EINVAL},
                        {"1,", -EINVAL},
                        {",1", -EINVAL},
                        {"1,,2", -EINVAL},
                        {"1-", -EINVAL},
                        {"-1", -EINVAL},
                        {"1--2", -EINVAL},
                        {"1-2-3", -EINVAL},
                        {"a", -EINVAL},
                        {"1a", -EINVAL},
                        {"1 2", -EINVAL},
                        {"1\n2", -EINVAL},
                        {"+1", -EINVAL},
                        {"0x10", -EINVAL},
                        {"ff", -EINVAL},      /* the bitmask form of smp_affinity is not a list */
                        {"0-7:2/4", -EINVAL}, /* the kernel's stride form is accepted on input only */
                        {"1.5", -EINVAL},
                        {"1;2", -EINVAL},
                        {"8192", -ERANGE},
                        {"0-8192", -ERANGE},
                        {"3-1", -ERANGE},
                        {"1,9000", -ERANGE},
                        {"4294967296", -ERANGE},
                        {"18446744073709551616", -ERANGE},
                        {"99999999999999999999999999999999999999", -ERANGE},
                        {"0-99999999999999999999999999999999999999", -ERANGE},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                CpuSet c = set_of("42");

                print_message("case: \"%s\"\n", cases[i].in);
                assert_int_equal(cpu_set_from_string(cases[i].in, &c), cases[i].r);
                /* untouched on failure */
                assert_to_string(&c, "42");
        }
        assert_int_equal(cpu_set_from_string(NULL, &(CpuSet){}), -EINVAL);
        assert_int_equal(cpu_set_from_string("1", NULL), -EINVAL);
}

static void test_format_truncated(void **state) {
        CpuSet s = set_of("0-3,8,10-11");
        char buf[6], tiny[1] = {'x'};

        /* snprintf() semantics: the whole length back, the buffer cut and terminated */
        assert_int_equal(cpu_set_format(&s, buf, sizeof(buf)), strlen("0-3,8,10-11"));
        assert_string_equal(buf, "0-3,8");
        assert_int_equal(cpu_set_format(&s, tiny, sizeof(tiny)), 11);
        assert_int_equal(tiny[0], 0);
        assert_int_equal(cpu_set_format(&s, NULL, 0), 11);
}

static void test_string_worst_case(void **state) {
        _cleanup_free_ char *s = NULL;
        CpuSet c = {}, d;

        /* the longest list: pairs as ranges with a gap after each */
        for (unsigned cpu = 0; cpu < CPU_SET_NR_CPUS; cpu++)
                if (cpu % 3 != 2)
                        assert_int_equal(cpu_set_add(&c, cpu), 0);
        s = cpu_set_to_string(&c);
        assert_non_null(s);
        assert_true(strncmp(s, "0-1,3-4,6-7,", 12) == 0);
        assert_int_equal(strlen(s), cpu_set_format(&c, NULL, 0));
        assert_true(strlen(s) > 20000);
        assert_int_equal(cpu_set_from_string(s, &d), 0);
        assert_true(cpu_set_equal(&c, &d));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_empty),
                        cmocka_unit_test(test_single),
                        cmocka_unit_test(test_full),
                        cmocka_unit_test(test_out_of_range),
                        cmocka_unit_test(test_iterate),
                        cmocka_unit_test(test_set_ops),
                        cmocka_unit_test(test_string_round_trip),
                        cmocka_unit_test(test_string_invalid),
                        cmocka_unit_test(test_format_truncated),
                        cmocka_unit_test(test_string_worst_case),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
