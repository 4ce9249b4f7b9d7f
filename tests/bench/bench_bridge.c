/* SPDX-License-Identifier: GPL-2.0-only */
/* bench_bridge.c — the bridge's XDP fast path against the kernel's bridge, on this
 * host (`make bench`; figures in docs/benchmarks.md and docs/dataplane.md).
 *
 * A generator (an XDP program run with BPF_F_TEST_XDP_LIVE_FRAMES: each run
 * transmits one frame out of t0) sends 64-byte frames to a multicast group
 * (01:0c:cd:01:00:01, EtherType 0x88b8) into the switch port t1; the group's
 * static entry sends them on to e1 (1 port) or e1, e2, e3 (3 ports), whose peers
 * count and drop them in XDP.  All of it in a network namespace of its own, the
 * process pinned to one CPU: the softirqs of every hop run on that CPU when the
 * generator's batch ends, so the time per frame is generator + switch + sinks.
 * Modes, interleaved in each round (same load):
 *   floor   t1's XDP program broadcasts over a devmap of the egress ports
 *           without looking at the frame (generator, veth hops, sinks)
 *   kernel  the Linux bridge br0 (t1, e1..e3 its ports, multicast snooping on,
 *           the group a permanent MDB entry on the egress ports); t1 runs an
 *           XDP_PASS program only to give the veth NAPI
 *   xdp     tsnd's data plane on t1 and e1..e3 with the group as a static
 *           entry of the bridge section (VLAN-unaware, frames unchanged): tsn_xdp
 *           tail-calls tsn_br_xdp, which broadcasts over the entry's devmap;
 *           br0 is still there, as tsnd runs it (the slow path)
 * The switch's share of a frame is the mode's time per frame minus the floor's;
 * the ratio xdp / kernel of the shares is taken per round, the median reported.
 *
 * Usage: bench_bridge [--quick] [--json FILE]    (root)
 */
#include <errno.h>
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
#include "bridge_fast.h"
#include "dataplane.h"
#include "tsn/config.h"
#include "tsn/log.h"
#include "bench_progs.h"

#define ROUNDS 15
static const uint8_t group[6] = { 0x01, 0x0c, 0xcd, 0x01, 0x00, 0x01 };
static const uint8_t talker[6] = { 0x02, 0, 0, 0, 0x01, 0x10 };

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
	if (rc != 0)
		fprintf(stderr, "bench: failed (%d): %s\n", rc, cmd);
	return rc;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- tiny programs ---- */

static int prog_pass(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_pass", "GPL", insns, 2, NULL);
}

/* return bpf_redirect(ifindex, 0): the generator's way out of t0. */
static int prog_redirect(int ifindex)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = ifindex },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_gen", "GPL", insns, 4, NULL);
}

/* return bpf_redirect_map(map, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS): the floor. */
static int prog_broadcast(int map_fd)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD,
		  .imm = map_fd },
		{ 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3,
		  .imm = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_floor", "GPL", insns, 6, NULL);
}

/* ---- the environment ---- */

struct env {
	int gen_prog, sink_prog, sink_map, pass_prog;
	int t0, t1, e[4];		/* ifindexes; e[1..3] */
	struct fb frame;
};

static uint64_t sink_count(const struct env *v)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *c = calloc((size_t)ncpus, sizeof(*c)), sum = 0;
	uint32_t zero = 0;

	if (c && bpf_map_lookup_elem(v->sink_map, &zero, c) == 0)
		for (int i = 0; i < ncpus; i++)
			sum += c[i];
	free(c);
	return sum;
}

/* Send n frames; ns per frame sent, and the copies delivered per frame. */
static double generate(const struct env *v, unsigned n, double *copies)
{
	struct xdp_md ctx = { .data_end = (__u32)v->frame.len, .ingress_ifindex = (__u32)v->t0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = v->frame.b, .data_size_in = (__u32)v->frame.len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = n,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);
	uint64_t before = sink_count(v), last, cur;
	double t0, t1;

	t0 = now_s();
	if (bpf_prog_test_run_opts(v->gen_prog, &o) < 0) {
		fprintf(stderr, "bench: live frames: %s\n", strerror(errno));
		return -1;
	}
	t1 = now_s();
	last = sink_count(v);
	/* Stragglers still in a ring when the call returned. */
	for (int i = 0; i < 50; i++) {
		usleep(2000);
		cur = sink_count(v);
		if (cur == last)
			break;
		last = cur;
		t1 = now_s() - 0.002;
	}
	*copies = (double)(last - before) / n;
	return (t1 - t0) * 1e9 / n;
}

static struct tsn_cfg_bridge_port br_ports[4];
static struct tsn_cfg_bridge_fdb br_fdb;

static struct tsn_config *make_config(int n_egress)
{
	struct tsn_config *cfg = tsn_config_defaults();
	const char *names[] = { "t1", "e1", "e2", "e3" };

	if (!cfg)
		return NULL;
	cfg->dataplane.pin_dir[0] = '\0';
	cfg->ports = calloc(4, sizeof(*cfg->ports));
	if (!cfg->ports) {
		tsn_config_free(cfg);
		return NULL;
	}
	cfg->n_ports = 4;
	memset(&br_fdb, 0, sizeof(br_fdb));
	memcpy(br_fdb.mac.addr, group, 6);
	for (int i = 0; i < 4; i++) {
		snprintf(cfg->ports[i].name, sizeof(cfg->ports[i].name), "%s", names[i]);
		cfg->ports[i].xdp = TSN_XDP_NATIVE;
		memset(&br_ports[i], 0, sizeof(br_ports[i]));
		snprintf(br_ports[i].name, IFNAMSIZ, "%s", names[i]);
		for (int p = 0; p < 8; p++)
			br_ports[i].pcp_map[p] = (uint32_t)p;
		if (i >= 1 && i <= n_egress)
			snprintf(br_fdb.ports[br_fdb.n_ports++], IFNAMSIZ, "%s", names[i]);
	}
	cfg->bridge.enabled = true;
	snprintf(cfg->bridge.name, IFNAMSIZ, "br0");
	cfg->bridge.ports = br_ports;
	cfg->bridge.n_ports = 4;
	cfg->bridge.fdb = &br_fdb;
	cfg->bridge.n_fdb = 1;
	return cfg;
}

static void free_config(struct tsn_config *cfg)
{
	/* The bridge section's arrays are static here, not the parser's. */
	memset(&cfg->bridge, 0, sizeof(cfg->bridge));
	tsn_config_free(cfg);
}

enum { M_FLOOR, M_KERNEL, M_XDP, N_MODES };
static const char *const mode_names[N_MODES] = { "floor", "kernel", "xdp" };

/* Everything for n_egress ports, set up once per size: tsnd's data plane applied
 * (its programs on t1 and e1..e3), the kernel's MDB entry, the floor's devmap.
 * A mode is then one program swap on t1 (mode_attach), so that the modes of a
 * round run close together in time. */
struct setup {
	struct dataplane *dp;
	int floor_map, floor_prog;
};

static int size_begin(struct env *v, int n_egress, struct setup *st)
{
	struct tsn_config *cfg = make_config(n_egress);
	char err[512];
	int rc;

	st->floor_prog = -1;
	st->floor_map = -1;
	if (!cfg)
		return -1;
	rc = dataplane_apply(st->dp, cfg, err, sizeof(err));
	free_config(cfg);
	if (rc < 0) {
		fprintf(stderr, "bench: data plane: %s\n", err);
		return -1;
	}
	/* The kernel's bridge forwards the group to exactly the entry's ports. */
	sh("for i in 1 2 3; do bridge mdb del dev br0 port e$i grp 01:0c:cd:01:00:01 2>/dev/null; done; true");
	for (int i = 1; i <= n_egress; i++)
		if (sh("bridge mdb add dev br0 port e%d grp 01:0c:cd:01:00:01 permanent", i) != 0)
			return -1;
	st->floor_map = bpf_map_create(BPF_MAP_TYPE_DEVMAP_HASH, "bench_floor", 4, 4, 8, NULL);
	for (int i = 1; i <= n_egress && st->floor_map >= 0; i++) {
		__u32 k = (__u32)v->e[i], val = (__u32)v->e[i];

		if (bpf_map_update_elem(st->floor_map, &k, &val, BPF_ANY) < 0)
			return -1;
	}
	st->floor_prog = st->floor_map >= 0 ? prog_broadcast(st->floor_map) : -1;
	return st->floor_prog < 0 ? -1 : 0;
}

static void size_end(struct env *v, struct setup *st)
{
	/* tsnd's program back on t1, so that the data plane finds its own there. */
	bpf_xdp_attach(v->t1, dataplane_xdp_fd(st->dp), XDP_FLAGS_DRV_MODE, NULL);
	if (st->floor_prog >= 0)
		close(st->floor_prog);
	if (st->floor_map >= 0)
		close(st->floor_map);
}

static int mode_attach(struct env *v, struct setup *st, int mode)
{
	int prog = mode == M_FLOOR ? st->floor_prog : mode == M_KERNEL ? v->pass_prog : dataplane_xdp_fd(st->dp);

	/* The kernel mode: XDP_PASS only gives the veth its NAPI, as GRO would. */
	return bpf_xdp_attach(v->t1, prog, XDP_FLAGS_DRV_MODE, NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int setup(struct env *v)
{
	if (unshare(CLONE_NEWNET) < 0) {
		perror("bench: unshare (root needed)");
		return -1;
	}
	if (sh("ip link set lo up && "
	       "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 && "
	       "ip link add br0 type bridge mcast_snooping 1 mcast_querier 0 && "
	       "ip link add t0 type veth peer name t1 && "
	       "for i in 1 2 3; do ip link add e$i type veth peer name e${i}p || exit 1; done && "
	       "for d in t1 e1 e2 e3; do ip link set $d master br0 || exit 1; done && "
	       "for d in br0 t0 t1 e1 e2 e3 e1p e2p e3p; do ip link set $d up || exit 1; done"))
		return -1;
	v->t0 = (int)if_nametoindex("t0");
	v->t1 = (int)if_nametoindex("t1");
	for (int i = 1; i <= 3; i++) {
		char name[8];

		snprintf(name, sizeof(name), "e%d", i);
		v->e[i] = (int)if_nametoindex(name);
	}
	v->sink_map = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "bench_sink", 4, 8, 1, NULL);
	v->sink_prog = v->sink_map >= 0 ? bench_prog_sink(v->sink_map) : -1;
	v->gen_prog = prog_redirect(v->t0);
	v->pass_prog = prog_pass();
	if (v->sink_prog < 0 || v->gen_prog < 0 || v->pass_prog < 0) {
		fprintf(stderr, "bench: cannot load the helper programs: %s\n", strerror(errno));
		return -1;
	}
	/* The sinks, and t0's NAPI (it receives nothing, but veth wants it on both
	 * ends for frames sent with XDP). */
	for (int i = 1; i <= 3; i++) {
		char name[8];

		snprintf(name, sizeof(name), "e%dp", i);
		if (bpf_xdp_attach((int)if_nametoindex(name), v->sink_prog, XDP_FLAGS_DRV_MODE, NULL) < 0)
			return -1;
	}
	if (bpf_xdp_attach(v->t0, v->pass_prog, XDP_FLAGS_DRV_MODE, NULL) < 0)
		return -1;
	fb_eth(&v->frame, group, talker);
	fb_ethertype(&v->frame, 0x88b8, 50);		/* 64 bytes */
	return 0;
}

int main(int argc, char **argv)
{
	struct env v = { 0 };
	struct setup st = { 0 };
	char err[512];
	FILE *json = NULL;
	unsigned n = 200000;
	cpu_set_t cpus;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			n = 20000;
		else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json = fopen(argv[++i], "w");
	}
	tsn_log_setup("bench_bridge", TSN_LOG_STDERR, TSN_LOG_WARNING);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus) < 0)
		perror("bench: sched_setaffinity");
	if (setup(&v) < 0)
		return 1;
	printf("bridge fast path: %u frames of %zu bytes per run, %d rounds, one CPU\n", n, v.frame.len,
	       ROUNDS);
	printf("%6s  %8s  %10s  %12s  %8s\n", "ports", "mode", "ns/frame", "above floor", "copies");
	if (json)
		fprintf(json, "{\"frames\":%u,\"rounds\":%d,\"results\":[", n, ROUNDS);
	st.dp = dataplane_create(NULL, err, sizeof(err));
	if (!st.dp || !dataplane_bridge(st.dp)) {
		fprintf(stderr, "bench: data plane: %s\n", st.dp ? "no bridge fast path" : err);
		return 1;
	}
	for (int np = 1; np <= 3 && rc == 0; np += 2) {
		double t[N_MODES][ROUNDS], copies[N_MODES] = { 0 }, ratio[ROUNDS];

		if (size_begin(&v, np, &st) < 0) {
			fprintf(stderr, "bench: cannot set up %d port(s)\n", np);
			rc = 1;
			break;
		}
		for (int r = 0; r < ROUNDS && rc == 0; r++) {
			for (int m = 0; m < N_MODES && rc == 0; m++) {
				double c;

				if (mode_attach(&v, &st, m) < 0) {
					fprintf(stderr, "bench: cannot attach mode %s\n", mode_names[m]);
					rc = 1;
					break;
				}
				generate(&v, n / 10, &c);	/* warm up */
				t[m][r] = generate(&v, n, &c);
				copies[m] = c;
				if (t[m][r] < 0)
					rc = 1;
			}
			ratio[r] = (t[M_XDP][r] - t[M_FLOOR][r]) / (t[M_KERNEL][r] - t[M_FLOOR][r]);
		}
		size_end(&v, &st);
		if (rc)
			break;
		double med[N_MODES], floor_ns;

		for (int m = 0; m < N_MODES; m++)
			med[m] = median(t[m], ROUNDS);
		floor_ns = med[M_FLOOR];
		for (int m = 0; m < N_MODES; m++)
			printf("%6d  %8s  %10.1f  %12.1f  %8.2f\n", np, mode_names[m], med[m],
			       m == M_FLOOR ? 0.0 : med[m] - floor_ns, copies[m]);
		double rmed = median(ratio, ROUNDS);

		printf("%6d  xdp share / kernel share: %.2f of the medians, %.2f median of the %d "
		       "rounds' ratios (target <= 0.33)\n", np, (med[M_XDP] - floor_ns) / (med[M_KERNEL] - floor_ns),
		       rmed, ROUNDS);
		if (json)
			fprintf(json, "%s{\"ports\":%d,\"floor_ns\":%.1f,\"kernel_ns\":%.1f,\"xdp_ns\":%.1f,"
				"\"ratio\":%.3f,\"copies_kernel\":%.2f,\"copies_xdp\":%.2f}",
				np == 1 ? "" : ",", np, med[M_FLOOR], med[M_KERNEL], med[M_XDP], rmed,
				copies[M_KERNEL], copies[M_XDP]);
		/* Every mode must deliver every copy, or the figures mean nothing. */
		for (int m = 0; m < N_MODES; m++)
			if (copies[m] < np * 0.99) {
				fprintf(stderr, "bench: mode %s delivered %.2f copies per frame, want %d\n",
					mode_names[m], copies[m], np);
				rc = 1;
			}
	}
	dataplane_destroy(st.dp, false);
	if (json) {
		fprintf(json, "]}\n");
		fclose(json);
	}
	return rc;
}
