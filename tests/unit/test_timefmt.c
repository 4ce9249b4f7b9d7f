/* SPDX-License-Identifier: GPL-2.0-only */
/* test_timefmt.c — lib/timefmt.c: RFC 3339 timestamps. */
#include <stdint.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "test_util.h"
#include "tsn/timefmt.h"

static void test_known_times(void)
{
	char buf[TSN_RFC3339_LEN];

	CU_ASSERT_STRING_EQUAL(tsn_format_rfc3339(0, buf, sizeof(buf)), "1970-01-01T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(tsn_format_rfc3339(1700000001, buf, sizeof(buf)), "2023-11-14T22:13:21Z");
	/* A leap day and the last second of a year. */
	CU_ASSERT_STRING_EQUAL(tsn_format_rfc3339(951782400, buf, sizeof(buf)), "2000-02-29T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(tsn_format_rfc3339(1735689599, buf, sizeof(buf)), "2024-12-31T23:59:59Z");
	CU_ASSERT_EQUAL(strlen(buf) + 1, TSN_RFC3339_LEN);
}

static void test_out_of_range(void)
{
	char buf[TSN_RFC3339_LEN];

	/* Years past 9999 have no RFC 3339 form: the epoch, never five digits. */
	CU_ASSERT_STRING_EQUAL(tsn_format_rfc3339((time_t)INT64_MAX, buf, sizeof(buf)),
			       "1970-01-01T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(tsn_format_rfc3339((time_t)253402300800ll, buf, sizeof(buf)),
			       "1970-01-01T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(tsn_format_rfc3339((time_t)253402300799ll, buf, sizeof(buf)),
			       "9999-12-31T23:59:59Z");
}

static void test_short_buffer(void)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	CU_ASSERT_STRING_EQUAL(tsn_format_rfc3339(0, buf, sizeof(buf)), "1970-01");
	CU_ASSERT_PTR_EQUAL(tsn_format_rfc3339(0, buf, 0), buf);
	CU_ASSERT_EQUAL(buf[0], '1');	/* len 0: nothing written */
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("timefmt", NULL, NULL);
	CU_add_test(s, "known times", test_known_times);
	CU_add_test(s, "out of range", test_out_of_range);
	CU_add_test(s, "short buffer", test_short_buffer);
	return tu_run_tests();
}
