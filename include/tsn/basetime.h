/* SPDX-License-Identifier: GPL-2.0-only */
/* basetime.h — exact arithmetic on gate-schedule base times.
 *
 * Times are signed 64-bit nanoseconds on a schedule's clock (CLOCK_TAI by default),
 * cycle times unsigned nanoseconds.  Every function is exact for every input: the
 * intermediate products use 128-bit integers, and a result that does not fit in
 * int64_t is reported (-ERANGE), never wrapped or saturated.  No floating point.
 * The functions are pure (they never read a clock); the caller passes `now`.
 * docs/schedules.md explains the formulas with a worked example.
 */
#ifndef TSN_BASETIME_H
#define TSN_BASETIME_H

#include <stddef.h>
#include <stdint.h>

/* base-time: auto.  The first cycle boundary at or after now + lead, where the
 * boundaries are the multiples of `cycle` (the grid is anchored at 0 on the
 * schedule's clock, so every port with the same cycle time gets the same phase):
 *
 *     base = ceil((now + lead) / cycle) * cycle
 *
 * Returns 0 and *base, -EINVAL if cycle is 0, or -ERANGE if that boundary lies
 * beyond INT64_MAX (or below INT64_MIN) nanoseconds. */
int tsn_basetime_auto(int64_t now, uint64_t lead, uint64_t cycle, int64_t *base);

/* Where the kernel's taprio starts a schedule that it receives at `now`: at `base`
 * if base is later than now, else at the first base + N * cycle later than now:
 *
 *     start = base                                     if base > now
 *     start = base + (floor((now - base) / cycle) + 1) * cycle   otherwise
 *
 * (A base equal to now counts as past, as in sch_taprio.)  Returns 0, -EINVAL if
 * cycle is 0 or above INT64_MAX (the kernel's cycle time is an s64), or -ERANGE. */
int tsn_basetime_start(int64_t base, int64_t now, uint64_t cycle, int64_t *start);

/* How far `t` lies into its cycle: (t - base) mod cycle, in [0, cycle), also for
 * t before base.  -EINVAL if cycle is 0. */
int tsn_basetime_phase(int64_t t, int64_t base, uint64_t cycle, uint64_t *phase);

/* "SECONDS.NNNNNNNNN" (nanoseconds as a decimal number of seconds, exact, with a
 * '-' for negative times).  buf needs at least 22 bytes; returns buf. */
char *tsn_basetime_format(int64_t ns, char *buf, size_t len);

#endif
