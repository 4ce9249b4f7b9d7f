/* SPDX-License-Identifier: GPL-2.0-only */
/* config.c — YAML -> struct tsn_config, driven by the schema in cfg_schema.c.
 *
 * libyaml's events are read as a forward-only walk over the document (yaml_tree.h,
 * with line/column marks); a generic walker fills the C structs field by field
 * from the descriptor rows.  Every problem becomes a diagnostic and parsing goes
 * on, so one run reports them all.
 * Each field's place in the file is kept in an index (a default's is its object's),
 * so that later checks (here in cfg_check.c, or in the daemon against the kernel)
 * can point at it too.  Memory per field matters: a file may hold 65 536 streams
 * (docs/security.md, "Memory"). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <yaml.h>

#include "cfg_schema.h"
#include "yaml_tree.h"
#include "tsn/units.h"

#define MAX_CONFIG_BYTES (16u << 20)
#define MAX_VISITED_NODES 1500000u	/* bounds alias expansion ("billion laughs") */
#define MIN_VISITED_NODES 20000u	/* ... and relative to the file: this + len / 4 */
#define PATH_LEN 160

/* ---- the index: field address -> where it was written ----
 * Places form a tree (each knows its parent), so a field's path is rebuilt only when
 * a message needs it; this keeps the index small for configs with many streams.
 * Every object has a place, every field written in the file too; a field left at
 * its default has none (most fields of most streams): it is found when asked for,
 * as a field of the object that holds it (index_lookup). */
struct cfg_place {
	const void *addr;
	const char *key;		/* "name" (the schema's or the config's string, never
					 * the file's text, which is freed), NULL: "[index]" */
	uint32_t line, column;
	int32_t parent;			/* index into places, -1 for the root */
	uint32_t index : 29;		/* list elements */
	uint32_t object : 1;		/* an object (a mapping of the schema) */
	uint32_t defaults : 1;		/* an object whose fields not given got their defaults */
	uint32_t given : 1;		/* written in the file (not a default) */
};	/* 32 bytes (48 with the leaf's text in it) */

#define LEAF_MAX 26			/* a path shows this much of a key */

struct cfg_index {
	struct cfg_place *places;
	size_t n_places, cap_places;
	uint32_t *slots;		/* open addressing: place index + 1, 0 = empty */
	size_t used, size;
};

static size_t hash_addr(const void *addr, size_t size)
{
	uint64_t x = (uint64_t)(uintptr_t)addr;
	/* The whole 64-bit finalizer of MurmurHash3: with one multiply, the low bits
	 * of addresses a fixed stride apart (the same field of 65 536 streams) fell
	 * into long probe runs (13 s for a 262 KB file of aliases). */
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return (size_t)x & (size - 1);
}

static void index_free(struct cfg_index *ix)
{
	if (ix) {
		free(ix->places);
		free(ix->slots);
	}
	free(ix);
}

static uint32_t *index_slot(const struct cfg_index *ix, const void *addr)
{
	for (size_t i = hash_addr(addr, ix->size);; i = (i + 1) & (ix->size - 1))
		if (!ix->slots[i] || ix->places[ix->slots[i] - 1].addr == addr)
			return &ix->slots[i];
}

static const struct cfg_place *index_find(const struct cfg_index *ix, const void *addr)
{
	if (!ix || !ix->size)
		return NULL;
	uint32_t *slot = index_slot(ix, addr);
	return *slot ? &ix->places[*slot - 1] : NULL;
}

static bool index_grow(struct cfg_index *ix)
{
	if (ix->n_places == ix->cap_places) {
		size_t cap = ix->cap_places ? ix->cap_places * 2 : 256;
		struct cfg_place *p = realloc(ix->places, cap * sizeof(*p));
		if (!p)
			return false;
		ix->places = p;
		ix->cap_places = cap;
	}
	if ((ix->used + 1) * 2 > ix->size) {
		size_t size = ix->size ? ix->size * 2 : 512;
		uint32_t *slots = calloc(size, sizeof(*slots));
		if (!slots)
			return false;
		uint32_t *old = ix->slots;
		size_t old_size = ix->size;
		ix->slots = slots;
		ix->size = size;
		for (size_t i = 0; i < old_size; i++)
			if (old[i])
				*index_slot(ix, ix->places[old[i] - 1].addr) = old[i];
		free(old);
	}
	return true;
}

/* Add a place; the address now maps to it, except that a default never hides where
 * the user wrote something.  Returns its index, or -1 when memory ran out. */
static int index_put(struct cfg_index *ix, const void *addr, unsigned line, unsigned column, bool given,
		     bool object, int parent, const char *key, size_t index)
{
	if (!index_grow(ix))
		return -1;
	struct cfg_place *p = &ix->places[ix->n_places];
	p->addr = addr;
	p->line = line;
	p->column = column;
	p->given = given;
	p->parent = parent;
	p->key = key;
	p->index = (uint32_t)index;
	p->object = object;
	p->defaults = false;
	uint32_t *slot = index_slot(ix, addr);
	if (!*slot)
		ix->used++;
	if (!*slot || given || !ix->places[*slot - 1].given)
		*slot = (uint32_t)ix->n_places + 1;
	return (int)ix->n_places++;
}

/* The schema table of an object's place, from the root down by keys. */
static const struct cfg_table *place_table(const struct cfg_index *ix, const struct cfg_place *p)
{
	const struct cfg_place *chain[64];
	size_t n = 0;
	for (; p && n < 64; p = p->parent >= 0 ? &ix->places[p->parent] : NULL)
		chain[n++] = p;
	if (p || !n)
		return NULL;
	const struct cfg_table *t = &tsn_cfg_root;	/* chain[n - 1] is the root */
	const struct cfg_field *list = NULL;
	for (size_t i = n - 1; i-- > 0;) {
		const struct cfg_place *q = chain[i];
		if (!q->key) {		/* an element of the list above */
			if (!list || !list->elem || list->elem->type != CFG_OBJECT)
				return NULL;
			t = list->elem->sub;
			list = NULL;
			continue;
		}
		if (!t)
			return NULL;
		const struct cfg_field *f = NULL;
		for (size_t j = 0; j < t->n_fields && !f; j++)
			if (strcmp(t->fields[j].key, q->key) == 0)
				f = &t->fields[j];
		if (!f)
			return NULL;
		if (f->type == CFG_OBJECT) {
			t = f->sub;
		} else if (f->type == CFG_LIST) {
			list = f;
			t = NULL;
		} else {
			return NULL;
		}
	}
	return t;
}

/* Where a field was written or, when it was not, the object holding it and the
 * field's key under it (*key). */
struct found {
	const struct cfg_place *p;
	const char *key;
};

/* Where a field of a table sits in its object (lists by their count). */
static size_t field_addr_offset(const struct cfg_field *f)
{
	return f->type == CFG_LIST || f->type == CFG_KV_MAP ? f->count : f->offset;
}

/* The object of table t at base, if it has a place: the place at base may be
 * a deeper one starting at the same address (its first field), so its parents
 * at the same address are tried too. */
static const struct cfg_place *object_at(const struct cfg_index *ix, uintptr_t base, const struct cfg_table *t)
{
	const struct cfg_place *p = index_find(ix, (const void *)base);
	for (; p && (uintptr_t)p->addr == base; p = p->parent >= 0 ? &ix->places[p->parent] : NULL)
		if (p->object && p->defaults && place_table(ix, p) == t)
			return p;
	return NULL;
}

/* A defaulted field at addr: a field of some table whose object has a place.
 * Every table of the schema is tried, each from the root once. */
static bool find_default(const struct cfg_index *ix, const struct cfg_table *t, uintptr_t addr, struct found *out,
			 int depth)
{
	if (!t || depth > 16)
		return false;
	for (size_t i = 0; i < t->n_fields; i++) {
		const struct cfg_field *f = &t->fields[i];
		if (f->type == CFG_OBJECT) {
			if (find_default(ix, f->sub, addr, out, depth + 1))
				return true;
			continue;
		}
		if (f->type == CFG_LIST && f->elem && f->elem->type == CFG_OBJECT &&
		    find_default(ix, f->elem->sub, addr, out, depth + 1))
			return true;
		size_t off = field_addr_offset(f);
		if (addr < off || (f->flags & CFG_F_REQUIRED))	/* missing: it had no place */
			continue;
		const struct cfg_place *p = object_at(ix, addr - off, t);
		if (p) {
			out->p = p;
			out->key = f->key;
			return true;
		}
	}
	return false;
}

/* What the index said of addr when it kept a place for every default: the last
 * given place there, else the last default one (a default object, then its
 * default first field). */
static struct found index_lookup(const struct cfg_index *ix, const void *addr)
{
	struct found r = { NULL, NULL };
	const struct cfg_place *p = index_find(ix, addr);

	if (p && (p->given || !p->object)) {
		r.p = p;
		return r;
	}
	if (p) {	/* a default object: its first field, if that is a default scalar */
		const struct cfg_table *t = place_table(ix, p);
		r.p = p;
		for (size_t i = 0; t && p->defaults && i < t->n_fields; i++)
			if (t->fields[i].type != CFG_OBJECT && !(t->fields[i].flags & CFG_F_REQUIRED) &&
			    field_addr_offset(&t->fields[i]) == 0)
				r.key = t->fields[i].key;
		return r;
	}
	if (ix && ix->size)
		find_default(ix, &tsn_cfg_root, (uintptr_t)addr, &r, 0);
	return r;
}

/* Rebuild "ports[0].schedule.entries[2].interval" from the parent chain. */
static void place_path(const struct cfg_index *ix, const struct cfg_place *p, const char *extra, char *out,
		       size_t len)
{
	const struct cfg_place *chain[64];
	size_t n = 0, off = 0;
	for (; p && n < 64; p = p->parent >= 0 ? &ix->places[p->parent] : NULL)
		if (!p->key || p->key[0])
			chain[n++] = p;
	out[0] = '\0';
	while (n-- > 0 && off < len) {
		const char *key = chain[n]->key;
		int w = key ? snprintf(out + off, len - off, "%s%.*s", off ? "." : "", LEAF_MAX, key)
			    : snprintf(out + off, len - off, "[%u]", (unsigned)chain[n]->index);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (extra && off < len)
		snprintf(out + off, len - off, "%s%.*s", off ? "." : "", LEAF_MAX, extra);
}

/* The index of a list element's path: 2 of "a.b[2]"; -1 when the path ends in a key. */
static long leaf_index(const char *path)
{
	const char *dot = strrchr(path, '.'), *br = strrchr(path, '[');
	return br && (!dot || br > dot) ? (long)strtoul(br + 1, NULL, 10) : -1;
}

/* ---- parse context ---- */
struct cfg_checker {
	struct tsn_diags *diags;
	struct cfg_index *index;
	int parent;			/* place of the object or list being parsed */
	struct ytree *tree;
	size_t visited, max_visited;
	bool too_complex;
};

static void vreport(struct cfg_checker *c, enum tsn_diag_severity sev, unsigned line, unsigned col,
		    const char *path, const char *fmt, va_list ap)
{
	char msg[256];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	tsn_diags_add(c->diags, sev, line, col, path, "%s", msg);
}

__attribute__((format(printf, 4, 5)))
static void error_at(struct cfg_checker *c, const struct ynode *node, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(c, TSN_DIAG_ERROR, node ? (unsigned)node->mark.line + 1 : 0,
		node ? (unsigned)node->mark.column + 1 : 0, path, fmt, ap);
	va_end(ap);
}

static void report_field(struct cfg_checker *c, enum tsn_diag_severity sev, const void *field,
			 const char *fmt, va_list ap)
{
	struct found at = index_lookup(c->index, field);
	const struct cfg_place *p = at.p;
	char path[160] = "";
	if (p)
		place_path(c->index, p, at.key, path, sizeof(path));
	vreport(c, sev, p ? p->line : 0, p ? p->column : 0, path, fmt, ap);
}

void cfg_error(struct cfg_checker *chk, const void *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report_field(chk, TSN_DIAG_ERROR, field, fmt, ap);
	va_end(ap);
}

void cfg_warning(struct cfg_checker *chk, const void *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report_field(chk, TSN_DIAG_WARNING, field, fmt, ap);
	va_end(ap);
}

bool cfg_given(struct cfg_checker *chk, const void *field)
{
	const struct cfg_place *p = index_find(chk->index, field);
	return p && p->given;
}

void tsn_config_report(const struct tsn_config *cfg, struct tsn_diags *diags,
		       enum tsn_diag_severity sev, const void *field, const char *fmt, ...)
{
	struct cfg_checker c = { .diags = diags, .index = cfg->where, .parent = -1 };
	va_list ap;
	va_start(ap, fmt);
	report_field(&c, sev, field, fmt, ap);
	va_end(ap);
}

/* Remember where addr was written (node) or, for a default, the enclosing object's
 * place (fallback).  Returns the place's index, for children to name as parent. */
static int record(struct cfg_checker *c, const void *addr, const struct ynode *node,
		  const struct ymark *fallback, const char *path, const char *key, bool object)
{
	long index = leaf_index(path);	/* list elements are "[i]", whatever their row's key */

	if (!node && !object)
		return c->parent;	/* a default: found from its object when asked for */
	const struct ymark *m = node ? &node->mark : fallback;
	int id = index_put(c->index, addr, m ? (unsigned)m->line + 1 : 0, m ? (unsigned)m->column + 1 : 0,
			   node != NULL, object, c->parent, index >= 0 ? NULL : key, index >= 0 ? (size_t)index : 0);
	if (id < 0)
		tsn_diags_add(c->diags, TSN_DIAG_ERROR, 0, 0, path, "out of memory");
	return id;
}

/* ---- scalars ---- */

/* A scalar value: text, and whether it was written plain (unquoted). */
struct scalar {
	const char *text;
	size_t len;
	bool plain;
};

static bool scalar_is_null(const struct scalar *s)
{
	return s->plain && (s->len == 0 || strcmp(s->text, "~") == 0 || strcmp(s->text, "null") == 0 ||
			    strcmp(s->text, "Null") == 0 || strcmp(s->text, "NULL") == 0);
}

static const char *type_word(enum cfg_type t)
{
	switch (t) {
	case CFG_BOOL: return "true or false";
	case CFG_UINT: return "an integer";
	case CFG_DURATION: return "a duration such as 250us (units ns, us, ms, s)";
	case CFG_RATE: return "a rate such as 10Mbit (units bit, kbit, Mbit, Gbit)";
	case CFG_SIZE: return "a size such as 4KiB (units B, kB, MB, GB, KiB, MiB, GiB)";
	case CFG_STRING: return "a string";
	case CFG_ENUM: return "one of the listed words";
	case CFG_MAC: return "a MAC address such as 01:80:c2:00:00:0e";
	case CFG_IPV6: return "an IPv6 address";
	case CFG_PREFIX: return "an IPv6 prefix such as 2001:db8::/64";
	case CFG_GATES: return "a list of traffic classes such as [0-2, 7]";
	case CFG_QUEUES: return "\"count@offset\" such as \"2@0\"";
	case CFG_BASE_TIME: return "auto or nanoseconds";
	case CFG_FILE_MODE: return "an octal file mode such as 0660";
	case CFG_LINK_SPEED: return "auto or Mbit/s";
	case CFG_OBJECT: return "a mapping";
	case CFG_LIST: return "a list";
	case CFG_KV_MAP: return "a mapping of names to values";
	}
	return "a value";
}

static void enum_choices(const char *const *names, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (const char *const *n = names; *n; n++) {
		if (!**n)
			continue;
		int w = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", *n);
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
}

static bool string_ok(enum cfg_string_kind kind, const char *s, const char **why)
{
	switch (kind) {
	case STR_ANY:
		return true;
	case STR_IFNAME:
		if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strpbrk(s, "/: \t")) {
			*why = "not a valid interface name (1-15 characters, no '/', ':' or spaces)";
			return false;
		}
		return true;
	case STR_NAME:
		for (const char *p = s; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("-_.", *p)) {
				*why = "may hold only letters, digits, '-', '_' and '.'";
				return false;
			}
		return true;
	case STR_PATH:
		if (*s && *s != '/') {
			*why = "must be an absolute path (or \"\")";
			return false;
		}
		return true;
	case STR_HOSTPORT: {
		const char *colon = strrchr(s, ':');
		uint64_t port;
		char host[64];
		struct in6_addr a6;
		struct in_addr a4;
		*why = "must be address:port, e.g. 127.0.0.1:9464 or [::1]:9464";
		if (!colon || !tsn_parse_u64(colon + 1, &port) || port == 0 || port > 65535)
			return false;
		size_t hl = (size_t)(colon - s);
		if (hl >= sizeof(host) || hl == 0)
			return false;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (host[0] == '[' && host[hl - 1] == ']') {
			host[hl - 1] = '\0';
			return inet_pton(AF_INET6, host + 1, &a6) == 1;
		}
		return inet_pton(AF_INET, host, &a4) == 1;
	}
	}
	return true;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;
	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
				      &end) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) || !isxdigit((unsigned char)s[i * 3 + 1]))
			return false;
		mac[i] = (uint8_t)v[i];
	}
	return true;
}

static bool parse_prefix(const char *s, struct tsn_cfg_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	uint64_t len;
	if (!slash || (size_t)(slash - s) >= sizeof(buf) || !slash[1] ||
	    strspn(slash + 1, "0123456789") != strlen(slash + 1) || !tsn_parse_u64(slash + 1, &len) || len > 128)
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (inet_pton(AF_INET6, buf, &p->addr) != 1)
		return false;
	p->len = (uint32_t)len;
	return true;
}

/* Range check for CFG_UINT; the message quotes the value as it was written. */
static bool check_range(struct cfg_checker *c, const struct cfg_field *f, const struct ynode *node,
			const char *path, const char *text, uint64_t v)
{
	uint64_t max = f->max ? f->max : UINT32_MAX;
	if (v >= f->min && v <= max)
		return true;
	if (f->flags & CFG_F_HEX)
		error_at(c, node, path, "%s is out of range; allowed 0x%04llx to 0x%04llx", text,
			 (unsigned long long)f->min, (unsigned long long)max);
	else
		error_at(c, node, path, "%s is out of range; allowed %llu to %llu", text, (unsigned long long)f->min,
			 (unsigned long long)max);
	return false;
}

/* A value as error messages quote it: as it is up to 48 bytes, else its first 32
 * (not cutting a UTF-8 character), "..." and its length, so that the reason after
 * it is never cut off (a 15 MiB port name hid what was wrong). */
static const char *shown(const char *text, size_t len, char *buf, size_t buflen)
{
	size_t keep = 32;

	if (len <= 48)
		return text;
	while (keep && ((unsigned char)text[keep] & 0xc0) == 0x80)
		keep--;
	snprintf(buf, buflen, "%.*s... (%zu bytes)", (int)keep, text, len);
	return buf;
}

/* Parse one scalar into dst.  node is NULL for defaults (then errors are bugs in the
 * schema and reported without a place). */
static bool parse_scalar(struct cfg_checker *c, const struct cfg_field *f, const struct scalar *s,
			 void *dst, const struct ynode *node, const char *path)
{
	const char *t = s->text;
	char shown_buf[64];
	const char *tv = shown(s->text, s->len, shown_buf, sizeof(shown_buf));
	uint64_t v;
	char choices[256];

	if (memchr(s->text, '\0', s->len)) {
		error_at(c, node, path, "value contains a NUL byte");
		return false;
	}
	if (f->type != CFG_STRING && scalar_is_null(s)) {
		error_at(c, node, path, "value missing; expected %s", type_word(f->type));
		return false;
	}

	switch (f->type) {
	case CFG_BOOL:
		if (strcmp(t, "true") == 0 || strcmp(t, "True") == 0 || strcmp(t, "TRUE") == 0)
			*(bool *)dst = true;
		else if (strcmp(t, "false") == 0 || strcmp(t, "False") == 0 || strcmp(t, "FALSE") == 0)
			*(bool *)dst = false;
		else
			goto bad;
		return true;
	case CFG_UINT:
		if (!tsn_parse_u64(t, &v))
			goto bad_number;
		if (!check_range(c, f, node, path, t, v))
			return false;
		*(uint32_t *)dst = (uint32_t)v;
		return true;
	case CFG_LINK_SPEED:
		if (strcmp(t, "auto") == 0) {
			*(uint32_t *)dst = 0;
			return true;
		}
		if (!tsn_parse_u64(t, &v))
			goto bad;
		if (v == 0 || v > f->max) {
			error_at(c, node, path, "%s is out of range; allowed auto or 1 to %llu (Mbit/s)", tv,
				 (unsigned long long)f->max);
			return false;
		}
		*(uint32_t *)dst = (uint32_t)v;
		return true;
	case CFG_DURATION:
	case CFG_RATE:
	case CFG_SIZE: {
		bool (*parse)(const char *, uint64_t *) = f->type == CFG_DURATION ? tsn_parse_duration
						       : f->type == CFG_RATE	 ? tsn_parse_rate
										 : tsn_parse_size;
		char *(*format)(uint64_t, char *, size_t) = f->type == CFG_DURATION ? tsn_format_duration
							  : f->type == CFG_RATE	      ? tsn_format_rate
											      : tsn_format_size;
		if (strcmp(t, "0") == 0) {
			v = 0;
		} else if (!parse(t, &v)) {
			if (tsn_parse_u64(t, &v))
				error_at(c, node, path, "'%s' has no unit; expected %s", tv, type_word(f->type));
			else
				error_at(c, node, path, "'%s' is not valid; expected %s", tv, type_word(f->type));
			return false;
		}
		uint64_t max = f->max ? f->max : UINT64_MAX;
		if (v < f->min || v > max) {
			char lo[32], hi[32];
			error_at(c, node, path, "%s is out of range; allowed %s to %s", tv, format(f->min, lo, sizeof(lo)),
				 f->max ? format(max, hi, sizeof(hi)) : "any");
			return false;
		}
		*(uint64_t *)dst = v;
		return true;
	}
	case CFG_STRING: {
		const char *why = NULL;
		if (scalar_is_null(s))
			t = "";
		if (strlen(t) >= f->size) {
			error_at(c, node, path, "'%s' is too long; at most %zu characters", tv, f->size - 1);
			return false;
		}
		if (!string_ok(f->str, t, &why)) {
			error_at(c, node, path, "'%s' %s", tv, why);
			return false;
		}
		memcpy(dst, t, strlen(t) + 1);
		return true;
	}
	case CFG_ENUM:
		for (int i = 0; f->names[i]; i++) {
			if (f->names[i][0] && strcmp(f->names[i], t) == 0) {
				*(int *)dst = i;
				return true;
			}
		}
		enum_choices(f->names, choices, sizeof(choices));
		error_at(c, node, path, "unknown value '%s'; allowed: %s", tv, choices);
		return false;
	case CFG_MAC:
		if (!parse_mac(t, ((struct tsn_cfg_mac *)dst)->addr))
			goto bad;
		return true;
	case CFG_IPV6:
		if (inet_pton(AF_INET6, t, dst) != 1)
			goto bad;
		return true;
	case CFG_PREFIX:
		if (!parse_prefix(t, dst))
			goto bad;
		return true;
	case CFG_QUEUES: {
		struct tsn_cfg_queue_range *q = dst;
		const char *at = strchr(t, '@');
		char count[24];
		uint64_t n, off;
		if (!at || (size_t)(at - t) >= sizeof(count))
			goto bad;
		memcpy(count, t, (size_t)(at - t));
		count[at - t] = '\0';
		if (!tsn_parse_u64(count, &n) || !tsn_parse_u64(at + 1, &off))
			goto bad;
		if (n < 1 || n > 4096 || off > 4095) {
			error_at(c, node, path, "'%s' is out of range; count 1 to 4096, offset 0 to 4095", tv);
			return false;
		}
		q->count = (uint32_t)n;
		q->offset = (uint32_t)off;
		return true;
	}
	case CFG_BASE_TIME: {
		bool *is_auto = (bool *)((char *)dst - f->offset + f->present);
		if (strcmp(t, "auto") == 0) {
			*is_auto = true;
			*(int64_t *)dst = 0;
			return true;
		}
		if (!tsn_parse_u64(t, &v))
			goto bad;
		if (v > (uint64_t)INT64_MAX) {
			error_at(c, node, path, "%s is out of range; allowed auto or 0 to %lld", tv,
				 (long long)INT64_MAX);
			return false;
		}
		*is_auto = false;
		*(int64_t *)dst = (int64_t)v;
		return true;
	}
	case CFG_FILE_MODE:
		if (!*t || strspn(t, "01234567") != strlen(t) || strlen(t) > 4)
			goto bad;
		v = strtoull(t, NULL, 8);
		if (v > f->max) {
			error_at(c, node, path, "%s is out of range; allowed 0000 to 0777", tv);
			return false;
		}
		*(uint32_t *)dst = (uint32_t)v;
		return true;
	case CFG_GATES:
	case CFG_OBJECT:
	case CFG_LIST:
	case CFG_KV_MAP:
		error_at(c, node, path, "expected %s, got a single value", type_word(f->type));
		return false;
	}
bad_number:
	if (f->type == CFG_UINT) {
		error_at(c, node, path, "'%s' is not valid; expected an integer from %llu to %llu", tv,
			 (unsigned long long)f->min, (unsigned long long)(f->max ? f->max : UINT32_MAX));
		return false;
	}
bad:
	error_at(c, node, path, "'%s' is not valid; expected %s", tv, type_word(f->type));
	return false;
}

/* ---- structure ---- */
static void parse_value(struct cfg_checker *c, const struct cfg_field *f, const struct ynode *node, void *dst,
			const struct ymark *parent_mark, const char *path);
static void apply_default(struct cfg_checker *c, const struct cfg_field *f, void *base,
			  const struct ymark *mark, const char *path);

static bool visit(struct cfg_checker *c, const struct ynode *node, const char *path)
{
	if (++c->visited <= c->max_visited)
		return true;
	if (!c->too_complex)
		error_at(c, node, path, "document too complex: aliases expand to more than %zu nodes "
			 "(%u + one per 4 bytes of the file, at most %u)", c->max_visited, MIN_VISITED_NODES,
			 MAX_VISITED_NODES);
	c->too_complex = true;
	return false;
}

static struct scalar node_scalar(const struct ynode *node)
{
	struct scalar s = { .text = node->text, .len = node->len, .plain = node->plain };
	return s;
}

static bool node_is_null(const struct ynode *node)
{
	if (node->type != YAML_SCALAR_NODE)
		return false;
	struct scalar s = node_scalar(node);
	return scalar_is_null(&s);
}

static const char *node_kind(const struct ynode *node)
{
	switch (node->type) {
	case YAML_SCALAR_NODE: return "a single value";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

/* Append parts to a field path, cutting it at PATH_LEN - 1 characters; the line and
 * column still point at the right place, so a shortened path is harmless. */
static void path_append(char *out, const char *path, const char *sep, const char *part)
{
	size_t len = 0;
	const char *pieces[3] = { path, sep, part };
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(pieces[i]);
		if (n > PATH_LEN - 1 - len)
			n = PATH_LEN - 1 - len;
		memcpy(out + len, pieces[i], n);
		len += n;
	}
	out[len] = '\0';
}

static void join_path(char *out, const char *path, const char *key)
{
	path_append(out, path, path[0] ? "." : "", key);
}

static void index_path(char *out, const char *path, size_t i)
{
	char idx[24], *p = idx + sizeof(idx);

	/* "[i]" written backwards: not snprintf, this runs for every list element */
	*--p = '\0';
	*--p = ']';
	do
		*--p = (char)('0' + i % 10);
	while ((i /= 10) && p > idx + 1);
	*--p = '[';
	path_append(out, path, "", p);
}

static void parse_gates(struct cfg_checker *c, const struct cfg_field *f, const struct ynode *node, uint32_t *mask,
			const char *path)
{
	*mask = 0;
	if (node_is_null(node))
		return;
	if (node->type != YAML_SEQUENCE_NODE) {
		error_at(c, node, path, "expected %s, got %s", type_word(f->type), node_kind(node));
		return;
	}
	for (size_t i = 0; i < node->n; i++) {
		const struct ynode *item = ytree_kid(c->tree, node, i);
		char ipath[PATH_LEN];
		index_path(ipath, path, i);
		if (!item || !visit(c, item, ipath))
			return;
		if (item->type != YAML_SCALAR_NODE) {
			error_at(c, item, ipath, "expected a class number or a range such as 0-2, got %s",
				 node_kind(item));
			continue;
		}
		const char *t = item->text;
		const char *dash = strchr(t, '-');
		uint64_t lo = 0, hi = 0;
		char first[24];
		bool ok;
		if (dash && (size_t)(dash - t) < sizeof(first)) {
			memcpy(first, t, (size_t)(dash - t));
			first[dash - t] = '\0';
			ok = tsn_parse_u64(first, &lo) && tsn_parse_u64(dash + 1, &hi);
		} else {
			ok = !dash && tsn_parse_u64(t, &lo);
			hi = lo;
		}
		if (!ok || lo > hi) {
			char sb[64];
			error_at(c, item, ipath, "'%s' is not a traffic class or a range low-high such as 0-2",
				 shown(t, strlen(t), sb, sizeof(sb)));
			continue;
		}
		if (hi > f->max) {
			error_at(c, item, ipath, "traffic class %llu is out of range; allowed 0 to %llu",
				 (unsigned long long)hi, (unsigned long long)f->max);
			continue;
		}
		for (uint64_t b = lo; b <= hi; b++)
			*mask |= 1u << b;
	}
}

static void parse_kv_map(struct cfg_checker *c, const struct cfg_field *f, const struct ynode *node, void *base,
			 const char *path)
{
	struct tsn_cfg_kv **items = (struct tsn_cfg_kv **)((char *)base + f->offset);
	size_t *count = (size_t *)((char *)base + f->count);
	if (node_is_null(node))
		return;
	if (node->type != YAML_MAPPING_NODE) {
		error_at(c, node, path, "expected %s, got %s", type_word(f->type), node_kind(node));
		return;
	}
	size_t n = node->n / 2;
	if (n > f->max) {
		error_at(c, node, path, "too many entries (%zu); at most %llu", n, (unsigned long long)f->max);
		return;
	}
	*items = calloc(n ? n : 1, sizeof(**items));
	if (!*items) {
		error_at(c, node, path, "out of memory");
		return;
	}
	for (size_t p = 0; p + 1 < node->n; p += 2) {	/* key, value */
		const struct ynode *k = ytree_kid(c->tree, node, p), *v = ytree_kid(c->tree, node, p + 1);
		char kpath[PATH_LEN];
		if (!k || !v || !visit(c, v, path))
			return;
		if (k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE) {
			error_at(c, k->type != YAML_SCALAR_NODE ? k : v, path,
				 "options must map a name to a single value");
			continue;
		}
		const char *key = k->text;
		const char *val = v->text;
		join_path(kpath, path, key);
		struct tsn_cfg_kv *kv = &(*items)[*count];
		if (strlen(key) >= sizeof(kv->key) || strlen(val) >= sizeof(kv->value) ||
		    strpbrk(key, " \t\n\r[]#") || strpbrk(val, "\n\r") || !*key) {
			error_at(c, k, kpath, "option name must be 1-63 characters without spaces, and its value at most "
				 "127 characters on one line");
			continue;
		}
		bool dup = false;
		for (size_t i = 0; i < *count; i++)
			dup |= strcmp((*items)[i].key, key) == 0;
		if (dup) {
			char sb[64];
			error_at(c, k, kpath, "option '%s' given twice", shown(key, strlen(key), sb, sizeof(sb)));
			continue;
		}
		strcpy(kv->key, key);
		strcpy(kv->value, val);
		record(c, kv, v, NULL, kpath, kv->key, false);
		(*count)++;
	}
}

static void parse_list(struct cfg_checker *c, const struct cfg_field *f, const struct ynode *node, void *base,
		       const char *path)
{
	void *slot = (char *)base + f->offset;
	size_t *count = (size_t *)((char *)base + f->count);
	char *elems;

	if (node_is_null(node))
		return;	/* `key:` with nothing: an empty list */
	if (node->type != YAML_SEQUENCE_NODE) {
		error_at(c, node, path, "expected a list, got %s", node_kind(node));
		return;
	}
	size_t n = node->n;
	if (n > f->max) {
		error_at(c, node, path, "too many entries (%zu); at most %llu", n, (unsigned long long)f->max);
		return;
	}
	if (f->flags & CFG_F_INLINE) {
		elems = slot;
	} else {
		elems = calloc(n ? n : 1, f->size);
		if (!elems) {
			error_at(c, node, path, "out of memory");
			return;
		}
		*(void **)slot = elems;
	}
	*count = n;
	for (size_t i = 0; i < n; i++) {
		const struct ynode *item = ytree_kid(c->tree, node, i);
		char ipath[PATH_LEN];
		index_path(ipath, path, i);
		if (!item || !visit(c, item, ipath))
			return;
		parse_value(c, f->elem, item, elems + i * f->size, &node->mark, ipath);
	}
}

static void parse_object(struct cfg_checker *c, const struct cfg_table *t, const struct ynode *node, void *obj,
			 const struct ymark *parent_mark, const char *path, const char *key)
{
	const struct ymark *mark = node ? &node->mark : parent_mark;
	bool seen[64] = { false };
	size_t errors_before = c->diags->errors;

	int saved_parent = c->parent;
	int id = record(c, obj, node, parent_mark, path, key, true);
	if (node && node_is_null(node))
		node = NULL;	/* `section:` with nothing: all defaults */
	if (node && node->type != YAML_MAPPING_NODE) {
		error_at(c, node, path, "expected a mapping of %s fields, got %s", t->name, node_kind(node));
		return;	/* its fields would only repeat the same mistake */
	}
	c->parent = id;
	if (node) {
		for (size_t p = 0; p + 1 < node->n; p += 2) {	/* key, value */
			const struct ynode *k = ytree_kid(c->tree, node, p), *v = ytree_kid(c->tree, node, p + 1);
			if (!k || !v || !visit(c, v, path))
				goto out;
			if (k->type != YAML_SCALAR_NODE) {
				error_at(c, k, path, "a key must be a single word, got %s", node_kind(k));
				continue;
			}
			const char *name = k->text;
			char fpath[PATH_LEN];
			join_path(fpath, path, name);
			size_t i;
			for (i = 0; i < t->n_fields; i++)
				if (strcmp(t->fields[i].key, name) == 0)
					break;
			if (i == t->n_fields) {
				char allowed[512];
				size_t off = 0;
				allowed[0] = '\0';
				for (size_t j = 0; j < t->n_fields && off < sizeof(allowed); j++)
					off += (size_t)snprintf(allowed + off, sizeof(allowed) - off, "%s%s",
								j ? ", " : "", t->fields[j].key);
				char sb[64];
				error_at(c, k, fpath, "unknown field '%s'; allowed: %s", shown(name, strlen(name), sb, sizeof(sb)),
					 allowed);
				continue;
			}
			if (seen[i]) {
				char sb[64];
				error_at(c, k, fpath, "field '%s' given twice", shown(name, strlen(name), sb, sizeof(sb)));
				continue;
			}
			seen[i] = true;
			const struct cfg_field *f = &t->fields[i];
			if (f->flags & CFG_F_OPTIONAL)
				*(bool *)((char *)obj + f->present) = true;
			if (f->type == CFG_LIST || f->type == CFG_KV_MAP) {
				/* the list itself, for checks that talk about it as a whole,
				 * and as the parent of its elements */
				c->parent = record(c, (char *)obj + f->count, v, NULL, fpath, f->key, false);
				if (f->type == CFG_LIST)
					parse_list(c, f, v, obj, fpath);
				else
					parse_kv_map(c, f, v, obj, fpath);
				c->parent = id;
			} else {
				parse_value(c, f, v, (char *)obj + f->offset, mark, fpath);
			}
		}
	}
	for (size_t i = 0; i < t->n_fields; i++) {
		const struct cfg_field *f = &t->fields[i];
		char fpath[PATH_LEN];
		if (seen[i])
			continue;
		join_path(fpath, path, f->key);
		if (f->flags & CFG_F_REQUIRED) {
			tsn_diags_add(c->diags, TSN_DIAG_ERROR, mark ? (unsigned)mark->line + 1 : 0,
				      mark ? (unsigned)mark->column + 1 : 0, fpath, "required field '%s' is missing",
				      f->key);
			continue;
		}
		apply_default(c, f, obj, mark, fpath);
	}
	if (id >= 0)	/* from now on its defaults are found (as they got places before) */
		c->index->places[id].defaults = true;
	if (t->check && c->diags->errors == errors_before)
		t->check(c, obj);
out:
	c->parent = saved_parent;
}

static void apply_default(struct cfg_checker *c, const struct cfg_field *f, void *base,
			  const struct ymark *mark, const char *path)
{
	void *dst = (char *)base + f->offset;
	/* An object records itself, unless it is optional: then it stays unparsed,
	 * and its place (without defaults) answers for its fields. */
	if (f->type != CFG_OBJECT || (f->flags & CFG_F_OPTIONAL))
		record(c, (f->type == CFG_LIST || f->type == CFG_KV_MAP) ? (char *)base + f->count : dst, NULL, mark,
		       path, f->key, f->type == CFG_OBJECT);
	if (f->flags & CFG_F_OPTIONAL)
		return;
	if (f->type == CFG_OBJECT) {
		parse_object(c, f->sub, NULL, dst, mark, path, f->key);
		return;
	}
	if (!f->def)
		return;
	struct scalar s = { .text = f->def, .len = strlen(f->def), .plain = true };
	parse_scalar(c, f, &s, dst, NULL, path);
}

static void parse_value(struct cfg_checker *c, const struct cfg_field *f, const struct ynode *node, void *dst,
			const struct ymark *parent_mark, const char *path)
{
	switch (f->type) {
	case CFG_OBJECT:
		parse_object(c, f->sub, node, dst, parent_mark, path, f->key);
		return;
	case CFG_GATES:
		record(c, dst, node, NULL, path, f->key, false);
		parse_gates(c, f, node, dst, path);
		return;
	case CFG_LIST:
	case CFG_KV_MAP:
		error_at(c, node, path, "nested lists are not allowed here");
		return;
	default:
		break;
	}
	record(c, dst, node, NULL, path, f->key, false);
	if (node->type != YAML_SCALAR_NODE) {
		error_at(c, node, path, "expected %s, got %s", type_word(f->type), node_kind(node));
		return;
	}
	struct scalar s = node_scalar(node);
	parse_scalar(c, f, &s, dst, node, path);
}

/* ---- public API ---- */

/* owned: text, when the parser may free it once the walk is done (before the
 * whole-config checks, which need only the structs).  file: read from there
 * instead (len bytes), never held in memory; closed here. */
static struct tsn_config *config_parse(const char *text, size_t len, char *owned, FILE *file, const char *name,
				       struct tsn_diags *diags)
{
	/* Large blocks (the text, lists, the index) mmapped, so that they go back to
	 * the system when freed.  glibc would otherwise raise its threshold after
	 * the first large free, and tsnd's next check would grow them on the heap,
	 * copying, with old and new block at once: 25 MB more at the peak. */
	mallopt(M_MMAP_THRESHOLD, 256 << 10);
	struct tsn_config *cfg = calloc(1, sizeof(*cfg));
	struct cfg_index *ix = calloc(1, sizeof(*ix));
	struct ytree tree = { .root = -1 };

	if (!cfg || !ix) {
		tsn_diags_add(diags, TSN_DIAG_ERROR, 0, 0, "", "out of memory");
		free(cfg);
		free(ix);
		free(owned);
		if (file)
			fclose(file);
		return NULL;
	}
	snprintf(cfg->source, sizeof(cfg->source), "%s", name ? name : "<config>");
	cfg->where = ix;
	/* The walk is bounded by the input, not only absolutely: aliases must not
	 * make a small file cost what a large one may (time and memory per MB). */
	size_t max_visited = MIN_VISITED_NODES + len / 4;
	struct cfg_checker c = { .diags = diags, .index = ix, .tree = &tree, .parent = -1,
				 .max_visited = max_visited < MAX_VISITED_NODES ? max_visited : MAX_VISITED_NODES };
	size_t errors_before = diags->errors;

	if (len > MAX_CONFIG_BYTES) {
		tsn_diags_add(diags, TSN_DIAG_ERROR, 0, 0, "", "file is larger than %u bytes", MAX_CONFIG_BYTES);
		goto out;
	}
	/* The walk reads the document as a stream (yaml_tree.h): memory does not
	 * grow with the number of nodes, so the text stays until the walk is done. */
	const struct ynode *root;
	if (!(file ? ytree_load_file_diag(&tree, file, len, YTREE_STREAM, diags, &root)
		   : ytree_load_diag(&tree, text, len, YTREE_STREAM, diags, &root)))
		goto out;
	struct ymark top = { 0, 0 };
	parse_object(&c, &tsn_cfg_root, root, cfg, &top, "", "");
	if (ytree_failed(&tree))
		tsn_diags_add(diags, TSN_DIAG_ERROR, 0, 0, "", "%s", ytree_failed(&tree));
	/* The whole-config checks need only the structs and places: the tree and
	 * the text go first, so that their tables do not come on top of them. */
	ytree_free(&tree);
	c.tree = NULL;
	free(owned);
	owned = NULL;
	if (file)
		fclose(file);
	file = NULL;
	cfg_check_config(&c, cfg);
out:
	free(owned);
	ytree_free(&tree);
	if (file)
		fclose(file);
	if (diags->errors != errors_before) {
		tsn_config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct tsn_config *tsn_config_load(const char *path, struct tsn_diags *diags)
{
	/* O_NONBLOCK: opening a FIFO for reading blocks until a writer comes (tsnd
	 * stopped answering); with it, open returns and the type check refuses it.
	 * Reads of a regular file ignore the flag. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0) {
		tsn_diags_add(diags, TSN_DIAG_ERROR, 0, 0, "", "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		tsn_diags_add(diags, TSN_DIAG_ERROR, 0, 0, "", "not a regular file (a FIFO, device, socket or "
			      "directory is refused)");
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		tsn_diags_add(diags, TSN_DIAG_ERROR, 0, 0, "", "cannot open: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	if (st.st_size > MAX_CONFIG_BYTES) {
		tsn_diags_add(diags, TSN_DIAG_ERROR, 0, 0, "", "file is larger than %u bytes", MAX_CONFIG_BYTES);
		fclose(f);
		return NULL;
	}
	/* libyaml reads the file itself, once per pass: a 16 MiB file is not also
	 * held in memory while it is walked. */
	return config_parse(NULL, (size_t)st.st_size, NULL, f, path, diags);
}

struct tsn_config *tsn_config_parse(const char *text, size_t len, const char *name, struct tsn_diags *diags)
{
	return config_parse(text, len, NULL, NULL, name, diags);
}

struct tsn_config *tsn_config_defaults(void)
{
	struct tsn_diags d;
	tsn_diags_init(&d, "<defaults>");
	struct tsn_config *cfg = tsn_config_parse("", 0, "<defaults>", &d);
	tsn_diags_free(&d);
	return cfg;
}

void cfg_index_free(struct cfg_index *ix)
{
	index_free(ix);
}

const struct tsn_cfg_port *tsn_config_port(const struct tsn_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return &cfg->ports[i];
	return NULL;
}
