/* SPDX-License-Identifier: GPL-2.0-only */
/* units.c — exact parsing and formatting of durations, rates and sizes. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tsn/units.h"

struct unit {
	const char *name;
	uint64_t factor;
};

static const struct unit duration_units[] = {
	{ "s", 1000000000ull }, { "ms", 1000000ull }, { "us", 1000ull }, { "ns", 1ull }, { NULL, 0 }
};
static const struct unit rate_units[] = {
	{ "Gbit", 1000000000ull }, { "Mbit", 1000000ull }, { "kbit", 1000ull }, { "bit", 1ull }, { NULL, 0 }
};
/* Binary units first: the formatter prefers KiB over kB when both divide. */
static const struct unit size_units[] = {
	{ "GiB", 1ull << 30 }, { "MiB", 1ull << 20 }, { "KiB", 1ull << 10 },
	{ "GB", 1000000000ull }, { "MB", 1000000ull }, { "kB", 1000ull }, { "B", 1ull }, { NULL, 0 }
};

bool tsn_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;

	if (!s || !*s)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return false;
	}
	for (; *s; s++) {
		unsigned d;
		if (isdigit((unsigned char)*s))
			d = (unsigned)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/* "<digits><unit>" with a unit from the table; the number part is decimal. */
static bool parse_with_unit(const char *s, const struct unit *units, uint64_t *out)
{
	if (!s)
		return false;
	size_t digits = strspn(s, "0123456789");
	if (digits == 0 || digits > 20)
		return false;
	const char *suffix = s + digits;
	for (const struct unit *u = units; u->name; u++) {
		if (strcmp(suffix, u->name) != 0)
			continue;
		char num[21];
		uint64_t v;
		memcpy(num, s, digits);
		num[digits] = '\0';
		if (!tsn_parse_u64(num, &v) || (v && v > UINT64_MAX / u->factor))
			return false;
		*out = v * u->factor;
		return true;
	}
	return false;
}

bool tsn_parse_duration(const char *s, uint64_t *ns)
{
	return parse_with_unit(s, duration_units, ns);
}

bool tsn_parse_rate(const char *s, uint64_t *bps)
{
	return parse_with_unit(s, rate_units, bps);
}

bool tsn_parse_size(const char *s, uint64_t *bytes)
{
	return parse_with_unit(s, size_units, bytes);
}

static char *format_with_unit(uint64_t v, const struct unit *units, char *buf, size_t len)
{
	const struct unit *u = units;
	if (v != 0)
		while (u[1].name && v % u->factor != 0)
			u++;
	else
		while (u[1].name)
			u++;	/* zero in the smallest unit */
	snprintf(buf, len, "%llu%s", (unsigned long long)(v / u->factor), u->name);
	return buf;
}

char *tsn_format_duration(uint64_t ns, char *buf, size_t len)
{
	return format_with_unit(ns, duration_units, buf, len);
}

char *tsn_format_rate(uint64_t bps, char *buf, size_t len)
{
	return format_with_unit(bps, rate_units, buf, len);
}

char *tsn_format_size(uint64_t bytes, char *buf, size_t len)
{
	return format_with_unit(bytes, size_units, buf, len);
}

char *tsn_format_class_set(uint32_t mask, char *buf, size_t len)
{
	size_t used = 0;
	int n = snprintf(buf, len, "[");

	if (n > 0)
		used = (size_t)n;
	for (int b = 0; b < 32 && used < len; b++) {
		if (!(mask & (1u << b)))
			continue;
		int e = b;
		while (e + 1 < 32 && (mask & (1u << (e + 1))))
			e++;
		n = e == b ? snprintf(buf + used, len - used, "%s%d", used > 1 ? ", " : "", b)
			   : snprintf(buf + used, len - used, "%s%d-%d", used > 1 ? ", " : "", b, e);
		if (n > 0)
			used += (size_t)n;
		b = e;
	}
	if (used < len)
		snprintf(buf + used, len - used, "]");
	return buf;
}
