/* SPDX-License-Identifier: GPL-2.0-only */
/* probe_util.h — what the lab's timing probes (gate_probe, shaper_probe) share:
 * a fatal error with the program's name, a clock read in nanoseconds, and the
 * kernel's TAI offset.  Header-only, so each tool stays one .c file.  The tool
 * defines `prog` (its name) before including it. */
#ifndef TSN_PROBE_UTIL_H
#define TSN_PROBE_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void __attribute__((noreturn, format(printf, 1, 2), unused)) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static __attribute__((unused)) int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CLOCK_TAI - CLOCK_REALTIME.  The kernel keeps it in whole seconds, so the
 * measured difference (a realtime read on each side of the TAI read) is rounded
 * to the nearest second. */
static __attribute__((unused)) int64_t tai_offset_ns(void)
{
	int64_t r1 = now_ns(CLOCK_REALTIME);
	int64_t tai = now_ns(CLOCK_TAI);
	int64_t r2 = now_ns(CLOCK_REALTIME);
	int64_t d = tai - (r1 + (r2 - r1) / 2);
	int64_t s = (d >= 0 ? d + 500000000 : d - 500000000) / 1000000000;

	return s * 1000000000;
}

#endif
