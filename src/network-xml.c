/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "macro.h"
#include "network-xml.h"
#include "parse-util.h"

static const char *const network_forward_mode_table[_NETWORK_FORWARD_MODE_MAX] = {
                [NETWORK_FORWARD_NONE] = "none",
                [NETWORK_FORWARD_NAT] = "nat",
                [NETWORK_FORWARD_ROUTE] = "route",
                [NETWORK_FORWARD_OPEN] = "open",
                [NETWORK_FORWARD_BRIDGE] = "bridge",
                [NETWORK_FORWARD_PRIVATE] = "private",
                [NETWORK_FORWARD_VEPA] = "vepa",
                [NETWORK_FORWARD_PASSTHROUGH] = "passthrough",
                [NETWORK_FORWARD_HOSTDEV] = "hostdev",
};

static const char *const setting_origin_table[_SETTING_ORIGIN_MAX] = {
                [SETTING_ORIGIN_NONE] = "none",
                [SETTING_ORIGIN_INTERFACE] = "interface",
                [SETTING_ORIGIN_PORTGROUP] = "portgroup",
                [SETTING_ORIGIN_NETWORK] = "network",
};

const char *network_forward_mode_to_string(NetworkForwardMode m) {
        return m >= 0 && m < _NETWORK_FORWARD_MODE_MAX ? network_forward_mode_table[m] : NULL;
}

NetworkForwardMode network_forward_mode_from_string(const char *s) {
        if (!s)
                return _NETWORK_FORWARD_MODE_INVALID;
        /* "none" is our word for a missing <forward>; libvirt has no such mode. */
        for (NetworkForwardMode m = NETWORK_FORWARD_NAT; m < _NETWORK_FORWARD_MODE_MAX; m++)
                if (streq(s, network_forward_mode_table[m]))
                        return m;
        return _NETWORK_FORWARD_MODE_INVALID;
}

const char *setting_origin_to_string(SettingOrigin o) {
        return o >= 0 && o < _SETTING_ORIGIN_MAX ? setting_origin_table[o] : NULL;
}

void network_xml_done(NetworkXml *n) {
        if (!n)
                return;
        free(n->portgroups);
        *n = (NetworkXml){.trust_guest_rx_filters = -1};
}

const NetworkPortgroup *network_xml_find_portgroup(const NetworkXml *n, const char *name) {
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n_portgroups; i++)
                if (name && name[0] ? streq(n->portgroups[i].name, name) : n->portgroups[i].is_default)
                        return &n->portgroups[i];
        return NULL;
}

static int parse_forward(const LibvirtXmlParser *p, xmlNode *n, NetworkXml *net) {
        char mode[16];
        int r;

        r = libvirt_xml_attr(p, n, "mode", mode, sizeof(mode));
        if (r < 0)
                return r;
        /* libvirt's default for a <forward> without mode=. */
        net->forward_mode = r == 0 ? NETWORK_FORWARD_NAT : network_forward_mode_from_string(mode);
        if (net->forward_mode < 0)
                return libvirt_xml_error(p, n, -EINVAL,
                                "<forward mode='%s'>: not one of nat, route, open, bridge, private, vepa, "
                                "passthrough, hostdev",
                                mode);
        r = libvirt_xml_ifname(p, n, "dev", net->forward_dev);
        return r < 0 ? r : 0;
}

static int parse_portgroup(const LibvirtXmlParser *p, xmlNode *n, NetworkXml *net, NetworkPortgroup *g) {
        int is_default = -1, r;

        *g = (NetworkPortgroup){.trust_guest_rx_filters = -1};
        r = libvirt_xml_name(p, n, "name", g->name, sizeof(g->name));
        if (r < 0)
                return r;
        if (r == 0)
                return libvirt_xml_error(p, n, -EINVAL, "<portgroup> without name=");
        if (network_xml_find_portgroup(net, g->name))
                return libvirt_xml_error(p, n, -EINVAL, "<portgroup name='%s'>: a second one with this name",
                                g->name);
        r = libvirt_xml_yes_no(p, n, "default", &is_default);
        if (r < 0)
                return r;
        g->is_default = is_default > 0;
        if (g->is_default && network_xml_find_portgroup(net, NULL))
                return libvirt_xml_error(p, n, -EINVAL,
                                "<portgroup name='%s' default='yes'>: a second default one", g->name);
        r = libvirt_xml_yes_no(p, n, "trustGuestRxFilters", &g->trust_guest_rx_filters);
        if (r < 0)
                return r;

        for (xmlNode *c = n->children; c; c = c->next) {
                if (libvirt_xml_is(c, "vlan"))
                        r = libvirt_xml_vlan(p, c, &g->vlan);
                else if (libvirt_xml_is(c, "virtualport"))
                        r = libvirt_xml_word(p, c, "type", g->virtualport, sizeof(g->virtualport));
                else
                        continue;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_portgroups(const LibvirtXmlParser *p, xmlNode *root, NetworkXml *net) {
        size_t n = 0;
        int r;

        for (xmlNode *c = root->children; c; c = c->next)
                if (libvirt_xml_is(c, "portgroup") && ++n > NETWORK_PORTGROUPS_MAX)
                        return libvirt_xml_error(p, c, -E2BIG, "more than %d <portgroup> elements",
                                        NETWORK_PORTGROUPS_MAX);
        if (n == 0)
                return 0;

        net->portgroups = new0(NetworkPortgroup, n);
        if (!net->portgroups)
                return -ENOMEM;
        for (xmlNode *c = root->children; c; c = c->next) {
                if (!libvirt_xml_is(c, "portgroup"))
                        continue;
                /* Counted only once complete, so the duplicate checks see the earlier ones alone. */
                r = parse_portgroup(p, c, net, &net->portgroups[net->n_portgroups]);
                if (r < 0)
                        return r;
                net->n_portgroups++;
        }
        return 0;
}

int network_xml_parse(const char *xml, size_t len, NetworkXml *ret, char **ret_error) {
        const LibvirtXmlParser p = {.what = "network XML", .ret_error = ret_error};
        _cleanup_(libvirt_xml_free_docp) xmlDoc *doc = NULL;
        _cleanup_(network_xml_done) NetworkXml net = {.trust_guest_rx_filters = -1};
        unsigned seen = 0;
        xmlNode *root;
        int r;

        if (!ret)
                return -EINVAL;

        r = libvirt_xml_read(&p, xml, len, "network", &doc);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);

        r = libvirt_xml_yes_no(&p, root, "trustGuestRxFilters", &net.trust_guest_rx_filters);
        if (r < 0)
                return r;

        for (xmlNode *c = root->children; c; c = c->next) {
                static const char *const once[] = {
                                "name", "uuid", "forward", "bridge", "virtualport", "vlan"};
                size_t k;

                for (k = 0; k < ELEMENTSOF(once); k++)
                        if (libvirt_xml_is(c, once[k]))
                                break;
                if (k == ELEMENTSOF(once))
                        continue;
                if (seen & (1u << k))
                        return libvirt_xml_error(&p, c, -EINVAL, "more than one <%s>", once[k]);
                seen |= 1u << k;

                switch (k) {
                case 0:
                        r = libvirt_xml_text(&p, c, net.name, sizeof(net.name));
                        if (r >= 0 && (net.name[0] == 0 || strchr(net.name, '/')))
                                r = libvirt_xml_error(&p, c, -EINVAL, "<name>: not a network name");
                        break;
                case 1:
                        r = libvirt_xml_uuid(&p, c, net.uuid);
                        break;
                case 2:
                        r = parse_forward(&p, c, &net);
                        break;
                case 3:
                        r = libvirt_xml_ifname(&p, c, "name", net.bridge);
                        break;
                case 4:
                        r = libvirt_xml_word(&p, c, "type", net.virtualport, sizeof(net.virtualport));
                        break;
                default:
                        r = libvirt_xml_vlan(&p, c, &net.vlan);
                }
                if (r < 0)
                        return r;
        }
        if (!net.name[0])
                return libvirt_xml_error(&p, root, -EINVAL, "<network> without <name>");

        r = parse_portgroups(&p, root, &net);
        if (r < 0)
                return r;

        *ret = net;
        net = (NetworkXml){.trust_guest_rx_filters = -1};
        return 0;
}

/* How messages name an interface: its alias, else its MAC, else where it is. */
static const char *interface_name(const DomainInterface *i, char buf[static DOMAIN_ALIAS_MAX]) {
        char mac[ETHER_ADDR_STRING_MAX];

        if (i->alias[0])
                (void) snprintf(buf, DOMAIN_ALIAS_MAX, "%s", i->alias);
        else if (i->has_mac)
                (void) snprintf(buf, DOMAIN_ALIAS_MAX, "%s", ether_addr_to_string(&i->mac, mac));
        else
                (void) snprintf(buf, DOMAIN_ALIAS_MAX, "at line %u", i->line);
        return buf;
}

/* The mode of the macvtaps a network hands out; -EINVAL when it hands out none. */
static MacvtapMode forward_macvtap_mode(const NetworkXml *net) {
        switch (net->forward_mode) {
        case NETWORK_FORWARD_BRIDGE:
                return net->bridge[0] ? _MACVTAP_MODE_INVALID : MACVTAP_MODE_BRIDGE;
        case NETWORK_FORWARD_PRIVATE:
                return MACVTAP_MODE_PRIVATE;
        case NETWORK_FORWARD_VEPA:
                return MACVTAP_MODE_VEPA;
        case NETWORK_FORWARD_PASSTHROUGH:
                return MACVTAP_MODE_PASSTHROUGH;
        default:
                return _MACVTAP_MODE_INVALID;
        }
}

/* Where a NIC attached through 'net' ends up when the domain XML does not say already (an inactive
 * XML, or a network with its own bridge, which live XML still calls type='network'). */
static int resolve_plug(const DomainInterface *iface, const NetworkXml *net, ResolvedInterface *r,
                char **ret_error) {
        char who[DOMAIN_ALIAS_MAX];

        if (net->forward_mode == NETWORK_FORWARD_HOSTDEV) {
                r->type = DOMAIN_INTERFACE_HOSTDEV;
                return 0;
        }
        if (forward_macvtap_mode(net) >= 0) {
                r->type = DOMAIN_INTERFACE_DIRECT;
                r->mode = iface->source_mode >= 0 ? iface->source_mode : forward_macvtap_mode(net);
                return 0;
        }

        /* nat, route, open, none: the network's own bridge; bridge: a host bridge. */
        r->type = DOMAIN_INTERFACE_BRIDGE;
        if (!r->bridge[0]) {
                if (!net->bridge[0])
                        return parse_error(ret_error, -EINVAL,
                                        "interface %s: network '%s' (forward mode %s) has no bridge",
                                        interface_name(iface, who), net->name,
                                        network_forward_mode_to_string(net->forward_mode));
                memcpy(r->bridge, net->bridge, sizeof(r->bridge));
        }
        return 0;
}

int network_resolve_interface(const DomainInterface *iface, const NetworkXml *net, ResolvedInterface *ret,
                char **ret_error) {
        const NetworkPortgroup *pg = NULL;
        char who[DOMAIN_ALIAS_MAX];
        ResolvedInterface r = {
                        .type = iface ? iface->type : _DOMAIN_INTERFACE_TYPE_INVALID,
                        .mode = _MACVTAP_MODE_INVALID,
        };
        int k;

        if (!iface || !ret)
                return -EINVAL;

        memcpy(r.type_name, iface->type_name, sizeof(r.type_name));
        memcpy(r.model, iface->model, sizeof(r.model));
        memcpy(r.alias, iface->alias, sizeof(r.alias));
        memcpy(r.target_dev, iface->target_dev, sizeof(r.target_dev));
        memcpy(r.bridge, iface->source_bridge, sizeof(r.bridge));
        memcpy(r.source_dev, iface->source_dev, sizeof(r.source_dev));
        memcpy(r.virtualport, iface->virtualport, sizeof(r.virtualport));
        if (iface->type == DOMAIN_INTERFACE_DIRECT)
                r.mode = iface->source_mode >= 0 ? iface->source_mode : MACVTAP_MODE_VEPA;
        if (libvirt_vlan_is_set(&iface->vlan)) {
                r.vlan = iface->vlan;
                r.vlan_origin = SETTING_ORIGIN_INTERFACE;
        }
        if (iface->trust_guest_rx_filters >= 0) {
                r.trust_guest_rx_filters = iface->trust_guest_rx_filters;
                r.trust_origin = SETTING_ORIGIN_INTERFACE;
        }

        if (!iface->source_network[0]) {
                if (iface->type == DOMAIN_INTERFACE_NETWORK)
                        return parse_error(ret_error, -EINVAL,
                                        "interface %s: type='network' without source network=",
                                        interface_name(iface, who));
                *ret = r;
                return 0;
        }

        if (!net)
                return parse_error(ret_error, -ENOENT, "interface %s: network '%s' is not known",
                                interface_name(iface, who), iface->source_network);
        if (!streq(net->name, iface->source_network))
                return parse_error(ret_error, -EINVAL, "interface %s: attached to network '%s', not '%s'",
                                interface_name(iface, who), iface->source_network, net->name);
        pg = network_xml_find_portgroup(net, iface->source_portgroup);
        if (iface->source_portgroup[0] && !pg)
                return parse_error(ret_error, -ENOENT, "interface %s: network '%s' has no portgroup '%s'",
                                interface_name(iface, who), net->name, iface->source_portgroup);
        memcpy(r.network, net->name, sizeof(r.network));
        if (pg)
                memcpy(r.portgroup, pg->name, sizeof(r.portgroup));

        /* libvirt's order for each: the interface, its portgroup, the network. */
        if (r.vlan_origin == SETTING_ORIGIN_NONE && pg && libvirt_vlan_is_set(&pg->vlan)) {
                r.vlan = pg->vlan;
                r.vlan_origin = SETTING_ORIGIN_PORTGROUP;
        } else if (r.vlan_origin == SETTING_ORIGIN_NONE && libvirt_vlan_is_set(&net->vlan)) {
                r.vlan = net->vlan;
                r.vlan_origin = SETTING_ORIGIN_NETWORK;
        }
        if (r.trust_origin == SETTING_ORIGIN_NONE && pg && pg->trust_guest_rx_filters >= 0) {
                r.trust_guest_rx_filters = pg->trust_guest_rx_filters;
                r.trust_origin = SETTING_ORIGIN_PORTGROUP;
        } else if (r.trust_origin == SETTING_ORIGIN_NONE && net->trust_guest_rx_filters >= 0) {
                r.trust_guest_rx_filters = net->trust_guest_rx_filters;
                r.trust_origin = SETTING_ORIGIN_NETWORK;
        }
        if (!r.virtualport[0])
                memcpy(r.virtualport, pg && pg->virtualport[0] ? pg->virtualport : net->virtualport,
                                sizeof(r.virtualport));

        /* The live XML already names what libvirt plugged (type='bridge' or 'direct'); fill in only
         * what it leaves out. */
        if (iface->type == DOMAIN_INTERFACE_NETWORK) {
                k = resolve_plug(iface, net, &r, ret_error);
                if (k < 0)
                        return k;
        } else if (iface->type == DOMAIN_INTERFACE_BRIDGE && !r.bridge[0])
                memcpy(r.bridge, net->bridge, sizeof(r.bridge));
        else if (iface->type == DOMAIN_INTERFACE_DIRECT && iface->source_mode < 0 &&
                        forward_macvtap_mode(net) >= 0)
                r.mode = forward_macvtap_mode(net);

        *ret = r;
        return 0;
}
