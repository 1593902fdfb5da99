/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "ethtool-stats.h"
#include "fuzz.h"
#include "macro.h"

/* The output of 'ethtool -S' as a guest hands it back through its agent: a failure says why, a
 * success stays within the bounds, with queues numbered from 0. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ EthtoolStats *st = malloc(sizeof(EthtoolStats));
        _cleanup_free_ char *error = NULL;
        int r;

        if (!st)
                return 0;
        r = ethtool_stats_parse((const char *) data, size, st, &error);
        if (r < 0 && r != -ENOMEM && !error)
                abort();
        if (r == 0 && (st->n_queues == 0 || st->n_queues > ETHTOOL_STATS_QUEUES_MAX || error))
                abort();
        return 0;
}
