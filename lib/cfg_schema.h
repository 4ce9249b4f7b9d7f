/* SPDX-License-Identifier: GPL-2.0-only */
/* cfg_schema.h — the descriptor types behind the configuration schema (internal to
 * lib/).  One `struct cfg_field` row describes one YAML key: its type, where it lives
 * in the C struct, its range and default.  The parser (config.c), the printer and
 * comparer (cfg_print.c) and the docs generator all walk the same rows. */
#ifndef TSN_CFG_SCHEMA_H
#define TSN_CFG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsn/config.h"

enum cfg_type {
	CFG_BOOL,	/* bool */
	CFG_UINT,	/* uint32_t, min..max; decimal or 0x hex */
	CFG_DURATION,	/* uint64_t ns, "250us" */
	CFG_RATE,	/* uint64_t bit/s, "10Mbit" */
	CFG_SIZE,	/* uint64_t bytes, "4KiB" */
	CFG_STRING,	/* char[size]; `check` restricts the characters */
	CFG_ENUM,	/* int, one of `names` */
	CFG_MAC,	/* struct tsn_cfg_mac */
	CFG_IPV6,	/* struct in6_addr */
	CFG_PREFIX,	/* struct tsn_cfg_prefix, "2001:db8::/64" */
	CFG_GATES,	/* uint32_t bit mask from a list of classes and ranges: [0-2, 7] */
	CFG_QUEUES,	/* struct tsn_cfg_queue_range, "count@offset" */
	CFG_BASE_TIME,	/* bool auto at `present`, int64_t ns at offset: "auto" or ns */
	CFG_FILE_MODE,	/* uint32_t, octal "0660" */
	CFG_LINK_SPEED,	/* uint32_t Mbit/s, 0 written as "auto" */
	CFG_OBJECT,	/* nested mapping described by `sub` */
	CFG_LIST,	/* sequence of `elem` */
	CFG_KV_MAP,	/* mapping of string to scalar -> struct tsn_cfg_kv list */
};

enum cfg_string_kind {
	STR_ANY,
	STR_IFNAME,	/* a network interface name */
	STR_NAME,	/* letters, digits, '-', '_', '.' (may be empty unless required) */
	STR_PATH,	/* absolute path, or empty */
	STR_HOSTPORT,	/* "address:port", IPv6 in brackets */
};

#define CFG_F_REQUIRED	0x1u	/* error if absent */
#define CFG_F_OPTIONAL	0x2u	/* no default; `present` records whether it was given */
#define CFG_F_HEX	0x4u	/* print as 0x.... */
#define CFG_F_INLINE	0x8u	/* CFG_LIST stored as an inline array of `max` elements */

struct cfg_table;

struct cfg_field {
	const char *key;
	enum cfg_type type;
	size_t offset;
	size_t size;			/* CFG_STRING: buffer size; CFG_LIST: element size */
	uint64_t min, max;		/* numbers: range; CFG_LIST: most elements; CFG_GATES: highest class */
	const char *def;		/* default, written as in YAML; NULL: zero/empty */
	unsigned flags;
	size_t present;			/* offset of a bool: CFG_F_OPTIONAL, optional CFG_OBJECT, CFG_BASE_TIME */
	size_t count;			/* CFG_LIST / CFG_KV_MAP: offset of the size_t element count */
	const struct cfg_table *sub;	/* CFG_OBJECT, or CFG_LIST of objects */
	const struct cfg_field *elem;	/* CFG_LIST: the element (its offset is 0) */
	const char *const *names;	/* CFG_ENUM: NULL-terminated, index = value */
	enum cfg_string_kind str;
	const char *doc;
};

struct cfg_checker;
/* Cross-field rules of one object, run after its fields were parsed. */
typedef void (*cfg_check_fn)(struct cfg_checker *chk, void *obj);

struct cfg_table {
	const char *name;		/* used in docs */
	const struct cfg_field *fields;
	size_t n_fields;
	cfg_check_fn check;
};

void cfg_index_free(struct cfg_index *ix);

/* The root of the schema (cfg_schema.c). */
extern const struct cfg_table tsn_cfg_root;
/* Rules of single objects (cfg_check.c), named in the schema rows. */
void cfg_check_schedule(struct cfg_checker *chk, void *obj);
void cfg_check_stream(struct cfg_checker *chk, void *obj);
void cfg_check_flow_meter(struct cfg_checker *chk, void *obj);
void cfg_check_stream_gate(struct cfg_checker *chk, void *obj);
void cfg_check_route(struct cfg_checker *chk, void *obj);
void cfg_check_telemetry(struct cfg_checker *chk, void *obj);
void cfg_check_bridge_port(struct cfg_checker *chk, void *obj);
void cfg_check_bridge_fdb(struct cfg_checker *chk, void *obj);
void cfg_check_bridge(struct cfg_checker *chk, void *obj);
void cfg_check_frer(struct cfg_checker *chk, void *obj);
/* A port's shapers and launch-time entries (cfg_shaper.c). */
void cfg_check_port_qos(struct cfg_checker *chk, void *obj);
/* Cross-object rules over the whole config (cfg_check.c). */
void cfg_check_config(struct cfg_checker *chk, struct tsn_config *cfg);
/* Streams that identify the same frames; too many ipv6 shapes (stream_id.c). */
void cfg_check_stream_identification(struct cfg_checker *chk, struct tsn_config *cfg);
/* The frer section against streams and ports (cfg_check_frer.c). */
void cfg_check_frer_config(struct cfg_checker *chk, struct tsn_config *cfg);

/* ---- used by check functions (implemented in config.c) ---- */
/* Report at the place where `field` (an address inside the config) was written, or,
 * if it was not written, at the object holding it.  A list as a whole is found by
 * the address of its count member (e.g. &schedule->n_entries). */
void cfg_error(struct cfg_checker *chk, const void *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cfg_warning(struct cfg_checker *chk, const void *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* True if the field was written in the file (not a default). */
bool cfg_given(struct cfg_checker *chk, const void *field);

#endif
