/* SPDX-License-Identifier: GPL-2.0-only */
/* emit.c — what a plan says: a table, JSON (-j), and per switch the tsnd
 * configuration a deployer pushes (gate schedules, stream identification, 802.1Qci
 * filters, meters and gates, and the bridge with the streams' static entries). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "cnc.h"
#include "tsn/units.h"

#define CNC_BRIDGE_NAME "br0"	/* the network file has no bridge name (yet) */

/* time with the given gates open, per port's cycle */
static int64_t open_time(const struct cnc_plan *plan, size_t p, uint8_t tc_bit)
{
	int64_t t = 0;
	for (size_t e = plan->gcl_first[p]; e < plan->gcl_first[p] + plan->gcl_n[p]; e++)
		if (plan->entries[e].gates & tc_bit)
			t += plan->entries[e].interval;
	return t;
}

/* Is hop i of flow fi the frame of the other copy's hop (a redundant stream's
 * copies are one frame on the talker's link and out of the recovery switch)? */
static bool shared_hop(const struct cnc_plan *plan, size_t fi, size_t i)
{
	const struct cnc_flow *f = &plan->flows[fi];
	const struct cnc_hop *h = &plan->hops[f->first_hop + i];
	if (!fi || plan->flows[fi - 1].stream != f->stream)
		return false;
	const struct cnc_flow *g = &plan->flows[fi - 1];
	for (size_t j = 0; j < g->n_hops; j++) {
		const struct cnc_hop *o = &plan->hops[g->first_hop + j];
		if (o->port == h->port && o->start == h->start)
			return true;
	}
	return false;
}

/* time the port sends scheduled frames per cycle (stations too: they have no
 * gate list, their talkers send at their offsets) */
static int64_t sched_time(const struct cnc_network *net, const struct cnc_plan *plan, size_t p)
{
	int64_t t = 0;
	for (size_t fi = 0; fi < plan->n_flows; fi++) {
		const struct cnc_flow *f = &plan->flows[fi];
		for (size_t i = 0; i < f->n_hops; i++)
			if (plan->hops[f->first_hop + i].port == (int)p && !shared_hop(plan, fi, i))
				t += plan->hops[f->first_hop + i].len * (plan->cycle / net->streams[f->stream].period);
	}
	return t;
}

static int64_t flow_offset(const struct cnc_plan *plan, const struct cnc_flow *f)
{
	return plan->hops[f->first_hop].start;
}

static void path_text(const struct cnc_network *net, const struct cnc_plan *plan, const struct cnc_flow *f,
		      char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = 0; i < f->n_hops && o < len; i++) {
		const struct cnc_hop *h = &plan->hops[f->first_hop + i];
		const struct cnc_port *pt = &net->ports[h->port];
		o += (size_t)snprintf(buf + o, len - o, "%s%s>%s", i ? " " : "", net->nodes[pt->node].name,
				      net->nodes[net->ports[pt->peer].node].name);
	}
}

void cnc_plan_print(const struct cnc_network *net, const struct cnc_plan *plan, FILE *out)
{
	char a[32], b[32], c[32], d[32], path[512];
	size_t n_switches = 0;
	for (size_t i = 0; i < net->n_nodes; i++)
		n_switches += net->nodes[i].is_switch;
	fprintf(out, "cycle %s (hyperperiod), %zu streams, %zu switches: %s\n",
		tsn_format_duration((uint64_t)plan->cycle, a, sizeof(a)), net->n_streams, n_switches,
		plan->feasible ? "feasible" : "INFEASIBLE");
	if (!plan->feasible) {
		fprintf(out, "reason: %s\n", plan->reason);
		return;
	}
	fprintf(out, "\n%-20s %-12s %-12s %-12s %-12s %s\n", "stream", "period", "offset", "bound", "max-latency",
		"path");
	for (size_t fi = 0; fi < plan->n_flows; fi++) {
		const struct cnc_flow *f = &plan->flows[fi];
		const struct cnc_stream *s = &net->streams[f->stream];
		path_text(net, plan, f, path, sizeof(path));
		fprintf(out, "%-20s %-12s %-12s %-12s %-12s %s\n", f->copy ? "  (second path)" : s->name,
			tsn_format_duration((uint64_t)s->period, a, sizeof(a)),
			tsn_format_duration((uint64_t)flow_offset(plan, f), b, sizeof(b)),
			tsn_format_duration((uint64_t)plan->latency[f->stream], c, sizeof(c)),
			tsn_format_duration((uint64_t)s->deadline, d, sizeof(d)), path);
	}
	fprintf(out, "\n%-24s %-12s %-12s %s\n", "link", "scheduled", "best-effort", "gate entries");
	for (size_t p = 0; p < net->n_ports; p++) {
		int64_t tt = sched_time(net, plan, p);
		if (!tt)
			continue;
		cnc_port_label(net, (int)p, path, sizeof(path));
		if (!plan->gcl_n[p]) {	/* a talker's port */
			fprintf(out, "%-24s %10.3f %% %12s %s\n", path, 100.0 * (double)tt / (double)plan->cycle, "-", "-");
			continue;
		}
		int64_t be = open_time(plan, p, 1u << CNC_TC_BE);
		fprintf(out, "%-24s %10.3f %% %10.3f %% %zu\n", path, 100.0 * (double)tt / (double)plan->cycle,
			100.0 * (double)be / (double)plan->cycle, plan->gcl_n[p]);
	}
	fprintf(out, "\nobjective (sum of delivery times in the period): %s\n",
		tsn_format_duration((uint64_t)plan->objective, a, sizeof(a)));
}

struct json_object *cnc_plan_to_json(const struct cnc_network *net, const struct cnc_plan *plan)
{
	json_object *root = json_object_new_object(), *streams = json_object_new_array(),
		    *ports = json_object_new_array();
	char lab[64];
	json_object_object_add(root, "feasible", json_object_new_boolean(plan->feasible));
	json_object_object_add(root, "reason", plan->feasible ? NULL : json_object_new_string(plan->reason));
	json_object_object_add(root, "cycle_ns", json_object_new_int64(plan->cycle));
	json_object_object_add(root, "objective_ns", json_object_new_int64(plan->objective));
	for (size_t s = 0; s < net->n_streams && plan->feasible; s++) {
		const struct cnc_stream *st = &net->streams[s];
		json_object *js = json_object_new_object(), *paths = json_object_new_array();
		json_object_object_add(js, "name", json_object_new_string(st->name));
		json_object_object_add(js, "talker", json_object_new_string(net->nodes[st->talker].name));
		json_object_object_add(js, "period_ns", json_object_new_int64(st->period));
		json_object_object_add(js, "max_latency_ns", json_object_new_int64(st->deadline));
		json_object_object_add(js, "latency_bound_ns", json_object_new_int64(plan->latency[s]));
		for (size_t fi = 0; fi < plan->n_flows; fi++) {
			const struct cnc_flow *f = &plan->flows[fi];
			if (f->stream != (int)s)
				continue;
			json_object *jp = json_object_new_object(), *hops = json_object_new_array();
			json_object_object_add(jp, "offset_ns", json_object_new_int64(flow_offset(plan, f)));
			for (size_t i = 0; i < f->n_hops; i++) {
				const struct cnc_hop *h = &plan->hops[f->first_hop + i];
				json_object *jh = json_object_new_object();
				json_object_object_add(jh, "port", json_object_new_string(cnc_port_label(net, h->port, lab,
													  sizeof(lab))));
				json_object_object_add(jh, "to", json_object_new_string(
									 net->nodes[net->ports[net->ports[h->port].peer].node].name));
				json_object_object_add(jh, "window_start_ns", json_object_new_int64(h->start));
				json_object_object_add(jh, "window_ns", json_object_new_int64(h->len));
				json_object_array_add(hops, jh);
			}
			json_object_object_add(jp, "hops", hops);
			json_object_array_add(paths, jp);
		}
		json_object_object_add(js, "paths", paths);
		struct cnc_frer fr;
		if (cnc_frer_roles(net, plan, s, &fr) && fr.gen >= 0) {
			json_object *jf = json_object_new_object();
			json_object_object_add(jf, "generator", json_object_new_string(net->nodes[fr.gen].name));
			json_object_object_add(jf, "recovery", json_object_new_string(net->nodes[fr.rcvy].name));
			json_object_object_add(jf, "skew_ns", json_object_new_int64(fr.skew));
			json_object_object_add(jf, "history", json_object_new_int64(fr.history));
			json_object_object_add(jf, "reset_timeout_ns", json_object_new_int64(fr.reset));
			json_object_object_add(js, "frer", jf);
		}
		json_object_array_add(streams, js);
	}
	for (size_t p = 0; p < net->n_ports && plan->feasible; p++) {
		int64_t tt = sched_time(net, plan, p);
		if (!tt)
			continue;
		json_object *jp = json_object_new_object();
		json_object_object_add(jp, "port", json_object_new_string(cnc_port_label(net, (int)p, lab, sizeof(lab))));
		json_object_object_add(jp, "scheduled_ns", json_object_new_int64(tt));
		json_object_object_add(jp, "utilization", json_object_new_double((double)tt / (double)plan->cycle));
		if (plan->gcl_n[p]) {
			json_object_object_add(jp, "best_effort_ns",
					       json_object_new_int64(open_time(plan, p, 1u << CNC_TC_BE)));
			json_object_object_add(jp, "gate_entries", json_object_new_int64((int64_t)plan->gcl_n[p]));
		}
		json_object_array_add(ports, jp);
	}
	json_object_object_add(root, "streams", streams);
	json_object_object_add(root, "ports", ports);
	return root;
}

/* ---- per switch tsnd configuration ---- */
struct buf {
	char *s;
	size_t n, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3)))
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->n;
		va_start(ap, fmt);
		int k = b->s ? vsnprintf(b->s + b->n, room, fmt, ap) : -1;
		va_end(ap);
		if (k >= 0 && (size_t)k < room) {
			b->n += (size_t)k;
			return;
		}
		size_t nc = b->cap ? b->cap * 2 : 4096;
		while (k >= 0 && nc < b->n + (size_t)k + 1)
			nc *= 2;
		char *ns = realloc(b->s, nc);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = nc;
	}
}

struct span {
	int64_t a, b;
};

static int cmp_span(const void *x, const void *y)
{
	const struct span *p = x, *q = y;
	return p->a < q->a ? -1 : p->a > q->a;
}

static int64_t md(int64_t a, int64_t m)
{
	int64_t r = a % m;
	return r < 0 ? r + m : r;
}

/* What of stream s enters switch `node` per period: frames (copies), bytes, and
 * the largest frame (with the R-TAG where it has one). */
struct inflow {
	unsigned copies;
	uint64_t bytes;
	uint32_t largest;
	int64_t window; /* the longest window it comes from */
};

/* The stream gate of stream s at switch `node`: open while a frame of it can be
 * arriving (first bit to last bit of its previous window, +- precision).  Returns
 * the number of entries written (0: none fit). */
static size_t stream_gate(const struct cnc_network *net, const struct cnc_plan *plan, int node, size_t s,
			  struct buf *b, struct inflow *in)
{
	size_t n = 0, cap = 64;
	struct span *v = malloc(cap * sizeof(*v));
	int64_t C = plan->cycle, P = net->streams[s].period;
	memset(in, 0, sizeof(*in));
	if (!v)
		return 0;
	for (size_t fi = 0; fi < plan->n_flows; fi++) {
		const struct cnc_flow *f = &plan->flows[fi];
		if (f->stream != (int)s)
			continue;
		for (size_t i = 0; i < f->n_hops; i++) {
			const struct cnc_hop *h = &plan->hops[f->first_hop + i];
			const struct cnc_port *pt = &net->ports[h->port];
			if (net->ports[pt->peer].node != node || shared_hop(plan, fi, i))
				continue;
			uint32_t fr = cnc_hop_frame(net, &net->streams[s], h->port);
			in->copies++;
			in->bytes += fr;
			if (fr > in->largest)
				in->largest = fr;
			if (h->len > in->window)
				in->window = h->len;
			int64_t a = h->start + pt->prop - net->precision, e = h->start + h->len + pt->prop + net->precision;
			for (int64_t k = 0; k < C; k += P) {
				if (n + 2 > cap) {
					cap *= 2;
					struct span *nv = realloc(v, cap * sizeof(*v));
					if (!nv) {
						free(v);
						return 0;
					}
					v = nv;
				}
				int64_t x = md(a + k, C), y = x + (e - a);
				v[n++] = (struct span){ x, y < C ? y : C };
				if (y > C)
					v[n++] = (struct span){ 0, y - C };
			}
		}
	}
	qsort(v, n, sizeof(*v), cmp_span);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && v[i].a <= v[m - 1].b) {
			if (v[i].b > v[m - 1].b)
				v[m - 1].b = v[i].b;
		} else {
			v[m++] = v[i];
		}
	}
	if (!m || 2 * m + 1 > CNC_MAX_SGATE_ENTRIES || (m == 1 && v[0].a == 0 && v[0].b == C)) {
		free(v);
		return 0;
	}
	char d[32];
	put(b, "  - name: %s\n    base-time: auto\n    cycle-time: %s\n    entries:\n", net->streams[s].name,
	    tsn_format_duration((uint64_t)C, d, sizeof(d)));
	int64_t t = 0;
	size_t entries = 0;
	for (size_t i = 0; i < m; i++) {
		if (v[i].a > t) {
			put(b, "      - { state: closed, interval: %s }\n", tsn_format_duration((uint64_t)(v[i].a - t), d, sizeof(d)));
			entries++;
		}
		put(b, "      - { state: open, interval: %s }\n", tsn_format_duration((uint64_t)(v[i].b - v[i].a), d, sizeof(d)));
		entries++;
		t = v[i].b;
	}
	if (t < C) {
		put(b, "      - { state: closed, interval: %s }\n", tsn_format_duration((uint64_t)(C - t), d, sizeof(d)));
		entries++;
	}
	free(v);
	return entries;
}

/* Does stream s enter or leave switch `node` through port p? */
static bool port_carries(const struct cnc_network *net, const struct cnc_plan *plan, int node, int p, size_t s)
{
	for (size_t fi = 0; fi < plan->n_flows; fi++) {
		const struct cnc_flow *f = &plan->flows[fi];
		if (f->stream != (int)s)
			continue;
		for (size_t i = 0; i < f->n_hops; i++) {
			int hp = plan->hops[f->first_hop + i].port, peer = net->ports[hp].peer;
			if (hp == p || (peer == p && net->ports[peer].node == node))
				return true;
		}
	}
	return false;
}

/* Does stream s leave switch `node` through port p (a hop of its planned path)? */
static bool port_egress(const struct cnc_network *net, const struct cnc_plan *plan, int node, int p, size_t s)
{
	for (size_t fi = 0; fi < plan->n_flows; fi++) {
		const struct cnc_flow *f = &plan->flows[fi];
		if (f->stream != (int)s)
			continue;
		for (size_t i = 0; i < f->n_hops; i++)
			if (plan->hops[f->first_hop + i].port == p && net->ports[p].node == node)
				return true;
	}
	return false;
}

/* The VID of a stream in the bridge: its own, or 1 (untagged, the PVID) when the
 * bridge filters VLANs because another stream is tagged; 0: a VLAN-unaware bridge. */
static int bridge_vid(const struct cnc_stream *st, bool filtering)
{
	return !filtering ? 0 : st->vlan >= 0 ? st->vlan : 1;
}

/* The bridge that forwards the streams (issue 18): the ports they cross are its
 * ports, and one static entry per destination MAC and VID sends a stream's
 * frames out of exactly the egress ports of its planned path(s) on this switch,
 * so planned traffic never floods.  No stream here: no section (tsnd leaves the
 * switch's bridge alone). */
static void bridge_section(const struct cnc_network *net, const struct cnc_plan *plan, int node, const bool *on,
			   struct buf *b)
{
	const struct cnc_node *n = &net->nodes[node];
	bool filtering = false, any = false;
	for (size_t s = 0; s < net->n_streams; s++) {
		any |= on[s];
		filtering |= on[s] && net->streams[s].vlan >= 0;
	}
	if (!any)
		return;
	put(b, "bridge:\n  name: %s\n  vlan-filtering: %s\n  ports:\n", CNC_BRIDGE_NAME, filtering ? "true" : "false");
	for (int p = n->first_port; p < n->first_port + n->n_ports; p++) {
		bool member = false, untagged = false;
		for (size_t s = 0; s < net->n_streams; s++)
			if (on[s] && port_carries(net, plan, node, p, s)) {
				member = true;
				untagged |= net->streams[s].vlan < 0;
			}
		if (!member)
			continue;
		put(b, "    - name: %s\n", net->ports[p].name);
		if (!filtering)
			continue;
		/* untagged streams ride VLAN 1 untagged, the PVID; tagged ones their own VID, tagged */
		if (untagged)
			put(b, "      pvid: 1\n");
		put(b, "      vlans:\n");
		if (untagged)
			put(b, "        - { vid: 1, untagged: true }\n");
		for (size_t s = 0; s < net->n_streams; s++) {
			int vid = net->streams[s].vlan;
			if (!on[s] || vid < 0 || !port_carries(net, plan, node, p, s))
				continue;
			bool seen = false;	/* once per VID */
			for (size_t t = 0; t < s && !seen; t++)
				seen = on[t] && net->streams[t].vlan == vid && port_carries(net, plan, node, p, t);
			if (!seen)
				put(b, "        - { vid: %d }\n", vid);
		}
	}
	put(b, "  fdb:\n");
	for (size_t s = 0; s < net->n_streams; s++) {
		const struct cnc_stream *st = &net->streams[s];
		int vid = bridge_vid(st, filtering);
		if (!on[s])
			continue;
		bool seen = false;	/* one entry per MAC and VID: the first stream writes it for all */
		for (size_t t = 0; t < s && !seen; t++)
			seen = on[t] && !memcmp(net->streams[t].mac, st->mac, 6) &&
			       bridge_vid(&net->streams[t], filtering) == vid;
		if (seen)
			continue;
		bool unicast = !(st->mac[0] & 1);
		size_t k = 0;
		for (int p = n->first_port; p < n->first_port + n->n_ports; p++) {
			bool out = false;
			for (size_t t = s; t < net->n_streams && !out; t++)
				out = on[t] && !memcmp(net->streams[t].mac, st->mac, 6) &&
				      bridge_vid(&net->streams[t], filtering) == vid && port_egress(net, plan, node, p, t);
			/* a unicast address lives behind one port: the first path's */
			if (!out || (unicast && k))
				continue;
			if (!k) {
				put(b, "    - { mac: \"%02x:%02x:%02x:%02x:%02x:%02x\", ", st->mac[0], st->mac[1], st->mac[2],
				    st->mac[3], st->mac[4], st->mac[5]);
				if (vid)
					put(b, "vid: %d, ", vid);
				put(b, "ports: [");
			}
			put(b, "%s%s", k++ ? ", " : "", net->ports[p].name);
		}
		if (k)
			put(b, "] }\n");
	}
}

/* FRER (IEEE 802.1CB) for the redundant streams: this switch generates (numbers
 * the talker's frame and splits it onto both paths) or recovers (keeps the first
 * copy of each number and sends it to the listener).  Always written, empty when
 * none: a deploy replaces the section, so roles of an older plan go. */
static void frer_section(const struct cnc_network *net, const struct cnc_plan *plan, int node, const bool *on,
			 struct buf *b)
{
	char d[32];
	size_t k = 0;
	put(b, "frer:");
	for (size_t s = 0; s < net->n_streams; s++) {
		struct cnc_frer fr;
		if (!on[s] || !cnc_frer_roles(net, plan, s, &fr) || (fr.gen != node && fr.rcvy != node))
			continue;
		const char *name = net->streams[s].name;
		put(b, "%s", k++ ? "" : "\n");
		if (fr.gen == node) {
			put(b, "  - stream: %s\n    role: generator\n    paths: [ { port: %s }, { port: %s } ]\n", name,
			    net->ports[fr.gen_ports[0]].name, net->ports[fr.gen_ports[1]].name);
			continue;
		}
		put(b, "  - stream: %s\n    role: recovery\n    algorithm: vector\n    history: %u\n"
		       "    reset-timeout: %s\n    paths: [ { port: %s } ]\n",
		    name, fr.history, tsn_format_duration((uint64_t)fr.reset, d, sizeof(d)), net->ports[fr.rcvy_out].name);
	}
	if (!k)
		put(b, " []\n");
}

char *cnc_switch_config(const struct cnc_network *net, const struct cnc_plan *plan, int node)
{
	struct buf b = { 0 };
	const struct cnc_node *n = &net->nodes[node];
	char d[32];
	uint8_t tt_prio = 0;
	bool *on = calloc(net->n_streams + 1, sizeof(bool));
	if (!on)
		return NULL;
	for (size_t fi = 0; fi < plan->n_flows; fi++) {
		const struct cnc_flow *f = &plan->flows[fi];
		for (size_t i = 0; i < f->n_hops; i++)
			if (net->ports[plan->hops[f->first_hop + i].port].node == node)
				on[f->stream] = true;
	}
	for (size_t s = 0; s < net->n_streams; s++)
		tt_prio |= (uint8_t)(1u << net->streams[s].priority);
	put(&b, "# tsnd configuration of switch %s, planned by tsncnc from %s.\n", n->name, net->file);
	put(&b, "# Every schedule has the network's cycle (%s) and base-time auto, so all switches\n"
		"# run on one grid anchored at 0 TAI (docs/schedules.md, docs/cnc.md).\n",
	    tsn_format_duration((uint64_t)plan->cycle, d, sizeof(d)));
	put(&b, "ports:\n");
	for (int p = n->first_port; p < n->first_port + n->n_ports; p++) {
		/* XDP classifies and polices; a frame of no stream that claims a scheduled
		 * priority by its PCP is demoted, so class 1 carries only planned streams */
		put(&b, "  - name: %s\n    link-speed: %u\n    xdp: auto\n    unmatched-priority: demote\n",
		    net->ports[p].name, net->ports[p].speed);
		if (!plan->gcl_n[p])
			continue;
		put(&b, "    schedule:\n      num-tc: 2\n      map: [");
		for (unsigned pr = 0; pr < 16; pr++)
			put(&b, "%s%u", pr ? ", " : "", pr < 8 && (tt_prio >> pr & 1) ? CNC_TC_TT : CNC_TC_BE);
		/* class 1 carries nothing larger than the streams' frames: tsnd then knows
		 * each window fits its largest frame (SDU: without header, tag and FCS) */
		uint32_t sdu = 0;
		for (size_t fi = 0; fi < plan->n_flows; fi++) {
			const struct cnc_flow *f = &plan->flows[fi];
			const struct cnc_stream *st = &net->streams[f->stream];
			/* with the R-TAG between the FRER switches */
			uint32_t x = cnc_hop_frame(net, st, p) - 18u - (st->vlan >= 0 ? 4u : 0u);
			for (size_t i = 0; i < f->n_hops; i++)
				if (plan->hops[f->first_hop + i].port == p && x > sdu)
					sdu = x;
		}
		put(&b, "]\n      queues: [\"1@0\", \"1@1\"]\n      max-sdu: [0, %u]\n      base-time: auto\n"
			"      cycle-time: %s\n      entries:\n", sdu, tsn_format_duration((uint64_t)plan->cycle, d, sizeof(d)));
		for (size_t e = plan->gcl_first[p]; e < plan->gcl_first[p] + plan->gcl_n[p]; e++) {
			const struct cnc_gate_entry *g = &plan->entries[e];
			const char *gates = g->gates == (1u << CNC_TC_TT) ? "[1]" : g->gates == (1u << CNC_TC_BE) ? "[0]"
								      : g->gates ? "[0-1]" : "[]";
			put(&b, "        - { gates: %s, interval: %s }\n", gates,
			    tsn_format_duration((uint64_t)g->interval, d, sizeof(d)));
		}
	}
	put(&b, "classification:\n  pcp:%s\n", tt_prio ? "" : " []");
	for (unsigned pr = 0; pr < 8; pr++)
		if (tt_prio >> pr & 1)
			put(&b, "    - { pcp: %u, priority: %u }\n", pr, pr);
	put(&b, "streams:\n");
	bool any = false;
	for (size_t s = 0; s < net->n_streams; s++) {
		const struct cnc_stream *st = &net->streams[s];
		if (!on[s])
			continue;
		any = true;
		put(&b, "  - { id: %zu, name: %s, identification: dst-mac-vlan, "
			"dst-mac: \"%02x:%02x:%02x:%02x:%02x:%02x\", ", s + 1, st->name, st->mac[0], st->mac[1],
		    st->mac[2], st->mac[3], st->mac[4], st->mac[5]);
		if (st->vlan >= 0)
			put(&b, "vlan: %d, ", st->vlan);
		put(&b, "priority: %u, filter: %s }\n", st->priority, st->name);
	}
	if (!any)
		put(&b, "  []\n");
	/* gates first, to know which filters name one */
	struct buf gates = { 0 };
	bool *has_gate = calloc(net->n_streams + 1, sizeof(bool));
	struct inflow *in = calloc(net->n_streams + 1, sizeof(*in));
	if (!has_gate || !in) {
		free(has_gate);
		free(in);
		free(on);
		free(b.s);
		return NULL;
	}
	for (size_t s = 0; s < net->n_streams; s++)
		if (on[s])
			has_gate[s] = stream_gate(net, plan, node, s, &gates, &in[s]) > 0;
	/* the largest frame that enters here: with the R-TAG from another switch of a
	 * redundant stream's paths */
	put(&b, "stream-filters:\n");
	for (size_t s = 0; s < net->n_streams; s++)
		if (on[s])
			put(&b, "  - { name: %s, max-sdu: %u, meter: %s%s%s }\n", net->streams[s].name,
			    in[s].largest ? in[s].largest : net->streams[s].frame, net->streams[s].name,
			    has_gate[s] ? ", gate: " : "", has_gate[s] ? net->streams[s].name : "");
	if (!any)
		put(&b, "  []\n");
	put(&b, "flow-meters:\n");
	for (size_t s = 0; s < net->n_streams; s++) {
		const struct cnc_stream *st = &net->streams[s];
		if (!on[s])
			continue;
		/* the reservation: the frames (copies, R-TAG included) entering this
		 * switch per period */
		uint64_t bytes = in[s].copies ? in[s].bytes : st->frame;
		uint64_t bits = bytes * 8u;
		uint64_t cir = (bits * 1000000000u + (uint64_t)st->period - 1) / (uint64_t)st->period;
		/* The stream gate admits a frame anywhere in its previous window +-
		 * precision, so two frames may come that much less than a period apart:
		 * the bucket holds what CIR adds over that span on top of one period's
		 * bytes, else the meter marks a frame red that the plan allows. */
		uint64_t jitter = (uint64_t)(in[s].window + 2 * net->precision);
		uint64_t cbs = bytes + (bytes * jitter + (uint64_t)st->period - 1) / (uint64_t)st->period;
		put(&b, "  - { name: %s, cir: %llubit, cbs: %lluB }\n", st->name, (unsigned long long)cir,
		    (unsigned long long)cbs);
	}
	if (!any)
		put(&b, "  []\n");
	put(&b, "stream-gates:\n%s", gates.s && gates.n ? gates.s : "  []\n");
	frer_section(net, plan, node, on, &b);
	/* A redundant stream's copies bypass the bridge where FRER handles them:
	 * frer_tc splits them at the generator and sends the recovered one to the
	 * listener's port.  Bridging their ports there would close the ring the two
	 * paths form: a loop of flooding bridges. */
	for (size_t s = 0; s < net->n_streams; s++) {
		struct cnc_frer fr;
		if (on[s] && cnc_frer_roles(net, plan, s, &fr) && (fr.gen == node || fr.rcvy == node))
			on[s] = false;
	}
	bridge_section(net, plan, node, on, &b);
	free(gates.s);
	free(has_gate);
	free(in);
	free(on);
	if (b.oom || gates.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

int cnc_write_dir(const struct cnc_network *net, const struct cnc_plan *plan, const char *dir)
{
	char path[4096];
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	for (size_t i = 0; i < net->n_nodes; i++) {
		if (!net->nodes[i].is_switch)
			continue;
		char *y = cnc_switch_config(net, plan, (int)i);
		if (!y)
			return -ENOMEM;
		snprintf(path, sizeof(path), "%s/%s.yaml", dir, net->nodes[i].name);
		FILE *f = fopen(path, "w");
		if (!f) {
			int e = errno;
			free(y);
			return -e;
		}
		fputs(y, f);
		free(y);
		if (fclose(f))
			return -errno;
	}
	json_object *j = cnc_plan_to_json(net, plan);
	snprintf(path, sizeof(path), "%s/plan.json", dir);
	int rc = json_object_to_file_ext(path, j, JSON_C_TO_STRING_PRETTY) ? -EIO : 0;
	json_object_put(j);
	return rc;
}
