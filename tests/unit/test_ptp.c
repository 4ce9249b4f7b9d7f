/* SPDX-License-Identifier: GPL-2.0-only */
/* test_ptp.c — daemon/ptp/ptp.c without a running tsnd: the generated ptp4l
 * configuration, the checks made against the kernel (a veth pair in a private
 * network namespace) and against the real ptp4l's option parser, the gate-window
 * rule for PTP frames, and the sync-state machine fed with management messages
 * built by lib/pmc.c.  The supervision of the real ptp4l is covered end to end by
 * tests/integration/test_ptp.sh.  Needs root (namespace) and linuxptp. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "evloop.h"
#include "ptp.h"
#include "supervisor.h"
#include "test_util.h"
#include "tsn/log.h"
#include "tsn/pmc.h"

#define PTP4L "/usr/sbin/ptp4l"

static struct tsn_config *parse_yaml(const char *yaml, struct tsn_diags *diags)
{
	tsn_diags_init(diags, "test.yaml");
	struct tsn_config *cfg = tsn_config_parse(yaml, strlen(yaml), "test.yaml", diags);
	if (!cfg)
		tsn_diags_print(diags, stderr);
	return cfg;
}

/* A config with PTP on tp0 and tp1 plus `extra` (YAML appended under ptp). */
static struct tsn_config *ptp_config(const char *ptp_extra, const char *top_extra, struct tsn_diags *d)
{
	char yaml[4096];
	snprintf(yaml, sizeof(yaml),
		 "daemon: { state-dir: /run/tsnd-test }\n"
		 "ports:\n"
		 "  - { name: tp0, xdp: off }\n"
		 "  - { name: tp1, xdp: off }\n"
		 "ptp:\n"
		 "  enabled: true\n"
		 "  uds-address: /run/tsnd-test/ptp4l.sock\n"
		 "  lock-threshold: 1us\n"
		 "  lock-time: 2s\n"
		 "%s"
		 "%s",
		 ptp_extra, top_extra);
	return parse_yaml(yaml, d);
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* "key<spaces>value" as a line. */
static bool has_setting(const char *text, const char *key, const char *value)
{
	char line[128];
	snprintf(line, sizeof(line), "%-24s%s", key, value);
	return has_line(text, line);
}

static size_t count_diags(const struct tsn_diags *d, enum tsn_diag_severity sev, const char *path,
			  const char *needle)
{
	size_t n = 0;
	for (size_t i = 0; i < d->count; i++)
		if (d->items[i].severity == sev && (!path || strcmp(d->items[i].path, path) == 0) &&
		    (!needle || strstr(d->items[i].message, needle)))
			n++;
	return n;
}

/* ---- generated files ---- */

static struct ptp_plan soft_plan(bool ro)
{
	struct ptp_plan plan;
	memset(&plan, 0, sizeof(plan));
	plan.timestamping = TSN_TSTAMP_SOFTWARE;
	plan.ro_supported = ro;
	snprintf(plan.conf_path, sizeof(plan.conf_path), "/run/tsnd-test/ptp4l.conf");
	snprintf(plan.phc2sys_conf_path, sizeof(plan.phc2sys_conf_path), "/run/tsnd-test/phc2sys.conf");
	snprintf(plan.ro_address, sizeof(plan.ro_address), "/run/tsnd-test/ptp4l.sock.ro");
	return plan;
}

static void test_render_default_profile(void)
{
	struct tsn_diags d;
	struct tsn_config *cfg = ptp_config("  domain: 7\n  priority1: 100\n  free-running: true\n"
					    "  ports:\n    - { name: tp0 }\n    - { name: tp1, delay-mechanism: p2p }\n"
					    "  options: { logAnnounceInterval: 0, clock_servo: linreg }\n", "", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	struct ptp_plan plan = soft_plan(false);
	char *text = ptp_render_ptp4l(cfg, &plan);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT(has_line(text, "[global]"));
	CU_ASSERT(has_setting(text, "domainNumber", "7"));
	CU_ASSERT(has_setting(text, "priority1", "100"));
	CU_ASSERT(has_setting(text, "priority2", "128"));
	CU_ASSERT(has_setting(text, "network_transport", "UDPv4"));
	CU_ASSERT(has_setting(text, "delay_mechanism", "E2E"));
	CU_ASSERT(has_setting(text, "time_stamping", "software"));
	CU_ASSERT(has_setting(text, "free_running", "1"));
	CU_ASSERT(has_setting(text, "uds_address", "/run/tsnd-test/ptp4l.sock"));
	CU_ASSERT_PTR_NULL(strstr(text, "uds_ro_address"));	/* this ptp4l has none */
	CU_ASSERT(has_setting(text, "verbose", "1"));
	CU_ASSERT(has_setting(text, "use_syslog", "0"));
	CU_ASSERT(has_setting(text, "summary_interval", "6"));
	CU_ASSERT(has_setting(text, "logAnnounceInterval", "0"));
	CU_ASSERT(has_setting(text, "clock_servo", "linreg"));
	CU_ASSERT_PTR_NULL(strstr(text, "gmCapable"));
	/* Port sections in order; only the port that differs gets its own mechanism. */
	const char *p0 = strstr(text, "\n[tp0]\n"), *p1 = strstr(text, "\n[tp1]\n");
	CU_ASSERT_FATAL(p0 && p1 && p0 < p1);
	CU_ASSERT(has_setting(p1, "delay_mechanism", "P2P"));
	CU_ASSERT(strstr(p0, "delay_mechanism") == strstr(p1, "delay_mechanism"));
	free(text);

	/* The same input gives the same text (the restart decision compares it). */
	char *again = ptp_render_ptp4l(cfg, &plan);
	plan.ro_supported = true;
	char *with_ro = ptp_render_ptp4l(cfg, &plan);
	text = ptp_render_ptp4l(cfg, &plan);
	CU_ASSERT_STRING_EQUAL(with_ro, text);
	CU_ASSERT(has_setting(with_ro, "uds_ro_address", "/run/tsnd-test/ptp4l.sock.ro"));
	CU_ASSERT_STRING_NOT_EQUAL(again, with_ro);

	char **argv = ptp_ptp4l_argv(cfg, &plan);
	CU_ASSERT_STRING_EQUAL(argv[0], PTP4L);
	CU_ASSERT_STRING_EQUAL(argv[1], "-f");
	CU_ASSERT_STRING_EQUAL(argv[2], "/run/tsnd-test/ptp4l.conf");
	CU_ASSERT_PTR_NULL(argv[3]);
	sv_argv_free(argv);
	free(text);
	free(again);
	free(with_ro);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static void test_render_gptp(void)
{
	struct tsn_diags d;
	struct tsn_config *cfg = ptp_config("  profile: gptp\n  ports:\n    - { name: tp0 }\n"
					    "  options: { logSyncInterval: -2 }\n", "", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->ptp.transport, TSN_PTP_L2);
	struct ptp_plan plan = soft_plan(false);
	plan.transport_specific = 1;
	char *text = ptp_render_ptp4l(cfg, &plan);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	/* linuxptp's gPTP.cfg settings */
	CU_ASSERT(has_setting(text, "gmCapable", "1"));
	CU_ASSERT(has_setting(text, "logAnnounceInterval", "0"));
	CU_ASSERT(has_setting(text, "syncReceiptTimeout", "3"));
	CU_ASSERT(has_setting(text, "neighborPropDelayThresh", "800"));
	CU_ASSERT(has_setting(text, "min_neighbor_prop_delay", "-20000000"));
	CU_ASSERT(has_setting(text, "assume_two_step", "1"));
	CU_ASSERT(has_setting(text, "path_trace_enabled", "1"));
	CU_ASSERT(has_setting(text, "follow_up_info", "1"));
	CU_ASSERT(has_setting(text, "transportSpecific", "0x1"));
	CU_ASSERT(has_setting(text, "ptp_dst_mac", "01:80:C2:00:00:0E"));
	CU_ASSERT(has_setting(text, "network_transport", "L2"));
	CU_ASSERT(has_setting(text, "delay_mechanism", "P2P"));
	/* Priorities follow the profile when the file gives none. */
	CU_ASSERT(has_setting(text, "priority1", "248"));
	CU_ASSERT(has_setting(text, "priority2", "248"));
	/* An option overrides the profile's value, and only one line remains. */
	CU_ASSERT(has_setting(text, "logSyncInterval", "-2"));
	CU_ASSERT_FALSE(has_setting(text, "logSyncInterval", "-3"));
	CU_ASSERT_EQUAL(ptp_sync_interval_ns(cfg), 250000000ull);

	char *phc = ptp_render_phc2sys(cfg, &plan);
	CU_ASSERT(has_setting(phc, "transportSpecific", "0x1"));
	char **argv = ptp_phc2sys_argv(cfg, &plan);
	CU_ASSERT_STRING_EQUAL(argv[1], "-a");
	CU_ASSERT_STRING_EQUAL(argv[2], "-r");
	bool has_z = false;
	for (char **a = argv; *a; a++)
		if (strcmp(*a, "-z") == 0)
			has_z = strcmp(a[1], "/run/tsnd-test/ptp4l.sock") == 0;
	CU_ASSERT_TRUE(has_z);
	sv_argv_free(argv);
	free(phc);
	free(text);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* ---- checks against the kernel and ptp4l ---- */

static bool have_ptp4l(void)
{
	return access(PTP4L, X_OK) == 0;
}

static void test_plan_veth(void)
{
	struct tsn_diags d, d2;
	struct ptp_plan plan;

	if (!have_ptp4l()) {
		CU_FAIL("ptp4l is not installed (scripts/install-deps.sh installs linuxptp)");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(tu_netns_enter(), 0);
	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link add tp0 type veth peer name tp1"), 0);

	struct ptp_port_caps caps;
	ptp_port_caps_read("tp0", &caps);
	CU_ASSERT_TRUE(caps.known);
	CU_ASSERT_TRUE(caps.software);
	CU_ASSERT_FALSE(caps.hardware);
	CU_ASSERT_EQUAL(caps.phc_index, -1);
	ptp_port_caps_read("nosuch0", &caps);
	CU_ASSERT_FALSE(caps.known);
	CU_ASSERT_NOT_EQUAL(caps.err, 0);

	/* auto on veth: software, with a warning at each port. */
	struct tsn_config *cfg = ptp_config("  ports:\n    - { name: tp0 }\n    - { name: tp1 }\n", "", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_TRUE(ptp_plan_build(cfg, &plan, &d));
	CU_ASSERT_EQUAL(plan.timestamping, TSN_TSTAMP_SOFTWARE);
	CU_ASSERT_FALSE(plan.phc2sys);
	CU_ASSERT_EQUAL(plan.log_sync_interval, 0);
	CU_ASSERT_STRING_EQUAL(plan.conf_path, "/run/tsnd-test/ptp4l.conf");
	CU_ASSERT_STRING_EQUAL(plan.client_path, "/run/tsnd-test/tsnd-pmc.sock");
	CU_ASSERT_EQUAL(count_diags(&d, TSN_DIAG_WARNING, "ptp.ports[0].name", "no hardware timestamping"), 1);
	CU_ASSERT_EQUAL(count_diags(&d, TSN_DIAG_WARNING, "ptp.ports[1].name", "no hardware timestamping"), 1);
	CU_ASSERT_EQUAL(d.errors, 0);
	ptp_plan_free(&plan);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* hardware asked where there is none: an error at that field, with its line. */
	cfg = ptp_config("  ports:\n    - { name: tp0, timestamping: hardware }\n", "", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_FALSE(ptp_config_check(cfg, &d));
	CU_ASSERT_EQUAL(count_diags(&d, TSN_DIAG_ERROR, "ptp.ports[0].timestamping", "no hardware"), 1);
	CU_ASSERT_EQUAL(d.items[d.count - 1].line, 11);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* A port the kernel does not know: a warning, software assumed. */
	cfg = parse_yaml("daemon: { state-dir: /run/tsnd-test }\nports: [ { name: gone0, xdp: off } ]\n"
			 "ptp: { enabled: true, uds-address: /run/tsnd-test/p.sock, ports: [ { name: gone0 } ] }\n",
			 &d2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_TRUE(ptp_config_check(cfg, &d2));
	CU_ASSERT_EQUAL(count_diags(&d2, TSN_DIAG_WARNING, "ptp.ports[0].name", "cannot read"), 1);
	tsn_config_free(cfg);
	tsn_diags_free(&d2);

	/* Options: tsnd's own settings refused; the rest asked of ptp4l's parser. */
	cfg = ptp_config("  ports:\n    - { name: tp0 }\n"
			 "  options:\n"
			 "    uds_address: /tmp/x\n"
			 "    logSyncInterval: '-3'\n"
			 "    tx_timestamp_timeout: 'ten'\n"
			 "    no_such_option: 1\n", "", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_FALSE(ptp_config_check(cfg, &d));
	CU_ASSERT_EQUAL(count_diags(&d, TSN_DIAG_ERROR, "ptp.options.uds_address", "set ptp.uds-address"), 1);
	CU_ASSERT_EQUAL(count_diags(&d, TSN_DIAG_ERROR, "ptp.options.logSyncInterval", NULL), 0);
	CU_ASSERT_EQUAL(count_diags(&d, TSN_DIAG_ERROR, "ptp.options.tx_timestamp_timeout", "malformed"), 1);
	CU_ASSERT_EQUAL(count_diags(&d, TSN_DIAG_ERROR, "ptp.options.no_such_option", "ptp4l refuses"), 1);
	CU_ASSERT_EQUAL(d.errors, 3);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* A missing ptp4l binary, no ports, no socket path. */
	cfg = ptp_config("  ptp4l: /nonexistent/ptp4l\n", "", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	snprintf(cfg->ptp.uds_address, sizeof(cfg->ptp.uds_address), "%s", "");
	CU_ASSERT_FALSE(ptp_config_check(cfg, &d));
	CU_ASSERT_EQUAL(count_diags(&d, TSN_DIAG_ERROR, "ptp.ptp4l", "cannot be executed"), 1);
	CU_ASSERT_EQUAL(count_diags(&d, TSN_DIAG_ERROR, NULL, "no port runs PTP"), 1);
	CU_ASSERT_EQUAL(count_diags(&d, TSN_DIAG_ERROR, NULL, "explicit management socket"), 1);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	tu_sh("ip link del tp0");
	tu_netns_leave();
}

/* ---- the gate-window rule ---- */

#define SCHED_YAML \
	"classification: { default-priority: 0, ethertype: [ { ethertype: 0x88f7, priority: %u } ] }\n" \
	"ports:\n" \
	"  - name: tp0\n" \
	"    xdp: off\n" \
	"    schedule:\n" \
	"      num-tc: 2\n" \
	"      map: [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]\n" \
	"      queues: [\"1@0\", \"1@1\"]\n" \
	"      cycle-time: %s\n" \
	"      entries:\n" \
	"%s" \
	"ptp:\n" \
	"  enabled: true\n" \
	"  uds-address: /run/tsnd-test/ptp4l.sock\n" \
	"  ports: [ { name: tp0 } ]\n" \
	"  options: { logSyncInterval: %s }\n"

static struct tsn_config *sched_config(unsigned prio, const char *cycle, const char *entries,
				       const char *log_sync, struct tsn_diags *d)
{
	char yaml[2048];
	snprintf(yaml, sizeof(yaml), SCHED_YAML, prio, cycle, entries, log_sync);
	return parse_yaml(yaml, d);
}

static void test_window_rule(void)
{
	struct tsn_diags d;
	/* class 1 open 100us of a 1ms cycle: fine for a 1 s sync interval */
	struct tsn_config *cfg = sched_config(7, "0",
		"        - { gates: [1], interval: 100us }\n"
		"        - { gates: [0], interval: 900us }\n", "0", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(ptp_frame_priority(cfg), 7);
	CU_ASSERT_EQUAL(ptp_longest_closed_ns(&cfg->ports[0].schedule, 1), 900000);
	CU_ASSERT_EQUAL(ptp_longest_closed_ns(&cfg->ports[0].schedule, 0), 100000);
	tsn_diags_free(&d);
	tsn_diags_init(&d, "test.yaml");
	ptp_check_schedule_windows(cfg, &d);
	CU_ASSERT_EQUAL(d.count, 0);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* PTP at priority 0 -> class 0 -> never open: a warning at the entries. */
	cfg = sched_config(0, "0",
		"        - { gates: [1], interval: 100us }\n"
		"        - { gates: [1], interval: 900us }\n", "0", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	tsn_diags_free(&d);
	tsn_diags_init(&d, "test.yaml");
	ptp_check_schedule_windows(cfg, &d);
	CU_ASSERT_EQUAL(count_diags(&d, TSN_DIAG_WARNING, "ports[0].schedule.entries", "never opens"), 1);
	CU_ASSERT_EQUAL(d.items[0].line, 11);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* Closed for 300ms of a 400ms cycle (open 100ms at the cycle's middle) with
	 * Sync every 250ms (logSyncInterval -2): the wrap-around gap counts. */
	cfg = sched_config(7, "400ms",
		"        - { gates: [0], interval: 150ms }\n"
		"        - { gates: [1], interval: 100ms }\n"
		"        - { gates: [0], interval: 150ms }\n", "-2", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(ptp_longest_closed_ns(&cfg->ports[0].schedule, 1), 300000000ull);
	tsn_diags_free(&d);
	tsn_diags_init(&d, "test.yaml");
	ptp_check_schedule_windows(cfg, &d);
	CU_ASSERT_EQUAL(count_diags(&d, TSN_DIAG_WARNING, "ports[0].schedule.entries", "stays closed for 300ms"), 1);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* The last entry lasts to the cycle's end; entries past the cycle are cut. */
	cfg = sched_config(7, "10ms",
		"        - { gates: [1], interval: 1ms }\n"
		"        - { gates: [0], interval: 1ms }\n", "0", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(ptp_longest_closed_ns(&cfg->ports[0].schedule, 1), 9000000);
	cfg->ports[0].schedule.cycle_time_ns = 1500000;	/* cuts the second entry to 0.5ms */
	CU_ASSERT_EQUAL(ptp_longest_closed_ns(&cfg->ports[0].schedule, 1), 500000);
	cfg->ports[0].schedule.cycle_time_ns = 500000;	/* only the first entry remains */
	CU_ASSERT_EQUAL(ptp_longest_closed_ns(&cfg->ports[0].schedule, 1), 0);
	CU_ASSERT_EQUAL(ptp_longest_closed_ns(&cfg->ports[0].schedule, 0), 500000);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* ---- the sync-state machine ---- */

static const uint8_t self_id[8] = { 0x02, 0, 0, 0xff, 0xfe, 0, 0, 1 };
static const uint8_t gm_id[8] = { 0x02, 0, 0, 0xff, 0xfe, 0, 0, 9 };
static uint16_t seq = 1000;

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (56 - 8 * i)); }

/* A notification (a RESPONSE nobody asked for) of `id` with `data`. */
static void feed(struct ptp *p, uint16_t id, const uint8_t *data, size_t len, uint64_t now)
{
	uint8_t buf[256];
	struct pmc_request r = {
		.action = PMC_RESPONSE, .id = id, .sequence = seq++, .target = pmc_wildcard(),
		.data = data, .data_len = len,
	};
	memcpy(r.source.clock, self_id, 8);
	ssize_t n = pmc_build(buf, sizeof(buf), &r);
	CU_ASSERT_FATAL(n > 0);
	ptp_handle_datagram(p, buf, (size_t)n, now);
}

static void feed_port(struct ptp *p, uint16_t port, uint8_t state, uint64_t now)
{
	uint8_t d[PMC_PORT_DS_LEN] = { 0 };
	memcpy(d, self_id, 8);
	put16(d + 8, port);
	d[10] = state;
	feed(p, PMC_ID_PORT_DATA_SET, d, sizeof(d), now);
}

static void feed_time_status(struct ptp *p, int64_t offset, uint64_t ingress, uint64_t now)
{
	uint8_t d[PMC_TIME_STATUS_LEN] = { 0 };
	put64(d, (uint64_t)offset);
	put64(d + 8, ingress);
	d[41] = 1;			/* gmPresent (bytes 38-41), gmIdentity after it */
	memcpy(d + 42, gm_id, 8);
	feed(p, PMC_ID_TIME_STATUS_NP, d, sizeof(d), now);
}

/* CURRENT_DATA_SET: offsetFromMaster and meanPathDelay as TimeIntervals (ns << 16). */
static void feed_current(struct ptp *p, int64_t offset, int64_t delay, uint64_t now)
{
	uint8_t d[PMC_CURRENT_DS_LEN] = { 0 };
	put64(d + 2, (uint64_t)offset << 16);
	put64(d + 10, (uint64_t)delay << 16);
	feed(p, PMC_ID_CURRENT_DATA_SET, d, sizeof(d), now);
}

static void feed_clock(struct ptp *p, const uint8_t gm[8], uint64_t now)
{
	uint8_t dds[PMC_DEFAULT_DS_LEN] = { 0 }, pds[PMC_PARENT_DS_LEN] = { 0 };
	memcpy(dds + 10, self_id, 8);
	memcpy(pds + 24, gm, 8);
	feed(p, PMC_ID_DEFAULT_DATA_SET, dds, sizeof(dds), now);
	feed(p, PMC_ID_PARENT_DATA_SET, pds, sizeof(pds), now);
}

static int lock_events, unlock_events;

static void on_lock(void *arg, bool locked)
{
	(void)arg;
	if (locked)
		lock_events++;
	else
		unlock_events++;
}

static void test_state_machine(void)
{
	struct tsn_diags d;
	struct tsn_config *cfg = ptp_config("  ports:\n    - { name: tp0 }\n    - { name: tp1 }\n", "", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	struct ptp *p = ptp_new(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_DISABLED);
	ptp_set_lock_callback(p, on_lock, NULL);
	ptp_test_setup(p, cfg, true);

	const uint64_t s = 1000000000ull;
	uint64_t t = evloop_now_ns();
	int utc;

	/* Listening, this clock its own grandmaster: free-running. */
	feed_clock(p, self_id, t);
	feed_port(p, 1, PMC_PS_LISTENING, t);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_FREE_RUNNING);
	CU_ASSERT_FALSE(ptp_tai_utc_offset(p, &utc));

	/* A master appears: locking until the offset stayed within 1us for 2 s. */
	feed_clock(p, gm_id, t);
	feed_port(p, 1, PMC_PS_UNCALIBRATED, t);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_LOCKING);
	feed_time_status(p, 5000, 1, t);			/* 5 us: too far */
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_LOCKING);
	feed_time_status(p, -400, 2, t + s);			/* the streak starts */
	feed_time_status(p, 300, 3, t + 2 * s);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_LOCKING);
	feed_time_status(p, 900, 3, t + 3 * s + 1);		/* same ingress time: not a sample */
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_LOCKED);	/* 2 s since the streak began */
	CU_ASSERT_EQUAL(lock_events, 1);
	feed_time_status(p, 1200, 4, t + 4 * s);		/* out again: locking, an unlock event */
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_LOCKING);
	CU_ASSERT_EQUAL(unlock_events, 1);
	feed_time_status(p, 10, 5, t + 5 * s);
	feed_time_status(p, -10, 6, t + 6 * s);
	feed_time_status(p, 20, 7, t + 7 * s);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_LOCKED);
	CU_ASSERT_EQUAL(lock_events, 2);

	/* No Sync sample for longer than max(4 sync intervals, 3 s): holdover. */
	ptp_evaluate(p, t + 7 * s + 3 * s);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_LOCKED);
	ptp_evaluate(p, t + 7 * s + 4 * s + 1);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_HOLDOVER);
	CU_ASSERT_EQUAL(unlock_events, 2);
	/* Samples again: locking, then locked.  An offset of exactly 0 is a
	 * measurement here, beside a measured path delay. */
	feed_current(p, 0, 1500, t + 12 * s);
	feed_time_status(p, 0, 8, t + 12 * s);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_LOCKING);
	feed_time_status(p, 0, 9, t + 14 * s);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_LOCKED);

	/* A new grandmaster starts a new lock; the port following nobody: holdover. */
	feed_port(p, 1, PMC_PS_MASTER, t + 15 * s);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_HOLDOVER);
	/* ... until this clock becomes the grandmaster itself. */
	feed_clock(p, self_id, t + 15 * s);
	feed_port(p, 1, PMC_PS_MASTER, t + 15 * s);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_FREE_RUNNING);

	/* A FAULTY port is a fault. */
	feed_port(p, 2, PMC_PS_FAULTY, t + 16 * s);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_FAULT);
	feed_port(p, 2, PMC_PS_MASTER, t + 16 * s);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_FREE_RUNNING);
	/* ptp4l silent for more than 5 s: a fault. */
	ptp_evaluate(p, t + 16 * s + 5 * s + 1);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_FAULT);

	/* The TAI-UTC offset only when the grandmaster marks it valid. */
	uint8_t tp[PMC_TIME_PROPS_LEN] = { 0, 37, 0, 0xa0 };
	feed(p, PMC_ID_TIME_PROPERTIES_DATA_SET, tp, sizeof(tp), t + 22 * s);
	CU_ASSERT_FALSE(ptp_tai_utc_offset(p, &utc));
	tp[2] = PMC_TP_UTC_OFF_VALID | PMC_TP_PTP_TIMESCALE;
	feed(p, PMC_ID_TIME_PROPERTIES_DATA_SET, tp, sizeof(tp), t + 22 * s);
	CU_ASSERT_TRUE(ptp_tai_utc_offset(p, &utc));
	CU_ASSERT_EQUAL(utc, 37);

	/* Garbage is counted and changes nothing. */
	static const uint8_t junk[] = { 0x0d, 0x02, 0x00, 0x40, 1, 2, 3 };
	ptp_handle_datagram(p, junk, sizeof(junk), t + 22 * s);
	json_object *st = ptp_status_json(p);
	json_object *m = tu_jget(st, "management");
	CU_ASSERT_EQUAL(json_object_get_int(tu_jget(m, "rejected")), 1);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(tu_jget(st, "utc"), "offset_s")), "37");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(tu_jget(st, "grandmaster"), "identity")),
			       "020000.fffe.000001");
	json_object *win = tu_jget(st, "offset_window");
	CU_ASSERT(json_object_get_int(tu_jget(win, "samples")) >= 1);
	json_object_put(st);

	ptp_free(p);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* A Sync that ptp4l took without a delay measurement (TIME_STATUS_NP with
 * ingress_time moving, master_offset 0, CURRENT_DATA_SET's meanPathDelay 0) is
 * no sample: neither at ptp4l's start nor when Delay_Resp never comes. */
static void test_unmeasured_syncs(void)
{
	struct tsn_diags d;
	struct tsn_config *cfg = ptp_config("  ports:\n    - { name: tp0 }\n", "", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	struct ptp *p = ptp_new(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	lock_events = unlock_events = 0;
	ptp_set_lock_callback(p, on_lock, NULL);
	ptp_test_setup(p, cfg, true);
	const uint64_t s = 1000000000ull;
	uint64_t t = evloop_now_ns();

	feed_clock(p, gm_id, t);
	feed_port(p, 1, PMC_PS_UNCALIBRATED, t);
	/* Before any CURRENT_DATA_SET and then beside meanPathDelay 0: 20 s of
	 * zeros, a Sync a second, never locked, and the reason says why. */
	for (int i = 1; i <= 20; i++) {
		if (i == 5)
			feed_current(p, 0, 0, t + (uint64_t)i * s);
		feed_time_status(p, 0, (uint64_t)i, t + (uint64_t)i * s);
		CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_LOCKING);
	}
	CU_ASSERT_EQUAL(lock_events, 0);
	CU_ASSERT_FALSE(ptp_locked_for(p, 0));
	json_object *st = ptp_status_json(p);
	json_object *win = tu_jget(st, "offset_window");
	CU_ASSERT_EQUAL(json_object_get_int(tu_jget(win, "samples")), 0);
	CU_ASSERT_EQUAL(json_object_get_int(tu_jget(win, "unmeasured_syncs")), 20);
	const char *why = json_object_get_string(tu_jget(tu_jget(st, "sync"), "reason"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "measured no path delay"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "Delay_Req"));
	json_object_put(st);

	/* The first real measurement: samples count from here on. */
	feed_current(p, 0, 2100, t + 21 * s);
	feed_time_status(p, 350, 21, t + 21 * s);
	feed_time_status(p, -120, 22, t + 22 * s);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_LOCKING);
	feed_time_status(p, 80, 23, t + 23 * s);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_LOCKED);
	CU_ASSERT_EQUAL(lock_events, 1);
	ptp_free(p);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

static void feed_port_p2p(struct ptp *p, uint16_t port, uint8_t state, int64_t peer_delay_ns, uint64_t now)
{
	uint8_t d[PMC_PORT_DS_LEN] = { 0 };
	memcpy(d, self_id, 8);
	put16(d + 8, port);
	d[10] = state;
	put64(d + 12, (uint64_t)peer_delay_ns << 16);	/* peerMeanPathDelay */
	d[23] = 2;					/* delayMechanism P2P */
	feed(p, PMC_ID_PORT_DATA_SET, d, sizeof(d), now);
}

static const char *sync_reason(struct ptp *p, char *buf, size_t len)
{
	json_object *st = ptp_status_json(p);
	snprintf(buf, len, "%s", json_object_get_string(tu_jget(tu_jget(st, "sync"), "reason")));
	json_object_put(st);
	return buf;
}

/* neighborPropDelayThresh: settable (ptp.neighbor-prop-delay-thresh), and a
 * measured peer delay above it is named in the sync reason, not only "this
 * clock is the grandmaster" (gptp's 800 ns against 1-3 us on veth). */
static void test_neighbor_thresh(void)
{
	struct tsn_diags d;
	char why[512];
	struct tsn_config *cfg = ptp_config("  profile: gptp\n  ports:\n    - { name: tp0 }\n", "", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(ptp_effective_neighbor_thresh_ns(&cfg->ptp), 800);
	struct ptp *p = ptp_new(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	ptp_test_setup(p, cfg, true);
	uint64_t t = evloop_now_ns();
	feed_clock(p, self_id, t);
	feed_port_p2p(p, 1, PMC_PS_MASTER, 2500, t);
	CU_ASSERT_EQUAL(ptp_sync_state(p), PTP_SYNC_FREE_RUNNING);
	sync_reason(p, why, sizeof(why));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "this clock is the grandmaster"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "port tp0: measured peer delay 2500ns is above neighborPropDelayThresh 800ns"));
	/* Within the threshold: nothing to add. */
	feed_port_p2p(p, 1, PMC_PS_MASTER, 700, t);
	CU_ASSERT_STRING_EQUAL(sync_reason(p, why, sizeof(why)), "this clock is the grandmaster");
	ptp_free(p);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* Set in the configuration: in the generated file instead of gPTP.cfg's 800. */
	cfg = ptp_config("  profile: gptp\n  neighbor-prop-delay-thresh: 50us\n  ports:\n    - { name: tp0 }\n", "", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(ptp_effective_neighbor_thresh_ns(&cfg->ptp), 50000);
	struct ptp_plan plan = soft_plan(false);
	char *text = ptp_render_ptp4l(cfg, &plan);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT(has_setting(text, "neighborPropDelayThresh", "50000"));
	CU_ASSERT_FALSE(has_setting(text, "neighborPropDelayThresh", "800"));
	free(text);
	p = ptp_new(NULL);
	ptp_test_setup(p, cfg, true);
	feed_clock(p, self_id, t);
	feed_port_p2p(p, 1, PMC_PS_MASTER, 2500, t);
	CU_ASSERT_STRING_EQUAL(sync_reason(p, why, sizeof(why)), "this clock is the grandmaster");
	ptp_free(p);
	tsn_config_free(cfg);
	tsn_diags_free(&d);

	/* The default profile: linuxptp's 20 ms; a ptp.options value wins. */
	cfg = ptp_config("  options: { neighborPropDelayThresh: 1234 }\n", "", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(ptp_effective_neighbor_thresh_ns(&cfg->ptp), 1234);
	size_t n_options = cfg->ptp.n_options;
	cfg->ptp.n_options = 0;
	CU_ASSERT_EQUAL(ptp_effective_neighbor_thresh_ns(&cfg->ptp), 20000000);
	cfg->ptp.n_options = n_options;
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* ptp_locked_for follows the real clock: a streak that began `lock-time` ago. */
static void test_locked_for(void)
{
	struct tsn_diags d;
	struct tsn_config *cfg = ptp_config("  ports:\n    - { name: tp0 }\n", "", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	cfg->ptp.lock_time_ns = 0;
	struct ptp *p = ptp_new(NULL);
	CU_ASSERT_FALSE(ptp_locked_for(p, 0));		/* disabled */
	ptp_test_setup(p, cfg, true);
	uint64_t now = evloop_now_ns();
	feed_clock(p, gm_id, now);
	feed_port(p, 1, PMC_PS_SLAVE, now);
	feed_time_status(p, 100, 1, now - 3000000000ull);
	feed_time_status(p, 100, 2, now);
	CU_ASSERT_TRUE(ptp_locked_for(p, 0));
	CU_ASSERT_TRUE(ptp_locked_for(p, 2000000000ull));
	CU_ASSERT_FALSE(ptp_locked_for(p, 10000000000ull));
	ptp_free(p);
	tsn_config_free(cfg);
	tsn_diags_free(&d);
}

/* Only a locked, system-clock-steering ptp4l with a valid offset changes the kernel;
 * the decision is pure, so nothing here touches the machine's TAI offset. */
static void test_kernel_tai(void)
{
	CU_ASSERT_EQUAL(ptp_kernel_tai_to_set(true, true, true, 37, 0), 37);
	CU_ASSERT_EQUAL(ptp_kernel_tai_to_set(true, true, true, 37, 36), 37);	/* leap second */
	CU_ASSERT_EQUAL(ptp_kernel_tai_to_set(true, true, true, 37, 37), -1);	/* already right */
	CU_ASSERT_EQUAL(ptp_kernel_tai_to_set(false, true, true, 37, 0), -1);	/* free-running or phc2sys */
	CU_ASSERT_EQUAL(ptp_kernel_tai_to_set(true, false, true, 37, 0), -1);	/* not locked */
	CU_ASSERT_EQUAL(ptp_kernel_tai_to_set(true, true, false, 37, 0), -1);	/* offset not valid */
	CU_ASSERT_EQUAL(ptp_kernel_tai_to_set(true, true, true, 0, 0), -1);	/* implausible */
	CU_ASSERT_EQUAL(ptp_kernel_tai_to_set(true, true, true, 1000, 0), -1);
}

int main(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "ptp4l.conf: default profile, ports, options", test_render_default_profile },
		{ "ptp4l.conf and phc2sys: gptp profile", test_render_gptp },
		{ "plan on veth: capabilities, options, paths", test_plan_veth },
		{ "gate-window rule for PTP frames", test_window_rule },
		{ "sync-state machine", test_state_machine },
		{ "Syncs without a delay measurement are no samples", test_unmeasured_syncs },
		{ "ptp_locked_for", test_locked_for },
		{ "neighborPropDelayThresh: setting and measured peer delay", test_neighbor_thresh },
		{ "kernel TAI offset: when tsnd sets it", test_kernel_tai },
	};

	tsn_log_setup("test_ptp", TSN_LOG_STDERR, TSN_LOG_WARNING);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	CU_pSuite suite = CU_add_suite("ptp", NULL, NULL);
	if (!suite) {
		CU_cleanup_registry();
		return 1;
	}
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (!CU_add_test(suite, tests[i].name, tests[i].fn)) {
			CU_cleanup_registry();
			return 1;
		}
	}
	return tu_run_tests();
}
