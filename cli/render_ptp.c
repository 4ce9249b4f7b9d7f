/* SPDX-License-Identifier: GPL-2.0-only */
/* render_ptp.c — ptp status, as people read it. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "tsn/units.h"

/* ---- ptp status ---- */

static void ptp_process_line(FILE *out, const char *name, json_object *proc)
{
	char a[32], b[32], c[32], exit_text[160] = "";
	json_object *last = jget(proc, "last_exit");
	const char *state = or_dash(jstr(proc, "state"));
	int64_t n, up, restarts;

	if (strcmp(state, "not-needed") == 0) {
		print_kv(out, name, "not needed (%s)", or_dash(jstr(proc, "message")));
		return;
	}
	if (last)
		snprintf(exit_text, sizeof(exit_text), ", last exit %s: %s after %ss%s",
			 jtext(last, "time", a, sizeof(a)), or_dash(jstr(last, "status")),
			 jtext(last, "ran_s", b, sizeof(b)), jbool(last, "expected") == 1 ? " (stopped by tsnd)" : "");
	const char *restart_text = jint(proc, "restarts", &restarts)
					   ? count_of(c, sizeof(c), restarts, "restart") : "- restarts";
	if (jint(proc, "pid", &n))
		print_kv(out, name, "%s, pid %" PRId64 ", up %s, %s%s", state, n,
			 jint(proc, "uptime_s", &up) ? format_duration(a, sizeof(a), up) : "-",
			 restart_text, exit_text);
	else if (jint(proc, "restart_in_ms", &n))
		print_kv(out, name, "%s in %" PRId64 "ms, %s%s", state, n, restart_text, exit_text);
	else
		print_kv(out, name, "%s, %s%s", state, restart_text, exit_text);
}

int render_ptp_status(const struct output *o, json_object *data)
{
	json_object *sync = jget(data, "sync"), *gm = jget(data, "grandmaster");
	json_object *clock = jget(data, "clock"), *cur = jget(data, "current");
	json_object *win = jget(data, "offset_window"), *utc = jget(data, "utc");
	json_object *procs = jget(data, "processes"), *ports = jget(data, "ports");
	char a[48], b[48], c[48], d[48], e[48];
	int64_t n;

	if (jbool(data, "enabled") != 1) {
		print_kv(o->out, "sync", "disabled (ptp.enabled is false)");
		return TSNCTL_EXIT_OK;
	}
	print_kv(o->out, "sync", "%s since %s: %s", or_dash(jstr(sync, "state")),
		 jtext(sync, "since", a, sizeof(a)), or_dash(jstr(sync, "reason")));
	print_kv(o->out, "thresholds", "locked: |offset| < %s for %s; stale after %s without a sample",
		 dur_text(sync, "lock_threshold_ns", a, sizeof(a)), dur_text(sync, "lock_time_ns", b, sizeof(b)),
		 dur_text(sync, "stale_after_ns", c, sizeof(c)));
	if (gm)
		print_kv(o->out, "grandmaster", "%s%s, class %s, priority1 %s, priority2 %s",
			 or_dash(jstr(gm, "identity")), jbool(gm, "is_self") == 1 ? " (this clock)" : "",
			 jtext(gm, "class", a, sizeof(a)), jtext(gm, "priority1", b, sizeof(b)),
			 jtext(gm, "priority2", c, sizeof(c)));
	else
		print_kv(o->out, "grandmaster", "- (no answer from ptp4l yet)");
	print_kv(o->out, "clock", "%s, domain %s, priority1 %s, %s profile, %s, %s timestamps%s",
		 or_dash(jstr(clock, "identity")), jtext(clock, "domain", a, sizeof(a)),
		 jtext(clock, "priority1", b, sizeof(b)), or_dash(jstr(clock, "profile")),
		 or_dash(jstr(clock, "transport")), or_dash(jstr(clock, "timestamping")),
		 jbool(clock, "free_running") == 1 ? ", free-running (never steered)" : "");
	if (cur)
		print_kv(o->out, "offset", "%s from master, mean path delay %s, %s removed",
			 ns_text(cur, "offset_ns", a, sizeof(a)), ns_text(cur, "mean_path_delay_ns", b, sizeof(b)),
			 jint(cur, "steps_removed", &n) ? count_of(c, sizeof(c), n, "step") : "- steps");
	else
		print_kv(o->out, "offset", "-");
	if (jint(win, "samples", &n) && n > 0)
		print_kv(o->out, "window", "last %ss: %s, min %s, max %s, mean %s",
			 jtext(win, "window_s", a, sizeof(a)), count_of(b, sizeof(b), n, "sample"),
			 ns_text(win, "min_ns", c, sizeof(c)), ns_text(win, "max_ns", d, sizeof(d)),
			 ns_text(win, "mean_ns", e, sizeof(e)));
	else
		print_kv(o->out, "window", "last %ss: no samples", jtext(win, "window_s", a, sizeof(a)));
	if (utc)
		print_kv(o->out, "utc offset", "%ss (%s)", jtext(utc, "offset_s", a, sizeof(a)),
			 jbool(utc, "valid") == 1 ? "valid" : "not valid");
	else
		print_kv(o->out, "utc offset", "-");
	ptp_process_line(o->out, "ptp4l", jget(procs, "ptp4l"));
	ptp_process_line(o->out, "phc2sys", jget(procs, "phc2sys"));
	fputc('\n', o->out);

	struct table *t = table_new();
	table_add_columns(t, "PORT", "NUMBER", "STATE", "ROLE", "DELAY", "PEER-DELAY", NULL);
	for (size_t i = 0; ports && i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		table_add_row(t);
		table_add_cell(t, "%s", or_dash(jstr(p, "name")));
		table_add_cell(t, "%s", jtext(p, "port_number", a, sizeof(a)));
		table_add_cell(t, "%s", or_dash(jstr(p, "state")));
		table_add_cell(t, "%s", or_dash(jstr(p, "role")));
		table_add_cell(t, "%s", or_dash(jstr(p, "delay_mechanism")));
		table_add_cell(t, "%s", ns_text(p, "peer_mean_path_delay_ns", b, sizeof(b)));
	}
	table_print(t, o->out);
	table_free(t);
	return TSNCTL_EXIT_OK;
}

