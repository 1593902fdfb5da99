/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "guest.h"
#include "log.h"
#include "manager.h"
#include "nic-queues.h"
#include "nic.h"
#include "uevent-socket.h"
#include "uevent.h"

/* Queue changes of taps, from the kernel's uevents (issue 8 part 1). A guest's `ethtool -L` makes
 * QEMU attach or detach tap queues; every kernel says so with a uevent per queue kobject. Debian
 * 12's 6.1.0-56 and 6.12 also send an RTM_NEWLINK per attach or detach, which the link monitor
 * sees; the uevents serve a kernel that sends only them (tests/daemon/test-tap-queues.sh counts
 * both). A queue uevent marks the tap's NICs dirty; the reconcile pass re-reads the tap
 * (IFLA_TUN_NUM_QUEUES), once for the whole burst of a change. */

static bool nic_on_tap(const Nic *n, const char *ifname) {
        return (n->has_host && streq(n->host.ifname, ifname)) || streq_ptr(n->host_device, ifname);
}

static void queue_uevent(Manager *m, const Uevent *u) {
        char ifname[IFNAMSIZ];

        if (uevent_net_queue(u, ifname) <= 0 || (u->action != UEVENT_ADD && u->action != UEVENT_REMOVE))
                return;
        for (size_t i = 0; i < m->n_guests; i++)
                for (size_t j = 0; j < m->guests[i]->n_nics; j++) {
                        Nic *n = m->guests[i]->nics[j];

                        if (!nic_on_tap(n, ifname))
                                continue;
                        log_nic_debug(n, "queue uevent: %s %s", uevent_action_to_string(u->action),
                                        u->devpath);
                        manager_nic_dirty(m, n);
                }
}

/* The kernel dropped uevents for us: every tap may have changed. */
static void queue_uevents_lost(Manager *m) {
        /* A storm of them may overflow the buffer again and again: one line a minute says it. */
        static RateLimit rl = {.interval_usec = 60 * USEC_PER_SEC, .burst = 1};

        if (ratelimit_below(&rl))
                log_warning("Kernel uevents were lost (receive buffer full): re-reading every host device.");
        for (size_t i = 0; i < m->n_guests; i++)
                for (size_t j = 0; j < m->guests[i]->n_nics; j++)
                        manager_nic_dirty(m, m->guests[i]->nics[j]);
}

static int on_uevent(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        char buf[UEVENT_MESSAGE_MAX];

        /* Bounded: a flood cannot keep the loop here; what is left wakes us again. */
        for (unsigned k = 0; k < 256; k++) {
                ssize_t n = uevent_socket_receive(fd, buf, sizeof(buf));
                Uevent u;

                if (n == 0)
                        break;
                if (n == -ENOBUFS) {
                        queue_uevents_lost(m);
                        continue;
                }
                if (n == -EPERM || n == -EMSGSIZE)
                        continue;
                if (n < 0) {
                        log_warning_errno((int) n, "Failed to read kernel uevents: %m");
                        break;
                }
                if (uevent_parse(buf, (size_t) n, &u) < 0) {
                        log_debug("Ignoring a malformed kernel uevent (%zd bytes).", n);
                        continue;
                }
                queue_uevent(m, &u);
        }
        return 0;
}

int manager_start_queue_uevents(Manager *m) {
        int fd, r;

        fd = uevent_socket_open();
        if (fd < 0)
                return fd;
        r = sd_event_add_io(m->event, &m->uevent_io, fd, EPOLLIN, on_uevent, m);
        if (r < 0) {
                close(fd);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(m->uevent_io, true);
        (void) sd_event_source_set_description(m->uevent_io, "queue-uevents");
        return 0;
}
