/* SPDX-License-Identifier: GPL-2.0-only */
/* yaml_tree.h — one YAML document, for a walk in document order (library-internal).
 *
 * libyaml's document loader (yaml_parser_load) gives every node a resolved tag
 * (a string copy each) and its own item stack.  The readers only need each node's
 * kind, place and text, so this works on libyaml's event stream instead, in two
 * passes over the text:
 *
 *  1. a scan checks the document (syntax, depth, anchors and aliases, a second
 *     document) and counts the children of every collection (a byte each), so
 *     that a collection's size is known when the walk reaches it;
 *  2. the walk: YTREE_WHOLE builds the whole tree (one array of nodes, one of
 *     children, texts in chunks); YTREE_STREAM builds nothing but the path being
 *     walked: ytree_kid reads the events up to the child asked for, skipping
 *     what the walker skips.  Only anchored subtrees are kept as a tree, for
 *     their aliases.  Memory is then the file's text, a byte per collection and
 *     what the walker keeps, whatever the number of nodes (docs/security.md).
 *
 * A stream walk goes forward only: the nodes returned for a collection's
 * children stay valid while the walker is inside that collection and until it
 * asks for the child after next; asking for an earlier child gives NULL.
 * Aliases point at their anchored node (which may so be reached more than once:
 * the reader bounds its walk).  Errors carry libyaml's own problem text and marks.
 */
#ifndef TSN_YAML_TREE_H
#define TSN_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <yaml.h>

struct tsn_diags;

/* Collections nested deeper than this are an error (the configuration needs 7). */
#define YTREE_MAX_DEPTH 64
#define YTREE_MAX_DEPTH_TEXT "64"
/* Nodes (and aliases) under anchors, kept as a tree for their aliases: more is
 * an error.  A configuration has a few templates at most. */
#define YTREE_MAX_ANCHORED 262144
#define YTREE_MAX_ANCHORED_TEXT "262144"

/* A place in the text, 0-based as libyaml's marks (16 MiB of text fit). */
struct ymark {
	uint32_t line, column;
};

/* 24 bytes a node. */
struct ynode {
	struct ymark mark;	/* where it starts */
	union {
		const char *text;	/* scalars: the value (NUL-terminated) */
		uint32_t first;		/* collections in the tree: children kids[first..first+n) */
	};
	union {
		uint32_t len;		/* scalars: the value's length */
		uint32_t n;		/* collections: number of children; a mapping's
					 * alternate key, value */
	};
	uint8_t type;		/* YAML_SCALAR_NODE, YAML_SEQUENCE_NODE, YAML_MAPPING_NODE */
	bool plain;		/* scalars: written unquoted */
	uint8_t depth;		/* stream nodes: nesting level (the root is 0) */
};

/* Scalar texts, packed one after the other in chunks that never move (so node
 * texts are stable pointers): no malloc per scalar, no allocator overhead. */
struct ytext_chunk {
	struct ytext_chunk *next;
	size_t used, size;
	char data[];
};

enum ytree_mode {
	YTREE_WHOLE,	/* the whole tree in memory: any order of access */
	YTREE_STREAM,	/* forward only, memory independent of the number of nodes */
};

struct ystream;

struct ytree {
	struct ynode *nodes;	/* the tree (YTREE_STREAM: the anchored subtrees) */
	size_t n_nodes, cap_nodes;
	uint32_t *kids;
	size_t n_kids, cap_kids;
	struct ytext_chunk *texts;	/* newest first */
	size_t text_bytes;		/* allocated for texts, in all chunks */
	int root;		/* YTREE_WHOLE: -1 when the document is empty */
	struct ystream *s;	/* YTREE_STREAM: the walk's state */
};

/* Why ytree_load failed: libyaml's problem and context texts and marks
 * (context NULL when there is none), as yaml_parser_t reports them. */
struct ytree_error {
	const char *problem, *context;
	yaml_mark_t problem_mark, context_mark;
	bool in_first_document;	/* false: the error came after the first document */
};

/* Read the first document of text (whole) into t.  Returns 0; 1 if a second
 * document follows (*second_mark: where its content starts); -1 on a syntax or
 * alias error (*err) or when memory runs out (err->problem "out of memory").
 * On return t holds what was read; ytree_free releases it in every case. */
int ytree_load(struct ytree *t, const char *text, size_t len, struct ytree_error *err,
	       yaml_mark_t *second_mark);

/* ytree_load for a walk, in either mode, its errors told in diags ("YAML syntax
 * error: ...", a second document).  Returns false if the first document cannot
 * be walked; else *root is its root, NULL for an empty document.  YTREE_STREAM:
 * text must stay unchanged until ytree_free. */
bool ytree_load_diag(struct ytree *t, const char *text, size_t len, enum ytree_mode mode,
		     struct tsn_diags *diags, const struct ynode **root);

/* The same, reading file (len bytes, for sizing) from its start on each pass:
 * the text is never held in memory.  file must stay open until ytree_free. */
bool ytree_load_file_diag(struct ytree *t, FILE *file, size_t len, enum ytree_mode mode,
			  struct tsn_diags *diags, const struct ynode **root);

/* Why a stream walk failed ("out of memory", or a file that changed between the
 * passes), NULL if it did not: what it returned is incomplete. */
const char *ytree_failed(const struct ytree *t);

void ytree_free(struct ytree *t);

static inline const struct ynode *ytree_node(const struct ytree *t, int index)
{
	return index >= 0 && (size_t)index < t->n_nodes ? &t->nodes[index] : NULL;
}

/* Child i of a collection (for a mapping: 2k is key k, 2k + 1 its value), NULL
 * past its end (and, in a stream, before the last two children returned). */
const struct ynode *ytree_kid(struct ytree *t, const struct ynode *n, size_t i);

#endif
