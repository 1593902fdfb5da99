/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "nic-settings.h"
#include "rx-filter.h"

/* What a guest may change on its macvtap, decided per field with a reason. Each field has a rule:
 * the NIC's per-field setting when there is one, else what Trust= says (trusted: everything a
 * macvtap can express; untrusted: nothing, observe and report only). A field whose rule refuses
 * what the guest asks keeps what the host has. Pure: no I/O, no globals. */

typedef enum TrustField {
        TRUST_FIELD_MAC,
        TRUST_FIELD_PROMISCUOUS,
        TRUST_FIELD_ALLMULTI,
        TRUST_FIELD_MULTICAST,
        TRUST_FIELD_UNICAST,
        TRUST_FIELD_VLANS,
        _TRUST_FIELD_MAX,
        _TRUST_FIELD_INVALID = -EINVAL,
} TrustField;

typedef enum TrustAction {
        TRUST_ACTION_APPLY,  /* host must be changed to what the guest asked */
        TRUST_ACTION_KEEP,   /* host already matches what the guest asked */
        TRUST_ACTION_REFUSE, /* guest asked for something policy does not allow */
        TRUST_ACTION_NA,     /* nothing on this kind of host device expresses the field */
        _TRUST_ACTION_MAX,
        _TRUST_ACTION_INVALID = -EINVAL,
} TrustAction;

#define TRUST_REASON_MAX 160

/* MAC flapping: the MAC changes a NIC made in the current window, and the hold-down that follows
 * too many of them (MACChangeLimitBurst=, MACChangeLimitIntervalSec=, MACChangeHoldSec=). Times are
 * CLOCK_MONOTONIC microseconds. The daemon keeps one per NIC; the policy only reads it. */
typedef struct MacFlapState {
        uint64_t window_start_usec;
        unsigned n_changes;
        uint64_t hold_until_usec; /* MAC changes refused until then; 0 = none */
} MacFlapState;

typedef struct NicPolicy {
        bool trusted;
        const char *trust_origin; /* where the switch came from, e.g. "Trust=yes in [Interface]" */
        /* Per-field rules (MACChange=, AllowedMACs=, Promiscuous=, AllMulticast=, MulticastGroups=,
         * MulticastOverflow=); a field they do not set follows 'trusted'. NULL: none set. */
        const NicSettings *settings;
        const char *const *setting_origins; /* per NicSetting: where it was set, for reasons */
        bool has_configured_mac;
        EtherAddr configured_mac; /* always allowed under MACChange=allowed */
        const MacFlapState *flap; /* NULL: no MAC change history (no flapping limit) */
        uint64_t now_usec;        /* CLOCK_MONOTONIC, for the flapping limit */
} NicPolicy;

/* The macvtap's settings a decision works on: what the host has, and what it should have. */
typedef struct MacvtapSettings {
        EtherAddr mac;
        bool promiscuous;
        bool allmulti;
        size_t n_multicast;
        EtherAddr multicast[RX_FILTER_MAC_TABLE_MAX];
} MacvtapSettings;

typedef struct FieldDecision {
        TrustAction action;
        char reason[TRUST_REASON_MAX];
} FieldDecision;

typedef struct TrustDecision {
        FieldDecision fields[_TRUST_FIELD_MAX];
        MacvtapSettings wanted;  /* what the host device should end up with */
        bool write_host;         /* false: touch nothing (observe only) */
        uint64_t mac_hold_until; /* > 0: this MAC change is held down until then (MacFlapState) */
} TrustDecision;

/* Sets a field's action and its reason (bounded by TRUST_REASON_MAX). */
void field_decision_set(FieldDecision *f, TrustAction a, const char *format, ...) _printf_(3, 4);

/* How a host device words what the MAC rule does to it, in reasons. */
typedef struct MacDevice {
        const char *takes; /* "macvtap takes", "static FDB entries take" */
        const char *keeps; /* "macvtap keeps", "static FDB entries keep" */
} MacDevice;

/* The one MAC rule, for macvtaps and bridge FDB entries alike: may the guest move the device from
 * 'have' to 'want'? MACChange= (never, allowed: the configured MAC or AllowedMACs=, any) or, unset,
 * Trust=; an invalid station address never; and not past the flapping limit. Fills 'ret' (APPLY, KEEP
 * or REFUSE with the reason) and returns the MAC the device should have: 'want' or 'have'. Sets
 * '*ret_hold_until' when the change is held down (past the limit). Pure. */
const EtherAddr *trust_decide_mac(const NicPolicy *p, const MacDevice *dev, const EtherAddr *have,
                const EtherAddr *want, FieldDecision *ret, uint64_t *ret_hold_until);

/* Whether the MAC rule lets a device have 'mac' at all (the configured MAC always), flapping aside. */
bool trust_mac_permitted(const NicPolicy *p, const EtherAddr *mac);

/* A MAC change was applied at 'p->now_usec': counts it in the window of 'state'. */
void mac_flap_record(MacFlapState *state, const NicPolicy *p);
/* A change was held down until 'until': a new window starts when the hold ends. */
void mac_flap_hold(MacFlapState *state, uint64_t until);
/* The MAC changes counted in the window running at 'p->now_usec': 0 once the interval has passed
 * without a change, and during a hold-down (the next window starts when it ends). */
unsigned mac_flap_in_window(const MacFlapState *state, const NicPolicy *p);

/* Decides what a macvtap should have given what the guest 'asked', the NIC's 'policy' and what the
 * host has now ('host'; its multicast list may be longer than a guest table, only the first
 * RX_FILTER_MAC_TABLE_MAX entries are looked at for KEEP vs APPLY). Always returns 0 and fills
 * 'ret'; -EINVAL only for NULL arguments. */
int trust_decide_macvtap(const RxFilter *asked, const NicPolicy *policy, const MacvtapSettings *host,
                TrustDecision *ret);

const char *trust_field_to_string(TrustField f);
const char *trust_action_to_string(TrustAction a);
