/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "macro.h"
#include "rx-filter.h"

/* The 'return' value of query-rx-filter straight into the parser, then the promises of its
 * contract checked on whatever it accepted. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ RxFilter *list = NULL;
        _cleanup_free_ char *error = NULL;
        size_t n = 0;
        int r;

        r = rx_filter_list_parse((const char *) data, size, &list, &n, &error);
        if (r < 0) {
                if (!error || list)
                        abort();
                return 0;
        }
        if (n > RX_FILTER_LIST_MAX || (n > 0) != !!list)
                abort();

        for (size_t i = 0; i < n; i++) {
                const RxFilter *f = &list[i];
                size_t len = strnlen(f->name, RX_FILTER_NAME_MAX);

                if (len == 0 || len >= RX_FILTER_NAME_MAX)
                        abort();
                if (f->n_unicast + f->n_multicast > RX_FILTER_MAC_TABLE_MAX)
                        abort();
                if ((f->unicast_overflow && f->n_unicast > 0) ||
                                (f->multicast_overflow && f->n_multicast > 0))
                        abort();
                for (size_t j = 0; j < f->n_unicast; j++)
                        if (ether_addr_is_multicast(&f->unicast_table[j]) ||
                                        (j > 0 && ether_addr_compare(&f->unicast_table[j - 1],
                                                                  &f->unicast_table[j]) >= 0))
                                abort();
                for (size_t j = 0; j < f->n_multicast; j++)
                        if (!ether_addr_is_multicast(&f->multicast_table[j]) ||
                                        (j > 0 && ether_addr_compare(&f->multicast_table[j - 1],
                                                                  &f->multicast_table[j]) >= 0))
                                abort();
                if (!rx_mode_to_string(f->unicast) || !rx_mode_to_string(f->multicast) ||
                                !rx_mode_to_string(f->vlan))
                        abort();
                if (!rx_filter_equal(f, f))
                        abort();
                for (size_t j = 0; j < i; j++)
                        if (streq(list[j].name, f->name))
                                abort();
        }
        return 0;
}
