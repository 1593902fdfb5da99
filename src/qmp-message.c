/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "macro.h"
#include "parse-util.h"
#include "qmp-message.h"

/* Once a line is handed out and consumed, a buffer grown past this for a big reply is given back. */
#define QMP_READER_KEEP_ALLOC (64u * 1024u)

static const char *const qmp_message_type_table[_QMP_MESSAGE_TYPE_MAX] = {
                [QMP_MESSAGE_GREETING] = "greeting",
                [QMP_MESSAGE_RETURN] = "return",
                [QMP_MESSAGE_ERROR] = "error",
                [QMP_MESSAGE_EVENT] = "event",
};

const char *qmp_message_type_to_string(QmpMessageType t) {
        if (t < 0 || t >= _QMP_MESSAGE_TYPE_MAX)
                return NULL;
        return qmp_message_type_table[t];
}

void qmp_message_done(QmpMessage *m) {
        if (!m)
                return;
        free(m->event);
        free(m->event_name);
        free(m->event_path);
        free(m->error_class);
        free(m->error_desc);
        free(m->return_json);
        *m = (QmpMessage){};
}

/* Copies the string member 'key' of 'o' into '*ret'. A missing member is 0 with '*ret' left NULL
 * unless 'required'. */
static int member_string(json_object *o, const char *what, const char *key, bool required, char **ret,
                char **ret_error) {
        char buf[EXCERPT_MAX];
        json_object *v;
        const char *s;
        size_t len;
        char *copy;

        if (!json_object_object_get_ex(o, key, &v))
                return required ? parse_error(ret_error, -EINVAL, "QMP %s without \"%s\"", what, key) : 0;
        if (!json_object_is_type(v, json_type_string))
                return parse_error(ret_error, -EINVAL, "QMP %s: \"%s\" is not a string", what, key);

        s = json_object_get_string(v);
        len = (size_t) json_object_get_string_len(v);
        if (len > QMP_STRING_MAX)
                return parse_error(ret_error, -ENAMETOOLONG, "QMP %s: \"%s\" has %zu bytes, more than %d",
                                what, key, len, QMP_STRING_MAX);
        /* Callers use C strings: a "\u0000" would silently cut what they see. */
        if (strlen(s) != len)
                return parse_error(ret_error, -EINVAL, "QMP %s: \"%s\" \"%s\" contains a NUL", what, key,
                                string_excerpt(s, len, buf));

        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

/* Reads a non-negative integer member. Missing: -ENOENT when 'required', else 0 and '*ret' untouched. */
static int member_uint(json_object *o, const char *what, const char *key, bool required, uint64_t max,
                uint64_t *ret, char **ret_error) {
        json_object *v;
        uint64_t u;

        if (!json_object_object_get_ex(o, key, &v))
                return required ? parse_error(ret_error, -EINVAL, "QMP %s without \"%s\"", what, key) : 0;
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                return parse_error(ret_error, -EINVAL, "QMP %s: \"%s\" is not a non-negative integer", what,
                                key);
        u = json_object_get_uint64(v);
        if (u > max)
                return parse_error(ret_error, -EINVAL, "QMP %s: \"%s\" is out of range", what, key);
        *ret = u;
        return 1;
}

static int member_object(json_object *o, const char *what, const char *key, bool required, json_object **ret,
                char **ret_error) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return required ? parse_error(ret_error, -EINVAL, "QMP %s without \"%s\"", what, key) : 0;
        if (!json_object_is_type(v, json_type_object))
                return parse_error(ret_error, -EINVAL, "QMP %s: \"%s\" is not an object", what, key);
        *ret = v;
        return 1;
}

static int parse_greeting(json_object *o, QmpMessage *m, char **ret_error) {
        json_object *qmp = NULL, *version = NULL, *qemu = NULL;
        uint64_t u;
        int r;

        r = member_object(o, "greeting", "QMP", true, &qmp, ret_error);
        if (r < 0)
                return r;
        r = member_object(qmp, "greeting", "version", true, &version, ret_error);
        if (r < 0)
                return r;
        r = member_object(version, "greeting", "qemu", true, &qemu, ret_error);
        if (r < 0)
                return r;

        r = member_uint(qemu, "greeting", "major", true, UINT_MAX, &u, ret_error);
        if (r < 0)
                return r;
        m->version_major = (unsigned) u;
        r = member_uint(qemu, "greeting", "minor", true, UINT_MAX, &u, ret_error);
        if (r < 0)
                return r;
        m->version_minor = (unsigned) u;
        r = member_uint(qemu, "greeting", "micro", true, UINT_MAX, &u, ret_error);
        if (r < 0)
                return r;
        m->version_micro = (unsigned) u;
        return 0;
}

static int parse_id(json_object *o, QmpMessage *m) {
        json_object *v;

        /* QEMU echoes "id" verbatim, whatever its type. We only send unsigned numbers, so anything
         * else cannot be the answer to one of our commands: report it as carrying no id. */
        if (!json_object_object_get_ex(o, "id", &v) || !json_object_is_type(v, json_type_int) ||
                        json_object_get_int64(v) < 0)
                return 0;

        m->has_id = true;
        m->id = json_object_get_uint64(v);
        return 0;
}

static int parse_return(json_object *o, QmpMessage *m, char **ret_error) {
        json_object *v;
        const char *s;

        (void) json_object_object_get_ex(o, "return", &v);
        /* NULL (a JSON null) prints as "null", which is what the caller should see. */
        s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        m->return_json = strdup(s);
        if (!m->return_json)
                return -ENOMEM;
        return parse_id(o, m);
}

static int parse_error_reply(json_object *o, QmpMessage *m, char **ret_error) {
        json_object *error = NULL;
        int r;

        r = member_object(o, "error", "error", true, &error, ret_error);
        if (r < 0)
                return r;
        r = member_string(error, "error", "class", true, &m->error_class, ret_error);
        if (r < 0)
                return r;
        r = member_string(error, "error", "desc", true, &m->error_desc, ret_error);
        if (r < 0)
                return r;
        return parse_id(o, m);
}

static int parse_event(json_object *o, QmpMessage *m, char **ret_error) {
        json_object *data = NULL, *ts = NULL;
        int r;

        r = member_string(o, "event", "event", true, &m->event, ret_error);
        if (r < 0)
                return r;
        if (m->event[0] == 0)
                return parse_error(ret_error, -EINVAL, "QMP event with an empty name");

        r = member_object(o, "event", "data", false, &data, ret_error);
        if (r < 0)
                return r;
        if (data) {
                r = member_string(data, "event data", "name", false, &m->event_name, ret_error);
                if (r < 0)
                        return r;
                r = member_string(data, "event data", "path", false, &m->event_path, ret_error);
                if (r < 0)
                        return r;
        }

        r = member_object(o, "event", "timestamp", false, &ts, ret_error);
        if (r < 0)
                return r;
        if (ts) {
                json_object *v;
                int64_t sec = -1, usec = -1;

                /* QEMU writes -1/-1 when it has no clock; that, and anything out of range, is "no
                 * timestamp" rather than a reason to drop the event. */
                if (json_object_object_get_ex(ts, "seconds", &v)) {
                        if (!json_object_is_type(v, json_type_int))
                                return parse_error(ret_error, -EINVAL,
                                                "QMP event: \"seconds\" is not an integer");
                        sec = json_object_get_int64(v);
                }
                if (json_object_object_get_ex(ts, "microseconds", &v)) {
                        if (!json_object_is_type(v, json_type_int))
                                return parse_error(ret_error, -EINVAL,
                                                "QMP event: \"microseconds\" is not an integer");
                        usec = json_object_get_int64(v);
                }
                if (sec >= 0 && usec >= 0 && usec < 1000000 &&
                                (uint64_t) sec <= (UINT64_MAX - 999999) / 1000000)
                        m->timestamp_usec = (uint64_t) sec * 1000000 + (uint64_t) usec;
        }
        return 0;
}

int qmp_message_parse(const char *line, size_t len, QmpMessage *ret, char **ret_error) {
        static const struct {
                const char *key;
                QmpMessageType type;
        } kinds[] = {
                        {"QMP", QMP_MESSAGE_GREETING},
                        {"return", QMP_MESSAGE_RETURN},
                        {"error", QMP_MESSAGE_ERROR},
                        {"event", QMP_MESSAGE_EVENT},
        };
        _cleanup_(qmp_message_done) QmpMessage m = {.type = _QMP_MESSAGE_TYPE_INVALID};
        _cleanup_(json_object_putp) json_object *o = NULL;
        const char *kind = NULL;
        int r;

        if ((!line && len > 0) || !ret)
                return -EINVAL;
        if (len > QMP_LINE_MAX)
                return parse_error(
                                ret_error, -E2BIG, "QMP line of %zu bytes, more than %u", len, QMP_LINE_MAX);

        r = json_parse_bounded("QMP message", line ?: "", len, QMP_JSON_DEPTH_MAX, &o, ret_error);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return parse_error(ret_error, -EINVAL, "QMP message is not a JSON object");

        /* Exactly one of the keys says what the message is; two would be a guess. */
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                if (!json_object_object_get_ex(o, kinds[i].key, NULL))
                        continue;
                if (kind)
                        return parse_error(ret_error, -EINVAL, "QMP message has both \"%s\" and \"%s\"",
                                        kind, kinds[i].key);
                kind = kinds[i].key;
                m.type = kinds[i].type;
        }

        switch (m.type) {
        case QMP_MESSAGE_GREETING:
                r = parse_greeting(o, &m, ret_error);
                break;
        case QMP_MESSAGE_RETURN:
                r = parse_return(o, &m, ret_error);
                break;
        case QMP_MESSAGE_ERROR:
                r = parse_error_reply(o, &m, ret_error);
                break;
        case QMP_MESSAGE_EVENT:
                r = parse_event(o, &m, ret_error);
                break;
        default:
                return parse_error(ret_error, -EINVAL,
                                "QMP message of unknown kind (no \"QMP\", \"return\", \"error\" or "
                                "\"event\")");
        }
        if (r < 0)
                return r;

        *ret = m;
        m = (QmpMessage){};
        return 0;
}

static int object_add_string(json_object *o, const char *key, const char *value) {
        json_object *v;

        v = json_object_new_string(value);
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                (void) json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int qmp_message_return_string(const QmpMessage *m, char **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        char *d;
        int r;

        if (!m || !ret || m->type != QMP_MESSAGE_RETURN || !m->return_json)
                return -EINVAL;
        r = json_parse_bounded("QMP return value", m->return_json, strlen(m->return_json), 1, &o, NULL);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_string))
                return -EINVAL;
        d = strndup(json_object_get_string(o), (size_t) json_object_get_string_len(o));
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

int qmp_message_return_member_string(const QmpMessage *m, const char *key, char **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *v;
        char *d;
        int r;

        if (!m || !key || !ret || m->type != QMP_MESSAGE_RETURN || !m->return_json)
                return -EINVAL;
        r = json_parse_bounded("QMP return value", m->return_json, strlen(m->return_json), 4, &o, NULL);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
                        !json_object_is_type(v, json_type_string))
                return -EINVAL;
        if ((size_t) json_object_get_string_len(v) > QMP_STRING_MAX)
                return -ENAMETOOLONG;
        d = strndup(json_object_get_string(v), (size_t) json_object_get_string_len(v));
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

static int vcpu_member(
                json_object *o, const char *key, int64_t min, size_t i, int64_t *ret, char **ret_error) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return parse_error(ret_error, -EINVAL, "query-cpus-fast: vCPU #%zu has no integer \"%s\"", i,
                                key);
        errno = 0;
        *ret = json_object_get_int64(v);
        if (errno != 0 || *ret < min || *ret >= INT_MAX)
                return parse_error(ret_error, -EINVAL, "query-cpus-fast: vCPU #%zu: \"%s\" out of range", i,
                                key);
        return 0;
}

int qmp_message_return_vcpus(const QmpMessage *m, QmpVcpu **ret, size_t *ret_n, char **ret_error) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ QmpVcpu *list = NULL;
        size_t n;
        int r;

        if (!m || !ret || !ret_n || m->type != QMP_MESSAGE_RETURN || !m->return_json)
                return -EINVAL;
        r = json_parse_bounded(
                        "query-cpus-fast reply", m->return_json, strlen(m->return_json), 4, &o, ret_error);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_array))
                return parse_error(ret_error, -EINVAL, "query-cpus-fast reply is not a JSON array");
        n = json_object_array_length(o);
        if (n > QMP_VCPUS_MAX)
                return parse_error(ret_error, -E2BIG, "query-cpus-fast lists %zu vCPUs, at most %d accepted",
                                n, QMP_VCPUS_MAX);
        if (n > 0) {
                list = new0(QmpVcpu, n);
                if (!list)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(o, i);
                int64_t index, tid;

                if (!json_object_is_type(e, json_type_object))
                        return parse_error(ret_error, -EINVAL, "query-cpus-fast: vCPU #%zu is not an object",
                                        i);
                r = vcpu_member(e, "cpu-index", 0, i, &index, ret_error);
                if (r < 0)
                        return r;
                r = vcpu_member(e, "thread-id", 1, i, &tid, ret_error);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (list[j].cpu_index == (unsigned) index)
                                return parse_error(ret_error, -EINVAL,
                                                "query-cpus-fast: cpu-index %" PRIi64 " given twice", index);
                list[i] = (QmpVcpu){.cpu_index = (unsigned) index, .thread_id = (int) tid};
        }
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

int qmp_command_build(const char *execute, const char *const *args, uint64_t id, char **ret) {
        _cleanup_(json_object_putp) json_object *cmd = NULL, *arguments = NULL;
        json_object *v;
        const char *s;
        char *line;
        int r;

        if (!execute || !ret)
                return -EINVAL;
        if (execute[0] == 0 || strlen(execute) > QMP_STRING_MAX)
                return -EINVAL;

        cmd = json_object_new_object();
        if (!cmd)
                return -ENOMEM;
        r = object_add_string(cmd, "execute", execute);
        if (r < 0)
                return r;

        if (args) {
                arguments = json_object_new_object();
                if (!arguments)
                        return -ENOMEM;
                for (size_t i = 0; args[i]; i += 2) {
                        if (!args[i + 1])
                                return -EINVAL; /* a key without its value */
                        r = object_add_string(arguments, args[i], args[i + 1]);
                        if (r < 0)
                                return r;
                }
                if (json_object_object_add(cmd, "arguments", arguments) < 0)
                        return -ENOMEM;
                arguments = NULL; /* owned by 'cmd' now */
        }

        /* Id 0: no "id" member (libvirt adds its own and refuses a command that has one). */
        if (id > 0) {
                v = json_object_new_uint64(id);
                if (!v)
                        return -ENOMEM;
                if (json_object_object_add(cmd, "id", v) < 0) {
                        (void) json_object_put(v);
                        return -ENOMEM;
                }
        }
        s = json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        if (asprintf(&line, "%s\r\n", s) < 0)
                return -ENOMEM;

        *ret = line;
        return 0;
}

/* QmpReader. The buffer holds [0, start) already handed out, [start, tail) complete lines, and
 * [tail, len) the line still arriving. A line that grows past max_line keeps only max_line + 2 of
 * its bytes (so it is still recognisably too long with or without a "\r") and 'discarding' drops
 * the rest up to its newline: memory stays bounded whatever the peer sends. */

void qmp_reader_init(QmpReader *r, size_t max_line) {
        /* Clamped so that max_line + 2 and the buffer growth below cannot overflow. */
        *r = (QmpReader){
                        .max_line = max_line > 0 ? MIN(max_line, SIZE_MAX / 4) : QMP_LINE_MAX,
        };
}

void qmp_reader_done(QmpReader *r) {
        if (!r)
                return;
        free(r->buf);
        qmp_reader_init(r, r->max_line);
}

static int reader_reserve(QmpReader *r, size_t n) {
        size_t want;
        char *p;

        if (r->alloc - r->len >= n)
                return 0;

        /* Reclaim the handed-out prefix when that pays: moving costs at most what was consumed. */
        if (r->start > 0 && r->start >= r->len - r->start) {
                memmove(r->buf, r->buf + r->start, r->len - r->start);
                r->len -= r->start;
                r->tail -= r->start;
                r->start = 0;
                if (r->alloc - r->len >= n)
                        return 0;
        }

        if (n > SIZE_MAX / 2 - r->len)
                return -ENOMEM;
        want = MAX(r->len + n, MAX(r->alloc * 2, (size_t) 256));
        p = realloc(r->buf, want);
        if (!p)
                return -ENOMEM;
        r->buf = p;
        r->alloc = want;
        return 0;
}

static int reader_append(QmpReader *r, const char *data, size_t n) {
        int k;

        if (n == 0)
                return 0;
        k = reader_reserve(r, n);
        if (k < 0)
                return k;
        memcpy(r->buf + r->len, data, n);
        r->len += n;
        return 0;
}

int qmp_reader_feed(QmpReader *r, const void *data, size_t n) {
        const char *p = data;
        int k;

        if (r->start == r->len)
                r->start = r->len = r->tail = 0;

        while (n > 0) {
                const char *nl = memchr(p, '\n', n);
                size_t seg, partial = r->len - r->tail;

                if (r->discarding) {
                        if (!nl)
                                return 0;
                        n -= (size_t) (nl + 1 - p);
                        p = nl + 1;
                        r->discarding = false;
                        /* If the stub is still buffered, terminate it so next_line() reports it in
                         * order; if next_line() already reported it, the newline is just dropped. */
                        if (partial > 0) {
                                k = reader_append(r, "\n", 1);
                                if (k < 0)
                                        return k;
                                r->tail = r->len;
                        }
                        continue;
                }

                seg = nl ? (size_t) (nl - p) : n; /* bytes before the newline */
                if (partial + seg > r->max_line + 1) {
                        size_t keep = r->max_line + 2 - partial;

                        k = reader_append(r, p, keep);
                        if (k < 0)
                                return k;
                        p += keep;
                        n -= keep;
                        r->discarding = true;
                        continue;
                }

                if (nl)
                        seg++;
                k = reader_append(r, p, seg);
                if (k < 0)
                        return k;
                p += seg;
                n -= seg;
                if (nl)
                        r->tail = r->len;
        }
        return 0;
}

int qmp_reader_next_line(QmpReader *r, const char **ret_line, size_t *ret_len) {
        for (;;) {
                char *line, *nl;
                size_t l;

                if (r->start == r->len) {
                        /* Everything handed out: start over, and give back what a big line grew. */
                        r->start = r->len = r->tail = 0;
                        if (r->alloc > QMP_READER_KEEP_ALLOC) {
                                free(r->buf);
                                r->buf = NULL;
                                r->alloc = 0;
                        }
                        return 0;
                }

                if (r->start == r->tail) {
                        /* Only a partial line. If it already overflowed, say so now rather than
                         * when its newline finally comes, and drop the stub. */
                        if (r->discarding) {
                                r->len = r->tail;
                                return -E2BIG;
                        }
                        return 0;
                }

                line = r->buf + r->start;
                nl = memchr(line, '\n', r->tail - r->start);
                l = (size_t) (nl - line);
                r->start += l + 1;
                *nl = 0;
                if (l > 0 && line[l - 1] == '\r')
                        line[--l] = 0;

                if (l > r->max_line)
                        return -E2BIG;
                if (l == 0)
                        continue; /* blank lines are whitespace between JSON values */

                *ret_line = line;
                *ret_len = l;
                return 1;
        }
}
