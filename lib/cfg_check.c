/* cfg_check.c — rules that span several fields or objects.  Single-field rules
 * (types, ranges, allowed words) live in the schema rows of cfg_schema.c. */
#include <arpa/inet.h>
#include <stddef.h>
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
	if (s->n_entries == 0)
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
	for (uint32_t tc = 0; tc < s->num_tc && s->n_entries; tc++)
		if (!(opened & (1u << tc)))
			cfg_warning(chk, &s->n_entries, "the gate of traffic class %u never opens: its frames are never sent",
				    tc);
}

static const char *const ident_names[] = { "dst-mac-vlan", "src-mac-vlan", "ipv6" };

void cfg_check_stream(struct cfg_checker *chk, void *obj)
{
	struct tsn_cfg_stream *s = obj;
	const char *ident = ident_names[s->identification];
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

/* ---- whole-config rules: names unique, references resolve ---- */

#define FIND_NAME(arr, n, key) find_name((arr), (n), sizeof(*(arr)), offsetof(__typeof__(*(arr)), name), (key))

static const void *find_name(const void *arr, size_t n, size_t size, size_t name_off, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const char *elem = (const char *)arr + i * size;
		if (strcmp(elem + name_off, name) == 0)
			return elem;
	}
	return NULL;
}

/* Report the second and later uses of each name in an array of named objects. */
static void unique_names(struct cfg_checker *chk, const void *arr, size_t n, size_t size, size_t name_off,
			 const char *what)
{
	for (size_t i = 1; i < n; i++) {
		const char *name = (const char *)arr + i * size + name_off;
		if (find_name(arr, i, size, name_off, name))
			cfg_error(chk, name, "%s '%s' is defined twice", what, name);
	}
}

void cfg_check_config(struct cfg_checker *chk, struct tsn_config *cfg)
{
	unique_names(chk, cfg->ports, cfg->n_ports, sizeof(*cfg->ports), offsetof(struct tsn_cfg_port, name), "port");
	unique_names(chk, cfg->stream_filters, cfg->n_stream_filters, sizeof(*cfg->stream_filters),
		     offsetof(struct tsn_cfg_stream_filter, name), "stream filter");
	unique_names(chk, cfg->flow_meters, cfg->n_flow_meters, sizeof(*cfg->flow_meters),
		     offsetof(struct tsn_cfg_flow_meter, name), "flow meter");
	unique_names(chk, cfg->stream_gates, cfg->n_stream_gates, sizeof(*cfg->stream_gates),
		     offsetof(struct tsn_cfg_stream_gate, name), "stream gate");
	unique_names(chk, cfg->ptp.ports, cfg->ptp.n_ports, sizeof(*cfg->ptp.ports),
		     offsetof(struct tsn_cfg_ptp_port, name), "PTP port");

	for (size_t i = 0; i < cfg->n_streams; i++) {
		struct tsn_cfg_stream *s = &cfg->streams[i];
		for (size_t j = 0; j < i; j++) {
			if (cfg->streams[j].id == s->id)
				cfg_error(chk, &s->id, "stream id %u is used twice", s->id);
			else if (s->name[0] && strcmp(cfg->streams[j].name, s->name) == 0)
				cfg_error(chk, s->name, "stream name '%s' is used twice", s->name);
		}
		if (s->filter[0] && !FIND_NAME(cfg->stream_filters, cfg->n_stream_filters, s->filter))
			cfg_error(chk, s->filter, "no stream filter named '%s' (see stream-filters)", s->filter);
	}
	for (size_t i = 0; i < cfg->n_stream_filters; i++) {
		struct tsn_cfg_stream_filter *f = &cfg->stream_filters[i];
		if (f->meter[0] && !FIND_NAME(cfg->flow_meters, cfg->n_flow_meters, f->meter))
			cfg_error(chk, f->meter, "no flow meter named '%s' (see flow-meters)", f->meter);
		if (f->gate[0] && !FIND_NAME(cfg->stream_gates, cfg->n_stream_gates, f->gate))
			cfg_error(chk, f->gate, "no stream gate named '%s' (see stream-gates)", f->gate);
	}
	for (size_t i = 0; i < cfg->ptp.n_ports; i++)
		if (!tsn_config_port(cfg, cfg->ptp.ports[i].name))
			cfg_error(chk, cfg->ptp.ports[i].name, "'%s' is not a configured port (see ports)",
				  cfg->ptp.ports[i].name);
	for (size_t i = 0; i < cfg->n_routes; i++) {
		struct tsn_cfg_route *r = &cfg->routes[i];
		if (!tsn_config_port(cfg, r->dev))
			cfg_error(chk, r->dev, "'%s' is not a configured port (see ports)", r->dev);
		for (size_t j = 0; j < i; j++)
			if (cfg->routes[j].prefix.len == r->prefix.len && cfg->routes[j].metric == r->metric &&
			    memcmp(&cfg->routes[j].prefix.addr, &r->prefix.addr, sizeof(r->prefix.addr)) == 0)
				cfg_error(chk, &r->prefix, "the same prefix and metric as routes[%zu]", j);
	}
	for (size_t i = 0; i < cfg->classification.n_ethertype; i++)
		for (size_t j = 0; j < i; j++)
			if (cfg->classification.ethertype[j].match == cfg->classification.ethertype[i].match)
				cfg_error(chk, &cfg->classification.ethertype[i].match, "EtherType 0x%04x has a rule already",
					  cfg->classification.ethertype[i].match);
	for (size_t i = 0; i < cfg->classification.n_pcp; i++)
		for (size_t j = 0; j < i; j++)
			if (cfg->classification.pcp[j].match == cfg->classification.pcp[i].match)
				cfg_error(chk, &cfg->classification.pcp[i].match, "PCP %u has a rule already",
					  cfg->classification.pcp[i].match);
	for (size_t i = 0; i < cfg->classification.n_dscp; i++)
		for (size_t j = 0; j < i; j++)
			if (cfg->classification.dscp[j].match == cfg->classification.dscp[i].match)
				cfg_error(chk, &cfg->classification.dscp[i].match, "DSCP %u has a rule already",
					  cfg->classification.dscp[i].match);
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
}
