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

_printf_(4, 5) static void set_field(
                TrustDecision *d, TrustField f, TrustAction a, const char *format, ...) {
        va_list ap;

        d->fields[f].action = a;
        va_start(ap, format);
        (void) vsnprintf(d->fields[f].reason, sizeof(d->fields[f].reason), format, ap);
        va_end(ap);
}

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

static void decide_untrusted(const MacvtapSettings *want, const NicPolicy *policy,
                const MacvtapSettings *host, TrustDecision *d) {
        const char *origin = policy->trust_origin ?: "Trust=no";

        d->wanted = *host;
        d->write_host = false;

#define UNTRUSTED(field, same)                                                                              \
        do {                                                                                                \
                if (same)                                                                                   \
                        set_field(d, field, TRUST_ACTION_KEEP, "host already matches");                     \
                else                                                                                        \
                        set_field(d, field, TRUST_ACTION_REFUSE,                                            \
                                        "guest not trusted (%s): observe and report only", origin);         \
        } while (0)

        UNTRUSTED(TRUST_FIELD_MAC, ether_addr_equal(&want->mac, &host->mac));
        UNTRUSTED(TRUST_FIELD_PROMISCUOUS, want->promiscuous == host->promiscuous);
        UNTRUSTED(TRUST_FIELD_ALLMULTI, want->allmulti == host->allmulti);
        UNTRUSTED(TRUST_FIELD_MULTICAST, multicast_equal(want, host));
#undef UNTRUSTED
}

int trust_decide_macvtap(const RxFilter *asked, const NicPolicy *policy, const MacvtapSettings *host,
                TrustDecision *ret) {
        MacvtapSettings want, host_view;
        TrustDecision d = {};

        if (!asked || !policy || !host || !ret)
                return -EINVAL;

        settings_from_asked(asked, &want);
        host_view = *host;
        host_view.n_multicast = MIN(host->n_multicast, (size_t) RX_FILTER_MAC_TABLE_MAX);

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

        if (!policy->trusted) {
                decide_untrusted(&want, policy, &host_view, &d);
                *ret = d;
                return 0;
        }

        d.write_host = true;
        d.wanted = want;

        /* Even a trusted guest cannot give its port a MAC no frame can be addressed to. */
        if (ether_addr_is_multicast(&want.mac) || ether_addr_is_zero(&want.mac)) {
                d.wanted.mac = host->mac;
                set_field(&d, TRUST_FIELD_MAC, TRUST_ACTION_REFUSE, "%s MAC is not a valid station address",
                                ether_addr_is_zero(&want.mac) ? "all-zero" : "multicast");
        } else if (ether_addr_equal(&want.mac, &host->mac))
                set_field(&d, TRUST_FIELD_MAC, TRUST_ACTION_KEEP, "host already matches");
        else
                set_field(&d, TRUST_FIELD_MAC, TRUST_ACTION_APPLY,
                                "trusted guest: macvtap takes the guest's MAC");

        if (want.promiscuous == host->promiscuous)
                set_field(&d, TRUST_FIELD_PROMISCUOUS, TRUST_ACTION_KEEP, "host already matches");
        else if (want.promiscuous && !asked->promiscuous)
                set_field(&d, TRUST_FIELD_PROMISCUOUS, TRUST_ACTION_APPLY,
                                "trusted guest asked for extra unicast addresses: only promiscuous mode "
                                "receives them");
        else
                set_field(&d, TRUST_FIELD_PROMISCUOUS, TRUST_ACTION_APPLY,
                                "trusted guest: follow its promiscuous flag");

        if (want.allmulti == host->allmulti)
                set_field(&d, TRUST_FIELD_ALLMULTI, TRUST_ACTION_KEEP, "host already matches");
        else if (asked->multicast_overflow)
                set_field(&d, TRUST_FIELD_ALLMULTI, TRUST_ACTION_APPLY,
                                "guest's multicast table overflowed (more than %d MACs): receive all "
                                "multicast",
                                RX_FILTER_MAC_TABLE_MAX);
        else
                set_field(&d, TRUST_FIELD_ALLMULTI, TRUST_ACTION_APPLY,
                                "trusted guest: follow its allmulti flag");

        if (multicast_equal(&want, &host_view))
                set_field(&d, TRUST_FIELD_MULTICAST, TRUST_ACTION_KEEP, "host already matches");
        else
                set_field(&d, TRUST_FIELD_MULTICAST, TRUST_ACTION_APPLY,
                                "trusted guest: macvtap joins the guest's %zu groups", want.n_multicast);

        *ret = d;
        return 0;
}
