/* SPDX-License-Identifier: GPL-2.0-only */
/* test_prom.c — the Prometheus renderer (lib/prom.c): exact text for given answers,
 * label escaping, histograms, stable order, and every output checked by the strict
 * exposition-format checker of prom_lint.h (which is tested here too). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <json.h>

#include "prom_lint.h"
#include "test_util.h"
#include "tsn/prom.h"

/* Answers shaped as docs/control-protocol.md shows them. */
static const char full_answers[] =
	"{\"status\":{\"daemon\":{\"version\":\"0.1.0\",\"pid\":812,\"uptime_s\":3600,"
	"\"started\":\"2025-05-01T11:00:00Z\"},"
	"\"config\":{\"file\":\"/etc/tsnd/tsnd.yaml\",\"generation\":3,\"loaded\":\"2025-05-01T11:40:00Z\","
	"\"warnings\":0,\"last_reload\":{\"time\":\"2025-05-01T11:40:00Z\",\"result\":\"ok\",\"message\":\"x\"}},"
	"\"ports\":[{\"name\":\"sw0p1\",\"present\":true,\"oper_state\":\"up\",\"speed_mbps\":1000,"
	"\"schedule\":\"configured\",\"schedule_state\":\"applied\",\"xdp\":\"generic\"},"
	"{\"name\":\"sw0p2\",\"present\":false,\"oper_state\":\"absent\",\"speed_mbps\":0,"
	"\"schedule\":\"none\",\"schedule_state\":\"none\",\"xdp\":\"off\"}],"
	"\"subsystems\":{\"dataplane\":{\"state\":\"loaded\",\"ports_attached\":1},"
	"\"ptp\":{\"state\":\"running\",\"sync_state\":\"locked\",\"restarts\":0,\"message\":\"m\"},"
	"\"telemetry\":{\"state\":\"on\",\"residence_time\":true,\"tolerance_ns\":1000,"
	"\"sent_while_closed\":3,\"waited_over_cycle\":1,\"ports\":[{\"name\":\"sw0p1\",\"scheduled\":true,"
	"\"classes\":[{\"class\":0,\"sent_while_closed\":0,\"waited_over_cycle\":0},"
	"{\"class\":1,\"sent_while_closed\":3,\"waited_over_cycle\":1}]}]}}},"
	"\"port.show\":{\"ports\":[{\"name\":\"sw0p1\",\"xdp\":{\"mode\":\"generic\",\"attached\":true,"
	"\"counters\":{\"ipv6\":{\"packets\":10,\"bytes\":1240},\"ptp\":{\"packets\":3,\"bytes\":258}},"
	"\"forwarding\":{\"redirect\":8,\"to_qdisc\":0,\"drop\":1},"
	"\"tc\":{\"redirected\":0,\"priority\":2,\"redirect_failed\":0}}},"
	"{\"name\":\"sw0p2\",\"xdp\":{\"mode\":\"off\",\"attached\":false}}]},"
	"\"class.stats\":{\"ports\":[{\"name\":\"sw0p1\",\"attached\":true,\"scheduled\":true,\"classes\":["
	"{\"class\":0,\"priorities\":[0,1],\"scheduled\":false,\"packets\":120,\"bytes\":14400,\"drops\":0},"
	"{\"class\":1,\"priorities\":[2],\"scheduled\":true,\"packets\":18446744073709551615,"
	"\"bytes\":9223372036854775808,\"drops\":2}]}]},"
	"\"stream.show\":{\"streams\":[{\"id\":10,\"name\":\"sensor\",\"counters\":{\"packets\":20,"
	"\"bytes\":3240,\"drops\":0}},{\"id\":11,\"name\":\"idle\",\"counters\":null}]},"
	"\"filter.show\":{\"filters\":[{\"id\":1,\"name\":\"metered\",\"counters\":{\"matched\":20,\"passed\":6,"
	"\"max_sdu\":0,\"gate_closed\":0,\"red\":14,\"yellow\":0,\"demoted\":0}}]},"
	"\"ptp.status\":{\"enabled\":true,\"sync\":{\"state\":\"locked\",\"within_threshold_ns\":8120000000,"
	"\"last_sample_age_ms\":310},\"grandmaster\":{\"identity\":\"4ab8e2.fffe.5049c8\",\"is_self\":false},"
	"\"current\":{\"offset_ns\":-312,\"mean_path_delay_ns\":1708,\"steps_removed\":1},"
	"\"time_status\":{\"master_offset_ns\":-312},\"utc\":{\"offset_s\":37},"
	"\"offset_window\":{\"window_s\":60,\"samples\":0,\"min_ns\":null,\"max_ns\":null,\"mean_ns\":null},"
	"\"ports\":[{\"name\":\"sw0p1\",\"state\":\"UNCALIBRATED\"},{\"name\":\"sw0p2\",\"state\":\"WEIRD\"}],"
	"\"processes\":{\"ptp4l\":{\"state\":\"running\",\"restarts\":1},"
	"\"phc2sys\":{\"state\":\"not-needed\",\"restarts\":0}},"
	"\"management\":{\"timeouts\":0,\"rejected\":4}},"
	"\"schedule.show\":{\"ports\":[{\"name\":\"sw0p1\",\"configured\":true,\"kernel\":{"
	"\"oper\":{\"base_time_ns\":1700000001000000000,\"cycle_time_ns\":1000000,\"entries\":[{},{}]},"
	"\"admin\":{\"base_time_ns\":1700000002000000000,\"cycle_time_ns\":1000000,\"entries\":[{}]}},"
	"\"base_time_ns\":1700000002000000000},"
	"{\"name\":\"sw0p2\",\"configured\":false,\"kernel\":null,\"base_time_ns\":null}]},"
	"\"latency.show\":{\"state\":\"on\",\"totals\":{\"stamped\":1200,\"measured\":1180,\"fast_path\":0,"
	"\"unmatched\":20},\"ports\":[{\"name\":\"sw0p1\",\"classes\":[{\"class\":1,\"count\":10,"
	"\"mean_ns\":2500,\"buckets\":[[1023,2],[4095,5],[16383,2]]}]}],"
	"\"streams\":[{\"id\":10,\"count\":3,\"sum_ns\":9000,\"mean_ns\":3000,"
	"\"buckets\":[[5119,2],[-1,1]]}]}}";

static char *render_str(const char *json, size_t *len)
{
	json_object *a = json_tokener_parse(json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	char *text = tsn_prom_render(a, len);
	json_object_put(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	return text;
}

static void assert_lint_ok(const char *text, size_t len)
{
	char err[512];
	int rc = prom_lint(text, len, NULL, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "\n  prom_lint: %s\n", err);
	CU_ASSERT_EQUAL(rc, 0);
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define ASSERT_LINE(text, line)                                            \
	do {                                                               \
		if (!has_line(text, line))                                 \
			fprintf(stderr, "\n  missing line: %s\n", line);   \
		CU_ASSERT(has_line(text, line));                           \
	} while (0)

/* ---- the checker can fail ---- */

static void test_lint_rejects(void)
{
	static const char *const bad[] = {
		"x 1\n",						/* no TYPE */
		"# TYPE x gauge\nx 1",					/* no final newline */
		"# TYPE x gauge\n\nx 1\n",				/* blank line */
		"# TYPE x gauge\n# TYPE x gauge\nx 1\n",		/* TYPE twice */
		"# TYPE x gauge\nx 1\n# HELP x late\n",		/* HELP after TYPE */
		"# TYPE x gauge\nx{a=\"1\\t\"} 1\n",			/* bad escape */
		"# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1\n",		/* label twice */
		"# TYPE x gauge\nx{__a=\"1\"} 1\n",			/* reserved label */
		"# TYPE x gauge\nx{1a=\"1\"} 1\n",			/* bad label name */
		"# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n",	/* series twice */
		"# TYPE x gauge\nx 0x10\n",				/* hex value */
		"# TYPE x gauge\nx 1 1700000000\n",			/* timestamp */
		"# TYPE x gauge\nx  1\n",				/* two spaces */
		"# TYPE x_total counter\nx_total -1\n",		/* negative counter */
		"# TYPE x counter\nx 1\n",				/* counter without _total */
		"# TYPE x gauge\n# TYPE y gauge\nx 1\n",		/* family comes back */
		"# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx{a=\"b\"} 1\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
		"h_sum 3\nh_count 2\n",					/* not cumulative */
		"# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
		"h_sum 3\nh_count 2\n",					/* le falls */
		"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 3\nh_count 1\n",	/* no +Inf */
		"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 3\n",	/* count differs */
		"# TYPE h histogram\nh 1\n",				/* bare histogram sample */
		"# TYPE x gauge\n# comment\nx 1\n",			/* other comment */
		"# TYPE x gauges\nx 1\n",				/* unknown type */
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = prom_lint(bad[i], strlen(bad[i]), NULL, err, sizeof(err));
		if (rc == 0)
			fprintf(stderr, "\n  accepted: %s\n", bad[i]);
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT(err[0] != '\0');
	}
	static const char good[] =
		"# HELP x a \\\\ help\\n text\n# TYPE x gauge\nx{a=\"q\\\"\\\\\\n\",b=\"\"} -1.5e-07\nx NaN\n"
		"# TYPE h histogram\nh_bucket{p=\"1\",le=\"0.5\"} 1\nh_bucket{p=\"1\",le=\"+Inf\"} 1\n"
		"h_sum{p=\"1\"} 0.2\nh_count{p=\"1\"} 1\n# TYPE c_total counter\nc_total +Inf\n";
	size_t fams = 0;
	CU_ASSERT_EQUAL(prom_lint(good, strlen(good), &fams, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fams, 3);
}

/* ---- exact text ---- */

static void test_exact_text(void)
{
	static const char in[] =
		"{\"status\":{\"daemon\":{\"version\":\"0.1.0\",\"uptime_s\":42},"
		"\"config\":{\"generation\":2,\"warnings\":1,\"last_reload\":{\"time\":\"2026-11-22T12:00:00Z\","
		"\"result\":\"apply-failed\",\"message\":\"no\"}},\"ports\":[],"
		"\"subsystems\":{\"dataplane\":{\"state\":\"unavailable\",\"ports_attached\":0},"
		"\"ptp\":{\"state\":\"disabled\",\"sync_state\":\"disabled\"}}},"
		"\"filter.show\":{\"filters\":[{\"name\":\"f1\",\"counters\":{\"matched\":5,\"passed\":3,"
		"\"max_sdu\":1,\"gate_closed\":0,\"red\":1,\"yellow\":0,\"demoted\":0}}]}}";
	static const char want[] =
		"# HELP tsnd_build_info tsnd's version in the label; always 1\n"
		"# TYPE tsnd_build_info gauge\n"
		"tsnd_build_info{version=\"0.1.0\"} 1\n"
		"# HELP tsnd_uptime_seconds Seconds since tsnd started\n"
		"# TYPE tsnd_uptime_seconds gauge\n"
		"tsnd_uptime_seconds 42\n"
		"# HELP tsnd_config_generation Generation of the running configuration: 1 at start, +1 per "
		"successful reload\n"
		"# TYPE tsnd_config_generation gauge\n"
		"tsnd_config_generation 2\n"
		"# HELP tsnd_config_warnings Warnings of the running configuration\n"
		"# TYPE tsnd_config_warnings gauge\n"
		"tsnd_config_warnings 1\n"
		"# HELP tsnd_config_last_reload_success 1 if the latest reload succeeded, 0 if it failed "
		"(absent before the first reload)\n"
		"# TYPE tsnd_config_last_reload_success gauge\n"
		"tsnd_config_last_reload_success 0\n"
		"# HELP tsnd_config_last_reload_timestamp_seconds When the latest reload ran, in seconds since "
		"the Unix epoch\n"
		"# TYPE tsnd_config_last_reload_timestamp_seconds gauge\n"
		"tsnd_config_last_reload_timestamp_seconds 1795348800\n"
		"# HELP tsnd_dataplane_loaded 1 if the XDP/tc programs are loaded\n"
		"# TYPE tsnd_dataplane_loaded gauge\n"
		"tsnd_dataplane_loaded 0\n"
		"# HELP tsnd_dataplane_ports_attached Ports with the XDP program attached\n"
		"# TYPE tsnd_dataplane_ports_attached gauge\n"
		"tsnd_dataplane_ports_attached 0\n"
		"# HELP tsnd_ptp_sync_state Time sync state: 1 for the current state\n"
		"# TYPE tsnd_ptp_sync_state gauge\n"
		"tsnd_ptp_sync_state{state=\"locked\"} 0\n"
		"tsnd_ptp_sync_state{state=\"locking\"} 0\n"
		"tsnd_ptp_sync_state{state=\"holdover\"} 0\n"
		"tsnd_ptp_sync_state{state=\"free-running\"} 0\n"
		"tsnd_ptp_sync_state{state=\"fault\"} 0\n"
		"tsnd_ptp_sync_state{state=\"disabled\"} 1\n"
		"# HELP tsnd_filter_matched_total Frames of the streams bound to the stream filter\n"
		"# TYPE tsnd_filter_matched_total counter\n"
		"tsnd_filter_matched_total{filter=\"f1\"} 5\n"
		"# HELP tsnd_filter_passed_total Frames the stream filter passed\n"
		"# TYPE tsnd_filter_passed_total counter\n"
		"tsnd_filter_passed_total{filter=\"f1\"} 3\n"
		"# HELP tsnd_filter_max_sdu_exceeded_total Frames dropped for being larger than the filter's "
		"max SDU\n"
		"# TYPE tsnd_filter_max_sdu_exceeded_total counter\n"
		"tsnd_filter_max_sdu_exceeded_total{filter=\"f1\"} 1\n"
		"# HELP tsnd_filter_gate_closed_total Frames dropped because the filter's stream gate was closed\n"
		"# TYPE tsnd_filter_gate_closed_total counter\n"
		"tsnd_filter_gate_closed_total{filter=\"f1\"} 0\n"
		"# HELP tsnd_filter_meter_red_total Frames over the flow meter's rates (dropped, or demoted with "
		"on-exceed: demote)\n"
		"# TYPE tsnd_filter_meter_red_total counter\n"
		"tsnd_filter_meter_red_total{filter=\"f1\"} 1\n"
		"# HELP tsnd_filter_meter_yellow_total Frames passed on the meter's excess rate\n"
		"# TYPE tsnd_filter_meter_yellow_total counter\n"
		"tsnd_filter_meter_yellow_total{filter=\"f1\"} 0\n"
		"# HELP tsnd_filter_meter_demoted_total Red frames passed at the demote priority\n"
		"# TYPE tsnd_filter_meter_demoted_total counter\n"
		"tsnd_filter_meter_demoted_total{filter=\"f1\"} 0\n";
	size_t len;
	char *text = render_str(in, &len);

	CU_ASSERT_EQUAL(len, strlen(text));
	if (strcmp(text, want) != 0)
		fprintf(stderr, "\n  got:\n%s\n", text);
	CU_ASSERT_STRING_EQUAL(text, want);
	assert_lint_ok(text, len);
	free(text);
}

/* The full answers: valid text, and the values that need conversion. */
static void test_full_answers(void)
{
	size_t len, fams = 0;
	char err[512];
	char *text = render_str(full_answers, &len);

	CU_ASSERT_EQUAL(prom_lint(text, len, &fams, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "\n  prom_lint: %s\n", err);
	CU_ASSERT(fams >= 50);
	/* nanoseconds to exact decimal seconds, milliseconds too */
	ASSERT_LINE(text, "tsnd_ptp_offset_seconds -0.000000312");
	ASSERT_LINE(text, "tsnd_ptp_mean_path_delay_seconds 0.000001708");
	ASSERT_LINE(text, "tsnd_ptp_within_threshold_seconds 8.12");
	ASSERT_LINE(text, "tsnd_ptp_last_sample_age_seconds 0.31");
	ASSERT_LINE(text, "tsnd_schedule_kernel_base_time_seconds{port=\"sw0p1\",schedule=\"admin\"} 1700000002");
	ASSERT_LINE(text, "tsnd_schedule_kernel_cycle_time_seconds{port=\"sw0p1\",schedule=\"oper\"} 0.001");
	ASSERT_LINE(text, "tsnd_schedule_kernel_entries{port=\"sw0p1\",schedule=\"oper\"} 2");
	ASSERT_LINE(text, "tsnd_schedule_configured{port=\"sw0p2\"} 0");
	/* 64-bit counters exactly, not through a double */
	ASSERT_LINE(text, "tsnd_class_packets_total{port=\"sw0p1\",class=\"1\"} 18446744073709551615");
	ASSERT_LINE(text, "tsnd_class_bytes_total{port=\"sw0p1\",class=\"1\"} 9223372036854775808");
	ASSERT_LINE(text, "tsnd_port_speed_bytes_per_second{port=\"sw0p1\"} 125000000");
	ASSERT_LINE(text, "tsnd_port_up{port=\"sw0p2\"} 0");
	ASSERT_LINE(text, "tsnd_port_schedule_state{port=\"sw0p2\",state=\"none\"} 1");
	ASSERT_LINE(text, "tsnd_port_rx_packets_total{port=\"sw0p1\",kind=\"ptp\"} 3");
	ASSERT_LINE(text, "tsnd_port_xdp_actions_total{port=\"sw0p1\",action=\"drop\"} 1");
	ASSERT_LINE(text, "tsnd_port_xdp_attached{port=\"sw0p2\"} 0");
	ASSERT_LINE(text, "tsnd_stream_packets_total{stream=\"10\",name=\"sensor\"} 20");
	ASSERT_LINE(text, "tsnd_filter_meter_red_total{filter=\"metered\"} 14");
	ASSERT_LINE(text, "tsnd_ptp_port_state{port=\"sw0p1\",state=\"UNCALIBRATED\"} 1");
	ASSERT_LINE(text, "tsnd_ptp_port_state{port=\"sw0p2\",state=\"WEIRD\"} 1");	/* unknown state kept */
	ASSERT_LINE(text, "tsnd_ptp_process_running{process=\"phc2sys\"} 0");
	ASSERT_LINE(text, "tsnd_ptp_management_rejected_total 4");
	/* null counters and an empty window give no samples, not zeros */
	CU_ASSERT_PTR_NULL(strstr(text, "stream=\"11\""));
	CU_ASSERT_PTR_NULL(strstr(text, "tsnd_ptp_offset_window_min_seconds "));
	ASSERT_LINE(text, "tsnd_ptp_offset_window_samples 0");
	free(text);
}

static void test_histogram(void)
{
	size_t len;
	char *text = render_str(full_answers, &len);
	/* Fine buckets folded into powers of two (le = 2^k - 1 ns), cumulative. */
	static const char want[] =
		"# HELP tsnd_residence_time_seconds Residence time from XDP ingress to the egress driver, by "
		"egress port and class\n"
		"# TYPE tsnd_residence_time_seconds histogram\n"
		"tsnd_residence_time_seconds_bucket{port=\"sw0p1\",class=\"1\",le=\"0.000000511\"} 0\n"
		"tsnd_residence_time_seconds_bucket{port=\"sw0p1\",class=\"1\",le=\"0.000001023\"} 2\n"
		"tsnd_residence_time_seconds_bucket{port=\"sw0p1\",class=\"1\",le=\"0.000002047\"} 2\n"
		"tsnd_residence_time_seconds_bucket{port=\"sw0p1\",class=\"1\",le=\"0.000004095\"} 7\n"
		"tsnd_residence_time_seconds_bucket{port=\"sw0p1\",class=\"1\",le=\"0.000008191\"} 7\n"
		"tsnd_residence_time_seconds_bucket{port=\"sw0p1\",class=\"1\",le=\"0.000016383\"} 9\n"
		"tsnd_residence_time_seconds_bucket{port=\"sw0p1\",class=\"1\",le=\"0.000032767\"} 9\n";
	CU_ASSERT_PTR_NOT_NULL(strstr(text, want));
	ASSERT_LINE(text, "tsnd_residence_time_seconds_bucket{port=\"sw0p1\",class=\"1\",le=\"4.294967295\"} 9");
	ASSERT_LINE(text, "tsnd_residence_time_seconds_bucket{port=\"sw0p1\",class=\"1\",le=\"+Inf\"} 10");
	/* no sum_ns: mean x count */
	ASSERT_LINE(text, "tsnd_residence_time_seconds_sum{port=\"sw0p1\",class=\"1\"} 0.000025");
	ASSERT_LINE(text, "tsnd_residence_time_seconds_count{port=\"sw0p1\",class=\"1\"} 10");
	/* 24 bounds and +Inf, _sum, _count */
	size_t buckets = 0;
	for (const char *q = text; (q = strstr(q, "tsnd_residence_time_seconds_bucket{")); q++)
		buckets++;
	CU_ASSERT_EQUAL(buckets, 25);
	/* A stream: 5119 ns lands in le 8191 ns, the overflow bucket [-1, n] only in +Inf. */
	ASSERT_LINE(text, "tsnd_stream_residence_time_seconds_bucket{stream=\"10\",le=\"0.000004095\"} 0");
	ASSERT_LINE(text, "tsnd_stream_residence_time_seconds_bucket{stream=\"10\",le=\"0.000008191\"} 2");
	ASSERT_LINE(text, "tsnd_stream_residence_time_seconds_bucket{stream=\"10\",le=\"4.294967295\"} 2");
	ASSERT_LINE(text, "tsnd_stream_residence_time_seconds_bucket{stream=\"10\",le=\"+Inf\"} 3");
	ASSERT_LINE(text, "tsnd_stream_residence_time_seconds_sum{stream=\"10\"} 0.000009");
	ASSERT_LINE(text, "tsnd_residence_unmatched_total 20");
	ASSERT_LINE(text, "tsnd_gate_sent_while_closed_total{port=\"sw0p1\",class=\"1\"} 3");
	ASSERT_LINE(text, "tsnd_gate_waited_over_cycle_total{port=\"sw0p1\",class=\"0\"} 0");
	ASSERT_LINE(text, "tsnd_telemetry_state{state=\"on\"} 1");
	free(text);

	/* Buckets summing past the count (per-CPU reads racing): +Inf and _count are
	 * raised to the cumulative count, so the text stays valid. */
	static const char racy[] =
		"{\"latency.show\":{\"ports\":[{\"name\":\"a\",\"classes\":[{\"class\":0,\"count\":3,"
		"\"sum_ns\":7,\"buckets\":[[5,2],[10,2]]}]}]}}";
	text = render_str(racy, &len);
	assert_lint_ok(text, len);
	ASSERT_LINE(text, "tsnd_residence_time_seconds_bucket{port=\"a\",class=\"0\",le=\"0.000000511\"} 4");
	ASSERT_LINE(text, "tsnd_residence_time_seconds_bucket{port=\"a\",class=\"0\",le=\"+Inf\"} 4");
	ASSERT_LINE(text, "tsnd_residence_time_seconds_count{port=\"a\",class=\"0\"} 4");
	ASSERT_LINE(text, "tsnd_residence_time_seconds_sum{port=\"a\",class=\"0\"} 0.000000007");
	free(text);
}

/* ---- label escaping ---- */

static void test_escaping(void)
{
	char out[64];

	CU_ASSERT_EQUAL(tsn_prom_escape_label("a\\b\"c\nd", out, sizeof(out)), 10);
	CU_ASSERT_STRING_EQUAL(out, "a\\\\b\\\"c\\nd");
	CU_ASSERT_EQUAL(tsn_prom_escape_label("", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(tsn_prom_escape_label("tab\there", out, sizeof(out)), 8);	/* only three escapes */
	CU_ASSERT_EQUAL(tsn_prom_escape_label("\"\"\"", out, 6), (size_t)-1);	/* needs 7 bytes */
	CU_ASSERT_EQUAL(tsn_prom_escape_label("\"\"\"", out, 7), 6);

	static const char in[] =
		"{\"stream.show\":{\"streams\":[{\"id\":7,\"name\":\"a\\\"b\\\\c\\nd}\",\"counters\":"
		"{\"packets\":1,\"bytes\":2,\"drops\":0}}]},"
		"\"filter.show\":{\"filters\":[{\"name\":\"x=\\\"1\\\",y\",\"counters\":{\"matched\":1}}]}}";
	size_t len;
	char *text = render_str(in, &len);
	ASSERT_LINE(text, "tsnd_stream_packets_total{stream=\"7\",name=\"a\\\"b\\\\c\\nd}\"} 1");
	ASSERT_LINE(text, "tsnd_filter_matched_total{filter=\"x=\\\"1\\\",y\"} 1");
	assert_lint_ok(text, len);
	free(text);
}

/* ---- stable order ---- */

static void test_stable_order(void)
{
	json_object *a = json_tokener_parse(full_answers), *b = json_object_new_object();
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	/* The same answers inserted in reverse order: the same text. */
	const char *keys[16];
	size_t n = 0;
	json_object_object_foreach(a, k, v) {
		(void)v;
		keys[n++] = k;
	}
	while (n--) {
		json_object *answer;
		json_object_object_get_ex(a, keys[n], &answer);
		json_object_object_add(b, keys[n], json_object_get(answer));
	}
	char *ta = tsn_prom_render(a, NULL), *tb = tsn_prom_render(b, NULL), *tc = tsn_prom_render(a, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ta);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tb);
	CU_ASSERT_STRING_EQUAL(ta, tb);
	CU_ASSERT_STRING_EQUAL(ta, tc);
	/* Families in the documented order: status before ports before classes ... */
	const char *order[] = { "# TYPE tsnd_build_info", "# TYPE tsnd_port_present", "# TYPE tsnd_ptp_sync_state",
				"# TYPE tsnd_port_rx_packets_total", "# TYPE tsnd_class_packets_total",
				"# TYPE tsnd_residence_time_seconds", "# TYPE tsnd_stream_packets_total",
				"# TYPE tsnd_filter_matched_total", "# TYPE tsnd_ptp_offset_seconds",
				"# TYPE tsnd_schedule_configured" };
	const char *prev = ta;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *at = strstr(ta, order[i]);
		CU_ASSERT_PTR_NOT_NULL(at);
		CU_ASSERT(at && at > prev);
		if (at)
			prev = at;
	}
	/* Samples keep the answers' order: sw0p1 before sw0p2. */
	CU_ASSERT(strstr(ta, "tsnd_port_up{port=\"sw0p1\"}") < strstr(ta, "tsnd_port_up{port=\"sw0p2\"}"));
	free(ta);
	free(tb);
	free(tc);
	json_object_put(a);
	json_object_put(b);
}

/* ---- what does not fit ---- */

static void test_missing_and_garbage(void)
{
	size_t len = 99;
	char *text = render_str("{}", &len);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_STRING_EQUAL(text, "");
	free(text);

	/* Failed commands (null), wrong types, missing fields: fewer samples, never
	 * invalid text. */
	static const char garbage[] =
		"{\"status\":null,\"port.show\":[1,2],\"class.stats\":{\"ports\":{\"a\":1}},"
		"\"stream.show\":{\"streams\":[{\"id\":\"x\"},{\"name\":\"noid\"},7,null]},"
		"\"filter.show\":{\"filters\":[{\"counters\":{\"matched\":\"many\",\"passed\":1.5,"
		"\"red\":true}}]},"
		"\"ptp.status\":{\"current\":{\"offset_ns\":1.5e3},\"sync\":{\"last_sample_age_ms\":\"soon\"}},"
		"\"latency.show\":{\"ports\":[{\"name\":\"p\",\"classes\":[{\"class\":0,\"count\":null}]},"
		"{\"name\":\"q\",\"classes\":[{\"count\":1,\"buckets\":[[\"x\",1],null,[5],[3,-1]]}]}]},"
		"\"unknown.command\":{\"x\":1}}";
	text = render_str(garbage, &len);
	assert_lint_ok(text, len);
	ASSERT_LINE(text, "tsnd_filter_passed_total{filter=\"\"} 1.5");
	ASSERT_LINE(text, "tsnd_filter_meter_red_total{filter=\"\"} 1");
	ASSERT_LINE(text, "tsnd_ptp_offset_seconds 1.5e-06");
	CU_ASSERT_PTR_NULL(strstr(text, "tsnd_filter_matched_total{"));
	CU_ASSERT_PTR_NULL(strstr(text, "tsnd_stream_"));
	CU_ASSERT_PTR_NULL(strstr(text, "port=\"p\""));
	ASSERT_LINE(text, "tsnd_residence_time_seconds_bucket{port=\"q\",le=\"+Inf\"} 1");
	free(text);
}

/* ---- the sample iterator (tsnctl's table) ---- */

struct count_arg {
	size_t samples, histogram_samples;
	char first[128];
};

static void count_sample(void *arg, const char *family, enum tsn_prom_type type, const char *name,
			 const char *labels, const char *value)
{
	struct count_arg *c = arg;
	(void)family;
	(void)value;
	if (!c->samples)
		snprintf(c->first, sizeof(c->first), "%s{%s}", name, labels);
	c->samples++;
	c->histogram_samples += type == TSN_PROM_HISTOGRAM;
}

static void test_foreach(void)
{
	json_object *a = json_tokener_parse(full_answers);
	struct tsn_prom *p = tsn_prom_build(a);
	struct count_arg c = { 0 };
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	tsn_prom_foreach(p, count_sample, &c);
	char *text = tsn_prom_text(p, &len);
	size_t lines = 0, comments = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	for (const char *q = text; (q = strstr(q, "\n#")); q++)
		comments++;
	comments += text[0] == '#';
	CU_ASSERT_EQUAL(c.samples, lines - comments);
	CU_ASSERT_EQUAL(c.histogram_samples, 2 * 27);
	CU_ASSERT_STRING_EQUAL(c.first, "tsnd_build_info{version=\"0.1.0\"}");
	free(text);
	tsn_prom_free(p);
	json_object_put(a);
}

int main(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "lint_rejects", test_lint_rejects },
		{ "exact_text", test_exact_text },
		{ "full_answers", test_full_answers },
		{ "histogram", test_histogram },
		{ "escaping", test_escaping },
		{ "stable_order", test_stable_order },
		{ "missing_and_garbage", test_missing_and_garbage },
		{ "foreach", test_foreach },
	};

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite suite = CU_add_suite("prom", NULL, NULL);
	for (size_t i = 0; suite && i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (!CU_add_test(suite, tests[i].name, tests[i].fn)) {
			CU_cleanup_registry();
			return 1;
		}
	}
	return tu_run_tests();
}
