/* SPDX-License-Identifier: GPL-2.0-only */
/* test_shaper.c — credit-based shaper arithmetic (802.1Q Annex L), the etf plan and
 * the config rules of shapers and launch-time entries, each error at its exact place. */
#include <string.h>

#include "test_util.h"
#include "config_cases.h"
#include "tsn/config.h"
#include "tsn/shaper.h"

#define MAP16 "[0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"

/* A port with four classes, one queue each, a one-entry gate list, and `extra`
 * appended to its schedule (indented by 6). */
static struct tsn_config *parse_port(const char *speed, const char *mode, const char *extra, struct tsn_diags *d)
{
	char text[4096];
	snprintf(text, sizeof(text),
		 "ports:\n"
		 "  - name: sw0p1\n"
		 "    link-speed: %s\n"
		 "    schedule:\n"
		 "      mode: %s\n"
		 "      num-tc: 4\n"
		 "      map: " MAP16 "\n"
		 "      queues: [\"1@0\", \"1@1\", \"1@2\", \"1@3\"]\n"
		 "%s%s",
		 speed, mode, strcmp(mode, "mqprio") ? "      entries:\n        - { gates: [0-3], interval: 1ms }\n" : "",
		 extra);
	tsn_diags_init(d, "t.yaml");
	return tsn_config_parse(text, strlen(text), "t.yaml", d);
}

static void test_worked_example(void)
{
	struct tsn_diags d;
	struct tsn_config *cfg = parse_port("1000", "software",
					    "      shapers:\n"
					    "        - { class: 3, idle-slope: 20Mbit }\n"
					    "        - { class: 2, share: 10 }\n", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(d.errors, 0);
	const struct tsn_cfg_schedule *s = &cfg->ports[0].schedule;
	CU_ASSERT_EQUAL(s->shaper_limit_pct, 75);
	CU_ASSERT_EQUAL(s->shapers[0].max_frame, 1522);

	struct tsn_cbs_params p[TSN_MAX_TC];
	struct tsn_shaper_error err;
	CU_ASSERT_EQUAL_FATAL(tsn_shaper_plan(s, 1000000000ull, p, &err), 2);
	/* class 2 (B), 100 Mbit/s: interference = ceil(1522 x 1e9 / 980e6) + 1522 = 1554 + 1522 */
	CU_ASSERT_EQUAL(p[0].tc, 2);
	CU_ASSERT_EQUAL(p[0].queue, 2);
	CU_ASSERT_EQUAL(p[0].idleslope_kbps, 100000);
	CU_ASSERT_EQUAL(p[0].sendslope_kbps, -900000);
	CU_ASSERT_EQUAL(p[0].max_interference, 3076);
	CU_ASSERT_EQUAL(p[0].hicredit, 308);	/* 307.6 up */
	CU_ASSERT_EQUAL(p[0].locredit, -1370);	/* -1369.8 down */
	/* class 3 (A), 20 Mbit/s: one frame of interference */
	CU_ASSERT_EQUAL(p[1].tc, 3);
	CU_ASSERT_EQUAL(p[1].queue, 3);
	CU_ASSERT_EQUAL(p[1].idleslope_kbps, 20000);
	CU_ASSERT_EQUAL(p[1].sendslope_kbps, -980000);
	CU_ASSERT_EQUAL(p[1].max_interference, 1522);
	CU_ASSERT_EQUAL(p[1].hicredit, 31);	/* 30.44 up */
	CU_ASSERT_EQUAL(p[1].locredit, -1492);	/* -1491.56 down */
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static void test_given_interference_and_frames(void)
{
	struct tsn_diags d;
	struct tsn_config *cfg = parse_port("100", "mqprio",
					    "      shapers:\n"
					    "        - { class: 1, idle-slope: 10Mbit, max-frame: 500B, max-interference: 3000B }\n",
					    &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	struct tsn_cbs_params p[TSN_MAX_TC];
	struct tsn_shaper_error err;
	CU_ASSERT_EQUAL_FATAL(tsn_shaper_plan(&cfg->ports[0].schedule, 100000000ull, p, &err), 1);
	CU_ASSERT_EQUAL(p[0].hicredit, 300);	/* 3000 x 10/100, exact */
	CU_ASSERT_EQUAL(p[0].locredit, -450);	/* 500 x 90/100, exact */
	CU_ASSERT_EQUAL(p[0].sendslope_kbps, -90000);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* link-speed: auto: the file is fine; the kernel's speed decides, with the same plan. */
static void test_auto_speed_checked_later(void)
{
	struct tsn_diags d;
	struct tsn_config *cfg = parse_port("auto", "software",
					    "      shapers:\n"
					    "        - { class: 3, share: 50 }\n"
					    "        - { class: 2, idle-slope: 300Mbit }\n", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	struct tsn_cbs_params p[TSN_MAX_TC];
	struct tsn_shaper_error err;
	const struct tsn_cfg_schedule *s = &cfg->ports[0].schedule;
	CU_ASSERT_EQUAL(tsn_shaper_plan(s, 10000000000ull, p, &err), 2);	/* 10G: 800M is fine */
	CU_ASSERT_EQUAL(tsn_shaper_plan(s, 1000000000ull, p, &err), -1);	/* 1G: 800M > 750M */
	CU_ASSERT_PTR_EQUAL(err.field, &s->shapers[1].idle_slope_bps);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "add up to 800Mbit, over shaper-limit 75% of the 1Gbit link (750Mbit)"));
	CU_ASSERT_EQUAL(tsn_shaper_plan(s, 100000000ull, p, &err), -1);	/* 100M: 50 Mbit + 300 Mbit */
	CU_ASSERT_PTR_EQUAL(err.field, &s->shapers[1].idle_slope_bps);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "300Mbit is not below the link speed 100Mbit"));
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

struct bad_case {
	const char *speed, *mode, *extra;
	unsigned line, column;
	const char *path, *message;
};

static const struct bad_case bad_cases[] = {
	{ "1000", "software", "      shapers:\n        - { class: 3, share: 40 }\n        - { class: 2, share: 40 }\n",
	  13, 30, "ports[0].schedule.shapers[1].share",
	  "the reservations add up to 800Mbit, over shaper-limit 75% of the 1Gbit link (750Mbit)" },
	{ "1000", "software", "      shapers:\n        - { class: 4, share: 10 }\n", 12, 20,
	  "ports[0].schedule.shapers[0].class", "class 4 has no TX queue (num-tc is 4, classes 0 to 3)" },
	{ "1000", "software", "      shapers:\n        - { class: 3, share: 10 }\n        - { class: 3, share: 5 }\n",
	  13, 20, "ports[0].schedule.shapers[1].class", "class 3 has a shaper already" },
	{ "1000", "software", "      shapers:\n        - { class: 3, share: 10, idle-slope: 1Mbit }\n", 12, 30,
	  "ports[0].schedule.shapers[0].share", "give either idle-slope or share, not both" },
	{ "1000", "software", "      shapers:\n        - { class: 3 }\n", 12, 20,
	  "ports[0].schedule.shapers[0].class", "class 3 needs its reservation: idle-slope or share" },
	{ "1000", "software", "      shapers:\n        - { class: 3, idle-slope: 1500bit }\n", 12, 35,
	  "ports[0].schedule.shapers[0].idle-slope", "1500bit is not a whole number of kbit/s" },
	{ "1000", "software", "      shaper-limit: 101\n", 11, 21, "ports[0].schedule.shaper-limit",
	  "101 is out of range; allowed 1 to 100" },
	{ "1000", "software", "      launch-time:\n        - { class: 1, clock: realtime }\n", 12, 30,
	  "ports[0].schedule.launch-time[0].clock", "etf takes launch times on clock tai only, not realtime" },
	{ "1000", "software",
	  "      shapers:\n        - { class: 1, share: 10 }\n      launch-time:\n        - { class: 1 }\n", 14, 20,
	  "ports[0].schedule.launch-time[0].class", "class 1 has a shaper; a TX queue takes either cbs or etf" },
	{ "1000", "software", "      launch-time:\n        - { class: 7 }\n", 12, 20,
	  "ports[0].schedule.launch-time[0].class", "class 7 has no TX queue (num-tc is 4" },
	{ "1000", "mqprio", "      entries:\n        - { gates: [0], interval: 1ms }\n", 10, 9,
	  "ports[0].schedule.entries", "mode mqprio has no gate list; leave entries out" },
};

static void test_bad_configs(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		struct tsn_diags d;
		struct tsn_config *cfg = parse_port(bc->speed, bc->mode, bc->extra, &d);
		CU_ASSERT_PTR_NULL(cfg);
		char what[32];

		snprintf(what, sizeof(what), "case %zu", i);
		CU_ASSERT_TRUE(config_diag_is(&d, what, bc->line, bc->column, bc->path, bc->message));
		tsn_config_free(cfg);
		tsn_diags_free(&d);
	}
}

/* A class with two queues cannot be shaped (the credit is per queue). */
static void test_shaper_needs_one_queue(void)
{
	const char *text = "ports:\n"
			   "  - name: sw0p1\n"
			   "    schedule:\n"
			   "      mode: mqprio\n"
			   "      num-tc: 2\n"
			   "      map: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n"
			   "      queues: [\"1@0\", \"2@1\"]\n"
			   "      shapers: [{ class: 1, share: 10 }]\n";
	struct tsn_diags d;
	tsn_diags_init(&d, "t.yaml");
	struct tsn_config *cfg = tsn_config_parse(text, strlen(text), "t.yaml", &d);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(d.errors, 1);
	if (d.count) {
		CU_ASSERT_EQUAL(d.items[0].line, 8);
		CU_ASSERT_STRING_EQUAL(d.items[0].path, "ports[0].schedule.shapers[0].class");
		CU_ASSERT_PTR_NOT_NULL(strstr(d.items[0].message, "class 1 has 2 TX queues; a shaper needs exactly one"));
	}
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static void test_etf_plan(void)
{
	const char *text = "ports:\n"
			   "  - name: sw0p1\n"
			   "    schedule:\n"
			   "      mode: txtime-assist\n"
			   "      num-tc: 3\n"
			   "      map: [0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n"
			   "      queues: [\"2@0\", \"1@1\", \"1@2\"]\n"
			   "      txtime-delay: 300us\n"
			   "      entries: [{ gates: [0-2], interval: 1ms }]\n"
			   "      launch-time:\n"
			   "        - { class: 2, delta: 150us, deadline-mode: true, offload: true }\n";
	struct tsn_diags d;
	tsn_diags_init(&d, "t.yaml");
	struct tsn_config *cfg = tsn_config_parse(text, strlen(text), "t.yaml", &d);
	if (!cfg)
		tsn_diags_print(&d, stderr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	struct tsn_etf_params e[TSN_ETF_MAX];
	/* queue 1 is shared by classes 0 and 1 (txtime-assist allows it): one etf */
	CU_ASSERT_EQUAL_FATAL(tsn_etf_plan(&cfg->ports[0].schedule, e), 3);
	CU_ASSERT_EQUAL(e[0].queue, 0);
	CU_ASSERT_EQUAL(e[0].tc, 0);
	CU_ASSERT_TRUE(e[0].implied);
	CU_ASSERT_TRUE(e[0].skip_sock_check);
	CU_ASSERT_EQUAL(e[0].delta_ns, 300000);
	CU_ASSERT_EQUAL(e[1].queue, 1);
	CU_ASSERT_EQUAL(e[1].tc, 0);
	CU_ASSERT_EQUAL(e[2].queue, 2);
	CU_ASSERT_EQUAL(e[2].tc, 2);
	CU_ASSERT_FALSE(e[2].implied);
	CU_ASSERT_EQUAL(e[2].delta_ns, 150000);
	CU_ASSERT_TRUE(e[2].deadline_mode);
	CU_ASSERT_TRUE(e[2].offload);
	CU_ASSERT_FALSE(e[2].skip_sock_check);
	CU_ASSERT_EQUAL(e[2].clock, TSN_CLOCK_TAI);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* software mode: only the classes listed */
	cfg = parse_port("1000", "software", "      launch-time: [{ class: 1 }]\n", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(tsn_etf_plan(&cfg->ports[0].schedule, e), 1);
	CU_ASSERT_EQUAL(e[0].queue, 1);
	CU_ASSERT_EQUAL(e[0].delta_ns, 200000);
	CU_ASSERT_FALSE(e[0].skip_sock_check);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("shaper", NULL, NULL);
	CU_add_test(s, "worked example (Annex L)", test_worked_example);
	CU_add_test(s, "given interference and frame sizes", test_given_interference_and_frames);
	CU_add_test(s, "link-speed auto: checked with the kernel's speed", test_auto_speed_checked_later);
	CU_add_test(s, "bad configs: error at the field", test_bad_configs);
	CU_add_test(s, "a shaped class has one queue", test_shaper_needs_one_queue);
	CU_add_test(s, "etf plan", test_etf_plan);
	return tu_run_tests();
}
