/* SPDX-License-Identifier: GPL-2.0-only */
/* ytree.h — a libyang data tree made straight from the module's JSON that
 * ym_to_yang writes (json-c objects), node by node with lyd_new_*, instead of
 * printing that JSON as text and having libyang's parser read it back.  The
 * names come from the JSON (ymap's tables), the node kinds from the loaded
 * module: there is no second map here. */
#ifndef TSN_NETCONF_YTREE_H
#define TSN_NETCONF_YTREE_H

#include <stdbool.h>
#include <stddef.h>

#include <json.h>
#include <libyang/libyang.h>

/* {"MODULE:TOP": {...}} -> a configuration data tree, validated like
 * lyd_parse_data(LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, LYD_VALIDATE_NO_STATE)
 * validates it (defaults added).  NULL with `msg` (the node's path and libyang's
 * reason) when the JSON does not fit the module. */
struct lyd_node *yt_build(const struct ly_ctx *ctx, json_object *yang, char *msg, size_t len);

/* A configuration data tree -> the module's JSON as json-c objects, the same
 * document libyang's JSON printer writes with LYD_PRINT_WD_EXPLICIT (nodes that
 * hold a default nobody set are left out), without the text in between.  NULL on
 * a node that is not data of the modules (opaque, anydata). */
json_object *yt_to_json(const struct lyd_node *tree);

/* Make `tree` (validated; `walked` is yt_to_json of it) the tree yt_build makes
 * of `yang`, where it can be proven so member by member: `yang` and `walked` are
 * equal (arrays in order, an empty array counting as absent), but for members
 * `yang` sets to the value the tree holds as a default, which become explicit
 * (the default flag is what differs).  0 when done; -1 when the documents differ
 * otherwise, and then the tree may be half changed: build it from `yang` instead. */
int yt_adopt(struct lyd_node *tree, json_object *yang, json_object *walked);

#endif
