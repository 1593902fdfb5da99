/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "irqbalance-proto.h"
#include "macro.h"

/* Any bytes as irqbalance's answer to "setup" (read from its socket: another root process could
 * listen there). What is accepted is ascending, bounded and can be sent back as a ban; what is
 * refused leaves the output alone. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ IrqbalanceSetup *s = malloc(sizeof(IrqbalanceSetup));
        _cleanup_free_ IrqbalanceSetup *untouched = malloc(sizeof(IrqbalanceSetup));
        _cleanup_free_ unsigned *list = malloc(IRQBALANCE_BANNED_MAX * sizeof(unsigned));
        char cmd[IRQBALANCE_COMMAND_MAX + 1];
        int r, n;

        if (!s || !untouched || !list)
                return 0;
        memset(s, 0xa5, sizeof(*s));
        *untouched = *s;
        r = irqbalance_setup_parse((const char *) data, size, s);
        if (r < 0) {
                if (r != -EBADMSG && r != -E2BIG && r != -ENOMEM)
                        abort();
                if (memcmp(s, untouched, sizeof(*s)) != 0)
                        abort();
                return 0;
        }
        if (r != 0 || s->sleep_sec < 0 || s->n_banned > IRQBALANCE_BANNED_MAX)
                abort();
        for (size_t i = 1; i < s->n_banned; i++)
                if (s->banned[i] <= s->banned[i - 1])
                        abort();
        n = irqbalance_ban_list(
                        s->banned, s->n_banned, NULL, 0, NULL, 0, list, IRQBALANCE_BANNED_MAX, NULL, NULL);
        if (n != (int) s->n_banned)
                abort();
        r = irqbalance_ban_command(list, (size_t) n, cmd, sizeof(cmd));
        if (r < 0 ? r != -E2BIG : (size_t) r != strlen(cmd) || r > IRQBALANCE_COMMAND_MAX)
                abort();
        return 0;
}
