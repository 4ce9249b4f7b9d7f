/* SPDX-License-Identifier: GPL-2.0-only */
/* gate_probe.c — talker, listener and analyzer for the kernel lab's gate-timing
 * test (tests/kernel-lab/guest/tests/test_gates.sh).
 *
 *   gate_probe talk    --dst ADDR --port N --prio P[,P...] --interval US --duration MS
 *   gate_probe listen  --port N --duration MS --out FILE
 *   gate_probe analyze --in FILE --base NS --cycle NS --window PRIO:START:END...
 *   gate_probe now tai|realtime|monotonic
 *   gate_probe taprio DEV
 *
 * talk sends small UDP datagrams round-robin on one socket per priority
 * (SO_PRIORITY), so each lands in the taprio traffic class the priority maps to.
 * listen timestamps every arrival with SO_TIMESTAMPNS (CLOCK_REALTIME, taken when
 * the frame enters the receiving stack — on veth that is inside the sender's
 * transmit, right when taprio dequeues it), converts the stamp to CLOCK_TAI with
 * the offset it reads at start, and writes one line "PRIO TAI_NS SEQ" per frame.
 * analyze folds each arrival into the schedule's cycle, (t - base) mod cycle, and
 * counts the frames whose offset lies in their priority's window [START, END).
 * taprio prints the command of every entry of DEV's taprio qdisc as the kernel
 * holds it, read over route netlink with no library ("oper 0 1 0", "admin ..."),
 * and the per-class max SDU ("maxsdu 0 1000 ..." by class), and the dump message's
 * length ("msglen N"): iproute2 6.1 prints
 * set-and-hold and set-and-release entries as "Invalid" and no max SDU at all.
 * Output lines are "key value..." for scripts; exit status 0 unless an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROBE_MAGIC 0x54534e47u	/* "TSNG" */
#define MAX_PRIOS 16

struct probe_frame {
	uint32_t magic;
	uint32_t prio;
	uint64_t seq;
	int64_t tx_tai_ns;
	uint8_t pad[40];	/* a 64-byte payload */
};

struct window {
	unsigned int prio;
	int64_t start, end;	/* [start, end) within the cycle */
};

static const char *prog = "gate_probe";
#include "probe_util.h"

static bool parse_i64(const char *s, int64_t *out)
{
	char *end;

	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

static int64_t need_i64(const char *opt, const char *s, int64_t min, int64_t max)
{
	int64_t v;

	if (!parse_i64(s, &v) || v < min || v > max)
		die("--%s: '%s' is not an integer in %" PRId64 "..%" PRId64, opt, s, min, max);
	return v;
}

static int resolve(const char *host, unsigned int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST };
	struct addrinfo *ai;
	char portstr[12];

	snprintf(portstr, sizeof(portstr), "%u", port);
	if (getaddrinfo(host, portstr, &hints, &ai) != 0)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* ---- talk ---- */

static int cmd_talk(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' },      { "port", required_argument, NULL, 'p' },
		{ "prio", required_argument, NULL, 'P' },     { "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 },
	};
	const char *dst = NULL;
	unsigned int port = 0, nprio = 0, prios[MAX_PRIOS];
	int64_t interval_us = 1000, duration_ms = 1000;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dst = optarg; break;
		case 'p': port = need_i64("port", optarg, 1, 65535); break;
		case 'i': interval_us = need_i64("interval", optarg, 1, 10000000); break;
		case 't': duration_ms = need_i64("duration", optarg, 1, 3600000); break;
		case 'P': {
			char *save = NULL, *list = strdup(optarg);
			for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (nprio == MAX_PRIOS)
					die("--prio: at most %d priorities", MAX_PRIOS);
				prios[nprio++] = need_i64("prio", tok, 0, 15);
			}
			free(list);
			break;
		}
		default: return 2;
		}
	}
	if (!dst || !port || !nprio)
		die("talk needs --dst, --port and --prio");

	struct sockaddr_storage ss;
	socklen_t sslen;
	if (resolve(dst, port, &ss, &sslen) < 0)
		die("--dst: '%s' is not a numeric address", dst);

	int fds[MAX_PRIOS];
	for (unsigned int i = 0; i < nprio; i++) {
		int prio = prios[i];
		fds[i] = socket(ss.ss_family, SOCK_DGRAM, 0);
		if (fds[i] < 0)
			die("socket: %s", strerror(errno));
		if (setsockopt(fds[i], SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)) < 0)
			die("SO_PRIORITY %d: %s", prio, strerror(errno));
	}

	/* Absolute sleeps on CLOCK_MONOTONIC: the send rate does not drift when one
	 * round is late (under emulation rounds are often late). */
	struct probe_frame f = { .magic = htonl(PROBE_MAGIC) };
	struct timespec next;
	uint64_t sent = 0, errors = 0, seq = 0;
	int64_t end = now_ns(CLOCK_MONOTONIC) + duration_ms * 1000000;
	int64_t taioff = tai_offset_ns();

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (now_ns(CLOCK_MONOTONIC) < end) {
		for (unsigned int i = 0; i < nprio; i++) {
			f.prio = htonl(prios[i]);
			f.seq = seq++;
			f.tx_tai_ns = now_ns(CLOCK_REALTIME) + taioff;
			if (sendto(fds[i], &f, sizeof(f), 0, (struct sockaddr *)&ss, sslen) < 0)
				errors++;
			else
				sent++;
		}
		next.tv_nsec += interval_us * 1000;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	for (unsigned int i = 0; i < nprio; i++)
		close(fds[i]);
	printf("talk sent %" PRIu64 " errors %" PRIu64 "\n", sent, errors);
	return 0;
}

/* ---- listen ---- */

static volatile sig_atomic_t stop_listening;

static void on_term(int sig)
{
	(void)sig;
	stop_listening = 1;
}

static int cmd_listen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' }, { "duration", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },  { NULL, 0, NULL, 0 },
	};
	unsigned int port = 0;
	int64_t duration_ms = 1000;
	const char *out = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': port = need_i64("port", optarg, 1, 65535); break;
		case 't': duration_ms = need_i64("duration", optarg, 1, 3600000); break;
		case 'o': out = optarg; break;
		default: return 2;
		}
	}
	if (!port || !out)
		die("listen needs --port and --out");

	FILE *fp = fopen(out, "w");
	if (!fp)
		die("%s: %s", out, strerror(errno));

	/* An IPv6 socket that also takes IPv4 (v4-mapped). */
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), off = 0, on = 1, rcvbuf = 4 << 20;
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0)
		die("SO_TIMESTAMPNS: %s", strerror(errno));
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_ANY_INIT };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind port %u: %s", port, strerror(errno));

	int64_t taioff = tai_offset_ns();
	int64_t end = now_ns(CLOCK_MONOTONIC) + duration_ms * 1000000;
	uint64_t got = 0, bad = 0, nostamp = 0;

	/* SIGTERM ends the listening early with the file complete (the restart
	 * test cannot know in advance how long to listen). */
	struct sigaction term = { .sa_handler = on_term };
	sigaction(SIGTERM, &term, NULL);

	/* Ready: the test starts the talker only after this line. */
	printf("listen ready port %u\n", port);
	fflush(stdout);
	for (;;) {
		int64_t left = end - now_ns(CLOCK_MONOTONIC);
		if (left <= 0 || stop_listening)
			break;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n = poll(&pfd, 1, (int)(left / 1000000) + 1);
		if (n < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (n <= 0)
			continue;

		struct probe_frame f;
		char cbuf[CMSG_SPACE(sizeof(struct timespec))];
		struct iovec iov = { .iov_base = &f, .iov_len = sizeof(f) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		ssize_t len = recvmsg(fd, &mh, MSG_DONTWAIT);
		/* Fallback when the stack gave no stamp: read the clock right here. */
		int64_t rx = now_ns(CLOCK_REALTIME);
		if (len < 0)
			continue;
		if (len != (ssize_t)sizeof(f) || ntohl(f.magic) != PROBE_MAGIC) {
			bad++;
			continue;
		}
		bool stamped = false;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPNS) {
				struct timespec ts;
				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				rx = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
				stamped = true;
			}
		}
		nostamp += !stamped;
		fprintf(fp, "%u %" PRId64 " %" PRIu64 "\n", ntohl(f.prio), rx + taioff, f.seq);
		got++;
	}
	close(fd);
	if (fclose(fp) != 0)
		die("%s: %s", out, strerror(errno));
	printf("listen received %" PRIu64 " malformed %" PRIu64 " unstamped %" PRIu64
	       " tai_offset_ns %" PRId64 "\n", got, bad, nostamp, taioff);
	return 0;
}

/* ---- analyze ---- */

/* (t - base) mod cycle in [0, cycle), exact for any 64-bit t and base. */
static int64_t cycle_offset(int64_t t, int64_t base, int64_t cycle)
{
	/* The difference of two int64 values may not fit: compute in unsigned. */
	uint64_t d = (uint64_t)t - (uint64_t)base;
	bool neg = t < base;
	uint64_t mag = neg ? (uint64_t)base - (uint64_t)t : d;
	uint64_t r = mag % (uint64_t)cycle;

	return (int64_t)(neg && r ? (uint64_t)cycle - r : r);
}

static int cmd_analyze(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "in", required_argument, NULL, 'i' },     { "base", required_argument, NULL, 'b' },
		{ "cycle", required_argument, NULL, 'c' },  { "window", required_argument, NULL, 'w' },
		{ "skip", required_argument, NULL, 's' },   { NULL, 0, NULL, 0 },
	};
	struct window win[MAX_PRIOS];
	unsigned int nwin = 0;
	const char *in = NULL;
	int64_t base = 0, cycle = 0, skip = 0;
	bool have_base = false;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': in = optarg; break;
		case 'b': base = need_i64("base", optarg, INT64_MIN, INT64_MAX); have_base = true; break;
		case 'c': cycle = need_i64("cycle", optarg, 1, INT64_MAX); break;
		case 's': skip = need_i64("skip", optarg, 0, INT64_MAX); break;
		case 'w': {
			int64_t p, s, e;
			char *a = strdup(optarg), *b = strchr(a, ':'), *cc = b ? strchr(b + 1, ':') : NULL;
			if (!b || !cc)
				die("--window: '%s' is not PRIO:START:END", optarg);
			*b++ = 0;
			*cc++ = 0;
			p = need_i64("window", a, 0, 15);
			s = need_i64("window", b, 0, INT64_MAX);
			e = need_i64("window", cc, s + 1, INT64_MAX);
			free(a);
			if (nwin == MAX_PRIOS)
				die("--window: at most %d", MAX_PRIOS);
			win[nwin++] = (struct window){ .prio = p, .start = s, .end = e };
			break;
		}
		default: return 2;
		}
	}
	if (!in || !have_base || !cycle || !nwin)
		die("analyze needs --in, --base, --cycle and at least one --window");

	FILE *fp = fopen(in, "r");
	if (!fp)
		die("%s: %s", in, strerror(errno));

	uint64_t frames[MAX_PRIOS] = { 0 }, inside[MAX_PRIOS] = { 0 }, skipped = 0, unknown = 0;
	int64_t worst[MAX_PRIOS] = { 0 };	/* farthest arrival outside the window, ns */
	uint64_t hist[10] = { 0 };		/* arrivals per tenth of the cycle */
	unsigned int prio;
	int64_t t, first = INT64_MIN;
	uint64_t seq;

	while (fscanf(fp, "%u %" SCNd64 " %" SCNu64, &prio, &t, &seq) == 3) {
		if (first == INT64_MIN)
			first = t;
		/* The first frames may have been queued before the schedule began. */
		if (t - first < skip) {
			skipped++;
			continue;
		}
		struct window *w = NULL;
		for (unsigned int i = 0; i < nwin; i++)
			if (win[i].prio == prio)
				w = &win[i];
		if (!w || prio >= MAX_PRIOS) {
			unknown++;
			continue;
		}
		int64_t o = cycle_offset(t, base, cycle);
		hist[(uint64_t)o * 10 / (uint64_t)cycle]++;
		frames[prio]++;
		if (o >= w->start && o < w->end) {
			inside[prio]++;
		} else {
			/* Distance to the window, going round the cycle either way. */
			int64_t after = o >= w->end ? o - w->end : o + cycle - w->end;
			int64_t before = o < w->start ? w->start - o : w->start + cycle - o;
			int64_t d = after < before ? after : before;
			if (d > worst[prio])
				worst[prio] = d;
		}
	}
	fclose(fp);

	uint64_t tf = 0, ti = 0;
	for (unsigned int i = 0; i < nwin; i++) {
		unsigned int p = win[i].prio;
		printf("prio %u window %" PRId64 ":%" PRId64 " frames %" PRIu64 " inside %" PRIu64
		       " worst_outside_ns %" PRId64 "\n",
		       p, win[i].start, win[i].end, frames[p], inside[p], worst[p]);
		tf += frames[p];
		ti += inside[p];
	}
	printf("histogram");
	for (int i = 0; i < 10; i++)
		printf(" %" PRIu64, hist[i]);
	printf("\n");
	printf("total frames %" PRIu64 " inside %" PRIu64 " share_ppm %" PRIu64 " skipped %" PRIu64
	       " unknown %" PRIu64 "\n",
	       tf, ti, tf ? ti * 1000000 / tf : 0, skipped, unknown);
	return 0;
}

/* ---- now: a clock's reading in ns, for scripts (date has no CLOCK_TAI) ---- */

static int cmd_now(int argc, char **argv)
{
	static const struct {
		const char *name;
		clockid_t id;
	} clocks[] = { { "tai", CLOCK_TAI }, { "realtime", CLOCK_REALTIME }, { "monotonic", CLOCK_MONOTONIC } };

	for (size_t i = 0; argc == 2 && i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		if (strcmp(argv[1], clocks[i].name) == 0) {
			printf("%" PRId64 "\n", now_ns(clocks[i].id));
			return 0;
		}
	}
	die("now: expected tai, realtime or monotonic");
}

/* ---- taprio: entry commands straight from the kernel ---- */

/* Print "maxsdu s0 s1 ..." from the TC_ENTRY nests among the attributes at
 * [a, a + len), by class index (nothing if there are none). */
static void print_max_sdu(const struct rtattr *a, int len)
{
	uint32_t sdu[TC_QOPT_MAX_QUEUE] = { 0 };
	int top = -1;

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if ((a->rta_type & NLA_TYPE_MASK) != TCA_TAPRIO_ATTR_TC_ENTRY)
			continue;
		int flen = RTA_PAYLOAD(a);
		int64_t index = -1, val = 0;
		for (const struct rtattr *f = RTA_DATA(a); RTA_OK(f, flen); f = RTA_NEXT(f, flen)) {
			if ((f->rta_type & NLA_TYPE_MASK) == TCA_TAPRIO_TC_ENTRY_INDEX)
				index = *(const uint32_t *)RTA_DATA(f);
			else if ((f->rta_type & NLA_TYPE_MASK) == TCA_TAPRIO_TC_ENTRY_MAX_SDU)
				val = *(const uint32_t *)RTA_DATA(f);
		}
		if (index >= 0 && index < TC_QOPT_MAX_QUEUE) {
			sdu[index] = val;
			if (index > top)
				top = index;
		}
	}
	if (top < 0)
		return;
	printf("maxsdu");
	for (int i = 0; i <= top; i++)
		printf(" %u", sdu[i]);
	printf("\n");
}

/* Print "NAME c0 c1 ..." for the SCHED_ENTRY_LIST nest among the attributes at
 * [a, a + len). */
static void print_entry_cmds(const char *name, const struct rtattr *a, int len)
{
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if ((a->rta_type & NLA_TYPE_MASK) != TCA_TAPRIO_ATTR_SCHED_ENTRY_LIST)
			continue;
		printf("%s", name);
		int elen = RTA_PAYLOAD(a);
		for (const struct rtattr *e = RTA_DATA(a); RTA_OK(e, elen); e = RTA_NEXT(e, elen)) {
			int flen = RTA_PAYLOAD(e);
			int cmd = -1;
			for (const struct rtattr *f = RTA_DATA(e); RTA_OK(f, flen); f = RTA_NEXT(f, flen))
				if ((f->rta_type & NLA_TYPE_MASK) == TCA_TAPRIO_SCHED_ENTRY_CMD)
					cmd = *(const uint8_t *)RTA_DATA(f);
			printf(" %d", cmd);
		}
		printf("\n");
	}
}

static int cmd_taprio(int argc, char **argv)
{
	if (argc != 2)
		die("taprio: expected a device name");
	unsigned int ifindex = if_nametoindex(argv[1]);
	if (!ifindex)
		die("taprio: no device %s", argv[1]);

	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		die("netlink socket: %s", strerror(errno));
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETQDISC,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex },
	};
	if (send(fd, &req, sizeof(req), 0) < 0)
		die("netlink send: %s", strerror(errno));

	static char buf[1 << 16];
	bool found = false, done = false;
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			die("netlink recv: %s", strerror(errno));
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR)
				die("netlink: the dump failed");
			if (nh->nlmsg_type != RTM_NEWQDISC)
				continue;
			struct tcmsg *tc = NLMSG_DATA(nh);
			if (tc->tcm_ifindex != (int)ifindex)
				continue;
			const struct rtattr *kind = NULL, *opts = NULL;
			int alen = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*tc));
			for (const struct rtattr *a = (const struct rtattr *)(tc + 1); RTA_OK(a, alen);
			     a = RTA_NEXT(a, alen)) {
				if (a->rta_type == TCA_KIND)
					kind = a;
				else if (a->rta_type == TCA_OPTIONS)
					opts = a;
			}
			if (!kind || strcmp(RTA_DATA(kind), "taprio") != 0 || !opts)
				continue;
			found = true;
			printf("msglen %u\n", nh->nlmsg_len);	/* what the dump limit counts */
			print_entry_cmds("oper", RTA_DATA(opts), RTA_PAYLOAD(opts));
			print_max_sdu(RTA_DATA(opts), RTA_PAYLOAD(opts));
			int olen = RTA_PAYLOAD(opts);
			for (const struct rtattr *a = RTA_DATA(opts); RTA_OK(a, olen); a = RTA_NEXT(a, olen))
				if ((a->rta_type & NLA_TYPE_MASK) == TCA_TAPRIO_ATTR_ADMIN_SCHED)
					print_entry_cmds("admin", RTA_DATA(a), RTA_PAYLOAD(a));
		}
	}
	close(fd);
	if (!found)
		die("taprio: %s has no taprio qdisc", argv[1]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s talk|listen|analyze|now|taprio OPTIONS (see the source's header)\n", prog);
		return 2;
	}
	const char *cmd = argv[1];
	argv[1] = argv[0];
	if (strcmp(cmd, "talk") == 0)
		return cmd_talk(argc - 1, argv + 1);
	if (strcmp(cmd, "listen") == 0)
		return cmd_listen(argc - 1, argv + 1);
	if (strcmp(cmd, "analyze") == 0)
		return cmd_analyze(argc - 1, argv + 1);
	if (strcmp(cmd, "now") == 0)
		return cmd_now(argc - 1, argv + 1);
	if (strcmp(cmd, "taprio") == 0)
		return cmd_taprio(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'; expected talk, listen, analyze, now or taprio\n",
		prog, cmd);
	return 2;
}
