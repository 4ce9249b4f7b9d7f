/* SPDX-License-Identifier: GPL-2.0-only */
/* classifier.h — the classifier's tables in the BPF maps of bpf/dataplane.bpf.c:
 * a configuration written into the inactive generation, then activated with one
 * store, then the old generation cleaned once no frame can still use it.
 *
 * The key and value layouts are in include/tsn/bpf_shared.h; how a stream becomes
 * a key is in include/tsn/stream_id.h. */
#ifndef TSND_CLASSIFIER_H
#define TSND_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsn/bpf_shared.h"
#include "tsn/config.h"

struct cls_slots;

/* File descriptors of the generational maps and the counters, and the counter
 * slots' allocator. */
struct cls_maps {
	int gen;		/* tsn_gen */
	int rules;		/* tsn_rules */
	int ethertype;		/* tsn_ethertype */
	int ports;		/* tsn_ports */
	int mac;		/* tsn_mac_strm */
	int ip6;		/* tsn_ip6_strm */
	int strm_tab;		/* tsn_strm_tab: what the program reads of mac and ip6 */
	int stream_stats;	/* tsn_strm_stats: ncpus regions of TSN_MAX_STREAMS */
	int port_stats;		/* port_stats: ncpus regions of TSN_PORT_SLOTS */
	struct cls_slots *slots;	/* cls_slots_new */
	int filters;		/* tsn_filters (802.1Qci, policing.c) */
	int gates;		/* tsn_gates */
	int gate_ents;		/* tsn_gate_ents */
	int acl;		/* tsn_acl (acl.c) */
	int acl_pfx;		/* tsn_acl_pfx */
	int storm_conf;		/* tsn_storm_conf */
};

/* A port the XDP program runs on, with what the kernel says about it. */
struct cls_port {
	int ifindex;
	uint8_t mac[6];
	const struct tsn_cfg_port *cfg;
};

/* The per-generation rules of cfg (default priority, PCP and DSCP tables, ipv6
 * masks, protected priorities). */
void cls_rules(const struct tsn_config *cfg, struct tsn_rules *r);
/* One port's entry: MAC, priority -> class map, scheduled classes, policy. */
void cls_port_conf(const struct tsn_cfg_port *p, const uint8_t mac[6], struct tsn_port_conf *out);
/* Classes a schedule gates: those closed in at least one entry. */
uint8_t cls_sched_mask(const struct tsn_cfg_schedule *s);

/* Write every table of cfg into generation gen (which must not be active), after
 * clearing what gen held; rule_flags are added to the rules (TSN_RULES_VLANS).  Creates zeroed counters for streams that have none.
 * 0, or a negative errno with a message; gen may then hold part of cfg, which is
 * harmless while it is inactive. */
int cls_write(const struct cls_maps *m, const struct tsn_config *cfg, const struct cls_port *ports,
	      size_t n_ports, uint8_t rule_flags, uint32_t gen, char *err, size_t errlen);
/* Generation gen's stream table (tsn_strm_tab) from n keys and values: the
 * smallest size and a seed that put every key within TSN_STRM_PROBES entries of
 * its hash.  Writes the table, and its mask and seed into *r.  0, or a negative
 * errno with a message (-E2BIG: no size and seed would do). */
int cls_write_strm_tab(int fd, uint32_t gen, const union tsn_strm_key *keys,
		       const struct tsn_stream_val *vals, size_t n, struct tsn_rules *r, char *err,
		       size_t errlen);
/* The table's size and seed for n keys (0 or -E2BIG), and the table itself in
 * ents (TSN_STRM_TAB_CAP entries), without writing it: for the tests. */
int cls_build_strm_tab(const union tsn_strm_key *keys, const struct tsn_stream_val *vals, size_t n,
		       struct tsn_strm_ent *ents, uint32_t *mask, uint32_t *seed);
/* Delete every entry of generation gen from the hash maps. */
int cls_clear(const struct cls_maps *m, uint32_t gen);
/* The active generation (0 if the map was never written). */
uint32_t cls_active(const struct cls_maps *m);
/* Make gen active: one array update, atomic for every reader. */
int cls_activate(const struct cls_maps *m, uint32_t gen);
/* Return once every BPF program that may have read the generation before the
 * last cls_activate has finished (an RCU grace period). */
void cls_quiesce(void);
/* ---- counter slots ----
 * A stream's counters live in slot tsn_stream_val.slot of tsn_strm_stats, a
 * port's in slot tsn_port_conf.slot of port_stats.  cls_write gives every stream
 * id and port (ifindex) of the configuration a slot: the one it has in the active
 * generation, else a free one, zeroed first if it may hold counts.  The slots of
 * the written generation become the current ones with cls_slots_commit (after
 * cls_activate); those of removed streams and ports are zeroed by
 * cls_prune_counters, after cls_quiesce, and only then free. */

/* An allocator for ncpus CPUs.  maybe_used: the counter maps may hold counts
 * from before (pinned maps a predecessor used), so free slots are zeroed before
 * use.  NULL: out of memory. */
struct cls_slots *cls_slots_new(int ncpus, bool maybe_used);
void cls_slots_free(struct cls_slots *s);
/* The slots of the active generation's streams and ports, as a predecessor left
 * them in pinned maps (a restart with keep-on-exit). */
int cls_slots_rebuild(const struct cls_maps *m);
/* The generation cls_write wrote last is active: its slots are the current ones. */
void cls_slots_commit(const struct cls_maps *m);
/* Zero the counters of the streams and ports the last commit removed, and free
 * their slots.  After cls_quiesce: no frame counts in them any more. */
int cls_prune_counters(const struct cls_maps *m);
/* The current slot of stream id / port ifindex, or -ENOENT. */
int cls_stream_slot(const struct cls_maps *m, uint32_t id);
int cls_port_slot(const struct cls_maps *m, int ifindex);
/* A stream's counters summed over the CPUs; -ENOENT if it has no slot. */
int cls_stream_counters(const struct cls_maps *m, uint32_t id, struct tsn_stream_counters *sum);
/* A port's counters summed over the CPUs; all zero if it has no slot. */
int cls_port_counters(const struct cls_maps *m, int ifindex, struct port_counters *sum);
/* Slot slot of a counter array (ncpus regions of slots values of size bytes, all
 * __u64) summed over the CPUs. */
int cls_slot_sum(int fd, int ncpus, uint32_t slots, uint32_t slot, void *sum, size_t size);

#endif
