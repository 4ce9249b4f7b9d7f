/* SPDX-License-Identifier: GPL-2.0-only */
/* audit.c — the audit log (API in audit.h).
 *
 * A line is written with one write(2) on an O_APPEND descriptor, so lines of
 * concurrent writers (a second tsnd on the same file by mistake, logrotate's
 * copytruncate) never interleave.  The file is created 0600 and an existing one is
 * made 0600: it names users and what they tried. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

#include "audit.h"
#include "tsn/config.h"
#include "tsn/ctl_proto.h"
#include "tsn/log.h"

static int audit_fd = -1;
static char audit_path[TSN_PATH_MAX];
static char failed_path[TSN_PATH_MAX];	/* warned once about this path */

static void close_fd(void)
{
	if (audit_fd >= 0)
		close(audit_fd);
	audit_fd = -1;
	audit_path[0] = '\0';
}

static int audit_open(const char *path)
{
	int fd;

	if (audit_fd >= 0 && strcmp(path, audit_path) == 0)
		return audit_fd;
	close_fd();
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd >= 0 && fchmod(fd, 0600) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		if (strcmp(failed_path, path) != 0)
			log_warn("audit: cannot open control.audit-log %s: %s; audit records go to "
				 "the daemon log only", path, strerror(errno));
		snprintf(failed_path, sizeof(failed_path), "%s", path);
		return -1;
	}
	failed_path[0] = '\0';
	audit_fd = fd;
	snprintf(audit_path, sizeof(audit_path), "%s", path);
	return fd;
}

/* RFC 3339, UTC, microseconds: 2026-11-22T12:52:00.123456Z */
static void rfc3339_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.20s.%06dZ", base, (int)(ts.tv_nsec / 1000));
}

/* ---- bounds on refusals ------------------------------------------------------
 * Records of requests that did not succeed are what any peer can cause at will,
 * so they are bounded, in the file and in the daemon log alike:
 *  - a repeat of the last such record (same uid, command and result) within
 *    REPEAT_WINDOW_NS of its first writing is only counted; the count is written
 *    as one record ("repeats": N) with the next record written, or at exit;
 *  - at most REFUSAL_BURST records, then one a second (a token bucket); what the
 *    bucket holds back is counted in the same way ("suppressed": N).
 * So a peer flooding refused requests makes tsnd write at most REFUSAL_BURST
 * records and then one a second, each at most AUDIT_LINE_MAX bytes.  Successful
 * changes (only root and the admin group can make them) are always recorded. */
#define REPEAT_WINDOW_NS (60ull * 1000000000ull)
#define REFUSAL_BURST 20
#define REFUSAL_RATE_NS 1000000000ull	/* one token a second */
#define AUDIT_LINE_MAX 4096

static struct {
	char key[160];			/* uid, command and result of the last refusal written */
	char who[64], command[TSN_CTL_COMMAND_MAX], result[32];
	uint64_t written_ns;		/* when it was written */
	unsigned long repeats;		/* counted since, not written */
	unsigned long suppressed;	/* refusals of other kinds held back by the bucket */
	uint64_t tokens_ns;		/* bucket: time credit, REFUSAL_RATE_NS per token */
	uint64_t last_ns;
	bool started;
} lim;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool take_token(uint64_t now)
{
	const uint64_t full = REFUSAL_BURST * REFUSAL_RATE_NS;

	if (!lim.started) {
		lim.started = true;
		lim.tokens_ns = full;
	} else {
		lim.tokens_ns += now - lim.last_ns;
		if (lim.tokens_ns > full)
			lim.tokens_ns = full;
	}
	lim.last_ns = now;
	if (lim.tokens_ns < REFUSAL_RATE_NS)
		return false;
	lim.tokens_ns -= REFUSAL_RATE_NS;
	return true;
}

static void write_record(const char *path, const char *who, const char *command, const char *result,
			 const char *message, const char *count_key, unsigned long count);

/* Write what was counted and not written: the repeats of the last refusal and
 * the refusals the bucket held back. */
static void flush_counts(const char *path)
{
	char msg[128];

	if (lim.repeats) {
		snprintf(msg, sizeof(msg), "the record above repeated %lu more time(s)", lim.repeats);
		write_record(path, lim.who, lim.command, lim.result, msg, "repeats", lim.repeats);
		lim.repeats = 0;
	}
	if (lim.suppressed) {
		snprintf(msg, sizeof(msg), "%lu refused or failed request(s) not recorded one by one "
			 "(rate limit)", lim.suppressed);
		write_record(path, "tsnd", "-", "suppressed", msg, "suppressed", lim.suppressed);
		lim.suppressed = 0;
	}
}

static char flush_path[TSN_PATH_MAX];	/* where the counts belong */

void audit_record(const char *path, const char *who, const char *command, const char *result,
		  const char *message)
{
	if (strcmp(result, "ok") != 0) {
		uint64_t now = mono_ns();
		char key[sizeof(lim.key)];
		const char *pid = strstr(who, " pid ");

		/* The uid, not the pid: every connection of a peer has its own. */
		snprintf(key, sizeof(key), "%.*s|%s|%s", pid ? (int)(pid - who) : (int)strlen(who), who,
			 command, result);
		if (lim.written_ns && strcmp(key, lim.key) == 0 && now - lim.written_ns < REPEAT_WINDOW_NS) {
			lim.repeats++;
			return;
		}
		if (!take_token(now)) {
			lim.suppressed++;
			return;
		}
		flush_counts(flush_path);
		snprintf(lim.key, sizeof(lim.key), "%s", key);
		snprintf(lim.who, sizeof(lim.who), "%s", who);
		snprintf(lim.command, sizeof(lim.command), "%s", command);
		snprintf(lim.result, sizeof(lim.result), "%s", result);
		lim.written_ns = now;
	} else {
		flush_counts(flush_path);
	}
	snprintf(flush_path, sizeof(flush_path), "%s", path ? path : "");
	write_record(path, who, command, result, message, NULL, 0);
}

static void write_record(const char *path, const char *who, const char *command, const char *result,
			 const char *message, const char *count_key, unsigned long count)
{
	json_object *o;
	const char *line;
	char when[48];
	int uid, pid, fd;

	log_notice("audit: %s command %s: %s%s%s", who, command, result,
		   message && message[0] ? ": " : "", message ? message : "");
	if (!path || !path[0]) {
		close_fd();
		return;
	}
	fd = audit_open(path);
	if (fd < 0)
		return;
	rfc3339_now(when, sizeof(when));
	o = json_object_new_object();
	json_object_object_add(o, "time", json_object_new_string(when));
	if (sscanf(who, "uid %d pid %d", &uid, &pid) == 2) {
		json_object_object_add(o, "uid", json_object_new_int(uid));
		json_object_object_add(o, "pid", json_object_new_int(pid));
	} else {
		json_object_object_add(o, "uid", NULL);
		json_object_object_add(o, "pid", NULL);
	}
	json_object_object_add(o, "who", json_object_new_string(who));
	json_object_object_add(o, "command", json_object_new_string(command));
	json_object_object_add(o, "result", json_object_new_string(result));
	json_object_object_add(o, "message", json_object_new_string(message ? message : ""));
	if (count_key)
		json_object_object_add(o, count_key, json_object_new_uint64(count));
	line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	{
		size_t n = strlen(line);
		char buf[AUDIT_LINE_MAX];

		/* One write per record; a record longer than buf is cut (messages are short). */
		if (n > sizeof(buf) - 2)
			n = sizeof(buf) - 2;
		memcpy(buf, line, n);
		buf[n++] = '\n';
		if (write(fd, buf, n) != (ssize_t)n)
			log_warn("audit: cannot write to %s: %s", audit_path, strerror(errno));
	}
	json_object_put(o);
}

void audit_close(void)
{
	flush_counts(flush_path);
	close_fd();
}
