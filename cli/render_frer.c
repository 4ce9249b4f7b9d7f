/* SPDX-License-Identifier: GPL-2.0-only */
/* render_frer.c — frer show (IEEE 802.1CB) as people read it: one row per stream
 * and one per port, the columns named after 802.1CB's frerCpsSeqRcvy...
 * counters (docs/frer.md "Counters"; -j gives the daemon's JSON). */
#include <stdio.h>

#include "render.h"

/* Column title, JSON key: the managed object without its frerCpsSeqRcvy prefix. */
static const struct {
	const char *title, *key;
} frer_cols[] = {
	{ "PASSED", "passed_packets" },		/* frerCpsSeqRcvyPassedPackets */
	{ "DISCARDED", "discarded_packets" },	/* frerCpsSeqRcvyDiscardedPackets */
	{ "OUT-OF-ORDER", "out_of_order_packets" },
	{ "ROGUE", "rogue_packets" },
	{ "LOST", "lost_packets" },
	{ "TAGLESS", "tagless_packets" },
	{ "RESETS", "resets" },
	{ "LATENT", "latent_errors" },
	{ "GENERATED", "generated_packets" },
	{ "REPLICATED", "replicated_packets" },
};
#define FRER_N_COLS (sizeof(frer_cols) / sizeof(frer_cols[0]))

static void frer_counter_cells(struct table *t, json_object *c)
{
	char buf[32];

	for (size_t i = 0; i < FRER_N_COLS; i++)
		table_add_cell(t, "%s", c ? jtext(c, frer_cols[i].key, buf, sizeof(buf)) : "-");
}

static void frer_counter_columns(struct table *t)
{
	for (size_t i = 0; i < FRER_N_COLS; i++)
		table_add_column(t, frer_cols[i].title);
}

/* "p2,p3@200" from the paths. */
static const char *frer_paths_text(json_object *paths, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; paths && i < json_object_array_length(paths) && used + 1 < len; i++) {
		json_object *p = json_object_array_get_idx(paths, i);
		char ix[16];
		int64_t vid = 0;
		const char *port = jstr(p, "port");
		int n = snprintf(buf + used, len - used, "%s%s", i ? "," : "",
				 port ? port : jtext(p, "ifindex", ix, sizeof(ix)));
		if (n > 0 && (size_t)n < len - used && jint(p, "vlan", &vid))
			n += snprintf(buf + used + n, len - used - (size_t)n, "@%lld", (long long)vid);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return buf[0] ? buf : "-";
}

int render_frer_show(const struct output *o, json_object *data)
{
	json_object *streams = jget(data, "streams"), *ports = jget(data, "ports");
	size_t ns = streams ? json_object_array_length(streams) : 0;
	size_t np = ports ? json_object_array_length(ports) : 0;
	char a[32], b[32], c[128];

	if (jbool(data, "enabled") != 1 && ns == 0) {
		fputs("FRER is off (no frer section)\n", o->out);
		return TSNCTL_EXIT_OK;
	}
	struct table *t = table_new();
	table_add_columns(t, "STREAM", "NAME", "ROLE", "PATHS", "SEQ", NULL);
	frer_counter_columns(t);
	for (size_t i = 0; i < ns; i++) {
		json_object *s = json_object_array_get_idx(streams, i);
		json_object *seq = jget(s, "recov_seq_num") ? jget(s, "recov_seq_num") : jget(s, "gen_seq_num");

		table_add_row(t);
		table_add_cell(t, "%s", jtext(s, "stream_id", a, sizeof(a)));
		table_add_cell(t, "%s", or_dash(jstr(s, "name")));
		table_add_cell(t, "%s", or_dash(jstr(s, "role")));
		table_add_cell(t, "%s", frer_paths_text(jget(s, "paths"), c, sizeof(c)));
		table_add_cell(t, "%s", seq ? json_object_get_string(seq) : "-");
		frer_counter_cells(t, jget(s, "counters"));
	}
	table_print(t, o->out);
	table_free(t);

	if (np) {
		fputc('\n', o->out);
		t = table_new();
		table_add_columns(t, "PORT", NULL);
		frer_counter_columns(t);
		for (size_t i = 0; i < np; i++) {
			json_object *p = json_object_array_get_idx(ports, i);
			const char *name = jstr(p, "port");

			table_add_row(t);
			table_add_cell(t, "%s", name ? name : jtext(p, "ifindex", b, sizeof(b)));
			frer_counter_cells(t, jget(p, "counters"));
		}
		table_print(t, o->out);
		table_free(t);
	}
	fprintf(o->out, "\nlatent-error events: %s\n", jtext(data, "latent_error_events", a, sizeof(a)));
	return TSNCTL_EXIT_OK;
}
