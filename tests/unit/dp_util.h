/* dp_util.h — helpers for the CUnit tests that drive the data plane (header-only,
 * like test_util.h; the tests are built with -Idaemon).
 *
 *   tu_dp_apply(dp, yaml, err, errlen)   parse YAML text and dataplane_apply() it
 */
#ifndef TSN_TEST_DP_UTIL_H
#define TSN_TEST_DP_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dataplane.h"
#include "tsn/config.h"

/* 0, or -EINVAL for YAML that does not parse (its diagnostics printed), or
 * dataplane_apply's error with its text in err (and printed). */
__attribute__((unused))
static int tu_dp_apply(struct dataplane *dp, const char *yaml, char *err, size_t errlen)
{
	struct tsn_diags diags;
	struct tsn_config *cfg;
	int rc;

	tsn_diags_init(&diags, "test.yaml");
	cfg = tsn_config_parse(yaml, strlen(yaml), "test.yaml", &diags);
	if (!cfg) {
		tsn_diags_print(&diags, stderr);
		tsn_diags_free(&diags);
		snprintf(err, errlen, "configuration invalid");
		return -EINVAL;
	}
	tsn_diags_free(&diags);
	rc = dataplane_apply(dp, cfg, err, errlen);
	if (rc < 0)
		fprintf(stderr, "\n  apply: %s", err);
	tsn_config_free(cfg);
	return rc;
}

#endif
