/* SPDX-License-Identifier: GPL-2.0-only */
/* table.c — tsnctl's table engine: aligned columns, cells never truncated. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "table.h"

void cli_die_oom(void)
{
	fputs("tsnctl: out of memory\n", stderr);
	exit(TSNCTL_EXIT_ERROR);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		cli_die_oom();
	return p;
}

static char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		cli_die_oom();
	return s;
}

/* ---- tables ------------------------------------------------------------------ */

struct table {
	char **titles;		/* ncols entries, NULL for a headerless column */
	size_t ncols;
	char **cells;		/* nrows * ncols, row-major; NULL prints empty */
	size_t nrows;
	size_t next_cell;	/* column the next table_add_cell fills */
};

struct table *table_new(void)
{
	struct table *t = calloc(1, sizeof(*t));
	if (!t)
		cli_die_oom();
	return t;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncols; i++)
		free(t->titles[i]);
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->titles);
	free(t->cells);
	free(t);
}

void table_add_column(struct table *t, const char *title)
{
	if (t->nrows)	/* the row layout is fixed once rows exist */
		return;
	t->titles = xrealloc(t->titles, (t->ncols + 1) * sizeof(*t->titles));
	t->titles[t->ncols] = NULL;
	if (title && !(t->titles[t->ncols] = strdup(title)))
		cli_die_oom();
	t->ncols++;
}

void table_add_columns(struct table *t, const char *title, ...)
{
	va_list ap;

	va_start(ap, title);
	for (const char *s = title; s; s = va_arg(ap, const char *))
		table_add_column(t, s);
	va_end(ap);
}

void table_add_row(struct table *t)
{
	t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*t->cells));
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = NULL;
	t->nrows++;
	t->next_cell = 0;
}

void table_add_cell(struct table *t, const char *fmt, ...)
{
	va_list ap;

	if (!t->nrows || t->next_cell >= t->ncols)	/* more cells than columns: dropped */
		return;
	va_start(ap, fmt);
	t->cells[(t->nrows - 1) * t->ncols + t->next_cell++] = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Columns on a terminal, counting each UTF-8 sequence as one. */
static size_t display_width(const char *s)
{
	size_t w = 0;
	for (; s && *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void print_row(FILE *out, char *const *cells, const size_t *widths, size_t ncols)
{
	size_t last = 0;	/* one past the last non-empty cell: no trailing blanks */

	for (size_t c = 0; c < ncols; c++)
		if (cells[c] && cells[c][0])
			last = c + 1;
	for (size_t c = 0; c < last; c++) {
		const char *s = cells[c] ? cells[c] : "";
		fputs(s, out);
		if (c + 1 < last)
			fprintf(out, "%*s", (int)(widths[c] - display_width(s) + 2), "");
	}
	fputc('\n', out);
}

void table_print(const struct table *t, FILE *out)
{
	size_t *widths = xrealloc(NULL, t->ncols * sizeof(*widths));
	bool header = false;

	for (size_t c = 0; c < t->ncols; c++) {
		widths[c] = display_width(t->titles[c]);
		header |= t->titles[c] != NULL;
		for (size_t r = 0; r < t->nrows; r++) {
			size_t w = display_width(t->cells[r * t->ncols + c]);
			if (w > widths[c])
				widths[c] = w;
		}
	}
	if (header)
		print_row(out, t->titles, widths, t->ncols);
	for (size_t r = 0; r < t->nrows; r++)
		print_row(out, t->cells + r * t->ncols, widths, t->ncols);
	free(widths);
}
