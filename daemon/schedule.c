/* schedule.c — gate schedules on taprio: validation against the port, the apply
 * transaction across ports, read-back and drift detection (see schedule.h and
 * docs/schedules.md, which explains every rule enforced here).
 *
 * Kernel facts this file relies on (sch_taprio.c, sch_api.c):
 * - A RTM_NEWQDISC for the root with the handle of the taprio already there takes
 *   the qdisc's change path: the new list becomes the admin schedule and replaces
 *   the running (oper) one at its base time.  The priority map, flags and clockid
 *   cannot change that way.
 * - A new root qdisc with another handle is created and grafted in one step; the
 *   old one is destroyed afterwards.  taprio and mqprio keep the traffic-class
 *   layout in the net device, and destroying one clears it, so a root holding one
 *   is deleted first and the new taprio created after.
 * - Deleting the root brings the kernel's default qdisc back.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "evloop.h"
#include "nlio.h"
#include "ports.h"
#include "schedule.h"
#include "taprio_nl.h"
#include "tsn/basetime.h"
#include "tsn/log.h"
#include "tsn/units.h"

#define MIN_FRAME_WIRE 84		/* bytes: 64 B frame + 8 B preamble + 12 B inter-frame gap */
#define FRAME_OVERHEAD_WIRE 38		/* bytes around an SDU: 14 header + 4 FCS + 8 preamble + 12 gap */
#define VLAN_TAG_BYTES 4
#define ASSUMED_MTU 1500		/* for a port that does not exist on this host */
#define KERNEL_MIN_FRAME 60		/* taprio's shortest interval: ETH_ZLEN byte times */
#define KERNEL_DEFAULT_MBPS 10		/* taprio's speed when the driver reports none */
#define KERNEL_CYCLE_MAX 2147483647ll	/* taprio's cycle arithmetic is 32-bit (ns) */
#define DUMP_TWO_LISTS_MAX 400		/* entries a 32 KiB dump message holds twice (admin + oper) */
#define NOTIFY_ENTRIES_MAX 80		/* entries a one-page notification holds */
#define POLL_INTERVAL_NS (10ull * 1000000000ull)
#define MAX_DRIFT_ITEMS 16
#define NLM_REPLACE (NLM_F_CREATE | NLM_F_REPLACE)

enum sched_state { SCHED_APPLIED, SCHED_HELD, SCHED_DRIFT, SCHED_ERROR };

static const char *const state_names[] = { "applied", "held", "drift", "error" };

struct strlist {
	char **v;
	size_t n;		/* kept (at most MAX_DRIFT_ITEMS) */
	size_t total;		/* found */
};

/* One port with a configured schedule. */
struct sched_port {
	char name[IFNAMSIZ];
	int ifindex;
	enum sched_state state;
	char message[1024];
	bool tracked;			/* `expected` is what tsnd put in the kernel */
	struct taprio_qdisc expected;
	struct strlist drift;
	bool drift_logged;
};

/* A port's root qdisc (and the visible qdiscs under it) as dumped. */
struct snapshot {
	unsigned char *root;		/* raw RTM_NEWQDISC, NULL: none listed */
	unsigned char **children;
	size_t n_children;
	struct taprio_qdisc root_q;	/* root decoded without gate lists (kind, handle, layout) */
};

enum action { ACT_CHANGE, ACT_CREATE, ACT_DELETE_CREATE, ACT_DELETE };

struct journal_item {
	char port[IFNAMSIZ];
	int ifindex;
	enum action act;
	bool deleted, created, changed;	/* what actually happened */
	struct snapshot snap;
};

struct journal {
	struct journal_item *items;
	size_t n;
};

struct txn {
	struct journal journal;
	struct sched_port *next;	/* the port states to commit */
	size_t n_next;
};

struct schedules {
	struct evloop *loop;
	struct nlio *nl;			/* requests and dumps */
	struct nl_sock *mon;		/* RTNLGRP_TC notifications */
	struct ev_io *mon_io;
	struct ev_timer *poll;		/* backstop for lists too long to be notified */
	struct sched_port *ports;
	size_t n_ports;
	const struct tsn_config *cfg;	/* committed */
	struct txn *txn;		/* applied, not yet committed */
	schedule_sync_fn sync;
	void *sync_arg;
	bool recheck;			/* a rollback ran: compare on the next notification */
};

/* ---- small helpers ---- */

static void sl_add(struct strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sl_add(struct strlist *l, const char *fmt, ...)
{
	va_list ap;
	char *s;

	l->total++;
	if (l->n >= MAX_DRIFT_ITEMS)
		return;
	va_start(ap, fmt);
	int rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return;
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return;
	}
	l->v = v;
	l->v[l->n++] = s;
}

static void sl_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* "a; b; c (and 3 more)" */
static void sl_join(const struct strlist *l, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "; " : "", l->v[i]);
	if (l->total > l->n && used < len)
		snprintf(buf + used, len - used, " (and %zu more)", l->total - l->n);
}

static bool sl_equal(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n || a->total != b->total)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static const char *dur(uint64_t ns, char *buf, size_t len)
{
	return tsn_format_duration(ns, buf, len);
}

static int clock_id(int clock)
{
	switch (clock) {
	case TSN_CLOCK_REALTIME: return CLOCK_REALTIME;
	case TSN_CLOCK_MONOTONIC: return CLOCK_MONOTONIC;
	case TSN_CLOCK_BOOTTIME: return CLOCK_BOOTTIME;
	default: return CLOCK_TAI;
	}
}

static const char *const clock_names[] = { "tai", "realtime", "monotonic", "boottime" };

static int read_clock(int clock, int64_t *now)
{
	struct timespec ts;

	if (clock_gettime(clock_id(clock), &ts) < 0)
		return -errno;
	*now = (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
	return 0;
}

static uint64_t intervals_sum(const struct tsn_cfg_schedule *s)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < s->n_entries; i++)
		sum += s->entries[i].interval_ns;
	return sum;
}

static uint64_t effective_cycle(const struct tsn_cfg_schedule *s)
{
	return s->cycle_time_ns ? s->cycle_time_ns : intervals_sum(s);
}

/* Nanoseconds to send `bytes` at `mbps` Mbit/s, rounded up. */
static uint64_t wire_ns(uint64_t bytes, uint32_t mbps)
{
	return (bytes * 8000 + mbps - 1) / mbps;
}

static bool is_held(const struct schedules *s, const struct tsn_cfg_port *cp)
{
	return cp->schedule.require_sync && !(s->sync && s->sync(s->sync_arg, cp->name));
}

static void desired_taprio(const struct tsn_cfg_schedule *cs, int ifindex, int64_t base, struct taprio_entry *entries,
			   struct taprio_qdisc *q);

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
	uint64_t min_ns = wire_ns(MIN_FRAME_WIRE, speed);
	char a[32], b[32], c[64];

	for (size_t i = 0; i < s->n_entries; i++)
		if (s->entries[i].interval_ns < min_ns)
			VERR(v, &s->entries[i].interval_ns,
			     "%s is shorter than a minimum frame at %u Mbit/s (%s): 64 B frame + 8 B preamble "
			     "+ 12 B gap = 84 B take %s", dur(s->entries[i].interval_ns, a, sizeof(a)), speed,
			     speed_src, dur(min_ns, b, sizeof(b)));

	/* taprio holds a frame back unless it ends before its entry ends: an entry
	 * shorter than a class's largest frame never sends such a frame. */
	for (uint32_t tc = 0; tc < s->num_tc; tc++) {
		uint64_t sdu = tc < s->n_max_sdu && s->max_sdu[tc] ? s->max_sdu[tc] : present ? info->mtu : ASSUMED_MTU;
		uint64_t bytes = sdu + FRAME_OVERHEAD_WIRE + class_vlan_bytes(v->cfg, s, tc);
		uint64_t need = wire_ns(bytes, speed);
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
		      "or set a smaller max-sdu for class %u", tc, dur(s->entries[first].interval_ns, a, sizeof(a)),
		      (unsigned long long)sdu, (unsigned long long)bytes, dur(need, b, sizeof(b)), speed, c, tc);
	}
}

static void check_port_kernel(struct vctx *v, const struct tsn_cfg_port *cp, const struct port_info *info)
{
	const struct tsn_cfg_schedule *s = &cp->schedule;
	uint32_t txq = info->num_tx_queues;

	if (txq < 2) {
		VERR(v, &s->n_queues, "taprio needs a multi-queue interface, but %s has %u TX queue (the kernel "
		     "says: Multi-queue device is required)", cp->name, txq);
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
	if (!info->speed_mbps) {
		char a[32];
		uint64_t kmin = wire_ns(KERNEL_MIN_FRAME, KERNEL_DEFAULT_MBPS);
		size_t shorter = 0;
		for (size_t i = 0; i < s->n_entries; i++)
			shorter += s->entries[i].interval_ns < kmin;
		VWARN(v, &cp->link_speed_mbps, "the driver of %s reports no link speed, so taprio assumes %d Mbit/s: "
		      "it holds back every frame that would not end within its entry at that speed%s%s%s",
		      cp->name, KERNEL_DEFAULT_MBPS, shorter ? ", and it refuses intervals shorter than " : "",
		      shorter ? dur(kmin, a, sizeof(a)) : "",
		      shorter ? " (Invalid interval for schedule entry), as this schedule has" : "");
	}
}

/* Rules of the kernel's taprio that hold on every port. */
static void check_kernel_rules(struct vctx *v, const struct tsn_cfg_port *cp)
{
	const struct tsn_cfg_schedule *s = &cp->schedule;
	uint64_t sum = intervals_sum(s), cycle = effective_cycle(s);
	char a[32], b[32], c[32];

	if (cycle > (uint64_t)KERNEL_CYCLE_MAX)
		VERR(v, s->cycle_time_ns ? (const void *)&s->cycle_time_ns : (const void *)&s->n_entries,
		     "a cycle of %s is longer than taprio handles: it computes positions in the cycle in 32 bits "
		     "(at most 2147483647ns, about 2.1s), and current kernels refuse more (integer out of range)",
		     dur(cycle, a, sizeof(a)));
	if (s->mode == TSN_SCHED_SOFTWARE && s->cycle_time_ns > sum && sum)
		VWARN(v, &s->cycle_time_ns, "%s is longer than the sum of the intervals (%s): IEEE 802.1Q keeps the "
		      "gates of the last entry for the remaining %s of each cycle, but software taprio starts the "
		      "list again when its last entry ends, so the cycles drift away from base-time; add a last "
		      "entry of %s instead", dur(s->cycle_time_ns, a, sizeof(a)), dur(sum, b, sizeof(b)),
		      dur(s->cycle_time_ns - sum, c, sizeof(c)), c);
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
	if (s->mode == TSN_SCHED_TXTIME_ASSIST)
		VWARN(v, &s->mode, "txtime-assist only stamps launch times (txtime-delay %s ahead); an etf qdisc "
		      "under each TX queue of the schedule must enforce them, and tsnd does not install one: "
		      "without it frames leave as soon as they are queued",
		      dur(s->txtime_delay_ns, a, sizeof(a)));
	/* taprio's options are one netlink attribute: its length field has 16 bits. */
	struct taprio_entry *tmp = calloc(s->n_entries + 1, sizeof(*tmp));
	bool fits = true;
	if (tmp) {
		struct taprio_qdisc q;
		desired_taprio(s, 0, 0, tmp, &q);
		size_t size = taprio_options_size(&q);
		fits = size <= TAPRIO_OPTIONS_MAX;
		if (!fits)
			VERR(v, &s->n_entries, "%zu entries do not fit one netlink message: taprio's options are a "
			     "netlink attribute of at most %u bytes, and each entry takes %d, so at most %zu entries fit",
			     s->n_entries, TAPRIO_OPTIONS_MAX, TAPRIO_ENTRY_SIZE,
			     s->n_entries - (size - TAPRIO_OPTIONS_MAX + TAPRIO_ENTRY_SIZE - 1) / TAPRIO_ENTRY_SIZE);
		free(tmp);
	}
	if (fits && s->n_entries > DUMP_TWO_LISTS_MAX)
		VWARN(v, &s->n_entries, "%zu entries: the kernel applies them, but while a change is pending its dump "
		      "(at most 32 KiB per qdisc) cannot hold both lists, so tsnd and tc cannot read the schedule "
		      "back; keep lists at %d entries or fewer", s->n_entries, DUMP_TWO_LISTS_MAX);
	if (!s->base_time_auto) {
		int64_t now, start;
		if (read_clock(s->clock, &now) == 0 && s->base_time_ns <= now && cycle &&
		    tsn_basetime_start(s->base_time_ns, now, cycle, &start) == 0)
			VWARN(v, &s->base_time_ns, "%s is in the past on the %s clock: the kernel starts the schedule "
			      "at the next base-time + N x cycle-time after it receives it, about %s",
			      tsn_basetime_format(s->base_time_ns, a, sizeof(a)), clock_names[s->clock],
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
	}
	ports_close(own);
	return diags->errors == errors;
}

/* ---- the kernel's qdiscs, from one dump ---- */

struct kroot {
	int ifindex;
	const struct nlmsghdr *root;
	const struct nlmsghdr **children;
	size_t n_children;
};

struct kview {
	struct nlio_qdiscs q;	/* one snapshot */
	struct kroot *roots;
	size_t n_roots;
};

static void kview_free(struct kview *kv)
{
	nlio_qdiscs_free(&kv->q);
	for (size_t i = 0; i < kv->n_roots; i++)
		free(kv->roots[i].children);
	free(kv->roots);
	memset(kv, 0, sizeof(*kv));
}

static const struct tcmsg *tcm_of(const struct nlmsghdr *h)
{
	return NLMSG_DATA(h);
}

static struct kroot *kview_root(struct kview *kv, int ifindex)
{
	for (size_t i = 0; i < kv->n_roots; i++)
		if (kv->roots[i].ifindex == ifindex)
			return &kv->roots[i];
	return NULL;
}

/* Dump, then index: each device's root, and its visible non-default qdiscs
 * (ingress/clsact are not under the root and are left out). */
static int kview_load(struct schedules *s, struct kview *kv, char *err, size_t errlen)
{
	char ext[256];
	int rc;

	memset(kv, 0, sizeof(*kv));
	rc = nlio_qdiscs_take(s->nl, &kv->q, ext, sizeof(ext));
	if (rc < 0) {
		snprintf(err, errlen, "cannot dump the kernel's qdiscs: %s%s%s", strerror(-rc), ext[0] ? ": " : "", ext);
		kview_free(kv);
		return rc;
	}
	kv->roots = calloc(kv->q.n ? kv->q.n : 1, sizeof(*kv->roots));
	if (!kv->roots) {
		kview_free(kv);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < kv->q.n; i++) {
		const struct nlmsghdr *h = nlio_qdiscs_at(&kv->q, i);
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)) || tcm_of(h)->tcm_parent != TC_H_ROOT)
			continue;
		kv->roots[kv->n_roots].ifindex = tcm_of(h)->tcm_ifindex;
		kv->roots[kv->n_roots++].root = h;
	}
	for (size_t i = 0; i < kv->q.n; i++) {
		const struct nlmsghdr *h = nlio_qdiscs_at(&kv->q, i);
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)))
			continue;
		const struct tcmsg *t = tcm_of(h);
		struct kroot *r = kview_root(kv, t->tcm_ifindex);
		if (!r || t->tcm_parent == TC_H_ROOT || t->tcm_parent == TC_H_INGRESS || t->tcm_handle == 0 ||
		    TC_H_MAJ(t->tcm_handle) == TC_H_MAJ(TC_H_INGRESS))
			continue;
		const struct nlmsghdr **c = realloc(r->children, (r->n_children + 1) * sizeof(*c));
		if (!c) {
			kview_free(kv);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		r->children = c;
		r->children[r->n_children++] = h;
	}
	return 0;
}

/* The port's root decoded (kind "" if none is listed). */
static void kroot_decode(const struct kroot *r, struct taprio_qdisc *q)
{
	char err[128];

	memset(q, 0, sizeof(*q));
	if (r && r->root && taprio_parse(r->root, q, err, sizeof(err)) < 0)
		log_warn("schedule: cannot read the root qdisc of ifindex %d: %s", r->ifindex, err);
}

/* The same without the gate control lists: kind, handle, layout, flags, clock. */
static void kroot_decode_layout(const struct kroot *r, struct taprio_qdisc *q)
{
	char err[128];

	memset(q, 0, sizeof(*q));
	if (r && r->root && taprio_parse_layout(r->root, q, err, sizeof(err)) < 0)
		log_warn("schedule: cannot read the root qdisc of ifindex %d: %s", r->ifindex, err);
}

/* ---- desired state, comparison ---- */

static void desired_taprio(const struct tsn_cfg_schedule *cs, int ifindex, int64_t base, struct taprio_entry *entries,
			   struct taprio_qdisc *q)
{
	memset(q, 0, sizeof(*q));
	q->ifindex = ifindex;
	q->handle = TSND_TAPRIO_HANDLE;
	q->parent = TC_H_ROOT;
	snprintf(q->kind, sizeof(q->kind), "taprio");
	q->has_priomap = true;
	q->priomap.num_tc = (uint8_t)cs->num_tc;
	for (size_t i = 0; i < cs->n_map && i < TSN_NUM_PRIO; i++)
		q->priomap.prio_tc_map[i] = (uint8_t)cs->map[i];
	for (size_t tc = 0; tc < cs->n_queues && tc < TSN_MAX_TC; tc++) {
		q->priomap.count[tc] = (uint16_t)cs->queues[tc].count;
		q->priomap.offset[tc] = (uint16_t)cs->queues[tc].offset;
	}
	/* full offload runs on the port's PHC: the kernel refuses a clockid there. */
	q->has_clockid = cs->mode != TSN_SCHED_FULL_OFFLOAD;
	q->clockid = clock_id(cs->clock);
	q->has_flags = true;
	q->flags = cs->mode == TSN_SCHED_TXTIME_ASSIST ? TCA_TAPRIO_ATTR_FLAG_TXTIME_ASSIST :
		   cs->mode == TSN_SCHED_FULL_OFFLOAD ? TCA_TAPRIO_ATTR_FLAG_FULL_OFFLOAD : 0;
	q->has_txtime_delay = cs->mode == TSN_SCHED_TXTIME_ASSIST;
	q->txtime_delay = (uint32_t)cs->txtime_delay_ns;
	/* Every class gets its max SDU (0: none): a change must also clear old ones. */
	for (uint32_t tc = 0; tc < cs->num_tc; tc++) {
		q->max_sdu_set |= 1u << tc;
		q->max_sdu[tc] = tc < cs->n_max_sdu ? cs->max_sdu[tc] : 0;
	}
	q->oper.has_base_time = true;
	q->oper.base_time = base;
	q->oper.has_cycle_time = cs->cycle_time_ns != 0;
	q->oper.cycle_time = (int64_t)cs->cycle_time_ns;
	q->oper.has_cycle_time_extension = cs->cycle_time_extension_ns != 0;
	q->oper.cycle_time_extension = (int64_t)cs->cycle_time_extension_ns;
	q->oper.has_entries = true;
	q->oper.entries = entries;	/* borrowed: the caller owns it */
	q->oper.n_entries = cs->n_entries;
	for (size_t i = 0; i < cs->n_entries; i++) {
		entries[i].index = (uint32_t)i;
		entries[i].cmd = cs->entries[i].op == TSN_GATE_SET_AND_HOLD ? TC_TAPRIO_CMD_SET_AND_HOLD :
				 cs->entries[i].op == TSN_GATE_SET_AND_RELEASE ? TC_TAPRIO_CMD_SET_AND_RELEASE :
				 TC_TAPRIO_CMD_SET_GATES;
		entries[i].gate_mask = cs->entries[i].gates;
		entries[i].interval = (uint32_t)cs->entries[i].interval_ns;
	}
}

static int64_t sched_cycle(const struct taprio_sched *s)
{
	if (s->has_cycle_time && s->cycle_time)
		return s->cycle_time;
	int64_t sum = 0;
	for (size_t i = 0; i < s->n_entries; i++)
		sum += s->entries[i].interval;
	return sum;
}

/* Same traffic-class layout, flags and clock: the kernel's change path accepts
 * a new schedule without touching them. */
static bool same_structure(const struct taprio_qdisc *k, const struct taprio_qdisc *d)
{
	if (strcmp(k->kind, "taprio") != 0 || k->handle != d->handle || !k->has_priomap)
		return false;
	if (k->priomap.num_tc != d->priomap.num_tc ||
	    memcmp(k->priomap.prio_tc_map, d->priomap.prio_tc_map, sizeof(k->priomap.prio_tc_map)) != 0)
		return false;
	for (unsigned tc = 0; tc < d->priomap.num_tc; tc++)
		if (k->priomap.count[tc] != d->priomap.count[tc] || k->priomap.offset[tc] != d->priomap.offset[tc])
			return false;
	if ((k->has_flags ? k->flags : 0) != d->flags || k->has_clockid != d->has_clockid)
		return false;
	return !d->has_clockid || k->clockid == d->clockid;
}

static const char *clock_text(bool has, int32_t id, char *buf, size_t len)
{
	if (!has)
		return "none";
	if (taprio_clock_name(id))
		return taprio_clock_name(id);
	snprintf(buf, len, "%d", id);
	return buf;
}

/* What differs between the taprio tsnd applied (want) and the port's root
 * (have, kind "" if none).  ignore_base: an auto base time matches any. */
static void diff_taprio(const struct taprio_qdisc *want, const struct taprio_qdisc *have, bool ignore_base,
			struct strlist *out)
{
	char a[48], b[48];

	if (strcmp(have->kind, "taprio") != 0 || have->handle != want->handle) {
		if (!have->kind[0])
			sl_add(out, "the port lists no root qdisc, tsnd applied taprio %s",
			       tc_handle_format(want->handle, a, sizeof(a)));
		else
			sl_add(out, "the root qdisc is %s %s, not the taprio %s tsnd applied", have->kind,
			       tc_handle_format(have->handle, a, sizeof(a)), tc_handle_format(want->handle, b, sizeof(b)));
		return;
	}
	if (!have->has_priomap) {
		sl_add(out, "the kernel lists no priority map");
	} else if (have->priomap.num_tc != want->priomap.num_tc) {
		sl_add(out, "num_tc is %u, applied %u", have->priomap.num_tc, want->priomap.num_tc);
	} else {
		for (int i = 0; i < TSN_NUM_PRIO; i++)
			if (have->priomap.prio_tc_map[i] != want->priomap.prio_tc_map[i])
				sl_add(out, "priority %d maps to class %u, applied %u", i, have->priomap.prio_tc_map[i],
				       want->priomap.prio_tc_map[i]);
		for (unsigned tc = 0; tc < want->priomap.num_tc; tc++)
			if (have->priomap.count[tc] != want->priomap.count[tc] ||
			    have->priomap.offset[tc] != want->priomap.offset[tc])
				sl_add(out, "class %u has queues %u@%u, applied %u@%u", tc, have->priomap.count[tc],
				       have->priomap.offset[tc], want->priomap.count[tc], want->priomap.offset[tc]);
	}
	if (have->has_clockid != want->has_clockid || (want->has_clockid && have->clockid != want->clockid))
		sl_add(out, "clockid is %s, applied %s", clock_text(have->has_clockid, have->clockid, a, sizeof(a)),
		       clock_text(want->has_clockid, want->clockid, b, sizeof(b)));
	if ((have->has_flags ? have->flags : 0) != want->flags)
		sl_add(out, "flags are 0x%x, applied 0x%x", have->has_flags ? have->flags : 0, want->flags);
	if ((have->has_txtime_delay ? have->txtime_delay : 0) != (want->has_txtime_delay ? want->txtime_delay : 0))
		sl_add(out, "txtime_delay_ns is %u, applied %u", have->has_txtime_delay ? have->txtime_delay : 0,
		       want->has_txtime_delay ? want->txtime_delay : 0);
	for (unsigned tc = 0; tc < want->priomap.num_tc; tc++) {
		uint32_t h = have->max_sdu_set & (1u << tc) ? have->max_sdu[tc] : 0;
		uint32_t w = want->max_sdu_set & (1u << tc) ? want->max_sdu[tc] : 0;
		if (h != w)
			sl_add(out, "max_sdu of class %u is %u, applied %u", tc, h, w);
	}

	/* The newest schedule: the admin one until it takes over, then oper. */
	const struct taprio_sched *k = have->has_admin ? &have->admin : &have->oper, *w = &want->oper;
	if (!k->has_entries) {
		sl_add(out, "the kernel's taprio has no schedule");
		return;
	}
	if (!ignore_base && k->base_time != w->base_time)
		sl_add(out, "base_time_ns is %lld, applied %lld", (long long)k->base_time, (long long)w->base_time);
	if (sched_cycle(k) != sched_cycle(w))
		sl_add(out, "cycle_time_ns is %lld, applied %lld", (long long)sched_cycle(k), (long long)sched_cycle(w));
	if (k->cycle_time_extension != (w->has_cycle_time_extension ? w->cycle_time_extension : 0))
		sl_add(out, "cycle_time_extension_ns is %lld, applied %lld", (long long)k->cycle_time_extension,
		       (long long)(w->has_cycle_time_extension ? w->cycle_time_extension : 0));
	if (k->n_entries != w->n_entries) {
		sl_add(out, "the list has %zu entries, applied %zu", k->n_entries, w->n_entries);
		return;
	}
	for (size_t i = 0; i < k->n_entries; i++) {
		const struct taprio_entry *x = &k->entries[i], *y = &w->entries[i];
		char c1[16], c2[16];
		if (x->cmd != y->cmd)
			sl_add(out, "entry %zu: op is %s, applied %s", i, taprio_cmd_name(x->cmd, c1, sizeof(c1)),
			       taprio_cmd_name(y->cmd, c2, sizeof(c2)));
		if (x->gate_mask != y->gate_mask)
			sl_add(out, "entry %zu: gates are %s, applied %s", i, tsn_format_class_set(x->gate_mask, a, sizeof(a)),
			       tsn_format_class_set(y->gate_mask, b, sizeof(b)));
		if (x->interval != y->interval)
			sl_add(out, "entry %zu: interval_ns is %u, applied %u", i, x->interval, y->interval);
	}
}

/* ---- snapshots, requests, the journal ---- */

static void snapshot_free(struct snapshot *sn)
{
	free(sn->root);
	for (size_t i = 0; i < sn->n_children; i++)
		free(sn->children[i]);
	free(sn->children);
	taprio_qdisc_clear(&sn->root_q);
	memset(sn, 0, sizeof(*sn));
}

static unsigned char *msg_dup(const struct nlmsghdr *h)
{
	unsigned char *m = malloc(h->nlmsg_len);
	if (m)
		memcpy(m, h, h->nlmsg_len);
	return m;
}

static int snapshot_take(const struct kroot *r, struct snapshot *sn)
{
	memset(sn, 0, sizeof(*sn));
	if (!r || !r->root)
		return 0;
	kroot_decode_layout(r, &sn->root_q);	/* the raw message is what a rollback replays */
	if (!(sn->root = msg_dup(r->root)))
		return -ENOMEM;
	if (r->n_children && !(sn->children = calloc(r->n_children, sizeof(*sn->children))))
		return -ENOMEM;
	for (size_t i = 0; i < r->n_children; i++) {
		if (!(sn->children[i] = msg_dup(r->children[i])))
			return -ENOMEM;
		sn->n_children++;
	}
	return 0;
}

/* The kernel's default root (noqueue, mq, pfifo_fast...) has handle 0: a delete
 * of whatever is at the root brings it back. */
static bool snapshot_is_default(const struct snapshot *sn)
{
	return !sn->root || sn->root_q.handle == 0;
}

/* Send one request; on refusal err gets "port P: WHAT: <kernel text> (<errno>)". */
static int request(struct schedules *s, struct nl_msg *msg, const char *port, const char *what, char *err,
		   size_t errlen)
{
	char ext[512];
	int rc;

	if (!msg) {
		snprintf(err, errlen, "port %s: %s: out of memory", port, what);
		return -ENOMEM;
	}
	rc = nlio_request(s->nl, msg, ext, sizeof(ext));
	nlmsg_free(msg);
	if (rc < 0) {
		if (ext[0])
			snprintf(err, errlen, "port %s: %s: %s (%s)", port, what, ext, strerror(-rc));
		else
			snprintf(err, errlen, "port %s: %s: %s", port, what, strerror(-rc));
	} else if (ext[0]) {
		log_warn("schedule: port %s: %s: the kernel says: %s", port, what, ext);
	}
	return rc;
}

static int delete_root(struct schedules *s, const char *port, int ifindex, uint32_t handle, char *err, size_t errlen)
{
	struct taprio_qdisc q = { .ifindex = ifindex, .handle = handle, .parent = TC_H_ROOT };
	char h[16], what[64];

	snprintf(what, sizeof(what), "cannot delete the root qdisc %s", tc_handle_format(handle, h, sizeof(h)));
	return request(s, taprio_build(RTM_DELQDISC, 0, &q), port, what, err, errlen);
}

/* Put the snapshot's root back, then the qdiscs under it (qdisc_tree_replay).
 * 0, or the error that kept the root from coming back. */
static int replay_snapshot(struct schedules *s, const char *port, const struct snapshot *sn, char *err, size_t errlen)
{
	char ext[512], h[16];
	size_t lost = 0;
	int rc = qdisc_tree_replay(s->nl, (const struct nlmsghdr *)sn->root,
				   (const struct nlmsghdr *const *)sn->children, sn->n_children, &lost, ext, sizeof(ext));

	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot put back its %s %s: %.300s (%s)", port, sn->root_q.kind,
			 tc_handle_format(sn->root_q.handle, h, sizeof(h)), ext[0] ? ext : "-", strerror(-rc));
		return rc;
	}
	if (lost)
		log_err("schedule: port %s: its %s %s is back, but %zu qdisc%s under it could not be put back",
			port, sn->root_q.kind, tc_handle_format(sn->root_q.handle, h, sizeof(h)), lost,
			lost == 1 ? "" : "s");
	return 0;
}

static struct journal_item *journal_add(struct journal *j, const char *port, int ifindex, enum action act)
{
	struct journal_item *items = realloc(j->items, (j->n + 1) * sizeof(*items));
	if (!items)
		return NULL;
	j->items = items;
	struct journal_item *it = &j->items[j->n++];
	memset(it, 0, sizeof(*it));
	snprintf(it->port, sizeof(it->port), "%s", port);
	it->ifindex = ifindex;
	it->act = act;
	return it;
}

/* Undo one item: only what actually happened.  0, or -1 with err. */
static int revert_item(struct schedules *s, struct journal_item *it, char *err, size_t errlen)
{
	char ignored[512];
	bool deflt = snapshot_is_default(&it->snap);

	switch (it->act) {
	case ACT_CHANGE:
		/* The old list goes in as the admin schedule with its old base time, so it
		 * continues on its own cycle grid, and the pending new one is dropped. */
		return it->changed ? replay_snapshot(s, it->port, &it->snap, err, errlen) : 0;
	case ACT_CREATE:
		if (!it->created)
			return 0;
		if (deflt)
			return delete_root(s, it->port, it->ifindex, TSND_TAPRIO_HANDLE, err, errlen);
		return replay_snapshot(s, it->port, &it->snap, err, errlen);
	case ACT_DELETE_CREATE:
		if (it->created)
			delete_root(s, it->port, it->ifindex, TSND_TAPRIO_HANDLE, ignored, sizeof(ignored));
		return it->deleted ? replay_snapshot(s, it->port, &it->snap, err, errlen) : 0;
	case ACT_DELETE:
		return it->deleted ? replay_snapshot(s, it->port, &it->snap, err, errlen) : 0;
	}
	return 0;
}

/* Undo the journal newest first; failures are logged and summed up in err. */
static int journal_revert(struct schedules *s, struct journal *j, char *err, size_t errlen)
{
	int failed = 0;

	if (errlen)
		err[0] = '\0';
	/* Its notifications come from tsnd's own socket, which on_monitor() would
	 * otherwise skip: a rollback is compared like someone else's change. */
	if (j->n)
		s->recheck = true;
	for (size_t i = j->n; i-- > 0;) {
		char e[512];
		if (revert_item(s, &j->items[i], e, sizeof(e)) < 0) {
			log_err("schedule: rollback: %s", e);
			if (!failed++)
				snprintf(err, errlen, "%s", e);
		} else if (j->items[i].changed || j->items[i].created || j->items[i].deleted) {
			log_info("schedule: port %s: previous root qdisc restored", j->items[i].port);
		}
	}
	return failed ? -1 : 0;
}

static void journal_free(struct journal *j)
{
	for (size_t i = 0; i < j->n; i++)
		snapshot_free(&j->items[i].snap);
	free(j->items);
	memset(j, 0, sizeof(*j));
}

/* Apply `want` to a port whose root is `r`: the change path if tsnd's taprio is
 * there with the same layout, flags and clock, else a new root. */
static int apply_port(struct schedules *s, struct journal *j, const char *port, const struct kroot *r,
		      const struct taprio_qdisc *want, char *err, size_t errlen)
{
	struct journal_item *it = journal_add(j, port, want->ifindex, ACT_CREATE);
	char a[32], h[16];
	int rc;

	if (!it || snapshot_take(r, &it->snap) < 0) {
		snprintf(err, errlen, "port %s: out of memory", port);
		return -ENOMEM;
	}
	const struct taprio_qdisc *k = &it->snap.root_q;
	if (same_structure(k, want)) {
		struct taprio_qdisc change = *want;
		it->act = ACT_CHANGE;
		change.has_priomap = false;	/* the kernel refuses a map on a running schedule */
		rc = request(s, taprio_build(RTM_NEWQDISC, NLM_REPLACE, &change), port,
			     "the kernel refused the new schedule", err, errlen);
		if (rc < 0)
			return rc;
		it->changed = true;
		log_notice("schedule: port %s: new schedule sent through the change path; it takes over at base "
			   "time %s", port, tsn_basetime_format(want->oper.base_time, a, sizeof(a)));
		return 0;
	}
	if (!snapshot_is_default(&it->snap) && (strcmp(k->kind, "taprio") == 0 || strcmp(k->kind, "mqprio") == 0)) {
		it->act = ACT_DELETE_CREATE;
		log_notice("schedule: port %s: replacing root %s %s (its classes, queues, flags or clock differ): "
			   "traffic on the port is interrupted while the qdisc is rebuilt", port, k->kind,
			   tc_handle_format(k->handle, h, sizeof(h)));
		rc = delete_root(s, port, want->ifindex, k->handle, err, errlen);
		if (rc < 0)
			return rc;
		it->deleted = true;
	}
	rc = request(s, taprio_build(RTM_NEWQDISC, NLM_REPLACE, want), port,
		     "the kernel refused the taprio schedule", err, errlen);
	if (rc < 0)
		return rc;
	it->created = true;
	char was[16];
	log_notice("schedule: port %s: taprio %s installed as root qdisc (was %s %s); base time %s", port,
		   tc_handle_format(want->handle, h, sizeof(h)), k->kind[0] ? k->kind : "none",
		   tc_handle_format(k->handle, was, sizeof(was)), tsn_basetime_format(want->oper.base_time, a, sizeof(a)));
	return 0;
}

static int remove_port(struct schedules *s, struct journal *j, const char *port, const struct kroot *r,
		       char *err, size_t errlen)
{
	struct journal_item *it = journal_add(j, port, r->ifindex, ACT_DELETE);

	if (!it || snapshot_take(r, &it->snap) < 0) {
		snprintf(err, errlen, "port %s: out of memory", port);
		return -ENOMEM;
	}
	int rc = delete_root(s, port, r->ifindex, TSND_TAPRIO_HANDLE, err, errlen);
	if (rc < 0)
		return rc;
	it->deleted = true;
	log_notice("schedule: port %s: schedule removed; the kernel's default qdisc is back", port);
	return 0;
}

/* ---- port state ---- */

static void port_clear(struct sched_port *p)
{
	taprio_qdisc_clear(&p->expected);
	sl_free(&p->drift);
}

static void ports_free(struct sched_port *ports, size_t n)
{
	for (size_t i = 0; i < n; i++)
		port_clear(&ports[i]);
	free(ports);
}

static struct sched_port *find_port(struct sched_port *ports, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ports[i].name, name) == 0)
			return &ports[i];
	return NULL;
}

/* next becomes a deep copy of prev: the running state stays intact until commit. */
static int port_copy(struct sched_port *next, const struct sched_port *prev)
{
	*next = *prev;
	memset(&next->expected, 0, sizeof(next->expected));
	memset(&next->drift, 0, sizeof(next->drift));
	if (prev->tracked && taprio_qdisc_copy(&next->expected, &prev->expected) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < prev->drift.n; i++)
		sl_add(&next->drift, "%s", prev->drift.v[i]);
	next->drift.total = prev->drift.total;
	return 0;
}

/* `expected` becomes a copy of want (whose entries are borrowed). */
static int port_track(struct sched_port *p, const struct taprio_qdisc *want)
{
	taprio_qdisc_clear(&p->expected);
	if (taprio_qdisc_copy(&p->expected, want) < 0)
		return -ENOMEM;
	p->tracked = true;
	p->state = SCHED_APPLIED;
	p->message[0] = '\0';
	sl_free(&p->drift);
	p->drift_logged = false;
	return 0;
}

/* Compare a tracked port with its root; update state; log once per episode. */
static void port_check(struct sched_port *p, const struct kroot *r)
{
	struct taprio_qdisc have;
	struct strlist diffs = { 0 };
	char text[1024];

	if (!p->tracked || (p->state != SCHED_APPLIED && p->state != SCHED_DRIFT))
		return;
	kroot_decode(r, &have);
	diff_taprio(&p->expected, &have, false, &diffs);
	taprio_qdisc_clear(&have);
	if (!diffs.total) {
		if (p->state == SCHED_DRIFT)
			log_notice("schedule: port %s: the kernel's taprio matches the applied schedule again", p->name);
		p->state = SCHED_APPLIED;
		p->message[0] = '\0';
		sl_free(&p->drift);
		sl_free(&diffs);
		p->drift_logged = false;
		return;
	}
	p->state = SCHED_DRIFT;
	snprintf(p->message, sizeof(p->message), "the kernel's taprio differs from the applied schedule (%zu "
		 "difference%s); a reload or restart applies it again", diffs.total, diffs.total == 1 ? "" : "s");
	if (!p->drift_logged || !sl_equal(&diffs, &p->drift)) {
		sl_join(&diffs, text, sizeof(text));
		if (!p->drift_logged)
			log_warn("schedule: port %s drifted from the schedule tsnd applied: %s", p->name, text);
		else
			log_debug("schedule: port %s: drift now: %s", p->name, text);
		p->drift_logged = true;
	}
	sl_free(&p->drift);
	p->drift = diffs;
}

/* ---- the transaction ---- */

/* Base times are computed from one reading of each clock per transaction, so
 * ports with the same cycle time and lead get the same base time. */
struct clocks {
	bool read[4];
	int64_t now[4];
};

static int base_time_for(struct clocks *ck, const struct tsn_cfg_port *cp, int64_t *base, char *err, size_t errlen)
{
	const struct tsn_cfg_schedule *cs = &cp->schedule;
	int c = cs->clock, rc;

	if (!cs->base_time_auto) {
		*base = cs->base_time_ns;
		return 0;
	}
	if (!ck->read[c]) {
		rc = read_clock(c, &ck->now[c]);
		if (rc < 0) {
			snprintf(err, errlen, "port %s: cannot read the %s clock: %s", cp->name, clock_names[c],
				 strerror(-rc));
			return rc;
		}
		ck->read[c] = true;
	}
	rc = tsn_basetime_auto(ck->now[c], cs->base_time_lead_ns, effective_cycle(cs), base);
	if (rc < 0)
		snprintf(err, errlen, "port %s: no base time: the next cycle boundary after now + base-time-lead "
			 "does not fit in 64 bits", cp->name);
	return rc;
}

static json_object *schedule_json(json_object *ports_json, size_t i)
{
	json_object *port = ports_json ? json_object_array_get_idx(ports_json, i) : NULL, *sched = NULL;
	if (port)
		json_object_object_get_ex(port, "schedule", &sched);
	return sched;
}

static json_object *ports_json_of(const struct tsn_config *cfg, json_object **root)
{
	json_object *ports = NULL;
	*root = cfg ? tsn_config_to_json(cfg) : NULL;
	if (*root)
		json_object_object_get_ex(*root, "ports", &ports);
	return ports;
}

static void txn_free(struct txn *t)
{
	if (!t)
		return;
	journal_free(&t->journal);
	ports_free(t->next, t->n_next);
	free(t);
}

static bool port_configured(const struct tsn_config *cfg, const char *name, bool *has_schedule)
{
	const struct tsn_cfg_port *cp = cfg ? tsn_config_port(cfg, name) : NULL;
	*has_schedule = cp && cp->has_schedule;
	return cp != NULL;
}

/* Plan and carry out one port with a schedule; the state to commit goes to *next. */
static int txn_port(struct schedules *s, struct txn *t, struct kview *kv, struct clocks *ck,
		    const struct tsn_config *old, const struct tsn_cfg_port *cp, const struct tsn_cfg_port *old_cp,
		    struct sched_port *next, char *err, size_t errlen)
{
	const struct tsn_cfg_schedule *cs = &cp->schedule;
	struct sched_port *prev = find_port(s->ports, s->n_ports, cp->name);
	int ifindex = (int)if_nametoindex(cp->name);
	struct kroot *r;
	struct taprio_qdisc want, have;
	int64_t base;
	int rc;

	snprintf(next->name, sizeof(next->name), "%s", cp->name);
	next->ifindex = ifindex;
	if (!ifindex) {
		snprintf(err, errlen, "port %s: no such network interface (a schedule needs it)", cp->name);
		return -ENODEV;
	}
	r = kview_root(kv, ifindex);
	/* Compared field by field (the schema's deep compare): cheap for long lists. */
	bool unchanged = old && prev && prev->ifindex == ifindex && old_cp && old_cp->has_schedule &&
			 tsn_config_port_member_equal(old_cp, cp, "schedule");
	if (unchanged && prev->state == SCHED_HELD && is_held(s, cp))
		return port_copy(next, prev) < 0 ? -ENOMEM : 0;
	if (unchanged && prev->tracked && (prev->state == SCHED_APPLIED || prev->state == SCHED_DRIFT)) {
		port_check(prev, r);
		if (prev->state == SCHED_APPLIED)
			return port_copy(next, prev) < 0 ? -ENOMEM : 0;
		log_notice("schedule: port %s: the kernel no longer holds the applied schedule; applying it again",
			   cp->name);
	}

	struct taprio_entry *entries = calloc(cs->n_entries ? cs->n_entries : 1, sizeof(*entries));
	if (!entries) {
		snprintf(err, errlen, "port %s: out of memory", cp->name);
		return -ENOMEM;
	}
	rc = base_time_for(ck, cp, &base, err, errlen);
	if (rc < 0) {
		free(entries);
		return rc;
	}
	desired_taprio(cs, ifindex, base, entries, &want);

	/* At start-up, a taprio that already runs this schedule is kept as it is:
	 * tsnd restarted, the switch went on forwarding. */
	if (!old) {
		struct strlist diffs = { 0 };
		kroot_decode(r, &have);
		diff_taprio(&want, &have, cs->base_time_auto, &diffs);
		bool adopt = diffs.total == 0;
		if (adopt) {
			const struct taprio_sched *k = have.has_admin ? &have.admin : &have.oper;
			want.oper.base_time = k->base_time;
		}
		taprio_qdisc_clear(&have);
		sl_free(&diffs);
		if (adopt) {
			rc = port_track(next, &want);
			free(entries);
			if (rc == 0)
				log_notice("schedule: port %s: the running taprio 7473: already matches the "
					   "schedule; kept as it is", cp->name);
			else
				snprintf(err, errlen, "port %s: out of memory", cp->name);
			return rc;
		}
	}
	if (is_held(s, cp)) {
		next->state = SCHED_HELD;
		snprintf(next->message, sizeof(next->message), "waiting for PTP lock (require-sync); the port "
			 "keeps its current root qdisc");
		free(entries);
		log_notice("schedule: port %s: held until PTP is locked (require-sync)", cp->name);
		return 0;
	}
	rc = apply_port(s, &t->journal, cp->name, r, &want, err, errlen);
	if (rc == 0 && port_track(next, &want) < 0) {
		snprintf(err, errlen, "port %s: out of memory", cp->name);
		rc = -ENOMEM;
	}
	free(entries);
	return rc;
}

int schedules_apply(struct schedules *s, const struct tsn_config *old, const struct tsn_config *cfg,
		    char *err, size_t errlen)
{
	struct kview kv;
	struct clocks ck = { 0 };
	struct txn *t;
	int rc = 0;

	if (s->txn) {	/* a previous transaction was neither committed nor reverted */
		schedules_revert(s);
	}
	t = calloc(1, sizeof(*t));
	if (!t || !(t->next = calloc(cfg->n_ports ? cfg->n_ports : 1, sizeof(*t->next)))) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (kview_load(s, &kv, err, errlen) < 0) {
		txn_free(t);
		return -1;
	}

	for (size_t i = 0; i < cfg->n_ports && rc == 0; i++) {
		const struct tsn_cfg_port *cp = &cfg->ports[i];
		if (!cp->has_schedule)
			continue;
		rc = txn_port(s, t, &kv, &ck, old, cp, old ? tsn_config_port(old, cp->name) : NULL,
			      &t->next[t->n_next], err, errlen);
		t->n_next++;
	}
	/* Schedules that are gone: tsnd's taprio leaves the port. */
	for (size_t i = 0; i < s->n_ports && rc == 0; i++) {
		const struct sched_port *p = &s->ports[i];
		bool has;
		port_configured(cfg, p->name, &has);
		struct kroot *r = kview_root(&kv, p->ifindex);
		struct taprio_qdisc k;
		if (has || !r)
			continue;
		kroot_decode_layout(r, &k);
		if (strcmp(k.kind, "taprio") == 0 && k.handle == TSND_TAPRIO_HANDLE)
			rc = remove_port(s, &t->journal, p->name, r, err, errlen);
		taprio_qdisc_clear(&k);
	}
	/* At start-up, a taprio 7473: left on a port that has no schedule now. */
	for (size_t i = 0; !old && i < cfg->n_ports && rc == 0; i++) {
		const struct tsn_cfg_port *cp = &cfg->ports[i];
		int ifindex = (int)if_nametoindex(cp->name);
		struct kroot *r = ifindex ? kview_root(&kv, ifindex) : NULL;
		struct taprio_qdisc k;
		if (cp->has_schedule || !r)
			continue;
		kroot_decode_layout(r, &k);
		if (strcmp(k.kind, "taprio") == 0 && k.handle == TSND_TAPRIO_HANDLE)
			rc = remove_port(s, &t->journal, cp->name, r, err, errlen);
		taprio_qdisc_clear(&k);
	}
	kview_free(&kv);

	if (rc < 0) {
		char rerr[512];
		size_t used = strlen(err);
		bool touched = false;
		for (size_t i = 0; i < t->journal.n; i++)
			touched |= t->journal.items[i].changed || t->journal.items[i].created ||
				   t->journal.items[i].deleted;
		if (journal_revert(s, &t->journal, rerr, sizeof(rerr)) < 0)
			snprintf(err + used, errlen - used, "; rolling back failed too: %s", rerr);
		else if (touched)
			snprintf(err + used, errlen - used, "; the ports changed before were restored");
		txn_free(t);
		return -1;
	}
	s->txn = t;
	return 0;
}

static void poll_update(struct schedules *s);

void schedules_commit(struct schedules *s, const struct tsn_config *cfg)
{
	s->cfg = cfg;
	if (!s->txn)
		return;
	ports_free(s->ports, s->n_ports);
	s->ports = s->txn->next;
	s->n_ports = s->txn->n_next;
	s->txn->next = NULL;
	s->txn->n_next = 0;
	txn_free(s->txn);
	s->txn = NULL;
	poll_update(s);
}

void schedules_revert(struct schedules *s)
{
	char err[512];

	if (!s->txn)
		return;
	if (journal_revert(s, &s->txn->journal, err, sizeof(err)) < 0)
		log_err("schedule: undoing the schedule changes failed: %s", err);
	txn_free(s->txn);
	s->txn = NULL;
}

/* ---- the time-sync hook ---- */

void schedules_set_sync(struct schedules *s, schedule_sync_fn fn, void *arg)
{
	s->sync = fn;
	s->sync_arg = arg;
}

void schedules_sync_changed(struct schedules *s)
{
	struct kview kv;
	char err[1024];
	bool loaded = false;

	for (size_t i = 0; s->cfg && i < s->n_ports; i++) {
		struct sched_port *p = &s->ports[i];
		const struct tsn_cfg_port *cp = tsn_config_port(s->cfg, p->name);
		struct journal j = { 0 };
		struct clocks ck = { 0 };
		struct taprio_qdisc want;
		int64_t base;

		if (p->state != SCHED_HELD || !cp || !cp->has_schedule || is_held(s, cp))
			continue;
		if (!loaded && kview_load(s, &kv, err, sizeof(err)) < 0) {
			log_err("schedule: cannot apply held schedules: %s", err);
			return;
		}
		loaded = true;
		struct taprio_entry *entries = calloc(cp->schedule.n_entries + 1, sizeof(*entries));
		int rc = entries ? base_time_for(&ck, cp, &base, err, sizeof(err)) : -ENOMEM;
		if (rc == 0) {
			p->ifindex = (int)if_nametoindex(cp->name);
			desired_taprio(&cp->schedule, p->ifindex, base, entries, &want);
			rc = apply_port(s, &j, cp->name, kview_root(&kv, p->ifindex), &want, err, sizeof(err));
			if (rc == 0)
				rc = port_track(p, &want);
		}
		if (rc < 0) {
			char rerr[512];
			if (journal_revert(s, &j, rerr, sizeof(rerr)) < 0)
				log_err("schedule: port %s: rollback failed: %s", cp->name, rerr);
			p->state = SCHED_ERROR;
			snprintf(p->message, sizeof(p->message), "%s", entries ? err : "out of memory");
			log_err("schedule: port %s: PTP is locked, but applying the held schedule failed: %s",
				cp->name, p->message);
		} else {
			log_notice("schedule: port %s: PTP is locked; held schedule applied", cp->name);
		}
		journal_free(&j);
		free(entries);
	}
	if (loaded)
		kview_free(&kv);
	poll_update(s);
}

/* ---- read back and drift ---- */

static void refresh_with(struct schedules *s, struct kview *kv)
{
	for (size_t i = 0; i < s->n_ports; i++)
		port_check(&s->ports[i], kview_root(kv, s->ports[i].ifindex));
}

int schedules_refresh(struct schedules *s)
{
	struct kview kv;
	char err[256];
	int rc = kview_load(s, &kv, err, sizeof(err));

	if (rc < 0) {
		log_warn("schedule: drift check: %s", err);
		return rc;
	}
	refresh_with(s, &kv);
	kview_free(&kv);
	return 0;
}

static bool tracks_ifindex(const struct schedules *s, int ifindex)
{
	for (size_t i = 0; i < s->n_ports; i++)
		if (s->ports[i].tracked && s->ports[i].ifindex == ifindex)
			return true;
	return false;
}

/* RTNLGRP_TC: any qdisc or class change on a port tsnd applied a schedule to
 * triggers one comparison (after the socket is drained).  The comparison is of
 * the kernel's current state with what tsnd applied, so tsnd's own changes,
 * which have always been committed before the loop reads their notifications,
 * never count as drift.  Notifications of tsnd's own requests (nlmsg_pid is
 * its request socket's port) are skipped: the kernel acked exactly what the
 * port now tracks, and a comparison (a dump of every qdisc) after each reload
 * would only confirm it.  After a rollback they count (s->recheck). */
static void on_monitor(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct schedules *s = arg;
	uint32_t self = nlio_port(s->nl);
	bool dirty = false;

	(void)loop;
	(void)fd;
	(void)events;
	for (int rounds = 0; rounds < 256; rounds++) {
		struct sockaddr_nl from;
		unsigned char *buf = NULL;
		int n = nl_recv(s->mon, &from, &buf, NULL);

		if (n == -NLE_AGAIN || n == 0) {
			free(buf);
			break;
		}
		if (n < 0) {	/* ENOBUFS: notifications were lost, so look */
			free(buf);
			dirty = true;
			continue;
		}
		int len = n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)))
				continue;
			if (h->nlmsg_type != RTM_NEWQDISC && h->nlmsg_type != RTM_DELQDISC &&
			    h->nlmsg_type != RTM_NEWTCLASS && h->nlmsg_type != RTM_DELTCLASS)
				continue;
			if (h->nlmsg_pid == self && self != 0 && !s->recheck)
				continue;
			dirty |= tracks_ifindex(s, tcm_of(h)->tcm_ifindex);
		}
		free(buf);
	}
	if (dirty) {
		s->recheck = false;
		schedules_refresh(s);
	}
}

static void on_poll(struct evloop *loop, void *arg)
{
	struct schedules *s = arg;

	(void)loop;
	schedules_refresh(s);
	poll_update(s);
}

/* The kernel cannot notify about a taprio whose list does not fit one page, so
 * such schedules are compared every POLL_INTERVAL_NS as well. */
static void poll_update(struct schedules *s)
{
	bool need = false;

	for (size_t i = 0; i < s->n_ports; i++)
		need |= s->ports[i].tracked && s->ports[i].expected.oper.n_entries > NOTIFY_ENTRIES_MAX;
	if (!s->poll)
		return;
	if (need)
		evloop_timer_arm_at(s->poll, evloop_now_ns() + POLL_INTERVAL_NS);
	else
		evloop_timer_disarm(s->poll);
}

static const char *state_of(const struct schedules *s, const char *name)
{
	const struct sched_port *p = find_port(s->ports, s->n_ports, name);
	return p ? state_names[p->state] : NULL;
}

const char *schedules_port_state(const struct schedules *s, const char *port)
{
	const char *st = s ? state_of(s, port) : NULL;
	return st ? st : "none";
}

json_object *schedules_status_json(struct schedules *s)
{
	size_t n[4] = { 0 };
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < s->n_ports; i++)
		n[s->ports[i].state]++;
	json_object_object_add(o, "applied", json_object_new_uint64(n[SCHED_APPLIED]));
	json_object_object_add(o, "held", json_object_new_uint64(n[SCHED_HELD]));
	json_object_object_add(o, "drift", json_object_new_uint64(n[SCHED_DRIFT]));
	json_object_object_add(o, "error", json_object_new_uint64(n[SCHED_ERROR]));
	return o;
}

static json_object *port_show(const struct schedules *s, struct kview *kv, const struct tsn_cfg_port *cp,
			      json_object *sched_json)
{
	const struct sched_port *p = find_port(s->ports, s->n_ports, cp->name);
	int ifindex = p && p->ifindex ? p->ifindex : (int)if_nametoindex(cp->name);
	struct kroot *r = ifindex ? kview_root(kv, ifindex) : NULL;
	json_object *o = json_object_new_object(), *drift = json_object_new_array();
	struct taprio_qdisc k;
	char msg[1100], a[48];

	kroot_decode(r, &k);
	json_object_object_add(o, "name", json_object_new_string(cp->name));
	json_object_object_add(o, "configured", json_object_new_boolean(cp->has_schedule));
	if (!cp->has_schedule || !p) {
		json_object_object_add(o, "state", json_object_new_string("absent"));
		snprintf(msg, sizeof(msg), "no schedule configured%s",
			 strcmp(k.kind, "taprio") == 0 ? "; the root qdisc is a taprio that tsnd does not manage" : "");
	} else {
		json_object_object_add(o, "state", json_object_new_string(state_names[p->state]));
		snprintf(msg, sizeof(msg), "%s", p->message);
		if (p->state == SCHED_APPLIED && k.has_admin && p->tracked)
			snprintf(msg, sizeof(msg), "the new schedule is pending: it takes over at base time %s",
				 tsn_basetime_format(k.admin.base_time, a, sizeof(a)));
		for (size_t i = 0; i < p->drift.n; i++)
			json_object_array_add(drift, json_object_new_string(p->drift.v[i]));
		if (p->drift.total > p->drift.n) {
			snprintf(a, sizeof(a), "... and %zu more", p->drift.total - p->drift.n);
			json_object_array_add(drift, json_object_new_string(a));
		}
	}
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "config", cp->has_schedule && sched_json ? json_object_get(sched_json) : NULL);
	json_object_object_add(o, "kernel", strcmp(k.kind, "taprio") == 0 ? taprio_to_json(&k) : NULL);
	json_object_object_add(o, "base_time_ns", p && p->tracked ? json_object_new_int64(p->expected.oper.base_time)
								: NULL);
	json_object_object_add(o, "drift", drift);
	taprio_qdisc_clear(&k);
	return o;
}

json_object *schedules_show_json(struct schedules *s, const struct tsn_config *cfg, const char *dev,
				 char *err, size_t errlen)
{
	struct kview kv;
	json_object *root = NULL, *ports_json, *arr;

	if (kview_load(s, &kv, err, errlen) < 0)
		return NULL;
	refresh_with(s, &kv);
	ports_json = ports_json_of(cfg, &root);
	arr = json_object_new_array();
	for (size_t i = 0; i < cfg->n_ports; i++) {
		if (dev && strcmp(cfg->ports[i].name, dev) != 0)
			continue;
		json_object_array_add(arr, port_show(s, &kv, &cfg->ports[i], schedule_json(ports_json, i)));
	}
	json_object_put(root);
	kview_free(&kv);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ports", arr);
	return o;
}

/* ---- life cycle ---- */

struct schedules *schedules_new(struct evloop *loop, char *err, size_t errlen)
{
	struct schedules *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->nl = nlio_open(err, errlen);
	if (!s->nl)
		goto fail;
	if (!loop)
		return s;	/* no event loop (tests): no drift watch */
	s->mon = nl_socket_alloc();
	if (!s->mon) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	nl_socket_disable_seq_check(s->mon);
	rc = nl_connect(s->mon, NETLINK_ROUTE);
	if (rc == 0)
		rc = nl_socket_add_membership(s->mon, RTNLGRP_TC);
	if (rc == 0)
		rc = nl_socket_set_nonblocking(s->mon);
	if (rc < 0) {
		snprintf(err, errlen, "cannot subscribe to traffic-control notifications: %s", nl_geterror(rc));
		goto fail;
	}
	nl_socket_set_buffer_size(s->mon, 1 << 20, 0);
	/* Notifications fit one page; 32 KiB reads never cut one, so no peeking
	 * (one system call per message instead of two; a cut one would read as
	 * an error, which on_monitor() answers with a comparison). */
	nl_socket_set_msg_buf_size(s->mon, 32768);
	nl_socket_disable_msg_peek(s->mon);
	s->mon_io = evloop_io_add(loop, nl_socket_get_fd(s->mon), EPOLLIN, on_monitor, s);
	s->poll = evloop_timer_new(loop, on_poll, s);
	if (!s->mon_io || !s->poll) {
		snprintf(err, errlen, "cannot watch traffic-control notifications: %s", strerror(errno));
		goto fail;
	}
	return s;
fail:
	schedules_free(s);
	return NULL;
}

void schedules_free(struct schedules *s)
{
	if (!s)
		return;
	if (s->txn)
		schedules_revert(s);
	size_t applied = 0;
	for (size_t i = 0; i < s->n_ports; i++)
		applied += s->ports[i].tracked;
	if (applied)
		log_info("schedule: leaving %zu taprio schedule%s in place", applied, applied == 1 ? "" : "s");
	if (s->mon_io)
		evloop_io_del(s->mon_io);
	if (s->poll)
		evloop_timer_free(s->poll);
	if (s->mon)
		nl_socket_free(s->mon);
	nlio_close(s->nl);
	ports_free(s->ports, s->n_ports);
	free(s);
}
