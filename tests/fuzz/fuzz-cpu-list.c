/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu-set.h"
#include "fuzz.h"
#include "macro.h"
#include "vlan-set.h"

/* A CPU list as sysfs and /proc/irq print it (or anything else) into the parser. What it accepts
 * must print in canonical form and parse back to the same set; what it refuses must leave the output
 * alone. The VLAN parser shares the code, so it must agree on every list within its range. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL, *printed = NULL, *again = NULL;
        CpuSet set, back, untouched;
        size_t n = 0;
        char cut[16];
        int r, cpu, last = -1;

        /* The parser takes a C string: a NUL in the input ends it there. */
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;

        memset(&set, 0xa5, sizeof(set));
        untouched = set;
        r = cpu_set_from_string(text, &set);
        if (r < 0) {
                if (r != -EINVAL && r != -ERANGE)
                        abort();
                if (!cpu_set_equal(&set, &untouched))
                        abort();
                return 0;
        }
        if (r != 0)
                abort();

        printed = cpu_set_to_string(&set);
        if (!printed)
                return 0;
        if (strlen(printed) != cpu_set_format(&set, NULL, 0))
                abort();
        if (cpu_set_from_string(printed, &back) != 0 || !cpu_set_equal(&set, &back))
                abort();
        /* canonical: printing what was read back gives the same text */
        again = cpu_set_to_string(&back);
        if (!again || strcmp(again, printed) != 0)
                abort();
        /* a short buffer gets the start of the same text */
        if (cpu_set_format(&set, cut, sizeof(cut)) != strlen(printed) ||
                        strncmp(cut, printed, sizeof(cut) - 1) != 0 || strlen(cut) >= sizeof(cut))
                abort();

        /* iteration, count and nth agree */
        CPU_SET_FOREACH(cpu, &set) {
                if (cpu <= last || !cpu_set_contains(&set, (unsigned) cpu) || cpu_set_nth(&set, n) != cpu)
                        abort();
                last = cpu;
                n++;
        }
        if (n != cpu_set_count(&set) || cpu_set_nth(&set, n) != -1 || cpu_set_is_empty(&set) != (n == 0))
                abort();

        /* the VLAN parser, same code, agrees below 4096 */
        if (last < VLAN_VID_COUNT) {
                _cleanup_free_ char *vlans = NULL;
                VlanSet v;

                if (vlan_set_from_string(text, &v) != 0)
                        abort();
                vlans = vlan_set_to_string(&v);
                if (vlans && strcmp(vlans, printed) != 0)
                        abort();
        } else if (vlan_set_from_string(text, &(VlanSet){}) != -ERANGE)
                abort();

        return 0;
}
