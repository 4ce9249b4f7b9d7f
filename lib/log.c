/* SPDX-License-Identifier: GPL-2.0-only */
/* log.c — leveled logging to stderr or syslog. */
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "tsn/log.h"

static enum tsn_log_target log_target = TSN_LOG_STDERR;
static enum tsn_log_level log_level = TSN_LOG_INFO;
static const char *log_ident = "tsnd";

static const char *level_name(enum tsn_log_level level)
{
	switch (level) {
	case TSN_LOG_ERR: return "error";
	case TSN_LOG_WARNING: return "warning";
	case TSN_LOG_NOTICE: return "notice";
	case TSN_LOG_INFO: return "info";
	case TSN_LOG_DEBUG: return "debug";
	}
	return "?";
}

void tsn_log_setup(const char *ident, enum tsn_log_target target, enum tsn_log_level level)
{
	if (log_target == TSN_LOG_SYSLOG && target != TSN_LOG_SYSLOG)
		closelog();
	log_ident = ident;
	log_target = target;
	log_level = level;
	if (target == TSN_LOG_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void tsn_log_set_level(enum tsn_log_level level)
{
	log_level = level;
}

enum tsn_log_level tsn_log_get_level(void)
{
	return log_level;
}

void tsn_vlog(enum tsn_log_level level, const char *fmt, va_list ap)
{
	if (level > log_level)
		return;
	if (log_target == TSN_LOG_SYSLOG) {
		vsyslog((int)level, fmt, ap);
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct tm tm;
	gmtime_r(&now.tv_sec, &tm);
	/* One line, one write: stderr is unbuffered, and lines from several
	 * processes sharing it must not interleave. */
	char line[2048];
	int n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %s[%s]: ", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 now.tv_nsec / 1000000, log_ident, level_name(level));
	if (n < 0)
		return;
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	size_t len = m < 0 ? (size_t)n : (size_t)n + (size_t)m;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;	/* cut, still ended by its newline */
	line[len++] = '\n';
	fwrite(line, 1, len, stderr);
}

void tsn_log(enum tsn_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tsn_vlog(level, fmt, ap);
	va_end(ap);
}
