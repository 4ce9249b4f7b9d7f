/* dp_util.h — helpers for the CUnit tests that drive the data plane (header-only,
 * like test_util.h; the tests are built with -Idaemon).
 *
 *   tu_dp_apply(dp, yaml, err, errlen)   parse YAML text and dataplane_apply() it
 *   tu_dp_router_ports("abcd")           IPv6 router ports fa0, fb0, ... in this namespace
 */
#ifndef TSN_TEST_DP_UTIL_H
#define TSN_TEST_DP_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dataplane.h"
#include "test_util.h"
#include "tsn/config.h"

/* 0, or -EINVAL for YAML that does not parse (its diagnostics printed), or
 * dataplane_apply's error with its text in err (and printed). */
__attribute__((unused))
static int tu_dp_apply(struct dataplane *dp, const char *yaml, char *err, size_t errlen)
{
	struct tsn_diags diags;
	struct tsn_config *cfg;
	int rc;

	tsn_diags_init(&diags, "test.yaml");
	cfg = tsn_config_parse(yaml, strlen(yaml), "test.yaml", &diags);
	if (!cfg) {
		tsn_diags_print(&diags, stderr);
		tsn_diags_free(&diags);
		snprintf(err, errlen, "configuration invalid");
		return -EINVAL;
	}
	tsn_diags_free(&diags);
	rc = dataplane_apply(dp, cfg, err, errlen);
	if (rc < 0)
		fprintf(stderr, "\n  apply: %s", err);
	tsn_config_free(cfg);
	return rc;
}

/* The forwarding tests' router (call inside tu_netns_enter): IPv6 forwarding on
 * and duplicate address detection off; for the n-th letter x of `letters`, a veth
 * pair fx0 (MAC 02:00:00:00:0x:00, 2001:db8:n::1/64) and fx1, both up.
 * 0, or -1 if a command failed. */
__attribute__((unused))
static int tu_dp_router_ports(const char *letters)
{
	if (tu_sh("sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 "
		  "net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.forwarding=1"))
		return -1;
	for (int n = 1; letters[n - 1]; n++) {
		char x = letters[n - 1];
		if (tu_sh("ip link add f%c0 type veth peer name f%c1 && ip link set f%c0 address 02:00:00:00:0%c:00 && "
			  "ip link set f%c0 up && ip link set f%c1 up && ip -6 addr add 2001:db8:%d::1/64 dev f%c0 nodad",
			  x, x, x, x, x, x, n, x))
			return -1;
	}
	return 0;
}

#endif
