/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <time.h>

#include "macro.h"

int free_and_strdup(char **p, const char *s) {
        char *t = NULL;

        if (s) {
                t = strdup(s);
                if (!t)
                        return -ENOMEM;
        }
        free(*p);
        *p = t;
        return 0;
}

int cmp_unsigned(const void *a, const void *b) {
        unsigned x = *(const unsigned *) a, y = *(const unsigned *) b;

        return x < y ? -1 : x > y;
}

unsigned long long now_usec(int clock_id) {
        struct timespec ts;

        if (clock_gettime(clock_id, &ts) < 0)
                return 0;
        return (unsigned long long) ts.tv_sec * 1000000ULL + (unsigned long long) ts.tv_nsec / 1000ULL;
}

const char *format_timestamp(unsigned long long usec, char buf[static TIMESTAMP_MAX]) {
        time_t t = (time_t) (usec / 1000000ULL);
        struct tm tm;

        buf[0] = 0;
        if (usec == 0 || !gmtime_r(&t, &tm) || strftime(buf, TIMESTAMP_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return NULL;
        return buf;
}

int read_virtual_file(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size = 0, allocated = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;

        /* procfs reports size 0: read until EOF. */
        for (;;) {
                ssize_t k;

                if (allocated - size < 4096) {
                        size_t a = MAX(allocated * 2, (size_t) 16384);
                        char *b;

                        if (a > max)
                                return -EFBIG;
                        b = realloc(buf, a);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        allocated = a;
                }

                k = read(fd, buf + size, allocated - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                size += (size_t) k;
        }
        /* Text for string functions: the last read left at least 4096 bytes free. */
        buf[size] = 0;

        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}
