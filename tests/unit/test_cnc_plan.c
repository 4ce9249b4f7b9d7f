/* SPDX-License-Identifier: GPL-2.0-only */
/* test_cnc_plan.c — tsncnc: worked examples with hand-computed windows and bounds,
 * the independent checker against hand-corrupted plans (one per constraint kind),
 * the heuristic against Z3 on small instances, and bad network files. */
#include <valgrind/valgrind.h>

#include "test_util.h"

#include "cnc.h"

/* A line: talker t -- sw1 -- sw2 -- listener l, 1 Gbit/s, 2 us processing,
 * 100 ns cables, 1 us precision.  %s: the streams. */
#define LINE_NET \
	"planner: { precision: 1us, best-effort-share: 20 }\n" \
	"switches:\n" \
	"  - name: sw1\n" \
	"    netconf: { address: 192.0.2.1, user: cnc, key: /k }\n" \
	"    processing-delay: 2us\n" \
	"    ports: [ { name: a, link-speed: 1000 }, { name: b, link-speed: 1000 }, { name: c, link-speed: 1000 } ]\n" \
	"  - name: sw2\n" \
	"    netconf: { address: 192.0.2.2, user: cnc, key: /k }\n" \
	"    processing-delay: 2us\n" \
	"    ports: [ { name: a, link-speed: 1000 }, { name: b, link-speed: 1000 } ]\n" \
	"stations:\n" \
	"  - { name: t, link-speed: 1000 }\n" \
	"  - { name: l, link-speed: 1000 }\n" \
	"links:\n" \
	"  - { a: t, b: \"sw1:a\", propagation: 100ns }\n" \
	"  - { a: \"sw1:b\", b: \"sw2:a\", propagation: 100ns }\n" \
	"  - { a: \"sw2:b\", b: l, propagation: 100ns }\n" \
	"streams:\n%s"

static struct cnc_network *parse(const char *text, struct tsn_diags *d)
{
	tsn_diags_init(d, "net.yaml");
	return cnc_network_parse(text, strlen(text), "net.yaml", d);
}

static struct cnc_network *line(const char *streams)
{
	char buf[8192];
	struct tsn_diags d;
	snprintf(buf, sizeof(buf), LINE_NET, streams);
	struct cnc_network *net = parse(buf, &d);
	if (!net)
		tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	return net;
}

static const struct cnc_options heur = { .max_restarts = 3 };

#define TWO_STREAMS                                                                                           \
	"  - { name: s1, talker: t, listeners: [l], period: 1ms, frame-size: 128B, max-latency: 100us,"      \
	" vlan: 10, dst-mac: \"01:00:5e:00:00:01\" }\n"                                                       \
	"  - { name: s2, talker: t, listeners: [l], period: 1ms, frame-size: 128B, max-latency: 100us,"      \
	" vlan: 10, dst-mac: \"01:00:5e:00:00:02\" }\n"

/* Hand computation (docs/cnc.md, worked example): 128 B + 20 B on the wire at
 * 1 Gbit/s = 1184 ns.  s1 at offset 0: window t>sw1 [0, 1184); sw1>sw2 opens at
 * 1184 + 100 (cable) + 2000 (processing) + 1000 (precision) = 4284; sw2>l at
 * 4284 + 1184 + 3100 = 8568; l has it at 8568 + 1184 + 100 = 9852 ns: the bound.
 * s1 holds sw1's queue from 1184 + 100 - 1000 - 672 (a minimum frame of room) =
 * -388 to 5468, 5856 ns; s2, the same shape, must start its hold there: offset
 * 5856, windows 5856, 10140, 14424. */
static void test_worked_example(void)
{
	struct cnc_network *net = line(TWO_STREAMS);
	CU_ASSERT_FATAL(net != NULL);
	CU_ASSERT_EQUAL(net->cycle, 1000000);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan != NULL);
	CU_ASSERT_FATAL(plan->feasible);
	CU_ASSERT_EQUAL_FATAL(plan->n_flows, 2);
	const int64_t s1[] = { 0, 4284, 8568 }, s2[] = { 5856, 10140, 14424 };
	for (size_t i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(plan->hops[plan->flows[0].first_hop + i].start, s1[i]);
		CU_ASSERT_EQUAL(plan->hops[plan->flows[0].first_hop + i].len, 1184);
		CU_ASSERT_EQUAL(plan->hops[plan->flows[1].first_hop + i].start, s2[i]);
	}
	CU_ASSERT_EQUAL(plan->latency[0], 9852);
	CU_ASSERT_EQUAL(plan->latency[1], 9852);
	CU_ASSERT_EQUAL(plan->objective, 9852 + 5856 + 9852);
	/* sw1:b's gate list: guard (one 1522 B frame = 12336 ns) before the run of
	 * windows at 4284 wraps to the cycle's end; windows 4284+1184, gap, 10140+1184 */
	int p = -1;
	for (size_t i = 0; i < net->n_ports; i++)
		if (!strcmp(net->nodes[net->ports[i].node].name, "sw1") && !strcmp(net->ports[i].name, "b"))
			p = (int)i;
	CU_ASSERT_FATAL(p >= 0);
	const struct cnc_gate_entry *e = &plan->entries[plan->gcl_first[p]];
	CU_ASSERT_EQUAL_FATAL(plan->gcl_n[p], 6);
	CU_ASSERT(e[0].gates == 0 && e[0].interval == 4284);
	CU_ASSERT(e[1].gates == 2 && e[1].interval == 1184);
	CU_ASSERT(e[2].gates == 0 && e[2].interval == 10140 - 5468);
	CU_ASSERT(e[3].gates == 2 && e[3].interval == 1184);
	CU_ASSERT(e[4].gates == 1 && e[4].interval == 1000000 - 11324 - (12336 - 4284));
	CU_ASSERT(e[5].gates == 0 && e[5].interval == 12336 - 4284);
	struct cnc_check chk;
	CU_ASSERT(cnc_check(net, plan, &chk));
	cnc_plan_free(plan);
	cnc_network_free(net);
}

/* sw1's tsnd configuration in the worked example: s1's meter reserves one 128 B
 * frame per 1 ms (1024000 bit/s), and its bucket holds what that rate adds over
 * the span its stream gate admits a frame in (window 1184 ns + 2 x 1 us
 * precision): ceil(128 * 3184 / 1e6) = 1 B more, 129 B; its stream gate is open while its frame can be
 * arriving from t: 0 + 100 ns cable - 1 us precision = -900 ns (999100 in the
 * cycle) to 0 + 1184 + 100 + 1000 = 2284 ns. */
static void test_switch_config(void)
{
	struct cnc_network *net = line(TWO_STREAMS);
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan && plan->feasible);
	char *y = cnc_switch_config(net, plan, cnc_node_find(net, "sw1"));
	CU_ASSERT_FATAL(y != NULL);
	const char *want[] = {
		"  - { id: 1, name: s1, identification: dst-mac-vlan, dst-mac: \"01:00:5e:00:00:01\", vlan: 10, "
		"priority: 5, filter: s1 }\n",
		"  - { name: s1, max-sdu: 128, meter: s1, gate: s1 }\n",
		"  - { name: s1, cir: 1024000bit, cbs: 129B }\n",
		"  - name: s1\n    base-time: auto\n    cycle-time: 1ms\n    entries:\n"
		"      - { state: open, interval: 2284ns }\n      - { state: closed, interval: 996816ns }\n"
		"      - { state: open, interval: 900ns }\n",
		"      max-sdu: [0, 106]\n",	/* 128 B - 14 header - 4 tag - 4 FCS */
		"        - { gates: [1], interval: 1184ns }\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!strstr(y, want[i]))
			fprintf(stderr, "\n  missing: %s", want[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(y, want[i]));
	}
	free(y);
	cnc_plan_free(plan);
	cnc_network_free(net);
}

/* A multicast stream: one tree, the bound is the farther listener's. */
static void test_multicast_tree(void)
{
	struct cnc_network *net = line(
		"  - { name: m, talker: t, listeners: [l, x], period: 500us, frame-size: 64B, max-latency: 50us,"
		" dst-mac: \"01:00:5e:00:00:09\" }\n");
	CU_ASSERT_PTR_NULL(net);	/* x does not exist: refused */
	char buf[8192];
	snprintf(buf, sizeof(buf), LINE_NET,
		 "  - { name: m, talker: t, listeners: [l, x], period: 500us, frame-size: 64B, max-latency: 50us,"
		 " dst-mac: \"01:00:5e:00:00:09\" }\n");
	/* add station x on sw1:c */
	char *at = strstr(buf, "  - { name: l, link-speed: 1000 }\n");
	CU_ASSERT_FATAL(at != NULL);
	char full[9000];
	snprintf(full, sizeof(full), "%.*s  - { name: x, link-speed: 1000 }\n%s", (int)(at - buf), buf, at);
	at = strstr(full, "streams:");
	char full2[9500];
	snprintf(full2, sizeof(full2), "%.*s  - { a: \"sw1:c\", b: x, propagation: 100ns }\n%s", (int)(at - full), full, at);
	struct tsn_diags d;
	net = parse(full2, &d);
	tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan && plan->feasible);
	CU_ASSERT_EQUAL(plan->flows[0].n_hops, 4);	/* t>sw1, sw1>sw2, sw1>x, sw2>l */
	/* 64 B: 672 ns a hop; l: 672 + 3100 + 672 + 3100 + 672 + 100 = 8316 */
	CU_ASSERT_EQUAL(plan->latency[0], 8316);
	struct cnc_check chk;
	CU_ASSERT(cnc_check(net, plan, &chk));
	cnc_plan_free(plan);
	cnc_network_free(net);
}

/* The line with a third station x on sw1:c. */
static struct cnc_network *line_x(const char *streams)
{
	char buf[8192], full[9000], full2[9500];
	snprintf(buf, sizeof(buf), LINE_NET, streams);
	char *at = strstr(buf, "  - { name: l, link-speed: 1000 }\n");
	if (!at)
		return NULL;
	snprintf(full, sizeof(full), "%.*s  - { name: x, link-speed: 1000 }\n%s", (int)(at - buf), buf, at);
	at = strstr(full, "streams:");
	snprintf(full2, sizeof(full2), "%.*s  - { a: \"sw1:c\", b: x, propagation: 100ns }\n%s", (int)(at - full), full,
		 at);
	struct tsn_diags d;
	struct cnc_network *net = parse(full2, &d);
	tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	return net;
}

static void expect_section(const struct cnc_network *net, const struct cnc_plan *plan, const char *sw,
			   const char *want)
{
	char *y = cnc_switch_config(net, plan, cnc_node_find(net, sw));
	CU_ASSERT_FATAL(y != NULL);
	const char *b = strstr(y, "\nbridge:\n");
	if (!b || strcmp(b + 1, want))
		fprintf(stderr, "\n%s: got\n%s\nwant\n%s", sw, b ? b + 1 : "(none)", want);
	CU_ASSERT(b && !strcmp(b + 1, want));
	free(y);
}

/* The bridge tsncnc writes (issue 18): multicast m (VID 10) to l and x leaves
 * sw1 by b and c; unicast u (VID 20) to l by b only; untagged v to x rides
 * VLAN 1, untagged, the PVID of the ports it crosses.  sw2 sees m and u only. */
static void test_bridge_entries(void)
{
	struct cnc_network *net = line_x(
		"  - { name: m, talker: t, listeners: [l, x], period: 1ms, frame-size: 128B, max-latency: 100us,"
		" vlan: 10, dst-mac: \"01:00:5e:00:00:09\" }\n"
		"  - { name: u, talker: t, listeners: [l], period: 1ms, frame-size: 128B, max-latency: 100us,"
		" vlan: 20, dst-mac: \"02:00:00:00:00:0b\" }\n"
		"  - { name: v, talker: t, listeners: [x], period: 1ms, frame-size: 128B, max-latency: 100us,"
		" dst-mac: \"02:00:00:00:00:0c\" }\n");
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan && plan->feasible);
	expect_section(net, plan, "sw1",
		       "bridge:\n  name: br0\n  vlan-filtering: true\n  ports:\n"
		       "    - name: a\n      pvid: 1\n      vlans:\n        - { vid: 1, untagged: true }\n"
		       "        - { vid: 10 }\n        - { vid: 20 }\n"
		       "    - name: b\n      vlans:\n        - { vid: 10 }\n        - { vid: 20 }\n"
		       "    - name: c\n      pvid: 1\n      vlans:\n        - { vid: 1, untagged: true }\n"
		       "        - { vid: 10 }\n"
		       "  fdb:\n"
		       "    - { mac: \"01:00:5e:00:00:09\", vid: 10, ports: [b, c] }\n"
		       "    - { mac: \"02:00:00:00:00:0b\", vid: 20, ports: [b] }\n"
		       "    - { mac: \"02:00:00:00:00:0c\", vid: 1, ports: [c] }\n");
	expect_section(net, plan, "sw2",
		       "bridge:\n  name: br0\n  vlan-filtering: true\n  ports:\n"
		       "    - name: a\n      vlans:\n        - { vid: 10 }\n        - { vid: 20 }\n"
		       "    - name: b\n      vlans:\n        - { vid: 10 }\n        - { vid: 20 }\n"
		       "  fdb:\n"
		       "    - { mac: \"01:00:5e:00:00:09\", vid: 10, ports: [b] }\n"
		       "    - { mac: \"02:00:00:00:00:0b\", vid: 20, ports: [b] }\n");
	cnc_plan_free(plan);
	cnc_network_free(net);

	/* only untagged streams: a VLAN-unaware bridge, entries without VID */
	net = line("  - { name: v, talker: t, listeners: [l], period: 1ms, frame-size: 128B, max-latency: 100us,"
		   " dst-mac: \"02:00:00:00:00:0c\" }\n");
	CU_ASSERT_FATAL(net != NULL);
	plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan && plan->feasible);
	expect_section(net, plan, "sw1",
		       "bridge:\n  name: br0\n  vlan-filtering: false\n  ports:\n    - name: a\n    - name: b\n"
		       "  fdb:\n    - { mac: \"02:00:00:00:00:0c\", ports: [b] }\n");
	cnc_plan_free(plan);
	cnc_network_free(net);
}

/* ---- the checker catches each kind of corruption ---- */
typedef void (*corrupt_fn)(struct cnc_network *net, struct cnc_plan *plan);

static void expect_violation(corrupt_fn fn, enum cnc_violation v)
{
	struct cnc_network *net = line(TWO_STREAMS);
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan && plan->feasible);
	struct cnc_check chk;
	CU_ASSERT_FATAL(cnc_check(net, plan, &chk));
	fn(net, plan);
	CU_ASSERT_FALSE(cnc_check(net, plan, &chk));
	if (!chk.count[v])
		fprintf(stderr, "\n  expected a %s violation, got %u others", cnc_violation_name(v), chk.total);
	CU_ASSERT(chk.count[v] > 0);
	cnc_plan_free(plan);
	cnc_network_free(net);
}

static struct cnc_hop *hop(struct cnc_plan *plan, size_t flow, size_t i)
{
	return &plan->hops[plan->flows[flow].first_hop + i];
}

static void c_window_len(struct cnc_network *n, struct cnc_plan *p) { (void)n; hop(p, 0, 1)->len -= 1; }
static void c_precedence(struct cnc_network *n, struct cnc_plan *p) { (void)n; hop(p, 0, 1)->start -= 1; }
static void c_overlap(struct cnc_network *n, struct cnc_plan *p)
{
	(void)n;
	for (size_t i = 0; i < 3; i++)
		hop(p, 1, i)->start = hop(p, 0, i)->start + 1000;
}
static void c_deadline(struct cnc_network *n, struct cnc_plan *p) { (void)p; n->streams[1].deadline = 9851; }
static void c_gates(struct cnc_network *n, struct cnc_plan *p)
{
	(void)n;
	for (size_t e = 0; e < p->n_entries; e++)
		if (p->entries[e].gates == 2) {
			p->entries[e].gates = 3;	/* best effort open during a window */
			return;
		}
}
static void c_guard(struct cnc_network *n, struct cnc_plan *p)
{
	(void)n;
	for (size_t e = 1; e < p->n_entries; e++)
		if (p->entries[e].gates == 2 && p->entries[e - 1].gates == 0) {
			p->entries[e - 1].gates = 1;	/* the guard band opened to best effort */
			return;
		}
}
static void c_be_share(struct cnc_network *n, struct cnc_plan *p) { (void)p; n->be_share = 99; }
static void c_cycle(struct cnc_network *n, struct cnc_plan *p) { (void)n; p->cycle *= 2; }
static void c_offset(struct cnc_network *n, struct cnc_plan *p)
{
	(void)n;
	for (size_t i = 0; i < 3; i++)
		hop(p, 1, i)->start += 1000000;	/* the same times modulo the period */
}
static void c_bound(struct cnc_network *n, struct cnc_plan *p) { (void)n; p->latency[0] -= 1; }
static void c_route(struct cnc_network *n, struct cnc_plan *p)
{
	struct cnc_hop *h = hop(p, 0, 1);
	h->port = n->ports[h->port].node == n->ports[h->port + 1].node ? h->port + 1 : h->port - 1;
}

static void test_check_window_len(void) { expect_violation(c_window_len, CNC_V_WINDOW_LEN); }
static void test_check_precedence(void) { expect_violation(c_precedence, CNC_V_PRECEDENCE); }
static void test_check_overlap(void) { expect_violation(c_overlap, CNC_V_OVERLAP); }
static void test_check_deadline(void) { expect_violation(c_deadline, CNC_V_DEADLINE); }
static void test_check_gates(void) { expect_violation(c_gates, CNC_V_GATES); }
static void test_check_guard(void) { expect_violation(c_guard, CNC_V_GUARD); }
static void test_check_be_share(void) { expect_violation(c_be_share, CNC_V_BE_SHARE); }
static void test_check_cycle(void) { expect_violation(c_cycle, CNC_V_CYCLE); }
static void test_check_offset(void) { expect_violation(c_offset, CNC_V_OFFSET); }
static void test_check_bound(void) { expect_violation(c_bound, CNC_V_BOUND); }
static void test_check_route(void) { expect_violation(c_route, CNC_V_ROUTE); }

/* A ring of four: a redundant stream takes two paths with no common link between
 * switches; copying one path over the other is a disjointness violation. */
static char *ring4(void)
{
	char *y = cnc_generate(CNC_RING, 4, 0, 1);
	CU_ASSERT_FATAL(y != NULL);
	char *r = NULL;
	CU_ASSERT_FATAL(asprintf(&r, "%s  - { name: red, talker: st0-0, listeners: [st2-0], period: 1ms, "
				 "frame-size: 100B, max-latency: 1ms, dst-mac: \"01:00:5e:00:00:07\", redundant: true }\n",
				 y) > 0);
	free(y);
	/* the generator writes "streams:\n" last with no streams: make it a list */
	return r;
}

static void test_redundant_disjoint(void)
{
	char *y = ring4();
	struct tsn_diags d;
	struct cnc_network *net = parse(y, &d);
	tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	free(y);
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan && plan->feasible);
	CU_ASSERT_EQUAL_FATAL(plan->n_flows, 2);
	/* st0-0 > sw0 > sw1 > sw2 > st2-0 and st0-0 > sw0 > sw3 > sw2 > st2-0 */
	CU_ASSERT_EQUAL(plan->flows[0].n_hops, 4);
	CU_ASSERT_EQUAL(plan->flows[1].n_hops, 4);
	struct cnc_check chk;
	CU_ASSERT(cnc_check(net, plan, &chk));
	/* corrupt: the second copy's middle hops on the first copy's ports */
	hop(plan, 1, 1)->port = hop(plan, 0, 1)->port;
	hop(plan, 1, 2)->port = hop(plan, 0, 2)->port;
	CU_ASSERT_FALSE(cnc_check(net, plan, &chk));
	CU_ASSERT(chk.count[CNC_V_DISJOINT] > 0);
	cnc_plan_free(plan);
	cnc_network_free(net);
}

/* The trap: the shortest path A-B-E-F takes a link of each of the two disjoint
 * paths A-B-C-F and A-D-E-F; without its links no second path is left (two
 * passes fail), Suurballe's algorithm finds the pair. */
#define SW6(n) "  - { name: " n ", netconf: { address: x, user: u, key: k }, processing-delay: 1us, " \
	"ports: [ { name: p0, link-speed: 1000 }, { name: p1, link-speed: 1000 }, { name: p2, link-speed: 1000 }, " \
	"{ name: p3, link-speed: 1000 } ] }\n"
static const char trap_net[] =
	"switches:\n" SW6("A") SW6("B") SW6("C") SW6("D") SW6("E") SW6("F")
	"stations: [ { name: t, link-speed: 1000 }, { name: l, link-speed: 1000 } ]\n"
	"links:\n"
	"  - { a: t, b: \"A:p0\" }\n  - { a: l, b: \"F:p0\" }\n"
	"  - { a: \"A:p1\", b: \"B:p1\" }\n  - { a: \"B:p2\", b: \"E:p2\" }\n  - { a: \"E:p1\", b: \"F:p1\" }\n"
	"  - { a: \"B:p3\", b: \"C:p1\", propagation: 10us }\n  - { a: \"C:p2\", b: \"F:p2\", propagation: 10us }\n"
	"  - { a: \"A:p2\", b: \"D:p1\", propagation: 10us }\n  - { a: \"D:p2\", b: \"E:p3\", propagation: 10us }\n"
	"streams:\n  - { name: r, talker: t, listeners: [l], period: 1ms, frame-size: 100B, max-latency: 1ms,"
	" dst-mac: \"01:00:5e:00:00:0a\", redundant: true }\n";

static void test_redundant_trap(void)
{
	struct tsn_diags d;
	struct cnc_network *net = parse(trap_net, &d);
	tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan != NULL);
	if (!plan->feasible)
		fprintf(stderr, "\n  %s", plan->reason);
	CU_ASSERT_FATAL(plan->feasible);
	CU_ASSERT_EQUAL_FATAL(plan->n_flows, 2);
	/* t>A, A>B, B>C, C>F, F>l and t>A, A>D, D>E, E>F, F>l */
	const char *want[2][3] = { { "A", "B", "C" }, { "A", "D", "E" } };
	for (size_t c = 0; c < 2; c++) {
		CU_ASSERT_EQUAL_FATAL(plan->flows[c].n_hops, 5);
		bool match[2] = { true, true };
		for (size_t k = 0; k < 2; k++)
			for (size_t i = 0; i < 3; i++)
				match[k] &= !strcmp(net->nodes[net->ports[hop(plan, c, i + 1)->port].node].name, want[k][i]);
		CU_ASSERT(match[0] || match[1]);
	}
	struct cnc_check chk;
	CU_ASSERT(cnc_check(net, plan, &chk));
	cnc_plan_free(plan);
	cnc_network_free(net);
}

/* No two disjoint paths on a line: the reason says so, at the stream. */
static void test_redundant_impossible(void)
{
	struct cnc_network *net = line(
		"  - { name: r, talker: t, listeners: [l], period: 1ms, frame-size: 100B, max-latency: 1ms,"
		" dst-mac: \"01:00:5e:00:00:0b\", redundant: true }\n");
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan != NULL);
	CU_ASSERT_FALSE(plan->feasible);
	CU_ASSERT_STRING_EQUAL(plan->reason, "net.yaml:19:5: streams[0].redundant: stream r: no two paths from t to l "
					     "without a common link between switches exist");
	cnc_plan_free(plan);
	cnc_network_free(net);
}

/* ---- FRER for redundant streams (issue 15) ---- */

static void expect_in(const char *y, const char *const *want, size_t n, const char *where)
{
	for (size_t i = 0; i < n; i++) {
		if (!strstr(y, want[i]))
			fprintf(stderr, "\n  %s: missing: %s", where, want[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(y, want[i]));
	}
}

static char *switch_yaml(const struct cnc_network *net, const struct cnc_plan *plan, const char *sw)
{
	int node = cnc_node_find(net, sw);
	CU_ASSERT_FATAL(node >= 0);
	char *y = cnc_switch_config(net, plan, node);
	CU_ASSERT_FATAL(y != NULL);
	return y;
}

/* configs/networks/line3-lab.yaml (the kernel lab's constants): motion-1, 800 B every
 * 10 ms from talker1, whose window at 10 Mbit/s is (800 + 20) * 8 * 100 = 656000 ns.
 * sw1's stream gate admits it over that window +- 700 us, so two frames may come
 * 2056 us less than a period apart: the bucket holds 800 B + ceil(800 * 2056000 /
 * 10000000) = 965 B (one frame's 800 B marked the second red in the lab). */
static void test_meter_jitter(void)
{
	struct tsn_diags d;
	tsn_diags_init(&d, "configs/networks/line3-lab.yaml");
	struct cnc_network *net = cnc_network_load("configs/networks/line3-lab.yaml", &d);
	tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan && plan->feasible);
	char *y = switch_yaml(net, plan, "sw1");
	const char *want[] = { "  - { name: motion-1, cir: 640000bit, cbs: 965B }\n" };
	expect_in(y, want, 1, "sw1");
	free(y);
	cnc_plan_free(plan);
	cnc_network_free(net);
}

/* configs/networks/ring4.yaml, stream safety (100 B every 1 ms, VLAN 200, redundant):
 * the talker sends one frame, sw1 numbers it and splits it onto p1 (to sw2) and p2
 * (to sw4), sw3 keeps the first copy and sends it to the listener.  By hand, at
 * 1 Gbit/s: the talker's frame takes (100 + 20) * 8 = 960 ns, a copy with its
 * R-TAG (106 + 20) * 8 = 1008 ns.  Windows: talker [0, 960); sw1's two ports at
 * 960 + 0 (cable) + 5000 (processing) + 1000 (precision) = 6960; sw2:p2 and sw4:p2
 * at 6960 + 1008 + 200 + 6000 = 14168; sw3:p3, one window for both copies, at
 * 14168 + 1008 + 200 + 6000 = 21376; the bound 21376 + 960 = 22336 ns.  Both
 * paths take the same time: skew 0, history ceil(0 / 1ms) + 2 = 2, reset timeout
 * (2 + 1) periods = 3 ms. */
static void test_frer_ring4(void)
{
	struct tsn_diags d;
	tsn_diags_init(&d, "configs/networks/ring4.yaml");
	struct cnc_network *net = cnc_network_load("configs/networks/ring4.yaml", &d);
	tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan && plan->feasible);
	struct cnc_check chk;
	CU_ASSERT(cnc_check(net, plan, &chk));
	CU_ASSERT_STRING_EQUAL(net->streams[0].name, "safety");
	size_t f0 = SIZE_MAX;
	for (size_t i = 0; i < plan->n_flows && f0 == SIZE_MAX; i++)
		if (plan->flows[i].stream == 0)
			f0 = i;
	CU_ASSERT_FATAL(f0 != SIZE_MAX && f0 + 1 < plan->n_flows && plan->flows[f0 + 1].stream == 0);
	const int64_t start[] = { 0, 6960, 14168, 21376 }, len[] = { 960, 1008, 1008, 960 };
	const char *via[2] = { "sw2", "sw4" };
	for (size_t c = 0; c < 2; c++) {
		CU_ASSERT_EQUAL_FATAL(plan->flows[f0 + c].n_hops, 4);
		for (size_t i = 0; i < 4; i++) {
			CU_ASSERT_EQUAL(hop(plan, f0 + c, i)->start, start[i]);
			CU_ASSERT_EQUAL(hop(plan, f0 + c, i)->len, len[i]);
		}
		CU_ASSERT_STRING_EQUAL(net->nodes[net->ports[hop(plan, f0 + c, 2)->port].node].name, via[c]);
	}
	CU_ASSERT_EQUAL(plan->latency[0], 22336);
	struct cnc_frer fr;
	CU_ASSERT_FATAL(cnc_frer_roles(net, plan, 0, &fr));
	CU_ASSERT_STRING_EQUAL(net->nodes[fr.gen].name, "sw1");
	CU_ASSERT_STRING_EQUAL(net->nodes[fr.rcvy].name, "sw3");
	CU_ASSERT_EQUAL(fr.skew, 0);
	CU_ASSERT_EQUAL(fr.history, 2);
	CU_ASSERT_EQUAL(fr.reset, 3000000);
	CU_ASSERT_FALSE(cnc_frer_roles(net, plan, 2, &fr));	/* telemetry: not redundant */

	char *y = switch_yaml(net, plan, "sw1");
	const char *sw1[] = {
		"frer:\n  - stream: safety\n    role: generator\n    paths: [ { port: p1 }, { port: p2 } ]\n",
		/* the talker's frame: no R-TAG yet, one frame (not one per copy) */
		"  - { name: safety, max-sdu: 100, meter: safety, gate: safety }\n",
		"  - { name: safety, cir: 800000bit, cbs: 101B }\n",
		"        - { gates: [1], interval: 1008ns }\n",	/* a copy's window, with its R-TAG */
	};
	expect_in(y, sw1, sizeof(sw1) / sizeof(sw1[0]), "sw1");
	CU_ASSERT_PTR_NULL(strstr(y, "role: recovery"));
	/* the copies bypass the bridge (frer_tc splits them): p2 carries nothing
	 * else, so it is no bridge port, and the ring of bridges stays open */
	const char *br = strstr(y, "\nbridge:\n");
	CU_ASSERT_FATAL(br != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(br, "    - name: p1\n"));
	CU_ASSERT_PTR_NULL(strstr(br, "    - name: p2\n"));
	CU_ASSERT_PTR_NULL(strstr(br, "01:00:5e:7f:01:01"));
	free(y);
	y = switch_yaml(net, plan, "sw3");
	const char *sw3[] = {
		"  - stream: safety\n    role: recovery\n    algorithm: vector\n    history: 2\n"
		"    reset-timeout: 3ms\n    paths: [ { port: p3 } ]\n",
		/* both copies arrive, tagged: 2 x 106 B per period */
		"  - { name: safety, max-sdu: 106, meter: safety, gate: safety }\n",
		"  - { name: safety, cir: 1696000bit, cbs: 213B }\n",
	};
	expect_in(y, sw3, sizeof(sw3) / sizeof(sw3[0]), "sw3");
	CU_ASSERT_PTR_NULL(strstr(y, "role: generator"));
	br = strstr(y, "\nbridge:\n");
	CU_ASSERT_FATAL(br != NULL);
	CU_ASSERT_PTR_NULL(strstr(br, "    - name: p2\n"));
	free(y);
	y = switch_yaml(net, plan, "sw4");
	const char *sw4[] = {
		"frer: []\n",
		"  - { name: safety, max-sdu: 106, meter: safety, gate: safety }\n",
		"  - { name: safety, cir: 848000bit, cbs: 107B }\n",
		/* class 1's largest frame: control's 200 B + 6 (R-TAG) - 22 (header, tag, FCS) */
		"      max-sdu: [0, 184]\n",
	};
	expect_in(y, sw4, sizeof(sw4) / sizeof(sw4[0]), "sw4");
	free(y);

	/* the checker: copies sent at two times are two frames from the talker */
	hop(plan, f0 + 1, 0)->start += 1;
	CU_ASSERT_FALSE(cnc_check(net, plan, &chk));
	CU_ASSERT(chk.count[CNC_V_FRER] > 0);
	hop(plan, f0 + 1, 0)->start -= 1;
	/* ... and a copy's window without room for the R-TAG is too short */
	hop(plan, f0 + 1, 1)->len = 960;
	CU_ASSERT_FALSE(cnc_check(net, plan, &chk));
	CU_ASSERT(chk.count[CNC_V_WINDOW_LEN] > 0);
	cnc_plan_free(plan);
	cnc_network_free(net);
}

/* Two paths of different length: the ring with a 2.3 ms cable between sw3 and sw4.
 * The copy through sw2 reaches sw3 at 14168 + 1008 + 200 = 15376 ns, the one
 * through sw4 at 14168 + 1008 + 2300000 = 2315176 ns: skew 2299800 ns.  sw3 sends
 * one frame, in one window after the later copy: 2315176 + 6000 = 2321176; bound
 * 2322136 ns.  With a period of 1 ms the first copy would wait in sw3's queue
 * over a period (refused, with the reason); with 5 ms the history is
 * ceil(2299800 / 5000000) + 2 = 3, the reset timeout 4 periods. */
#define FRER_SW(n, ports) "  - { name: " n ", netconf: { address: x, user: u, key: k }, processing-delay: 5us, " \
	"ports: [ " ports " ] }\n"
#define P1000(n) "{ name: " n ", link-speed: 1000 }"
static const char skew_net[] =
	"planner: { precision: 1us }\n"
	"switches:\n" FRER_SW("sw1", P1000("p1") ", " P1000("p2") ", " P1000("p3")) FRER_SW("sw2", P1000("p1") ", " P1000("p2"))
	FRER_SW("sw3", P1000("p1") ", " P1000("p2") ", " P1000("p3")) FRER_SW("sw4", P1000("p1") ", " P1000("p2"))
	"stations: [ { name: t, link-speed: 1000 }, { name: l, link-speed: 1000 } ]\n"
	"links:\n"
	"  - { a: t, b: \"sw1:p3\" }\n  - { a: \"sw3:p3\", b: l }\n"
	"  - { a: \"sw1:p1\", b: \"sw2:p1\", propagation: 200ns }\n  - { a: \"sw2:p2\", b: \"sw3:p1\", propagation: 200ns }\n"
	"  - { a: \"sw1:p2\", b: \"sw4:p1\", propagation: 200ns }\n  - { a: \"sw4:p2\", b: \"sw3:p2\", propagation: 2300us }\n"
	"streams:\n  - { name: r, talker: t, listeners: [l], period: %s, frame-size: 100B, max-latency: 5ms,"
	" dst-mac: \"01:00:5e:00:00:0c\", redundant: true }\n";

static void test_frer_skew(void)
{
	struct tsn_diags d;
	char text[4096];
	snprintf(text, sizeof(text), skew_net, "1ms");
	struct cnc_network *net = parse(text, &d);
	tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan != NULL);
	CU_ASSERT_FALSE(plan->feasible);
	CU_ASSERT_STRING_EQUAL(plan->reason, "net.yaml:16:5: streams[0].redundant: stream r: its two paths reach sw3 "
					     "2299800ns apart; the first copy would wait there 2308432ns for the later one's "
					     "window, over its period 1ms (shorten the longer path, or a longer period)");
	cnc_plan_free(plan);
	cnc_network_free(net);
	snprintf(text, sizeof(text), skew_net, "5ms");
	net = parse(text, &d);
	tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	CU_ASSERT_FATAL(net != NULL);
	plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan && plan->feasible);
	CU_ASSERT_EQUAL_FATAL(plan->n_flows, 2);
	struct cnc_check chk;
	CU_ASSERT(cnc_check(net, plan, &chk));
	CU_ASSERT_EQUAL(hop(plan, 0, 0)->start, 0);
	CU_ASSERT_EQUAL(hop(plan, 1, 0)->start, 0);
	CU_ASSERT_EQUAL(hop(plan, 0, 3)->start, 2321176);
	CU_ASSERT_EQUAL(hop(plan, 1, 3)->start, 2321176);
	CU_ASSERT_EQUAL(plan->latency[0], 2322136);
	struct cnc_frer fr;
	CU_ASSERT_FATAL(cnc_frer_roles(net, plan, 0, &fr));
	CU_ASSERT_EQUAL(fr.skew, 2299800);
	CU_ASSERT_EQUAL(fr.history, 3);
	CU_ASSERT_EQUAL(fr.reset, 20000000);
	char *y = switch_yaml(net, plan, "sw3");
	const char *want[] = { "    history: 3\n    reset-timeout: 20ms\n    paths: [ { port: p3 } ]\n" };
	expect_in(y, want, 1, "sw3");
	free(y);
	/* the recovery switch's window before the later copy is there: precedence */
	hop(plan, 0, 3)->start = hop(plan, 1, 3)->start = 15376 + 6000;
	CU_ASSERT_FALSE(cnc_check(net, plan, &chk));
	CU_ASSERT(chk.count[CNC_V_PRECEDENCE] > 0);
	/* two windows to the listener are two frames: not what the recovery sends */
	hop(plan, 0, 3)->start = 2321176 + 5000;
	CU_ASSERT_FALSE(cnc_check(net, plan, &chk));
	CU_ASSERT(chk.count[CNC_V_FRER] > 0);
	cnc_plan_free(plan);
	cnc_network_free(net);
}

/* Several listeners, and the exact mode: refused, at the stream, with what to do. */
static void test_frer_refused(void)
{
	char *y = ring4();
	char *y2 = NULL, *at = strstr(y, "listeners: [st2-0]");
	CU_ASSERT_FATAL(at != NULL);
	CU_ASSERT_FATAL(asprintf(&y2, "%.*slisteners: [st2-0, st1-0]%s", (int)(at - y), y,
				 at + strlen("listeners: [st2-0]")) > 0);
	struct tsn_diags d;
	struct cnc_network *net = parse(y2, &d);
	tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan != NULL);
	CU_ASSERT_FALSE(plan->feasible);
	CU_ASSERT_PTR_NOT_NULL(strstr(plan->reason, "streams[0].redundant: stream red has 2 listeners; tsncnc plans a "
						   "redundant stream (FRER generator at the talker's switch, recovery at "
						   "the listener's) for one listener: make one redundant stream per listener"));
	CU_ASSERT_EQUAL(strncmp(plan->reason, "net.yaml:", 9), 0);
	cnc_plan_free(plan);
	cnc_network_free(net);
	free(y2);
	net = parse(y, &d);
	tsn_diags_free(&d);
	free(y);
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_options ex = { .exact = true, .exact_timeout_ms = 1000 };
	plan = cnc_plan(net, &ex);
	CU_ASSERT_FATAL(plan != NULL);
	CU_ASSERT_FALSE(plan->feasible);
	CU_ASSERT_PTR_NOT_NULL(strstr(plan->reason, "streams[0].redundant: the exact mode does not plan redundant streams"));
	cnc_plan_free(plan);
	cnc_network_free(net);
}

/* ---- heuristic against Z3 (no-wait: the same model, so Z3's optimum bounds the
 * heuristic's objective from below) ---- */
static void test_heuristic_vs_z3(void)
{
	const struct { enum cnc_topology t; unsigned sw, st; uint64_t seed; } cases[] = {
		{ CNC_LINE, 3, 6, 1 }, { CNC_RING, 4, 8, 2 }, { CNC_TREE, 5, 8, 3 }, { CNC_LINE, 4, 10, 4 },
	};
	/* Under valgrind (run-all.sh) Z3, a library of its own, runs past any sane
	 * time: the comparison is the plain run's; valgrind checks our code. */
	if (RUNNING_ON_VALGRIND) {
		fprintf(stderr, "\n  Z3 skipped under valgrind");
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *y = cnc_generate(cases[i].t, cases[i].sw, cases[i].st, cases[i].seed);
		struct tsn_diags d;
		struct cnc_network *net = parse(y, &d);
		tsn_diags_free(&d);
		free(y);
		CU_ASSERT_FATAL(net != NULL);
		struct cnc_options ex = { .exact = true, .exact_timeout_ms = 120000 };
		struct cnc_plan *h = cnc_plan(net, &heur), *z = cnc_plan(net, &ex);
		CU_ASSERT_FATAL(h && z);
		CU_ASSERT(h->feasible);
		CU_ASSERT(z->feasible);
		struct cnc_check chk;
		CU_ASSERT(cnc_check(net, h, &chk));
		CU_ASSERT(cnc_check(net, z, &chk));
		if (!chk.total && h->feasible && z->feasible) {
			CU_ASSERT(h->objective >= z->objective);
			fprintf(stderr, "\n  case %zu: heuristic %lld ns, Z3 %lld ns, gap %.2f %%", i, (long long)h->objective,
				(long long)z->objective,
				100.0 * (double)(h->objective - z->objective) / (double)z->objective);
		}
		cnc_plan_free(h);
		cnc_plan_free(z);
		cnc_network_free(net);
	}
}

/* ---- bad input: the exact message ---- */
static void expect_error(const char *text, const char *want)
{
	struct tsn_diags d;
	struct cnc_network *net = parse(text, &d);
	CU_ASSERT_PTR_NULL(net);
	bool found = false;
	char line[512];
	for (size_t i = 0; i < d.count; i++) {
		tsn_diag_format(&d, &d.items[i], line, sizeof(line));
		if (!strcmp(line, want))
			found = true;
	}
	if (!found) {
		fprintf(stderr, "\n  wanted: %s\n  got:\n", want);
		tsn_diags_print(&d, stderr);
	}
	CU_ASSERT(found);
	tsn_diags_free(&d);
	cnc_network_free(net);
}

static void with_streams_replaced(const char *from, const char *to, const char *want)
{
	char buf[8192], out[8192];
	snprintf(buf, sizeof(buf), LINE_NET, TWO_STREAMS);
	char *at = strstr(buf, from);
	CU_ASSERT_FATAL(at != NULL);
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - buf), buf, to, at + strlen(from));
	expect_error(out, want);
}

static void test_bad_unknown_switch(void)
{
	with_streams_replaced("b: \"sw2:a\"", "b: \"sw9:a\"",
			      "net.yaml:16:22: links[1].b: no switch or station named 'sw9'; a link joins switch:port "
			      "or a station");
}

static void test_bad_unknown_port(void)
{
	with_streams_replaced("b: \"sw2:a\"", "b: \"sw2:z\"", "net.yaml:16:22: links[1].b: sw2 has no port 'z'; its ports: a, b");
}

static void test_bad_link_to_nowhere(void)
{
	/* l's link removed: a station with no link */
	with_streams_replaced("  - { a: \"sw2:b\", b: l, propagation: 100ns }\n", "",
			      "net.yaml:13:5: stations[1]: station l has no link; add one under links");
}

static void test_bad_hyperperiod(void)
{
	with_streams_replaced("period: 1ms, frame-size: 128B, max-latency: 100us, vlan: 10, dst-mac: \"01:00:5e:00:00:02\"",
			      "period: 999999ns, frame-size: 128B, max-latency: 100us, vlan: 10, dst-mac: \"01:00:5e:00:00:02\"",
			      "net.yaml:20:52: streams[1].period: the hyperperiod of the periods 1ms, 999999ns exceeds "
			      "planner.cycle-limit 1s; use periods with a common multiple within it");
}

static void test_bad_field_values(void)
{
	/* three errors in one stream: all three reported, each at its value */
	static const char *const want[] = {
		"net.yaml:19:69: streams[0].frame-size: 12B is out of range; allowed 64B to 9018B",
		"net.yaml:19:87: streams[0].max-latency: '100' is not a duration; expected a number with a unit such "
		"as 250us (units ns, us, ms, s)",
		"net.yaml:19:132: streams[0].colour: unknown key; allowed in stream: name, talker, listeners, period, "
		"frame-size, max-latency, priority, vlan, dst-mac, redundant",
	};
	for (size_t i = 0; i < 3; i++)
		with_streams_replaced("frame-size: 128B, max-latency: 100us, vlan: 10, dst-mac: \"01:00:5e:00:00:01\"",
				      "frame-size: 12B, max-latency: 100, vlan: 10, dst-mac: \"01:00:5e:00:00:01\", colour: red",
				      want[i]);
}

static void test_bad_deadline_below_path(void)
{
	char buf[8192];
	snprintf(buf, sizeof(buf), LINE_NET,
		 "  - { name: s1, talker: t, listeners: [l], period: 1ms, frame-size: 128B, max-latency: 9851ns,"
		 " dst-mac: \"01:00:5e:00:00:01\" }\n");
	struct tsn_diags d;
	struct cnc_network *net = parse(buf, &d);
	tsn_diags_free(&d);
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan != NULL);
	CU_ASSERT_FALSE(plan->feasible);
	if (strncmp(plan->reason, "net.yaml:19:", 12))
		fprintf(stderr, "\n  got: %s", plan->reason);
	CU_ASSERT_STRING_EQUAL(plan->reason,
			       "net.yaml:19:88: streams[0].max-latency: 9851ns is shorter than the 9852ns its frame needs "
			       "on its shortest path of 3 hops (transmission, propagation, processing, precision) by 1ns");
	cnc_plan_free(plan);
	cnc_network_free(net);
}

/* Aliases that repeat a long list: refused in bounded time and memory, not
 * expanded (2000 streams x 1000 listeners would be 2 million names). */
static void test_bad_alias_bomb(void)
{
	size_t cap = 1 << 20, n = 0;
	char *t = malloc(cap);
	CU_ASSERT_FATAL(t != NULL);
	n += (size_t)snprintf(t + n, cap - n, "switches: [ { name: s, netconf: { address: a, user: u, key: k }, "
				       "ports: [ { name: p, link-speed: 1000 } ] } ]\nx: &L [");
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(t + n, cap - n, "%sl%d", i ? ", " : "", i);
	n += (size_t)snprintf(t + n, cap - n, "]\nstreams:\n");
	for (int i = 0; i < 2000 && n + 200 < cap; i++)
		n += (size_t)snprintf(t + n, cap - n, "  - { name: s%d, talker: t, listeners: *L, period: 1ms, "
					       "frame-size: 64B, max-latency: 1ms, dst-mac: \"02:00:00:00:00:01\" }\n", i);
	struct tsn_diags d;
	struct cnc_network *net = parse(t, &d);
	CU_ASSERT_PTR_NULL(net);
	bool found = false;
	for (size_t i = 0; i < d.count; i++)
		found |= strstr(d.items[i].message, "too large or repeats aliases too often") != NULL;
	CU_ASSERT(found);
	tsn_diags_free(&d);
	free(t);
}

/* Too much traffic for a link: infeasible, naming the stream and the link. */
static void test_infeasible_reason(void)
{
	char streams[8192] = "";
	for (int i = 0; i < 40; i++)
		snprintf(streams + strlen(streams), sizeof(streams) - strlen(streams),
			 "  - { name: s%d, talker: t, listeners: [l], period: 100us, frame-size: 1000B, max-latency: 100us,"
			 " dst-mac: \"01:00:5e:00:01:%02x\" }\n", i, i);
	struct cnc_network *net = line(streams);
	CU_ASSERT_FATAL(net != NULL);
	struct cnc_plan *plan = cnc_plan(net, &heur);
	CU_ASSERT_FATAL(plan != NULL);
	CU_ASSERT_FALSE(plan->feasible);
	CU_ASSERT_PTR_NOT_NULL(strstr(plan->reason, "stream s"));
	CU_ASSERT_PTR_NOT_NULL(strstr(plan->reason, "link sw1:b never has its scheduled queue free for the 12832ns"));
	CU_ASSERT_PTR_NOT_NULL(strstr(plan->reason, ", short by "));
	fprintf(stderr, "\n  %s", plan->reason);
	cnc_plan_free(plan);
	cnc_network_free(net);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("cnc_plan", NULL, NULL);
	CU_add_test(s, "worked example: windows, bounds, gate list", test_worked_example);
	CU_add_test(s, "worked example: sw1's tsnd configuration", test_switch_config);
	CU_add_test(s, "multicast tree", test_multicast_tree);
	CU_add_test(s, "bridge: static entries of the planned paths", test_bridge_entries);
	CU_add_test(s, "checker: window length", test_check_window_len);
	CU_add_test(s, "checker: precedence", test_check_precedence);
	CU_add_test(s, "checker: overlap", test_check_overlap);
	CU_add_test(s, "checker: deadline", test_check_deadline);
	CU_add_test(s, "checker: gates", test_check_gates);
	CU_add_test(s, "checker: guard band", test_check_guard);
	CU_add_test(s, "checker: best-effort share", test_check_be_share);
	CU_add_test(s, "checker: cycle", test_check_cycle);
	CU_add_test(s, "checker: offset", test_check_offset);
	CU_add_test(s, "checker: bound", test_check_bound);
	CU_add_test(s, "checker: route", test_check_route);
	CU_add_test(s, "redundant: disjoint paths, checker", test_redundant_disjoint);
	CU_add_test(s, "redundant: the trap topology (Suurballe)", test_redundant_trap);
	CU_add_test(s, "redundant: no disjoint pair", test_redundant_impossible);
	CU_add_test(s, "FRER: ring4's redundant stream, roles and sizes", test_frer_ring4);
	CU_add_test(s, "FRER: paths of different length, history", test_frer_skew);
	CU_add_test(s, "FRER: several listeners, exact mode: refused", test_frer_refused);
	CU_add_test(s, "heuristic vs Z3", test_heuristic_vs_z3);
	CU_add_test(s, "bad: unknown switch", test_bad_unknown_switch);
	CU_add_test(s, "bad: unknown port", test_bad_unknown_port);
	CU_add_test(s, "bad: link to nowhere", test_bad_link_to_nowhere);
	CU_add_test(s, "bad: exploding hyperperiod", test_bad_hyperperiod);
	CU_add_test(s, "bad: field values, all reported", test_bad_field_values);
	CU_add_test(s, "bad: deadline below the path", test_bad_deadline_below_path);
	CU_add_test(s, "bad: alias bomb", test_bad_alias_bomb);
	CU_add_test(s, "infeasible: the reason", test_infeasible_reason);
	CU_add_test(s, "meter: bucket for the gate's jitter", test_meter_jitter);
	return tu_run_tests();
}
