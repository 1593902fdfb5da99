/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "bridge.h"
#include "manager.h"
#include "rtnl.h"

/* What one reconcile pass reads of a bridge, read once and shared by every port of it the pass
 * looks at, then dropped at the end of the pass (the kernel changes behind it). Without it a pass
 * over N ports of one bridge read the bridge's ports N times over: N² messages per pass. */
typedef struct BridgeView {
        int ifindex;
        BridgeInfo info;
        BridgePort *ports; /* every port with flags and VLANs, sorted by ifindex */
        size_t n_ports;

        /* Static FDB entries: per port from the kernel (it filters by port) for the first few
         * ports a pass asks about, then the whole FDB once, sliced per port. */
        unsigned n_fdb_port_reads;
        bool has_fdb;
        FdbEntry *fdb; /* static, not local, sorted by port, VID, MAC */
        size_t n_fdb;
        bool has_mdb;
        MdbEntry *mdb; /* sorted by port, VID, MAC */
        size_t n_mdb;
} BridgeView;

/* Past this many ports of one bridge in one pass, its whole FDB is read once instead. */
#define BRIDGE_VIEW_FDB_PORT_READS 8

/* The pass's view of bridge 'ifindex', read on first use. -EMEDIUMTYPE when it is not a bridge,
 * -ENODEV when it does not exist. The view lives until manager_drop_bridge_views(). */
int manager_bridge_view(Manager *m, int ifindex, BridgeView **ret);
void manager_drop_bridge_views(Manager *m);

/* The static, non-local FDB entries of 'port_ifindex' (malloc'ed, sorted; NULL when none). */
int bridge_view_port_fdb(Manager *m, BridgeView *v, int port_ifindex, FdbEntry **ret, size_t *ret_n);
/* The MDB entries of 'port_ifindex' (malloc'ed, sorted; NULL when none); none without snooping. */
int bridge_view_port_mdb(Manager *m, BridgeView *v, int port_ifindex, MdbEntry **ret, size_t *ret_n);

/* Ours are the static entries; learned ones and the kernel's local one are not. Compacts 'e' in
 * place (order kept) and returns the new count. */
size_t fdb_keep_static(FdbEntry *e, size_t n);
