/* policing.h — IEEE 802.1Qci per-stream filtering and policing: the configuration's
 * stream filters and flow meters as entries of the data plane's tsn_filters map,
 * and their counters.  Map layouts: include/tsn/bpf_shared.h; token arithmetic:
 * include/tsn/bpf_meter.h; the program side: police() in bpf/dataplane.bpf.c. */
#ifndef TSND_POLICING_H
#define TSND_POLICING_H

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

/* Sum the per-CPU counters of filter id (1..TSN_MAX_FILTERS). */
int pol_read_counters(int stats_fd, uint32_t id, struct tsn_filter_counters *sum);

/* {"filters":[...]}: each filter of cfg with its meter, gate and counters
 * (stats_fd < 0: counters null); name non-NULL: only that one. */
json_object *pol_filters_json(const struct tsn_config *cfg, int stats_fd, const char *name);

#endif
