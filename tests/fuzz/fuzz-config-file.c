/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "config-file.h"
#include "fuzz.h"
#include "macro.h"

/* vnicd.conf text into config_parse_string(), twice into the same Config: the second pass adds
 * duplicates of everything, which must fail and leave the first result exactly as it was. */

static bool config_same_counts(const Config *a, const Config *b) {
        return a->log_level == b->log_level && a->debounce_usec == b->debounce_usec &&
               a->resync_usec == b->resync_usec && a->sample_usec == b->sample_usec &&
               memcmp(&a->multiqueue, &b->multiqueue, sizeof(a->multiqueue)) == 0 &&
               memcmp(&a->defaults, &b->defaults, sizeof(a->defaults)) == 0 && a->n_guests == b->n_guests &&
               a->n_interfaces == b->n_interfaces;
}

/* The same text as one command-line assignment (bench/mq-replay --set): a failure leaves the
 * thresholds as they were. */
static void fuzz_set_multiqueue(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = NULL, *error = NULL;
        MultiqueueConfig mq = multiqueue_config_defaults(), before = mq;

        s = strndup((const char *) data, size);
        if (!s)
                return;
        if (config_set_multiqueue(&mq, s, "--set", &error) < 0 &&
                        (!error || memcmp(&mq, &before, sizeof(mq)) != 0))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *error = NULL, *error2 = NULL;
        Config c, before;
        int r;

        fuzz_set_multiqueue(data, size);

        config_init(&c);
        r = config_parse_string(&c, (const char *) data, size, "fuzz.conf", &error);
        if (r < 0) {
                Config empty;

                config_init(&empty);
                if (!error || strncmp(error, "fuzz.conf:", 10) != 0 || !config_same_counts(&c, &empty))
                        abort();
                config_done(&c);
                return 0;
        }

        /* Whatever a file sets, the policy takes it. */
        if (multiqueue_config_verify(&c.multiqueue, NULL) < 0)
                abort();
        for (size_t i = 0; i < c.n_interfaces; i++)
                if (!c.interfaces[i].guest || !c.interfaces[i].name ||
                                !config_find_interface(&c, c.interfaces[i].guest, c.interfaces[i].name))
                        abort();

        before = c;
        r = config_parse_string(&c, (const char *) data, size, "fuzz.conf", &error2);
        if (r < 0) {
                if (!error2 || !config_same_counts(&c, &before))
                        abort();
                for (size_t i = 0; i < c.n_guests; i++)
                        if (!streq(c.guests[i].name, before.guests[i].name))
                                abort();
        } else if (before.n_guests > 0 || before.n_interfaces > 0)
                abort(); /* everything defined twice: that must have been refused */

        config_done(&c);
        return 0;
}
