/* SPDX-License-Identifier: GPL-2.0-only */
/* metrics_http.c — GET /metrics over HTTP/1.0 and 1.1 (API in metrics_http.h),
 * with libmicrohttpd doing the HTTP (docs/metrics.md says why a library).
 *
 * tsnd owns the listening sockets (so that a reload can bind the new address
 * before it changes anything, and give the old one back if it fails) and accepts;
 * each accepted socket goes to an MHD daemon with no threads and no listen socket
 * of its own (MHD_add_connection), run from tsnd's event loop: MHD's epoll fd is
 * watched like any other fd and a timer follows MHD_get_timeout(), so every
 * callback, the body's included, runs on the main thread.
 *
 * Bounds: METRICS_MAX_CLIENTS connections (one more is answered 503 at accept and
 * closed), METRICS_MAX_REQUEST bytes of request head (431; MHD's per-connection
 * memory pool is METRICS_MHD_POOL), METRICS_TIMEOUT_NS from accept to the
 * end of the exchange (MHD's idle timeout, and tsnd's own deadline for a client
 * that trickles), Connection: close on every response.  The handler answers 200
 * for GET or HEAD of /metrics, 404 for another path, 405 for another method; MHD
 * answers what is not HTTP/1.x.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
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
/* MHD's memory per connection: a head up to this size reaches on_request, which
 * answers 431 beyond METRICS_MAX_REQUEST; a larger one MHD refuses itself. */
#define METRICS_MHD_POOL (4 * METRICS_MAX_REQUEST)

/* One accepted connection, from MHD's "started" to its "closed" notification. */
struct mconn {
	int fd;
	uint64_t deadline_ns;
	struct mconn *next;
};

struct listener {
	int fd;				/* -1: none */
	struct ev_io *io;		/* accepts, once committed */
	struct MHD_Daemon *mhd;		/* this listener's connections */
	struct ev_io *mhd_io;		/* MHD's epoll fd, once committed */
	char address[64];
};

struct metrics_http {
	struct evloop *loop;
	metrics_body_fn body;
	void *body_arg;
	struct listener cur, next;	/* serving; prepared by metrics_http_prepare */
	bool prepared;			/* next holds the outcome of prepare */
	bool cur_paused;		/* cur's socket was closed to free its port for next */
	struct ev_timer *timer;		/* MHD's timeout or the first deadline */
	struct mconn *conns;		/* of cur */
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

/* ---- the request handler (MHD calls it from MHD_run, on the loop) ---- */

static enum MHD_Result queue_text(struct MHD_Connection *conn, unsigned int status, const char *text,
				  const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result add_header_len(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	size_t *len = cls;

	(void)kind;
	*len += strlen(key) + 2 + (value ? strlen(value) : 0) + 2;	/* "key: value\r\n" */
	return MHD_YES;
}

/* The request head's size, near enough: its line and its header fields. */
static size_t head_len(struct MHD_Connection *conn, const char *url, const char *method, const char *version)
{
	size_t len = strlen(method) + 1 + strlen(url) + 1 + strlen(version) + 2 + 2;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header_len, &len);
	return len;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct metrics_http *m = cls;

	(void)upload_data;
	(void)req_cls;
	/* Answered at the first call, before any body is read: nothing here takes
	 * a body, and Connection: close ends the exchange after the response. */
	*upload_data_size = 0;
	/* MHD's pool (METRICS_MHD_POOL) holds the whole head, so MHD read all of it
	 * and the answer cannot be lost to a reset from unread bytes at close. */
	if (head_len(conn, url, method, version) > METRICS_MAX_REQUEST)
		return queue_text(conn, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
				  "431 Request Header Fields Too Large\n", NULL);
	bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && !head)
		return queue_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "405 Method Not Allowed\n", "GET, HEAD");
	if (strcmp(url, "/metrics") != 0)	/* MHD took the query string off */
		return queue_text(conn, MHD_HTTP_NOT_FOUND, "404 Not Found\n", NULL);
	size_t len = 0;
	char *body = m->body(m->body_arg, &len);
	if (!body)
		return queue_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 Internal Server Error\n", NULL);
	log_debug("metrics: %s /metrics: %zu bytes", method, len);
	/* MHD frees the body; for HEAD it sends the headers only. */
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, TSN_PROM_CONTENT_TYPE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- connections, MHD's runs, the timer ---- */

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct metrics_http *m = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct mconn *c = calloc(1, sizeof(*c));
		*socket_ctx = c;
		if (!c)
			return;	/* no deadline of ours: MHD's idle timeout still bounds it */
		c->fd = ci ? ci->connect_fd : -1;
		c->deadline_ns = evloop_now_ns() + METRICS_TIMEOUT_NS;
		c->next = m->conns;
		m->conns = c;
		m->n_conns++;
		return;
	}
	struct mconn *c = *socket_ctx;
	if (!c)
		return;
	for (struct mconn **pp = &m->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			m->n_conns--;
			break;
		}
	}
	free(c);
	*socket_ctx = NULL;
}

/* Arm the timer for the sooner of MHD's next timeout and our first deadline. */
static void arm_timer(struct metrics_http *m)
{
	uint64_t when = 0;
	MHD_UNSIGNED_LONG_LONG ms;

	if (m->cur.mhd && MHD_get_timeout(m->cur.mhd, &ms) == MHD_YES)
		when = evloop_now_ns() + (uint64_t)ms * 1000000ull;
	for (struct mconn *c = m->conns; c; c = c->next)
		if (!when || c->deadline_ns < when)
			when = c->deadline_ns;
	if (when)
		evloop_timer_arm_at(m->timer, when);
	else
		evloop_timer_disarm(m->timer);
}

static void run_mhd(struct metrics_http *m)
{
	if (m->cur.mhd && MHD_run(m->cur.mhd) != MHD_YES)
		log_debug("metrics: MHD_run failed");
	arm_timer(m);
}

static void on_mhd_event(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	run_mhd(arg);
}

static void on_timer(struct evloop *loop, void *arg)
{
	struct metrics_http *m = arg;
	uint64_t now = evloop_now_ns();

	(void)loop;
	/* A connection past its deadline: end it under MHD's feet (MHD keeps the
	 * fd); its next run sees the socket shut and closes the connection. */
	for (struct mconn *c = m->conns; c; c = c->next) {
		if (c->deadline_ns <= now && c->fd >= 0) {
			log_debug("metrics: closing a connection that did not finish within %llu s",
				  METRICS_TIMEOUT_NS / 1000000000ull);
			shutdown(c->fd, SHUT_RDWR);
			c->fd = -1;
			c->deadline_ns = UINT64_MAX;	/* MHD closes it now; never again here */
		}
	}
	run_mhd(m);
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
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0) {
		close(fd);
		return;
	}
	/* MHD owns fd from here, and closes it even when it refuses it. */
	if (MHD_add_connection(m->cur.mhd, fd, (struct sockaddr *)&ss, sl) != MHD_YES)
		log_debug("metrics: MHD refused a connection: %s", strerror(errno));
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
			break;
		}
		accept_one(m, fd);
	}
	run_mhd(m);	/* the new connections' requests may be there already */
}

/* ---- the listener's life ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("metrics: libmicrohttpd: %s", msg);
}

/* An MHD daemon for one listener's connections: no thread, no listen socket. */
static struct MHD_Daemon *mhd_start(struct metrics_http *m, char *err, size_t errlen)
{
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, m,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_MAX_CLIENTS,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_MHD_POOL,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)(METRICS_TIMEOUT_NS / 1000000000ull),
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_END);
	if (!d)
		snprintf(err, errlen, "cannot start the HTTP server (libmicrohttpd): %s", strerror(errno));
	return d;
}

static void listener_close(struct metrics_http *m, struct listener *l)
{
	if (l->io)
		evloop_io_del(l->io);
	if (l->fd >= 0)
		close(l->fd);
	if (l->mhd_io)
		evloop_io_del(l->mhd_io);
	if (l->mhd) {
		struct MHD_Daemon *d = l->mhd;
		l->mhd = NULL;
		MHD_stop_daemon(d);	/* closes its connections (notified) */
		if (l == &m->cur)
			arm_timer(m);
	}
	l->io = l->mhd_io = NULL;
	l->fd = -1;
	l->address[0] = '\0';
}

/* Serve l's socket: its accepts and its MHD daemon's epoll fd on the loop. */
static int listener_watch(struct metrics_http *m, struct listener *l)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	if (!di) {
		errno = EINVAL;
		return -1;
	}
	l->mhd_io = evloop_io_add(m->loop, di->epoll_fd, EPOLLIN, on_mhd_event, m);
	if (!l->mhd_io)
		return -1;
	l->io = evloop_io_add(m->loop, l->fd, EPOLLIN, on_accept, m);
	return l->io ? 0 : -1;
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
	listener_close(m, &m->next);
	listener_close(m, &m->cur);
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
		 * back if the new one still cannot have it.  cur's connections go on. */
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
	m->next.mhd = mhd_start(m, err, errlen);
	if (!m->next.mhd) {
		metrics_http_abort(m);
		return -1;
	}
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
	listener_close(m, &m->cur);
	if (m->next.fd < 0) {
		m->next.address[0] = '\0';
		return;
	}
	m->cur = m->next;
	m->next = (struct listener){ .fd = -1 };
	if (listener_watch(m, &m->cur) < 0) {
		log_err("metrics: cannot watch %s: %s; the listener is off", m->cur.address, strerror(errno));
		listener_close(m, &m->cur);
		return;
	}
	log_notice("metrics: serving http://%s/metrics", m->cur.address);
}

void metrics_http_abort(struct metrics_http *m)
{
	char err[256] = "";

	if (!m || !m->prepared)
		return;
	m->prepared = false;
	listener_close(m, &m->next);
	if (m->cur_paused) {
		m->cur_paused = false;
		m->cur.fd = listen_on(m->cur.address, err, sizeof(err));
		if (m->cur.fd >= 0)
			m->cur.io = evloop_io_add(m->loop, m->cur.fd, EPOLLIN, on_accept, m);
		if (!m->cur.io) {
			log_err("metrics: cannot serve on %s again: %s; the listener is off", m->cur.address, err);
			listener_close(m, &m->cur);
		}
	}
}

const char *metrics_http_address(const struct metrics_http *m)
{
	return m ? m->cur.address : "";
}
