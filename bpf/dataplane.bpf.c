// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* dataplane.bpf.c — tsnd's data plane: one XDP program and one tc program per port.
 *
 * tsn_xdp (XDP, every frame a port receives):
 *   1. parse   Ethernet, up to two VLAN tags, IPv6 with a bounded walk over its
 *              extension headers, UDP/TCP ports;
 *   2. classify  IEEE 802.1CB stream identification (IPv6 tuple, destination MAC +
 *              VLAN, source MAC + VLAN; exact-match hash lookups, one per ipv6
 *              "shape"), else default priority by EtherType, DSCP, PCP; the
 *              traffic class follows from the ingress port's priority map;
 *   3. count   per port (frame kind, class, verdict) and per stream, per CPU;
 *   4. forward IPv6 unicast routed by the kernel FIB (bpf_fib_lookup, through a
 *              cache of its answers tsnd invalidates) to another tsnd port:
 *              hop limit, MACs and VLAN tag rewritten here; a class
 *              the egress port's gate schedule controls goes to tc (metadata +
 *              XDP_PASS) so that it passes the egress qdisc, any other class
 *              leaves by XDP_REDIRECT.  Everything else is passed to the kernel
 *              unchanged (enum tsn_fwd_reason says why).
 *
 * Steps 1, 2 and the filters run as global functions (tsn_xdp_parse,
 * tsn_xdp_classify, tsn_xdp_filter, tsn_xdp_route) that the verifier checks once
 * each; docs/dataplane.md "Verifier cost".
 *
 * tsn_tc_ingress (tc clsact ingress, direct action): reads the metadata the XDP
 * program left in front of the frame, sets skb->priority (the egress qdisc's
 * priority map picks the traffic class from it) and redirects frames marked
 * TSN_META_TO_QDISC to their egress port: bpf_redirect from tc goes through
 * dev_queue_xmit, hence through taprio.
 *
 * The tables are generational (include/tsn/bpf_shared.h): a frame reads the active
 * generation once and uses it for every lookup.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "tsn/bpf_shared.h"
#include "tsn/bpf_meter.h"
#include "tsn/bpf_telemetry.h"
#include "tsn/bpf_bridge.h"
#include "tsn/bpf_frer.h"

#define AF_INET6 10		/* not in the UAPI headers this file may use */
#define MAX_VLAN_TAGS 2
#define PTP_HEADER_LEN 34	/* IEEE 1588 common message header */
#define ARP_HEADER_LEN 8	/* hardware/protocol type and lengths, opcode */
#define ETH_MIN_FRAME 60	/* without FCS: shorter frames are padded to this */
#define VLAN_HLEN 4
#define VLAN_VID_MASK 0x0fff
#define TSN_VLAN_DEI 0x1000	/* drop eligible indicator in the TCI */

/* IPv6 extension headers (RFC 8200 and the IANA list) */
#define NH_HOPOPTS 0
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_AH 51
#define NH_DSTOPTS 60
#define NH_MOBILITY 135
#define NH_HIP 139
#define NH_SHIM6 140
#define NH_EXP1 253
#define NH_EXP2 254

struct vlan_tag {
	__be16 tci;
	__be16 encap_proto;
};

struct ext_hdr {
	__u8 nexthdr;
	__u8 hdrlen;		/* in 8-byte units, not counting the first 8 */
};

struct frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

/* ---- maps (layouts in include/tsn/bpf_shared.h) ---- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tsn_gen);
} tsn_gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct tsn_rules);
} tsn_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * TSN_MAX_ETHERTYPE_RULES);
	__type(key, __u32);
	__type(value, __u32);
} tsn_ethertype SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * TSN_MAX_PORTS);
	__type(key, struct tsn_port_key);
	__type(value, struct tsn_port_conf);
} tsn_ports SEC(".maps");

/* tsnd's record of the streams (the program reads tsn_strm_tab below).  Not
 * preallocated: memory follows the number of streams, not the maximum. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * TSN_MAX_STREAMS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tsn_mac_key);
	__type(value, struct tsn_stream_val);
} tsn_mac_strm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * TSN_MAX_STREAMS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tsn_ip6_key);
	__type(value, struct tsn_stream_val);
} tsn_ip6_strm SEC(".maps");

/* The streams as the program looks them up (bpf_shared.h, "tsn_strm_tab"): an
 * array lookup is inlined by the verifier, where a hash map's costs a call and a
 * jhash of the whole key. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * TSN_STRM_TAB_CAP);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct tsn_strm_ent);
} tsn_strm_tab SEC(".maps");

/* Counters, in plain arrays indexed by a slot the frame's tables carry: the
 * stream's (tsn_stream_val.slot) and the ingress port's (tsn_port_conf.slot), so
 * counting costs no hash lookup.  One region per possible CPU (index
 * cpu * slots + slot), each written by its CPU only: plain adds suffice, and no
 * two CPUs share a cache line.  The loader sets max_entries to CPUs x slots and
 * tsn_ncpus; the defaults, one CPU, fit each other.  tsnd allocates the slots
 * (daemon/dataplane/classifier.c) and keeps a stream's or port's across reloads. */
const volatile __u32 tsn_ncpus = 1;

/* Whether this kernel lets an XDP program reserve metadata (bpf_xdp_adjust_meta;
 * some kernels refuse the helper at load).  tsnd probes it before the load
 * (dataplane_xdp_meta_ok); 0 leaves the call on a path the verifier never walks,
 * so the program still loads, and a frame for tc goes to the kernel as it came
 * (docs/dataplane.md, "Without XDP metadata"). */
const volatile __u8 tsn_xdp_meta = 1;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TSN_MAX_STREAMS);
	__type(key, __u32);
	__type(value, struct tsn_stream_counters);
} tsn_strm_stats SEC(".maps");

/* 802.1Qci: filters (generational), meters (shared state), per-filter counters. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * TSN_FILTER_SLOTS);
	__type(key, __u32);
	__type(value, struct tsn_filter_conf);
} tsn_filters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TSN_FILTER_SLOTS);
	__type(key, __u32);
	__type(value, struct tsn_meter_state);
} tsn_meters SEC(".maps");

/* Storm guard: configuration (generational) and buckets per port. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * TSN_MAX_PORTS);
	__type(key, struct tsn_port_key);
	__type(value, struct tsn_storm_conf);
} tsn_storm_conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * TSN_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct tsn_storm_state);
} tsn_storm SEC(".maps");

/* Access lists (generational, like the tables). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TSN_ACL_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tsn_acl_key);
	__type(value, __u8);
} tsn_acl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TSN_ACL_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tsn_acl_pfx_key);
	__type(value, __u8);
} tsn_acl_pfx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * TSN_GATE_SLOTS);
	__type(key, __u32);
	__type(value, struct tsn_gate_conf);
} tsn_gates SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * TSN_GATE_ENTRIES_MAX);
	__type(key, __u32);
	__type(value, struct tsn_gate_ent);
} tsn_gate_ents SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TSN_FILTER_SLOTS);
	__type(key, __u32);
	__type(value, struct tsn_filter_counters);
} tsn_filter_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tsn_clock_ovr);
} tsn_clock SEC(".maps");

/* Telemetry (docs/telemetry.md): non-zero while tsnd measures residence time. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tsn_tele_on);
} tsn_tele_on SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TSN_PORT_SLOTS);
	__type(key, __u32);			/* cpu * TSN_PORT_SLOTS + port slot */
	__type(value, struct port_counters);
} port_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct tsn_vlan_key);
	__type(value, __u32);
} tsn_vlan_in SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct tsn_egress);
} tsn_egress SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, TSN_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} tsn_tx_ports SEC(".maps");

/* The FIB cache (docs/dataplane.md "FIB cache"): successful lookups only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tsn_fib_ctl);
} tsn_fib_ctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TSN_FIB_SETS);
	__type(key, __u32);
	__type(value, struct tsn_fib_set);
} tsn_fib_cache SEC(".maps");

/* FRER (docs/frer.md): slot 0 holds frer_xdp (bpf/frer.bpf.c) while tsnd runs a
 * `frer:` section; empty, the tail call falls through. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tsn_frer_prog SEC(".maps");

/* The bridge's fast path (bpf/bridge.bpf.c), entry 0 of each: tsnd fills them. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tsn_br_hook SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tsn_br_tc_hook SEC(".maps");

/* The last ingress port's configuration, per CPU: a NAPI poll brings a batch of
 * frames from one port, and this spares each but the first a hash lookup in
 * tsn_ports.  A copy, valid for one tsn_gen.serial: tsnd writes only the inactive
 * generation, and every switch of generations bumps the serial. */
struct port_cache {
	__u32 ifindex;		/* 0: empty (no port has ifindex 0) */
	__u32 serial;
	struct tsn_port_conf conf;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct port_cache);
} tsn_port_cache SEC(".maps");

/* tsn_fib_route's key and entry: per-CPU scratch, because tsn_xdp and the
 * function it calls share the 512-byte stack. */
struct fib_scratch {
	union {
		struct tsn_fib_key key;
		__u64 w[TSN_FIB_KEY_WORDS];
	};
	struct tsn_fib_val val;
	struct tsn_port_key pk;
	__u32 dev_mtu;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fib_scratch);
} tsn_fib_scratch SEC(".maps");

/* ---- parsing ---- */

/* A read position in the frame; every read goes through cursor_take so the
 * verifier sees a bounds check before each header is touched. */
struct hdr_cursor {
	void *pos;
	void *end;
};

/* The next len bytes of the frame, or NULL if the frame ends first. */
static __always_inline void *cursor_take(struct hdr_cursor *c, __u32 len)
{
	void *start = c->pos;

	if (start + len > c->end)
		return NULL;
	c->pos = start + len;
	return start;
}

static __always_inline int is_vlan_proto(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/* What parsing found out about one frame, as plain numbers: it lives in the
 * per-CPU frame state (struct xstate) that the stages of tsn_xdp share, which a
 * packet pointer cannot enter. */
struct frame_info {
	__u32 len;
	__u16 vid;		/* outer VID, TSN_VID_UNTAGGED */
	__be16 proto;		/* EtherType after the tags */
	__u16 ip6_off;		/* offset of the complete IPv6 header, 0: none */
	__u8 kind;		/* enum tsn_frame_kind */
	__u8 n_tags;
	__u8 pcp;		/* outer tag's PCP */
	__u8 dscp;
	__u8 nexthdr;		/* upper-layer protocol, valid if walked */
	__u8 walked;		/* the extension-header walk reached the upper layer */
	__u8 hbh;		/* hop-by-hop options header present */
	__u8 frag;		/* fragment header present */
	__u8 ports_ok;		/* sport/dport valid */
	__u8 l4_short;		/* UDP/TCP that ends before its ports */
	__u8 len_ok;		/* payload length matches the frame */
	__u8 rtag;		/* an 802.1CB R-TAG follows the tags */
	__be16 sport;
	__be16 dport;
	__u16 pad;
};

/* One frame as a stage sees it: packet pointers (derived from ctx in each stage)
 * and what parsing found out. */
struct frame {
	void *data;
	void *end;
	struct ethhdr *eth;
	struct vlan_tag *tag;	/* the outer tag, NULL if untagged */
	struct ipv6hdr *ip6;	/* NULL unless the fixed IPv6 header is complete */
	struct frame_info *i;
};

static __always_inline int is_ext_hdr(__u8 nh)
{
	return nh == NH_HOPOPTS || nh == NH_ROUTING || nh == NH_FRAGMENT || nh == NH_DSTOPTS ||
	       nh == NH_AH || nh == NH_MOBILITY || nh == NH_HIP || nh == NH_SHIM6 ||
	       nh == NH_EXP1 || nh == NH_EXP2;
}

/* Walk at most TSN_MAX_EXT_HDRS extension headers of the kinds RFC 8200 defines
 * for every node (hop-by-hop first only, routing, destination options; a
 * fragment header ends the walk) and read the ports of UDP and TCP.  Anything else (AH, mobility, HIP, too many
 * headers, a header cut short) leaves walked = 0: the upper layer is unknown. */
static __always_inline void parse_ipv6(struct frame *f, struct hdr_cursor *c)
{
	struct ipv6hdr *ip6 = f->ip6;
	__u32 plen = bpf_ntohs(ip6->payload_len);
	__u32 have = (__u32)(f->end - (void *)(ip6 + 1));
	__u8 nh = ip6->nexthdr;

	f->i->dscp = (__u8)(((ip6->priority << 4) | (ip6->flow_lbl[0] >> 4)) >> 2);
	/* Equal, or a short frame padded up to the Ethernet minimum. */
	f->i->len_ok = plen == have || (plen < have && f->i->len <= ETH_MIN_FRAME);

#pragma unroll
	for (int i = 0; i < TSN_MAX_EXT_HDRS; i++) {
		if (nh == NH_HOPOPTS || nh == NH_ROUTING || nh == NH_DSTOPTS) {
			struct ext_hdr *h = c->pos;

			if (nh == NH_HOPOPTS) {
				if (i != 0)
					return;		/* only allowed first */
				f->i->hbh = 1;
			}
			if ((void *)(h + 1) > c->end)
				return;
			nh = h->nexthdr;
			if (!cursor_take(c, ((__u32)h->hdrlen + 1) * 8))
				return;
		} else if (nh == NH_FRAGMENT) {
			struct frag_hdr *fh = cursor_take(c, sizeof(*fh));

			if (!fh)
				return;
			f->i->frag = 1;
			nh = fh->nexthdr;
			/* What follows the fragment header is payload in every fragment
			 * but the first: the walk ends here for all of them, so the
			 * fragments of one packet classify alike (the fragment header's
			 * next header is the same in each). */
			break;
		} else {
			break;
		}
	}
	if (is_ext_hdr(nh))
		return;
	f->i->nexthdr = nh;
	f->i->walked = 1;
	/* Fragments carry no ports after the first, so no fragment is matched on
	 * ports, not even the first: all fragments of a packet classify alike. */
	if ((nh == IPPROTO_UDP || nh == IPPROTO_TCP) && !f->i->frag) {
		__be16 *ports = cursor_take(c, 2 * sizeof(__be16));

		if (!ports) {
			f->i->l4_short = 1;
			return;
		}
		f->i->sport = ports[0];
		f->i->dport = ports[1];
		f->i->ports_ok = 1;
	}
}

static __always_inline void parse(struct frame *f)
{
	struct hdr_cursor c = { .pos = f->data, .end = f->end };
	struct ethhdr *eth = cursor_take(&c, sizeof(*eth));
	__u32 l3_off = ETH_HLEN;
	__be16 proto;

	f->i->vid = TSN_VID_UNTAGGED;
	if (!eth) {
		f->i->kind = TSN_KIND_MALFORMED;
		return;
	}
	f->eth = eth;
	proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		struct vlan_tag *tag;

		if (!is_vlan_proto(proto))
			break;
		tag = cursor_take(&c, sizeof(*tag));
		if (!tag) {
			f->i->kind = TSN_KIND_MALFORMED;
			return;
		}
		if (i == 0) {
			__u16 tci = bpf_ntohs(tag->tci);

			f->tag = tag;
			f->i->vid = tci & VLAN_VID_MASK;
			f->i->pcp = (__u8)(tci >> 13);
		}
		proto = tag->encap_proto;
		f->i->n_tags++;
		l3_off += VLAN_HLEN;
	}
	/* An R-TAG (reserved, sequence number, EtherType) behind the tags: what it
	 * carries is classified, so every identification kind works at recovery. */
	if (proto == bpf_htons(TSN_FRER_ETH_P_RTAG)) {
		__be16 *rt = cursor_take(&c, TSN_FRER_RTAG_LEN);

		if (!rt) {
			f->i->kind = TSN_KIND_MALFORMED;
			return;
		}
		f->i->rtag = 1;
		proto = rt[2];
		l3_off += TSN_FRER_RTAG_LEN;
	}
	f->i->proto = proto;

	/* A third tag is left unparsed: the frame counts as tagged "other". */
	switch (proto) {
	case bpf_htons(ETH_P_1588):
		f->i->kind = cursor_take(&c, PTP_HEADER_LEN) ? TSN_KIND_PTP : TSN_KIND_MALFORMED;
		return;
	case bpf_htons(ETH_P_IPV6):
		f->ip6 = cursor_take(&c, sizeof(struct ipv6hdr));
		if (!f->ip6) {
			f->i->kind = TSN_KIND_MALFORMED;
			return;
		}
		/* A version other than 6 is no IPv6 header: malformed, like the
		 * kernel, which drops it (ipv6_rcv); nothing of it is classified. */
		if ((*(__u8 *)f->ip6 >> 4) != 6) {
			f->ip6 = NULL;
			f->i->kind = TSN_KIND_MALFORMED;
			return;
		}
		f->i->kind = TSN_KIND_IPV6;
		f->i->ip6_off = (__u16)l3_off;
		parse_ipv6(f, &c);
		return;
	case bpf_htons(ETH_P_IP):
		f->i->kind = cursor_take(&c, 20) ? TSN_KIND_IPV4 : TSN_KIND_MALFORMED;
		return;
	case bpf_htons(ETH_P_ARP):
		f->i->kind = cursor_take(&c, ARP_HEADER_LEN) ? TSN_KIND_ARP : TSN_KIND_MALFORMED;
		return;
	default:
		f->i->kind = f->i->n_tags ? TSN_KIND_VLAN : TSN_KIND_OTHER;
	}
}

/* The ingress port's configuration in generation gen, NULL if tsnd has none. */
static __always_inline struct tsn_port_conf *ingress_conf(__u32 ifindex, __u32 gen, __u32 serial)
{
	struct tsn_port_key pk = { .ifindex = ifindex, .gen = gen };
	struct tsn_port_conf *in;
	struct port_cache *pc;
	__u32 zero = 0;

	pc = bpf_map_lookup_elem(&tsn_port_cache, &zero);
	if (pc && pc->ifindex == ifindex && pc->serial == serial)
		return &pc->conf;
	in = bpf_map_lookup_elem(&tsn_ports, &pk);
	if (!in || !pc)
		return in;
	/* Three 8-byte words: a struct assignment costs the stack a copy. */
	((__u64 *)&pc->conf)[0] = ((__u64 *)in)[0];
	((__u64 *)&pc->conf)[1] = ((__u64 *)in)[1];
	((__u64 *)&pc->conf)[2] = ((__u64 *)in)[2];
	pc->ifindex = ifindex;
	pc->serial = serial;
	return &pc->conf;
}

/* ---- classification ---- */

struct cls {
	__u32 stream_id;	/* 0: no stream */
	__u32 slot;		/* the stream's counter slot, if stream_id */
	__u16 filter_id;
	__u8 priority;
	__u8 tc;
	__u8 marked;		/* the priority came from the frame's own PCP or DSCP */
	__u8 frer;		/* the stream has FRER functions (TSN_STRM_FRER) */
};

#define TSN_STRM_INLINE	4	/* probes strm_find makes inline */

static __always_inline int strm_key_equal(const struct tsn_strm_ent *e, const union tsn_strm_key *k)
{
	return e->key.w[0] == k->w[0] && e->key.w[1] == k->w[1] && e->key.w[2] == k->w[2] &&
	       e->key.w[3] == k->w[3] && e->key.w[4] == k->w[4] && e->key.w[5] == k->w[5];
}

/* Where key k sits in generation gen's table (its index in tsn_strm_tab), -1 if
 * it has none, searching the entries TSN_STRM_INLINE .. TSN_STRM_PROBES - 1
 * after hash h (strm_find searched those before).  A global function: the
 * verifier walks its loop once, not at each of the ten places classify() looks a
 * key up; inline, all sixteen probes doubled tsn_xdp's verification. */
__noinline int tsn_strm_probe(const union tsn_strm_key *k, __u32 gen, __u32 mask, __u32 h)
{
	__u32 base = (gen & 1) * TSN_STRM_TAB_CAP;

	if (!k)
		return -1;
	mask &= TSN_STRM_TAB_CAP - 1;
	for (__u32 i = TSN_STRM_INLINE; i < TSN_STRM_PROBES; i++) {
		__u32 idx = base + ((h + i) & mask);
		struct tsn_strm_ent *e = bpf_map_lookup_elem(&tsn_strm_tab, &idx);

		if (!e || !e->val.stream_id)
			return -1;
		if (strm_key_equal(e, k))
			return (int)idx;
	}
	return -1;
}

/* Key k's value in generation gen, NULL if none: the first TSN_STRM_INLINE
 * entries from its hash inline, where nearly every key sits and nearly every
 * miss meets an empty entry (the builder keeps tables at most half full); only
 * a key pushed further pays for the call. */
static __always_inline struct tsn_stream_val *strm_find(const union tsn_strm_key *k, __u32 gen,
							 const struct tsn_rules *r)
{
	__u32 mask = r->strm_mask & (TSN_STRM_TAB_CAP - 1);
	__u32 h = tsn_strm_hash(k->w, r->strm_seed);
	__u32 base = (gen & 1) * TSN_STRM_TAB_CAP;
	struct tsn_strm_ent *e;
	int at;

	for (__u32 i = 0; i < TSN_STRM_INLINE; i++) {
		__u32 idx = base + ((h + i) & mask);

		e = bpf_map_lookup_elem(&tsn_strm_tab, &idx);
		if (!e || !e->val.stream_id)
			return NULL;
		if (strm_key_equal(e, k))
			return &e->val;
	}
	at = tsn_strm_probe(k, gen, mask, h);
	if (at < 0)
		return NULL;
	e = bpf_map_lookup_elem(&tsn_strm_tab, &at);
	/* Tested before the offset is added (clang would fold the two otherwise). */
	barrier_var(e);
	if (!e)
		return NULL;
	return &e->val;
}

static __always_inline struct tsn_stream_val *match_ip6(const struct frame *f, __u32 gen,
							 const struct tsn_rules *r)
{
	struct ipv6hdr *ip6 = f->ip6;
	union tsn_strm_key k;

#pragma unroll
	for (int i = 0; i < TSN_IP6_MAX_MASKS; i++) {
		struct tsn_stream_val *v;
		__u8 m;

		if (i >= r->n_ip6_masks)
			break;
		m = r->ip6_masks[i];
		if ((m & TSN_IP6F_PORTS) && !f->i->ports_ok)
			continue;
		if ((m & TSN_IP6F_NH) && !f->i->walked)
			continue;
		__builtin_memset(&k, 0, sizeof(k));
		if (m & TSN_IP6F_SRC)
			__builtin_memcpy(k.ip6.src, &ip6->saddr, 16);
		if (m & TSN_IP6F_DST)
			__builtin_memcpy(k.ip6.dst, &ip6->daddr, 16);
		if (m & TSN_IP6F_DSCP)
			k.ip6.dscp = f->i->dscp;
		if (m & TSN_IP6F_NH)
			k.ip6.nexthdr = f->i->nexthdr;
		if (m & TSN_IP6F_SPORT)
			k.ip6.sport = f->i->sport;
		if (m & TSN_IP6F_DPORT)
			k.ip6.dport = f->i->dport;
		if (m & TSN_IP6F_VLAN)
			k.ip6.vid = f->i->vid;
		k.ip6.mask = m;
		k.ip6.gen = (__u8)gen;
		v = strm_find(&k, gen, r);
		if (v)
			return v;
	}
	return NULL;
}

static __always_inline struct tsn_stream_val *match_mac(const struct frame *f, __u32 gen, __u8 kind,
							 const struct tsn_rules *r)
{
	union tsn_strm_key k;

	__builtin_memset(&k, 0, sizeof(k));
	__builtin_memcpy(k.mac.mac, kind == TSN_MAC_DST ? f->eth->h_dest : f->eth->h_source, 6);
	k.mac.vid = f->i->vid;
	k.mac.kind = kind;
	k.mac.gen = (__u8)gen;
	return strm_find(&k, gen, r);
}

/* Stream first (ipv6, then destination MAC, then source MAC); else the default
 * rules: EtherType, then DSCP, then PCP, then the default priority. */
static __always_inline void classify(const struct frame *f, __u32 gen, const struct tsn_rules *r,
				     struct cls *out)
{
	struct tsn_stream_val *sv = NULL;

	/* No Ethernet header is malformed too (said again for the verifier, which
	 * does not see the kind parse() stored). */
	if (f->i->kind == TSN_KIND_MALFORMED || !f->eth) {
		out->priority = r->default_priority & 7;
		return;
	}
	if (f->ip6 && r->n_ip6_masks)
		sv = match_ip6(f, gen, r);
	if (!sv && (r->flags & TSN_RULES_MAC_DST))
		sv = match_mac(f, gen, TSN_MAC_DST, r);
	if (!sv && (r->flags & TSN_RULES_MAC_SRC))
		sv = match_mac(f, gen, TSN_MAC_SRC, r);
	if (sv) {
		out->stream_id = sv->stream_id;
		out->slot = sv->slot;
		out->filter_id = sv->filter_id;
		out->priority = sv->priority & 7;
		out->frer = sv->flags & TSN_STRM_FRER;
		return;
	}
	if ((r->flags & TSN_RULES_ETHERTYPE) &&
	    ((r->ethertype_hint[(bpf_ntohs(f->i->proto) >> 3) & 31] >> (bpf_ntohs(f->i->proto) & 7)) & 1)) {
		__u32 key = TSN_ETHERTYPE_KEY(gen, bpf_ntohs(f->i->proto));
		__u32 *prio = bpf_map_lookup_elem(&tsn_ethertype, &key);

		if (prio) {
			out->priority = *prio & 7;
			return;
		}
	}
	if (f->ip6 && r->dscp_prio[f->i->dscp & 63] != TSN_NO_RULE) {
		out->priority = r->dscp_prio[f->i->dscp & 63] & 7;
		out->marked = 1;
		return;
	}
	if (f->i->n_tags && r->pcp_prio[f->i->pcp & 7] != TSN_NO_RULE) {
		out->priority = r->pcp_prio[f->i->pcp & 7] & 7;
		out->marked = 1;
		return;
	}
	out->priority = r->default_priority & 7;
}

/* ---- access lists (ports[].acl) ---- */

/* Default deny: is the frame on one of the port's allow lists?  A frame too short
 * for an Ethernet header is on none. */
static __always_inline int acl_allows(const struct frame *f, const struct tsn_port_conf *in,
				      __u32 ifindex, __u32 gen)
{
	struct tsn_acl_key k;

	if (!f->eth)
		return 0;
	if (in->acl & TSN_PACL_MAC) {
		__builtin_memset(&k, 0, sizeof(k));
		k.ifindex = ifindex;
		k.gen = (__u8)gen;
		k.kind = TSN_ACL_KIND_MAC;
		__builtin_memcpy(k.val, f->eth->h_source, 6);
		if (bpf_map_lookup_elem(&tsn_acl, &k))
			return 1;
	}
	if (in->acl & TSN_PACL_ET) {
		__builtin_memset(&k, 0, sizeof(k));
		k.ifindex = ifindex;
		k.gen = (__u8)gen;
		k.kind = TSN_ACL_KIND_ETHERTYPE;
		__builtin_memcpy(k.val, &f->i->proto, 2);
		if (bpf_map_lookup_elem(&tsn_acl, &k))
			return 1;
	}
	if ((in->acl & TSN_PACL_PFX) && f->ip6) {
		struct tsn_acl_pfx_key pk = {
			.prefixlen = 64 + 128,
			.ifindex = ifindex,
			.gen = gen,
		};

		__builtin_memcpy(pk.addr, &f->ip6->saddr, 16);
		if (bpf_map_lookup_elem(&tsn_acl_pfx, &pk))
			return 1;
	}
	return 0;
}

/* ---- per-stream filtering and policing (IEEE 802.1Qci) ---- */

static __always_inline __u64 police_now(void);
static __always_inline int mac_equal(const __u8 *a, const __u8 *b);

/* Storm guard: 1 if the frame is over its kind's rate on this port. */
static __always_inline int storm_over(const struct frame *f, const struct tsn_port_conf *in,
				      __u32 ifindex, __u32 gen)
{
	static const struct tsn_storm_state zero_storm = {};
	struct tsn_port_key pk = { .ifindex = ifindex, .gen = gen };
	struct tsn_storm_conf *sc;
	struct tsn_storm_state *st;
	const __u8 *d = f->eth->h_dest;
	__u64 now, rate, burst, excess = 0;
	__u32 k;
	int color;

	if ((d[0] & d[1] & d[2] & d[3] & d[4] & d[5]) == 0xff)
		k = TSN_STORM_BCAST;
	else if (d[0] & 1)
		k = TSN_STORM_MCAST;
	else if (!mac_equal(d, in->mac))
		k = TSN_STORM_UNKNOWN;
	else
		return 0;
	sc = bpf_map_lookup_elem(&tsn_storm_conf, &pk);
	if (!sc)
		return 0;
	k &= TSN_STORM_KINDS - 1;
	rate = sc->rate_bps[k];
	burst = sc->burst_units[k];
	if (!rate)
		return 0;
	st = bpf_map_lookup_elem(&tsn_storm, &ifindex);
	if (!st) {
		bpf_map_update_elem(&tsn_storm, &ifindex, &zero_storm, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&tsn_storm, &ifindex);
		if (!st)
			return 0;	/* map full: fail open (counted nowhere) */
	}
	now = police_now();
	bpf_spin_lock(&st->lock);
	color = tsn_meter_mark(&st->tokens[k], &excess, &st->last_ns[k], rate, burst, 0, 0, now,
			       f->i->len);
	bpf_spin_unlock(&st->lock);
	return color == TSN_METER_RED;
}

enum police_verdict { POLICE_PASS, POLICE_DROP, POLICE_DEMOTE };

/* The time meters run on: the kernel's monotonic clock, or the one a test set. */
static __always_inline __u64 police_now(void)
{
	__u32 zero = 0;
	struct tsn_clock_ovr *clk = bpf_map_lookup_elem(&tsn_clock, &zero);

	if (clk && clk->fixed_ns)
		return clk->fixed_ns;
	return bpf_ktime_get_ns();
}

static __always_inline __u64 clock_now(__u8 clock)
{
	__u32 zero = 0;
	struct tsn_clock_ovr *clk = bpf_map_lookup_elem(&tsn_clock, &zero);

	if (clk && clk->fixed_ns)
		return clk->fixed_ns;
	if (clock == TSN_GATE_CLK_TAI)
		return bpf_ktime_get_tai_ns();
	if (clock == TSN_GATE_CLK_BOOT)
		return bpf_ktime_get_boot_ns();
	return bpf_ktime_get_ns();
}

/* tsn_gate_state and tsn_meter_color are global functions: the verifier checks
 * each once, on its own, instead of once for every path of tsn_xdp that reaches
 * it (as tsn_xdp's stages are, below).  Their arguments and results are plain integers. */
#define GATE_OPEN	0x100	/* tsn_gate_state: open; low byte the entry's priority */

/* The stream gate's state now: GATE_OPEN if open, or'ed with the entry's internal
 * priority (TSN_NO_RULE: unchanged).  A missing gate is open.  The entry is found
 * by binary search over the running sums (at most 1024 entries: 11 steps). */
__attribute__((noinline)) int tsn_gate_state(__u32 gen, __u32 gid)
{
	__u32 idx = (gen & 1) * TSN_GATE_SLOTS + gid;
	struct tsn_gate_conf *g = bpf_map_lookup_elem(&tsn_gates, &idx);
	struct tsn_gate_ent *e;
	__u64 now, off;
	__u32 lo = 0, hi, base_idx, k;

	if (!g || g->cycle_ns == 0 || g->n == 0)
		return GATE_OPEN | TSN_NO_RULE;
	now = clock_now(g->clock);
	if (now >= g->base_ns)
		off = (now - g->base_ns) % g->cycle_ns;
	else	/* before the base time: the same cycles, extended backwards */
		off = g->cycle_ns - 1 - ((g->base_ns - now - 1) % g->cycle_ns);
	hi = g->n - 1;
	base_idx = (gen & 1) * TSN_GATE_ENTRIES_MAX + g->first;
	for (int i = 0; i < 12; i++) {
		__u32 mid;

		if (lo >= hi)
			break;
		mid = (lo + hi) / 2;
		k = base_idx + mid;
		e = bpf_map_lookup_elem(&tsn_gate_ents, &k);
		if (!e)
			return GATE_OPEN | TSN_NO_RULE;
		if (e->end_ns > off)
			hi = mid;
		else
			lo = mid + 1;
	}
	k = base_idx + lo;
	e = bpf_map_lookup_elem(&tsn_gate_ents, &k);
	if (!e)
		return GATE_OPEN | TSN_NO_RULE;
	return (e->open ? GATE_OPEN : 0) | e->prio;
}

/* Mark a frame of len bytes that arrived in_color (enum tsn_meter_color) with the
 * flow meter of filter slot idx: its color, or -1 if the filter has no meter. */
__attribute__((noinline)) int tsn_meter_color(__u32 idx, __u32 len, __u32 in_color)
{
	struct tsn_filter_conf *fl = bpf_map_lookup_elem(&tsn_filters, &idx);
	struct tsn_meter_state *ms;
	__u32 mid;
	__u64 now;
	int color;

	if (!fl)
		return -1;
	mid = fl->meter_id;
	if (mid == 0 || mid >= TSN_FILTER_SLOTS)
		return -1;
	ms = bpf_map_lookup_elem(&tsn_meters, &mid);
	if (!ms)
		return -1;
	/* Read the clock outside the lock: no helper calls under it. */
	now = police_now();
	bpf_spin_lock(&ms->lock);
	color = tsn_meter_mark_color(&ms->committed, &ms->excess, &ms->last_ns, fl->cir_bps,
				     fl->cbs_units, fl->eir_bps, fl->ebs_units, now, len,
				     (int)in_color, fl->meter_flags & TSN_FILTER_COUPLED);
	bpf_spin_unlock(&ms->lock);
	return color;
}

/* The stream filter of c: max SDU, then the flow meter.  *demote_prio is set for
 * POLICE_DEMOTE.  Counts in the filter's per-CPU counters.  A color-aware meter
 * takes a frame with DEI set as yellow; a tagged frame the meter does not pass
 * green leaves with DEI set (802.1Q 8.6.5.1.3: yellow frames are drop eligible). */
static __always_inline int police(__u32 gen, const struct cls *c, const struct frame *f,
				  __u8 *demote_prio)
{
	__u32 len = f->i->len;
	__u32 fid = c->filter_id;
	__u32 idx = (gen & 1) * TSN_FILTER_SLOTS + fid;
	struct tsn_filter_counters *fc;
	struct tsn_filter_conf *fl;
	int verdict = POLICE_PASS;
	__u32 in_color = TSN_METER_GREEN;
	int color;

	if (fid == 0 || fid >= TSN_FILTER_SLOTS)
		return POLICE_PASS;
	fl = bpf_map_lookup_elem(&tsn_filters, &idx);
	fc = bpf_map_lookup_elem(&tsn_filter_stats, &fid);
	if (!fl)
		return POLICE_PASS;
	if (fc)
		fc->matched++;
	if (fl->max_sdu && len > fl->max_sdu) {
		if (fc)
			fc->max_sdu++;
		return POLICE_DROP;
	}
	/* 802.1Qci order: max SDU, stream gate, flow meter (closed: no tokens). */
	if (fl->gate_id) {
		int gs = tsn_gate_state(gen, fl->gate_id);

		if (!(gs & GATE_OPEN)) {
			if (fc)
				fc->gate_closed++;
			return POLICE_DROP;
		}
		if ((gs & 0xff) != TSN_NO_RULE) {
			*demote_prio = gs & 7;
			verdict = POLICE_DEMOTE;
		}
	}
	if (fl->meter_id) {
		/* Color-aware: a tagged frame with DEI set arrives yellow (branch-free:
		 * fewer paths for the verifier). */
		if (f->tag)
			in_color = (fl->meter_flags & TSN_FILTER_COLOR_AWARE) &
				   (bpf_ntohs(f->tag->tci) >> 12);
		color = tsn_meter_color(idx, len, in_color);
		if (color == TSN_METER_YELLOW && fc)
			fc->yellow++;
		if (color == TSN_METER_RED) {
			if (fc)
				fc->red++;
			if (fl->on_exceed != TSN_BPF_EXCEED_DEMOTE)
				return POLICE_DROP;
			*demote_prio = fl->demote_prio & 7;
			verdict = POLICE_DEMOTE;
			if (fc)
				fc->demoted++;
		}
		/* Yellow, or red and demoted: drop eligible from here on. */
		if ((color == TSN_METER_YELLOW || color == TSN_METER_RED) && f->tag)
			f->tag->tci |= bpf_htons(TSN_VLAN_DEI);
	}
	if (fc)
		fc->passed++;
	return verdict;
}

/* ---- counters ---- */

/* CPU cpu's counters of port slot slot (TSN_PORT_SLOT_NONE: ports without a
 * configuration).  tsn_ncpus is a constant to the verifier: it bounds the index. */
static __always_inline struct port_counters *port_slot(__u32 cpu, __u32 slot)
{
	__u32 idx;

	if (cpu >= tsn_ncpus || slot >= TSN_PORT_SLOTS)
		return NULL;
	idx = cpu * TSN_PORT_SLOTS + slot;
	return bpf_map_lookup_elem(&port_stats, &idx);
}

/* ---- forwarding ---- */

static __always_inline int mac_equal(const __u8 *a, const __u8 *b)
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) |
		(a[4] ^ b[4]) | (a[5] ^ b[5])) == 0;
}

/* Addresses a router must not forward, or that the kernel must see:
 * multicast, link-local, loopback, unspecified, IPv4-mapped. */
static __always_inline int special_addr(const struct in6_addr *a)
{
	__u32 w0 = bpf_ntohl(a->in6_u.u6_addr32[0]);

	if ((w0 >> 24) == 0xff)			/* ff00::/8 multicast */
		return 1;
	if ((w0 & 0xffc00000) == 0xfe800000)	/* fe80::/10 link-local */
		return 1;
	if (w0 == 0 && a->in6_u.u6_addr32[1] == 0) {
		__u32 w2 = bpf_ntohl(a->in6_u.u6_addr32[2]);
		__u32 w3 = bpf_ntohl(a->in6_u.u6_addr32[3]);

		if (w2 == 0 && (w3 == 0 || w3 == 1))	/* :: and ::1 */
			return 1;
		if (w2 == 0xffff)			/* ::ffff:0:0/96 */
			return 1;
	}
	return 0;
}

struct fwd {
	__u32 reason;		/* enum tsn_fwd_reason */
	__u32 egress;		/* physical egress port */
	__u32 out_vid;		/* TSN_VID_UNTAGGED or the VID to tag with */
	__u8 to_qdisc;
	__u8 meta_reserved;
};

static __always_inline __u32 fib_reason(long rc)
{
	switch (rc) {
	case BPF_FIB_LKUP_RET_BLACKHOLE:
	case BPF_FIB_LKUP_RET_UNREACHABLE:
	case BPF_FIB_LKUP_RET_PROHIBIT:
		return TSN_PASS_UNREACHABLE;
	case BPF_FIB_LKUP_RET_NOT_FWDED:
	case BPF_FIB_LKUP_RET_FWD_DISABLED:
		return TSN_PASS_NOT_FWDED;
	case BPF_FIB_LKUP_RET_NO_NEIGH:
		return TSN_PASS_NO_NEIGH;
	case BPF_FIB_LKUP_RET_FRAG_NEEDED:
		return TSN_PASS_MTU;
	default:
		return TSN_PASS_OTHER;
	}
}

/* The way of set that holds key (of any generation), or -1. */
static __always_inline int fib_way_of(const struct tsn_fib_set *set, const __u64 *k)
{
#pragma unroll
	for (int w = 0; w < TSN_FIB_WAYS; w++) {
		const __u64 *e = set->way[w].w;

		/* One test per way, not one per word. */
		if (!((e[0] ^ k[0]) | (e[1] ^ k[1]) | (e[2] ^ k[2]) | (e[3] ^ k[3]) |
		      (e[4] ^ k[4]) | (e[5] ^ k[5])))
			return w;
	}
	return -1;
}

/* The way a new key replaces: an empty one or one of another generation (dead
 * either way), else the one the set's round robin points at. */
static __always_inline __u32 fib_victim(struct tsn_fib_set *set, __u32 fgen)
{
	__u32 w;

#pragma unroll
	for (int i = 0; i < TSN_FIB_WAYS; i++)
		if (!set->way[i].key.ifindex || set->way[i].val.gen != fgen)
			return (__u32)i;
	w = set->next & (TSN_FIB_WAYS - 1);
	set->next = w + 1;
	return w;
}

/* Where a frame route() accepted leaves, by the FIB (fib holds the lookup's
 * parameters).  rules: TSN_RULES_VLANS of the generation | priority << 8 |
 * generation << 16; in_vid: the frame's VID; serial: tsn_gen.serial.  Returns the
 * reason (enum tsn_fwd_reason) | the VID to tag with << 16 (TSN_VID_UNTAGGED:
 * none); for a forward, fib's ifindex is the physical egress port and smac, dmac
 * the MACs to write.
 *
 * bpf_fib_lookup goes through the FIB cache when tsnd has turned it on.  Only
 * successes are cached, and a hit must pass the test the FIB makes after finding
 * the route: a frame longer than the route's MTU misses and gets the FIB's own
 * answer (FRAG_NEEDED).  The FIB's generation is read before the lookup, so an
 * entry made from a FIB that changed meanwhile carries the old generation: a miss
 * as soon as tsnd has seen the change.  An entry also keeps what the egress port
 * made of the flow (which priorities its schedule gates) for the tables of one
 * tsn_gen.serial: a hit then needs no lookup of the egress port.  The cache is
 * this CPU's (bpf_shared.h, "tsn_fib_cache"): entries are read and written in
 * place, no other CPU writes them.
 *
 * A global function: the verifier checks it once, on its own, and tsn_xdp sees
 * its answer as one unknown value instead of one path per FIB answer. */
__noinline int tsn_fib_route(struct xdp_md *ctx, struct bpf_fib_lookup *fib, __u32 rules,
			     __u32 in_vid, __u32 serial)
{
	struct tsn_fib_val *hit = NULL;
	struct tsn_fib_set *set = NULL;
	struct tsn_fib_ent *ent;
	struct fib_scratch *sc;
	struct tsn_fib_ctl *ctl;
	struct tsn_port_conf *eg;
	struct tsn_egress *egv;
	__u32 zero = 0, fgen = 0, mtu, gen = (rules >> 16) & 1, on = 0, idx;
	__u32 egress, out_vid = TSN_VID_UNTAGGED, prio = (rules >> 8) & 7, reason;
	__u8 decided, gated = 0;
	__u16 tot_len;
	int at = -1;
	long rc;

	sc = bpf_map_lookup_elem(&tsn_fib_scratch, &zero);
	if (!fib || !sc)
		return TSN_PASS_OTHER | TSN_VID_UNTAGGED << 16;
	tot_len = fib->tot_len;
	ctl = bpf_map_lookup_elem(&tsn_fib_ctl, &zero);
	/* Read once: every later test of it must take the same branch. */
	if (ctl)
		on = *(volatile __u32 *)&ctl->on;
	if (on) {
		fgen = *(volatile __u32 *)&ctl->gen;
		sc->key.ifindex = fib->ifindex;
		__builtin_memcpy(sc->key.saddr, fib->ipv6_src, 16);
		__builtin_memcpy(sc->key.daddr, fib->ipv6_dst, 16);
		sc->key.flowinfo = fib->flowinfo;
		sc->key.sport = fib->sport;
		sc->key.dport = fib->dport;
		sc->key.l4_protocol = fib->l4_protocol;
		sc->key.pad[0] = sc->key.pad[1] = sc->key.pad[2] = 0;
		idx = tsn_fib_set_of(sc->w, ctl->seed);
		set = bpf_map_lookup_elem(&tsn_fib_cache, &idx);
		if (set) {
			at = fib_way_of(set, sc->w);
			if (at >= 0) {
				hit = &set->way[at & (TSN_FIB_WAYS - 1)].val;
				if (hit->gen != fgen || tot_len > hit->mtu)
					hit = NULL;
			}
		}
	}
	if (hit) {
		fib->ifindex = hit->ifindex;
		__builtin_memcpy(fib->smac, hit->smac, 6);
		__builtin_memcpy(fib->dmac, hit->dmac, 6);
		if (hit->decided && hit->serial == serial && !(rules & TSN_RULES_VLANS))
			return (int)((((hit->gated >> prio) & 1) ? TSN_FWD_TO_QDISC : TSN_FWD_REDIRECT) |
				     TSN_VID_UNTAGGED << 16);
		/* The tables changed since: decide again, and keep the decision. */
	} else {
		rc = bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
		if (rc != BPF_FIB_LKUP_RET_SUCCESS)
			return (int)((rc < 0 ? TSN_PASS_OTHER : fib_reason(rc)) | TSN_VID_UNTAGGED << 16);
		if (set) {
			/* The MTU the FIB checked this frame against (it reports it on
			 * success), and the egress device's, should the route's be the
			 * larger. */
			mtu = fib->mtu_result;
			sc->dev_mtu = 0;
			if (bpf_check_mtu(ctx, fib->ifindex, &sc->dev_mtu, 0, 0) >= 0 && sc->dev_mtu &&
			    sc->dev_mtu < mtu)
				mtu = sc->dev_mtu;
			sc->val.gen = fgen;
			sc->val.ifindex = fib->ifindex;
			sc->val.mtu = (__u16)mtu;
			__builtin_memcpy(sc->val.smac, fib->smac, 6);
			__builtin_memcpy(sc->val.dmac, fib->dmac, 6);
		}
		fib->tot_len = tot_len;
	}

	/* A VLAN sub-interface leaves through its physical port, tagged. */
	egress = fib->ifindex;
	egv = (rules & TSN_RULES_VLANS) ? bpf_map_lookup_elem(&tsn_egress, &egress) : NULL;
	if (egv) {
		egress = egv->ifindex;
		out_vid = egv->vid & VLAN_VID_MASK;
	}
	fib->ifindex = egress;
	sc->pk.ifindex = egress;
	sc->pk.gen = gen;
	eg = bpf_map_lookup_elem(&tsn_ports, &sc->pk);
	/* The same L3 interface out as in: the kernel sends an ICMPv6 redirect. */
	if (!eg || (egress == ctx->ingress_ifindex && out_vid == in_vid)) {
		reason = TSN_PASS_EGRESS;
	} else {
		/* The egress qdisc's gates decide when a scheduled class may leave. */
#pragma unroll
		for (int p = 0; p < TSN_NUM_PRIO_MAX; p++)
			gated |= (__u8)(((eg->sched_mask >> (eg->prio_tc[p] & 7)) & 1) << p);
		reason = ((gated >> prio) & 1) ? TSN_FWD_TO_QDISC : TSN_FWD_REDIRECT;
	}
	/* Decisions only where no VLAN sub-interface is involved: the egress then
	 * follows from the entry alone.  An entry is written when it is new or its
	 * decision changed, not on every frame; being this CPU's own, in place. */
	decided = reason != TSN_PASS_EGRESS && !(rules & TSN_RULES_VLANS);
	if (!decided)
		gated = 0;
	if (hit) {
		if (hit->decided != decided || hit->gated != gated || hit->serial != serial) {
			hit->decided = decided;
			hit->gated = gated;
			hit->serial = serial;
		}
	} else if (set && sc->val.mtu >= tot_len) {
		/* The key's own way if it has one (of another generation, or too
		 * short an MTU), so that a key is never in two ways. */
		ent = &set->way[(at >= 0 ? (__u32)at : fib_victim(set, fgen)) & (TSN_FIB_WAYS - 1)];
		sc->val.decided = decided;
		sc->val.gated = gated;
		sc->val.serial = serial;
		sc->val.pad = 0;
		ent->val = sc->val;
		__builtin_memcpy(ent->w, sc->w, sizeof(sc->w));
	}
	return (int)(reason | out_vid << 16);
}


/* route()'s first refusals, which tsn_xdp also asks to spare a frame the call:
 * not IPv6, or not to the ingress port's own MAC (dst NULL: no Ethernet
 * header).  0: route() decides. */
static __always_inline __u32 route_refusal(int ip6, __u8 has_in, const __u8 *dst, const __u8 *port_mac)
{
	if (!ip6)
		return TSN_PASS_NOT_IPV6;
	if (!has_in || !dst || !mac_equal(dst, port_mac))
		return TSN_PASS_NOT_ROUTED;
	return 0;
}

/* Decide whether the fast path forwards the frame, and where.  Nothing in the
 * frame changes here; on any reason other than a forward, the kernel gets the
 * frame exactly as it arrived. */
static __always_inline void route(struct xdp_md *ctx, const struct frame *f, const struct cls *c,
				  const struct tsn_port_conf *in, __u8 has_in, __u32 gen, __u32 serial,
				  const struct tsn_rules *r, struct fwd *out, struct bpf_fib_lookup *fib)
{
	struct ipv6hdr *ip6 = f->ip6;
	__u32 l3_ifindex = ctx->ingress_ifindex;
	int ret;

	out->reason = route_refusal(ip6 != NULL, has_in, f->eth ? f->eth->h_dest : NULL, in->mac);
	if (out->reason || !ip6)
		return;
	if (f->i->n_tags > 1 || (f->i->n_tags && f->eth->h_proto != bpf_htons(ETH_P_8021Q))) {
		out->reason = TSN_PASS_VLAN;
		return;
	}
	if (f->i->n_tags) {
		struct tsn_vlan_key vk = { .ifindex = ctx->ingress_ifindex, .vid = f->i->vid };
		__u32 *sub = (r->flags & TSN_RULES_VLANS) ? bpf_map_lookup_elem(&tsn_vlan_in, &vk) : NULL;

		if (!sub) {
			out->reason = TSN_PASS_VLAN;
			return;
		}
		l3_ifindex = *sub;
	}
	if (!f->i->len_ok || f->i->l4_short) {
		out->reason = TSN_PASS_LENGTH;
		return;
	}
	if (f->i->hbh || !f->i->walked) {
		out->reason = TSN_PASS_EXT_HDR;
		return;
	}
	if (f->i->frag && (r->flags & TSN_RULES_PORTS_NEEDED)) {
		out->reason = TSN_PASS_FRAGMENT;
		return;
	}
	if (special_addr(&ip6->daddr) || special_addr(&ip6->saddr)) {
		out->reason = TSN_PASS_SCOPE;
		return;
	}
	if (ip6->hop_limit <= 1) {
		out->reason = TSN_PASS_HOP_LIMIT;
		return;
	}

	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = AF_INET6;
	/* Traffic class and flow label: 32 bits, not 16 (an xdp-forward pitfall). */
	fib->flowinfo = *(__be32 *)ip6 & bpf_htonl(0x0fffffff);
	fib->l4_protocol = f->i->nexthdr;
	fib->sport = f->i->ports_ok ? f->i->sport : 0;
	fib->dport = f->i->ports_ok ? f->i->dport : 0;
	fib->tot_len = (__u16)(bpf_ntohs(ip6->payload_len) + sizeof(struct ipv6hdr));
	fib->ifindex = l3_ifindex;
	__builtin_memcpy(fib->ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(fib->ipv6_dst, &ip6->daddr, 16);
	ret = tsn_fib_route(ctx, fib,
			    (r->flags & TSN_RULES_VLANS) | (__u32)(c->priority & 7) << 8 | (gen & 1) << 16,
			    f->i->vid, serial);
	/* Everything tsn_xdp branches on comes back in the return value: what the
	 * verifier assumes about stack a global function wrote to is not something
	 * to rely on (it could prune a path as dead).  fib's MACs and ifindex are
	 * only copied. */
	out->reason = ret & 0xff;
	out->out_vid = (__u32)ret >> 16;
	out->egress = fib->ifindex;
	out->to_qdisc = out->reason == TSN_FWD_TO_QDISC;
}

/* Rewrite a frame route() accepted: hop limit, MACs, VLAN tag.  0, or -1 if the
 * kernel refused to move the frame's head (the frame is then dropped: it may be
 * half rewritten).  bpf_xdp_adjust_meta may have run before, which invalidates
 * every packet pointer: this works from ctx with the fixed offsets of an untagged
 * or single-tagged frame (route() accepts no other). */
static __always_inline int rewrite(struct xdp_md *ctx, __u8 tagged_in, const struct cls *c,
				   const struct fwd *fw, const struct bpf_fib_lookup *fib)
{
	__u8 *p = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (tagged_in) {
		if ((void *)(p + ETH_HLEN + VLAN_HLEN + sizeof(struct ipv6hdr)) > end)
			return -1;
		((struct ipv6hdr *)(p + ETH_HLEN + VLAN_HLEN))->hop_limit--;
		if (fw->out_vid == TSN_VID_UNTAGGED) {
			/* Untagged out: the MACs move 4 bytes in, over the tag. */
			__builtin_memcpy(p + VLAN_HLEN, fib->dmac, 6);
			__builtin_memcpy(p + VLAN_HLEN + 6, fib->smac, 6);
			return bpf_xdp_adjust_head(ctx, VLAN_HLEN) ? -1 : 0;
		}
		/* Tagged out: a new VID; PCP and DEI are carried across. */
		__u16 tci = bpf_ntohs(*(__be16 *)(p + 14));

		*(__be16 *)(p + 14) = bpf_htons((tci & ~VLAN_VID_MASK) | (__u16)fw->out_vid);
		__builtin_memcpy(p, fib->dmac, 6);
		__builtin_memcpy(p + 6, fib->smac, 6);
		return 0;
	}
	if ((void *)(p + ETH_HLEN + sizeof(struct ipv6hdr)) > end)
		return -1;
	((struct ipv6hdr *)(p + ETH_HLEN))->hop_limit--;
	if (fw->out_vid != TSN_VID_UNTAGGED) {
		/* Tagged out: 4 bytes in front; the EtherType stays where it is and
		 * the tag goes before it.  PCP from the frame's priority. */
		if (bpf_xdp_adjust_head(ctx, -VLAN_HLEN))
			return -1;
		p = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
		if ((void *)(p + ETH_HLEN + VLAN_HLEN) > end)
			return -1;
		*(__be16 *)(p + 12) = bpf_htons(ETH_P_8021Q);
		*(__be16 *)(p + 14) = bpf_htons(((__u16)(c->priority & 7) << 13) | (__u16)fw->out_vid);
	}
	__builtin_memcpy(p, fib->dmac, 6);
	__builtin_memcpy(p + 6, fib->smac, 6);
	return 0;
}

/* Metadata in front of the frame for the tc program.  Must be reserved (before
 * any bpf_xdp_adjust_head, which carries it along) and filled afterwards. */
static __always_inline int reserve_meta(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *meta = (void *)(long)ctx->data_meta;

	if (!tsn_xdp_meta)
		return -1;	/* the kernel refuses the helper */
	if (meta + sizeof(struct tsn_xdp_meta) == data)
		return 0;	/* already there (BPF_PROG_RUN repeats on one buffer) */
	if (meta != data)
		return -1;	/* someone else's metadata: leave it alone */
	return bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct tsn_xdp_meta));
}

/* rx_tstamp: the ingress stamp for residence time (docs/telemetry.md), one clock
 * read while telemetry is on.  Read here, as the frame leaves XDP, and not at the
 * program's entry: a value carried through the whole program costs the verifier
 * states it cannot spare. */
static __always_inline void fill_meta(struct xdp_md *ctx, const struct cls *c, const struct fwd *fw,
				      __u32 port_slot)
{
	__u32 zero = 0;
	struct tsn_tele_on *tele = bpf_map_lookup_elem(&tsn_tele_on, &zero);
	__u64 rx_tstamp = tele && tele->on ? police_now() : 0;

	void *data = (void *)(long)ctx->data;
	struct tsn_xdp_meta *m = (void *)(long)ctx->data_meta;

	if ((void *)(m + 1) > data)
		return;
	m->magic = TSN_META_MAGIC;
	m->stream_id = c->stream_id;
	m->egress_ifindex = fw->to_qdisc ? fw->egress : 0;
	m->priority = c->priority;
	m->tc = c->tc;
	m->flags = (fw->to_qdisc ? TSN_META_TO_QDISC : 0) | (c->stream_id ? TSN_META_STREAM : 0) |
		   TSN_META_PORT;
	m->port_slot = (__u8)port_slot;
	m->rx_tstamp = rx_tstamp;
}

/* ---- the stages of tsn_xdp ---- */

/* What the stages of one frame share: per CPU, because a packet pointer cannot
 * cross into a global function's memory argument and a stack of this size would
 * not fit beside the stages' own.  Every field is written for each frame before
 * it is read (tsn_xdp_parse clears the lot). */
struct xstate {
	struct frame_info f;
	struct cls c;
	struct fwd fw;
	struct tsn_port_conf in;	/* the ingress port's, valid if has_in */
	__u32 gen;
	__u32 serial;
	__u8 has_rules;			/* tsn_rules of gen found */
	__u8 has_in;
	__u8 pad[6];
	struct bpf_fib_lookup fib;	/* route's lookup; its MACs for rewrite */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xstate);
} tsn_xstate SEC(".maps");

/* The frame's packet pointers again, from ctx and the offsets parsing found:
 * each stage derives its own (none crosses a global function). */
static __always_inline void frame_load(struct xdp_md *ctx, struct frame *f, struct frame_info *fi)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 off = fi->ip6_off & 63;	/* at most 14 + 2 tags + an R-TAG = 28 */

	f->data = data;
	f->end = end;
	f->i = fi;
	f->eth = NULL;
	f->tag = NULL;
	f->ip6 = NULL;
	if (data + ETH_HLEN > end)
		return;
	f->eth = data;
	if (fi->n_tags && data + ETH_HLEN + sizeof(struct vlan_tag) <= end)
		f->tag = data + ETH_HLEN;
	if (off) {
		struct ipv6hdr *ip6 = data + off;

		/* The bound checked on the pointer itself, not on data + (off + 40):
		 * the verifier ties the range to the register it compares. */
		barrier_var(ip6);
		if ((void *)(ip6 + 1) <= end)
			f->ip6 = ip6;
	}
}

/* Global functions: the verifier checks each once, on its own, with ctx and the
 * frame state as unknown memory, instead of once for every path of the stages
 * before it (the paths multiply: tsn_xdp inline reached 814 000 of the 1M
 * instructions the verifier processes at most).  Arguments: ctx and the state;
 * results go to the state and the return value.  A stage that may move the
 * frame's head would invalidate the caller's packet pointers without 6.1's
 * verifier knowing: no stage does, rewrite and the metadata stay in tsn_xdp. */

/* Parse the frame into st->f (the state cleared first). */
__noinline int tsn_xdp_parse(struct xdp_md *ctx, struct xstate *st)
{
	struct frame f = {
		.data = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};

	if (!st)
		return 0;
	__builtin_memset(st, 0, offsetof(struct xstate, fib));
	f.i = &st->f;
	st->f.len = (__u32)(f.end - f.data);
	parse(&f);
	return 0;
}

/* Find the generation and the ingress port, classify. */
__noinline int tsn_xdp_classify(struct xdp_md *ctx, struct xstate *st)
{
	struct tsn_port_conf *in;
	struct tsn_rules *r;
	struct tsn_gen *g;
	struct frame f;
	__u32 zero = 0, gen;

	if (!st)
		return 0;
	/* One generation for every lookup of this frame. */
	g = bpf_map_lookup_elem(&tsn_gen, &zero);
	gen = g ? g->active & 1 : 0;
	st->gen = gen;
	st->serial = g ? g->serial : 0;
	r = bpf_map_lookup_elem(&tsn_rules, &gen);
	if (r) {
		st->has_rules = 1;
		in = ingress_conf(ctx->ingress_ifindex, gen, st->serial);
		if (in) {
			st->has_in = 1;
			((__u64 *)&st->in)[0] = ((__u64 *)in)[0];
			((__u64 *)&st->in)[1] = ((__u64 *)in)[1];
			((__u64 *)&st->in)[2] = ((__u64 *)in)[2];
		}
		frame_load(ctx, &f, &st->f);
		classify(&f, gen, r, &st->c);
	}
	st->c.tc = st->has_in ? st->in.prio_tc[st->c.priority & 7] & 7 : st->c.priority;
	return 0;
}

/* The first conditions of tsn_xdp_filter's checks, which tsn_xdp also asks to
 * spare the call to a frame none of them could act on. */
static __always_inline int filter_acl_on(const struct xstate *st)
{
	return st->has_in && (st->in.acl & TSN_PACL_DENY);
}

static __always_inline int filter_storm_on(const struct xstate *st)
{
	return st->has_in && st->in.storm;
}

/* A frame of no stream that carries its own priority, on a port that acts on it. */
static __always_inline int filter_unmatched_on(const struct xstate *st)
{
	return st->has_in && !st->c.stream_id && st->c.marked &&
	       st->in.unmatched != TSN_BPF_UNMATCHED_PASS;
}

static __always_inline int filter_needed(const struct xstate *st)
{
	return filter_acl_on(st) || filter_storm_on(st) || st->c.filter_id || filter_unmatched_on(st);
}

/* Access list, storm guard, 802.1Qci filter, unmatched marked frames: XDP_DROP
 * (st->fw.reason says why) or XDP_PASS, st->c's priority possibly changed. */
__noinline int tsn_xdp_filter(struct xdp_md *ctx, struct xstate *st)
{
	struct tsn_port_conf *in;
	struct tsn_rules *r;
	struct frame f;
	__u32 gen;
	__u8 has_in;

	if (!st)
		return XDP_PASS;
	/* The port's configuration by a flag beside a pointer that is never NULL:
	 * 6.1's verifier loses the link between a flag and a pointer made NULL
	 * from it (clang tests the flag again in place of the pointer). */
	has_in = st->has_in;
	in = &st->in;
	gen = st->gen & 1;
	r = bpf_map_lookup_elem(&tsn_rules, &gen);
	frame_load(ctx, &f, &st->f);

	/* The port's access list comes first: a frame it refuses is no one's. */
	if (filter_acl_on(st) && !acl_allows(&f, in, ctx->ingress_ifindex, gen)) {
		st->fw.reason = TSN_FWD_ACL;
		return XDP_DROP;
	}

	/* The storm guard: broadcast, multicast and unknown unicast at most at their rates. */
	if (filter_storm_on(st) && f.eth && storm_over(&f, in, ctx->ingress_ifindex, gen)) {
		st->fw.reason = TSN_FWD_STORM;
		return XDP_DROP;
	}

	/* 802.1Qci: the stream's filter may drop the frame or demote it. */
	if (r && st->c.filter_id) {
		__u8 demote_prio = 0;
		int pv = police(gen, &st->c, &f, &demote_prio);

		if (pv == POLICE_DROP) {
			st->fw.reason = TSN_FWD_DROP;
			return XDP_DROP;
		} else if (pv == POLICE_DEMOTE) {
			st->c.priority = demote_prio & 7;
			st->c.tc = has_in ? in->prio_tc[st->c.priority & 7] & 7 : st->c.priority;
		}
	}

	/* Frames of no stream that carry a gated priority in their own PCP/DSCP. */
	if (r && filter_unmatched_on(st) && ((r->protected_prios >> (st->c.priority & 7)) & 1)) {
		if (in->unmatched == TSN_BPF_UNMATCHED_DROP) {
			st->fw.reason = TSN_FWD_DROP;
			return XDP_DROP;
		}
		st->c.priority = r->default_priority & 7;
		st->c.tc = in->prio_tc[st->c.priority & 7] & 7;
	}
	return XDP_PASS;
}

/* The fast path's decision (route()): st->fw and, for a forward, st->fib. */
__noinline int tsn_xdp_route(struct xdp_md *ctx, struct xstate *st)
{
	struct tsn_rules *r;
	struct frame f;
	__u32 gen;

	if (!st)
		return 0;
	gen = st->gen & 1;
	r = bpf_map_lookup_elem(&tsn_rules, &gen);
	if (!r)
		return 0;
	frame_load(ctx, &f, &st->f);
	route(ctx, &f, &st->c, &st->in, st->has_in, gen, st->serial, r, &st->fw, &st->fib);
	return 0;
}

SEC("xdp")
int tsn_xdp(struct xdp_md *ctx)
{
	struct tsn_stream_counters *sc;
	struct port_counters *pc;
	struct xstate *st;
	__u32 zero = 0, len, pslot, cpu;
	int verdict;

	st = bpf_map_lookup_elem(&tsn_xstate, &zero);
	if (!st)
		return XDP_PASS;
	tsn_xdp_parse(ctx, st);
	tsn_xdp_classify(ctx, st);
	pslot = st->has_in ? st->in.slot : TSN_PORT_SLOT_NONE;
	st->fw.reason = TSN_PASS_NOT_IPV6;
	/* Only a frame some filter could act on pays for the call. */
	verdict = XDP_PASS;
	if (filter_needed(st))
		verdict = tsn_xdp_filter(ctx, st) == XDP_DROP ? XDP_DROP : XDP_PASS;

	/* FRER frames are bridged (802.1CB): frer_xdp and frer_tc take them on.  A
	 * frame route() would refuse at once skips the call. */
	if (verdict == XDP_PASS && st->has_rules && !st->c.frer && !st->f.rtag) {
		__u8 *dst = (void *)(long)ctx->data;
		__u32 refusal;

		if ((void *)(dst + ETH_HLEN) > (void *)(long)ctx->data_end)
			dst = NULL;
		refusal = route_refusal(st->f.ip6_off != 0, st->has_in, dst, st->in.mac);
		if (refusal)
			st->fw.reason = refusal;
		else
			tsn_xdp_route(ctx, st);
	}

	if (st->fw.reason == TSN_FWD_TO_QDISC || st->fw.reason == TSN_FWD_REDIRECT) {
		if (st->fw.to_qdisc && reserve_meta(ctx)) {
			/* No metadata on this driver: tc could not find the frame's
			 * egress, so the kernel forwards it, unchanged. */
			st->fw.reason = TSN_PASS_OTHER;
			st->fw.to_qdisc = 0;
		} else if (rewrite(ctx, st->f.n_tags, &st->c, &st->fw, &st->fib)) {
			st->fw.reason = TSN_FWD_DROP;
			verdict = XDP_DROP;
		} else if (st->fw.to_qdisc) {
			fill_meta(ctx, &st->c, &st->fw, pslot);
			verdict = XDP_PASS;
		} else {
			verdict = (int)bpf_redirect_map(&tsn_tx_ports, st->fw.egress, 0);
		}
	} else if (verdict == XDP_PASS && reserve_meta(ctx) == 0) {
		fill_meta(ctx, &st->c, &st->fw, pslot);
	}

	len = st->f.len;
	cpu = bpf_get_smp_processor_id();
	pc = port_slot(cpu, pslot);
	if (pc) {
		/* Per-CPU values: no other CPU writes this slot, plain adds suffice. */
		__u32 kind = st->f.kind, tc = st->c.tc & 7, reason = st->fw.reason;

		if (kind < TSN_KIND_COUNT) {
			pc->kind[kind].packets++;
			pc->kind[kind].bytes += len;
		}
		pc->tc[tc].packets++;
		pc->tc[tc].bytes += len;
		if (verdict == XDP_DROP)
			pc->tc[tc].drops++;
		if (reason < TSN_FWD_COUNT)
			pc->fwd[reason]++;
	}
	if (st->c.stream_id) {
		__u32 slot = st->c.slot, idx;

		/* tsn_ncpus is a constant to the verifier: it bounds the index. */
		idx = cpu * TSN_MAX_STREAMS + slot;
		sc = cpu < tsn_ncpus && slot < TSN_MAX_STREAMS ?
			bpf_map_lookup_elem(&tsn_strm_stats, &idx) : NULL;
		if (sc) {
			sc->packets++;
			sc->bytes += len;
			if (verdict == XDP_DROP)
				sc->drops++;
		}
	}
	/* FRER last, after the counting: its own counters say why it drops.
	 * With no FRER program loaded the tail call falls through to the bridge. */
	if (verdict == XDP_PASS && (st->c.frer || st->f.rtag))
		bpf_tail_call(ctx, &tsn_frer_prog, 0);
	/* Not for this port's own MAC, and not routed: the bridge's static entries
	 * may forward it (no program in the hook: the tail call falls through).
	 * The frame is read afresh: helpers above may have moved it. */
	if (verdict == XDP_PASS && st->has_in && st->fw.reason != TSN_FWD_TO_QDISC) {
		__u8 *dst = (void *)(long)ctx->data;

		if ((void *)(dst + ETH_HLEN) <= (void *)(long)ctx->data_end &&
		    !mac_equal(dst, st->in.mac))
			bpf_tail_call(ctx, &tsn_br_hook, 0);
	}
	return verdict;
}

/* The counter slot of a port whose frame came with someone else's metadata
 * (FRER's): from the port's configuration, as tsn_xdp would have found it. */
static __always_inline __u32 tc_port_slot(__u32 ifindex)
{
	struct tsn_port_conf *in;
	struct tsn_gen *g;
	__u32 zero = 0;

	g = bpf_map_lookup_elem(&tsn_gen, &zero);
	in = ingress_conf(ifindex, g ? g->active & 1 : 0, g ? g->serial : 0);
	return in ? in->slot : TSN_PORT_SLOT_NONE;
}

SEC("tc")
int tsn_tc_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	struct tsn_xdp_meta *m = (void *)(long)skb->data_meta;
	struct port_counters *pc;
	int action = TC_ACT_OK;
	__u32 which = TSN_TC_PRIORITY;

	if ((void *)(m + 1) > data || m->magic != TSN_META_MAGIC)
		return TC_ACT_OK;
	if (m->flags & TSN_META_BRIDGE)
		bpf_tail_call(skb, &tsn_br_tc_hook, 0);
	skb->priority = m->priority;
	if (m->flags & TSN_META_TO_QDISC) {
		/* Egress, flags 0: dev_queue_xmit, so the frame meets the qdisc. */
		action = (int)bpf_redirect(m->egress_ifindex, 0);
		which = action == TC_ACT_REDIRECT ? TSN_TC_REDIRECTED : TSN_TC_REDIRECT_FAILED;
	}
	pc = port_slot(bpf_get_smp_processor_id(),
		       m->flags & TSN_META_PORT ? m->port_slot : tc_port_slot(skb->ifindex));
	if (pc)
		pc->tc_path[which]++;
	return action;
}

/* The kernel counts "Dual BSD/GPL" as GPL compatible, so the GPL-only helpers this
 * needs (bpf_fib_lookup) are available while the source remains usable under BSD
 * terms. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
