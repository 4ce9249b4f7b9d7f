/* SPDX-License-Identifier: GPL-2.0-only */
/* ctl_rtt.c — how long tsnd takes to answer control requests, measured inside one
 * process, so that starting a client program is not part of the figure (under
 * the kernel lab's emulation that start costs more than most requests).  Used by
 * `make bench` (tests/kernel-lab/guest/bench.sh).
 *
 *   ctl_rtt SOCKET COMMAND
 *
 * connects to SOCKET, sends {"version":1,"id":1,"command":COMMAND}, waits for the
 * answer line and prints "rtt_us N result NAME" (NAME is the answer's "result"
 * field).  Exit status 0 if the result is "ok", 1 otherwise, 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	if (argc != 3 || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path) ||
	    strpbrk(argv[2], "\"\\\n")) {
		fprintf(stderr, "usage: ctl_rtt SOCKET COMMAND\n");
		return 2;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, argv[1]);

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "ctl_rtt: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}

	char req[256];
	int len = snprintf(req, sizeof(req), "{\"version\":1,\"id\":1,\"command\":\"%s\"}\n", argv[2]);
	static char resp[1 << 20];
	size_t got = 0;

	long long t0 = now_us();
	if (write(fd, req, len) != len) {
		fprintf(stderr, "ctl_rtt: write: %s\n", strerror(errno));
		return 1;
	}
	while (got < sizeof(resp) - 1 && !memchr(resp, '\n', got)) {
		ssize_t n = read(fd, resp + got, sizeof(resp) - 1 - got);
		if (n <= 0) {
			fprintf(stderr, "ctl_rtt: the connection closed before an answer\n");
			return 1;
		}
		got += n;
	}
	long long t1 = now_us();
	close(fd);
	resp[got] = 0;

	/* The "result" field's value; enough of JSON for tsnd's one-line answers. */
	char result[64] = "?";
	const char *r = strstr(resp, "\"result\":\"");
	if (r) {
		r += strlen("\"result\":\"");
		size_t n = strcspn(r, "\"");
		if (n < sizeof(result)) {
			memcpy(result, r, n);
			result[n] = 0;
		}
	}
	printf("rtt_us %lld result %s\n", t1 - t0, result);
	return strcmp(result, "ok") == 0 ? 0 : 1;
}
