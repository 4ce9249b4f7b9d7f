/* SPDX-License-Identifier: GPL-2.0-only */
/* dp_util.h — helpers for the CUnit tests that drive the data plane (header-only,
 * like test_util.h; the tests are built with -Idaemon).
 *
 *   tu_dp_apply(dp, yaml, err, errlen)   parse YAML text and dataplane_apply() it
 *   tu_dp_router_ports("abcd")           IPv6 router ports fa0, fb0, ... in this namespace
 *   tu_dp_fwd_counter(dp, ifindex, r)    a port's forwarding counter r, summed over CPUs
 *   tu_dp_expect_pass / _redirect        run a frame into a port's XDP program and check
 *                                        the verdict, the bytes and the counter
 */
#ifndef TSN_TEST_DP_UTIL_H
#define TSN_TEST_DP_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_frames.h"
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

/* The port_stats counter fwd[reason] of ifindex, summed over the CPUs (0 if none). */
__attribute__((unused))
static uint64_t tu_dp_fwd_counter(struct dataplane *dp, int ifindex, unsigned reason)
{
	struct port_counters sum;

	dataplane_port_counters(dp, ifindex, &sum);
	return reason < TSN_FWD_COUNT ? sum.fwd[reason] : 0;
}

/* Run f into ifindex's XDP program: XDP_PASS, f's bytes unchanged, the port's
 * counter fwd[reason] (named `name` in messages) one up.  The run goes to *out if
 * not NULL, for further checks; `line` is the caller's, for the message. */
__attribute__((unused))
static void tu_dp_expect_pass(struct dataplane *dp, int ifindex, const struct fb *f, unsigned reason,
			      const char *name, int line, struct xdp_result *out)
{
	uint64_t before = tu_dp_fwd_counter(dp, ifindex, reason);
	struct xdp_result r;

	xdp_run(dataplane_xdp_fd(dp), ifindex, f->b, f->len, &r);
	if (r.verdict != XDP_PASS || tu_dp_fwd_counter(dp, ifindex, reason) != before + 1)
		fprintf(stderr, "\n  line %d: verdict %d (err %d), counter %s %llu -> %llu", line,
			r.verdict, r.err, name, (unsigned long long)before,
			(unsigned long long)tu_dp_fwd_counter(dp, ifindex, reason));
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_EQUAL(tu_dp_fwd_counter(dp, ifindex, reason), before + 1);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, f->b, f->len, name));
	if (out) {
		*out = r;
		out->frame = out->out + out->meta_len;	/* into the copy */
	}
}

/* Run f into ifindex's XDP program: XDP_REDIRECT with exactly the bytes of want, the
 * port's redirect counter one up.  *out as for tu_dp_expect_pass. */
__attribute__((unused))
static void tu_dp_expect_redirect(struct dataplane *dp, int ifindex, const struct fb *f, const struct fb *want,
				  int line, struct xdp_result *out)
{
	uint64_t before = tu_dp_fwd_counter(dp, ifindex, TSN_FWD_REDIRECT);
	struct xdp_result r;

	xdp_run(dataplane_xdp_fd(dp), ifindex, f->b, f->len, &r);
	if (r.verdict != XDP_REDIRECT)
		fprintf(stderr, "\n  line %d: verdict %d (err %d), want XDP_REDIRECT", line, r.verdict, r.err);
	CU_ASSERT_EQUAL(r.verdict, XDP_REDIRECT);
	CU_ASSERT_EQUAL(tu_dp_fwd_counter(dp, ifindex, TSN_FWD_REDIRECT), before + 1);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, want->b, want->len, "forwarded frame"));
	if (out) {
		*out = r;
		out->frame = out->out + out->meta_len;
	}
}

#endif
