/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
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
#define DEBOUNCE_SEC_MAX    10
#define RESYNC_SEC_MAX      86400
#define SAMPLE_SEC_MAX      3600
#define IFNAME_MAX          15 /* IFNAMSIZ without the NUL */

typedef enum Section {
        SECTION_NONE,
        SECTION_MANAGER,
        SECTION_GUEST,
        SECTION_INTERFACE,
        SECTION_BRIDGE,
} Section;

static const char *const section_names[] = {
                [SECTION_MANAGER] = "Manager",
                [SECTION_GUEST] = "Guest",
                [SECTION_INTERFACE] = "Interface",
                [SECTION_BRIDGE] = "Bridge",
};

int config_check_libvirt_uri(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n >= CONFIG_LIBVIRT_URI_MAX || !strstr(s, ":"))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] >= 0x7f)
                        return -EINVAL;
        return 0;
}

void config_init(Config *c) {
        *c = (Config){
                        .log_level = -1,
                        .debounce_usec = 50 * 1000,
                        .resync_usec = 30 * USEC_PER_SEC,
                        .sample_usec = 5 * USEC_PER_SEC,
                        .libvirt = true,
                        .libvirt_uri = CONFIG_LIBVIRT_URI_DEFAULT,
        };
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

/* The [Manager] keys that take seconds, with their bounds. */
typedef struct SecondsKey {
        const char *key;
        size_t offset; /* of the unsigned long long usec field in Config */
        unsigned long long min_usec;
        const char *min_text;
        unsigned max_sec;
} SecondsKey;

static const SecondsKey seconds_keys[] = {
                {"DebounceSec", offsetof(Config, debounce_usec), 0, "0", DEBOUNCE_SEC_MAX},
                {"ResyncSec", offsetof(Config, resync_usec), 0, "0", RESYNC_SEC_MAX},
                /* A counter read 10 times a second tells nothing more. */
                {"MultiqueueSampleSec", offsetof(Config, sample_usec), USEC_PER_SEC / 10, "0.1",
                                SAMPLE_SEC_MAX},
};

/* "N" or "N.F" seconds with at most 6 decimals, no sign, no unit; -ERANGE above 'max_sec'. */
static int parse_seconds(const char *s, unsigned max_sec, unsigned long long *ret) {
        unsigned long long sec = 0, usec = 0, scale = USEC_PER_SEC;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        /* Saturate instead of overflowing: past 'max_sec' the exact value no longer matters. */
        for (; *p >= '0' && *p <= '9'; p++)
                sec = MIN(sec * 10 + (unsigned) (*p - '0'), (unsigned long long) max_sec + 1);
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                        scale /= 10;
                        if (scale == 0)
                                return -EINVAL; /* finer than a microsecond */
                        usec += (unsigned) (*p - '0') * scale;
                }
        }
        if (*p != 0)
                return -EINVAL;
        if (sec > max_sec || (sec == max_sec && usec > 0))
                return -ERANGE;

        *ret = sec * USEC_PER_SEC + usec;
        return 0;
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

static int parser_assign(Parser *p, const char *key, const char *value) {
        char buf[EXCERPT_MAX], kbuf[EXCERPT_MAX];
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
                for (size_t i = 0; i < ELEMENTSOF(seconds_keys); i++) {
                        const SecondsKey *k = &seconds_keys[i];
                        unsigned long long *field = (unsigned long long *) ((char *) &p->new + k->offset);

                        if (!streq(key, k->key))
                                continue;
                        r = parse_seconds(value, k->max_sec, field);
                        if (r >= 0 && *field < k->min_usec)
                                r = -ERANGE;
                        if (r == -ERANGE)
                                return parser_error(p, p->line, r, "%s=%s: out of range (%s-%u)", key,
                                                string_excerpt(value, strlen(value), buf), k->min_text,
                                                k->max_sec);
                        if (r < 0)
                                return parser_value_error(p, r, key, value, "not a number of seconds");
                        return 0;
                }
                if (streq(key, "Libvirt") || streq(key, "ResumeMigratedDomains")) {
                        r = parse_boolean(value);
                        if (r < 0)
                                return parser_value_error(p, r, key, value, "not yes or no");
                        *(streq(key, "Libvirt") ? &p->new.libvirt : &p->new.resume_migrated) = r;
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
 * an [Interface] may name a guest defined further down. */
static int parser_check(Parser *p) {
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

        if (new->n_bridges > 0)
                memcpy(c->bridges + c->n_bridges, new->bridges, new->n_bridges * sizeof(ConfigBridge));
        c->n_bridges += new->n_bridges;
        if (new->n_guests > 0)
                memcpy(c->guests + c->n_guests, new->guests, new->n_guests * sizeof(ConfigGuest));
        if (new->n_interfaces > 0)
                memcpy(c->interfaces + c->n_interfaces, new->interfaces,
                                new->n_interfaces * sizeof(ConfigInterface));
        c->n_guests += new->n_guests;
        c->n_interfaces += new->n_interfaces;
        c->log_level = new->log_level;
        c->debounce_usec = new->debounce_usec;
        c->resync_usec = new->resync_usec;
        c->sample_usec = new->sample_usec;
        c->defaults = new->defaults;
        c->libvirt = new->libvirt;
        c->resume_migrated = new->resume_migrated;
        memcpy(c->libvirt_uri, new->libvirt_uri, sizeof(c->libvirt_uri));

        /* The strings moved to 'c': 'new' only keeps its (now empty) arrays. */
        free(new->guests);
        free(new->interfaces);
        free(new->bridges);
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
        p.new.log_level = c->log_level;
        p.new.debounce_usec = c->debounce_usec;
        p.new.resync_usec = c->resync_usec;
        p.new.sample_usec = c->sample_usec;
        p.new.defaults = c->defaults;
        p.new.libvirt = c->libvirt;
        p.new.resume_migrated = c->resume_migrated;
        memcpy(p.new.libvirt_uri, c->libvirt_uri, sizeof(p.new.libvirt_uri));

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
