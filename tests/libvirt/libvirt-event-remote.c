/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-event-remote URI KERNEL INITRD
 *
 * daemon/libvirt-event.c against a real libvirtd: the remote driver needs both handles (the
 * socket) and timeouts (keepalive, event dispatch) from the loop. Starts a transient TCG domain
 * and waits for its lifecycle events, keeps an idle connection alive through keepalive alone,
 * and checks that closing the connection removes every handle and timeout. Exit 0 when all
 * holds, 1 otherwise (the reason on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <systemd/sd-event.h>

#include "libvirt-event.h"
#include "macro.h"

#define WAIT_USEC (60ULL * 1000ULL * 1000ULL)

typedef struct Seen {
        int started;
        int stopped;
        int freed;
} Seen;

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        Seen *s = opaque;

        if (event == VIR_DOMAIN_EVENT_STARTED)
                s->started++;
        else if (event == VIR_DOMAIN_EVENT_STOPPED)
                s->stopped++;
        return 0;
}

static void on_free(void *opaque) {
        Seen *s = opaque;

        s->freed++;
}

/* Runs the loop until *counter > 0, or for 'usec' when counter is NULL. */
static int run(sd_event *e, const int *counter, unsigned long long usec) {
        unsigned long long deadline = now_usec(CLOCK_MONOTONIC) + usec, now;
        int r;

        while ((now = now_usec(CLOCK_MONOTONIC)) < deadline) {
                if (counter && *counter > 0)
                        return 0;
                r = sd_event_run(e, deadline - now);
                if (r < 0)
                        return r;
        }
        return counter && *counter == 0 ? -ETIMEDOUT : 0;
}

#define CHECK(cond, ...)                                                                                    \
        do {                                                                                                \
                if (!(cond)) {                                                                              \
                        fprintf(stderr, "FAIL: " __VA_ARGS__);                                              \
                        fputc('\n', stderr);                                                                \
                        return 1;                                                                           \
                }                                                                                           \
        } while (0)

int main(int argc, char *argv[]) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_free_ char *xml = NULL;
        virConnectPtr conn;
        virDomainPtr dom;
        Seen seen = {};
        int cb;

        if (argc != 4) {
                fprintf(stderr, "usage: libvirt-event-remote URI KERNEL INITRD\n");
                return 2;
        }
        CHECK(sd_event_new(&e) >= 0, "sd_event_new");
        CHECK(libvirt_event_attach(e) == 0, "libvirt_event_attach");

        conn = virConnectOpen(argv[1]);
        CHECK(conn, "cannot connect to %s", argv[1]);
        CHECK(libvirt_event_count() >= 1, "the remote driver watches no socket");
        /* Keepalive needs an event loop: libvirt refuses it without one. */
        CHECK(virConnectSetKeepAlive(conn, 1, 2) == 0, "keepalive refused");
        cb = virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                        VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), &seen, on_free);
        CHECK(cb >= 0, "cannot register for lifecycle events");

        CHECK(asprintf(&xml,
                              "<domain type='qemu'><name>vnic-event-remote</name><memory "
                              "unit='MiB'>128</memory>"
                              "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>%s</kernel>"
                              "<initrd>%s</initrd></os><devices><controller type='usb' model='none'/>"
                              "<memballoon model='none'/></devices></domain>",
                              argv[2], argv[3]) >= 0,
                        "asprintf");
        dom = virDomainCreateXML(conn, xml, 0);
        CHECK(dom, "cannot start a transient domain");
        CHECK(run(e, &seen.started, WAIT_USEC) == 0, "no STARTED event through the loop");
        printf("STARTED event received\n");

        /* Idle for longer than keepalive's interval × count: only the loop answers the pings. */
        CHECK(run(e, NULL, 4ULL * 1000ULL * 1000ULL) == 0, "loop failed while idle");
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
        CHECK(libvirt_event_count() == 0, "%zu handles/timeouts left after close", libvirt_event_count());
        printf("closed: no handle or timeout left\n");
        libvirt_event_detach();
        return 0;
}
