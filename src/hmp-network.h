/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <stddef.h>

#include "rx-filter.h"

/* Which host backend sits behind each guest NIC, read from the text of the HMP command
 * 'info network' (QMP 'human-monitor-command'; its "return" string, already JSON-decoded). vnicd
 * uses it to find the tap or macvtap of a NIC whose configuration does not name one. Recorded
 * examples and the format are in tests/fixtures/hmp/. What the parser makes of QEMU 7.2's output:
 *   - a multiqueue NIC is printed once per queue pair, each with its own peer line: the queues
 *     become one entry, named after queue 0 (an id-less NIC gets a new automatic name per queue,
 *     "virtio-net-pci.2", "virtio-net-pci.3", ...; query-rx-filter uses the first), with one fd
 *     per queue when the tap came as fd=/fds=;
 *   - a NIC on a hub (-net nic) has the hub port as its peer: type "hubport", no fds (every port
 *     of a hub sees the NIC's traffic, so no single backend is its own);
 *   - a NIC without netdev gets netdev "" and type ""; netdevs without NIC and filters are
 *     skipped. */

#define HMP_NET_FDS_MAX    64   /* tap fds of one NIC we accept: one per queue pair */
#define HMP_NET_LINE_MAX   4096 /* bytes of one line, without its "\r\n" */
#define HMP_NET_QUEUES_MAX 1024 /* QEMU's MAX_QUEUE_NUM: queue indexes are below it */

typedef struct HmpNetClient {
        char nic[RX_FILTER_NAME_MAX]; /* the NIC's id, e.g. "net0" (the name query-rx-filter uses) */
        char netdev[64];              /* its peer's id, e.g. "hn0"; "" when the NIC has no peer */
        char type[16];                /* peer type: "tap", "vhost-user", "user", "hubport", ... */
        int fds[HMP_NET_FDS_MAX];     /* tap fds of QEMU for this peer (fd=N, or one per queue) */
        size_t n_fds;
        char ifname[IFNAMSIZ]; /* tap ifname=..., "" when the tap came as fds */
} HmpNetClient;

/* Parses 'text' ('len' bytes, need not be NUL-terminated; lines end in "\r\n" or "\n"). On success
 * returns 0 and a malloc'ed array in '*ret' (NULL when QEMU has no NIC) with '*ret_n' entries, in
 * QEMU's order (hubs first). Rejects with -E2BIG input longer than QMP_LINE_MAX, a line longer
 * than HMP_NET_LINE_MAX, more than RX_FILTER_LIST_MAX NICs or HMP_NET_FDS_MAX fds for one NIC;
 * with -EINVAL a NUL byte, a line of no known shape, names that are empty, too long for their
 * field or hold control characters, queues out of order or on another netdev than queue 0, a bad
 * fd or ifname, two NICs with one name or one netdev. Then '*ret' and '*ret_n' are untouched and
 * '*ret_error' (if 'ret_error' is not NULL) gets a malloc'ed message. Unknown peer types are kept
 * with n_fds = 0. */
int hmp_network_parse(const char *text, size_t len, HmpNetClient **ret, size_t *ret_n, char **ret_error);
