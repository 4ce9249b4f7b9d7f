/* SPDX-License-Identifier: GPL-2.0-only */
/* policing.c — IEEE 802.1Qci stream filters and flow meters in the data plane's
 * maps (API and layouts in policing.h).
 *
 * A filter's entry carries its meter's parameters, so the XDP program needs one
 * lookup for the filter and one for the meter's buckets.  Filter and meter ids
 * are positions in the configuration (counted from 1; 0 means none), like the
 * stream value's filter id the classifier writes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "percpu.h"
#include "policing.h"
#include "tsn/bpf_meter.h"
#include "tsn/units.h"

_Static_assert(sizeof(struct tsn_filter_conf) == 48, "filter layout is shared with BPF");
_Static_assert(sizeof(struct tsn_filter_counters) % 8 == 0, "per-CPU values need 8-byte sizes");

static size_t meter_index(const struct tsn_config *cfg, const char *name)
{
	for (size_t i = 0; name[0] && i < cfg->n_flow_meters; i++)
		if (strcmp(cfg->flow_meters[i].name, name) == 0)
			return i + 1;
	return 0;
}

static size_t gate_index(const struct tsn_config *cfg, const char *name)
{
	for (size_t i = 0; name[0] && i < cfg->n_stream_gates; i++)
		if (strcmp(cfg->stream_gates[i].name, name) == 0)
			return i + 1;
	return 0;
}

void pol_filter_conf(const struct tsn_config *cfg, size_t i, struct tsn_filter_conf *out)
{
	const struct tsn_cfg_stream_filter *f = &cfg->stream_filters[i];
	size_t mid = meter_index(cfg, f->meter);

	memset(out, 0, sizeof(*out));
	out->max_sdu = f->max_sdu;
	out->gate_id = (uint16_t)gate_index(cfg, f->gate);
	if (mid) {
		const struct tsn_cfg_flow_meter *m = &cfg->flow_meters[mid - 1];

		out->meter_id = (uint16_t)mid;
		out->on_exceed = m->on_exceed == TSN_EXCEED_DEMOTE ? TSN_BPF_EXCEED_DEMOTE :
								     TSN_BPF_EXCEED_DROP;
		out->demote_prio = (uint8_t)(m->demote_priority & 7);
		out->meter_flags = (m->color_mode == TSN_COLOR_AWARE ? TSN_FILTER_COLOR_AWARE : 0) |
				   (m->coupling ? TSN_FILTER_COUPLED : 0);
		out->cir_bps = m->cir_bps;
		out->eir_bps = m->eir_bps;
		/* At most 1 GiB * 8e9 < 2^64 (schema range), see bpf_meter.h. */
		out->cbs_units = m->cbs_bytes * TSN_METER_UNITS_PER_BYTE;
		out->ebs_units = m->ebs_bytes * TSN_METER_UNITS_PER_BYTE;
	}
}

static uint64_t gate_sum(const struct tsn_cfg_stream_gate *g)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < g->n_entries; i++)
		sum += g->entries[i].interval_ns;	/* <= 1024 x 2^32: no overflow */
	return sum;
}

void pol_gate_conf(const struct tsn_cfg_stream_gate *g, uint32_t first, int64_t tai_minus_rt,
		   struct tsn_gate_conf *out)
{
	int64_t base = g->base_time_auto ? 0 : g->base_time_ns;

	memset(out, 0, sizeof(*out));
	switch (g->clock) {
	case TSN_CLOCK_REALTIME:
		base += tai_minus_rt;	/* the program has no realtime clock: TAI */
		out->clock = TSN_GATE_CLK_TAI;
		break;
	case TSN_CLOCK_MONOTONIC: out->clock = TSN_GATE_CLK_MONO; break;
	case TSN_CLOCK_BOOTTIME: out->clock = TSN_GATE_CLK_BOOT; break;
	default: out->clock = TSN_GATE_CLK_TAI; break;
	}
	out->base_ns = base > 0 ? (uint64_t)base : 0;
	out->cycle_ns = g->cycle_time_ns ? g->cycle_time_ns : gate_sum(g);
	out->first = first;
	out->n = (uint16_t)g->n_entries;
}

/* Length of entry e of g as the program sees it: the last lasts to the end of
 * the cycle (cycle_ns >= the sum of the intervals, cfg_check_stream_gate). */
static uint64_t gate_entry_len(const struct tsn_cfg_stream_gate *g, const struct tsn_gate_conf *gc,
			       size_t e, uint64_t last_start)
{
	return e + 1 == g->n_entries ? gc->cycle_ns - last_start : g->entries[e].interval_ns;
}

void pol_gate_at(const struct tsn_cfg_stream_gate *g, const struct tsn_gate_conf *gc,
		 uint64_t now_ns, struct pol_gate_now *out)
{
	size_t n = g->n_entries, k;
	uint64_t off, end = 0, last_start = 0, t;

	memset(out, 0, sizeof(*out));
	out->open = true;
	out->priority = -1;
	if (n == 0 || gc->cycle_ns == 0)
		return;
	for (size_t e = 0; e + 1 < n; e++)
		last_start += g->entries[e].interval_ns;
	/* The same arithmetic as tsn_gate_state() in the program. */
	if (now_ns >= gc->base_ns)
		off = (now_ns - gc->base_ns) % gc->cycle_ns;
	else
		off = gc->cycle_ns - 1 - ((gc->base_ns - now_ns - 1) % gc->cycle_ns);
	/* The first entry that ends after off (an end belongs to the next entry). */
	for (k = 0; k < n; k++) {
		end = k + 1 == n ? gc->cycle_ns : end + g->entries[k].interval_ns;
		if (end > off)
			break;
	}
	if (k == n)	/* unreachable: the last entry ends at the cycle's end */
		k = n - 1;
	out->entry = (uint32_t)k;
	out->offset_ns = off;
	out->open = g->entries[k].state == TSN_SGATE_OPEN;
	out->priority = g->entries[k].has_priority ? (int)(g->entries[k].priority & 7) : -1;
	out->next_entry_ns = end - off;
	/* Walk on (into the next cycle) to the first entry of the other state;
	 * entries of length 0 never apply. */
	t = end - off;
	for (size_t i = 1; i < n; i++) {
		size_t j = (k + i) % n;
		uint64_t len = gate_entry_len(g, gc, j, last_start);

		if (len == 0)
			continue;
		if ((g->entries[j].state == TSN_SGATE_OPEN) != out->open) {
			out->next_change_ns = t;
			return;
		}
		t += len;
	}
}

uint64_t pol_clock_now(uint8_t c)
{
	struct timespec ts;
	clockid_t id = c == TSN_GATE_CLK_MONO ? CLOCK_MONOTONIC :
		       c == TSN_GATE_CLK_BOOT ? CLOCK_BOOTTIME : CLOCK_TAI;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* TAI - realtime in ns, whole seconds (the kernel's TAI offset). */
static int64_t tai_offset_ns(void)
{
	struct timespec rt, tai;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_TAI, &tai);
	/* Read a few ns apart: round to the second. */
	int64_t d = (int64_t)(tai.tv_sec - rt.tv_sec) * 1000000000 + (tai.tv_nsec - rt.tv_nsec);
	return (d + (d >= 0 ? 500000000 : -500000000)) / 1000000000 * 1000000000;
}

static int write_gates(int gates_fd, int ents_fd, const struct tsn_config *cfg, uint32_t gen,
		       char *err, size_t errlen)
{
	int64_t tai_rt = tai_offset_ns();
	uint32_t used = 0;

	for (size_t i = 0; i < cfg->n_stream_gates && i < TSN_MAX_GATES; i++) {
		const struct tsn_cfg_stream_gate *g = &cfg->stream_gates[i];
		uint32_t idx = (gen & 1) * TSN_GATE_SLOTS + (uint32_t)(i + 1);
		struct tsn_gate_conf gc;
		uint64_t end = 0;
		int rc = 0;

		if (g->n_entries > TSN_GATE_ENTRIES_MAX - used) {
			snprintf(err, errlen, "stream gate %s (stream-gates[%zu]): the data plane holds "
				 "at most %u gate entries in all, this gate brings the total to %zu",
				 g->name, i, TSN_GATE_ENTRIES_MAX, (size_t)used + g->n_entries);
			return -E2BIG;
		}
		pol_gate_conf(g, used, tai_rt, &gc);
		for (size_t e = 0; e < g->n_entries; e++) {
			const struct tsn_cfg_sgate_entry *ce = &g->entries[e];
			uint32_t k = (gen & 1) * TSN_GATE_ENTRIES_MAX + used + (uint32_t)e;
			struct tsn_gate_ent ge = {
				.open = ce->state == TSN_SGATE_OPEN,
				.prio = ce->has_priority ? (uint8_t)(ce->priority & 7) : TSN_NO_RULE,
			};

			end += ce->interval_ns;
			/* The last entry lasts to the end of a longer cycle-time. */
			ge.end_ns = e + 1 == g->n_entries ? gc.cycle_ns : end;
			rc = bpf_map_update_elem(ents_fd, &k, &ge, BPF_ANY);
			if (rc < 0)
				break;
		}
		if (rc == 0)
			rc = bpf_map_update_elem(gates_fd, &idx, &gc, BPF_ANY);
		if (rc < 0) {
			snprintf(err, errlen, "stream gate %s (stream-gates[%zu]): cannot write it to "
				 "the data plane: %s", g->name, i, strerror(-rc));
			return rc;
		}
		used += (uint32_t)g->n_entries;
	}
	return 0;
}

int pol_write(int filters_fd, int gates_fd, int ents_fd, const struct tsn_config *cfg,
	      uint32_t gen, char *err, size_t errlen)
{
	int grc = write_gates(gates_fd, ents_fd, cfg, gen, err, errlen);

	if (grc < 0)
		return grc;
	for (size_t i = 0; i < cfg->n_stream_filters && i < TSN_MAX_FILTERS; i++) {
		uint32_t idx = (gen & 1) * TSN_FILTER_SLOTS + (uint32_t)(i + 1);
		struct tsn_filter_conf fc;
		int rc;

		pol_filter_conf(cfg, i, &fc);
		rc = bpf_map_update_elem(filters_fd, &idx, &fc, BPF_ANY);
		if (rc < 0) {
			snprintf(err, errlen, "stream filter %s (stream-filters[%zu]): cannot write it "
				 "to the data plane: %s", cfg->stream_filters[i].name, i, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int pol_read_counters(int stats_fd, uint32_t id, struct tsn_filter_counters *sum)
{
	return percpu_sum_u64(stats_fd, &id, sum, sizeof(*sum));
}

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static json_object *meter_json(const struct tsn_cfg_flow_meter *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(m->name));
	add_u64(o, "cir_bps", m->cir_bps);
	add_u64(o, "cbs_bytes", m->cbs_bytes);
	add_u64(o, "eir_bps", m->eir_bps);
	add_u64(o, "ebs_bytes", m->ebs_bytes);
	json_object_object_add(o, "color_mode", json_object_new_string(
		m->color_mode == TSN_COLOR_AWARE ? "aware" : "blind"));
	json_object_object_add(o, "coupling", json_object_new_boolean(m->coupling));
	json_object_object_add(o, "on_exceed", json_object_new_string(
		m->on_exceed == TSN_EXCEED_DEMOTE ? "demote" : "drop"));
	add_u64(o, "demote_priority", m->demote_priority);
	return o;
}

static const char *gate_clock_name(uint8_t c)
{
	return c == TSN_GATE_CLK_MONO ? "monotonic" : c == TSN_GATE_CLK_BOOT ? "boottime" : "tai";
}

/* One stream gate, its state now and the gate-closed counts of the filters that
 * use it (name: only that filter's). */
static json_object *gate_json(const struct tsn_config *cfg, size_t gi, int64_t tai_rt, int stats_fd,
			      const char *name)
{
	const struct tsn_cfg_stream_gate *g = &cfg->stream_gates[gi];
	json_object *o = json_object_new_object(), *filters = json_object_new_array();
	struct tsn_gate_conf gc;
	struct pol_gate_now st;
	uint64_t now, closed = 0;
	bool have_counts = stats_fd >= 0;

	pol_gate_conf(g, 0, tai_rt, &gc);
	now = pol_clock_now(gc.clock);
	pol_gate_at(g, &gc, now, &st);
	for (size_t i = 0; i < cfg->n_stream_filters; i++) {
		const struct tsn_cfg_stream_filter *f = &cfg->stream_filters[i];
		struct tsn_filter_counters c;

		if (strcmp(f->gate, g->name) != 0 || (name && strcmp(name, f->name) != 0))
			continue;
		json_object_array_add(filters, json_object_new_string(f->name));
		if (have_counts && pol_read_counters(stats_fd, (uint32_t)(i + 1), &c) == 0)
			closed += c.gate_closed;
		else
			have_counts = false;
	}
	add_u64(o, "id", gi + 1);
	json_object_object_add(o, "name", json_object_new_string(g->name));
	json_object_object_add(o, "clock", json_object_new_string(gate_clock_name(gc.clock)));
	add_u64(o, "base_time_ns", gc.base_ns);
	add_u64(o, "cycle_ns", gc.cycle_ns);
	add_u64(o, "entries", g->n_entries);
	add_u64(o, "now_ns", now);
	json_object_object_add(o, "state", json_object_new_string(st.open ? "open" : "closed"));
	add_u64(o, "entry", st.entry);
	json_object_object_add(o, "entry_priority",
			       st.priority < 0 ? NULL : json_object_new_int(st.priority));
	add_u64(o, "offset_ns", st.offset_ns);
	add_u64(o, "next_entry_in_ns", st.next_entry_ns);
	json_object_object_add(o, "next_change_in_ns", st.next_change_ns ?
			       json_object_new_int64((int64_t)st.next_change_ns) : NULL);
	json_object_object_add(o, "filters", filters);
	json_object_object_add(o, "gate_closed",
			       have_counts ? json_object_new_int64((int64_t)closed) : NULL);
	return o;
}

json_object *pol_filters_json(const struct tsn_config *cfg, int stats_fd, const char *name)
{
	json_object *arr = json_object_new_array(), *out = json_object_new_object();
	json_object *gates = json_object_new_array();
	int64_t tai_rt = tai_offset_ns();

	for (size_t i = 0; i < cfg->n_stream_filters; i++) {
		const struct tsn_cfg_stream_filter *f = &cfg->stream_filters[i];
		size_t mid = meter_index(cfg, f->meter);
		struct tsn_filter_counters c;
		json_object *o, *streams;

		if (name && strcmp(name, f->name) != 0)
			continue;
		o = json_object_new_object();
		add_u64(o, "id", i + 1);
		json_object_object_add(o, "name", json_object_new_string(f->name));
		add_u64(o, "max_sdu", f->max_sdu);
		json_object_object_add(o, "meter", mid ? meter_json(&cfg->flow_meters[mid - 1]) : NULL);
		json_object_object_add(o, "gate", f->gate[0] ? json_object_new_string(f->gate) : NULL);
		streams = json_object_new_array();
		for (size_t s = 0; s < cfg->n_streams; s++)
			if (strcmp(cfg->streams[s].filter, f->name) == 0)
				json_object_array_add(streams, json_object_new_int64(cfg->streams[s].id));
		json_object_object_add(o, "streams", streams);
		if (stats_fd >= 0 && pol_read_counters(stats_fd, (uint32_t)(i + 1), &c) == 0) {
			json_object *co = json_object_new_object();

			add_u64(co, "matched", c.matched);
			add_u64(co, "passed", c.passed);
			add_u64(co, "max_sdu", c.max_sdu);
			add_u64(co, "gate_closed", c.gate_closed);
			add_u64(co, "red", c.red);
			add_u64(co, "yellow", c.yellow);
			add_u64(co, "demoted", c.demoted);
			json_object_object_add(o, "counters", co);
		} else {
			json_object_object_add(o, "counters", NULL);
		}
		json_object_array_add(arr, o);
	}
	json_object_object_add(out, "filters", arr);
	for (size_t gi = 0; gi < cfg->n_stream_gates; gi++) {
		bool used = !name;

		for (size_t i = 0; name && i < cfg->n_stream_filters; i++)
			used |= strcmp(cfg->stream_filters[i].name, name) == 0 &&
				strcmp(cfg->stream_filters[i].gate, cfg->stream_gates[gi].name) == 0;
		if (used)
			json_object_array_add(gates, gate_json(cfg, gi, tai_rt, stats_fd, name));
	}
	json_object_object_add(out, "gates", gates);
	return out;
}
