// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* frer.bpf.c — IEEE 802.1CB Frame Replication and Elimination for Reliability.
 *
 * frer_xdp (XDP): the per-frame functions of a stream, in 802.1CB's order:
 *   individual recovery (per ingress port), sequence recovery (Vector or Match
 *   algorithm, reset timer, latent error detection) and R-TAG decode on the
 *   listener's side; sequence generation and R-TAG encode on the talker's side.
 *   Duplicates and rogue frames end here (XDP_DROP), everything else passes with
 *   tsnd's metadata (struct tsn_xdp_meta) in front.  The stream comes from that
 *   metadata (tsn_xdp, which tail-calls this program) or, without metadata, from
 *   null stream identification in frer_ident.
 * frer_tc (tc ingress, direct action, in front of tsn_tc_ingress): stream
 *   splitting.  One bpf_clone_redirect per egress port but the last, which takes
 *   the frame itself (bpf_redirect): each copy goes through dev_queue_xmit, hence
 *   through the egress port's qdisc (taprio gates).  Frames of no split stream get
 *   TC_ACT_UNSPEC: the next filter (tsn_tc_ingress) decides.
 *
 * Map layouts: include/tsn/bpf_frer.h.  Design: docs/frer.md.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "tsn/bpf_shared.h"
#include "tsn/bpf_frer.h"

#define VLAN_HLEN 4
#define VLAN_VID_MASK 0x0fff
#define MAX_VLAN_TAGS 2

/* Whether this kernel lets an XDP program reserve metadata: tsnd sets it from
 * dataplane_xdp_meta_ok() before the load; 0 keeps bpf_xdp_adjust_meta off every
 * path the verifier walks (a kernel may refuse the helper). */
const volatile __u8 frer_xdp_meta = 1;

/* Tables written by tsnd only are not preallocated: a preallocated hash of
 * 65536 entries costs 15-60 ms to create at every start, and an element
 * allocated when tsnd writes it costs no more to look up. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TSN_FRER_MAX_STREAMS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct tsn_frer_stream);
} frer_streams SEC(".maps");

/* Not preallocated: member streams appear with their first frame. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TSN_FRER_MAX_INDIV);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tsn_frer_indiv_key);
	__type(value, struct tsn_frer_indiv);
} frer_indiv SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TSN_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct tsn_frer_counters);
} frer_port_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TSN_FRER_MAX_STREAMS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct tsn_frer_split);
} frer_split SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TSN_FRER_MAX_STREAMS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tsn_frer_ident_key);
	__type(value, __u32);
} frer_ident SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} frer_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} frer_clock SEC(".maps");

static const struct tsn_frer_counters zero_counters;
static const struct tsn_frer_indiv zero_indiv;

static __always_inline __u64 frer_now(void)
{
	__u32 zero = 0;
	__u64 *t = bpf_map_lookup_elem(&frer_clock, &zero);

	return t && *t ? *t : bpf_ktime_get_ns();
}

/* Bits set in v (the BPF ISA has no population count). */
static __always_inline __u32 popcount64(__u64 v)
{
	v = v - ((v >> 1) & 0x5555555555555555ULL);
	v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (__u32)((v * 0x0101010101010101ULL) >> 56);
}

#define RCVY_PASS 1
#define RCVY_DISCARD 0

/* What one frame did to a recovery function, for the per-port counters. */
struct outcome {
	__u32 passed, discarded, out_of_order, rogue, tagless, resets;
	__u64 lost;
};

static __always_inline void rcvy_reset(struct tsn_frer_rcvy *r)
{
	r->hist = 0;
	r->synced = 0;
	r->valid = 0;
}

/* The reset timer: frerSeqRcvyResetMSec after the last passed frame the function
 * takes any sequence number again.  Evaluated when the next frame arrives (the
 * effect on frames is the same; the reset is counted then). */
static __always_inline void rcvy_timer(struct tsn_frer_rcvy *r, __u64 reset_ns, __u64 now,
				       __u64 *resets, struct outcome *o)
{
	/* The clock is read before the lock: another CPU may have passed a frame at a
	 * later time meanwhile.  An earlier time than the last pass is no timeout. */
	if (r->synced && reset_ns && now > r->last_ns && now - r->last_ns >= reset_ns) {
		rcvy_reset(r);
		(*resets)++;
		o->resets++;
	}
}

/* VectorRecoveryAlgorithm (802.1CB 7.4.3.4) with a history of hl (2..64) numbers. */
static __always_inline int rcvy_vector(struct tsn_frer_rcvy *r, __u16 seq, __u32 hl,
				       struct tsn_frer_counters *c, struct outcome *o)
{
	__s32 delta = (__s16)(__u16)(seq - r->seq);

	if (!r->synced) {
		r->seq = seq;
		r->hist = 1;
		r->valid = 1;
		r->synced = 1;
		return RCVY_PASS;
	}
	if (delta >= (__s32)hl || delta <= -(__s32)hl) {
		c->rogue++;
		o->rogue++;
		return RCVY_DISCARD;
	}
	if (delta <= 0) {
		__u64 bit = 1ULL << ((__u32)-delta & 63);

		if (r->hist & bit) {
			c->discarded++;
			o->discarded++;
			return RCVY_DISCARD;
		}
		r->hist |= bit;
		c->out_of_order++;
		o->out_of_order++;
		return RCVY_PASS;
	}
	/* Newer: positions hl - delta .. hl - 1 leave the window.  Those filled since
	 * the reset and never passed are lost (not the unfilled ones after a reset). */
	__u32 d = (__u32)delta & 63, lo = hl - d, hi = r->valid < hl ? r->valid : hl;

	if (hi > lo) {
		__u64 m = (hi >= 64 ? ~0ULL : ((1ULL << hi) - 1)) & ~((1ULL << lo) - 1);
		__u32 lost = (hi - lo) - popcount64(r->hist & m);

		c->lost += lost;
		o->lost += lost;
	}
	if (d != 1) {
		c->out_of_order++;
		o->out_of_order++;
	}
	r->hist = (r->hist << d) | 1;
	if (hl < 64)
		r->hist &= (1ULL << hl) - 1;
	r->valid = r->valid + d < hl ? r->valid + d : hl;
	r->seq = seq;
	return RCVY_PASS;
}

/* MatchRecoveryAlgorithm (802.1CB 7.4.3.5): only a repeat of the last number is a
 * duplicate; anything else passes (out of order if not the next one). */
static __always_inline int rcvy_match(struct tsn_frer_rcvy *r, __u16 seq, struct tsn_frer_counters *c,
				      struct outcome *o)
{
	if (r->synced && seq == r->seq) {
		c->discarded++;
		o->discarded++;
		return RCVY_DISCARD;
	}
	if (r->synced && seq != (__u16)(r->seq + 1)) {
		c->out_of_order++;
		o->out_of_order++;
	}
	r->seq = seq;
	r->synced = 1;
	return RCVY_PASS;
}

/* One recovery function on one frame: reset timer, then the algorithm. */
static __always_inline int rcvy_run(struct tsn_frer_rcvy *r, const struct tsn_frer_cfg *cfg, __u16 seq,
				    __u64 now, struct tsn_frer_counters *c, struct outcome *o)
{
	__u32 hl = cfg->history;
	int v;

	rcvy_timer(r, cfg->reset_ns, now, &c->resets, o);
	if (hl < TSN_FRER_HIST_MIN)
		hl = TSN_FRER_HIST_MIN;
	if (hl > TSN_FRER_HIST_MAX)
		hl = TSN_FRER_HIST_MAX;
	if (cfg->algorithm == TSN_FRER_ALG_MATCH)
		v = rcvy_match(r, seq, c, o);
	else
		v = rcvy_vector(r, seq, hl, c, o);
	if (v == RCVY_PASS) {
		if (now > r->last_ns)
			r->last_ns = now;
		c->passed++;
		o->passed++;
	}
	return v;
}

/* Latent error detection (802.1CB 7.4.4): with `paths` working paths every passed
 * frame has paths - 1 discarded duplicates, so passed * (paths - 1) - discarded
 * stays where the last reset left it.  Tested each period (when a frame of the
 * stream arrives), rebased each reset period.  Returns the difference to report,
 * or -1. */
static __always_inline __s64 latent_check(struct tsn_frer_stream *s, __u64 now)
{
	__s64 cur = (__s64)(s->c.passed * (__u64)(s->cfg.lat_paths ? s->cfg.lat_paths - 1 : 0)) -
		    (__s64)s->c.discarded;
	__s64 diff, ret = -1;

	if (!s->lat_next_test_ns) {
		s->lat_base = cur;
		s->lat_next_test_ns = now + s->cfg.lat_period_ns;
		s->lat_next_reset_ns = now + s->cfg.lat_reset_ns;
		return -1;
	}
	if (now >= s->lat_next_test_ns) {
		diff = s->lat_base - cur;
		if (diff < 0)
			diff = -diff;
		if (diff > (__s64)s->cfg.lat_difference) {
			s->c.latent_errors++;
			ret = diff;
		}
		s->lat_next_test_ns = now + s->cfg.lat_period_ns;
	}
	if (now >= s->lat_next_reset_ns) {
		s->lat_base = cur;
		s->c.latent_error_resets++;
		s->lat_next_reset_ns = now + s->cfg.lat_reset_ns;
	}
	return ret;
}

static __always_inline void add_port(__u32 ifindex, const struct outcome *o, __u32 generated, __u32 enc_err)
{
	struct tsn_frer_counters *pc = bpf_map_lookup_elem(&frer_port_stats, &ifindex);

	if (!pc) {
		bpf_map_update_elem(&frer_port_stats, &ifindex, &zero_counters, BPF_NOEXIST);
		pc = bpf_map_lookup_elem(&frer_port_stats, &ifindex);
		if (!pc)
			return;
	}
	/* Per-CPU values: plain adds. */
	pc->passed += o->passed;
	pc->discarded += o->discarded;
	pc->out_of_order += o->out_of_order;
	pc->rogue += o->rogue;
	pc->lost += o->lost;
	pc->tagless += o->tagless;
	pc->resets += o->resets;
	pc->generated += generated;
	pc->encode_errored += enc_err;
}

/* Move the first n bytes of the frame (MACs and tags) by RTAG_LEN, through the
 * stack: constant sizes, so the copies are inlined and bounds-checked. */
#define MOVE_HDR(dst, src, n)                                   \
	do {                                                    \
		__u8 tmp_[n];                                   \
		__builtin_memcpy(tmp_, (src), n);               \
		__builtin_memcpy((dst), tmp_, n);               \
	} while (0)

/* Insert an R-TAG after the MAC addresses and ntags VLAN tags. */
static __always_inline int rtag_insert(struct xdp_md *ctx, __u32 ntags, __u16 seq)
{
	void *data, *end;
	__u8 *t;

	if (bpf_xdp_adjust_head(ctx, -TSN_FRER_RTAG_LEN))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (ntags == 0) {
		if (data + TSN_FRER_RTAG_LEN + 12 > end)
			return -1;
		MOVE_HDR(data, data + TSN_FRER_RTAG_LEN, 12);
		t = data + 12;
	} else if (ntags == 1) {
		if (data + TSN_FRER_RTAG_LEN + 16 > end)
			return -1;
		MOVE_HDR(data, data + TSN_FRER_RTAG_LEN, 16);
		t = data + 16;
	} else {
		if (data + TSN_FRER_RTAG_LEN + 20 > end)
			return -1;
		MOVE_HDR(data, data + TSN_FRER_RTAG_LEN, 20);
		t = data + 20;
	}
	t[0] = TSN_FRER_ETH_P_RTAG >> 8;
	t[1] = TSN_FRER_ETH_P_RTAG & 0xff;
	t[2] = 0;
	t[3] = 0;
	t[4] = (__u8)(seq >> 8);
	t[5] = (__u8)seq;
	return 0;
}

/* Remove the R-TAG that follows the MAC addresses and ntags VLAN tags. */
static __always_inline int rtag_remove(struct xdp_md *ctx, __u32 ntags)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (ntags == 0) {
		if (data + 12 + TSN_FRER_RTAG_LEN > end)
			return -1;
		MOVE_HDR(data + TSN_FRER_RTAG_LEN, data, 12);
	} else if (ntags == 1) {
		if (data + 16 + TSN_FRER_RTAG_LEN > end)
			return -1;
		MOVE_HDR(data + TSN_FRER_RTAG_LEN, data, 16);
	} else {
		if (data + 20 + TSN_FRER_RTAG_LEN > end)
			return -1;
		MOVE_HDR(data + TSN_FRER_RTAG_LEN, data, 20);
	}
	return bpf_xdp_adjust_head(ctx, TSN_FRER_RTAG_LEN);
}

struct l2 {
	__u32 ntags;		/* VLAN tags before the EtherType (0..2) */
	__u32 type_off;		/* offset of that EtherType */
	__u16 vid;		/* outer VID, TSN_FRER_VID_UNTAGGED if none */
	__u16 seq;
	__u8 rtag;		/* an R-TAG follows the tags */
	__u8 cut;		/* the frame ends inside the R-TAG */
};

static __always_inline int parse_l2(void *data, void *end, struct l2 *l)
{
	__u8 *p = data;
	__u16 type;

	if (data + ETH_HLEN > end)
		return -1;
	l->vid = TSN_FRER_VID_UNTAGGED;
	l->type_off = 12;
	type = ((__u16)p[12] << 8) | p[13];
#pragma unroll
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		if (type != ETH_P_8021Q && type != ETH_P_8021AD)
			break;
		if (data + l->type_off + VLAN_HLEN + 2 > end)
			return -1;
		p = data + l->type_off;
		if (i == 0)
			l->vid = (((__u16)p[2] << 8) | p[3]) & VLAN_VID_MASK;
		type = ((__u16)p[4] << 8) | p[5];
		l->type_off += VLAN_HLEN;
		l->ntags++;
	}
	if (type == TSN_FRER_ETH_P_RTAG) {
		/* The R-TAG plus the EtherType behind it. */
		if (data + l->type_off + TSN_FRER_RTAG_LEN + 2 > end) {
			l->cut = 1;
			return 0;
		}
		p = data + l->type_off;
		l->rtag = 1;
		l->seq = ((__u16)p[4] << 8) | p[5];
	}
	return 0;
}

/* The stream of the frame: tsn_xdp's metadata, else null stream identification. */
static __always_inline __u32 frame_stream(struct xdp_md *ctx, const struct l2 *l, int *has_meta)
{
	void *data = (void *)(long)ctx->data;
	struct tsn_xdp_meta *m = (void *)(long)ctx->data_meta;
	struct tsn_frer_ident_key k = { .vid = l->vid };
	__u32 *sid;

	*has_meta = 0;
	/* tsn_xdp's metadata in front of the frame (reserve_meta makes it exactly one). */
	if ((void *)(m + 1) <= data && m->magic == TSN_META_MAGIC) {
		*has_meta = 1;
		if (m->flags & TSN_META_STREAM)
			return m->stream_id;
	}
	if (data + ETH_HLEN > (void *)(long)ctx->data_end)
		return 0;
	__builtin_memcpy(k.mac, data, 6);
	sid = bpf_map_lookup_elem(&frer_ident, &k);
	return sid ? *sid : 0;
}

/* Individual recovery (802.1CB 7.5) of the member stream arriving on ifindex. */
static __always_inline int indiv_run(__u32 sid, __u32 ifindex, const struct tsn_frer_cfg *cfg, __u16 seq,
				     __u64 now)
{
	struct tsn_frer_indiv_key k = { .stream_id = sid, .ifindex = ifindex };
	struct tsn_frer_indiv *ind = bpf_map_lookup_elem(&frer_indiv, &k);
	struct outcome o = {};
	int v;

	if (!ind) {
		bpf_map_update_elem(&frer_indiv, &k, &zero_indiv, BPF_NOEXIST);
		ind = bpf_map_lookup_elem(&frer_indiv, &k);
		if (!ind)
			return RCVY_PASS;	/* table full: the sequence recovery still runs */
	}
	bpf_spin_lock(&ind->lock);
	v = rcvy_run(&ind->rcvy, cfg, seq, now, &ind->c, &o);
	bpf_spin_unlock(&ind->lock);
	return v;
}

SEC("xdp")
int frer_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 ifindex = ctx->ingress_ifindex, sid;
	struct tsn_frer_stream *s;
	struct tsn_frer_event *ev;
	struct tsn_xdp_meta *m;
	struct outcome o = {}, none = {};
	struct tsn_frer_cfg cfg;
	__u64 ev_passed = 0, ev_discarded = 0;
	struct l2 l = {};
	__s64 latent = -1;
	int has_meta, v = RCVY_PASS;
	__u64 now;

	if (parse_l2(data, end, &l))
		return XDP_PASS;
	sid = frame_stream(ctx, &l, &has_meta);
	if (!sid)
		return XDP_PASS;
	s = bpf_map_lookup_elem(&frer_streams, &sid);
	if (!s)
		return XDP_PASS;
	cfg = s->cfg;
	now = frer_now();

	if (l.cut) {
		/* An R-TAG the frame cuts short: not a sequence number anyone can use. */
		__sync_fetch_and_add(&s->c.encode_errored, 1);
		add_port(ifindex, &o, 0, 1);
		return XDP_DROP;
	}

	if (cfg.flags & TSN_FRER_RCVY) {
		if (!l.rtag) {
			o.tagless = 1;
			if (cfg.flags & TSN_FRER_TAKE_NO_SEQ)
				o.passed = 1;
			bpf_spin_lock(&s->lock);
			s->c.tagless++;
			s->c.passed += o.passed;
			bpf_spin_unlock(&s->lock);
			add_port(ifindex, &o, 0, 0);
			if (!o.passed)
				return XDP_DROP;
		} else {
			if ((cfg.flags & TSN_FRER_INDIV) && indiv_run(sid, ifindex, &cfg, l.seq, now) != RCVY_PASS) {
				/* Counted in the member stream (frer_indiv) only. */
				return XDP_DROP;
			}
			bpf_spin_lock(&s->lock);
			v = rcvy_run(&s->rcvy, &cfg, l.seq, now, &s->c, &o);
			if (cfg.flags & TSN_FRER_LATENT)
				latent = latent_check(s, now);
			ev_passed = s->c.passed;
			ev_discarded = s->c.discarded;
			bpf_spin_unlock(&s->lock);
			add_port(ifindex, &o, 0, 0);
			if (latent >= 0) {
				ev = bpf_ringbuf_reserve(&frer_events, sizeof(*ev), 0);
				if (ev) {
					ev->ns = now;
					ev->stream_id = sid;
					ev->kind = TSN_FRER_EV_LATENT_ERROR;
					ev->diff = latent;
					ev->passed = ev_passed;
					ev->discarded = ev_discarded;
					bpf_ringbuf_submit(ev, 0);
				}
			}
			if (v != RCVY_PASS)
				return XDP_DROP;
			if (!(cfg.flags & TSN_FRER_KEEP_TAG)) {
				if (rtag_remove(ctx, l.ntags))
					return XDP_DROP;
				l.rtag = 0;
			}
		}
	}

	if (cfg.flags & TSN_FRER_GEN) {
		__u16 seq;

		bpf_spin_lock(&s->lock);
		seq = s->gen_seq++;
		s->c.generated++;
		bpf_spin_unlock(&s->lock);
		if (l.rtag) {
			/* A relay that generates anew: the number is rewritten in place. */
			data = (void *)(long)ctx->data;
			end = (void *)(long)ctx->data_end;
			if (data + l.type_off + TSN_FRER_RTAG_LEN > end)
				return XDP_DROP;
			__u8 *t = data + l.type_off;

			t[4] = (__u8)(seq >> 8);
			t[5] = (__u8)seq;
		} else if (rtag_insert(ctx, l.ntags, seq)) {
			return XDP_DROP;
		}
		add_port(ifindex, &none, 1, 0);
	}

	/* Without tsn_xdp in front, leave the metadata frer_tc needs. */
	if (!has_meta && frer_xdp_meta && bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct tsn_xdp_meta)) == 0) {
		data = (void *)(long)ctx->data;
		m = (void *)(long)ctx->data_meta;
		if ((void *)(m + 1) > data)
			return XDP_PASS;
		m->magic = TSN_META_MAGIC;
		m->stream_id = sid;
		m->egress_ifindex = 0;
		m->priority = cfg.priority;
		m->tc = 0;
		m->flags = TSN_META_STREAM;
		m->reserved = 0;
		m->rx_tstamp = 0;
	}
	return XDP_PASS;
}

static __always_inline void count_copy(__u32 sid, __u32 ifindex, int ok)
{
	struct tsn_frer_counters *pc = bpf_map_lookup_elem(&frer_port_stats, &ifindex);
	struct tsn_frer_stream *s = bpf_map_lookup_elem(&frer_streams, &sid);

	if (!pc) {
		bpf_map_update_elem(&frer_port_stats, &ifindex, &zero_counters, BPF_NOEXIST);
		pc = bpf_map_lookup_elem(&frer_port_stats, &ifindex);
	}
	if (pc) {
		if (ok)
			pc->replicated++;
		else
			pc->replicate_errors++;
	}
	if (s) {
		if (ok)
			__sync_fetch_and_add(&s->c.replicated, 1);
		else
			__sync_fetch_and_add(&s->c.replicate_errors, 1);
	}
}

/* The outer VLAN of the copy about to leave: vid 0 is the frame's own (restored
 * if an earlier copy changed it), else that VID with the frame's PCP (or, for an
 * untagged frame, its priority).  At tc the outer tag is in skb->vlan_tci. */
struct vlan_orig {
	__u32 present;
	__u32 tci;
	__u32 proto;
	__u32 changed;
	__u8 priority;
};

static __always_inline int set_vlan(struct __sk_buff *skb, struct vlan_orig *o, __u16 vid)
{
	__u32 tci;

	if (vid == 0) {
		if (!o->changed)
			return 0;
		o->changed = 0;
		if (bpf_skb_vlan_pop(skb))
			return -1;
		return o->present ? (int)bpf_skb_vlan_push(skb, (__be16)o->proto, (__u16)o->tci) : 0;
	}
	tci = o->present ? (o->tci & ~VLAN_VID_MASK) : ((__u32)(o->priority & 7) << 13);
	if ((o->present || o->changed) && bpf_skb_vlan_pop(skb))
		return -1;
	o->changed = 1;
	return (int)bpf_skb_vlan_push(skb, o->present ? (__be16)o->proto : bpf_htons(ETH_P_8021Q),
				      (__u16)(tci | (vid & VLAN_VID_MASK)));
}

SEC("tc")
int frer_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	struct tsn_xdp_meta *m = (void *)(long)skb->data_meta;
	struct tsn_frer_split *sp;
	struct vlan_orig vo = {};
	__u32 sid, n, last;
	long rc;

	if ((void *)(m + 1) > data || m->magic != TSN_META_MAGIC || !(m->flags & TSN_META_STREAM))
		return TC_ACT_UNSPEC;
	sid = m->stream_id;
	vo.priority = m->priority;
	sp = bpf_map_lookup_elem(&frer_split, &sid);
	if (!sp || sp->n == 0)
		return TC_ACT_UNSPEC;
	/* The egress qdisc's priority map picks each copy's class from this. */
	skb->priority = vo.priority;
	vo.present = skb->vlan_present;
	vo.tci = skb->vlan_tci;
	vo.proto = skb->vlan_proto;
	n = sp->n < TSN_FRER_MAX_SPLIT ? sp->n : TSN_FRER_MAX_SPLIT;
#pragma unroll
	for (__u32 i = 0; i < TSN_FRER_MAX_SPLIT - 1; i++) {
		if (i + 1 >= n)
			break;
		/* Egress, flags 0: the copy goes through dev_queue_xmit and the qdisc. */
		if (set_vlan(skb, &vo, sp->vid[i]))
			rc = -1;
		else
			rc = bpf_clone_redirect(skb, sp->ifindex[i], 0);
		count_copy(sid, sp->ifindex[i], rc == 0);
	}
	last = (n - 1) & (TSN_FRER_MAX_SPLIT - 1);
	if (set_vlan(skb, &vo, sp->vid[last])) {
		count_copy(sid, sp->ifindex[last], 0);
		return TC_ACT_SHOT;
	}
	rc = bpf_redirect(sp->ifindex[last], 0);
	count_copy(sid, sp->ifindex[last], rc == TC_ACT_REDIRECT);
	return (int)rc;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
