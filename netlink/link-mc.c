/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ether-addr.h"
#include "log.h"
#include "macro.h"
#include "rtnl.h"

/* /proc/net/dev_mcast is a few lines per link; anything near this is not that file. */
#define LINK_MC_FILE_MAX (16u * 1024 * 1024)
#define LINK_MC_LINE_MAX 256u

/* Parses a decimal number of at most 10 digits, no sign, no spaces. */
static int parse_uint(const char *s, unsigned *ret) {
        unsigned long long v = 0;
        size_t n = 0;

        for (; s[n] != '\0'; n++) {
                if (s[n] < '0' || s[n] > '9' || n >= 10)
                        return -EINVAL;
                v = v * 10 + (unsigned) (s[n] - '0');
        }
        if (n == 0 || v > 0xffffffffULL)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

/* One line of dev_mcast, as dev_mc_seq_show() prints it: "%-4d %-15s %-5d %-5d %*phN", that is
 * ifindex, name, users (refcount), global (added through SIOCADDMULTI) and the address in hex.
 * Returns 1 and the address when the line is a global Ethernet group of 'ifindex', 0 when it is
 * another one, -EBADMSG when it does not look like that. */
static int link_mc_parse_line(char *line, int ifindex, EtherAddr *ret) {
        char *fields[5], *saveptr = NULL, *t;
        unsigned index, users, global;
        size_t n = 0;

        for (t = strtok_r(line, " \t", &saveptr); t; t = strtok_r(NULL, " \t", &saveptr)) {
                if (n >= ELEMENTSOF(fields))
                        return -EBADMSG;
                fields[n++] = t;
        }
        if (n == 0)
                return 0; /* empty line */
        if (n != ELEMENTSOF(fields))
                return -EBADMSG;

        if (parse_uint(fields[0], &index) < 0 || parse_uint(fields[2], &users) < 0 ||
                        parse_uint(fields[3], &global) < 0)
                return -EBADMSG;
        if (strlen(fields[4]) % 2 != 0)
                return -EBADMSG;
        for (const char *p = fields[4]; *p; p++)
                if (unhex(*p) < 0)
                        return -EBADMSG;

        /* The kernel's own groups (IPv6 all-nodes, solicited-node, IPv4 all-hosts) and those
         * synced up from a macvlan have global 0. Other address lengths are not Ethernet. */
        if ((int) index != ifindex || global == 0 || strlen(fields[4]) != 2 * sizeof(ret->bytes))
                return 0;

        for (size_t i = 0; i < sizeof(ret->bytes); i++)
                ret->bytes[i] = (uint8_t) (unhex(fields[4][2 * i]) << 4 | unhex(fields[4][2 * i + 1]));
        return 1;
}

int link_mc_parse(const char *text, size_t size, int ifindex, EtherAddr **ret, size_t *ret_n) {
        _cleanup_free_ EtherAddr *list = NULL;
        size_t n = 0, allocated = 0;
        const char *p, *end;

        if ((!text && size > 0) || !ret || !ret_n)
                return -EINVAL;

        for (p = text, end = text + size; p < end;) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));
                char line[LINK_MC_LINE_MAX];
                size_t len;
                EtherAddr a;
                int r;

                len = (size_t) ((eol ?: end) - p);
                if (len >= sizeof(line))
                        return -EBADMSG;
                if (memchr(p, '\0', len))
                        return -EBADMSG;
                memcpy(line, p, len);
                line[len] = '\0';
                p += len + (eol ? 1 : 0);

                r = link_mc_parse_line(line, ifindex, &a);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;

                if (n >= allocated) {
                        size_t k = MAX(allocated * 2, (size_t) 8);
                        EtherAddr *l = reallocarray(list, k, sizeof(EtherAddr));

                        if (!l)
                                return -ENOMEM;
                        list = l;
                        allocated = k;
                }
                list[n++] = a;
        }

        n = ether_addr_sort_unique(list, n);
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

int link_mc_list(int ifindex, EtherAddr **ret, size_t *ret_n) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        int r;

        if (ifindex <= 0 || !ret || !ret_n)
                return -EINVAL;

        /* /proc/net follows the namespace of the reading thread only through thread-self: plain
         * /proc/self/net is the main thread's. */
        r = read_virtual_file("/proc/thread-self/net/dev_mcast", LINK_MC_FILE_MAX, &text, &size);
        if (r == -ENOENT)
                r = read_virtual_file("/proc/self/net/dev_mcast", LINK_MC_FILE_MAX, &text, &size);
        if (r < 0)
                return log_debug_errno(r, "link-mc: cannot read dev_mcast: %m");

        return link_mc_parse(text, size, ifindex, ret, ret_n);
}

static int link_mc_ioctl(const char *ifname, const EtherAddr *a, unsigned long request) {
        static const int families[] = {AF_INET, AF_PACKET};
        _cleanup_close_ int fd = -EBADF;
        struct ifreq ifr = {};
        size_t len;

        if (!ifname || !a)
                return -EINVAL;
        len = strlen(ifname);
        if (len == 0 || len >= IFNAMSIZ)
                return -EINVAL;
        /* The kernel would take a unicast address into the multicast list. */
        if (!ether_addr_is_multicast(a))
                return -EINVAL;

        /* Any socket reaches dev_ioctl(); AF_PACKET for kernels built without IPv4. */
        for (size_t i = 0; i < ELEMENTSOF(families) && fd < 0; i++)
                fd = socket(families[i], SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;

        memcpy(ifr.ifr_name, ifname, len + 1);
        ifr.ifr_hwaddr.sa_family = AF_UNSPEC;
        memcpy(ifr.ifr_hwaddr.sa_data, a->bytes, sizeof(a->bytes));

        if (ioctl(fd, request, &ifr) < 0)
                return -errno;
        return 0;
}

int link_mc_add(const char *ifname, const EtherAddr *a) {
        int r;

        /* Adding a group that is already global returns 0 from the kernel itself (it does not
         * count users twice); -EEXIST is mapped all the same, as the contract says. */
        r = link_mc_ioctl(ifname, a, SIOCADDMULTI);
        return r == -EEXIST ? 0 : r;
}

int link_mc_del(const char *ifname, const EtherAddr *a) {
        int r;

        r = link_mc_ioctl(ifname, a, SIOCDELMULTI);
        return r == -ENOENT ? 0 : r;
}
