/* SPDX-License-Identifier: GPL-2.0-only */
/* test_bpf_classifier.c — the XDP classifier (bpf/dataplane.bpf.c) on crafted
 * frames through BPF_PROG_RUN, with tables written by the real loader
 * (daemon/dataplane/dataplane.c, daemon/dataplane/classifier.c) from a real configuration.
 *
 * The verdict is the kernel's, the stream id, priority and class are read from the
 * metadata the program leaves for tc, the counters from the per-CPU maps.  The
 * test runs in a network namespace of its own with one veth port, ca0, which the
 * frames claim to arrive on.  Needs root. */
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
#include "classifier.h"
#include "dataplane.h"
#include "test_util.h"
#include "dp_util.h"
#include "tsn/log.h"
#include "dp_skel.h"

#define PORT "ca0"

static struct dataplane *dp;
static int ifindex;
static uint8_t port_mac[6];

static const uint8_t mac_null_stream[6] = { 0x01, 0x1b, 0x19, 0x00, 0x00, 0x00 };
static const uint8_t mac_talker[6] = { 0x02, 0x00, 0x00, 0x00, 0xaa, 0x01 };
static const uint8_t mac_other[6] = { 0x02, 0x00, 0x00, 0x00, 0xcc, 0x03 };

/* The streams and rules every test classifies against. */
static const char *const base_streams =
	"classification:\n"
	"  default-priority: 1\n"
	"  ethertype:\n"
	"    - { ethertype: 0x88b5, priority: 3 }\n"
	"  pcp:\n"
	"    - { pcp: 5, priority: 4 }\n"
	"  dscp:\n"
	"    - { dscp: 46, priority: 6 }\n"
	"streams:\n"
	"  - { id: 1, identification: ipv6, src: \"2001:db8:1::10\", dst: \"2001:db8:2::20\", dscp: 10,\n"
	"      next-header: 17, src-port: 1000, dst-port: 5000, priority: 7 }\n"
	"  - { id: 2, identification: ipv6, dst: \"2001:db8:2::20\", priority: 2 }\n"
	"  - { id: 3, identification: ipv6, dst: \"2001:db8:2::20\", next-header: 17, dst-port: 6000,\n"
	"      priority: 5 }\n"
	"  - { id: 4, identification: dst-mac-vlan, dst-mac: \"01:1b:19:00:00:00\", vlan: 100, priority: 6 }\n"
	"  - { id: 5, identification: dst-mac-vlan, dst-mac: \"01:1b:19:00:00:00\", priority: 4 }\n"
	"  - { id: 6, identification: src-mac-vlan, src-mac: \"02:00:00:00:aa:01\", vlan: 100, priority: 3 }\n"
	"  - { id: 7, identification: ipv6, src: \"2001:db8:1::77\", vlan: 200, priority: 1 }\n"
	"  - { id: 8, identification: ipv6, dst: \"2001:db8:2::30\", next-header: 6, priority: 6 }\n";

/* A port section: plain, or with a schedule (and an unmatched-priority policy). */
static const char *const port_plain =
	"ports:\n"
	"  - { name: " PORT ", xdp: generic }\n";
static const char *const port_scheduled =
	"ports:\n"
	"  - name: " PORT "\n"
	"    xdp: generic\n"
	"    unmatched-priority: %s\n"
	"    schedule:\n"
	"      num-tc: 3\n"
	"      map: [0, 0, 0, 1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0]\n"
	"      queues: [\"1@0\", \"1@1\", \"1@2\"]\n"
	"      entries:\n"
	"        - { gates: [2], interval: 100us }\n"
	"        - { gates: [0, 2], interval: 900us }\n";

/* ---- helpers ---- */

static int apply_yaml(const char *yaml, char *err, size_t errlen)
{
	return tu_dp_apply(dp, yaml, err, errlen);
}

static int apply_config(const char *ports, const char *rest)
{
	char yaml[8192], err[512];
	int rc;

	snprintf(yaml, sizeof(yaml), "%s%s", ports, rest);
	rc = apply_yaml(yaml, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "\n  apply: %s", err);
	return rc;
}

static void classify(const struct fb *f, struct xdp_result *r)
{
	xdp_run(dataplane_xdp_fd(dp), ifindex, f->b, f->len, r);
}

/* Where the kernel refuses XDP metadata (docs/dataplane.md) the decision shows
 * in the counters instead: the stream's, and the port's per class.  The
 * priority has no counter of its own; the class follows from it. */
static void expect_class_counted(const struct fb *f, uint32_t want_stream, int want_tc, int line)
{
	struct tsn_stream_counters s0 = { 0 }, s1 = { 0 };
	struct port_counters p0, p1;
	struct xdp_result r;

	CU_ASSERT_EQUAL(dataplane_port_counters(dp, ifindex, &p0), 0);
	if (want_stream)
		CU_ASSERT_EQUAL(dataplane_stream_counters(dp, want_stream, &s0), 0);
	classify(f, &r);
	CU_ASSERT_EQUAL(dataplane_port_counters(dp, ifindex, &p1), 0);
	if (want_stream)
		CU_ASSERT_EQUAL(dataplane_stream_counters(dp, want_stream, &s1), 0);
	if (r.err || r.verdict != XDP_PASS || (want_stream && s1.packets != s0.packets + 1) ||
	    (want_tc >= 0 && p1.tc[want_tc].packets != p0.tc[want_tc].packets + 1))
		fprintf(stderr, "\n  line %d: err %d verdict %d: stream %u counted %llu -> %llu, class %d "
			"counted %llu -> %llu", line, r.err, r.verdict, want_stream,
			(unsigned long long)s0.packets, (unsigned long long)s1.packets, want_tc,
			want_tc >= 0 ? (unsigned long long)p0.tc[want_tc].packets : 0ull,
			want_tc >= 0 ? (unsigned long long)p1.tc[want_tc].packets : 0ull);
	CU_ASSERT_EQUAL(r.err, 0);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_EQUAL(r.meta_len, 0);
	if (want_stream)
		CU_ASSERT_EQUAL(s1.packets, s0.packets + 1);
	if (want_tc >= 0)
		CU_ASSERT_EQUAL(p1.tc[want_tc].packets, p0.tc[want_tc].packets + 1);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, f->b, f->len, "frame"));
}

/* Classify and check stream id and priority (and class, if want_tc >= 0). */
#define EXPECT_CLASS(f, want_stream, want_prio, want_tc) \
	expect_class(f, want_stream, want_prio, want_tc, __LINE__)

static void expect_class(const struct fb *f, uint32_t want_stream, unsigned want_prio, int want_tc,
			 int line)
{
	struct xdp_result r;

	if (!dataplane_xdp_meta_ok()) {
		expect_class_counted(f, want_stream, want_tc, line);
		return;
	}
	classify(f, &r);
	if (r.err || r.verdict != XDP_PASS || !r.has_meta || r.meta.stream_id != want_stream ||
	    r.meta.priority != want_prio || (want_tc >= 0 && r.meta.tc != want_tc))
		fprintf(stderr, "\n  line %d: err %d verdict %d meta %d: stream %u prio %u tc %u; want "
			"stream %u prio %u tc %d", line, r.err, r.verdict, r.has_meta,
			r.meta.stream_id, r.meta.priority, r.meta.tc, want_stream, want_prio, want_tc);
	CU_ASSERT_EQUAL(r.err, 0);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_TRUE(r.has_meta);
	CU_ASSERT_EQUAL(r.meta.stream_id, want_stream);
	CU_ASSERT_EQUAL(r.meta.priority, want_prio);
	if (want_tc >= 0)
		CU_ASSERT_EQUAL(r.meta.tc, (unsigned)want_tc);
	CU_ASSERT_EQUAL(!!(r.meta.flags & TSN_META_STREAM), want_stream != 0);
	/* Classifying never changes the frame. */
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, f->b, f->len, "frame"));
}

/* A UDP frame from src to dst, to the port's own MAC, with optional tags. */
static void udp_frame(struct fb *f, const char *src, const char *dst, unsigned dscp, unsigned sport,
		      unsigned dport)
{
	fb_eth(f, port_mac, mac_other);
	fb_ipv6(f, src, dst, 64, dscp);
	fb_udp(f, sport, dport, 16);
	fb_done(f);
}

static struct tsn_stream_counters stream_counters(uint32_t id)
{
	struct tsn_stream_counters sum;

	dataplane_stream_counters(dp, id, &sum);
	return sum;
}

static struct port_counters port_counters_now(void)
{
	struct port_counters sum;

	dataplane_port_counters(dp, ifindex, &sum);
	return sum;
}

/* Entries of a generational hash map, by generation (gen byte at gen_off). */
static void count_by_gen(const char *map, size_t key_size, size_t gen_off, size_t counts[2])
{
	int fd = dataplane_map_fd(dp, map);
	uint8_t key[64], next[64];
	int rc;

	counts[0] = counts[1] = 0;
	for (rc = bpf_map_get_next_key(fd, NULL, next); rc == 0; rc = bpf_map_get_next_key(fd, key, next)) {
		memcpy(key, next, key_size);
		counts[next[gen_off] & 1]++;
	}
}

static uint32_t active_gen(void)
{
	struct tsn_gen g = { 0 };
	uint32_t zero = 0;

	bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_gen"), &zero, &g);
	return g.active;
}

/* ---- fixtures ---- */

static int suite_init(void)
{
	char err[512];

	tsn_log_setup("test_bpf_classifier", TSN_LOG_STDERR,
		      getenv("TSN_TEST_DEBUG") ? TSN_LOG_DEBUG : TSN_LOG_ERR);
	if (tu_netns_enter() < 0)
		return -1;
	/* No IPv6 in this namespace: the peer's router solicitations, DAD and MLD
	 * would reach the attached program and add to the counters the tests read. */
	if (tu_sh("sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1"))
		return -1;
	if (tu_sh("ip link add " PORT " type veth peer name ca1 && ip link set " PORT " up && "
		  "ip link set ca1 up && ip link set " PORT " address 02:00:00:00:00:c0"))
		return -1;
	ifindex = (int)if_nametoindex(PORT);
	memcpy(port_mac, "\x02\x00\x00\x00\x00\xc0", 6);
	dp = dataplane_create(NULL, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "dataplane_create: %s\n", err);
		return -1;
	}
	return 0;
}

static int suite_cleanup(void)
{
	dataplane_destroy(dp, false);
	tu_sh("ip link del " PORT " 2>/dev/null");
	tu_netns_leave();
	return 0;
}

/* ---- identification ---- */

static void test_ipv6_identification(void)
{
	struct fb f;

	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain, base_streams), 0);
	/* Every field of stream 1. */
	udp_frame(&f, "2001:db8:1::10", "2001:db8:2::20", 10, 1000, 5000);
	EXPECT_CLASS(&f, 1, 7, 7);
	/* One field off (DSCP, source port, source): the less specific stream 2. */
	udp_frame(&f, "2001:db8:1::10", "2001:db8:2::20", 0, 1000, 5000);
	EXPECT_CLASS(&f, 2, 2, 2);
	udp_frame(&f, "2001:db8:1::10", "2001:db8:2::20", 10, 1001, 5000);
	EXPECT_CLASS(&f, 2, 2, 2);
	udp_frame(&f, "2001:db8:1::11", "2001:db8:2::20", 10, 1000, 5000);
	EXPECT_CLASS(&f, 2, 2, 2);
	/* Destination + next header + port beats destination alone. */
	udp_frame(&f, "2001:db8:1::99", "2001:db8:2::20", 0, 7, 6000);
	EXPECT_CLASS(&f, 3, 5, 5);
	/* Next header 6: a TCP frame matches stream 8, a UDP one does not. */
	fb_eth(&f, port_mac, mac_other);
	fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::30", 64, 0);
	fb_l4(&f, 6, 20);
	fb_done(&f);
	EXPECT_CLASS(&f, 8, 6, 6);
	udp_frame(&f, "2001:db8:1::1", "2001:db8:2::30", 0, 7, 6000);
	EXPECT_CLASS(&f, 0, 1, 1);
	/* No stream, no rule: the default priority. */
	udp_frame(&f, "2001:db8:1::1", "2001:db8:2::99", 0, 7, 6000);
	EXPECT_CLASS(&f, 0, 1, 1);
}

static void test_mac_identification(void)
{
	struct fb f;

	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain, base_streams), 0);
	/* Null stream identification: destination MAC + VLAN 100. */
	fb_eth(&f, mac_null_stream, mac_other);
	fb_vlan(&f, 0x8100, 0, 100);
	fb_ethertype(&f, 0x22f0, 30);
	EXPECT_CLASS(&f, 4, 6, -1);
	/* The same MAC untagged is stream 5 ("vlan" absent: untagged). */
	fb_eth(&f, mac_null_stream, mac_other);
	fb_ethertype(&f, 0x22f0, 30);
	EXPECT_CLASS(&f, 5, 4, -1);
	/* VID 101: neither. */
	fb_eth(&f, mac_null_stream, mac_other);
	fb_vlan(&f, 0x8100, 0, 101);
	fb_ethertype(&f, 0x22f0, 30);
	EXPECT_CLASS(&f, 0, 1, -1);
	/* Source MAC + VLAN. */
	fb_eth(&f, mac_other, mac_talker);
	fb_vlan(&f, 0x8100, 0, 100);
	fb_ethertype(&f, 0x22f0, 30);
	EXPECT_CLASS(&f, 6, 3, -1);
	/* Both MAC kinds match: destination MAC wins. */
	fb_eth(&f, mac_null_stream, mac_talker);
	fb_vlan(&f, 0x8100, 0, 100);
	fb_ethertype(&f, 0x22f0, 30);
	EXPECT_CLASS(&f, 4, 6, -1);
	/* An ipv6 stream and a MAC stream match: ipv6 wins. */
	fb_eth(&f, mac_null_stream, mac_talker);
	fb_vlan(&f, 0x8100, 0, 100);
	fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::20", 64, 0);
	fb_udp(&f, 1, 2, 8);
	fb_done(&f);
	EXPECT_CLASS(&f, 2, 2, -1);
}

/* VLAN in stream keys: the outer tag's VID, 802.1Q or 802.1ad. */
static void test_vlan_and_qinq(void)
{
	struct fb f;

	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain, base_streams), 0);
	/* Stream 7: source 2001:db8:1::77 on VLAN 200. */
	fb_eth(&f, port_mac, mac_other);
	fb_vlan(&f, 0x8100, 0, 200);
	fb_ipv6(&f, "2001:db8:1::77", "2001:db8:9::1", 64, 0);
	fb_udp(&f, 1, 2, 8);
	fb_done(&f);
	EXPECT_CLASS(&f, 7, 1, -1);
	fb_eth(&f, port_mac, mac_other);
	fb_ipv6(&f, "2001:db8:1::77", "2001:db8:9::1", 64, 0);
	fb_udp(&f, 1, 2, 8);
	fb_done(&f);
	EXPECT_CLASS(&f, 0, 1, -1);
	/* QinQ: the outer (S-)tag's VID counts; the IPv6 header behind both tags is found. */
	fb_eth(&f, port_mac, mac_other);
	fb_vlan(&f, 0x88a8, 0, 200);
	fb_vlan(&f, 0x8100, 0, 300);
	fb_ipv6(&f, "2001:db8:1::77", "2001:db8:9::1", 64, 0);
	fb_udp(&f, 1, 2, 8);
	fb_done(&f);
	EXPECT_CLASS(&f, 7, 1, -1);
	fb_eth(&f, port_mac, mac_other);
	fb_vlan(&f, 0x88a8, 0, 300);
	fb_vlan(&f, 0x8100, 0, 200);
	fb_ipv6(&f, "2001:db8:1::77", "2001:db8:9::1", 64, 0);
	fb_udp(&f, 1, 2, 8);
	fb_done(&f);
	EXPECT_CLASS(&f, 0, 1, -1);
	/* QinQ behind which a port-matched stream sits. */
	fb_eth(&f, port_mac, mac_other);
	fb_vlan(&f, 0x88a8, 5, 300);
	fb_vlan(&f, 0x8100, 0, 301);
	fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::20", 64, 0);
	fb_udp(&f, 1, 6000, 8);
	fb_done(&f);
	EXPECT_CLASS(&f, 3, 5, -1);
}

/* ---- default rules ---- */

static void test_default_rules(void)
{
	struct fb f;

	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain, base_streams), 0);
	/* Configured EtherType. */
	fb_eth(&f, mac_other, mac_other);
	fb_ethertype(&f, 0x88b5, 40);
	EXPECT_CLASS(&f, 0, 3, 3);
	/* Built-in EtherTypes: PTP 7, PROFINET RT 6. */
	fb_eth(&f, mac_other, mac_other);
	fb_ethertype(&f, 0x88f7, 44);
	EXPECT_CLASS(&f, 0, 7, 7);
	fb_eth(&f, mac_other, mac_other);
	fb_ethertype(&f, 0x8892, 40);
	EXPECT_CLASS(&f, 0, 6, 6);
	/* DSCP 46. */
	udp_frame(&f, "2001:db8:1::1", "2001:db8:2::99", 46, 1, 2);
	EXPECT_CLASS(&f, 0, 6, 6);
	/* PCP 5 (tagged, not IP). */
	fb_eth(&f, mac_other, mac_other);
	fb_vlan(&f, 0x8100, 5, 7);
	fb_ethertype(&f, 0x22f0, 40);
	EXPECT_CLASS(&f, 0, 4, 4);
	/* PCP 3 has no rule: default. */
	fb_eth(&f, mac_other, mac_other);
	fb_vlan(&f, 0x8100, 3, 7);
	fb_ethertype(&f, 0x22f0, 40);
	EXPECT_CLASS(&f, 0, 1, 1);
	/* Order: EtherType before DSCP before PCP. */
	fb_eth(&f, mac_other, mac_other);
	fb_vlan(&f, 0x8100, 5, 7);
	fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::99", 64, 46);
	fb_udp(&f, 1, 2, 8);
	fb_done(&f);
	EXPECT_CLASS(&f, 0, 6, 6);
	fb_eth(&f, mac_other, mac_other);
	fb_vlan(&f, 0x8100, 5, 7);
	fb_ethertype(&f, 0x88f7, 44);
	EXPECT_CLASS(&f, 0, 7, 7);
	/* A configured rule replaces a built-in one. */
	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain,
		"classification:\n  ethertype:\n    - { ethertype: 0x88f7, priority: 2 }\n"), 0);
	fb_eth(&f, mac_other, mac_other);
	fb_ethertype(&f, 0x88f7, 44);
	EXPECT_CLASS(&f, 0, 2, 2);
	fb_eth(&f, mac_other, mac_other);
	fb_ethertype(&f, 0x8892, 40);
	EXPECT_CLASS(&f, 0, 6, 6);
}

/* ---- IPv6 extension headers ---- */

static void test_extension_headers(void)
{
	static const unsigned walkable[] = { 0, 43, 60 };
	struct fb f;

	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain, base_streams), 0);
	/* Each walkable header in front of UDP: the ports are found (stream 3). */
	for (size_t i = 0; i < sizeof(walkable) / sizeof(walkable[0]); i++) {
		fb_eth(&f, port_mac, mac_other);
		fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::20", 64, 0);
		fb_ext(&f, walkable[i], i);	/* 8, 16, 24 bytes */
		fb_udp(&f, 1, 6000, 8);
		fb_done(&f);
		EXPECT_CLASS(&f, 3, 5, -1);
	}
	/* Hop-by-hop, destination options, routing, destination options: four. */
	fb_eth(&f, port_mac, mac_other);
	fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::20", 64, 0);
	fb_ext(&f, 0, 0);
	fb_ext(&f, 60, 1);
	fb_ext(&f, 43, 0);
	fb_ext(&f, 60, 2);
	fb_udp(&f, 1, 6000, 8);
	fb_done(&f);
	EXPECT_CLASS(&f, 3, 5, -1);
	/* A fifth header is not walked: no ports, the destination-only stream. */
	fb_eth(&f, port_mac, mac_other);
	fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::20", 64, 0);
	fb_ext(&f, 0, 0);
	fb_ext(&f, 60, 0);
	fb_ext(&f, 43, 0);
	fb_ext(&f, 60, 0);
	fb_ext(&f, 60, 0);
	fb_udp(&f, 1, 6000, 8);
	fb_done(&f);
	EXPECT_CLASS(&f, 2, 2, -1);
	/* Hop-by-hop anywhere but first is not walked. */
	fb_eth(&f, port_mac, mac_other);
	fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::20", 64, 0);
	fb_ext(&f, 60, 0);
	fb_ext(&f, 0, 0);
	fb_udp(&f, 1, 6000, 8);
	fb_done(&f);
	EXPECT_CLASS(&f, 2, 2, -1);
	/* Fragments are never matched on ports, the first one neither. */
	fb_eth(&f, port_mac, mac_other);
	fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::20", 64, 0);
	fb_frag(&f, 0, 1);
	fb_udp(&f, 1, 6000, 8);
	fb_done(&f);
	EXPECT_CLASS(&f, 2, 2, -1);
	fb_eth(&f, port_mac, mac_other);
	fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::20", 64, 0);
	fb_frag(&f, 100, 0);
	fb_l4(&f, 17, 40);	/* the fragment header says UDP, the bytes are data */
	fb_done(&f);
	EXPECT_CLASS(&f, 2, 2, -1);
	/* ... but their next header is known: TCP fragments match stream 8. */
	fb_eth(&f, port_mac, mac_other);
	fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::30", 64, 0);
	fb_frag(&f, 100, 1);
	fb_l4(&f, 6, 40);
	fb_done(&f);
	EXPECT_CLASS(&f, 8, 6, -1);
	/* The walk ends at a fragment header, first fragment or not: behind it a
	 * later fragment carries payload, which must not be read as headers.  The
	 * fragment header names destination options here, so the upper layer is
	 * unknown in every fragment and none matches stream 8 (TCP), neither the
	 * first (whose options header does say TCP) nor later ones whose payload
	 * happens to look like an options header saying TCP or UDP. */
	for (unsigned proto = 6; proto <= 17; proto += 11) {
		for (unsigned off = 0; off <= 100; off += 100) {
			fb_eth(&f, port_mac, mac_other);
			fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::30", 64, 0);
			fb_frag(&f, off, off == 0);
			fb_ext(&f, 60, 0);
			fb_l4(&f, proto, 20);
			fb_done(&f);
			EXPECT_CLASS(&f, 0, 1, -1);
		}
	}
	/* AH is not walked: the next header is unknown, so stream 8 cannot match. */
	fb_eth(&f, port_mac, mac_other);
	fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::30", 64, 0);
	fb_ah(&f);
	fb_l4(&f, 6, 20);
	fb_done(&f);
	EXPECT_CLASS(&f, 0, 1, -1);
	/* An extension header cut short by the end of the frame. */
	fb_eth(&f, port_mac, mac_other);
	fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::30", 64, 0);
	fb_ext(&f, 60, 4);
	f.len -= 8;
	fb_done(&f);
	EXPECT_CLASS(&f, 0, 1, -1);
}

/* Every cut of a long frame: the verifier guarantees no read past the end; this
 * checks that what is classified is what the frame still holds. */
static void test_truncated_at_every_offset(void)
{
	struct port_counters before, after;
	struct fb f;
	size_t ports_end, l3_end;

	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain, base_streams), 0);
	fb_eth(&f, port_mac, mac_other);
	fb_vlan(&f, 0x88a8, 0, 200);
	fb_vlan(&f, 0x8100, 0, 201);
	fb_ipv6(&f, "2001:db8:1::1", "2001:db8:2::20", 64, 0);
	fb_ext(&f, 0, 0);
	fb_ext(&f, 60, 1);
	fb_udp(&f, 1, 6000, 20);
	fb_done(&f);
	l3_end = f.l3 + 40;
	ports_end = f.l4 + 4;
	EXPECT_CLASS(&f, 3, 5, -1);
	before = port_counters_now();
	for (size_t len = 14; len < f.len; len++) {
		struct fb cut = f;

		cut.len = len;
		/* Ports complete: stream 3; the IPv6 header complete: stream 2; else
		 * none (and the frame is malformed). */
		EXPECT_CLASS(&cut, len >= ports_end ? 3 : len >= l3_end ? 2 : 0,
			     len >= ports_end ? 5 : len >= l3_end ? 2 : 1, -1);
	}
	after = port_counters_now();
	CU_ASSERT_EQUAL(after.kind[TSN_KIND_MALFORMED].packets - before.kind[TSN_KIND_MALFORMED].packets,
			l3_end - 14);
	CU_ASSERT_EQUAL(after.kind[TSN_KIND_IPV6].packets - before.kind[TSN_KIND_IPV6].packets,
			f.len - l3_end);
}

/* ---- classes, counters, policy ---- */

static void test_classes_from_schedule_map(void)
{
	char cfg[4096];
	struct port_counters before, after;
	struct tsn_stream_counters s1, s3;
	struct fb f;

	snprintf(cfg, sizeof(cfg), port_scheduled, "pass");
	CU_ASSERT_EQUAL_FATAL(apply_config(cfg, base_streams), 0);
	before = port_counters_now();
	s1 = stream_counters(1);
	s3 = stream_counters(3);
	/* Priority 7 -> class 2, 5 -> 2, 2 -> 0, 1 -> 0, 3 -> 1 (map above). */
	udp_frame(&f, "2001:db8:1::10", "2001:db8:2::20", 10, 1000, 5000);
	EXPECT_CLASS(&f, 1, 7, 2);
	EXPECT_CLASS(&f, 1, 7, 2);
	udp_frame(&f, "2001:db8:1::10", "2001:db8:2::20", 10, 1000, 6000);
	EXPECT_CLASS(&f, 3, 5, 2);
	fb_eth(&f, mac_other, mac_other);
	fb_ethertype(&f, 0x88b5, 40);
	EXPECT_CLASS(&f, 0, 3, 1);
	after = port_counters_now();
	CU_ASSERT_EQUAL(after.tc[2].packets - before.tc[2].packets, 3);
	CU_ASSERT_EQUAL(after.tc[1].packets - before.tc[1].packets, 1);
	CU_ASSERT_EQUAL(after.tc[1].bytes - before.tc[1].bytes, f.len);
	CU_ASSERT_EQUAL(stream_counters(1).packets - s1.packets, 2);
	CU_ASSERT_EQUAL(stream_counters(1).bytes - s1.bytes, 2 * (14 + 40 + 8 + 16));
	CU_ASSERT_EQUAL(stream_counters(3).packets - s3.packets, 1);
}

/* tsn_strm_stats is a plain array with one region of TSN_MAX_STREAMS counter
 * sets per possible CPU (cheap to create, unlike a per-CPU map): a frame counts
 * in its stream's slot in the region of the CPU it ran on, and no other. */
static void test_stream_counters_per_cpu(void)
{
	int ncpus = libbpf_num_possible_cpus(), fd = dataplane_map_fd(dp, "tsn_strm_stats");
	struct tsn_stream_counters *before = calloc((size_t)ncpus, sizeof(*before)),
				   *after = calloc((size_t)ncpus, sizeof(*after));
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int slot;
	cpu_set_t old, one;
	char cfg[4096];
	struct fb f;

	CU_ASSERT_FATAL(before && after && ncpus > 0);
	memset(&info, 0, sizeof(info));
	CU_ASSERT_EQUAL_FATAL(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	CU_ASSERT_EQUAL(info.type, BPF_MAP_TYPE_ARRAY);
	CU_ASSERT_EQUAL(info.value_size, sizeof(struct tsn_stream_counters));
	CU_ASSERT_EQUAL(info.max_entries, (__u32)ncpus * TSN_MAX_STREAMS);
	snprintf(cfg, sizeof(cfg), port_scheduled, "pass");
	CU_ASSERT_EQUAL_FATAL(apply_config(cfg, base_streams), 0);
	slot = dataplane_stream_slot(dp, 1);
	CU_ASSERT_FATAL(slot >= 0 && slot < TSN_MAX_STREAMS);
	CU_ASSERT_EQUAL_FATAL(sched_getaffinity(0, sizeof(old), &old), 0);
	for (int cpu = 0; cpu < ncpus; cpu++) {
		if (!CPU_ISSET(cpu, &old))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		CU_ASSERT_EQUAL_FATAL(sched_setaffinity(0, sizeof(one), &one), 0);
		for (int c = 0; c < ncpus; c++) {
			__u32 key = (__u32)c * TSN_MAX_STREAMS + (__u32)slot;

			CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(fd, &key, &before[c]), 0);
		}
		udp_frame(&f, "2001:db8:1::10", "2001:db8:2::20", 10, 1000, 5000);
		EXPECT_CLASS(&f, 1, 7, 2);
		for (int c = 0; c < ncpus; c++) {
			__u32 key = (__u32)c * TSN_MAX_STREAMS + (__u32)slot;

			CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(fd, &key, &after[c]), 0);
		}
		for (int c = 0; c < ncpus; c++) {
			CU_ASSERT_EQUAL(after[c].packets - before[c].packets, c == cpu ? 1u : 0u);
			CU_ASSERT_EQUAL(after[c].bytes - before[c].bytes,
					c == cpu ? (__u64)f.len : 0u);
		}
	}
	sched_setaffinity(0, sizeof(old), &old);
	free(before);
	free(after);
}

/* Counters by slot across reloads: a stream keeps its slot and its counts, and so
 * does the port; a removed stream's slot is zeroed before a later new stream
 * gets it (the allocator hands out the lowest free slot). */
static void test_counter_slots(void)
{
	static const char *const s_ab =
		"streams:\n"
		"  - { id: 101, identification: ipv6, dst: \"2001:db8:2::21\", priority: 2 }\n"
		"  - { id: 102, identification: ipv6, dst: \"2001:db8:2::22\", priority: 3 }\n";
	static const char *const s_bc =
		"streams:\n"
		"  - { id: 102, identification: ipv6, dst: \"2001:db8:2::22\", priority: 3 }\n"
		"  - { id: 103, identification: ipv6, dst: \"2001:db8:2::23\", priority: 4 }\n";
	static const char *const s_bcd =
		"streams:\n"
		"  - { id: 102, identification: ipv6, dst: \"2001:db8:2::22\", priority: 3 }\n"
		"  - { id: 103, identification: ipv6, dst: \"2001:db8:2::23\", priority: 4 }\n"
		"  - { id: 104, identification: ipv6, dst: \"2001:db8:2::24\", priority: 5 }\n";
	int ncpus = libbpf_num_possible_cpus(), fd = dataplane_map_fd(dp, "tsn_strm_stats");
	int slot101, slot102, slot103, pslot;
	struct port_counters p1, p2;
	struct tsn_stream_counters sc;
	struct fb f;

	/* No streams: every slot free. */
	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain, "streams: []\n"), 0);
	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain, s_ab), 0);
	slot101 = dataplane_stream_slot(dp, 101);
	slot102 = dataplane_stream_slot(dp, 102);
	pslot = dataplane_port_slot(dp, ifindex);
	CU_ASSERT_FATAL(slot101 >= 0 && slot102 >= 0 && slot101 != slot102 && pslot > 0);
	CU_ASSERT_EQUAL(dataplane_stream_counters(dp, 101, &sc), 0);
	CU_ASSERT_EQUAL(sc.packets, 0);
	udp_frame(&f, "2001:db8:1::10", "2001:db8:2::21", 0, 1000, 5000);
	EXPECT_CLASS(&f, 101, 2, -1);
	EXPECT_CLASS(&f, 101, 2, -1);
	udp_frame(&f, "2001:db8:1::10", "2001:db8:2::22", 0, 1000, 5000);
	EXPECT_CLASS(&f, 102, 3, -1);
	CU_ASSERT_EQUAL(stream_counters(101).packets, 2);
	CU_ASSERT_EQUAL(stream_counters(102).packets, 1);
	p1 = port_counters_now();

	/* 101 goes, 103 comes: 102 and the port keep their slots and counts; 101's
	 * slot is still taken (frames of the old tables may count in it). */
	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain, s_bc), 0);
	slot103 = dataplane_stream_slot(dp, 103);
	CU_ASSERT_EQUAL(dataplane_stream_slot(dp, 102), slot102);
	CU_ASSERT_EQUAL(dataplane_stream_slot(dp, 101), -ENOENT);
	CU_ASSERT_EQUAL(dataplane_stream_counters(dp, 101, &sc), -ENOENT);
	CU_ASSERT_TRUE(slot103 >= 0 && slot103 != slot101 && slot103 != slot102);
	CU_ASSERT_EQUAL(stream_counters(102).packets, 1);
	CU_ASSERT_EQUAL(stream_counters(103).packets, 0);
	CU_ASSERT_EQUAL(dataplane_port_slot(dp, ifindex), pslot);
	p2 = port_counters_now();
	CU_ASSERT_EQUAL(memcmp(&p1, &p2, sizeof(p1)), 0);
	/* 101's counts are gone from its slot in every CPU's region. */
	for (int c = 0; c < ncpus; c++) {
		__u32 key = (__u32)c * TSN_MAX_STREAMS + (__u32)slot101;

		CU_ASSERT_EQUAL(bpf_map_lookup_elem(fd, &key, &sc), 0);
		CU_ASSERT_EQUAL(sc.packets, 0);
		CU_ASSERT_EQUAL(sc.bytes, 0);
	}

	/* 104 is new: the lowest free slot, 101's (the first handed out after the
	 * empty configuration), zeroed. */
	udp_frame(&f, "2001:db8:1::10", "2001:db8:2::23", 0, 1000, 5000);
	EXPECT_CLASS(&f, 103, 4, -1);
	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain, s_bcd), 0);
	CU_ASSERT_EQUAL(slot101, 0);
	CU_ASSERT_EQUAL(dataplane_stream_slot(dp, 104), slot101);
	CU_ASSERT_EQUAL(stream_counters(104).packets, 0);
	CU_ASSERT_EQUAL(stream_counters(103).packets, 1);
	CU_ASSERT_EQUAL(stream_counters(102).packets, 1);
	udp_frame(&f, "2001:db8:1::10", "2001:db8:2::24", 0, 1000, 5000);
	EXPECT_CLASS(&f, 104, 5, -1);
	CU_ASSERT_EQUAL(stream_counters(104).packets, 1);
	CU_ASSERT_EQUAL(stream_counters(104).bytes, f.len);
}

/* ports[].unmatched-priority: frames of no stream whose own PCP or DSCP claims a
 * gated priority. */
static void test_unmatched_priority(void)
{
	char cfg[4096];
	struct port_counters before, after;
	struct xdp_result r;
	struct fb f;

	/* PCP 5 -> priority 4 -> class 1, which the schedule gates. */
	snprintf(cfg, sizeof(cfg), port_scheduled, "drop");
	CU_ASSERT_EQUAL_FATAL(apply_config(cfg, base_streams), 0);
	fb_eth(&f, mac_other, mac_other);
	fb_vlan(&f, 0x8100, 5, 7);
	fb_ethertype(&f, 0x22f0, 40);
	before = port_counters_now();
	classify(&f, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_DROP);
	after = port_counters_now();
	CU_ASSERT_EQUAL(after.tc[1].drops - before.tc[1].drops, 1);
	CU_ASSERT_EQUAL(after.fwd[TSN_FWD_DROP] - before.fwd[TSN_FWD_DROP], 1);
	/* A stream with that priority passes; so does the built-in PTP rule. */
	fb_eth(&f, mac_null_stream, mac_other);
	fb_vlan(&f, 0x8100, 5, 100);
	fb_ethertype(&f, 0x22f0, 40);
	EXPECT_CLASS(&f, 4, 6, 2);
	fb_eth(&f, mac_other, mac_other);
	fb_vlan(&f, 0x8100, 5, 7);
	fb_ethertype(&f, 0x88f7, 44);
	EXPECT_CLASS(&f, 0, 7, 2);

	/* demote: the default priority instead. */
	snprintf(cfg, sizeof(cfg), port_scheduled, "demote");
	CU_ASSERT_EQUAL_FATAL(apply_config(cfg, base_streams), 0);
	fb_eth(&f, mac_other, mac_other);
	fb_vlan(&f, 0x8100, 5, 7);
	fb_ethertype(&f, 0x22f0, 40);
	EXPECT_CLASS(&f, 0, 1, 0);
}

/* ---- generations ---- */

static void test_update_switches_generation(void)
{
	size_t ip6[2], mac[2], ports[2];
	uint32_t gen;
	struct fb f;

	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain, base_streams), 0);
	gen = active_gen();
	udp_frame(&f, "2001:db8:1::1", "2001:db8:2::20", 0, 1, 2);
	EXPECT_CLASS(&f, 2, 2, -1);
	/* Only the active generation holds entries once an update is done. */
	count_by_gen("tsn_ip6_strm", sizeof(struct tsn_ip6_key), offsetof(struct tsn_ip6_key, gen), ip6);
	count_by_gen("tsn_mac_strm", sizeof(struct tsn_mac_key), offsetof(struct tsn_mac_key, gen), mac);
	count_by_gen("tsn_ports", sizeof(struct tsn_port_key), offsetof(struct tsn_port_key, gen), ports);
	CU_ASSERT_EQUAL(ip6[gen], 5);
	CU_ASSERT_EQUAL(ip6[gen ^ 1], 0);
	CU_ASSERT_EQUAL(mac[gen], 3);
	CU_ASSERT_EQUAL(mac[gen ^ 1], 0);
	CU_ASSERT_EQUAL(ports[gen], 1);
	CU_ASSERT_EQUAL(ports[gen ^ 1], 0);

	/* Stream 2 changes priority, stream 3 goes away, stream 9 is new. */
	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain,
		"streams:\n"
		"  - { id: 2, identification: ipv6, dst: \"2001:db8:2::20\", priority: 6 }\n"
		"  - { id: 9, identification: src-mac-vlan, src-mac: \"02:00:00:00:aa:01\", priority: 5 }\n"), 0);
	CU_ASSERT_EQUAL(active_gen(), gen ^ 1);
	udp_frame(&f, "2001:db8:1::1", "2001:db8:2::20", 0, 1, 6000);
	EXPECT_CLASS(&f, 2, 6, -1);
	fb_eth(&f, mac_other, mac_talker);
	fb_ethertype(&f, 0x22f0, 30);
	EXPECT_CLASS(&f, 9, 5, -1);
	count_by_gen("tsn_ip6_strm", sizeof(struct tsn_ip6_key), offsetof(struct tsn_ip6_key, gen), ip6);
	CU_ASSERT_EQUAL(ip6[gen ^ 1], 1);
	CU_ASSERT_EQUAL(ip6[gen], 0);
	/* Counters: stream 2 kept its entry, stream 3's is gone, 9 has one. */
	CU_ASSERT_TRUE(stream_counters(2).packets > 0);
	{
		struct tsn_stream_counters v;

		CU_ASSERT_EQUAL(dataplane_stream_counters(dp, 3, &v), -ENOENT);
		CU_ASSERT_EQUAL(dataplane_stream_counters(dp, 9, &v), 0);
	}
}

/* A frame classified while tsnd writes the next generation uses the active one
 * only: entries of the inactive generation are invisible until the flip. */
static void test_inactive_generation_invisible(void)
{
	struct tsn_ip6_key k;
	struct tsn_stream_val v = { .stream_id = 4242, .priority = 7 };
	struct tsn_cfg_stream s;
	uint32_t gen;
	struct fb f;
	int fd;

	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain, base_streams), 0);
	gen = active_gen();
	fd = dataplane_map_fd(dp, "tsn_ip6_strm");
	memset(&s, 0, sizeof(s));
	s.identification = TSN_IDENT_IPV6;
	s.has_dst = true;
	inet_pton(AF_INET6, "2001:db8:2::20", &s.dst);
	/* The same key as stream 2, in the other generation, with another id. */
	memset(&k, 0, sizeof(k));
	memcpy(k.dst, &s.dst, 16);
	k.mask = TSN_IP6F_DST;
	k.gen = (uint8_t)(gen ^ 1);
	CU_ASSERT_EQUAL_FATAL(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), 0);
	udp_frame(&f, "2001:db8:1::1", "2001:db8:2::20", 0, 1, 2);
	EXPECT_CLASS(&f, 2, 2, -1);
	bpf_map_delete_elem(fd, &k);
}

/* ---- the stream table (tsn_strm_tab) ---- */

/* Where the program finds key k in a table built by cls_build_strm_tab: the same
 * search as strm_find in bpf/dataplane.bpf.c.  -1: not found. */
static long strm_search(const struct tsn_strm_ent *ents, uint32_t mask, uint32_t seed,
			const union tsn_strm_key *k)
{
	uint32_t h = tsn_strm_hash(k->w, seed);

	for (uint32_t i = 0; i < TSN_STRM_PROBES; i++) {
		uint32_t idx = (h + i) & mask;

		if (!ents[idx].val.stream_id)
			return -1;
		if (memcmp(&ents[idx].key, k, sizeof(*k)) == 0)
			return idx;
	}
	return -1;
}

static void ip6_dst_key(union tsn_strm_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	/* 2001:db8:a::x:y, as the benchmark's streams: only the last bytes differ. */
	k->ip6.dst[0] = 0x20;
	k->ip6.dst[1] = 0x01;
	k->ip6.dst[2] = 0x0d;
	k->ip6.dst[3] = 0xb8;
	k->ip6.dst[5] = 0x0a;
	k->ip6.dst[13] = (uint8_t)(i >> 16);
	k->ip6.dst[14] = (uint8_t)(i >> 8);
	k->ip6.dst[15] = (uint8_t)i;
	k->ip6.mask = TSN_IP6F_DST;
}

/* The builder fits the most streams tsnd allows within the probes, each found
 * where the program looks; one more than half the table is refused. */
static void test_strm_tab_builder(void)
{
	const size_t n = TSN_MAX_STREAMS;
	union tsn_strm_key *keys = calloc(n + 1, sizeof(*keys));
	struct tsn_stream_val *vals = calloc(n + 1, sizeof(*vals));
	struct tsn_strm_ent *ents = calloc(TSN_STRM_TAB_CAP, sizeof(*ents));
	uint32_t mask = 0, seed = 0;
	size_t found = 0, used = 0;
	union tsn_strm_key miss;

	CU_ASSERT_FATAL(keys && vals && ents);
	for (size_t i = 0; i < n; i++) {
		/* Half ipv6 destinations, half destination MACs + VLAN. */
		if (i % 2) {
			ip6_dst_key(&keys[i], (uint32_t)i);
		} else {
			memcpy(keys[i].mac.mac, "\x01\x1b\x19\x00", 4);
			keys[i].mac.mac[4] = (uint8_t)(i >> 8);
			keys[i].mac.mac[5] = (uint8_t)i;
			keys[i].mac.vid = (uint16_t)(i >> 16);
			keys[i].mac.kind = TSN_MAC_DST;
		}
		vals[i].stream_id = (uint32_t)i + 1;
	}
	CU_ASSERT_EQUAL_FATAL(cls_build_strm_tab(keys, vals, n, ents, &mask, &seed), 0);
	CU_ASSERT_EQUAL(mask, TSN_STRM_TAB_CAP - 1);
	for (size_t i = 0; i < n; i++) {
		long at = strm_search(ents, mask, seed, &keys[i]);

		found += at >= 0 && ents[at].val.stream_id == vals[i].stream_id;
	}
	CU_ASSERT_EQUAL(found, n);
	for (size_t i = 0; i <= mask; i++)
		used += ents[i].val.stream_id != 0;
	CU_ASSERT_EQUAL(used, n);
	ip6_dst_key(&miss, (uint32_t)n + 1);
	CU_ASSERT_EQUAL(strm_search(ents, mask, seed, &miss), -1);

	/* As many keys of random addresses (a fixed xorshift sequence): the ones the
	 * hash spreads least evenly of the two. */
	{
		uint64_t x = 0x2545f4914f6cdd1dULL;

		for (size_t i = 0; i < n; i++) {
			memset(&keys[i], 0, sizeof(keys[i]));
			for (int b = 0; b < 32; b++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				(b < 16 ? keys[i].ip6.src : keys[i].ip6.dst)[b % 16] = (uint8_t)x;
			}
			keys[i].ip6.mask = TSN_IP6F_SRC | TSN_IP6F_DST;
		}
	}
	CU_ASSERT_EQUAL_FATAL(cls_build_strm_tab(keys, vals, n, ents, &mask, &seed), 0);
	found = 0;
	for (size_t i = 0; i < n; i++) {
		long at = strm_search(ents, mask, seed, &keys[i]);

		found += at >= 0 && ents[at].val.stream_id == vals[i].stream_id;
	}
	CU_ASSERT_EQUAL(found, n);

	/* A few keys: the smallest table that holds them at most half full. */
	CU_ASSERT_EQUAL(cls_build_strm_tab(keys, vals, 100, ents, &mask, &seed), 0);
	CU_ASSERT_EQUAL(mask, 255);
	CU_ASSERT_EQUAL(cls_build_strm_tab(keys, vals, 0, ents, &mask, &seed), 0);
	CU_ASSERT_EQUAL(strm_search(ents, mask, seed, &miss), -1);

	/* More than half the table: no size would do. */
	free(keys);
	free(vals);
	keys = calloc(TSN_STRM_TAB_CAP / 2 + 1, sizeof(*keys));
	vals = calloc(TSN_STRM_TAB_CAP / 2 + 1, sizeof(*vals));
	CU_ASSERT_FATAL(keys && vals);
	for (size_t i = 0; i < TSN_STRM_TAB_CAP / 2 + 1; i++) {
		ip6_dst_key(&keys[i], (uint32_t)i);
		vals[i].stream_id = (uint32_t)i + 1;
	}
	CU_ASSERT_EQUAL(cls_build_strm_tab(keys, vals, TSN_STRM_TAB_CAP / 2 + 1, ents, &mask, &seed),
			-E2BIG);
	free(keys);
	free(vals);
	free(ents);
}

/* Thousands of streams of both kinds through the program: each frame finds its
 * own, in a table of the size its generation's rules say. */
static void test_many_streams(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	const unsigned n_ip6 = 3000, n_mac = 1000;
	size_t cap = 256 + (n_ip6 + n_mac) * 128, len;
	char *yaml = malloc(cap), err[512], dst[64];
	unsigned bad = 0, used = 0;
	struct tsn_rules r;
	uint32_t gen;
	struct fb f;
	int fd;

	CU_ASSERT_FATAL(yaml != NULL);
	len = (size_t)snprintf(yaml, cap, "%sstreams:\n", port_plain);
	for (unsigned i = 0; i < n_ip6; i++)
		len += (size_t)snprintf(yaml + len, cap - len, "  - { id: %u, identification: ipv6, "
					"dst: \"2001:db8:a::%x\", priority: %u }\n", 100 + i, i, i % 8);
	for (unsigned i = 0; i < n_mac; i++)
		len += (size_t)snprintf(yaml + len, cap - len, "  - { id: %u, identification: dst-mac-vlan, "
					"dst-mac: \"01:1b:19:00:%02x:%02x\", vlan: 100, priority: %u }\n",
					10000 + i, i >> 8, i & 0xff, i % 8);
	CU_ASSERT_EQUAL_FATAL(apply_yaml(yaml, err, sizeof(err)), 0);
	free(yaml);

	gen = active_gen() & 1;
	fd = dataplane_map_fd(dp, "tsn_rules");
	CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(fd, &gen, &r), 0);
	CU_ASSERT_EQUAL(r.strm_mask, 8191);	/* 4000 streams: 8192 entries, at most half full */
	fd = dataplane_map_fd(dp, "tsn_strm_tab");
	for (uint32_t i = 0; i <= r.strm_mask; i++) {
		uint32_t idx = gen * TSN_STRM_TAB_CAP + i;
		struct tsn_strm_ent e;

		used += bpf_map_lookup_elem(fd, &idx, &e) == 0 && e.val.stream_id != 0;
	}
	CU_ASSERT_EQUAL(used, n_ip6 + n_mac);

	for (unsigned i = 0; i < n_ip6; i++) {
		struct xdp_result res;

		snprintf(dst, sizeof(dst), "2001:db8:a::%x", i);
		udp_frame(&f, "2001:db8:1::1", dst, 0, 1, 2);
		classify(&f, &res);
		bad += res.err || !res.has_meta || res.meta.stream_id != 100 + i ||
		       res.meta.priority != i % 8;
	}
	for (unsigned i = 0; i < n_mac; i++) {
		const uint8_t mac[6] = { 0x01, 0x1b, 0x19, 0x00, (uint8_t)(i >> 8), (uint8_t)i };
		struct xdp_result res;

		fb_eth(&f, mac, mac_other);
		fb_vlan(&f, 0x8100, 0, 100);
		fb_ethertype(&f, 0x22f0, 40);
		classify(&f, &res);
		bad += res.err || !res.has_meta || res.meta.stream_id != 10000 + i ||
		       res.meta.priority != i % 8;
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* Not a stream: one address past them, and a MAC stream on another VLAN. */
	udp_frame(&f, "2001:db8:1::1", "2001:db8:a::bb8", 0, 1, 2);
	EXPECT_CLASS(&f, 0, 0, -1);
	fb_eth(&f, mac_null_stream, mac_other);
	fb_vlan(&f, 0x8100, 0, 101);
	fb_ethertype(&f, 0x22f0, 40);
	EXPECT_CLASS(&f, 0, 0, -1);
}

/* A key pushed past the inline probes is found by the program's call
 * (tsn_strm_probe): the test moves a stream's entry 6 entries on from where its
 * hash points and fills the entries between with other keys, each of which a
 * frame must find too, at distances 0 to 5. */
static void test_strm_probe_beyond_inline(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	struct tsn_strm_ent e, moved;
	union tsn_strm_key k;
	struct tsn_rules r;
	uint32_t gen, home, idx;
	int fd_tab;
	struct fb f;

	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain,
		"streams:\n"
		"  - { id: 42, identification: ipv6, dst: \"2001:db8:5::1\", priority: 5 }\n"), 0);
	gen = active_gen() & 1;
	CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_rules"), &gen, &r), 0);
	CU_ASSERT_EQUAL_FATAL(r.strm_mask, 15);
	memset(&k, 0, sizeof(k));
	inet_pton(AF_INET6, "2001:db8:5::1", k.ip6.dst);
	k.ip6.mask = TSN_IP6F_DST;
	k.ip6.gen = (uint8_t)gen;
	home = tsn_strm_hash(k.w, r.strm_seed) & r.strm_mask;
	fd_tab = dataplane_map_fd(dp, "tsn_strm_tab");
	idx = gen * TSN_STRM_TAB_CAP + home;
	CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(fd_tab, &idx, &moved), 0);
	CU_ASSERT_EQUAL_FATAL(moved.val.stream_id, 42);
	CU_ASSERT_EQUAL_FATAL(memcmp(&moved.key, &k, sizeof(k)), 0);
	for (uint32_t d = 0; d < 6; d++) {
		e = moved;
		e.key.ip6.dst[15] = (uint8_t)(0x10 + d);	/* 2001:db8:5::1x */
		e.val.stream_id = 100 + d;
		e.val.priority = (uint8_t)d;
		idx = gen * TSN_STRM_TAB_CAP + ((home + d) & r.strm_mask);
		CU_ASSERT_EQUAL_FATAL(bpf_map_update_elem(fd_tab, &idx, &e, BPF_ANY), 0);
	}
	idx = gen * TSN_STRM_TAB_CAP + ((home + 6) & r.strm_mask);
	CU_ASSERT_EQUAL_FATAL(bpf_map_update_elem(fd_tab, &idx, &moved, BPF_ANY), 0);

	udp_frame(&f, "2001:db8:1::1", "2001:db8:5::1", 0, 1, 2);
	EXPECT_CLASS(&f, 42, 5, -1);
	/* The others sit where their own hash does not point: found only if that
	 * chain of entries happens to lead there; the one at distance 4 from the
	 * moved key's hash is looked up with that key's hash, so only check that
	 * a frame never gets a stream whose key is not its own. */
	for (uint32_t d = 0; d < 6; d++) {
		char dst[64];
		struct xdp_result res;

		snprintf(dst, sizeof(dst), "2001:db8:5::%x", 0x10 + d);
		udp_frame(&f, "2001:db8:1::1", dst, 0, 1, 2);
		classify(&f, &res);
		CU_ASSERT_TRUE(res.has_meta && (res.meta.stream_id == 0 || res.meta.stream_id == 100 + d));
	}
	/* Rebuilt by the next apply: the table is the builder's again. */
	CU_ASSERT_EQUAL_FATAL(apply_config(port_plain, base_streams), 0);
	udp_frame(&f, "2001:db8:1::1", "2001:db8:2::20", 0, 1, 2);
	EXPECT_CLASS(&f, 2, 2, -1);
}

/* Stream identification rules in the configuration checker. */
static void test_config_rules(void)
{
	static const char dup[] =
		"streams:\n"
		"  - { id: 1, identification: ipv6, dst: \"2001:db8::1\", priority: 1 }\n"
		"  - { id: 2, identification: ipv6, dst: \"2001:db8::1\", priority: 2 }\n"
		"  - { id: 3, identification: dst-mac-vlan, dst-mac: \"01:00:5e:00:00:01\", priority: 1 }\n"
		"  - { id: 4, identification: dst-mac-vlan, dst-mac: \"01:00:5E:00:00:01\", priority: 1 }\n"
		"  - { id: 5, identification: dst-mac-vlan, dst-mac: \"01:00:5e:00:00:01\", vlan: 5, priority: 1 }\n";
	struct tsn_diags diags;
	struct tsn_config *cfg;
	char yaml[8192];
	size_t used = 0;

	tsn_diags_init(&diags, "dup.yaml");
	cfg = tsn_config_parse(dup, strlen(dup), "dup.yaml", &diags);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(diags.errors, 2);
	for (size_t i = 0; i < diags.count; i++) {
		char line[512];

		tsn_diag_format(&diags, &diags.items[i], line, sizeof(line));
		CU_ASSERT_PTR_NOT_NULL(strstr(line, "identifies exactly the frames"));
	}
	if (diags.count == 2) {
		CU_ASSERT_EQUAL(diags.items[0].line, 3);
		CU_ASSERT_EQUAL(diags.items[1].line, 5);
	}
	tsn_diags_free(&diags);

	/* Nine shapes of ipv6 streams: one too many. */
	used += (size_t)snprintf(yaml + used, sizeof(yaml) - used, "streams:\n");
	static const char *const shapes[] = {
		"dst: \"2001:db8::1\"", "src: \"2001:db8::1\"", "dst: \"2001:db8::1\", dscp: 1",
		"src: \"2001:db8::1\", dscp: 1", "dst: \"2001:db8::1\", next-header: 17",
		"src: \"2001:db8::1\", next-header: 17", "dst: \"2001:db8::1\", vlan: 3",
		"src: \"2001:db8::1\", vlan: 3", "dst: \"2001:db8::1\", src: \"2001:db8::2\"",
	};
	for (size_t i = 0; i < 9; i++)
		used += (size_t)snprintf(yaml + used, sizeof(yaml) - used,
					 "  - { id: %zu, identification: ipv6, %s, priority: 1 }\n",
					 i + 1, shapes[i]);
	tsn_diags_init(&diags, "shapes.yaml");
	cfg = tsn_config_parse(yaml, used, "shapes.yaml", &diags);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(diags.errors, 1);
	if (diags.count)
		CU_ASSERT_PTR_NOT_NULL(strstr(diags.items[0].message, "at most 8"));
	tsn_diags_free(&diags);
	/* Eight are fine. */
	tsn_diags_init(&diags, "shapes.yaml");
	cfg = tsn_config_parse(yaml, (size_t)(strrchr(yaml, '-') - yaml) - 2, "shapes.yaml", &diags);
	CU_ASSERT_PTR_NOT_NULL(cfg);
	tsn_config_free(cfg);
	tsn_diags_free(&diags);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("bpf_classifier", suite_init, suite_cleanup);
	if (!suite ||
	    !CU_add_test(suite, "ipv6 stream identification", test_ipv6_identification) ||
	    !CU_add_test(suite, "MAC + VLAN stream identification", test_mac_identification) ||
	    !CU_add_test(suite, "VLAN and QinQ", test_vlan_and_qinq) ||
	    !CU_add_test(suite, "defaults by EtherType, DSCP, PCP", test_default_rules) ||
	    !CU_add_test(suite, "IPv6 extension headers", test_extension_headers) ||
	    !CU_add_test(suite, "truncated at every offset", test_truncated_at_every_offset) ||
	    !CU_add_test(suite, "classes from the schedule map, counters", test_classes_from_schedule_map) ||
	    !CU_add_test(suite, "stream counters per CPU", test_stream_counters_per_cpu) ||
	    !CU_add_test(suite, "counter slots across reloads", test_counter_slots) ||
	    !CU_add_test(suite, "unmatched-priority drop and demote", test_unmatched_priority) ||
	    !CU_add_test(suite, "an update switches generation", test_update_switches_generation) ||
	    !CU_add_test(suite, "the inactive generation is invisible", test_inactive_generation_invisible) ||
	    !CU_add_test(suite, "configuration rules", test_config_rules) ||
	    !CU_add_test(suite, "stream table builder", test_strm_tab_builder) ||
	    !CU_add_test(suite, "thousands of streams through the table", test_many_streams) ||
	    !CU_add_test(suite, "a key past the inline probes", test_strm_probe_beyond_inline)) {
		CU_cleanup_registry();
		return 2;
	}
	return tu_run_tests();
}
