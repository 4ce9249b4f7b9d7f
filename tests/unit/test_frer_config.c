/* SPDX-License-Identifier: GPL-2.0-only */
/* test_frer_config.c — the `frer:` section (docs/frer.md): every bad file in
 * tests/configs/frer/ fails at an exact line, column and field with one error;
 * tests/configs/valid/frer.yaml normalizes to its golden file, parses back to the
 * same config, and its values are those written; a stream is found by name or id;
 * 65 536 entries are checked in bounded time. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "tsn/config.h"
#include "test_util.h"
#include "config_cases.h"

static const struct config_case bad_cases[] = {
	{ "unknown-stream.yaml", 12, 13, "frer[0].stream", "no stream named or numbered 'ctl-z' (see streams)" },
	{ "unknown-id.yaml", 12, 13, "frer[0].stream", "no stream named or numbered '99'" },
	{ "port-not-configured.yaml", 15, 15, "frer[0].paths[0].port", "'sw1p9' is not a configured port" },
	{ "history-range.yaml", 14, 14, "frer[0].history", "allowed 2 to 64" },
	{ "history-low.yaml", 14, 14, "frer[0].history", "allowed 2 to 64" },
	{ "duplicate-stream.yaml", 14, 13, "frer[1].stream", "stream '10' has an entry already (frer[0])" },
	{ "generator-history.yaml", 14, 14, "frer[0].history", "'history' belongs to a recovery function" },
	{ "match-history.yaml", 15, 14, "frer[0].history", "the match algorithm keeps no history" },
	{ "latent-reset-short.yaml", 16, 21, "frer[0].latent-error.reset-period", "must be at least the period" },
	{ "duplicate-path.yaml", 16, 15, "frer[0].paths[1].port", "paths[0] sends the same copy already" },
	{ "bad-role.yaml", 13, 11, "frer[0].role", "unknown value 'eliminator'" },
	{ "path-vlan-range.yaml", 16, 15, "frer[0].paths[0].vlan", "allowed 1 to 4094" },
	{ "no-xdp.yaml", 9, 3, "frer", "FRER runs in the data plane" },
};

static void test_bad_configs(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		config_case_check("tests/configs/frer", &bad_cases[i]);
}

static struct tsn_config *load_valid(void)
{
	return config_load_clean("tests/configs/valid/frer.yaml");
}

static void test_golden(void)
{
	struct tsn_config *cfg = load_valid();
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	char *yaml = tsn_config_to_yaml(cfg);
	char *expect = config_read_file("tests/configs/valid/frer.golden");
	CU_ASSERT_PTR_NOT_NULL_FATAL(yaml);
	CU_ASSERT_PTR_NOT_NULL_FATAL(expect);
	if (strcmp(yaml, expect) != 0)
		fprintf(stderr, "\nfrer.yaml differs from frer.golden; got:\n%s\n", yaml);
	CU_ASSERT_STRING_EQUAL(yaml, expect);

	struct tsn_diags d;
	tsn_diags_init(&d, "frer.golden");
	struct tsn_config *again = tsn_config_parse(yaml, strlen(yaml), "frer.golden", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(again);
	CU_ASSERT_TRUE(tsn_config_equal(cfg, again));
	CU_ASSERT_TRUE(tsn_config_section_equal(cfg, again, "frer"));
	/* A changed history is a changed section (the reload compares it). */
	again->frer[1].history = 17;
	CU_ASSERT_FALSE(tsn_config_section_equal(cfg, again, "frer"));
	tsn_config_free(again);
	tsn_diags_free(&d);
	free(yaml);
	free(expect);
	tsn_config_free(cfg);
}

static void test_values(void)
{
	struct tsn_config *cfg = load_valid();
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(cfg->n_frer, 3);

	const struct tsn_cfg_frer *g = &cfg->frer[0], *r = &cfg->frer[1], *m = &cfg->frer[2];
	CU_ASSERT_EQUAL(g->role, TSN_FRER_ROLE_GENERATOR);
	CU_ASSERT_EQUAL_FATAL(g->n_paths, 2);
	CU_ASSERT_STRING_EQUAL(g->paths[0].port, "sw1p2");
	CU_ASSERT_FALSE(g->paths[0].has_vlan);
	CU_ASSERT_TRUE(g->paths[1].has_vlan);
	CU_ASSERT_EQUAL(g->paths[1].vlan, 200);
	/* Defaults of a recovery function, even where the role does not use them. */
	CU_ASSERT_EQUAL(g->history, 32);
	CU_ASSERT_EQUAL(g->reset_timeout_ns, 1000000000ull);

	CU_ASSERT_EQUAL(r->role, TSN_FRER_ROLE_RECOVERY);
	CU_ASSERT_EQUAL(r->algorithm, TSN_FRER_ALG_CFG_VECTOR);
	CU_ASSERT_EQUAL(r->history, 16);
	CU_ASSERT_EQUAL(r->reset_timeout_ns, 200000000ull);
	CU_ASSERT_TRUE(r->individual_recovery);
	CU_ASSERT_FALSE(r->take_no_sequence);
	CU_ASSERT_TRUE(r->has_latent_error);
	CU_ASSERT_EQUAL(r->latent_error.paths, 2);
	CU_ASSERT_EQUAL(r->latent_error.difference, 4);
	CU_ASSERT_EQUAL(r->latent_error.period_ns, 1000000000ull);
	CU_ASSERT_EQUAL(r->latent_error.reset_period_ns, 10000000000ull);

	CU_ASSERT_EQUAL(m->role, TSN_FRER_ROLE_RECOVERY_GENERATOR);
	CU_ASSERT_EQUAL(m->algorithm, TSN_FRER_ALG_CFG_MATCH);
	CU_ASSERT_TRUE(m->take_no_sequence);
	CU_ASSERT_FALSE(m->has_latent_error);

	/* By name, by id; the ipv6 stream has no name. */
	const struct tsn_cfg_stream *s = tsn_config_frer_stream(cfg, g);
	CU_ASSERT_TRUE(s && s->id == 10);
	s = tsn_config_frer_stream(cfg, r);
	CU_ASSERT_TRUE(s && s->id == 11 && s->identification == TSN_IDENT_SRC_MAC_VLAN);
	s = tsn_config_frer_stream(cfg, m);
	CU_ASSERT_TRUE(s && s->id == 12 && s->identification == TSN_IDENT_IPV6);
	tsn_config_free(cfg);
}

/* 65 536 streams, each with a recovery entry named by its id, the last one unknown:
 * one error, at the right entry (the check sorts; a scan would take minutes). */
static void test_many(void)
{
	const size_t n = tu_scale(65536, 4096);
	size_t cap = n * 160 + 4096, len = 0;
	char *y = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	len += (size_t)snprintf(y + len, cap - len, "ports:\n  - name: p1\n    xdp: generic\nstreams:\n");
	for (size_t i = 1; i <= n; i++)
		len += (size_t)snprintf(y + len, cap - len,
					"  - { id: %zu, identification: dst-mac-vlan, dst-mac: \"02:00:00:%02zx:%02zx:00\", "
					"priority: 1 }\n", i, (i >> 8) & 0xff, i & 0xff);
	len += (size_t)snprintf(y + len, cap - len, "frer:\n");
	for (size_t i = 1; i <= n; i++)
		len += (size_t)snprintf(y + len, cap - len, "  - { stream: \"%zu\", role: recovery }\n",
					i == n ? n + 1 : i);
	struct tsn_diags d;
	tsn_diags_init(&d, "many.yaml");
	struct tsn_config *cfg = tsn_config_parse(y, len, "many.yaml", &d);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(d.errors, 1);
	if (d.count) {
		char want[64];
		snprintf(want, sizeof(want), "frer[%zu].stream", n - 1);
		CU_ASSERT_STRING_EQUAL(d.items[0].path, want);
	}
	tsn_config_free(cfg);
	tsn_diags_free(&d);
	free(y);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("frer_config", NULL, NULL);
	CU_add_test(s, "bad frer sections: exact line, column, field", test_bad_configs);
	CU_add_test(s, "golden: frer.yaml", test_golden);
	CU_add_test(s, "values, defaults, stream by name or id", test_values);
	CU_add_test(s, "65 536 entries, one unknown stream", test_many);
	return tu_run_tests();
}
