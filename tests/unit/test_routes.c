/* SPDX-License-Identifier: GPL-2.0-only */
/* test_routes.c — daemon/dataplane/routes.c against the kernel FIB of a network namespace of
 * the test's own: routes added, replaced and deleted as the configuration says,
 * every step undone when the kernel refuses a later one, only routes of tsnd's
 * protocol ever touched.  The oracle is `ip -j -6 route`.  Needs root. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "routes.h"
#include "test_util.h"
#include "tsn/log.h"

static struct routes *rt;

/* Configuration routes: "PREFIX/LEN[,via][,metric]" on dev rp0. */
static struct tsn_config *make_cfg(int n, ...)
{
	struct tsn_config *cfg = calloc(1, sizeof(*cfg));
	va_list ap;

	cfg->routes = calloc((size_t)(n ? n : 1), sizeof(*cfg->routes));
	cfg->n_routes = (size_t)n;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		struct tsn_cfg_route *r = &cfg->routes[i];
		char spec[128], *slash, *via, *metric;

		snprintf(spec, sizeof(spec), "%s", va_arg(ap, const char *));
		via = strchr(spec, ',');
		if (via)
			*via++ = '\0';
		metric = via ? strchr(via, ',') : NULL;
		if (metric)
			*metric++ = '\0';
		slash = strchr(spec, '/');
		*slash = '\0';
		inet_pton(AF_INET6, spec, &r->prefix.addr);
		r->prefix.len = (uint32_t)atoi(slash + 1);
		if (via && via[0]) {
			r->has_via = true;
			inet_pton(AF_INET6, via, &r->via);
		}
		r->metric = metric ? (uint32_t)atoi(metric) : 1024;
		snprintf(r->dev, sizeof(r->dev), "rp0");
	}
	va_end(ap);
	return cfg;
}

static int apply(struct tsn_config *cfg, char *err, size_t errlen)
{
	int rc = routes_apply(rt, cfg, err, errlen);

	free(cfg->routes);
	free(cfg);
	return rc;
}

/* The kernel's routes of protocol 201 as "dst gateway metric" lines, sorted. */
static void kernel_routes(char *buf, size_t len)
{
	FILE *p = popen("ip -6 route show proto 201 | sed 's/ pref medium//; s/ proto 201//' | "
			"sort", "r");
	size_t n = p ? fread(buf, 1, len - 1, p) : 0;

	buf[n] = '\0';
	if (p)
		pclose(p);
}

static int suite_init(void)
{
	char err[256];

	tsn_log_setup("test_routes", TSN_LOG_STDERR, getenv("TSN_TEST_DEBUG") ? TSN_LOG_DEBUG : TSN_LOG_ERR);
	if (tu_netns_enter() < 0 ||
	    tu_sh("ip link add rp0 type veth peer name rp1 && ip link set rp0 up && ip link set rp1 up && "
		  "ip -6 addr add 2001:db8:1::1/64 dev rp0 nodad"))
		return -1;
	rt = routes_open(err, sizeof(err));
	if (!rt)
		fprintf(stderr, "routes_open: %s\n", err);
	return rt ? 0 : -1;
}

static int suite_cleanup(void)
{
	routes_close(rt, true);
	tu_netns_leave();
	return 0;
}

static void test_add_replace_delete(void)
{
	char err[512], k[2048];

	CU_ASSERT_EQUAL_FATAL(apply(make_cfg(2, "2001:db8:a::/64,2001:db8:1::2", "2001:db8:b::/64"),
				    err, sizeof(err)), 0);
	kernel_routes(k, sizeof(k));
	CU_ASSERT_PTR_NOT_NULL(strstr(k, "2001:db8:a::/64 via 2001:db8:1::2 dev rp0 metric 1024"));
	CU_ASSERT_PTR_NOT_NULL(strstr(k, "2001:db8:b::/64 dev rp0 metric 1024"));
	/* The same again: nothing to do. */
	CU_ASSERT_EQUAL(apply(make_cfg(2, "2001:db8:a::/64,2001:db8:1::2", "2001:db8:b::/64"),
			      err, sizeof(err)), 0);
	/* New next hop (replaced in place), b gone, c new. */
	CU_ASSERT_EQUAL(apply(make_cfg(2, "2001:db8:a::/64,2001:db8:1::3", "2001:db8:c::/64,,7"),
			      err, sizeof(err)), 0);
	kernel_routes(k, sizeof(k));
	CU_ASSERT_PTR_NOT_NULL(strstr(k, "2001:db8:a::/64 via 2001:db8:1::3 dev rp0 metric 1024"));
	CU_ASSERT_PTR_NULL(strstr(k, "2001:db8:1::2"));
	CU_ASSERT_PTR_NULL(strstr(k, "2001:db8:b::"));
	CU_ASSERT_PTR_NOT_NULL(strstr(k, "2001:db8:c::/64 dev rp0 metric 7"));
	CU_ASSERT_EQUAL(apply(make_cfg(0), err, sizeof(err)), 0);
	kernel_routes(k, sizeof(k));
	CU_ASSERT_STRING_EQUAL(k, "");
}

/* The kernel refuses the last change: every change before it is undone. */
static void test_refusal_rolls_back(void)
{
	char err[512], before[2048], after[2048];

	CU_ASSERT_EQUAL_FATAL(apply(make_cfg(2, "2001:db8:a::/64,2001:db8:1::2", "2001:db8:b::/64"),
				    err, sizeof(err)), 0);
	kernel_routes(before, sizeof(before));
	/* a replaced, b deleted, c added, then d refused (its gateway is local). */
	CU_ASSERT_NOT_EQUAL(apply(make_cfg(3, "2001:db8:a::/64,2001:db8:1::9", "2001:db8:c::/64",
					   "2001:db8:d::/64,2001:db8:1::1"), err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "routes[2] (2001:db8:d::/64"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "kernel: "));
	kernel_routes(after, sizeof(after));
	CU_ASSERT_STRING_EQUAL(after, before);
	CU_ASSERT_EQUAL(apply(make_cfg(0), err, sizeof(err)), 0);
}

/* Routes of other protocols: never deleted, never replaced. */
static void test_foreign_routes_untouched(void)
{
	char err[512], k[2048];

	CU_ASSERT_EQUAL_FATAL(tu_sh("ip -6 route add 2001:db8:e::/64 via 2001:db8:1::4 metric 1024 proto static"), 0);
	CU_ASSERT_NOT_EQUAL(apply(make_cfg(1, "2001:db8:e::/64,2001:db8:1::5"), err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not tsnd's"));
	/* The same prefix with another metric is another route: fine. */
	CU_ASSERT_EQUAL(apply(make_cfg(1, "2001:db8:e::/64,2001:db8:1::5,2000"), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(apply(make_cfg(0), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(tu_sh("ip -6 route show 2001:db8:e::/64 proto static | grep -q 'via 2001:db8:1::4'"), 0);
	kernel_routes(k, sizeof(k));
	CU_ASSERT_STRING_EQUAL(k, "");
	tu_sh("ip -6 route del 2001:db8:e::/64 proto static");
}

/* A route of tsnd's protocol that a previous tsnd left behind: the first apply of a
 * new handle removes it, even with no route configured (later applies with none
 * configured skip reading the kernel's table). */
static void test_leftovers_removed_at_first_apply(void)
{
	char err[512], k[2048];

	CU_ASSERT_EQUAL_FATAL(tu_sh("ip -6 route add 2001:db8:f::/64 dev rp0 metric 1024 proto 201"), 0);
	struct routes *fresh = routes_open(err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(fresh);
	struct tsn_config *cfg = make_cfg(0);
	CU_ASSERT_EQUAL(routes_apply(fresh, cfg, err, sizeof(err)), 0);
	kernel_routes(k, sizeof(k));
	CU_ASSERT_STRING_EQUAL(k, "");
	CU_ASSERT_EQUAL(routes_apply(fresh, cfg, err, sizeof(err)), 0);
	free(cfg->routes);
	free(cfg);
	routes_close(fresh, false);
}

static void test_show_json(void)
{
	struct tsn_config *cfg = make_cfg(2, "2001:db8:a::/64,2001:db8:1::2", "2001:db8:b::/64");
	char err[512];
	json_object *o, *r0;

	CU_ASSERT_EQUAL_FATAL(routes_apply(rt, cfg, err, sizeof(err)), 0);
	/* One deleted behind tsnd's back: "installed" says so. */
	CU_ASSERT_EQUAL(tu_sh("ip -6 route del 2001:db8:b::/64 proto 201"), 0);
	o = routes_json(rt, cfg);
	r0 = json_object_array_get_idx(tu_jget(o, "routes"), 0);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(r0, "prefix")), "2001:db8:a::/64");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(r0, "via")), "2001:db8:1::2");
	CU_ASSERT_TRUE(json_object_get_boolean(tu_jget(r0, "installed")));
	CU_ASSERT_FALSE(json_object_get_boolean(tu_jget(json_object_array_get_idx(tu_jget(o, "routes"), 1),
							"installed")));
	CU_ASSERT_EQUAL(json_object_array_length(tu_jget(o, "unconfigured")), 0);
	json_object_put(o);
	free(cfg->routes);
	free(cfg);
	CU_ASSERT_EQUAL(apply(make_cfg(0), err, sizeof(err)), 0);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("routes", suite_init, suite_cleanup);
	if (!suite ||
	    !CU_add_test(suite, "add, replace, delete", test_add_replace_delete) ||
	    !CU_add_test(suite, "a refusal rolls everything back", test_refusal_rolls_back) ||
	    !CU_add_test(suite, "foreign routes untouched", test_foreign_routes_untouched) ||
	    !CU_add_test(suite, "leftovers removed at the first apply", test_leftovers_removed_at_first_apply) ||
	    !CU_add_test(suite, "route show", test_show_json)) {
		CU_cleanup_registry();
		return 2;
	}
	return tu_run_tests();
}
