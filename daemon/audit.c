/* audit.c — the audit log (API in audit.h).
 *
 * A line is written with one write(2) on an O_APPEND descriptor, so lines of
 * concurrent writers (a second tsnd on the same file by mistake, logrotate's
 * copytruncate) never interleave.  The file is created 0600 and an existing one is
 * made 0600: it names users and what they tried. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

#include "audit.h"
#include "tsn/config.h"
#include "tsn/log.h"

static int audit_fd = -1;
static char audit_path[TSN_PATH_MAX];
static char failed_path[TSN_PATH_MAX];	/* warned once about this path */

void audit_close(void)
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
	audit_close();
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

void audit_record(const char *path, const char *who, const char *command, const char *result,
		  const char *message)
{
	json_object *o;
	const char *line;
	char when[48];
	int uid, pid, fd;

	log_notice("audit: %s command %s: %s%s%s", who, command, result,
		   message && message[0] ? ": " : "", message ? message : "");
	if (!path || !path[0]) {
		audit_close();
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
	line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	{
		size_t n = strlen(line);
		char buf[8192];

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
