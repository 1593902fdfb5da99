/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "describe-reader.h"
#include "render.h"
#include "table.h"

/* Keys of 'show' are right-aligned in this many columns, values start two columns later. */
#define SHOW_KEY_WIDTH 13
/* The FIELD table of 'show' is indented by this much. */
#define SHOW_TABLE_INDENT 4
/* MAC lists in table cells wrap at this width: two "xx:xx:xx:xx:xx:xx" per line. */
#define SHOW_LIST_WIDTH 35

static const char *const json_format_table[_JSON_FORMAT_MAX] = {
                [JSON_FORMAT_OFF] = "off",
                [JSON_FORMAT_SHORT] = "short",
                [JSON_FORMAT_PRETTY] = "pretty",
};

JsonFormat json_format_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(json_format_table); i++)
                if (streq_ptr(json_format_table[i], s))
                        return (JsonFormat) i;
        return _JSON_FORMAT_INVALID;
}

int render_json(json_object *o, JsonFormat format, FILE *f) {
        /* json-c escapes '/' by default; QOM paths and socket paths read better without. */
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

        switch (format) {
        case JSON_FORMAT_SHORT:
                flags |= JSON_C_TO_STRING_PLAIN;
                break;
        case JSON_FORMAT_PRETTY:
                flags |= JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
                break;
        default:
                return -EINVAL;
        }

        (void) fputs(json_object_to_json_string_ext(o, flags), f);
        (void) fputc('\n', f);
        return ferror(f) ? -EIO : 0;
}

static const char *bool_to_string(int b) {
        return b < 0 ? "-" : yes_no(b);
}

/* Lines of a multi-line table cell. */
typedef struct Lines {
        char **v;
        size_t n;
} Lines;

static void lines_done(Lines *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        *l = (Lines){};
}

static int lines_addf(Lines *l, const char *format, ...) _printf_(2, 3);
static int lines_addf(Lines *l, const char *format, ...) {
        char **v, *s;
        va_list ap;
        int k;

        v = reallocarray(l->v, l->n + 1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        l->v = v;

        va_start(ap, format);
        k = vasprintf(&s, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;

        l->v[l->n++] = s;
        return 0;
}

static int compare_words(const void *a, const void *b) {
        return strcasecmp(*(const char *const *) a, *(const char *const *) b);
}

/* Appends the elements of JSON array 'a' sorted, as space-separated words, starting a new line
 * before a word that would make the line longer than 'width'. Sorted because QEMU lists a guest's
 * tables newest first and the kernel in its own order: only sorted lists can be compared by eye
 * side by side. */
static int lines_add_wrapped(Lines *l, json_object *a, size_t width) {
        _cleanup_free_ const char **words = NULL;
        _cleanup_free_ char *line = NULL;
        size_t n = describe_array_length(a), len = 0;
        int r;

        if (n == 0)
                return 0;
        words = calloc(n, sizeof(char *));
        if (!words)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = describe_array_get(a, i);

                words[i] = e ? json_object_get_string(e) : "-";
        }
        qsort(words, n, sizeof(char *), compare_words);

        for (size_t i = 0; i < n; i++) {
                size_t wl = strlen(words[i]);
                char *p;

                if (line && len + 1 + wl > width) {
                        r = lines_addf(l, "%s", line);
                        if (r < 0)
                                return r;
                        free(line);
                        line = NULL;
                        len = 0;
                }

                p = realloc(line, len + 1 + wl + 1);
                if (!p)
                        return -ENOMEM;
                if (len > 0)
                        p[len++] = ' ';
                memcpy(p + len, words[i], wl + 1);
                len += wl;
                line = p;
        }

        return lines_addf(l, "%s", line);
}

static int table_add_lines(Table *t, Lines *l) {
        return table_add_cell_lines(t, l->v, l->n);
}

/* The text the ERROR column shows: the NIC's own error first, then what is wrong with its guest. */
static char *nic_error(json_object *g, json_object *n) {
        const char *e;
        char *s;

        e = describe_str(n, "last_error");
        if (e)
                return strdup(e);
        e = describe_str(g, "last_error");
        if (e)
                return asprintf(&s, "guest: %s", e) < 0 ? NULL : s;
        if (describe_bool(g, "connected") == 0)
                return strdup("guest not connected");
        return strdup("-");
}

/* One row of 'list'; 'nic' is NULL for the row of a guest without NICs. */
static int list_add_row(Table *t, json_object *g, json_object *nic) {
        _cleanup_free_ char *error = NULL;
        const char *cells[] = {
                        describe_str(g, "name"),
                        describe_str(nic, "name"),
                        describe_str(describe_object(nic, "interface"), "type"),
                        describe_str(nic, "host_device"),
                        describe_str(nic, "kind"),
                        describe_str(nic, "owner"),
                        bool_to_string(describe_bool(nic, "trusted")),
                        describe_str(nic, "state"),
                        bool_to_string(describe_bool(nic, "in_sync")),
        };
        int r;

        error = nic_error(g, nic);
        if (!error)
                return -ENOMEM;
        for (size_t k = 0; k < ELEMENTSOF(cells); k++) {
                r = table_add_cell(t, cells[k]);
                if (r < 0)
                        return r;
        }
        return table_add_cell(t, error);
}

int render_list(json_object *doc, bool legend, FILE *f) {
        static const char *const headers[] = {"GUEST", "NIC", "TYPE", "HOST-DEV", "KIND", "OWNER", "TRUST",
                        "STATE", "SYNC", "ERROR"};
        _cleanup_(table_freep) Table *t = NULL;
        json_object *guests;
        size_t n_nics = 0;
        int r;

        if (!json_object_is_type(doc, json_type_object))
                return -EBADMSG;
        guests = describe_array(doc, "guests");

        t = table_new(headers, ELEMENTSOF(headers));
        if (!t)
                return -ENOMEM;

        for (size_t i = 0; i < describe_array_length(guests); i++) {
                json_object *g = describe_array_get_object(guests, i);
                json_object *nics = describe_array(g, "nics");
                size_t shown = 0;

                if (!g)
                        continue;
                for (size_t j = 0; j < describe_array_length(nics); j++) {
                        json_object *nic = describe_array_get_object(nics, j);

                        if (!nic)
                                continue;
                        r = list_add_row(t, g, nic);
                        if (r < 0)
                                return r;
                        shown++;
                }
                /* A guest without NICs still gets a row: "why is my guest not listed?" is a
                 * question vnicctl must never leave open. */
                if (shown == 0) {
                        r = list_add_row(t, g, NULL);
                        if (r < 0)
                                return r;
                }
                n_nics += shown;
        }

        r = table_print(t, legend, 0, f);
        if (r < 0)
                return r;
        if (legend)
                (void) fprintf(f, "\n%zu NIC%s listed.\n", n_nics, n_nics == 1 ? "" : "s");
        /* Configuration that does not match a guest is not any one NIC's error: said below. */
        for (size_t i = 0; i < describe_array_length(guests); i++) {
                json_object *g = describe_array_get_object(guests, i);
                const char *w = describe_str(g, "warning");

                if (w)
                        (void) fprintf(f, "warning: %s: %s\n", strempty(describe_str(g, "name")), w);
        }
        return ferror(f) ? -EIO : 0;
}

/* Prints "   key: value" with 'value' escaped; NULL or empty prints "-". */
static void print_field(FILE *f, const char *key, const char *value) {
        (void) fprintf(f, "%*s: ", SHOW_KEY_WIDTH, key);
        fputs_escaped(value && *value ? value : "-", f);
        (void) fputc('\n', f);
}

/* Collects "a, b (c, d)" style values; 'buf' is valid after value_end(). */
typedef struct Value {
        char *buf;
        size_t size;
        FILE *f;
        unsigned n_parts;
} Value;

static int value_begin(Value *v) {
        *v = (Value){};
        v->f = open_memstream(&v->buf, &v->size);
        return v->f ? 0 : -ENOMEM;
}

/* Adds ", part" (or "part" first). */
static void value_part(Value *v, const char *format, ...) _printf_(2, 3);
static void value_part(Value *v, const char *format, ...) {
        va_list ap;

        if (v->n_parts++ > 0)
                (void) fputs(", ", v->f);
        va_start(ap, format);
        (void) vfprintf(v->f, format, ap);
        va_end(ap);
}

static int value_end(Value *v) {
        int r = fclose(v->f);

        v->f = NULL;
        return r == 0 ? 0 : -ENOMEM;
}

static void value_done(Value *v) {
        if (v->f)
                (void) fclose(v->f);
        free(v->buf);
}

static int show_guest_fields(json_object *g, FILE *f) {
        _cleanup_(value_done) Value v = {};
        const char *name = describe_str(g, "name"), *source = describe_str(g, "source");
        const char *qmp = describe_str(g, "qmp_socket"), *qemu = describe_str(g, "qemu_version");
        int connected = describe_bool(g, "connected");
        int r;

        r = value_begin(&v);
        if (r < 0)
                return r;
        (void) fputs(name ?: "-", v.f);
        if (source || qmp)
                (void) fprintf(v.f, " via %s%s%s", source ?: "-", qmp ? " " : "", strempty(qmp));
        v.n_parts = 1;
        if (connected >= 0)
                value_part(&v, "%s", connected ? "connected" : "not connected");
        if (qemu)
                value_part(&v, "QEMU %s", qemu);
        r = value_end(&v);
        if (r < 0)
                return r;

        print_field(f, "Guest", v.buf);
        if (describe_str(g, "last_error"))
                print_field(f, "Guest error", describe_str(g, "last_error"));
        if (describe_str(g, "warning"))
                print_field(f, "Guest warning", describe_str(g, "warning"));
        if (describe_str(g, "migration"))
                print_field(f, "Migration", describe_str(g, "migration"));
        return 0;
}

static int show_host_fields(json_object *n, FILE *f) {
        _cleanup_(value_done) Value dev = {}, link = {};
        json_object *host = NULL, *uplink = NULL;
        const char *kind = describe_str(n, "kind");
        bool has_host = json_object_object_get_ex(n, "host", &host);
        int64_t i;
        int r;

        r = value_begin(&dev);
        if (r < 0)
                return r;
        if (kind)
                value_part(&dev, "%s", kind);
        if (describe_int(n, "ifindex", &i) >= 0)
                value_part(&dev, "ifindex %" PRIi64, i);
        r = value_end(&dev);
        if (r < 0)
                return r;

        r = value_begin(&link);
        if (r < 0)
                return r;
        if (has_host && !host)
                value_part(&link, "missing"); /* the daemon says null when the device is gone */
        if (describe_bool(host, "up") >= 0)
                value_part(&link, "%s", describe_bool(host, "up") ? "up" : "down");
        if (describe_int(host, "promiscuity", &i) >= 0)
                value_part(&link, "promiscuity %" PRIi64, i);
        r = value_end(&link);
        if (r < 0)
                return r;

        (void) fprintf(f, "%*s: ", SHOW_KEY_WIDTH, "Host device");
        fputs_escaped(describe_str(n, "host_device") ?: "-", f);
        if (dev.n_parts > 0) {
                (void) fputs(" (", f);
                fputs_escaped(dev.buf, f);
                (void) fputc(')', f);
        }
        (void) fputc('\n', f);
        if (describe_str(n, "host_device_origin"))
                print_field(f, "Known from", describe_str(n, "host_device_origin"));
        print_field(f, "Host link", link.buf);
        if (json_object_object_get_ex(n, "uplink", &uplink) &&
                        json_object_is_type(uplink, json_type_object)) {
                _cleanup_free_ char *u = NULL;
                int64_t p = 0;

                (void) describe_int(uplink, "promiscuity", &p);
                if (asprintf(&u, "%s, promiscuity %" PRId64 ": %s", describe_str(uplink, "name") ?: "-", p,
                                    describe_str(uplink, "reason") ?: "-") < 0)
                        return -ENOMEM;
                print_field(f, "Uplink", u);
        }
        return 0;
}

/* "3 groups" / "1 address" followed by the wrapped list; nothing when 'a' is NULL (absent). */
static int cell_list(Lines *l, json_object *a, const char *singular, const char *plural) {
        size_t n = describe_array_length(a);
        int r;

        if (!a)
                return 0;
        r = lines_addf(l, "%zu %s", n, n == 1 ? singular : plural);
        if (r < 0)
                return r;
        return lines_add_wrapped(l, a, SHOW_LIST_WIDTH);
}

/* The GUEST ASKED cell for 'field', from the "asked" object (the guest's rx filter as QEMU
 * reports it). Leaves 'l' empty when there is nothing to say. */
static int cell_asked(Lines *l, const char *field, json_object *asked) {
        const char *mode;
        size_t n;
        int b;

        if (!asked)
                return 0;

        if (streq(field, "mac")) {
                if (describe_str(asked, "mac"))
                        return lines_addf(l, "%s", describe_str(asked, "mac"));
        } else if (streq(field, "promiscuous")) {
                b = describe_bool(asked, "promiscuous");
                if (b >= 0)
                        return lines_addf(l, "%s", yes_no(b));
        } else if (streq(field, "allmulti")) {
                /* QEMU's "multicast" mode is the guest's ALLMULTI/NOMULTI; a full table makes
                 * QEMU accept every group too, which is the same request in effect. */
                mode = describe_str(asked, "multicast");
                if (describe_bool(asked, "multicast_overflow") > 0)
                        return lines_addf(l, "yes (table overflow)");
                if (mode)
                        return lines_addf(l, "%s", yes_no(streq(mode, "all")));
        } else if (streq(field, "multicast")) {
                mode = describe_str(asked, "multicast");
                if (describe_bool(asked, "multicast_overflow") > 0)
                        return lines_addf(l, "overflow");
                if (streq_ptr(mode, "none"))
                        return lines_addf(l, "none");
                return cell_list(l, describe_array(asked, "multicast_table"), "group", "groups");
        } else if (streq(field, "unicast")) {
                json_object *table = describe_array(asked, "unicast_table");

                mode = describe_str(asked, "unicast");
                n = describe_array_length(table);
                if (describe_bool(asked, "unicast_overflow") > 0)
                        return lines_addf(l, "%s, overflow", mode ?: "-");
                if (n == 0)
                        return mode ? lines_addf(l, "%s", mode) : 0;
                b = lines_addf(l, "%s, %zu address%s", mode ?: "-", n, n == 1 ? "" : "es");
                if (b < 0)
                        return b;
                return lines_add_wrapped(l, table, SHOW_LIST_WIDTH);
        } else if (streq(field, "vlans")) {
                const char *vlans = describe_str(asked, "vlans");

                mode = describe_str(asked, "vlan");
                /* "all": the guest does not filter VLANs (no VIRTIO_NET_F_CTRL_VLAN). */
                if (streq_ptr(mode, "all") || streq_ptr(mode, "none"))
                        return lines_addf(l, "%s", mode);
                if (vlans)
                        return lines_addf(l, "%s", *vlans ? vlans : "none");
        }
        return 0;
}

/* The HOST NOW cell for 'field', from the "host" object (the host device as the kernel reports
 * it). */
static int cell_host(Lines *l, const char *field, json_object *host) {
        int b;

        if (streq(field, "mac")) {
                if (describe_str(host, "mac"))
                        return lines_addf(l, "%s", describe_str(host, "mac"));
        } else if (streq(field, "promiscuous") || streq(field, "allmulti")) {
                b = describe_bool(host, field);
                if (b >= 0)
                        return lines_addf(l, "%s", yes_no(b));
        } else if (streq(field, "multicast"))
                return cell_list(l, describe_array(host, "multicast"), "group", "groups");
        else if (streq(field, "unicast"))
                return cell_list(l, describe_array(host, "unicast"), "address", "addresses");
        else if (streq(field, "vlans")) {
                if (describe_str(host, "vlans"))
                        return lines_addf(l, "%s", describe_str(host, "vlans"));
        }
        return 0;
}

static json_object *find_decision(json_object *decisions, const char *field) {
        for (size_t i = 0; i < describe_array_length(decisions); i++) {
                json_object *d = describe_array_get(decisions, i);

                if (streq_ptr(describe_str(d, "field"), field))
                        return d;
        }
        return NULL;
}

/* HOST NOW of a bridge port's row: its static FDB MACs, its VLANs. */
static int cell_bridge_host(Lines *l, const char *field, json_object *bridge) {
        if (streq(field, "fdb")) {
                json_object *fdb = describe_array(bridge, "fdb");

                for (size_t i = 0; i < describe_array_length(fdb); i++) {
                        json_object *e = describe_array_get_object(fdb, i);
                        int64_t vid = 0;
                        int r;

                        (void) describe_int(e, "vlan", &vid);
                        r = vid > 0 ? lines_addf(l, "%s vlan %" PRId64, describe_str(e, "mac") ?: "-", vid)
                                    : lines_addf(l, "%s", describe_str(e, "mac") ?: "-");
                        if (r < 0)
                                return r;
                }
                return l->n == 0 ? lines_addf(l, "none") : 0;
        }
        if (streq(field, "vlans")) {
                const char *v = describe_str(describe_object(bridge, "vlans"), "applied");

                return lines_addf(l, "%s", v && *v ? v : "none");
        }
        if (streq(field, "multicast")) {
                json_object *mdb = describe_array(bridge, "mdb");

                if (describe_bool(bridge, "mcast_snooping") <= 0)
                        return lines_addf(l, "no snooping");
                for (size_t i = 0; i < describe_array_length(mdb); i++) {
                        json_object *e = describe_array_get_object(mdb, i);
                        int64_t vid = 0;
                        int r;

                        (void) describe_int(e, "vlan", &vid);
                        r = vid > 0 ? lines_addf(l, "%s vlan %" PRId64, describe_str(e, "group") ?: "-", vid)
                                    : lines_addf(l, "%s", describe_str(e, "group") ?: "-");
                        if (r < 0)
                                return r;
                }
                return l->n == 0 ? lines_addf(l, "none") : 0;
        }
        return lines_addf(l, "-");
}

static int show_field_table(json_object *n, FILE *f) {
        static const char *const headers[] = {"FIELD", "GUEST ASKED", "HOST NOW", "ACTION", "REASON"};
        static const char *const macvtap_fields[] = {
                        "mac", "promiscuous", "allmulti", "multicast", "unicast", "vlans"};
        /* A bridge port: the guest's MAC lives in static FDB entries, not in the tap's address. */
        static const char *const bridge_fields[] = {"fdb", "vlans", "promiscuous", "multicast"};
        _cleanup_(table_freep) Table *t = NULL;
        json_object *asked = describe_object(n, "asked"), *host = describe_object(n, "host");
        json_object *decisions = describe_array(n, "decisions");
        json_object *bridge = describe_object(n, "bridge");
        const char *const *fields = bridge ? bridge_fields : macvtap_fields;
        size_t n_fields = bridge ? ELEMENTSOF(bridge_fields) : ELEMENTSOF(macvtap_fields);
        int r;

        t = table_new(headers, ELEMENTSOF(headers));
        if (!t)
                return -ENOMEM;

        for (size_t i = 0; i < n_fields; i++) {
                _cleanup_(lines_done) Lines a = {}, h = {};
                json_object *d = find_decision(decisions, fields[i]);

                r = cell_asked(&a, fields[i], asked);
                if (r < 0)
                        return r;
                /* Without a structured "asked" (an older or newer daemon), the decision's own
                 * words for what the guest asked are the next best thing. */
                if (a.n == 0 && describe_str(d, "asked")) {
                        r = lines_addf(&a, "%s", describe_str(d, "asked"));
                        if (r < 0)
                                return r;
                }
                r = bridge ? cell_bridge_host(&h, fields[i], bridge) : cell_host(&h, fields[i], host);
                if (r < 0)
                        return r;

                r = table_add_cell(t, fields[i]);
                if (r >= 0)
                        r = table_add_lines(t, &a);
                if (r >= 0)
                        r = table_add_lines(t, &h);
                if (r >= 0)
                        r = table_add_cell(t, describe_str(d, "action"));
                if (r >= 0)
                        r = table_add_cell(t, describe_str(d, "reason"));
                if (r < 0)
                        return r;
        }

        return table_print(t, true, SHOW_TABLE_INDENT, f);
}

static int show_counters(json_object *n, FILE *f) {
        static const struct {
                const char *key, *singular, *plural;
        } counters[] = {
                        {"events", "event", "events"},
                        {"queries", "query", "queries"},
                        {"writes", "write", "writes"},
        };

        (void) fprintf(f, "%*s: ", SHOW_KEY_WIDTH, "Counters");
        for (size_t i = 0; i < ELEMENTSOF(counters); i++) {
                int64_t v;

                if (i > 0)
                        (void) fputs(", ", f);
                if (describe_int(n, counters[i].key, &v) >= 0)
                        (void) fprintf(f, "%" PRIi64 " %s", v,
                                        v == 1 ? counters[i].singular : counters[i].plural);
                else
                        (void) fprintf(f, "- %s", counters[i].plural);
        }
        (void) fputc('\n', f);
        return 0;
}

/* Only while a flapping guest's MAC changes are held down. */
static void show_mac_hold(json_object *n, FILE *f) {
        json_object *m = describe_object(n, "mac_changes");
        int64_t left;
        char buf[64];

        if (!m || describe_int(m, "hold_remaining_sec", &left) < 0)
                return;
        (void) snprintf(buf, sizeof(buf), "MAC changes refused for another %" PRIi64 " s", left);
        print_field(f, "MAC hold-down", buf);
}

static void queues_count(json_object *q, const char *key, FILE *f) {
        int64_t v;

        if (describe_int(q, key, &v) >= 0)
                (void) fprintf(f, "%" PRIi64, v);
        else
                (void) fputs("?", f);
}

/* MultiqueueApply=: "LEVER: STATE N pairs at WHEN: DETAIL"; report only says so. */
static int show_queues_action(json_object *a, FILE *f) {
        _cleanup_(value_done) Value v = {};
        const char *mode = describe_str(a, "mode"), *state = describe_str(a, "state");
        int64_t pairs;
        int r;

        if (!mode || !state)
                return 0;
        r = value_begin(&v);
        if (r < 0)
                return r;
        (void) fprintf(v.f, "%s: %s", mode, streq(state, "report") ? "report only" : state);
        if (describe_int(a, "pairs", &pairs) >= 0)
                (void) fprintf(v.f, " %" PRIi64 " %s", pairs, pairs == 1 ? "pair" : "pairs");
        if (describe_str(a, "when"))
                (void) fprintf(v.f, " at %s", describe_str(a, "when"));
        if (describe_str(a, "detail"))
                (void) fprintf(v.f, ": %s", describe_str(a, "detail"));
        r = value_end(&v);
        if (r < 0)
                return r;
        print_field(f, "Queues action", v.buf);
        return 0;
}

_printf_(3, 4) static void append(char *buf, size_t size, const char *format, ...) {
        size_t n = strlen(buf);
        va_list ap;

        if (n + 1 >= size)
                return;
        va_start(ap, format);
        (void) vsnprintf(buf + n, size - n, format, ap);
        va_end(ap);
}

bool render_guest_stats(json_object *q, char *buf, size_t size) {
        json_object *g = describe_object(q, "guest_stats"), *a = describe_array(g, "queues");
        int64_t busiest, carrying;
        double share;

        if (size == 0)
                return false;
        buf[0] = 0;
        if (!g || describe_bool(g, "enabled") <= 0)
                return false;
        if (describe_str(g, "dev"))
                append(buf, size, "%s read %s: ", describe_str(g, "dev"), describe_str(g, "read") ?: "-");
        for (size_t i = 0; i < describe_array_length(a); i++) {
                json_object *e = describe_array_get_object(a, i);
                int64_t k, rx, tx;
                double rate;

                if (!e || describe_int(e, "queue", &k) < 0)
                        continue;
                if (describe_double(e, "packet_rate", &rate) >= 0)
                        append(buf, size, "%squeue %" PRIi64 " %.0f/s", i > 0 ? ", " : "", k, rate);
                else if (describe_int(e, "rx_packets", &rx) >= 0 && describe_int(e, "tx_packets", &tx) >= 0)
                        append(buf, size, "%squeue %" PRIi64 " %" PRIi64 " packets", i > 0 ? ", " : "", k,
                                        rx + tx);
        }
        if (describe_int(g, "busiest", &busiest) >= 0 && describe_double(g, "busiest_share", &share) >= 0 &&
                        describe_int(g, "carrying", &carrying) >= 0)
                append(buf, size, "; busiest queue %" PRIi64 " (%.0f%%), %" PRIi64 " carrying traffic",
                                busiest, share * 100, carrying);
        if (describe_str(g, "status"))
                append(buf, size, "%s%s", buf[0] ? "; " : "", describe_str(g, "status"));
        return true;
}

/* Queue pairs: max, active and recommended, then why; the sources of max and active in the JSON. */
static int show_queues(json_object *n, FILE *f) {
        _cleanup_(value_done) Value v = {};
        json_object *q = describe_object(n, "queues");
        char guest[512];
        const char *command;
        int64_t rec;
        int r;

        if (!q)
                return 0;
        r = value_begin(&v);
        if (r < 0)
                return r;
        (void) fputs("max ", v.f);
        queues_count(q, "max", v.f);
        (void) fputs(", active ", v.f);
        queues_count(q, "active", v.f);
        if (describe_int(q, "recommended", &rec) >= 0) {
                int64_t boot;

                (void) fprintf(v.f, ", recommended %" PRIi64, rec);
                if (describe_int(q, "next_boot", &boot) >= 0 && boot > rec)
                        (void) fprintf(v.f, " (next boot %" PRIi64 ")", boot);
        }
        (void) fputs(", vCPUs ", v.f);
        queues_count(q, "vcpus", v.f);
        r = value_end(&v);
        if (r < 0)
                return r;
        print_field(f, "Queues", v.buf);
        print_field(f, "Queues why", describe_str(q, "reason"));
        command = describe_str(q, "command");
        if (command)
                print_field(f, "Queues command", command);
        if (render_guest_stats(q, guest, sizeof(guest)))
                print_field(f, "Queues guest", guest);
        return show_queues_action(describe_object(q, "action"), f);
}

/* The guest's vhost-net workers: "TID FORM busy N% CPUs LIST" each, or "none (why)". Nothing from a
 * daemon that does not report them. */
static int show_vhost_workers(json_object *g, FILE *f) {
        _cleanup_(value_done) Value v = {};
        json_object *workers = describe_array(g, "vhost_workers");
        int r;

        if (!workers)
                return 0;
        r = value_begin(&v);
        if (r < 0)
                return r;
        for (size_t i = 0; i < describe_array_length(workers); i++) {
                json_object *w = describe_array_get_object(workers, i);
                const char *cpus = describe_str(w, "cpus");
                int64_t tid;
                double busy;

                if (!w || describe_int(w, "tid", &tid) < 0)
                        continue;
                value_part(&v, "%" PRIi64 " %s", tid, describe_str(w, "form") ?: "-");
                if (describe_double(w, "busy_percent", &busy) >= 0)
                        (void) fprintf(v.f, " busy %.0f%%", busy);
                else
                        (void) fputs(" busy -", v.f);
                (void) fprintf(v.f, " CPUs %s", cpus ?: "-");
        }
        if (v.n_parts == 0)
                (void) fprintf(v.f, "none (%s)", describe_str(g, "vhost_workers_reason") ?: "-");
        r = value_end(&v);
        if (r < 0)
                return r;
        print_field(f, "Vhost workers", v.buf);
        return 0;
}

static int show_refusals(json_object *n, FILE *f) {
        json_object *refusals = describe_array(n, "refusals");
        bool first = true;

        if (describe_array_count_objects(refusals) == 0) {
                print_field(f, "Refusals", refusals ? "none" : NULL);
                return 0;
        }

        for (size_t i = 0; i < describe_array_length(refusals); i++) {
                _cleanup_(value_done) Value v = {};
                json_object *e = describe_array_get_object(refusals, i);
                const char *asked = describe_str(e, "asked"), *rule = describe_str(e, "rule");
                const char *last = describe_str(e, "last");
                int64_t k;
                int r;

                if (!e)
                        continue;
                r = value_begin(&v);
                if (r < 0)
                        return r;
                (void) fprintf(v.f, "%s%s%s", describe_str(e, "field") ?: "-", asked ? " " : "",
                                strempty(asked));
                if (describe_int(e, "count", &k) >= 0)
                        (void) fprintf(v.f, ": %" PRIi64 " time%s", k, k == 1 ? "" : "s");
                else
                        (void) fputs(": - times", v.f);
                v.n_parts = 1;
                if (rule)
                        value_part(&v, "rule %s", rule);
                if (last)
                        value_part(&v, "last %s", last);
                r = value_end(&v);
                if (r < 0)
                        return r;

                if (first)
                        print_field(f, "Refusals", v.buf);
                else {
                        (void) fprintf(f, "%*s", SHOW_KEY_WIDTH + 2, "");
                        fputs_escaped(v.buf, f);
                        (void) fputc('\n', f);
                }
                first = false;
        }
        return 0;
}

static const char *vids_or_none(json_object *o, const char *key) {
        const char *v = describe_str(o, key);

        return !v ? "-" : *v ? v : "none";
}

static const char *flag_word(json_object *o, const char *key) {
        int b = describe_bool(o, key);

        return b < 0 ? "-" : b ? "on" : "off";
}

/* A tap in a bridge: the bridge, the port's flags, VLANs, static FDB entries, the bridge's uplinks. */
static int show_bridge_fields(json_object *n, FILE *f) {
        json_object *b = NULL, *flags, *want, *vlans, *fdb, *uplinks;
        _cleanup_free_ char *line = NULL;

        if (!json_object_object_get_ex(n, "bridge", &b) || !json_object_is_type(b, json_type_object))
                return 0;
        flags = describe_object(b, "port_flags");
        want = describe_object(b, "port_flags_wanted");
        vlans = describe_object(b, "vlans");
        fdb = describe_array(b, "fdb");
        uplinks = describe_array(b, "uplinks");

        if (asprintf(&line, "%s (vlan_filtering %s%s)", describe_str(b, "bridge") ?: "-",
                            describe_bool(b, "vlan_filtering") > 0 ? "1" : "0",
                            describe_bool(b, "bridge_promiscuous") > 0 ? ", promiscuous" : "") < 0)
                return -ENOMEM;
        print_field(f, "Bridge", line);
        line = mfree(line);
        if (asprintf(&line, "learning %s, flood %s, mcast_flood %s (wanted: %s, %s, %s)",
                            flag_word(flags, "learning"), flag_word(flags, "unicast_flood"),
                            flag_word(flags, "mcast_flood"), flag_word(want, "learning"),
                            flag_word(want, "unicast_flood"), flag_word(want, "mcast_flood")) < 0)
                return -ENOMEM;
        print_field(f, "Port", line);
        line = mfree(line);
        if (vlans) {
                char native[24] = "-";
                int64_t v = 0;

                if (describe_int(vlans, "native", &v) >= 0 && v > 0)
                        (void) snprintf(native, sizeof(native), "%" PRId64, v);
                if (asprintf(&line, "asked %s, allowed %s, native %s, applied %s, refused %s",
                                    vids_or_none(vlans, "asked"), vids_or_none(vlans, "allowed"), native,
                                    vids_or_none(vlans, "applied"), vids_or_none(vlans, "refused")) < 0)
                        return -ENOMEM;
                print_field(f, "VLANs", line);
                line = mfree(line);
        }
        for (size_t i = 0; i < describe_array_length(fdb); i++) {
                json_object *e = describe_array_get_object(fdb, i);
                int64_t vid = 0;
                char *l = NULL;

                (void) describe_int(e, "vlan", &vid);
                if (vid > 0 ? asprintf(&l, "%s vlan %" PRId64, describe_str(e, "mac") ?: "-", vid)
                            : asprintf(&l, "%s", describe_str(e, "mac") ?: "-") < 0)
                        return -ENOMEM;
                print_field(f, i == 0 ? "Static FDB" : "", l);
                free(l);
        }
        if (describe_array_length(fdb) == 0)
                print_field(f, "Static FDB", "none");
        for (size_t i = 0; i < describe_array_length(uplinks); i++) {
                json_object *u = describe_array_get_object(uplinks, i);
                int64_t p = 0;
                char *l = NULL;

                (void) describe_int(u, "promiscuity", &p);
                if (asprintf(&l, "%s, promiscuity %" PRId64 ": %s", describe_str(u, "name") ?: "-", p,
                                    describe_str(u, "reason") ?: "-") < 0)
                        return -ENOMEM;
                print_field(f, i == 0 ? "Uplink" : "", l);
                free(l);
        }
        return 0;
}

/* Who owns the NIC's host settings and, for a libvirt NIC, its <interface> as libvirt plugged it. */
static int show_owner_fields(json_object *n, FILE *f) {
        _cleanup_(value_done) Value v = {};
        json_object *i = describe_object(n, "interface"), *vlan = describe_object(i, "vlan");
        const char *owner = describe_str(n, "owner"), *reason = describe_str(n, "owner_reason");
        int64_t queues;
        int r;

        if (owner) {
                r = value_begin(&v);
                if (r < 0)
                        return r;
                (void) fputs(owner, v.f);
                if (reason)
                        (void) fprintf(v.f, " (%s)", reason);
                r = value_end(&v);
                if (r < 0)
                        return r;
                print_field(f, "Owner", v.buf);
                value_done(&v);
                v = (Value){};
        }
        if (!i)
                return 0;
        r = value_begin(&v);
        if (r < 0)
                return r;
        (void) fprintf(v.f, "type='%s'", strempty(describe_str(i, "type")));
        if (describe_str(i, "model"))
                (void) fprintf(v.f, " model='%s'", describe_str(i, "model"));
        if (describe_str(i, "source_network"))
                (void) fprintf(v.f, " network='%s'", describe_str(i, "source_network"));
        if (describe_str(i, "source_portgroup"))
                (void) fprintf(v.f, " portgroup='%s'", describe_str(i, "source_portgroup"));
        if (describe_str(i, "source_bridge"))
                (void) fprintf(v.f, " bridge='%s'", describe_str(i, "source_bridge"));
        if (describe_str(i, "source_dev"))
                (void) fprintf(v.f, " dev='%s'", describe_str(i, "source_dev"));
        if (describe_str(i, "source_mode"))
                (void) fprintf(v.f, " mode='%s'", describe_str(i, "source_mode"));
        if (describe_int(i, "queues", &queues) >= 0)
                (void) fprintf(v.f, " queues=%" PRIi64, queues);
        if (describe_str(i, "mac"))
                (void) fprintf(v.f, " mac='%s'", describe_str(i, "mac"));
        (void) fprintf(v.f, " trustGuestRxFilters='%s'",
                        describe_bool(i, "trustGuestRxFilters") > 0 ? "yes" : "no");
        if (vlan)
                (void) fprintf(v.f, " vlan='%s'%s", strempty(describe_str(vlan, "tags")),
                                describe_bool(vlan, "trunk") > 0 ? " trunk" : "");
        r = value_end(&v);
        if (r < 0)
                return r;
        print_field(f, "Domain XML", v.buf);
        if (describe_str(n, "config_error"))
                print_field(f, "Config error", describe_str(n, "config_error"));
        return 0;
}

static int show_nic(json_object *doc, json_object *g, json_object *n, FILE *f) {
        const char *trust_reason = describe_str(n, "trust_reason");
        int r;

        fputs_escaped(describe_str(g, "name") ?: describe_str(n, "guest") ?: "-", f);
        (void) fputc('/', f);
        fputs_escaped(describe_str(n, "name") ?: "-", f);
        (void) fputc('\n', f);

        print_field(f, "State", describe_str(n, "state"));
        print_field(f, "In sync", bool_to_string(describe_bool(n, "in_sync")));

        (void) fprintf(f, "%*s: %s", SHOW_KEY_WIDTH, "Trust", bool_to_string(describe_bool(n, "trusted")));
        if (trust_reason) {
                (void) fputs(" (", f);
                fputs_escaped(trust_reason, f);
                (void) fputc(')', f);
        }
        (void) fputc('\n', f);

        r = show_owner_fields(n, f);
        if (r < 0)
                return r;
        r = show_host_fields(n, f);
        if (r < 0)
                return r;
        r = show_bridge_fields(n, f);
        if (r < 0)
                return r;
        print_field(f, "QOM path", describe_str(n, "path"));
        r = show_guest_fields(g, f);
        if (r < 0)
                return r;

        (void) fputc('\n', f);
        r = show_field_table(n, f);
        if (r < 0)
                return r;
        (void) fputc('\n', f);

        r = show_counters(n, f);
        if (r < 0)
                return r;
        print_field(f, "Last change", describe_str(n, "last_change"));
        print_field(f, "Last error", describe_str(n, "last_error"));
        show_mac_hold(n, f);
        r = show_queues(n, f);
        if (r < 0)
                return r;
        r = show_vhost_workers(g, f);
        if (r < 0)
                return r;
        r = render_show_placement(doc, g, f);
        if (r < 0)
                return r;
        return show_refusals(n, f);
}

static int show_guest_without_nics(json_object *g, FILE *f) {
        fputs_escaped(describe_str(g, "name") ?: "-", f);
        (void) fputs(" (no NICs)\n", f);
        return show_guest_fields(g, f);
}

int render_show(json_object *doc, const char *guest, const char *nic, FILE *f) {
        json_object *guests;
        bool first = true;
        int r;

        if (!json_object_is_type(doc, json_type_object))
                return -EBADMSG;
        guests = describe_array(doc, "guests");

        for (size_t i = 0; i < describe_array_length(guests); i++) {
                json_object *g = describe_array_get_object(guests, i);
                json_object *nics = describe_array(g, "nics");

                if (!g || !describe_guest_selected(g, guest))
                        continue;

                if (describe_array_count_objects(nics) == 0 && !nic) {
                        if (!first)
                                (void) fputc('\n', f);
                        first = false;
                        r = show_guest_without_nics(g, f);
                        if (r < 0)
                                return r;
                        continue;
                }

                for (size_t j = 0; j < describe_array_length(nics); j++) {
                        json_object *e = describe_array_get_object(nics, j);

                        if (!e || !describe_nic_selected(e, nic))
                                continue;
                        if (!first)
                                (void) fputc('\n', f);
                        first = false;
                        r = show_nic(doc, g, e, f);
                        if (r < 0)
                                return r;
                }
        }

        return ferror(f) ? -EIO : 0;
}
