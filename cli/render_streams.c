/* SPDX-License-Identifier: GPL-2.0-only */
/* render_streams.c — stream show (with its gates and meters), filter show,
 * class stats and route show, as people read them. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "tsn/units.h"

static const char *counter_text(json_object *counters, const char *key, char *buf, size_t len)
{
	return counters ? jtext(counters, key, buf, len) : "-";
}

int render_stream_show(const struct output *o, json_object *data)
{
	json_object *streams = jget(data, "streams");
	struct table *t = table_new();
	char a[32], b[32], c[32], d[32], e[32];

	table_add_columns(t, "ID", "NAME", "IDENTIFICATION", "MATCH", "PRIO", "FILTER", "PACKETS",
			  "BYTES", "DROPS", NULL);
	for (size_t i = 0; streams && i < json_object_array_length(streams); i++) {
		json_object *s = json_object_array_get_idx(streams, i);
		json_object *cnt = jget(s, "counters");

		table_add_row(t);
		table_add_cell(t, "%s", jtext(s, "id", a, sizeof(a)));
		table_add_cell(t, "%s", or_dash(jstr(s, "name")));
		table_add_cell(t, "%s", or_dash(jstr(s, "identification")));
		table_add_cell(t, "%s", or_dash(jstr(s, "match_text")));
		table_add_cell(t, "%s", jtext(s, "priority", b, sizeof(b)));
		table_add_cell(t, "%s", or_dash(jstr(s, "filter")));
		table_add_cell(t, "%s", counter_text(cnt, "packets", c, sizeof(c)));
		table_add_cell(t, "%s", counter_text(cnt, "bytes", d, sizeof(d)));
		table_add_cell(t, "%s", counter_text(cnt, "drops", e, sizeof(e)));
	}
	if (!streams || json_object_array_length(streams) == 0)
		fputs("no streams configured\n", o->out);
	else
		table_print(t, o->out);
	table_free(t);
	return TSNCTL_EXIT_OK;
}

/* "0,1,2" from [0,1,2]; "-" for none. */
static const char *int_list_text(json_object *arr, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; arr && i < json_object_array_length(arr) && used + 1 < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%" PRId64, i ? "," : "",
				 json_object_get_int64(json_object_array_get_idx(arr, i)));
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return buf[0] ? buf : "-";
}

int render_class_stats(const struct output *o, json_object *data)
{
	json_object *ports = jget(data, "ports");
	struct table *t = table_new();
	char a[32], b[32], c[32], d[32], e[64];

	table_add_columns(t, "PORT", "CLASS", "PRIORITIES", "GATED", "PACKETS", "BYTES", "DROPS",
			  NULL);
	for (size_t i = 0; ports && i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		json_object *classes = jget(p, "classes");
		bool attached = jbool(p, "attached") == 1;

		for (size_t k = 0; classes && k < json_object_array_length(classes); k++) {
			json_object *cl = json_object_array_get_idx(classes, k);

			table_add_row(t);
			table_add_cell(t, "%s", or_dash(jstr(p, "name")));
			table_add_cell(t, "%s", jtext(cl, "class", a, sizeof(a)));
			table_add_cell(t, "%s", int_list_text(jget(cl, "priorities"), e, sizeof(e)));
			table_add_cell(t, "%s", jbool(cl, "scheduled") == 1 ? "yes" : "no");
			table_add_cell(t, "%s", attached ? jtext(cl, "packets", b, sizeof(b)) : "-");
			table_add_cell(t, "%s", attached ? jtext(cl, "bytes", c, sizeof(c)) : "-");
			table_add_cell(t, "%s", attached ? jtext(cl, "drops", d, sizeof(d)) : "-");
		}
	}
	table_print(t, o->out);
	table_free(t);
	return TSNCTL_EXIT_OK;
}

int render_route_show(const struct output *o, json_object *data)
{
	json_object *routes = jget(data, "routes"), *extra = jget(data, "unconfigured");
	struct table *t = table_new();
	char a[32];

	table_add_columns(t, "PREFIX", "VIA", "DEV", "METRIC", "STATE", NULL);
	for (size_t i = 0; routes && i < json_object_array_length(routes); i++) {
		json_object *r = json_object_array_get_idx(routes, i);
		int installed = jbool(r, "installed");

		table_add_row(t);
		table_add_cell(t, "%s", or_dash(jstr(r, "prefix")));
		table_add_cell(t, "%s", or_dash(jstr(r, "via")));
		table_add_cell(t, "%s", or_dash(jstr(r, "dev")));
		table_add_cell(t, "%s", jtext(r, "metric", a, sizeof(a)));
		table_add_cell(t, "%s", installed == 1 ? "installed" : installed == 0 ? "missing" : "-");
	}
	for (size_t i = 0; extra && i < json_object_array_length(extra); i++) {
		json_object *r = json_object_array_get_idx(extra, i);

		table_add_row(t);
		table_add_cell(t, "%s", or_dash(jstr(r, "prefix")));
		table_add_cell(t, "%s", or_dash(jstr(r, "via")));
		table_add_cell(t, "%s", or_dash(jstr(r, "dev")));
		table_add_cell(t, "%s", jtext(r, "metric", a, sizeof(a)));
		table_add_cell(t, "%s", "not configured");
	}
	if ((!routes || !json_object_array_length(routes)) && (!extra || !json_object_array_length(extra)))
		fputs("no routes configured\n", o->out);
	else
		table_print(t, o->out);
	table_free(t);
	return TSNCTL_EXIT_OK;
}

static const char *meter_text(json_object *m, char *buf, size_t len)
{
	char r1[32], r2[32];
	size_t n;

	if (!m)
		return "-";
	tsn_format_rate((uint64_t)json_object_get_int64(jget(m, "cir_bps")), r1, sizeof(r1));
	if (json_object_get_int64(jget(m, "eir_bps")) > 0) {
		tsn_format_rate((uint64_t)json_object_get_int64(jget(m, "eir_bps")), r2, sizeof(r2));
		snprintf(buf, len, "%s %s/%" PRId64 "B+%s/%" PRId64 "B %s", or_dash(jstr(m, "name")),
			 r1, json_object_get_int64(jget(m, "cbs_bytes")), r2,
			 json_object_get_int64(jget(m, "ebs_bytes")), or_dash(jstr(m, "on_exceed")));
	} else {
		snprintf(buf, len, "%s %s/%" PRId64 "B %s", or_dash(jstr(m, "name")), r1,
			 json_object_get_int64(jget(m, "cbs_bytes")), or_dash(jstr(m, "on_exceed")));
	}
	n = strlen(buf);
	if (jstr(m, "color_mode") && strcmp(jstr(m, "color_mode"), "aware") == 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, " aware");
	if (jbool(m, "coupling") == 1 && n < len)
		snprintf(buf + n, len - n, " coupled");
	return buf;
}

/* Stream gates as the program sees them now: state, entry, time to the next
 * open/close and to the next entry, and the gate-closed drops of their filters. */
static void render_stream_gates(const struct output *o, json_object *gates)
{
	struct table *t;
	char a[32], b[32], c[32], e[48], p[24];

	if (!gates || json_object_array_length(gates) == 0)
		return;
	t = table_new();
	table_add_columns(t, "STREAM-GATE", "CLOCK", "STATE", "ENTRY", "PRIORITY", "NEXT-CHANGE",
			  "NEXT-ENTRY", "GATE-CLOSED", "FILTERS", NULL);
	for (size_t i = 0; i < json_object_array_length(gates); i++) {
		json_object *g = json_object_array_get_idx(gates, i), *filters = jget(g, "filters");
		table_add_row(t);
		table_add_cell(t, "%s", or_dash(jstr(g, "name")));
		table_add_cell(t, "%s", or_dash(jstr(g, "clock")));
		table_add_cell(t, "%s", or_dash(jstr(g, "state")));
		snprintf(e, sizeof(e), "%" PRId64 "/%" PRId64, json_object_get_int64(jget(g, "entry")),
			 json_object_get_int64(jget(g, "entries")));
		table_add_cell(t, "%s", e);
		table_add_cell(t, "%s", jtext(g, "entry_priority", p, sizeof(p)));
		table_add_cell(t, "%s", jget(g, "next_change_in_ns") ?
			       dur_text(g, "next_change_in_ns", a, sizeof(a)) : "never");
		table_add_cell(t, "%s", dur_text(g, "next_entry_in_ns", b, sizeof(b)));
		table_add_cell(t, "%s", counter_text(g, "gate_closed", c, sizeof(c)));
		table_add_cell(t, "%s", filters && json_object_array_length(filters) ?
			       json_object_get_string(json_object_array_get_idx(filters, 0)) : "-");
		for (size_t k = 1; filters && k < json_object_array_length(filters); k++) {
			table_add_row(t);
			for (int col = 0; col < 8; col++)
				table_add_cell(t, "%s", "");
			table_add_cell(t, "%s", json_object_get_string(json_object_array_get_idx(filters, k)));
		}
	}
	fputc('\n', o->out);
	table_print(t, o->out);
	table_free(t);
}

int render_filter_show(const struct output *o, json_object *data)
{
	static const char *const cols[] = { "matched", "passed", "max_sdu", "gate_closed", "red",
					     "yellow", "demoted" };
	static const char *const heads[] = { "MATCHED", "PASSED", "OVER-SDU", "GATE-CLOSED", "RED",
					     "YELLOW", "DEMOTED" };
	json_object *filters = jget(data, "filters");
	struct table *t = table_new();
	char a[32], m[160], s[128], n[7][32];

	table_add_columns(t, "NAME", "MAX-SDU", "METER", "GATE", "STREAMS", NULL);
	for (size_t k = 0; k < 7; k++)
		table_add_column(t, heads[k]);
	for (size_t i = 0; filters && i < json_object_array_length(filters); i++) {
		json_object *f = json_object_array_get_idx(filters, i);
		json_object *cnt = jget(f, "counters");

		table_add_row(t);
		table_add_cell(t, "%s", or_dash(jstr(f, "name")));
		table_add_cell(t, "%s", json_object_get_int64(jget(f, "max_sdu")) ?
			       jtext(f, "max_sdu", a, sizeof(a)) : "-");
		table_add_cell(t, "%s", meter_text(jget(f, "meter"), m, sizeof(m)));
		table_add_cell(t, "%s", or_dash(jstr(f, "gate")));
		table_add_cell(t, "%s", int_list_text(jget(f, "streams"), s, sizeof(s)));
		for (size_t k = 0; k < 7; k++)
			table_add_cell(t, "%s", counter_text(cnt, cols[k], n[k], sizeof(n[k])));
	}
	if (!filters || json_object_array_length(filters) == 0) {
		fputs("no stream filters configured\n", o->out);
	} else {
		table_print(t, o->out);
		render_stream_gates(o, jget(data, "gates"));
	}
	table_free(t);
	return TSNCTL_EXIT_OK;
}

