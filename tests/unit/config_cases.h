/* SPDX-License-Identifier: GPL-2.0-only */
/* config_cases.h — what every configuration test checks the same way: a file
 * that must be refused with exactly one error at a given line, column and
 * field, and a file that must load without a single diagnostic.  Header-only,
 * like test_util.h: each test binary is one translation unit. */
#ifndef TSN_CONFIG_CASES_H
#define TSN_CONFIG_CASES_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "tsn/config.h"

/* A file under a test directory and the one error it must give. */
struct config_case {
	const char *file;
	unsigned line, column;
	const char *path;
	const char *message;	/* a substring of the message */
};

/* True if d, from a parse that failed, holds exactly one error and its first
 * diagnostic is at (line, column, path) with message in its text.  On a
 * mismatch prints what was expected (named by what) and what came. */
static inline bool config_diag_is(const struct tsn_diags *d, const char *what, unsigned line, unsigned column,
				  const char *path, const char *message)
{
	const struct tsn_diag *e = d->count ? &d->items[0] : NULL;
	bool ok = e && d->errors == 1 && e->severity == TSN_DIAG_ERROR && e->line == line && e->column == column &&
		  strcmp(e->path, path) == 0 && strstr(e->message, message) != NULL;

	if (!ok) {
		fprintf(stderr, "\n%s: expected %u:%u %s: ...%s...; got:\n", what, line, column, path, message);
		tsn_diags_print(d, stderr);
	}
	return ok;
}

/* Load dir/tc->file: it must be refused with tc's error and nothing else. */
static inline void config_case_check(const char *dir, const struct config_case *tc)
{
	char path[256];
	struct tsn_diags d;

	snprintf(path, sizeof(path), "%s/%s", dir, tc->file);
	tsn_diags_init(&d, path);
	struct tsn_config *cfg = tsn_config_load(path, &d);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_TRUE(config_diag_is(&d, tc->file, tc->line, tc->column, tc->path, tc->message));
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* Load a file that must give no diagnostic at all (printed if it does). */
static inline struct tsn_config *config_load_clean(const char *path)
{
	struct tsn_diags d;

	tsn_diags_init(&d, path);
	struct tsn_config *cfg = tsn_config_load(path, &d);
	if (!cfg || d.count)
		tsn_diags_print(&d, stderr);
	CU_ASSERT_EQUAL(d.count, 0);
	tsn_diags_free(&d);
	return cfg;
}

/* A whole file as a NUL-terminated string, or NULL. */
static inline char *config_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf)
			buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

#endif
