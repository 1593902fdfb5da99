/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "domain-xml-queues.h"
#include "domain-xml.h"
#include "macro.h"

static const char domain[] = "<domain type='qemu'>\n"
                             "  <name>vm</name>\n"
                             "  <vcpu>2</vcpu>\n"
                             "  <devices>\n"
                             "    <interface type='bridge'>\n"
                             "      <mac address='52:54:00:12:34:52'/>\n"
                             "      <source bridge='br0'/>\n"
                             "      <model type='virtio'/>\n"
                             "      <driver queues='4'/>\n"
                             "    </interface>\n"
                             "    <interface type='bridge'>\n"
                             "      <mac address='52:54:00:12:34:53'/>\n"
                             "      <source bridge='br0'/>\n"
                             "      <model type='virtio'/>\n"
                             "    </interface>\n"
                             "  </devices>\n"
                             "</domain>\n";

static const EtherAddr mac52 = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x52}};
static const EtherAddr mac53 = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x53}};
static const EtherAddr mac54 = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x54}};

/* The edited document parses to the same domain but for the one interface's queues. */
static void assert_queues(const char *xml, unsigned q52, unsigned q53) {
        _cleanup_(domain_xml_done) DomainXml d = {};
        _cleanup_free_ char *error = NULL;

        assert_int_equal(domain_xml_parse(xml, strlen(xml), &d, &error), 0);
        assert_string_equal(d.name, "vm");
        assert_int_equal(d.n_interfaces, 2);
        assert_int_equal(domain_xml_find_mac(&d, &mac52)->queues, q52);
        assert_int_equal(domain_xml_find_mac(&d, &mac53)->queues, q53);
        assert_string_equal(domain_xml_find_mac(&d, &mac53)->source_bridge, "br0");
}

static void test_set_queues(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *error = NULL;
        unsigned old = 99;

        /* an existing <driver>: only its queues change */
        assert_int_equal(domain_xml_set_queues(domain, strlen(domain), &mac52, 2, &a, &old, NULL), 1);
        assert_int_equal(old, 4);
        assert_queues(a, 2, 0);
        assert_non_null(strstr(a, "<driver queues=\"2\"/>"));
        /* no <driver>: one is added */
        assert_int_equal(domain_xml_set_queues(domain, strlen(domain), &mac53, 3, &b, &old, NULL), 1);
        assert_int_equal(old, 0);
        assert_queues(b, 4, 3);
        /* already so: nothing written */
        assert_int_equal(domain_xml_set_queues(a, strlen(a), &mac52, 2, &c, &old, NULL), 0);
        assert_null(c);
        assert_int_equal(old, 2);

        /* no queues= is one pair */
        assert_int_equal(domain_xml_set_queues(domain, strlen(domain), &mac53, 1, &c, &old, NULL), 0);
        assert_int_equal(old, 0);
        assert_null(c);

        assert_int_equal(
                        domain_xml_set_queues(domain, strlen(domain), &mac54, 2, &c, &old, &error), -ENOENT);
        assert_string_equal(error, "persistent domain XML: no <interface> with MAC 52:54:00:12:34:54");
        assert_int_equal(domain_xml_set_queues(domain, strlen(domain), &mac52, 0, &c, &old, NULL), -EINVAL);
        assert_int_equal(domain_xml_set_queues("<network/>", 10, &mac52, 2, &c, &old, NULL), -EINVAL);
        assert_null(c);
}

static void test_duplicate_mac(void **state) {
        static const char dup[] = "<domain><name>vm</name><devices>"
                                  "<interface type='bridge'><mac address='52:54:00:12:34:52'/></interface>"
                                  "<interface type='bridge'><mac address='52:54:00:12:34:52'/></interface>"
                                  "</devices></domain>";
        _cleanup_free_ char *c = NULL, *error = NULL;
        unsigned old;

        assert_int_equal(domain_xml_set_queues(dup, strlen(dup), &mac52, 2, &c, &old, &error), -ENOENT);
        assert_non_null(strstr(error, "more than one <interface>"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_set_queues),
                        cmocka_unit_test(test_duplicate_mac),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
