/* SPDX-License-Identifier: GPL-2.0-only */
/* lat6.c — one-way latency of a UDP stream over IPv6 between two network
 * namespaces of one host (tests/integration/test_flood.sh).
 *
 *   lat6 send DST PORT [-n COUNT] [-i USEC] [-s SIZE]
 *        COUNT datagrams every USEC, each carrying a sequence number and its
 *        CLOCK_MONOTONIC send time (the clock is the host's, shared by namespaces)
 *   lat6 recv PORT [-n COUNT] [-w MSEC]
 *        until COUNT arrived or MSEC passed without one; prints one JSON line:
 *        {"received":N,"lost":N,"p50_ns":N,"p90_ns":N,"p99_ns":N,"max_ns":N}
 *        (lost: sequence numbers below COUNT that never came); exit 0
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x4c415436u	/* "LAT6" */

struct probe {
	uint32_t magic;
	uint32_t seq;
	uint64_t sent_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: lat6 send DST PORT [-n COUNT] [-i USEC] [-s SIZE]\n"
			"       lat6 recv PORT [-n COUNT] [-w MSEC]\n");
	return 2;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int do_send(const char *dst, int port, long count, long usec, long size)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	char buf[2048];
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	uint64_t next = now_ns();

	if (fd < 0 || inet_pton(AF_INET6, dst, &sa.sin6_addr) != 1 || size < (long)sizeof(struct probe) ||
	    size > (long)sizeof(buf)) {
		fprintf(stderr, "lat6: bad socket, address or size\n");
		return 1;
	}
	memset(buf, 0x5a, sizeof(buf));
	for (long i = 0; i < count; i++) {
		struct probe p = { .magic = MAGIC, .seq = (uint32_t)i };

		while (usec && now_ns() < next)
			;	/* busy wait: microsecond pacing without timer slack */
		next += (uint64_t)usec * 1000;
		p.sent_ns = now_ns();
		memcpy(buf, &p, sizeof(p));
		if (sendto(fd, buf, (size_t)size, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
		    errno != ENOBUFS && errno != EAGAIN)
			perror("lat6: sendto");
	}
	close(fd);
	return 0;
}

static int do_recv(int port, long count, long wait_ms)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
				   .sin6_addr = IN6ADDR_ANY_INIT };
	uint64_t *lat = calloc((size_t)count, sizeof(*lat));
	unsigned char *seen = calloc((size_t)count, 1);
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	int rcvbuf = 4 << 20;
	long got = 0, lost = 0;

	if (!lat || !seen || fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("lat6: recv setup");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	fprintf(stderr, "listening\n");
	while (got < count) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct probe p;
		char buf[2048];
		ssize_t n;

		if (poll(&pfd, 1, (int)wait_ms) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < (ssize_t)sizeof(p))
			continue;
		memcpy(&p, buf, sizeof(p));
		if (p.magic != MAGIC || p.seq >= (uint32_t)count || seen[p.seq])
			continue;
		seen[p.seq] = 1;
		lat[got++] = now_ns() - p.sent_ns;
	}
	for (long i = 0; i < count; i++)
		lost += !seen[i];
	qsort(lat, (size_t)got, sizeof(*lat), cmp_u64);
	if (got)
		printf("{\"received\":%ld,\"lost\":%ld,\"p50_ns\":%llu,\"p90_ns\":%llu,\"p99_ns\":%llu,"
		       "\"max_ns\":%llu}\n", got, lost, (unsigned long long)lat[got * 50 / 100],
		       (unsigned long long)lat[got * 90 / 100], (unsigned long long)lat[got * 99 / 100],
		       (unsigned long long)lat[got - 1]);
	else
		printf("{\"received\":0,\"lost\":%ld,\"p50_ns\":null,\"p90_ns\":null,\"p99_ns\":null,"
		       "\"max_ns\":null}\n", lost);
	free(lat);
	free(seen);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	long count = 100, usec = 1000, size = 64, wait_ms = 2000;
	int first, opt;

	if (argc < 3)
		return usage();
	first = strcmp(argv[1], "send") == 0 ? 4 : 3;
	if ((strcmp(argv[1], "send") == 0 && argc < 4) || first > argc)
		return usage();
	optind = first;
	while ((opt = getopt(argc, argv, "n:i:s:w:")) != -1) {
		switch (opt) {
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'i': usec = strtol(optarg, NULL, 10); break;
		case 's': size = strtol(optarg, NULL, 10); break;
		case 'w': wait_ms = strtol(optarg, NULL, 10); break;
		default: return usage();
		}
	}
	if (count <= 0 || count > 10000000 || usec < 0 || wait_ms <= 0)
		return usage();
	if (strcmp(argv[1], "send") == 0)
		return do_send(argv[2], atoi(argv[3]), count, usec, size);
	if (strcmp(argv[1], "recv") == 0)
		return do_recv(atoi(argv[2]), count, wait_ms);
	return usage();
}
