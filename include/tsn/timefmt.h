/* SPDX-License-Identifier: GPL-2.0-only */
/* timefmt.h — wall-clock times as tsnd prints them (RFC 3339, UTC, seconds).
 *
 * One formatter for the daemon's status, the PTP and telemetry JSON, so that
 * no module needs another module (or the reload) for a timestamp. */
#ifndef TSN_TIMEFMT_H
#define TSN_TIMEFMT_H

#include <stddef.h>
#include <time.h>

/* The longest text tsn_format_rfc3339 writes, with its NUL. */
#define TSN_RFC3339_LEN 21

/* "2026-12-07T00:14:35Z" into buf; "1970-01-01T00:00:00Z" if t cannot be
 * converted.  Truncated like snprintf when len is too small; returns buf. */
char *tsn_format_rfc3339(time_t t, char *buf, size_t len);

#endif
