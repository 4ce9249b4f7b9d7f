/* SPDX-License-Identifier: GPL-2.0-only */
/* cnc.h — tsncnc, the network planner: the network model, the plan, and the
 * modules that read, plan, check and write them (docs/cnc.md).
 *
 * Times are integer nanoseconds (int64_t) on the network's common time: every
 * clock is within `precision` of every other clock (PTP).  The cycle is the
 * hyperperiod of the stream periods; gate schedules start on its grid. */
#ifndef TSN_CNC_H
#define TSN_CNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsn/config.h"

#define CNC_NAME_MAX 32		/* node and stream names (tsnd's names take 31 chars) */
#define CNC_IFNAME_MAX 16
#define CNC_WIRE_OVERHEAD 20	/* preamble + SFD (8) and inter-frame gap (12) bytes */
#define CNC_MAX_GATE_ENTRIES 4096	/* taprio's limit, as tsnd's schema */
#define CNC_MAX_SGATE_ENTRIES 1024	/* tsnd's stream-gate entry limit */
#define CNC_TC_BE 0u		/* traffic class of best effort */
#define CNC_TC_TT 1u		/* traffic class of the scheduled streams */
#define CNC_RTAG_LEN 6u		/* IEEE 802.1CB R-TAG on a redundant stream's frames between switches */

struct cnc_mark {
	unsigned line, col;	/* 1-based; 0: not tied to a place */
};

struct cnc_port {
	char name[CNC_IFNAME_MAX];
	int node;
	uint32_t speed;		/* Mbit/s */
	int peer;		/* port at the other end of its link, -1: none */
	int64_t prop;		/* propagation delay of its link */
	struct cnc_mark at;
};

struct cnc_node {
	char name[CNC_NAME_MAX];
	bool is_switch;
	int64_t proc;		/* switches: most time from arrival to eligible for egress */
	char nc_address[64];	/* NETCONF, for the deployer */
	uint32_t nc_port;
	char nc_user[32];
	char nc_key[256];
	int first_port, n_ports;
	struct cnc_mark at;
};

struct cnc_stream {
	char name[CNC_NAME_MAX];
	int talker;
	int *listeners;
	size_t n_listeners;
	int64_t period, deadline;
	uint32_t frame;		/* bytes, destination MAC to FCS */
	uint32_t priority;
	int vlan;		/* -1: untagged */
	uint8_t mac[6];
	bool redundant;
	struct cnc_mark at, at_period, at_deadline, at_listeners;
};

struct cnc_network {
	char file[256];
	/* planner settings */
	int64_t cycle_limit;	/* the hyperperiod may not exceed this */
	int64_t precision;	/* worst offset between any two clocks */
	uint32_t be_frame;	/* largest best-effort frame (guard band) */
	uint32_t be_share;	/* percent of every port's cycle kept for best effort */
	struct cnc_node *nodes;
	size_t n_nodes;
	struct cnc_port *ports;
	size_t n_ports;
	struct cnc_stream *streams;
	size_t n_streams;
	int64_t cycle;		/* hyperperiod, set by cnc_network_load */
};

/* Read and validate a network file; every problem goes to diags (all of them).
 * NULL when there is any error. */
struct cnc_network *cnc_network_parse(const char *text, size_t len, const char *name,
				      struct tsn_diags *diags);
struct cnc_network *cnc_network_load(const char *path, struct tsn_diags *diags);
void cnc_network_free(struct cnc_network *net);
int cnc_node_find(const struct cnc_network *net, const char *name);

/* Time to send `bytes` (plus the wire overhead) at `mbit` Mbit/s, rounded up. */
int64_t cnc_tx_time(uint32_t bytes, uint32_t mbit);
int64_t cnc_gcd(int64_t a, int64_t b);

/* ---- the plan ---- */

/* One transmission window: a frame of a flow leaves `port` within [start, start + len)
 * in every period of the flow (start may exceed the period: long paths). */
struct cnc_hop {
	int port;		/* egress port */
	int parent;		/* hop of the flow that feeds this one, -1: the talker's own */
	int64_t start, len;
};

/* A flow is one copy of a stream (two for a redundant stream): a tree from the
 * talker to every listener, one hop per egress port. */
struct cnc_flow {
	int stream;
	int copy;		/* 0, or 1 for the second path of a redundant stream */
	size_t first_hop, n_hops;	/* parents come before children */
};

struct cnc_gate_entry {
	uint8_t gates;		/* bit per traffic class */
	int64_t interval;
};

struct cnc_plan {
	int64_t cycle;
	struct cnc_flow *flows;
	size_t n_flows;
	struct cnc_hop *hops;
	size_t n_hops;
	/* gate control lists, per port: entries[gcl_first[p] .. + gcl_n[p]) (0: no schedule) */
	size_t *gcl_first, *gcl_n;
	struct cnc_gate_entry *entries;
	size_t n_entries;
	int64_t *latency;	/* per stream: worst-case end-to-end latency (all copies) */
	int64_t objective;	/* sum over flows and listeners of the delivery time in the period */
	bool feasible;
	char reason[512];	/* why not */
};

/* Flow routes with every window start 0 (route.c).  Errors (no path, no disjoint
 * second path) go to reason; returns false then. */
bool cnc_route(const struct cnc_network *net, struct cnc_plan *plan);
/* Earliest times: per hop the least start after its parent (relative to the flow's
 * offset 0) and the least occupancy start; per flow its end-to-end latency. */
int64_t cnc_hop_earliest(const struct cnc_network *net, const struct cnc_plan *plan,
			 const struct cnc_flow *f, size_t h);
int64_t cnc_flow_latency(const struct cnc_network *net, const struct cnc_plan *plan,
			 const struct cnc_flow *f);
/* The occupancy of a hop: the scheduled queue of its port holds this flow's frame
 * from the earliest moment it can arrive until its window closes; the planner
 * reserves one minimum frame more before it (gate entries are never shorter). */
/* The shortest gate entry tsnd takes: a minimum frame at the port's speed. */
int64_t cnc_min_entry(const struct cnc_network *net, int port);
int64_t cnc_hop_queue_start(const struct cnc_network *net, const struct cnc_plan *plan,
			    const struct cnc_flow *f, const struct cnc_hop *h);

/* FRER (IEEE 802.1CB) in the switches for a redundant stream with one listener:
 * the talker's switch numbers the frame and splits it onto both paths (the
 * generator), the listener's switch keeps the first copy of each number (the
 * recovery).  Both copies share the talker's frame (one offset, one window on
 * the talker's link) and leave the recovery switch in one window; between the
 * two switches every frame carries an R-TAG (+6 bytes). */
struct cnc_frer {
	int gen, rcvy;		/* the switches; -1: no FRER (both copies on one switch) */
	int gen_ports[2];	/* the generator's egress ports, one per copy */
	int rcvy_in[2];		/* the ports the copies arrive by at the recovery switch */
	int rcvy_out;		/* the recovery switch's port to the listener */
	int64_t skew;		/* planned difference of the two copies' arrival times */
	unsigned history;	/* vector recovery: ceil(skew / period) + 2 (2..64) */
	int64_t reset;		/* reset timeout: (history + 1) periods */
};
/* The FRER roles of stream s in a plan; false when the stream is not redundant
 * or the plan has no two flows for it. */
bool cnc_frer_roles(const struct cnc_network *net, const struct cnc_plan *plan, size_t s, struct cnc_frer *out);
/* Bytes of stream s's frame on the link that port p sends on: + the R-TAG between
 * switches for a redundant stream. */
uint32_t cnc_hop_frame(const struct cnc_network *net, const struct cnc_stream *s, int port);

struct cnc_options {
	bool exact;		/* Z3 instead of the heuristic */
	bool exact_waits;	/* exact: frames may wait in a switch (else no-wait) */
	unsigned exact_timeout_ms;	/* 0: none */
	unsigned max_restarts;	/* heuristic: reorderings after a stream finds no place */
};

/* Plan the network (plan.c): routes, windows, gate lists, bounds.  Returns NULL
 * only when memory runs out; an infeasible plan has feasible false and a reason. */
struct cnc_plan *cnc_plan(const struct cnc_network *net, const struct cnc_options *opt);
void cnc_plan_free(struct cnc_plan *plan);
/* Windows set, the rest derived: gate lists, latencies, objective (plan.c). */
bool cnc_plan_finish(const struct cnc_network *net, struct cnc_plan *plan);
/* Z3 (exact.c): set every window of a routed plan optimally.  Returns 1 solved,
 * 0 infeasible, -1 unknown (timeout) or error (reason says which). */
int cnc_exact(const struct cnc_network *net, struct cnc_plan *plan, const struct cnc_options *opt);

/* ---- the independent checker (check.c) ---- */
enum cnc_violation {
	CNC_V_ROUTE,		/* a hop's port does not continue the path, a listener not reached */
	CNC_V_WINDOW_LEN,	/* a window shorter than the frame's transmission time */
	CNC_V_PRECEDENCE,	/* a window opens before the frame can be there */
	CNC_V_OVERLAP,		/* two frames in a port's scheduled queue at once */
	CNC_V_DEADLINE,		/* end-to-end latency over the stream's max-latency */
	CNC_V_GATES,		/* a window not covered by the port's gate list (TT open, BE closed) */
	CNC_V_GUARD,		/* best effort open within one max frame before a window */
	CNC_V_BE_SHARE,		/* best effort keeps less than its share of a port */
	CNC_V_CYCLE,		/* cycle not the hyperperiod, gate list not summing to it */
	CNC_V_OFFSET,		/* a talker's send time outside its period */
	CNC_V_DISJOINT,		/* the two copies of a redundant stream share a link between switches */
	CNC_V_BOUND,		/* a stated latency below what the windows give */
	CNC_V_FRER,		/* a redundant stream's copies not one frame at the talker and at the listener */
	CNC_V_COUNT
};

struct cnc_check {
	unsigned count[CNC_V_COUNT];
	unsigned total;
	char first[CNC_V_COUNT][256];	/* the first violation of each kind, in words */
};

const char *cnc_violation_name(enum cnc_violation v);
/* Re-derive every constraint from the network and the plan's hops and gate lists
 * alone; true when there is no violation. */
bool cnc_check(const struct cnc_network *net, const struct cnc_plan *plan, struct cnc_check *out);

/* ---- output (emit.c) ---- */
struct json_object;
struct json_object *cnc_plan_to_json(const struct cnc_network *net, const struct cnc_plan *plan);
void cnc_plan_print(const struct cnc_network *net, const struct cnc_plan *plan, FILE *out);
/* tsnd configuration of one switch: its ports (gate schedules where windows are),
 * stream identification and 802.1Qci filters, meters and gates.  malloc'd. */
char *cnc_switch_config(const struct cnc_network *net, const struct cnc_plan *plan, int node);
/* Write DIR/SWITCH.yaml for every switch and DIR/plan.json; 0 or -errno. */
int cnc_write_dir(const struct cnc_network *net, const struct cnc_plan *plan, const char *dir);
/* Port label "node:port". */
const char *cnc_port_label(const struct cnc_network *net, int port, char *buf, size_t len);

/* ---- deploy, status, diff over NETCONF (deploy.c) ---- */
/* cmd: "deploy", "status" or "diff"; argv[0] is the command.  Returns the exit status. */
int cnc_cmd_remote(const char *cmd, int argc, char **argv);

/* ---- generator (gen.c) for tests and benchmarks ---- */
enum cnc_topology { CNC_LINE, CNC_RING, CNC_TREE };
/* A network file (YAML text, malloc'd): n_switches switches in the topology, two
 * stations per switch, n_streams streams between random stations, from seed. */
char *cnc_generate(enum cnc_topology topo, unsigned n_switches, unsigned n_streams, uint64_t seed);

#endif
