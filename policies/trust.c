/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "macro.h"
#include "trust.h"

static const char *const trust_field_table[_TRUST_FIELD_MAX] = {
                [TRUST_FIELD_MAC] = "mac",
                [TRUST_FIELD_PROMISCUOUS] = "promiscuous",
                [TRUST_FIELD_ALLMULTI] = "allmulti",
                [TRUST_FIELD_MULTICAST] = "multicast",
                [TRUST_FIELD_UNICAST] = "unicast",
                [TRUST_FIELD_VLANS] = "vlans",
};

static const char *const trust_action_table[_TRUST_ACTION_MAX] = {
                [TRUST_ACTION_APPLY] = "apply",
                [TRUST_ACTION_KEEP] = "keep",
                [TRUST_ACTION_REFUSE] = "refuse",
                [TRUST_ACTION_NA] = "n/a",
};

const char *trust_field_to_string(TrustField f) {
        return f >= 0 && f < _TRUST_FIELD_MAX ? trust_field_table[f] : NULL;
}

const char *trust_action_to_string(TrustAction a) {
        return a >= 0 && a < _TRUST_ACTION_MAX ? trust_action_table[a] : NULL;
}

void field_decision_set(FieldDecision *f, TrustAction a, const char *format, ...) {
        va_list ap;

        f->action = a;
        va_start(ap, format);
        (void) vsnprintf(f->reason, sizeof(f->reason), format, ap);
        va_end(ap);
}

#define set_field(d, f, a, ...) field_decision_set(&(d)->fields[f], a, __VA_ARGS__)

static bool multicast_equal(const MacvtapSettings *a, const MacvtapSettings *b) {
        if (a->n_multicast != b->n_multicast)
                return false;
        for (size_t i = 0; i < a->n_multicast; i++)
                if (!ether_addr_equal(&a->multicast[i], &b->multicast[i]))
                        return false;
        return true;
}

/* The macvtap settings that express what the guest asked, ignoring policy. */
static void settings_from_asked(const RxFilter *asked, MacvtapSettings *ret) {
        *ret = (MacvtapSettings){
                        .mac = asked->main_mac,
                        /* A macvtap holds one unicast address: extra unicast addresses, "all" and an
                 * overflowed table can only be received in promiscuous mode. */
                        .promiscuous = asked->promiscuous || asked->unicast == RX_MODE_ALL ||
                                       asked->unicast_overflow || asked->n_unicast > 0,
                        .allmulti = asked->multicast == RX_MODE_ALL || asked->multicast_overflow,
        };
        if (!asked->multicast_overflow && asked->multicast != RX_MODE_NONE) {
                ret->n_multicast = MIN(asked->n_multicast, (size_t) RX_FILTER_MAC_TABLE_MAX);
                memcpy(ret->multicast, asked->multicast_table, ret->n_multicast * sizeof(EtherAddr));
        }
}

/* The rule of each field: the per-field setting when there is one (with where it was set), else
 * what Trust= says (origin NULL). */
typedef struct Rules {
        NicMacChange mac;
        bool promiscuous, allmulti, overflow_allmulti;
        unsigned groups;
        const char *mac_origin, *promiscuous_origin, *allmulti_origin, *groups_origin, *overflow_origin;
} Rules;

static const char *rule_origin(const NicPolicy *p, NicSetting which) {
        if (!p->settings || !nic_settings_has(p->settings, which))
                return NULL;
        return p->setting_origins && p->setting_origins[which] ? p->setting_origins[which] : "settings";
}

static void rules_resolve(const NicPolicy *p, Rules *r) {
        const NicSettings *s = p->settings;
        bool t = p->trusted;

        r->mac_origin = rule_origin(p, NIC_SETTING_MAC_CHANGE);
        r->mac = r->mac_origin ? (NicMacChange) s->mac_change
                 : t           ? NIC_MAC_CHANGE_ANY
                               : NIC_MAC_CHANGE_NEVER;
        r->promiscuous_origin = rule_origin(p, NIC_SETTING_PROMISCUOUS);
        r->promiscuous = r->promiscuous_origin ? s->promiscuous > 0 : t;
        r->allmulti_origin = rule_origin(p, NIC_SETTING_ALLMULTI);
        r->allmulti = r->allmulti_origin ? s->allmulti > 0 : t;
        r->groups_origin = rule_origin(p, NIC_SETTING_MULTICAST_GROUPS);
        r->groups = r->groups_origin ? (unsigned) s->multicast_groups : t ? RX_FILTER_MAC_TABLE_MAX : 0;
        r->overflow_origin = rule_origin(p, NIC_SETTING_MULTICAST_OVERFLOW);
        r->overflow_allmulti = r->overflow_origin ? s->multicast_overflow > 0 : t;
}

static bool mac_allowed(const NicPolicy *p, const EtherAddr *mac) {
        if (p->has_configured_mac && ether_addr_equal(mac, &p->configured_mac))
                return true;
        for (size_t i = 0; p->settings && i < p->settings->n_allowed_macs; i++)
                if (ether_addr_equal(mac, &p->settings->allowed_macs[i]))
                        return true;
        return false;
}

/* "guest not trusted (Trust=no): observe and report only" when the rule comes from Trust=. */
#define REFUSE_UNTRUSTED(d, field, p)                                                                       \
        set_field(d, field, TRUST_ACTION_REFUSE, "guest not trusted (%s): observe and report only",         \
                        (p)->trust_origin ?: "Trust=no")

/* A setting's number, or its default when no layer sets it. */
static unsigned setting_or(const NicPolicy *p, NicSetting which, int value, unsigned def) {
        return rule_origin(p, which) && value >= 0 ? (unsigned) value : def;
}

/* The flapping limit of a NIC: its settings, or the defaults. */
typedef struct MacLimit {
        unsigned burst, interval, hold; /* changes, seconds, seconds; burst 0 = no limit */
} MacLimit;

static MacLimit mac_limit(const NicPolicy *p) {
        const NicSettings *s = p->settings;

        return (MacLimit){
                        .burst = setting_or(p, NIC_SETTING_MAC_CHANGE_BURST, s ? s->mac_change_burst : -1,
                                        NIC_MAC_CHANGE_BURST_DEFAULT),
                        .interval = setting_or(p, NIC_SETTING_MAC_CHANGE_INTERVAL,
                                        s ? s->mac_change_interval : -1, NIC_MAC_CHANGE_INTERVAL_DEFAULT),
                        .hold = setting_or(p, NIC_SETTING_MAC_CHANGE_HOLD, s ? s->mac_change_hold : -1,
                                        NIC_MAC_CHANGE_HOLD_DEFAULT),
        };
}

/* > 0: MAC changes are held down until then, because of an earlier hold or because this change would
 * be one more than the limit's burst within its interval. */
static uint64_t flap_hold_until(const NicPolicy *p, const MacLimit *l) {
        const MacFlapState *f = p->flap;

        if (!f || l->burst == 0)
                return 0;
        if (p->now_usec < f->hold_until_usec)
                return f->hold_until_usec;
        if (f->n_changes >= l->burst && p->now_usec - f->window_start_usec < l->interval * USEC_PER_SEC)
                return p->now_usec + l->hold * USEC_PER_SEC;
        return 0;
}

static NicMacChange mac_rule(const NicPolicy *p, const char **ret_origin) {
        *ret_origin = rule_origin(p, NIC_SETTING_MAC_CHANGE);
        return *ret_origin  ? (NicMacChange) p->settings->mac_change
               : p->trusted ? NIC_MAC_CHANGE_ANY
                            : NIC_MAC_CHANGE_NEVER;
}

bool trust_mac_permitted(const NicPolicy *p, const EtherAddr *mac) {
        const char *origin;

        if (p->has_configured_mac && ether_addr_equal(mac, &p->configured_mac))
                return true;
        switch (mac_rule(p, &origin)) {
        case NIC_MAC_CHANGE_NEVER:
                return false;
        case NIC_MAC_CHANGE_ALLOWED:
                return mac_allowed(p, mac);
        default:
                return !ether_addr_is_multicast(mac) && !ether_addr_is_zero(mac);
        }
}

const EtherAddr *trust_decide_mac(const NicPolicy *p, const MacDevice *dev, const EtherAddr *have,
                const EtherAddr *want, FieldDecision *ret, uint64_t *ret_hold_until) {
        const char *origin;
        NicMacChange rule = mac_rule(p, &origin);
        MacLimit l = mac_limit(p);
        uint64_t until;
        char a[ETHER_ADDR_STRING_MAX], b[ETHER_ADDR_STRING_MAX];

        *ret_hold_until = 0;
        if (ether_addr_equal(want, have)) {
                field_decision_set(ret, TRUST_ACTION_KEEP, "host already matches");
                return have;
        }
        switch (rule) {
        case NIC_MAC_CHANGE_NEVER:
                if (origin)
                        field_decision_set(ret, TRUST_ACTION_REFUSE, "MACChange=never (%s): %s %s", origin,
                                        dev->keeps, ether_addr_to_string(have, a));
                else
                        field_decision_set(ret, TRUST_ACTION_REFUSE, "guest not trusted (%s): %s %s",
                                        p->trust_origin ?: "Trust=no", dev->keeps,
                                        ether_addr_to_string(have, a));
                return have;
        case NIC_MAC_CHANGE_ALLOWED:
                if (!mac_allowed(p, want)) {
                        field_decision_set(ret, TRUST_ACTION_REFUSE,
                                        "MACChange=allowed (%s): %s is neither the configured MAC nor in "
                                        "AllowedMACs=",
                                        origin, ether_addr_to_string(want, a));
                        return have;
                }
                break;
        default:
                /* Even a trusted guest cannot take a MAC no frame can be addressed to. */
                if (ether_addr_is_multicast(want) || ether_addr_is_zero(want)) {
                        field_decision_set(ret, TRUST_ACTION_REFUSE, "%s MAC is not a valid station address",
                                        ether_addr_is_zero(want) ? "all-zero" : "multicast");
                        return have;
                }
        }

        until = flap_hold_until(p, &l);
        if (until > 0) {
                field_decision_set(ret, TRUST_ACTION_REFUSE,
                                "more than %u MAC changes within %u s (MACChangeLimitBurst=, "
                                "MACChangeLimitIntervalSec=): changes held down for %u s, %s %s",
                                l.burst, l.interval, l.hold, dev->keeps, ether_addr_to_string(have, a));
                *ret_hold_until = until;
                return have;
        }

        if (rule == NIC_MAC_CHANGE_ALLOWED)
                field_decision_set(ret, TRUST_ACTION_APPLY,
                                "MACChange=allowed (%s): %s is the configured MAC or in AllowedMACs=",
                                origin, ether_addr_to_string(want, a));
        else if (origin)
                field_decision_set(ret, TRUST_ACTION_APPLY, "MACChange=any (%s): %s the guest's MAC %s",
                                origin, dev->takes, ether_addr_to_string(want, b));
        else
                field_decision_set(ret, TRUST_ACTION_APPLY, "trusted guest: %s the guest's MAC %s",
                                dev->takes, ether_addr_to_string(want, b));
        return want;
}

void mac_flap_record(MacFlapState *state, const NicPolicy *p) {
        MacLimit l = mac_limit(p);

        if (state->n_changes == 0 || p->now_usec - state->window_start_usec >= l.interval * USEC_PER_SEC) {
                state->window_start_usec = p->now_usec;
                state->n_changes = 0;
        }
        state->n_changes++;
}

void mac_flap_hold(MacFlapState *state, uint64_t until) {
        state->hold_until_usec = until;
        state->window_start_usec = until;
        state->n_changes = 0;
}

unsigned mac_flap_in_window(const MacFlapState *state, const NicPolicy *p) {
        MacLimit l = mac_limit(p);

        if (state->n_changes == 0 || p->now_usec < state->window_start_usec ||
                        p->now_usec - state->window_start_usec >= l.interval * USEC_PER_SEC)
                return 0;
        return state->n_changes;
}

static void decide_mac(const NicPolicy *p, const MacvtapSettings *want, const MacvtapSettings *host,
                TrustDecision *d) {
        static const MacDevice macvtap = {.takes = "macvtap takes", .keeps = "macvtap keeps"};

        d->wanted.mac = *trust_decide_mac(p, &macvtap, &host->mac, &want->mac, &d->fields[TRUST_FIELD_MAC],
                        &d->mac_hold_until);
}

/* Promiscuous and all-multicast: a flag the rule lets follow the guest, or leaves as the host has it. */
static void decide_flag(const NicPolicy *p, TrustField field, const char *key, bool allowed,
                const char *origin, bool want, bool have, const char *apply_reason, bool *wanted,
                TrustDecision *d) {
        *wanted = have;
        if (want == have) {
                set_field(d, field, TRUST_ACTION_KEEP, "host already matches");
                return;
        }
        if (!allowed) {
                if (!origin)
                        REFUSE_UNTRUSTED(d, field, p);
                else
                        set_field(d, field, TRUST_ACTION_REFUSE, "%s=refuse (%s): the host keeps it %s", key,
                                        origin, have ? "on" : "off");
                return;
        }
        if (origin && !apply_reason)
                set_field(d, field, TRUST_ACTION_APPLY, "%s=allow (%s): follow the guest", key, origin);
        else
                set_field(d, field, TRUST_ACTION_APPLY, "%s",
                                apply_reason ?: "trusted guest: follow its flag");
        *wanted = want;
}

int trust_decide_macvtap(const RxFilter *asked, const NicPolicy *policy, const MacvtapSettings *host,
                TrustDecision *ret) {
        MacvtapSettings want, host_view;
        TrustDecision d = {};
        Rules r;
        size_t n_groups;
        bool over, use_allmulti, want_allmulti, overflow_decides;
        char reason[TRUST_REASON_MAX];

        if (!asked || !policy || !host || !ret)
                return -EINVAL;

        settings_from_asked(asked, &want);
        host_view = *host;
        host_view.n_multicast = MIN(host->n_multicast, (size_t) RX_FILTER_MAC_TABLE_MAX);
        rules_resolve(policy, &r);

        /* Fields no macvtap setting expresses: the same for trusted and untrusted guests. */
        if (asked->vlan == RX_MODE_ALL)
                set_field(&d, TRUST_FIELD_VLANS, TRUST_ACTION_NA,
                                "guest does not filter VLANs (no VIRTIO_NET_F_CTRL_VLAN)");
        else
                set_field(&d, TRUST_FIELD_VLANS, TRUST_ACTION_NA,
                                "macvtap does not filter VLANs: tagged frames to the guest's MAC pass");
        if (asked->n_unicast > 0 || asked->unicast_overflow)
                set_field(&d, TRUST_FIELD_UNICAST, TRUST_ACTION_NA,
                                "macvtap holds one unicast address: extra ones need promiscuous mode");
        else
                set_field(&d, TRUST_FIELD_UNICAST, TRUST_ACTION_NA, "no extra unicast addresses asked");

        /* Nothing may change: observe and report only, the host is left exactly as it is. */
        d.write_host = r.mac != NIC_MAC_CHANGE_NEVER || r.promiscuous || r.allmulti || r.groups > 0;
        d.wanted = host_view;

        decide_mac(policy, &want, &host_view, &d);

        decide_flag(policy, TRUST_FIELD_PROMISCUOUS, "Promiscuous", r.promiscuous, r.promiscuous_origin,
                        want.promiscuous, host->promiscuous,
                        r.promiscuous_origin ? NULL
                        : want.promiscuous && !asked->promiscuous
                                        ? "trusted guest asked for extra unicast addresses: "
                                          "only promiscuous mode receives them"
                                        : "trusted guest: follow its promiscuous flag",
                        &d.wanted.promiscuous, &d);

        /* Multicast groups, up to the rule's number; past it (or past QEMU's table) all multicast
         * instead when the rules allow that, else the host keeps its groups. */
        n_groups = asked->multicast == RX_MODE_NONE ? 0 : asked->n_multicast;
        over = asked->multicast_overflow || n_groups > r.groups;
        use_allmulti = over && r.overflow_allmulti && r.allmulti;
        /* An overflowed table asks for all multicast too; MulticastOverflow= decides that one. */
        want_allmulti = asked->multicast == RX_MODE_ALL || asked->multicast_overflow || use_allmulti;
        overflow_decides = asked->multicast != RX_MODE_ALL && asked->multicast_overflow && r.allmulti &&
                           !r.overflow_allmulti;
        if (use_allmulti)
                want.n_multicast = 0; /* all multicast makes the table moot */

        if (use_allmulti && asked->multicast_overflow)
                (void) snprintf(reason, sizeof(reason),
                                "guest's multicast table overflowed (more than %d MACs): receive all "
                                "multicast",
                                RX_FILTER_MAC_TABLE_MAX);
        else if (use_allmulti)
                (void) snprintf(reason, sizeof(reason),
                                "%zu groups are more than MulticastGroups=%u (%s): receive all multicast "
                                "(MulticastOverflow=allmulti)",
                                n_groups, r.groups, r.groups_origin ?: policy->trust_origin ?: "Trust=");
        else
                reason[0] = 0;
        decide_flag(policy, TRUST_FIELD_ALLMULTI, overflow_decides ? "MulticastOverflow" : "AllMulticast",
                        r.allmulti && !overflow_decides,
                        overflow_decides ? r.overflow_origin : r.allmulti_origin, want_allmulti,
                        host->allmulti,
                        reason[0]           ? reason
                        : r.allmulti_origin ? NULL
                                            : "trusted guest: follow its allmulti flag",
                        &d.wanted.allmulti, &d);

        if (multicast_equal(&want, &host_view) && !(over && !use_allmulti))
                set_field(&d, TRUST_FIELD_MULTICAST, TRUST_ACTION_KEEP, "host already matches");
        else if (!r.groups_origin && !policy->trusted)
                REFUSE_UNTRUSTED(&d, TRUST_FIELD_MULTICAST, policy);
        else if (over && !use_allmulti) {
                if (asked->multicast_overflow)
                        set_field(&d, TRUST_FIELD_MULTICAST, TRUST_ACTION_REFUSE,
                                        "guest's multicast table overflowed (more than %d MACs) and all "
                                        "multicast "
                                        "is not allowed: the host keeps its %zu groups",
                                        RX_FILTER_MAC_TABLE_MAX, host_view.n_multicast);
                else
                        set_field(&d, TRUST_FIELD_MULTICAST, TRUST_ACTION_REFUSE,
                                        "%zu groups are more than MulticastGroups=%u (%s) and all multicast is not "
                                        "allowed: the host keeps its %zu groups",
                                        n_groups, r.groups, r.groups_origin ?: policy->trust_origin ?: "Trust=",
                                        host_view.n_multicast);
        } else {
                if (r.groups_origin)
                        set_field(&d, TRUST_FIELD_MULTICAST, TRUST_ACTION_APPLY,
                                        "MulticastGroups=%u (%s): macvtap joins the guest's %zu groups",
                                        r.groups, r.groups_origin, want.n_multicast);
                else
                        set_field(&d, TRUST_FIELD_MULTICAST, TRUST_ACTION_APPLY,
                                        "trusted guest: macvtap joins the guest's %zu groups",
                                        want.n_multicast);
                d.wanted.n_multicast = want.n_multicast;
                memcpy(d.wanted.multicast, want.multicast, want.n_multicast * sizeof(EtherAddr));
        }

        *ret = d;
        return 0;
}
