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
#include "qmp-message.h"

/* ---- QmpReader ---- */

/* Takes the next line and checks it is 'want' (NULL: no line buffered). */
static void assert_next_line(QmpReader *r, const char *want) {
        const char *line = NULL;
        size_t len = 0;
        int k;

        k = qmp_reader_next_line(r, &line, &len);
        if (!want) {
                assert_int_equal(k, 0);
                return;
        }
        assert_int_equal(k, 1);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(line, want, len);
        assert_int_equal(line[len], 0); /* NUL-terminated */
}

static void feed(QmpReader *r, const char *s) {
        assert_int_equal(qmp_reader_feed(r, s, strlen(s)), 0);
}

static void test_reader_one_line(void **state) {
        QmpReader r;

        qmp_reader_init(&r, 0);
        assert_int_equal(r.max_line, QMP_LINE_MAX);
        assert_next_line(&r, NULL);
        feed(&r, "{\"return\": {}, \"id\": 1}\r\n");
        assert_next_line(&r, "{\"return\": {}, \"id\": 1}");
        assert_next_line(&r, NULL);
        assert_next_line(&r, NULL);
        qmp_reader_done(&r);
}

static void test_reader_split(void **state) {
        static const char text[] = "{\"event\": \"STOP\"}\r\n{\"return\": {}}\r\n";
        QmpReader r;

        /* one byte at a time: nothing until the newline */
        qmp_reader_init(&r, 0);
        for (size_t i = 0; i < strlen(text); i++) {
                assert_int_equal(qmp_reader_feed(&r, text + i, 1), 0);
                if (text[i] != '\n') {
                        assert_next_line(&r, NULL);
                        continue;
                }
                assert_next_line(&r, i < 20 ? "{\"event\": \"STOP\"}" : "{\"return\": {}}");
                assert_next_line(&r, NULL);
        }
        qmp_reader_done(&r);

        /* split between "\r" and "\n" */
        qmp_reader_init(&r, 0);
        feed(&r, "{\"return\": {}}\r");
        assert_next_line(&r, NULL);
        feed(&r, "\n");
        assert_next_line(&r, "{\"return\": {}}");
        qmp_reader_done(&r);
}

static void test_reader_many_lines(void **state) {
        QmpReader r;

        qmp_reader_init(&r, 0);
        feed(&r, "one\r\ntwo\nthree\r\n\r\n\nfour\r\nfi");
        assert_next_line(&r, "one");
        assert_next_line(&r, "two"); /* "\n" alone ends a line too */
        assert_next_line(&r, "three");
        assert_next_line(&r, "four"); /* blank lines skipped */
        assert_next_line(&r, NULL);
        feed(&r, "ve\r\n");
        assert_next_line(&r, "five");
        assert_next_line(&r, NULL);
        qmp_reader_done(&r);

        /* a "\r" inside a line stays; only the one before "\n" goes */
        qmp_reader_init(&r, 0);
        feed(&r, "a\rb\r\r\n");
        assert_next_line(&r, "a\rb\r");
        qmp_reader_done(&r);
}

static void test_reader_nul_bytes(void **state) {
        QmpReader r;
        const char *line;
        size_t len;

        qmp_reader_init(&r, 0);
        assert_int_equal(qmp_reader_feed(&r, "a\0b\r\n", 5), 0);
        assert_int_equal(qmp_reader_next_line(&r, &line, &len), 1);
        assert_int_equal(len, 3);
        assert_memory_equal(line, "a\0b", 3);
        qmp_reader_done(&r);
}

static void test_reader_limit_boundary(void **state) {
        static const struct {
                const char *in;
                int r;
        } cases[] = {
                        {"0123456789abcdef\n", 1},       /* max_line bytes */
                        {"0123456789abcdef\r\n", 1},     /* ... and a "\r" that is not counted */
                        {"0123456789abcdefg\n", -E2BIG}, /* one more */
                        {"0123456789abcdefg\r\n", -E2BIG},
                        {"0123456789abcdef\r\r\n", -E2BIG},
                        {"0123456789abcdefghijklmnopqrstuvwxyz\n", -E2BIG},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
                        const char *s = cases[i].in;
                        size_t n = strlen(s);
                        bool reported = false;
                        QmpReader r;

                        /* fed whole and in pieces: the verdict is the same, reported once */
                        qmp_reader_init(&r, 16);
                        for (size_t off = 0; off < n; off += chunk) {
                                const char *line;
                                size_t len;
                                int k;

                                assert_int_equal(qmp_reader_feed(&r, s + off, MIN(chunk, n - off)), 0);
                                k = qmp_reader_next_line(&r, &line, &len);
                                if (k == 0)
                                        continue;
                                assert_false(reported);
                                reported = true;
                                assert_int_equal(k, cases[i].r);
                        }
                        assert_true(reported);
                        feed(&r, "next\r\n");
                        assert_next_line(&r, "next");
                        assert_next_line(&r, NULL);
                        qmp_reader_done(&r);
                }
        }
}

static void test_reader_long_line_recovery(void **state) {
        const char *line;
        size_t len;
        QmpReader r;

        /* all in one feed: order is kept */
        qmp_reader_init(&r, 16);
        feed(&r, "before\r\n0123456789012345678901234567890123456789\r\nafter\r\n");
        assert_next_line(&r, "before");
        assert_int_equal(qmp_reader_next_line(&r, &line, &len), -E2BIG);
        assert_next_line(&r, "after");
        assert_next_line(&r, NULL);

        /* reported as soon as it is known, the rest dropped up to its newline */
        feed(&r, "01234567890123456789");
        assert_int_equal(qmp_reader_next_line(&r, &line, &len), -E2BIG);
        assert_next_line(&r, NULL);
        feed(&r, "still the same line, still dropped");
        assert_next_line(&r, NULL);
        feed(&r, "end\nok\r\n");
        assert_next_line(&r, "ok");
        assert_next_line(&r, NULL);

        /* two long lines in a row, then a good one */
        feed(&r, "0123456789012345678901\n0123456789012345678902\ngood\n");
        assert_int_equal(qmp_reader_next_line(&r, &line, &len), -E2BIG);
        assert_int_equal(qmp_reader_next_line(&r, &line, &len), -E2BIG);
        assert_next_line(&r, "good");
        assert_next_line(&r, NULL);
        qmp_reader_done(&r);
}

static void test_reader_megabyte_line(void **state) {
        _cleanup_free_ char *chunk = NULL;
        const size_t chunk_size = 64 * 1024;
        const char *line;
        size_t len, peak = 0;
        QmpReader r;
        int k;

        chunk = malloc(chunk_size);
        assert_non_null(chunk);
        memset(chunk, 'x', chunk_size);

        /* 8 MiB without a newline: over QMP_LINE_MAX, and memory stays bounded while it streams in */
        qmp_reader_init(&r, 0);
        feed(&r, "{\"return\": {}, \"id\": 1}\r\n");
        for (size_t i = 0; i < 128; i++) {
                assert_int_equal(qmp_reader_feed(&r, chunk, chunk_size), 0);
                peak = MAX(peak, r.alloc);
                k = qmp_reader_next_line(&r, &line, &len);
                if (i == 0) {
                        assert_int_equal(k, 1);
                        assert_int_equal(qmp_reader_next_line(&r, &line, &len), 0);
                } else if (i == QMP_LINE_MAX / chunk_size)
                        assert_int_equal(k, -E2BIG); /* known once past the limit */
                else
                        assert_int_equal(k, 0);
        }
        assert_true(peak <= 2 * (size_t) QMP_LINE_MAX + chunk_size);
        assert_true(r.len <= (size_t) QMP_LINE_MAX + 2);
        feed(&r, "\r\n{\"return\": {}, \"id\": 2}\r\n");
        assert_next_line(&r, "{\"return\": {}, \"id\": 2}");
        assert_next_line(&r, NULL);
        assert_true(r.alloc <= 64 * 1024); /* the big buffer was given back */

        /* exactly QMP_LINE_MAX bytes is a legitimate line */
        for (size_t i = 0; i < QMP_LINE_MAX / chunk_size; i++)
                assert_int_equal(qmp_reader_feed(&r, chunk, chunk_size), 0);
        feed(&r, "\r\n");
        assert_int_equal(qmp_reader_next_line(&r, &line, &len), 1);
        assert_int_equal(len, QMP_LINE_MAX);
        qmp_reader_done(&r);
}

static void test_reader_many_small_lines(void **state) {
        _cleanup_free_ char *text = NULL;
        const size_t n = 200000;
        const char *line;
        size_t len, count = 0;
        QmpReader r;
        int k;

        /* one big feed of many lines must be drained in linear time */
        text = malloc(n * 4);
        assert_non_null(text);
        for (size_t i = 0; i < n; i++)
                memcpy(text + i * 4, "{}\r\n", 4);

        qmp_reader_init(&r, 0);
        assert_int_equal(qmp_reader_feed(&r, text, n * 4), 0);
        while ((k = qmp_reader_next_line(&r, &line, &len)) > 0) {
                assert_int_equal(len, 2);
                count++;
        }
        assert_int_equal(k, 0);
        assert_int_equal(count, n);
        qmp_reader_done(&r);
}

static void test_reader_done_twice(void **state) {
        QmpReader r;

        qmp_reader_init(&r, 8);
        feed(&r, "partial");
        qmp_reader_done(&r);
        qmp_reader_done(&r);
        assert_null(r.buf);
        assert_int_equal(r.len, 0);
        qmp_reader_done(NULL);
}

/* ---- qmp_message_parse ---- */

static int parse(const char *s, QmpMessage *m, char **error) {
        return qmp_message_parse(s, strlen(s), m, error);
}

static char *fixture_line(const char *name) {
        _cleanup_free_ char *path = NULL;
        const char *dir = getenv("VNIC_FIXTURES");
        char buf[65536];
        size_t n;
        FILE *f;

        if (!dir)
                fail_msg("VNIC_FIXTURES is not set: run this test through 'meson test'");
        assert_true(asprintf(&path, "%s/qmp/%s", dir, name) >= 0);
        f = fopen(path, "re");
        if (!f)
                fail_msg("fixture tests/fixtures/qmp/%s is missing (%s): record it from a real QEMU", name,
                                strerror(errno));
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        buf[strcspn(buf, "\r\n")] = 0;
        return strdup(buf);
}

static void test_fixture_greeting(void **state) {
        _cleanup_free_ char *line = fixture_line("greeting.txt"), *error = NULL;
        _cleanup_(qmp_message_done) QmpMessage m = {};

        assert_int_equal(parse(line, &m, &error), 0);
        assert_int_equal(m.type, QMP_MESSAGE_GREETING);
        assert_int_equal(m.version_major, 7);
        assert_int_equal(m.version_minor, 2);
        assert_false(m.has_id);
}

static void test_fixture_event(void **state) {
        _cleanup_free_ char *line = fixture_line("event-rx-filter-changed.txt"), *error = NULL;
        _cleanup_(qmp_message_done) QmpMessage m = {};

        assert_int_equal(parse(line, &m, &error), 0);
        assert_int_equal(m.type, QMP_MESSAGE_EVENT);
        assert_string_equal(m.event, "NIC_RX_FILTER_CHANGED");
        assert_string_equal(m.event_name, "net0");
        assert_string_equal(m.event_path, "/machine/peripheral/net0/virtio-backend");
        assert_true(m.timestamp_usec > 0);
        assert_false(m.has_id);
}

static void test_fixture_error(void **state) {
        _cleanup_free_ char *line = fixture_line("error-unknown-nic.txt"), *error = NULL;
        _cleanup_(qmp_message_done) QmpMessage m = {};

        assert_int_equal(parse(line, &m, &error), 0);
        assert_int_equal(m.type, QMP_MESSAGE_ERROR);
        assert_string_equal(m.error_class, "GenericError");
        assert_string_equal(m.error_desc, "invalid net client name: nope");
        assert_true(m.has_id);
        assert_int_equal(m.id, 3);
}

static void test_fixture_event_without_name(void **state) {
        _cleanup_free_ char *line = fixture_line("event-shutdown.txt"), *error = NULL;
        _cleanup_(qmp_message_done) QmpMessage m = {};

        assert_int_equal(parse(line, &m, &error), 0);
        assert_int_equal(m.type, QMP_MESSAGE_EVENT);
        assert_string_equal(m.event, "SHUTDOWN");
        assert_null(m.event_name);
        assert_null(m.event_path);
        assert_int_equal(m.timestamp_usec, 1795453211ULL * 1000000ULL + 912138ULL);
}

static void test_greeting(void **state) {
        _cleanup_(qmp_message_done) QmpMessage m = {};

        assert_int_equal(parse("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": "
                               "7}, "
                               "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": "
                               "[\"oob\"]}}",
                                         &m, NULL),
                        0);
        assert_int_equal(m.type, QMP_MESSAGE_GREETING);
        assert_int_equal(m.version_major, 7);
        assert_int_equal(m.version_minor, 2);
        assert_int_equal(m.version_micro, 22);
        assert_null(m.return_json);
        assert_null(m.event);
}

static void test_returns(void **state) {
        static const struct {
                const char *line;
                const char *json;
                bool has_id;
                uint64_t id;
        } cases[] = {
                        {"{\"return\": {}, \"id\": 1}", "{}", true, 1},
                        {"{\"id\": 5, \"return\": []}", "[]", true, 5},
                        {"{\"return\": {}}", "{}", false, 0},
                        {"{\"return\": {}, \"id\": 0}", "{}", true, 0},
                        {"{\"return\": {}, \"id\": 18446744073709551615}", "{}", true, UINT64_MAX},
                        {"{\"return\": {}, \"id\": \"abc\"}", "{}", false, 0},
                        {"{\"return\": {}, \"id\": -1}", "{}", false, 0},
                        {"{\"return\": {}, \"id\": 1.5}", "{}", false, 0},
                        {"{\"return\": {}, \"id\": null}", "{}", false, 0},
                        {"{\"return\": null, \"id\": 2}", "null", true, 2},
                        {"{\"return\": 42, \"id\": 2}", "42", true, 2},
                        {"  {\"return\": {\"path\": \"/machine/peripheral/net0\"}}  ",
                                        "{\"path\":\"/machine/peripheral/net0\"}", false, 0},
                        {"{\"return\": [{\"name\": \"net0\", \"vlan-table\": [10, 0]}], \"id\": 7}",
                                        "[{\"name\":\"net0\",\"vlan-table\":[10,0]}]", true, 7},
                        {"{\"return\": \"a\\\"b\\u00e9\\n\"}", "\"a\\\"b\xc3\xa9\\n\"", false, 0},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(qmp_message_done) QmpMessage m = {};
                _cleanup_free_ char *error = NULL;

                print_message("case %zu: %s\n", i, cases[i].line);
                assert_int_equal(parse(cases[i].line, &m, &error), 0);
                assert_int_equal(m.type, QMP_MESSAGE_RETURN);
                assert_string_equal(m.return_json, cases[i].json);
                assert_int_equal(m.has_id, cases[i].has_id);
                assert_int_equal(m.id, cases[i].id);
        }
}

static void test_errors_from_qemu(void **state) {
        _cleanup_(qmp_message_done) QmpMessage m = {};

        assert_int_equal(parse("{\"id\": 9, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The "
                               "command "
                               "foo has not been found\"}}",
                                         &m, NULL),
                        0);
        assert_int_equal(m.type, QMP_MESSAGE_ERROR);
        assert_string_equal(m.error_class, "CommandNotFound");
        assert_string_equal(m.error_desc, "The command foo has not been found");
        assert_true(m.has_id);
        assert_int_equal(m.id, 9);
        assert_null(m.return_json);
}

static void test_events(void **state) {
        static const struct {
                const char *line;
                const char *event, *name, *path;
                uint64_t ts;
        } cases[] = {
                        {"{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}, \"event\": "
                         "\"NIC_RX_FILTER_CHANGED\", \"data\": {\"name\": \"net0\", \"path\": "
                         "\"/machine/peripheral/net0/virtio-backend\"}}",
                                        "NIC_RX_FILTER_CHANGED", "net0",
                                        "/machine/peripheral/net0/virtio-backend", 1700000000123456ULL},
                        /* a NIC without id= has no name, only its QOM path */
                        {"{\"event\": \"NIC_RX_FILTER_CHANGED\", \"data\": {\"path\": "
                         "\"/machine/peripheral-anon/device[0]/virtio-backend\"}, \"timestamp\": "
                         "{\"seconds\": 1, "
                         "\"microseconds\": 2}}",
                                        "NIC_RX_FILTER_CHANGED", NULL,
                                        "/machine/peripheral-anon/device[0]/virtio-backend", 1000002},
                        {"{\"event\": \"STOP\"}", "STOP", NULL, NULL, 0},
                        {"{\"event\": \"STOP\", \"data\": {}}", "STOP", NULL, NULL, 0},
                        {"{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": -1, \"microseconds\": -1}}",
                                        "RESUME", NULL, NULL, 0},
                        {"{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 5, \"microseconds\": "
                         "1000000}}",
                                        "RESUME", NULL, NULL, 0},
                        {"{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 18446744073709551615, "
                         "\"microseconds\": 0}}",
                                        "RESUME", NULL, NULL, 0},
                        {"{\"event\": \"RESUME\", \"timestamp\": {}}", "RESUME", NULL, NULL, 0},
                        {"{\"event\": \"X\", \"data\": {\"name\": \"n\", \"other\": [1, 2]}, \"id\": 4}",
                                        "X", "n", NULL, 0},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(qmp_message_done) QmpMessage m = {};
                _cleanup_free_ char *error = NULL;

                print_message("case %zu: %s\n", i, cases[i].line);
                assert_int_equal(parse(cases[i].line, &m, &error), 0);
                assert_int_equal(m.type, QMP_MESSAGE_EVENT);
                assert_string_equal(m.event, cases[i].event);
                if (cases[i].name)
                        assert_string_equal(m.event_name, cases[i].name);
                else
                        assert_null(m.event_name);
                if (cases[i].path)
                        assert_string_equal(m.event_path, cases[i].path);
                else
                        assert_null(m.event_path);
                assert_int_equal(m.timestamp_usec, cases[i].ts);
                assert_false(m.has_id); /* events carry no id we sent */
        }
}

static void test_invalid(void **state) {
        static const struct {
                const char *line;
                int r;
                const char *error; /* NULL: only the errno is checked */
        } cases[] = {
                        {"", -EINVAL, "QMP message: JSON ends early"},
                        {"{\"return\": {}", -EINVAL, "QMP message: JSON ends early"},
                        {"[]", -EINVAL, "QMP message is not a JSON object"},
                        {"42", -EINVAL, NULL},
                        {"\"QMP\"", -EINVAL, "QMP message is not a JSON object"},
                        {"{}", -EINVAL,
                                        "QMP message of unknown kind (no \"QMP\", \"return\", \"error\" or "
                                        "\"event\")"},
                        {"{\"id\": 1}", -EINVAL,
                                        "QMP message of unknown kind (no \"QMP\", \"return\", \"error\" or "
                                        "\"event\")"},
                        {"{\"return\": {}, \"error\": {}}", -EINVAL,
                                        "QMP message has both \"return\" and \"error\""},
                        {"{\"event\": \"X\", \"return\": {}}", -EINVAL,
                                        "QMP message has both \"return\" and \"event\""},
                        {"{\"return\": {}} x", -EINVAL, NULL},
                        {"{\"return\": {}}{\"return\": {}}", -EINVAL, NULL},
                        {"{\"return\": {},}", -EINVAL, NULL},
                        {"{\"return\": {}}\n{}", -EINVAL, NULL},
                        {"{\"return\": \"\xff\"}", -EINVAL, NULL},
                        {"{\"error\": \"bad\"}", -EINVAL, "QMP error: \"error\" is not an object"},
                        {"{\"error\": {\"class\": \"GenericError\"}}", -EINVAL,
                                        "QMP error without \"desc\""},
                        {"{\"error\": {\"desc\": \"x\"}}", -EINVAL, "QMP error without \"class\""},
                        {"{\"error\": {\"class\": 1, \"desc\": \"x\"}}", -EINVAL,
                                        "QMP error: \"class\" is not a string"},
                        {"{\"error\": {\"class\": \"a\\u0000b\", \"desc\": \"x\"}}", -EINVAL,
                                        "QMP error: \"class\" \"a?b\" contains a NUL"},
                        {"{\"event\": 5}", -EINVAL, "QMP event: \"event\" is not a string"},
                        {"{\"event\": \"\"}", -EINVAL, "QMP event with an empty name"},
                        {"{\"event\": \"X\", \"data\": []}", -EINVAL,
                                        "QMP event: \"data\" is not an object"},
                        {"{\"event\": \"X\", \"data\": {\"name\": 5}}", -EINVAL,
                                        "QMP event data: \"name\" is not a string"},
                        {"{\"event\": \"X\", \"data\": {\"path\": null}}", -EINVAL,
                                        "QMP event data: \"path\" is not a string"},
                        {"{\"event\": \"X\", \"timestamp\": 5}", -EINVAL,
                                        "QMP event: \"timestamp\" is not an object"},
                        {"{\"event\": \"X\", \"timestamp\": {\"seconds\": \"1\"}}", -EINVAL,
                                        "QMP event: \"seconds\" is not an integer"},
                        {"{\"event\": \"X\", \"timestamp\": {\"microseconds\": 1.5}}", -EINVAL,
                                        "QMP event: \"microseconds\" is not an integer"},
                        {"{\"QMP\": {}}", -EINVAL, "QMP greeting without \"version\""},
                        {"{\"QMP\": []}", -EINVAL, "QMP greeting: \"QMP\" is not an object"},
                        {"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2}}}}", -EINVAL,
                                        "QMP greeting without \"micro\""},
                        {"{\"QMP\": {\"version\": {\"qemu\": {\"major\": -7, \"minor\": 2, \"micro\": 0}}}}",
                                        -EINVAL, "QMP greeting: \"major\" is not a non-negative integer"},
                        {"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 4294967296, \"minor\": 2, "
                         "\"micro\": 0}}}}",
                                        -EINVAL, "QMP greeting: \"major\" is out of range"},
                        {"{\"QMP\": {\"version\": {\"qemu\": {\"major\": \"7\", \"minor\": 2, \"micro\": "
                         "0}}}}",
                                        -EINVAL, "QMP greeting: \"major\" is not a non-negative integer"},
                        {"{\"return\": [[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}", -E2BIG,
                                        "QMP message nested deeper than 16 levels"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                QmpMessage m = {.type = QMP_MESSAGE_EVENT, .event = (char *) "untouched"};
                _cleanup_free_ char *error = NULL;

                print_message("case %zu: %s\n", i, cases[i].line);
                assert_int_equal(parse(cases[i].line, &m, &error), cases[i].r);
                assert_non_null(error);
                if (cases[i].error)
                        assert_string_equal(error, cases[i].error);
                /* 'ret' untouched on failure */
                assert_int_equal(m.type, QMP_MESSAGE_EVENT);
                assert_string_equal(m.event, "untouched");
                /* and without a message wanted */
                assert_int_equal(parse(cases[i].line, &m, NULL), cases[i].r);
        }
}

static void test_depth_boundary(void **state) {
        _cleanup_(qmp_message_done) QmpMessage m = {};

        /* object, then 14 arrays, then a scalar: 16 levels as json-c counts them */
        assert_int_equal(parse("{\"return\": [[[[[[[[[[[[[[1]]]]]]]]]]]]]]}", &m, NULL), 0);
        qmp_message_done(&m);
        assert_int_equal(parse("{\"return\": [[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}", &m, NULL), -E2BIG);
}

static void test_deep_hostile(void **state) {
        _cleanup_free_ char *deep = NULL, *error = NULL;
        const size_t n = 1000000;
        QmpMessage m = {};

        /* a million open brackets must not recurse or allocate per level */
        deep = malloc(n + 1);
        assert_non_null(deep);
        memset(deep, '[', n);
        deep[n] = 0;
        assert_int_equal(qmp_message_parse(deep, n, &m, &error), -E2BIG);
}

static void test_long_strings(void **state) {
        _cleanup_free_ char *line = NULL, *ok = NULL, *error = NULL;
        _cleanup_(qmp_message_done) QmpMessage m = {};
        char desc[QMP_STRING_MAX + 2];

        memset(desc, 'd', sizeof(desc) - 1);
        desc[sizeof(desc) - 1] = 0;
        assert_true(asprintf(&line, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"%s\"}}", desc) >=
                        0);
        assert_int_equal(parse(line, &m, &error), -ENAMETOOLONG);
        assert_string_equal(error, "QMP error: \"desc\" has 4097 bytes, more than 4096");

        desc[QMP_STRING_MAX] = 0;
        assert_true(asprintf(&ok, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"%s\"}}", desc) >=
                        0);
        assert_int_equal(parse(ok, &m, NULL), 0);
        assert_int_equal(strlen(m.error_desc), QMP_STRING_MAX);

        /* the "return" value itself is not a string field: only the line bound applies */
}

static void test_line_too_long(void **state) {
        _cleanup_free_ char *line = NULL, *error = NULL;
        QmpMessage m = {};
        size_t len = QMP_LINE_MAX + 1;

        line = malloc(len);
        assert_non_null(line);
        memset(line, ' ', len);
        memcpy(line, "{\"return\": {}}", 14);
        assert_int_equal(qmp_message_parse(line, len, &m, &error), -E2BIG);
        assert_string_equal(error, "QMP line of 4194305 bytes, more than 4194304");

        /* exactly the limit is fine */
        assert_int_equal(qmp_message_parse(line, len - 1, &m, NULL), 0);
        qmp_message_done(&m);
}

static void test_not_nul_terminated(void **state) {
        static const char text[] = "{\"return\": {}, \"id\": 12}GARBAGE";
        _cleanup_(qmp_message_done) QmpMessage m = {};

        assert_int_equal(qmp_message_parse(text, 24, &m, NULL), 0);
        assert_int_equal(m.id, 12);
        assert_int_equal(qmp_message_parse(NULL, 0, &m, NULL), -EINVAL);
        assert_int_equal(qmp_message_parse(NULL, 3, &m, NULL), -EINVAL);
        assert_int_equal(qmp_message_parse("{}", 2, NULL, NULL), -EINVAL);
}

static void test_type_strings(void **state) {
        assert_string_equal(qmp_message_type_to_string(QMP_MESSAGE_GREETING), "greeting");
        assert_string_equal(qmp_message_type_to_string(QMP_MESSAGE_RETURN), "return");
        assert_string_equal(qmp_message_type_to_string(QMP_MESSAGE_ERROR), "error");
        assert_string_equal(qmp_message_type_to_string(QMP_MESSAGE_EVENT), "event");
        assert_null(qmp_message_type_to_string(_QMP_MESSAGE_TYPE_MAX));
        assert_null(qmp_message_type_to_string(_QMP_MESSAGE_TYPE_INVALID));
        qmp_message_done(NULL);
}

/* ---- qmp_command_build ---- */

static void test_command_build(void **state) {
        static const struct {
                const char *execute;
                const char *args[7];
                bool has_args;
                uint64_t id;
                const char *want;
        } cases[] = {
                        {"qmp_capabilities", {NULL}, false, 1,
                                        "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n"},
                        {"query-rx-filter", {NULL}, true, 2,
                                        "{\"execute\":\"query-rx-filter\",\"arguments\":{},\"id\":2}\r\n"},
                        {"query-rx-filter", {"name", "net0", NULL}, true, 5,
                                        "{\"execute\":\"query-rx-filter\",\"arguments\":{\"name\":\"net0\"},"
                                        "\"id\":5}\r\n"},
                        {"x", {"a", "1", "b", "/p/q", NULL}, true, UINT64_MAX,
                                        "{\"execute\":\"x\",\"arguments\":{\"a\":\"1\",\"b\":\"/p/"
                                        "q\"},\"id\":18446744073709551615}\r\n"},
                        /* quoting is json-c's: nothing a value holds can break the line */
                        {"x", {"k\"", "v\"\\\r\n\x01", NULL}, true, 7,
                                        "{\"execute\":\"x\",\"arguments\":{\"k\\\"\":"
                                        "\"v\\\"\\\\\\r\\n\\u0001\"},\"id\":7}\r\n"},
                        /* id 0: no "id" at all, for commands passed through libvirt */
                        {"query-rx-filter", {"name", "net1", NULL}, true, 0,
                                        "{\"execute\":\"query-rx-filter\",\"arguments\":{\"name\":"
                                        "\"net1\"}}\r\n"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *line = NULL;

                assert_int_equal(
                                qmp_command_build(cases[i].execute, cases[i].has_args ? cases[i].args : NULL,
                                                cases[i].id, &line),
                                0);
                assert_string_equal(line, cases[i].want);
                /* exactly one newline, at the end */
                assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
        }
}

static void test_command_build_invalid(void **state) {
        const char *odd[] = {"name", NULL, NULL};
        char *line = (char *) "untouched";

        assert_int_equal(qmp_command_build("query-rx-filter", odd, 1, &line), -EINVAL);
        assert_int_equal(qmp_command_build("", NULL, 1, &line), -EINVAL);
        assert_int_equal(qmp_command_build(NULL, NULL, 1, &line), -EINVAL);
        assert_int_equal(qmp_command_build("x", NULL, 1, NULL), -EINVAL);
        assert_string_equal(line, "untouched");
}

static void test_command_round_trip(void **state) {
        const char *args[] = {"name", "net0", NULL};
        _cleanup_free_ char *line = NULL;
        QmpReader r;
        const char *l;
        size_t len;

        /* what we send is one line the reader splits back exactly */
        assert_int_equal(qmp_command_build("query-rx-filter", args, 42, &line), 0);
        qmp_reader_init(&r, 0);
        feed(&r, line);
        assert_int_equal(qmp_reader_next_line(&r, &l, &len), 1);
        assert_int_equal(len, strlen(line) - 2);
        qmp_reader_done(&r);
}

static void parse_str(const char *s, QmpMessage *m) {
        assert_int_equal(qmp_message_parse(s, strlen(s), m, NULL), 0);
}

static void test_return_string(void **state) {
        static const char hmp[] = "{\"return\": \"net0: index=0,type=nic\\r\\n \\\\ hn0: "
                                  "index=0,type=tap,fd=11\\r\\n\"}";
        QmpMessage m = {};
        char *text = NULL;

        assert_int_equal(qmp_message_parse(hmp, strlen(hmp), &m, NULL), 0);
        assert_int_equal(qmp_message_return_string(&m, &text), 0);
        assert_string_equal(text, "net0: index=0,type=nic\r\n \\ hn0: index=0,type=tap,fd=11\r\n");
        free(text);
        qmp_message_done(&m);

        /* Not a string: an object, an error, an event. */
        parse_str("{\"return\": {}}", &m);
        assert_int_equal(qmp_message_return_string(&m, &text), -EINVAL);
        qmp_message_done(&m);
        parse_str("{\"error\": {\"class\": \"X\", \"desc\": \"y\"}}", &m);
        assert_int_equal(qmp_message_return_string(&m, &text), -EINVAL);
        qmp_message_done(&m);
        assert_int_equal(qmp_message_return_string(NULL, &text), -EINVAL);
}

/* query-status's reply, as QEMU 7.2 sends it on a migration's target and source. */
static void test_return_member_string(void **state) {
        static const char *const bad[] = {
                        "{\"return\": {\"status\": 5}}",
                        "{\"return\": {\"running\": false}}",
                        "{\"return\": [\"status\"]}",
                        "{\"return\": \"inmigrate\"}",
                        "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"nope\"}}",
                        "{\"event\": \"STOP\"}",
        };
        QmpMessage m = {};
        char *text = NULL;

        parse_str("{\"return\": {\"status\": \"inmigrate\", \"singlestep\": false, \"running\": false}}",
                        &m);
        assert_int_equal(qmp_message_return_member_string(&m, "status", &text), 0);
        assert_string_equal(text, "inmigrate");
        free(text);
        assert_int_equal(qmp_message_return_member_string(&m, "singlestep", &text), -EINVAL);
        assert_int_equal(qmp_message_return_member_string(&m, "missing", &text), -EINVAL);
        qmp_message_done(&m);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                parse_str(bad[i], &m);
                assert_int_equal(qmp_message_return_member_string(&m, "status", &text), -EINVAL);
                qmp_message_done(&m);
        }
        assert_int_equal(qmp_message_return_member_string(NULL, "status", &text), -EINVAL);
}

/* query-cpus-fast as QEMU 7.2 (-accel tcg -smp 2) sent it. */
static void test_return_vcpus(void **state) {
        static const char real[] =
                        "{\"return\": [{\"thread-id\": 7661, \"props\": {\"core-id\": 0, \"thread-id\": 0, "
                        "\"socket-id\": 0}, \"qom-path\": \"/machine/unattached/device[0]\", \"cpu-index\": "
                        "0, "
                        "\"target\": \"x86_64\"}, {\"thread-id\": 7662, \"props\": {\"core-id\": 1, "
                        "\"thread-id\": 0, \"socket-id\": 0}, \"qom-path\": "
                        "\"/machine/unattached/device[2]\", "
                        "\"cpu-index\": 1, \"target\": \"x86_64\"}], \"id\": 7}";
        static const struct {
                const char *json;
                int error;
                const char *message;
        } bad[] = {
                        {"{\"return\": {}}", -EINVAL, "not a JSON array"},
                        {"{\"return\": [1]}", -EINVAL, "vCPU #0 is not an object"},
                        {"{\"return\": [{\"cpu-index\": 0}]}", -EINVAL, "no integer \"thread-id\""},
                        {"{\"return\": [{\"cpu-index\": 0, \"thread-id\": \"7\"}]}", -EINVAL, "thread-id"},
                        {"{\"return\": [{\"cpu-index\": -1, \"thread-id\": 7}]}", -EINVAL, "out of range"},
                        {"{\"return\": [{\"cpu-index\": 0, \"thread-id\": 0}]}", -EINVAL, "out of range"},
                        {"{\"return\": [{\"cpu-index\": 0, \"thread-id\": 2147483647}]}", -EINVAL,
                                        "out of range"},
                        {"{\"return\": [{\"cpu-index\": 0, \"thread-id\": 99999999999999999999}]}", -EINVAL,
                                        NULL},
                        {"{\"return\": [{\"cpu-index\": 1, \"thread-id\": 7}, {\"cpu-index\": 1, "
                         "\"thread-id\": 8}]}",
                                        -EINVAL, "given twice"},
        };
        _cleanup_free_ QmpVcpu *v = NULL;
        QmpMessage m = {};
        size_t n = 99;

        parse_str(real, &m);
        assert_int_equal(qmp_message_return_vcpus(&m, &v, &n, NULL), 0);
        assert_int_equal(n, 2);
        assert_int_equal(v[0].cpu_index, 0);
        assert_int_equal(v[0].thread_id, 7661);
        assert_int_equal(v[1].cpu_index, 1);
        assert_int_equal(v[1].thread_id, 7662);
        qmp_message_done(&m);

        parse_str("{\"return\": []}", &m);
        free(v);
        v = NULL;
        assert_int_equal(qmp_message_return_vcpus(&m, &v, &n, NULL), 0);
        assert_int_equal(n, 0);
        assert_null(v);
        qmp_message_done(&m);

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *error = NULL;
                QmpVcpu *none = NULL;

                parse_str(bad[i].json, &m);
                assert_int_equal(qmp_message_return_vcpus(&m, &none, &n, &error), bad[i].error);
                assert_null(none);
                assert_non_null(error);
                if (bad[i].message && !strstr(error, bad[i].message))
                        fail_msg("%s: '%s' lacks '%s'", bad[i].json, error, bad[i].message);
                qmp_message_done(&m);
        }
        parse_str("{\"event\": \"STOP\"}", &m);
        assert_int_equal(qmp_message_return_vcpus(&m, &v, &n, NULL), -EINVAL);
        qmp_message_done(&m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_reader_one_line),
                        cmocka_unit_test(test_reader_split),
                        cmocka_unit_test(test_reader_many_lines),
                        cmocka_unit_test(test_reader_nul_bytes),
                        cmocka_unit_test(test_reader_limit_boundary),
                        cmocka_unit_test(test_reader_long_line_recovery),
                        cmocka_unit_test(test_reader_megabyte_line),
                        cmocka_unit_test(test_reader_many_small_lines),
                        cmocka_unit_test(test_reader_done_twice),
                        cmocka_unit_test(test_fixture_greeting),
                        cmocka_unit_test(test_fixture_event),
                        cmocka_unit_test(test_fixture_error),
                        cmocka_unit_test(test_fixture_event_without_name),
                        cmocka_unit_test(test_greeting),
                        cmocka_unit_test(test_returns),
                        cmocka_unit_test(test_errors_from_qemu),
                        cmocka_unit_test(test_events),
                        cmocka_unit_test(test_invalid),
                        cmocka_unit_test(test_depth_boundary),
                        cmocka_unit_test(test_deep_hostile),
                        cmocka_unit_test(test_long_strings),
                        cmocka_unit_test(test_line_too_long),
                        cmocka_unit_test(test_not_nul_terminated),
                        cmocka_unit_test(test_type_strings),
                        cmocka_unit_test(test_command_build),
                        cmocka_unit_test(test_command_build_invalid),
                        cmocka_unit_test(test_command_round_trip),
                        cmocka_unit_test(test_return_string),
                        cmocka_unit_test(test_return_member_string),
                        cmocka_unit_test(test_return_vcpus),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
