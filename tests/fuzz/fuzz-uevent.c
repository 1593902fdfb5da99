/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "macro.h"
#include "uevent.h"

/* Any bytes as one message from a NETLINK_KOBJECT_UEVENT socket. Only the kernel's messages are
 * read (sender port 0), but they carry names and paths others chose. What is accepted must be
 * consistent; what is refused must leave the output alone. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char ifname[IFNAMSIZ];
        Uevent u, untouched;
        int r;

        memset(&u, 0xa5, sizeof(u));
        untouched = u;
        r = uevent_parse((const char *) data, size, &u);
        if (r < 0) {
                if ((r != -EINVAL && r != -E2BIG) || memcmp(&u, &untouched, sizeof(u)) != 0)
                        abort();
                return 0;
        }
        if (r != 0 || u.devpath[0] != '/' || strnlen(u.devpath, sizeof(u.devpath)) >= sizeof(u.devpath) ||
                        strnlen(u.subsystem, sizeof(u.subsystem)) >= sizeof(u.subsystem) ||
                        !uevent_action_to_string(u.action))
                abort();
        r = uevent_net_queue(&u, ifname);
        if (r < 0 || r > 1)
                abort();
        if (r == 1 && (ifname[0] == 0 || strnlen(ifname, IFNAMSIZ) >= IFNAMSIZ || strchr(ifname, '/') ||
                                      !strstr(u.devpath, ifname)))
                abort();
        return 0;
}
