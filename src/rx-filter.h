/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "ether-addr.h"
#include "vlan-set.h"

/* The receive filter a guest's virtio-net driver asked for, as QEMU reports it in
 * 'query-rx-filter', flattened and checked. QEMU quirks handled by the parser (HOST-FACTS §2):
 * 'broadcast-allowed' is inverted in QEMU and therefore ignored; tables come in reverse order
 * (we sort them); on overflow QEMU sends an empty table (we keep it empty and set *_overflow);
 * a guest with 8021q registers VID 0 (kept, policies drop it); without VIRTIO_NET_F_CTRL_VLAN
 * QEMU says "vlan":"all" with a 4096-entry table. */

#define RX_FILTER_NAME_MAX      128 /* bytes of a QEMU NIC name, with the NUL */
#define RX_FILTER_MAC_TABLE_MAX 64  /* QEMU's MAC_TABLE_ENTRIES: unicast + multicast together */
#define RX_FILTER_LIST_MAX      256 /* NICs in one 'query-rx-filter' reply we accept */

typedef enum RxMode {
        RX_MODE_NONE,   /* "none": receive none of that kind */
        RX_MODE_NORMAL, /* "normal": only what the table lists */
        RX_MODE_ALL,    /* "all": everything of that kind */
        _RX_MODE_MAX,
        _RX_MODE_INVALID = -EINVAL,
} RxMode;

const char *rx_mode_to_string(RxMode m);
RxMode rx_mode_from_string(const char *s);

typedef struct RxFilter {
        char name[RX_FILTER_NAME_MAX]; /* QEMU's NIC name (the device id), e.g. "net0" */
        bool promiscuous;
        RxMode unicast;
        RxMode multicast;
        RxMode vlan;
        bool unicast_overflow;
        bool multicast_overflow;
        EtherAddr main_mac;
        size_t n_unicast; /* entries in unicast_table, sorted, unique */
        size_t n_multicast;
        EtherAddr unicast_table[RX_FILTER_MAC_TABLE_MAX];
        EtherAddr multicast_table[RX_FILTER_MAC_TABLE_MAX];
        VlanSet vlans; /* 'vlan-table' as sent */
} RxFilter;

/* Parses the "return" value of 'query-rx-filter' (a JSON array of objects) from 'json' (length
 * 'len', need not be NUL-terminated). On success returns 0 and a malloc'ed array in '*ret' (NULL
 * for an empty list) with '*ret_n' entries. Rejects, with -EINVAL/-ERANGE/-E2BIG and a message in
 * '*ret_error' (malloc'ed, may be NULL if the caller does not want it): bad JSON, input longer than
 * QMP_LINE_MAX, nesting deeper than 8 (as json-c counts: [1] is 2 deep, a real reply 4), missing or
 * mistyped fields, malformed MACs or NIC names (1-127 bytes, no control characters), VIDs >= 4096
 * (-ERANGE), more than RX_FILTER_LIST_MAX NICs, more MACs than QEMU's table holds, a multicast
 * address in the unicast table or vice versa, two NICs with one name. Unknown fields are ignored. */
int rx_filter_list_parse(const char *json, size_t len, RxFilter **ret, size_t *ret_n, char **ret_error);

bool rx_filter_equal(const RxFilter *a, const RxFilter *b);
