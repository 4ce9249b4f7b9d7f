/* SPDX-License-Identifier: GPL-2.0-only */
/* test_telemetry.c — residence-time telemetry: the histogram arithmetic shared by
 * bpf/telemetry.bpf.c and daemon/telemetry/telemetry.c (exact buckets for known values,
 * percentiles of known distributions, merging per-CPU values), the ingress stamp
 * tsn_xdp writes into its metadata (BPF_PROG_RUN, clock injected through
 * tsn_clock), the tracing program loading and attaching on this kernel, and its
 * gate-conformance counters and residence samples on real transmissions in a
 * private network namespace.  Needs root for the BPF parts. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_frames.h"
#include "bpf/dataplane.skel.h"
#include "dp_skel.h"
#include "telemetry.h"
#include "test_util.h"
#include "tsn/bpf_shared.h"

/* ---- buckets ---- */

static void test_bucket_exact(void)
{
	static const struct { uint64_t v; uint32_t bucket; } cases[] = {
		{ 0, 0 }, { 1, 1 }, { 15, 15 },			/* one bucket per ns below 16 */
		{ 16, 16 }, { 17, 17 }, { 31, 31 },		/* [16, 32): still 1 ns wide */
		{ 32, 32 }, { 33, 32 }, { 34, 33 }, { 63, 47 },	/* [32, 64): 2 ns wide */
		{ 64, 48 },
		{ 1000, 111 },		/* [512, 1024): 32 ns wide; 1000 in [992, 1023] */
		{ 1023, 111 }, { 1024, 112 },
		{ 5000000, 16 + 18 * 16 + 3 },	/* 2^22 = 4194304; (5000000 >> 18) & 15 = 3 */
		{ (1ull << 32) - 1, TSN_HIST_OVERFLOW - 1 },
		{ 1ull << 32, TSN_HIST_OVERFLOW }, { UINT64_MAX, TSN_HIST_OVERFLOW },
	};

	CU_ASSERT_EQUAL(TSN_HIST_BUCKETS, 465);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t b = tsn_hist_bucket(cases[i].v);
		if (b != cases[i].bucket)
			fprintf(stderr, "\n  %llu: bucket %u, want %u", (unsigned long long)cases[i].v, b,
				cases[i].bucket);
		CU_ASSERT_EQUAL(b, cases[i].bucket);
	}
	CU_ASSERT_EQUAL(tele_bucket_lower(111), 992);
	CU_ASSERT_EQUAL(tele_bucket_upper(111), 1023);
	CU_ASSERT_EQUAL(tele_bucket_upper(15), 15);
	CU_ASSERT_EQUAL(tele_bucket_lower(TSN_HIST_OVERFLOW), 1ull << 32);
	CU_ASSERT_EQUAL(tele_bucket_upper(TSN_HIST_OVERFLOW), UINT64_MAX);
}

/* Every value lies within its bucket's edges; buckets tile the line without gaps
 * and are at most 1/16 of their lower edge wide (the documented error). */
static void test_bucket_edges(void)
{
	int bad = 0;

	for (uint32_t i = 0; i + 1 < TSN_HIST_OVERFLOW; i++) {
		if (tele_bucket_upper(i) + 1 != tele_bucket_lower(i + 1))
			bad++;
		uint64_t lo = tele_bucket_lower(i), width = tele_bucket_upper(i) - lo + 1;
		if (lo >= TSN_HIST_SUB && width * TSN_HIST_SUB > lo)
			bad++;
	}
	CU_ASSERT_EQUAL(tele_bucket_upper(TSN_HIST_OVERFLOW - 1) + 1, 1ull << 32);
	for (uint64_t v = 1; v < (1ull << 40); v = v * 3 + 1) {
		uint32_t b = tsn_hist_bucket(v);
		if (v < tele_bucket_lower(b) || v > tele_bucket_upper(b))
			bad++;
		if (b > 0 && tsn_hist_bucket(v - 1) > b)
			bad++;	/* monotonic */
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* ---- percentiles ---- */

static void hist_add(struct tsn_hist *h, uint64_t v)
{
	if (!h->count || v < h->min_ns)
		h->min_ns = v;
	if (v > h->max_ns)
		h->max_ns = v;
	h->count++;
	h->sum_ns += v;
	h->b[tsn_hist_bucket(v)]++;
}

static void test_percentiles(void)
{
	struct tsn_hist *h = calloc(1, sizeof(*h));

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(tele_hist_percentile(h, 500), 0);	/* empty */
	for (uint64_t v = 1; v <= 1000; v++)
		hist_add(h, v);
	/* rank 500 is the value 500, in [496, 511]: the upper edge. */
	CU_ASSERT_EQUAL(tele_hist_percentile(h, 500), 511);
	/* rank 990: 990 in [960, 991]. */
	CU_ASSERT_EQUAL(tele_hist_percentile(h, 990), 991);
	/* rank 999: 999 in [992, 1023], clamped to the max 1000. */
	CU_ASSERT_EQUAL(tele_hist_percentile(h, 999), 1000);
	CU_ASSERT_EQUAL(h->sum_ns / h->count, 500);

	/* One value: every percentile is that value exactly (clamping). */
	memset(h, 0, sizeof(*h));
	hist_add(h, 123456);
	CU_ASSERT_EQUAL(tele_hist_percentile(h, 500), 123456);
	CU_ASSERT_EQUAL(tele_hist_percentile(h, 999), 123456);

	/* 999 fast frames and one slow: p99 fast, p99.9 still fast (rank 999),
	 * max slow. */
	memset(h, 0, sizeof(*h));
	for (int i = 0; i < 999; i++)
		hist_add(h, 10);
	hist_add(h, 5000000);
	CU_ASSERT_EQUAL(tele_hist_percentile(h, 990), 10);
	CU_ASSERT_EQUAL(tele_hist_percentile(h, 999), 10);
	CU_ASSERT_EQUAL(tele_hist_percentile(h, 1000), 5000000);
	/* and 998 + 2: rank 999 is slow */
	memset(h, 0, sizeof(*h));
	for (int i = 0; i < 998; i++)
		hist_add(h, 10);
	hist_add(h, 5000000);
	hist_add(h, 5000000);
	CU_ASSERT_EQUAL(tele_hist_percentile(h, 999), 5000000);
	free(h);
}

static void test_merge_json(void)
{
	struct tsn_hist *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct tsn_hist *sum = calloc(1, sizeof(*sum));

	CU_ASSERT_FATAL(a && b && sum);
	hist_add(a, 100);
	hist_add(a, 300);
	hist_add(b, 50);
	hist_add(b, 1ull << 33);
	tele_hist_merge(sum, a);
	tele_hist_merge(sum, b);
	CU_ASSERT_EQUAL(sum->count, 4);
	CU_ASSERT_EQUAL(sum->min_ns, 50);
	CU_ASSERT_EQUAL(sum->max_ns, 1ull << 33);
	CU_ASSERT_EQUAL(sum->b[tsn_hist_bucket(100)], 1);
	CU_ASSERT_EQUAL(sum->b[TSN_HIST_OVERFLOW], 1);

	json_object *o = tele_hist_json(sum);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	/* 50 in [50,51], 100 in [100,103], 300 in [288,303], overflow as -1 */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"buckets\":[[51,1],[103,1],[303,1],[-1,1]]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"count\":4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"min_ns\":50"));
	if (!strstr(s, "\"buckets\":[[51,1],[103,1],[303,1],[-1,1]]"))
		fprintf(stderr, "\n  %s", s);
	json_object_put(o);

	/* Empty: count 0, the figures null. */
	memset(sum, 0, sizeof(*sum));
	o = tele_hist_json(sum);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"p50_ns\":null"));
	json_object_put(o);
	free(a);
	free(b);
	free(sum);
}

/* ---- the XDP ingress stamp ---- */

static struct dataplane_bpf *skel;

static void set_clock(uint64_t ns)
{
	struct tsn_clock_ovr c = { .fixed_ns = ns };
	__u32 zero = 0;

	CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(skel->maps.tsn_clock), &zero, &c, BPF_ANY), 0);
}

static void set_tele(bool on)
{
	struct tsn_tele_on v = { .on = on };
	__u32 zero = 0;

	CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(skel->maps.tsn_tele_on), &zero, &v, BPF_ANY), 0);
}

static void test_xdp_stamp(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x09 }, src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct xdp_result r;
	struct fb f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(skel);
	memset(&f, 0, sizeof(f));
	fb_eth(&f, dst, src);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_udp(&f, 4000, 7, 32);
	fb_done(&f);

	set_clock(1234567890123ull);
	set_tele(false);
	xdp_run(bpf_program__fd(skel->progs.tsn_xdp), 1, f.b, f.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_TRUE_FATAL(r.has_meta);
	CU_ASSERT_EQUAL(r.meta.rx_tstamp, 0);	/* off: no clock read, no stamp */

	set_tele(true);
	xdp_run(bpf_program__fd(skel->progs.tsn_xdp), 1, f.b, f.len, &r);
	CU_ASSERT_TRUE_FATAL(r.has_meta);
	CU_ASSERT_EQUAL(r.meta.rx_tstamp, 1234567890123ull);

	set_clock(42);
	xdp_run(bpf_program__fd(skel->progs.tsn_xdp), 1, f.b, f.len, &r);
	CU_ASSERT_EQUAL(r.meta.rx_tstamp, 42);

	/* The real clock: monotonic, between two reads around the run. */
	struct timespec a, b;
	set_clock(0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	xdp_run(bpf_program__fd(skel->progs.tsn_xdp), 1, f.b, f.len, &r);
	clock_gettime(CLOCK_MONOTONIC, &b);
	uint64_t lo = (uint64_t)a.tv_sec * 1000000000ull + (uint64_t)a.tv_nsec;
	uint64_t hi = (uint64_t)b.tv_sec * 1000000000ull + (uint64_t)b.tv_nsec;
	CU_ASSERT(r.meta.rx_tstamp >= lo && r.meta.rx_tstamp <= hi);
	set_tele(false);
}

/* ---- the tracing programs ---- */

static void test_tracing_loads(void)
{
	static const char *const yaml =
		"ports:\n"
		"  - { name: lo, xdp: off }\n"
		"telemetry:\n"
		"  residence-time: true\n";
	struct tsn_diags diags;
	struct tsn_config *cfg;
	struct telemetry *t = telemetry_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	tsn_diags_init(&diags, "t.yaml");
	cfg = tsn_config_parse(yaml, strlen(yaml), "t.yaml", &diags);
	tsn_diags_free(&diags);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	telemetry_apply(t, cfg, NULL, NULL);
	/* Both programs pass the verifier and attach on this kernel. */
	CU_ASSERT_STRING_EQUAL(telemetry_state(t), "on");
	json_object *o = telemetry_latency_json(t, cfg, NULL, NULL, -1, false, 0);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"state\":\"on\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"ports\":[{\"name\":\"lo\",\"classes\":[]}]"));
	json_object_put(o);
	CU_ASSERT_EQUAL(telemetry_reset(t), 0);
	/* Off again: detached, lists empty. */
	cfg->telemetry.residence_time = false;
	telemetry_apply(t, cfg, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(telemetry_state(t), "off");
	cfg->telemetry.residence_time = true;
	telemetry_apply(t, cfg, NULL, NULL);	/* and back on without a new load */
	CU_ASSERT_STRING_EQUAL(telemetry_state(t), "on");
	telemetry_free(t, NULL);
	tsn_config_free(cfg);
}

/* ---- gate conformance on the driver hook ----
 *
 * A veth tb0 in a private namespace is a telemetry port; the test writes a
 * conformance schedule for it on the monotonic clock, so it knows the gate state
 * when it sends: class 1 (priority 1) is open in [0, 500 ms) of a 1 s cycle and
 * closed in [500 ms, 1 s); class 0 (everything else: ND, MLD) always open.  Ten
 * datagrams with priority 1 sent at phase ~100 ms (a correct schedule) must count
 * nothing; sent at phase ~700 ms (the schedule mis-timed by 600 ms) all ten. */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t sent_closed(struct telemetry *t, uint32_t ifindex, uint32_t tc)
{
	int ncpu = libbpf_num_possible_cpus();
	struct tsn_tele_conf *v = calloc((size_t)ncpu, sizeof(*v));
	struct tsn_tele_key k = { .ifindex = ifindex, .tc = tc };
	uint64_t sum = 0;

	if (v && bpf_map_lookup_elem(telemetry_map_fd(t, "tele_conf"), &k, v) == 0)
		for (int c = 0; c < ncpu; c++)
			sum += v[c].sent_closed;
	free(v);
	return sum;
}

static void send_prio1(int n)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	int s = socket(AF_INET6, SOCK_DGRAM, 0), prio = 1;
	char payload[32] = { 0 };

	CU_ASSERT_FATAL(s >= 0);
	CU_ASSERT_EQUAL(setsockopt(s, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)), 0);
	inet_pton(AF_INET6, "2001:db8:9::2", &to.sin6_addr);
	for (int i = 0; i < n; i++)
		CU_ASSERT_EQUAL(sendto(s, payload, sizeof(payload), 0, (struct sockaddr *)&to, sizeof(to)),
				(ssize_t)sizeof(payload));
	close(s);
}

static void test_conformance_counts(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	static const char *const yaml =
		"ports:\n"
		"  - { name: tb0, xdp: off }\n"
		"  - { name: ta0, xdp: off }\n"
		"telemetry:\n"
		"  residence-time: true\n";
	struct tsn_tele_sched *sched = calloc(1, sizeof(*sched));
	struct tsn_diags diags;
	struct tsn_config *cfg;
	struct telemetry *t = NULL;
	uint32_t ifindex;
	int ncpu = libbpf_num_possible_cpus();
	void *zeros = calloc((size_t)ncpu, sizeof(struct tsn_tele_conf));

	CU_ASSERT_FATAL(sched && zeros);
	CU_ASSERT_EQUAL_FATAL(tu_netns_enter(), 0);
	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link set lo up && ip link add tb0 type veth peer name tb1 && "
				    "ip link set tb0 up && ip link set tb1 up && "
				    "ip addr add 2001:db8:9::1/64 dev tb0 nodad && "
				    "ip -6 neigh replace 2001:db8:9::2 lladdr 02:00:00:00:09:02 dev tb0 && "
				    "ip link add ta0 address 02:00:00:00:08:01 type veth peer name ta1 && "
				    "ip link set ta0 up && ip link set ta1 up && "
				    "ip addr add 2001:db8:8::1/64 dev ta0 nodad && "
				    "sysctl -qw net.ipv6.conf.all.forwarding=1"), 0);
	ifindex = if_nametoindex("tb0");
	tsn_diags_init(&diags, "t.yaml");
	cfg = tsn_config_parse(yaml, strlen(yaml), "t.yaml", &diags);
	tsn_diags_free(&diags);
	t = telemetry_new();
	CU_ASSERT_FATAL(cfg && t && ifindex);
	telemetry_apply(t, cfg, NULL, NULL);
	CU_ASSERT_STRING_EQUAL_FATAL(telemetry_state(t), "on");
	for (uint32_t c = 0; c < TSN_NUM_TC_MAX; c++) {
		struct tsn_tele_key k = { .ifindex = ifindex, .tc = c };
		CU_ASSERT_EQUAL(bpf_map_update_elem(telemetry_map_fd(t, "tele_conf"), &k, zeros, BPF_ANY), 0);
	}
	sched->cycle_ns = 1000000000;
	sched->tolerance_ns = 1000;
	sched->n = 2;
	sched->clock = TSN_TELE_CLK_MONO;
	sched->num_tc = 2;
	sched->prio_tc[1] = 1;
	sched->end_ns[0] = 500000000;
	sched->end_ns[1] = 1000000000;
	sched->gates[0] = 0x3;	/* classes 0 and 1 open */
	sched->gates[1] = 0x1;	/* class 0 only */

	/* Correct: the frames leave at phase ~100 ms, class 1 open. */
	sched->base_ns = (int64_t)(mono_ns() - 100000000);
	CU_ASSERT_EQUAL(bpf_map_update_elem(telemetry_map_fd(t, "tele_sched"), &ifindex, sched, BPF_ANY), 0);
	send_prio1(10);
	CU_ASSERT_EQUAL(sent_closed(t, ifindex, 1), 0);

	/* Mis-timed by 600 ms: phase ~700 ms, class 1 closed. */
	sched->base_ns = (int64_t)(mono_ns() - 700000000);
	CU_ASSERT_EQUAL(bpf_map_update_elem(telemetry_map_fd(t, "tele_sched"), &ifindex, sched, BPF_ANY), 0);
	send_prio1(10);
	CU_ASSERT_EQUAL(sent_closed(t, ifindex, 1), 10);
	CU_ASSERT_EQUAL(sent_closed(t, ifindex, 0), 0);

	/* The base in the future (phase before it, counted backwards): ~300 ms
	 * before the base is phase 700 ms: closed. */
	sched->base_ns = (int64_t)(mono_ns() + 300000000);
	CU_ASSERT_EQUAL(bpf_map_update_elem(telemetry_map_fd(t, "tele_sched"), &ifindex, sched, BPF_ANY), 0);
	send_prio1(5);
	CU_ASSERT_EQUAL(sent_closed(t, ifindex, 1), 15);

	/* Within the tolerance of the gate's closing: not counted.  Phase 500.0x ms
	 * with a tolerance of 50 ms. */
	sched->tolerance_ns = 50000000;
	sched->base_ns = (int64_t)(mono_ns() - 510000000);
	CU_ASSERT_EQUAL(bpf_map_update_elem(telemetry_map_fd(t, "tele_sched"), &ifindex, sched, BPF_ANY), 0);
	send_prio1(5);
	CU_ASSERT_EQUAL(sent_closed(t, ifindex, 1), 15);

	/* A stamped frame end to end: tsn_xdp runs on a frame "received" on ta0
	 * (BPF_PROG_RUN with live frames: XDP_PASS hands it to the stack with its
	 * metadata), the kernel forwards it out of tb0.  The stamp is injected 50 ms
	 * in the past: one sample of about 50 ms in tb0's class 0, and, with a
	 * 30 ms cycle whose gates are all open, "waited over a cycle" but not "sent
	 * while closed". */
	CU_ASSERT_EQUAL(telemetry_reset(t), 0);
	sched->tolerance_ns = 1000;
	sched->cycle_ns = 30000000;
	sched->n = 1;
	sched->end_ns[0] = 30000000;
	sched->gates[0] = 0xff;
	CU_ASSERT_EQUAL(bpf_map_update_elem(telemetry_map_fd(t, "tele_sched"), &ifindex, sched, BPF_ANY), 0);
	{
		int ta0 = (int)if_nametoindex("ta0");
		uint8_t mac_ta0[6] = { 0x02, 0, 0, 0, 0x08, 0x01 }, mac_peer[6] = { 0x02, 0, 0, 0, 0x08, 0x02 };
		struct tsn_clock_ovr clk = { .fixed_ns = mono_ns() - 50000000 };
		struct tsn_tele_on on = { .on = 1 };
		struct xdp_md ctx = { .ingress_ifindex = (__u32)ta0 };
		struct fb f;
		__u32 zero = 0;
		struct tsn_hist *h = calloc(1, sizeof(*h));

		memset(&f, 0, sizeof(f));
		fb_eth(&f, mac_ta0, mac_peer);
		fb_ipv6(&f, "2001:db8:8::2", "2001:db8:9::2", 64, 0);
		fb_udp(&f, 4000, 9, 32);
		fb_done(&f);
		ctx.data_end = (__u32)f.len;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f.b, .data_size_in = (__u32)f.len,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
		CU_ASSERT_FATAL(h && ta0 > 0);
		CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(skel->maps.tsn_clock), &zero, &clk, BPF_ANY), 0);
		CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(skel->maps.tsn_tele_on), &zero, &on, BPF_ANY), 0);
		/* (live frames report no retval: the samples below show the way it took) */
		CU_ASSERT_EQUAL(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.tsn_xdp), &o), 0);
		clk.fixed_ns = 0;
		on.on = 0;
		bpf_map_update_elem(bpf_map__fd(skel->maps.tsn_clock), &zero, &clk, BPF_ANY);
		bpf_map_update_elem(bpf_map__fd(skel->maps.tsn_tele_on), &zero, &on, BPF_ANY);

		struct tsn_tele_key k = { .ifindex = ifindex, .tc = 0 };
		struct tsn_hist *per = calloc((size_t)ncpu, sizeof(*per));
		struct tsn_tele_conf *conf = calloc((size_t)ncpu, sizeof(*conf));
		uint64_t over = 0, closed = 0;

		CU_ASSERT_FATAL(per && conf);
		CU_ASSERT_EQUAL(bpf_map_lookup_elem(telemetry_map_fd(t, "tele_cls"), &k, per), 0);
		for (int c = 0; c < ncpu; c++)
			tele_hist_merge(h, &per[c]);
		CU_ASSERT_EQUAL(h->count, 1);
		CU_ASSERT(h->min_ns >= 50000000 && h->min_ns < 1000000000);
		CU_ASSERT_EQUAL(bpf_map_lookup_elem(telemetry_map_fd(t, "tele_conf"), &k, conf), 0);
		for (int c = 0; c < ncpu; c++) {
			over += conf[c].over_cycle;
			closed += conf[c].sent_closed;
		}
		CU_ASSERT_EQUAL(over, 1);
		CU_ASSERT_EQUAL(closed, 0);
		if (h->count != 1 || over != 1)
			fprintf(stderr, "\n  stamped frame: %llu samples (min %llu ns), over_cycle %llu",
				(unsigned long long)h->count, (unsigned long long)h->min_ns,
				(unsigned long long)over);
		free(per);
		free(conf);
		free(h);
	}

	/* latency.reset zeroes the counters. */
	CU_ASSERT_EQUAL(telemetry_reset(t), 0);
	CU_ASSERT_EQUAL(sent_closed(t, ifindex, 1), 0);
	telemetry_free(t, NULL);
	tsn_config_free(cfg);
	tu_netns_leave();
	free(sched);
	free(zeros);
}

static int suite_init(void)
{
	skel = tu_dp_skel_load();
	return skel ? 0 : -1;
}

static int suite_cleanup(void)
{
	dataplane_bpf__destroy(skel);
	skel = NULL;
	return 0;
}

int main(void)
{
	CU_pSuite host, prog;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	host = CU_add_suite("histogram", NULL, NULL);
	prog = CU_add_suite("bpf_telemetry", suite_init, suite_cleanup);
	if (!host || !prog ||
	    !CU_add_test(host, "known values land in known buckets", test_bucket_exact) ||
	    !CU_add_test(host, "buckets tile the line within 1/16", test_bucket_edges) ||
	    !CU_add_test(host, "percentiles of known distributions", test_percentiles) ||
	    !CU_add_test(host, "per-CPU merge and JSON", test_merge_json) ||
	    !CU_add_test(prog, "XDP ingress stamp (injected clock)", test_xdp_stamp) ||
	    !CU_add_test(prog, "tracing programs load and attach", test_tracing_loads) ||
	    !CU_add_test(prog, "conformance: mis-timed counts, correct does not", test_conformance_counts)) {
		CU_cleanup_registry();
		return 1;
	}
	return tu_run_tests();
}
