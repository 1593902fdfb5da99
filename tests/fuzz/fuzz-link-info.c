/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "macro.h"
#include "rtnl.h"

/* One RTM_NEWLINK/RTM_DELLINK as the kernel sends it on RTNLGRP_LINK straight into the parser,
 * then the promises of its contract checked on whatever it accepted. */

static bool string_ok(const char *s, size_t size) {
        return strnlen(s, size) < size;
}

static bool link_info_equal(const LinkInfo *a, const LinkInfo *b) {
        return a->ifindex == b->ifindex && streq(a->ifname, b->ifname) && streq(a->kind, b->kind) &&
               a->link_ifindex == b->link_ifindex && a->master_ifindex == b->master_ifindex &&
               ether_addr_equal(&a->mac, &b->mac) && a->flags == b->flags &&
               a->promiscuity == b->promiscuity && a->allmulti == b->allmulti &&
               a->num_tx_queues == b->num_tx_queues && a->num_rx_queues == b->num_rx_queues &&
               a->has_tun_queues == b->has_tun_queues && a->tun_multi_queue == b->tun_multi_queue &&
               a->tun_queues == b->tun_queues && a->tun_disabled_queues == b->tun_disabled_queues;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ void *copy = NULL;
        const struct nlmsghdr *nlh;
        const struct ifinfomsg *ifi;
        LinkInfo info, untouched, again;
        bool removed = false, removed_again = true;
        int r, k;

        /* The parser wants malloc() alignment; libFuzzer's buffer has it, but do not rely on it. */
        copy = malloc(size > 0 ? size : 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);

        memset(&info, 0xa5, sizeof(info));
        untouched = info;
        r = link_info_parse(copy, size, &removed, &info);
        if (r < 0) {
                if (r != -ENOMSG && r != -EAFNOSUPPORT && r != -EBADMSG)
                        abort();
                if (memcmp(&info, &untouched, sizeof(info)) != 0 || removed)
                        abort();
                return 0;
        }
        if (r != 0 || size < NLMSG_SPACE(sizeof(struct ifinfomsg)))
                abort();

        nlh = copy;
        ifi = NLMSG_DATA(nlh);
        if (nlh->nlmsg_len > size || nlh->nlmsg_len < NLMSG_SPACE(sizeof(struct ifinfomsg)))
                abort();
        if ((nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) ||
                        ifi->ifi_family != AF_UNSPEC)
                abort();
        if (removed != (nlh->nlmsg_type == RTM_DELLINK))
                abort();
        if (info.ifindex <= 0 || info.ifindex != ifi->ifi_index || info.flags != ifi->ifi_flags)
                abort();
        if (!string_ok(info.ifname, sizeof(info.ifname)) || !string_ok(info.kind, sizeof(info.kind)))
                abort();

        /* Only the message's own nlmsg_len bytes count: the same message in a buffer of exactly
         * that size (ASan sees any read past it) parses to the same result. */
        {
                _cleanup_free_ void *exact = malloc(nlh->nlmsg_len);

                if (!exact)
                        return 0;
                memcpy(exact, copy, nlh->nlmsg_len);
                k = link_info_parse(exact, nlh->nlmsg_len, &removed_again, &again);
                if (k != 0 || removed_again != removed || !link_info_equal(&info, &again))
                        abort();
        }
        /* 'ret_removed' is optional. */
        k = link_info_parse(copy, size, NULL, &again);
        if (k != 0 || !link_info_equal(&info, &again))
                abort();
        /* Queues reported only for a tun. */
        if (info.has_tun_queues && !streq(info.kind, "tun"))
                abort();
        /* The counters of an accepted message: there or not, never a different error. */
        {
                LinkStats st;

                memset(&st, 0xa5, sizeof(st));
                k = link_stats_parse(copy, size, &st);
                if (k != 0 && k != -ENODATA && k != -EBADMSG)
                        abort();
        }
        return 0;
}
