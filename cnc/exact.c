/* SPDX-License-Identifier: GPL-2.0-only */
/* exact.c — the exact mode: the windows of a routed plan as an optimization
 * problem for Z3 (integer arithmetic).
 *
 * Unknowns: the start of every window (a flow's first is its send offset).
 * Constraints, as the heuristic's: a window opens after the frame can be there
 * (with exact_waits it may open later: the frame waits in the switch; without, it
 * opens right then); every listener gets the frame within max-latency; on every
 * port the scheduled-queue occupancies of two flows are apart in every period,
 * written with one modulo per pair: (qb - qa) mod gcd(pa, pb) in [La, gcd - Lb].
 * Objective: the least sum, over flows and their listeners, of the delivery time
 * in the period (offset + latency); the heuristic's plan is measured the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <z3.h>

#include "cnc.h"

static Z3_ast num(Z3_context z, int64_t v)
{
	return Z3_mk_int64(z, v, Z3_mk_int_sort(z));
}

static Z3_ast add2(Z3_context z, Z3_ast a, Z3_ast b)
{
	Z3_ast args[2] = { a, b };
	return Z3_mk_add(z, 2, args);
}

static Z3_ast sub2(Z3_context z, Z3_ast a, Z3_ast b)
{
	Z3_ast args[2] = { a, b };
	return Z3_mk_sub(z, 2, args);
}

int cnc_exact(const struct cnc_network *net, struct cnc_plan *plan, const struct cnc_options *opt)
{
	Z3_config cfg = Z3_mk_config();
	Z3_context z = Z3_mk_context(cfg);
	Z3_del_config(cfg);
	Z3_optimize o = Z3_mk_optimize(z);
	Z3_optimize_inc_ref(z, o);
	Z3_ast *s = calloc(plan->n_hops + 1, sizeof(Z3_ast)), *q = calloc(plan->n_hops + 1, sizeof(Z3_ast));
	Z3_ast *terms = calloc(plan->n_hops + 1, sizeof(Z3_ast));
	int *flow_of = calloc(plan->n_hops + 1, sizeof(int));
	size_t n_terms = 0;
	int rc = -1;

	if (!s || !q || !terms || !flow_of) {
		snprintf(plan->reason, sizeof(plan->reason), "out of memory");
		goto out;
	}
	if (opt->exact_timeout_ms) {
		Z3_params p = Z3_mk_params(z);
		Z3_params_inc_ref(z, p);
		Z3_params_set_uint(z, p, Z3_mk_string_symbol(z, "timeout"), opt->exact_timeout_ms);
		Z3_optimize_set_params(z, o, p);
		Z3_params_dec_ref(z, p);
	}
	for (size_t fi = 0; fi < plan->n_flows; fi++) {
		const struct cnc_flow *f = &plan->flows[fi];
		const struct cnc_stream *st = &net->streams[f->stream];
		Z3_ast offset = NULL;
		for (size_t i = 0; i < f->n_hops; i++) {
			size_t hi = f->first_hop + i;
			const struct cnc_hop *h = &plan->hops[hi];
			char name[48];
			snprintf(name, sizeof(name), "s%zu", hi);
			s[hi] = Z3_mk_const(z, Z3_mk_string_symbol(z, name), Z3_mk_int_sort(z));
			flow_of[hi] = (int)fi;
			if (h->parent < 0) {
				offset = s[hi];
				q[hi] = s[hi];
				Z3_optimize_assert(z, o, Z3_mk_ge(z, s[hi], num(z, 0)));
				Z3_optimize_assert(z, o, Z3_mk_lt(z, s[hi], num(z, st->period)));
			} else {
				size_t pi = f->first_hop + (size_t)h->parent;
				const struct cnc_hop *ph = &plan->hops[pi];
				int64_t arrive = ph->len + net->ports[ph->port].prop;
				Z3_ast ready = add2(z, s[pi], num(z, arrive + net->nodes[net->ports[h->port].node].proc +
									      net->precision));
				int64_t m = cnc_min_entry(net, h->port);
				q[hi] = add2(z, s[pi], num(z, arrive - net->precision - m));
				Z3_optimize_assert(z, o, opt->exact_waits ? Z3_mk_ge(z, s[hi], ready) : Z3_mk_eq(z, s[hi], ready));
				/* the window within [m, P - m] of its period, as the heuristic's */
				Z3_ast in = Z3_mk_mod(z, s[hi], num(z, st->period));
				Z3_optimize_assert(z, o, Z3_mk_ge(z, in, num(z, m)));
				Z3_optimize_assert(z, o, Z3_mk_le(z, in, num(z, st->period - m - h->len)));
			}
			int peer = net->ports[net->ports[h->port].peer].node;
			if (!net->nodes[peer].is_switch) {
				Z3_ast deliver = add2(z, s[hi], num(z, h->len + net->ports[h->port].prop));
				Z3_optimize_assert(z, o, Z3_mk_le(z, sub2(z, deliver, offset), num(z, st->deadline)));
				terms[n_terms++] = deliver;
			}
			/* its own next frame: the occupancy is shorter than the period */
			Z3_optimize_assert(z, o, Z3_mk_le(z, sub2(z, add2(z, s[hi], num(z, h->len)), q[hi]),
							  num(z, st->period)));
		}
	}
	/* pairs on one port */
	for (size_t a = 0; a < plan->n_hops; a++)
		for (size_t b = a + 1; b < plan->n_hops; b++) {
			const struct cnc_hop *ha = &plan->hops[a], *hb = &plan->hops[b];
			if (ha->port != hb->port || flow_of[a] == flow_of[b])
				continue;
			int64_t pa = net->streams[plan->flows[flow_of[a]].stream].period;
			int64_t pb = net->streams[plan->flows[flow_of[b]].stream].period;
			int64_t g = cnc_gcd(pa, pb);
			Z3_ast La = sub2(z, add2(z, s[a], num(z, ha->len)), q[a]);
			Z3_ast Lb = sub2(z, add2(z, s[b], num(z, hb->len)), q[b]);
			/* d = (qb - qa) mod g with an explicit, bounded quotient: every q lies
			 * within a period plus a deadline of 0, so the quotient has few values
			 * (faster for Z3 than its mod) */
			const struct cnc_stream *sa = &net->streams[plan->flows[flow_of[a]].stream];
			const struct cnc_stream *sb = &net->streams[plan->flows[flow_of[b]].stream];
			char name[48];
			snprintf(name, sizeof(name), "k%zu_%zu", a, b);
			Z3_ast k = Z3_mk_const(z, Z3_mk_string_symbol(z, name), Z3_mk_int_sort(z));
			Z3_optimize_assert(z, o, Z3_mk_ge(z, k, num(z, -(pa + sa->deadline) / g - 2)));
			Z3_optimize_assert(z, o, Z3_mk_le(z, k, num(z, (pb + sb->deadline) / g + 2)));
			Z3_ast gk[2] = { num(z, g), k };
			Z3_ast d = sub2(z, sub2(z, q[b], q[a]), Z3_mk_mul(z, 2, gk));
			Z3_optimize_assert(z, o, Z3_mk_ge(z, d, La));
			Z3_optimize_assert(z, o, Z3_mk_le(z, d, sub2(z, num(z, g), Lb)));
		}
	Z3_optimize_minimize(z, o, n_terms ? Z3_mk_add(z, (unsigned)n_terms, terms) : num(z, 0));
	Z3_lbool r = Z3_optimize_check(z, o, 0, NULL);
	if (r == Z3_L_FALSE) {
		snprintf(plan->reason, sizeof(plan->reason),
			 "no placement of the windows exists on these routes (Z3: unsatisfiable)");
		rc = 0;
		goto out;
	}
	if (r == Z3_L_UNDEF) {
		snprintf(plan->reason, sizeof(plan->reason), "Z3 gave no answer: %s",
			 Z3_optimize_get_reason_unknown(z, o));
		goto out;
	}
	Z3_model m = Z3_optimize_get_model(z, o);
	Z3_model_inc_ref(z, m);
	rc = 1;
	for (size_t hi = 0; hi < plan->n_hops; hi++) {
		Z3_ast v;
		int64_t x;
		if (!Z3_model_eval(z, m, s[hi], true, &v) || !Z3_get_numeral_int64(z, v, &x)) {
			snprintf(plan->reason, sizeof(plan->reason), "Z3's model has no value for a window");
			rc = -1;
			break;
		}
		plan->hops[hi].start = x;
	}
	Z3_model_dec_ref(z, m);
out:
	free(s);
	free(q);
	free(terms);
	free(flow_of);
	Z3_optimize_dec_ref(z, o);
	Z3_del_context(z);
	return rc;
}
