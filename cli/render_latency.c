/* SPDX-License-Identifier: GPL-2.0-only */
/* render_latency.c — latency show and latency reset, as people read them. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* ---- latency.show, latency.reset ---- */

/* A duration in ns, short: "850ns", "6.03us", "20.1ms", "1.20s"; "-" for null. */
static const char *lat_text(json_object *obj, const char *key, char *buf, size_t len)
{
	int64_t ns;

	if (!jint(obj, key, &ns))
		return "-";
	if (ns < 1000)
		snprintf(buf, len, "%lldns", (long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.2fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.3fs", (double)ns / 1e9);
	return buf;
}

static void latency_row(struct table *t, const char *what, const char *cls, json_object *h)
{
	static const char *const keys[] = { "min_ns", "mean_ns", "p50_ns", "p99_ns", "p999_ns", "max_ns" };
	char buf[32];

	table_add_row(t);
	table_add_cell(t, "%s", what);
	table_add_cell(t, "%s", cls);
	table_add_cell(t, "%s", jtext(h, "count", buf, sizeof(buf)));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		table_add_cell(t, "%s", lat_text(h, keys[i], buf, sizeof(buf)));
}

int render_latency_show(const struct output *o, json_object *data)
{
	json_object *ports = jget(data, "ports"), *streams = jget(data, "streams");
	json_object *tot = jget(data, "totals");
	struct table *t = table_new();
	char a[32], b[32], c[32], d[32], what[64];
	size_t rows = 0;

	fprintf(o->out, "residence time: %s", or_dash(jstr(data, "state")));
	if (jstr(data, "message"))
		fprintf(o->out, " (%s)", jstr(data, "message"));
	if (jstr(data, "since"))
		fprintf(o->out, ", since %s", jstr(data, "since"));
	fprintf(o->out, "; ingress to driver, percentiles within +%s%%\n",
		jtext(data, "bucket_error_pct", a, sizeof(a)));
	if (tot)
		fprintf(o->out, "frames: %s stamped, %s measured, %s fast path (not measured), %s unmatched\n",
			jtext(tot, "stamped", a, sizeof(a)), jtext(tot, "measured", b, sizeof(b)),
			jtext(tot, "fast_path", c, sizeof(c)), jtext(tot, "unmatched", d, sizeof(d)));
	fputc('\n', o->out);
	table_add_columns(t, "PORT/STREAM", "CLASS", "COUNT", "MIN", "MEAN", "P50", "P99", "P99.9",
			  "MAX", NULL);
	for (size_t i = 0; ports && i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i), *classes = jget(p, "classes");
		for (size_t k = 0; classes && k < json_object_array_length(classes); k++, rows++) {
			json_object *cl = json_object_array_get_idx(classes, k);
			latency_row(t, or_dash(jstr(p, "name")), jtext(cl, "class", a, sizeof(a)), cl);
		}
	}
	for (size_t i = 0; streams && i < json_object_array_length(streams); i++, rows++) {
		json_object *s = json_object_array_get_idx(streams, i);
		snprintf(what, sizeof(what), "stream %s", jtext(s, "id", a, sizeof(a)));
		latency_row(t, what, "-", s);
	}
	if (rows)
		table_print(t, o->out);
	else
		fputs("no samples\n", o->out);
	table_free(t);
	return TSNCTL_EXIT_OK;
}

int render_latency_reset(const struct output *o, json_object *data)
{
	fprintf(o->out, "residence-time histograms and conformance counters zeroed at %s\n",
		or_dash(jstr(data, "since")));
	return TSNCTL_EXIT_OK;
}
