/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "macro.h"
#include "proc-interrupts.h"

/* Any bytes as /proc/interrupts. The kernel writes it, but handler names come from drivers and
 * interface names an administrator chose. A name found is printable, bounded and NUL-terminated;
 * a miss writes nothing. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const unsigned irqs[] = {0, 1, 9, 24, 25, 26, 4294967295u};

        for (size_t i = 0; i < ELEMENTSOF(irqs); i++) {
                char buf[PROC_INTERRUPTS_NAME_MAX + 8];
                int r;

                memset(buf, 'x', sizeof(buf));
                r = proc_interrupts_name((const char *) data, size, irqs[i], buf, sizeof(buf));
                if (r < 0) {
                        if (r != -ENOENT || buf[0] != 'x')
                                abort();
                        continue;
                }
                if (r != 0 || strnlen(buf, PROC_INTERRUPTS_NAME_MAX) >= PROC_INTERRUPTS_NAME_MAX)
                        abort();
                for (const char *p = buf; *p; p++)
                        if (*p <= ' ' || *p >= 0x7f)
                                abort();
        }
        return 0;
}
