/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* irqbalance-setup PID [TIMEOUT_MS]: asks the irqbalance with that pid for its settings through
 * its runtime socket (the client vnicd uses) and prints
 *   sleep N
 *   banned IRQ IRQ ...
 * For the kernel-VM test of the irqbalance ban (tests/kvm/test-vnicd-placement.sh). Exit 0, or 1
 * with the error on stderr. The timeout (default 15000 ms) covers irqbalance 1.9.2 blocking its
 * loop for one interval after a ban. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "irqbalance-client.h"
#include "macro.h"
#include "parse-util.h"

int main(int argc, char *argv[]) {
        _cleanup_free_ IrqbalanceSetup *s = new0(IrqbalanceSetup, 1);
        unsigned pid, timeout_ms = 15000;
        int r;

        if (argc < 2 || argc > 3 || parse_decimal(argv[1], 1U << 22, &pid) < 0 ||
                        (argc == 3 && parse_decimal(argv[2], 600000, &timeout_ms) < 0)) {
                fprintf(stderr, "usage: irqbalance-setup PID [TIMEOUT_MS]\n");
                return 2;
        }
        if (!s)
                return 1;
        r = irqbalance_query_setup((pid_t) pid, timeout_ms * 1000ULL, s);
        if (r < 0) {
                fprintf(stderr, "irqbalance-setup: irqbalance %u: %s\n", pid, strerror(-r));
                return 1;
        }
        printf("sleep %d\nbanned", s->sleep_sec);
        for (size_t i = 0; i < s->n_banned; i++)
                printf(" %u", s->banned[i]);
        printf("\n");
        return 0;
}
