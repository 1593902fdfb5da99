/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "nic-settings.h"

/* vnicd.conf: systemd-style INI, documented in vnicd.conf(5).
 *
 *   [Manager]
 *   LogLevel=info               err|warning|notice|info|debug
 *   DebounceSec=0.05            wait this long after an event before querying (0–10)
 *   ResyncSec=30                re-read guests and kernel this often (0 = never, max 86400)
 *   Trust=no                    and every other [Interface] setting below: the host's
 *                               default for NICs that do not say
 *   Libvirt=yes                 follow the running domains of libvirtd
 *   LibvirtURI=qemu:///system   which libvirtd
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
 * '#' and ';' start comments; blank lines ignored; keys are case-sensitive; a value may not be
 * empty unless said. Lines are at most 4096 bytes, at most 1024 sections. */

#define CONFIG_NAME_MAX            64
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

typedef struct Config {
        int log_level; /* -1 not set */
        unsigned long long debounce_usec;
        unsigned long long resync_usec; /* 0 = never */
        unsigned long long sample_usec; /* MultiqueueSampleSec=: load samples while a NIC carries traffic */
        NicSettings defaults;           /* per-NIC settings in [Manager]: the host's defaults (Trust=no) */
        bool libvirt;                   /* Libvirt=: follow libvirt's domains */
        bool resume_migrated;           /* ResumeMigratedDomains=: resume after programming (--suspend) */
        char libvirt_uri[CONFIG_LIBVIRT_URI_MAX]; /* LibvirtURI= */
        ConfigGuest *guests;
        size_t n_guests;
        ConfigInterface *interfaces;
        size_t n_interfaces;
        ConfigBridge *bridges;
        size_t n_bridges;
} Config;

/* Fills 'c' with the defaults (DebounceSec=0.05, ResyncSec=30, Trust=no, nothing else). */
void config_init(Config *c);
void config_done(Config *c);

/* Parses 'text' ('len' bytes) as file 'filename' into 'c', adding to what is already there.
 * Returns 0, or -EINVAL / -ERANGE / -E2BIG / -ENOMEM with '*ret_error' set to a malloc'ed
 * "FILE:LINE: what is wrong" message (when ret_error is not NULL). On failure 'c' is left as it
 * was before the call: nothing half-parsed is kept. Cross-checks (an [Interface] naming an unknown
 * guest, duplicate names) are done here too. */
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
