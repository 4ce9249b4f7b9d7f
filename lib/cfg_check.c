/* SPDX-License-Identifier: GPL-2.0-only */
/* cfg_check.c — rules that span several fields or objects.  Single-field rules
 * (types, ranges, allowed words) live in the schema rows of cfg_schema.c. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_schema.h"
#include "tsn/units.h"

/* Structure of a gate schedule: class counts, map, queues, list.  Timing rules that
 * need the port's link speed are checked by the schedule module against the kernel. */
void cfg_check_schedule(struct cfg_checker *chk, void *obj)
{
	struct tsn_cfg_schedule *s = obj;
	uint32_t all = (1u << s->num_tc) - 1;
	uint64_t sum = 0;
	uint32_t opened = 0;

	if (s->n_map != TSN_NUM_PRIO)
		cfg_error(chk, &s->n_map, "has %zu entries; it needs exactly %d (the class of priorities 0 to 15)",
			  s->n_map, TSN_NUM_PRIO);
	for (size_t i = 0; i < s->n_map; i++)
		if (s->map[i] >= s->num_tc)
			cfg_error(chk, &s->map[i], "priority %zu maps to class %u, but num-tc is %u (classes 0 to %u)",
				  i, s->map[i], s->num_tc, s->num_tc - 1);
	if (s->n_queues != s->num_tc)
		cfg_error(chk, &s->n_queues, "has %zu entries; it needs one per traffic class (num-tc is %u)", s->n_queues,
			  s->num_tc);
	for (size_t i = 0; i < s->n_queues; i++) {
		for (size_t j = 0; j < i; j++) {
			const struct tsn_cfg_queue_range *a = &s->queues[j], *b = &s->queues[i];
			if (s->mode != TSN_SCHED_TXTIME_ASSIST && b->offset < a->offset + a->count &&
			    a->offset < b->offset + b->count)
				cfg_error(chk, b, "queues %u@%u of class %zu overlap %u@%u of class %zu; "
					  "classes need distinct queues", b->count, b->offset, i, a->count, a->offset, j);
		}
	}
	if (s->n_max_sdu > s->num_tc)
		cfg_error(chk, &s->n_max_sdu, "has %zu entries; at most one per traffic class (num-tc is %u)",
			  s->n_max_sdu, s->num_tc);
	if (s->mode == TSN_SCHED_MQPRIO && s->n_entries)
		cfg_error(chk, &s->n_entries, "mode mqprio has no gate list; leave entries out");
	else if (s->mode != TSN_SCHED_MQPRIO && s->n_entries == 0)
		cfg_error(chk, &s->n_entries, "is empty; a schedule needs at least one entry");
	for (size_t i = 0; i < s->n_entries; i++) {
		struct tsn_cfg_gate_entry *e = &s->entries[i];
		if (e->gates & ~all)
			cfg_error(chk, &e->gates, "opens a class beyond num-tc %u (classes 0 to %u)", s->num_tc,
				  s->num_tc - 1);
		sum += e->interval_ns;
		opened |= e->gates;
	}
	if (s->n_entries && s->cycle_time_ns && s->cycle_time_ns < sum) {
		char a[32], b[32];
		cfg_error(chk, &s->cycle_time_ns, "%s is shorter than the sum of the intervals (%s); "
			  "use at least the sum, or 0 for the sum", tsn_format_duration(s->cycle_time_ns, a, sizeof(a)),
			  tsn_format_duration(sum, b, sizeof(b)));
	}
	uint64_t cycle = s->cycle_time_ns ? s->cycle_time_ns : sum;
	if (s->cycle_time_extension_ns && s->cycle_time_extension_ns >= cycle)
		cfg_error(chk, &s->cycle_time_extension_ns, "must be shorter than the cycle time");
	if (s->mode == TSN_SCHED_TXTIME_ASSIST && s->txtime_delay_ns == 0)
		cfg_error(chk, &s->txtime_delay_ns, "txtime-assist needs a txtime-delay above 0");
	if (s->mode != TSN_SCHED_TXTIME_ASSIST && s->txtime_delay_ns)
		cfg_error(chk, &s->txtime_delay_ns, "is only allowed with mode: txtime-assist");
	for (uint32_t tc = 0; tc < s->num_tc && s->n_entries && s->mode != TSN_SCHED_MQPRIO; tc++)
		if (!(opened & (1u << tc)))
			cfg_warning(chk, &s->n_entries, "the gate of traffic class %u never opens: its frames are never sent",
				    tc);
}


void cfg_check_stream(struct cfg_checker *chk, void *obj)
{
	struct tsn_cfg_stream *s = obj;
	const char *ident = tsn_stream_ident_names[s->identification];
	bool mac_kind = s->identification != TSN_IDENT_IPV6;
	struct { bool given; const void *field; const char *key; bool allowed; } fields[] = {
		{ s->has_dst_mac, &s->dst_mac, "dst-mac", s->identification == TSN_IDENT_DST_MAC_VLAN },
		{ s->has_src_mac, &s->src_mac, "src-mac", s->identification == TSN_IDENT_SRC_MAC_VLAN },
		{ s->has_src, &s->src, "src", !mac_kind },
		{ s->has_dst, &s->dst, "dst", !mac_kind },
		{ s->has_dscp, &s->dscp, "dscp", !mac_kind },
		{ s->has_next_header, &s->next_header, "next-header", !mac_kind },
		{ s->has_src_port, &s->src_port, "src-port", !mac_kind },
		{ s->has_dst_port, &s->dst_port, "dst-port", !mac_kind },
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].given && !fields[i].allowed)
			cfg_error(chk, fields[i].field, "'%s' is not used by identification %s", fields[i].key, ident);
	if (s->identification == TSN_IDENT_DST_MAC_VLAN && !s->has_dst_mac)
		cfg_error(chk, &s->identification, "dst-mac-vlan needs 'dst-mac'");
	if (s->identification == TSN_IDENT_SRC_MAC_VLAN && !s->has_src_mac)
		cfg_error(chk, &s->identification, "src-mac-vlan needs 'src-mac'");
	if (s->identification == TSN_IDENT_IPV6 && !s->has_src && !s->has_dst)
		cfg_error(chk, &s->identification, "ipv6 needs 'src', 'dst' or both");
	if (!mac_kind && (s->has_src_port || s->has_dst_port) &&
	    !(s->has_next_header && (s->next_header == IPPROTO_UDP || s->next_header == IPPROTO_TCP)))
		cfg_error(chk, s->has_src_port ? (void *)&s->src_port : (void *)&s->dst_port,
			  "ports need next-header 17 (UDP) or 6 (TCP)");
}

void cfg_check_flow_meter(struct cfg_checker *chk, void *obj)
{
	struct tsn_cfg_flow_meter *m = obj;
	if (m->eir_bps && !m->ebs_bytes)
		cfg_error(chk, &m->ebs_bytes, "an excess rate (eir) needs an excess burst size above 0");
	/* With coupling, the excess bucket fills from the committed one's overflow. */
	if (!m->eir_bps && m->ebs_bytes && !m->coupling)
		cfg_error(chk, &m->eir_bps, "ebs is set but eir is 0; set both or neither "
			  "(or coupling: true)");
}

void cfg_check_stream_gate(struct cfg_checker *chk, void *obj)
{
	struct tsn_cfg_stream_gate *g = obj;
	uint64_t sum = 0;
	if (g->n_entries == 0)
		cfg_error(chk, &g->n_entries, "is empty; a stream gate needs at least one entry");
	for (size_t i = 0; i < g->n_entries; i++)
		sum += g->entries[i].interval_ns;
	if (g->cycle_time_ns && g->cycle_time_ns < sum)
		cfg_error(chk, &g->cycle_time_ns, "is shorter than the sum of the intervals; use at least the sum, "
			  "or 0 for the sum");
}

void cfg_check_route(struct cfg_checker *chk, void *obj)
{
	struct tsn_cfg_route *r = obj;
	const uint8_t *a = r->prefix.addr.s6_addr;
	for (uint32_t bit = r->prefix.len; bit < 128; bit++) {
		if (a[bit / 8] & (0x80 >> (bit % 8))) {
			cfg_error(chk, &r->prefix, "has bits set after the first %u; write the network address",
				  r->prefix.len);
			break;
		}
	}
	if (IN6_IS_ADDR_MULTICAST(&r->prefix.addr))
		cfg_error(chk, &r->prefix, "is a multicast prefix; routes need unicast destinations");
	if (r->has_via && (IN6_IS_ADDR_MULTICAST(&r->via) || IN6_IS_ADDR_UNSPECIFIED(&r->via)))
		cfg_error(chk, &r->via, "must be a unicast next hop");
}

void cfg_check_telemetry(struct cfg_checker *chk, void *obj)
{
	struct tsn_cfg_telemetry *t = obj;
	if (t->prometheus && strncmp(t->prometheus_listen, "127.", 4) != 0 &&
	    strncmp(t->prometheus_listen, "[::1]:", 6) != 0)
		cfg_warning(chk, t->prometheus_listen, "metrics are served beyond loopback; anyone who reaches "
			    "this address can read them");
}

/* ---- whole-config rules: names unique, references resolve ----
 * Every rule here is O(n log n): the lists are long (65 536 streams and routes),
 * and a rule comparing every pair took seconds, and reported every pair (256
 * streams sharing an id gave 32 640 errors).  A value used more than once gives
 * one error, at its second use, naming its first use and how often it is used. */

/* Sort indices 0..n-1 of arr by cmp, equal keys by index (qsort_r is not
 * stable; the index makes it so).  NULL if memory ran out. */
struct by_key {
	const char *arr;
	size_t size;
	int (*cmp)(const void *a, const void *b);
};

static int by_key_cmp(const void *x, const void *y, void *arg)
{
	const struct by_key *k = arg;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int r = k->cmp(k->arr + i * k->size, k->arr + j * k->size);
	return r ? r : (i > j) - (i < j);
}

static size_t *sorted_indices(const void *arr, size_t n, size_t size, int (*cmp)(const void *a, const void *b))
{
	struct by_key k = { arr, size, cmp };
	size_t *idx = malloc((n ? n : 1) * sizeof(*idx));

	if (!idx)
		return NULL;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), by_key_cmp, &k);
	return idx;
}

/* A value used more than once: its first and second use (indices) and count. */
typedef void (*dup_fn)(struct cfg_checker *chk, const void *arr, size_t first, size_t second, size_t count,
		       const char *list);

/* Report each value of arr[0..n) (by cmp) used more than once, once; elements for
 * which skip() is true (an invalid or absent key, already reported) take no part. */
static void each_duplicate(struct cfg_checker *chk, const void *arr, size_t n, size_t size,
			   int (*cmp)(const void *a, const void *b), bool (*skip)(const void *elem),
			   dup_fn report, const char *list)
{
	const char *base = arr;
	size_t *idx = sorted_indices(arr, n, size, cmp);

	if (!idx) {
		cfg_error(chk, arr, "out of memory checking %s for duplicates", list);
		return;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && cmp(base + idx[i] * size, base + idx[j] * size) == 0)
			j++;
		if (j - i > 1 && !(skip && skip(base + idx[i] * size)))
			report(chk, arr, idx[i], idx[i + 1], j - i, list);
		i = j;
	}
	free(idx);
}

/* "twice", or "N times", and where the first use is. */
static void uses(char *buf, size_t len, size_t count, const char *list, size_t first)
{
	if (count == 2)
		snprintf(buf, len, "twice; first in %s[%zu]", list, first);
	else
		snprintf(buf, len, "%zu times; first in %s[%zu]", count, list, first);
}

/* Named objects: the name is a char array at name_off in each element. */
static size_t name_off_now;	/* qsort_r's comparator of names needs no context this way */

static int cmp_name(const void *a, const void *b)
{
	return strcmp((const char *)a + name_off_now, (const char *)b + name_off_now);
}

static void unique_names(struct cfg_checker *chk, const void *arr, size_t n, size_t size, size_t name_off,
			 const char *what, const char *list)
{
	const char *base = arr;
	size_t *idx;

	name_off_now = name_off;
	idx = sorted_indices(arr, n, size, cmp_name);
	if (!idx) {
		cfg_error(chk, arr, "out of memory checking %s for duplicates", list);
		return;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		const char *name = base + idx[i] * size + name_off;
		while (j < n && strcmp(name, base + idx[j] * size + name_off) == 0)
			j++;
		if (j - i > 1 && name[0]) {
			char u[96];
			uses(u, sizeof(u), j - i, list, idx[i]);
			cfg_error(chk, base + idx[i + 1] * size + name_off, "%s '%s' is defined %s", what, name, u);
		}
		i = j;
	}
	free(idx);
}

/* A sorted set of the names of arr, to resolve references in O(log n). */
struct name_set {
	const char **names;
	size_t n;
};

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool name_set_init(struct name_set *set, const void *arr, size_t n, size_t size, size_t name_off)
{
	set->n = n;
	set->names = malloc((n ? n : 1) * sizeof(*set->names));
	if (!set->names)
		return false;
	for (size_t i = 0; i < n; i++)
		set->names[i] = (const char *)arr + i * size + name_off;
	qsort(set->names, n, sizeof(*set->names), cmp_str_ptr);
	return true;
}

/* True if name is in the set (or the set could not be made: no false errors). */
static bool name_set_has(const struct name_set *set, const char *name)
{
	return !set->names || bsearch(&name, set->names, set->n, sizeof(*set->names), cmp_str_ptr);
}

#define NAME_SET(set, arr, n) name_set_init((set), (arr), (n), sizeof(*(arr)), offsetof(__typeof__(*(arr)), name))

static int cmp_stream_id(const void *a, const void *b)
{
	uint32_t x = ((const struct tsn_cfg_stream *)a)->id, y = ((const struct tsn_cfg_stream *)b)->id;
	return (x > y) - (x < y);
}

/* Id 0 is out of range (ids start at 1): an id that failed its range check, or
 * none, which are errors of their own, not a second use. */
static bool stream_id_invalid(const void *elem)
{
	return ((const struct tsn_cfg_stream *)elem)->id == 0;
}

static void report_stream_id(struct cfg_checker *chk, const void *arr, size_t first, size_t second, size_t count,
			     const char *list)
{
	const struct tsn_cfg_stream *s = arr;
	char u[96];

	uses(u, sizeof(u), count, list, first);
	cfg_error(chk, &s[second].id, "stream id %u is used %s", s[second].id, u);
}

static int cmp_stream_name(const void *a, const void *b)
{
	return strcmp(((const struct tsn_cfg_stream *)a)->name, ((const struct tsn_cfg_stream *)b)->name);
}

static bool stream_name_absent(const void *elem)
{
	return ((const struct tsn_cfg_stream *)elem)->name[0] == '\0';
}

static void report_stream_name(struct cfg_checker *chk, const void *arr, size_t first, size_t second, size_t count,
			       const char *list)
{
	const struct tsn_cfg_stream *s = arr;
	char u[96];

	uses(u, sizeof(u), count, list, first);
	cfg_error(chk, s[second].name, "stream name '%s' is used %s", s[second].name, u);
}

static int cmp_route(const void *a, const void *b)
{
	const struct tsn_cfg_route *x = a, *y = b;
	int r = memcmp(&x->prefix.addr, &y->prefix.addr, sizeof(x->prefix.addr));

	if (r)
		return r;
	if (x->prefix.len != y->prefix.len)
		return x->prefix.len < y->prefix.len ? -1 : 1;
	return (x->metric > y->metric) - (x->metric < y->metric);
}

static void report_route(struct cfg_checker *chk, const void *arr, size_t first, size_t second, size_t count,
			 const char *list)
{
	const struct tsn_cfg_route *r = arr;

	if (count == 2)
		cfg_error(chk, &r[second].prefix, "the same prefix and metric as %s[%zu]", list, first);
	else
		cfg_error(chk, &r[second].prefix, "the same prefix and metric as %s[%zu] (%zu routes in all)", list,
			  first, count);
}

static int cmp_rule(const void *a, const void *b)
{
	uint32_t x = ((const struct tsn_cfg_prio_rule *)a)->match, y = ((const struct tsn_cfg_prio_rule *)b)->match;
	return (x > y) - (x < y);
}

static void report_rule(struct cfg_checker *chk, const void *arr, size_t first, size_t second, size_t count,
			const char *list)
{
	const struct tsn_cfg_prio_rule *r = arr;
	(void)first;
	(void)count;

	if (strcmp(list, "ethertype") == 0)
		cfg_error(chk, &r[second].match, "EtherType 0x%04x has a rule already", r[second].match);
	else if (strcmp(list, "pcp") == 0)
		cfg_error(chk, &r[second].match, "PCP %u has a rule already", r[second].match);
	else
		cfg_error(chk, &r[second].match, "DSCP %u has a rule already", r[second].match);
}

void cfg_check_config(struct cfg_checker *chk, struct tsn_config *cfg)
{
	struct name_set filters, meters, gates, ports;

	unique_names(chk, cfg->ports, cfg->n_ports, sizeof(*cfg->ports), offsetof(struct tsn_cfg_port, name), "port",
		     "ports");
	unique_names(chk, cfg->stream_filters, cfg->n_stream_filters, sizeof(*cfg->stream_filters),
		     offsetof(struct tsn_cfg_stream_filter, name), "stream filter", "stream-filters");
	unique_names(chk, cfg->flow_meters, cfg->n_flow_meters, sizeof(*cfg->flow_meters),
		     offsetof(struct tsn_cfg_flow_meter, name), "flow meter", "flow-meters");
	unique_names(chk, cfg->stream_gates, cfg->n_stream_gates, sizeof(*cfg->stream_gates),
		     offsetof(struct tsn_cfg_stream_gate, name), "stream gate", "stream-gates");
	unique_names(chk, cfg->ptp.ports, cfg->ptp.n_ports, sizeof(*cfg->ptp.ports),
		     offsetof(struct tsn_cfg_ptp_port, name), "PTP port", "ptp.ports");

	each_duplicate(chk, cfg->streams, cfg->n_streams, sizeof(*cfg->streams), cmp_stream_id, stream_id_invalid,
		       report_stream_id, "streams");
	each_duplicate(chk, cfg->streams, cfg->n_streams, sizeof(*cfg->streams), cmp_stream_name, stream_name_absent,
		       report_stream_name, "streams");
	NAME_SET(&filters, cfg->stream_filters, cfg->n_stream_filters);
	NAME_SET(&meters, cfg->flow_meters, cfg->n_flow_meters);
	NAME_SET(&gates, cfg->stream_gates, cfg->n_stream_gates);
	NAME_SET(&ports, cfg->ports, cfg->n_ports);
	for (size_t i = 0; i < cfg->n_streams; i++) {
		struct tsn_cfg_stream *s = &cfg->streams[i];
		if (s->filter[0] && !name_set_has(&filters, s->filter))
			cfg_error(chk, s->filter, "no stream filter named '%s' (see stream-filters)", s->filter);
	}
	for (size_t i = 0; i < cfg->n_stream_filters; i++) {
		struct tsn_cfg_stream_filter *f = &cfg->stream_filters[i];
		if (f->meter[0] && !name_set_has(&meters, f->meter))
			cfg_error(chk, f->meter, "no flow meter named '%s' (see flow-meters)", f->meter);
		if (f->gate[0] && !name_set_has(&gates, f->gate))
			cfg_error(chk, f->gate, "no stream gate named '%s' (see stream-gates)", f->gate);
	}
	for (size_t i = 0; i < cfg->ptp.n_ports; i++)
		if (!name_set_has(&ports, cfg->ptp.ports[i].name))
			cfg_error(chk, cfg->ptp.ports[i].name, "'%s' is not a configured port (see ports)",
				  cfg->ptp.ports[i].name);
	for (size_t i = 0; i < cfg->n_routes; i++) {
		struct tsn_cfg_route *r = &cfg->routes[i];
		if (!name_set_has(&ports, r->dev))
			cfg_error(chk, r->dev, "'%s' is not a configured port (see ports)", r->dev);
	}
	free(filters.names);
	free(meters.names);
	free(gates.names);
	free(ports.names);
	each_duplicate(chk, cfg->routes, cfg->n_routes, sizeof(*cfg->routes), cmp_route, NULL, report_route, "routes");
	each_duplicate(chk, cfg->classification.ethertype, cfg->classification.n_ethertype,
		       sizeof(*cfg->classification.ethertype), cmp_rule, NULL, report_rule, "ethertype");
	each_duplicate(chk, cfg->classification.pcp, cfg->classification.n_pcp, sizeof(*cfg->classification.pcp),
		       cmp_rule, NULL, report_rule, "pcp");
	each_duplicate(chk, cfg->classification.dscp, cfg->classification.n_dscp, sizeof(*cfg->classification.dscp),
		       cmp_rule, NULL, report_rule, "dscp");
	/* 802.1AS runs over layer 2 only: that is gptp's default, and nothing else is allowed. */
	if (cfg->ptp.profile == TSN_PTP_GPTP && !cfg_given(chk, &cfg->ptp.transport))
		cfg->ptp.transport = TSN_PTP_L2;
	if (cfg->ptp.profile == TSN_PTP_GPTP && cfg->ptp.transport != TSN_PTP_L2)
		cfg_error(chk, &cfg->ptp.transport, "the gptp profile runs over l2 only");
	/* linuxptp's gPTP.cfg gives both priorities 248; a value in the file wins. */
	if (cfg->ptp.profile == TSN_PTP_GPTP && !cfg_given(chk, &cfg->ptp.priority1))
		cfg->ptp.priority1 = 248;
	if (cfg->ptp.profile == TSN_PTP_GPTP && !cfg_given(chk, &cfg->ptp.priority2))
		cfg->ptp.priority2 = 248;
	cfg_check_stream_identification(chk, cfg);
	cfg_check_frer_config(chk, cfg);
}

/* ---- bridge (802.1Q bridging, docs/bridge.md) ----
 * Kept apart from the rules above: one block the bridge owns. */

void cfg_check_bridge_port(struct cfg_checker *chk, void *obj)
{
	struct tsn_cfg_bridge_port *p = obj;
	uint8_t seen[4096 / 8] = { 0 };

	/* Absent: a tagged frame's priority is its PCP (802.1Q's default table for 8 classes). */
	if (p->n_pcp_map == 0) {
		for (uint32_t i = 0; i < 8; i++)
			p->pcp_map[i] = i;
		p->n_pcp_map = 8;
	} else if (p->n_pcp_map != 8) {
		cfg_error(chk, &p->n_pcp_map, "has %zu entries; it needs exactly 8 (the priority of PCP 0 to 7)",
			  p->n_pcp_map);
	}
	for (size_t i = 0; i < p->n_vlans; i++) {
		uint32_t vid = p->vlans[i].vid;
		if (seen[vid / 8] & (1u << (vid % 8)))
			cfg_error(chk, &p->vlans[i].vid, "VLAN %u is listed twice for port %s", vid, p->name);
		seen[vid / 8] |= (uint8_t)(1u << (vid % 8));
	}
}

void cfg_check_bridge_fdb(struct cfg_checker *chk, void *obj)
{
	struct tsn_cfg_bridge_fdb *e = obj;
	bool multicast = e->mac.addr[0] & 1;

	if (!multicast && e->n_ports != 1)
		cfg_error(chk, &e->n_ports, "has %zu ports; a unicast MAC goes to exactly one port "
			  "(only a multicast MAC may go to several)", e->n_ports);
	for (size_t i = 0; i < e->n_ports; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(e->ports[i], e->ports[j]) == 0) {
				cfg_error(chk, e->ports[i], "port %s is listed twice", e->ports[i]);
				break;
			}
}

static int cmp_fdb(const void *a, const void *b)
{
	const struct tsn_cfg_bridge_fdb *x = a, *y = b;
	int r = memcmp(x->mac.addr, y->mac.addr, sizeof(x->mac.addr));

	return r ? r : (x->vid > y->vid) - (x->vid < y->vid);
}

static void report_fdb(struct cfg_checker *chk, const void *arr, size_t first, size_t second, size_t count,
		       const char *list)
{
	const struct tsn_cfg_bridge_fdb *e = arr;
	const uint8_t *m = e[second].mac.addr;
	char u[96];

	uses(u, sizeof(u), count, list, first);
	cfg_error(chk, &e[second].mac, "MAC %02x:%02x:%02x:%02x:%02x:%02x with VID %u is used %s", m[0], m[1],
		  m[2], m[3], m[4], m[5], e[second].vid, u);
}

static int cmp_bridge_port_ptr(const void *a, const void *b)
{
	return strcmp((*(const struct tsn_cfg_bridge_port *const *)a)->name,
		      (*(const struct tsn_cfg_bridge_port *const *)b)->name);
}

static const struct tsn_cfg_bridge_port *bridge_port_find(const struct tsn_cfg_bridge_port **sorted, size_t n,
							  const char *name)
{
	struct tsn_cfg_bridge_port key;
	const struct tsn_cfg_bridge_port *kp = &key, *const *hit;

	snprintf(key.name, sizeof(key.name), "%s", name);
	hit = bsearch(&kp, sorted, n, sizeof(*sorted), cmp_bridge_port_ptr);
	return hit ? *hit : NULL;
}

/* Membership as one bit per VID, for each port (the fdb list may be long). */
static bool vid_bit(const uint8_t *bits, uint32_t vid)
{
	return bits[vid / 8] & (1u << (vid % 8));
}

void cfg_check_bridge(struct cfg_checker *chk, void *obj)
{
	struct tsn_cfg_bridge *b = obj;
	const struct tsn_cfg_bridge_port **sorted;

	unique_names(chk, b->ports, b->n_ports, sizeof(*b->ports), offsetof(struct tsn_cfg_bridge_port, name),
		     "bridge port", "bridge.ports");
	sorted = malloc((b->n_ports ? b->n_ports : 1) * sizeof(*sorted));
	uint8_t *bits = calloc(b->n_ports ? b->n_ports : 1, 4096 / 8);
	if (!sorted || !bits) {
		free(sorted);
		free(bits);
		cfg_error(chk, &b->n_ports, "out of memory checking the bridge's ports");
		return;
	}
	for (size_t i = 0; i < b->n_ports; i++) {
		struct tsn_cfg_bridge_port *p = &b->ports[i];
		uint8_t *pb = bits + i * (4096 / 8);
		for (size_t v = 0; v < p->n_vlans; v++)
			pb[p->vlans[v].vid / 8] |= (uint8_t)(1u << (p->vlans[v].vid % 8));
		if (strcmp(p->name, b->name) == 0)
			cfg_error(chk, p->name, "is the bridge itself; a bridge cannot be its own port");
		if (!b->vlan_filtering) {
			if (p->pvid)
				cfg_error(chk, &p->pvid, "is %u, but vlan-filtering is off: a bridge without VLAN "
					  "filtering has no PVID (use 0 or turn vlan-filtering on)", p->pvid);
			if (p->n_vlans)
				cfg_error(chk, &p->n_vlans, "lists VLANs, but vlan-filtering is off; turn it on or "
					  "remove them");
		} else if (p->pvid && !vid_bit(pb, p->pvid)) {
			cfg_error(chk, &p->pvid, "VLAN %u is not among the port's vlans; list it there (usually "
				  "untagged: true)", p->pvid);
		}
	}
	for (size_t i = 0; i < b->n_ports; i++)
		sorted[i] = &b->ports[i];
	qsort(sorted, b->n_ports, sizeof(*sorted), cmp_bridge_port_ptr);
	for (size_t i = 0; i < b->n_fdb; i++) {
		struct tsn_cfg_bridge_fdb *e = &b->fdb[i];
		if (!b->vlan_filtering && e->vid)
			cfg_error(chk, &e->vid, "is %u, but vlan-filtering is off: entries have no VID (use 0 or "
				  "turn vlan-filtering on)", e->vid);
		if (b->vlan_filtering && !e->vid)
			cfg_error(chk, &e->vid, "is missing; with vlan-filtering every entry needs a VID (1 to 4094)");
		for (size_t k = 0; k < e->n_ports; k++) {
			const struct tsn_cfg_bridge_port *p = bridge_port_find(sorted, b->n_ports, e->ports[k]);
			if (!p)
				cfg_error(chk, e->ports[k], "'%s' is not a port of the bridge (see bridge.ports)",
					  e->ports[k]);
			else if (b->vlan_filtering && e->vid && !vid_bit(bits + (size_t)(p - b->ports) * (4096 / 8), e->vid))
				cfg_error(chk, e->ports[k], "port %s is not a member of VLAN %u (see its vlans)",
					  e->ports[k], e->vid);
		}
	}
	free(sorted);
	free(bits);
	each_duplicate(chk, b->fdb, b->n_fdb, sizeof(*b->fdb), cmp_fdb, NULL, report_fdb, "bridge.fdb");
}
