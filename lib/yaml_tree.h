/* SPDX-License-Identifier: GPL-2.0-only */
/* yaml_tree.h — one YAML document read into a compact tree (library-internal).
 *
 * libyaml's document loader (yaml_parser_load) gives every node a resolved tag
 * (a string copy each) and its own item stack, all freed again node by node.
 * The configuration reader only needs each node's kind, place and text, so this
 * builds the tree from libyaml's event stream instead: one array of nodes, one
 * of children, and the scalar texts copied into a few large chunks.  For a large
 * configuration that is about a sixth fewer instructions per load (callgrind).
 *
 * The tree holds what yaml_parser_load would: aliases point at their anchored
 * node (which may so be reached more than once: the reader bounds its walk),
 * an undefined alias or a repeated anchor is an error as there, and errors carry
 * libyaml's own problem text and marks.  One difference: of a second document
 * only its syntax errors are told; an alias error in it is not, as the second
 * document is the error to report.
 */
#ifndef TSN_YAML_TREE_H
#define TSN_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

/* Collections nested deeper than this are an error (the configuration needs 7). */
#define YTREE_MAX_DEPTH 64
#define YTREE_MAX_DEPTH_TEXT "64"

/* A place in the text, 0-based as libyaml's marks (16 MiB of text fit). */
struct ymark {
	uint32_t line, column;
};

/* 24 bytes a node (it was 72: a full yaml_mark_t and size_t fields); a file of
 * a million nodes is 24 MB of tree, not 72. */
struct ynode {
	struct ymark mark;	/* where it starts */
	union {
		const char *text;	/* scalars: the value (NUL-terminated, in the text arena) */
		uint32_t first;		/* collections: children kids[first..first+n) */
	};
	union {
		uint32_t len;		/* scalars: the value's length */
		uint32_t n;		/* collections: number of children; a mapping's
					 * alternate key, value */
	};
	uint8_t type;		/* YAML_SCALAR_NODE, YAML_SEQUENCE_NODE, YAML_MAPPING_NODE */
	bool plain;		/* scalars: written unquoted */
};

/* Scalar texts, packed one after the other in chunks that never move (so node
 * texts are stable pointers): no malloc per scalar, no allocator overhead. */
struct ytext_chunk {
	struct ytext_chunk *next;
	size_t used, size;
	char data[];
};

struct ytree {
	struct ynode *nodes;
	size_t n_nodes, cap_nodes;
	uint32_t *kids;
	size_t n_kids, cap_kids;
	struct ytext_chunk *texts;	/* newest first */
	size_t text_bytes;		/* allocated for texts, in all chunks */
	int root;		/* -1: the document is empty */
};

/* Why ytree_load failed: libyaml's problem and context texts and marks
 * (context NULL when there is none), as yaml_parser_t reports them. */
struct ytree_error {
	const char *problem, *context;
	yaml_mark_t problem_mark, context_mark;
	bool in_first_document;	/* false: the error came after the first document */
};

/* Read the first document of text into t.  Returns 0; 1 if a second document
 * follows (*second_mark: where its content starts); -1 on a syntax or alias
 * error (*err) or when memory runs out (err->problem "out of memory").  On
 * return t holds what was read; ytree_free releases it in every case. */
int ytree_load(struct ytree *t, const char *text, size_t len, struct ytree_error *err,
		   yaml_mark_t *second_mark);

void ytree_free(struct ytree *t);

static inline const struct ynode *ytree_node(const struct ytree *t, int index)
{
	return index >= 0 && (size_t)index < t->n_nodes ? &t->nodes[index] : NULL;
}

/* Child i of a collection (for a mapping: 2k is key k, 2k + 1 its value). */
static inline const struct ynode *ytree_kid(const struct ytree *t, const struct ynode *n, size_t i)
{
	return i < n->n ? ytree_node(t, (int)t->kids[n->first + i]) : NULL;
}

#endif
