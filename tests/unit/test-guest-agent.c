/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest-agent.h"
#include "macro.h"

/* Replies as Debian 12's qemu-ga 7.2 wrote them in the test guest (through virsh qemu-agent-command). */
static const char interfaces[] =
                "{\"return\":[{\"name\":\"lo\",\"ip-addresses\":[{\"ip-address-type\":\"ipv4\",\"ip-"
                "address\":"
                "\"127.0.0.1\",\"prefix\":8}],\"hardware-address\":\"00:00:00:00:00:00\"},{\"name\":"
                "\"eth0\","
                "\"ip-addresses\":[{\"ip-address-type\":\"ipv6\",\"ip-address\":\"fe80::5054:ff:fe12:3452\","
                "\"prefix\":64}],\"statistics\":{\"tx-packets\":1,\"rx-bytes\":726},\"hardware-address\":"
                "\"52:54:00:12:34:52\"}]}";

/* A reply of that form for a guest whose two NICs are the slaves of bond0 (active-backup, written
 * after that capture, not captured): the bond and both slaves carry the bond's MAC, the first
 * slave's. */
static const char interfaces_bond[] =
                "{\"return\":[{\"name\":\"lo\",\"ip-addresses\":[{\"ip-address-type\":\"ipv4\",\"ip-"
                "address\":\"127.0.0.1\",\"prefix\":8}],\"hardware-address\":\"00:00:00:00:00:00\"},"
                "{\"name\":\"eth0\",\"statistics\":{\"tx-packets\":12,\"rx-bytes\":2286},"
                "\"hardware-address\":\"52:54:00:12:34:52\"},{\"name\":\"eth1\",\"statistics\":{"
                "\"tx-packets\":0,\"rx-bytes\":1560},\"hardware-address\":\"52:54:00:12:34:52\"},{"
                "\"name\":\"bond0\",\"ip-addresses\":[{\"ip-address-type\":\"ipv6\",\"ip-address\":"
                "\"fe80::5054:ff:fe12:3452\",\"prefix\":64}],\"statistics\":{\"tx-packets\":12,"
                "\"rx-bytes\":3846},\"hardware-address\":\"52:54:00:12:34:52\"}]}";

#define S(x) x, strlen(x) /* a string literal as (text, length) */

static const EtherAddr mac52 = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x52}};
static const EtherAddr mac53 = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x53}};

static void test_commands(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

        assert_int_equal(guest_agent_interfaces_command(&a), 0);
        assert_string_equal(a, "{\"execute\":\"guest-network-get-interfaces\"}");
        assert_int_equal(guest_agent_ethtool_command("eth0", 2, &b), 0);
        assert_string_equal(b,
                        "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"ethtool\",\"arg\":[\"-L\","
                        "\"eth0\",\"combined\",\"2\"],\"capture-output\":true}}");
        assert_int_equal(guest_agent_exec_status_command(134, &c), 0);
        assert_string_equal(c, "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":134}}");
        assert_int_equal(guest_agent_ethtool_command("a/b", 2, &d), -EINVAL);
        assert_int_equal(guest_agent_ethtool_command("", 2, &d), -EINVAL);
        assert_int_equal(guest_agent_ethtool_command("eth0", 0, &d), -EINVAL);
        assert_int_equal(guest_agent_ethtool_command("0123456789abcdef", 1, &d), -EINVAL);
        assert_null(d);
}

static void test_interfaces(void **state) {
        char name1[GUEST_AGENT_IFNAME_MAX] = "";
        static const struct {
                const char *reply;
                int r;
                const char *name, *error;
        } cases[] = {
                        {interfaces, 0, "eth0", NULL},
                        {"{\"return\":[{\"name\":\"ens3\",\"hardware-address\":\"52:54:00:12:34:52\"}]}", 0,
                                        "ens3", NULL},
                        /* no hardware address, or one that is not a MAC: skipped */
                        {"{\"return\":[{\"name\":\"tun0\"},{\"name\":\"x\",\"hardware-address\":\"zz\"}]}",
                                        -ENOENT, NULL, NULL},
                        {"{\"return\":[{\"name\":\"../x\",\"hardware-address\":\"52:54:00:12:34:52\"}]}",
                                        -EINVAL, NULL, "\"../x\" is not an interface name"},
                        {"{\"return\":{}}", -EINVAL, NULL, "\"return\" is not a list"},
                        {"{\"error\":{\"class\":\"GenericError\",\"desc\":\"x\"}}", -EINVAL, NULL,
                                        "no \"return\""},
                        {"{\"return\":[", -EINVAL, NULL, "guest-network-get-interfaces"},
                        /* a bond: which one is the NIC the agent does not say */
                        {interfaces_bond, -ENOTUNIQ, NULL,
                                        "several guest interfaces have MAC 52:54:00:12:34:52: eth0, eth1, "
                                        "bond0; not acting"},
                        /* the MAC twice, an interface without it between */
                        {"{\"return\":[{\"name\":\"a\",\"hardware-address\":\"52:54:00:12:34:52\"},{"
                         "\"name\":\"b\",\"hardware-address\":\"52:54:00:12:34:53\"},{\"name\":\"c\","
                         "\"hardware-address\":\"52:54:00:12:34:52\"}]}",
                                        -ENOTUNIQ, NULL, "have MAC 52:54:00:12:34:52: a, c; not acting"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *error = NULL;
                char name[GUEST_AGENT_IFNAME_MAX] = "";
                int r;

                r = guest_agent_parse_interfaces(
                                cases[i].reply, strlen(cases[i].reply), &mac52, name, &error);
                print_message("case %zu: %d %s %s\n", i, r, name, strempty(error));
                assert_int_equal(r, cases[i].r);
                if (cases[i].name)
                        assert_string_equal(name, cases[i].name);
                if (cases[i].error)
                        assert_non_null(strstr(error, cases[i].error));
        }
        assert_int_equal(guest_agent_parse_interfaces(interfaces, strlen(interfaces), &mac53,
                                         (char[GUEST_AGENT_IFNAME_MAX]){}, NULL),
                        -ENOENT);
        /* One match of the MAC: its interface, whatever else the guest has. */
        assert_int_equal(guest_agent_parse_interfaces(S("{\"return\":[{\"name\":\"eth1\",\"hardware-"
                                                        "address\":\"52:54:00:12:34:53\"},{\"name\":"
                                                        "\"eth0\",\"hardware-address\":\"52:54:00:12:"
                                                        "34:52\"}]}"),
                                         &mac53, name1, NULL),
                        0);
        assert_string_equal(name1, "eth1");
}

/* Many interfaces with the MAC: the message lists the first ones and says there are more. */
static void test_interfaces_many(void **state) {
        _cleanup_free_ char *reply = NULL, *error = NULL;
        char name[GUEST_AGENT_IFNAME_MAX] = "";
        size_t size = 64 * 100 + 32, n = 0;

        reply = malloc(size);
        assert_non_null(reply);
        n += (size_t) snprintf(reply + n, size - n, "{\"return\":[");
        for (unsigned i = 0; i < 100; i++)
                n += (size_t) snprintf(reply + n, size - n,
                                "%s{\"name\":\"eth0.%u\",\"hardware-address\":\"52:54:00:12:34:52\"}",
                                i ? "," : "", i);
        n += (size_t) snprintf(reply + n, size - n, "]}");
        assert_true(n < size);
        assert_int_equal(guest_agent_parse_interfaces(reply, n, &mac52, name, &error), -ENOTUNIQ);
        print_message("%s\n", error);
        assert_non_null(strstr(error, ": eth0.0, eth0.1, "));
        assert_non_null(strstr(error, ", ...; not acting"));
        assert_true(strlen(error) < 200);
        assert_string_equal(name, "");
}

static void test_exec(void **state) {
        _cleanup_free_ char *error = NULL;
        int64_t pid = 0;

        assert_int_equal(guest_agent_parse_exec(S("{\"return\":{\"pid\":134}}"), &pid, NULL), 0);
        assert_int_equal(pid, 134);
        assert_int_equal(guest_agent_parse_exec(S("{\"return\":{\"pid\":0}}"), &pid, &error), -EINVAL);
        assert_string_equal(error, "guest-exec reply: no positive \"pid\"");
}

static void test_exec_status(void **state) {
        static const char failed[] = "{\"return\":{\"exitcode\":1,\"err-data\":"
                                     "\"bmV0bGluayBlcnJvcjogSW52YWxpZCBhcmd1bWVudAo=\",\"exited\":true}}";
        static const char ok[] = "{\"return\":{\"exitcode\":0,\"exited\":true}}";
        static const char running[] = "{\"return\":{\"exited\":false}}";
        static const char killed[] = "{\"return\":{\"signal\":9,\"exited\":true}}";
        _cleanup_free_ char *error = NULL;
        GuestExecStatus st;

        assert_int_equal(guest_agent_parse_exec_status(failed, strlen(failed), &st, NULL), 0);
        assert_true(st.exited);
        assert_int_equal(st.exitcode, 1);
        assert_string_equal(st.err, "netlink error: Invalid argument");
        assert_int_equal(guest_agent_parse_exec_status(ok, strlen(ok), &st, NULL), 0);
        assert_true(st.exited);
        assert_int_equal(st.exitcode, 0);
        assert_string_equal(st.err, "");
        assert_int_equal(guest_agent_parse_exec_status(running, strlen(running), &st, NULL), 0);
        assert_false(st.exited);
        assert_int_equal(guest_agent_parse_exec_status(killed, strlen(killed), &st, NULL), 0);
        assert_int_equal(st.signal, 9);
        assert_int_equal(guest_agent_parse_exec_status(
                                         S("{\"return\":{\"exited\":true,\"err-data\":\"a$\"}}"), &st,
                                         &error),
                        -EINVAL);
        assert_string_equal(error, "guest-exec-status reply: \"err-data\" is not base64");
}

/* 'ethtool -l eth0' through guest-exec: the reply qemu-ga 7.2 gave in the test guest (libvirt direct
 * NIC, <driver queues='4'/>, after ethtool -L eth0 combined 1). Its stdout keeps its lines and tabs
 * for ethtool_channels_parse(); 'out' is the one-line form for messages. */
static void test_exec_status_stdout(void **state) {
        static const char reply[] =
                        "{\"return\":{\"exitcode\":0,\"out-data\":"
                        "\"Q2hhbm5lbCBwYXJhbWV0ZXJzIGZvciBldGgwOgpQcmUtc2V0IG1heGltdW1zOgpSWDoJCW4vYQpUWDoJC"
                        "W4vYQpPdG"
                        "hlcjoJCW4vYQpDb21iaW5lZDoJNApDdXJyZW50IGhhcmR3YXJlIHNldHRpbmdzOgpSWDoJCW4vYQpUWDoJC"
                        "W4vYQpPdG"
                        "hlcjoJCW4vYQpDb21iaW5lZDoJMQo=\",\"out-truncated\":false,\"exited\":true}}";
        _cleanup_free_ char *cmd = NULL, *long_reply = NULL;
        GuestExecStatus st;
        size_t n;

        assert_int_equal(guest_agent_parse_exec_status(reply, strlen(reply), &st, NULL), 0);
        assert_string_equal(st.stdout_text, "Channel parameters for eth0:\nPre-set maximums:\nRX:\t\tn/a\n"
                                            "TX:\t\tn/a\nOther:\t\tn/a\nCombined:\t4\n"
                                            "Current hardware settings:\nRX:\t\tn/a\nTX:\t\tn/a\n"
                                            "Other:\t\tn/a\nCombined:\t1\n");
        assert_false(st.stdout_cut);
        assert_string_equal(st.out, "Channel parameters for eth0: Pre-set maximums: RX:??n/a TX:??n/a "
                                    "Other:??n/a Combined:?4 Current hardware settings: RX:??n/a TX:??n/a "
                                    "Other:??n/a Combined:?1");

        /* stdout past the bound: cut, and said so */
        n = (GUEST_AGENT_STDOUT_MAX + 30) / 3 * 4;
        assert_true(asprintf(&long_reply,
                                    "{\"return\":{\"exitcode\":0,\"exited\":true,\"out-data\":\"%0*d\"}}",
                                    (int) n, 0) > 0);
        memset(strstr(long_reply, "\"out-data\":\"") + 12, 'Q', n);
        assert_int_equal(guest_agent_parse_exec_status(long_reply, strlen(long_reply), &st, NULL), 0);
        assert_true(st.stdout_cut);
        assert_int_equal(strlen(st.stdout_text), GUEST_AGENT_STDOUT_MAX - 1);

        assert_int_equal(guest_agent_ethtool_show_command("eth0", &cmd), 0);
        assert_string_equal(cmd,
                        "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"ethtool\",\"arg\":[\"-l\","
                        "\"eth0\"],\"capture-output\":true}}");
        cmd = mfree(cmd);
        assert_int_equal(guest_agent_ethtool_show_command("a b", &cmd), -EINVAL);
        assert_null(cmd);
        assert_int_equal(guest_agent_ethtool_stats_command("eth0", &cmd), 0);
        assert_string_equal(cmd,
                        "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"ethtool\",\"arg\":[\"-S\","
                        "\"eth0\"],\"capture-output\":true}}");
        cmd = mfree(cmd);
        assert_int_equal(guest_agent_ethtool_stats_command("../x", &cmd), -EINVAL);
        assert_null(cmd);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_commands),
                        cmocka_unit_test(test_interfaces),
                        cmocka_unit_test(test_interfaces_many),
                        cmocka_unit_test(test_exec),
                        cmocka_unit_test(test_exec_status),
                        cmocka_unit_test(test_exec_status_stdout),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
