/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "guest.h"
#include "libvirt-conn.h"
#include "log.h"
#include "network-xml.h"
#include "nic-bus.h"
#include "nic.h"

/* A running libvirt domain as a guest: its NICs come from the live XML (one per <interface> with
 * an alias, which is QEMU's device id), commands go through libvirt's monitor command API, and
 * events come from libvirt-conn.c. */

int guest_new_libvirt(Manager *m, const char *name, const char *uuid, Guest **ret) {
        Guest *g;

        g = guest_alloc(m, GUEST_SOURCE_LIBVIRT, name);
        if (!g)
                return -ENOMEM;
        g->uuid = uuid ? strdup(uuid) : NULL;
        if (uuid && !g->uuid) {
                guest_free(g);
                return -ENOMEM;
        }
        *ret = g;
        return 0;
}

int guest_libvirt_send(
                Guest *g, const char *execute, const char *const *args, QmpReplyHandler h, void *userdata) {
        if (!g->manager->libvirt)
                return -ENOTCONN;
        return libvirt_conn_monitor_command(g->manager->libvirt, g, execute, args, h, userdata);
}

static const NetworkXml *find_network(const NetworkXml *networks, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(networks[i].name, name))
                        return &networks[i];
        return NULL;
}

/* Where the interface really is (network resolved) and who owns which part of it. A NIC whose
 * network cannot be resolved is not managed: nothing can be programmed without knowing where. */
static void nic_set_interface(
                Nic *n, const DomainInterface *iface, const NetworkXml *networks, size_t n_networks) {
        _cleanup_free_ char *error = NULL;
        const NetworkXml *net = iface->source_network[0]
                                                ? find_network(networks, n_networks, iface->source_network)
                                                : NULL;
        int r;

        n->iface = *iface;
        n->has_interface = true;
        if (iface->has_mac) {
                n->configured_mac = iface->mac;
                n->has_configured_mac = true;
        }
        r = network_resolve_interface(iface, net, &n->resolved, &error);
        if (r < 0) {
                n->ownership = (OwnershipDecision){.owner = OWNER_UNMANAGED};
                (void) snprintf(n->ownership.reason, sizeof(n->ownership.reason), "%s",
                                error ?: "the interface cannot be resolved");
                for (OwnedPart p = 0; p < _OWNED_PART_MAX; p++)
                        n->ownership.parts[p] = (PartOwnership){.owner = OWNER_UNMANAGED};
                return;
        }
        (void) ownership_decide(&n->resolved, &n->ownership);
}

/* How long a domain left paused by its migration waits for its NICs before it is resumed anyway:
 * a guest kept from running costs more than a filter that follows late. */
#define RESUME_MIGRATED_TIMEOUT_USEC (10 * USEC_PER_SEC)

static bool nic_settled(const Nic *n) {
        return !n->query_in_flight && n->in_flight == 0 && n->state != NIC_STATE_PENDING &&
               n->state != NIC_STATE_CONFIGURING;
}

static void guest_libvirt_resume(Guest *g, const char *why) {
        int r;

        g->resume_pending = false;
        g->resume_timer = sd_event_source_disable_unref(g->resume_timer);
        log_info("%s: %s: resuming the domain.", g->name, why);
        r = g->manager->libvirt ? libvirt_conn_resume_domain(g->manager->libvirt, g) : -ENOTCONN;
        if (r < 0)
                log_warning_errno(r, "%s: cannot ask libvirt to resume the domain, it stays paused: %m",
                                g->name);
}

void guest_libvirt_maybe_resume(Guest *g) {
        if (!g || !g->resume_pending)
                return;
        for (size_t i = 0; i < g->n_nics; i++)
                if (!nic_settled(g->nics[i]))
                        return;
        guest_libvirt_resume(g, "its NICs are programmed");
}

static int on_resume_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Guest *g = userdata;

        for (size_t i = 0; i < g->n_nics; i++)
                if (!nic_settled(g->nics[i]))
                        log_nic_warning(g->nics[i], "not programmed %llu s after the migration (state %s).",
                                        RESUME_MIGRATED_TIMEOUT_USEC / USEC_PER_SEC,
                                        nic_state_to_string(g->nics[i]->state));
        guest_libvirt_resume(g, "its NICs are not all programmed in time");
        return 0;
}

/* libvirt starts the destination's QEMU paused with reason "migration" and holds its
 * incoming-migration job until the guest runs there, or until it is left paused (virsh migrate
 * --suspend). A monitor command waits for that job: nothing is asked or written meanwhile. The
 * source's domain pauses for the same reason only at its migration's end, after it ran here: a
 * guest first seen so is the destination. */
static void guest_libvirt_set_state(Guest *g, bool new_guest, int state, int reason) {
        bool paused = state == VIR_DOMAIN_PAUSED;
        int r;

        if (paused && reason == VIR_DOMAIN_PAUSED_MIGRATION) {
                if (new_guest) {
                        g->migration = GUEST_MIGRATION_INCOMING;
                        log_info("%s: arriving by live migration: its NICs are read and programmed when "
                                 "the guest's state is here.",
                                        g->name);
                }
                return;
        }
        if (g->migration != GUEST_MIGRATION_INCOMING)
                return;
        g->migration = GUEST_MIGRATION_NONE;
        for (size_t i = 0; i < g->n_nics; i++)
                g->nics[i]->has_asked = false; /* what QEMU had before the guest's state arrived */
        if (!paused || !g->manager->config.resume_migrated) {
                log_info("%s: incoming migration done (%s): reading its NICs' filters.", g->name,
                                paused ? "left paused" : "running");
                return;
        }
        log_info("%s: incoming migration done, left paused (virsh migrate --suspend): programming its NICs, "
                 "then resuming it (ResumeMigratedDomains=yes).",
                        g->name);
        g->resume_pending = true;
        r = sd_event_add_time_relative(g->manager->event, &g->resume_timer, CLOCK_MONOTONIC,
                        RESUME_MIGRATED_TIMEOUT_USEC, USEC_PER_SEC / 10, on_resume_timeout, g);
        if (r < 0)
                log_warning_errno(r, "%s: cannot arm the resume timeout: %m", g->name);
}

void guest_libvirt_apply(Guest *g, int domain_id, int state, int reason, virDomainPtr domain, DomainXml *xml,
                const NetworkXml *networks, size_t n_networks) {
        bool new_guest = !g->has_xml;

        if (g->domain)
                virDomainFree(g->domain);
        g->domain = domain;
        g->domain_id = domain_id;
        if (g->has_xml)
                domain_xml_done(&g->xml);
        g->xml = *xml;
        *xml = (DomainXml){};
        g->has_xml = true;
        g->xml_usec = now_usec(CLOCK_REALTIME);
        if (!g->uuid && g->xml.uuid[0])
                g->uuid = strdup(g->xml.uuid);

        for (size_t i = 0; i < g->xml.n_interfaces; i++) {
                const DomainInterface *iface = &g->xml.interfaces[i];
                Nic *n;
                int r;

                /* Without an alias QEMU's NIC cannot be named (libvirt always sets one on a running
                 * domain; a hand-edited XML may not). */
                if (!iface->alias[0])
                        continue;
                n = guest_find_nic(g, iface->alias);
                if (!n) {
                        r = nic_new(g, iface->alias, &n);
                        if (r < 0) {
                                log_error_errno(r, "%s: cannot track NIC %s: %m", g->name, iface->alias);
                                continue;
                        }
                        nic_set_interface(n, iface, networks, n_networks);
                        nic_apply_config(n);
                        log_nic_info(n, "found: %s interface, host device %s, %s owns it (%s)",
                                        iface->type_name, n->host_device ?: "none",
                                        owner_to_string(n->ownership.owner), n->ownership.reason);
                } else {
                        nic_set_interface(n, iface, networks, n_networks);
                        nic_apply_config(n);
                }
                nic_bus_emit_changed(n);
                manager_nic_dirty(g->manager, n);
        }

        /* NICs the XML no longer has were unplugged (the event may have been missed). */
        for (size_t i = g->n_nics; i > 0; i--) {
                Nic *n = g->nics[i - 1];

                if (!domain_xml_find_alias(&g->xml, n->name)) {
                        log_nic_info(n, "no longer in the domain XML, dropping it.");
                        nic_drop(n);
                }
        }

        guest_libvirt_set_state(g, new_guest, state, reason);
        /* Query what vnicd owns: the first query also arms QEMU's event for each NIC, and anything
         * may have changed while we were not connected. */
        (void) guest_query_all(g);
        if (g->n_vcpus == 0)
                (void) guest_query_vcpus(g);
}

void guest_libvirt_detach(Guest *g) {
        if (g->domain) {
                virDomainFree(g->domain);
                g->domain = NULL;
        }
}

void guest_libvirt_stopped(Guest *g, const char *why) {
        log_info("%s: %s; removing what vnicd set up for its %zu NIC(s).", g->name, why, g->n_nics);
        manager_remove_guest(g->manager, g);
}

/* A libvirt hook told us about a domain (libvirt-hooks/qemu). libvirt's own events say the same a
 * little later; the hook makes release synchronous with libvirt tearing the domain down. */
int manager_libvirt_hook(Manager *m, const char *domain, const char *operation, const char *sub_operation) {
        Guest *g = manager_find_guest(m, domain);

        log_info("libvirt hook: %s %s %s", domain, operation, strempty(sub_operation));
        if (g && g->source != GUEST_SOURCE_LIBVIRT)
                g = NULL;

        if (strv_contains(STRV("started", "reconnect", "restore", "attach"), operation)) {
                if (m->libvirt && libvirt_conn_is_connected(m->libvirt))
                        (void) libvirt_conn_refresh_domain(m->libvirt, domain);
                return 0;
        }
        if (strv_contains(STRV("stopped", "release"), operation)) {
                if (g)
                        guest_libvirt_stopped(g, streq(operation, "release") ? "libvirt released the domain"
                                                                             : "the domain stopped");
                return 0;
        }
        if (strv_contains(STRV("prepare", "start", "migrate"), operation))
                return 0; /* nothing to follow yet: the domain is not running */
        return -EINVAL;
}
