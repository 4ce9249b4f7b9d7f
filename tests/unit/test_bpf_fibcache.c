/* SPDX-License-Identifier: GPL-2.0-only */
/* test_bpf_fibcache.c — the fast path's FIB cache (bpf/dataplane.bpf.c, fib_cached;
 * daemon/dataplane/fibwatch.c) through BPF_PROG_RUN against a real FIB in a namespace of
 * the test's own.
 *
 * A hit must give exactly the bytes the uncached path gives, and every frame the
 * uncached path hands to the kernel must still go there with an entry cached for
 * its addresses (hop limit, MTU).  That a frame was served from the cache is shown
 * by writing a marker MAC into its entry: a hit carries the marker.  fibwatch is
 * run for real: the kernel's events must invalidate the cache.  Needs root.
 *
 *   fa0  2001:db8:1::1/64  tsnd port (frames arrive here)   peer fa1
 *   fb0  2001:db8:2::1/64  tsnd port (egress)                peer fb1
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "bpf_frames.h"
#include "dataplane.h"
#include "evloop.h"
#include "fibwatch.h"
#include "test_util.h"
#include "dp_util.h"
#include "tsn/log.h"
#include "dp_skel.h"

static struct dataplane *dp;
static int if_a, if_b;
static int cpu, ncpus;		/* the CPU the test runs on; possible CPUs */
static cpu_set_t old_affinity;

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0x0a, 0x00 };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0x0b, 0x00 };
static const uint8_t mac_host2[6] = { 0x02, 0, 0, 0, 0x02, 0x02 };	/* 2001:db8:2::2 */
static const uint8_t mac_host5[6] = { 0x02, 0, 0, 0, 0x02, 0x05 };	/* 2001:db8:2::5 */
static const uint8_t mac_moved[6] = { 0x02, 0, 0, 0, 0x02, 0x99 };	/* 2::2, new NIC */
static const uint8_t mac_talker[6] = { 0x02, 0, 0, 0, 0x01, 0x10 };
static const uint8_t marker[6] = { 0x02, 0xee, 0xee, 0xee, 0xee, 0xee };

static const char *const cfg_plain =
	"ports:\n"
	"  - { name: fa0, xdp: generic }\n"
	"  - { name: fb0, xdp: generic }\n";

/* ---- helpers ---- */

static int apply_yaml(const char *yaml)
{
	char err[512];

	return tu_dp_apply(dp, yaml, err, sizeof(err));
}

static void udp_to(struct fb *f, const char *dst, unsigned hop_limit, size_t payload)
{
	fb_eth(f, mac_a, mac_talker);
	fb_ipv6(f, "2001:db8:1::10", dst, hop_limit, 0);
	fb_udp(f, 4000, 7, payload);
	fb_done(f);
}

/* The key of an untagged UDP frame from fa0 (what route() puts into the lookup). */
static void key_of(const struct fb *f, struct tsn_fib_key *k)
{
	const uint8_t *ip6 = f->b + f->l3;

	memset(k, 0, sizeof(*k));
	k->ifindex = (__u32)if_a;
	memcpy(k->saddr, ip6 + 8, 16);
	memcpy(k->daddr, ip6 + 24, 16);
	memcpy(&k->flowinfo, ip6, 4);
	k->flowinfo &= htonl(0x0fffffff);
	memcpy(&k->sport, ip6 + 40, 2);
	memcpy(&k->dport, ip6 + 42, 2);
	k->l4_protocol = 17;
}

static struct tsn_fib_ctl fib_ctl(void)
{
	struct tsn_fib_ctl ctl = { 0 };
	__u32 zero = 0;

	bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_fib_ctl"), &zero, &ctl);
	return ctl;
}

/* The set k lives in: what the program computes (tsn_fib_set_of). */
static __u32 set_of(const struct tsn_fib_key *k)
{
	union {
		struct tsn_fib_key k;
		__u64 w[TSN_FIB_KEY_WORDS];
	} u = { .k = *k };

	return tsn_fib_set_of(u.w, fib_ctl().seed);
}

/* Every CPU's copy of set idx (ncpus sets; free them). */
static struct tsn_fib_set *sets_read(__u32 idx)
{
	struct tsn_fib_set *s = calloc((size_t)ncpus, sizeof(*s));

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_fib_cache"), &idx, s), 0);
	return s;
}

/* The way of set s that holds k, or -1. */
static int way_of(const struct tsn_fib_set *s, const struct tsn_fib_key *k)
{
	for (int w = 0; w < TSN_FIB_WAYS; w++)
		if (!memcmp(&s->way[w].key, k, sizeof(*k)))
			return w;
	return -1;
}

/* k's entry on CPU c (any generation, as the program finds it); false if none. */
static bool entry_on(int c, const struct tsn_fib_key *k, struct tsn_fib_val *v)
{
	struct tsn_fib_set *s = sets_read(set_of(k));
	int w = way_of(&s[c], k);

	if (w >= 0 && v)
		*v = s[c].way[w].val;
	free(s);
	return w >= 0;
}

/* Replace k's entry on CPU c by v (it must exist); the other CPUs keep theirs. */
static void entry_write(int c, const struct tsn_fib_key *k, const struct tsn_fib_val *v)
{
	__u32 idx = set_of(k);
	struct tsn_fib_set *s = sets_read(idx);
	int w = way_of(&s[c], k);

	CU_ASSERT_TRUE_FATAL(w >= 0);
	s[c].way[w].val = *v;
	CU_ASSERT_EQUAL(bpf_map_update_elem(dataplane_map_fd(dp, "tsn_fib_cache"), &idx, s, BPF_ANY), 0);
	free(s);
}

/* The cache's entry for f's addresses on the test's CPU; false if there is none. */
static bool entry_of(const struct fb *f, struct tsn_fib_val *v)
{
	struct tsn_fib_key k;

	key_of(f, &k);
	return entry_on(cpu, &k, v);
}

/* Write the marker MAC into f's entry on CPU c: a frame served from it carries it. */
static void mark_entry_on(int c, const struct fb *f)
{
	struct tsn_fib_key k;
	struct tsn_fib_val v;

	key_of(f, &k);
	CU_ASSERT_TRUE_FATAL(entry_on(c, &k, &v));
	memcpy(v.dmac, marker, 6);
	entry_write(c, &k, &v);
}

static void mark_entry(const struct fb *f)
{
	mark_entry_on(cpu, f);
}

/* Run on CPU c only (BPF_PROG_RUN runs an XDP program on the caller's CPU). */
static int pin_to(int c)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(c, &one);
	return sched_setaffinity(0, sizeof(one), &one);
}

#define EXPECT_REDIRECT(f, want) tu_dp_expect_redirect(dp, if_a, f, want, __LINE__, NULL)
#define EXPECT_PASS(f, reason) tu_dp_expect_pass(dp, if_a, f, reason, #reason, __LINE__, NULL)

/* Run the event loop for ms: fibwatch reads what the kernel announced. */
static void stop_loop(struct evloop *loop, void *arg)
{
	(void)arg;
	evloop_stop(loop);
}

static void run_loop(struct evloop *loop, unsigned ms)
{
	struct ev_timer *t = evloop_timer_new(loop, stop_loop, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	evloop_timer_arm_at(t, evloop_now_ns() + (uint64_t)ms * 1000000);
	evloop_run(loop);
	evloop_timer_free(t);
}

static void on_change(void *arg)
{
	dataplane_fib_invalidate(arg);
}

/* ---- fixtures ---- */

static int suite_init(void)
{
	char err[512];

	tsn_log_setup("test_bpf_fibcache", TSN_LOG_STDERR,
		      getenv("TSN_TEST_DEBUG") ? TSN_LOG_DEBUG : TSN_LOG_ERR);
	if (tu_netns_enter() < 0)
		return -1;
	/* The cache is per CPU: stay on one, the first this process may use. */
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || sched_getaffinity(0, sizeof(old_affinity), &old_affinity) < 0)
		return -1;
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &old_affinity); cpu++)
		;
	if (cpu >= ncpus || pin_to(cpu) < 0)
		return -1;
	if (tu_dp_router_ports("ab") ||
	    tu_sh("ip -6 neigh add 2001:db8:2::2 lladdr 02:00:00:00:02:02 dev fb0 nud permanent && "
		  "ip -6 neigh add 2001:db8:2::5 lladdr 02:00:00:00:02:05 dev fb0 nud permanent") ||
	    tu_sh("ip -6 route add 2001:db8:9::/64 via 2001:db8:2::2 && "
		  "ip -6 route add 2001:db8:8::/64 via 2001:db8:2::2 mtu lock 1280 && "
		  "ip -6 route add 2001:db8:6::/64 via 2001:db8:2::2 mtu lock 9000 && "
		  "ip -6 route add 2001:db8:5::/64 via 2001:db8:2::2 mtu 1400"))
		return -1;
	if_a = (int)if_nametoindex("fa0");
	if_b = (int)if_nametoindex("fb0");
	dp = dataplane_create(NULL, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "dataplane_create: %s\n", err);
		return -1;
	}
	if (apply_yaml(cfg_plain) < 0)
		return -1;
	/* What tsnd does once fibwatch listens. */
	dataplane_fib_watched(dp, true);
	return dataplane_fib_cache_on(dp) ? 0 : -1;
}

static int suite_cleanup(void)
{
	dataplane_destroy(dp, false);
	tu_netns_leave();
	sched_setaffinity(0, sizeof(old_affinity), &old_affinity);
	return 0;
}

/* ---- tests ---- */

static void test_hit_same_bytes(void)
{
	struct tsn_fib_val v;
	struct fb f, want;

	udp_to(&f, "2001:db8:9::1", 64, 100);
	fb_routed(&f, &want, mac_host2, mac_b);
	CU_ASSERT_FALSE(entry_of(&f, &v));
	EXPECT_REDIRECT(&f, &want);		/* miss: looked up, cached */
	CU_ASSERT_TRUE_FATAL(entry_of(&f, &v));
	CU_ASSERT_EQUAL(v.gen, fib_ctl().gen);
	CU_ASSERT_EQUAL(v.ifindex, (__u32)if_b);
	CU_ASSERT_EQUAL(v.mtu, 1500);		/* the veth's */
	CU_ASSERT_EQUAL(memcmp(v.dmac, mac_host2, 6), 0);
	CU_ASSERT_EQUAL(memcmp(v.smac, mac_b, 6), 0);
	EXPECT_REDIRECT(&f, &want);		/* hit: the same bytes */
	/* It was a hit: the entry's MAC is what the frame gets. */
	mark_entry(&f);
	fb_routed(&f, &want, marker, mac_b);
	EXPECT_REDIRECT(&f, &want);
	/* Another hop limit and payload, same addresses: the same entry. */
	udp_to(&f, "2001:db8:9::1", 2, 700);
	fb_routed(&f, &want, marker, mac_b);
	EXPECT_REDIRECT(&f, &want);
	/* Another port, traffic class or flow label is another question to the FIB
	 * (rules and multipath may tell them apart): not this entry. */
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:9::1", 64, 0);
	fb_udp(&f, 4000, 8, 100);
	fb_done(&f);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	udp_to(&f, "2001:db8:9::1", 64, 100);
	f.b[f.l3 + 3] ^= 0x5a;			/* flow label */
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	udp_to(&f, "2001:db8:9::1", 64, 100);
	f.b[f.l3 + 1] ^= 0x80;			/* traffic class */
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
}

static void test_new_generation_misses(void)
{
	struct tsn_fib_val v;
	struct fb f, want;
	__u32 gen, seed;

	udp_to(&f, "2001:db8:9::2", 64, 100);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	mark_entry(&f);
	gen = fib_ctl().gen;
	seed = fib_ctl().seed;
	CU_ASSERT_NOT_EQUAL(seed, 0);
	dataplane_fib_invalidate(dp);
	CU_ASSERT_EQUAL(fib_ctl().gen, gen + 1);
	CU_ASSERT_EQUAL(fib_ctl().on, 1);
	/* The seed is drawn once: another would move every key to another set. */
	CU_ASSERT_EQUAL(fib_ctl().seed, seed);
	EXPECT_REDIRECT(&f, &want);		/* the FIB's MAC, not the marker */
	CU_ASSERT_TRUE(entry_of(&f, &v) && v.gen == gen + 1);
	/* A reload invalidates too (tsnd's own routes change with it). */
	mark_entry(&f);
	CU_ASSERT_EQUAL_FATAL(apply_yaml(cfg_plain), 0);
	EXPECT_REDIRECT(&f, &want);
	CU_ASSERT_EQUAL(fib_ctl().seed, seed);
}

/* An entry keeps the egress port's decision for the tables of one tsn_gen
 * serial; under another serial it is decided again from the tables. */
static void test_decision_follows_serial(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	struct tsn_fib_key k;
	struct tsn_fib_val v;
	struct tsn_gen g = { 0 };
	struct fb f, want;
	__u32 zero = 0;

	udp_to(&f, "2001:db8:9::7", 64, 100);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_gen"), &zero, &g), 0);
	CU_ASSERT_TRUE_FATAL(entry_of(&f, &v));
	CU_ASSERT_EQUAL(v.decided, 1);
	CU_ASSERT_EQUAL(v.gated, 0);		/* no schedule on fb0 */
	CU_ASSERT_EQUAL(v.serial, g.serial);
	/* Every priority gated, under an older serial: not believed. */
	key_of(&f, &k);
	v.gated = 0xff;
	v.serial = g.serial - 1;
	entry_write(cpu, &k, &v);
	EXPECT_REDIRECT(&f, &want);
	CU_ASSERT_TRUE_FATAL(entry_of(&f, &v));
	CU_ASSERT_EQUAL(v.gated, 0);
	CU_ASSERT_EQUAL(v.serial, g.serial);
	/* Under the current serial it is believed: the frame goes to the qdisc
	 * (XDP_PASS with metadata), the bytes rewritten as for a forward. */
	v.gated = 0xff;
	entry_write(cpu, &k, &v);
	{
		uint8_t out[FB_MAX + 64];
		struct xdp_md ctx = { .data_end = (__u32)f.len, .ingress_ifindex = (__u32)if_a };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f.b, .data_size_in = (__u32)f.len,
			    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx));

		CU_ASSERT_EQUAL(bpf_prog_test_run_opts(dataplane_xdp_fd(dp), &o), 0);
		CU_ASSERT_EQUAL(o.retval, XDP_PASS);
		/* The output starts with tsn_xdp's metadata for tc. */
		CU_ASSERT_EQUAL_FATAL(o.data_size_out, want.len + sizeof(struct tsn_xdp_meta));
		CU_ASSERT_EQUAL(((struct tsn_xdp_meta *)out)->flags & TSN_META_TO_QDISC,
				TSN_META_TO_QDISC);
		CU_ASSERT_EQUAL(((struct tsn_xdp_meta *)out)->egress_ifindex, (__u32)if_b);
		CU_ASSERT_EQUAL(memcmp(out + sizeof(struct tsn_xdp_meta), want.b, want.len), 0);
	}
}

static void test_too_long_goes_to_kernel(void)
{
	struct tsn_fib_val v;
	struct fb f, want;

	/* 2001:db8:8::/64 has MTU 1280: cached with it. */
	udp_to(&f, "2001:db8:8::1", 64, 100);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	CU_ASSERT_TRUE_FATAL(entry_of(&f, &v));
	CU_ASSERT_EQUAL(v.mtu, 1280);
	/* 1280 bytes of IPv6 fit; 1281 do not, cached entry or not. */
	udp_to(&f, "2001:db8:8::1", 64, 1280 - 48);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	udp_to(&f, "2001:db8:8::1", 64, 1280 - 48 + 1);
	EXPECT_PASS(&f, TSN_PASS_MTU);
	CU_ASSERT_TRUE(entry_of(&f, &v) && v.mtu == 1280);	/* still there */
	/* The same through a route with the device's MTU (1500). */
	udp_to(&f, "2001:db8:2::2", 64, 1500 - 48);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	EXPECT_REDIRECT(&f, &want);
	udp_to(&f, "2001:db8:2::2", 64, 1500 - 48 + 1);
	EXPECT_PASS(&f, TSN_PASS_MTU);
	/* A first frame too long caches nothing. */
	udp_to(&f, "2001:db8:8::9", 64, 1300);
	EXPECT_PASS(&f, TSN_PASS_MTU);
	CU_ASSERT_FALSE(entry_of(&f, &v));
}

/* Around every MTU there is (route metric locked below and above the device's,
 * unlocked, none): a frame served from a warm entry meets the verdict and bytes
 * of the uncached lookup. */
static void test_mtu_matches_uncached(void)
{
	static const char *const dsts[] = { "2001:db8:5::1", "2001:db8:6::1", "2001:db8:8::1",
					    "2001:db8:9::1", "2001:db8:2::2" };
	static const size_t sizes[] = { 1279, 1280, 1281, 1399, 1400, 1401, 1499, 1500, 1501, 1600 };
	struct xdp_result off, on;
	struct fb f, warm;

	for (size_t d = 0; d < sizeof(dsts) / sizeof(dsts[0]); d++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			udp_to(&f, dsts[d], 64, sizes[i] - 48);
			udp_to(&warm, dsts[d], 64, 20);
			dataplane_fib_watched(dp, false);
			xdp_run(dataplane_xdp_fd(dp), if_a, f.b, f.len, &off);
			dataplane_fib_watched(dp, true);
			xdp_run(dataplane_xdp_fd(dp), if_a, warm.b, warm.len, &on);
			CU_ASSERT_EQUAL(on.verdict, XDP_REDIRECT);
			xdp_run(dataplane_xdp_fd(dp), if_a, f.b, f.len, &on);
			if (on.verdict != off.verdict)
				fprintf(stderr, "\n  %s, %zu bytes: verdict %d cached, %d uncached",
					dsts[d], sizes[i], on.verdict, off.verdict);
			CU_ASSERT_EQUAL(on.verdict, off.verdict);
			CU_ASSERT_TRUE(bytes_equal(on.frame, on.frame_len, off.frame, off.frame_len,
						   "cached vs uncached"));
		}
}

/* A policy rule on the destination port: each port's frames keep their own next
 * hop, warm entries or not. */
static void test_policy_rule_by_port(void)
{
	struct fb f7, f9, want7, want9;

	CU_ASSERT_EQUAL_FATAL(tu_sh("ip -6 route add 2001:db8:9::/64 via 2001:db8:2::5 table 100 && "
				    "ip -6 rule add dport 9 table 100 priority 100"), 0);
	dataplane_fib_invalidate(dp);	/* what fibwatch does on the rule's event */
	udp_to(&f7, "2001:db8:9::20", 64, 50);
	fb_eth(&f9, mac_a, mac_talker);
	fb_ipv6(&f9, "2001:db8:1::10", "2001:db8:9::20", 64, 0);
	fb_udp(&f9, 4000, 9, 50);
	fb_done(&f9);
	fb_routed(&f7, &want7, mac_host2, mac_b);
	fb_routed(&f9, &want9, mac_host5, mac_b);
	for (int i = 0; i < 3; i++) {
		EXPECT_REDIRECT(&f7, &want7);
		EXPECT_REDIRECT(&f9, &want9);
	}
	tu_sh("ip -6 rule del dport 9 table 100 priority 100; ip -6 route flush table 100");
	dataplane_fib_invalidate(dp);
}

static void test_hop_limit_goes_to_kernel(void)
{
	struct fb f, want;

	udp_to(&f, "2001:db8:9::3", 64, 20);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	EXPECT_REDIRECT(&f, &want);
	udp_to(&f, "2001:db8:9::3", 1, 20);
	EXPECT_PASS(&f, TSN_PASS_HOP_LIMIT);
	udp_to(&f, "2001:db8:9::3", 0, 20);
	EXPECT_PASS(&f, TSN_PASS_HOP_LIMIT);
}

static void test_failures_not_cached(void)
{
	struct tsn_fib_val v;
	struct fb f;

	udp_to(&f, "2001:db8:2::3", 64, 20);		/* no neighbour entry */
	EXPECT_PASS(&f, TSN_PASS_NO_NEIGH);
	CU_ASSERT_FALSE(entry_of(&f, &v));
	udp_to(&f, "2001:db8:99::1", 64, 20);		/* no route */
	EXPECT_PASS(&f, TSN_PASS_NOT_FWDED);
	CU_ASSERT_FALSE(entry_of(&f, &v));
	udp_to(&f, "2001:db8:2::1", 64, 20);		/* the switch's own address */
	EXPECT_PASS(&f, TSN_PASS_NOT_FWDED);
	CU_ASSERT_FALSE(entry_of(&f, &v));
}

static void test_off_caches_nothing(void)
{
	struct tsn_fib_val v;
	struct fb f, want;

	dataplane_fib_watched(dp, false);
	CU_ASSERT_EQUAL(fib_ctl().on, 0);
	udp_to(&f, "2001:db8:9::4", 64, 20);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	CU_ASSERT_FALSE(entry_of(&f, &v));
	dataplane_fib_watched(dp, true);
	CU_ASSERT_EQUAL(fib_ctl().on, 1);
}

/* UDP from 2001:db8:1::10 to 2001:db8:9::30, the destination port chosen so that
 * the frames of n flows share one set: out[0..n-1].  Returns that set. */
static __u32 same_set_flows(struct fb *out, int n)
{
	struct tsn_fib_key k;
	__u32 want = 0;
	int found = 0;

	for (unsigned port = 1000; port < 60000 && found < n; port++) {
		struct fb *f = &out[found];

		fb_eth(f, mac_a, mac_talker);
		fb_ipv6(f, "2001:db8:1::10", "2001:db8:9::30", 64, 0);
		fb_udp(f, 4000, (uint16_t)port, 40);
		fb_done(f);
		key_of(f, &k);
		if (!found)
			want = set_of(&k);
		if (set_of(&k) == want)
			found++;
	}
	CU_ASSERT_EQUAL_FATAL(found, n);
	return want;
}

/* Ways of one set: TSN_FIB_WAYS flows that collide all stay (each its own way,
 * each served from its own entry); one more replaces the way the set's round
 * robin points at, and the flow it replaced misses and comes back in the next
 * way.  A new generation's flows take the dead ways first. */
static void test_set_collisions(void)
{
	struct fb f[TSN_FIB_WAYS + 1], want[TSN_FIB_WAYS + 1];
	struct tsn_fib_key k[TSN_FIB_WAYS + 1];
	struct tsn_fib_set *s;
	struct tsn_fib_val v;
	__u32 idx, next;
	int w, gone = -1;

	dataplane_fib_invalidate(dp);	/* every way of every set dead */
	idx = same_set_flows(f, TSN_FIB_WAYS + 1);
	for (int i = 0; i <= TSN_FIB_WAYS; i++) {
		key_of(&f[i], &k[i]);
		fb_routed(&f[i], &want[i], mac_host2, mac_b);
	}
	for (int i = 0; i < TSN_FIB_WAYS; i++)
		EXPECT_REDIRECT(&f[i], &want[i]);
	s = sets_read(idx);
	for (int i = 0; i < TSN_FIB_WAYS; i++) {
		w = way_of(&s[cpu], &k[i]);
		/* Dead ways are taken in order. */
		CU_ASSERT_EQUAL(w, i);
		CU_ASSERT_EQUAL(s[cpu].way[i].val.gen, fib_ctl().gen);
	}
	next = s[cpu].next;
	free(s);
	/* Each is a hit on its own entry. */
	for (int i = 0; i < TSN_FIB_WAYS; i++)
		mark_entry(&f[i]);
	for (int i = 0; i < TSN_FIB_WAYS; i++) {
		struct fb m;

		fb_routed(&f[i], &m, marker, mac_b);
		EXPECT_REDIRECT(&f[i], &m);
	}
	/* One more: replaces way next, and only that one. */
	EXPECT_REDIRECT(&f[TSN_FIB_WAYS], &want[TSN_FIB_WAYS]);
	s = sets_read(idx);
	CU_ASSERT_EQUAL(way_of(&s[cpu], &k[TSN_FIB_WAYS]), (int)(next % TSN_FIB_WAYS));
	for (int i = 0; i < TSN_FIB_WAYS; i++) {
		w = way_of(&s[cpu], &k[i]);
		if (w < 0)
			gone = i;
		else
			CU_ASSERT_EQUAL(memcmp(s[cpu].way[w].val.dmac, marker, 6), 0);
	}
	CU_ASSERT_EQUAL(gone, (int)(next % TSN_FIB_WAYS));
	CU_ASSERT_EQUAL(s[cpu].next, next % TSN_FIB_WAYS + 1);
	free(s);
	CU_ASSERT_FATAL(gone >= 0);
	/* The replaced flow: a miss (the FIB's MAC, not the marker), cached again
	 * in the next way. */
	EXPECT_REDIRECT(&f[gone], &want[gone]);
	s = sets_read(idx);
	CU_ASSERT_EQUAL(way_of(&s[cpu], &k[gone]), (int)((next + 1) % TSN_FIB_WAYS));
	CU_ASSERT_EQUAL(way_of(&s[cpu], &k[TSN_FIB_WAYS]), (int)(next % TSN_FIB_WAYS));
	free(s);
	/* A new generation: the entries are dead and the ways they hold are taken
	 * first; a key of another generation keeps its own way (never two). */
	dataplane_fib_invalidate(dp);
	w = -1;
	s = sets_read(idx);
	for (int i = 0; i <= TSN_FIB_WAYS; i++)
		if (way_of(&s[cpu], &k[i]) == 2)
			w = i;
	free(s);
	CU_ASSERT_FATAL(w >= 0);
	EXPECT_REDIRECT(&f[w], &want[w]);
	s = sets_read(idx);
	CU_ASSERT_EQUAL(way_of(&s[cpu], &k[w]), 2);
	CU_ASSERT_EQUAL(s[cpu].way[2].val.gen, fib_ctl().gen);
	free(s);
	CU_ASSERT_TRUE(entry_on(cpu, &k[w], &v) && v.gen == fib_ctl().gen);
}

/* The cache is per CPU: a flow's entry on one CPU is not another CPU's, each
 * CPU looks up and caches on its own. */
static void test_two_cpus(void)
{
	struct tsn_fib_key k;
	struct tsn_fib_val v;
	struct fb f, want, m;
	int other;

	for (other = 0; other < ncpus && other < CPU_SETSIZE; other++)
		if (other != cpu && CPU_ISSET(other, &old_affinity))
			break;
	if (other >= ncpus || other >= CPU_SETSIZE) {
		fprintf(stderr, "\n  one CPU only: not tested ");
		return;
	}
	udp_to(&f, "2001:db8:9::31", 64, 60);
	key_of(&f, &k);
	fb_routed(&f, &want, mac_host2, mac_b);
	fb_routed(&f, &m, marker, mac_b);
	EXPECT_REDIRECT(&f, &want);
	CU_ASSERT_TRUE(entry_on(cpu, &k, NULL));
	CU_ASSERT_FALSE(entry_on(other, &k, NULL));
	mark_entry_on(cpu, &f);
	CU_ASSERT_EQUAL_FATAL(pin_to(other), 0);
	EXPECT_REDIRECT(&f, &want);		/* a miss there: the FIB's MAC */
	CU_ASSERT_TRUE(entry_on(other, &k, &v) && !memcmp(v.dmac, mac_host2, 6));
	EXPECT_REDIRECT(&f, &want);
	CU_ASSERT_EQUAL_FATAL(pin_to(cpu), 0);
	EXPECT_REDIRECT(&f, &m);		/* this CPU's entry, marked */
	CU_ASSERT_TRUE(entry_on(cpu, &k, &v) && !memcmp(v.dmac, marker, 6));
}

/* The kernel changes a neighbour's MAC, a route's next hop, a link's MTU, and
 * fibwatch tells the cache. */
static void test_kernel_changes(void)
{
	char err[256];
	struct evloop *loop = evloop_new();
	struct fibwatch *w;
	struct fb f, want;

	CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
	w = fibwatch_open(loop, on_change, dp, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);

	/* Neighbour: 2001:db8:2::2 moves to another MAC. */
	udp_to(&f, "2001:db8:2::2", 64, 20);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	EXPECT_REDIRECT(&f, &want);
	CU_ASSERT_EQUAL(tu_sh("ip -6 neigh replace 2001:db8:2::2 lladdr 02:00:00:00:02:99 dev fb0 "
			      "nud permanent"), 0);
	run_loop(loop, 50);
	fb_routed(&f, &want, mac_moved, mac_b);
	EXPECT_REDIRECT(&f, &want);

	/* Route: 2001:db8:9::/64 now via 2001:db8:2::5. */
	udp_to(&f, "2001:db8:9::7", 64, 20);
	fb_routed(&f, &want, mac_moved, mac_b);
	EXPECT_REDIRECT(&f, &want);
	EXPECT_REDIRECT(&f, &want);
	CU_ASSERT_EQUAL(tu_sh("ip -6 route replace 2001:db8:9::/64 via 2001:db8:2::5"), 0);
	run_loop(loop, 50);
	fb_routed(&f, &want, mac_host5, mac_b);
	EXPECT_REDIRECT(&f, &want);

	/* Link: fb0's MTU drops to 1400; a 1450-byte packet cached at 1500 goes
	 * to the kernel now. */
	udp_to(&f, "2001:db8:9::8", 64, 1450 - 48);
	fb_routed(&f, &want, mac_host5, mac_b);
	EXPECT_REDIRECT(&f, &want);
	EXPECT_REDIRECT(&f, &want);
	CU_ASSERT_EQUAL(tu_sh("ip link set fb0 mtu 1400"), 0);
	run_loop(loop, 50);
	EXPECT_PASS(&f, TSN_PASS_MTU);

	/* Address: 2001:db8:2::5 becomes the switch's own: not forwarded. */
	udp_to(&f, "2001:db8:2::5", 64, 20);
	fb_routed(&f, &want, mac_host5, mac_b);
	EXPECT_REDIRECT(&f, &want);
	EXPECT_REDIRECT(&f, &want);
	CU_ASSERT_EQUAL(tu_sh("ip -6 addr add 2001:db8:2::5/128 dev fb0 nodad"), 0);
	run_loop(loop, 50);
	EXPECT_PASS(&f, TSN_PASS_NOT_FWDED);

	tu_sh("ip -6 addr del 2001:db8:2::5/128 dev fb0; ip link set fb0 mtu 1500; "
	      "ip -6 route replace 2001:db8:9::/64 via 2001:db8:2::2; "
	      "ip -6 neigh replace 2001:db8:2::2 lladdr 02:00:00:00:02:02 dev fb0 nud permanent");
	fibwatch_close(w);
	evloop_free(loop);
	dataplane_fib_invalidate(dp);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("bpf_fibcache", suite_init, suite_cleanup);
	if (!suite ||
	    !CU_add_test(suite, "a hit gives the bytes of a lookup", test_hit_same_bytes) ||
	    !CU_add_test(suite, "a new generation misses", test_new_generation_misses) ||
	    !CU_add_test(suite, "the egress decision follows the tables' serial",
			 test_decision_follows_serial) ||
	    !CU_add_test(suite, "too long for the cached MTU: to the kernel",
			 test_too_long_goes_to_kernel) ||
	    !CU_add_test(suite, "every MTU: cached as uncached", test_mtu_matches_uncached) ||
	    !CU_add_test(suite, "a policy rule on ports", test_policy_rule_by_port) ||
	    !CU_add_test(suite, "hop limit 1 with an entry: to the kernel",
			 test_hop_limit_goes_to_kernel) ||
	    !CU_add_test(suite, "failed lookups are not cached", test_failures_not_cached) ||
	    !CU_add_test(suite, "off: nothing cached", test_off_caches_nothing) ||
	    !CU_add_test(suite, "flows of one set: its ways, then round robin",
			 test_set_collisions) ||
	    !CU_add_test(suite, "one cache per CPU", test_two_cpus) ||
	    !CU_add_test(suite, "kernel changes reach the cache through fibwatch",
			 test_kernel_changes)) {
		CU_cleanup_registry();
		return 2;
	}
	return tu_run_tests();
}
