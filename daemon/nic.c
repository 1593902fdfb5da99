/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "nic-bus.h"
#include "nic.h"
#include "request.h"

/* Write rounds that end without the host matching the decision before we call it a failure
 * (something else keeps changing the device back, or the kernel ignores us). */
#define NIC_UNCONVERGED_MAX 3

/* sd-event lets a timer with accuracy 0 slip by up to 250 ms to batch wake-ups: far more than the
 * debounce itself. 1 ms keeps the delay what DebounceSec says. */
#define NIC_DEBOUNCE_ACCURACY_USEC 1000ULL

static const char *const nic_state_table[_NIC_STATE_MAX] = {
                [NIC_STATE_PENDING] = "pending",
                [NIC_STATE_CONFIGURING] = "configuring",
                [NIC_STATE_CONFIGURED] = "configured",
                [NIC_STATE_FAILED] = "failed",
                [NIC_STATE_GONE] = "gone",
                [NIC_STATE_UNMANAGED] = "unmanaged",
};

const char *nic_state_to_string(NicState s) {
        return s >= 0 && s < _NIC_STATE_MAX ? nic_state_table[s] : NULL;
}

int log_nic_internal(const Nic *n, int level, int error, const char *format, ...) {
        char msg[1536], f_guest[96], f_nic[160], f_if[48];
        const char *fields[4] = {};
        size_t k = 0;
        va_list ap;

        errno = abs(error);
        va_start(ap, format);
        (void) vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);

        if (n->guest) {
                (void) snprintf(f_guest, sizeof(f_guest), "VNIC_GUEST=%s", n->guest->name);
                fields[k++] = f_guest;
        }
        (void) snprintf(f_nic, sizeof(f_nic), "VNIC_NIC=%s", n->name);
        fields[k++] = f_nic;
        if (n->host_device) {
                (void) snprintf(f_if, sizeof(f_if), "INTERFACE=%s", n->host_device);
                fields[k++] = f_if;
        }
        return log_internal(
                        level, error, fields, "%s/%s: %s", n->guest ? n->guest->name : "?", n->name, msg);
}

static Nic *nic_free(Nic *n) {
        if (!n)
                return NULL;
        n->debounce = sd_event_source_disable_unref(n->debounce);
        n->mac_hold_timer = sd_event_source_disable_unref(n->mac_hold_timer);
        free(n->name);
        free(n->path);
        free(n->bus_path);
        free(n->host_device);
        free(n->host_device_origin);
        free(n->discovered_device);
        free(n->discovered_how);
        free(n->trust_origin);
        free(n->settings_origin);
        for (NicSetting w = 0; w < _NIC_SETTING_MAX; w++)
                free(n->setting_origins[w]);
        free(n->config_error);
        free(n->last_error);
        free(n->host_mc);
        free(n->port_fdb);
        free(n->port_mdb);
        free(n->uplinks);
        free(n);
        return NULL;
}

DEFINE_TRIVIAL_REF_UNREF_FUNC(Nic, nic, nic_free);

static const char *setting_origin_words(SettingOrigin o) {
        switch (o) {
        case SETTING_ORIGIN_INTERFACE:
                return "on the interface";
        case SETTING_ORIGIN_PORTGROUP:
                return "from its portgroup";
        case SETTING_ORIGIN_NETWORK:
                return "from its network";
        default:
                return "";
        }
}

enum { LAYER_METADATA, LAYER_INTERFACE, LAYER_LIBVIRT_TRUST, LAYER_MANAGER, _LAYER_MAX };

/* Where a layer's settings are written, for messages. */
static void layer_origin(const Nic *n, int layer, const DomainMetadataNic *md, const ConfigInterface *ci,
                char *buf, size_t size) {
        switch (layer) {
        case LAYER_METADATA:
                (void) snprintf(buf, size, "the domain's vnicd metadata (line %u)", md->line);
                break;
        case LAYER_INTERFACE:
                (void) snprintf(buf, size, "[Interface] %s/%s (line %u)", n->guest->name, n->name, ci->line);
                break;
        case LAYER_MANAGER:
                (void) snprintf(buf, size, "[Manager]");
                break;
        default:
                (void) snprintf(buf, size, "defaults");
        }
}

/* The per-NIC settings from every layer (nic_settings_merge() is the rule): the domain's vnicd
 * metadata (libvirt guests), the [Interface] section (QMP guests), libvirt's trustGuestRxFilters
 * (for trust only), the host defaults of [Manager]. */
static void nic_merge_settings(Nic *n, const DomainMetadataNic *md, const ConfigInterface *ci) {
        const Config *c = &n->guest->manager->config;
        NicSettings libvirt_trust;
        const NicSettings *layers[_LAYER_MAX] = {};
        int from[_NIC_SETTING_MAX];
        char origin[320], where[160];
        size_t len = 0;
        unsigned used = 0;

        nic_settings_init(&libvirt_trust);
        if (n->has_interface && n->resolved.trust_origin != SETTING_ORIGIN_NONE) {
                libvirt_trust.trust = n->resolved.trust_guest_rx_filters > 0;
                libvirt_trust.set = 1u << NIC_SETTING_TRUST;
        }
        layers[LAYER_METADATA] = md ? &md->settings : NULL;
        layers[LAYER_INTERFACE] = ci ? &ci->settings : NULL;
        layers[LAYER_LIBVIRT_TRUST] = &libvirt_trust;
        layers[LAYER_MANAGER] = &c->defaults;
        nic_settings_merge(layers, _LAYER_MAX, &n->settings, from);

        n->trusted = n->settings.trust > 0;
        switch (from[NIC_SETTING_TRUST]) {
        case LAYER_METADATA:
                (void) snprintf(origin, sizeof(origin),
                                "trust='%s' in the domain's vnicd metadata (line %u)", yes_no(n->trusted),
                                md->line);
                break;
        case LAYER_INTERFACE:
                (void) snprintf(origin, sizeof(origin), "Trust=%s in [Interface] %s/%s", yes_no(n->trusted),
                                n->guest->name, n->name);
                break;
        case LAYER_LIBVIRT_TRUST:
                (void) snprintf(origin, sizeof(origin), "trustGuestRxFilters='%s' %s", yes_no(n->trusted),
                                setting_origin_words(n->resolved.trust_origin));
                break;
        default:
                (void) snprintf(origin, sizeof(origin), "Trust=%s in [Manager]", yes_no(n->trusted));
        }
        (void) free_and_strdup(&n->trust_origin, origin);

        /* Each setting's origin, for the reasons of decisions; the trust layer names itself. */
        for (NicSetting w = 0; w < _NIC_SETTING_MAX; w++) {
                n->setting_origins[w] = mfree(n->setting_origins[w]);
                if (from[w] < 0 || w == NIC_SETTING_TRUST)
                        continue;
                layer_origin(n, from[w], md, ci, where, sizeof(where));
                n->setting_origins[w] = strdup(where);
        }

        /* The other settings: every layer that gave one, strongest first. */
        for (NicSetting w = 0; w < _NIC_SETTING_MAX; w++)
                if (w != NIC_SETTING_TRUST && from[w] >= 0)
                        used |= 1u << from[w];
        origin[0] = 0;
        for (int l = 0; l < _LAYER_MAX && len < sizeof(origin); l++)
                if (used & (1u << l)) {
                        layer_origin(n, l, md, ci, where, sizeof(where));
                        len += (size_t) snprintf(origin + len, sizeof(origin) - len, "%s%s",
                                        len > 0 ? ", " : "", where);
                }
        (void) free_and_strdup(&n->settings_origin,
                        used ? origin : "defaults: no VLANs allowed, learning and flood off");
}

/* The host device and the settings of a NIC from its configuration (nic_merge_settings()). */
void nic_apply_config(Nic *n) {
        _cleanup_free_ char *old_device = n->host_device ? strdup(n->host_device) : NULL;
        bool old_trusted = n->trusted;
        Guest *g = n->guest;
        const Config *c = &g->manager->config;
        const ConfigInterface *ci = config_find_interface(c, g->name, n->name);
        const DomainMetadataNic *md = NULL;
        const char *why = NULL;
        char origin[160];

        if (g->source == GUEST_SOURCE_LIBVIRT && g->has_xml && n->has_interface)
                md = domain_interface_metadata(&g->xml, &n->iface);

        if (ci && ci->host_device) {
                (void) snprintf(origin, sizeof(origin), "HostDevice= in [Interface] (line %u)", ci->line);
                (void) free_and_strdup(&n->host_device, ci->host_device);
                (void) free_and_strdup(&n->host_device_origin, origin);
        } else if (n->has_interface && n->iface.target_dev[0]) {
                (void) snprintf(origin, sizeof(origin), "libvirt's live XML: <target dev='%s'/>",
                                n->iface.target_dev);
                (void) free_and_strdup(&n->host_device, n->iface.target_dev);
                (void) free_and_strdup(&n->host_device_origin, origin);
        } else {
                (void) free_and_strdup(&n->host_device, n->discovered_device);
                (void) free_and_strdup(&n->host_device_origin, n->discovered_how);
        }

        nic_merge_settings(n, md, ci);

        n->config_error = mfree(n->config_error);
        if (md && md->error[0] &&
                        asprintf(&n->config_error, "vnicd metadata (line %u) refused: %s", md->line,
                                        md->error) < 0)
                n->config_error = NULL;
        if (!n->config_error && nic_settings_check(&n->settings, &why) < 0 &&
                        asprintf(&n->config_error, "settings from %s refused together: %s",
                                        n->settings_origin, why) < 0)
                n->config_error = NULL;

        if (!streq_ptr(old_device, n->host_device))
                n->host_removed = false;
        if (!streq_ptr(old_device, n->host_device) || old_trusted != n->trusted)
                nic_bus_emit_changed(n);
}

void nic_set_discovered_device(Nic *n, const char *ifname, const char *how) {
        if (streq_ptr(n->discovered_device, ifname))
                return;
        (void) free_and_strdup(&n->discovered_device, ifname);
        (void) free_and_strdup(&n->discovered_how, how);
        nic_apply_config(n);
        if (n->guest)
                manager_nic_dirty(n->guest->manager, n);
}

int nic_new(Guest *g, const char *name, Nic **ret) {
        _cleanup_(nic_unrefp) Nic *n = NULL;
        Nic **a;
        int r;

        n = new0(Nic, 1);
        if (!n)
                return -ENOMEM;
        n->n_ref = 1;
        n->guest = g;
        n->state = NIC_STATE_PENDING;
        n->refusal_rl = (RateLimit){.interval_usec = 60ULL * 1000 * 1000, .burst = 5};
        n->name = strdup(name);
        if (!n->name)
                return -ENOMEM;
        nic_apply_config(n);

        a = realloc(g->nics, (g->n_nics + 1) * sizeof(Nic *));
        if (!a)
                return -ENOMEM;
        g->nics = a;
        g->nics[g->n_nics++] = n;

        r = nic_bus_add(n);
        if (r < 0)
                log_nic_warning_errno(n, r, "Failed to publish on the bus, continuing: %m");

        *ret = n;
        TAKE_PTR(n);
        return 0;
}

void nic_drop(Nic *n) {
        Guest *g = n->guest;

        if (!g)
                return;
        nic_bus_remove(n);
        manager_drop_requests(g->manager, n);
        /* Queued after the drop above: these requests outlive the NIC's place in its guest. */
        if (nic_release_bridge_port(n) < 0)
                log_nic_warning(n, "could not queue the removal of its bridge port state.");
        guest_forget(g, n);
        if (n->dirty && g->manager->n_dirty > 0)
                g->manager->n_dirty--;
        n->dirty = false;
        for (size_t i = 0; i < g->n_nics; i++)
                if (g->nics[i] == n) {
                        memmove(g->nics + i, g->nics + i + 1, (g->n_nics - i - 1) * sizeof(Nic *));
                        g->n_nics--;
                        break;
                }
        n->guest = NULL;
        n->debounce = sd_event_source_disable_unref(n->debounce);
        n->mac_hold_timer = sd_event_source_disable_unref(n->mac_hold_timer);
        nic_unref(n);
}

static void nic_touch(Nic *n) {
        n->last_change_usec = now_usec(CLOCK_REALTIME);
}

void nic_set_state(Nic *n, NicState s) {
        if (n->state == s) {
                guest_libvirt_maybe_resume(n->guest);
                return;
        }
        log_nic_debug(n, "state %s -> %s", nic_state_to_string(n->state), nic_state_to_string(s));
        n->state = s;
        if (s != NIC_STATE_FAILED)
                n->last_error = mfree(n->last_error);
        nic_bus_emit_changed(n);
        guest_libvirt_maybe_resume(n->guest);
}

int nic_enter_failed(Nic *n, int error, const char *format, ...) {
        char msg[512];
        va_list ap;

        errno = abs(error);
        va_start(ap, format);
        (void) vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);

        /* Log only when the failure is new: the same one repeating on every resync is noise. */
        if (n->state != NIC_STATE_FAILED || !streq_ptr(n->last_error, msg))
                log_nic_warning_errno(n, error, "%s", msg);
        nic_set_state(n, NIC_STATE_FAILED);
        (void) free_and_strdup(&n->last_error, msg);
        nic_bus_emit_changed(n);
        return NEG_ERRNO(error);
}

/* ---- querying QEMU ---- */

static int nic_send_query(Nic *n);

static void on_query_reply(QmpClient *c, const QmpMessage *reply, void *userdata) {
        _cleanup_free_ RxFilter *filters = NULL;
        _cleanup_free_ char *error = NULL;
        unsigned long long t0 = now_usec(CLOCK_THREAD_CPUTIME_ID);
        Nic *n = userdata;
        size_t n_filters = 0;
        int r;

        n->query_in_flight = false;
        if (!reply || !n->guest)
                return; /* connection lost: the reconnect re-queries everything */

        if (reply->type == QMP_MESSAGE_ERROR) {
                /* QEMU no longer knows this NIC (hot-unplugged). */
                log_nic_info(n, "QEMU does not report this NIC any more (%s), dropping it.",
                                strempty(reply->error_desc));
                nic_set_state(n, NIC_STATE_GONE);
                nic_drop(n);
                return;
        }

        r = rx_filter_list_parse(
                        reply->return_json, strlen(reply->return_json), &filters, &n_filters, &error);
        if (r < 0) {
                (void) nic_enter_failed(n, r, "QEMU sent an rx-filter we refuse: %s", error ?: "invalid");
                return;
        }
        for (size_t i = 0; i < n_filters; i++)
                if (streq(filters[i].name, n->name))
                        nic_update_asked(n, &filters[i]);
        n->round_proc_usec += now_usec(CLOCK_THREAD_CPUTIME_ID) - t0;

        if (n->query_again) {
                n->query_again = false;
                (void) nic_send_query(n);
        }
}

int nic_query_now(Nic *n) {
        return nic_send_query(n);
}

bool nic_wants_queries(const Nic *n) {
        /* A NIC libvirt trusts is libvirt's: libvirt queries it on every event and re-arms it. */
        return !n->has_interface || n->ownership.parts[OWNED_PART_HOST_DEVICE].owner != OWNER_LIBVIRT;
}

static int nic_send_query(Nic *n) {
        const char *args[] = {"name", n->name, NULL};
        int r;

        if (n->query_in_flight) {
                n->query_again = true;
                return 0;
        }
        r = guest_send(n->guest, "query-rx-filter", args, on_query_reply, n);
        if (r < 0)
                return r;
        n->query_in_flight = true;
        n->queries++;
        return 0;
}

static void on_configured_mac_reply(QmpClient *c, const QmpMessage *reply, void *userdata) {
        _cleanup_free_ char *text = NULL;
        Nic *n = userdata;
        EtherAddr a;

        n->configured_mac_in_flight = false;
        if (n->guest)
                manager_nic_dirty(n->guest->manager, n); /* it waited for this answer */
        if (!reply || !n->guest || reply->type != QMP_MESSAGE_RETURN)
                return;
        if (qmp_message_return_string(reply, &text) < 0 || ether_addr_from_string(text, &a) < 0) {
                log_nic_debug(n, "QEMU's 'mac' property is not a MAC address, ignoring.");
                return;
        }
        n->configured_mac = a;
        n->has_configured_mac = true;
        manager_nic_dirty(n->guest->manager, n);
}

int nic_query_configured_mac(Nic *n) {
        char path[RX_FILTER_NAME_MAX + 32];
        const char *args[] = {"path", path, "property", "mac", NULL};
        int r;

        /* A libvirt guest's configured MAC is in its XML (and qom-get would taint the domain). */
        if (n->guest->source != GUEST_SOURCE_QMP)
                return 0;
        /* Only a device with an id has a fixed path; an id-less one stays without. */
        (void) snprintf(path, sizeof(path), "/machine/peripheral/%s", n->name);
        r = guest_send(n->guest, "qom-get", args, on_configured_mac_reply, n);
        if (r < 0)
                return r;
        n->configured_mac_in_flight = true;
        return 0;
}

static int on_debounce(sd_event_source *s, uint64_t usec, void *userdata) {
        Nic *n = userdata;
        int r;

        n->debounce = sd_event_source_disable_unref(n->debounce);
        if (!n->guest)
                return 0;
        r = nic_send_query(n);
        if (r == -ENOTCONN)
                return 0; /* the reconnect queries everything */
        if (r < 0) {
                /* QEMU re-arms the event only when queried: a query we drop is a change we would
                 * never hear of. Try again after another debounce period. */
                log_nic_debug(n, "Cannot query now (%d), retrying.", r);
                (void) sd_event_add_time_relative(n->guest->manager->event, &n->debounce, CLOCK_MONOTONIC,
                                MAX(n->guest->manager->config.debounce_usec, 10000ULL),
                                NIC_DEBOUNCE_ACCURACY_USEC, on_debounce, n);
        }
        return 0;
}

int nic_schedule_query(Nic *n) {
        n->events++;
        /* Leading event arms the timer; later ones ride along until it fires, so a flood of
         * events costs at most one query per debounce period. */
        if (n->debounce)
                return 0;
        return sd_event_add_time_relative(n->guest->manager->event, &n->debounce, CLOCK_MONOTONIC,
                        n->guest->manager->config.debounce_usec, NIC_DEBOUNCE_ACCURACY_USEC, on_debounce, n);
}

void nic_update_asked(Nic *n, const RxFilter *f) {
        if (!n->has_asked || !rx_filter_equal(&n->asked, f)) {
                /* A new round: what it costs is measured until its last write is answered. */
                n->round_event_usec = n->last_event_qemu_usec;
                n->round_proc_usec = 0;
                n->unconverged_rounds = 0;
                n->asked = *f;
                n->has_asked = true;
                nic_touch(n);
                nic_bus_emit_changed(n);
        }
        manager_nic_dirty(n->guest->manager, n);
}

/* ---- reconcile ---- */

static void settings_from_host(const Nic *n, MacvtapSettings *ret) {
        *ret = (MacvtapSettings){
                        .mac = n->host.mac,
                        .promiscuous = n->host.flags & IFF_PROMISC,
                        .allmulti = n->host.flags & IFF_ALLMULTI,
                        .n_multicast = MIN(n->n_host_mc, (size_t) RX_FILTER_MAC_TABLE_MAX),
        };
        if (ret->n_multicast > 0)
                memcpy(ret->multicast, n->host_mc, ret->n_multicast * sizeof(EtherAddr));
}

static void field_asked_string(const Nic *n, TrustField f, char *buf, size_t size) {
        const RxFilter *a = &n->asked;
        char mac[ETHER_ADDR_STRING_MAX];

        switch (f) {
        case TRUST_FIELD_MAC:
                (void) snprintf(buf, size, "%s", ether_addr_to_string(&a->main_mac, mac));
                break;
        case TRUST_FIELD_PROMISCUOUS:
                (void) snprintf(buf, size, "%s", a->promiscuous ? "on" : "off");
                break;
        case TRUST_FIELD_ALLMULTI:
                (void) snprintf(buf, size, "%s",
                                a->multicast == RX_MODE_ALL || a->multicast_overflow ? "on" : "off");
                break;
        case TRUST_FIELD_MULTICAST:
                (void) snprintf(buf, size, "%zu groups%s", a->n_multicast,
                                a->multicast_overflow ? " (overflow)" : "");
                break;
        default:
                (void) snprintf(buf, size, "-");
        }
}

void nic_record_refusal(Nic *n, Refusal *rf, const char *field, const FieldDecision *d, const char *asked) {
        if (d->action != TRUST_ACTION_REFUSE)
                return;
        /* Count a refusal once per distinct request, not once per reconcile pass. */
        if (rf->count > 0 && streq(rf->asked, asked))
                return;
        rf->count++;
        rf->last_usec = now_usec(CLOCK_REALTIME);
        (void) snprintf(rf->asked, sizeof(rf->asked), "%s", asked);
        (void) snprintf(rf->rule, sizeof(rf->rule), "%s", d->reason);
        if (ratelimit_below(&n->refusal_rl))
                log_nic_full_errno(n, LOG_NOTICE, 0, "refused %s %s: %s", field, asked, d->reason);
}

static void nic_record_refusals(Nic *n) {
        for (TrustField f = 0; f < _TRUST_FIELD_MAX; f++) {
                char asked[sizeof(n->refusals[0].asked)];

                field_asked_string(n, f, asked, sizeof(asked));
                nic_record_refusal(
                                n, &n->refusals[f], trust_field_to_string(f), &n->decision.fields[f], asked);
        }
}

static int nic_read_host(Nic *n) {
        Rtnl *rtnl = n->guest->manager->rtnl;
        _cleanup_free_ EtherAddr *mc = NULL;
        bool queues_changed;
        LinkInfo link;
        size_t n_mc = 0;
        int r;

        r = rtnl_link_get(rtnl, 0, n->host_device, &link);
        if (r < 0) {
                n->has_host = false;
                return r;
        }
        /* Only a macvtap's own multicast list is ours to follow. The list comes from
         * /proc/net/dev_mcast, which lists every device: read per bridge port, a pass over 1000
         * taps parsed it 1000 times. */
        if (streq(link.kind, "macvtap")) {
                r = link_mc_list(link.ifindex, &mc, &n_mc);
                if (r < 0)
                        return r;
        }

        /* The guest's active pairs changed (QEMU attached or detached tap queues). */
        queues_changed = n->has_host && n->host.has_tun_queues && link.has_tun_queues &&
                         n->host.ifindex == link.ifindex && n->host.tun_queues != link.tun_queues;
        if (queues_changed)
                log_nic_info(n, "tap %s: %u queues attached, %u detached (were %u attached)", link.ifname,
                                link.tun_queues, link.tun_disabled_queues, n->host.tun_queues);
        if (!n->has_host || memcmp(&n->host, &link, sizeof(link)) != 0 || n->n_host_mc != n_mc ||
                        (n_mc > 0 && memcmp(n->host_mc, mc, n_mc * sizeof(EtherAddr)) != 0))
                nic_touch(n);
        n->host = link;
        n->has_host = true;
        /* A guest-agent lever waiting for the tap hears it now, not at the next load sample. */
        if (queues_changed)
                nic_queues_act(n, &n->guest->manager->config.multiqueue);
        free(n->host_mc);
        n->host_mc = TAKE_PTR(mc);
        n->n_host_mc = n_mc;
        return 0;
}

int nic_read_host_device(Nic *n) {
        int r;

        if (!n->host_device)
                return -ENODEV;
        r = nic_read_host(n);
        if (r < 0)
                return r;
        n->is_bridge_port = !streq(n->host.kind, "macvtap") && n->host.master_ifindex > 0;
        return 0;
}

/* The macvtap's lower device and why it is promiscuous or not. Best effort: a lower device in
 * another namespace (link_ifindex 0) or gone is simply not reported. */
static void nic_read_uplink(Nic *n) {
        Manager *m = n->guest->manager;
        char promisc[128] = "";
        size_t n_macvtaps = 0, k = 0;
        UplinkFacts f;

        n->has_uplink = false;
        if (n->host.link_ifindex <= 0 || rtnl_link_get(m->rtnl, n->host.link_ifindex, NULL, &n->uplink) < 0)
                return;

        /* Our macvtaps on the same lower device: each MAC is one unicast filter entry there. */
        for (size_t i = 0; i < m->n_guests; i++)
                for (size_t j = 0; j < m->guests[i]->n_nics; j++) {
                        const Nic *o = m->guests[i]->nics[j];

                        if (!o->has_host || o->host.link_ifindex != n->host.link_ifindex ||
                                        !streq(o->host.kind, "macvtap"))
                                continue;
                        n_macvtaps++;
                        if (o->host.flags & IFF_PROMISC)
                                k += (size_t) snprintf(promisc + MIN(k, sizeof(promisc) - 1),
                                                sizeof(promisc) - MIN(k, sizeof(promisc) - 1), "%s%s",
                                                k ? ", " : "", o->host.ifname);
                }
        f = (UplinkFacts){
                        .uplink = n->uplink.ifname,
                        .promiscuity = n->uplink.promiscuity,
                        .promisc_flag = n->uplink.flags & IFF_PROMISC,
                        .n_unicast = n_macvtaps,
                        .promisc_macvtaps = promisc,
        };
        if (uplink_explain(&f, &n->uplink_verdict) >= 0)
                n->has_uplink = true;
}

static int nic_queue_writes(Nic *n, const MacvtapSettings *want) {
        Manager *m = n->guest->manager;
        Request base = {.ifindex = n->host.ifindex};
        _cleanup_free_ EtherAddr *del = NULL, *add = NULL;
        size_t n_del, n_add;
        unsigned flags = 0;
        int r, queued = 0;

        (void) snprintf(base.ifname, sizeof(base.ifname), "%s", n->host.ifname);

        /* Deletions before additions, flags before MAC (an address change is the visible one). */
        del = new0(EtherAddr, MAX(n->n_host_mc, (size_t) 1));
        add = new0(EtherAddr, MAX(want->n_multicast, (size_t) 1));
        if (!del || !add)
                return -ENOMEM;
        n_del = ether_addr_set_difference(n->host_mc, n->n_host_mc, want->multicast, want->n_multicast, del);
        n_add = ether_addr_set_difference(want->multicast, want->n_multicast, n->host_mc, n->n_host_mc, add);

        for (size_t i = 0; i < n_del; i++) {
                Request q = base;

                q.type = REQUEST_MC_DEL;
                q.mac = del[i];
                r = request_queue(m, n, &q);
                if (r < 0)
                        return r;
                queued++;
        }

        if (want->promiscuous)
                flags |= IFF_PROMISC;
        if (want->allmulti)
                flags |= IFF_ALLMULTI;
        if ((n->host.flags & (IFF_PROMISC | IFF_ALLMULTI)) != flags) {
                Request q = base;

                q.type = REQUEST_LINK_SET_FLAGS;
                q.flags = flags;
                q.change = IFF_PROMISC | IFF_ALLMULTI;
                r = request_queue(m, n, &q);
                if (r < 0)
                        return r;
                queued++;
        }

        for (size_t i = 0; i < n_add; i++) {
                Request q = base;

                q.type = REQUEST_MC_ADD;
                q.mac = add[i];
                r = request_queue(m, n, &q);
                if (r < 0)
                        return r;
                queued++;
        }

        if (!ether_addr_equal(&n->host.mac, &want->mac)) {
                Request q = base;

                q.type = REQUEST_LINK_SET_MAC;
                q.mac = want->mac;
                r = request_queue(m, n, &q);
                if (r < 0)
                        return r;
                queued++;
        }
        return queued;
}

static bool settings_match(const Nic *n, const MacvtapSettings *want) {
        return ether_addr_equal(&n->host.mac, &want->mac) &&
               !!(n->host.flags & IFF_PROMISC) == want->promiscuous &&
               !!(n->host.flags & IFF_ALLMULTI) == want->allmulti && n->n_host_mc == want->n_multicast &&
               (want->n_multicast == 0 || memcmp(n->host_mc, want->multicast,
                                                          want->n_multicast * sizeof(EtherAddr)) == 0);
}

static int nic_reconcile_internal(Nic *n);

int nic_reconcile(Nic *n) {
        unsigned long long t0 = now_usec(CLOCK_THREAD_CPUTIME_ID);
        int r;

        r = nic_reconcile_internal(n);
        n->round_proc_usec += now_usec(CLOCK_THREAD_CPUTIME_ID) - t0;
        return r;
}

static void nic_record_latency(Nic *n) {
        unsigned long long now = now_usec(CLOCK_REALTIME);
        size_t i = n->n_lat % NIC_LATENCY_SAMPLES;

        if (n->round_event_usec == 0 || now < n->round_event_usec)
                return; /* a round no event started (resync, restart): nothing to measure */
        n->lat_event_to_ack[i] = now - n->round_event_usec;
        n->lat_processing[i] = n->round_proc_usec;
        n->n_lat++;
        n->round_event_usec = 0;
        n->round_proc_usec = 0;
}

void nic_policy(const Nic *n, NicPolicy *ret) {
        *ret = (NicPolicy){
                        .trusted = n->trusted,
                        .trust_origin = n->trust_origin,
                        .settings = &n->settings,
                        .setting_origins = (const char *const *) n->setting_origins,
                        .has_configured_mac = n->has_configured_mac,
                        .configured_mac = n->configured_mac,
                        .flap = &n->mac_flap,
                        .now_usec = now_usec(CLOCK_MONOTONIC),
        };
}

static int on_mac_hold_end(sd_event_source *s, uint64_t usec, void *userdata) {
        Nic *n = userdata;

        n->mac_hold_timer = sd_event_source_disable_unref(n->mac_hold_timer);
        if (n->guest) {
                log_nic_info(n, "MAC change hold-down over: looking at the guest's MAC again.");
                manager_nic_dirty(n->guest->manager, n);
        }
        return 0;
}

void nic_mac_flap_update(Nic *n, const NicPolicy *p, bool changed, uint64_t hold_until) {
        int r;

        if (changed)
                mac_flap_record(&n->mac_flap, p);
        if (hold_until <= n->mac_flap.hold_until_usec || !n->guest)
                return;
        mac_flap_hold(&n->mac_flap, hold_until);
        log_nic_warning(n, "the guest changes its MAC too often: MAC changes held down for %llu s.",
                        (unsigned long long) ((hold_until - p->now_usec + USEC_PER_SEC - 1) / USEC_PER_SEC));
        n->mac_hold_timer = sd_event_source_disable_unref(n->mac_hold_timer);
        r = sd_event_add_time(n->guest->manager->event, &n->mac_hold_timer, CLOCK_MONOTONIC, hold_until,
                        USEC_PER_SEC / 10, on_mac_hold_end, n);
        if (r < 0)
                log_nic_warning_errno(
                                n, r, "cannot arm the MAC hold-down timer, the next event ends it: %m");
}

static int nic_reconcile_internal(Nic *n) {
        MacvtapSettings host;
        NicPolicy policy;
        bool seen;
        int r;

        if (!n->guest)
                return 0;
        if (!guest_is_connected(n->guest)) {
                /* QEMU gone; but a libvirtd that is away leaves its guests running as they are. */
                if (n->guest->source == GUEST_SOURCE_QMP)
                        nic_set_state(n, NIC_STATE_GONE);
                return 0;
        }
        if (n->config_error) {
                n->in_sync = false;
                return nic_enter_failed(n, SYNTHETIC_ERRNO(EINVAL), "%s; nothing is written for this NIC",
                                n->config_error);
        }
        if (n->has_interface && n->ownership.owner == OWNER_UNMANAGED) {
                n->in_sync = false;
                nic_set_state(n, NIC_STATE_UNMANAGED);
                return 0;
        }
        if (n->in_flight > 0) {
                /* The last answer marks us dirty again, also when a write failed. */
                n->reconcile_after_flight = true;
                return 0;
        }
        if (!n->host_device) {
                n->in_sync = false;
                nic_set_state(n, NIC_STATE_UNMANAGED);
                (void) guest_discover_devices(n->guest);
                return 0;
        }

        seen = n->has_host || n->host_removed;
        r = nic_read_host_device(n);
        if (r == -ENODEV && seen) {
                /* libvirt deletes a domain's taps before it reports the domain stopped or migrated,
                 * and QEMU's own taps go with QEMU: a device that was there and vanished is the NIC
                 * ending, not a fault. The kernel took the port's entries with it. */
                if (!n->host_removed)
                        log_nic_info(n, "host device %s was removed: the NIC is gone until it is back.",
                                        n->host_device);
                n->host_removed = true;
                n->in_sync = false;
                nic_set_state(n, NIC_STATE_GONE);
                return 0;
        }
        n->host_removed = false;
        if (r == -ENODEV)
                return nic_enter_failed(n, r, "host device %s does not exist", n->host_device);
        if (r < 0)
                return nic_enter_failed(n, r, "cannot read host device %s: %m", n->host_device);
        if (n->guest->migration == GUEST_MIGRATION_INCOMING) {
                /* QEMU's filter is its default until the guest's state arrives: writing it would take
                 * the guest's MAC away from where the guest still runs. */
                n->in_sync = false;
                nic_set_state(n, NIC_STATE_PENDING);
                return 0;
        }
        if (n->guest->migration == GUEST_MIGRATION_AWAY) {
                /* Once: the guest runs elsewhere now, its MAC's entries belong to the new port. */
                if (n->state != NIC_STATE_GONE && n->is_bridge_port && nic_release_bridge_port(n) < 0)
                        log_nic_warning(n, "could not queue the removal of its bridge port state.");
                n->in_sync = false;
                nic_set_state(n, NIC_STATE_GONE);
                return 0;
        }
        if (n->configured_mac_in_flight && !n->has_configured_mac) {
                /* The policy starts from the configured MAC: deciding without it would drop an
                 * untrusted port's static entry and add it back a moment later. */
                nic_set_state(n, NIC_STATE_PENDING);
                return 0;
        }
        if (n->is_bridge_port)
                return nic_reconcile_bridge_port(n);
        if (!streq(n->host.kind, "macvtap"))
                return nic_enter_failed(n, SYNTHETIC_ERRNO(EOPNOTSUPP),
                                "host device %s is a %s outside a bridge: vnicd programs macvtaps and "
                                "bridge ports",
                                n->host_device, n->host.kind[0] ? n->host.kind : "device without a kind");
        if (n->has_interface && n->ownership.parts[OWNED_PART_HOST_DEVICE].owner == OWNER_LIBVIRT) {
                /* libvirt syncs this macvtap itself: read and report it, and its uplink; never write. */
                nic_read_uplink(n);
                n->in_sync = true;
                nic_set_state(n, NIC_STATE_CONFIGURED);
                nic_bus_emit_changed(n);
                return 0;
        }
        if (!n->has_asked) {
                nic_set_state(n, NIC_STATE_PENDING);
                return 0;
        }

        nic_read_uplink(n);
        settings_from_host(n, &host);
        nic_policy(n, &policy);
        r = trust_decide_macvtap(&n->asked, &policy, &host, &n->decision);
        if (r < 0)
                return nic_enter_failed(n, r, "trust policy failed: %m");
        n->has_decision = true;
        nic_record_refusals(n);
        nic_mac_flap_update(n, &policy,
                        n->decision.write_host &&
                                        n->decision.fields[TRUST_FIELD_MAC].action == TRUST_ACTION_APPLY,
                        n->decision.mac_hold_until);

        if (!n->decision.write_host || settings_match(n, &n->decision.wanted)) {
                n->unconverged_rounds = 0;
                n->in_sync = n->decision.write_host ? true : settings_match(n, &host);
                nic_set_state(n, NIC_STATE_CONFIGURED);
                nic_bus_emit_changed(n);
                return 0;
        }

        if (++n->unconverged_rounds > NIC_UNCONVERGED_MAX)
                return nic_enter_failed(n, SYNTHETIC_ERRNO(EAGAIN),
                                "host device %s does not keep the settings written %d times in a row",
                                n->host_device, NIC_UNCONVERGED_MAX);

        n->in_sync = false;
        r = nic_queue_writes(n, &n->decision.wanted);
        if (r < 0)
                return nic_enter_failed(n, r, "cannot queue kernel requests: %m");
        nic_set_state(n, NIC_STATE_CONFIGURING);
        return 0;
}

void nic_request_done(Nic *n, int error, const char *what, const char *ext_ack) {
        if (n->in_flight > 0)
                n->in_flight--;
        if (!n->guest)
                return;
        if (error < 0)
                (void) nic_enter_failed(
                                n, error, "%s failed: %m%s%s", what, ext_ack ? ": " : "", strempty(ext_ack));
        else
                log_nic_debug(n, "%s: done", what);
        if (n->in_flight == 0 && error >= 0)
                nic_record_latency(n);
        if (n->in_flight == 0 && (n->state != NIC_STATE_FAILED || n->reconcile_after_flight)) {
                n->reconcile_after_flight = false;
                manager_nic_dirty(n->guest->manager, n);
        }
        guest_libvirt_maybe_resume(n->guest); /* a failed write settles the NIC too */
}
