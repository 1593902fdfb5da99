/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vnicctl's renderers on captured Describe() documents: every data/NAME.json is rendered by
 * 'list' and 'show' and compared byte for byte with data/NAME.list.txt and data/NAME.show.txt.
 * VNIC_TEST_REGENERATE=1 rewrites the golden files instead (then review them with git diff). */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "describe-reader.h"
#include "log.h"
#include "render.h"
#include "table.h"
#include "verbs.h"

static const char *data_dir;

static bool regenerate(void) {
        const char *e = getenv("VNIC_TEST_REGENERATE");

        return e && streq(e, "1");
}

static char *read_file(const char *path, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, len = 0;
        FILE *f = fopen(path, "re");

        if (!f)
                return NULL;
        for (;;) {
                char *p;
                size_t k;

                if (len + 4096 + 1 > size) {
                        size = (len + 4096 + 1) * 2;
                        p = realloc(buf, size);
                        assert_non_null(p);
                        buf = p;
                }
                k = fread(buf + len, 1, size - len - 1, f);
                len += k;
                if (k == 0)
                        break;
        }
        assert_false(ferror(f));
        (void) fclose(f);
        buf[len] = 0;
        if (ret_len)
                *ret_len = len;
        return TAKE_PTR(buf);
}

static json_object *load(const char *name) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        json_object *doc = NULL;
        const char *why = NULL;
        size_t len;

        assert_true(asprintf(&path, "%s/%s", data_dir, name) > 0);
        text = read_file(path, &len);
        if (!text)
                fail_msg("cannot read %s: %s", path, strerror(errno));
        if (describe_parse(text, len, &doc, &why) < 0)
                fail_msg("%s: %s", path, why);
        return doc;
}

/* Compares 'got' with the golden file 'name' in the data directory, or rewrites it. */
static void check_golden(const char *name, const char *got) {
        _cleanup_free_ char *path = NULL, *want = NULL;
        size_t i, start = 0;
        unsigned line = 1;

        assert_true(asprintf(&path, "%s/%s", data_dir, name) > 0);

        if (regenerate()) {
                FILE *f = fopen(path, "we");

                assert_non_null(f);
                assert_true(fputs(got, f) >= 0);
                assert_int_equal(fclose(f), 0);
                return;
        }

        want = read_file(path, NULL);
        if (!want)
                fail_msg("%s: %s (run with VNIC_TEST_REGENERATE=1 to create it)", path, strerror(errno));
        if (streq(want, got))
                return;

        /* Point at the first differing line, then show the whole output for review. */
        for (i = 0; got[i] && got[i] == want[i]; i++)
                if (got[i] == '\n') {
                        line++;
                        start = i + 1;
                }
        print_error("%s differs at line %u:\n-%.*s\n+%.*s\nfull output:\n%s", name, line,
                        (int) strcspn(want + start, "\n"), want + start, (int) strcspn(got + start, "\n"),
                        got + start, got);
        fail_msg("%s does not match (VNIC_TEST_REGENERATE=1 rewrites it)", name);
}

typedef int (*RenderFunc)(json_object *doc, FILE *f, const void *userdata);

static char *render_to_string(json_object *doc, RenderFunc func, const void *userdata) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        assert_int_equal(func(doc, f, userdata), 0);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static int do_list(json_object *doc, FILE *f, const void *userdata) {
        return render_list(doc, *(const bool *) userdata, f);
}

typedef struct Selection {
        const char *guest, *nic;
} Selection;

static int do_show(json_object *doc, FILE *f, const void *userdata) {
        const Selection *s = userdata;

        return render_show(doc, s ? s->guest : NULL, s ? s->nic : NULL, f);
}

static int do_explain(json_object *doc, FILE *f, const void *userdata) {
        const Selection *s = userdata;
        json_object *nic = NULL, *guest = NULL;
        int r;

        assert_int_equal(describe_select(doc, s->guest, s->nic, &nic), 0);
        assert_int_equal(describe_select(doc, s->guest, NULL, &guest), 0);
        r = render_explain(nic, f);
        return r < 0 ? r : render_explain_placement(doc, guest, f); /* as vnicctl-explain.c */
}

static int json_file_filter(const struct dirent *de) {
        size_t l = strlen(de->d_name);

        return l > 5 && streq(de->d_name + l - 5, ".json");
}

/* Runs 'check' on every data/NAME.json, in name order. */
static void for_each_document(void (*check)(const char *base, json_object *doc)) {
        struct dirent **names;
        int n;

        n = scandir(data_dir, &names, json_file_filter, alphasort);
        assert_true(n > 0);
        for (int i = 0; i < n; i++) {
                _cleanup_(json_object_putp) json_object *doc = load(names[i]->d_name);
                _cleanup_free_ char *base = strndup(names[i]->d_name, strlen(names[i]->d_name) - 5);

                assert_non_null(base);
                check(base, doc);
                free(names[i]);
        }
        free(names);
}

static void check_list(const char *base, json_object *doc) {
        _cleanup_free_ char *out = NULL, *golden = NULL;
        bool legend = true;

        out = render_to_string(doc, do_list, &legend);
        assert_true(asprintf(&golden, "%s.list.txt", base) > 0);
        check_golden(golden, out);
}

static void check_show(const char *base, json_object *doc) {
        _cleanup_free_ char *out = NULL, *golden = NULL;

        out = render_to_string(doc, do_show, NULL);
        assert_true(asprintf(&golden, "%s.show.txt", base) > 0);
        check_golden(golden, out);
}

static void test_golden_list(void **state) {
        for_each_document(check_list);
}

static void test_golden_show(void **state) {
        for_each_document(check_show);
}

/* 'show GUEST' and 'show GUEST/NIC' print only the selected blocks. */
static void test_golden_show_selected(void **state) {
        static const struct {
                const char *document;
                Selection selection;
                const char *golden;
        } cases[] = {
                        {"trusted-in-sync.json", {"demo", "net1"}, "trusted-in-sync.show-demo-net1.txt"},
                        {"guest-disconnected.json", {"staging", NULL},
                                        "guest-disconnected.show-staging.txt"},
                        {"untrusted-refusals.json", {"web", NULL}, "untrusted-refusals.show.txt"},
                        /* a libvirt NIC by the MAC its domain XML configures, as virsh domif* take it */
                        {"libvirt-domain.json", {"vnic-follow", "52:54:00:12:34:51"},
                                        "libvirt-domain.show-net1.txt"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(json_object_putp) json_object *doc = load(cases[i].document);
                _cleanup_free_ char *out = render_to_string(doc, do_show, &cases[i].selection);

                check_golden(cases[i].golden, out);
        }
}

/* 'explain GUEST/NIC': settings, inputs, decisions with their rules, uplinks, refusals. */
static void test_golden_explain(void **state) {
        static const struct {
                const char *document;
                Selection selection;
                const char *golden;
        } cases[] = {
                        {"bridge-port.json", {"web", "net1"}, "bridge-port.explain-web-net1.txt"},
                        {"multicast-64.json", {"stream", "net0"}, "multicast-64.explain-stream-net0.txt"},
                        {"tap-queues.json", {"vm", "net0"}, "tap-queues.explain-vm-net0.txt"},
                        {"placement.json", {"web", "net1"}, "placement.explain-web-net1.txt"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(json_object_putp) json_object *doc = load(cases[i].document);
                _cleanup_free_ char *out = render_to_string(doc, do_explain, &cases[i].selection);

                check_golden(cases[i].golden, out);
        }
        assert_int_equal(render_explain(NULL, stdout), -EBADMSG);
}

static void test_list_no_legend(void **state) {
        _cleanup_(json_object_putp) json_object *doc = load("trusted-in-sync.json");
        _cleanup_free_ char *out = NULL;
        bool legend = false;

        out = render_to_string(doc, do_list, &legend);
        assert_string_equal(out, "demo  net0  -  macvtap0  macvtap  -  yes  configured  yes  -\n"
                                 "demo  net1  -  -         -        -  no   unmanaged   -    -\n");
}

/* --json prints the daemon's objects unchanged: same members, same order, same numbers. */
static void test_json_unchanged(void **state) {
        _cleanup_(json_object_putp) json_object *doc = load("untrusted-refusals.json");
        _cleanup_free_ char *path = NULL, *text = NULL, *out = NULL, *pretty = NULL;
        json_object *guest, *nic = NULL, *again = NULL;
        size_t size = 0;
        FILE *f;

        /* The file is one compact line, as vnicd sends it: short output must be identical. */
        assert_true(asprintf(&path, "%s/untrusted-refusals.json", data_dir) > 0);
        text = read_file(path, NULL);
        assert_non_null(text);
        f = open_memstream(&out, &size);
        assert_non_null(f);
        assert_int_equal(render_json(doc, JSON_FORMAT_SHORT, f), 0);
        assert_int_equal(fclose(f), 0);
        assert_string_equal(out, text);

        f = open_memstream(&pretty, &size);
        assert_non_null(f);
        assert_int_equal(render_json(doc, JSON_FORMAT_PRETTY, f), 0);
        assert_int_equal(fclose(f), 0);
        assert_non_null(strstr(pretty, "\n  \"guests\": [\n"));
        assert_non_null(strstr(pretty, "\"qmp_socket\": \"/run/qemu/web.qmp\""));
        assert_int_equal(describe_parse(pretty, strlen(pretty), &again, NULL), 0);
        assert_true(json_object_equal(doc, again));
        json_object_put(again);

        assert_int_equal(describe_select(doc, "web", "net0", &nic), 0);
        guest = describe_array_get(describe_array(doc, "guests"), 0);
        assert_ptr_equal(nic, describe_array_get(describe_array(guest, "nics"), 0));
        assert_int_equal(render_json(doc, JSON_FORMAT_OFF, stdout), -EINVAL);
}

static void test_select(void **state) {
        _cleanup_(json_object_putp) json_object *doc = load("guest-disconnected.json");
        _cleanup_free_ char *known = NULL;
        json_object *o = NULL;

        assert_int_equal(describe_select(doc, NULL, NULL, &o), 0);
        assert_ptr_equal(o, doc);
        assert_int_equal(describe_select(doc, "staging", NULL, &o), 0);
        assert_string_equal(describe_str(o, "name"), "staging");
        assert_int_equal(describe_select(doc, "build", "net0", &o), 0);
        assert_string_equal(describe_str(o, "host_device"), "macvtap7");
        o = NULL;
        assert_int_equal(describe_select(doc, "build", "net9", &o), -ENXIO);
        assert_int_equal(describe_select(doc, "staging", "net0", &o), -ENXIO);
        assert_int_equal(describe_select(doc, "nope", NULL, &o), -ENXIO);
        assert_null(o);

        assert_int_equal(describe_known(doc, &known), 0);
        assert_string_equal(known, "build/net0, staging");
}

static void test_known(void **state) {
        _cleanup_(json_object_putp) json_object *doc = load("trusted-in-sync.json");
        _cleanup_(json_object_putp) json_object *empty = load("no-guests.json");
        _cleanup_(json_object_putp) json_object *nulls = load("nulls.json");
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        assert_int_equal(describe_known(doc, &a), 0);
        assert_string_equal(a, "demo/net0, demo/net1");
        assert_int_equal(describe_known(empty, &b), 0);
        assert_string_equal(b, "none");
        assert_int_equal(describe_known(nulls, &c), 0);
        assert_string_equal(c, "odd/net1");
}

static void test_parse_selector(void **state) {
        static const struct {
                const char *in;
                int r;
                const char *guest, *nic;
        } cases[] = {
                        {"demo", 0, "demo", NULL},
                        {"demo/net0", 0, "demo", "net0"},
                        {"a.b-c_d/net-0", 0, "a.b-c_d", "net-0"},
                        {"", -EINVAL, NULL, NULL},
                        {"/", -EINVAL, NULL, NULL},
                        {"/net0", -EINVAL, NULL, NULL},
                        {"demo/", -EINVAL, NULL, NULL},
                        {"demo/net0/x", -EINVAL, NULL, NULL},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *guest = NULL, *nic = NULL;

                assert_int_equal(describe_parse_selector(cases[i].in, &guest, &nic), cases[i].r);
                if (cases[i].r < 0)
                        continue;
                assert_string_equal(guest, cases[i].guest);
                if (cases[i].nic)
                        assert_string_equal(nic, cases[i].nic);
                else
                        assert_null(nic);
        }
}

static void test_parse(void **state) {
        static const struct {
                const char *text;
                int r;
        } cases[] = {
                        {"{}", 0},
                        {" {\"version\": 1}\n", 0},
                        {"", -EBADMSG},
                        {"[]", -EBADMSG},
                        {"\"x\"", -EBADMSG},
                        {"{\"a\": ", -EBADMSG},
                        {"{} {}", -EBADMSG},
                        {"{} x", -EBADMSG},
                        {"{\"a\": tru}", -EBADMSG},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                json_object *o = NULL;
                const char *why = NULL;
                int r = describe_parse(cases[i].text, strlen(cases[i].text), &o, &why);

                if (r != cases[i].r)
                        fail_msg("'%s': got %d, expected %d", cases[i].text, r, cases[i].r);
                if (r < 0) {
                        assert_non_null(why);
                        assert_null(o);
                } else
                        json_object_put(o);
        }
}

static void test_getters(void **state) {
        _cleanup_(json_object_putp) json_object *o =
                        json_tokener_parse("{\"s\": \"x\", \"b\": false, \"i\": 7, \"n\": null, \"d\": 1.5, "
                                           "\"a\": [1], \"o\": {}}");
        int64_t v = 42;

        assert_non_null(o);
        assert_string_equal(describe_str(o, "s"), "x");
        assert_null(describe_str(o, "n"));
        assert_null(describe_str(o, "i"));
        assert_null(describe_str(o, "missing"));
        assert_null(describe_str(NULL, "s"));
        assert_int_equal(describe_bool(o, "b"), 0);
        assert_int_equal(describe_bool(o, "s"), -ENODATA);
        assert_int_equal(describe_int(o, "i", &v), 0);
        assert_int_equal(v, 7);
        assert_int_equal(describe_int(o, "d", &v), -ENODATA);
        assert_int_equal(describe_int(o, "n", &v), -ENODATA);
        assert_int_equal(v, 7);
        assert_int_equal(describe_array_length(describe_array(o, "a")), 1);
        assert_int_equal(describe_array_length(describe_array(o, "o")), 0);
        assert_null(describe_array_get(describe_array(o, "a"), 1));
        assert_non_null(describe_object(o, "o"));
        assert_null(describe_object(o, "a"));
}

static void test_render_not_object(void **state) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();

        assert_int_equal(render_list(a, true, stdout), -EBADMSG);
        assert_int_equal(render_show(a, NULL, NULL, stdout), -EBADMSG);
        assert_int_equal(render_list(NULL, true, stdout), -EBADMSG);
}

static void test_table(void **state) {
        static const char *const headers[] = {"A", "LONGER", "C"};
        _cleanup_(table_freep) Table *t = table_new(headers, ELEMENTSOF(headers));
        char *const two[] = {"one", "two lines"};
        _cleanup_free_ char *out = NULL;
        size_t size = 0;
        FILE *f;

        assert_non_null(t);
        assert_int_equal(table_add_cell(t, "x"), 0);
        assert_int_equal(table_add_cell_lines(t, two, 2), 0);
        assert_int_equal(table_add_cell(t, NULL), 0);
        assert_int_equal(table_add_cell(t, "esc\033[2J"), 0);
        assert_int_equal(table_add_cell(t, ""), 0);
        assert_int_equal(table_get_rows(t), 2);

        f = open_memstream(&out, &size);
        assert_non_null(f);
        assert_int_equal(table_print(t, true, 2, f), 0);
        assert_int_equal(fclose(f), 0);
        assert_string_equal(out, "  A           LONGER     C\n"
                                 "  x           one        -\n"
                                 "              two lines\n"
                                 "  esc\\x1b[2J\n");
        assert_int_equal(escaped_width("h\xc3\xa9llo"), 5);
        assert_int_equal(escaped_width("\t"), 4);
}

static int dummy_verb(int argc, char *argv[], void *userdata) {
        *(int *) userdata = argc;
        return 0;
}

static void test_dispatch_verb(void **state) {
        static const Verb verbs[] = {
                        {"list", VERB_ANY, 1, VERB_DEFAULT, dummy_verb, NULL, "list"},
                        {"show", VERB_ANY, 2, 0, dummy_verb, "[X]", "show"},
                        {"need", 2, 2, 0, dummy_verb, "X", "need"},
        };
        char *none[] = {NULL};
        char *list_x[] = {(char *) "list", (char *) "x", NULL};
        char *show_x[] = {(char *) "show", (char *) "x", NULL};
        char *show_xy[] = {(char *) "show", (char *) "x", (char *) "y", NULL};
        char *need[] = {(char *) "need", NULL};
        char *bogus[] = {(char *) "bogus", NULL};
        int seen = -1;

        log_set_max_level(-1); /* usage errors are expected here; keep the test log clean */
        assert_int_equal(dispatch_verb(0, none, verbs, ELEMENTSOF(verbs), &seen), 0);
        assert_int_equal(seen, 1);
        assert_int_equal(dispatch_verb(2, show_x, verbs, ELEMENTSOF(verbs), &seen), 0);
        assert_int_equal(seen, 2);
        seen = -1;
        assert_int_equal(dispatch_verb(2, list_x, verbs, ELEMENTSOF(verbs), &seen), EXIT_USAGE);
        assert_int_equal(dispatch_verb(3, show_xy, verbs, ELEMENTSOF(verbs), &seen), EXIT_USAGE);
        assert_int_equal(dispatch_verb(1, need, verbs, ELEMENTSOF(verbs), &seen), EXIT_USAGE);
        assert_int_equal(dispatch_verb(1, bogus, verbs, ELEMENTSOF(verbs), &seen), EXIT_USAGE);
        assert_int_equal(seen, -1);
        log_set_max_level(LOG_INFO);
}

static void test_json_format(void **state) {
        assert_int_equal(json_format_from_string("short"), JSON_FORMAT_SHORT);
        assert_int_equal(json_format_from_string("pretty"), JSON_FORMAT_PRETTY);
        assert_int_equal(json_format_from_string("off"), JSON_FORMAT_OFF);
        assert_int_equal(json_format_from_string("xml"), -EINVAL);
        assert_int_equal(json_format_from_string(""), -EINVAL);
}

int main(int argc, char *argv[]) {
        static const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_golden_list),
                        cmocka_unit_test(test_golden_show),
                        cmocka_unit_test(test_golden_show_selected),
                        cmocka_unit_test(test_golden_explain),
                        cmocka_unit_test(test_list_no_legend),
                        cmocka_unit_test(test_json_unchanged),
                        cmocka_unit_test(test_select),
                        cmocka_unit_test(test_known),
                        cmocka_unit_test(test_parse_selector),
                        cmocka_unit_test(test_parse),
                        cmocka_unit_test(test_getters),
                        cmocka_unit_test(test_render_not_object),
                        cmocka_unit_test(test_table),
                        cmocka_unit_test(test_dispatch_verb),
                        cmocka_unit_test(test_json_format),
        };

        if (argc != 2) {
                (void) fprintf(stderr, "usage: %s DATA-DIRECTORY\n", argv[0]);
                return EXIT_FAILURE;
        }
        data_dir = argv[1];

        return cmocka_run_group_tests(tests, NULL, NULL);
}
