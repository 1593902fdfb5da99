/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/msg.h>

#include "bridge.h"
#include "ether-addr.h"
#include "fuzz.h"
#include "macro.h"
#include "netlink-util.h"
#include "vlan-set.h"

/* One AF_BRIDGE RTM_NEWNEIGH/RTM_DELNEIGH (an FDB entry, from a dump or RTNLGRP_NEIGH) straight
 * into the parser, then the promises of its contract checked on whatever it accepted, and the
 * entry written back by the builder and read again. */

static bool entry_equal(const FdbEntry *a, const FdbEntry *b) {
        return ether_addr_equal(&a->mac, &b->mac) && a->vid == b->vid && a->ifindex == b->ifindex &&
               a->is_static == b->is_static && a->master == b->master && a->is_local == b->is_local;
}

/* What the builder writes for 'e' (a static entry in the bridge's FDB) parses to 'e' again. */
static void check_round_trip(const FdbEntry *e) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        struct nlmsghdr *nlh;
        FdbEntry back;
        bool removed;
        int r, bridge;

        m = nlmsg_alloc();
        if (!m)
                return;
        r = bridge_fdb_fill(m, true, e);
        if (r == -ENOMEM)
                return;
        /* The builder refuses only the zero MAC of what the parser accepts. */
        if ((r < 0) != ether_addr_is_zero(&e->mac) || (r < 0 && r != -EINVAL))
                abort();
        if (r < 0)
                return;

        nlh = nlmsg_hdr(m);
        r = fdb_entry_parse(nlh, nlh->nlmsg_len, &removed, &bridge, &back);
        if (r != 0 || removed || bridge != 0 || !ether_addr_equal(&back.mac, &e->mac) ||
                        back.vid != e->vid || back.ifindex != e->ifindex || !back.is_static ||
                        back.is_local || !back.master)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ void *copy = NULL;
        const struct nlmsghdr *nlh;
        const struct ndmsg *ndm;
        FdbEntry e, untouched, again;
        bool removed = false, removed_again = true;
        int r, k, bridge = -1, bridge_again = -1;

        /* The parser wants malloc() alignment; libFuzzer's buffer has it, but do not rely on it. */
        copy = malloc(size > 0 ? size : 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);

        memset(&e, 0xa5, sizeof(e));
        untouched = e;
        r = fdb_entry_parse(copy, size, &removed, &bridge, &e);
        if (r < 0) {
                if (r != -ENOMSG && r != -EAFNOSUPPORT && r != -EBADMSG)
                        abort();
                if (memcmp(&e, &untouched, sizeof(e)) != 0 || removed || bridge != -1)
                        abort();
                return 0;
        }
        if (r != 0 || size < NLMSG_SPACE(sizeof(struct ndmsg)))
                abort();

        nlh = copy;
        ndm = NLMSG_DATA(nlh);
        if (nlh->nlmsg_len > size || nlh->nlmsg_len < NLMSG_SPACE(sizeof(struct ndmsg)))
                abort();
        if ((nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH) ||
                        ndm->ndm_family != AF_BRIDGE)
                abort();
        if (removed != (nlh->nlmsg_type == RTM_DELNEIGH))
                abort();
        if (e.ifindex <= 0 || e.ifindex != ndm->ndm_ifindex || e.vid > VLAN_VID_MAX)
                abort();
        if (e.master != (bridge > 0 || (ndm->ndm_flags & NTF_MASTER)))
                abort();
        /* One state per entry: local, static or learned. */
        if (e.is_local && e.is_static)
                abort();
        if (e.is_local != !!(ndm->ndm_state & NUD_PERMANENT))
                abort();

        /* Only the message's own nlmsg_len bytes count: the same message in a buffer of exactly
         * that size (ASan sees any read past it) parses to the same result. */
        {
                _cleanup_free_ void *exact = malloc(nlh->nlmsg_len);

                if (!exact)
                        return 0;
                memcpy(exact, copy, nlh->nlmsg_len);
                k = fdb_entry_parse(exact, nlh->nlmsg_len, &removed_again, &bridge_again, &again);
                if (k != 0 || removed_again != removed || bridge_again != bridge || !entry_equal(&e, &again))
                        abort();
        }
        /* 'ret_removed' and 'ret_bridge_ifindex' are optional. */
        k = fdb_entry_parse(copy, size, NULL, NULL, &again);
        if (k != 0 || !entry_equal(&e, &again))
                abort();

        check_round_trip(&e);
        return 0;
}
