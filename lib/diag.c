/* SPDX-License-Identifier: GPL-2.0-only */
/* diag.c — collected configuration diagnostics (errors and warnings). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsn/config.h"

void tsn_diags_init(struct tsn_diags *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->file, sizeof(d->file), "%s", file ? file : "<config>");
}

void tsn_diags_free(struct tsn_diags *d)
{
	free(d->items);
	d->items = NULL;
	d->count = d->cap = d->errors = d->warnings = 0;
}

/* At most this many diagnostics are kept (all are counted): a file with one
 * error per element of a 65 536-entry list must not make a reply of many MB. */
#define DIAGS_MAX 1000

void tsn_diags_add(struct tsn_diags *d, enum tsn_diag_severity sev, unsigned line,
		   unsigned column, const char *path, const char *fmt, ...)
{
	if (d->count >= DIAGS_MAX) {
		if (sev == TSN_DIAG_ERROR)
			d->errors++;
		else
			d->warnings++;
		return;
	}
	bool note = d->count == DIAGS_MAX - 1;	/* the last slot says, once, that the rest is not shown */
	if (d->count == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct tsn_diag *items = realloc(d->items, cap * sizeof(*items));
		if (!items) {
			/* Keep counting so the caller still sees that something was wrong. */
			if (sev == TSN_DIAG_ERROR)
				d->errors++;
			else
				d->warnings++;
			return;
		}
		d->items = items;
		d->cap = cap;
	}
	struct tsn_diag *diag = &d->items[d->count++];
	diag->severity = note ? TSN_DIAG_ERROR : sev;
	diag->line = note ? 0 : line;
	diag->column = note ? 0 : column;
	snprintf(diag->path, sizeof(diag->path), "%s", path && !note ? path : "");
	if (note) {
		snprintf(diag->message, sizeof(diag->message),
			 "too many errors and warnings: only the first %d are shown", DIAGS_MAX - 1);
	} else {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
		va_end(ap);
	}
	if (sev == TSN_DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
}

void tsn_diag_format(const struct tsn_diags *d, const struct tsn_diag *diag, char *buf, size_t len)
{
	const char *sev = diag->severity == TSN_DIAG_WARNING ? "warning: " : "";
	const char *sep = diag->path[0] ? ": " : "";
	if (diag->line)
		snprintf(buf, len, "%s:%u:%u: %s%s%s%s", d->file, diag->line, diag->column, diag->path, sep,
			 sev, diag->message);
	else
		snprintf(buf, len, "%s: %s%s%s%s", d->file, diag->path, sep, sev, diag->message);
}

void tsn_diags_print(const struct tsn_diags *d, FILE *out)
{
	char line[TSN_PATH_MAX + 512];
	for (size_t i = 0; i < d->count; i++) {
		tsn_diag_format(d, &d->items[i], line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
}

json_object *tsn_diags_to_json(const struct tsn_diags *d)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < d->count; i++) {
		const struct tsn_diag *diag = &d->items[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "severity", json_object_new_string(
			diag->severity == TSN_DIAG_ERROR ? "error" : "warning"));
		json_object_object_add(o, "file", json_object_new_string(d->file));
		json_object_object_add(o, "line", json_object_new_int((int)diag->line));
		json_object_object_add(o, "column", json_object_new_int((int)diag->column));
		json_object_object_add(o, "path", json_object_new_string(diag->path));
		json_object_object_add(o, "message", json_object_new_string(diag->message));
		json_object_array_add(arr, o);
	}
	return arr;
}
