/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "hmp-network.h"
#include "host-device.h"
#include "host-placement.h"
#include "libvirt-conn.h"
#include "log.h"
#include "nic.h"

#define GUEST_NICS_MAX RX_FILTER_LIST_MAX

bool guest_is_connected(Guest *g) {
        if (g->source == GUEST_SOURCE_LIBVIRT)
                return g->domain && libvirt_conn_is_connected(g->manager->libvirt);
        return g->qmp && qmp_client_get_state(g->qmp) == QMP_CLIENT_READY;
}

int guest_send(Guest *g, const char *execute, const char *const *args, QmpReplyHandler h, void *userdata) {
        if (g->source == GUEST_SOURCE_LIBVIRT)
                return guest_libvirt_send(g, execute, args, h, userdata);
        return qmp_client_send(g->qmp, execute, args, h, userdata);
}

void guest_forget(Guest *g, void *userdata) {
        if (g->source == GUEST_SOURCE_LIBVIRT)
                libvirt_conn_cancel(g->manager->libvirt, userdata);
        else if (g->qmp)
                qmp_client_forget(g->qmp, userdata);
}

Nic *guest_find_nic(Guest *g, const char *name) {
        for (size_t i = 0; i < g->n_nics; i++)
                if (streq(g->nics[i]->name, name))
                        return g->nics[i];
        return NULL;
}

static Nic *guest_find_nic_by_path(Guest *g, const char *path) {
        for (size_t i = 0; i < g->n_nics; i++)
                if (streq_ptr(g->nics[i]->path, path))
                        return g->nics[i];
        return NULL;
}

/* An [Interface] naming a NIC QEMU does not have is a typo or a guest without that NIC: say so
 * once, and keep it visible in vnicctl until it is fixed. */
static void guest_check_config(Guest *g) {
        const Config *c = &g->manager->config;
        char msg[512] = "", known[256] = "";
        size_t k = 0;

        for (size_t i = 0; i < g->n_nics; i++)
                k += (size_t) snprintf(known + MIN(k, sizeof(known) - 1),
                                sizeof(known) - MIN(k, sizeof(known) - 1), "%s%s", i > 0 ? ", " : "",
                                g->nics[i]->name);
        for (size_t i = 0; i < c->n_interfaces; i++) {
                const ConfigInterface *ci = &c->interfaces[i];

                if (!streq(ci->guest, g->name) || guest_find_nic(g, ci->name))
                        continue;
                (void) snprintf(msg, sizeof(msg),
                                "[Interface] %s/%s (line %u): QEMU reports no NIC %s (it has: %s)", g->name,
                                ci->name, ci->line, ci->name, known[0] ? known : "none");
                break;
        }
        if (streq_ptr(g->warning, msg[0] ? msg : NULL))
                return;
        if (msg[0])
                log_warning("%s: %s", g->name, msg);
        (void) free_and_strdup(&g->warning, msg[0] ? msg : NULL);
}

static void guest_apply_query_all(Guest *g, const QmpMessage *reply) {
        _cleanup_free_ RxFilter *filters = NULL;
        _cleanup_free_ char *error = NULL;
        size_t n_filters = 0;
        int r;

        if (reply->type == QMP_MESSAGE_ERROR) {
                if (ratelimit_below(&g->log_rl))
                        log_warning("%s: query-rx-filter failed: %s", g->name, strempty(reply->error_desc));
                (void) free_and_strdup(&g->last_error, reply->error_desc);
                return;
        }

        r = rx_filter_list_parse(
                        reply->return_json, strlen(reply->return_json), &filters, &n_filters, &error);
        if (r < 0) {
                char msg[512];

                (void) snprintf(msg, sizeof(msg), "QEMU sent an rx-filter list we refuse: %s",
                                error ?: "invalid");
                if (ratelimit_below(&g->log_rl))
                        log_warning_errno(r, "%s: %s", g->name, msg);
                (void) free_and_strdup(&g->last_error, msg);
                return;
        }
        g->last_error = mfree(g->last_error);

        for (size_t i = 0; i < n_filters; i++) {
                Nic *n = guest_find_nic(g, filters[i].name);

                if (!n) {
                        if (g->n_nics >= GUEST_NICS_MAX)
                                break;
                        r = nic_new(g, filters[i].name, &n);
                        if (r < 0) {
                                log_error_errno(r, "%s: cannot track NIC %s: %m", g->name, filters[i].name);
                                continue;
                        }
                        log_nic_info(n, "found (host device %s, %s)",
                                        n->host_device ?: "not configured, asking QEMU",
                                        n->trusted ? "trusted" : "not trusted");
                        g->discover_usec = 0; /* a new NIC: worth asking QEMU again */
                        (void) nic_query_configured_mac(n);
                }
                nic_update_asked(n, &filters[i]);
        }

        /* NICs QEMU no longer reports were unplugged. */
        for (size_t i = g->n_nics; i > 0; i--) {
                Nic *n = g->nics[i - 1];
                bool seen = false;

                for (size_t j = 0; j < n_filters && !seen; j++)
                        seen = streq(filters[j].name, n->name);
                if (!seen) {
                        log_nic_info(n, "no longer reported by QEMU, dropping.");
                        nic_drop(n);
                }
        }

        guest_check_config(g);
}

static void on_info_network_reply(QmpClient *c, const QmpMessage *reply, void *userdata) {
        _cleanup_free_ HmpNetClient *clients = NULL;
        _cleanup_free_ char *error = NULL, *text = NULL;
        Guest *g = userdata;
        size_t n_clients = 0;
        pid_t pid;
        int r;

        g->discover_in_flight = false;
        if (!reply || reply->type != QMP_MESSAGE_RETURN)
                return;
        r = qmp_message_return_string(reply, &text);
        if (r >= 0)
                r = hmp_network_parse(text, strlen(text), &clients, &n_clients, &error);
        if (r < 0) {
                if (ratelimit_below(&g->log_rl))
                        log_warning_errno(r, "%s: cannot read QEMU's 'info network': %s", g->name,
                                        error ?: "not a string");
                return;
        }
        r = qmp_client_get_peer_pid(c, &pid);
        if (r < 0)
                return;

        for (size_t i = 0; i < n_clients; i++) {
                Nic *n = guest_find_nic(g, clients[i].nic);
                char ifname[IFNAMSIZ], how[160];

                if (!n || !streq(clients[i].type, "tap"))
                        continue;
                if (clients[i].ifname[0]) {
                        (void) snprintf(how, sizeof(how), "QEMU's tap ifname=%s", clients[i].ifname);
                        nic_set_discovered_device(n, clients[i].ifname, how);
                        continue;
                }
                if (clients[i].n_fds == 0)
                        continue;
                r = host_device_from_qemu_fd(pid, clients[i].fds[0], ifname, how, sizeof(how));
                if (r < 0) {
                        log_nic_debug(n, "QEMU fd %d: no host device found here (%d)", clients[i].fds[0], r);
                        continue;
                }
                nic_set_discovered_device(n, ifname, how);
        }
}

int guest_discover_devices(Guest *g) {
        static const char *const args[] = {"command-line", "info network", NULL};
        unsigned long long now = now_usec(CLOCK_MONOTONIC);
        int r;

        if (g->source != GUEST_SOURCE_QMP || !guest_is_connected(g) || g->discover_in_flight)
                return 0; /* a libvirt guest's host devices are in its XML */
        /* Once per resync period (or 30 s): a NIC whose fd leads nowhere must not cost a query per
         * reconcile pass. A new NIC resets this (see guest_apply_query_all()). */
        if (g->discover_usec != 0 &&
                        now - g->discover_usec < MAX(g->manager->config.resync_usec, 30000000ULL))
                return 0;
        r = qmp_client_send(g->qmp, "human-monitor-command", args, on_info_network_reply, g);
        if (r < 0)
                return r;
        g->discover_in_flight = true;
        g->discover_usec = now;
        return 0;
}

static void on_query_all_reply(QmpClient *c, const QmpMessage *reply, void *userdata) {
        Guest *g = userdata;

        g->query_all_in_flight = false;
        if (!reply)
                return; /* connection lost: the reconnect queries everything */
        guest_apply_query_all(g, reply);
        /* Whatever came of this reply, an event that arrived meanwhile (a hot-plugged NIC) still
         * needs its query: QEMU does not send another until someone asks. */
        if (g->query_all_again) {
                g->query_all_again = false;
                (void) guest_query_all(g);
        }
}

int guest_query_all(Guest *g) {
        int r;

        if (!guest_is_connected(g))
                return -ENOTCONN;
        if (g->source == GUEST_SOURCE_LIBVIRT) {
                /* libvirt holds a monitor command until its incoming-migration job ends: asked
                 * now, it would tie up a worker for the whole migration. Asked when it ends. */
                if (g->migration == GUEST_MIGRATION_INCOMING)
                        return 0;
                /* One query per NIC vnicd owns: asking for all would also re-arm the event of the
                 * NICs libvirt trusts and queries itself, and double their events. */
                for (size_t i = 0; i < g->n_nics; i++)
                        if (nic_wants_queries(g->nics[i]))
                                (void) nic_query_now(g->nics[i]);
                return 0;
        }
        if (g->query_all_in_flight) {
                g->query_all_again = true;
                return 0;
        }
        /* Without 'name' QEMU also re-arms NIC_RX_FILTER_CHANGED for every NIC. */
        r = qmp_client_send(g->qmp, "query-rx-filter", NULL, on_query_all_reply, g);
        if (r < 0)
                return r;
        g->query_all_in_flight = true;
        return 0;
}

static const char *const guest_migration_table[_GUEST_MIGRATION_MAX] = {
                [GUEST_MIGRATION_NONE] = NULL,
                [GUEST_MIGRATION_INCOMING] = "incoming: nothing is written for its NICs until the guest's "
                                             "state has arrived",
                [GUEST_MIGRATION_AWAY] = "migrated away: what vnicd set up for its NICs is removed",
};

const char *guest_migration_to_string(GuestMigration m) {
        return m >= 0 && m < _GUEST_MIGRATION_MAX ? guest_migration_table[m] : NULL;
}

static void on_query_status_reply(QmpClient *c, const QmpMessage *reply, void *userdata) {
        _cleanup_free_ char *status = NULL;
        GuestMigration m = GUEST_MIGRATION_NONE, old;
        Guest *g = userdata;

        g->status_in_flight = false;
        if (!reply)
                return; /* connection lost: the reconnect asks again */
        /* A QEMU that cannot say is taken as not migrating. */
        if (reply->type == QMP_MESSAGE_RETURN &&
                        qmp_message_return_member_string(reply, "status", &status) >= 0)
                m = streq(status, "inmigrate")     ? GUEST_MIGRATION_INCOMING
                    : streq(status, "postmigrate") ? GUEST_MIGRATION_AWAY
                                                   : GUEST_MIGRATION_NONE;
        old = g->migration;
        g->migration = m;
        if (m != old) {
                if (m != GUEST_MIGRATION_NONE)
                        log_info("%s: QEMU is in run state %s: %s.", g->name, status,
                                        guest_migration_to_string(m));
                else
                        log_info("%s: %s: reading its NICs' filters.", g->name,
                                        old == GUEST_MIGRATION_INCOMING
                                                        ? "incoming migration done"
                                                        : "running here again after a migration");
                for (size_t i = 0; i < g->n_nics; i++) {
                        /* What was read before the guest's state arrived is QEMU's default filter. */
                        if (old == GUEST_MIGRATION_INCOMING)
                                g->nics[i]->has_asked = false;
                        manager_nic_dirty(g->manager, g->nics[i]);
                }
                if (m == GUEST_MIGRATION_NONE)
                        (void) guest_query_all(g);
        }
        if (g->status_again) {
                g->status_again = false;
                (void) guest_query_status(g);
        }
}

static void on_migration_events_reply(QmpClient *c, const QmpMessage *reply, void *userdata) {
        _cleanup_free_ char *text = NULL;
        Guest *g = userdata;

        /* HMP answers "" when it worked, else the error text. Without the events, a migration is
         * still noticed at the next resync. */
        if (reply && (reply->type == QMP_MESSAGE_ERROR ||
                                     (qmp_message_return_string(reply, &text) >= 0 && text[0] != 0)))
                log_debug("%s: cannot turn on QEMU's migration events: %s", g->name,
                                reply->type == QMP_MESSAGE_ERROR ? strempty(reply->error_desc) : text);
}

/* QEMU sends MIGRATION events only with the "events" migration capability on (libvirt turns it on
 * too); it changes nothing else of a migration. */
static int guest_enable_migration_events(Guest *g) {
        static const char *const args[] = {"command-line", "migrate_set_capability events on", NULL};

        if (g->source != GUEST_SOURCE_QMP || !guest_is_connected(g))
                return 0;
        return qmp_client_send(g->qmp, "human-monitor-command", args, on_migration_events_reply, g);
}

int guest_query_status(Guest *g) {
        int r;

        if (g->source != GUEST_SOURCE_QMP || !guest_is_connected(g))
                return 0;
        if (g->status_in_flight) {
                g->status_again = true;
                return 0;
        }
        r = qmp_client_send(g->qmp, "query-status", NULL, on_query_status_reply, g);
        if (r < 0)
                return r;
        g->status_in_flight = true;
        return 0;
}

static void on_query_vcpus_reply(QmpClient *c, const QmpMessage *reply, void *userdata) {
        _cleanup_free_ QmpVcpu *vcpus = NULL;
        _cleanup_free_ char *error = NULL;
        Guest *g = userdata;
        size_t n = 0;
        int r;

        g->vcpus_in_flight = false;
        if (!reply)
                return;
        if (reply->type == QMP_MESSAGE_ERROR) {
                log_debug("%s: query-cpus-fast failed: %s", g->name, strempty(reply->error_desc));
                return;
        }
        r = qmp_message_return_vcpus(reply, &vcpus, &n, &error);
        if (r < 0) {
                if (ratelimit_below(&g->log_rl))
                        log_warning_errno(r, "%s: QEMU sent a vCPU list we refuse: %s", g->name,
                                        error ?: "invalid");
                return;
        }
        if (n != g->n_vcpus)
                log_debug("%s: %zu vCPUs", g->name, n);
        free(g->vcpus);
        g->vcpus = TAKE_PTR(vcpus);
        g->n_vcpus = n;
        /* New vCPU threads may belong to another QEMU (restarted behind the same socket). */
        guest_vhost_invalidate(g);
        host_placement_schedule(g->manager, false); /* the vCPU threads' CPUs are avoided */
        for (size_t i = 0; i < g->n_nics; i++)
                manager_nic_dirty(g->manager, g->nics[i]);
}

unsigned guest_vcpu_count(const Guest *g, const char **ret_source) {
        const char *source = NULL;
        unsigned n = 0;

        if (g->n_vcpus > 0) {
                n = (unsigned) MIN(g->n_vcpus, (size_t) UINT_MAX);
                source = "QEMU: query-cpus-fast";
        } else if (g->source == GUEST_SOURCE_LIBVIRT && g->has_xml && g->xml.vcpus > 0) {
                n = g->xml.vcpus;
                source = "libvirt: <vcpu> of the live XML";
        }
        if (ret_source)
                *ret_source = source;
        return n;
}

int guest_query_vcpus(Guest *g) {
        bool asks = g->source == GUEST_SOURCE_QMP;
        int r;

        if (!guest_is_connected(g) || g->vcpus_in_flight)
                return 0;
        if (g->source == GUEST_SOURCE_LIBVIRT && g->migration == GUEST_MIGRATION_INCOMING)
                return 0; /* as guest_query_all(): asked when the migration ends */
        /* A monitor command through libvirt taints the domain: only where vnicd queries anyway. */
        for (size_t i = 0; i < g->n_nics && !asks; i++)
                asks = nic_wants_queries(g->nics[i]);
        if (!asks)
                return 0;
        r = guest_send(g, "query-cpus-fast", NULL, on_query_vcpus_reply, g);
        if (r < 0)
                return r;
        g->vcpus_in_flight = true;
        return 0;
}

void guest_handle_event(Guest *g, const QmpMessage *ev) {
        Nic *n = NULL;

        if (!streq(ev->event, "NIC_RX_FILTER_CHANGED")) {
                /* A reset clears the filter in QEMU without an rx-filter event. */
                if (streq(ev->event, "RESET"))
                        (void) guest_query_all(g);
                /* A migration ends, or the guest stops or runs again: where does it run now? An
                 * incoming migration's state arrives without an rx-filter event, too. */
                else if (strv_contains(STRV("MIGRATION", "STOP", "RESUME"), ev->event))
                        (void) guest_query_status(g);
                return;
        }
        g->events++;

        if (ev->event_name)
                n = guest_find_nic(g, ev->event_name);
        if (!n && ev->event_path)
                n = guest_find_nic_by_path(g, ev->event_path);
        if (!n) {
                /* A NIC we do not know yet (hot-plugged, or an id-less device): ask about all. A
                 * libvirt guest learns its NICs from the XML, re-read on device-added. */
                if (g->source == GUEST_SOURCE_QMP)
                        (void) guest_query_all(g);
                return;
        }
        if (!nic_wants_queries(n))
                return; /* libvirt's NIC: libvirt queries it */
        if (ev->event_path && !n->path)
                (void) free_and_strdup(&n->path, ev->event_path);
        n->last_event_qemu_usec = ev->timestamp_usec;
        (void) nic_schedule_query(n);
}

static void on_qmp_event(QmpClient *c, const QmpMessage *ev, void *userdata) {
        guest_handle_event(userdata, ev);
}

static void on_qmp_state(QmpClient *c, QmpClientState state, int error, const char *reason, void *userdata) {
        Guest *g = userdata;

        switch (state) {
        case QMP_CLIENT_READY:
                log_info("%s: connected to QEMU %s at %s", g->name, strempty(qmp_client_get_version(c)),
                                g->qmp_socket);
                g->last_error = mfree(g->last_error);
                guest_vhost_invalidate(g);
                /* Migrating? Asked first, so its answer is in before the filters'. */
                (void) guest_enable_migration_events(g);
                (void) guest_query_status(g);
                (void) guest_query_vcpus(g);
                /* Events may be disarmed from before we came: query everything now. */
                (void) guest_query_all(g);
                for (size_t i = 0; i < g->n_nics; i++)
                        (void) nic_query_configured_mac(g->nics[i]);
                break;
        case QMP_CLIENT_DISCONNECTED: {
                char msg[256];

                errno = abs(error);
                (void) snprintf(msg, sizeof(msg), "QMP %s: %s: %m", g->qmp_socket, strempty(reason));
                /* Said once per distinct failure, not at every retry. */
                if (!streq_ptr(g->last_logged, msg)) {
                        log_warning("%s: %s; retrying with backoff.", g->name, msg);
                        (void) free_and_strdup(&g->last_logged, msg);
                }
                (void) free_and_strdup(&g->last_error, msg);
                g->query_all_in_flight = g->query_all_again = false;
                g->status_in_flight = g->status_again = false;
                g->vcpus_in_flight = false;
                g->migration = GUEST_MIGRATION_NONE;
                for (size_t i = 0; i < g->n_nics; i++) {
                        Nic *n = g->nics[i];

                        n->query_in_flight = n->query_again = false;
                        /* Once: a QEMU that is gone takes its guest's bridge port state with it. */
                        if (n->state != NIC_STATE_GONE && nic_release_bridge_port(n) < 0)
                                log_nic_warning(n, "could not queue the removal of its bridge port state.");
                        n->in_sync = false;
                        nic_set_state(n, NIC_STATE_GONE);
                }
                break;
        }
        default:
                break;
        }
}

Guest *guest_alloc(Manager *m, GuestSource source, const char *name) {
        Guest *g = new0(Guest, 1);

        if (!g)
                return NULL;
        g->manager = m;
        g->source = source;
        g->domain_id = -1;
        g->log_rl = (RateLimit){.interval_usec = 10ULL * 1000 * 1000, .burst = 5};
        g->vhost.stale = true;
        (void) snprintf(g->vhost.status, sizeof(g->vhost.status), "not looked for yet");
        g->name = strdup(name);
        if (!g->name)
                return guest_free(g);
        return g;
}

int guest_new(Manager *m, const char *name, const char *qmp_socket, Guest **ret) {
        Guest *g;
        int r;

        g = guest_alloc(m, GUEST_SOURCE_QMP, name);
        if (!g)
                return -ENOMEM;
        g->qmp_socket = strdup(qmp_socket);
        if (!g->qmp_socket) {
                guest_free(g);
                return -ENOMEM;
        }
        r = qmp_client_new(m->event, qmp_socket, on_qmp_event, on_qmp_state, g, &g->qmp);
        if (r < 0) {
                guest_free(g);
                return r;
        }
        *ret = g;
        return 0;
}

/* The NICs the configuration gives a host device are tracked before QEMU answers: if QEMU died
 * while vnicd was down, the first failed connect finds them and releases what an earlier vnicd put
 * on their persistent taps (on_qmp_state()). QEMU's own list replaces this one once it answers. */
static void guest_track_configured_nics(Guest *g) {
        const Config *c = &g->manager->config;

        for (size_t i = 0; i < c->n_interfaces && g->n_nics < GUEST_NICS_MAX; i++) {
                const ConfigInterface *ci = &c->interfaces[i];
                Nic *n;
                int r;

                if (!streq(ci->guest, g->name) || !ci->host_device || guest_find_nic(g, ci->name))
                        continue;
                r = nic_new(g, ci->name, &n);
                if (r < 0) {
                        log_error_errno(r, "%s: cannot track NIC %s: %m", g->name, ci->name);
                        continue;
                }
                if (!n->config_error)
                        (void) nic_read_host_device(n);
        }
}

int guest_start(Guest *g) {
        if (!g->qmp)
                return 0;
        guest_track_configured_nics(g);
        return qmp_client_start(g->qmp);
}

Guest *guest_free(Guest *g) {
        if (!g)
                return NULL;
        while (g->n_nics > 0)
                nic_drop(g->nics[g->n_nics - 1]);
        free(g->nics);
        g->qmp = qmp_client_free(g->qmp);
        g->resume_timer = sd_event_source_disable_unref(g->resume_timer);
        if (g->manager->libvirt)
                libvirt_conn_cancel(g->manager->libvirt, g);
        guest_libvirt_detach(g);
        if (g->has_xml)
                domain_xml_done(&g->xml);
        free(g->uuid);
        free(g->name);
        free(g->qmp_socket);
        free(g->vcpus);
        guest_vhost_done(&g->vhost);
        free(g->last_error);
        free(g->last_logged);
        free(g->warning);
        free(g);
        return NULL;
}

static const char *const guest_source_table[_GUEST_SOURCE_MAX] = {
                [GUEST_SOURCE_QMP] = "qmp",
                [GUEST_SOURCE_LIBVIRT] = "libvirt",
};

const char *guest_source_to_string(GuestSource s) {
        return s >= 0 && s < _GUEST_SOURCE_MAX ? guest_source_table[s] : NULL;
}
