/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Why an uplink is (or is not) promiscuous, from facts vnicd reads; pure. The kernel's rules
 * (net/bridge, macvlan.c): a bridge keeps its ports promiscuous unless it filters VLANs, the
 * bridge device itself is not promiscuous and at most one port learns or floods unknown unicast;
 * then each static FDB entry goes into the other ports' unicast filters, which only a driver with
 * IFF_UNICAST_FLT has (otherwise one extra address means promiscuous mode). A macvtap puts its MAC
 * into its lower device's unicast filter the same way, and passes its own promiscuous mode down. */

#define UPLINK_REASON_MAX 320

typedef struct UplinkFacts {
        const char *uplink;
        const char *bridge;   /* NULL: the uplink is the lower device of macvtaps */
        unsigned promiscuity; /* the uplink's counter (all users) */
        bool promisc_flag;    /* IFF_PROMISC set by someone on the uplink itself */
        /* bridge */
        bool vlan_filtering;
        bool bridge_promisc;    /* the bridge device has IFF_PROMISC */
        size_t n_auto_ports;    /* ports that learn or flood unknown unicast, the uplink included */
        const char *auto_ports; /* their names, "a, b", for the reason */
        /* both */
        size_t n_unicast;             /* static FDB entries / macvtap MACs that want its unicast filter */
        const char *promisc_macvtaps; /* macvtaps on it in promiscuous mode, "a, b"; NULL or "" if none */
} UplinkFacts;

typedef struct UplinkVerdict {
        bool promiscuous;
        bool could_leave; /* nothing vnicd reads explains it: the driver, or a user we cannot see */
        char reason[UPLINK_REASON_MAX];
} UplinkVerdict;

int uplink_explain(const UplinkFacts *f, UplinkVerdict *ret);
