/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* bpf_frer.h — map layouts of IEEE 802.1CB FRER (bpf/frer.bpf.c), shared by the BPF
 * program, tsnd and the tests.  Design and semantics: docs/frer.md.
 *
 * Maps (names as in the object):
 *   frer_streams     hash   stream id -> struct tsn_frer_stream (config, state, counters)
 *   frer_indiv       hash   {stream id, ingress port} -> struct tsn_frer_indiv
 *   frer_port_stats  per-CPU hash  ifindex -> struct tsn_frer_counters
 *   frer_split       hash   stream id -> struct tsn_frer_split (stream splitting)
 *   frer_ident       hash   struct tsn_frer_ident_key -> stream id (used only when
 *                           tsn_xdp left no stream in the metadata)
 *   frer_events      ring buffer of struct tsn_frer_event (latent errors)
 *   frer_clock       array[1] of __u64: 0 in production; a test's time otherwise
 */
#ifndef TSN_BPF_FRER_H
#define TSN_BPF_FRER_H

#include <linux/bpf.h>
#include <linux/types.h>

#define TSN_FRER_ETH_P_RTAG	0xF1C1	/* 802.1CB R-TAG EtherType */
#define TSN_FRER_RTAG_LEN	6	/* EtherType, 16 reserved bits, 16-bit sequence number */
#define TSN_FRER_MAX_STREAMS	65536
#define TSN_FRER_HIST_MIN	2
#define TSN_FRER_HIST_MAX	64	/* one 64-bit SequenceHistory word */
#define TSN_FRER_MAX_SPLIT	8	/* egress ports of one stream's splitting */
#define TSN_FRER_MAX_INDIV	(2 * TSN_FRER_MAX_STREAMS)	/* member streams (stream, port) */

/* tsn_stream_val.flags (bpf_shared.h): the stream has a `frer:` entry, so tsn_xdp
 * hands its frames to frer_xdp (tail call through tsn_frer_prog) instead of routing
 * them.  R-tagged frames go there too, whatever their stream. */
#define TSN_STRM_FRER		0x01

/* tsn_frer_cfg.flags: the functions this node applies to the stream. */
#define TSN_FRER_GEN		0x01	/* sequence generation + R-TAG encode */
#define TSN_FRER_RCVY		0x02	/* sequence recovery + R-TAG decode */
#define TSN_FRER_INDIV		0x04	/* individual recovery per ingress port, before RCVY */
#define TSN_FRER_TAKE_NO_SEQ	0x08	/* frerSeqRcvyTakeNoSequence: pass frames without R-TAG */
#define TSN_FRER_KEEP_TAG	0x10	/* recovered frames leave with their R-TAG (relay) */
#define TSN_FRER_LATENT		0x20	/* latent error detection (not for INDIV functions) */

enum tsn_frer_alg {
	TSN_FRER_ALG_VECTOR = 0,	/* VectorRecoveryAlgorithm */
	TSN_FRER_ALG_MATCH = 1,		/* MatchRecoveryAlgorithm */
};

/* Written by tsnd; the program only reads it. */
struct tsn_frer_cfg {
	__u8 flags;		/* TSN_FRER_* */
	__u8 algorithm;		/* enum tsn_frer_alg, for RCVY and INDIV */
	__u8 history;		/* frerSeqRcvyHistoryLength, 2..64 (Vector) */
	__u8 lat_paths;		/* frerSeqRcvyLatentErrorPaths */
	__u8 priority;		/* skb->priority when tsn_xdp left no metadata */
	__u8 pad[3];
	__u32 lat_difference;	/* frerSeqRcvyLatentErrorDifference */
	__u64 reset_ns;		/* frerSeqRcvyResetMSec in ns; 0: no reset timer */
	__u64 lat_period_ns;	/* frerSeqRcvyLatentErrorPeriod in ns */
	__u64 lat_reset_ns;	/* frerSeqRcvyLatentResetPeriod in ns */
};

/* Counters named after 802.1CB's managed objects (clause 10.8, frerCps...), per
 * stream (sequence recovery / generation function) and per port. */
struct tsn_frer_counters {
	__u64 passed;		/* frerCpsSeqRcvyPassedPackets */
	__u64 discarded;	/* frerCpsSeqRcvyDiscardedPackets: duplicates eliminated */
	__u64 out_of_order;	/* frerCpsSeqRcvyOutOfOrderPackets */
	__u64 rogue;		/* frerCpsSeqRcvyRoguePackets (discarded, not in `discarded`) */
	__u64 lost;		/* frerCpsSeqRcvyLostPackets */
	__u64 tagless;		/* frerCpsSeqRcvyTaglessPackets */
	__u64 resets;		/* frerCpsSeqRcvyResets (reset timer expiries) */
	__u64 latent_error_resets; /* frerCpsSeqRcvyLatentErrorResets */
	__u64 latent_errors;	/* SIGNAL_LATENT_ERROR raised (tsnd: event) */
	__u64 encode_errored;	/* frerCpsSeqEncErroredPackets: R-TAG cut short */
	__u64 generated;	/* frames given a sequence number (sequence generation) */
	__u64 replicated;	/* copies sent by stream splitting */
	__u64 replicate_errors;	/* copies the kernel refused (port gone, down) */
};

/* One recovery function's state (sequence or individual recovery).  All zero is
 * the state right after SequenceRecoveryReset: TakeAny. */
struct tsn_frer_rcvy {
	__u64 hist;		/* SequenceHistory: bit i = RecovSeqNum - i was passed */
	__u64 last_ns;		/* last passed frame: the reset timer runs from here */
	__u16 seq;		/* RecovSeqNum */
	__u8 synced;		/* 0: TakeAny */
	__u8 valid;		/* history positions filled since the reset (lost counting) */
	__u32 pad;
};

/* "frer_streams" value.  tsnd writes it whole (config and zero state); the program
 * updates state and counters under the lock (user space reads with BPF_F_LOCK). */
struct tsn_frer_stream {
	struct bpf_spin_lock lock;
	__u16 gen_seq;		/* next sequence number to send (GenSeqNum) */
	__u16 pad;
	struct tsn_frer_cfg cfg;
	struct tsn_frer_rcvy rcvy;
	__s64 lat_base;		/* CurBaseDifference */
	__u64 lat_next_test_ns;	/* 0: latent error detection not started */
	__u64 lat_next_reset_ns;
	struct tsn_frer_counters c;
};

struct tsn_frer_indiv_key {
	__u32 stream_id;
	__u32 ifindex;		/* ingress port: the member stream's path */
};

/* "frer_indiv" value, created by the program at a member stream's first frame. */
struct tsn_frer_indiv {
	struct bpf_spin_lock lock;
	__u32 pad;
	struct tsn_frer_rcvy rcvy;
	struct tsn_frer_counters c;
};

/* "frer_split" value: a stream's frames go out on each port through its qdisc,
 * each copy in the frame's own VLAN (vid 0) or in VLAN vid (1..4094: the outer tag
 * rewritten, or added with PCP = the frame's priority).  One port may appear
 * several times with different VLANs. */
struct tsn_frer_split {
	__u32 n;			/* 1..TSN_FRER_MAX_SPLIT */
	__u32 ifindex[TSN_FRER_MAX_SPLIT];
	__u16 vid[TSN_FRER_MAX_SPLIT];
};

/* "frer_ident" key: null stream identification (destination MAC, outer VID or
 * TSN_FRER_VID_UNTAGGED), for ports where tsn_xdp did not identify the stream. */
#define TSN_FRER_VID_UNTAGGED	0xffff
struct tsn_frer_ident_key {
	__u8 mac[6];
	__u16 vid;
};

enum tsn_frer_event_kind {
	TSN_FRER_EV_LATENT_ERROR = 1,
};

struct tsn_frer_event {
	__u64 ns;		/* the program's clock */
	__u32 stream_id;
	__u32 kind;		/* enum tsn_frer_event_kind */
	__s64 diff;		/* |CurBaseDifference - current difference| */
	__u64 passed;
	__u64 discarded;
};

#endif
