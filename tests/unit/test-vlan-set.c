/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "macro.h"
#include "vlan-set.h"

static VlanSet set_of(const char *s) {
        VlanSet v;

        assert_int_equal(vlan_set_from_string(s, &v), 0);
        return v;
}

static void assert_to_string(const VlanSet *s, const char *want) {
        _cleanup_free_ char *got = vlan_set_to_string(s);

        assert_non_null(got);
        assert_string_equal(got, want);
}

static void test_empty(void **state) {
        VlanSet s = {};
        VlanRange r[4];

        assert_true(vlan_set_is_empty(&s));
        assert_int_equal(vlan_set_count(&s), 0);
        assert_int_equal(vlan_set_to_ranges(&s, r, ELEMENTSOF(r)), 0);
        assert_false(vlan_set_contains(&s, 0));
        assert_false(vlan_set_contains(&s, 4095));
        assert_to_string(&s, "");
}

static void test_single(void **state) {
        static const unsigned vids[] = {0, 1, 63, 64, 65, 100, 4094, 4095};

        for (size_t i = 0; i < ELEMENTSOF(vids); i++) {
                VlanSet s = {};
                VlanRange r[2];
                char want[8];

                assert_int_equal(vlan_set_add(&s, vids[i]), 0);
                assert_false(vlan_set_is_empty(&s));
                assert_int_equal(vlan_set_count(&s), 1);
                assert_true(vlan_set_contains(&s, vids[i]));
                assert_int_equal(vlan_set_to_ranges(&s, r, ELEMENTSOF(r)), 1);
                assert_int_equal(r[0].begin, vids[i]);
                assert_int_equal(r[0].end, vids[i]);
                (void) snprintf(want, sizeof(want), "%u", vids[i]);
                assert_to_string(&s, want);

                /* adding twice is harmless */
                assert_int_equal(vlan_set_add(&s, vids[i]), 0);
                assert_int_equal(vlan_set_count(&s), 1);
        }
}

static void test_full(void **state) {
        VlanSet s = {}, t;
        VlanRange r[2];

        for (unsigned vid = 0; vid < VLAN_VID_COUNT; vid++)
                assert_int_equal(vlan_set_add(&s, vid), 0);

        assert_int_equal(vlan_set_count(&s), 4096);
        assert_int_equal(vlan_set_to_ranges(&s, r, ELEMENTSOF(r)), 1);
        assert_int_equal(r[0].begin, 0);
        assert_int_equal(r[0].end, 4095);
        assert_to_string(&s, "0-4095");
        t = set_of("0-4095");
        assert_true(vlan_set_equal(&s, &t));
}

static void test_out_of_range(void **state) {
        VlanSet s = {};

        assert_int_equal(vlan_set_add(&s, 4096), -ERANGE);
        assert_int_equal(vlan_set_add(&s, UINT32_MAX), -ERANGE);
        assert_true(vlan_set_is_empty(&s));
        assert_false(vlan_set_contains(&s, 4096));
        vlan_set_remove(&s, 4096); /* no-op, no crash */
        assert_true(vlan_set_is_empty(&s));
}

static void test_interleaved(void **state) {
        VlanSet s = {};
        VlanRange r[8];

        assert_int_equal(vlan_set_add(&s, 10), 0);
        assert_int_equal(vlan_set_add(&s, 12), 0);
        assert_int_equal(vlan_set_add(&s, 11), 0);
        assert_to_string(&s, "10-12");
        vlan_set_remove(&s, 11);
        assert_to_string(&s, "10,12");
        assert_int_equal(vlan_set_to_ranges(&s, r, ELEMENTSOF(r)), 2);
        assert_int_equal(vlan_set_add(&s, 63), 0);
        assert_int_equal(vlan_set_add(&s, 64), 0);
        assert_to_string(&s, "10,12,63-64");
        vlan_set_remove(&s, 10);
        vlan_set_remove(&s, 10);
        vlan_set_remove(&s, 999);
        assert_to_string(&s, "12,63-64");
        assert_int_equal(vlan_set_count(&s), 3);
        vlan_set_remove(&s, 12);
        vlan_set_remove(&s, 63);
        vlan_set_remove(&s, 64);
        assert_true(vlan_set_is_empty(&s));
}

static void test_ranges_truncated(void **state) {
        VlanSet s = {};
        VlanRange r[2] = {};

        /* every other VID: 2048 ranges; the count is right even when the array is short */
        for (unsigned vid = 0; vid < VLAN_VID_COUNT; vid += 2)
                assert_int_equal(vlan_set_add(&s, vid), 0);

        assert_int_equal(vlan_set_to_ranges(&s, NULL, 0), 2048);
        assert_int_equal(vlan_set_to_ranges(&s, r, ELEMENTSOF(r)), 2048);
        assert_int_equal(r[0].begin, 0);
        assert_int_equal(r[1].begin, 2);
        assert_int_equal(r[1].end, 2);
}

static void test_set_ops(void **state) {
        VlanSet a = set_of("1-10,100"), b = set_of("5-20"), x;

        x = a;
        vlan_set_intersect(&x, &b);
        assert_to_string(&x, "5-10");
        x = a;
        vlan_set_subtract(&x, &b);
        assert_to_string(&x, "1-4,100");
        assert_false(vlan_set_equal(&a, &b));
        x = set_of("100, 1-10");
        assert_true(vlan_set_equal(&a, &x));
}

static void test_string_round_trip(void **state) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                        {"", ""},
                        {"   ", ""},
                        {"0", "0"},
                        {"4095", "4095"},
                        {"10,20,100-110", "10,20,100-110"},
                        {" 10 , 20 ,100 - 110 ", "10,20,100-110"},
                        {"\t5\t", "5"},
                        {"3,2,1", "1-3"},
                        {"1-3,2-5", "1-5"},
                        {"5-5", "5"},
                        {"007", "7"},
                        {"0,4095", "0,4095"},
                        {"0-63,64-127", "0-127"},
                        {"62-65", "62-65"},
                        {"1,3,5,7", "1,3,5,7"},
                        {"0-4094", "0-4094"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = NULL;
                VlanSet v, w;

                assert_int_equal(vlan_set_from_string(cases[i].in, &v), 0);
                s = vlan_set_to_string(&v);
                assert_non_null(s);
                assert_string_equal(s, cases[i].out);
                /* and back */
                assert_int_equal(vlan_set_from_string(s, &w), 0);
                assert_true(vlan_set_equal(&v, &w));
        }
}

static void test_string_worst_case(void **state) {
        _cleanup_free_ char *s = NULL;
        VlanSet v = {}, w;

        /* the longest string: pairs as ranges, a gap between each */
        for (unsigned vid = 0; vid < VLAN_VID_COUNT; vid++)
                if (vid % 3 != 2)
                        assert_int_equal(vlan_set_add(&v, vid), 0);
        s = vlan_set_to_string(&v);
        assert_non_null(s);
        assert_true(strncmp(s, "0-1,3-4,6-7,", 12) == 0);
        assert_true(strlen(s) > 10000);
        assert_int_equal(vlan_set_from_string(s, &w), 0);
        assert_true(vlan_set_equal(&v, &w));
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
                        {"1 2", -EINVAL},
                        {"+1", -EINVAL},
                        {"0x10", -EINVAL},
                        {"1.5", -EINVAL},
                        {"10;20", -EINVAL},
                        {"4096", -ERANGE},
                        {"0-4096", -ERANGE},
                        {"99999999999999999999999999", -ERANGE},
                        {"4294967296", -ERANGE},
                        {"20-10", -ERANGE},
                        {"1,5000", -ERANGE},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                VlanSet v = set_of("42");

                assert_int_equal(vlan_set_from_string(cases[i].in, &v), cases[i].r);
                /* untouched on failure */
                assert_to_string(&v, "42");
        }
        assert_int_equal(vlan_set_from_string(NULL, &(VlanSet){}), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_empty),
                        cmocka_unit_test(test_single),
                        cmocka_unit_test(test_full),
                        cmocka_unit_test(test_out_of_range),
                        cmocka_unit_test(test_interleaved),
                        cmocka_unit_test(test_ranges_truncated),
                        cmocka_unit_test(test_set_ops),
                        cmocka_unit_test(test_string_round_trip),
                        cmocka_unit_test(test_string_worst_case),
                        cmocka_unit_test(test_string_invalid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
