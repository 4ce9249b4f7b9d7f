/* SPDX-License-Identifier: GPL-2.0-only */
/* schedule_kview.c — the kernel's qdiscs from one snapshot, the taprio a
 * schedule asks for, and the comparison of two taprios (schedule_kview.h). */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ports.h"
#include "schedule_int.h"
#include "tsn/shaper.h"
#include "tsn/log.h"
#include "tsn/units.h"

/* ---- the kernel's qdiscs, from one dump ---- */

void kview_free(struct kview *kv)
{
	nlio_qdiscs_free(&kv->q);
	for (size_t i = 0; i < kv->n_roots; i++)
		free(kv->roots[i].children);
	free(kv->roots);
	memset(kv, 0, sizeof(*kv));
}

const struct tcmsg *sched_tcm_of(const struct nlmsghdr *h)
{
	return NLMSG_DATA(h);
}

struct kroot *kview_root(struct kview *kv, int ifindex)
{
	for (size_t i = 0; i < kv->n_roots; i++)
		if (kv->roots[i].ifindex == ifindex)
			return &kv->roots[i];
	return NULL;
}

bool kview_unread(struct kview *kv, int ifindex)
{
	struct ifreq ifr = { 0 };
	bool up = false;

	if (ifindex <= 0 || kview_root(kv, ifindex) || !if_indextoname((unsigned)ifindex, ifr.ifr_name))
		return false;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		up = ifr.ifr_flags & IFF_UP;
	if (fd >= 0)
		close(fd);
	return up;
}

/* Dump, then index: each device's root, and its visible non-default qdiscs
 * (ingress/clsact are not under the root and are left out). */
int kview_load(struct schedules *s, struct kview *kv, char *err, size_t errlen)
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
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)) || sched_tcm_of(h)->tcm_parent != TC_H_ROOT)
			continue;
		kv->roots[kv->n_roots].ifindex = sched_tcm_of(h)->tcm_ifindex;
		kv->roots[kv->n_roots++].root = h;
	}
	for (size_t i = 0; i < kv->q.n; i++) {
		const struct nlmsghdr *h = nlio_qdiscs_at(&kv->q, i);
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)))
			continue;
		const struct tcmsg *t = sched_tcm_of(h);
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

/* taprio_parse reads the kind of any root, the layout of taprio only: an mqprio
 * root's layout (tsnd's own for mode mqprio, or one it replaces) comes from here. */
static void decode_mqprio(const struct kroot *r, struct taprio_qdisc *q)
{
	char err[128];
	int rc;

	if (!r || !r->root || strcmp(q->kind, "mqprio") != 0)
		return;
	rc = mqprio_parse(r->root, &q->priomap, err, sizeof(err));
	if (rc < 0)
		log_warn("schedule: cannot read the mqprio root of ifindex %d: %s", r->ifindex, err);
	q->has_priomap = rc > 0;
}

/* The port's root decoded (kind "" if none is listed). */
void kroot_decode(const struct kroot *r, struct taprio_qdisc *q)
{
	char err[128];

	memset(q, 0, sizeof(*q));
	if (r && r->root && taprio_parse(r->root, q, err, sizeof(err)) < 0)
		log_warn("schedule: cannot read the root qdisc of ifindex %d: %s", r->ifindex, err);
	decode_mqprio(r, q);
}

/* The same without the gate control lists: kind, handle, layout, flags, clock. */
void kroot_decode_layout(const struct kroot *r, struct taprio_qdisc *q)
{
	char err[128];

	memset(q, 0, sizeof(*q));
	if (r && r->root && taprio_parse_layout(r->root, q, err, sizeof(err)) < 0)
		log_warn("schedule: cannot read the root qdisc of ifindex %d: %s", r->ifindex, err);
	decode_mqprio(r, q);
}

/* ---- desired state, comparison ---- */

void sched_desired_taprio(const struct tsn_cfg_schedule *cs, int ifindex, int64_t base, struct taprio_entry *entries,
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
	q->clockid = sched_clock_id(cs->clock);
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
	if (cs->mode == TSN_SCHED_MQPRIO) {
		/* only the layout: no clock, flags, max-SDU or gate list (hw 0: the kernel's
		 * software classes; mqprio takes no other options then) */
		struct tc_mqprio_qopt layout = q->priomap;
		memset(q, 0, sizeof(*q));
		q->ifindex = ifindex;
		q->handle = TSND_TAPRIO_HANDLE;
		q->parent = TC_H_ROOT;
		snprintf(q->kind, sizeof(q->kind), "mqprio");
		q->has_priomap = true;
		q->priomap = layout;
		q->priomap.hw = 0;
	}
}

int64_t sched_cycle(const struct taprio_sched *s)
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
bool sched_same_structure(const struct taprio_qdisc *k, const struct taprio_qdisc *d)
{
	if ((strcmp(d->kind, "taprio") != 0 && strcmp(d->kind, "mqprio") != 0) || strcmp(k->kind, d->kind) != 0 ||
	    k->handle != d->handle || !k->has_priomap)
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
void sched_diff_taprio(const struct taprio_qdisc *want, const struct taprio_qdisc *have, bool ignore_base,
			struct strlist *out)
{
	char a[48], b[48];

	if (strcmp(have->kind, want->kind) != 0 || have->handle != want->handle) {
		if (!have->kind[0])
			sched_sl_add(out, "the port lists no root qdisc, tsnd applied %s %s", want->kind,
			       tc_handle_format(want->handle, a, sizeof(a)));
		else
			sched_sl_add(out, "the root qdisc is %s %s, not the %s %s tsnd applied", have->kind,
			       tc_handle_format(have->handle, a, sizeof(a)), want->kind,
			       tc_handle_format(want->handle, b, sizeof(b)));
		return;
	}
	if (!have->has_priomap) {
		sched_sl_add(out, "the kernel lists no priority map");
	} else if (have->priomap.num_tc != want->priomap.num_tc) {
		sched_sl_add(out, "num_tc is %u, applied %u", have->priomap.num_tc, want->priomap.num_tc);
	} else {
		for (int i = 0; i < TSN_NUM_PRIO; i++)
			if (have->priomap.prio_tc_map[i] != want->priomap.prio_tc_map[i])
				sched_sl_add(out, "priority %d maps to class %u, applied %u", i, have->priomap.prio_tc_map[i],
				       want->priomap.prio_tc_map[i]);
		for (unsigned tc = 0; tc < want->priomap.num_tc; tc++)
			if (have->priomap.count[tc] != want->priomap.count[tc] ||
			    have->priomap.offset[tc] != want->priomap.offset[tc])
				sched_sl_add(out, "class %u has queues %u@%u, applied %u@%u", tc, have->priomap.count[tc],
				       have->priomap.offset[tc], want->priomap.count[tc], want->priomap.offset[tc]);
	}
	if (strcmp(want->kind, "mqprio") == 0)
		return;	/* the layout is all an mqprio root has */
	if (have->has_clockid != want->has_clockid || (want->has_clockid && have->clockid != want->clockid))
		sched_sl_add(out, "clockid is %s, applied %s", clock_text(have->has_clockid, have->clockid, a, sizeof(a)),
		       clock_text(want->has_clockid, want->clockid, b, sizeof(b)));
	if ((have->has_flags ? have->flags : 0) != want->flags)
		sched_sl_add(out, "flags are 0x%x, applied 0x%x", have->has_flags ? have->flags : 0, want->flags);
	if ((have->has_txtime_delay ? have->txtime_delay : 0) != (want->has_txtime_delay ? want->txtime_delay : 0))
		sched_sl_add(out, "txtime_delay_ns is %u, applied %u", have->has_txtime_delay ? have->txtime_delay : 0,
		       want->has_txtime_delay ? want->txtime_delay : 0);
	for (unsigned tc = 0; tc < want->priomap.num_tc; tc++) {
		uint32_t h = have->max_sdu_set & (1u << tc) ? have->max_sdu[tc] : 0;
		uint32_t w = want->max_sdu_set & (1u << tc) ? want->max_sdu[tc] : 0;
		if (h != w)
			sched_sl_add(out, "max_sdu of class %u is %u, applied %u", tc, h, w);
	}

	/* The newest schedule: the admin one until it takes over, then oper. */
	const struct taprio_sched *k = have->has_admin ? &have->admin : &have->oper, *w = &want->oper;
	if (!k->has_entries) {
		sched_sl_add(out, "the kernel's taprio has no schedule");
		return;
	}
	if (!ignore_base && k->base_time != w->base_time)
		sched_sl_add(out, "base_time_ns is %lld, applied %lld", (long long)k->base_time, (long long)w->base_time);
	if (sched_cycle(k) != sched_cycle(w))
		sched_sl_add(out, "cycle_time_ns is %lld, applied %lld", (long long)sched_cycle(k), (long long)sched_cycle(w));
	if (k->cycle_time_extension != (w->has_cycle_time_extension ? w->cycle_time_extension : 0))
		sched_sl_add(out, "cycle_time_extension_ns is %lld, applied %lld", (long long)k->cycle_time_extension,
		       (long long)(w->has_cycle_time_extension ? w->cycle_time_extension : 0));
	if (k->n_entries != w->n_entries) {
		sched_sl_add(out, "the list has %zu entries, applied %zu", k->n_entries, w->n_entries);
		return;
	}
	for (size_t i = 0; i < k->n_entries; i++) {
		const struct taprio_entry *x = &k->entries[i], *y = &w->entries[i];
		char c1[16], c2[16];
		if (x->cmd != y->cmd)
			sched_sl_add(out, "entry %zu: op is %s, applied %s", i, taprio_cmd_name(x->cmd, c1, sizeof(c1)),
			       taprio_cmd_name(y->cmd, c2, sizeof(c2)));
		if (x->gate_mask != y->gate_mask)
			sched_sl_add(out, "entry %zu: gates are %s, applied %s", i, tsn_format_class_set(x->gate_mask, a, sizeof(a)),
			       tsn_format_class_set(y->gate_mask, b, sizeof(b)));
		if (x->interval != y->interval)
			sched_sl_add(out, "entry %zu: interval_ns is %u, applied %u", i, x->interval, y->interval);
	}
}


/* ---- the cbs and etf children (docs/shapers.md) ---- */

/* The speed the shapers' credits are computed for: the configured one, else the
 * driver's (as schedule_validate checked them), else link-speed-default. */
static uint64_t port_bps(const struct tsn_cfg_port *cp)
{
	uint32_t mbps = cp->link_speed_mbps;

	if (!mbps) {
		struct ports *ports = ports_open();
		struct port_info info = { 0 };
		if (ports && ports_query_link(ports, cp->name, &info) == 0 && info.present)
			mbps = info.speed_mbps;
		ports_close(ports);
	}
	return (uint64_t)(mbps ? mbps : cp->link_speed_default_mbps) * 1000000;
}

int sched_desired_children(const struct tsn_cfg_port *cp, int ifindex, struct child_qdisc *out, size_t *n,
			   char *err, size_t errlen)
{
	const struct tsn_cfg_schedule *cs = &cp->schedule;
	struct tsn_cbs_params cbs[TSN_MAX_TC];
	struct tsn_etf_params etf[TSN_ETF_MAX];
	struct tsn_shaper_error e;
	int nc = 0, ne;

	*n = 0;
	if (cs->n_shapers) {
		nc = tsn_shaper_plan(cs, port_bps(cp), cbs, &e);
		if (nc < 0) {
			snprintf(err, errlen, "port %s: shapers: %s", cp->name, e.msg);
			return -1;
		}
	}
	ne = tsn_etf_plan(cs, etf);
	/* by queue: a class's queue has either a cbs or an etf (the config checks it) */
	for (uint32_t q = 0; q < TSN_ETF_MAX; q++) {
		for (int i = 0; i < nc; i++)
			if (cbs[i].queue == q)
				child_qdisc_from_cbs(&out[(*n)++], ifindex, TSND_TAPRIO_HANDLE, &cbs[i]);
		for (int i = 0; i < ne && *n < TSN_ETF_MAX; i++)
			if (etf[i].queue == q)
				child_qdisc_from_etf(&out[(*n)++], ifindex, TSND_TAPRIO_HANDLE, &etf[i]);
		if (*n >= TSN_ETF_MAX)
			break;
	}
	return 0;
}

void sched_diff_children(const struct child_qdisc *want, size_t n, const struct kroot *r, struct strlist *out)
{
	char h[16], d[256], e[128];

	for (size_t i = 0; i < n; i++) {
		const struct child_qdisc *w = &want[i];
		struct child_qdisc have;
		bool found = false;

		for (size_t k = 0; r && k < r->n_children && !found; k++) {
			const struct tcmsg *tcm = sched_tcm_of(r->children[k]);
			if (!tcm || tcm->tcm_parent != w->parent)
				continue;
			found = child_qdisc_parse(r->children[k], &have, e, sizeof(e)) == 0;
			if (!found)
				sched_sl_add(out, "%s under %s: unreadable (%s)", w->kind,
					     tc_handle_format(w->parent, h, sizeof(h)), e);
			else if (have.handle != w->handle || !child_qdisc_equal(w, &have)) {
				child_qdisc_diff(w, &have, d, sizeof(d));
				if (!d[0] && have.handle != w->handle)
					snprintf(d, sizeof(d), "handle %s", tc_handle_format(have.handle, e, sizeof(e)));
				sched_sl_add(out, "%s under %s: %s", w->kind, tc_handle_format(w->parent, h, sizeof(h)),
					     d);
			}
			if (!found)
				found = true;	/* reported */
		}
		if (!found)
			sched_sl_add(out, "%s under %s: gone", w->kind, tc_handle_format(w->parent, h, sizeof(h)));
	}
}
