// SPDX-License-Identifier: GPL-2.0-only
/* bench_cnc.c — the planner's benchmark (make bench-cnc, part of make bench).
 *
 * 1. Scale: generated networks (line, ring, tree; 5/20/50 switches; 100/1000/5000
 *    streams; seed 1): CPU time of tsncnc's heuristic plan (one thread), whether it
 *    is feasible, and the independent checker's verdict.
 * 2. Against Z3: small instances, each planned by the heuristic and by the exact
 *    mode (same routes, same no-wait model, Z3 capped at CNC_BENCH_Z3_CAP seconds,
 *    default 60), side by side: time ratio and objective gap (objective: the sum
 *    over streams and listeners of the delivery time in the period, docs/cnc.md).
 *
 * Prints Markdown tables (docs/benchmarks.md keeps a copy).  Exit 1 when a plan
 * fails the checker or the heuristic beats Z3's optimum (both would be bugs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cnc.h"

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *topo_name(enum cnc_topology t)
{
	return t == CNC_LINE ? "line" : t == CNC_RING ? "ring" : "tree";
}

static struct cnc_network *make(enum cnc_topology t, unsigned sw, unsigned st, uint64_t seed)
{
	char *y = cnc_generate(t, sw, st, seed);
	struct tsn_diags d;
	tsn_diags_init(&d, "generated");
	struct cnc_network *net = y ? cnc_network_parse(y, strlen(y), "generated", &d) : NULL;
	if (!net)
		tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	free(y);
	return net;
}

int main(void)
{
	const enum cnc_topology topos[] = { CNC_LINE, CNC_RING, CNC_TREE };
	const unsigned switches[] = { 5, 20, 50 }, streams[] = { 100, 1000, 5000 };
	const struct cnc_options heur = { .max_restarts = 3 };
	const char *cap_env = getenv("CNC_BENCH_Z3_CAP");
	unsigned cap = cap_env ? (unsigned)atoi(cap_env) : 60;
	int bad = 0;

	printf("### Scale (heuristic, one core)\n\n");
	printf("| topology | switches | streams | plan time (CPU s) | feasible | checker |\n");
	printf("|---|---:|---:|---:|---|---|\n");
	for (size_t t = 0; t < 3; t++)
		for (size_t w = 0; w < 3; w++)
			for (size_t s = 0; s < 3; s++) {
				struct cnc_network *net = make(topos[t], switches[w], streams[s], 1);
				if (!net)
					return 1;
				double t0 = cpu_now();
				struct cnc_plan *plan = cnc_plan(net, &heur);
				double dt = cpu_now() - t0;
				struct cnc_check chk = { 0 };
				bool ok = plan && (!plan->feasible || cnc_check(net, plan, &chk));
				printf("| %s | %u | %u | %.3f | %s | %s |\n", topo_name(topos[t]), switches[w], streams[s], dt,
				       plan && plan->feasible ? "yes" : "no", !plan || !plan->feasible ? "-" : ok ? "ok" : "VIOLATED");
				if (plan && !plan->feasible)
					fprintf(stderr, "%s/%u/%u infeasible: %.200s\n", topo_name(topos[t]), switches[w],
						streams[s], plan->reason);
				bad |= !ok;
				fflush(stdout);
				cnc_plan_free(plan);
				cnc_network_free(net);
			}

	printf("\n### Heuristic against Z3 (exact, capped at %u s)\n\n", cap);
	printf("| topology | switches | streams | heuristic (CPU s) | Z3 (CPU s) | time ratio | heuristic objective "
	       "| Z3 objective | gap |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	const struct { enum cnc_topology t; unsigned sw, st; } small[] = {
		{ CNC_LINE, 3, 4 },  { CNC_LINE, 3, 8 },  { CNC_LINE, 4, 12 }, { CNC_RING, 4, 8 },
		{ CNC_RING, 4, 12 }, { CNC_TREE, 5, 8 },  { CNC_TREE, 5, 12 }, { CNC_LINE, 5, 16 },
		{ CNC_RING, 5, 20 }, { CNC_LINE, 5, 100 },
	};
	double worst_gap = 0, least_ratio = -1;
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		struct cnc_network *net = make(small[i].t, small[i].sw, small[i].st, 1);
		if (!net)
			return 1;
		struct cnc_options ex = { .exact = true, .exact_timeout_ms = cap * 1000u };
		double t0 = cpu_now();
		struct cnc_plan *h = cnc_plan(net, &heur);
		double th = cpu_now() - t0;
		t0 = cpu_now();
		struct cnc_plan *z = cnc_plan(net, &ex);
		double tz = cpu_now() - t0;
		struct cnc_check chk;
		if (h && h->feasible && !cnc_check(net, h, &chk))
			bad = 1;
		if (z && z->feasible && !cnc_check(net, z, &chk))
			bad = 1;
		if (h && z && h->feasible && z->feasible) {
			double gap = 100.0 * (double)(h->objective - z->objective) / (double)z->objective;
			double ratio = th > 0 ? tz / th : 0;
			if (h->objective < z->objective)
				bad = 1;
			if (gap > worst_gap)
				worst_gap = gap;
			if (least_ratio < 0 || ratio < least_ratio)
				least_ratio = ratio;
			printf("| %s | %u | %u | %.4f | %.2f | %.0fx | %lld ns | %lld ns | %.2f %% |\n", topo_name(small[i].t),
			       small[i].sw, small[i].st, th, tz, ratio, (long long)h->objective, (long long)z->objective, gap);
		} else {
			printf("| %s | %u | %u | %.4f | %.2f | - | %s | %s | - |\n", topo_name(small[i].t), small[i].sw,
			       small[i].st, th, tz, h && h->feasible ? "feasible" : "infeasible",
			       z && z->feasible ? "feasible" : "not solved within the cap");
		}
		fflush(stdout);
		cnc_plan_free(h);
		cnc_plan_free(z);
		cnc_network_free(net);
	}
	printf("\nworst objective gap %.2f %%, least time ratio %.0fx (on the instances both solve)\n", worst_gap,
	       least_ratio);
	return bad;
}
