/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "log.h"
#include "qmp-client.h"

typedef struct QmpPending {
        uint64_t id;
        unsigned long long sent_usec; /* CLOCK_MONOTONIC */
        char execute[32];
        QmpReplyHandler handler;
        void *userdata;
} QmpPending;

struct QmpClient {
        sd_event *event;
        char *path;
        QmpEventHandler on_event;
        QmpStateHandler on_state;
        void *userdata;

        QmpClientState state;
        int fd;
        sd_event_source *io;
        sd_event_source *retry;
        sd_event_source *reply_timer;
        unsigned long long backoff_usec;

        QmpReader reader;
        char *wbuf;
        size_t wlen;

        uint64_t next_id;
        QmpPending pending[QMP_PENDING_MAX];
        size_t n_pending;

        char version[32];
        RateLimit bad_input_rl;
};

static const char *const qmp_client_state_table[_QMP_CLIENT_STATE_MAX] = {
                [QMP_CLIENT_DISCONNECTED] = "disconnected",
                [QMP_CLIENT_CONNECTING] = "connecting",
                [QMP_CLIENT_GREETING] = "greeting",
                [QMP_CLIENT_NEGOTIATING] = "negotiating",
                [QMP_CLIENT_READY] = "ready",
};

const char *qmp_client_state_to_string(QmpClientState s) {
        return s >= 0 && s < _QMP_CLIENT_STATE_MAX ? qmp_client_state_table[s] : NULL;
}

QmpClientState qmp_client_get_state(QmpClient *c) {
        return c->state;
}

const char *qmp_client_get_version(QmpClient *c) {
        return c->version[0] ? c->version : NULL;
}

const char *qmp_client_get_path(QmpClient *c) {
        return c->path;
}

int qmp_client_get_peer_pid(QmpClient *c, pid_t *ret) {
        struct ucred cred;
        socklen_t sl = sizeof(cred);

        if (c->fd < 0 || c->state == QMP_CLIENT_DISCONNECTED)
                return -ENOTCONN;
        if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl) < 0)
                return -errno;
        if (cred.pid <= 0)
                return -ENODATA;
        *ret = cred.pid;
        return 0;
}

static void client_set_state(QmpClient *c, QmpClientState s, int error, const char *reason) {
        if (c->state == s)
                return;
        c->state = s;
        if (c->on_state)
                c->on_state(c, s, error, reason, c->userdata);
}

static int client_schedule_retry(QmpClient *c);

/* Closes the socket, fails every pending reply and schedules a reconnect. */
static void client_disconnect(QmpClient *c, int error, const char *reason) {
        c->io = sd_event_source_disable_unref(c->io);
        c->reply_timer = sd_event_source_disable_unref(c->reply_timer);
        c->fd = safe_close(c->fd);
        qmp_reader_done(&c->reader);
        qmp_reader_init(&c->reader, 0);
        c->wbuf = mfree(c->wbuf);
        c->wlen = 0;
        c->version[0] = 0;
        /* Disconnected before any handler runs, so that a handler's new command is refused
         * (-ENOTCONN) instead of queued for a socket that is gone. */
        c->state = QMP_CLIENT_DISCONNECTED;

        /* Drain the live table from the front: a handler may forget (qmp_client_forget()) the
         * entries of an object it frees, and those must not be called afterwards. */
        while (c->n_pending > 0) {
                QmpPending p = c->pending[0];

                memmove(c->pending, c->pending + 1, (c->n_pending - 1) * sizeof(QmpPending));
                c->n_pending--;
                if (p.handler)
                        p.handler(c, NULL, p.userdata);
        }

        if (c->on_state)
                c->on_state(c, QMP_CLIENT_DISCONNECTED, error, reason, c->userdata);
        (void) client_schedule_retry(c);
}

static int client_update_io_events(QmpClient *c) {
        if (!c->io)
                return 0;
        return sd_event_source_set_io_events(c->io,
                        EPOLLIN | EPOLLRDHUP |
                                        (c->wlen > 0 || c->state == QMP_CLIENT_CONNECTING ? EPOLLOUT : 0));
}

static int client_write_raw(QmpClient *c, const char *data, size_t n) {
        char *b;

        if (c->wlen + n > QMP_WRITE_MAX)
                return -EBUSY;
        b = realloc(c->wbuf, c->wlen + n);
        if (!b)
                return -ENOMEM;
        memcpy(b + c->wlen, data, n);
        c->wbuf = b;
        c->wlen += n;
        return client_update_io_events(c);
}

#define IN_SET_STATE_HANDSHAKE(s) ((s) == QMP_CLIENT_CONNECTING || (s) == QMP_CLIENT_GREETING)

static int on_reply_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        QmpClient *c = userdata;
        char reason[96];

        if (IN_SET_STATE_HANDSHAKE(c->state))
                (void) snprintf(reason, sizeof(reason), "no QMP greeting within %llu s",
                                QMP_REPLY_TIMEOUT_USEC / 1000000ULL);
        else if (c->n_pending > 0)
                (void) snprintf(reason, sizeof(reason), "no reply to %s within %llu s",
                                c->pending[0].execute, QMP_REPLY_TIMEOUT_USEC / 1000000ULL);
        else
                return 0;
        client_disconnect(c, -ETIMEDOUT, reason);
        return 0;
}

/* One timer for the oldest pending command: replies come in order. */
static void client_arm_reply_timer(QmpClient *c) {
        if (c->n_pending == 0) {
                if (c->reply_timer)
                        (void) sd_event_source_set_enabled(c->reply_timer, SD_EVENT_OFF);
                return;
        }
        if (!c->reply_timer) {
                (void) sd_event_add_time(c->event, &c->reply_timer, CLOCK_MONOTONIC,
                                c->pending[0].sent_usec + QMP_REPLY_TIMEOUT_USEC, 0, on_reply_timeout, c);
                return;
        }
        (void) sd_event_source_set_time(c->reply_timer, c->pending[0].sent_usec + QMP_REPLY_TIMEOUT_USEC);
        (void) sd_event_source_set_enabled(c->reply_timer, SD_EVENT_ONESHOT);
}

static int client_send_internal(QmpClient *c, const char *execute, const char *const *args,
                QmpReplyHandler h, void *userdata) {
        _cleanup_free_ char *line = NULL;
        uint64_t id;
        int r;

        if (c->n_pending >= QMP_PENDING_MAX)
                return -EBUSY;
        id = ++c->next_id;
        r = qmp_command_build(execute, args, id, &line);
        if (r < 0)
                return r;
        r = client_write_raw(c, line, strlen(line));
        if (r < 0)
                return r;
        c->pending[c->n_pending] = (QmpPending){
                        .id = id,
                        .sent_usec = now_usec(CLOCK_MONOTONIC),
                        .handler = h,
                        .userdata = userdata,
        };
        (void) snprintf(c->pending[c->n_pending].execute, sizeof(c->pending[0].execute), "%s", execute);
        c->n_pending++;
        if (c->n_pending == 1)
                client_arm_reply_timer(c);
        return 0;
}

int qmp_client_send(QmpClient *c, const char *execute, const char *const *args, QmpReplyHandler h,
                void *userdata) {
        if (c->state != QMP_CLIENT_READY)
                return -ENOTCONN;
        return client_send_internal(c, execute, args, h, userdata);
}

void qmp_client_forget(QmpClient *c, void *userdata) {
        for (size_t i = 0; i < c->n_pending; i++)
                if (c->pending[i].userdata == userdata)
                        c->pending[i].handler = NULL;
}

static void on_capabilities_reply(QmpClient *c, const QmpMessage *reply, void *userdata) {
        if (!reply)
                return;
        if (reply->type == QMP_MESSAGE_ERROR) {
                char reason[256];

                (void) snprintf(reason, sizeof(reason), "qmp_capabilities failed: %s",
                                strempty(reply->error_desc));
                return client_disconnect(c, -EPROTO, reason);
        }
        client_set_state(c, QMP_CLIENT_READY, 0, NULL);
}

static void client_dispatch_reply(QmpClient *c, const QmpMessage *m) {
        QmpPending p;
        size_t i;

        for (i = 0; i < c->n_pending; i++)
                if (m->has_id && c->pending[i].id == m->id)
                        break;
        if (i >= c->n_pending) {
                if (ratelimit_below(&c->bad_input_rl))
                        log_debug("QMP %s: reply with unknown id, ignoring.", c->path);
                return;
        }
        p = c->pending[i];
        memmove(c->pending + i, c->pending + i + 1, (c->n_pending - i - 1) * sizeof(QmpPending));
        c->n_pending--;
        /* The backoff starts again from its minimum only once the connection proved useful (a
         * command answered after the handshake): a peer that greets and hangs up at once gets
         * the growing backoff, not a reconnect storm. */
        if (c->state == QMP_CLIENT_READY)
                c->backoff_usec = 0;
        client_arm_reply_timer(c);
        if (p.handler)
                p.handler(c, m, p.userdata);
}

/* Returns < 0 when the connection must be dropped. */
static int client_handle_line(QmpClient *c, const char *line, size_t len) {
        _cleanup_free_ char *error = NULL;
        QmpMessage m = {};
        int r;

        r = qmp_message_parse(line, len, &m, &error);
        if (r < 0) {
                if (c->state == QMP_CLIENT_GREETING)
                        return r;
                if (ratelimit_below(&c->bad_input_rl))
                        log_warning_errno(r, "QMP %s: invalid message (%s), ignoring.", c->path,
                                        error ?: "unparsable");
                return 0;
        }

        switch (c->state) {
        case QMP_CLIENT_GREETING:
                if (m.type != QMP_MESSAGE_GREETING) {
                        qmp_message_done(&m);
                        return -EPROTO;
                }
                (void) snprintf(c->version, sizeof(c->version), "%u.%u.%u", m.version_major, m.version_minor,
                                m.version_micro);
                r = client_send_internal(c, "qmp_capabilities", NULL, on_capabilities_reply, NULL);
                if (r >= 0)
                        client_set_state(c, QMP_CLIENT_NEGOTIATING, 0, NULL);
                break;
        default:
                if (m.type == QMP_MESSAGE_EVENT) {
                        if (c->state == QMP_CLIENT_READY && c->on_event)
                                c->on_event(c, &m, c->userdata);
                } else if (m.type == QMP_MESSAGE_RETURN || m.type == QMP_MESSAGE_ERROR)
                        client_dispatch_reply(c, &m);
                else if (ratelimit_below(&c->bad_input_rl))
                        log_warning("QMP %s: unexpected %s message, ignoring.", c->path,
                                        qmp_message_type_to_string(m.type));
                r = 0;
        }
        qmp_message_done(&m);
        return r;
}

static int client_do_read(QmpClient *c) {
        char buf[65536];
        const char *line;
        size_t len;
        ssize_t n;
        int r;

        /* One read per dispatch, so a flooding QEMU cannot starve other sources. */
        n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0)
                return IN_SET_ERRNO_AGAIN(errno) ? 0 : -errno;
        if (n == 0)
                return -ECONNRESET;
        r = qmp_reader_feed(&c->reader, buf, (size_t) n);
        if (r < 0)
                return r;
        for (;;) {
                r = qmp_reader_next_line(&c->reader, &line, &len);
                if (r == 0)
                        break;
                if (r == -E2BIG) {
                        if (ratelimit_below(&c->bad_input_rl))
                                log_warning("QMP %s: message longer than %u bytes, ignoring.", c->path,
                                                QMP_LINE_MAX);
                        continue;
                }
                if (r < 0)
                        return r;
                if (len == 0)
                        continue;
                r = client_handle_line(c, line, len);
                if (r < 0)
                        return r;
                if (c->state == QMP_CLIENT_DISCONNECTED)
                        return 0; /* a handler dropped us */
        }
        return 0;
}

static int client_do_write(QmpClient *c) {
        ssize_t n;

        if (c->wlen == 0)
                return 0;
        n = send(c->fd, c->wbuf, c->wlen, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
                return IN_SET_ERRNO_AGAIN(errno) ? 0 : -errno;
        memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t) n);
        c->wlen -= (size_t) n;
        return client_update_io_events(c);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        QmpClient *c = userdata;
        int r;

        if (c->state == QMP_CLIENT_CONNECTING) {
                int error = 0;
                socklen_t sl = sizeof(error);

                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &sl) < 0)
                        error = errno;
                if (error != 0) {
                        client_disconnect(c, -error, "connect failed");
                        return 0;
                }
                client_set_state(c, QMP_CLIENT_GREETING, 0, NULL);
                (void) client_update_io_events(c);
        }

        if (revents & EPOLLIN) {
                r = client_do_read(c);
                if (r < 0) {
                        client_disconnect(c, r,
                                        r == -ECONNRESET ? "QEMU closed the connection"
                                        : r == -EPROTO   ? "not a QMP greeting"
                                                         : "read failed");
                        return 0;
                }
                if (c->state == QMP_CLIENT_DISCONNECTED)
                        return 0;
        }
        if (revents & EPOLLOUT) {
                r = client_do_write(c);
                if (r < 0) {
                        client_disconnect(c, r, "write failed");
                        return 0;
                }
        }
        if ((revents & (EPOLLHUP | EPOLLERR)) && !(revents & EPOLLIN))
                client_disconnect(c, -ECONNRESET, "connection hung up");
        return 0;
}

static int client_connect(QmpClient *c) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (strlen(c->path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, c->path);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno != EINPROGRESS && errno != EAGAIN)
                return -errno;

        r = sd_event_add_io(c->event, &c->io, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP, on_io, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->io, "qmp-io");
        c->fd = TAKE_FD(fd);
        /* A peer that accepts and never greets must not hold us forever. */
        c->reply_timer = sd_event_source_disable_unref(c->reply_timer);
        (void) sd_event_add_time_relative(c->event, &c->reply_timer, CLOCK_MONOTONIC, QMP_REPLY_TIMEOUT_USEC,
                        0, on_reply_timeout, c);
        client_set_state(c, QMP_CLIENT_CONNECTING, 0, NULL);
        return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        QmpClient *c = userdata;
        int r;

        c->retry = sd_event_source_disable_unref(c->retry);
        /* A negative return would make sd-event disable this source for good: log instead. */
        r = qmp_client_start(c);
        if (r < 0)
                log_warning_errno(r, "QMP %s: cannot schedule a reconnect: %m", c->path);
        return 0;
}

static int client_schedule_retry(QmpClient *c) {
        c->backoff_usec = backoff_next(c->backoff_usec, QMP_BACKOFF_MIN_USEC, QMP_BACKOFF_MAX_USEC);
        c->retry = sd_event_source_disable_unref(c->retry);
        return sd_event_add_time_relative(
                        c->event, &c->retry, CLOCK_MONOTONIC, c->backoff_usec, 0, on_retry, c);
}

int qmp_client_start(QmpClient *c) {
        int r;

        if (c->state != QMP_CLIENT_DISCONNECTED)
                return 0;
        r = client_connect(c);
        if (r < 0) {
                /* A QEMU that is not there yet is normal: the owner decides what to say. */
                log_debug_errno(r, "QMP %s: cannot connect: %m; retrying.", c->path);
                if (c->on_state)
                        c->on_state(c, QMP_CLIENT_DISCONNECTED, r, "cannot connect", c->userdata);
                return client_schedule_retry(c);
        }
        return 0;
}

int qmp_client_new(sd_event *event, const char *socket_path, QmpEventHandler on_event,
                QmpStateHandler on_state, void *userdata, QmpClient **ret) {
        QmpClient *c;

        c = new0(QmpClient, 1);
        if (!c)
                return -ENOMEM;
        c->path = strdup(socket_path);
        if (!c->path) {
                free(c);
                return -ENOMEM;
        }
        c->event = sd_event_ref(event);
        c->on_event = on_event;
        c->on_state = on_state;
        c->userdata = userdata;
        c->fd = -EBADF;
        c->bad_input_rl = (RateLimit){.interval_usec = 10ULL * 1000 * 1000, .burst = 10};
        qmp_reader_init(&c->reader, 0);
        *ret = c;
        return 0;
}

QmpClient *qmp_client_free(QmpClient *c) {
        if (!c)
                return NULL;
        /* No handler runs from here on: the owner is tearing down. */
        c->n_pending = 0;
        c->io = sd_event_source_disable_unref(c->io);
        c->retry = sd_event_source_disable_unref(c->retry);
        c->reply_timer = sd_event_source_disable_unref(c->reply_timer);
        c->fd = safe_close(c->fd);
        qmp_reader_done(&c->reader);
        free(c->wbuf);
        free(c->path);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}
