/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* bpf_bridge.h — map layouts of the 802.1Q bridge fast path (bpf/bridge.bpf.c),
 * shared by the BPF programs and the loader (daemon/dataplane/bridge_fast.c).
 * Compiled for the BPF target and the host alike: fixed-width types only.
 *
 * tsn_xdp tail-calls tsn_br_xdp (prog array tsn_br_hook) for frames that are not
 * addressed to the ingress port's own MAC; tsn_tc_ingress tail-calls tsn_br_tc
 * (prog array tsn_br_tc_hook) for frames tsn_br_xdp marked TSN_META_BRIDGE.
 *
 * The tables are generational like the classifier's (bpf_shared.h): every key,
 * or the array index, carries the generation tsn_gen says is active, so a reload
 * switches the bridge's tables with the classifier's in the same store.
 */
#ifndef TSN_BPF_BRIDGE_H
#define TSN_BPF_BRIDGE_H

#include <linux/types.h>

#define TSN_BR_MAX_FDB		1024	/* static entries the fast path holds, per generation */
#define TSN_BR_SLOTS		(2 * TSN_BR_MAX_FDB)	/* index gen * TSN_BR_MAX_FDB + slot */
#define TSN_BR_MAX_PORTS	8	/* egress ports of one entry (TSN_BRIDGE_MAX_FDB_PORTS) */
#define TSN_BR_MAX_VLANS	(2 * 4096)	/* (port, VID) memberships, both generations */

/* Bits of the XDP metadata's flags (struct tsn_xdp_meta) and of the hook's
 * prog-array index; high bits, clear of bpf_shared.h's TSN_META_*. */
#define TSN_META_BRIDGE		0x80	/* egress_ifindex is a tsn_br_ents index: tsn_br_tc */

/* tsn_br_ports flags */
#define TSN_BR_PORT_VLAN_AWARE	0x01	/* the bridge filters VLANs: VIDs, tags per port */

/* "tsn_br_ports": hash keyed by struct tsn_port_key (ifindex, generation): the
 * bridge ports the fast path knows.  No entry: frames go to the kernel. */
struct tsn_br_port {
	__u16 pvid;			/* VID of untagged and priority-tagged frames, 0: none */
	__u8 default_prio;		/* priority of untagged frames */
	__u8 flags;			/* TSN_BR_PORT_* */
	__u8 pcp_prio[8];		/* tagged frames: PCP -> priority */
};

/* "tsn_br_vlans": hash, value __u8 (1): the port is a member of the VID. */
struct tsn_br_vlan_key {
	__u32 ifindex;
	__u16 vid;
	__u8 gen;
	__u8 pad;
};

/* "tsn_br_fdb": hash, key (dst MAC, VID, generation) -> __u32 slot (0 ..
 * TSN_BR_MAX_FDB - 1).  vid is 0 on a bridge without VLAN filtering. */
struct tsn_br_fdb_key {
	__u8 mac[6];
	__u16 vid;
	__u8 gen;
	__u8 pad[3];
};

#define TSN_BR_ENT_VLAN_AWARE	0x01	/* frames carry the entry's tag between XDP and egress */

/* "tsn_br_ents": array of TSN_BR_SLOTS: a static entry's egress ports.  The
 * devmap the XDP path broadcasts to (tsn_br_devs, same index) holds the same
 * ports; the tc path (gated classes) walks this list. */
struct tsn_br_ent {
	__u32 ifindex[TSN_BR_MAX_PORTS];
	__u16 vid;			/* VID the frames leave with (tagged members) */
	__u8 n_ports;
	__u8 untagged;			/* bit i: ifindex[i] sends the VID untagged */
	__u8 gated_prios;		/* bit p: priority p's class is gated on some egress port */
	__u8 flags;			/* TSN_BR_ENT_* */
	__u8 pad[2];
};

/* "tsn_br_stats": per-CPU hash keyed by the entry (MAC, VID), not by generation,
 * so that counters carry over reloads; created by tsnd, updated by tsn_br_xdp. */
struct tsn_br_cnt_key {
	__u8 mac[6];
	__u16 vid;
};

struct tsn_br_counters {
	__u64 packets;
	__u64 bytes;
};

/* What tsn_br_xdp did with a frame (index into the per-CPU array
 * "tsn_br_verdicts").  PASS_* hand the frame to the kernel (its bridge) as
 * tsn_xdp left it. */
enum tsn_br_verdict {
	TSN_BR_FWD_XDP = 0,		/* forwarded by devmap broadcast */
	TSN_BR_FWD_QDISC,		/* forwarded through tc and each egress qdisc (gated class) */
	TSN_BR_DROP_HAIRPIN,		/* the entry's only port is the ingress port */
	TSN_BR_DROP_ERROR,		/* the frame's head could not be moved */
	TSN_BR_PASS_NOT_BRIDGED,	/* the ingress port is no bridge port in the fast path */
	TSN_BR_PASS_LINK_LOCAL,		/* 01:80:c2:00:00:0x (STP, LLDP, PTP peer delay, ...) */
	TSN_BR_PASS_MALFORMED,		/* shorter than its tag, or a group source MAC */
	TSN_BR_PASS_QINQ,		/* outer tag 802.1ad (0x88a8): not handled here */
	TSN_BR_PASS_VLAN,		/* no PVID, VID 4095, or the port is not in the VID */
	TSN_BR_PASS_MISS,		/* no static entry for (dst MAC, VID): learning, flooding */
	TSN_BR_PASS_NO_META,		/* gated class but no XDP metadata on this driver */
	TSN_BR_VERDICTS
};

#endif
