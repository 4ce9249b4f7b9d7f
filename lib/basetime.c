/* SPDX-License-Identifier: GPL-2.0-only */
/* basetime.c — exact base-time arithmetic (see include/tsn/basetime.h).
 *
 * Every computation runs in __int128, where the largest intermediate value
 * (an int64 plus a uint64, or a quotient times a uint64 cycle) cannot overflow,
 * and the result is range-checked before it is narrowed to int64_t. */
#include <errno.h>
#include <stdio.h>

#include "tsn/basetime.h"

typedef __int128 i128;

/* floor(a / b) for b > 0; C division truncates toward zero. */
static i128 floor_div(i128 a, i128 b)
{
	i128 q = a / b;

	if (a % b != 0 && a < 0)
		q--;
	return q;
}

/* ceil(a / b) for b > 0. */
static i128 ceil_div(i128 a, i128 b)
{
	i128 q = a / b;

	if (a % b != 0 && a > 0)
		q++;
	return q;
}

static int narrow(i128 v, int64_t *out)
{
	if (v > INT64_MAX || v < INT64_MIN)
		return -ERANGE;
	*out = (int64_t)v;
	return 0;
}

int tsn_basetime_auto(int64_t now, uint64_t lead, uint64_t cycle, int64_t *base)
{
	if (cycle == 0)
		return -EINVAL;
	/* |now + lead| < 2^65 and the quotient times cycle stays below 2^66 + 2^64. */
	i128 earliest = (i128)now + (i128)lead;
	return narrow(ceil_div(earliest, (i128)cycle) * (i128)cycle, base);
}

int tsn_basetime_start(int64_t base, int64_t now, uint64_t cycle, int64_t *start)
{
	if (cycle == 0 || cycle > (uint64_t)INT64_MAX)
		return -EINVAL;
	if (base > now) {
		*start = base;
		return 0;
	}
	i128 n = ((i128)now - (i128)base) / (i128)cycle;	/* now - base >= 0: floor */
	return narrow((i128)base + (n + 1) * (i128)cycle, start);
}

int tsn_basetime_phase(int64_t t, int64_t base, uint64_t cycle, uint64_t *phase)
{
	if (cycle == 0)
		return -EINVAL;
	i128 d = (i128)t - (i128)base;
	*phase = (uint64_t)(d - floor_div(d, (i128)cycle) * (i128)cycle);
	return 0;
}

char *tsn_basetime_format(int64_t ns, char *buf, size_t len)
{
	/* Work on the magnitude as unsigned: -INT64_MIN does not fit in int64_t. */
	uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;

	snprintf(buf, len, "%s%llu.%09llu", ns < 0 ? "-" : "", (unsigned long long)(mag / 1000000000u),
		 (unsigned long long)(mag % 1000000000u));
	return buf;
}
