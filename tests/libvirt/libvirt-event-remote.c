/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-event-remote single|worker URI KERNEL INITRD
 *
 * daemon/libvirt-event.c against a real libvirtd: the remote driver needs both handles (the
 * socket) and timeouts (keepalive, event dispatch) from the loop. Starts a transient TCG domain
 * and waits for its lifecycle events, keeps an idle connection alive through keepalive alone,
 * and checks that closing the connection removes every handle and timeout.
 *
 *   single  every libvirt call on the loop's thread, between runs of the loop
 *   worker  every libvirt call (open, create, list, destroy, close) on a worker thread while the
 *           main thread only runs the loop: the remote client then adds, mutes and removes its
 *           handle and timeouts from the worker, the loop must still see the events and answer
 *           keepalive, and must never stand still while the worker waits on libvirtd, also not
 *           through 3 s of RPCs back to back (the socket muted and unmuted around each)
 *
 * A 10 ms timer on the loop measures the longest gap between two of its runs, printed in both
 * modes (in 'single' it is about the longest call) and bounded in 'worker'. Exit 0 when all
 * holds, 1 otherwise (the reason on stderr). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <systemd/sd-event.h>

#include "libvirt-event.h"
#include "macro.h"

#define WAIT_USEC    (60ULL * 1000ULL * 1000ULL)
#define IDLE_USEC    (4ULL * 1000ULL * 1000ULL) /* > keepalive's 1 s interval × 2 */
#define TICK_USEC    (10ULL * 1000ULL)
#define MAX_GAP_USEC (2ULL * 1000ULL * 1000ULL) /* liveness bound in 'worker' mode */
#define BUSY_USEC    (3ULL * 1000ULL * 1000ULL) /* > MAX_GAP_USEC of RPCs on the worker */
#define DOMAIN_NAME  "vnic-event-remote"

/* Written by the loop's thread (libvirt's callbacks run there), read by the worker. */
typedef struct Seen {
        atomic_int started;
        atomic_int stopped;
        atomic_int freed;
        atomic_bool off_loop; /* a callback ran on another thread than the loop's */
} Seen;

static pthread_t loop_thread;

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        Seen *s = opaque;

        if (!pthread_equal(pthread_self(), loop_thread))
                atomic_store(&s->off_loop, true);
        if (event == VIR_DOMAIN_EVENT_STARTED)
                atomic_fetch_add(&s->started, 1);
        else if (event == VIR_DOMAIN_EVENT_STOPPED)
                atomic_fetch_add(&s->stopped, 1);
        return 0;
}

static void on_free(void *opaque) {
        Seen *s = opaque;

        atomic_fetch_add(&s->freed, 1);
}

/* The longest time between two runs of the loop, seen by a 10 ms timer. */
typedef struct Ticker {
        sd_event_source *source;
        unsigned long long last;
        unsigned long long max_gap;
        unsigned long n;
} Ticker;

static int on_tick(sd_event_source *source, uint64_t usec, void *userdata) {
        Ticker *t = userdata;
        unsigned long long now = now_usec(CLOCK_MONOTONIC);

        if (t->last > 0 && now - t->last > t->max_gap)
                t->max_gap = now - t->last;
        t->last = now;
        t->n++;
        return sd_event_source_set_time(source, now + TICK_USEC);
}

static int ticker_start(sd_event *e, Ticker *t) {
        int r;

        *t = (Ticker){.last = now_usec(CLOCK_MONOTONIC)};
        r = sd_event_add_time(e, &t->source, CLOCK_MONOTONIC, t->last + TICK_USEC, 1000, on_tick, t);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(t->source, SD_EVENT_ON);
}

static void ticker_stop(Ticker *t) {
        unsigned long long now = now_usec(CLOCK_MONOTONIC);

        /* the gap still open counts too */
        if (now - t->last > t->max_gap)
                t->max_gap = now - t->last;
        t->source = sd_event_source_disable_unref(t->source);
}

/* Runs the loop until *counter > 0, or for 'usec' when counter is NULL. */
static int run(sd_event *e, const atomic_int *counter, unsigned long long usec) {
        unsigned long long deadline = now_usec(CLOCK_MONOTONIC) + usec, now;
        int r;

        while ((now = now_usec(CLOCK_MONOTONIC)) < deadline) {
                if (counter && atomic_load(counter) > 0)
                        return 0;
                r = sd_event_run(e, deadline - now);
                if (r < 0)
                        return r;
        }
        return counter && atomic_load(counter) == 0 ? -ETIMEDOUT : 0;
}

static void sleep_usec(unsigned long long usec) {
        struct timespec ts = {.tv_sec = usec / 1000000ULL, .tv_nsec = (long) (usec % 1000000ULL) * 1000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* The worker waits for what the loop's thread sees, without running the loop. */
static int wait_for(const atomic_int *counter, unsigned long long usec) {
        unsigned long long deadline = now_usec(CLOCK_MONOTONIC) + usec;

        while (atomic_load(counter) == 0) {
                if (now_usec(CLOCK_MONOTONIC) >= deadline)
                        return -ETIMEDOUT;
                sleep_usec(1000);
        }
        return 0;
}

#define CHECK(cond, ...)                                                                                    \
        do {                                                                                                \
                if (!(cond)) {                                                                              \
                        fprintf(stderr, "FAIL: " __VA_ARGS__);                                              \
                        fputc('\n', stderr);                                                                \
                        return 1;                                                                           \
                }                                                                                           \
        } while (0)

static char *domain_xml(const char *kernel, const char *initrd) {
        char *xml = NULL;

        if (asprintf(&xml,
                            "<domain type='qemu'><name>" DOMAIN_NAME "</name><memory unit='MiB'>128</memory>"
                            "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>%s</kernel>"
                            "<initrd>%s</initrd></os><devices><controller type='usb' model='none'/>"
                            "<memballoon model='none'/></devices></domain>",
                            kernel, initrd) < 0)
                return NULL;
        return xml;
}

static bool domain_listed(virConnectPtr conn) {
        virDomainPtr *doms = NULL;
        bool found = false;
        int n;

        n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
        for (int i = 0; i < n; i++) {
                if (strcmp(virDomainGetName(doms[i]), DOMAIN_NAME) == 0)
                        found = true;
                (void) virDomainFree(doms[i]);
        }
        free(doms);
        return found;
}

static unsigned long long ms_since(unsigned long long t0) {
        return (now_usec(CLOCK_MONOTONIC) - t0) / 1000ULL;
}

/* Every call on the loop's thread; the loop runs between them. */
static int run_single(sd_event *e, const char *uri, const char *xml) {
        virConnectPtr conn;
        virDomainPtr dom;
        Seen seen = {};
        Ticker ticker;
        unsigned long long t0;
        int cb;

        CHECK(ticker_start(e, &ticker) >= 0, "ticker");
        conn = virConnectOpen(uri);
        CHECK(conn, "cannot connect to %s", uri);
        CHECK(libvirt_event_count() >= 1, "the remote driver watches no socket");
        /* Keepalive needs an event loop: libvirt refuses it without one. */
        CHECK(virConnectSetKeepAlive(conn, 1, 2) == 0, "keepalive refused");
        cb = virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                        VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), &seen, on_free);
        CHECK(cb >= 0, "cannot register for lifecycle events");

        t0 = now_usec(CLOCK_MONOTONIC);
        dom = virDomainCreateXML(conn, xml, 0);
        CHECK(dom, "cannot start a transient domain");
        printf("virDomainCreateXML took %llu ms (on the loop's thread)\n", ms_since(t0));
        CHECK(run(e, &seen.started, WAIT_USEC) == 0, "no STARTED event through the loop");
        printf("STARTED event received\n");
        CHECK(domain_listed(conn), "the running domain is not listed");

        /* Idle for longer than keepalive's interval × count: only the loop answers the pings. */
        CHECK(run(e, NULL, IDLE_USEC) == 0, "loop failed while idle");
        CHECK(virConnectIsAlive(conn) == 1, "connection dropped while the loop ran idle");
        printf("connection alive after 4 s idle with keepalive 1 s × 2\n");

        CHECK(virDomainDestroy(dom) == 0, "virDomainDestroy");
        CHECK(run(e, &seen.stopped, WAIT_USEC) == 0, "no STOPPED event through the loop");
        printf("STOPPED event received\n");
        CHECK(virDomainFree(dom) == 0, "virDomainFree");

        CHECK(virConnectDomainEventDeregisterAny(conn, cb) == 0, "deregister");
        CHECK(run(e, &seen.freed, WAIT_USEC) == 0, "the callback's free function never ran");
        CHECK(virConnectClose(conn) == 0, "connection still referenced at close");
        CHECK(run(e, NULL, 100ULL * 1000ULL) == 0, "loop failed after close");
        CHECK(!atomic_load(&seen.off_loop), "a callback ran off the loop's thread");
        CHECK(libvirt_event_count() == 0, "%zu handles/timeouts left after close", libvirt_event_count());
        printf("closed: no handle or timeout left\n");
        ticker_stop(&ticker);
        printf("longest loop gap: %llu ms over %lu ticks (calls block the loop in this mode)\n",
                        ticker.max_gap / 1000ULL, ticker.n);
        return 0;
}

typedef struct Worker {
        const char *uri;
        const char *xml;
        Seen seen;
        int done_fd; /* written when the worker is finished */
        int ret;     /* the worker's exit status */
} Worker;

/* Every libvirt call here; the loop's thread is never waited for, only what it saw is read. */
static int worker_calls(Worker *w) {
        virConnectPtr conn;
        virDomainPtr dom;
        unsigned long long t0;
        unsigned n_rpc = 0;
        int cb;

        t0 = now_usec(CLOCK_MONOTONIC);
        conn = virConnectOpen(w->uri);
        CHECK(conn, "cannot connect to %s", w->uri);
        printf("worker: virConnectOpen took %llu ms\n", ms_since(t0));
        CHECK(libvirt_event_count() >= 1, "the remote driver watches no socket");
        CHECK(virConnectSetKeepAlive(conn, 1, 2) == 0, "keepalive refused");
        cb = virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                        VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), &w->seen, on_free);
        CHECK(cb >= 0, "cannot register for lifecycle events");

        t0 = now_usec(CLOCK_MONOTONIC);
        dom = virDomainCreateXML(conn, w->xml, 0);
        CHECK(dom, "cannot start a transient domain");
        printf("worker: virDomainCreateXML took %llu ms\n", ms_since(t0));
        CHECK(wait_for(&w->seen.started, WAIT_USEC) == 0, "no STARTED event through the loop");
        printf("worker: STARTED event received on the loop\n");

        /* RPC after RPC for longer than the loop may stand still: the client mutes its socket
         * around each from here, the loop keeps running (and dispatching keepalive) meanwhile. */
        t0 = now_usec(CLOCK_MONOTONIC);
        while (now_usec(CLOCK_MONOTONIC) - t0 < BUSY_USEC) {
                int state, reason;

                CHECK(domain_listed(conn), "the running domain is not listed");
                CHECK(virDomainGetState(dom, &state, &reason, 0) == 0, "virDomainGetState");
                CHECK(state == VIR_DOMAIN_RUNNING, "domain state %d, not running", state);
                n_rpc += 2;
        }
        printf("worker: %u RPCs back to back in %llu ms\n", n_rpc, ms_since(t0));

        /* No call for longer than keepalive's interval × count: only the loop answers the pings. */
        sleep_usec(IDLE_USEC);
        CHECK(virConnectIsAlive(conn) == 1, "connection dropped while the worker made no call");
        printf("worker: connection alive after 4 s without calls, keepalive 1 s × 2\n");

        t0 = now_usec(CLOCK_MONOTONIC);
        CHECK(virDomainDestroy(dom) == 0, "virDomainDestroy");
        printf("worker: virDomainDestroy took %llu ms\n", ms_since(t0));
        CHECK(wait_for(&w->seen.stopped, WAIT_USEC) == 0, "no STOPPED event through the loop");
        printf("worker: STOPPED event received on the loop\n");
        CHECK(virDomainFree(dom) == 0, "virDomainFree");

        CHECK(virConnectDomainEventDeregisterAny(conn, cb) == 0, "deregister");
        CHECK(wait_for(&w->seen.freed, WAIT_USEC) == 0, "the callback's free function never ran");
        CHECK(virConnectClose(conn) == 0, "connection still referenced at close");
        /* removed at once; the loop drops the sources and runs the free callbacks */
        CHECK(libvirt_event_count() == 0, "%zu handles/timeouts left after close", libvirt_event_count());
        return 0;
}

static void *worker_main(void *userdata) {
        Worker *w = userdata;

        w->ret = worker_calls(w);
        if (write(w->done_fd, "x", 1) != 1)
                w->ret = 1;
        return NULL;
}

static int on_done(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        atomic_int *done = userdata;

        atomic_store(done, 1);
        return sd_event_source_set_enabled(source, SD_EVENT_OFF);
}

/* Every call on a worker; this thread only runs the loop. */
static int run_worker(sd_event *e, const char *uri, const char *xml) {
        _cleanup_close_ int done_fd = -EBADF;
        sd_event_source *done_source = NULL;
        Worker w = {.uri = uri, .xml = xml};
        atomic_int done = 0;
        Ticker ticker;
        pthread_t thread;
        int pfd[2], r;

        CHECK(pipe2(pfd, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2");
        done_fd = pfd[0];
        w.done_fd = pfd[1];
        CHECK(sd_event_add_io(e, &done_source, done_fd, EPOLLIN, on_done, &done) >= 0, "done source");
        CHECK(ticker_start(e, &ticker) >= 0, "ticker");

        CHECK(pthread_create(&thread, NULL, worker_main, &w) == 0, "pthread_create");
        /* The worker has its own deadlines; this one only keeps a lost worker from hanging here. */
        r = run(e, &done, 5 * WAIT_USEC);
        if (r < 0) {
                fprintf(stderr, "FAIL: the worker did not finish: %s\n", strerror(-r));
                _exit(1);
        }
        CHECK(pthread_join(thread, NULL) == 0, "pthread_join");
        (void) close(w.done_fd);
        done_source = sd_event_source_disable_unref(done_source);
        if (w.ret != 0)
                return w.ret;

        CHECK(run(e, NULL, 100ULL * 1000ULL) == 0, "loop failed after close");
        ticker_stop(&ticker);
        CHECK(!atomic_load(&w.seen.off_loop), "a callback ran off the loop's thread");
        CHECK(libvirt_event_count() == 0, "%zu handles/timeouts left after close", libvirt_event_count());
        printf("closed: no handle or timeout left\n");
        printf("longest loop gap: %llu ms over %lu ticks (bound %llu ms)\n", ticker.max_gap / 1000ULL,
                        ticker.n, MAX_GAP_USEC / 1000ULL);
        CHECK(ticker.max_gap < MAX_GAP_USEC,
                        "the loop stood still for %llu ms while the worker called libvirt",
                        ticker.max_gap / 1000ULL);
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_free_ char *xml = NULL;
        int r;

        if (argc != 5 || (strcmp(argv[1], "single") != 0 && strcmp(argv[1], "worker") != 0)) {
                fprintf(stderr, "usage: libvirt-event-remote single|worker URI KERNEL INITRD\n");
                return 2;
        }
        xml = domain_xml(argv[3], argv[4]);
        CHECK(xml, "asprintf");
        CHECK(sd_event_new(&e) >= 0, "sd_event_new");
        CHECK(libvirt_event_attach(e) == 0, "libvirt_event_attach");
        loop_thread = pthread_self();

        r = strcmp(argv[1], "single") == 0 ? run_single(e, argv[2], xml) : run_worker(e, argv[2], xml);
        if (r != 0)
                return r;
        libvirt_event_detach();
        return 0;
}
