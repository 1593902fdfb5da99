/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <stddef.h>

/* Kernel uevents as they come from a NETLINK_KOBJECT_UEVENT socket (group 1, the kernel's own):
 * a header "ACTION@DEVPATH" and then "KEY=VALUE" strings, each ended by a NUL. vnicd listens for
 * the queue kobjects of its taps: Debian 12's kernel (6.1) sends no RTM_NEWLINK when QEMU attaches
 * or detaches a tap queue (the guest's `ethtool -L`), but adds and removes
 * /sys/class/net/<tap>/queues/{rx,tx}-N with a uevent each (HOST-FACTS §2). Pure: reads the bytes
 * given, nothing else. */

#define UEVENT_DEVPATH_MAX   512 /* with the NUL; longer devpaths are refused */
#define UEVENT_SUBSYSTEM_MAX 64

typedef enum UeventAction {
        UEVENT_ADD,
        UEVENT_REMOVE,
        UEVENT_CHANGE,
        UEVENT_MOVE,
        UEVENT_OTHER, /* online, offline, bind, unbind, ... */
} UeventAction;

typedef struct Uevent {
        UeventAction action;
        char devpath[UEVENT_DEVPATH_MAX];     /* "/devices/virtual/net/tap0/queues/rx-1" */
        char subsystem[UEVENT_SUBSYSTEM_MAX]; /* "queues"; "" when the message has none */
} Uevent;

/* Parses one message of 'len' bytes. The header must be "ACTION@DEVPATH" and agree with the
 * ACTION= and DEVPATH= keys where those are present; a DEVPATH must start with '/'. Returns 0, or
 * -EINVAL for anything else (no header, a key without '=', no NUL at the end), -E2BIG for a devpath
 * or subsystem too long. 'ret' untouched on failure. */
int uevent_parse(const char *buf, size_t len, Uevent *ret);

/* For a uevent of a network device's queue (SUBSYSTEM=queues, DEVPATH ".../net/IFNAME/queues/rx-N"
 * or "tx-N"): copies IFNAME to 'ifname' and returns 1. Returns 0 for any other uevent. */
int uevent_net_queue(const Uevent *u, char ifname[static IFNAMSIZ]);

const char *uevent_action_to_string(UeventAction a); /* "add" */
