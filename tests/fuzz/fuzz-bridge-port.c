/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/msg.h>

#include "bridge.h"
#include "fuzz.h"
#include "macro.h"
#include "netlink-util.h"
#include "vlan-set.h"

/* One AF_BRIDGE RTM_NEWLINK/RTM_DELLINK (a bridge port, from a dump or RTNLGRP_LINK) straight
 * into the parser, then the promises of its contract checked on whatever it accepted, and the
 * VLANs it read written back by the builder and read again. */

static bool flag_ok(int f) {
        return f == -1 || f == 0 || f == 1;
}

static bool port_equal(const BridgePort *a, const BridgePort *b) {
        return a->ifindex == b->ifindex && a->master_ifindex == b->master_ifindex &&
               a->flags.learning == b->flags.learning && a->flags.unicast_flood == b->flags.unicast_flood &&
               a->flags.mcast_flood == b->flags.mcast_flood && bridge_port_vlans_equal(&a->vlans, &b->vlans);
}

/* The builder's message for going from no VLANs to 'p's, turned into the notification the kernel
 * would send for it (RTM_NEWLINK instead of RTM_SETLINK), must parse to the same VLANs. */
static void check_round_trip(const BridgePort *p) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        const BridgePortVlans none = {};
        struct nlmsghdr *nlh;
        BridgePort back;
        int r;

        m = nlmsg_alloc();
        if (!m)
                return;
        r = bridge_vlan_fill_port(m, p->ifindex, &p->vlans, &none, true);
        if (r == -ENOMEM)
                return;
        if (r < 0 || (size_t) r != vlan_set_count(&p->vlans.vids))
                abort();

        nlh = nlmsg_hdr(m);
        nlh->nlmsg_type = RTM_NEWLINK;
        r = bridge_port_parse(nlh, nlh->nlmsg_len, NULL, &back);
        if (r != 0 || back.ifindex != p->ifindex || !bridge_port_vlans_equal(&back.vlans, &p->vlans))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ void *copy = NULL;
        const struct nlmsghdr *nlh;
        const struct ifinfomsg *ifi;
        BridgePort port, untouched, again;
        bool removed = false, removed_again = true;
        VlanSet outside;
        int r, k;

        /* The parser wants malloc() alignment; libFuzzer's buffer has it, but do not rely on it. */
        copy = malloc(size > 0 ? size : 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);

        memset(&port, 0xa5, sizeof(port));
        untouched = port;
        r = bridge_port_parse(copy, size, &removed, &port);
        if (r < 0) {
                if (r != -ENOMSG && r != -EAFNOSUPPORT && r != -EBADMSG)
                        abort();
                if (memcmp(&port, &untouched, sizeof(port)) != 0 || removed)
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
                        ifi->ifi_family != AF_BRIDGE)
                abort();
        if (removed != (nlh->nlmsg_type == RTM_DELLINK))
                abort();
        if (port.ifindex <= 0 || port.ifindex != ifi->ifi_index)
                abort();
        if (!flag_ok(port.flags.learning) || !flag_ok(port.flags.unicast_flood) ||
                        !flag_ok(port.flags.mcast_flood))
                abort();

        /* VIDs 1..4094, the PVID and the untagged ones among them. */
        if (vlan_set_contains(&port.vlans.vids, 0) ||
                        vlan_set_contains(&port.vlans.vids, VLAN_VID_COUNT - 1))
                abort();
        if (port.vlans.pvid > VLAN_VID_MAX ||
                        (port.vlans.pvid != 0 && !vlan_set_contains(&port.vlans.vids, port.vlans.pvid)))
                abort();
        outside = port.vlans.untagged;
        vlan_set_subtract(&outside, &port.vlans.vids);
        if (!vlan_set_is_empty(&outside))
                abort();

        /* Only the message's own nlmsg_len bytes count: the same message in a buffer of exactly
         * that size (ASan sees any read past it) parses to the same result. */
        {
                _cleanup_free_ void *exact = malloc(nlh->nlmsg_len);

                if (!exact)
                        return 0;
                memcpy(exact, copy, nlh->nlmsg_len);
                k = bridge_port_parse(exact, nlh->nlmsg_len, &removed_again, &again);
                if (k != 0 || removed_again != removed || !port_equal(&port, &again))
                        abort();
        }
        /* 'ret_removed' is optional. */
        k = bridge_port_parse(copy, size, NULL, &again);
        if (k != 0 || !port_equal(&port, &again))
                abort();

        check_round_trip(&port);
        return 0;
}
