/* SPDX-License-Identifier: GPL-2.0-only */
/* prom.c — control-protocol answers to Prometheus text exposition format 0.0.4
 * (API in include/tsn/prom.h, metric reference in docs/metrics.md).
 *
 * Every family is declared once in the table below, with its type and help; the
 * table's order is the output order.  Builders add samples by family index; a
 * family without samples is left out of the text.  Names follow Prometheus'
 * conventions: a tsnd_ prefix, base units in the name (_seconds, _bytes), _total
 * on counters; states are "state sets" (one sample per state, 1 for the current
 * one), so a dashboard can graph and alert on them without string matching. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsn/prom.h"

const char *const tsn_prom_commands[] = {
	"status", "port.show", "class.stats", "stream.show", "filter.show", "ptp.status",
	"schedule.show", "latency.show", "bridge.show", "frer.show", NULL,
};

/* ---- the families ---- */

enum fam {
	/* status */
	F_BUILD_INFO, F_UPTIME, F_GENERATION, F_WARNINGS, F_RELOAD_OK, F_RELOAD_TIME,
	F_PORT_PRESENT, F_PORT_UP, F_PORT_SPEED, F_PORT_SCHED_STATE,
	F_DP_LOADED, F_DP_ATTACHED, F_PTP_SYNC_STATE,
	/* port.show */
	F_PORT_XDP_ATTACHED, F_PORT_RX_PACKETS, F_PORT_RX_BYTES, F_PORT_XDP_ACTIONS, F_PORT_TC,
	/* class.stats */
	F_CLASS_PACKETS, F_CLASS_BYTES, F_CLASS_DROPS, F_CLASS_SCHEDULED,
	/* telemetry (status, latency.show): gate conformance, residence time */
	F_TELE_STATE, F_GATE_CLOSED_SENT, F_GATE_OVER_CYCLE, F_RESIDENCE, F_STREAM_RESIDENCE,
	F_RES_STAMPED, F_RES_MEASURED, F_RES_FAST_PATH, F_RES_UNMATCHED,
	/* stream.show */
	F_STREAM_PACKETS, F_STREAM_BYTES, F_STREAM_DROPS,
	/* filter.show */
	F_FILTER_MATCHED, F_FILTER_PASSED, F_FILTER_MAX_SDU, F_FILTER_GATE_CLOSED, F_FILTER_RED,
	F_FILTER_YELLOW, F_FILTER_DEMOTED,
	/* ptp.status */
	F_PTP_OFFSET, F_PTP_PATH_DELAY, F_PTP_STEPS, F_PTP_MASTER_OFFSET, F_PTP_WIN_MIN, F_PTP_WIN_MAX,
	F_PTP_WIN_MEAN, F_PTP_WIN_SAMPLES, F_PTP_WITHIN, F_PTP_SAMPLE_AGE, F_PTP_GM_INFO, F_PTP_GM_SELF,
	F_PTP_UTC_OFFSET, F_PTP_PORT_STATE, F_PTP_PROC_RUNNING, F_PTP_PROC_RESTARTS, F_PTP_MGMT_TIMEOUTS,
	F_PTP_MGMT_REJECTED,
	/* schedule.show */
	F_SCHED_CONFIGURED, F_SCHED_BASE_TIME, F_SCHED_K_BASE_TIME, F_SCHED_K_CYCLE, F_SCHED_K_ENTRIES,
	F_SCHED_RECOVERIES,
	/* bridge.show */
	F_BRIDGE_PRESENT, F_BRIDGE_PORTS, F_BRIDGE_FDB, F_BRIDGE_DRIFT, F_BRIDGE_DRIFT_EVENTS,
	/* frer.show (802.1CB): per stream, then per port */
	F_FRER_PASSED, F_FRER_DISCARDED, F_FRER_OUT_OF_ORDER, F_FRER_ROGUE, F_FRER_LOST, F_FRER_TAGLESS,
	F_FRER_RESETS, F_FRER_LATENT_ERRORS, F_FRER_GENERATED, F_FRER_REPLICATED,
	F_FRER_PORT_PASSED, F_FRER_PORT_DISCARDED, F_FRER_PORT_OUT_OF_ORDER, F_FRER_PORT_ROGUE, F_FRER_PORT_LOST,
	F_FRER_PORT_TAGLESS, F_FRER_PORT_RESETS, F_FRER_PORT_LATENT_ERRORS, F_FRER_PORT_GENERATED,
	F_FRER_PORT_REPLICATED, F_FRER_LATENT_EVENTS,
	F_COUNT
};

#define C TSN_PROM_COUNTER
#define G TSN_PROM_GAUGE
#define H TSN_PROM_HISTOGRAM
/* 802.1CB's frerCpsSeqRcvy... counters, per stream and per port (docs/frer.md). */
#define FRER_FAMS(F, P, key, text) \
	[F] = { "tsnd_frer_" key "_total", C, text " (per stream, 802.1CB)" }, \
	[P] = { "tsnd_frer_port_" key "_total", C, text " (per port, 802.1CB)" }
static const struct {
	const char *name;
	enum tsn_prom_type type;
	const char *help;
} fams[F_COUNT] = {
	FRER_FAMS(F_FRER_PASSED, F_FRER_PORT_PASSED, "passed_packets", "Frames the sequence recovery passed"),
	FRER_FAMS(F_FRER_DISCARDED, F_FRER_PORT_DISCARDED, "discarded_packets", "Duplicates eliminated"),
	FRER_FAMS(F_FRER_OUT_OF_ORDER, F_FRER_PORT_OUT_OF_ORDER, "out_of_order_packets",
		  "Frames passed out of sequence order"),
	FRER_FAMS(F_FRER_ROGUE, F_FRER_PORT_ROGUE, "rogue_packets", "Frames dropped outside the history"),
	FRER_FAMS(F_FRER_LOST, F_FRER_PORT_LOST, "lost_packets", "Sequence numbers that never arrived"),
	FRER_FAMS(F_FRER_TAGLESS, F_FRER_PORT_TAGLESS, "tagless_packets", "Frames without an R-TAG at recovery"),
	FRER_FAMS(F_FRER_RESETS, F_FRER_PORT_RESETS, "resets", "Sequence recovery resets (reset timeout)"),
	FRER_FAMS(F_FRER_LATENT_ERRORS, F_FRER_PORT_LATENT_ERRORS, "latent_errors", "Latent errors detected"),
	FRER_FAMS(F_FRER_GENERATED, F_FRER_PORT_GENERATED, "generated_packets", "Frames given a sequence number"),
	FRER_FAMS(F_FRER_REPLICATED, F_FRER_PORT_REPLICATED, "replicated_packets", "Copies sent by stream splitting"),
	[F_FRER_LATENT_EVENTS] = { "tsnd_frer_latent_error_events_total", C,
				   "Latent-error events tsnd read from the data plane (and logged)" },
	[F_BUILD_INFO] = { "tsnd_build_info", G, "tsnd's version in the label; always 1" },
	[F_UPTIME] = { "tsnd_uptime_seconds", G, "Seconds since tsnd started" },
	[F_GENERATION] = { "tsnd_config_generation", G,
			   "Generation of the running configuration: 1 at start, +1 per successful reload" },
	[F_WARNINGS] = { "tsnd_config_warnings", G, "Warnings of the running configuration" },
	[F_RELOAD_OK] = { "tsnd_config_last_reload_success", G,
			  "1 if the latest reload succeeded, 0 if it failed (absent before the first reload)" },
	[F_RELOAD_TIME] = { "tsnd_config_last_reload_timestamp_seconds", G,
			    "When the latest reload ran, in seconds since the Unix epoch" },
	[F_PORT_PRESENT] = { "tsnd_port_present", G, "1 if the configured port's interface exists" },
	[F_PORT_UP] = { "tsnd_port_up", G, "1 if the port's operational state is up" },
	[F_PORT_SPEED] = { "tsnd_port_speed_bytes_per_second", G,
			   "Link speed: the configured link-speed, else the driver's (0: unknown)" },
	[F_PORT_SCHED_STATE] = { "tsnd_port_schedule_state", G,
				 "Gate schedule state of the port: 1 for the current state" },
	[F_DP_LOADED] = { "tsnd_dataplane_loaded", G, "1 if the XDP/tc programs are loaded" },
	[F_DP_ATTACHED] = { "tsnd_dataplane_ports_attached", G, "Ports with the XDP program attached" },
	[F_PTP_SYNC_STATE] = { "tsnd_ptp_sync_state", G, "Time sync state: 1 for the current state" },
	[F_PORT_XDP_ATTACHED] = { "tsnd_port_xdp_attached", G, "1 if the port has tsnd's XDP program attached" },
	[F_PORT_RX_PACKETS] = { "tsnd_port_rx_packets_total", C, "Frames received by XDP on the port, by kind" },
	[F_PORT_RX_BYTES] = { "tsnd_port_rx_bytes_total", C, "Bytes received by XDP on the port, by kind" },
	[F_PORT_XDP_ACTIONS] = { "tsnd_port_xdp_actions_total", C,
				 "Frames by the XDP program's verdict, or the reason it passed them to the kernel" },
	[F_PORT_TC] = { "tsnd_port_tc_packets_total", C, "Frames handled by the tc ingress program, by action" },
	[F_CLASS_PACKETS] = { "tsnd_class_packets_total", C, "Frames received on the port, by traffic class" },
	[F_CLASS_BYTES] = { "tsnd_class_bytes_total", C, "Bytes received on the port, by traffic class" },
	[F_CLASS_DROPS] = { "tsnd_class_drops_total", C, "Frames of the traffic class dropped by the data plane" },
	[F_CLASS_SCHEDULED] = { "tsnd_class_scheduled", G,
				"1 if the port's gate schedule closes the class's gate in some entry" },
	[F_TELE_STATE] = { "tsnd_telemetry_state", G,
			   "Residence-time and conformance measurement: 1 for the current state" },
	[F_GATE_CLOSED_SENT] = { "tsnd_gate_sent_while_closed_total", C,
				 "Frames handed to the port's driver while the schedule held their class's gate "
				 "closed (beyond the tolerance)" },
	[F_GATE_OVER_CYCLE] = { "tsnd_gate_waited_over_cycle_total", C,
				"Frames that spent more than one cycle time between ingress and the driver" },
	[F_RESIDENCE] = { "tsnd_residence_time_seconds", H,
			  "Residence time from XDP ingress to the egress driver, by egress port and class" },
	[F_STREAM_RESIDENCE] = { "tsnd_stream_residence_time_seconds", H,
				 "Residence time from XDP ingress to the egress driver, by stream" },
	[F_RES_STAMPED] = { "tsnd_residence_stamped_total", C, "Frames stamped at ingress for residence time" },
	[F_RES_MEASURED] = { "tsnd_residence_measured_total", C, "Residence-time samples taken" },
	[F_RES_FAST_PATH] = { "tsnd_residence_fast_path_total", C,
			      "Frames forwarded by XDP_REDIRECT (they never reach a qdisc; not measured)" },
	[F_RES_UNMATCHED] = { "tsnd_residence_unmatched_total", C,
			      "Transmitted frames whose ingress record was lost" },
	[F_STREAM_PACKETS] = { "tsnd_stream_packets_total", C, "Frames of the identified stream" },
	[F_STREAM_BYTES] = { "tsnd_stream_bytes_total", C, "Bytes of the identified stream" },
	[F_STREAM_DROPS] = { "tsnd_stream_drops_total", C, "Frames of the stream dropped by the data plane" },
	[F_FILTER_MATCHED] = { "tsnd_filter_matched_total", C, "Frames of the streams bound to the stream filter" },
	[F_FILTER_PASSED] = { "tsnd_filter_passed_total", C, "Frames the stream filter passed" },
	[F_FILTER_MAX_SDU] = { "tsnd_filter_max_sdu_exceeded_total", C,
			       "Frames dropped for being larger than the filter's max SDU" },
	[F_FILTER_GATE_CLOSED] = { "tsnd_filter_gate_closed_total", C,
				   "Frames dropped because the filter's stream gate was closed" },
	[F_FILTER_RED] = { "tsnd_filter_meter_red_total", C,
			   "Frames over the flow meter's rates (dropped, or demoted with on-exceed: demote)" },
	[F_FILTER_YELLOW] = { "tsnd_filter_meter_yellow_total", C, "Frames passed on the meter's excess rate" },
	[F_FILTER_DEMOTED] = { "tsnd_filter_meter_demoted_total", C, "Red frames passed at the demote priority" },
	[F_PTP_OFFSET] = { "tsnd_ptp_offset_seconds", G, "Offset from the master (CURRENT_DATA_SET)" },
	[F_PTP_PATH_DELAY] = { "tsnd_ptp_mean_path_delay_seconds", G, "Mean path delay (CURRENT_DATA_SET)" },
	[F_PTP_STEPS] = { "tsnd_ptp_steps_removed", G, "Steps removed from the grandmaster" },
	[F_PTP_MASTER_OFFSET] = { "tsnd_ptp_master_offset_seconds", G,
				  "Offset of the last Sync sample (TIME_STATUS_NP)" },
	[F_PTP_WIN_MIN] = { "tsnd_ptp_offset_window_min_seconds", G, "Smallest master offset in the window" },
	[F_PTP_WIN_MAX] = { "tsnd_ptp_offset_window_max_seconds", G, "Largest master offset in the window" },
	[F_PTP_WIN_MEAN] = { "tsnd_ptp_offset_window_mean_seconds", G, "Mean master offset in the window" },
	[F_PTP_WIN_SAMPLES] = { "tsnd_ptp_offset_window_samples", G, "Sync samples in the offset window" },
	[F_PTP_WITHIN] = { "tsnd_ptp_within_threshold_seconds", G,
			   "How long every sample has been within the lock threshold" },
	[F_PTP_SAMPLE_AGE] = { "tsnd_ptp_last_sample_age_seconds", G, "Age of the newest Sync sample" },
	[F_PTP_GM_INFO] = { "tsnd_ptp_grandmaster_info", G, "The grandmaster's clock identity; always 1" },
	[F_PTP_GM_SELF] = { "tsnd_ptp_grandmaster_is_self", G, "1 if this clock is the grandmaster" },
	[F_PTP_UTC_OFFSET] = { "tsnd_ptp_utc_offset_seconds", G, "TAI - UTC as PTP announces it" },
	[F_PTP_PORT_STATE] = { "tsnd_ptp_port_state", G, "IEEE 1588 state of the PTP port: 1 for the current state" },
	[F_PTP_PROC_RUNNING] = { "tsnd_ptp_process_running", G, "1 if the linuxptp process runs" },
	[F_PTP_PROC_RESTARTS] = { "tsnd_ptp_process_restarts_total", C,
				  "Restarts of the linuxptp process after unexpected exits" },
	[F_PTP_MGMT_TIMEOUTS] = { "tsnd_ptp_management_timeouts_total", C,
				  "Management requests to ptp4l that got no answer" },
	[F_PTP_MGMT_REJECTED] = { "tsnd_ptp_management_rejected_total", C,
				  "Management datagrams tsnd rejected (malformed, or from another socket)" },
	[F_SCHED_CONFIGURED] = { "tsnd_schedule_configured", G, "1 if the port has a gate schedule configured" },
	[F_SCHED_BASE_TIME] = { "tsnd_schedule_base_time_seconds", G,
				"Base time tsnd applied to the port's schedule, on the schedule's clock" },
	[F_SCHED_K_BASE_TIME] = { "tsnd_schedule_kernel_base_time_seconds", G,
				  "Base time of the kernel's oper (running) or admin (pending) schedule" },
	[F_SCHED_K_CYCLE] = { "tsnd_schedule_kernel_cycle_time_seconds", G,
			      "Cycle time of the kernel's oper or admin schedule" },
	[F_SCHED_K_ENTRIES] = { "tsnd_schedule_kernel_entries", G, "Entries of the kernel's oper or admin schedule" },
	[F_SCHED_RECOVERIES] = { "tsnd_schedule_recoveries_total", C,
				 "Re-installations of the port's schedule after its link came back" },
	[F_BRIDGE_PRESENT] = { "tsnd_bridge_present", G, "1 if the configured bridge exists in the kernel" },
	[F_BRIDGE_PORTS] = { "tsnd_bridge_ports", G, "Configured ports enslaved to the bridge" },
	[F_BRIDGE_FDB] = { "tsnd_bridge_fdb_entries", G,
			   "The bridge's filtering entries, by kind (static, learnt, local, multicast)" },
	[F_BRIDGE_DRIFT] = { "tsnd_bridge_drift", G, "1 if the kernel's bridge differs from the configuration" },
	[F_BRIDGE_DRIFT_EVENTS] = { "tsnd_bridge_drift_events_total", C,
				    "Times the kernel's bridge was seen drifting from the configuration" },
};
#undef C
#undef G
#undef H

/* ---- the set of samples ---- */

struct sample {
	enum fam fam;
	const char *suffix;	/* "", "_bucket", "_sum", "_count" */
	char *labels;
	char value[48];
};

struct tsn_prom {
	struct sample *s;
	size_t n, cap;
	bool oom;
};

static void add(struct tsn_prom *p, enum fam f, const char *suffix, const char *labels, const char *value)
{
	if (p->oom)
		return;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct sample *s = realloc(p->s, cap * sizeof(*s));
		if (!s) {
			p->oom = true;
			return;
		}
		p->s = s;
		p->cap = cap;
	}
	struct sample *s = &p->s[p->n];
	s->fam = f;
	s->suffix = suffix;
	s->labels = strdup(labels);
	if (!s->labels) {
		p->oom = true;
		return;
	}
	snprintf(s->value, sizeof(s->value), "%s", value);
	p->n++;
}

/* ---- labels ---- */

size_t tsn_prom_escape_label(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *in; in++) {
		const char *rep = NULL;
		char one[2] = { *in, '\0' };
		if (*in == '\\')
			rep = "\\\\";
		else if (*in == '"')
			rep = "\\\"";
		else if (*in == '\n')
			rep = "\\n";
		else
			rep = one;
		size_t l = strlen(rep);
		if (o + l >= outlen)
			return (size_t)-1;
		memcpy(out + o, rep, l);
		o += l;
	}
	if (o >= outlen)
		return (size_t)-1;
	out[o] = '\0';
	return o;
}

/* Labels of one sample, `a="b",c="d"`; names are ours, values are escaped. */
struct lbl {
	char s[1024];
	size_t n;
};

static struct lbl *lbl_add(struct lbl *l, const char *name, const char *value)
{
	char esc[512];

	if (tsn_prom_escape_label(value ? value : "", esc, sizeof(esc)) == (size_t)-1)
		esc[0] = '\0';	/* longer than any name tsnd allows: leave it empty */
	int w = snprintf(l->s + l->n, sizeof(l->s) - l->n, "%s%s=\"%s\"", l->n ? "," : "", name, esc);
	if (w > 0 && (size_t)w < sizeof(l->s) - l->n)
		l->n += (size_t)w;
	return l;
}

static struct lbl *lbl_copy(struct lbl *dst, const struct lbl *src)
{
	*dst = *src;
	return dst;
}

/* ---- JSON values ---- */

static json_object *jget(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;	/* NULL for a JSON null too */
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool is_int(json_object *v)
{
	return v && json_object_is_type(v, json_type_int);
}

/* An integer exactly as it came (json-c keeps values above INT64_MAX as uint64). */
static bool int_text(json_object *v, char *buf, size_t len)
{
	if (!is_int(v))
		return false;
	int64_t i = json_object_get_int64(v);
	if (i < 0)
		snprintf(buf, len, "%" PRId64, i);
	else
		snprintf(buf, len, "%" PRIu64, json_object_get_uint64(v));
	return true;
}

static void double_text(double d, char *buf, size_t len)
{
	if (isnan(d)) {
		snprintf(buf, len, "NaN");
	} else if (isinf(d)) {
		snprintf(buf, len, "%sInf", d < 0 ? "-" : "+");
	} else {
		/* The shortest of %.15g and %.17g that reads back exactly. */
		snprintf(buf, len, "%.15g", d);
		if (strtod(buf, NULL) != d)
			snprintf(buf, len, "%.17g", d);
	}
}

/* A number of any JSON kind: int, double or bool. */
static bool num_text(json_object *v, char *buf, size_t len)
{
	if (!v)
		return false;
	if (int_text(v, buf, len))
		return true;
	if (json_object_is_type(v, json_type_double)) {
		double_text(json_object_get_double(v), buf, len);
		return true;
	}
	if (json_object_is_type(v, json_type_boolean)) {
		snprintf(buf, len, "%d", json_object_get_boolean(v) ? 1 : 0);
		return true;
	}
	return false;
}

/* An integer count of `unit`s as exact decimal seconds: 1708 ns -> 0.000001708. */
static void scaled_text(uint64_t mag, bool neg, uint64_t per_second, int digits, char *buf, size_t len)
{
	char frac[24];

	snprintf(frac, sizeof(frac), "%0*" PRIu64, digits, mag % per_second);
	for (int i = digits - 1; i >= 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	snprintf(buf, len, "%s%" PRIu64 "%s%s", neg && mag ? "-" : "", mag / per_second, frac[0] ? "." : "", frac);
}

static bool unit_seconds_text(json_object *v, uint64_t per_second, int digits, char *buf, size_t len)
{
	if (v && json_object_is_type(v, json_type_double)) {
		double_text(json_object_get_double(v) / (double)per_second, buf, len);
		return true;
	}
	if (!is_int(v))
		return false;
	int64_t i = json_object_get_int64(v);
	if (i < 0)
		scaled_text((uint64_t)0 - (uint64_t)i, true, per_second, digits, buf, len);
	else
		scaled_text(json_object_get_uint64(v), false, per_second, digits, buf, len);
	return true;
}

static bool ns_text(json_object *v, char *buf, size_t len)
{
	return unit_seconds_text(v, 1000000000ull, 9, buf, len);
}

static bool ms_text(json_object *v, char *buf, size_t len)
{
	return unit_seconds_text(v, 1000ull, 3, buf, len);
}

/* Sample helpers: nothing is added when the value is missing or not a number. */
static void num(struct tsn_prom *p, enum fam f, const struct lbl *l, json_object *v)
{
	char buf[48];
	if (num_text(v, buf, sizeof(buf)))
		add(p, f, "", l ? l->s : "", buf);
}

static void ns(struct tsn_prom *p, enum fam f, const struct lbl *l, json_object *v)
{
	char buf[48];
	if (ns_text(v, buf, sizeof(buf)))
		add(p, f, "", l ? l->s : "", buf);
}

static void flag(struct tsn_prom *p, enum fam f, const struct lbl *l, bool on)
{
	add(p, f, "", l ? l->s : "", on ? "1" : "0");
}

/* A state set: one sample per known state (1 for `current`), plus `current` if it
 * is not among them. */
static void stateset(struct tsn_prom *p, enum fam f, const struct lbl *base, const char *const *states,
		     const char *current)
{
	struct lbl l;
	bool known = false;

	for (const char *const *s = states; *s; s++) {
		bool on = current && strcmp(*s, current) == 0;
		known |= on;
		flag(p, f, lbl_add(lbl_copy(&l, base), "state", *s), on);
	}
	if (current && !known)
		flag(p, f, lbl_add(lbl_copy(&l, base), "state", current), true);
}

static size_t arr_len(json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static json_object *arr_at(json_object *a, size_t i)
{
	return json_object_array_get_idx(a, i);
}

/* "2025-05-01T11:40:00Z" -> seconds since the epoch. */
static bool rfc3339_seconds(const char *s, char *buf, size_t len)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	if (!end || *end)
		return false;
	snprintf(buf, len, "%lld", (long long)timegm(&tm));
	return true;
}

/* ---- status ---- */

static const char *const sched_states[] = { "applied", "held", "drift", "error", "unreadable", "none", NULL };
static const char *const tele_states[] = { "on", "off", "unavailable", NULL };
static const char *const sync_states[] = { "locked", "locking", "holdover", "free-running", "fault",
					   "disabled", NULL };

static void add_status(struct tsn_prom *p, json_object *st)
{
	json_object *daemon = jget(st, "daemon"), *cfg = jget(st, "config"), *subs = jget(st, "subsystems");
	struct lbl none = { "", 0 }, l = none;
	char buf[48];

	if (jstr(daemon, "version"))
		flag(p, F_BUILD_INFO, lbl_add(&l, "version", jstr(daemon, "version")), true);
	num(p, F_UPTIME, NULL, jget(daemon, "uptime_s"));
	num(p, F_GENERATION, NULL, jget(cfg, "generation"));
	num(p, F_WARNINGS, NULL, jget(cfg, "warnings"));
	json_object *lr = jget(cfg, "last_reload");
	if (lr && jstr(lr, "result")) {
		flag(p, F_RELOAD_OK, NULL, strcmp(jstr(lr, "result"), "ok") == 0);
		if (rfc3339_seconds(jstr(lr, "time"), buf, sizeof(buf)))
			add(p, F_RELOAD_TIME, "", "", buf);
	}
	json_object *ports = jget(st, "ports");
	for (size_t i = 0; i < arr_len(ports); i++) {
		json_object *pt = arr_at(ports, i), *v;
		l = none;
		lbl_add(&l, "port", jstr(pt, "name"));
		if ((v = jget(pt, "present")))
			flag(p, F_PORT_PRESENT, &l, json_object_get_boolean(v));
		if (jstr(pt, "oper_state"))
			flag(p, F_PORT_UP, &l, strcmp(jstr(pt, "oper_state"), "up") == 0);
		if (is_int(v = jget(pt, "speed_mbps"))) {
			snprintf(buf, sizeof(buf), "%" PRIu64, json_object_get_uint64(v) * (uint64_t)125000);
			add(p, F_PORT_SPEED, "", l.s, buf);
		}
		if (jstr(pt, "schedule_state"))
			stateset(p, F_PORT_SCHED_STATE, &l, sched_states, jstr(pt, "schedule_state"));
	}
	json_object *dp = jget(subs, "dataplane"), *ptp = jget(subs, "ptp");
	if (jstr(dp, "state"))
		flag(p, F_DP_LOADED, NULL, strcmp(jstr(dp, "state"), "loaded") == 0);
	num(p, F_DP_ATTACHED, NULL, jget(dp, "ports_attached"));
	if (jstr(ptp, "sync_state"))
		stateset(p, F_PTP_SYNC_STATE, &none, sync_states, jstr(ptp, "sync_state"));
	/* Gate conformance (telemetry), per scheduled port and class. */
	json_object *tele = jget(subs, "telemetry");
	if (jstr(tele, "state"))
		stateset(p, F_TELE_STATE, &none, tele_states, jstr(tele, "state"));
	json_object *tports = jget(tele, "ports");
	for (size_t i = 0; i < arr_len(tports); i++) {
		json_object *pt = arr_at(tports, i), *classes = jget(pt, "classes");
		for (size_t j = 0; j < arr_len(classes); j++) {
			json_object *c = arr_at(classes, j);
			l = none;
			lbl_add(&l, "port", jstr(pt, "name"));
			if (int_text(jget(c, "class"), buf, sizeof(buf)))
				lbl_add(&l, "class", buf);
			num(p, F_GATE_CLOSED_SENT, &l, jget(c, "sent_while_closed"));
			num(p, F_GATE_OVER_CYCLE, &l, jget(c, "waited_over_cycle"));
		}
	}
}

/* ---- port.show ---- */

static void add_ports(struct tsn_prom *p, json_object *data)
{
	json_object *ports = jget(data, "ports");

	for (size_t i = 0; i < arr_len(ports); i++) {
		json_object *pt = arr_at(ports, i), *xdp = jget(pt, "xdp"), *v;
		struct lbl port = { "", 0 }, l;
		lbl_add(&port, "port", jstr(pt, "name"));
		if ((v = jget(xdp, "attached")))
			flag(p, F_PORT_XDP_ATTACHED, &port, json_object_get_boolean(v));
		json_object *counters = jget(xdp, "counters");
		if (counters && json_object_is_type(counters, json_type_object)) {
			json_object_object_foreach(counters, kind, c) {
				num(p, F_PORT_RX_PACKETS, lbl_add(lbl_copy(&l, &port), "kind", kind), jget(c, "packets"));
				num(p, F_PORT_RX_BYTES, &l, jget(c, "bytes"));
			}
		}
		json_object *fwd = jget(xdp, "forwarding");
		if (fwd && json_object_is_type(fwd, json_type_object)) {
			json_object_object_foreach(fwd, action, c)
				num(p, F_PORT_XDP_ACTIONS, lbl_add(lbl_copy(&l, &port), "action", action), c);
		}
		json_object *tc = jget(xdp, "tc");
		if (tc && json_object_is_type(tc, json_type_object)) {
			json_object_object_foreach(tc, action, c)
				num(p, F_PORT_TC, lbl_add(lbl_copy(&l, &port), "action", action), c);
		}
	}
}

/* ---- class.stats ---- */

static void add_classes(struct tsn_prom *p, json_object *data)
{
	json_object *ports = jget(data, "ports");
	char buf[24];

	for (size_t i = 0; i < arr_len(ports); i++) {
		json_object *pt = arr_at(ports, i), *classes = jget(pt, "classes");
		for (size_t j = 0; j < arr_len(classes); j++) {
			json_object *c = arr_at(classes, j), *v;
			struct lbl l = { "", 0 };
			lbl_add(&l, "port", jstr(pt, "name"));
			if (int_text(jget(c, "class"), buf, sizeof(buf)))
				lbl_add(&l, "class", buf);
			num(p, F_CLASS_PACKETS, &l, jget(c, "packets"));
			num(p, F_CLASS_BYTES, &l, jget(c, "bytes"));
			num(p, F_CLASS_DROPS, &l, jget(c, "drops"));
			if ((v = jget(c, "scheduled")))
				flag(p, F_CLASS_SCHEDULED, &l, json_object_get_boolean(v));
		}
	}
}

/* ---- stream.show, filter.show ---- */

static void add_streams(struct tsn_prom *p, json_object *data)
{
	json_object *streams = jget(data, "streams");
	char buf[24];

	for (size_t i = 0; i < arr_len(streams); i++) {
		json_object *s = arr_at(streams, i), *c = jget(s, "counters");
		struct lbl l = { "", 0 };
		if (!int_text(jget(s, "id"), buf, sizeof(buf)))
			continue;
		lbl_add(lbl_add(&l, "stream", buf), "name", jstr(s, "name"));
		num(p, F_STREAM_PACKETS, &l, jget(c, "packets"));
		num(p, F_STREAM_BYTES, &l, jget(c, "bytes"));
		num(p, F_STREAM_DROPS, &l, jget(c, "drops"));
	}
}

static void add_filters(struct tsn_prom *p, json_object *data)
{
	static const struct {
		enum fam f;
		const char *key;
	} counters[] = {
		{ F_FILTER_MATCHED, "matched" }, { F_FILTER_PASSED, "passed" }, { F_FILTER_MAX_SDU, "max_sdu" },
		{ F_FILTER_GATE_CLOSED, "gate_closed" }, { F_FILTER_RED, "red" }, { F_FILTER_YELLOW, "yellow" },
		{ F_FILTER_DEMOTED, "demoted" },
	};
	json_object *filters = jget(data, "filters");

	for (size_t i = 0; i < arr_len(filters); i++) {
		json_object *f = arr_at(filters, i), *c = jget(f, "counters");
		struct lbl l = { "", 0 };
		lbl_add(&l, "filter", jstr(f, "name"));
		for (size_t k = 0; k < sizeof(counters) / sizeof(counters[0]); k++)
			num(p, counters[k].f, &l, jget(c, counters[k].key));
	}
}

/* ---- ptp.status ---- */

/* linuxptp's names of the IEEE 1588 port states. */
static const char *const port_states[] = { "INITIALIZING", "FAULTY", "DISABLED", "LISTENING", "PRE_MASTER",
					   "MASTER", "PASSIVE", "UNCALIBRATED", "SLAVE", NULL };

static void add_ptp(struct tsn_prom *p, json_object *data)
{
	json_object *cur = jget(data, "current"), *ts = jget(data, "time_status"), *win = jget(data, "offset_window");
	json_object *sync = jget(data, "sync"), *gm = jget(data, "grandmaster"), *v;
	struct lbl l;
	char buf[48];

	ns(p, F_PTP_OFFSET, NULL, jget(cur, "offset_ns"));
	ns(p, F_PTP_PATH_DELAY, NULL, jget(cur, "mean_path_delay_ns"));
	num(p, F_PTP_STEPS, NULL, jget(cur, "steps_removed"));
	ns(p, F_PTP_MASTER_OFFSET, NULL, jget(ts, "master_offset_ns"));
	ns(p, F_PTP_WIN_MIN, NULL, jget(win, "min_ns"));
	ns(p, F_PTP_WIN_MAX, NULL, jget(win, "max_ns"));
	ns(p, F_PTP_WIN_MEAN, NULL, jget(win, "mean_ns"));
	num(p, F_PTP_WIN_SAMPLES, NULL, jget(win, "samples"));
	ns(p, F_PTP_WITHIN, NULL, jget(sync, "within_threshold_ns"));
	if (ms_text(jget(sync, "last_sample_age_ms"), buf, sizeof(buf)))
		add(p, F_PTP_SAMPLE_AGE, "", "", buf);
	if (jstr(gm, "identity")) {
		l = (struct lbl){ "", 0 };
		flag(p, F_PTP_GM_INFO, lbl_add(&l, "identity", jstr(gm, "identity")), true);
	}
	if ((v = jget(gm, "is_self")))
		flag(p, F_PTP_GM_SELF, NULL, json_object_get_boolean(v));
	num(p, F_PTP_UTC_OFFSET, NULL, jget(jget(data, "utc"), "offset_s"));
	json_object *ports = jget(data, "ports");
	for (size_t i = 0; i < arr_len(ports); i++) {
		json_object *pt = arr_at(ports, i);
		l = (struct lbl){ "", 0 };
		lbl_add(&l, "port", jstr(pt, "name"));
		if (jstr(pt, "state"))
			stateset(p, F_PTP_PORT_STATE, &l, port_states, jstr(pt, "state"));
	}
	static const char *const procs[] = { "ptp4l", "phc2sys" };
	for (size_t i = 0; i < 2; i++) {
		json_object *pr = jget(jget(data, "processes"), procs[i]);
		if (!pr)
			continue;
		l = (struct lbl){ "", 0 };
		lbl_add(&l, "process", procs[i]);
		if (jstr(pr, "state"))
			flag(p, F_PTP_PROC_RUNNING, &l, strcmp(jstr(pr, "state"), "running") == 0);
		num(p, F_PTP_PROC_RESTARTS, &l, jget(pr, "restarts"));
	}
	json_object *mgmt = jget(data, "management");
	num(p, F_PTP_MGMT_TIMEOUTS, NULL, jget(mgmt, "timeouts"));
	num(p, F_PTP_MGMT_REJECTED, NULL, jget(mgmt, "rejected"));
}

/* ---- schedule.show ---- */

static void add_schedules(struct tsn_prom *p, json_object *data)
{
	static const char *const which[] = { "oper", "admin" };
	json_object *ports = jget(data, "ports"), *v;

	for (size_t i = 0; i < arr_len(ports); i++) {
		json_object *pt = arr_at(ports, i), *k = jget(pt, "kernel");
		struct lbl port = { "", 0 }, l;
		lbl_add(&port, "port", jstr(pt, "name"));
		if ((v = jget(pt, "configured")))
			flag(p, F_SCHED_CONFIGURED, &port, json_object_get_boolean(v));
		ns(p, F_SCHED_BASE_TIME, &port, jget(pt, "base_time_ns"));
		num(p, F_SCHED_RECOVERIES, &port, jget(pt, "recoveries"));
		for (size_t w = 0; w < 2; w++) {
			json_object *s = jget(k, which[w]);
			if (!s)
				continue;
			lbl_add(lbl_copy(&l, &port), "schedule", which[w]);
			ns(p, F_SCHED_K_BASE_TIME, &l, jget(s, "base_time_ns"));
			ns(p, F_SCHED_K_CYCLE, &l, jget(s, "cycle_time_ns"));
			if ((v = jget(s, "entries")) && json_object_is_type(v, json_type_array)) {
				char buf[24];
				snprintf(buf, sizeof(buf), "%zu", arr_len(v));
				add(p, F_SCHED_K_ENTRIES, "", l.s, buf);
			}
		}
	}
}

/* ---- latency.show: residence-time histograms ---- */

/* tsnd's histograms have 465 log-linear buckets (16 per power of two, see
 * docs/telemetry.md); latency.show lists the non-empty ones as [upper_ns, count]
 * with an inclusive upper edge, and [-1, count] for 2^32 ns and more.  Prometheus
 * wants one fixed set of cumulative buckets, so they are folded into one bucket per
 * power of two, with le = 2^k - 1 ns: an upper edge of the fine buckets too, so the
 * folding is exact. */
#define LE_FIRST_BIT 9		/* le = 511 ns */
#define LE_LAST_BIT 32		/* le = 4.294967295 s */

static void histogram(struct tsn_prom *p, enum fam f, const struct lbl *base, json_object *h)
{
	uint64_t per_le[LE_LAST_BIT - LE_FIRST_BIT + 1] = { 0 }, cum = 0, count, sum;
	json_object *buckets = jget(h, "buckets"), *v;
	struct lbl l;
	char buf[48], le[48];

	if (!is_int(v = jget(h, "count")) || json_object_get_int64(v) < 0)
		return;
	count = json_object_get_uint64(v);
	for (size_t i = 0; i < arr_len(buckets); i++) {
		json_object *b = arr_at(buckets, i);
		json_object *up = json_object_is_type(b, json_type_array) ? arr_at(b, 0) : NULL;
		json_object *n = json_object_is_type(b, json_type_array) ? arr_at(b, 1) : NULL;
		if (!is_int(up) || !is_int(n) || json_object_get_int64(n) < 0 || json_object_get_int64(up) < 0)
			continue;	/* [-1, n]: above every le, only in +Inf */
		uint64_t upper = json_object_get_uint64(up);
		for (int k = LE_FIRST_BIT; k <= LE_LAST_BIT; k++) {
			if (upper <= (1ull << k) - 1) {
				per_le[k - LE_FIRST_BIT] += json_object_get_uint64(n);
				break;
			}
		}
	}
	for (int k = LE_FIRST_BIT; k <= LE_LAST_BIT; k++) {
		cum += per_le[k - LE_FIRST_BIT];
		scaled_text((1ull << k) - 1, false, 1000000000ull, 9, le, sizeof(le));
		snprintf(buf, sizeof(buf), "%" PRIu64, cum);
		add(p, f, "_bucket", lbl_add(lbl_copy(&l, base), "le", le)->s, buf);
	}
	/* Per-CPU counters read one after another may disagree by a frame or two:
	 * keep the buckets monotonic and +Inf equal to the count. */
	if (cum > count)
		count = cum;
	snprintf(buf, sizeof(buf), "%" PRIu64, count);
	add(p, f, "_bucket", lbl_add(lbl_copy(&l, base), "le", "+Inf")->s, buf);
	/* The exact sum if tsnd gives it, else from the mean (rounded down by tsnd). */
	if (is_int(v = jget(h, "sum_ns")) && json_object_get_int64(v) >= 0)
		sum = json_object_get_uint64(v);
	else
		sum = is_int(v = jget(h, "mean_ns")) && json_object_get_int64(v) >= 0 ?
		      json_object_get_uint64(v) * count : 0;
	scaled_text(sum, false, 1000000000ull, 9, le, sizeof(le));
	add(p, f, "_sum", base->s, le);
	add(p, f, "_count", base->s, buf);
}

static void add_latency(struct tsn_prom *p, json_object *data)
{
	json_object *ports = jget(data, "ports"), *streams = jget(data, "streams"), *totals = jget(data, "totals");
	char buf[24];

	for (size_t i = 0; i < arr_len(ports); i++) {
		json_object *pt = arr_at(ports, i), *classes = jget(pt, "classes");
		for (size_t j = 0; j < arr_len(classes); j++) {
			json_object *c = arr_at(classes, j);
			struct lbl l = { "", 0 };
			lbl_add(&l, "port", jstr(pt, "name"));
			if (int_text(jget(c, "class"), buf, sizeof(buf)))
				lbl_add(&l, "class", buf);
			histogram(p, F_RESIDENCE, &l, c);
		}
	}
	for (size_t i = 0; i < arr_len(streams); i++) {
		json_object *s = arr_at(streams, i);
		struct lbl l = { "", 0 };
		if (!int_text(jget(s, "id"), buf, sizeof(buf)))
			continue;
		histogram(p, F_STREAM_RESIDENCE, lbl_add(&l, "stream", buf), s);
	}
	num(p, F_RES_STAMPED, NULL, jget(totals, "stamped"));
	num(p, F_RES_MEASURED, NULL, jget(totals, "measured"));
	num(p, F_RES_FAST_PATH, NULL, jget(totals, "fast_path"));
	num(p, F_RES_UNMATCHED, NULL, jget(totals, "unmatched"));
}

/* ---- frer.show (802.1CB) ---- */

static void add_frer(struct tsn_prom *p, json_object *data)
{
	static const struct {
		enum fam stream, port;
		const char *key;
	} counters[] = {
		{ F_FRER_PASSED, F_FRER_PORT_PASSED, "passed_packets" },
		{ F_FRER_DISCARDED, F_FRER_PORT_DISCARDED, "discarded_packets" },
		{ F_FRER_OUT_OF_ORDER, F_FRER_PORT_OUT_OF_ORDER, "out_of_order_packets" },
		{ F_FRER_ROGUE, F_FRER_PORT_ROGUE, "rogue_packets" },
		{ F_FRER_LOST, F_FRER_PORT_LOST, "lost_packets" },
		{ F_FRER_TAGLESS, F_FRER_PORT_TAGLESS, "tagless_packets" },
		{ F_FRER_RESETS, F_FRER_PORT_RESETS, "resets" },
		{ F_FRER_LATENT_ERRORS, F_FRER_PORT_LATENT_ERRORS, "latent_errors" },
		{ F_FRER_GENERATED, F_FRER_PORT_GENERATED, "generated_packets" },
		{ F_FRER_REPLICATED, F_FRER_PORT_REPLICATED, "replicated_packets" },
	};
	json_object *streams = jget(data, "streams"), *ports = jget(data, "ports");
	char buf[24];

	if (jget(data, "enabled") && json_object_get_boolean(jget(data, "enabled")))
		num(p, F_FRER_LATENT_EVENTS, NULL, jget(data, "latent_error_events"));
	for (size_t i = 0; i < arr_len(streams); i++) {
		json_object *s = arr_at(streams, i), *c = jget(s, "counters");
		struct lbl l = { "", 0 };
		if (!int_text(jget(s, "stream_id"), buf, sizeof(buf)))
			continue;
		lbl_add(lbl_add(&l, "stream", buf), "name", jstr(s, "name"));
		for (size_t k = 0; k < sizeof(counters) / sizeof(counters[0]); k++)
			num(p, counters[k].stream, &l, jget(c, counters[k].key));
	}
	for (size_t i = 0; i < arr_len(ports); i++) {
		json_object *pt = arr_at(ports, i), *c = jget(pt, "counters");
		struct lbl l = { "", 0 };
		if (!jstr(pt, "port"))
			continue;
		lbl_add(&l, "port", jstr(pt, "port"));
		for (size_t k = 0; k < sizeof(counters) / sizeof(counters[0]); k++)
			num(p, counters[k].port, &l, jget(c, counters[k].key));
	}
}

/* ---- assembly ---- */

/* ---- bridge.show ---- */

static void add_bridge(struct tsn_prom *p, json_object *data)
{
	json_object *v, *ports = jget(data, "ports"), *fdb = jget(data, "fdb");
	struct lbl l = { "", 0 };
	char buf[32];
	size_t members = 0;

	if (!(v = jget(data, "enabled")) || !json_object_get_boolean(v))
		return;
	lbl_add(&l, "bridge", jstr(data, "name"));
	if ((v = jget(data, "present")))
		flag(p, F_BRIDGE_PRESENT, &l, json_object_get_boolean(v));
	for (size_t i = 0; i < arr_len(ports); i++)
		members += (v = jget(arr_at(ports, i), "member")) && json_object_get_boolean(v);
	snprintf(buf, sizeof(buf), "%zu", members);
	add(p, F_BRIDGE_PORTS, "", l.s, buf);
	if (fdb && json_object_is_type(fdb, json_type_object)) {
		json_object_object_foreach(fdb, kind, n) {
			struct lbl k;
			num(p, F_BRIDGE_FDB, lbl_add(lbl_copy(&k, &l), "kind", kind), n);
		}
	}
	if ((v = jget(data, "drift")))
		flag(p, F_BRIDGE_DRIFT, &l, json_object_get_boolean(v));
	num(p, F_BRIDGE_DRIFT_EVENTS, &l, jget(data, "drift_events"));
}

static const struct {
	const char *command;
	void (*fn)(struct tsn_prom *p, json_object *data);
} builders[] = {
	{ "status", add_status },	   { "port.show", add_ports },	      { "class.stats", add_classes },
	{ "stream.show", add_streams },	   { "filter.show", add_filters },    { "ptp.status", add_ptp },
	{ "schedule.show", add_schedules }, { "latency.show", add_latency },
	{ "bridge.show", add_bridge },
	{ "frer.show", add_frer },
};

struct tsn_prom *tsn_prom_build(json_object *answers)
{
	struct tsn_prom *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	for (size_t i = 0; i < sizeof(builders) / sizeof(builders[0]); i++) {
		json_object *data = jget(answers, builders[i].command);
		if (data && json_object_is_type(data, json_type_object))
			builders[i].fn(p, data);
	}
	if (p->oom) {
		tsn_prom_free(p);
		return NULL;
	}
	return p;
}

void tsn_prom_free(struct tsn_prom *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->s[i].labels);
	free(p->s);
	free(p);
}

/* Every sample, grouped by family in table order, each family's samples in the
 * order they were added.  fn gets the family's index. */
static void each(const struct tsn_prom *p, void (*fn)(void *arg, int f, const struct sample *s), void *arg)
{
	size_t start[F_COUNT + 1] = { 0 };
	size_t *order = malloc((p->n ? p->n : 1) * sizeof(*order));

	if (!order)
		return;
	for (size_t i = 0; i < p->n; i++)
		start[p->s[i].fam + 1]++;
	for (int f = 0; f < F_COUNT; f++)
		start[f + 1] += start[f];
	for (size_t i = 0; i < p->n; i++)
		order[start[p->s[i].fam]++] = i;	/* start[f] ends as the start of f + 1 */
	for (size_t k = 0; k < p->n; k++)
		fn(arg, (int)p->s[order[k]].fam, &p->s[order[k]]);
	free(order);
}

struct foreach_arg {
	tsn_prom_sample_fn fn;
	void *arg;
};

static void foreach_one(void *arg, int f, const struct sample *s)
{
	struct foreach_arg *a = arg;
	char name[160];

	snprintf(name, sizeof(name), "%s%s", fams[f].name, s->suffix);
	a->fn(a->arg, fams[f].name, fams[f].type, name, s->labels, s->value);
}

void tsn_prom_foreach(const struct tsn_prom *p, tsn_prom_sample_fn fn, void *arg)
{
	struct foreach_arg a = { fn, arg };
	each(p, foreach_one, &a);
}

struct text {
	char *buf;
	size_t len, cap;
	bool oom;
	int last_fam;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		int w = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (w < 0) {
			t->oom = true;
			return;
		}
		if ((size_t)w < t->cap - t->len) {
			t->len += (size_t)w;
			return;
		}
		size_t cap = (t->cap + (size_t)w + 1) * 2;
		char *b = realloc(t->buf, cap);
		if (!b) {
			t->oom = true;
			return;
		}
		t->buf = b;
		t->cap = cap;
	}
}

static const char *type_name(enum tsn_prom_type t)
{
	return t == TSN_PROM_COUNTER ? "counter" : t == TSN_PROM_GAUGE ? "gauge" : "histogram";
}

static void text_sample(void *arg, int f, const struct sample *s)
{
	struct text *t = arg;

	if (f != t->last_fam) {	/* one HELP and TYPE per family, before its samples */
		text_add(t, "# HELP %s %s\n# TYPE %s %s\n", fams[f].name, fams[f].help, fams[f].name,
			 type_name(fams[f].type));
		t->last_fam = f;
	}
	text_add(t, "%s%s%s%s%s %s\n", fams[f].name, s->suffix, s->labels[0] ? "{" : "", s->labels,
		 s->labels[0] ? "}" : "", s->value);
}

char *tsn_prom_text(const struct tsn_prom *p, size_t *len)
{
	struct text t = { .cap = 4096, .last_fam = -1 };

	if (!(t.buf = malloc(t.cap)))
		return NULL;
	t.buf[0] = '\0';
	each(p, text_sample, &t);
	if (t.oom || (p->n && !t.len)) {
		free(t.buf);
		return NULL;
	}
	if (len)
		*len = t.len;
	return t.buf;
}

char *tsn_prom_render(json_object *answers, size_t *len)
{
	struct tsn_prom *p = tsn_prom_build(answers);
	char *text = p ? tsn_prom_text(p, len) : NULL;
	tsn_prom_free(p);
	return text;
}
