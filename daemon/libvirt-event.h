/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include <systemd/sd-event.h>

/* libvirt's event loop on sd-event (virEventRegisterImpl): each handle libvirt adds becomes an io
 * source and each timeout a time source of one sd_event, dispatched by that loop; no second thread
 * polls libvirt. libvirt keeps an event implementation for the life of the process, so this state
 * is process-wide, and like sd-event it is not thread-safe: call libvirt from the loop's thread. */

/* Runs libvirt's events on 'event' (referenced). The first call registers the implementation with
 * libvirt, so it must come before the first virConnectOpen*(). Returns 0 (also when attached to
 * 'event' already), -EBUSY when attached to another loop, or sd-event's error. */
int libvirt_event_attach(sd_event *event);

/* Runs the free callbacks of everything libvirt removed, drops every source and the reference to
 * the loop. Handles and timeouts libvirt has not removed are dropped without calling their free
 * callbacks (libvirt may still use that data): detach after the last virConnectClose(). Until the
 * next attach libvirt's add calls fail. */
void libvirt_event_detach(void);

/* Handles and timeouts libvirt added and has not removed yet. */
size_t libvirt_event_count(void);
