/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "uevent.h"

static const char *const action_table[] = {
                [UEVENT_ADD] = "add",
                [UEVENT_REMOVE] = "remove",
                [UEVENT_CHANGE] = "change",
                [UEVENT_MOVE] = "move",
                [UEVENT_OTHER] = "other",
};

const char *uevent_action_to_string(UeventAction a) {
        return a >= 0 && (size_t) a < ELEMENTSOF(action_table) ? action_table[a] : NULL;
}

static UeventAction action_from_string(const char *s, size_t len) {
        for (UeventAction a = 0; a < UEVENT_OTHER; a++)
                if (strlen(action_table[a]) == len && memcmp(action_table[a], s, len) == 0)
                        return a;
        return UEVENT_OTHER;
}

static int copy_bounded(char *dst, size_t size, const char *src, size_t len) {
        if (len >= size)
                return -E2BIG;
        memcpy(dst, src, len);
        dst[len] = 0;
        return 0;
}

int uevent_parse(const char *buf, size_t len, Uevent *ret) {
        const char *at, *end = buf + len;
        size_t header_len, action_len;
        Uevent u = {};
        int r;

        if (!buf || len == 0 || buf[len - 1] != 0)
                return -EINVAL;
        header_len = strlen(buf);
        at = memchr(buf, '@', header_len);
        if (!at || at == buf || at[1] != '/')
                return -EINVAL;
        action_len = (size_t) (at - buf);
        u.action = action_from_string(buf, action_len);
        r = copy_bounded(u.devpath, sizeof(u.devpath), at + 1, header_len - action_len - 1);
        if (r < 0)
                return r;

        for (const char *p = buf + header_len + 1; p < end; p += strlen(p) + 1) {
                size_t n = strlen(p);
                const char *eq = memchr(p, '=', n);

                if (!eq || eq == p)
                        return -EINVAL;
                if (strncmp(p, "ACTION=", 7) == 0) {
                        if (n - 7 != action_len || memcmp(p + 7, buf, action_len) != 0)
                                return -EINVAL;
                } else if (strncmp(p, "DEVPATH=", 8) == 0) {
                        if (!streq(p + 8, u.devpath))
                                return -EINVAL;
                } else if (strncmp(p, "SUBSYSTEM=", 10) == 0) {
                        r = copy_bounded(u.subsystem, sizeof(u.subsystem), p + 10, n - 10);
                        if (r < 0)
                                return r;
                }
        }
        *ret = u;
        return 0;
}

/* "rx-12", "tx-0" */
static bool queue_name(const char *s) {
        if ((s[0] != 'r' && s[0] != 't') || s[1] != 'x' || s[2] != '-' || s[3] == 0)
                return false;
        for (s += 3; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

int uevent_net_queue(const Uevent *u, char ifname[static IFNAMSIZ]) {
        const char *q, *name, *last;
        size_t len;

        if (!streq(u->subsystem, "queues"))
                return 0;
        /* .../net/IFNAME/queues/QUEUE: the last "/queues/" is the one before the queue's name */
        last = strrchr(u->devpath, '/');
        if (!last || !queue_name(last + 1) || last - u->devpath < 8 || memcmp(last - 7, "/queues", 7) != 0)
                return 0;
        q = last - 7;
        for (name = q; name > u->devpath && name[-1] != '/'; name--)
                ;
        len = (size_t) (q - name);
        if (len == 0 || len >= IFNAMSIZ || name - u->devpath < 5 || memcmp(name - 5, "/net/", 5) != 0)
                return 0;
        memcpy(ifname, name, len);
        ifname[len] = 0;
        return 1;
}
