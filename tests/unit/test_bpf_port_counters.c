/* SPDX-License-Identifier: GPL-2.0-only */
/* test_bpf_port_counters.c — run the XDP program of bpf/dataplane.bpf.c on crafted frames
 * through the kernel's BPF_PROG_RUN and check the verdict and the exact counters
 * it leaves in its map.  Needs root (loading BPF). */
#include <errno.h>
#include <linux/if_ether.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/dataplane.skel.h"
#include "tsn/bpf_shared.h"
#include "test_util.h"
#include "dp_skel.h"

#define LO_IFINDEX 1		/* the ingress port every test frame claims */
#define PTP_HEADER_LEN 34
#define ARP_HEADER_LEN 8
#define IPV6_HEADER_LEN 40
#define IPV4_HEADER_LEN 20
#define ETHERTYPE_LOCAL_EXP 0x88B5	/* IEEE local experimental: an "other" type */
#define MAX_FRAME 256

static struct dataplane_bpf *skel;
static struct port_counters expected;
static unsigned refused_short;	/* frames under 14 bytes the kernel would not run */

static const char *const kind_name[TSN_KIND_COUNT] = {
	"ptp", "ipv6", "ipv4", "arp", "vlan", "other", "malformed",
};

/* ---- frames ---- */

struct frame {
	unsigned char data[MAX_FRAME];
	size_t len;
	size_t headers;		/* bytes of headers the program must see */
};

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* Ethernet + the given tag types (each with VID 100 + PCP 7), then `ethertype`, an
 * L3 header of l3_header bytes (filled with a pattern) and `payload` more bytes. */
static struct frame make_frame(const unsigned *tags, int ntags, unsigned ethertype,
			       size_t l3_header, size_t payload)
{
	static const unsigned char dst[6] = { 0x01, 0x1b, 0x19, 0x00, 0x00, 0x00 };
	static const unsigned char src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	struct frame f;
	unsigned char *p = f.data;

	memset(&f, 0, sizeof(f));
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	p += 12;
	for (int i = 0; i < ntags; i++) {
		put16(p, tags[i]);
		put16(p + 2, (7u << 13) | 100u);
		p += 4;
	}
	put16(p, ethertype);
	p += 2;
	for (size_t i = 0; i < l3_header + payload; i++)
		p[i] = (unsigned char)(0x40 + i);
	if (ethertype == ETH_P_IPV6 && l3_header)
		p[0] = 0x60;	/* version 6: any other is malformed */
	p += l3_header + payload;
	f.len = (size_t)(p - f.data);
	f.headers = f.len - payload;
	return f;
}

static const unsigned ctag[] = { 0x8100 };
static const unsigned qinq[] = { 0x88a8, 0x8100 };
static const unsigned three_tags[] = { 0x88a8, 0x8100, 0x8100 };

/* ---- running the program ---- */

/* Run the program once (or `repeat` times) on len bytes of frame.  Returns the
 * verdict, or a negative errno when the kernel refused to run it. */
static int run_frame(const unsigned char *data, size_t len, unsigned repeat)
{
	unsigned char out[MAX_FRAME];
	struct xdp_md ctx = {
		.data_end = (__u32)len,
		.ingress_ifindex = LO_IFINDEX,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = data,
		.data_size_in = (__u32)len,
		.data_out = out,	/* valgrind checks it even when not asked for */
		.data_size_out = sizeof(out),
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = repeat,
	);
	int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.tsn_xdp), &opts);

	return err ? err : (int)opts.retval;
}

/* Run and record what the counters should now say. */
static void expect_run(const struct frame *f, size_t len, enum tsn_frame_kind kind)
{
	int verdict = run_frame(f->data, len, 1);

	/* The kernel never hands an XDP program less than an Ethernet header
	 * (BPF_PROG_RUN, bpf_xdp_adjust_head and _tail all refuse it), so such a
	 * frame is refused before the program runs: nothing may be counted.  Should
	 * a kernel ever accept it, it must be passed and counted like any other. */
	if (len < ETH_HLEN && verdict == -EINVAL) {
		refused_short++;
		return;
	}
	if (verdict != XDP_PASS)
		fprintf(stderr, "\n  %zu-byte frame: verdict %d, expected XDP_PASS", len, verdict);
	CU_ASSERT_EQUAL(verdict, XDP_PASS);
	expected.kind[kind].packets++;
	expected.kind[kind].bytes += len;
}

static int ncpus;

/* The counters of port slot slot.  No tsn_ports entry is written here: every
 * frame counts in TSN_PORT_SLOT_NONE, the slot of ports without a configuration. */
static int read_counters(__u32 slot, struct port_counters *sum)
{
	return tu_dp_skel_port_counters(skel, slot, sum);
}

static void check_counters(void)
{
	struct port_counters got;

	CU_ASSERT_EQUAL_FATAL(read_counters(TSN_PORT_SLOT_NONE, &got), 0);
	for (int k = 0; k < TSN_KIND_COUNT; k++) {
		if (got.kind[k].packets != expected.kind[k].packets ||
		    got.kind[k].bytes != expected.kind[k].bytes)
			fprintf(stderr, "\n  %s: got %llu packets/%llu bytes, expected %llu/%llu",
				kind_name[k], (unsigned long long)got.kind[k].packets,
				(unsigned long long)got.kind[k].bytes,
				(unsigned long long)expected.kind[k].packets,
				(unsigned long long)expected.kind[k].bytes);
		CU_ASSERT_EQUAL(got.kind[k].packets, expected.kind[k].packets);
		CU_ASSERT_EQUAL(got.kind[k].bytes, expected.kind[k].bytes);
	}
}

/* ---- fixtures ---- */

static int suite_init(void)
{
	ncpus = libbpf_num_possible_cpus();
	skel = tu_dp_skel_load();
	if (!skel) {
		fprintf(stderr, "cannot load the data plane (root needed): %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int suite_cleanup(void)
{
	dataplane_bpf__destroy(skel);
	return 0;
}

/* Every test starts with the port's counters at zero. */
static void reset_counters(void)
{
	struct port_counters zero;

	memset(&zero, 0, sizeof(zero));
	for (int cpu = 0; cpu < ncpus; cpu++) {
		__u32 key = (__u32)cpu * TSN_PORT_SLOTS + TSN_PORT_SLOT_NONE;

		bpf_map__update_elem(skel->maps.port_stats, &key, sizeof(key), &zero, sizeof(zero), 0);
	}
	memset(&expected, 0, sizeof(expected));
	refused_short = 0;
}

/* ---- tests ---- */

/* A port without a configuration counts in the shared slot; before its first
 * frame nothing is there. */
static void test_first_frame_counts(void)
{
	struct frame f = make_frame(NULL, 0, ETHERTYPE_LOCAL_EXP, 0, 46);
	struct port_counters got, zero;

	reset_counters();
	memset(&zero, 0, sizeof(zero));
	CU_ASSERT_EQUAL(read_counters(TSN_PORT_SLOT_NONE, &got), 0);
	CU_ASSERT_EQUAL(memcmp(&got, &zero, sizeof(got)), 0);
	expect_run(&f, f.len, TSN_KIND_OTHER);
	check_counters();
}

static void test_each_kind(void)
{
	struct {
		struct frame f;
		enum tsn_frame_kind kind;
	} cases[] = {
		{ make_frame(NULL, 0, ETH_P_1588, PTP_HEADER_LEN, 10), TSN_KIND_PTP },
		{ make_frame(ctag, 1, ETH_P_1588, PTP_HEADER_LEN, 10), TSN_KIND_PTP },
		{ make_frame(qinq, 2, ETH_P_1588, PTP_HEADER_LEN, 10), TSN_KIND_PTP },
		{ make_frame(NULL, 0, ETH_P_IPV6, IPV6_HEADER_LEN, 8), TSN_KIND_IPV6 },
		{ make_frame(qinq, 2, ETH_P_IPV6, IPV6_HEADER_LEN, 8), TSN_KIND_IPV6 },
		{ make_frame(NULL, 0, ETH_P_IP, IPV4_HEADER_LEN, 26), TSN_KIND_IPV4 },
		{ make_frame(ctag, 1, ETH_P_IP, IPV4_HEADER_LEN, 22), TSN_KIND_IPV4 },
		{ make_frame(NULL, 0, ETH_P_ARP, ARP_HEADER_LEN, 20), TSN_KIND_ARP },
		{ make_frame(ctag, 1, ETH_P_ARP, ARP_HEADER_LEN, 20), TSN_KIND_ARP },
		{ make_frame(ctag, 1, ETHERTYPE_LOCAL_EXP, 0, 42), TSN_KIND_VLAN },
		{ make_frame(qinq, 2, ETHERTYPE_LOCAL_EXP, 0, 38), TSN_KIND_VLAN },
		/* The program parses two tags; a third leaves a tag as the EtherType. */
		{ make_frame(three_tags, 3, ETH_P_1588, PTP_HEADER_LEN, 0), TSN_KIND_VLAN },
		{ make_frame(NULL, 0, ETHERTYPE_LOCAL_EXP, 0, 46), TSN_KIND_OTHER },
		/* A header-only frame is complete: its kind, not malformed. */
		{ make_frame(NULL, 0, ETH_P_1588, PTP_HEADER_LEN, 0), TSN_KIND_PTP },
		{ make_frame(NULL, 0, ETHERTYPE_LOCAL_EXP, 0, 0), TSN_KIND_OTHER },
	};

	reset_counters();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_run(&cases[i].f, cases[i].f.len, cases[i].kind);
	check_counters();
	/* Each kind was hit, so no expectation above is vacuous. */
	for (int k = 0; k < TSN_KIND_MALFORMED; k++)
		CU_ASSERT(expected.kind[k].packets > 0);
}

/* Every frame cut anywhere inside its headers is malformed; the program must not
 * read past data_end (the verifier guarantees it) and must still pass it on. */
static void test_truncated_frames(void)
{
	struct frame templates[] = {
		make_frame(qinq, 2, ETH_P_1588, PTP_HEADER_LEN, 0),
		make_frame(ctag, 1, ETH_P_1588, PTP_HEADER_LEN, 0),
		make_frame(NULL, 0, ETH_P_IPV6, IPV6_HEADER_LEN, 0),
		make_frame(ctag, 1, ETH_P_IP, IPV4_HEADER_LEN, 0),
		make_frame(NULL, 0, ETH_P_ARP, ARP_HEADER_LEN, 0),
		make_frame(qinq, 2, ETHERTYPE_LOCAL_EXP, 0, 0),
		make_frame(NULL, 0, ETHERTYPE_LOCAL_EXP, 0, 0),
	};

	reset_counters();
	for (size_t t = 0; t < sizeof(templates) / sizeof(templates[0]); t++)
		for (size_t len = 0; len < templates[t].headers; len++)
			expect_run(&templates[t], len, TSN_KIND_MALFORMED);
	/* Every cut from 0 to 22 bytes of the QinQ PTP frame is among them; the
	 * cuts below 14 bytes are refused by the kernel (see expect_run). */
	CU_ASSERT(templates[0].headers > 22);
	CU_ASSERT_EQUAL(expected.kind[TSN_KIND_MALFORMED].packets + refused_short,
			56 + 52 + 54 + 38 + 22 + 22 + 14);
	CU_ASSERT(refused_short == 0 || refused_short == 7 * ETH_HLEN);
	check_counters();
}

static void test_repeat_counts_every_run(void)
{
	struct frame f = make_frame(ctag, 1, ETH_P_IPV6, IPV6_HEADER_LEN, 100);

	reset_counters();
	int verdict = run_frame(f.data, f.len, 7);

	if (verdict != XDP_PASS)
		fprintf(stderr, "\n  verdict %d", verdict);
	CU_ASSERT_EQUAL(verdict, XDP_PASS);
	expected.kind[TSN_KIND_IPV6].packets = 7;
	expected.kind[TSN_KIND_IPV6].bytes = 7 * f.len;
	check_counters();
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("bpf_port_counters", suite_init, suite_cleanup);
	if (!suite ||
	    !CU_add_test(suite, "first frame counts in the no-configuration slot", test_first_frame_counts) ||
	    !CU_add_test(suite, "each frame kind", test_each_kind) ||
	    !CU_add_test(suite, "frames truncated inside their headers", test_truncated_frames) ||
	    !CU_add_test(suite, "repeat counts every run", test_repeat_counts_every_run)) {
		CU_cleanup_registry();
		return 2;
	}
	return tu_run_tests();
}
