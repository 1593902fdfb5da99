/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's event loop on sd-event: the registered functions checked one by one, then real domain
 * lifecycle events from libvirt's built-in test driver (test:///default, no daemon), which reach
 * their callback only through the loop. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
        int id;    /* the watch or timer this probe belongs to */
        int fired; /* callbacks so far */
        int last_fd;
        int last_events;
        int disable_after; /* timeouts: set to -1 from the callback after this many fires */
        bool remove_self;  /* remove the watch/timer from its own callback */
        bool in_callback;
        int freed;              /* free callbacks so far */
        bool freed_in_callback; /* a free callback ran inside the callback that removed it */
} Probe;

static unsigned long long now_ms(void) {
        return now_usec(CLOCK_MONOTONIC) / 1000ULL;
}

static sd_event *loop_new(void) {
        sd_event *e = NULL;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(libvirt_event_attach(e), 0);
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

        p->freed++;
        if (p->in_callback)
                p->freed_in_callback = true;
}

static void on_timeout(int timer, void *opaque) {
        Probe *p = opaque;

        assert_int_equal(timer, p->id);
        p->in_callback = true;
        p->fired++;
        if (p->disable_after > 0 && p->fired >= p->disable_after)
                virEventUpdateTimeout(timer, -1);
        if (p->remove_self)
                assert_int_equal(virEventRemoveTimeout(timer), 0);
        p->in_callback = false;
}

static void on_handle(int watch, int fd, int events, void *opaque) {
        Probe *p = opaque;
        char buf[16];

        assert_int_equal(watch, p->id);
        p->in_callback = true;
        p->fired++;
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

int main(void) {
        const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_attach),
                        cmocka_unit_test(test_timeout_periodic),
                        cmocka_unit_test(test_timeout_disabled_and_zero),
                        cmocka_unit_test(test_remove_from_callback),
                        cmocka_unit_test(test_handle_events),
                        cmocka_unit_test(test_domain_lifecycle),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
