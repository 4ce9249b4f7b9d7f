/* SPDX-License-Identifier: GPL-2.0-only */
/* fibwatch.c — rtnetlink events that invalidate the fast path's FIB cache.
 *
 * The cache (bpf/dataplane.bpf.c, fib_lookup) holds copies of bpf_fib_lookup
 * answers; any of these events may change an answer, and telling which entries
 * one touches would take the FIB's own logic.  So every event invalidates all of
 * them (a new generation: one map write), and the next frame of each flow looks
 * the FIB up again.  Events are read in batches: one invalidation per wakeup.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "evloop.h"
#include "fibwatch.h"
#include "nlio.h"
#include "tsn/log.h"

struct fibwatch {
	struct nlio_mon *mon;
	struct ev_io *io;
	fibwatch_fn changed;
	void *arg;
};

/* What bpf_fib_lookup reads for IPv6: routes (and their next-hop objects and
 * rules), the egress device (up, MTU, MAC), the neighbour table, and the local
 * addresses (a local destination is not forwarded). */
static const unsigned groups[] = {
	RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV6_RULE, RTNLGRP_NEXTHOP, RTNLGRP_NEIGH,
	RTNLGRP_LINK,	    RTNLGRP_IPV6_IFADDR,
};

static void on_readable(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct fibwatch *w = arg;
	bool lost;

	(void)loop;
	(void)fd;
	(void)events;
	/* Every event counts alike: no need to look inside. */
	size_t n = nlio_mon_drain(w->mon, NULL, NULL, &lost);
	if (lost)
		log_debug("fibwatch: netlink overrun; invalidating the FIB cache");
	if (n || lost)
		w->changed(w->arg);
}

struct fibwatch *fibwatch_open(struct evloop *loop, fibwatch_fn changed, void *arg, char *err,
			       size_t errlen)
{
	struct fibwatch *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->changed = changed;
	w->arg = arg;
	w->mon = nlio_mon_open(groups, sizeof(groups) / sizeof(groups[0]), err, errlen);
	if (!w->mon)
		goto fail;
	w->io = evloop_io_add(loop, nlio_mon_fd(w->mon), EPOLLIN, on_readable, w);
	if (!w->io) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		goto fail;
	}
	return w;
fail:
	nlio_mon_close(w->mon);
	free(w);
	return NULL;
}

void fibwatch_close(struct fibwatch *w)
{
	if (!w)
		return;
	evloop_io_del(w->io);
	nlio_mon_close(w->mon);
	free(w);
}
