/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A QMP server that misbehaves on purpose, for vnicd's bad-input tests. No real QEMU can be made to
 * send garbage or 10 000 events a second; this peer stands in for a broken or compromised one.
 *
 *   qmp-hostile SOCKET garbage
 *       greeting, then every kind of bad line; rx-filter replies that must be refused (VID 5000,
 *       100 MACs, a malformed MAC), then a valid one; an event every 200 ms to keep vnicd asking.
 *   qmp-hostile SOCKET script FILE [EVENTS]
 *       a scripted stand-in for QEMU where no guest can run (the kernel-VM tier): every
 *       query-rx-filter is answered with FILE's current content (a query-rx-filter "return"
 *       array); with a "name" argument, as QEMU does, with only that NIC's element when FILE is
 *       a JSON array holding it. SIGUSR1 sends NIC_RX_FILTER_CHANGED for net0, or, with EVENTS,
 *       one for each NIC named in that file (names separated by white space: the NICs whose
 *       filter changed). The test rewrites FILE (and EVENTS), then signals. Any other command X
 *       is answered with the content of X.json next to FILE when there is one (query-cpus-fast:
 *       the thread ids of a stand-in process), else with CommandNotFound.
 *   qmp-hostile SOCKET mute
 *       answers qmp_capabilities, then never answers anything (a hung QEMU).
 *   qmp-hostile SOCKET flood SECONDS RATE COUNTFILE
 *       valid replies, and NIC_RX_FILTER_CHANGED for net0 at RATE per second for SECONDS; then
 *       writes "events=N queries=M" to COUNTFILE and goes on serving quietly.
 *
 * Serves one client at a time, forever (the test stops it by PID). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

static const char greeting[] = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 0, \"major\": "
                               "99}, \"package\": \"hostile\"}, "
                               "\"capabilities\": [\"oob\"]}}\r\n";

static const char valid_filter[] =
                "[{\"multicast-overflow\": false, \"name\": \"net0\", \"unicast-table\": [], "
                "\"promiscuous\": true, "
                "\"unicast-overflow\": false, \"main-mac\": \"52:54:00:66:66:66\", \"vlan-table\": [], "
                "\"broadcast-allowed\": false, \"multicast-table\": [\"01:00:5e:00:00:fb\"], \"unicast\": "
                "\"normal\", "
                "\"vlan\": \"normal\", \"multicast\": \"normal\"}]";

static long long now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static int send_line(int fd, const char *s) {
        int r = write_all(fd, s, strlen(s));

        return r < 0 ? r : write_all(fd, "\r\n", 2);
}

static int send_event_for(int fd, const char *nic) {
        char buf[512];
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(buf, sizeof(buf),
                        "{\"timestamp\": {\"seconds\": %lld, \"microseconds\": %ld}, \"event\": "
                        "\"NIC_RX_FILTER_CHANGED\", "
                        "\"data\": {\"name\": \"%s\", \"path\": "
                        "\"/machine/peripheral/%s/virtio-backend\"}}",
                        (long long) ts.tv_sec, ts.tv_nsec / 1000, nic, nic);
        return send_line(fd, buf);
}

static int send_event(int fd) {
        return send_event_for(fd, "net0");
}

/* The hostile rx-filter replies, in order; after them the valid one. */
static char *hostile_filter(unsigned n) {
        char *s = NULL;
        size_t size = 0;
        FILE *f;

        if (n == 1)
                return strdup("[{\"name\": \"net0\", \"promiscuous\": false, \"multicast\": \"normal\", "
                              "\"unicast\": \"normal\", "
                              "\"vlan\": \"normal\", \"broadcast-allowed\": false, \"multicast-overflow\": "
                              "false, "
                              "\"unicast-overflow\": false, \"main-mac\": \"52:54:00:66:66:66\", "
                              "\"vlan-table\": [10, 5000], "
                              "\"unicast-table\": [], \"multicast-table\": []}]");
        if (n == 2) {
                f = open_memstream(&s, &size);
                if (!f)
                        return NULL;
                fputs("[{\"name\": \"net0\", \"promiscuous\": false, \"multicast\": \"normal\", "
                      "\"unicast\": \"normal\", "
                      "\"vlan\": \"normal\", \"broadcast-allowed\": false, \"multicast-overflow\": false, "
                      "\"unicast-overflow\": false, \"main-mac\": \"52:54:00:66:66:66\", \"vlan-table\": "
                      "[], "
                      "\"unicast-table\": [], \"multicast-table\": [",
                                f);
                for (int i = 0; i < 100; i++)
                        fprintf(f, "%s\"01:00:5e:00:01:%02x\"", i ? ", " : "", i);
                fputs("]}]", f);
                fclose(f);
                return s;
        }
        if (n == 3)
                return strdup("[{\"name\": \"net0\", \"promiscuous\": false, \"multicast\": \"normal\", "
                              "\"unicast\": \"normal\", "
                              "\"vlan\": \"normal\", \"broadcast-allowed\": false, \"multicast-overflow\": "
                              "false, "
                              "\"unicast-overflow\": false, \"main-mac\": \"zz:54:00:66:66:66\", "
                              "\"vlan-table\": [], "
                              "\"unicast-table\": [], \"multicast-table\": []}]");
        return strdup(valid_filter);
}

static int send_garbage(int fd) {
        static const char *const lines[] = {
                        "this is not json",
                        "{\"return\": [1, 2",
                        "{\"event\": 5}",
                        "{\"return\": {}, \"id\": 999999}",
                        "[1, 2, 3]",
                        "{\"QMP\": {\"version\": {}}}",
                        "{\"error\": \"not an object\", \"id\": 1}",
                        "\xff\xfe\x00\x01 binary",
                        "",
        };
        char *big;
        int r;

        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
                r = send_line(fd, lines[i]);
                if (r < 0)
                        return r;
        }
        /* 1000-deep nesting, and a 6 MiB line. */
        big = malloc(6u << 20);
        if (!big)
                return -ENOMEM;
        memset(big, '[', 1000);
        memset(big + 1000, ']', 1000);
        big[2000] = 0;
        r = send_line(fd, big);
        if (r >= 0) {
                memset(big, 'x', (6u << 20) - 1);
                big[(6u << 20) - 1] = 0;
                r = send_line(fd, big);
        }
        free(big);
        return r;
}

typedef struct Server {
        bool flood;
        bool mute;
        const char *script;      /* FILE of the script mode */
        const char *events_file; /* its EVENTS file, or NULL: net0 */
        int seconds, rate;
        const char *countfile;
        long long events, queries;
        bool counted;
} Server;

static volatile sig_atomic_t script_event = 0;

static void on_usr1(int sig) {
        script_event = 1;
}

/* The whole file (at most 1 MiB) as the "return" value, on one line; NULL when unreadable. */
static char *read_script(const char *path) {
        char *buf;
        size_t n;
        FILE *f = fopen(path, "re");

        if (!f)
                return NULL;
        buf = malloc(1 << 20);
        if (buf) {
                n = fread(buf, 1, (1 << 20) - 1, f);
                buf[n] = 0;
                for (size_t i = 0; i < n; i++)
                        if (buf[i] == '\n' || buf[i] == '\r')
                                buf[i] = ' ';
        }
        fclose(f);
        return buf;
}

/* The "arguments": {"name": ...} of a command line, or NULL. */
static char *command_name_arg(const char *line) {
        json_object *cmd = json_tokener_parse(line), *args, *name;
        char *s = NULL;

        if (cmd && json_object_object_get_ex(cmd, "arguments", &args) &&
                        json_object_object_get_ex(args, "name", &name) &&
                        json_object_is_type(name, json_type_string))
                s = strdup(json_object_get_string(name));
        json_object_put(cmd);
        return s;
}

/* In script mode, the answer to command 'line' from "<execute>.json" in FILE's directory, or NULL. */
static char *script_other(const char *script, const char *line) {
        json_object *cmd = json_tokener_parse(line), *execute;
        const char *slash = strrchr(script, '/');
        char *path = NULL, *body = NULL;
        const char *name;

        if (cmd && json_object_object_get_ex(cmd, "execute", &execute) &&
                        json_object_is_type(execute, json_type_string)) {
                name = json_object_get_string(execute);
                /* A command name never holds '/' or starts with '.': no path outside the directory. */
                if (!strchr(name, '/') && name[0] != '.' &&
                                asprintf(&path, "%.*s%s.json", slash ? (int) (slash - script + 1) : 0,
                                                script, name) >= 0)
                        body = read_script(path);
        }
        free(path);
        json_object_put(cmd);
        return body;
}

/* FILE's element for NIC 'name', as a one-element array (QEMU's answer to a query with a name);
 * the whole 'body' when it is no JSON array or has no such NIC. Takes 'body'. */
static char *script_select(char *body, const char *name) {
        json_object *list = json_tokener_parse(body), *pick = NULL, *v;
        char *s = NULL;

        if (list && json_object_is_type(list, json_type_array))
                for (size_t i = 0; i < json_object_array_length(list) && !pick; i++) {
                        json_object *e = json_object_array_get_idx(list, i);

                        if (json_object_object_get_ex(e, "name", &v) &&
                                        json_object_is_type(v, json_type_string) &&
                                        strcmp(json_object_get_string(v), name) == 0)
                                pick = e;
                }
        if (pick) {
                json_object *one = json_object_new_array();

                if (one && json_object_array_add(one, json_object_get(pick)) == 0)
                        s = strdup(json_object_to_json_string_ext(one, JSON_C_TO_STRING_PLAIN));
                json_object_put(one);
        }
        json_object_put(list);
        if (!s)
                return body;
        free(body);
        return s;
}

/* SIGUSR1 in script mode: an event for net0, or for each NIC the EVENTS file names. */
static int send_script_events(Server *s, int fd) {
        char name[128];
        FILE *f;
        int r = 0;

        if (!s->events_file)
                return send_event(fd);
        f = fopen(s->events_file, "re");
        if (!f)
                return 0; /* nothing changed */
        while (r >= 0 && fscanf(f, "%127s", name) == 1)
                r = send_event_for(fd, name);
        fclose(f);
        return r;
}

/* {"return": BODY, "id": ID}; takes 'body' (NULL: out of memory). */
static int send_return(int fd, char *body, long long id) {
        char *out;
        int r;

        if (!body || asprintf(&out, "{\"return\": %s, \"id\": %lld}", body, id) < 0)
                r = -ENOMEM;
        else {
                r = send_line(fd, out);
                free(out);
        }
        free(body);
        return r;
}

/* Handles every complete command in 'buf'; returns < 0 when the client is gone. */
static int handle_commands(Server *s, int fd, char *buf, size_t *len) {
        char *nl;

        while ((nl = memchr(buf, '\n', *len))) {
                char reply[256], *line = buf, *id, *body = NULL;
                long long idv = -1;
                int r = 0;

                *nl = 0;
                id = strstr(line, "\"id\":");
                if (id)
                        idv = strtoll(id + 5, NULL, 10);
                if (strstr(line, "qmp_capabilities")) {
                        snprintf(reply, sizeof(reply), "{\"return\": {}, \"id\": %lld}", idv);
                        r = send_line(fd, reply);
                        if (r >= 0 && !s->flood && !s->mute && !s->script)
                                r = send_garbage(fd);
                } else if (s->mute) {
                        ; /* a hung QEMU: the command is read and never answered */
                } else if (strstr(line, "query-rx-filter")) {
                        s->queries++;
                        if (s->script) {
                                char *name = command_name_arg(line);

                                body = read_script(s->script);
                                if (body && name)
                                        body = script_select(body, name);
                                free(name);
                        } else
                                body = s->flood ? strdup(valid_filter)
                                                : hostile_filter((unsigned) s->queries);
                        r = send_return(fd, body, idv);
                } else if (s->script && (body = script_other(s->script, line))) {
                        r = send_return(fd, body, idv);
                } else {
                        snprintf(reply, sizeof(reply),
                                        "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"nope\"}, "
                                        "\"id\": %lld}",
                                        idv);
                        r = send_line(fd, reply);
                }
                if (r < 0)
                        return r;
                *len -= (size_t) (nl + 1 - buf);
                memmove(buf, nl + 1, *len);
        }
        return 0;
}

static void write_count(Server *s) {
        FILE *f;

        if (s->counted || !s->countfile)
                return;
        f = fopen(s->countfile, "we");
        if (f) {
                fprintf(f, "events=%lld queries=%lld\n", s->events, s->queries);
                fclose(f);
        }
        s->counted = true;
}

static void serve(Server *s, int fd) {
        static char buf[1 << 16];
        size_t len = 0;
        long long start = now_ms(), last_event = 0;

        if (send_line(fd, greeting) < 0)
                return;
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                long long now;
                int k = poll(&p, 1, 10);

                if (k < 0 && errno != EINTR)
                        return;
                if (k > 0) {
                        ssize_t n = read(fd, buf + len, sizeof(buf) - len - 1);

                        if (n <= 0)
                                return;
                        len += (size_t) n;
                        if (handle_commands(s, fd, buf, &len) < 0)
                                return;
                        if (len >= sizeof(buf) - 1)
                                len = 0; /* a client flooding us: drop */
                }
                now = now_ms();
                if (s->flood && now - start < (long long) s->seconds * 1000) {
                        /* Catch up to RATE per second in 10 ms slices. */
                        long long due = (now - start) * s->rate / 1000;

                        while (s->events < due) {
                                if (send_event(fd) < 0)
                                        return;
                                s->events++;
                        }
                } else if (s->flood)
                        write_count(s);
                else if (s->script) {
                        if (script_event) {
                                script_event = 0;
                                if (send_script_events(s, fd) < 0)
                                        return;
                        }
                } else if (!s->mute && now - last_event >= 200) {
                        if (send_event(fd) < 0)
                                return;
                        last_event = now;
                }
        }
}

static bool usage_ok(int argc, char *argv[]) {
        if (argc < 3)
                return false;
        if (strcmp(argv[2], "garbage") == 0 || strcmp(argv[2], "mute") == 0)
                return argc == 3;
        if (strcmp(argv[2], "script") == 0)
                return argc == 4 || argc == 5;
        if (strcmp(argv[2], "flood") == 0)
                return argc == 6;
        return false;
}

int main(int argc, char *argv[]) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        Server s = {};
        int fd;

        if (!usage_ok(argc, argv)) {
                fprintf(stderr, "usage: qmp-hostile SOCKET garbage | SOCKET mute | SOCKET script FILE "
                                "[EVENTS] | "
                                "SOCKET flood SECONDS RATE COUNTFILE\n");
                return 2;
        }
        signal(SIGPIPE, SIG_IGN);
        s.flood = strcmp(argv[2], "flood") == 0;
        s.mute = strcmp(argv[2], "mute") == 0;
        if (s.flood) {
                s.seconds = atoi(argv[3]);
                s.rate = atoi(argv[4]);
                s.countfile = argv[5];
        }
        if (strcmp(argv[2], "script") == 0) {
                struct sigaction sig = {.sa_handler = on_usr1};

                s.script = argv[3];
                s.events_file = argc == 5 ? argv[4] : NULL;
                (void) sigaction(SIGUSR1, &sig, NULL); /* no SA_RESTART: poll() returns EINTR */
        }
        if (strlen(argv[1]) >= sizeof(sa.sun_path)) {
                fprintf(stderr, "qmp-hostile: socket path too long\n");
                return 1;
        }
        strcpy(sa.sun_path, argv[1]);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
                perror("qmp-hostile: socket");
                return 1;
        }
        for (;;) {
                int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

                if (c < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("qmp-hostile: accept");
                        return 1;
                }
                serve(&s, c);
                close(c);
        }
}
