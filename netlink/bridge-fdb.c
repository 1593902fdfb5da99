/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "bridge.h"
#include "ether-addr.h"
#include "macro.h"
#include "netlink-util.h"
#include "vlan-set.h"

/* Bridge FDB entries are AF_BRIDGE neighbour messages (iproute2 bridge/fdb.c, libnl's
 * rtnl_neigh_build_add_request()). What the kernel (net/bridge/br_fdb.c) does with them:
 *   - NTF_MASTER sends the request to the port's bridge; NTF_SELF to the device's own list.
 *   - The state picks the kind: NUD_PERMANENT makes a "local" entry (frames to it are for the
 *     host itself), NUD_NOARP a static one, NUD_REACHABLE a learned one. iproute2's `static` is
 *     NUD_NOARP|NUD_REACHABLE, and its default (no keyword) NUD_NOARP|NUD_PERMANENT, i.e. local.
 *   - Dumps and notifications report exactly one state per entry (fdb_to_nud()): NUD_PERMANENT,
 *     NUD_NOARP, NUD_REACHABLE or NUD_STALE; ndm_flags has no NTF_MASTER, NDA_MASTER names the
 *     bridge.
 *   - The key is (MAC, VID) per bridge: an add for another port moves the entry.
 *   - A VID must be one the port has, else -EINVAL, for a delete too. Removing a VLAN from a port
 *     flushes its learned entries only, so a static entry left on it can no longer be deleted.
 *   - Without NDA_VLAN on a port that has VLANs, an add or delete acts on VID 0 and on every VLAN
 *     of the port.
 * Checked on Debian's 6.1 by tests/netns/test-bridge.c and bridge-vlan.sh. */

#define FDB_DUMP_ATTEMPTS 3

static const struct nla_policy fdb_policy[NDA_MAX + 1] = {
                [NDA_LLADDR] = {.type = NLA_UNSPEC},
                [NDA_VLAN] = {.type = NLA_U16},
                [NDA_MASTER] = {.type = NLA_U32},
};

int bridge_fdb_fill(struct nl_msg *m, bool add, const FdbEntry *e) {
        uint16_t type = add ? RTM_NEWNEIGH : RTM_DELNEIGH;
        struct ndmsg ndm = {
                        .ndm_family = AF_BRIDGE,
                        .ndm_state = NUD_NOARP,
                        .ndm_flags = NTF_MASTER,
        };
        struct nlmsghdr *nlh;
        int r;

        /* The kernel refuses the zero address too (-EINVAL); a multicast one it takes. */
        if (!m || !e || e->ifindex <= 0 || e->vid > VLAN_VID_MAX || ether_addr_is_zero(&e->mac))
                return -EINVAL;

        /* One entry per message: the kernel reads one ndmsg. */
        nlh = nlmsg_hdr(m);
        if (nlmsg_datalen(nlh) != 0 || (nlh->nlmsg_type != 0 && nlh->nlmsg_type != type))
                return -EINVAL;

        ndm.ndm_ifindex = e->ifindex;
        r = nlmsg_append(m, &ndm, sizeof(ndm), NLMSG_ALIGNTO);
        if (r < 0)
                return nl_error_to_errno(r);
        nlh = nlmsg_hdr(m);
        nlh->nlmsg_type = type;
        /* NLM_F_REPLACE without NLM_F_EXCL: an entry that exists (learned, on another port) is
         * made ours; adding what is there already is no error. */
        if (add)
                nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;

        r = nla_put(m, NDA_LLADDR, sizeof(e->mac.bytes), e->mac.bytes);
        if (r < 0)
                return nl_error_to_errno(r);
        if (e->vid > 0) {
                r = nla_put_u16(m, NDA_VLAN, e->vid);
                if (r < 0)
                        return nl_error_to_errno(r);
        }
        return 0;
}

int fdb_entry_parse(
                const void *buf, size_t size, bool *ret_removed, int *ret_bridge_ifindex, FdbEntry *ret) {
        struct nlattr *tb[NDA_MAX + 1] = {};
        struct nlmsghdr *nlh = (struct nlmsghdr *) buf;
        const struct ndmsg *ndm;
        FdbEntry e = {};
        int r, bridge = 0;

        if (!buf || !ret)
                return -EINVAL;
        if (size < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > size)
                return -EBADMSG;
        if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH)
                return -ENOMSG;
        if (nlh->nlmsg_len < NLMSG_SPACE(sizeof(struct ndmsg)))
                return -EBADMSG;

        ndm = nlmsg_data(nlh);
        if (ndm->ndm_family != AF_BRIDGE)
                return -EAFNOSUPPORT;
        if (ndm->ndm_ifindex <= 0)
                return -EBADMSG;

        r = nlmsg_parse(nlh, sizeof(struct ndmsg), tb, NDA_MAX, fdb_policy);
        if (r < 0)
                return -EBADMSG;
        if (!tb[NDA_LLADDR] || nla_len(tb[NDA_LLADDR]) != (int) sizeof(e.mac.bytes))
                return -EBADMSG;
        memcpy(e.mac.bytes, nla_data(tb[NDA_LLADDR]), sizeof(e.mac.bytes));

        /* The kernel leaves NDA_VLAN out for VID 0. */
        if (tb[NDA_VLAN]) {
                uint16_t vid = nla_get_u16(tb[NDA_VLAN]);

                if (vid > VLAN_VID_MAX)
                        return -EBADMSG;
                e.vid = vid;
        }
        if (tb[NDA_MASTER])
                bridge = (int) nla_get_u32(tb[NDA_MASTER]);

        e.ifindex = ndm->ndm_ifindex;
        e.master = bridge > 0 || (ndm->ndm_flags & NTF_MASTER);
        e.is_local = ndm->ndm_state & NUD_PERMANENT;
        e.is_static = !e.is_local && (ndm->ndm_state & NUD_NOARP);

        if (ret_removed)
                *ret_removed = nlh->nlmsg_type == RTM_DELNEIGH;
        if (ret_bridge_ifindex)
                *ret_bridge_ifindex = bridge;
        *ret = e;
        return 0;
}

static int fdb_entry_compare(const void *x, const void *y) {
        const FdbEntry *a = x, *b = y;

        if (a->ifindex != b->ifindex)
                return a->ifindex < b->ifindex ? -1 : 1;
        if (a->vid != b->vid)
                return a->vid < b->vid ? -1 : 1;
        return ether_addr_compare(&a->mac, &b->mac);
}

/* Sorts 'e' and drops entries with the key of the one before. Returns the new count. */
static size_t fdb_sort_unique(FdbEntry *e, size_t n) {
        size_t k = 0;

        if (n == 0)
                return 0;
        qsort(e, n, sizeof(FdbEntry), fdb_entry_compare);
        for (size_t i = 1; i < n; i++)
                if (fdb_entry_compare(&e[i], &e[k]) != 0)
                        e[++k] = e[i];
        return k + 1;
}

/* A malloc'ed copy of 'n' entries (at least one slot, so NULL means -ENOMEM). */
static FdbEntry *fdb_copy(const FdbEntry *e, size_t n) {
        FdbEntry *c;

        c = new0(FdbEntry, MAX(n, (size_t) 1));
        if (c && n > 0)
                memcpy(c, e, n * sizeof(FdbEntry));
        return c;
}

int fdb_diff(const FdbEntry *have, size_t n_have, const FdbEntry *want, size_t n_want, FdbEntry **ret_del,
                size_t *n_del, FdbEntry **ret_add, size_t *n_add) {
        _cleanup_free_ FdbEntry *h = NULL, *w = NULL;
        size_t i = 0, j = 0, nd = 0, na = 0;

        if ((!have && n_have > 0) || (!want && n_want > 0) || !ret_del || !n_del || !ret_add || !n_add)
                return -EINVAL;

        /* Our own copies: 'h' sorted (the kernel has each key once, a caller's list may not),
         * 'w' sorted and unique. The results are written over them, behind the read positions. */
        h = fdb_copy(have, n_have);
        w = fdb_copy(want, n_want);
        if (!h || !w)
                return -ENOMEM;
        if (n_have > 0)
                qsort(h, n_have, sizeof(FdbEntry), fdb_entry_compare);
        n_want = fdb_sort_unique(w, n_want);

        while (i < n_have || j < n_want) {
                bool present = false;
                int c;

                if (i >= n_have)
                        c = 1;
                else if (j >= n_want)
                        c = -1;
                else
                        c = fdb_entry_compare(&h[i], &w[j]);

                if (c < 0) {
                        /* Not wanted. Only our kind of entry goes: learned ones are the bridge's,
                         * local ones the port's own address. */
                        if (h[i].is_static && !h[i].is_local &&
                                        (nd == 0 || fdb_entry_compare(&h[nd - 1], &h[i]) != 0))
                                h[nd++] = h[i];
                        i++;
                        continue;
                }

                /* Wanted: there when 'have' has it static, or local (which serves the address
                 * already; making it static would take the address from the host). */
                for (; c == 0 && i < n_have && fdb_entry_compare(&h[i], &w[j]) == 0; i++)
                        if (h[i].is_static || h[i].is_local)
                                present = true;
                if (!present)
                        w[na++] = w[j];
                j++;
        }

        if (nd == 0)
                h = mfree(h);
        if (na == 0)
                w = mfree(w);
        *ret_del = TAKE_PTR(h);
        *n_del = nd;
        *ret_add = TAKE_PTR(w);
        *n_add = na;
        return 0;
}

typedef struct FdbDump {
        int bridge_ifindex;
        int port_ifindex;
        FdbEntry *entries;
        size_t n;
        size_t n_allocated;
} FdbDump;

static int fdb_dump_parse(struct nlmsghdr *nlh, void *userdata) {
        FdbDump *d = userdata;
        FdbEntry e;
        int r, bridge;

        if (nlh->nlmsg_type != RTM_NEWNEIGH)
                return 0;
        r = fdb_entry_parse(nlh, nlh->nlmsg_len, NULL, &bridge, &e);
        if (r == -EAFNOSUPPORT)
                return 0;
        if (r < 0)
                return r;

        /* The kernel filters too, but it also adds every device's own NTF_SELF list, and an old
         * one may ignore the filter: check both here. */
        if (bridge != d->bridge_ifindex || (d->port_ifindex > 0 && e.ifindex != d->port_ifindex))
                return 0;

        if (d->n >= d->n_allocated) {
                size_t a = MAX(d->n_allocated * 2, (size_t) 64);
                FdbEntry *n;

                n = reallocarray(d->entries, a, sizeof(FdbEntry));
                if (!n)
                        return -ENOMEM;
                d->entries = n;
                d->n_allocated = a;
        }
        d->entries[d->n++] = e;
        return 0;
}

static int fdb_dump_once(Rtnl *r, FdbDump *d) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        struct ifinfomsg ifi = {
                        .ifi_family = AF_BRIDGE,
                        .ifi_index = d->port_ifindex,
        };
        int k;

        /* The request as iproute2 sends it (`bridge fdb show br BR brport PORT`): an ifinfomsg
         * with the port and IFLA_MASTER. The kernel tells this from the older ndmsg form by its
         * length (valid_fdb_dump_legacy()). */
        m = nlmsg_alloc_simple(RTM_GETNEIGH, 0);
        if (!m)
                return -ENOMEM;
        k = nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
        if (k < 0)
                return nl_error_to_errno(k);
        k = nla_put_u32(m, IFLA_MASTER, d->bridge_ifindex);
        if (k < 0)
                return nl_error_to_errno(k);

        return rtnl_dump(r, m, fdb_dump_parse, d);
}

int rtnl_fdb_dump(Rtnl *r, int bridge_ifindex, int port_ifindex, FdbEntry **ret, size_t *ret_n) {
        FdbDump d = {};
        int k = -EAGAIN;

        if (!r || bridge_ifindex <= 0 || port_ifindex < 0 || !ret || !ret_n)
                return -EINVAL;

        for (unsigned i = 0; i < FDB_DUMP_ATTEMPTS && k == -EAGAIN; i++) {
                d.entries = mfree(d.entries);
                d = (FdbDump){.bridge_ifindex = bridge_ifindex, .port_ifindex = port_ifindex};
                k = fdb_dump_once(r, &d);
        }
        if (k < 0) {
                free(d.entries);
                return k;
        }

        if (d.n > 0)
                qsort(d.entries, d.n, sizeof(FdbEntry), fdb_entry_compare);
        else
                d.entries = mfree(d.entries);
        *ret = d.entries;
        *ret_n = d.n;
        return 0;
}
