/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "macro.h"

/* A text table for vnicctl: a header row, then cells filled left to right, row after row. A cell
 * holds one or more lines; a row is as tall as its tallest cell. Columns are as wide as their
 * widest line, separated by two spaces; the last column is not padded. Control characters in
 * cell text are printed as \xNN, so nothing a daemon sends can move the cursor. */

typedef struct Table Table;

/* Returns a table with 'n_columns' columns named by 'headers', or NULL on allocation failure. */
Table *table_new(const char *const *headers, size_t n_columns);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);

/* Appends a one-line cell; NULL prints as "-". Returns 0 or -ENOMEM. */
int table_add_cell(Table *t, const char *text);

/* Appends a cell of 'n_lines' lines (0 lines prints as "-"). Copies them. Returns 0 or -ENOMEM. */
int table_add_cell_lines(Table *t, char *const *lines, size_t n_lines);

/* Number of complete and partial rows added so far (the header is not counted). */
size_t table_get_rows(const Table *t);

/* Prints the table, with the header row when 'header' is true, every line preceded by 'indent'
 * spaces. Returns 0, -ENOMEM or -EIO. */
int table_print(const Table *t, bool header, size_t indent, FILE *f);

/* Writes 's' with control characters (< 0x20, 0x7f) as \xNN. */
void fputs_escaped(const char *s, FILE *f);

/* Display width of 's' as printed by fputs_escaped(): UTF-8 sequences count as one column. */
size_t escaped_width(const char *s);
