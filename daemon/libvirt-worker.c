/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "libvirt-worker.h"
#include "log.h"
#include "macro.h"

typedef struct LibvirtJob LibvirtJob;

struct LibvirtJob {
        LibvirtJob *next;
        void *owner;
        bool cancelled;
        LibvirtJobFunc run, done, free_data;
        void *data;
};

/* What the threads share with the loop. Reference-counted: a thread abandoned at shutdown (stuck in
 * a libvirt call) keeps it alive until that call returns. */
typedef struct WorkerCore {
        pthread_mutex_t lock;
        pthread_cond_t wake;
        unsigned n_ref; /* the loop's, plus one per thread */
        bool stopping;
        LibvirtJob *queued_head, *queued_tail;
        LibvirtJob *running[LIBVIRT_WORKERS];
        LibvirtJob *finished_head, *finished_tail;
        unsigned n_jobs; /* queued + running + finished, not yet freed */
        int efd;
} WorkerCore;

struct LibvirtWorker {
        WorkerCore *core;
        sd_event_source *finished;
        pthread_t threads[LIBVIRT_WORKERS];
        bool started[LIBVIRT_WORKERS];
};

typedef struct WorkerThread {
        WorkerCore *core;
        unsigned slot;
} WorkerThread;

static void job_append(LibvirtJob **head, LibvirtJob **tail, LibvirtJob *j) {
        j->next = NULL;
        if (*tail)
                (*tail)->next = j;
        else
                *head = j;
        *tail = j;
}

static LibvirtJob *job_pop(LibvirtJob **head, LibvirtJob **tail) {
        LibvirtJob *j = *head;

        if (!j)
                return NULL;
        *head = j->next;
        if (!*head)
                *tail = NULL;
        j->next = NULL;
        return j;
}

/* Called with the lock held; the last reference frees the core. Returns true when it did. */
static bool core_unref_locked(WorkerCore *c) {
        if (--c->n_ref > 0)
                return false;
        pthread_mutex_unlock(&c->lock);
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->wake);
        if (c->efd >= 0)
                (void) close(c->efd);
        free(c);
        return true;
}

static void *worker_main(void *arg) {
        WorkerThread *t = arg;
        WorkerCore *c = t->core;
        unsigned slot = t->slot;

        free(t);
        pthread_mutex_lock(&c->lock);
        for (;;) {
                LibvirtJob *j;

                while (!c->stopping && !c->queued_head)
                        pthread_cond_wait(&c->wake, &c->lock);
                if (c->stopping)
                        break;
                j = job_pop(&c->queued_head, &c->queued_tail);
                c->running[slot] = j;
                pthread_mutex_unlock(&c->lock);

                j->run(j->data);

                pthread_mutex_lock(&c->lock);
                c->running[slot] = NULL;
                if (c->stopping)
                        break; /* abandoned at shutdown: the loop is gone, so is whatever 'data' points to */
                job_append(&c->finished_head, &c->finished_tail, j);
                (void) eventfd_write(c->efd, 1);
        }
        if (!core_unref_locked(c))
                pthread_mutex_unlock(&c->lock);
        return NULL;
}

static void job_free(LibvirtJob *j) {
        if (j->free_data)
                j->free_data(j->data);
        free(j);
}

/* One job at a time off the list: a 'done' may cancel the jobs still on it (an owner going away). */
static int on_finished(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        LibvirtWorker *w = userdata;
        WorkerCore *c = w->core;
        eventfd_t v;

        (void) eventfd_read(fd, &v);
        for (;;) {
                LibvirtJob *j;

                pthread_mutex_lock(&c->lock);
                j = job_pop(&c->finished_head, &c->finished_tail);
                pthread_mutex_unlock(&c->lock);
                if (!j)
                        break;
                if (!j->cancelled && j->done)
                        j->done(j->data);
                job_free(j);
                pthread_mutex_lock(&c->lock);
                c->n_jobs--;
                pthread_mutex_unlock(&c->lock);
        }
        return 0;
}

int libvirt_worker_new(sd_event *event, LibvirtWorker **ret) {
        _cleanup_free_ LibvirtWorker *w = NULL;
        WorkerCore *c;
        int r;

        w = new0(LibvirtWorker, 1);
        c = new0(WorkerCore, 1);
        if (!w || !c) {
                free(c);
                return -ENOMEM;
        }
        c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (c->efd < 0) {
                r = -errno;
                free(c);
                return r;
        }
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->wake, NULL);
        c->n_ref = 1;
        w->core = c;

        r = sd_event_add_io(event, &w->finished, c->efd, EPOLLIN, on_finished, w);
        if (r < 0) {
                libvirt_worker_free(TAKE_PTR(w));
                return r;
        }
        (void) sd_event_source_set_description(w->finished, "libvirt-worker");

        for (unsigned i = 0; i < LIBVIRT_WORKERS; i++) {
                WorkerThread *t = new0(WorkerThread, 1);

                if (!t) {
                        libvirt_worker_free(TAKE_PTR(w));
                        return -ENOMEM;
                }
                *t = (WorkerThread){.core = c, .slot = i};
                pthread_mutex_lock(&c->lock);
                c->n_ref++;
                pthread_mutex_unlock(&c->lock);
                r = -pthread_create(&w->threads[i], NULL, worker_main, t);
                if (r < 0) {
                        free(t);
                        pthread_mutex_lock(&c->lock);
                        c->n_ref--;
                        pthread_mutex_unlock(&c->lock);
                        libvirt_worker_free(TAKE_PTR(w));
                        return r;
                }
                w->started[i] = true;
        }
        *ret = TAKE_PTR(w);
        return 0;
}

LibvirtWorker *libvirt_worker_free(LibvirtWorker *w) {
        WorkerCore *c;
        LibvirtJob *left;

        if (!w)
                return NULL;
        c = w->core;
        pthread_mutex_lock(&c->lock);
        c->stopping = true;
        pthread_cond_broadcast(&c->wake);
        pthread_mutex_unlock(&c->lock);

        for (unsigned i = 0; i < LIBVIRT_WORKERS; i++) {
                struct timespec deadline;

                if (!w->started[i])
                        continue;
                (void) clock_gettime(CLOCK_REALTIME, &deadline);
                deadline.tv_sec += LIBVIRT_JOIN_TIMEOUT;
                if (pthread_timedjoin_np(w->threads[i], NULL, &deadline) != 0) {
                        log_warning("libvirt: a call is still running after %d s at shutdown; leaving it.",
                                        LIBVIRT_JOIN_TIMEOUT);
                        (void) pthread_detach(w->threads[i]);
                }
        }

        /* Jobs that never ran or whose result came too late: freed without 'done'. */
        pthread_mutex_lock(&c->lock);
        left = c->queued_head;
        c->queued_head = c->queued_tail = NULL;
        while (c->finished_head) {
                LibvirtJob *j = job_pop(&c->finished_head, &c->finished_tail);

                j->next = left;
                left = j;
        }
        pthread_mutex_unlock(&c->lock);
        while (left) {
                LibvirtJob *next = left->next;

                job_free(left);
                left = next;
        }

        w->finished = sd_event_source_disable_unref(w->finished);
        pthread_mutex_lock(&c->lock);
        if (!core_unref_locked(c))
                pthread_mutex_unlock(&c->lock);
        free(w);
        return NULL;
}

int libvirt_worker_submit(LibvirtWorker *w, void *owner, LibvirtJobFunc run, LibvirtJobFunc done,
                LibvirtJobFunc free_data, void *data) {
        WorkerCore *c = w->core;
        LibvirtJob *j;

        j = new0(LibvirtJob, 1);
        if (!j)
                return -ENOMEM;
        *j = (LibvirtJob){.owner = owner, .run = run, .done = done, .free_data = free_data, .data = data};
        pthread_mutex_lock(&c->lock);
        if (c->n_jobs >= LIBVIRT_JOBS_MAX) {
                pthread_mutex_unlock(&c->lock);
                free(j);
                return -EBUSY;
        }
        c->n_jobs++;
        job_append(&c->queued_head, &c->queued_tail, j);
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
        return 0;
}

void libvirt_worker_cancel(LibvirtWorker *w, void *owner) {
        WorkerCore *c = w->core;

        if (!owner)
                return;
        pthread_mutex_lock(&c->lock);
        for (LibvirtJob *j = c->queued_head; j; j = j->next)
                if (j->owner == owner)
                        j->cancelled = true;
        for (unsigned i = 0; i < LIBVIRT_WORKERS; i++)
                if (c->running[i] && c->running[i]->owner == owner)
                        c->running[i]->cancelled = true;
        for (LibvirtJob *j = c->finished_head; j; j = j->next)
                if (j->owner == owner)
                        j->cancelled = true;
        pthread_mutex_unlock(&c->lock);
}

unsigned libvirt_worker_busy(LibvirtWorker *w) {
        unsigned n;

        pthread_mutex_lock(&w->core->lock);
        n = w->core->n_jobs;
        pthread_mutex_unlock(&w->core->lock);
        return n;
}
