/* metrics_http.c — GET /metrics over HTTP/1.0 and 1.1 (API in metrics_http.h).
 *
 * A connection reads one request head (up to METRICS_MAX_REQUEST bytes, ended by an
 * empty line) and gets one response, then tsnd ends its side and closes once the
 * client has closed (or at the deadline): no keep-alive, no request bodies, no
 * chunking.  Answers: 200 for GET or HEAD of /metrics (a query string is
 * ignored), 404 for another path, 405 for another method, 400 for what is not
 * HTTP/1.x, 431 for a head that does not fit, 503 to a connection beyond
 * METRICS_MAX_CLIENTS.  One timer closes connections that have not finished within
 * METRICS_TIMEOUT_NS of their accept (a slow reader included).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evloop.h"
#include "metrics_http.h"
#include "tsn/log.h"
#include "tsn/prom.h"

#define ACCEPTS_PER_WAKEUP 16

struct mconn {
	struct metrics_http *m;
	int fd;
	struct ev_io *io;
	char in[METRICS_MAX_REQUEST];
	size_t in_len;
	char *out;			/* the response: out[out_off..out_len) unsent */
	size_t out_len, out_off;
	uint64_t deadline_ns;
	bool draining;			/* response sent: reading until the client closes */
	struct mconn *next;
};

struct listener {
	int fd;				/* -1: none */
	struct ev_io *io;
	char address[64];
};

struct metrics_http {
	struct evloop *loop;
	metrics_body_fn body;
	void *body_arg;
	struct listener cur, next;	/* serving; prepared by metrics_http_prepare */
	bool prepared;			/* next holds the outcome of prepare */
	bool cur_paused;		/* cur's socket was closed to free its port for next */
	struct ev_timer *timer;
	struct mconn *conns;
	size_t n_conns;
};

/* ---- addresses and sockets ---- */

/* "127.0.0.1:9464" or "[::1]:9464" (the schema checked the syntax already). */
static int parse_address(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	char *end;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || port == 0 || port > 65535)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		size_t hl = strlen(host);
		if (hl < 3 || host[hl - 1] != ']')
			return -1;
		host[hl - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	*len = sizeof(*a);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static int listen_on(const char *address, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1;

	if (parse_address(address, &ss, &sl) < 0) {
		snprintf(err, errlen, "%s is not address:port", address);
		errno = EINVAL;
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot make a socket for %s: %s", address, strerror(errno));
		return -1;
	}
	/* A restarted tsnd must get its port back while old connections linger. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0) {
		int saved = errno;
		snprintf(err, errlen, "cannot listen on %s: %s%s", address, strerror(saved),
			 saved == EACCES ? " (a port below 1024 needs tsnd to be restarted, or another port)" : "");
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static uint16_t address_port(const char *address)
{
	const char *colon = strrchr(address, ':');
	return colon ? (uint16_t)strtoul(colon + 1, NULL, 10) : 0;
}

/* ---- connections ---- */

static void conn_close(struct mconn *c)
{
	struct metrics_http *m = c->m;

	for (struct mconn **pp = &m->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	m->n_conns--;
	evloop_io_del(c->io);
	close(c->fd);
	free(c->out);
	free(c);
}

static void close_all(struct metrics_http *m)
{
	while (m->conns)
		conn_close(m->conns);
}

static void arm_timer(struct metrics_http *m)
{
	uint64_t first = 0;

	for (struct mconn *c = m->conns; c; c = c->next)
		if (!first || c->deadline_ns < first)
			first = c->deadline_ns;
	if (first)
		evloop_timer_arm_at(m->timer, first);
	else
		evloop_timer_disarm(m->timer);
}

static void on_timer(struct evloop *loop, void *arg)
{
	struct metrics_http *m = arg;
	uint64_t now = evloop_now_ns();

	(void)loop;
	for (struct mconn *c = m->conns, *next; c; c = next) {
		next = c->next;
		if (c->deadline_ns <= now) {
			log_debug("metrics: closing a connection that did not finish within %llu s",
				  METRICS_TIMEOUT_NS / 1000000000ull);
			conn_close(c);
		}
	}
	arm_timer(m);
}

/* Write what the socket takes.  Returns 0 while more is to be sent, 1 once all is
 * out (c is then draining), -1 if c was closed. */
static int conn_flush(struct mconn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			conn_close(c);
			return -1;
		}
		c->out_off += (size_t)n;
	}
	/* All sent: end our side, and read what the client may still send until it
	 * closes (bounded by the deadline).  Closing with unread data would reset the
	 * connection, and a reset can destroy the response before the client read it
	 * (a 431 answers a head that was not read to its end). */
	shutdown(c->fd, SHUT_WR);
	c->draining = true;
	evloop_io_mod(c->io, EPOLLIN);
	return 1;
}

static void conn_respond(struct mconn *c, int status, const char *reason, const char *extra_headers,
			 const char *body, size_t body_len, bool head_only)
{
	char head[512];
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
			  status, reason, status == 200 ? TSN_PROM_CONTENT_TYPE : "text/plain; charset=utf-8",
			  body_len, extra_headers ? extra_headers : "");
	size_t total = (size_t)hl + (head_only ? 0 : body_len);

	free(c->out);
	c->out = malloc(total);
	if (!c->out) {
		conn_close(c);
		return;
	}
	memcpy(c->out, head, (size_t)hl);
	if (!head_only)
		memcpy(c->out + hl, body, body_len);
	c->out_len = total;
	c->out_off = 0;
	if (conn_flush(c) == 0)
		evloop_io_mod(c->io, EPOLLOUT);	/* the rest when the socket takes it */
}

static void conn_error(struct mconn *c, int status, const char *reason, const char *extra_headers)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, reason);
	conn_respond(c, status, reason, extra_headers, body, (size_t)n, false);
}

/* A complete request head is in c->in (NUL-terminated). */
static void conn_request(struct mconn *c)
{
	char method[16], target[256], version[16];
	char *eol = strpbrk(c->in, "\r\n");

	if (eol)
		*eol = '\0';
	/* The request line: METHOD SP TARGET SP HTTP/1.x, nothing more. */
	if (sscanf(c->in, "%15[A-Z] %255[^ ] %15[^ ]", method, target, version) != 3 ||
	    strlen(method) + strlen(target) + strlen(version) + 2 != strlen(c->in) ||
	    (strcmp(version, "HTTP/1.0") != 0 && strcmp(version, "HTTP/1.1") != 0)) {
		conn_error(c, 400, "Bad Request", NULL);
		return;
	}
	bool head = strcmp(method, "HEAD") == 0;
	if (strcmp(method, "GET") != 0 && !head) {
		conn_error(c, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n");
		return;
	}
	size_t path_len = strcspn(target, "?");
	if (path_len != strlen("/metrics") || strncmp(target, "/metrics", path_len) != 0) {
		conn_error(c, 404, "Not Found", NULL);
		return;
	}
	size_t len = 0;
	char *body = c->m->body(c->m->body_arg, &len);
	if (!body) {
		conn_error(c, 500, "Internal Server Error", NULL);
		return;
	}
	log_debug("metrics: %s /metrics: %zu bytes", method, len);
	conn_respond(c, 200, "OK", NULL, body, len, head);
	free(body);
}

static void conn_event(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct mconn *c = arg;

	(void)loop;
	if (c->draining) {
		char sink[1024];
		ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ||
		    (events & EPOLLERR))
			conn_close(c);
		return;
	}
	if (c->out) {	/* responding: only writes matter now */
		if (events & (EPOLLERR | EPOLLHUP))
			conn_close(c);
		else if (events & EPOLLOUT)
			conn_flush(c);
		return;
	}
	if (events & EPOLLERR) {
		conn_close(c);
		return;
	}
	ssize_t n = recv(fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(c);
		return;
	}
	if (n == 0) {	/* closed before a complete request */
		conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	if (memchr(c->in, '\0', c->in_len)) {
		conn_error(c, 400, "Bad Request", NULL);
		return;
	}
	if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
		conn_request(c);
		return;
	}
	if (c->in_len == sizeof(c->in) - 1)
		conn_error(c, 431, "Request Header Fields Too Large", NULL);
}

static void accept_one(struct metrics_http *m, int fd)
{
	if (m->n_conns >= METRICS_MAX_CLIENTS) {
		static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
					   "Content-Length: 24\r\nConnection: close\r\n\r\n503 Service Unavailable\n";
		if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			log_debug("metrics: could not send busy reply: %s", strerror(errno));
		close(fd);
		return;
	}
	struct mconn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->m = m;
	c->fd = fd;
	c->deadline_ns = evloop_now_ns() + METRICS_TIMEOUT_NS;
	c->io = evloop_io_add(m->loop, fd, EPOLLIN, conn_event, c);
	if (!c->io) {
		close(fd);
		free(c);
		return;
	}
	c->next = m->conns;
	m->conns = c;
	m->n_conns++;
	arm_timer(m);
}

static void on_accept(struct evloop *loop, int lfd, uint32_t events, void *arg)
{
	struct metrics_http *m = arg;

	(void)loop;
	(void)events;
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
				log_warn("metrics: accept on %s: %s", m->cur.address, strerror(errno));
			return;
		}
		accept_one(m, fd);
	}
}

/* ---- the listener's life ---- */

static void listener_close(struct listener *l)
{
	if (l->io)
		evloop_io_del(l->io);
	if (l->fd >= 0)
		close(l->fd);
	l->io = NULL;
	l->fd = -1;
	l->address[0] = '\0';
}

struct metrics_http *metrics_http_new(struct evloop *loop, metrics_body_fn fn, void *arg)
{
	struct metrics_http *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->loop = loop;
	m->body = fn;
	m->body_arg = arg;
	m->cur.fd = m->next.fd = -1;
	m->timer = evloop_timer_new(loop, on_timer, m);
	if (!m->timer) {
		free(m);
		return NULL;
	}
	return m;
}

void metrics_http_free(struct metrics_http *m)
{
	if (!m)
		return;
	close_all(m);
	listener_close(&m->next);
	listener_close(&m->cur);
	evloop_timer_free(m->timer);
	free(m);
}

int metrics_http_prepare(struct metrics_http *m, bool enabled, const char *listen, char *err, size_t errlen)
{
	if (!m)
		return 0;
	metrics_http_abort(m);
	m->prepared = true;
	if (!enabled || strcmp(listen, m->cur.address) == 0) {
		/* Off, or the address that runs: commit keeps or closes cur. */
		snprintf(m->next.address, sizeof(m->next.address), "%s", enabled ? listen : "");
		return 0;
	}
	int fd = listen_on(listen, err, errlen);
	if (fd < 0 && errno == EADDRINUSE && m->cur.fd >= 0 && address_port(listen) == address_port(m->cur.address)) {
		/* Same port on another address (127.0.0.1 -> 0.0.0.0): free it, and take it
		 * back if the new one still cannot have it. */
		evloop_io_del(m->cur.io);
		m->cur.io = NULL;
		close(m->cur.fd);
		m->cur.fd = -1;
		m->cur_paused = true;
		fd = listen_on(listen, err, errlen);
		if (fd < 0) {
			metrics_http_abort(m);
			return -1;
		}
	}
	if (fd < 0) {
		m->prepared = false;
		return -1;
	}
	m->next.fd = fd;
	snprintf(m->next.address, sizeof(m->next.address), "%s", listen);
	return 0;
}

void metrics_http_commit(struct metrics_http *m)
{
	if (!m || !m->prepared)
		return;
	m->prepared = false;
	m->cur_paused = false;
	if (strcmp(m->next.address, m->cur.address) == 0 && m->next.fd < 0)
		return;	/* unchanged */
	if (m->cur.address[0])
		log_notice("metrics: no longer serving on %s", m->cur.address);
	close_all(m);
	listener_close(&m->cur);
	if (m->next.fd < 0) {
		m->next.address[0] = '\0';
		return;
	}
	m->cur = m->next;
	m->next.fd = -1;
	m->next.io = NULL;
	m->next.address[0] = '\0';
	m->cur.io = evloop_io_add(m->loop, m->cur.fd, EPOLLIN, on_accept, m);
	if (!m->cur.io) {
		log_err("metrics: cannot watch %s: %s; the listener is off", m->cur.address, strerror(errno));
		listener_close(&m->cur);
		return;
	}
	log_notice("metrics: serving http://%s/metrics", m->cur.address);
}

void metrics_http_abort(struct metrics_http *m)
{
	char err[256];

	if (!m || !m->prepared)
		return;
	m->prepared = false;
	listener_close(&m->next);
	if (m->cur_paused) {
		m->cur_paused = false;
		m->cur.fd = listen_on(m->cur.address, err, sizeof(err));
		if (m->cur.fd >= 0)
			m->cur.io = evloop_io_add(m->loop, m->cur.fd, EPOLLIN, on_accept, m);
		if (!m->cur.io) {
			log_err("metrics: cannot serve on %s again: %s; the listener is off", m->cur.address, err);
			listener_close(&m->cur);
		}
	}
}

const char *metrics_http_address(const struct metrics_http *m)
{
	return m ? m->cur.address : "";
}
