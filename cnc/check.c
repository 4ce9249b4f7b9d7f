/* SPDX-License-Identifier: GPL-2.0-only */
/* check.c — the independent checker of a plan.
 *
 * It shares no code with the planner beyond the model: from the network and the
 * plan's windows and gate lists alone it re-derives every constraint, and where
 * the planner reasons about periodic intervals with gcd arithmetic, it unrolls
 * every instance over the cycle and sorts them, so a mistake in one method shows
 * up as a disagreement with the other. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnc.h"

static const char *const names[CNC_V_COUNT] = {
	[CNC_V_ROUTE] = "route",	   [CNC_V_WINDOW_LEN] = "window-length", [CNC_V_PRECEDENCE] = "precedence",
	[CNC_V_OVERLAP] = "overlap",	   [CNC_V_DEADLINE] = "deadline",	 [CNC_V_GATES] = "gates",
	[CNC_V_GUARD] = "guard-band",	   [CNC_V_BE_SHARE] = "best-effort-share", [CNC_V_CYCLE] = "cycle",
	[CNC_V_OFFSET] = "offset",	   [CNC_V_DISJOINT] = "disjoint",	 [CNC_V_BOUND] = "bound",
	[CNC_V_FRER] = "frer",
};

const char *cnc_violation_name(enum cnc_violation v)
{
	return v < CNC_V_COUNT ? names[v] : "?";
}

__attribute__((format(printf, 3, 4)))
static void bad(struct cnc_check *c, enum cnc_violation v, const char *fmt, ...)
{
	if (!c->count[v]++) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->first[v], sizeof(c->first[v]), fmt, ap);
		va_end(ap);
	}
	c->total++;
}

static const char *plabel(const struct cnc_network *net, int p, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s", net->nodes[net->ports[p].node].name, net->ports[p].name);
	return buf;
}

static int64_t tx_ns(uint32_t bytes, uint32_t mbit)
{
	/* bits on the wire (preamble, SFD and gap included) over the rate, rounded up */
	uint64_t bits = (uint64_t)(bytes + 20u) * 8u;
	return (int64_t)((bits * 1000u + mbit - 1u) / mbit);
}

/* The frame on the link port p sends on: a redundant stream's frames carry the
 * R-TAG (6 bytes) from the generator (the talker's switch) to the recovery (the
 * listener's switch), that is on every link between two switches. */
static uint32_t wire_frame(const struct cnc_network *net, const struct cnc_stream *s, int p)
{
	int q = net->ports[p].peer;
	bool between = q >= 0 && net->nodes[net->ports[p].node].is_switch && net->nodes[net->ports[q].node].is_switch;
	return s->frame + (s->redundant && between ? 6u : 0u);
}

/* The other copy's hop that is the same frame as hop i of flow fi: a redundant
 * stream's copies share the talker's frame and the recovery switch's one
 * window to the listener (same port, same window).  NULL: none. */
static const struct cnc_hop *twin(const struct cnc_plan *plan, size_t fi, size_t i, size_t *tf)
{
	const struct cnc_flow *f = &plan->flows[fi];
	const struct cnc_hop *h = &plan->hops[f->first_hop + i];
	for (size_t k = fi ? fi - 1 : 0; k <= fi + 1 && k < plan->n_flows; k++) {
		const struct cnc_flow *g = &plan->flows[k];
		if (k == fi || g->stream != f->stream || g->first_hop + g->n_hops > plan->n_hops)
			continue;
		for (size_t j = 0; j < g->n_hops; j++) {
			const struct cnc_hop *o = &plan->hops[g->first_hop + j];
			if (o->port == h->port && o->start == h->start && o->len == h->len) {
				*tf = k;
				return o;
			}
		}
	}
	return NULL;
}

static int64_t lcm_capped(int64_t a, int64_t b, int64_t cap)
{
	int64_t x = a, y = b;
	while (y) {
		int64_t t = x % y;
		x = y;
		y = t;
	}
	if (a / x > cap / b)
		return -1;
	return a / x * b;
}

struct span {
	int64_t a, b;
	int flow;
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

/* gate state at every point of [a, b) (cyclic in C) satisfies want/forbid */
static bool gates_hold(const struct cnc_gate_entry *e, size_t n, const int64_t *starts, int64_t C, int64_t a,
		       int64_t b, uint8_t want, uint8_t forbid)
{
	while (a < b) {
		int64_t x = md(a, C);
		size_t lo = 0, hi = n;	/* the entry that holds x */
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;
			if (starts[mid] <= x)
				lo = mid;
			else
				hi = mid;
		}
		if ((e[lo].gates & want) != want || (e[lo].gates & forbid))
			return false;
		a += starts[lo] + e[lo].interval - x;
	}
	return true;
}

bool cnc_check(const struct cnc_network *net, const struct cnc_plan *plan, struct cnc_check *c)
{
	memset(c, 0, sizeof(*c));
	char l1[64], l2[64];
	int64_t C = 1;
	for (size_t s = 0; s < net->n_streams; s++) {
		C = lcm_capped(C, net->streams[s].period, net->cycle_limit);
		if (C < 0)
			break;
	}
	if (C < 0 || C != plan->cycle) {
		bad(c, CNC_V_CYCLE, "the cycle is %lld ns; the hyperperiod of the periods is %lld ns", (long long)plan->cycle,
		    (long long)C);
		return false;	/* everything below is measured in the cycle */
	}
	/* every stream has its flows */
	for (size_t s = 0; s < net->n_streams; s++) {
		unsigned copies = 0;
		for (size_t fi = 0; fi < plan->n_flows; fi++)
			copies += plan->flows[fi].stream == (int)s;
		if (copies != (net->streams[s].redundant ? 2u : 1u))
			bad(c, CNC_V_ROUTE, "stream %s has %u paths planned", net->streams[s].name, copies);
	}
	/* per flow: route, windows, precedence, deadline */
	for (size_t fi = 0; fi < plan->n_flows; fi++) {
		const struct cnc_flow *f = &plan->flows[fi];
		if (f->stream < 0 || (size_t)f->stream >= net->n_streams || !f->n_hops ||
		    f->first_hop + f->n_hops > plan->n_hops) {
			bad(c, CNC_V_ROUTE, "flow %zu is malformed", fi);
			continue;
		}
		const struct cnc_stream *s = &net->streams[f->stream];
		const struct cnc_hop *h0 = &plan->hops[f->first_hop];
		int64_t offset = h0->start;
		if (offset < 0 || offset >= s->period)
			bad(c, CNC_V_OFFSET, "stream %s is sent at %lld ns, outside its period", s->name, (long long)offset);
		int64_t worst = 0;
		for (size_t i = 0; i < f->n_hops; i++) {
			const struct cnc_hop *h = &plan->hops[f->first_hop + i];
			if (h->port < 0 || (size_t)h->port >= net->n_ports || net->ports[h->port].peer < 0) {
				bad(c, CNC_V_ROUTE, "stream %s: hop %zu leaves by no linked port", s->name, i);
				worst = -1;
				break;
			}
			const struct cnc_port *pt = &net->ports[h->port];
			int node = pt->node;
			if (h->parent < 0) {
				if (node != s->talker || i)
					bad(c, CNC_V_ROUTE, "stream %s: hop %zu starts at %s, not at the talker", s->name, i,
					    net->nodes[node].name);
			} else {
				const struct cnc_hop *ph = h->parent < (int)i ? &plan->hops[f->first_hop + (size_t)h->parent]
									     : NULL;
				if (!ph || net->ports[net->ports[ph->port].peer].node != node || !net->nodes[node].is_switch) {
					bad(c, CNC_V_ROUTE, "stream %s: hop %zu (%s) does not continue its parent", s->name,
					    i, plabel(net, h->port, l1, sizeof(l1)));
					continue;
				}
				int64_t ready = ph->start + ph->len + net->ports[ph->port].prop + net->nodes[node].proc +
						net->precision;
				if (h->start < ready)
					bad(c, CNC_V_PRECEDENCE,
					    "stream %s: the window on %s opens at %lld ns, before the frame is there "
					    "(%lld ns)", s->name, plabel(net, h->port, l1, sizeof(l1)), (long long)h->start,
					    (long long)ready);
			}
			if (h->len < tx_ns(wire_frame(net, s, h->port), pt->speed))
				bad(c, CNC_V_WINDOW_LEN, "stream %s: the window on %s lasts %lld ns; the frame needs %lld ns",
				    s->name, plabel(net, h->port, l1, sizeof(l1)), (long long)h->len,
				    (long long)tx_ns(wire_frame(net, s, h->port), pt->speed));
			int peer_node = net->ports[pt->peer].node;
			if (!net->nodes[peer_node].is_switch) {
				int64_t d = h->start + h->len + pt->prop - offset;
				if (d > worst)
					worst = d;
			}
		}
		if (worst < 0)
			continue;
		for (size_t l = 0; l < s->n_listeners; l++) {
			bool reached = false;
			for (size_t i = 0; i < f->n_hops && !reached; i++) {
				int p = plan->hops[f->first_hop + i].port;
				reached = net->ports[net->ports[p].peer].node == s->listeners[l];
			}
			if (!reached)
				bad(c, CNC_V_ROUTE, "stream %s does not reach listener %s", s->name,
				    net->nodes[s->listeners[l]].name);
		}
		if (worst > s->deadline)
			bad(c, CNC_V_DEADLINE, "stream %s: the last listener gets the frame %lld ns after it was sent; "
			    "max-latency is %lld ns", s->name, (long long)worst, (long long)s->deadline);
		if (plan->latency && plan->latency[f->stream] < worst)
			bad(c, CNC_V_BOUND, "stream %s: stated bound %lld ns, the windows give %lld ns", s->name,
			    (long long)plan->latency[f->stream], (long long)worst);
	}
	/* redundant copies (FRER in the switches): one frame from the talker, split at
	 * its switch; one frame to the listener, in one window of the recovery switch */
	for (size_t fi = 0; fi + 1 < plan->n_flows; fi++) {
		const struct cnc_flow *a = &plan->flows[fi], *b = &plan->flows[fi + 1];
		if (a->stream != b->stream || (size_t)a->stream >= net->n_streams || !a->n_hops || !b->n_hops ||
		    a->first_hop + a->n_hops > plan->n_hops || b->first_hop + b->n_hops > plan->n_hops)
			continue;
		const char *name = net->streams[a->stream].name;
		if (plan->hops[a->first_hop].start != plan->hops[b->first_hop].start)
			bad(c, CNC_V_FRER, "stream %s: its copies are sent at %lld and %lld ns; the talker sends one frame",
			    name, (long long)plan->hops[a->first_hop].start, (long long)plan->hops[b->first_hop].start);
		for (size_t i = 0; i < a->n_hops; i++)
			for (size_t j = 0; j < b->n_hops; j++) {
				const struct cnc_hop *x = &plan->hops[a->first_hop + i], *y = &plan->hops[b->first_hop + j];
				if (x->port == y->port && (x->start != y->start || x->len != y->len))
					bad(c, CNC_V_FRER, "stream %s: its copies leave %s in two windows (%lld and %lld ns); "
					    "the recovery switch sends one", name, plabel(net, x->port, l1, sizeof(l1)),
					    (long long)x->start, (long long)y->start);
			}
	}
	/* redundant copies: no common link between switches */
	for (size_t fi = 0; fi < plan->n_flows; fi++)
		for (size_t fj = fi + 1; fj < plan->n_flows; fj++) {
			const struct cnc_flow *a = &plan->flows[fi], *b = &plan->flows[fj];
			if (a->stream != b->stream)
				continue;
			for (size_t i = 0; i < a->n_hops; i++)
				for (size_t j = 0; j < b->n_hops; j++) {
					int p = plan->hops[a->first_hop + i].port, q = plan->hops[b->first_hop + j].port;
					if (!net->nodes[net->ports[p].node].is_switch ||
					    !net->nodes[net->ports[net->ports[p].peer].node].is_switch)
						continue;
					if (p == q || p == net->ports[q].peer)
						bad(c, CNC_V_DISJOINT, "stream %s: both paths use the link %s", net->streams[a->stream].name,
						    plabel(net, p, l1, sizeof(l1)));
				}
		}
	/* per port: occupancies of the scheduled queue, gate list */
	size_t cap = 0;
	struct span *sp = NULL;
	for (size_t p = 0; p < net->n_ports; p++) {
		size_t n = 0;
		for (size_t fi = 0; fi < plan->n_flows; fi++) {
			const struct cnc_flow *f = &plan->flows[fi];
			if ((size_t)f->stream >= net->n_streams || f->first_hop + f->n_hops > plan->n_hops)
				continue;
			int64_t P = net->streams[f->stream].period;
			for (size_t i = 0; i < f->n_hops; i++) {
				const struct cnc_hop *h = &plan->hops[f->first_hop + i];
				if (h->port != (int)p)
					continue;
				int64_t q = h->start;
				if (h->parent >= 0 && h->parent < (int)i) {
					const struct cnc_hop *ph = &plan->hops[f->first_hop + (size_t)h->parent];
					q = ph->start + ph->len + net->ports[ph->port].prop - net->precision;
				}
				/* one frame for both copies: the first flow holds the queue from
				 * the earlier of the two arrivals */
				size_t tf;
				const struct cnc_hop *tw = twin(plan, fi, i, &tf);
				if (tw && tf < fi)
					continue;
				if (tw && tw->parent >= 0) {
					const struct cnc_flow *g = &plan->flows[tf];
					if ((size_t)tw->parent < g->n_hops) {
						const struct cnc_hop *ph = &plan->hops[g->first_hop + (size_t)tw->parent];
						int64_t q2 = ph->start + ph->len + net->ports[ph->port].prop - net->precision;
						if (q2 < q)
							q = q2;
					}
				}
				int64_t e = h->start + h->len;
				if (e - q > C) {
					bad(c, CNC_V_OVERLAP, "stream %s holds %s longer than the cycle",
					    net->streams[f->stream].name, plabel(net, (int)p, l1, sizeof(l1)));
					continue;
				}
				for (int64_t k = 0; k < C; k += P) {
					if (n + 2 > cap) {
						size_t nc = cap ? cap * 2 : 1024;
						struct span *ns = realloc(sp, nc * sizeof(*ns));
						if (!ns) {
							free(sp);
							bad(c, CNC_V_OVERLAP, "out of memory");
							return false;
						}
						sp = ns;
						cap = nc;
					}
					int64_t a = md(q + k, C), b = a + (e - q);
					sp[n++] = (struct span){ a, b < C ? b : C, (int)fi };
					if (b > C)
						sp[n++] = (struct span){ 0, b - C, (int)fi };
				}
			}
		}
		if (!n) {
			if (plan->gcl_n && plan->gcl_n[p])
				bad(c, CNC_V_GATES, "%s has a gate list but no window", plabel(net, (int)p, l1, sizeof(l1)));
			continue;
		}
		qsort(sp, n, sizeof(*sp), cmp_span);
		for (size_t i = 1; i < n; i++)
			if (sp[i].a < sp[i - 1].b)
				bad(c, CNC_V_OVERLAP, "%s: streams %s and %s are in its scheduled queue at once (at %lld ns)",
				    plabel(net, (int)p, l1, sizeof(l1)), net->streams[plan->flows[sp[i - 1].flow].stream].name,
				    net->streams[plan->flows[sp[i].flow].stream].name, (long long)sp[i].a);
		if (!net->nodes[net->ports[p].node].is_switch)
			continue;	/* a station sends at its offsets; it has no gate list */
		size_t ne = plan->gcl_n ? plan->gcl_n[p] : 0, first = ne ? plan->gcl_first[p] : 0;
		if (!ne || first + ne > plan->n_entries) {
			bad(c, CNC_V_GATES, "%s carries windows but has no gate list", plabel(net, (int)p, l1, sizeof(l1)));
			continue;
		}
		const struct cnc_gate_entry *e = &plan->entries[first];
		int64_t *starts = malloc(ne * sizeof(int64_t)), sum = 0, be = 0;
		if (!starts) {
			free(sp);
			bad(c, CNC_V_GATES, "out of memory");
			return false;
		}
		bool bad_entry = false;
		int64_t min_entry = tx_ns(64, net->ports[p].speed);
		for (size_t i = 0; i < ne; i++) {
			starts[i] = sum;
			if (e[i].interval <= 0)
				bad_entry = true;
			else if (e[i].interval < min_entry)
				bad(c, CNC_V_GATES, "%s: gate entry %zu lasts %lld ns, less than a minimum frame (%lld ns)",
				    plabel(net, (int)p, l1, sizeof(l1)), i, (long long)e[i].interval, (long long)min_entry);
			sum += e[i].interval;
			if (e[i].gates & (1u << CNC_TC_BE))
				be += e[i].interval;
		}
		if (sum != C || bad_entry) {
			bad(c, CNC_V_CYCLE, "%s: the gate list lasts %lld ns; the cycle is %lld ns",
			    plabel(net, (int)p, l1, sizeof(l1)), (long long)sum, (long long)C);
			free(starts);
			continue;
		}
		if (be * 100 < C * (int64_t)net->be_share)
			bad(c, CNC_V_BE_SHARE, "%s keeps best effort open %lld ns of %lld ns, under %u%%",
			    plabel(net, (int)p, l1, sizeof(l1)), (long long)be, (long long)C, net->be_share);
		int64_t gb = tx_ns(net->be_frame, net->ports[p].speed);
		for (size_t fi = 0; fi < plan->n_flows; fi++) {
			const struct cnc_flow *f = &plan->flows[fi];
			if ((size_t)f->stream >= net->n_streams || f->first_hop + f->n_hops > plan->n_hops)
				continue;
			int64_t P = net->streams[f->stream].period;
			for (size_t i = 0; i < f->n_hops; i++) {
				const struct cnc_hop *h = &plan->hops[f->first_hop + i];
				if (h->port != (int)p || h->len <= 0)
					continue;
				for (int64_t k = 0; k < C; k += P) {
					int64_t a = md(h->start + k, C);
					if (a + h->len > C)
						bad(c, CNC_V_GATES, "%s: stream %s's window at %lld ns crosses the cycle's end",
						    plabel(net, (int)p, l2, sizeof(l2)), net->streams[f->stream].name, (long long)a);
					if (!gates_hold(e, ne, starts, C, a, a + h->len, 1u << CNC_TC_TT, 1u << CNC_TC_BE))
						bad(c, CNC_V_GATES, "%s: stream %s's window at %lld ns is not open for it alone",
						    plabel(net, (int)p, l2, sizeof(l2)), net->streams[f->stream].name, (long long)a);
					if (!gates_hold(e, ne, starts, C, a - gb + C, a + C, 0, 1u << CNC_TC_BE))
						bad(c, CNC_V_GUARD, "%s: best effort may still send into stream %s's window at %lld ns",
						    plabel(net, (int)p, l2, sizeof(l2)), net->streams[f->stream].name, (long long)a);
				}
			}
		}
		free(starts);
	}
	free(sp);
	return c->total == 0;
}
