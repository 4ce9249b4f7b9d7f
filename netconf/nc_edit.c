/* SPDX-License-Identifier: GPL-2.0-only */
/* nc_edit.c — <edit-config> operations on libyang data trees (RFC 6241 7.2) and
 * subtree filters turned into XPath.  Edits run on a copy of the datastore: the
 * caller swaps the copy in only when every node applied and the result validates,
 * which gives rollback-on-error for free. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nc_edit.h"

static const char *const op_names[] = { "merge", "replace", "create", "delete", "remove", "none" };

int nce_op_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (name && strcmp(name, op_names[i]) == 0)
			return (int)i;
	return -1;
}

static int fail(struct nce_error *err, NC_ERR tag, const struct lyd_node *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct nce_error *err, NC_ERR tag, const struct lyd_node *at, const char *fmt, ...)
{
	va_list ap;
	err->tag = tag;
	err->path[0] = '\0';
	if (at)
		lyd_path(at, LYD_PATH_STD, err->path, sizeof(err->path));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* The node's own ietf-netconf:operation, or `inherited`. */
static int node_op(const struct lyd_node *e, enum nce_op inherited, struct nce_error *err)
{
	for (const struct lyd_meta *m = e->meta; m; m = m->next) {
		if (strcmp(m->name, "operation") || strcmp(m->annotation->module->name, "ietf-netconf"))
			continue;
		int op = nce_op_from_name(lyd_get_meta_value(m));
		if (op < 0)
			return fail(err, NC_ERR_BAD_ATTR, e, "unknown operation '%s'", lyd_get_meta_value(m));
		return op;
	}
	return (int)inherited;
}

static void unlink_free(struct lyd_node **first, struct lyd_node *n)
{
	if (first && *first == n)
		*first = n->next;
	lyd_free_tree(n);
}

static int apply_node(struct lyd_node *parent, struct lyd_node **first, const struct lyd_node *e,
		      enum nce_op inherited, struct nce_error *err);

/* A new node for `e` under parent (or among *first), then its children. */
static int create(struct lyd_node *parent, struct lyd_node **first, const struct lyd_node *e, enum nce_op op,
		  struct nce_error *err)
{
	struct lyd_node *n;
	if (lyd_dup_single(e, NULL, LYD_DUP_NO_META, &n))
		return fail(err, NC_ERR_OP_FAILED, e, "cannot copy the node");
	LY_ERR r = parent ? lyd_insert_child(parent, n) : lyd_insert_sibling(*first, n, first);
	if (r) {
		lyd_free_tree(n);
		return fail(err, NC_ERR_OP_FAILED, e, "cannot insert the node");
	}
	if (e->schema->nodetype & LYD_NODE_TERM)
		return 0;
	/* inside a new node, "merge" creates; "none" keeps navigating */
	enum nce_op child_op = op == NCE_NONE ? NCE_NONE : NCE_MERGE;
	const struct lyd_node *c;
	LY_LIST_FOR(lyd_child(e), c)
		if (apply_node(n, NULL, c, child_op, err))
			return -1;
	return 0;
}

static int apply_node(struct lyd_node *parent, struct lyd_node **first, const struct lyd_node *e,
		      enum nce_op inherited, struct nce_error *err)
{
	if (!e->schema)
		return fail(err, NC_ERR_UNKNOWN_ELEM, NULL, "unknown element '%s'", LYD_NAME(e));
	int op = node_op(e, inherited, err);
	if (op < 0)
		return -1;
	if (lysc_is_key(e->schema)) {
		if (op == NCE_DELETE || op == NCE_REMOVE || op == NCE_CREATE || op == NCE_REPLACE)
			if (e->meta)
				return fail(err, NC_ERR_BAD_ATTR, e, "a list key cannot be edited on its own");
		return 0;	/* matched with its list entry */
	}
	struct lyd_node *siblings = parent ? lyd_child(parent) : *first, *match = NULL;
	/* a leaf or container is the one instance of its schema node whatever its value;
	 * list entries and leaf-list values are found by keys and value */
	if (siblings && (e->schema->nodetype & (LYS_LIST | LYS_LEAFLIST)))
		lyd_find_sibling_first(siblings, e, &match);
	else if (siblings)
		lyd_find_sibling_val(siblings, e->schema, NULL, 0, &match);
	bool term = e->schema->nodetype & LYD_NODE_TERM;

	switch ((enum nce_op)op) {
	case NCE_DELETE:
		if (!match || (match->flags & LYD_DEFAULT))
			return fail(err, NC_ERR_DATA_MISSING, e, "delete: the node does not exist");
		/* fallthrough */
	case NCE_REMOVE:
		if (match)
			unlink_free(parent ? NULL : first, match);
		return 0;
	case NCE_CREATE:
		if (match && !(match->flags & LYD_DEFAULT))
			return fail(err, NC_ERR_DATA_EXISTS, e, "create: the node exists already");
		/* fallthrough */
	case NCE_REPLACE:
		if (match)
			unlink_free(parent ? NULL : first, match);
		return create(parent, first, e, (enum nce_op)op, err);
	case NCE_MERGE:
		if (!match)
			return create(parent, first, e, NCE_MERGE, err);
		if (term) {
			if (e->schema->nodetype == LYS_LEAF && lyd_change_term(match, lyd_get_value(e)) > LY_EEXIST)
				return fail(err, NC_ERR_INVALID_VALUE, e, "value '%s' not accepted", lyd_get_value(e));
			match->flags &= ~LYD_DEFAULT;
			return 0;
		}
		break;
	case NCE_NONE:
		if (!match)
			return term ? 0 : create(parent, first, e, NCE_NONE, err);
		if (term)
			return 0;
		break;
	}
	const struct lyd_node *c;
	LY_LIST_FOR(lyd_child(e), c)
		if (apply_node(match, NULL, c, (enum nce_op)op, err))
			return -1;
	return 0;
}

int nce_apply(struct lyd_node **target, const struct lyd_node *edit, enum nce_op default_op, struct nce_error *err)
{
	const struct lyd_node *e;
	memset(err, 0, sizeof(*err));
	if (default_op == NCE_REPLACE) {
		/* the <config> is the new content of the datastore */
		lyd_free_siblings(*target);
		*target = NULL;
		default_op = NCE_MERGE;
	}
	LY_LIST_FOR(edit, e)
		if (apply_node(NULL, target, e, default_op, err))
			return -1;
	return 0;
}

/* ---- subtree filters ---- */
struct xbuf {
	char *s;
	size_t len, cap;
	bool bad;
};

static void xadd(struct xbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void xadd(struct xbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->bad = true;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *s = realloc(b->s, cap);
		if (!s || cap > (1u << 20)) {
			free(s == b->s ? NULL : s);
			b->bad = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

static const char *fnode_value(const struct lyd_node *n)
{
	if (n->schema)
		return (n->schema->nodetype & LYD_NODE_TERM) ? lyd_get_value(n) : NULL;
	const char *v = ((const struct lyd_node_opaq *)n)->value;
	/* whitespace-only text is formatting, not a content match */
	if (v)
		for (const char *p = v; *p; p++)
			if (!strchr(" \t\r\n", *p))
				return v;
	return NULL;
}

static bool safe_literal(const char *v)
{
	return !strchr(v, '\'');
}

/* Emit the XPath of filter node n under `prefix` (its parent's path with predicates). */
static void walk(struct xbuf *b, const struct lyd_node *n, const char *prefix, const char *mod)
{
	char path[1024];
	int o = snprintf(path, sizeof(path), "%s/%s%s%s", prefix, mod ? mod : "", mod ? ":" : "", LYD_NAME(n));
	const struct lyd_node *c;
	bool has_select = false;
	/* content-match children: leaves with a value become predicates */
	LY_LIST_FOR(lyd_child(n), c) {
		const char *v = fnode_value(c);
		if (v && !lyd_child(c)) {
			if (!safe_literal(v)) {
				b->bad = true;
				return;
			}
			if (o > 0 && (size_t)o < sizeof(path))
				o += snprintf(path + o, sizeof(path) - (size_t)o, "[%s='%s']", LYD_NAME(c), v);
		} else {
			has_select = true;
		}
	}
	if (o < 0 || (size_t)o >= sizeof(path)) {
		b->bad = true;
		return;
	}
	if (!has_select) {
		xadd(b, "%s%s", b->len ? " | " : "", path);
		return;
	}
	/* containment: the content-match leaves themselves, then each selection */
	LY_LIST_FOR(lyd_child(n), c) {
		const char *v = fnode_value(c);
		if (v && !lyd_child(c))
			xadd(b, "%s%s/%s", b->len ? " | " : "", path, LYD_NAME(c));
		else
			walk(b, c, path, NULL);
	}
}

char *nce_subtree_to_xpath(const struct ly_ctx *ctx, const struct lyd_node *filter, char *why, size_t whylen)
{
	struct xbuf b = { 0 };
	const struct lyd_node *n;
	LY_LIST_FOR(filter, n) {
		const char *mod = NULL;
		if (n->schema) {
			mod = n->schema->module->name;
		} else {
			const struct lyd_node_opaq *o = (const struct lyd_node_opaq *)n;
			const struct lys_module *m = o->format == LY_VALUE_XML && o->name.module_ns
							 ? ly_ctx_get_module_implemented_ns(ctx, o->name.module_ns)
							 : NULL;
			if (!m) {
				/* a namespace we do not implement selects nothing */
				continue;
			}
			mod = m->name;
		}
		walk(&b, n, "", mod);
	}
	if (b.bad) {
		snprintf(why, whylen, "the subtree filter is too large or holds a quote in a content match");
		free(b.s);
		return NULL;
	}
	if (!b.s)
		snprintf(why, whylen, "the filter selects nothing");
	return b.s;
}
