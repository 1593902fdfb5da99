/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

typedef struct Cell {
        char **lines;
        size_t n_lines;
} Cell;

struct Table {
        size_t n_columns;
        char **headers;
        Cell *cells; /* row-major; the last row may be partial */
        size_t n_cells;
        size_t n_allocated;
};

static void cell_done(Cell *c) {
        for (size_t i = 0; i < c->n_lines; i++)
                free(c->lines[i]);
        free(c->lines);
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;

        for (size_t i = 0; i < t->n_cells; i++)
                cell_done(&t->cells[i]);
        free(t->cells);
        if (t->headers)
                for (size_t i = 0; i < t->n_columns; i++)
                        free(t->headers[i]);
        free(t->headers);
        free(t);
        return NULL;
}

Table *table_new(const char *const *headers, size_t n_columns) {
        _cleanup_(table_freep) Table *t = NULL;

        if (n_columns == 0)
                return NULL;

        t = calloc(1, sizeof(Table));
        if (!t)
                return NULL;
        t->n_columns = n_columns;
        t->headers = calloc(n_columns, sizeof(char *));
        if (!t->headers)
                return NULL;
        for (size_t i = 0; i < n_columns; i++) {
                t->headers[i] = strdup(headers[i]);
                if (!t->headers[i])
                        return NULL;
        }
        return TAKE_PTR(t);
}

int table_add_cell_lines(Table *t, char *const *lines, size_t n_lines) {
        static const char dash[] = "-";
        char *const dash_line[] = {(char *) dash};
        Cell c = {};

        if (n_lines == 0) {
                lines = dash_line;
                n_lines = 1;
        }

        if (t->n_cells == t->n_allocated) {
                size_t n = MAX(t->n_allocated * 2, t->n_columns * 8);
                Cell *p = reallocarray(t->cells, n, sizeof(Cell));
                if (!p)
                        return -ENOMEM;
                t->cells = p;
                t->n_allocated = n;
        }

        c.lines = calloc(n_lines, sizeof(char *));
        if (!c.lines)
                return -ENOMEM;
        for (size_t i = 0; i < n_lines; i++) {
                c.lines[c.n_lines] = strdup(lines[i] ?: dash);
                if (!c.lines[c.n_lines]) {
                        cell_done(&c);
                        return -ENOMEM;
                }
                c.n_lines++;
        }

        t->cells[t->n_cells++] = c;
        return 0;
}

int table_add_cell(Table *t, const char *text) {
        char *const line[] = {(char *) text};

        return table_add_cell_lines(t, line, 1);
}

size_t table_get_rows(const Table *t) {
        return (t->n_cells + t->n_columns - 1) / t->n_columns;
}

void fputs_escaped(const char *s, FILE *f) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        (void) fprintf(f, "\\x%02x", *p);
                else
                        (void) fputc(*p, f);
}

size_t escaped_width(const char *s) {
        size_t w = 0;

        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        w += 4;
                else if ((*p & 0xc0) != 0x80) /* not a UTF-8 continuation byte */
                        w++;
        return w;
}

static void print_padded(const char *s, size_t width, bool pad, FILE *f) {
        fputs_escaped(s, f);
        if (pad)
                for (size_t w = escaped_width(s); w < width; w++)
                        (void) fputc(' ', f);
}

/* Prints one line of a row; a NULL text is an empty cell (a partial last row, or a line below a
 * shorter cell). Empty cells at the end of the line are not printed, so no line ends in blanks. */
static void print_line(const size_t *widths, size_t indent, char *const *texts, size_t n_texts, FILE *f) {
        size_t n = 0; /* cells up to the last non-empty one */

        for (size_t i = 0; i < n_texts; i++)
                if (texts[i] && texts[i][0])
                        n = i + 1;

        if (n > 0)
                (void) fprintf(f, "%*s", (int) indent, "");
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        (void) fputs("  ", f);
                print_padded(texts[i] ?: "", widths[i], i + 1 < n, f);
        }
        (void) fputc('\n', f);
}

int table_print(const Table *t, bool header, size_t indent, FILE *f) {
        _cleanup_free_ size_t *widths = NULL;
        _cleanup_free_ char **texts = NULL;
        size_t n_rows = table_get_rows(t);

        widths = calloc(t->n_columns, sizeof(size_t));
        texts = calloc(t->n_columns, sizeof(char *));
        if (!widths || !texts)
                return -ENOMEM;

        for (size_t i = 0; i < t->n_columns; i++)
                if (header)
                        widths[i] = escaped_width(t->headers[i]);
        for (size_t i = 0; i < t->n_cells; i++)
                for (size_t l = 0; l < t->cells[i].n_lines; l++)
                        widths[i % t->n_columns] =
                                        MAX(widths[i % t->n_columns], escaped_width(t->cells[i].lines[l]));

        if (header)
                print_line(widths, indent, t->headers, t->n_columns, f);

        for (size_t row = 0; row < n_rows; row++) {
                size_t first = row * t->n_columns;
                size_t n = MIN(t->n_columns, t->n_cells - first);
                size_t height = 0;

                for (size_t i = 0; i < n; i++)
                        height = MAX(height, t->cells[first + i].n_lines);

                for (size_t l = 0; l < height; l++) {
                        for (size_t i = 0; i < t->n_columns; i++)
                                texts[i] = i < n && l < t->cells[first + i].n_lines
                                                           ? t->cells[first + i].lines[l]
                                                           : NULL;
                        print_line(widths, indent, texts, t->n_columns, f);
                }
        }

        return ferror(f) ? -EIO : 0;
}
