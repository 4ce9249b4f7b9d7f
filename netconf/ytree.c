/* SPDX-License-Identifier: GPL-2.0-only */
/* ytree.c — the module's JSON (json-c) -> a libyang data tree, node by node.
 *
 * tsn-netconfd makes running's tree from tsnd's configuration at every change of
 * it; printing ym_to_yang's JSON and having libyang's JSON parser tokenize it
 * again was most of that time.  Here each member becomes lyd_new_inner /
 * lyd_new_list / lyd_new_term on the schema node of its name, and the JSON value
 * kinds are held to RFC 7951 as the parser holds them (a uint32 is a number, a
 * uint64 a string, ...), so a document the parser refuses is refused here too and
 * an accepted one gives the same tree (tests/unit/test_ytree.c compares the two
 * over the shipped and test configurations). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ytree.h"

struct yt {
	const struct ly_ctx *ctx;
	char *msg;
	size_t len;
};

static int yt_fail(struct yt *y, const struct lyd_node *parent, const char *name, const char *why)
{
	char path[400] = "";
	if (parent)
		lyd_path(parent, LYD_PATH_STD, path, sizeof(path));
	const struct ly_err_item *e = why ? NULL : ly_err_last(y->ctx);
	snprintf(y->msg, y->len, "%s at %s/%s", why ? why : e && e->msg ? e->msg : "invalid value", path, name);
	return -1;
}

/* The JSON kind RFC 7951 gives a value of this type (6.1-6.9): numbers for the
 * integers up to 32 bits, strings for 64-bit ones, decimal64 and the rest. */
static bool kind_fits(const struct lysc_type *t, json_object *v)
{
	enum json_type jt = json_object_get_type(v);
	switch (t->basetype) {
	case LY_TYPE_UINT8:
	case LY_TYPE_UINT16:
	case LY_TYPE_UINT32:
	case LY_TYPE_INT8:
	case LY_TYPE_INT16:
	case LY_TYPE_INT32:
		return jt == json_type_int;
	case LY_TYPE_BOOL:
		return jt == json_type_boolean;
	case LY_TYPE_UNION: {
		const struct lysc_type_union *u = (const struct lysc_type_union *)t;
		LY_ARRAY_COUNT_TYPE i;
		LY_ARRAY_FOR(u->types, i)
		{
			if (kind_fits(u->types[i], v))
				return true;
		}
		return false;
	}
	case LY_TYPE_EMPTY:
		return false;	/* [null]: the module has none */
	default:
		return jt == json_type_string;
	}
}

/* One scalar as the string lyd_new_term takes. */
static const char *term_str(json_object *v, char *buf, size_t len)
{
	switch (json_object_get_type(v)) {
	case json_type_int:
		snprintf(buf, len, "%" PRId64, json_object_get_int64(v));
		return buf;
	case json_type_boolean:
		return json_object_get_boolean(v) ? "true" : "false";
	default:
		return json_object_get_string(v);
	}
}

static int term(struct yt *y, struct lyd_node *parent, const struct lysc_node *s, json_object *v)
{
	char buf[32];
	if (!kind_fits(((const struct lysc_node_leaf *)s)->type, v))
		return yt_fail(y, parent, s->name, "a value of the wrong JSON kind for its type");
	if (lyd_new_term(parent, NULL, s->name, term_str(v, buf, sizeof(buf)), 0, NULL))
		return yt_fail(y, parent, s->name, NULL);
	return 0;
}

static int members(struct yt *y, struct lyd_node *parent, json_object *obj);

/* One list entry: the keys (schema order) at creation, then the other members. */
static int list_entry(struct yt *y, struct lyd_node *parent, const struct lysc_node *s, json_object *e)
{
	const char *kv[4];
	char bufs[4][32];
	size_t nk = 0;
	if (!json_object_is_type(e, json_type_object))
		return yt_fail(y, parent, s->name, "a list entry that is not an object");
	for (const struct lysc_node *k = lysc_node_child(s); k && lysc_is_key(k); k = k->next) {
		json_object *v;
		if (nk == 4)
			return yt_fail(y, parent, s->name, "a list of more than 4 keys");
		if (!json_object_object_get_ex(e, k->name, &v))
			return yt_fail(y, parent, s->name, "a list entry without its key");
		if (!kind_fits(((const struct lysc_node_leaf *)k)->type, v))
			return yt_fail(y, parent, k->name, "a key of the wrong JSON kind for its type");
		kv[nk] = term_str(v, bufs[nk], sizeof(bufs[nk]));
		nk++;
	}
	struct lyd_node *n = NULL;
	LY_ERR r;
	switch (nk) {
	case 0:
		r = lyd_new_list(parent, NULL, s->name, 0, &n);
		break;
	case 1:
		r = lyd_new_list(parent, NULL, s->name, 0, &n, kv[0]);
		break;
	case 2:
		r = lyd_new_list(parent, NULL, s->name, 0, &n, kv[0], kv[1]);
		break;
	case 3:
		r = lyd_new_list(parent, NULL, s->name, 0, &n, kv[0], kv[1], kv[2]);
		break;
	default:
		r = lyd_new_list(parent, NULL, s->name, 0, &n, kv[0], kv[1], kv[2], kv[3]);
		break;
	}
	if (r)
		return yt_fail(y, parent, s->name, NULL);
	return members(y, n, e);
}

/* The members of `obj` as children of `parent` (keys of a list entry are there already). */
static int members(struct yt *y, struct lyd_node *parent, json_object *obj)
{
	const struct lysc_node *ps = parent->schema;
	json_object_object_foreach(obj, name, v) {
		const struct lysc_node *s = lys_find_child(ps, ps->module, name, 0, 0, 0);
		if (!s || (s->flags & LYS_CONFIG_R))
			return yt_fail(y, parent, name, "no such configuration node in the module");
		switch (s->nodetype) {
		case LYS_CONTAINER: {
			struct lyd_node *n = NULL;
			if (!json_object_is_type(v, json_type_object))
				return yt_fail(y, parent, name, "a container that is not an object");
			if (lyd_new_inner(parent, NULL, name, 0, &n))
				return yt_fail(y, parent, name, NULL);
			if (members(y, n, v))
				return -1;
			break;
		}
		case LYS_LIST:
			if (!json_object_is_type(v, json_type_array))
				return yt_fail(y, parent, name, "a list that is not an array");
			for (size_t i = 0; i < json_object_array_length(v); i++)
				if (list_entry(y, parent, s, json_object_array_get_idx(v, i)))
					return -1;
			break;
		case LYS_LEAF:
			if (ps->nodetype == LYS_LIST && lysc_is_key(s))
				break;	/* made with the entry */
			if (term(y, parent, s, v))
				return -1;
			break;
		case LYS_LEAFLIST:
			if (!json_object_is_type(v, json_type_array))
				return yt_fail(y, parent, name, "a leaf-list that is not an array");
			for (size_t i = 0; i < json_object_array_length(v); i++)
				if (term(y, parent, s, json_object_array_get_idx(v, i)))
					return -1;
			break;
		default:
			return yt_fail(y, parent, name, "a node kind the configuration does not use");
		}
	}
	return 0;
}

struct lyd_node *yt_build(const struct ly_ctx *ctx, json_object *yang, char *msg, size_t len)
{
	struct yt y = { ctx, msg, len };
	struct lyd_node *tree = NULL;
	if (!json_object_is_type(yang, json_type_object)) {
		snprintf(msg, len, "the document is not an object");
		return NULL;
	}
	json_object_object_foreach(yang, qname, v) {
		/* top level: "module:name" */
		const char *colon = strchr(qname, ':');
		char mname[64];
		const struct lys_module *mod = NULL;
		if (colon && (size_t)(colon - qname) < sizeof(mname)) {
			snprintf(mname, sizeof(mname), "%.*s", (int)(colon - qname), qname);
			mod = ly_ctx_get_module_implemented(ctx, mname);
		}
		const struct lysc_node *s = mod ? lys_find_child(NULL, mod, colon + 1, 0, LYS_CONTAINER, 0) : NULL;
		struct lyd_node *top = NULL;
		if (!s || !json_object_is_type(v, json_type_object)) {
			snprintf(msg, len, "%s: not a top-level container of a loaded module", qname);
			goto fail;
		}
		if (lyd_new_inner(NULL, mod, s->name, 0, &top)) {
			yt_fail(&y, NULL, qname, NULL);
			goto fail;
		}
		if (tree)
			lyd_insert_sibling(tree, top, &tree);
		else
			tree = top;
		if (members(&y, top, v))
			goto fail;
	}
	if (lyd_validate_all(&tree, ctx, LYD_VALIDATE_NO_STATE, NULL)) {
		const struct ly_err_item *e = ly_err_last(ctx);
		snprintf(msg, len, "%s%s%s", e && e->msg ? e->msg : "invalid data", e && e->path ? " at " : "",
			 e && e->path ? e->path : "");
		goto fail;
	}
	return tree;
fail:
	lyd_free_siblings(tree);
	return NULL;
}

/* ---- tree -> JSON ---- */
/* One value in the JSON kind RFC 7951 gives its (resolved) type. */
static json_object *val_json(const struct lyd_node *n)
{
	const struct lyd_value *v = &((const struct lyd_node_term *)n)->value;
	const struct lysc_type *t = v->realtype;
	const char *s = lyd_get_value(n);
	if (t->basetype == LY_TYPE_UNION && v->subvalue)
		t = v->subvalue->value.realtype;
	switch (t->basetype) {
	case LY_TYPE_UINT8:
	case LY_TYPE_UINT16:
	case LY_TYPE_UINT32:
	case LY_TYPE_INT8:
	case LY_TYPE_INT16:
	case LY_TYPE_INT32:
		return json_object_new_int64(strtoll(s, NULL, 10));
	case LY_TYPE_BOOL:
		return json_object_new_boolean(!strcmp(s, "true"));
	case LY_TYPE_EMPTY: {
		json_object *a = json_object_new_array();
		json_object_array_add(a, NULL);
		return a;
	}
	default:
		return json_object_new_string(s);
	}
}

/* The array of a list's or leaf-list's instances under `name` (made at the first). */
static json_object *array_of(json_object *out, const char *name)
{
	json_object *a;
	if (!json_object_object_get_ex(out, name, &a)) {
		a = json_object_new_array();
		json_object_object_add(out, name, a);
	}
	return a;
}

static int to_json(const struct lyd_node *first, const struct lysc_node *parent, json_object *out)
{
	for (const struct lyd_node *n = first; n; n = n->next) {
		const struct lysc_node *s = n->schema;
		if (!s)
			return -1;	/* an opaque node: not data of the modules */
		if (n->flags & LYD_DEFAULT)
			continue;	/* with-defaults "explicit": what was not set is left out */
		char qname[160];
		const char *name = s->name;
		if (!parent || parent->module != s->module) {
			snprintf(qname, sizeof(qname), "%s:%s", s->module->name, s->name);
			name = qname;
		}
		json_object *o;
		switch (s->nodetype) {
		case LYS_CONTAINER:
			o = json_object_new_object();
			json_object_object_add(out, name, o);
			if (to_json(lyd_child(n), s, o))
				return -1;
			break;
		case LYS_LIST:
			o = json_object_new_object();
			json_object_array_add(array_of(out, name), o);
			if (to_json(lyd_child(n), s, o))
				return -1;
			break;
		case LYS_LEAF:
			json_object_object_add(out, name, val_json(n));
			break;
		case LYS_LEAFLIST:
			json_object_array_add(array_of(out, name), val_json(n));
			break;
		default:
			return -1;
		}
	}
	return 0;
}

json_object *yt_to_json(const struct lyd_node *tree)
{
	json_object *out = json_object_new_object();
	if (to_json(tree, NULL, out)) {
		json_object_put(out);
		return NULL;
	}
	return out;
}

/* ---- a committed tree made tsnd's (yt_adopt) ---- */

static struct lyd_node *child_named(struct lyd_node *first, const char *name)
{
	for (struct lyd_node *n = first; n; n = n->next)
		if (n->schema && !strcmp(n->schema->name, name))
			return n;
	return NULL;
}

static bool empty_array(json_object *v)
{
	return json_object_is_type(v, json_type_array) && !json_object_array_length(v);
}

/* The members of `y` (what yt_build would make the children of a node of) against
 * those of `w` (walked from the node's children `first`).  Arrays in order: the
 * order of list entries is data. */
static int adopt(struct lyd_node *first, json_object *y, json_object *w)
{
	json_object *wv;
	json_object_object_foreach(y, name, v) {
		bool has = json_object_object_get_ex(w, name, &wv);
		if (json_object_is_type(v, json_type_array)) {
			size_t n = json_object_array_length(v);
			if (!has) {
				if (n)
					return -1;
				continue;	/* an empty list makes no node */
			}
			if (!json_object_is_type(wv, json_type_array) || json_object_array_length(wv) != n)
				return -1;
			struct lyd_node *c = child_named(first, name);
			for (size_t i = 0; i < n; i++, c = c ? c->next : NULL) {
				json_object *vi = json_object_array_get_idx(v, i), *wi = json_object_array_get_idx(wv, i);
				if (c && c->schema->nodetype == LYS_LIST && !strcmp(c->schema->name, name) &&
				    json_object_is_type(vi, json_type_object) && json_object_is_type(wi, json_type_object)) {
					if (adopt(lyd_child(c), vi, wi))
						return -1;
				} else if (!json_object_equal(vi, wi)) {
					return -1;	/* a leaf-list's values, or no such entry */
				}
			}
		} else if (json_object_is_type(v, json_type_object)) {
			struct lyd_node *c = child_named(first, name);
			if (!c || !(c->schema->nodetype & LYS_CONTAINER))
				return -1;
			/* a container the walk left out holds only defaults */
			json_object *none = has ? NULL : json_object_new_object();
			int r = has && !json_object_is_type(wv, json_type_object) ? -1 : adopt(lyd_child(c), v, has ? wv : none);
			json_object_put(none);
			if (r)
				return -1;
		} else if (has) {
			if (!json_object_equal(v, wv))
				return -1;
		} else {
			/* set here, a default in the tree: the same value, made explicit */
			struct lyd_node *c = child_named(first, name);
			char buf[32];
			if (!c || c->schema->nodetype != LYS_LEAF || !(c->flags & LYD_DEFAULT) ||
			    !kind_fits(((const struct lysc_node_leaf *)c->schema)->type, v) ||
			    strcmp(lyd_get_value(c), term_str(v, buf, sizeof(buf))) ||
			    lyd_change_term(c, term_str(v, buf, sizeof(buf))) != LY_EEXIST)
				return -1;
		}
	}
	json_object_object_foreach(w, wname, wval) {
		if (!json_object_object_get_ex(y, wname, &wv) && !empty_array(wval))
			return -1;
	}
	return 0;
}

int yt_adopt(struct lyd_node *tree, json_object *yang, json_object *walked)
{
	if (!json_object_is_type(yang, json_type_object) || !json_object_is_type(walked, json_type_object))
		return -1;
	json_object *wv;
	json_object_object_foreach(yang, qname, v) {
		const char *colon = strchr(qname, ':');
		struct lyd_node *top = NULL;
		for (struct lyd_node *n = tree; n && colon; n = n->next)
			if (n->schema && !strncmp(n->schema->module->name, qname, (size_t)(colon - qname)) &&
			    !n->schema->module->name[colon - qname] && !strcmp(n->schema->name, colon + 1))
				top = n;
		if (!top || !json_object_is_type(v, json_type_object) || !json_object_object_get_ex(walked, qname, &wv) ||
		    !json_object_is_type(wv, json_type_object) || adopt(lyd_child(top), v, wv))
			return -1;
	}
	json_object_object_foreach(walked, wq, wval) {
		(void)wval;
		if (!json_object_object_get_ex(yang, wq, &wv))
			return -1;
	}
	return 0;
}
