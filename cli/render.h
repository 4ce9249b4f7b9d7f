/* SPDX-License-Identifier: GPL-2.0-only */
/* render.h — the human rendering of each command's answer, one function per
 * command (output.c picks it by command id: render_<fn> of TSN_CTL_COMMANDS), and the helpers they share.
 * Field names are the daemon's (docs/control-protocol.md); a field that is
 * missing prints as "-". */
#ifndef TSNCTL_RENDER_H
#define TSNCTL_RENDER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json.h>

#include "output.h"
#include "table.h"

#define KV_WIDTH 14	/* "last reload:" plus two spaces */

/* Print data for people; returns the exit status. */
typedef int (*render_fn)(const struct output *o, json_object *data);

/* ---- render_status.c ---- */
int render_hello(const struct output *o, json_object *data);
int render_status(const struct output *o, json_object *data);
int render_port_show(const struct output *o, json_object *data);
int render_config_show(const struct output *o, json_object *data);
int render_config_check(const struct output *o, json_object *data);
int render_config_reload(const struct output *o, json_object *data);
/* config.apply, config.confirm, config.cancel: tsnd's one-line message says it all. */
int render_config_apply(const struct output *o, json_object *data);
int render_config_confirm(const struct output *o, json_object *data);
int render_config_cancel(const struct output *o, json_object *data);

/* ---- render_ptp.c ---- */
int render_ptp_status(const struct output *o, json_object *data);

/* ---- render_schedule.c ---- */
int render_schedule_show(const struct output *o, json_object *data);

/* ---- render_streams.c ---- */
int render_stream_show(const struct output *o, json_object *data);
int render_filter_show(const struct output *o, json_object *data);
int render_class_stats(const struct output *o, json_object *data);
int render_route_show(const struct output *o, json_object *data);

/* ---- render_latency.c ---- */
int render_latency_show(const struct output *o, json_object *data);
int render_latency_reset(const struct output *o, json_object *data);

/* ---- render_bridge.c ---- */
int render_bridge_show(const struct output *o, json_object *data);
int render_fdb_show(const struct output *o, json_object *data);
/* ---- render_frer.c ---- */
int render_frer_show(const struct output *o, json_object *data);

/* ---- render_util.c: reading the daemon's JSON ---- */

/* obj[key], or NULL if obj is not an object, key is absent or its value is null. */
json_object *jget(json_object *obj, const char *key);
const char *jstr(json_object *obj, const char *key);
bool jint(json_object *obj, const char *key, int64_t *out);
/* 1 true, 0 false, -1 absent or not a boolean. */
int jbool(json_object *obj, const char *key);
/* A scalar field as table text: "-" when absent, null or an empty string. */
const char *jtext(json_object *obj, const char *key, char *buf, size_t len);
const char *or_dash(const char *s);
/* "1 warning", "2 warnings" */
const char *count_of(char *buf, size_t len, int64_t n, const char *noun);
/* "3d 4h 5m 6s", starting at the largest non-zero unit. */
const char *format_duration(char *buf, size_t len, int64_t s);
/* "key:         value" (KV_WIDTH); vprint_kv puts indent in front. */
void print_kv(FILE *out, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vprint_kv(FILE *out, const char *indent, const char *key, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
const char *speed_text(json_object *port, char *buf, size_t len);
/* "-" for a kernel field of a port that does not exist. */
const char *port_field(json_object *port, const char *key, char *buf, size_t len);
const char *port_state(json_object *port);
/* "-312ns", or "-" if absent. */
const char *ns_text(json_object *obj, const char *key, char *buf, size_t len);
/* An unsigned duration in ns the way the configuration writes it ("100us"). */
const char *dur_text(json_object *obj, const char *key, char *buf, size_t len);
/* Diagnostics as `tsnd --check` prints them. */
void print_diagnostics(FILE *out, const char *file, json_object *diags);

#endif
