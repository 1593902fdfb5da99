/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Cleanup helpers and small macros used everywhere. Written for this project, in the spirit of
 * systemd's macro.h: a variable marked _cleanup_(f) has f(&var) called when it leaves scope. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f)     __attribute__((cleanup(f)))
#define _cleanup_free_   _cleanup_(freep)
#define _cleanup_close_  _cleanup_(closep)
#define _unused_         __attribute__((unused))
#define _printf_(a, b)   __attribute__((format(printf, a, b)))
#define _pure_           __attribute__((pure))
#define _likely_(x)      (__builtin_expect(!!(x), 1))
#define _unlikely_(x)    (__builtin_expect(!!(x), 0))

#define ELEMENTSOF(x)    (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b)        ((a) < (b) ? (a) : (b))
#define MAX(a, b)        ((a) > (b) ? (a) : (b))
#define CLAMP(x, lo, hi) MIN(MAX((x), (lo)), (hi))

#define USEC_PER_SEC     1000000ULL

/* Hand ownership out of a _cleanup_ variable: returns the pointer and leaves NULL behind. */
#define TAKE_PTR(p)                                                                                         \
        ({                                                                                                  \
                __typeof__(p) _ptr_ = (p);                                                                  \
                (p) = NULL;                                                                                 \
                _ptr_;                                                                                      \
        })

#define TAKE_FD(fd)                                                                                         \
        ({                                                                                                  \
                int _fd_ = (fd);                                                                            \
                (fd) = -EBADF;                                                                              \
                _fd_;                                                                                       \
        })

/* Turns an errno (either sign) into the negative form we return. */
#define NEG_ERRNO(e) (-abs(e))

static inline void freep(void *p) {
        free(*(void **) p);
}

static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}

static inline void closep(int *fd) {
        (void) safe_close(*fd);
}

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                             \
        static inline void func##p(type *p) {                                                               \
                if (*p)                                                                                     \
                        *p = func(*p);                                                                      \
        }

/* For free functions that return void (library types): wraps them so the p-form is available. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(type, func)                                                        \
        static inline void func##p(type *p) {                                                               \
                if (*p)                                                                                     \
                        func(*p);                                                                           \
        }

/* ref/unref pair for a struct with an 'n_ref' counter and a static 'free_fn'. */
#define DEFINE_TRIVIAL_REF_UNREF_FUNC(type, name, free_fn)                                                  \
        type *name##_ref(type *p) {                                                                         \
                if (p)                                                                                      \
                        p->n_ref++;                                                                         \
                return p;                                                                                   \
        }                                                                                                   \
        type *name##_unref(type *p) {                                                                       \
                if (!p)                                                                                     \
                        return NULL;                                                                        \
                if (--p->n_ref > 0)                                                                         \
                        return NULL;                                                                        \
                return free_fn(p);                                                                          \
        }

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

static inline const char *strempty(const char *s) {
        return s ?: "";
}

static inline const char *yes_no(bool b) {
        return b ? "yes" : "no";
}

/* Replace *p by a copy of s (NULL allowed). Returns 0 or -ENOMEM. */
int free_and_strdup(char **p, const char *s);

/* qsort()/bsearch() order of two unsigned ints. */
int cmp_unsigned(const void *a, const void *b);

/* Monotonic and realtime clocks in microseconds. */
unsigned long long now_usec(int clock_id);

/* A realtime 'usec' as UTC "2026-11-24T05:30:00Z" (the form vnicctl's JSON gives times in) into 'buf';
 * NULL (and 'buf' empty) for 0 or a time that does not convert. */
#define TIMESTAMP_MAX 32
const char *format_timestamp(unsigned long long usec, char buf[static TIMESTAMP_MAX]);

/* The whole of a file whose size stat() does not tell (procfs, sysfs), read to EOF into a malloc'ed
 * buffer of '*ret_size' bytes. -EFBIG when it takes more than 'max' bytes of
 * buffer (at least 16 KiB), or -errno of open()/read(). A NUL follows the content, which may hold
 * NULs of its own. */
int read_virtual_file(const char *path, size_t max, char **ret, size_t *ret_size);

/* The next reconnect delay: 'min' after a working connection (current 0), then doubling up to
 * 'max'. Set the current delay back to 0 once a connection has proved useful. */
static inline unsigned long long backoff_next(
                unsigned long long current, unsigned long long min, unsigned long long max) {
        return current == 0 ? min : MIN(current * 2, max);
}

/* A NULL-terminated list of strings, and whether it holds 's'. */
#define STRV(...) ((const char *const[]){__VA_ARGS__, NULL})
static inline bool strv_contains(const char *const *l, const char *s) {
        for (; s && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

#define new0(t, n) ((t *) calloc((n), sizeof(t)))

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

#define IN_SET_ERRNO_AGAIN(e) ((e) == EAGAIN || (e) == EWOULDBLOCK || (e) == EINTR)
