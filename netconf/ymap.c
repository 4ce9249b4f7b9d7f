/* SPDX-License-Identifier: GPL-2.0-only */
/* ymap.c — tsnd's YANG module, generated from the schema rows of lib/cfg_schema.c,
 * and the translation of configurations between tsnd's JSON and RFC 7951 JSON.
 *
 * One walk over the schema serves three purposes (module text, tsnd -> YANG,
 * YANG -> tsnd); what differs from a plain "YAML key = YANG leaf" is in the rule
 * table below: IEEE names and types where the standard has a counterpart, list
 * keys, and lists whose position becomes a key. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ymap.h"
#include "cfg_schema.h"
#include "tsn/units.h"

enum ym_kind {
	YM_PLAIN,
	YM_RATIONAL,	/* a duration as IEEE's rational seconds {numerator, denominator} */
	YM_U32,		/* a duration or size as uint32 (the standard's type) */
	YM_POSLIST,	/* a list of scalars: list keyed by the position (`keys`), value leaf `value` */
	YM_INDEXED,	/* a list of objects keyed by the position (`keys`, e.g. "index") */
};

struct ym_rule {
	const char *path;	/* schema path: "ports[].schedule.entries[].op" */
	const char *name;	/* YANG node name; NULL: the YAML key */
	enum ym_kind kind;
	const char *keys;	/* list keys (space separated); POSLIST/INDEXED: the position leaf */
	const char *value;	/* POSLIST: the value leaf */
	const char *wrap;	/* the list sits in a container of this name (IEEE's admin-control-list) */
	const char *enums;	/* "yaml=yang,..." enumeration renames */
	const char *ieee;	/* the standard's node, for the mapping table */
};

#define QBV "802.1Qbv/Qcw ieee802-dot1q-sched"
#define QCI "802.1Qci/Qcw ieee802-dot1q-psfp"
#define CB "802.1CB ieee802-dot1cb-stream-identification"
static const struct ym_rule rules[] = {
	{ "ports", .keys = "name" },
	{ "ports[].schedule", "gate-parameter-table", .ieee = QBV " gate-parameter-table" },
	{ "ports[].schedule.map", "map", YM_POSLIST, "priority", "traffic-class" },
	{ "ports[].schedule.queues", "queues", YM_POSLIST, "traffic-class" },
	{ "ports[].schedule.base-time", "admin-base-time", .ieee = QBV " admin-base-time (ptp-time)" },
	{ "ports[].schedule.cycle-time", "admin-cycle-time", YM_RATIONAL, .ieee = QBV " admin-cycle-time (rational)" },
	{ "ports[].schedule.cycle-time-extension", "admin-cycle-time-extension", YM_U32,
	  .ieee = QBV " admin-cycle-time-extension" },
	{ "ports[].schedule.max-sdu", "queue-max-sdu-table", YM_POSLIST, "traffic-class", "queue-max-sdu",
	  .ieee = QBV " queue-max-sdu-table" },
	{ "ports[].schedule.entries", "gate-control-entry", YM_INDEXED, "index", .wrap = "admin-control-list",
	  .ieee = QBV " admin-control-list/gate-control-entry" },
	{ "ports[].schedule.entries[].op", "operation-name",
	  .enums = "set-gates=set-gate-states,set-and-hold=set-and-hold-mac,set-and-release=set-and-release-mac",
	  .ieee = QBV " operation-name" },
	{ "ports[].schedule.entries[].gates", "gate-states-value", .ieee = QBV " gate-states-value" },
	{ "ports[].schedule.entries[].interval", "time-interval-value", YM_U32, .ieee = QBV " time-interval-value" },
	{ "ports[].schedule.shapers", .keys = "class" },	/* one shaper per class (cfg_shaper.c) */
	{ "ports[].schedule.launch-time", .keys = "class" },
	{ "ptp.ports", .keys = "name" },
	{ "ptp.options", .keys = "name", .value = "value" },
	{ "classification.ethertype", .keys = "ethertype" },
	{ "classification.pcp", .keys = "pcp" },
	{ "classification.dscp", .keys = "dscp" },
	{ "streams", .keys = "id", .ieee = CB " stream-identity" },
	{ "streams[].id", "handle", .ieee = CB " handle" },
	{ "streams[].dst-mac", "destination-mac", .ieee = CB " destination-mac" },
	{ "streams[].src-mac", "source-mac", .ieee = CB " source-mac" },
	{ "streams[].vlan", "vlan", .ieee = CB " vlan" },
	{ "streams[].src", "ip-source", .ieee = CB " ip-source" },
	{ "streams[].dst", "ip-destination", .ieee = CB " ip-destination" },
	{ "streams[].dscp", "dscp", .ieee = CB " dscp" },
	{ "streams[].next-header", "next-protocol", .ieee = CB " next-protocol (number, not IEEE's enumeration)" },
	{ "streams[].src-port", "source-port", .ieee = CB " source-port" },
	{ "streams[].dst-port", "destination-port", .ieee = CB " destination-port" },
	{ "stream-filters", .keys = "name", .ieee = QCI " stream-filter-instance-table (keyed by name)" },
	{ "stream-filters[].max-sdu", "max-sdu-size", .ieee = QCI " max-sdu-size" },
	{ "stream-filters[].meter", "flow-meter-ref", .ieee = QCI " flow-meter-ref (a name)" },
	{ "stream-filters[].gate", "stream-gate-ref", .ieee = QCI " stream-gate-ref (a name)" },
	{ "flow-meters", .keys = "name", .ieee = QCI " flow-meter-instance-table (keyed by name)" },
	{ "flow-meters[].cir", "committed-information-rate", .ieee = QCI " committed-information-rate" },
	{ "flow-meters[].cbs", "committed-burst-size", YM_U32, .ieee = QCI " committed-burst-size" },
	{ "flow-meters[].eir", "excess-information-rate", .ieee = QCI " excess-information-rate" },
	{ "flow-meters[].ebs", "excess-burst-size", YM_U32, .ieee = QCI " excess-burst-size" },
	{ "flow-meters[].coupling", "coupling-flag", .ieee = QCI " coupling-flag" },
	{ "flow-meters[].color-mode", "color-mode", .enums = "blind=color-blind,aware=color-aware",
	  .ieee = QCI " color-mode" },
	{ "stream-gates", .keys = "name", .ieee = QCI " stream-gate-instance-table (keyed by name)" },
	{ "stream-gates[].base-time", "admin-base-time", .ieee = QCI " admin-base-time (ptp-time)" },
	{ "stream-gates[].cycle-time", "admin-cycle-time", YM_RATIONAL, .ieee = QCI " admin-cycle-time (rational)" },
	{ "stream-gates[].entries", "gate-control-entry", YM_INDEXED, "index", .wrap = "admin-control-list",
	  .ieee = QCI " admin-control-list/gate-control-entry" },
	{ "stream-gates[].entries[].state", "gate-state-value", .ieee = QCI " gate-state-value" },
	{ "stream-gates[].entries[].interval", "time-interval-value", YM_U32, .ieee = QCI " time-interval-value" },
	{ "stream-gates[].entries[].priority", "ipv-value", .ieee = QCI " ipv-value" },
	{ "routes", .keys = "prefix metric" },
	{ "bridge.ports", .keys = "name" },
	{ "bridge.ports[].pcp-map", "pcp-map", YM_POSLIST, "pcp", "priority" },
	{ "bridge.ports[].vlans", .keys = "vid" },
	{ "bridge.fdb", .keys = "mac vid" },
	{ "frer", .keys = "stream" },
	{ "frer[].paths", "path", YM_INDEXED, "index" },
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct ym_rule *rule_for(const char *path)
{
	for (size_t i = 0; i < N(rules); i++)
		if (strcmp(rules[i].path, path) == 0)
			return &rules[i];
	return NULL;
}

static const char *yname(const struct cfg_field *f, const struct ym_rule *r)
{
	return r && r->name ? r->name : f->key;
}

/* Rename an enumeration value: dir 0 YAML -> YANG, 1 back.  NULL: not a value. */
static const char *enum_map(const struct cfg_field *f, const struct ym_rule *r, const char *v, int dir,
			    char *buf, size_t len)
{
	if (r && r->enums) {
		const char *p = r->enums;
		while (*p) {
			const char *eq = strchr(p, '='), *end = strchr(p, ',');
			if (!end)
				end = p + strlen(p);
			size_t la = (size_t)(eq - p), lb = (size_t)(end - eq - 1);
			const char *from = dir ? eq + 1 : p, *to = dir ? p : eq + 1;
			size_t lf = dir ? lb : la, lt = dir ? la : lb;
			if (strlen(v) == lf && strncmp(v, from, lf) == 0 && lt < len) {
				memcpy(buf, to, lt);
				buf[lt] = '\0';
				return buf;
			}
			p = *end ? end + 1 : end;
		}
	}
	for (const char *const *n = f->names; *n; n++)
		if (**n && strcmp(*n, v) == 0)
			return *n;
	return NULL;
}

/* ======================================================================
 * The module text
 * ====================================================================== */
struct gen {
	FILE *out;
	int depth;
	int bad;
};

static void line(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(struct gen *g, const char *fmt, ...)
{
	va_list ap;
	fprintf(g->out, "%*s", g->depth * 2, "");
	va_start(ap, fmt);
	vfprintf(g->out, fmt, ap);
	va_end(ap);
	fputc('\n', g->out);
}

/* "KEYWORD ARG {" and one level deeper */
static void open_(struct gen *g, const char *kw_arg, const char *name)
{
	size_t kl = strcspn(kw_arg, " ");
	fprintf(g->out, "%*s%.*s %s {\n", g->depth * 2, "", (int)kl, kw_arg, name);
	g->depth++;
}

static void close_(struct gen *g)
{
	g->depth--;
	line(g, "}");
}

static void description(struct gen *g, const char *text)
{
	if (!text || !*text)
		return;
	fprintf(g->out, "%*sdescription\n%*s\"", g->depth * 2, "", g->depth * 2 + 2, "");
	for (const char *p = text; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', g->out);
		fputc(*p, g->out);
	}
	fputs("\";\n", g->out);
}

static void range_u(struct gen *g, const char *type, uint64_t min, uint64_t max, uint64_t tmax)
{
	if (max > tmax || max == 0)
		max = tmax;
	if (min == 0 && max == tmax) {
		line(g, "type %s;", type);
		return;
	}
	open_(g, "type %s", type);
	line(g, "range \"%" PRIu64 "..%" PRIu64 "\";", min, max);
	close_(g);
}

/* A leaf's type statement (and units), from the row. */
static void leaf_type(struct gen *g, const struct cfg_field *f, const struct ym_rule *r)
{
	bool u32 = r && r->kind == YM_U32;
	switch (f->type) {
	case CFG_BOOL:
		line(g, "type boolean;");
		break;
	case CFG_UINT:
		range_u(g, "uint32", f->min, f->max, UINT32_MAX);
		break;
	case CFG_DURATION:
		range_u(g, u32 ? "uint32" : "uint64", f->min, f->max, u32 ? UINT32_MAX : UINT64_MAX);
		line(g, "units \"nanoseconds\";");
		break;
	case CFG_RATE:
		range_u(g, "uint64", f->min, f->max, UINT64_MAX);
		line(g, "units \"bits/second\";");
		break;
	case CFG_SIZE:
		range_u(g, u32 ? "uint32" : "uint64", f->min, f->max, u32 ? UINT32_MAX : UINT64_MAX);
		line(g, "units \"octets\";");
		break;
	case CFG_STRING:
		open_(g, "type %s", "string");
		switch (f->str) {
		case STR_IFNAME:
			line(g, "length \"1..%zu\";", f->size - 1);
			line(g, "pattern '[^/: \\t]+';");
			break;
		case STR_NAME:
			line(g, "length \"%d..%zu\";", (f->flags & CFG_F_REQUIRED) ? 1 : 0, f->size - 1);
			line(g, "pattern '[A-Za-z0-9_.\\-]*';");
			break;
		case STR_PATH:
			line(g, "length \"0..%zu\";", f->size - 1);
			line(g, "pattern '(/.*)?';");
			break;
		default:
			line(g, "length \"0..%zu\";", f->size - 1);
			break;
		}
		close_(g);
		break;
	case CFG_ENUM: {
		open_(g, "type %s", "enumeration");
		for (int i = 0; f->names[i]; i++) {
			char buf[64];
			if (!*f->names[i])
				continue;
			const char *yv = enum_map(f, r, f->names[i], 0, buf, sizeof(buf));
			open_(g, "enum %s", yv);
			line(g, "value %d;", i);
			close_(g);
		}
		close_(g);
		break;
	}
	case CFG_MAC:
		line(g, "type yang:mac-address;");
		break;
	case CFG_IPV6:
		line(g, "type inet:ipv6-address-no-zone;");
		break;
	case CFG_PREFIX:
		line(g, "type inet:ipv6-prefix;");
		break;
	case CFG_GATES:
		range_u(g, f->max < 8 ? "uint8" : "uint32", 0, 0, f->max < 8 ? UINT8_MAX : UINT32_MAX);
		break;
	case CFG_FILE_MODE:
		open_(g, "type %s", "string");
		line(g, "pattern '0?[0-7]{1,3}';");
		close_(g);
		break;
	case CFG_LINK_SPEED:
		open_(g, "type %s", "union");
		open_(g, "type %s", "enumeration");
		line(g, "enum auto;");
		close_(g);
		range_u(g, "uint32", 1, f->max, UINT32_MAX);
		close_(g);
		line(g, "units \"Mbit/s\";");
		break;
	default:
		g->bad = 1;
		break;
	}
}

/* The YANG form of a default written as in YAML; false if none fits. */
static bool yang_default(const struct cfg_field *f, const struct ym_rule *r, char *buf, size_t len)
{
	uint64_t v;
	if (!f->def)
		return false;
	switch (f->type) {
	case CFG_BOOL:
	case CFG_UINT:
	case CFG_STRING:
	case CFG_FILE_MODE:
		if (f->type == CFG_UINT && tsn_parse_u64(f->def, &v)) {
			snprintf(buf, len, "%" PRIu64, v);
			return true;
		}
		snprintf(buf, len, "%s", f->def);
		return true;
	case CFG_LINK_SPEED:
		snprintf(buf, len, "%s", f->def);
		return true;
	case CFG_DURATION:
		if (!tsn_parse_duration(f->def, &v))
			return false;
		snprintf(buf, len, "%" PRIu64, v);
		return true;
	case CFG_RATE:
		if (!tsn_parse_rate(f->def, &v))
			return false;
		snprintf(buf, len, "%" PRIu64, v);
		return true;
	case CFG_SIZE:
		if (!tsn_parse_size(f->def, &v))
			return false;
		snprintf(buf, len, "%" PRIu64, v);
		return true;
	case CFG_ENUM: {
		const char *e = enum_map(f, r, f->def, 0, buf, len);
		if (e && e != buf)
			snprintf(buf, len, "%s", e);
		return e != NULL;
	}
	default:
		return false;
	}
}

static bool is_key(const struct ym_rule *lr, const char *key)
{
	if (!lr || !lr->keys)
		return false;
	size_t n = strlen(key);
	for (const char *p = lr->keys; *p;) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && strncmp(p, key, n) == 0)
			return true;
		p += l + (e ? 1 : 0);
	}
	return false;
}

static void gen_table(struct gen *g, const struct cfg_table *t, const char *path, const struct ym_rule *lr);

/* The YANG names of a list's keys, from the YAML names in the rule. */
static void key_stmt(struct gen *g, const struct cfg_table *t, const char *path, const struct ym_rule *lr)
{
	char names[256] = "";
	size_t o = 0;
	for (const char *p = lr->keys; *p;) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		char k[64], fp[600];
		snprintf(k, sizeof(k), "%.*s", (int)l, p);
		const char *yn = k;
		if (t) {
			bool found = false;
			for (size_t i = 0; i < t->n_fields; i++)
				if (strcmp(t->fields[i].key, k) == 0)
					found = true;
			if (!found)
				g->bad = 1;
			snprintf(fp, sizeof(fp), "%s[].%s", path, k);
			const struct ym_rule *kr = rule_for(fp);
			if (kr && kr->name)
				yn = kr->name;
		}
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", o ? " " : "", yn);
		p += l + (e ? 1 : 0);
	}
	line(g, "key \"%s\";", names);
}

static void gen_field(struct gen *g, const struct cfg_field *f, const char *ppath, const struct ym_rule *lr)
{
	char path[512];
	snprintf(path, sizeof(path), "%s%s%s", ppath, *ppath ? "." : "", f->key);
	const struct ym_rule *r = rule_for(path);
	const char *name = yname(f, r);
	char def[128];

	switch (f->type) {
	case CFG_OBJECT:
		open_(g, "container %s", name);
		description(g, f->doc);
		if (f->flags & CFG_F_OPTIONAL)
			line(g, "presence \"%s\";", "configured");
		gen_table(g, f->sub, path, NULL);
		close_(g);
		return;
	case CFG_BASE_TIME:
		open_(g, "container %s", name);
		description(g, "absent: auto (the next cycle start after the lead time)");
		line(g, "presence \"%s\";", "a fixed base time");
		open_(g, "leaf %s", "seconds");
		line(g, "type uint64;");
		line(g, "mandatory true;");
		close_(g);
		open_(g, "leaf %s", "nanoseconds");
		range_u(g, "uint32", 0, 999999999, UINT32_MAX);
		line(g, "mandatory true;");
		close_(g);
		close_(g);
		return;
	case CFG_KV_MAP:
		open_(g, "list %s", name);
		description(g, f->doc);
		line(g, "key \"%s\";", "name");
		line(g, "max-elements %" PRIu64 ";", f->max);
		open_(g, "leaf %s", "name");
		line(g, "type string;");
		close_(g);
		open_(g, "leaf %s", r && r->value ? r->value : "value");
		line(g, "type string;");
		line(g, "mandatory true;");
		close_(g);
		close_(g);
		return;
	case CFG_LIST:
		if (r && r->wrap) {
			open_(g, "container %s", r->wrap);
			description(g, f->doc);
		}
		if (f->elem->type == CFG_OBJECT) {
			char epath[520];
			snprintf(epath, sizeof(epath), "%s[]", path);
			open_(g, "list %s", name);
			if (!r || !r->wrap)
				description(g, f->doc);
			if (!r || !r->keys) {
				g->bad = 1;	/* every list of objects needs its key in the rule table */
				line(g, "key \"?\";");
			} else if (r->kind == YM_INDEXED) {
				line(g, "key \"%s\";", r->keys);
			} else {
				key_stmt(g, f->elem->sub, path, r);
			}
			if (f->max)
				line(g, "max-elements %" PRIu64 ";", f->max);
			if (r && r->kind == YM_INDEXED) {
				open_(g, "leaf %s", r->keys);
				range_u(g, "uint32", 0, f->max - 1, UINT32_MAX);
				description(g, "position in the list, from 0 up without holes");
				close_(g);
			}
			gen_table(g, f->elem->sub, epath, r);
			close_(g);
		} else if (r && r->kind == YM_POSLIST) {
			open_(g, "list %s", name);
			description(g, f->doc);
			line(g, "key \"%s\";", r->keys);
			line(g, "max-elements %" PRIu64 ";", f->max);
			open_(g, "leaf %s", r->keys);
			range_u(g, "uint32", 0, f->max - 1, UINT32_MAX);
			close_(g);
			if (f->elem->type == CFG_QUEUES) {
				open_(g, "leaf %s", "count");
				range_u(g, "uint32", 1, 0xffff, UINT32_MAX);
				line(g, "mandatory true;");
				close_(g);
				open_(g, "leaf %s", "offset");
				range_u(g, "uint32", 0, 0xffff, UINT32_MAX);
				line(g, "mandatory true;");
				close_(g);
			} else {
				open_(g, "leaf %s", r->value);
				leaf_type(g, f->elem, NULL);
				line(g, "mandatory true;");
				close_(g);
			}
			close_(g);
		} else {
			open_(g, "leaf-list %s", name);
			description(g, f->doc);
			leaf_type(g, f->elem, NULL);
			if (f->max)
				line(g, "max-elements %" PRIu64 ";", f->max);
			close_(g);
		}
		if (r && r->wrap)
			close_(g);
		return;
	case CFG_DURATION:
		if (r && r->kind == YM_RATIONAL) {
			open_(g, "container %s", name);
			description(g, f->doc);
			open_(g, "leaf %s", "numerator");
			line(g, "type uint32;");
			close_(g);
			open_(g, "leaf %s", "denominator");
			range_u(g, "uint32", 1, UINT32_MAX, UINT32_MAX);
			close_(g);
			close_(g);
			return;
		}
		break;
	default:
		break;
	}
	open_(g, "leaf %s", name);
	description(g, f->doc);
	leaf_type(g, f, r);
	if (is_key(lr, f->key))
		;	/* keys have neither defaults nor mandatory */
	else if ((f->flags & CFG_F_REQUIRED))
		line(g, "mandatory true;");
	else if (!(f->flags & CFG_F_OPTIONAL) && yang_default(f, r, def, sizeof(def)))
		line(g, "default \"%s\";", def);
	close_(g);
}

static void gen_table(struct gen *g, const struct cfg_table *t, const char *path, const struct ym_rule *lr)
{
	for (size_t i = 0; i < t->n_fields; i++)
		gen_field(g, &t->fields[i], path, lr);
}

/* Does every rule name a row?  (A renamed or removed YAML key must not leave a
 * rule behind that silently stops applying.) */
static bool path_exists(const struct cfg_table *t, const char *path)
{
	const char *dot = strchr(path, '.');
	size_t l = dot ? (size_t)(dot - path) : strlen(path);
	bool elem = l > 2 && path[l - 2] == '[' && path[l - 1] == ']';
	size_t kl = elem ? l - 2 : l;
	for (size_t i = 0; i < t->n_fields; i++) {
		const struct cfg_field *f = &t->fields[i];
		if (strlen(f->key) != kl || strncmp(f->key, path, kl) != 0)
			continue;
		if (!dot)
			return !elem;
		const struct cfg_table *sub = f->type == CFG_OBJECT ? f->sub
					      : (f->type == CFG_LIST && elem && f->elem->type == CFG_OBJECT) ? f->elem->sub
					      : NULL;
		return sub && path_exists(sub, dot + 1);
	}
	return false;
}

static void gen_state(struct gen *g);
static void gen_notifications(struct gen *g);

int ym_write_module(FILE *out)
{
	struct gen g = { .out = out };
	for (size_t i = 0; i < N(rules); i++)
		if (!path_exists(&tsn_cfg_root, rules[i].path)) {
			fprintf(stderr, "ymap: rule '%s' names no schema row\n", rules[i].path);
			return -1;
		}
	fputs("// Generated by tsn-yang from lib/cfg_schema.c and netconf/ymap.c: do not edit.\n", out);
	open_(&g, "module %s", YM_MODULE);
	line(&g, "yang-version 1.1;");
	line(&g, "namespace \"%s\";", YM_NAMESPACE);
	line(&g, "prefix %s;", YM_MODULE);
	line(&g, "import ietf-yang-types { prefix yang; }");
	line(&g, "import ietf-inet-types { prefix inet; }");
	line(&g, "organization \"tsnd developers\";");
	line(&g, "contact \"https://tsnd.invalid\";");
	description(&g, "Configuration and state of a tsnd TSN switch. Generated from tsnd's configuration "
			"schema; subtrees with an IEEE 802.1Q or 802.1CB counterpart use the standard's node "
			"names, types and units (docs/netconf.md).");
	open_(&g, "revision %s", YM_REVISION);
	description(&g, "First version.");
	close_(&g);
	open_(&g, "container %s", YM_TOP);
	description(&g, "The switch: its configuration (tsnd.yaml) and, read-only, its state.");
	gen_table(&g, &tsn_cfg_root, "", NULL);
	gen_state(&g);
	close_(&g);
	gen_notifications(&g);
	close_(&g);
	return g.bad ? -1 : 0;
}

/* FRER's counters (frer.show's `counters`, per stream, per member stream and per
 * port) and the 802.1CB managed objects (clause 10.8) they stand for.  One table
 * for the module, the translation and the mapping table. */
static const struct {
	const char *json, *leaf, *ieee;
} frer_counters[] = {
	{ "passed_packets", "passed-packets", "frerCpsSeqRcvyPassedPackets" },
	{ "discarded_packets", "discarded-packets", "frerCpsSeqRcvyDiscardedPackets" },
	{ "out_of_order_packets", "out-of-order-packets", "frerCpsSeqRcvyOutOfOrderPackets" },
	{ "rogue_packets", "rogue-packets", "frerCpsSeqRcvyRoguePackets" },
	{ "lost_packets", "lost-packets", "frerCpsSeqRcvyLostPackets" },
	{ "tagless_packets", "tagless-packets", "frerCpsSeqRcvyTaglessPackets" },
	{ "resets", "resets", "frerCpsSeqRcvyResets" },
	{ "latent_error_resets", "latent-error-resets", "frerCpsSeqRcvyLatentErrorResets" },
	{ "latent_errors", "latent-errors", "SIGNAL_LATENT_ERROR (7.4.4), counted" },
	{ "encode_errored_packets", "encode-errored-packets", "frerCpsSeqEncErroredPackets" },
	{ "generated_packets", "generated-packets", NULL },
	{ "replicated_packets", "replicated-packets", NULL },
	{ "replicate_errors", "replicate-errors", NULL },
};

/* A FRER stream's configuration and recovery state in frer.show: key, leaf, YANG
 * type and kind for put(), the 802.1CB object. */
static const struct {
	const char *json, *leaf, *type, *units, *ieee;
	char kind;
} frer_stream_leaves[] = {
	{ "stream_id", "handle", "uint32", NULL, "tsnStreamIdHandle", 'u' },
	{ "name", "name", "string", NULL, NULL, 's' },
	{ "role", "role", "string", NULL, NULL, 's' },
	{ "algorithm", "algorithm", "string", NULL, "frerSeqRcvyAlgorithm (vector, match)", 's' },
	{ "history", "history-length", "uint32", NULL, "frerSeqRcvyHistoryLength", 'u' },
	{ "reset_ns", "reset-timeout", "uint64", "nanoseconds", "frerSeqRcvyResetMSec (in ns)", 'U' },
	{ "take_any", "take-any", "boolean", NULL, "TakeAny (7.4.3.2.6)", 'b' },
	{ "recov_seq_num", "recov-seq-num", "uint32", NULL, "RecovSeqNum (7.4.3.2.3)", 'u' },
	{ "gen_seq_num", "gen-seq-num", "uint32", NULL, "GenSeqNum (7.4.1.2.2)", 'u' },
};

void ym_write_mapping_markdown(FILE *out)
{
	fputs("| tsnd.yaml (state: `tsnctl -j`) | YANG node | standard |\n|---|---|---|\n", out);
	for (size_t i = 0; i < N(rules); i++) {
		const struct ym_rule *r = &rules[i];
		if (!r->ieee)
			continue;
		fprintf(out, "| `%s` | `%s%s%s` | %s |\n", r->path, r->wrap ? r->wrap : "", r->wrap ? "/" : "",
			r->name ? r->name : strrchr(r->path, '.') ? strrchr(r->path, '.') + 1 : r->path, r->ieee);
	}
	/* Operational state: FRER's per stream leaves and counters (frer.show). */
	for (size_t i = 0; i < N(frer_stream_leaves); i++)
		if (frer_stream_leaves[i].ieee)
			fprintf(out, "| `frer show`: `streams[].%s` | `state/frer/streams/%s` | 802.1CB %s |\n",
				frer_stream_leaves[i].json, frer_stream_leaves[i].leaf, frer_stream_leaves[i].ieee);
	for (size_t i = 0; i < N(frer_counters); i++)
		if (frer_counters[i].ieee)
			fprintf(out, "| `frer show`: `streams[].counters.%s` | `state/frer/streams/counters/%s` | "
				"802.1CB %s (also per port: `ports/counters`, `individual-recovery/counters`) |\n",
				frer_counters[i].json, frer_counters[i].leaf, frer_counters[i].ieee);
}

/* ======================================================================
 * Translation
 * ====================================================================== */
static int fail(struct ym_error *err, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct ym_error *err, const char *path, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		snprintf(err->path, sizeof(err->path), "%s", path);
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static json_object *u64_json(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_object_new_string(buf);
}

/* ---- tsnd -> YANG ---- */
static json_object *obj_to_yang(const struct cfg_table *t, json_object *in, const char *path, const char *ypath,
				struct ym_error *err);

/* One scalar value (not a list or object) -> its YANG JSON. */
static json_object *scalar_to_yang(const struct cfg_field *f, const struct ym_rule *r, json_object *v,
				   const char *ypath, struct ym_error *err)
{
	const char *s = json_object_get_string(v);
	uint64_t u;
	char buf[64];
	bool u32 = r && r->kind == YM_U32;
	switch (f->type) {
	case CFG_BOOL:
		return json_object_new_boolean(json_object_get_boolean(v));
	case CFG_UINT:
		if (json_object_is_type(v, json_type_string)) {
			if (!tsn_parse_u64(s, &u) || u > UINT32_MAX)
				return fail(err, ypath, "'%s' is not a number", s), NULL;
			return json_object_new_int64((int64_t)u);
		}
		return json_object_new_int64(json_object_get_int64(v));
	case CFG_LINK_SPEED:
		if (json_object_is_type(v, json_type_string))
			return json_object_new_string(s);
		return json_object_new_int64(json_object_get_int64(v));
	case CFG_DURATION:
	case CFG_RATE:
	case CFG_SIZE: {
		bool ok = f->type == CFG_DURATION ? tsn_parse_duration(s, &u)
			  : f->type == CFG_RATE	  ? tsn_parse_rate(s, &u)
						  : tsn_parse_size(s, &u);
		if (!ok)
			return fail(err, ypath, "'%s' is not a valid value", s), NULL;
		if (r && r->kind == YM_RATIONAL) {
			/* ns / 1e9 s, reduced: 1ms -> 1/1000 */
			uint64_t den = 1000000000ull, d = gcd(u, den);
			if (u == 0)
				d = den;
			uint64_t num = u / d;
			den /= d;
			if (num > UINT32_MAX)
				return fail(err, ypath, "%s does not fit a rational of 32-bit numbers", s), NULL;
			json_object *o = json_object_new_object();
			json_object_object_add(o, "numerator", json_object_new_int64((int64_t)num));
			json_object_object_add(o, "denominator", json_object_new_int64((int64_t)den));
			return o;
		}
		if (u32) {
			if (u > UINT32_MAX)
				return fail(err, ypath, "%s is above the standard's 32-bit range", s), NULL;
			return json_object_new_int64((int64_t)u);
		}
		return u64_json(u);
	}
	case CFG_STRING:
	case CFG_MAC:
	case CFG_IPV6:
	case CFG_PREFIX:
	case CFG_FILE_MODE:
		return json_object_new_string(s);
	case CFG_ENUM: {
		const char *e = enum_map(f, r, s, 0, buf, sizeof(buf));
		if (!e)
			return fail(err, ypath, "'%s' is not a value of %s", s, f->key), NULL;
		return json_object_new_string(e);
	}
	case CFG_GATES: {
		uint32_t mask = 0;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			int64_t b = json_object_get_int64(json_object_array_get_idx(v, i));
			if (b < 0 || b > 31)
				return fail(err, ypath, "class %" PRId64 " out of range", b), NULL;
			mask |= 1u << b;
		}
		return json_object_new_int64(mask);
	}
	default:
		return fail(err, ypath, "%s: no YANG form", f->key), NULL;
	}
}

/* "YPATH/NAME[key='value']..." of a list entry; `elem` holds the key values under
 * their YAML names, or under their YANG names if `yang_elem`. */
static void key_pred(char *buf, size_t len, const char *ypath, const char *name, const struct ym_rule *r,
		     const struct cfg_table *t, json_object *elem, size_t index, bool yang_elem)
{
	size_t o = (size_t)snprintf(buf, len, "%s/%s", ypath, name);
	if (!r || !r->keys || o >= len)
		return;
	if (r->kind != YM_PLAIN) {
		snprintf(buf + o, len - o, "[%s='%zu']", r->keys, index);
		return;
	}
	for (const char *p = r->keys; *p && o < len;) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		char k[64];
		snprintf(k, sizeof(k), "%.*s", (int)l, p);
		json_object *kv = NULL;
		const char *yn = k;
		for (size_t i = 0; t && i < t->n_fields; i++)
			if (strcmp(t->fields[i].key, k) == 0) {
				char fp[600];
				snprintf(fp, sizeof(fp), "%s[].%s", r->path, k);
				const struct ym_rule *kr = rule_for(fp);
				if (kr && kr->name)
					yn = kr->name;
			}
		if (json_object_is_type(elem, json_type_object))
			json_object_object_get_ex(elem, yang_elem ? yn : k, &kv);
		o += (size_t)snprintf(buf + o, len - o, "[%s='%s']", yn, kv ? json_object_get_string(kv) : "?");
		p += l + (e ? 1 : 0);
	}
}

static int field_to_yang(const struct cfg_field *f, json_object *v, json_object *out, const char *ppath,
			 const char *ypath, struct ym_error *err)
{
	char path[512], yp[1024];
	snprintf(path, sizeof(path), "%s%s%s", ppath, *ppath ? "." : "", f->key);
	const struct ym_rule *r = rule_for(path);
	const char *name = yname(f, r);
	snprintf(yp, sizeof(yp), "%s/%s", ypath, name);
	json_object *res = NULL;

	switch (f->type) {
	case CFG_OBJECT:
		if (!json_object_is_type(v, json_type_object))
			return fail(err, yp, "not an object");
		res = obj_to_yang(f->sub, v, path, yp, err);
		break;
	case CFG_BASE_TIME: {
		if (json_object_is_type(v, json_type_string))
			return 0;	/* auto: no container */
		int64_t ns = json_object_get_int64(v);
		if (ns < 0)
			return fail(err, yp, "negative base time");
		res = json_object_new_object();
		json_object_object_add(res, "seconds", u64_json((uint64_t)ns / 1000000000u));
		json_object_object_add(res, "nanoseconds", json_object_new_int64(ns % 1000000000));
		break;
	}
	case CFG_KV_MAP: {
		res = json_object_new_array();
		json_object_object_foreach(v, k, kv) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "name", json_object_new_string(k));
			json_object_object_add(e, r && r->value ? r->value : "value",
					       json_object_new_string(json_object_get_string(kv)));
			json_object_array_add(res, e);
		}
		break;
	}
	case CFG_LIST: {
		if (!json_object_is_type(v, json_type_array))
			return fail(err, yp, "not a list");
		size_t n = json_object_array_length(v);
		if (n == 0)
			return 0;
		res = json_object_new_array();
		char epath[520];
		snprintf(epath, sizeof(epath), "%s[]", path);
		for (size_t i = 0; i < n; i++) {
			json_object *ev = json_object_array_get_idx(v, i), *e = NULL;
			char ep[1100];
			if (f->elem->type == CFG_OBJECT) {
				key_pred(ep, sizeof(ep), ypath, name, r, f->elem->sub, ev, i, false);
				if (!json_object_is_type(ev, json_type_object)) {
					json_object_put(res);
					return fail(err, ep, "not an object");
				}
				e = obj_to_yang(f->elem->sub, ev, epath, ep, err);
				if (e && r && r->kind == YM_INDEXED)
					json_object_object_add(e, r->keys, json_object_new_int64((int64_t)i));
			} else if (r && r->kind == YM_POSLIST) {
				snprintf(ep, sizeof(ep), "%s[%s='%zu']", yp, r->keys, i);
				e = json_object_new_object();
				json_object_object_add(e, r->keys, json_object_new_int64((int64_t)i));
				if (f->elem->type == CFG_QUEUES) {
					unsigned c, o;
					char tail;
					if (sscanf(json_object_get_string(ev), "%u@%u%c", &c, &o, &tail) != 2) {
						json_object_put(e);
						json_object_put(res);
						return fail(err, ep, "'%s' is not count@offset", json_object_get_string(ev));
					}
					json_object_object_add(e, "count", json_object_new_int64(c));
					json_object_object_add(e, "offset", json_object_new_int64(o));
				} else {
					json_object *sv = scalar_to_yang(f->elem, NULL, ev, ep, err);
					if (!sv) {
						json_object_put(e);
						e = NULL;
					} else {
						json_object_object_add(e, r->value, sv);
					}
				}
			} else {
				snprintf(ep, sizeof(ep), "%s", yp);
				e = scalar_to_yang(f->elem, NULL, ev, ep, err);
			}
			if (!e) {
				json_object_put(res);
				return -1;
			}
			json_object_array_add(res, e);
		}
		if (r && r->wrap) {
			json_object *w = json_object_new_object();
			json_object_object_add(w, name, res);
			json_object_object_add(out, r->wrap, w);
			return 0;
		}
		break;
	}
	default:
		res = scalar_to_yang(f, r, v, yp, err);
		break;
	}
	if (!res)
		return -1;
	json_object_object_add(out, name, res);
	return 0;
}

static json_object *obj_to_yang(const struct cfg_table *t, json_object *in, const char *path, const char *ypath,
				struct ym_error *err)
{
	json_object *out = json_object_new_object();
	for (size_t i = 0; i < t->n_fields; i++) {
		json_object *v;
		if (!json_object_object_get_ex(in, t->fields[i].key, &v) || !v)
			continue;
		if (field_to_yang(&t->fields[i], v, out, path, ypath, err)) {
			json_object_put(out);
			return NULL;
		}
	}
	return out;
}

json_object *ym_to_yang(json_object *tsnd, struct ym_error *err)
{
	if (!json_object_is_type(tsnd, json_type_object))
		return fail(err, "/", "the configuration is not an object"), NULL;
	json_object *inner = obj_to_yang(&tsn_cfg_root, tsnd, "", "/" YM_MODULE ":" YM_TOP, err);
	if (!inner)
		return NULL;
	json_object *top = json_object_new_object();
	json_object_object_add(top, YM_MODULE ":" YM_TOP, inner);
	return top;
}

/* ---- YANG -> tsnd ---- */
static json_object *obj_from_yang(const struct cfg_table *t, json_object *in, const char *path, const char *ypath,
				  const struct ym_rule *lr, struct ym_error *err);

static bool get_u64(json_object *v, uint64_t *out)
{
	if (json_object_is_type(v, json_type_int)) {
		/* json-c keeps integers above INT64_MAX as uint64 */
		int64_t i = json_object_get_int64(v);
		if (i < 0)
			return false;
		*out = i == INT64_MAX ? json_object_get_uint64(v) : (uint64_t)i;
		return true;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		return *s >= '0' && *s <= '9' && tsn_parse_u64(s, out);
	}
	return false;
}

static json_object *scalar_from_yang(const struct cfg_field *f, const struct ym_rule *r, json_object *v,
				     const char *yp, struct ym_error *err)
{
	uint64_t u;
	char buf[64];
	switch (f->type) {
	case CFG_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return fail(err, yp, "not a boolean"), NULL;
		return json_object_new_boolean(json_object_get_boolean(v));
	case CFG_UINT:
	case CFG_GATES:
		if (!get_u64(v, &u) || u > UINT32_MAX)
			return fail(err, yp, "not a 32-bit unsigned number"), NULL;
		if (f->type == CFG_UINT)
			return json_object_new_int64((int64_t)u);
		{
			json_object *arr = json_object_new_array();
			for (int b = 0; b < 32; b++)
				if (u & (1ull << b))
					json_object_array_add(arr, json_object_new_int(b));
			return arr;
		}
	case CFG_LINK_SPEED:
		if (json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), "auto") == 0)
			return json_object_new_string("auto");
		if (!get_u64(v, &u) || u > UINT32_MAX)
			return fail(err, yp, "not auto or a number"), NULL;
		return json_object_new_int64((int64_t)u);
	case CFG_DURATION:
	case CFG_RATE:
	case CFG_SIZE:
		if (r && r->kind == YM_RATIONAL) {
			json_object *nv, *dv;
			uint64_t num = 0, den = 1;
			if (!json_object_is_type(v, json_type_object))
				return fail(err, yp, "not a rational"), NULL;
			json_object_object_foreach(v, k, x) {
				(void)x;
				if (strcmp(k, "numerator") && strcmp(k, "denominator"))
					return fail(err, yp, "unknown member '%s'", k), NULL;
			}
			if (json_object_object_get_ex(v, "numerator", &nv) && (!get_u64(nv, &num) || num > UINT32_MAX))
				return fail(err, yp, "numerator is not a 32-bit unsigned number"), NULL;
			if (json_object_object_get_ex(v, "denominator", &dv) &&
			    (!get_u64(dv, &den) || den == 0 || den > UINT32_MAX))
				return fail(err, yp, "denominator is not a positive 32-bit number"), NULL;
			/* num/den seconds must be whole nanoseconds */
			if ((num * 1000000000ull) % den)
				return fail(err, yp, "%" PRIu64 "/%" PRIu64 " s is not a whole number of nanoseconds",
					    num, den), NULL;
			u = num * 1000000000ull / den;
		} else if (!get_u64(v, &u)) {
			return fail(err, yp, "not an unsigned number"), NULL;
		}
		snprintf(buf, sizeof(buf), "%" PRIu64 "%s", u,
			 f->type == CFG_DURATION ? "ns" : f->type == CFG_RATE ? "bit" : "B");
		return json_object_new_string(buf);
	case CFG_STRING:
	case CFG_MAC:
	case CFG_IPV6:
	case CFG_PREFIX:
	case CFG_FILE_MODE:
		if (!json_object_is_type(v, json_type_string))
			return fail(err, yp, "not a string"), NULL;
		return json_object_new_string(json_object_get_string(v));
	case CFG_ENUM: {
		if (!json_object_is_type(v, json_type_string))
			return fail(err, yp, "not an enumeration value"), NULL;
		const char *e = enum_map(f, r, json_object_get_string(v), 1, buf, sizeof(buf));
		/* a YAML value that the rule renames is not a YANG value */
		char tmp[64];
		if (e && e != buf && r && r->enums && enum_map(f, r, e, 0, tmp, sizeof(tmp)) != e)
			e = NULL;
		if (!e)
			return fail(err, yp, "'%s' is not a value of %s", json_object_get_string(v), yname(f, r)), NULL;
		return json_object_new_string(e);
	}
	default:
		return fail(err, yp, "no YANG form"), NULL;
	}
}

static int cmp_pos(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* A list keyed by position (INDEXED or POSLIST) -> array; holes and duplicates are errors. */
static json_object *poslist_from_yang(const struct cfg_field *f, const struct ym_rule *r, json_object *v,
				      const char *path, const char *yp, struct ym_error *err)
{
	size_t n = json_object_array_length(v);
	if (n > f->max)
		return fail(err, yp, "more than %" PRIu64 " entries", f->max), NULL;
	uint64_t (*ord)[2] = calloc(n ? n : 1, sizeof(*ord));
	if (!ord)
		return fail(err, yp, "out of memory"), NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i), *k;
		if (!json_object_is_type(e, json_type_object) || !json_object_object_get_ex(e, r->keys, &k) ||
		    !get_u64(k, &ord[i][0])) {
			free(ord);
			return fail(err, yp, "an entry without a numeric '%s'", r->keys), NULL;
		}
		ord[i][1] = i;
	}
	qsort(ord, n, sizeof(*ord), cmp_pos);
	json_object *arr = json_object_new_array();
	char epath[520];
	snprintf(epath, sizeof(epath), "%s[]", path);
	for (size_t i = 0; i < n; i++) {
		char ep[1300];
		snprintf(ep, sizeof(ep), "%s[%s='%" PRIu64 "']", yp, r->keys, ord[i][0]);
		if (ord[i][0] != i) {
			if (i > 0 && ord[i][0] == ord[i - 1][0])
				fail(err, ep, "%s %" PRIu64 " given twice", r->keys, ord[i][0]);
			else
				fail(err, ep, "%s %zu is missing (positions run from 0 without holes)", r->keys, i);
			goto bad;
		}
		json_object *e = json_object_array_get_idx(v, ord[i][1]), *x = NULL;
		if (f->elem->type == CFG_OBJECT) {
			x = obj_from_yang(f->elem->sub, e, epath, ep, r, err);
		} else if (f->elem->type == CFG_QUEUES) {
			json_object *c, *o;
			uint64_t cu, ou;
			json_object_object_foreach(e, k, y) {
				(void)y;
				if (strcmp(k, r->keys) && strcmp(k, "count") && strcmp(k, "offset")) {
					fail(err, ep, "unknown member '%s'", k);
					goto bad;
				}
			}
			if (!json_object_object_get_ex(e, "count", &c) || !get_u64(c, &cu) || cu > 0xffff ||
			    !json_object_object_get_ex(e, "offset", &o) || !get_u64(o, &ou) || ou > 0xffff) {
				fail(err, ep, "count and offset are required numbers");
				goto bad;
			}
			char buf[32];
			snprintf(buf, sizeof(buf), "%" PRIu64 "@%" PRIu64, cu, ou);
			x = json_object_new_string(buf);
		} else {
			json_object *val;
			json_object_object_foreach(e, k, y) {
				(void)y;
				if (strcmp(k, r->keys) && strcmp(k, r->value)) {
					fail(err, ep, "unknown member '%s'", k);
					goto bad;
				}
			}
			char vp[1400];
			snprintf(vp, sizeof(vp), "%s/%s", ep, r->value);
			if (!json_object_object_get_ex(e, r->value, &val)) {
				fail(err, vp, "missing");
				goto bad;
			}
			x = scalar_from_yang(f->elem, NULL, val, vp, err);
		}
		if (!x)
			goto bad;
		json_object_array_add(arr, x);
	}
	free(ord);
	return arr;
bad:
	free(ord);
	json_object_put(arr);
	return NULL;
}

/* The member of `in` named `name`; consumed members are counted so that unknown ones show. */
static json_object *take(json_object *in, const char *name, size_t *used)
{
	json_object *v;
	if (!json_object_object_get_ex(in, name, &v))
		return NULL;
	(*used)++;
	return v;
}

static int field_from_yang(const struct cfg_field *f, json_object *in, json_object *out, const char *ppath,
			   const char *ypath, size_t *used, struct ym_error *err)
{
	char path[512], yp[1200], wp[1024];
	snprintf(path, sizeof(path), "%s%s%s", ppath, *ppath ? "." : "", f->key);
	const struct ym_rule *r = rule_for(path);
	const char *name = yname(f, r);
	json_object *v, *res = NULL;

	if (f->type == CFG_LIST && r && r->wrap) {
		json_object *w = take(in, r->wrap, used);
		snprintf(wp, sizeof(wp), "%s/%s", ypath, r->wrap);
		if (!w)
			return 0;
		if (!json_object_is_type(w, json_type_object))
			return fail(err, wp, "not a container");
		json_object_object_foreach(w, k, x) {
			(void)x;
			if (strcmp(k, name)) {
				char kp[1100];
				snprintf(kp, sizeof(kp), "%s/%s", wp, k);
				return fail(err, kp, "unknown node '%s'", k);
			}
		}
		if (!json_object_object_get_ex(w, name, &v))
			return 0;
	} else if (!(v = take(in, name, used))) {
		return 0;
	}
	snprintf(yp, sizeof(yp), "%s/%s", r && r->wrap ? wp : ypath, name);

	switch (f->type) {
	case CFG_OBJECT:
		if (!json_object_is_type(v, json_type_object))
			return fail(err, yp, "not a container");
		res = obj_from_yang(f->sub, v, path, yp, NULL, err);
		break;
	case CFG_BASE_TIME: {
		json_object *s, *ns;
		uint64_t su = 0, nsu = 0;
		if (!json_object_is_type(v, json_type_object))
			return fail(err, yp, "not a container");
		json_object_object_foreach(v, k, x) {
			(void)x;
			if (strcmp(k, "seconds") && strcmp(k, "nanoseconds"))
				return fail(err, yp, "unknown member '%s'", k);
		}
		if (!json_object_object_get_ex(v, "seconds", &s) || !get_u64(s, &su) ||
		    !json_object_object_get_ex(v, "nanoseconds", &ns) || !get_u64(ns, &nsu) || nsu > 999999999)
			return fail(err, yp, "seconds and nanoseconds (0..999999999) are required");
		if (su > (uint64_t)INT64_MAX / 1000000000u ||
		    su * 1000000000u > (uint64_t)INT64_MAX - nsu)
			return fail(err, yp, "beyond the 64-bit nanosecond range");
		res = json_object_new_int64((int64_t)(su * 1000000000u + nsu));
		break;
	}
	case CFG_KV_MAP: {
		const char *vn = r && r->value ? r->value : "value";
		if (!json_object_is_type(v, json_type_array))
			return fail(err, yp, "not a list");
		if (json_object_array_length(v) > f->max)
			return fail(err, yp, "more than %" PRIu64 " entries", f->max);
		res = json_object_new_object();
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i), *k, *val;
			if (!json_object_is_type(e, json_type_object) || !json_object_object_get_ex(e, "name", &k) ||
			    !json_object_is_type(k, json_type_string) || !json_object_object_get_ex(e, vn, &val) ||
			    !json_object_is_type(val, json_type_string) || json_object_object_length(e) != 2) {
				json_object_put(res);
				return fail(err, yp, "each entry has exactly a string name and %s", vn);
			}
			if (json_object_object_get_ex(res, json_object_get_string(k), NULL)) {
				json_object_put(res);
				return fail(err, yp, "'%s' given twice", json_object_get_string(k));
			}
			json_object_object_add(res, json_object_get_string(k), json_object_new_string(json_object_get_string(val)));
		}
		break;
	}
	case CFG_LIST: {
		if (!json_object_is_type(v, json_type_array))
			return fail(err, yp, "not a list");
		if (r && (r->kind == YM_INDEXED || r->kind == YM_POSLIST)) {
			res = poslist_from_yang(f, r, v, path, yp, err);
			break;
		}
		size_t n = json_object_array_length(v);
		if (f->max && n > f->max)
			return fail(err, yp, "more than %" PRIu64 " entries", f->max);
		res = json_object_new_array();
		char epath[520];
		snprintf(epath, sizeof(epath), "%s[]", path);
		for (size_t i = 0; i < n; i++) {
			json_object *ev = json_object_array_get_idx(v, i), *e;
			char ep[1100];
			if (f->elem->type == CFG_OBJECT) {
				key_pred(ep, sizeof(ep), ypath, name, r, f->elem->sub, ev, i, true);
				if (!json_object_is_type(ev, json_type_object)) {
					json_object_put(res);
					return fail(err, ep, "not a list entry");
				}
				e = obj_from_yang(f->elem->sub, ev, epath, ep, NULL, err);
			} else {
				e = scalar_from_yang(f->elem, NULL, ev, yp, err);
			}
			if (!e) {
				json_object_put(res);
				return -1;
			}
			json_object_array_add(res, e);
		}
		break;
	}
	default:
		res = scalar_from_yang(f, r, v, yp, err);
		break;
	}
	if (!res)
		return -1;
	json_object_object_add(out, f->key, res);
	return 0;
}

static json_object *obj_from_yang(const struct cfg_table *t, json_object *in, const char *path, const char *ypath,
				  const struct ym_rule *lr, struct ym_error *err)
{
	if (!json_object_is_type(in, json_type_object))
		return fail(err, ypath, "not a container"), NULL;
	json_object *out = json_object_new_object();
	size_t used = 0;
	/* INDEXED lists carry their position; it is not a tsnd field */
	if (lr && lr->kind == YM_INDEXED && json_object_object_get_ex(in, lr->keys, NULL))
		used++;
	for (size_t i = 0; i < t->n_fields; i++)
		if (field_from_yang(&t->fields[i], in, out, path, ypath, &used, err)) {
			json_object_put(out);
			return NULL;
		}
	if (used != (size_t)json_object_object_length(in)) {
		/* name the first member no row took */
		json_object_object_foreach(in, k, x) {
			(void)x;
			bool known = lr && lr->kind == YM_INDEXED && strcmp(k, lr->keys) == 0;
			for (size_t i = 0; i < t->n_fields && !known; i++) {
				char fp[600];
				snprintf(fp, sizeof(fp), "%s%s%s", path, *path ? "." : "", t->fields[i].key);
				const struct ym_rule *r = rule_for(fp);
				known = strcmp(k, yname(&t->fields[i], r)) == 0 || (r && r->wrap && strcmp(k, r->wrap) == 0);
			}
			if (!known) {
				char kp[1100];
				snprintf(kp, sizeof(kp), "%s/%s", ypath, k);
				fail(err, kp, "unknown node '%s'", k);
				break;
			}
		}
		json_object_put(out);
		return NULL;
	}
	return out;
}

json_object *ym_from_yang(json_object *yang, struct ym_error *err)
{
	json_object *inner;
	if (!json_object_is_type(yang, json_type_object))
		return fail(err, "/", "not a JSON object"), NULL;
	json_object_object_foreach(yang, k, x) {
		(void)x;
		if (strcmp(k, YM_MODULE ":" YM_TOP)) {
			char kp[600];
			snprintf(kp, sizeof(kp), "/%s", k);
			return fail(err, kp, "unknown top-level node '%s'", k), NULL;
		}
	}
	if (!json_object_object_get_ex(yang, YM_MODULE ":" YM_TOP, &inner))
		return json_object_new_object();	/* an empty datastore: tsnd's defaults */
	/* the state subtree is read-only and not part of a configuration */
	json_object *copy = NULL;
	if (json_object_is_type(inner, json_type_object) && json_object_object_get_ex(inner, "state", NULL)) {
		json_object_deep_copy(inner, &copy, NULL);
		json_object_object_del(copy, "state");
		inner = copy;
	}
	json_object *out = obj_from_yang(&tsn_cfg_root, inner, "", "/" YM_MODULE ":" YM_TOP, NULL, err);
	json_object_put(copy);
	return out;
}

/* ---- tsnd field paths -> YANG paths ---- */
bool ym_field_path_to_yang(json_object *tsnd, const char *field, char *buf, size_t len)
{
	const struct cfg_table *t = &tsn_cfg_root;
	const struct ym_rule *lr = NULL;
	char path[512] = "";
	size_t o = (size_t)snprintf(buf, len, "/%s:%s", YM_MODULE, YM_TOP);
	bool any = false;
	json_object *cur = tsnd;
	const char *p = field;
	while (*p && t && o < len) {
		size_t l = strcspn(p, ".[");
		const struct cfg_field *f = NULL;
		for (size_t i = 0; i < t->n_fields; i++)
			if (strlen(t->fields[i].key) == l && strncmp(t->fields[i].key, p, l) == 0)
				f = &t->fields[i];
		if (!f)
			break;
		size_t pl = strlen(path);
		snprintf(path + pl, sizeof(path) - pl, "%s%s", pl ? "." : "", f->key);
		const struct ym_rule *r = rule_for(path);
		json_object *next = NULL;
		if (cur)
			json_object_object_get_ex(cur, f->key, &next);
		p += l;
		if (f->type == CFG_LIST && r && r->wrap)
			o += (size_t)snprintf(buf + o, len - o, "/%s", r->wrap);
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "/%s", yname(f, r));
		any = true;
		lr = NULL;
		t = f->type == CFG_OBJECT ? f->sub : NULL;
		cur = next;
		if (*p == '[') {
			char *end;
			unsigned long idx = strtoul(p + 1, &end, 10);
			if (*end != ']' || f->type != CFG_LIST || o >= len)
				break;
			p = end + 1;
			json_object *elem = cur ? json_object_array_get_idx(cur, idx) : NULL;
			if (r && r->keys && (r->kind != YM_PLAIN || elem)) {
				char pred[600];
				key_pred(pred, sizeof(pred), "", "", r, f->elem->sub, elem, idx, false);
				o += (size_t)snprintf(buf + o, len - o, "%s", pred + 1);
			} else if (f->elem->type != CFG_OBJECT && o < len) {
				o += (size_t)snprintf(buf + o, len - o, "[.='%s']", elem ? json_object_get_string(elem) : "?");
			}
			cur = elem;
			lr = r;
			if (f->elem->type == CFG_OBJECT)
				t = f->elem->sub;
			pl = strlen(path);
			snprintf(path + pl, sizeof(path) - pl, "[]");
		}
		if (*p == '.')
			p++;
		else
			break;
	}
	(void)lr;
	if (o >= len && len)
		buf[len - 1] = '\0';
	return any;
}

/* ======================================================================
 * Operational state: the `state` container (config false), from tsnd's show
 * commands.  Written by hand: these are answers, not schema rows.
 * ====================================================================== */
static void st_leaf(struct gen *g, const char *name, const char *type, const char *units)
{
	open_(g, "leaf %s", name);
	line(g, "type %s;", type);
	if (units)
		line(g, "units \"%s\";", units);
	close_(g);
}

/* IEEE 802.1Qbv's oper-* or admin-* schedule as the kernel holds it. */
static void st_sched(struct gen *g, const char *pfx, const char *doc)
{
	char n[64];
	snprintf(n, sizeof(n), "%s-schedule", pfx);
	open_(g, "container %s", n);
	description(g, doc);
	snprintf(n, sizeof(n), "%s-base-time", pfx);
	open_(g, "container %s", n);
	st_leaf(g, "seconds", "uint64", NULL);
	st_leaf(g, "nanoseconds", "uint32", NULL);
	close_(g);
	snprintf(n, sizeof(n), "%s-cycle-time", pfx);
	open_(g, "container %s", n);
	st_leaf(g, "numerator", "uint32", NULL);
	st_leaf(g, "denominator", "uint32", NULL);
	close_(g);
	snprintf(n, sizeof(n), "%s-cycle-time-extension", pfx);
	st_leaf(g, n, "uint32", "nanoseconds");
	snprintf(n, sizeof(n), "%s-control-list", pfx);
	open_(g, "container %s", n);
	open_(g, "list %s", "gate-control-entry");
	line(g, "key \"index\";");
	st_leaf(g, "index", "uint32", NULL);
	st_leaf(g, "operation-name", "string", NULL);
	st_leaf(g, "gate-states-value", "uint32", NULL);
	st_leaf(g, "time-interval-value", "uint32", "nanoseconds");
	close_(g);
	close_(g);
	close_(g);
}

static void st_frer_counters(struct gen *g)
{
	open_(g, "container %s", "counters");
	description(g, "802.1CB's counters (clause 10.8), as tsnctl frer show");
	for (size_t i = 0; i < N(frer_counters); i++)
		st_leaf(g, frer_counters[i].leaf, "uint64", NULL);
	close_(g);
}

/* FRER (802.1CB): per stream its functions, recovery state and counters; per port. */
static void gen_frer_state(struct gen *g)
{
	open_(g, "container %s", "frer");
	description(g, "IEEE 802.1CB frame replication and elimination (frer.show)");
	st_leaf(g, "enabled", "boolean", NULL);
	st_leaf(g, "latent-error-events", "uint64", NULL);
	open_(g, "list %s", "streams");
	line(g, "key \"handle\";");
	for (size_t i = 0; i < N(frer_stream_leaves); i++)
		st_leaf(g, frer_stream_leaves[i].leaf, frer_stream_leaves[i].type, frer_stream_leaves[i].units);
	open_(g, "leaf-list %s", "functions");
	line(g, "type string;");
	description(g, "what this switch does to the stream: generation, recovery, individual-recovery, ...");
	close_(g);
	open_(g, "list %s", "paths");
	line(g, "key \"index\";");
	description(g, "stream splitting: the egress ports (and VLANs) the stream is replicated to");
	st_leaf(g, "index", "uint32", NULL);
	st_leaf(g, "port", "string", NULL);
	st_leaf(g, "vlan", "uint32", NULL);
	close_(g);
	st_frer_counters(g);
	open_(g, "list %s", "individual-recovery");
	line(g, "key \"port\";");
	description(g, "member streams: individual recovery per ingress port");
	st_leaf(g, "port", "string", NULL);
	st_frer_counters(g);
	close_(g);
	close_(g);
	open_(g, "list %s", "ports");
	line(g, "key \"name\";");
	description(g, "per port: ingress, or the egress port of stream splitting");
	st_leaf(g, "name", "string", NULL);
	st_frer_counters(g);
	close_(g);
	close_(g);
}

/* 802.1Q bridging's slow path (docs/bridge.md): the kernel bridge as tsnd reads
 * it back, with tsnd's drift against the running configuration. */
static void gen_bridge_state(struct gen *g)
{
	open_(g, "container %s", "bridge");
	description(g, "the kernel bridge as tsnd reads it back (bridge.show, fdb.show)");
	st_leaf(g, "enabled", "boolean", NULL);
	st_leaf(g, "name", "string", NULL);
	st_leaf(g, "present", "boolean", NULL);
	st_leaf(g, "created", "boolean", NULL);
	st_leaf(g, "up", "boolean", NULL);
	st_leaf(g, "vlan-filtering", "boolean", NULL);
	st_leaf(g, "ageing-time", "uint32", "seconds");
	st_leaf(g, "drift", "boolean", NULL);
	st_leaf(g, "drift-reason", "string", NULL);
	st_leaf(g, "drift-events", "uint64", NULL);
	open_(g, "list %s", "ports");
	line(g, "key \"name\";");
	description(g, "the configured bridge ports");
	st_leaf(g, "name", "string", NULL);
	st_leaf(g, "member", "boolean", NULL);
	st_leaf(g, "pvid", "uint32", NULL);
	open_(g, "list %s", "vlans");
	line(g, "key \"vid\";");
	description(g, "the port's VLAN memberships in the kernel");
	st_leaf(g, "vid", "uint32", NULL);
	st_leaf(g, "pvid", "boolean", NULL);
	st_leaf(g, "untagged", "boolean", NULL);
	close_(g);
	close_(g);
	open_(g, "list %s", "static-entries");
	line(g, "key \"mac vid port\";");
	description(g, "static filtering entries in the kernel: FDB (kind static) and layer-2 MDB (kind multicast), "
		    "one per port; learnt and local entries are left out");
	st_leaf(g, "mac", "yang:mac-address", NULL);
	st_leaf(g, "vid", "uint32", NULL);
	st_leaf(g, "port", "string", NULL);
	st_leaf(g, "kind", "string", NULL);
	st_leaf(g, "configured", "boolean", NULL);
	close_(g);
	close_(g);
}

static void gen_state(struct gen *g)
{
	open_(g, "container %s", "state");
	line(g, "config false;");
	description(g, "What tsnd reports (status, schedule.show, ptp.status, stream.show, frer.show, bridge.show, "
		    "fdb.show).");
	open_(g, "container %s", "daemon");
	st_leaf(g, "version", "string", NULL);
	st_leaf(g, "pid", "uint32", NULL);
	st_leaf(g, "uptime", "uint64", "seconds");
	st_leaf(g, "started", "string", NULL);
	close_(g);
	open_(g, "container %s", "running-config");
	st_leaf(g, "file", "string", NULL);
	st_leaf(g, "generation", "uint64", NULL);
	st_leaf(g, "loaded", "string", NULL);
	st_leaf(g, "warnings", "uint32", NULL);
	open_(g, "container %s", "last-reload");
	st_leaf(g, "time", "string", NULL);
	st_leaf(g, "result", "string", NULL);
	st_leaf(g, "message", "string", NULL);
	close_(g);
	close_(g);
	open_(g, "list %s", "ports");
	line(g, "key \"name\";");
	st_leaf(g, "name", "string", NULL);
	st_leaf(g, "present", "boolean", NULL);
	st_leaf(g, "oper-state", "string", NULL);
	st_leaf(g, "speed", "uint32", "Mbit/s");
	st_leaf(g, "xdp", "string", NULL);
	st_leaf(g, "schedule-state", "string", NULL);
	st_leaf(g, "schedule-message", "string", NULL);
	open_(g, "leaf-list %s", "drift");
	line(g, "type string;");
	description(g, "differences between the kernel's schedule and what tsnd applied");
	close_(g);
	st_sched(g, "oper", "the schedule running in the kernel (802.1Qbv oper-*)");
	st_sched(g, "admin", "the schedule the kernel starts at its base time (802.1Qbv admin-*), when one is pending");
	close_(g);
	open_(g, "container %s", "ptp");
	st_leaf(g, "enabled", "boolean", NULL);
	st_leaf(g, "sync-state", "string", NULL);
	st_leaf(g, "reason", "string", NULL);
	st_leaf(g, "since", "string", NULL);
	st_leaf(g, "offset", "int64", "nanoseconds");
	st_leaf(g, "mean-path-delay", "int64", "nanoseconds");
	st_leaf(g, "steps-removed", "uint32", NULL);
	st_leaf(g, "grandmaster", "string", NULL);
	close_(g);
	open_(g, "list %s", "streams");
	line(g, "key \"handle\";");
	st_leaf(g, "handle", "uint32", NULL);
	st_leaf(g, "name", "string", NULL);
	st_leaf(g, "packets", "uint64", NULL);
	st_leaf(g, "bytes", "uint64", NULL);
	st_leaf(g, "drops", "uint64", NULL);
	close_(g);
	gen_frer_state(g);
	open_(g, "container %s", "telemetry");
	st_leaf(g, "state", "string", NULL);
	st_leaf(g, "sent-while-closed", "uint64", NULL);
	st_leaf(g, "waited-over-cycle", "uint64", NULL);
	close_(g);
	gen_bridge_state(g);
	close_(g);
}

/* RFC 5277 notifications tsn-netconfd sends when tsnd's answers change. */
static void gen_notifications(struct gen *g)
{
	open_(g, "notification %s", "config-applied");
	description(g, "tsnd loaded a configuration or refused one (a reload, a commit, a rollback)");
	st_leaf(g, "generation", "uint64", NULL);
	st_leaf(g, "time", "string", NULL);
	st_leaf(g, "result", "string", NULL);
	st_leaf(g, "message", "string", NULL);
	close_(g);
	open_(g, "notification %s", "sync-state-changed");
	description(g, "the PTP sync state changed (ptp.status)");
	st_leaf(g, "sync-state", "string", NULL);
	st_leaf(g, "previous", "string", NULL);
	st_leaf(g, "reason", "string", NULL);
	close_(g);
	open_(g, "notification %s", "schedule-state-changed");
	description(g, "a port's gate schedule changed state, e.g. to drift (schedule.show)");
	st_leaf(g, "port", "string", NULL);
	st_leaf(g, "schedule-state", "string", NULL);
	st_leaf(g, "previous", "string", NULL);
	st_leaf(g, "message", "string", NULL);
	close_(g);
	open_(g, "notification %s", "gate-conformance-violation");
	description(g, "frames left while their gate was closed, or waited over a cycle (status telemetry)");
	st_leaf(g, "sent-while-closed", "uint64", NULL);
	st_leaf(g, "waited-over-cycle", "uint64", NULL);
	close_(g);
}

/* ---- state JSON ---- */
static json_object *jget(json_object *o, const char *path)
{
	char key[64];
	while (o && *path) {
		size_t l = strcspn(path, ".");
		snprintf(key, sizeof(key), "%.*s", (int)l, path);
		json_object *n = NULL;
		if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &n))
			return NULL;
		o = n;
		path += l + (path[l] == '.');
	}
	return o;
}

/* Copy o.path as `name`: kind 's' string, 'b' boolean, 'u' uint32 number, 'U' uint64
 * (RFC 7951: a string), 'I' int64 (a string). */
static void put(json_object *out, const char *name, json_object *o, const char *path, char kind)
{
	json_object *v = jget(o, path);
	char buf[32];
	if (!v || json_object_is_type(v, json_type_null))
		return;
	switch (kind) {
	case 's':
		if (json_object_is_type(v, json_type_string))
			json_object_object_add(out, name, json_object_new_string(json_object_get_string(v)));
		break;
	case 'b':
		if (json_object_is_type(v, json_type_boolean))
			json_object_object_add(out, name, json_object_new_boolean(json_object_get_boolean(v)));
		break;
	case 'u':
		if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0 &&
		    json_object_get_int64(v) <= UINT32_MAX)
			json_object_object_add(out, name, json_object_new_int64(json_object_get_int64(v)));
		break;
	case 'U':
	case 'I':
		if (!json_object_is_type(v, json_type_int) || (kind == 'U' && json_object_get_int64(v) < 0))
			break;
		snprintf(buf, sizeof(buf), "%" PRId64, json_object_get_int64(v));
		json_object_object_add(out, name, json_object_new_string(buf));
		break;
	}
}

static void add_obj(json_object *parent, const char *name, json_object *o)
{
	if (json_object_object_length(o))
		json_object_object_add(parent, name, o);
	else
		json_object_put(o);
}

static json_object *sched_state(json_object *k, const char *pfx)
{
	json_object *o = json_object_new_object(), *v;
	char n[64];
	if (!k || !json_object_is_type(k, json_type_object))
		return o;
	if ((v = jget(k, "base_time_ns")) && json_object_get_int64(v) >= 0) {
		int64_t ns = json_object_get_int64(v);
		json_object *bt = json_object_new_object();
		json_object_object_add(bt, "seconds", u64_json((uint64_t)ns / 1000000000u));
		json_object_object_add(bt, "nanoseconds", json_object_new_int64(ns % 1000000000));
		snprintf(n, sizeof(n), "%s-base-time", pfx);
		json_object_object_add(o, n, bt);
	}
	if ((v = jget(k, "cycle_time_ns")) && json_object_get_int64(v) >= 0) {
		uint64_t ns = (uint64_t)json_object_get_int64(v), den = 1000000000u, d = ns ? gcd(ns, den) : den;
		if (ns / d <= UINT32_MAX) {
			json_object *ct = json_object_new_object();
			json_object_object_add(ct, "numerator", json_object_new_int64((int64_t)(ns / d)));
			json_object_object_add(ct, "denominator", json_object_new_int64((int64_t)(den / d)));
			snprintf(n, sizeof(n), "%s-cycle-time", pfx);
			json_object_object_add(o, n, ct);
		}
	}
	snprintf(n, sizeof(n), "%s-cycle-time-extension", pfx);
	put(o, n, k, "cycle_time_extension_ns", 'u');
	json_object *entries = jget(k, "entries");
	if (json_object_is_type(entries, json_type_array) && json_object_array_length(entries)) {
		json_object *list = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(entries); i++) {
			json_object *e = json_object_array_get_idx(entries, i), *y = json_object_new_object(), *gates;
			json_object_object_add(y, "index", json_object_new_int64((int64_t)i));
			put(y, "operation-name", e, "op", 's');
			put(y, "time-interval-value", e, "interval_ns", 'u');
			if ((gates = jget(e, "gates")) && json_object_is_type(gates, json_type_array)) {
				uint32_t mask = 0;
				for (size_t b = 0; b < json_object_array_length(gates); b++) {
					int64_t c = json_object_get_int64(json_object_array_get_idx(gates, b));
					if (c >= 0 && c < 32)
						mask |= 1u << c;
				}
				json_object_object_add(y, "gate-states-value", json_object_new_int64(mask));
			}
			json_object_array_add(list, y);
		}
		json_object *cl = json_object_new_object();
		json_object_object_add(cl, "gate-control-entry", list);
		snprintf(n, sizeof(n), "%s-control-list", pfx);
		json_object_object_add(o, n, cl);
	}
	return o;
}

static json_object *frer_counters_yang(json_object *o)
{
	json_object *c = json_object_new_object();
	for (size_t i = 0; i < N(frer_counters); i++)
		put(c, frer_counters[i].leaf, o, frer_counters[i].json, 'U');
	return c;
}

/* frer.show's ports or individual members -> a list keyed by port name (an
 * interface gone since has no name and is left out). */
static json_object *frer_ports_yang(json_object *arr, const char *key)
{
	json_object *list = json_object_new_array();
	for (size_t i = 0; json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr); i++) {
		json_object *p = json_object_array_get_idx(arr, i), *y = json_object_new_object();
		put(y, key, p, "port", 's');
		if (!json_object_object_get_ex(y, key, NULL)) {
			json_object_put(y);
			continue;
		}
		add_obj(y, "counters", frer_counters_yang(jget(p, "counters")));
		json_object_array_add(list, y);
	}
	return list;
}

static void add_list(json_object *parent, const char *name, json_object *list)
{
	if (json_object_array_length(list))
		json_object_object_add(parent, name, list);
	else
		json_object_put(list);
}

static json_object *frer_state(json_object *frer)
{
	json_object *fo = json_object_new_object(), *ss = jget(frer, "streams"), *list = json_object_new_array();
	put(fo, "enabled", frer, "enabled", 'b');
	put(fo, "latent-error-events", frer, "latent_error_events", 'U');
	for (size_t i = 0; json_object_is_type(ss, json_type_array) && i < json_object_array_length(ss); i++) {
		json_object *s = json_object_array_get_idx(ss, i), *y = json_object_new_object(), *v;
		for (size_t k = 0; k < N(frer_stream_leaves); k++)
			put(y, frer_stream_leaves[k].leaf, s, frer_stream_leaves[k].json, frer_stream_leaves[k].kind);
		if (!json_object_object_get_ex(y, "handle", NULL)) {
			json_object_put(y);
			continue;
		}
		if ((v = jget(s, "roles")) && json_object_is_type(v, json_type_array) && json_object_array_length(v)) {
			json_object *fl = json_object_new_array();
			for (size_t k = 0; k < json_object_array_length(v); k++)
				json_object_array_add(fl, json_object_new_string(
								  json_object_get_string(json_object_array_get_idx(v, k))));
			json_object_object_add(y, "functions", fl);
		}
		json_object *paths = jget(s, "paths"), *pl = json_object_new_array();
		for (size_t k = 0; json_object_is_type(paths, json_type_array) && k < json_object_array_length(paths); k++) {
			json_object *p = json_object_array_get_idx(paths, k), *py = json_object_new_object();
			json_object_object_add(py, "index", json_object_new_int64((int64_t)k));
			put(py, "port", p, "port", 's');
			put(py, "vlan", p, "vlan", 'u');
			json_object_array_add(pl, py);
		}
		add_list(y, "paths", pl);
		add_obj(y, "counters", frer_counters_yang(jget(s, "counters")));
		add_list(y, "individual-recovery", frer_ports_yang(jget(s, "individual"), "port"));
		json_object_array_add(list, y);
	}
	add_list(fo, "streams", list);
	add_list(fo, "ports", frer_ports_yang(jget(frer, "ports"), "name"));
	return fo;
}

json_object *ym_state_to_yang(json_object *status, json_object *schedules, json_object *ptp, json_object *streams,
			      json_object *frer)
{
	json_object *st = json_object_new_object();
	json_object *d = json_object_new_object();
	put(d, "version", status, "daemon.version", 's');
	put(d, "pid", status, "daemon.pid", 'u');
	put(d, "uptime", status, "daemon.uptime_s", 'U');
	put(d, "started", status, "daemon.started", 's');
	add_obj(st, "daemon", d);
	json_object *c = json_object_new_object(), *lr = json_object_new_object();
	put(c, "file", status, "config.file", 's');
	put(c, "generation", status, "config.generation", 'U');
	put(c, "loaded", status, "config.loaded", 's');
	put(c, "warnings", status, "config.warnings", 'u');
	put(lr, "time", status, "config.last_reload.time", 's');
	put(lr, "result", status, "config.last_reload.result", 's');
	put(lr, "message", status, "config.last_reload.message", 's');
	add_obj(c, "last-reload", lr);
	add_obj(st, "running-config", c);

	json_object *ports = jget(status, "ports"), *sp = jget(schedules, "ports");
	if (json_object_is_type(ports, json_type_array) && json_object_array_length(ports)) {
		json_object *list = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(ports); i++) {
			json_object *p = json_object_array_get_idx(ports, i), *y = json_object_new_object();
			json_object *name = jget(p, "name");
			if (!name || !json_object_is_type(name, json_type_string)) {
				json_object_put(y);
				continue;
			}
			put(y, "name", p, "name", 's');
			put(y, "present", p, "present", 'b');
			put(y, "oper-state", p, "oper_state", 's');
			put(y, "speed", p, "speed_mbps", 'u');
			put(y, "xdp", p, "xdp", 's');
			put(y, "schedule-state", p, "schedule_state", 's');
			for (size_t k = 0; json_object_is_type(sp, json_type_array) && k < json_object_array_length(sp); k++) {
				json_object *s = json_object_array_get_idx(sp, k), *sn = jget(s, "name"), *drift;
				if (!sn || strcmp(json_object_get_string(sn), json_object_get_string(name)))
					continue;
				put(y, "schedule-message", s, "message", 's');
				if ((drift = jget(s, "drift")) && json_object_is_type(drift, json_type_array) &&
				    json_object_array_length(drift)) {
					json_object *dl = json_object_new_array();
					for (size_t m = 0; m < json_object_array_length(drift); m++)
						json_object_array_add(dl, json_object_new_string(
										  json_object_get_string(json_object_array_get_idx(drift, m))));
					json_object_object_add(y, "drift", dl);
				}
				add_obj(y, "oper-schedule", sched_state(jget(s, "kernel.oper"), "oper"));
				add_obj(y, "admin-schedule", sched_state(jget(s, "kernel.admin"), "admin"));
			}
			json_object_array_add(list, y);
		}
		json_object_object_add(st, "ports", list);
	}

	json_object *pt = json_object_new_object();
	put(pt, "enabled", ptp, "enabled", 'b');
	put(pt, "sync-state", ptp, "sync.state", 's');
	put(pt, "reason", ptp, "sync.reason", 's');
	put(pt, "since", ptp, "sync.since", 's');
	put(pt, "offset", ptp, "current.offset_ns", 'I');
	put(pt, "mean-path-delay", ptp, "current.mean_path_delay_ns", 'I');
	put(pt, "steps-removed", ptp, "current.steps_removed", 'u');
	put(pt, "grandmaster", ptp, "grandmaster.identity", 's');
	add_obj(st, "ptp", pt);

	json_object *ss = jget(streams, "streams");
	if (json_object_is_type(ss, json_type_array) && json_object_array_length(ss)) {
		json_object *list = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(ss); i++) {
			json_object *s = json_object_array_get_idx(ss, i), *y = json_object_new_object();
			put(y, "handle", s, "id", 'u');
			put(y, "name", s, "name", 's');
			put(y, "packets", s, "counters.packets", 'U');
			put(y, "bytes", s, "counters.bytes", 'U');
			put(y, "drops", s, "counters.drops", 'U');
			if (!json_object_object_get_ex(y, "handle", NULL)) {
				json_object_put(y);
				continue;
			}
			json_object_array_add(list, y);
		}
		json_object_object_add(st, "streams", list);
	}
	if (frer)
		add_obj(st, "frer", frer_state(frer));
	json_object *t = json_object_new_object();
	put(t, "state", status, "subsystems.telemetry.state", 's');
	put(t, "sent-while-closed", status, "subsystems.telemetry.sent_while_closed", 'U');
	put(t, "waited-over-cycle", status, "subsystems.telemetry.waited_over_cycle", 'U');
	add_obj(st, "telemetry", t);

	json_object *inner = json_object_new_object(), *top = json_object_new_object();
	json_object_object_add(inner, "state", st);
	json_object_object_add(top, YM_MODULE ":" YM_TOP, inner);
	return top;
}

void ym_state_add_bridge(json_object *top, json_object *bridge, json_object *fdb)
{
	json_object *inner = jget(top, YM_MODULE ":" YM_TOP), *st = jget(inner, "state");
	json_object *b, *list, *ports = jget(bridge, "ports"), *entries = jget(fdb, "entries");

	if (!st || !bridge)
		return;
	b = json_object_new_object();
	put(b, "enabled", bridge, "enabled", 'b');
	put(b, "name", bridge, "name", 's');
	put(b, "present", bridge, "present", 'b');
	put(b, "created", bridge, "created", 'b');
	put(b, "up", bridge, "up", 'b');
	put(b, "vlan-filtering", bridge, "vlan_filtering", 'b');
	put(b, "ageing-time", bridge, "ageing_time_s", 'u');
	put(b, "drift", bridge, "drift", 'b');
	put(b, "drift-reason", bridge, "drift_reason", 's');
	put(b, "drift-events", bridge, "drift_events", 'U');
	list = json_object_new_array();
	for (size_t i = 0; json_object_is_type(ports, json_type_array) && i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i), *y = json_object_new_object();
		json_object *vl = jget(p, "vlans"), *vy = json_object_new_array();
		put(y, "name", p, "name", 's');
		if (!json_object_object_get_ex(y, "name", NULL)) {
			json_object_put(y);
			json_object_put(vy);
			continue;
		}
		put(y, "member", p, "member", 'b');
		put(y, "pvid", p, "pvid", 'u');
		for (size_t k = 0; json_object_is_type(vl, json_type_array) && k < json_object_array_length(vl); k++) {
			json_object *v = json_object_array_get_idx(vl, k), *z = json_object_new_object();
			put(z, "vid", v, "vid", 'u');
			put(z, "pvid", v, "pvid", 'b');
			put(z, "untagged", v, "untagged", 'b');
			if (json_object_object_get_ex(z, "vid", NULL))
				json_object_array_add(vy, z);
			else
				json_object_put(z);
		}
		add_list(y, "vlans", vy);
		json_object_array_add(list, y);
	}
	add_list(b, "ports", list);
	/* static and multicast entries only: learnt ones come and go with traffic */
	list = json_object_new_array();
	for (size_t i = 0; json_object_is_type(entries, json_type_array) && i < json_object_array_length(entries); i++) {
		json_object *e = json_object_array_get_idx(entries, i), *kind = jget(e, "kind"), *y;
		const char *k = kind && json_object_is_type(kind, json_type_string) ? json_object_get_string(kind) : "";
		if (strcmp(k, "static") && strcmp(k, "multicast"))
			continue;
		y = json_object_new_object();
		put(y, "mac", e, "mac", 's');
		put(y, "vid", e, "vid", 'u');
		put(y, "port", e, "port", 's');
		put(y, "kind", e, "kind", 's');
		put(y, "configured", e, "configured", 'b');
		if (json_object_object_get_ex(y, "mac", NULL) && json_object_object_get_ex(y, "vid", NULL) &&
		    json_object_object_get_ex(y, "port", NULL))
			json_object_array_add(list, y);
		else
			json_object_put(y);
	}
	add_list(b, "static-entries", list);
	add_obj(st, "bridge", b);
}
