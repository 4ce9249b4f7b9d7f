/* SPDX-License-Identifier: GPL-2.0-only */
/* udp6.c — a small IPv6 UDP talker, listener and ICMPv6 error probe for the
 * forwarding tests (tests/integration/test_forwarding.sh).
 *
 *   udp6 send DST PORT [-n COUNT] [-l HOPLIMIT] [-t TCLASS] [-s SIZE] [-i USEC]
 *   udp6 recv PORT [-n COUNT] [-w MSEC]
 *        one JSON line per datagram: {"from":"...","hop_limit":N,"tclass":N,"len":N};
 *        exit 0 once COUNT arrived, 1 on timeout
 *   udp6 probe DST PORT [-l HOPLIMIT] [-w MSEC]
 *        send one datagram and print the ICMPv6 error that comes back:
 *        {"icmp_type":N,"icmp_code":N,"offender":"..."}; exit 1 if none
 *   udp6 gate DST PORT -p P[,P...] [-i USEC] [-d MSEC]
 *        datagrams in gate_probe's format (tests/tools/gate_probe.c: magic "TSNG",
 *        priority, sequence number, send time), round-robin over the priorities,
 *        each priority with DSCP = P: what a switch classifies by DSCP turns into
 *        that priority, where gate_probe's own talker only sets SO_PRIORITY, which
 *        does not leave the host.  `gate_probe listen` and `analyze` take them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: udp6 send DST PORT [-n COUNT] [-l HOPLIMIT] [-t TCLASS] [-s SIZE] [-i USEC]\n"
			"       udp6 recv PORT [-n COUNT] [-w MSEC]\n"
			"       udp6 probe DST PORT [-l HOPLIMIT] [-w MSEC]\n"
			"       udp6 gate DST PORT -p P[,P...] [-i USEC] [-d MSEC]\n");
	return 2;
}

struct opts {
	long count, hop_limit, tclass, size, interval_us, wait_ms;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	o->count = 1;
	o->hop_limit = -1;
	o->tclass = -1;
	o->size = 64;
	o->interval_us = 0;
	o->wait_ms = 3000;
	while ((c = getopt(argc, argv, "n:l:t:s:i:w:")) != -1) {
		long v = strtol(optarg ? optarg : "", NULL, 0);

		switch (c) {
		case 'n': o->count = v; break;
		case 'l': o->hop_limit = v; break;
		case 't': o->tclass = v; break;
		case 's': o->size = v; break;
		case 'i': o->interval_us = v; break;
		case 'w': o->wait_ms = v; break;
		default: return -1;
		}
	}
	if (o->size < 0 || o->size > 65000 || o->count < 1)
		return -1;
	return 0;
}

static int make_socket(const struct opts *o)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	int hl = (int)o->hop_limit, tc = (int)o->tclass;

	if (fd < 0) {
		perror("socket");
		return -1;
	}
	if (o->hop_limit >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hl, sizeof(hl)) < 0)
		perror("IPV6_UNICAST_HOPS");
	if (o->tclass >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof(tc)) < 0)
		perror("IPV6_TCLASS");
	return fd;
}

static int dest(const char *addr, const char *port, struct sockaddr_in6 *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET6, addr, &sa->sin6_addr) != 1) {
		fprintf(stderr, "udp6: '%s' is not an IPv6 address\n", addr);
		return -1;
	}
	return 0;
}

static int cmd_send(int argc, char **argv)
{
	struct sockaddr_in6 sa;
	struct opts o;
	char *buf;
	int fd;

	if (argc < 3 || dest(argv[1], argv[2], &sa) < 0)
		return usage();
	optind = 3;
	if (parse_opts(argc, argv, &o) < 0 || (fd = make_socket(&o)) < 0)
		return usage();
	buf = calloc(1, (size_t)o.size + 1);
	for (long i = 0; i < o.count; i++) {
		snprintf(buf, (size_t)o.size + 1, "%08ld", i);
		if (sendto(fd, buf, (size_t)o.size, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			perror("sendto");
			return 1;
		}
		if (o.interval_us)
			usleep((useconds_t)o.interval_us);
	}
	free(buf);
	close(fd);
	return 0;
}

static int cmd_recv(int argc, char **argv)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	struct opts o;
	int fd, on = 1;
	long got = 0;

	if (argc < 2)
		return usage();
	sa.sin6_port = htons((uint16_t)atoi(argv[1]));
	optind = 2;
	if (parse_opts(argc, argv, &o) < 0 || (fd = make_socket(&o)) < 0)
		return usage();
	setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on));
	setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("bind");
		return 1;
	}
	/* Tell a waiting test that the socket is bound. */
	fprintf(stderr, "udp6: listening on port %s\n", argv[1]);
	while (got < o.count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char data[65536], ctrl[256], from[INET6_ADDRSTRLEN];
		struct sockaddr_in6 src;
		struct iovec iov = { data, sizeof(data) };
		struct msghdr m = { .msg_name = &src, .msg_namelen = sizeof(src), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
		int hop = -1, tclass = -1;
		ssize_t n;

		if (poll(&p, 1, (int)o.wait_ms) <= 0)
			break;
		n = recvmsg(fd, &m, 0);
		if (n < 0)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&hop, CMSG_DATA(c), sizeof(hop));
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS)
				memcpy(&tclass, CMSG_DATA(c), sizeof(tclass));
		}
		printf("{\"from\":\"%s\",\"hop_limit\":%d,\"tclass\":%d,\"len\":%zd}\n",
		       inet_ntop(AF_INET6, &src.sin6_addr, from, sizeof(from)), hop, tclass, n);
		fflush(stdout);
		got++;
	}
	close(fd);
	return got == o.count ? 0 : 1;
}

static int cmd_probe(int argc, char **argv)
{
	struct sockaddr_in6 sa;
	struct opts o;
	int fd, on = 1;
	struct timespec start, now;

	if (argc < 3 || dest(argv[1], argv[2], &sa) < 0)
		return usage();
	optind = 3;
	if (parse_opts(argc, argv, &o) < 0 || (fd = make_socket(&o)) < 0)
		return usage();
	setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* No route on the talker itself: the local stack answers. */
		printf("{\"error\":\"connect: %s\"}\n", strerror(errno));
		return 1;
	}
	if (send(fd, "probe", 5, 0) < 0) {
		printf("{\"error\":\"send: %s\"}\n", strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = 0 };
		char data[512], ctrl[512], off[INET6_ADDRSTRLEN];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl,
				    .msg_controllen = sizeof(ctrl) };
		long left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = o.wait_ms - ((now.tv_sec - start.tv_sec) * 1000 +
				    (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		if (recvmsg(fd, &m, MSG_ERRQUEUE) < 0)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			struct sock_extended_err *ee = (struct sock_extended_err *)CMSG_DATA(c);
			struct sockaddr_in6 *from = (struct sockaddr_in6 *)SO_EE_OFFENDER(ee);

			if (c->cmsg_level != IPPROTO_IPV6 || c->cmsg_type != IPV6_RECVERR ||
			    ee->ee_origin != SO_EE_ORIGIN_ICMP6)
				continue;
			printf("{\"icmp_type\":%u,\"icmp_code\":%u,\"offender\":\"%s\"}\n", ee->ee_type,
			       ee->ee_code, inet_ntop(AF_INET6, &from->sin6_addr, off, sizeof(off)));
			return 0;
		}
	}
	printf("{\"error\":\"no ICMPv6 error within %ld ms\"}\n", o.wait_ms);
	return 1;
}

/* gate_probe's datagram: magic and priority in network order. */
struct gate_frame {
	uint32_t magic;
	uint32_t prio;
	uint64_t seq;
	int64_t tx_tai_ns;
	uint8_t pad[40];
};

static int cmd_gate(int argc, char **argv)
{
	struct sockaddr_in6 sa;
	int fds[16], prios[16], n = 0, c;
	long interval_us = 500, duration_ms = 4000;
	char *list = NULL;
	struct timespec t0, now, next;
	uint64_t seq = 0;

	if (argc < 3 || dest(argv[1], argv[2], &sa) < 0)
		return usage();
	optind = 3;
	while ((c = getopt(argc, argv, "p:i:d:")) != -1) {
		switch (c) {
		case 'p': list = optarg; break;
		case 'i': interval_us = strtol(optarg, NULL, 0); break;
		case 'd': duration_ms = strtol(optarg, NULL, 0); break;
		default: return usage();
		}
	}
	for (char *tok = list ? strtok(list, ",") : NULL; tok && n < 16; tok = strtok(NULL, ",")) {
		int tclass = atoi(tok) << 2, prio = atoi(tok);

		prios[n] = prio;
		fds[n] = socket(AF_INET6, SOCK_DGRAM, 0);
		/* Not connected: a connected socket caches a TX queue (sk_tx_queue_mapping),
		 * and a frame crossing a veth keeps its socket, so 6.1's egress on the
		 * switch's port took that cached queue instead of one of its priority's
		 * class.  Two priorities whose sockets had cached the same queue then
		 * shared one FIFO under taprio, each blocking the other's head until
		 * its own gate opened (lab frer-gates and bridge-gates, 1 run in 5). */
		if (fds[n] < 0 || setsockopt(fds[n], IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof(tclass)) < 0 ||
		    setsockopt(fds[n], SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)) < 0) {
			perror("udp6 gate: socket");
			return 1;
		}
		n++;
	}
	if (!n || interval_us < 1)
		return usage();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	next = t0;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >= duration_ms)
			break;
		for (int i = 0; i < n; i++) {
			struct gate_frame f = { .magic = htonl(0x54534e47u), .prio = htonl((uint32_t)prios[i]),
						.seq = seq++ };
			struct timespec tai;

			clock_gettime(CLOCK_TAI, &tai);
			f.tx_tai_ns = (int64_t)tai.tv_sec * 1000000000 + tai.tv_nsec;
			if (sendto(fds[i], &f, sizeof(f), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != ENOBUFS)
				perror("udp6 gate: send");
		}
		next.tv_nsec += interval_us * 1000;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	printf("sent %" PRIu64 " datagrams on %d priorities\n", seq, n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "send") == 0)
		return cmd_send(argc - 1, argv + 1);
	if (strcmp(argv[1], "recv") == 0)
		return cmd_recv(argc - 1, argv + 1);
	if (strcmp(argv[1], "probe") == 0)
		return cmd_probe(argc - 1, argv + 1);
	if (strcmp(argv[1], "gate") == 0)
		return cmd_gate(argc - 1, argv + 1);
	return usage();
}
