/* SPDX-License-Identifier: GPL-2.0-only */
/* test_bpf_forward.c — the IPv6 fast path of bpf/dataplane.bpf.c through
 * BPF_PROG_RUN against the kernel FIB of a network namespace of the test's own.
 *
 * Every forwarded frame is compared byte for byte with the frame the test builds
 * itself (MACs, hop limit, VLAN tag with PCP and DEI); every frame handed to the
 * kernel must come out unchanged, with the reason counted.  The FIB is real:
 * addresses, neighbours and routes are set up with iproute2.  Needs root.
 *
 *   fa0  2001:db8:1::1/64  tsnd port (frames arrive here)   peer fa1
 *   fb0  2001:db8:2::1/64  tsnd port (egress)                peer fb1
 *   fc0  2001:db8:3::1/64  not a tsnd port                   peer fc1
 *   fd0  2001:db8:4::1/64  stands in for a VLAN sub-interface of fb0 (VID 300):
 *                          the kernel lacks 8021q here, so the test writes the
 *                          mapping tsnd would read from the kernel
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "bpf_frames.h"
#include "dataplane.h"
#include "test_util.h"
#include "dp_util.h"
#include "tsn/log.h"
#include "dp_skel.h"

static struct dataplane *dp;
static int if_a, if_b, if_d;

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0x0a, 0x00 };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0x0b, 0x00 };
static const uint8_t mac_d[6] = { 0x02, 0, 0, 0, 0x0d, 0x00 };
static const uint8_t mac_host2[6] = { 0x02, 0, 0, 0, 0x02, 0x02 };	/* 2001:db8:2::2 */
static const uint8_t mac_host4[6] = { 0x02, 0, 0, 0, 0x04, 0x02 };	/* 2001:db8:4::2 */
static const uint8_t mac_talker[6] = { 0x02, 0, 0, 0, 0x01, 0x10 };

static const char *const cfg_plain =
	"ports:\n"
	"  - { name: fa0, xdp: generic }\n"
	"  - { name: fb0, xdp: generic }\n"
	"classification:\n"
	"  dscp:\n"
	"    - { dscp: 46, priority: 5 }\n";

/* fb0 gates class 1 (priorities 5-7): those go through tc and the qdisc. */
static const char *const cfg_scheduled =
	"ports:\n"
	"  - { name: fa0, xdp: generic }\n"
	"  - name: fb0\n"
	"    xdp: generic\n"
	"    schedule:\n"
	"      num-tc: 2\n"
	"      map: [0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]\n"
	"      queues: [\"1@0\", \"1@1\"]\n"
	"      entries:\n"
	"        - { gates: [0, 1], interval: 300us }\n"
	"        - { gates: [0], interval: 700us }\n"
	"classification:\n"
	"  dscp:\n"
	"    - { dscp: 46, priority: 5 }\n";

/* With a stream on ports: fragments must go to the kernel. */
static const char *const cfg_ports_stream =
	"ports:\n"
	"  - { name: fa0, xdp: generic }\n"
	"  - { name: fb0, xdp: generic }\n"
	"streams:\n"
	"  - { id: 1, identification: ipv6, dst: \"2001:db8:2::2\", next-header: 17, dst-port: 7,\n"
	"      priority: 3 }\n";

/* ---- helpers ---- */

static int apply_yaml(const char *yaml)
{
	char err[512];

	return tu_dp_apply(dp, yaml, err, sizeof(err));
}

/* A UDP frame from the talker to dst, arriving on fa0, untagged or with one tag. */
static void udp_to(struct fb *f, const char *dst, unsigned hop_limit, unsigned dscp, size_t payload)
{
	fb_eth(f, mac_a, mac_talker);
	fb_ipv6(f, "2001:db8:1::10", dst, hop_limit, dscp);
	fb_udp(f, 4000, 7, payload);
	fb_done(f);
}

/* Run f from fa0 and require the kernel to get it unchanged, for `reason`. */
#define EXPECT_PASS(f, reason) expect_pass(f, reason, #reason, __LINE__)

static void expect_pass(const struct fb *f, unsigned reason, const char *name, int line)
{
	struct xdp_result r;

	tu_dp_expect_pass(dp, if_a, f, reason, name, line, &r);
	if (dataplane_xdp_meta_ok()) {
		/* The kernel path still carries the priority to tc. */
		CU_ASSERT_TRUE(r.has_meta);
		CU_ASSERT_FALSE(r.meta.flags & TSN_META_TO_QDISC);
	} else {
		CU_ASSERT_EQUAL(r.meta_len, 0);	/* the kernel refuses metadata */
	}
}

/* Run f from fa0 and require XDP_REDIRECT with exactly the bytes of want. */
#define EXPECT_REDIRECT(f, want) expect_redirect(f, want, __LINE__)

static void expect_redirect(const struct fb *f, const struct fb *want, int line)
{
	struct xdp_result r;

	tu_dp_expect_redirect(dp, if_a, f, want, line, &r);
	CU_ASSERT_EQUAL(r.meta_len, 0);	/* the fast path leaves no metadata behind */
}

/* Write what tsnd would read from the kernel for a VLAN sub-interface. */
static void fake_vlan_maps(void)
{
	struct tsn_vlan_key in = { .ifindex = (__u32)if_a, .vid = 100 };
	struct tsn_egress eg = { .ifindex = (__u32)if_b, .vid = 300 };
	__u32 l3 = (__u32)if_a, sub = (__u32)if_d;

	/* VID 100 on fa0 is routed by fa0's own L3 interface; fd0 leaves through
	 * fb0 tagged 300. */
	struct tsn_rules rules;
	struct tsn_gen g;
	__u32 zero = 0;

	CU_ASSERT_EQUAL(bpf_map_update_elem(dataplane_map_fd(dp, "tsn_vlan_in"), &in, &l3, BPF_ANY), 0);
	CU_ASSERT_EQUAL(bpf_map_update_elem(dataplane_map_fd(dp, "tsn_egress"), &sub, &eg, BPF_ANY), 0);
	/* ... and the flag the loader sets when it found VLAN sub-interfaces. */
	CU_ASSERT_EQUAL(bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_gen"), &zero, &g), 0);
	CU_ASSERT_EQUAL(bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_rules"), &g.active, &rules), 0);
	rules.flags |= TSN_RULES_VLANS;
	CU_ASSERT_EQUAL(bpf_map_update_elem(dataplane_map_fd(dp, "tsn_rules"), &g.active, &rules, BPF_ANY), 0);
}

/* ---- fixtures ---- */

static int suite_init(void)
{
	char err[512];

	tsn_log_setup("test_bpf_forward", TSN_LOG_STDERR,
		      getenv("TSN_TEST_DEBUG") ? TSN_LOG_DEBUG : TSN_LOG_ERR);
	if (tu_netns_enter() < 0)
		return -1;
	if (tu_dp_router_ports("abcd") ||
	    tu_sh("ip -6 neigh add 2001:db8:2::2 lladdr 02:00:00:00:02:02 dev fb0 nud permanent && "
		  "ip -6 neigh add 2001:db8:3::2 lladdr 02:00:00:00:03:02 dev fc0 nud permanent && "
		  "ip -6 neigh add 2001:db8:4::2 lladdr 02:00:00:00:04:02 dev fd0 nud permanent && "
		  "ip -6 neigh add 2001:db8:1::5 lladdr 02:00:00:00:01:05 dev fa0 nud permanent") ||
	    tu_sh("ip -6 route add 2001:db8:9::/64 via 2001:db8:2::2 && "
		  "ip -6 route add 2001:db8:8::/64 via 2001:db8:2::2 mtu lock 1280 && "
		  "ip -6 route add 2001:db8:7::/64 via 2001:db8:4::2 && "
		  "ip -6 route add unreachable 2001:db8:66::/64 && "
		  "ip -6 route add blackhole 2001:db8:67::/64 && "
		  "ip -6 route add prohibit 2001:db8:68::/64"))
		return -1;
	if_a = (int)if_nametoindex("fa0");
	if_b = (int)if_nametoindex("fb0");
	if_d = (int)if_nametoindex("fd0");
	dp = dataplane_create(NULL, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "dataplane_create: %s\n", err);
		return -1;
	}
	return apply_yaml(cfg_plain) == 0 ? 0 : -1;
}

static int suite_cleanup(void)
{
	dataplane_destroy(dp, false);
	tu_netns_leave();	/* the namespace and its links go with it */
	return 0;
}

/* ---- forwarded ---- */

static void test_forward_exact_bytes(void)
{
	struct fb f, want;

	CU_ASSERT_EQUAL_FATAL(apply_yaml(cfg_plain), 0);
	/* Directly connected neighbour. */
	udp_to(&f, "2001:db8:2::2", 64, 0, 100);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	/* Through a gateway: the gateway's MAC. */
	udp_to(&f, "2001:db8:9::1", 64, 10, 100);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	/* Traffic class and flow label stay as they are (the 32-bit flowinfo). */
	CU_ASSERT_EQUAL(want.b[f.l3 + 1], f.b[f.l3 + 1]);
	/* Not UDP: ICMPv6 echo and a payload of no next header are forwarded too. */
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_l4(&f, 58, 64);
	fb_done(&f);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_l4(&f, 59, 0);
	fb_done(&f);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	/* Routing and destination options headers are forwarded as they are. */
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_ext(&f, 60, 1);
	fb_ext(&f, 43, 0);
	fb_udp(&f, 1, 2, 30);
	fb_done(&f);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	/* A fragment, while no stream needs ports. */
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_frag(&f, 64, 1);
	fb_l4(&f, 17, 48);
	fb_done(&f);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	/* A short frame padded to the Ethernet minimum. */
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_l4(&f, 59, 0);
	fb_done(&f);
	memset(f.b + f.len, 0, 60 - f.len);
	f.len = 60;
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
}

static void test_hop_limits(void)
{
	struct fb f, want;

	CU_ASSERT_EQUAL_FATAL(apply_yaml(cfg_plain), 0);
	udp_to(&f, "2001:db8:2::2", 0, 0, 20);
	EXPECT_PASS(&f, TSN_PASS_HOP_LIMIT);
	udp_to(&f, "2001:db8:2::2", 1, 0, 20);
	EXPECT_PASS(&f, TSN_PASS_HOP_LIMIT);
	udp_to(&f, "2001:db8:2::2", 2, 0, 20);
	fb_routed(&f, &want, mac_host2, mac_b);
	CU_ASSERT_EQUAL(want.b[f.l3 + 7], 1);
	EXPECT_REDIRECT(&f, &want);
	udp_to(&f, "2001:db8:2::2", 255, 0, 20);
	fb_routed(&f, &want, mac_host2, mac_b);
	CU_ASSERT_EQUAL(want.b[f.l3 + 7], 254);
	EXPECT_REDIRECT(&f, &want);
}

/* ---- handed to the kernel ---- */

static void test_fib_results(void)
{
	struct fb f;

	CU_ASSERT_EQUAL_FATAL(apply_yaml(cfg_plain), 0);
	udp_to(&f, "2001:db8:2::3", 64, 0, 20);		/* no neighbour entry */
	EXPECT_PASS(&f, TSN_PASS_NO_NEIGH);
	udp_to(&f, "2001:db8:66::1", 64, 0, 20);
	EXPECT_PASS(&f, TSN_PASS_UNREACHABLE);
	udp_to(&f, "2001:db8:67::1", 64, 0, 20);
	EXPECT_PASS(&f, TSN_PASS_UNREACHABLE);
	udp_to(&f, "2001:db8:68::1", 64, 0, 20);
	EXPECT_PASS(&f, TSN_PASS_UNREACHABLE);
	udp_to(&f, "2001:db8:99::1", 64, 0, 20);	/* no route at all */
	EXPECT_PASS(&f, TSN_PASS_NOT_FWDED);
	udp_to(&f, "2001:db8:2::1", 64, 0, 20);		/* the switch itself */
	EXPECT_PASS(&f, TSN_PASS_NOT_FWDED);
	/* Larger than the route's MTU (bpf_fib_lookup honours a route MTU only
	 * when it is locked), and than the egress device's. */
	udp_to(&f, "2001:db8:8::1", 64, 0, 1300);
	EXPECT_PASS(&f, TSN_PASS_MTU);
	CU_ASSERT_EQUAL(tu_sh("ip link set fc0 mtu 1280"), 0);
	udp_to(&f, "2001:db8:3::2", 64, 0, 1300);
	EXPECT_PASS(&f, TSN_PASS_MTU);
	CU_ASSERT_EQUAL(tu_sh("ip link set fc0 mtu 1500"), 0);
	udp_to(&f, "2001:db8:8::1", 64, 0, 1280 - 48);	/* exactly 1280: fits */
	{
		struct fb want;

		fb_routed(&f, &want, mac_host2, mac_b);
		EXPECT_REDIRECT(&f, &want);
	}
	udp_to(&f, "2001:db8:3::2", 64, 0, 20);		/* fc0 is not a tsnd port */
	EXPECT_PASS(&f, TSN_PASS_EGRESS);
	udp_to(&f, "2001:db8:1::5", 64, 0, 20);		/* back out of fa0 */
	EXPECT_PASS(&f, TSN_PASS_EGRESS);
	/* Forwarding switched off on the ingress interface. */
	CU_ASSERT_EQUAL(tu_sh("sysctl -qw net.ipv6.conf.fa0.forwarding=0"), 0);
	udp_to(&f, "2001:db8:2::2", 64, 0, 20);
	EXPECT_PASS(&f, TSN_PASS_NOT_FWDED);
	CU_ASSERT_EQUAL(tu_sh("sysctl -qw net.ipv6.conf.fa0.forwarding=1"), 0);
}

static void test_addresses_and_macs(void)
{
	static const char *const special[][2] = {
		{ "2001:db8:1::10", "fe80::1" }, { "fe80::10", "2001:db8:2::2" },
		{ "2001:db8:1::10", "ff02::1" }, { "2001:db8:1::10", "ff0e::181" },
		{ "ff02::5", "2001:db8:2::2" }, { "::", "2001:db8:2::2" },
		{ "2001:db8:1::10", "::1" }, { "2001:db8:1::10", "::" },
		{ "::ffff:10.0.0.1", "2001:db8:2::2" }, { "2001:db8:1::10", "::ffff:10.0.0.2" },
	};
	static const uint8_t mcast_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct fb f;

	CU_ASSERT_EQUAL_FATAL(apply_yaml(cfg_plain), 0);
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		fb_eth(&f, mac_a, mac_talker);
		fb_ipv6(&f, special[i][0], special[i][1], 64, 0);
		fb_udp(&f, 1, 2, 20);
		fb_done(&f);
		EXPECT_PASS(&f, TSN_PASS_SCOPE);
	}
	/* Not addressed to the port's MAC. */
	fb_eth(&f, mac_b, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_udp(&f, 1, 2, 20);
	fb_done(&f);
	EXPECT_PASS(&f, TSN_PASS_NOT_ROUTED);
	fb_eth(&f, mcast_mac, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_udp(&f, 1, 2, 20);
	fb_done(&f);
	EXPECT_PASS(&f, TSN_PASS_NOT_ROUTED);
	/* Not IPv6. */
	fb_eth(&f, mac_a, mac_talker);
	fb_ethertype(&f, 0x0806, 28);
	EXPECT_PASS(&f, TSN_PASS_NOT_IPV6);
	fb_eth(&f, mac_a, mac_talker);
	fb_ethertype(&f, 0x0800, 40);
	EXPECT_PASS(&f, TSN_PASS_NOT_IPV6);
	/* Shorter than an IPv6 header. */
	fb_eth(&f, mac_a, mac_talker);
	fb_ethertype(&f, 0x86dd, 39);
	EXPECT_PASS(&f, TSN_PASS_NOT_IPV6);
}

/* The port_stats counter kind[kind] of fa0, summed over the CPUs. */
static uint64_t kind_counter(unsigned kind)
{
	struct port_counters sum;

	dataplane_port_counters(dp, if_a, &sum);
	return sum.kind[kind].packets;
}

/* An IPv6 EtherType whose header says another version is malformed: the kernel
 * gets it unchanged (and drops it, as ipv6_rcv does); it is never forwarded. */
static void test_ipv6_version(void)
{
	static const unsigned versions[] = { 0, 2, 4, 5, 7, 15 };
	struct fb f, want;

	CU_ASSERT_EQUAL_FATAL(apply_yaml(cfg_plain), 0);
	/* Version 6: forwarded, so the cases below differ in the version only. */
	udp_to(&f, "2001:db8:2::2", 64, 46, 40);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		uint64_t before = kind_counter(TSN_KIND_MALFORMED);

		udp_to(&f, "2001:db8:2::2", 64, 46, 40);
		f.b[f.l3] = (uint8_t)((versions[i] << 4) | (f.b[f.l3] & 0x0f));
		EXPECT_PASS(&f, TSN_PASS_NOT_IPV6);
		CU_ASSERT_EQUAL(kind_counter(TSN_KIND_MALFORMED), before + 1);
	}
}

static void test_headers_and_lengths(void)
{
	struct fb f;

	CU_ASSERT_EQUAL_FATAL(apply_yaml(cfg_plain), 0);
	/* Hop-by-hop options: the kernel must process them. */
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_ext(&f, 0, 0);
	fb_udp(&f, 1, 2, 20);
	fb_done(&f);
	EXPECT_PASS(&f, TSN_PASS_EXT_HDR);
	/* AH, and five extension headers: not walked. */
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_ah(&f);
	fb_udp(&f, 1, 2, 20);
	fb_done(&f);
	EXPECT_PASS(&f, TSN_PASS_EXT_HDR);
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	for (int i = 0; i < 5; i++)
		fb_ext(&f, 60, 0);
	fb_udp(&f, 1, 2, 20);
	fb_done(&f);
	EXPECT_PASS(&f, TSN_PASS_EXT_HDR);
	/* An extension header longer than the frame. */
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_ext(&f, 60, 3);
	fb_done(&f);
	f.b[f.l3 + 41] = 20;	/* claims 168 bytes */
	EXPECT_PASS(&f, TSN_PASS_EXT_HDR);
	/* Payload length larger, then smaller than the frame. */
	udp_to(&f, "2001:db8:2::2", 64, 0, 20);
	f.b[f.l3 + 5] += 1;
	EXPECT_PASS(&f, TSN_PASS_LENGTH);
	udp_to(&f, "2001:db8:2::2", 64, 0, 40);
	f.b[f.l3 + 5] -= 8;
	EXPECT_PASS(&f, TSN_PASS_LENGTH);
	/* UDP cut inside its ports. */
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_l4(&f, 17, 3);
	fb_done(&f);
	EXPECT_PASS(&f, TSN_PASS_LENGTH);
	/* Fragments while a stream matches on ports. */
	CU_ASSERT_EQUAL_FATAL(apply_yaml(cfg_ports_stream), 0);
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_frag(&f, 0, 1);
	fb_udp(&f, 1, 7, 40);
	fb_done(&f);
	EXPECT_PASS(&f, TSN_PASS_FRAGMENT);
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_frag(&f, 8, 0);
	fb_l4(&f, 17, 40);
	fb_done(&f);
	EXPECT_PASS(&f, TSN_PASS_FRAGMENT);
	/* The walk ends at a fragment header: behind it, later fragments carry
	 * payload.  A fragment header naming an options header leaves the upper
	 * layer unknown in every fragment, the first included, and all of them go
	 * to the kernel alike, even when the payload looks like headers. */
	CU_ASSERT_EQUAL_FATAL(apply_yaml(cfg_plain), 0);
	for (unsigned off = 0; off <= 64; off += 64) {
		fb_eth(&f, mac_a, mac_talker);
		fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
		fb_frag(&f, off, off == 0);
		fb_ext(&f, 60, 0);
		fb_udp(&f, 1, 7, 40);
		fb_done(&f);
		EXPECT_PASS(&f, TSN_PASS_EXT_HDR);
	}
}

/* ---- VLANs ---- */

static void test_vlan_forwarding(void)
{
	struct fb f, want;
	uint8_t *p;

	CU_ASSERT_EQUAL_FATAL(apply_yaml(cfg_plain), 0);
	/* A VID no sub-interface receives, and QinQ: the kernel's. */
	fb_eth(&f, mac_a, mac_talker);
	fb_vlan(&f, 0x8100, 3, 100);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_udp(&f, 1, 2, 20);
	fb_done(&f);
	EXPECT_PASS(&f, TSN_PASS_VLAN);
	fake_vlan_maps();
	fb_eth(&f, mac_a, mac_talker);
	fb_vlan(&f, 0x88a8, 3, 100);
	fb_vlan(&f, 0x8100, 3, 100);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_udp(&f, 1, 2, 20);
	fb_done(&f);
	EXPECT_PASS(&f, TSN_PASS_VLAN);
	fb_eth(&f, mac_a, mac_talker);
	fb_vlan(&f, 0x8100, 3, 101);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_udp(&f, 1, 2, 20);
	fb_done(&f);
	EXPECT_PASS(&f, TSN_PASS_VLAN);

	/* Tagged in (VID 100, PCP 3, DEI 1), untagged out: the tag goes. */
	fb_eth(&f, mac_a, mac_talker);
	fb_vlan(&f, 0x8100, 3, 100);
	f.b[14] |= 0x10;	/* DEI */
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_udp(&f, 1, 2, 20);
	fb_done(&f);
	memset(&want, 0, sizeof(want));
	memcpy(want.b, mac_host2, 6);
	memcpy(want.b + 6, mac_b, 6);
	memcpy(want.b + 12, f.b + 16, f.len - 16);
	want.len = f.len - 4;
	want.b[12 + 2 + 7]--;
	EXPECT_REDIRECT(&f, &want);

	/* Tagged in, tagged out (fd0 = VID 300 on fb0): new VID, PCP and DEI carried. */
	fb_eth(&f, mac_a, mac_talker);
	fb_vlan(&f, 0x8100, 3, 100);
	f.b[14] |= 0x10;
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:7::1", 64, 46);
	fb_udp(&f, 1, 2, 20);
	fb_done(&f);
	want = f;
	memcpy(want.b, mac_host4, 6);
	memcpy(want.b + 6, mac_d, 6);
	fb_put16(want.b + 14, (3u << 13) | 0x1000 | 300);
	want.b[f.l3 + 7]--;
	EXPECT_REDIRECT(&f, &want);

	/* Untagged in, tagged out: a tag appears, PCP = the frame's priority (DSCP
	 * 46 -> 5), DEI 0. */
	fb_eth(&f, mac_a, mac_talker);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:7::1", 64, 46);
	fb_udp(&f, 1, 2, 20);
	fb_done(&f);
	memset(&want, 0, sizeof(want));
	p = want.b;
	memcpy(p, mac_host4, 6);
	memcpy(p + 6, mac_d, 6);
	fb_put16(p + 12, 0x8100);
	fb_put16(p + 14, (5u << 13) | 300);
	memcpy(p + 16, f.b + 12, f.len - 12);
	want.len = f.len + 4;
	want.b[16 + 2 + 7]--;
	EXPECT_REDIRECT(&f, &want);
}

/* ---- scheduled classes: through tc and the qdisc ---- */

static void test_scheduled_class_goes_to_tc(void)
{
	uint64_t before = tu_dp_fwd_counter(dp, if_a, TSN_FWD_TO_QDISC);
	struct xdp_result r;
	struct fb f, want;

	CU_ASSERT_EQUAL_FATAL(apply_yaml(cfg_scheduled), 0);
	/* DSCP 46 -> priority 5 -> class 1 on fb0, which the schedule gates. */
	udp_to(&f, "2001:db8:2::2", 64, 46, 60);
	fb_routed(&f, &want, mac_host2, mac_b);
	if (!dataplane_xdp_meta_ok()) {
		/* Without metadata tc could not learn the egress: the kernel gets the
		 * frame as it came (docs/dataplane.md, "Without XDP metadata"). */
		uint64_t other = tu_dp_fwd_counter(dp, if_a, TSN_PASS_OTHER);

		xdp_run(dataplane_xdp_fd(dp), if_a, f.b, f.len, &r);
		CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
		CU_ASSERT_EQUAL(r.meta_len, 0);
		CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, f.b, f.len, "frame to the kernel"));
		CU_ASSERT_EQUAL(tu_dp_fwd_counter(dp, if_a, TSN_PASS_OTHER), other + 1);
		CU_ASSERT_EQUAL(tu_dp_fwd_counter(dp, if_a, TSN_FWD_TO_QDISC), before);
		udp_to(&f, "2001:db8:2::2", 64, 0, 60);	/* an ungated class: still the fast path */
		fb_routed(&f, &want, mac_host2, mac_b);
		EXPECT_REDIRECT(&f, &want);
		CU_ASSERT_EQUAL_FATAL(apply_yaml(cfg_plain), 0);
		return;
	}
	xdp_run(dataplane_xdp_fd(dp), if_a, f.b, f.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_TRUE_FATAL(r.has_meta);
	CU_ASSERT_TRUE(r.meta.flags & TSN_META_TO_QDISC);
	CU_ASSERT_EQUAL(r.meta.egress_ifindex, (__u32)if_b);
	CU_ASSERT_EQUAL(r.meta.priority, 5);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, want.b, want.len, "frame for tc"));
	CU_ASSERT_EQUAL(tu_dp_fwd_counter(dp, if_a, TSN_FWD_TO_QDISC), before + 1);
	/* Priority 0 -> class 0, always open: XDP_REDIRECT. */
	udp_to(&f, "2001:db8:2::2", 64, 0, 60);
	fb_routed(&f, &want, mac_host2, mac_b);
	EXPECT_REDIRECT(&f, &want);
	/* Tagged out through tc: the tag is in the frame tc sends. */
	fake_vlan_maps();
	udp_to(&f, "2001:db8:7::1", 64, 46, 60);
	xdp_run(dataplane_xdp_fd(dp), if_a, f.b, f.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_TRUE(r.has_meta && (r.meta.flags & TSN_META_TO_QDISC));
	CU_ASSERT_EQUAL(r.frame_len, f.len + 4);
	CU_ASSERT_EQUAL(r.frame[12], 0x81);
	CU_ASSERT_EQUAL(r.frame[14] >> 5, 5);
	CU_ASSERT_EQUAL(((r.frame[14] & 0x0f) << 8) | r.frame[15], 300);
	CU_ASSERT_EQUAL(r.frame[16 + 2 + 7], 63);
	CU_ASSERT_EQUAL_FATAL(apply_yaml(cfg_plain), 0);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("bpf_forward", suite_init, suite_cleanup);
	if (!suite ||
	    !CU_add_test(suite, "forwarded frames, exact bytes", test_forward_exact_bytes) ||
	    !CU_add_test(suite, "hop limit 0, 1, 2, 255", test_hop_limits) ||
	    !CU_add_test(suite, "FIB results the kernel handles", test_fib_results) ||
	    !CU_add_test(suite, "special addresses, other MACs, not IPv6", test_addresses_and_macs) ||
	    !CU_add_test(suite, "extension headers and lengths", test_headers_and_lengths) ||
	    !CU_add_test(suite, "IPv6 header of another version", test_ipv6_version) ||
	    !CU_add_test(suite, "VLAN tags in and out", test_vlan_forwarding) ||
	    !CU_add_test(suite, "scheduled classes go to tc", test_scheduled_class_goes_to_tc)) {
		CU_cleanup_registry();
		return 2;
	}
	return tu_run_tests();
}
