/* SPDX-License-Identifier: GPL-2.0-only */
/* test_config_bridge.c — the bridge: section (docs/bridge.md): values and defaults
 * as parsed, every rule of tests/configs/invalid/bridge-*.yaml at its exact line,
 * column and field, a normalized round trip, and the free of its lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "tsn/config.h"
#include "test_util.h"
#include "config_cases.h"

static const struct config_case bad_cases[] = {
	{ "bridge-vid-range.yaml", 6, 22, "bridge.ports[0].vlans[0].vid", "4095 is out of range; allowed 1 to 4094" },
	{ "bridge-fdb-port-unknown.yaml", 8, 15, "bridge.fdb[0].ports[0]", "'p3' is not a port of the bridge" },
	{ "bridge-fdb-vid-not-member.yaml", 12, 19, "bridge.fdb[0].ports[1]", "port p2 is not a member of VLAN 10" },
	{ "bridge-vid-without-filtering.yaml", 7, 12, "bridge.fdb[0].vid", "but vlan-filtering is off" },
	{ "bridge-pvid-without-filtering.yaml", 5, 13, "bridge.ports[0].pvid", "but vlan-filtering is off" },
	{ "bridge-fdb-duplicate.yaml", 9, 12, "bridge.fdb[1].mac",
	  "MAC 02:00:00:00:00:01 with VID 0 is used twice; first in bridge.fdb[0]" },
	{ "bridge-fdb-too-many-ports.yaml", 6, 14, "bridge.fdb[0].ports", "too many entries (9); at most 8" },
	{ "bridge-unicast-two-ports.yaml", 6, 14, "bridge.fdb[0].ports", "a unicast MAC goes to exactly one port" },
	{ "bridge-pvid-not-member.yaml", 6, 13, "bridge.ports[0].pvid", "VLAN 20 is not among the port's vlans" },
	{ "bridge-pcp-map-short.yaml", 5, 16, "bridge.ports[0].pcp-map", "has 3 entries; it needs exactly 8" },
	{ "bridge-duplicate-port.yaml", 5, 13, "bridge.ports[1].name", "bridge port 'p1' is defined twice" },
	{ "bridge-fdb-no-vid.yaml", 8, 7, "bridge.fdb[0].vid", "with vlan-filtering every entry needs a VID" },
};

static void test_invalid(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		config_case_check("tests/configs/invalid", &bad_cases[i]);
}

static void test_values(void)
{
	struct tsn_config *cfg = config_load_clean("tests/configs/valid/bridge.yaml");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	const struct tsn_cfg_bridge *b = &cfg->bridge;
	CU_ASSERT_TRUE(b->enabled);
	CU_ASSERT_STRING_EQUAL(b->name, "br0");
	CU_ASSERT_TRUE(b->vlan_filtering);
	CU_ASSERT_EQUAL(b->ageing_time_s, 300);
	CU_ASSERT_EQUAL_FATAL(b->n_ports, 3);
	CU_ASSERT_EQUAL(b->ports[0].pvid, 1);
	CU_ASSERT_EQUAL_FATAL(b->ports[0].n_vlans, 2);
	CU_ASSERT_TRUE(b->ports[0].vlans[0].untagged);
	CU_ASSERT_EQUAL(b->ports[0].vlans[1].vid, 10);
	CU_ASSERT_FALSE(b->ports[0].vlans[1].untagged);
	/* pcp-map absent: PCP n is priority n */
	CU_ASSERT_EQUAL(b->ports[0].n_pcp_map, 8);
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(b->ports[0].pcp_map[i], i);
	CU_ASSERT_EQUAL(b->ports[2].default_priority, 5);
	CU_ASSERT_EQUAL(b->ports[2].pvid, 10);
	CU_ASSERT_EQUAL_FATAL(b->n_fdb, 2);
	CU_ASSERT_EQUAL(b->fdb[1].mac.addr[0], 0x01);
	CU_ASSERT_EQUAL(b->fdb[1].vid, 10);
	CU_ASSERT_EQUAL_FATAL(b->fdb[1].n_ports, 2);
	CU_ASSERT_STRING_EQUAL(b->fdb[1].ports[0], "sw0p2");
	CU_ASSERT_STRING_EQUAL(b->fdb[1].ports[1], "sw0p3");
	tsn_config_free(cfg);
}

/* Without the section: disabled, and no other section says otherwise. */
static void test_absent(void)
{
	struct tsn_diags d;
	const char *text = "ports:\n  - name: p1\n";

	tsn_diags_init(&d, "absent");
	struct tsn_config *cfg = tsn_config_parse(text, strlen(text), "absent", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_FALSE(cfg->bridge.enabled);
	CU_ASSERT_EQUAL(cfg->bridge.n_ports, 0);
	char *yaml = tsn_config_to_yaml(cfg);
	CU_ASSERT_PTR_NULL(strstr(yaml, "bridge:"));
	free(yaml);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* Normalized output parses back to the same config; a changed entry is a changed section. */
static void test_round_trip(void)
{
	struct tsn_config *cfg = config_load_clean("tests/configs/valid/bridge.yaml");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	char *yaml = tsn_config_to_yaml(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(yaml);
	CU_ASSERT_PTR_NOT_NULL(strstr(yaml, "bridge:"));
	struct tsn_diags d;
	tsn_diags_init(&d, "again");
	struct tsn_config *again = tsn_config_parse(yaml, strlen(yaml), "again", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(again);
	CU_ASSERT_TRUE(tsn_config_equal(cfg, again));
	CU_ASSERT_TRUE(tsn_config_section_equal(cfg, again, "bridge"));
	snprintf(again->bridge.fdb[0].ports[0], IFNAMSIZ, "sw0p1");
	CU_ASSERT_FALSE(tsn_config_section_equal(cfg, again, "bridge"));
	CU_ASSERT_TRUE(tsn_config_section_equal(cfg, again, "ports"));
	free(yaml);
	tsn_config_free(again);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* Several errors in one file each get their own line (the walk does not stop). */
static void test_several_errors(void)
{
	const char *text = "bridge:\n"
			   "  name: br0\n"
			   "  ports:\n"
			   "    - name: p1\n"
			   "  fdb:\n"
			   "    - { mac: 02:00:00:00:00:01, ports: [p9] }\n"
			   "    - { mac: 01:00:00:00:00:01, vid: 3, ports: [p1] }\n";
	struct tsn_diags d;

	tsn_diags_init(&d, "multi");
	struct tsn_config *cfg = tsn_config_parse(text, strlen(text), "multi", &d);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(d.errors, 2);
	if (d.errors == 2) {
		CU_ASSERT_EQUAL(d.items[0].line, 6);
		CU_ASSERT_STRING_EQUAL(d.items[1].path, "bridge.fdb[1].vid");
	}
	tsn_diags_free(&d);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("config_bridge", NULL, NULL);
	CU_add_test(s, "invalid bridge configs: exact line, column, field", test_invalid);
	CU_add_test(s, "values and defaults", test_values);
	CU_add_test(s, "section absent", test_absent);
	CU_add_test(s, "normalized round trip, section compare", test_round_trip);
	CU_add_test(s, "several errors in one run", test_several_errors);
	return tu_run_tests();
}
