/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hmp-network.h"
#include "macro.h"
#include "parse-util.h"
#include "qmp-message.h"

/* The lines of 'info network' in QEMU 7.2 (net/net.c hmp_info_network(), net/hub.c net_hub_info()):
 *
 *   hub 0                                                  a hub, then its ports:
 *    \ hub0port1: #net158: index=0,type=user,...           port: the client on it
 *    \ hub0port0: virtio-net-pci.0: index=0,type=nic,...   (a NIC on a hub)
 *   hn5: index=0,type=tap,ifname=vnict5,...                a netdev without NIC
 *   net0: index=0,type=nic,model=virtio-net-pci,...        a NIC (one line per queue pair) ...
 *    \ hn0: index=0,type=tap,fd=11                         ... and its peer, the same queue
 *   filters:                                               after any client with filters
 *     - f0: type=filter-buffer,...
 *
 * Hubs come first; a netdev with a peer is only printed under its NIC. A client line is
 * "NAME: index=Q,type=TYPE," followed by the client's own text (QEMU prints the comma even when
 * that text is empty). */

#define FIELD_SIZE(t, f) sizeof(((t *) NULL)->f)

#define TYPE_NIC         "nic"
#define TYPE_TAP         "tap"
#define TYPE_HUBPORT     "hubport"

/* One "NAME: index=Q,type=TYPE,INFO", pointing into the input. */
typedef struct ClientLine {
        const char *name;
        size_t name_len;
        unsigned index;
        const char *type;
        size_t type_len;
        const char *info;
        size_t info_len;
} ClientLine;

typedef struct Parser {
        HmpNetClient *list;
        size_t n, n_alloc;
        bool in_hub;     /* " \ " lines are hub ports until the next top-level line */
        bool in_nic;     /* list[n - 1] is the NIC whose queues and peers are being read */
        unsigned queues; /* queue lines of that NIC so far */
        bool peer_seen;  /* its last queue line got its " \ " peer line */
        size_t nic_line; /* where that queue line is */
        bool filters_ok; /* the last line was a client line: "filters:" may follow */
        bool in_filters; /* "  - " filter lines may follow */
        size_t line;     /* 1-based, for messages */
        char **ret_error;
} Parser;

static bool mem_has_prefix(const char *s, size_t len, const char *prefix) {
        size_t k = strlen(prefix);

        return len >= k && memcmp(s, prefix, k) == 0;
}

static bool mem_eq(const char *s, size_t len, const char *t) {
        return strlen(t) == len && memcmp(s, t, len) == 0;
}

static size_t span_digits(const char *s, size_t len) {
        size_t i = 0;

        while (i < len && s[i] >= '0' && s[i] <= '9')
                i++;
        return i;
}

/* Decimal without sign, at most 'max'; the whole span must be digits. */
static int parse_uint(const char *s, size_t len, unsigned max, unsigned *ret) {
        unsigned long v = 0;

        if (len == 0 || span_digits(s, len) != len || len > 10)
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                v = v * 10 + (unsigned) (s[i] - '0');
        if (v > max)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

/* Copies a name of 1 to 'size' - 1 bytes without control characters, as query-rx-filter's names. */
static int name_copy(Parser *p, const char *what, const char *s, size_t len, char *dst, size_t size) {
        char buf[EXCERPT_MAX];

        if (len == 0 || len >= size)
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: %s \"%s\" must have 1-%zu bytes", p->line, what,
                                string_excerpt(s, len, buf), size - 1);
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
                        return parse_error(p->ret_error, -EINVAL,
                                        "info network line %zu: %s \"%s\" contains a control character",
                                        p->line, what, string_excerpt(s, len, buf));
        memcpy(dst, s, len);
        dst[len] = 0;
        return 0;
}

/* The kernel's dev_valid_name(): what a tap QEMU opened by name can be called. */
static bool ifname_valid(const char *s, size_t len) {
        if (len == 0 || len >= IFNAMSIZ || mem_eq(s, len, ".") || mem_eq(s, len, ".."))
                return false;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) s[i] <= 0x20 || s[i] == 0x7f || s[i] == '/' || s[i] == ':')
                        return false;
        return true;
}

/* "NAME: index=Q,type=TYPE[,INFO]" */
static int client_line_parse(Parser *p, const char *s, size_t len, ClientLine *ret) {
        char buf[EXCERPT_MAX];
        ClientLine c = {.name = s};
        const char *colon;
        size_t k;

        colon = memmem(s, len, ": ", 2);
        if (!colon)
                goto bad;
        c.name_len = (size_t) (colon - s);
        s = colon + 2;
        len -= c.name_len + 2;

        if (!mem_has_prefix(s, len, "index="))
                goto bad;
        s += 6;
        len -= 6;
        k = span_digits(s, len);
        if (parse_uint(s, k, HMP_NET_QUEUES_MAX - 1, &c.index) < 0)
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: \"index=\" is not a queue number below %d", p->line,
                                HMP_NET_QUEUES_MAX);
        s += k;
        len -= k;

        if (!mem_has_prefix(s, len, ",type="))
                goto bad;
        s += 6;
        len -= 6;
        /* QAPI's NetClientDriver names: lower case, digits, '-' */
        for (k = 0; k < len && s[k] != ','; k++)
                if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9') || s[k] == '-'))
                        return parse_error(p->ret_error, -EINVAL,
                                        "info network line %zu: \"type=%s\" is not a client type", p->line,
                                        string_excerpt(s, len, buf));
        if (k == 0 || k >= FIELD_SIZE(HmpNetClient, type))
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: client type \"%s\" must have 1-%zu bytes", p->line,
                                string_excerpt(s, k, buf), FIELD_SIZE(HmpNetClient, type) - 1);
        c.type = s;
        c.type_len = k;
        if (k < len) {
                c.info = s + k + 1;
                c.info_len = len - k - 1;
        } else
                c.info = s + k;

        *ret = c;
        return 0;

bad:
        return parse_error(p->ret_error, -EINVAL,
                        "info network line %zu: \"%s\" is not \"NAME: index=N,type=TYPE,...\"", p->line,
                        string_excerpt(c.name, (size_t) (s - c.name) + len, buf));
}

/* An id-less NIC gets a new automatic name MODEL.N per queue ("virtio-net-pci.2" for queue 0,
 * "virtio-net-pci.3" for queue 1); a NIC with an id repeats it. */
static bool queue_name_matches(const char *first, const char *s, size_t len) {
        const char *dot = strrchr(first, '.');
        size_t prefix;

        if (mem_eq(s, len, first))
                return true;
        if (!dot || dot[1] == 0 || span_digits(dot + 1, strlen(dot + 1)) != strlen(dot + 1))
                return false;
        prefix = (size_t) (dot + 1 - first);
        return len > prefix && memcmp(s, first, prefix) == 0 &&
               span_digits(s + prefix, len - prefix) == len - prefix;
}

/* Leaving a NIC's lines: a NIC with a peer has one for every queue. */
static int nic_end(Parser *p) {
        char buf[EXCERPT_MAX];
        const HmpNetClient *nic;

        if (!p->in_nic)
                return 0;
        p->in_nic = false;
        nic = &p->list[p->n - 1];
        if (!p->peer_seen && nic->netdev[0])
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: queue %u of NIC %s has no peer line, queue 0 has "
                                "one",
                                p->nic_line, p->queues - 1, string_excerpt(nic->nic, strlen(nic->nic), buf));
        return 0;
}

/* A netdev (or hub port) is the peer of one NIC: the last one, which just got it. */
static int netdev_check_unique(Parser *p) {
        const HmpNetClient *nic = &p->list[p->n - 1];
        char buf[EXCERPT_MAX];

        for (size_t i = 0; i + 1 < p->n; i++)
                if (streq(p->list[i].netdev, nic->netdev))
                        return parse_error(p->ret_error, -EINVAL,
                                        "info network line %zu: netdev %s is the peer of NICs %s and %s",
                                        p->line, string_excerpt(nic->netdev, strlen(nic->netdev), buf),
                                        p->list[i].nic, nic->nic);
        return 0;
}

/* Queue 0 of a NIC: a new entry. 'port' is the hub port it hangs on, NULL outside a hub. */
static int nic_add(Parser *p, const ClientLine *c, const char *port, size_t port_len) {
        char buf[EXCERPT_MAX];
        HmpNetClient *nic;
        int r;

        if (p->n >= RX_FILTER_LIST_MAX)
                return parse_error(p->ret_error, -E2BIG, "info network lists more than %d NICs",
                                RX_FILTER_LIST_MAX);
        if (p->n >= p->n_alloc) {
                size_t k = MIN(MAX(p->n_alloc * 2, (size_t) 8), (size_t) RX_FILTER_LIST_MAX);
                HmpNetClient *l;

                l = reallocarray(p->list, k, sizeof(HmpNetClient));
                if (!l)
                        return -ENOMEM;
                p->list = l;
                p->n_alloc = k;
        }
        nic = &p->list[p->n];
        *nic = (HmpNetClient){};
        r = name_copy(p, "NIC name", c->name, c->name_len, nic->nic, sizeof(nic->nic));
        if (r < 0)
                return r;
        if (port) {
                r = name_copy(p, "hub port", port, port_len, nic->netdev, sizeof(nic->netdev));
                if (r < 0)
                        return r;
                strcpy(nic->type, TYPE_HUBPORT);
        }

        /* The daemon finds NICs by name: two with one name would make that ambiguous. */
        for (size_t i = 0; i < p->n; i++)
                if (streq(p->list[i].nic, nic->nic))
                        return parse_error(p->ret_error, -EINVAL,
                                        "info network line %zu: NIC %s listed twice", p->line,
                                        string_excerpt(nic->nic, strlen(nic->nic), buf));
        p->n++;
        if (port) {
                r = netdev_check_unique(p);
                if (r < 0)
                        return r;
        }
        p->in_nic = !port;
        p->queues = 1;
        p->peer_seen = !!port;
        p->nic_line = p->line;
        return 0;
}

/* Queue N > 0: belongs to the NIC of the lines just before, which has queues 0 .. N-1. */
static int nic_queue_add(Parser *p, const ClientLine *c) {
        char buf[EXCERPT_MAX], buf2[EXCERPT_MAX];
        const HmpNetClient *nic;
        int r;

        if (!p->in_nic || c->index != p->queues)
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: NIC %s queue %u does not follow queue %u of a NIC",
                                p->line, string_excerpt(c->name, c->name_len, buf), c->index, c->index - 1);
        nic = &p->list[p->n - 1];
        if (!queue_name_matches(nic->nic, c->name, c->name_len))
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: queue %u is named %s, queue 0 %s", p->line, c->index,
                                string_excerpt(c->name, c->name_len, buf),
                                string_excerpt(nic->nic, strlen(nic->nic), buf2));
        r = nic_end(p);
        if (r < 0)
                return r;
        p->in_nic = true;
        p->queues++;
        p->peer_seen = false;
        p->nic_line = p->line;
        return 0;
}

/* The text of a tap: "fd=N" (fd=/fds=, one line per queue), "ifname=X,script=S,downscript=D" (QEMU
 * opened it) or "helper=H" (bridge helper: nothing to learn). */
static int tap_info_parse(Parser *p, HmpNetClient *nic, unsigned queue, const char *s, size_t len) {
        char buf[EXCERPT_MAX];

        if (mem_has_prefix(s, len, "fd=")) {
                size_t k = span_digits(s + 3, len - 3);
                unsigned fd;

                if ((3 + k < len && s[3 + k] != ',') || parse_uint(s + 3, k, INT_MAX, &fd) < 0)
                        return parse_error(p->ret_error, -EINVAL,
                                        "info network line %zu: bad tap fd in \"%s\"", p->line,
                                        string_excerpt(s, len, buf));
                if (nic->n_fds != queue)
                        return parse_error(p->ret_error, -EINVAL,
                                        "info network line %zu: tap %s has an fd on queue %u, not on queue "
                                        "0",
                                        p->line, nic->netdev, queue);
                if (nic->n_fds >= HMP_NET_FDS_MAX)
                        return parse_error(p->ret_error, -E2BIG,
                                        "info network line %zu: tap %s has more than %d fds", p->line,
                                        nic->netdev, HMP_NET_FDS_MAX);
                nic->fds[nic->n_fds++] = (int) fd;
                return 0;
        }

        if (mem_has_prefix(s, len, "ifname=")) {
                const char *v = s + 7, *end;
                size_t k;

                /* The name ends where ",script=" begins: a name may contain a comma. */
                end = memmem(v, len - 7, ",script=", 8);
                k = end ? (size_t) (end - v) : len - 7;
                if (!ifname_valid(v, k))
                        return parse_error(p->ret_error, -EINVAL,
                                        "info network line %zu: tap ifname \"%s\" is not an interface name",
                                        p->line, string_excerpt(v, k, buf));
                if (queue == 0) {
                        memcpy(nic->ifname, v, k);
                        nic->ifname[k] = 0;
                } else if (!mem_eq(v, k, nic->ifname))
                        return parse_error(p->ret_error, -EINVAL,
                                        "info network line %zu: tap %s queue on \"%s\", queue 0 on \"%s\"",
                                        p->line, nic->netdev, string_excerpt(v, k, buf), nic->ifname);
                return 0;
        }

        if (nic->n_fds > 0 || nic->ifname[0])
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: tap %s queue %u has neither fd nor ifname, queue 0 "
                                "has",
                                p->line, nic->netdev, queue);
        return 0;
}

/* " \ PEER: index=Q,type=TYPE,INFO" after a NIC's queue line. */
static int peer_add(Parser *p, const ClientLine *c) {
        char buf[EXCERPT_MAX], name[FIELD_SIZE(HmpNetClient, netdev)];
        bool first = p->queues == 1;
        HmpNetClient *nic;
        int r;

        if (!p->in_nic)
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: peer line without a NIC before it", p->line);
        nic = &p->list[p->n - 1];
        if (p->peer_seen)
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: a second peer line for NIC %s queue %u", p->line,
                                nic->nic, p->queues - 1);
        /* Queue N of a NIC is connected to queue N of its netdev. */
        if (c->index != p->queues - 1)
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: peer queue %u on NIC queue %u", p->line, c->index,
                                p->queues - 1);

        r = name_copy(p, "netdev name", c->name, c->name_len, name, sizeof(name));
        if (r < 0)
                return r;
        if (first) {
                strcpy(nic->netdev, name);
                memcpy(nic->type, c->type, c->type_len);
                nic->type[c->type_len] = 0;
                r = netdev_check_unique(p);
                if (r < 0)
                        return r;
        } else if (!nic->netdev[0])
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: queue %u of NIC %s has a peer, queue 0 has none",
                                p->line, c->index, nic->nic);
        else if (!streq(nic->netdev, name))
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: queue %u of NIC %s is on %s, queue 0 on %s", p->line,
                                c->index, nic->nic, string_excerpt(name, strlen(name), buf), nic->netdev);
        else if (!mem_eq(c->type, c->type_len, nic->type))
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: queue %u of NIC %s has peer type %s, queue 0 %s",
                                p->line, c->index, nic->nic, string_excerpt(c->type, c->type_len, buf),
                                nic->type);
        p->peer_seen = true;

        if (streq(nic->type, TYPE_TAP))
                return tap_info_parse(p, nic, c->index, c->info, c->info_len);
        return 0;
}

/* A client at the top level: a NIC queue, or a netdev nobody uses. */
static int client_add(Parser *p, const ClientLine *c) {
        int r;

        if (!mem_eq(c->type, c->type_len, TYPE_NIC))
                return nic_end(p);
        if (c->index > 0)
                return nic_queue_add(p, c);
        r = nic_end(p);
        if (r < 0)
                return r;
        return nic_add(p, c, NULL, 0);
}

/* " \ PORT" or " \ PORT: CLIENT" inside a hub section. */
static int hub_port_add(Parser *p, const char *s, size_t len) {
        const char *colon = memmem(s, len, ": ", 2);
        ClientLine c;
        size_t k;
        int r;

        if (!colon) {
                char port[FIELD_SIZE(HmpNetClient, netdev)];

                return name_copy(p, "hub port", s, len, port, sizeof(port));
        }
        k = (size_t) (colon - s);
        r = client_line_parse(p, s + k + 2, len - k - 2, &c);
        if (r < 0)
                return r;
        p->filters_ok = true;
        if (!mem_eq(c.type, c.type_len, TYPE_NIC))
                return 0;
        /* A hub port is one netdev queue: its NIC has one queue. */
        if (c.index != 0)
                return parse_error(p->ret_error, -EINVAL,
                                "info network line %zu: NIC queue %u on a hub port", p->line, c.index);
        return nic_add(p, &c, s, k);
}

static int line_parse(Parser *p, const char *s, size_t len) {
        bool filters_ok = p->filters_ok;
        ClientLine c;
        int r;

        p->filters_ok = false;

        if (len == 0)
                return 0;

        if (mem_has_prefix(s, len, "  - ")) {
                if (!p->in_filters)
                        return parse_error(p->ret_error, -EINVAL,
                                        "info network line %zu: filter line without \"filters:\" before it",
                                        p->line);
                return 0;
        }
        p->in_filters = false;

        if (mem_eq(s, len, "filters:")) {
                if (!filters_ok)
                        return parse_error(p->ret_error, -EINVAL,
                                        "info network line %zu: \"filters:\" without a client before it",
                                        p->line);
                p->in_filters = true;
                return 0;
        }

        if (mem_has_prefix(s, len, " \\ ")) {
                s += 3;
                len -= 3;
                if (p->in_hub)
                        return hub_port_add(p, s, len);
                r = client_line_parse(p, s, len, &c);
                if (r < 0)
                        return r;
                p->filters_ok = true;
                return peer_add(p, &c);
        }

        if (mem_has_prefix(s, len, "hub ")) {
                unsigned id;

                r = nic_end(p);
                if (r < 0)
                        return r;
                if (parse_uint(s + 4, len - 4, INT_MAX, &id) < 0) {
                        char buf[EXCERPT_MAX];

                        return parse_error(p->ret_error, -EINVAL,
                                        "info network line %zu: bad hub line \"%s\"", p->line,
                                        string_excerpt(s, len, buf));
                }
                p->in_hub = true;
                return 0;
        }

        p->in_hub = false;
        r = client_line_parse(p, s, len, &c);
        if (r < 0)
                return r;
        p->filters_ok = true;
        return client_add(p, &c);
}

int hmp_network_parse(const char *text, size_t len, HmpNetClient **ret, size_t *ret_n, char **ret_error) {
        _cleanup_free_ HmpNetClient *list = NULL;
        Parser p = {.ret_error = ret_error};
        int r = 0;

        if ((!text && len > 0) || !ret || !ret_n)
                return -EINVAL;
        if (len > QMP_LINE_MAX)
                return parse_error(ret_error, -E2BIG, "info network output of %zu bytes, more than %u", len,
                                QMP_LINE_MAX);
        /* QEMU's output is a C string: a NUL inside means it is not QEMU's. */
        if (len > 0 && memchr(text, 0, len))
                return parse_error(ret_error, -EINVAL, "info network output contains a NUL byte at %zu",
                                (size_t) ((const char *) memchr(text, 0, len) - text));

        for (size_t pos = 0; pos < len && r >= 0;) {
                const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
                size_t k = nl ? (size_t) (nl - s) : len - pos;

                pos += k + !!nl;
                p.line++;
                /* The monitor ends lines with "\r\n"; a bare "\n" is fine too. */
                if (k > 0 && s[k - 1] == '\r')
                        k--;
                if (k > HMP_NET_LINE_MAX)
                        r = parse_error(ret_error, -E2BIG,
                                        "info network line %zu has %zu bytes, more than %d", p.line, k,
                                        HMP_NET_LINE_MAX);
                else
                        r = line_parse(&p, s, k);
        }
        if (r >= 0)
                r = nic_end(&p);
        list = p.list;
        if (r < 0)
                return r;

        *ret = p.n > 0 ? TAKE_PTR(list) : NULL;
        *ret_n = p.n;
        return 0;
}
