/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "utf8.h"

static void test_valid(void **state) {
        assert_true(utf8_is_valid(""));
        assert_true(utf8_is_valid("net0"));
        assert_true(utf8_is_valid("caf\xc3\xa9"));      /* é */
        assert_true(utf8_is_valid("\xe2\x82\xac"));     /* € */
        assert_true(utf8_is_valid("\xf0\x9f\x98\x80")); /* U+1F600 */
        assert_true(utf8_is_valid("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
}

static void test_invalid(void **state) {
        static const char *const bad[] = {
                        "caf\xc3",          /* cut in the middle of é: what a bounded buffer does */
                        "\xe2\x82",         /* cut € */
                        "\x80",             /* lone continuation byte */
                        "\xc0\xaf",         /* overlong '/' */
                        "\xe0\x80\xaf",     /* overlong, 3 bytes */
                        "\xed\xa0\x80",     /* surrogate U+D800 */
                        "\xf4\x90\x80\x80", /* above U+10FFFF */
                        "\xff",
                        "latin1 \xe9t\xe9",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                print_message("case %zu\n", i);
                assert_false(utf8_is_valid(bad[i]));
        }
}

static void test_make_valid(void **state) {
        char *s;

        s = utf8_make_valid("caf\xc3");
        assert_string_equal(s, "caf?");
        free(s);
        s = utf8_make_valid("a\xff\xc3\xa9z\xed\xa0\x80");
        assert_string_equal(s, "a?\xc3\xa9z???");
        assert_true(utf8_is_valid(s));
        free(s);
        s = utf8_make_valid("plain");
        assert_string_equal(s, "plain");
        free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_valid),
                        cmocka_unit_test(test_invalid),
                        cmocka_unit_test(test_make_valid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
