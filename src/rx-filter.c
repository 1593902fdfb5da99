/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "macro.h"
#include "parse-util.h"
#include "qmp-message.h"
#include "rx-filter.h"

/* Nesting as json-c counts it (a scalar inside an array is one level below it): the reply is
 * [ { "vlan-table": [ 0 ] } ], 4 levels; 8 leaves room without letting a hostile peer recurse. */
#define RX_FILTER_JSON_DEPTH_MAX 8

static const char *const rx_mode_table[_RX_MODE_MAX] = {
                [RX_MODE_NONE] = "none",
                [RX_MODE_NORMAL] = "normal",
                [RX_MODE_ALL] = "all",
};

const char *rx_mode_to_string(RxMode m) {
        if (m < 0 || m >= _RX_MODE_MAX)
                return NULL;
        return rx_mode_table[m];
}

RxMode rx_mode_from_string(const char *s) {
        if (!s)
                return _RX_MODE_INVALID;
        for (RxMode m = 0; m < _RX_MODE_MAX; m++)
                if (streq(s, rx_mode_table[m]))
                        return m;
        return _RX_MODE_INVALID;
}

/* All messages about one NIC start with the same words; 'who' is filled in once its name is known. */
typedef struct Where {
        char who[EXCERPT_MAX + 16];
} Where;

static int field_get(json_object *o, const char *key, json_type type, json_object **ret, const Where *w,
                char **ret_error) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return parse_error(ret_error, -EINVAL, "%s: missing \"%s\"", w->who, key);
        if (!json_object_is_type(v, type))
                return parse_error(ret_error, -EINVAL, "%s: \"%s\" is not %s", w->who, key,
                                type == json_type_boolean  ? "a boolean"
                                : type == json_type_string ? "a string"
                                : type == json_type_array  ? "an array"
                                                           : "of the expected type");
        *ret = v;
        return 0;
}

static int field_get_bool(json_object *o, const char *key, bool *ret, const Where *w, char **ret_error) {
        json_object *v;
        int r;

        r = field_get(o, key, json_type_boolean, &v, w, ret_error);
        if (r < 0)
                return r;
        *ret = json_object_get_boolean(v);
        return 0;
}

static int field_get_mode(json_object *o, const char *key, RxMode *ret, const Where *w, char **ret_error) {
        char buf[EXCERPT_MAX];
        json_object *v;
        RxMode m;
        int r;

        r = field_get(o, key, json_type_string, &v, w, ret_error);
        if (r < 0)
                return r;
        m = rx_mode_from_string(json_object_get_string(v));
        if (m < 0 || strlen(json_object_get_string(v)) != (size_t) json_object_get_string_len(v))
                return parse_error(ret_error, -EINVAL, "%s: \"%s\" is \"%s\", not none, normal or all",
                                w->who, key,
                                string_excerpt(json_object_get_string(v),
                                                (size_t) json_object_get_string_len(v), buf));
        *ret = m;
        return 0;
}

static int mac_from_json(json_object *v, EtherAddr *ret) {
        const char *s;

        if (!json_object_is_type(v, json_type_string))
                return -EINVAL;
        s = json_object_get_string(v);
        /* A "\u0000" inside would make the C string shorter than the JSON one: not a MAC either. */
        if ((size_t) json_object_get_string_len(v) != strlen(s))
                return -EINVAL;
        return ether_addr_from_string(s, ret);
}

static const char *json_excerpt(json_object *v, char buf[static EXCERPT_MAX]) {
        const char *s;

        s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        return string_excerpt(strempty(s), strlen(strempty(s)), buf);
}

static int mac_table_parse(json_object *o, const char *key, bool multicast, EtherAddr *table, size_t *ret_n,
                const Where *w, char **ret_error) {
        char buf[EXCERPT_MAX], mac[ETHER_ADDR_STRING_MAX];
        json_object *a;
        size_t n;
        int r;

        r = field_get(o, key, json_type_array, &a, w, ret_error);
        if (r < 0)
                return r;

        n = json_object_array_length(a);
        if (n > RX_FILTER_MAC_TABLE_MAX)
                return parse_error(ret_error, -E2BIG, "%s: \"%s\" has %zu entries, QEMU's table holds %d",
                                w->who, key, n, RX_FILTER_MAC_TABLE_MAX);

        for (size_t i = 0; i < n; i++) {
                json_object *v = json_object_array_get_idx(a, i);

                r = mac_from_json(v, &table[i]);
                if (r < 0)
                        return parse_error(ret_error, -EINVAL, "%s: \"%s\"[%zu]: %s is not a MAC address",
                                        w->who, key, i, json_excerpt(v, buf));
                if (ether_addr_is_multicast(&table[i]) != multicast)
                        return parse_error(ret_error, -EINVAL, "%s: \"%s\"[%zu]: %s is a %s address", w->who,
                                        key, i, ether_addr_to_string(&table[i], mac),
                                        multicast ? "unicast" : "multicast");
        }

        *ret_n = n;
        return 0;
}

static int vlan_table_parse(json_object *o, VlanSet *ret, const Where *w, char **ret_error) {
        char buf[EXCERPT_MAX];
        VlanSet set = {};
        json_object *a;
        size_t n;
        int r;

        r = field_get(o, "vlan-table", json_type_array, &a, w, ret_error);
        if (r < 0)
                return r;

        /* "vlan":"all" comes with every VID listed: 4096 entries is legitimate, more is not. */
        n = json_object_array_length(a);
        if (n > VLAN_VID_COUNT)
                return parse_error(ret_error, -E2BIG,
                                "%s: \"vlan-table\" has %zu entries, at most %d VLAN ids exist", w->who, n,
                                VLAN_VID_COUNT);

        for (size_t i = 0; i < n; i++) {
                json_object *v = json_object_array_get_idx(a, i);
                int64_t vid;

                if (!json_object_is_type(v, json_type_int))
                        return parse_error(ret_error, -EINVAL,
                                        "%s: \"vlan-table\"[%zu]: %s is not an integer", w->who, i,
                                        json_excerpt(v, buf));
                vid = json_object_get_int64(v);
                if (vid < 0 || vid >= VLAN_VID_COUNT)
                        return parse_error(ret_error, -ERANGE,
                                        "%s: \"vlan-table\"[%zu]: %s is not a VLAN id (0-4095)", w->who, i,
                                        json_excerpt(v, buf));
                (void) vlan_set_add(&set, (unsigned) vid);
        }

        *ret = set;
        return 0;
}

static int rx_filter_from_json(json_object *o, size_t idx, RxFilter *f, char **ret_error) {
        char buf[EXCERPT_MAX];
        Where w;
        json_object *v;
        const char *name;
        size_t len;
        int r;

        (void) snprintf(w.who, sizeof(w.who), "NIC #%zu", idx);

        if (!json_object_is_type(o, json_type_object))
                return parse_error(ret_error, -EINVAL, "%s: not a JSON object", w.who);

        r = field_get(o, "name", json_type_string, &v, &w, ret_error);
        if (r < 0)
                return r;
        name = json_object_get_string(v);
        len = (size_t) json_object_get_string_len(v);
        if (len == 0 || len >= RX_FILTER_NAME_MAX)
                return parse_error(ret_error, -EINVAL, "%s: \"name\" must have 1-%d bytes, not %zu", w.who,
                                RX_FILTER_NAME_MAX - 1, len);
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) name[i] < 0x20 || name[i] == 0x7f)
                        return parse_error(ret_error, -EINVAL,
                                        "%s: \"name\" \"%s\" contains a control character", w.who,
                                        string_excerpt(name, len, buf));
        memcpy(f->name, name, len);
        f->name[len] = 0;
        (void) snprintf(w.who, sizeof(w.who), "NIC %s", string_excerpt(name, len, buf));

        /* 'broadcast-allowed' is deliberately not read: QEMU fills it from 'nobcast', inverted. */
        r = field_get_bool(o, "promiscuous", &f->promiscuous, &w, ret_error);
        if (r < 0)
                return r;
        r = field_get_mode(o, "unicast", &f->unicast, &w, ret_error);
        if (r < 0)
                return r;
        r = field_get_mode(o, "multicast", &f->multicast, &w, ret_error);
        if (r < 0)
                return r;
        r = field_get_mode(o, "vlan", &f->vlan, &w, ret_error);
        if (r < 0)
                return r;
        r = field_get_bool(o, "unicast-overflow", &f->unicast_overflow, &w, ret_error);
        if (r < 0)
                return r;
        r = field_get_bool(o, "multicast-overflow", &f->multicast_overflow, &w, ret_error);
        if (r < 0)
                return r;

        r = field_get(o, "main-mac", json_type_string, &v, &w, ret_error);
        if (r < 0)
                return r;
        if (mac_from_json(v, &f->main_mac) < 0)
                return parse_error(ret_error, -EINVAL, "%s: \"main-mac\": %s is not a MAC address", w.who,
                                json_excerpt(v, buf));

        r = mac_table_parse(o, "unicast-table", false, f->unicast_table, &f->n_unicast, &w, ret_error);
        if (r < 0)
                return r;
        r = mac_table_parse(o, "multicast-table", true, f->multicast_table, &f->n_multicast, &w, ret_error);
        if (r < 0)
                return r;
        /* QEMU keeps one table of MAC_TABLE_ENTRIES for both kinds; more cannot come from QEMU. */
        if (f->n_unicast + f->n_multicast > RX_FILTER_MAC_TABLE_MAX)
                return parse_error(ret_error, -E2BIG,
                                "%s: %zu unicast + %zu multicast addresses, QEMU's table holds %d", w.who,
                                f->n_unicast, f->n_multicast, RX_FILTER_MAC_TABLE_MAX);

        /* On overflow QEMU stops filling the table and filters nothing of that kind: an entry that
         * would come with it means nothing, so the table is empty whatever was sent. */
        if (f->unicast_overflow)
                f->n_unicast = 0;
        if (f->multicast_overflow)
                f->n_multicast = 0;
        /* QEMU lists the tables last entry first; sorted sets are what callers compare. */
        f->n_unicast = ether_addr_sort_unique(f->unicast_table, f->n_unicast);
        f->n_multicast = ether_addr_sort_unique(f->multicast_table, f->n_multicast);

        return vlan_table_parse(o, &f->vlans, &w, ret_error);
}

int rx_filter_list_parse(const char *json, size_t len, RxFilter **ret, size_t *ret_n, char **ret_error) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ RxFilter *list = NULL;
        size_t n;
        int r;

        if ((!json && len > 0) || !ret || !ret_n)
                return -EINVAL;
        if (len > QMP_LINE_MAX)
                return parse_error(ret_error, -E2BIG, "query-rx-filter reply of %zu bytes, more than %u",
                                len, QMP_LINE_MAX);

        r = json_parse_bounded(
                        "query-rx-filter reply", json ?: "", len, RX_FILTER_JSON_DEPTH_MAX, &o, ret_error);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_array))
                return parse_error(ret_error, -EINVAL, "query-rx-filter reply is not a JSON array");

        n = json_object_array_length(o);
        if (n > RX_FILTER_LIST_MAX)
                return parse_error(ret_error, -E2BIG,
                                "query-rx-filter reply lists %zu NICs, at most %d accepted", n,
                                RX_FILTER_LIST_MAX);

        if (n > 0) {
                list = calloc(n, sizeof(RxFilter));
                if (!list)
                        return -ENOMEM;
        }

        for (size_t i = 0; i < n; i++) {
                r = rx_filter_from_json(json_object_array_get_idx(o, i), i, &list[i], ret_error);
                if (r < 0)
                        return r;

                /* The daemon finds NICs by name: two with one name would make that ambiguous. */
                for (size_t j = 0; j < i; j++)
                        if (streq(list[j].name, list[i].name)) {
                                char buf[EXCERPT_MAX];

                                return parse_error(ret_error, -EINVAL,
                                                "NIC #%zu: name \"%s\" also used by NIC #%zu", i,
                                                string_excerpt(list[i].name, strlen(list[i].name), buf), j);
                        }
        }

        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

bool rx_filter_equal(const RxFilter *a, const RxFilter *b) {
        if (a == b)
                return true;
        if (!a || !b)
                return false;

        /* Field by field: the tables beyond n_* and the padding hold nothing meaningful. */
        return strncmp(a->name, b->name, RX_FILTER_NAME_MAX) == 0 && a->promiscuous == b->promiscuous &&
               a->unicast == b->unicast && a->multicast == b->multicast && a->vlan == b->vlan &&
               a->unicast_overflow == b->unicast_overflow &&
               a->multicast_overflow == b->multicast_overflow &&
               ether_addr_equal(&a->main_mac, &b->main_mac) && a->n_unicast == b->n_unicast &&
               a->n_multicast == b->n_multicast &&
               memcmp(a->unicast_table, b->unicast_table, a->n_unicast * sizeof(EtherAddr)) == 0 &&
               memcmp(a->multicast_table, b->multicast_table, a->n_multicast * sizeof(EtherAddr)) == 0 &&
               vlan_set_equal(&a->vlans, &b->vlans);
}
