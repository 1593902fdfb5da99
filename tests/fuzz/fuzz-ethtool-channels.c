/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "ethtool-channels.h"
#include "fuzz.h"
#include "macro.h"

/* The output of 'ethtool -l' as a guest hands it back through its agent: a failure says why, a
 * success stays within the bounds. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *error = NULL;
        EthtoolChannels ch;
        int r;

        r = ethtool_channels_parse((const char *) data, size, &ch, &error);
        if (r < 0 && r != -ENOMEM && !error)
                abort();
        if (r == 0 && (ch.combined > ETHTOOL_CHANNELS_MAX || ch.max_combined > ETHTOOL_CHANNELS_MAX))
                abort();
        return 0;
}
