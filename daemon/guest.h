/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "guest-vhost.h"
#include "manager.h"
#include "network-xml.h"
#include "qmp-client.h"

typedef enum GuestSource {
        GUEST_SOURCE_QMP,     /* a [Guest] or --qmp: vnicd's own QMP socket */
        GUEST_SOURCE_LIBVIRT, /* a running libvirt domain: events and commands through libvirt */
        _GUEST_SOURCE_MAX,
        _GUEST_SOURCE_INVALID = -EINVAL,
} GuestSource;

typedef struct _virDomain *virDomainPtr;

/* A guest in a live migration: from QEMU's run state (query-status) for a QMP guest, from libvirt's
 * domain state for a libvirt guest. */
typedef enum GuestMigration {
        GUEST_MIGRATION_NONE,
        GUEST_MIGRATION_INCOMING, /* "inmigrate": the guest's state has not arrived, nothing is written */
        GUEST_MIGRATION_AWAY,     /* "postmigrate": the guest runs elsewhere, its host state is removed */
        _GUEST_MIGRATION_MAX,
        _GUEST_MIGRATION_INVALID = -EINVAL,
} GuestMigration;

/* One QEMU process, reached over QMP or through libvirt, and the NICs it has. */
struct Guest {
        Manager *manager;
        GuestSource source;
        char *name;
        char *qmp_socket; /* QMP */
        QmpClient *qmp;   /* QMP */

        /* libvirt (guest-libvirt.c) */
        char *uuid;
        int domain_id;
        virDomainPtr domain; /* of the current connection; NULL while libvirt is away */
        DomainXml xml;       /* the live XML last read */
        bool has_xml;
        unsigned long long xml_usec; /* realtime of the last read */
        bool refresh_in_flight, refresh_again;

        Nic **nics;
        size_t n_nics;

        bool query_all_in_flight;
        bool discover_in_flight;
        unsigned long long discover_usec; /* last 'info network' sent (CLOCK_MONOTONIC) */
        bool query_all_again;
        GuestMigration migration;
        bool status_in_flight, status_again;
        bool resume_pending;           /* libvirt: resume once the NICs are programmed (--suspend) */
        sd_event_source *resume_timer; /* ... or when this fires, whatever they are */
        QmpVcpu *vcpus;                /* query-cpus-fast, at connect and every resync */
        size_t n_vcpus;
        bool vcpus_in_flight;
        GuestVhost vhost; /* its vhost-net workers (guest-vhost.c) */
        char *last_error;
        char *last_logged;         /* the last connection failure logged: said once, not per retry */
        char *warning;             /* configuration that does not match what QEMU reports */
        unsigned long long events; /* NIC_RX_FILTER_CHANGED seen */
        RateLimit log_rl;
};

/* The parts every guest has (for guest_new() and guest_new_libvirt()); NULL on ENOMEM. */
Guest *guest_alloc(Manager *m, GuestSource source, const char *name);
int guest_new(Manager *m, const char *name, const char *qmp_socket, Guest **ret);
Guest *guest_free(Guest *g);
int guest_start(Guest *g);

/* query-status: is the guest migrating in or away? (QMP guests: at connect and on MIGRATION, STOP
 * and RESUME events; libvirt's lifecycle events say that for its guests.) */
int guest_query_status(Guest *g);
/* What the migration state means for the guest's NICs, for vnicctl; NULL when none. */
const char *guest_migration_to_string(GuestMigration m);
/* How many vCPUs the guest has: QEMU's query-cpus-fast when it was asked, else a libvirt domain's
 * <vcpu current='N'> (libvirt domains whose NICs vnicd does not query get no monitor command).
 * 0: not known. '*ret_source' (may be NULL) says which. */
unsigned guest_vcpu_count(const Guest *g, const char **ret_source);

/* query-cpus-fast: the guest's vCPUs and their host threads (for multiqueue and placement). */
int guest_query_vcpus(Guest *g);
/* query-rx-filter for every NIC (at connect, for unknown NICs, on resync). */
int guest_query_all(Guest *g);

Nic *guest_find_nic(Guest *g, const char *name);

/* Asks QEMU ('info network') which host devices back the NICs the configuration does not name;
 * at most once per resync period unless the set of NICs changed. */
int guest_discover_devices(Guest *g);
bool guest_is_connected(Guest *g);

/* Sends a QMP command to the guest's QEMU: over its QMP socket, or through libvirt's monitor
 * command API. The handler gets NULL when the command could not be answered (connection lost).
 * Its QmpClient argument is NULL for a libvirt guest. */
int guest_send(Guest *g, const char *execute, const char *const *args, QmpReplyHandler h, void *userdata);
/* Forget the handlers registered with this userdata (the object is going away). */
void guest_forget(Guest *g, void *userdata);
/* An event from QEMU (QMP, or a libvirt QEMU monitor event). */
void guest_handle_event(Guest *g, const QmpMessage *ev);

/* libvirt guests (guest-libvirt.c). */
int guest_new_libvirt(Manager *m, const char *name, const char *uuid, Guest **ret);
int guest_libvirt_send(
                Guest *g, const char *execute, const char *const *args, QmpReplyHandler h, void *userdata);
/* The guest's NICs as the domain XML says ('xml' is taken), with its networks' XML. Takes
 * 'domain' (a reference of the current connection). */
void guest_libvirt_apply(Guest *g, int domain_id, int state, int reason, virDomainPtr domain, DomainXml *xml,
                const NetworkXml *networks, size_t n_networks);
/* A domain left paused by its incoming migration is resumed once every NIC is settled (programmed,
 * failed, gone or unmanaged), with ResumeMigratedDomains=yes; called whenever a NIC may settle. */
void guest_libvirt_maybe_resume(Guest *g);
/* libvirt is away: keep the NICs as they are, but nothing can be asked until it is back. */
void guest_libvirt_detach(Guest *g);
/* The domain stopped: what vnicd made for its NICs is removed, the guest goes. */
void guest_libvirt_stopped(Guest *g, const char *why);

const char *guest_source_to_string(GuestSource s);
