/* SPDX-License-Identifier: GPL-2.0-only */
/* test_cli_verbs.c — the one command table (tsn/ctl_commands.h) and what hangs
 * off it: every command has a summary and a handler, tsnctl's help lists every
 * command exactly once, tsnctl's one argument parser turns words into the
 * arguments tsnd accepts, and tsnd checks them against the same lists. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "../../cli/verbs.c"
#include "ctl_handlers.h"
#include "test_util.h"

static void test_table_rows(void)
{
	size_t n;
	const struct tsn_ctl_command *cmds = tsn_ctl_commands(&n);

	CU_ASSERT_EQUAL(n, TSN_CMD_COUNT);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(cmds[i].id, i);
		CU_ASSERT_PTR_EQUAL(tsn_ctl_command_get(cmds[i].id), &cmds[i]);
		CU_ASSERT(cmds[i].summary && cmds[i].summary[0]);
		CU_ASSERT(strlen(cmds[i].name) < TSN_CTL_COMMAND_MAX);
		for (size_t j = 0; j < i; j++)
			CU_ASSERT_STRING_NOT_EQUAL(cmds[i].name, cmds[j].name);
		for (size_t a = 0; a < cmds[i].n_args; a++) {
			/* A placeholder for tsnctl's help, or a flag that takes no value. */
			CU_ASSERT_PTR_NOT_NULL(cmds[i].args[a].type == TSN_ARG_FLAG ? cmds[i].args[a].flag
									  : cmds[i].args[a].meta);
			CU_ASSERT_PTR_EQUAL(tsn_ctl_arg_find(&cmds[i], cmds[i].args[a].name),
					    &cmds[i].args[a]);
		}
	}
	CU_ASSERT_PTR_NULL(tsn_ctl_command_get(TSN_CMD_COUNT));
	CU_ASSERT_PTR_NULL(tsn_ctl_arg_find(tsn_ctl_command_get(TSN_CMD_PORT_SHOW), "id"));
	/* tsnd's handler table is indexed by the same ids and has no gap. */
	CU_ASSERT_TRUE(ctl_handlers_complete());
}

/* Lines of text matching pattern. */
static int count_lines(const char *text, const char *pattern)
{
	regex_t re;
	int n = 0;

	CU_ASSERT_FATAL(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE | REG_NOSUB) == 0);
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[256];
		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		n += regexec(&re, buf, 0, NULL, 0) == 0;
		line += len + (end ? 1 : 0);
	}
	regfree(&re);
	return n;
}

static void test_help_lists_every_command_once(void)
{
	char *text = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&text, &len);
	const struct tsn_ctl_command *cmds = tsn_ctl_commands(&n);

	CU_ASSERT_FATAL(f != NULL);
	verbs_print_help(f);
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		char object[TSN_CTL_COMMAND_MAX], pattern[160];
		const char *verb;

		snprintf(object, sizeof(object), "%s", cmds[i].name);
		char *dot = strchr(object, '.');
		if (dot) {
			*dot = '\0';
			verb = dot + 1;
		} else {
			verb = "show";	/* status: `status [show]` */
		}
		snprintf(pattern, sizeof(pattern), "^  %s \\[?%s\\]?( |$)", object, verb);
		int want = cmds[i].id == TSN_CMD_HELLO ? 0 : 1;	/* hello has no verb */
		if (count_lines(text, pattern) != want)
			fprintf(stderr, "help lists %s %d times, not %d\n", cmds[i].name,
				count_lines(text, pattern), want);
		CU_ASSERT_EQUAL(count_lines(text, pattern), want);
	}
	/* The summaries are the table's, not written again. */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, tsn_ctl_command_get(TSN_CMD_PORT_SHOW)->summary));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, tsn_ctl_command_get(TSN_CMD_LATENCY_RESET)->summary));
	CU_ASSERT_EQUAL(count_lines(text, "^  stats \\[show\\] "), 1);
	free(text);
}

static const struct verb *find_verb(const char *object, const char *name)
{
	size_t n;
	const struct verb_object *objs = verbs_objects(&n);

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; strcmp(objs[i].name, object) == 0 && j < objs[i].n_verbs; j++)
			if (strcmp(objs[i].verbs[j].name, name) == 0)
				return &objs[i].verbs[j];
	return NULL;
}

/* The JSON text the words become, or NULL for a usage error. */
static char *parse(const char *object, const char *verb, int argc, ...)
{
	const struct verb *v = find_verb(object, verb);
	char *argv[8];
	va_list ap;

	CU_ASSERT_FATAL(v != NULL && argc < 8);
	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	json_object *args = verb_parse_args(v, argc, argv);
	if (!args)
		return NULL;
	char *s = strdup(json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN));
	json_object_put(args);
	return s;
}

#define ASSERT_PARSE(want, ...)                                          \
	do {                                                             \
		char *got_ = parse(__VA_ARGS__);                         \
		CU_ASSERT_PTR_NOT_NULL(got_);                            \
		if (got_) {                                              \
			CU_ASSERT_STRING_EQUAL(got_, want);              \
			free(got_);                                      \
		}                                                        \
	} while (0)
#define ASSERT_USAGE(...) CU_ASSERT_PTR_NULL(parse(__VA_ARGS__))

static void test_parse_positionals(void)
{
	ASSERT_PARSE("{}", "port", "show", 0);
	ASSERT_PARSE("{\"dev\":\"sw0p1\"}", "port", "show", 1, "sw0p1");
	ASSERT_PARSE("{\"dev\":\"sw0p1\"}", "port", "show", 2, "dev", "sw0p1");
	ASSERT_PARSE("{\"dev\":\"sw0p2\"}", "class", "stats", 2, "dev", "sw0p2");
	ASSERT_PARSE("{\"dev\":\"sw0p2\"}", "schedule", "show", 1, "sw0p2");
	ASSERT_USAGE("port", "show", 1, "dev");
	ASSERT_USAGE("port", "show", 2, "a", "b");
	ASSERT_USAGE("port", "show", 1, "0123456789abcdef");	/* 16 bytes */
	ASSERT_PARSE("{\"dev\":\"0123456789abcde\"}", "port", "show", 1, "0123456789abcde");
	ASSERT_USAGE("port", "show", 1, "");
	ASSERT_PARSE("{\"id\":4294967294}", "stream", "show", 1, "4294967294");
	ASSERT_PARSE("{\"id\":16}", "stream", "show", 1, "0x10");
	ASSERT_USAGE("stream", "show", 1, "4294967295");
	ASSERT_USAGE("stream", "show", 1, "0");
	ASSERT_USAGE("stream", "show", 1, "-1");
	ASSERT_USAGE("stream", "show", 2, "1", "2");
	ASSERT_PARSE("{\"name\":\"f1\"}", "filter", "show", 1, "f1");
	ASSERT_USAGE("filter", "show", 1, "");
	ASSERT_PARSE("{}", "route", "show", 0);
	ASSERT_USAGE("route", "show", 1, "x");
	ASSERT_USAGE("latency", "reset", 1, "--force");
}

static void test_parse_flags(void)
{
	ASSERT_PARSE("{\"class\":3,\"dev\":\"sw0p1\"}", "latency", "show", 3, "--class", "3", "sw0p1");
	ASSERT_PARSE("{\"dev\":\"sw0p1\",\"class\":7}", "latency", "show", 3, "dev", "sw0p1", "--class=7");
	ASSERT_PARSE("{\"class\":0}", "latency", "show", 2, "class", "0");
	ASSERT_PARSE("{\"stream\":10}", "latency", "show", 2, "--stream", "10");
	ASSERT_USAGE("latency", "show", 2, "--class", "8");
	ASSERT_USAGE("latency", "show", 1, "--class");
	ASSERT_USAGE("latency", "show", 3, "sw0p4", "--stream", "10");
	ASSERT_USAGE("latency", "show", 4, "--class", "1", "--stream", "10");
	ASSERT_USAGE("latency", "show", 4, "--class", "1", "--class", "2");
	ASSERT_USAGE("latency", "show", 1, "-x");
}

static void test_parse_config_apply(void)
{
	char path[] = "/tmp/test_cli_verbs.XXXXXX";
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, "ports: []\n", 10) == 10);
	close(fd);
	ASSERT_PARSE("{\"config\":\"ports: []\\n\"}", "config", "apply", 1, path);
	ASSERT_PARSE("{\"config\":\"ports: []\\n\",\"confirm-within-ms\":30000}", "config", "apply", 3,
		     path, "--confirm-within", "30s");
	ASSERT_PARSE("{\"confirm-within-ms\":1,\"config\":\"ports: []\\n\"}", "config", "apply", 2,
		     "--confirm-within=1ms", path);
	ASSERT_PARSE("{\"config\":\"ports: []\\n\",\"digest\":true}", "config", "apply", 2, path, "--digest");
	ASSERT_USAGE("config", "apply", 2, path, "--digest=yes");
	ASSERT_USAGE("config", "apply", 3, path, "--digest", "--digest");
	ASSERT_USAGE("config", "apply", 0);
	ASSERT_PARSE("{\"no-yaml\":true}", "config", "show", 1, "--no-yaml");
	ASSERT_PARSE("{}", "config", "show", 0);
	ASSERT_USAGE("config", "show", 1, "yaml");
	ASSERT_USAGE("config", "apply", 3, path, "--confirm-within", "2h");
	ASSERT_USAGE("config", "apply", 2, path, path);
	ASSERT_USAGE("config", "apply", 1, "/nonexistent/tsnd.yaml");
	ASSERT_USAGE("config", "confirm", 1, path);
	unlink(path);
}

/* tsnd's side: the same lists check what arrives on the wire. */
static void check_wire(enum tsn_ctl_cmd id, const char *args_json, enum tsn_ctl_code want,
		       const char *want_msg)
{
	char msg[256] = "";
	json_object *args = json_tokener_parse(args_json);

	CU_ASSERT_FATAL(args != NULL);
	CU_ASSERT_EQUAL(tsn_ctl_args_check(tsn_ctl_command_get(id), args, msg, sizeof(msg)), want);
	if (want_msg) {
		CU_ASSERT_STRING_EQUAL(msg, want_msg);
		if (strcmp(msg, want_msg) != 0)
			fprintf(stderr, "got \"%s\"\n", msg);
	}
	json_object_put(args);
}

static void test_wire_args(void)
{
	const enum tsn_ctl_code bad = TSN_CTL_E_INVALID_ARGUMENT;

	check_wire(TSN_CMD_PORT_SHOW, "{}", TSN_CTL_OK, NULL);
	check_wire(TSN_CMD_PORT_SHOW, "{\"dev\":\"sw0p1\"}", TSN_CTL_OK, NULL);
	check_wire(TSN_CMD_PORT_SHOW, "{\"dev\":1}", bad,
		   "argument \"dev\" must be a string (an interface name)");
	check_wire(TSN_CMD_PORT_SHOW, "{\"dev\":\"0123456789abcdef\"}", bad,
		   "argument \"dev\" must be an interface name of 1 to 15 bytes");
	check_wire(TSN_CMD_PORT_SHOW, "{\"dev\":\"\"}", bad, NULL);
	check_wire(TSN_CMD_PORT_SHOW, "{\"id\":1}", bad,
		   "unknown argument \"id\" for port.show (accepted: dev)");
	check_wire(TSN_CMD_ROUTE_SHOW, "{\"x\":1}", bad,
		   "unknown argument \"x\" for route.show (accepted: none)");
	check_wire(TSN_CMD_STREAM_SHOW, "{\"id\":4294967294}", TSN_CTL_OK, NULL);
	check_wire(TSN_CMD_STREAM_SHOW, "{\"id\":4294967295}", bad,
		   "argument \"id\" must be a stream id from 1 to 4294967294");
	check_wire(TSN_CMD_STREAM_SHOW, "{\"id\":\"1\"}", bad, NULL);
	check_wire(TSN_CMD_FILTER_SHOW, "{\"name\":\"0123456789012345678901234567890\"}", TSN_CTL_OK, NULL);
	check_wire(TSN_CMD_FILTER_SHOW, "{\"name\":\"01234567890123456789012345678901\"}", bad,
		   "argument \"name\" must be a stream filter's name of 1 to 31 bytes");
	check_wire(TSN_CMD_LATENCY_SHOW, "{\"dev\":\"sw0p1\",\"class\":7}", TSN_CTL_OK, NULL);
	check_wire(TSN_CMD_LATENCY_SHOW, "{\"class\":8}", bad,
		   "argument \"class\" must be a traffic class from 0 to 7");
	check_wire(TSN_CMD_LATENCY_SHOW, "{\"class\":1,\"stream\":2}", bad,
		   "argument \"stream\" excludes every other argument");
	check_wire(TSN_CMD_CONFIG_APPLY, "{}", bad,
		   "argument \"config\" is missing: the whole configuration as YAML or JSON text");
	check_wire(TSN_CMD_CONFIG_APPLY, "{\"config\":\"a\\u0000b\"}", bad,
		   "argument \"config\" contains a NUL character");
	check_wire(TSN_CMD_CONFIG_APPLY, "{\"config\":\"\",\"confirm-within-ms\":3600001}", bad,
		   "argument \"confirm-within-ms\" must be an integer from 1 to 3600000 (one hour)");
	check_wire(TSN_CMD_CONFIG_APPLY, "{\"config\":\"\",\"confirm-within-ms\":3600000}", TSN_CTL_OK, NULL);
	check_wire(TSN_CMD_CONFIG_APPLY, "{\"config\":\"\",\"digest\":true}", TSN_CTL_OK, NULL);
	check_wire(TSN_CMD_CONFIG_APPLY, "{\"config\":\"\",\"digest\":false}", bad,
		   "argument \"digest\" must be true (true: answer the digest of what runs), or left out");
	check_wire(TSN_CMD_CONFIG_APPLY, "{\"config\":\"\",\"digest\":1}", bad,
		   "argument \"digest\" must be true (true: answer the digest of what runs), or left out");
	check_wire(TSN_CMD_CONFIG_SHOW, "{\"no-yaml\":true}", TSN_CTL_OK, NULL);
	check_wire(TSN_CMD_CONFIG_SHOW, "{\"no-yaml\":\"yes\"}", bad,
		   "argument \"no-yaml\" must be true (true: leave the YAML text out), or left out");
	check_wire(TSN_CMD_CONFIG_CHECK, "{}", TSN_CTL_OK, NULL);
	check_wire(TSN_CMD_CONFIG_CHECK, "{\"config\":[]}", bad,
		   "argument \"config\" must be a string: the whole configuration as YAML or JSON text");
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "every command has a summary and a handler", test_table_rows },
		{ "help lists every command once", test_help_lists_every_command_once },
		{ "positional arguments", test_parse_positionals },
		{ "flag arguments", test_parse_flags },
		{ "config apply FILE", test_parse_config_apply },
		{ "tsnd checks the same lists", test_wire_args },
	};

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("command table", NULL, NULL);
	if (!s)
		goto fail;
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!CU_add_test(s, tests[i].name, tests[i].fn))
			goto fail;
	return tu_run_tests();
fail:
	CU_cleanup_registry();
	return 1;
}
