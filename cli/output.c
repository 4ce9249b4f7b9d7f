/* output.c — tsnctl's one printing path: human tables and -j JSON, error
 * messages and exit statuses.  Field names are the daemon's (see the data shapes
 * in docs/control-protocol.md); a field that is missing prints as "-". */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "tsn/basetime.h"
#include "tsn/config.h"
#include "tsn/units.h"

#define KV_WIDTH 14	/* "last reload:" plus two spaces */

static void die_oom(void)
{
	fputs("tsnctl: out of memory\n", stderr);
	exit(TSNCTL_EXIT_ERROR);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

static char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		die_oom();
	return s;
}

/* ---- tables ------------------------------------------------------------------ */

struct table {
	char **titles;		/* ncols entries, NULL for a headerless column */
	size_t ncols;
	char **cells;		/* nrows * ncols, row-major; NULL prints empty */
	size_t nrows;
	size_t next_cell;	/* column the next table_add_cell fills */
};

struct table *table_new(void)
{
	struct table *t = calloc(1, sizeof(*t));
	if (!t)
		die_oom();
	return t;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncols; i++)
		free(t->titles[i]);
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->titles);
	free(t->cells);
	free(t);
}

void table_add_column(struct table *t, const char *title)
{
	if (t->nrows)	/* the row layout is fixed once rows exist */
		return;
	t->titles = xrealloc(t->titles, (t->ncols + 1) * sizeof(*t->titles));
	t->titles[t->ncols] = NULL;
	if (title && !(t->titles[t->ncols] = strdup(title)))
		die_oom();
	t->ncols++;
}

void table_add_row(struct table *t)
{
	t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*t->cells));
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = NULL;
	t->nrows++;
	t->next_cell = 0;
}

void table_add_cell(struct table *t, const char *fmt, ...)
{
	va_list ap;

	if (!t->nrows || t->next_cell >= t->ncols)	/* more cells than columns: dropped */
		return;
	va_start(ap, fmt);
	t->cells[(t->nrows - 1) * t->ncols + t->next_cell++] = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Columns on a terminal, counting each UTF-8 sequence as one. */
static size_t display_width(const char *s)
{
	size_t w = 0;
	for (; s && *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void print_row(FILE *out, char *const *cells, const size_t *widths, size_t ncols)
{
	size_t last = 0;	/* one past the last non-empty cell: no trailing blanks */

	for (size_t c = 0; c < ncols; c++)
		if (cells[c] && cells[c][0])
			last = c + 1;
	for (size_t c = 0; c < last; c++) {
		const char *s = cells[c] ? cells[c] : "";
		fputs(s, out);
		if (c + 1 < last)
			fprintf(out, "%*s", (int)(widths[c] - display_width(s) + 2), "");
	}
	fputc('\n', out);
}

void table_print(const struct table *t, FILE *out)
{
	size_t *widths = xrealloc(NULL, t->ncols * sizeof(*widths));
	bool header = false;

	for (size_t c = 0; c < t->ncols; c++) {
		widths[c] = display_width(t->titles[c]);
		header |= t->titles[c] != NULL;
		for (size_t r = 0; r < t->nrows; r++) {
			size_t w = display_width(t->cells[r * t->ncols + c]);
			if (w > widths[c])
				widths[c] = w;
		}
	}
	if (header)
		print_row(out, t->titles, widths, t->ncols);
	for (size_t r = 0; r < t->nrows; r++)
		print_row(out, t->cells + r * t->ncols, widths, t->ncols);
	free(widths);
}

/* ---- reading the daemon's JSON ---------------------------------------------- */

/* obj[key], or NULL if obj is not an object, key is absent or its value is null. */
static json_object *jget(json_object *obj, const char *key)
{
	json_object *v = NULL;
	if (obj && json_object_is_type(obj, json_type_object))
		json_object_object_get_ex(obj, key, &v);
	return v;
}

static const char *jstr(json_object *obj, const char *key)
{
	json_object *v = jget(obj, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool jint(json_object *obj, const char *key, int64_t *out)
{
	json_object *v = jget(obj, key);
	if (!v || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

/* 1 true, 0 false, -1 absent or not a boolean. */
static int jbool(json_object *obj, const char *key)
{
	json_object *v = jget(obj, key);
	if (!v || !json_object_is_type(v, json_type_boolean))
		return -1;
	return json_object_get_boolean(v);
}

/* A scalar field as table text: "-" when absent, null or an empty string. */
static const char *jtext(json_object *obj, const char *key, char *buf, size_t len)
{
	json_object *v = jget(obj, key);
	const char *s;

	switch (v ? json_object_get_type(v) : json_type_null) {
	case json_type_string:
		s = json_object_get_string(v);
		return s[0] ? s : "-";
	case json_type_int:
		snprintf(buf, len, "%" PRId64, json_object_get_int64(v));
		return buf;
	case json_type_double:
		snprintf(buf, len, "%g", json_object_get_double(v));
		return buf;
	case json_type_boolean:
		return json_object_get_boolean(v) ? "yes" : "no";
	default:
		return "-";
	}
}

static const char *or_dash(const char *s)
{
	return s && s[0] ? s : "-";
}

/* "1 warning", "2 warnings" */
static const char *count_of(char *buf, size_t len, int64_t n, const char *noun)
{
	snprintf(buf, len, "%" PRId64 " %s%s", n, noun, n == 1 ? "" : "s");
	return buf;
}

/* "3d 4h 5m 6s", starting at the largest non-zero unit. */
static const char *format_duration(char *buf, size_t len, int64_t s)
{
	int64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;

	if (d)
		snprintf(buf, len, "%" PRId64 "d %" PRId64 "h %" PRId64 "m %" PRId64 "s", d, h, m, sec);
	else if (h)
		snprintf(buf, len, "%" PRId64 "h %" PRId64 "m %" PRId64 "s", h, m, sec);
	else if (m)
		snprintf(buf, len, "%" PRId64 "m %" PRId64 "s", m, sec);
	else
		snprintf(buf, len, "%" PRId64 "s", sec);
	return buf;
}

static void print_kv(FILE *out, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void print_kv(FILE *out, const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%s:%*s", key, (int)(KV_WIDTH - 1 - strlen(key)), "");
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

static const char *speed_text(json_object *port, char *buf, size_t len)
{
	int64_t mbps;
	if (!jint(port, "speed_mbps", &mbps) || mbps <= 0)
		return "-";	/* 0: the driver does not say */
	snprintf(buf, len, "%" PRId64 "M", mbps);
	return buf;
}

/* "-" for a kernel field of a port that does not exist. */
static const char *port_field(json_object *port, const char *key, char *buf, size_t len)
{
	return jbool(port, "present") == 0 ? "-" : jtext(port, key, buf, len);
}

static const char *port_state(json_object *port)
{
	return jbool(port, "present") == 0 ? "absent" : or_dash(jstr(port, "oper_state"));
}

/* Diagnostics come as [{"severity","file","line","column","path","message"}];
 * they are printed by the library's formatter so that they read the same as
 * `tsnd --check` and `tsnctl config check FILE`. */
static void print_diagnostics(FILE *out, const char *file, json_object *diags)
{
	if (!diags || !json_object_is_type(diags, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(diags); i++) {
		json_object *item = json_object_array_get_idx(diags, i);
		const char *sev = jstr(item, "severity");
		struct tsn_diag diag = {
			.severity = sev && strcmp(sev, "warning") == 0 ? TSN_DIAG_WARNING : TSN_DIAG_ERROR,
		};
		struct tsn_diags d;
		int64_t v;
		char line[1024];

		if (jint(item, "line", &v) && v > 0 && v <= UINT32_MAX)
			diag.line = (unsigned)v;
		if (jint(item, "column", &v) && v > 0 && v <= UINT32_MAX)
			diag.column = (unsigned)v;
		snprintf(diag.path, sizeof(diag.path), "%s", jstr(item, "path") ? jstr(item, "path") : "");
		snprintf(diag.message, sizeof(diag.message), "%s",
			 jstr(item, "message") ? jstr(item, "message") : "(no message)");
		tsn_diags_init(&d, jstr(item, "file") ? jstr(item, "file") : or_dash(file));
		tsn_diag_format(&d, &diag, line, sizeof(line));
		tsn_diags_free(&d);
		fprintf(out, "%s\n", line);
	}
}

/* ---- human rendering, one function per command ------------------------------- */

typedef int (*render_fn)(const struct output *o, json_object *data);

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
			print_kv(out, name, "%s applied, %s held, %s drift, %s error", jtext(sub, "applied", a, sizeof(a)),
				 jtext(sub, "held", b, sizeof(b)), jtext(sub, "drift", c, sizeof(c)),
				 jtext(sub, "error", d, sizeof(d)));
			continue;
		}
		print_kv(out, name, "%s%s%s", or_dash(jstr(sub, "state")), attached, note);
	}
}

static int render_status(const struct output *o, json_object *data)
{
	json_object *ports = jget(data, "ports");
	struct table *t = table_new();
	char buf[32];

	status_header(o->out, data);
	fputc('\n', o->out);

	table_add_column(t, "PORT");
	table_add_column(t, "STATE");
	table_add_column(t, "SPEED");
	table_add_column(t, "SCHEDULE");
	table_add_column(t, "XDP");
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

static int render_port_show(const struct output *o, json_object *data)
{
	json_object *ports = jget(data, "ports");
	struct table *t = table_new();
	char a[32], b[64];

	table_add_column(t, "PORT");
	table_add_column(t, "STATE");
	table_add_column(t, "SPEED");
	table_add_column(t, "MTU");
	table_add_column(t, "TXQ");
	table_add_column(t, "QDISC");
	table_add_column(t, "XDP");
	table_add_column(t, "RX-PKTS");
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
	}
	table_print(t, o->out);
	table_free(t);
	return TSNCTL_EXIT_OK;
}

static int render_config_show(const struct output *o, json_object *data)
{
	const char *yaml = jstr(data, "yaml");

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

static int render_config_check(const struct output *o, json_object *data)
{
	const char *file = or_dash(jstr(data, "file"));
	char note[48];

	print_diagnostics(o->err, file, jget(data, "diagnostics"));
	fprintf(o->out, "%s: configuration valid%s\n", file, warnings_note(data, note, sizeof(note)));
	return TSNCTL_EXIT_OK;
}

static int render_config_reload(const struct output *o, json_object *data)
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

/* ---- ptp status ---- */

/* "-312ns", or "-" if absent. */
static const char *ns_text(json_object *obj, const char *key, char *buf, size_t len)
{
	int64_t v;
	if (!jint(obj, key, &v))
		return "-";
	snprintf(buf, len, "%" PRId64 "ns", v);
	return buf;
}

/* An unsigned duration in ns the way the configuration writes it ("100us"). */
static const char *dur_text(json_object *obj, const char *key, char *buf, size_t len)
{
	int64_t v;
	if (!jint(obj, key, &v) || v < 0)
		return "-";
	return tsn_format_duration((uint64_t)v, buf, len);
}

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

static int render_ptp_status(const struct output *o, json_object *data)
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
	table_add_column(t, "PORT");
	table_add_column(t, "NUMBER");
	table_add_column(t, "STATE");
	table_add_column(t, "ROLE");
	table_add_column(t, "DELAY");
	table_add_column(t, "PEER-DELAY");
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

static int render_hello(const struct output *o, json_object *data)
{
	char a[32], b[32];

	fprintf(o->out, "tsnd %s, control protocol %s\n", jtext(data, "version", a, sizeof(a)),
		jtext(data, "protocol", b, sizeof(b)));
	return TSNCTL_EXIT_OK;
}

/* "-" for a null counter object (no data plane), else the number. */
static const char *counter_text(json_object *counters, const char *key, char *buf, size_t len)
{
	return counters ? jtext(counters, key, buf, len) : "-";
}

static int render_stream_show(const struct output *o, json_object *data)
{
	json_object *streams = jget(data, "streams");
	struct table *t = table_new();
	char a[32], b[32], c[32], d[32], e[32];

	table_add_column(t, "ID");
	table_add_column(t, "NAME");
	table_add_column(t, "IDENTIFICATION");
	table_add_column(t, "MATCH");
	table_add_column(t, "PRIO");
	table_add_column(t, "FILTER");
	table_add_column(t, "PACKETS");
	table_add_column(t, "BYTES");
	table_add_column(t, "DROPS");
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

static int render_class_stats(const struct output *o, json_object *data)
{
	json_object *ports = jget(data, "ports");
	struct table *t = table_new();
	char a[32], b[32], c[32], d[32], e[64];

	table_add_column(t, "PORT");
	table_add_column(t, "CLASS");
	table_add_column(t, "PRIORITIES");
	table_add_column(t, "GATED");
	table_add_column(t, "PACKETS");
	table_add_column(t, "BYTES");
	table_add_column(t, "DROPS");
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

static int render_route_show(const struct output *o, json_object *data)
{
	json_object *routes = jget(data, "routes"), *extra = jget(data, "unconfigured");
	struct table *t = table_new();
	char a[32];

	table_add_column(t, "PREFIX");
	table_add_column(t, "VIA");
	table_add_column(t, "DEV");
	table_add_column(t, "METRIC");
	table_add_column(t, "STATE");
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

struct renderer {
	const char *command;
	render_fn human;
	const char *json_field;	/* -j prints data[json_field] instead of data */
};

/* ---- schedule show ---- */

/* "  key:         value", the key/value layout of status, indented under a port. */
static void sched_kv(FILE *out, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void sched_kv(FILE *out, const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "  %s:%*s", key, (int)(KV_WIDTH - 1 - strlen(key)), "");
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
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
	table_add_column(t, "#");
	table_add_column(t, "OP");
	table_add_column(t, "GATES");
	table_add_column(t, "INTERVAL");
	table_add_column(t, "START-OFFSET");
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

static int render_schedule_show(const struct output *o, json_object *data)
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
	}
	return TSNCTL_EXIT_OK;
}

/* The meter column: "10Mbit/4096B" (+ "+2Mbit/1500B" with an excess rate), then
 * what happens to red frames, then "aware" and "coupled" where set. */
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
	table_add_column(t, "STREAM-GATE");
	table_add_column(t, "CLOCK");
	table_add_column(t, "STATE");
	table_add_column(t, "ENTRY");
	table_add_column(t, "PRIORITY");
	table_add_column(t, "NEXT-CHANGE");
	table_add_column(t, "NEXT-ENTRY");
	table_add_column(t, "GATE-CLOSED");
	table_add_column(t, "FILTERS");
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

static int render_filter_show(const struct output *o, json_object *data)
{
	static const char *const cols[] = { "matched", "passed", "max_sdu", "gate_closed", "red",
					     "yellow", "demoted" };
	static const char *const heads[] = { "MATCHED", "PASSED", "OVER-SDU", "GATE-CLOSED", "RED",
					     "YELLOW", "DEMOTED" };
	json_object *filters = jget(data, "filters");
	struct table *t = table_new();
	char a[32], m[160], s[128], n[7][32];

	table_add_column(t, "NAME");
	table_add_column(t, "MAX-SDU");
	table_add_column(t, "METER");
	table_add_column(t, "GATE");
	table_add_column(t, "STREAMS");
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

static int render_latency_show(const struct output *o, json_object *data)
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
	table_add_column(t, "PORT/STREAM");
	table_add_column(t, "CLASS");
	table_add_column(t, "COUNT");
	table_add_column(t, "MIN");
	table_add_column(t, "MEAN");
	table_add_column(t, "P50");
	table_add_column(t, "P99");
	table_add_column(t, "P99.9");
	table_add_column(t, "MAX");
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

static int render_latency_reset(const struct output *o, json_object *data)
{
	fprintf(o->out, "residence-time histograms and conformance counters zeroed at %s\n",
		or_dash(jstr(data, "since")));
	return TSNCTL_EXIT_OK;
}

static const struct renderer renderers[] = {
	{ "hello",         render_hello,         NULL },
	{ "status",        render_status,        NULL },
	{ "config.show",   render_config_show,   "config" },
	{ "config.check",  render_config_check,  NULL },
	{ "config.reload", render_config_reload, NULL },
	{ "port.show",     render_port_show,     NULL },
	{ "ptp.status",    render_ptp_status,    NULL },
	{ "schedule.show", render_schedule_show, NULL },
	{ "stream.show",   render_stream_show,   NULL },
	{ "class.stats",   render_class_stats,   NULL },
	{ "route.show",    render_route_show,    NULL },
	{ "filter.show",   render_filter_show,   NULL },
	{ "latency.show",  render_latency_show,  NULL },
	{ "latency.reset", render_latency_reset, NULL },
};

static const struct renderer *renderer_find(const char *command)
{
	for (size_t i = 0; i < sizeof(renderers) / sizeof(renderers[0]); i++)
		if (strcmp(renderers[i].command, command) == 0)
			return &renderers[i];
	return NULL;
}

/* ---- JSON rendering ----------------------------------------------------------- */

static void print_json(const struct output *o, json_object *obj)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (o->pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
			       : JSON_C_TO_STRING_PLAIN);
	fprintf(o->out, "%s\n", json_object_to_json_string_ext(obj, flags));
}

/* {"error":{"code":N|null,"result":"name","message":"..."},"data":...|null} */
static void print_json_error(const struct output *o, json_object *code, const char *result,
			     const char *message, json_object *data)
{
	json_object *root = json_object_new_object(), *error = json_object_new_object();

	if (!root || !error)
		die_oom();
	json_object_object_add(error, "code", code);
	json_object_object_add(error, "result", json_object_new_string(result));
	json_object_object_add(error, "message", json_object_new_string(message));
	json_object_object_add(root, "error", error);
	json_object_object_add(root, "data", json_object_get(data));
	print_json(o, root);
	json_object_put(root);
}

/* ---- exit statuses and error messages ----------------------------------------- */

int output_exit_for_code(enum tsn_ctl_code code)
{
	switch (code) {
	case TSN_CTL_OK:
		return TSNCTL_EXIT_OK;
	case TSN_CTL_E_PERMISSION:
		return TSNCTL_EXIT_PERMISSION;
	case TSN_CTL_E_CONFIG_INVALID:
		return TSNCTL_EXIT_CONFIG_INVALID;
	/* The daemon did not understand what tsnctl sent: the two disagree on the
	 * protocol, which is not something the user can fix by changing arguments. */
	case TSN_CTL_E_MALFORMED:
	case TSN_CTL_E_VERSION:
	case TSN_CTL_E_TOO_LARGE:
	case TSN_CTL_E_TIMEOUT:
		return TSNCTL_EXIT_PROTOCOL;
	default:
		return TSNCTL_EXIT_ERROR;
	}
}

int output_exit_for_client_error(const struct client_error *e)
{
	switch (e->kind) {
	case CLIENT_OK:
		return TSNCTL_EXIT_OK;
	case CLIENT_CONNECT:
		if (e->errnum == EACCES || e->errnum == EPERM)
			return TSNCTL_EXIT_PERMISSION;
		return TSNCTL_EXIT_UNREACHABLE;
	case CLIENT_TIMEOUT:
	case CLIENT_PROTOCOL:
	default:
		return TSNCTL_EXIT_PROTOCOL;
	}
}

/* "config.reload" -> "config reload", as the user typed it. */
static const char *command_words(const char *command, char *buf, size_t len)
{
	snprintf(buf, len, "%s", command);
	for (char *p = buf; *p; p++)
		if (*p == '.')
			*p = ' ';
	return buf;
}

/* Which group a command needs, for permission messages. */
static const char *needed_group(const char *command)
{
	const struct tsn_ctl_command *c = tsn_ctl_command_find(command);
	return c && c->access == TSN_CTL_ADMIN ? "admin" : "read";
}

static void permission_hint(char *buf, size_t len, const char *command)
{
	char words[TSN_CTL_COMMAND_MAX];
	const char *group = needed_group(command);

	snprintf(buf, len, "'%s' needs root or membership in tsnd's %s group (control.%s-group in tsnd.yaml)",
		 command_words(command, words, sizeof(words)), group, group);
}

int output_client_error(const struct output *o, const char *command, const struct client_error *e)
{
	char msg[1024], hint[256];
	const char *result;
	int status = output_exit_for_client_error(e);

	switch (status) {
	case TSNCTL_EXIT_PERMISSION:
		permission_hint(hint, sizeof(hint), command);
		snprintf(msg, sizeof(msg), "permission denied connecting to tsnd at %s: %s; %s",
			 o->socket, e->detail, hint);
		result = "permission-denied";
		break;
	case TSNCTL_EXIT_UNREACHABLE:
		snprintf(msg, sizeof(msg), "cannot reach tsnd at %s: %s (is tsnd running?)",
			 o->socket, e->detail);
		result = "unreachable";
		break;
	default:
		snprintf(msg, sizeof(msg), "%s talking to tsnd at %s: %s",
			 e->kind == CLIENT_TIMEOUT ? "timeout" : "protocol error", o->socket, e->detail);
		result = e->kind == CLIENT_TIMEOUT ? "timeout" : "protocol-error";
		break;
	}
	fprintf(o->err, "tsnctl: %s\n", msg);
	if (o->json)
		print_json_error(o, NULL, result, msg, NULL);
	return status;
}

/* The daemon answered with an error: say what failed in words, with the
 * diagnostics when the configuration was the problem. */
static void print_response_error(const struct output *o, const char *command,
				 const struct tsn_ctl_response *resp)
{
	char words[TSN_CTL_COMMAND_MAX], hint[256], buf[32];
	json_object *data = resp->data;
	const char *message = resp->message[0] ? resp->message : "no reason given";

	command_words(command, words, sizeof(words));
	switch (resp->code) {
	case TSN_CTL_E_PERMISSION:
		permission_hint(hint, sizeof(hint), command);
		fprintf(o->err, "tsnctl: tsnd at %s refused %s: %s (%s)\ntsnctl: %s\n", o->socket,
			words, message, tsn_ctl_code_name(resp->code), hint);
		return;
	case TSN_CTL_E_CONFIG_INVALID:
		if (jget(data, "diagnostics")) {
			int64_t errors = 0, warnings = 0;
			char e[32], w[48] = "";
			jint(data, "errors", &errors);
			if (jint(data, "warnings", &warnings) && warnings > 0) {
				char count[32];
				snprintf(w, sizeof(w), ", %s",
					 count_of(count, sizeof(count), warnings, "warning"));
			}
			print_diagnostics(o->err, jstr(data, "file"), jget(data, "diagnostics"));
			fprintf(o->err, "tsnctl: %s: configuration invalid: %s%s%s\n",
				jtext(data, "file", buf, sizeof(buf)), count_of(e, sizeof(e), errors, "error"),
				w, strcmp(command, "config.reload") == 0 ? "; nothing was changed" : "");
			return;
		}
		break;
	default:
		break;
	}
	fprintf(o->err, "tsnctl: %s: %s (%s)\n", words, message, tsn_ctl_code_name(resp->code));
}

int output_response(const struct output *o, const char *command,
		    const struct tsn_ctl_response *resp)
{
	const struct renderer *r = renderer_find(command);

	if (resp->code != TSN_CTL_OK) {
		print_response_error(o, command, resp);
		if (o->json)
			print_json_error(o, json_object_new_int(resp->code),
					 tsn_ctl_code_name(resp->code), resp->message, resp->data);
		return output_exit_for_code(resp->code);
	}

	if (o->json) {
		json_object *obj = resp->data;
		if (r && r->json_field && !(obj = jget(resp->data, r->json_field))) {
			fprintf(o->err, "tsnctl: tsnd's answer to %s lacks the field \"%s\"\n",
				command, r->json_field);
			return TSNCTL_EXIT_PROTOCOL;
		}
		print_json(o, obj);
		return TSNCTL_EXIT_OK;
	}
	if (!r) {	/* a command without a human rendering: show the data as it is */
		struct output pretty = *o;
		pretty.pretty = true;
		print_json(&pretty, resp->data);
		return TSNCTL_EXIT_OK;
	}
	return r->human(o, resp->data);
}
