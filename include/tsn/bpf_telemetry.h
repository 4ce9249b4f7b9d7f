/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* bpf_telemetry.h — layouts shared by bpf/telemetry.bpf.c, the XDP program's
 * ingress stamp (bpf/dataplane.bpf.c) and daemon/telemetry/telemetry.c.  Compiled for the BPF
 * target and for the host: fixed-width types and explicit padding only.
 * docs/telemetry.md explains the measurement.
 *
 * Residence-time histograms are log-linear (HDR style): values below
 * TSN_HIST_SUB ns have a bucket each; above, every power of two [2^m, 2^(m+1)) is
 * split into TSN_HIST_SUB equal sub-buckets, so a bucket is at most 1/16 = 6.25 %
 * of its lower edge wide.  Values of 2^32 ns (4.3 s) and more share the last
 * bucket.
 */
#ifndef TSN_BPF_TELEMETRY_H
#define TSN_BPF_TELEMETRY_H

#include <linux/types.h>

#define TSN_HIST_SUB_BITS	4
#define TSN_HIST_SUB		(1u << TSN_HIST_SUB_BITS)	/* sub-buckets per power of two */
#define TSN_HIST_TOP_BITS	32				/* 2^32 ns and more: overflow */
#define TSN_HIST_OVERFLOW	(TSN_HIST_SUB + (TSN_HIST_TOP_BITS - TSN_HIST_SUB_BITS) * TSN_HIST_SUB)
#define TSN_HIST_BUCKETS	(TSN_HIST_OVERFLOW + 1)		/* 465 */

#define TSN_TELE_MAX_STREAMS	1024	/* streams with a histogram (the first of the config) */
#define TSN_TELE_MAX_ENTRIES	256	/* gate entries a conformance check walks */
#define TSN_TELE_MAX_AGE_NS	10000000000ull	/* an older stamp is not this frame's */

/* Index of the bucket that holds v ns.  Shared by the programs and the tests.
 * Branch-free (BPF has no count-leading-zeros instruction, and every branch here
 * would multiply the verifier's paths): for x < 2^32, (C - x) >> 63 is 1 exactly
 * when x > C. */
static inline __u32 tsn_hist_bucket(__u64 v)
{
	__u64 x = v, s, m;

	if (v < TSN_HIST_SUB)
		return (__u32)v;
	if (v >> TSN_HIST_TOP_BITS)
		return TSN_HIST_OVERFLOW;
	s = ((0xffffull - x) >> 63) << 4; x >>= s; m = s;
	s = ((0xffull - x) >> 63) << 3; x >>= s; m += s;
	s = ((0xfull - x) >> 63) << 2; x >>= s; m += s;
	s = ((0x3ull - x) >> 63) << 1; x >>= s; m += s;
	m += (0x1ull - x) >> 63;
	/* m = floor(log2 v) >= TSN_HIST_SUB_BITS */
	return (__u32)(TSN_HIST_SUB + (m - TSN_HIST_SUB_BITS) * TSN_HIST_SUB +
		       ((v >> (m - TSN_HIST_SUB_BITS)) & (TSN_HIST_SUB - 1)));
}

/* A histogram, per CPU: exact count, sum, min and max beside the buckets.  min
 * is meaningful only when count > 0. */
struct tsn_hist {
	__u64 count;
	__u64 sum_ns;
	__u64 min_ns;
	__u64 max_ns;
	__u64 b[TSN_HIST_BUCKETS];
	__u64 pad;
};

/* "tsn_tele_on" (bpf/dataplane.bpf.c): array of one.  Non-zero: tsn_xdp stamps
 * the frames it passes up (tsn_xdp_meta.rx_tstamp). */
struct tsn_tele_on {
	__u32 on;
	__u32 pad;
};

/* "tele_cfg": array of one, written by tsnd. */
struct tsn_tele_cfg {
	__u32 netns_ino;	/* tsnd's network namespace (inode of /proc/self/ns/net) */
	__u32 pad;
};

/* Keys of "tele_cls" (histograms) and "tele_conf" (conformance counters). */
struct tsn_tele_key {
	__u32 ifindex;		/* egress port */
	__u32 tc;
};

/* "tele_tot": per-CPU array of one. */
struct tsn_tele_totals {
	__u64 stamped;		/* frames at a tsnd port's driver carrying tsn_xdp's stamp */
	__u64 measured;		/* of these, samples added to a histogram */
	__u64 unmatched;	/* of these, stamps older than TSN_TELE_MAX_AGE_NS or in the future */
	__u64 pad;
};

/* "tele_conf": per-CPU hash keyed by struct tsn_tele_key (tsnd creates them). */
struct tsn_tele_conf {
	__u64 sent_closed;	/* handed to the driver while the class's gate was closed */
	__u64 over_cycle;	/* residence longer than one cycle */
};

#define TSN_TELE_CLK_TAI	0
#define TSN_TELE_CLK_MONO	1
#define TSN_TELE_CLK_BOOT	2

/* "tele_sched": hash keyed by __u32 egress ifindex: the schedule tsnd applied to
 * the port.  end_ns[i] is where entry i ends as an offset into the cycle (running
 * sums, strictly increasing, end_ns[n-1] = cycle_ns); gates[i] its open classes.
 * A realtime schedule is written as TAI (base shifted by the TAI-UTC offset). */
struct tsn_tele_sched {
	__s64 base_ns;
	__u64 cycle_ns;
	__u64 tolerance_ns;
	__u32 n;		/* entries, 1..TSN_TELE_MAX_ENTRIES */
	__u8 clock;		/* TSN_TELE_CLK_* */
	__u8 num_tc;
	__u8 prio_tc[16];	/* skb->priority & 15 -> class, as taprio maps it */
	__u8 pad[2];
	__u64 end_ns[TSN_TELE_MAX_ENTRIES];
	__u8 gates[TSN_TELE_MAX_ENTRIES];
};

#endif
