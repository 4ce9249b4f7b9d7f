// SPDX-License-Identifier: GPL-2.0-only
/*
 * cnc_talk — a talker that sends one stream at its planned offsets, and a listener
 * that stamps what arrives: the measurement of tsncnc's latency bounds (issue 14,
 * tests/kernel-lab/guest/tests/test_cnc_latency.sh, docs/cnc.md).
 *
 *   cnc_talk send IFACE DST-MAC VID PCP FRAME-BYTES PERIOD-NS OFFSET-NS COUNT ID [LEAD-NS]
 *	sends COUNT frames of FRAME-BYTES (on the wire, with tag and FCS) tagged VID/PCP,
 *	EtherType 0x88b5, at the TAI times k * PERIOD + OFFSET (the plan's grid is
 *	anchored at 0 TAI), sleeping to each with clock_nanosleep(TIMER_ABSTIME) on
 *	CLOCK_TAI; each frame carries ID, its sequence number, the planned time and the
 *	time it was sent; when it wakes up a period or more late it skips the slots
 *	already past (it goes on until COUNT frames are sent, for at most 60 s).
 *	With LEAD-NS it sleeps to LEAD-NS before each send time and spins on the clock
 *	for the rest, as a NIC's launch time would send on time: the timer's lateness
 *	(woken - asked) then only shows in the send time when it exceeds LEAD-NS.
 *	Prints one JSON line: frames sent and skipped, the send error (sent - planned)
 *	and the timer's lateness (woken - asked), quantiles and max.
 *   cnc_talk flood IFACE DST-MAC VID FRAME-BYTES KBITS SECONDS ID
 *	a best-effort flood: frames of FRAME-BYTES tagged VID with priority 0, paced at
 *	KBITS kbit/s on the wire (FRAME-BYTES + 20 per frame) for SECONDS, as a link
 *	of that speed would limit it (veth has none); prints the frames sent.
 *   cnc_talk listen IFACE SECONDS [IDLE [DUMP]]
 *	stamps every such frame on arrival (software RX timestamp, converted to TAI;
 *	on a switch's port also the frames it sends, stamped as they leave its qdisc)
 *	until SECONDS passed or IDLE s (default 10) went by without one after the
 *	first (a count of sparse arrivals sets IDLE to SECONDS), or SIGTERM came;
 *	what the kernel queued until then still counts.  Prints one JSON
 *	line per stream ID: frames, lost (sequence gaps), latency (arrival - planned),
 *	transit (arrival - sent) and the talker's send error, max and quantiles.
 *	DUMP: a file that gets one line per frame of an ID below 32 (the streams):
 *	ID SEQ ARRIVAL-PLANNED SENT-PLANNED (ns), for joining the stamps of several
 *	ports (small numbers: awk's doubles lose nanoseconds of absolute TAI times).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/if_packet.h>
#include <linux/net_tstamp.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETH_P_CNC 0x88b5 /* local experimental EtherType: no protocol of the switches claims it */
#define MAGIC 0x434e4354u
#define MAX_IDS 64
#define MAX_SEQ 200000

struct payload {
	uint32_t magic, id, seq, pad;
	uint64_t planned, sent;
} __attribute__((packed));

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "cnc_talk: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* q-quantile of a sorted array (nearest rank) */
static int64_t quant(const int64_t *v, size_t n, double q)
{
	if (!n)
		return 0;
	size_t i = (size_t)(q * (double)n);
	return v[i < n ? i : n - 1];
}

static void realtime_prio(void)
{
	/* the sender's wake-up error is what we measure; FIFO keeps other tasks out of it
	 * (refused without privilege: then it is measured as it is) */
	struct sched_param sp = { .sched_priority = 50 };
	sched_setscheduler(0, SCHED_FIFO, &sp);
	mlockall(MCL_CURRENT | MCL_FUTURE);
	/* a normal task's timers may fire up to 50 us late by design (timer slack) */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

/* a raw socket on IFACE and the header of its frames (tagged VID/PCP, to MAC, from
 * IFACE's address); *len: FRAME-BYTES less the FCS, at least the 60-byte minimum.
 * -1 when the size is out of range. */
static int tx_open(const char *ifname, const unsigned mac[6], unsigned vid, unsigned pcp, size_t bytes, uint8_t f[1518],
		   struct sockaddr_ll *sll, size_t *len)
{
	*len = bytes > 4 ? bytes - 4 : 0;
	if (*len < 60)
		*len = 60;
	if (*len < 18 + sizeof(struct payload) || *len > 1518) {
		fprintf(stderr, "cnc_talk: frame size %zu out of range\n", bytes);
		return -1;
	}
	int s = socket(AF_PACKET, SOCK_RAW, 0);
	if (s < 0)
		die("socket");
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
		die(ifname);
	*sll = (struct sockaddr_ll){ .sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(ifname) };
	if (!sll->sll_ifindex)
		die(ifname);
	memset(f, 0, 1518);
	for (int i = 0; i < 6; i++)
		f[i] = (uint8_t)mac[i];
	memcpy(f + 6, ifr.ifr_hwaddr.sa_data, 6);
	f[12] = 0x81, f[13] = 0x00;
	f[14] = (uint8_t)(pcp << 5 | vid >> 8), f[15] = (uint8_t)vid;
	f[16] = ETH_P_CNC >> 8, f[17] = ETH_P_CNC & 0xff;
	return s;
}

static int do_send(char **a)
{
	const char *ifname = a[0];
	unsigned mac[6], vid = (unsigned)atoi(a[2]), pcp = (unsigned)atoi(a[3]);
	size_t bytes = (size_t)atoi(a[4]);
	int64_t period = atoll(a[5]), offset = atoll(a[6]);
	long count = atol(a[7]);
	uint32_t id = (uint32_t)atoi(a[8]);
	int64_t lead = a[9] ? atoll(a[9]) : 0;
	if (sscanf(a[1], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6 ||
	    period <= 0 || offset < 0 || count <= 0 || count > MAX_SEQ || vid > 4095 || pcp > 7 ||
	    lead < 0 || lead >= period) {
		fprintf(stderr, "cnc_talk send: bad arguments\n");
		return 2;
	}
	uint8_t f[1518];
	struct sockaddr_ll sll;
	size_t len;
	int s = tx_open(ifname, mac, vid, pcp, bytes, f, &sll, &len);
	if (s < 0)
		return 2;
	realtime_prio();
	/* first send time: on the grid, at least 100 ms from now */
	int64_t t = now_ns(CLOCK_TAI) + 100000000;
	t = (t - offset + period - 1) / period * period + offset;
	int64_t *wake = calloc((size_t)count, sizeof(*wake)), *timer = calloc((size_t)count, sizeof(*timer));
	if (!wake || !timer)
		die("calloc");
	long sent = 0, skipped = 0;
	/* COUNT frames sent, however many slots that takes (a VM whose virtual CPUs the
	 * host stalls misses whole stretches of slots), for at most 60 s */
	int64_t stop = t + 60000000000LL;
	for (long k = 0; sent < count && t < stop; t += period) {
		int64_t ask = t - lead;
		struct timespec ts = { .tv_sec = ask / 1000000000, .tv_nsec = ask % 1000000000 };
		while (clock_nanosleep(CLOCK_TAI, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		int64_t woke = now_ns(CLOCK_TAI);
		timer[k] = woke - ask;
		/* the rest of the lead on the clock: the launch time a NIC would keep */
		while (woke < t)
			woke = now_ns(CLOCK_TAI);
		/* woken a period or more late: never a burst of the slots missed, which
		 * would starve everything else at this priority */
		int64_t w = woke - t;
		if (w >= period) {
			/* the slots already past are skipped, this wake-up sends the latest */
			skipped += w / period;
			t += w / period * period;
			w -= w / period * period;
		}
		struct payload p = { .magic = htonl(MAGIC), .id = htonl(id), .seq = htonl((uint32_t)sent),
				     .planned = (uint64_t)t };
		p.sent = (uint64_t)now_ns(CLOCK_TAI);
		memcpy(f + 18, &p, sizeof(p));
		if (sendto(s, f, len, 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)len)
			die("sendto");
		wake[k++] = w;
		sent++;
	}
	size_t n = sent ? (size_t)sent : 1;
	qsort(wake, n, sizeof(*wake), cmp64);
	qsort(timer, n, sizeof(*timer), cmp64);
	printf("{\"id\":%u,\"sent\":%ld,\"skipped\":%ld,\"lead_ns\":%lld,\"wake_p50_ns\":%lld,\"wake_p99_ns\":%lld,"
	       "\"wake_p999_ns\":%lld,\"wake_max_ns\":%lld,\"timer_p50_ns\":%lld,\"timer_p99_ns\":%lld,"
	       "\"timer_p999_ns\":%lld,\"timer_max_ns\":%lld}\n",
	       id, sent, skipped, (long long)lead, (long long)quant(wake, n, 0.5), (long long)quant(wake, n, 0.99),
	       (long long)quant(wake, n, 0.999), (long long)wake[n - 1], (long long)quant(timer, n, 0.5),
	       (long long)quant(timer, n, 0.99), (long long)quant(timer, n, 0.999), (long long)timer[n - 1]);
	free(wake);
	free(timer);
	close(s);
	return sent == count ? 0 : 1;
}

/* the best-effort flood: priority 0, paced to KBITS on the wire by a token count
 * refilled from the clock every millisecond (never more than 8 frames at once: a
 * sender woken late does not make up for the time in one burst) */
static int do_flood(char **a)
{
	unsigned mac[6], vid = (unsigned)atoi(a[2]);
	size_t bytes = (size_t)atoi(a[3]);
	int64_t kbits = atoll(a[4]), secs = atoll(a[5]);
	uint32_t id = (uint32_t)atoi(a[6]);
	if (sscanf(a[1], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6 ||
	    vid > 4095 || kbits <= 0 || secs <= 0 || secs > 600) {
		fprintf(stderr, "cnc_talk flood: bad arguments\n");
		return 2;
	}
	uint8_t f[1518];
	struct sockaddr_ll sll;
	size_t len;
	int s = tx_open(a[0], mac, vid, 0, bytes, f, &sll, &len);
	if (s < 0)
		return 2;
	/* ns per frame on a wire of KBITS: (FRAME-BYTES + preamble, delimiter, gap) bits */
	int64_t per = (int64_t)(bytes + 20) * 8 * 1000000 / kbits;
	int64_t t0 = now_ns(CLOCK_MONOTONIC), end = t0 + secs * 1000000000, due = t0;
	long sent = 0, dropped = 0;
	for (int64_t now = t0; now < end; now = now_ns(CLOCK_MONOTONIC)) {
		if (due < now - 8 * per)
			due = now - 8 * per;
		for (; due <= now; due += per) {
			struct payload p = { .magic = htonl(MAGIC), .id = htonl(id), .seq = htonl((uint32_t)(sent % MAX_SEQ)) };
			p.planned = p.sent = (uint64_t)now_ns(CLOCK_TAI);
			memcpy(f + 18, &p, sizeof(p));
			/* a full queue drops the frame, as a wire's would */
			if (sendto(s, f, len, MSG_DONTWAIT, (struct sockaddr *)&sll, sizeof(sll)) == (ssize_t)len)
				sent++;
			else
				dropped++;
		}
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	printf("{\"id\":%u,\"flood_sent\":%ld,\"flood_refused\":%ld,\"kbits\":%lld,\"bytes\":%zu}\n", id, sent,
	       dropped, (long long)kbits, bytes);
	close(s);
	return 0;
}

struct stat_id {
	size_t n;
	uint32_t max_seq;
	int64_t *lat, *transit, *wake;
	uint8_t *seen;
};

static volatile sig_atomic_t stop_listening;

static void on_term(int sig)
{
	(void)sig;
	stop_listening = 1;
}

static int do_listen(char **a)
{
	const char *ifname = a[0];
	int64_t secs = atoll(a[1]), idle = a[2] ? atoll(a[2]) : 10;
	FILE *dump = NULL;
	if (a[2] && a[3] && !(dump = fopen(a[3], "w")))
		die(a[3]);
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (s < 0)
		die("socket");
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(ifname) };
	if (!sll.sll_ifindex || bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die(ifname);
	int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
	if (setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) < 0)
		die("SO_TIMESTAMPING");
	int rcvbuf = 4 << 20;
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	/* software stamps are CLOCK_REALTIME; TAI differs from it by whole seconds */
	int64_t tai_off = now_ns(CLOCK_TAI) - now_ns(CLOCK_REALTIME);
	tai_off = (tai_off + 500000000) / 1000000000 * 1000000000;
	static struct stat_id st[MAX_IDS];
	int64_t end = now_ns(CLOCK_MONOTONIC) + secs * 1000000000, last = 0;
	/* SIGTERM: the caller knows the traffic is over; report what arrived */
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	int64_t drain = 0;
	for (;;) {
		int64_t now = now_ns(CLOCK_MONOTONIC);
		if (stop_listening && !drain)
			drain = now + 2000000000;
		/* at the end, what the kernel already queued (stamped on arrival) still
		 * counts: a listener the emulator starved reads it then (for 2 s at most) */
		if (!drain && (now >= end || (last && now - last > idle * 1000000000)))
			drain = now + 2000000000;
		if (drain && now >= drain)
			break;
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		if (poll(&pfd, 1, drain ? 0 : 200) <= 0) {
			if (drain)
				break;
			continue;
		}
		uint8_t f[2048];
		char ctl[512];
		struct iovec iov = { f, sizeof(f) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
		ssize_t r = recvmsg(s, &m, MSG_DONTWAIT);
		if (r < 14)
			continue;
		int64_t rx = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
				struct scm_timestamping tss;
				memcpy(&tss, CMSG_DATA(c), sizeof(tss));
				rx = (int64_t)tss.ts[0].tv_sec * 1000000000 + tss.ts[0].tv_nsec + tai_off;
			}
		/* the tag is in the data, or (taken off on receive) in the packet's metadata */
		size_t o = 12;
		if (f[o] == 0x81 && f[o + 1] == 0x00)
			o += 4;
		if ((size_t)r < o + 2 + sizeof(struct payload) || f[o] != ETH_P_CNC >> 8 || f[o + 1] != (ETH_P_CNC & 0xff) ||
		    !rx)
			continue;
		struct payload p;
		memcpy(&p, f + o + 2, sizeof(p));
		uint32_t id = ntohl(p.id), seq = ntohl(p.seq);
		if (ntohl(p.magic) != MAGIC || id >= MAX_IDS || seq >= MAX_SEQ)
			continue;
		struct stat_id *x = &st[id];
		if (!x->seen) {
			x->seen = calloc(MAX_SEQ, 1);
			x->lat = calloc(MAX_SEQ, sizeof(int64_t));
			x->transit = calloc(MAX_SEQ, sizeof(int64_t));
			x->wake = calloc(MAX_SEQ, sizeof(int64_t));
			if (!x->seen || !x->lat || !x->transit || !x->wake)
				die("calloc");
		}
		if (x->seen[seq])
			continue;
		x->seen[seq] = 1;
		if (dump && id < 32)
			fprintf(dump, "%u %u %lld %lld\n", id, seq, (long long)(rx - (int64_t)p.planned),
				(long long)(p.sent - p.planned));
		x->lat[x->n] = rx - (int64_t)p.planned;
		x->transit[x->n] = rx - (int64_t)p.sent;
		x->wake[x->n] = (int64_t)(p.sent - p.planned);
		x->n++;
		if (seq > x->max_seq)
			x->max_seq = seq;
		last = now_ns(CLOCK_MONOTONIC);
	}
	for (int id = 0; id < MAX_IDS; id++) {
		struct stat_id *x = &st[id];
		if (!x->n)
			continue;
		qsort(x->lat, x->n, sizeof(int64_t), cmp64);
		qsort(x->transit, x->n, sizeof(int64_t), cmp64);
		qsort(x->wake, x->n, sizeof(int64_t), cmp64);
		printf("{\"id\":%d,\"frames\":%zu,\"lost\":%zu,\"lat_min_ns\":%lld,\"lat_p50_ns\":%lld,"
		       "\"lat_p99_ns\":%lld,\"lat_max_ns\":%lld,\"transit_p50_ns\":%lld,\"transit_max_ns\":%lld,"
		       "\"wake_p50_ns\":%lld,\"wake_p99_ns\":%lld,\"wake_max_ns\":%lld}\n",
		       id, x->n, (size_t)x->max_seq + 1 - x->n, (long long)x->lat[0], (long long)quant(x->lat, x->n, 0.5),
		       (long long)quant(x->lat, x->n, 0.99), (long long)x->lat[x->n - 1],
		       (long long)quant(x->transit, x->n, 0.5), (long long)x->transit[x->n - 1],
		       (long long)quant(x->wake, x->n, 0.5), (long long)quant(x->wake, x->n, 0.99),
		       (long long)x->wake[x->n - 1]);
		free(x->seen);
		free(x->lat);
		free(x->transit);
		free(x->wake);
	}
	if (dump && fclose(dump))
		die("dump");
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((argc == 11 || argc == 12) && !strcmp(argv[1], "send"))
		return do_send(argv + 2);
	if (argc == 9 && !strcmp(argv[1], "flood"))
		return do_flood(argv + 2);
	if (argc >= 4 && argc <= 6 && !strcmp(argv[1], "listen"))
		return do_listen(argv + 2);
	fprintf(stderr, "usage: cnc_talk send IFACE DST-MAC VID PCP FRAME-BYTES PERIOD-NS OFFSET-NS COUNT ID [LEAD-NS]\n"
			"       cnc_talk flood IFACE DST-MAC VID FRAME-BYTES KBITS SECONDS ID\n"
			"       cnc_talk listen IFACE SECONDS [IDLE [DUMP]]\n");
	return 2;
}
