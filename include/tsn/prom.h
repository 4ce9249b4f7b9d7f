/* SPDX-License-Identifier: GPL-2.0-only */
/* prom.h — tsnd's metrics in the Prometheus text exposition format (0.0.4).
 *
 * One renderer for both sides: tsnctl (`tsnctl stats -o prometheus`) asks tsnd the
 * commands of tsn_prom_commands over the control socket, tsnd's metrics listener
 * runs the same handlers in-process; both hand the answers to tsn_prom_build()
 * as one JSON object, command name -> the answer's `data`:
 *
 *   {"status":{...}, "port.show":{...}, "class.stats":{...}, ...}
 *
 * A command that is missing or null (an older tsnd, a failed command) adds no
 * metrics; unknown fields are ignored, so the renderer follows the additive rule
 * of the control protocol.  Families come out in one fixed order (the table in
 * lib/prom.c), samples in the order of the answers (configuration order); the
 * metric names are documented in docs/metrics.md.
 */
#ifndef TSN_PROM_H
#define TSN_PROM_H

#include <stddef.h>

#include <json.h>

#define TSN_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum tsn_prom_type {
	TSN_PROM_COUNTER,
	TSN_PROM_GAUGE,
	TSN_PROM_HISTOGRAM,
};

struct tsn_prom;

/* The control commands (all read-only, no arguments) whose answers the metrics
 * are made from, NULL-terminated. */
extern const char *const tsn_prom_commands[];

/* Metrics from the answers (see above; not consumed).  NULL only when out of
 * memory. */
struct tsn_prom *tsn_prom_build(json_object *answers);
void tsn_prom_free(struct tsn_prom *p);

/* The exposition text, NUL-terminated, malloc'd; *len (if not NULL) its length.
 * NULL when out of memory. */
char *tsn_prom_text(const struct tsn_prom *p, size_t *len);

/* Every sample in output order: family name, type, sample name (the family's, or
 * with _bucket/_sum/_count), its labels as in the text ("" or `a="b",c="d"`) and
 * value text. */
typedef void (*tsn_prom_sample_fn)(void *arg, const char *family, enum tsn_prom_type type,
				   const char *name, const char *labels, const char *value);
void tsn_prom_foreach(const struct tsn_prom *p, tsn_prom_sample_fn fn, void *arg);

/* tsn_prom_build + tsn_prom_text + tsn_prom_free. */
char *tsn_prom_render(json_object *answers, size_t *len);

/* Escape a label value for the text format (\ " and newline); returns the bytes
 * written without the NUL, or (size_t)-1 if out is too small. */
size_t tsn_prom_escape_label(const char *in, char *out, size_t outlen);

#endif
