/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's event loop on sd-event: the registered functions checked one by one, then real domain
 * lifecycle events from libvirt's built-in test driver (test:///default, no daemon), which reach
 * their callback only through the loop; both again with the calls made on a second thread while
 * the loop runs (or waits) on the first, as when blocking libvirt calls run on worker threads. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libvirt/libvirt.h>
#include <systemd/sd-event.h>

#include "libvirt-event.h"
#include "macro.h"

#define WAIT_MS 5000u /* generous bound for anything the loop should deliver at once */

typedef struct Probe {
        int id;    /* the watch or timer this probe belongs to; 0: added by another thread */
        int fired; /* callbacks so far */
        int last_id;
        int last_fd;
        int last_events;
        int disable_after; /* timeouts: set to -1 from the callback after this many fires */
        bool remove_self;  /* remove the watch/timer from its own callback */
        bool in_callback;
        int freed;              /* free callbacks so far */
        bool freed_in_callback; /* a free callback ran inside the callback that removed it */
        bool off_loop;          /* a callback or free callback ran on another thread than the loop's */
} Probe;

static pthread_t loop_thread; /* the thread that attached (the test's main thread) */

static void check_thread(bool *off_loop) {
        if (!pthread_equal(pthread_self(), loop_thread))
                *off_loop = true;
}

static unsigned long long now_ms(void) {
        return now_usec(CLOCK_MONOTONIC) / 1000ULL;
}

static sd_event *loop_new(void) {
        sd_event *e = NULL;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(libvirt_event_attach(e), 0);
        loop_thread = pthread_self();
        return e;
}

static void loop_free(sd_event *e) {
        libvirt_event_detach();
        sd_event_unref(e);
}

/* Runs the loop until *counter reaches 'want'; false after 'timeout_ms'. */
static bool run_until(sd_event *e, const int *counter, int want, unsigned timeout_ms) {
        unsigned long long deadline = now_usec(CLOCK_MONOTONIC) + timeout_ms * 1000ULL;

        while (*counter < want) {
                unsigned long long now = now_usec(CLOCK_MONOTONIC);

                if (now >= deadline)
                        return false;
                assert_true(sd_event_run(e, deadline - now) >= 0);
        }
        return true;
}

static void run_for(sd_event *e, unsigned ms) {
        unsigned long long deadline = now_usec(CLOCK_MONOTONIC) + ms * 1000ULL, now;

        while ((now = now_usec(CLOCK_MONOTONIC)) < deadline)
                assert_true(sd_event_run(e, deadline - now) >= 0);
}

static void on_free(void *opaque) {
        Probe *p = opaque;

        check_thread(&p->off_loop);
        p->freed++;
        if (p->in_callback)
                p->freed_in_callback = true;
}

static void on_timeout(int timer, void *opaque) {
        Probe *p = opaque;

        if (p->id > 0)
                assert_int_equal(timer, p->id);
        check_thread(&p->off_loop);
        p->in_callback = true;
        p->fired++;
        p->last_id = timer;
        if (p->disable_after > 0 && p->fired >= p->disable_after)
                virEventUpdateTimeout(timer, -1);
        if (p->remove_self)
                assert_int_equal(virEventRemoveTimeout(timer), 0);
        p->in_callback = false;
}

static void on_handle(int watch, int fd, int events, void *opaque) {
        Probe *p = opaque;
        char buf[16];

        if (p->id > 0)
                assert_int_equal(watch, p->id);
        check_thread(&p->off_loop);
        p->in_callback = true;
        p->fired++;
        p->last_id = watch;
        p->last_fd = fd;
        p->last_events = events;
        if (p->remove_self) {
                assert_int_equal(virEventRemoveHandle(watch), 0);
                while (read(fd, buf, sizeof(buf)) > 0)
                        ;
        }
        p->in_callback = false;
}

static void test_attach(void **state) {
        sd_event *e = loop_new(), *other = NULL;
        Probe p = {};

        assert_int_equal(libvirt_event_attach(e), 0);
        assert_int_equal(sd_event_new(&other), 0);
        assert_int_equal(libvirt_event_attach(other), -EBUSY);
        loop_free(e);

        /* detached: libvirt's add calls fail instead of landing on a dead loop */
        assert_int_equal(virEventAddTimeout(0, on_timeout, &p, on_free), -1);
        assert_int_equal(libvirt_event_attach(other), 0);
        loop_free(other);
}

static void test_timeout_periodic(void **state) {
        sd_event *e = loop_new();
        unsigned long long t0 = now_ms();
        Probe p = {};

        p.id = virEventAddTimeout(20, on_timeout, &p, on_free);
        assert_true(p.id > 0);
        assert_int_equal(libvirt_event_count(), 1);
        assert_true(run_until(e, &p.fired, 3, WAIT_MS));
        /* each period starts when the last one fired: three take at least 3 × 20 ms */
        assert_true(now_ms() - t0 >= 60);

        assert_int_equal(virEventRemoveTimeout(p.id), 0);
        assert_int_equal(p.freed, 0); /* never from inside the remove call */
        assert_int_equal(virEventRemoveTimeout(p.id), -1);
        assert_int_equal(libvirt_event_count(), 0);
        assert_true(run_until(e, &p.freed, 1, WAIT_MS));
        assert_int_equal(p.fired, 3);
        loop_free(e);
        assert_int_equal(p.freed, 1);
}

static void test_timeout_disabled_and_zero(void **state) {
        sd_event *e = loop_new();
        unsigned long long t0;
        Probe p = {}, once = {.disable_after = 1};

        p.id = virEventAddTimeout(-1, on_timeout, &p, on_free);
        assert_true(p.id > 0);
        run_for(e, 50);
        assert_int_equal(p.fired, 0);

        /* 0: due on every iteration, one dispatch per sd_event_run() */
        virEventUpdateTimeout(p.id, 0);
        for (int i = 1; i <= 5; i++) {
                assert_int_equal(sd_event_run(e, 0), 1);
                assert_int_equal(p.fired, i);
        }
        virEventUpdateTimeout(p.id, -1);
        run_for(e, 50);
        assert_int_equal(p.fired, 5);

        /* libvirt's own pattern: 0 to dispatch queued events, back to -1 from the callback */
        once.id = virEventAddTimeout(0, on_timeout, &once, on_free);
        assert_true(once.id > 0);
        run_for(e, 50);
        assert_int_equal(once.fired, 1);

        /* from disabled to periodic: counted from the update */
        t0 = now_ms();
        virEventUpdateTimeout(p.id, 30);
        assert_true(run_until(e, &p.fired, 6, WAIT_MS));
        assert_true(now_ms() - t0 >= 30);

        assert_int_equal(virEventRemoveTimeout(p.id), 0);
        assert_int_equal(virEventRemoveTimeout(once.id), 0);
        assert_int_equal(libvirt_event_count(), 0);
        assert_true(run_until(e, &p.freed, 1, WAIT_MS));
        assert_int_equal(once.freed, 1);
        loop_free(e);
}

static void test_remove_from_callback(void **state) {
        sd_event *e = loop_new();
        Probe t = {.remove_self = true}, h = {.remove_self = true};
        int sv[2];

        t.id = virEventAddTimeout(0, on_timeout, &t, on_free);
        assert_true(t.id > 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
        h.id = virEventAddHandle(sv[0], VIR_EVENT_HANDLE_READABLE, on_handle, &h, on_free);
        assert_true(h.id > 0);
        assert_int_equal(write(sv[1], "x", 1), 1);

        assert_true(run_until(e, &t.freed, 1, WAIT_MS));
        assert_true(run_until(e, &h.freed, 1, WAIT_MS));
        assert_int_equal(write(sv[1], "y", 1), 1);
        run_for(e, 50);
        assert_int_equal(t.fired, 1);
        assert_int_equal(h.fired, 1);
        assert_false(t.freed_in_callback);
        assert_false(h.freed_in_callback);
        assert_int_equal(libvirt_event_count(), 0);
        loop_free(e);
        (void) close(sv[0]);
        (void) close(sv[1]);
}

static void test_handle_events(void **state) {
        sd_event *e = loop_new();
        Probe p = {}, w = {};
        int sv[2], pfd[2], n;
        char c;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
        p.id = virEventAddHandle(sv[0], VIR_EVENT_HANDLE_READABLE, on_handle, &p, on_free);
        assert_true(p.id > 0);
        assert_int_equal(sd_event_run(e, 0), 0);
        assert_int_equal(p.fired, 0);

        assert_int_equal(write(sv[1], "x", 1), 1);
        assert_true(run_until(e, &p.fired, 1, WAIT_MS));
        assert_int_equal(p.last_fd, sv[0]);
        assert_int_equal(p.last_events, VIR_EVENT_HANDLE_READABLE);

        /* mask 0 mutes it, although the byte is still there */
        virEventUpdateHandle(p.id, 0);
        assert_int_equal(sd_event_run(e, 0), 0);
        n = p.fired;

        virEventUpdateHandle(p.id, VIR_EVENT_HANDLE_WRITABLE);
        assert_true(run_until(e, &p.fired, n + 1, WAIT_MS));
        assert_int_equal(p.last_events, VIR_EVENT_HANDLE_WRITABLE);

        virEventUpdateHandle(p.id, VIR_EVENT_HANDLE_READABLE | VIR_EVENT_HANDLE_WRITABLE);
        assert_true(run_until(e, &p.fired, n + 2, WAIT_MS));
        assert_int_equal(p.last_events, VIR_EVENT_HANDLE_READABLE | VIR_EVENT_HANDLE_WRITABLE);

        /* the same fd a second time, for the other direction (libvirt allows disjoint masks) */
        virEventUpdateHandle(p.id, VIR_EVENT_HANDLE_READABLE);
        w.id = virEventAddHandle(sv[0], VIR_EVENT_HANDLE_WRITABLE, on_handle, &w, on_free);
        assert_true(w.id > 0);
        assert_int_not_equal(w.id, p.id);
        n = p.fired;
        assert_true(run_until(e, &w.fired, 1, WAIT_MS));
        assert_true(run_until(e, &p.fired, n + 1, WAIT_MS));
        assert_int_equal(w.last_fd, sv[0]);
        assert_int_equal(w.last_events, VIR_EVENT_HANDLE_WRITABLE);
        assert_int_equal(p.last_events, VIR_EVENT_HANDLE_READABLE);
        assert_int_equal(libvirt_event_count(), 2);
        assert_int_equal(virEventRemoveHandle(w.id), 0);
        assert_int_equal(virEventRemoveHandle(p.id), 0);
        assert_int_equal(virEventRemoveHandle(p.id), -1);
        assert_int_equal(p.freed + w.freed, 0);
        assert_true(run_until(e, &p.freed, 1, WAIT_MS));
        assert_int_equal(w.freed, 1);
        (void) close(sv[0]);
        (void) close(sv[1]);

        /* the writer goes away: HANGUP (with the data still readable) */
        assert_int_equal(pipe2(pfd, O_NONBLOCK | O_CLOEXEC), 0);
        p = (Probe){};
        p.id = virEventAddHandle(pfd[0], VIR_EVENT_HANDLE_READABLE, on_handle, &p, NULL);
        assert_true(p.id > 0);
        assert_int_equal(write(pfd[1], "x", 1), 1);
        (void) close(pfd[1]);
        assert_true(run_until(e, &p.fired, 1, WAIT_MS));
        assert_true(p.last_events & VIR_EVENT_HANDLE_HANGUP);
        assert_true(p.last_events & VIR_EVENT_HANDLE_READABLE);
        /* mask 0 mutes even HANGUP, which epoll reports whatever it was asked for */
        n = p.fired;
        virEventUpdateHandle(p.id, 0);
        assert_int_equal(sd_event_run(e, 0), 0);
        assert_int_equal(p.fired, n);
        assert_int_equal(read(pfd[0], &c, 1), 1);
        assert_int_equal(virEventRemoveHandle(p.id), 0);
        loop_free(e);
        (void) close(pfd[0]);
}

/* Lifecycle events as they arrive: "<domain> <event>". */
typedef struct EventLog {
        char lines[16][64];
        int n;
        int freed;
} EventLog;

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        static const char *const names[] = {"defined", "undefined", "started", "suspended", "resumed",
                        "stopped", "shutdown", "pmsuspended", "crashed"};
        EventLog *log = opaque;

        if (log->n < (int) ELEMENTSOF(log->lines))
                (void) snprintf(log->lines[log->n], sizeof(log->lines[0]), "%s %s", virDomainGetName(dom),
                                event >= 0 && event < (int) ELEMENTSOF(names) ? names[event] : "?");
        log->n++;
        return 0;
}

static void on_log_free(void *opaque) {
        EventLog *log = opaque;

        log->freed++;
}

static void test_domain_lifecycle(void **state) {
        static const char xml[] = "<domain type='test'><name>vnic-event</name><memory>8192</memory>"
                                  "<os><type>hvm</type></os></domain>";
        static const char *const want[] = {"test suspended", "test resumed", "test stopped", "test started",
                        "vnic-event defined", "vnic-event undefined"};
        sd_event *e = loop_new();
        virConnectPtr conn;
        virDomainPtr dom, dom2;
        EventLog log = {};
        int cb;

        conn = virConnectOpen("test:///default");
        assert_non_null(conn);
        cb = virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                        VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), &log, on_log_free);
        assert_true(cb >= 0);
        assert_true(libvirt_event_count() >= 1);
        dom = virDomainLookupByName(conn, "test");
        assert_non_null(dom);

        assert_int_equal(virDomainSuspend(dom), 0);
        /* queued by libvirt, delivered only when our loop runs */
        assert_int_equal(log.n, 0);
        assert_true(run_until(e, &log.n, 1, WAIT_MS));
        assert_int_equal(virDomainResume(dom), 0);
        assert_true(run_until(e, &log.n, 2, WAIT_MS));
        assert_int_equal(virDomainDestroy(dom), 0);
        assert_true(run_until(e, &log.n, 3, WAIT_MS));
        assert_int_equal(virDomainCreate(dom), 0);
        assert_true(run_until(e, &log.n, 4, WAIT_MS));

        dom2 = virDomainDefineXML(conn, xml);
        assert_non_null(dom2);
        assert_true(run_until(e, &log.n, 5, WAIT_MS));
        assert_int_equal(virDomainUndefine(dom2), 0);
        assert_true(run_until(e, &log.n, 6, WAIT_MS));

        run_for(e, 50);
        assert_int_equal(log.n, (int) ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                assert_string_equal(log.lines[i], want[i]);

        assert_int_equal(virConnectDomainEventDeregisterAny(conn, cb), 0);
        assert_true(run_until(e, &log.freed, 1, WAIT_MS));
        assert_int_equal(virDomainFree(dom2), 0);
        assert_int_equal(virDomainFree(dom), 0);
        assert_int_equal(virConnectClose(conn), 0);
        run_for(e, 20);
        assert_int_equal(libvirt_event_count(), 0);
        loop_free(e);
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L};

        (void) nanosleep(&ts, NULL);
}

/* Waits (without the loop: another thread runs it) until *flag reaches 'want'; false after
 * 'timeout_ms'. */
static bool wait_atomic(atomic_int *flag, int want, unsigned timeout_ms) {
        unsigned long long deadline = now_ms() + timeout_ms;

        while (atomic_load(flag) < want) {
                if (now_ms() >= deadline)
                        return false;
                sleep_ms(1);
        }
        return true;
}

/* Runs 'func' on a second thread while this one waits, so the loop does not run meanwhile. */
static void call_on_thread(void *(*func)(void *), void *userdata) {
        pthread_t t;

        assert_int_equal(pthread_create(&t, NULL, func, userdata), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
}

/* libvirt's functions called on a second thread. The probes belong to the loop's thread: only
 * their addresses are used there. */
typedef struct Calls {
        int fd, fd2, peer2;
        Probe *h, *t, *h2;
        atomic_int timer_seen; /* the loop's thread saw the timer fire */
        int handle, timer, handle2;
        size_t count;
        int removed_h, removed_t, removed_again;
        int freed_in_remove;
} Calls;

static void *calls_add(void *userdata) {
        Calls *c = userdata;

        sleep_ms(50); /* the loop waits in epoll by then, with no timer armed */
        c->timer = virEventAddTimeout(0, on_timeout, c->t, on_free);
        /* The handle (its fd is readable already) only once the timer fired: a new ready fd in
         * epoll would wake the loop by itself. */
        (void) wait_atomic(&c->timer_seen, 1, WAIT_MS + 1000);
        c->handle = virEventAddHandle(c->fd, VIR_EVENT_HANDLE_READABLE, on_handle, c->h, on_free);
        c->count = libvirt_event_count();
        return NULL;
}

static void *calls_mute(void *userdata) {
        Calls *c = userdata;

        virEventUpdateHandle(c->handle, 0);
        return NULL;
}

static void *calls_listen(void *userdata) {
        Calls *c = userdata;

        virEventUpdateHandle(c->handle, VIR_EVENT_HANDLE_READABLE);
        return NULL;
}

static void *calls_unmute(void *userdata) {
        Calls *c = userdata;

        virEventUpdateHandle(c->handle, VIR_EVENT_HANDLE_READABLE | VIR_EVENT_HANDLE_WRITABLE);
        virEventUpdateTimeout(c->timer, 30);
        return NULL;
}

static void *calls_timer_due(void *userdata) {
        Calls *c = userdata;

        virEventUpdateTimeout(c->timer, 0);
        return NULL;
}

static void *calls_remove_timer(void *userdata) {
        Calls *c = userdata;

        c->removed_t = virEventRemoveTimeout(c->timer);
        c->freed_in_remove = c->t->freed;
        c->count = libvirt_event_count();
        return NULL;
}

/* As libvirt's client does at close: remove, close the fd at once; then a new connection whose
 * socket likely gets the same number. */
static void *calls_remove_handle(void *userdata) {
        Calls *c = userdata;
        int sv[2];

        c->removed_h = virEventRemoveHandle(c->handle);
        c->removed_again = virEventRemoveHandle(c->handle);
        c->freed_in_remove += c->h->freed;
        (void) close(c->fd);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
                return NULL;
        c->fd2 = sv[0];
        c->peer2 = sv[1];
        if (write(c->peer2, "z", 1) != 1)
                return NULL;
        c->handle2 = virEventAddHandle(c->fd2, VIR_EVENT_HANDLE_READABLE, on_handle, c->h2, on_free);
        c->count = libvirt_event_count();
        return NULL;
}

/* Stops the loop right before it dispatches: returns what sd_event_wait() found pending. Whatever
 * happens before sd_event_dispatch() is not seen by this iteration. */
static int loop_until_pending(sd_event *e) {
        int r = sd_event_prepare(e);

        if (r == 0)
                r = sd_event_wait(e, 0);
        return r;
}

static void test_other_thread(void **state) {
        sd_event *e = loop_new();
        Probe h = {}, t = {.disable_after = 1}, h2 = {.remove_self = true};
        Calls c = {.fd2 = -EBADF, .peer2 = -EBADF, .h = &h, .t = &t, .h2 = &h2};
        unsigned long long t0;
        pthread_t thread;
        bool timer_ok, handle_ok;
        int sv[2], n, m;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(write(sv[1], "x", 1), 1);
        c.fd = sv[0];

        /* Added while the loop waits: the other thread has the ids at once, the loop wakes up and
         * dispatches them on its own thread. */
        t0 = now_ms();
        assert_int_equal(pthread_create(&thread, NULL, calls_add, &c), 0);
        /* sd_event_run() dispatches a due timer when its wait ends, so the timer fires by the
         * deadline even if nothing woke the loop: it must come well before. */
        timer_ok = run_until(e, &t.fired, 1, WAIT_MS) && now_ms() - t0 < WAIT_MS / 2;
        atomic_store(&c.timer_seen, 1);
        handle_ok = run_until(e, &h.fired, 1, WAIT_MS);
        assert_int_equal(pthread_join(thread, NULL), 0);
        assert_true(timer_ok);
        assert_true(handle_ok);
        assert_true(c.timer > 0);
        assert_true(c.handle > 0);
        assert_int_not_equal(c.timer, c.handle);
        assert_int_equal(c.count, 2);
        assert_int_equal(t.last_id, c.timer);
        assert_int_equal(h.last_id, c.handle);
        assert_int_equal(h.last_fd, sv[0]);
        assert_int_equal(h.last_events, VIR_EVENT_HANDLE_READABLE);
        run_for(e, 30);
        assert_int_equal(t.fired, 1); /* its callback disabled it */

        /* Muted by the other thread when the loop has seen the byte already and is about to
         * dispatch the handle, with the wakeup not seen yet: the handle is not dispatched. */
        n = h.fired;
        assert_true(loop_until_pending(e) > 0);
        call_on_thread(calls_mute, &c);
        assert_true(sd_event_dispatch(e) >= 0);
        assert_int_equal(h.fired, n);
        for (int i = 0; i < 5; i++)
                assert_true(sd_event_run(e, 0) >= 0);
        assert_int_equal(h.fired, n);

        /* Muted while the loop stood still: the change is applied before the loop dispatches
         * libvirt's sources, so the byte still there does not reach the callback. */
        call_on_thread(calls_listen, &c);
        assert_true(run_until(e, &h.fired, n + 1, WAIT_MS));
        assert_int_equal(h.last_events, VIR_EVENT_HANDLE_READABLE);
        call_on_thread(calls_mute, &c);
        n = h.fired;
        for (int i = 0; i < 5; i++)
                assert_true(sd_event_run(e, 0) >= 0);
        assert_int_equal(h.fired, n);

        t0 = now_ms();
        call_on_thread(calls_unmute, &c);
        assert_true(run_until(e, &h.fired, n + 1, WAIT_MS));
        assert_int_equal(h.last_events, VIR_EVENT_HANDLE_READABLE | VIR_EVENT_HANDLE_WRITABLE);
        assert_true(run_until(e, &t.fired, 2, WAIT_MS));
        assert_true(now_ms() - t0 >= 30);

        /* Removed there when the loop is about to dispatch it: not dispatched, no free callback
         * inside remove, the free callback runs here. One pending source at a time: the next
         * iteration would see the wakeup first. */
        virEventUpdateHandle(c.handle, 0); /* from here: nothing pending but the timer */
        call_on_thread(calls_timer_due, &c);
        assert_int_equal(sd_event_run(e, 0), 1); /* the wakeup: the timer is due now */
        m = t.fired;
        assert_true(loop_until_pending(e) > 0);
        call_on_thread(calls_remove_timer, &c);
        assert_true(sd_event_dispatch(e) >= 0);
        assert_int_equal(t.fired, m);
        assert_int_equal(c.removed_t, 0);
        assert_int_equal(c.freed_in_remove, 0);
        assert_int_equal(c.count, 1);
        assert_true(run_until(e, &t.freed, 1, WAIT_MS));

        /* The same for the handle, whose fd is closed at once and likely reused. */
        virEventUpdateHandle(c.handle, VIR_EVENT_HANDLE_READABLE);
        n = h.fired;
        assert_true(loop_until_pending(e) > 0);
        call_on_thread(calls_remove_handle, &c);
        assert_true(sd_event_dispatch(e) >= 0);
        assert_int_equal(h.fired, n);
        assert_int_equal(c.removed_h, 0);
        assert_int_equal(c.removed_again, -1);
        assert_int_equal(c.freed_in_remove, 0);
        assert_true(c.handle2 > 0);
        assert_int_equal(c.count, 1);
        assert_true(run_until(e, &h.freed, 1, WAIT_MS));
        assert_true(run_until(e, &h2.freed, 1, WAIT_MS));
        assert_int_equal(h2.fired, 1);
        assert_int_equal(h2.last_id, c.handle2);
        assert_int_equal(h2.last_fd, c.fd2);
        run_for(e, 20);
        assert_int_equal(h.fired, n);
        assert_int_equal(t.fired, m);
        assert_int_equal(libvirt_event_count(), 0);
        assert_false(h.off_loop);
        assert_false(t.off_loop);
        assert_false(h2.off_loop);
        loop_free(e);
        (void) close(sv[1]);
        (void) close(c.fd2);
        (void) close(c.peer2);
}

/* The test driver driven from a worker thread while the loop runs on this one, which makes no
 * libvirt call until the worker is done. */
typedef struct Worker {
        /* written by the loop's thread (its callbacks), read by the worker */
        atomic_int seen;
        atomic_int freed;
        /* the loop's thread only, read after the join */
        char lines[8][64];
        bool off_loop;
        /* the worker's, read after the join */
        const char *error; /* the first thing that failed */
        int n_domains;
        size_t count_registered;
        size_t count_closed;
        int done_fd; /* written when finished */
} Worker;

static int on_worker_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        static const char *const names[] = {"defined", "undefined", "started", "suspended", "resumed",
                        "stopped", "shutdown", "pmsuspended", "crashed"};
        Worker *w = opaque;
        int n = atomic_load(&w->seen);

        check_thread(&w->off_loop);
        if (n < (int) ELEMENTSOF(w->lines))
                (void) snprintf(w->lines[n], sizeof(w->lines[0]), "%s %s", virDomainGetName(dom),
                                event >= 0 && event < (int) ELEMENTSOF(names) ? names[event] : "?");
        atomic_store(&w->seen, n + 1);
        return 0;
}

static void on_worker_free(void *opaque) {
        Worker *w = opaque;

        atomic_fetch_add(&w->freed, 1);
}

#define WORKER_CHECK(cond, what)                                                                            \
        do {                                                                                                \
                if (!(cond)) {                                                                              \
                        w->error = (what);                                                                  \
                        goto finish;                                                                        \
                }                                                                                           \
        } while (0)

static void *worker_run(void *userdata) {
        static const char xml[] = "<domain type='test'><name>vnic-worker</name><memory>8192</memory>"
                                  "<os><type>hvm</type></os></domain>";
        Worker *w = userdata;
        virConnectPtr conn = NULL;
        virDomainPtr dom = NULL, dom2 = NULL, *doms = NULL;
        int cb = -1;

        conn = virConnectOpen("test:///default");
        WORKER_CHECK(conn, "virConnectOpen");
        cb = virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                        VIR_DOMAIN_EVENT_CALLBACK(on_worker_lifecycle), w, on_worker_free);
        WORKER_CHECK(cb >= 0, "virConnectDomainEventRegisterAny");
        w->count_registered = libvirt_event_count();

        w->n_domains = virConnectListAllDomains(conn, &doms, 0);
        WORKER_CHECK(w->n_domains >= 1, "virConnectListAllDomains");
        for (int i = 0; i < w->n_domains; i++) {
                if (!dom && strcmp(virDomainGetName(doms[i]), "test") == 0)
                        dom = doms[i];
                else
                        (void) virDomainFree(doms[i]);
        }
        WORKER_CHECK(dom, "no domain 'test' listed");

        /* Each event is queued here and must reach the callback through the loop, which waits in
         * epoll meanwhile: nothing but the wakeup of the change to libvirt's timer brings it. */
        WORKER_CHECK(virDomainDestroy(dom) == 0, "virDomainDestroy");
        WORKER_CHECK(wait_atomic(&w->seen, 1, WAIT_MS), "no 'stopped' event through the loop");
        WORKER_CHECK(virDomainCreate(dom) == 0, "virDomainCreate");
        WORKER_CHECK(wait_atomic(&w->seen, 2, WAIT_MS), "no 'started' event through the loop");
        dom2 = virDomainDefineXML(conn, xml);
        WORKER_CHECK(dom2, "virDomainDefineXML");
        WORKER_CHECK(wait_atomic(&w->seen, 3, WAIT_MS), "no 'defined' event through the loop");
        WORKER_CHECK(virDomainUndefine(dom2) == 0, "virDomainUndefine");
        WORKER_CHECK(wait_atomic(&w->seen, 4, WAIT_MS), "no 'undefined' event through the loop");

        WORKER_CHECK(virConnectDomainEventDeregisterAny(conn, cb) == 0,
                        "virConnectDomainEventDeregisterAny");
        cb = -1;
        WORKER_CHECK(wait_atomic(&w->freed, 1, WAIT_MS), "the callback's free function never ran");

finish:
        if (cb >= 0)
                (void) virConnectDomainEventDeregisterAny(conn, cb);
        if (dom2)
                (void) virDomainFree(dom2);
        if (dom)
                (void) virDomainFree(dom);
        free(doms);
        if (conn && virConnectClose(conn) != 0 && !w->error)
                w->error = "connection still referenced at close";
        w->count_closed = libvirt_event_count();
        if (write(w->done_fd, "x", 1) != 1 && !w->error)
                w->error = "cannot signal the end";
        return NULL;
}

static int on_worker_done(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        int *done = userdata;

        (*done)++;
        return sd_event_source_set_enabled(source, SD_EVENT_OFF);
}

static void test_worker_lifecycle(void **state) {
        static const char *const want[] = {
                        "test stopped", "test started", "vnic-worker defined", "vnic-worker undefined"};
        sd_event *e = loop_new();
        sd_event_source *done_source = NULL;
        Worker w = {};
        pthread_t thread;
        int pfd[2], done = 0;
        bool ok;

        assert_int_equal(pipe2(pfd, O_NONBLOCK | O_CLOEXEC), 0);
        w.done_fd = pfd[1];
        assert_int_equal(sd_event_add_io(e, &done_source, pfd[0], EPOLLIN, on_worker_done, &done), 0);

        /* This thread only runs the loop, blocking in epoll for as long as nothing happens. */
        assert_int_equal(pthread_create(&thread, NULL, worker_run, &w), 0);
        ok = run_until(e, &done, 1, 6 * WAIT_MS);
        assert_int_equal(pthread_join(thread, NULL), 0);
        assert_true(ok);
        if (w.error)
                fail_msg("worker: %s", w.error);

        assert_true(w.count_registered >= 1); /* libvirt's event timer, added from the worker */
        assert_int_equal(atomic_load(&w.seen), (int) ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                assert_string_equal(w.lines[i], want[i]);
        assert_false(w.off_loop);
        assert_int_equal(atomic_load(&w.freed), 1);

        /* Removed by the worker at once; the free callbacks run when the loop reaps them. */
        assert_int_equal(w.count_closed, 0);
        run_for(e, 20);
        assert_int_equal(libvirt_event_count(), 0);
        (void) sd_event_source_disable_unref(done_source);
        loop_free(e);
        (void) close(pfd[0]);
        (void) close(pfd[1]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_attach),
                        cmocka_unit_test(test_timeout_periodic),
                        cmocka_unit_test(test_timeout_disabled_and_zero),
                        cmocka_unit_test(test_remove_from_callback),
                        cmocka_unit_test(test_handle_events),
                        cmocka_unit_test(test_domain_lifecycle),
                        cmocka_unit_test(test_other_thread),
                        cmocka_unit_test(test_worker_lifecycle),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
