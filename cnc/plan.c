/* SPDX-License-Identifier: GPL-2.0-only */
/* plan.c — routes, the no-wait list-scheduling heuristic, gate lists and bounds.
 *
 * Routes: per flow a shortest-path tree (Dijkstra on the no-wait hop latency) from
 * the talker to its listeners; a redundant stream (one listener) takes two paths
 * without a common link between switches (Suurballe), with FRER in the switches
 * where they split and meet: both copies are one frame from the talker (one
 * offset) and one window out of the recovery switch (docs/cnc.md).
 *
 * Windows: a frame's scheduled queue at a port is its own from the earliest moment
 * the frame can arrive (previous window's close + propagation - precision) until
 * its window closes; two such occupancies on a port never overlap.  With no wait,
 * each flow has one unknown, its send offset: flows in order of deadline, then
 * path length, each take the least offset in their period that keeps every
 * occupancy of the flow apart from those placed (periodic intervals a, b are
 * apart iff (qb - qa) mod gcd(pa, pb) lies in [La, gcd - Lb]).  A flow that finds
 * none moves to the front and the placement starts again (max_restarts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnc.h"
#include "tsn/units.h"

const char *cnc_port_label(const struct cnc_network *net, int port, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s", net->nodes[net->ports[port].node].name, net->ports[port].name);
	return buf;
}

uint32_t cnc_hop_frame(const struct cnc_network *net, const struct cnc_stream *s, int port)
{
	const struct cnc_port *pt = &net->ports[port];
	bool between = pt->peer >= 0 && net->nodes[pt->node].is_switch && net->nodes[net->ports[pt->peer].node].is_switch;
	return s->frame + (s->redundant && between ? CNC_RTAG_LEN : 0u);
}

/* no-wait latency of leaving port p with a frame of `bytes` and being ready at the
 * next node's egress (or received by a station) */
static int64_t edge_weight(const struct cnc_network *net, int p, uint32_t bytes)
{
	const struct cnc_port *pt = &net->ports[p];
	const struct cnc_node *v = &net->nodes[net->ports[pt->peer].node];
	return cnc_tx_time(bytes, pt->speed) + pt->prop + (v->is_switch ? v->proc + net->precision : 0);
}

static bool grow(void **arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return true;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *n = realloc(*arr, c * size);
	if (!n)
		return false;
	*arr = n;
	*cap = c;
	return true;
}

struct router {
	int64_t *dist;
	int *via;	/* egress port into the node */
	bool *done;
	bool *banned;	/* per port: the link is not to be used */
	int *order;
};

/* Tree of flow f (of stream s) into plan->hops; banned links avoided.  Returns
 * the listener that could not be reached, -1 when all were. */
static int tree(const struct cnc_network *net, struct router *r, const struct cnc_stream *s,
		struct cnc_plan *plan, size_t *hop_cap, struct cnc_flow *f)
{
	size_t V = net->n_nodes;
	for (size_t i = 0; i < V; i++) {
		r->dist[i] = INT64_MAX;
		r->via[i] = -1;
		r->done[i] = false;
	}
	r->dist[s->talker] = 0;
	for (;;) {
		int u = -1;
		for (size_t i = 0; i < V; i++)
			if (!r->done[i] && r->dist[i] != INT64_MAX && (u < 0 || r->dist[i] < r->dist[u]))
				u = (int)i;
		if (u < 0)
			break;
		r->done[u] = true;
		if (!net->nodes[u].is_switch && u != s->talker)
			continue;	/* stations do not forward */
		const struct cnc_node *n = &net->nodes[u];
		for (int p = n->first_port; p < n->first_port + n->n_ports; p++) {
			if (net->ports[p].peer < 0 || r->banned[p])
				continue;
			int v = net->ports[net->ports[p].peer].node;
			int64_t d = r->dist[u] + edge_weight(net, p, s->frame);
			if (d < r->dist[v]) {
				r->dist[v] = d;
				r->via[v] = p;
			}
		}
	}
	/* the ports of the tree, parents first (by distance of their node) */
	size_t n_ord = 0;
	for (size_t l = 0; l < s->n_listeners; l++) {
		int v = s->listeners[l];
		if (r->via[v] < 0)
			return v;
		while (v != s->talker) {
			int p = r->via[v];
			size_t k;
			for (k = 0; k < n_ord && r->order[k] != p; k++)
				;
			if (k < n_ord)
				break;
			r->order[n_ord++] = p;
			v = net->ports[p].node;
		}
	}
	for (size_t i = 1; i < n_ord; i++)	/* insertion sort: trees are small */
		for (size_t j = i; j > 0 && r->dist[net->ports[r->order[j]].node] <
						r->dist[net->ports[r->order[j - 1]].node]; j--) {
			int t = r->order[j];
			r->order[j] = r->order[j - 1];
			r->order[j - 1] = t;
		}
	if (!grow((void **)&plan->hops, hop_cap, plan->n_hops + n_ord, sizeof(*plan->hops)))
		return -2;
	f->first_hop = plan->n_hops;
	f->n_hops = n_ord;
	for (size_t i = 0; i < n_ord; i++) {
		struct cnc_hop *h = &plan->hops[plan->n_hops + i];
		int p = r->order[i], u = net->ports[p].node;
		h->port = p;
		h->parent = -1;
		h->start = 0;
		h->len = cnc_tx_time(cnc_hop_frame(net, s, p), net->ports[p].speed);
		if (u != s->talker)
			for (size_t j = 0; j < i; j++)
				if (r->order[j] == r->via[u])
					h->parent = (int)j;
	}
	plan->n_hops += n_ord;
	return -1;
}

/* Dijkstra over the links between switches from switch `src`: dist and via (the
 * egress port into each node).  arc(p) gives the weight of leaving by port p, or
 * -1 when p is not to be used. */
static void sw_dijkstra(const struct cnc_network *net, struct router *r, int src,
			int64_t (*arc)(const struct cnc_network *, const struct router *, int, const void *),
			const void *ctx)
{
	for (size_t i = 0; i < net->n_nodes; i++) {
		r->dist[i] = INT64_MAX;
		r->via[i] = -1;
		r->done[i] = false;
	}
	r->dist[src] = 0;
	for (;;) {
		int u = -1;
		for (size_t i = 0; i < net->n_nodes; i++)
			if (!r->done[i] && r->dist[i] != INT64_MAX && (u < 0 || r->dist[i] < r->dist[u]))
				u = (int)i;
		if (u < 0)
			break;
		r->done[u] = true;
		const struct cnc_node *n = &net->nodes[u];
		for (int p = n->first_port; p < n->first_port + n->n_ports; p++) {
			if (net->ports[p].peer < 0 || !net->nodes[net->ports[net->ports[p].peer].node].is_switch)
				continue;
			int64_t w = arc(net, r, p, ctx);
			int v = net->ports[net->ports[p].peer].node;
			if (w >= 0 && r->dist[u] + w < r->dist[v]) {
				r->dist[v] = r->dist[u] + w;
				r->via[v] = p;
			}
		}
	}
}

struct pass {
	uint32_t frame;
	const bool *in1;	/* ports of the first path */
	const int64_t *d1;	/* distances of the first pass (potentials) */
};

static int64_t arc_first(const struct cnc_network *net, const struct router *r, int p, const void *ctx)
{
	(void)r;
	return edge_weight(net, p, ((const struct pass *)ctx)->frame);
}

/* the residual graph: the first path's links removed both ways, its arcs
 * reversed at reduced cost 0; other arcs at reduced cost w + d(u) - d(v) */
static int64_t arc_second(const struct cnc_network *net, const struct router *r, int p, const void *ctx)
{
	const struct pass *ps = ctx;
	int q = net->ports[p].peer, u = net->ports[p].node, v = net->ports[q].node;
	(void)r;
	if (ps->in1[p])
		return -1;
	if (ps->in1[q])
		return 0;
	if (ps->d1[u] == INT64_MAX || ps->d1[v] == INT64_MAX)
		return -1;
	return edge_weight(net, p, ps->frame) + ps->d1[u] - ps->d1[v];
}

/* Two flows of a redundant stream with one listener: Suurballe's algorithm
 * between the talker's and the listener's switches finds two paths with no link
 * between switches in common, of least total latency, whenever two exist.
 * Returns 1 done, 0 no such pair, -1 not applicable (one switch, or no path),
 * -2 out of memory. */
static int suurballe_pair(const struct cnc_network *net, struct router *r, const struct cnc_stream *st, size_t si,
			  struct cnc_plan *plan, size_t *hop_cap)
{
	int tp = net->nodes[st->talker].first_port, lp = net->nodes[st->listeners[0]].first_port;
	int a = net->ports[net->ports[tp].peer].node, z = net->ports[net->ports[lp].peer].node;
	if (a == z || !net->nodes[a].is_switch || !net->nodes[z].is_switch)
		return -1;
	bool *in1 = calloc(net->n_ports, sizeof(bool)), *use = calloc(net->n_ports, sizeof(bool));
	int64_t *d1 = calloc(net->n_nodes, sizeof(int64_t));
	int rc = -2;
	if (!in1 || !use || !d1)
		goto out;
	/* only links between switches here: every copy carries the R-TAG */
	struct pass ps = { .frame = st->frame + CNC_RTAG_LEN, .in1 = in1, .d1 = d1 };
	sw_dijkstra(net, r, a, arc_first, &ps);
	rc = -1;
	if (r->via[z] < 0)
		goto out;
	memcpy(d1, r->dist, net->n_nodes * sizeof(int64_t));
	for (int v = z; v != a; v = net->ports[r->via[v]].node)
		in1[r->via[v]] = use[r->via[v]] = true;
	sw_dijkstra(net, r, a, arc_second, &ps);
	rc = 0;
	if (r->via[z] < 0)
		goto out;
	/* the union, a first-path arc and its reversal cancelling */
	for (int v = z; v != a; v = net->ports[r->via[v]].node) {
		int p = r->via[v], q = net->ports[p].peer;
		if (in1[q])
			use[q] = false;
		else
			use[p] = true;
	}
	/* two walks from a along the arcs left */
	for (int copy = 0; copy < 2; copy++) {
		size_t n = 0;
		for (int u = a, guard = 0; u != z && guard <= (int)net->n_ports; guard++) {
			const struct cnc_node *nd = &net->nodes[u];
			int next = -1;
			for (int p = nd->first_port; p < nd->first_port + nd->n_ports && next < 0; p++)
				if (use[p])
					next = p;
			if (next < 0)
				break;
			use[next] = false;
			r->order[n++] = next;
			u = net->ports[net->ports[next].peer].node;
		}
		if (!grow((void **)&plan->hops, hop_cap, plan->n_hops + n + 2, sizeof(*plan->hops))) {
			rc = -2;
			goto out;
		}
		struct cnc_flow *f = &plan->flows[plan->n_flows++];
		f->stream = (int)si;
		f->copy = copy;
		f->first_hop = plan->n_hops;
		f->n_hops = n + 2;
		int ports[2] = { tp, net->ports[lp].peer };
		for (size_t i = 0; i < n + 2; i++) {
			struct cnc_hop *h = &plan->hops[plan->n_hops + i];
			h->port = i == 0 ? ports[0] : i == n + 1 ? ports[1] : r->order[i - 1];
			h->parent = (int)i - 1;
			h->start = 0;
			h->len = cnc_tx_time(cnc_hop_frame(net, st, h->port), net->ports[h->port].speed);
		}
		plan->n_hops += n + 2;
	}
	rc = 1;
out:
	free(in1);
	free(use);
	free(d1);
	return rc;
}

bool cnc_route(const struct cnc_network *net, struct cnc_plan *plan)
{
	struct router r = {
		.dist = calloc(net->n_nodes, sizeof(int64_t)), .via = calloc(net->n_nodes, sizeof(int)),
		.done = calloc(net->n_nodes, sizeof(bool)), .banned = calloc(net->n_ports, sizeof(bool)),
		.order = calloc(net->n_ports, sizeof(int)),
	};
	size_t hop_cap = 0;
	bool ok = r.dist && r.via && r.done && r.banned && r.order;
	plan->flows = calloc(2 * net->n_streams + 1, sizeof(*plan->flows));
	ok = ok && plan->flows;
	if (!ok)
		snprintf(plan->reason, sizeof(plan->reason), "out of memory");
	for (size_t i = 0; ok && i < net->n_streams; i++) {
		const struct cnc_stream *s = &net->streams[i];
		if (s->redundant && s->n_listeners > 1) {
			/* FRER needs one recovery point; with several listeners the two trees
			 * meet at several switches, some of them relays for other listeners */
			if (snprintf(plan->reason, sizeof(plan->reason),
				     "%s:%u:%u: streams[%zu].redundant: stream %s has %zu listeners; tsncnc plans a "
				     "redundant stream (FRER generator at the talker's switch, recovery at the "
				     "listener's) for one listener: make one redundant stream per listener",
				     net->file, s->at.line, s->at.col, i, s->name, s->n_listeners) >= (int)sizeof(plan->reason))
				plan->reason[sizeof(plan->reason) - 2] = '.';
			ok = false;
			break;
		}
		if (s->redundant && s->n_listeners == 1) {
			int rc = suurballe_pair(net, &r, s, i, plan, &hop_cap);
			if (rc == -2) {
				snprintf(plan->reason, sizeof(plan->reason), "out of memory");
				ok = false;
			} else if (rc == 0) {
				snprintf(plan->reason, sizeof(plan->reason),
					 "%s:%u:%u: streams[%zu].redundant: stream %s: no two paths from %s to %s without a "
					 "common link between switches exist", net->file, s->at.line, s->at.col, i, s->name,
					 net->nodes[s->talker].name, net->nodes[s->listeners[0]].name);
				ok = false;
			}
			if (rc != -1)
				continue;
		}
		for (int copy = 0; ok && copy < (s->redundant ? 2 : 1); copy++) {
			struct cnc_flow *f = &plan->flows[plan->n_flows];
			f->stream = (int)i;
			f->copy = copy;
			int miss = tree(net, &r, s, plan, &hop_cap, f);
			if (miss == -2) {
				snprintf(plan->reason, sizeof(plan->reason), "out of memory");
				ok = false;
			} else if (miss >= 0 && copy == 0) {
				snprintf(plan->reason, sizeof(plan->reason),
					 "%s:%u:%u: streams[%zu].listeners: stream %s: no path from %s to %s", net->file,
					 s->at_listeners.line, s->at_listeners.col, i, s->name,
					 net->nodes[s->talker].name, net->nodes[miss].name);
				ok = false;
			} else if (miss >= 0) {
				if (snprintf(plan->reason, sizeof(plan->reason),
					     "%s:%u:%u: streams[%zu].redundant: stream %s: no second path from %s to %s "
					     "that avoids the links between switches of the first (two passes: the "
					     "shortest tree, then again without its links)", net->file, s->at.line,
					     s->at.col, i, s->name, net->nodes[s->talker].name,
					     net->nodes[miss].name) >= (int)sizeof(plan->reason))
					plan->reason[sizeof(plan->reason) - 2] = '.';
				ok = false;
			} else {
				plan->n_flows++;
				if (s->redundant && copy == 0)
					for (size_t h = f->first_hop; h < f->first_hop + f->n_hops; h++) {
						int p = plan->hops[h].port, q = net->ports[p].peer;
						if (net->nodes[net->ports[p].node].is_switch &&
						    net->nodes[net->ports[q].node].is_switch)
							r.banned[p] = r.banned[q] = true;
					}
			}
		}
		if (s->redundant)
			memset(r.banned, 0, net->n_ports * sizeof(bool));
	}
	free(r.dist);
	free(r.via);
	free(r.done);
	free(r.banned);
	free(r.order);
	return ok;
}

bool cnc_frer_roles(const struct cnc_network *net, const struct cnc_plan *plan, size_t s, struct cnc_frer *out)
{
	const struct cnc_stream *st = &net->streams[s];
	const struct cnc_flow *f[2] = { NULL, NULL };
	if (!st->redundant)
		return false;
	for (size_t fi = 0; fi < plan->n_flows; fi++)
		if (plan->flows[fi].stream == (int)s && plan->flows[fi].copy >= 0 && plan->flows[fi].copy < 2)
			f[plan->flows[fi].copy] = &plan->flows[fi];
	if (!f[0] || !f[1])
		return false;
	memset(out, 0, sizeof(*out));
	out->gen = out->rcvy = -1;
	int64_t arrive[2] = { 0, 0 };
	int a = -1, z = -1;
	for (int c = 0; c < 2; c++) {
		const struct cnc_hop *hops = &plan->hops[f[c]->first_hop];
		out->gen_ports[c] = out->rcvy_in[c] = -1;
		for (size_t i = 0; i < f[c]->n_hops; i++) {
			const struct cnc_hop *h = &hops[i];
			if (h->parent < 0) {
				a = net->ports[net->ports[h->port].peer].node;
				continue;
			}
			if (h->parent == 0)
				out->gen_ports[c] = h->port;
			if (net->nodes[net->ports[net->ports[h->port].peer].node].is_switch)
				continue;
			const struct cnc_hop *ph = &hops[h->parent];
			z = net->ports[h->port].node;
			out->rcvy_out = h->port;
			out->rcvy_in[c] = net->ports[ph->port].peer;
			arrive[c] = ph->start + ph->len + net->ports[ph->port].prop;
		}
	}
	if (a < 0 || a == z || z < 0 || !net->nodes[a].is_switch || out->gen_ports[0] < 0 || out->gen_ports[1] < 0 ||
	    out->rcvy_in[0] < 0 || out->rcvy_in[1] < 0)
		return true;	/* one switch: nothing to protect, no FRER */
	out->gen = a;
	out->rcvy = z;
	out->skew = arrive[0] > arrive[1] ? arrive[0] - arrive[1] : arrive[1] - arrive[0];
	/* the later copy of a number may come ceil(skew / period) numbers behind the
	 * earlier path's latest: it must still be in the history (else it is rogue,
	 * and after a cut of the earlier path every frame would be until a reset);
	 * +1 for the number itself, +1 for a talker's late slot or clock offsets */
	int64_t h = (out->skew + st->period - 1) / st->period + 2;
	out->history = h > 64 ? 64u : (unsigned)h;
	out->reset = ((int64_t)out->history + 1) * st->period;
	return true;
}

/* start of hop h's window relative to the flow's offset, with no wait */
static void nowait_times(const struct cnc_network *net, const struct cnc_plan *plan, const struct cnc_flow *f,
			 int64_t *rel, int64_t *qrel)
{
	for (size_t i = 0; i < f->n_hops; i++) {
		const struct cnc_hop *h = &plan->hops[f->first_hop + i];
		if (h->parent < 0) {
			rel[i] = qrel[i] = 0;
			continue;
		}
		const struct cnc_hop *ph = &plan->hops[f->first_hop + (size_t)h->parent];
		int64_t arrive = rel[h->parent] + ph->len + net->ports[ph->port].prop;
		rel[i] = arrive + net->nodes[net->ports[h->port].node].proc + net->precision;
		/* one minimum frame of room before it: gate entries are never shorter */
		qrel[i] = arrive - net->precision - cnc_min_entry(net, h->port);
	}
}

int64_t cnc_hop_queue_start(const struct cnc_network *net, const struct cnc_plan *plan,
			    const struct cnc_flow *f, const struct cnc_hop *h)
{
	if (h->parent < 0)
		return h->start;
	const struct cnc_hop *ph = &plan->hops[f->first_hop + (size_t)h->parent];
	return ph->start + ph->len + net->ports[ph->port].prop - net->precision - cnc_min_entry(net, h->port);
}

int64_t cnc_min_entry(const struct cnc_network *net, int port)
{
	return cnc_tx_time(64, net->ports[port].speed);
}

int64_t cnc_hop_earliest(const struct cnc_network *net, const struct cnc_plan *plan,
			 const struct cnc_flow *f, size_t i)
{
	const struct cnc_hop *h = &plan->hops[f->first_hop + i];
	if (h->parent < 0)
		return 0;
	const struct cnc_hop *ph = &plan->hops[f->first_hop + (size_t)h->parent];
	return ph->start + ph->len + net->ports[ph->port].prop + net->nodes[net->ports[h->port].node].proc +
	       net->precision;
}

/* latest delivery to a listener minus the send time */
int64_t cnc_flow_latency(const struct cnc_network *net, const struct cnc_plan *plan, const struct cnc_flow *f)
{
	int64_t worst = 0, offset = plan->hops[f->first_hop].start;
	for (size_t i = 0; i < f->n_hops; i++) {
		const struct cnc_hop *h = &plan->hops[f->first_hop + i];
		if (net->nodes[net->ports[net->ports[h->port].peer].node].is_switch)
			continue;
		int64_t d = h->start + h->len + net->ports[h->port].prop - offset;
		if (d > worst)
			worst = d;
	}
	return worst;
}

/* ---- the heuristic ---- */
struct occ {
	int64_t q, L, period;
	size_t flow;
};
struct port_occ {
	struct occ *v;
	size_t n, cap;
};
struct ival {
	int64_t lo, hi;	/* inclusive */
};

static int cmp_ival(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int64_t mod(int64_t a, int64_t m)
{
	int64_t r = a % m;
	return r < 0 ? r + m : r;
}

struct heur {
	const struct cnc_network *net;
	struct cnc_plan *plan;
	struct port_occ *ports;
	struct ival *iv;
	size_t n_iv, cap_iv;
	int64_t *rel, *qrel;
	size_t self;		/* the flow being placed (its own occupancies do not count) */
	/* a redundant stream's second copy, placed with the first at one offset:
	 * its times, and which of its hops are the first copy's frame (shared) */
	size_t *partner;	/* per flow: the other copy, SIZE_MAX none */
	int64_t *rel2, *qrel2;
	bool *shared2;
	size_t self2;
	bool oom;
};

static void add_ival(struct heur *H, int64_t lo, int64_t hi)
{
	if (!grow((void **)&H->iv, &H->cap_iv, H->n_iv + 1, sizeof(*H->iv))) {
		H->oom = true;
		return;
	}
	H->iv[H->n_iv++] = (struct ival){ lo, hi };
}

/* The offsets in [0, P) at which a hop of f would meet a placed occupancy, into
 * H->iv (rel, qrel: the flow's times; skip: hops that are not the flow's own).
 * false: no offset at all. */
static bool forbid(struct heur *H, const struct cnc_flow *f, int64_t P, const int64_t *rel, const int64_t *qrel,
		   const bool *skip)
{
	const struct cnc_network *net = H->net;
	for (size_t i = 0; i < f->n_hops; i++) {
		const struct cnc_hop *h = &H->plan->hops[f->first_hop + i];
		if (skip && skip[i])
			continue;
		int64_t L = rel[i] + h->len - qrel[i];
		if (L > P)
			return false;
		if (h->parent >= 0) {
			/* a gated window lies within [m, P - m] of its period (so of the cycle):
			 * split at the boundary, taprio would send in neither part, and a
			 * minimum frame of room each side keeps every gate entry that long */
			int64_t m = cnc_min_entry(net, h->port);
			int64_t lo = mod(P - m - h->len + 1 - rel[i], P), e = lo + 2 * m + h->len - 2;
			if (e - lo + 1 >= P) {
				add_ival(H, 0, P - 1);
			} else if (e < P) {
				add_ival(H, lo, e);
			} else {
				add_ival(H, lo, P - 1);
				add_ival(H, 0, e - P);
			}
		}
		const struct port_occ *po = &H->ports[h->port];
		for (size_t k = 0; k < po->n; k++) {
			const struct occ *b = &po->v[k];
			if (b->flow == H->self || b->flow == H->self2)
				continue;
			int64_t g = cnc_gcd(P, b->period);
			if (L + b->L > g) {
				add_ival(H, 0, P - 1);
				continue;
			}
			int64_t lo = mod(b->q - qrel[i] - L + 1, g), len = L + b->L - 1;
			for (int64_t base = 0; base < P; base += g) {
				int64_t a = lo + base, e = a + len - 1;
				if (e < P) {
					add_ival(H, a, e);
				} else {
					add_ival(H, a, P - 1);
					add_ival(H, 0, e - P);
				}
			}
		}
	}
	return true;
}

/* Least offset in [0, P) free on every hop of f (and of its partner f2, at the
 * same offset: H->rel2, H->shared2); -1 if none. */
static int64_t find_offset(struct heur *H, const struct cnc_flow *f, const struct cnc_flow *f2, int64_t P)
{
	H->n_iv = 0;
	if (!forbid(H, f, P, H->rel, H->qrel, NULL) || (f2 && !forbid(H, f2, P, H->rel2, H->qrel2, H->shared2)))
		return -1;
	if (H->oom)
		return -1;
	qsort(H->iv, H->n_iv, sizeof(*H->iv), cmp_ival);
	int64_t o = 0;
	for (size_t k = 0; k < H->n_iv && H->iv[k].lo <= o; k++)
		if (H->iv[k].hi >= o)
			o = H->iv[k].hi + 1;
	return o < P ? o : -1;
}

/* The longest stretch of time, in every period P, in which the scheduled queue of
 * a port is free of the occupancies placed there (seen modulo each pair's gcd, as
 * find_offset sees them).  -1: out of memory. */
static int64_t longest_free(struct heur *H, int port, int64_t P)
{
	const struct port_occ *po = &H->ports[port];
	H->n_iv = 0;
	for (size_t k = 0; k < po->n; k++) {
		const struct occ *b = &po->v[k];
		if (b->flow == H->self || b->flow == H->self2)
			continue;
		int64_t g = cnc_gcd(P, b->period);
		if (b->L >= g)
			return 0;
		for (int64_t base = 0; base < P; base += g) {
			int64_t a = mod(b->q, g) + base, e = a + b->L;
			if (e <= P) {
				add_ival(H, a, e);
			} else {
				add_ival(H, a, P);
				add_ival(H, 0, e - P);
			}
		}
	}
	if (H->oom)
		return -1;
	if (!H->n_iv)
		return P;
	qsort(H->iv, H->n_iv, sizeof(*H->iv), cmp_ival);
	int64_t best = 0, end = H->iv[0].hi;	/* here [lo, hi) */
	for (size_t k = 1; k < H->n_iv; k++) {
		if (H->iv[k].lo > end && H->iv[k].lo - end > best)
			best = H->iv[k].lo - end;
		if (H->iv[k].hi > end)
			end = H->iv[k].hi;
	}
	if (P - end + H->iv[0].lo > best)	/* the stretch across the period's end */
		best = P - end + H->iv[0].lo;
	return best;
}

/* Why flow f found no offset, in words: a link whose queue never has room for
 * its frame (by how much), else an over-subscribed link, else the busiest. */
static void explain(struct heur *H, const struct cnc_flow *f, int64_t P)
{
	const struct cnc_network *net = H->net;
	const struct cnc_stream *s = &net->streams[f->stream];
	int64_t worst = -1, short_by = 0, short_L = 0, short_G = 0;
	size_t wi = 0, si = SIZE_MAX;
	char lab[64], a[32], b[32], c[32], d[32];
	for (size_t i = 0; i < f->n_hops; i++) {
		const struct cnc_hop *h = &H->plan->hops[f->first_hop + i];
		int64_t L = H->rel[i] + h->len - H->qrel[i];
		/* reserved share of the port, in ppm of time */
		int64_t ppm = L * 1000000 / P;
		const struct port_occ *po = &H->ports[h->port];
		for (size_t k = 0; k < po->n; k++)
			if (po->v[k].flow != H->self && po->v[k].flow != H->self2)
				ppm += po->v[k].L * 1000000 / po->v[k].period;
		if (ppm > worst) {
			worst = ppm;
			wi = i;
		}
		int64_t G = longest_free(H, h->port, P);
		if (G >= 0 && G < L && L - G > short_by) {
			short_by = L - G;
			short_L = L;
			short_G = G;
			si = i;
		}
	}
	if (si != SIZE_MAX) {
		const struct cnc_hop *h = &H->plan->hops[f->first_hop + si];
		cnc_port_label(net, h->port, lab, sizeof(lab));
		snprintf(H->plan->reason, sizeof(H->plan->reason),
			 "stream %s: link %s never has its scheduled queue free for the %s its frame needs there "
			 "(transmission, processing, precision, a minimum frame of room): the longest free stretch "
			 "in every %s is %s, short by %s", s->name, lab, tsn_format_duration((uint64_t)short_L, a, sizeof(a)),
			 tsn_format_duration((uint64_t)P, b, sizeof(b)), tsn_format_duration((uint64_t)short_G, c, sizeof(c)),
			 tsn_format_duration((uint64_t)short_by, d, sizeof(d)));
		return;
	}
	const struct cnc_hop *h = &H->plan->hops[f->first_hop + wi];
	int64_t L = H->rel[wi] + h->len - H->qrel[wi];
	cnc_port_label(net, h->port, lab, sizeof(lab));
	if (worst > 1000000)
		snprintf(H->plan->reason, sizeof(H->plan->reason),
			 "stream %s: link %s is over-subscribed: its scheduled queue would be busy %lld.%04lld%% of "
			 "the time with this stream (its frame holds it %s per %s), over by %s per %s",
			 s->name, lab, (long long)(worst / 10000), (long long)(worst % 10000),
			 tsn_format_duration((uint64_t)L, a, sizeof(a)), tsn_format_duration((uint64_t)P, b, sizeof(b)),
			 tsn_format_duration((uint64_t)((worst - 1000000) * P / 1000000), c, sizeof(c)), b);
	else
		snprintf(H->plan->reason, sizeof(H->plan->reason),
			 "stream %s: every link on its path has room for its frame, but no send offset in its period "
			 "%s finds room on all of them at once (and its windows clear of the cycle's ends); busiest: "
			 "link %s, %lld.%04lld%% reserved with this stream", s->name,
			 tsn_format_duration((uint64_t)P, b, sizeof(b)), lab, (long long)(worst / 10000),
			 (long long)(worst % 10000));
}

struct order_key {
	size_t flow;
	int64_t deadline, period;
	size_t hops;
};

/* The orderings tried: by deadline then longer paths first (the main one), by
 * period, by path length, and by deadline with shorter paths first; the plan with
 * the least objective wins. */
static int cmp_order0(const void *a, const void *b)
{
	const struct order_key *x = a, *y = b;
	if (x->deadline != y->deadline)
		return x->deadline < y->deadline ? -1 : 1;
	if (x->hops != y->hops)
		return x->hops > y->hops ? -1 : 1;
	if (x->period != y->period)
		return x->period < y->period ? -1 : 1;
	return x->flow < y->flow ? -1 : x->flow > y->flow;
}

static int cmp_order1(const void *a, const void *b)
{
	const struct order_key *x = a, *y = b;
	if (x->period != y->period)
		return x->period < y->period ? -1 : 1;
	if (x->hops != y->hops)
		return x->hops > y->hops ? -1 : 1;
	return x->flow < y->flow ? -1 : x->flow > y->flow;
}

static int cmp_order2(const void *a, const void *b)
{
	const struct order_key *x = a, *y = b;
	if (x->hops != y->hops)
		return x->hops > y->hops ? -1 : 1;
	if (x->period != y->period)
		return x->period < y->period ? -1 : 1;
	return x->flow < y->flow ? -1 : x->flow > y->flow;
}

static int cmp_order3(const void *a, const void *b)
{
	const struct order_key *x = a, *y = b;
	if (x->deadline != y->deadline)
		return x->deadline < y->deadline ? -1 : 1;
	if (x->hops != y->hops)
		return x->hops < y->hops ? -1 : 1;
	return x->flow < y->flow ? -1 : x->flow > y->flow;
}

static int (*const orders[])(const void *, const void *) = { cmp_order0, cmp_order1, cmp_order2, cmp_order3 };

static bool place_one(struct heur *H, size_t fi, int64_t o, const int64_t *rel, const int64_t *qrel, const bool *skip)
{
	struct cnc_plan *plan = H->plan;
	const struct cnc_flow *f = &plan->flows[fi];
	int64_t P = H->net->streams[f->stream].period;
	for (size_t i = 0; i < f->n_hops; i++) {
		struct cnc_hop *h = &plan->hops[f->first_hop + i];
		struct port_occ *po = &H->ports[h->port];
		h->start = o + rel[i];
		if (skip && skip[i])
			continue;	/* the partner's frame: its occupancy is there */
		if (!grow((void **)&po->v, &po->cap, po->n + 1, sizeof(*po->v)))
			return false;
		po->v[po->n++] = (struct occ){ o + qrel[i], rel[i] + h->len - qrel[i], P, fi };
	}
	return true;
}

/* Times of flow fi (and of its partner, if any) into H->rel/qrel (rel2/qrel2).
 * The copies of a redundant stream are one frame on the talker's link; at the
 * recovery switch the first copy to arrive leaves, in one window for both: it
 * opens when the later copy can be there, and the queue is held from the
 * earlier copy's arrival. */
static void flow_times(struct heur *H, size_t fi)
{
	const struct cnc_network *net = H->net;
	struct cnc_plan *plan = H->plan;
	const struct cnc_flow *f = &plan->flows[fi];
	size_t pi = H->partner[fi];
	H->self = fi;
	H->self2 = pi;
	nowait_times(net, plan, f, H->rel, H->qrel);
	if (pi == SIZE_MAX)
		return;
	const struct cnc_flow *f2 = &plan->flows[pi];
	nowait_times(net, plan, f2, H->rel2, H->qrel2);
	for (size_t j = 0; j < f2->n_hops; j++) {
		int port = plan->hops[f2->first_hop + j].port;
		H->shared2[j] = false;
		for (size_t i = 0; i < f->n_hops && !H->shared2[j]; i++) {
			if (plan->hops[f->first_hop + i].port != port)
				continue;
			H->shared2[j] = true;
			int64_t r = H->rel[i] > H->rel2[j] ? H->rel[i] : H->rel2[j];
			int64_t q = H->qrel[i] < H->qrel2[j] ? H->qrel[i] : H->qrel2[j];
			H->rel[i] = H->rel2[j] = r;
			H->qrel[i] = H->qrel2[j] = q;
		}
	}
}

static bool place(struct heur *H, size_t fi, int64_t o)
{
	size_t pi = H->partner[fi];
	return place_one(H, fi, o, H->rel, H->qrel, NULL) &&
	       (pi == SIZE_MAX || place_one(H, pi, o, H->rel2, H->qrel2, H->shared2));
}

static void unplace_one(struct heur *H, size_t fi)
{
	const struct cnc_flow *f = &H->plan->flows[fi];
	for (size_t i = 0; i < f->n_hops; i++) {
		struct port_occ *po = &H->ports[H->plan->hops[f->first_hop + i].port];
		for (size_t k = 0; k < po->n; k++)
			if (po->v[k].flow == fi)
				po->v[k--] = po->v[--po->n];
	}
}

static void unplace(struct heur *H, size_t fi)
{
	unplace_one(H, fi);
	if (H->partner[fi] != SIZE_MAX)
		unplace_one(H, H->partner[fi]);
}

static int64_t objective(const struct cnc_network *net, const struct cnc_plan *plan)
{
	int64_t sum = 0;
	for (size_t i = 0; i < plan->n_hops; i++) {
		const struct cnc_hop *h = &plan->hops[i];
		if (!net->nodes[net->ports[net->ports[h->port].peer].node].is_switch)
			sum += h->start + h->len + net->ports[h->port].prop;
	}
	return sum;
}

/* One ordering: place every flow at its least offset; a flow that finds none
 * moves to the front and all start again (max_restarts).  Then, while it helps,
 * each flow (latest offset first) is lifted and placed again at its least offset
 * among all the others: an offset never grows, so this only lowers the objective.
 * Returns 1 placed, 0 not, -1 out of memory. */
static int run_order(struct heur *H, struct order_key *ord, const struct cnc_options *opt, bool explain_fail)
{
	const struct cnc_network *net = H->net;
	struct cnc_plan *plan = H->plan;
	for (unsigned attempt = 0; attempt <= opt->max_restarts; attempt++) {
		size_t failed = SIZE_MAX;
		for (size_t p = 0; p < net->n_ports; p++)
			H->ports[p].n = 0;
		for (size_t k = 0; k < plan->n_flows && failed == SIZE_MAX; k++) {
			size_t fi = ord[k].flow;
			const struct cnc_flow *f = &plan->flows[fi];
			int64_t P = net->streams[f->stream].period;
			if (H->partner[fi] != SIZE_MAX && f->copy)
				continue;	/* placed with its first copy */
			flow_times(H, fi);
			int64_t o = find_offset(H, f, H->partner[fi] == SIZE_MAX ? NULL : &plan->flows[H->partner[fi]], P);
			if (H->oom)
				return -1;
			if (o < 0) {
				failed = k;
				if (explain_fail && attempt == opt->max_restarts)
					explain(H, f, P);
				break;
			}
			if (!place(H, fi, o))
				return -1;
		}
		if (failed == SIZE_MAX)
			break;
		if (attempt == opt->max_restarts)
			return 0;
		struct order_key k = ord[failed];
		memmove(ord + 1, ord, failed * sizeof(*ord));
		ord[0] = k;
	}
	for (unsigned pass = 0; pass < 2; pass++) {
		bool better = false;
		for (size_t k = plan->n_flows; k-- > 0;) {
			size_t fi = ord[k].flow;
			const struct cnc_flow *f = &plan->flows[fi];
			int64_t P = net->streams[f->stream].period, old = plan->hops[f->first_hop].start;
			if (!old || (H->partner[fi] != SIZE_MAX && f->copy))
				continue;
			flow_times(H, fi);
			int64_t o = find_offset(H, f, H->partner[fi] == SIZE_MAX ? NULL : &plan->flows[H->partner[fi]], P);
			if (H->oom)
				return -1;
			if (o < 0 || o >= old)
				continue;
			unplace(H, fi);
			if (!place(H, fi, o))
				return -1;
			better = true;
		}
		if (!better)
			break;
	}
	return 1;
}

static bool heuristic(const struct cnc_network *net, struct cnc_plan *plan, const struct cnc_options *opt)
{
	struct heur H = { .net = net, .plan = plan };
	size_t max_hops = 1;
	for (size_t i = 0; i < plan->n_flows; i++)
		if (plan->flows[i].n_hops > max_hops)
			max_hops = plan->flows[i].n_hops;
	struct order_key *ord = calloc(plan->n_flows + 1, sizeof(*ord));
	int64_t *best = calloc(plan->n_hops + 1, sizeof(int64_t)), best_obj = INT64_MAX;
	H.ports = calloc(net->n_ports, sizeof(*H.ports));
	H.rel = calloc(max_hops, sizeof(int64_t));
	H.qrel = calloc(max_hops, sizeof(int64_t));
	H.rel2 = calloc(max_hops, sizeof(int64_t));
	H.qrel2 = calloc(max_hops, sizeof(int64_t));
	H.shared2 = calloc(max_hops, sizeof(bool));
	H.partner = malloc((plan->n_flows + 1) * sizeof(size_t));
	H.self2 = SIZE_MAX;
	bool ok = false;
	if (!ord || !best || !H.ports || !H.rel || !H.qrel || !H.rel2 || !H.qrel2 || !H.shared2 || !H.partner) {
		snprintf(plan->reason, sizeof(plan->reason), "out of memory");
		goto out;
	}
	/* a redundant stream's copies: one frame from the talker (FRER in the switches) */
	for (size_t i = 0; i < plan->n_flows; i++) {	/* cnc_route puts them side by side */
		H.partner[i] = SIZE_MAX;
		if (!net->streams[plan->flows[i].stream].redundant)
			continue;
		if (i > 0 && plan->flows[i - 1].stream == plan->flows[i].stream)
			H.partner[i] = i - 1;
		else if (i + 1 < plan->n_flows && plan->flows[i + 1].stream == plan->flows[i].stream)
			H.partner[i] = i + 1;
	}
	/* the fixed orderings, then (small networks: the work grows with the square
	 * of the flows) shuffles of the first, seeded, so a plan is reproducible */
	size_t n_orders = sizeof(orders) / sizeof(orders[0]);
	size_t tries = n_orders + (plan->n_flows <= 200 ? 32 : 0);
	uint64_t seed = 0x5eed;
	for (size_t o = 0; o < tries; o++) {
		for (size_t i = 0; i < plan->n_flows; i++) {
			const struct cnc_stream *s = &net->streams[plan->flows[i].stream];
			ord[i] = (struct order_key){ i, s->deadline, s->period, plan->flows[i].n_hops };
		}
		qsort(ord, plan->n_flows, sizeof(*ord), orders[o < n_orders ? o : 0]);
		for (size_t i = plan->n_flows; o >= n_orders && i > 1; i--) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			size_t j = (size_t)((seed >> 33) % i);
			struct order_key t = ord[i - 1];
			ord[i - 1] = ord[j];
			ord[j] = t;
		}
		int rc = run_order(&H, ord, opt, o == 0 && best_obj == INT64_MAX);
		if (rc < 0) {
			snprintf(plan->reason, sizeof(plan->reason), "out of memory");
			ok = false;
			goto out;
		}
		if (rc == 0)
			continue;
		int64_t obj = objective(net, plan);
		if (obj < best_obj) {
			best_obj = obj;
			for (size_t i = 0; i < plan->n_hops; i++)
				best[i] = plan->hops[i].start;
		}
		ok = true;
	}
	if (ok)
		for (size_t i = 0; i < plan->n_hops; i++)
			plan->hops[i].start = best[i];
out:
	if (H.ports)
		for (size_t p = 0; p < net->n_ports; p++)
			free(H.ports[p].v);
	free(H.ports);
	free(H.iv);
	free(H.rel);
	free(H.qrel);
	free(H.rel2);
	free(H.qrel2);
	free(H.shared2);
	free(H.partner);
	free(ord);
	free(best);
	return ok;
}

/* ---- gate lists ---- */
struct seg {
	int64_t a, b;	/* [a, b) */
	uint8_t kind;	/* 1 TT window, 2 guard */
};

static int cmp_seg(const void *x, const void *y)
{
	const struct seg *p = x, *q = y;
	return p->a < q->a ? -1 : p->a > q->a;
}

static bool push_seg(struct seg **v, size_t *n, size_t *cap, int64_t a, int64_t b, uint8_t kind)
{
	if (a >= b)
		return true;
	if (!grow((void **)v, cap, *n + 1, sizeof(**v)))
		return false;
	(*v)[(*n)++] = (struct seg){ a, b, kind };
	return true;
}

static bool add_entry(struct cnc_plan *plan, size_t *cap, uint8_t gates, int64_t interval, size_t first)
{
	if (plan->n_entries > first && plan->entries[plan->n_entries - 1].gates == gates) {
		plan->entries[plan->n_entries - 1].interval += interval;
		return true;
	}
	if (!grow((void **)&plan->entries, cap, plan->n_entries + 1, sizeof(*plan->entries)))
		return false;
	plan->entries[plan->n_entries++] = (struct cnc_gate_entry){ gates, interval };
	return true;
}

/* No entry may be shorter than a minimum frame (tsnd refuses such a schedule).
 * Windows are never that short and the planner keeps one minimum frame between
 * windows, so only best-effort and guard entries can be: a short best-effort
 * entry closes, a short closed entry takes the rest from best effort beside it.
 * Both only close best effort, which is always safe. */
static void fix_short(struct cnc_plan *plan, size_t first, int64_t min)
{
	struct cnc_gate_entry *e = plan->entries + first;
	size_t n = plan->n_entries - first;
	bool again = true;
	while (again) {
		again = false;
		for (size_t i = 0; i < n; i++) {
			if (e[i].interval >= min || e[i].gates == (1u << CNC_TC_TT))
				continue;
			if (e[i].gates) {
				e[i].gates = 0;
			} else {
				size_t j = i > 0 && e[i - 1].gates == (1u << CNC_TC_BE) ? i - 1
					   : i + 1 < n && e[i + 1].gates == (1u << CNC_TC_BE) ? i + 1 : n;
				if (j == n)
					continue;
				int64_t take = min - e[i].interval;
				if (e[j].interval - take < min) {
					e[j].gates = 0;
				} else {
					e[j].interval -= take;
					e[i].interval += take;
				}
			}
			again = true;
		}
		size_t m = 0;	/* merge equal neighbours */
		for (size_t i = 0; i < n; i++) {
			if (m && e[m - 1].gates == e[i].gates)
				e[m - 1].interval += e[i].interval;
			else
				e[m++] = e[i];
		}
		n = m;
	}
	plan->n_entries = first + n;
}

/* The port's windows (all instances in the cycle), merged; guard bands before each
 * run of windows; the rest best effort. */
static bool build_gcl(const struct cnc_network *net, struct cnc_plan *plan, int port, size_t *cap,
		      struct seg **wv, size_t *wcap)
{
	int64_t C = plan->cycle;
	size_t n = 0;
	for (size_t fi = 0; fi < plan->n_flows; fi++) {
		const struct cnc_flow *f = &plan->flows[fi];
		int64_t P = net->streams[f->stream].period;
		for (size_t i = 0; i < f->n_hops; i++) {
			const struct cnc_hop *h = &plan->hops[f->first_hop + i];
			if (h->port != port)
				continue;
			for (int64_t k = 0; k < C; k += P) {
				int64_t a = mod(h->start + k, C), b = a + h->len;
				if (!push_seg(wv, &n, wcap, a, b < C ? b : C, 1) || (b > C && !push_seg(wv, &n, wcap, 0, b - C, 1)))
					return false;
			}
		}
	}
	plan->gcl_first[port] = plan->n_entries;
	plan->gcl_n[port] = 0;
	if (!n)
		return true;
	qsort(*wv, n, sizeof(**wv), cmp_seg);
	size_t m = 0;	/* merge touching or overlapping windows */
	for (size_t i = 0; i < n; i++) {
		if (m && (*wv)[i].a <= (*wv)[m - 1].b) {
			if ((*wv)[i].b > (*wv)[m - 1].b)
				(*wv)[m - 1].b = (*wv)[i].b;
		} else {
			(*wv)[m++] = (*wv)[i];
		}
	}
	int64_t gb = cnc_tx_time(net->be_frame, net->ports[port].speed);
	size_t total = m;
	for (size_t i = 0; i < m; i++) {
		int64_t prev_end = i ? (*wv)[i - 1].b : (*wv)[m - 1].b - C;
		int64_t w = (*wv)[i].a, gs = w - gb > prev_end ? w - gb : prev_end;
		if (gs >= 0) {
			if (!push_seg(wv, &total, wcap, gs, w, 2))
				return false;
		} else {
			if (!push_seg(wv, &total, wcap, gs + C, C, 2) || !push_seg(wv, &total, wcap, 0, w, 2))
				return false;
		}
	}
	qsort(*wv, total, sizeof(**wv), cmp_seg);
	int64_t t = 0;
	size_t first = plan->n_entries;
	const uint8_t tt = 1u << CNC_TC_TT, be = 1u << CNC_TC_BE;
	for (size_t i = 0; i < total; i++) {
		const struct seg *s = &(*wv)[i];
		if (s->a > t && !add_entry(plan, cap, be, s->a - t, first))
			return false;
		if (!add_entry(plan, cap, s->kind == 1 ? tt : 0, s->b - s->a, first))
			return false;
		t = s->b;
	}
	if (t < C && !add_entry(plan, cap, be, C - t, first))
		return false;
	fix_short(plan, first, cnc_min_entry(net, port));
	plan->gcl_n[port] = plan->n_entries - first;
	return true;
}

bool cnc_plan_finish(const struct cnc_network *net, struct cnc_plan *plan)
{
	size_t cap = plan->n_entries;
	struct seg *wv = NULL;
	size_t wcap = 0;
	char lab[64], a[32], b[32], c[32];
	bool ok = true;

	plan->n_entries = 0;
	for (size_t p = 0; p < net->n_ports && ok; p++) {
		if (!net->nodes[net->ports[p].node].is_switch) {
			plan->gcl_first[p] = plan->n_entries;
			plan->gcl_n[p] = 0;
			continue;
		}
		if (!build_gcl(net, plan, (int)p, &cap, &wv, &wcap)) {
			snprintf(plan->reason, sizeof(plan->reason), "out of memory");
			plan->feasible = ok = false;
		}
	}
	free(wv);
	if (!ok)
		return false;
	plan->objective = 0;
	for (size_t s = 0; s < net->n_streams; s++)
		plan->latency[s] = 0;
	for (size_t fi = 0; fi < plan->n_flows; fi++) {
		const struct cnc_flow *f = &plan->flows[fi];
		int64_t lat = cnc_flow_latency(net, plan, f);
		if (lat > plan->latency[f->stream])
			plan->latency[f->stream] = lat;
		for (size_t i = 0; i < f->n_hops; i++) {
			const struct cnc_hop *h = &plan->hops[f->first_hop + i];
			if (!net->nodes[net->ports[net->ports[h->port].peer].node].is_switch)
				plan->objective += h->start + h->len + net->ports[h->port].prop;
		}
	}
	if (!plan->feasible)
		return true;
	/* what the windows cost best effort, and taprio's limit */
	for (size_t p = 0; p < net->n_ports; p++) {
		int64_t open = 0;
		for (size_t e = plan->gcl_first[p]; e < plan->gcl_first[p] + plan->gcl_n[p]; e++)
			if (plan->entries[e].gates & (1u << CNC_TC_BE))
				open += plan->entries[e].interval;
		if (!plan->gcl_n[p])
			continue;
		cnc_port_label(net, (int)p, lab, sizeof(lab));
		if (plan->gcl_n[p] > CNC_MAX_GATE_ENTRIES) {
			snprintf(plan->reason, sizeof(plan->reason),
				 "link %s needs %zu gate entries in the %s cycle; taprio takes at most %d (fewer streams "
				 "or periods with a shorter hyperperiod)", lab, plan->gcl_n[p],
				 tsn_format_duration((uint64_t)plan->cycle, a, sizeof(a)), CNC_MAX_GATE_ENTRIES);
			plan->feasible = false;
			return true;
		}
		int64_t need = plan->cycle / 100 * net->be_share + plan->cycle % 100 * net->be_share / 100;
		if (open < need) {
			snprintf(plan->reason, sizeof(plan->reason),
				 "link %s keeps best effort open %s of the %s cycle, under planner.best-effort-share "
				 "%u%% by %s (windows and their guard bands take the rest)", lab,
				 tsn_format_duration((uint64_t)open, a, sizeof(a)),
				 tsn_format_duration((uint64_t)plan->cycle, b, sizeof(b)), net->be_share,
				 tsn_format_duration((uint64_t)(need - open), c, sizeof(c)));
			plan->feasible = false;
			return true;
		}
	}
	return true;
}

struct cnc_plan *cnc_plan(const struct cnc_network *net, const struct cnc_options *opt)
{
	struct cnc_plan *plan = calloc(1, sizeof(*plan));
	if (!plan)
		return NULL;
	plan->cycle = net->cycle;
	plan->gcl_first = calloc(net->n_ports + 1, sizeof(size_t));
	plan->gcl_n = calloc(net->n_ports + 1, sizeof(size_t));
	plan->latency = calloc(net->n_streams + 1, sizeof(int64_t));
	if (!plan->gcl_first || !plan->gcl_n || !plan->latency) {
		cnc_plan_free(plan);
		return NULL;
	}
	if (!cnc_route(net, plan))
		return plan;
	/* a deadline below the path's own latency can never be met: say so first */
	for (size_t fi = 0; fi < plan->n_flows; fi++) {
		const struct cnc_flow *f = &plan->flows[fi];
		const struct cnc_stream *s = &net->streams[f->stream];
		int64_t *rel = calloc(f->n_hops, sizeof(int64_t)), *qrel = calloc(f->n_hops, sizeof(int64_t));
		if (!rel || !qrel) {
			free(rel);
			free(qrel);
			snprintf(plan->reason, sizeof(plan->reason), "out of memory");
			return plan;
		}
		nowait_times(net, plan, f, rel, qrel);
		for (size_t i = 0; i < f->n_hops; i++)
			plan->hops[f->first_hop + i].start = rel[i];
		free(rel);
		free(qrel);
		int64_t lat = cnc_flow_latency(net, plan, f);
		if (lat > s->deadline) {
			char a[32], b[32], c[32];
			snprintf(plan->reason, sizeof(plan->reason),
				 "%s:%u:%u: streams[%zu].max-latency: %s is shorter than the %s its frame needs on its "
				 "%s path of %zu hops (transmission, propagation, processing, precision) by %s",
				 net->file, s->at_deadline.line, s->at_deadline.col, (size_t)f->stream,
				 tsn_format_duration((uint64_t)s->deadline, a, sizeof(a)),
				 tsn_format_duration((uint64_t)lat, b, sizeof(b)), f->copy ? "second" : "shortest",
				 f->n_hops, tsn_format_duration((uint64_t)(lat - s->deadline), c, sizeof(c)));
			return plan;
		}
		/* The recovery switch holds its queue for the copy that comes first until
		 * the window after the later one: that must fit in a period */
		const struct cnc_flow *g = fi ? &plan->flows[fi - 1] : NULL;
		if (f->copy != 1 || !g || g->stream != f->stream || g->n_hops < 2 || f->n_hops < 2)
			continue;
		const struct cnc_hop *x = &plan->hops[g->first_hop + g->n_hops - 1],
				     *y = &plan->hops[f->first_hop + f->n_hops - 1];
		if (x->port != y->port || x->parent < 0)
			continue;
		int64_t skew = x->start > y->start ? x->start - y->start : y->start - x->start;
		int node = net->ports[x->port].node;
		int64_t hold = skew + net->nodes[node].proc + 2 * net->precision + cnc_min_entry(net, x->port) + x->len;
		if (hold > s->period) {
			char a[32], b[32], c[32];
			if (snprintf(plan->reason, sizeof(plan->reason),
				     "%s:%u:%u: streams[%zu].redundant: stream %s: its two paths reach %s %s apart; the "
				     "first copy would wait there %s for the later one's window, over its period %s "
				     "(shorten the longer path, or a longer period)", net->file, s->at.line, s->at.col,
				     (size_t)f->stream, s->name, net->nodes[node].name,
				     tsn_format_duration((uint64_t)skew, a, sizeof(a)),
				     tsn_format_duration((uint64_t)hold, b, sizeof(b)),
				     tsn_format_duration((uint64_t)s->period, c, sizeof(c))) >= (int)sizeof(plan->reason))
				plan->reason[sizeof(plan->reason) - 2] = '.';
			return plan;
		}
	}
	bool placed;
	for (size_t i = 0; opt->exact && i < net->n_streams; i++)
		if (net->streams[i].redundant) {
			/* exact.c places each copy on its own; FRER needs one frame from the talker */
			snprintf(plan->reason, sizeof(plan->reason),
				 "%s:%u:%u: streams[%zu].redundant: the exact mode does not plan redundant streams "
				 "(FRER: both copies share the talker's frame); plan without --exact",
				 net->file, net->streams[i].at.line, net->streams[i].at.col, i);
			return plan;
		}
	if (opt->exact) {
		int rc = cnc_exact(net, plan, opt);
		placed = rc == 1;
	} else {
		placed = heuristic(net, plan, opt);
	}
	plan->feasible = placed;
	if (!cnc_plan_finish(net, plan)) {
		plan->feasible = false;
		return plan;
	}
	return plan;
}

void cnc_plan_free(struct cnc_plan *plan)
{
	if (!plan)
		return;
	free(plan->flows);
	free(plan->hops);
	free(plan->gcl_first);
	free(plan->gcl_n);
	free(plan->entries);
	free(plan->latency);
	free(plan);
}
