/* SPDX-License-Identifier: GPL-2.0-only */
/* bench_dataplane.c — what tsnd's data plane costs, measured on this host (`make
 * bench`; method and figures in docs/benchmarks.md).
 *
 * 1. Classifier: the XDP program of bpf/dataplane.bpf.c through BPF_PROG_RUN with
 *    1, 64, 1024 and 65536 ipv6 streams loaded by the real loader, against an
 *    XDP_PASS program as the floor.  64 frames that hit 64 different streams (and
 *    one that hits none) are each run `repeat` times; the kernel reports the mean
 *    time per run.
 * 2. Forwarding: a generator (an XDP program run with BPF_F_TEST_XDP_LIVE_FRAMES
 *    in the talker's namespace: every run transmits one frame out of the talker's
 *    veth) sends IPv6 UDP through the switch namespace to a listener, whose XDP
 *    program counts and drops.  The same generator and sink serve every mode:
 *      floor    the switch port drops what arrives (generator + veth + NAPI)
 *      kernel   the kernel's own IPv6 forwarding (an XDP_PASS program on the port
 *               only to give the veth NAPI, as GRO would)
 *      redirect tsnd's fast path, XDP_REDIRECT (a class no schedule gates), FIB
 *               cache off: bpf_fib_lookup for every frame
 *      cached   the same with the FIB cache on (as tsnd runs it)
 *      tc       tsnd's path for gated classes: XDP -> tc -> dev_queue_xmit, the tc
 *               program a cls_bpf filter on clsact (TSND_TC_HOOK=clsact)
 *      tcx      the same with the tc program on tcx (kernels from 6.6; left out
 *               where the kernel has no tcx)
 *    Two ways to run them, both in every round:
 *      one CPU   everything on the generating CPU (softirqs run when the
 *                generator's batch ends; the process is pinned to one CPU), so a
 *                rate is 1 / (generator + switch + sink) per frame; the floor lets
 *                the switch's share be read off.
 *      pipelined the switch port's NAPI is threaded (/sys/class/net/sw0p1/threaded)
 *                and its kthread pinned to a second CPU, the generator to the
 *                first: the switch works on a CPU of its own (with the sink,
 *                whose NAPI it schedules there, as a NIC's TX would be) while the
 *                generator keeps its ring full.  The rate is what arrives at the
 *                sink; the switch's cost per frame is its kthread's CPU time
 *                (/proc/PID/schedstat) per frame delivered.  (Moving the sink to
 *                the first CPU as well was tried: every transmit then wakes a
 *                thread on the other CPU, which costs more than the sink.)
 *    Modes are interleaved in each round; ratios are taken within a round (same
 *    machine load) and their median is reported.  The programs' own run time
 *    comes from the kernel's BPF run-time statistics (bpf_enable_stats), in
 *    runs of their own after the rounds: the statistics' clock reads would
 *    otherwise be part of every rate.
 *
 * Usage: bench_dataplane [--quick] [--json FILE]    (root)
 * Profiling aids: BENCH_NO_CLASSIFIER=1 skips part 1, BENCH_NO_FORWARDING=1 part 2,
 * BENCH_ROUNDS=N runs fewer rounds, BENCH_MODE=NAME runs one mode,
 * BENCH_CPUS=GEN,SWITCH picks the pipelined method's CPUs (default 0,1).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../tests/unit/bpf_frames.h"
#include "dataplane.h"
#include "tsn/config.h"
#include "tsn/log.h"
#include "bench_progs.h"

static bool quick;
static int cpu_gen = 0, cpu_sw = 1;	/* CPUs of the pipelined method */
static char ns_t[32], ns_l[32];
static int host_ns = -1, sw_ns = -1, t_ns = -1, l_ns = -1;
static FILE *json;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc)
		fprintf(stderr, "bench: command failed (%d): %s\n", rc, cmd);
	return rc;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- tiny programs ---- */

static int prog_return(enum bpf_prog_type type, const char *name, int value)
{
	struct bpf_insn insns[2];

	memset(insns, 0, sizeof(insns));
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
	insns[0].dst_reg = BPF_REG_0;
	insns[0].imm = value;
	insns[1].code = BPF_JMP | BPF_EXIT;
	return bpf_prog_load(type, name, "GPL", insns, 2, NULL);
}

/* The bytes at off..off+len of a frame as the immediate of a store of that size
 * (BPF runs in the host's byte order). */
static int32_t imm_of(const uint8_t *p, size_t len)
{
	uint32_t v32 = 0;
	uint16_t v16 = 0;

	if (len == 4) {
		memcpy(&v32, p, 4);
		return (int32_t)v32;
	}
	memcpy(&v16, p, 2);
	return v16;
}

/* Restore the MACs and the hop limit (the switch rewrote them in this very page
 * on the frame's last lap: live frames recycle their pages without copying the
 * data again), then return bpf_redirect(ifindex, 0). */
static int prog_generator(int ifindex, const uint8_t *frame, size_t l3)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_1,
		  .off = offsetof(struct xdp_md, data) },
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_3, .src_reg = BPF_REG_1,
		  .off = offsetof(struct xdp_md, data_end) },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_4, .src_reg = BPF_REG_2 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_4, .imm = (int32_t)l3 + 8 },
		{ .code = BPF_JMP | BPF_JGT | BPF_X, .dst_reg = BPF_REG_4, .src_reg = BPF_REG_3, .off = 9 },
		{ .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2, .off = 0, .imm = imm_of(frame, 4) },
		{ .code = BPF_ST | BPF_MEM | BPF_H, .dst_reg = BPF_REG_2, .off = 4, .imm = imm_of(frame + 4, 2) },
		{ .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2, .off = 6, .imm = imm_of(frame + 6, 4) },
		{ .code = BPF_ST | BPF_MEM | BPF_H, .dst_reg = BPF_REG_2, .off = 10, .imm = imm_of(frame + 10, 2) },
		{ .code = BPF_ST | BPF_MEM | BPF_B, .dst_reg = BPF_REG_2, .off = (int16_t)(l3 + 7),
		  .imm = frame[l3 + 7] },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = ifindex },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect },
		{ .code = BPF_JMP | BPF_EXIT },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_DROP },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_gen", "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), NULL);
}

/* return bpf_redirect(ifindex, 0): the floor, a switch port that forwards
 * without looking. */
static int prog_redirect(int ifindex)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = ifindex },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_fwd_floor", "GPL", insns, 4, NULL);
}

/* ---- configurations ---- */

/* n ipv6 streams on (dst 2001:db8:a::/112 + i, UDP, dport 5000); ports as given. */
static struct tsn_config *make_config(size_t n_streams, const char *p1, int x1, const char *p2,
				      int x2, bool gate_p2)
{
	struct tsn_config *cfg = tsn_config_defaults();

	cfg->dataplane.pin_dir[0] = '\0';
	cfg->ports = calloc(2, sizeof(*cfg->ports));
	cfg->n_ports = 0;
	if (p1) {
		snprintf(cfg->ports[cfg->n_ports].name, IFNAMSIZ, "%s", p1);
		cfg->ports[cfg->n_ports++].xdp = x1;
	}
	if (p2) {
		struct tsn_cfg_port *p = &cfg->ports[cfg->n_ports++];

		snprintf(p->name, IFNAMSIZ, "%s", p2);
		p->xdp = x2;
		if (gate_p2) {
			/* Two classes, all priorities in class 0, class 0 closed in the
			 * second entry: every forwarded frame is of a gated class. */
			p->has_schedule = true;
			p->schedule.num_tc = 2;
			p->schedule.n_map = 16;
			p->schedule.entries = calloc(2, sizeof(*p->schedule.entries));
			p->schedule.n_entries = 2;
			p->schedule.entries[0].gates = 3;
			p->schedule.entries[0].interval_ns = 500000;
			p->schedule.entries[1].gates = 2;
			p->schedule.entries[1].interval_ns = 500000;
		}
	}
	cfg->streams = calloc(n_streams ? n_streams : 1, sizeof(*cfg->streams));
	cfg->n_streams = n_streams;
	for (size_t i = 0; i < n_streams; i++) {
		struct tsn_cfg_stream *s = &cfg->streams[i];

		s->id = (uint32_t)i + 1;
		s->identification = TSN_IDENT_IPV6;
		s->has_dst = s->has_next_header = s->has_dst_port = true;
		inet_pton(AF_INET6, "2001:db8:a::", &s->dst);
		s->dst.s6_addr[12] = (uint8_t)(i >> 24);
		s->dst.s6_addr[13] = (uint8_t)(i >> 16);
		s->dst.s6_addr[14] = (uint8_t)(i >> 8);
		s->dst.s6_addr[15] = (uint8_t)i;
		s->next_header = 17;
		s->dst_port = 5000;
		s->priority = (uint32_t)(i % 8);
	}
	return cfg;
}

/* ---- 1. classifier ---- */

static double run_ns(int prog, int ifindex, const struct fb *f, unsigned repeat)
{
	uint8_t out[FB_MAX + 64];
	struct xdp_md ctx = { .data_end = (__u32)f->len, .ingress_ifindex = (__u32)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = (__u32)f->len,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog, &o) < 0)
		return -1;
	return (double)o.duration;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stream_frame(struct fb *f, size_t stream_index)
{
	char dst[64];

	snprintf(dst, sizeof(dst), "2001:db8:a::%zx:%zx", (stream_index >> 16) & 0xffff,
		 stream_index & 0xffff);
	/* Not to the port's MAC: the classifier runs, the fast path does not. */
	fb_eth(f, fb_mac_b, fb_mac_a);
	fb_ipv6(f, "2001:db8:1::2", dst, 64, 0);
	fb_udp(f, 4000, 5000, 18);
	fb_done(f);
}

static int bench_classifier(void)
{
	static const size_t sizes[] = { 1, 64, 1024, 65536 };
	unsigned repeat = quick ? 20000 : 200000;
	int floor_prog = prog_return(BPF_PROG_TYPE_XDP, "xdp_pass_floor", XDP_PASS);
	int ifindex = (int)if_nametoindex("bc0");
	double base_total = 0;
	char err[512];
	struct dataplane *dp = dataplane_create(NULL, err, sizeof(err));

	if (!dp || floor_prog < 0) {
		fprintf(stderr, "bench: cannot load: %s\n", dp ? "floor program" : err);
		return -1;
	}
	printf("\n== classifier (BPF_PROG_RUN, %u runs per frame, 64 frames + 1 miss)\n", repeat);
	printf("%8s  %10s  %10s  %10s  %10s  %8s  %9s\n", "streams", "floor ns", "hit ns", "miss ns",
	       "hit-floor", "vs 1", "apply ms");
	if (json)
		fprintf(json, "  \"classifier\": [");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct tsn_config *cfg = make_config(sizes[s], "bc0", TSN_XDP_GENERIC, NULL, 0, false);
		double t_floor = 0, t_hit = 0, t_miss, t_apply = now_s();
		struct fb f;
		int frames = 64;

		if (dataplane_apply(dp, cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench: apply %zu streams: %s\n", sizes[s], err);
			tsn_config_free(cfg);
			return -1;
		}
		t_apply = now_s() - t_apply;
		for (int k = 0; k < frames; k++) {
			/* Spread over the streams (all the same one when there is one). */
			stream_frame(&f, (size_t)k * sizes[s] / (size_t)frames);
			t_floor += run_ns(floor_prog, ifindex, &f, repeat);
			t_hit += run_ns(dataplane_xdp_fd(dp), ifindex, &f, repeat);
		}
		t_floor /= frames;
		t_hit /= frames;
		stream_frame(&f, sizes[s] + 7);	/* no such stream: every mask tried */
		t_miss = run_ns(dataplane_xdp_fd(dp), ifindex, &f, repeat);
		if (s == 0)
			base_total = t_hit;
		printf("%8zu  %10.1f  %10.1f  %10.1f  %10.1f  %7.2fx  %9.1f\n", sizes[s], t_floor,
		       t_hit, t_miss, t_hit - t_floor, t_hit / base_total, t_apply * 1e3);
		if (json)
			fprintf(json, "%s\n    {\"streams\":%zu,\"floor_ns\":%.1f,\"hit_ns\":%.1f,"
				"\"miss_ns\":%.1f,\"ratio_to_1\":%.3f,\"apply_ms\":%.1f}", s ? "," : "",
				sizes[s], t_floor, t_hit, t_miss, t_hit / base_total, t_apply * 1e3);
		tsn_config_free(cfg);
	}
	if (json)
		fprintf(json, "\n  ],\n");
	dataplane_destroy(dp, false);
	close(floor_prog);
	return 0;
}

/* ---- 2. forwarding ---- */

static int enter(int ns_fd)
{
	if (setns(ns_fd, CLONE_NEWNET) < 0) {
		perror("setns");
		return -1;
	}
	return 0;
}

struct fwd_env {
	int gen_prog;		/* in the talker's namespace */
	int sink_prog, sink_map;	/* in the listener's */
	int count_map;		/* the one generate() reads */
	int t_ifindex, l_ifindex;
	struct fb frame;
};

static uint64_t sink_count(const struct fwd_env *e)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *v = calloc((size_t)ncpus, sizeof(*v)), sum = 0;
	uint32_t zero = 0;

	if (v && bpf_map_lookup_elem(e->count_map, &zero, v) == 0)
		for (int c = 0; c < ncpus; c++)
			sum += v[c];
	free(v);
	return sum;
}

/* Send n frames from the talker; frames per second delivered to the sink. */
static double generate(const struct fwd_env *e, unsigned n, double *delivered_share)
{
	struct xdp_md ctx = { .data_end = (__u32)e->frame.len, .ingress_ifindex = (__u32)e->t_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = e->frame.b, .data_size_in = (__u32)e->frame.len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = n,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);
	uint64_t before = sink_count(e), last = before, cur;
	double t0, t1;
	int rc;

	if (enter(t_ns) < 0)
		return -1;
	t0 = now_s();
	rc = bpf_prog_test_run_opts(e->gen_prog, &o);
	t1 = now_s();
	enter(sw_ns);
	if (rc < 0) {
		fprintf(stderr, "bench: live frames: %s\n", strerror(-rc));
		return -1;
	}
	/* Stragglers still in a ring when the call returned. */
	for (int i = 0; i < 50; i++) {
		usleep(2000);
		cur = sink_count(e);
		if (cur == last)
			break;
		last = cur;
		t1 = now_s() - 0.002;
	}
	*delivered_share = (double)(last - before) / n;
	return (double)(last - before) / (t1 - t0);
}

static int bench_mode(struct fwd_env *e, const char *mode, int *sw_prog_out, struct dataplane **dp_out)
{
	char err[512];
	struct tsn_config *cfg;
	bool gated;

	*sw_prog_out = -1;
	*dp_out = NULL;
	e->count_map = e->sink_map;
	if (strcmp(mode, "floor") == 0 || strcmp(mode, "kernel") == 0) {
		int p = strcmp(mode, "floor") == 0 ? prog_redirect((int)if_nametoindex("sw0p2")) :
			prog_return(BPF_PROG_TYPE_XDP, "bench_pass", XDP_PASS);

		if (p < 0 || bpf_xdp_attach((int)if_nametoindex("sw0p1"), p, XDP_FLAGS_DRV_MODE, NULL) < 0) {
			fprintf(stderr, "bench: cannot attach the %s program to sw0p1\n", mode);
			return -1;
		}
		*sw_prog_out = p;
		return 0;
	}
	gated = strcmp(mode, "tc") == 0 || strcmp(mode, "tcx") == 0;
	cfg = make_config(0, "sw0p1", TSN_XDP_NATIVE, "sw0p2", TSN_XDP_NATIVE, gated);
	/* The gated path on each hook, side by side: "tc" is clsact + cls_bpf (all a
	 * 6.1 kernel has), "tcx" the tcx list (6.6+). */
	setenv("TSND_TC_HOOK", strcmp(mode, "tcx") == 0 ? "tcx" : "clsact", 1);
	*dp_out = dataplane_create(NULL, err, sizeof(err));
	unsetenv("TSND_TC_HOOK");
	if (!*dp_out || dataplane_apply(*dp_out, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: data plane: %s\n", err);
		tsn_config_free(cfg);
		return -1;
	}
	tsn_config_free(cfg);
	/* The bench changes no route while it runs: nothing to invalidate. */
	dataplane_fib_watched(*dp_out, strcmp(mode, "cached") == 0 || gated);
	return 0;
}

/* ---- the two methods ---- */

static int pin_self(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one);
}

/* Threaded NAPI on the switch's ingress port (in a mount namespace of its own so
 * that sysfs shows the switch's network namespace). */
static int set_threaded_dev(const char *dev, bool on)
{
	return sh("unshare -m sh -c 'mount -t sysfs none /sys && echo %d > "
		  "/sys/class/net/%s/threaded'", on ? 1 : 0, dev);
}

static int set_threaded(bool on)
{
	return set_threaded_dev("sw0p1", on);
}

/* The port's NAPI kthreads ("napi/sw0p1-<id>", a new one whenever XDP is
 * attached): their pids, at most max. */
static int napi_threads_named(const char *prefix, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) && n < max) {
		char path[300], comm[64] = "";
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && strncmp(comm, prefix, strlen(prefix)) == 0)
			pids[n++] = (pid_t)atoi(de->d_name);
		fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

static int napi_threads(pid_t *pids, int max)
{
	return napi_threads_named("napi/sw0p1-", pids, max);
}

/* To cpu_sw; 0, or -1 if there is no such thread. */
static int pin_napi(void)
{
	pid_t pids[4];
	int n = napi_threads(pids, 4);
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu_sw, &one);
	for (int i = 0; i < n; i++)
		if (sched_setaffinity(pids[i], sizeof(one), &one) < 0)
			return -1;
	return n ? 0 : -1;
}

/* CPU time the port's NAPI kthreads have had, in ns (/proc/PID/schedstat).  Without
 * IRQ time accounting this includes the softirqs that run at the end of their
 * polls (the sink's); the floor mode has the same. */
static double napi_cpu_ns(void)
{
	pid_t pids[4];
	int n = napi_threads(pids, 4);
	double sum = 0;

	for (int i = 0; i < n; i++) {
		char path[64];
		unsigned long long ns = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pids[i]);
		f = fopen(path, "r");
		if (f && fscanf(f, "%llu", &ns) == 1)
			sum += (double)ns;
		if (f)
			fclose(f);
	}
	return sum;
}

static void bench_mode_end(int sw_prog, struct dataplane *dp)
{
	if (sw_prog >= 0) {
		bpf_xdp_detach((int)if_nametoindex("sw0p1"), XDP_FLAGS_DRV_MODE, NULL);
		close(sw_prog);
	}
	dataplane_destroy(dp, false);
}

#define MAX_ROUNDS 7

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Mean run time of a program since it was loaded (with bpf_enable_stats on). */
static double prog_mean_ns(int fd)
{
	struct bpf_prog_info pi;
	__u32 len = sizeof(pi);

	memset(&pi, 0, sizeof(pi));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &pi, &len) < 0 || !pi.run_cnt)
		return 0;
	return (double)pi.run_time_ns / (double)pi.run_cnt;
}

static uint64_t fwd_reason(struct dataplane *dp, const char *reason)
{
	json_object *o = dataplane_port_json(dp, "sw0p1");
	json_object *f = NULL, *v = NULL;
	uint64_t n = 0;

	if (o && json_object_object_get_ex(o, "forwarding", &f) && json_object_object_get_ex(f, reason, &v))
		n = (uint64_t)json_object_get_int64(v);
	json_object_put(o);
	return n;
}

#define N_MODES 6
#define M_TCX 5
#define N_METHODS 2

static int bench_forwarding(void)
{
	static const char *const modes[N_MODES] = { "floor", "kernel", "redirect", "cached", "tc", "tcx" };
	bool tcx = dataplane_kernel_has_tcx();	/* without it the tcx mode is left out */
	static const char *const methods[N_METHODS] = { "one CPU", "pipelined" };
	unsigned n = quick ? 200000 : 1000000;
	int rounds = quick ? 1 : MAX_ROUNDS;

	if (getenv("BENCH_ROUNDS") && atoi(getenv("BENCH_ROUNDS")) > 0)
		rounds = atoi(getenv("BENCH_ROUNDS")) < MAX_ROUNDS ? atoi(getenv("BENCH_ROUNDS")) : MAX_ROUNDS;
	double pps[N_METHODS][MAX_ROUNDS][N_MODES] = { { { 0 } } };
	double delivered[N_METHODS][N_MODES] = { { 0 } }, med[N_METHODS][N_MODES] = { { 0 } };
	double prog_ns[N_MODES][2] = { { 0 } };
	double sw_cpu[MAX_ROUNDS][N_MODES] = { { 0 } };	/* pipelined: switch CPU ns per frame */
	bool pipelined_ok = libbpf_num_possible_cpus() > 1 && cpu_sw != cpu_gen;
	int stats_fd;
	struct fwd_env e;
	int rc = -1;

	memset(&e, 0, sizeof(e));
	e.gen_prog = e.sink_prog = e.sink_map = -1;
	/* The sink, natively on the listener's eth0. */
	if (enter(l_ns) < 0)
		return -1;
	e.l_ifindex = (int)if_nametoindex("eth0");
	e.sink_map = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "bench_count", 4, 8, 1, NULL);
	e.sink_prog = e.sink_map >= 0 ? bench_prog_sink(e.sink_map) : -1;
	if (e.sink_prog < 0 || bpf_xdp_attach(e.l_ifindex, e.sink_prog, XDP_FLAGS_DRV_MODE, NULL) < 0) {
		fprintf(stderr, "bench: cannot attach the sink\n");
		goto out;
	}
	{
		static const uint8_t sw_mac[6] = { 0x02, 0, 0, 0, 0x51, 0x01 };
		static const uint8_t t_mac[6] = { 0x02, 0, 0, 0, 0x71, 0x01 };

		fb_eth(&e.frame, sw_mac, t_mac);
		fb_ipv6(&e.frame, "2001:db8:1::2", "2001:db8:2::2", 64, 0);
		fb_udp(&e.frame, 4000, 9, 18);
		fb_done(&e.frame);
	}
	/* The generator, sending out of the talker's eth0 towards sw0p1. */
	if (enter(t_ns) < 0)
		goto out;
	e.t_ifindex = (int)if_nametoindex("eth0");
	e.gen_prog = prog_generator(e.t_ifindex, e.frame.b, e.frame.l3);
	enter(sw_ns);
	if (e.gen_prog < 0) {
		fprintf(stderr, "bench: cannot load the generator: %s\n", strerror(-e.gen_prog));
		goto out;
	}

	printf("\n== forwarding (live frames: %u x %zu-byte IPv6 UDP per run, %d rounds, modes and "
	       "methods interleaved; pipelined: generator on CPU %d, switch NAPI on CPU %d%s)\n", n,
	       e.frame.len, rounds, cpu_gen, cpu_sw, pipelined_ok ? "" : " - UNAVAILABLE");
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < N_METHODS; k++) {
			if (k == 1 && !pipelined_ok)
				continue;
			pin_self(k == 1 ? cpu_gen : cpu_sw);
			for (size_t m = 0; m < N_MODES; m++) {
				int sw_prog;
				struct dataplane *dp;
				double share, cpu0;

				if (getenv("BENCH_MODE") && strcmp(getenv("BENCH_MODE"), modes[m]) != 0)
					continue;	/* profiling one mode (undocumented) */
				if (m == M_TCX && !tcx)
					continue;
				if (bench_mode(&e, modes[m], &sw_prog, &dp) < 0)
					goto out;
				/* The port's NAPI exists once XDP is attached to it. */
				if (k == 1 && (set_threaded(true) != 0 || pin_napi() != 0)) {
					fprintf(stderr, "bench: no threaded NAPI on sw0p1: the pipelined "
						"method is left out\n");
					pipelined_ok = false;
					bench_mode_end(sw_prog, dp);
					break;
				}
				if (k == 0 && pipelined_ok)
					set_threaded(false);
				generate(&e, 1000, &share);	/* warm up: neighbours, caches */
				cpu0 = k == 1 ? napi_cpu_ns() : 0;
				pps[k][r][m] = generate(&e, n, &share);
				delivered[k][m] = share;
				/* The switch CPU's time per frame that arrived. */
				if (k == 1 && share > 0)
					sw_cpu[r][m] = (napi_cpu_ns() - cpu0) / (share * n);
				/* Most of what arrived took the mode's path (the pipelined method
				 * loses frames at the switch's ingress ring, before XDP). */
				if (dp && m >= 4 && fwd_reason(dp, "to_qdisc") < share * n / 2)
					fprintf(stderr, "bench: %s mode did not use the tc path\n", modes[m]);
				if (dp && (strcmp(modes[m], "redirect") == 0 || strcmp(modes[m], "cached") == 0) &&
				    fwd_reason(dp, "redirect") < share * n / 2)
					fprintf(stderr, "bench: %s mode did not use XDP_REDIRECT\n", modes[m]);
				bench_mode_end(sw_prog, dp);
			}
		}
	/* The programs' own run time, in runs of their own: with the kernel's run-time
	 * statistics on, every BPF program run (generator, switch, tc, sink) pays two
	 * sched_clock() reads, which in a VM can cost more than the program.  The
	 * rates above are measured with them off: on, the tc mode (two programs in the
	 * switch) would pay one more than the kernel mode (one). */
	pin_self(cpu_sw);
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	for (size_t m = 2; m < N_MODES && stats_fd >= 0; m++) {
		int sw_prog;
		struct dataplane *dp;
		double share;

		if (getenv("BENCH_MODE") && strcmp(getenv("BENCH_MODE"), modes[m]) != 0)
			continue;
		if (m == M_TCX && !tcx)
			continue;
		if (bench_mode(&e, modes[m], &sw_prog, &dp) < 0)
			goto out;
		generate(&e, 1000, &share);
		generate(&e, n / 4, &share);
		prog_ns[m][0] = prog_mean_ns(dataplane_xdp_fd(dp));
		prog_ns[m][1] = prog_mean_ns(dataplane_tc_fd(dp));
		bench_mode_end(sw_prog, dp);
	}
	if (stats_fd >= 0)
		close(stats_fd);

	for (int k = 0; k < N_METHODS; k++) {
		if (k == 1 && !pipelined_ok)
			continue;
		printf("\n%s\n%-9s  %10s  %10s  %10s  %12s  %9s  %s\n", methods[k], "mode", "best Mpps",
		       "median", "ns/frame", "above floor", "delivered", "switch path");
		for (size_t m = 0; m < N_MODES; m++) {
			double col[MAX_ROUNDS], best = 0;

			if (m == M_TCX && !tcx) {
				printf("%-9s  (no tcx in this kernel)\n", modes[m]);
				continue;
			}
			for (int r = 0; r < rounds; r++) {
				col[r] = pps[k][r][m];
				if (pps[k][r][m] > best)
					best = pps[k][r][m];
			}
			med[k][m] = median(col, rounds);
			printf("%-9s  %10.3f  %10.3f  %10.1f  %12.1f  %8.1f%%  %s\n", modes[m], best / 1e6,
			       med[k][m] / 1e6, 1e9 / med[k][m], 1e9 / med[k][m] - 1e9 / med[k][0],
			       delivered[k][m] * 100,
			       m == 0 ? "XDP_REDIRECT without a look at the frame (the floor)" :
			       m == 1 ? "kernel IPv6 forwarding" :
			       m == 2 ? "tsnd XDP fast path, XDP_REDIRECT, FIB cache off" :
			       m == 3 ? "tsnd XDP fast path, XDP_REDIRECT, FIB cache on" :
			       m == 4 ? "tsnd XDP -> tc (clsact, cls_bpf) -> dev_queue_xmit (gated class, cache on)" :
			       "tsnd XDP -> tc (tcx) -> dev_queue_xmit (gated class, cache on)");
		}
	}
	if (pipelined_ok) {
		double col[MAX_ROUNDS], ns[N_MODES], rk[MAX_ROUNDS], rc_[MAX_ROUNDS];
		double tk[MAX_ROUNDS], tc_[MAX_ROUNDS];

		printf("\npipelined, CPU time of the switch's NAPI thread per frame delivered "
		       "(schedstat; with the sink's softirq, as in the floor)\n%-9s  %10s  %12s  %14s\n",
		       "mode", "ns/frame", "above floor", "Mpps if alone");
		for (size_t m = 0; m < N_MODES; m++) {
			for (int r = 0; r < rounds; r++)
				col[r] = sw_cpu[r][m];
			ns[m] = median(col, rounds);
			printf("%-9s  %10.1f  %12.1f  %14.3f\n", modes[m], ns[m], ns[m] - ns[0],
			       ns[m] > 0 ? 1e3 / ns[m] : 0);
		}
		/* Ratios of CPU time, i.e. of the rates each would reach on a CPU of its own. */
		for (int r = 0; r < rounds; r++) {
			tk[r] = sw_cpu[r][1] / sw_cpu[r][2];
			tc_[r] = sw_cpu[r][1] / sw_cpu[r][3];
			rk[r] = (sw_cpu[r][1] - sw_cpu[r][0]) / (sw_cpu[r][2] - sw_cpu[r][0]);
			rc_[r] = (sw_cpu[r][1] - sw_cpu[r][0]) / (sw_cpu[r][3] - sw_cpu[r][0]);
		}
		memcpy(col, tc_, sizeof(col));
		printf("per-round medians: the kernel's switch CPU time per frame is %.2fx redirect's and "
		       "%.2fx cached's; above the floor %.2fx and %.2fx\n", median(tk, rounds),
		       median(tc_, rounds), median(rk, rounds), median(rc_, rounds));
		if (json)
			fprintf(json, "  \"switch_cpu_ns\": {\"floor\":%.1f,\"kernel\":%.1f,"
				"\"redirect\":%.1f,\"cached\":%.1f,\"tc\":%.1f,\"tcx\":%.1f,"
				"\"kernel_vs_redirect_above_floor\":%.3f,"
				"\"kernel_vs_cached_above_floor\":%.3f,\"kernel_vs_cached\":%.3f},\n",
				ns[0], ns[1], ns[2], ns[3], ns[4], ns[M_TCX], median(rk, rounds),
				median(rc_, rounds), median(col, rounds));
	}
	if (json)
		fprintf(json, "  \"forwarding\": {\"frames\":%u,\"frame_bytes\":%zu,\"rounds\":%d,"
			"\"xdp_prog_ns\":{\"redirect\":%.1f,\"cached\":%.1f,\"tc\":%.1f,\"tcx\":%.1f},"
			"\"tc_prog_ns\":%.1f,\"tcx_prog_ns\":%.1f,\"methods\":[", n, e.frame.len, rounds,
			prog_ns[2][0], prog_ns[3][0], prog_ns[4][0], prog_ns[M_TCX][0], prog_ns[4][1],
			prog_ns[M_TCX][1]);
	for (int k = 0; k < N_METHODS; k++) {
		double rk[MAX_ROUNDS], rc_[MAX_ROUNDS], rt[MAX_ROUNDS], nk[MAX_ROUNDS], nc[MAX_ROUNDS];
		double nt[MAX_ROUNDS], rx[MAX_ROUNDS], nx[MAX_ROUNDS], ntx[MAX_ROUNDS];
		double x_red, x_cache, x_tc, n_red, n_cache, n_tc, x_tcx = 0, n_tcx = 0, n_tcx_tc = 0;

		if (k == 1 && !pipelined_ok)
			continue;
		/* Ratios within a round (back to back, same load), then the median. */
		for (int r = 0; r < rounds; r++) {
			const double *p = pps[k][r];
			double fl = 1e9 / p[0];

			rk[r] = p[2] / p[1];
			rc_[r] = p[3] / p[1];
			rt[r] = p[4] / p[1];
			nk[r] = (1e9 / p[1] - fl) / (1e9 / p[2] - fl);
			nc[r] = (1e9 / p[1] - fl) / (1e9 / p[3] - fl);
			/* The gated path's share above the floor over the kernel's. */
			nt[r] = (1e9 / p[4] - fl) / (1e9 / p[1] - fl);
			if (tcx) {
				rx[r] = p[M_TCX] / p[1];
				nx[r] = (1e9 / p[M_TCX] - fl) / (1e9 / p[1] - fl);
				ntx[r] = (1e9 / p[M_TCX] - fl) / (1e9 / p[4] - fl);
			}
		}
		if (tcx) {
			x_tcx = median(rx, rounds);
			n_tcx = median(nx, rounds);
			n_tcx_tc = median(ntx, rounds);
		}
		x_red = median(rk, rounds);
		x_cache = median(rc_, rounds);
		x_tc = median(rt, rounds);
		n_red = median(nk, rounds);
		n_cache = median(nc, rounds);
		n_tc = median(nt, rounds);
		printf("\n%s, per-round medians: rate vs kernel: redirect %.2fx, cached %.2fx, tc %.2fx; "
		       "above the floor the kernel costs %.2fx what redirect does, %.2fx what cached "
		       "does; tc costs %.2fx what the kernel does\n", methods[k], x_red, x_cache, x_tc,
		       n_red, n_cache, n_tc);
		if (tcx)
			printf("%s, per-round medians, the gated path on tcx: rate vs kernel %.2fx; above "
			       "the floor tcx costs %.2fx what the kernel does and %.2fx what clsact "
			       "does\n", methods[k], x_tcx, n_tcx, n_tcx_tc);
		if (json)
			fprintf(json, "%s\n    {\"method\":\"%s\",\"floor_pps\":%.0f,\"kernel_pps\":%.0f,"
				"\"redirect_pps\":%.0f,\"cached_pps\":%.0f,\"tc_pps\":%.0f,"
				"\"redirect_vs_kernel\":%.3f,\"cached_vs_kernel\":%.3f,"
				"\"tc_vs_kernel\":%.3f,\"kernel_vs_redirect_above_floor\":%.3f,"
				"\"kernel_vs_cached_above_floor\":%.3f,\"tc_vs_kernel_above_floor\":%.3f,"
				"\"tcx_pps\":%.0f,\"tcx_vs_kernel\":%.3f,\"tcx_vs_kernel_above_floor\":%.3f,"
				"\"tcx_vs_tc_above_floor\":%.3f,"
				"\"delivered\":{\"kernel\":%.3f,"
				"\"redirect\":%.3f,\"cached\":%.3f}}", k ? "," : "", k ? "pipelined" : "one-cpu",
				med[k][0], med[k][1], med[k][2], med[k][3], med[k][4], x_red, x_cache, x_tc,
				n_red, n_cache, n_tc, med[k][M_TCX], x_tcx, n_tcx, n_tcx_tc, delivered[k][1],
				delivered[k][2], delivered[k][3]);
	}
	if (json)
		fprintf(json, "\n  ]},\n");
	printf("tsn_xdp run time (kernel bpf_stats, per frame, one CPU): %.0f ns redirecting, %.0f ns "
	       "with the FIB cache, %.0f ns to tc; tsn_tc_ingress %.0f ns (clsact), %.0f ns (tcx)\n",
	       prog_ns[2][0], prog_ns[3][0], prog_ns[4][0], prog_ns[4][1], prog_ns[M_TCX][1]);
	rc = 0;
out:
	if (enter(l_ns) == 0 && e.l_ifindex)
		bpf_xdp_detach(e.l_ifindex, XDP_FLAGS_DRV_MODE, NULL);
	enter(sw_ns);
	if (e.gen_prog >= 0)
		close(e.gen_prog);
	if (e.sink_prog >= 0)
		close(e.sink_prog);
	if (e.sink_map >= 0)
		close(e.sink_map);
	return rc;
}

/* ---- set-up ---- */

static int setup(void)
{
	char path[64];

	host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (host_ns < 0 || unshare(CLONE_NEWNET) < 0) {
		perror("network namespace (root needed)");
		return -1;
	}
	sw_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(ns_t, sizeof(ns_t), "tsnb-%d-t", (int)getpid());
	snprintf(ns_l, sizeof(ns_l), "tsnb-%d-l", (int)getpid());
	if (sh("ip netns add %s && ip netns add %s", ns_t, ns_l) ||
	    sh("ip link add bc0 type veth peer name bc1 && ip link set bc0 up && ip link set bc1 up") ||
	    sh("ip link add sw0p1 address 02:00:00:00:51:01 type veth peer name eth0 address "
	       "02:00:00:00:71:01 netns %s", ns_t) ||
	    sh("ip link add sw0p2 address 02:00:00:00:51:02 type veth peer name eth0 address "
	       "02:00:00:00:72:01 netns %s", ns_l) ||
	    sh("sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.all.accept_dad=0 "
	       "net.ipv6.conf.default.accept_dad=0") ||
	    sh("ip link set sw0p1 up && ip link set sw0p2 up && "
	       "ip -6 addr add 2001:db8:1::1/64 dev sw0p1 nodad && "
	       "ip -6 addr add 2001:db8:2::1/64 dev sw0p2 nodad && "
	       "ip -6 neigh add 2001:db8:2::2 lladdr 02:00:00:00:72:01 dev sw0p2 nud permanent") ||
	    sh("ip -n %s link set eth0 up && ip -n %s link set eth0 up", ns_t, ns_l))
		return -1;
	snprintf(path, sizeof(path), "/run/netns/%s", ns_t);
	t_ns = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", ns_l);
	l_ns = open(path, O_RDONLY | O_CLOEXEC);
	return t_ns >= 0 && l_ns >= 0 ? 0 : -1;
}

static void teardown(void)
{
	if (sw_ns >= 0)
		enter(sw_ns);
	sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; true", ns_t, ns_l);
	if (host_ns >= 0)
		setns(host_ns, CLONE_NEWNET);
}

int main(int argc, char **argv)
{
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			quick = true;
		} else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
			json = fopen(argv[++i], "w");
		} else {
			fprintf(stderr, "usage: bench_dataplane [--quick] [--json FILE]\n");
			return 2;
		}
	}
	tsn_log_setup("bench_dataplane", TSN_LOG_STDERR, TSN_LOG_ERR);
	{
		/* One CPU for everything: the generator's softirqs run where it runs.
		 * The pipelined method adds a second (the first two CPUs). */
		const char *cpus = getenv("BENCH_CPUS");	/* "GEN,SWITCH" */

		cpu_sw = libbpf_num_possible_cpus() > 1 ? 1 : 0;
		cpu_gen = 0;
		if (cpus && sscanf(cpus, "%d,%d", &cpu_gen, &cpu_sw) != 2)
			fprintf(stderr, "bench: BENCH_CPUS=GEN,SWITCH ignored\n");
		pin_self(cpu_sw);
	}
	if (json)
		fprintf(json, "{\n");
	rc = setup();
	{
		FILE *cpu = fopen("/proc/cpuinfo", "r");
		char line[256];

		while (cpu && fgets(line, sizeof(line), cpu))
			if (strncmp(line, "model name", 10) == 0) {
				printf("cpu: %s", strchr(line, ':') + 2);
				break;
			}
		if (cpu)
			fclose(cpu);
	}
	if (rc == 0 && !getenv("BENCH_NO_CLASSIFIER"))
		rc = bench_classifier();
	if (rc == 0 && !getenv("BENCH_NO_FORWARDING"))
		rc = bench_forwarding();
	teardown();
	if (json) {
		fprintf(json, "  \"ok\": %s\n}\n", rc == 0 ? "true" : "false");
		fclose(json);
	}
	return rc == 0 ? 0 : 1;
}
