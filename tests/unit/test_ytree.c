/* SPDX-License-Identifier: GPL-2.0-only */
/* test_ytree.c — netconf/ytree.c: the data tree tsn-netconfd builds node by node
 * from the module's JSON equals the tree libyang's JSON parser makes of the same
 * JSON printed as text (the way running's tree was made before), defaults and
 * their flags included, over every shipped and test configuration; and what the
 * parser refuses, the builder refuses; and the JSON walked back from a tree
 * (yt_to_json) is the JSON libyang prints of it.  Run from the repository's top directory
 * (tests/run-all.sh does). */
#include <glob.h>

#include "test_util.h"
#include "tsn/config.h"
#include "ymap.h"
#include "ytree.h"

static struct ly_ctx *ctx;

static int suite_init(void)
{
	ly_log_options(LY_LOSTORE_LAST);	/* the refusals' messages are checked, not printed */
	if (ly_ctx_new("netconf/yang", 0, &ctx) || !ly_ctx_load_module(ctx, YM_MODULE, NULL, NULL))
		return -1;
	return 0;
}

static int suite_clean(void)
{
	ly_ctx_destroy(ctx);
	return 0;
}

/* The present-day reference: the JSON printed and parsed, strictly, validated. */
static struct lyd_node *parsed(json_object *y)
{
	struct lyd_node *t = NULL;
	const char *text = json_object_to_json_string_ext(y, JSON_C_TO_STRING_PLAIN);
	if (lyd_parse_data_mem(ctx, text, LYD_JSON, LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, LYD_VALIDATE_NO_STATE, &t)) {
		lyd_free_siblings(t);
		return NULL;
	}
	return t;
}

static json_object *yang_of(const char *path)
{
	struct tsn_diags d;
	tsn_diags_init(&d, path);
	struct tsn_config *cfg = tsn_config_load(path, &d);
	tsn_diags_free(&d);
	if (!cfg)
		return NULL;
	json_object *j = tsn_config_to_json(cfg);
	tsn_config_free(cfg);
	struct ym_error e;
	json_object *y = j ? ym_to_yang(j, &e) : NULL;
	json_object_put(j);
	return y;
}

/* Both trees of one document: equal (FULL_RECURSION | DEFAULTS: every node, value
 * and default flag), and printed the same with the defaults tagged (order). */
static void same_tree(const char *what, json_object *y, bool normal)
{
	char msg[512] = "";
	struct lyd_node *a = parsed(y), *b = yt_build(ctx, y, msg, sizeof(msg));
	CU_ASSERT_PTR_NOT_NULL(a);
	CU_ASSERT_PTR_NOT_NULL(b);
	if (!b)
		fprintf(stderr, "\n  %s: %s", what, msg);
	if (a && b) {
		bool eq = lyd_compare_siblings(a, b, LYD_COMPARE_FULL_RECURSION | LYD_COMPARE_DEFAULTS) == LY_SUCCESS;
		char *pa = NULL, *pb = NULL;
		lyd_print_mem(&pa, a, LYD_XML, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_ALL_TAG);
		lyd_print_mem(&pb, b, LYD_XML, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_ALL_TAG);
		bool same_text = pa && pb && !strcmp(pa, pb);
		CU_ASSERT_TRUE(eq);
		CU_ASSERT_TRUE(same_text);
		if (!eq || !same_text)
			fprintf(stderr, "\n  %s: the built tree differs from the parsed one", what);
		free(pa);
		free(pb);
	}
	if (b) {
		/* and back: the JSON walked from the tree is what libyang prints */
		char *text = NULL;
		lyd_print_mem(&text, b, LYD_JSON, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK | LYD_PRINT_WD_EXPLICIT);
		json_object *printed = text ? json_tokener_parse(text) : NULL, *walked = yt_to_json(b);
		bool eq = printed && walked && json_object_equal(printed, walked);
		CU_ASSERT_TRUE(eq);
		if (!eq)
			fprintf(stderr, "\n  %s: the walked JSON differs from the printed one:\n%.300s\n%.300s", what, text,
				walked ? json_object_to_json_string(walked) : "(none)");
		/* what tsn-netconfd's kept tree rests on (running_from_seed): a validated
		 * tree is what yt_build makes of the JSON walked from it, and for tsnd's
		 * normal forms (`normal`) yt_adopt finds the tree already that of the JSON
		 * it was built of (so the kept tree is not the exception) */
		char m2[512] = "";
		struct lyd_node *again = walked ? yt_build(ctx, walked, m2, sizeof(m2)) : NULL;
		bool round = again && lyd_compare_siblings(b, again, LYD_COMPARE_FULL_RECURSION | LYD_COMPARE_DEFAULTS) ==
					      LY_SUCCESS;
		CU_ASSERT_TRUE(round);
		if (!round)
			fprintf(stderr, "\n  %s: the tree built of its walked JSON differs (%s)", what, m2);
		CU_ASSERT_TRUE(!normal || (walked && yt_adopt(b, y, walked) == 0));
		if (normal && walked && yt_adopt(b, y, walked))
			fprintf(stderr, "\n  %s: the walked JSON is not the built one", what);
		lyd_free_siblings(again);
		json_object_put(printed);
		json_object_put(walked);
		free(text);
	}
	lyd_free_siblings(a);
	lyd_free_siblings(b);
}

static void test_same_as_parsed(void)
{
	static const char *const pats[] = { "configs/*.yaml", "tests/configs/valid/*.yaml" };
	size_t n = 0;
	for (size_t p = 0; p < 2; p++) {
		glob_t g;
		if (glob(pats[p], 0, NULL, &g))
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			json_object *y = yang_of(g.gl_pathv[i]);
			CU_ASSERT_PTR_NOT_NULL(y);
			if (!y) {
				fprintf(stderr, "\n  %s: no YANG JSON", g.gl_pathv[i]);
				continue;
			}
			same_tree(g.gl_pathv[i], y, true);
			json_object_put(y);
			n++;
		}
		globfree(&g);
	}
	CU_ASSERT_TRUE(n >= 8);
}

/* yt_adopt: a tree whose gate entries lost their explicit operation-name (as an
 * edit that leaves it out makes them: defaults after validation) is made the tree
 * of the JSON that sets it, exactly, flags included; a tree whose values differ
 * is refused. */
static void test_adopt(void)
{
	json_object *y = yang_of("configs/tsnd.yaml");
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	char msg[512] = "";
	struct lyd_node *want = yt_build(ctx, y, msg, sizeof(msg)), *t = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	CU_ASSERT_EQUAL_FATAL(lyd_dup_siblings(want, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &t), LY_SUCCESS);
	struct ly_set *set = NULL;
	CU_ASSERT_EQUAL_FATAL(lyd_find_xpath(t, "//operation-name", &set), LY_SUCCESS);
	CU_ASSERT_TRUE_FATAL(set->count > 0);
	for (uint32_t i = 0; i < set->count; i++)
		lyd_free_tree(set->dnodes[i]);
	ly_set_free(set, NULL);
	CU_ASSERT_EQUAL_FATAL(lyd_validate_all(&t, ctx, LYD_VALIDATE_NO_STATE, NULL), LY_SUCCESS);
	CU_ASSERT_NOT_EQUAL(lyd_compare_siblings(t, want, LYD_COMPARE_FULL_RECURSION | LYD_COMPARE_DEFAULTS), LY_SUCCESS);
	json_object *walked = yt_to_json(t);
	CU_ASSERT_EQUAL(yt_adopt(t, y, walked), 0);
	CU_ASSERT_EQUAL(lyd_compare_siblings(t, want, LYD_COMPARE_FULL_RECURSION | LYD_COMPARE_DEFAULTS), LY_SUCCESS);
	json_object_put(walked);

	/* a value that differs (not a default made explicit): refused */
	walked = yt_to_json(t);
	json_object *top, *ctl;
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(y, "tsnd:tsnd", &top));
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(top, "control", &ctl));
	json_object_object_add(ctl, "max-clients", json_object_new_int(31));
	CU_ASSERT_EQUAL(yt_adopt(t, y, walked), -1);
	/* a list entry more or less: refused */
	json_object_object_del(ctl, "max-clients");
	json_object_put(walked);
	walked = yt_to_json(t);
	json_object *ports;
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(top, "ports", &ports));
	json_object_array_del_idx(ports, 0, 1);
	CU_ASSERT_EQUAL(yt_adopt(t, y, walked), -1);
	json_object_put(walked);
	lyd_free_siblings(t);
	lyd_free_siblings(want);
	json_object_put(y);
}

/* The benchmark's shape: 4 ports x 256 gate entries, and an empty configuration. */
static void test_same_big_and_empty(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	fputs("ports:\n", f);
	for (int p = 1; p <= 4; p++) {
		fprintf(f, "  - name: sw0p%d\n    schedule:\n      num-tc: 4\n      base-time: 1000000000\n", p);
		fputs("      map: [0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n", f);
		fputs("      queues: [\"1@0\", \"1@1\", \"1@2\", \"1@3\"]\n      entries:\n", f);
		for (int i = 0; i < 256; i++)
			fprintf(f, "        - { gates: [%d], interval: %dus }\n", i % 4, 100 + (i * 13) % 40 * 10);
	}
	fclose(f);
	struct tsn_diags d;
	tsn_diags_init(&d, "big");
	struct tsn_config *cfg = tsn_config_parse(text, len, "big", &d);
	tsn_diags_free(&d);
	free(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	json_object *j = tsn_config_to_json(cfg);
	struct ym_error e;
	json_object *y = ym_to_yang(j, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	same_tree("4 x 256 entries", y, true);
	json_object_put(y);
	json_object_put(j);
	tsn_config_free(cfg);

	y = json_tokener_parse("{\"tsnd:tsnd\": {}}");
	same_tree("empty", y, false);	/* not tsnd's: the walk leaves the empty top out */
	json_object_put(y);
}

/* Documents the JSON parser refuses (strictly): the builder refuses them as well,
 * with the node's name in its message. */
static void test_refuses_as_parser(void)
{
	static const struct {
		const char *doc, *name;
	} bad[] = {
		{ "{\"tsnd:tsnd\": {\"no-such-node\": 1}}", "no-such-node" },
		{ "{\"tsnd:tsnd\": {\"control\": {\"max-clients\": \"4\"}}}", "max-clients" },	/* uint32 as a string */
		{ "{\"tsnd:tsnd\": {\"control\": {\"timeout\": 1500000000}}}", "timeout" },	/* uint64 as a number */
		{ "{\"tsnd:tsnd\": {\"control\": {\"max-clients\": -1}}}", "max-clients" },	/* out of range */
		{ "{\"tsnd:tsnd\": {\"control\": 1}}", "control" },
		{ "{\"tsnd:tsnd\": {\"ports\": {\"name\": \"a\"}}}", "ports" },
		{ "{\"tsnd:tsnd\": {\"ports\": [{\"xdp\": \"native\"}]}}", "ports" },	/* no key */
		{ "{\"tsnd:tsnd\": {\"ports\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}}", "ports" },	/* duplicate */
		{ "{\"tsnd:tsnd\": {\"state\": {}}}", "state" },	/* operational state */
		{ "{\"nosuchmodule:tsnd\": {}}", "nosuchmodule" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object *y = json_tokener_parse(bad[i].doc);
		CU_ASSERT_PTR_NOT_NULL_FATAL(y);
		struct lyd_node *a = parsed(y);
		char msg[512] = "";
		struct lyd_node *b = yt_build(ctx, y, msg, sizeof(msg));
		CU_ASSERT_PTR_NULL(a);
		CU_ASSERT_PTR_NULL(b);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, bad[i].name));
		if (a || b || !strstr(msg, bad[i].name))
			fprintf(stderr, "\n  %s: parser %s, builder %s (%s)", bad[i].doc, a ? "took it" : "refused",
				b ? "took it" : "refused", msg);
		lyd_free_siblings(a);
		lyd_free_siblings(b);
		json_object_put(y);
	}
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("ytree", suite_init, suite_clean);
	CU_add_test(s, "same tree as parsed, every config", test_same_as_parsed);
	CU_add_test(s, "same tree as parsed, 4x256 and empty", test_same_big_and_empty);
	CU_add_test(s, "refuses what the parser refuses", test_refuses_as_parser);
	CU_add_test(s, "a committed tree made the normal form's", test_adopt);
	return tu_run_tests();
}
