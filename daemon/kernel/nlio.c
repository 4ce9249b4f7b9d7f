/* SPDX-License-Identifier: GPL-2.0-only */
/* nlio.c — requests, acks, extended-ack text and dumps over route netlink
 * (see nlio.h). */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "nlio.h"
#include "tsn/log.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct nlio {
	struct nl_sock *sk;
};

/* Indexed by message type; rtnetlink's types stay below 256. */
static unsigned long dump_counts[256];

unsigned long nlio_dump_count(int type)
{
	return type >= 0 && type < 256 ? dump_counts[type] : 0;
}

/* The one table: libnl speaks NLE_* codes, tsnd negative errno values.  Where
 * the kernel refused, nlio reads its errno from the NLMSG_ERROR itself; this is
 * for what libnl's own calls (socket set-up, send, receive) report. */
int nlio_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM: return -EPERM;
	case NLE_NOACCESS: return -EACCES;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_BUSY: return -EBUSY;
	case NLE_INTR: return -EINTR;
	case NLE_BAD_SOCK: return -EBADF;
	case NLE_EXIST: return -EEXIST;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NODEV: return -ENODEV;
	case NLE_INVAL: return -EINVAL;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_RANGE: return -ERANGE;
	case NLE_MSGSIZE: return -EMSGSIZE;
	case NLE_MSG_TRUNC: return -EMSGSIZE;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	default: return -EIO;
	}
}

struct nl_msg *nlio_tc_msg(int type, int flags, size_t size, int ifindex, uint32_t handle, uint32_t parent)
{
	struct nl_msg *msg = size ? nlmsg_alloc_size(size) : nlmsg_alloc();
	struct nlmsghdr *nlh;

	if (!msg)
		return NULL;
	nlh = nlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, type, sizeof(struct tcmsg), flags);
	if (!nlh) {
		nlmsg_free(msg);
		return NULL;
	}
	struct tcmsg *tcm = nlmsg_data(nlh);
	memset(tcm, 0, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	return msg;
}

/* ---- extended acks ---- */

static void copy_text(char *dst, size_t dstlen, const struct nlattr *a)
{
	size_t n = (size_t)nla_len(a);
	const char *s = nla_data(a);

	if (!dstlen)
		return;
	if (n && memchr(s, '\0', n))
		n = strlen(s);
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Find NLMSGERR_ATTR_MSG in the TLVs that start `off` bytes after the header. */
static void extack_text(const struct nlmsghdr *nlh, size_t off, char *msg, size_t msglen)
{
	struct nlattr *pos;
	int rem;

	if (NLMSG_HDRLEN + off > nlh->nlmsg_len)
		return;
	nla_for_each_attr(pos, (struct nlattr *)((char *)nlh + NLMSG_HDRLEN + off),
			  (int)(nlh->nlmsg_len - NLMSG_HDRLEN - off), rem) {
		if (nla_type(pos) == NLMSGERR_ATTR_MSG) {
			copy_text(msg, msglen, pos);
			return;
		}
	}
}

int nlio_ack_parse(const struct nlmsghdr *nlh, int *error, char *msg, size_t msglen)
{
	if (msglen)
		msg[0] = '\0';
	if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		return -EINVAL;
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	*error = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	/* The TLVs follow the error and, unless capped, the echoed request. */
	size_t off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return -EINVAL;
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	}
	extack_text(nlh, off, msg, msglen);
	return 0;
}

/* ---- the socket ---- */

/* Send msg with its sequence number filled in; the number, or 0 with *rc set. */
static uint32_t send_msg(struct nlio *t, struct nl_msg *msg, uint16_t flags, int *rc)
{
	nl_complete_msg(t->sk, msg);
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	/* libnl asks for an ack on every message; only nlio_request wants one. */
	nlh->nlmsg_flags = (uint16_t)((nlh->nlmsg_flags & ~NLM_F_ACK) | flags);
	int n = nl_send(t->sk, msg);
	*rc = n < 0 ? nlio_errno(n) : 0;
	return nlh->nlmsg_seq;
}

/* Read the messages answering `seq`, each handed to fn until fn returns
 * non-zero: 1 stops with success (0), a negative errno is returned.  Other
 * messages are dropped: a socket has one request in flight. */
typedef int (*answer_fn)(const struct nlmsghdr *h, void *arg);

static int read_answers(struct nlio *t, uint32_t seq, answer_fn fn, void *arg)
{
	for (;;) {
		struct sockaddr_nl from;
		unsigned char *buf = NULL;
		int n = nl_recv(t->sk, &from, &buf, NULL);

		if (n <= 0) {
			free(buf);
			return n == 0 ? -EPIPE : nlio_errno(n);
		}
		int len = n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
			if (h->nlmsg_seq != seq)
				continue;
			int rc = fn(h, arg);
			if (rc) {
				free(buf);
				return rc > 0 ? 0 : rc;
			}
		}
		free(buf);
	}
}

struct ack_ctx {
	char *ext;
	size_t extlen;
	int error;
};

static int on_ack(const struct nlmsghdr *h, void *arg)
{
	struct ack_ctx *c = arg;

	if (h->nlmsg_type != NLMSG_ERROR)
		return 0;
	if (nlio_ack_parse(h, &c->error, c->ext, c->extlen) < 0)
		c->error = -EPROTO;
	return 1;
}

int nlio_request(struct nlio *t, struct nl_msg *msg, char *ext, size_t extlen)
{
	struct ack_ctx c = { ext, extlen, 0 };
	int rc;

	if (extlen)
		ext[0] = '\0';
	uint32_t seq = send_msg(t, msg, NLM_F_REQUEST | NLM_F_ACK, &rc);
	if (rc < 0)
		return rc;
	rc = read_answers(t, seq, on_ack, &c);
	return rc < 0 ? rc : c.error;
}

struct get_ctx {
	nlio_msg_fn fn;
	void *arg;
	char *ext;
	size_t extlen;
	int result;
};

static int on_get(const struct nlmsghdr *h, void *arg)
{
	struct get_ctx *c = arg;
	int error = -EPROTO;

	if (h->nlmsg_type == NLMSG_ERROR) {
		nlio_ack_parse(h, &error, c->ext, c->extlen);
		c->result = error < 0 ? error : -EPROTO;
	} else {
		c->result = c->fn(h, c->arg);
	}
	return 1;
}

int nlio_get(struct nlio *t, struct nl_msg *msg, nlio_msg_fn fn, void *arg, char *ext, size_t extlen)
{
	struct get_ctx c = { fn, arg, ext, extlen, 0 };
	int rc;

	if (extlen)
		ext[0] = '\0';
	/* No NLM_F_ACK: the answer itself (or the refusal) is the one message. */
	uint32_t seq = send_msg(t, msg, NLM_F_REQUEST, &rc);
	if (rc < 0)
		return rc;
	rc = read_answers(t, seq, on_get, &c);
	return rc < 0 ? rc : c.result;
}

struct nlio *nlio_open(char *err, size_t errlen)
{
	struct nlio *t = calloc(1, sizeof(*t));
	int one = 1, rc;

	if (!t || !(t->sk = nl_socket_alloc())) {
		snprintf(err, errlen, "out of memory");
		free(t);
		return NULL;
	}
	rc = nl_connect(t->sk, NETLINK_ROUTE);
	if (rc < 0) {
		snprintf(err, errlen, "cannot open a route netlink socket: %s", nl_geterror(rc));
		nlio_close(t);
		return NULL;
	}
	int fd = nl_socket_get_fd(t->sk);
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0)
		log_debug("netlink: no extended acks on this kernel: %s", strerror(errno));
	/* Refusals then do not echo a request of up to 150 KiB back. */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
		log_debug("netlink: NETLINK_CAP_ACK: %s", strerror(errno));
	nl_socket_set_buffer_size(t->sk, 1 << 20, 1 << 20);
	/* The kernel sizes a dump's messages by the largest buffer this socket has
	 * read with (capped at 32 KiB); a taprio with a long list needs the cap, so
	 * read with 32 KiB buffers and do one read (of a no-op's ack) right away.
	 * No message on this socket can be longer (acks are capped), so reads do
	 * not peek first: that would double the system calls (libnl reports a
	 * truncated message as an error, it is never cut silently). */
	nl_socket_set_msg_buf_size(t->sk, 32768);
	nl_socket_disable_msg_peek(t->sk);
	struct nl_msg *noop = nlmsg_alloc_size(64);
	if (noop && nlmsg_put(noop, NL_AUTO_PORT, NL_AUTO_SEQ, NLMSG_NOOP, 0, 0)) {
		char ext[64];
		nlio_request(t, noop, ext, sizeof(ext));
	}
	nlmsg_free(noop);
	return t;
}

uint32_t nlio_port(const struct nlio *t)
{
	return nl_socket_get_local_port(t->sk);
}

void nlio_close(struct nlio *t)
{
	if (!t)
		return;
	if (t->sk)
		nl_socket_free(t->sk);
	free(t);
}

/* ---- dumps ---- */

struct msgs {
	unsigned char **msgs;
	size_t n, cap;
};

static void msgs_free(struct msgs *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}

static int msgs_add(struct msgs *d, const struct nlmsghdr *h)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		unsigned char **m = realloc(d->msgs, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		d->msgs = m;
		d->cap = cap;
	}
	d->msgs[d->n] = malloc(h->nlmsg_len);
	if (!d->msgs[d->n])
		return -ENOMEM;
	memcpy(d->msgs[d->n++], h, h->nlmsg_len);
	return 0;
}

struct dump_ctx {
	struct msgs *d;
	int reply_type;
	bool interrupted;
	char *ext;
	size_t extlen;
	int result;	/* 1: interrupted, 0, or -errno */
};

static int on_dump(const struct nlmsghdr *h, void *arg)
{
	struct dump_ctx *c = arg;

	if (h->nlmsg_flags & NLM_F_DUMP_INTR)
		c->interrupted = true;
	if (h->nlmsg_type == NLMSG_DONE) {
		int error = 0;
		if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
			memcpy(&error, NLMSG_DATA(h), sizeof(error));
		if (error < 0 && (h->nlmsg_flags & NLM_F_ACK_TLVS))
			extack_text(h, NLMSG_ALIGN(sizeof(int)), c->ext, c->extlen);
		c->result = error < 0 ? error : c->interrupted;
		return 1;
	}
	if (h->nlmsg_type == NLMSG_ERROR) {
		int error = -EPROTO;
		nlio_ack_parse(h, &error, c->ext, c->extlen);
		c->result = error < 0 ? error : -EPROTO;
		return 1;
	}
	if (h->nlmsg_type == c->reply_type && msgs_add(c->d, h) < 0) {
		c->result = -ENOMEM;
		return 1;
	}
	return 0;
}

/* One dump into d; 1 if the kernel marked it interrupted, 0, or -errno. */
static int dump_once(struct nlio *t, int type, const void *hdr, size_t hdrlen, int reply_type, struct msgs *d,
		     char *ext, size_t extlen)
{
	struct dump_ctx c = { d, reply_type, false, ext, extlen, 0 };
	struct nl_msg *msg = nlmsg_alloc_size(NLMSG_SPACE(hdrlen) + 64);
	int rc;

	if (!msg)
		return -ENOMEM;
	if (!nlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, type, 0, NLM_F_DUMP) ||
	    nlmsg_append(msg, (void *)hdr, hdrlen, NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	if (type >= 0 && type < 256)
		dump_counts[type]++;
	uint32_t seq = send_msg(t, msg, NLM_F_REQUEST | NLM_F_DUMP, &rc);
	nlmsg_free(msg);
	if (rc < 0)
		return rc;
	rc = read_answers(t, seq, on_dump, &c);
	return rc < 0 ? rc : c.result;
}

static int dump_collect(struct nlio *t, int type, const void *hdr, size_t hdrlen, int reply_type, struct msgs *d,
			char *ext, size_t extlen)
{
	int rc = 0;

	if (extlen)
		ext[0] = '\0';
	for (int attempt = 0; attempt < 5; attempt++) {
		msgs_free(d);
		rc = dump_once(t, type, hdr, hdrlen, reply_type, d, ext, extlen);
		if (rc <= 0)
			break;
	}
	/* still interrupted after 5 tries: use the last, it is at most stale */
	if (rc < 0)
		msgs_free(d);
	return rc < 0 ? rc : 0;
}

int nlio_dump(struct nlio *t, int type, const void *hdr, size_t hdrlen, int reply_type, nlio_msg_fn fn,
	      void *arg, char *ext, size_t extlen)
{
	struct msgs d = { 0 };
	int rc = dump_collect(t, type, hdr, hdrlen, reply_type, &d, ext, extlen);

	for (size_t i = 0; rc == 0 && i < d.n; i++)
		rc = fn((const struct nlmsghdr *)d.msgs[i], arg);
	msgs_free(&d);
	return rc;
}

/* ---- qdisc snapshots ---- */

static unsigned scope_depth;
static struct msgs scope_snap;
static bool scope_valid;

void nlio_scope_begin(void)
{
	scope_depth++;
}

void nlio_scope_end(void)
{
	if (scope_depth && !--scope_depth) {
		msgs_free(&scope_snap);
		scope_valid = false;
	}
}

static int take_qdiscs(struct nlio *t, struct msgs *d, char *ext, size_t extlen)
{
	/* The kernel ignores a device filter in qdisc dumps: take them all. */
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC };

	return dump_collect(t, RTM_GETQDISC, &tcm, sizeof(tcm), RTM_NEWQDISC, d, ext, extlen);
}

int nlio_qdiscs_take(struct nlio *t, struct nlio_qdiscs *q, char *ext, size_t extlen)
{
	struct msgs d = { 0 };
	int rc;

	memset(q, 0, sizeof(*q));
	if (scope_depth) {
		if (!scope_valid) {
			rc = take_qdiscs(t, &scope_snap, ext, extlen);
			if (rc < 0)
				return rc;
			scope_valid = true;
		} else if (extlen) {
			ext[0] = '\0';
		}
		q->msgs = scope_snap.msgs;
		q->n = scope_snap.n;
		q->shared = true;
		return 0;
	}
	rc = take_qdiscs(t, &d, ext, extlen);
	q->msgs = d.msgs;
	q->n = d.n;
	q->cap = d.cap;
	return rc;
}

void nlio_qdiscs_free(struct nlio_qdiscs *q)
{
	if (!q->shared) {
		struct msgs d = { q->msgs, q->n, q->cap };
		msgs_free(&d);
	}
	memset(q, 0, sizeof(*q));
}

const struct nlmsghdr *nlio_qdiscs_root(const struct nlio_qdiscs *q, int ifindex)
{
	for (size_t i = 0; i < q->n; i++) {
		const struct nlmsghdr *h = nlio_qdiscs_at(q, i);
		const struct tcmsg *tcm = NLMSG_DATA(h);

		if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*tcm)) && tcm->tcm_ifindex == ifindex &&
		    tcm->tcm_parent == TC_H_ROOT)
			return h;
	}
	return NULL;
}

/* ---- notifications ---- */

struct nlio_mon {
	int fd;
};

struct nlio_mon *nlio_mon_open(const unsigned *groups, size_t n_groups, char *err, size_t errlen)
{
	struct nlio_mon *m = calloc(1, sizeof(*m));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int rcvbuf = 1 << 20;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (m->fd < 0 || bind(m->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "route netlink socket: %s", strerror(errno));
		goto fail;
	}
	/* A bigger buffer makes overruns rarer. */
	setsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	for (size_t i = 0; i < n_groups; i++)
		if (setsockopt(m->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(groups[i])) < 0) {
			snprintf(err, errlen, "route netlink group %u: %s", groups[i], strerror(errno));
			goto fail;
		}
	return m;
fail:
	nlio_mon_close(m);
	return NULL;
}

void nlio_mon_close(struct nlio_mon *m)
{
	if (!m)
		return;
	if (m->fd >= 0)
		close(m->fd);
	free(m);
}

int nlio_mon_fd(const struct nlio_mon *m)
{
	return m->fd;
}

size_t nlio_mon_drain(struct nlio_mon *m, nlio_msg_fn fn, void *arg, bool *lost)
{
	/* Notifications fit one page; a 32 KiB read never cuts one. */
	unsigned char buf[32768] __attribute__((aligned(4)));
	size_t count = 0;

	*lost = false;
	for (int rounds = 0; rounds < 256; rounds++) {
		ssize_t n = recv(m->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			*lost = true;	/* some change went unseen */
			continue;
		}
		if (n <= 0)
			break;	/* EAGAIN, or an error: nothing more to read now */
		if ((size_t)n > sizeof(buf)) {
			*lost = true;
			continue;
		}
		int len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			count++;
			if (fn)
				fn(h, arg);
		}
	}
	return count;
}
