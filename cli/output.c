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
#include "tsn/config.h"

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
		table_add_cell(t, "%s", or_dash(jstr(p, "schedule")));
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

static int render_hello(const struct output *o, json_object *data)
{
	char a[32], b[32];

	fprintf(o->out, "tsnd %s, control protocol %s\n", jtext(data, "version", a, sizeof(a)),
		jtext(data, "protocol", b, sizeof(b)));
	return TSNCTL_EXIT_OK;
}

struct renderer {
	const char *command;
	render_fn human;
	const char *json_field;	/* -j prints data[json_field] instead of data */
};

static const struct renderer renderers[] = {
	{ "hello",         render_hello,         NULL },
	{ "status",        render_status,        NULL },
	{ "config.show",   render_config_show,   "config" },
	{ "config.check",  render_config_check,  NULL },
	{ "config.reload", render_config_reload, NULL },
	{ "port.show",     render_port_show,     NULL },
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
