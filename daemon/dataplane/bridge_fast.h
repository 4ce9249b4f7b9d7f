/* SPDX-License-Identifier: GPL-2.0-only */
/* bridge_fast.h — the 802.1Q bridge's XDP fast path (bpf/bridge.bpf.c): its
 * tables built from the configuration's bridge section, written one generation
 * at a time beside the classifier's (the same tsn_gen switches both), and the
 * per-entry counters.  docs/dataplane.md, "Bridge fast path".
 *
 * Which static entries the fast path takes: every bridge.fdb entry whose egress
 * ports are all ports tsnd's programs run on (xdp not off) and, on a VLAN-aware
 * bridge, members of the entry's VID (ports that are not members are left out,
 * as the kernel's bridge leaves them out).  Everything else stays with the
 * kernel's bridge (the slow path, daemon/bridge/), which has every entry too. */
#ifndef TSND_BRIDGE_FAST_H
#define TSND_BRIDGE_FAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "tsn/config.h"

struct bridge_fast;

/* A port the data plane's programs are attached to. */
struct bf_port {
	const char *name;
	int ifindex;
};

/* Open and load bpf/bridge.bpf.c with tsn_xdp's generation map (gen_fd); its
 * programs go into tsn_xdp's and tsn_tc_ingress's hooks (prog arrays
 * xdp_hook_fd, tc_hook_fd) once a configuration has a bridge.  NULL with a
 * reason in err on failure. */
struct bridge_fast *bridge_fast_new(int gen_fd, int xdp_hook_fd, int tc_hook_fd, char *err, size_t errlen);
/* Put the programs into the hooks, or take them out (a configuration without a
 * bridge: frames not for a port's MAC then skip the bridge's lookups).
 * bridge_fast_write hooks them; the caller unhooks after committing a
 * configuration without a bridge.  0 or -errno. */
int bridge_fast_hook(struct bridge_fast *bf, bool on);
/* Free everything; with unhook, take the programs out of the hooks first
 * (frames then go to the kernel's bridge).  Without, the hooks keep the
 * programs and their tables alive (dataplane.keep-on-exit). */
void bridge_fast_free(struct bridge_fast *bf, bool unhook);

/* Write cfg->bridge into generation gen (inactive; cleared first).  ports: the
 * attached ports; ports_fd: tsn_xdp's tsn_ports, already written for gen (the
 * egress ports' gated classes come from it).  Creates zeroed counters for new
 * entries; existing ones carry over.  0, or a negative errno with a message
 * naming the entry; gen may then hold part of cfg, harmless while inactive. */
int bridge_fast_write(struct bridge_fast *bf, const struct tsn_config *cfg, const struct bf_port *ports,
		      size_t n_ports, int ports_fd, uint32_t gen, char *err, size_t errlen);
/* Delete generation gen's tables (after the switch and an RCU grace period, or
 * to undo a write). */
void bridge_fast_clear(struct bridge_fast *bf, uint32_t gen);
/* Delete the counters of entries cfg no longer has. */
void bridge_fast_prune_counters(struct bridge_fast *bf, const struct tsn_config *cfg);

/* The counters of the static entry (mac, vid), summed over the CPUs: frames the
 * fast path forwarded (by XDP or through the egress qdiscs) and their bytes as
 * received.  For `tsnctl fdb show`.  0; -ENOENT if the fast path has no such
 * entry (not in the configuration, or left to the kernel); -errno otherwise. */
int bridge_fast_counters(const struct bridge_fast *bf, const uint8_t mac[6], uint32_t vid, uint64_t *packets,
			 uint64_t *bytes);
/* Whether the fast path holds (mac, vid) in the active generation gen. */
int bridge_fast_has(const struct bridge_fast *bf, const uint8_t mac[6], uint32_t vid, uint32_t gen);
/* What tsn_br_xdp did with frames (enum tsn_br_verdict), summed over the CPUs. */
uint64_t bridge_fast_verdict(const struct bridge_fast *bf, unsigned verdict);
/* Names of enum tsn_br_verdict, for JSON and docs. */
const char *bridge_fast_verdict_name(unsigned verdict);

/* {"loaded":bool,"hooked":bool,"verdicts":{"xdp":N,"to_qdisc":N,"hairpin":N,...}}
 * (every enum tsn_br_verdict by its name, summed over the CPUs); bf may be NULL. */
json_object *bridge_fast_json(const struct bridge_fast *bf);

/* For tests and benchmarks: a map of bpf/bridge.bpf.c by name, or -1. */
int bridge_fast_map_fd(const struct bridge_fast *bf, const char *name);

#endif
