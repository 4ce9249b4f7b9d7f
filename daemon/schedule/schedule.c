/* SPDX-License-Identifier: GPL-2.0-only */
/* schedule.c — the gate-schedule subsystem's life cycle, its per-port states
 * and the helpers the schedule_*.c files share (schedule.h, schedule_int.h). */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>


#include "evloop.h"
#include "nlio.h"
#include "schedule_int.h"
#include "tsn/log.h"
#include "tsn/units.h"

/* ---- small helpers ---- */

void sched_sl_add(struct strlist *l, const char *fmt, ...)
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

void sched_sl_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* "a; b; c (and 3 more)" */
void sched_sl_join(const struct strlist *l, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "; " : "", l->v[i]);
	if (l->total > l->n && used < len)
		snprintf(buf + used, len - used, " (and %zu more)", l->total - l->n);
}

bool sched_sl_equal(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n || a->total != b->total)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

const char *sched_dur(uint64_t ns, char *buf, size_t len)
{
	return tsn_format_duration(ns, buf, len);
}

int sched_clock_id(int clock)
{
	switch (clock) {
	case TSN_CLOCK_REALTIME: return CLOCK_REALTIME;
	case TSN_CLOCK_MONOTONIC: return CLOCK_MONOTONIC;
	case TSN_CLOCK_BOOTTIME: return CLOCK_BOOTTIME;
	default: return CLOCK_TAI;
	}
}

const char *const sched_state_names[] = { "applied", "held", "drift", "error", "unreadable" };


int sched_read_clock(int clock, int64_t *now)
{
	struct timespec ts;

	if (clock_gettime(sched_clock_id(clock), &ts) < 0)
		return -errno;
	*now = (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
	return 0;
}

uint64_t sched_intervals_sum(const struct tsn_cfg_schedule *s)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < s->n_entries; i++)
		sum += s->entries[i].interval_ns;
	return sum;
}

uint64_t sched_effective_cycle(const struct tsn_cfg_schedule *s)
{
	return s->cycle_time_ns ? s->cycle_time_ns : sched_intervals_sum(s);
}

/* Nanoseconds to send `bytes` at `mbps` Mbit/s, rounded up. */
uint64_t sched_wire_ns(uint64_t bytes, uint32_t mbps)
{
	return (bytes * 8000 + mbps - 1) / mbps;
}

bool sched_is_held(const struct schedules *s, const struct tsn_cfg_port *cp)
{
	return cp->schedule.require_sync && !(s->sync && s->sync(s->sync_arg, cp->name));
}


/* ---- port state ---- */

void sched_port_clear(struct sched_port *p)
{
	taprio_qdisc_clear(&p->expected);
	sched_sl_free(&p->drift);
	if (p->before) {
		sched_snapshot_free(p->before);
		free(p->before);
		p->before = NULL;
	}
}

void sched_ports_free(struct sched_port *ports, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sched_port_clear(&ports[i]);
	free(ports);
}

struct sched_port *sched_find_port(struct sched_port *ports, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ports[i].name, name) == 0)
			return &ports[i];
	return NULL;
}

/* next becomes a deep copy of prev: the running state stays intact until commit. */
int sched_port_copy(struct sched_port *next, const struct sched_port *prev)
{
	*next = *prev;
	memset(&next->expected, 0, sizeof(next->expected));
	memset(&next->drift, 0, sizeof(next->drift));
	next->before = NULL;
	if (prev->before && !(next->before = sched_snapshot_dup(prev->before)))
		return -ENOMEM;
	if (prev->tracked && taprio_qdisc_copy(&next->expected, &prev->expected) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < prev->drift.n; i++)
		sched_sl_add(&next->drift, "%s", prev->drift.v[i]);
	next->drift.total = prev->drift.total;
	return 0;
}

/* `expected` becomes a copy of want (whose entries are borrowed). */
int sched_port_track(struct sched_port *p, const struct taprio_qdisc *want)
{
	taprio_qdisc_clear(&p->expected);
	if (taprio_qdisc_copy(&p->expected, want) < 0)
		return -ENOMEM;
	p->tracked = true;
	p->state = SCHED_APPLIED;
	p->message[0] = '\0';
	sched_sl_free(&p->drift);
	p->drift_logged = false;
	return 0;
}

/* Compare a tracked port with its root; update state; log once per episode. */
void sched_port_check(struct sched_port *p, const struct kroot *r)
{
	struct taprio_qdisc have;
	struct strlist diffs = { 0 };
	char text[1024];

	if (!p->tracked || (p->state != SCHED_APPLIED && p->state != SCHED_DRIFT && p->state != SCHED_UNREAD))
		return;
	if (p->state == SCHED_UNREAD)
		p->state = SCHED_APPLIED;	/* listed again: compare */
	kroot_decode(r, &have);
	sched_diff_taprio(&p->expected, &have, false, &diffs);
	taprio_qdisc_clear(&have);
	sched_diff_children(p->children, p->n_children, r, &diffs);
	if (!diffs.total) {
		if (p->state == SCHED_DRIFT)
			log_notice("schedule: port %s: the kernel's %s matches the applied schedule again", p->name,
				   p->expected.kind);
		p->state = SCHED_APPLIED;
		p->message[0] = '\0';
		sched_sl_free(&p->drift);
		sched_sl_free(&diffs);
		p->drift_logged = false;
		return;
	}
	p->state = SCHED_DRIFT;
	snprintf(p->message, sizeof(p->message), "the kernel's %s differs from the applied schedule (%zu "
		 "difference%s); a reload or restart applies it again", p->expected.kind, diffs.total,
		 diffs.total == 1 ? "" : "s");
	if (!p->drift_logged || !sched_sl_equal(&diffs, &p->drift)) {
		sched_sl_join(&diffs, text, sizeof(text));
		if (!p->drift_logged)
			log_warn("schedule: port %s drifted from the schedule tsnd applied: %s", p->name, text);
		else
			log_debug("schedule: port %s: drift now: %s", p->name, text);
		p->drift_logged = true;
	}
	sched_sl_free(&p->drift);
	p->drift = diffs;
}

/* ---- life cycle ---- */

struct schedules *schedules_new(struct evloop *loop, char *err, size_t errlen)
{
	struct schedules *s = calloc(1, sizeof(*s));

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
	/* RTNLGRP_LINK: a scheduled port whose link comes back needs its schedule
	 * re-installed (docs/schedules.md, link flaps). */
	static const unsigned tc_group[] = { RTNLGRP_TC, RTNLGRP_LINK };
	char why[160];
	s->mon = nlio_mon_open(tc_group, 2, why, sizeof(why));
	if (!s->mon) {
		snprintf(err, errlen, "cannot subscribe to traffic-control notifications: %s", why);
		goto fail;
	}
	s->mon_io = evloop_io_add(loop, nlio_mon_fd(s->mon), EPOLLIN, sched_on_monitor, s);
	s->poll = evloop_timer_new(loop, sched_on_poll, s);
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
	if (applied)	/* schedules_release() untracks what it removed */
		log_info("schedule: leaving %zu taprio schedule%s in place", applied, applied == 1 ? "" : "s");
	if (s->mon_io)
		evloop_io_del(s->mon_io);
	if (s->poll)
		evloop_timer_free(s->poll);
	nlio_mon_close(s->mon);
	nlio_close(s->nl);
	sched_ports_free(s->ports, s->n_ports);
	free(s);
}


void sched_port_check_in(struct sched_port *p, struct kview *kv)
{
	if (!p->tracked || (p->state != SCHED_APPLIED && p->state != SCHED_DRIFT && p->state != SCHED_UNREAD))
		return;
	if (!kview_unread(kv, p->ifindex)) {
		sched_port_check(p, kview_root(kv, p->ifindex));
		return;
	}
	if (p->state != SCHED_UNREAD)
		log_err("schedule: port %s: cannot read its qdisc back: the kernel's qdisc dump ended before it "
			"(a qdisc on it or on a device dumped earlier is longer than a dump message)", p->name);
	p->state = SCHED_UNREAD;
	snprintf(p->message, sizeof(p->message), "cannot read back: the kernel's qdisc dump ended before this "
		 "port (a qdisc on it or on a device dumped earlier is longer than the %u bytes of a dump message)",
		 QDISC_DUMP_MSG_MAX);
}
