/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "macro.h"

/* Replay driver for builds without libFuzzer: runs every file named on the command line, and every
 * regular file inside each directory named, through LLVMFuzzerTestOneInput(). Exits non-zero when
 * a file cannot be read or nothing ran, so an empty or mistyped corpus path fails the test. */

#define INPUT_MAX (16u * 1024u * 1024u)

static int run_file(const char *path) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, alloc = 0;
        FILE *f;

        f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -errno;
        }
        for (;;) {
                size_t k;

                if (alloc - len < 4096) {
                        char *p;

                        if (alloc > INPUT_MAX) {
                                fprintf(stderr, "%s: larger than %u bytes\n", path, INPUT_MAX);
                                fclose(f);
                                return -E2BIG;
                        }
                        alloc = alloc * 2 + 4096;
                        p = realloc(buf, alloc);
                        if (!p) {
                                fclose(f);
                                return -ENOMEM;
                        }
                        buf = p;
                }
                k = fread(buf + len, 1, alloc - len, f);
                len += k;
                if (k == 0)
                        break;
        }
        if (ferror(f)) {
                fprintf(stderr, "%s: read error\n", path);
                fclose(f);
                return -EIO;
        }
        fclose(f);

        /* An exact-size copy, so ASan sees reads past the end of the input. */
        {
                _cleanup_free_ uint8_t *exact = malloc(len > 0 ? len : 1);

                if (!exact)
                        return -ENOMEM;
                memcpy(exact, buf, len);
                (void) LLVMFuzzerTestOneInput(exact, len);
        }
        return 0;
}

static int name_compare(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Runs the directory's files in name order, so a failure reproduces the same way. */
static int run_dir(const char *path, unsigned *count) {
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *d;
        int r = 0;

        d = opendir(path);
        if (!d) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -errno;
        }
        while ((de = readdir(d))) {
                char **p;

                if (de->d_name[0] == '.')
                        continue;
                p = realloc(names, (n + 1) * sizeof(char *));
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                names = p;
                names[n] = strdup(de->d_name);
                if (!names[n]) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        closedir(d);

        if (n > 0)
                qsort(names, n, sizeof(char *), name_compare);
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *full = NULL;
                struct stat st;

                if (asprintf(&full, "%s/%s", path, names[i]) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (stat(full, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                r = run_file(full);
                if (r >= 0)
                        (*count)++;
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return r;
}

int main(int argc, char *argv[]) {
        unsigned count = 0;
        int r;

        for (int i = 1; i < argc; i++) {
                struct stat st;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        return EXIT_FAILURE;
                }
                if (S_ISDIR(st.st_mode))
                        r = run_dir(argv[i], &count);
                else {
                        r = run_file(argv[i]);
                        if (r >= 0)
                                count++;
                }
                if (r < 0)
                        return EXIT_FAILURE;
        }

        printf("%s: ran %u input%s\n", argc > 0 ? argv[0] : "fuzz", count, count == 1 ? "" : "s");
        return count > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
