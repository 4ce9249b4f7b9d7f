/* SPDX-License-Identifier: GPL-2.0-only */
/* metrics_http.h — tsnd's optional Prometheus listener (telemetry.prometheus):
 * libmicrohttpd on the event loop, answering GET /metrics with the text of
 * lib/prom.c, and nothing else.
 *
 * It never blocks the loop (MHD runs without threads from the loop, the body is
 * made in one go when a request is complete), bounds what a client can cost
 * (METRICS_MAX_CLIENTS connections, METRICS_MAX_REQUEST bytes of request head,
 * METRICS_TIMEOUT_NS for the whole exchange) and closes every connection after
 * its response.  It changes nothing: read-only, unauthenticated (docs/security.md).
 *
 * The address changes in two phases so that a reload stays all or nothing:
 * metrics_http_prepare() binds the new address (nothing is served from it yet),
 * then metrics_http_commit() switches to it, or metrics_http_abort() drops it and
 * keeps the running one.
 */
#ifndef TSND_METRICS_HTTP_H
#define TSND_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX_CLIENTS 4
#define METRICS_MAX_REQUEST 4096
#define METRICS_TIMEOUT_NS 5000000000ull

struct evloop;
struct metrics_http;

/* The response body: malloc'd text and its length, or NULL (answered 500). */
typedef char *(*metrics_body_fn)(void *arg, size_t *len);

/* A listener with no socket yet.  NULL when out of memory. */
struct metrics_http *metrics_http_new(struct evloop *loop, metrics_body_fn fn, void *arg);
/* Close the sockets and every connection. */
void metrics_http_free(struct metrics_http *m);

/* Get ready to serve on `listen` ("127.0.0.1:9464", "[::1]:9464"), or on nothing
 * if !enabled.  If that differs from what runs, the new socket is bound and
 * listening but not served until commit.  -1 with the reason in err. */
int metrics_http_prepare(struct metrics_http *m, bool enabled, const char *listen, char *err, size_t errlen);
/* Serve the prepared address (close the previous socket and its clients). */
void metrics_http_commit(struct metrics_http *m);
/* Drop what prepare made; the running listener stays as it was. */
void metrics_http_abort(struct metrics_http *m);

/* The address served ("" when off). */
const char *metrics_http_address(const struct metrics_http *m);

#endif
