/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
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

/* The bridge multicast database over rtnetlink (net/bridge/br_mdb.c; iproute2 bridge/mdb.c).
 * What the kernel does with L2 entries (addr.proto 0, Linux >= 5.11):
 *   - Requests are a br_port_msg naming the bridge and one MDBA_SET_ENTRY, a struct br_mdb_entry
 *     whose size must be exact. Only permanent L2 entries are allowed ("Only permanent L2 entries
 *     allowed"), and only while the bridge is up and snooping (mcast_snooping 1); with snooping
 *     off, entries already there stay, unused, but neither add nor delete is possible. A port
 *     that is down takes them and keeps them; one that leaves the bridge loses them.
 *   - The key is (group, VID) per port; the VID is not checked against the port's VLANs, and
 *     without VLAN filtering an entry with a VID never matches a frame. With VLAN filtering on, a
 *     request without VID acts on every VLAN of the port.
 *   - Forwarding uses an L2 entry only for frames that are neither IPv4 nor IPv6: those are
 *     looked up by their IP group (br_mdb_entry_skb_get()).
 *   - Past mcast_hash_max groups an add is -E2BIG and the kernel turns snooping off for the
 *     whole bridge (br_multicast_new_group()): every port floods until it is turned on again.
 *   - A dump (RTM_GETMDB) has no filter: it answers with RTM_GETMDB messages, family 0, one per
 *     bridge (more when its table does not fit one), each with MDBA_MDB { MDBA_MDB_ENTRY {
 *     MDBA_MDB_ENTRY_INFO... } }, an ENTRY_INFO being a br_mdb_entry followed by attributes.
 *     Notifications (RTNLGRP_MDB) are RTM_NEWMDB/RTM_DELMDB, AF_BRIDGE, one entry each.
 *   - IP groups snooped from IGMP/MLD share the table; they are not ours and are skipped.
 * Checked by tests/netns/test-bridge-mdb.c on 6.18 and on Debian's 6.1 (in a VM, VLAN cases too). */

#define MDB_DUMP_ATTEMPTS 3

static const struct nla_policy mdb_policy[MDBA_MAX + 1] = {
                [MDBA_MDB] = {.type = NLA_NESTED},
                [MDBA_ROUTER] = {.type = NLA_NESTED},
};

int bridge_mdb_fill(struct nl_msg *m, bool add, int bridge_ifindex, const MdbEntry *e) {
        uint16_t type = add ? RTM_NEWMDB : RTM_DELMDB;
        struct br_port_msg bpm = {
                        .family = AF_BRIDGE,
        };
        struct br_mdb_entry entry = {
                        .state = MDB_PERMANENT,
        };
        struct nlmsghdr *nlh;
        int r;

        /* The kernel refuses a unicast group too ("L2 entry group is not multicast"), the zero
         * address included; the broadcast address it takes. */
        if (!m || !e || bridge_ifindex <= 0 || e->port_ifindex <= 0 || e->vid > VLAN_VID_MAX ||
                        !ether_addr_is_multicast(&e->mac))
                return -EINVAL;

        /* One entry per message: the kernel reads one MDBA_SET_ENTRY. */
        nlh = nlmsg_hdr(m);
        if (nlmsg_datalen(nlh) != 0 || (nlh->nlmsg_type != 0 && nlh->nlmsg_type != type))
                return -EINVAL;

        bpm.ifindex = (uint32_t) bridge_ifindex;
        r = nlmsg_append(m, &bpm, sizeof(bpm), NLMSG_ALIGNTO);
        if (r < 0)
                return nl_error_to_errno(r);
        nlh = nlmsg_hdr(m);
        nlh->nlmsg_type = type;
        /* NLM_F_REPLACE without NLM_F_EXCL, so adding what is there is no error: Linux 6.3 and
         * later replace the entry (the same one), older ones ignore the flag and say -EEXIST. */
        if (add)
                nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;

        /* A delete ignores the state; MDB_PERMANENT on both keeps the entry one value. */
        entry.ifindex = (uint32_t) e->port_ifindex;
        entry.vid = e->vid;
        entry.addr.proto = 0;
        memcpy(entry.addr.u.mac_addr, e->mac.bytes, sizeof(e->mac.bytes));
        r = nla_put(m, MDBA_SET_ENTRY, sizeof(entry), &entry);
        if (r < 0)
                return nl_error_to_errno(r);
        return 0;
}

typedef struct MdbList {
        MdbEntry *entries;
        size_t n;
        size_t n_allocated;
} MdbList;

static int mdb_list_append(MdbList *l, const MdbEntry *e) {
        if (l->n >= l->n_allocated) {
                size_t a = MAX(l->n_allocated * 2, (size_t) 16);
                MdbEntry *n;

                n = reallocarray(l->entries, a, sizeof(MdbEntry));
                if (!n)
                        return -ENOMEM;
                l->entries = n;
                l->n_allocated = a;
        }
        l->entries[l->n++] = *e;
        return 0;
}

/* Appends the L2 entries of one MDBA_MDB_ENTRY (a group: one ENTRY_INFO per port) to 'l'. */
static int mdb_group_parse(const struct nlattr *group, MdbList *l) {
        const struct nlattr *info;
        int rem;

        nla_for_each_nested(info, group, rem) {
                struct br_mdb_entry be;
                MdbEntry e = {};

                if (nla_type(info) != MDBA_MDB_ENTRY_INFO)
                        continue;
                /* The struct comes first; attributes (timer, protocol) may follow it. */
                if (nla_len(info) < (int) sizeof(be))
                        return -EBADMSG;
                memcpy(&be, nla_data(info), sizeof(be));

                if (be.addr.proto != 0)
                        continue;
                if (be.ifindex == 0 || be.ifindex > INT32_MAX || be.vid > VLAN_VID_MAX)
                        return -EBADMSG;

                memcpy(e.mac.bytes, be.addr.u.mac_addr, sizeof(e.mac.bytes));
                e.vid = be.vid;
                e.port_ifindex = (int) be.ifindex;
                e.permanent = be.state & MDB_PERMANENT;
                if (mdb_list_append(l, &e) < 0)
                        return -ENOMEM;
        }
        /* nla_for_each_nested() stops at a cut attribute; fewer bytes left over are padding. */
        return rem >= (int) NLA_HDRLEN ? -EBADMSG : 0;
}

/* Appends the L2 entries of MDBA_MDB (one MDBA_MDB_ENTRY per group) to 'l'. */
static int mdb_table_parse(const struct nlattr *table, MdbList *l) {
        const struct nlattr *group;
        int r, rem;

        nla_for_each_nested(group, table, rem) {
                if (nla_type(group) != MDBA_MDB_ENTRY)
                        continue;
                r = mdb_group_parse(group, l);
                if (r < 0)
                        return r;
        }
        return rem >= (int) NLA_HDRLEN ? -EBADMSG : 0;
}

int mdb_message_parse(const void *buf, size_t size, bool *ret_removed, int *ret_bridge_ifindex,
                MdbEntry **ret, size_t *ret_n) {
        struct nlattr *tb[MDBA_MAX + 1] = {};
        struct nlmsghdr *nlh = (struct nlmsghdr *) buf;
        const struct br_port_msg *bpm;
        MdbList l = {};
        int r;

        if (!buf || !ret || !ret_n)
                return -EINVAL;
        if (size < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > size)
                return -EBADMSG;
        if (nlh->nlmsg_type != RTM_GETMDB && nlh->nlmsg_type != RTM_NEWMDB && nlh->nlmsg_type != RTM_DELMDB)
                return -ENOMSG;
        if (nlh->nlmsg_len < NLMSG_SPACE(sizeof(struct br_port_msg)))
                return -EBADMSG;

        /* br_mdb_dump() leaves the family 0; notifications say AF_BRIDGE. */
        bpm = nlmsg_data(nlh);
        if (bpm->family != AF_BRIDGE && bpm->family != AF_UNSPEC)
                return -EAFNOSUPPORT;
        if (bpm->ifindex == 0 || bpm->ifindex > INT32_MAX)
                return -EBADMSG;

        r = nlmsg_parse(nlh, sizeof(struct br_port_msg), tb, MDBA_MAX, mdb_policy);
        if (r < 0)
                return -EBADMSG;

        /* Router ports (MDBA_ROUTER) are not entries. */
        if (tb[MDBA_MDB]) {
                r = mdb_table_parse(tb[MDBA_MDB], &l);
                if (r < 0) {
                        free(l.entries);
                        return r;
                }
        }

        if (ret_removed)
                *ret_removed = nlh->nlmsg_type == RTM_DELMDB;
        if (ret_bridge_ifindex)
                *ret_bridge_ifindex = (int) bpm->ifindex;
        *ret = l.entries;
        *ret_n = l.n;
        return 0;
}

static int mdb_entry_compare(const void *x, const void *y) {
        const MdbEntry *a = x, *b = y;

        if (a->port_ifindex != b->port_ifindex)
                return a->port_ifindex < b->port_ifindex ? -1 : 1;
        if (a->vid != b->vid)
                return a->vid < b->vid ? -1 : 1;
        return ether_addr_compare(&a->mac, &b->mac);
}

/* Sorts 'e' and drops entries with the key of the one before. Returns the new count. */
static size_t mdb_sort_unique(MdbEntry *e, size_t n) {
        size_t k = 0;

        if (n == 0)
                return 0;
        qsort(e, n, sizeof(MdbEntry), mdb_entry_compare);
        for (size_t i = 1; i < n; i++)
                if (mdb_entry_compare(&e[i], &e[k]) != 0)
                        e[++k] = e[i];
        return k + 1;
}

/* A malloc'ed copy of 'n' entries (at least one slot, so NULL means -ENOMEM). */
static MdbEntry *mdb_copy(const MdbEntry *e, size_t n) {
        MdbEntry *c;

        c = new0(MdbEntry, MAX(n, (size_t) 1));
        if (c && n > 0)
                memcpy(c, e, n * sizeof(MdbEntry));
        return c;
}

int mdb_diff(const MdbEntry *have, size_t n_have, const MdbEntry *want, size_t n_want, MdbEntry **ret_del,
                size_t *n_del, MdbEntry **ret_add, size_t *n_add) {
        _cleanup_free_ MdbEntry *h = NULL, *w = NULL;
        size_t i = 0, j = 0, nd = 0, na = 0;

        if ((!have && n_have > 0) || (!want && n_want > 0) || !ret_del || !n_del || !ret_add || !n_add)
                return -EINVAL;

        /* Our own sorted, unique copies; the results are written over them, behind the read
         * positions (a merge of two sorted lists). */
        h = mdb_copy(have, n_have);
        w = mdb_copy(want, n_want);
        if (!h || !w)
                return -ENOMEM;
        n_have = mdb_sort_unique(h, n_have);
        n_want = mdb_sort_unique(w, n_want);

        while (i < n_have || j < n_want) {
                int c;

                if (i >= n_have)
                        c = 1;
                else if (j >= n_want)
                        c = -1;
                else
                        c = mdb_entry_compare(&h[i], &w[j]);

                if (c < 0)
                        h[nd++] = h[i++];
                else if (c > 0)
                        w[na++] = w[j++];
                else {
                        i++;
                        j++;
                }
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

typedef struct MdbDump {
        int bridge_ifindex;
        int port_ifindex;
        bool seen; /* a message for the bridge came, so it exists (possibly with an empty MDB) */
        MdbList list;
} MdbDump;

static int mdb_dump_parse(struct nlmsghdr *nlh, void *userdata) {
        _cleanup_free_ MdbEntry *e = NULL;
        MdbDump *d = userdata;
        size_t n;
        int r, bridge;

        r = mdb_message_parse(nlh, nlh->nlmsg_len, NULL, &bridge, &e, &n);
        if (r == -ENOMSG || r == -EAFNOSUPPORT)
                return 0;
        if (r < 0)
                return r;
        if (bridge != d->bridge_ifindex)
                return 0;
        d->seen = true;

        for (size_t i = 0; i < n; i++) {
                if (d->port_ifindex > 0 && e[i].port_ifindex != d->port_ifindex)
                        continue;
                r = mdb_list_append(&d->list, &e[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int mdb_dump_once(Rtnl *r, MdbDump *d) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
        struct br_port_msg bpm = {
                        .family = AF_BRIDGE,
        };
        int k;

        /* The request as iproute2 sends it: a br_port_msg and nothing else. Under strict checking
         * the kernel refuses an index ("Filtering by device index is not supported"), so it is
         * 0 and the bridge is picked from the answers. */
        m = nlmsg_alloc_simple(RTM_GETMDB, 0);
        if (!m)
                return -ENOMEM;
        k = nlmsg_append(m, &bpm, sizeof(bpm), NLMSG_ALIGNTO);
        if (k < 0)
                return nl_error_to_errno(k);

        return rtnl_dump(r, m, mdb_dump_parse, d);
}

int rtnl_mdb_dump(Rtnl *r, int bridge_ifindex, int port_ifindex, MdbEntry **ret, size_t *ret_n) {
        MdbDump d = {};
        int k = -EAGAIN;

        if (!r || bridge_ifindex <= 0 || port_ifindex < 0 || !ret || !ret_n)
                return -EINVAL;

        for (unsigned i = 0; i < MDB_DUMP_ATTEMPTS && k == -EAGAIN; i++) {
                free(d.list.entries);
                d = (MdbDump){.bridge_ifindex = bridge_ifindex, .port_ifindex = port_ifindex};
                k = mdb_dump_once(r, &d);
        }
        if (k >= 0 && !d.seen)
                k = -ENODEV;
        if (k < 0) {
                free(d.list.entries);
                return k;
        }

        if (d.list.n > 0)
                qsort(d.list.entries, d.list.n, sizeof(MdbEntry), mdb_entry_compare);
        else
                d.list.entries = mfree(d.list.entries);
        *ret = d.list.entries;
        *ret_n = d.list.n;
        return 0;
}

int rtnl_bridge_get_mcast_snooping(Rtnl *r, int bridge_ifindex, bool *ret) {
        BridgeInfo info;
        int k;

        if (!ret)
                return -EINVAL;
        k = rtnl_bridge_get(r, bridge_ifindex, &info);
        if (k < 0)
                return k;
        if (info.mcast_snooping < 0)
                return -EOPNOTSUPP;
        *ret = info.mcast_snooping;
        return 0;
}
