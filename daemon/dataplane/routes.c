/* SPDX-License-Identifier: GPL-2.0-only */
/* routes.c — install the configuration's IPv6 routes over rtnetlink, all or
 * nothing.
 *
 * A route's identity is (prefix, metric) in the main table; its attributes are the
 * next hop and the device.  routes_apply compares what the kernel has (routes of
 * protocol TSN_RTPROT) with the configuration and journals every change: a route
 * added, replaced (NLM_F_REPLACE) or deleted.  New and changed routes go in
 * before stale ones go out, so a prefix that moves is never unreachable in
 * between.  On failure the journal is played back in reverse.
 *
 * libnl builds and reads the route messages; nlio sends them and reads the
 * kernel's extended ack text ("Nexthop has invalid gateway", ...), quoted in
 * errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/msg.h>
#include <netlink/route/route.h>

#include "nlio.h"
#include "routes.h"
#include "tsn/log.h"

struct routes {
	struct nlio *nl;
	char extack[256];	/* the kernel's message for the last failed request */
	bool none_installed;	/* the last apply succeeded with no route configured */
};

/* One route as tsnd sees it. */
struct route6 {
	struct in6_addr dst;
	uint32_t plen;
	uint32_t metric;
	bool has_gw;
	struct in6_addr gw;
	int ifindex;
};

enum change_kind { ADDED, REPLACED, DELETED };

struct change {
	enum change_kind kind;
	struct route6 now;	/* ADDED, REPLACED: what we put in */
	struct route6 before;	/* REPLACED, DELETED: what was there */
};

/* ---- netlink ---- */

struct routes *routes_open(char *err, size_t errlen)
{
	struct routes *r = calloc(1, sizeof(*r));
	char why[160];

	if (!r) {
		snprintf(err, errlen, "routes: out of memory");
		return NULL;
	}
	r->nl = nlio_open(why, sizeof(why));
	if (!r->nl) {
		snprintf(err, errlen, "routes: %s", why);
		free(r);
		return NULL;
	}
	return r;
}

static struct rtnl_route *to_rtnl(const struct route6 *rt)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = nl_addr_build(AF_INET6, &rt->dst, sizeof(rt->dst));

	if (!route || !nh || !dst) {
		rtnl_route_put(route);
		rtnl_route_nh_free(nh);
		nl_addr_put(dst);
		return NULL;
	}
	nl_addr_set_prefixlen(dst, (int)rt->plen);
	rtnl_route_set_family(route, AF_INET6);
	rtnl_route_set_dst(route, dst);
	nl_addr_put(dst);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_protocol(route, TSN_RTPROT);
	rtnl_route_set_priority(route, rt->metric);
	rtnl_route_set_type(route, RTN_UNICAST);
	rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
	rtnl_route_nh_set_ifindex(nh, rt->ifindex);
	if (rt->has_gw) {
		struct nl_addr *gw = nl_addr_build(AF_INET6, &rt->gw, sizeof(rt->gw));

		if (gw) {
			rtnl_route_nh_set_gateway(nh, gw);
			nl_addr_put(gw);
		}
	}
	rtnl_route_add_nexthop(route, nh);
	return route;
}

/* NLM_F_EXCL (add), NLM_F_REPLACE, or -1 for delete.  0 or a negative errno
 * (the kernel's text, if any, in r->extack). */
static int route_request(struct routes *r, const struct route6 *rt, int flags)
{
	struct rtnl_route *route = to_rtnl(rt);
	struct nl_msg *msg = NULL;
	int rc;

	r->extack[0] = '\0';
	if (!route)
		return -ENOMEM;
	if (flags < 0)
		rc = rtnl_route_build_del_request(route, 0, &msg);
	else
		rc = rtnl_route_build_add_request(route, flags, &msg);
	rtnl_route_put(route);
	if (rc < 0)
		return nlio_errno(rc);
	rc = nlio_request(r->nl, msg, r->extack, sizeof(r->extack));
	nlmsg_free(msg);
	if (rc == 0)
		r->extack[0] = '\0';	/* a warning on success is not a reason */
	return rc;
}

static bool same_key(const struct route6 *a, const struct route6 *b)
{
	return a->plen == b->plen && a->metric == b->metric &&
	       memcmp(&a->dst, &b->dst, sizeof(a->dst)) == 0;
}

static bool same_attrs(const struct route6 *a, const struct route6 *b)
{
	return a->ifindex == b->ifindex && a->has_gw == b->has_gw &&
	       (!a->has_gw || memcmp(&a->gw, &b->gw, sizeof(a->gw)) == 0);
}

struct route_list {
	struct route6 *list;
	size_t n;
};

/* One RTM_NEWROUTE of the dump: kept if it is tsnd's, in the main table. */
static int collect_route(const struct nlmsghdr *nlh, void *arg)
{
	struct route_list *l = arg;
	struct rtnl_route *route = NULL;

	if (rtnl_route_parse((struct nlmsghdr *)nlh, &route) < 0)
		return 0;	/* not a route libnl can read: not one of tsnd's */
	struct nl_addr *dst = rtnl_route_get_dst(route);
	int rc = 0;

	if (rtnl_route_get_protocol(route) == TSN_RTPROT && rtnl_route_get_table(route) == RT_TABLE_MAIN &&
	    dst && nl_addr_get_family(dst) == AF_INET6 && rtnl_route_get_nnexthops(route) >= 1) {
		struct route6 *grown = realloc(l->list, (l->n + 1) * sizeof(*l->list));

		if (!grown) {
			rc = -ENOMEM;
		} else {
			struct route6 *rt = &grown[l->n++];
			struct rtnl_nexthop *nh = rtnl_route_nexthop_n(route, 0);
			struct nl_addr *gw = rtnl_route_nh_get_gateway(nh);

			l->list = grown;
			memset(rt, 0, sizeof(*rt));
			if (nl_addr_get_len(dst) == sizeof(rt->dst))
				memcpy(&rt->dst, nl_addr_get_binary_addr(dst), sizeof(rt->dst));
			rt->plen = (uint32_t)nl_addr_get_prefixlen(dst);
			rt->metric = rtnl_route_get_priority(route);
			rt->ifindex = rtnl_route_nh_get_ifindex(nh);
			if (gw && nl_addr_get_len(gw) == sizeof(rt->gw)) {
				rt->has_gw = true;
				memcpy(&rt->gw, nl_addr_get_binary_addr(gw), sizeof(rt->gw));
			}
		}
	}
	rtnl_route_put(route);
	return rc;
}

/* tsnd's routes as the kernel has them now. */
static int installed_routes(struct routes *r, struct route6 **out, size_t *count)
{
	struct rtmsg rtm = { .rtm_family = AF_INET6 };
	struct route_list l = { NULL, 0 };
	char ext[128];
	int rc = nlio_dump(r->nl, RTM_GETROUTE, &rtm, sizeof(rtm), RTM_NEWROUTE, collect_route, &l, ext,
			   sizeof(ext));

	*out = NULL;
	*count = 0;
	if (rc < 0) {
		free(l.list);
		return rc;
	}
	*out = l.list;
	*count = l.n;
	return 0;
}

static void route_text(const struct route6 *rt, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &rt->dst, a, sizeof(a));
	snprintf(buf, len, "%s/%u metric %u", a, rt->plen, rt->metric);
}

static void undo(struct routes *r, const struct change *c)
{
	char what[96];
	int rc = 0;

	switch (c->kind) {
	case ADDED: rc = route_request(r, &c->now, -1); break;
	case REPLACED: rc = route_request(r, &c->before, NLM_F_REPLACE); break;
	case DELETED: rc = route_request(r, &c->before, NLM_F_EXCL); break;
	}
	if (rc < 0) {
		route_text(c->kind == ADDED ? &c->now : &c->before, what, sizeof(what));
		log_err("routes: rollback: cannot restore %s: %s", what, strerror(-rc));
	}
}

int routes_apply(struct routes *r, const struct tsn_config *cfg, char *err, size_t errlen)
{
	/* Nothing configured, and the last apply left none of tsnd's routes: the
	 * kernel's table need not be read again (the first apply always reads it,
	 * so routes a previous tsnd left behind are removed). */
	if (cfg->n_routes == 0 && r->none_installed)
		return 0;
	r->none_installed = false;

	struct route6 *have = NULL, *want = calloc(cfg->n_routes ? cfg->n_routes : 1, sizeof(*want));
	struct change *journal = NULL;
	size_t n_have = 0, n_journal = 0;
	char what[96], detail[300];
	int rc;

	if (!want) {
		snprintf(err, errlen, "routes: out of memory");
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct tsn_cfg_route *c = &cfg->routes[i];

		want[i].dst = c->prefix.addr;
		want[i].plen = c->prefix.len;
		want[i].metric = c->metric;
		want[i].has_gw = c->has_via;
		want[i].gw = c->via;
		want[i].ifindex = (int)if_nametoindex(c->dev);
		if (!want[i].ifindex) {
			route_text(&want[i], what, sizeof(what));
			snprintf(err, errlen, "routes[%zu] (%s): dev %s: no such network interface",
				 i, what, c->dev);
			rc = -ENODEV;
			goto out;
		}
	}
	rc = installed_routes(r, &have, &n_have);
	if (rc < 0) {
		snprintf(err, errlen, "routes: cannot read the kernel's routes: %s", strerror(-rc));
		goto out;
	}
	/* At most one change per configured route and one per installed route. */
	journal = calloc(cfg->n_routes + n_have + 1, sizeof(*journal));
	if (!journal) {
		snprintf(err, errlen, "routes: out of memory");
		rc = -ENOMEM;
		goto out;
	}
	/* Adds and replacements first, deletions last. */
	for (size_t i = 0; i < cfg->n_routes && rc == 0; i++) {
		const struct route6 *old = NULL;
		struct change *c;

		for (size_t k = 0; k < n_have && !old; k++)
			if (same_key(&have[k], &want[i]))
				old = &have[k];
		if (old && same_attrs(old, &want[i]))
			continue;
		rc = route_request(r, &want[i], old ? NLM_F_REPLACE : NLM_F_EXCL);
		if (rc < 0) {
			route_text(&want[i], what, sizeof(what));
			if (r->extack[0])
				snprintf(detail, sizeof(detail), " (kernel: %s)", r->extack);
			else
				detail[0] = '\0';
			snprintf(err, errlen, "routes[%zu] (%s via %s): cannot %s it: %s%s%s", i, what,
				 cfg->routes[i].dev, old ? "replace" : "add", strerror(-rc), detail,
				 rc == -EEXIST ? "; another route with this prefix and metric exists "
				 "(not tsnd's)" : "");
			break;
		}
		c = &journal[n_journal++];
		c->kind = old ? REPLACED : ADDED;
		c->now = want[i];
		if (old)
			c->before = *old;
	}
	for (size_t k = 0; k < n_have && rc == 0; k++) {
		bool wanted = false;

		for (size_t i = 0; i < cfg->n_routes && !wanted; i++)
			wanted = same_key(&have[k], &want[i]);
		if (wanted)
			continue;
		rc = route_request(r, &have[k], -1);
		if (rc == -ESRCH) {	/* gone already: that is the wanted state */
			rc = 0;
			continue;
		}
		if (rc < 0) {
			route_text(&have[k], what, sizeof(what));
			snprintf(err, errlen, "routes: cannot delete %s, which is no longer "
				 "configured: %s", what, strerror(-rc));
			break;
		}
		journal[n_journal].kind = DELETED;
		journal[n_journal++].before = have[k];
	}
	if (rc < 0) {
		log_err("routes: %s; undoing %zu change(s)", err, n_journal);
		while (n_journal-- > 0)
			undo(r, &journal[n_journal]);
	} else {
		if (n_journal)
			log_info("routes: %zu change(s) applied, %zu route(s) configured", n_journal,
				 cfg->n_routes);
		r->none_installed = cfg->n_routes == 0;
	}
out:
	free(have);
	free(want);
	free(journal);
	return rc;
}

void routes_close(struct routes *r, bool remove)
{
	struct route6 *have = NULL;
	size_t n = 0;

	if (!r)
		return;
	if (remove && installed_routes(r, &have, &n) == 0)
		for (size_t i = 0; i < n; i++) {
			char what[96];
			int rc = route_request(r, &have[i], -1);

			if (rc < 0 && rc != -ESRCH) {
				route_text(&have[i], what, sizeof(what));
				log_err("routes: cannot delete %s: %s", what, strerror(-rc));
			}
		}
	free(have);
	nlio_close(r->nl);
	free(r);
}

static json_object *route_json(const struct in6_addr *dst, uint32_t plen, const struct in6_addr *gw,
			       const char *dev, uint32_t metric)
{
	json_object *o = json_object_new_object();
	char a[INET6_ADDRSTRLEN], prefix[INET6_ADDRSTRLEN + 8];

	inet_ntop(AF_INET6, dst, a, sizeof(a));
	snprintf(prefix, sizeof(prefix), "%s/%u", a, plen);
	json_object_object_add(o, "prefix", json_object_new_string(prefix));
	json_object_object_add(o, "via", gw ? json_object_new_string(inet_ntop(AF_INET6, gw, a,
									  sizeof(a))) : NULL);
	json_object_object_add(o, "dev", json_object_new_string(dev));
	json_object_object_add(o, "metric", json_object_new_int64(metric));
	return o;
}

json_object *routes_json(struct routes *r, const struct tsn_config *cfg)
{
	json_object *out = json_object_new_object(), *arr = json_object_new_array();
	json_object *extra = json_object_new_array();
	struct route6 *have = NULL;
	size_t n_have = 0;
	bool known = r && installed_routes(r, &have, &n_have) == 0;

	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct tsn_cfg_route *c = &cfg->routes[i];
		struct route6 w = { .dst = c->prefix.addr, .plen = c->prefix.len, .metric = c->metric,
				    .has_gw = c->has_via, .gw = c->via,
				    .ifindex = (int)if_nametoindex(c->dev) };
		json_object *o = route_json(&c->prefix.addr, c->prefix.len,
					    c->has_via ? &c->via : NULL, c->dev, c->metric);
		bool installed = false;

		for (size_t k = 0; k < n_have && !installed; k++)
			installed = same_key(&have[k], &w) && same_attrs(&have[k], &w);
		json_object_object_add(o, "installed", known ? json_object_new_boolean(installed)
							     : NULL);
		json_object_array_add(arr, o);
	}
	for (size_t k = 0; k < n_have; k++) {
		bool configured = false;
		char dev[IFNAMSIZ] = "";

		for (size_t i = 0; i < cfg->n_routes && !configured; i++) {
			struct route6 w = { .dst = cfg->routes[i].prefix.addr,
					    .plen = cfg->routes[i].prefix.len,
					    .metric = cfg->routes[i].metric };
			configured = same_key(&have[k], &w);
		}
		if (configured)
			continue;
		if (!if_indextoname((unsigned)have[k].ifindex, dev))
			snprintf(dev, sizeof(dev), "if%d", have[k].ifindex);
		json_object_array_add(extra, route_json(&have[k].dst, have[k].plen,
							have[k].has_gw ? &have[k].gw : NULL, dev,
							have[k].metric));
	}
	free(have);
	json_object_object_add(out, "routes", arr);
	json_object_object_add(out, "unconfigured", extra);
	return out;
}
