/* SPDX-License-Identifier: GPL-2.0-only */
/* shaper.c — credit-based shaper parameters (802.1Q 8.6.8.2 and Annex L) and the
 * etf plan of a port.  All arithmetic is in integers, exact up to the final rounding
 * to the kernel's units: hiCredit up and loCredit down (both away from zero), so the
 * credit bounds the kernel enforces are never tighter than the standard's. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tsn/shaper.h"
#include "tsn/units.h"

typedef unsigned __int128 u128;

static int fail(struct tsn_shaper_error *err, const void *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct tsn_shaper_error *err, const void *field, const char *fmt, ...)
{
	va_list ap;

	err->field = field;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t idle_slope_of(const struct tsn_cfg_shaper *sh, uint64_t port_bps)
{
	return sh->has_idle_slope ? sh->idle_slope_bps : port_bps / 100 * sh->share_pct;
}

static const void *reservation_field(const struct tsn_cfg_shaper *sh)
{
	return sh->has_idle_slope ? (const void *)&sh->idle_slope_bps : (const void *)&sh->share_pct;
}

int tsn_shaper_plan(const struct tsn_cfg_schedule *s, uint64_t port_bps, struct tsn_cbs_params *out,
		    struct tsn_shaper_error *err)
{
	const struct tsn_cfg_shaper *by_tc[TSN_MAX_TC] = { NULL };
	uint64_t sum = 0, limit;
	char a[32], b[32], c[32];
	int n = 0;

	if (!s->n_shapers)
		return 0;
	/* The port's rate: whole Mbit/s from the config or the kernel, so whole kbit/s. */
	if (port_bps < 1000000 || port_bps % 1000 || port_bps / 1000 > INT32_MAX)
		return fail(err, &s->n_shapers, "the link speed %s cannot carry credit-based shapers",
			    tsn_format_rate(port_bps, a, sizeof(a)));
	limit = port_bps / 100 * s->shaper_limit_pct;
	for (size_t i = 0; i < s->n_shapers; i++) {
		const struct tsn_cfg_shaper *sh = &s->shapers[i];
		uint64_t idle = idle_slope_of(sh, port_bps);

		if (sh->tc >= s->num_tc || sh->tc >= s->n_queues)
			return fail(err, &sh->tc, "class %u has no TX queue (num-tc is %u)", sh->tc, s->num_tc);
		if (by_tc[sh->tc])
			return fail(err, &sh->tc, "class %u has a shaper already", sh->tc);
		if (!sh->has_idle_slope == !sh->has_share)
			return fail(err, sh, "give either idle-slope or share");
		if (idle % 1000)
			return fail(err, reservation_field(sh), "%s is not a whole number of kbit/s (the kernel's unit)",
				    tsn_format_rate(idle, a, sizeof(a)));
		if (idle >= port_bps)
			return fail(err, reservation_field(sh), "%s is not below the link speed %s",
				    tsn_format_rate(idle, a, sizeof(a)), tsn_format_rate(port_bps, b, sizeof(b)));
		sum += idle;
		if (sum > limit)
			return fail(err, reservation_field(sh),
				    "the reservations add up to %s, over shaper-limit %u%% of the %s link (%s)",
				    tsn_format_rate(sum, a, sizeof(a)), s->shaper_limit_pct,
				    tsn_format_rate(port_bps, b, sizeof(b)), tsn_format_rate(limit, c, sizeof(c)));
		by_tc[sh->tc] = sh;
	}

	/* 802.1Q: a higher class number is a higher priority.  The highest shaped class is
	 * delayed by one frame in transmission; a lower one also by what the classes above
	 * it may send while it waits (Annex L.3: hiCredit_B = idleSlope_B x
	 * (maxInterference_A / (R - idleSlope_A) + maxFrame_A / R)), written here as an
	 * interference size: maxInterference_A x R / (R - idleSlope_A) + maxFrame_A. */
	uint64_t above_interference = 0, above_idle = 0, above_frame = 0;
	bool above = false;
	struct tsn_cbs_params tmp[TSN_MAX_TC];
	for (int tc = TSN_MAX_TC - 1; tc >= 0; tc--) {
		const struct tsn_cfg_shaper *sh = by_tc[tc];
		if (!sh)
			continue;
		uint64_t idle = idle_slope_of(sh, port_bps), interference;
		if (sh->has_max_interference) {
			interference = sh->max_interference;
		} else if (!above) {
			interference = TSN_SHAPER_DEFAULT_FRAME;
		} else {
			u128 num = (u128)above_interference * port_bps;
			uint64_t den = port_bps - above_idle;	/* > 0: each reservation is below R */
			interference = (uint64_t)((num + den - 1) / den) + above_frame;
		}
		if (interference > (1ull << 24))
			return fail(err, &sh->tc, "class %u's derived max-interference of %llu bytes is too large", sh->tc,
				    (unsigned long long)interference);
		struct tsn_cbs_params *p = &tmp[n++];
		memset(p, 0, sizeof(*p));
		p->tc = sh->tc;
		p->queue = s->queues[sh->tc].offset;
		p->idle_slope_bps = idle;
		p->max_interference = interference;
		p->idleslope_kbps = (int32_t)(idle / 1000);
		p->sendslope_kbps = (int32_t)((int64_t)(idle / 1000) - (int64_t)(port_bps / 1000));
		/* hiCredit = maxInterference x idleSlope / R, rounded up */
		u128 hi = (u128)interference * idle;
		p->hicredit = (int32_t)((hi + port_bps - 1) / port_bps);
		/* loCredit = maxFrame x sendSlope / R = -(maxFrame x (R - idleSlope) / R), rounded down */
		u128 lo = (u128)sh->max_frame * (port_bps - idle);
		p->locredit = -(int32_t)((lo + port_bps - 1) / port_bps);
		above = true;
		above_interference = interference;
		above_idle = idle;
		above_frame = sh->max_frame;
	}
	for (int i = 0; i < n; i++)	/* by class, ascending */
		out[i] = tmp[n - 1 - i];
	return n;
}

int tsn_etf_plan(const struct tsn_cfg_schedule *s, struct tsn_etf_params *out)
{
	struct tsn_etf_params byq[TSN_ETF_MAX];
	bool have[TSN_ETF_MAX] = { false };
	int n = 0;

	for (size_t i = 0; i < s->n_launch_times; i++) {
		const struct tsn_cfg_launch_time *lt = &s->launch_times[i];
		if (lt->tc >= s->n_queues)
			continue;
		for (uint32_t k = 0; k < s->queues[lt->tc].count; k++) {
			uint32_t q = s->queues[lt->tc].offset + k;
			if (q >= TSN_ETF_MAX || have[q])
				continue;
			have[q] = true;
			byq[q] = (struct tsn_etf_params){ .tc = lt->tc, .queue = q, .delta_ns = (int32_t)lt->delta_ns,
							  .clock = lt->clock, .deadline_mode = lt->deadline_mode,
							  .offload = lt->offload, .skip_sock_check = lt->skip_sock_check };
		}
	}
	if (s->mode == TSN_SCHED_TXTIME_ASSIST) {
		/* taprio stamps every frame it lets through with its launch time; an etf
		 * must hold it until then, whatever socket the frame came from. */
		for (uint32_t tc = 0; tc < s->num_tc && tc < s->n_queues; tc++)
			for (uint32_t k = 0; k < s->queues[tc].count; k++) {
				uint32_t q = s->queues[tc].offset + k;
				if (q >= TSN_ETF_MAX || have[q])
					continue;
				have[q] = true;
				byq[q] = (struct tsn_etf_params){ .tc = tc, .queue = q,
								  .delta_ns = (int32_t)s->txtime_delay_ns,
								  .clock = TSN_CLOCK_TAI, .skip_sock_check = true,
								  .implied = true };
			}
	}
	for (int q = 0; q < TSN_ETF_MAX; q++)
		if (have[q])
			out[n++] = byq[q];
	return n;
}
