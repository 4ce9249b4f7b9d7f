/* SPDX-License-Identifier: GPL-2.0-only */
/* client.c — one request/response exchange over the tsnd control socket.
 *
 * Everything after connect() is non-blocking and driven by poll() against one
 * deadline, so a daemon that accepts but never answers (or answers half a line)
 * cannot hang tsnctl.  connect() itself is bounded by SO_SNDTIMEO: on Linux a
 * UNIX stream connect to a full backlog waits that long, then fails with EAGAIN. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

#define RECV_CHUNK 65536

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ms_until(int64_t deadline)
{
	int64_t left = deadline - monotonic_ms();
	return left > 0 ? (int)left : 0;
}

static int fail(struct client_error *err, enum client_failure kind, int errnum,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct client_error *err, enum client_failure kind, int errnum,
		const char *fmt, ...)
{
	va_list ap;

	err->kind = kind;
	err->errnum = errnum;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return -1;
}

static int fail_timeout(struct client_error *err, int timeout_ms, const char *what)
{
	if (timeout_ms % 1000 == 0)
		return fail(err, CLIENT_TIMEOUT, ETIMEDOUT, "%s within %d s", what, timeout_ms / 1000);
	return fail(err, CLIENT_TIMEOUT, ETIMEDOUT, "%s within %.3g s", what, timeout_ms / 1000.0);
}

/* An id that differs between runs, so an answer meant for another client (or a
 * stale one) is recognised. */
static uint64_t new_request_id(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)getpid() << 32 ^ (uint64_t)ts.tv_sec << 20 ^ (uint64_t)ts.tv_nsec) & TSN_CTL_ID_MAX;
}

static int connect_socket(const char *path, int timeout_ms, struct client_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(err, CLIENT_CONNECT, ENAMETOOLONG,
			    "socket path is %zu bytes long, at most %zu are allowed",
			    strlen(path), sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, CLIENT_CONNECT, errno, "socket: %s", strerror(errno));

	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		if (e == EINTR)
			continue;
		if (e == EISCONN)	/* an interrupted attempt completed after all */
			break;
		close(fd);
		if (e == EAGAIN)
			return fail_timeout(err, timeout_ms, "tsnd did not accept the connection");
		return fail(err, CLIENT_CONNECT, e, "%s", strerror(e));
	}

	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return fail(err, CLIENT_CONNECT, e, "fcntl O_NONBLOCK: %s", strerror(e));
	}
	return fd;
}

/* Wait until fd is ready for `events` or the deadline passes.  Returns 1 if ready,
 * 0 on timeout, -1 on a poll failure other than EINTR. */
static int wait_for(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		int n = poll(&pfd, 1, ms_until(deadline));
		if (n >= 0)
			return n > 0;
		if (errno != EINTR)
			return -1;
	}
}

/* Write all of buf.  Returns 0, or -1 with errno set (ETIMEDOUT at the deadline). */
static int send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	size_t off = 0;

	while (off < len) {
		int ready = wait_for(fd, POLLOUT, deadline);
		if (ready <= 0) {
			if (ready == 0)
				errno = ETIMEDOUT;
			return -1;
		}
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* Read until one complete line is buffered in f.  send_errno is the error a
 * preceding send failed with (0 if none): the daemon may have answered and closed
 * before reading the whole request (busy, too-large), so its answer is still
 * worth reading, and the send error is only reported if no answer arrives. */
static int recv_line(int fd, struct tsn_ctl_framer *f, int64_t deadline, int timeout_ms,
		     int send_errno, const char **line, size_t *len, struct client_error *err)
{
	char *chunk = malloc(RECV_CHUNK);
	int ret = -1;

	*line = NULL;
	if (!chunk)
		return fail(err, CLIENT_PROTOCOL, ENOMEM, "out of memory reading the answer");
	while (!(*line = tsn_ctl_framer_next(f, len))) {
		int ready = wait_for(fd, POLLIN, deadline);
		if (ready < 0) {
			fail(err, CLIENT_PROTOCOL, errno, "poll: %s", strerror(errno));
			goto out;
		}
		if (ready == 0) {
			fail_timeout(err, timeout_ms, "no answer from tsnd");
			goto out;
		}
		ssize_t n = recv(fd, chunk, RECV_CHUNK, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			fail(err, CLIENT_PROTOCOL, errno, "reading the answer: %s", strerror(errno));
			goto out;
		}
		if (n == 0) {
			if (tsn_ctl_framer_pending(f))
				fail(err, CLIENT_PROTOCOL, 0,
				     "tsnd closed the connection in the middle of its answer");
			else if (send_errno)
				fail(err, CLIENT_PROTOCOL, send_errno, "sending the request: %s",
				     strerror(send_errno));
			else
				fail(err, CLIENT_PROTOCOL, 0,
				     "tsnd closed the connection without answering");
			goto out;
		}
		if (tsn_ctl_framer_push(f, chunk, (size_t)n) < 0) {
			if (f->overflow)
				fail(err, CLIENT_PROTOCOL, EMSGSIZE,
				     "the answer is longer than the %u bytes a client accepts",
				     TSN_CTL_MAX_RESPONSE);
			else
				fail(err, CLIENT_PROTOCOL, errno, "out of memory reading the answer");
			goto out;
		}
	}
	ret = 0;
out:
	free(chunk);
	return ret;
}

int client_request(const char *socket_path, int timeout_ms, const char *command,
		   json_object *args, struct tsn_ctl_response *resp, struct client_error *err)
{
	struct tsn_ctl_request req = {
		.version = TSN_CTL_PROTOCOL_VERSION,
		.id = new_request_id(),
		.args = args,
	};
	struct tsn_ctl_framer framer;
	const char *line = NULL;
	size_t len;
	int ret = -1;

	memset(resp, 0, sizeof(*resp));
	memset(err, 0, sizeof(*err));
	if (strlen(command) >= sizeof(req.command))
		return fail(err, CLIENT_PROTOCOL, EINVAL, "command name \"%s\" is too long", command);
	strcpy(req.command, command);

	int64_t deadline = monotonic_ms() + timeout_ms;
	int fd = connect_socket(socket_path, timeout_ms, err);
	if (fd < 0)
		return -1;

	tsn_ctl_framer_init(&framer, TSN_CTL_MAX_RESPONSE);
	char *msg = tsn_ctl_request_encode(&req, &len);
	if (!msg) {
		fail(err, CLIENT_PROTOCOL, ENOMEM, "out of memory encoding the request");
		goto out;
	}

	int send_errno = 0;
	if (send_all(fd, msg, len, deadline) < 0) {
		if (errno == ETIMEDOUT) {
			fail_timeout(err, timeout_ms, "tsnd did not read the request");
			goto out;
		}
		if (errno != EPIPE && errno != ECONNRESET) {
			fail(err, CLIENT_PROTOCOL, errno, "sending the request: %s", strerror(errno));
			goto out;
		}
		send_errno = errno;
	}

	if (recv_line(fd, &framer, deadline, timeout_ms, send_errno, &line, &len, err) < 0)
		goto out;

	char why[256];
	if (tsn_ctl_response_decode(line, len, resp, why, sizeof(why)) != TSN_CTL_OK) {
		fail(err, CLIENT_PROTOCOL, EBADMSG, "garbled answer from tsnd: %s", why);
		goto out;
	}
	/* Busy, too-large and timeout replies come before tsnd read the request's id:
	 * they carry id 0 (docs/control-protocol.md) and are tsnd's answer all the
	 * same, with their own exit status. */
	bool connection_level = resp->id == 0 && (resp->code == TSN_CTL_E_BUSY ||
						  resp->code == TSN_CTL_E_TOO_LARGE ||
						  resp->code == TSN_CTL_E_TIMEOUT);
	if (resp->id != req.id && !connection_level) {
		fail(err, CLIENT_PROTOCOL, EBADMSG,
		     "the answer carries id %llu, the request had id %llu (%s: %s)",
		     (unsigned long long)resp->id, (unsigned long long)req.id,
		     tsn_ctl_code_name(resp->code), resp->message[0] ? resp->message : "no message");
		tsn_ctl_response_release(resp);
		goto out;
	}
	ret = 0;
out:
	free(msg);
	tsn_ctl_framer_free(&framer);
	close(fd);
	return ret;
}
