/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <systemd/sd-event.h>

#include "libvirt-event.h"
#include "log.h"
#include "macro.h"

/* Timeouts fire within 1 ms of when libvirt asked (sd-event's default slack is 250 ms). */
#define TIMEOUT_ACCURACY_USEC 1000ULL

typedef struct LibvirtSource LibvirtSource;

struct LibvirtSource {
        LibvirtSource *next;
        int id; /* libvirt's watch or timer number, > 0 */
        bool is_timeout;
        bool removed; /* libvirt let go of it; freed by the reaper */
        sd_event_source *source;
        int fd;          /* handles: the fd libvirt watches (the source may watch a dup of it) */
        int interval_ms; /* timeouts: -1 off, 0 every iteration, N every N ms */
        virEventHandleCallback handle_cb;
        virEventTimeoutCallback timeout_cb;
        void *opaque;
        virFreeCallback ff;
};

static struct {
        sd_event *event;
        sd_event_source *reaper; /* defer: runs the free callbacks of removed sources */
        LibvirtSource *sources;  /* newest first, live and removed */
        int last_id;             /* never reset: ids are not reused, even across attaches */
        bool registered;
} lv;

static int events_to_epoll(int events) {
        return (events & VIR_EVENT_HANDLE_READABLE ? EPOLLIN : 0) |
               (events & VIR_EVENT_HANDLE_WRITABLE ? EPOLLOUT : 0) |
               (events & VIR_EVENT_HANDLE_ERROR ? EPOLLERR : 0) |
               (events & VIR_EVENT_HANDLE_HANGUP ? EPOLLHUP : 0);
}

static int events_from_epoll(uint32_t revents) {
        return (revents & (EPOLLIN | EPOLLPRI) ? VIR_EVENT_HANDLE_READABLE : 0) |
               (revents & EPOLLOUT ? VIR_EVENT_HANDLE_WRITABLE : 0) |
               (revents & EPOLLERR ? VIR_EVENT_HANDLE_ERROR : 0) |
               (revents & EPOLLHUP ? VIR_EVENT_HANDLE_HANGUP : 0);
}

static LibvirtSource *source_find(int id, bool is_timeout) {
        for (LibvirtSource *s = lv.sources; s; s = s->next)
                if (s->id == id && s->is_timeout == is_timeout && !s->removed)
                        return s;
        return NULL;
}

static int source_new(bool is_timeout, void *opaque, virFreeCallback ff, LibvirtSource **ret) {
        LibvirtSource *s;

        if (!lv.event)
                return -ENXIO;
        if (lv.last_id == INT_MAX)
                return -EOVERFLOW;
        s = new0(LibvirtSource, 1);
        if (!s)
                return -ENOMEM;
        s->id = ++lv.last_id;
        s->is_timeout = is_timeout;
        s->fd = -EBADF;
        s->opaque = opaque;
        s->ff = ff;
        *ret = s;
        return 0;
}

static void source_link(LibvirtSource *s) {
        s->next = lv.sources;
        lv.sources = s;
}

static int on_handle(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        LibvirtSource *s = userdata;

        /* The callback may remove or update this very handle; 's' stays valid until the reaper. */
        s->handle_cb(s->id, s->fd, events_from_epoll(revents), s->opaque);
        return 0;
}

/* An io source with no events would still report EPOLLERR and EPOLLHUP, so a mask of 0 is off. */
static int handle_set_events(LibvirtSource *s, int events) {
        int r;

        if (events == 0)
                return sd_event_source_set_enabled(s->source, SD_EVENT_OFF);
        r = sd_event_source_set_io_events(s->source, events_to_epoll(events));
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s->source, SD_EVENT_ON);
}

static int handle_new(int fd, int events, virEventHandleCallback cb, void *opaque, virFreeCallback ff) {
        _cleanup_free_ LibvirtSource *s = NULL;
        _cleanup_close_ int dup_fd = -EBADF;
        int r;

        r = source_new(false, opaque, ff, &s);
        if (r < 0)
                return r;
        s->fd = fd;
        s->handle_cb = cb;

        r = sd_event_add_io(lv.event, &s->source, fd, events_to_epoll(events), on_handle, s);
        if (r == -EEXIST) {
                /* libvirt may watch one fd twice with disjoint masks; epoll takes an fd once, so the
                 * second watch is on a duplicate of it (same open file, its own epoll entry). */
                dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (dup_fd < 0)
                        return -errno;
                r = sd_event_add_io(lv.event, &s->source, dup_fd, events_to_epoll(events), on_handle, s);
                if (r >= 0)
                        r = sd_event_source_set_io_fd_own(s->source, true);
                if (r >= 0)
                        TAKE_FD(dup_fd);
        }
        if (r >= 0)
                r = handle_set_events(s, events);
        if (r < 0) {
                s->source = sd_event_source_disable_unref(s->source);
                return r;
        }
        (void) sd_event_source_set_description(s->source, "libvirt-handle");
        source_link(s);
        return TAKE_PTR(s)->id;
}

/* libvirt's add functions return an id or -1. */
static int add_handle(int fd, int events, virEventHandleCallback cb, void *opaque, virFreeCallback ff) {
        int r = handle_new(fd, events, cb, opaque, ff);

        if (r < 0) {
                (void) log_debug_errno(r, "libvirt: cannot watch fd %d: %m", fd);
                return -1;
        }
        return r;
}

static void update_handle(int watch, int events) {
        LibvirtSource *s = source_find(watch, false);
        int r;

        if (!s)
                return (void) log_debug("libvirt: update of unknown watch %d, ignoring", watch);
        r = handle_set_events(s, events);
        if (r < 0)
                (void) log_debug_errno(r, "libvirt: cannot update watch %d: %m", watch);
}

/* libvirt calls remove with its own locks held: the free callback must come later, from the loop. */
static int source_remove(int id, bool is_timeout) {
        LibvirtSource *s = source_find(id, is_timeout);

        if (!s)
                return -1;
        s->removed = true;
        s->source = sd_event_source_disable_unref(s->source);
        (void) sd_event_source_set_enabled(lv.reaper, SD_EVENT_ONESHOT);
        return 0;
}

static int remove_handle(int watch) {
        return source_remove(watch, false);
}

static int timeout_arm(LibvirtSource *s, int interval_ms) {
        int r;

        s->interval_ms = interval_ms;
        if (interval_ms < 0)
                return sd_event_source_set_enabled(s->source, SD_EVENT_OFF);
        /* 0: a time long past, so the source is due again on every iteration until changed. */
        r = sd_event_source_set_time(s->source,
                        interval_ms == 0 ? 1 : now_usec(CLOCK_MONOTONIC) + (uint64_t) interval_ms * 1000ULL);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s->source, SD_EVENT_ON);
}

static int on_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        LibvirtSource *s = userdata;

        /* Re-armed before the callback, which may change or remove the timeout itself. */
        if (s->interval_ms > 0)
                (void) sd_event_source_set_time(
                                source, now_usec(CLOCK_MONOTONIC) + (uint64_t) s->interval_ms * 1000ULL);
        s->timeout_cb(s->id, s->opaque);
        return 0;
}

static int timeout_new(int interval_ms, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff) {
        _cleanup_free_ LibvirtSource *s = NULL;
        int r;

        r = source_new(true, opaque, ff, &s);
        if (r < 0)
                return r;
        s->timeout_cb = cb;

        r = sd_event_add_time(
                        lv.event, &s->source, CLOCK_MONOTONIC, 1, TIMEOUT_ACCURACY_USEC, on_timeout, s);
        if (r >= 0)
                r = timeout_arm(s, interval_ms);
        if (r < 0) {
                s->source = sd_event_source_disable_unref(s->source);
                return r;
        }
        (void) sd_event_source_set_description(s->source, "libvirt-timeout");
        source_link(s);
        return TAKE_PTR(s)->id;
}

static int add_timeout(int interval_ms, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff) {
        int r = timeout_new(interval_ms, cb, opaque, ff);

        if (r < 0) {
                (void) log_debug_errno(r, "libvirt: cannot add a timeout of %d ms: %m", interval_ms);
                return -1;
        }
        return r;
}

static void update_timeout(int timer, int interval_ms) {
        LibvirtSource *s = source_find(timer, true);
        int r;

        if (!s)
                return (void) log_debug("libvirt: update of unknown timer %d, ignoring", timer);
        r = timeout_arm(s, interval_ms);
        if (r < 0)
                (void) log_debug_errno(r, "libvirt: cannot update timer %d: %m", timer);
}

static int remove_timeout(int timer) {
        return source_remove(timer, true);
}

/* Unlinks the removed sources and returns them as a list. */
static LibvirtSource *take_removed(void) {
        LibvirtSource *removed = NULL, **p = &lv.sources;

        while (*p) {
                LibvirtSource *s = *p;

                if (!s->removed) {
                        p = &s->next;
                        continue;
                }
                *p = s->next;
                s->next = removed;
                removed = s;
        }
        return removed;
}

/* A free callback may call libvirt, which may add or remove sources: the list is unlinked first. */
static int on_reap(sd_event_source *source, void *userdata) {
        LibvirtSource *s = take_removed();

        while (s) {
                LibvirtSource *next = s->next;

                if (s->ff)
                        s->ff(s->opaque);
                free(s);
                s = next;
        }
        return 0;
}

int libvirt_event_attach(sd_event *event) {
        int r;

        if (lv.event)
                return lv.event == event ? 0 : -EBUSY;

        r = sd_event_add_defer(event, &lv.reaper, on_reap, NULL);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(lv.reaper, SD_EVENT_OFF);
        (void) sd_event_source_set_description(lv.reaper, "libvirt-free-callbacks");
        lv.event = sd_event_ref(event);

        if (!lv.registered) {
                virEventRegisterImpl(add_handle, update_handle, remove_handle, add_timeout, update_timeout,
                                remove_timeout);
                lv.registered = true;
        }
        return 0;
}

void libvirt_event_detach(void) {
        size_t n_live = 0;

        if (!lv.event)
                return;
        (void) on_reap(NULL, NULL);
        while (lv.sources) {
                LibvirtSource *s = lv.sources;

                lv.sources = s->next;
                (void) sd_event_source_disable_unref(s->source);
                free(s);
                n_live++;
        }
        if (n_live > 0)
                log_debug("libvirt: dropped %zu handles and timeouts libvirt had not removed", n_live);
        lv.reaper = sd_event_source_disable_unref(lv.reaper);
        lv.event = sd_event_unref(lv.event);
}

size_t libvirt_event_count(void) {
        size_t n = 0;

        for (LibvirtSource *s = lv.sources; s; s = s->next)
                if (!s->removed)
                        n++;
        return n;
}
