/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "macro.h"
#include "uplink.h"

_printf_(2, 3) static void say(UplinkVerdict *v, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(v->reason, sizeof(v->reason), format, ap);
        va_end(ap);
}

int uplink_explain(const UplinkFacts *f, UplinkVerdict *ret) {
        UplinkVerdict v = {};

        if (!f || !ret || !f->uplink)
                return -EINVAL;

        v.promiscuous = f->promiscuity > 0;
        if (!v.promiscuous) {
                say(&v, "not promiscuous: its unicast filter holds the %zu %s", f->n_unicast,
                                f->bridge ? "static FDB entries" : "macvtap MACs");
                *ret = v;
                return 0;
        }

        /* The first condition that holds is the one to fix first. */
        if (f->promisc_flag)
                say(&v, "promiscuous mode was set on %s itself (ip link set dev %s promisc on)", f->uplink,
                                f->uplink);
        else if (f->promisc_macvtaps && f->promisc_macvtaps[0])
                say(&v, "macvtap %s is promiscuous (its guest asked) and passes that to %s",
                                f->promisc_macvtaps, f->uplink);
        else if (f->bridge && !f->vlan_filtering)
                say(&v, "bridge %s is not VLAN-aware (vlan_filtering 0): it keeps every port promiscuous",
                                f->bridge);
        else if (f->bridge && f->bridge_promisc)
                say(&v, "the bridge device %s itself is promiscuous, so are its ports", f->bridge);
        else if (f->bridge && f->n_auto_ports > 1)
                say(&v,
                                "%zu ports of %s learn or flood unknown unicast (%s): with more than one "
                                "the bridge "
                                "needs promiscuous ports",
                                f->n_auto_ports, f->bridge, strempty(f->auto_ports));
        else {
                v.could_leave = true;
                say(&v,
                                "%s's driver does not filter unicast (no IFF_UNICAST_FLT), or another user "
                                "holds "
                                "promiscuous mode: the %zu %s need its unicast filter",
                                f->uplink, f->n_unicast, f->bridge ? "static FDB entries" : "macvtap MACs");
        }
        *ret = v;
        return 0;
}
