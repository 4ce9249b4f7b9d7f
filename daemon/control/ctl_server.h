/* SPDX-License-Identifier: GPL-2.0-only */
/* ctl_server.h — the control socket: a non-blocking UNIX stream server speaking
 * the line protocol of include/tsn/ctl_proto.h.
 *
 * The server owns transport concerns only: accepting, per-connection buffers and
 * deadlines, framing and decoding, peer credentials, back-pressure and the protocol
 * error replies (malformed, unsupported-version, too-large, timeout, busy).  Every
 * well-formed request goes to one dispatch callback (ctl_handlers.c), which decides
 * permissions and produces the response.
 */
#ifndef TSND_CTL_SERVER_H
#define TSND_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tsn/ctl_proto.h"

struct evloop;
struct ctl_server;

/* The process on the other end, from SO_PEERCRED and SO_PEERGROUPS at connect. */
struct ctl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	gid_t *groups;		/* supplementary groups */
	size_t n_groups;
};

struct ctl_limits {
	uint32_t max_request;	/* bytes per request line, newline included */
	uint64_t timeout_ns;	/* see ctl_server.c: deadline rules */
	uint32_t max_clients;
	/* Root and members of admin_gid (if has_admin) may send requests up to
	 * max_admin_request bytes: config.apply carries a whole configuration. */
	uint32_t max_admin_request;
	bool has_admin;
	gid_t admin_gid;
};

/* Fill *resp (version and id are preset, code is TSN_CTL_OK) for a decoded request.
 * The callback may set resp->data; the server releases it. */
typedef void (*ctl_dispatch_fn)(void *arg, const struct ctl_peer *peer,
				const struct tsn_ctl_request *req, struct tsn_ctl_response *resp);

/* A reply given later.  Called from the dispatch callback, it keeps the request's
 * answer open after the callback returns (resp is then dropped); the connection
 * runs none of its further requests until ctl_later_finish answers (with the
 * request's id), releases resp's data and frees l.  A connection closed meanwhile drops the answer.
 * NULL when not in a dispatch or out of memory: answer at once. */
struct ctl_later;
struct ctl_later *ctl_server_defer(struct ctl_server *srv);
void ctl_later_finish(struct ctl_later *l, struct tsn_ctl_response *resp);
/* Still in the dispatch callback: answer at once after all (frees l). */
void ctl_later_cancel(struct ctl_later *l);

/* Look at `path` before binding: returns 1 if a server answers there, 0 if nothing
 * is there or a stale socket was removed, -1 with a reason in err otherwise (for
 * example a file that is not a socket). */
int ctl_socket_probe(const char *path, char *err, size_t errlen);

/* Bind and listen on `path` (its directory is created with mode 0755), set the
 * socket's mode and group, and register with the loop.  NULL on failure, with a
 * reason in err. */
struct ctl_server *ctl_server_open(struct evloop *loop, const char *path, mode_t mode, gid_t group,
				   const struct ctl_limits *limits, ctl_dispatch_fn fn, void *arg,
				   char *err, size_t errlen);
/* Close every connection and the socket, and remove the socket file. */
void ctl_server_close(struct ctl_server *srv);

/* New limits apply to connections accepted from now on (timeouts: from the next
 * deadline refresh of existing connections). */
void ctl_server_set_limits(struct ctl_server *srv, const struct ctl_limits *limits);
/* chmod/chown the socket file (owner root).  -1 with a reason in err on failure. */
int ctl_server_set_access(struct ctl_server *srv, mode_t mode, gid_t group, char *err, size_t errlen);

size_t ctl_server_clients(const struct ctl_server *srv);

/* True if the peer's primary or a supplementary group is `gid`. */
bool ctl_peer_in_group(const struct ctl_peer *peer, gid_t gid);

#endif
