/* SPDX-License-Identifier: GPL-2.0-only */
/* test_yaml_tree.c — the YAML reader's two modes (lib/yaml_tree.c): a stream walk
 * sees what the whole tree holds, skips what the walker skips, keeps no node but
 * anchored ones; anchors are bounded and found by hash (issue 16). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsn/config.h"
#include "../../lib/yaml_tree.h"
#include "test_util.h"

/* A dump of every node in document order: kind, place, text or size. */
static void dump(struct ytree *t, const struct ynode *n, FILE *f)
{
	if (!n) {
		fputs("NULL;", f);
		return;
	}
	fprintf(f, "%u:%u:", n->mark.line, n->mark.column);
	if (n->type == YAML_SCALAR_NODE) {
		fprintf(f, "s%d'%s'%u;", n->plain, n->text, n->len);
		return;
	}
	fprintf(f, "%c%u(", n->type == YAML_MAPPING_NODE ? 'm' : 'q', n->n);
	for (size_t i = 0; i < n->n; i++)
		dump(t, ytree_kid(t, n, i), f);
	fputs(");", f);
}

static char *dump_mode(const char *text, enum ytree_mode mode)
{
	struct ytree t;
	struct tsn_diags d;
	const struct ynode *root;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	tsn_diags_init(&d, "t");
	CU_ASSERT_TRUE(ytree_load_diag(&t, text, strlen(text), mode, &d, &root));
	CU_ASSERT_EQUAL(d.errors, 0);
	dump(&t, root, f);
	CU_ASSERT_FALSE(ytree_failed(&t));
	ytree_free(&t);
	tsn_diags_free(&d);
	fclose(f);
	return buf;
}

static void test_stream_sees_the_tree(void)
{
	const char *texts[] = {
		"a: 1\nb: [x, 'y', {c: [1, [2, [3]], {}], d: \"e\"}, []]\nlong: ["
		"0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,"
		"0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,"
		"0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,"
		"0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,"
		"0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,"
		"0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,"
		"0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,"
		"end]\n",
		"t: &tpl {k: [1, &one 2], v: x}\nu: [*tpl, *one, *tpl]\nw: &s scalar\nx: *s\n",
		"- a\n- - b\n  - c\n- {? [k] : v}\n",
		"plain\n",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *whole = dump_mode(texts[i], YTREE_WHOLE), *stream = dump_mode(texts[i], YTREE_STREAM);
		CU_ASSERT_STRING_EQUAL(stream, whole);
		free(whole);
		free(stream);
	}
}

/* The walker takes some children and leaves others (and their insides). */
static void test_stream_skips(void)
{
	const char *text = "a: [1, [2, [3, 4]], {x: y}]\nb: {c: [5, 6], d: 7}\ne: 8\n";
	struct ytree t;
	struct tsn_diags d;
	const struct ynode *root;

	tsn_diags_init(&d, "t");
	CU_ASSERT_TRUE_FATAL(ytree_load_diag(&t, text, strlen(text), YTREE_STREAM, &d, &root));
	CU_ASSERT_EQUAL_FATAL(root->n, 6);
	const struct ynode *a = ytree_kid(&t, root, 1);
	CU_ASSERT_EQUAL_FATAL(a->n, 3);
	const struct ynode *a1 = ytree_kid(&t, a, 1);	/* [2, [3, 4]]: entered, left half read */
	CU_ASSERT_EQUAL_FATAL(a1->n, 2);
	const struct ynode *inner = ytree_kid(&t, a1, 1);
	CU_ASSERT_EQUAL(inner->n, 2);
	const struct ynode *b = ytree_kid(&t, root, 3);	/* the rest of a skipped */
	CU_ASSERT_EQUAL_FATAL(b->type, YAML_MAPPING_NODE);
	CU_ASSERT_EQUAL(b->mark.line, 1);
	CU_ASSERT_PTR_NULL(ytree_kid(&t, a1, 0));	/* a1 is left: nothing more from it */
	const struct ynode *dv = ytree_kid(&t, b, 3);	/* c's list never entered */
	CU_ASSERT_STRING_EQUAL(dv->text, "7");
	const struct ynode *ek = ytree_kid(&t, root, 4), *ev = ytree_kid(&t, root, 5);
	CU_ASSERT_STRING_EQUAL(ek->text, "e");	/* a key stays while its value is read */
	CU_ASSERT_STRING_EQUAL(ev->text, "8");
	CU_ASSERT_PTR_NULL(ytree_kid(&t, root, 6));
	CU_ASSERT_PTR_NULL(ytree_kid(&t, root, 1));	/* forward only */
	CU_ASSERT_EQUAL(t.n_nodes, 0);	/* no anchors: nothing was kept */
	CU_ASSERT_FALSE(ytree_failed(&t));
	ytree_free(&t);
	tsn_diags_free(&d);
}

enum line_kind { ANCHORED_LIST, ALIAS, ANCHORED_SCALAR };

static char *repeat(const char *head, enum line_kind kind, size_t n, const char *tail)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fputs(head, f);
	for (size_t i = 0; i < n; i++)
		if (kind == ANCHORED_LIST)
			fprintf(f, "- &a%zu [%zu]\n", i, i);
		else if (kind == ALIAS)
			fprintf(f, "- *a%zu\n", i);
		else
			fprintf(f, "- &a%zu %zu\n", i, i);
	fputs(tail, f);
	fclose(f);
	return buf;
}

/* Anchors were searched linearly, each new one against all before: 1.2 million
 * of them (16 MiB) ran for minutes; and each kept its subtree without bound. */
static void test_anchors(void)
{
	struct ytree t;
	struct tsn_diags d;
	const struct ynode *root;

	/* 100 000 anchors, each used once: all found */
	char *text = repeat("x:\n", ANCHORED_LIST, 100000, "y:\n");
	char *tail = repeat("", ALIAS, 100000, "");
	char *both = malloc(strlen(text) + strlen(tail) + 1);
	strcpy(both, text);
	strcat(both, tail);
	tsn_diags_init(&d, "t");
	CU_ASSERT_TRUE_FATAL(ytree_load_diag(&t, both, strlen(both), YTREE_STREAM, &d, &root));
	CU_ASSERT_EQUAL(d.errors, 0);
	const struct ynode *y = ytree_kid(&t, root, 3);
	CU_ASSERT_EQUAL_FATAL(y->n, 100000);
	const struct ynode *last = NULL;
	for (size_t i = 0; i < y->n; i++)
		last = ytree_kid(&t, y, i);
	CU_ASSERT_EQUAL_FATAL(last->type, YAML_SEQUENCE_NODE);
	CU_ASSERT_STRING_EQUAL(ytree_kid(&t, last, 0)->text, "99999");
	ytree_free(&t);
	tsn_diags_free(&d);
	free(text);
	free(tail);
	free(both);

	/* more anchored nodes than the bound: refused where it is crossed */
	text = repeat("x:\n", ANCHORED_SCALAR, YTREE_MAX_ANCHORED + 10, "");
	tsn_diags_init(&d, "t");
	CU_ASSERT_FALSE(ytree_load_diag(&t, text, strlen(text), YTREE_STREAM, &d, &root));
	CU_ASSERT_EQUAL_FATAL(d.count, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.items[0].message, "nodes under anchors"));
	CU_ASSERT_EQUAL(d.items[0].line, YTREE_MAX_ANCHORED + 2);
	ytree_free(&t);
	tsn_diags_free(&d);
	free(text);
}

static void test_errors_told(void)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "a: *nope\n", "YAML syntax error: found undefined alias" },
		{ "a: &x 1\nb: &x 2\n", "found duplicate anchor; first occurrence started at line 1, column 4" },
		{ "a: [1\n", "YAML syntax error: did not find expected" },
		{ "a: 1\n---\nb: 2\n", "a second YAML document" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int mode = YTREE_WHOLE; mode <= YTREE_STREAM; mode++) {
			struct ytree t;
			struct tsn_diags d;
			const struct ynode *root;
			tsn_diags_init(&d, "t");
			ytree_load_diag(&t, cases[i].text, strlen(cases[i].text), (enum ytree_mode)mode, &d, &root);
			CU_ASSERT_EQUAL_FATAL(d.count, 1);
			if (!strstr(d.items[0].message, cases[i].message))
				fprintf(stderr, "\n  case %zu: '%s'\n", i, d.items[0].message);
			CU_ASSERT_PTR_NOT_NULL(strstr(d.items[0].message, cases[i].message));
			ytree_free(&t);
			tsn_diags_free(&d);
		}
}

/* A file is read twice (scan, walk), never held in memory: a change between the
 * passes that the counts do not match is told, not walked as the old one. */
static void test_file_changed(void)
{
	char path[] = "/tmp/test_yaml_tree.XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	FILE *f = fdopen(fd, "w+");
	fputs("a:\n", f);
	for (int i = 0; i < 20000; i++)
		fputs("- [1, 2]\n", f);	/* 9 bytes a line */
	fflush(f);
	long size = ftell(f);

	struct ytree t;
	struct tsn_diags d;
	const struct ynode *root;
	tsn_diags_init(&d, "t");
	CU_ASSERT_TRUE_FATAL(ytree_load_file_diag(&t, f, (size_t)size, YTREE_STREAM, &d, &root));
	/* far past what libyaml has read so far: one list loses an item */
	CU_ASSERT_EQUAL(pwrite(fd, "- [1]   \n", 9, 3 + 9 * 16000), 9);
	const struct ynode *a = ytree_kid(&t, root, 1);
	CU_ASSERT_EQUAL_FATAL(a->n, 20000);
	size_t items = 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct ynode *item = ytree_kid(&t, a, i);
		if (!item || !ytree_kid(&t, item, 0) || !ytree_kid(&t, item, 1))
			break;
		items++;
	}
	CU_ASSERT_EQUAL(items, 16000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ytree_failed(&t));
	CU_ASSERT_STRING_EQUAL(ytree_failed(&t), "the file changed while it was read");
	ytree_free(&t);
	tsn_diags_free(&d);
	fclose(f);
	unlink(path);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("yaml_tree", NULL, NULL);
	CU_add_test(s, "a stream walk sees what the tree holds", test_stream_sees_the_tree);
	CU_add_test(s, "a stream walk skips what the walker skips", test_stream_skips);
	CU_add_test(s, "anchors: found by hash, bounded", test_anchors);
	CU_add_test(s, "errors are told in both modes", test_errors_told);
	CU_add_test(s, "a file changed between the passes", test_file_changed);
	return tu_run_tests();
}
