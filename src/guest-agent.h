/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ether-addr.h"

/* The qemu-guest-agent messages of vnicd's guest-agent lever (MultiqueueApply=guest-agent): find
 * the guest's interface by MAC (guest-network-get-interfaces), run 'ethtool -L DEV combined N'
 * (guest-exec) and read how it ended (guest-exec-status). Building and parsing only: the commands go
 * through libvirt (virDomainQemuAgentCommand), which hands back the agent's whole reply line. The
 * replies come from the guest: bounded and checked like every other outside input. */

#define GUEST_AGENT_REPLY_MAX      (1024u * 1024u) /* bytes of one reply accepted */
#define GUEST_AGENT_INTERFACES_MAX 1024            /* entries of guest-network-get-interfaces read */
#define GUEST_AGENT_IFNAME_MAX     16              /* IFNAMSIZ, with the NUL */
#define GUEST_AGENT_OUTPUT_MAX     200 /* bytes of a command's stderr/stdout kept, with the NUL */
/* Bytes of a command's stdout kept as lines, with the NUL: 'ethtool -S' of virtio_net on 6.1 prints
 * about 400 bytes per queue pair, so this holds ~160 pairs. */
#define GUEST_AGENT_STDOUT_MAX (64u * 1024u)

typedef struct GuestExecStatus {
        bool exited;
        int exitcode;                     /* when exited and not killed by a signal */
        int signal;                       /* the signal that killed it; 0: none */
        char err[GUEST_AGENT_OUTPUT_MAX]; /* its stderr (decoded, non-printables as '?'), cut short */
        char out[GUEST_AGENT_OUTPUT_MAX]; /* its stdout, the same */
        /* Its stdout for a parser: lines and tabs kept, other non-printables as '?', NUL-terminated;
         * 'stdout_cut' when it was longer. */
        char stdout_text[GUEST_AGENT_STDOUT_MAX];
        bool stdout_cut;
} GuestExecStatus;

/* The commands, as one JSON line each, in a malloc'ed '*ret'. 'dev' must be a valid interface name
 * (as the guest reported it: the parser below checks it). guest_agent_ethtool_command() sets the
 * combined channels ('ethtool -L DEV combined N'), guest_agent_ethtool_show_command() reads them
 * ('ethtool -l DEV', see ethtool-channels.h), guest_agent_ethtool_stats_command() reads the driver's
 * counters ('ethtool -S DEV', see ethtool-stats.h). 0, -EINVAL, -ENOMEM. */
int guest_agent_interfaces_command(char **ret);
int guest_agent_ethtool_command(const char *dev, unsigned pairs, char **ret);
int guest_agent_ethtool_show_command(const char *dev, char **ret);
int guest_agent_ethtool_stats_command(const char *dev, char **ret);
int guest_agent_exec_status_command(int64_t pid, char **ret);

/* The guest's name of the interface with hardware address 'mac' from a guest-network-get-interfaces
 * reply into 'ret_name'. 0; -ENOENT when none has it; -ENOTUNIQ (with '*ret_error' naming them) when
 * several have it (a bond's slaves, a VLAN or bridge on the NIC: which one is the NIC the agent does
 * not say, so nothing is done); -EINVAL (with '*ret_error') for a reply that is not one; -E2BIG past
 * the bounds. */
int guest_agent_parse_interfaces(const char *reply, size_t len, const EtherAddr *mac,
                char ret_name[static GUEST_AGENT_IFNAME_MAX], char **ret_error);

/* The pid of a guest-exec reply. 0, -EINVAL (with '*ret_error'). */
int guest_agent_parse_exec(const char *reply, size_t len, int64_t *ret_pid, char **ret_error);

/* A guest-exec-status reply. 0, -EINVAL (with '*ret_error'). */
int guest_agent_parse_exec_status(const char *reply, size_t len, GuestExecStatus *ret, char **ret_error);
