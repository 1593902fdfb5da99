/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for netlink/ without a kernel: the libnl error table, the RTM_NEWLINK builders
 * (inspected attribute by attribute), the link message parser, the NLMSG_ERROR parser and the
 * dev_mcast parser. */

#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>

#include "ether-addr.h"
#include "macro.h"
#include "netlink-util.h"
#include "rtnl.h"

static const EtherAddr mac_a = {{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};

static struct ifinfomsg *msg_ifi(struct nl_msg *m) {
        assert_true(nlmsg_datalen(nlmsg_hdr(m)) >= (int) sizeof(struct ifinfomsg));
        return nlmsg_data(nlmsg_hdr(m));
}

static struct nlattr *msg_attr(struct nl_msg *m, int type) {
        struct nlmsghdr *nlh = nlmsg_hdr(m);

        return nla_find(nlmsg_attrdata(nlh, sizeof(struct ifinfomsg)),
                        nlmsg_attrlen(nlh, sizeof(struct ifinfomsg)), type);
}

static int msg_attr_count(struct nl_msg *m) {
        struct nlmsghdr *nlh = nlmsg_hdr(m);
        struct nlattr *a;
        int rem, n = 0;

        nla_for_each_attr(a, nlmsg_attrdata(nlh, sizeof(struct ifinfomsg)),
                        nlmsg_attrlen(nlh, sizeof(struct ifinfomsg)), rem) n++;
        return n;
}

static void test_nl_error_to_errno(void **state) {
        static const struct {
                int nle;
                int errno_;
        } cases[] = {
                        {NLE_SUCCESS, 0},
                        {NLE_FAILURE, EIO},
                        {NLE_AGAIN, EAGAIN},
                        {NLE_NOMEM, ENOMEM},
                        {NLE_EXIST, EEXIST},
                        {NLE_INVAL, EINVAL},
                        {NLE_RANGE, ERANGE},
                        {NLE_OPNOTSUPP, EOPNOTSUPP},
                        {NLE_OBJ_NOTFOUND, ENOENT},
                        {NLE_BUSY, EBUSY},
                        {NLE_NOACCESS, EACCES},
                        {NLE_PERM, EPERM},
                        {NLE_NODEV, ENODEV},
                        {NLE_DUMP_INTR, EAGAIN},
                        {NLE_MSG_TRUNC, EBADMSG},
                        {NLE_BAD_SOCK, EBADF},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_int_equal(nl_error_to_errno(-cases[i].nle), -cases[i].errno_);
                /* Either sign: libnl's own functions return -NLE_*, nl_geterror() takes both. */
                assert_int_equal(nl_error_to_errno(cases[i].nle), -cases[i].errno_);
        }

        /* Every code libnl 3.7 has maps to a real errno; only NLE_FAILURE means "unspecific". */
        for (int nle = 1; nle <= NLE_MAX; nle++) {
                int e = nl_error_to_errno(-nle);

                assert_true(e < 0);
                if (nle != NLE_FAILURE)
                        assert_int_not_equal(e, -EIO);
        }

        /* Codes from a later libnl, and nonsense. */
        assert_int_equal(nl_error_to_errno(-(NLE_MAX + 1)), -EIO);
        assert_int_equal(nl_error_to_errno(-1000), -EIO);
        assert_int_equal(nl_error_to_errno(INT_MIN), -EIO);
        assert_int_equal(nl_error_to_errno(INT_MAX), -EIO);
}

static void test_nl_error_from_libnl(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        uint8_t big[512] = {};
        int r;

        /* A real libnl failure, through the table: a message too small for an attribute. */
        m = nlmsg_alloc_size(128);
        assert_non_null(m);
        r = nla_put(m, IFLA_ADDRESS, sizeof(big), big);
        assert_true(r < 0);
        assert_int_equal(nl_error_to_errno(r), -ENOMEM);
}

static void test_message_new(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        struct nlmsghdr *nlh;

        assert_int_equal(link_message_new(&m), 0);
        assert_non_null(m);
        nlh = nlmsg_hdr(m);
        assert_int_equal(nlh->nlmsg_type, RTM_NEWLINK);
        /* Changes an existing link: no NLM_F_CREATE, NLM_F_EXCL or NLM_F_REPLACE. */
        assert_int_equal(nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_REPLACE), 0);
        assert_int_equal(nlmsg_datalen(nlh), 0);
        assert_int_equal(link_message_new(NULL), -EINVAL);
}

static void test_fill_set_mac(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        struct ifinfomsg *ifi;
        struct nlattr *a;

        assert_int_equal(link_message_new(&m), 0);
        assert_int_equal(link_fill_set_mac(m, 7, &mac_a), 0);

        ifi = msg_ifi(m);
        assert_int_equal(ifi->ifi_family, AF_UNSPEC);
        assert_int_equal(ifi->ifi_index, 7);
        assert_int_equal(ifi->ifi_flags, 0);
        assert_int_equal(ifi->ifi_change, 0); /* no flag is touched */

        a = msg_attr(m, IFLA_ADDRESS);
        assert_non_null(a);
        assert_int_equal(nla_len(a), 6);
        assert_memory_equal(nla_data(a), mac_a.bytes, 6);
        assert_int_equal(msg_attr_count(m), 1);
}

static void test_fill_set_flags(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL, *m2 = NULL;
        struct ifinfomsg *ifi;

        assert_int_equal(link_message_new(&m), 0);
        assert_int_equal(link_fill_set_flags(m, 3, IFF_PROMISC, IFF_PROMISC), 0);
        ifi = msg_ifi(m);
        assert_int_equal(ifi->ifi_index, 3);
        assert_int_equal(ifi->ifi_flags, IFF_PROMISC);
        assert_int_equal(ifi->ifi_change, IFF_PROMISC);
        assert_int_equal(msg_attr_count(m), 0);

        /* A second call on the same message adds to the change mask... */
        assert_int_equal(link_fill_set_flags(m, 3, 0, IFF_ALLMULTI), 0);
        ifi = msg_ifi(m);
        assert_int_equal(ifi->ifi_flags, IFF_PROMISC);
        assert_int_equal(ifi->ifi_change, IFF_PROMISC | IFF_ALLMULTI);

        /* ...and the last word on a bit wins. */
        assert_int_equal(link_fill_set_flags(m, 3, 0, IFF_PROMISC), 0);
        ifi = msg_ifi(m);
        assert_int_equal(ifi->ifi_flags, 0);
        assert_int_equal(ifi->ifi_change, IFF_PROMISC | IFF_ALLMULTI);

        /* Clearing: flags 0, change set. */
        assert_int_equal(link_message_new(&m2), 0);
        assert_int_equal(link_fill_set_flags(m2, 9, 0, IFF_PROMISC | IFF_ALLMULTI), 0);
        ifi = msg_ifi(m2);
        assert_int_equal(ifi->ifi_flags, 0);
        assert_int_equal(ifi->ifi_change, IFF_PROMISC | IFF_ALLMULTI);
}

static void test_fill_combined(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        struct ifinfomsg *ifi;
        struct nlattr *a;

        assert_int_equal(link_message_new(&m), 0);
        assert_int_equal(link_fill_set_flags(m, 5, IFF_ALLMULTI, IFF_ALLMULTI), 0);
        assert_int_equal(link_fill_set_mac(m, 5, &mac_a), 0);

        ifi = msg_ifi(m);
        assert_int_equal(ifi->ifi_index, 5);
        assert_int_equal(ifi->ifi_flags, IFF_ALLMULTI);
        assert_int_equal(ifi->ifi_change, IFF_ALLMULTI);
        a = msg_attr(m, IFLA_ADDRESS);
        assert_non_null(a);
        assert_memory_equal(nla_data(a), mac_a.bytes, 6);
        assert_int_equal(msg_attr_count(m), 1);
}

static void test_fill_errors(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL, *get = NULL;

        assert_int_equal(link_message_new(&m), 0);
        assert_int_equal(link_fill_set_mac(NULL, 1, &mac_a), -EINVAL);
        assert_int_equal(link_fill_set_mac(m, 1, NULL), -EINVAL);
        assert_int_equal(link_fill_set_mac(m, 0, &mac_a), -EINVAL);
        assert_int_equal(link_fill_set_mac(m, -4, &mac_a), -EINVAL);
        assert_int_equal(link_fill_set_flags(m, 1, 0, 0), -EINVAL);
        assert_int_equal(link_fill_set_flags(m, 1, IFF_PROMISC, IFF_ALLMULTI), -EINVAL);
        /* None of the failures above touched the message. */
        assert_int_equal(nlmsg_datalen(nlmsg_hdr(m)), 0);

        /* One message, one link. */
        assert_int_equal(link_fill_set_mac(m, 1, &mac_a), 0);
        assert_int_equal(link_fill_set_mac(m, 2, &mac_a), -EINVAL);
        assert_int_equal(link_fill_set_flags(m, 2, IFF_PROMISC, IFF_PROMISC), -EINVAL);

        /* Only RTM_NEWLINK messages. */
        get = nlmsg_alloc_simple(RTM_GETLINK, 0);
        assert_non_null(get);
        assert_int_equal(link_fill_set_mac(get, 1, &mac_a), -EINVAL);
}

/* Builds an RTM_NEWLINK as the kernel would for a macvtap on ifindex 2. */
static struct nl_msg *link_message_build(int type, unsigned char family, bool netnsid) {
        struct ifinfomsg ifi = {
                        .ifi_family = family,
                        .ifi_index = 4,
                        .ifi_flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_PROMISC,
        };
        struct nl_msg *m;
        struct nlattr *li;

        m = nlmsg_alloc_simple(type, 0);
        assert_non_null(m);
        assert_int_equal(nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
        assert_int_equal(nla_put_string(m, IFLA_IFNAME, "mvt"), 0);
        assert_int_equal(nla_put(m, IFLA_ADDRESS, 6, mac_a.bytes), 0);
        assert_int_equal(nla_put_u32(m, IFLA_LINK, 2), 0);
        if (netnsid)
                assert_int_equal(nla_put_u32(m, IFLA_LINK_NETNSID, 0), 0);
        assert_int_equal(nla_put_u32(m, IFLA_MASTER, 9), 0);
        assert_int_equal(nla_put_u32(m, IFLA_PROMISCUITY, 3), 0);
        assert_int_equal(nla_put_u32(m, IFLA_ALLMULTI, 2), 0);
        assert_int_equal(nla_put_u32(m, IFLA_NUM_TX_QUEUES, 4), 0);
        assert_int_equal(nla_put_u32(m, IFLA_NUM_RX_QUEUES, 5), 0);
        /* An attribute this parser does not know. */
        assert_int_equal(nla_put_u32(m, IFLA_MTU, 1500), 0);
        li = nla_nest_start(m, IFLA_LINKINFO);
        assert_non_null(li);
        assert_int_equal(nla_put_string(m, IFLA_INFO_KIND, "macvtap"), 0);
        assert_int_equal(nla_nest_end(m, li), 0);
        return m;
}

static void test_info_parse(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL, *d = NULL, *ns = NULL;
        struct nlmsghdr *nlh;
        bool removed = true;
        LinkInfo info;

        m = link_message_build(RTM_NEWLINK, AF_UNSPEC, false);
        nlh = nlmsg_hdr(m);
        assert_int_equal(link_info_parse(nlh, nlh->nlmsg_len, &removed, &info), 0);
        assert_false(removed);
        assert_int_equal(info.ifindex, 4);
        assert_string_equal(info.ifname, "mvt");
        assert_string_equal(info.kind, "macvtap");
        assert_int_equal(info.link_ifindex, 2);
        assert_int_equal(info.master_ifindex, 9);
        assert_memory_equal(info.mac.bytes, mac_a.bytes, 6);
        assert_int_equal(info.flags, IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_PROMISC);
        assert_int_equal(info.promiscuity, 3);
        assert_int_equal(info.allmulti, 2);
        assert_int_equal(info.num_tx_queues, 4);
        assert_int_equal(info.num_rx_queues, 5);

        d = link_message_build(RTM_DELLINK, AF_UNSPEC, false);
        nlh = nlmsg_hdr(d);
        assert_int_equal(link_info_parse(nlh, nlh->nlmsg_len, &removed, &info), 0);
        assert_true(removed);
        assert_int_equal(info.ifindex, 4);

        /* The lower device is in another namespace: its index means nothing here. */
        ns = link_message_build(RTM_NEWLINK, AF_UNSPEC, true);
        nlh = nlmsg_hdr(ns);
        assert_int_equal(link_info_parse(nlh, nlh->nlmsg_len, NULL, &info), 0);
        assert_int_equal(info.link_ifindex, 0);
}

static void test_info_parse_minimal(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        struct ifinfomsg ifi = {.ifi_index = 1, .ifi_flags = IFF_UP | IFF_LOOPBACK};
        struct nlmsghdr *nlh;
        LinkInfo info;

        /* No address of 6 bytes, no linkinfo, no counters (a kernel before 6.0 lacks
         * IFLA_ALLMULTI): all zero. */
        m = nlmsg_alloc_simple(RTM_NEWLINK, 0);
        assert_int_equal(nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
        assert_int_equal(nla_put_string(m, IFLA_IFNAME, "tun0"), 0);
        assert_int_equal(nla_put(m, IFLA_ADDRESS, 4, "\x0a\x00\x00\x01"), 0);
        nlh = nlmsg_hdr(m);
        assert_int_equal(link_info_parse(nlh, nlh->nlmsg_len, NULL, &info), 0);
        assert_string_equal(info.ifname, "tun0");
        assert_string_equal(info.kind, "");
        assert_true(ether_addr_is_zero(&info.mac));
        assert_int_equal(info.link_ifindex, 0);
        assert_int_equal(info.master_ifindex, 0);
        assert_int_equal(info.allmulti, 0);
        assert_int_equal(info.promiscuity, 0);
}

static void test_info_parse_bad(void **state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL, *br = NULL, *noname = NULL, *badname = NULL,
                                             *get = NULL;
        struct ifinfomsg ifi = {.ifi_index = 3};
        struct nlmsghdr *nlh;
        LinkInfo info, sentinel;
        char longname[IFNAMSIZ + 4];

        memset(&sentinel, 0xaa, sizeof(sentinel));
        info = sentinel;

        m = link_message_build(RTM_NEWLINK, AF_UNSPEC, false);
        nlh = nlmsg_hdr(m);
        /* Cut anywhere: the header says more than the buffer has. */
        assert_int_equal(link_info_parse(nlh, nlh->nlmsg_len - 1, NULL, &info), -EBADMSG);
        assert_int_equal(link_info_parse(nlh, 8, NULL, &info), -EBADMSG);
        assert_int_equal(link_info_parse(nlh, 0, NULL, &info), -EBADMSG);
        assert_int_equal(link_info_parse(NULL, 100, NULL, &info), -EINVAL);
        assert_memory_equal(&info, &sentinel, sizeof(info));

        br = link_message_build(RTM_DELLINK, AF_BRIDGE, false);
        nlh = nlmsg_hdr(br);
        assert_int_equal(link_info_parse(nlh, nlh->nlmsg_len, NULL, &info), -EAFNOSUPPORT);

        get = nlmsg_alloc_simple(RTM_NEWADDR, 0);
        assert_int_equal(nlmsg_append(get, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
        nlh = nlmsg_hdr(get);
        assert_int_equal(link_info_parse(nlh, nlh->nlmsg_len, NULL, &info), -ENOMSG);

        noname = nlmsg_alloc_simple(RTM_NEWLINK, 0);
        assert_int_equal(nlmsg_append(noname, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
        assert_int_equal(nla_put_u32(noname, IFLA_PROMISCUITY, 1), 0);
        nlh = nlmsg_hdr(noname);
        assert_int_equal(link_info_parse(nlh, nlh->nlmsg_len, NULL, &info), -EBADMSG);

        /* A name without its NUL, and one longer than IFNAMSIZ. */
        badname = nlmsg_alloc_simple(RTM_NEWLINK, 0);
        assert_int_equal(nlmsg_append(badname, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
        assert_int_equal(nla_put(badname, IFLA_IFNAME, 3, "eth"), 0);
        nlh = nlmsg_hdr(badname);
        assert_int_equal(link_info_parse(nlh, nlh->nlmsg_len, NULL, &info), -EBADMSG);

        nlmsg_free(TAKE_PTR(badname));
        memset(longname, 'x', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        badname = nlmsg_alloc_simple(RTM_NEWLINK, 0);
        assert_int_equal(nlmsg_append(badname, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
        assert_int_equal(nla_put_string(badname, IFLA_IFNAME, longname), 0);
        nlh = nlmsg_hdr(badname);
        assert_int_equal(link_info_parse(nlh, nlh->nlmsg_len, NULL, &info), -EBADMSG);

        assert_memory_equal(&info, &sentinel, sizeof(info));
}

/* An NLMSG_ERROR as netlink_ack() builds it: the error, our request's header (and its payload
 * unless capped), then the TLVs. */
static size_t error_message_build(void *buf, size_t size, int error, bool capped, const char *text) {
        const char payload[12] = "request-body";
        struct nlmsghdr *nlh = buf;
        struct nlmsgerr *e;
        struct nlattr *a;
        size_t off;

        memset(buf, 0, size);
        nlh->nlmsg_type = NLMSG_ERROR;
        nlh->nlmsg_flags = (capped ? NLM_F_CAPPED : 0) | (text ? NLM_F_ACK_TLVS : 0);
        nlh->nlmsg_seq = 77;
        e = NLMSG_DATA(nlh);
        e->error = error;
        e->msg.nlmsg_type = RTM_NEWLINK;
        e->msg.nlmsg_len = NLMSG_HDRLEN + sizeof(payload);
        off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*e));
        if (!capped) {
                memcpy((uint8_t *) buf + off, payload, sizeof(payload));
                off += NLMSG_ALIGN(sizeof(payload));
        }
        if (text) {
                a = (struct nlattr *) ((uint8_t *) buf + off);
                a->nla_type = NLMSGERR_ATTR_MSG;
                a->nla_len = NLA_HDRLEN + strlen(text) + 1;
                memcpy((uint8_t *) a + NLA_HDRLEN, text, strlen(text) + 1);
                off += NLA_ALIGN(a->nla_len);
        }
        assert_true(off <= size);
        nlh->nlmsg_len = off;
        return off;
}

static void test_parse_error(void **state) {
        _Alignas(8) uint8_t buf[256];
        const char *ext_ack = "x";
        int error = 1;

        error_message_build(buf, sizeof(buf), -EINVAL, true, "mtu less than device minimum");
        assert_int_equal(netlink_parse_error((struct nlmsghdr *) buf, &error, &ext_ack), 0);
        assert_int_equal(error, -EINVAL);
        assert_string_equal(ext_ack, "mtu less than device minimum");

        /* Not capped: the TLVs come after the echoed request. */
        error_message_build(buf, sizeof(buf), -ENODEV, false, "no such thing");
        assert_int_equal(netlink_parse_error((struct nlmsghdr *) buf, &error, &ext_ack), 0);
        assert_int_equal(error, -ENODEV);
        assert_string_equal(ext_ack, "no such thing");

        /* A plain ACK. */
        error_message_build(buf, sizeof(buf), 0, true, NULL);
        assert_int_equal(netlink_parse_error((struct nlmsghdr *) buf, &error, &ext_ack), 0);
        assert_int_equal(error, 0);
        assert_null(ext_ack);

        /* Too short for struct nlmsgerr. */
        error_message_build(buf, sizeof(buf), -EINVAL, true, NULL);
        ((struct nlmsghdr *) buf)->nlmsg_len = NLMSG_HDRLEN + 4;
        assert_int_equal(netlink_parse_error((struct nlmsghdr *) buf, &error, &ext_ack), -EBADMSG);

        /* An echoed length that points past the message. */
        error_message_build(buf, sizeof(buf), -EINVAL, false, "x");
        ((struct nlmsgerr *) NLMSG_DATA((struct nlmsghdr *) buf))->msg.nlmsg_len = 4000;
        assert_int_equal(netlink_parse_error((struct nlmsghdr *) buf, &error, &ext_ack), -EBADMSG);
}

static void test_parse_done(void **state) {
        _Alignas(8) uint8_t buf[NLMSG_HDRLEN + sizeof(int)] = {};
        struct nlmsghdr *nlh = (struct nlmsghdr *) buf;
        int e = -EINTR;

        nlh->nlmsg_type = NLMSG_DONE;
        nlh->nlmsg_len = sizeof(buf);
        memcpy(buf + NLMSG_HDRLEN, &e, sizeof(e));
        assert_int_equal(netlink_parse_done(nlh), -EINTR);

        e = 0;
        memcpy(buf + NLMSG_HDRLEN, &e, sizeof(e));
        assert_int_equal(netlink_parse_done(nlh), 0);

        nlh->nlmsg_len = NLMSG_HDRLEN;
        assert_int_equal(netlink_parse_done(nlh), 0);
}

static const char dev_mcast[] = "1    lo              1     0     01005e000001\n"
                                "2    peer            1     0     333300000001\n"
                                "4    mvt             2     0     333300000001\n"
                                "4    mvt             2     0     01005e000001\n"
                                "4    mvt             2     1     01005e010203\n"
                                "4    mvt             1     1     333300000099\n"
                                "4    mvt             1     1     01005E010203\n"
                                "4    mvt             1     1     0180c2000000\n"
                                "5    ib0             1     1     00ffffffff12401bffff00000000000000000001\n"
                                "40   mvt2            1     1     01005e7f0001";

static void test_mc_parse(void **state) {
        _cleanup_free_ EtherAddr *list = NULL;
        static const EtherAddr want[] = {
                        {{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}},
                        {{0x01, 0x80, 0xc2, 0x00, 0x00, 0x00}},
                        {{0x33, 0x33, 0x00, 0x00, 0x00, 0x99}},
        };
        size_t n = 99;

        /* Global only, sorted, unique (the same group in upper and lower case hex once). */
        assert_int_equal(link_mc_parse(dev_mcast, strlen(dev_mcast), 4, &list, &n), 0);
        assert_int_equal(n, ELEMENTSOF(want));
        assert_memory_equal(list, want, sizeof(want));
        list = mfree(list);

        /* The last line has no newline. */
        assert_int_equal(link_mc_parse(dev_mcast, strlen(dev_mcast), 40, &list, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(list[0].bytes[4], 0x00);
        assert_int_equal(list[0].bytes[3], 0x7f);
        list = mfree(list);

        /* A non-Ethernet address length is skipped; a link without global groups is empty. */
        assert_int_equal(link_mc_parse(dev_mcast, strlen(dev_mcast), 5, &list, &n), 0);
        assert_int_equal(n, 0);
        list = mfree(list);
        assert_int_equal(link_mc_parse(dev_mcast, strlen(dev_mcast), 2, &list, &n), 0);
        assert_int_equal(n, 0);
        list = mfree(list);

        /* 'size' bounds the parse: cut before the first mvt line with global 1. */
        assert_int_equal(link_mc_parse(dev_mcast, 4 * 46, 4, &list, &n), 0);
        assert_int_equal(n, 0);
        list = mfree(list);

        assert_int_equal(link_mc_parse("", 0, 4, &list, &n), 0);
        assert_int_equal(n, 0);
}

static void test_mc_parse_bad(void **state) {
        static const char *const bad[] = {
                        "4 mvt 1 1\n",                        /* four fields */
                        "4 mvt 1 1 01005e010203 extra\n",     /* six */
                        "4 mvt 1 x 01005e010203\n",           /* not a number */
                        "-4 mvt 1 1 01005e010203\n",          /* sign */
                        "4 mvt 1 99999999999 01005e010203\n", /* overflow */
                        "4 mvt 1 1 01005e01020\n",            /* odd hex */
                        "4 mvt 1 1 01005e0102zz\n",           /* not hex */
        };
        _cleanup_free_ EtherAddr *list = NULL;
        char longline[400];
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(link_mc_parse(bad[i], strlen(bad[i]), 4, &list, &n), -EBADMSG);

        memset(longline, ' ', sizeof(longline));
        assert_int_equal(link_mc_parse(longline, sizeof(longline), 4, &list, &n), -EBADMSG);
        assert_int_equal(link_mc_parse("4 mvt 1 1 01\0005e010203\n", 22, 4, &list, &n), -EBADMSG);
        assert_int_equal(link_mc_parse(NULL, 5, 4, &list, &n), -EINVAL);
        assert_null(list);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_nl_error_to_errno),
                        cmocka_unit_test(test_nl_error_from_libnl),
                        cmocka_unit_test(test_message_new),
                        cmocka_unit_test(test_fill_set_mac),
                        cmocka_unit_test(test_fill_set_flags),
                        cmocka_unit_test(test_fill_combined),
                        cmocka_unit_test(test_fill_errors),
                        cmocka_unit_test(test_info_parse),
                        cmocka_unit_test(test_info_parse_minimal),
                        cmocka_unit_test(test_info_parse_bad),
                        cmocka_unit_test(test_parse_error),
                        cmocka_unit_test(test_parse_done),
                        cmocka_unit_test(test_mc_parse),
                        cmocka_unit_test(test_mc_parse_bad),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
