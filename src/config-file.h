/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu-set.h"
#include "nic-settings.h"

/* vnicd.conf: systemd-style INI, documented in vnicd.conf(5).
 *
 *   [Manager]
 *   LogLevel=info               err|warning|notice|info|debug
 *   DebounceSec=0.05            wait this long after an event before querying (0–10)
 *   ResyncSec=30                re-read guests and kernel this often (0 = never, max 86400)
 *   MultiqueueSampleSec=5       read NIC load counters this often (0.1-3600)
 *   MultiqueueIdleSampleSec=30  this often while no NIC carries traffic (never faster than the above)
 *   MultiqueueWindowSamples=12  the multiqueue policy decides over the last this many (2-24)
 *   MultiqueueIdlePacketRate=200 and the other thresholds of the multiqueue policy: MultiqueueConfig
 *   Trust=no                    and every other [Interface] setting below: the host's
 *                               default for NICs that do not say
 *   Libvirt=yes                 follow the running domains of libvirtd
 *   LibvirtURI=qemu:///system   which libvirtd
 *   ReservedCPUs=0-1            CPUs kept for the host: placement never uses them (CPU list)
 *   Placement=report            report|apply: the default of every [Uplink]
 *
 *   [Guest]                     one per QEMU reached over QMP (repeatable)
 *   Name=demo                   [A-Za-z0-9_.-]{1,64}, unique
 *   QMPSocket=/run/qemu/demo.qmp  absolute path of QEMU's QMP unix socket
 *
 *   [Interface]                 one per guest NIC vnicd may program (repeatable)
 *   Guest=demo                  a [Guest] Name
 *   Name=net0                   QEMU's NIC id (the 'name' in query-rx-filter)
 *   HostDevice=macvtap0         host interface behind it (IFNAMSIZ rules)
 *   Trust=yes                   yes|no; default from [Manager] Trust
 *   AllowedVLANs=10,20,100-110  bridge ports: VLANs the guest may use (1-4094)
 *   NativeVLAN=10               bridge ports: PVID, untagged (1-4094)
 *   Learning=no                 bridge ports: port flags (default no, no, leave)
 *   UnicastFlood=no
 *   MulticastFlood=yes
 *   MACChange=allowed           macvtaps, per field (default: what Trust= says): never|allowed|any
 *   AllowedMACs=52:54:00:12:34:57  up to 16
 *   Promiscuous=refuse          allow|refuse
 *   AllMulticast=allow          allow|refuse
 *   MulticastGroups=16          0-64
 *   MulticastOverflow=allmulti  allmulti|refuse
 *
 *   [Bridge]                    a bridge whose vlan_filtering vnicd manages (repeatable)
 *   Name=br0
 *   VLANFiltering=yes           yes|no
 *
 *   [Uplink]                    a host NIC whose queue IRQs vnicd places (repeatable); the vhost
 *   Name=eth1                   workers of the guests behind it are placed with them
 *   Placement=apply             report|apply; default from [Manager] Placement=
 *
 * '#' and ';' start comments; blank lines ignored; keys are case-sensitive; a value may not be
 * empty unless said. Lines are at most 4096 bytes, at most 1024 sections. */

#define CONFIG_NAME_MAX            64
#define CONFIG_WINDOW_SAMPLES_MAX  24 /* MultiqueueWindowSamples= at most: each NIC keeps that many */
#define CONFIG_LIBVIRT_URI_MAX     256
#define CONFIG_LIBVIRT_URI_DEFAULT "qemu:///system"

typedef struct ConfigGuest {
        char *name;
        char *qmp_socket;
        unsigned line; /* where it was defined, for messages */
} ConfigGuest;

typedef struct ConfigInterface {
        char *guest;
        char *name;
        char *host_device;    /* NULL if not given */
        NicSettings settings; /* Trust=, AllowedVLANs=, NativeVLAN=, Learning=, UnicastFlood=, ... */
        unsigned line;
} ConfigInterface;

typedef struct ConfigBridge {
        char *name;
        int vlan_filtering; /* VLANFiltering=: -1 = only read it, 0/1 = vnicd sets it */
        unsigned line;
} ConfigBridge;

/* Placement= (issue 8 part 6): 'report' computes and shows, 'apply' also writes IRQ affinities
 * and pins vhost workers. */
typedef enum PlacementMode {
        PLACEMENT_MODE_REPORT,
        PLACEMENT_MODE_APPLY,
        _PLACEMENT_MODE_MAX,
        _PLACEMENT_MODE_INVALID = -EINVAL,
} PlacementMode;

typedef struct ConfigUplink {
        char *name;
        PlacementMode placement; /* Placement=; _PLACEMENT_MODE_INVALID: [Manager] Placement= */
        unsigned line;
} ConfigUplink;

/* The thresholds of the multiqueue policy (policies/multiqueue.h), each a [Manager] key of its own.
 * The defaults and bounds are in the key table of config-file.c. */
typedef struct MultiqueueConfig {
        /* MultiqueueIdlePacketRate=200 (packets/s, rx + tx). Under it the NIC is idle and keeps its
         * recommendation: an idle guest's background traffic (ARP, NDP, NTP, monitoring) is tens of
         * packets a second, no worker is measurably busy at 200/s (a vhost worker moves ~10^6/s), and
         * even 64 KiB super-frames at 200/s are ~100 Mbit/s, which any one pair carries. 0: never idle.
         * The sampler reads counters faster while some NIC is above it. */
        uint64_t idle_packet_rate;
        /* MultiqueueWorkerBusyHighPercent=75. A pair over it is near saturation: queueing delay grows
         * as busy/(1 - busy), 3x the service time at 75%, and /proc CPU times read a little late. */
        uint64_t worker_busy_high_percent;
        /* MultiqueueWorkerBusyLowPercent=25. Every pair under it for the hold-down: fewer pairs, sized
         * so each carries the middle of the band (50% by default). At most half the high mark (a
         * scale-up leaves each pair above half the high mark, which must not count as low). */
        uint64_t worker_busy_low_percent;
        /* MultiqueueLargeFrameBytes=16384. An average frame at least this big (in the direction
         * carrying more bytes) is GSO super-frames: TCP streams with segmentation offload, which batch
         * best on one queue. Above every MTU (jumbo 9216), so MTU-sized traffic never counts. 0 turns
         * the rule off. */
        uint64_t large_frame_bytes;
        /* MultiqueuePacketRatePerPair=250000 (packets/s). What one pair carries at 100% when no vhost
         * worker can be measured (userspace virtio-net, TCG): its load is the packet rate per active
         * pair over this, compared with the same high and low marks. A rough figure for QEMU's own
         * virtio-net thread with small frames; calibrate with bench/mq-replay. Above the idle rate. */
        uint64_t packet_rate_per_pair;
        /* MultiqueueHoldDownSec=60. How long a call for fewer pairs must hold, and how old the last
         * change must be, before the recommendation goes down. Each change costs the guest a ring
         * reconfiguration (ethtool -L) and reorders flows: at most about one a minute. */
        uint64_t hold_down_usec;
} MultiqueueConfig;

typedef struct Config {
        int log_level; /* -1 not set */
        uint64_t debounce_usec;
        uint64_t resync_usec;        /* 0 = never */
        uint64_t sample_usec;        /* MultiqueueSampleSec=: load samples while a NIC carries traffic */
        uint64_t idle_sample_usec;   /* MultiqueueIdleSampleSec=: and while none does (at least the above) */
        uint64_t window_samples;     /* MultiqueueWindowSamples=: the policy sees the last this many */
        MultiqueueConfig multiqueue; /* MultiqueueIdlePacketRate= ... MultiqueueHoldDownSec= */
        NicSettings defaults;        /* per-NIC settings in [Manager]: the host's defaults (Trust=no) */
        bool libvirt;                /* Libvirt=: follow libvirt's domains */
        bool resume_migrated;        /* ResumeMigratedDomains=: resume after programming (--suspend) */
        char libvirt_uri[CONFIG_LIBVIRT_URI_MAX]; /* LibvirtURI= */
        CpuSet reserved_cpus;                     /* ReservedCPUs=: never used by placement */
        PlacementMode placement;                  /* Placement=: the default of every [Uplink] */
        ConfigGuest *guests;
        size_t n_guests;
        ConfigInterface *interfaces;
        size_t n_interfaces;
        ConfigBridge *bridges;
        size_t n_bridges;
        ConfigUplink *uplinks;
        size_t n_uplinks;
} Config;

/* Fills 'c' with the defaults (DebounceSec=0.05, ResyncSec=30, the multiqueue thresholds, Trust=no,
 * nothing else). */
void config_init(Config *c);
void config_done(Config *c);

/* Parses 'text' ('len' bytes) as file 'filename' into 'c', adding to what is already there.
 * Returns 0, or -EINVAL / -ERANGE / -E2BIG / -ENOMEM with '*ret_error' set to a malloc'ed
 * "FILE:LINE: what is wrong" message (when ret_error is not NULL). On failure 'c' is left as it
 * was before the call: nothing half-parsed is kept. Cross-checks (an [Interface] naming an unknown
 * guest, duplicate names, multiqueue_config_verify() on the thresholds in force after this text) are
 * done here too. */
int config_parse_string(Config *c, const char *text, size_t len, const char *filename, char **ret_error);

/* Reads and parses a file (at most 1 MiB). -ENOENT etc. from open(), with a message. */
int config_parse_file(Config *c, const char *path, char **ret_error);

#define CONFIG_DROP_INS_MAX 128

/* Reads 'path' and then its drop-ins, the files 'path'.d/NAME.conf (in the byte order of their
 * names, at most CONFIG_DROP_INS_MAX), into 'c'. [Manager] keys of a later file override earlier
 * ones; [Guest], [Interface] and [Bridge] sections add to them (a duplicate is an error). A missing
 * 'path' is an error unless 'optional'; a missing .d directory is not. Returns the number of files
 * read (0 when there was none), or a negative errno with '*ret_error' set, naming the file and
 * line; 'c' may then hold the files read before the failing one: callers parse into a Config of
 * their own and drop it on failure, so nothing half-read is ever used. */
int config_load(Config *c, const char *path, bool optional, char **ret_error);

/* Adds a guest given on the command line as NAME=PATH. Same checks as the file. */
int config_add_guest_arg(Config *c, const char *arg, char **ret_error);

/* 0 for a string LibvirtURI= takes, -EINVAL otherwise. */
int config_check_libvirt_uri(const char *s);

const ConfigInterface *config_find_interface(const Config *c, const char *guest, const char *name);
const ConfigBridge *config_find_bridge(const Config *c, const char *name);
const ConfigUplink *config_find_uplink(const Config *c, const char *name);
/* The uplink's Placement=, else [Manager]'s. */
PlacementMode config_uplink_placement(const Config *c, const ConfigUplink *u);

/* "report", "apply". */
const char *placement_mode_to_string(PlacementMode m);
PlacementMode placement_mode_from_string(const char *s);

/* The multiqueue thresholds' defaults, from the same table as config_init()'s. */
MultiqueueConfig multiqueue_config_defaults(void);

/* 0 if 'c' can be used: every threshold within its key's bounds, MultiqueueWorkerBusyLowPercent= at
 * most half of MultiqueueWorkerBusyHighPercent=, MultiqueueIdlePacketRate= below
 * MultiqueuePacketRatePerPair=. Else -ERANGE (bounds) or -EINVAL (NULL, the rules between keys) with
 * '*ret_error' set to a malloc'ed message naming the keys (when ret_error is not NULL; nothing is
 * allocated otherwise). */
int multiqueue_config_verify(const MultiqueueConfig *c, char **ret_error);

/* Parses 'assignment', "Key=value" with Key one of the multiqueue thresholds (not
 * MultiqueueSampleSec=), into 'c' with the same parser, bounds and messages as a [Manager] line of
 * vnicd.conf; for command lines (bench/mq-replay --set). The rules between keys are left to
 * multiqueue_config_verify(), once every assignment is made. Returns 0, or -EINVAL / -ERANGE /
 * -ENOENT (not such a key) with '*ret_error' set to a malloc'ed "ORIGIN: what is wrong" message
 * ('origin', e.g. "--set", names where the assignment came from); 'c' is untouched on failure. */
int config_set_multiqueue(MultiqueueConfig *c, const char *assignment, const char *origin, char **ret_error);
