/* SPDX-License-Identifier: GPL-2.0-only */
/* cfg_shaper.c — the rules of a port's shapers (cbs) and launch-time entries (etf):
 * classes and queues, one qdisc per queue, etf's clock, and, when the port's link
 * speed is written in the file, the reservations against shaper-limit.  With
 * link-speed: auto the daemon checks the reservations against the kernel's speed
 * (daemon/schedule/schedule_check.c) with the same tsn_shaper_plan. */
#include "cfg_schema.h"
#include "tsn/shaper.h"

void cfg_check_port_qos(struct cfg_checker *chk, void *obj)
{
	struct tsn_cfg_port *p = obj;
	struct tsn_cfg_schedule *s = &p->schedule;
	bool shaped[TSN_MAX_TC] = { false }, timed[TSN_MAX_TC] = { false };
	bool bad = false;

	if (!p->has_schedule)
		return;
	for (size_t i = 0; i < s->n_shapers; i++) {
		struct tsn_cfg_shaper *sh = &s->shapers[i];
		if (sh->tc >= s->num_tc) {
			cfg_error(chk, &sh->tc, "class %u has no TX queue (num-tc is %u, classes 0 to %u)", sh->tc,
				  s->num_tc, s->num_tc - 1);
			bad = true;
			continue;
		}
		if (shaped[sh->tc]) {
			cfg_error(chk, &sh->tc, "class %u has a shaper already", sh->tc);
			bad = true;
		}
		shaped[sh->tc] = true;
		if (sh->tc < s->n_queues && s->queues[sh->tc].count != 1) {
			cfg_error(chk, &sh->tc, "class %u has %u TX queues; a shaper needs exactly one (the credit is "
				  "kept per queue)", sh->tc, s->queues[sh->tc].count);
			bad = true;
		}
		if (!sh->has_idle_slope == !sh->has_share) {
			if (sh->has_share)
				cfg_error(chk, &sh->share_pct, "give either idle-slope or share, not both");
			else
				cfg_error(chk, &sh->tc, "class %u needs its reservation: idle-slope or share", sh->tc);
			bad = true;
		}
	}
	for (size_t i = 0; i < s->n_launch_times; i++) {
		struct tsn_cfg_launch_time *lt = &s->launch_times[i];
		if (lt->tc >= s->num_tc) {
			cfg_error(chk, &lt->tc, "class %u has no TX queue (num-tc is %u, classes 0 to %u)", lt->tc,
				  s->num_tc, s->num_tc - 1);
			continue;
		}
		if (timed[lt->tc])
			cfg_error(chk, &lt->tc, "class %u has a launch-time entry already", lt->tc);
		timed[lt->tc] = true;
		if (shaped[lt->tc])
			cfg_error(chk, &lt->tc, "class %u has a shaper; a TX queue takes either cbs or etf", lt->tc);
		if (lt->clock != TSN_CLOCK_TAI)
			cfg_error(chk, &lt->clock, "etf takes launch times on clock tai only, not %s",
				  tsn_clock_names[lt->clock]);
	}
	if (s->mode == TSN_SCHED_TXTIME_ASSIST && s->txtime_delay_ns > INT32_MAX)
		cfg_error(chk, &s->txtime_delay_ns, "txtime-assist's etf qdiscs take it as their delta, at most "
			  "2147483647ns");
	if (bad || !p->link_speed_mbps)
		return;
	struct tsn_cbs_params cbs[TSN_MAX_TC];
	struct tsn_shaper_error err;
	if (tsn_shaper_plan(s, (uint64_t)p->link_speed_mbps * 1000000, cbs, &err) < 0)
		cfg_error(chk, err.field, "%s", err.msg);
}
