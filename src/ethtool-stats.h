/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The per-queue counters in the output of 'ethtool -S DEV' (the driver's statistics) for a
 * virtio_net device, as the guest agent hands it back from a guest: with MultiqueueGuestStats= the
 * multiqueue policy sees how a NIC's packets are spread over its queue pairs. virtio_net prints
 * "rx_queue_N_packets", "rx_queue_N_bytes", "tx_queue_N_packets", "tx_queue_N_bytes" per queue pair in
 * use up to Linux 6.9 (6.1 here). From 6.10 its per-queue lines are "rxN_drops", "rxN_kicks", ...
 * without packets or bytes, which moved to netlink's netdev queue statistics (seen on Debian's
 * 6.12): such output is refused with its own error. The text comes from the guest: bounded,
 * checked, numbers strict. */

#define ETHTOOL_STATS_TEXT_MAX   (256u * 1024u) /* bytes of output accepted: 256 pairs of 6.1's 14 lines */
#define ETHTOOL_STATS_LINE_MAX   128            /* bytes of one line, without the newline */
#define ETHTOOL_STATS_QUEUES_MAX 256            /* queue pairs: MULTIQUEUE_PAIRS_MAX, tun's MAX_TAP_QUEUES */

typedef struct EthtoolQueueStats {
        uint64_t rx_packets;
        uint64_t rx_bytes;
        uint64_t tx_packets;
        uint64_t tx_bytes;
} EthtoolQueueStats;

typedef struct EthtoolStats {
        size_t n_queues; /* queue pairs 0..n_queues-1, each with its four counters */
        EthtoolQueueStats queues[ETHTOOL_STATS_QUEUES_MAX];
} EthtoolStats;

/* Parses 'text' ('len' bytes, need not be NUL-terminated) into '*ret'. The first line is "NIC
 * statistics:", every other line "NAME: VALUE" (blanks before NAME, VALUE decimal digits only, at
 * most UINT64_MAX); lines of other counters are passed over. The queues must be numbered from 0
 * without a hole, each with its four counters once. 0; -EINVAL (with a message in '*ret_error', as
 * parse_error() does) for text that is not such output, a counter twice or missing, a bad number or
 * no per-queue counters at all (not virtio_net); -EOPNOTSUPP for the per-queue lines of Linux 6.10
 * on, which have no packets or bytes; -E2BIG past the bounds (text, a line, queues). */
int ethtool_stats_parse(const char *text, size_t len, EthtoolStats *ret, char **ret_error);
