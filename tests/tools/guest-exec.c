/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guest-exec [--timeout SEC] SOCKET COMMAND...
 *
 * Runs COMMAND (its words joined with spaces, like ssh) in the sandbox guest
 * through the vnic-agent on the virtio-serial port whose QEMU chardev listens
 * on the unix socket SOCKET, prints what the command wrote (stdout and stderr
 * merged, byte for byte) and exits with the command's exit status.
 *
 * Exit status: the guest command's status; 124 on timeout (default 60 s);
 * 2 on usage errors; 1 when the agent cannot be reached or the connection
 * ends before the command finished.
 *
 * Wire protocol (see tests/guest/guest-agent.sh): we send
 * "<id> <base64 of the command>\n"; the agent answers "VNIC-BEGIN <id>\n",
 * the output, then "\nVNIC-END <id> <status>\n".  The id is fresh random, so
 * output of an earlier client's command that is still draining is skipped
 * and no command output can fake our end marker by accident.
 */

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE   2
#define EXIT_TIMEOUT 124
#define BUF_MAX      (1024 * 1024)

static const char *arg_socket = NULL;
static double arg_timeout = 60.0;

static void usage(FILE *f) {
        fprintf(f, "usage: guest-exec [--timeout SEC] SOCKET COMMAND...\n"
                   "Run COMMAND in the sandbox guest through the agent behind the QEMU chardev SOCKET.\n"
                   "Exits with the command's status, 124 on timeout, 1 on connection errors.\n");
}

static uint64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static int remaining_ms(uint64_t deadline) {
        uint64_t n = now_ms();

        if (n >= deadline)
                return 0;
        return deadline - n > INT_MAX ? INT_MAX : (int) (deadline - n);
}

static char *base64_encode(const char *s, size_t n) {
        static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const unsigned char *p = (const unsigned char *) s;
        char *out, *o;

        out = malloc((n + 2) / 3 * 4 + 1);
        if (!out)
                return NULL;

        o = out;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) p[i] << 16;

                if (i + 1 < n)
                        v |= (uint32_t) p[i + 1] << 8;
                if (i + 2 < n)
                        v |= p[i + 2];
                *o++ = table[(v >> 18) & 63];
                *o++ = table[(v >> 12) & 63];
                *o++ = i + 1 < n ? table[(v >> 6) & 63] : '=';
                *o++ = i + 2 < n ? table[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

static char *join_words(char **words, int n) {
        size_t len = 1;
        char *s, *p;

        for (int i = 0; i < n; i++)
                len += strlen(words[i]) + 1;

        s = malloc(len);
        if (!s)
                return NULL;

        p = s;
        for (int i = 0; i < n; i++) {
                if (i > 0)
                        *p++ = ' ';
                p = stpcpy(p, words[i]);
        }
        *p = '\0';
        return s;
}

static int make_id(char *buf, size_t size) {
        unsigned char r[8];
        size_t n;

        /* Randomness only has to make collisions with concurrent or earlier clients unlikely. */
        if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t) sizeof(r)) {
                uint64_t v = now_ms() ^ ((uint64_t) getpid() << 32);

                memcpy(r, &v, sizeof(r));
        }

        n = snprintf(buf, size, "ge%d-", (int) getpid());
        for (size_t i = 0; i < sizeof(r); i++) {
                if (n + 3 > size)
                        return -ENOBUFS;
                n += snprintf(buf + n, size - n, "%02x", r[i]);
        }
        return 0;
}

static int connect_socket(const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        strcpy(sa.sun_path, path);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int saved = errno;

                close(fd);
                errno = saved;
                return -1;
        }
        return fd;
}

static int write_all(int fd, const char *p, size_t n, uint64_t deadline) {
        while (n > 0) {
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                ssize_t k;
                int r;

                r = poll(&pfd, 1, remaining_ms(deadline));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -ETIMEDOUT;

                k = send(fd, p, n, MSG_NOSIGNAL);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= k;
        }
        return 0;
}

static int write_stdout(const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(STDOUT_FILENO, p, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= k;
        }
        return 0;
}

/* Parses "<digits>\n" at p (len bytes); returns the status, -EAGAIN if incomplete, -EBADMSG if malformed. */
static int parse_status(const char *p, size_t len, size_t *ret_used) {
        int status = 0;
        size_t i;

        for (i = 0; i < len && p[i] != '\n'; i++) {
                if (p[i] < '0' || p[i] > '9' || i >= 3)
                        return -EBADMSG;
                status = status * 10 + (p[i] - '0');
        }
        if (i >= len)
                return -EAGAIN;
        if (i == 0 || status > 255)
                return -EBADMSG;

        *ret_used = i + 1;
        return status;
}

/*
 * Reads the agent's answer.  Phase 1 drops everything up to our BEGIN line;
 * phase 2 copies output to stdout, always holding back a tail that could be
 * the start of our END marker.  Returns the guest status, or negative errno.
 */
static int read_reply(int fd, const char *id, uint64_t deadline) {
        char begin[128], end[128];
        size_t begin_len, end_len, len = 0;
        bool started = false;
        char *buf;
        int r;

        begin_len = snprintf(begin, sizeof(begin), "VNIC-BEGIN %s\n", id);
        end_len = snprintf(end, sizeof(end), "\nVNIC-END %s ", id);

        buf = malloc(BUF_MAX);
        if (!buf)
                return -ENOMEM;

        for (;;) {
                struct pollfd pfd = {.fd = fd, .events = POLLIN};
                ssize_t k;

                if (len == BUF_MAX) {
                        /* Only reachable before BEGIN: keep the tail that may hold a partial marker. */
                        memmove(buf, buf + len - begin_len, begin_len);
                        len = begin_len;
                }

                r = poll(&pfd, 1, remaining_ms(deadline));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        r = -errno;
                        break;
                }
                if (r == 0) {
                        r = -ETIMEDOUT;
                        break;
                }

                k = read(fd, buf + len, BUF_MAX - len);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k < 0) {
                        r = -errno;
                        break;
                }
                if (k == 0) {
                        r = -ECONNRESET;
                        break;
                }
                len += k;

                if (!started) {
                        char *b = memmem(buf, len, begin, begin_len);

                        if (!b)
                                continue;
                        b += begin_len;
                        len -= b - buf;
                        memmove(buf, b, len);
                        started = true;
                }

                /* The agent writes "\nVNIC-END"; with empty output that "\n" is the first byte. */
                char *e = memmem(buf, len, end, end_len);
                if (e) {
                        size_t used;

                        r = parse_status(e + end_len, len - (e - buf) - end_len, &used);
                        if (r == -EAGAIN) {
                                /* Flush what precedes the marker, wait for the rest of the line. */
                                if (write_stdout(buf, e - buf) < 0) {
                                        r = -EPIPE;
                                        break;
                                }
                                len -= e - buf;
                                memmove(buf, e, len);
                                continue;
                        }
                        if (r >= 0 && write_stdout(buf, e - buf) < 0)
                                r = -EPIPE;
                        break;
                }

                if (len >= end_len) {
                        size_t keep = end_len - 1, n = len - keep;

                        if (write_stdout(buf, n) < 0) {
                                r = -EPIPE;
                                break;
                        }
                        memmove(buf, buf + n, keep);
                        len = keep;
                }
        }

        /* On timeout or a lost connection, show what the command printed so far. */
        if (r < 0 && started && len > 0)
                (void) write_stdout(buf, len);

        free(buf);
        return r;
}

/* Returns the index of the first command word, 0 after --help, or -EINVAL. */
static int parse_argv(int argc, char *argv[]) {
        int i = 1;

        for (; i < argc; i++) {
                const char *a = argv[i], *v = NULL;
                char *endp;

                if (strcmp(a, "--") == 0) {
                        i++;
                        break;
                }
                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        usage(stdout);
                        return 0;
                }
                if (strncmp(a, "--timeout=", 10) == 0)
                        v = a + 10;
                else if (strcmp(a, "--timeout") == 0) {
                        if (i + 1 >= argc) {
                                fprintf(stderr, "guest-exec: --timeout needs a value\n");
                                return -EINVAL;
                        }
                        v = argv[++i];
                } else if (a[0] == '-' && a[1] != '\0') {
                        fprintf(stderr, "guest-exec: unknown option %s\n", a);
                        return -EINVAL;
                } else
                        break;

                errno = 0;
                arg_timeout = strtod(v, &endp);
                if (errno != 0 || endp == v || *endp != '\0' || !(arg_timeout > 0) || arg_timeout > 86400) {
                        fprintf(stderr, "guest-exec: invalid timeout '%s' (seconds, > 0)\n", v);
                        return -EINVAL;
                }
        }

        if (argc - i < 2) {
                usage(stderr);
                return -EINVAL;
        }
        arg_socket = argv[i];
        return i + 1;
}

int main(int argc, char *argv[]) {
        char id[64], *command = NULL, *encoded = NULL, *request = NULL;
        uint64_t deadline;
        size_t request_len;
        int first, fd, r;

        first = parse_argv(argc, argv);
        if (first < 0)
                return EXIT_USAGE;
        if (first == 0)
                return EXIT_SUCCESS; /* --help */

        deadline = now_ms() + (uint64_t) (arg_timeout * 1000);

        command = join_words(argv + first, argc - first);
        encoded = command ? base64_encode(command, strlen(command)) : NULL;
        if (!encoded || make_id(id, sizeof(id)) < 0) {
                fprintf(stderr, "guest-exec: out of memory\n");
                return EXIT_FAILURE;
        }
        request_len = strlen(id) + 1 + strlen(encoded) + 1;
        request = malloc(request_len + 1);
        if (!request) {
                fprintf(stderr, "guest-exec: out of memory\n");
                return EXIT_FAILURE;
        }
        snprintf(request, request_len + 1, "%s %s\n", id, encoded);

        fd = connect_socket(arg_socket);
        if (fd < 0) {
                fprintf(stderr, "guest-exec: cannot connect to guest agent socket %s: %s\n", arg_socket,
                                strerror(errno));
                return EXIT_FAILURE;
        }

        r = write_all(fd, request, request_len, deadline);
        if (r >= 0)
                r = read_reply(fd, id, deadline);
        close(fd);
        free(request);
        free(encoded);
        free(command);

        if (r == -ETIMEDOUT) {
                fprintf(stderr, "guest-exec: timed out after %gs waiting for the guest agent on %s\n",
                                arg_timeout, arg_socket);
                return EXIT_TIMEOUT;
        }
        if (r == -ECONNRESET) {
                fprintf(stderr, "guest-exec: %s closed the connection before the command finished\n",
                                arg_socket);
                return EXIT_FAILURE;
        }
        if (r == -EBADMSG) {
                fprintf(stderr, "guest-exec: malformed end marker from the guest agent\n");
                return EXIT_FAILURE;
        }
        if (r < 0) {
                fprintf(stderr, "guest-exec: talking to %s failed: %s\n", arg_socket, strerror(-r));
                return EXIT_FAILURE;
        }
        return r;
}
