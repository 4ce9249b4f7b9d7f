/* SPDX-License-Identifier: GPL-2.0-only */
/* telemetry.h — residence time and gate conformance (docs/telemetry.md).
 *
 * With telemetry.residence-time on, tsnd loads bpf/telemetry.bpf.c (two tp_btf
 * programs, attached for tsnd's lifetime, never pinned), turns on tsn_xdp's ingress
 * stamp, creates one histogram per configured port and class and per configured
 * stream (the first TSN_TELE_MAX_STREAMS), and writes each scheduled port's gate
 * schedule into the conformance map.  Everything here is measurement: a failure
 * leaves the state "unavailable" with a message and never fails a reload.
 */
#ifndef TSND_TELEMETRY_H
#define TSND_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json.h>

#include "tsn/bpf_telemetry.h"
#include "tsn/config.h"

struct dataplane;
struct schedules;
struct telemetry;

struct telemetry *telemetry_new(void);
/* Detach and unload; turns the XDP stamp off in dp (may be NULL). */
void telemetry_free(struct telemetry *t, struct dataplane *dp);

/* Follow cfg: load or unload, create and delete histogram entries, rewrite the
 * conformance schedules of the ports whose schedule is applied (or drifted) as
 * `sched` says (NULL: none).  Idempotent; call after every committed reload and
 * when schedule states may have changed. */
void telemetry_apply(struct telemetry *t, const struct tsn_config *cfg, struct dataplane *dp,
		     struct schedules *sched);

/* Schedule states may have changed (a held schedule went in, drift): rewrite the
 * conformance schedules.  Nothing while telemetry is off. */
void telemetry_schedules_changed(struct telemetry *t, const struct tsn_config *cfg,
				 struct schedules *sched);

/* "off", "on", "unavailable". */
const char *telemetry_state(const struct telemetry *t);

/* latency.show data (docs/control-protocol.md).  dev NULL: every port; cls < 0:
 * every class with samples; has_stream: only that stream, no ports. */
json_object *telemetry_latency_json(struct telemetry *t, const struct tsn_config *cfg,
				    struct dataplane *dp, const char *dev, int cls,
				    bool has_stream, uint32_t stream);
/* status.subsystems.telemetry. */
json_object *telemetry_status_json(struct telemetry *t, const struct tsn_config *cfg);
/* Zero histograms, totals and conformance counters.  0 or a negative errno. */
int telemetry_reset(struct telemetry *t);
time_t telemetry_since(const struct telemetry *t);
/* The driver-hook program's fd and a map's (tests, benchmarks), -1 when not loaded. */
int telemetry_prog_fd(const struct telemetry *t);
int telemetry_map_fd(const struct telemetry *t, const char *name);

/* ---- histogram arithmetic (pure; unit-tested) ---- */

/* Add src into dst (count, sum, buckets; min and max as such). */
void tele_hist_merge(struct tsn_hist *dst, const struct tsn_hist *src);
/* Inclusive upper edge of bucket i in ns; UINT64_MAX for the overflow bucket. */
uint64_t tele_bucket_upper(uint32_t i);
/* Inclusive lower edge of bucket i in ns. */
uint64_t tele_bucket_lower(uint32_t i);
/* The permille-th percentile (500: p50, 999: p99.9): the upper edge of the bucket
 * holding rank ceil(count * permille / 1000), clamped to [min, max].  0 if empty. */
uint64_t tele_hist_percentile(const struct tsn_hist *h, unsigned permille);
/* {"count","min_ns","mean_ns","max_ns","p50_ns","p99_ns","p999_ns","buckets"}. */
json_object *tele_hist_json(const struct tsn_hist *h);

#endif
