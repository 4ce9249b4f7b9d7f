/* SPDX-License-Identifier: GPL-2.0-only */
/* startup_probe.h — where tsnd's start-up time goes: named phases, each with
 * its wall time (CLOCK_MONOTONIC) and the process's CPU time, summed per name
 * and logged once at level info when tsnd is ready:
 *   start-up: total=U name=U ...      (wall, microseconds)
 *   start-up cpu: total=U name=U ...  (CPU of the whole process, microseconds)
 * tests/bench/bench_startup.sh reads these lines (docs/benchmarks.md,
 * "Start-up").  After the report every probe is a no-op: reloads are not
 * measured here. */
#ifndef TSND_STARTUP_PROBE_H
#define TSND_STARTUP_PROBE_H

#include <stdint.h>

struct sprobe {
	uint64_t wall_ns, cpu_ns;
};

/* Now, for a later sprobe_end. */
void sprobe_start(struct sprobe *p);
/* Add the time since sprobe_start(p) to phase name (a string literal). */
void sprobe_end(const struct sprobe *p, const char *name);
/* Add a phase measured elsewhere (another thread): wall and CPU nanoseconds. */
void sprobe_add(const char *name, uint64_t wall_ns, uint64_t cpu_ns);
/* Log the two lines (total: since the process started) and stop probing. */
void sprobe_report(void);

#endif
