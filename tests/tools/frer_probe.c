/* SPDX-License-Identifier: GPL-2.0-only */
/* frer_probe.c — talker and listener of the FRER tests (tests/integration/
 * test_frer_tsnd.sh): numbered layer-2 frames, and a count of what arrives.
 *
 *   frer_probe send IFACE DSTMAC -n COUNT -r RATE
 *        COUNT frames to DSTMAC, EtherType 0x88b5, untagged, paced at RATE
 *        frames/s; the payload is the magic "FRRP" and a 32-bit sequence number
 *        (0..COUNT-1).  Prints {"sent":N,"send_errors":N}.
 *   frer_probe recv IFACE -n COUNT [-w MSEC]
 *        counts probe frames until all COUNT numbers arrived, or MSEC (default
 *        3000) pass without one.  Prints {"received","unique","duplicates",
 *        "out_of_order","missing","socket_drops"}; exit 0 if it ran. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROBE_ETHERTYPE 0x88b5	/* IEEE local experimental */
#define PROBE_LEN 60		/* the shortest frame without FCS */

static const uint8_t magic[4] = { 'F', 'R', 'R', 'P' };

static int usage(void)
{
	fprintf(stderr, "usage: frer_probe send IFACE DSTMAC -n COUNT -r RATE\n"
			"       frer_probe recv IFACE -n COUNT [-w MSEC]\n");
	return 2;
}

static int open_sock(const char *ifname, int proto, struct sockaddr_ll *sll)
{
	int fd = socket(AF_PACKET, SOCK_RAW, htons((uint16_t)proto));
	unsigned ifindex = if_nametoindex(ifname);

	if (fd < 0 || !ifindex) {
		perror(ifname);
		return -1;
	}
	memset(sll, 0, sizeof(*sll));
	sll->sll_family = AF_PACKET;
	sll->sll_protocol = htons((uint16_t)proto);
	sll->sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)sll, sizeof(*sll)) < 0) {
		perror("bind");
		close(fd);
		return -1;
	}
	return fd;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int do_send(const char *ifname, const char *dst, unsigned long count, unsigned long rate)
{
	struct sockaddr_ll sll;
	uint8_t f[PROBE_LEN] = { 0 };
	unsigned long errors = 0, sent = 0;
	int fd = open_sock(ifname, PROBE_ETHERTYPE, &sll);

	if (fd < 0)
		return 1;
	if (sscanf(dst, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5]) != 6)
		return usage();
	f[6] = 0x02;	/* a locally administered source */
	f[11] = 0x01;
	f[12] = PROBE_ETHERTYPE >> 8;
	f[13] = PROBE_ETHERTYPE & 0xff;
	memcpy(f + 14, magic, 4);
	uint64_t start = now_ns(), period = 1000000000ull / (rate ? rate : 1);
	for (unsigned long i = 0; i < count; i++) {
		uint64_t due = start + i * period;
		struct timespec ts = { .tv_sec = (time_t)(due / 1000000000ull), .tv_nsec = (long)(due % 1000000000ull) };
		uint32_t seq = htonl((uint32_t)i);

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		memcpy(f + 18, &seq, 4);
		/* A full socket queue is no lost frame: try again shortly. */
		for (int tries = 0;; tries++) {
			if (sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&sll, sizeof(sll)) == (ssize_t)sizeof(f)) {
				sent++;
				break;
			}
			if ((errno != ENOBUFS && errno != EAGAIN) || tries == 1000) {
				errors++;
				break;
			}
			usleep(50);
		}
	}
	printf("{\"sent\":%lu,\"send_errors\":%lu}\n", sent, errors);
	close(fd);
	return 0;
}

static int do_recv(const char *ifname, unsigned long count, int wait_ms)
{
	struct sockaddr_ll sll;
	uint8_t *seen = calloc(count ? count : 1, 1), buf[2048];
	unsigned long received = 0, unique = 0, dups = 0, ooo = 0;
	long last = -1;
	int rcvbuf = 16 << 20;
	int fd = open_sock(ifname, ETH_P_ALL, &sll);

	if (fd < 0 || !seen)
		return 1;
	/* Room for a burst: a drop here would read as a frame FRER lost. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	printf("ready\n");
	fflush(stdout);
	while (unique < count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, wait_ms);

		if (n <= 0)
			break;
		ssize_t len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 22 || buf[12] != (PROBE_ETHERTYPE >> 8) || buf[13] != (PROBE_ETHERTYPE & 0xff) ||
		    memcmp(buf + 14, magic, 4) != 0)
			continue;
		uint32_t seq;
		memcpy(&seq, buf + 18, 4);
		seq = ntohl(seq);
		received++;
		if (seq >= count)
			continue;
		if (seen[seq]) {
			dups++;
			continue;
		}
		seen[seq] = 1;
		unique++;
		if ((long)seq != last + 1)
			ooo++;
		last = seq;
	}
	struct tpacket_stats st = { 0 };
	socklen_t sl = sizeof(st);
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
	printf("{\"received\":%lu,\"unique\":%lu,\"duplicates\":%lu,\"out_of_order\":%lu,\"missing\":%lu,"
	       "\"socket_drops\":%u}\n", received, unique, dups, ooo, count - unique, st.tp_drops);
	free(seen);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long count = 0, rate = 1000;
	int wait_ms = 3000, opt;

	if (argc < 3)
		return usage();
	const char *cmd = argv[1], *ifname = argv[2], *dst = NULL;
	int first = 3;
	if (strcmp(cmd, "send") == 0) {
		if (argc < 4)
			return usage();
		dst = argv[3];
		first = 4;
	} else if (strcmp(cmd, "recv") != 0) {
		return usage();
	}
	optind = first;
	while ((opt = getopt(argc, argv, "n:r:w:")) != -1) {
		switch (opt) {
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'r': rate = strtoul(optarg, NULL, 10); break;
		case 'w': wait_ms = atoi(optarg); break;
		default: return usage();
		}
	}
	if (!count)
		return usage();
	return dst ? do_send(ifname, dst, count, rate) : do_recv(ifname, count, wait_ms);
}
