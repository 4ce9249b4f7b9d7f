/* SPDX-License-Identifier: GPL-2.0-only */
/* units.h — numbers with units, as written in the config and printed by tsnctl.
 *
 * Durations: ns, us, ms, s (e.g. "250us") -> nanoseconds.
 * Rates:     bit, kbit, Mbit, Gbit (decimal, per second; e.g. "10Mbit") -> bit/s.
 * Sizes:     B, kB, MB, GB (decimal) and KiB, MiB, GiB (binary) -> bytes.
 * Every parser is exact: a value that does not fit in 64 bits is an error, never
 * rounded or wrapped.  Formatters pick the largest unit that divides the value
 * exactly, so that parse(format(x)) == x for every x. */
#ifndef TSN_UNITS_H
#define TSN_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse an unsigned integer in decimal, or hex with 0x (no sign, no spaces). */
bool tsn_parse_u64(const char *s, uint64_t *out);
bool tsn_parse_duration(const char *s, uint64_t *ns);
bool tsn_parse_rate(const char *s, uint64_t *bps);
bool tsn_parse_size(const char *s, uint64_t *bytes);

/* Traffic classes of a gate mask as written in the config: 0x87 -> "[0-2, 7]". */
char *tsn_format_class_set(uint32_t mask, char *buf, size_t len);

/* Format into buf (at least 32 bytes); return buf. */
char *tsn_format_duration(uint64_t ns, char *buf, size_t len);
char *tsn_format_rate(uint64_t bps, char *buf, size_t len);
char *tsn_format_size(uint64_t bytes, char *buf, size_t len);

#endif
