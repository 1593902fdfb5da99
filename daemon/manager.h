/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config-file.h"
#include "log.h"
#include "macro.h"
#include "rtnl.h"

typedef struct Guest Guest;
typedef struct Nic Nic;
typedef struct Request Request;

/* The manager owns the loop and everything long-lived (STYLE R11). Sources only refresh what
 * was observed and mark NICs dirty; one post source runs policy and reconcile for dirty NICs,
 * then sends the queued kernel requests. */
typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        sd_event_source *bus_retry;          /* reconnect timer while the bus is lost */
        unsigned long long bus_backoff_usec; /* 0 while connected */
        Rtnl *rtnl;
        sd_event_source *rtnl_io;
        sd_event_source *monitor_io;
        sd_event_source *neigh_io; /* only when the FDB monitor has a socket of its own */
        sd_event_source *post;
        sd_event_source *resync;
        sd_event_source *queue_sample;   /* load samples for the multiqueue policy (nic-queues.c) */
        sd_event_source *uevent_io;      /* kernel uevents: tap queue changes (queue-uevents.c) */
        sd_event_source *vhost_discover; /* stale guests' vhost workers looked for (guest-vhost.c) */

        Config config;
        char *config_path;    /* vnicd.conf; its drop-ins are in config_path.d/ */
        bool config_optional; /* the default path: a missing file is no error */
        char **qmp_args;      /* --qmp NAME=PATH from the command line, re-applied on reload */
        size_t n_qmp_args;
        int log_level_arg; /* --log-level, wins over LogLevel= on reload; -1 when not given */

        Guest **guests;
        size_t n_guests;
        struct LibvirtConn *libvirt; /* NULL with Libvirt=no */
        char *libvirt_uri_arg;       /* --libvirt-uri=, wins over LibvirtURI= */
        int libvirt_arg;             /* --no-libvirt: 0; -1 when not given */

        /* The [Uplink]s' IRQs and the guests' vhost workers (host-placement.c). */
        struct HostPlacement *placement;

        Nic *pending_head, *pending_tail; /* NICs with queued requests, served in turn */
        size_t n_requests_queued;
        unsigned long long n_writes; /* kernel writes done since start */

        unsigned n_dirty;

        /* Bridges read during the current reconcile pass (bridge-view.c), dropped at its end. */
        struct BridgeView **bridge_views;
        size_t n_bridge_views;
        /* Bridges whose other ports changed: their uplink reports are recomputed shortly, once. */
        int *stale_bridges;
        size_t n_stale_bridges;
        sd_event_source *uplink_refresh;
        unsigned long long started_usec; /* realtime */
        bool exiting;                    /* freeing: guests are let go of, not torn down */
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Takes the parsed configuration (moved into the manager). */
int manager_load_config(Manager *m, Config *config, const char *config_path, bool optional);
int manager_start(Manager *m);
int manager_run(Manager *m);

/* A NIC needs policy + reconcile at the end of this loop iteration. */
void manager_nic_dirty(Manager *m, Nic *nic);
/* A port of bridge 'ifindex' changed in a way that may change what its uplinks report. */
void manager_bridge_stale(Manager *m, int ifindex);
/* Requests were queued outside a reconcile pass: send them at the end of this iteration. */
void manager_kick(Manager *m);

Guest *manager_find_guest(Manager *m, const char *name);
Nic *manager_find_nic_by_ifindex(Manager *m, int ifindex);

/* Adds a guest made outside the configuration (a libvirt domain); the manager owns it then. */
int manager_attach_guest(Manager *m, Guest *g);
/* Removes and frees a guest: its NICs are dropped, what vnicd set up for them is removed. */
void manager_remove_guest(Manager *m, Guest *g);
/* A libvirt hook call (org.vnicd1.Manager.NotifyDomain). -EINVAL for an unknown operation. */
int manager_libvirt_hook(Manager *m, const char *domain, const char *operation, const char *sub_operation);

/* Remembers a --qmp argument so that a reload keeps that guest. */
int manager_add_qmp_arg(Manager *m, const char *arg);

/* SIGHUP: re-reads the configuration file. A file with errors is logged and changes nothing;
 * otherwise guests are added, removed or reconnected and every NIC's settings refreshed. Then
 * everything is resynchronised. */
int manager_reload(Manager *m);

/* Re-query every guest and re-read every host device now (also what the resync timer does). */
void manager_resync(Manager *m);
