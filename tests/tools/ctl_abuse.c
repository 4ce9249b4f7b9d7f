/* SPDX-License-Identifier: GPL-2.0-only */
/* ctl_abuse.c — abuse a running tsnd through its control socket and check that it
 * answers every misbehaviour as docs/control-protocol.md says, and still answers
 * `hello` afterwards.
 *
 * Usage: ctl_abuse --socket PATH [--timeout-s N] [--margin-s N] [--daemon-timeout-s N]
 *                  [--max-request N] [--max-clients N] [--io-timeout-s N] [--rapid N]
 *                  [--only NAME]
 *
 * The daemon's control.timeout, max-request and max-clients are read from its
 * config.show unless given (--daemon-timeout-s, --max-request, --max-clients).
 * Give tsnd a short control.timeout (1-2 s): the deadline tests wait for it.
 * --timeout-s N bounds that wait: a deadline must act within N + --margin-s
 * seconds (default N: the daemon's control.timeout; raise it under valgrind).
 * --io-timeout-s is how long any single reply may take.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <json.h>

#include "tsn/ctl_proto.h"

static struct {
	const char *socket;
	double timeout_s;	/* how long a deadline may take to act (plus margin_s) */
	double daemon_timeout_s;	/* the daemon's control.timeout */
	double margin_s;
	double io_timeout_s;
	long max_request;
	long max_clients;
	long rapid;
	const char *only;	/* run only the cases whose name contains this */
} opt = { .timeout_s = -1, .daemon_timeout_s = -1, .margin_s = 3, .io_timeout_s = 10, .max_request = -1,
	  .max_clients = -1, .rapid = 1000 };

/* ---- a client connection ---- */

struct client {
	int fd;
	struct tsn_ctl_framer in;
	uint64_t next_id;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int io_timeout_ms(void)
{
	return (int)(opt.io_timeout_s * 1000);
}

/* How long to wait for a connection deadline to act. */
static int deadline_wait_ms(void)
{
	return (int)((opt.timeout_s + opt.margin_s) * 1000);
}

static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", opt.socket);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static bool client_open(struct client *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = raw_connect();
	tsn_ctl_framer_init(&c->in, TSN_CTL_MAX_RESPONSE);
	c->next_id = 1;
	return c->fd >= 0;
}

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	tsn_ctl_framer_free(&c->in);
}

/* Send everything; errors (the daemon may close first) are the caller's to judge. */
static int send_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_str(struct client *c, const char *s)
{
	return send_all(c->fd, s, strlen(s));
}

enum read_result { READ_LINE, READ_EOF, READ_TIMEOUT, READ_ERROR };

/* Wait up to timeout_ms for one line (malloc'd into *line). */
static enum read_result read_line(struct client *c, char **line, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	char buf[65536];
	size_t len;

	*line = NULL;
	for (;;) {
		const char *l = tsn_ctl_framer_next(&c->in, &len);
		if (l) {
			*line = strndup(l, len);
			return READ_LINE;
		}
		uint64_t now = now_ms();
		if (now >= end)
			return READ_TIMEOUT;
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int rc = poll(&pfd, 1, (int)(end - now));
		if (rc < 0 && errno != EINTR)
			return READ_ERROR;
		if (rc <= 0)
			continue;
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return READ_EOF;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return errno == ECONNRESET ? READ_EOF : READ_ERROR;
		}
		if (tsn_ctl_framer_push(&c->in, buf, (size_t)n) < 0)
			return READ_ERROR;
	}
}

/* Read one response; false if none arrived or it does not decode. */
static bool read_response(struct client *c, struct tsn_ctl_response *resp, int timeout_ms)
{
	char *line, err[256];

	memset(resp, 0, sizeof(*resp));
	enum read_result r = read_line(c, &line, timeout_ms);
	if (r != READ_LINE) {
		fprintf(stderr, "\n    no response: %s\n", r == READ_EOF ? "connection closed" :
			r == READ_TIMEOUT ? "timed out" : strerror(errno));
		return false;
	}
	enum tsn_ctl_code code = tsn_ctl_response_decode(line, strlen(line), resp, err, sizeof(err));
	if (code != TSN_CTL_OK)
		fprintf(stderr, "\n    undecodable response (%s): %.200s\n", err, line);
	free(line);
	return code == TSN_CTL_OK;
}

/* True if the daemon closes the connection without sending anything more. */
static bool expect_eof(struct client *c, int timeout_ms)
{
	char *line;
	enum read_result r = read_line(c, &line, timeout_ms);
	if (r == READ_LINE)
		fprintf(stderr, "\n    unexpected data before close: %.200s\n", line);
	free(line);
	return r == READ_EOF;
}

static bool send_request(struct client *c, const char *command, json_object *args, uint64_t *id)
{
	struct tsn_ctl_request req = { .version = TSN_CTL_PROTOCOL_VERSION, .id = c->next_id++,
				       .args = args };
	size_t len;

	snprintf(req.command, sizeof(req.command), "%s", command);
	char *line = tsn_ctl_request_encode(&req, &len);
	bool ok = line && send_all(c->fd, line, len) == 0;
	free(line);
	if (id)
		*id = req.id;
	return ok;
}

/* One request and its response; the response's id must match. */
static bool call(struct client *c, const char *command, json_object *args, struct tsn_ctl_response *resp)
{
	uint64_t id;

	memset(resp, 0, sizeof(*resp));
	if (!send_request(c, command, args, &id))
		return false;
	if (!read_response(c, resp, io_timeout_ms()))
		return false;
	/* Replies that end a connection (busy, timeout, too-large) carry id 0. */
	if (resp->id != id && !(resp->id == 0 && (resp->code == TSN_CTL_E_BUSY ||
						   resp->code == TSN_CTL_E_TIMEOUT ||
						   resp->code == TSN_CTL_E_TOO_LARGE))) {
		fprintf(stderr, "\n    response id %llu for request %llu\n", (unsigned long long)resp->id,
			(unsigned long long)id);
		return false;
	}
	return true;
}

static bool hello_ok(struct client *c)
{
	struct tsn_ctl_response resp;
	bool ok = call(c, "hello", NULL, &resp) && resp.code == TSN_CTL_OK;
	json_object *proto;
	ok = ok && resp.data && json_object_object_get_ex(resp.data, "protocol", &proto) &&
	     json_object_get_int(proto) == TSN_CTL_PROTOCOL_VERSION;
	tsn_ctl_response_release(&resp);
	return ok;
}

/* The daemon still answers hello on a new connection.  A "busy" may come from
 * connections it has not yet seen closing, so that is retried for a while. */
static bool daemon_alive(void)
{
	uint64_t end = now_ms() + (uint64_t)io_timeout_ms();

	do {
		struct client c;
		struct tsn_ctl_response resp;
		if (client_open(&c)) {
			bool answered = call(&c, "hello", NULL, &resp);
			bool ok = answered && resp.code == TSN_CTL_OK;
			bool busy = answered && resp.code == TSN_CTL_E_BUSY;
			tsn_ctl_response_release(&resp);
			client_close(&c);
			if (ok)
				return true;
			if (answered && !busy)
				return false;
		} else {
			client_close(&c);
			if (errno != EAGAIN && errno != ECONNREFUSED) {
				fprintf(stderr, "\n    connect %s: %s\n", opt.socket, strerror(errno));
				return false;
			}
		}
		usleep(20000);
	} while (now_ms() < end);
	fprintf(stderr, "\n    tsnd did not answer hello within %.0f s\n", opt.io_timeout_s);
	return false;
}

/* Expect exactly one reply with `code` on c. */
static bool expect_code(struct client *c, enum tsn_ctl_code code)
{
	struct tsn_ctl_response resp;
	bool got = read_response(c, &resp, io_timeout_ms());
	if (got && resp.code != code)
		fprintf(stderr, "\n    expected %s, got %s: %s\n", tsn_ctl_code_name(code),
			tsn_ctl_code_name(resp.code), resp.message);
	/* Every error says why in its message. */
	bool ok = got && resp.code == code && (code == TSN_CTL_OK || resp.message[0]);
	tsn_ctl_response_release(&resp);
	return ok;
}

/* ---- the cases ---- */

static void test_hello(void)
{
	struct client c;
	struct tsn_ctl_response resp;
	json_object *v;

	CU_ASSERT_TRUE_FATAL(client_open(&c));
	CU_ASSERT_TRUE_FATAL(call(&c, "hello", NULL, &resp));
	CU_ASSERT_EQUAL(resp.code, TSN_CTL_OK);
	CU_ASSERT_TRUE(json_object_object_get_ex(resp.data, "protocol", &v) &&
		       json_object_get_int(v) == TSN_CTL_PROTOCOL_VERSION);
	CU_ASSERT_TRUE(json_object_object_get_ex(resp.data, "version", &v) &&
		       json_object_is_type(v, json_type_string));
	tsn_ctl_response_release(&resp);
	/* Several requests on one connection. */
	CU_ASSERT_TRUE(hello_ok(&c));
	CU_ASSERT_TRUE(hello_ok(&c));
	client_close(&c);
}

static void test_garbage_bytes(void)
{
	struct client c;
	unsigned seed = 12345;
	char junk[2048];

	CU_ASSERT_TRUE_FATAL(client_open(&c));
	for (int round = 0; round < 5; round++) {
		for (size_t i = 0; i < sizeof(junk) - 1; i++) {
			char ch = (char)(rand_r(&seed) & 0xff);
			junk[i] = ch == '\n' ? 0 : ch;	/* NULs and high bytes included */
		}
		junk[sizeof(junk) - 1] = '\n';
		CU_ASSERT_EQUAL_FATAL(send_all(c.fd, junk, sizeof(junk)), 0);
		CU_ASSERT_TRUE(expect_code(&c, TSN_CTL_E_MALFORMED));
	}
	/* A malformed request does not end the connection. */
	CU_ASSERT_TRUE(hello_ok(&c));
	/* An empty line and a NUL-only line are malformed too. */
	CU_ASSERT_EQUAL(send_all(c.fd, "\n\0\n", 3), 0);
	CU_ASSERT_TRUE(expect_code(&c, TSN_CTL_E_MALFORMED));
	CU_ASSERT_TRUE(expect_code(&c, TSN_CTL_E_MALFORMED));
	CU_ASSERT_TRUE(hello_ok(&c));
	client_close(&c);
	CU_ASSERT_TRUE(daemon_alive());
}

static void test_non_object_json(void)
{
	static const char *const lines[] = {
		"[1,2,3]\n", "42\n", "\"hello\"\n", "null\n", "true\n",
		"{\"version\":1,\"id\":1}\n",					/* no command */
		"{\"version\":1,\"id\":-3,\"command\":\"hello\"}\n",
		"{\"version\":1,\"id\":1,\"command\":\"hello\",\"args\":[1]}\n",
		"{\"version\":1,\"id\":1,\"command\":\"hello\"} trailing\n",
	};
	struct client c;

	CU_ASSERT_TRUE_FATAL(client_open(&c));
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(send_str(&c, lines[i]), 0);
		CU_ASSERT_TRUE(expect_code(&c, TSN_CTL_E_MALFORMED));
	}
	CU_ASSERT_TRUE(hello_ok(&c));
	client_close(&c);
	CU_ASSERT_TRUE(daemon_alive());
}

/* A hello request padded with JSON whitespace to exactly `total` bytes with '\n'. */
static char *padded_hello(size_t total)
{
	const char *head = "{\"version\":1,\"id\":99,\"command\":\"hello\"";
	size_t hl = strlen(head);
	if (total < hl + 2)
		return NULL;
	char *buf = malloc(total + 1);
	if (!buf)
		return NULL;
	memcpy(buf, head, hl);
	memset(buf + hl, ' ', total - hl - 2);
	buf[total - 2] = '}';
	buf[total - 1] = '\n';
	buf[total] = '\0';
	return buf;
}

static void test_request_at_limit(void)
{
	struct client c;
	char *line = padded_hello((size_t)opt.max_request);

	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_TRUE_FATAL(client_open(&c));
	CU_ASSERT_EQUAL(send_str(&c, line), 0);
	CU_ASSERT_TRUE(expect_code(&c, TSN_CTL_OK));
	CU_ASSERT_TRUE(hello_ok(&c));	/* and the connection stays open */
	free(line);
	client_close(&c);
}

static void test_oversized_request(void)
{
	struct client c;

	/* One byte over the limit, newline included. */
	char *line = padded_hello((size_t)opt.max_request + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_TRUE_FATAL(client_open(&c));
	send_str(&c, line);	/* the daemon may close before it has read it all */
	CU_ASSERT_TRUE(expect_code(&c, TSN_CTL_E_TOO_LARGE));
	CU_ASSERT_TRUE(expect_eof(&c, io_timeout_ms()));
	free(line);
	client_close(&c);

	/* Far over, with no newline at all: detected without waiting for one. */
	size_t big = (size_t)opt.max_request * 4 + 100;
	char *blob = malloc(big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	memset(blob, 'a', big);
	CU_ASSERT_TRUE_FATAL(client_open(&c));
	send_all(c.fd, blob, big);
	CU_ASSERT_TRUE(expect_code(&c, TSN_CTL_E_TOO_LARGE));
	CU_ASSERT_TRUE(expect_eof(&c, io_timeout_ms()));
	client_close(&c);
	free(blob);
	CU_ASSERT_TRUE(daemon_alive());
}

static void test_half_sent_then_silence(void)
{
	struct client c;
	struct tsn_ctl_response resp;
	int wait_ms = deadline_wait_ms();

	CU_ASSERT_TRUE_FATAL(client_open(&c));
	uint64_t start = now_ms();
	CU_ASSERT_EQUAL(send_str(&c, "{\"version\":1,\"id\":5,\"comm"), 0);
	CU_ASSERT_TRUE(read_response(&c, &resp, wait_ms));
	uint64_t elapsed = now_ms() - start;
	CU_ASSERT_EQUAL(resp.code, TSN_CTL_E_TIMEOUT);
	tsn_ctl_response_release(&resp);
	CU_ASSERT_TRUE(expect_eof(&c, io_timeout_ms()));
	/* Not before the deadline either (half a second of slack for scheduling). */
	CU_ASSERT(elapsed + 500 >= (uint64_t)(opt.daemon_timeout_s * 1000));
	client_close(&c);
	CU_ASSERT_TRUE(daemon_alive());
}

static void test_idle_connection(void)
{
	struct client c;
	int wait_ms = deadline_wait_ms();

	CU_ASSERT_TRUE_FATAL(client_open(&c));
	/* An idle connection is closed quietly at its deadline. */
	CU_ASSERT_TRUE(expect_eof(&c, wait_ms));
	client_close(&c);

	/* The deadline restarts after each complete request. */
	CU_ASSERT_TRUE_FATAL(client_open(&c));
	int step_ms = (int)(opt.daemon_timeout_s * 1000 / 2);
	for (int i = 0; i < 3; i++) {
		usleep((useconds_t)step_ms * 1000);
		CU_ASSERT_TRUE(hello_ok(&c));
	}
	client_close(&c);
	CU_ASSERT_TRUE(daemon_alive());
}

static void test_half_sent_then_eof(void)
{
	struct client c;

	CU_ASSERT_TRUE_FATAL(client_open(&c));
	CU_ASSERT_EQUAL(send_str(&c, "{\"version\":1,\"id\":6,\"command\":\"sta"), 0);
	CU_ASSERT_EQUAL(shutdown(c.fd, SHUT_WR), 0);
	/* Closed quietly: a daemon that waited for the deadline instead would send a
	 * timeout reply first, which expect_eof() refuses. */
	CU_ASSERT_TRUE(expect_eof(&c, io_timeout_ms()));
	client_close(&c);
	CU_ASSERT_TRUE(daemon_alive());
}

static void test_request_then_eof(void)
{
	struct client c;

	/* What `echo ... | socat - UNIX-CONNECT:...` does: send, shut down, read. */
	CU_ASSERT_TRUE_FATAL(client_open(&c));
	CU_ASSERT_TRUE(send_request(&c, "hello", NULL, NULL));
	CU_ASSERT_TRUE(send_request(&c, "status", NULL, NULL));
	CU_ASSERT_EQUAL(shutdown(c.fd, SHUT_WR), 0);
	CU_ASSERT_TRUE(expect_code(&c, TSN_CTL_OK));
	CU_ASSERT_TRUE(expect_code(&c, TSN_CTL_OK));
	CU_ASSERT_TRUE(expect_eof(&c, io_timeout_ms()));
	client_close(&c);
}

static void test_too_many_clients(void)
{
	size_t n = (size_t)opt.max_clients;
	struct client *cs = calloc(n, sizeof(*cs));
	struct client extra;
	size_t opened = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cs);
	/* Fill every slot; a hello on each proves the daemon has accepted it.  The
	 * daemon may still be closing earlier tests' connections: retry on busy. */
	for (; opened < n; opened++) {
		bool ok = false;
		for (int attempt = 0; attempt < 100 && !ok; attempt++) {
			struct tsn_ctl_response resp;
			if (!client_open(&cs[opened]))
				break;
			ok = call(&cs[opened], "hello", NULL, &resp) && resp.code == TSN_CTL_OK;
			tsn_ctl_response_release(&resp);
			if (!ok) {
				client_close(&cs[opened]);
				usleep(20000);
			}
		}
		CU_ASSERT_TRUE(ok);
		if (!ok)
			break;
	}
	if (opened == n) {
		CU_ASSERT_TRUE(client_open(&extra));
		CU_ASSERT_TRUE(expect_code(&extra, TSN_CTL_E_BUSY));
		CU_ASSERT_TRUE(expect_eof(&extra, io_timeout_ms()));
		client_close(&extra);
		/* The connections already in are not disturbed. */
		CU_ASSERT_TRUE(hello_ok(&cs[0]));
		CU_ASSERT_TRUE(hello_ok(&cs[n - 1]));
	}
	for (size_t i = 0; i < opened; i++)
		client_close(&cs[i]);
	free(cs);
	CU_ASSERT_TRUE(daemon_alive());
}

static void test_client_not_reading(void)
{
	struct client c, other;
	const char *req = "{\"version\":1,\"id\":1,\"command\":\"status\"}\n";
	size_t len = strlen(req), sent = 0;
	uint64_t stuck_since = 0;

	CU_ASSERT_TRUE_FATAL(client_open(&c));
	fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
	/* Pipeline requests and never read, until the daemon stops taking them for a
	 * second (its reply queue is full and it stopped reading) or 200000 went out. */
	size_t off = 0;
	while (sent < 200000) {
		ssize_t n = send(c.fd, req + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			if (off == len) {
				off = 0;
				sent++;
			}
			stuck_since = 0;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			break;	/* the daemon closed it: also acceptable */
		if (!stuck_since)
			stuck_since = now_ms();
		else if (now_ms() - stuck_since > 1000)
			break;
		usleep(10000);
	}
	/* Meanwhile the daemon serves others promptly. */
	uint64_t start = now_ms();
	CU_ASSERT_TRUE_FATAL(client_open(&other));
	CU_ASSERT_TRUE(hello_ok(&other));
	CU_ASSERT(now_ms() - start < (uint64_t)io_timeout_ms());
	client_close(&other);
	/* The stuck connection is closed by its deadline: reading now drains the
	 * queued replies and then reaches EOF. */
	char buf[65536];
	usleep((useconds_t)((opt.daemon_timeout_s + 0.5) * 1e6));
	uint64_t end = now_ms() + (uint64_t)deadline_wait_ms();
	bool eof = false;
	while (now_ms() < end) {
		struct pollfd pfd = { .fd = c.fd, .events = POLLIN };
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			eof = true;
			break;
		}
	}
	CU_ASSERT_TRUE(eof);
	client_close(&c);
	CU_ASSERT_TRUE(daemon_alive());
}

static void test_pipelined_requests(void)
{
	struct client c;
	char batch[50 * 64], *p = batch;

	for (int i = 1; i <= 50; i++)
		p += sprintf(p, "{\"version\":1,\"id\":%d,\"command\":\"hello\"}\n", 1000 + i);
	CU_ASSERT_TRUE_FATAL(client_open(&c));
	CU_ASSERT_EQUAL(send_all(c.fd, batch, (size_t)(p - batch)), 0);
	for (int i = 1; i <= 50; i++) {
		struct tsn_ctl_response resp;
		CU_ASSERT_TRUE_FATAL(read_response(&c, &resp, io_timeout_ms()));
		CU_ASSERT_EQUAL(resp.id, (uint64_t)(1000 + i));	/* in order */
		CU_ASSERT_EQUAL(resp.code, TSN_CTL_OK);
		tsn_ctl_response_release(&resp);
	}
	client_close(&c);
}

static void test_unknown_command(void)
{
	struct client c;
	struct tsn_ctl_response resp;

	CU_ASSERT_TRUE_FATAL(client_open(&c));
	CU_ASSERT_TRUE(call(&c, "no.such.command", NULL, &resp));
	CU_ASSERT_EQUAL(resp.code, TSN_CTL_E_UNKNOWN_COMMAND);
	CU_ASSERT_PTR_NOT_NULL(strstr(resp.message, "hello"));	/* it lists what exists */
	tsn_ctl_response_release(&resp);
	/* A command name full of control characters. */
	CU_ASSERT_EQUAL(send_str(&c, "{\"version\":1,\"id\":2,\"command\":\"\\u0001\\n\\u001b[2J\"}\n"), 0);
	CU_ASSERT_TRUE(expect_code(&c, TSN_CTL_E_UNKNOWN_COMMAND));
	/* Unknown arguments of a known command. */
	json_object *args = json_object_new_object();
	json_object_object_add(args, "bogus", json_object_new_int(1));
	CU_ASSERT_TRUE(call(&c, "status", args, &resp));
	CU_ASSERT_EQUAL(resp.code, TSN_CTL_E_INVALID_ARGUMENT);
	tsn_ctl_response_release(&resp);
	json_object_put(args);
	/* A port that is not configured. */
	args = json_object_new_object();
	json_object_object_add(args, "dev", json_object_new_string("no-such-port0"));
	CU_ASSERT_TRUE(call(&c, "port.show", args, &resp));
	CU_ASSERT_EQUAL(resp.code, TSN_CTL_E_NOT_FOUND);
	tsn_ctl_response_release(&resp);
	json_object_put(args);
	CU_ASSERT_TRUE(hello_ok(&c));
	client_close(&c);
	CU_ASSERT_TRUE(daemon_alive());
}

static void test_wrong_version(void)
{
	struct client c;
	struct tsn_ctl_response resp;

	CU_ASSERT_TRUE_FATAL(client_open(&c));
	CU_ASSERT_EQUAL(send_str(&c, "{\"version\":2,\"id\":31,\"command\":\"hello\"}\n"), 0);
	CU_ASSERT_TRUE_FATAL(read_response(&c, &resp, io_timeout_ms()));
	CU_ASSERT_EQUAL(resp.code, TSN_CTL_E_VERSION);
	CU_ASSERT_EQUAL(resp.id, 31);
	tsn_ctl_response_release(&resp);
	CU_ASSERT_EQUAL(send_str(&c, "{\"version\":0,\"id\":32,\"command\":\"hello\"}\n"), 0);
	CU_ASSERT_TRUE(expect_code(&c, TSN_CTL_E_VERSION));
	CU_ASSERT_TRUE(hello_ok(&c));
	client_close(&c);
	CU_ASSERT_TRUE(daemon_alive());
}

static void test_rapid_connects(void)
{
	long refused = 0;

	for (long i = 0; i < opt.rapid; i++) {
		int fd = raw_connect();
		if (fd < 0) {
			/* A full accept backlog refuses with EAGAIN: back off a little. */
			refused++;
			usleep(1000);
			continue;
		}
		switch (i % 4) {
		case 1:
			send_all(fd, "{\"version\":1,", 13);
			break;
		case 2:
			send_all(fd, "{\"version\":1,\"id\":1,\"command\":\"hello\"}\n", 40);
			break;
		case 3:
			/* close with unread data in our receive queue */
			send_all(fd, "{\"version\":1,\"id\":1,\"command\":\"status\"}\n", 41);
			usleep(100);
			break;
		}
		close(fd);
	}
	CU_ASSERT(refused < opt.rapid / 2);
	CU_ASSERT_TRUE(daemon_alive());
}

/* As nobody: the socket's mode keeps us out, or every command is refused. */
enum { UNPRIV_REFUSED = 0, UNPRIV_NO_ACCESS = 20 };

static int unprivileged_client(void)
{
	static const char *const commands[] = { "hello", "config.reload", "no.such.command" };
	struct client c;
	struct tsn_ctl_response resp;

	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		return 10;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		bool busy;
		int attempts = 0;
		do {
			if (!client_open(&c))
				return errno == EACCES ? UNPRIV_NO_ACCESS : 11;
			if (!call(&c, commands[i], NULL, &resp))
				return 12;
			busy = resp.code == TSN_CTL_E_BUSY;
			client_close(&c);
			if (busy)
				usleep(20000);
		} while (busy && ++attempts < 100);
		/* Refused alike, so that command names cannot be probed either. */
		enum tsn_ctl_code code = resp.code;
		tsn_ctl_response_release(&resp);
		if (code != TSN_CTL_E_PERMISSION)
			return 13 + (int)i;
	}
	return UNPRIV_REFUSED;
}

static void test_unprivileged_peer(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "\n    (not root: cannot switch to an unprivileged user; skipped)\n");
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(unprivileged_client());
	int status = 0;
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (rc == UNPRIV_NO_ACCESS)
		fprintf(stderr, "\n    (uid 65534 cannot connect: the socket's mode keeps it out) ");
	else if (rc == UNPRIV_REFUSED)
		fprintf(stderr, "\n    (uid 65534 connected; every command was refused) ");
	else
		fprintf(stderr, "\n    unprivileged client failed at step %d\n", rc);
	CU_ASSERT_TRUE(rc == UNPRIV_REFUSED || rc == UNPRIV_NO_ACCESS);
	CU_ASSERT_TRUE(daemon_alive());
}

/* ---- set-up ---- */

/* "2s", "500ms", "1500000us", "100ns" -> seconds; -1 if unreadable. */
static double parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s)
		return -1;
	if (!strcmp(end, "s"))
		return v;
	if (!strcmp(end, "ms"))
		return v / 1e3;
	if (!strcmp(end, "us"))
		return v / 1e6;
	if (!strcmp(end, "ns") || !*end)
		return v / 1e9;
	return -1;
}

/* Fill in the limits not given on the command line from config.show. */
static bool discover_limits(void)
{
	struct client c;
	struct tsn_ctl_response resp;
	json_object *config, *control, *v;

	if (opt.daemon_timeout_s >= 0 && opt.max_request > 0 && opt.max_clients > 0)
		goto done;
	if (!client_open(&c)) {
		fprintf(stderr, "ctl_abuse: cannot connect to %s: %s\n", opt.socket, strerror(errno));
		client_close(&c);
		return false;
	}
	bool ok = call(&c, "config.show", NULL, &resp) && resp.code == TSN_CTL_OK &&
		  json_object_object_get_ex(resp.data, "config", &config) &&
		  json_object_object_get_ex(config, "control", &control);
	if (ok) {
		if (opt.max_request <= 0 && json_object_object_get_ex(control, "max-request", &v)) {
			opt.max_request = json_object_get_int64(v);
			/* Root is an admin peer: its lines may be longer (ctl_proto.h). */
			if (geteuid() == 0 && opt.max_request < (long)TSN_CTL_ADMIN_MAX_REQUEST)
				opt.max_request = TSN_CTL_ADMIN_MAX_REQUEST;
		}
		if (opt.max_clients <= 0 && json_object_object_get_ex(control, "max-clients", &v))
			opt.max_clients = json_object_get_int64(v);
		if (opt.daemon_timeout_s < 0 && json_object_object_get_ex(control, "timeout", &v))
			opt.daemon_timeout_s = json_object_is_type(v, json_type_string)
				? parse_duration(json_object_get_string(v))
				: json_object_get_double(v) / 1e9;
	}
	tsn_ctl_response_release(&resp);
	client_close(&c);
	if (opt.max_request <= 0 || opt.max_clients <= 0 || opt.daemon_timeout_s < 0) {
		fprintf(stderr, "ctl_abuse: cannot learn the daemon's control limits from config.show; "
			"give --daemon-timeout-s, --max-request and --max-clients\n");
		return false;
	}
done:
	if (opt.timeout_s < opt.daemon_timeout_s)
		opt.timeout_s = opt.daemon_timeout_s;
	return true;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: ctl_abuse --socket PATH [--timeout-s N] [--margin-s N] [--max-request N]\n"
		     "                 [--max-clients N] [--io-timeout-s N] [--rapid N]\n");
}

static int parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout-s", required_argument, NULL, 't' },
		{ "daemon-timeout-s", required_argument, NULL, 'd' },
		{ "margin-s", required_argument, NULL, 'm' },
		{ "max-request", required_argument, NULL, 'r' },
		{ "max-clients", required_argument, NULL, 'c' },
		{ "io-timeout-s", required_argument, NULL, 'i' },
		{ "rapid", required_argument, NULL, 'n' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': opt.socket = optarg; break;
		case 't': opt.timeout_s = atof(optarg); break;
		case 'd': opt.daemon_timeout_s = atof(optarg); break;
		case 'm': opt.margin_s = atof(optarg); break;
		case 'r': opt.max_request = atol(optarg); break;
		case 'c': opt.max_clients = atol(optarg); break;
		case 'i': opt.io_timeout_s = atof(optarg); break;
		case 'n': opt.rapid = atol(optarg); break;
		case 'o': opt.only = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (!opt.socket || optind < argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "hello", test_hello },
		{ "garbage bytes", test_garbage_bytes },
		{ "non-object and malformed JSON", test_non_object_json },
		{ "request of exactly max-request bytes", test_request_at_limit },
		{ "oversized request", test_oversized_request },
		{ "half-sent request then silence", test_half_sent_then_silence },
		{ "idle connection", test_idle_connection },
		{ "half-sent request then EOF", test_half_sent_then_eof },
		{ "requests then EOF", test_request_then_eof },
		{ "more than max-clients connections", test_too_many_clients },
		{ "client that does not read", test_client_not_reading },
		{ "pipelined requests", test_pipelined_requests },
		{ "unknown command and arguments", test_unknown_command },
		{ "wrong protocol version", test_wrong_version },
		{ "rapid connect/disconnect", test_rapid_connects },
		{ "unprivileged peer", test_unprivileged_peer },
	};

	if (parse_args(argc, argv) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (!discover_limits())
		return 1;
	printf("ctl_abuse: %s: control.timeout %.3f s (deadlines may take %.1f s), max-request %ld, "
	       "max-clients %ld\n", opt.socket, opt.daemon_timeout_s, opt.timeout_s + opt.margin_s,
	       opt.max_request, opt.max_clients);

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	CU_pSuite suite = CU_add_suite("ctl_abuse", NULL, NULL);
	if (!suite) {
		CU_cleanup_registry();
		return 1;
	}
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (opt.only && !strstr(tests[i].name, opt.only))
			continue;
		if (!CU_add_test(suite, tests[i].name, tests[i].fn)) {
			CU_cleanup_registry();
			return 1;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
