/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "ether-addr.h"
#include "macro.h"
#include "nic-settings.h"
#include "vlan-set.h"

/* A libvirt domain XML as 'virsh dumpxml' prints a running domain, flattened to what vnicd needs
 * of each <interface>, plus vnicd's own per-NIC settings from <metadata> (docs/domain-metadata.md):
 *
 *   <metadata>
 *     <vnicd:nics xmlns:vnicd='https://vnicd.org/xmlns/vnicd/1'>
 *       <vnicd:nic alias='ua-lan' trust='yes'/>
 *       <vnicd:nic mac='52:54:00:00:00:03' allowed-vlans='20,100-110' native-vlan='10'/>
 *     </vnicd:nics>
 *   </metadata>
 *
 * Facts of libvirt 9.0's live XML the parser relies on (captured from a running domain): a
 * type='network' interface is printed with the type it was plugged as ('bridge', 'direct', or
 * 'network' for a network with its own bridge) and keeps source network=, portgroup= next to the
 * bridge= or dev= and mode= it got; trustGuestRxFilters and <vlan> inherited from the network or
 * a portgroup are NOT printed, which is why network_resolve_interface() exists; <mac> is the
 * configured MAC, not the one the guest uses now. */

#define VNICD_XMLNS              "https://vnicd.org/xmlns/vnicd/1"

#define DOMAIN_XML_MAX           (4u * 1024u * 1024u) /* bytes of XML accepted */
#define DOMAIN_INTERFACES_MAX    64                   /* <interface> elements in one domain */
#define DOMAIN_METADATA_NICS_MAX 64                   /* <vnicd:nic> entries in one domain */
#define DOMAIN_NAME_MAX          256                  /* domain, network, portgroup names, with the NUL */
#define DOMAIN_IFNAME_MAX        16                   /* IFNAMSIZ: host interface names, with the NUL */
#define DOMAIN_WORD_MAX          32                   /* model, type and virtualport words, with the NUL */
#define DOMAIN_ALIAS_MAX         64                   /* <alias name=>: QEMU's device id, with the NUL */
#define DOMAIN_PATH_MAX          108                  /* sun_path: a vhost-user socket, with the NUL */
#define DOMAIN_UUID_MAX          37                   /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" + NUL */
#define DOMAIN_ERROR_MAX         256                  /* a stored per-entry error message, with the NUL */
#define DOMAIN_QUEUES_MAX        1024                 /* <driver queues=>: queue pairs, QEMU takes fewer */
#define DOMAIN_VCPUS_MAX         16384                /* <vcpu>: above libvirt's and QEMU's limits */

typedef enum DomainInterfaceType {
        DOMAIN_INTERFACE_DIRECT,    /* macvtap on source dev= */
        DOMAIN_INTERFACE_BRIDGE,    /* tap in source bridge= */
        DOMAIN_INTERFACE_NETWORK,   /* a libvirt network (not resolved yet, or one with its own bridge) */
        DOMAIN_INTERFACE_ETHERNET,  /* a tap libvirt creates and leaves alone */
        DOMAIN_INTERFACE_VHOSTUSER, /* a vhost-user socket */
        DOMAIN_INTERFACE_USER,      /* QEMU's user-mode networking */
        DOMAIN_INTERFACE_HOSTDEV,   /* a passed-through SR-IOV VF */
        DOMAIN_INTERFACE_OTHER,     /* anything else libvirt knows (mcast, udp, vdpa, ...): see type_name */
        _DOMAIN_INTERFACE_TYPE_MAX,
        _DOMAIN_INTERFACE_TYPE_INVALID = -EINVAL,
} DomainInterfaceType;

typedef enum MacvtapMode {
        MACVTAP_MODE_VEPA, /* libvirt's default when mode= is absent */
        MACVTAP_MODE_BRIDGE,
        MACVTAP_MODE_PRIVATE,
        MACVTAP_MODE_PASSTHROUGH,
        _MACVTAP_MODE_MAX,
        _MACVTAP_MODE_INVALID = -EINVAL,
} MacvtapMode;

typedef enum VlanNativeMode {
        VLAN_NATIVE_NONE,     /* no tag has nativeMode= */
        VLAN_NATIVE_TAGGED,   /* nativeMode='tagged' */
        VLAN_NATIVE_UNTAGGED, /* nativeMode='untagged' */
        _VLAN_NATIVE_MODE_MAX,
        _VLAN_NATIVE_MODE_INVALID = -EINVAL,
} VlanNativeMode;

/* libvirt's <vlan> element, on an interface, a network or a portgroup. */
typedef struct LibvirtVlan {
        VlanSet tags;        /* <tag id=>, 0-4095 as libvirt allows; empty = no <vlan> */
        bool trunk;          /* trunk='yes', or more than one tag */
        unsigned native_vid; /* the tag carrying nativeMode=; 0 with VLAN_NATIVE_NONE */
        VlanNativeMode native_mode;
} LibvirtVlan;

static inline bool libvirt_vlan_is_set(const LibvirtVlan *v) {
        return !vlan_set_is_empty(&v->tags);
}

typedef struct DomainInterface {
        DomainInterfaceType type;
        char type_name[DOMAIN_WORD_MAX]; /* type= as written, for messages */
        char model[DOMAIN_WORD_MAX];     /* <model type=>; "" = none */
        bool has_mac;
        EtherAddr mac;                         /* <mac address=>: the configured MAC */
        char alias[DOMAIN_ALIAS_MAX];          /* <alias name=>: QEMU's NIC id ('name' in query-rx-filter) */
        char target_dev[DOMAIN_IFNAME_MAX];    /* <target dev=>: the host device */
        char source_dev[DOMAIN_IFNAME_MAX];    /* <source dev=>: a macvtap's lower device */
        char source_bridge[DOMAIN_IFNAME_MAX]; /* <source bridge=> */
        char source_network[DOMAIN_NAME_MAX];  /* <source network=> */
        char source_portgroup[DOMAIN_NAME_MAX];
        char source_path[DOMAIN_PATH_MAX]; /* <source path=> of a vhost-user socket */
        MacvtapMode source_mode;           /* <source mode=> of a macvtap; -EINVAL when absent */
        char virtualport[DOMAIN_WORD_MAX]; /* <virtualport type=>, e.g. "openvswitch"; "" = none */
        unsigned queues;                   /* <driver queues=>; 0 = not set */
        LibvirtVlan vlan;
        int trust_guest_rx_filters; /* -1 absent, 0 'no', 1 'yes' */
        unsigned line;              /* of <interface>, for messages */
        int metadata;               /* index into DomainXml.metadata of its <vnicd:nic>; -1 none */
} DomainInterface;

/* One <vnicd:nic>. An entry whose values are wrong is kept with 'error' set: the NIC it matches
 * must then be shown as failed rather than run with half its settings. */
typedef struct DomainMetadataNic {
        char alias[DOMAIN_ALIAS_MAX]; /* alias=; "" when it names the NIC by MAC */
        bool has_mac;
        EtherAddr mac; /* mac= */
        NicSettings settings;
        unsigned line;
        int interface;                /* index into DomainXml.interfaces; -1 matches none */
        char error[DOMAIN_ERROR_MAX]; /* "" when valid */
} DomainMetadataNic;

typedef struct DomainXml {
        char name[DOMAIN_NAME_MAX];
        char uuid[DOMAIN_UUID_MAX]; /* lower case */
        int id;                     /* <domain id=>: set only while running; -1 otherwise */
        unsigned vcpus; /* <vcpu current='N'>: the vCPUs online now (else the <vcpu> count); 0: none */
        DomainInterface *interfaces;
        size_t n_interfaces;
        DomainMetadataNic *metadata;
        size_t n_metadata;
} DomainXml;

/* Parses 'xml' ('len' bytes, need not be NUL-terminated) into '*ret'. Returns 0, or -EINVAL,
 * -ERANGE, -E2BIG, -ENOMEM with a malloc'ed "domain XML line N: ..." message in '*ret_error' (when
 * not NULL); '*ret' is untouched on failure. Refused: malformed XML, anything but UTF-8 (an
 * encoding declaration is ignored), a DTD, more than DOMAIN_XML_MAX bytes, a root other than
 * <domain>, more than DOMAIN_INTERFACES_MAX interfaces or DOMAIN_METADATA_NICS_MAX metadata
 * entries, bad MACs, VLAN tags, names, queue counts, vCPU counts, unknown elements inside <vnicd:nics>. A <vnicd:nic> with a bad value does not fail the parse: it is
 * kept with its 'error' set, as is one that matches no interface (interface -1) or a second one
 * for the same interface. */
int domain_xml_parse(const char *xml, size_t len, DomainXml *ret, char **ret_error);
void domain_xml_done(DomainXml *d);

/* The <vnicd:nic> of 'iface', or NULL when it has none. */
const DomainMetadataNic *domain_interface_metadata(const DomainXml *d, const DomainInterface *iface);

/* The interface with this alias, or with this MAC; NULL if none. */
const DomainInterface *domain_xml_find_alias(const DomainXml *d, const char *alias);
const DomainInterface *domain_xml_find_mac(const DomainXml *d, const EtherAddr *mac);

const char *domain_interface_type_to_string(DomainInterfaceType t);
DomainInterfaceType domain_interface_type_from_string(const char *s);
const char *macvtap_mode_to_string(MacvtapMode m);
MacvtapMode macvtap_mode_from_string(const char *s);
const char *vlan_native_mode_to_string(VlanNativeMode m);

/* For the two libvirt XML parsers (domain-xml.c, network-xml.c) only: the helpers they share.
 * 'struct _xmlDoc' and 'struct _xmlNode' are libxml2's and never leave those two files. Every
 * helper returns 0 (or 1 for "present") or a negative errno with the message in '*p->ret_error',
 * which starts with "<what> line N: ". */
struct _xmlDoc;
struct _xmlNode;

typedef struct LibvirtXmlParser {
        const char *what; /* "domain XML", "network XML" */
        char **ret_error;
} LibvirtXmlParser;

/* Parses the document with network access, DTDs and entity definitions refused; checks that the
 * root element is '<root>'. */
int libvirt_xml_read(const LibvirtXmlParser *p, const char *xml, size_t len, const char *root,
                struct _xmlDoc **ret);
void libvirt_xml_free_docp(struct _xmlDoc **doc);
int libvirt_xml_error(const LibvirtXmlParser *p, const struct _xmlNode *n, int error, const char *format,
                ...) _printf_(4, 5);
/* An element of libvirt's (no namespace) called 'name'. */
bool libvirt_xml_is(const struct _xmlNode *n, const char *name);
/* Copies attribute 'name' (without namespace) into 'buf': 1 if present, 0 if absent (buf = "");
 * -EINVAL when longer than size - 1 bytes or holding control characters. */
int libvirt_xml_attr(
                const LibvirtXmlParser *p, struct _xmlNode *n, const char *name, char *buf, size_t size);
/* The same for the element's text. */
int libvirt_xml_text(const LibvirtXmlParser *p, struct _xmlNode *n, char *buf, size_t size);
/* yes/no attribute: '*ret' stays as it was when absent. */
int libvirt_xml_yes_no(const LibvirtXmlParser *p, struct _xmlNode *n, const char *name, int *ret);
/* <uuid> text, stored lower case. */
int libvirt_xml_uuid(const LibvirtXmlParser *p, struct _xmlNode *n, char ret[static DOMAIN_UUID_MAX]);
/* <vlan> with its <tag>s, checked as libvirt checks them. */
int libvirt_xml_vlan(const LibvirtXmlParser *p, struct _xmlNode *n, LibvirtVlan *ret);
/* A libvirt object name (domain, network, portgroup): 1-255 bytes, no '/'. */
int libvirt_xml_name(
                const LibvirtXmlParser *p, struct _xmlNode *n, const char *attr, char *buf, size_t size);
/* A host interface name as the kernel takes it. */
int libvirt_xml_ifname(const LibvirtXmlParser *p, struct _xmlNode *n, const char *attr,
                char buf[static DOMAIN_IFNAME_MAX]);
/* A word: [A-Za-z0-9_.-]+ (models, types, aliases). */
int libvirt_xml_word(
                const LibvirtXmlParser *p, struct _xmlNode *n, const char *attr, char *buf, size_t size);
