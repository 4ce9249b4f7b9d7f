/* SPDX-License-Identifier: GPL-2.0-only */
/* routes.h — the configuration's IPv6 routes in the kernel FIB.
 *
 * tsnd installs each entry of `routes:` in the main table over rtnetlink
 * (libnl-route) with its own protocol number, TSN_RTPROT, so that it can tell
 * its routes from everyone else's: it only ever changes or deletes routes of
 * that protocol.  The XDP fast path forwards by the same FIB (bpf_fib_lookup),
 * so these routes steer both the kernel and the fast path. */
#ifndef TSND_ROUTES_H
#define TSND_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include <json.h>

#include "tsn/config.h"

#define TSN_RTPROT 201		/* "tsnd" in `ip route` (numeric: not in rt_protos) */

struct routes;

/* Open a route netlink socket in the current network namespace. */
struct routes *routes_open(char *err, size_t errlen);
/* Make tsnd's routes the configuration's: add the new, replace the changed,
 * delete those no longer configured.  All or nothing: on failure every change is
 * undone and err names the route (routes[i] and prefix) and the kernel's reason. */
int routes_apply(struct routes *r, const struct tsn_config *cfg, char *err, size_t errlen);
/* Delete every route of protocol TSN_RTPROT (if remove) and free. */
void routes_close(struct routes *r, bool remove);
/* {"routes":[{"prefix","via","dev","metric","installed":bool}],
 *  "unconfigured":[{"prefix","via","dev","metric"}]} — the configuration's routes
 * with what the kernel has now, and tsnd-protocol routes no longer configured. */
json_object *routes_json(struct routes *r, const struct tsn_config *cfg);

#endif
