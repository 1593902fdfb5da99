/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stands in for vnicd on a private bus so the tests reach vnicctl's D-Bus client: owns
 * org.vnicd1 and answers org.vnicd1.Manager.Describe() with the contents of FILE, read anew on
 * every call (a test swaps documents by rewriting it). Prints "READY" once the name is owned.
 * Exits when the bus goes away, or after 120 s in case the test that started it did not end it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <systemd/sd-bus.h>

#include "macro.h"

#define STUB_LIFETIME_USEC (120ULL * 1000000ULL)

static const char *document_path;

static int method_describe(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *in, *out;
        int c;

        in = fopen(document_path, "re");
        if (!in)
                return sd_bus_error_set_errnof(error, errno, "cannot open %s: %m", document_path);
        out = open_memstream(&buf, &size);
        if (!out) {
                (void) fclose(in);
                return -ENOMEM;
        }
        /* Strip the final newline of the file: vnicd sends the document alone. */
        while ((c = fgetc(in)) != EOF)
                (void) fputc(c, out);
        (void) fclose(in);
        if (fclose(out) != 0)
                return -ENOMEM;
        if (size > 0 && buf[size - 1] == '\n')
                buf[size - 1] = 0;

        return sd_bus_reply_method_return(m, "s", buf);
}

static const sd_bus_vtable manager_vtable[] = {
                SD_BUS_VTABLE_START(0),
                SD_BUS_METHOD("Describe", "", "s", method_describe, SD_BUS_VTABLE_UNPRIVILEGED),
                SD_BUS_VTABLE_END,
};

int main(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        unsigned long long deadline;
        int r;

        if (argc != 2) {
                (void) fprintf(stderr, "usage: %s FILE\n", argv[0]);
                return EXIT_FAILURE;
        }
        document_path = argv[1];

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                (void) fprintf(stderr, "stub: cannot connect to the bus: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        r = sd_bus_add_object_vtable(bus, NULL, "/org/vnicd1", "org.vnicd1.Manager", manager_vtable, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.vnicd1", 0);
        if (r < 0) {
                (void) fprintf(stderr, "stub: cannot serve org.vnicd1: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        (void) printf("READY\n");
        (void) fflush(stdout);

        deadline = now_usec(CLOCK_MONOTONIC) + STUB_LIFETIME_USEC;
        for (;;) {
                unsigned long long now = now_usec(CLOCK_MONOTONIC);

                if (now >= deadline)
                        return EXIT_SUCCESS;
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return EXIT_SUCCESS; /* the bus went away: the test is over */
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, deadline - now);
                if (r < 0 && r != -EINTR)
                        return EXIT_SUCCESS;
        }
}
