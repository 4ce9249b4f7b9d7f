/* SPDX-License-Identifier: GPL-2.0-only */
/* ctl_server.c — UNIX stream control socket with per-connection state.
 *
 * Deadline rules (one timerfd serves all connections):
 *  - every connection has a deadline, control.timeout after it was accepted, after
 *    its last complete request and after the last write that made progress;
 *  - at the deadline, a connection holding part of a request gets a "timeout"
 *    reply and is closed; any other connection (idle, or not reading its replies)
 *    is closed quietly.
 * Back-pressure: while more than OUT_HIGH_WATER bytes of replies wait to be sent,
 * the connection's requests are not read or run, so a client that never reads
 * cannot make the daemon queue without bound, and never blocks it either (all
 * I/O is non-blocking).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_server.h"
#include "evloop.h"
#include "pidfile.h"
#include "tsn/log.h"

#define READ_CHUNK 16384
#define OUT_HIGH_WATER (1u << 20)
#define ACCEPTS_PER_WAKEUP 64

struct ctl_conn {
	struct ctl_server *srv;
	int fd;
	struct ev_io *io;
	struct ctl_peer peer;
	struct tsn_ctl_framer in;
	char *out;			/* replies not yet written: out[out_off..out_len) */
	size_t out_len, out_off;
	uint64_t deadline_ns;
	bool read_closed;		/* the peer shut down its sending side */
	unsigned long answered, succeeded;	/* requests answered, of them with ok */
	struct ctl_later *later;	/* a request answered later (ctl_server_defer) */
	struct ctl_conn *prev, *next;	/* newest first */
};

/* A reply promised by a dispatch callback: the connection (NULL once closed). */
struct ctl_later {
	struct ctl_conn *c;
	uint64_t id;
};

struct ctl_server {
	struct evloop *loop;
	int fd;
	struct ev_io *io;
	int spare_fd;			/* released to accept-and-drop when out of fds */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;			/* the socket file we created, so that we never */
	ino_t ino;			/* unlink someone else's */
	struct ev_timer *timer;
	struct ctl_limits limits;
	ctl_dispatch_fn dispatch;
	void *dispatch_arg;
	struct ctl_conn *dispatching;	/* whose request the callback runs */
	struct ctl_conn *conns;
	size_t n_conns;
	uint64_t busy_logged_ns;	/* rate limit for the "refused" warning */
	unsigned long long busy_refused;
	uint64_t log_window_ns;		/* rate limit for "closing connection" lines */
	unsigned log_lines;
	unsigned long long log_suppressed;
};

/* At most LOG_LINES_PER_S lines a second about closed connections: a peer that
 * opens and breaks connections in a loop must not fill the disk with the log. */
#define LOG_LINES_PER_S 10

static bool log_allowed(struct ctl_server *srv)
{
	uint64_t now = evloop_now_ns();

	if (now - srv->log_window_ns >= 1000000000ull) {
		if (srv->log_suppressed)
			log_info("control: %llu more connection(s) closed (not logged one by one)",
				 srv->log_suppressed);
		srv->log_window_ns = now;
		srv->log_lines = 0;
		srv->log_suppressed = 0;
	}
	if (srv->log_lines < LOG_LINES_PER_S) {
		srv->log_lines++;
		return true;
	}
	srv->log_suppressed++;
	return false;
}

bool ctl_peer_in_group(const struct ctl_peer *peer, gid_t gid)
{
	if (peer->gid == gid)
		return true;
	for (size_t i = 0; i < peer->n_groups; i++)
		if (peer->groups[i] == gid)
			return true;
	return false;
}

size_t ctl_server_clients(const struct ctl_server *srv)
{
	return srv->n_conns;
}

static int fill_sockaddr(struct sockaddr_un *sa, const char *path, char *err, size_t errlen)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		snprintf(err, errlen, "socket path %s is longer than %zu bytes", path,
			 sizeof(sa->sun_path) - 1);
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

int ctl_socket_probe(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;

	if (fill_sockaddr(&sa, path, err, errlen) < 0)
		return -1;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot inspect control socket %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket path %s exists and is not a socket; "
			 "remove it or choose another control.socket", path);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int saved = errno;
	close(fd);
	if (rc == 0)
		return 1;
	if (saved == ECONNREFUSED || saved == ENOENT) {
		/* Left behind by a tsnd that did not shut down cleanly. */
		if (unlink(path) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "cannot remove stale control socket %s: %s", path,
				 strerror(errno));
			return -1;
		}
		log_info("removed stale control socket %s", path);
		return 0;
	}
	snprintf(err, errlen, "cannot probe control socket %s: %s", path, strerror(saved));
	return -1;
}

/* ---- deadlines ---- */

static void schedule_deadline(struct ctl_server *srv, uint64_t deadline)
{
	if (!evloop_timer_armed(srv->timer) || deadline < evloop_timer_when(srv->timer))
		evloop_timer_arm_at(srv->timer, deadline);
}

static void conn_touch(struct ctl_conn *c)
{
	c->deadline_ns = evloop_now_ns() + c->srv->limits.timeout_ns;
	schedule_deadline(c->srv, c->deadline_ns);
}

/* ---- connections ---- */

static void conn_close(struct ctl_conn *c)
{
	struct ctl_server *srv = c->srv;

	if (c->later)
		c->later->c = NULL;	/* its answer goes nowhere */
	evloop_io_del(c->io);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->n_conns--;
	tsn_ctl_framer_free(&c->in);
	free(c->out);
	free(c->peer.groups);
	free(c);
}

/* Write what the socket takes now.  Returns -1 if the connection is dead. */
static int conn_flush(struct ctl_conn *c)
{
	bool progress = false;

	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		c->out_off += (size_t)n;
		progress = true;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
	} else if (c->out_off > c->out_len / 2) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (progress)
		conn_touch(c);
	return 0;
}

static size_t conn_backlog(const struct ctl_conn *c)
{
	return c->out_len - c->out_off;
}

static int conn_queue(struct ctl_conn *c, const char *data, size_t len)
{
	char *p = realloc(c->out, c->out_len + len);
	if (!p)
		return -1;
	memcpy(p + c->out_len, data, len);
	c->out = p;
	c->out_len += len;
	return 0;
}

static int conn_reply(struct ctl_conn *c, const struct tsn_ctl_response *resp)
{
	size_t len;
	char *line = tsn_ctl_response_encode(resp, &len);
	int rc = line ? conn_queue(c, line, len) : -1;
	free(line);
	if (rc < 0)
		log_err("control: out of memory queueing a reply to pid %d", (int)c->peer.pid);
	return rc;
}

/* Reply with a protocol error that ends the connection, then close it.  The reply
 * is written only if the socket takes it now: the peer may have stopped reading. */
static void conn_fail(struct ctl_conn *c, enum tsn_ctl_code code, uint64_t id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void conn_fail(struct ctl_conn *c, enum tsn_ctl_code code, uint64_t id, const char *fmt, ...)
{
	struct tsn_ctl_response resp = { .version = TSN_CTL_PROTOCOL_VERSION, .id = id, .code = code };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(resp.message, sizeof(resp.message), fmt, ap);
	va_end(ap);
	if (log_allowed(c->srv))
		log_info("control: closing connection of pid %d uid %d: %s", (int)c->peer.pid,
			 (int)c->peer.uid, resp.message);
	if (conn_reply(c, &resp) == 0)
		conn_flush(c);
	conn_close(c);
}

static void handle_line(struct ctl_conn *c, const char *line, size_t len)
{
	struct ctl_server *srv = c->srv;
	struct tsn_ctl_request req;
	struct tsn_ctl_response resp = { .version = TSN_CTL_PROTOCOL_VERSION };
	char err[256];

	enum tsn_ctl_code code = tsn_ctl_request_decode(line, len, &req, err, sizeof(err));
	resp.id = req.id;
	if (code != TSN_CTL_OK) {
		resp.code = code;
		snprintf(resp.message, sizeof(resp.message), "%s", err);
		log_debug("control: pid %d sent a bad request: %s", (int)c->peer.pid, err);
	} else {
		resp.code = TSN_CTL_OK;
		srv->dispatching = c;
		srv->dispatch(srv->dispatch_arg, &c->peer, &req, &resp);
		srv->dispatching = NULL;
	}
	if (c->later) {	/* deferred (none was before): ctl_later_finish answers */
		c->later->id = req.id;
		tsn_ctl_response_release(&resp);
		tsn_ctl_request_release(&req);
		return;
	}
	c->answered++;
	if (resp.code == TSN_CTL_OK)
		c->succeeded++;
	conn_reply(c, &resp);
	tsn_ctl_response_release(&resp);
	tsn_ctl_request_release(&req);
}

/* Run the complete requests buffered on c, as far as back-pressure allows: while
 * OUT_HIGH_WATER bytes of replies are unsent, the rest waits for EPOLLOUT.
 * Returns -1 if c was closed. */
static int conn_process(struct ctl_conn *c)
{
	size_t limit = c->in.limit;
	const char *line;
	size_t len;

	for (;;) {
		if (c->later)
			break;	/* requests are answered in order: the rest waits */
		if (!c->in.overflow && conn_backlog(c) >= OUT_HIGH_WATER) {
			if (conn_flush(c) < 0) {
				conn_close(c);
				return -1;
			}
			if (conn_backlog(c) >= OUT_HIGH_WATER)
				break;
		}
		line = tsn_ctl_framer_next(&c->in, &len);
		if (!line || len + 1 > limit)
			break;	/* an oversized line is answered below */
		handle_line(c, line, len);
		conn_touch(c);
	}
	if (c->in.overflow) {
		conn_fail(c, TSN_CTL_E_TOO_LARGE, 0,
			  "request longer than %zu bytes (control.max-request); connection closed", limit);
		return -1;
	}
	if (conn_backlog(c) && conn_flush(c) < 0) {
		conn_close(c);
		return -1;
	}
	return 0;
}

/* Watch for what the connection can make progress on next. */
static void conn_update_events(struct ctl_conn *c)
{
	uint32_t events = 0;

	if (!c->read_closed && conn_backlog(c) < OUT_HIGH_WATER)
		events |= EPOLLIN;
	if (conn_backlog(c))
		events |= EPOLLOUT;
	evloop_io_mod(c->io, events);
}

static void conn_event(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl_conn *c = arg;
	char buf[READ_CHUNK];

	(void)loop;
	if ((events & EPOLLERR) || ((events & EPOLLHUP) && c->later)) {
		conn_close(c);	/* (a peer gone while its answer is prepared) */
		return;
	}
	if ((events & EPOLLOUT) && conn_flush(c) < 0) {
		conn_close(c);
		return;
	}
	if ((events & (EPOLLIN | EPOLLHUP)) && !c->read_closed && conn_backlog(c) < OUT_HIGH_WATER) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			if (tsn_ctl_framer_push(&c->in, buf, (size_t)n) < 0 && !c->in.overflow) {
				log_err("control: out of memory reading from pid %d", (int)c->peer.pid);
				conn_close(c);
				return;
			}
		} else if (n == 0) {
			c->read_closed = true;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			conn_close(c);
			return;
		}
	}
	if (conn_process(c) < 0)
		return;
	/* After EOF, complete requests are answered and the connection closes once the
	 * replies are out (a backlog of zero means every complete line was run); a
	 * half-sent request is dropped quietly. */
	if (c->read_closed && conn_backlog(c) == 0 && !c->later) {
		conn_close(c);
		return;
	}
	conn_update_events(c);
}

struct ctl_later *ctl_server_defer(struct ctl_server *srv)
{
	struct ctl_conn *c = srv ? srv->dispatching : NULL;
	struct ctl_later *l = c && !c->later ? calloc(1, sizeof(*l)) : NULL;

	if (l) {
		l->c = c;
		c->later = l;
	}
	return l;
}

void ctl_later_cancel(struct ctl_later *l)
{
	if (l && l->c)
		l->c->later = NULL;
	free(l);
}

void ctl_later_finish(struct ctl_later *l, struct tsn_ctl_response *resp)
{
	struct ctl_conn *c = l ? l->c : NULL;

	if (c) {
		resp->version = TSN_CTL_PROTOCOL_VERSION;
		resp->id = l->id;
		c->later = NULL;
		c->answered++;
		if (resp->code == TSN_CTL_OK)
			c->succeeded++;
		conn_touch(c);
		if (conn_reply(c, resp) < 0 || conn_flush(c) < 0) {
			conn_close(c);
		} else if (conn_process(c) == 0) {	/* what came meanwhile */
			if (c->read_closed && conn_backlog(c) == 0 && !c->later)
				conn_close(c);
			else
				conn_update_events(c);
		}
	}
	tsn_ctl_response_release(resp);
	free(l);
}

/* Supplementary groups of the peer (Linux 4.13+); none if the kernel cannot say. */
static void read_peer_groups(int fd, struct ctl_peer *peer)
{
	socklen_t len = 64 * sizeof(gid_t);

	for (int attempt = 0; attempt < 3; attempt++) {
		gid_t *groups = malloc(len ? len : sizeof(gid_t));
		if (!groups)
			return;
		socklen_t got = len;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &got) == 0) {
			peer->groups = groups;
			peer->n_groups = got / sizeof(gid_t);
			return;
		}
		free(groups);
		if (errno != ERANGE || got <= len)
			return;
		len = got;	/* the kernel said how much room it needs */
	}
}

/* Connections one uid other than root may hold: half of max-clients (at least
 * one), so that no single unprivileged user can take every slot. */
static size_t per_uid_limit(const struct ctl_server *srv)
{
	return srv->limits.max_clients > 1 ? srv->limits.max_clients / 2 : 1;
}

static void conn_reject_busy(struct ctl_server *srv, int fd, uid_t uid)
{
	struct tsn_ctl_response resp = { .version = TSN_CTL_PROTOCOL_VERSION, .code = TSN_CTL_E_BUSY };
	uint64_t now = evloop_now_ns();
	size_t len;

	/* At most one warning a second: a connection flood must not flood the log. */
	srv->busy_refused++;
	if (now - srv->busy_logged_ns >= 1000000000ull) {
		log_warn("control: refused %llu connection(s): %zu clients connected "
			 "(control.max-clients, at most %zu per uid but root's)",
			 (unsigned long long)srv->busy_refused, srv->n_conns, per_uid_limit(srv));
		srv->busy_logged_ns = now;
		srv->busy_refused = 0;
	}
	if (srv->n_conns < srv->limits.max_clients)
		snprintf(resp.message, sizeof(resp.message),
			 "too many control connections of uid %d (at most %zu, half of control.max-clients "
			 "%u); try again later", (int)uid, per_uid_limit(srv), srv->limits.max_clients);
	else
		snprintf(resp.message, sizeof(resp.message),
			 "too many control connections (control.max-clients is %u); try again later",
			 srv->limits.max_clients);
	char *line = tsn_ctl_response_encode(&resp, &len);
	if (line && send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("control: could not send busy reply: %s", strerror(errno));
	free(line);
	close(fd);
}

static size_t conns_of_uid(const struct ctl_server *srv, uid_t uid)
{
	size_t n = 0;

	for (const struct ctl_conn *c = srv->conns; c; c = c->next)
		n += c->peer.uid == uid;
	return n;
}

/* When every slot is taken, the connection that makes room for a newcomer of uid:
 * first one that was answered but never with ok (every request refused or in
 * error: it gets nothing from its slot but keeps it), oldest first; else, for
 * root, the oldest connection of any other uid.  NULL: the newcomer gets busy.
 * So root always gets in, whatever other peers do, and a peer cannot hold slots
 * with requests that are refused. */
static struct ctl_conn *pick_victim(const struct ctl_server *srv, uid_t uid)
{
	struct ctl_conn *futile = NULL, *other = NULL;

	for (struct ctl_conn *c = srv->conns; c; c = c->next) {
		if (c->answered && !c->succeeded && c->peer.uid != 0)
			futile = c;	/* the list is newest first: the last seen is the oldest */
		if (c->peer.uid != 0)
			other = c;
	}
	if (futile)
		return futile;
	return uid == 0 ? other : NULL;
}

static void accept_one(struct ctl_server *srv, int fd)
{
	struct ucred cred;
	socklen_t credlen = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) < 0) {
		log_warn("control: cannot read peer credentials: %s", strerror(errno));
		close(fd);
		return;
	}
	if (cred.uid != 0 && conns_of_uid(srv, cred.uid) >= per_uid_limit(srv)) {
		conn_reject_busy(srv, fd, cred.uid);
		return;
	}
	if (srv->n_conns >= srv->limits.max_clients) {
		struct ctl_conn *victim = pick_victim(srv, cred.uid);

		if (victim) {
			log_debug("control: closing a connection of uid %d to make room for uid %d",
				  (int)victim->peer.uid, (int)cred.uid);
			conn_fail(victim, TSN_CTL_E_BUSY, 0,
				  "connection closed to make room for another client (control.max-clients is %u)",
				  srv->limits.max_clients);
		}
	}
	if (srv->n_conns >= srv->limits.max_clients) {
		conn_reject_busy(srv, fd, cred.uid);
		return;
	}
	struct ctl_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	c->peer.pid = cred.pid;
	c->peer.uid = cred.uid;
	c->peer.gid = cred.gid;
	read_peer_groups(fd, &c->peer);
	size_t limit = srv->limits.max_request;
	if (srv->limits.max_admin_request > limit &&
	    (c->peer.uid == 0 || (srv->limits.has_admin && ctl_peer_in_group(&c->peer, srv->limits.admin_gid))))
		limit = srv->limits.max_admin_request;	/* config.apply (ctl_server.h) */
	tsn_ctl_framer_init(&c->in, limit);
	c->io = evloop_io_add(srv->loop, fd, EPOLLIN, conn_event, c);
	if (!c->io) {
		log_err("control: cannot watch a new connection: %s", strerror(errno));
		free(c->peer.groups);
		free(c);
		close(fd);
		return;
	}
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->n_conns++;
	conn_touch(c);
	log_debug("control: connection from pid %d uid %d gid %d", (int)cred.pid, (int)cred.uid,
		  (int)cred.gid);
}

static void listener_event(struct evloop *loop, int lfd, uint32_t events, void *arg)
{
	struct ctl_server *srv = arg;

	(void)loop;
	(void)events;
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			accept_one(srv, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if ((errno == EMFILE || errno == ENFILE) && srv->spare_fd >= 0) {
			/* Out of descriptors: drop the connection rather than spin on it. */
			log_warn("control: out of file descriptors; dropping a connection");
			close(srv->spare_fd);
			fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_warn("control: accept failed: %s", strerror(errno));
		return;
	}
}

static void deadline_event(struct evloop *loop, void *arg)
{
	struct ctl_server *srv = arg;
	uint64_t now = evloop_now_ns(), next = 0;
	struct ctl_conn *c = srv->conns;

	(void)loop;
	while (c) {
		struct ctl_conn *following = c->next;
		if (c->later) {
			conn_touch(c);	/* waiting for tsnd, not for the peer */
			if (!next || c->deadline_ns < next)
				next = c->deadline_ns;
		} else if (c->deadline_ns <= now) {
			if (tsn_ctl_framer_pending(&c->in))
				conn_fail(c, TSN_CTL_E_TIMEOUT, 0,
					  "request not complete within %.3f s (control.timeout); "
					  "connection closed", (double)srv->limits.timeout_ns / 1e9);
			else
				conn_close(c);
		} else if (!next || c->deadline_ns < next) {
			next = c->deadline_ns;
		}
		c = following;
	}
	if (next)
		evloop_timer_arm_at(srv->timer, next);
}

int ctl_server_set_access(struct ctl_server *srv, mode_t mode, gid_t group, char *err, size_t errlen)
{
	if (chown(srv->path, 0, group) < 0) {
		snprintf(err, errlen, "cannot chown control socket %s to root:%d: %s", srv->path,
			 (int)group, strerror(errno));
		return -1;
	}
	if (chmod(srv->path, mode) < 0) {
		snprintf(err, errlen, "cannot chmod control socket %s to %04o: %s", srv->path,
			 (unsigned)mode, strerror(errno));
		return -1;
	}
	return 0;
}

void ctl_server_set_limits(struct ctl_server *srv, const struct ctl_limits *limits)
{
	srv->limits = *limits;
	if (srv->limits.max_request < 2)
		srv->limits.max_request = 2;	/* room for "{}" at least; config validates */
}

struct ctl_server *ctl_server_open(struct evloop *loop, const char *path, mode_t mode, gid_t group,
				   const struct ctl_limits *limits, ctl_dispatch_fn fn, void *arg,
				   char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;

	if (fill_sockaddr(&sa, path, err, errlen) < 0)
		return NULL;
	struct ctl_server *srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->loop = loop;
	srv->fd = -1;
	srv->spare_fd = -1;
	srv->dispatch = fn;
	srv->dispatch_arg = arg;
	strcpy(srv->path, path);
	ctl_server_set_limits(srv, limits);

	if (make_parent_dirs(path, 0755) < 0) {
		snprintf(err, errlen, "cannot create the directory of control socket %s: %s", path,
			 strerror(errno));
		goto fail;
	}
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	/* Create the socket owner-only; it is opened up by set_access below. */
	mode_t old_umask = umask(0177);
	int rc = bind(srv->fd, (struct sockaddr *)&sa, sizeof(sa));
	int saved = errno;
	umask(old_umask);
	if (rc < 0) {
		snprintf(err, errlen, "cannot bind control socket %s: %s", path, strerror(saved));
		close(srv->fd);
		srv->fd = -1;
		goto fail;
	}
	if (stat(path, &st) == 0) {
		srv->dev = st.st_dev;
		srv->ino = st.st_ino;
	}
	if (ctl_server_set_access(srv, mode, group, err, errlen) < 0)
		goto fail_unlink;
	if (listen(srv->fd, 64) < 0) {
		snprintf(err, errlen, "cannot listen on control socket %s: %s", path, strerror(errno));
		goto fail_unlink;
	}
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	srv->timer = evloop_timer_new(loop, deadline_event, srv);
	srv->io = evloop_io_add(loop, srv->fd, EPOLLIN, listener_event, srv);
	if (!srv->timer || !srv->io) {
		snprintf(err, errlen, "cannot watch control socket %s: %s", path, strerror(errno));
		goto fail_unlink;
	}
	return srv;
fail_unlink:
	unlink(path);
fail:
	evloop_timer_free(srv->timer);
	evloop_io_del(srv->io);
	if (srv->fd >= 0)
		close(srv->fd);
	if (srv->spare_fd >= 0)
		close(srv->spare_fd);
	free(srv);
	return NULL;
}

void ctl_server_close(struct ctl_server *srv)
{
	struct stat st;

	if (!srv)
		return;
	while (srv->conns)
		conn_close(srv->conns);
	evloop_timer_free(srv->timer);
	evloop_io_del(srv->io);
	close(srv->fd);
	if (srv->spare_fd >= 0)
		close(srv->spare_fd);
	/* Remove the socket only if it is still ours (not replaced by someone else). */
	if (lstat(srv->path, &st) == 0 && st.st_dev == srv->dev && st.st_ino == srv->ino)
		unlink(srv->path);
	free(srv);
}
