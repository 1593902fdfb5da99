/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "domain-xml-queues.h"
#include "domain-xml.h"
#include "fuzz.h"
#include "macro.h"
#include "network-xml.h"

/* A domain XML, optionally followed by a NUL byte and the XML of a network, into
 * domain_xml_parse(), network_xml_parse() and network_resolve_interface() for every interface.
 * Checks what callers rely on: failures leave the result untouched and say what failed, strings
 * are terminated, metadata and interfaces point at each other consistently, a resolved NIC never
 * stays of type 'network'. The domain also goes through domain_xml_set_queues() for each of its
 * interfaces' MACs: the result parses again and has the queues asked for. */

static void check_string(const char *s, size_t size) {
        if (strnlen(s, size) >= size)
                abort();
}

static void check_vlan(const LibvirtVlan *v) {
        if (v->native_mode != VLAN_NATIVE_NONE && !vlan_set_contains(&v->tags, v->native_vid))
                abort();
        if (v->native_mode == VLAN_NATIVE_NONE && v->native_vid != 0)
                abort();
        if (vlan_set_count(&v->tags) > 1 && !v->trunk)
                abort();
}

static void check_domain(const DomainXml *d) {
        check_string(d->name, sizeof(d->name));
        check_string(d->uuid, sizeof(d->uuid));
        if (!d->name[0] || d->n_interfaces > DOMAIN_INTERFACES_MAX ||
                        d->n_metadata > DOMAIN_METADATA_NICS_MAX)
                abort();

        for (size_t i = 0; i < d->n_interfaces; i++) {
                const DomainInterface *f = &d->interfaces[i];
                const DomainMetadataNic *m = domain_interface_metadata(d, f);

                check_string(f->type_name, sizeof(f->type_name));
                check_string(f->alias, sizeof(f->alias));
                check_string(f->target_dev, sizeof(f->target_dev));
                check_string(f->source_network, sizeof(f->source_network));
                check_string(f->source_path, sizeof(f->source_path));
                check_vlan(&f->vlan);
                if (f->type < 0 || f->type >= _DOMAIN_INTERFACE_TYPE_MAX || f->queues > DOMAIN_QUEUES_MAX)
                        abort();
                if (f->metadata >= 0 && (!m || m->interface != (int) i))
                        abort();
        }
        for (size_t k = 0; k < d->n_metadata; k++) {
                const DomainMetadataNic *m = &d->metadata[k];

                check_string(m->error, sizeof(m->error));
                check_string(m->alias, sizeof(m->alias));
                if (m->interface >= (int) d->n_interfaces)
                        abort();
                /* An entry that matches nothing always says why. */
                if (m->interface < 0 && !m->error[0])
                        abort();
                if (m->error[0] && strncmp(m->error, "domain XML line ", 16) != 0)
                        abort();
                if (!m->error[0] && (m->settings.native_vlan > VLAN_VID_MAX ||
                                                    vlan_set_contains(&m->settings.allowed_vlans, 0)))
                        abort();
        }
}

static void check_network(const NetworkXml *n) {
        check_string(n->name, sizeof(n->name));
        check_string(n->bridge, sizeof(n->bridge));
        check_vlan(&n->vlan);
        if (!n->name[0] || n->n_portgroups > NETWORK_PORTGROUPS_MAX)
                abort();
        for (size_t i = 0; i < n->n_portgroups; i++) {
                check_string(n->portgroups[i].name, sizeof(n->portgroups[i].name));
                check_vlan(&n->portgroups[i].vlan);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *error = NULL, *net_error = NULL;
        const uint8_t *nul = memchr(data, 0, size);
        size_t len = nul ? (size_t) (nul - data) : size;
        DomainXml d = {.id = -2};
        NetworkXml n = {.trust_guest_rx_filters = -2};
        bool have_net = false;
        int r;

        r = domain_xml_parse((const char *) data, len, &d, &error);
        if (r < 0) {
                if (r != -ENOMEM && (!error || strncmp(error, "domain XML", 10) != 0))
                        abort();
                if (d.id != -2 || d.interfaces || d.metadata)
                        abort();
        } else
                check_domain(&d);

        if (nul) {
                r = network_xml_parse((const char *) nul + 1, size - len - 1, &n, &net_error);
                if (r < 0) {
                        if (r != -ENOMEM && (!net_error || strncmp(net_error, "network XML", 11) != 0))
                                abort();
                        if (n.trust_guest_rx_filters != -2 || n.portgroups)
                                abort();
                } else {
                        check_network(&n);
                        have_net = true;
                }
        }

        for (size_t i = 0; i < d.n_interfaces; i++) {
                _cleanup_free_ char *resolve_error = NULL;
                ResolvedInterface ri;

                r = network_resolve_interface(&d.interfaces[i], have_net ? &n : NULL, &ri, &resolve_error);
                if (r < 0 && r != -ENOMEM && !resolve_error)
                        abort();
                if (r >= 0 && (ri.type == DOMAIN_INTERFACE_NETWORK || resolve_error))
                        abort();
                if (r >= 0) {
                        check_string(ri.bridge, sizeof(ri.bridge));
                        check_vlan(&ri.vlan);
                }
        }

        for (size_t i = 0; i < d.n_interfaces; i++) {
                _cleanup_free_ char *edited = NULL, *edit_error = NULL, *again_error = NULL;
                DomainXml again = {};
                unsigned old = 0;
                const DomainInterface *f;

                if (!d.interfaces[i].has_mac)
                        continue;
                r = domain_xml_set_queues((const char *) data, len, &d.interfaces[i].mac, 3, &edited, &old,
                                &edit_error);
                if (r < 0 && r != -ENOMEM && !edit_error)
                        abort();
                if ((r == 1) != !!edited || (r == 0 && old != 3))
                        abort();
                if (r != 1 || domain_xml_parse(edited, strlen(edited), &again, &again_error) < 0)
                        continue;
                f = domain_xml_find_mac(&again, &d.interfaces[i].mac);
                if (f && f->queues != 3)
                        abort();
                domain_xml_done(&again);
        }

        domain_xml_done(&d);
        network_xml_done(&n);
        return 0;
}
