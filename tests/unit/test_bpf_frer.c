/* SPDX-License-Identifier: GPL-2.0-only */
/* test_bpf_frer.c — IEEE 802.1CB FRER in bpf/frer.bpf.c: frer_xdp run through the
 * kernel's BPF_PROG_RUN on crafted frames (exact bytes in and out, tsnd's metadata
 * in front), verdicts and the exact 802.1CB counters; frer_tc's stream splitting
 * on veth ports in a network namespace.  Needs root (BPF, namespaces). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/frer.skel.h"
#include "dp_skel.h"
#include "bpf_frames.h"
#include "test_util.h"
#include "tsn/bpf_frer.h"

#define SID 7
#define MS 1000000ULL

static struct frer_bpf *skel;
static int port_a, port_b;		/* two veth ports: ingress ifindexes of two paths */

/* ---- frames ---- */

/* R-TAG: EtherType 0xF1C1, reserved 0, sequence number; the next header fills the
 * EtherType behind it. */
static void fb_rtag(struct fb *f, unsigned seq)
{
	fb_put16(f->b + f->type, TSN_FRER_ETH_P_RTAG);
	f->b[f->len] = 0;
	f->b[f->len + 1] = 0;
	fb_put16(f->b + f->len + 2, seq);
	f->type = f->len + 4;
	f->len += 6;
}

/* Ethernet (fb_mac_b -> fb_mac_a... as bpf_frames.h), ntags tags (S-tag first
 * for two), an R-TAG when seq >= 0, then EtherType 0x88B5 and 46 payload bytes. */
static void frame(struct fb *f, int ntags, long seq)
{
	fb_eth(f, fb_mac_a, fb_mac_b);
	if (ntags == 2)
		fb_vlan(f, 0x88a8, 3, 100);
	if (ntags >= 1)
		fb_vlan(f, 0x8100, 5, 200);
	if (seq >= 0)
		fb_rtag(f, (unsigned)seq);
	fb_ethertype(f, 0x88b5, 46);
}

/* ---- running frer_xdp ---- */

struct run {
	int verdict;
	uint8_t out[FB_MAX + 64];
	size_t meta_len, len;
	struct tsn_xdp_meta meta;
	const uint8_t *frame;
};

/* Run f into frer_xdp as arriving on ifindex.  sid != 0: tsn_xdp's metadata in
 * front naming stream sid (the pipeline), else no metadata. */
static void run(int ifindex, uint32_t sid, const struct fb *f, struct run *r)
{
	uint8_t in[FB_MAX + sizeof(struct tsn_xdp_meta)];
	struct tsn_xdp_meta m = {
		.magic = TSN_META_MAGIC, .stream_id = sid, .priority = 6, .tc = 2,
		.flags = TSN_META_STREAM,
	};
	size_t ml = sid ? sizeof(m) : 0;
	struct xdp_md ctx_in = {
		.data = (__u32)ml, .data_end = (__u32)(ml + f->len), .ingress_ifindex = (__u32)ifindex,
	};
	struct xdp_md ctx_out = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in, .data_size_in = (__u32)(ml + f->len),
		.data_out = r->out, .data_size_out = sizeof(r->out),
		.ctx_in = &ctx_in, .ctx_size_in = sizeof(ctx_in),
		.ctx_out = &ctx_out, .ctx_size_out = sizeof(ctx_out),
		.repeat = 1);
	int err;

	memcpy(in, &m, ml);
	memcpy(in + ml, f->b, f->len);
	memset(r, 0, sizeof(*r));
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.frer_xdp), &opts);
	if (err)
		fprintf(stderr, "\n  BPF_PROG_RUN: %d", err);
	CU_ASSERT_EQUAL_FATAL(err, 0);
	r->verdict = (int)opts.retval;
	r->meta_len = ctx_out.data;
	r->len = opts.data_size_out - r->meta_len;
	r->frame = r->out + r->meta_len;
	if (r->meta_len == sizeof(r->meta))
		memcpy(&r->meta, r->out, sizeof(r->meta));
}

/* Run a frame with sequence number seq (-1: no R-TAG) and expect a verdict. */
static void expect(int ifindex, long seq, int verdict, int line)
{
	struct fb f;
	struct run r;

	frame(&f, 0, seq);
	run(ifindex, SID, &f, &r);
	if (r.verdict != verdict)
		fprintf(stderr, "\n  line %d: sequence %ld: verdict %d, want %d", line, seq, r.verdict, verdict);
	CU_ASSERT_EQUAL(r.verdict, verdict);
}
#define PASS(seq) expect(port_a, (seq), XDP_PASS, __LINE__)
#define DROP(seq) expect(port_a, (seq), XDP_DROP, __LINE__)

/* ---- maps ---- */

static void set_clock(uint64_t ns)
{
	uint32_t zero = 0;

	CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(skel->maps.frer_clock), &zero, &ns, 0), 0);
}

/* Start from empty tables and the given stream SID (clock at 1 s). */
static void fresh(uint8_t flags, uint8_t alg, uint8_t history, uint64_t reset_ns)
{
	struct tsn_frer_stream s = { .cfg = { .flags = flags, .algorithm = alg, .history = history,
					      .reset_ns = reset_ns, .priority = 4 } };
	uint32_t sid = SID;
	struct bpf_map *maps[] = { skel->maps.frer_streams, skel->maps.frer_indiv,
				   skel->maps.frer_port_stats, skel->maps.frer_split, skel->maps.frer_ident };

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		int fd = bpf_map__fd(maps[i]);
		uint8_t key[64], next[64];

		while (bpf_map_get_next_key(fd, NULL, next) == 0) {
			memcpy(key, next, sizeof(key));
			bpf_map_delete_elem(fd, key);
		}
	}
	CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(skel->maps.frer_streams), &sid, &s, BPF_NOEXIST), 0);
	set_clock(1000 * MS);
}

static struct tsn_frer_stream stream_state(uint32_t sid)
{
	struct tsn_frer_stream s = {};

	CU_ASSERT_EQUAL(bpf_map_lookup_elem_flags(bpf_map__fd(skel->maps.frer_streams), &sid, &s, BPF_F_LOCK), 0);
	return s;
}

static struct tsn_frer_counters port_counters(int ifindex)
{
	int ncpus = libbpf_num_possible_cpus();
	struct tsn_frer_counters *pc = calloc((size_t)ncpus, sizeof(*pc)), sum = {};
	uint32_t key = (uint32_t)ifindex;

	if (pc && bpf_map_lookup_elem(bpf_map__fd(skel->maps.frer_port_stats), &key, pc) == 0)
		for (int c = 0; c < ncpus; c++) {
			const uint64_t *src = (const uint64_t *)&pc[c];
			uint64_t *dst = (uint64_t *)&sum;

			for (size_t i = 0; i < sizeof(sum) / sizeof(uint64_t); i++)
				dst[i] += src[i];
		}
	free(pc);
	return sum;
}

/* The counters, all of them, as one line: "passed discarded ooo rogue lost tagless resets". */
#define CHECK_RCVY(c, p, d, o, r, l, t, rs)                                                     \
	do {                                                                                  \
		struct tsn_frer_counters c_ = (c);                                            \
		if (c_.passed != (p) || c_.discarded != (d) || c_.out_of_order != (o) ||      \
		    c_.rogue != (r) || c_.lost != (l) || c_.tagless != (t) || c_.resets != (rs)) \
			fprintf(stderr, "\n  line %d: passed %llu discarded %llu ooo %llu rogue %llu " \
				"lost %llu tagless %llu resets %llu", __LINE__,               \
				(unsigned long long)c_.passed, (unsigned long long)c_.discarded, \
				(unsigned long long)c_.out_of_order, (unsigned long long)c_.rogue, \
				(unsigned long long)c_.lost, (unsigned long long)c_.tagless,  \
				(unsigned long long)c_.resets);                               \
		CU_ASSERT_EQUAL(c_.passed, (p));                                              \
		CU_ASSERT_EQUAL(c_.discarded, (d));                                           \
		CU_ASSERT_EQUAL(c_.out_of_order, (o));                                        \
		CU_ASSERT_EQUAL(c_.rogue, (r));                                               \
		CU_ASSERT_EQUAL(c_.lost, (l));                                                \
		CU_ASSERT_EQUAL(c_.tagless, (t));                                             \
		CU_ASSERT_EQUAL(c_.resets, (rs));                                             \
	} while (0)

/* ---- R-TAG encode and decode ---- */

/* Sequence generation: the R-TAG goes behind the tags, numbers count up per stream
 * and wrap 65535 -> 0; the metadata in front survives. */
static void test_rtag_insert(void)
{
	for (int ntags = 0; ntags <= 2; ntags++) {
		struct fb in, want;
		struct run r;

		fresh(TSN_FRER_GEN, 0, 0, 0);
		for (unsigned seq = 0; seq < 3; seq++) {
			frame(&in, ntags, -1);
			frame(&want, ntags, seq);
			run(port_a, SID, &in, &r);
			CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
			CU_ASSERT_TRUE(bytes_equal(r.frame, r.len, want.b, want.len, "tagged frame"));
			CU_ASSERT_EQUAL(r.meta_len, sizeof(struct tsn_xdp_meta));
			CU_ASSERT_EQUAL(r.meta.magic, TSN_META_MAGIC);
			CU_ASSERT_EQUAL(r.meta.stream_id, SID);
			CU_ASSERT_EQUAL(r.meta.priority, 6);	/* tsn_xdp's, untouched */
		}
		CU_ASSERT_EQUAL(stream_state(SID).c.generated, 3);
		CU_ASSERT_EQUAL(port_counters(port_a).generated, 3);
	}

	/* Wraparound of the generator. */
	struct tsn_frer_stream s = stream_state(SID);
	uint32_t sid = SID;
	struct fb in, want;
	struct run r;

	s.gen_seq = 65535;
	CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(skel->maps.frer_streams), &sid, &s, 0), 0);
	frame(&in, 1, -1);
	frame(&want, 1, 65535);
	run(port_a, SID, &in, &r);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.len, want.b, want.len, "sequence 65535"));
	frame(&want, 1, 0);
	run(port_a, SID, &in, &r);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.len, want.b, want.len, "sequence 0 after 65535"));
}

/* Sequence recovery removes the R-TAG, whatever the tags before it. */
static void test_rtag_remove(void)
{
	for (int ntags = 0; ntags <= 2; ntags++) {
		struct fb in, want;
		struct run r;

		fresh(TSN_FRER_RCVY, TSN_FRER_ALG_VECTOR, 8, 0);
		frame(&in, ntags, 4242);
		frame(&want, ntags, -1);
		run(port_a, SID, &in, &r);
		CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
		CU_ASSERT_TRUE(bytes_equal(r.frame, r.len, want.b, want.len, "frame without R-TAG"));
		CU_ASSERT_EQUAL(r.meta.stream_id, SID);
		/* The duplicate ends here. */
		run(port_a, SID, &in, &r);
		CU_ASSERT_EQUAL(r.verdict, XDP_DROP);
	}
	/* KEEP_TAG (a relay): the frame leaves as it came. */
	struct fb in;
	struct run r;

	fresh(TSN_FRER_RCVY | TSN_FRER_KEEP_TAG, TSN_FRER_ALG_VECTOR, 8, 0);
	frame(&in, 2, 17);
	run(port_a, SID, &in, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.len, in.b, in.len, "relayed frame"));

	/* Recovery then generation anew (KEEP_TAG | GEN): the number is rewritten. */
	struct fb want;

	fresh(TSN_FRER_RCVY | TSN_FRER_KEEP_TAG | TSN_FRER_GEN, TSN_FRER_ALG_VECTOR, 8, 0);
	frame(&in, 1, 17);
	frame(&want, 1, 0);
	run(port_a, SID, &in, &r);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.len, want.b, want.len, "renumbered frame"));
	/* Recovery, tag removed, then a new tag (GEN without KEEP_TAG). */
	fresh(TSN_FRER_RCVY | TSN_FRER_GEN, TSN_FRER_ALG_VECTOR, 8, 0);
	frame(&in, 2, 900);
	frame(&want, 2, 0);
	run(port_a, SID, &in, &r);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.len, want.b, want.len, "re-tagged frame"));
	CU_ASSERT_EQUAL(port_counters(port_a).passed, 1);
	CU_ASSERT_EQUAL(port_counters(port_a).generated, 1);
}

/* Frames of no FRER stream, and frames without metadata of no identified stream,
 * pass untouched; null stream identification finds a stream without metadata and
 * leaves the metadata frer_tc needs. */
static void test_other_frames(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	struct tsn_frer_ident_key k = { .vid = 200 };
	uint32_t sid = SID;
	struct fb in, want;
	struct run r;

	fresh(TSN_FRER_GEN, 0, 0, 0);
	frame(&in, 1, -1);
	run(port_a, SID + 1, &in, &r);			/* another stream */
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.len, in.b, in.len, "frame of another stream"));
	run(port_a, 0, &in, &r);			/* no metadata, no identification */
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_EQUAL(r.meta_len, 0);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.len, in.b, in.len, "frame of no stream"));

	memcpy(k.mac, fb_mac_a, 6);
	CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(skel->maps.frer_ident), &k, &sid, 0), 0);
	frame(&want, 1, 0);
	run(port_a, 0, &in, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.len, want.b, want.len, "identified frame"));
	CU_ASSERT_EQUAL(r.meta_len, sizeof(struct tsn_xdp_meta));
	CU_ASSERT_EQUAL(r.meta.magic, TSN_META_MAGIC);
	CU_ASSERT_EQUAL(r.meta.stream_id, SID);
	CU_ASSERT_EQUAL(r.meta.flags, TSN_META_STREAM);
	CU_ASSERT_EQUAL(r.meta.priority, 4);		/* the stream's configured priority */
	/* Another VLAN is another stream (none here). */
	frame(&in, 2, -1);
	run(port_a, 0, &in, &r);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.len, in.b, in.len, "frame of VLAN 100"));
}

/* An R-TAG the frame cuts short is an encode error, dropped. */
static void test_rtag_cut(void)
{
	struct fb in;
	struct run r;

	fresh(TSN_FRER_RCVY, TSN_FRER_ALG_VECTOR, 8, 0);
	fb_eth(&in, fb_mac_a, fb_mac_b);
	fb_vlan(&in, 0x8100, 0, 5);
	fb_ethertype(&in, TSN_FRER_ETH_P_RTAG, 5);	/* 5 of the 6 bytes R-TAG + type */
	run(port_a, SID, &in, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_DROP);
	CU_ASSERT_EQUAL(stream_state(SID).c.encode_errored, 1);
	CU_ASSERT_EQUAL(port_counters(port_a).encode_errored, 1);
	CHECK_RCVY(stream_state(SID).c, 0, 0, 0, 0, 0, 0, 0);
}

/* ---- VectorRecoveryAlgorithm ---- */

static void test_vector_basic(void)
{
	fresh(TSN_FRER_RCVY, TSN_FRER_ALG_VECTOR, 8, 0);
	PASS(10);			/* TakeAny */
	DROP(10);			/* duplicate */
	PASS(11);
	PASS(13);			/* ahead: out of order */
	PASS(12);			/* late, in the history: out of order */
	DROP(12);
	DROP(13);
	PASS(14);
	CHECK_RCVY(stream_state(SID).c, 5, 3, 2, 0, 0, 0, 0);
	CHECK_RCVY(port_counters(port_a), 5, 3, 2, 0, 0, 0, 0);
}

static void test_vector_wrap(void)
{
	fresh(TSN_FRER_RCVY, TSN_FRER_ALG_VECTOR, 8, 0);
	PASS(65534);
	PASS(65535);
	PASS(0);
	DROP(65535);			/* before the wrap, still in the history */
	PASS(2);			/* across 1 */
	PASS(1);
	DROP(0);
	DROP(2);
	PASS(3);
	CHECK_RCVY(stream_state(SID).c, 6, 3, 2, 0, 0, 0, 0);
	/* Ahead across the wrap by history - 1 is in, by history is rogue. */
	fresh(TSN_FRER_RCVY, TSN_FRER_ALG_VECTOR, 8, 0);
	PASS(65530);
	DROP(2);			/* 65530 + 8 */
	PASS(1);			/* 65530 + 7 */
	CHECK_RCVY(stream_state(SID).c, 2, 0, 1, 1, 0, 0, 0);
}

/* History 4: RecovSeqNum - 3 is the oldest number the function remembers. */
static void test_vector_window(void)
{
	fresh(TSN_FRER_RCVY, TSN_FRER_ALG_VECTOR, 4, 0);
	PASS(100);
	DROP(96);			/* 4 behind: outside the history, rogue */
	PASS(97);			/* 3 behind: inside, never seen */
	DROP(97);
	DROP(104);			/* 4 ahead: rogue */
	PASS(103);			/* 3 ahead */
	DROP(30000);			/* far off */
	DROP(103 + 32768);		/* the farthest a 16-bit number can be */
	PASS(104);
	CHECK_RCVY(stream_state(SID).c, 4, 1, 2, 4, 0, 0, 0);
}

/* Lost: a number that leaves the history without having passed.  Positions before
 * the first frame after a reset are not counted. */
static void test_vector_lost(void)
{
	fresh(TSN_FRER_RCVY, TSN_FRER_ALG_VECTOR, 4, 0);
	PASS(1);			/* history {1} */
	PASS(4);			/* 2, 3 missing, still in the history (1..4) */
	CHECK_RCVY(stream_state(SID).c, 2, 0, 1, 0, 0, 0, 0);
	PASS(5);			/* 1 leaves (passed) */
	PASS(6);			/* 2 leaves: lost */
	PASS(3);			/* late but in time */
	PASS(7);			/* 3 leaves (passed) */
	PASS(9);			/* 4, 5 leave (passed) */
	PASS(12);			/* 6, 7 passed, 8 lost; 10 and 11 still in the history */
	CHECK_RCVY(stream_state(SID).c, 8, 0, 4, 0, 2, 0, 0);
	CHECK_RCVY(port_counters(port_a), 8, 0, 4, 0, 2, 0, 0);

	/* History 64: 63 behind is in, 64 behind is rogue; a jump of 63 loses 62. */
	fresh(TSN_FRER_RCVY, TSN_FRER_ALG_VECTOR, 64, 0);
	PASS(1000);
	PASS(1063);
	PASS(1001);			/* 62 behind */
	PASS(1000 + 63 - 63 + 1 + 1);	/* 1002, 61 behind */
	DROP(999);			/* 64 behind */
	PASS(1064);			/* 1000 leaves (passed) */
	PASS(1066);			/* 1001, 1002 leave (passed) */
	PASS(1067);			/* 1003 leaves: lost */
	CHECK_RCVY(stream_state(SID).c, 7, 0, 4, 1, 1, 0, 0);
	PASS(1067 + 63);		/* 1004 .. 1066 leave: 1004..1062 lost (59), 1063, 1064, 1066 passed, 1065 lost */
	CHECK_RCVY(stream_state(SID).c, 8, 0, 5, 1, 61, 0, 0);
}

/* The reset timer: frerSeqRcvyResetMSec after the last passed frame any number is
 * taken again; discarded frames do not restart it. */
static void test_vector_reset(void)
{
	fresh(TSN_FRER_RCVY, TSN_FRER_ALG_VECTOR, 8, 50 * MS);
	PASS(5);
	set_clock(1049 * MS);
	DROP(5);			/* 49 ms: still synchronised */
	DROP(40000);
	set_clock(1050 * MS);
	PASS(40000);			/* 50 ms after the last pass: reset, TakeAny */
	CHECK_RCVY(stream_state(SID).c, 2, 1, 0, 1, 0, 0, 1);
	DROP(40000);
	PASS(40001);
	set_clock(1099 * MS);
	PASS(40002);
	set_clock(1148 * MS);
	DROP(40002);			/* 49 ms after the last pass */
	PASS(40003);
	CHECK_RCVY(stream_state(SID).c, 5, 3, 0, 1, 0, 0, 1);
	CHECK_RCVY(port_counters(port_a), 5, 3, 0, 1, 0, 0, 1);
	/* Two CPUs: one reads the clock, the other passes a frame at a later time
	 * before the first gets the lock.  An earlier time than the last pass is no
	 * timeout (a reset here would let the duplicate through). */
	set_clock(1190 * MS);
	PASS(40004);
	set_clock(1189 * MS);
	DROP(40004);
	PASS(40005);				/* the last pass stays at 1190 */
	set_clock(1239 * MS);			/* 50 ms after 1189, 49 after the last pass */
	DROP(40005);
	CHECK_RCVY(stream_state(SID).c, 7, 5, 0, 1, 0, 0, 1);
	/* After a reset, the history before the new first frame is not lost. */
	set_clock(2000 * MS);
	PASS(7);
	for (int s = 8; s < 20; s++)
		PASS(s);
	CHECK_RCVY(stream_state(SID).c, 20, 5, 0, 1, 0, 0, 2);
}

/* ---- MatchRecoveryAlgorithm ---- */

static void test_match(void)
{
	fresh(TSN_FRER_RCVY, TSN_FRER_ALG_MATCH, 0, 10 * MS);
	PASS(65535);			/* TakeAny */
	DROP(65535);
	PASS(0);			/* wrap: in order */
	DROP(0);
	PASS(5);			/* a gap: out of order */
	PASS(3);			/* back: out of order, passes (no history) */
	PASS(5);			/* not the last one: passes again */
	DROP(5);
	PASS(30000);			/* no rogue in Match */
	CHECK_RCVY(stream_state(SID).c, 6, 3, 4, 0, 0, 0, 0);
	set_clock(1010 * MS);
	PASS(30000);			/* reset timer: TakeAny, not out of order */
	CHECK_RCVY(stream_state(SID).c, 7, 3, 4, 0, 0, 0, 1);
}

/* ---- tagless frames ---- */

static void test_tagless(void)
{
	fresh(TSN_FRER_RCVY, TSN_FRER_ALG_VECTOR, 8, 0);
	DROP(-1);
	DROP(-1);
	PASS(1);
	CHECK_RCVY(stream_state(SID).c, 1, 0, 0, 0, 0, 2, 0);
	CHECK_RCVY(port_counters(port_a), 1, 0, 0, 0, 0, 2, 0);

	/* frerSeqRcvyTakeNoSequence: passed, unchanged, counted. */
	struct fb in;
	struct run r;

	fresh(TSN_FRER_RCVY | TSN_FRER_TAKE_NO_SEQ, TSN_FRER_ALG_VECTOR, 8, 0);
	frame(&in, 2, -1);
	run(port_a, SID, &in, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.len, in.b, in.len, "tagless frame"));
	PASS(1);
	DROP(1);
	CHECK_RCVY(stream_state(SID).c, 2, 1, 0, 0, 0, 1, 0);
}

/* ---- individual recovery ---- */

static struct tsn_frer_counters indiv_counters(int ifindex)
{
	struct tsn_frer_indiv_key k = { .stream_id = SID, .ifindex = (uint32_t)ifindex };
	struct tsn_frer_indiv v = {};

	CU_ASSERT_EQUAL(bpf_map_lookup_elem_flags(bpf_map__fd(skel->maps.frer_indiv), &k, &v, BPF_F_LOCK), 0);
	return v.c;
}

/* One recovery function per (stream, ingress port) before the sequence recovery:
 * a path that repeats itself is cut off there, the other path is not. */
static void test_individual(void)
{
	fresh(TSN_FRER_RCVY | TSN_FRER_INDIV, TSN_FRER_ALG_MATCH, 0, 0);
	expect(port_a, 1, XDP_PASS, __LINE__);
	expect(port_b, 1, XDP_DROP, __LINE__);		/* the sequence recovery's duplicate */
	expect(port_a, 1, XDP_DROP, __LINE__);		/* port a's own repeat */
	expect(port_b, 2, XDP_PASS, __LINE__);
	expect(port_a, 2, XDP_DROP, __LINE__);
	expect(port_a, 2, XDP_DROP, __LINE__);
	CHECK_RCVY(indiv_counters(port_a), 2, 2, 0, 0, 0, 0, 0);
	CHECK_RCVY(indiv_counters(port_b), 2, 0, 0, 0, 0, 0, 0);
	/* The sequence recovery saw only what the individual ones passed. */
	CHECK_RCVY(stream_state(SID).c, 2, 2, 0, 0, 0, 0, 0);
	CHECK_RCVY(port_counters(port_a), 1, 1, 0, 0, 0, 0, 0);
	CHECK_RCVY(port_counters(port_b), 1, 1, 0, 0, 0, 0, 0);
}

/* ---- latent error detection ---- */

static int ev_count;
static struct tsn_frer_event ev_last;

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	if (len >= sizeof(ev_last)) {
		memcpy(&ev_last, data, sizeof(ev_last));
		ev_count++;
	}
	return 0;
}

/* Two paths: each passed frame has one discarded duplicate.  A path that stops
 * makes passed * 1 - discarded grow; beyond the difference, at the next test, a
 * latent error and an event; every reset period the base is taken anew. */
static void test_latent(void)
{
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.frer_events), on_event, NULL, NULL);
	struct tsn_frer_stream s = { .cfg = {
		.flags = TSN_FRER_RCVY | TSN_FRER_LATENT, .algorithm = TSN_FRER_ALG_VECTOR, .history = 16,
		.lat_paths = 2, .lat_difference = 3, .lat_period_ns = 10 * MS, .lat_reset_ns = 100 * MS } };
	uint32_t sid = SID;
	uint64_t t = 1000 * MS;
	int seq = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	fresh(0, 0, 0, 0);
	CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(skel->maps.frer_streams), &sid, &s, 0), 0);
	ring_buffer__consume(rb);
	ev_count = 0;

	/* 20 ms of both paths, a frame each ms: no error. */
	for (; seq < 20; seq++, t += MS) {
		set_clock(t);
		expect(port_a, seq, XDP_PASS, __LINE__);
		expect(port_b, seq, XDP_DROP, __LINE__);
	}
	ring_buffer__consume(rb);
	CU_ASSERT_EQUAL(ev_count, 0);
	CU_ASSERT_EQUAL(stream_state(SID).c.latent_errors, 0);
	/* Path b gone: 4 frames make a difference of 4 > 3; the test at 20 ms (the
	 * first frame) still sees 1, the one at 30 ms sees 4 .. */
	for (; seq < 31; seq++, t += MS) {
		set_clock(t);
		expect(port_a, seq, XDP_PASS, __LINE__);
	}
	ring_buffer__consume(rb);
	CU_ASSERT_EQUAL(stream_state(SID).c.latent_errors, 1);
	CU_ASSERT_EQUAL(ev_count, 1);
	CU_ASSERT_EQUAL(ev_last.stream_id, SID);
	CU_ASSERT_EQUAL(ev_last.kind, TSN_FRER_EV_LATENT_ERROR);
	/* The base was taken at frame 0, whose duplicate had not come yet (1); at
	 * frame 30, 31 passed and 20 discarded: 11, a difference of 10. */
	CU_ASSERT_EQUAL(ev_last.diff, 10);
	CU_ASSERT_EQUAL(ev_last.ns, 1030 * MS);
	CU_ASSERT_EQUAL(stream_state(SID).c.latent_error_resets, 0);
	/* Until the reset period (100 ms from the first frame) rebases: one error per test. */
	for (; seq < 101; seq++, t += MS) {
		set_clock(t);
		expect(port_a, seq, XDP_PASS, __LINE__);
	}
	ring_buffer__consume(rb);
	CU_ASSERT_EQUAL(stream_state(SID).c.latent_error_resets, 1);
	CU_ASSERT_EQUAL(stream_state(SID).c.latent_errors, 8);	/* at 30, 40, .. 100 ms */
	CU_ASSERT_EQUAL(ev_count, 8);
	/* Rebased at 100 ms: path b back, no more errors. */
	for (; seq < 140; seq++, t += MS) {
		set_clock(t);
		expect(port_a, seq, XDP_PASS, __LINE__);
		expect(port_b, seq, XDP_DROP, __LINE__);
	}
	ring_buffer__consume(rb);
	CU_ASSERT_EQUAL(stream_state(SID).c.latent_errors, 8);
	CU_ASSERT_EQUAL(ev_count, 8);
	ring_buffer__free(rb);
}

/* ---- scale ---- */

/* 65 536 recovered streams, each its own state: frames of the first, a middle and
 * the last stream are recovered independently; a 65 537th stream does not fit. */
static void test_scale(void)
{
	int fd = bpf_map__fd(skel->maps.frer_streams);
	struct tsn_frer_stream s = { .cfg = { .flags = TSN_FRER_RCVY, .history = 32 } };
	uint32_t ids[] = { 1, 32768, 65536 };

	fresh(0, 0, 0, 0);
	for (uint32_t sid = 1; sid <= TSN_FRER_MAX_STREAMS; sid++)
		if (bpf_map_update_elem(fd, &sid, &s, 0)) {
			CU_FAIL("stream table refused an entry");
			return;
		}
	uint32_t extra = TSN_FRER_MAX_STREAMS + 1;

	CU_ASSERT_EQUAL(bpf_map_update_elem(fd, &extra, &s, 0), -E2BIG);
	for (size_t i = 0; i < 3; i++) {
		struct fb f;
		struct run r;

		frame(&f, 1, (long)(100 + i));
		run(port_a, ids[i], &f, &r);
		CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
		run(port_a, ids[i], &f, &r);
		CU_ASSERT_EQUAL(r.verdict, XDP_DROP);
	}
	for (size_t i = 0; i < 3; i++) {
		struct tsn_frer_stream got = stream_state(ids[i]);

		CU_ASSERT_EQUAL(got.c.passed, 1);
		CU_ASSERT_EQUAL(got.c.discarded, 1);
		CU_ASSERT_EQUAL(got.rcvy.seq, 100 + i);
	}
	CU_ASSERT_EQUAL(stream_state(2).c.passed, 0);
}

/* ---- stream splitting on veth ---- */

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

/* The frame fd receives next, within a second; its length or -1. */
static ssize_t recv_frame(int fd, uint8_t *buf, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 1000) != 1)
		return -1;
	return recv(fd, buf, cap, 0);
}

/* The packets a port's root qdisc has sent, from `tc -s -j qdisc`. */
static long long qdisc_sent(const char *dev)
{
	char cmd[128];
	json_object *arr, *q;
	long long n = -1;

	snprintf(cmd, sizeof(cmd), "tc -s -j qdisc show dev %s root", dev);
	arr = tu_sh_json(cmd);
	q = arr && json_object_is_type(arr, json_type_array) ? json_object_array_get_idx(arr, 0) : NULL;
	if (tu_jget(q, "packets"))
		n = json_object_get_int64(tu_jget(q, "packets"));
	json_object_put(arr);
	return n;
}

/* talker t0 -> t1 (frer_xdp: generation; frer_tc: splitting onto a1 and b1, each
 * with a pfifo root qdisc) -> a0, b0: each copy arrives with the same R-TAG, and
 * each went through its port's qdisc. */
static void test_split_veth(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	enum { N = 50 };
	struct tsn_frer_ident_key k = { .vid = TSN_FRER_VID_UNTAGGED };
	struct tsn_frer_split sp = { .n = 2 };
	uint32_t sid = SID;
	int tx = -1, rxa = -1, rxb = -1, t1, a1, b1;
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = 1, .priority = 1);

	fresh(TSN_FRER_GEN, 0, 0, 0);
	if (tu_sh("for p in t a b; do ip link add ${p}0 type veth peer name ${p}1 || exit 1; done; "
		  "for d in t0 t1 a0 a1 b0 b1; do ip link set $d up || exit 1; done; "
		  "tc qdisc add dev a1 root pfifo && tc qdisc add dev b1 root pfifo")) {
		CU_FAIL("veth setup");
		goto out;
	}
	t1 = (int)if_nametoindex("t1");
	a1 = (int)if_nametoindex("a1");
	b1 = (int)if_nametoindex("b1");
	sp.ifindex[0] = (uint32_t)a1;
	sp.ifindex[1] = (uint32_t)b1;
	memcpy(k.mac, fb_mac_a, 6);
	CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(skel->maps.frer_ident), &k, &sid, 0), 0);
	CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(skel->maps.frer_split), &sid, &sp, 0), 0);
	CU_ASSERT_EQUAL_FATAL(bpf_xdp_attach(t1, bpf_program__fd(skel->progs.frer_xdp), XDP_FLAGS_DRV_MODE, NULL), 0);
	hook.ifindex = t1;
	CU_ASSERT_EQUAL(bpf_tc_hook_create(&hook), 0);
	tco.prog_fd = bpf_program__fd(skel->progs.frer_tc);
	CU_ASSERT_EQUAL_FATAL(bpf_tc_attach(&hook, &tco), 0);

	tx = packet_socket("t0");
	rxa = packet_socket("a0");
	rxb = packet_socket("b0");
	CU_ASSERT_FATAL(tx >= 0 && rxa >= 0 && rxb >= 0);
	for (int i = 0; i < N; i++) {
		struct fb in, want;
		uint8_t buf[2048];
		ssize_t n;

		frame(&in, 0, -1);
		in.b[14] = (uint8_t)i;		/* each frame its own payload */
		frame(&want, 0, i);
		want.b[20] = (uint8_t)i;
		CU_ASSERT_EQUAL(send(tx, in.b, in.len, 0), (ssize_t)in.len);
		n = recv_frame(rxa, buf, sizeof(buf));
		CU_ASSERT_TRUE(bytes_equal(buf, n < 0 ? 0 : (size_t)n, want.b, want.len, "copy on path a"));
		n = recv_frame(rxb, buf, sizeof(buf));
		CU_ASSERT_TRUE(bytes_equal(buf, n < 0 ? 0 : (size_t)n, want.b, want.len, "copy on path b"));
	}
	CU_ASSERT_EQUAL(qdisc_sent("a1"), N);
	CU_ASSERT_EQUAL(qdisc_sent("b1"), N);
	CU_ASSERT_EQUAL(port_counters(a1).replicated, N);
	CU_ASSERT_EQUAL(port_counters(b1).replicated, N);
	CU_ASSERT_EQUAL(stream_state(SID).c.replicated, 2 * N);
	CU_ASSERT_EQUAL(stream_state(SID).c.generated, N);
	CU_ASSERT_EQUAL(port_counters(t1).generated, N);

	/* A frame of no split stream is not frer_tc's: the kernel has it (t1 has no
	 * bridge, so it goes nowhere), and no copy leaves. */
	struct fb other;
	uint8_t buf[2048];

	fb_eth(&other, fb_mac_b, fb_mac_a);
	fb_ethertype(&other, 0x88b5, 46);
	CU_ASSERT_EQUAL(send(tx, other.b, other.len, 0), (ssize_t)other.len);
	CU_ASSERT_EQUAL(recv_frame(rxa, buf, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(qdisc_sent("a1"), N);
out:
	if (tx >= 0)
		close(tx);
	if (rxa >= 0)
		close(rxa);
	if (rxb >= 0)
		close(rxb);
	tu_sh("for p in t a b; do ip link del ${p}0 2>/dev/null; done; true");
}

/* Attach a skeleton's frer_xdp (native) and frer_tc (clsact ingress) to dev. */
static int attach_port(struct frer_bpf *sk, const char *dev)
{
	int ifindex = (int)if_nametoindex(dev);
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = 1, .priority = 1, .prog_fd = bpf_program__fd(sk->progs.frer_tc));

	if (!ifindex || bpf_xdp_attach(ifindex, bpf_program__fd(sk->progs.frer_xdp), XDP_FLAGS_DRV_MODE, NULL))
		return -1;
	bpf_tc_hook_create(&hook);
	return bpf_tc_attach(&hook, &tco);
}

/* Map writes of one switch: stream SID by destination MAC fb_mac_a (untagged),
 * its functions, and its splitting onto the given ports. */
static int setup_switch(struct frer_bpf *sk, uint8_t flags, const char *const *ports, int nports)
{
	struct tsn_frer_ident_key k = { .vid = TSN_FRER_VID_UNTAGGED };
	struct tsn_frer_stream st = { .cfg = { .flags = flags, .algorithm = TSN_FRER_ALG_VECTOR,
					       .history = 32, .reset_ns = 1000 * MS } };
	struct tsn_frer_split sp = { .n = (uint32_t)nports };
	uint32_t sid = SID;

	memcpy(k.mac, fb_mac_a, 6);
	for (int i = 0; i < nports; i++)
		sp.ifindex[i] = if_nametoindex(ports[i]);
	return bpf_map_update_elem(bpf_map__fd(sk->maps.frer_ident), &k, &sid, 0) ||
	       bpf_map_update_elem(bpf_map__fd(sk->maps.frer_streams), &sid, &st, 0) ||
	       bpf_map_update_elem(bpf_map__fd(sk->maps.frer_split), &sid, &sp, 0);
}

static struct tsn_frer_counters sk_port(struct frer_bpf *sk, const char *dev)
{
	struct frer_bpf *saved = skel;
	struct tsn_frer_counters c;

	skel = sk;
	c = port_counters((int)if_nametoindex(dev));
	skel = saved;
	return c;
}

/* talker t0 -> sw1 (t1: generation, splitting onto a1 and b1) -> two paths ->
 * sw4 (a0, b0: sequence recovery, R-TAG removed, on to l1) -> listener l0.  Every
 * frame arrives exactly once and in order while path b's link goes down (at N/3)
 * and up again (N/2), and then path a's goes down (2N/3); the counters say what
 * happened on each side. */
static void test_two_paths(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	enum { N = 30000, BATCH = 50 };
	static const char *const sw1_out[] = { "a1", "b1" }, *const sw4_out[] = { "l1" };
	struct frer_bpf *sw1 = tu_frer_skel_load(), *sw4 = tu_frer_skel_load();
	int tx = -1, rx = -1, got = 0, in_order = 1, rcvbuf = 16 << 20;
	uint8_t buf[2048];

	CU_ASSERT_FATAL(sw1 && sw4);
	if (tu_sh("for p in t a b l; do ip link add ${p}0 type veth peer name ${p}1 || exit 1; done; "
		  "for d in t0 t1 a0 a1 b0 b1 l0 l1; do ip link set $d up || exit 1; done; "
		  "for d in a1 b1 l1; do tc qdisc add dev $d root pfifo limit 10000 || exit 1; done") ||
	    attach_port(sw1, "t1") || attach_port(sw4, "a0") || attach_port(sw4, "b0") ||
	    setup_switch(sw1, TSN_FRER_GEN, sw1_out, 2) || setup_switch(sw4, TSN_FRER_RCVY, sw4_out, 1)) {
		CU_FAIL("setup of the two paths");
		goto out;
	}
	tx = packet_socket("t0");
	rx = packet_socket("l0");
	CU_ASSERT_FATAL(tx >= 0 && rx >= 0);
	setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	for (int i = 0; i < N; i++) {
		struct fb in;

		if ((i == N / 3 && tu_sh("ip link set b1 down")) || (i == N / 2 && tu_sh("ip link set b1 up")) ||
		    (i == 2 * N / 3 && tu_sh("ip link set a1 down")))
			CU_FAIL("cutting or mending a path");
		frame(&in, 0, -1);
		fb_put16(in.b + 14, (unsigned)i);	/* the frame's number, big endian */
		if (send(tx, in.b, in.len, 0) != (ssize_t)in.len)
			CU_FAIL("send");
		/* Drain the listener now and then (the socket buffer holds the rest). */
		while (i % BATCH == BATCH - 1 || i == N - 1) {
			ssize_t n = recv(rx, buf, sizeof(buf), 0);

			if (n < 0) {
				if (i < N - 1)
					break;
				if (recv_frame(rx, buf, sizeof(buf)) < 0)	/* the last ones in flight */
					break;
				n = (ssize_t)in.len;
			}
			if (n != (ssize_t)in.len || buf[12] != 0x88 || buf[13] != 0xb5 ||
			    ((unsigned)buf[14] << 8 | buf[15]) != (unsigned)(got & 0xffff))
				in_order = 0;
			got++;
		}
	}
	if (got != N || !in_order)
		fprintf(stderr, "\n  listener: %d of %d frames, %s", got, N, in_order ? "in order" : "NOT in order");
	CU_ASSERT_EQUAL(got, N);
	CU_ASSERT_TRUE(in_order);
	CU_ASSERT_EQUAL(recv_frame(rx, buf, sizeof(buf)), -1);	/* no duplicate after the last */

	struct tsn_frer_counters a0 = sk_port(sw4, "a0"), b0 = sk_port(sw4, "b0");
	struct tsn_frer_counters a1 = sk_port(sw1, "a1"), b1 = sk_port(sw1, "b1");

	CU_ASSERT_EQUAL(sk_port(sw1, "t1").generated, N);
	CU_ASSERT_EQUAL(a1.replicated + a1.replicate_errors, N);
	CU_ASSERT_EQUAL(b1.replicated + b1.replicate_errors, N);
	/* Every frame passed once at sw4: on path a until it was cut, then on b. */
	CU_ASSERT_EQUAL(a0.passed + b0.passed, N);
	CU_ASSERT_TRUE(a0.passed >= 2 * N / 3 - BATCH && b0.passed >= N / 3 - BATCH);
	/* Both paths carried the frames between N/2 and 2N/3: one copy discarded each. */
	CU_ASSERT_TRUE(a0.discarded + b0.discarded >= N / 6 + N / 3 - 2 * BATCH);
	CU_ASSERT_EQUAL(a0.rogue + b0.rogue + a0.lost + b0.lost + a0.tagless + b0.tagless, 0);
	CU_ASSERT_EQUAL(sk_port(sw4, "l1").replicated, N);
out:
	if (tx >= 0)
		close(tx);
	if (rx >= 0)
		close(rx);
	tu_sh("for p in t a b l; do ip link del ${p}0 2>/dev/null; done; true");
	frer_bpf__destroy(sw1);
	frer_bpf__destroy(sw4);
}

/* The next frame on fd within a second, with its outer VLAN (which the receive
 * path moves out of the bytes into the packet's auxiliary data): its length or -1;
 * *tci = the tag, or -1 if untagged. */
static ssize_t recv_vlan(int fd, uint8_t *buf, size_t cap, int *tci)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
	ssize_t n;

	*tci = -1;
	if (poll(&p, 1, 1000) != 1 || (n = recvmsg(fd, &mh, 0)) < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
			struct tpacket_auxdata aux;

			memcpy(&aux, CMSG_DATA(c), sizeof(aux));
			if (aux.tp_status & TP_STATUS_VLAN_VALID)
				*tci = aux.tp_vlan_tci;
		}
	return n;
}

/* Splitting into VLANs: one copy in the frame's own VLAN (or untagged), one in VLAN
 * 300 on another port, one in VLAN 301 on that same port; the PCP is the frame's
 * (an untagged frame's: its priority, 4). */
static void test_split_vlan(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	struct tsn_frer_split sp = { .n = 3 };
	uint32_t sid = SID;
	int tx = -1, rxa = -1, rxb = -1, on = 1;

	fresh(0, 0, 0, 0);
	if (tu_sh("for p in t a b; do ip link add ${p}0 type veth peer name ${p}1 || exit 1; done; "
		  "for d in t0 t1 a0 a1 b0 b1; do ip link set $d up || exit 1; done")) {
		CU_FAIL("veth setup");
		goto out;
	}
	/* VLAN 300 first: the copy in the frame's own VLAN after it needs the tag back. */
	sp.ifindex[0] = sp.ifindex[2] = if_nametoindex("b1");
	sp.ifindex[1] = if_nametoindex("a1");
	sp.vid[0] = 300;
	sp.vid[2] = 301;
	for (int tagged = 0; tagged < 2; tagged++) {
		struct tsn_frer_ident_key k = { .vid = tagged ? 200 : TSN_FRER_VID_UNTAGGED };

		memcpy(k.mac, fb_mac_a, 6);
		CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(skel->maps.frer_ident), &k, &sid, 0), 0);
	}
	CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(skel->maps.frer_split), &sid, &sp, 0), 0);
	CU_ASSERT_EQUAL_FATAL(attach_port(skel, "t1"), 0);
	tx = packet_socket("t0");
	rxa = packet_socket("a0");
	rxb = packet_socket("b0");
	CU_ASSERT_FATAL(tx >= 0 && rxa >= 0 && rxb >= 0);
	setsockopt(rxa, SOL_PACKET, PACKET_AUXDATA, &on, sizeof(on));
	setsockopt(rxb, SOL_PACKET, PACKET_AUXDATA, &on, sizeof(on));

	for (int tagged = 0; tagged < 2; tagged++) {
		struct fb in, bare;
		uint8_t buf[2048];
		int tci;
		ssize_t n;
		unsigned pcp = tagged ? 5 : 4;

		frame(&in, tagged, -1);		/* tagged: VLAN 200, PCP 5 */
		frame(&bare, 0, -1);		/* what the bytes are without the tag */
		CU_ASSERT_EQUAL(send(tx, in.b, in.len, 0), (ssize_t)in.len);
		n = recv_vlan(rxa, buf, sizeof(buf), &tci);
		CU_ASSERT_TRUE(bytes_equal(buf, n < 0 ? 0 : (size_t)n, bare.b, bare.len, "copy in the own VLAN"));
		CU_ASSERT_EQUAL(tci, tagged ? (int)((5u << 13) | 200) : -1);
		for (unsigned vid = 300; vid <= 301; vid++) {
			n = recv_vlan(rxb, buf, sizeof(buf), &tci);
			CU_ASSERT_TRUE(bytes_equal(buf, n < 0 ? 0 : (size_t)n, bare.b, bare.len, "copy in a VLAN"));
			if (tci != (int)((pcp << 13) | vid))
				fprintf(stderr, "\n  tagged %d: VLAN tag %#x, want %#x", tagged, tci, (pcp << 13) | vid);
			CU_ASSERT_EQUAL(tci, (int)((pcp << 13) | vid));
		}
	}
	CU_ASSERT_EQUAL(stream_state(SID).c.replicated, 6);
	CU_ASSERT_EQUAL(stream_state(SID).c.replicate_errors, 0);
out:
	if (tx >= 0)
		close(tx);
	if (rxa >= 0)
		close(rxa);
	if (rxb >= 0)
		close(rxb);
	tu_sh("for p in t a b; do ip link del ${p}0 2>/dev/null; done; true");
}

/* ---- a path delayed by 1 ms ---- */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A delay line (the kernel here has no netem): frames read from one veth end are
 * sent on another no earlier than delay_ns after they arrived, in order. */
struct delay_line {
	int in, out;
	uint64_t delay_ns;
	volatile int stop;
	unsigned long forwarded;
};

enum { DL_SLOTS = 4096 };

static void *delay_main(void *arg)
{
	struct delay_line *d = arg;
	static uint8_t buf[DL_SLOTS][128];
	static size_t len[DL_SLOTS];
	static uint64_t due[DL_SLOTS];
	size_t head = 0, tail = 0;

	while (!d->stop || head != tail) {
		uint64_t now = mono_ns();
		int wait_ms = 1;
		struct pollfd p = { .fd = d->in, .events = POLLIN };

		while (head != tail && due[tail % DL_SLOTS] <= now) {
			send(d->out, buf[tail % DL_SLOTS], len[tail % DL_SLOTS], 0);
			tail++;
			d->forwarded++;
		}
		if (d->stop && head == tail)
			break;
		if (head != tail && due[tail % DL_SLOTS] > now)
			wait_ms = 0;	/* a frame falls due within the millisecond: spin gently */
		if (poll(&p, 1, wait_ms) == 1) {
			ssize_t n;

			while (head - tail < DL_SLOTS &&
			       (n = recv(d->in, buf[head % DL_SLOTS], sizeof(buf[0]), MSG_DONTWAIT)) > 0) {
				len[head % DL_SLOTS] = (size_t)n;
				due[head % DL_SLOTS] = mono_ns() + d->delay_ns;
				head++;
			}
		} else if (wait_ms == 0) {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* The listener: checks that frames come numbered 0, 1, 2, ... */
struct listener {
	int fd;
	volatile int stop;
	unsigned long got, out_of_order;
	long first_bad, first_bad_num;	/* where the first frame out of place came, and its number */
};

static void *listen_main(void *arg)
{
	struct listener *l = arg;
	uint8_t buf[2048];

	for (;;) {
		struct pollfd p = { .fd = l->fd, .events = POLLIN };

		if (poll(&p, 1, 200) != 1) {
			if (l->stop)
				break;
			continue;
		}
		ssize_t n = recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 16)
			continue;
		unsigned num = (unsigned)buf[14] << 24 | (unsigned)buf[15] << 16 | (unsigned)buf[16] << 8 | buf[17];

		if (buf[12] != 0x88 || buf[13] != 0xb5 || num != l->got) {
			if (!l->out_of_order++) {
				l->first_bad = (long)l->got;
				l->first_bad_num = (long)num;
			}
		}
		l->got++;
	}
	return NULL;
}

/* talker -> sw1 (generation, split) -> path a (direct) and path b (1 ms delay line)
 * -> sw4 (recovery on both ports) -> listener, paced at 10 000 frames/s for
 * TSN_FRER_SECONDS (default 0.5 s; the run is 10).  Path a's link goes
 * down halfway: from then on path b, 1 ms late, carries the stream alone.  Every
 * frame arrives exactly once and in order. */
static void test_delayed_path(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	static const char *const sw1_out[] = { "a1", "b1" }, *const sw4_out[] = { "l1" };
	const char *secs_env = getenv("TSN_FRER_SECONDS");
	double secs = secs_env ? atof(secs_env) : 0.5;
	const unsigned rate = 10000, n = (unsigned)(secs * rate);
	struct frer_bpf *sw1 = tu_frer_skel_load(), *sw4 = tu_frer_skel_load();
	struct delay_line dl = { .in = -1, .out = -1, .delay_ns = 1000000 };
	struct listener li = { .fd = -1 };
	pthread_t dl_thread, li_thread;
	int tx = -1, rcvbuf = 8 << 20, threads = 0;
	uint64_t start;

	CU_ASSERT_FATAL(sw1 && sw4 && n > 0);
	if (tu_sh("for p in t a b d l; do ip link add ${p}0 type veth peer name ${p}1 || exit 1; done; "
		  "for x in t0 t1 a0 a1 b0 b1 d0 d1 l0 l1; do ip link set $x up || exit 1; done; "
		  "for x in a1 b1 l1; do tc qdisc add dev $x root pfifo limit 10000 || exit 1; done") ||
	    attach_port(sw1, "t1") || attach_port(sw4, "a0") || attach_port(sw4, "d0") ||
	    setup_switch(sw1, TSN_FRER_GEN, sw1_out, 2) || setup_switch(sw4, TSN_FRER_RCVY, sw4_out, 1)) {
		CU_FAIL("setup of the delayed path");
		goto out;
	}
	/* A long reset timer: a delay line slowed by a busy machine must not reset. */
	{
		uint32_t sid = SID;
		struct tsn_frer_stream st = { .cfg = { .flags = TSN_FRER_RCVY, .algorithm = TSN_FRER_ALG_VECTOR,
						       .history = 64, .reset_ns = 60000 * MS } };

		CU_ASSERT_EQUAL(bpf_map_update_elem(bpf_map__fd(sw4->maps.frer_streams), &sid, &st, 0), 0);
	}
	tx = packet_socket("t0");
	dl.in = packet_socket("b0");
	dl.out = packet_socket("d1");
	li.fd = packet_socket("l0");
	CU_ASSERT_FATAL(tx >= 0 && dl.in >= 0 && dl.out >= 0 && li.fd >= 0);
	setsockopt(li.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	setsockopt(dl.in, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (pthread_create(&dl_thread, NULL, delay_main, &dl) == 0)
		threads |= 1;
	if (pthread_create(&li_thread, NULL, listen_main, &li) == 0)
		threads |= 2;
	CU_ASSERT_FATAL(threads == 3);

	start = mono_ns();
	for (unsigned i = 0; i < n; i++) {
		uint64_t at = start + (uint64_t)i * (1000000000ULL / rate);
		struct timespec ts = { (time_t)(at / 1000000000ULL), (long)(at % 1000000000ULL) };
		struct fb in;

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (i == n / 2 && tu_sh("ip link set a1 down"))
			CU_FAIL("cutting path a");
		frame(&in, 0, -1);
		in.b[14] = (uint8_t)(i >> 24);
		in.b[15] = (uint8_t)(i >> 16);
		in.b[16] = (uint8_t)(i >> 8);
		in.b[17] = (uint8_t)i;
		while (send(tx, in.b, in.len, 0) < 0 && errno == ENOBUFS)
			sched_yield();
	}
	usleep(100000);			/* the delay line's last frames */
	dl.stop = 1;
	pthread_join(dl_thread, NULL);
	usleep(100000);
	li.stop = 1;
	pthread_join(li_thread, NULL);
	threads = 0;

	struct tsn_frer_counters a0 = sk_port(sw4, "a0"), d0 = sk_port(sw4, "d0");

	if (li.got != n || li.out_of_order)
		fprintf(stderr, "\n  listener: %lu of %u frames, %lu out of order; path b forwarded %lu; "
			"first out of place: #%ld carried %ld; sw4 a0 passed %llu discarded %llu rogue %llu ooo %llu "
			"lost %llu, d0 passed %llu discarded %llu rogue %llu ooo %llu lost %llu resets %llu",
			li.got, n, li.out_of_order, dl.forwarded, li.first_bad, li.first_bad_num,
			(unsigned long long)a0.passed, (unsigned long long)a0.discarded, (unsigned long long)a0.rogue,
			(unsigned long long)a0.out_of_order, (unsigned long long)a0.lost,
			(unsigned long long)d0.passed, (unsigned long long)d0.discarded, (unsigned long long)d0.rogue,
			(unsigned long long)d0.out_of_order, (unsigned long long)d0.lost,
			(unsigned long long)(a0.resets + d0.resets));
	CU_ASSERT_EQUAL(li.got, n);
	CU_ASSERT_EQUAL(li.out_of_order, 0);
	CU_ASSERT_EQUAL(dl.forwarded, n);		/* path b carried every frame */
	/* Each frame passed once; path b's copy of every frame path a brought was a
	 * duplicate (or, if the delay line fell more than 64 frames behind, rogue). */
	CU_ASSERT_EQUAL(a0.passed + d0.passed, n);
	CU_ASSERT_EQUAL(d0.passed + d0.discarded + d0.rogue, n);
	CU_ASSERT_EQUAL(a0.passed, d0.discarded + d0.rogue);
	CU_ASSERT_TRUE(a0.passed >= n / 2 - 20 && d0.passed >= n / 2 - 20);
	CU_ASSERT_EQUAL(a0.lost + d0.lost + a0.discarded, 0);
out:
	if (threads & 1) {
		dl.stop = 1;
		pthread_join(dl_thread, NULL);
	}
	if (threads & 2) {
		li.stop = 1;
		pthread_join(li_thread, NULL);
	}
	if (tx >= 0)
		close(tx);
	if (dl.in >= 0)
		close(dl.in);
	if (dl.out >= 0)
		close(dl.out);
	if (li.fd >= 0)
		close(li.fd);
	tu_sh("for p in t a b d l; do ip link del ${p}0 2>/dev/null; done; true");
	frer_bpf__destroy(sw1);
	frer_bpf__destroy(sw4);
}

static int suite_init(void)
{
	if (tu_netns_enter())
		return -1;
	/* No IPv6 on the ports: no ND or MLD frames in the captures. */
	if (tu_sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 && "
		  "ip link set lo up && ip link add ra type veth peer name rb && "
		  "ip link set ra up && ip link set rb up"))
		return -1;
	port_a = (int)if_nametoindex("ra");
	port_b = (int)if_nametoindex("rb");
	skel = tu_frer_skel_load();
	if (!skel) {
		fprintf(stderr, "cannot load frer.bpf.o: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int suite_clean(void)
{
	frer_bpf__destroy(skel);
	tu_netns_leave();
	return 0;
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("bpf_frer", suite_init, suite_clean);
	CU_add_test(s, "R-TAG insert with 0, 1, 2 VLAN tags; generator wraps", test_rtag_insert);
	CU_add_test(s, "R-TAG remove with 0, 1, 2 VLAN tags; relay; renumbering", test_rtag_remove);
	CU_add_test(s, "other frames untouched; null stream identification", test_other_frames);
	CU_add_test(s, "R-TAG cut short: encode error", test_rtag_cut);
	CU_add_test(s, "Vector: duplicates, out of order", test_vector_basic);
	CU_add_test(s, "Vector: wraparound 65535 -> 0", test_vector_wrap);
	CU_add_test(s, "Vector: history window, rogue numbers", test_vector_window);
	CU_add_test(s, "Vector: lost frames, history 64", test_vector_lost);
	CU_add_test(s, "Vector: reset timer", test_vector_reset);
	CU_add_test(s, "Match algorithm", test_match);
	CU_add_test(s, "tagless frames, TakeNoSequence", test_tagless);
	CU_add_test(s, "individual recovery per port", test_individual);
	CU_add_test(s, "latent error detection and event", test_latent);
	CU_add_test(s, "65536 recovered streams", test_scale);
	CU_add_test(s, "stream splitting on veth through the qdisc", test_split_veth);
	CU_add_test(s, "two paths, links cut: every frame once, in order", test_two_paths);
	CU_add_test(s, "stream splitting into VLANs", test_split_vlan);
	CU_add_test(s, "a path 1 ms late, the other cut: every frame once, in order", test_delayed_path);
	return tu_run_tests();
}
