/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "domain-xml.h"
#include "macro.h"
#include "parse-util.h"

#define VNICD_XMLNS_FAMILY "https://vnicd.org/xmlns/vnicd/" /* other versions of our namespace */

static const char *const domain_interface_type_table[_DOMAIN_INTERFACE_TYPE_MAX] = {
                [DOMAIN_INTERFACE_DIRECT] = "direct",
                [DOMAIN_INTERFACE_BRIDGE] = "bridge",
                [DOMAIN_INTERFACE_NETWORK] = "network",
                [DOMAIN_INTERFACE_ETHERNET] = "ethernet",
                [DOMAIN_INTERFACE_VHOSTUSER] = "vhostuser",
                [DOMAIN_INTERFACE_USER] = "user",
                [DOMAIN_INTERFACE_HOSTDEV] = "hostdev",
                [DOMAIN_INTERFACE_OTHER] = "other",
};

static const char *const macvtap_mode_table[_MACVTAP_MODE_MAX] = {
                [MACVTAP_MODE_VEPA] = "vepa",
                [MACVTAP_MODE_BRIDGE] = "bridge",
                [MACVTAP_MODE_PRIVATE] = "private",
                [MACVTAP_MODE_PASSTHROUGH] = "passthrough",
};

static const char *const vlan_native_mode_table[_VLAN_NATIVE_MODE_MAX] = {
                [VLAN_NATIVE_NONE] = "none",
                [VLAN_NATIVE_TAGGED] = "tagged",
                [VLAN_NATIVE_UNTAGGED] = "untagged",
};

const char *domain_interface_type_to_string(DomainInterfaceType t) {
        return t >= 0 && t < _DOMAIN_INTERFACE_TYPE_MAX ? domain_interface_type_table[t] : NULL;
}

DomainInterfaceType domain_interface_type_from_string(const char *s) {
        /* "other" is our word for the rest, not one of libvirt's types. */
        if (s && streq(s, "other"))
                return _DOMAIN_INTERFACE_TYPE_INVALID;
        return string_table_lookup(domain_interface_type_table, _DOMAIN_INTERFACE_TYPE_MAX, s);
}

const char *macvtap_mode_to_string(MacvtapMode m) {
        return m >= 0 && m < _MACVTAP_MODE_MAX ? macvtap_mode_table[m] : NULL;
}

MacvtapMode macvtap_mode_from_string(const char *s) {
        return string_table_lookup(macvtap_mode_table, _MACVTAP_MODE_MAX, s);
}

const char *vlan_native_mode_to_string(VlanNativeMode m) {
        return m >= 0 && m < _VLAN_NATIVE_MODE_MAX ? vlan_native_mode_table[m] : NULL;
}

/* ---- helpers shared with network-xml.c ---- */

void libvirt_xml_free_docp(xmlDoc **doc) {
        if (*doc)
                xmlFreeDoc(*doc);
}

static void xml_free_parser_ctxtp(xmlParserCtxt **c) {
        if (*c)
                xmlFreeParserCtxt(*c);
}

static void xml_freep(xmlChar **s) {
        if (*s)
                xmlFree(*s);
}

static long node_line(const xmlNode *n) {
        return n ? xmlGetLineNo(n) : 0;
}

int libvirt_xml_error(const LibvirtXmlParser *p, const xmlNode *n, int error, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&msg, format, ap) < 0)
                msg = NULL;
        va_end(ap);

        if (!msg)
                return parse_error(p->ret_error, error, "%s: out of memory formatting an error", p->what);
        return parse_error(p->ret_error, error, "%s line %ld: %s", p->what, node_line(n), msg);
}

bool libvirt_xml_is(const xmlNode *n, const char *name) {
        return n && n->type == XML_ELEMENT_NODE && !n->ns && streq((const char *) n->name, name);
}

/* libvirt never writes a DOCTYPE: refusing one before its declarations are read leaves no room
 * for entity expansion tricks or external entities. */
static void reject_dtd(
                void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id) {
        xmlParserCtxt *c = ctx;

        *(bool *) c->_private = true;
        xmlStopParser(c);
}

int libvirt_xml_read(
                const LibvirtXmlParser *p, const char *xml, size_t len, const char *root, xmlDoc **ret) {
        _cleanup_(xml_free_parser_ctxtp) xmlParserCtxt *c = NULL;
        _cleanup_(libvirt_xml_free_docp) xmlDoc *doc = NULL;
        bool dtd = false;
        xmlNode *r;

        if (!xml && len > 0)
                return -EINVAL;
        if (len > DOMAIN_XML_MAX)
                return parse_error(
                                p->ret_error, -E2BIG, "%s: larger than %u bytes", p->what, DOMAIN_XML_MAX);

        c = xmlNewParserCtxt();
        if (!c)
                return -ENOMEM;
        c->sax->internalSubset = reject_dtd;
        c->_private = &dtd;

        /* libvirt hands out UTF-8 only. Taking nothing else keeps iconv out, and with it the one
         * kind of error libxml2 prints to stderr instead of returning. */
        doc = xmlCtxtReadMemory(c, xml ?: "", (int) len, NULL, "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES |
                                        XML_PARSE_IGNORE_ENC);
        if (dtd)
                return parse_error(p->ret_error, -EINVAL, "%s: a DTD (<!DOCTYPE>) is not allowed", p->what);
        if (!doc || !c->wellFormed) {
                const xmlError *e = xmlCtxtGetLastError(c);
                char buf[EXCERPT_MAX];
                size_t n;

                if (e && e->code == XML_ERR_NO_MEMORY)
                        return -ENOMEM;
                if (!e || !e->message)
                        return parse_error(p->ret_error, -EINVAL, "%s: not well-formed XML", p->what);
                n = strlen(e->message);
                while (n > 0 && (e->message[n - 1] == '\n' || e->message[n - 1] == ' '))
                        n--;
                return parse_error(p->ret_error, -EINVAL, "%s line %d: not well-formed XML: %s", p->what,
                                e->line, string_excerpt(e->message, n, buf));
        }

        r = xmlDocGetRootElement(doc);
        if (!libvirt_xml_is(r, root)) {
                char buf[EXCERPT_MAX];
                const char *name = r ? (const char *) r->name : "";

                return libvirt_xml_error(p, r, -EINVAL, "root element is <%s>, expected <%s>",
                                string_excerpt(name, strlen(name), buf), root);
        }

        *ret = TAKE_PTR(doc);
        return 0;
}

static bool has_control_chars(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

/* Copies 'v' into 'buf' and a printable excerpt of it into 'excerpt' (for messages). Returns 1, or
 * -E2BIG when it does not fit, -EINVAL when it holds control characters; never sets a message. */
static int value_copy(const char *v, char *buf, size_t size, char excerpt[static EXCERPT_MAX]) {
        size_t len = strlen(v);

        (void) string_excerpt(v, len, excerpt);
        if (len >= size)
                return -E2BIG;
        if (has_control_chars(v))
                return -EINVAL;
        memcpy(buf, v, len + 1);
        return 1;
}

/* Attribute 'name' without namespace: 1 present, 0 absent (buf = ""), -ENOMEM, or value_copy()'s
 * errors; never sets a message. */
static int attr_get(xmlNode *n, const char *name, char *buf, size_t size, char excerpt[static EXCERPT_MAX]) {
        _cleanup_(xml_freep) xmlChar *v = NULL;

        buf[0] = 0;
        excerpt[0] = 0;
        if (!xmlHasNsProp(n, (const xmlChar *) name, NULL))
                return 0;
        v = xmlGetNoNsProp(n, (const xmlChar *) name);
        if (!v)
                return -ENOMEM;
        return value_copy((const char *) v, buf, size, excerpt);
}

static int value_error(const LibvirtXmlParser *p, xmlNode *n, int error, const char *name,
                const char *excerpt, const char *why) {
        return libvirt_xml_error(p, n, error, "<%s %s='%s'>: %s", n->name, name, excerpt, why);
}

/* The message for a value_copy() error. */
static int copy_error(const LibvirtXmlParser *p, xmlNode *n, int r, const char *name, const char *excerpt,
                size_t size) {
        if (r == -ENOMEM)
                return r;
        if (r == -E2BIG)
                return libvirt_xml_error(p, n, -EINVAL, "<%s %s='%s'>: longer than %zu bytes", n->name, name,
                                excerpt, size - 1);
        return value_error(p, n, r, name, excerpt, "contains control characters");
}

int libvirt_xml_attr(const LibvirtXmlParser *p, xmlNode *n, const char *name, char *buf, size_t size) {
        char excerpt[EXCERPT_MAX];
        int r;

        r = attr_get(n, name, buf, size, excerpt);
        if (r < 0)
                return copy_error(p, n, r, name, excerpt, size);
        return r;
}

int libvirt_xml_text(const LibvirtXmlParser *p, xmlNode *n, char *buf, size_t size) {
        _cleanup_(xml_freep) xmlChar *v = NULL;
        char excerpt[EXCERPT_MAX];
        int r;

        buf[0] = 0;
        v = xmlNodeGetContent(n);
        if (!v)
                return -ENOMEM;
        r = value_copy((const char *) v, buf, size, excerpt);
        if (r == -E2BIG)
                return libvirt_xml_error(p, n, -EINVAL, "<%s>%s</%s>: longer than %zu bytes", n->name,
                                excerpt, n->name, size - 1);
        if (r < 0)
                return libvirt_xml_error(p, n, r, "<%s>%s</%s>: contains control characters", n->name,
                                excerpt, n->name);
        return r;
}

int libvirt_xml_yes_no(const LibvirtXmlParser *p, xmlNode *n, const char *name, int *ret) {
        char v[8], excerpt[EXCERPT_MAX];
        int r;

        r = attr_get(n, name, v, sizeof(v), excerpt);
        if (r == -ENOMEM || r == 0)
                return r;
        /* libvirt takes yes/no only: so does its XML here. */
        if (r > 0 && streq(v, "yes"))
                *ret = 1;
        else if (r > 0 && streq(v, "no"))
                *ret = 0;
        else
                return value_error(p, n, -EINVAL, name, excerpt, "not yes or no");
        return 0;
}

int libvirt_xml_uuid(const LibvirtXmlParser *p, xmlNode *n, char ret[static DOMAIN_UUID_MAX]) {
        char v[DOMAIN_UUID_MAX + 8], buf[EXCERPT_MAX];
        int r;

        r = libvirt_xml_text(p, n, v, sizeof(v));
        if (r < 0)
                return r;
        for (size_t i = 0; i < DOMAIN_UUID_MAX - 1; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                char c = v[i];

                if (dash ? c != '-'
                         : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                        return libvirt_xml_error(p, n, -EINVAL, "<uuid>%s</uuid>: not a UUID",
                                        string_excerpt(v, strlen(v), buf));
        }
        if (v[DOMAIN_UUID_MAX - 1] != 0)
                return libvirt_xml_error(p, n, -EINVAL, "<uuid>%s</uuid>: not a UUID",
                                string_excerpt(v, strlen(v), buf));
        for (size_t i = 0; i < DOMAIN_UUID_MAX; i++)
                ret[i] = v[i] >= 'A' && v[i] <= 'F' ? (char) (v[i] - 'A' + 'a') : v[i];
        return 0;
}

int libvirt_xml_vlan(const LibvirtXmlParser *p, xmlNode *n, LibvirtVlan *ret) {
        char trunk[8], id[8], mode[16], excerpt[EXCERPT_MAX];
        LibvirtVlan v = {};
        size_t n_tags = 0;
        int r;

        for (xmlNode *t = n->children; t; t = t->next) {
                VlanNativeMode m;
                unsigned vid;

                if (!libvirt_xml_is(t, "tag"))
                        continue;
                r = attr_get(t, "id", id, sizeof(id), excerpt);
                if (r == -ENOMEM)
                        return r;
                if (r == 0)
                        return libvirt_xml_error(p, t, -EINVAL, "<tag> without id=");
                if (r < 0 || parse_decimal(id, VLAN_VID_COUNT - 1, &vid) < 0)
                        return value_error(p, t, -ERANGE, "id", excerpt, "not a VLAN id 0-4095");
                /* Each VID once: this also bounds the work to 4096 tags. */
                if (vlan_set_contains(&v.tags, vid))
                        return libvirt_xml_error(
                                        p, t, -EINVAL, "<tag id='%u'>: VLAN %u given twice", vid, vid);
                (void) vlan_set_add(&v.tags, vid);
                n_tags++;

                r = attr_get(t, "nativeMode", mode, sizeof(mode), excerpt);
                if (r == -ENOMEM)
                        return r;
                if (r == 0)
                        continue;
                m = r < 0                     ? _VLAN_NATIVE_MODE_INVALID
                    : streq(mode, "tagged")   ? VLAN_NATIVE_TAGGED
                    : streq(mode, "untagged") ? VLAN_NATIVE_UNTAGGED
                                              : _VLAN_NATIVE_MODE_INVALID;
                if (m < 0)
                        return value_error(p, t, -EINVAL, "nativeMode", excerpt, "not tagged or untagged");
                if (v.native_mode != VLAN_NATIVE_NONE)
                        return libvirt_xml_error(p, t, -EINVAL,
                                        "<tag id='%u'>: a second native VLAN (%u is native already)", vid,
                                        v.native_vid);
                v.native_mode = m;
                v.native_vid = vid;
        }
        if (n_tags == 0)
                return libvirt_xml_error(p, n, -EINVAL, "<vlan> without <tag id=...>");

        v.trunk = n_tags > 1;
        r = attr_get(n, "trunk", trunk, sizeof(trunk), excerpt);
        if (r == -ENOMEM)
                return r;
        if (r != 0) {
                /* libvirt compares these without case. */
                if (r > 0 && strcasecmp(trunk, "yes") == 0)
                        v.trunk = true;
                else if (r < 0 || strcasecmp(trunk, "no") != 0)
                        return value_error(p, n, -EINVAL, "trunk", excerpt, "not yes or no");
                else if (n_tags > 1)
                        return value_error(p, n, -EINVAL, "trunk", excerpt,
                                        "more than one tag needs trunk='yes'");
                else if (v.native_mode != VLAN_NATIVE_NONE)
                        return value_error(
                                        p, n, -EINVAL, "trunk", excerpt, "a native VLAN needs trunk='yes'");
        }

        *ret = v;
        return 0;
}

int libvirt_xml_name(const LibvirtXmlParser *p, xmlNode *n, const char *attr, char *buf, size_t size) {
        char excerpt[EXCERPT_MAX];
        int r;

        r = libvirt_xml_attr(p, n, attr, buf, size);
        if (r > 0 && (buf[0] == 0 || strchr(buf, '/')))
                return value_error(p, n, -EINVAL, attr, string_excerpt(buf, strlen(buf), excerpt),
                                "not a name (1 or more bytes, no '/')");
        return r;
}

static const char *check_ifname(const char *s) {
        /* The kernel's dev_valid_name() rules. */
        if (s[0] == 0 || streq(s, ".") || streq(s, ".."))
                return "not a valid interface name";
        for (const char *c = s; *c; c++)
                if (*c == '/' || *c == ':' || *c == ' ')
                        return "may not contain '/', ':' or whitespace";
        return NULL;
}

int libvirt_xml_ifname(const LibvirtXmlParser *p, xmlNode *n, const char *attr,
                char buf[static DOMAIN_IFNAME_MAX]) {
        char excerpt[EXCERPT_MAX];
        const char *why;
        int r;

        r = attr_get(n, attr, buf, DOMAIN_IFNAME_MAX, excerpt);
        if (r < 0)
                return copy_error(p, n, r, attr, excerpt, DOMAIN_IFNAME_MAX);
        if (r == 0)
                return 0;
        why = check_ifname(buf);
        if (why)
                return value_error(p, n, -EINVAL, attr, excerpt, why);
        return 1;
}

static bool is_word(const char *s) {
        size_t n = strlen(s);

        return n > 0 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

int libvirt_xml_word(const LibvirtXmlParser *p, xmlNode *n, const char *attr, char *buf, size_t size) {
        char excerpt[EXCERPT_MAX];
        int r;

        r = libvirt_xml_attr(p, n, attr, buf, size);
        if (r > 0 && !is_word(buf))
                return value_error(p, n, -EINVAL, attr, string_excerpt(buf, strlen(buf), excerpt),
                                "may only contain A-Z a-z 0-9 _ . -");
        return r;
}

/* ---- the domain ---- */

void domain_xml_done(DomainXml *d) {
        if (!d)
                return;
        free(d->interfaces);
        free(d->metadata);
        *d = (DomainXml){.id = -1};
}

const DomainMetadataNic *domain_interface_metadata(const DomainXml *d, const DomainInterface *iface) {
        if (!d || !iface || iface->metadata < 0 || (size_t) iface->metadata >= d->n_metadata)
                return NULL;
        return &d->metadata[iface->metadata];
}

const DomainInterface *domain_xml_find_alias(const DomainXml *d, const char *alias) {
        if (!d || !alias || !alias[0])
                return NULL;
        for (size_t i = 0; i < d->n_interfaces; i++)
                if (streq(d->interfaces[i].alias, alias))
                        return &d->interfaces[i];
        return NULL;
}

const DomainInterface *domain_xml_find_mac(const DomainXml *d, const EtherAddr *mac) {
        if (!d || !mac)
                return NULL;
        for (size_t i = 0; i < d->n_interfaces; i++)
                if (d->interfaces[i].has_mac && ether_addr_equal(&d->interfaces[i].mac, mac))
                        return &d->interfaces[i];
        return NULL;
}

/* Child elements libvirt writes at most once per <interface>, and what we read from them. */
enum {
        SEEN_MAC = 1 << 0,
        SEEN_SOURCE = 1 << 1,
        SEEN_TARGET = 1 << 2,
        SEEN_MODEL = 1 << 3,
        SEEN_DRIVER = 1 << 4,
        SEEN_ALIAS = 1 << 5,
        SEEN_VLAN = 1 << 6,
        SEEN_VIRTUALPORT = 1 << 7,
};

static const char *const interface_children[] = {
                "mac",
                "source",
                "target",
                "model",
                "driver",
                "alias",
                "vlan",
                "virtualport",
};

static int parse_interface_source(const LibvirtXmlParser *p, xmlNode *n, DomainInterface *i) {
        char mode[16], excerpt[EXCERPT_MAX];
        int r;

        r = libvirt_xml_ifname(p, n, "dev", i->source_dev);
        if (r < 0)
                return r;
        r = libvirt_xml_ifname(p, n, "bridge", i->source_bridge);
        if (r < 0)
                return r;
        r = libvirt_xml_name(p, n, "network", i->source_network, sizeof(i->source_network));
        if (r < 0)
                return r;
        r = libvirt_xml_name(p, n, "portgroup", i->source_portgroup, sizeof(i->source_portgroup));
        if (r < 0)
                return r;

        if (i->type == DOMAIN_INTERFACE_VHOSTUSER)
                /* Its mode= is client|server, not a macvtap mode. */
                return libvirt_xml_attr(p, n, "path", i->source_path, sizeof(i->source_path));

        /* mode= is a macvtap's: on type='direct', or on a network interface plugged as one. */
        if (i->type != DOMAIN_INTERFACE_DIRECT && !i->source_dev[0])
                return 0;
        r = attr_get(n, "mode", mode, sizeof(mode), excerpt);
        if (r == -ENOMEM || r == 0)
                return r;
        i->source_mode = r > 0 ? macvtap_mode_from_string(mode) : _MACVTAP_MODE_INVALID;
        if (i->source_mode < 0)
                return value_error(p, n, -EINVAL, "mode", excerpt,
                                "not one of vepa, bridge, private, passthrough");
        return 0;
}

static int parse_interface_child(const LibvirtXmlParser *p, xmlNode *c, unsigned bit, DomainInterface *i) {
        char v[24], excerpt[EXCERPT_MAX];
        int r;

        switch (bit) {
        case SEEN_MAC:
                r = attr_get(c, "address", v, sizeof(v), excerpt);
                if (r == -ENOMEM)
                        return r;
                if (r == 0)
                        return libvirt_xml_error(p, c, -EINVAL, "<mac> without address=");
                if (r < 0 || ether_addr_from_string(v, &i->mac) < 0)
                        return value_error(p, c, -EINVAL, "address", excerpt, "not a MAC address");
                i->has_mac = true;
                return 0;
        case SEEN_SOURCE:
                return parse_interface_source(p, c, i);
        case SEEN_TARGET:
                return libvirt_xml_ifname(p, c, "dev", i->target_dev);
        case SEEN_MODEL:
                return libvirt_xml_word(p, c, "type", i->model, sizeof(i->model));
        case SEEN_DRIVER:
                r = attr_get(c, "queues", v, sizeof(v), excerpt);
                if (r == 0 || r == -ENOMEM)
                        return r;
                if (r < 0 || parse_decimal(v, DOMAIN_QUEUES_MAX, &i->queues) < 0 || i->queues == 0) {
                        i->queues = 0;
                        return value_error(p, c, -ERANGE, "queues", excerpt, "not a queue count 1-1024");
                }
                return 0;
        case SEEN_ALIAS:
                return libvirt_xml_word(p, c, "name", i->alias, sizeof(i->alias));
        case SEEN_VLAN:
                return libvirt_xml_vlan(p, c, &i->vlan);
        case SEEN_VIRTUALPORT:
                return libvirt_xml_word(p, c, "type", i->virtualport, sizeof(i->virtualport));
        }
        return 0;
}

static int parse_interface(const LibvirtXmlParser *p, xmlNode *n, DomainInterface *i) {
        char excerpt[EXCERPT_MAX];
        unsigned seen = 0;
        int r;

        *i = (DomainInterface){
                        .source_mode = _MACVTAP_MODE_INVALID,
                        .trust_guest_rx_filters = -1,
                        .line = (unsigned) CLAMP(node_line(n), 0, (long) UINT_MAX),
                        .metadata = -1,
        };

        r = attr_get(n, "type", i->type_name, sizeof(i->type_name), excerpt);
        if (r == -ENOMEM)
                return r;
        if (r == 0)
                return libvirt_xml_error(p, n, -EINVAL, "<interface> without type=");
        if (r < 0 || !is_word(i->type_name))
                return value_error(p, n, -EINVAL, "type", excerpt, "not an interface type");
        i->type = domain_interface_type_from_string(i->type_name);
        if (i->type < 0)
                i->type = DOMAIN_INTERFACE_OTHER; /* a type vnicd has no use for: kept, not refused */

        r = libvirt_xml_yes_no(p, n, "trustGuestRxFilters", &i->trust_guest_rx_filters);
        if (r < 0)
                return r;

        /* <source> is read after the type is known; its mode= depends on it. */
        for (xmlNode *c = n->children; c; c = c->next)
                for (size_t k = 0; k < ELEMENTSOF(interface_children); k++) {
                        unsigned bit = 1u << k;

                        if (!libvirt_xml_is(c, interface_children[k]))
                                continue;
                        if (seen & bit)
                                return libvirt_xml_error(p, c, -EINVAL, "more than one <%s> in <interface>",
                                                interface_children[k]);
                        seen |= bit;
                        r = parse_interface_child(p, c, bit, i);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int parse_devices(const LibvirtXmlParser *p, xmlNode *devices, DomainXml *d) {
        size_t n = 0;
        int r;

        for (xmlNode *c = devices->children; c; c = c->next)
                if (libvirt_xml_is(c, "interface") && ++n > DOMAIN_INTERFACES_MAX)
                        return libvirt_xml_error(p, c, -E2BIG, "more than %d <interface> elements",
                                        DOMAIN_INTERFACES_MAX);
        if (n == 0)
                return 0;

        d->interfaces = new0(DomainInterface, n);
        if (!d->interfaces)
                return -ENOMEM;
        for (xmlNode *c = devices->children; c; c = c->next) {
                DomainInterface *i = &d->interfaces[d->n_interfaces];

                if (!libvirt_xml_is(c, "interface"))
                        continue;
                r = parse_interface(p, c, i);
                if (r < 0)
                        return r;
                /* QEMU device ids are unique; two equal aliases mean the XML is not libvirt's. */
                if (i->alias[0] && domain_xml_find_alias(d, i->alias))
                        return libvirt_xml_error(p, c, -EINVAL,
                                        "<alias name='%s'>: a second interface with it", i->alias);
                d->n_interfaces++;
        }
        return 0;
}

static bool is_vnicd_ns(const xmlNode *n) {
        return n->ns && n->ns->href && streq((const char *) n->ns->href, VNICD_XMLNS);
}

/* Keeps the first problem of an entry: that is the one to fix first. */
_printf_(2, 3) static void entry_error(DomainMetadataNic *e, const char *format, ...) {
        va_list ap;
        int k;

        if (e->error[0])
                return;
        k = snprintf(e->error, sizeof(e->error), "domain XML line %u: ", e->line);
        if (k < 0 || (size_t) k >= sizeof(e->error))
                return;
        va_start(ap, format);
        (void) vsnprintf(e->error + k, sizeof(e->error) - (size_t) k, format, ap);
        va_end(ap);
}

/* The element's name as written ("vnicd:nic"), for messages. */
static const char *element_name(const xmlNode *n, char buf[static EXCERPT_MAX]) {
        char full[2 * EXCERPT_MAX];

        if (n->ns && n->ns->prefix)
                (void) snprintf(full, sizeof(full), "%s:%s", n->ns->prefix, n->name);
        else
                (void) snprintf(full, sizeof(full), "%s", n->name);
        return string_excerpt(full, strlen(full), buf);
}

#define METADATA_VALUE_MAX 4096 /* bytes of one attribute value, as a vnicd.conf line */

static int parse_nic_identity(xmlNode *n, const char *tag, DomainMetadataNic *e) {
        char v[ETHER_ADDR_STRING_MAX + 8], excerpt[EXCERPT_MAX];
        int r;

        r = attr_get(n, "alias", e->alias, sizeof(e->alias), excerpt);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || (r > 0 && !is_word(e->alias))) {
                e->alias[0] = 0;
                entry_error(e, "<%s alias='%s'>: not a device alias (1-63 of A-Z a-z 0-9 _ . -)", tag,
                                excerpt);
        }

        r = attr_get(n, "mac", v, sizeof(v), excerpt);
        if (r == -ENOMEM)
                return r;
        if (r > 0 && ether_addr_from_string(v, &e->mac) >= 0)
                e->has_mac = true;
        else if (r != 0)
                entry_error(e, "<%s mac='%s'>: not a MAC address", tag, excerpt);

        if (!xmlHasNsProp(n, (const xmlChar *) "alias", NULL) &&
                        !xmlHasNsProp(n, (const xmlChar *) "mac", NULL))
                entry_error(e, "<%s>: needs alias= or mac= to name its interface", tag);
        return 0;
}

/* Fills 'e' from one <vnicd:nic>. Only -ENOMEM fails: what is wrong with the entry goes to e->error. */
static int parse_nic_entry(xmlNode *n, DomainMetadataNic *e) {
        _cleanup_free_ char *v = NULL;
        char tag[EXCERPT_MAX], excerpt[EXCERPT_MAX], aname[EXCERPT_MAX];
        const char *why;
        int r;

        *e = (DomainMetadataNic){
                        .line = (unsigned) CLAMP(node_line(n), 0, (long) UINT_MAX),
                        .interface = -1,
        };
        nic_settings_init(&e->settings);
        (void) element_name(n, tag);

        r = parse_nic_identity(n, tag, e);
        if (r < 0)
                return r;

        v = malloc(METADATA_VALUE_MAX);
        if (!v)
                return -ENOMEM;
        for (xmlAttr *a = n->properties; a; a = a->next) {
                const char *name = (const char *) a->name;
                NicSetting which;

                (void) string_excerpt(name, strlen(name), aname);
                if (a->ns) {
                        entry_error(e, "<%s %s:%s=...>: vnicd's attributes take no prefix", tag,
                                        a->ns->prefix ? (const char *) a->ns->prefix : "", aname);
                        continue;
                }
                if (streq(name, "alias") || streq(name, "mac"))
                        continue;

                r = attr_get(n, name, v, METADATA_VALUE_MAX, excerpt);
                if (r == -ENOMEM)
                        return r;
                which = nic_setting_from_attribute(name);
                if (which < 0) {
                        entry_error(e, "<%s %s='%s'>: unknown attribute", tag, aname, excerpt);
                        continue;
                }
                if (r < 0) {
                        entry_error(e, "<%s %s='%s'>: %s", tag, aname, excerpt,
                                        r == -E2BIG ? "too long" : "contains control characters");
                        continue;
                }
                if (nic_settings_set(&e->settings, which, v, &why) < 0)
                        entry_error(e, "<%s %s='%s'>: %s", tag, aname, excerpt, why);
        }

        if (nic_settings_check(&e->settings, &why) < 0)
                entry_error(e, "<%s native-vlan='%u'>: %s", tag, e->settings.native_vlan, why);
        return 0;
}

static size_t count_mac(const DomainXml *d, const EtherAddr *mac) {
        size_t n = 0;

        for (size_t i = 0; i < d->n_interfaces; i++)
                n += d->interfaces[i].has_mac && ether_addr_equal(&d->interfaces[i].mac, mac);
        return n;
}

/* Finds the interface entry 'e' names; NULL, with e->error set, when it names none or two. */
static const DomainInterface *entry_interface(const DomainXml *d, DomainMetadataNic *e, const char *tag) {
        const DomainInterface *by_alias = NULL, *by_mac = NULL;
        char mac[ETHER_ADDR_STRING_MAX] = "";

        if (e->alias[0]) {
                by_alias = domain_xml_find_alias(d, e->alias);
                if (!by_alias) {
                        entry_error(e, "<%s alias='%s'>: no interface has this alias", tag, e->alias);
                        return NULL;
                }
        }
        if (e->has_mac) {
                (void) ether_addr_to_string(&e->mac, mac);
                by_mac = domain_xml_find_mac(d, &e->mac);
                if (!by_mac) {
                        entry_error(e, "<%s mac='%s'>: no interface has this MAC", tag, mac);
                        return NULL;
                }
                if (!by_alias && count_mac(d, &e->mac) > 1) {
                        entry_error(e, "<%s mac='%s'>: more than one interface has this MAC, use alias=",
                                        tag, mac);
                        return NULL;
                }
        }
        if (by_alias && by_mac && by_alias != by_mac && !ether_addr_equal(&by_alias->mac, &e->mac)) {
                entry_error(e, "<%s alias='%s' mac='%s'>: alias and MAC name different interfaces", tag,
                                e->alias, mac);
                return NULL;
        }
        return by_alias ?: by_mac;
}

static void match_entry(DomainXml *d, size_t k, const char *tag) {
        DomainMetadataNic *e = &d->metadata[k];
        const DomainInterface *i;
        DomainInterface *iface;

        i = entry_interface(d, e, tag);
        if (!i)
                return;

        iface = &d->interfaces[i - d->interfaces];
        e->interface = (int) (i - d->interfaces);
        if (iface->metadata >= 0)
                entry_error(e, "<%s>: interface %s has another <%s> already, at line %u", tag,
                                iface->alias[0] ? iface->alias : "without alias", tag,
                                d->metadata[iface->metadata].line);
        /* A NIC named by a broken or second entry must show that entry's error, not run with either. */
        if (iface->metadata < 0 || e->error[0])
                iface->metadata = (int) k;
}

static int parse_metadata(const LibvirtXmlParser *p, xmlNode *metadata, DomainXml *d) {
        char buf[EXCERPT_MAX], tag[EXCERPT_MAX];
        xmlNode *nics = NULL;
        size_t n = 0;
        int r;

        for (xmlNode *c = metadata->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (is_vnicd_ns(c)) {
                        if (!streq((const char *) c->name, "nics"))
                                return libvirt_xml_error(p, c, -EINVAL, "unknown element <%s> in <metadata>",
                                                element_name(c, buf));
                        if (nics)
                                return libvirt_xml_error(
                                                p, c, -EINVAL, "more than one <%s>", element_name(c, buf));
                        nics = c;
                } else if (c->ns && c->ns->href &&
                                strncmp((const char *) c->ns->href, VNICD_XMLNS_FAMILY,
                                                strlen(VNICD_XMLNS_FAMILY)) == 0) {
                        /* Settings written for another vnicd must not be ignored silently. */
                        const char *href = (const char *) c->ns->href;

                        return libvirt_xml_error(p, c, -EINVAL, "namespace %s: this vnicd reads %s only",
                                        string_excerpt(href, strlen(href), buf), VNICD_XMLNS);
                }
        }
        if (!nics)
                return 0;

        for (xmlNode *c = nics->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (!is_vnicd_ns(c) || !streq((const char *) c->name, "nic"))
                        return libvirt_xml_error(p, c, -EINVAL, "unknown element <%s> in <%s>%s",
                                        element_name(c, buf), element_name(nics, tag),
                                        is_vnicd_ns(c) ? "" : " (vnicd's elements need its namespace)");
                if (++n > DOMAIN_METADATA_NICS_MAX)
                        return libvirt_xml_error(p, c, -E2BIG, "more than %d <%s> entries",
                                        DOMAIN_METADATA_NICS_MAX, element_name(c, buf));
        }
        if (n == 0)
                return 0;

        d->metadata = new0(DomainMetadataNic, n);
        if (!d->metadata)
                return -ENOMEM;
        for (xmlNode *c = nics->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                r = parse_nic_entry(c, &d->metadata[d->n_metadata]);
                if (r < 0)
                        return r;
                match_entry(d, d->n_metadata++, element_name(c, tag));
        }
        return 0;
}

/* <vcpu current='2'>4</vcpu>: 4 vCPUs at most, 2 online (hot-plug moves 'current'). */
static int parse_vcpu(const LibvirtXmlParser *p, xmlNode *n, unsigned *ret) {
        char v[16], excerpt[EXCERPT_MAX];
        unsigned max, current;
        int r;

        r = libvirt_xml_text(p, n, v, sizeof(v));
        if (r < 0)
                return r;
        if (parse_decimal(v, DOMAIN_VCPUS_MAX, &max) < 0 || max == 0)
                return libvirt_xml_error(p, n, -ERANGE, "<vcpu>: not a vCPU count 1-%d", DOMAIN_VCPUS_MAX);
        r = attr_get(n, "current", v, sizeof(v), excerpt);
        if (r == -ENOMEM)
                return r;
        current = max;
        if (r != 0 && (r < 0 || parse_decimal(v, max, &current) < 0 || current == 0))
                return value_error(p, n, -ERANGE, "current", excerpt, "not a vCPU count within <vcpu>");
        *ret = current;
        return 0;
}

int domain_xml_parse(const char *xml, size_t len, DomainXml *ret, char **ret_error) {
        const LibvirtXmlParser p = {.what = "domain XML", .ret_error = ret_error};
        _cleanup_(libvirt_xml_free_docp) xmlDoc *doc = NULL;
        _cleanup_(domain_xml_done) DomainXml d = {.id = -1};
        xmlNode *root, *metadata = NULL, *devices = NULL;
        bool has_uuid = false;
        char id[16], excerpt[EXCERPT_MAX];
        int r;

        if (!ret)
                return -EINVAL;

        r = libvirt_xml_read(&p, xml, len, "domain", &doc);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);

        r = attr_get(root, "id", id, sizeof(id), excerpt);
        if (r == -ENOMEM)
                return r;
        if (r != 0) {
                unsigned v;

                if (r < 0 || parse_decimal(id, INT_MAX, &v) < 0)
                        return value_error(&p, root, -EINVAL, "id", excerpt, "not a domain id");
                d.id = (int) v;
        }

        for (xmlNode *c = root->children; c; c = c->next) {
                xmlNode **slot = libvirt_xml_is(c, "metadata")  ? &metadata
                                 : libvirt_xml_is(c, "devices") ? &devices
                                                                : NULL;

                if (libvirt_xml_is(c, "name")) {
                        if (d.name[0])
                                return libvirt_xml_error(&p, c, -EINVAL, "more than one <name>");
                        r = libvirt_xml_text(&p, c, d.name, sizeof(d.name));
                        if (r < 0)
                                return r;
                        if (d.name[0] == 0 || strchr(d.name, '/'))
                                return libvirt_xml_error(&p, c, -EINVAL, "<name>: not a domain name");
                } else if (libvirt_xml_is(c, "vcpu")) {
                        if (d.vcpus > 0)
                                return libvirt_xml_error(&p, c, -EINVAL, "more than one <vcpu>");
                        r = parse_vcpu(&p, c, &d.vcpus);
                        if (r < 0)
                                return r;
                } else if (libvirt_xml_is(c, "uuid")) {
                        if (has_uuid)
                                return libvirt_xml_error(&p, c, -EINVAL, "more than one <uuid>");
                        r = libvirt_xml_uuid(&p, c, d.uuid);
                        if (r < 0)
                                return r;
                        has_uuid = true;
                } else if (slot) {
                        if (*slot)
                                return libvirt_xml_error(&p, c, -EINVAL, "more than one <%s>", c->name);
                        *slot = c;
                }
        }
        if (!d.name[0])
                return libvirt_xml_error(&p, root, -EINVAL, "<domain> without <name>");

        if (devices) {
                r = parse_devices(&p, devices, &d);
                if (r < 0)
                        return r;
        }
        /* After the interfaces: entries are matched to them as they are read. */
        if (metadata) {
                r = parse_metadata(&p, metadata, &d);
                if (r < 0)
                        return r;
        }

        *ret = d;
        d = (DomainXml){.id = -1};
        return 0;
}
