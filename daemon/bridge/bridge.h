/* SPDX-License-Identifier: GPL-2.0-only */
/* bridge.h — 802.1Q bridging's slow path on the kernel's own bridge
 * (docs/bridge.md).
 *
 * tsnd creates the configured Linux bridge (or adopts one that exists),
 * enslaves the ports, programs VLAN filtering, per-port VLANs, static FDB
 * entries (unicast) and MDB entries (multicast MACs) over route netlink, and
 * reads all of it back: a difference from the running configuration is drift
 * (state, one log line per change, a metric).  Learning, flooding and the rest
 * stay the kernel bridge's.
 *
 * One transaction step (txn.c): bridge_prepare compares the configuration
 * with the kernel and plans every change with its exact undo; bridge_apply
 * carries the plan out (all or nothing); bridge_abort plays the undo journal
 * back, last first; bridge_commit keeps the new ownership.  A bridge tsnd
 * created is deleted when the section goes; an adopted one keeps its own
 * settings and the ports it had.
 */
#ifndef TSND_BRIDGE_H
#define TSND_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "tsn/config.h"

struct bridge;
struct evloop;

/* NULL with a reason in err.  loop may be NULL (no drift poll: tests). */
struct bridge *bridge_new(struct evloop *loop, char *err, size_t errlen);
void bridge_free(struct bridge *b);

/* old: the running configuration (NULL at start: nothing is tsnd's yet).
 * 0, or -1 with the reason in err (at the field's file:line when a field is
 * to blame). */
int bridge_prepare(struct bridge *b, const struct tsn_config *old, const struct tsn_config *cfg, char *err,
		   size_t errlen);
int bridge_apply(struct bridge *b, char *err, size_t errlen);
void bridge_abort(struct bridge *b);
void bridge_commit(struct bridge *b, const struct tsn_config *cfg);
/* Shutdown: remove what tsnd made (as if the section went), unless keep. */
void bridge_release(struct bridge *b, const struct tsn_config *running, bool keep);

/* Whether tsnd turned port's VLAN transmit offload off (a veth bridge port:
 * docs/bridge.md, "The VLAN tag over veth"); it goes on again when the port
 * leaves tsnd's bridge. */
bool bridge_txvlan_off(const struct bridge *b, const char *port);

/* Read back now and update the drift state.  0, or a negative errno. */
int bridge_refresh(struct bridge *b);

/* bridge.show (and the metrics): the configured bridge as the kernel has it,
 * docs/control-protocol.md. */
json_object *bridge_show_json(struct bridge *b);
/* fdb.show: static and learnt entries, with the fast path's counters. */
struct bridge_fast;
/* fast: the data plane's XDP bridge path (dataplane_bridge()), NULL when it is
 * not loaded; its per-entry counters go into each configured entry. */
json_object *bridge_fdb_json(struct bridge *b, const struct bridge_fast *fast);

#endif
