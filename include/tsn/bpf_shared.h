/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* bpf_shared.h — map keys and values shared by the BPF programs in bpf/ and the
 * user-space loaders in daemon/.  Fixed-width types and explicit padding only: this
 * header is compiled for the BPF target as well as for the host, and both must see
 * the same layout (the loader checks the sizes at build time).
 *
 * The maps of bpf/dataplane.bpf.c fall into three groups:
 *
 *   tables   written by tsnd from the configuration, in two generations.  Every
 *            key carries the generation it belongs to; tsn_gen holds the active
 *            one.  The XDP program reads tsn_gen once per frame and uses that
 *            generation for every lookup, so one frame never mixes two tables.
 *            An update fills the inactive generation, flips tsn_gen (one 32-bit
 *            store), and cleans the old generation only after an RCU grace
 *            period, when no frame can still be using it (docs/dataplane.md).
 *   kernel   facts tsnd copies from the kernel: the ports' VLAN sub-interfaces,
 *            the devmap of ports XDP may redirect to.
 *   counters per-CPU, written by the programs only, read and summed by tsnd.
 */
#ifndef TSN_BPF_SHARED_H
#define TSN_BPF_SHARED_H

#include <linux/bpf.h>
#include <linux/types.h>

#define TSN_MAX_PORTS		256
#define TSN_MAX_STREAMS		65536
#define TSN_MAX_ETHERTYPE_RULES	64
#define TSN_NUM_TC_MAX		8	/* traffic classes */
#define TSN_NUM_PRIO_MAX	8	/* internal priorities 0..7 */
#define TSN_IP6_MAX_MASKS	8	/* distinct shapes of ipv6 streams */
#define TSN_VID_UNTAGGED	0xffff	/* vid of an untagged frame in stream keys */
#define TSN_NO_RULE		0xff	/* pcp_prio/dscp_prio: no rule for this value */
#define TSN_MAX_EXT_HDRS	4	/* IPv6 extension headers walked at most */

/* Frame kinds counted per port (index into struct port_counters.kind). */
enum tsn_frame_kind {
	TSN_KIND_PTP = 0,	/* EtherType 0x88F7, untagged or VLAN-tagged */
	TSN_KIND_IPV6,
	TSN_KIND_IPV4,
	TSN_KIND_ARP,
	TSN_KIND_VLAN,		/* tagged frames of any other EtherType */
	TSN_KIND_OTHER,
	TSN_KIND_MALFORMED,	/* shorter than its headers claim, or an IPv6 version not 6 */
	TSN_KIND_COUNT
};

/* What the XDP program did with a frame, counted per port.  Every frame counts
 * exactly once.  The PASS_* reasons hand the frame to the kernel's own stack,
 * which forwards it (through the qdisc), answers with ICMPv6, resolves neighbours
 * or drops it, exactly as a Linux router without tsnd would. */
enum tsn_fwd_reason {
	TSN_FWD_REDIRECT = 0,	/* forwarded by XDP_REDIRECT (class not scheduled on egress) */
	TSN_FWD_TO_QDISC,	/* forwarded through tc + the egress qdisc (scheduled class) */
	TSN_FWD_DROP,		/* dropped: unmatched-priority drop, or a stream filter */
	TSN_PASS_NOT_IPV6,	/* not IPv6: not the fast path's business */
	TSN_PASS_NOT_ROUTED,	/* destination MAC not the port's own (multicast, other host) */
	TSN_PASS_VLAN,		/* QinQ, or a VID with no VLAN sub-interface known to tsnd */
	TSN_PASS_HOP_LIMIT,	/* hop limit <= 1: the kernel sends ICMPv6 time exceeded */
	TSN_PASS_SCOPE,		/* link-local, multicast, loopback, unspecified, v4-mapped */
	TSN_PASS_EXT_HDR,	/* hop-by-hop options, or extension headers not walked */
	TSN_PASS_FRAGMENT,	/* a fragment while streams need ports */
	TSN_PASS_LENGTH,	/* payload length disagrees with the frame */
	TSN_PASS_UNREACHABLE,	/* FIB: an unreachable, blackhole or prohibit route */
	TSN_PASS_NOT_FWDED,	/* FIB: no route, a local destination, or forwarding off */
	TSN_PASS_NO_NEIGH,	/* FIB: next hop's MAC unknown: the kernel runs ND */
	TSN_PASS_MTU,		/* FIB: larger than the egress MTU: ICMPv6 packet too big */
	TSN_PASS_EGRESS,	/* egress is not a tsnd port, or the ingress port itself */
	TSN_PASS_OTHER,		/* FIB: anything else (encapsulation, ...), meta unsupported */
	TSN_FWD_ACL,		/* dropped: the port's access list (default deny) let it not in */
	TSN_FWD_STORM,		/* dropped: the port's storm guard (broadcast/multicast/unknown rate) */
	TSN_FWD_COUNT
};

/* Counters the tc program keeps (index into struct port_counters.tc_path). */
enum tsn_tc_counter {
	TSN_TC_REDIRECTED = 0,	/* marked by XDP and redirected to the egress qdisc */
	TSN_TC_PRIORITY,	/* only skb->priority set (frame left to the kernel) */
	TSN_TC_REDIRECT_FAILED,	/* bpf_redirect refused (egress gone) */
	TSN_TC_COUNT
};

struct tsn_kind_counter {
	__u64 packets;
	__u64 bytes;
};

struct tsn_class_counter {
	__u64 packets;
	__u64 bytes;
	__u64 drops;
};

/* Value of the array "port_stats": one region of TSN_PORT_SLOTS values per
 * possible CPU, index cpu * TSN_PORT_SLOTS + the port's slot (tsn_port_conf.slot;
 * slot TSN_PORT_SLOT_NONE counts frames of ports with no configuration).  Classes
 * are the ingress port's traffic classes (see struct tsn_port_conf.prio_tc). */
struct port_counters {
	struct tsn_kind_counter kind[TSN_KIND_COUNT];
	struct tsn_class_counter tc[TSN_NUM_TC_MAX];
	__u64 fwd[TSN_FWD_COUNT];
	__u64 tc_path[TSN_TC_COUNT];
	__u64 pad;
};

/* ---- tables (generational) ---- */

/* "tsn_gen": array of one: the active generation (0 or 1). */
struct tsn_gen {
	__u32 active;
	__u32 serial;		/* counts flips, for tsnd's own bookkeeping */
};

#define TSN_RULES_ETHERTYPE	0x01	/* tsn_ethertype has rules in this generation */
#define TSN_RULES_MAC_DST	0x02	/* dst-mac-vlan streams exist */
#define TSN_RULES_MAC_SRC	0x04	/* src-mac-vlan streams exist */
#define TSN_RULES_PORTS_NEEDED	0x08	/* some ipv6 stream matches on ports */
#define TSN_RULES_VLANS		0x10	/* tsn_vlan_in/tsn_egress have entries */

/* "tsn_rules": array of two, indexed by generation. */
struct tsn_rules {
	__u8 default_priority;
	__u8 n_ip6_masks;	/* entries used in ip6_masks */
	__u8 flags;		/* TSN_RULES_* */
	__u8 protected_prios;	/* bit p: priority p is gated on some port (unmatched-priority) */
	__u8 pcp_prio[8];	/* PCP -> priority, TSN_NO_RULE if none */
	__u8 dscp_prio[64];	/* DSCP -> priority, TSN_NO_RULE if none */
	__u8 ip6_masks[TSN_IP6_MAX_MASKS];	/* TSN_IP6F_* sets, most specific first */
	/* bit (e & 0xff) set: tsn_ethertype may have a rule for EtherType e; spares
	 * most frames (IPv6 among them) the hash lookup. */
	__u8 ethertype_hint[32];
	__u32 strm_mask;	/* tsn_strm_tab: this generation's table has strm_mask + 1 entries */
	__u32 strm_seed;	/* and hashes with this seed (tsn_strm_hash) */
};

/* "tsn_ethertype": hash, key TSN_ETHERTYPE_KEY(gen, ethertype), value __u32 priority. */
#define TSN_ETHERTYPE_KEY(gen, ethertype) (((__u32)(gen) << 16) | (__u32)(ethertype))

#define TSN_PORT_SCHEDULED	0x01	/* the port has a gate schedule */
#define TSN_BPF_UNMATCHED_PASS	0
#define TSN_BPF_UNMATCHED_DROP	1
#define TSN_BPF_UNMATCHED_DEMOTE	2

/* "tsn_ports": hash keyed by struct tsn_port_key: every port tsnd attached to. */
struct tsn_port_key {
	__u32 ifindex;
	__u32 gen;
};

struct tsn_port_conf {
	__u8 mac[6];		/* the port's address: frames to it may be routed */
	__u8 flags;		/* TSN_PORT_* */
	__u8 sched_mask;	/* classes whose gate closes in some entry: via the qdisc */
	__u8 prio_tc[TSN_NUM_PRIO_MAX];	/* priority -> traffic class (identity w/o schedule) */
	__u8 unmatched;		/* TSN_BPF_UNMATCHED_* for frames received here */
	__u8 acl;		/* TSN_PACL_*: the port's access list */
	__u8 storm;		/* the port has a storm guard (tsn_storm_conf) */
	__u8 slot;		/* its counters in port_stats; kept across reloads */
	__u8 pad[4];
};

/* Port counter slots: 1..TSN_PORT_SLOTS-1 for configured ports (tsnd's allocator,
 * daemon/dataplane/classifier.c), 0 for frames of a port without one.  A u8 each,
 * so that the XDP metadata can carry it to the tc program. */
#define TSN_PORT_SLOTS		256
#define TSN_PORT_SLOT_NONE	0

/* Access lists per port (ports[].acl).  With TSN_PACL_DENY a frame is let in only
 * when its source MAC (tsn_acl, kind MAC), its EtherType (tsn_acl, kind
 * ETHERTYPE) or, for IPv6, its source address (tsn_acl_pfx) is allowed. */
#define TSN_PACL_DENY	0x01	/* default deny: the lists below decide */
#define TSN_PACL_MAC	0x02	/* the port has source MACs in tsn_acl */
#define TSN_PACL_PFX	0x04	/* the port has prefixes in tsn_acl_pfx */
#define TSN_PACL_ET	0x08	/* the port has EtherTypes in tsn_acl */
#define TSN_ACL_KIND_MAC	1
#define TSN_ACL_KIND_ETHERTYPE	2
#define TSN_ACL_MAX		65536	/* entries per map, both generations */

/* Storm guard per port (ports[].storm-guard): one token bucket per kind of frame. */
#define TSN_STORM_BCAST		0	/* destination ff:ff:ff:ff:ff:ff */
#define TSN_STORM_MCAST		1	/* other group addresses */
#define TSN_STORM_UNKNOWN	2	/* unicast to a MAC that is not the port's own */
#define TSN_STORM_KINDS		4	/* array size (3 used; a power of two for the verifier) */

/* "tsn_storm_conf": hash keyed by struct tsn_port_key (generational).  rate 0:
 * no limit.  Bursts in the units of bpf_meter.h. */
struct tsn_storm_conf {
	__u64 rate_bps[TSN_STORM_KINDS];
	__u64 burst_units[TSN_STORM_KINDS];
};

/* "tsn_storm": hash keyed by __u32 ifindex, created by the program: the buckets
 * (not generational: they carry over reloads). */
struct tsn_storm_state {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 tokens[TSN_STORM_KINDS];
	__u64 last_ns[TSN_STORM_KINDS];
};

/* "tsn_acl": hash, value __u8 (1).  val: the MAC, or the EtherType in network
 * order in val[0..1]; the rest zero. */
struct tsn_acl_key {
	__u32 ifindex;
	__u8 gen;
	__u8 kind;		/* TSN_ACL_KIND_* */
	__u8 val[6];
};

/* "tsn_acl_pfx": LPM trie, value __u8 (1).  prefixlen counts the bits of
 * ifindex and gen (64) plus the prefix's length. */
struct tsn_acl_pfx_key {
	__u32 prefixlen;
	__u32 ifindex;
	__u32 gen;
	__u8 addr[16];
};

/* Stream identification (IEEE 802.1CB).  A stream maps to this value. */
struct tsn_stream_val {
	__u32 stream_id;	/* the config's id (1..2^32-2) */
	__u16 filter_id;	/* 802.1Qci stream filter, 0: none (room for policing) */
	__u8 priority;
	__u8 flags;		/* TSN_STRM_* (bpf_frer.h) */
	__u32 slot;		/* its counters in tsn_strm_stats (< TSN_MAX_STREAMS) */
};

#define TSN_MAC_DST 1
#define TSN_MAC_SRC 2

/* "tsn_mac_streams": hash.  Null stream identification (destination MAC + VLAN)
 * and source MAC + VLAN identification share it, told apart by kind.  vid is the
 * outer tag's VID (host order), TSN_VID_UNTAGGED for untagged frames. */
struct tsn_mac_key {
	__u8 mac[6];
	__u16 vid;
	__u8 kind;		/* TSN_MAC_DST or TSN_MAC_SRC */
	__u8 gen;
	__u8 pad[2];
};

/* Fields an ipv6 stream may specify; the set of given fields is its mask. */
#define TSN_IP6F_SRC	0x01
#define TSN_IP6F_DST	0x02
#define TSN_IP6F_DSCP	0x04
#define TSN_IP6F_NH	0x08	/* next header: the upper-layer protocol after the walk */
#define TSN_IP6F_SPORT	0x10
#define TSN_IP6F_DPORT	0x20
#define TSN_IP6F_VLAN	0x40
#define TSN_IP6F_PORTS	(TSN_IP6F_SPORT | TSN_IP6F_DPORT)

/* "tsn_ip6_streams": hash.  IP stream identification: the frame's fields masked
 * by one of the generation's masks (fields outside the mask are zero), with the
 * mask itself in the key so that shapes never collide. */
struct tsn_ip6_key {
	__u8 src[16];
	__u8 dst[16];
	__be16 sport;
	__be16 dport;
	__u16 vid;		/* host order */
	__u8 dscp;
	__u8 nexthdr;
	__u8 mask;		/* TSN_IP6F_* */
	__u8 gen;
	__u8 pad[2];
};

/* "tsn_strm_tab": the streams as the XDP program looks them up, an open-addressing
 * table in an array (mmapable: tsnd writes a generation's table in one copy).
 * Generation g's table is entries g * TSN_STRM_TAB_CAP + (0 .. strm_mask) of its
 * tsn_rules; a key k sits within TSN_STRM_PROBES entries (linear probing, with
 * wraparound inside the table) of tsn_strm_hash(k) & strm_mask, which tsnd's
 * builder guarantees (classifier.c).  An entry with stream_id 0 is empty and ends
 * a search: tables are built whole, never deleted from.  The hash maps
 * tsn_mac_strm and tsn_ip6_strm hold the same keys: they are tsnd's record (the
 * duplicate check, the counter slots a restart rebuilds), the program reads this. */
#define TSN_STRM_TAB_CAP	(2 * TSN_MAX_STREAMS)	/* entries per generation: load <= 1/2 */
#define TSN_STRM_PROBES		16
#define TSN_STRM_KEY_WORDS	6

/* Both kinds of key in one table: a MAC key leaves bytes 12.. zero, an ipv6 key
 * has its (never zero) mask at byte 40, so the two never compare equal. */
union tsn_strm_key {
	struct tsn_ip6_key ip6;
	struct tsn_mac_key mac;
	__u64 w[TSN_STRM_KEY_WORDS];
};

struct tsn_strm_ent {
	union tsn_strm_key key;
	struct tsn_stream_val val;	/* val.stream_id 0: empty */
	__u32 pad;
};

/* The table's hash: one multiply per key word (independent, so they overlap),
 * then the sum folded and mixed once so that every bit of it reaches the low
 * bits the table uses.  Shared by the program and the builder. */
static inline __u32 tsn_strm_hash(const __u64 *w, __u32 seed)
{
	__u64 h = (w[0] ^ seed) * 0x9e3779b97f4a7c15ULL + w[1] * 0xc2b2ae3d27d4eb4fULL +
		  w[2] * 0x165667b19e3779f9ULL + w[3] * 0xd6e8feb86659fd93ULL +
		  w[4] * 0xff51afd7ed558ccdULL + w[5] * 0xc4ceb9fe1a85ec53ULL;

	h ^= (h >> 32) ^ seed;
	h *= 0x9e3779b97f4a7c15ULL;
	return (__u32)(h >> 32);
}

/* Value of the array "tsn_strm_stats": one region of TSN_MAX_STREAMS values per
 * possible CPU, index cpu * TSN_MAX_STREAMS + the stream's slot
 * (tsn_stream_val.slot), which tsnd keeps for a stream id across reloads. */
struct tsn_stream_counters {
	__u64 packets;
	__u64 bytes;
	__u64 drops;
};

/* ---- IEEE 802.1Qci per-stream filtering and policing ---- */

#define TSN_MAX_FILTERS		4096	/* stream filters and flow meters (config limits) */
#define TSN_FILTER_SLOTS	(TSN_MAX_FILTERS + 1)	/* ids count from 1; 0: none */
#define TSN_BPF_EXCEED_DROP	0
#define TSN_BPF_EXCEED_DEMOTE	1
#define TSN_FILTER_COLOR_AWARE	0x01	/* meter: a frame's DEI makes it arrive yellow */
#define TSN_FILTER_COUPLED	0x02	/* meter: committed overflow feeds the excess bucket */

/* "tsn_filters": array of 2 * TSN_FILTER_SLOTS, index gen * TSN_FILTER_SLOTS +
 * filter id (a stream's tsn_stream_val.filter_id).  A filter with its meter's
 * parameters copied in, so one lookup serves a frame.  Rates in bit/s, bucket
 * sizes in the units of include/tsn/bpf_meter.h (1/8e9 byte). */
struct tsn_filter_conf {
	__u32 max_sdu;		/* largest frame in bytes (as XDP sees it, no FCS), 0: any */
	__u16 meter_id;		/* index into tsn_meters, 0: no meter */
	__u8 on_exceed;		/* TSN_BPF_EXCEED_*: what happens to red frames */
	__u8 demote_prio;	/* priority of demoted frames */
	__u16 gate_id;		/* index into tsn_gates (generation's half), 0: no gate */
	__u8 meter_flags;	/* TSN_FILTER_COLOR_AWARE, TSN_FILTER_COUPLED */
	__u8 pad[5];
	__u64 cir_bps;
	__u64 cbs_units;
	__u64 eir_bps;
	__u64 ebs_units;
};

#define TSN_MAX_GATES		1024	/* stream gates (config limit) */
#define TSN_GATE_SLOTS		(TSN_MAX_GATES + 1)
#define TSN_GATE_ENTRIES_MAX	16384	/* entries of all gates, per generation */
#define TSN_GATE_CLK_TAI	0
#define TSN_GATE_CLK_MONO	1
#define TSN_GATE_CLK_BOOT	2

/* "tsn_gates": array of 2 * TSN_GATE_SLOTS, index gen * TSN_GATE_SLOTS + gate id.
 * A stream gate's schedule: cycles of cycle_ns from base_ns on the gate's clock
 * (extended backwards before base_ns), entries first..first+n-1 of tsn_gate_ents. */
struct tsn_gate_conf {
	__u64 base_ns;
	__u64 cycle_ns;		/* > 0; the last entry lasts to the end of the cycle */
	__u32 first;		/* within the generation's half of tsn_gate_ents */
	__u16 n;
	__u8 clock;		/* TSN_GATE_CLK_*; realtime is written as TAI */
	__u8 pad;
};

/* "tsn_gate_ents": array of 2 * TSN_GATE_ENTRIES_MAX, index gen *
 * TSN_GATE_ENTRIES_MAX + entry.  end_ns: where the entry ends, as an offset into
 * the cycle (a running sum of the intervals, strictly increasing). */
struct tsn_gate_ent {
	__u64 end_ns;
	__u8 open;
	__u8 prio;		/* internal priority while it applies, TSN_NO_RULE: unchanged */
	__u8 pad[6];
};

/* "tsn_meters": array of TSN_FILTER_SLOTS, index meter id (config order + 1): the
 * buckets, shared by every CPU (and every filter naming the meter) under the lock.
 * Not generational: the state carries across reloads; a new configuration's
 * smaller bucket clamps it. */
struct tsn_meter_state {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 committed;	/* tokens, units of bpf_meter.h */
	__u64 excess;
	__u64 last_ns;		/* clock of the last update, 0: never (buckets full) */
};

/* Value of the per-CPU array "tsn_filter_stats", index filter id.  Every frame of
 * a stream with a filter counts in matched, then in passed or in the reason it was
 * dropped; yellow and demoted count frames that passed. */
struct tsn_filter_counters {
	__u64 matched;
	__u64 passed;
	__u64 max_sdu;		/* dropped: larger than max-sdu */
	__u64 gate_closed;	/* dropped: the stream gate was closed */
	__u64 red;		/* meter said red (dropped, or demoted) */
	__u64 yellow;		/* meter said yellow (passed with the excess rate) */
	__u64 demoted;		/* red and demoted instead of dropped */
	__u64 pad;
};

/* "tsn_clock": array of one.  0 (always, in production): the programs read the
 * kernel's monotonic clock.  Anything else: the time the programs use, in ns —
 * tests set it to run meters over controlled time.  Root-only like every map. */
struct tsn_clock_ovr {
	__u64 fixed_ns;
};

/* ---- kernel facts ---- */

/* "tsn_vlan_in": hash key {physical ifindex, vid} -> __u32 ifindex of the VLAN
 * sub-interface that receives it (the L3 interface for the FIB lookup). */
struct tsn_vlan_key {
	__u32 ifindex;
	__u32 vid;
};

/* "tsn_egress": hash key __u32 ifindex of a VLAN sub-interface -> where its frames
 * leave: the physical port and the VID to tag them with. */
struct tsn_egress {
	__u32 ifindex;
	__u32 vid;
};

/* ---- FIB cache (kernel facts, copied by the fast path itself) ---- */

/* "tsn_fib_ctl": array of one.  on: the cache may be used (tsnd sets it once it
 * listens to the kernel's route, neighbour, link and address events; 0 after
 * loading).  gen: bumped by tsnd on every such event; entries of another
 * generation are misses.  seed: the cache's hash seed (tsnd picks it at random
 * once, so that nobody outside can aim flows at one set). */
struct tsn_fib_ctl {
	__u32 gen;
	__u32 on;
	__u32 seed;
	__u32 pad;
};

/* "tsn_fib_cache": the successful bpf_fib_lookup results of the fast path, a
 * set-associative cache per CPU: a per-CPU array of TSN_FIB_SETS sets of
 * TSN_FIB_WAYS entries.  A key lives in set tsn_fib_set_of(key, seed) only, in
 * any of its ways; a miss replaces the key's own way (of another generation),
 * else an empty way (ifindex 0) or one of another generation, else the way the
 * set's round robin points at (struct tsn_fib_set.next).  Per CPU: no entry is written by two CPUs, no cache line
 * bounces, and a CPU's flows (RSS keeps a flow on one CPU) compete only with
 * each other.  Bounded: TSN_FIB_SETS * sizeof(struct tsn_fib_set) per possible
 * CPU (docs/dataplane.md "FIB cache" says why this size). */
#define TSN_FIB_WAYS		4
#define TSN_FIB_SETS		1024	/* a power of two */
#define TSN_FIB_KEY_WORDS	6

/* Keyed by every input of the lookup but the length: the L3 ingress interface
 * (a VLAN sub-interface for tagged frames), addresses, traffic class and flow
 * label, protocol and ports (policy rules and multipath hashing may look at any
 * of them).  A hit is therefore the FIB's answer for the same question, as long
 * as the FIB has not changed (the generation). */
struct tsn_fib_key {
	__u32 ifindex;
	__u8 saddr[16];
	__u8 daddr[16];
	__be32 flowinfo;
	__be16 sport;
	__be16 dport;
	__u8 l4_protocol;
	__u8 pad[3];
};

struct tsn_fib_val {
	__u32 gen;		/* tsn_fib_ctl.gen read before the lookup */
	__u32 ifindex;		/* the FIB's egress (L3) interface */
	__u16 mtu;		/* the route's MTU: longer frames miss (the kernel sends PTB) */
	__u8 smac[6];
	__u8 dmac[6];
	/* The data plane's own decision for this flow, so that a hit needs no
	 * lookup of the egress port: valid while tsn_gen.serial is still serial
	 * (a switch of generations may change the egress port's schedule). */
	__u8 decided;		/* 1: gated is valid (a forward from an untagged L3 port) */
	__u8 gated;		/* bit p: priority p leaves through the egress qdisc */
	__u32 serial;		/* tsn_gen.serial the decision was made under */
	__u32 pad;
};

struct tsn_fib_ent {
	union {
		struct tsn_fib_key key;		/* ifindex 0: empty */
		__u64 w[TSN_FIB_KEY_WORDS];
	};
	struct tsn_fib_val val;
};

struct tsn_fib_set {
	struct tsn_fib_ent way[TSN_FIB_WAYS];
	__u32 next;		/* the way a full set replaces next */
	__u32 pad;
};

/* The set a key lives in: the stream table's multiply hash (tsn_strm_hash,
 * above) over the key's six words.  Shared by the program and the tests. */
static inline __u32 tsn_fib_set_of(const __u64 *w, __u32 seed)
{
	return tsn_strm_hash(w, seed) & (TSN_FIB_SETS - 1);
}

/* ---- XDP -> tc metadata ---- */

#define TSN_META_MAGIC		0x54534e31	/* "TSN1" */
#define TSN_META_TO_QDISC	0x01	/* forwarded frame: tc redirects it to egress_ifindex */
#define TSN_META_STREAM		0x02	/* stream_id is valid */
#define TSN_META_PORT		0x04	/* port_slot is the ingress port's counter slot */

/* Written in front of the frame with bpf_xdp_adjust_meta for every frame the XDP
 * program passes up.  The tc ingress program sets skb->priority from it, and for
 * TSN_META_TO_QDISC redirects the (already rewritten) frame to the egress port's
 * qdisc.  At most 32 bytes (the kernel's limit), a multiple of 4. */
struct tsn_xdp_meta {
	__u32 magic;
	__u32 stream_id;
	__u32 egress_ifindex;
	__u8 priority;
	__u8 tc;		/* traffic class on the ingress port */
	__u8 flags;		/* TSN_META_* */
	union {			/* others' metadata (frer.bpf.c) writes reserved = 0 */
		__u8 reserved;
		__u8 port_slot;	/* the ingress port's tsn_port_conf.slot (TSN_META_PORT) */
	};
	__u64 rx_tstamp;	/* ingress time (monotonic ns) while telemetry is on, else 0 */
};

#endif
