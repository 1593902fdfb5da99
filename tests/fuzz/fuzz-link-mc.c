/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ether-addr.h"
#include "fuzz.h"
#include "macro.h"
#include "rtnl.h"

/* The text of /proc/net/dev_mcast straight into the parser for a few link indexes, then the
 * promises of its contract checked on whatever it accepted. */

#define IFINDEX_MAX 8 /* the corpus's links are 1..8; each index is one parse of the whole input */

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Whether 'a' is written, in hex of either case, on a line of 'text' whose first field is the
 * number 'ifindex': a cruder reading of the format than the parser's, done independently of it. */
static bool address_on_line_of(const char *text, size_t size, int ifindex, const EtherAddr *a) {
        for (size_t p = 0; p < size;) {
                const char *nl = memchr(text + p, '\n', size - p);
                size_t end = nl ? (size_t) (nl - text) : size, i = p;
                unsigned long long index = 0;

                while (i < end && (text[i] == ' ' || text[i] == '\t'))
                        i++;
                while (i < end && text[i] >= '0' && text[i] <= '9' && index <= (unsigned) ifindex)
                        index = index * 10 + (unsigned) (text[i++] - '0');
                if (index == (unsigned) ifindex)
                        for (size_t j = i; j + 2 * sizeof(a->bytes) <= end; j++) {
                                size_t b = 0;

                                for (; b < sizeof(a->bytes); b++)
                                        if (unhex(text[j + 2 * b]) != a->bytes[b] >> 4 ||
                                                        unhex(text[j + 2 * b + 1]) != (a->bytes[b] & 0xf))
                                                break;
                                if (b == sizeof(a->bytes))
                                        return true;
                        }
                p = end + 1;
        }
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;
        size_t lines = 1;
        int first = 0;

        for (size_t i = 0; i < size; i++)
                if (text[i] == '\n')
                        lines++;

        for (int ifindex = 1; ifindex <= IFINDEX_MAX; ifindex++) {
                EtherAddr canary, *list = &canary; /* out-parameters are untouched on failure */
                size_t n = SIZE_MAX;
                int r;

                r = link_mc_parse(text, size, ifindex, &list, &n);
                if (r == -ENOMEM)
                        return 0;
                /* Whether the text is well-formed does not depend on which link is asked for. */
                if (ifindex == 1)
                        first = r;
                else if (r != first)
                        abort();
                if (r < 0) {
                        if (r != -EBADMSG || list != &canary || n != SIZE_MAX)
                                abort();
                        continue;
                }
                if (r != 0 || (n > 0) != !!list || n > lines)
                        abort();

                for (size_t i = 0; i < n; i++) {
                        if (i > 0 && ether_addr_compare(&list[i - 1], &list[i]) >= 0)
                                abort();
                        if (!address_on_line_of(text, size, ifindex, &list[i]))
                                abort();
                }
                free(list);
        }
        return 0;
}
