// SPDX-License-Identifier: GPL-2.0-only
/* fuzz_ymap.c — libFuzzer target for the YANG data -> tsnd configuration
 * translation (netconf/ymap.c), the path every NETCONF edit takes to tsnd.
 *
 * Checked: a refused document names a YANG path and a reason; an accepted one
 * gives JSON that tsnd's parser either refuses with a diagnostic or accepts, and
 * an accepted configuration goes to YANG and back to the same configuration.
 * Seeds: tests/fuzz/corpus/ymap (the YANG JSON of the test configurations). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsn/config.h"
#include "ymap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tsn_config *parse_json(json_object *j, struct tsn_diags *d)
{
	const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	return tsn_config_parse(text, strlen(text), "fuzz", d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	json_tokener *tok = json_tokener_new();
	json_object *y = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!y)
		return 0;
	struct ym_error err;
	json_object *t = ym_from_yang(y, &err);
	json_object_put(y);
	if (!t) {
		if (err.path[0] != '/' || !err.msg[0])
			__builtin_trap();	/* refused without saying where or why */
		return 0;
	}
	struct tsn_diags d;
	tsn_diags_init(&d, "fuzz");
	struct tsn_config *cfg = parse_json(t, &d);
	json_object_put(t);
	if (!cfg) {
		if (!d.errors)
			__builtin_trap();
		tsn_diags_free(&d);
		return 0;
	}
	tsn_diags_free(&d);
	/* accepted: YANG and back is the same configuration */
	json_object *norm = tsn_config_to_json(cfg);
	json_object *y2 = ym_to_yang(norm, &err);
	json_object_put(norm);
	if (!y2)
		__builtin_trap();
	json_object *t2 = ym_from_yang(y2, &err);
	json_object_put(y2);
	if (!t2)
		__builtin_trap();
	tsn_diags_init(&d, "fuzz");
	struct tsn_config *again = parse_json(t2, &d);
	json_object_put(t2);
	if (!again || !tsn_config_equal(cfg, again))
		__builtin_trap();
	tsn_config_free(again);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
	return 0;
}
