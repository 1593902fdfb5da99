/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "domain-xml-queues.h"
#include "domain-xml.h"
#include "parse-util.h"

static int set_error(char **ret_error, int r, const char *format, ...) _printf_(3, 4);
static int set_error(char **ret_error, int r, const char *format, ...) {
        va_list ap;

        if (ret_error) {
                free(*ret_error);
                va_start(ap, format);
                if (vasprintf(ret_error, format, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return r;
}

static xmlNode *child(xmlNode *n, const char *name) {
        for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
                if (libvirt_xml_is(c, name))
                        return c;
        return NULL;
}

/* The interfaces whose <mac address> parses as 'mac'; '*ret' the first. */
static size_t find_interfaces(xmlNode *devices, const EtherAddr *mac, xmlNode **ret) {
        size_t n = 0;

        *ret = NULL;
        for (xmlNode *c = devices ? devices->children : NULL; c; c = c->next) {
                xmlNode *m = libvirt_xml_is(c, "interface") ? child(c, "mac") : NULL;
                _cleanup_free_ char *a = m ? (char *) xmlGetNoNsProp(m, (const xmlChar *) "address") : NULL;
                EtherAddr e;

                if (!a || ether_addr_from_string(a, &e) < 0 || !ether_addr_equal(&e, mac))
                        continue;
                if (n++ == 0)
                        *ret = c;
        }
        return n;
}

int domain_xml_set_queues(const char *xml, size_t len, const EtherAddr *mac, unsigned queues, char **ret_xml,
                unsigned *ret_old, char **ret_error) {
        _cleanup_(libvirt_xml_free_docp) xmlDoc *doc = NULL;
        const LibvirtXmlParser p = {.what = "persistent domain XML", .ret_error = ret_error};
        char m[ETHER_ADDR_STRING_MAX], v[16], old_text[16];
        xmlNode *iface, *driver;
        xmlChar *out = NULL;
        unsigned old = 0;
        size_t n;
        int size, r;

        if (!mac || !ret_xml || !ret_old)
                return -EINVAL;
        if (queues == 0 || queues > DOMAIN_QUEUES_MAX)
                return set_error(ret_error, -EINVAL, "queues %u outside 1-%u", queues, DOMAIN_QUEUES_MAX);
        r = libvirt_xml_read(&p, xml, len, "domain", &doc);
        if (r < 0)
                return r;

        n = find_interfaces(child(xmlDocGetRootElement(doc), "devices"), mac, &iface);
        if (n != 1)
                return set_error(ret_error, -ENOENT, "%s: %s <interface> with MAC %s", p.what,
                                n == 0 ? "no" : "more than one", ether_addr_to_string(mac, m));

        driver = child(iface, "driver");
        if (driver) {
                r = libvirt_xml_attr(&p, driver, "queues", old_text, sizeof(old_text));
                if (r < 0)
                        return r;
                if (r > 0 && (parse_decimal(old_text, DOMAIN_QUEUES_MAX, &old) < 0 || old == 0))
                        return libvirt_xml_error(&p, driver, -EINVAL,
                                        "<driver queues='%s'>: not a queue count", old_text);
        }
        *ret_old = old;
        /* libvirt stores queues='1' as no queues= at all (one pair): both are one pair. */
        if (MAX(old, 1u) == queues) {
                *ret_xml = NULL;
                return 0;
        }

        if (!driver) {
                driver = xmlNewChild(iface, NULL, (const xmlChar *) "driver", NULL);
                if (!driver)
                        return -ENOMEM;
        }
        (void) snprintf(v, sizeof(v), "%u", queues);
        if (!xmlSetProp(driver, (const xmlChar *) "queues", (const xmlChar *) v))
                return -ENOMEM;

        xmlDocDumpMemory(doc, &out, &size);
        if (!out || size < 0) {
                xmlFree(out);
                return -ENOMEM;
        }
        *ret_xml = strndup((const char *) out, (size_t) size);
        xmlFree(out);
        return *ret_xml ? 1 : -ENOMEM;
}
