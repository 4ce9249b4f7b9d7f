/* SPDX-License-Identifier: GPL-2.0-only */
/* fuzz_config.c — libFuzzer target for the configuration parser (lib/config.c with
 * the schema, the checks and the printers): any bytes as tsnd.yaml.
 *
 * Checked: a rejected file has at least one error and every diagnostic formats
 * to a line; an accepted one has none, prints (JSON and YAML), and its YAML
 * parses again to an equal configuration.  Seeds: tests/fuzz/corpus/config
 * (tests/configs/valid and invalid files). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsn/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsn_diags diags, again_diags;
	struct tsn_config *cfg, *again;
	char line[1024];
	char *yaml;

	if (size > 65536)
		return 0;	/* large files only slow the search down */
	tsn_diags_init(&diags, "fuzz.yaml");
	cfg = tsn_config_parse((const char *)data, size, "fuzz.yaml", &diags);
	for (size_t i = 0; i < diags.count; i++)
		tsn_diag_format(&diags, &diags.items[i], line, sizeof(line));
	if (!cfg) {
		if (diags.errors == 0)
			__builtin_trap();	/* rejected without saying why */
		tsn_diags_free(&diags);
		return 0;
	}
	if (diags.errors)
		__builtin_trap();
	json_object_put(tsn_config_to_json(cfg));
	yaml = tsn_config_to_yaml(cfg);
	if (yaml) {
		/* The normalized form is a valid file with the same meaning. */
		tsn_diags_init(&again_diags, "normalized.yaml");
		again = tsn_config_parse(yaml, strlen(yaml), "normalized.yaml", &again_diags);
		if (!again || !tsn_config_equal(cfg, again))
			__builtin_trap();
		tsn_config_free(again);
		tsn_diags_free(&again_diags);
		free(yaml);
	}
	tsn_config_free(cfg);
	tsn_diags_free(&diags);
	return 0;
}
