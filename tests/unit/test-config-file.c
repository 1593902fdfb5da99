/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "config-file.h"
#include "macro.h"

static int parse(Config *c, const char *text, char **error) {
        return config_parse_string(c, text, strlen(text), "vnicd.conf", error);
}

static void test_defaults(void **state) {
        Config c;

        config_init(&c);
        assert_int_equal(c.log_level, -1);
        assert_int_equal(c.debounce_usec, 50000);
        assert_int_equal(c.resync_usec, 30000000);
        assert_int_equal(c.sample_usec, 5000000);
        assert_int_equal(c.idle_sample_usec, 30000000);
        assert_int_equal(c.window_samples, 12);
        assert_false(c.defaults.trust);
        assert_int_equal(c.n_guests, 0);
        assert_null(c.guests);
        assert_int_equal(c.n_interfaces, 0);
        assert_null(c.interfaces);

        /* an empty file, or only comments, changes nothing */
        assert_int_equal(parse(&c, "", NULL), 0);
        assert_int_equal(parse(&c, "# comment\n; other comment\n\n   \n\t# indented\n", NULL), 0);
        assert_int_equal(c.debounce_usec, 50000);
        assert_int_equal(c.n_guests, 0);
        config_done(&c);
        config_done(&c);
        config_done(NULL);
}

static void test_every_key(void **state) {
        static const char text[] = "# vnicd.conf\n"
                                   "[Manager]\n"
                                   "LogLevel=debug\n"
                                   "DebounceSec=0.25\n"
                                   "ResyncSec=600\n"
                                   "MultiqueueSampleSec=2.5\n"
                                   "MultiqueueIdleSampleSec=20\n"
                                   "MultiqueueWindowSamples=24\n"
                                   "MultiqueueIdlePacketRate=500\n"
                                   "MultiqueueWorkerBusyHighPercent=80\n"
                                   "MultiqueueWorkerBusyLowPercent=30\n"
                                   "MultiqueueLargeFrameBytes=32768\n"
                                   "MultiqueuePacketRatePerPair=300000\n"
                                   "MultiqueueHoldDownSec=120\n"
                                   "Trust=yes\n"
                                   "\n"
                                   "[Guest]\n"
                                   "Name=demo\n"
                                   "QMPSocket=/run/qemu/demo.qmp\n"
                                   "\n"
                                   "[Interface]\n"
                                   "Guest=demo\n"
                                   "Name=net0\n"
                                   "HostDevice=macvtap0\n"
                                   "Trust=no\n"
                                   "\n"
                                   "[Interface]\n"
                                   "Guest=demo\n"
                                   "Name=net1\n";
        const ConfigInterface *i;
        Config c;

        config_init(&c);
        assert_int_equal(parse(&c, text, NULL), 0);
        assert_int_equal(c.log_level, LOG_DEBUG);
        assert_int_equal(c.debounce_usec, 250000);
        assert_int_equal(c.resync_usec, 600000000ULL);
        assert_int_equal(c.sample_usec, 2500000ULL);
        assert_int_equal(c.idle_sample_usec, 20000000ULL);
        assert_int_equal(c.window_samples, 24);
        assert_int_equal(c.multiqueue.idle_packet_rate, 500);
        assert_int_equal(c.multiqueue.worker_busy_high_percent, 80);
        assert_int_equal(c.multiqueue.worker_busy_low_percent, 30);
        assert_int_equal(c.multiqueue.large_frame_bytes, 32768);
        assert_int_equal(c.multiqueue.packet_rate_per_pair, 300000);
        assert_int_equal(c.multiqueue.hold_down_usec, 120000000ULL);
        assert_true(c.defaults.trust);

        assert_int_equal(c.n_guests, 1);
        assert_string_equal(c.guests[0].name, "demo");
        assert_string_equal(c.guests[0].qmp_socket, "/run/qemu/demo.qmp");
        assert_int_equal(c.guests[0].line, 17);

        assert_int_equal(c.n_interfaces, 2);
        i = config_find_interface(&c, "demo", "net0");
        assert_non_null(i);
        assert_ptr_equal(i, &c.interfaces[0]);
        assert_string_equal(i->guest, "demo");
        assert_string_equal(i->host_device, "macvtap0");
        assert_int_equal(i->settings.trust, 0);
        assert_int_equal(i->line, 21);
        i = config_find_interface(&c, "demo", "net1");
        assert_non_null(i);
        assert_null(i->host_device);
        assert_int_equal(i->settings.trust, -1);
        assert_int_equal(i->line, 27);

        assert_null(config_find_interface(&c, "demo", "net2"));
        assert_null(config_find_interface(&c, "other", "net0"));
        assert_null(config_find_interface(&c, NULL, "net0"));
        config_done(&c);
        assert_int_equal(c.n_guests, 0);
        assert_null(c.guests);
}

/* Off unless asked: a paused domain is the operator's until the operator says otherwise. */
static void test_resume_migrated(void **state) {
        _cleanup_free_ char *error = NULL;
        Config c;

        config_init(&c);
        assert_false(c.resume_migrated);
        assert_int_equal(parse(&c, "[Manager]\nResumeMigratedDomains=yes\n", NULL), 0);
        assert_true(c.resume_migrated);
        assert_true(c.libvirt);
        assert_int_equal(parse(&c, "[Manager]\nResumeMigratedDomains=maybe\n", &error), -EINVAL);
        assert_string_equal(error, "vnicd.conf:2: ResumeMigratedDomains=maybe: not yes or no");
        assert_true(c.resume_migrated); /* a refused file changes nothing */
        assert_int_equal(parse(&c, "[Manager]\nResumeMigratedDomains=no\n", NULL), 0);
        assert_false(c.resume_migrated);
        config_done(&c);
}

/* MultiqueueApply= is a per-NIC setting: a host default in [Manager], per NIC in [Interface]. */
static void test_multiqueue_apply(void **state) {
        _cleanup_free_ char *error = NULL;
        Config c;

        config_init(&c);
        assert_int_equal(c.defaults.multiqueue_apply, -1);
        assert_int_equal(parse(&c,
                                         "[Manager]\nMultiqueueApply=next-boot\n[Guest]\nName=a\nQMPSocket=/"
                                         "a\n"
                                         "[Interface]\nGuest=a\nName=n\nMultiqueueApply=guest-agent\n",
                                         NULL),
                        0);
        assert_int_equal(c.defaults.multiqueue_apply, NIC_MULTIQUEUE_APPLY_NEXT_BOOT);
        assert_int_equal(config_find_interface(&c, "a", "n")->settings.multiqueue_apply,
                        NIC_MULTIQUEUE_APPLY_GUEST_AGENT);
        assert_int_equal(parse(&c, "[Manager]\nMultiqueueApply=ethtool\n", &error), -EINVAL);
        assert_string_equal(error,
                        "vnicd.conf:2: MultiqueueApply=ethtool: not report, guest-agent or next-boot");
        config_done(&c);
}

/* MultiqueueGuestStats= the same way: off unless a place says yes. */
static void test_multiqueue_guest_stats(void **state) {
        _cleanup_free_ char *error = NULL;
        Config c;

        config_init(&c);
        assert_int_equal(c.defaults.multiqueue_guest_stats, -1);
        assert_int_equal(parse(&c,
                                         "[Manager]\nMultiqueueGuestStats=yes\n[Guest]\nName=a\nQMPSocket=/"
                                         "a\n"
                                         "[Interface]\nGuest=a\nName=n\nMultiqueueGuestStats=no\n",
                                         NULL),
                        0);
        assert_int_equal(c.defaults.multiqueue_guest_stats, 1);
        assert_int_equal(config_find_interface(&c, "a", "n")->settings.multiqueue_guest_stats, 0);
        assert_int_equal(parse(&c, "[Manager]\nMultiqueueGuestStats=sometimes\n", &error), -EINVAL);
        assert_string_equal(error, "vnicd.conf:2: MultiqueueGuestStats=sometimes: not yes or no");
        config_done(&c);
}

static void test_bridge_keys(void **state) {
        static const char text[] = "[Guest]\n"
                                   "Name=web\n"
                                   "QMPSocket=/run/qemu/web.qmp\n"
                                   "[Interface]\n"
                                   "Guest=web\n"
                                   "Name=net0\n"
                                   "HostDevice=tap0\n"
                                   "AllowedVLANs=20, 100-110\n"
                                   "NativeVLAN=10\n"
                                   "Learning=yes\n"
                                   "UnicastFlood=no\n"
                                   "MulticastFlood=no\n"
                                   "[Interface]\n"
                                   "Guest=web\n"
                                   "Name=net1\n"
                                   "[Bridge]\n"
                                   "Name=br0\n"
                                   "VLANFiltering=yes\n"
                                   "[Bridge]\n"
                                   "Name=br1\n";
        const ConfigInterface *i;
        const ConfigBridge *b;
        _cleanup_free_ char *vids = NULL;
        Config c;

        config_init(&c);
        assert_int_equal(parse(&c, text, NULL), 0);
        i = config_find_interface(&c, "web", "net0");
        assert_non_null(i);
        vids = vlan_set_to_string(&i->settings.allowed_vlans);
        assert_string_equal(vids, "20,100-110");
        assert_int_equal(i->settings.native_vlan, 10);
        assert_int_equal(i->settings.learning, 1);
        assert_int_equal(i->settings.unicast_flood, 0);
        assert_int_equal(i->settings.multicast_flood, 0);
        i = config_find_interface(&c, "web", "net1");
        assert_true(vlan_set_is_empty(&i->settings.allowed_vlans));
        assert_int_equal(i->settings.native_vlan, 0);
        assert_int_equal(i->settings.learning, -1);
        assert_int_equal(i->settings.unicast_flood, -1);
        assert_int_equal(i->settings.multicast_flood, -1);
        assert_int_equal(c.n_bridges, 2);
        b = config_find_bridge(&c, "br0");
        assert_non_null(b);
        assert_int_equal(b->vlan_filtering, 1);
        assert_int_equal(b->line, 16);
        assert_int_equal(config_find_bridge(&c, "br1")->vlan_filtering, -1);
        assert_null(config_find_bridge(&c, "br2"));
        config_done(&c);
        assert_int_equal(c.n_bridges, 0);
}

static void test_bridge_errors(void **state) {
        static const struct {
                const char *text;
                const char *error;
        } cases[] = {
                        {"[Guest]\nName=a\nQMPSocket=/a\n[Interface]\nGuest=a\nName=n\nAllowedVLANs=0-5\n",
                                        "vnicd.conf:7: AllowedVLANs=0-5: not a list of VLAN ids 1-4094 and "
                                        "ranges "
                                        "(10,20,100-110)"},
                        {"[Guest]\nName=a\nQMPSocket=/a\n[Interface]\nGuest=a\nName=n\nAllowedVLANs=4095\n",
                                        "vnicd.conf:7: AllowedVLANs=4095: not a list of VLAN ids 1-4094 and "
                                        "ranges "
                                        "(10,20,100-110)"},
                        {"[Guest]\nName=a\nQMPSocket=/a\n[Interface]\nGuest=a\nName=n\nNativeVLAN=4095\n",
                                        "vnicd.conf:7: NativeVLAN=4095: not a VLAN id 1-4094"},
                        {"[Guest]\nName=a\nQMPSocket=/a\n[Interface]\nGuest=a\nName=n\nNativeVLAN=-1\n",
                                        "vnicd.conf:7: NativeVLAN=-1: not a VLAN id 1-4094"},
                        {"[Guest]\nName=a\nQMPSocket=/a\n[Interface]\nGuest=a\nName=n\nNativeVLAN=10\n"
                         "AllowedVLANs=5-15\n",
                                        "vnicd.conf:4: [Interface] n: NativeVLAN=10: the native VLAN is "
                                        "also in the allowed VLANs (it is untagged)"},
                        {"[Manager]\nNativeVLAN=10\nAllowedVLANs=10\n",
                                        "vnicd.conf:1: [Manager] NativeVLAN=10: the native VLAN is also in "
                                        "the allowed VLANs (it is untagged)"},
                        {"[Manager]\nAllowedVLANs=0\n",
                                        "vnicd.conf:2: AllowedVLANs=0: not a list of VLAN ids 1-4094 and "
                                        "ranges (10,20,100-110)"},
                        {"[Bridge]\nVLANFiltering=yes\n", "vnicd.conf:1: [Bridge] needs Name="},
                        {"[Bridge]\nName=br0\n[Bridge]\nName=br0\n",
                                        "vnicd.conf:3: duplicate bridge br0, first defined at line 1"},
                        {"[Bridge]\nName=br0\nVLANFiltering=sometimes\n",
                                        "vnicd.conf:3: VLANFiltering=sometimes: not yes or no"},
        };

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                _cleanup_free_ char *error = NULL;
                Config c;

                print_message("case %zu\n", k);
                config_init(&c);
                assert_true(parse(&c, cases[k].text, &error) < 0);
                assert_non_null(error);
                assert_string_equal(error, cases[k].error);
                assert_int_equal(c.n_bridges, 0);
                assert_int_equal(c.n_interfaces, 0);
                config_done(&c);
        }
}

static void test_placement_keys(void **state) {
        static const char text[] = "[Manager]\n"
                                   "ReservedCPUs=0, 2-3\n"
                                   "Placement=apply\n"
                                   "[Uplink]\n"
                                   "Name=eth1\n"
                                   "[Uplink]\n"
                                   "Name=eth2\n"
                                   "Placement=report\n";
        static const char second[] = "[Manager]\nPlacement=report\n[Uplink]\nName=eth3\n";
        _cleanup_free_ char *reserved = NULL, *error = NULL;
        const ConfigUplink *u;
        Config c;

        config_init(&c);
        assert_int_equal(c.placement, PLACEMENT_MODE_REPORT);
        assert_true(cpu_set_is_empty(&c.reserved_cpus));
        assert_int_equal(parse(&c, text, NULL), 0);
        reserved = cpu_set_to_string(&c.reserved_cpus);
        assert_string_equal(reserved, "0,2-3");
        assert_int_equal(c.placement, PLACEMENT_MODE_APPLY);
        assert_int_equal(c.n_uplinks, 2);
        u = config_find_uplink(&c, "eth1");
        assert_non_null(u);
        assert_int_equal(u->line, 4);
        assert_int_equal(u->placement, _PLACEMENT_MODE_INVALID);
        assert_int_equal(config_uplink_placement(&c, u), PLACEMENT_MODE_APPLY);
        assert_int_equal(config_uplink_placement(&c, config_find_uplink(&c, "eth2")), PLACEMENT_MODE_REPORT);
        assert_null(config_find_uplink(&c, "eth0"));

        /* A later file overrides [Manager] Placement= and adds uplinks; a duplicate is an error. */
        assert_int_equal(parse(&c, second, NULL), 0);
        assert_int_equal(c.n_uplinks, 3);
        assert_int_equal(config_uplink_placement(&c, config_find_uplink(&c, "eth1")), PLACEMENT_MODE_REPORT);
        assert_int_equal(parse(&c, "[Uplink]\nName=eth2\n", &error), -EINVAL);
        assert_string_equal(error, "vnicd.conf:1: duplicate uplink eth2, already configured");
        assert_int_equal(c.n_uplinks, 3);
        config_done(&c);
        assert_int_equal(c.n_uplinks, 0);
        assert_true(cpu_set_is_empty(&c.reserved_cpus));
}

static void test_placement_errors(void **state) {
        static const struct {
                const char *text;
                const char *error;
        } cases[] = {
                        {"[Manager]\nReservedCPUs=0-\n",
                                        "vnicd.conf:2: ReservedCPUs=0-: not a CPU list such as 0-1,4"},
                        {"[Manager]\nReservedCPUs=3-1\n", "vnicd.conf:2: ReservedCPUs=3-1: a CPU above 8191 "
                                                          "or a reversed range"},
                        {"[Manager]\nReservedCPUs=8192\n",
                                        "vnicd.conf:2: ReservedCPUs=8192: a CPU above 8191 or a reversed "
                                        "range"},
                        {"[Manager]\nPlacement=yes\n", "vnicd.conf:2: Placement=yes: not report or apply"},
                        {"[Uplink]\nPlacement=apply\n", "vnicd.conf:1: [Uplink] needs Name="},
                        {"[Uplink]\nName=eth1\nPlacement=Apply\n",
                                        "vnicd.conf:3: Placement=Apply: not report or apply"},
                        {"[Uplink]\nName=eth1/x\n",
                                        "vnicd.conf:2: Name=eth1/x: may not contain '/', ':' or whitespace"},
                        {"[Uplink]\nName=eth1\n[Uplink]\nName=eth1\n",
                                        "vnicd.conf:3: duplicate uplink eth1, first defined at line 1"},
                        {"[Uplink]\nName=eth1\nReservedCPUs=1\n",
                                        "vnicd.conf:3: unknown key ReservedCPUs in [Uplink]"},
        };

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                _cleanup_free_ char *error = NULL;
                Config c;

                print_message("case %zu\n", k);
                config_init(&c);
                assert_true(parse(&c, cases[k].text, &error) < 0);
                assert_non_null(error);
                assert_string_equal(error, cases[k].error);
                assert_int_equal(c.n_uplinks, 0);
                assert_true(cpu_set_is_empty(&c.reserved_cpus));
                assert_int_equal(c.placement, PLACEMENT_MODE_REPORT);
                config_done(&c);
        }
}

static void test_values(void **state) {
        static const struct {
                const char *text;
                int log_level;
                unsigned long long debounce_usec, resync_usec;
                bool trust;
        } cases[] = {
                        {"[Manager]\nLogLevel=err\n", LOG_ERR, 50000, 30000000, false},
                        {"[Manager]\nLogLevel=warning\n", LOG_WARNING, 50000, 30000000, false},
                        {"[Manager]\nLogLevel=notice\n", LOG_NOTICE, 50000, 30000000, false},
                        {"[Manager]\nLogLevel=info\n", LOG_INFO, 50000, 30000000, false},
                        {"[Manager]\nDebounceSec=0\n", -1, 0, 30000000, false},
                        {"[Manager]\nDebounceSec=10\n", -1, 10000000, 30000000, false},
                        {"[Manager]\nDebounceSec=10.000000\n", -1, 10000000, 30000000, false},
                        {"[Manager]\nDebounceSec=0.000001\n", -1, 1, 30000000, false},
                        {"[Manager]\nDebounceSec=1.5\n", -1, 1500000, 30000000, false},
                        {"[Manager]\nDebounceSec=007\n", -1, 7000000, 30000000, false},
                        {"[Manager]\nResyncSec=0\n", -1, 50000, 0, false},
                        {"[Manager]\nResyncSec=86400\n", -1, 50000, 86400000000ULL, false},
                        {"[Manager]\nTrust=true\n", -1, 50000, 30000000, true},
                        {"[Manager]\nTrust=on\n", -1, 50000, 30000000, true},
                        {"[Manager]\nTrust=1\n", -1, 50000, 30000000, true},
                        {"[Manager]\nTrust=yes\nTrust=no\n", -1, 50000, 30000000, false}, /* last one wins */
                        /* whitespace around keys and values, CRLF, a BOM, no final newline */
                        {"\xef\xbb\xbf[Manager]\r\n  DebounceSec =  2  \r\n\tTrust\t=\tyes", -1, 2000000,
                                        30000000, true},
                        {"  [Manager]  \nResyncSec=5\n[Manager]\nDebounceSec=3\n", -1, 3000000, 5000000,
                                        false},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *error = NULL;
                Config c;

                print_message("case %zu\n", i);
                config_init(&c);
                assert_int_equal(parse(&c, cases[i].text, &error), 0);
                assert_null(error);
                assert_int_equal(c.log_level, cases[i].log_level);
                assert_int_equal(c.debounce_usec, cases[i].debounce_usec);
                assert_int_equal(c.resync_usec, cases[i].resync_usec);
                assert_int_equal(c.defaults.trust, cases[i].trust);
                config_done(&c);
        }
}

static void test_names(void **state) {
        static const char *const good[] = {"a", "demo", "web-1.example_x", "ABCxyz019",
                        "0123456789012345678901234567890123456789012345678901234567890123"};

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_free_ char *text = NULL;
                Config c;

                config_init(&c);
                assert_true(asprintf(&text,
                                            "[Guest]\nName=%s\nQMPSocket=/"
                                            "q\n[Interface]\nGuest=%s\nName=%s\n",
                                            good[i], good[i], good[i]) >= 0);
                assert_int_equal(parse(&c, text, NULL), 0);
                assert_string_equal(c.guests[0].name, good[i]);
                assert_non_null(config_find_interface(&c, good[i], good[i]));
                config_done(&c);
        }
}

static void test_errors(void **state) {
        static const struct {
                const char *text;
                int r;
                const char *error;
        } cases[] = {
                        {"Trust=yes\n", -EINVAL, "vnicd.conf:1: Trust= outside of any section"},
                        {"[Guest]\nName=web1\nQMPSocket=/run/qemu/caf\xe9.qmp\n", -EINVAL,
                                        "vnicd.conf:3: not valid UTF-8"},
                        {"[Manager]\nFoo=1\n", -EINVAL, "vnicd.conf:2: unknown key Foo in [Manager]"},
                        {"[Manager]\nlogLevel=info\n", -EINVAL,
                                        "vnicd.conf:2: unknown key logLevel in [Manager]"},
                        {"[Network]\n", -EINVAL, "vnicd.conf:1: unknown section [Network]"},
                        {"[manager]\n", -EINVAL, "vnicd.conf:1: unknown section [manager]"},
                        {"[Manager\n", -EINVAL, "vnicd.conf:1: bad section header [Manager"},
                        {"[Manager] x\n", -EINVAL, "vnicd.conf:1: bad section header [Manager] x"},
                        {"[Manager]\nLogLevel\n", -EINVAL,
                                        "vnicd.conf:2: expected Key=value, a [Section] or a comment, got "
                                        "LogLevel"},
                        {"[Manager]\n=info\n", -EINVAL, "vnicd.conf:2: no key before '='"},
                        {"[Manager]\nLogLevel=\n", -EINVAL, "vnicd.conf:2: LogLevel= needs a value"},
                        {"[Manager]\nLogLevel=  \n", -EINVAL, "vnicd.conf:2: LogLevel= needs a value"},
                        {"[Manager]\nLogLevel=loud\n", -EINVAL,
                                        "vnicd.conf:2: LogLevel=loud: not one of err, warning, notice, "
                                        "info, debug"},
                        {"[Manager]\nDebounceSec=11\n", -ERANGE,
                                        "vnicd.conf:2: DebounceSec=11: out of range (0-10)"},
                        {"[Manager]\nDebounceSec=10.5\n", -ERANGE,
                                        "vnicd.conf:2: DebounceSec=10.5: out of range (0-10)"},
                        {"[Manager]\nDebounceSec=99999999999999999999999\n", -ERANGE,
                                        "vnicd.conf:2: DebounceSec=99999999999999999999999: out of range "
                                        "(0-10)"},
                        {"[Manager]\nDebounceSec=-1\n", -EINVAL,
                                        "vnicd.conf:2: DebounceSec=-1: not a number of seconds"},
                        {"[Manager]\nDebounceSec=50ms\n", -EINVAL,
                                        "vnicd.conf:2: DebounceSec=50ms: not a number of seconds"},
                        {"[Manager]\nDebounceSec=.5\n", -EINVAL,
                                        "vnicd.conf:2: DebounceSec=.5: not a number of seconds"},
                        {"[Manager]\nDebounceSec=1.\n", -EINVAL,
                                        "vnicd.conf:2: DebounceSec=1.: not a number of seconds"},
                        {"[Manager]\nDebounceSec=0.0000001\n", -EINVAL,
                                        "vnicd.conf:2: DebounceSec=0.0000001: not a number of seconds"},
                        {"[Manager]\nDebounceSec=1 # comment\n", -EINVAL,
                                        "vnicd.conf:2: DebounceSec=1 # comment: not a number of seconds"},
                        {"[Manager]\nResyncSec=86401\n", -ERANGE,
                                        "vnicd.conf:2: ResyncSec=86401: out of range (0-86400)"},
                        {"[Manager]\nMultiqueueSampleSec=0.05\n", -ERANGE,
                                        "vnicd.conf:2: MultiqueueSampleSec=0.05: out of range (0.1-3600)"},
                        {"[Manager]\nMultiqueueSampleSec=3601\n", -ERANGE,
                                        "vnicd.conf:2: MultiqueueSampleSec=3601: out of range (0.1-3600)"},
                        {"[Manager]\nMultiqueueIdleSampleSec=0.09\n", -ERANGE,
                                        "vnicd.conf:2: MultiqueueIdleSampleSec=0.09: out of range "
                                        "(0.1-3600)"},
                        {"[Manager]\nMultiqueueIdleSampleSec=3600.5\n", -ERANGE,
                                        "vnicd.conf:2: MultiqueueIdleSampleSec=3600.5: out of range "
                                        "(0.1-3600)"},
                        {"[Manager]\nMultiqueueWindowSamples=1\n", -ERANGE,
                                        "vnicd.conf:2: MultiqueueWindowSamples=1: out of range (2-24)"},
                        {"[Manager]\nMultiqueueWindowSamples=25\n", -ERANGE,
                                        "vnicd.conf:2: MultiqueueWindowSamples=25: out of range (2-24)"},
                        {"[Manager]\nMultiqueueWindowSamples=2.5\n", -EINVAL,
                                        "vnicd.conf:2: MultiqueueWindowSamples=2.5: not a decimal number"},
                        {"[Manager]\nTrust=maybe\n", -EINVAL, "vnicd.conf:2: Trust=maybe: not yes or no"},
                        {"[Manager]\nTrust=YES\n", -EINVAL, "vnicd.conf:2: Trust=YES: not yes or no"},
                        {"[Guest]\nQMPSocket=/q\n", -EINVAL, "vnicd.conf:1: [Guest] needs Name="},
                        {"[Guest]\nName=demo\n", -EINVAL, "vnicd.conf:1: [Guest] demo needs QMPSocket="},
                        {"[Guest]\nName=demo\n[Manager]\n", -EINVAL,
                                        "vnicd.conf:1: [Guest] demo needs QMPSocket="},
                        {"[Guest]\nName=de mo\n", -EINVAL,
                                        "vnicd.conf:2: Name=de mo: may only contain A-Z a-z 0-9 _ . -"},
                        {"[Guest]\nName=a/b\n", -EINVAL,
                                        "vnicd.conf:2: Name=a/b: may only contain A-Z a-z 0-9 _ . -"},
                        {"[Guest]\nName=01234567890123456789012345678901234567890123456789012345678901234\n",
                                        -EINVAL,
                                        "vnicd.conf:2: "
                                        "Name="
                                        "01234567890123456789012345678901234567890123456789012345678901234: "
                                        "must have 1-64 characters"},
                        {"[Guest]\nQMPSocket=run/q\n", -EINVAL,
                                        "vnicd.conf:2: QMPSocket=run/q: must be an absolute path"},
                        {"[Guest]\nQMPSocket=/"
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                         "aa"
                         "aaaaaaaaaaaaaaaaaaaaaaa\n",
                                        -EINVAL,
                                        "vnicd.conf:2: "
                                        "QMPSocket=/"
                                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                        "...: "
                                        "is too long for a unix socket path"},
                        {"[Guest]\nQMPSocket=/a\x01\n", -EINVAL,
                                        "vnicd.conf:2: QMPSocket=/a?: contains control characters"},
                        {"[Guest]\nName=demo\nQMPSocket=/q\n[Guest]\nName=demo\nQMPSocket=/r\n", -EINVAL,
                                        "vnicd.conf:4: duplicate guest demo, first defined at line 1"},
                        {"[Guest]\nPath=/q\n", -EINVAL, "vnicd.conf:2: unknown key Path in [Guest]"},
                        {"[Interface]\nName=net0\n", -EINVAL, "vnicd.conf:1: [Interface] needs Guest="},
                        {"[Interface]\nGuest=demo\n", -EINVAL, "vnicd.conf:1: [Interface] needs Name="},
                        {"[Interface]\nGuest=demo\nName=net0\n", -EINVAL,
                                        "vnicd.conf:1: [Interface] net0 names unknown guest demo"},
                        {"[Guest]\nName=demo\nQMPSocket=/q\n[Interface]\nGuest=dem\nName=net0\n", -EINVAL,
                                        "vnicd.conf:4: [Interface] net0 names unknown guest dem"},
                        {"[Guest]\nName=demo\nQMPSocket=/q\n[Interface]\nGuest=demo\nName=net0\n"
                         "[Interface]\nGuest=demo\nName=net0\n",
                                        -EINVAL,
                                        "vnicd.conf:7: duplicate interface net0 of guest demo, first "
                                        "defined at line 4"},
                        {"[Guest]\nName=demo\nQMPSocket=/"
                         "q\n[Interface]\nGuest=demo\nName=net0\nHostDevice=tap0\n"
                         "[Interface]\nGuest=demo\nName=net1\nHostDevice=tap0\n",
                                        -EINVAL,
                                        "vnicd.conf:8: HostDevice=tap0 already used by the interface at "
                                        "line 4"},
                        {"[Interface]\nHostDevice=0123456789abcdef\n", -EINVAL,
                                        "vnicd.conf:2: HostDevice=0123456789abcdef: is longer than 15 "
                                        "bytes"},
                        {"[Interface]\nHostDevice=..\n", -EINVAL,
                                        "vnicd.conf:2: HostDevice=..: is not a valid interface name"},
                        {"[Interface]\nHostDevice=a:b\n", -EINVAL,
                                        "vnicd.conf:2: HostDevice=a:b: may not contain '/', ':' or "
                                        "whitespace"},
                        {"[Interface]\nHostDevice=a b\n", -EINVAL,
                                        "vnicd.conf:2: HostDevice=a b: may not contain '/', ':' or "
                                        "whitespace"},
                        {"[Interface]\nTrust=sometimes\n", -EINVAL,
                                        "vnicd.conf:2: Trust=sometimes: not yes or no"},
                        {"[Interface]\nQMPSocket=/q\n", -EINVAL,
                                        "vnicd.conf:2: unknown key QMPSocket in [Interface]"},
                        {"\n\n[Manager]\nLogLevel=info\r\nTrust=yes\n\nX=1\n", -EINVAL,
                                        "vnicd.conf:7: unknown key X in [Manager]"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *error = NULL;
                Config c;

                print_message("case %zu: %s\n", i, cases[i].error);
                config_init(&c);
                assert_int_equal(parse(&c, cases[i].text, &error), cases[i].r);
                assert_non_null(error);
                assert_string_equal(error, cases[i].error);
                assert_int_equal(c.n_guests, 0);
                assert_int_equal(c.n_interfaces, 0);
                assert_int_equal(parse(&c, cases[i].text, NULL), cases[i].r);
                config_done(&c);
        }
}

/* Every multiqueue threshold: its default, both bounds, one past each, bad syntax; in a file and as
 * a command-line assignment (config_set_multiqueue()). 'with' holds what a bound needs beside it to
 * pass the rules between keys. */
typedef struct ThresholdCase {
        const char *key;
        size_t offset; /* in MultiqueueConfig */
        uint64_t def;
        const char *min, *max; /* as written */
        uint64_t min_value, max_value;
        const char *below, *above; /* refused; 'below' NULL when the minimum is 0 */
        const char *range;
        const char *with_min, *with_max;
        const char *not_a_number;
} ThresholdCase;

#define MQ(f) offsetof(MultiqueueConfig, f)

static const ThresholdCase thresholds[] = {
                {"MultiqueueIdlePacketRate", MQ(idle_packet_rate), 200, "0", "10000000", 0, 10000000, NULL,
                                "10000001", "0-10000000", "", "MultiqueuePacketRatePerPair=10000001\n",
                                "not a decimal number"},
                {"MultiqueueWorkerBusyHighPercent", MQ(worker_busy_high_percent), 75, "1", "100", 1, 100,
                                "0", "101", "1-100", "MultiqueueWorkerBusyLowPercent=0\n", "",
                                "not a decimal number"},
                {"MultiqueueWorkerBusyLowPercent", MQ(worker_busy_low_percent), 25, "0", "50", 0, 50, NULL,
                                "51", "0-50", "", "MultiqueueWorkerBusyHighPercent=100\n",
                                "not a decimal number"},
                {"MultiqueueLargeFrameBytes", MQ(large_frame_bytes), 16384, "0", "65536", 0, 65536, NULL,
                                "65537", "0-65536", "", "", "not a decimal number"},
                {"MultiqueuePacketRatePerPair", MQ(packet_rate_per_pair), 250000, "1000", "100000000", 1000,
                                100000000, "999", "100000001", "1000-100000000", "", "",
                                "not a decimal number"},
                {"MultiqueueHoldDownSec", MQ(hold_down_usec), 60 * USEC_PER_SEC, "0", "86400", 0,
                                86400 * USEC_PER_SEC, NULL, "86400.000001", "0-86400", "", "",
                                "not a number of seconds"},
};

static uint64_t threshold(const MultiqueueConfig *mq, const ThresholdCase *t) {
        return *(const uint64_t *) ((const char *) mq + t->offset);
}

/* Parses "[Manager]\nKEY=VALUE\nWITH" and returns what parse() returns; '*ret' gets the threshold. */
static int parse_threshold(
                const ThresholdCase *t, const char *value, const char *with, uint64_t *ret, char **error) {
        _cleanup_free_ char *text = NULL;
        Config c;
        int r;

        assert_true(asprintf(&text, "[Manager]\n%s=%s\n%s", t->key, value, with) >= 0);
        config_init(&c);
        r = parse(&c, text, error);
        *ret = threshold(&c.multiqueue, t);
        config_done(&c);
        return r;
}

/* Both ways of setting 'value' fail with 'r' and "…: KEY=VALUE: 'why'". */
static void assert_threshold_refused(const ThresholdCase *t, const char *value, int r, const char *why) {
        _cleanup_free_ char *error = NULL, *set_error = NULL, *assignment = NULL, *expect = NULL;
        MultiqueueConfig mq = multiqueue_config_defaults(), before = mq;
        uint64_t v;

        print_message("  %s=%s: %s\n", t->key, value, why);
        assert_int_equal(parse_threshold(t, value, "", &v, &error), r);
        assert_true(asprintf(&expect, "vnicd.conf:2: %s=%s: %s", t->key, value, why) >= 0);
        assert_string_equal(error, expect);
        assert_int_equal(v, t->def);

        assert_true(asprintf(&assignment, "%s=%s", t->key, value) >= 0);
        assert_int_equal(config_set_multiqueue(&mq, assignment, "--set", &set_error), r);
        assert_string_equal(set_error + strlen("--set"), expect + strlen("vnicd.conf:2"));
        assert_memory_equal(&mq, &before, sizeof(mq));
}

static void test_multiqueue_keys(void **state) {
        static const char *const not_numbers[] = {"-1", "+1", "1e3", "0x10", "1,5", "12abc", "1 2", ".5"};
        MultiqueueConfig defaults = multiqueue_config_defaults();
        char range[64];
        Config c;

        config_init(&c);
        assert_memory_equal(&c.multiqueue, &defaults, sizeof(defaults));
        assert_int_equal(multiqueue_config_verify(&defaults, NULL), 0);
        config_done(&c);

        for (size_t i = 0; i < ELEMENTSOF(thresholds); i++) {
                const ThresholdCase *t = &thresholds[i];
                _cleanup_free_ char *assignment = NULL;
                MultiqueueConfig mq = defaults;
                uint64_t v;

                print_message("%s\n", t->key);
                assert_int_equal(threshold(&defaults, t), t->def);

                /* both bounds, in a file and on a command line */
                assert_int_equal(parse_threshold(t, t->min, t->with_min, &v, NULL), 0);
                assert_int_equal(v, t->min_value);
                assert_int_equal(parse_threshold(t, t->max, t->with_max, &v, NULL), 0);
                assert_int_equal(v, t->max_value);
                assert_true(asprintf(&assignment, "%s=%s", t->key, t->max) >= 0);
                assert_int_equal(config_set_multiqueue(&mq, assignment, "--set", NULL), 0);
                assert_int_equal(threshold(&mq, t), t->max_value);

                /* one past either bound, and far past */
                (void) snprintf(range, sizeof(range), "out of range (%s)", t->range);
                if (t->below)
                        assert_threshold_refused(t, t->below, -ERANGE, range);
                assert_threshold_refused(t, t->above, -ERANGE, range);
                assert_threshold_refused(t, "99999999999999999999999999", -ERANGE, range);

                for (size_t j = 0; j < ELEMENTSOF(not_numbers); j++)
                        assert_threshold_refused(t, not_numbers[j], -EINVAL, t->not_a_number);
        }

        /* integers are integers; seconds take up to 6 decimals */
        assert_threshold_refused(&thresholds[0], "1.5", -EINVAL, "not a decimal number");
        assert_threshold_refused(&thresholds[5], "1.0000001", -EINVAL, "not a number of seconds");
        assert_int_equal(parse(&c, "[Manager]\nMultiqueueHoldDownSec=90.25\n", NULL), 0);
        assert_int_equal(c.multiqueue.hold_down_usec, 90250000);
        config_done(&c);
}

static void test_multiqueue_rules(void **state) {
        static const struct {
                const char *text;
                int r;
                const char *error; /* NULL: accepted */
        } cases[] = {
                        /* the low mark at most half the high mark, so below it */
                        {"[Manager]\nMultiqueueWorkerBusyLowPercent=40\n", -EINVAL,
                                        "vnicd.conf:2: MultiqueueWorkerBusyLowPercent=40 is more than half "
                                        "of "
                                        "MultiqueueWorkerBusyHighPercent=75: pairs added for a load over "
                                        "the "
                                        "high mark would count as low at once"},
                        {"[Manager]\nMultiqueueWorkerBusyHighPercent=40\nLogLevel=info\n", -EINVAL,
                                        "vnicd.conf:2: MultiqueueWorkerBusyLowPercent=25 is more than half "
                                        "of "
                                        "MultiqueueWorkerBusyHighPercent=40: pairs added for a load over "
                                        "the "
                                        "high mark would count as low at once"},
                        {"[Manager]\nMultiqueueWorkerBusyHighPercent=50\nMultiqueueWorkerBusyLowPercent="
                         "50\n",
                                        -EINVAL,
                                        "vnicd.conf:3: MultiqueueWorkerBusyLowPercent=50 is more than half "
                                        "of "
                                        "MultiqueueWorkerBusyHighPercent=50: pairs added for a load over "
                                        "the "
                                        "high mark would count as low at once"},
                        {"[Manager]\nMultiqueueWorkerBusyHighPercent=49\n", -EINVAL,
                                        "vnicd.conf:2: MultiqueueWorkerBusyLowPercent=25 is more than half "
                                        "of "
                                        "MultiqueueWorkerBusyHighPercent=49: pairs added for a load over "
                                        "the "
                                        "high mark would count as low at once"},
                        {"[Manager]\nMultiqueueWorkerBusyHighPercent=50\n", 0, NULL},
                        {"[Manager]\nMultiqueueWorkerBusyLowPercent=0\nMultiqueueWorkerBusyHighPercent=1\n",
                                        0, NULL},
                        /* checked once the file is read: the keys may come in any order and section */
                        {"[Manager]\nMultiqueueWorkerBusyHighPercent=40\n[Guest]\nName=a\nQMPSocket=/a\n"
                         "[Manager]\nMultiqueueWorkerBusyLowPercent=20\n",
                                        0, NULL},
                        /* the idle rate below the rate a pair carries */
                        {"[Manager]\nMultiqueueIdlePacketRate=250000\n", -EINVAL,
                                        "vnicd.conf:2: MultiqueueIdlePacketRate=250000 is not below "
                                        "MultiqueuePacketRatePerPair=250000: a NIC that fills a pair would "
                                        "count as idle"},
                        {"[Manager]\nMultiqueueIdlePacketRate=5000\nMultiqueuePacketRatePerPair=1000\n",
                                        -EINVAL,
                                        "vnicd.conf:3: MultiqueueIdlePacketRate=5000 is not below "
                                        "MultiqueuePacketRatePerPair=1000: a NIC that fills a pair would "
                                        "count "
                                        "as idle"},
                        {"[Manager]\nMultiqueueIdlePacketRate=249999\n", 0, NULL},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *error = NULL;
                MultiqueueConfig defaults = multiqueue_config_defaults();
                Config c;

                print_message("case %zu\n", i);
                config_init(&c);
                assert_int_equal(parse(&c, cases[i].text, &error), cases[i].r);
                if (cases[i].error) {
                        assert_string_equal(error, cases[i].error);
                        assert_memory_equal(&c.multiqueue, &defaults, sizeof(defaults));
                        assert_int_equal(c.n_guests, 0);
                } else
                        assert_null(error);
                config_done(&c);
        }
}

static void test_multiqueue_rules_across_files(void **state) {
        static const char one[] =
                        "[Manager]\nMultiqueueWorkerBusyHighPercent=40\nMultiqueueWorkerBusyLowPercent=20\n";
        static const char two[] = "[Manager]\nResyncSec=5\nMultiqueueWorkerBusyLowPercent=30\n";
        _cleanup_free_ char *error = NULL;
        Config c;

        /* a later file is checked against what the earlier ones set, and refused as a whole */
        config_init(&c);
        assert_int_equal(config_parse_string(&c, one, strlen(one), "one.conf", NULL), 0);
        assert_int_equal(config_parse_string(&c, two, strlen(two), "two.conf", &error), -EINVAL);
        assert_string_equal(error,
                        "two.conf:3: MultiqueueWorkerBusyLowPercent=30 is more than half of "
                        "MultiqueueWorkerBusyHighPercent=40: pairs added for a load over the high "
                        "mark would count as low at once");
        assert_int_equal(c.multiqueue.worker_busy_high_percent, 40);
        assert_int_equal(c.multiqueue.worker_busy_low_percent, 20);
        assert_int_equal(c.resync_usec, 30 * USEC_PER_SEC);
        config_done(&c);
}

static void test_multiqueue_verify(void **state) {
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL;
        MultiqueueConfig mq = multiqueue_config_defaults();

        /* what a caller builds by hand is held to the file's bounds and rules */
        assert_int_equal(multiqueue_config_verify(NULL, NULL), -EINVAL);
        mq.packet_rate_per_pair = 0;
        assert_int_equal(multiqueue_config_verify(&mq, NULL), -ERANGE);
        assert_int_equal(multiqueue_config_verify(&mq, &e1), -ERANGE);
        assert_string_equal(e1, "MultiqueuePacketRatePerPair=0: out of range (1000-100000000)");
        mq = multiqueue_config_defaults();
        mq.hold_down_usec = 86400 * USEC_PER_SEC + 500000;
        assert_int_equal(multiqueue_config_verify(&mq, &e2), -ERANGE);
        assert_string_equal(e2, "MultiqueueHoldDownSec=86400.5: out of range (0-86400)");
        mq = multiqueue_config_defaults();
        mq.worker_busy_low_percent = 38;
        assert_int_equal(multiqueue_config_verify(&mq, &e3), -EINVAL);
        assert_non_null(strstr(e3, "MultiqueueWorkerBusyLowPercent=38 is more than half"));
}

static void test_set_multiqueue(void **state) {
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
        MultiqueueConfig mq = multiqueue_config_defaults(), before = mq;

        assert_int_equal(config_set_multiqueue(&mq, "MultiqueueHoldDownSec=0.5", "--set", NULL), 0);
        assert_int_equal(mq.hold_down_usec, 500000);
        /* the rules between keys wait for the caller: one assignment at a time may cross them */
        assert_int_equal(config_set_multiqueue(&mq, "MultiqueueWorkerBusyHighPercent=30", "--set", NULL), 0);
        assert_int_equal(multiqueue_config_verify(&mq, NULL), -EINVAL);
        assert_int_equal(config_set_multiqueue(&mq, "MultiqueueWorkerBusyLowPercent=15", "--set", NULL), 0);
        assert_int_equal(multiqueue_config_verify(&mq, NULL), 0);

        mq = before;
        assert_int_equal(config_set_multiqueue(&mq, "MultiqueueSampleSec=1", "--set", &e1), -ENOENT);
        assert_string_equal(e1, "--set: unknown key MultiqueueSampleSec: not a multiqueue threshold");
        assert_int_equal(config_set_multiqueue(&mq, "LogLevel=debug", "--set", &e2), -ENOENT);
        assert_string_equal(e2, "--set: unknown key LogLevel: not a multiqueue threshold");
        assert_int_equal(config_set_multiqueue(&mq, "MultiqueueHoldDownSec", "--set", &e3), -EINVAL);
        assert_string_equal(e3, "--set: expected Key=value, got MultiqueueHoldDownSec");
        assert_int_equal(config_set_multiqueue(&mq, "MultiqueueHoldDownSec=", "--set", &e4), -EINVAL);
        assert_string_equal(e4, "--set: MultiqueueHoldDownSec=: not a number of seconds");
        assert_int_equal(config_set_multiqueue(&mq, " MultiqueueHoldDownSec=1", "--set", NULL), -ENOENT);
        assert_int_equal(config_set_multiqueue(NULL, "MultiqueueHoldDownSec=1", "--set", NULL), -EINVAL);
        assert_int_equal(config_set_multiqueue(&mq, NULL, "--set", NULL), -EINVAL);
        assert_memory_equal(&mq, &before, sizeof(mq));
}

static void test_nul_and_long_lines(void **state) {
        _cleanup_free_ char *error = NULL, *e2 = NULL, *e3 = NULL, *text = NULL;
        static const char nul[] = "[Manager]\nTrust=y\0es\n";
        Config c;
        size_t n;

        config_init(&c);
        assert_int_equal(config_parse_string(&c, nul, sizeof(nul) - 1, "vnicd.conf", &error), -EINVAL);
        assert_string_equal(error, "vnicd.conf:2: line contains a NUL byte");

        /* 4096 bytes is a line, 4097 is too long; a "\r" before the newline does not count */
        text = malloc(8192);
        assert_non_null(text);
        n = (size_t) sprintf(text, "[Manager]\n#");
        memset(text + n, 'x', 4095);
        n += 4095;
        memcpy(text + n, "\r\n", 2);
        n += 2;
        assert_int_equal(config_parse_string(&c, text, n, "vnicd.conf", NULL), 0);
        text[n - 2] = 'x';
        assert_int_equal(config_parse_string(&c, text, n, "vnicd.conf", &e2), -E2BIG);
        assert_string_equal(e2, "vnicd.conf:2: line longer than 4096 bytes");

        /* no file name */
        assert_int_equal(config_parse_string(&c, "x", 1, NULL, &e3), -EINVAL);
        assert_string_equal(e3, "<string>:1: expected Key=value, a [Section] or a comment, got x");
        config_done(&c);
}

static void test_too_many_sections(void **state) {
        _cleanup_free_ char *text = NULL, *error = NULL;
        size_t n = 0;
        Config c;

        text = malloc(1025 * 16);
        assert_non_null(text);
        for (unsigned i = 0; i < 1025; i++)
                n += (size_t) sprintf(text + n, "[Manager]\n");

        config_init(&c);
        assert_int_equal(config_parse_string(&c, text, n - 10, "vnicd.conf", NULL), 0);
        assert_int_equal(config_parse_string(&c, text, n, "vnicd.conf", &error), -E2BIG);
        assert_string_equal(error, "vnicd.conf:1025: more than 1024 sections");
        config_done(&c);
}

static void test_failure_leaves_config_untouched(void **state) {
        static const char first[] = "[Manager]\nDebounceSec=1\n[Guest]\nName=a\nQMPSocket=/a\n"
                                    "[Interface]\nGuest=a\nName=net0\nHostDevice=tap0\n";
        /* sets every scalar and adds entries before the error on its last line */
        static const char bad[] =
                        "[Manager]\nLogLevel=debug\nDebounceSec=2\nResyncSec=0\nTrust=yes\n"
                        "[Guest]\nName=b\nQMPSocket=/b\n[Interface]\nGuest=b\nName=net0\nBogus=1\n";
        _cleanup_free_ char *error = NULL;
        Config c;

        config_init(&c);
        assert_int_equal(config_parse_string(&c, first, strlen(first), "one.conf", NULL), 0);
        assert_int_equal(config_parse_string(&c, bad, strlen(bad), "two.conf", &error), -EINVAL);
        assert_string_equal(error, "two.conf:12: unknown key Bogus in [Interface]");

        assert_int_equal(c.log_level, -1);
        assert_int_equal(c.debounce_usec, 1000000);
        assert_int_equal(c.resync_usec, 30000000);
        assert_false(c.defaults.trust);
        assert_int_equal(c.n_guests, 1);
        assert_string_equal(c.guests[0].name, "a");
        assert_int_equal(c.n_interfaces, 1);
        assert_string_equal(c.interfaces[0].name, "net0");
        config_done(&c);
}

static void test_second_file(void **state) {
        static const char first[] =
                        "[Guest]\nName=a\nQMPSocket=/a\n[Interface]\nGuest=a\nName=net0\nHostDevice=tap0\n";
        static const char second[] = "[Manager]\nTrust=yes\n[Interface]\nGuest=a\nName=net1\n";
        static const char dup_guest[] = "[Guest]\nName=a\nQMPSocket=/b\n";
        static const char dup_if[] = "[Interface]\nGuest=a\nName=net0\n";
        static const char dup_dev[] = "[Interface]\nGuest=a\nName=net2\nHostDevice=tap0\n";
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL;
        Config c;

        /* a later file may refer to guests from an earlier one; duplicates across files are caught */
        config_init(&c);
        assert_int_equal(config_parse_string(&c, first, strlen(first), "one.conf", NULL), 0);
        assert_int_equal(config_parse_string(&c, second, strlen(second), "two.conf", NULL), 0);
        assert_true(c.defaults.trust);
        assert_int_equal(c.n_interfaces, 2);
        assert_non_null(config_find_interface(&c, "a", "net1"));

        assert_int_equal(config_parse_string(&c, dup_guest, strlen(dup_guest), "three.conf", &e1), -EINVAL);
        assert_string_equal(e1, "three.conf:1: duplicate guest a, already configured");
        assert_int_equal(config_parse_string(&c, dup_if, strlen(dup_if), "three.conf", &e2), -EINVAL);
        assert_string_equal(e2, "three.conf:1: duplicate interface net0 of guest a, already configured");
        assert_int_equal(config_parse_string(&c, dup_dev, strlen(dup_dev), "three.conf", &e3), -EINVAL);
        assert_string_equal(e3, "three.conf:1: HostDevice=tap0 already configured");
        assert_int_equal(c.n_guests, 1);
        assert_int_equal(c.n_interfaces, 2);
        config_done(&c);
}

static void test_forward_reference(void **state) {
        static const char text[] =
                        "[Interface]\nGuest=late\nName=net0\n[Guest]\nName=late\nQMPSocket=/late\n";
        Config c;

        config_init(&c);
        assert_int_equal(parse(&c, text, NULL), 0);
        assert_non_null(config_find_interface(&c, "late", "net0"));
        config_done(&c);
}

static void test_guest_arg(void **state) {
        static const struct {
                const char *arg;
                const char *error;
        } bad[] = {
                        {"demo", "demo: expected NAME=PATH"},
                        {"=/q", "=/q: guest name must have 1-64 characters"},
                        {"de mo=/q", "de mo=/q: guest name may only contain A-Z a-z 0-9 _ . -"},
                        {"demo=", "demo=: QMP socket must be an absolute path"},
                        {"demo=q.sock", "demo=q.sock: QMP socket must be an absolute path"},
                        {"x=/already", "x=/already: duplicate guest x, already configured"},
        };
        Config c;

        config_init(&c);
        assert_int_equal(config_add_guest_arg(&c, "x=/run/x.qmp", NULL), 0);
        assert_int_equal(config_add_guest_arg(&c, "y=/run/y=z.qmp", NULL), 0);
        assert_int_equal(c.n_guests, 2);
        assert_string_equal(c.guests[0].name, "x");
        assert_string_equal(c.guests[0].qmp_socket, "/run/x.qmp");
        assert_string_equal(c.guests[1].qmp_socket, "/run/y=z.qmp");
        assert_int_equal(c.guests[1].line, 0);

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *error = NULL;

                assert_int_equal(config_add_guest_arg(&c, bad[i].arg, &error), -EINVAL);
                assert_string_equal(error, bad[i].error);
        }
        assert_int_equal(c.n_guests, 2);

        /* a file naming a guest from the command line */
        assert_int_equal(parse(&c, "[Interface]\nGuest=x\nName=net0\n", NULL), 0);
        {
                _cleanup_free_ char *error = NULL;

                assert_int_equal(parse(&c, "[Guest]\nName=y\nQMPSocket=/q\n", &error), -EINVAL);
                assert_string_equal(error, "vnicd.conf:1: duplicate guest y, already configured");
        }
        config_done(&c);
}

static void test_parse_file(void **state) {
        _cleanup_free_ char *error = NULL, *e2 = NULL, *e3 = NULL, *big = NULL, *path = NULL;
        const char text[] = "[Guest]\nName=demo\nQMPSocket=/q\n[Interface]\nGuest=demo\nName=net0\nX=1\n";
        Config c;
        int fd;

        assert_true(asprintf(&path, "%s/test-config-file-XXXXXX", getenv("TMPDIR") ?: "/tmp") >= 0);
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t) sizeof(text) - 1);

        config_init(&c);
        assert_int_equal(config_parse_file(&c, path, &error), -EINVAL);
        {
                _cleanup_free_ char *want = NULL;

                assert_true(asprintf(&want, "%s:7: unknown key X in [Interface]", path) >= 0);
                assert_string_equal(error, want);
        }
        assert_int_equal(ftruncate(fd, (off_t) sizeof(text) - 5), 0);
        assert_int_equal(config_parse_file(&c, path, NULL), 0);
        assert_int_equal(c.n_interfaces, 1);

        /* over 1 MiB */
        big = malloc(1024 * 1024 + 1);
        assert_non_null(big);
        memset(big, '\n', 1024 * 1024 + 1);
        assert_int_equal(pwrite(fd, big, 1024 * 1024 + 1, 0), 1024 * 1024 + 1);
        assert_int_equal(config_parse_file(&c, path, &e2), -E2BIG);
        assert_non_null(strstr(e2, ": larger than 1 MiB"));
        /* exactly 1 MiB of blank lines is fine */
        assert_int_equal(ftruncate(fd, 1024 * 1024), 0);
        assert_int_equal(config_parse_file(&c, "/nonexistent/vnicd.conf", &e3), -ENOENT);
        assert_string_equal(e3, "/nonexistent/vnicd.conf: cannot open: No such file or directory");
        {
                _cleanup_free_ char *e4 = NULL;

                assert_int_equal(config_parse_file(&c, "/", &e4), -EISDIR);
                assert_string_equal(e4, "/: is a directory");
        }
        assert_int_equal(close(fd), 0);
        assert_int_equal(unlink(path), 0);
        config_done(&c);
}

static void write_file(const char *dir, const char *name, const char *text) {
        char path[512];
        FILE *f;

        (void) snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

/* vnicd.conf and vnicd.conf.d/: by name, [Manager] keys override, sections add, errors name the
 * drop-in; a missing main file only when optional. */
static void test_drop_ins(void **state) {
        char dir[] = "/tmp/test-config-drop-ins-XXXXXX", main_path[64], d[80], sub[128];
        _cleanup_free_ char *error = NULL;
        Config c;

        assert_non_null(mkdtemp(dir));
        (void) snprintf(main_path, sizeof(main_path), "%s/vnicd.conf", dir);
        (void) snprintf(d, sizeof(d), "%s.d", main_path);

        /* nothing there: optional is fine, required is -ENOENT */
        config_init(&c);
        assert_int_equal(config_load(&c, main_path, true, &error), 0);
        assert_int_equal(config_load(&c, main_path, false, &error), -ENOENT);
        assert_non_null(strstr(error, "vnicd.conf: cannot open"));
        error = mfree(error);

        write_file(dir, "vnicd.conf", "[Manager]\nDebounceSec=0.1\nTrust=yes\n");
        assert_int_equal(mkdir(d, 0755), 0);
        write_file(d, "20-b.conf", "[Manager]\nDebounceSec=0.3\n[Guest]\nName=b\nQMPSocket=/b\n");
        write_file(d, "10-a.conf", "[Manager]\nDebounceSec=0.2\n[Guest]\nName=a\nQMPSocket=/a\n");
        write_file(d, "30-c.conf.disabled", "garbage\n");
        write_file(d, ".hidden.conf", "garbage\n");
        assert_int_equal(config_load(&c, main_path, false, &error), 3);
        assert_int_equal(c.debounce_usec, 300000); /* 20-b.conf is read last */
        assert_true(c.defaults.trust);
        assert_int_equal(c.n_guests, 2);
        assert_string_equal(c.guests[0].name, "a");
        assert_string_equal(c.guests[1].name, "b");
        config_done(&c);

        /* only drop-ins, main file missing */
        assert_int_equal(unlink(main_path), 0);
        config_init(&c);
        assert_int_equal(config_load(&c, main_path, true, &error), 2);
        assert_null(error);
        config_done(&c);

        /* an error names the drop-in and its line */
        write_file(d, "15-bad.conf", "[Manager]\nResyncSec=-1\n");
        config_init(&c);
        assert_true(config_load(&c, main_path, true, &error) < 0);
        assert_non_null(strstr(error, "vnicd.conf.d/15-bad.conf:2: ResyncSec=-1"));
        error = mfree(error);
        config_done(&c);

        /* a directory named like a drop-in is an error, not skipped silently */
        (void) snprintf(sub, sizeof(sub), "%s/15-bad.conf", d);
        assert_int_equal(unlink(sub), 0);
        assert_int_equal(mkdir(sub, 0755), 0);
        config_init(&c);
        assert_int_equal(config_load(&c, main_path, true, &error), -EISDIR);
        assert_non_null(strstr(error, "15-bad.conf: is a directory"));
        config_done(&c);

        /* clean up */
        {
                static const char *const names[] = {
                                "10-a.conf", "20-b.conf", "30-c.conf.disabled", ".hidden.conf"};
                char p[600];

                for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                        (void) snprintf(p, sizeof(p), "%s/%s", d, names[i]);
                        assert_int_equal(unlink(p), 0);
                }
                assert_int_equal(rmdir(sub), 0);
                assert_int_equal(rmdir(d), 0);
                assert_int_equal(rmdir(dir), 0);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_defaults),
                        cmocka_unit_test(test_every_key),
                        cmocka_unit_test(test_resume_migrated),
                        cmocka_unit_test(test_multiqueue_apply),
                        cmocka_unit_test(test_multiqueue_guest_stats),
                        cmocka_unit_test(test_bridge_keys),
                        cmocka_unit_test(test_bridge_errors),
                        cmocka_unit_test(test_placement_keys),
                        cmocka_unit_test(test_placement_errors),
                        cmocka_unit_test(test_values),
                        cmocka_unit_test(test_names),
                        cmocka_unit_test(test_errors),
                        cmocka_unit_test(test_multiqueue_keys),
                        cmocka_unit_test(test_multiqueue_rules),
                        cmocka_unit_test(test_multiqueue_rules_across_files),
                        cmocka_unit_test(test_multiqueue_verify),
                        cmocka_unit_test(test_set_multiqueue),
                        cmocka_unit_test(test_nul_and_long_lines),
                        cmocka_unit_test(test_drop_ins),
                        cmocka_unit_test(test_too_many_sections),
                        cmocka_unit_test(test_failure_leaves_config_untouched),
                        cmocka_unit_test(test_second_file),
                        cmocka_unit_test(test_forward_reference),
                        cmocka_unit_test(test_guest_arg),
                        cmocka_unit_test(test_parse_file),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
