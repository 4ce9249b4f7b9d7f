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
#include <sys/socket.h>
#include <unistd.h>

#include "evloop.h"
#include "fibwatch.h"
#include "tsn/log.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct fibwatch {
	int fd;
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
	char buf[16384];
	bool any = false;
	ssize_t n;

	(void)loop;
	(void)events;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			any = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			/* Events were lost: some change went unseen. */
			log_debug("fibwatch: netlink overrun; invalidating the FIB cache");
			any = true;
			continue;
		}
		break;	/* EAGAIN, or an error: nothing more to read now */
	}
	if (any)
		w->changed(w->arg);
}

struct fibwatch *fibwatch_open(struct evloop *loop, fibwatch_fn changed, void *arg, char *err,
			       size_t errlen)
{
	struct fibwatch *w = calloc(1, sizeof(*w));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int rcvbuf = 1 << 20;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->changed = changed;
	w->arg = arg;
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (w->fd < 0 || bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "route netlink socket: %s", strerror(errno));
		goto fail;
	}
	/* A bigger buffer makes overruns rarer; an overrun only costs a flush. */
	setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (setsockopt(w->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i],
			       sizeof(groups[i])) < 0) {
			snprintf(err, errlen, "route netlink group %u: %s", groups[i], strerror(errno));
			goto fail;
		}
	w->io = evloop_io_add(loop, w->fd, EPOLLIN, on_readable, w);
	if (!w->io) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		goto fail;
	}
	return w;
fail:
	if (w->fd >= 0)
		close(w->fd);
	free(w);
	return NULL;
}

void fibwatch_close(struct fibwatch *w)
{
	if (!w)
		return;
	evloop_io_del(w->io);
	close(w->fd);
	free(w);
}
