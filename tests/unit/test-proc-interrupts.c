/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "proc-interrupts.h"

/* Captured in the kernel VM (two NUMA nodes, a mq virtio-net on node 1), cut to a few lines. */
static const char interrupts[] =
                "           CPU0       CPU1       CPU2       CPU3       \n"
                "  0:         35          0          0          0   IO-APIC   2-edge      timer\n"
                "  9:          0          0          0          0   IO-APIC   9-fasteoi   acpi, shared1\n"
                " 26:          0          0          0          0   PCI-MSI 4718592-edge      "
                "virtio1-config\n"
                " 27:          3          0          0          1   PCI-MSI 4718593-edge      "
                "virtio1-input.0\n"
                " 28:          1          0          0          0   PCI-MSI 4718594-edge      "
                "virtio1-output.0  \n"
                " 29:          0          0          0          0   PCI-MSI 4718595-edge\n"
                " 30:          0\n"
                "NMI:          0          0          0          0   Non-maskable interrupts\n"
                "ERR:          0\n";

static int name(unsigned irq, char *buf, size_t size) {
        return proc_interrupts_name(interrupts, strlen(interrupts), irq, buf, size);
}

static void test_names(void **state) {
        char buf[PROC_INTERRUPTS_NAME_MAX];

        assert_int_equal(name(27, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "virtio1-input.0");
        assert_int_equal(name(28, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "virtio1-output.0"); /* trailing blanks */
        assert_int_equal(name(0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "timer");
        assert_int_equal(name(9, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "shared1"); /* a shared IRQ: its last handler */
        /* Cut short, NUL-terminated. */
        assert_int_equal(name(26, buf, 8), 0);
        assert_string_equal(buf, "virtio1");
}

static void test_misses(void **state) {
        char buf[PROC_INTERRUPTS_NAME_MAX] = "untouched";

        assert_int_equal(name(31, buf, sizeof(buf)), -ENOENT);
        assert_int_equal(name(30, buf, sizeof(buf)), -ENOENT); /* only a count */
        assert_string_equal(buf, "untouched");
        assert_int_equal(proc_interrupts_name("27", 2, 27, buf, sizeof(buf)), -ENOENT);
        assert_int_equal(proc_interrupts_name("", 0, 27, buf, sizeof(buf)), -ENOENT);
        assert_int_equal(proc_interrupts_name("4294967323: 0 x name\n", 21, 27, buf, sizeof(buf)), -ENOENT);
        assert_int_equal(proc_interrupts_name(NULL, 0, 27, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(name(27, buf, 0), -EINVAL);
        assert_string_equal(buf, "untouched");
}

static void test_unprintable(void **state) {
        static const char text[] = " 40: 0 0 PCI-MSI 1-edge eth\x01\xff-q0\n";
        char buf[PROC_INTERRUPTS_NAME_MAX];

        assert_int_equal(proc_interrupts_name(text, sizeof(text) - 1, 40, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "eth?"
                                 "?-q0");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_names),
                        cmocka_unit_test(test_misses),
                        cmocka_unit_test(test_unprintable),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
