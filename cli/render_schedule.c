/* SPDX-License-Identifier: GPL-2.0-only */
/* render_schedule.c — schedule show, as people read it. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "tsn/basetime.h"
#include "tsn/units.h"

/* ---- schedule show ---- */

/* "  key:         value", the key/value layout of status, indented under a port. */
static void sched_kv(FILE *out, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void sched_kv(FILE *out, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_kv(out, "  ", key, fmt, ap);
	va_end(ap);
}

/* [0, 2] -> "[0, 2]"; runs become ranges: [0, 1, 2, 7] -> "[0-2, 7]". */
static const char *gates_text(json_object *gates, char *buf, size_t len)
{
	uint32_t mask = 0;

	for (size_t i = 0; gates && json_object_is_type(gates, json_type_array) &&
			   i < json_object_array_length(gates); i++) {
		int64_t b = json_object_get_int64(json_object_array_get_idx(gates, i));
		if (b >= 0 && b < 32)
			mask |= 1u << b;
	}
	return tsn_format_class_set(mask, buf, len);
}

/* An entry's interval in ns: "interval_ns" from the kernel, "interval" ("250us")
 * from the configuration. */
static bool entry_interval(json_object *e, uint64_t *ns)
{
	int64_t v;
	const char *s = jstr(e, "interval");

	if (jint(e, "interval_ns", &v) && v >= 0) {
		*ns = (uint64_t)v;
		return true;
	}
	return s && tsn_parse_duration(s, ns);
}

/* The gate control list: #, OP, GATES, INTERVAL, START-OFFSET (from the start
 * of the cycle), indented by an empty first column. */
static void sched_entries(FILE *out, json_object *entries)
{
	struct table *t = table_new();
	uint64_t offset = 0;
	char a[48], b[32], c[32];

	table_add_column(t, NULL);
	table_add_columns(t, "#", "OP", "GATES", "INTERVAL", "START-OFFSET", NULL);
	for (size_t i = 0; entries && json_object_is_type(entries, json_type_array) &&
			   i < json_object_array_length(entries); i++) {
		json_object *e = json_object_array_get_idx(entries, i);
		uint64_t ns = 0;
		bool known = entry_interval(e, &ns);
		table_add_row(t);
		table_add_cell(t, "%s", "");
		table_add_cell(t, "%zu", i);
		table_add_cell(t, "%s", or_dash(jstr(e, "op")));
		table_add_cell(t, "%s", gates_text(jget(e, "gates"), a, sizeof(a)));
		table_add_cell(t, "%s", known ? tsn_format_duration(ns, b, sizeof(b)) : "-");
		table_add_cell(t, "%s", tsn_format_duration(offset, c, sizeof(c)));
		offset += ns;
	}
	table_print(t, out);
	table_free(t);
}

/* "base time 1700000001.124000000, cycle 1ms, extension 0ns" */
static void sched_timing(FILE *out, const char *key, json_object *sched, const char *note)
{
	char a[32], b[32], c[32];
	int64_t base = 0;

	jint(sched, "base_time_ns", &base);
	sched_kv(out, key, "base time %s, cycle %s, extension %s%s", tsn_basetime_format(base, a, sizeof(a)),
		 dur_text(sched, "cycle_time_ns", b, sizeof(b)), dur_text(sched, "cycle_time_extension_ns", c, sizeof(c)),
		 note);
	sched_entries(out, jget(sched, "entries"));
}

/* "0 0 1 1 2 ..." for an array of numbers, "1@0 1@1" for strings. */
static const char *words(json_object *arr, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr) &&
			   used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "",
					 json_object_get_string(json_object_array_get_idx(arr, i)));
	return buf[0] ? buf : "-";
}

static void sched_kernel(FILE *out, json_object *k)
{
	char a[160], b[48], c[48];
	json_object *sdu = jget(k, "max_sdu");
	bool any_sdu = false;
	int64_t flags = 0, delay = 0;

	if (strcmp(or_dash(jstr(k, "kind")), "mqprio") == 0) {	/* mode mqprio: a layout, no gates */
		sched_kv(out, "qdisc", "mqprio %s, %s classes, no gate schedule", or_dash(jstr(k, "handle")),
			 jtext(k, "num_tc", b, sizeof(b)));
		sched_kv(out, "map", "%s", words(jget(k, "map"), a, sizeof(a)));
		sched_kv(out, "queues", "%s", words(jget(k, "queues"), a, sizeof(a)));
		return;
	}
	jint(k, "flags", &flags);
	jint(k, "txtime_delay_ns", &delay);
	sched_kv(out, "qdisc", "%s %s, %s classes, clock %s, flags 0x%" PRIx64 " (%s)%s%s", or_dash(jstr(k, "kind")),
		 or_dash(jstr(k, "handle")), jtext(k, "num_tc", b, sizeof(b)), or_dash(jstr(k, "clockid")), flags,
		 flags & 2 ? "full-offload" : flags & 1 ? "txtime-assist" : "software",
		 delay ? ", txtime-delay " : "", delay ? dur_text(k, "txtime_delay_ns", c, sizeof(c)) : "");
	sched_kv(out, "map", "%s", words(jget(k, "map"), a, sizeof(a)));
	sched_kv(out, "queues", "%s", words(jget(k, "queues"), a, sizeof(a)));
	for (size_t i = 0; sdu && json_object_is_type(sdu, json_type_array) && i < json_object_array_length(sdu); i++)
		any_sdu |= json_object_get_int64(json_object_array_get_idx(sdu, i)) != 0;
	if (any_sdu)
		sched_kv(out, "max-sdu", "%s", words(sdu, a, sizeof(a)));
	if (jget(k, "oper"))
		sched_timing(out, "oper", jget(k, "oper"), "");
	else
		sched_kv(out, "oper", "none yet (the schedule has not started)");
	if (jget(k, "admin"))
		sched_timing(out, "admin", jget(k, "admin"), " (pending: takes over at its base time)");
}

/* The cbs and etf qdiscs under the root (docs/shapers.md), one line each. */
static void sched_children(FILE *out, json_object *kids)
{
	for (size_t i = 0; kids && json_object_is_type(kids, json_type_array) && i < json_object_array_length(kids);
	     i++) {
		json_object *c = json_object_array_get_idx(kids, i);
		const char *kind = or_dash(jstr(c, "kind"));
		int64_t v[4] = { 0 };
		char d[48];

		if (strcmp(kind, "cbs") == 0) {
			jint(c, "idleslope_kbps", &v[0]);
			jint(c, "sendslope_kbps", &v[1]);
			jint(c, "hicredit", &v[2]);
			jint(c, "locredit", &v[3]);
			sched_kv(out, "shaper", "cbs %s under %s: idleslope %" PRId64 " kbit/s, sendslope %" PRId64
				 " kbit/s, hicredit %" PRId64 " B, locredit %" PRId64 " B%s", or_dash(jstr(c, "handle")),
				 or_dash(jstr(c, "parent")), v[0], v[1], v[2], v[3],
				 json_object_get_boolean(jget(c, "offload")) ? ", offload" : "");
		} else if (strcmp(kind, "etf") == 0) {
			sched_kv(out, "launch-time", "etf %s under %s: delta %s, clock %s%s%s%s", or_dash(jstr(c, "handle")),
				 or_dash(jstr(c, "parent")), dur_text(c, "delta_ns", d, sizeof(d)),
				 or_dash(jstr(c, "clockid")),
				 json_object_get_boolean(jget(c, "deadline_mode")) ? ", deadline-mode" : "",
				 json_object_get_boolean(jget(c, "offload")) ? ", offload" : "",
				 json_object_get_boolean(jget(c, "skip_sock_check")) ? ", skip-sock-check" : "");
		}
	}
}

int render_schedule_show(const struct output *o, json_object *data)
{
	json_object *ports = jget(data, "ports");

	for (size_t i = 0; ports && json_object_is_type(ports, json_type_array) && i < json_object_array_length(ports);
	     i++) {
		json_object *p = json_object_array_get_idx(ports, i), *k = jget(p, "kernel"), *cfg = jget(p, "config");
		json_object *drift = jget(p, "drift");
		const char *msg = jstr(p, "message");

		if (i)
			fputc('\n', o->out);
		fprintf(o->out, "%s: %s%s%s\n", or_dash(jstr(p, "name")), or_dash(jstr(p, "state")),
			msg && msg[0] ? ": " : "", msg && msg[0] ? msg : "");
		if (k) {
			sched_kernel(o->out, k);
			sched_children(o->out, jget(p, "children"));
		} else if (cfg) {
			char a[32], b[32];
			sched_kv(o->out, "configured", "base-time %s, cycle-time %s, %s mode; not in the kernel",
				 jtext(cfg, "base-time", a, sizeof(a)), jtext(cfg, "cycle-time", b, sizeof(b)),
				 or_dash(jstr(cfg, "mode")));
			sched_entries(o->out, jget(cfg, "entries"));
		}
		for (size_t j = 0; drift && json_object_is_type(drift, json_type_array) &&
				   j < json_object_array_length(drift); j++)
			sched_kv(o->out, "drift", "%s", json_object_get_string(json_object_array_get_idx(drift, j)));
		json_object *rec = jget(p, "recoveries");
		if (rec && json_object_get_uint64(rec))	/* re-installed after link flaps */
			sched_kv(o->out, "recoveries", "%llu; last: %s", (unsigned long long)json_object_get_uint64(rec),
				 or_dash(jstr(p, "last_recovery")));
	}
	return TSNCTL_EXIT_OK;
}

/* The meter column: "10Mbit/4096B" (+ "+2Mbit/1500B" with an excess rate), then
 * what happens to red frames, then "aware" and "coupled" where set. */
