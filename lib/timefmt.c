/* SPDX-License-Identifier: GPL-2.0-only */
/* timefmt.c — RFC 3339 timestamps (UTC, second resolution). */
#include <stdio.h>

#include "tsn/timefmt.h"

char *tsn_format_rfc3339(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!len)
		return buf;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		snprintf(buf, len, "1970-01-01T00:00:00Z");
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}
