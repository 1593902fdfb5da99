/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "irqbalance-proto.h"

/* A client of irqbalance's runtime socket (src/irqbalance-proto.h has the protocol). irqbalance
 * binds /run/irqbalance/irqbalance<pid>.sock (its systemd unit makes the directory), or, when it
 * cannot, an abstract address of all-zero bytes; it accepts one command per connection and only
 * from uid 0 (it reads SCM_CREDENTIALS, which we send). Each call is one short synchronous
 * exchange on a non-blocking socket bounded by 'timeout_usec' (the daemon uses 100 ms, see
 * vnicd(8)). Errors: -ENOENT/-ECONNREFUSED no socket, -EAGAIN its backlog is full, -ETIMEDOUT no
 * answer in time (irqbalance 1.9.2 blocks its loop for one interval after a ban), -EBADMSG an
 * answer that does not parse, -E2BIG a list too long for one command, -ECONNABORTED closed
 * without an answer (it refused our credentials). -EPERM: the socket's peer (SO_PEERCRED) is not
 * process 'pid' running as uid 0; nothing is sent to it (the abstract name, or a stale file, may be
 * any user's). */

/* Sends "setup" and parses the answer into '*ret'. */
int irqbalance_query_setup(pid_t pid, unsigned long long timeout_usec, IrqbalanceSetup *ret);

/* Sends "settings ban irqs ..." for 'irqs' (ascending; n 0 sends NONE). irqbalance answers
 * nothing: 0 means the command was handed to its socket. */
int irqbalance_send_ban(pid_t pid, const unsigned *irqs, size_t n, unsigned long long timeout_usec);
