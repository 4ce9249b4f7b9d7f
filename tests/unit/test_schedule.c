/* SPDX-License-Identifier: GPL-2.0-only */
/* test_schedule.c — schedule validation against real ports (veth and dummy
 * interfaces in a private network namespace), reported at the config field with
 * its line, and the apply transaction on the running kernel: where the kernel
 * has no taprio (the development host) a valid schedule is refused with the
 * kernel's own text and every port keeps exactly the qdiscs it had; where it has
 * taprio (the kernel lab, a TSN switch) the same test applies, reads back,
 * changes through admin/oper, detects drift and rolls back. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "nlio.h"
#include "ports.h"
#include "schedule.h"
#include "schedule_int.h"
#include "test_util.h"
#include "tsn/config.h"

/* ---- configurations ---- */

/* One port with a schedule; NULL fields take the defaults below.  The lines are
 * fixed, so diagnostics can be checked by line: entry i is on line 14 + i. */
struct sched_yaml {
	const char *port, *speed, *mode, *map, *queues, *cycle, *base, *sdu, *delay, *entries;
	unsigned num_tc;
	const char *extra_port;		/* a second port block, appended verbatim */
};

#define ENTRY_LINE(i) (14 + (i))

static char *yaml_text(const struct sched_yaml *y)
{
	char *text = NULL;
	int rc = asprintf(&text,
			  "ports:\n"
			  "  - name: %s\n"
			  "    link-speed: %s\n"
			  "    schedule:\n"
			  "      mode: %s\n"
			  "      num-tc: %u\n"
			  "      map: [%s]\n"
			  "      queues: [%s]\n"
			  "      cycle-time: %s\n"
			  "      base-time: %s\n"
			  "      max-sdu: [%s]\n"
			  "      txtime-delay: %s\n"
			  "      entries:\n"
			  "%s%s",
			  y->port ? y->port : "sp0", y->speed ? y->speed : "auto", y->mode ? y->mode : "software",
			  y->num_tc ? y->num_tc : 3, y->map ? y->map : "0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2",
			  y->queues ? y->queues : "\"1@0\", \"1@1\", \"2@2\"", y->cycle ? y->cycle : "0ns",
			  y->base ? y->base : "auto", y->sdu ? y->sdu : "", y->delay ? y->delay : "0ns",
			  y->entries ? y->entries
				     : "        - { gates: [0], interval: 300us }\n"
				       "        - { gates: [1], interval: 300us }\n"
				       "        - { gates: [2], interval: 400us }\n",
			  y->extra_port ? y->extra_port : "");
	return rc < 0 ? NULL : text;
}

static struct tsn_config *load(const struct sched_yaml *y, struct tsn_diags *d)
{
	char *text = yaml_text(y);
	struct tsn_config *cfg;

	tsn_diags_init(d, "t.yaml");
	cfg = tsn_config_parse(text, strlen(text), "t.yaml", d);
	if (!cfg)
		tsn_diags_print(d, stderr);
	free(text);
	return cfg;
}

static void print_diags(const struct tsn_diags *d)
{
	fputs("\n  diagnostics:\n", stderr);
	tsn_diags_print(d, stderr);
}

/* The diagnostic of severity sev at `path` whose message contains needle. */
static const struct tsn_diag *find(const struct tsn_diags *d, enum tsn_diag_severity sev, const char *path,
				   const char *needle)
{
	for (size_t i = 0; i < d->count; i++)
		if (d->items[i].severity == sev && strcmp(d->items[i].path, path) == 0 &&
		    strstr(d->items[i].message, needle))
			return &d->items[i];
	return NULL;
}

/* Validate y against the ports; return the diagnostics (caller frees). */
static struct tsn_config *check(const struct sched_yaml *y, enum schedule_check_mode mode, struct tsn_diags *d,
				bool *ok)
{
	struct tsn_config *cfg = load(y, d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	*ok = schedule_validate(cfg, NULL, d, mode);
	return cfg;
}

#define EXPECT(d, sev, path, needle, ln)                                                          \
	do {                                                                                       \
		const struct tsn_diag *_x = find((d), (sev), (path), (needle));                    \
		CU_ASSERT_PTR_NOT_NULL(_x);                                                        \
		if (!_x)                                                                           \
			print_diags(d);                                                            \
		else if ((ln) > 0)                                                                 \
			CU_ASSERT_EQUAL(_x->line, (unsigned)(ln));                                 \
	} while (0)

static size_t count_sev(const struct tsn_diags *d, enum tsn_diag_severity sev, const char *not_containing)
{
	size_t n = 0;
	for (size_t i = 0; i < d->count; i++)
		n += d->items[i].severity == sev && !(not_containing && strstr(d->items[i].message, not_containing));
	return n;
}

/* ---- validation ---- */

static void test_valid_on_veth(void)
{
	struct sched_yaml y = { 0 };
	struct tsn_diags d;
	bool ok;
	struct tsn_config *cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);

	CU_ASSERT_TRUE(ok);
	/* The TAI offset warning depends on the host's clock; nothing else. */
	CU_ASSERT_EQUAL(count_sev(&d, TSN_DIAG_ERROR, NULL), 0);
	CU_ASSERT_EQUAL(count_sev(&d, TSN_DIAG_WARNING, "TAI offset"), 0);
	if (count_sev(&d, TSN_DIAG_WARNING, "TAI offset"))
		print_diags(&d);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static void test_missing_port(void)
{
	struct sched_yaml y = { .port = "nosuch0" };
	struct tsn_diags d;
	bool ok;
	struct tsn_config *cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);

	CU_ASSERT_FALSE(ok);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].name", "interface nosuch0 does not exist", 2);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* tsnd --check: maybe another host's file; checked at link-speed-default. */
	cfg = check(&y, SCHEDULE_CHECK_HOST, &d, &ok);
	CU_ASSERT_TRUE(ok);
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].name", "at 1000 Mbit/s (link-speed-default)", 2);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static void test_tx_queues(void)
{
	struct tsn_diags d;
	bool ok;

	/* sp0 has 4 TX queues (0 to 3). */
	struct sched_yaml y = { .queues = "\"1@0\", \"1@1\", \"2@3\"" };
	struct tsn_config *cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_FALSE(ok);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.queues[2]", "2@3 of class 2 reaches TX queue 4, but sp0 has 4", 8);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* More classes than queues. */
	y = (struct sched_yaml){ .num_tc = 5, .map = "0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0",
				 .queues = "\"1@0\", \"1@1\", \"1@2\", \"1@3\", \"1@4\"",
				 .entries = "        - { gates: [0-4], interval: 1ms }\n" };
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_FALSE(ok);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.num-tc", "5 traffic classes are more than the 4 TX queues", 6);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.queues[4]", "reaches TX queue 4", 8);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* A single-queue interface. */
	y = (struct sched_yaml){ .port = "sp1", .num_tc = 1, .map = "0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0",
				 .queues = "\"1@0\"", .entries = "        - { gates: [0], interval: 1ms }\n" };
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_FALSE(ok);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.queues", "Multi-queue device is required", 8);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static void test_minimum_frame(void)
{
	struct tsn_diags d;
	bool ok;

	/* At 1000 Mbit/s, 84 bytes take 672 ns: 671 ns is too short, 672 ns is fine. */
	struct sched_yaml y = { .speed = "1000",
				.entries = "        - { gates: [0-2], interval: 1ms }\n"
					   "        - { gates: [0], interval: 671ns }\n"
					   "        - { gates: [0], interval: 672ns }\n" };
	struct tsn_config *cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_FALSE(ok);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.entries[1].interval",
	       "671ns is shorter than a minimum frame at 1000 Mbit/s (link-speed)", ENTRY_LINE(1));
	CU_ASSERT_PTR_NULL(find(&d, TSN_DIAG_ERROR, "ports[0].schedule.entries[2].interval", "minimum frame"));
	CU_ASSERT_EQUAL(count_sev(&d, TSN_DIAG_ERROR, NULL), 1);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* The speed the driver reports (veth: 10000 Mbit/s): 84 B take 67.2 ns -> 68 ns. */
	y.speed = "auto";
	y.entries = "        - { gates: [0-2], interval: 1ms }\n"
		    "        - { gates: [0], interval: 67ns }\n"
		    "        - { gates: [0], interval: 68ns }\n";
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_FALSE(ok);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.entries[1].interval", "at 10000 Mbit/s (reported by the driver)",
	       ENTRY_LINE(1));
	CU_ASSERT_EQUAL(count_sev(&d, TSN_DIAG_ERROR, NULL), 1);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static void test_guard_band(void)
{
	struct tsn_diags d;
	bool ok;

	/* MTU 1500 + 38 = 1538 B at 1000 Mbit/s take 12.304 us. */
	struct sched_yaml y = { .speed = "1000",
				.entries = "        - { gates: [0, 1], interval: 12us }\n"
					   "        - { gates: [1], interval: 13us }\n"
					   "        - { gates: [2], interval: 100us }\n"
					   "        - { gates: [0], interval: 11us }\n" };
	struct tsn_config *cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_TRUE(ok);
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].schedule.entries[0].interval",
	       "no guard band: class 0 is open for 12us, but its largest frame (1500 B SDU, 1538 B on the wire) "
	       "takes 12304ns at 1000 Mbit/s", ENTRY_LINE(0));
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].schedule.entries[0].interval", "(and in 1 more entries)", ENTRY_LINE(0));
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].schedule.entries[0].interval", "no guard band: class 1", ENTRY_LINE(0));
	CU_ASSERT_PTR_NULL(find(&d, TSN_DIAG_WARNING, "ports[0].schedule.entries[2].interval", "guard band"));
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* max-sdu 200 for class 0: 238 B take 1.904 us, so 12 us is room enough. */
	y.sdu = "200, 0, 0";
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_PTR_NULL(find(&d, TSN_DIAG_WARNING, "ports[0].schedule.entries[0].interval", "class 0"));
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].schedule.entries[0].interval", "class 1", ENTRY_LINE(0));
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static void test_max_sdu_above_mtu(void)
{
	struct sched_yaml y = { .sdu = "1500, 1501, 0" };
	struct tsn_diags d;
	bool ok;
	struct tsn_config *cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);

	CU_ASSERT_FALSE(ok);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.max-sdu[1]", "1501 bytes for class 1 is more than the MTU of sp0 (1500)",
	       11);
	CU_ASSERT_EQUAL(count_sev(&d, TSN_DIAG_ERROR, NULL), 1);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static void test_full_offload_without_phc(void)
{
	struct sched_yaml y = { .mode = "full-offload" };
	struct tsn_diags d;
	bool ok;
	struct tsn_config *cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);

	CU_ASSERT_FALSE(ok);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.mode", "Device does not have a PTP clock", 5);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static void test_unknown_link_speed(void)
{
	struct tsn_diags d;
	bool ok;

	/* A dummy interface reports no speed: tsnd checks at link-speed-default and
	 * says what taprio does (10 Mbit/s: intervals below 48 us refused). */
	struct sched_yaml y = { .port = "sd0",
				.entries = "        - { gates: [0-2], interval: 10us }\n"
					   "        - { gates: [0], interval: 1ms }\n" };
	struct tsn_config *cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_TRUE(ok);
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].link-speed-default", "sd0 reports no link speed: timing is checked at "
	       "link-speed-default 1000 Mbit/s", 0);
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].link-speed", "taprio assumes 10 Mbit/s", 0);
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].link-speed", "refuses intervals shorter than 48us", 0);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* link-speed given, but not what the driver says. */
	y = (struct sched_yaml){ .speed = "1000" };
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].link-speed", "the driver of sp0 reports 10000 Mbit/s", 3);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static void test_kernel_rules(void)
{
	struct tsn_diags d;
	bool ok;

	/* A cycle beyond taprio's 32-bit arithmetic. */
	struct sched_yaml y = { .cycle = "3s" };
	struct tsn_config *cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_FALSE(ok);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.cycle-time", "at most 2147483647ns", 9);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* A cycle longer than its entries: what 802.1Q and software taprio do. */
	y.cycle = "1500us";
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_TRUE(ok);
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].schedule.cycle-time", "remaining 500us of each cycle", 9);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* Queue ranges out of order: Linux 6.1 refuses them. */
	y = (struct sched_yaml){ .queues = "\"1@0\", \"1@2\", \"1@1\"" };
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_TRUE(ok);
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].schedule.queues[2]", "Detected overlap", 8);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* Frame-preemption operations without full offload. */
	y = (struct sched_yaml){ .entries = "        - { gates: [0-2], interval: 1ms }\n"
					    "        - { op: set-and-hold, gates: [0], interval: 1ms }\n"
					    "        - { op: set-and-release, gates: [1], interval: 1ms }\n" };
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_TRUE(ok);
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].schedule.entries[1].op", "uses only the gates of 2 such entries",
	       ENTRY_LINE(1));
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* Shapers at link-speed auto: the reservations are checked with the driver's speed
	 * (the veth's 10 Gbit/s), at the field; at an assumed speed (no such interface
	 * here) only as a warning. */
	y = (struct sched_yaml){ .entries = "        - { gates: [0-2], interval: 1ms }\n"
					    "      shapers:\n"
					    "        - { class: 1, share: 80 }\n" };
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_FALSE(ok);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.shapers[0].share",
	       "the reservations add up to 8Gbit, over shaper-limit 75% of the 10Gbit link (7500Mbit) (link speed "
	       "10000 Mbit/s, reported by the driver)", 16);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
	/* within the limit: no diagnostic about shapers at all */
	y.entries = "        - { gates: [0-2], interval: 1ms }\n"
		    "      shapers:\n"
		    "        - { class: 1, share: 50 }\n"
		    "        - { class: 0, idle-slope: 100Mbit }\n";
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_TRUE(ok);
	for (size_t i = 0; i < d.count; i++)
		CU_ASSERT_PTR_NULL(strstr(d.items[i].path, "shapers"));
	tsn_config_free(cfg);
	tsn_diags_free(&d);
	y.entries = "        - { gates: [0-2], interval: 1ms }\n"
		    "      shapers:\n"
		    "        - { class: 1, share: 80 }\n";
	y.port = "nosuch0";
	cfg = check(&y, SCHEDULE_CHECK_HOST, &d, &ok);
	CU_ASSERT_TRUE(ok);
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].schedule.shapers[0].share",
	       "the reservations add up to 800Mbit, over shaper-limit 75% of the 1Gbit link (750Mbit) (link speed "
	       "1000 Mbit/s, link-speed-default, assumed)", 16);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* txtime-assist: tsnd installs the etf qdiscs itself (docs/shapers.md), no warning. */
	y = (struct sched_yaml){ .mode = "txtime-assist", .delay = "200us" };
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_TRUE(ok);
	for (size_t i = 0; i < d.count; i++)
		CU_ASSERT_PTR_NULL(strstr(d.items[i].message, "etf"));
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* require-sync without PTP: held for ever (an extra line after txtime-delay). */
	y = (struct sched_yaml){ .delay = "0ns\n      require-sync: true" };
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_TRUE(ok);
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].schedule.require-sync", "ptp.enabled is false", 13);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* An absolute base time in the past: where the kernel will start. */
	y = (struct sched_yaml){ .base = "1000000" };
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_TRUE(ok);
	EXPECT(&d, TSN_DIAG_WARNING, "ports[0].schedule.base-time", "0.001000000 is in the past on the tai clock", 10);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static char *many_entries(size_t n)
{
	const char *line = "        - { gates: [0-2], interval: 10us }\n";
	char *s = malloc(n * strlen(line) + 1), *p = s;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s", line);
	*p = '\0';
	return s;
}

static void test_list_length(void)
{
	struct tsn_diags d;
	bool ok;
	char *e = many_entries(441);
	struct sched_yaml y = { .sdu = "100, 100, 100", .entries = e };

	/* 441 entries: a dump with the running and a pending list of 441 each is
	 * 652 + 72 x 441 = 32404 bytes, within the kernel's 32448 (the kernel lab's
	 * test_long_list measures both figures). */
	struct tsn_config *cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_TRUE(ok);
	CU_ASSERT_PTR_NULL(find(&d, TSN_DIAG_WARNING, "ports[0].schedule.entries", "entries"));
	tsn_config_free(cfg);
	tsn_diags_free(&d);
	free(e);

	/* 442: 32476 bytes, which would end every qdisc dump of the namespace early.
	 * Refused before netlink, at the list's line, with the figures. */
	e = many_entries(442);
	y.entries = e;
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_FALSE(ok);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.entries", "at most 441 entries: during a change the kernel's "
	       "dump of the qdisc holds both lists, 652 B + 36 B per entry and list = 32476 B for 442, over its "
	       "32448 B limit, which would stop every qdisc dump", 14);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
	free(e);

	/* 1900 entries do not fit one netlink attribute (64 KiB). */
	e = many_entries(1900);
	y.entries = e;
	cfg = check(&y, SCHEDULE_CHECK_DAEMON, &d, &ok);
	CU_ASSERT_FALSE(ok);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.entries", "1900 entries do not fit one netlink message", 14);
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.entries", "so at most 1815 entries fit", 14);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
	free(e);
}

/* ---- the transaction on the running kernel ---- */

static bool kernel_has_taprio;

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every qdisc of dev as tc -j prints it, sorted, without reference counts. */
static char *qdiscs(const char *dev)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "tc -j qdisc show dev %s", dev);
	json_object *j = tu_sh_json(cmd);
	size_t n = j ? json_object_array_length(j) : 0, len = 1;
	char **lines = calloc(n + 1, sizeof(*lines)), *out;

	for (size_t i = 0; i < n; i++) {
		json_object *q = json_object_array_get_idx(j, i);
		json_object_object_del(q, "refcnt");
		lines[i] = strdup(json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN));
		len += strlen(lines[i]) + 1;
	}
	qsort(lines, n, sizeof(*lines), cmp_lines);
	out = calloc(1, len);
	for (size_t i = 0; i < n; i++) {
		strcat(strcat(out, lines[i]), "\n");
		free(lines[i]);
	}
	free(lines);
	json_object_put(j);
	return out;
}

static const char *two_ports =
	"  - name: sp2\n"
	"    schedule:\n"
	"      num-tc: 2\n"
	"      map: [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
	"      queues: [\"1@0\", \"3@1\"]\n"
	"      entries:\n"
	"        - { gates: [0], interval: 500us }\n"
	"        - { gates: [1], interval: 500us }\n";

/* A valid schedule on two ports.  Without taprio the kernel refuses the first
 * with its own words and nothing changes anywhere; with taprio both apply, and
 * a revert puts back exactly what was there. */
static void test_apply_and_put_back(void)
{
	struct sched_yaml y = { .extra_port = two_ports };
	struct tsn_diags d;
	char err[1024] = "";
	struct tsn_config *cfg = load(&y, &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	/* A root set up by hand (tbf where the kernel has it, as on a switch). */
	CU_ASSERT_EQUAL_FATAL(tu_sh("tc qdisc replace dev sp0 root handle 1: tbf rate 1mbit burst 10kb latency 50ms "
				    "2>/dev/null || tc qdisc replace dev sp0 root handle 1: bfifo limit 30000"), 0);
	char *before0 = qdiscs("sp0"), *before2 = qdiscs("sp2");
	struct schedules *s = schedules_new(NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);

	int rc = schedules_apply(s, NULL, cfg, err, sizeof(err));
	if (!kernel_has_taprio) {
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "port sp0: the kernel refused the taprio schedule: "
						   "Specified qdisc kind is unknown (No such file or directory)"));
	} else {
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		/* (text: iproute2 6.1's JSON for a pending admin schedule is not valid) */
		CU_ASSERT_EQUAL(tu_sh("tc qdisc show dev sp0 | grep -q '^qdisc taprio 7473: root' && "
				      "tc qdisc show dev sp2 | grep -q '^qdisc taprio 7473: root'"), 0);
		/* A later step of the reload failed: undo. */
		schedules_revert(s);
	}
	char *after0 = qdiscs("sp0"), *after2 = qdiscs("sp2");
	CU_ASSERT_STRING_EQUAL(after0, before0);
	CU_ASSERT_STRING_EQUAL(after2, before2);
	if (strcmp(after0, before0) || strcmp(after2, before2))
		fprintf(stderr, "\n  before:\n%s%s  after:\n%s%s", before0, before2, after0, after2);
	free(before0);
	free(before2);
	free(after0);
	free(after2);
	schedules_free(s);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
	tu_sh("tc qdisc del dev sp0 root");
}

/* status and show on a kernel without taprio: the port's state stays what it
 * was (no schedule applied), show lists the config and no kernel taprio. */
static void test_show_without_schedule_applied(void)
{
	struct sched_yaml y = { 0 };
	struct tsn_diags d;
	char err[512];
	struct tsn_config *cfg = load(&y, &d);
	struct schedules *s = schedules_new(NULL, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	schedules_commit(s, cfg);
	json_object *j = schedules_show_json(s, cfg, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	json_object *p = json_object_array_get_idx(tu_jget(j, "ports"), 0);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(p, "name")), "sp0");
	CU_ASSERT_TRUE(json_object_get_boolean(tu_jget(p, "configured")));
	CU_ASSERT_PTR_NOT_NULL(tu_jget(p, "config"));
	CU_ASSERT_EQUAL(json_object_get_int(tu_jget(tu_jget(p, "config"), "num-tc")), 3);
	CU_ASSERT_PTR_NULL(tu_jget(p, "kernel"));
	json_object_put(j);
	j = schedules_status_json(s);
	CU_ASSERT_EQUAL(json_object_get_int(tu_jget(j, "applied")), 0);
	json_object_put(j);
	CU_ASSERT_STRING_EQUAL(schedules_port_state(s, "sp0"), "none");
	schedules_free(s);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* A status or scrape inside one nlio scope: the schedules' refresh and show and
 * every port's query share one qdisc dump; outside a scope each reader dumps. */
static void test_one_dump_per_request(void)
{
	struct sched_yaml y = { 0 };
	struct tsn_diags d;
	struct port_info pi;
	char err[512];
	struct tsn_config *cfg = load(&y, &d);
	struct schedules *s = schedules_new(NULL, err, sizeof(err));
	struct ports *ports = ports_open();

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ports);
	schedules_commit(s, cfg);
	unsigned long before = nlio_dump_count(RTM_GETQDISC);
	nlio_scope_begin();
	CU_ASSERT_EQUAL(schedules_refresh(s), 0);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(ports_query(ports, "sp0", &pi), 0);
		CU_ASSERT_TRUE(pi.present);
	}
	json_object *j = schedules_show_json(s, cfg, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(j);
	json_object_put(j);
	nlio_scope_end();
	CU_ASSERT_EQUAL(nlio_dump_count(RTM_GETQDISC), before + 1);

	before = nlio_dump_count(RTM_GETQDISC);
	CU_ASSERT_EQUAL(schedules_refresh(s), 0);
	CU_ASSERT_EQUAL(ports_query(ports, "sp0", &pi), 0);
	CU_ASSERT_EQUAL(nlio_dump_count(RTM_GETQDISC), before + 2);
	ports_close(ports);
	schedules_free(s);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static bool synced;

static bool sync_fn(void *arg, const char *port)
{
	(void)arg;
	return synced && strcmp(port, "sp0") == 0;
}

/* require-sync: held until the predicate says locked, then applied on its own;
 * without taprio the kernel refuses and the port shows state error with the
 * kernel's words, and its qdisc is what it was. */
static void test_held_until_sync(void)
{
	struct sched_yaml y = { .delay = "0ns\n      require-sync: true" };
	struct tsn_diags d;
	char err[512];
	struct tsn_config *cfg = load(&y, &d);
	struct schedules *s = schedules_new(NULL, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	char *before = qdiscs("sp0");
	synced = false;
	schedules_set_sync(s, sync_fn, NULL);
	CU_ASSERT_EQUAL_FATAL(schedules_apply(s, NULL, cfg, err, sizeof(err)), 0);
	schedules_commit(s, cfg);
	CU_ASSERT_STRING_EQUAL(schedules_port_state(s, "sp0"), "held");
	json_object *j = schedules_show_json(s, cfg, "sp0", err, sizeof(err));
	json_object *p = json_object_array_get_idx(tu_jget(j, "ports"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(json_object_get_string(tu_jget(p, "message")), "waiting for PTP lock"));
	json_object_put(j);
	char *held = qdiscs("sp0");
	CU_ASSERT_STRING_EQUAL(held, before);	/* nothing touched while held */
	free(held);

	synced = true;
	schedules_sync_changed(s);
	if (kernel_has_taprio) {
		CU_ASSERT_STRING_EQUAL(schedules_port_state(s, "sp0"), "applied");
		tu_sh("tc qdisc del dev sp0 root");
	} else {
		CU_ASSERT_STRING_EQUAL(schedules_port_state(s, "sp0"), "error");
		j = schedules_show_json(s, cfg, "sp0", err, sizeof(err));
		p = json_object_array_get_idx(tu_jget(j, "ports"), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(json_object_get_string(tu_jget(p, "message")),
					      "Specified qdisc kind is unknown"));
		json_object_put(j);
		char *after = qdiscs("sp0");
		CU_ASSERT_STRING_EQUAL(after, before);
		free(after);
	}
	free(before);
	schedules_free(s);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* ---- mode mqprio: no gate list, an mqprio root for shapers and etf ---- */

static bool kernel_has_mqprio;

static struct tsn_config *load_mqprio(const char *port, const char *queues, struct tsn_diags *d)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "ports:\n"
		 "  - name: %s\n"
		 "    link-speed: 1000\n"
		 "    schedule:\n"
		 "      mode: mqprio\n"
		 "      num-tc: 3\n"
		 "      map: [0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]\n"
		 "      queues: [%s]\n"
		 "      shapers:\n"
		 "        - { class: 1, idle-slope: 20Mbit }\n"
		 "      launch-time:\n"
		 "        - { class: 2, delta: 300us }\n", port, queues);
	tsn_diags_init(d, "t.yaml");
	struct tsn_config *cfg = tsn_config_parse(text, strlen(text), "t.yaml", d);
	if (!cfg)
		tsn_diags_print(d, stderr);
	return cfg;
}

/* Accepted with a shaper and an etf on a multi-queue port; on a single-queue one
 * the error names mqprio and sits at the queues line. */
static void test_mqprio_check(void)
{
	struct tsn_diags d;
	struct tsn_config *cfg = load_mqprio("sp0", "\"1@0\", \"1@1\", \"2@2\"", &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_TRUE(schedule_validate(cfg, NULL, &d, SCHEDULE_CHECK_DAEMON));
	CU_ASSERT_EQUAL(count_sev(&d, TSN_DIAG_ERROR, NULL), 0);
	if (count_sev(&d, TSN_DIAG_ERROR, NULL))
		print_diags(&d);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	cfg = load_mqprio("sp1", "\"1@0\", \"1@1\", \"2@2\"", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_FALSE(schedule_validate(cfg, NULL, &d, SCHEDULE_CHECK_DAEMON));
	EXPECT(&d, TSN_DIAG_ERROR, "ports[0].schedule.queues", "mqprio needs a multi-queue interface", 8);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* The root tsnd wants for mode mqprio, compared with roots as the kernel dumps
 * them: the same layout is no difference (and the change path keeps the root),
 * another layout or a taprio in its place is named. */
static void test_mqprio_desired_and_diff(void)
{
	struct tsn_diags d;
	struct tsn_config *cfg = load_mqprio("sp0", "\"1@0\", \"1@1\", \"2@2\"", &d);
	struct taprio_qdisc want, have;
	struct strlist diffs = { 0 };
	char text[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	sched_desired_taprio(&cfg->ports[0].schedule, 7, 0, NULL, &want);
	CU_ASSERT_STRING_EQUAL(want.kind, "mqprio");
	CU_ASSERT_EQUAL(want.handle, TSND_TAPRIO_HANDLE);
	CU_ASSERT_EQUAL(want.priomap.num_tc, 3);
	CU_ASSERT_EQUAL(want.priomap.count[2], 2);
	CU_ASSERT_EQUAL(want.priomap.offset[2], 2);
	CU_ASSERT_EQUAL(want.priomap.prio_tc_map[3], 1);
	CU_ASSERT_EQUAL(want.priomap.hw, 0);
	CU_ASSERT_FALSE(want.oper.has_entries);

	struct nl_msg *msg = mqprio_build(RTM_NEWQDISC, 0, 7, TSND_TAPRIO_HANDLE, &want.priomap);
	struct kroot r = { .ifindex = 7, .root = nlmsg_hdr(msg) };
	kroot_decode(&r, &have);
	CU_ASSERT_TRUE(sched_same_structure(&have, &want));
	sched_diff_taprio(&want, &have, false, &diffs);
	CU_ASSERT_EQUAL(diffs.total, 0);
	taprio_qdisc_clear(&have);
	nlmsg_free(msg);

	struct tc_mqprio_qopt other = want.priomap;
	other.count[2] = 1;
	msg = mqprio_build(RTM_NEWQDISC, 0, 7, TSND_TAPRIO_HANDLE, &other);
	r.root = nlmsg_hdr(msg);
	kroot_decode_layout(&r, &have);
	CU_ASSERT_FALSE(sched_same_structure(&have, &want));
	sched_diff_taprio(&want, &have, false, &diffs);
	sched_sl_join(&diffs, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "class 2 has queues 1@2, applied 2@2");
	sched_sl_free(&diffs);
	taprio_qdisc_clear(&have);
	nlmsg_free(msg);

	struct taprio_qdisc tap = want;
	snprintf(tap.kind, sizeof(tap.kind), "taprio");
	msg = taprio_build(RTM_NEWQDISC, 0, &tap);
	r.root = nlmsg_hdr(msg);
	kroot_decode(&r, &have);
	CU_ASSERT_FALSE(sched_same_structure(&have, &want));
	sched_diff_taprio(&want, &have, false, &diffs);
	sched_sl_join(&diffs, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "the root qdisc is taprio 7473:, not the mqprio 7473: tsnd applied");
	sched_sl_free(&diffs);
	taprio_qdisc_clear(&have);
	nlmsg_free(msg);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* Applied in a transaction: without mqprio the kernel refuses the root with its
 * own words and the port keeps exactly what it had; with mqprio the root and its
 * cbs and etf are there, and a revert puts the port back exactly. */
static void test_mqprio_apply_and_put_back(void)
{
	struct tsn_diags d;
	char err[1024] = "";
	struct tsn_config *cfg = load_mqprio("sp0", "\"1@0\", \"1@1\", \"2@2\"", &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(tu_sh("tc qdisc replace dev sp0 root handle 1: bfifo limit 30000"), 0);
	char *before = qdiscs("sp0");
	struct schedules *s = schedules_new(NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	int rc = schedules_apply(s, NULL, cfg, err, sizeof(err));
	if (!kernel_has_mqprio) {
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "port sp0: the kernel refused the mqprio root: "
						   "Specified qdisc kind is unknown"));
		if (!strstr(err, "mqprio root"))
			fprintf(stderr, "\n  err: %s\n", err);
	} else {
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_EQUAL(tu_sh("tc qdisc show dev sp0 | grep -q '^qdisc mqprio 7473: root' && "
				      "tc qdisc show dev sp0 | grep -q '^qdisc cbs 7481: parent 7473:2' && "
				      "tc qdisc show dev sp0 | grep -q '^qdisc etf 7482: parent 7473:3'"), 0);
		schedules_revert(s);
	}
	char *after = qdiscs("sp0");
	CU_ASSERT_STRING_EQUAL(after, before);
	if (strcmp(after, before))
		fprintf(stderr, "\n  before:\n%s  after:\n%s", before, after);
	free(before);
	free(after);
	schedules_free(s);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
	tu_sh("tc qdisc del dev sp0 root");
}

/* ---- with taprio in the kernel (the kernel lab, a TSN switch) ---- */

static json_object *show_port(struct schedules *s, const struct tsn_config *cfg, const char *dev)
{
	char err[512];
	json_object *j = schedules_show_json(s, cfg, dev, err, sizeof(err));
	json_object *p = j ? json_object_get(json_object_array_get_idx(tu_jget(j, "ports"), 0)) : NULL;
	json_object_put(j);
	return p;
}

/* Apply, change through admin/oper, see a hand change as drift, roll a change
 * back, remove. */
static void test_taprio_lifecycle(void)
{
	struct sched_yaml y1 = { 0 }, y2 = { .entries = "        - { gates: [0], interval: 200us }\n"
							"        - { gates: [1], interval: 300us }\n"
							"        - { gates: [2], interval: 500us }\n" };
	struct tsn_diags d1, d2;
	char err[1024];
	struct tsn_config *c1 = load(&y1, &d1), *c2 = load(&y2, &d2);
	struct schedules *s = schedules_new(NULL, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(schedules_apply(s, NULL, c1, err, sizeof(err)), 0);
	schedules_commit(s, c1);
	json_object *p = show_port(s, c1, "sp0");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(p, "state")), "applied");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(tu_jget(p, "kernel"), "handle")), "7473:");
	json_object_put(p);

	/* The change path: same handle, the new list pending as admin. */
	CU_ASSERT_EQUAL_FATAL(schedules_apply(s, c1, c2, err, sizeof(err)), 0);
	schedules_commit(s, c2);
	p = show_port(s, c2, "sp0");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(p, "state")), "applied");
	json_object *admin = tu_jget(tu_jget(p, "kernel"), "admin");
	CU_ASSERT_PTR_NOT_NULL(admin);
	if (admin)
		CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(json_object_array_get_idx(tu_jget(admin, "entries"), 0),
							      "interval_ns")), 200000);
	json_object_put(p);

	/* A change that a later reload step undoes: the pending list is c2's again. */
	CU_ASSERT_EQUAL_FATAL(schedules_apply(s, c2, c1, err, sizeof(err)), 0);
	schedules_revert(s);
	CU_ASSERT_EQUAL(schedules_refresh(s), 0);
	CU_ASSERT_STRING_EQUAL(schedules_port_state(s, "sp0"), "applied");

	/* Someone replaces the schedule by hand: drift, with the difference named. */
	CU_ASSERT_EQUAL(tu_sh("tc qdisc replace dev sp0 parent root handle 7473: taprio base-time 0 "
			      "sched-entry S 1 300000 sched-entry S 2 300000 sched-entry S 4 400000 clockid CLOCK_TAI"), 0);
	CU_ASSERT_EQUAL(schedules_refresh(s), 0);
	CU_ASSERT_STRING_EQUAL(schedules_port_state(s, "sp0"), "drift");
	p = show_port(s, c2, "sp0");
	CU_ASSERT(json_object_array_length(tu_jget(p, "drift")) > 0);
	json_object_put(p);

	/* A reload re-applies it; removing the schedule deletes tsnd's taprio. */
	struct sched_yaml y3 = { .port = "sp2", .num_tc = 2, .map = "0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1",
				 .queues = "\"1@0\", \"3@1\"",
				 .entries = "        - { gates: [0], interval: 1ms }\n"
					    "        - { gates: [1], interval: 1ms }\n" };
	struct tsn_diags d3;
	struct tsn_config *c3 = load(&y3, &d3);
	CU_ASSERT_EQUAL_FATAL(schedules_apply(s, c2, c3, err, sizeof(err)), 0);
	schedules_commit(s, c3);
	char *now = qdiscs("sp0");
	CU_ASSERT_PTR_NULL(strstr(now, "taprio"));
	free(now);
	tu_sh("tc qdisc del dev sp2 root");
	schedules_free(s);
	tsn_config_free(c1);
	tsn_config_free(c2);
	tsn_config_free(c3);
	tsn_diags_free(&d1);
	tsn_diags_free(&d2);
	tsn_diags_free(&d3);
}

/* ---- set-up ---- */

/* A qdisc too long to dump ends the kernel's dump early: a scheduled port that is
 * up but not listed is "unreadable", not drifted (issue 19: one port's schedule
 * made every other port look as if its taprio were gone). */
static void test_unread_not_drift(void)
{
	char err[256];
	struct schedules *s = schedules_new(NULL, err, sizeof(err));
	struct kview kv, cut = { 0 };	/* cut: a dump that ended before every device */
	int up = (int)if_nametoindex("sp0");

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_FATAL(up > 0);
	CU_ASSERT_EQUAL_FATAL(kview_load(s, &kv, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(kview_unread(&kv, up));		/* listed: its root is known */
	kview_free(&kv);
	CU_ASSERT_TRUE(kview_unread(&cut, up));
	/* A device that is down lists no root in a complete dump either. */
	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link add sq0 type veth peer sq0p"), 0);
	CU_ASSERT_FALSE(kview_unread(&cut, (int)if_nametoindex("sq0")));
	tu_sh("ip link del sq0");

	struct sched_port p = { .ifindex = up, .state = SCHED_APPLIED, .tracked = true };
	snprintf(p.name, sizeof(p.name), "sp0");
	sched_port_check_in(&p, &cut);
	CU_ASSERT_EQUAL(p.state, SCHED_UNREAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.message, "cannot read back: the kernel's qdisc dump ended before this port"));
	CU_ASSERT_EQUAL(p.drift.total, 0);
	sched_port_clear(&p);
	schedules_free(s);
}

int main(void)
{
	bool have_sd0;

	if (CU_initialize_registry() != CUE_SUCCESS || tu_netns_enter() < 0)
		return 1;
	if (tu_sh("ip link add sp0 numtxqueues 4 numrxqueues 4 type veth peer sp0p numtxqueues 4 numrxqueues 4 && "
		  "ip link add sp1 numtxqueues 1 numrxqueues 1 type veth peer sp1p && "
		  "ip link add sp2 numtxqueues 4 numrxqueues 4 type veth peer sp2p numtxqueues 4 numrxqueues 4 && "
		  "for l in sp0 sp0p sp1 sp1p sp2 sp2p; do ip link set $l up || exit 1; done"))
		return 1;
	/* An interface whose driver reports no link speed: ifb (or a bridge without
	 * ports), where the kernel has one of them. */
	have_sd0 = system("ip link add sd0 numtxqueues 4 type ifb 2>/dev/null || "
			  "ip link add sd0 numtxqueues 4 type bridge 2>/dev/null") == 0;
	CU_pSuite s = CU_add_suite("schedule validation and apply (private netns)", NULL, NULL);
	CU_add_test(s, "a valid schedule on veth", test_valid_on_veth);
	CU_add_test(s, "a port that does not exist", test_missing_port);
	CU_add_test(s, "TX queues", test_tx_queues);
	CU_add_test(s, "minimum frame at link speed", test_minimum_frame);
	CU_add_test(s, "guard band warning", test_guard_band);
	CU_add_test(s, "max-sdu above the MTU", test_max_sdu_above_mtu);
	CU_add_test(s, "full offload without a PTP clock", test_full_offload_without_phc);
	if (have_sd0)
		CU_add_test(s, "unknown link speed", test_unknown_link_speed);
	else
		fprintf(stderr, "test_schedule: no ifb or bridge in this kernel: unknown link speed not tested\n");
	CU_add_test(s, "kernel rules", test_kernel_rules);
	CU_add_test(s, "list length limits", test_list_length);
	CU_add_test(s, "a port the dump cannot list is unreadable, not drifted", test_unread_not_drift);
	CU_add_test(s, "apply: refused or applied, then put back", test_apply_and_put_back);
	CU_add_test(s, "show and status", test_show_without_schedule_applied);
	CU_add_test(s, "one qdisc dump per request", test_one_dump_per_request);
	CU_add_test(s, "require-sync: held, then applied or refused", test_held_until_sync);
	CU_add_test(s, "mqprio: checked with shapers and etf", test_mqprio_check);
	CU_add_test(s, "mqprio: the root wanted, compared with dumped roots", test_mqprio_desired_and_diff);
	kernel_has_mqprio = system("ip link add tp0 numtxqueues 2 type veth peer tp1 && "
				   "tc qdisc add dev tp0 root mqprio num_tc 1 map 0 queues 1@0 hw 0 >/dev/null 2>&1; "
				   "rc=$?; ip link del tp0 2>/dev/null; exit $rc") == 0;
	CU_add_test(s, "mqprio: refused or applied, then put back", test_mqprio_apply_and_put_back);
	/* Only where the kernel has taprio; on the host the lifecycle cannot run. */
	kernel_has_taprio = system("ip link add tp0 numtxqueues 2 type veth peer tp1 && "
				   "tc qdisc add dev tp0 root taprio num_tc 1 map 0 queues 1@0 base-time 0 "
				   "sched-entry S 1 100000 clockid CLOCK_TAI >/dev/null 2>&1; "
				   "rc=$?; ip link del tp0 2>/dev/null; exit $rc") == 0;
	if (kernel_has_taprio)
		CU_add_test(s, "taprio: apply, change, drift, revert, remove", test_taprio_lifecycle);
	else
		fprintf(stderr, "test_schedule: this kernel has no taprio: the lifecycle test runs where it has\n");
	int rc = tu_run_tests();
	tu_netns_leave();	/* the namespace and its links go with it */
	return rc;
}
