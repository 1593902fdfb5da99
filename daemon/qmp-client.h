/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include <systemd/sd-event.h>

#include "qmp-message.h"

/* A non-blocking QMP connection to one QEMU over its unix socket, on the manager's sd-event
 * loop: connects, waits for the greeting, negotiates capabilities, sends commands with numeric
 * ids and routes replies to their handlers and everything else to the event handler. When the
 * socket goes away every pending handler is called with NULL and the client reconnects with
 * exponential backoff (QMP_BACKOFF_MIN..MAX) until freed. */

#define QMP_BACKOFF_MIN_USEC (100ULL * 1000ULL)
#define QMP_BACKOFF_MAX_USEC (5ULL * 1000ULL * 1000ULL)
#define QMP_PENDING_MAX      256             /* commands awaiting a reply */
#define QMP_WRITE_MAX        (1024u * 1024u) /* bytes queued for QEMU */
/* QEMU answers commands in order; one not answered in this time (its reply lost in an over-long
 * line, or a QEMU that hangs) makes us drop the connection and start over. */
#define QMP_REPLY_TIMEOUT_USEC (10ULL * 1000ULL * 1000ULL)

typedef struct QmpClient QmpClient;

typedef enum QmpClientState {
        QMP_CLIENT_DISCONNECTED,
        QMP_CLIENT_CONNECTING,
        QMP_CLIENT_GREETING,    /* connected, waiting for {"QMP":…} */
        QMP_CLIENT_NEGOTIATING, /* qmp_capabilities sent */
        QMP_CLIENT_READY,
        _QMP_CLIENT_STATE_MAX,
        _QMP_CLIENT_STATE_INVALID = -EINVAL,
} QmpClientState;

/* 'reply' is a RETURN or ERROR message, or NULL when the connection was lost first. */
typedef void (*QmpReplyHandler)(QmpClient *c, const QmpMessage *reply, void *userdata);
typedef void (*QmpEventHandler)(QmpClient *c, const QmpMessage *event, void *userdata);
/* Called on every state change; 'error' is the reason when the state is DISCONNECTED. */
typedef void (*QmpStateHandler)(
                QmpClient *c, QmpClientState state, int error, const char *reason, void *userdata);

int qmp_client_new(sd_event *event, const char *socket_path, QmpEventHandler on_event,
                QmpStateHandler on_state, void *userdata, QmpClient **ret);
QmpClient *qmp_client_free(QmpClient *c);

/* Starts connecting now (a failure schedules a retry; never fails for a missing socket). */
int qmp_client_start(QmpClient *c);

/* Queues a command. -ENOTCONN unless READY, -EBUSY when QMP_PENDING_MAX replies are awaited or the
 * write buffer is full. 'h' may be NULL. */
int qmp_client_send(QmpClient *c, const char *execute, const char *const *args, QmpReplyHandler h,
                void *userdata);

/* Forget reply handlers registered with this userdata (the object is going away). */
void qmp_client_forget(QmpClient *c, void *userdata);

QmpClientState qmp_client_get_state(QmpClient *c);
const char *qmp_client_state_to_string(QmpClientState s);
const char *qmp_client_get_version(QmpClient *c); /* "7.2.22" once greeted, else NULL */
const char *qmp_client_get_path(QmpClient *c);
/* QEMU's pid, from the socket's peer credentials; -ENOTCONN when not connected. */
int qmp_client_get_peer_pid(QmpClient *c, pid_t *ret);
