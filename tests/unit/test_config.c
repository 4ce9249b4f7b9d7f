/* SPDX-License-Identifier: GPL-2.0-only */
/* test_config.c — the YAML configuration: every invalid file in
 * tests/configs/invalid/ fails at an exact line, column and field; valid files
 * normalize to their golden output, which parses again to the same config. */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "tsn/config.h"
#include "tsn/units.h"
#include "test_util.h"
#include "config_cases.h"

/* ---- invalid configs: the first error must be exactly here ---- */
static const struct config_case invalid_cases[] = {
	{ "01-yaml-syntax.yaml", 4, 1, "", "did not find expected ',' or ']'" },
	{ "02-unknown-top.yaml", 3, 1, "portz", "unknown field 'portz'; allowed: daemon, control, ports" },
	{ "03-unknown-port-field.yaml", 3, 5, "ports[0].speed", "unknown field 'speed'; allowed: name, link-speed" },
	{ "04-bad-enum.yaml", 2, 14, "daemon.log-level", "unknown value 'verbose'; allowed: error, warning, notice, info, debug" },
	{ "05-missing-port-name.yaml", 2, 5, "ports[0].name", "required field 'name' is missing" },
	{ "06-ifname-too-long.yaml", 2, 11, "ports[0].name", "too long; at most 15 characters" },
	{ "07-duplicate-port.yaml", 4, 11, "ports[2].name", "port 'sw0p1' is defined twice" },
	{ "08-duration-no-unit.yaml", 2, 12, "control.timeout", "'250' has no unit" },
	{ "09-duration-bad-unit.yaml", 8, 35, "ports[0].schedule.entries[0].interval", "'5 minutes' is not valid" },
	{ "10-zero-interval.yaml", 9, 35, "ports[0].schedule.entries[1].interval", "0ns is out of range" },
	{ "11-gate-beyond-num-tc.yaml", 9, 20, "ports[0].schedule.entries[1].gates", "opens a class beyond num-tc 2" },
	{ "12-map-short.yaml", 5, 12, "ports[0].schedule.map", "has 4 entries; it needs exactly 16" },
	{ "13-map-class-range.yaml", 5, 58, "ports[0].schedule.map[15]", "priority 15 maps to class 3, but num-tc is 2" },
	{ "14-queue-overlap.yaml", 6, 30, "ports[0].schedule.queues[2]", "queues 1@2 of class 2 overlap 2@1 of class 1" },
	{ "15-cycle-too-short.yaml", 7, 19, "ports[0].schedule.cycle-time", "150us is shorter than the sum of the intervals (200us)" },
	{ "16-empty-entries.yaml", 7, 16, "ports[0].schedule.entries", "a schedule needs at least one entry" },
	{ "17-txtime-delay-software.yaml", 7, 21, "ports[0].schedule.txtime-delay", "only allowed with mode: txtime-assist" },
	{ "18-bad-queue-syntax.yaml", 6, 16, "ports[0].schedule.queues[0]", "'1:0' is not valid; expected \"count@offset\"" },
	{ "19-bad-mac.yaml", 4, 14, "streams[0].dst-mac", "'01:1b:19:00:00' is not valid; expected a MAC address" },
	{ "20-vlan-range.yaml", 5, 11, "streams[0].vlan", "4095 is out of range; allowed 0 to 4094" },
	{ "21-stream-field-wrong-kind.yaml", 5, 15, "streams[0].dst-port", "'dst-port' is not used by identification dst-mac-vlan" },
	{ "22-stream-unknown-filter.yaml", 8, 13, "streams[0].filter", "no stream filter named 'robott'" },
	{ "23-duplicate-stream-id.yaml", 6, 9, "streams[1].id", "stream id 3 is used twice" },
	{ "24-bad-prefix.yaml", 4, 13, "routes[0].prefix", "'2001:db8:2::/129' is not valid; expected an IPv6 prefix" },
	{ "25-prefix-host-bits.yaml", 4, 13, "routes[0].prefix", "has bits set after the first 64" },
	{ "26-route-unknown-dev.yaml", 6, 10, "routes[0].dev", "'sw0p9' is not a configured port" },
	{ "27-ptp-port-not-configured.yaml", 6, 13, "ptp.ports[0].name", "'eth7' is not a configured port" },
	{ "28-priority-range.yaml", 3, 38, "classification.ethertype[0].priority", "8 is out of range; allowed 0 to 7" },
	{ "29-ethertype-too-small.yaml", 4, 20, "classification.ethertype[1].ethertype", "0x05dc is out of range; allowed 0x0600 to 0xffff" },
	{ "30-socket-mode.yaml", 2, 16, "control.socket-mode", "'0999' is not valid; expected an octal file mode" },
	{ "31-relative-path.yaml", 2, 13, "daemon.pid-file", "must be an absolute path" },
	{ "32-duplicate-key.yaml", 4, 3, "control.timeout", "field 'timeout' given twice" },
	{ "33-port-not-mapping.yaml", 2, 5, "ports[0]", "expected a mapping of port fields, got a single value" },
	{ "34-ports-not-list.yaml", 2, 3, "ports", "expected a list, got a mapping" },
	{ "35-bool.yaml", 2, 12, "ptp.enabled", "'maybe' is not valid; expected true or false" },
	{ "36-rate.yaml", 3, 10, "flow-meters[0].cir", "'10Mbps' is not valid; expected a rate" },
	{ "37-meter-eir-without-ebs.yaml", 2, 5, "flow-meters[0].ebs", "needs an excess burst size above 0" },
	{ "38-gptp-transport.yaml", 3, 14, "ptp.transport", "the gptp profile runs over l2 only" },
	{ "39-second-document.yaml", 4, 1, "", "a second YAML document" },
	{ "40-hostport.yaml", 3, 22, "telemetry.prometheus-listen", "must be address:port" },
	{ "41-max-request-range.yaml", 2, 16, "control.max-request", "100 is out of range; allowed 1024 to 16777216" },
	{ "42-uint-not-number.yaml", 2, 11, "ptp.domain", "'zero' is not valid; expected an integer from 0 to 127" },
};

static void test_invalid_configs(void)
{
	for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++)
		config_case_check("tests/configs/invalid", &invalid_cases[i]);
}

/* One run reports every error, in file order, formatted file:line:col: path: message. */
static void test_all_errors_in_one_run(void)
{
	struct tsn_diags d;
	tsn_diags_init(&d, "tests/configs/multi-error.yaml");
	struct tsn_config *cfg = tsn_config_load("tests/configs/multi-error.yaml", &d);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL_FATAL(d.errors, 5);
	static const char *const expected[] = {
		"tests/configs/multi-error.yaml:2:14: daemon.log-level: unknown value 'loud'; allowed: error, warning, "
		"notice, info, debug",
		"tests/configs/multi-error.yaml:4:12: control.timeout: '5' has no unit; expected a duration such as "
		"250us (units ns, us, ms, s)",
		"tests/configs/multi-error.yaml:7:10: ports[0].xdp: unknown value 'fast'; allowed: off, auto, native, "
		"generic",
		"tests/configs/multi-error.yaml:8:11: ports[1].name: port 'sw0p1' is defined twice; first in ports[0]",
		"tests/configs/multi-error.yaml:11:10: routes[0].dev: 'nowhere' is not a configured port (see ports)",
	};
	for (size_t i = 0; i < 5; i++) {
		char line[512];
		tsn_diag_format(&d, &d.items[i], line, sizeof(line));
		CU_ASSERT_STRING_EQUAL(line, expected[i]);
	}
	json_object *j = tsn_diags_to_json(&d);
	CU_ASSERT_EQUAL(json_object_array_length(j), 5);
	json_object *first = json_object_array_get_idx(j, 0), *v;
	CU_ASSERT_TRUE(json_object_object_get_ex(first, "line", &v) && json_object_get_int(v) == 2);
	CU_ASSERT_TRUE(json_object_object_get_ex(first, "path", &v) &&
		       strcmp(json_object_get_string(v), "daemon.log-level") == 0);
	json_object_put(j);
	tsn_diags_free(&d);
}

/* ---- golden files: normalized output, and it parses back to the same config ---- */
static void check_golden(const char *name)
{
	char src[256], golden[256];
	struct tsn_diags d;
	snprintf(src, sizeof(src), "tests/configs/valid/%s.yaml", name);
	snprintf(golden, sizeof(golden), "tests/configs/valid/%s.golden", name);
	tsn_diags_init(&d, src);
	struct tsn_config *cfg = tsn_config_load(src, &d);
	if (!cfg)
		tsn_diags_print(&d, stderr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(d.errors, 0);
	char *yaml = tsn_config_to_yaml(cfg);
	char *expect = config_read_file(golden);
	CU_ASSERT_PTR_NOT_NULL_FATAL(yaml);
	CU_ASSERT_PTR_NOT_NULL_FATAL(expect);
	if (strcmp(yaml, expect) != 0)
		fprintf(stderr, "\n%s differs from its golden file; got:\n%s\n", src, yaml);
	CU_ASSERT_STRING_EQUAL(yaml, expect);

	struct tsn_diags d2;
	tsn_diags_init(&d2, golden);
	struct tsn_config *again = tsn_config_parse(yaml, strlen(yaml), golden, &d2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(again);
	CU_ASSERT_TRUE(tsn_config_equal(cfg, again));
	char *yaml2 = tsn_config_to_yaml(again);
	CU_ASSERT_STRING_EQUAL(yaml, yaml2);

	free(yaml);
	free(yaml2);
	free(expect);
	tsn_config_free(again);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
	tsn_diags_free(&d2);
}

static void test_golden_empty(void) { check_golden("empty"); }
static void test_golden_full(void) { check_golden("full"); }
static void test_golden_lab(void) { check_golden("lab-two-port"); }

/* The shipped example configs must stay valid and warning-free. */
static void test_shipped_configs(void)
{
	static const char *const files[] = { "configs/tsnd.yaml", "configs/demo.yaml" };
	for (size_t i = 0; i < 2; i++) {
		struct tsn_diags d;
		tsn_diags_init(&d, files[i]);
		struct tsn_config *cfg = tsn_config_load(files[i], &d);
		if (!cfg || d.count)
			tsn_diags_print(&d, stderr);
		CU_ASSERT_PTR_NOT_NULL(cfg);
		CU_ASSERT_EQUAL(d.count, 0);
		tsn_config_free(cfg);
		tsn_diags_free(&d);
	}
}

static struct tsn_config *parse_ok(const char *text)
{
	struct tsn_diags d;
	tsn_diags_init(&d, "inline");
	struct tsn_config *cfg = tsn_config_parse(text, strlen(text), "inline", &d);
	if (!cfg)
		tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	return cfg;
}

static void test_defaults(void)
{
	struct tsn_config *cfg = tsn_config_defaults();
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->control.socket, "/run/tsnd/tsnd.sock");
	CU_ASSERT_EQUAL(cfg->control.socket_mode, 0660);
	CU_ASSERT_EQUAL(cfg->control.timeout_ns, 5000000000ull);
	CU_ASSERT_EQUAL(cfg->control.max_request, 65536);
	CU_ASSERT_EQUAL(cfg->daemon.log_level, 6);
	CU_ASSERT_EQUAL(cfg->n_ports, 0);
	CU_ASSERT_FALSE(cfg->ptp.enabled);
	CU_ASSERT_EQUAL(cfg->ptp.priority1, 128);
	CU_ASSERT_EQUAL(cfg->telemetry.conformance_tolerance_ns, 1000);
	tsn_config_free(cfg);
}

static void test_values(void)
{
	struct tsn_config *cfg = parse_ok(
		"ports:\n"
		"  - name: p1\n"
		"    link-speed: 2500\n"
		"    schedule:\n"
		"      num-tc: 8\n"
		"      map: [0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0]\n"
		"      queues: [1@0, 1@1, 1@2, 1@3, 1@4, 1@5, 1@6, 1@7]\n"
		"      base-time: 9223372036854775807\n"
		"      entries:\n"
		"        - { gates: [0-2, 7], interval: 250us }\n"
		"        - { gates: [3-6], interval: 1ms, op: set-and-hold }\n"
		"        - { gates: [], interval: 4294967295ns }\n"
		"ptp: { ports: [{ name: p1 }] }\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	const struct tsn_cfg_port *p = tsn_config_port(cfg, "p1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NULL(tsn_config_port(cfg, "p2"));
	CU_ASSERT_EQUAL(p->link_speed_mbps, 2500);
	CU_ASSERT_TRUE(p->has_schedule);
	CU_ASSERT_FALSE(p->has_acl);
	CU_ASSERT_FALSE(p->schedule.base_time_auto);
	CU_ASSERT_EQUAL(p->schedule.base_time_ns, INT64_MAX);
	CU_ASSERT_EQUAL(p->schedule.n_entries, 3);
	CU_ASSERT_EQUAL(p->schedule.entries[0].gates, 0x87);
	CU_ASSERT_EQUAL(p->schedule.entries[0].interval_ns, 250000);
	CU_ASSERT_EQUAL(p->schedule.entries[1].op, TSN_GATE_SET_AND_HOLD);
	CU_ASSERT_EQUAL(p->schedule.entries[1].gates, 0x78);
	CU_ASSERT_EQUAL(p->schedule.entries[2].gates, 0);
	CU_ASSERT_EQUAL(p->schedule.entries[2].interval_ns, 4294967295ull);
	CU_ASSERT_EQUAL(p->schedule.queues[7].offset, 7);
	CU_ASSERT_EQUAL(p->schedule.map[7], 7);
	tsn_config_free(cfg);
}

/* A class that never opens is worth a warning, not an error. */
static void test_warning_gate_never_opens(void)
{
	const char *text =
		"ports:\n"
		"  - name: p1\n"
		"    schedule:\n"
		"      num-tc: 3\n"
		"      map: [0, 0, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n"
		"      queues: [1@0, 1@1, 1@2]\n"
		"      entries:\n"
		"        - { gates: [0, 1], interval: 1ms }\n";
	struct tsn_diags d;
	tsn_diags_init(&d, "w.yaml");
	struct tsn_config *cfg = tsn_config_parse(text, strlen(text), "w.yaml", &d);
	CU_ASSERT_PTR_NOT_NULL(cfg);
	CU_ASSERT_EQUAL(d.errors, 0);
	CU_ASSERT_EQUAL_FATAL(d.warnings, 1);
	char line[512];
	tsn_diag_format(&d, &d.items[0], line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "w.yaml:8:9: ports[0].schedule.entries: warning: the gate of traffic class 2 "
			       "never opens: its frames are never sent");
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* A gate control list of 1000 entries parses, prints and compares. */
static void test_long_gate_list(void)
{
	size_t cap = 64 * 1024, len = 0;
	char *text = malloc(cap);
	len += (size_t)snprintf(text + len, cap - len,
				"ports:\n  - name: p1\n    schedule:\n      num-tc: 2\n"
				"      map: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n"
				"      queues: [1@0, 1@1]\n      entries:\n");
	for (int i = 0; i < 1000; i++)
		len += (size_t)snprintf(text + len, cap - len, "        - { gates: [%d], interval: %dns }\n", i % 2,
					1000 + i);
	struct tsn_config *cfg = parse_ok(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->ports[0].schedule.n_entries, 1000);
	CU_ASSERT_EQUAL(cfg->ports[0].schedule.entries[999].interval_ns, 1999);
	char *yaml = tsn_config_to_yaml(cfg);
	struct tsn_config *again = parse_ok(yaml);
	CU_ASSERT_PTR_NOT_NULL_FATAL(again);
	CU_ASSERT_TRUE(tsn_config_equal(cfg, again));
	CU_ASSERT_TRUE(tsn_config_port_member_equal(&cfg->ports[0], &again->ports[0], "schedule"));
	again->ports[0].schedule.entries[500].interval_ns++;
	CU_ASSERT_FALSE(tsn_config_equal(cfg, again));
	CU_ASSERT_FALSE(tsn_config_section_equal(cfg, again, "ports"));
	CU_ASSERT_TRUE(tsn_config_section_equal(cfg, again, "ptp"));
	CU_ASSERT_TRUE(tsn_config_section_equal(cfg, again, "control"));
	/* One member of a port: what a reload compares per port. */
	CU_ASSERT_FALSE(tsn_config_port_member_equal(&cfg->ports[0], &again->ports[0], "schedule"));
	CU_ASSERT_TRUE(tsn_config_port_member_equal(&cfg->ports[0], &again->ports[0], "name"));
	CU_ASSERT_FALSE(tsn_config_port_member_equal(&cfg->ports[0], &again->ports[0], "no-such-key"));
	again->ports[0].has_schedule = false;
	CU_ASSERT_FALSE(tsn_config_port_member_equal(&cfg->ports[0], &again->ports[0], "schedule"));
	again->ports[0].has_schedule = true;
	free(yaml);
	free(text);
	tsn_config_free(again);
	tsn_config_free(cfg);
}

/* Aliases must not expand without bound ("billion laughs"): 256 aliased ports, each
 * with two aliased 4096-entry allow lists, would be over 2 million nodes to walk. */
static void test_alias_bomb(void)
{
	size_t cap = 1 << 20, len = 0;
	char *text = malloc(cap);
	len += (size_t)snprintf(text + len, cap - len, "x-macs: &macs [");
	for (int i = 0; i < 4096; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s02:00:00:00:%02x:%02x", i ? ", " : "", i >> 8, i & 255);
	len += (size_t)snprintf(text + len, cap - len, "]\nx-pfx: &pfx [");
	for (int i = 0; i < 4096; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s\"2001:db8:%x::/48\"", i ? ", " : "", i);
	len += (size_t)snprintf(text + len, cap - len,
				"]\nx-port: &port { name: p1, acl: { allow-src-mac: *macs, allow-prefix: *pfx } }\nports: [");
	for (int i = 0; i < 256; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s*port", i ? ", " : "");
	len += (size_t)snprintf(text + len, cap - len, "]\n");
	struct tsn_diags d;
	tsn_diags_init(&d, "bomb.yaml");
	struct tsn_config *cfg = tsn_config_parse(text, len, "bomb.yaml", &d);
	CU_ASSERT_PTR_NULL(cfg);
	bool bounded = false;
	for (size_t i = 0; i < d.count; i++)
		bounded |= strstr(d.items[i].message, "document too complex") != NULL;
	CU_ASSERT_TRUE(bounded);
	tsn_diags_free(&d);
	free(text);
}

/* text must fail with one error at line:col whose message holds `want`. */
static void expect_one_error(const char *text, unsigned line, unsigned col, const char *want)
{
	struct tsn_diags d;
	tsn_diags_init(&d, "t.yaml");
	struct tsn_config *cfg = tsn_config_parse(text, strlen(text), "t.yaml", &d);
	CU_ASSERT_PTR_NULL(cfg);
	tsn_config_free(cfg);
	CU_ASSERT_EQUAL_FATAL(d.errors, 1);
	size_t e = 0;
	while (d.items[e].severity != TSN_DIAG_ERROR)
		e++;
	CU_ASSERT_EQUAL(d.items[e].line, line);
	CU_ASSERT_EQUAL(d.items[e].column, col);
	if (!strstr(d.items[e].message, want))
		fprintf(stderr, "\n  expected '%s' in: %s\n", want, d.items[e].message);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.items[e].message, want));
	tsn_diags_free(&d);
}

/* The tree is read from libyaml's events (lib/yaml_tree.c): anchors, aliases and
 * documents behave as with libyaml's own loader. */
static void test_anchors_aliases_documents(void)
{
	expect_one_error("daemon: *nope\n", 1, 9, "YAML syntax error: found undefined alias");
	expect_one_error("x-a: &a 1\nx-b: &a 2\n", 2, 6, "found duplicate anchor; first occurrence started at line 1");
	/* an alias is its anchored node: the port is defined twice, at the alias */
	expect_one_error("ports:\n  - &p { name: p1 }\n  - *p\n", 2, 16, "port 'p1' is defined twice");
	/* a broken second document: its syntax error, the first document still read */
	expect_one_error("daemon:\n  log-level: info\n---\nfoo: [1\n", 5, 1, "did not find expected ',' or ']'");
	expect_one_error("daemon: {}\n---\n", 3, 1, "a second YAML document");
	/* an alias inside its own anchor: a cycle in the tree, which the walk survives */
	expect_one_error("ports: &a [ { name: p1, x-loop: *a } ]\n", 1, 25, "unknown field 'x-loop'");
	/* anchors and aliases that are fine */
	struct tsn_config *cfg = parse_ok("ports:\n  - { name: p1, link-speed: &s 100 }\n"
					  "  - { name: p2, link-speed: *s }\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->ports[1].link_speed_mbps, 100);
	tsn_config_free(cfg);
	/* empty and comment-only files are all defaults */
	cfg = parse_ok("# nothing\n");
	CU_ASSERT_PTR_NOT_NULL(cfg);
	tsn_config_free(cfg);
	cfg = parse_ok("");
	CU_ASSERT_PTR_NOT_NULL(cfg);
	tsn_config_free(cfg);
}

/* Where a field was written can be asked for after parsing (checks against the kernel). */
static void test_report_after_parse(void)
{
	struct tsn_config *cfg = parse_ok("ports:\n  - name: p1\n  - name: p2\n    link-speed: 100\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	struct tsn_diags d;
	tsn_diags_init(&d, "x.yaml");
	tsn_config_report(cfg, &d, TSN_DIAG_ERROR, &cfg->ports[1].link_speed_mbps, "too slow");
	tsn_config_report(cfg, &d, TSN_DIAG_WARNING, &cfg->ports[0].link_speed_mbps, "unknown");
	char line[256];
	tsn_diag_format(&d, &d.items[0], line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "x.yaml:4:17: ports[1].link-speed: too slow");
	/* not written: the place of the port, the path of the field */
	tsn_diag_format(&d, &d.items[1], line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "x.yaml:2:5: ports[0].link-speed: warning: unknown");
	tsn_diags_free(&d);
	tsn_config_free(cfg);
}

static void test_json(void)
{
	struct tsn_config *cfg = parse_ok("control: { timeout: 1500ms }\nports: [{ name: p1, xdp: generic }]\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	json_object *j = tsn_config_to_json(cfg), *control, *v, *ports;
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(j, "control", &control));
	CU_ASSERT_TRUE(json_object_object_get_ex(control, "timeout", &v) &&
		       strcmp(json_object_get_string(v), "1500ms") == 0);
	CU_ASSERT_TRUE(json_object_object_get_ex(control, "socket-mode", &v) &&
		       strcmp(json_object_get_string(v), "0660") == 0);
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(j, "ports", &ports));
	CU_ASSERT_EQUAL(json_object_array_length(ports), 1);
	CU_ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(ports, 0), "xdp", &v) &&
		       strcmp(json_object_get_string(v), "generic") == 0);
	CU_ASSERT_FALSE(json_object_object_get_ex(json_object_array_get_idx(ports, 0), "schedule", &v));
	json_object_put(j);
	tsn_config_free(cfg);
}

/* ---- units: exact, edges of 64 bits ---- */
static void test_units(void)
{
	uint64_t v;
	char buf[32];
	CU_ASSERT_TRUE(tsn_parse_duration("250us", &v) && v == 250000);
	CU_ASSERT_TRUE(tsn_parse_duration("18446744073709551615ns", &v) && v == UINT64_MAX);
	CU_ASSERT_FALSE(tsn_parse_duration("18446744073709551616ns", &v));
	CU_ASSERT_TRUE(tsn_parse_duration("18446744073s", &v) && v == 18446744073000000000ull);
	CU_ASSERT_FALSE(tsn_parse_duration("18446744074s", &v));
	CU_ASSERT_FALSE(tsn_parse_duration("1.5ms", &v));
	CU_ASSERT_FALSE(tsn_parse_duration("-1ms", &v));
	CU_ASSERT_FALSE(tsn_parse_duration("ms", &v));
	CU_ASSERT_FALSE(tsn_parse_duration("10 ms", &v));
	CU_ASSERT_FALSE(tsn_parse_duration("", &v));
	CU_ASSERT_TRUE(tsn_parse_rate("10Mbit", &v) && v == 10000000);
	CU_ASSERT_FALSE(tsn_parse_rate("10Mbps", &v));
	CU_ASSERT_TRUE(tsn_parse_size("4KiB", &v) && v == 4096);
	CU_ASSERT_TRUE(tsn_parse_size("4kB", &v) && v == 4000);
	CU_ASSERT_TRUE(tsn_parse_u64("0x88F7", &v) && v == 0x88f7);
	CU_ASSERT_FALSE(tsn_parse_u64("0x", &v));
	CU_ASSERT_FALSE(tsn_parse_u64("+5", &v));
	CU_ASSERT_TRUE(tsn_parse_u64("18446744073709551615", &v) && v == UINT64_MAX);
	CU_ASSERT_FALSE(tsn_parse_u64("18446744073709551616", &v));
	CU_ASSERT_STRING_EQUAL(tsn_format_duration(0, buf, sizeof(buf)), "0ns");
	CU_ASSERT_STRING_EQUAL(tsn_format_duration(1500000, buf, sizeof(buf)), "1500us");
	CU_ASSERT_STRING_EQUAL(tsn_format_duration(2000000000, buf, sizeof(buf)), "2s");
	CU_ASSERT_STRING_EQUAL(tsn_format_duration(UINT64_MAX, buf, sizeof(buf)), "18446744073709551615ns");
	CU_ASSERT_STRING_EQUAL(tsn_format_rate(1000000000, buf, sizeof(buf)), "1Gbit");
	CU_ASSERT_STRING_EQUAL(tsn_format_size(1536, buf, sizeof(buf)), "1536B");
	CU_ASSERT_STRING_EQUAL(tsn_format_size(3000, buf, sizeof(buf)), "3kB");
	CU_ASSERT_STRING_EQUAL(tsn_format_class_set(0x87, buf, sizeof(buf)), "[0-2, 7]");
	CU_ASSERT_STRING_EQUAL(tsn_format_class_set(0, buf, sizeof(buf)), "[]");
	CU_ASSERT_STRING_EQUAL(tsn_format_class_set(0x2a, buf, sizeof(buf)), "[1, 3, 5]");
	CU_ASSERT_STRING_EQUAL(tsn_format_class_set(0x80000001u, buf, sizeof(buf)), "[0, 31]");
	/* parse(format(x)) == x over awkward values */
	const uint64_t samples[] = { 0, 1, 999, 1000, 1001, 1024, 1000000, 1048576, 123456789012ull, UINT64_MAX,
				     UINT64_MAX - 1, 18446744073000000000ull };
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		uint64_t back;
		CU_ASSERT_TRUE(tsn_parse_duration(tsn_format_duration(samples[i], buf, sizeof(buf)), &back) &&
			       back == samples[i]);
		CU_ASSERT_TRUE(tsn_parse_rate(tsn_format_rate(samples[i], buf, sizeof(buf)), &back) && back == samples[i]);
		CU_ASSERT_TRUE(tsn_parse_size(tsn_format_size(samples[i], buf, sizeof(buf)), &back) && back == samples[i]);
	}
}

/* docs/config.md carries the schema reference; it must match the code. */
static void test_docs_reference_current(void)
{
	char *doc = config_read_file("docs/config.md");
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	const char *begin_mark = "<!-- schema-reference:begin -->\n";
	char *begin = strstr(doc, begin_mark);
	char *end = strstr(doc, "<!-- schema-reference:end -->");
	CU_ASSERT_PTR_NOT_NULL_FATAL(begin);
	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	begin += strlen(begin_mark);
	*end = '\0';
	char *gen = NULL;
	size_t gen_len = 0;
	FILE *mem = open_memstream(&gen, &gen_len);
	tsn_config_schema_markdown(mem);
	fclose(mem);
	if (strcmp(begin, gen) != 0)
		fprintf(stderr, "\ndocs/config.md: the schema reference is stale; run `make docs`\n");
	CU_ASSERT_STRING_EQUAL(begin, gen);
	free(gen);
	free(doc);
}

/* ---- hostile files (issue 16) ---- */

static struct tsn_config *parse_text(const char *text, size_t len, struct tsn_diags *d)
{
	tsn_diags_init(d, "h.yaml");
	return tsn_config_parse(text, len, "h.yaml", d);
}

static bool has_message(const struct tsn_diags *d, const char *want)
{
	for (size_t i = 0; i < d->count; i++)
		if (strstr(d->items[i].message, want))
			return true;
	return false;
}

/* n times `unit` behind `prefix`, then `suffix`: a malloc'd text. */
static char *repeat(const char *prefix, const char *unit, size_t n, const char *suffix, size_t *len)
{
	size_t pl = strlen(prefix), ul = strlen(unit), sl = strlen(suffix);
	char *t = malloc(pl + ul * n + sl + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	memcpy(t, prefix, pl);
	for (size_t i = 0; i < n; i++)
		memcpy(t + pl + i * ul, unit, ul);
	memcpy(t + pl + ul * n, suffix, sl + 1);
	*len = pl + ul * n + sl;
	return t;
}

/* Deep flow nesting spent 21 s inside libyaml (202 KB of '['): refused at the
 * first collection beyond 64 levels, at its line and column. */
static void test_deep_nesting(void)
{
	static const struct { const char *unit; size_t n; unsigned col; } deep[] = {
		{ "[", 202000, 65 }, { "{a: ", 125000, 257 }, { "- ", 100000, 129 },
	};
	struct tsn_diags d;
	size_t len;

	for (size_t i = 0; i < sizeof(deep) / sizeof(deep[0]); i++) {
		char *t = repeat("", deep[i].unit, deep[i].n, "", &len);
		CU_ASSERT_PTR_NULL(parse_text(t, len, &d));
		CU_ASSERT_EQUAL(d.errors, 1);
		CU_ASSERT_TRUE(has_message(&d, "collections nested deeper than 64 levels"));
		CU_ASSERT_EQUAL(d.count ? d.items[0].line : 0, 1);
		CU_ASSERT_EQUAL(d.count ? d.items[0].column : 0, deep[i].col);
		tsn_diags_free(&d);
		free(t);
	}
	/* 64 levels (the root mapping and 63 lists) are fine; 65 are not. */
	char *t = repeat("x-deep: ", "[", 63, "", &len);
	char *t2 = malloc(len + 63 + 2);
	memcpy(t2, t, len);
	memset(t2 + len, ']', 63);
	strcpy(t2 + len + 63, "\n");
	struct tsn_config *cfg = parse_text(t2, strlen(t2), &d);
	CU_ASSERT_FALSE(has_message(&d, "nested deeper"));
	tsn_config_free(cfg);
	tsn_diags_free(&d);
	free(t);
	free(t2);
	t = repeat("x-deep: ", "[", 64, "", &len);
	CU_ASSERT_PTR_NULL(parse_text(t, len, &d));
	CU_ASSERT_TRUE(has_message(&d, "nested deeper than 64"));
	tsn_diags_free(&d);
	free(t);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "\n  tsn_config_load blocked on a FIFO\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

/* A FIFO at the configuration path blocked tsnd in open(): refused at once. */
static void test_fifo_refused(void)
{
	char dir[] = "/tmp/tsn-fifo-XXXXXX", path[64];
	struct tsn_diags d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tsnd.yaml", dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
	tsn_diags_init(&d, path);
	signal(SIGALRM, on_alarm);
	alarm(30);	/* before the fix: blocked for ever; the test fails, not hangs */
	CU_ASSERT_PTR_NULL(tsn_config_load(path, &d));
	alarm(0);
	CU_ASSERT_EQUAL(d.errors, 1);
	CU_ASSERT_TRUE(has_message(&d, "not a regular file"));
	tsn_diags_free(&d);
	/* A directory neither. */
	tsn_diags_init(&d, dir);
	CU_ASSERT_PTR_NULL(tsn_config_load(dir, &d));
	CU_ASSERT_TRUE(has_message(&d, "not a regular file"));
	tsn_diags_free(&d);
	unlink(path);
	rmdir(dir);
}

/* An over-long value lost its reason (cut at 256 characters): the value is
 * shown shortened, with its length, and the reason whole. */
static void test_long_value_keeps_reason(void)
{
	struct tsn_diags d;
	size_t len;
	char *t = repeat("ports:\n  - name: sw0p1\n  - name: ", "n", 1u << 20, "\n", &len);

	CU_ASSERT_PTR_NULL(parse_text(t, len, &d));
	CU_ASSERT_EQUAL_FATAL(d.count, 1);
	CU_ASSERT_STRING_EQUAL(d.items[0].path, "ports[1].name");
	CU_ASSERT_STRING_EQUAL(d.items[0].message,
			       "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn... (1048576 bytes)' is too long; at most 15 characters");
	tsn_diags_free(&d);
	free(t);
	/* A long unknown key and a long bad number alike. */
	t = repeat("daemon:\n  ", "k", 1000, ": 1\n", &len);	/* libyaml: keys up to 1024 */
	CU_ASSERT_PTR_NULL(parse_text(t, len, &d));
	CU_ASSERT_TRUE(has_message(&d, "(1000 bytes)'; allowed: "));
	tsn_diags_free(&d);
	free(t);
	t = repeat("control:\n  max-clients: ", "9", 5000, "\n", &len);
	CU_ASSERT_PTR_NULL(parse_text(t, len, &d));
	CU_ASSERT_TRUE(has_message(&d, "(5000 bytes)"));
	CU_ASSERT_TRUE(has_message(&d, "1 to 1024"));
	tsn_diags_free(&d);
	free(t);
}

/* n ipv6 streams with ids id(i), destinations distinct (or all alike: same). */
static char *streams_text(size_t n, uint32_t (*id)(size_t), size_t *len)
{
	size_t cap = 128 + n * 96, off = 0;
	char *t = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	off += (size_t)snprintf(t + off, cap - off, "streams:\n");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(t + off, cap - off,
					"  - { id: %u, identification: ipv6, dst: \"2001:db8::%zx:%zx\", priority: 1 }\n",
					id(i), i >> 16, i & 0xffff);
	*len = off;
	return t;
}

static uint32_t id_same(size_t i) { (void)i; return 7; }
static uint32_t id_unique(size_t i) { return (uint32_t)i + 1; }
static uint32_t id_pairs(size_t i) { return (uint32_t)(i / 2) + 1; }

/* One error per duplicated value, naming its first use; 256 streams sharing an
 * id gave 32 640 errors, 1024 a 16 MiB reply. */
static void test_duplicates_once(void)
{
	struct tsn_diags d;
	size_t len;
	char *t;

	for (size_t n = 256; n <= 1024; n *= 4) {
		t = streams_text(n, id_same, &len);
		CU_ASSERT_PTR_NULL(parse_text(t, len, &d));
		CU_ASSERT_EQUAL(d.errors, 1);
		CU_ASSERT_EQUAL_FATAL(d.count, 1);
		char want[96];
		snprintf(want, sizeof(want), "stream id 7 is used %zu times; first in streams[0]", n);
		CU_ASSERT_STRING_EQUAL(d.items[0].message, want);
		CU_ASSERT_STRING_EQUAL(d.items[0].path, "streams[1].id");
		tsn_diags_free(&d);
		free(t);
	}
	/* 3000 values each used twice: one error each, the diagnostics capped. */
	t = streams_text(6000, id_pairs, &len);
	CU_ASSERT_PTR_NULL(parse_text(t, len, &d));
	CU_ASSERT_EQUAL(d.errors, 3000);
	CU_ASSERT_EQUAL(d.count, 1000);
	CU_ASSERT_STRING_EQUAL(d.items[0].message, "stream id 1 is used twice; first in streams[0]");
	CU_ASSERT_STRING_EQUAL(d.items[999].message, "too many errors and warnings: only the first 999 are shown");
	tsn_diags_free(&d);
	free(t);
	/* The largest valid list, 65 536 streams: no error. */
	t = streams_text(tu_scale(65536, 4096), id_unique, &len);
	struct tsn_config *cfg = parse_text(t, len, &d);
	CU_ASSERT_PTR_NOT_NULL(cfg);
	CU_ASSERT_EQUAL(d.errors, 0);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
	free(t);
	/* Ids out of range are their own errors, not a second use of id 0. */
	const char *ids = "streams:\n"
			  "  - { id: 0, identification: ipv6, dst: \"2001:db8::1\", priority: 1 }\n"
			  "  - { id: 4294967295, identification: ipv6, dst: \"2001:db8::2\", priority: 1 }\n";
	CU_ASSERT_PTR_NULL(parse_text(ids, strlen(ids), &d));
	CU_ASSERT_EQUAL(d.errors, 2);
	CU_ASSERT_FALSE(has_message(&d, "used twice"));
	tsn_diags_free(&d);
	/* Routes and names: once per value too. */
	const char *routes = "ports: [ { name: a }, { name: b }, { name: a }, { name: a } ]\n"
			     "routes:\n"
			     "  - { prefix: \"2001:db8:1::/64\", dev: b }\n"
			     "  - { prefix: \"2001:db8:1::/64\", dev: b }\n"
			     "  - { prefix: \"2001:db8:1::/64\", dev: b }\n";
	CU_ASSERT_PTR_NULL(parse_text(routes, strlen(routes), &d));
	CU_ASSERT_EQUAL(d.errors, 2);
	CU_ASSERT_TRUE(has_message(&d, "port 'a' is defined 3 times; first in ports[0]"));
	CU_ASSERT_TRUE(has_message(&d, "the same prefix and metric as routes[0] (3 routes in all)"));
	tsn_diags_free(&d);
}

/* 65 536 aliases of one stream (the local check grew to 23 GB, then took 3 s
 * for 262 KB): the expansion is bounded relative to the file; 4096 aliases are
 * within it and give one duplicate error. */
static void test_alias_duplicates(void)
{
	struct tsn_diags d;
	size_t len;
	char *t = repeat("streams: [&s { id: 5, identification: ipv6, dst: \"2001:db8::1\", priority: 1 }", ", *s",
			 65535, "]\n", &len);

	CU_ASSERT_PTR_NULL(parse_text(t, len, &d));
	CU_ASSERT_TRUE(d.count <= 1000);
	CU_ASSERT_TRUE(has_message(&d, "document too complex"));
	tsn_diags_free(&d);
	free(t);
	t = repeat("streams: [&s { id: 5, identification: ipv6, dst: \"2001:db8::1\", priority: 1 }", ", *s", 4095,
		   "]\n", &len);
	CU_ASSERT_PTR_NULL(parse_text(t, len, &d));
	CU_ASSERT_FALSE(has_message(&d, "document too complex"));
	CU_ASSERT_TRUE(has_message(&d, "stream id 5 is used 4096 times; first in streams[0]"));
	tsn_diags_free(&d);
	free(t);
}

/* A field left at its default has no place record of its own (65 536 streams made
 * a million of them): it is found from its object, and reports land where they
 * did when every default had a record.  An optional object not given answers for
 * itself and its first field only, as then. */
static void test_report_defaults(void)
{
	const char *t = "ports:\n  - name: p1\n    storm-guard:\n      multicast: 10Mbit\n  - name: p2\n"
			"ptp:\n  options: { a.b: 1, logSyncInterval: -3 }\n"
			"streams:\n  - { id: 1, identification: ipv6, dst: \"2001:db8::1\", priority: 1 }\n";
	struct tsn_config *cfg = parse_ok(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	const struct {
		const void *field;
		const char *want;
	} cases[] = {
		{ &cfg->ports[0].storm_guard.multicast_bps, "x.yaml:4:18: ports[0].storm-guard.multicast: m" },
		{ &cfg->ports[0].storm_guard.broadcast_bps, "x.yaml:4:7: ports[0].storm-guard: m" },
		{ &cfg->ports[0].storm_guard.unknown_bps, "x.yaml:4:7: ports[0].storm-guard.unknown: m" },
		{ &cfg->ports[1].schedule, "x.yaml:5:5: ports[1].schedule: m" },
		{ &cfg->ports[1].schedule.mode, "x.yaml:5:5: ports[1].schedule: m" },
		{ &cfg->ports[1].schedule.clock, "x.yaml: m" },
		{ &cfg->ports[1].schedule.n_entries, "x.yaml: m" },
		{ &cfg->ports[1].acl.default_action, "x.yaml:5:5: ports[1].acl: m" },
		{ &cfg->ptp.n_options, "x.yaml:7:12: ptp.options: m" },
		{ &cfg->ptp.options[1], "x.yaml:7:39: ptp.options.logSyncInterval: m" },
		{ &cfg->streams[0].filter, "x.yaml:9:5: streams[0].filter: m" },
		{ &cfg->streams[0], "x.yaml:9:11: streams[0].id: m" },
		{ &cfg->daemon.pid_file, "x.yaml:1:1: daemon.pid-file: m" },
		{ &cfg->daemon, "x.yaml:1:1: daemon.log-level: m" },
		{ &cfg->streams[0].name[3], "x.yaml: m" },
		{ cfg, "x.yaml:1:1: m" },
		{ &cfg->n_routes, "x.yaml:1:1: routes: m" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tsn_diags d;
		char line[256];
		tsn_diags_init(&d, "x.yaml");
		tsn_config_report(cfg, &d, TSN_DIAG_ERROR, cases[i].field, "m");
		tsn_diag_format(&d, &d.items[0], line, sizeof(line));
		if (strcmp(line, cases[i].want) != 0)
			fprintf(stderr, "\ncase %zu: got '%s', expected '%s'\n", i, line, cases[i].want);
		CU_ASSERT_STRING_EQUAL(line, cases[i].want);
		tsn_diags_free(&d);
	}
	tsn_config_free(cfg);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("config", NULL, NULL);
	CU_add_test(s, "42 invalid configs: exact line, column, field", test_invalid_configs);
	CU_add_test(s, "all errors reported in one run", test_all_errors_in_one_run);
	CU_add_test(s, "golden: empty file", test_golden_empty);
	CU_add_test(s, "golden: every section", test_golden_full);
	CU_add_test(s, "golden: two-port lab", test_golden_lab);
	CU_add_test(s, "shipped configs are valid", test_shipped_configs);
	CU_add_test(s, "defaults", test_defaults);
	CU_add_test(s, "values and ranges", test_values);
	CU_add_test(s, "warning: gate never opens", test_warning_gate_never_opens);
	CU_add_test(s, "1000-entry gate list", test_long_gate_list);
	CU_add_test(s, "alias expansion is bounded", test_alias_bomb);
	CU_add_test(s, "anchors, aliases and documents", test_anchors_aliases_documents);
	CU_add_test(s, "report at a field after parsing", test_report_after_parse);
	CU_add_test(s, "report at a field left at its default", test_report_defaults);
	CU_add_test(s, "normalized JSON", test_json);
	CU_add_test(s, "units: exact parse and format", test_units);
	CU_add_test(s, "docs/config.md reference is current", test_docs_reference_current);
	CU_add_test(s, "hostile: deep nesting refused early", test_deep_nesting);
	CU_add_test(s, "hostile: a FIFO is refused, not waited on", test_fifo_refused);
	CU_add_test(s, "hostile: long values keep their reason", test_long_value_keeps_reason);
	CU_add_test(s, "hostile: one error per duplicated value", test_duplicates_once);
	CU_add_test(s, "hostile: aliased duplicates", test_alias_duplicates);
	return tu_run_tests();
}
