/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-xml.h"
#include "guest.h"
#include "log.h"
#include "nic-queues.h"
#include "ownership.h"
#include "rx-filter.h"
#include "bridge-port.h"
#include "bridge.h"
#include "trust.h"
#include "uplink.h"

typedef enum NicState {
        NIC_STATE_PENDING,     /* seen; filter not read yet */
        NIC_STATE_CONFIGURING, /* kernel requests queued or in flight */
        NIC_STATE_CONFIGURED,  /* host device matches the decision */
        NIC_STATE_FAILED,      /* last attempt failed; see last_error */
        NIC_STATE_GONE,        /* QEMU unreachable, NIC no longer reported, or its device vanished */
        NIC_STATE_UNMANAGED,   /* reported, but nothing tells us its host device */
        _NIC_STATE_MAX,
        _NIC_STATE_INVALID = -EINVAL,
} NicState;

#define NIC_LATENCY_SAMPLES 256

typedef struct UplinkReport {
        char ifname[IFNAMSIZ];
        unsigned promiscuity;
        bool learning, unicast_flood;
        UplinkVerdict verdict;
} UplinkReport;

typedef struct Refusal {
        unsigned long long count;
        char asked[64]; /* what the guest asked, short form */
        char rule[TRUST_REASON_MAX];
        unsigned long long last_usec; /* realtime */
} Refusal;

struct Nic {
        unsigned n_ref;
        Guest *guest;
        char *name; /* QEMU's NIC id: 'name' of query-rx-filter */
        char *path; /* QOM path from the event, when seen */
        char *bus_path;

        /* Configuration. */
        char *host_device;        /* in effect: HostDevice= if given, else what QEMU told us */
        char *host_device_origin; /* how we know it, for vnicctl */
        char *discovered_device;  /* from QEMU's 'info network' and /proc (host-device.c) */
        char *discovered_how;
        bool trusted;
        char *trust_origin;
        /* Bridge port settings (AllowedVLANs=, NativeVLAN=, port flags): from the domain's vnicd
         * metadata, else the [Interface] section; where they come from, for vnicctl. */
        NicSettings settings;
        char *settings_origin;
        char *setting_origins[_NIC_SETTING_MAX]; /* where each setting came from; NULL: not set */

        /* A libvirt domain's NIC: its <interface> as libvirt plugged it, and who owns what. */
        bool has_interface;
        DomainInterface iface;
        ResolvedInterface resolved;
        OwnershipDecision ownership;
        char *config_error; /* the NIC's XML or metadata is refused: nothing is written for it */

        NicState state;
        char *last_error;
        bool in_sync;

        /* Observed. */
        bool has_configured_mac;       /* the MAC QEMU was started with (qom-get …/<id> mac) */
        bool configured_mac_in_flight; /* asked, not answered: the policy waits for it */
        EtherAddr configured_mac;
        bool has_asked;
        RxFilter asked;
        bool has_host;
        bool host_removed; /* the host device was there and vanished: the NIC ends, no fault */
        LinkInfo host;
        EtherAddr *host_mc; /* user-added multicast on the host device, sorted */
        size_t n_host_mc;
        bool has_decision;
        TrustDecision decision;
        /* A tap in a Linux bridge (daemon/nic-bridge.c). */
        bool is_bridge_port;
        char bridge_name[IFNAMSIZ];
        BridgeInfo bridge;
        BridgePortFlags port_flags;        /* what the port has */
        BridgePortFlags port_flags_wanted; /* from the configuration; -1 = leave */
        BridgePortState port_have;
        FdbEntry *port_fdb; /* static FDB entries on the port (ours: see nic-bridge.c) */
        size_t n_port_fdb;
        MdbEntry *port_mdb; /* L2 MDB entries for the port (ours) */
        size_t n_port_mdb;
        bool has_port_decision;
        BridgePortDecision port_decision;
        Refusal bridge_refusals[_BRIDGE_FIELD_MAX];
        UplinkReport *uplinks; /* the bridge's other ports, and why each is (not) promiscuous */
        size_t n_uplinks;

        NicQueues queues; /* queue pairs: max, active, recommended (nic-queues.c) */

        bool has_uplink; /* the macvtap's lower device, and why it is (not) promiscuous */
        LinkInfo uplink;
        UplinkVerdict uplink_verdict;

        /* Querying QEMU: debounced, at most one query in flight. */
        sd_event_source *debounce;
        bool query_in_flight;
        bool query_again;

        Request *queued_head, *queued_tail; /* kernel requests not sent yet (request.c) */
        Nic *pending_next;                  /* in the manager's round-robin list of NICs */
        bool pending;                       /*   ... while in it */
        unsigned in_flight;                 /* kernel requests queued or sent, not answered */
        bool reconcile_after_flight;        /* marked dirty while requests were out: look again after */
        unsigned unconverged_rounds;        /* write rounds in a row that did not reach the decision */

        /* MAC flapping: the changes applied in the current window, the hold-down past the limit and
         * the timer that looks again when it ends. */
        MacFlapState mac_flap;
        sd_event_source *mac_hold_timer;

        unsigned long long events, queries, writes;
        unsigned long long last_change_usec;     /* realtime of the last host or asked change */
        unsigned long long last_event_qemu_usec; /* QEMU's timestamp of the last event */
        Refusal refusals[_TRUST_FIELD_MAX];

        /* Latency of the last rounds (bench/rxfilter-latency reads them from Describe()): QEMU's
         * event timestamp to the kernel's answer to the round's last write, and the time vnicd
         * itself spent on the round (CPU time: parsing, policy, building and sending requests). */
        unsigned long long round_event_usec; /* QEMU timestamp of the event that started the round */
        unsigned long long round_proc_usec;  /* processing time accumulated in this round */
        unsigned long long lat_event_to_ack[NIC_LATENCY_SAMPLES];
        unsigned long long lat_processing[NIC_LATENCY_SAMPLES];
        size_t n_lat; /* samples recorded in total; the arrays are rings */
        RateLimit refusal_rl;
        bool dirty;
};

int nic_new(Guest *g, const char *name, Nic **ret);
Nic *nic_ref(Nic *n);
Nic *nic_unref(Nic *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(Nic *, nic_unref);

/* Re-reads HostDevice= and Trust= for this NIC from the manager's configuration. */
void nic_apply_config(Nic *n);
/* The host device QEMU's fds lead to; used when the configuration names none. */
void nic_set_discovered_device(Nic *n, const char *ifname, const char *how);

/* Detaches the NIC from its guest and the bus, after queueing the removal of what vnicd put on its
 * host device; the object lives on while requests hold it. */
void nic_drop(Nic *n);

void nic_set_state(Nic *n, NicState s);
/* The only way into FAILED: records the message and logs it. */
int nic_enter_failed(Nic *n, int error, const char *format, ...) _printf_(3, 4);

/* Asks QEMU for the NIC's configured MAC (the device property; a guest's change does not touch it). */
int nic_query_configured_mac(Nic *n);

/* query-rx-filter for this NIC now (a second one is sent when the first is answered). */
int nic_query_now(Nic *n);
/* False for a NIC whose host device libvirt owns: vnicd never queries it (libvirt does). */
bool nic_wants_queries(const Nic *n);
/* An event said the filter changed: query it after the debounce delay. */
int nic_schedule_query(Nic *n);
/* A fresh filter from QEMU. */
void nic_update_asked(Nic *n, const RxFilter *f);

/* Policy + diff + queue requests (manager's post source calls this for dirty NICs). */
int nic_reconcile(Nic *n);
/* Reconcile of a tap in a Linux bridge: port flags, port VLANs, static FDB (nic-bridge.c). Called
 * by nic_reconcile() once the host device is read. */
int nic_reconcile_bridge_port(Nic *n);
/* Recomputes the uplink reports of bridge 'v' and gives them to every guest NIC on it (nic-bridge.c). */
int manager_refresh_bridge_uplinks(Manager *m, struct BridgeView *v);
/* Reads the NIC's host device from the kernel (link, and a macvtap's multicast list) and whether
 * it is a bridge port. -ENODEV if it has none or it does not exist. */
int nic_read_host_device(Nic *n);
/* The guest is gone (QEMU exited, or the NIC was unplugged): queues the removal of the static FDB
 * entries and VLANs vnicd put on its bridge port, if the port still exists. */
int nic_release_bridge_port(Nic *n);
/* The NIC's policy for the trust and bridge port decisions: its rules, configured MAC and MAC
 * change history. */
void nic_policy(const Nic *n, NicPolicy *ret);
/* After a decision: counts an applied MAC change ('changed'), or starts the hold-down the decision
 * asked for ('hold_until' > 0) with a timer that reconciles the NIC when it ends. */
void nic_mac_flap_update(Nic *n, const NicPolicy *p, bool changed, uint64_t hold_until);
/* Records refusals of one decision field (shared by macvtap and bridge ports). */
void nic_record_refusal(Nic *n, Refusal *rf, const char *field, const FieldDecision *d, const char *asked);

/* Called when one of this NIC's kernel requests got its answer. */
void nic_request_done(Nic *n, int error, const char *what, const char *ext_ack);

const char *nic_state_to_string(NicState s);

/* Logs with the NIC as prefix and as journal fields (VNIC_GUEST=, VNIC_NIC=, INTERFACE=). */
int log_nic_internal(const Nic *n, int level, int error, const char *format, ...) _printf_(4, 5);

#define log_nic_full_errno(nic, level, error, ...)                                                          \
        ({                                                                                                  \
                int _l = (level), _e = (error);                                                             \
                _l <= log_get_max_level() ? log_nic_internal(nic, _l, _e, __VA_ARGS__) : NEG_ERRNO(_e);     \
        })
#define log_nic_debug(nic, ...)            (void) log_nic_full_errno(nic, LOG_DEBUG, 0, __VA_ARGS__)
#define log_nic_info(nic, ...)             (void) log_nic_full_errno(nic, LOG_INFO, 0, __VA_ARGS__)
#define log_nic_warning(nic, ...)          (void) log_nic_full_errno(nic, LOG_WARNING, 0, __VA_ARGS__)
#define log_nic_warning_errno(nic, e, ...) log_nic_full_errno(nic, LOG_WARNING, e, __VA_ARGS__)
#define log_nic_error_errno(nic, e, ...)   log_nic_full_errno(nic, LOG_ERR, e, __VA_ARGS__)
