/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "log.h"
#include "macro.h"
#include "netlink-util.h"
#include "rtnl.h"

/* Link messages are parsed from the raw attributes with libnl's policy-checked nla_parse() rather
 * than through libnl-route's rtnl_link objects: one parser serves the RTM_GETLINK reply and the
 * monitor stream, it reads IFLA_ALLMULTI (Linux 6.0), which libnl 3.7 does not know, and it works
 * on a plain buffer, so it can be fuzzed. */

static const struct nla_policy link_policy[IFLA_MAX + 1] = {
                [IFLA_IFNAME] = {.type = NLA_STRING, .maxlen = IFNAMSIZ},
                [IFLA_ADDRESS] = {.type = NLA_UNSPEC},
                [IFLA_LINK] = {.type = NLA_U32},
                [IFLA_MASTER] = {.type = NLA_U32},
                [IFLA_PROMISCUITY] = {.type = NLA_U32},
                [IFLA_ALLMULTI] = {.type = NLA_U32},
                [IFLA_NUM_TX_QUEUES] = {.type = NLA_U32},
                [IFLA_NUM_RX_QUEUES] = {.type = NLA_U32},
                [IFLA_LINK_NETNSID] = {.type = NLA_U32},
                [IFLA_LINKINFO] = {.type = NLA_NESTED},
};

static const struct nla_policy link_info_policy[IFLA_INFO_MAX + 1] = {
                [IFLA_INFO_KIND] = {.type = NLA_STRING},
                [IFLA_INFO_DATA] = {.type = NLA_NESTED},
};

static const struct nla_policy tun_policy[IFLA_TUN_MAX + 1] = {
                [IFLA_TUN_MULTI_QUEUE] = {.type = NLA_U8},
                [IFLA_TUN_NUM_QUEUES] = {.type = NLA_U32},
                [IFLA_TUN_NUM_DISABLED_QUEUES] = {.type = NLA_U32},
};

/* A tap's queues (drivers/net/tun.c tun_fill_info()): Linux >= 4.15 reports them. */
static int tun_info_parse(struct nlattr *data, LinkInfo *info) {
        struct nlattr *tb[IFLA_TUN_MAX + 1] = {};

        if (nla_parse_nested(tb, IFLA_TUN_MAX, data, tun_policy) < 0)
                return -EBADMSG;
        if (tb[IFLA_TUN_MULTI_QUEUE])
                info->tun_multi_queue = nla_get_u8(tb[IFLA_TUN_MULTI_QUEUE]) != 0;
        /* Only a multiqueue tap reports its queues. */
        if (!tb[IFLA_TUN_NUM_QUEUES])
                return 0;
        info->has_tun_queues = true;
        info->tun_queues = nla_get_u32(tb[IFLA_TUN_NUM_QUEUES]);
        if (tb[IFLA_TUN_NUM_DISABLED_QUEUES])
                info->tun_disabled_queues = nla_get_u32(tb[IFLA_TUN_NUM_DISABLED_QUEUES]);
        return 0;
}

int link_info_parse(const void *buf, size_t size, bool *ret_removed, LinkInfo *ret) {
        struct nlattr *tb[IFLA_MAX + 1] = {}, *li[IFLA_INFO_MAX + 1] = {};
        struct nlmsghdr *nlh = (struct nlmsghdr *) buf;
        const struct ifinfomsg *ifi;
        LinkInfo info = {};
        int r;

        if (!buf || !ret)
                return -EINVAL;
        if (size < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > size)
                return -EBADMSG;
        if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
                return -ENOMSG;
        if (nlh->nlmsg_len < NLMSG_SPACE(sizeof(struct ifinfomsg)))
                return -EBADMSG;

        /* The bridge sends RTM_NEWLINK/RTM_DELLINK with AF_BRIDGE to the same group about a port's
         * bridge state; an AF_BRIDGE RTM_DELLINK means "left the bridge", not "link deleted". */
        ifi = nlmsg_data(nlh);
        if (ifi->ifi_family != AF_UNSPEC)
                return -EAFNOSUPPORT;
        if (ifi->ifi_index <= 0)
                return -EBADMSG;

        r = nlmsg_parse(nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX, link_policy);
        if (r < 0)
                return -EBADMSG;
        if (!tb[IFLA_IFNAME])
                return -EBADMSG;

        info.ifindex = ifi->ifi_index;
        /* IFF_PROMISC and IFF_ALLMULTI in ifi_flags are the user-set flags: rtnl_fill_ifinfo()
         * fills ifi_flags with dev_get_flags() (net/core/dev.c), which takes these two bits from
         * dev->gflags, toggled only by dev_change_flags() (SIOCSIFFLAGS, RTM_NEWLINK ifi_change),
         * and not from dev->flags, which a packet socket's PACKET_MR_PROMISC, a bridge port or an
         * unfilterable unicast list (veth under a macvtap) also turn on. Those other reasons only
         * show in the IFLA_PROMISCUITY / IFLA_ALLMULTI counters. Checked by
         * tests/netns/test-link.c. */
        info.flags = ifi->ifi_flags;
        /* nla_parse() checked that the name is NUL-terminated within IFNAMSIZ bytes. */
        strncpy(info.ifname, nla_get_string(tb[IFLA_IFNAME]), sizeof(info.ifname) - 1);
        if (info.ifname[0] == 0)
                return -EBADMSG; /* the kernel never names a link "" */

        /* Non-Ethernet links (tun in L3 mode, ip6tnl...) have no or longer addresses. */
        if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == (int) sizeof(info.mac.bytes))
                memcpy(info.mac.bytes, nla_data(tb[IFLA_ADDRESS]), sizeof(info.mac.bytes));

        /* With IFLA_LINK_NETNSID the lower device lives in another namespace, where this index
         * means something else: report none rather than a wrong one. */
        /* Interface indexes are positive ints: anything above INT_MAX is not one. */
        if ((tb[IFLA_LINK] && nla_get_u32(tb[IFLA_LINK]) > INT_MAX) ||
                        (tb[IFLA_MASTER] && nla_get_u32(tb[IFLA_MASTER]) > INT_MAX))
                return -EBADMSG;
        if (tb[IFLA_LINK] && !tb[IFLA_LINK_NETNSID])
                info.link_ifindex = (int) nla_get_u32(tb[IFLA_LINK]);
        if (tb[IFLA_MASTER])
                info.master_ifindex = (int) nla_get_u32(tb[IFLA_MASTER]);
        if (tb[IFLA_PROMISCUITY])
                info.promiscuity = nla_get_u32(tb[IFLA_PROMISCUITY]);
        if (tb[IFLA_ALLMULTI])
                info.allmulti = nla_get_u32(tb[IFLA_ALLMULTI]);
        if (tb[IFLA_NUM_TX_QUEUES])
                info.num_tx_queues = nla_get_u32(tb[IFLA_NUM_TX_QUEUES]);
        if (tb[IFLA_NUM_RX_QUEUES])
                info.num_rx_queues = nla_get_u32(tb[IFLA_NUM_RX_QUEUES]);

        if (tb[IFLA_LINKINFO]) {
                r = nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], link_info_policy);
                if (r < 0)
                        return -EBADMSG;
                /* Kernel kinds are short ("macvtap", "ip6gretap"); one that does not fit is left
                 * empty rather than cut into a different name. */
                if (li[IFLA_INFO_KIND] && strlen(nla_get_string(li[IFLA_INFO_KIND])) < sizeof(info.kind))
                        strcpy(info.kind, nla_get_string(li[IFLA_INFO_KIND]));
                if (streq(info.kind, "tun") && li[IFLA_INFO_DATA]) {
                        r = tun_info_parse(li[IFLA_INFO_DATA], &info);
                        if (r < 0)
                                return r;
                }
        }

        if (ret_removed)
                *ret_removed = nlh->nlmsg_type == RTM_DELLINK;
        *ret = info;
        return 0;
}

int link_stats_parse(const void *buf, size_t size, LinkStats *ret) {
        struct nlattr *tb[IFLA_MAX + 1] = {};
        const struct nlmsghdr *nlh = buf;
        struct rtnl_link_stats64 st;
        LinkInfo info;
        int r;

        /* The same checks as for the rest of the message. */
        r = link_info_parse(buf, size, NULL, &info);
        if (r < 0)
                return r;
        if (!ret)
                return -EINVAL;
        r = nlmsg_parse((struct nlmsghdr *) nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX, link_policy);
        if (r < 0)
                return -EBADMSG;
        if (!tb[IFLA_STATS64])
                return -ENODATA;
        if (nla_len(tb[IFLA_STATS64]) < (int) sizeof(st))
                return -EBADMSG;
        memcpy(&st, nla_data(tb[IFLA_STATS64]), sizeof(st)); /* 4-byte aligned in the message */
        *ret = (LinkStats){
                        .rx_packets = st.rx_packets,
                        .tx_packets = st.tx_packets,
                        .rx_bytes = st.rx_bytes,
                        .tx_bytes = st.tx_bytes,
                        .rx_dropped = st.rx_dropped,
                        .tx_dropped = st.tx_dropped,
        };
        return 0;
}

typedef struct LinkGetReply {
        bool found;
        LinkInfo info;
        LinkStats *stats; /* NULL: not asked for */
} LinkGetReply;

static int link_get_parse(struct nlmsghdr *nlh, void *userdata) {
        LinkGetReply *reply = userdata;
        int r;

        if (nlh->nlmsg_type != RTM_NEWLINK)
                return 0;

        r = link_info_parse(nlh, nlh->nlmsg_len, NULL, &reply->info);
        if (r < 0)
                return r;
        if (reply->stats) {
                r = link_stats_parse(nlh, nlh->nlmsg_len, reply->stats);
                if (r < 0)
                        return r;
        }
        reply->found = true;
        return 0;
}

static int link_get(Rtnl *r, int ifindex, const char *ifname, LinkInfo *ret, LinkStats *ret_stats) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
        LinkGetReply reply = {.stats = ret_stats};
        int k;

        if (!r || !ret)
                return -EINVAL;
        if (ifindex <= 0 && (!ifname || ifname[0] == '\0' || strlen(ifname) >= IFNAMSIZ))
                return -EINVAL;

        m = nlmsg_alloc_simple(RTM_GETLINK, 0);
        if (!m)
                return -ENOMEM;

        /* The kernel looks a link up by ifi_index when it is > 0, by IFLA_IFNAME otherwise. */
        ifi.ifi_index = MAX(ifindex, 0);
        k = nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
        if (k < 0)
                return nl_error_to_errno(k);
        if (ifindex <= 0) {
                k = nla_put_string(m, IFLA_IFNAME, ifname);
                if (k < 0)
                        return nl_error_to_errno(k);
        }
        /* Statistics are two thirds of the reply: only when asked for. */
        if (!ret_stats) {
                k = nla_put_u32(m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
                if (k < 0)
                        return nl_error_to_errno(k);
        }

        k = rtnl_call(r, m, link_get_parse, &reply);
        if (k < 0)
                return k;
        if (!reply.found)
                return -EBADMSG;

        *ret = reply.info;
        return 0;
}

int rtnl_link_get(Rtnl *r, int ifindex, const char *ifname, LinkInfo *ret) {
        return link_get(r, ifindex, ifname, ret, NULL);
}

int rtnl_link_get_stats(Rtnl *r, int ifindex, LinkInfo *ret, LinkStats *ret_stats) {
        if (!ret_stats)
                return -EINVAL;
        return link_get(r, ifindex, NULL, ret, ret_stats);
}

int link_message_new(struct nl_msg **ret) {
        struct nl_msg *m;

        if (!ret)
                return -EINVAL;

        /* NLM_F_REQUEST and NLM_F_ACK are added by rtnl_send(); no NLM_F_CREATE: these messages
         * change an existing link and must fail with -ENODEV when it is gone. */
        m = nlmsg_alloc_simple(RTM_NEWLINK, 0);
        if (!m)
                return -ENOMEM;

        *ret = m;
        return 0;
}

/* Returns the message's ifinfomsg, appending it on first use. Several link_fill_*() may build one
 * message, as long as they name the same link. */
static int link_fill_header(struct nl_msg *m, int ifindex, struct ifinfomsg **ret) {
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifi;
        int r;

        if (!m || ifindex <= 0)
                return -EINVAL;

        nlh = nlmsg_hdr(m);
        if (nlh->nlmsg_type != RTM_NEWLINK)
                return -EINVAL;

        if (nlmsg_datalen(nlh) == 0) {
                struct ifinfomsg h = {
                                .ifi_family = AF_UNSPEC,
                                .ifi_index = ifindex,
                };

                r = nlmsg_append(m, &h, sizeof(h), NLMSG_ALIGNTO);
                if (r < 0)
                        return nl_error_to_errno(r);
        } else if (nlmsg_datalen(nlh) < (int) sizeof(struct ifinfomsg))
                return -EINVAL;

        ifi = nlmsg_data(nlh);
        if (ifi->ifi_index != ifindex)
                return -EINVAL;

        *ret = ifi;
        return 0;
}

int link_fill_set_mac(struct nl_msg *m, int ifindex, const EtherAddr *mac) {
        struct ifinfomsg *ifi;
        int r;

        if (!mac)
                return -EINVAL;

        r = link_fill_header(m, ifindex, &ifi);
        if (r < 0)
                return r;

        r = nla_put(m, IFLA_ADDRESS, sizeof(mac->bytes), mac->bytes);
        if (r < 0)
                return nl_error_to_errno(r);
        return 0;
}

int link_fill_set_flags(struct nl_msg *m, int ifindex, unsigned flags, unsigned change) {
        struct ifinfomsg *ifi;
        int r;

        /* A flag outside 'change' would be ignored by the kernel: a caller's mistake. */
        if (change == 0 || (flags & ~change) != 0)
                return -EINVAL;

        r = link_fill_header(m, ifindex, &ifi);
        if (r < 0)
                return r;

        /* do_setlink() applies (ifi_flags & ifi_change) | (current & ~ifi_change). */
        ifi->ifi_flags = (ifi->ifi_flags & ~change) | flags;
        ifi->ifi_change |= change;
        return 0;
}
