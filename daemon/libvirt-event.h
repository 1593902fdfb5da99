/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include <systemd/sd-event.h>

/* libvirt's event loop on sd-event (virEventRegisterImpl): each handle libvirt adds becomes an io
 * source and each timeout a time source of one sd_event, dispatched by that loop; no second thread
 * polls libvirt. libvirt keeps an event implementation for the life of the process, so this state
 * is process-wide.
 *
 * Threads: libvirt may call the implementation from any thread, so blocking libvirt calls can run
 * on worker threads while the loop runs. Calls from the loop's thread (the one that attached) act
 * on sd-event at once; calls from other threads get their id at once, record the change and wake
 * the loop, which applies it before it dispatches any libvirt source (a handle muted or removed by
 * another thread is not dispatched from then on). Callbacks and free callbacks run on the loop's
 * thread only. */

/* Runs libvirt's events on 'event' (referenced), from the calling thread, which must be the one
 * that runs 'event'. The first call registers the implementation with libvirt, so it must come
 * before the first virConnectOpen*(). Returns 0 (also when attached to 'event' already), -EBUSY
 * when attached to another loop, or an error from eventfd() or sd-event. The loop's thread only. */
int libvirt_event_attach(sd_event *event);

/* Runs the free callbacks of everything libvirt removed, drops every source and the reference to
 * the loop. Handles and timeouts libvirt has not removed are dropped without calling their free
 * callbacks (libvirt may still use that data): detach after the last virConnectClose(). Until the
 * next attach libvirt's add calls fail and its update and remove calls find nothing, from any
 * thread (a worker still inside libvirt is harmless). The loop's thread only. */
void libvirt_event_detach(void);

/* Handles and timeouts libvirt added and has not removed yet (their free callbacks may still be
 * pending on the loop). Thread-safe. */
size_t libvirt_event_count(void);
