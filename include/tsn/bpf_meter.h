/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* bpf_meter.h — the token arithmetic of IEEE 802.1Qci flow meters, shared by the XDP
 * program (bpf/dataplane.bpf.c) and user space (tests, tsnctl's explanations).
 *
 * Exact integers only.  A bucket holds tokens in units of 1/8e9 byte: at a rate of
 * R bit/s, dt nanoseconds add dt * R bits / 1e9 = dt * R / 8e9 bytes, which is
 * exactly dt * R units — no division, no rounding, nothing lost between frames.
 * A frame of L bytes costs L * 8e9 units.
 *
 * Overflow: a bucket's capacity is its burst size in units, at most 1 GiB * 8e9 =
 * 8.6e18 < 2^64 (the schema limits cbs and ebs to 1 GiB).  The refill never
 * computes dt * R when that would exceed the room left in the bucket (it compares
 * dt with room / R first), so it cannot overflow for any rate or any dt.
 *
 * Marking (two rates, MEF 10.3 / IEEE 802.1Q 8.6.5.1.3): a frame that finds
 * enough committed tokens is green and takes them; else one that finds enough
 * excess tokens is yellow and takes those; else it is red and takes nothing.
 * Color-aware: a frame that arrives yellow (its drop-eligible indicator set) may
 * use excess tokens only, never committed ones: yellow or red.  A frame that
 * arrives red is red.  Coupling (CF = 1): committed tokens that would overflow
 * CBS go to the excess bucket (still at most EBS).  Both buckets start full. */
#ifndef TSN_BPF_METER_H
#define TSN_BPF_METER_H

#include <linux/types.h>

#define TSN_METER_UNITS_PER_BYTE 8000000000ULL

enum tsn_meter_color { TSN_METER_GREEN = 0, TSN_METER_YELLOW, TSN_METER_RED };

/* tokens after dt_ns at rate_bps, never above cap (all in units). */
static inline __u64 tsn_meter_refill(__u64 tokens, __u64 cap, __u64 rate_bps, __u64 dt_ns)
{
	__u64 room;

	if (tokens >= cap)
		return cap;
	if (rate_bps == 0)
		return tokens;
	room = cap - tokens;
	/* dt > floor(room / R) implies dt * R > room: the bucket fills up. */
	if (dt_ns > room / rate_bps)
		return cap;
	return tokens + dt_ns * rate_bps;	/* <= room: no overflow */
}

/* Coupling: how many of the dt_ns * cir_bps tokens that reach the committed
 * bucket would overflow it (committed of cbs), at most room_e (the room left in
 * the excess bucket).  room_c + room_e <= cbs + ebs <= 2 * 2^30 * 8e9 < 2^64, and
 * dt * R is computed only when it is at most that sum: no overflow. */
static inline __u64 tsn_meter_overflow(__u64 committed, __u64 cbs, __u64 cir_bps, __u64 dt_ns,
				       __u64 room_e)
{
	__u64 room_c = committed >= cbs ? 0 : cbs - committed;
	__u64 need, add;

	if (room_e == 0 || cir_bps == 0)
		return 0;
	need = room_c + room_e;
	if (dt_ns > need / cir_bps)
		return room_e;		/* dt * R > need: the excess bucket fills up */
	add = dt_ns * cir_bps;
	return add > room_c ? add - room_c : 0;
}

/* Bring both buckets to now_ns and mark a frame of len bytes that arrived with
 * in_color (TSN_METER_GREEN for color-blind meters).  *last_ns is the time of the
 * previous update; a now_ns before it (clocks read on two CPUs just before taking
 * the lock) adds nothing and keeps *last_ns.  A first call (*last_ns == 0) finds
 * the buckets full. */
static inline enum tsn_meter_color tsn_meter_mark_color(__u64 *committed, __u64 *excess,
							__u64 *last_ns, __u64 cir_bps,
							__u64 cbs_units, __u64 eir_bps,
							__u64 ebs_units, __u64 now_ns, __u32 len,
							int in_color, int coupled)
{
	__u64 cost = (__u64)len * TSN_METER_UNITS_PER_BYTE;
	__u64 dt = 0, c, e;

	if (*last_ns == 0) {
		*committed = cbs_units;
		*excess = ebs_units;
	} else if (now_ns > *last_ns) {
		dt = now_ns - *last_ns;
	}
	if (now_ns > *last_ns)
		*last_ns = now_ns;
	/* A reload may have made a bucket smaller than what it holds. */
	c = *committed > cbs_units ? cbs_units : *committed;
	e = tsn_meter_refill(*excess > ebs_units ? ebs_units : *excess, ebs_units, eir_bps, dt);
	if (coupled)
		e += tsn_meter_overflow(c, cbs_units, cir_bps, dt, ebs_units - e);
	*committed = tsn_meter_refill(c, cbs_units, cir_bps, dt);
	*excess = e;
	if (in_color == TSN_METER_GREEN && *committed >= cost) {
		*committed -= cost;
		return TSN_METER_GREEN;
	}
	if (in_color != TSN_METER_RED && *excess >= cost) {
		*excess -= cost;
		return TSN_METER_YELLOW;
	}
	return TSN_METER_RED;
}

/* Color-blind, uncoupled marking (flow meters without the options, the storm guard). */
static inline enum tsn_meter_color tsn_meter_mark(__u64 *committed, __u64 *excess, __u64 *last_ns,
						  __u64 cir_bps, __u64 cbs_units, __u64 eir_bps,
						  __u64 ebs_units, __u64 now_ns, __u32 len)
{
	return tsn_meter_mark_color(committed, excess, last_ns, cir_bps, cbs_units, eir_bps,
				    ebs_units, now_ns, len, TSN_METER_GREEN, 0);
}

#endif
