/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "config.h"
#include "log.h"
#include "bridge-view.h"
#include "bridge.h"
#include "host-placement.h"
#include "libvirt-conn.h"
#include "libvirt-event.h"
#include "manager-bus.h"
#include "nic.h"
#include "request.h"

static void bridge_unstale(Manager *m, int ifindex) {
        for (size_t i = 0; i < m->n_stale_bridges; i++)
                if (m->stale_bridges[i] == ifindex) {
                        m->stale_bridges[i] = m->stale_bridges[--m->n_stale_bridges];
                        return;
                }
}

/* Uplink reports of bridges whose ports changed outside a pass: at most every
 * UPLINK_REFRESH_USEC, so that thousands of port notifications cost a few reads of the bridge. */
#define UPLINK_REFRESH_USEC (250 * 1000ULL)

static int on_uplink_refresh(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        while (m->n_stale_bridges > 0) {
                int ifindex = m->stale_bridges[--m->n_stale_bridges];
                BridgeView *v;

                if (manager_bridge_view(m, ifindex, &v) >= 0)
                        (void) manager_refresh_bridge_uplinks(m, v);
        }
        manager_drop_bridge_views(m);
        return 0;
}

void manager_bridge_stale(Manager *m, int ifindex) {
        int *a;

        if (ifindex <= 0)
                return;
        for (size_t i = 0; i < m->n_stale_bridges; i++)
                if (m->stale_bridges[i] == ifindex)
                        goto arm;
        a = reallocarray(m->stale_bridges, m->n_stale_bridges + 1, sizeof(int));
        if (!a)
                return; /* the next pass or resync refreshes it */
        m->stale_bridges = a;
        m->stale_bridges[m->n_stale_bridges++] = ifindex;
arm:
        if (sd_event_source_get_enabled(m->uplink_refresh, NULL) > 0)
                return;
        (void) sd_event_source_set_time_relative(m->uplink_refresh, UPLINK_REFRESH_USEC);
        (void) sd_event_source_set_enabled(m->uplink_refresh, SD_EVENT_ONESHOT);
}

/* Runs policy + reconcile for every dirty NIC, then sends what they queued. A defer source (not a
 * post source) so that NICs marked dirty while it runs, by an ioctl answered on the spot, get
 * their own pass in the next iteration. */
static int on_dirty(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        for (size_t i = 0; i < m->n_guests; i++) {
                Guest *g = m->guests[i];

                for (size_t j = 0; j < g->n_nics; j++) {
                        Nic *n = g->nics[j];

                        if (!n->dirty)
                                continue;
                        n->dirty = false;
                        m->n_dirty--;
                        (void) nic_reconcile(n);
                }
        }
        /* The bridges this pass read: their uplink reports come from the same reads. */
        for (size_t i = 0; i < m->n_bridge_views; i++) {
                (void) manager_refresh_bridge_uplinks(m, m->bridge_views[i]);
                bridge_unstale(m, m->bridge_views[i]->ifindex);
        }
        manager_drop_bridge_views(m);
        (void) manager_process_requests(m);
        if (m->n_dirty > 0)
                (void) sd_event_source_set_enabled(m->post, SD_EVENT_ONESHOT);
        return 0;
}

void manager_nic_dirty(Manager *m, Nic *nic) {
        if (!nic->dirty) {
                nic->dirty = true;
                m->n_dirty++;
        }
        (void) sd_event_source_set_enabled(m->post, SD_EVENT_ONESHOT);
}

void manager_kick(Manager *m) {
        (void) sd_event_source_set_enabled(m->post, SD_EVENT_ONESHOT);
}

Guest *manager_find_guest(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_guests; i++)
                if (streq(m->guests[i]->name, name))
                        return m->guests[i];
        return NULL;
}

Nic *manager_find_nic_by_ifindex(Manager *m, int ifindex) {
        for (size_t i = 0; i < m->n_guests; i++)
                for (size_t j = 0; j < m->guests[i]->n_nics; j++) {
                        Nic *n = m->guests[i]->nics[j];

                        if (n->has_host && n->host.ifindex == ifindex)
                                return n;
                }
        return NULL;
}

void manager_resync(Manager *m) {
        /* Domains whose events were missed (the XML is re-read; guests converge to it). */
        if (libvirt_conn_is_connected(m->libvirt))
                (void) libvirt_conn_refresh_all(m->libvirt);
        for (size_t i = 0; i < m->n_guests; i++) {
                Guest *g = m->guests[i];

                (void) guest_query_status(g); /* a migration whose events we did not get */
                (void) guest_query_vcpus(g);  /* vCPUs hot-plugged, threads restarted */
                guest_vhost_invalidate(g);    /* NICs hot-plugged: workers come and go */
                (void) guest_query_all(g);
                for (size_t j = 0; j < g->n_nics; j++) {
                        g->nics[j]->unconverged_rounds = 0;
                        manager_nic_dirty(m, g->nics[j]);
                }
        }
        host_placement_schedule(m, true); /* IRQs may have moved: placed again, failed writes retried */
}

static int on_resync(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        int r;

        manager_resync(m);
        r = sd_event_source_set_time_relative(s, m->config.resync_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

static int on_rtnl(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        int r;

        r = rtnl_process(m->rtnl);
        if (r < 0)
                log_warning_errno(r, "Failed to read netlink replies: %m");
        /* Answers make room for requests held back by the in-flight bound. */
        if (m->pending_head)
                (void) sd_event_source_set_enabled(m->post, SD_EVENT_ONESHOT);
        return 0;
}

/* A link we program changed: maybe by us, maybe behind our back. Level-triggered: just look. */
static void on_link(bool removed, const LinkInfo *link, void *userdata) {
        Manager *m = userdata;
        bool guests_on_bridge = false;

        for (size_t i = 0; i < m->n_guests; i++)
                for (size_t j = 0; j < m->guests[i]->n_nics; j++) {
                        Nic *n = m->guests[i]->nics[j];

                        /* Its device, or the uplink under it (why is that one promiscuous?). */
                        if ((n->has_host && (n->host.ifindex == link->ifindex ||
                                                            n->host.link_ifindex == link->ifindex)) ||
                                        streq_ptr(n->host_device, link->ifname))
                                manager_nic_dirty(m, n);
                        /* Another port of a bridge with guests: maybe its uplink changed. */
                        else if (link->master_ifindex > 0 && n->is_bridge_port && n->has_host &&
                                        n->host.master_ifindex == link->master_ifindex)
                                guests_on_bridge = true;
                }
        if (guests_on_bridge)
                manager_bridge_stale(m, link->master_ifindex);
}

/* An FDB entry changed on a port: a guest port's entries are ours to keep as decided. */
static void on_fdb(bool removed, const FdbEntry *e, void *userdata) {
        Manager *m = userdata;

        for (size_t i = 0; i < m->n_guests; i++)
                for (size_t j = 0; j < m->guests[i]->n_nics; j++) {
                        Nic *n = m->guests[i]->nics[j];

                        if (n->is_bridge_port && n->has_host && n->host.ifindex == e->ifindex)
                                manager_nic_dirty(m, n);
                }
}

/* A bridge port's flags or VLANs changed, or a port joined or left a bridge: a guest port itself
 * may need repair; any port of a bridge with guests changes what its uplinks report, which is
 * recomputed once for the bridge, not by reconciling every guest port on it. */
static void on_bridge_port(bool removed, const BridgePort *p, void *userdata) {
        Manager *m = userdata;
        bool guests_on_bridge = false;

        for (size_t i = 0; i < m->n_guests; i++)
                for (size_t j = 0; j < m->guests[i]->n_nics; j++) {
                        Nic *n = m->guests[i]->nics[j];

                        if (!n->has_host)
                                continue;
                        if (n->host.ifindex == p->ifindex)
                                manager_nic_dirty(m, n);
                        guests_on_bridge = guests_on_bridge ||
                                           (n->is_bridge_port && p->master_ifindex > 0 &&
                                                           n->host.master_ifindex == p->master_ifindex);
                }
        if (guests_on_bridge)
                manager_bridge_stale(m, p->master_ifindex);
}

static int on_monitor(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        int r;

        r = rtnl_monitor_process(m->rtnl);
        if (r < 0) {
                /* ENOBUFS: we missed notifications. Converge by looking at everything. */
                log_warning_errno(r, "Kernel notifications were lost (%m); resynchronising everything.");
                manager_resync(m);
        }
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        if (si->ssi_signo == SIGHUP) {
                (void) manager_reload(m);
                return 0;
        }
        log_info("Received %s, exiting.", strsignal((int) si->ssi_signo));
        return sd_event_exit(m->event, 0);
}

static int manager_add_guest(Manager *m, const ConfigGuest *cg) {
        Guest **a, *g;
        int r;

        r = guest_new(m, cg->name, cg->qmp_socket, &g);
        if (r < 0)
                return log_error_errno(r, "Failed to set up guest %s: %m", cg->name);
        a = realloc(m->guests, (m->n_guests + 1) * sizeof(Guest *));
        if (!a) {
                guest_free(g);
                return log_oom();
        }
        m->guests = a;
        m->guests[m->n_guests++] = g;
        (void) guest_start(g);
        return 0;
}

int manager_attach_guest(Manager *m, Guest *g) {
        Guest **a;

        a = realloc(m->guests, (m->n_guests + 1) * sizeof(Guest *));
        if (!a)
                return -ENOMEM;
        m->guests = a;
        m->guests[m->n_guests++] = g;
        return 0;
}

void manager_remove_guest(Manager *m, Guest *g) {
        for (size_t i = 0; i < m->n_guests; i++)
                if (m->guests[i] == g) {
                        memmove(m->guests + i, m->guests + i + 1, (m->n_guests - i - 1) * sizeof(Guest *));
                        m->n_guests--;
                        break;
                }
        guest_free(g);
        manager_kick(m); /* the removals the NICs queued as they went */
        host_placement_schedule(m, false);
}

static int manager_start_libvirt(Manager *m) {
        const char *uri = m->libvirt_uri_arg ?: m->config.libvirt_uri;
        int r;

        if (m->libvirt_arg == 0 || (m->libvirt_arg < 0 && !m->config.libvirt)) {
                log_info("Not following libvirt (%s).", m->libvirt_arg == 0 ? "--no-libvirt" : "Libvirt=no");
                return 0;
        }
        /* libvirt's event loop is ours: registered before the first connection. */
        r = libvirt_event_attach(m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to run libvirt's events on the loop: %m");
        r = libvirt_conn_new(m, uri, &m->libvirt);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the libvirt connection: %m");
        r = libvirt_conn_start(m->libvirt);
        if (r < 0)
                return log_error_errno(r, "Failed to start connecting to libvirt at %s: %m", uri);
        return 0;
}

static int manager_arm_resync(Manager *m) {
        int r;

        m->resync = sd_event_source_disable_unref(m->resync);
        if (m->config.resync_usec == 0)
                return 0;
        r = sd_event_add_time_relative(
                        m->event, &m->resync, CLOCK_MONOTONIC, m->config.resync_usec, 0, on_resync, m);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the resync timer: %m");
        return 0;
}

int manager_add_qmp_arg(Manager *m, const char *arg) {
        char **a, *d;

        d = strdup(arg);
        if (!d)
                return -ENOMEM;
        a = realloc(m->qmp_args, (m->n_qmp_args + 1) * sizeof(char *));
        if (!a) {
                free(d);
                return -ENOMEM;
        }
        m->qmp_args = a;
        m->qmp_args[m->n_qmp_args++] = d;
        return 0;
}

static const ConfigGuest *config_find_guest(const Config *c, const char *name) {
        for (size_t i = 0; i < c->n_guests; i++)
                if (streq(c->guests[i].name, name))
                        return &c->guests[i];
        return NULL;
}

int manager_reload(Manager *m) {
        _cleanup_free_ char *error = NULL;
        Config c;
        int r = 0, files = 0;

        /* Parse everything first: a file with an error must change nothing. */
        config_init(&c);
        for (size_t i = 0; i < m->n_qmp_args && r >= 0; i++)
                r = config_add_guest_arg(&c, m->qmp_args[i], &error);
        if (r >= 0)
                r = files = config_load(&c, m->config_path, m->config_optional, &error);
        if (r < 0) {
                log_error_errno(r, "Reloading failed, keeping the running configuration: %s",
                                error ?: "cannot read the configuration");
                config_done(&c);
                return r;
        }

        /* Guests that went away or moved to another socket are dropped (with their NICs). */
        for (size_t i = m->n_guests; i > 0; i--) {
                Guest *g = m->guests[i - 1];
                const ConfigGuest *cg = config_find_guest(&c, g->name);

                if (g->source != GUEST_SOURCE_QMP || (cg && streq(cg->qmp_socket, g->qmp_socket)))
                        continue;
                log_info("%s: %s the configuration, no longer followed.", g->name,
                                cg ? "moved in" : "removed from");
                guest_free(g);
                memmove(m->guests + i - 1, m->guests + i, (m->n_guests - i) * sizeof(Guest *));
                m->n_guests--;
        }

        if (c.libvirt != m->config.libvirt || !streq(c.libvirt_uri, m->config.libvirt_uri))
                log_notice("Libvirt= and LibvirtURI= take effect when vnicd restarts.");
        config_done(&m->config);
        m->config = c;
        if (m->log_level_arg < 0 && m->config.log_level >= 0)
                log_set_max_level(m->config.log_level);

        for (size_t i = 0; i < m->config.n_guests; i++)
                if (!manager_find_guest(m, m->config.guests[i].name))
                        (void) manager_add_guest(m, &m->config.guests[i]);
        for (size_t i = 0; i < m->n_guests; i++)
                for (size_t j = 0; j < m->guests[i]->n_nics; j++)
                        nic_apply_config(m->guests[i]->nics[j]);

        (void) manager_arm_resync(m);
        log_info("Reloaded %s and its drop-ins (%d file(s)): %zu guest(s), %zu interface(s).",
                        m->config_path, files, m->config.n_guests, m->config.n_interfaces);
        manager_resync(m);
        return 0;
}

int manager_new(Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = new0(Manager, 1);
        if (!m)
                return -ENOMEM;
        config_init(&m->config);
        m->log_level_arg = -1;
        m->libvirt_arg = -1;
        m->started_usec = now_usec(CLOCK_REALTIME);

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(m->event, &m->uplink_refresh, CLOCK_MONOTONIC, UPLINK_REFRESH_USEC, 0,
                        on_uplink_refresh, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(m->uplink_refresh, SD_EVENT_OFF);
        (void) sd_event_source_set_description(m->uplink_refresh, "uplink-refresh");
        r = sd_event_add_defer(m->event, &m->post, on_dirty, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(m->post, SD_EVENT_OFF);
        (void) sd_event_source_set_description(m->post, "reconcile");
        r = host_placement_new(m, &m->placement);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(m);
        return 0;
}

int manager_load_config(Manager *m, Config *config, const char *config_path, bool optional) {
        config_done(&m->config);
        m->config_optional = optional;
        m->config = *config;
        *config = (Config){};
        config_init(config);
        return free_and_strdup(&m->config_path, config_path);
}

int manager_start(Manager *m) {
        sigset_t mask;
        int r, monitor_fd;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        (void) sd_event_add_signal(m->event, NULL, SIGTERM, on_signal, m);
        (void) sd_event_add_signal(m->event, NULL, SIGINT, on_signal, m);
        (void) sd_event_add_signal(m->event, NULL, SIGHUP, on_signal, m);

        r = rtnl_new(&m->rtnl);
        if (r < 0)
                return log_error_errno(r, "Failed to open rtnetlink: %m");
        r = sd_event_add_io(m->event, &m->rtnl_io, rtnl_get_fd(m->rtnl), EPOLLIN, on_rtnl, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch rtnetlink: %m");
        r = rtnl_monitor_start(m->rtnl, on_link, m);
        if (r < 0)
                return log_error_errno(r, "Failed to start the link monitor: %m");
        monitor_fd = r;
        r = sd_event_add_io(m->event, &m->monitor_io, monitor_fd, EPOLLIN, on_monitor, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the link monitor: %m");
        /* Bridge FDB and port changes come on the same monitor socket (or a second one). */
        r = rtnl_monitor_start_neigh(m->rtnl, on_fdb, m);
        if (r < 0)
                return log_error_errno(r, "Failed to start the FDB monitor: %m");
        if (r != monitor_fd) {
                r = sd_event_add_io(m->event, &m->neigh_io, r, EPOLLIN, on_monitor, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch the FDB monitor: %m");
        }
        r = rtnl_monitor_start_bridge_port(m->rtnl, on_bridge_port, m);
        if (r < 0)
                return log_error_errno(r, "Failed to start the bridge port monitor: %m");

        r = manager_bus_start(m);
        if (r < 0)
                return r;

        for (size_t i = 0; i < m->config.n_guests; i++) {
                r = manager_add_guest(m, &m->config.guests[i]);
                if (r < 0)
                        return r;
        }

        r = manager_start_libvirt(m);
        if (r < 0)
                return r;

        r = manager_arm_resync(m);
        if (r < 0)
                return r;
        r = manager_start_queue_sampling(m);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the load sampling timer: %m");
        /* Without it, a tap's active pairs on a kernel that sends no RTM_NEWLINK for queue changes
         * are re-read at the resync and at each load sample only. */
        r = manager_start_queue_uevents(m);
        if (r < 0)
                log_warning_errno(r, "Failed to listen for kernel uevents, tap queue changes are seen at "
                                     "the next resync or load sample: %m");
        host_placement_schedule(m, true);

        log_info("vnicd " PACKAGE_VERSION " running: %zu guest(s), debounce %" PRIu64 " ms, "
                 "resync %" PRIu64 " s.",
                        m->n_guests, m->config.debounce_usec / 1000, m->config.resync_usec / 1000000);
        return 0;
}

int manager_run(Manager *m) {
        (void) sd_notify(false, "READY=1\nSTATUS=Following guests.");
        return sd_event_loop(m->event);
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        m->exiting = true;
        manager_free_requests(m);
        for (size_t i = 0; i < m->n_guests; i++)
                guest_free(m->guests[i]);
        free(m->guests);
        manager_free_requests(m); /* what the guests' NICs queued as they went: never sent */
        m->libvirt = libvirt_conn_free(m->libvirt);
        m->placement = host_placement_free(m->placement);
        libvirt_event_detach();
        manager_bus_stop(m);
        m->queue_sample = sd_event_source_disable_unref(m->queue_sample);
        m->uevent_io = sd_event_source_disable_unref(m->uevent_io);
        m->vhost_discover = sd_event_source_disable_unref(m->vhost_discover);
        m->rtnl_io = sd_event_source_disable_unref(m->rtnl_io);
        m->monitor_io = sd_event_source_disable_unref(m->monitor_io);
        m->neigh_io = sd_event_source_disable_unref(m->neigh_io);
        m->post = sd_event_source_disable_unref(m->post);
        m->resync = sd_event_source_disable_unref(m->resync);
        m->uplink_refresh = sd_event_source_disable_unref(m->uplink_refresh);
        manager_drop_bridge_views(m);
        free(m->stale_bridges);
        m->rtnl = rtnl_free(m->rtnl);
        sd_event_unref(m->event);
        config_done(&m->config);
        free(m->config_path);
        free(m->libvirt_uri_arg);
        for (size_t i = 0; i < m->n_qmp_args; i++)
                free(m->qmp_args[i]);
        free(m->qmp_args);
        free(m);
        return NULL;
}
