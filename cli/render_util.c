/* SPDX-License-Identifier: GPL-2.0-only */
/* render_util.c — reading the daemon's JSON and the small formats the
 * renderers share ("-" for what is missing, durations, key/value lines,
 * diagnostics). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "render.h"
#include "tsn/config.h"
#include "tsn/units.h"

/* ---- reading the daemon's JSON ---------------------------------------------- */

/* obj[key], or NULL if obj is not an object, key is absent or its value is null. */
json_object *jget(json_object *obj, const char *key)
{
	json_object *v = NULL;
	if (obj && json_object_is_type(obj, json_type_object))
		json_object_object_get_ex(obj, key, &v);
	return v;
}

const char *jstr(json_object *obj, const char *key)
{
	json_object *v = jget(obj, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool jint(json_object *obj, const char *key, int64_t *out)
{
	json_object *v = jget(obj, key);
	if (!v || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

/* 1 true, 0 false, -1 absent or not a boolean. */
int jbool(json_object *obj, const char *key)
{
	json_object *v = jget(obj, key);
	if (!v || !json_object_is_type(v, json_type_boolean))
		return -1;
	return json_object_get_boolean(v);
}

/* A scalar field as table text: "-" when absent, null or an empty string. */
const char *jtext(json_object *obj, const char *key, char *buf, size_t len)
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

const char *or_dash(const char *s)
{
	return s && s[0] ? s : "-";
}

/* "1 warning", "2 warnings" */
const char *count_of(char *buf, size_t len, int64_t n, const char *noun)
{
	snprintf(buf, len, "%" PRId64 " %s%s", n, noun, n == 1 ? "" : "s");
	return buf;
}

/* "3d 4h 5m 6s", starting at the largest non-zero unit. */
const char *format_duration(char *buf, size_t len, int64_t s)
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

void vprint_kv(FILE *out, const char *indent, const char *key, const char *fmt, va_list ap)
{
	fprintf(out, "%s%s:%*s", indent, key, (int)(KV_WIDTH - 1 - strlen(key)), "");
	vfprintf(out, fmt, ap);
	fputc('\n', out);
}

void print_kv(FILE *out, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_kv(out, "", key, fmt, ap);
	va_end(ap);
}

const char *speed_text(json_object *port, char *buf, size_t len)
{
	int64_t mbps;
	if (!jint(port, "speed_mbps", &mbps) || mbps <= 0)
		return "-";	/* 0: the driver does not say */
	snprintf(buf, len, "%" PRId64 "M", mbps);
	return buf;
}

/* "-" for a kernel field of a port that does not exist. */
const char *port_field(json_object *port, const char *key, char *buf, size_t len)
{
	return jbool(port, "present") == 0 ? "-" : jtext(port, key, buf, len);
}

const char *port_state(json_object *port)
{
	return jbool(port, "present") == 0 ? "absent" : or_dash(jstr(port, "oper_state"));
}

/* Diagnostics come as [{"severity","file","line","column","path","message"}];
 * they are printed by the library's formatter so that they read the same as
 * `tsnd --check` and `tsnctl config check FILE`. */
void print_diagnostics(FILE *out, const char *file, json_object *diags)
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

/* "-312ns", or "-" if absent. */
const char *ns_text(json_object *obj, const char *key, char *buf, size_t len)
{
	int64_t v;
	if (!jint(obj, key, &v))
		return "-";
	snprintf(buf, len, "%" PRId64 "ns", v);
	return buf;
}

/* An unsigned duration in ns the way the configuration writes it ("100us"). */
const char *dur_text(json_object *obj, const char *key, char *buf, size_t len)
{
	int64_t v;
	if (!jint(obj, key, &v) || v < 0)
		return "-";
	return tsn_format_duration((uint64_t)v, buf, len);
}
