/* SPDX-License-Identifier: GPL-2.0-only */
/* test_frer.c — daemon/dataplane/frer.c: checking a FRER configuration (the reason names the
 * entry and field), applying it to the real maps of bpf/frer.bpf.o (state kept for
 * unchanged streams, reset for changed ones, removed streams gone, all or nothing),
 * the counters as JSON and the latent-error events.  Frames go through the loaded
 * frer_xdp with BPF_PROG_RUN.  Needs root. */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/dataplane.skel.h"
#include "bpf_frames.h"
#include "dataplane.h"
#include "frer.h"
#include "test_util.h"
#include "dp_skel.h"

#define MS 1000000ULL

static struct frer *fr;

/* Run an R-tagged frame (seq >= 0) or an untagged one of stream sid into frer_xdp
 * (tsn_xdp's metadata in front); the verdict. */
static int run_seq(uint32_t sid, long seq)
{
	struct tsn_xdp_meta m = { .magic = TSN_META_MAGIC, .stream_id = sid, .flags = TSN_META_STREAM };
	uint8_t in[256], out[512];
	struct fb f;

	fb_eth(&f, fb_mac_a, fb_mac_b);
	if (seq >= 0) {
		fb_put16(f.b + f.type, TSN_FRER_ETH_P_RTAG);
		fb_put16(f.b + f.len + 2, (unsigned)seq);
		f.type = f.len + 4;
		f.len += 6;
	}
	fb_ethertype(&f, 0x88b5, 46);
	memcpy(in, &m, sizeof(m));
	memcpy(in + sizeof(m), f.b, f.len);

	struct xdp_md ctx = { .data = sizeof(m), .data_end = (__u32)(sizeof(m) + f.len), .ingress_ifindex = 1 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)(sizeof(m) + f.len),
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = 1);

	if (bpf_prog_test_run_opts(frer_xdp_fd(fr), &o))
		return -1;
	return (int)o.retval;
}

static void set_clock(uint64_t ns)
{
	uint32_t zero = 0;

	bpf_map_update_elem(frer_map_fd(fr, "frer_clock"), &zero, &ns, 0);
}

static struct frer_stream_conf rcvy(uint32_t sid, unsigned history)
{
	struct frer_stream_conf c = { .stream_id = sid, .flags = TSN_FRER_RCVY,
				      .algorithm = TSN_FRER_ALG_VECTOR, .history = history };
	return c;
}

/* A stream's counter from frer_counters_json, or -1 if the stream is not there. */
static long long stream_counter(uint32_t sid, const char *name)
{
	json_object *o = frer_counters_json(fr, sid), *s;
	long long v = -1;

	s = json_object_array_length(tu_jget(o, "streams")) == 1 ?
		json_object_array_get_idx(tu_jget(o, "streams"), 0) : NULL;
	if (s && tu_jget(tu_jget(s, "counters"), name))
		v = json_object_get_int64(tu_jget(tu_jget(s, "counters"), name));
	json_object_put(o);
	return v;
}

/* The port's passed_packets from frer_counters_json (0 if the port has none). */
static long long port_passed(int ifindex)
{
	json_object *o = frer_counters_json(fr, 0), *ports = tu_jget(o, "ports");
	long long v = 0;

	for (size_t i = 0; i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i);

		if (json_object_get_int64(tu_jget(p, "ifindex")) == ifindex)
			v = json_object_get_int64(tu_jget(tu_jget(p, "counters"), "passed_packets"));
	}
	json_object_put(o);
	return v;
}

/* ---- checking ---- */

static void expect_bad(const struct frer_stream_conf *s, size_t n, const char *want)
{
	char err[256] = "";

	CU_ASSERT_EQUAL(frer_check(s, n, err, sizeof(err)), -EINVAL);
	if (strcmp(err, want) != 0)
		fprintf(stderr, "\n  error \"%s\", want \"%s\"", err, want);
	CU_ASSERT_STRING_EQUAL(err, want);
}

static void test_check(void)
{
	struct frer_stream_conf s[3] = { rcvy(1, 16), rcvy(2, 16), rcvy(3, 16) };
	char err[256];

	CU_ASSERT_EQUAL(frer_check(s, 3, err, sizeof(err)), 0);
	s[1].history = 65;
	expect_bad(s, 3, "frer[1].history: 65 is outside 2..64");
	s[1].history = 1;
	expect_bad(s, 3, "frer[1].history: 1 is outside 2..64");
	s[1] = rcvy(2, 16);
	s[1].algorithm = (enum tsn_frer_alg)5;
	expect_bad(s, 3, "frer[1].algorithm: 5 is neither vector nor match");
	s[1] = rcvy(2, 0);
	s[1].algorithm = TSN_FRER_ALG_MATCH;		/* no history needed */
	CU_ASSERT_EQUAL(frer_check(s, 3, err, sizeof(err)), 0);
	s[2].stream_id = 1;
	expect_bad(s, 3, "frer[2].stream: stream 1 again (frer[0] has it)");
	s[2].stream_id = 0;
	expect_bad(s, 3, "frer[2].stream: 0 is not a stream id (1..4294967294)");
	s[2] = rcvy(3, 16);
	s[2].flags = TSN_FRER_GEN | TSN_FRER_KEEP_TAG;
	expect_bad(s, 3, "frer[2].roles: individual recovery, take-no-sequence, keep-tag and latent-error need recovery");
	s[2].flags = 0;
	expect_bad(s, 3, "frer[2].roles: neither generation, recovery nor paths: nothing to do");
	s[2].flags = TSN_FRER_GEN;
	s[2].n_split = 9;
	expect_bad(s, 3, "frer[2].paths: 9 ports, at most 8");
	s[2].n_split = 2;
	s[2].split_ifindex[0] = s[2].split_ifindex[1] = 4;
	expect_bad(s, 3, "frer[2].paths[1]: the same port and VLAN as paths[0]");
	s[2].split_vid[1] = 4095;
	expect_bad(s, 3, "frer[2].paths[1].vlan: 4095 is outside 1..4094");
	s[2].split_vid[1] = 300;			/* the same port in another VLAN */
	CU_ASSERT_EQUAL(frer_check(s, 3, err, sizeof(err)), 0);
	s[2].split_ifindex[1] = 0;
	expect_bad(s, 3, "frer[2].paths[1]: no such port");
	s[2].n_split = 0;
	s[0].flags |= TSN_FRER_LATENT;
	s[0].lat_paths = 1;
	expect_bad(s, 3, "frer[0].latent-error.paths: 1 is outside 2..8");
	s[0].lat_paths = 2;
	expect_bad(s, 3, "frer[0].latent-error.period: must be more than 0");
	s[0].lat_period_ns = 10 * MS;
	s[0].lat_reset_ns = MS;
	expect_bad(s, 3, "frer[0].latent-error.reset-period: shorter than the period");
	s[0].lat_reset_ns = 100 * MS;
	CU_ASSERT_EQUAL(frer_check(s, 3, err, sizeof(err)), 0);
	s[0].has_ident = s[2].has_ident = true;
	s[0].ident_vid = s[2].ident_vid = 10;
	expect_bad(s, 3, "frer[2].identification: the same as frer[0]'s");
	s[2].ident_vid = 4096;
	expect_bad(s, 3, "frer[2].identification.vlan: 4096 is outside 0..4095");
	s[2].ident_vid = TSN_FRER_VID_UNTAGGED;
	CU_ASSERT_EQUAL(frer_check(s, 3, err, sizeof(err)), 0);
	s[2].priority = 8;
	expect_bad(s, 3, "frer[2].priority: 8 is outside 0..7");
}

/* ---- applying ---- */

static void test_apply(void)
{
	struct frer_stream_conf s[2] = { rcvy(10, 8), { .stream_id = 20, .flags = TSN_FRER_GEN, .n_split = 2,
							.split_ifindex = { 1, 1 } } };
	char err[256];

	s[1].split_ifindex[1] = 2;	/* ifindexes are not checked against ports here */
	CU_ASSERT_EQUAL_FATAL(frer_apply(fr, s, 2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(run_seq(10, 5), XDP_PASS);
	CU_ASSERT_EQUAL(run_seq(10, 5), XDP_DROP);
	CU_ASSERT_EQUAL(run_seq(20, -1), XDP_PASS);
	CU_ASSERT_EQUAL(stream_counter(10, "passed_packets"), 1);
	CU_ASSERT_EQUAL(stream_counter(10, "discarded_packets"), 1);
	CU_ASSERT_EQUAL(stream_counter(20, "generated_packets"), 1);

	/* The same again: state and counters stay (5 is still a duplicate). */
	CU_ASSERT_EQUAL(frer_apply(fr, s, 2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(run_seq(10, 5), XDP_DROP);
	CU_ASSERT_EQUAL(stream_counter(10, "discarded_packets"), 2);

	/* Bad input: refused, nothing changes. */
	struct frer_stream_conf bad[2] = { s[0], s[1] };

	bad[0].history = 100;
	CU_ASSERT_EQUAL(frer_apply(fr, bad, 2, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "frer[0].history: 100 is outside 2..64");
	CU_ASSERT_EQUAL(stream_counter(10, "discarded_packets"), 2);
	CU_ASSERT_EQUAL(run_seq(10, 5), XDP_DROP);

	/* Changed: starts afresh (TakeAny: 5 passes again). */
	s[0].history = 16;
	CU_ASSERT_EQUAL(frer_apply(fr, s, 2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(stream_counter(10, "discarded_packets"), 0);
	CU_ASSERT_EQUAL(run_seq(10, 5), XDP_PASS);

	/* Removed: gone from every table. */
	uint32_t sid = 20;
	struct tsn_frer_split sp;

	CU_ASSERT_EQUAL(frer_apply(fr, s, 1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(stream_counter(20, "generated_packets"), -1);
	CU_ASSERT_NOT_EQUAL(bpf_map_lookup_elem(frer_map_fd(fr, "frer_split"), &sid, &sp), 0);
	CU_ASSERT_EQUAL(stream_counter(10, "passed_packets"), 1);
	CU_ASSERT_EQUAL(frer_apply(fr, NULL, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(stream_counter(10, "passed_packets"), -1);
}

/* A map write that fails (frer_ident full of entries that are not tsnd's) undoes
 * every write of the apply before it. */
static void test_apply_rollback(void)
{
	struct frer_stream_conf s[2] = { rcvy(10, 8), rcvy(11, 8) };
	int ident = frer_map_fd(fr, "frer_ident");
	char err[256];
	uint32_t sid = 99;

	CU_ASSERT_EQUAL_FATAL(frer_apply(fr, s, 1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(run_seq(10, 7), XDP_PASS);
	for (uint32_t i = 0; i < TSN_FRER_MAX_STREAMS; i++) {
		struct tsn_frer_ident_key k = { .mac = { 0x02, 0xee, 0, (uint8_t)(i >> 16), (uint8_t)(i >> 8),
							  (uint8_t)i }, .vid = 1 };

		if (bpf_map_update_elem(ident, &k, &sid, 0)) {
			CU_FAIL("filling frer_ident");
			break;
		}
	}
	/* Stream 10 changes (history 9), stream 11 is new, its identification does not fit. */
	s[0].history = 9;
	s[1].has_ident = true;
	s[1].ident_vid = 5;
	CU_ASSERT_EQUAL(frer_apply(fr, s, 2, err, sizeof(err)), -E2BIG);
	CU_ASSERT_STRING_EQUAL(err, "frer[1].identification: cannot write: Argument list too long");
	/* Stream 10 as before the apply (state: 7 still a duplicate), stream 11 absent. */
	CU_ASSERT_EQUAL(run_seq(10, 7), XDP_DROP);
	CU_ASSERT_EQUAL(stream_counter(10, "passed_packets"), 1);
	CU_ASSERT_EQUAL(stream_counter(11, "passed_packets"), -1);
	/* Applying without identifications removes the foreign entries too. */
	s[1].has_ident = false;
	CU_ASSERT_EQUAL(frer_apply(fr, s, 2, err, sizeof(err)), 0);
	struct tsn_frer_ident_key next;

	CU_ASSERT_NOT_EQUAL(bpf_map_get_next_key(ident, NULL, &next), 0);
	CU_ASSERT_EQUAL(frer_apply(fr, NULL, 0, err, sizeof(err)), 0);
}

/* ---- counters and events ---- */

static void test_json(void)
{
	struct frer_stream_conf s = rcvy(30, 4);
	char err[256];

	s.flags |= TSN_FRER_INDIV;
	s.reset_ns = 25 * MS;
	CU_ASSERT_EQUAL_FATAL(frer_apply(fr, &s, 1, err, sizeof(err)), 0);
	long long port_before = port_passed(1);

	CU_ASSERT_EQUAL(run_seq(30, 1), XDP_PASS);
	CU_ASSERT_EQUAL(run_seq(30, 1), XDP_DROP);	/* the member stream's own repeat */
	CU_ASSERT_EQUAL(run_seq(30, 3), XDP_PASS);
	CU_ASSERT_EQUAL(run_seq(30, 10), XDP_DROP);	/* 7 ahead: rogue for the member (history 4) */

	json_object *o = frer_counters_json(fr, 0), *st, *c, *ind, *port;

	st = json_object_array_get_idx(tu_jget(o, "streams"), 0);
	CU_ASSERT_EQUAL(json_object_array_length(tu_jget(o, "streams")), 1);
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(st, "stream_id")), 30);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(tu_jget(st, "roles"), JSON_C_TO_STRING_PLAIN),
			       "[\"recovery\",\"individual-recovery\"]");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(st, "algorithm")), "vector");
	CU_ASSERT_EQUAL(json_object_get_int(tu_jget(st, "history")), 4);
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(st, "reset_ns")), 25 * MS);
	CU_ASSERT_FALSE(json_object_get_boolean(tu_jget(st, "take_any")));
	c = tu_jget(st, "counters");
	/* The member stream dropped the repeat and the rogue 10: the stream saw two frames. */
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(c, "passed_packets")), 2);
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(c, "discarded_packets")), 0);
	CU_ASSERT_EQUAL(json_object_get_int(tu_jget(st, "recov_seq_num")), 3);
	ind = json_object_array_get_idx(tu_jget(st, "individual"), 0);
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(ind, "ifindex")), 1);
	c = tu_jget(ind, "counters");
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(c, "passed_packets")), 2);
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(c, "discarded_packets")), 1);
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(c, "rogue_packets")), 1);
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(c, "out_of_order_packets")), 1);
	/* Every counter name, in order. */
	static const char *const names[] = {
		"passed_packets", "discarded_packets", "out_of_order_packets", "rogue_packets", "lost_packets",
		"tagless_packets", "resets", "latent_error_resets", "latent_errors", "encode_errored_packets",
		"generated_packets", "replicated_packets", "replicate_errors",
	};
	size_t k = 0;

	json_object_object_foreach(c, key, val) {
		(void)val;
		CU_ASSERT_TRUE(k < 13 && strcmp(key, names[k]) == 0);
		k++;
	}
	CU_ASSERT_EQUAL(k, 13);
	port = json_object_array_get_idx(tu_jget(o, "ports"), 0);
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(port, "ifindex")), 1);
	/* Port counters outlive applies: the earlier tests' frames are in them too. */
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(tu_jget(port, "counters"), "passed_packets")),
			port_before + 2);
	json_object_put(o);

	/* Member streams follow their stream: kept by the same configuration, gone
	 * with a changed one. */
	CU_ASSERT_EQUAL(frer_apply(fr, &s, 1, err, sizeof(err)), 0);
	o = frer_counters_json(fr, 30);
	st = json_object_array_get_idx(tu_jget(o, "streams"), 0);
	CU_ASSERT_EQUAL(json_object_array_length(tu_jget(st, "individual")), 1);
	json_object_put(o);
	s.history = 5;
	CU_ASSERT_EQUAL(frer_apply(fr, &s, 1, err, sizeof(err)), 0);
	o = frer_counters_json(fr, 30);
	st = json_object_array_get_idx(tu_jget(o, "streams"), 0);
	CU_ASSERT_EQUAL(json_object_array_length(tu_jget(st, "individual")), 0);
	json_object_put(o);
	CU_ASSERT_EQUAL(frer_apply(fr, NULL, 0, err, sizeof(err)), 0);
}

static int events;
static struct tsn_frer_event last;

static void on_ev(const struct tsn_frer_event *ev, void *ctx)
{
	(void)ctx;
	last = *ev;
	events++;
}

static void test_events(void)
{
	struct frer_stream_conf s = rcvy(40, 16);
	char err[256];

	s.flags |= TSN_FRER_LATENT;
	s.lat_paths = 2;
	s.lat_difference = 2;
	s.lat_period_ns = 10 * MS;
	s.lat_reset_ns = 1000 * MS;
	CU_ASSERT_EQUAL_FATAL(frer_apply(fr, &s, 1, err, sizeof(err)), 0);
	frer_events_consume(fr, on_ev, NULL);
	events = 0;
	CU_ASSERT_TRUE(frer_events_fd(fr) >= 0);
	/* One path only: 11 frames in 11 ms; the test at 10 ms sees a difference of 10. */
	for (int i = 0; i <= 10; i++) {
		set_clock(5000 * MS + (uint64_t)i * MS);
		CU_ASSERT_EQUAL(run_seq(40, i), XDP_PASS);
	}
	CU_ASSERT_EQUAL(frer_events_consume(fr, on_ev, NULL), 1);
	CU_ASSERT_EQUAL(events, 1);
	CU_ASSERT_EQUAL(last.stream_id, 40);
	CU_ASSERT_EQUAL(last.kind, TSN_FRER_EV_LATENT_ERROR);
	CU_ASSERT_EQUAL(last.diff, 10);
	CU_ASSERT_EQUAL(last.passed, 11);
	CU_ASSERT_EQUAL(last.discarded, 0);
	CU_ASSERT_EQUAL(stream_counter(40, "latent_errors"), 1);
	set_clock(0);
	CU_ASSERT_EQUAL(frer_apply(fr, NULL, 0, err, sizeof(err)), 0);
}

/* ---- frer_tc in front of tsn_tc_ingress ---- */

static int packet_socket(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(ifname) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* tsn_tc_ingress's TSN_TC_PRIORITY count on ifindex (summed over CPUs). */
static uint64_t tc_priority_count(struct dataplane_bpf *dp, int ifindex)
{
	/* No tsn_ports entry here: the port counts in the slot of ports without a
	 * configuration. */
	struct port_counters pc;

	(void)ifindex;
	if (tu_dp_skel_port_counters(dp, TSN_PORT_SLOT_NONE, &pc) < 0)
		return 0;
	return pc.tc_path[TSN_TC_PRIORITY];
}

/* frer_tc sits before the data plane's tc program on the same hook: a split
 * stream's frame is frer_tc's alone; any other frame goes on to tsn_tc_ingress.
 * On clsact by priority; on tcx frer_tc goes first in the list (tcx: TC_ACT_UNSPEC
 * is TCX_NEXT). */
static void tc_chain(bool tcx)
{
	struct dataplane_bpf *dp = tu_dp_skel_load();
	struct frer_stream_conf s = { .stream_id = 50, .n_split = 1, .has_ident = true,
				      .ident_vid = TSN_FRER_VID_UNTAGGED };
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = 0x7473, .priority = 0x7473);
	int tx = -1, rx = -1, p1;
	uint8_t buf[256];
	char err[256];
	struct fb f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	if (tu_sh("ip link add p0 type veth peer name p1 && ip link add q0 type veth peer name q1 && "
		  "for d in p0 p1 q0 q1; do ip link set $d up || exit 1; done")) {
		CU_FAIL("veth setup");
		goto out;
	}
	p1 = (int)if_nametoindex("p1");
	memcpy(s.ident_mac, fb_mac_a, 6);
	s.split_ifindex[0] = if_nametoindex("q1");
	CU_ASSERT_EQUAL_FATAL(frer_apply(fr, &s, 1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(bpf_xdp_attach(p1, frer_xdp_fd(fr), XDP_FLAGS_DRV_MODE, NULL), 0);
	/* tsn_tc_ingress where daemon/dataplane/dataplane.c puts it, then frer_tc in front. */
	hook.ifindex = p1;
	tco.prog_fd = bpf_program__fd(dp->progs.tsn_tc_ingress);
	if (tcx) {
		CU_ASSERT_EQUAL_FATAL(dataplane_tcx_attach(p1, tco.prog_fd, -1, false), 0);
	} else {
		bpf_tc_hook_create(&hook);
		CU_ASSERT_EQUAL_FATAL(bpf_tc_attach(&hook, &tco), 0);
	}
	CU_ASSERT_EQUAL(frer_tc_attached(p1), 0);
	CU_ASSERT_EQUAL_FATAL(frer_tc_attach(fr, p1, err, sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(frer_tc_attached(p1), 0);
	CU_ASSERT_EQUAL(frer_tc_attach(fr, p1, err, sizeof(err)), 0);	/* again: replaced */
	if (tcx) {
		__u32 ids[4], flags = 0, cnt = 4;

		CU_ASSERT_EQUAL(bpf_prog_query(p1, (enum bpf_attach_type)46, 0, &flags, ids, &cnt), 0);
		CU_ASSERT_EQUAL(cnt, 2);
		CU_ASSERT_EQUAL(ids[0], dataplane_prog_id(frer_tc_fd(fr)));
		CU_ASSERT_EQUAL(ids[1], dataplane_prog_id(tco.prog_fd));
	} else {
		CU_ASSERT_EQUAL(dataplane_tcx_find(p1, "frer_tc", 0), 0);	/* not on tcx */
	}

	tx = packet_socket("p0");
	rx = packet_socket("q0");
	CU_ASSERT_FATAL(tx >= 0 && rx >= 0);
	/* Stream 50 (destination fb_mac_a): split onto q1, tsn_tc_ingress not reached. */
	fb_eth(&f, fb_mac_a, fb_mac_b);
	fb_ethertype(&f, 0x88b5, 46);
	CU_ASSERT_EQUAL(send(tx, f.b, f.len, 0), (ssize_t)f.len);
	struct pollfd pf = { .fd = rx, .events = POLLIN };

	/* Generous: a loaded shared host has held a veth frame for over a second. */
	CU_ASSERT_EQUAL(poll(&pf, 1, 5000), 1);
	CU_ASSERT_EQUAL(recv(rx, buf, sizeof(buf), 0), (ssize_t)f.len);
	CU_ASSERT_EQUAL(tc_priority_count(dp, p1), 0);
	/* A stream without a split (identified, so frer_xdp leaves the metadata): on to
	 * tsn_tc_ingress, which sets the priority and leaves it to the kernel. */
	s.n_split = 0;
	s.flags = TSN_FRER_GEN;
	CU_ASSERT_EQUAL_FATAL(frer_apply(fr, &s, 1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(send(tx, f.b, f.len, 0), (ssize_t)f.len);
	for (int i = 0; i < 50 && tc_priority_count(dp, p1) == 0; i++)
		usleep(100000);
	CU_ASSERT_EQUAL(tc_priority_count(dp, p1), 1);
	CU_ASSERT_EQUAL(recv(rx, buf, sizeof(buf), MSG_DONTWAIT), -1);	/* nothing on q */

	CU_ASSERT_EQUAL(frer_tc_detach(p1), tcx ? 1 : 0);
	CU_ASSERT_EQUAL(frer_tc_attached(p1), 0);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = 0x7473, .priority = 0x7473);

	if (tcx) {
		CU_ASSERT_EQUAL(dataplane_tcx_find(p1, "tsn_tc_ingress", dataplane_prog_id(tco.prog_fd)),
				dataplane_prog_id(tco.prog_fd));
	} else {
		CU_ASSERT_EQUAL(bpf_tc_query(&hook, &q), 0);		/* tsn_tc_ingress stays */
	}
out:
	if (tx >= 0)
		close(tx);
	if (rx >= 0)
		close(rx);
	tu_sh("ip link del p0 2>/dev/null; ip link del q0 2>/dev/null; true");
	dataplane_bpf__destroy(dp);
	frer_apply(fr, NULL, 0, err, sizeof(err));
}

static void test_tc_chain(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	setenv("TSND_TC_HOOK", "clsact", 1);	/* the cls_bpf path, also on kernels with tcx */
	tc_chain(false);
	unsetenv("TSND_TC_HOOK");
}

static void test_tc_chain_tcx(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	if (!dataplane_kernel_has_tcx()) {
		fprintf(stderr, " (no tcx in this kernel: nothing to check) ");
		return;
	}
	unsetenv("TSND_TC_HOOK");
	tc_chain(true);
}

static int suite_init(void)
{
	char err[256];

	if (tu_netns_enter())
		return -1;
	tu_sh("ip link set lo up; sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
	fr = frer_new(err, sizeof(err));
	if (!fr)
		fprintf(stderr, "%s\n", err);
	return fr ? 0 : -1;
}

static int suite_clean(void)
{
	frer_free(fr);
	tu_netns_leave();
	return 0;
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("frer", suite_init, suite_clean);
	CU_add_test(s, "check: every field's reason", test_check);
	CU_add_test(s, "apply: kept, reset, removed; bad input changes nothing", test_apply);
	CU_add_test(s, "apply: a failed write undoes the apply", test_apply_rollback);
	CU_add_test(s, "counters JSON with 802.1CB names", test_json);
	CU_add_test(s, "latent error events", test_events);
	CU_add_test(s, "frer_tc in front of tsn_tc_ingress", test_tc_chain);
	CU_add_test(s, "frer_tc in front of tsn_tc_ingress on tcx", test_tc_chain_tcx);
	return tu_run_tests();
}
