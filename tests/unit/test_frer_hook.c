/* SPDX-License-Identifier: GPL-2.0-only */
/* test_frer_hook.c — the FRER hook in tsn_xdp (docs/frer.md "tsnd's side"), through
 * the real programs with BPF_PROG_RUN: tsnd's data plane and FRER applied from a
 * configuration (dataplane_apply, frer_plane_apply), frames with exact bytes.
 *
 *   - an ipv6 stream is identified behind a VLAN tag and an R-TAG (parse steps over
 *     it), handed to frer_xdp by the tail call, recovered: the first copy passes
 *     without its R-TAG, the second is dropped; the counters say so;
 *   - an R-tagged frame of a stream without a frer entry passes unchanged;
 *   - with the frer section gone (slot empty) the duplicate passes untouched;
 *   - frer_tc sits on the XDP port while there is a section, and goes with it. */
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "bpf_frames.h"
#include "dataplane.h"
#include "frer.h"
#include "test_util.h"
#include "tsn/log.h"
#include "dp_skel.h"

#define PORT "fh0"

static struct dataplane *dp;
static struct frer_plane *fp;
static int ifindex;

static const char *const base_yaml =
	"ports:\n"
	"  - { name: " PORT ", xdp: generic }\n"
	"streams:\n"
	"  - { id: 5, name: ip, identification: ipv6, dst: \"2001:db8::5\", next-header: 17, dst-port: 7000,"
	" priority: 4 }\n"
	"  - { id: 6, name: mac, identification: dst-mac-vlan, dst-mac: \"02:00:00:00:00:66\", vlan: 100,"
	" priority: 2 }\n";

/* base_yaml plus `frer` (a frer section, or ""), parsed; NULL if invalid. */
static struct tsn_config *parse(const char *frer)
{
	char yaml[2048];
	struct tsn_diags d;

	snprintf(yaml, sizeof(yaml), "%s%s", base_yaml, frer);
	tsn_diags_init(&d, "hook.yaml");
	struct tsn_config *cfg = tsn_config_parse(yaml, strlen(yaml), "hook.yaml", &d);
	if (!cfg)
		tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	return cfg;
}

/* Apply base_yaml plus `frer` (a frer section, or "") to the data plane and FRER. */
static int apply(const char *frer)
{
	char err[512];
	struct tsn_config *cfg = parse(frer);

	if (!cfg)
		return -1;
	int rc = dataplane_apply(dp, cfg, err, sizeof(err));
	if (rc == 0)
		rc = frer_plane_apply(&fp, dp, NULL, cfg, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "\n  apply: %s\n", err);
	tsn_config_free(cfg);
	return rc;
}

/* dst MAC, VLAN 100, [R-TAG seq], IPv6 UDP to the ipv6 stream (or, for mac, an
 * EtherType payload to stream 6's MAC). */
static void frame(struct fb *f, bool rtag, unsigned seq, bool mac)
{
	static const uint8_t dst6[6] = { 0x02, 0, 0, 0, 0, 0x66 };

	fb_eth(f, mac ? dst6 : fb_mac_b, fb_mac_a);
	fb_vlan(f, 0x8100, 3, 100);
	if (rtag) {
		fb_put16(f->b + f->type, 0xF1C1);
		f->b[f->len] = 0;
		f->b[f->len + 1] = 0;
		fb_put16(f->b + f->len + 2, seq);
		f->type = f->len + 4;
		f->len += 6;
	}
	if (mac) {
		fb_ethertype(f, 0x88b5, 46);
		return;
	}
	fb_ipv6(f, "2001:db8::1", "2001:db8::5", 64, 0);
	fb_udp(f, 4000, 7000, 18);
	fb_done(f);
}

static uint64_t frer_counter(uint32_t sid, const char *key)
{
	json_object *o = frer_plane_json(fp, NULL, sid), *s, *c, *v;
	uint64_t n = UINT64_MAX;

	if (json_object_object_get_ex(o, "streams", &s) && json_object_array_length(s) == 1 &&
	    json_object_object_get_ex(json_object_array_get_idx(s, 0), "counters", &c) &&
	    json_object_object_get_ex(c, key, &v))
		n = json_object_get_uint64(v);
	json_object_put(o);
	return n;
}

/* Start-up's preload (frer_plane_preload), whatever the configuration (a
 * reload may turn FRER on once tsnd can no longer load programs), one object
 * at a time, taken by the first apply, freed by frer_plane_free when start-up
 * fails before the FRER step (ASan and valgrind see a leak). */
static void test_preload(void)
{
	frer_plane_preload();
	CU_ASSERT_TRUE(frer_plane_test_preloaded());
	frer_plane_free(NULL, dp);
	CU_ASSERT_FALSE(frer_plane_test_preloaded());
	frer_plane_preload();
	frer_plane_preload();
	CU_ASSERT_TRUE(frer_plane_test_preloaded());
	frer_plane_free(NULL, dp);
	CU_ASSERT_FALSE(frer_plane_test_preloaded());
	frer_plane_preload();
	CU_ASSERT_EQUAL(apply("frer:\n  - { stream: ip, role: recovery }\n"), 0);
	CU_ASSERT_PTR_NOT_NULL(fp);
	CU_ASSERT_FALSE(frer_plane_test_preloaded());
}

static void test_recovery_through_the_hook(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	struct fb in, want;
	struct xdp_result r;

	CU_ASSERT_EQUAL_FATAL(apply("frer:\n  - { stream: ip, role: recovery }\n"), 0);
	CU_ASSERT_TRUE(frer_tc_attached(ifindex) != 0);
	frame(&in, true, 7, false);
	frame(&want, false, 0, false);

	xdp_run(dataplane_xdp_fd(dp), ifindex, in.b, in.len, &r);
	CU_ASSERT_EQUAL(r.err, 0);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, want.b, want.len, "recovered frame"));
	/* Identified as the ipv6 stream behind the VLAN tag and the R-TAG. */
	CU_ASSERT_TRUE(r.has_meta && r.meta.stream_id == 5);

	xdp_run(dataplane_xdp_fd(dp), ifindex, in.b, in.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_DROP);
	CU_ASSERT_EQUAL(frer_counter(5, "passed_packets"), 1);
	CU_ASSERT_EQUAL(frer_counter(5, "discarded_packets"), 1);

	/* Stream 6 has no frer entry: its R-tagged frame goes on as it came. */
	frame(&in, true, 9, true);
	xdp_run(dataplane_xdp_fd(dp), ifindex, in.b, in.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, in.b, in.len, "frame of a stream without FRER"));
	CU_ASSERT_TRUE(r.has_meta && r.meta.stream_id == 6);
}

static void test_section_removed(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	struct fb in;
	struct xdp_result r;

	CU_ASSERT_EQUAL_FATAL(apply("frer:\n  - { stream: \"5\", role: recovery }\n"), 0);
	frame(&in, true, 11, false);
	xdp_run(dataplane_xdp_fd(dp), ifindex, in.b, in.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	xdp_run(dataplane_xdp_fd(dp), ifindex, in.b, in.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_DROP);

	CU_ASSERT_EQUAL_FATAL(apply(""), 0);
	/* The slot is empty: the tail call falls through, the frame is untouched. */
	xdp_run(dataplane_xdp_fd(dp), ifindex, in.b, in.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, in.b, in.len, "frame with FRER off"));
	CU_ASSERT_EQUAL(frer_tc_attached(ifindex), 0);
}

static int suite_init(void)
{
	char err[512];

	tsn_log_setup("test_frer_hook", TSN_LOG_STDERR, getenv("TSN_TEST_DEBUG") ? TSN_LOG_DEBUG : TSN_LOG_ERR);
	if (tu_netns_enter() < 0)
		return -1;
	if (tu_sh("sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1") ||
	    tu_sh("ip link add " PORT " type veth peer name fh1 && ip link set " PORT " up && ip link set fh1 up"))
		return -1;
	ifindex = (int)if_nametoindex(PORT);
	dp = dataplane_create(NULL, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "dataplane_create: %s\n", err);
		return -1;
	}
	return 0;
}

static int suite_cleanup(void)
{
	frer_plane_free(fp, dp);
	dataplane_destroy(dp, false);
	tu_sh("ip link del " PORT " 2>/dev/null");
	tu_netns_leave();
	return 0;
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("frer_hook", suite_init, suite_cleanup);
	CU_add_test(s, "start-up preload: taken by the first apply, or freed", test_preload);
	CU_add_test(s, "R-tagged ipv6 stream: identified, recovered, duplicate dropped", test_recovery_through_the_hook);
	CU_add_test(s, "section removed: slot empty, frame untouched, frer_tc gone", test_section_removed);
	return tu_run_tests();
}
