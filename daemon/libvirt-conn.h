/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "libvirt-worker.h"
#include "qmp-client.h"

typedef struct Manager Manager;
typedef struct Guest Guest;

/* vnicd's connection to libvirtd: connects (and reconnects with backoff), keeps it alive, and
 * turns what libvirt says into guests: the running domains at connect, then domain lifecycle,
 * reboot, device added/removed and QEMU's NIC_RX_FILTER_CHANGED through the QEMU monitor event
 * API. Every libvirt call runs on the worker threads (libvirt-worker.h); the events come on the
 * loop through libvirt-event.c. */

#define LIBVIRT_BACKOFF_MIN_USEC   (500ULL * 1000ULL)
#define LIBVIRT_BACKOFF_MAX_USEC   (30ULL * 1000ULL * 1000ULL)
#define LIBVIRT_KEEPALIVE_INTERVAL 5 /* seconds between pings when idle */
#define LIBVIRT_KEEPALIVE_COUNT    3 /* unanswered pings before the connection counts as dead */

typedef enum LibvirtConnState {
        LIBVIRT_CONN_DISCONNECTED,
        LIBVIRT_CONN_CONNECTING,
        LIBVIRT_CONN_CONNECTED,
        _LIBVIRT_CONN_STATE_MAX,
        _LIBVIRT_CONN_STATE_INVALID = -EINVAL,
} LibvirtConnState;

typedef struct LibvirtConn LibvirtConn;

int libvirt_conn_new(Manager *m, const char *uri, LibvirtConn **ret);
LibvirtConn *libvirt_conn_free(LibvirtConn *lc);
int libvirt_conn_start(LibvirtConn *lc);

bool libvirt_conn_is_connected(const LibvirtConn *lc);
LibvirtConnState libvirt_conn_get_state(const LibvirtConn *lc);
const char *libvirt_conn_get_uri(const LibvirtConn *lc);
const char *libvirt_conn_get_error(const LibvirtConn *lc);
unsigned long long libvirt_conn_get_connects(const LibvirtConn *lc);
const char *libvirt_conn_state_to_string(LibvirtConnState s);

/* Re-reads one domain (by name) now: after a hook or an event said it changed. */
int libvirt_conn_refresh_domain(LibvirtConn *lc, const char *name);
/* Re-reads every running domain and converges the guests to them. */
int libvirt_conn_refresh_all(LibvirtConn *lc);

/* A QMP command to the domain's QEMU through virDomainQemuMonitorCommand, on a worker thread. */
int libvirt_conn_monitor_command(LibvirtConn *lc, Guest *g, const char *execute, const char *const *args,
                QmpReplyHandler h, void *userdata);
/* The jobs queued for 'owner' will not call back. */
void libvirt_conn_cancel(LibvirtConn *lc, void *owner);
/* The worker pool while connected, else NULL: for the jobs of other files (libvirt-queues.c). */
LibvirtWorker *libvirt_conn_worker(LibvirtConn *lc);
/* virDomainResume() of the guest's domain, on a worker; the result is logged. */
int libvirt_conn_resume_domain(LibvirtConn *lc, Guest *g);
