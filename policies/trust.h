/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>

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

typedef struct NicPolicy {
        bool trusted;
        const char *trust_origin; /* where the switch came from, e.g. "Trust=yes in [Interface]" */
        /* Per-field rules (MACChange=, AllowedMACs=, Promiscuous=, AllMulticast=, MulticastGroups=,
         * MulticastOverflow=); a field they do not set follows 'trusted'. NULL: none set. */
        const NicSettings *settings;
        const char *const *setting_origins; /* per NicSetting: where it was set, for reasons */
        bool has_configured_mac;
        EtherAddr configured_mac; /* always allowed under MACChange=allowed */
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
        MacvtapSettings wanted; /* what the host device should end up with */
        bool write_host;        /* false: touch nothing (observe only) */
} TrustDecision;

/* Decides what a macvtap should have given what the guest 'asked', the NIC's 'policy' and what the
 * host has now ('host'; its multicast list may be longer than a guest table, only the first
 * RX_FILTER_MAC_TABLE_MAX entries are looked at for KEEP vs APPLY). Always returns 0 and fills
 * 'ret'; -EINVAL only for NULL arguments. */
int trust_decide_macvtap(const RxFilter *asked, const NicPolicy *policy, const MacvtapSettings *host,
                TrustDecision *ret);

const char *trust_field_to_string(TrustField f);
const char *trust_action_to_string(TrustAction a);
