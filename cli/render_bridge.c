/* SPDX-License-Identifier: GPL-2.0-only */
/* render_bridge.c — bridge.show and fdb.show for people (docs/bridge.md). */
#include <stdio.h>

#include "render.h"

static const char *vlans_text(json_object *vlans, char *buf, size_t len)
{
	size_t off = 0, n = vlans ? json_object_array_length(vlans) : 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		json_object *v = json_object_array_get_idx(vlans, i);
		int64_t vid = 0;
		jint(v, "vid", &vid);
		off += (size_t)snprintf(buf + off, len - off, "%s%lld%s%s", i ? "," : "", (long long)vid,
					jbool(v, "pvid") == 1 ? "P" : "", jbool(v, "untagged") == 1 ? "U" : "");
	}
	return n ? buf : "-";
}

int render_bridge_show(const struct output *o, json_object *data)
{
	json_object *ports = jget(data, "ports");
	char a[32], vl[512];

	if (jbool(data, "enabled") != 1) {
		fputs("no bridge configured\n", o->out);
		return TSNCTL_EXIT_OK;
	}
	print_kv(o->out, "bridge", "%s (%s%s)", or_dash(jstr(data, "name")),
		 jbool(data, "present") == 1 ? (jbool(data, "up") == 1 ? "up" : "down") : "missing",
		 jbool(data, "created") == 1 ? ", created by tsnd" : ", adopted");
	print_kv(o->out, "vlans", "%s", jbool(data, "vlan_filtering") == 1 ? "on" : "off");
	print_kv(o->out, "ageing", "%ss", jtext(data, "ageing_time_s", a, sizeof(a)));
	if (jbool(data, "drift") == 1)
		print_kv(o->out, "drift", "yes: %s", or_dash(jstr(data, "drift_reason")));
	else
		print_kv(o->out, "drift", "none");
	fputc('\n', o->out);

	struct table *t = table_new();
	table_add_columns(t, "PORT", "MEMBER", "PVID", "PRIO", "VLANS (P pvid, U untagged)", NULL);
	for (size_t i = 0; ports && i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		int member = jbool(p, "member");
		table_add_row(t);
		table_add_cell(t, "%s", or_dash(jstr(p, "name")));
		table_add_cell(t, "%s", member == 1 ? "yes" : member == 0 ? "NO" : "-");
		table_add_cell(t, "%s", jtext(p, "pvid", a, sizeof(a)));
		table_add_cell(t, "%s", jtext(p, "default_priority", a, sizeof(a)));
		table_add_cell(t, "%s", vlans_text(jget(p, "vlans"), vl, sizeof(vl)));
	}
	table_print(t, o->out);
	table_free(t);
	return TSNCTL_EXIT_OK;
}

int render_fdb_show(const struct output *o, json_object *data)
{
	json_object *entries = jget(data, "entries");
	char a[32], b[32];

	if (jbool(data, "enabled") != 1) {
		fputs("no bridge configured\n", o->out);
		return TSNCTL_EXIT_OK;
	}
	struct table *t = table_new();
	table_add_columns(t, "MAC", "VID", "PORT", "KIND", "CONFIGURED", "AGE", "FAST PKTS", NULL);
	for (size_t i = 0; entries && i < json_object_array_length(entries); i++) {
		json_object *e = json_object_array_get_idx(entries, i);
		int64_t age;
		table_add_row(t);
		table_add_cell(t, "%s", or_dash(jstr(e, "mac")));
		table_add_cell(t, "%s", jtext(e, "vid", a, sizeof(a)));
		table_add_cell(t, "%s", or_dash(jstr(e, "port")));
		table_add_cell(t, "%s", or_dash(jstr(e, "kind")));
		table_add_cell(t, "%s", jbool(e, "configured") == 1 ? "yes" : "no");
		table_add_cell(t, "%s", jint(e, "age_s", &age) ? format_duration(b, sizeof(b), age) : "-");
		table_add_cell(t, "%s", jtext(jget(e, "fast_path"), "packets", a, sizeof(a)));
	}
	table_print(t, o->out);
	table_free(t);
	if (jbool(data, "fast_path") != 1)
		fputs("\nno XDP fast path for the bridge yet: every frame goes through the kernel bridge\n", o->out);
	return TSNCTL_EXIT_OK;
}
