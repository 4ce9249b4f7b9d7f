/* SPDX-License-Identifier: GPL-2.0-only */
/* render_status.c — status, hello, port show and the config commands, as
 * people read them. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

static void status_header(FILE *out, json_object *data)
{
	json_object *daemon = jget(data, "daemon"), *cfg = jget(data, "config");
	json_object *last = jget(cfg, "last_reload");
	char a[64], b[64], c[64];
	int64_t n;

	print_kv(out, "daemon", "tsnd %s, pid %s", jtext(daemon, "version", a, sizeof(a)),
		 jtext(daemon, "pid", b, sizeof(b)));
	if (jint(daemon, "uptime_s", &n))
		print_kv(out, "uptime", "%s, since %s", format_duration(a, sizeof(a), n),
			 jtext(daemon, "started", b, sizeof(b)));
	else
		print_kv(out, "uptime", "-");
	print_kv(out, "config", "%s", jtext(cfg, "file", a, sizeof(a)));
	print_kv(out, "generation", "%s, loaded %s, %s", jtext(cfg, "generation", a, sizeof(a)),
		 jtext(cfg, "loaded", b, sizeof(b)),
		 jint(cfg, "warnings", &n) ? count_of(c, sizeof(c), n, "warning") : "- warnings");
	if (!last)
		print_kv(out, "last reload", "never");
	else if (jstr(last, "message") && jstr(last, "message")[0])
		print_kv(out, "last reload", "%s %s: %s", jtext(last, "time", a, sizeof(a)),
			 jtext(last, "result", b, sizeof(b)), jstr(last, "message"));
	else
		print_kv(out, "last reload", "%s %s", jtext(last, "time", a, sizeof(a)),
			 jtext(last, "result", b, sizeof(b)));
}

/* One line per subsystem: "dataplane:    loaded, 2 ports attached (message)". */
static void status_subsystems(FILE *out, json_object *subsystems)
{
	if (!subsystems || !json_object_is_type(subsystems, json_type_object))
		return;
	json_object_object_foreach(subsystems, name, sub) {
		char attached[64] = "", note[TSN_CTL_MESSAGE_MAX + 4] = "", buf[32];
		int64_t n;

		if (jint(sub, "ports_attached", &n))
			snprintf(attached, sizeof(attached), ", %s attached",
				 count_of(buf, sizeof(buf), n, "port"));
		if (jstr(sub, "message") && jstr(sub, "message")[0])
			snprintf(note, sizeof(note), " (%s)", jstr(sub, "message"));
		if (jget(sub, "sent_while_closed")) {	/* telemetry: the gate-conformance figures */
			char a[24], b[24], c[24];
			print_kv(out, name, "%s%s, gate conformance: %s sent while closed, %s waited over a "
				 "cycle (tolerance %s ns)", or_dash(jstr(sub, "state")), note,
				 jtext(sub, "sent_while_closed", a, sizeof(a)),
				 jtext(sub, "waited_over_cycle", b, sizeof(b)), jtext(sub, "tolerance_ns", c, sizeof(c)));
			continue;
		}
		if (!jstr(sub, "state") && jget(sub, "applied")) {	/* schedules: counts by state */
			char a[16], b[16], c[16], d[16];
			char e[16] = "0", f[16] = "0";
			if (jget(sub, "unreadable"))
				jtext(sub, "unreadable", e, sizeof(e));
			if (jget(sub, "recoveries"))
				jtext(sub, "recoveries", f, sizeof(f));
			print_kv(out, name, "%s applied, %s held, %s drift, %s error%s%s%s%s%s", jtext(sub, "applied", a, sizeof(a)),
				 jtext(sub, "held", b, sizeof(b)), jtext(sub, "drift", c, sizeof(c)),
				 jtext(sub, "error", d, sizeof(d)), strcmp(e, "0") ? ", " : "", strcmp(e, "0") ? e : "",
				 strcmp(e, "0") ? " unreadable" : "", strcmp(f, "0") ? "; link recoveries " : "",
				 strcmp(f, "0") ? f : "");
			continue;
		}
		print_kv(out, name, "%s%s%s", or_dash(jstr(sub, "state")), attached, note);
	}
}

int render_status(const struct output *o, json_object *data)
{
	json_object *ports = jget(data, "ports");
	struct table *t = table_new();
	char buf[32];

	status_header(o->out, data);
	fputc('\n', o->out);

	table_add_columns(t, "PORT", "STATE", "SPEED", "SCHEDULE", "XDP", NULL);
	for (size_t i = 0; ports && i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		table_add_row(t);
		table_add_cell(t, "%s", or_dash(jstr(p, "name")));
		table_add_cell(t, "%s", port_state(p));
		table_add_cell(t, "%s", jbool(p, "present") == 0 ? "-" : speed_text(p, buf, sizeof(buf)));
		/* The schedule's state (applied, held, drift, error) when tsnd reports it. */
		table_add_cell(t, "%s", or_dash(jstr(p, "schedule_state") ? jstr(p, "schedule_state")
									    : jstr(p, "schedule")));
		table_add_cell(t, "%s", or_dash(jstr(p, "xdp")));
	}
	table_print(t, o->out);
	table_free(t);

	fputc('\n', o->out);
	status_subsystems(o->out, jget(data, "subsystems"));
	return TSNCTL_EXIT_OK;
}

/* The XDP column: the attach mode, flagged when the program is not attached
 * although the port asks for it. */
static const char *xdp_text(json_object *xdp, char *buf, size_t len)
{
	const char *mode = jstr(xdp, "mode");

	if (xdp && json_object_is_type(xdp, json_type_string))
		return or_dash(json_object_get_string(xdp));
	if (!mode)
		return "-";
	if (strcmp(mode, "off") != 0 && jbool(xdp, "attached") == 0) {
		snprintf(buf, len, "%s (detached)", mode);
		return buf;
	}
	return mode;
}

/* Frames the XDP program counted, summed over all kinds. */
static const char *rx_packets_text(json_object *xdp, char *buf, size_t len)
{
	json_object *counters = jget(xdp, "counters");
	uint64_t sum = 0;

	if (!counters || !json_object_is_type(counters, json_type_object))
		return "-";
	json_object_object_foreach(counters, kind, counter) {
		int64_t n;
		(void)kind;
		if (jint(counter, "packets", &n) && n > 0)
			sum += (uint64_t)n;
	}
	snprintf(buf, len, "%" PRIu64, sum);
	return buf;
}

/* The VLAN transmit offload: on, off, "off (tsnd)" when tsnd turned it off, "-" unknown. */
static const char *txvlan_text(json_object *p)
{
	int on = jbool(p, "tx_vlan_offload");

	if (on < 0)
		return "-";
	return on ? "on" : jbool(p, "tx_vlan_offload_off_by_tsnd") == 1 ? "off (tsnd)" : "off";
}

int render_port_show(const struct output *o, json_object *data)
{
	json_object *ports = jget(data, "ports");
	struct table *t = table_new();
	char a[32], b[64];

	table_add_columns(t, "PORT", "STATE", "SPEED", "MTU", "TXQ", "QDISC", "XDP", "RX-PKTS",
			  "TXVLAN", NULL);
	for (size_t i = 0; ports && i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		json_object *xdp = jget(p, "xdp");
		table_add_row(t);
		table_add_cell(t, "%s", or_dash(jstr(p, "name")));
		table_add_cell(t, "%s", port_state(p));
		table_add_cell(t, "%s", jbool(p, "present") == 0 ? "-" : speed_text(p, a, sizeof(a)));
		table_add_cell(t, "%s", port_field(p, "mtu", a, sizeof(a)));
		table_add_cell(t, "%s", port_field(p, "tx_queues", a, sizeof(a)));
		table_add_cell(t, "%s", port_field(p, "qdisc", a, sizeof(a)));
		table_add_cell(t, "%s", xdp_text(xdp, b, sizeof(b)));
		table_add_cell(t, "%s", rx_packets_text(xdp, a, sizeof(a)));
		table_add_cell(t, "%s", txvlan_text(p));
	}
	table_print(t, o->out);
	table_free(t);
	return TSNCTL_EXIT_OK;
}

int render_config_show(const struct output *o, json_object *data)
{
	const char *yaml = jstr(data, "yaml");
	json_object *cfg = jget(data, "config");

	if (!yaml && cfg) {	/* --no-yaml: the same configuration, as JSON */
		struct output pretty = *o;
		pretty.pretty = true;
		output_print_json(&pretty, cfg);
		return TSNCTL_EXIT_OK;
	}
	if (!yaml) {
		fprintf(o->err, "tsnctl: tsnd's answer to config show lacks the field \"yaml\"\n");
		return TSNCTL_EXIT_PROTOCOL;
	}
	fputs(yaml, o->out);
	if (yaml[0] && yaml[strlen(yaml) - 1] != '\n')
		fputc('\n', o->out);
	return TSNCTL_EXIT_OK;
}

/* " (1 warning)" or "" */
static const char *warnings_note(json_object *data, char *buf, size_t len)
{
	int64_t n;
	char count[32];

	if (!jint(data, "warnings", &n) || n == 0)
		return "";
	snprintf(buf, len, " (%s)", count_of(count, sizeof(count), n, "warning"));
	return buf;
}

int render_config_check(const struct output *o, json_object *data)
{
	const char *file = or_dash(jstr(data, "file"));
	char note[48];

	print_diagnostics(o->err, file, jget(data, "diagnostics"));
	fprintf(o->out, "%s: configuration valid%s\n", file, warnings_note(data, note, sizeof(note)));
	return TSNCTL_EXIT_OK;
}

int render_config_reload(const struct output *o, json_object *data)
{
	json_object *changed = jget(data, "changed");
	char gen[32];

	print_diagnostics(o->err, jstr(data, "file"), jget(data, "diagnostics"));
	fprintf(o->out, "configuration reloaded: generation %s, ",
		jtext(data, "generation", gen, sizeof(gen)));
	if (!changed || !json_object_is_type(changed, json_type_array) ||
	    json_object_array_length(changed) == 0) {
		fputs("nothing changed\n", o->out);
		return TSNCTL_EXIT_OK;
	}
	fputs("changed: ", o->out);
	for (size_t i = 0; i < json_object_array_length(changed); i++) {
		json_object *s = json_object_array_get_idx(changed, i);
		fprintf(o->out, "%s%s", i ? ", " : "", or_dash(json_object_get_string(s)));
	}
	fputc('\n', o->out);
	return TSNCTL_EXIT_OK;
}

static int render_message(const struct output *o)
{
	fprintf(o->out, "%s\n", o->message ? o->message : "");
	return TSNCTL_EXIT_OK;
}

int render_config_apply(const struct output *o, json_object *data)
{
	(void)data;
	return render_message(o);
}

int render_config_confirm(const struct output *o, json_object *data)
{
	(void)data;
	return render_message(o);
}

int render_config_cancel(const struct output *o, json_object *data)
{
	(void)data;
	return render_message(o);
}

int render_hello(const struct output *o, json_object *data)
{
	char a[32], b[32];

	fprintf(o->out, "tsnd %s, control protocol %s\n", jtext(data, "version", a, sizeof(a)),
		jtext(data, "protocol", b, sizeof(b)));
	return TSNCTL_EXIT_OK;
}

/* "-" for a null counter object (no data plane), else the number. */
