/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt calls the functions registered here from any thread: from the loop's own callbacks, and
 * from the threads that make blocking libvirt calls (the remote client mutes its socket around
 * every RPC, queues events, arms keepalive). sd-event is not thread-safe, so each source is kept
 * twice: what libvirt wants (events, interval, removed), under 'lv.lock', and its sd-event source,
 * which only the loop's thread touches. On that thread a call applies the change at once; on any
 * other it records the change, marks the source dirty and writes to an eventfd, whose source runs
 * before libvirt's (higher priority) and applies every dirty source. Dispatch checks the wanted
 * state under the lock, so a change not applied yet still takes effect at once. */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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
        /* What libvirt wants, written under the lock by whichever thread libvirt called from: */
        bool removed;    /* libvirt let go of it; never dispatched again, freed by the reaper */
        bool dirty;      /* changed off the loop's thread, not applied to 'source' yet */
        int events;      /* handles: VIR_EVENT_HANDLE_* wanted, 0 off */
        int interval_ms; /* timeouts: -1 off, 0 every iteration, N every N ms */
        /* The loop's thread only: NULL until applied; a handle's source watches its own dup of
         * 'fd', so it stays valid however soon libvirt closes 'fd' after removing the handle. */
        sd_event_source *source;
        int fd; /* handles: the fd libvirt watches, passed back to its callback */
        virEventHandleCallback handle_cb;
        virEventTimeoutCallback timeout_cb;
        void *opaque;
        virFreeCallback ff;
};

static struct {
        pthread_mutex_t lock;    /* everything here but 'registered'; sd-event only on 'loop_thread' */
        pthread_t loop_thread;   /* the thread that attached */
        sd_event *event;         /* NULL while detached */
        sd_event_source *reaper; /* defer: runs the free callbacks of removed sources */
        sd_event_source *wake;   /* io on 'wake_fd': applies what other threads changed */
        int wake_fd;             /* eventfd, owned by 'wake' */
        bool wake_pending;       /* written to and not read yet */
        LibvirtSource *sources;  /* newest first, live and removed */
        int last_id;             /* never reset: ids are not reused, even across attaches */
        bool registered;         /* the loop's thread only */
} lv = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake_fd = -EBADF};

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

static void lock(void) {
        (void) pthread_mutex_lock(&lv.lock);
}

static void unlock(void) {
        (void) pthread_mutex_unlock(&lv.lock);
}

/* Lock held. */
static bool on_loop_thread(void) {
        return lv.event && pthread_equal(pthread_self(), lv.loop_thread);
}

/* Lock held. */
static LibvirtSource *source_find(int id, bool is_timeout) {
        for (LibvirtSource *s = lv.sources; s; s = s->next)
                if (s->id == id && s->is_timeout == is_timeout && !s->removed)
                        return s;
        return NULL;
}

/* Lock held. The id is taken at once, whichever thread asks: libvirt needs it back from add. */
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
        s->interval_ms = -1;
        s->opaque = opaque;
        s->ff = ff;
        *ret = s;
        return 0;
}

static int on_handle(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        LibvirtSource *s = userdata;
        int events = 0;

        /* Another thread may have muted or removed the handle since the loop last applied changes
         * (the remote client mutes its socket while an RPC reads it): what it wants now counts. An
         * io source reports ERROR and HANGUP whatever it asked for; a mask of 0 mutes those too. */
        lock();
        if (!s->removed && s->events != 0)
                events = events_from_epoll(revents) &
                         (s->events | VIR_EVENT_HANDLE_ERROR | VIR_EVENT_HANDLE_HANGUP);
        unlock();
        if (events == 0)
                return 0;

        /* The callback may remove or update this very handle; 's' stays valid until the reaper. */
        s->handle_cb(s->id, s->fd, events, s->opaque);
        return 0;
}

/* The loop's thread. An io source with no events would still report EPOLLERR and EPOLLHUP, so a
 * mask of 0 is off. */
static int handle_set_events(LibvirtSource *s) {
        int r;

        if (s->events == 0)
                return sd_event_source_set_enabled(s->source, SD_EVENT_OFF);
        r = sd_event_source_set_io_events(s->source, events_to_epoll(s->events));
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s->source, SD_EVENT_ON);
}

/* The loop's thread. The source watches a duplicate of libvirt's fd (same open file, an epoll
 * entry of its own): libvirt may watch one fd twice with disjoint masks, which epoll refuses, and
 * may close its fd before the loop drops a handle removed by another thread. */
static int handle_create(LibvirtSource *s) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        r = sd_event_add_io(lv.event, &s->source, fd, events_to_epoll(s->events), on_handle, s);
        if (r < 0)
                return r;
        r = sd_event_source_set_io_fd_own(s->source, true);
        if (r < 0) {
                s->source = sd_event_source_disable_unref(s->source);
                return r;
        }
        TAKE_FD(fd);
        (void) sd_event_source_set_description(s->source, "libvirt-handle");
        return 0;
}

static int on_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        LibvirtSource *s = userdata;
        int interval_ms;

        /* As for handles: a timeout another thread disabled or removed does not fire. */
        lock();
        interval_ms = s->removed ? -1 : s->interval_ms;
        unlock();
        if (interval_ms < 0)
                return 0;

        /* Re-armed before the callback, which may change or remove the timeout itself. */
        if (interval_ms > 0)
                (void) sd_event_source_set_time(
                                source, now_usec(CLOCK_MONOTONIC) + (uint64_t) interval_ms * 1000ULL);
        s->timeout_cb(s->id, s->opaque);
        return 0;
}

/* The loop's thread. */
static int timeout_arm(LibvirtSource *s) {
        uint64_t usec;
        int r;

        if (s->interval_ms < 0)
                return sd_event_source_set_enabled(s->source, SD_EVENT_OFF);
        /* 0: a time long past, so the source is due again on every iteration until changed. */
        usec = s->interval_ms == 0 ? 1 : now_usec(CLOCK_MONOTONIC) + (uint64_t) s->interval_ms * 1000ULL;
        r = sd_event_source_set_time(s->source, usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s->source, SD_EVENT_ON);
}

/* The loop's thread. */
static int timeout_create(LibvirtSource *s) {
        int r;

        r = sd_event_add_time(
                        lv.event, &s->source, CLOCK_MONOTONIC, 1, TIMEOUT_ACCURACY_USEC, on_timeout, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->source, "libvirt-timeout");
        return 0;
}

/* The loop's thread, lock held: makes the sd-event source what libvirt wants. A removed source
 * loses its sd-event source at once and is left to the reaper. */
static int source_apply(LibvirtSource *s) {
        int r;

        s->dirty = false;
        if (s->removed) {
                s->source = sd_event_source_disable_unref(s->source);
                (void) sd_event_source_set_enabled(lv.reaper, SD_EVENT_ONESHOT);
                return 0;
        }
        if (!s->source) {
                r = s->is_timeout ? timeout_create(s) : handle_create(s);
                if (r < 0)
                        return r;
        }
        return s->is_timeout ? timeout_arm(s) : handle_set_events(s);
}

/* Lock held: applies a change to 's' now on the loop's thread, or has the loop do it. Another
 * thread cannot get an error back: the loop logs it. */
static int source_changed(LibvirtSource *s) {
        if (on_loop_thread())
                return source_apply(s);

        s->dirty = true;
        if (lv.wake_pending)
                return 0;
        if (eventfd_write(lv.wake_fd, 1) < 0)
                return -errno;
        lv.wake_pending = true;
        return 0;
}

/* The loop's thread: applies what other threads changed. Runs before libvirt's sources. */
static int on_wake(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        eventfd_t n;

        lock();
        (void) eventfd_read(fd, &n);
        lv.wake_pending = false;
        for (LibvirtSource *s = lv.sources; s; s = s->next) {
                int r;

                if (!s->dirty)
                        continue;
                r = source_apply(s);
                if (r < 0)
                        (void) log_warning_errno(r, "libvirt: cannot apply a change to %s %d: %m",
                                        s->is_timeout ? "timer" : "watch", s->id);
        }
        unlock();
        return 0;
}

/* Lock held: links 's' and returns its id; on the loop's thread applies it first, and on failure
 * frees it and returns the error. */
static int source_add(LibvirtSource *s) {
        int r;

        if (on_loop_thread()) {
                r = source_apply(s);
                if (r < 0) {
                        s->source = sd_event_source_disable_unref(s->source);
                        free(s);
                        return r;
                }
        } else {
                r = source_changed(s);
                if (r < 0) {
                        free(s);
                        return r;
                }
        }
        s->next = lv.sources;
        lv.sources = s;
        return s->id;
}

/* libvirt's add functions return an id or -1. */
static int add_handle(int fd, int events, virEventHandleCallback cb, void *opaque, virFreeCallback ff) {
        LibvirtSource *s;
        int r;

        lock();
        r = source_new(false, opaque, ff, &s);
        if (r >= 0) {
                s->fd = fd;
                s->events = events;
                s->handle_cb = cb;
                r = source_add(s);
        }
        unlock();
        if (r < 0) {
                (void) log_debug_errno(r, "libvirt: cannot watch fd %d: %m", fd);
                return -1;
        }
        return r;
}

static int add_timeout(int interval_ms, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff) {
        LibvirtSource *s;
        int r;

        lock();
        r = source_new(true, opaque, ff, &s);
        if (r >= 0) {
                s->interval_ms = interval_ms;
                s->timeout_cb = cb;
                r = source_add(s);
        }
        unlock();
        if (r < 0) {
                (void) log_debug_errno(r, "libvirt: cannot add a timeout of %d ms: %m", interval_ms);
                return -1;
        }
        return r;
}

static void source_update(int id, bool is_timeout, int value) {
        LibvirtSource *s;
        int r = 0;

        lock();
        s = source_find(id, is_timeout);
        if (s) {
                if (is_timeout)
                        s->interval_ms = value;
                else
                        s->events = value;
                r = source_changed(s);
        }
        unlock();
        if (!s)
                log_debug("libvirt: update of unknown %s %d, ignoring", is_timeout ? "timer" : "watch", id);
        else if (r < 0)
                (void) log_debug_errno(
                                r, "libvirt: cannot update %s %d: %m", is_timeout ? "timer" : "watch", id);
}

static void update_handle(int watch, int events) {
        source_update(watch, false, events);
}

static void update_timeout(int timer, int interval_ms) {
        source_update(timer, true, interval_ms);
}

/* libvirt calls remove with its own locks held: the free callback must come later, from the loop. */
static int source_remove(int id, bool is_timeout) {
        LibvirtSource *s;
        int r;

        lock();
        s = source_find(id, is_timeout);
        if (s) {
                s->removed = true;
                r = source_changed(s);
                if (r < 0)
                        (void) log_warning_errno(r, "libvirt: cannot wake the loop for removed %s %d: %m",
                                        is_timeout ? "timer" : "watch", id);
        }
        unlock();
        return s ? 0 : -1;
}

static int remove_handle(int watch) {
        return source_remove(watch, false);
}

static int remove_timeout(int timer) {
        return source_remove(timer, true);
}

/* The loop's thread, lock held: unlinks the removed sources, drops their sd-event sources and
 * returns them as a list. */
static LibvirtSource *take_removed(void) {
        LibvirtSource *removed = NULL, **p = &lv.sources;

        while (*p) {
                LibvirtSource *s = *p;

                if (!s->removed) {
                        p = &s->next;
                        continue;
                }
                *p = s->next;
                s->source = sd_event_source_disable_unref(s->source);
                s->next = removed;
                removed = s;
        }
        return removed;
}

/* Without the lock: a free callback may call libvirt, which may add or remove sources. */
static void free_removed(LibvirtSource *s) {
        while (s) {
                LibvirtSource *next = s->next;

                if (s->ff)
                        s->ff(s->opaque);
                free(s);
                s = next;
        }
}

static int on_reap(sd_event_source *source, void *userdata) {
        LibvirtSource *removed;

        lock();
        removed = take_removed();
        unlock();
        free_removed(removed);
        return 0;
}

int libvirt_event_attach(sd_event *event) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        lock();
        if (lv.event) {
                r = lv.event == event ? 0 : -EBUSY;
                unlock();
                return r;
        }

        fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                goto fail;
        }
        r = sd_event_add_io(event, &lv.wake, fd, EPOLLIN, on_wake, NULL);
        if (r < 0)
                goto fail;
        r = sd_event_source_set_io_fd_own(lv.wake, true);
        if (r < 0)
                goto fail;
        lv.wake_fd = TAKE_FD(fd);
        /* Before libvirt's sources: a socket another thread muted is not dispatched to libvirt. */
        r = sd_event_source_set_priority(lv.wake, SD_EVENT_PRIORITY_IMPORTANT);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_description(lv.wake, "libvirt-wake");

        r = sd_event_add_defer(event, &lv.reaper, on_reap, NULL);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_enabled(lv.reaper, SD_EVENT_OFF);
        (void) sd_event_source_set_description(lv.reaper, "libvirt-free-callbacks");

        lv.loop_thread = pthread_self();
        lv.event = sd_event_ref(event);
        unlock();

        if (!lv.registered) {
                virEventRegisterImpl(add_handle, update_handle, remove_handle, add_timeout, update_timeout,
                                remove_timeout);
                lv.registered = true;
        }
        return 0;

fail:
        lv.wake = sd_event_source_disable_unref(lv.wake);
        lv.wake_fd = -EBADF;
        unlock();
        return r;
}

void libvirt_event_detach(void) {
        LibvirtSource *removed;
        size_t n_live = 0;

        lock();
        if (!lv.event) {
                unlock();
                return;
        }
        removed = take_removed();
        while (lv.sources) {
                LibvirtSource *s = lv.sources;

                lv.sources = s->next;
                (void) sd_event_source_disable_unref(s->source);
                free(s);
                n_live++;
        }
        lv.reaper = sd_event_source_disable_unref(lv.reaper);
        lv.wake = sd_event_source_disable_unref(lv.wake);
        lv.wake_fd = -EBADF;
        lv.wake_pending = false;
        lv.event = sd_event_unref(lv.event);
        unlock();

        free_removed(removed);
        if (n_live > 0)
                log_debug("libvirt: dropped %zu handles and timeouts libvirt had not removed", n_live);
}

size_t libvirt_event_count(void) {
        size_t n = 0;

        lock();
        for (LibvirtSource *s = lv.sources; s; s = s->next)
                if (!s->removed)
                        n++;
        unlock();
        return n;
}
