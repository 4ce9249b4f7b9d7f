/* SPDX-License-Identifier: GPL-2.0-only */
/* log.h — leveled logging to stderr or syslog, shared by tsnd and its tools. */
#ifndef TSN_LOG_H
#define TSN_LOG_H

#include <stdarg.h>

enum tsn_log_level {
	TSN_LOG_ERR = 3,	/* same numbers as syslog priorities */
	TSN_LOG_WARNING = 4,
	TSN_LOG_NOTICE = 5,
	TSN_LOG_INFO = 6,
	TSN_LOG_DEBUG = 7,
};

enum tsn_log_target {
	TSN_LOG_STDERR = 0,
	TSN_LOG_SYSLOG = 1,
};

/* Set where messages go and the most verbose level that is still printed. */
void tsn_log_setup(const char *ident, enum tsn_log_target target, enum tsn_log_level level);
void tsn_log_set_level(enum tsn_log_level level);
enum tsn_log_level tsn_log_get_level(void);

void tsn_log(enum tsn_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tsn_vlog(enum tsn_log_level level, const char *fmt, va_list ap);

#define log_err(...)     tsn_log(TSN_LOG_ERR, __VA_ARGS__)
#define log_warn(...)    tsn_log(TSN_LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  tsn_log(TSN_LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    tsn_log(TSN_LOG_INFO, __VA_ARGS__)
#define log_debug(...)   tsn_log(TSN_LOG_DEBUG, __VA_ARGS__)

#endif
