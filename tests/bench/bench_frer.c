/* SPDX-License-Identifier: GPL-2.0-only */
/* bench_frer.c — what IEEE 802.1CB FRER (bpf/frer.bpf.c) costs on this host
 * (`make bench-frer`; figures in docs/frer.md and docs/benchmarks.md).
 *
 * 1. Recovery: frer_xdp through BPF_PROG_RUN on R-tagged frames (one VLAN tag,
 *    tsnd's metadata naming the stream in front) with 1, 1024 and 65536 recovered
 *    streams (VectorRecoveryAlgorithm, history 32).  Frames go round the streams
 *    in a scattered order; each frame is run twice, as its two copies arrive: the
 *    first passes (history updated, R-TAG removed), the second is a duplicate
 *    (XDP_DROP).  Each run is timed alone (repeat 1: a repeated run would see its
 *    own duplicate), and so is the floor, an XDP_PASS program on the same frame,
 *    so the kernel's timing overhead is in both.  Rounds are interleaved; the
 *    median round is reported.  Also: sequence generation (R-TAG insert), 1 stream.
 * 2. Splitting: a veth port with frer_xdp + frer_tc splits a stream onto 1, 2, 4
 *    and 8 egress veth ports (pfifo qdiscs; the far ends drop in XDP).  Frames are
 *    sent with a packet socket; frer_tc's own run time per frame comes from the
 *    kernel's BPF statistics (bpf_enable_stats).  Each copy but the last is a
 *    bpf_clone_redirect through the egress qdisc inside the program, so the slope
 *    over the number of ports is the cost of one copy; the last copy leaves by
 *    bpf_redirect after the program returns (as tsn_tc_ingress's frames do).
 *
 * Usage: bench_frer [--quick] [--json FILE]    (root)
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../tests/unit/bpf_frames.h"
#include "bpf/frer.skel.h"
#include "../unit/dp_skel.h"
#include "tsn/bpf_frer.h"

static struct frer_bpf *skel;

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		fprintf(stderr, "bench: failed (%d): %s\n", rc, cmd);
	return rc;
}

static int prog_pass(void)
{
	struct bpf_insn insns[2];

	memset(insns, 0, sizeof(insns));
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
	insns[0].dst_reg = BPF_REG_0;
	insns[0].imm = XDP_PASS;
	insns[1].code = BPF_JMP | BPF_EXIT;
	return bpf_prog_load(BPF_PROG_TYPE_XDP, "frer_floor", "GPL", insns, 2, NULL);
}

/* One run of prog on meta(sid) + f: the kernel's duration in ns, or -1. */
static double run_rep(int prog, uint32_t sid, const struct fb *f, int *verdict, unsigned repeat)
{
	uint8_t in[FB_MAX + 32], out[FB_MAX + 64];
	struct tsn_xdp_meta m = { .magic = TSN_META_MAGIC, .stream_id = sid, .flags = TSN_META_STREAM };
	struct xdp_md ctx = { .data = sizeof(m), .data_end = (__u32)(sizeof(m) + f->len), .ingress_ifindex = 1 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)(sizeof(m) + f->len),
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = repeat);

	memcpy(in, &m, sizeof(m));
	memcpy(in + sizeof(m), f->b, f->len);
	if (bpf_prog_test_run_opts(prog, &o) < 0)
		return -1;
	if (verdict)
		*verdict = (int)o.retval;
	return (double)o.duration;
}

static double run_once(int prog, uint32_t sid, const struct fb *f, int *verdict)
{
	return run_rep(prog, sid, f, verdict, 1);
}

static void tagged_frame(struct fb *f, unsigned seq)
{
	fb_eth(f, fb_mac_a, fb_mac_b);
	fb_vlan(f, 0x8100, 5, 200);
	fb_put16(f->b + f->type, TSN_FRER_ETH_P_RTAG);
	fb_put16(f->b + f->len + 2, seq);
	f->type = f->len + 4;
	f->len += 6;
	fb_ethertype(f, 0x88b5, 40);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int fill_streams(size_t n, uint8_t flags)
{
	int fd = bpf_map__fd(skel->maps.frer_streams);
	struct tsn_frer_stream s = { .cfg = { .flags = flags, .algorithm = TSN_FRER_ALG_VECTOR, .history = 32,
					      .reset_ns = 60000000000ULL } };	/* on, never firing (preemption) */
	uint32_t key, next;

	while (bpf_map_get_next_key(fd, NULL, &next) == 0) {
		key = next;
		bpf_map_delete_elem(fd, &key);
	}
	for (uint32_t sid = 1; sid <= n; sid++)
		if (bpf_map_update_elem(fd, &sid, &s, 0))
			return -1;
	return 0;
}

struct rcvy_round {
	double floor, pass, dup;
};

/* frames frames over `active` of the n streams (spread over the table): the mean
 * floor, pass and duplicate times. */
static int rcvy_round(int floor_prog, size_t n, size_t active, unsigned frames, uint16_t *seqs,
		      struct rcvy_round *r)
{
	int prog = bpf_program__fd(skel->progs.frer_xdp), v1 = 0, v2 = 0;

	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < frames; i++) {
		/* A stride prime to `active` scatters the order. */
		uint32_t idx = (uint32_t)((((uint64_t)i * 40503u) % active) * (n / active)), sid = idx + 1;
		struct fb f;

		tagged_frame(&f, seqs[idx]++);
		r->floor += run_once(floor_prog, sid, &f, NULL);
		r->pass += run_once(prog, sid, &f, &v1);
		r->dup += run_once(prog, sid, &f, &v2);
		if (v1 != XDP_PASS || v2 != XDP_DROP) {
			fprintf(stderr, "bench: stream %u: verdicts %d, %d (want pass, drop)\n", sid, v1, v2);
			return -1;
		}
	}
	r->floor /= frames;
	r->pass /= frames;
	r->dup /= frames;
	return 0;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return v[n / 2];
}

static int bench_recovery(FILE *json, int quick)
{
	static const size_t sizes[] = { 1, 1024, 65536 };
	enum { NSIZES = 3, ROUNDS = 5, HOT = 64 };
	unsigned frames = quick ? 2000 : 20000;
	int floor_prog = prog_pass();
	struct rcvy_round rr[2][NSIZES][ROUNDS];
	uint16_t *seqs[NSIZES];

	if (floor_prog < 0)
		return -1;
	for (int s = 0; s < NSIZES; s++)
		seqs[s] = calloc(sizes[s], sizeof(uint16_t));
	/* Rounds interleave the sizes, so each size sees the same machine load. */
	for (int round = 0; round < ROUNDS; round++)
		for (int s = 0; s < NSIZES; s++) {
			size_t hot = sizes[s] < HOT ? sizes[s] : HOT;

			if (!seqs[s] || fill_streams(sizes[s], TSN_FRER_RCVY) ||
			    rcvy_round(floor_prog, sizes[s], hot, frames, seqs[s], &rr[0][s][round]) ||
			    rcvy_round(floor_prog, sizes[s], sizes[s], frames, seqs[s], &rr[1][s][round]))
				return -1;
		}
	if (json)
		fprintf(json, "{\n  \"recovery\": [");
	for (int mode = 0; mode < 2; mode++) {
		double base = 0;

		printf("Recovery (frer_xdp, Vector, history 32, reset timer on), %s; ns per frame, median of %d rounds of %u "
		       "frames:\n", mode ? "every stream active (scattered)" : "64 active streams", ROUNDS, frames);
		printf("%8s  %9s  %9s  %9s  %9s  %12s  %7s\n", "streams", "floor", "pass", "duplicate", "mean",
		       "mean-floor", "vs 1");
		for (int s = 0; s < NSIZES; s++) {
			double fl[ROUNDS], pa[ROUNDS], du[ROUNDS], me[ROUNDS];

			for (int round = 0; round < ROUNDS; round++) {
				fl[round] = rr[mode][s][round].floor;
				pa[round] = rr[mode][s][round].pass;
				du[round] = rr[mode][s][round].dup;
				me[round] = (pa[round] + du[round]) / 2;
			}
			double mfl = median(fl, ROUNDS), mpa = median(pa, ROUNDS), mdu = median(du, ROUNDS),
			       mme = median(me, ROUNDS);

			if (s == 0)
				base = mme;
			printf("%8zu  %9.1f  %9.1f  %9.1f  %9.1f  %12.1f  %6.2fx\n", sizes[s], mfl, mpa, mdu, mme,
			       mme - mfl, mme / base);
			if (json)
				fprintf(json, "%s\n    {\"active\":\"%s\",\"streams\":%zu,\"floor_ns\":%.1f,"
					"\"pass_ns\":%.1f,\"dup_ns\":%.1f,\"mean_ns\":%.1f,\"vs_1\":%.3f}",
					mode || s ? "," : "", mode ? "all" : "64", sizes[s], mfl, mpa, mdu, mme,
					mme / base);
		}
	}
	/* Hot: 64 streams spread over the table, each frame's duplicate run `repeat`
	 * times (the kernel's mean per run): the per-frame work with the stream's
	 * lines in the cache, as bench_dataplane measures the classifier. */
	enum { REPEAT = 20000 };
	double hot[NSIZES][ROUNDS], hfl[NSIZES][ROUNDS], hbase = 0;

	for (int round = 0; round < ROUNDS; round++)
		for (int s = 0; s < NSIZES; s++) {
			size_t nh = sizes[s] < HOT ? sizes[s] : HOT;

			hot[s][round] = hfl[s][round] = 0;
			if (fill_streams(sizes[s], TSN_FRER_RCVY))
				return -1;
			for (size_t h = 0; h < nh; h++) {
				uint32_t sid = (uint32_t)(h * (sizes[s] / nh)) + 1;
				struct fb f;
				int v = 0;

				tagged_frame(&f, 7);
				run_once(bpf_program__fd(skel->progs.frer_xdp), sid, &f, NULL);	/* passes */
				hot[s][round] += run_rep(bpf_program__fd(skel->progs.frer_xdp), sid, &f, &v,
							 quick ? REPEAT / 10 : REPEAT);
				hfl[s][round] += run_rep(floor_prog, sid, &f, NULL, quick ? REPEAT / 10 : REPEAT);
				if (v != XDP_DROP)
					return -1;
			}
			hot[s][round] /= (double)nh;
			hfl[s][round] /= (double)nh;
		}
	printf("Recovery, duplicates with the stream's lines in the cache (repeat %u), ns per frame:\n",
	       quick ? REPEAT / 10 : REPEAT);
	printf("%8s  %9s  %9s  %12s  %7s\n", "streams", "floor", "duplicate", "dup-floor", "vs 1");
	if (json)
		fprintf(json, "\n  ],\n  \"recovery_hot\": [");
	for (int s = 0; s < NSIZES; s++) {
		double mh = median(hot[s], ROUNDS), mf = median(hfl[s], ROUNDS);

		if (s == 0)
			hbase = mh;
		printf("%8zu  %9.1f  %9.1f  %12.1f  %6.2fx\n", sizes[s], mf, mh, mh - mf, mh / hbase);
		if (json)
			fprintf(json, "%s\n    {\"streams\":%zu,\"floor_ns\":%.1f,\"dup_ns\":%.1f,\"vs_1\":%.3f}",
				s ? "," : "", sizes[s], mf, mh, mh / hbase);
	}
	for (int s = 0; s < NSIZES; s++)
		free(seqs[s]);

	/* Sequence generation: an untagged frame gets its R-TAG. */
	double gen[ROUNDS], gfl[ROUNDS];

	fill_streams(1, TSN_FRER_GEN);
	for (int round = 0; round < ROUNDS; round++) {
		struct fb f;

		gen[round] = gfl[round] = 0;
		fb_eth(&f, fb_mac_a, fb_mac_b);
		fb_vlan(&f, 0x8100, 5, 200);
		fb_ethertype(&f, 0x88b5, 46);
		for (unsigned i = 0; i < frames; i++) {
			gfl[round] += run_once(floor_prog, 1, &f, NULL);
			gen[round] += run_once(bpf_program__fd(skel->progs.frer_xdp), 1, &f, NULL);
		}
		gen[round] /= frames;
		gfl[round] /= frames;
	}
	qsort(gen, ROUNDS, sizeof(double), cmp_double);
	qsort(gfl, ROUNDS, sizeof(double), cmp_double);
	printf("Generation (R-TAG insert), 1 stream: %.1f ns per frame, floor %.1f ns\n", gen[ROUNDS / 2],
	       gfl[ROUNDS / 2]);
	if (json)
		fprintf(json, "\n  ],\n  \"generation\": {\"ns\":%.1f,\"floor_ns\":%.1f},", gen[ROUNDS / 2],
			gfl[ROUNDS / 2]);
	close(floor_prog);
	return 0;
}

/* ---- splitting ---- */

static double prog_mean_ns(int prog_fd, unsigned long long *cnt)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi);

	if (bpf_obj_get_info_by_fd(prog_fd, &pi, &len))
		return -1;
	*cnt = pi.run_cnt;
	return (double)pi.run_time_ns;
}

static int bench_split(FILE *json, int quick)
{
	static const unsigned ports[] = { 1, 2, 4, 8 };
	enum { NP = 4, ROUNDS = 5 };
	unsigned frames = quick ? 2000 : 20000;
	struct tsn_frer_ident_key k = { .vid = 200 };	/* the frame's VLAN */
	struct tsn_frer_split sp = {};
	double per_frame[NP][ROUNDS];
	uint32_t sid = 1;
	int tc = bpf_program__fd(skel->progs.frer_tc), tx, t1, rc = -1;
	char cmd[512];
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = 1, .priority = 1, .prog_fd = tc);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int drop = bpf_prog_load(BPF_PROG_TYPE_XDP, "frer_sink", "GPL",
				 (struct bpf_insn[]){ { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
							.imm = XDP_DROP },
						      { .code = BPF_JMP | BPF_EXIT } }, 2, NULL);

	if (drop < 0 || sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1") ||
	    sh("ip link add t0 type veth peer name t1 && ip link set t0 up && ip link set t1 up"))
		return -1;
	for (int i = 0; i < TSN_FRER_MAX_SPLIT; i++) {
		snprintf(cmd, sizeof(cmd), "ip link add p%d0 type veth peer name p%d1 && ip link set p%d0 up && "
			 "ip link set p%d1 up && tc qdisc add dev p%d1 root pfifo", i, i, i, i, i);
		if (sh(cmd))
			return -1;
		snprintf(cmd, sizeof(cmd), "p%d0", i);
		if (bpf_xdp_attach((int)if_nametoindex(cmd), drop, XDP_FLAGS_DRV_MODE, NULL))
			return -1;
	}
	t1 = (int)if_nametoindex("t1");
	hook.ifindex = t1;
	bpf_tc_hook_create(&hook);
	if (bpf_xdp_attach(t1, bpf_program__fd(skel->progs.frer_xdp), XDP_FLAGS_DRV_MODE, NULL) ||
	    bpf_tc_attach(&hook, &tco) || fill_streams(1, 0))
		return -1;
	memcpy(k.mac, fb_mac_a, 6);
	bpf_map_update_elem(bpf_map__fd(skel->maps.frer_ident), &k, &sid, 0);
	sll.sll_ifindex = (int)if_nametoindex("t0");
	tx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (tx < 0 || bind(tx, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -1;

	struct fb f;

	fb_eth(&f, fb_mac_a, fb_mac_b);
	fb_vlan(&f, 0x8100, 5, 200);
	fb_ethertype(&f, 0x88b5, 46);
	for (int round = 0; round < ROUNDS; round++)
		for (int p = 0; p < NP; p++) {
			unsigned long long c0 = 0, c1 = 0;
			double t0, t;

			sp.n = ports[p];
			for (unsigned i = 0; i < ports[p]; i++) {
				snprintf(cmd, sizeof(cmd), "p%u1", i);
				sp.ifindex[i] = if_nametoindex(cmd);
			}
			bpf_map_update_elem(bpf_map__fd(skel->maps.frer_split), &sid, &sp, 0);
			t0 = prog_mean_ns(tc, &c0);
			for (unsigned i = 0; i < frames; i++)
				if (send(tx, f.b, f.len, 0) < 0) {
					i--;		/* socket buffer full: let the softirqs run */
					sched_yield();
				}
			usleep(20000);
			t = prog_mean_ns(tc, &c1);
			per_frame[p][round] = c1 > c0 ? (t - t0) / (double)(c1 - c0) : -1;
		}
	/* Every copy must have left: else the figures are of something else. */
	{
		uint32_t key = sid;
		struct tsn_frer_stream st = {};
		unsigned long long want = 0;

		for (int p = 0; p < NP; p++)
			want += (unsigned long long)ROUNDS * frames * ports[p];
		bpf_map_lookup_elem(bpf_map__fd(skel->maps.frer_streams), &key, &st);
		if (st.c.replicated != want || st.c.replicate_errors) {
			fprintf(stderr, "bench: %llu copies sent, %llu refused; want %llu sent\n",
				(unsigned long long)st.c.replicated, (unsigned long long)st.c.replicate_errors, want);
			return -1;
		}
	}
	printf("Splitting (frer_tc), ns per frame in the program, median of %d rounds of %u frames:\n",
	       ROUNDS, frames);
	printf("%6s  %9s  %9s\n", "ports", "frer_tc", "per copy");
	if (json)
		fprintf(json, "\n  \"splitting\": [");
	double one = 0;

	for (int p = 0; p < NP; p++) {
		qsort(per_frame[p], ROUNDS, sizeof(double), cmp_double);
		double m = per_frame[p][ROUNDS / 2];

		if (p == 0)
			one = m;
		if (p)
			printf("%6u  %9.1f  %9.1f\n", ports[p], m, (m - one) / (ports[p] - 1));
		else
			printf("%6u  %9.1f  %9s\n", ports[p], m, "-");
		if (json)
			fprintf(json, "%s\n    {\"ports\":%u,\"ns\":%.1f,\"per_copy_ns\":%.1f}", p ? "," : "",
				ports[p], m, p ? (m - one) / (ports[p] - 1) : 0.0);
	}
	if (json)
		fprintf(json, "\n  ]\n}\n");
	rc = 0;
	close(tx);
	close(drop);
	return rc;
}

int main(int argc, char **argv)
{
	const char *json_path = NULL;
	FILE *json = NULL;
	int quick = 0, stats, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = 1;
		else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json_path = argv[++i];
		else {
			fprintf(stderr, "usage: bench_frer [--quick] [--json FILE]\n");
			return 2;
		}
	}
	/* A namespace of our own: the veth ports die with it. */
	if (unshare(CLONE_NEWNET) < 0) {
		perror("bench: unshare (root needed)");
		return 1;
	}
	sh("ip link set lo up");
	skel = tu_frer_skel_load();
	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (!skel || stats < 0) {
		fprintf(stderr, "bench: cannot load frer.bpf.o or enable BPF statistics\n");
		return 1;
	}
	if (json_path && !(json = fopen(json_path, "w"))) {
		perror(json_path);
		return 1;
	}
	rc = (getenv("BENCH_NO_RECOVERY") ? 0 : bench_recovery(json, quick)) || bench_split(json, quick);
	if (rc)
		fprintf(stderr, "bench: failed\n");
	if (json)
		fclose(json);
	close(stats);
	frer_bpf__destroy(skel);
	return rc ? 1 : 0;
}
