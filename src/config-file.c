/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "config-file.h"
#include "log.h"
#include "macro.h"
#include "parse-util.h"
#include "utf8.h"

#define CONFIG_LINE_MAX     4096
#define CONFIG_SECTIONS_MAX 1024
#define CONFIG_FILE_MAX     (1024 * 1024)
#define IFNAME_MAX          15 /* IFNAMSIZ without the NUL */

typedef enum Section {
        SECTION_NONE,
        SECTION_MANAGER,
        SECTION_GUEST,
        SECTION_INTERFACE,
        SECTION_BRIDGE,
        SECTION_UPLINK,
} Section;

static const char *const section_names[] = {
                [SECTION_MANAGER] = "Manager",
                [SECTION_GUEST] = "Guest",
                [SECTION_INTERFACE] = "Interface",
                [SECTION_BRIDGE] = "Bridge",
                [SECTION_UPLINK] = "Uplink",
};

static const char *const placement_mode_table[_PLACEMENT_MODE_MAX] = {
                [PLACEMENT_MODE_REPORT] = "report",
                [PLACEMENT_MODE_APPLY] = "apply",
};

const char *placement_mode_to_string(PlacementMode m) {
        return m >= 0 && m < _PLACEMENT_MODE_MAX ? placement_mode_table[m] : NULL;
}

PlacementMode placement_mode_from_string(const char *s) {
        return s ? (PlacementMode) string_table_lookup(placement_mode_table, _PLACEMENT_MODE_MAX, s)
                 : _PLACEMENT_MODE_INVALID;
}

int config_check_libvirt_uri(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n >= CONFIG_LIBVIRT_URI_MAX || !strstr(s, ":"))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] >= 0x7f)
                        return -EINVAL;
        return 0;
}

typedef enum NumberUnit {
        NUMBER_SECONDS, /* "N" or "N.F" with at most 6 decimals; kept in microseconds */
        NUMBER_INTEGER, /* "N" */
} NumberUnit;

/* The [Manager] keys that take a number: the one place their bounds and defaults are written.
 * config_init() and multiqueue_config_defaults() take the defaults from here, the parser, its
 * messages and multiqueue_config_verify() the bounds. Values are in the field's unit (microseconds
 * for NUMBER_SECONDS). */
typedef struct NumberKey {
        const char *key;
        NumberUnit unit;
        size_t offset; /* of a uint64_t in Config */
        uint64_t min, max, def;
} NumberKey;

#define SEC(x)         ((uint64_t) (x) *USEC_PER_SEC)
#define MULTIQUEUE(f)  offsetof(Config, multiqueue.f)
#define MULTIQUEUE_END (offsetof(Config, multiqueue) + sizeof(MultiqueueConfig))

static const NumberKey number_keys[] = {
                {"DebounceSec", NUMBER_SECONDS, offsetof(Config, debounce_usec), 0, SEC(10), SEC(1) / 20},
                {"ResyncSec", NUMBER_SECONDS, offsetof(Config, resync_usec), 0, SEC(86400), SEC(30)},
                /* A counter read 10 times a second tells nothing more. */
                {"MultiqueueSampleSec", NUMBER_SECONDS, offsetof(Config, sample_usec), SEC(1) / 10,
                                SEC(3600), SEC(5)},
                /* An idle host: one RTM_GETLINK per NIC per half minute. Never faster than the above. */
                {"MultiqueueIdleSampleSec", NUMBER_SECONDS, offsetof(Config, idle_sample_usec), SEC(1) / 10,
                                SEC(3600), SEC(30)},
                /* A minute at the default 5 s: long enough that one burst is not a trend, short enough
                 * to follow a workload that changes every few minutes. */
                {"MultiqueueWindowSamples", NUMBER_INTEGER, offsetof(Config, window_samples), 2,
                                CONFIG_WINDOW_SAMPLES_MAX, 12},
                /* The multiqueue policy's thresholds; why these defaults: MultiqueueConfig. A worker
                 * moves ~10^6 packets/s: 10^7 is above any NIC's idle and any pair's capacity. */
                {"MultiqueueIdlePacketRate", NUMBER_INTEGER, MULTIQUEUE(idle_packet_rate), 0, 10000000, 200},
                {"MultiqueueWorkerBusyHighPercent", NUMBER_INTEGER, MULTIQUEUE(worker_busy_high_percent), 1,
                                100, 75},
                /* At most half the high mark, which is at most 100. */
                {"MultiqueueWorkerBusyLowPercent", NUMBER_INTEGER, MULTIQUEUE(worker_busy_low_percent), 0,
                                50, 25},
                /* A tap's GSO super-frames are at most 64 KiB. */
                {"MultiqueueLargeFrameBytes", NUMBER_INTEGER, MULTIQUEUE(large_frame_bytes), 0, 65536,
                                16384},
                {"MultiqueuePacketRatePerPair", NUMBER_INTEGER, MULTIQUEUE(packet_rate_per_pair), 1000,
                                100000000, 250000},
                /* A change a day is as good as never. */
                {"MultiqueueHoldDownSec", NUMBER_SECONDS, MULTIQUEUE(hold_down_usec), 0, SEC(86400),
                                SEC(60)},
};

/* The [Manager] yes/no keys: one parser, one copy (config_copy_scalars()). */
static const struct {
        const char *key;
        size_t offset;
} bool_keys[] = {
                {"Libvirt", offsetof(Config, libvirt)},
                {"ResumeMigratedDomains", offsetof(Config, resume_migrated)},
};

static bool *bool_key_field(size_t i, Config *c) {
        return (bool *) ((char *) c + bool_keys[i].offset);
}

static bool number_key_is_multiqueue(const NumberKey *k) {
        return k->offset >= offsetof(Config, multiqueue) && k->offset < MULTIQUEUE_END;
}

/* The key's field in 'c'. */
static uint64_t *number_key_field(const NumberKey *k, Config *c) {
        return (uint64_t *) ((char *) c + k->offset);
}

/* The key's field in 'mq', NULL for a key that is not a multiqueue threshold. */
static uint64_t *number_key_multiqueue_field(const NumberKey *k, MultiqueueConfig *mq) {
        if (!number_key_is_multiqueue(k))
                return NULL;
        return (uint64_t *) ((char *) mq + (k->offset - offsetof(Config, multiqueue)));
}

static const NumberKey *number_key_find(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(number_keys); i++)
                if (streq(number_keys[i].key, key))
                        return &number_keys[i];
        return NULL;
}

/* 'v' as the key's value would be written: "0.1" for 100000 usec of a seconds key. */
static const char *number_format(const NumberKey *k, uint64_t v, char buf[static 32]) {
        uint64_t sec = v / USEC_PER_SEC, usec = v % USEC_PER_SEC;

        if (k->unit == NUMBER_INTEGER || usec == 0)
                (void) snprintf(buf, 32, "%" PRIu64, k->unit == NUMBER_INTEGER ? v : sec);
        else {
                int n = snprintf(buf, 32, "%" PRIu64 ".%06" PRIu64, sec, usec);

                while (n > 0 && buf[n - 1] == '0')
                        buf[--n] = 0;
        }
        return buf;
}

/* "N", or for seconds "N.F" with at most 6 decimals; no sign, blank or unit. -ERANGE outside the
 * key's bounds, however long the number. */
static int number_parse(const NumberKey *k, const char *s, uint64_t *ret) {
        uint64_t whole = 0, frac = 0, scale = USEC_PER_SEC,
                 unit = k->unit == NUMBER_SECONDS ? USEC_PER_SEC : 1;
        uint64_t cap = k->max / unit + 1, v;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        /* Saturate instead of overflowing: past the maximum the exact value no longer matters. */
        for (; *p >= '0' && *p <= '9'; p++)
                whole = MIN(whole * 10 + (unsigned) (*p - '0'), cap);
        if (*p == '.' && k->unit == NUMBER_SECONDS) {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                        scale /= 10;
                        if (scale == 0)
                                return -EINVAL; /* finer than a microsecond */
                        frac += (unsigned) (*p - '0') * scale;
                }
        }
        if (*p != 0)
                return -EINVAL;
        v = whole * unit + frac;
        if (whole >= cap || v < k->min || v > k->max)
                return -ERANGE;

        *ret = v;
        return 0;
}

/* Parses 'value' for 'k' into '*field', or sets '*ret_error' to "ORIGIN: Key=value: what is wrong". */
static int number_key_set(const NumberKey *k, uint64_t *field, const char *value, const char *origin,
                char **ret_error) {
        char buf[EXCERPT_MAX], min[32], max[32];
        int r;

        r = number_parse(k, value, field);
        if (r == -ERANGE)
                return parse_error(ret_error, r, "%s: %s=%s: out of range (%s-%s)", origin, k->key,
                                string_excerpt(value, strlen(value), buf), number_format(k, k->min, min),
                                number_format(k, k->max, max));
        if (r < 0)
                return parse_error(ret_error, r, "%s: %s=%s: %s", origin, k->key,
                                string_excerpt(value, strlen(value), buf),
                                k->unit == NUMBER_SECONDS ? "not a number of seconds"
                                                          : "not a decimal number");
        return 0;
}

MultiqueueConfig multiqueue_config_defaults(void) {
        MultiqueueConfig mq = {};

        for (size_t i = 0; i < ELEMENTSOF(number_keys); i++) {
                uint64_t *field = number_key_multiqueue_field(&number_keys[i], &mq);

                if (field)
                        *field = number_keys[i].def;
        }
        return mq;
}

int multiqueue_config_verify(const MultiqueueConfig *c, char **ret_error) {
        if (!c)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(number_keys); i++) {
                const NumberKey *k = &number_keys[i];
                const uint64_t *field = number_key_multiqueue_field(k, (MultiqueueConfig *) c);
                char v[32], min[32], max[32];

                if (field && (*field < k->min || *field > k->max))
                        return parse_error(ret_error, -ERANGE, "%s=%s: out of range (%s-%s)", k->key,
                                        number_format(k, *field, v), number_format(k, k->min, min),
                                        number_format(k, k->max, max));
        }
        /* A scale-up to ceil(total / high) pairs leaves each above half the high mark: a low mark
         * above that would call for fewer pairs right after every scale-up. */
        if (c->worker_busy_low_percent * 2 > c->worker_busy_high_percent)
                return parse_error(ret_error, -EINVAL,
                                "MultiqueueWorkerBusyLowPercent=%" PRIu64 " is more than half of "
                                "MultiqueueWorkerBusyHighPercent=%" PRIu64
                                ": pairs added for a load over the high mark would count as low at once",
                                c->worker_busy_low_percent, c->worker_busy_high_percent);
        if (c->idle_packet_rate >= c->packet_rate_per_pair)
                return parse_error(ret_error, -EINVAL,
                                "MultiqueueIdlePacketRate=%" PRIu64 " is not below "
                                "MultiqueuePacketRatePerPair=%" PRIu64
                                ": a NIC that fills a pair would count as idle",
                                c->idle_packet_rate, c->packet_rate_per_pair);
        return 0;
}

int config_set_multiqueue(
                MultiqueueConfig *c, const char *assignment, const char *origin, char **ret_error) {
        _cleanup_free_ char *key = NULL;
        char buf[EXCERPT_MAX];
        const NumberKey *k;
        const char *eq;
        uint64_t v;
        int r;

        if (!c || !assignment || !origin)
                return -EINVAL;
        eq = strchr(assignment, '=');
        if (!eq)
                return parse_error(ret_error, -EINVAL, "%s: expected Key=value, got %s", origin,
                                string_excerpt(assignment, strlen(assignment), buf));
        key = strndup(assignment, (size_t) (eq - assignment));
        if (!key)
                return -ENOMEM;
        k = number_key_find(key);
        if (!k || !number_key_is_multiqueue(k))
                return parse_error(ret_error, -ENOENT, "%s: unknown key %s: not a multiqueue threshold",
                                origin, string_excerpt(key, strlen(key), buf));
        r = number_key_set(k, &v, eq + 1, origin, ret_error);
        if (r < 0)
                return r;
        *number_key_multiqueue_field(k, c) = v;
        return 0;
}

void config_init(Config *c) {
        *c = (Config){
                        .log_level = -1,
                        .libvirt = true,
                        .libvirt_uri = CONFIG_LIBVIRT_URI_DEFAULT,
        };
        for (size_t i = 0; i < ELEMENTSOF(number_keys); i++)
                *number_key_field(&number_keys[i], c) = number_keys[i].def;
        /* Trust=no is the host default even when [Manager] does not say it. */
        nic_settings_init(&c->defaults);
        c->defaults.trust = 0;
        c->defaults.set = 1u << NIC_SETTING_TRUST;
}

static void config_guest_done(ConfigGuest *g) {
        free(g->name);
        free(g->qmp_socket);
        *g = (ConfigGuest){};
}

static void config_interface_init(ConfigInterface *i, unsigned line) {
        *i = (ConfigInterface){.line = line};
        nic_settings_init(&i->settings);
}

static void config_interface_done(ConfigInterface *i) {
        free(i->guest);
        free(i->name);
        free(i->host_device);
        config_interface_init(i, 0);
}

static void config_bridge_done(ConfigBridge *b) {
        free(b->name);
        *b = (ConfigBridge){.vlan_filtering = -1};
}

static void config_uplink_done(ConfigUplink *u) {
        free(u->name);
        *u = (ConfigUplink){.placement = _PLACEMENT_MODE_INVALID};
}

void config_done(Config *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n_guests; i++)
                config_guest_done(&c->guests[i]);
        free(c->guests);
        for (size_t i = 0; i < c->n_interfaces; i++)
                config_interface_done(&c->interfaces[i]);
        free(c->interfaces);
        for (size_t i = 0; i < c->n_bridges; i++)
                config_bridge_done(&c->bridges[i]);
        free(c->bridges);
        for (size_t i = 0; i < c->n_uplinks; i++)
                config_uplink_done(&c->uplinks[i]);
        free(c->uplinks);
        config_init(c);
}

static const ConfigGuest *config_find_guest(const Config *c, const char *name) {
        for (size_t i = 0; i < c->n_guests; i++)
                if (streq(c->guests[i].name, name))
                        return &c->guests[i];
        return NULL;
}

const ConfigInterface *config_find_interface(const Config *c, const char *guest, const char *name) {
        if (!c || !guest || !name)
                return NULL;
        for (size_t i = 0; i < c->n_interfaces; i++)
                if (streq(c->interfaces[i].guest, guest) && streq(c->interfaces[i].name, name))
                        return &c->interfaces[i];
        return NULL;
}

const ConfigBridge *config_find_bridge(const Config *c, const char *name) {
        if (!c || !name)
                return NULL;
        for (size_t i = 0; i < c->n_bridges; i++)
                if (streq(c->bridges[i].name, name))
                        return &c->bridges[i];
        return NULL;
}

const ConfigUplink *config_find_uplink(const Config *c, const char *name) {
        if (!c || !name)
                return NULL;
        for (size_t i = 0; i < c->n_uplinks; i++)
                if (streq(c->uplinks[i].name, name))
                        return &c->uplinks[i];
        return NULL;
}

PlacementMode config_uplink_placement(const Config *c, const ConfigUplink *u) {
        return u && u->placement >= 0 ? u->placement : c->placement;
}

/* Value checks return NULL when fine, else what is wrong, for the caller to put after "Key=value: ". */

static const char *check_name(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > CONFIG_NAME_MAX)
                return "must have 1-64 characters";
        if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
                return "may only contain A-Z a-z 0-9 _ . -";
        return NULL;
}

static bool has_control_chars(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

static const char *check_socket_path(const char *s) {
        if (s[0] != '/')
                return "must be an absolute path";
        /* connect() takes the path in sun_path with its NUL: anything longer cannot be reached. */
        if (strlen(s) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                return "is too long for a unix socket path";
        if (has_control_chars(s))
                return "contains control characters";
        return NULL;
}

static const char *check_ifname(const char *s) {
        /* The kernel's dev_valid_name() rules, minus control characters. */
        if (strlen(s) > IFNAME_MAX)
                return "is longer than 15 bytes";
        if (streq(s, ".") || streq(s, ".."))
                return "is not a valid interface name";
        for (const char *p = s; *p; p++)
                if (*p == '/' || *p == ':' || *p == ' ' || (*p >= '\t' && *p <= '\r'))
                        return "may not contain '/', ':' or whitespace";
        if (has_control_chars(s))
                return "contains control characters";
        return NULL;
}

typedef struct Parser {
        const Config *base; /* what the caller had: only read, for cross-checks */
        Config new;         /* its scalars, then what this text sets and adds */
        const char *filename;
        unsigned line;
        char **ret_error;
        Section section;
        unsigned section_line;
        unsigned n_sections;
        unsigned multiqueue_line; /* the last line setting a multiqueue threshold; 0 = none */
} Parser;

static void parser_done(Parser *p) {
        config_done(&p->new);
}

#define parser_error(p, line, error, format, ...)                                                           \
        parse_error((p)->ret_error, (error), "%s:%u: " format, (p)->filename, (line), ##__VA_ARGS__)

static int parser_value_error(Parser *p, int error, const char *key, const char *value, const char *why) {
        char buf[EXCERPT_MAX];

        return parser_error(
                        p, p->line, error, "%s=%s: %s", key, string_excerpt(value, strlen(value), buf), why);
}

static int grow(void **array, size_t n, size_t size) {
        void *q;

        q = reallocarray(*array, n + 1, size);
        if (!q)
                return -ENOMEM;
        *array = q;
        return 0;
}

/* Checks done when a section ends, so they see all of its keys. */
static int parser_end_section(Parser *p) {
        unsigned line = p->section_line;
        const char *why = NULL;

        if (p->section == SECTION_MANAGER) {
                if (nic_settings_check(&p->new.defaults, &why) < 0)
                        return parser_error(p, line, -EINVAL, "[Manager] NativeVLAN=%u: %s",
                                        p->new.defaults.native_vlan, why);
        } else if (p->section == SECTION_GUEST) {
                ConfigGuest *g = &p->new.guests[p->new.n_guests - 1];

                if (!g->name)
                        return parser_error(p, line, -EINVAL, "[Guest] needs Name=");
                if (!g->qmp_socket)
                        return parser_error(p, line, -EINVAL, "[Guest] %s needs QMPSocket=", g->name);
                if (config_find_guest(p->base, g->name))
                        return parser_error(
                                        p, line, -EINVAL, "duplicate guest %s, already configured", g->name);
                for (size_t i = 0; i + 1 < p->new.n_guests; i++)
                        if (streq(p->new.guests[i].name, g->name))
                                return parser_error(p, line, -EINVAL,
                                                "duplicate guest %s, first defined at line %u", g->name,
                                                p->new.guests[i].line);
        } else if (p->section == SECTION_INTERFACE) {
                ConfigInterface *f = &p->new.interfaces[p->new.n_interfaces - 1];

                if (!f->guest)
                        return parser_error(p, line, -EINVAL, "[Interface] needs Guest=");
                if (!f->name)
                        return parser_error(p, line, -EINVAL, "[Interface] needs Name=");
                if (nic_settings_check(&f->settings, &why) < 0)
                        return parser_error(p, line, -EINVAL, "[Interface] %s: NativeVLAN=%u: %s", f->name,
                                        f->settings.native_vlan, why);
        } else if (p->section == SECTION_BRIDGE) {
                ConfigBridge *b = &p->new.bridges[p->new.n_bridges - 1];

                if (!b->name)
                        return parser_error(p, line, -EINVAL, "[Bridge] needs Name=");
                if (config_find_bridge(p->base, b->name))
                        return parser_error(p, line, -EINVAL, "duplicate bridge %s, already configured",
                                        b->name);
                for (size_t i = 0; i + 1 < p->new.n_bridges; i++)
                        if (streq(p->new.bridges[i].name, b->name))
                                return parser_error(p, line, -EINVAL,
                                                "duplicate bridge %s, first defined at line %u", b->name,
                                                p->new.bridges[i].line);
        } else if (p->section == SECTION_UPLINK) {
                ConfigUplink *u = &p->new.uplinks[p->new.n_uplinks - 1];

                if (!u->name)
                        return parser_error(p, line, -EINVAL, "[Uplink] needs Name=");
                if (config_find_uplink(p->base, u->name))
                        return parser_error(p, line, -EINVAL, "duplicate uplink %s, already configured",
                                        u->name);
                for (size_t i = 0; i + 1 < p->new.n_uplinks; i++)
                        if (streq(p->new.uplinks[i].name, u->name))
                                return parser_error(p, line, -EINVAL,
                                                "duplicate uplink %s, first defined at line %u", u->name,
                                                p->new.uplinks[i].line);
        }

        p->section = SECTION_NONE;
        return 0;
}

static int parser_begin_section(Parser *p, const char *name) {
        char buf[EXCERPT_MAX];
        Section s = SECTION_NONE;
        int r;

        r = parser_end_section(p);
        if (r < 0)
                return r;

        for (size_t i = 1; i < ELEMENTSOF(section_names); i++)
                if (streq(name, section_names[i]))
                        s = (Section) i;
        if (s == SECTION_NONE)
                return parser_error(p, p->line, -EINVAL, "unknown section [%s]",
                                string_excerpt(name, strlen(name), buf));
        if (++p->n_sections > CONFIG_SECTIONS_MAX)
                return parser_error(p, p->line, -E2BIG, "more than %d sections", CONFIG_SECTIONS_MAX);

        if (s == SECTION_GUEST) {
                r = grow((void **) &p->new.guests, p->new.n_guests, sizeof(ConfigGuest));
                if (r < 0)
                        return r;
                p->new.guests[p->new.n_guests++] = (ConfigGuest){.line = p->line};
        } else if (s == SECTION_INTERFACE) {
                r = grow((void **) &p->new.interfaces, p->new.n_interfaces, sizeof(ConfigInterface));
                if (r < 0)
                        return r;
                config_interface_init(&p->new.interfaces[p->new.n_interfaces++], p->line);
        } else if (s == SECTION_BRIDGE) {
                r = grow((void **) &p->new.bridges, p->new.n_bridges, sizeof(ConfigBridge));
                if (r < 0)
                        return r;
                p->new.bridges[p->new.n_bridges++] = (ConfigBridge){.vlan_filtering = -1, .line = p->line};
        } else if (s == SECTION_UPLINK) {
                r = grow((void **) &p->new.uplinks, p->new.n_uplinks, sizeof(ConfigUplink));
                if (r < 0)
                        return r;
                p->new.uplinks[p->new.n_uplinks++] =
                                (ConfigUplink){.placement = _PLACEMENT_MODE_INVALID, .line = p->line};
        }

        p->section = s;
        p->section_line = p->line;
        return 0;
}

static int parser_set_string(Parser *p, char **field, const char *key, const char *value, const char *why) {
        if (why)
                return parser_value_error(p, -EINVAL, key, value, why);
        return free_and_strdup(field, value);
}

static int parser_set_nic_setting(Parser *p, NicSettings *s, const char *key, const char *value) {
        const char *why = NULL;
        int r;

        r = nic_settings_set(s, nic_setting_from_key(key), value, &why);
        if (r < 0)
                return parser_value_error(p, r, key, value, why);
        return 0;
}

static int parser_set_placement(Parser *p, PlacementMode *field, const char *key, const char *value) {
        PlacementMode m = placement_mode_from_string(value);

        if (m < 0)
                return parser_value_error(p, -EINVAL, key, value, "not report or apply");
        *field = m;
        return 0;
}

static int parser_assign(Parser *p, const char *key, const char *value) {
        char kbuf[EXCERPT_MAX];
        const NumberKey *k;
        int r;

        if (value[0] == 0)
                return parser_error(p, p->line, -EINVAL, "%s= needs a value",
                                string_excerpt(key, strlen(key), kbuf));

        switch (p->section) {
        case SECTION_MANAGER:
                if (streq(key, "LogLevel")) {
                        r = log_level_from_string(value);
                        if (r < 0)
                                return parser_value_error(p, -EINVAL, key, value,
                                                "not one of err, warning, notice, info, debug");
                        p->new.log_level = r;
                        return 0;
                }
                k = number_key_find(key);
                if (k) {
                        char origin[PATH_MAX + 16]; /* "FILE:LINE" */

                        (void) snprintf(origin, sizeof(origin), "%s:%u", p->filename, p->line);
                        r = number_key_set(k, number_key_field(k, &p->new), value, origin, p->ret_error);
                        if (r >= 0 && number_key_is_multiqueue(k))
                                p->multiqueue_line = p->line;
                        return r;
                }
                for (size_t i = 0; i < ELEMENTSOF(bool_keys); i++) {
                        if (!streq(key, bool_keys[i].key))
                                continue;
                        r = parse_boolean(value);
                        if (r < 0)
                                return parser_value_error(p, r, key, value, "not yes or no");
                        *bool_key_field(i, &p->new) = r;
                        return 0;
                }
                /* Every per-NIC setting, as the host's default. */
                if (nic_setting_from_key(key) >= 0)
                        return parser_set_nic_setting(p, &p->new.defaults, key, value);
                if (streq(key, "LibvirtURI")) {
                        r = config_check_libvirt_uri(value);
                        if (r < 0)
                                return parser_value_error(p, r, key, value,
                                                "not a libvirt URI (driver:///path, printable, at most 255 "
                                                "bytes)");
                        (void) snprintf(p->new.libvirt_uri, sizeof(p->new.libvirt_uri), "%s", value);
                        return 0;
                }
                if (streq(key, "ReservedCPUs")) {
                        r = cpu_set_from_string(value, &p->new.reserved_cpus);
                        if (r < 0)
                                return parser_value_error(p, r, key, value,
                                                r == -ERANGE ? "a CPU above 8191 or a reversed range"
                                                             : "not a CPU list such as 0-1,4");
                        return 0;
                }
                if (streq(key, "Placement"))
                        return parser_set_placement(p, &p->new.placement, key, value);
                break;

        case SECTION_GUEST: {
                ConfigGuest *g = &p->new.guests[p->new.n_guests - 1];

                if (streq(key, "Name"))
                        return parser_set_string(p, &g->name, key, value, check_name(value));
                if (streq(key, "QMPSocket"))
                        return parser_set_string(p, &g->qmp_socket, key, value, check_socket_path(value));
                break;
        }

        case SECTION_INTERFACE: {
                ConfigInterface *f = &p->new.interfaces[p->new.n_interfaces - 1];

                if (streq(key, "Guest"))
                        return parser_set_string(p, &f->guest, key, value, check_name(value));
                if (streq(key, "Name"))
                        return parser_set_string(p, &f->name, key, value, check_name(value));
                if (streq(key, "HostDevice"))
                        return parser_set_string(p, &f->host_device, key, value, check_ifname(value));
                if (nic_setting_from_key(key) >= 0)
                        return parser_set_nic_setting(p, &f->settings, key, value);
                break;
        }

        case SECTION_BRIDGE: {
                ConfigBridge *b = &p->new.bridges[p->new.n_bridges - 1];

                if (streq(key, "Name"))
                        return parser_set_string(p, &b->name, key, value, check_ifname(value));
                if (streq(key, "VLANFiltering")) {
                        r = parse_boolean(value);
                        if (r < 0)
                                return parser_value_error(p, r, key, value, "not yes or no");
                        b->vlan_filtering = r;
                        return 0;
                }
                break;
        }

        case SECTION_UPLINK: {
                ConfigUplink *u = &p->new.uplinks[p->new.n_uplinks - 1];

                if (streq(key, "Name"))
                        return parser_set_string(p, &u->name, key, value, check_ifname(value));
                if (streq(key, "Placement"))
                        return parser_set_placement(p, &u->placement, key, value);
                break;
        }

        default:
                return parser_error(p, p->line, -EINVAL, "%s= outside of any section",
                                string_excerpt(key, strlen(key), kbuf));
        }

        return parser_error(p, p->line, -EINVAL, "unknown key %s in [%s]",
                        string_excerpt(key, strlen(key), kbuf), section_names[p->section]);
}

static char *strip(char *s) {
        char *e;

        s += strspn(s, " \t");
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                *--e = 0;
        return s;
}

static int parser_line(Parser *p, char *l) {
        char buf[EXCERPT_MAX];
        char *eq, *key;

        l = strip(l);
        if (l[0] == 0 || l[0] == '#' || l[0] == ';')
                return 0;
        /* Names and paths end up on D-Bus, which takes UTF-8 only. */
        if (!utf8_is_valid(l))
                return parser_error(p, p->line, -EINVAL, "not valid UTF-8");

        if (l[0] == '[') {
                char *end = strchr(l, ']');

                if (!end || end[1] != 0)
                        return parser_error(p, p->line, -EINVAL, "bad section header %s",
                                        string_excerpt(l, strlen(l), buf));
                *end = 0;
                return parser_begin_section(p, l + 1);
        }

        eq = strchr(l, '=');
        if (!eq)
                return parser_error(p, p->line, -EINVAL,
                                "expected Key=value, a [Section] or a comment, got %s",
                                string_excerpt(l, strlen(l), buf));
        *eq = 0;
        key = strip(l);
        if (key[0] == 0)
                return parser_error(p, p->line, -EINVAL, "no key before '='");
        if (strlen(key) > 64)
                return parser_error(p, p->line, -EINVAL, "unknown key %s",
                                string_excerpt(key, strlen(key), buf));
        return parser_assign(p, key, strip(eq + 1));
}

/* Cross-checks over the whole result (the caller's entries and ours), once every section is read:
 * an [Interface] may name a guest defined further down, a threshold be set before the one it is
 * checked against. */
static int parser_check(Parser *p) {
        _cleanup_free_ char *why = NULL;
        int r;

        /* Against the thresholds in force after this text: the caller's were fine. */
        r = multiqueue_config_verify(&p->new.multiqueue, p->ret_error ? &why : NULL);
        if (r < 0 && p->multiqueue_line == 0)
                return parse_error(p->ret_error, r, "%s: %s", p->filename, why ?: "");
        if (r < 0)
                return parser_error(p, p->multiqueue_line, r, "%s", why ?: "");

        for (size_t i = 0; i < p->new.n_interfaces; i++) {
                const ConfigInterface *f = &p->new.interfaces[i];

                if (!config_find_guest(p->base, f->guest) && !config_find_guest(&p->new, f->guest))
                        return parser_error(p, f->line, -EINVAL, "[Interface] %s names unknown guest %s",
                                        f->name, f->guest);
                if (config_find_interface(p->base, f->guest, f->name))
                        return parser_error(p, f->line, -EINVAL,
                                        "duplicate interface %s of guest %s, already configured", f->name,
                                        f->guest);

                for (size_t j = 0; j < i; j++) {
                        const ConfigInterface *o = &p->new.interfaces[j];

                        if (streq(o->guest, f->guest) && streq(o->name, f->name))
                                return parser_error(p, f->line, -EINVAL,
                                                "duplicate interface %s of guest %s, first defined at line "
                                                "%u",
                                                f->name, f->guest, o->line);
                        if (f->host_device && streq_ptr(o->host_device, f->host_device))
                                return parser_error(p, f->line, -EINVAL,
                                                "HostDevice=%s already used by the interface at line %u",
                                                f->host_device, o->line);
                }
                for (size_t j = 0; f->host_device && j < p->base->n_interfaces; j++)
                        if (streq_ptr(p->base->interfaces[j].host_device, f->host_device))
                                return parser_error(p, f->line, -EINVAL, "HostDevice=%s already configured",
                                                f->host_device);
        }
        return 0;
}

/* What a later file overrides: everything but the sections' arrays. */
static void config_copy_scalars(Config *to, const Config *from) {
        to->log_level = from->log_level;
        for (size_t i = 0; i < ELEMENTSOF(number_keys); i++)
                *number_key_field(&number_keys[i], to) = *number_key_field(&number_keys[i], (Config *) from);
        to->defaults = from->defaults;
        for (size_t i = 0; i < ELEMENTSOF(bool_keys); i++)
                *bool_key_field(i, to) = *bool_key_field(i, (Config *) from);
        memcpy(to->libvirt_uri, from->libvirt_uri, sizeof(to->libvirt_uri));
        to->reserved_cpus = from->reserved_cpus;
        to->placement = from->placement;
}

/* Appends what 'new' holds to 'c' and takes its scalars. Everything that can fail happens before
 * 'c' changes in a way anyone can see. */
static int config_merge(Config *c, Config *new) {
        if (new->n_guests > 0) {
                ConfigGuest *g = reallocarray(c->guests, c->n_guests + new->n_guests, sizeof(ConfigGuest));
                if (!g)
                        return -ENOMEM;
                c->guests = g;
        }
        if (new->n_interfaces > 0) {
                ConfigInterface *f = reallocarray(
                                c->interfaces, c->n_interfaces + new->n_interfaces, sizeof(ConfigInterface));
                if (!f)
                        return -ENOMEM;
                c->interfaces = f;
        }

        if (new->n_bridges > 0) {
                ConfigBridge *b = reallocarray(
                                c->bridges, c->n_bridges + new->n_bridges, sizeof(ConfigBridge));
                if (!b)
                        return -ENOMEM;
                c->bridges = b;
        }

        if (new->n_uplinks > 0) {
                ConfigUplink *u = reallocarray(
                                c->uplinks, c->n_uplinks + new->n_uplinks, sizeof(ConfigUplink));
                if (!u)
                        return -ENOMEM;
                c->uplinks = u;
        }

        if (new->n_bridges > 0)
                memcpy(c->bridges + c->n_bridges, new->bridges, new->n_bridges * sizeof(ConfigBridge));
        c->n_bridges += new->n_bridges;
        if (new->n_uplinks > 0)
                memcpy(c->uplinks + c->n_uplinks, new->uplinks, new->n_uplinks * sizeof(ConfigUplink));
        c->n_uplinks += new->n_uplinks;
        if (new->n_guests > 0)
                memcpy(c->guests + c->n_guests, new->guests, new->n_guests * sizeof(ConfigGuest));
        if (new->n_interfaces > 0)
                memcpy(c->interfaces + c->n_interfaces, new->interfaces,
                                new->n_interfaces * sizeof(ConfigInterface));
        c->n_guests += new->n_guests;
        c->n_interfaces += new->n_interfaces;
        config_copy_scalars(c, new);

        /* The strings moved to 'c': 'new' only keeps its (now empty) arrays. */
        free(new->guests);
        free(new->interfaces);
        free(new->bridges);
        free(new->uplinks);
        config_init(new);
        return 0;
}

int config_parse_string(Config *c, const char *text, size_t len, const char *filename, char **ret_error) {
        _cleanup_(parser_done) Parser p = {
                        .base = c,
                        .filename = filename ?: "<string>",
                        .ret_error = ret_error,
        };
        const char *s = text, *end = text + len;
        int r;

        if (!c || (!text && len > 0))
                return -EINVAL;

        config_init(&p.new);
        config_copy_scalars(&p.new, c);

        /* A UTF-8 byte order mark, as some editors write, is not part of the first line. */
        if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
                s += 3;

        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t) (end - s));
                size_t n = (nl ?: end) - s;
                char line[CONFIG_LINE_MAX + 1];

                p.line++;
                if (n > 0 && s[n - 1] == '\r')
                        n--;
                if (n > CONFIG_LINE_MAX)
                        return parser_error(
                                        &p, p.line, -E2BIG, "line longer than %d bytes", CONFIG_LINE_MAX);
                if (memchr(s, 0, n))
                        return parser_error(&p, p.line, -EINVAL, "line contains a NUL byte");
                memcpy(line, s, n);
                line[n] = 0;

                r = parser_line(&p, line);
                if (r < 0)
                        return r;

                s = nl ? nl + 1 : end;
        }

        r = parser_end_section(&p);
        if (r < 0)
                return r;
        r = parser_check(&p);
        if (r < 0)
                return r;

        return config_merge(c, &p.new);
}

int config_parse_file(Config *c, const char *path, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t len = 0;

        if (!c || !path)
                return -EINVAL;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return parse_error(ret_error, -errno, "%s: cannot open: %s", path, strerror(errno));
        if (fstat(fd, &st) < 0)
                return parse_error(ret_error, -errno, "%s: cannot stat: %s", path, strerror(errno));
        if (S_ISDIR(st.st_mode))
                return parse_error(ret_error, -EISDIR, "%s: is a directory", path);

        /* One byte more than allowed, to tell "exactly 1 MiB" from "larger". */
        text = malloc(CONFIG_FILE_MAX + 1);
        if (!text)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, text + len, CONFIG_FILE_MAX + 1 - len);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return parse_error(ret_error, -errno, "%s: cannot read: %s", path, strerror(errno));
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > CONFIG_FILE_MAX)
                        return parse_error(ret_error, -E2BIG, "%s: larger than 1 MiB", path);
        }

        return config_parse_string(c, text, len, path, ret_error);
}

static int drop_in_filter(const struct dirent *de) {
        size_t n = strlen(de->d_name);

        return de->d_name[0] != '.' && n > 5 && streq(de->d_name + n - 5, ".conf");
}

int config_load(Config *c, const char *path, bool optional, char **ret_error) {
        _cleanup_free_ char *dir = NULL;
        struct dirent **list = NULL;
        int r, n, loaded = 0;

        if (!c || !path)
                return -EINVAL;

        r = config_parse_file(c, path, ret_error);
        if (r == -ENOENT && optional) {
                if (ret_error)
                        *ret_error = mfree(*ret_error);
        } else if (r < 0)
                return r;
        else
                loaded++;

        if (asprintf(&dir, "%s.d", path) < 0)
                return -ENOMEM;
        n = scandir(dir, &list, drop_in_filter, alphasort);
        if (n < 0) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return loaded;
                return parse_error(ret_error, -errno, "%s: cannot read the directory: %s", dir,
                                strerror(errno));
        }
        r = 0;
        if (n > CONFIG_DROP_INS_MAX)
                r = parse_error(ret_error, -E2BIG, "%s: more than %d drop-ins", dir, CONFIG_DROP_INS_MAX);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *file = NULL;

                if (r >= 0 && asprintf(&file, "%s/%s", dir, list[i]->d_name) < 0)
                        r = -ENOMEM;
                if (r >= 0) {
                        r = config_parse_file(c, file, ret_error);
                        loaded++;
                }
                free(list[i]);
        }
        free(list);
        return r < 0 ? r : loaded;
}

int config_add_guest_arg(Config *c, const char *arg, char **ret_error) {
        _cleanup_free_ char *name = NULL, *path = NULL;
        char buf[EXCERPT_MAX];
        const char *eq, *why;
        int r;

        if (!c || !arg)
                return -EINVAL;

        if (!utf8_is_valid(arg))
                return parse_error(ret_error, -EINVAL, "%s: not valid UTF-8",
                                string_excerpt(arg, strlen(arg), buf));
        eq = strchr(arg, '=');
        if (!eq)
                return parse_error(ret_error, -EINVAL, "%s: expected NAME=PATH",
                                string_excerpt(arg, strlen(arg), buf));
        name = strndup(arg, (size_t) (eq - arg));
        path = strdup(eq + 1);
        if (!name || !path)
                return -ENOMEM;

        why = check_name(name);
        if (why)
                return parse_error(ret_error, -EINVAL, "%s: guest name %s",
                                string_excerpt(arg, strlen(arg), buf), why);
        why = check_socket_path(path);
        if (why)
                return parse_error(ret_error, -EINVAL, "%s: QMP socket %s",
                                string_excerpt(arg, strlen(arg), buf), why);
        if (config_find_guest(c, name))
                return parse_error(ret_error, -EINVAL, "%s: duplicate guest %s, already configured",
                                string_excerpt(arg, strlen(arg), buf), name);

        r = grow((void **) &c->guests, c->n_guests, sizeof(ConfigGuest));
        if (r < 0)
                return r;
        c->guests[c->n_guests++] = (ConfigGuest){
                        .name = TAKE_PTR(name),
                        .qmp_socket = TAKE_PTR(path),
        };
        return 0;
}
