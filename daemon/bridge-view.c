/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "bridge-view.h"
#include "macro.h"

static BridgeView *bridge_view_free(BridgeView *v) {
        if (!v)
                return NULL;
        free(v->ports);
        free(v->fdb);
        free(v->mdb);
        free(v);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(BridgeView *, bridge_view_free);

void manager_drop_bridge_views(Manager *m) {
        for (size_t i = 0; i < m->n_bridge_views; i++)
                bridge_view_free(m->bridge_views[i]);
        m->bridge_views = mfree(m->bridge_views);
        m->n_bridge_views = 0;
}

int manager_bridge_view(Manager *m, int ifindex, BridgeView **ret) {
        _cleanup_(bridge_view_freep) BridgeView *v = NULL;
        BridgeView **a;
        int r;

        for (size_t i = 0; i < m->n_bridge_views; i++)
                if (m->bridge_views[i]->ifindex == ifindex) {
                        *ret = m->bridge_views[i];
                        return 0;
                }

        v = new0(BridgeView, 1);
        if (!v)
                return -ENOMEM;
        v->ifindex = ifindex;
        /* Two reads: the bridge's own link message, and its ports. */
        r = rtnl_bridge_get(m->rtnl, ifindex, &v->info);
        if (r < 0)
                return r;
        r = rtnl_bridge_ports_dump(m->rtnl, ifindex, &v->ports, &v->n_ports);
        if (r < 0)
                return r;

        a = reallocarray(m->bridge_views, m->n_bridge_views + 1, sizeof(BridgeView *));
        if (!a)
                return -ENOMEM;
        m->bridge_views = a;
        m->bridge_views[m->n_bridge_views++] = v;
        *ret = TAKE_PTR(v);
        return 0;
}

/* The entries of one port in an array sorted by port first: [*ret_first, *ret_first + count). */
static size_t slice_by_port(
                const void *base, size_t n, size_t size, size_t port_offset, int port, size_t *ret_first) {
        size_t lo = 0, hi = n, k;

#define PORT_AT(i) (*(const int *) ((const char *) base + (i) *size + port_offset))
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (PORT_AT(mid) < port)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (k = lo; k < n && PORT_AT(k) == port; k++)
                ;
#undef PORT_AT
        *ret_first = lo;
        return k - lo;
}

static int copy_slice(const void *base, size_t n, size_t size, size_t port_offset, int port, void **ret,
                size_t *ret_n) {
        size_t first, count = slice_by_port(base, n, size, port_offset, port, &first);
        void *c = NULL;

        if (count > 0) {
                c = malloc(count * size);
                if (!c)
                        return -ENOMEM;
                memcpy(c, (const char *) base + first * size, count * size);
        }
        *ret = c;
        *ret_n = count;
        return 0;
}

size_t fdb_keep_static(FdbEntry *e, size_t n) {
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
                if (e[i].is_static && !e[i].is_local)
                        e[k++] = e[i];
        return k;
}

int bridge_view_port_fdb(Manager *m, BridgeView *v, int port_ifindex, FdbEntry **ret, size_t *ret_n) {
        FdbEntry *e = NULL;
        size_t n = 0;
        int r;

        if (!v->has_fdb && ++v->n_fdb_port_reads <= BRIDGE_VIEW_FDB_PORT_READS) {
                r = rtnl_fdb_dump(m->rtnl, v->ifindex, port_ifindex, &e, &n);
                if (r < 0)
                        return r;
                *ret_n = fdb_keep_static(e, n);
                *ret = *ret_n > 0 ? e : mfree(e);
                return 0;
        }
        if (!v->has_fdb) {
                r = rtnl_fdb_dump(m->rtnl, v->ifindex, 0, &v->fdb, &v->n_fdb);
                if (r < 0)
                        return r;
                v->n_fdb = fdb_keep_static(v->fdb, v->n_fdb);
                v->has_fdb = true;
        }
        return copy_slice(v->fdb, v->n_fdb, sizeof(FdbEntry), offsetof(FdbEntry, ifindex), port_ifindex,
                        (void **) ret, ret_n);
}

int bridge_view_port_mdb(Manager *m, BridgeView *v, int port_ifindex, MdbEntry **ret, size_t *ret_n) {
        int r;

        if (v->info.mcast_snooping <= 0) { /* off, or a kernel without snooping: no MDB */
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (!v->has_mdb) {
                r = rtnl_mdb_dump(m->rtnl, v->ifindex, 0, &v->mdb, &v->n_mdb);
                if (r < 0)
                        return r;
                v->has_mdb = true;
        }
        return copy_slice(v->mdb, v->n_mdb, sizeof(MdbEntry), offsetof(MdbEntry, port_ifindex), port_ifindex,
                        (void **) ret, ret_n);
}
