/* SPDX-License-Identifier: GPL-2.0-only */
/* table.h — tsnctl's tables: aligned columns, cells never truncated. */
#ifndef TSNCTL_TABLE_H
#define TSNCTL_TABLE_H

#include <stdio.h>

struct table;

struct table *table_new(void);
void table_free(struct table *t);
/* Columns are added before the first row.  A NULL title makes a headerless
 * column; the header line is printed only if some column has a title. */
void table_add_column(struct table *t, const char *title);
/* Several titled columns at once; the list ends with NULL. */
void table_add_columns(struct table *t, const char *title, ...) __attribute__((sentinel));
/* Start a new row; its cells are appended with table_add_cell, left to right.
 * Cells not given print empty. */
void table_add_row(struct table *t);
void table_add_cell(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Columns are separated by two spaces; the last column is not padded. */
void table_print(const struct table *t, FILE *out);

/* "tsnctl: out of memory" and exit (TSNCTL_EXIT_ERROR): tsnctl does not
 * print half an answer. */
void cli_die_oom(void) __attribute__((noreturn));

#endif
