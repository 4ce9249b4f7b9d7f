/* SPDX-License-Identifier: GPL-2.0-only */
/* schedule_check.c — gate schedules checked against their port: link speed,
 * TX queues, MTU, PTP clock, and the kernel's taprio rules (schedule_check.h,
 * docs/schedules.md explains every rule). */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "ports.h"
#include "schedule_int.h"
#include "tsn/basetime.h"
#include "tsn/log.h"
#include "tsn/shaper.h"
#include "tsn/units.h"

/* ---- validation ---- */

/* 1: the port has a PTP hardware clock, 0: it has none, -1: cannot tell. */
static int port_has_phc(const char *name)
{
	struct port_ts_info ts;
	int rc = ports_ts_info(name, &ts);

	if (rc < 0)
		return rc == -EOPNOTSUPP ? 0 : -1;
	return ts.phc_index >= 0;
}

/* A VLAN tag more on the wire if a configured stream with a VLAN id uses the class. */
static uint32_t class_vlan_bytes(const struct tsn_config *cfg, const struct tsn_cfg_schedule *s, uint32_t tc)
{
	for (size_t i = 0; i < cfg->n_streams; i++) {
		const struct tsn_cfg_stream *st = &cfg->streams[i];
		if (st->has_vlan && st->priority < s->n_map && s->map[st->priority] == tc)
			return VLAN_TAG_BYTES;
	}
	return 0;
}

struct vctx {
	const struct tsn_config *cfg;
	struct tsn_diags *diags;
	bool tai_checked;
};

#define VERR(v, field, ...) tsn_config_report((v)->cfg, (v)->diags, TSN_DIAG_ERROR, (field), __VA_ARGS__)
#define VWARN(v, field, ...) tsn_config_report((v)->cfg, (v)->diags, TSN_DIAG_WARNING, (field), __VA_ARGS__)

static void check_timing(struct vctx *v, const struct tsn_cfg_port *cp, const struct port_info *info,
			 uint32_t speed, const char *speed_src)
{
	const struct tsn_cfg_schedule *s = &cp->schedule;
	bool present = info && info->present;
	uint64_t min_ns = sched_wire_ns(MIN_FRAME_WIRE, speed);
	char a[32], b[32], c[64];

	for (size_t i = 0; i < s->n_entries; i++)
		if (s->entries[i].interval_ns < min_ns)
			VERR(v, &s->entries[i].interval_ns,
			     "%s is shorter than a minimum frame at %u Mbit/s (%s): 64 B frame + 8 B preamble "
			     "+ 12 B gap = 84 B take %s", sched_dur(s->entries[i].interval_ns, a, sizeof(a)), speed,
			     speed_src, sched_dur(min_ns, b, sizeof(b)));

	/* taprio holds a frame back unless it ends before its entry ends: an entry
	 * shorter than a class's largest frame never sends such a frame. */
	for (uint32_t tc = 0; tc < s->num_tc; tc++) {
		uint64_t sdu = tc < s->n_max_sdu && s->max_sdu[tc] ? s->max_sdu[tc] : present ? info->mtu : ASSUMED_MTU;
		uint64_t bytes = sdu + FRAME_OVERHEAD_WIRE + class_vlan_bytes(v->cfg, s, tc);
		uint64_t need = sched_wire_ns(bytes, speed);
		size_t first = SIZE_MAX, more = 0;
		for (size_t i = 0; i < s->n_entries; i++) {
			if (!(s->entries[i].gates & (1u << tc)) || s->entries[i].interval_ns >= need)
				continue;
			if (first == SIZE_MAX)
				first = i;
			else
				more++;
		}
		if (first == SIZE_MAX)
			continue;
		if (more)
			snprintf(c, sizeof(c), " (and in %zu more entries)", more);
		else
			c[0] = '\0';
		VWARN(v, &s->entries[first].interval_ns,
		      "no guard band: class %u is open for %s, but its largest frame (%llu B SDU, %llu B on the wire) "
		      "takes %s at %u Mbit/s, so taprio never sends such a frame in this entry%s; lengthen the window "
		      "or set a smaller max-sdu for class %u", tc, sched_dur(s->entries[first].interval_ns, a, sizeof(a)),
		      (unsigned long long)sdu, (unsigned long long)bytes, sched_dur(need, b, sizeof(b)), speed, c, tc);
	}
}

static void check_port_kernel(struct vctx *v, const struct tsn_cfg_port *cp, const struct port_info *info)
{
	const struct tsn_cfg_schedule *s = &cp->schedule;
	uint32_t txq = info->num_tx_queues;

	if (txq < 2) {
		VERR(v, &s->n_queues, "%s needs a multi-queue interface, but %s has %u TX queue (the kernel "
		     "says: Multi-queue device is required)", s->mode == TSN_SCHED_MQPRIO ? "mqprio" : "taprio",
		     cp->name, txq);
	} else {
		if (s->num_tc > txq)
			VERR(v, &s->num_tc, "%u traffic classes are more than the %u TX queues of %s (the kernel "
			     "says: Number of traffic classes is greater than number of HW queues)", s->num_tc, txq,
			     cp->name);
		for (size_t i = 0; i < s->n_queues; i++)
			if ((uint64_t)s->queues[i].offset + s->queues[i].count > txq)
				VERR(v, &s->queues[i], "%u@%u of class %zu reaches TX queue %u, but %s has %u TX "
				     "queues (0 to %u)", s->queues[i].count, s->queues[i].offset, i,
				     s->queues[i].offset + s->queues[i].count - 1, cp->name, txq, txq - 1);
	}
	for (size_t i = 0; i < s->n_max_sdu; i++)
		if (s->max_sdu[i] > info->mtu)
			VERR(v, &s->max_sdu[i], "%u bytes for class %zu is more than the MTU of %s (%u)", s->max_sdu[i],
			     i, cp->name, info->mtu);
	if (s->mode == TSN_SCHED_FULL_OFFLOAD && port_has_phc(cp->name) == 0)
		VERR(v, &s->mode, "full-offload runs the schedule on the port's PTP hardware clock, and %s has "
		     "none (the kernel says: Device does not have a PTP clock); use software or txtime-assist",
		     cp->name);
	if (!info->speed_mbps && s->mode != TSN_SCHED_MQPRIO) {	/* mqprio has no guard bands */
		char a[32];
		uint64_t kmin = sched_wire_ns(KERNEL_MIN_FRAME, KERNEL_DEFAULT_MBPS);
		size_t shorter = 0;
		for (size_t i = 0; i < s->n_entries; i++)
			shorter += s->entries[i].interval_ns < kmin;
		VWARN(v, &cp->link_speed_mbps, "the driver of %s reports no link speed, so taprio assumes %d Mbit/s: "
		      "it holds back every frame that would not end within its entry at that speed%s%s%s",
		      cp->name, KERNEL_DEFAULT_MBPS, shorter ? ", and it refuses intervals shorter than " : "",
		      shorter ? sched_dur(kmin, a, sizeof(a)) : "",
		      shorter ? " (Invalid interval for schedule entry), as this schedule has" : "");
	}
}

/* Rules of the kernel's taprio that hold on every port. */
static void check_kernel_rules(struct vctx *v, const struct tsn_cfg_port *cp)
{
	const struct tsn_cfg_schedule *s = &cp->schedule;
	uint64_t sum = sched_intervals_sum(s), cycle = sched_effective_cycle(s);
	char a[32], b[32], c[32];

	if (cycle > (uint64_t)KERNEL_CYCLE_MAX)
		VERR(v, s->cycle_time_ns ? (const void *)&s->cycle_time_ns : (const void *)&s->n_entries,
		     "a cycle of %s is longer than taprio handles: it computes positions in the cycle in 32 bits "
		     "(at most 2147483647ns, about 2.1s), and current kernels refuse more (integer out of range)",
		     sched_dur(cycle, a, sizeof(a)));
	if (s->mode == TSN_SCHED_SOFTWARE && s->cycle_time_ns > sum && sum)
		VWARN(v, &s->cycle_time_ns, "%s is longer than the sum of the intervals (%s): IEEE 802.1Q keeps the "
		      "gates of the last entry for the remaining %s of each cycle, but software taprio starts the "
		      "list again when its last entry ends, so the cycles drift away from base-time; add a last "
		      "entry of %s instead", sched_dur(s->cycle_time_ns, a, sizeof(a)), sched_dur(sum, b, sizeof(b)),
		      sched_dur(s->cycle_time_ns - sum, c, sizeof(c)), c);
	if (s->mode != TSN_SCHED_TXTIME_ASSIST) {
		for (size_t j = 1; j < s->n_queues; j++) {
			const struct tsn_cfg_queue_range *p = &s->queues[j - 1], *q = &s->queues[j];
			bool overlap = q->offset < p->offset + p->count && p->offset < q->offset + q->count;
			if (!overlap && q->offset < p->offset)
				VWARN(v, q, "the queues of class %zu (%u@%u) lie before those of class %zu (%u@%u): "
				      "Linux 6.1 refuses that (Detected overlap in the traffic class to queue "
				      "mapping); list the ranges in ascending order", j, q->count, q->offset, j - 1,
				      p->count, p->offset);
		}
	}
	if (s->mode != TSN_SCHED_FULL_OFFLOAD) {
		size_t first = SIZE_MAX, n = 0;
		for (size_t i = 0; i < s->n_entries; i++)
			if (s->entries[i].op != TSN_GATE_SET && n++ == 0)
				first = i;
		if (n)
			VWARN(v, &s->entries[first].op, "set-and-hold and set-and-release control frame preemption, "
			      "which needs full-offload; in %s mode taprio uses only the gates of %zu such entr%s",
			      s->mode == TSN_SCHED_SOFTWARE ? "software" : "txtime-assist", n, n == 1 ? "y" : "ies");
	}
	/* taprio's options are one netlink attribute: its length field has 16 bits.
	 * And the kernel must be able to dump the qdisc: during a change its message
	 * holds the running list and the pending one, and one that does not fit a
	 * dump part ends every qdisc dump of the namespace early (QDISC_DUMP_MSG_MAX). */
	struct taprio_entry *tmp = calloc(s->n_entries + 1, sizeof(*tmp));
	if (tmp) {
		struct taprio_qdisc q;
		sched_desired_taprio(s, 0, 0, tmp, &q);
		size_t size = taprio_options_size(&q);
		size_t fixed = taprio_dump_size(&q, 0, true, 0);
		size_t dump = taprio_dump_size(&q, s->n_entries, true, s->n_entries);
		size_t most = (QDISC_DUMP_MSG_MAX - fixed) / (2 * TAPRIO_ENTRY_SIZE);
		if (size > TAPRIO_OPTIONS_MAX)
			VERR(v, &s->n_entries, "%zu entries do not fit one netlink message: taprio's options are a "
			     "netlink attribute of at most %u bytes, and each entry takes %d, so at most %zu entries fit",
			     s->n_entries, TAPRIO_OPTIONS_MAX, TAPRIO_ENTRY_SIZE,
			     s->n_entries - (size - TAPRIO_OPTIONS_MAX + TAPRIO_ENTRY_SIZE - 1) / TAPRIO_ENTRY_SIZE);
		else if (dump > QDISC_DUMP_MSG_MAX)
			VERR(v, &s->n_entries, "at most %zu entries: during a change the kernel's dump of the qdisc "
			     "holds both lists, %zu B + %d B per entry and list = %zu B for %zu, over its %u B limit, "
			     "which would stop every qdisc dump", most, fixed, TAPRIO_ENTRY_SIZE, dump, s->n_entries,
			     QDISC_DUMP_MSG_MAX);
		free(tmp);
	}
	if (!s->base_time_auto) {
		int64_t now, start;
		if (sched_read_clock(s->clock, &now) == 0 && s->base_time_ns <= now && cycle &&
		    tsn_basetime_start(s->base_time_ns, now, cycle, &start) == 0)
			VWARN(v, &s->base_time_ns, "%s is in the past on the %s clock: the kernel starts the schedule "
			      "at the next base-time + N x cycle-time after it receives it, about %s",
			      tsn_basetime_format(s->base_time_ns, a, sizeof(a)), tsn_clock_names[s->clock],
			      tsn_basetime_format(start, b, sizeof(b)));
	}
	if (s->require_sync && !v->cfg->ptp.enabled)
		VWARN(v, &s->require_sync, "waits for PTP lock, but ptp.enabled is false: this schedule is held "
		      "and never applied");
	if (s->clock == TSN_CLOCK_TAI && s->mode != TSN_SCHED_FULL_OFFLOAD && !v->tai_checked) {
		struct timex tx = { .modes = 0 };
		v->tai_checked = true;
		if (adjtimex(&tx) >= 0 && tx.tai == 0)
			VWARN(v, &s->clock, "the kernel's TAI offset is 0 (nothing has set it yet: ptp4l/phc2sys "
			      "or an NTP daemon does): CLOCK_TAI reads the same as CLOCK_REALTIME, 37 s behind TAI, "
			      "and schedules move when the offset is set");
	}
}

/* Shapers and launch-time entries: the reservations against the speed in use (with
 * link-speed given the parser checked them already, with the same plan). */
static void check_qos(struct vctx *v, const struct tsn_cfg_port *cp, uint32_t speed, const char *speed_src,
		      bool assumed)
{
	const struct tsn_cfg_schedule *s = &cp->schedule;
	struct tsn_cbs_params cbs[TSN_MAX_TC];
	struct tsn_shaper_error err;

	if (cp->link_speed_mbps || tsn_shaper_plan(s, (uint64_t)speed * 1000000, cbs, &err) >= 0)
		return;
	/* at an assumed speed (no such interface here, or a driver that does not say)
	 * the reservations may well fit the real one */
	tsn_config_report(v->cfg, v->diags, assumed ? TSN_DIAG_WARNING : TSN_DIAG_ERROR, err.field,
			  "%s (link speed %u Mbit/s, %s)", err.msg, speed, speed_src);
}

bool schedule_validate(const struct tsn_config *cfg, struct ports *ports, struct tsn_diags *diags,
		       enum schedule_check_mode mode)
{
	struct vctx v = { .cfg = cfg, .diags = diags };
	struct ports *own = NULL;
	size_t errors = diags->errors;
	bool any = false;

	for (size_t i = 0; i < cfg->n_ports; i++)
		any |= cfg->ports[i].has_schedule;
	if (!any)
		return true;
	if (!ports)
		ports = own = ports_open();

	for (size_t i = 0; i < cfg->n_ports; i++) {
		const struct tsn_cfg_port *cp = &cfg->ports[i];
		struct port_info info;
		char a[160];
		int rc;

		if (!cp->has_schedule)
			continue;
		memset(&info, 0, sizeof(info));
		rc = ports ? ports_query_link(ports, cp->name, &info) : -EIO;
		if (rc < 0) {
			tsn_config_report(cfg, diags, mode == SCHEDULE_CHECK_DAEMON ? TSN_DIAG_ERROR : TSN_DIAG_WARNING,
					  cp->name, "cannot ask the kernel about %s (%s); its schedule is checked "
					  "without link speed, queues and MTU", cp->name, strerror(-rc));
			info.present = false;
		}
		uint32_t speed;
		const char *src;
		if (cp->link_speed_mbps) {
			speed = cp->link_speed_mbps;
			src = "link-speed";
			if (info.present && info.speed_mbps && info.speed_mbps != speed)
				VWARN(&v, &cp->link_speed_mbps, "is %u Mbit/s, but the driver of %s reports %u Mbit/s; "
				      "taprio computes its guard bands with the driver's speed", speed, cp->name,
				      info.speed_mbps);
		} else if (info.present && info.speed_mbps) {
			speed = info.speed_mbps;
			src = "reported by the driver";
		} else {
			speed = cp->link_speed_default_mbps;
			src = "link-speed-default, assumed";
			if (info.present)
				VWARN(&v, &cp->link_speed_default_mbps, "%s reports no link speed: timing is checked "
				      "at link-speed-default %u Mbit/s (set link-speed to the real speed)", cp->name,
				      speed);
		}
		if (!info.present && rc == 0) {
			snprintf(a, sizeof(a), "interface %s does not exist", cp->name);
			if (mode == SCHEDULE_CHECK_DAEMON)
				VERR(&v, cp->name, "%s; tsnd applies this schedule to it, so it must exist (create it, "
				     "or remove the schedule)", a);
			else
				VWARN(&v, cp->name, "%s on this host: its schedule is checked at %u Mbit/s (%s), "
				      "without the TX queue, MTU and PTP clock checks", a, speed,
				      cp->link_speed_mbps ? "link-speed" : "link-speed-default");
		}
		if (info.present)
			check_port_kernel(&v, cp, &info);
		check_timing(&v, cp, info.present ? &info : NULL, speed, src);
		check_kernel_rules(&v, cp);
		check_qos(&v, cp, speed, src, !cp->link_speed_mbps && !(info.present && info.speed_mbps));
	}
	ports_close(own);
	return diags->errors == errors;
}

