/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>

#include "guest.h"
#include "libvirt-conn.h"
#include "log.h"
#include "manager.h"
#include "network-xml.h"
#include "nic.h"

#define DOMAINS_MAX 4096 /* running domains read at once; more is refused with a log line */

struct LibvirtConn {
        Manager *manager;
        char *uri;
        LibvirtConnState state;
        virConnectPtr conn;  /* while CONNECTED */
        unsigned generation; /* bumped at every connect and loss: late results of an old one are dropped */
        LibvirtWorker *worker;
        sd_event_source *retry;
        unsigned long long backoff_usec;
        unsigned long long connects;
        char *last_error;
        char *last_logged;
        bool events_while_connecting; /* an event came before the connect finished: read all again */
        bool refresh_all_in_flight, refresh_all_again;
};

/* ---- what a worker reads of one domain ---- */

typedef struct DomainSnapshot {
        char name[DOMAIN_NAME_MAX];
        bool active;
        int id;
        int state, reason; /* virDomainGetState() */
        virDomainPtr domain;
        DomainXml xml;
        bool has_xml;
        NetworkXml *networks;
        size_t n_networks;
        char *error; /* the domain could not be read or its XML was refused */
} DomainSnapshot;

static void snapshot_done(DomainSnapshot *s) {
        if (s->domain)
                virDomainFree(s->domain);
        if (s->has_xml)
                domain_xml_done(&s->xml);
        for (size_t i = 0; i < s->n_networks; i++)
                network_xml_done(&s->networks[i]);
        free(s->networks);
        free(s->error);
        *s = (DomainSnapshot){};
}

static char *libvirt_error(const char *what) {
        char *s;

        if (asprintf(&s, "%s: %s", what, virGetLastErrorMessage()) < 0)
                return NULL;
        return s;
}

static bool snapshot_has_network(const DomainSnapshot *s, const char *name) {
        for (size_t i = 0; i < s->n_networks; i++)
                if (streq(s->networks[i].name, name))
                        return true;
        return false;
}

/* Worker thread: the live XML of 'dom' and of the networks its interfaces name. Takes 'dom'. A
 * network that cannot be read is left out: resolving the interface then says which is missing. */
static void snapshot_read(virDomainPtr dom, DomainSnapshot *s) {
        _cleanup_free_ char *xml = NULL, *error = NULL;
        virConnectPtr conn = virDomainGetConnect(dom);
        const char *name = virDomainGetName(dom);
        int r;

        s->domain = dom;
        (void) snprintf(s->name, sizeof(s->name), "%s", strempty(name));
        s->active = virDomainIsActive(dom) == 1;
        s->id = s->active ? (int) virDomainGetID(dom) : -1;
        if (!s->active)
                return;
        if (virDomainGetState(dom, &s->state, &s->reason, 0) < 0)
                s->state = s->reason = -1;
        xml = virDomainGetXMLDesc(dom, 0);
        if (!xml) {
                s->error = libvirt_error("cannot read the domain XML");
                return;
        }
        r = domain_xml_parse(xml, strlen(xml), &s->xml, &error);
        if (r < 0) {
                s->error = TAKE_PTR(error);
                return;
        }
        s->has_xml = true;

        for (size_t i = 0; i < s->xml.n_interfaces; i++) {
                const char *net = s->xml.interfaces[i].source_network;
                _cleanup_free_ char *net_xml = NULL, *net_error = NULL;
                virNetworkPtr n;
                NetworkXml parsed, *a;

                if (!net[0] || snapshot_has_network(s, net))
                        continue;
                n = virNetworkLookupByName(conn, net);
                if (!n)
                        continue;
                net_xml = virNetworkGetXMLDesc(n, 0);
                virNetworkFree(n);
                if (!net_xml || network_xml_parse(net_xml, strlen(net_xml), &parsed, &net_error) < 0)
                        continue;
                a = realloc(s->networks, (s->n_networks + 1) * sizeof(NetworkXml));
                if (!a) {
                        network_xml_done(&parsed);
                        continue;
                }
                s->networks = a;
                s->networks[s->n_networks++] = parsed;
        }
}

/* Loop: one domain as read. A domain no longer running takes its guest with it. */
static void snapshot_apply(LibvirtConn *lc, DomainSnapshot *s) {
        Manager *m = lc->manager;
        const char *uuid = s->has_xml ? s->xml.uuid : NULL;
        Guest *g = manager_find_guest(m, s->name);
        int r;

        if (g && g->source != GUEST_SOURCE_LIBVIRT) {
                log_warning("libvirt domain %s has the name of a [Guest] followed over QMP; ignoring the "
                            "domain.",
                                s->name);
                return;
        }
        if (!s->active) {
                if (g)
                        guest_libvirt_stopped(g, "the domain is not running");
                return;
        }
        if (s->error) {
                log_warning("libvirt domain %s: %s", s->name, s->error);
                if (g)
                        (void) free_and_strdup(&g->last_error, s->error);
                return;
        }
        if (!g) {
                r = guest_new_libvirt(m, s->name, uuid, &g);
                if (r < 0) {
                        log_error_errno(r, "libvirt domain %s: cannot follow it: %m", s->name);
                        return;
                }
                r = manager_attach_guest(m, g);
                if (r < 0) {
                        guest_free(g);
                        log_oom();
                        return;
                }
        }
        g->last_error = mfree(g->last_error);
        guest_libvirt_apply(g, s->id, s->state, s->reason, TAKE_PTR(s->domain), &s->xml, s->networks,
                        s->n_networks);
        s->has_xml = false; /* taken */
}

/* ---- connecting ---- */

static void on_close(virConnectPtr conn, int reason, void *opaque);
static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque);
static void on_reboot(virConnectPtr conn, virDomainPtr dom, void *opaque);
static void on_device_added(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque);
static void on_device_removed(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque);
static void on_monitor_event(virConnectPtr conn, virDomainPtr dom, const char *event, long long seconds,
                unsigned int micros, const char *details, void *opaque);

typedef struct ConnectJob {
        LibvirtConn *lc; /* only its address is used on the worker (as callback opaque) */
        char *uri;
        unsigned generation;
        virConnectPtr conn;
        char *error;
        DomainSnapshot *domains;
        size_t n_domains;
} ConnectJob;

static void connect_job_free(void *data) {
        ConnectJob *j = data;

        for (size_t i = 0; i < j->n_domains; i++)
                snapshot_done(&j->domains[i]);
        free(j->domains);
        if (j->conn) {
                (void) virConnectUnregisterCloseCallback(j->conn, on_close);
                (void) virConnectClose(j->conn);
        }
        free(j->uri);
        free(j->error);
        free(j);
}

/* Worker thread: the running domains and their XML. */
static int list_domains(virConnectPtr conn, DomainSnapshot **ret, size_t *ret_n, char **ret_error) {
        virDomainPtr *doms = NULL;
        DomainSnapshot *s;
        int n;

        n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
        if (n < 0) {
                *ret_error = libvirt_error("cannot list the running domains");
                return -EIO;
        }
        if (n > DOMAINS_MAX) {
                for (int i = DOMAINS_MAX; i < n; i++)
                        virDomainFree(doms[i]);
                n = DOMAINS_MAX;
        }
        s = new0(DomainSnapshot, MAX(n, 1));
        if (!s) {
                for (int i = 0; i < n; i++)
                        virDomainFree(doms[i]);
                free(doms);
                return -ENOMEM;
        }
        for (int i = 0; i < n; i++)
                snapshot_read(doms[i], &s[i]);
        free(doms);
        *ret = s;
        *ret_n = (size_t) n;
        return 0;
}

static void connect_job_run(void *data) {
        ConnectJob *j = data;

        j->conn = virConnectOpen(j->uri);
        if (!j->conn) {
                j->error = libvirt_error("cannot connect");
                return;
        }
        if (virConnectSetKeepAlive(j->conn, LIBVIRT_KEEPALIVE_INTERVAL, LIBVIRT_KEEPALIVE_COUNT) < 0)
                log_debug("libvirt: no keepalive on %s: %s", j->uri, virGetLastErrorMessage());
        if (virConnectRegisterCloseCallback(j->conn, on_close, j->lc, NULL) < 0 ||
                        virConnectDomainEventRegisterAny(j->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                        VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), j->lc, NULL) < 0 ||
                        virConnectDomainEventRegisterAny(j->conn, NULL, VIR_DOMAIN_EVENT_ID_REBOOT,
                                        VIR_DOMAIN_EVENT_CALLBACK(on_reboot), j->lc, NULL) < 0 ||
                        virConnectDomainEventRegisterAny(j->conn, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
                                        VIR_DOMAIN_EVENT_CALLBACK(on_device_added), j->lc, NULL) < 0 ||
                        virConnectDomainEventRegisterAny(j->conn, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
                                        VIR_DOMAIN_EVENT_CALLBACK(on_device_removed), j->lc, NULL) < 0 ||
                        virConnectDomainQemuMonitorEventRegister(j->conn, NULL, "NIC_RX_FILTER_CHANGED",
                                        on_monitor_event, j->lc, NULL, 0) < 0) {
                j->error = libvirt_error("cannot subscribe to domain events");
                return;
        }
        /* Listed after subscribing: a domain that starts or stops meanwhile is seen either way. */
        (void) list_domains(j->conn, &j->domains, &j->n_domains, &j->error);
}

static void libvirt_conn_schedule_retry(LibvirtConn *lc);

static void libvirt_conn_set_error(LibvirtConn *lc, const char *msg) {
        (void) free_and_strdup(&lc->last_error, msg);
        if (!msg)
                return;
        /* Said once per distinct failure, not at every retry. */
        if (!streq_ptr(lc->last_logged, msg)) {
                log_warning("libvirt %s: %s; retrying with backoff.", lc->uri, msg);
                (void) free_and_strdup(&lc->last_logged, msg);
        }
}

static void converge(LibvirtConn *lc, DomainSnapshot *s, size_t n) {
        Manager *m = lc->manager;

        for (size_t i = 0; i < n; i++)
                snapshot_apply(lc, &s[i]);
        /* Guests of domains no longer running went while we were not looking. */
        for (size_t i = m->n_guests; i > 0; i--) {
                Guest *g = m->guests[i - 1];
                bool running = false;

                if (g->source != GUEST_SOURCE_LIBVIRT)
                        continue;
                for (size_t k = 0; k < n && !running; k++)
                        running = s[k].active && streq(s[k].name, g->name);
                if (!running)
                        guest_libvirt_stopped(g, "the domain is no longer running");
        }
}

static void connect_job_done(void *data) {
        ConnectJob *j = data;
        LibvirtConn *lc = j->lc;

        if (j->generation != lc->generation)
                return; /* stopped or reconnected meanwhile: the job's free closes it */
        if (j->error) {
                lc->state = LIBVIRT_CONN_DISCONNECTED;
                libvirt_conn_set_error(lc, j->error);
                libvirt_conn_schedule_retry(lc);
                return;
        }
        lc->conn = TAKE_PTR(j->conn);
        lc->state = LIBVIRT_CONN_CONNECTED;
        lc->connects++;
        lc->backoff_usec = 0;
        lc->last_error = mfree(lc->last_error);
        lc->last_logged = mfree(lc->last_logged);
        log_info("Connected to libvirt at %s: %zu running domain(s).", lc->uri, j->n_domains);
        converge(lc, j->domains, j->n_domains);
        if (lc->events_while_connecting) {
                lc->events_while_connecting = false;
                (void) libvirt_conn_refresh_all(lc);
        }
}

static int libvirt_conn_connect(LibvirtConn *lc) {
        ConnectJob *j;
        int r;

        j = new0(ConnectJob, 1);
        if (!j)
                return -ENOMEM;
        j->lc = lc;
        j->generation = ++lc->generation;
        j->uri = strdup(lc->uri);
        if (!j->uri) {
                free(j);
                return -ENOMEM;
        }
        r = libvirt_worker_submit(lc->worker, lc, connect_job_run, connect_job_done, connect_job_free, j);
        if (r < 0) {
                connect_job_free(j);
                return r;
        }
        lc->state = LIBVIRT_CONN_CONNECTING;
        return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        LibvirtConn *lc = userdata;
        int r;

        lc->retry = sd_event_source_disable_unref(lc->retry);
        r = libvirt_conn_connect(lc);
        if (r < 0) {
                char msg[128];

                errno = -r;
                (void) snprintf(msg, sizeof(msg), "cannot start connecting: %m");
                libvirt_conn_set_error(lc, msg);
                libvirt_conn_schedule_retry(lc);
        }
        return 0;
}

static void libvirt_conn_schedule_retry(LibvirtConn *lc) {
        lc->backoff_usec =
                        backoff_next(lc->backoff_usec, LIBVIRT_BACKOFF_MIN_USEC, LIBVIRT_BACKOFF_MAX_USEC);
        lc->retry = sd_event_source_disable_unref(lc->retry);
        if (sd_event_add_time_relative(lc->manager->event, &lc->retry, CLOCK_MONOTONIC, lc->backoff_usec, 0,
                            on_retry, lc) < 0)
                log_error("libvirt %s: cannot arm the reconnect timer; not reconnecting.", lc->uri);
}

/* ---- losing the connection ---- */

typedef struct CloseJob {
        LibvirtConn *lc;
        virConnectPtr conn;
        int reason;
} CloseJob;

static void close_job_free(void *data) {
        CloseJob *j = data;

        if (j->conn) {
                (void) virConnectUnregisterCloseCallback(j->conn, on_close);
                (void) virConnectClose(j->conn);
        }
        free(j);
}

static void nothing(void *data) {
}

static void libvirt_conn_lost(LibvirtConn *lc, const char *why) {
        Manager *m = lc->manager;
        CloseJob *j;

        if (lc->state != LIBVIRT_CONN_CONNECTED)
                return;
        lc->generation++;
        lc->state = LIBVIRT_CONN_DISCONNECTED;
        lc->refresh_all_in_flight = lc->refresh_all_again = false;
        for (size_t i = 0; i < m->n_guests; i++)
                if (m->guests[i]->source == GUEST_SOURCE_LIBVIRT)
                        guest_libvirt_detach(m->guests[i]);
        /* Closing may wait on the dead socket: a worker does it. */
        j = new0(CloseJob, 1);
        if (j) {
                j->conn = TAKE_PTR(lc->conn);
                if (libvirt_worker_submit(lc->worker, NULL, nothing, NULL, close_job_free, j) < 0)
                        close_job_free(j);
        }
        lc->conn = NULL;
        libvirt_conn_set_error(lc, why);
        libvirt_conn_schedule_retry(lc);
}

static void close_event_done(void *data) {
        CloseJob *j = data;
        static const char *const reasons[] = {
                        [VIR_CONNECT_CLOSE_REASON_ERROR] = "connection lost (I/O error)",
                        [VIR_CONNECT_CLOSE_REASON_EOF] = "libvirtd closed the connection",
                        [VIR_CONNECT_CLOSE_REASON_KEEPALIVE] = "libvirtd stopped answering keepalives",
                        [VIR_CONNECT_CLOSE_REASON_CLIENT] = "connection closed",
        };

        if (j->conn != j->lc->conn)
                return;
        libvirt_conn_lost(j->lc,
                        j->reason >= 0 && (size_t) j->reason < ELEMENTSOF(reasons) && reasons[j->reason]
                                        ? reasons[j->reason]
                                        : "connection closed");
}

static void close_event_free(void *data) {
        free(data);
}

/* Any thread: libvirt noticed the connection is gone. Handled on the loop, through the worker's
 * completion queue (the only thread-safe way in). */
static void on_close(virConnectPtr conn, int reason, void *opaque) {
        LibvirtConn *lc = opaque;
        CloseJob *j = new0(CloseJob, 1);

        if (!j)
                return;
        *j = (CloseJob){.lc = lc, .conn = conn, .reason = reason};
        if (libvirt_worker_submit(lc->worker, lc, nothing, close_event_done, close_event_free, j) < 0)
                free(j);
}

/* ---- reading domains again ---- */

typedef struct RefreshJob {
        LibvirtConn *lc;
        unsigned generation;
        virConnectPtr conn;
        char *name; /* one domain; NULL = all running */
        DomainSnapshot *domains;
        size_t n_domains;
        char *error;
} RefreshJob;

static void refresh_job_free(void *data) {
        RefreshJob *j = data;

        for (size_t i = 0; i < j->n_domains; i++)
                snapshot_done(&j->domains[i]);
        free(j->domains);
        if (j->conn)
                (void) virConnectClose(j->conn); /* drops our reference only */
        free(j->name);
        free(j->error);
        free(j);
}

static void refresh_job_run(void *data) {
        RefreshJob *j = data;
        virDomainPtr dom;

        if (!j->name) {
                (void) list_domains(j->conn, &j->domains, &j->n_domains, &j->error);
                return;
        }
        j->domains = new0(DomainSnapshot, 1);
        if (!j->domains)
                return;
        j->n_domains = 1;
        dom = virDomainLookupByName(j->conn, j->name);
        if (!dom) {
                /* Gone (undefined after it stopped): as good as stopped. */
                (void) snprintf(j->domains[0].name, sizeof(j->domains[0].name), "%s", j->name);
                return;
        }
        snapshot_read(dom, &j->domains[0]);
}

static void refresh_job_done(void *data) {
        RefreshJob *j = data;
        LibvirtConn *lc = j->lc;

        if (j->generation != lc->generation)
                return;
        if (!j->name) {
                lc->refresh_all_in_flight = false;
                if (j->error)
                        log_warning("libvirt %s: %s", lc->uri, j->error);
                else
                        converge(lc, j->domains, j->n_domains);
                if (lc->refresh_all_again) {
                        lc->refresh_all_again = false;
                        (void) libvirt_conn_refresh_all(lc);
                }
                return;
        }
        for (size_t i = 0; i < j->n_domains; i++)
                snapshot_apply(lc, &j->domains[i]);
}

static int refresh_submit(LibvirtConn *lc, const char *name) {
        RefreshJob *j;
        int r;

        if (lc->state != LIBVIRT_CONN_CONNECTED)
                return -ENOTCONN;
        j = new0(RefreshJob, 1);
        if (!j)
                return -ENOMEM;
        *j = (RefreshJob){.lc = lc, .generation = lc->generation, .conn = lc->conn};
        (void) virConnectRef(j->conn);
        if (name) {
                j->name = strdup(name);
                if (!j->name) {
                        refresh_job_free(j);
                        return -ENOMEM;
                }
        }
        r = libvirt_worker_submit(lc->worker, lc, refresh_job_run, refresh_job_done, refresh_job_free, j);
        if (r < 0)
                refresh_job_free(j);
        return r;
}

int libvirt_conn_refresh_domain(LibvirtConn *lc, const char *name) {
        return refresh_submit(lc, name);
}

int libvirt_conn_refresh_all(LibvirtConn *lc) {
        int r;

        if (lc->refresh_all_in_flight) {
                lc->refresh_all_again = true;
                return 0;
        }
        r = refresh_submit(lc, NULL);
        if (r >= 0)
                lc->refresh_all_in_flight = true;
        return r;
}

/* ---- events (on the loop: libvirt dispatches them from its timer on sd-event) ---- */

/* The guest of an event's domain, or NULL when the event is from an old connection or unknown. */
static Guest *event_guest(LibvirtConn *lc, virConnectPtr conn, virDomainPtr dom) {
        Guest *g;

        if (conn != lc->conn) {
                /* Subscribed, but the connect has not finished: its list may be older than this. */
                if (lc->state == LIBVIRT_CONN_CONNECTING)
                        lc->events_while_connecting = true;
                return NULL;
        }
        g = manager_find_guest(lc->manager, strempty(virDomainGetName(dom)));
        return g && g->source == GUEST_SOURCE_LIBVIRT ? g : NULL;
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        LibvirtConn *lc = opaque;
        const char *name = strempty(virDomainGetName(dom));
        Guest *g;

        if (conn != lc->conn) {
                (void) event_guest(lc, conn, dom);
                return 0;
        }
        g = event_guest(lc, conn, dom);
        switch (event) {
        case VIR_DOMAIN_EVENT_STARTED:
        case VIR_DOMAIN_EVENT_RESUMED:
                log_debug("libvirt: domain %s started or resumed (detail %d)", name, detail);
                (void) libvirt_conn_refresh_domain(lc, name);
                break;
        case VIR_DOMAIN_EVENT_SUSPENDED:
                /* An incoming migration that leaves the domain paused (virsh migrate --suspend)
                 * ends with this, not with RESUMED. */
                if (g && g->migration == GUEST_MIGRATION_INCOMING)
                        (void) libvirt_conn_refresh_domain(lc, name);
                break;
        case VIR_DOMAIN_EVENT_STOPPED:
                if (g)
                        guest_libvirt_stopped(g, detail == VIR_DOMAIN_EVENT_STOPPED_MIGRATED
                                                                 ? "the domain migrated away"
                                                                 : "the domain stopped");
                break;
        default:
                break;
        }
        return 0;
}

static void on_reboot(virConnectPtr conn, virDomainPtr dom, void *opaque) {
        Guest *g = event_guest(opaque, conn, dom);

        if (!g)
                return;
        /* QEMU reset the NICs' filters and sends no rx-filter event for that: ask again. */
        log_info("%s: reset by libvirt or the guest; querying its NICs again.", g->name);
        (void) guest_query_all(g);
}

static void on_device_added(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque) {
        LibvirtConn *lc = opaque;

        if (conn != lc->conn)
                return (void) event_guest(lc, conn, dom);
        log_debug("libvirt: device %s added to %s", strempty(alias), strempty(virDomainGetName(dom)));
        (void) libvirt_conn_refresh_domain(lc, strempty(virDomainGetName(dom)));
}

static void on_device_removed(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque) {
        Guest *g = event_guest(opaque, conn, dom);
        Nic *n;

        if (!g || !alias)
                return;
        n = guest_find_nic(g, alias);
        if (!n)
                return;
        log_nic_info(n, "unplugged from the domain, dropping it.");
        nic_drop(n);
}

static void on_monitor_event(virConnectPtr conn, virDomainPtr dom, const char *event, long long seconds,
                unsigned int micros, const char *details, void *opaque) {
        _cleanup_free_ char *line = NULL, *error = NULL;
        Guest *g = event_guest(opaque, conn, dom);
        QmpMessage ev;
        int r;

        if (!g || !event)
                return;
        g->events++;
        /* Rebuilt as the QMP line QEMU sent, so one bounded parser reads both paths. */
        if (asprintf(&line, "{\"event\":\"%s\",%s%s%s\"timestamp\":{\"seconds\":%lld,\"microseconds\":%u}}",
                            event, details ? "\"data\":" : "", strempty(details), details ? "," : "",
                            seconds, micros) < 0)
                return;
        r = qmp_message_parse(line, strlen(line), &ev, &error);
        if (r < 0) {
                log_debug("%s: libvirt relayed an event we refuse (%s), ignoring.", g->name,
                                strempty(error));
                return;
        }
        guest_handle_event(g, &ev);
        qmp_message_done(&ev);
}

/* ---- QEMU monitor commands ---- */

typedef struct MonitorJob {
        virDomainPtr domain;
        char *command;
        char *reply;
        char *error;
        QmpReplyHandler handler;
        void *userdata;
} MonitorJob;

static void monitor_job_free(void *data) {
        MonitorJob *j = data;

        if (j->domain)
                virDomainFree(j->domain);
        free(j->command);
        free(j->reply);
        free(j->error);
        free(j);
}

static void monitor_job_run(void *data) {
        MonitorJob *j = data;

        /* Taints the domain ('custom-monitor' in its log): the documented price of asking QEMU
         * about a NIC libvirt does not query itself. */
        if (virDomainQemuMonitorCommand(
                            j->domain, j->command, &j->reply, VIR_DOMAIN_QEMU_MONITOR_COMMAND_DEFAULT) < 0)
                j->error = libvirt_error("QEMU monitor command failed");
}

static void monitor_job_done(void *data) {
        _cleanup_free_ char *error = NULL;
        MonitorJob *j = data;
        QmpMessage reply;

        if (j->error || !j->reply) {
                log_debug("libvirt: %s", strempty(j->error));
                j->handler(NULL, NULL, j->userdata);
                return;
        }
        if (qmp_message_parse(j->reply, strlen(j->reply), &reply, &error) < 0) {
                log_warning("libvirt relayed a QEMU reply we refuse: %s", strempty(error));
                j->handler(NULL, NULL, j->userdata);
                return;
        }
        if (reply.type != QMP_MESSAGE_RETURN && reply.type != QMP_MESSAGE_ERROR) {
                qmp_message_done(&reply);
                log_warning("libvirt relayed a QEMU message that is not a reply, ignoring.");
                j->handler(NULL, NULL, j->userdata);
                return;
        }
        j->handler(NULL, &reply, j->userdata);
        qmp_message_done(&reply);
}

int libvirt_conn_monitor_command(LibvirtConn *lc, Guest *g, const char *execute, const char *const *args,
                QmpReplyHandler h, void *userdata) {
        MonitorJob *j;
        int r;

        if (lc->state != LIBVIRT_CONN_CONNECTED || !g->domain)
                return -ENOTCONN;
        j = new0(MonitorJob, 1);
        if (!j)
                return -ENOMEM;
        r = qmp_command_build(execute, args, 0, &j->command);
        if (r < 0) {
                free(j);
                return r;
        }
        j->domain = g->domain;
        (void) virDomainRef(j->domain);
        j->handler = h;
        j->userdata = userdata;
        r = libvirt_worker_submit(
                        lc->worker, userdata, monitor_job_run, monitor_job_done, monitor_job_free, j);
        if (r < 0)
                monitor_job_free(j);
        return r;
}

/* ---- resuming a domain ---- */

typedef struct ResumeJob {
        virDomainPtr domain;
        char name[DOMAIN_NAME_MAX];
        char *error;
} ResumeJob;

static void resume_job_free(void *data) {
        ResumeJob *j = data;

        if (j->domain)
                virDomainFree(j->domain);
        free(j->error);
        free(j);
}

static void resume_job_run(void *data) {
        ResumeJob *j = data;

        if (virDomainResume(j->domain) < 0)
                j->error = libvirt_error("cannot resume the domain");
}

/* Says only what happened: the guest may be gone by now, and its resume happens regardless. */
static void resume_job_done(void *data) {
        ResumeJob *j = data;

        if (j->error)
                log_warning("%s: %s", j->name, j->error);
        else
                log_info("%s: resumed.", j->name);
}

int libvirt_conn_resume_domain(LibvirtConn *lc, Guest *g) {
        ResumeJob *j;
        int r;

        if (lc->state != LIBVIRT_CONN_CONNECTED || !g->domain)
                return -ENOTCONN;
        j = new0(ResumeJob, 1);
        if (!j)
                return -ENOMEM;
        j->domain = g->domain;
        (void) virDomainRef(j->domain);
        (void) snprintf(j->name, sizeof(j->name), "%s", g->name);
        r = libvirt_worker_submit(lc->worker, NULL, resume_job_run, resume_job_done, resume_job_free, j);
        if (r < 0)
                resume_job_free(j);
        return r;
}

LibvirtWorker *libvirt_conn_worker(LibvirtConn *lc) {
        return lc && lc->state == LIBVIRT_CONN_CONNECTED ? lc->worker : NULL;
}

void libvirt_conn_cancel(LibvirtConn *lc, void *owner) {
        if (lc)
                libvirt_worker_cancel(lc->worker, owner);
}

/* ---- the object ---- */

static void quiet_error(void *userdata, virErrorPtr e) {
        /* libvirt prints every error on stderr by default; ours are logged where handled. */
}

int libvirt_conn_new(Manager *m, const char *uri, LibvirtConn **ret) {
        LibvirtConn *lc;
        int r;

        if (virInitialize() < 0)
                return -EIO;
        xmlInitParser(); /* before the workers parse XML */
        virSetErrorFunc(NULL, quiet_error);

        lc = new0(LibvirtConn, 1);
        if (!lc)
                return -ENOMEM;
        lc->manager = m;
        lc->uri = strdup(uri);
        if (!lc->uri) {
                free(lc);
                return -ENOMEM;
        }
        r = libvirt_worker_new(m->event, &lc->worker);
        if (r < 0) {
                free(lc->uri);
                free(lc);
                return r;
        }
        *ret = lc;
        return 0;
}

int libvirt_conn_start(LibvirtConn *lc) {
        return libvirt_conn_connect(lc);
}

LibvirtConn *libvirt_conn_free(LibvirtConn *lc) {
        CloseJob *j;

        if (!lc)
                return NULL;
        lc->generation++;
        lc->retry = sd_event_source_disable_unref(lc->retry);
        /* Closed on a worker, like every call; the worker waits for it a bounded time. */
        if (lc->conn) {
                j = new0(CloseJob, 1);
                if (j) {
                        j->conn = TAKE_PTR(lc->conn);
                        if (libvirt_worker_submit(lc->worker, NULL, nothing, NULL, close_job_free, j) < 0)
                                close_job_free(j);
                }
        }
        lc->worker = libvirt_worker_free(lc->worker);
        free(lc->uri);
        free(lc->last_error);
        free(lc->last_logged);
        free(lc);
        return NULL;
}

bool libvirt_conn_is_connected(const LibvirtConn *lc) {
        return lc && lc->state == LIBVIRT_CONN_CONNECTED;
}

LibvirtConnState libvirt_conn_get_state(const LibvirtConn *lc) {
        return lc->state;
}

const char *libvirt_conn_get_uri(const LibvirtConn *lc) {
        return lc->uri;
}

const char *libvirt_conn_get_error(const LibvirtConn *lc) {
        return lc->last_error;
}

unsigned long long libvirt_conn_get_connects(const LibvirtConn *lc) {
        return lc->connects;
}

static const char *const libvirt_conn_state_table[_LIBVIRT_CONN_STATE_MAX] = {
                [LIBVIRT_CONN_DISCONNECTED] = "disconnected",
                [LIBVIRT_CONN_CONNECTING] = "connecting",
                [LIBVIRT_CONN_CONNECTED] = "connected",
};

const char *libvirt_conn_state_to_string(LibvirtConnState s) {
        return s >= 0 && s < _LIBVIRT_CONN_STATE_MAX ? libvirt_conn_state_table[s] : NULL;
}
