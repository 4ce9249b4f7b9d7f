/* SPDX-License-Identifier: GPL-2.0-only */
/* ymap.h — tsnd's YANG module and the translation between tsnd's normalized
 * configuration JSON (`tsnctl -j config show`) and the module's RFC 7951 JSON.
 * Everything follows the schema rows of lib/cfg_schema.c plus a small table of
 * renames to IEEE 802.1Q/CB node names (ymap.c), so the YAML, the YANG module
 * and the docs cannot drift apart. */
#ifndef TSN_NETCONF_YMAP_H
#define TSN_NETCONF_YMAP_H

#include <stdbool.h>
#include <stdio.h>

#include <json.h>

#define YM_MODULE "tsnd"
#define YM_NAMESPACE "urn:tsnd:yang:tsnd"
#define YM_REVISION "2026-12-07"
#define YM_TOP "tsnd"		/* the top container: /tsnd:tsnd */

/* Where and why a translation failed: `path` is a YANG instance path
 * (/tsnd:tsnd/ports[name='sw0p1']/...), `msg` one sentence. */
struct ym_error {
	char path[512];
	char msg[256];
};

/* Write the YANG module (generated from the schema).  0, or -1 when a rename rule
 * names no schema row (the table in ymap.c is stale). */
int ym_write_module(FILE *out);

/* tsnd's normalized config JSON (the `data` of config.show, or
 * tsn_config_to_json) -> the module's JSON ({"tsnd:tsnd": {...}}).  NULL with
 * `err` filled on a value the module cannot carry. */
json_object *ym_to_yang(json_object *tsnd, struct ym_error *err);

/* The module's JSON ({"tsnd:tsnd": {...}}, as libyang prints it) -> a config
 * JSON tsnd parses.  Unknown members, duplicate keys, holes in positional lists
 * and values out of range are errors. */
json_object *ym_from_yang(json_object *yang, struct ym_error *err);

/* tsnd's field path of a diagnostic ("ports[1].schedule.entries[0].interval")
 * -> the YANG node's path, using `tsnd` (the config the path points into) for
 * list keys.  Writes as much of the path as resolves; returns false if nothing did. */
bool ym_field_path_to_yang(json_object *tsnd, const char *field, char *buf, size_t len);

/* The `state` subtree ({"tsnd:tsnd": {"state": {...}}}) from the answers of tsnd's
 * status, schedule.show, ptp.status, stream.show and frer.show (`data`; any may be NULL). */
json_object *ym_state_to_yang(json_object *status, json_object *schedules, json_object *ptp, json_object *streams,
			      json_object *frer);
/* Adds the bridge container (bridge.show and fdb.show's answers; either may be
 * NULL: without bridge.show nothing is added) to the state tree ym_state_to_yang made. */
void ym_state_add_bridge(json_object *top, json_object *bridge, json_object *fdb);

/* The IEEE mapping as a Markdown table (docs/netconf.md). */
void ym_write_mapping_markdown(FILE *out);

#endif
