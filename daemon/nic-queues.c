/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "nic-queues.h"
#include "nic-bus.h"
#include "nic.h"

void nic_queues_seen(const Nic *n, NicQueuesSeen *ret) {
        NicQueuesSeen *q = ret;
        const LinkInfo *h = &n->host;
        bool tap = n->has_host && streq(h->kind, "tun");

        *q = (NicQueuesSeen){};
        if (n->has_interface && n->iface.queues > 0) {
                q->max = n->iface.queues;
                (void) snprintf(q->max_source, sizeof(q->max_source), "libvirt: <driver queues='%u'/>",
                                n->iface.queues);
        } else if (n->has_interface && n->has_host) {
                q->max = 1;
                (void) snprintf(q->max_source, sizeof(q->max_source),
                                "libvirt: no <driver queues='N'/>, one pair");
        } else if (tap && !h->tun_multi_queue) {
                q->max = 1;
                (void) snprintf(q->max_source, sizeof(q->max_source), "single-queue tap %s", h->ifname);
        } else if (tap && h->has_tun_queues) {
                /* QEMU opens the tap once per pair and detaches the ones the guest does not use. */
                q->max = MAX(h->tun_queues + h->tun_disabled_queues, 1u);
                (void) snprintf(q->max_source, sizeof(q->max_source), "%s %s: %u queues opened by QEMU",
                                h->tun_multi_queue ? "multiqueue tap" : "single-queue tap", h->ifname,
                                q->max);
        } else
                (void) snprintf(q->max_source, sizeof(q->max_source), "%s",
                                n->has_host ? "not known: the host device does not say and no <driver "
                                              "queues>"
                                            : "not known: host device not read");

        if (tap && !h->tun_multi_queue) {
                q->active = 1;
                (void) snprintf(q->active_source, sizeof(q->active_source), "single-queue tap %s: one pair",
                                h->ifname);
        } else if (tap && h->has_tun_queues) {
                q->active = h->tun_queues;
                (void) snprintf(q->active_source, sizeof(q->active_source),
                                "tap %s: %u queues attached, %u detached (kernel, IFLA_TUN_NUM_QUEUES)",
                                h->ifname, h->tun_queues, h->tun_disabled_queues);
        } else if (nic_queues_agent_wanted(n))
                q->active = nic_queues_agent_source(n, "not known: a macvtap reports no queue changes",
                                q->active_source, sizeof(q->active_source));
        else if (n->has_host && streq(h->kind, "macvtap"))
                (void) snprintf(q->active_source, sizeof(q->active_source),
                                "not known: a macvtap reports no queue changes");
        else
                (void) snprintf(q->active_source, sizeof(q->active_source), "not known: %s",
                                n->has_host ? "the host device reports no queues" : "host device not read");
        /* A tap QEMU opened fewer times than libvirt asked for: believe the kernel. */
        if (q->active > q->max && q->max > 0)
                q->max = q->active;
}

/* The guest's vhost workers' CPU times go with the sample, all of them: the kernel does not say
 * which serve this NIC. A sample where one could not be read has none (the policy leaves its
 * intervals out), and a new set of workers drops the older samples' figures. */
static void queues_sample_workers(NicQueues *q, const GuestVhost *v) {
        MultiqueueSample *s = &q->samples[q->n_samples - 1];
        long ticks_per_sec = sysconf(_SC_CLK_TCK);

        if (v->generation != q->worker_generation) {
                for (size_t i = 0; i < q->n_samples; i++)
                        q->samples[i].n_workers = 0;
                q->worker_generation = v->generation;
        }
        for (size_t i = 0; i + 1 < q->n_samples; i++)
                q->samples[i].worker_cpu_usec = q->worker_usec[i]; /* moved with the window */
        if (!v->complete || v->n_workers == 0 || v->n_workers > NIC_QUEUES_WORKERS_MAX || ticks_per_sec <= 0)
                return;
        for (size_t w = 0; w < v->n_workers; w++)
                q->worker_usec[q->n_samples - 1][w] =
                                v->workers[w].ticks * USEC_PER_SEC / (uint64_t) ticks_per_sec;
        s->n_workers = v->n_workers;
        s->worker_cpu_usec = q->worker_usec[q->n_samples - 1];
}

static void queues_status(NicQueues *q, const char *why) {
        q->has_decision = false;
        (void) snprintf(q->status, sizeof(q->status), "%s", why);
}

int nic_queues_sample(Nic *n, const MultiqueueConfig *c, double *ret_rate) {
        NicQueues *q = &n->queues;
        const Guest *g = n->guest;
        NicQueuesSeen seen;
        MultiqueueSample *s;
        MultiqueueDecision d;
        MultiqueueInput in;
        LinkStats st;
        LinkInfo li;
        size_t window;
        unsigned vcpus;
        int r;

        *ret_rate = 0;
        if (!n->has_host)
                return -ENODEV;
        r = rtnl_link_get_stats(g->manager->rtnl, n->host.ifindex, &li, &st);
        if (r < 0)
                return r;

        /* Room for the new sample within the window (which a reload may have made shorter). */
        window = (size_t) g->manager->config.window_samples;
        while (q->n_samples >= window) {
                memmove(q->samples, q->samples + 1, (q->n_samples - 1) * sizeof(MultiqueueSample));
                memmove(q->worker_usec, q->worker_usec + 1, (q->n_samples - 1) * sizeof(q->worker_usec[0]));
                memmove(q->queue_packets, q->queue_packets + 1,
                                (q->n_samples - 1) * sizeof(q->queue_packets[0]));
                q->n_samples--;
        }
        s = &q->samples[q->n_samples++];
        *s = (MultiqueueSample){
                        .time_usec = now_usec(CLOCK_MONOTONIC),
                        .rx_packets = st.rx_packets,
                        .tx_packets = st.tx_packets,
                        .rx_bytes = st.rx_bytes,
                        .tx_bytes = st.tx_bytes,
        };
        queues_sample_workers(q, &g->vhost);
        for (size_t i = 0; i + 1 < q->n_samples; i++)
                if (q->samples[i].n_queues > 0)
                        q->samples[i].queue_packets = q->queue_packets[i]; /* moved with the window */
        nic_queues_guest_stats_take(n, q->n_samples - 1);
        if (q->n_samples >= 2) {
                const MultiqueueSample *p = s - 1;
                uint64_t dt = s->time_usec - p->time_usec;
                uint64_t now = s->rx_packets + s->tx_packets, before = p->rx_packets + p->tx_packets;

                if (dt > 0 && now >= before)
                        *ret_rate = (double) (now - before) * 1e6 / (double) dt;
        }

        nic_queues_agent_read(n, c); /* where the host device cannot tell; when one is due */
        /* The guest's counters only while the NIC carries traffic: never at an idle sample. */
        nic_queues_guest_stats_read(n, c, q->n_samples >= 2 && *ret_rate >= (double) c->idle_packet_rate);
        nic_queues_seen(n, &seen);
        if (seen.max == 0) {
                queues_status(q, "no recommendation: the most pairs the NIC can have is not known");
                return 0;
        }
        vcpus = guest_vcpu_count(g, NULL);
        if (vcpus == 0) {
                queues_status(q, "no recommendation: the guest's vCPUs are not known yet");
                return 0;
        }
        in = (MultiqueueInput){
                        .samples = q->samples,
                        .n_samples = q->n_samples,
                        .vcpus = vcpus,
                        .max_pairs = MIN(seen.max, (unsigned) MULTIQUEUE_PAIRS_MAX),
                        .active_pairs = seen.active <= seen.max ? seen.active : 0,
                        .state = q->state,
        };
        r = multiqueue_decide(&in, c, &d);
        if (r < 0) {
                char why[NIC_QUEUES_SOURCE_MAX];

                errno = -r;
                (void) snprintf(why, sizeof(why), "no recommendation: the multiqueue policy refused: %m");
                queues_status(q, why);
                return 0;
        }
        if (d.load.has_workers) {
                size_t k = strlen(d.reason);

                (void) snprintf(d.reason + k, sizeof(d.reason) - k,
                                " (the busiest of the guest's %zu vhost workers: the kernel does not say "
                                "which "
                                "queue a worker serves)",
                                d.load.n_workers);
        }
        if (d.changed)
                log_nic_info(n, "multiqueue: %u pairs recommended (%s): %s", d.pairs,
                                multiqueue_rule_to_string(d.rule), d.reason);
        /* Subscribers hear of a new recommendation or rule, not of every sample. */
        if (!q->has_decision || d.pairs != q->decision.pairs || d.rule != q->decision.rule)
                nic_bus_emit_changed(n);
        q->state = d.state;
        q->decision = d;
        q->has_decision = true;
        q->status[0] = 0;
        nic_queues_act(n, c);
        return 0;
}

void nic_queues_command(const NicQueues *q, const NicQueuesSeen *seen, char *buf, size_t size) {
        size_t k;

        buf[0] = 0;
        if (!q->has_decision)
                return;
        if (seen->active == 0 || seen->active != q->decision.pairs)
                (void) snprintf(buf, size, "in the guest: ethtool -L %s combined %u",
                                q->agent.has_channels ? q->agent.dev : "<its interface>", q->decision.pairs);
        /* More than this boot's max: only a new <driver queues> and a fresh start of QEMU give them. */
        k = strlen(buf);
        if (q->decision.boot_pairs > seen->max && k < size)
                (void) snprintf(buf + k, size - k,
                                "%sfor the next boot: <driver queues='%u'/> in the domain XML (virsh edit)",
                                k > 0 ? "; " : "", q->decision.boot_pairs);
}

/* Sampling runs on one manager timer: every MultiqueueSampleSec= while a NIC carries more than
 * MultiqueueIdlePacketRate=, else every MultiqueueIdleSampleSec= (an idle host costs one RTM_GETLINK
 * per NIC per half minute by default). */
static int on_queue_sample(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        const MultiqueueConfig *c = &m->config.multiqueue; /* verified when the file was read */
        bool busy = false;
        int r;

        for (size_t i = 0; i < m->n_guests; i++) {
                /* The workers first: their CPU times go with each of the guest's NIC samples. */
                if (m->guests[i]->n_nics > 0)
                        guest_vhost_sample(m->guests[i]);
                for (size_t j = 0; j < m->guests[i]->n_nics; j++) {
                        Nic *n = m->guests[i]->nics[j];
                        double rate;

                        if (!n->has_host || n->state == NIC_STATE_GONE)
                                continue;
                        if (nic_queues_sample(n, c, &rate) < 0)
                                continue;
                        busy = busy || rate >= (double) c->idle_packet_rate;
                }
        }
        r = sd_event_source_set_time_relative(
                        s, busy ? m->config.sample_usec
                                : MAX(m->config.idle_sample_usec, m->config.sample_usec));
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

int manager_start_queue_sampling(Manager *m) {
        m->queue_sample = sd_event_source_disable_unref(m->queue_sample);
        return sd_event_add_time_relative(m->event, &m->queue_sample, CLOCK_MONOTONIC, m->config.sample_usec,
                        0, on_queue_sample, m);
}
