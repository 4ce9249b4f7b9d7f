/* SPDX-License-Identifier: GPL-2.0-only */
/* prom_lint.h — a strict checker of the Prometheus text exposition format 0.0.4,
 * for the tests (header-only: tests/unit/test_prom.c and tests/tools/prom_check.c
 * include it).  Debian 12 has no promtool short of the whole Prometheus server, so
 * this is the judge of what tsnd serves.  It is stricter than Prometheus itself:
 *
 *   - lines are `# HELP name text`, `# TYPE name counter|gauge|histogram|summary|untyped`
 *     or samples `name{label="value",...} value`; no blank lines, no other comments;
 *   - metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* (not
 *     starting with __), label values quoted with only \\, \" and \n escapes, no
 *     label twice in one sample; values are floats (Go's syntax without hex) or
 *     NaN, +Inf, -Inf; no timestamps (tsnd never writes them);
 *   - HELP and TYPE at most once per family, before its first sample; a family's
 *     samples are contiguous; every sample belongs to a family with a TYPE;
 *   - counters end in _total and are not negative; histograms have only _bucket
 *     (with le), _sum and _count samples, buckets rising in le with non-decreasing
 *     counts per label set, ending with le="+Inf" equal to _count;
 *   - no series (name and labels) twice; the text ends with a newline.
 */
#ifndef TSN_PROM_LINT_H
#define TSN_PROM_LINT_H

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PL_MAX_FAMILIES 512
#define PL_MAX_SERIES 65536

struct pl_family {
	char name[128];
	char type[16];
	bool help, has_type, closed;
};

struct pl_state {
	struct pl_family fam[PL_MAX_FAMILIES];
	size_t n_fam;
	int cur;			/* family of the previous line, -1 none */
	char **series;			/* "name{labels}" seen so far */
	size_t n_series;
	/* the histogram series being read: labels without le, last le and count */
	char hist_labels[1024];
	double last_le, last_bucket;
	bool in_hist, saw_inf;
	double inf_count;
	char *err;
	size_t errlen;
	unsigned line;
};

__attribute__((format(printf, 2, 3), unused))
static int pl_fail(struct pl_state *s, const char *fmt, ...)
{
	va_list ap;
	int o = snprintf(s->err, s->errlen, "line %u: ", s->line);
	va_start(ap, fmt);
	if (o > 0 && (size_t)o < s->errlen)
		vsnprintf(s->err + o, s->errlen - (size_t)o, fmt, ap);
	va_end(ap);
	return -1;
}

static bool pl_name(const char **p, char *out, size_t outlen, bool metric)
{
	const char *q = *p;
	size_t n = 0;
	if (!(isalpha((unsigned char)*q) || *q == '_' || (metric && *q == ':')))
		return false;
	while (isalnum((unsigned char)*q) || *q == '_' || (metric && *q == ':')) {
		if (n + 1 >= outlen)
			return false;
		out[n++] = *q++;
	}
	out[n] = '\0';
	*p = q;
	return true;
}

static bool pl_value(const char *v, double *out)
{
	char *end;
	if (strcmp(v, "NaN") == 0) {
		*out = NAN;
		return true;
	}
	if (strcmp(v, "+Inf") == 0 || strcmp(v, "-Inf") == 0) {
		*out = v[0] == '-' ? -INFINITY : INFINITY;
		return true;
	}
	if (!*v || strpbrk(v, "xXpP") || strchr(v, ' ') || isspace((unsigned char)v[0]))
		return false;
	for (const char *c = v; *c; c++)
		if (!strchr("0123456789+-.eE", *c))
			return false;
	*out = strtod(v, &end);
	return *end == '\0';
}

static int pl_family_index(struct pl_state *s, const char *name)
{
	for (size_t i = 0; i < s->n_fam; i++)
		if (strcmp(s->fam[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int pl_family_add(struct pl_state *s, const char *name)
{
	int f = pl_family_index(s, name);
	if (f >= 0)
		return f;
	if (s->n_fam == PL_MAX_FAMILIES)
		return -1;
	memset(&s->fam[s->n_fam], 0, sizeof(s->fam[0]));
	snprintf(s->fam[s->n_fam].name, sizeof(s->fam[0].name), "%s", name);
	return (int)s->n_fam++;
}

/* Make f the current family: a family never comes back once another started. */
static int pl_enter(struct pl_state *s, int f)
{
	if (s->cur == f)
		return 0;
	if (s->fam[f].closed)
		return pl_fail(s, "family %s appears again after other families", s->fam[f].name);
	if (s->cur >= 0)
		s->fam[s->cur].closed = true;
	s->cur = f;
	return 0;
}

static int pl_end_hist(struct pl_state *s)
{
	if (s->in_hist && !s->saw_inf)
		return pl_fail(s, "histogram series {%s} has no le=\"+Inf\" bucket", s->hist_labels);
	s->in_hist = false;
	return 0;
}

static int pl_comment(struct pl_state *s, const char *l)
{
	char name[128];
	const char *p;
	bool help;

	if (strncmp(l, "# HELP ", 7) == 0)
		help = true;
	else if (strncmp(l, "# TYPE ", 7) == 0)
		help = false;
	else
		return pl_fail(s, "a comment that is neither HELP nor TYPE: %.60s", l);
	p = l + 7;
	if (!pl_name(&p, name, sizeof(name), true) || (*p != ' ' && !(help && !*p)))
		return pl_fail(s, "bad metric name in %.60s", l);
	int f = pl_family_add(s, name);
	if (f < 0)
		return pl_fail(s, "too many families");
	if (pl_end_hist(s) < 0 || pl_enter(s, f) < 0)
		return -1;
	struct pl_family *fam = &s->fam[f];
	if (help) {
		if (fam->help)
			return pl_fail(s, "second HELP for %s", name);
		if (fam->has_type)
			return pl_fail(s, "HELP for %s after its TYPE", name);
		for (const char *c = p; *c; c++)
			if (*c == '\\' && c[1] != '\\' && c[1] != 'n')
				return pl_fail(s, "HELP text of %s has an escape other than \\\\ and \\n", name);
			else if (*c == '\\')
				c++;
		fam->help = true;
		return 0;
	}
	if (fam->has_type)
		return pl_fail(s, "second TYPE for %s", name);
	p++;
	if (strcmp(p, "counter") && strcmp(p, "gauge") && strcmp(p, "histogram") && strcmp(p, "summary") &&
	    strcmp(p, "untyped"))
		return pl_fail(s, "unknown type '%s' for %s", p, name);
	snprintf(fam->type, sizeof(fam->type), "%s", p);
	fam->has_type = true;
	return 0;
}

static bool pl_ends(const char *s, const char *suffix, char *base, size_t len)
{
	size_t n = strlen(s), k = strlen(suffix);
	if (n <= k || strcmp(s + n - k, suffix) != 0 || n - k >= len)
		return false;
	memcpy(base, s, n - k);
	base[n - k] = '\0';
	return true;
}

static int pl_sample(struct pl_state *s, const char *l)
{
	char name[128], label[128], labels[1024] = "", nole[1024] = "", le[512] = "", base[128], key[1280];
	char seen[32][128];
	size_t n_seen = 0, lo = 0, no = 0;
	const char *p = l;
	double v;

	if (!pl_name(&p, name, sizeof(name), true))
		return pl_fail(s, "bad metric name: %.60s", l);
	if (*p == '{') {
		p++;
		while (*p != '}') {
			if (!pl_name(&p, label, sizeof(label), false))
				return pl_fail(s, "bad label name in %.80s", l);
			if (strncmp(label, "__", 2) == 0)
				return pl_fail(s, "reserved label name %s", label);
			for (size_t i = 0; i < n_seen; i++)
				if (strcmp(seen[i], label) == 0)
					return pl_fail(s, "label %s twice", label);
			if (n_seen < 32)
				snprintf(seen[n_seen++], sizeof(seen[0]), "%s", label);
			if (p[0] != '=' || p[1] != '"')
				return pl_fail(s, "label %s: expected =\"", label);
			p += 2;
			char val[512];
			size_t vn = 0;
			while (*p != '"') {
				if (!*p)
					return pl_fail(s, "unterminated label value in %.80s", l);
				if (*p == '\\') {
					if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
						return pl_fail(s, "bad escape \\%c in a label value", p[1]);
					if (vn + 2 < sizeof(val)) {
						val[vn++] = p[0];
						val[vn++] = p[1];
					}
					p += 2;
					continue;
				}
				if (vn + 1 < sizeof(val))
					val[vn++] = *p;
				p++;
			}
			val[vn] = '\0';
			p++;
			int w = snprintf(labels + lo, sizeof(labels) - lo, "%s%s=\"%s\"", lo ? "," : "", label, val);
			lo += w > 0 ? (size_t)w : 0;
			if (strcmp(label, "le") == 0) {
				snprintf(le, sizeof(le), "%s", val);
			} else {
				w = snprintf(nole + no, sizeof(nole) - no, "%s%s=\"%s\"", no ? "," : "", label, val);
				no += w > 0 ? (size_t)w : 0;
			}
			if (lo >= sizeof(labels) || no >= sizeof(nole))
				return pl_fail(s, "labels too long");
			if (*p == ',')
				p++;
			else if (*p != '}')
				return pl_fail(s, "expected , or } after label %s", label);
		}
		p++;
	}
	if (*p != ' ')
		return pl_fail(s, "expected one space before the value: %.80s", l);
	p++;
	if (strchr(p, ' '))
		return pl_fail(s, "more than a value after the metric (timestamps are not expected): %.80s", l);
	if (!pl_value(p, &v))
		return pl_fail(s, "bad value '%s'", p);

	/* Which family: the name itself, or a histogram's name_bucket/_sum/_count. */
	int f = pl_family_index(s, name);
	const char *part = "";
	if (f < 0 || strcmp(s->fam[f].type, "histogram") == 0) {
		static const char *const parts[] = { "_bucket", "_sum", "_count" };
		for (size_t i = 0; i < 3 && f < 0; i++) {
			if (pl_ends(name, parts[i], base, sizeof(base)) && (f = pl_family_index(s, base)) >= 0) {
				if (strcmp(s->fam[f].type, "histogram") != 0)
					f = -1;
				else
					part = parts[i];
			}
		}
		if (f >= 0 && strcmp(s->fam[f].type, "histogram") == 0 && !part[0])
			return pl_fail(s, "histogram %s has a sample without _bucket, _sum or _count", name);
	}
	if (f < 0 || !s->fam[f].has_type)
		return pl_fail(s, "sample %s has no # TYPE before it", name);
	if (s->cur != f && pl_end_hist(s) < 0)
		return -1;
	if (pl_enter(s, f) < 0)
		return -1;
	const char *type = s->fam[f].type;
	if (strcmp(type, "counter") == 0) {
		if (!pl_ends(name, "_total", base, sizeof(base)))
			return pl_fail(s, "counter %s does not end in _total", name);
		if (v < 0 || isnan(v))
			return pl_fail(s, "counter %s is %s", name, p);
	}
	if (strcmp(type, "histogram") == 0) {
		if (strcmp(part, "_bucket") == 0) {
			double lev;
			if (!le[0] || !pl_value(le, &lev))
				return pl_fail(s, "bucket without a valid le: %.80s", l);
			if (!s->in_hist || strcmp(nole, s->hist_labels) != 0) {
				if (pl_end_hist(s) < 0)
					return -1;
				s->in_hist = true;
				s->saw_inf = false;
				snprintf(s->hist_labels, sizeof(s->hist_labels), "%s", nole);
				s->last_le = -INFINITY;
				s->last_bucket = 0;
			} else if (s->saw_inf) {
				return pl_fail(s, "bucket after le=\"+Inf\"");
			}
			if (!(lev > s->last_le))
				return pl_fail(s, "le %s does not rise", le);
			if (v < s->last_bucket)
				return pl_fail(s, "bucket counts are not cumulative (%s after %g)", p, s->last_bucket);
			s->last_le = lev;
			s->last_bucket = v;
			if (isinf(lev)) {
				s->saw_inf = true;
				s->inf_count = v;
			}
		} else {
			if (le[0])
				return pl_fail(s, "%s has an le label", name);
			if (!s->in_hist || strcmp(nole, s->hist_labels) != 0)
				return pl_fail(s, "%s{%s} comes without its buckets right before it", name, nole);
			if (!s->saw_inf)
				return pl_fail(s, "%s before the le=\"+Inf\" bucket", name);
			if (strcmp(part, "_count") == 0 && v != s->inf_count)
				return pl_fail(s, "_count %s differs from the +Inf bucket %g", p, s->inf_count);
		}
	}
	snprintf(key, sizeof(key), "%s{%s}", name, labels);
	for (size_t i = 0; i < s->n_series; i++)
		if (strcmp(s->series[i], key) == 0)
			return pl_fail(s, "series %s twice", key);
	if (s->n_series < PL_MAX_SERIES) {
		char **grown = realloc(s->series, (s->n_series + 1) * sizeof(*grown));
		if (!grown)
			return pl_fail(s, "out of memory");
		s->series = grown;
		s->series[s->n_series++] = strdup(key);
	}
	return 0;
}

/* 0 if `text` is valid exposition text by the rules above, else -1 and why (with
 * the line number) in err.  *families (if not NULL) gets the number of families. */
__attribute__((unused))
static int prom_lint(const char *text, size_t len, size_t *families, char *err, size_t errlen)
{
	struct pl_state *s = calloc(1, sizeof(*s));
	int rc = 0;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->cur = -1;
	s->err = err;
	s->errlen = errlen;
	err[0] = '\0';
	if (len && text[len - 1] != '\n') {
		s->line = 0;
		rc = pl_fail(s, "the text does not end with a newline");
	}
	for (size_t off = 0; rc == 0 && off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (text + off)) : len - off;
		char line[4096];
		s->line++;
		if (ll >= sizeof(line)) {
			rc = pl_fail(s, "line longer than %zu bytes", sizeof(line));
			break;
		}
		memcpy(line, text + off, ll);
		line[ll] = '\0';
		if (memchr(line, '\0', ll) || strchr(line, '\r'))
			rc = pl_fail(s, "NUL or CR in the line");
		else if (!ll)
			rc = pl_fail(s, "blank line");
		else if (line[0] == '#')
			rc = pl_comment(s, line);
		else
			rc = pl_sample(s, line);
		off += ll + 1;
	}
	if (rc == 0)
		rc = pl_end_hist(s);
	if (families)
		*families = s->n_fam;
	for (size_t i = 0; i < s->n_series; i++)
		free(s->series[i]);
	free(s->series);
	free(s);
	return rc;
}

#endif
