/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "ethtool-channels.h"
#include "ethtool-stats.h"
#include "guest-agent.h"

typedef struct LibvirtConn LibvirtConn;
typedef struct Nic Nic;

/* The two levers of MultiqueueApply= that go through libvirt, each one job on the libvirt worker
 * threads (never a blocking call on the loop), with its result handed to nic_queues_action_done()
 * on the loop:
 *   next-boot:   virDomainGetXMLDesc(INACTIVE|SECURE), domain_xml_set_queues() for the NIC's MAC,
 *                virDomainDefineXML() only when it changed; persistent domains only;
 *   guest-agent: virDomainQemuAgentCommand(): guest-network-get-interfaces (the guest's device by
 *                MAC), guest-exec of 'ethtool -L DEV combined N', guest-exec-status until it exits
 *                (bounded); with 'confirm', then 'ethtool -l DEV' the same way (a NIC whose host
 *                device cannot tell, see nic-queues-agent.c).
 * And two jobs that are no lever: the guest agent's read of 'ethtool -l DEV' alone, and of 'ethtool -S
 * DEV' (the guest's per-queue counters, MultiqueueGuestStats=). */

/* A guest-agent job holds one of the LIBVIRT_WORKERS threads, which domain connects, refreshes and
 * resumes (a migrated domain's among them) wait for: it is bounded in wall-clock time as a whole,
 * each command by what is left of LIBVIRT_AGENT_JOB_SEC (at most LIBVIRT_AGENT_TIMEOUT_SEC), the
 * next command not sent once less than a second is left; and one guest-agent job (a lever's or a
 * read's) is in the pool at a time, so the other thread stays free: a NIC that finds the slot taken
 * gets -EBUSY and asks again at its next sample, which is no attempt and no failure. */
#define LIBVIRT_AGENT_TIMEOUT_SEC 5  /* each agent command: libvirt's own default is to block */
#define LIBVIRT_AGENT_JOB_SEC     15 /* a whole guest-agent job: ethtool's exits polled within it */

typedef enum LibvirtQueuesLever {
        LIBVIRT_QUEUES_NEXT_BOOT,
        LIBVIRT_QUEUES_GUEST_AGENT,
        LIBVIRT_QUEUES_AGENT_READ, /* not a lever: reads the guest's channels (libvirt_queues_read()) */
        LIBVIRT_QUEUES_AGENT_STATS, /* not a lever: reads the guest's counters (libvirt_queues_read_stats()) */
} LibvirtQueuesLever;

typedef struct LibvirtQueuesResult {
        LibvirtQueuesLever lever;
        unsigned pairs;
        int r;          /* 0 done, <0 failed (see 'error') */
        bool permanent; /* failed for a reason retrying cannot change (a transient domain) */
        bool written;   /* next-boot: the persistent XML was defined anew */
        unsigned old;   /* next-boot: the queues it had (0: none) */
        unsigned agent_calls;
        char dev[GUEST_AGENT_IFNAME_MAX]; /* guest-agent: the guest's device */
        bool confirm;                     /* guest-agent: read 'ethtool -l' after 'ethtool -L' */
        bool has_channels;                /* 'channels' were read ('ethtool -l') */
        EthtoolChannels channels;
        EthtoolStats *stats;          /* 'ethtool -S' read (LIBVIRT_QUEUES_AGENT_STATS); NULL: not */
        unsigned long long exec_usec; /* CLOCK_MONOTONIC: when guest-exec of the last ethtool was answered */
        char *error;
} LibvirtQueuesResult;

/* Queue the lever's job for 'n' (which must be a libvirt domain's NIC with a MAC); the NIC is
 * referenced until the job ends, whose result goes to nic_queues_action_done(). 'confirm': see
 * above. 0, -ENOTCONN, -ENOMEM, -EBUSY (another guest-agent job runs, or the pool is full: ask again
 * later). */
int libvirt_queues_apply(LibvirtConn *lc, Nic *n, LibvirtQueuesLever lever, unsigned pairs, bool confirm);

/* Queue a read of the guest's channels for 'n' the same way; its result goes to
 * nic_queues_agent_done(). */
int libvirt_queues_read(LibvirtConn *lc, Nic *n);

/* Queue a read of the guest's counters ('ethtool -S DEV') for 'n' the same way; its result goes to
 * nic_queues_guest_stats_done(). */
int libvirt_queues_read_stats(LibvirtConn *lc, Nic *n);

/* The timeout in seconds of the next agent command of a job ending at 'deadline' (CLOCK_MONOTONIC
 * microseconds) at 'now': what is left in whole seconds, at most LIBVIRT_AGENT_TIMEOUT_SEC; 0 when
 * less than a second is left (no command is sent then: libvirt reads 0 as "do not wait"). */
unsigned libvirt_agent_command_timeout_sec(unsigned long long now, unsigned long long deadline);
