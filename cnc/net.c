/* SPDX-License-Identifier: GPL-2.0-only */
/* net.c — the network file: a table of rows (one per YAML key) walked over the
 * YAML tree into raw structs, then names resolved into the model (cnc.h).
 * Every problem is reported, each at its file:line:col with the field's path. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnc.h"
#include "tsn/units.h"
#include "yaml_tree.h"

#define MAX_FILE_BYTES (16u << 20)
#define MAX_LIST 100000u

enum ftype { F_STR, F_DUR, F_UINT, F_SIZE, F_BOOL, F_MAC, F_OBJ, F_LIST, F_STRLIST };

struct table;
struct field {
	const char *key;
	enum ftype type;
	size_t off;		/* of the value in the object */
	size_t size;		/* F_STR: buffer; F_LIST: element size; F_STRLIST: item size */
	uint64_t min, max;	/* F_UINT, F_DUR, F_SIZE: range; lists: most items */
	const char *def;	/* default as written in YAML, NULL: zero */
	bool required;
	size_t present;		/* offset of a bool set when given, or NOPRES */
	size_t mark;		/* offset of a struct cnc_mark set where given, or NOPRES */
	size_t count;		/* lists: offset of the size_t count */
	const struct table *sub;	/* F_OBJ, F_LIST */
	const char *doc;
};
#define NOPRES ((size_t)-1)

struct table {
	const char *name;
	const struct field *f;
	size_t n;
	size_t size;		/* of one object */
};

/* ---- raw structs, as written ---- */
struct r_port {
	struct cnc_mark at, at_name;
	char name[CNC_IFNAME_MAX];
	uint32_t speed;
};
struct r_netconf {
	struct cnc_mark at;
	char address[64];
	uint32_t port;
	char user[32];
	char key[256];
};
struct r_switch {
	struct cnc_mark at, at_name;
	char name[CNC_NAME_MAX];
	struct r_netconf nc;
	int64_t proc;
	struct r_port *ports;
	size_t n_ports;
};
struct r_station {
	struct cnc_mark at, at_name;
	char name[CNC_NAME_MAX];
	char port[CNC_IFNAME_MAX];
	uint32_t speed;
};
struct r_link {
	struct cnc_mark at, at_a, at_b;
	char a[64], b[64];
	int64_t prop;
};
struct r_stream {
	struct cnc_mark at, at_name, at_talker, at_listeners, at_period, at_deadline, at_frame, at_mac;
	char name[CNC_NAME_MAX];
	char talker[CNC_NAME_MAX];
	char (*listeners)[CNC_NAME_MAX];
	size_t n_listeners;
	int64_t period, deadline;
	uint32_t frame, priority, vlan;
	bool has_vlan;
	uint8_t mac[6];
	bool redundant;
};
struct r_planner {
	struct cnc_mark at, at_limit;
	int64_t cycle_limit, precision;
	uint32_t be_frame, be_share;
};
struct r_net {
	struct cnc_mark at;
	struct r_planner planner;
	struct r_switch *switches;
	size_t n_switches;
	struct r_station *stations;
	size_t n_stations;
	struct r_link *links;
	size_t n_links;
	struct r_stream *streams;
	size_t n_streams;
};

#define O(T, m) offsetof(struct T, m)

static const struct field port_f[] = {
	{ "name", F_STR, O(r_port, name), CNC_IFNAME_MAX, .required = true, .present = NOPRES,
	  .mark = O(r_port, at_name), .doc = "network interface of the switch" },
	{ "link-speed", F_UINT, O(r_port, speed), 0, 1, 1000000, .required = true, .present = NOPRES,
	  .mark = NOPRES, .doc = "Mbit/s" },
};
static const struct table port_t = { "port", port_f, 2, sizeof(struct r_port) };

static const struct field netconf_f[] = {
	{ "address", F_STR, O(r_netconf, address), 64, .required = true, .present = NOPRES, .mark = NOPRES,
	  .doc = "host name or address of the switch's NETCONF server" },
	{ "port", F_UINT, O(r_netconf, port), 0, 1, 65535, "830", .present = NOPRES, .mark = NOPRES,
	  .doc = "NETCONF port" },
	{ "user", F_STR, O(r_netconf, user), 32, .required = true, .present = NOPRES, .mark = NOPRES,
	  .doc = "user name" },
	{ "key", F_STR, O(r_netconf, key), 256, .required = true, .present = NOPRES, .mark = NOPRES,
	  .doc = "path of the private key (SSH)" },
};
static const struct table netconf_t = { "netconf", netconf_f, 4, sizeof(struct r_netconf) };

static const struct field switch_f[] = {
	{ "name", F_STR, O(r_switch, name), CNC_NAME_MAX, .required = true, .present = NOPRES,
	  .mark = O(r_switch, at_name), .doc = "switch name, unique among switches and stations" },
	{ "netconf", F_OBJ, O(r_switch, nc), .required = true, .present = NOPRES, .mark = NOPRES,
	  .sub = &netconf_t, .doc = "how the deployer reaches it" },
	{ "processing-delay", F_DUR, O(r_switch, proc), 0, 0, 1000000000, "5us", .present = NOPRES,
	  .mark = NOPRES, .doc = "most time from a frame's arrival until it may leave" },
	{ "ports", F_LIST, O(r_switch, ports), sizeof(struct r_port), 1, 256, .required = true,
	  .present = NOPRES, .mark = NOPRES, .count = O(r_switch, n_ports), .sub = &port_t, .doc = "its ports" },
};
static const struct table switch_t = { "switch", switch_f, 4, sizeof(struct r_switch) };

static const struct field station_f[] = {
	{ "name", F_STR, O(r_station, name), CNC_NAME_MAX, .required = true, .present = NOPRES,
	  .mark = O(r_station, at_name), .doc = "end station name, unique among switches and stations" },
	{ "port", F_STR, O(r_station, port), CNC_IFNAME_MAX, .def = "eth0", .present = NOPRES, .mark = NOPRES,
	  .doc = "its network interface" },
	{ "link-speed", F_UINT, O(r_station, speed), 0, 1, 1000000, .required = true, .present = NOPRES,
	  .mark = NOPRES, .doc = "Mbit/s" },
};
static const struct table station_t = { "station", station_f, 3, sizeof(struct r_station) };

static const struct field link_f[] = {
	{ "a", F_STR, O(r_link, a), 64, .required = true, .present = NOPRES, .mark = O(r_link, at_a),
	  .doc = "one end: switch:port, or a station (station or station:port)" },
	{ "b", F_STR, O(r_link, b), 64, .required = true, .present = NOPRES, .mark = O(r_link, at_b),
	  .doc = "the other end" },
	{ "propagation", F_DUR, O(r_link, prop), 0, 0, 1000000000, "0ns", .present = NOPRES, .mark = NOPRES,
	  .doc = "propagation delay of the cable" },
};
static const struct table link_t = { "link", link_f, 3, sizeof(struct r_link) };

static const struct field stream_f[] = {
	{ "name", F_STR, O(r_stream, name), CNC_NAME_MAX, .required = true, .present = NOPRES,
	  .mark = O(r_stream, at_name), .doc = "stream name, unique" },
	{ "talker", F_STR, O(r_stream, talker), CNC_NAME_MAX, .required = true, .present = NOPRES,
	  .mark = O(r_stream, at_talker), .doc = "the sending station" },
	{ "listeners", F_STRLIST, O(r_stream, listeners), CNC_NAME_MAX, 1, 1024, .required = true,
	  .present = NOPRES, .mark = O(r_stream, at_listeners), .count = O(r_stream, n_listeners),
	  .doc = "the receiving stations" },
	{ "period", F_DUR, O(r_stream, period), 0, 1000, 1000000000, .required = true, .present = NOPRES,
	  .mark = O(r_stream, at_period), .doc = "one frame every period" },
	{ "frame-size", F_SIZE, O(r_stream, frame), 0, 64, 9018, .required = true, .present = NOPRES,
	  .mark = O(r_stream, at_frame), .doc = "Ethernet frame, destination MAC to FCS" },
	{ "max-latency", F_DUR, O(r_stream, deadline), 0, 1, 1000000000, .required = true, .present = NOPRES,
	  .mark = O(r_stream, at_deadline), .doc = "deadline from sending to the last listener's reception" },
	{ "priority", F_UINT, O(r_stream, priority), 0, 0, 7, "5", .present = NOPRES, .mark = NOPRES,
	  .doc = "priority (VLAN PCP) of its frames" },
	{ "vlan", F_UINT, O(r_stream, vlan), 0, 1, 4094, .present = O(r_stream, has_vlan), .mark = NOPRES,
	  .doc = "VLAN id (absent: untagged)" },
	{ "dst-mac", F_MAC, O(r_stream, mac), .required = true, .present = NOPRES, .mark = O(r_stream, at_mac),
	  .doc = "destination MAC, which identifies the stream with the VLAN" },
	{ "redundant", F_BOOL, O(r_stream, redundant), .def = "false", .present = NOPRES, .mark = NOPRES,
	  .doc = "a second path, disjoint between switches (FRER)" },
};
static const struct table stream_t = { "stream", stream_f, 10, sizeof(struct r_stream) };

static const struct field planner_f[] = {
	{ "cycle-limit", F_DUR, O(r_planner, cycle_limit), 0, 1000, 4000000000, "1s", .present = NOPRES,
	  .mark = O(r_planner, at_limit), .doc = "largest allowed hyperperiod of the periods" },
	{ "precision", F_DUR, O(r_planner, precision), 0, 0, 1000000, "1us", .present = NOPRES, .mark = NOPRES,
	  .doc = "worst offset between any two clocks of the network" },
	{ "best-effort-frame", F_SIZE, O(r_planner, be_frame), 0, 64, 9018, "1522B", .present = NOPRES,
	  .mark = NOPRES, .doc = "largest best-effort frame: the guard band before a window" },
	{ "best-effort-share", F_UINT, O(r_planner, be_share), 0, 0, 99, "20", .present = NOPRES,
	  .mark = NOPRES, .doc = "percent of every port's cycle kept open for best effort" },
};
static const struct table planner_t = { "planner", planner_f, 4, sizeof(struct r_planner) };

static const struct field root_f[] = {
	{ "planner", F_OBJ, O(r_net, planner), .present = NOPRES, .mark = NOPRES, .sub = &planner_t,
	  .doc = "planner settings" },
	{ "switches", F_LIST, O(r_net, switches), sizeof(struct r_switch), 1, 1024, .required = true,
	  .present = NOPRES, .mark = NOPRES, .count = O(r_net, n_switches), .sub = &switch_t, .doc = "switches" },
	{ "stations", F_LIST, O(r_net, stations), sizeof(struct r_station), 0, MAX_LIST, .present = NOPRES,
	  .mark = NOPRES, .count = O(r_net, n_stations), .sub = &station_t, .doc = "end stations" },
	{ "links", F_LIST, O(r_net, links), sizeof(struct r_link), 0, MAX_LIST, .present = NOPRES,
	  .mark = NOPRES, .count = O(r_net, n_links), .sub = &link_t, .doc = "cables" },
	{ "streams", F_LIST, O(r_net, streams), sizeof(struct r_stream), 0, MAX_LIST, .present = NOPRES,
	  .mark = NOPRES, .count = O(r_net, n_streams), .sub = &stream_t, .doc = "stream requirements" },
};
static const struct table root_t = { "network", root_f, 5, sizeof(struct r_net) };

/* ---- the walker ---- */
struct walker {
	struct tsn_diags *diags;
	struct ytree *tree;
	size_t visits;
	bool oom;
};

static struct cnc_mark mark_of(const struct ynode *n)
{
	struct cnc_mark m = { 0, 0 };
	if (n) {
		m.line = (unsigned)n->mark.line + 1;
		m.col = (unsigned)n->mark.column + 1;
	}
	return m;
}

__attribute__((format(printf, 4, 5)))
static void err(struct walker *w, struct cnc_mark m, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tsn_diags_add(w->diags, TSN_DIAG_ERROR, m.line, m.col, path, "%s", msg);
}

static void join(char *out, size_t len, const char *path, const char *key)
{
	snprintf(out, len, "%s%s%s", path, *path ? "." : "", key);
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	int n = 0;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &n) != 6 ||
	    (size_t)n != strlen(s) || n != 17)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return true;
}

static void set_scalar(struct walker *w, const struct field *f, const char *s, struct cnc_mark m,
		       const char *path, void *obj)
{
	char *dst = (char *)obj + f->off;
	uint64_t v;
	switch (f->type) {
	case F_STR:
		if (strlen(s) >= f->size) {
			err(w, m, path, "'%.40s' is too long; at most %zu characters", s, f->size - 1);
			return;
		}
		strcpy(dst, s);
		return;
	case F_DUR:
		if (!tsn_parse_duration(s, &v)) {
			err(w, m, path, "'%.40s' is not a duration; expected a number with a unit such as 250us "
			    "(units ns, us, ms, s)", s);
			return;
		}
		break;
	case F_SIZE:
		if (!tsn_parse_size(s, &v)) {
			err(w, m, path, "'%.40s' is not a size; expected e.g. 128B or 1500B", s);
			return;
		}
		break;
	case F_UINT:
		if (!tsn_parse_u64(s, &v)) {
			err(w, m, path, "'%.40s' is not an unsigned integer", s);
			return;
		}
		break;
	case F_BOOL:
		if (!strcmp(s, "true"))
			*(bool *)dst = true;
		else if (!strcmp(s, "false"))
			*(bool *)dst = false;
		else
			err(w, m, path, "'%.40s' is not a bool; expected true or false", s);
		return;
	case F_MAC:
		if (!parse_mac(s, (uint8_t *)dst))
			err(w, m, path, "'%.40s' is not a MAC address; expected six hex pairs such as "
			    "01:80:c2:00:00:0e", s);
		return;
	default:
		return;
	}
	if (v < f->min || v > f->max) {
		char a[32], b[32];
		if (f->type == F_DUR)
			err(w, m, path, "%s is out of range; allowed %s to %s", s,
			    tsn_format_duration(f->min, a, sizeof(a)), tsn_format_duration(f->max, b, sizeof(b)));
		else if (f->type == F_SIZE)
			err(w, m, path, "%s is out of range; allowed %s to %s", s,
			    tsn_format_size(f->min, a, sizeof(a)), tsn_format_size(f->max, b, sizeof(b)));
		else
			err(w, m, path, "%s is out of range; allowed %llu to %llu", s,
			    (unsigned long long)f->min, (unsigned long long)f->max);
		return;
	}
	if (f->type == F_DUR)
		*(int64_t *)dst = (int64_t)v;
	else
		*(uint32_t *)dst = (uint32_t)v;
}

static void walk_object(struct walker *w, const struct table *t, const struct ynode *node,
			struct cnc_mark where, const char *path, void *obj);

static const char *kind(const struct ynode *n)
{
	return n->type == YAML_MAPPING_NODE ? "a mapping" : n->type == YAML_SEQUENCE_NODE ? "a list" : "a scalar";
}

static void walk_field(struct walker *w, const struct field *f, const struct ynode *val, const char *path,
		       void *obj)
{
	struct cnc_mark m = mark_of(val);
	if (++w->visits > 4u * MAX_LIST * 4) {	/* aliases may repeat nodes: bound the walk */
		if (w->visits == 4u * MAX_LIST * 4 + 1)
			err(w, m, path, "the document is too large or repeats aliases too often");
		return;
	}
	if (f->mark != NOPRES)
		*(struct cnc_mark *)((char *)obj + f->mark) = m;
	if (f->present != NOPRES)
		*(bool *)((char *)obj + f->present) = true;
	switch (f->type) {
	case F_OBJ:
		walk_object(w, f->sub, val, m, path, (char *)obj + f->off);
		return;
	case F_LIST:
	case F_STRLIST: {
		if (val->type != YAML_SEQUENCE_NODE) {
			err(w, m, path, "is %s; expected a list", kind(val));
			return;
		}
		w->visits += val->n;	/* items count too: aliases may repeat a long list */
		if (w->visits > 4u * MAX_LIST * 4) {
			err(w, m, path, "the document is too large or repeats aliases too often");
			return;
		}
		if (val->n < f->min || val->n > f->max) {
			err(w, m, path, "has %zu items; allowed %llu to %llu", (size_t)val->n, (unsigned long long)f->min,
			    (unsigned long long)f->max);
			if (val->n > f->max)
				return;
		}
		void *items = calloc(val->n ? val->n : 1, f->size);
		if (!items) {
			w->oom = true;
			err(w, m, path, "out of memory");
			return;
		}
		*(void **)((char *)obj + f->off) = items;
		*(size_t *)((char *)obj + f->count) = val->n;
		for (size_t i = 0; i < val->n; i++) {
			const struct ynode *it = ytree_kid(w->tree, val, i);
			char p[160];
			if (snprintf(p, sizeof(p), "%s[%zu]", path, i) >= (int)sizeof(p))
				p[0] = 0;	/* paths are short; keep the compiler's bound check quiet */
			if (f->type == F_LIST) {
				walk_object(w, f->sub, it, mark_of(it), p, (char *)items + i * f->size);
			} else if (it->type != YAML_SCALAR_NODE) {
				err(w, mark_of(it), p, "is %s; expected a name", kind(it));
			} else if (it->len >= f->size) {
				err(w, mark_of(it), p, "'%.40s' is too long; at most %zu characters", it->text,
				    f->size - 1);
			} else {
				strcpy((char *)items + i * f->size, it->text);
			}
		}
		return;
	}
	default:
		if (val->type != YAML_SCALAR_NODE) {
			err(w, m, path, "is %s; expected a value", kind(val));
			return;
		}
		set_scalar(w, f, val->text, m, path, obj);
	}
}

static void walk_object(struct walker *w, const struct table *t, const struct ynode *node,
			struct cnc_mark where, const char *path, void *obj)
{
	bool given[16] = { false };
	*(struct cnc_mark *)obj = where;	/* every raw object starts with its mark */
	if (node && node->type != YAML_MAPPING_NODE) {
		err(w, where, path, "is %s; expected a mapping (%s)", kind(node), t->name);
		return;
	}
	for (size_t i = 0; node && i + 1 < node->n; i += 2) {
		const struct ynode *k = ytree_kid(w->tree, node, i), *v = ytree_kid(w->tree, node, i + 1);
		char p[160];
		size_t j;
		if (k->type != YAML_SCALAR_NODE) {
			err(w, mark_of(k), path, "a key is %s; keys are names", kind(k));
			continue;
		}
		join(p, sizeof(p), path, k->text);
		for (j = 0; j < t->n && strcmp(t->f[j].key, k->text); j++)
			;
		if (j == t->n) {
			char allowed[256] = "";
			for (size_t a = 0; a < t->n; a++)
				snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed), "%s%s",
					 a ? ", " : "", t->f[a].key);
			err(w, mark_of(k), p, "unknown key; allowed in %s: %s", t->name, allowed);
			continue;
		}
		if (given[j]) {
			err(w, mark_of(k), p, "given twice");
			continue;
		}
		given[j] = true;
		walk_field(w, &t->f[j], v, p, obj);
	}
	for (size_t j = 0; j < t->n; j++) {
		const struct field *f = &t->f[j];
		char p[160];
		if (given[j])
			continue;
		join(p, sizeof(p), path, f->key);
		if (f->required) {
			err(w, where, p, "missing; required in %s", t->name);
		} else if (f->def) {
			struct cnc_mark none = { 0, 0 };
			set_scalar(w, f, f->def, none, p, obj);
		} else if (f->type == F_OBJ) {
			walk_object(w, f->sub, NULL, where, p, (char *)obj + f->off);
		}
	}
}

static void raw_free(struct r_net *r)
{
	for (size_t i = 0; i < r->n_switches; i++)
		free(r->switches[i].ports);
	for (size_t i = 0; i < r->n_streams; i++)
		free(r->streams[i].listeners);
	free(r->switches);
	free(r->stations);
	free(r->links);
	free(r->streams);
}

/* ---- resolving names ---- */

int64_t cnc_gcd(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

int64_t cnc_tx_time(uint32_t bytes, uint32_t mbit)
{
	uint64_t bits = ((uint64_t)bytes + CNC_WIRE_OVERHEAD) * 8u * 1000u;
	return (int64_t)((bits + mbit - 1) / mbit);
}

/* Name lookups while resolving: a small open-addressing hash over indices, so a
 * file of tens of thousands of stations and streams resolves in linear time. */
struct nix {
	uint32_t *slot;		/* index + 1; 0: empty */
	size_t mask;
	const void *(*key)(const void *ctx, size_t i, size_t *len);
	const void *ctx;
};

static uint64_t fnv(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 1469598103934665603ull;
	while (n--)
		h = (h ^ *c++) * 1099511628211ull;
	return h;
}

static bool nix_init(struct nix *x, size_t n, const void *(*key)(const void *, size_t, size_t *), const void *ctx)
{
	size_t cap = 16;
	while (cap < 2 * n + 16)
		cap *= 2;
	x->slot = calloc(cap, sizeof(uint32_t));
	x->mask = cap - 1;
	x->key = key;
	x->ctx = ctx;
	return x->slot != NULL;
}

static int nix_get(const struct nix *x, const void *k, size_t len)
{
	for (size_t h = fnv(k, len) & x->mask;; h = (h + 1) & x->mask) {
		uint32_t v = x->slot[h];
		size_t l;
		if (!v)
			return -1;
		const void *kk = x->key(x->ctx, v - 1, &l);
		if (l == len && !memcmp(kk, k, len))
			return (int)(v - 1);
	}
}

/* add index i unless its key is there; returns the index already there, or -1 */
static int nix_put(struct nix *x, size_t i)
{
	size_t len;
	const void *k = x->key(x->ctx, i, &len);
	size_t h = fnv(k, len) & x->mask;
	for (;; h = (h + 1) & x->mask) {
		uint32_t v = x->slot[h];
		size_t l;
		if (!v)
			break;
		const void *kk = x->key(x->ctx, v - 1, &l);
		if (l == len && !memcmp(kk, k, len))
			return (int)(v - 1);
	}
	x->slot[h] = (uint32_t)i + 1;
	return -1;
}

static const void *node_key(const void *ctx, size_t i, size_t *len)
{
	const struct cnc_network *net = ctx;
	*len = strlen(net->nodes[i].name);
	return net->nodes[i].name;
}

static const void *stream_key(const void *ctx, size_t i, size_t *len)
{
	const struct cnc_network *net = ctx;
	*len = strlen(net->streams[i].name);
	return net->streams[i].name;
}

/* destination MAC and VLAN, as identification sees them */
static const void *ident_key(const void *ctx, size_t i, size_t *len)
{
	const uint8_t(*keys)[10] = ctx;
	*len = 10;
	return keys[i];
}

int cnc_node_find(const struct cnc_network *net, const char *name)
{
	for (size_t i = 0; i < net->n_nodes; i++)
		if (!strcmp(net->nodes[i].name, name))
			return (int)i;
	return -1;
}

static int port_find(const struct cnc_network *net, int node, const char *name)
{
	const struct cnc_node *n = &net->nodes[node];
	for (int p = n->first_port; p < n->first_port + n->n_ports; p++)
		if (!strcmp(net->ports[p].name, name))
			return p;
	return -1;
}

/* "node:port", or a station alone: its one port. */
static int endpoint(struct walker *w, const struct cnc_network *net, const struct nix *names, const char *s,
		    struct cnc_mark m, const char *path)
{
	char node[CNC_NAME_MAX + CNC_IFNAME_MAX + 2];
	snprintf(node, sizeof(node), "%s", s);
	char *colon = strchr(node, ':');
	if (colon)
		*colon = 0;
	int n = nix_get(names, node, strlen(node));
	if (n < 0) {
		err(w, m, path, "no switch or station named '%s'; a link joins switch:port or a station", node);
		return -1;
	}
	if (!colon) {
		if (net->nodes[n].is_switch) {
			err(w, m, path, "'%s' is a switch; name its port as %s:PORT", node, node);
			return -1;
		}
		return net->nodes[n].first_port;
	}
	int p = port_find(net, n, colon + 1);
	if (p < 0) {
		char ports[160] = "";
		const struct cnc_node *nd = &net->nodes[n];
		for (int i = nd->first_port; i < nd->first_port + nd->n_ports; i++)
			snprintf(ports + strlen(ports), sizeof(ports) - strlen(ports), "%s%s",
				 i > nd->first_port ? ", " : "", net->ports[i].name);
		err(w, m, path, "%s has no port '%s'; its ports: %s", node, colon + 1, ports);
	}
	return p;
}

static bool valid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static void resolve(struct walker *w, const struct r_net *r, struct cnc_network *net)
{
	size_t n_ports = r->n_stations;
	char p[160];

	net->cycle_limit = r->planner.cycle_limit;
	net->precision = r->planner.precision;
	net->be_frame = r->planner.be_frame;
	net->be_share = r->planner.be_share;
	for (size_t i = 0; i < r->n_switches; i++)
		n_ports += r->switches[i].n_ports;
	net->nodes = calloc(r->n_switches + r->n_stations + 1, sizeof(*net->nodes));
	net->ports = calloc(n_ports + 1, sizeof(*net->ports));
	net->streams = calloc(r->n_streams + 1, sizeof(*net->streams));
	struct nix names = { 0 }, snames = { 0 }, idents = { 0 };
	uint8_t(*idkeys)[10] = calloc(r->n_streams + 1, sizeof(*idkeys));
	if (!net->nodes || !net->ports || !net->streams || !idkeys ||
	    !nix_init(&names, r->n_switches + r->n_stations, node_key, net) ||
	    !nix_init(&snames, r->n_streams, stream_key, net) || !nix_init(&idents, r->n_streams, ident_key, idkeys)) {
		w->oom = true;
		err(w, r->at, "", "out of memory");
		goto out;
	}
	/* nodes and ports */
	for (size_t i = 0; i < r->n_switches + r->n_stations; i++) {
		bool sw = i < r->n_switches;
		const struct r_switch *rs = sw ? &r->switches[i] : NULL;
		const struct r_station *st = sw ? NULL : &r->stations[i - r->n_switches];
		const char *name = sw ? rs->name : st->name;
		struct cnc_mark at_name = sw ? rs->at_name : st->at_name;
		snprintf(p, sizeof(p), "%s[%zu].name", sw ? "switches" : "stations", sw ? i : i - r->n_switches);
		if (!valid_name(name))
			err(w, at_name, p, "'%s' is not a name; letters, digits, '-', '_' and '.'", name);
		struct cnc_node *n = &net->nodes[net->n_nodes++];
		snprintf(n->name, sizeof(n->name), "%s", name);
		if (nix_put(&names, net->n_nodes - 1) >= 0)
			err(w, at_name, p, "'%s' is named twice; switch and station names are unique", name);
		n->is_switch = sw;
		n->at = sw ? rs->at : st->at;
		n->first_port = (int)net->n_ports;
		if (sw) {
			n->proc = rs->proc;
			snprintf(n->nc_address, sizeof(n->nc_address), "%s", rs->nc.address);
			n->nc_port = rs->nc.port;
			snprintf(n->nc_user, sizeof(n->nc_user), "%s", rs->nc.user);
			snprintf(n->nc_key, sizeof(n->nc_key), "%s", rs->nc.key);
			for (size_t j = 0; j < rs->n_ports; j++) {
				const struct r_port *rp = &rs->ports[j];
				if (port_find(net, (int)(n - net->nodes), rp->name) >= 0) {
					snprintf(p, sizeof(p), "switches[%zu].ports[%zu].name", i, j);
					err(w, rp->at_name, p, "port '%s' is named twice on %s", rp->name, name);
				}
				struct cnc_port *cp = &net->ports[net->n_ports++];
				snprintf(cp->name, sizeof(cp->name), "%s", rp->name);
				cp->node = (int)(n - net->nodes);
				cp->speed = rp->speed;
				cp->peer = -1;
				cp->at = rp->at;
				n->n_ports++;
			}
		} else {
			struct cnc_port *cp = &net->ports[net->n_ports++];
			snprintf(cp->name, sizeof(cp->name), "%s", st->port);
			cp->node = (int)(n - net->nodes);
			cp->speed = st->speed;
			cp->peer = -1;
			cp->at = st->at;
			n->n_ports = 1;
		}
	}
	/* links */
	for (size_t i = 0; i < r->n_links; i++) {
		const struct r_link *l = &r->links[i];
		char pa[160], pb[160];
		snprintf(pa, sizeof(pa), "links[%zu].a", i);
		snprintf(pb, sizeof(pb), "links[%zu].b", i);
		int a = endpoint(w, net, &names, l->a, l->at_a, pa), b = endpoint(w, net, &names, l->b, l->at_b, pb);
		if (a < 0 || b < 0)
			continue;
		if (a == b || net->ports[a].node == net->ports[b].node) {
			err(w, l->at_b, pb, "'%s' is on the same node as '%s'; a link joins two nodes", l->b, l->a);
			continue;
		}
		if (net->ports[a].peer >= 0 || net->ports[b].peer >= 0) {
			bool ia = net->ports[a].peer >= 0;
			err(w, ia ? l->at_a : l->at_b, ia ? pa : pb, "'%s' is already linked; a port has one link",
			    ia ? l->a : l->b);
			continue;
		}
		if (net->ports[a].speed != net->ports[b].speed)
			err(w, l->at, pa, "%s runs at %u Mbit/s and %s at %u Mbit/s; both ends of a link have one speed",
			    l->a, net->ports[a].speed, l->b, net->ports[b].speed);
		net->ports[a].peer = b;
		net->ports[b].peer = a;
		net->ports[a].prop = net->ports[b].prop = l->prop;
	}
	for (size_t i = 0; i < r->n_stations; i++) {
		const struct cnc_node *n = &net->nodes[r->n_switches + i];
		if (net->ports[n->first_port].peer < 0) {
			snprintf(p, sizeof(p), "stations[%zu]", i);
			err(w, n->at, p, "station %s has no link; add one under links", n->name);
		}
	}
	/* streams */
	int64_t cycle = 1;
	bool cycle_ok = true;
	for (size_t i = 0; i < r->n_streams; i++) {
		const struct r_stream *rs = &r->streams[i];
		struct cnc_stream *s = &net->streams[net->n_streams++];
		snprintf(s->name, sizeof(s->name), "%s", rs->name);
		s->period = rs->period;
		s->deadline = rs->deadline;
		s->frame = rs->frame;
		s->priority = rs->priority;
		s->vlan = rs->has_vlan ? (int)rs->vlan : -1;
		memcpy(s->mac, rs->mac, 6);
		s->redundant = rs->redundant;
		s->at = rs->at;
		s->at_period = rs->at_period;
		s->at_deadline = rs->at_deadline;
		s->at_listeners = rs->at_listeners;
		snprintf(p, sizeof(p), "streams[%zu].name", i);
		if (!valid_name(rs->name))
			err(w, rs->at_name, p, "'%s' is not a name; letters, digits, '-', '_' and '.'", rs->name);
		if (nix_put(&snames, i) >= 0)
			err(w, rs->at_name, p, "stream '%s' is named twice; names are unique", rs->name);
		memcpy(idkeys[i], s->mac, 6);
		memcpy(idkeys[i] + 6, &s->vlan, 4);
		int twin = nix_put(&idents, i);
		if (twin >= 0) {
			snprintf(p, sizeof(p), "streams[%zu].dst-mac", i);
			err(w, rs->at_mac, p, "stream %s has the same dst-mac and vlan; they identify a stream",
			    net->streams[twin].name);
		}
		snprintf(p, sizeof(p), "streams[%zu].talker", i);
		s->talker = nix_get(&names, rs->talker, strlen(rs->talker));
		if (s->talker < 0)
			err(w, rs->at_talker, p, "no station named '%s'", rs->talker);
		else if (net->nodes[s->talker].is_switch)
			err(w, rs->at_talker, p, "'%s' is a switch; talkers and listeners are stations", rs->talker);
		s->listeners = calloc(rs->n_listeners + 1, sizeof(int));
		if (!s->listeners) {
			w->oom = true;
			goto out;
		}
		for (size_t j = 0; j < rs->n_listeners; j++) {
			int n = nix_get(&names, rs->listeners[j], strlen(rs->listeners[j]));
			snprintf(p, sizeof(p), "streams[%zu].listeners[%zu]", i, j);
			if (n < 0)
				err(w, rs->at_listeners, p, "no station named '%s'", rs->listeners[j]);
			else if (net->nodes[n].is_switch)
				err(w, rs->at_listeners, p, "'%s' is a switch; listeners are stations",
				    rs->listeners[j]);
			else if (n == s->talker)
				err(w, rs->at_listeners, p, "'%s' is the talker", rs->listeners[j]);
			else
				s->listeners[s->n_listeners++] = n;
		}
		if (cycle_ok) {
			int64_t g = cnc_gcd(cycle, rs->period);
			if (cycle / g > net->cycle_limit / rs->period) {
				char periods[200] = "", a[32], b[32];
				int64_t seen[8];
				size_t n_seen = 0;
				for (size_t j = 0; j <= i && n_seen < 8; j++) {
					size_t k;
					for (k = 0; k < n_seen && seen[k] != net->streams[j].period; k++)
						;
					if (k == n_seen) {
						seen[n_seen++] = net->streams[j].period;
						snprintf(periods + strlen(periods), sizeof(periods) - strlen(periods),
							 "%s%s", k ? ", " : "",
							 tsn_format_duration((uint64_t)net->streams[j].period, a, sizeof(a)));
					}
				}
				snprintf(p, sizeof(p), "streams[%zu].period", i);
				err(w, rs->at_period, p,
				    "the hyperperiod of the periods %s exceeds planner.cycle-limit %s; use periods "
				    "with a common multiple within it", periods,
				    tsn_format_duration((uint64_t)net->cycle_limit, b, sizeof(b)));
				cycle_ok = false;
			} else {
				cycle = cycle / g * rs->period;
			}
		}
	}
	net->cycle = cycle;
out:
	free(names.slot);
	free(snames.slot);
	free(idents.slot);
	free(idkeys);
}

struct cnc_network *cnc_network_parse(const char *text, size_t len, const char *name, struct tsn_diags *diags)
{
	struct cnc_network *net = calloc(1, sizeof(*net));
	struct r_net raw;
	struct ytree tree = { .root = -1 };
	const struct ynode *root;
	struct walker w = { .diags = diags, .tree = &tree };
	size_t errors_before = diags->errors;

	memset(&raw, 0, sizeof(raw));
	if (!net) {
		tsn_diags_add(diags, TSN_DIAG_ERROR, 0, 0, "", "out of memory");
		return NULL;
	}
	snprintf(net->file, sizeof(net->file), "%s", name ? name : "<network>");
	if (len > MAX_FILE_BYTES) {
		tsn_diags_add(diags, TSN_DIAG_ERROR, 0, 0, "", "file is larger than %u bytes", MAX_FILE_BYTES);
		goto out;
	}
	if (!ytree_load_diag(&tree, text, len, YTREE_WHOLE, diags, &root))
		goto out;
	struct cnc_mark top = { 1, 1 };
	walk_object(&w, &root_t, root, top, "", &raw);
	if (diags->errors == errors_before && !w.oom)
		resolve(&w, &raw, net);
out:
	raw_free(&raw);
	ytree_free(&tree);
	if (diags->errors != errors_before) {
		cnc_network_free(net);
		return NULL;
	}
	return net;
}

struct cnc_network *cnc_network_load(const char *path, struct tsn_diags *diags)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		tsn_diags_add(diags, TSN_DIAG_ERROR, 0, 0, "", "cannot open: %s", strerror(errno));
		return NULL;
	}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len < cap || len > MAX_FILE_BYTES)
			break;
		char *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	bool rerr = ferror(f);
	fclose(f);
	if (!buf || rerr) {
		tsn_diags_add(diags, TSN_DIAG_ERROR, 0, 0, "", "cannot read: %s", buf ? "I/O error" : "out of memory");
		free(buf);
		return NULL;
	}
	struct cnc_network *net = cnc_network_parse(buf, len, path, diags);
	free(buf);
	return net;
}

void cnc_network_free(struct cnc_network *net)
{
	if (!net)
		return;
	for (size_t i = 0; i < net->n_streams; i++)
		free(net->streams[i].listeners);
	free(net->streams);
	free(net->nodes);
	free(net->ports);
	free(net);
}
