/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* The text protocol of irqbalance's runtime socket (irqbalance(1) "API"; Debian 12 ships 1.9.2),
 * without I/O: one command per connection, answered (for "setup") by one text, then closed.
 *   "settings ban irqs 24 25 26"  replaces its whole list of banned IRQs (the --banirq ones
 *                                 included) with these; "settings ban irqs NONE" empties it.
 *                                 No answer.
 *   "setup"                       "SLEEP 10 IRQ 24 LOAD 0 DIFF 0 CLASS 0 ... BANNED 00000000":
 *                                 its interval, each banned IRQ, the banned CPUs as a hex mask. */

#define IRQBALANCE_COMMAND_MAX 500   /* bytes irqbalance 1.9.2 reads of one command */
#define IRQBALANCE_BANNED_MAX  1024  /* banned IRQs kept from a "setup" answer */
#define IRQBALANCE_ANSWER_MAX  65536 /* bytes of a "setup" answer read */

typedef struct IrqbalanceSetup {
        int sleep_sec;                          /* its interval */
        unsigned banned[IRQBALANCE_BANNED_MAX]; /* ascending, no duplicates */
        size_t n_banned;
} IrqbalanceSetup;

/* Parses a "setup" answer ('len' bytes, need not be NUL-terminated) into '*ret'. 0; -EBADMSG when
 * it does not follow the format above (ret untouched); -E2BIG for more than IRQBALANCE_BANNED_MAX
 * distinct IRQs or an answer longer than IRQBALANCE_ANSWER_MAX. */
int irqbalance_setup_parse(const char *text, size_t len, IrqbalanceSetup *ret);

/* The list to ban: 'theirs' (irqbalance's list now) without 'drop' (what vnicd added before),
 * plus 'ours', ascending without duplicates, into 'ret' ('max' entries). 'ret_added' (NULL, or
 * room for 'n_ours') gets, ascending, the IRQs of 'ours' that this list adds: not on 'theirs'
 * minus 'drop', so not banned by someone else (an operator's --banirq). Only those are vnicd's
 * to 'drop' later: one it did not add stays banned when vnicd stops placing it. Returns the
 * count; -E2BIG when it does not fit. Inputs in any order. */
int irqbalance_ban_list(const unsigned *theirs, size_t n_theirs, const unsigned *drop, size_t n_drop,
                const unsigned *ours, size_t n_ours, unsigned *ret, size_t max, unsigned *ret_added,
                size_t *ret_n_added);

/* "settings ban irqs 24 25 26" ("... NONE" for n 0) for 'irqs' (ascending: irqbalance 1.9.2 stops
 * reading the list at a 0 after the first number) into 'buf' ('size' bytes, NUL-terminated).
 * Returns its length; -E2BIG when longer than IRQBALANCE_COMMAND_MAX or 'size' allows; -EINVAL
 * when 'irqs' is not ascending. */
int irqbalance_ban_command(const unsigned *irqs, size_t n, char *buf, size_t size);

/* "24,25,26" ("" for none) into 'buf' ('size' bytes), cut short with "..." when it does not fit. */
void irq_list_format(const unsigned *irqs, size_t n, char *buf, size_t size);
