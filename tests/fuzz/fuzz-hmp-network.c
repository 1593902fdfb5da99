/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hmp-network.h"
#include "macro.h"

/* The text of 'info network' straight into the parser, then the promises of its contract checked
 * on whatever it accepted. */

static bool name_ok(const char *s, size_t size, bool may_be_empty) {
        size_t len = strnlen(s, size);

        if (len >= size || (len == 0 && !may_be_empty))
                return false;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ HmpNetClient *list = NULL;
        _cleanup_free_ char *error = NULL;
        size_t n = 0;
        int r;

        r = hmp_network_parse((const char *) data, size, &list, &n, &error);
        if (r < 0) {
                if (!error || list)
                        abort();
                return 0;
        }
        if (error || n > RX_FILTER_LIST_MAX || (n > 0) != !!list)
                abort();

        for (size_t i = 0; i < n; i++) {
                const HmpNetClient *c = &list[i];

                if (!name_ok(c->nic, sizeof(c->nic), false) ||
                                !name_ok(c->netdev, sizeof(c->netdev), true) ||
                                !name_ok(c->type, sizeof(c->type), true) ||
                                !name_ok(c->ifname, sizeof(c->ifname), true))
                        abort();
                /* a peer has a type and a NIC without peer has none */
                if (!c->netdev[0] != !c->type[0])
                        abort();
                /* fds and ifname only for taps, never both */
                if (c->n_fds > HMP_NET_FDS_MAX || (c->n_fds > 0 && c->ifname[0]))
                        abort();
                if ((c->n_fds > 0 || c->ifname[0]) && !streq(c->type, "tap"))
                        abort();
                for (size_t j = 0; j < c->n_fds; j++)
                        if (c->fds[j] < 0)
                                abort();
                for (size_t j = 0; j < i; j++)
                        if (streq(list[j].nic, c->nic) || (c->netdev[0] && streq(list[j].netdev, c->netdev)))
                                abort();
        }
        return 0;
}
