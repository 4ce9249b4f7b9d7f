// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* telemetry.bpf.c — residence time and gate conformance (docs/telemetry.md).
 *
 * tsn_xdp stamps every frame it passes up (tsn_xdp_meta.rx_tstamp, in front of
 * the MAC header; skb->tstamp belongs to taprio/etf and is not touched).  The
 * metadata stays in the skb's headroom on both ways to a port's driver: the tc
 * program's bpf_redirect to the egress qdisc, and the kernel's own forwarding
 * (which rewrites the MAC header in place).  So one program suffices:
 *
 *   tele_tx_skb  (tp_btf/net_dev_start_xmit) when the kernel hands a frame to the
 *                driver of a tsnd port (tsnd's network namespace, a port with
 *                histograms): reads the metadata (shinfo->meta_len bytes before
 *                the MAC header), adds now - stamp to the per-CPU histograms of
 *                (egress port, ingress class) and of the stream; on a port with
 *                a schedule, checks the frame's gate at this instant.
 *
 * A stamp older than TSN_TELE_MAX_AGE_NS, or later than now, is not this frame's
 * (counted as unmatched).  Kernel types are declared here with only the fields
 * used and resolved by CO-RE against the running kernel's BTF (6.1 and later).
 */
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tsn/bpf_shared.h"
#include "tsn/bpf_telemetry.h"

struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	int ifindex;
	possible_net_t nd_net;
} __attribute__((preserve_access_index));

struct sk_buff {
	__u32 priority;
	__u16 mac_header;
	unsigned int end;	/* sk_buff_data_t: an offset on 64-bit kernels */
	unsigned char *head;
} __attribute__((preserve_access_index));

struct skb_shared_info {
	__u8 meta_len;
} __attribute__((preserve_access_index));

/* tsnd's network namespace: ifindexes mean something only there. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tsn_tele_cfg);
} tele_cfg SEC(".maps");

/* Entries created by tsnd (one per port and class, one per measured stream): the
 * programs only add to them.  Not preallocated: a histogram is ~3.7 KiB per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TSN_MAX_PORTS * TSN_NUM_TC_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tsn_tele_key);
	__type(value, struct tsn_hist);
} tele_cls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TSN_TELE_MAX_STREAMS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct tsn_hist);
} tele_strm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tsn_tele_totals);
} tele_tot SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TSN_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct tsn_tele_sched);
} tele_sched SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TSN_MAX_PORTS * TSN_NUM_TC_MAX);
	__type(key, struct tsn_tele_key);
	__type(value, struct tsn_tele_conf);
} tele_conf SEC(".maps");

static __always_inline void hist_add(struct tsn_hist *h, __u64 v)
{
	__u32 i = tsn_hist_bucket(v);

	/* Per-CPU values: no other CPU writes this one, plain stores suffice. */
	if (h->count == 0 || v < h->min_ns)
		h->min_ns = v;
	if (v > h->max_ns)
		h->max_ns = v;
	h->count++;
	h->sum_ns += v;
	if (i < TSN_HIST_BUCKETS)
		h->b[i]++;
}

static __always_inline __u64 sched_now(__u8 clock)
{
	if (clock == TSN_TELE_CLK_MONO)
		return bpf_ktime_get_ns();
	if (clock == TSN_TELE_CLK_BOOT)
		return bpf_ktime_get_boot_ns();
	return bpf_ktime_get_tai_ns();
}

/* Binary search for the entry whose end lies after `phase`, one step per
 * bpf_loop iteration: the callback is verified once, not once per path. */
struct gate_search {
	const struct tsn_tele_sched *s;
	__u64 phase;
	__u32 lo, hi;
};

static long gate_step(__u32 idx, void *arg)
{
	struct gate_search *g = arg;
	__u32 mid;

	if (g->lo >= g->hi)
		return 1;
	mid = (g->lo + g->hi) / 2;
	if (g->s->end_ns[mid & (TSN_TELE_MAX_ENTRIES - 1)] > g->phase)
		g->hi = mid;
	else
		g->lo = mid + 1;
	return 0;
}

/* The gates open at offset `phase` into the cycle (9 steps cover 256 entries). */
static __always_inline __u8 gates_at(const struct tsn_tele_sched *s, __u64 phase)
{
	struct gate_search g = { .s = s, .phase = phase, .lo = 0, .hi = s->n };

	if (g.hi > TSN_TELE_MAX_ENTRIES)
		g.hi = TSN_TELE_MAX_ENTRIES;
	bpf_loop(9, gate_step, &g, 0);
	return s->gates[g.lo & (TSN_TELE_MAX_ENTRIES - 1)];
}

static __always_inline __u64 phase_of(__u64 t, __s64 base, __u64 cycle)
{
	__u64 b = (__u64)base;

	if (t >= b)
		return (t - b) % cycle;
	return (cycle - (b - t) % cycle) % cycle;
}

/* Sent while closed: the class's gate is closed now and also `tolerance`
 * before and after (a frame dequeued just before the gate closed, or a clock a
 * little ahead of the qdisc's, is not a violation). */
static __always_inline int sent_closed(const struct tsn_tele_sched *s, __u64 now, __u32 tc)
{
	__u64 tol = s->tolerance_ns % s->cycle_ns;

	if ((gates_at(s, phase_of(now, s->base_ns, s->cycle_ns)) >> tc) & 1)
		return 0;
	if ((gates_at(s, phase_of(now - tol, s->base_ns, s->cycle_ns)) >> tc) & 1)
		return 0;
	return !((gates_at(s, phase_of(now + tol, s->base_ns, s->cycle_ns)) >> tc) & 1);
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(tele_tx_skb, const struct sk_buff *skb, const struct net_device *dev)
{
	struct tsn_tele_key ck = { .ifindex = (__u32)dev->ifindex };
	struct tsn_tele_totals *tot;
	struct skb_shared_info *sh;
	struct tsn_tele_sched *s;
	struct tsn_tele_conf *cf;
	struct tsn_tele_cfg *cfg;
	struct tsn_xdp_meta m;
	struct tsn_hist *h;
	unsigned char *head = skb->head;
	__u64 now, d = 0;
	__u32 zero = 0, stream = 0;
	__u8 meta_len = 0;
	int have = 0;

	cfg = bpf_map_lookup_elem(&tele_cfg, &zero);
	/* Direct loads through BTF pointers (cheaper than probe reads). */
	if (!cfg || dev->nd_net.net->ns.inum != cfg->netns_ino)
		return 0;
	now = bpf_ktime_get_ns();
	sh = (struct skb_shared_info *)(head + skb->end);
	if (!bpf_core_read(&meta_len, sizeof(meta_len), &sh->meta_len) &&
	    meta_len == sizeof(struct tsn_xdp_meta) &&
	    !bpf_probe_read_kernel(&m, sizeof(m), head + skb->mac_header - meta_len) &&
	    m.magic == TSN_META_MAGIC && m.rx_tstamp) {
		ck.tc = m.tc & 7;
		h = bpf_map_lookup_elem(&tele_cls, &ck);
		tot = bpf_map_lookup_elem(&tele_tot, &zero);
		if (h && tot) {	/* a tsnd port */
			tot->stamped++;
			if (now >= m.rx_tstamp && now - m.rx_tstamp < TSN_TELE_MAX_AGE_NS) {
				d = now - m.rx_tstamp;
				have = 1;
				tot->measured++;
				hist_add(h, d);
				stream = (m.flags & TSN_META_STREAM) ? m.stream_id : 0;
			} else {
				tot->unmatched++;
			}
		}
	}
	if (stream) {
		h = bpf_map_lookup_elem(&tele_strm, &stream);
		if (h)
			hist_add(h, d);
	}

	s = bpf_map_lookup_elem(&tele_sched, &ck.ifindex);
	if (!s || !s->cycle_ns)
		return 0;
	ck.tc = s->prio_tc[skb->priority & 15] & 7;
	cf = bpf_map_lookup_elem(&tele_conf, &ck);
	if (!cf)
		return 0;
	if (sent_closed(s, sched_now(s->clock), ck.tc))
		cf->sent_closed++;
	if (have && d > s->cycle_ns)
		cf->over_cycle++;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
