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

#include "macro.h"
#include "uevent.h"

/* Messages as a kernel sends them for a multiqueue tap whose third queue QEMU detaches (captured
 * from a NETLINK_KOBJECT_UEVENT socket in a network namespace). sizeof() keeps the final NUL. */
static const char REMOVE_RX2[] =
                "remove@/devices/virtual/net/mqt0/queues/rx-2\0ACTION=remove\0"
                "DEVPATH=/devices/virtual/net/mqt0/queues/rx-2\0SUBSYSTEM=queues\0SEQNUM=96405";
static const char ADD_NET[] =
                "add@/devices/virtual/net/mqt0\0ACTION=add\0DEVPATH=/devices/virtual/net/mqt0\0"
                "SUBSYSTEM=net\0INTERFACE=mqt0\0IFINDEX=2\0SEQNUM=96397";
static const char ADD_PCI_TX[] = "add@/devices/pci0000:00/0000:00:03.0/virtio0/net/eth0/queues/tx-13\0"
                                 "SUBSYSTEM=queues";

static void test_queue_remove(void **state) {
        char ifname[IFNAMSIZ];
        Uevent u;

        assert_int_equal(uevent_parse(REMOVE_RX2, sizeof(REMOVE_RX2), &u), 0);
        assert_int_equal(u.action, UEVENT_REMOVE);
        assert_string_equal(u.devpath, "/devices/virtual/net/mqt0/queues/rx-2");
        assert_string_equal(u.subsystem, "queues");
        assert_int_equal(uevent_net_queue(&u, ifname), 1);
        assert_string_equal(ifname, "mqt0");
        assert_string_equal(uevent_action_to_string(u.action), "remove");
}

static void test_not_a_queue(void **state) {
        char ifname[IFNAMSIZ] = "untouched";
        Uevent u;

        /* the tap itself: subsystem net */
        assert_int_equal(uevent_parse(ADD_NET, sizeof(ADD_NET), &u), 0);
        assert_int_equal(u.action, UEVENT_ADD);
        assert_string_equal(u.subsystem, "net");
        assert_int_equal(uevent_net_queue(&u, ifname), 0);
        assert_string_equal(ifname, "untouched");

        /* subsystem queues but not a queue's name, or not under net/ */
        static const char *const paths[] = {
                        "/devices/virtual/net/a/queues/rx-",
                        "/devices/virtual/net/a/queues/rx-1x",
                        "/devices/virtual/net/a/queues/xx-1",
                        "/devices/virtual/net/a/queues",
                        "/devices/virtual/nxt/a/queues/rx-1",
                        "/devices/virtual/net//queues/rx-1",
                        "/queues/rx-1",
                        "/net/0123456789abcdef/queues/tx-0",
                        "/devices/virtual/net/a/queue/tx-0",
        };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                u = (Uevent){.action = UEVENT_ADD, .subsystem = "queues"};
                snprintf(u.devpath, sizeof(u.devpath), "%s", paths[i]);
                assert_int_equal(uevent_net_queue(&u, ifname), 0);
        }

        /* the longest name a link may have, anywhere under a device */
        assert_int_equal(uevent_parse(ADD_PCI_TX, sizeof(ADD_PCI_TX), &u), 0);
        assert_int_equal(uevent_net_queue(&u, ifname), 1);
        assert_string_equal(ifname, "eth0");
        snprintf(u.devpath, sizeof(u.devpath), "/net/0123456789abcde/queues/tx-0");
        assert_int_equal(uevent_net_queue(&u, ifname), 1);
        assert_string_equal(ifname, "0123456789abcde");
}

static void test_other_actions(void **state) {
        static const char MOVE[] = "move@/devices/virtual/net/x\0SUBSYSTEM=net";
        static const char BIND[] = "bind@/devices/pci0000:00/0000:00:03.0";
        Uevent u;

        assert_int_equal(uevent_parse(MOVE, sizeof(MOVE), &u), 0);
        assert_int_equal(u.action, UEVENT_MOVE);
        assert_int_equal(uevent_parse(BIND, sizeof(BIND), &u), 0);
        assert_int_equal(u.action, UEVENT_OTHER);
        assert_string_equal(u.subsystem, "");
}

static void test_refused(void **state) {
        static const char MISMATCH[] = "add@/devices/x\0ACTION=remove";
        static const char DEVPATH_MISMATCH[] = "add@/devices/x\0DEVPATH=/devices/y";
        static const char NO_EQUALS[] = "add@/devices/x\0SUBSYSTEM";
        static const char EMPTY_KEY[] = "add@/devices/x\0=queues";
        static const char NO_AT[] = "add/devices/x";
        static const char NO_ACTION[] = "@/devices/x";
        static const char RELATIVE[] = "add@devices/x";
        static const char LIBUDEV[] = "libudev\0\xfe\xed\xca\xfe";
        Uevent u = {.action = UEVENT_CHANGE, .devpath = "kept"}, before = u;
        char big[UEVENT_DEVPATH_MAX + 16];

        assert_int_equal(uevent_parse(MISMATCH, sizeof(MISMATCH), &u), -EINVAL);
        assert_int_equal(uevent_parse(DEVPATH_MISMATCH, sizeof(DEVPATH_MISMATCH), &u), -EINVAL);
        assert_int_equal(uevent_parse(NO_EQUALS, sizeof(NO_EQUALS), &u), -EINVAL);
        assert_int_equal(uevent_parse(EMPTY_KEY, sizeof(EMPTY_KEY), &u), -EINVAL);
        assert_int_equal(uevent_parse(NO_AT, sizeof(NO_AT), &u), -EINVAL);
        assert_int_equal(uevent_parse(NO_ACTION, sizeof(NO_ACTION), &u), -EINVAL);
        assert_int_equal(uevent_parse(RELATIVE, sizeof(RELATIVE), &u), -EINVAL);
        assert_int_equal(uevent_parse(LIBUDEV, sizeof(LIBUDEV), &u), -EINVAL);
        /* no NUL at the end, and nothing at all */
        assert_int_equal(uevent_parse(REMOVE_RX2, sizeof(REMOVE_RX2) - 1, &u), -EINVAL);
        assert_int_equal(uevent_parse("", 0, &u), -EINVAL);

        /* a devpath one byte too long for the buffer */
        memset(big, 'a', sizeof(big));
        memcpy(big, "add@/", 5);
        big[4 + UEVENT_DEVPATH_MAX] = 0;
        assert_int_equal(uevent_parse(big, 5 + UEVENT_DEVPATH_MAX, &u), -E2BIG);
        big[4 + UEVENT_DEVPATH_MAX - 1] = 0;
        assert_int_equal(uevent_parse(big, 4 + UEVENT_DEVPATH_MAX, &u), 0);
        assert_int_equal(strlen(u.devpath), UEVENT_DEVPATH_MAX - 1);
        u = before;
        big[4 + UEVENT_DEVPATH_MAX - 1] = 'a';
        assert_int_equal(uevent_parse(big, 5 + UEVENT_DEVPATH_MAX, &u), -E2BIG);
        assert_memory_equal(&u, &before, sizeof(u));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_queue_remove),
                        cmocka_unit_test(test_not_a_queue),
                        cmocka_unit_test(test_other_actions),
                        cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
