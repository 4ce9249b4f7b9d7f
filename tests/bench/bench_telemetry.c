/* SPDX-License-Identifier: GPL-2.0-only */
/* bench_telemetry.c — what residence-time telemetry costs per frame, on this host
 * (`make bench`; figures in docs/benchmarks.md, method in docs/telemetry.md).
 *
 * 1. The ingress stamp: tsn_xdp through BPF_PROG_RUN on a frame it passes up with
 *    metadata, with tsn_tele_on off and on.  Off and on alternate in each round
 *    (same machine load); the kernel reports the mean time per run; the median
 *    of the per-round differences is the stamp's cost.
 * 2. The driver hook: tele_tx_skb runs for every frame any driver gets.  UDP
 *    datagrams go out of a veth pair in a private network namespace whose sending
 *    end is a telemetry port; the program's mean run time per frame comes from the
 *    kernel's BPF run-time statistics (bpf_enable_stats).  These frames carry no
 *    ingress stamp (userspace cannot make one): the figure is the cost every
 *    transmitted frame pays; a stamped frame adds two histogram updates (a few
 *    cache lines), which part 1's method cannot isolate.
 *
 * Usage: bench_telemetry [--quick]    (root)
 */
#include <arpa/inet.h>
#include <errno.h>
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
#include "bpf/dataplane.skel.h"
#include "../unit/dp_skel.h"
#include "telemetry.h"
#include "tsn/config.h"

#define ROUNDS 9

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double run_ns(int prog, const struct fb *f, unsigned repeat)
{
	struct xdp_md ctx = { .data_end = (__u32)f->len, .ingress_ifindex = 1 };
	uint8_t out[FB_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = (__u32)f->len,
		    .data_out = out, .data_size_out = sizeof(out),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog, &o) < 0)
		return -1;
	return (double)o.duration;
}

static int bench_stamp(unsigned repeat)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x09 }, src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct dataplane_bpf *skel = tu_dp_skel_load();
	double off[ROUNDS], on[ROUNDS], diff[ROUNDS];
	struct tsn_tele_on v = { 0 };
	__u32 zero = 0;
	struct fb f;

	if (!skel) {
		fprintf(stderr, "bench_telemetry: cannot load bpf/dataplane.bpf.o: %s\n", strerror(errno));
		return -1;
	}
	memset(&f, 0, sizeof(f));
	fb_eth(&f, dst, src);
	fb_ipv6(&f, "2001:db8:1::10", "2001:db8:2::2", 64, 0);
	fb_udp(&f, 4000, 7, 64);
	fb_done(&f);
	int prog = bpf_program__fd(skel->progs.tsn_xdp), map = bpf_map__fd(skel->maps.tsn_tele_on);
	for (int r = 0; r < ROUNDS; r++) {
		v.on = 0;
		bpf_map_update_elem(map, &zero, &v, BPF_ANY);
		off[r] = run_ns(prog, &f, repeat);
		v.on = 1;
		bpf_map_update_elem(map, &zero, &v, BPF_ANY);
		on[r] = run_ns(prog, &f, repeat);
		diff[r] = on[r] - off[r];
	}
	qsort(off, ROUNDS, sizeof(double), cmp_double);
	qsort(on, ROUNDS, sizeof(double), cmp_double);
	qsort(diff, ROUNDS, sizeof(double), cmp_double);
	printf("\n== ingress stamp (tsn_xdp, BPF_PROG_RUN, %u runs x %d rounds, a passed IPv6 frame)\n",
	       repeat, ROUNDS);
	printf("  telemetry off  %7.1f ns/frame (median)\n", off[ROUNDS / 2]);
	printf("  telemetry on   %7.1f ns/frame (median)\n", on[ROUNDS / 2]);
	printf("  stamp cost     %7.1f ns/frame (median of per-round differences; min %.1f, max %.1f)\n",
	       diff[ROUNDS / 2], diff[0], diff[ROUNDS - 1]);
	dataplane_bpf__destroy(skel);
	return 0;
}

static double prog_mean_ns(int fd, unsigned long long *cnt)
{
	struct bpf_prog_info pi;
	__u32 len = sizeof(pi);

	memset(&pi, 0, sizeof(pi));
	if (bpf_obj_get_info_by_fd(fd, &pi, &len) < 0 || !pi.run_cnt)
		return -1;
	*cnt = pi.run_cnt;
	return (double)pi.run_time_ns / (double)pi.run_cnt;
}

static int bench_hook(unsigned frames)
{
	static const char *const yaml =
		"ports:\n"
		"  - { name: tb0, xdp: off }\n"
		"telemetry:\n"
		"  residence-time: true\n";
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	struct tsn_diags diags;
	struct tsn_config *cfg;
	struct telemetry *t;
	char payload[64] = { 0 };
	unsigned long long cnt = 0;
	int rc = -1, stats_fd, s;

	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "bench_telemetry: unshare: %s\n", strerror(errno));
		return -1;
	}
	if (system("ip link set lo up && ip link add tb0 type veth peer name tb1 && "
		   "ip link set tb0 up && ip link set tb1 up && "
		   "ip addr add 2001:db8:9::1/64 dev tb0 nodad && "
		   "ip -6 neigh replace 2001:db8:9::2 lladdr 02:00:00:00:09:02 dev tb0") != 0)
		return -1;
	tsn_diags_init(&diags, "bench.yaml");
	cfg = tsn_config_parse(yaml, strlen(yaml), "bench.yaml", &diags);
	tsn_diags_free(&diags);
	t = telemetry_new();
	if (!cfg || !t)
		goto out;
	telemetry_apply(t, cfg, NULL, NULL);
	if (strcmp(telemetry_state(t), "on") != 0) {
		fprintf(stderr, "bench_telemetry: telemetry did not come on\n");
		goto out;
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	inet_pton(AF_INET6, "2001:db8:9::2", &to.sin6_addr);
	for (unsigned i = 0; s >= 0 && i < frames; i++)
		sendto(s, payload, sizeof(payload), 0, (struct sockaddr *)&to, sizeof(to));
	if (s >= 0)
		close(s);
	double mean = prog_mean_ns(telemetry_prog_fd(t), &cnt);
	if (stats_fd >= 0)
		close(stats_fd);
	printf("\n== driver hook (tele_tx_skb on net_dev_start_xmit, %u UDP frames out of a telemetry port)\n",
	       frames);
	if (mean < 0)
		printf("  (no run-time statistics)\n");
	else
		printf("  %7.1f ns per transmitted frame (mean of %llu runs, unstamped frames)\n", mean, cnt);
	rc = 0;
out:
	telemetry_free(t, NULL);
	tsn_config_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;

	if (argc > 1 && !quick) {
		fprintf(stderr, "usage: bench_telemetry [--quick]\n");
		return 2;
	}
	printf("bench_telemetry: residence-time telemetry per frame (docs/telemetry.md)\n");
	if (bench_stamp(quick ? 20000 : 200000) < 0 || bench_hook(quick ? 20000 : 200000) < 0)
		return 1;
	return 0;
}
