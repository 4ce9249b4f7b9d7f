/* SPDX-License-Identifier: GPL-2.0-only */
/* yaml_tree.c — one YAML document from libyaml's event stream into a compact tree
 * (see yaml_tree.h for why not yaml_parser_load). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_tree.h"

/* A collection being read: its node, and where its children start on the stack. */
struct open_collection {
	int node;
	size_t first_child;
};

struct anchor {
	char *name;
	int node;
	yaml_mark_t mark;
};

/* Short texts seen lately, by hash: a key such as "identification" is kept once,
 * not once for every stream. */
#define SEEN_SLOTS 4096
#define SEEN_MAX_LEN 32

struct builder {
	struct ytree *t;
	const char **seen;		/* SEEN_SLOTS texts in the tree's chunks, or NULL */
	uint32_t *stack;		/* children of the open collections, in order */
	size_t n_stack, cap_stack;
	struct open_collection *open;
	size_t n_open, cap_open;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	struct ytree_error *err;
};

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

static int fail(struct builder *b, const char *problem, yaml_mark_t mark, const char *context,
		yaml_mark_t context_mark)
{
	b->err->problem = problem;
	b->err->problem_mark = mark;
	b->err->context = context;
	b->err->context_mark = context_mark;
	return -1;
}

static int out_of_memory(struct builder *b, yaml_mark_t mark)
{
	return fail(b, "out of memory", mark, NULL, mark);
}

/* The new node index becomes the next child of the innermost open collection. */
static int add_child(struct builder *b, int node, yaml_mark_t mark)
{
	if (!room((void **)&b->stack, &b->cap_stack, b->n_stack, sizeof(*b->stack)))
		return out_of_memory(b, mark);
	b->stack[b->n_stack++] = (uint32_t)node;
	return 0;
}

static int new_node(struct builder *b, yaml_node_type_t type, yaml_mark_t mark)
{
	struct ytree *t = b->t;

	if (t->n_nodes >= (size_t)INT32_MAX ||
	    !room((void **)&t->nodes, &t->cap_nodes, t->n_nodes, sizeof(*t->nodes)))
		return out_of_memory(b, mark);
	struct ynode *n = &t->nodes[t->n_nodes];
	memset(n, 0, sizeof(*n));
	n->type = (uint8_t)type;
	n->mark = (struct ymark){ .line = (uint32_t)mark.line, .column = (uint32_t)mark.column };
	return (int)t->n_nodes++;
}

/* A copy of text (len bytes and a NUL) in the tree's chunks, or NULL. */
static const char *keep_text(struct builder *b, const char *text, size_t len)
{
	struct ytree *t = b->t;
	struct ytext_chunk *c = t->texts;
	const char **seen = NULL;

	if (b->seen && len <= SEEN_MAX_LEN) {
		uint32_t h = 2166136261u;	/* FNV-1a */
		for (size_t i = 0; i < len; i++)
			h = (h ^ (unsigned char)text[i]) * 16777619u;
		seen = &b->seen[h % SEEN_SLOTS];
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

/* An anchor names node; libyaml's loader refuses a name given twice. */
static int add_anchor(struct builder *b, char *name, int node, yaml_mark_t mark)
{
	for (size_t i = 0; i < b->n_anchors; i++)
		if (strcmp(b->anchors[i].name, name) == 0)
			return fail(b, "second occurrence", mark, "found duplicate anchor; first occurrence",
				    b->anchors[i].mark);
	if (!room((void **)&b->anchors, &b->cap_anchors, b->n_anchors, sizeof(*b->anchors)))
		return out_of_memory(b, mark);
	b->anchors[b->n_anchors++] = (struct anchor){ .name = name, .node = node, .mark = mark };
	return 0;
}

/* Take the event's anchor over (the event no longer frees it). */
static int take_anchor(struct builder *b, yaml_char_t **anchor, int node, yaml_mark_t mark)
{
	if (!*anchor)
		return 0;
	char *name = (char *)*anchor;
	*anchor = NULL;
	if (add_anchor(b, name, node, mark) < 0) {
		free(name);	/* kept only when added */
		return -1;
	}
	return 0;
}

static int on_scalar(struct builder *b, yaml_event_t *ev)
{
	struct ytree *t = b->t;
	int node = new_node(b, YAML_SCALAR_NODE, ev->start_mark);

	if (node < 0)
		return -1;
	const char *text = keep_text(b, (const char *)ev->data.scalar.value, ev->data.scalar.length);
	if (!text)
		return out_of_memory(b, ev->start_mark);
	struct ynode *n = &t->nodes[node];
	n->text = text;
	n->len = (uint32_t)ev->data.scalar.length;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (take_anchor(b, &ev->data.scalar.anchor, node, ev->start_mark) < 0)
		return -1;
	return add_child(b, node, ev->start_mark);
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	for (size_t i = 0; i < b->n_anchors; i++)
		if (strcmp(b->anchors[i].name, (const char *)ev->data.alias.anchor) == 0)
			return add_child(b, b->anchors[i].node, ev->start_mark);
	return fail(b, "found undefined alias", ev->start_mark, NULL, ev->start_mark);
}

static int on_collection_start(struct builder *b, yaml_event_t *ev, yaml_node_type_t type)
{
	/* libyaml has no depth limit and its scanner works per token over every open
	 * flow level: 200 KB of '[' took 21 s.  The depth is refused at the first
	 * event beyond the limit, before libyaml goes deeper. */
	if (b->n_open >= YTREE_MAX_DEPTH)
		return fail(b, "collections nested deeper than " YTREE_MAX_DEPTH_TEXT " levels", ev->start_mark,
			    NULL, ev->start_mark);
	int node = new_node(b, type, ev->start_mark);
	yaml_char_t **anchor = type == YAML_MAPPING_NODE ? &ev->data.mapping_start.anchor
							 : &ev->data.sequence_start.anchor;

	if (node < 0 || take_anchor(b, anchor, node, ev->start_mark) < 0 || add_child(b, node, ev->start_mark) < 0)
		return -1;
	if (!room((void **)&b->open, &b->cap_open, b->n_open, sizeof(*b->open)))
		return out_of_memory(b, ev->start_mark);
	b->open[b->n_open++] = (struct open_collection){ .node = node, .first_child = b->n_stack };
	return 0;
}

/* The children on the stack move to the tree's array, in one piece. */
static int on_collection_end(struct builder *b, const yaml_event_t *ev)
{
	struct ytree *t = b->t;
	struct open_collection oc = b->open[--b->n_open];
	size_t n = b->n_stack - oc.first_child;

	while (t->n_kids + n > t->cap_kids)
		if (!room((void **)&t->kids, &t->cap_kids, t->cap_kids, sizeof(*t->kids)))
			return out_of_memory(b, ev->start_mark);
	memcpy(t->kids + t->n_kids, b->stack + oc.first_child, n * sizeof(*t->kids));
	t->nodes[oc.node].first = (uint32_t)t->n_kids;
	t->nodes[oc.node].n = (uint32_t)n;
	t->n_kids += n;
	b->n_stack = oc.first_child;
	return 0;
}

static int next_event(yaml_parser_t *p, yaml_event_t *ev, struct builder *b)
{
	if (yaml_parser_parse(p, ev))
		return 0;
	return fail(b, p->problem ? p->problem : "unknown", p->problem_mark, p->context, p->context_mark);
}

/* Events of the first document until its end; the tree's root is set. */
static int read_document(yaml_parser_t *p, struct builder *b)
{
	yaml_event_t ev;

	for (;;) {
		if (next_event(p, &ev, b) < 0)
			return -1;
		int rc = 0;
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			rc = on_scalar(b, &ev);
			break;
		case YAML_ALIAS_EVENT:
			rc = on_alias(b, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = on_collection_start(b, &ev, YAML_SEQUENCE_NODE);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = on_collection_start(b, &ev, YAML_MAPPING_NODE);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = b->n_open ? on_collection_end(b, &ev) : 0;
			break;
		case YAML_DOCUMENT_END_EVENT:
			b->t->root = b->n_stack ? (int)b->stack[0] : -1;
			yaml_event_delete(&ev);
			return 0;
		default:	/* stream and document starts: nothing to keep */
			break;
		}
		yaml_event_delete(&ev);
		if (rc < 0)
			return -1;
	}
}

int ytree_load(struct ytree *t, const char *text, size_t len, struct ytree_error *err,
		   yaml_mark_t *second_mark)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct builder b = { .t = t, .err = err };
	int rc = -1;

	memset(t, 0, sizeof(*t));
	memset(err, 0, sizeof(*err));
	t->root = -1;
	err->in_first_document = true;
	if (!yaml_parser_initialize(&p)) {
		err->problem = "out of memory";
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	/* Room for about one node per 16 bytes of text at once, instead of growing
	 * the arrays a dozen times for a large file.  Not more: address space
	 * counts under a limit (RLIMIT_AS) even where no page is touched; the
	 * arrays grow from there (glibc moves large blocks with mremap, no copy). */
	size_t guess = len / 16 + 16;
	t->nodes = malloc(guess * sizeof(*t->nodes));
	t->kids = malloc(guess * sizeof(*t->kids));
	if (t->nodes)
		t->cap_nodes = guess;
	if (t->kids)
		t->cap_kids = guess;
	b.seen = calloc(SEEN_SLOTS, sizeof(*b.seen));	/* without it, texts are only not shared */
	/* The stream's start, then a document's start or the stream's end. */
	if (next_event(&p, &ev, &b) < 0)
		goto out;
	yaml_event_delete(&ev);
	if (next_event(&p, &ev, &b) < 0)
		goto out;
	yaml_event_type_t type = ev.type;
	yaml_event_delete(&ev);
	if (type == YAML_STREAM_END_EVENT) {
		rc = 0;	/* an empty file */
		goto out;
	}
	if (read_document(&p, &b) < 0)
		goto out;
	/* Another document?  Read to its end, so that its syntax errors are told. */
	err->in_first_document = false;
	if (next_event(&p, &ev, &b) < 0)
		goto out;
	type = ev.type;
	yaml_event_delete(&ev);
	rc = 0;
	if (type != YAML_DOCUMENT_START_EVENT)
		goto out;
	bool first = true;
	for (;;) {
		if (next_event(&p, &ev, &b) < 0) {
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
	for (size_t i = 0; i < b.n_anchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	free(b.seen);
	free(b.stack);
	free(b.open);
	yaml_parser_delete(&p);
	return rc;
}

void ytree_free(struct ytree *t)
{
	for (struct ytext_chunk *c = t->texts, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(t->nodes);
	free(t->kids);
	memset(t, 0, sizeof(*t));
	t->root = -1;
}
