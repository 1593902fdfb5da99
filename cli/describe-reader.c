/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "describe-reader.h"

int describe_parse(const char *text, size_t len, json_object **ret, const char **ret_error) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        struct json_tokener *tok;
        enum json_tokener_error e;
        size_t end;

        if (len > INT_MAX) {
                if (ret_error)
                        *ret_error = "document too large";
                return -EBADMSG;
        }

        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, text, (int) len);
        e = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);

        if (!o || e != json_tokener_success) {
                if (ret_error)
                        *ret_error = e == json_tokener_continue ? "unexpected end of input"
                                                                : json_tokener_error_desc(e);
                return -EBADMSG;
        }
        /* json-c stops after the first value; anything but blanks after it is garbage. */
        for (; end < len; end++)
                if (text[end] == '\0' || !strchr(" \t\r\n", text[end])) {
                        if (ret_error)
                                *ret_error = "trailing data after the JSON document";
                        return -EBADMSG;
                }
        if (!json_object_is_type(o, json_type_object)) {
                if (ret_error)
                        *ret_error = "not a JSON object";
                return -EBADMSG;
        }

        *ret = TAKE_PTR(o);
        return 0;
}

static json_object *member(json_object *o, const char *key, json_type type) {
        json_object *v;

        if (!json_object_is_type(o, json_type_object))
                return NULL;
        if (!json_object_object_get_ex(o, key, &v))
                return NULL;
        if (!json_object_is_type(v, type)) /* null is json_type_null: never matches */
                return NULL;
        return v;
}

const char *describe_str(json_object *o, const char *key) {
        json_object *v = member(o, key, json_type_string);

        return v ? json_object_get_string(v) : NULL;
}

int describe_bool(json_object *o, const char *key) {
        json_object *v = member(o, key, json_type_boolean);

        if (!v)
                return -ENODATA;
        return json_object_get_boolean(v) ? 1 : 0;
}

int describe_int(json_object *o, const char *key, int64_t *ret) {
        json_object *v = member(o, key, json_type_int);

        if (!v)
                return -ENODATA;
        *ret = json_object_get_int64(v);
        return 0;
}

int describe_double(json_object *o, const char *key, double *ret) {
        json_object *v = member(o, key, json_type_double);

        if (!v)
                v = member(o, key, json_type_int);
        if (!v)
                return -ENODATA;
        *ret = json_object_get_double(v);
        return 0;
}

json_object *describe_object(json_object *o, const char *key) {
        return member(o, key, json_type_object);
}

json_object *describe_array(json_object *o, const char *key) {
        return member(o, key, json_type_array);
}

size_t describe_array_length(json_object *a) {
        if (!json_object_is_type(a, json_type_array))
                return 0;
        return json_object_array_length(a);
}

json_object *describe_array_get(json_object *a, size_t i) {
        if (i >= describe_array_length(a))
                return NULL;
        return json_object_array_get_idx(a, i);
}

json_object *describe_array_get_object(json_object *a, size_t i) {
        json_object *o = describe_array_get(a, i);

        return json_object_is_type(o, json_type_object) ? o : NULL;
}

size_t describe_array_count_objects(json_object *a) {
        size_t n = 0;

        for (size_t i = 0; i < describe_array_length(a); i++)
                if (describe_array_get_object(a, i))
                        n++;
        return n;
}

int describe_parse_selector(const char *s, char **ret_guest, char **ret_nic) {
        _cleanup_free_ char *guest = NULL, *nic = NULL;
        const char *slash = strchr(s, '/');

        if (!slash) {
                if (!*s)
                        return -EINVAL;
                guest = strdup(s);
                if (!guest)
                        return -ENOMEM;
        } else {
                /* Neither libvirt domain names nor QEMU ids can contain '/', so one split is
                 * enough and a second '/' is a typo worth reporting. */
                if (slash == s || !slash[1] || strchr(slash + 1, '/'))
                        return -EINVAL;
                guest = strndup(s, slash - s);
                nic = strdup(slash + 1);
                if (!guest || !nic)
                        return -ENOMEM;
        }

        *ret_guest = TAKE_PTR(guest);
        *ret_nic = TAKE_PTR(nic);
        return 0;
}

bool describe_guest_selected(json_object *g, const char *guest) {
        return !guest || streq_ptr(describe_str(g, "name"), guest);
}

/* By QEMU's id (libvirt's alias), or by the MAC the domain XML configures, as virsh domif* take. */
bool describe_nic_selected(json_object *n, const char *nic) {
        const char *mac = describe_str(describe_object(n, "interface"), "mac");

        return !nic || streq_ptr(describe_str(n, "name"), nic) || (mac && strcasecmp(mac, nic) == 0);
}

int describe_select(json_object *doc, const char *guest, const char *nic, json_object **ret) {
        json_object *guests = describe_array(doc, "guests");

        if (!guest) {
                *ret = doc;
                return 0;
        }

        for (size_t i = 0; i < describe_array_length(guests); i++) {
                json_object *g = describe_array_get(guests, i);
                json_object *nics = describe_array(g, "nics");

                if (!describe_guest_selected(g, guest))
                        continue;
                if (!nic) {
                        *ret = g;
                        return 0;
                }
                for (size_t j = 0; j < describe_array_length(nics); j++) {
                        json_object *n = describe_array_get(nics, j);

                        if (describe_nic_selected(n, nic)) {
                                *ret = n;
                                return 0;
                        }
                }
        }

        return -ENXIO;
}

int describe_known(json_object *doc, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;
        json_object *guests = describe_array(doc, "guests");
        bool first = true;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        for (size_t i = 0; i < describe_array_length(guests); i++) {
                json_object *g = describe_array_get(guests, i);
                json_object *nics = describe_array(g, "nics");
                const char *name = describe_str(g, "name");
                size_t n_named = 0;

                if (!name)
                        continue;
                for (size_t j = 0; j < describe_array_length(nics); j++) {
                        const char *nic = describe_str(describe_array_get(nics, j), "name");

                        if (!nic)
                                continue;
                        (void) fprintf(f, "%s%s/%s", first ? "" : ", ", name, nic);
                        first = false;
                        n_named++;
                }
                if (n_named == 0) {
                        (void) fprintf(f, "%s%s", first ? "" : ", ", name);
                        first = false;
                }
        }
        if (first)
                (void) fputs("none", f);

        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}
