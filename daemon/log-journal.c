/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <sys/uio.h>

#include <systemd/sd-journal.h>

#include "log-journal.h"

#define FIELDS_MAX 8

/* Under systemd, stderr is a journal stream too, but only sd_journal_send() keeps the structured
 * fields (VNIC_GUEST=, INTERFACE=, …) that 'journalctl VNIC_GUEST=demo' filters on. */
static void journal_sink(int level, const char *const *fields, const char *message) {
        struct iovec iov[FIELDS_MAX + 3];
        char prio[16];
        _cleanup_free_ char *msg = NULL;
        size_t k = 0;

        if (asprintf(&msg, "MESSAGE=%s", message) < 0)
                return;
        (void) snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
        iov[k++] = (struct iovec){.iov_base = msg, .iov_len = strlen(msg)};
        iov[k++] = (struct iovec){.iov_base = prio, .iov_len = strlen(prio)};
        iov[k++] = (struct iovec){.iov_base = (char *) "SYSLOG_IDENTIFIER=vnicd", .iov_len = 23};
        for (size_t i = 0; fields && fields[i] && i < FIELDS_MAX; i++)
                iov[k++] = (struct iovec){.iov_base = (char *) fields[i], .iov_len = strlen(fields[i])};
        if (sd_journal_sendv(iov, (int) k) < 0)
                (void) fprintf(stderr, "%s\n", message);
}

void log_setup_daemon(void) {
        /* JOURNAL_STREAM is how systemd tells a service its stderr goes to the journal. */
        if (getenv("JOURNAL_STREAM"))
                log_set_sink(journal_sink);
}
