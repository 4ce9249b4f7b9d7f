/* SPDX-License-Identifier: GPL-2.0-only */
/* yaml_tree.c — one YAML document from libyaml's event stream: a scan that checks
 * and counts, then a whole tree or a forward-only walk (see yaml_tree.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsn/config.h"
#include "yaml_tree.h"

/* ---- anchors: name -> node, by hash ----
 * Both passes look names up (a linear search made 100 000 anchors quadratic). */
struct anchor {
	uint32_t name;		/* offset + 1 into names; 0: a free slot */
	int32_t node;		/* in the tree; -1 until the walk records it */
	struct ymark mark;
};

struct anchors {
	struct anchor *slot;
	size_t size, used;	/* size: a power of two, or 0 */
	char *names;
	size_t names_len, names_cap;
};

static uint32_t hash_text(const char *s, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* Grow *arr (of *cap elements of size) to hold one more than n. */
static bool room(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return true;
	size_t cap2 = *cap ? *cap * 2 : 64;
	void *p = realloc(*arr, cap2 * size);
	if (!p)
		return false;
	*arr = p;
	*cap = cap2;
	return true;
}

static struct anchor *anchor_find(const struct anchors *a, const char *name)
{
	if (!a->size)
		return NULL;
	for (size_t i = hash_text(name, strlen(name)) & (a->size - 1);; i = (i + 1) & (a->size - 1)) {
		struct anchor *e = &a->slot[i];
		if (!e->name)
			return NULL;
		if (strcmp(a->names + e->name - 1, name) == 0)
			return e;
	}
}

/* Add a name not yet there; false when memory runs out. */
static bool anchor_add(struct anchors *a, const char *name, struct ymark mark)
{
	size_t len = strlen(name);

	if ((a->used + 1) * 2 > a->size) {
		size_t size = a->size ? a->size * 2 : 64;
		struct anchor *slot = calloc(size, sizeof(*slot));
		if (!slot)
			return false;
		for (size_t i = 0; i < a->size; i++) {
			if (!a->slot[i].name)
				continue;
			const char *n = a->names + a->slot[i].name - 1;
			size_t j = hash_text(n, strlen(n)) & (size - 1);
			while (slot[j].name)
				j = (j + 1) & (size - 1);
			slot[j] = a->slot[i];
		}
		free(a->slot);
		a->slot = slot;
		a->size = size;
	}
	while (a->names_len + len + 1 > a->names_cap)
		if (!room((void **)&a->names, &a->names_cap, a->names_cap, 1))
			return false;
	memcpy(a->names + a->names_len, name, len + 1);
	size_t j = hash_text(name, len) & (a->size - 1);
	while (a->slot[j].name)
		j = (j + 1) & (a->size - 1);
	a->slot[j] = (struct anchor){ .name = (uint32_t)a->names_len + 1, .node = -1, .mark = mark };
	a->names_len += len + 1;
	a->used++;
	return true;
}

static void anchors_free(struct anchors *a)
{
	free(a->slot);
	free(a->names);
	memset(a, 0, sizeof(*a));
}

/* The text to read: in memory, or a file read from its start on each pass (so
 * that a large file is not held in memory while it is walked). */
struct yinput {
	const char *text;
	size_t len;
	FILE *file;
};

/* A file read to its size when it was opened, not further: a file that grows
 * meanwhile costs no more. */
struct yreader {
	FILE *file;
	size_t left;
};

static int read_bounded(void *data, unsigned char *buf, size_t size, size_t *got)
{
	struct yreader *r = data;

	if (size > r->left)
		size = r->left;
	*got = size ? fread(buf, 1, size, r->file) : 0;
	r->left -= *got;
	return !ferror(r->file);
}

static bool set_input(yaml_parser_t *p, const struct yinput *in, struct yreader *r)
{
	if (!in->file) {
		yaml_parser_set_input_string(p, (const unsigned char *)in->text, in->len);
		return true;
	}
	if (fseek(in->file, 0, SEEK_SET) != 0)
		return false;
	clearerr(in->file);
	*r = (struct yreader){ .file = in->file, .left = in->len };
	yaml_parser_set_input(p, read_bounded, r);
	return true;
}

/* ---- pass 1: the scan ----
 * Children per collection, in the order collections start: a byte each, 255
 * and more in a sorted side list. */
struct big_count {
	uint32_t coll, n;
};

struct counts {
	uint8_t *small;
	size_t n, cap;
	struct big_count *big;
	size_t n_big, cap_big;
};

struct scan {
	struct counts *counts;
	struct anchors *anchors;
	struct ytree_error *err;
	uint32_t open_coll[YTREE_MAX_DEPTH + 1];	/* open collections: index, children */
	uint32_t open_n[YTREE_MAX_DEPTH + 1];
	size_t depth;
	long anchored_from;	/* depth where an anchored collection opened, -1: none */
	size_t anchored;	/* events under anchors */
};

static int fail(struct ytree_error *err, const char *problem, yaml_mark_t mark, const char *context,
		yaml_mark_t context_mark)
{
	err->problem = problem;
	err->problem_mark = mark;
	err->context = context;
	err->context_mark = context_mark;
	return -1;
}

static int out_of_memory(struct ytree_error *err, yaml_mark_t mark)
{
	return fail(err, "out of memory", mark, NULL, mark);
}

static int next_event(yaml_parser_t *p, yaml_event_t *ev, struct ytree_error *err)
{
	if (yaml_parser_parse(p, ev))
		return 0;
	return fail(err, p->problem ? p->problem : "unknown", p->problem_mark, p->context, p->context_mark);
}

static struct ymark ymark_of(yaml_mark_t m)
{
	return (struct ymark){ .line = (uint32_t)m.line, .column = (uint32_t)m.column };
}

static yaml_char_t *event_anchor(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT: return ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT: return ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT: return ev->data.mapping_start.anchor;
	default: return NULL;
	}
}

static bool is_node_start(const yaml_event_t *ev)
{
	return ev->type == YAML_SCALAR_EVENT || ev->type == YAML_ALIAS_EVENT ||
	       ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT;
}

static int scan_event(struct scan *s, const yaml_event_t *ev)
{
	const char *anchor = (const char *)event_anchor(ev);

	if (is_node_start(ev) && s->depth)
		s->open_n[s->depth - 1]++;
	if (anchor) {
		const struct anchor *a = anchor_find(s->anchors, anchor);
		if (a) {
			yaml_mark_t first = { .line = a->mark.line, .column = a->mark.column };
			return fail(s->err, "second occurrence", ev->start_mark,
				    "found duplicate anchor; first occurrence", first);
		}
		if (!anchor_add(s->anchors, anchor, ymark_of(ev->start_mark)))
			return out_of_memory(s->err, ev->start_mark);
	}
	if (ev->type == YAML_ALIAS_EVENT && !anchor_find(s->anchors, (const char *)ev->data.alias.anchor))
		return fail(s->err, "found undefined alias", ev->start_mark, NULL, ev->start_mark);
	/* what the walk will keep as a tree: bounded, whatever the file's size */
	if (is_node_start(ev) && (s->anchored_from >= 0 || anchor)) {
		if (++s->anchored > YTREE_MAX_ANCHORED)
			return fail(s->err, "more than " YTREE_MAX_ANCHORED_TEXT " nodes under anchors",
				    ev->start_mark, NULL, ev->start_mark);
		if (s->anchored_from < 0 && ev->type != YAML_SCALAR_EVENT)
			s->anchored_from = (long)s->depth;
	}
	if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT) {
		/* libyaml has no depth limit and its scanner works per token over every
		 * open flow level: 200 KB of '[' took 21 s.  The depth is refused at the
		 * first event beyond the limit, before libyaml goes deeper. */
		if (s->depth >= YTREE_MAX_DEPTH)
			return fail(s->err, "collections nested deeper than " YTREE_MAX_DEPTH_TEXT " levels",
				    ev->start_mark, NULL, ev->start_mark);
		struct counts *c = s->counts;
		if (c->n >= UINT32_MAX || !room((void **)&c->small, &c->cap, c->n, 1))
			return out_of_memory(s->err, ev->start_mark);
		s->open_coll[s->depth] = (uint32_t)c->n++;
		s->open_n[s->depth] = 0;
		s->depth++;
	} else if ((ev->type == YAML_SEQUENCE_END_EVENT || ev->type == YAML_MAPPING_END_EVENT) && s->depth) {
		struct counts *c = s->counts;
		s->depth--;
		uint32_t coll = s->open_coll[s->depth], n = s->open_n[s->depth];
		c->small[coll] = n < 255 ? (uint8_t)n : 255;
		if (n >= 255) {
			if (!room((void **)&c->big, &c->cap_big, c->n_big, sizeof(*c->big)))
				return out_of_memory(s->err, ev->end_mark);
			c->big[c->n_big++] = (struct big_count){ .coll = coll, .n = n };
		}
		if ((long)s->depth == s->anchored_from)
			s->anchored_from = -1;
	}
	return 0;
}

static int cmp_big(const void *a, const void *b)
{
	const struct big_count *x = a, *y = b;
	return x->coll < y->coll ? -1 : x->coll > y->coll;
}

static uint32_t count_of(const struct counts *c, uint32_t coll)
{
	if (coll >= c->n)
		return 0;
	if (c->small[coll] < 255)
		return c->small[coll];
	struct big_count key = { .coll = coll };
	const struct big_count *b = bsearch(&key, c->big, c->n_big, sizeof(*c->big), cmp_big);
	return b ? b->n : 0;
}

/* Pass 1.  Returns 0, 1 (a second document follows), -1 (an error, *err). */
static int scan_text(const struct yinput *in, struct counts *counts, struct anchors *anchors,
		     struct ytree_error *err, yaml_mark_t *second_mark, bool *empty)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct scan s = { .counts = counts, .anchors = anchors, .err = err, .anchored_from = -1 };
	int rc = -1;

	err->in_first_document = true;
	*empty = false;
	if (!yaml_parser_initialize(&p)) {
		err->problem = "out of memory";
		return -1;
	}
	struct yreader reader;
	if (!set_input(&p, in, &reader)) {
		err->problem = "cannot read the file from its start";
		goto out;
	}
	/* The stream's start, then a document's start or the stream's end. */
	if (next_event(&p, &ev, err) < 0)
		goto out;
	yaml_event_delete(&ev);
	if (next_event(&p, &ev, err) < 0)
		goto out;
	yaml_event_type_t type = ev.type;
	yaml_event_delete(&ev);
	if (type == YAML_STREAM_END_EVENT) {
		*empty = true;
		rc = 0;
		goto out;
	}
	for (;;) {
		if (next_event(&p, &ev, err) < 0)
			goto out;
		type = ev.type;
		int r = type == YAML_DOCUMENT_END_EVENT ? 0 : scan_event(&s, &ev);
		yaml_event_delete(&ev);
		if (r < 0)
			goto out;
		if (type == YAML_DOCUMENT_END_EVENT)
			break;
	}
	if (counts->n_big)	/* qsort's base may not be NULL, even for 0 items */
		qsort(counts->big, counts->n_big, sizeof(*counts->big), cmp_big);
	/* Another document?  Read to its end, so that its syntax errors are told. */
	err->in_first_document = false;
	if (next_event(&p, &ev, err) < 0)
		goto out;
	type = ev.type;
	yaml_event_delete(&ev);
	rc = 0;
	if (type != YAML_DOCUMENT_START_EVENT)
		goto out;
	bool first = true;
	for (;;) {
		if (next_event(&p, &ev, err) < 0) {
			rc = -1;
			break;
		}
		type = ev.type;
		if (first) {
			*second_mark = ev.start_mark;
			first = false;
		}
		yaml_event_delete(&ev);
		if (type == YAML_DOCUMENT_END_EVENT) {
			rc = 1;
			break;
		}
	}
out:
	yaml_parser_delete(&p);
	return rc;
}

/* ---- the tree builder (the whole document, or the anchored subtrees) ---- */

/* A collection being read: its node, and where its children start on the stack. */
struct open_collection {
	int node;
	size_t first_child;
};

/* Short texts seen lately, by hash: a key such as "identification" is kept once,
 * not once for every stream. */
#define SEEN_SLOTS 4096
#define SEEN_MAX_LEN 32

struct builder {
	struct ytree *t;
	struct anchors *anchors;	/* from the scan: names unique, aliases defined */
	const char **seen;		/* SEEN_SLOTS texts in the tree's chunks, or NULL */
	uint32_t *stack;		/* children of the open collections, in order */
	size_t n_stack, cap_stack;
	struct open_collection *open;
	size_t n_open, cap_open;
};

/* The new node index becomes the next child of the innermost open collection. */
static bool add_child(struct builder *b, int node)
{
	if (!room((void **)&b->stack, &b->cap_stack, b->n_stack, sizeof(*b->stack)))
		return false;
	b->stack[b->n_stack++] = (uint32_t)node;
	return true;
}

static int new_node(struct builder *b, yaml_node_type_t type, yaml_mark_t mark)
{
	struct ytree *t = b->t;

	if (t->n_nodes >= (size_t)INT32_MAX ||
	    !room((void **)&t->nodes, &t->cap_nodes, t->n_nodes, sizeof(*t->nodes)))
		return -1;
	struct ynode *n = &t->nodes[t->n_nodes];
	memset(n, 0, sizeof(*n));
	n->type = (uint8_t)type;
	n->mark = ymark_of(mark);
	return (int)t->n_nodes++;
}

/* A copy of text (len bytes and a NUL) in the tree's chunks, or NULL. */
static const char *keep_text(struct builder *b, const char *text, size_t len)
{
	struct ytree *t = b->t;
	struct ytext_chunk *c = t->texts;
	const char **seen = NULL;

	if (b->seen && len <= SEEN_MAX_LEN) {
		seen = &b->seen[hash_text(text, len) % SEEN_SLOTS];
		/* Lengths first: a shorter text may end its chunk, so memcmp over len
		 * bytes would read past it.  A text with a NUL inside is never shared. */
		if (*seen && strnlen(*seen, len + 1) == len && memcmp(*seen, text, len) == 0)
			return *seen;
	}

	if (!c || c->size - c->used < len + 1) {
		/* chunks of 64 KiB, or one of its own for a long value; the rest of
		 * a full chunk (less than the value) is left unused */
		size_t size = len + 1 > 65536 - sizeof(*c) ? len + 1 : 65536 - sizeof(*c);
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = t->texts;
		t->texts = c;
		t->text_bytes += size;
	}
	char *p = c->data + c->used;
	memcpy(p, text, len);
	p[len] = '\0';
	c->used += len + 1;
	if (seen)
		*seen = p;
	return p;
}

/* The scan saw the anchor's name: remember its node. */
static void set_anchor(struct builder *b, const yaml_char_t *anchor, int node)
{
	struct anchor *a = anchor ? anchor_find(b->anchors, (const char *)anchor) : NULL;
	if (a)
		a->node = node;
}

/* One event into the tree; false when memory runs out. */
static bool build_event(struct builder *b, const yaml_event_t *ev)
{
	struct ytree *t = b->t;
	int node;

	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		node = new_node(b, YAML_SCALAR_NODE, ev->start_mark);
		const char *text = node < 0 ? NULL : keep_text(b, (const char *)ev->data.scalar.value,
							       ev->data.scalar.length);
		if (!text)
			return false;
		struct ynode *n = &t->nodes[node];
		n->text = text;
		n->len = (uint32_t)ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		set_anchor(b, ev->data.scalar.anchor, node);
		return add_child(b, node);
	}
	case YAML_ALIAS_EVENT: {
		const struct anchor *a = anchor_find(b->anchors, (const char *)ev->data.alias.anchor);
		/* (defined: the scan checked it) */
		return !a || a->node < 0 || add_child(b, a->node);
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		node = new_node(b, ev->type == YAML_MAPPING_START_EVENT ? YAML_MAPPING_NODE : YAML_SEQUENCE_NODE,
				ev->start_mark);
		if (node < 0 || !add_child(b, node) ||
		    !room((void **)&b->open, &b->cap_open, b->n_open, sizeof(*b->open)))
			return false;
		set_anchor(b, event_anchor(ev), node);
		b->open[b->n_open++] = (struct open_collection){ .node = node, .first_child = b->n_stack };
		return true;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		if (!b->n_open)
			return true;
		/* the children on the stack move to the tree's array, in one piece */
		struct open_collection oc = b->open[--b->n_open];
		size_t n = b->n_stack - oc.first_child;
		while (t->n_kids + n > t->cap_kids)
			if (!room((void **)&t->kids, &t->cap_kids, t->cap_kids, sizeof(*t->kids)))
				return false;
		memcpy(t->kids + t->n_kids, b->stack + oc.first_child, n * sizeof(*t->kids));
		t->nodes[oc.node].first = (uint32_t)t->n_kids;
		t->nodes[oc.node].n = (uint32_t)n;
		t->n_kids += n;
		b->n_stack = oc.first_child;
		return true;
	}
	default:
		return true;
	}
}

static void builder_free(struct builder *b)
{
	free(b->seen);
	free(b->stack);
	free(b->open);
	memset(b, 0, sizeof(*b));
}

/* ---- pass 2, YTREE_STREAM: the walk's state ---- */

/* The nodes handed out for the children of a level: two, a mapping's key and value. */
struct yslot {
	struct ynode node;
	char *owned;		/* the scalar's text, taken from its event */
};

struct ylevel {
	const struct ynode *node;	/* the open collection handed out at this depth */
	uint32_t done;			/* children read so far */
};

struct ystream {
	yaml_parser_t p;
	bool parser_ready, failed;
	bool changed;			/* the text differs from what the scan read */
	struct yreader reader;
	struct counts counts;
	uint32_t next_coll;		/* collections started so far */
	struct anchors anchors;
	struct builder b;		/* the anchored subtrees */
	bool recording;			/* inside an anchored subtree */
	struct ylevel open[YTREE_MAX_DEPTH + 1];
	size_t n_open;
	struct yslot slots[YTREE_MAX_DEPTH + 2][2];
};

static bool is_stream_node(const struct ystream *s, const struct ynode *n)
{
	const char *p = (const char *)n;
	return s && p >= (const char *)s->slots && p < (const char *)s->slots + sizeof(s->slots);
}

/* The next event; anchored subtrees go into the tree on the way. */
static bool pull(struct ystream *s, yaml_event_t *ev)
{
	if (s->failed || !yaml_parser_parse(&s->p, ev)) {
		s->changed |= !s->failed && s->p.error != YAML_MEMORY_ERROR;	/* the scan read it well */
		s->failed = true;
		return false;
	}
	if (!s->recording && event_anchor(ev) && is_node_start(ev))
		s->recording = true;
	if (s->recording) {
		if (!build_event(&s->b, ev)) {
			s->failed = true;
			yaml_event_delete(ev);
			return false;
		}
		s->recording = s->b.n_open > 0;
	}
	if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT)
		s->next_coll++;
	return true;
}

/* Read past the rest of the collection just started (or of the innermost open
 * one): its end event, whatever is inside. */
static bool skip_collection(struct ystream *s)
{
	yaml_event_t ev;
	size_t level = 0;

	for (;;) {
		if (!pull(s, &ev))
			return false;
		yaml_event_type_t type = ev.type;
		yaml_event_delete(&ev);
		if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) {
			level++;
		} else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
			if (!level)
				return true;
			level--;
		} else if (type == YAML_DOCUMENT_END_EVENT || type == YAML_STREAM_END_EVENT) {
			s->failed = s->changed = true;	/* not what the scan counted */
			return false;
		}
	}
}

/* The node that ev starts, at depth (a child's slot alternates with its index). */
static const struct ynode *take_node(struct ytree *t, yaml_event_t *ev, size_t depth, size_t index)
{
	struct ystream *s = t->s;

	if (ev->type == YAML_ALIAS_EVENT) {
		const struct anchor *a = anchor_find(&s->anchors, (const char *)ev->data.alias.anchor);
		if (!a || a->node < 0) {
			s->failed = true;
			return NULL;
		}
		return &t->nodes[a->node];
	}
	if (!is_node_start(ev) || depth > YTREE_MAX_DEPTH) {
		s->failed = s->changed = true;	/* not what the scan counted */
		return NULL;
	}
	struct yslot *slot = &s->slots[depth][index & 1];
	free(slot->owned);
	slot->owned = NULL;
	memset(&slot->node, 0, sizeof(slot->node));
	slot->node.mark = ymark_of(ev->start_mark);
	slot->node.depth = (uint8_t)depth;
	if (ev->type == YAML_SCALAR_EVENT) {
		slot->node.type = YAML_SCALAR_NODE;
		slot->owned = (char *)ev->data.scalar.value;	/* taken over */
		ev->data.scalar.value = NULL;
		slot->node.text = slot->owned ? slot->owned : "";
		slot->node.len = (uint32_t)ev->data.scalar.length;
		slot->node.plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return &slot->node;
	}
	slot->node.type = ev->type == YAML_MAPPING_START_EVENT ? YAML_MAPPING_NODE : YAML_SEQUENCE_NODE;
	slot->node.n = count_of(&s->counts, s->next_coll - 1);
	s->open[depth] = (struct ylevel){ .node = &slot->node, .done = 0 };
	s->n_open = depth + 1;
	return &slot->node;
}

static const struct ynode *stream_root(struct ytree *t)
{
	yaml_event_t ev;

	for (;;) {	/* past the stream's and the document's start */
		if (!pull(t->s, &ev))
			return NULL;
		if (is_node_start(&ev))
			break;
		yaml_event_delete(&ev);
	}
	const struct ynode *n = take_node(t, &ev, 0, 0);
	yaml_event_delete(&ev);
	return n;
}

static const struct ynode *stream_kid(struct ytree *t, const struct ynode *n, size_t i)
{
	struct ystream *s = t->s;
	size_t d = n->depth;	/* (a mismatch with the scan's counts: the file changed) */
	yaml_event_t ev;

	if (s->failed || n->type == YAML_SCALAR_NODE || i >= n->n || d >= s->n_open || s->open[d].node != n)
		return NULL;
	while (s->n_open > d + 1) {	/* what the walker left of a deeper collection */
		if (!skip_collection(s))
			return NULL;
		s->n_open--;
	}
	struct ylevel *l = &s->open[d];
	if (i < l->done)
		return NULL;	/* forward only */
	while (l->done < i) {	/* children the walker skips */
		if (!pull(s, &ev))
			return NULL;
		yaml_event_type_t type = ev.type;
		yaml_event_delete(&ev);
		l->done++;
		if ((type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) && !skip_collection(s))
			return NULL;
	}
	if (!pull(s, &ev))
		return NULL;
	l->done++;
	const struct ynode *kid = take_node(t, &ev, d + 1, i);
	yaml_event_delete(&ev);
	return kid;
}

const struct ynode *ytree_kid(struct ytree *t, const struct ynode *n, size_t i)
{
	if (!n)
		return NULL;
	if (is_stream_node(t->s, n))
		return stream_kid(t, n, i);
	return i < n->n ? ytree_node(t, (int)t->kids[n->first + i]) : NULL;
}

const char *ytree_failed(const struct ytree *t)
{
	if (!t->s || !t->s->failed)
		return NULL;
	return t->s->changed ? "the file changed while it was read" : "out of memory";
}

/* ---- loading ---- */

static int load(struct ytree *t, const struct yinput *in, enum ytree_mode mode, struct ytree_error *err,
		yaml_mark_t *second_mark, const struct ynode **root)
{
	struct ystream *s = calloc(1, sizeof(*s));
	bool empty;

	memset(t, 0, sizeof(*t));
	memset(err, 0, sizeof(*err));
	t->root = -1;
	*root = NULL;
	if (!s) {
		err->problem = "out of memory";
		return -1;
	}
	t->s = s;
	int rc = scan_text(in, &s->counts, &s->anchors, err, second_mark, &empty);
	if ((rc < 0 && err->in_first_document) || empty)
		return rc;
	if (!yaml_parser_initialize(&s->p))
		return out_of_memory(err, err->problem_mark);
	s->parser_ready = true;
	if (!set_input(&s->p, in, &s->reader))
		return fail(err, "cannot read the file from its start", err->problem_mark, NULL, err->problem_mark);
	s->b = (struct builder){ .t = t, .anchors = &s->anchors };
	s->b.seen = calloc(SEEN_SLOTS, sizeof(*s->b.seen));	/* without it, texts are only not shared */
	if (mode == YTREE_STREAM) {
		*root = stream_root(t);
		if (!*root)
			return out_of_memory(err, err->problem_mark);
		return rc;
	}
	/* The whole tree: room for about one node per 16 bytes of text at once. */
	size_t guess = in->len / 16 + 16;
	t->nodes = malloc(guess * sizeof(*t->nodes));
	t->kids = malloc(guess * sizeof(*t->kids));
	if (t->nodes)
		t->cap_nodes = guess;
	if (t->kids)
		t->cap_kids = guess;
	s->recording = true;	/* everything; anchors are set on the way */
	yaml_event_t ev;
	for (;;) {
		if (!pull(s, &ev))
			return out_of_memory(err, err->problem_mark);
		s->recording = true;
		yaml_event_type_t type = ev.type;
		yaml_event_delete(&ev);
		if (type == YAML_DOCUMENT_END_EVENT)
			break;
	}
	t->root = s->b.n_stack ? (int)s->b.stack[0] : -1;
	*root = ytree_node(t, t->root);
	/* the walk needs nothing but the tree */
	t->s = NULL;
	yaml_parser_delete(&s->p);
	builder_free(&s->b);
	anchors_free(&s->anchors);
	free(s->counts.small);
	free(s->counts.big);
	free(s);
	return rc;
}

int ytree_load(struct ytree *t, const char *text, size_t len, struct ytree_error *err,
	       yaml_mark_t *second_mark)
{
	const struct ynode *root;
	struct yinput in = { .text = text, .len = len };
	return load(t, &in, YTREE_WHOLE, err, second_mark, &root);
}

static bool load_diag(struct ytree *t, const struct yinput *in, enum ytree_mode mode,
		      struct tsn_diags *diags, const struct ynode **root)
{
	struct ytree_error e;
	yaml_mark_t second;
	int rc = load(t, in, mode, &e, &second, root);

	if (rc < 0) {
		/* (an error after the first document is told without its context) */
		if (e.context && e.in_first_document)
			tsn_diags_add(diags, TSN_DIAG_ERROR, (unsigned)e.problem_mark.line + 1,
				      (unsigned)e.problem_mark.column + 1, "",
				      "YAML syntax error: %s %s started at line %zu, column %zu", e.problem,
				      e.context, e.context_mark.line + 1, e.context_mark.column + 1);
		else
			tsn_diags_add(diags, TSN_DIAG_ERROR, (unsigned)e.problem_mark.line + 1,
				      (unsigned)e.problem_mark.column + 1, "", "YAML syntax error: %s", e.problem);
		if (e.in_first_document) {
			*root = NULL;
			return false;
		}
	}
	if (rc == 1)
		tsn_diags_add(diags, TSN_DIAG_ERROR, (unsigned)second.line + 1, (unsigned)second.column + 1, "",
			      "a second YAML document; the file must hold exactly one");
	if (*root && (*root)->type == YAML_SCALAR_NODE && (*root)->len == 0)
		*root = NULL;	/* a document of nothing: as an empty file */
	return true;
}

bool ytree_load_diag(struct ytree *t, const char *text, size_t len, enum ytree_mode mode,
		     struct tsn_diags *diags, const struct ynode **root)
{
	struct yinput in = { .text = text, .len = len };
	return load_diag(t, &in, mode, diags, root);
}

bool ytree_load_file_diag(struct ytree *t, FILE *file, size_t len, enum ytree_mode mode,
			  struct tsn_diags *diags, const struct ynode **root)
{
	struct yinput in = { .len = len, .file = file };
	return load_diag(t, &in, mode, diags, root);
}

void ytree_free(struct ytree *t)
{
	struct ystream *s = t->s;

	if (s) {
		if (s->parser_ready)
			yaml_parser_delete(&s->p);
		for (size_t d = 0; d < YTREE_MAX_DEPTH + 2; d++)
			for (int k = 0; k < 2; k++)
				free(s->slots[d][k].owned);
		builder_free(&s->b);
		anchors_free(&s->anchors);
		free(s->counts.small);
		free(s->counts.big);
		free(s);
	}
	for (struct ytext_chunk *c = t->texts, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(t->nodes);
	free(t->kids);
	memset(t, 0, sizeof(*t));
	t->root = -1;
}
