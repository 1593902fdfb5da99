/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "guest.h"
#include "host-placement.h"
#include "nic.h"

#define SYSFS_ROOT "/sys"
#define PROC_ROOT  "/proc"

_printf_(3, 4) static void set_status(char *buf, size_t size, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(buf, size, format, ap);
        va_end(ap);
}

static void uplink_placement_done(UplinkPlacement *u) {
        u->irqs = mfree(u->irqs);
        u->workers = mfree(u->workers);
        u->n_irqs = u->n_workers = 0;
}

static void placed_guests_free(PlacedGuest *g, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(g[i].name);
                free(g[i].threads);
                free(g[i].thread_cpus);
        }
        free(g);
}

static int on_pass(sd_event_source *s, void *userdata);

int host_placement_new(Manager *m, HostPlacement **ret) {
        HostPlacement *p = new0(HostPlacement, 1);
        int r;

        if (!p)
                return -ENOMEM;
        p->manager = m;
        r = sd_event_add_defer(m->event, &p->pass, on_pass, p);
        if (r < 0) {
                free(p);
                return r;
        }
        (void) sd_event_source_set_enabled(p->pass, SD_EVENT_OFF);
        (void) sd_event_source_set_description(p->pass, "placement");
        *ret = p;
        return 0;
}

HostPlacement *host_placement_free(HostPlacement *p) {
        if (!p)
                return NULL;
        p->pass = sd_event_source_disable_unref(p->pass);
        for (size_t i = 0; i < p->n_uplinks; i++)
                uplink_placement_done(&p->uplinks[i]);
        free(p->uplinks);
        placed_guests_free(p->guests, p->n_guests);
        free(p);
        return NULL;
}

void host_placement_schedule(Manager *m, bool force) {
        HostPlacement *p = m->placement;

        if (!p)
                return;
        p->force = p->force || force;
        (void) sd_event_source_set_enabled(p->pass, SD_EVENT_ONESHOT);
}

const PlacedGuest *host_placement_find_guest(const HostPlacement *p, const char *name) {
        for (size_t i = 0; p && i < p->n_guests; i++)
                if (streq(p->guests[i].name, name))
                        return &p->guests[i];
        return NULL;
}

const UplinkPlacement *host_placement_find_uplink(const HostPlacement *p, const char *name) {
        for (size_t i = 0; p && i < p->n_uplinks; i++)
                if (streq(p->uplinks[i].name, name))
                        return &p->uplinks[i];
        return NULL;
}

static bool nic_on_uplink(const Nic *n, const char *uplink) {
        if (n->has_uplink && streq(n->uplink.ifname, uplink))
                return true;
        for (size_t i = 0; i < n->n_uplinks; i++)
                if (streq(n->uplinks[i].ifname, uplink))
                        return true;
        return false;
}

/* The first [Uplink] one of the guest's NICs is on (a macvtap's lower device, a port of its
 * bridge), or NULL. */
static const ConfigUplink *guest_uplink(const Config *c, const Guest *g) {
        for (size_t k = 0; k < c->n_uplinks; k++)
                for (size_t i = 0; i < g->n_nics; i++)
                        if (nic_on_uplink(g->nics[i], c->uplinks[k].name))
                                return &c->uplinks[k];
        return NULL;
}

/* Each guest's vCPU threads and where they may run. */
static int read_guests(HostPlacement *p) {
        Manager *m = p->manager;
        PlacedGuest *guests = new0(PlacedGuest, MAX(m->n_guests, (size_t) 1));

        if (!guests)
                return -ENOMEM;
        p->pinned_vcpus = (CpuSet){};
        for (size_t i = 0; i < m->n_guests; i++) {
                const Guest *g = m->guests[i];
                const ConfigUplink *u = guest_uplink(&m->config, g);
                PlacedGuest *pg = &guests[i];

                pg->name = strdup(g->name);
                pg->threads = new0(pid_t, MAX(g->n_vcpus, (size_t) 1));
                pg->thread_cpus = new0(CpuSet, MAX(g->n_vcpus, (size_t) 1));
                if (!pg->name || !pg->threads || !pg->thread_cpus) {
                        placed_guests_free(guests, m->n_guests);
                        return -ENOMEM;
                }
                if (u)
                        (void) snprintf(pg->uplink, sizeof(pg->uplink), "%s", u->name);
                for (size_t j = 0; j < g->n_vcpus; j++) {
                        pg->threads[j] = g->vcpus[j].thread_id;
                        if (thread_affinity_get(pg->threads[j], &pg->thread_cpus[j]) >= 0)
                                cpu_set_union(&pg->vcpus, &pg->thread_cpus[j]);
                }
                pg->n_threads = g->n_vcpus;
                /* No vCPU thread known: it may run anywhere, which nothing can avoid. */
                if (cpu_set_is_empty(&pg->vcpus))
                        pg->vcpus = p->online;
                {
                        CpuSet rest = p->online;

                        cpu_set_subtract(&rest, &pg->vcpus);
                        pg->pinned = !cpu_set_is_empty(&rest);
                }
                if (pg->pinned)
                        cpu_set_union(&p->pinned_vcpus, &pg->vcpus);
        }
        placed_guests_free(p->guests, p->n_guests);
        p->guests = guests;
        p->n_guests = m->n_guests;
        return 0;
}

static const PlacedItem *find_item(const PlacedItem *items, size_t n, unsigned irq, pid_t tid) {
        for (size_t i = 0; i < n; i++)
                if (items[i].irq == irq && items[i].tid == tid)
                        return &items[i];
        return NULL;
}

/* The uplink's IRQs now, keeping what earlier passes learned about each (managed, failed writes). */
/* 'function' gets the NIC's PCI function ("" none), for saying why there are no IRQs. */
static int read_irqs(UplinkPlacement *u, PlacedItem **ret, size_t *ret_n,
                char function[static PLACEMENT_DEVICE_MAX]) {
        _cleanup_free_ unsigned *irqs = NULL;
        _cleanup_free_ char *names = NULL;
        PlacedItem *items;
        size_t n = 0;
        int r;

        r = uplink_msi_irqs(SYSFS_ROOT, u->name, &irqs, &n, function);
        if (r < 0)
                return r;
        n = MIN(n, (size_t) PLACEMENT_IRQS_MAX);
        items = new0(PlacedItem, MAX(n, (size_t) 1));
        names = new0(char, MAX(n, (size_t) 1) * PROC_INTERRUPTS_NAME_MAX);
        if (!items || !names) {
                free(items);
                return -ENOMEM;
        }
        (void) irq_names_read(PROC_ROOT, irqs, n, names, PROC_INTERRUPTS_NAME_MAX);
        for (size_t i = 0; i < n; i++) {
                const PlacedItem *old = find_item(u->irqs, u->n_irqs, irqs[i], 0);

                if (old)
                        items[i] = *old;
                items[i].irq = irqs[i];
                (void) snprintf(items[i].name, sizeof(items[i].name), "%s",
                                names + i * PROC_INTERRUPTS_NAME_MAX);
                items[i].has_current = irq_affinity_read(PROC_ROOT, irqs[i], &items[i].current) >= 0;
        }
        *ret = items;
        *ret_n = n;
        return 0;
}

static void item_write_failed(UplinkPlacement *u, PlacedItem *it, int r, const char *what) {
        it->error = r;
        it->error_wanted = it->wanted;
        if (ratelimit_below(&u->log_rl)) {
                _cleanup_free_ char *cpus = cpu_set_to_string(&it->wanted);

                log_warning_errno(r, "Uplink %s: cannot move %s to CPUs %s: %m", u->name, what,
                                strempty(cpus));
        }
}

static void item_written(UplinkPlacement *u, PlacedItem *it, const char *what) {
        _cleanup_free_ char *cpus = cpu_set_to_string(&it->wanted);

        it->error = 0;
        it->current = it->wanted;
        it->has_current = true;
        it->changed_usec = u->last_change_usec = now_usec(CLOCK_REALTIME);
        u->changes++;
        log_info("Uplink %s: %s moved to CPUs %s: %s", u->name, what, strempty(cpus), it->reason);
}

/* Whether to write 'it' now: it differs, and did not fail for the same CPUs since the last forced
 * pass. */
static bool item_needs_write(const PlacedItem *it, bool force) {
        if (cpu_set_is_empty(&it->wanted))
                return false;
        if (it->has_current && cpu_set_equal(&it->current, &it->wanted))
                return false;
        return force || it->error == 0 || !cpu_set_equal(&it->error_wanted, &it->wanted);
}

/* Returns true when an IRQ turned out to be managed: the policy must see it (another pass). */
static bool apply_irqs(UplinkPlacement *u, bool force) {
        bool again = false;

        for (size_t i = 0; i < u->n_irqs; i++) {
                PlacedItem *it = &u->irqs[i];
                char what[PROC_INTERRUPTS_NAME_MAX + 32];
                int r;

                if (!item_needs_write(it, force))
                        continue;
                (void) snprintf(what, sizeof(what), "IRQ %u%s%s", it->irq, it->name[0] ? " " : "", it->name);
                r = irq_affinity_write(PROC_ROOT, it->irq, &it->wanted);
                if (r == -EIO) {
                        /* Managed IRQs (the driver spreads them itself) refuse any affinity. */
                        log_debug("Uplink %s: %s: the kernel manages its affinity (EIO), left alone.",
                                        u->name, what);
                        it->managed = true;
                        it->error = r;
                        it->error_wanted = it->wanted;
                        again = true;
                } else if (r < 0)
                        item_write_failed(u, it, r, what);
                else
                        item_written(u, it, what);
                if (r >= 0)
                        (void) irq_affinity_read(PROC_ROOT, it->irq, &it->current);
        }
        return again;
}

/* Whether 'tid' is still a vhost worker of guest 'g''s QEMU, right before a write: the tid comes
 * from the last discovery and may have been reused by an unrelated task since. -ESRCH when not. */
static int worker_check(const Guest *g, pid_t tid) {
        uint64_t ticks;

        if (!g || g->vhost.qemu_pid <= 0)
                return -ESRCH;
        for (size_t i = 0; i < g->vhost.n_workers; i++)
                if (g->vhost.workers[i].tid == tid)
                        return vhost_worker_read_ticks(
                                        PROC_ROOT, g->vhost.qemu_pid, &g->vhost.workers[i], &ticks);
        return -ESRCH;
}

static void apply_workers(HostPlacement *p, UplinkPlacement *u, bool force) {
        size_t kept = 0;

        for (size_t i = 0; i < u->n_workers; i++) {
                PlacedItem *it = &u->workers[i];
                char what[64];
                int r = 0;

                (void) snprintf(what, sizeof(what), "vhost worker %d", (int) it->tid);
                if (item_needs_write(it, force)) {
                        Guest *g = manager_find_guest(p->manager, it->name);

                        r = worker_check(g, it->tid);
                        if (r >= 0)
                                r = thread_affinity_set(it->tid, &it->wanted);
                        if (r == -ESRCH) {
                                /* It exited (a NIC unplugged, QEMU stopping), or its tid is another
                                 * task's now: the guest looks again. */
                                log_debug("Uplink %s: %s of %s is gone.", u->name, what, it->name);
                                if (g)
                                        guest_vhost_invalidate(g);
                                continue;
                        }
                        if (r < 0)
                                item_write_failed(u, it, r, what);
                        else
                                item_written(u, it, what);
                        if (r >= 0)
                                it->has_current = thread_affinity_get(it->tid, &it->current) >= 0;
                }
                u->workers[kept++] = *it;
        }
        u->n_workers = kept;
}

/* The workers of the guests this uplink places, keeping what earlier passes learned. */
static int read_workers(HostPlacement *p, UplinkPlacement *u, PlacementGuest *pguests, size_t *n_pguests,
                pid_t *tids, PlacedItem **ret, size_t *ret_n) {
        Manager *m = p->manager;
        PlacedItem *items = new0(PlacedItem, PLACEMENT_WORKERS_MAX);
        size_t n = 0, ng = 0;

        if (!items)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_guests && i < p->n_guests; i++) {
                const Guest *g = m->guests[i];
                const PlacedGuest *pg = &p->guests[i];
                size_t first = n;

                if (!streq(pg->uplink, u->name) || g->vhost.n_workers == 0)
                        continue;
                if (ng >= PLACEMENT_GUESTS_MAX)
                        break;
                for (size_t j = 0; j < g->vhost.n_workers && n < PLACEMENT_WORKERS_MAX; j++) {
                        const PlacedItem *old =
                                        find_item(u->workers, u->n_workers, 0, g->vhost.workers[j].tid);
                        PlacedItem *it = &items[n];

                        if (old)
                                *it = *old;
                        it->tid = tids[n] = g->vhost.workers[j].tid;
                        (void) snprintf(it->name, sizeof(it->name), "%s", g->name);
                        it->has_current = thread_affinity_get(it->tid, &it->current) >= 0;
                        n++;
                }
                pguests[ng++] = (PlacementGuest){
                                .name = pg->name,
                                .vcpus = pg->vcpus,
                                .workers = tids + first,
                                .n_workers = n - first,
                };
        }
        *n_pguests = ng;
        *ret = items;
        *ret_n = n;
        return 0;
}

static void uplink_pass(HostPlacement *p, UplinkPlacement *u, const ConfigUplink *cu, PlacementDecision *d) {
        _cleanup_free_ PlacementIrq *pirqs = NULL;
        _cleanup_free_ PlacementGuest *pguests = new0(PlacementGuest, PLACEMENT_GUESTS_MAX);
        _cleanup_free_ pid_t *tids = new0(pid_t, PLACEMENT_WORKERS_MAX);
        Config *c = &p->manager->config;
        PlacedItem *irqs = NULL, *workers = NULL;
        char function[PLACEMENT_DEVICE_MAX];
        size_t n_irqs = 0, n_workers = 0, n_pguests = 0;
        PlacementFacts f;
        bool force = p->force;
        int r;

        u->mode = config_uplink_placement(c, cu);
        if (!pguests || !tids) {
                set_status(u->status, sizeof(u->status), "out of memory");
                return;
        }
        r = uplink_numa_node(SYSFS_ROOT, u->name, &u->numa_node, u->device);
        if (r == 0)
                r = read_irqs(u, &irqs, &n_irqs, function);
        if (r < 0) {
                u->has_facts = false;
                uplink_placement_done(u);
                if (r == -ENODEV)
                        set_status(u->status, sizeof(u->status), "no interface %s here: nothing placed",
                                        u->name);
                else if (r == -ENXIO)
                        set_status(u->status, sizeof(u->status),
                                        "%s has no device (a virtual interface): no IRQs, no NUMA node",
                                        u->name);
                else {
                        errno = -r;
                        set_status(u->status, sizeof(u->status), "cannot read %s's device: %m", u->name);
                }
                return;
        }
        u->has_facts = true;
        u->node_cpus = (CpuSet){};
        if (u->numa_node >= 0 && numa_node_cpus_read(SYSFS_ROOT, u->numa_node, &u->node_cpus) < 0)
                u->node_cpus = (CpuSet){};
        if (u->numa_node >= 0)
                set_status(u->status, sizeof(u->status), "NUMA node %d from %s/numa_node", u->numa_node,
                                u->device);
        else
                set_status(u->status, sizeof(u->status),
                                "no NUMA node: neither %s nor a parent names one (numa_node -1 or absent); "
                                "all online CPUs are candidates",
                                u->device);
        if (n_irqs == 0) {
                size_t len = strlen(u->status);

                /* Only the NIC's own PCI function's IRQs are placed, never a bridge's above it. */
                if (function[0])
                        set_status(u->status + len, sizeof(u->status) - len,
                                        "; no MSI/MSI-X IRQs: the NIC uses INTx; no IRQ placed");
                else
                        set_status(u->status + len, sizeof(u->status) - len,
                                        "; no PCI function (a USB NIC?), no IRQs of its own found; no IRQ "
                                        "placed");
        }

        r = read_workers(p, u, pguests, &n_pguests, tids, &workers, &n_workers);
        pirqs = new0(PlacementIrq, MAX(n_irqs, (size_t) 1));
        if (r < 0 || !pirqs) {
                free(irqs);
                free(workers);
                set_status(u->status, sizeof(u->status), "out of memory");
                return;
        }
        for (size_t i = 0; i < n_irqs; i++)
                pirqs[i] = (PlacementIrq){
                                .irq = irqs[i].irq,
                                .name = irqs[i].name[0] ? irqs[i].name : NULL,
                                .managed = irqs[i].managed,
                };
        f = (PlacementFacts){
                        .uplink = u->name,
                        .online = p->online,
                        .reserved = c->reserved_cpus,
                        .isolated = p->isolated,
                        .numa_node = u->numa_node,
                        .node_cpus = u->node_cpus,
                        .pinned_vcpus = p->pinned_vcpus,
                        .irqs = pirqs,
                        .n_irqs = n_irqs,
                        .guests = pguests,
                        .n_guests = n_pguests,
        };
        r = placement_decide(&f, d);
        if (r < 0) {
                free(irqs);
                free(workers);
                uplink_placement_done(u);
                errno = -r;
                set_status(u->status, sizeof(u->status), "the placement policy refused the facts: %m");
                return;
        }
        for (size_t i = 0; i < n_irqs; i++) {
                irqs[i].rule = d->irqs[i].rule;
                irqs[i].wanted = d->irqs[i].cpus;
                memcpy(irqs[i].reason, d->irqs[i].reason, sizeof(irqs[i].reason));
        }
        for (size_t i = 0; i < n_workers; i++) {
                workers[i].rule = d->workers[i].rule;
                workers[i].wanted = d->workers[i].cpus;
                memcpy(workers[i].reason, d->workers[i].reason, sizeof(workers[i].reason));
        }
        free(u->irqs);
        free(u->workers);
        u->irqs = irqs;
        u->n_irqs = n_irqs;
        u->workers = workers;
        u->n_workers = n_workers;

        if (u->mode != PLACEMENT_MODE_APPLY)
                return;
        if (apply_irqs(u, force))
                host_placement_schedule(p->manager, false);
        apply_workers(p, u, force);
}

static int on_pass(sd_event_source *s, void *userdata) {
        _cleanup_free_ PlacementDecision *d = new0(PlacementDecision, 1);
        HostPlacement *p = userdata;
        Config *c = &p->manager->config;
        UplinkPlacement *uplinks;
        int r;

        if (!d)
                return log_oom();
        p->passes++;
        p->pass_usec = now_usec(CLOCK_REALTIME);
        r = host_cpus_read(SYSFS_ROOT, &p->online, &p->isolated);
        if (r < 0) {
                errno = -r;
                set_status(p->status, sizeof(p->status), "cannot read the online CPUs: %m");
                return 0;
        }
        p->status[0] = 0;
        if (process_find_by_comm(PROC_ROOT, "irqbalance", 0, &p->irqbalance) < 0)
                p->irqbalance = 0;
        r = read_guests(p);
        if (r < 0)
                return log_oom();

        /* The uplinks as configured now (a reload adds and removes), keeping what each learned. */
        uplinks = new0(UplinkPlacement, MAX(c->n_uplinks, (size_t) 1));
        if (!uplinks)
                return log_oom();
        for (size_t i = 0; i < c->n_uplinks; i++) {
                const UplinkPlacement *old = host_placement_find_uplink(p, c->uplinks[i].name);

                if (old) {
                        uplinks[i] = *old;
                        *(UplinkPlacement *) old = (UplinkPlacement){};
                } else {
                        (void) snprintf(uplinks[i].name, sizeof(uplinks[i].name), "%s", c->uplinks[i].name);
                        uplinks[i].log_rl = (RateLimit){.interval_usec = 60ULL * USEC_PER_SEC, .burst = 5};
                }
        }
        for (size_t i = 0; i < p->n_uplinks; i++)
                uplink_placement_done(&p->uplinks[i]);
        free(p->uplinks);
        p->uplinks = uplinks;
        p->n_uplinks = c->n_uplinks;

        for (size_t i = 0; i < p->n_uplinks; i++)
                uplink_pass(p, &p->uplinks[i], &c->uplinks[i], d);
        irqbalance_ban_sync(p, p->force);
        p->force = false;
        return 0;
}
