/* SPDX-License-Identifier: GPL-2.0-only */
/* shaper_probe.c — sender, egress capture and analysis for the kernel lab's
 * credit-based shaper and launch-time cases (tests/kernel-lab/guest/tests/
 * test_schedules.sh, cases shaper_rate and launch_time_tx; docs/shapers.md).
 *
 *   shaper_probe send    --dst ADDR --port N --prio P --size BYTES --duration MS
 *                        [--interval US [--relative]] [--txtime LEAD_US --period US --phase US]
 *                        [--past N] [--errwait MS]
 *   shaper_probe capture --dev DEV --port N --duration MS --out FILE
 *   shaper_probe rate    --in FILE --prio P
 *   shaper_probe delay   --in FILE --prio P
 *   shaper_probe launch  --in FILE --prio P --delta NS
 *
 * send writes UDP datagrams of BYTES payload on priority P (SO_PRIORITY, so they
 * land in the class the port's map gives P), one every US microseconds (on a fixed
 * grid, so a late round is made up at once; with --relative US after the previous
 * send, so the sender never sends a burst), or with
 * --interval 0 as fast as the socket takes them: a blocking socket then waits
 * for its send buffer, which the qdisc drains, so the sender is as fast as the
 * shaper lets it be.  With --txtime each datagram carries a launch time
 * (SO_TXTIME on CLOCK_TAI, SCM_TXTIME) on a grid: the first point k x period +
 * phase at or after now + lead, and never one already used.  --past N then sends
 * N more whose launch time lies 1 ms in the past.  etf reports the frames it drops
 * on the socket's error queue (SOF_TXTIME_REPORT_ERRORS); send counts them by code
 * (invalid: refused at enqueue, missed: expired in the queue).
 *
 * capture reads DEV's outgoing frames on a packet socket.  The kernel stamps the
 * copy a packet socket gets when the driver is handed the frame
 * (dev_queue_xmit_nit), which is after the qdisc released it: the moment the frame
 * leaves the port.  It writes one line per probe datagram to FILE:
 *   PRIO SEQ STAMP_TAI LEN SENT_TAI LAUNCH_TAI
 * (LEN the frame's length as the qdiscs count it, Ethernet header included).
 *
 * rate prints the rate of priority P's frames between the first and the last
 * departure; delay the distribution of departure - send time; launch that of
 * departure - launch time, and how many left before launch - delta (early: etf
 * must not) or after the launch time (late).  Times in ns, rates in bit/s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/errqueue.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/net_tstamp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_TXTIME
#define SO_TXTIME 61
#define SCM_TXTIME SO_TXTIME
#endif

#define PROBE_MAGIC 0x54534e51u	/* "TSNQ" */

struct probe_hdr {
	uint32_t magic;
	uint32_t prio;
	uint64_t seq;
	int64_t sent_tai;
	int64_t launch_tai;	/* 0 without --txtime */
} __attribute__((packed));

static const char *prog = "shaper_probe";
#include "probe_util.h"

static int64_t need_i64(const char *opt, const char *s, int64_t min, int64_t max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		die("--%s: '%s' is not an integer in %" PRId64 "..%" PRId64, opt, s, min, max);
	return v;
}

static void sleep_until(clockid_t clk, int64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 };

	while (clock_nanosleep(clk, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* ---- send ---- */

struct err_counts {
	uint64_t invalid, missed, other;
};

/* Read what the error queue holds now (wait_ms 0) or until it stays empty for
 * wait_ms. */
static void drain_errqueue(int fd, int wait_ms, struct err_counts *ec)
{
	for (;;) {
		char data[2048], ctrl[512];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl,
				      .msg_controllen = sizeof(ctrl) };

		if (wait_ms) {
			struct pollfd p = { .fd = fd, .events = 0 };
			if (poll(&p, 1, wait_ms) <= 0)
				return;
		}
		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				if (!wait_ms)
					return;
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("recvmsg(MSG_ERRQUEUE): %s", strerror(errno));
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			const struct sock_extended_err *ee = (const void *)CMSG_DATA(c);
			if (!(c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR))
				continue;
			if (ee->ee_origin != SO_EE_ORIGIN_TXTIME)
				ec->other++;
			else if (ee->ee_code == SO_EE_CODE_TXTIME_INVALID_PARAM)
				ec->invalid++;
			else if (ee->ee_code == SO_EE_CODE_TXTIME_MISSED)
				ec->missed++;
			else
				ec->other++;
		}
	}
}

static int send_one(int fd, const void *buf, size_t len, const struct sockaddr_in *dst, int64_t launch)
{
	char ctrl[CMSG_SPACE(sizeof(uint64_t))] = { 0 };
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_name = (void *)dst, .msg_namelen = sizeof(*dst), .msg_iov = &iov,
			      .msg_iovlen = 1 };

	if (launch) {
		uint64_t t = (uint64_t)launch;
		msg.msg_control = ctrl;
		msg.msg_controllen = sizeof(ctrl);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_TXTIME;
		c->cmsg_len = CMSG_LEN(sizeof(t));
		memcpy(CMSG_DATA(c), &t, sizeof(t));
	}
	return sendmsg(fd, &msg, 0) < 0 ? -1 : 0;
}

static int cmd_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' },      { "port", required_argument, NULL, 'p' },
		{ "prio", required_argument, NULL, 'P' },     { "size", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 't' }, { "interval", required_argument, NULL, 'i' },
		{ "txtime", required_argument, NULL, 'x' },   { "period", required_argument, NULL, 'T' },
		{ "phase", required_argument, NULL, 'f' },    { "past", required_argument, NULL, 'a' },
		{ "errwait", required_argument, NULL, 'w' },  { "relative", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dst = NULL;
	int64_t port = 0, prio = -1, size = 64, duration_ms = 1000, interval_us = 1000;
	int64_t lead_us = -1, period_us = 1000, phase_us = 0, past = 0, errwait_ms = 500;
	bool relative = false;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': relative = true; break;
		case 'd': dst = optarg; break;
		case 'p': port = need_i64("port", optarg, 1, 65535); break;
		case 'P': prio = need_i64("prio", optarg, 0, 15); break;
		case 's': size = need_i64("size", optarg, (int64_t)sizeof(struct probe_hdr), 1400); break;
		case 't': duration_ms = need_i64("duration", optarg, 1, 600000); break;
		case 'i': interval_us = need_i64("interval", optarg, 0, 10000000); break;
		case 'x': lead_us = need_i64("txtime", optarg, 0, 10000000); break;
		case 'T': period_us = need_i64("period", optarg, 1, 10000000); break;
		case 'f': phase_us = need_i64("phase", optarg, 0, 10000000); break;
		case 'a': past = need_i64("past", optarg, 0, 100000); break;
		case 'w': errwait_ms = need_i64("errwait", optarg, 0, 60000); break;
		default: return 2;
		}
	}
	if (!dst || !port || prio < 0)
		die("send needs --dst, --port and --prio");
	if (phase_us >= period_us)
		die("--phase must be below --period");
	if (past && lead_us < 0)
		die("--past needs --txtime");

	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, dst, &sin.sin_addr) != 1)
		die("--dst: '%s' is not an IPv4 address", dst);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), p = (int)prio;
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &p, sizeof(p)) < 0)
		die("SO_PRIORITY %d: %s", p, strerror(errno));
	if (lead_us >= 0) {
		struct sock_txtime st = { .clockid = CLOCK_TAI, .flags = SOF_TXTIME_REPORT_ERRORS };
		if (setsockopt(fd, SOL_SOCKET, SO_TXTIME, &st, sizeof(st)) < 0)
			die("SO_TXTIME: %s", strerror(errno));
	}

	char buf[1400] = { 0 };
	struct probe_hdr h = { .magic = htonl(PROBE_MAGIC), .prio = htonl((uint32_t)prio) };
	struct err_counts ec = { 0 };
	uint64_t sent = 0, enobufs = 0;
	int64_t period = period_us * 1000, phase = phase_us * 1000, last_launch = 0;
	int64_t t = now_ns(CLOCK_MONOTONIC), end = t + duration_ms * 1000000;

	for (; now_ns(CLOCK_MONOTONIC) < end; sent++) {
		h.seq = sent;
		h.sent_tai = now_ns(CLOCK_TAI);
		h.launch_tai = 0;
		if (lead_us >= 0) {
			/* the first grid point at or after now + lead, after the last one used:
			 * etf refuses a launch time before the last it released */
			int64_t want = h.sent_tai + lead_us * 1000 - phase;
			int64_t l = (want + period - 1) / period * period + phase;
			if (l <= last_launch)
				l = last_launch + period;
			h.launch_tai = last_launch = l;
		}
		memcpy(buf, &h, sizeof(h));
		if (send_one(fd, buf, (size_t)size, &sin, h.launch_tai) < 0) {
			if (errno != ENOBUFS)
				die("sendmsg: %s", strerror(errno));
			enobufs++;
		}
		if (lead_us >= 0)
			drain_errqueue(fd, 0, &ec);
		if (interval_us) {
			t = (relative ? now_ns(CLOCK_MONOTONIC) : t) + interval_us * 1000;
			sleep_until(CLOCK_MONOTONIC, t);
		}
	}
	for (int64_t i = 0; i < past; i++, sent++) {
		/* a grid point 1 ms or more behind: valid in the gate schedule's
		 * window, but gone */
		int64_t now = now_ns(CLOCK_TAI);
		h.seq = sent;
		h.sent_tai = now;
		h.launch_tai = (now - 1000000 - phase) / period * period + phase;
		memcpy(buf, &h, sizeof(h));
		if (send_one(fd, buf, (size_t)size, &sin, h.launch_tai) < 0) {
			if (errno != ENOBUFS)
				die("sendmsg: %s", strerror(errno));
			enobufs++;
		}
		sleep_until(CLOCK_MONOTONIC, now_ns(CLOCK_MONOTONIC) + period);
	}
	if (lead_us >= 0)
		drain_errqueue(fd, (int)errwait_ms, &ec);
	close(fd);
	printf("send sent %" PRIu64 " past %" PRId64 " enobufs %" PRIu64 " invalid %" PRIu64 " missed %" PRIu64
	       " other %" PRIu64 "\n", sent, past, enobufs, ec.invalid, ec.missed, ec.other);
	return 0;
}

/* ---- capture ---- */

static int cmd_capture(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'D' },      { "port", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 't' }, { "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = NULL, *out = NULL;
	int64_t port = 0, duration_ms = 1000;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'D': dev = optarg; break;
		case 'p': port = need_i64("port", optarg, 1, 65535); break;
		case 't': duration_ms = need_i64("duration", optarg, 1, 600000); break;
		case 'o': out = optarg; break;
		default: return 2;
		}
	}
	if (!dev || !port || !out)
		die("capture needs --dev, --port and --out");
	unsigned int ifindex = if_nametoindex(dev);
	if (!ifindex)
		die("no device %s", dev);
	FILE *f = fopen(out, "w");
	if (!f)
		die("%s: %s", out, strerror(errno));

	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)), one = 1, rcvbuf = 8 << 20;
	if (fd < 0)
		die("packet socket: %s", strerror(errno));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)ifindex };
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind %s: %s", dev, strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
		die("SO_TIMESTAMPNS: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

	int64_t taioff = tai_offset_ns();
	int64_t end = now_ns(CLOCK_MONOTONIC) + duration_ms * 1000000;
	uint64_t frames = 0, other = 0;
	printf("capture ready\n");
	fflush(stdout);
	for (;;) {
		int64_t left = end - now_ns(CLOCK_MONOTONIC);
		if (left <= 0)
			break;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, (int)(left / 1000000) + 1) <= 0)
			continue;
		unsigned char pkt[128];
		char ctrl[256];
		struct sockaddr_ll from;
		struct iovec iov = { pkt, sizeof(pkt) };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				      .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
		ssize_t n = recvmsg(fd, &msg, MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0)
			continue;
		if (from.sll_pkttype != PACKET_OUTGOING)
			continue;
		int64_t stamp = 0;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;
				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				stamp = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + taioff;
			}
		/* Ethernet, IPv4, UDP to the port, the probe's header */
		size_t got = (size_t)n < sizeof(pkt) ? (size_t)n : sizeof(pkt);
		if (got < 14 + 20 + 8 || pkt[12] != 0x08 || pkt[13] != 0x00 || (pkt[14] >> 4) != 4) {
			other++;
			continue;
		}
		size_t ihl = (size_t)(pkt[14] & 0xf) * 4, udp = 14 + ihl;
		if (pkt[14 + 9] != IPPROTO_UDP || got < udp + 8 + sizeof(struct probe_hdr) ||
		    ((pkt[udp + 2] << 8) | pkt[udp + 3]) != port) {
			other++;
			continue;
		}
		struct probe_hdr h;
		memcpy(&h, pkt + udp + 8, sizeof(h));
		if (ntohl(h.magic) != PROBE_MAGIC) {
			other++;
			continue;
		}
		fprintf(f, "%u %" PRIu64 " %" PRId64 " %zd %" PRId64 " %" PRId64 "\n", ntohl(h.prio), h.seq, stamp, n,
			h.sent_tai, h.launch_tai);
		frames++;
	}
	if (fclose(f) != 0)
		die("%s: %s", out, strerror(errno));
	printf("capture frames %" PRIu64 " other %" PRIu64 "\n", frames, other);
	return 0;
}

/* ---- analysis ---- */

struct rec {
	unsigned int prio;
	uint64_t seq;
	int64_t stamp, len, sent, launch;
};

static size_t load(const char *path, long prio, struct rec **out)
{
	FILE *f = fopen(path, "r");
	size_t n = 0, cap = 0;
	struct rec r, *v = NULL;

	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fscanf(f, "%u %" SCNu64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64, &r.prio, &r.seq, &r.stamp,
		      &r.len, &r.sent, &r.launch) == 6) {
		if ((long)r.prio != prio)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				die("out of memory");
		}
		v[n++] = r;
	}
	fclose(f);
	*out = v;
	return n;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* "min p10 p50 p90 p99 max" of v (sorted in place) */
static void print_dist(const char *what, int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	printf("%s frames %zu", what, n);
	if (n)
		printf(" min %" PRId64 " p10 %" PRId64 " p50 %" PRId64 " p90 %" PRId64 " p99 %" PRId64 " max %" PRId64,
		       v[0], v[n / 10], v[n / 2], v[n * 9 / 10], v[n * 99 / 100], v[n - 1]);
}

static int cmd_analyze(const char *what, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "in", required_argument, NULL, 'I' },
		{ "prio", required_argument, NULL, 'P' },
		{ "delta", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char *in = NULL;
	int64_t prio = -1, delta = -1;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'I': in = optarg; break;
		case 'P': prio = need_i64("prio", optarg, 0, 15); break;
		case 'D': delta = need_i64("delta", optarg, 0, INT32_MAX); break;
		default: return 2;
		}
	}
	if (!in || prio < 0 || (!strcmp(what, "launch") && delta < 0))
		die("%s needs --in and --prio%s", what, strcmp(what, "launch") ? "" : " and --delta");

	struct rec *r;
	size_t n = load(in, prio, &r);
	int64_t *v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		die("out of memory");

	if (!strcmp(what, "rate")) {
		/* bytes after the first departure over the time to the last: what the
		 * shaper let through while the class always had a frame waiting */
		int64_t bytes = 0, span = n > 1 ? r[n - 1].stamp - r[0].stamp : 0;
		for (size_t i = 1; i < n; i++) {
			bytes += r[i].len;
			v[i - 1] = r[i].stamp - r[i - 1].stamp;
		}
		printf("rate frames %zu bytes %" PRId64 " span_ns %" PRId64 " rate_bps %" PRId64 "\n", n, bytes, span,
		       span > 0 ? (int64_t)((__int128)bytes * 8 * 1000000000 / span) : 0);
		print_dist("gap", v, n > 1 ? n - 1 : 0);
		printf("\n");
	} else if (!strcmp(what, "delay")) {
		for (size_t i = 0; i < n; i++)
			v[i] = r[i].stamp - r[i].sent;
		print_dist("delay", v, n);
		printf("\n");
	} else {
		size_t early = 0, late = 0;
		for (size_t i = 0; i < n; i++) {
			v[i] = r[i].stamp - r[i].launch;
			if (r[i].stamp < r[i].launch - delta)
				early++;
			if (r[i].stamp > r[i].launch)
				late++;
		}
		print_dist("launch", v, n);
		printf(" early %zu late %zu\n", early, late);
	}
	free(v);
	free(r);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s send|capture|rate|delay|launch OPTIONS (see the source's header)\n", prog);
		return 2;
	}
	const char *cmd = argv[1];
	argv[1] = argv[0];
	if (!strcmp(cmd, "send"))
		return cmd_send(argc - 1, argv + 1);
	if (!strcmp(cmd, "capture"))
		return cmd_capture(argc - 1, argv + 1);
	if (!strcmp(cmd, "rate") || !strcmp(cmd, "delay") || !strcmp(cmd, "launch"))
		return cmd_analyze(cmd, argc - 1, argv + 1);
	die("unknown command '%s'", cmd);
}
