/* SPDX-License-Identifier: GPL-2.0-only */
/* test_bpf_policing.c — IEEE 802.1Qci per-stream filtering and policing in the XDP
 * program (bpf/dataplane.bpf.c): max SDU, stream gates, flow meters with exact
 * token arithmetic over controlled time, drop and demote, per-filter counters; and
 * the per-port access lists (ports[].acl) and storm guard (ports[].storm-guard).
 *
 * The token arithmetic (include/tsn/bpf_meter.h) is checked on the host first,
 * then the real program runs on crafted frames through BPF_PROG_RUN with tables
 * the real loader wrote from a real configuration.  The program's clock is the
 * tsn_clock map, which the test sets: every refill below is known to the byte.
 * Runs in a network namespace of its own with one veth port.  Needs root. */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "bpf_frames.h"
#include "dataplane.h"
#include "policing.h"
#include "test_util.h"
#include "dp_util.h"
#include "tsn/bpf_meter.h"
#include "tsn/log.h"
#include "dp_skel.h"

#define PORT "po0"
#define U TSN_METER_UNITS_PER_BYTE
#define T0 1000000000ull	/* the first frame's time: buckets full */

static struct dataplane *dp;
static int ifindex;
static const uint8_t port_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xd0 };
static const uint8_t mac_other[6] = { 0x02, 0x00, 0x00, 0x00, 0xcc, 0x03 };

/* 8 Mbit/s is one byte per microsecond: 1000 ns per byte. */
static const char *const policing_cfg =
	"ports:\n"
	"  - { name: " PORT ", xdp: generic }\n"
	"flow-meters:\n"
	"  - { name: m-drop, cir: 8Mbit, cbs: 1000B }\n"
	"  - { name: m-demote, cir: 8Mbit, cbs: 200B, on-exceed: demote, demote-priority: 1 }\n"
	"  - { name: m-two, cir: 8Mbit, cbs: 100B, eir: 16Mbit, ebs: 200B }\n"
	"  - { name: m-gated, cir: 8Mbit, cbs: 300B }\n"
	"  - { name: m-aware, cir: 8Mbit, cbs: 100B, eir: 8Mbit, ebs: 200B, color-mode: aware }\n"
	"  - { name: m-coupled, cir: 8Mbit, cbs: 100B, ebs: 200B, coupling: true,\n"
	"      color-mode: aware }\n"
	"  - { name: m-blind, cir: 8Mbit, cbs: 100B, eir: 8Mbit, ebs: 200B }\n"
	"stream-gates:\n"
	"  - name: g-win\n"
	"    clock: monotonic\n"
	"    base-time: 1000000000\n"
	"    entries:\n"
	"      - { state: open, interval: 100us }\n"
	"      - { state: closed, interval: 200us }\n"
	"      - { state: open, interval: 50us, priority: 2 }\n"
	"  - name: g-long\n"
	"    clock: tai\n"
	"    base-time: 0\n"
	"    cycle-time: 1ms\n"
	"    entries:\n"
	"      - { state: closed, interval: 100us }\n"
	"      - { state: open, interval: 100us }\n"
	"stream-filters:\n"
	"  - { name: f-drop, max-sdu: 200, meter: m-drop }\n"
	"  - { name: f-demote, meter: m-demote }\n"
	"  - { name: f-two, meter: m-two }\n"
	"  - { name: f-sdu, max-sdu: 120 }\n"
	"  - { name: f-gate, gate: g-win, meter: m-gated }\n"
	"  - { name: f-long, gate: g-long }\n"
	"  - { name: f-aware, meter: m-aware }\n"
	"  - { name: f-coupled, meter: m-coupled }\n"
	"  - { name: f-blind, meter: m-blind }\n"
	"streams:\n"
	"  - { id: 1, identification: ipv6, dst: \"2001:db8:2::1\", priority: 6, filter: f-drop }\n"
	"  - { id: 2, identification: ipv6, dst: \"2001:db8:2::2\", priority: 6, filter: f-demote }\n"
	"  - { id: 3, identification: ipv6, dst: \"2001:db8:2::3\", priority: 5, filter: f-two }\n"
	"  - { id: 4, identification: ipv6, dst: \"2001:db8:2::4\", priority: 5, filter: f-sdu }\n"
	"  - { id: 5, identification: ipv6, dst: \"2001:db8:2::5\", priority: 4 }\n"
	"  - { id: 6, identification: ipv6, dst: \"2001:db8:2::6\", priority: 5, filter: f-gate }\n"
	"  - { id: 7, identification: ipv6, dst: \"2001:db8:2::7\", priority: 5, filter: f-long }\n"
	"  - { id: 8, identification: ipv6, dst: \"2001:db8:2::8\", priority: 5, filter: f-aware }\n"
	"  - { id: 9, identification: ipv6, dst: \"2001:db8:2::9\", priority: 5, filter: f-coupled }\n"
	"  - { id: 10, identification: ipv6, dst: \"2001:db8:2::a\", priority: 5, filter: f-blind }\n";

/* Flow meter ids (position in flow-meters, from 1) and filter ids. */
#define M_AWARE 5
#define M_COUPLED 6
#define M_BLIND 7
#define F_AWARE 7
#define F_COUPLED 8
#define F_BLIND 9

/* ---- host-side arithmetic ---- */

static void test_refill_exact(void)
{
	/* 8 Mbit/s: 999 ns add 999 * 8e6 units = 0.999 byte, nothing rounded. */
	CU_ASSERT_EQUAL(tsn_meter_refill(0, 1000 * U, 8000000, 999), 999ull * 8000000);
	CU_ASSERT_EQUAL(tsn_meter_refill(0, 1000 * U, 8000000, 1000), 1 * U);
	/* Never above the capacity. */
	CU_ASSERT_EQUAL(tsn_meter_refill(999 * U, 1000 * U, 8000000, 5000), 1000 * U);
	CU_ASSERT_EQUAL(tsn_meter_refill(2000 * U, 1000 * U, 8000000, 0), 1000 * U);
	/* Rate 0 never refills. */
	CU_ASSERT_EQUAL(tsn_meter_refill(7, 1000 * U, 0, ~0ull), 7);
	/* No overflow: the largest bucket (1 GiB), the largest rate, the longest time. */
	uint64_t cap = (1ull << 30) * U;

	CU_ASSERT_EQUAL(tsn_meter_refill(0, cap, ~0ull, ~0ull), cap);
	CU_ASSERT_EQUAL(tsn_meter_refill(0, cap, 1, ~0ull), cap);
	CU_ASSERT_EQUAL(tsn_meter_refill(0, cap, ~0ull, 0), 0);
	/* Exactly the room: full; one ns less: one rate's worth short. */
	CU_ASSERT_EQUAL(tsn_meter_refill(0, 1000 * U, 8000000, 1000000), 1000 * U);
	CU_ASSERT_EQUAL(tsn_meter_refill(0, 1000 * U, 8000000, 999999), 1000 * U - 8000000);
}

static void test_mark_two_rate(void)
{
	__u64 c = 0, e = 0, last = 0;

	/* cbs 100 B, ebs 200 B: 100 B frames at T0: green, yellow, yellow, red. */
	CU_ASSERT_EQUAL(tsn_meter_mark(&c, &e, &last, 8000000, 100 * U, 16000000, 200 * U, T0, 100),
			TSN_METER_GREEN);
	CU_ASSERT_EQUAL(tsn_meter_mark(&c, &e, &last, 8000000, 100 * U, 16000000, 200 * U, T0, 100),
			TSN_METER_YELLOW);
	CU_ASSERT_EQUAL(tsn_meter_mark(&c, &e, &last, 8000000, 100 * U, 16000000, 200 * U, T0, 100),
			TSN_METER_YELLOW);
	CU_ASSERT_EQUAL(tsn_meter_mark(&c, &e, &last, 8000000, 100 * U, 16000000, 200 * U, T0, 100),
			TSN_METER_RED);
	CU_ASSERT_EQUAL(c, 0);
	CU_ASSERT_EQUAL(e, 0);
	/* A clock behind the last update adds nothing and does not move back. */
	CU_ASSERT_EQUAL(tsn_meter_mark(&c, &e, &last, 8000000, 100 * U, 16000000, 200 * U, T0 - 5, 1),
			TSN_METER_RED);
	CU_ASSERT_EQUAL(last, T0);
}

/* Color-aware (MEF 10.3 CM = aware): a yellow frame never takes committed tokens. */
static void test_mark_color_aware(void)
{
	__u64 c = 0, e = 0, last = 0;
#define MARK(in, len) tsn_meter_mark_color(&c, &e, &last, 8000000, 100 * U, 8000000, 200 * U, \
					   T0, len, in, 0)

	/* Full: 100 B committed, 200 B excess. */
	CU_ASSERT_EQUAL(MARK(TSN_METER_YELLOW, 100), TSN_METER_YELLOW);
	CU_ASSERT_EQUAL(c, 100 * U);	/* committed untouched */
	CU_ASSERT_EQUAL(e, 100 * U);
	CU_ASSERT_EQUAL(MARK(TSN_METER_GREEN, 100), TSN_METER_GREEN);
	CU_ASSERT_EQUAL(c, 0);
	CU_ASSERT_EQUAL(MARK(TSN_METER_YELLOW, 100), TSN_METER_YELLOW);
	CU_ASSERT_EQUAL(e, 0);
	CU_ASSERT_EQUAL(MARK(TSN_METER_YELLOW, 1), TSN_METER_RED);
	CU_ASSERT_EQUAL(MARK(TSN_METER_GREEN, 1), TSN_METER_RED);
	/* A green frame may still fall back to excess tokens; a yellow one may not
	 * take committed ones: 1 us later both buckets hold 1 B. */
	CU_ASSERT_EQUAL(tsn_meter_mark_color(&c, &e, &last, 8000000, 100 * U, 8000000, 200 * U,
					     T0 + 1000, 1, TSN_METER_YELLOW, 0), TSN_METER_YELLOW);
	CU_ASSERT_EQUAL(c, 1 * U);
	CU_ASSERT_EQUAL(e, 0);
	CU_ASSERT_EQUAL(MARK(TSN_METER_YELLOW, 1), TSN_METER_RED);	/* 1 B committed, unused */
	CU_ASSERT_EQUAL(c, 1 * U);
	/* A frame that arrives red stays red and takes nothing. */
	CU_ASSERT_EQUAL(MARK(TSN_METER_RED, 1), TSN_METER_RED);
	CU_ASSERT_EQUAL(c, 1 * U);
	CU_ASSERT_EQUAL(MARK(TSN_METER_GREEN, 1), TSN_METER_GREEN);
	CU_ASSERT_EQUAL(c, 0);
#undef MARK
}

/* Coupling (CF = 1): the committed bucket's overflow feeds the excess bucket. */
static void test_mark_coupling(void)
{
	uint64_t cap = (1ull << 30) * U;
	__u64 c = 0, e = 0, last = 0;

	/* cir 8 Mbit/s (1 B/us), cbs 100 B, eir 0, ebs 200 B. */
	CU_ASSERT_EQUAL(tsn_meter_mark_color(&c, &e, &last, 8000000, 100 * U, 0, 200 * U, T0, 100,
					     TSN_METER_GREEN, 1), TSN_METER_GREEN);
	CU_ASSERT_EQUAL(tsn_meter_mark_color(&c, &e, &last, 8000000, 100 * U, 0, 200 * U, T0, 200,
					     TSN_METER_YELLOW, 1), TSN_METER_YELLOW);
	CU_ASSERT_EQUAL(c, 0);
	CU_ASSERT_EQUAL(e, 0);
	/* 150.001 us: 100 B fill the committed bucket, 50.001 B overflow to excess. */
	CU_ASSERT_EQUAL(tsn_meter_mark_color(&c, &e, &last, 8000000, 100 * U, 0, 200 * U,
					     T0 + 150001, 51, TSN_METER_YELLOW, 1), TSN_METER_RED);
	CU_ASSERT_EQUAL(c, 100 * U);
	CU_ASSERT_EQUAL(e, 50 * U + 8000000);
	CU_ASSERT_EQUAL(tsn_meter_mark_color(&c, &e, &last, 8000000, 100 * U, 0, 200 * U,
					     T0 + 150001, 50, TSN_METER_YELLOW, 1), TSN_METER_YELLOW);
	CU_ASSERT_EQUAL(e, 8000000);
	/* Uncoupled, the same overflow is lost. */
	c = 0, e = 0;
	CU_ASSERT_EQUAL(tsn_meter_mark_color(&c, &e, &last, 8000000, 100 * U, 0, 200 * U,
					     T0 + 150001 + 150000, 1, TSN_METER_YELLOW, 0), TSN_METER_RED);
	CU_ASSERT_EQUAL(c, 100 * U);
	CU_ASSERT_EQUAL(e, 0);
	/* Both rates add up, never beyond ebs. */
	c = 50 * U, e = 0;
	last = T0;
	CU_ASSERT_EQUAL(tsn_meter_mark_color(&c, &e, &last, 8000000, 100 * U, 16000000, 200 * U,
					     T0 + 60000, 1, TSN_METER_RED, 1), TSN_METER_RED);
	CU_ASSERT_EQUAL(c, 100 * U);
	CU_ASSERT_EQUAL(e, 120 * U + 10 * U);	/* 60 us at 2 B/us, 10 B overflow */
	CU_ASSERT_EQUAL(tsn_meter_mark_color(&c, &e, &last, 8000000, 100 * U, 16000000, 200 * U,
					     T0 + 1000000, 1, TSN_METER_RED, 1), TSN_METER_RED);
	CU_ASSERT_EQUAL(e, 200 * U);
	/* The overflow never overflows: largest buckets, rate and time. */
	CU_ASSERT_EQUAL(tsn_meter_overflow(0, cap, ~0ull, ~0ull, cap), cap);
	CU_ASSERT_EQUAL(tsn_meter_overflow(cap, cap, 1, ~0ull, cap), cap);
	CU_ASSERT_EQUAL(tsn_meter_overflow(0, cap, 1, ~0ull, 0), 0);
	/* Exactly the committed room: no overflow; one ns more: one rate's worth. */
	CU_ASSERT_EQUAL(tsn_meter_overflow(0, 100 * U, 8000000, 100000, 200 * U), 0);
	CU_ASSERT_EQUAL(tsn_meter_overflow(0, 100 * U, 8000000, 100001, 200 * U), 8000000);
	CU_ASSERT_EQUAL(tsn_meter_overflow(0, 100 * U, 8000000, 1000000, 200 * U), 200 * U);
}

/* ---- through the program ---- */

static int apply_cfg(const char *yaml)
{
	char err[512];

	return tu_dp_apply(dp, yaml, err, sizeof(err));
}

static void set_clock(uint64_t ns)
{
	struct tsn_clock_ovr c = { .fixed_ns = ns };
	uint32_t zero = 0;

	CU_ASSERT_EQUAL(bpf_map_update_elem(dataplane_map_fd(dp, "tsn_clock"), &zero, &c, BPF_ANY), 0);
}

/* Buckets of every meter back to "never used" (full at the next frame). */
static void reset_meters_and_counters(void)
{
	int ncpus = libbpf_num_possible_cpus();
	struct tsn_filter_counters *zero = calloc((size_t)ncpus, sizeof(*zero));
	struct tsn_meter_state ms;

	memset(&ms, 0, sizeof(ms));
	for (uint32_t id = 1; id <= 9; id++) {
		CU_ASSERT_EQUAL(bpf_map_update_elem(dataplane_map_fd(dp, "tsn_meters"), &id, &ms,
						    BPF_ANY), 0);
		CU_ASSERT_EQUAL(bpf_map_update_elem(dataplane_map_fd(dp, "tsn_filter_stats"), &id,
						    zero, BPF_ANY), 0);
	}
	free(zero);
}

/* A UDP frame of exactly len bytes (as XDP sees it) to dst. */
static void frame_to(struct fb *f, const char *dst, size_t len)
{
	CU_ASSERT_FATAL(len >= 14 + 40 + 8);
	fb_eth(f, port_mac, mac_other);
	fb_ipv6(f, "2001:db8:1::10", dst, 64, 0);
	fb_udp(f, 1000, 5000, len - 14 - 40 - 8);
	fb_done(f);
	CU_ASSERT_EQUAL(f->len, len);
}

/* Run one frame; the verdict, and the priority the metadata carries (-1: none). */
static int run(const struct fb *f, int *prio)
{
	struct xdp_result r;

	xdp_run(dataplane_xdp_fd(dp), ifindex, f->b, f->len, &r);
	CU_ASSERT_EQUAL(r.err, 0);
	*prio = r.has_meta ? r.meta.priority : -1;
	return r.verdict;
}

static int verdict_of(const char *dst, size_t len)
{
	struct fb f;
	int prio;

	frame_to(&f, dst, len);
	return run(&f, &prio);
}

static struct tsn_filter_counters counters(uint32_t id)
{
	struct tsn_filter_counters c;

	CU_ASSERT_EQUAL(pol_read_counters(dataplane_map_fd(dp, "tsn_filter_stats"), id, &c), 0);
	return c;
}

#define D1 "2001:db8:2::1"

static void test_meter_drop_exact(void)
{
	struct tsn_filter_counters c;

	CU_ASSERT_EQUAL_FATAL(apply_cfg(policing_cfg), 0);
	reset_meters_and_counters();
	set_clock(T0);
	/* A full bucket of 1000 B: ten 100-byte frames, not eleven. */
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(verdict_of(D1, 100), XDP_PASS);
	CU_ASSERT_EQUAL(verdict_of(D1, 100), XDP_DROP);
	/* 8 Mbit/s: 100 bytes take 100 us; 1 ns short is still red. */
	set_clock(T0 + 99999);
	CU_ASSERT_EQUAL(verdict_of(D1, 100), XDP_DROP);
	set_clock(T0 + 100000);
	CU_ASSERT_EQUAL(verdict_of(D1, 100), XDP_PASS);
	CU_ASSERT_EQUAL(verdict_of(D1, 100), XDP_DROP);
	/* Fractions of a byte carry over: 33.333 B three times, then 0.001 B.  (Rounding
	 * each refill down to whole bytes would leave 99 B here and drop the frame.) */
	set_clock(T0 + 100000 + 33333);
	CU_ASSERT_EQUAL(verdict_of(D1, 100), XDP_DROP);
	set_clock(T0 + 100000 + 66666);
	CU_ASSERT_EQUAL(verdict_of(D1, 100), XDP_DROP);
	set_clock(T0 + 100000 + 99999);
	CU_ASSERT_EQUAL(verdict_of(D1, 100), XDP_DROP);	/* 99.999 B: red takes nothing */
	set_clock(T0 + 100000 + 100000);
	CU_ASSERT_EQUAL(verdict_of(D1, 100), XDP_PASS);	/* 100.000 B */
	/* After a long pause the bucket holds its size, not more. */
	set_clock(T0 + 1000000000000ull);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(verdict_of(D1, 100), XDP_PASS);
	CU_ASSERT_EQUAL(verdict_of(D1, 100), XDP_DROP);

	c = counters(1);
	CU_ASSERT_EQUAL(c.matched, 29);
	CU_ASSERT_EQUAL(c.passed, 22);
	CU_ASSERT_EQUAL(c.red, 7);
	CU_ASSERT_EQUAL(c.yellow, 0);
	CU_ASSERT_EQUAL(c.max_sdu, 0);
	CU_ASSERT_EQUAL(c.demoted, 0);
}

static void test_max_sdu(void)
{
	struct tsn_filter_counters c;

	CU_ASSERT_EQUAL_FATAL(apply_cfg(policing_cfg), 0);
	reset_meters_and_counters();
	set_clock(T0);
	/* f-sdu: 120 bytes pass, 121 do not. */
	CU_ASSERT_EQUAL(verdict_of("2001:db8:2::4", 120), XDP_PASS);
	CU_ASSERT_EQUAL(verdict_of("2001:db8:2::4", 121), XDP_DROP);
	CU_ASSERT_EQUAL(verdict_of("2001:db8:2::4", 1000), XDP_DROP);
	c = counters(4);
	CU_ASSERT_EQUAL(c.matched, 3);
	CU_ASSERT_EQUAL(c.passed, 1);
	CU_ASSERT_EQUAL(c.max_sdu, 2);
	/* f-drop: an oversize frame is dropped before the meter and takes no tokens. */
	CU_ASSERT_EQUAL(verdict_of(D1, 201), XDP_DROP);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(verdict_of(D1, 200), XDP_PASS);
	CU_ASSERT_EQUAL(verdict_of(D1, 200), XDP_DROP);
	c = counters(1);
	CU_ASSERT_EQUAL(c.max_sdu, 1);
	CU_ASSERT_EQUAL(c.red, 1);
	CU_ASSERT_EQUAL(c.passed, 5);
	/* A stream without a filter is never policed. */
	for (int i = 0; i < 20; i++)
		CU_ASSERT_EQUAL(verdict_of("2001:db8:2::5", 1400), XDP_PASS);
}

static void test_demote(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	struct tsn_filter_counters c;
	struct fb f;
	int prio;

	CU_ASSERT_EQUAL_FATAL(apply_cfg(policing_cfg), 0);
	reset_meters_and_counters();
	set_clock(T0);
	frame_to(&f, "2001:db8:2::2", 100);
	CU_ASSERT_EQUAL(run(&f, &prio), XDP_PASS);
	CU_ASSERT_EQUAL(prio, 6);
	CU_ASSERT_EQUAL(run(&f, &prio), XDP_PASS);
	CU_ASSERT_EQUAL(prio, 6);
	/* Red: passed at demote-priority 1. */
	CU_ASSERT_EQUAL(run(&f, &prio), XDP_PASS);
	CU_ASSERT_EQUAL(prio, 1);
	set_clock(T0 + 100000);
	CU_ASSERT_EQUAL(run(&f, &prio), XDP_PASS);
	CU_ASSERT_EQUAL(prio, 6);
	c = counters(2);
	CU_ASSERT_EQUAL(c.matched, 4);
	CU_ASSERT_EQUAL(c.passed, 4);
	CU_ASSERT_EQUAL(c.red, 1);
	CU_ASSERT_EQUAL(c.demoted, 1);
}

static void test_two_rate(void)
{
	struct tsn_filter_counters c;
	const char *d3 = "2001:db8:2::3";

	CU_ASSERT_EQUAL_FATAL(apply_cfg(policing_cfg), 0);
	reset_meters_and_counters();
	set_clock(T0);
	/* cbs 100 B, ebs 200 B: green, yellow, yellow, red. */
	CU_ASSERT_EQUAL(verdict_of(d3, 100), XDP_PASS);
	CU_ASSERT_EQUAL(verdict_of(d3, 100), XDP_PASS);
	CU_ASSERT_EQUAL(verdict_of(d3, 100), XDP_PASS);
	CU_ASSERT_EQUAL(verdict_of(d3, 100), XDP_DROP);
	/* 64 us: 64 B committed (too few for 100), 128 B excess (enough). */
	set_clock(T0 + 64000);
	CU_ASSERT_EQUAL(verdict_of(d3, 100), XDP_PASS);	/* yellow: 28 B excess left */
	CU_ASSERT_EQUAL(verdict_of(d3, 64), XDP_PASS);	/* green: exactly 64 B committed */
	CU_ASSERT_EQUAL(verdict_of(d3, 64), XDP_DROP);	/* red: 0 and 28 B */
	c = counters(3);
	CU_ASSERT_EQUAL(c.matched, 7);
	CU_ASSERT_EQUAL(c.passed, 5);
	CU_ASSERT_EQUAL(c.yellow, 3);
	CU_ASSERT_EQUAL(c.red, 2);
}

/* A VLAN-tagged UDP frame of exactly len bytes to dst, with DEI set or not; runs it
 * and returns the verdict, *dei_out the DEI bit of the frame that leaves (-1 if
 * dropped). */
static int run_tagged(const char *dst, size_t len, int dei, int *dei_out)
{
	struct xdp_result r;
	struct fb f;

	CU_ASSERT_FATAL(len >= 18 + 40 + 8);
	fb_eth(&f, port_mac, mac_other);
	fb_vlan(&f, 0x8100, 5, (dei ? 0x1000u : 0) | 100);
	fb_ipv6(&f, "2001:db8:1::10", dst, 64, 0);
	fb_udp(&f, 1000, 5000, len - 18 - 40 - 8);
	fb_done(&f);
	CU_ASSERT_EQUAL(f.len, len);
	xdp_run(dataplane_xdp_fd(dp), ifindex, f.b, f.len, &r);
	CU_ASSERT_EQUAL(r.err, 0);
	*dei_out = -1;
	if (r.verdict != XDP_DROP && r.frame_len >= 16) {
		CU_ASSERT_EQUAL(r.frame[12], 0x81);	/* still tagged where it was */
		*dei_out = (r.frame[14] >> 4) & 1;
		CU_ASSERT_EQUAL(r.frame[14] & 0xef, 5 << 5);	/* PCP kept, VID 100 */
		CU_ASSERT_EQUAL(r.frame[15], 100);
	}
	return r.verdict;
}

static struct tsn_meter_state meter_state(uint32_t mid)
{
	struct tsn_meter_state ms;

	memset(&ms, 0, sizeof(ms));
	CU_ASSERT_EQUAL(bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_meters"), &mid, &ms), 0);
	return ms;
}

#define D8 "2001:db8:2::8"
#define D9 "2001:db8:2::9"
#define DA "2001:db8:2::a"

/* m-aware: cir = eir = 8 Mbit/s (1 B/us), cbs 100 B, ebs 200 B, color-aware: a
 * frame with DEI set arrives yellow and may use only excess tokens. */
static void test_color_aware(void)
{
	struct tsn_filter_counters c;
	struct tsn_meter_state ms;
	int dei;

	CU_ASSERT_EQUAL_FATAL(apply_cfg(policing_cfg), 0);
	reset_meters_and_counters();
	set_clock(T0);
	/* Yellow in: excess 200 -> 100 B, committed untouched. */
	CU_ASSERT_EQUAL(run_tagged(D8, 100, 1, &dei), XDP_PASS);
	CU_ASSERT_EQUAL(dei, 1);
	ms = meter_state(M_AWARE);
	CU_ASSERT_EQUAL(ms.committed, 100 * U);
	CU_ASSERT_EQUAL(ms.excess, 100 * U);
	/* Green in: committed 100 -> 0, leaves green (DEI clear). */
	CU_ASSERT_EQUAL(run_tagged(D8, 100, 0, &dei), XDP_PASS);
	CU_ASSERT_EQUAL(dei, 0);
	/* Yellow in: the last 100 B of excess. */
	CU_ASSERT_EQUAL(run_tagged(D8, 100, 1, &dei), XDP_PASS);
	ms = meter_state(M_AWARE);
	CU_ASSERT_EQUAL(ms.committed, 0);
	CU_ASSERT_EQUAL(ms.excess, 0);
	/* Both empty: red either way, dropped. */
	CU_ASSERT_EQUAL(run_tagged(D8, 100, 1, &dei), XDP_DROP);
	CU_ASSERT_EQUAL(run_tagged(D8, 100, 0, &dei), XDP_DROP);
	/* 100 us later, 100 B in each bucket.  Two yellow frames: the first takes the
	 * excess, the second finds 100 B committed it may not use: red. */
	set_clock(T0 + 100000);
	CU_ASSERT_EQUAL(run_tagged(D8, 100, 1, &dei), XDP_PASS);
	CU_ASSERT_EQUAL(run_tagged(D8, 100, 1, &dei), XDP_DROP);
	ms = meter_state(M_AWARE);
	CU_ASSERT_EQUAL(ms.committed, 100 * U);
	CU_ASSERT_EQUAL(ms.excess, 0);
	/* A green frame takes them. */
	CU_ASSERT_EQUAL(run_tagged(D8, 100, 0, &dei), XDP_PASS);
	CU_ASSERT_EQUAL(dei, 0);
	/* 99.999 us: 99.999 B each; 1 ns more: exactly 100 B of excess. */
	set_clock(T0 + 199999);
	CU_ASSERT_EQUAL(run_tagged(D8, 100, 1, &dei), XDP_DROP);
	set_clock(T0 + 200000);
	CU_ASSERT_EQUAL(run_tagged(D8, 100, 1, &dei), XDP_PASS);
	ms = meter_state(M_AWARE);
	CU_ASSERT_EQUAL(ms.excess, 0);
	CU_ASSERT_EQUAL(ms.committed, 100 * U);
	c = counters(F_AWARE);
	CU_ASSERT_EQUAL(c.matched, 10);
	CU_ASSERT_EQUAL(c.passed, 6);
	CU_ASSERT_EQUAL(c.yellow, 4);
	CU_ASSERT_EQUAL(c.red, 4);
}

/* m-blind, same buckets, color-blind: DEI is ignored on the way in; a frame the
 * meter marks yellow leaves with DEI set. */
static void test_color_blind_marks_yellow(void)
{
	struct tsn_filter_counters c;
	int dei;

	CU_ASSERT_EQUAL_FATAL(apply_cfg(policing_cfg), 0);
	reset_meters_and_counters();
	set_clock(T0);
	CU_ASSERT_EQUAL(run_tagged(DA, 100, 1, &dei), XDP_PASS);	/* green: takes committed */
	CU_ASSERT_EQUAL(dei, 1);	/* a DEI it came with stays */
	CU_ASSERT_EQUAL(run_tagged(DA, 100, 0, &dei), XDP_PASS);	/* yellow: marked */
	CU_ASSERT_EQUAL(dei, 1);
	CU_ASSERT_EQUAL(run_tagged(DA, 100, 0, &dei), XDP_PASS);	/* yellow */
	CU_ASSERT_EQUAL(dei, 1);
	CU_ASSERT_EQUAL(run_tagged(DA, 100, 0, &dei), XDP_DROP);
	set_clock(T0 + 100000);
	CU_ASSERT_EQUAL(run_tagged(DA, 100, 0, &dei), XDP_PASS);	/* green again */
	CU_ASSERT_EQUAL(dei, 0);
	c = counters(F_BLIND);
	CU_ASSERT_EQUAL(c.yellow, 2);
	CU_ASSERT_EQUAL(c.red, 1);
	CU_ASSERT_EQUAL(c.passed, 4);
}

/* m-coupled: cir 8 Mbit/s, cbs 100 B, no excess rate, ebs 200 B, coupling,
 * color-aware: the excess bucket fills only with the committed one's overflow. */
static void test_coupling(void)
{
	struct tsn_meter_state ms;
	int dei;

	CU_ASSERT_EQUAL_FATAL(apply_cfg(policing_cfg), 0);
	reset_meters_and_counters();
	set_clock(T0);
	CU_ASSERT_EQUAL(run_tagged(D9, 100, 0, &dei), XDP_PASS);	/* green, committed 0 */
	CU_ASSERT_EQUAL(run_tagged(D9, 200, 1, &dei), XDP_PASS);	/* yellow, excess 0 */
	CU_ASSERT_EQUAL(run_tagged(D9, 70, 1, &dei), XDP_DROP);
	/* 150 us: 100 B fill the committed bucket, the other 50 B go to excess. */
	set_clock(T0 + 150000);
	CU_ASSERT_EQUAL(run_tagged(D9, 70, 1, &dei), XDP_DROP);	/* 70 > 50 B */
	ms = meter_state(M_COUPLED);
	CU_ASSERT_EQUAL(ms.committed, 100 * U);
	CU_ASSERT_EQUAL(ms.excess, 50 * U);
	set_clock(T0 + 170000);	/* 20 B more, all overflow: 70 B */
	CU_ASSERT_EQUAL(run_tagged(D9, 70, 1, &dei), XDP_PASS);
	CU_ASSERT_EQUAL(dei, 1);
	ms = meter_state(M_COUPLED);
	CU_ASSERT_EQUAL(ms.committed, 100 * U);
	CU_ASSERT_EQUAL(ms.excess, 0);
}

/* Gate g-win: open 100 us, closed 200 us, open 50 us at priority 2; cycle 350 us
 * from 1 s.  The verdict and priority at an offset into the cycle. */
static void expect_gate(const char *dst, int64_t at, int want_verdict, int want_prio, int line)
{
	struct fb f;
	int prio, v;

	set_clock((uint64_t)((int64_t)T0 + at));
	frame_to(&f, dst, 64);
	v = run(&f, &prio);
	if (v != want_verdict || (want_verdict == XDP_PASS && prio != want_prio))
		fprintf(stderr, "\n  line %d: at %+lld ns: verdict %d prio %d, want %d prio %d", line,
			(long long)at, v, prio, want_verdict, want_prio);
	CU_ASSERT_EQUAL(v, want_verdict);
	if (want_verdict == XDP_PASS)
		CU_ASSERT_EQUAL(prio, want_prio);
}

#define EXPECT_GATE(dst, at, v, p) expect_gate(dst, at, v, p, __LINE__)

static void test_stream_gates(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	const char *d6 = "2001:db8:2::6", *d7 = "2001:db8:2::7";
	struct tsn_filter_counters c;

	CU_ASSERT_EQUAL_FATAL(apply_cfg(policing_cfg), 0);
	reset_meters_and_counters();
	EXPECT_GATE(d6, 0, XDP_PASS, 5);
	EXPECT_GATE(d6, 99999, XDP_PASS, 5);
	EXPECT_GATE(d6, 100000, XDP_DROP, -1);
	EXPECT_GATE(d6, 299999, XDP_DROP, -1);
	EXPECT_GATE(d6, 300000, XDP_PASS, 2);	/* the entry's priority */
	EXPECT_GATE(d6, 349999, XDP_PASS, 2);
	EXPECT_GATE(d6, 350000, XDP_PASS, 5);	/* the next cycle */
	EXPECT_GATE(d6, 10 * 350000 + 150000, XDP_DROP, -1);
	/* Before the base time: the same cycles, extended backwards. */
	EXPECT_GATE(d6, -1, XDP_PASS, 2);
	EXPECT_GATE(d6, -50001, XDP_DROP, -1);
	EXPECT_GATE(d6, -350000, XDP_PASS, 5);
	c = counters(5);
	CU_ASSERT_EQUAL(c.matched, 11);
	CU_ASSERT_EQUAL(c.gate_closed, 4);
	CU_ASSERT_EQUAL(c.passed, 7);
	CU_ASSERT_EQUAL(c.red, 0);	/* the meter (300 B, 1 B/us) kept up with these */
	/* g-long: cycle 1 ms longer than its entries: the last (open) lasts to the end. */
	EXPECT_GATE(d7, 50000, XDP_DROP, -1);
	EXPECT_GATE(d7, 150000, XDP_PASS, 5);
	EXPECT_GATE(d7, 999999, XDP_PASS, 5);
	EXPECT_GATE(d7, 1000000, XDP_DROP, -1);
	c = counters(6);
	CU_ASSERT_EQUAL(c.gate_closed, 2);
	CU_ASSERT_EQUAL(c.passed, 2);
}

static void test_gate_before_meter(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	const char *d6 = "2001:db8:2::6";
	struct tsn_filter_counters c;

	CU_ASSERT_EQUAL_FATAL(apply_cfg(policing_cfg), 0);
	reset_meters_and_counters();
	/* Closed: twenty frames dropped by the gate, none takes tokens. */
	for (int i = 0; i < 20; i++)
		EXPECT_GATE(d6, 150000, XDP_DROP, -1);
	/* Open, 200 us later: the meter was never touched, its 300 B bucket is full:
	 * four 64-byte frames (256 B) pass, the fifth is red.  (Had the closed frames
	 * taken tokens, 200 us would have refilled only 200 B: three would pass.) */
	for (int i = 0; i < 4; i++)
		EXPECT_GATE(d6, 350000, XDP_PASS, 5);
	EXPECT_GATE(d6, 350000, XDP_DROP, -1);
	c = counters(5);
	CU_ASSERT_EQUAL(c.gate_closed, 20);
	CU_ASSERT_EQUAL(c.red, 1);
	CU_ASSERT_EQUAL(c.passed, 4);
}

/* ---- live gate state (filter show) ---- */

struct gate_expect {
	int64_t at;		/* from the base time */
	bool open;
	uint32_t entry;
	int prio;
	uint64_t offset, next_entry, next_change;
};

static void check_gate_at(const struct tsn_cfg_stream_gate *g, const struct tsn_gate_conf *gc,
			  const struct gate_expect *x)
{
	struct pol_gate_now st;
	uint64_t now = (uint64_t)((int64_t)gc->base_ns + x->at);

	pol_gate_at(g, gc, now, &st);
	if (st.open != x->open || st.entry != x->entry || st.priority != x->prio ||
	    st.offset_ns != x->offset || st.next_entry_ns != x->next_entry ||
	    st.next_change_ns != x->next_change)
		fprintf(stderr, "\n  %s at %+lld: open %d entry %u prio %d off %llu next entry %llu "
			"next change %llu", g->name, (long long)x->at, st.open, st.entry, st.priority,
			(unsigned long long)st.offset_ns, (unsigned long long)st.next_entry_ns,
			(unsigned long long)st.next_change_ns);
	CU_ASSERT_EQUAL(st.open, x->open);
	CU_ASSERT_EQUAL(st.entry, x->entry);
	CU_ASSERT_EQUAL(st.priority, x->prio);
	CU_ASSERT_EQUAL(st.offset_ns, x->offset);
	CU_ASSERT_EQUAL(st.next_entry_ns, x->next_entry);
	CU_ASSERT_EQUAL(st.next_change_ns, x->next_change);
}

static struct tsn_config *parse_policing_cfg(void)
{
	struct tsn_diags diags;
	struct tsn_config *cfg;

	tsn_diags_init(&diags, "test.yaml");
	cfg = tsn_config_parse(policing_cfg, strlen(policing_cfg), "test.yaml", &diags);
	tsn_diags_free(&diags);
	return cfg;
}

/* pol_gate_at, exactly: state, entry, offset, time to the next entry and to the
 * next open/close, at boundaries and before the base time. */
static void test_gate_state_exact(void)
{
	/* g-win: open 100 us, closed 200 us, open 50 us at priority 2; cycle 350 us. */
	static const struct gate_expect win[] = {
		{ 0, true, 0, -1, 0, 100000, 100000 },
		{ 99999, true, 0, -1, 99999, 1, 1 },
		{ 100000, false, 1, -1, 100000, 200000, 200000 },
		{ 299999, false, 1, -1, 299999, 1, 1 },
		/* open to open: the next change is the close after entry 0 */
		{ 300000, true, 2, 2, 300000, 50000, 150000 },
		{ 349999, true, 2, 2, 349999, 1, 100001 },
		{ 350000, true, 0, -1, 0, 100000, 100000 },
		{ 10 * 350000 + 150000, false, 1, -1, 150000, 150000, 150000 },
		/* before the base time: the same cycles, extended backwards */
		{ -1, true, 2, 2, 349999, 1, 100001 },
		{ -50000, true, 2, 2, 300000, 50000, 150000 },
		{ -50001, false, 1, -1, 299999, 1, 1 },
		{ -350000, true, 0, -1, 0, 100000, 100000 },
		{ -1000000000, true, 2, 2, 300000, 50000, 150000 },	/* clock at 0 */
	};
	/* g-long: closed 100 us, open 100 us, cycle 1 ms: the open entry lasts 900 us. */
	static const struct gate_expect lng[] = {
		{ 0, false, 0, -1, 0, 100000, 100000 },
		{ 50000, false, 0, -1, 50000, 50000, 50000 },
		{ 100000, true, 1, -1, 100000, 900000, 900000 },
		{ 999999, true, 1, -1, 999999, 1, 1 },
		{ 1000000, false, 0, -1, 0, 100000, 100000 },
	};
	struct tsn_config *cfg = parse_policing_cfg();
	struct tsn_gate_conf gc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	pol_gate_conf(&cfg->stream_gates[0], 0, 0, &gc);
	CU_ASSERT_EQUAL(gc.base_ns, 1000000000);
	CU_ASSERT_EQUAL(gc.cycle_ns, 350000);
	for (size_t i = 0; i < sizeof(win) / sizeof(win[0]); i++)
		check_gate_at(&cfg->stream_gates[0], &gc, &win[i]);
	pol_gate_conf(&cfg->stream_gates[1], 0, 0, &gc);
	CU_ASSERT_EQUAL(gc.cycle_ns, 1000000);
	for (size_t i = 0; i < sizeof(lng) / sizeof(lng[0]); i++)
		check_gate_at(&cfg->stream_gates[1], &gc, &lng[i]);

	/* Never changes: every entry open (the second one of length 0 never applies). */
	struct tsn_cfg_sgate_entry ents[3] = {
		{ .state = TSN_SGATE_OPEN, .interval_ns = 100 },
		{ .state = TSN_SGATE_CLOSED, .interval_ns = 0 },
		{ .state = TSN_SGATE_OPEN, .interval_ns = 50, .has_priority = true, .priority = 3 },
	};
	struct tsn_cfg_stream_gate g = { .name = "g-open", .entries = ents, .n_entries = 3 };
	static const struct gate_expect open[] = {
		{ 99, true, 0, -1, 99, 1, 0 },
		{ 100, true, 2, 3, 100, 50, 0 },
	};

	pol_gate_conf(&g, 0, 0, &gc);
	for (size_t i = 0; i < sizeof(open) / sizeof(open[0]); i++)
		check_gate_at(&g, &gc, &open[i]);
	/* No entries: open for good. */
	struct pol_gate_now st;

	g.n_entries = 0;
	pol_gate_conf(&g, 0, 0, &gc);
	pol_gate_at(&g, &gc, 12345, &st);
	CU_ASSERT_TRUE(st.open);
	CU_ASSERT_EQUAL(st.next_change_ns, 0);
	tsn_config_free(cfg);
}

/* What filter show computes is what the program does: g-long (no meter behind
 * it) at 400 times over 3 cycles, boundaries included. */
static void test_gate_state_matches_program(void)
{
	struct tsn_config *cfg = parse_policing_cfg();
	struct tsn_gate_conf gc;
	int mismatches = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(apply_cfg(policing_cfg), 0);
	pol_gate_conf(&cfg->stream_gates[1], 0, 0, &gc);
	for (int i = 0; i < 400; i++) {
		/* Every boundary and its neighbours, plus odd steps in between. */
		uint64_t t = (i % 4 == 3) ? (uint64_t)i * 7919 :
			     (uint64_t)(i / 4) % 30 * 100000 + (uint64_t)(i % 4) - 1 + 1000000;
		struct pol_gate_now st;
		struct fb f;
		int prio, v;

		pol_gate_at(&cfg->stream_gates[1], &gc, t, &st);
		set_clock(t);
		frame_to(&f, "2001:db8:2::7", 64);
		v = run(&f, &prio);
		if ((v == XDP_PASS) != st.open) {
			if (mismatches++ < 5)
				fprintf(stderr, "\n  at %llu: program %d, filter show %s",
					(unsigned long long)t, v, st.open ? "open" : "closed");
		}
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	tsn_config_free(cfg);
}

/* ---- access lists ---- */

static const uint8_t mac_allowed[6] = { 0x02, 0x00, 0x00, 0x00, 0xaa, 0x01 };

static const char *const acl_cfg =
	"ports:\n"
	"  - name: " PORT "\n"
	"    xdp: generic\n"
	"    acl:\n"
	"      default: %s\n"
	"      allow-src-mac: [\"02:00:00:00:aa:01\"]\n"
	"      allow-prefix: [\"2001:db8:1::/48\"]\n"
	"      allow-ethertype: [0x88f7]\n";

static int apply_acl(const char *def)
{
	char yaml[1024];

	snprintf(yaml, sizeof(yaml), acl_cfg, def);
	return apply_cfg(yaml);
}

/* A frame from src_mac: IPv6 UDP from src, or (src == NULL) EtherType et. */
static int acl_verdict(const uint8_t src_mac[6], const char *src, unsigned et)
{
	struct fb f;
	int prio;

	fb_eth(&f, port_mac, src_mac);
	if (src) {
		fb_ipv6(&f, src, "2001:db8:2::99", 64, 0);
		fb_udp(&f, 1000, 5000, 16);
		fb_done(&f);
	} else {
		fb_ethertype(&f, et, 46);
	}
	return run(&f, &prio);
}

static int64_t acl_drops(void)
{
	json_object *j = dataplane_port_json(dp, PORT);
	int64_t n = json_object_get_int64(json_object_object_get(
		json_object_object_get(j, "forwarding"), "acl"));

	json_object_put(j);
	return n;
}

static void test_acl_default_deny(void)
{
	int64_t before;

	CU_ASSERT_EQUAL_FATAL(apply_acl("deny"), 0);
	before = acl_drops();
	/* Allowed by prefix, by source MAC, by EtherType. */
	CU_ASSERT_EQUAL(acl_verdict(mac_other, "2001:db8:1:ff::10", 0), XDP_PASS);
	CU_ASSERT_EQUAL(acl_verdict(mac_allowed, "2001:db8:9::1", 0), XDP_PASS);
	CU_ASSERT_EQUAL(acl_verdict(mac_other, NULL, 0x88f7), XDP_PASS);
	CU_ASSERT_EQUAL(acl_verdict(mac_allowed, NULL, 0x0806), XDP_PASS);
	/* On no list: dropped. */
	CU_ASSERT_EQUAL(acl_verdict(mac_other, "2001:db8:2::10", 0), XDP_DROP);
	CU_ASSERT_EQUAL(acl_verdict(mac_other, "2001:db8:1::1", 0) == XDP_PASS &&
			acl_verdict(mac_other, "2001:db9:1::1", 0) == XDP_DROP, 1);	/* /48 edge */
	CU_ASSERT_EQUAL(acl_verdict(mac_other, NULL, 0x0806), XDP_DROP);
	CU_ASSERT_EQUAL(acl_verdict(mac_other, NULL, 0x88b5), XDP_DROP);
	CU_ASSERT_EQUAL(acl_drops() - before, 4);
}

static void test_acl_default_allow(void)
{
	int64_t before;

	CU_ASSERT_EQUAL_FATAL(apply_acl("allow"), 0);
	before = acl_drops();
	CU_ASSERT_EQUAL(acl_verdict(mac_other, "2001:db8:2::10", 0), XDP_PASS);
	CU_ASSERT_EQUAL(acl_verdict(mac_other, NULL, 0x0806), XDP_PASS);
	CU_ASSERT_EQUAL(acl_drops() - before, 0);
	/* And back to deny: the new generation's lists apply at once. */
	CU_ASSERT_EQUAL_FATAL(apply_acl("deny"), 0);
	CU_ASSERT_EQUAL(acl_verdict(mac_other, NULL, 0x0806), XDP_DROP);
	/* Without an acl the port lets everything in. */
	CU_ASSERT_EQUAL_FATAL(apply_cfg(policing_cfg), 0);
	CU_ASSERT_EQUAL(acl_verdict(mac_other, NULL, 0x0806), XDP_PASS);
}

/* ---- storm guard ---- */

static const char *const storm_cfg =
	"ports:\n"
	"  - name: " PORT "\n"
	"    xdp: generic\n"
	"    storm-guard: { broadcast: 1Mbit, unknown: 8Mbit }\n";

static int storm_verdict(const uint8_t dst[6])
{
	struct fb f;
	int prio;

	fb_eth(&f, dst, mac_other);
	fb_ethertype(&f, 0x88b5, 86);	/* 100 bytes */
	return run(&f, &prio);
}

static int64_t port_fwd(const char *reason)
{
	json_object *j = dataplane_port_json(dp, PORT);
	int64_t n = json_object_get_int64(json_object_object_get(
		json_object_object_get(j, "forwarding"), reason));

	json_object_put(j);
	return n;
}

static void test_storm_guard(void)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t unknown[6] = { 0x02, 0x00, 0x00, 0x00, 0x77, 0x77 };
	uint32_t key = (uint32_t)ifindex;
	int64_t before;
	int passed = 0;

	CU_ASSERT_EQUAL_FATAL(apply_cfg(storm_cfg), 0);
	bpf_map_delete_elem(dataplane_map_fd(dp, "tsn_storm"), &key);
	before = port_fwd("storm");
	set_clock(T0);
	/* Broadcast at 1 Mbit/s: a burst of 2 x 1522 B = 3044 B: thirty 100-byte frames. */
	for (int i = 0; i < 40; i++)
		passed += storm_verdict(bcast) == XDP_PASS;
	CU_ASSERT_EQUAL(passed, 30);
	/* 44 B are left; 1 Mbit/s (8 us per byte) brings the missing 56 B in 448 us,
	 * not one ns earlier. */
	set_clock(T0 + 447999);
	CU_ASSERT_EQUAL(storm_verdict(bcast), XDP_DROP);
	set_clock(T0 + 448000);
	CU_ASSERT_EQUAL(storm_verdict(bcast), XDP_PASS);
	/* Unknown unicast has its own bucket (8 Mbit/s: 10000 B); multicast no limit;
	 * frames to the port's own MAC are never counted. */
	passed = 0;
	for (int i = 0; i < 120; i++)
		passed += storm_verdict(unknown) == XDP_PASS;
	CU_ASSERT_EQUAL(passed, 100);
	for (int i = 0; i < 200; i++)
		CU_ASSERT_EQUAL(storm_verdict(mcast), XDP_PASS);
	for (int i = 0; i < 200; i++)
		CU_ASSERT_EQUAL(storm_verdict(port_mac), XDP_PASS);
	CU_ASSERT_EQUAL(port_fwd("storm") - before, 10 + 1 + 20);
	/* Without a storm guard nothing is limited. */
	CU_ASSERT_EQUAL_FATAL(apply_cfg(policing_cfg), 0);
	for (int i = 0; i < 50; i++)
		CU_ASSERT_EQUAL(storm_verdict(bcast), XDP_PASS);
}

static void test_stream_and_port_counters(void)
{
	struct tsn_stream_counters before, after;

	CU_ASSERT_EQUAL_FATAL(apply_cfg(policing_cfg), 0);
	reset_meters_and_counters();
	CU_ASSERT_EQUAL(dataplane_stream_counters(dp, 1, &before), 0);
	set_clock(T0);
	for (int i = 0; i < 12; i++)
		verdict_of(D1, 100);
	CU_ASSERT_EQUAL(dataplane_stream_counters(dp, 1, &after), 0);
	/* Two red frames, counted as the stream's drops. */
	CU_ASSERT_EQUAL((int64_t)before.drops - (int64_t)after.drops, -2);
}

static void test_filters_json(void)
{
	struct tsn_diags diags;
	struct tsn_config *cfg;
	json_object *j, *arr, *f, *c;

	tsn_diags_init(&diags, "test.yaml");
	cfg = tsn_config_parse(policing_cfg, strlen(policing_cfg), "test.yaml", &diags);
	tsn_diags_free(&diags);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(dataplane_apply(dp, cfg, (char[256]){ 0 }, 256), 0);
	reset_meters_and_counters();
	set_clock(T0);
	verdict_of("2001:db8:2::4", 121);
	j = pol_filters_json(cfg, dataplane_map_fd(dp, "tsn_filter_stats"), "f-sdu");
	CU_ASSERT_TRUE(json_object_object_get_ex(j, "filters", &arr));
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(arr), 1);
	f = json_object_array_get_idx(arr, 0);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(f, "name")), "f-sdu");
	CU_ASSERT_EQUAL(json_object_get_int64(json_object_object_get(f, "max_sdu")), 120);
	c = json_object_object_get(f, "counters");
	CU_ASSERT_EQUAL(json_object_get_int64(json_object_object_get(c, "matched")), 1);
	CU_ASSERT_EQUAL(json_object_get_int64(json_object_object_get(c, "max_sdu")), 1);
	json_object_put(j);
	j = pol_filters_json(cfg, -1, NULL);
	CU_ASSERT_TRUE(json_object_object_get_ex(j, "filters", &arr));
	CU_ASSERT_EQUAL(json_object_array_length(arr), 9);
	f = json_object_array_get_idx(arr, 0);
	CU_ASSERT_EQUAL(json_object_get_int64(json_object_object_get(
		json_object_object_get(f, "meter"), "cir_bps")), 8000000);
	f = json_object_array_get_idx(arr, 7);	/* f-coupled */
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(
		json_object_object_get(f, "meter"), "coupling")));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(
		json_object_object_get(f, "meter"), "color_mode")), "aware");
	/* Both gates, each with a state consistent with its entry. */
	CU_ASSERT_TRUE(json_object_object_get_ex(j, "gates", &arr));
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(arr), 2);
	f = json_object_array_get_idx(arr, 1);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(f, "name")), "g-long");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(f, "clock")), "tai");
	CU_ASSERT_EQUAL(json_object_get_int64(json_object_object_get(f, "cycle_ns")), 1000000);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(f, "state")),
			       json_object_get_int64(json_object_object_get(f, "entry")) == 0 ?
			       "closed" : "open");
	CU_ASSERT_TRUE(json_object_get_int64(json_object_object_get(f, "next_change_in_ns")) > 0);
	CU_ASSERT_TRUE(json_object_get_int64(json_object_object_get(f, "next_change_in_ns")) <= 900000);
	CU_ASSERT_PTR_NULL(json_object_object_get(f, "gate_closed"));	/* no counters: null */
	json_object_put(j);
	/* One filter: only its gate, with its gate-closed count. */
	reset_meters_and_counters();
	EXPECT_GATE("2001:db8:2::6", 150000, XDP_DROP, -1);
	j = pol_filters_json(cfg, dataplane_map_fd(dp, "tsn_filter_stats"), "f-gate");
	CU_ASSERT_TRUE(json_object_object_get_ex(j, "gates", &arr));
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(arr), 1);
	f = json_object_array_get_idx(arr, 0);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(f, "name")), "g-win");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(f, "clock")), "monotonic");
	CU_ASSERT_EQUAL(json_object_get_int64(json_object_object_get(f, "gate_closed")), 1);
	json_object_put(j);
	tsn_config_free(cfg);
}

static int suite_init(void)
{
	char err[512];

	tsn_log_setup("test_bpf_policing", TSN_LOG_STDERR,
		      getenv("TSN_TEST_DEBUG") ? TSN_LOG_DEBUG : TSN_LOG_ERR);
	if (tu_netns_enter() < 0)
		return -1;
	/* No IPv6 in this namespace: the peer's router solicitations, DAD and MLD
	 * would reach the attached program and the ACL counters would count them. */
	if (tu_sh("sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1"))
		return -1;
	if (tu_sh("ip link add " PORT " type veth peer name po1 && ip link set " PORT " up && "
		  "ip link set po1 up && ip link set " PORT " address 02:00:00:00:00:d0"))
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
	dataplane_destroy(dp, false);
	tu_sh("ip link del " PORT " 2>/dev/null");
	tu_netns_leave();
	return 0;
}

int main(void)
{
	CU_pSuite host, prog;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	host = CU_add_suite("meter_arithmetic", NULL, NULL);
	prog = CU_add_suite("bpf_policing", suite_init, suite_cleanup);
	if (!host || !prog ||
	    !CU_add_test(host, "refill is exact and never overflows", test_refill_exact) ||
	    !CU_add_test(host, "two-rate marking", test_mark_two_rate) ||
	    !CU_add_test(host, "color-aware marking", test_mark_color_aware) ||
	    !CU_add_test(host, "coupling flag", test_mark_coupling) ||
	    !CU_add_test(prog, "meter drops exactly over controlled time", test_meter_drop_exact) ||
	    !CU_add_test(prog, "max SDU", test_max_sdu) ||
	    !CU_add_test(prog, "demote on exceed", test_demote) ||
	    !CU_add_test(prog, "two rates: green, yellow, red", test_two_rate) ||
	    !CU_add_test(prog, "color-aware: DEI frames use excess tokens only", test_color_aware) ||
	    !CU_add_test(prog, "color-blind: yellow frames leave with DEI", test_color_blind_marks_yellow) ||
	    !CU_add_test(prog, "coupling: committed overflow feeds excess", test_coupling) ||
	    !CU_add_test(prog, "stream gates: windows, priorities, cycles", test_stream_gates) ||
	    !CU_add_test(prog, "a closed gate takes no tokens", test_gate_before_meter) ||
	    !CU_add_test(host, "gate state now: exact, boundaries, before base", test_gate_state_exact) ||
	    !CU_add_test(prog, "gate state now agrees with the program", test_gate_state_matches_program) ||
	    !CU_add_test(prog, "red frames count as stream drops", test_stream_and_port_counters) ||
	    !CU_add_test(prog, "access list, default deny", test_acl_default_deny) ||
	    !CU_add_test(prog, "access list, default allow and reloads", test_acl_default_allow) ||
	    !CU_add_test(prog, "storm guard", test_storm_guard) ||
	    !CU_add_test(prog, "filter show JSON with counters", test_filters_json)) {
		CU_cleanup_registry();
		return 2;
	}
	return tu_run_tests();
}
