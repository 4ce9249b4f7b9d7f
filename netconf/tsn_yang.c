// SPDX-License-Identifier: GPL-2.0-only
/* tsn-yang — tsnd's YANG module and configurations in its RFC 7951 JSON:
 *   tsn-yang module [FILE]      write the module (generated from the schema)
 *   tsn-yang mapping            the IEEE mapping table (Markdown)
 *   tsn-yang to-yang CONFIG     a tsnd config (YAML or JSON) -> YANG JSON
 *   tsn-yang from-yang FILE     YANG JSON -> tsnd's config JSON
 *   tsn-yang normalize CONFIG   a tsnd config -> tsnd's normalized JSON
 * Used by `make`, the golden tests and anyone moving configs between the two. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsn/config.h"
#include "ymap.h"

static int usage(void)
{
	fputs("usage: tsn-yang module [FILE] | mapping | to-yang CONFIG | from-yang FILE | normalize CONFIG\n", stderr);
	return 2;
}

static json_object *load_normalized(const char *path)
{
	struct tsn_diags d;
	tsn_diags_init(&d, path);
	struct tsn_config *cfg = tsn_config_load(path, &d);
	if (!cfg) {
		tsn_diags_print(&d, stderr);
		tsn_diags_free(&d);
		return NULL;
	}
	tsn_diags_free(&d);
	json_object *j = tsn_config_to_json(cfg);
	tsn_config_free(cfg);
	return j;
}

static int print(json_object *j)
{
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	if (strcmp(cmd, "module") == 0 && argc <= 3) {
		FILE *out = argc == 3 ? fopen(argv[2], "w") : stdout;
		if (!out) {
			perror(argv[2]);
			return 1;
		}
		int rc = ym_write_module(out);
		if (fclose(out) != 0)
			rc = -1;
		return rc ? 1 : 0;
	}
	if (strcmp(cmd, "mapping") == 0 && argc == 2) {
		ym_write_mapping_markdown(stdout);
		return 0;
	}
	if (argc != 3)
		return usage();
	if (strcmp(cmd, "normalize") == 0 || strcmp(cmd, "to-yang") == 0) {
		json_object *j = load_normalized(argv[2]);
		if (!j)
			return 1;
		if (cmd[0] == 'n')
			return print(j);
		struct ym_error err;
		json_object *y = ym_to_yang(j, &err);
		json_object_put(j);
		if (!y) {
			fprintf(stderr, "%s: %s: %s\n", argv[2], err.path, err.msg);
			return 1;
		}
		return print(y);
	}
	if (strcmp(cmd, "from-yang") == 0) {
		json_object *y = json_object_from_file(argv[2]);
		if (!y) {
			fprintf(stderr, "%s: not JSON (%s)\n", argv[2], json_util_get_last_err());
			return 1;
		}
		struct ym_error err;
		json_object *j = ym_from_yang(y, &err);
		json_object_put(y);
		if (!j) {
			fprintf(stderr, "%s: %s: %s\n", argv[2], err.path, err.msg);
			return 1;
		}
		return print(j);
	}
	return usage();
}
