/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* A NETLINK_KOBJECT_UEVENT socket joined to the kernel's group (1; udev's rebroadcast group is not
 * read: no udevd is needed). The kernel sends a network device's uevents to the sockets of the
 * namespace the device is in, so vnicd sees the devices of its own namespace. */

#define UEVENT_MESSAGE_MAX 8192 /* the kernel's UEVENT_BUFFER_SIZE is 2048 */

/* Opens the socket, non-blocking, with a large receive buffer. Returns the fd or -errno. */
int uevent_socket_open(void);

/* Receives one message into 'buf' ('size' bytes). Returns its length; 0 when nothing is pending;
 * -EPERM for a message that is not the kernel's (sent by a process, or without root credentials:
 * dropped, read the next); -ENOBUFS when the kernel dropped messages for us (the caller re-reads
 * what it follows); -EMSGSIZE for a message longer than 'size' (dropped); other -errno. */
ssize_t uevent_socket_receive(int fd, char *buf, size_t size);
