/* SPDX-License-Identifier: GPL-2.0-only */
/* schedule_watch.c — read back and drift: compare the kernel's taprio with
 * what tsnd applied, on RTNLGRP_TC notifications and, for lists too long to be
 * notified, on a timer (schedule_watch.h). */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evloop.h"
#include "nlio.h"
#include "schedule_int.h"
#include "tsn/log.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000	/* linux/if.h: carrier (RFC 2863 operational) */
#endif

/* ---- read back and drift ---- */

void sched_refresh_with(struct schedules *s, struct kview *kv)
{
	for (size_t i = 0; i < s->n_ports; i++)
		sched_port_check_in(&s->ports[i], kv);
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
	sched_refresh_with(s, &kv);
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
struct mon_ctx {
	struct schedules *s;
	uint32_t self;
	bool dirty, recover;
};

/* RTM_NEWLINK of a tracked port: Linux 6.1's software taprio cancels its gate
 * timer when the device is deactivated (link or carrier down) and does not
 * start it again when the link comes back, so the gates freeze.  A port whose
 * link is back up (admin up and carrier) is marked for re-installation. */
static void on_link_message(struct mon_ctx *c, const struct nlmsghdr *h)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return;
	bool up = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_LOWER_UP);
	for (size_t i = 0; i < c->s->n_ports; i++) {
		struct sched_port *p = &c->s->ports[i];
		if (!p->tracked || p->ifindex != ifi->ifi_index)
			continue;
		if (p->link_known && up != p->link_up) {
			log_info("schedule: port %s: link %s", p->name, up ? "up again" : "down");
			if (up) {
				p->recover = true;
				c->recover = true;
			}
		}
		p->link_known = true;
		p->link_up = up;
	}
}

static int on_tc_message(const struct nlmsghdr *h, void *arg)
{
	struct mon_ctx *c = arg;

	if (h->nlmsg_type == RTM_NEWLINK) {
		on_link_message(c, h);
		return 0;
	}

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)))
		return 0;
	if (h->nlmsg_type != RTM_NEWQDISC && h->nlmsg_type != RTM_DELQDISC &&
	    h->nlmsg_type != RTM_NEWTCLASS && h->nlmsg_type != RTM_DELTCLASS)
		return 0;
	if (h->nlmsg_pid == c->self && c->self != 0 && !c->s->recheck)
		return 0;
	c->dirty |= tracks_ifindex(c->s, sched_tcm_of(h)->tcm_ifindex);
	return 0;
}

void sched_on_monitor(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct schedules *s = arg;
	struct mon_ctx c = { s, nlio_port(s->nl), false, false };
	bool lost;

	(void)loop;
	(void)fd;
	(void)events;
	nlio_mon_drain(s->mon, on_tc_message, &c, &lost);
	bool dirty = c.dirty || lost;	/* notifications were lost, so look */
	if (c.recover)
		sched_recover_links(s);
	if (dirty) {
		s->recheck = false;
		schedules_refresh(s);
	}
}

void sched_on_poll(struct evloop *loop, void *arg)
{
	struct schedules *s = arg;

	(void)loop;
	schedules_refresh(s);
	sched_poll_update(s);
}

/* The kernel cannot notify about a taprio whose list does not fit one page, so
 * such schedules are compared every POLL_INTERVAL_NS as well. */
void sched_poll_update(struct schedules *s)
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

