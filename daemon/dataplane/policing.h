/* SPDX-License-Identifier: GPL-2.0-only */
/* policing.h — IEEE 802.1Qci per-stream filtering and policing: the configuration's
 * stream filters and flow meters as entries of the data plane's tsn_filters map,
 * and their counters.  Map layouts: include/tsn/bpf_shared.h; token arithmetic:
 * include/tsn/bpf_meter.h; the program side: police() in bpf/dataplane.bpf.c. */
#ifndef TSND_POLICING_H
#define TSND_POLICING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "tsn/bpf_shared.h"
#include "tsn/config.h"

/* The data plane entry of cfg->stream_filters[i] (its filter id is i + 1). */
void pol_filter_conf(const struct tsn_config *cfg, size_t i, struct tsn_filter_conf *out);

/* Write every filter and stream gate of cfg into generation gen of the
 * tsn_filters, tsn_gates and tsn_gate_ents maps.  0, or a negative errno with a
 * message. */
int pol_write(int filters_fd, int gates_fd, int ents_fd, const struct tsn_config *cfg,
	      uint32_t gen, char *err, size_t errlen);

/* The data plane entry of cfg->stream_gates[i] (gate id i + 1), its entries
 * starting at first; the clock offset realtime -> TAI in ns (for clock:
 * realtime). */
void pol_gate_conf(const struct tsn_cfg_stream_gate *g, uint32_t first, int64_t tai_minus_rt,
		   struct tsn_gate_conf *out);

/* A stream gate's state at one moment, as the XDP program sees it (tsn_gate_state
 * in bpf/dataplane.bpf.c does the same arithmetic). */
struct pol_gate_now {
	bool open;
	uint32_t entry;			/* index into the gate's entries */
	int priority;			/* the entry's internal priority, -1: none */
	uint64_t offset_ns;		/* into the cycle */
	uint64_t next_entry_ns;		/* until the next entry starts */
	uint64_t next_change_ns;	/* until the gate opens or closes; 0: never */
};

/* The state of g, whose data plane entry is gc (pol_gate_conf), at now_ns on the
 * gate's clock (gc->clock).  Before the base time the cycles extend backwards;
 * an entry's end belongs to the next entry; the last entry lasts to the end of
 * the cycle.  A gate with no entries or no cycle is open for good. */
void pol_gate_at(const struct tsn_cfg_stream_gate *g, const struct tsn_gate_conf *gc,
		 uint64_t now_ns, struct pol_gate_now *out);

/* Now on the clock the XDP program reads for gate clock c (TSN_GATE_CLK_*). */
uint64_t pol_clock_now(uint8_t c);

/* Sum the per-CPU counters of filter id (1..TSN_MAX_FILTERS). */
int pol_read_counters(int stats_fd, uint32_t id, struct tsn_filter_counters *sum);

/* {"filters":[...], "gates":[...]}: each filter of cfg with its meter, gate and
 * counters (stats_fd < 0: counters null), and each stream gate with its state now
 * (pol_gate_at on pol_clock_now) and the gate-closed counts of the filters that
 * use it; name non-NULL: only that filter and its gate. */
json_object *pol_filters_json(const struct tsn_config *cfg, int stats_fd, const char *name);

#endif
