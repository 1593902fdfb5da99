/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* The output of 'ethtool -l DEV' (ethtool's channel parameters), as the guest agent hands it back
 * from a guest: vnicd reads a guest's active queue pairs this way where the host device cannot
 * tell (a macvtap). Only the combined channels matter: virtio-net has no separate RX/TX channels,
 * and its queue pairs are its combined channels. The text comes from the guest: bounded, checked. */

#define ETHTOOL_CHANNELS_TEXT_MAX 4096  /* bytes of output accepted */
#define ETHTOOL_CHANNELS_MAX      65535 /* a channel count above this is not believed */

typedef struct EthtoolChannels {
        unsigned max_combined; /* "Pre-set maximums:" "Combined:"; 0: n/a or not printed */
        unsigned combined;     /* "Current hardware settings:" "Combined:"; 0: n/a */
} EthtoolChannels;

/* Parses 'text' ('len' bytes, need not be NUL-terminated) into '*ret'. The "Current hardware
 * settings:" section and its "Combined:" line must be there (a number or "n/a"); the other lines
 * are passed over. 0; -EINVAL (with a message in '*ret_error', as parse_error() does) for text that
 * is not such output, a line twice or a bad number; -E2BIG for text past the bound. */
int ethtool_channels_parse(const char *text, size_t len, EthtoolChannels *ret, char **ret_error);
