/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"
#include "qmp-client.h"

/* One QEMU process reached over QMP, and the NICs it reported. */
struct Guest {
        Manager *manager;
        char *name;
        char *qmp_socket;
        QmpClient *qmp;

        Nic **nics;
        size_t n_nics;

        bool query_all_in_flight;
        bool discover_in_flight;
        unsigned long long discover_usec; /* last 'info network' sent (CLOCK_MONOTONIC) */
        bool query_all_again;
        char *last_error;
        char *last_logged;         /* the last connection failure logged: said once, not per retry */
        char *warning;             /* configuration that does not match what QEMU reports */
        unsigned long long events; /* NIC_RX_FILTER_CHANGED seen */
        RateLimit log_rl;
};

int guest_new(Manager *m, const char *name, const char *qmp_socket, Guest **ret);
Guest *guest_free(Guest *g);
int guest_start(Guest *g);

/* query-rx-filter for every NIC (at connect, for unknown NICs, on resync). */
int guest_query_all(Guest *g);

Nic *guest_find_nic(Guest *g, const char *name);

/* Asks QEMU ('info network') which host devices back the NICs the configuration does not name;
 * at most once per resync period unless the set of NICs changed. */
int guest_discover_devices(Guest *g);
bool guest_is_connected(Guest *g);
