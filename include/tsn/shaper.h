/* SPDX-License-Identifier: GPL-2.0-only */
/* shaper.h — 802.1Qav credit-based shaper parameters (802.1Q 8.6.8.2, Annex L) and
 * the launch-time (etf) plan of a port, computed from its schedule's configuration.
 * The config checks and the daemon's qdisc builder use the same functions, so what is
 * checked is what is installed.  docs/shapers.md has the formulas and an example. */
#ifndef TSN_SHAPER_H
#define TSN_SHAPER_H

#include <stddef.h>
#include <stdint.h>

#include "tsn/config.h"

/* One cbs qdisc: the kernel's struct tc_cbs_qopt in its units. */
struct tsn_cbs_params {
	uint32_t tc;			/* traffic class */
	uint32_t queue;			/* its TX queue, 0-based */
	uint64_t idle_slope_bps;	/* the reservation, exact */
	uint64_t max_interference;	/* bytes, given or derived */
	int32_t idleslope_kbps;		/* kbit/s */
	int32_t sendslope_kbps;		/* idleslope - port rate, kbit/s (negative) */
	int32_t hicredit;		/* bytes, rounded up */
	int32_t locredit;		/* bytes, rounded down (negative) */
};

/* One etf qdisc: the kernel's struct tc_etf_qopt in its units. */
struct tsn_etf_params {
	uint32_t tc;
	uint32_t queue;			/* TX queue, 0-based */
	int32_t delta_ns;
	int clock;			/* enum tsn_clock */
	bool deadline_mode, offload, skip_sock_check;
	bool implied;			/* txtime-assist's etf for a class without a launch-time entry */
};

/* Why a plan failed: the field to report at (an address inside the schedule) and
 * the message. */
struct tsn_shaper_error {
	const void *field;
	char msg[200];
};

/* The cbs qdiscs of schedule s on a link of port_bps bit/s, ordered by class
 * (at most TSN_MAX_TC).  Checks the reservations against shaper-limit and the
 * kernel's ranges.  Returns the number of entries, or -1 with *err filled. */
int tsn_shaper_plan(const struct tsn_cfg_schedule *s, uint64_t port_bps, struct tsn_cbs_params *out,
		    struct tsn_shaper_error *err);

/* The etf qdiscs of schedule s, ordered by queue (at most 64): one per TX queue of
 * every class with a launch-time entry, and with mode txtime-assist one on every
 * other class's queues too (delta = txtime-delay, skip-sock-check: taprio stamps
 * the frames).  Returns the number of entries. */
#define TSN_ETF_MAX 64
int tsn_etf_plan(const struct tsn_cfg_schedule *s, struct tsn_etf_params *out);

#endif
