/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "irqbalance-proto.h"
#include "macro.h"

static void test_setup_parse(void **state) {
        /* As irqbalance 1.9.2 writes it: the banned IRQs in the order they were banned, a blank after
         * each field, no newline; the banned CPUs as a comma-joined hex mask. */
        static const char answer[] = "SLEEP 10 IRQ 26 LOAD 0 DIFF 0 CLASS 0 IRQ 0 LOAD 0 DIFF 0 CLASS 0 "
                                     "IRQ 24 LOAD 12 DIFF 18446744073709551615 CLASS -1 IRQ 26 LOAD 0 DIFF "
                                     "0 CLASS 0 BANNED 00000000,00000003";
        _cleanup_free_ IrqbalanceSetup *s = new0(IrqbalanceSetup, 1);

        (void) state;
        assert_int_equal(irqbalance_setup_parse(answer, sizeof(answer) - 1, s), 0);
        assert_int_equal(s->sleep_sec, 10);
        assert_int_equal(s->n_banned, 3);
        assert_int_equal(s->banned[0], 0);
        assert_int_equal(s->banned[1], 24);
        assert_int_equal(s->banned[2], 26);

        assert_int_equal(irqbalance_setup_parse("SLEEP 1 BANNED 00000000", 23, s), 0);
        assert_int_equal(s->sleep_sec, 1);
        assert_int_equal(s->n_banned, 0);
}

static void test_setup_refused(void **state) {
        static const char *bad[] = {
                        "",
                        "SLEEP",
                        "SLEEP x BANNED 0",
                        "SLEEP 10",                                      /* no BANNED */
                        "SLEEP 10 BANNED",                               /* no mask */
                        "SLEEP 10 BANNED 0 IRQ 1 LOAD 0 DIFF 0 CLASS 0", /* after BANNED */
                        "SLEEP 10 IRQ 1 LOAD 0 DIFF 0 BANNED 0",         /* CLASS missing */
                        "SLEEP 10 IRQ -1 LOAD 0 DIFF 0 CLASS 0 BANNED 0",
                        "SLEEP 10 IRQ 1 LOAD -3 DIFF 0 CLASS 0 BANNED 0",
                        "SLEEP 10 IRQ 99999999999 LOAD 0 DIFF 0 CLASS 0 BANNED 0",
                        "SLEEP 10 BANNED 0x1",
                        "Permission denied",
        };
        _cleanup_free_ IrqbalanceSetup *s = new0(IrqbalanceSetup, 1);

        (void) state;
        s->sleep_sec = 77;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(irqbalance_setup_parse(bad[i], strlen(bad[i]), s), -EBADMSG);
        assert_int_equal(irqbalance_setup_parse("SLEEP 1\0 BANNED 0", 17, s), -EBADMSG);
        assert_int_equal(s->sleep_sec, 77); /* untouched */
}

static void test_setup_too_many(void **state) {
        _cleanup_free_ IrqbalanceSetup *s = new0(IrqbalanceSetup, 1);
        _cleanup_free_ char *text = malloc(IRQBALANCE_ANSWER_MAX + 64);
        size_t len;

        (void) state;
        len = (size_t) sprintf(text, "SLEEP 10 ");
        for (unsigned i = 0; i <= IRQBALANCE_BANNED_MAX; i++)
                len += (size_t) sprintf(text + len, "IRQ %u LOAD 0 DIFF 0 CLASS 0 ", i);
        len += (size_t) sprintf(text + len, "BANNED 0");
        assert_int_equal(irqbalance_setup_parse(text, len, s), -E2BIG);
        assert_int_equal(irqbalance_setup_parse(text, IRQBALANCE_ANSWER_MAX + 1, s), -E2BIG);
}

static void test_ban_list(void **state) {
        const unsigned theirs[] = {40, 24, 0, 25};
        const unsigned before[] = {25, 24};
        const unsigned ours[] = {27, 26, 40};
        const unsigned again[] = {26, 27, 26};
        unsigned out[8], added[3], out2[8], added2[3];
        size_t n_added = 99;

        (void) state;
        /* theirs minus what vnicd added before, plus ours: ascending, once each */
        assert_int_equal(irqbalance_ban_list(theirs, 4, before, 2, ours, 3, out, 8, added, &n_added), 4);
        assert_int_equal(out[0], 0);
        assert_int_equal(out[1], 26);
        assert_int_equal(out[2], 27);
        assert_int_equal(out[3], 40);
        /* 40 was banned by another (an operator's --banirq): not vnicd's to drop later */
        assert_int_equal(n_added, 2);
        assert_int_equal(added[0], 26);
        assert_int_equal(added[1], 27);
        /* vnicd places nothing any more: it drops what it added, 40 stays banned */
        assert_int_equal(irqbalance_ban_list(out, 4, added, n_added, NULL, 0, out2, 8, added2, &n_added), 2);
        assert_int_equal(out2[0], 0);
        assert_int_equal(out2[1], 40);
        assert_int_equal(n_added, 0);
        /* the same IRQs again: the ones it added still count as its own */
        assert_int_equal(irqbalance_ban_list(out, 4, added, 2, again, 3, out2, 8, added2, &n_added), 4);
        assert_int_equal(n_added, 2);
        assert_int_equal(added2[0], 26);
        assert_int_equal(added2[1], 27);
        assert_int_equal(irqbalance_ban_list(NULL, 0, NULL, 0, NULL, 0, out, 8, NULL, NULL), 0);
        assert_int_equal(irqbalance_ban_list(theirs, 4, NULL, 0, ours, 3, out, 5, added, &n_added), -E2BIG);
}

static void test_ban_command(void **state) {
        const unsigned irqs[] = {0, 24, 25, 26};
        const unsigned unordered[] = {24, 24};
        char buf[IRQBALANCE_COMMAND_MAX + 1];
        unsigned many[100];

        (void) state;
        assert_int_equal(irqbalance_ban_command(irqs, 4, buf, sizeof(buf)), 28);
        assert_string_equal(buf, "settings ban irqs 0 24 25 26");
        assert_int_equal(irqbalance_ban_command(NULL, 0, buf, sizeof(buf)), 22);
        assert_string_equal(buf, "settings ban irqs NONE");
        assert_int_equal(irqbalance_ban_command(unordered, 2, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(irqbalance_ban_command(irqs, 4, buf, 20), -E2BIG);
        /* 18 + 100 * 5 bytes: more than irqbalance 1.9.2 reads of one command */
        for (unsigned i = 0; i < ELEMENTSOF(many); i++)
                many[i] = 1000 + i;
        assert_int_equal(irqbalance_ban_command(many, ELEMENTSOF(many), buf, sizeof(buf)), -E2BIG);
        assert_int_equal(irqbalance_ban_command(many, 96, buf, sizeof(buf)), 18 + 96 * 5 - 1);
}

static void test_list_format(void **state) {
        const unsigned irqs[] = {24, 25, 26};
        char buf[16];

        (void) state;
        irq_list_format(irqs, 3, buf, sizeof(buf));
        assert_string_equal(buf, "24,25,26");
        irq_list_format(NULL, 0, buf, sizeof(buf));
        assert_string_equal(buf, "");
        irq_list_format(irqs, 3, buf, 8);
        assert_string_equal(buf, "24,2...");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_setup_parse),
                        cmocka_unit_test(test_setup_refused),
                        cmocka_unit_test(test_setup_too_many),
                        cmocka_unit_test(test_ban_list),
                        cmocka_unit_test(test_ban_command),
                        cmocka_unit_test(test_list_format),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
