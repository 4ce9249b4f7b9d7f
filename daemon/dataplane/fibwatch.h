/* SPDX-License-Identifier: GPL-2.0-only */
/* fibwatch.h — tell the fast path's FIB cache when the kernel's forwarding state
 * changes.
 *
 * Listens on rtnetlink to the groups whose events change what bpf_fib_lookup
 * answers: IPv6 routes, rules and next hops, neighbours, links, IPv6 addresses.
 * Every batch of events (and a lost one: ENOBUFS) calls `changed` once, from the
 * event loop.  docs/dataplane.md "FIB cache" states the window this leaves. */
#ifndef TSND_FIBWATCH_H
#define TSND_FIBWATCH_H

#include <stddef.h>

struct evloop;
struct fibwatch;

typedef void (*fibwatch_fn)(void *arg);

/* Subscribe in the current network namespace.  NULL with a reason in err. */
struct fibwatch *fibwatch_open(struct evloop *loop, fibwatch_fn changed, void *arg, char *err,
			       size_t errlen);
void fibwatch_close(struct fibwatch *w);

#endif
