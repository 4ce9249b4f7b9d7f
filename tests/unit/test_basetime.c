/* SPDX-License-Identifier: GPL-2.0-only */
/* test_basetime.c — base-time arithmetic at the edges of int64: auto base times,
 * where the kernel starts a schedule, phases, formatting.  Each expected value is
 * worked out by hand (comments show the arithmetic), not by the code under test. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "test_util.h"
#include "tsn/basetime.h"

#define NS_PER_S 1000000000ll

/* ---- tsn_basetime_auto ---- */

static int64_t auto_ok(int64_t now, uint64_t lead, uint64_t cycle)
{
	int64_t base = 0x5a5a;
	CU_ASSERT_EQUAL_FATAL(tsn_basetime_auto(now, lead, cycle, &base), 0);
	return base;
}

static void test_auto_worked_example(void)
{
	/* docs/schedules.md: now 1700000000.123456789 s, lead 1 s, cycle 1 ms:
	 * now + lead = 1700000001.123456789 s; the next multiple of 1 ms is
	 * 1700000001.124000000 s. */
	CU_ASSERT_EQUAL(auto_ok(1700000000123456789ll, NS_PER_S, 1000000), 1700000001124000000ll);
	/* A cycle of 300 us: 1700000001123456789 / 300000 = 5666666670411.52...,
	 * ceil 5666666670412 * 300000 = 1700000001123600000. */
	CU_ASSERT_EQUAL(auto_ok(1700000000123456789ll, NS_PER_S, 300000), 1700000001123600000ll);
}

static void test_auto_on_boundary(void)
{
	/* now + lead already on the grid: that boundary itself (at least lead ahead). */
	CU_ASSERT_EQUAL(auto_ok(2000, 1000, 1000), 3000);
	CU_ASSERT_EQUAL(auto_ok(3000, 0, 1000), 3000);
	/* One past the boundary: the next one. */
	CU_ASSERT_EQUAL(auto_ok(3001, 0, 1000), 4000);
	CU_ASSERT_EQUAL(auto_ok(2999, 0, 1000), 3000);
}

static void test_auto_zero_and_one(void)
{
	CU_ASSERT_EQUAL(auto_ok(0, 0, 1), 0);
	CU_ASSERT_EQUAL(auto_ok(0, 0, 1000), 0);
	CU_ASSERT_EQUAL(auto_ok(1, 0, 1000), 1000);
	CU_ASSERT_EQUAL(auto_ok(0, 1, 1000), 1000);
	/* A cycle of 1 ns: every instant is a boundary. */
	CU_ASSERT_EQUAL(auto_ok(1234567, 0, 1), 1234567);
	CU_ASSERT_EQUAL(auto_ok(1234567, 89, 1), 1234656);
}

static void test_auto_cycle_longer_than_now(void)
{
	/* 10 s of clock and a 1 h cycle: the first boundary after 0 is the cycle. */
	CU_ASSERT_EQUAL(auto_ok(10 * NS_PER_S, 0, 3600ull * NS_PER_S), 3600ll * NS_PER_S);
	/* The largest cycle that still yields a representable boundary. */
	CU_ASSERT_EQUAL(auto_ok(1, 0, INT64_MAX), INT64_MAX);
}

static void test_auto_negative_now(void)
{
	/* Clocks before the epoch (a realtime clock set back): ceil toward +inf. */
	CU_ASSERT_EQUAL(auto_ok(-1, 0, 1000), 0);
	CU_ASSERT_EQUAL(auto_ok(-1000, 0, 1000), -1000);
	CU_ASSERT_EQUAL(auto_ok(-1001, 0, 1000), -1000);
	CU_ASSERT_EQUAL(auto_ok(INT64_MIN, 0, 1), INT64_MIN);
	/* INT64_MIN = -9223372036854775808 = -9223372036854775 * 1000 - 808:
	 * ceil(INT64_MIN / 1000) * 1000 = -9223372036854775000. */
	CU_ASSERT_EQUAL(auto_ok(INT64_MIN, 0, 1000), -9223372036854775000ll);
	CU_ASSERT_EQUAL(auto_ok(INT64_MIN, UINT64_MAX, 1), INT64_MAX);	/* MIN + 2^64 - 1 */
}

static void test_auto_near_int64_max(void)
{
	int64_t base;

	/* INT64_MAX = 9223372036854775807 = 9223372036854775 * 1000 + 807. */
	CU_ASSERT_EQUAL(auto_ok(9223372036854775000ll, 0, 1000), 9223372036854775000ll);
	CU_ASSERT_EQUAL(auto_ok(INT64_MAX, 0, 1), INT64_MAX);
	/* The next boundary, 9223372036854776000, does not fit: an error, not a wrap. */
	CU_ASSERT_EQUAL(tsn_basetime_auto(9223372036854775001ll, 0, 1000, &base), -ERANGE);
	CU_ASSERT_EQUAL(tsn_basetime_auto(INT64_MAX, 1, 1, &base), -ERANGE);
	CU_ASSERT_EQUAL(tsn_basetime_auto(INT64_MAX - 10, 11, 1, &base), -ERANGE);
	CU_ASSERT_EQUAL(auto_ok(INT64_MAX - 10, 10, 1), INT64_MAX);
}

static void test_auto_huge_lead_and_cycle(void)
{
	int64_t base = 42;

	/* A lead of 2^64 - 1 ns from 0 is far beyond int64: -ERANGE, base untouched. */
	CU_ASSERT_EQUAL(tsn_basetime_auto(0, UINT64_MAX, 1000, &base), -ERANGE);
	CU_ASSERT_EQUAL(base, 42);
	/* A cycle above INT64_MAX: only boundary 0 is representable. */
	CU_ASSERT_EQUAL(auto_ok(-5, 0, UINT64_MAX), 0);
	CU_ASSERT_EQUAL(tsn_basetime_auto(1, 0, UINT64_MAX, &base), -ERANGE);
	CU_ASSERT_EQUAL(tsn_basetime_auto(1, 0, (uint64_t)INT64_MAX + 1, &base), -ERANGE);
	/* An hour of lead (the config's maximum) from a realistic TAI time. */
	CU_ASSERT_EQUAL(auto_ok(1700000037000000001ll, 3600ull * NS_PER_S, 1000000),
			1700003637001000000ll);
}

static void test_auto_cycle_zero(void)
{
	int64_t base = 7;
	CU_ASSERT_EQUAL(tsn_basetime_auto(100, 0, 0, &base), -EINVAL);
	CU_ASSERT_EQUAL(base, 7);
}

static void test_auto_is_aligned_and_ahead(void)
{
	/* Property over a spread of values: base is a multiple of the cycle, at
	 * least now + lead, and less than now + lead + cycle. */
	static const int64_t nows[] = { 0, 1, 999, 1000, 1001, 1700000000123456789ll, -7, INT64_MAX / 2 };
	static const uint64_t leads[] = { 0, 1, 1000000, 1000000000, 3600000000000ull };
	static const uint64_t cycles[] = { 1, 2, 3, 7, 1000, 250000, 1000000, 999999937 };

	for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++)
		for (size_t j = 0; j < sizeof(leads) / sizeof(leads[0]); j++)
			for (size_t k = 0; k < sizeof(cycles) / sizeof(cycles[0]); k++) {
				int64_t base;
				__int128 earliest = (__int128)nows[i] + leads[j];
				CU_ASSERT_EQUAL_FATAL(tsn_basetime_auto(nows[i], leads[j], cycles[k], &base), 0);
				CU_ASSERT_EQUAL(base % (int64_t)cycles[k], 0);
				CU_ASSERT((__int128)base >= earliest);
				CU_ASSERT((__int128)base < earliest + cycles[k]);
			}
}

/* ---- tsn_basetime_start ---- */

static int64_t start_ok(int64_t base, int64_t now, uint64_t cycle)
{
	int64_t start = 0x5a5a;
	CU_ASSERT_EQUAL_FATAL(tsn_basetime_start(base, now, cycle, &start), 0);
	return start;
}

static void test_start_future_base(void)
{
	CU_ASSERT_EQUAL(start_ok(5000, 4999, 1000), 5000);
	CU_ASSERT_EQUAL(start_ok(INT64_MAX, 0, 1), INT64_MAX);
}

static void test_start_past_base(void)
{
	/* base 1000, cycle 300, now 2000: (2000 - 1000) / 300 = 3, start 1000 + 4 * 300. */
	CU_ASSERT_EQUAL(start_ok(1000, 2000, 300), 2200);
	/* On a boundary the kernel still moves on by one cycle (base == now is "past"). */
	CU_ASSERT_EQUAL(start_ok(1000, 1000, 300), 1300);
	CU_ASSERT_EQUAL(start_ok(1000, 1900, 300), 2200);
	/* base 0, the usual "base-time 0" of tc examples. */
	CU_ASSERT_EQUAL(start_ok(0, 1700000000123456789ll, 1000000), 1700000000124000000ll);
	/* A base far in the past (before the epoch) with a 1 ns cycle. */
	CU_ASSERT_EQUAL(start_ok(INT64_MIN, 0, 1), 1);
	CU_ASSERT_EQUAL(start_ok(INT64_MIN, INT64_MAX - 1, 1), INT64_MAX);
}

static void test_start_overflow(void)
{
	int64_t start = 3;
	/* now at INT64_MAX: the next boundary is beyond int64. */
	CU_ASSERT_EQUAL(tsn_basetime_start(0, INT64_MAX, 1000, &start), -ERANGE);
	CU_ASSERT_EQUAL(tsn_basetime_start(INT64_MIN, INT64_MAX, 1, &start), -ERANGE);
	CU_ASSERT_EQUAL(tsn_basetime_start(0, 5, 0, &start), -EINVAL);
	CU_ASSERT_EQUAL(tsn_basetime_start(0, 5, (uint64_t)INT64_MAX + 1, &start), -EINVAL);
	CU_ASSERT_EQUAL(start, 3);
	CU_ASSERT_EQUAL(start_ok(0, 5, INT64_MAX), INT64_MAX);
}

/* ---- tsn_basetime_phase, tsn_basetime_format ---- */

static void test_phase(void)
{
	uint64_t p = 99;
	CU_ASSERT_EQUAL(tsn_basetime_phase(1250, 1000, 100, &p), 0);
	CU_ASSERT_EQUAL(p, 50);
	CU_ASSERT_EQUAL(tsn_basetime_phase(999, 1000, 100, &p), 0);
	CU_ASSERT_EQUAL(p, 99);	/* one before base: the end of the previous cycle */
	CU_ASSERT_EQUAL(tsn_basetime_phase(INT64_MAX, INT64_MIN, UINT64_MAX, &p), 0);
	CU_ASSERT_EQUAL(p, 0);	/* d = 2^64 - 1, one whole cycle */
	CU_ASSERT_EQUAL(tsn_basetime_phase(INT64_MAX, INT64_MIN, 1ull << 63, &p), 0);
	CU_ASSERT_EQUAL(p, (1ull << 63) - 1);	/* 2^64 - 1 = 2^63 + (2^63 - 1) */
	CU_ASSERT_EQUAL(tsn_basetime_phase(1, 0, 0, &p), -EINVAL);
}

static void test_format(void)
{
	char buf[32];
	CU_ASSERT_STRING_EQUAL(tsn_basetime_format(0, buf, sizeof(buf)), "0.000000000");
	CU_ASSERT_STRING_EQUAL(tsn_basetime_format(1, buf, sizeof(buf)), "0.000000001");
	CU_ASSERT_STRING_EQUAL(tsn_basetime_format(1700000001124000000ll, buf, sizeof(buf)),
			       "1700000001.124000000");
	CU_ASSERT_STRING_EQUAL(tsn_basetime_format(-1500000000ll, buf, sizeof(buf)), "-1.500000000");
	CU_ASSERT_STRING_EQUAL(tsn_basetime_format(INT64_MAX, buf, sizeof(buf)), "9223372036.854775807");
	CU_ASSERT_STRING_EQUAL(tsn_basetime_format(INT64_MIN, buf, sizeof(buf)), "-9223372036.854775808");
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("basetime", NULL, NULL);
	CU_add_test(s, "auto: worked example", test_auto_worked_example);
	CU_add_test(s, "auto: on a boundary", test_auto_on_boundary);
	CU_add_test(s, "auto: zero, one, 1 ns cycle", test_auto_zero_and_one);
	CU_add_test(s, "auto: cycle longer than now", test_auto_cycle_longer_than_now);
	CU_add_test(s, "auto: negative now", test_auto_negative_now);
	CU_add_test(s, "auto: near INT64_MAX", test_auto_near_int64_max);
	CU_add_test(s, "auto: huge lead and cycle", test_auto_huge_lead_and_cycle);
	CU_add_test(s, "auto: cycle 0", test_auto_cycle_zero);
	CU_add_test(s, "auto: aligned and ahead (property)", test_auto_is_aligned_and_ahead);
	CU_add_test(s, "start: future base", test_start_future_base);
	CU_add_test(s, "start: past base", test_start_past_base);
	CU_add_test(s, "start: overflow", test_start_overflow);
	CU_add_test(s, "phase", test_phase);
	CU_add_test(s, "format", test_format);
	return tu_run_tests();
}
