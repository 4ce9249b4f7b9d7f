/* SPDX-License-Identifier: GPL-2.0-only */
/* stats.h — `tsnctl stats`: every counter and gauge of tsnd in one view, made from
 * the answers of the commands in tsn_prom_commands (include/tsn/prom.h), as a table,
 * as JSON (command -> data) or in the Prometheus text format. */
#ifndef TSNCTL_STATS_H
#define TSNCTL_STATS_H

#include "output.h"

enum stats_format {
	STATS_TABLE,
	STATS_JSON,
	STATS_PROMETHEUS,
};

/* Ask tsnd at socket, print, and return tsnctl's exit status.  A command the daemon
 * does not know (an older tsnd) or cannot answer (ptp.status without time sync) is
 * left out; no answer at all, or a refusal, ends it with that error. */
int stats_run(const struct output *o, const char *socket, int timeout_ms, enum stats_format fmt);

#endif
