/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "macro.h"
#include "proc-stat.h"

/* Any bytes as a /proc/<pid>/stat line and as a /proc/<tid>/status file. The kernel writes these,
 * but the name inside a stat line is whatever a process set with prctl(PR_SET_NAME). What is
 * accepted must be consistent; what is refused must leave the output alone. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ProcStat st, untouched;
        pid_t tgid = -7;
        uid_t uid = 77;
        int r;

        memset(&st, 0xa5, sizeof(st));
        untouched = st;
        r = proc_stat_parse((const char *) data, size, &st);
        if (r < 0) {
                if (r != -EINVAL && r != -E2BIG)
                        abort();
                if (memcmp(&st, &untouched, sizeof(st)) != 0)
                        abort();
        } else {
                if (r != 0 || st.pid <= 0 || st.ppid < 0 || st.processor < -1)
                        abort();
                if (strnlen(st.comm, sizeof(st.comm)) >= sizeof(st.comm))
                        abort();
                /* the name came from inside the input */
                if (size < strlen(st.comm) + 4)
                        abort();
        }

        r = proc_status_tgid((const char *) data, size, &tgid);
        if (r < 0) {
                if ((r != -EINVAL && r != -ENODATA) || tgid != -7)
                        abort();
        } else if (r != 0 || tgid <= 0)
                abort();

        r = proc_status_uid((const char *) data, size, &uid);
        if (r < 0) {
                if ((r != -EINVAL && r != -ENODATA) || uid != 77)
                        abort();
        } else if (r != 0 || uid == (uid_t) -1)
                abort();

        return 0;
}
