/* SPDX-License-Identifier: GPL-2.0-only */
/* cfg_schema_doc.c — rewrite the schema reference in a Markdown file (docs/config.md)
 * between its <!-- schema-reference:begin/end --> markers, from the schema in
 * lib/cfg_schema.c.  Run by `make docs`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsn/config.h"

int main(int argc, char **argv)
{
	const char *begin_mark = "<!-- schema-reference:begin -->\n", *end_mark = "<!-- schema-reference:end -->";
	if (argc != 2) {
		fprintf(stderr, "usage: %s docs/config.md\n", argv[0]);
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	char *doc = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&doc, &cap, '\0', f);
	fclose(f);
	char *begin = n > 0 ? strstr(doc, begin_mark) : NULL;
	char *end = begin ? strstr(begin, end_mark) : NULL;
	if (!begin || !end) {
		fprintf(stderr, "%s: markers %s and %s not found\n", argv[1], "schema-reference:begin", "schema-reference:end");
		free(doc);
		return 1;
	}
	f = fopen(argv[1], "wb");
	if (!f) {
		perror(argv[1]);
		free(doc);
		return 1;
	}
	fwrite(doc, 1, (size_t)(begin - doc) + strlen(begin_mark), f);
	tsn_config_schema_markdown(f);
	fputs(end, f);
	free(doc);
	return fclose(f) == 0 ? 0 : 1;
}
