/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "domain-xml.h"

/* A libvirt network XML ('virsh net-dumpxml'), as much of it as resolving an interface of
 * type='network' needs, and the resolution itself: which bridge or macvtap the NIC ends up on,
 * with which VLANs and trust. libvirt picks each of <vlan> and trustGuestRxFilters from the first
 * place that sets it: the interface, else its portgroup (the one named by source portgroup=, else
 * the network's default='yes' one), else the network. */

#define NETWORK_PORTGROUPS_MAX 64

typedef enum NetworkForwardMode {
        NETWORK_FORWARD_NONE, /* no <forward>: an isolated network with its own bridge */
        NETWORK_FORWARD_NAT,
        NETWORK_FORWARD_ROUTE,
        NETWORK_FORWARD_OPEN,
        NETWORK_FORWARD_BRIDGE, /* a host bridge (<bridge name=>), or macvtaps in bridge mode */
        NETWORK_FORWARD_PRIVATE,
        NETWORK_FORWARD_VEPA,
        NETWORK_FORWARD_PASSTHROUGH,
        NETWORK_FORWARD_HOSTDEV,
        _NETWORK_FORWARD_MODE_MAX,
        _NETWORK_FORWARD_MODE_INVALID = -EINVAL,
} NetworkForwardMode;

typedef struct NetworkPortgroup {
        char name[DOMAIN_NAME_MAX];
        bool is_default;                   /* default='yes' */
        LibvirtVlan vlan;                  /* empty: none */
        int trust_guest_rx_filters;        /* -1 absent, 0, 1 */
        char virtualport[DOMAIN_WORD_MAX]; /* <virtualport type=>; "" = none */
} NetworkPortgroup;

typedef struct NetworkXml {
        char name[DOMAIN_NAME_MAX];
        char uuid[DOMAIN_UUID_MAX];
        NetworkForwardMode forward_mode;
        char bridge[DOMAIN_IFNAME_MAX];      /* <bridge name=>; "" = none (a macvtap pool) */
        char forward_dev[DOMAIN_IFNAME_MAX]; /* <forward dev=>; "" = none */
        char virtualport[DOMAIN_WORD_MAX];
        LibvirtVlan vlan;
        int trust_guest_rx_filters; /* <network trustGuestRxFilters=>: -1 absent, 0, 1 */
        NetworkPortgroup *portgroups;
        size_t n_portgroups;
} NetworkXml;

/* Parses 'xml' ('len' bytes) into '*ret' (untouched on failure). Returns 0 or -EINVAL, -E2BIG,
 * -ENOMEM with a malloc'ed "network XML line N: ..." message in '*ret_error'. Refused, besides
 * what domain_xml_parse() refuses: more than NETWORK_PORTGROUPS_MAX portgroups, two with one name,
 * two default ones, an unknown forward mode. */
int network_xml_parse(const char *xml, size_t len, NetworkXml *ret, char **ret_error);
void network_xml_done(NetworkXml *n);

/* The portgroup called 'name', or the default one when 'name' is NULL or ""; NULL if none. */
const NetworkPortgroup *network_xml_find_portgroup(const NetworkXml *n, const char *name);

typedef enum SettingOrigin {
        SETTING_ORIGIN_NONE,      /* nobody set it: libvirt's default applies */
        SETTING_ORIGIN_INTERFACE, /* the domain's <interface> */
        SETTING_ORIGIN_PORTGROUP, /* the network's portgroup */
        SETTING_ORIGIN_NETWORK,   /* the network itself */
        _SETTING_ORIGIN_MAX,
        _SETTING_ORIGIN_INVALID = -EINVAL,
} SettingOrigin;

/* A NIC as libvirt actually plugged it: what ownership and the policies work on. */
typedef struct ResolvedInterface {
        DomainInterfaceType type;        /* never NETWORK: resolved to BRIDGE, DIRECT or HOSTDEV */
        char type_name[DOMAIN_WORD_MAX]; /* as the domain XML says, for messages */
        char model[DOMAIN_WORD_MAX];
        char alias[DOMAIN_ALIAS_MAX];
        char target_dev[DOMAIN_IFNAME_MAX];
        char bridge[DOMAIN_IFNAME_MAX];     /* BRIDGE: the bridge the tap is in */
        char source_dev[DOMAIN_IFNAME_MAX]; /* DIRECT: the macvtap's lower device ("" if not known) */
        MacvtapMode mode;                   /* DIRECT only */
        char virtualport[DOMAIN_WORD_MAX];  /* "openvswitch": an OVS port, not a Linux bridge one */
        char network[DOMAIN_NAME_MAX];      /* "" when not attached through a network */
        char portgroup[DOMAIN_NAME_MAX];    /* the portgroup whose settings apply; "" none */
        LibvirtVlan vlan;
        SettingOrigin vlan_origin;
        bool trust_guest_rx_filters;
        SettingOrigin trust_origin;
} ResolvedInterface;

/* Resolves 'iface' against 'net', the network its source network= names (NULL for an interface
 * not attached through a network). Pure. Returns 0, or with a malloc'ed message in '*ret_error':
 * -ENOENT when 'iface' names a network but 'net' is NULL, or names a portgroup 'net' lacks;
 * -EINVAL when 'net' is another network than the one named, or a network interface cannot be
 * placed (a bridge-less network without a device). '*ret' is untouched on failure. */
int network_resolve_interface(const DomainInterface *iface, const NetworkXml *net, ResolvedInterface *ret,
                char **ret_error);

const char *network_forward_mode_to_string(NetworkForwardMode m);
NetworkForwardMode network_forward_mode_from_string(const char *s);
const char *setting_origin_to_string(SettingOrigin o);
