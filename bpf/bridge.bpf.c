// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* bridge.bpf.c — the 802.1Q bridge's fast path for static filtering entries.
 *
 * tsn_br_xdp (XDP, tail-called by tsn_xdp for frames not addressed to the
 *   ingress port's own MAC, tsn_xdp's metadata in front): a frame whose
 *   (destination MAC, VID) hits a static entry is forwarded here, to one port or
 *   several at once: the frame is brought into the entry's form (on a VLAN-aware
 *   bridge tagged with the entry's VID and PCP = its priority) and broadcast over
 *   the entry's own devmap, never back out of the ingress port; each untagged
 *   member's devmap entry runs tsn_br_untag, which takes the tag off for that
 *   port only.  A class the egress port's schedule gates goes through the egress
 *   qdisc instead: XDP_PASS with TSN_META_BRIDGE, and tsn_br_tc takes it from
 *   there.  Everything else goes to the kernel's bridge unchanged
 *   (enum tsn_br_verdict says why).
 * tsn_br_untag (devmap egress): pops the tag the ingress side put in.
 * tsn_br_tc (tc ingress, tail-called by tsn_tc_ingress for TSN_META_BRIDGE):
 *   one bpf_clone_redirect per egress port but the last, which takes the frame
 *   itself (bpf_redirect): each copy goes through dev_queue_xmit, hence through
 *   its port's qdisc (taprio), tagged or untagged as that port wants.
 *
 * Layouts: include/tsn/bpf_bridge.h.  Design: docs/dataplane.md, "Bridge fast path".
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "tsn/bpf_shared.h"
#include "tsn/bpf_bridge.h"

#define VLAN_HLEN 4
#define VLAN_VID_MASK 0x0fff
#define VLAN_DEI 0x1000

/* tsnd reuses tsn_xdp's tsn_gen for this map (bpf_map__reuse_fd): one store
 * switches both programs' tables. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tsn_gen);
} tsn_gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * TSN_MAX_PORTS);
	__type(key, struct tsn_port_key);
	__type(value, struct tsn_br_port);
} tsn_br_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TSN_BR_MAX_VLANS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tsn_br_vlan_key);
	__type(value, __u8);
} tsn_br_vlans SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TSN_BR_SLOTS);
	__type(key, struct tsn_br_fdb_key);
	__type(value, __u32);
} tsn_br_fdb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TSN_BR_SLOTS);
	__type(key, __u32);
	__type(value, struct tsn_br_ent);
} tsn_br_ents SEC(".maps");

/* One devmap per entry (the ports a broadcast reaches), same index as tsn_br_ents. */
struct br_devmap {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, TSN_BR_MAX_PORTS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct bpf_devmap_val));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, TSN_BR_SLOTS);
	__type(key, __u32);
	__array(values, struct br_devmap);
} tsn_br_devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TSN_BR_MAX_FDB);
	__type(key, struct tsn_br_cnt_key);
	__type(value, struct tsn_br_counters);
} tsn_br_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TSN_BR_VERDICTS);
	__type(key, __u32);
	__type(value, __u64);
} tsn_br_verdicts SEC(".maps");

static __always_inline int count(__u32 v, int action)
{
	__u64 *c = bpf_map_lookup_elem(&tsn_br_verdicts, &v);

	if (c)
		(*c)++;
	return action;
}

/* 01:80:c2:00:00:00..0f: the reserved addresses a bridge never forwards (STP,
 * LLDP, 802.1X, PTP peer delay, ...): the kernel's business. */
static __always_inline int link_local(const __u8 *d)
{
	return d[0] == 0x01 && d[1] == 0x80 && d[2] == 0xc2 && d[3] == 0 && d[4] == 0 &&
	       (d[5] & 0xf0) == 0;
}

SEC("xdp")
int tsn_br_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct tsn_xdp_meta *m = (void *)(long)ctx->data_meta;
	__u32 ifindex = ctx->ingress_ifindex, zero = 0, gen, idx, len;
	struct tsn_br_fdb_key fk = {};
	struct tsn_br_cnt_key ck;
	struct tsn_br_counters *bc;
	struct tsn_br_port *bp;
	struct tsn_br_ent *ent;
	struct tsn_gen *g;
	__u8 *p = data;
	__u16 tci = 0, vid = 0;
	__u32 *slot;
	void *devs;
	int tagged, aware, has_meta, gated;
	__u8 prio;

	if (data + ETH_HLEN > end)
		return count(TSN_BR_PASS_MALFORMED, XDP_PASS);
	if (link_local(p))
		return count(TSN_BR_PASS_LINK_LOCAL, XDP_PASS);
	g = bpf_map_lookup_elem(&tsn_gen, &zero);
	gen = g ? g->active & 1 : 0;
	{
		struct tsn_port_key pk = { .ifindex = ifindex, .gen = gen };

		bp = bpf_map_lookup_elem(&tsn_br_ports, &pk);
	}
	if (!bp)
		return count(TSN_BR_PASS_NOT_BRIDGED, XDP_PASS);
	if (p[6] & 1)
		return count(TSN_BR_PASS_MALFORMED, XDP_PASS);	/* group source address */
	if (*(__be16 *)(p + 12) == bpf_htons(ETH_P_8021AD))
		return count(TSN_BR_PASS_QINQ, XDP_PASS);
	tagged = *(__be16 *)(p + 12) == bpf_htons(ETH_P_8021Q);
	if (tagged) {
		if (data + ETH_HLEN + VLAN_HLEN > end)
			return count(TSN_BR_PASS_MALFORMED, XDP_PASS);
		tci = bpf_ntohs(*(__be16 *)(p + 14));
	}
	aware = bp->flags & TSN_BR_PORT_VLAN_AWARE;
	if (aware) {
		struct tsn_br_vlan_key vk = { .ifindex = ifindex, .gen = (__u8)gen };

		/* Untagged and priority-tagged (VID 0) frames belong to the PVID. */
		vid = tci & VLAN_VID_MASK;
		if (!tagged || vid == 0)
			vid = bp->pvid;
		if (vid == 0 || vid >= VLAN_VID_MASK)
			return count(TSN_BR_PASS_VLAN, XDP_PASS);
		vk.vid = vid;
		if (!bpf_map_lookup_elem(&tsn_br_vlans, &vk))
			return count(TSN_BR_PASS_VLAN, XDP_PASS);
	}
	/* 802.1Q priority: the tag's PCP through the port's map, else its default;
	 * a stream tsn_xdp identified brings its own. */
	{
		__u32 pcp = tci >> 13;

		/* 6.1's verifier does not bound a byte swap's result (tci), and
		 * the compiler drops a plain & 7: mask where the verifier sees it. */
		asm volatile("%0 &= 7" : "+r"(pcp));
		prio = tagged ? bp->pcp_prio[pcp] : bp->default_prio;
	}
	has_meta = (void *)(m + 1) <= data && m->magic == TSN_META_MAGIC;
	if (has_meta && (m->flags & TSN_META_STREAM))
		prio = m->priority;
	prio &= 7;

	__builtin_memcpy(fk.mac, p, 6);
	fk.vid = vid;
	fk.gen = (__u8)gen;
	slot = bpf_map_lookup_elem(&tsn_br_fdb, &fk);
	if (!slot)
		return count(TSN_BR_PASS_MISS, XDP_PASS);
	idx = gen * TSN_BR_MAX_FDB + (*slot & (TSN_BR_MAX_FDB - 1));
	ent = bpf_map_lookup_elem(&tsn_br_ents, &idx);
	if (!ent || ent->n_ports == 0)
		return count(TSN_BR_PASS_MISS, XDP_PASS);
	/* A known destination behind the port it came from: filtered, as the
	 * kernel's bridge does (no hairpin). */
	if (ent->n_ports == 1 && ent->ifindex[0] == ifindex)
		return count(TSN_BR_DROP_HAIRPIN, XDP_DROP);
	gated = (ent->gated_prios >> prio) & 1;
	if (gated && !has_meta)
		return count(TSN_BR_PASS_NO_META, XDP_PASS);
	if (!gated && !bpf_map_lookup_elem(&tsn_br_devs, &idx))
		return count(TSN_BR_PASS_MISS, XDP_PASS);

	len = (__u32)(end - data);
	__builtin_memcpy(ck.mac, p, 6);
	ck.vid = vid;
	bc = bpf_map_lookup_elem(&tsn_br_stats, &ck);
	if (bc) {
		bc->packets++;
		bc->bytes += len;
	}

	/* On a VLAN-aware bridge the frame leaves XDP tagged with the entry's VID
	 * and PCP = its priority (DEI kept); untagged members pop it on egress. */
	if (aware) {
		__u16 out = (__u16)((tci & VLAN_DEI) | (__u16)prio << 13 | vid);

		if (!tagged) {
			if (bpf_xdp_adjust_head(ctx, -VLAN_HLEN))
				return count(TSN_BR_DROP_ERROR, XDP_DROP);
			data = (void *)(long)ctx->data;
			end = (void *)(long)ctx->data_end;
			if (data + ETH_HLEN + VLAN_HLEN > end)
				return count(TSN_BR_DROP_ERROR, XDP_DROP);
			p = data;
			/* The MACs move 4 bytes to the front (no overlap hazard:
			 * front to back). */
			*(__u32 *)p = *(__u32 *)(p + 4);
			*(__u32 *)(p + 4) = *(__u32 *)(p + 8);
			*(__u32 *)(p + 8) = *(__u32 *)(p + 12);
			*(__be16 *)(p + 12) = bpf_htons(ETH_P_8021Q);
		}
		if (data + ETH_HLEN + VLAN_HLEN > end)
			return count(TSN_BR_DROP_ERROR, XDP_DROP);
		*(__be16 *)(p + 14) = bpf_htons(out);
	}

	if (gated) {
		/* bpf_xdp_adjust_head carried the metadata along; find it again. */
		m = (void *)(long)ctx->data_meta;
		if ((void *)(m + 1) > data)
			return count(TSN_BR_DROP_ERROR, XDP_DROP);
		m->flags = (m->flags & ~TSN_META_TO_QDISC) | TSN_META_BRIDGE;
		m->egress_ifindex = idx;
		m->priority = prio;
		return count(TSN_BR_FWD_QDISC, XDP_PASS);
	}
	/* Looked up again here: 6.1's verifier loses which path left devs NULL. */
	devs = bpf_map_lookup_elem(&tsn_br_devs, &idx);
	if (!devs)
		return count(TSN_BR_DROP_ERROR, XDP_DROP);
	count(TSN_BR_FWD_XDP, 0);
	return (int)bpf_redirect_map(devs, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
}

/* Devmap egress program of an untagged member: the frame leaves without the
 * tag tsn_br_xdp put in. */
SEC("xdp/devmap")
int tsn_br_untag(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if (data + ETH_HLEN + VLAN_HLEN > end || *(__be16 *)(p + 12) != bpf_htons(ETH_P_8021Q))
		return XDP_PASS;
	/* The MACs move 4 bytes to the back, over the tag: back to front. */
	*(__u32 *)(p + 12) = *(__u32 *)(p + 8);
	*(__u32 *)(p + 8) = *(__u32 *)(p + 4);
	*(__u32 *)(p + 4) = *(__u32 *)p;
	if (bpf_xdp_adjust_head(ctx, VLAN_HLEN))
		return XDP_DROP;
	return XDP_PASS;
}

/* At tc the outer tag is in skb->vlan_tci (the receive path took it out of the
 * bytes).  Make the copy for one port tagged with tci, or untagged. */
static __always_inline int set_tag(struct __sk_buff *skb, int want, __u16 tci)
{
	if (want == (int)skb->vlan_present)
		return 0;
	if (!want)
		return (int)bpf_skb_vlan_pop(skb);
	return (int)bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), tci);
}

SEC("tc")
int tsn_br_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	struct tsn_xdp_meta *m = (void *)(long)skb->data_meta;
	struct tsn_br_ent *ent;
	__u32 idx, in = skb->ifindex, n, last = TSN_BR_MAX_PORTS;
	__u16 tci;
	int aware;

	if ((void *)(m + 1) > data || m->magic != TSN_META_MAGIC || !(m->flags & TSN_META_BRIDGE))
		return TC_ACT_OK;
	idx = m->egress_ifindex;
	skb->priority = m->priority;
	ent = bpf_map_lookup_elem(&tsn_br_ents, &idx);
	if (!ent)
		return TC_ACT_OK;
	aware = ent->flags & TSN_BR_ENT_VLAN_AWARE;
	tci = (__u16)skb->vlan_tci;
	n = ent->n_ports < TSN_BR_MAX_PORTS ? ent->n_ports : TSN_BR_MAX_PORTS;
	/* The last port the frame goes to takes the frame itself. */
	for (__u32 i = 0; i < TSN_BR_MAX_PORTS; i++)
		if (i < n && ent->ifindex[i] != in)
			last = i;
	if (last >= TSN_BR_MAX_PORTS)
		return TC_ACT_SHOT;
	for (__u32 i = 0; i < TSN_BR_MAX_PORTS; i++) {
		if (i >= last)
			break;
		if (ent->ifindex[i] == in)
			continue;
		/* Egress, flags 0: dev_queue_xmit, so the copy meets the qdisc. */
		if (aware && set_tag(skb, !((ent->untagged >> i) & 1), tci))
			continue;
		bpf_clone_redirect(skb, ent->ifindex[i], 0);
	}
	if (aware && set_tag(skb, !((ent->untagged >> last) & 1), tci))
		return TC_ACT_SHOT;
	return (int)bpf_redirect(ent->ifindex[last], 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
