/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <limits.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "bridge.h"
#include "macro.h"
#include "netlink-util.h"

/* Bridge ports in AF_BRIDGE link messages (net/bridge/br_netlink.c): the kernel answers an
 * AF_BRIDGE RTM_GETLINK only as a dump (rtnl_bridge_getlink(), one message per port of every
 * bridge, plus the bridges themselves when VLANs are asked for) and sends the same messages as
 * notifications on RTNLGRP_LINK. A port's message has IFLA_MASTER, IFLA_PROTINFO with its
 * IFLA_BRPORT_* and, when VLANs are asked for and the kernel filters VLANs, IFLA_AF_SPEC. Changes
 * are RTM_SETLINK with the same attributes (br_setlink()). */

#define BRIDGE_DUMP_ATTEMPTS 3 /* a dump the kernel marks inconsistent is read again, this often */

static const struct nla_policy bridge_link_policy[IFLA_MAX + 1] = {
                [IFLA_MASTER] = {.type = NLA_U32},
                [IFLA_PROTINFO] = {.type = NLA_NESTED},
                [IFLA_AF_SPEC] = {.type = NLA_NESTED},
};

static const struct nla_policy bridge_port_policy[IFLA_BRPORT_MAX + 1] = {
                [IFLA_BRPORT_LEARNING] = {.type = NLA_U8},
                [IFLA_BRPORT_UNICAST_FLOOD] = {.type = NLA_U8},
                [IFLA_BRPORT_MCAST_FLOOD] = {.type = NLA_U8},
};

static int flag_put(struct nl_msg *m, int type, int value) {
        int r;

        if (value < 0)
                return 0;
        r = nla_put_u8(m, type, value > 0);
        if (r < 0)
                return nl_error_to_errno(r);
        return 0;
}

int bridge_port_fill_flags(struct nl_msg *m, int ifindex, const BridgePortFlags *f) {
        struct ifinfomsg *ifi;
        struct nlattr *protinfo;
        int r;

        if (!f || (f->learning < 0 && f->unicast_flood < 0 && f->mcast_flood < 0))
                return -EINVAL;

        r = netlink_fill_ifinfo(m, RTM_SETLINK, 0, AF_BRIDGE, ifindex, &ifi);
        if (r < 0)
                return r;
        if (nlmsg_find_attr(nlmsg_hdr(m), sizeof(struct ifinfomsg), IFLA_PROTINFO))
                return -EINVAL;

        /* br_setlink() reads IFLA_PROTINFO as IFLA_BRPORT_* only with NLA_F_NESTED; without it,
         * the payload is the old binary u8 port state. */
        protinfo = nla_nest_start(m, IFLA_PROTINFO | NLA_F_NESTED);
        if (!protinfo)
                return -EMSGSIZE;
        r = flag_put(m, IFLA_BRPORT_LEARNING, f->learning);
        if (r < 0)
                return r;
        r = flag_put(m, IFLA_BRPORT_UNICAST_FLOOD, f->unicast_flood);
        if (r < 0)
                return r;
        r = flag_put(m, IFLA_BRPORT_MCAST_FLOOD, f->mcast_flood);
        if (r < 0)
                return r;
        r = nla_nest_end(m, protinfo);
        if (r < 0)
                return nl_error_to_errno(r);
        return 0;
}

static int flag_get(struct nlattr *a) {
        return a ? nla_get_u8(a) != 0 : -1;
}

int bridge_port_parse(const void *buf, size_t size, bool *ret_removed, BridgePort *ret) {
        struct nlattr *tb[IFLA_MAX + 1] = {}, *pt[IFLA_BRPORT_MAX + 1] = {};
        struct nlmsghdr *nlh = (struct nlmsghdr *) buf;
        const struct ifinfomsg *ifi;
        BridgePort p = {.flags = BRIDGE_PORT_FLAGS_UNSET};
        int r;

        if (!buf || !ret)
                return -EINVAL;
        if (size < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > size)
                return -EBADMSG;
        if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
                return -ENOMSG;
        if (nlh->nlmsg_len < NLMSG_SPACE(sizeof(struct ifinfomsg)))
                return -EBADMSG;

        ifi = nlmsg_data(nlh);
        if (ifi->ifi_family != AF_BRIDGE)
                return -EAFNOSUPPORT;
        if (ifi->ifi_index <= 0)
                return -EBADMSG;

        r = nlmsg_parse(nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX, bridge_link_policy);
        if (r < 0)
                return -EBADMSG;

        p.ifindex = ifi->ifi_index;
        if (tb[IFLA_MASTER] && nla_get_u32(tb[IFLA_MASTER]) > INT_MAX)
                return -EBADMSG; /* not an interface index */
        if (tb[IFLA_MASTER])
                p.master_ifindex = (int) nla_get_u32(tb[IFLA_MASTER]);

        /* Not NLA_F_NESTED-checked: the kernel's br_fill_ifinfo() opens it without the flag. */
        if (tb[IFLA_PROTINFO]) {
                r = nla_parse_nested(pt, IFLA_BRPORT_MAX, tb[IFLA_PROTINFO], bridge_port_policy);
                if (r < 0)
                        return -EBADMSG;
                p.flags.learning = flag_get(pt[IFLA_BRPORT_LEARNING]);
                p.flags.unicast_flood = flag_get(pt[IFLA_BRPORT_UNICAST_FLOOD]);
                p.flags.mcast_flood = flag_get(pt[IFLA_BRPORT_MCAST_FLOOD]);
        }

        if (tb[IFLA_AF_SPEC]) {
                r = bridge_vlans_parse(tb[IFLA_AF_SPEC], &p.vlans);
                if (r < 0)
                        return r;
        }

        if (ret_removed)
                *ret_removed = nlh->nlmsg_type == RTM_DELLINK;
        *ret = p;
        return 0;
}

typedef int (*BridgePortCallback)(const BridgePort *p, void *userdata);

typedef struct BridgePortDump {
        int ifindex; /* only this link's message, 0 for all */
        BridgePortCallback callback;
        void *userdata;
} BridgePortDump;

static int bridge_port_dump_parse(struct nlmsghdr *nlh, void *userdata) {
        BridgePortDump *d = userdata;
        const struct ifinfomsg *ifi;
        BridgePort p;
        int r;

        if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < NLMSG_SPACE(sizeof(struct ifinfomsg)))
                return 0;
        /* Cheap skip before the full parse: the dump covers every port of every bridge. */
        ifi = nlmsg_data(nlh);
        if (d->ifindex > 0 && ifi->ifi_index != d->ifindex)
                return 0;

        r = bridge_port_parse(nlh, nlh->nlmsg_len, NULL, &p);
        if (r == -EAFNOSUPPORT)
                return 0;
        if (r < 0)
                return r;
        return d->callback(&p, d->userdata);
}

/* Calls 'callback' for each message of an AF_BRIDGE RTM_GETLINK dump with VLANs ('ifindex' > 0:
 * only for that link's). */
static int bridge_port_dump(Rtnl *r, int ifindex, BridgePortCallback callback, void *userdata) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        struct ifinfomsg ifi = {.ifi_family = AF_BRIDGE};
        BridgePortDump d = {
                        .ifindex = ifindex,
                        .callback = callback,
                        .userdata = userdata,
        };
        int k;

        m = nlmsg_alloc_simple(RTM_GETLINK, 0);
        if (!m)
                return -ENOMEM;
        /* The kernel does not filter this dump by ifi_index; we do. */
        k = nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
        if (k < 0)
                return nl_error_to_errno(k);
        /* VLANs as ranges (`bridge -c vlan show`): a port with 100 VIDs in 10 ranges is 10
         * attributes instead of 100, and this dump lists every port of every bridge. */
        k = nla_put_u32(m, IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN_COMPRESSED);
        if (k < 0)
                return nl_error_to_errno(k);

        return rtnl_dump(r, m, bridge_port_dump_parse, &d);
}

typedef struct PortGet {
        bool found;
        BridgePort port;
} PortGet;

static int port_get_one(const BridgePort *p, void *userdata) {
        PortGet *g = userdata;

        /* The bridge's message comes first. A port whose driver has a bridge_getlink of its own
         * (switch hardware) gets a second one, about the device, not the bridge. */
        if (g->found)
                return 0;
        g->found = true;
        g->port = *p;
        return 0;
}

int rtnl_bridge_port_get(Rtnl *r, int ifindex, BridgePortFlags *ret_flags, BridgePortVlans *ret_vlans) {
        PortGet g;
        int k = -EAGAIN;

        if (!r || ifindex <= 0)
                return -EINVAL;

        for (unsigned i = 0; i < BRIDGE_DUMP_ATTEMPTS && k == -EAGAIN; i++) {
                g = (PortGet){};
                k = bridge_port_dump(r, ifindex, port_get_one, &g);
        }
        if (k < 0)
                return k;
        /* Not listed: no such link, or not in a bridge. The bridge's own entry is no port. */
        if (!g.found || g.port.master_ifindex <= 0 || g.port.master_ifindex == ifindex)
                return -ENODEV;

        if (ret_flags)
                *ret_flags = g.port.flags;
        if (ret_vlans)
                *ret_vlans = g.port.vlans;
        return 0;
}

typedef struct PortsDump {
        int bridge_ifindex;
        int last_ifindex;
        BridgePort *ports;
        size_t n, n_allocated;
} PortsDump;

static int ports_dump_one(const BridgePort *p, void *userdata) {
        PortsDump *d = userdata;

        /* Only the first of a link's consecutive messages is the bridge's (see port_get_one()). */
        if (p->ifindex == d->last_ifindex)
                return 0;
        d->last_ifindex = p->ifindex;
        if (p->master_ifindex != d->bridge_ifindex || p->ifindex == d->bridge_ifindex)
                return 0;
        if (d->n >= d->n_allocated) {
                size_t a = MAX(d->n_allocated * 2, (size_t) 16);
                BridgePort *n = reallocarray(d->ports, a, sizeof(BridgePort));

                if (!n)
                        return -ENOMEM;
                d->ports = n;
                d->n_allocated = a;
        }
        d->ports[d->n++] = *p;
        return 0;
}

static int port_compare(const void *a, const void *b) {
        const BridgePort *x = a, *y = b;

        return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

int rtnl_bridge_ports_dump(Rtnl *r, int bridge_ifindex, BridgePort **ret, size_t *ret_n) {
        PortsDump d = {};
        int k = -EAGAIN;

        if (!r || bridge_ifindex <= 0 || !ret || !ret_n)
                return -EINVAL;

        for (unsigned i = 0; i < BRIDGE_DUMP_ATTEMPTS && k == -EAGAIN; i++) {
                free(d.ports);
                d = (PortsDump){.bridge_ifindex = bridge_ifindex};
                k = bridge_port_dump(r, 0, ports_dump_one, &d);
        }
        if (k < 0) {
                free(d.ports);
                return k;
        }
        if (d.n > 0)
                qsort(d.ports, d.n, sizeof(BridgePort), port_compare);
        else
                d.ports = mfree(d.ports);
        *ret = d.ports;
        *ret_n = d.n;
        return 0;
}

const BridgePort *bridge_ports_find(const BridgePort *ports, size_t n, int ifindex) {
        BridgePort key = {.ifindex = ifindex};

        return n > 0 ? bsearch(&key, ports, n, sizeof(BridgePort), port_compare) : NULL;
}

static const struct nla_policy bridge_get_policy[IFLA_MAX + 1] = {
                [IFLA_IFNAME] = {.type = NLA_STRING, .maxlen = IFNAMSIZ},
                [IFLA_PROMISCUITY] = {.type = NLA_U32},
                [IFLA_LINKINFO] = {.type = NLA_NESTED},
};

static const struct nla_policy bridge_get_info_policy[IFLA_INFO_MAX + 1] = {
                [IFLA_INFO_KIND] = {.type = NLA_STRING},
                [IFLA_INFO_DATA] = {.type = NLA_NESTED},
};

static const struct nla_policy bridge_get_data_policy[IFLA_BR_MAX + 1] = {
                [IFLA_BR_VLAN_FILTERING] = {.type = NLA_U8},
                [IFLA_BR_MCAST_SNOOPING] = {.type = NLA_U8},
};

typedef struct BridgeGet {
        bool found;
        bool is_bridge;
        BridgeInfo info;
} BridgeGet;

static int bridge_get_parse(struct nlmsghdr *nlh, void *userdata) {
        struct nlattr *tb[IFLA_MAX + 1] = {}, *li[IFLA_INFO_MAX + 1] = {}, *data[IFLA_BR_MAX + 1] = {};
        BridgeGet *g = userdata;
        const struct ifinfomsg *ifi;
        int r;

        if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < NLMSG_SPACE(sizeof(struct ifinfomsg)))
                return 0;
        ifi = nlmsg_data(nlh);
        if (ifi->ifi_index != g->info.ifindex)
                return 0;

        r = nlmsg_parse(nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX, bridge_get_policy);
        if (r < 0)
                return -EBADMSG;
        g->found = true;
        if (tb[IFLA_IFNAME])
                (void) snprintf(g->info.ifname, sizeof(g->info.ifname), "%s",
                                nla_get_string(tb[IFLA_IFNAME]));

        /* Promiscuous for any reason, not only the user's flag (which ifi_flags shows, see
         * link.c): br_manage_promisc() tests the device's dev->flags, set whenever this counter
         * is above 0. */
        if (tb[IFLA_PROMISCUITY])
                g->info.promisc = nla_get_u32(tb[IFLA_PROMISCUITY]) > 0;

        if (!tb[IFLA_LINKINFO])
                return 0;
        r = nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], bridge_get_info_policy);
        if (r < 0)
                return -EBADMSG;
        if (!li[IFLA_INFO_KIND] || !streq(nla_get_string(li[IFLA_INFO_KIND]), "bridge"))
                return 0;
        g->is_bridge = true;

        /* IFLA_BR_VLAN_FILTERING is there (0) also when the kernel lacks VLAN filtering. */
        if (!li[IFLA_INFO_DATA])
                return 0;
        r = nla_parse_nested(data, IFLA_BR_MAX, li[IFLA_INFO_DATA], bridge_get_data_policy);
        if (r < 0)
                return -EBADMSG;
        if (data[IFLA_BR_VLAN_FILTERING])
                g->info.vlan_filtering = nla_get_u8(data[IFLA_BR_VLAN_FILTERING]) != 0;
        /* br_fill_info() reports IFLA_BR_MCAST_SNOOPING only with CONFIG_BRIDGE_IGMP_SNOOPING. */
        if (data[IFLA_BR_MCAST_SNOOPING])
                g->info.mcast_snooping = nla_get_u8(data[IFLA_BR_MCAST_SNOOPING]) != 0;
        return 0;
}

int rtnl_bridge_get(Rtnl *r, int bridge_ifindex, BridgeInfo *ret) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = bridge_ifindex};
        BridgeGet g = {.info.ifindex = bridge_ifindex, .info.mcast_snooping = -1};
        int k;

        if (!r || bridge_ifindex <= 0 || !ret)
                return -EINVAL;

        m = nlmsg_alloc_simple(RTM_GETLINK, 0);
        if (!m)
                return -ENOMEM;
        k = nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
        if (k < 0)
                return nl_error_to_errno(k);
        k = nla_put_u32(m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        if (k < 0)
                return nl_error_to_errno(k);

        k = rtnl_call(r, m, bridge_get_parse, &g);
        if (k < 0)
                return k;
        if (!g.found)
                return -EBADMSG;
        if (!g.is_bridge)
                return -EMEDIUMTYPE;

        *ret = g.info;
        return 0;
}
