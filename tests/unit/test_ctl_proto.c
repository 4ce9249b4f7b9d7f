/* SPDX-License-Identifier: GPL-2.0-only */
/* test_ctl_proto.c — the control protocol codec and line framer (lib/ctl_proto.c). */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <json.h>

#include "tsn/ctl_proto.h"
#include "test_util.h"

/* ---- helpers ---- */

static enum tsn_ctl_code decode_req(const char *line, size_t len, struct tsn_ctl_request *req)
{
	char err[256] = "";
	enum tsn_ctl_code code = tsn_ctl_request_decode(line, len, req, err, sizeof(err));
	if (code != TSN_CTL_OK)
		CU_ASSERT(err[0] != '\0');	/* every refusal says why */
	return code;
}

static enum tsn_ctl_code decode_str(const char *line)
{
	struct tsn_ctl_request req;
	enum tsn_ctl_code code = decode_req(line, strlen(line), &req);
	tsn_ctl_request_release(&req);
	return code;
}

static size_t count_char(const char *s, size_t len, char ch)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == ch;
	return n;
}

/* ---- requests ---- */

static void test_request_round_trip(void)
{
	struct tsn_ctl_request req = { .version = TSN_CTL_PROTOCOL_VERSION, .id = 42 };
	struct tsn_ctl_request back;
	size_t len = 0;

	snprintf(req.command, sizeof(req.command), "port.show");
	req.args = json_object_new_object();
	json_object_object_add(req.args, "dev", json_object_new_string("sw0p1"));
	json_object_object_add(req.args, "note", json_object_new_string("line\nbreak \"quoted\" \xc3\xa9"));

	char *line = tsn_ctl_request_encode(&req, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL(strlen(line), len);
	CU_ASSERT_EQUAL(line[len - 1], '\n');
	CU_ASSERT_EQUAL(count_char(line, len, '\n'), 1);	/* the newline in args is escaped */

	CU_ASSERT_EQUAL_FATAL(decode_req(line, len, &back), TSN_CTL_OK);
	CU_ASSERT_EQUAL(back.version, TSN_CTL_PROTOCOL_VERSION);
	CU_ASSERT_EQUAL(back.id, 42);
	CU_ASSERT_STRING_EQUAL(back.command, "port.show");
	CU_ASSERT_PTR_NOT_NULL_FATAL(back.args);
	CU_ASSERT_TRUE(json_object_equal(back.args, req.args));
	/* The encoder did not take the caller's reference. */
	CU_ASSERT_EQUAL(json_object_put(req.args), 1);
	tsn_ctl_request_release(&back);
	CU_ASSERT_PTR_NULL(back.args);
	free(line);
}

static void test_request_without_args(void)
{
	struct tsn_ctl_request req = { .version = 1, .id = 0 };
	struct tsn_ctl_request back;
	size_t len;

	snprintf(req.command, sizeof(req.command), "hello");
	char *line = tsn_ctl_request_encode(&req, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_PTR_NULL(strstr(line, "\"args\""));
	CU_ASSERT_EQUAL_FATAL(decode_req(line, len, &back), TSN_CTL_OK);
	CU_ASSERT_EQUAL(back.id, 0);
	/* Absent args decode as an empty object, so handlers never see NULL. */
	CU_ASSERT_TRUE(json_object_is_type(back.args, json_type_object));
	CU_ASSERT_EQUAL(json_object_object_length(back.args), 0);
	tsn_ctl_request_release(&back);
	free(line);

	const char *null_args = "{\"version\":1,\"id\":3,\"command\":\"hello\",\"args\":null}";
	CU_ASSERT_EQUAL_FATAL(decode_req(null_args, strlen(null_args), &back), TSN_CTL_OK);
	CU_ASSERT_TRUE(json_object_is_type(back.args, json_type_object));
	tsn_ctl_request_release(&back);
}

static void test_request_extreme_ids(void)
{
	struct tsn_ctl_request req = { .version = 1, .id = TSN_CTL_ID_MAX };
	struct tsn_ctl_request back;
	size_t len;

	snprintf(req.command, sizeof(req.command), "status");
	char *line = tsn_ctl_request_encode(&req, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL_FATAL(decode_req(line, len, &back), TSN_CTL_OK);
	CU_ASSERT_EQUAL(back.id, TSN_CTL_ID_MAX);
	tsn_ctl_request_release(&back);
	free(line);

	/* Ids past 2^53-1 are refused (json-c would saturate them at 2^64-1). */
	const char *huge = "{\"version\":1,\"id\":99999999999999999999999,\"command\":\"hello\"}";
	enum tsn_ctl_code code = decode_req(huge, strlen(huge), &back);
	CU_ASSERT_EQUAL(code, TSN_CTL_E_MALFORMED);
	tsn_ctl_request_release(&back);
	const char *past = "{\"version\":1,\"id\":9007199254740992,\"command\":\"hello\"}";
	CU_ASSERT_EQUAL(decode_req(past, strlen(past), &back), TSN_CTL_E_MALFORMED);
	tsn_ctl_request_release(&back);
}

static void test_request_command_length(void)
{
	char line[256];
	char name[TSN_CTL_COMMAND_MAX + 1];
	struct tsn_ctl_request back;

	/* TSN_CTL_COMMAND_MAX - 1 characters fit ... */
	memset(name, 'x', TSN_CTL_COMMAND_MAX - 1);
	name[TSN_CTL_COMMAND_MAX - 1] = '\0';
	snprintf(line, sizeof(line), "{\"version\":1,\"id\":1,\"command\":\"%s\"}", name);
	CU_ASSERT_EQUAL_FATAL(decode_req(line, strlen(line), &back), TSN_CTL_OK);
	CU_ASSERT_STRING_EQUAL(back.command, name);
	tsn_ctl_request_release(&back);

	/* ... one more does not. */
	memset(name, 'x', TSN_CTL_COMMAND_MAX);
	name[TSN_CTL_COMMAND_MAX] = '\0';
	snprintf(line, sizeof(line), "{\"version\":1,\"id\":1,\"command\":\"%s\"}", name);
	CU_ASSERT_EQUAL(decode_str(line), TSN_CTL_E_MALFORMED);
}

static void test_request_malformed(void)
{
	static const char *const bad[] = {
		"not json",
		"",
		"   ",
		"[1,2,3]",
		"\"a string\"",
		"42",
		"null",
		"{}",
		"{\"id\":1,\"command\":\"hello\"}",			/* no version */
		"{\"version\":1,\"command\":\"hello\"}",		/* no id */
		"{\"version\":1,\"id\":1}",				/* no command */
		"{\"version\":1,\"id\":-1,\"command\":\"hello\"}",
		"{\"version\":-1,\"id\":1,\"command\":\"hello\"}",
		"{\"version\":1,\"id\":1.5,\"command\":\"hello\"}",
		"{\"version\":\"1\",\"id\":1,\"command\":\"hello\"}",
		"{\"version\":1,\"id\":\"1\",\"command\":\"hello\"}",
		"{\"version\":1,\"id\":1,\"command\":7}",
		"{\"version\":1,\"id\":1,\"command\":null}",
		"{\"version\":1,\"id\":1,\"command\":\"hello\",\"args\":[1]}",
		"{\"version\":1,\"id\":1,\"command\":\"hello\",\"args\":\"dev\"}",
		"{\"version\":1,\"id\":1,\"command\":\"hello\",\"args\":3}",
		"{\"version\":1,\"id\":1,\"command\":\"hello\"} x",	/* trailing garbage */
		"{\"version\":1,\"id\":1,\"command\":\"hello\"}{}",
		"{\"version\":1,\"id\":1,\"command\":\"hello\"",		/* unterminated */
		"{\"version\":1,\"id\":1,\"command\":\"hel",
		"{'version':1}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum tsn_ctl_code code = decode_str(bad[i]);
		if (code != TSN_CTL_E_MALFORMED)
			fprintf(stderr, "\n  accepted as %d: %s\n", code, bad[i]);
		CU_ASSERT_EQUAL(code, TSN_CTL_E_MALFORMED);
	}
}

static void test_request_version(void)
{
	struct tsn_ctl_request back;
	const char *v2 = "{\"version\":2,\"id\":7,\"command\":\"hello\"}";
	const char *v0 = "{\"version\":0,\"id\":8,\"command\":\"hello\"}";

	CU_ASSERT_EQUAL(decode_req(v2, strlen(v2), &back), TSN_CTL_E_VERSION);
	CU_ASSERT_EQUAL(back.id, 7);	/* the error reply can still name the request */
	tsn_ctl_request_release(&back);
	CU_ASSERT_EQUAL(decode_req(v0, strlen(v0), &back), TSN_CTL_E_VERSION);
	CU_ASSERT_EQUAL(back.id, 8);
	tsn_ctl_request_release(&back);
	/* Past 32 bits the version is not a protocol version at all. */
	CU_ASSERT_NOT_EQUAL(decode_str("{\"version\":4294967297,\"id\":1,\"command\":\"hello\"}"),
			    TSN_CTL_OK);
}

static void test_request_embedded_nul(void)
{
	static const char line[] = "{\"version\":1,\"id\":1,\"command\":\"hello\"}\0junk";
	static const char in_string[] = "{\"version\":1,\"id\":1,\"command\":\"he\0llo\"}";
	struct tsn_ctl_request back;

	CU_ASSERT_EQUAL(decode_req(line, sizeof(line) - 1, &back), TSN_CTL_E_MALFORMED);
	tsn_ctl_request_release(&back);
	CU_ASSERT_EQUAL(decode_req(in_string, sizeof(in_string) - 1, &back), TSN_CTL_E_MALFORMED);
	tsn_ctl_request_release(&back);
}

/* An escaped NUL would cut every C string made from the value: "hello\u0000x"
 * ran hello, dev "sw0p1\u0000x" found sw0p1 (issue 16). */
static void test_request_escaped_nul(void)
{
	struct tsn_ctl_request back;

	CU_ASSERT_EQUAL(decode_str("{\"version\":1,\"id\":1,\"command\":\"hello\\u0000x\"}"),
			TSN_CTL_E_MALFORMED);
	CU_ASSERT_EQUAL(decode_str("{\"version\":1,\"id\":1,\"command\":\"port.show\","
				   "\"args\":{\"dev\":\"sw0p1\\u0000x\"}}"), TSN_CTL_E_MALFORMED);
	CU_ASSERT_EQUAL(decode_str("{\"version\":1,\"id\":1,\"command\":\"port.show\","
				   "\"args\":{\"dev\\u0000x\":\"sw0p1\"}}"), TSN_CTL_E_MALFORMED);
	CU_ASSERT_EQUAL(decode_str("{\"version\":1,\"id\":1,\"command\":\"x\",\"args\":{\"a\":[\"\\u0000\"]}}"),
			TSN_CTL_E_MALFORMED);
	/* An escaped backslash before "u0000" is text, not a NUL: accepted as is. */
	const char *ok = "{\"version\":1,\"id\":1,\"command\":\"port.show\",\"args\":{\"dev\":\"a\\\\u0000\"}}";
	CU_ASSERT_EQUAL_FATAL(decode_req(ok, strlen(ok), &back), TSN_CTL_OK);
	json_object *dev;
	CU_ASSERT_TRUE(json_object_object_get_ex(back.args, "dev", &dev));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(dev), "a\\u0000");
	tsn_ctl_request_release(&back);
	/* Other escapes of control characters stay allowed. */
	CU_ASSERT_EQUAL(decode_str("{\"version\":1,\"id\":1,\"command\":\"x\",\"args\":{\"a\":\"\\u0001\\u0010\"}}"),
			TSN_CTL_OK);
}

/* Invalid UTF-8 was echoed raw into replies, which were then not JSON (issue 16). */
static void test_request_invalid_utf8(void)
{
	static const char *const bad[] = {
		"\xff\xfe", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\x80", "\xe2\x82",
	};
	static const char *const good[] = { "s\xc3\xbc" "d", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "plain" };
	char line[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "{\"version\":1,\"id\":1,\"command\":\"port.show\",\"args\":{\"dev\":\"%s\"}}",
			 bad[i]);
		CU_ASSERT_EQUAL(decode_str(line), TSN_CTL_E_MALFORMED);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(line, sizeof(line), "{\"version\":1,\"id\":1,\"command\":\"port.show\",\"args\":{\"dev\":\"%s\"}}",
			 good[i]);
		CU_ASSERT_EQUAL(decode_str(line), TSN_CTL_OK);
	}
}

static void test_request_deep_nesting(void)
{
	/* Far deeper than json-c's default depth: refused, not a stack overflow. */
	size_t depth = 100000;
	size_t len = 40 + 2 * depth;
	char *line = malloc(len + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	size_t n = (size_t)sprintf(line, "{\"version\":1,\"id\":1,\"command\":\"x\",\"args\":");
	memset(line + n, '[', depth);
	n += depth;
	line[n] = '\0';
	CU_ASSERT_EQUAL(decode_str(line), TSN_CTL_E_MALFORMED);
	free(line);
}

static void test_request_newline_terminated(void)
{
	const char *line = "{\"version\":1,\"id\":9,\"command\":\"status\"}\n";
	struct tsn_ctl_request back;

	CU_ASSERT_EQUAL_FATAL(decode_req(line, strlen(line), &back), TSN_CTL_OK);
	CU_ASSERT_EQUAL(back.id, 9);
	CU_ASSERT_STRING_EQUAL(back.command, "status");
	tsn_ctl_request_release(&back);
}

/* ---- responses ---- */

/* A reply's message is valid UTF-8 whatever it was built from: invalid bytes
 * become '?', and a multi-byte character cut at the end of the buffer goes. */
static void test_response_message_utf8(void)
{
	struct tsn_ctl_response resp = { .version = 1, .id = 3, .code = TSN_CTL_E_NOT_FOUND }, back;
	char err[256];
	size_t len;

	snprintf(resp.message, sizeof(resp.message), "no port named '\xff\xfe' (\xe2\x82\xac)");
	char *line = tsn_ctl_response_encode(&resp, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL_FATAL(tsn_ctl_response_decode(line, len, &back, err, sizeof(err)), TSN_CTL_OK);
	CU_ASSERT_STRING_EQUAL(back.message, "no port named '?" "?' (\xe2\x82\xac)");
	free(line);
	/* The buffer full of euro signs, the last one cut by snprintf. */
	memset(resp.message, 0, sizeof(resp.message));
	for (size_t i = 0; i + 3 < sizeof(resp.message); i += 3)
		memcpy(resp.message + i, "\xe2\x82\xac", 3);
	resp.message[sizeof(resp.message) - 2] = '\xe2';
	resp.message[sizeof(resp.message) - 1] = '\0';
	line = tsn_ctl_response_encode(&resp, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL(tsn_ctl_response_decode(line, len, &back, err, sizeof(err)), TSN_CTL_OK);
	free(line);
}

static void test_response_round_trip(void)
{
	struct tsn_ctl_response resp = { .version = 1, .id = 77, .code = TSN_CTL_E_NOT_FOUND };
	struct tsn_ctl_response back;
	char err[256];
	size_t len;

	snprintf(resp.message, sizeof(resp.message), "port \"x\"\nnot found");
	resp.data = json_object_new_object();
	json_object_object_add(resp.data, "ports", json_object_new_array());
	json_object_object_add(resp.data, "n", json_object_new_int64(-5));

	char *line = tsn_ctl_response_encode(&resp, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL(line[len - 1], '\n');
	CU_ASSERT_EQUAL(count_char(line, len, '\n'), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"result\":\"not-found\""));

	CU_ASSERT_EQUAL_FATAL(tsn_ctl_response_decode(line, len, &back, err, sizeof(err)), TSN_CTL_OK);
	CU_ASSERT_EQUAL(back.version, 1);
	CU_ASSERT_EQUAL(back.id, 77);
	CU_ASSERT_EQUAL(back.code, TSN_CTL_E_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(back.message, resp.message);
	CU_ASSERT_TRUE(json_object_equal(back.data, resp.data));
	tsn_ctl_response_release(&back);
	CU_ASSERT_PTR_NULL(back.data);
	json_object_put(resp.data);
	free(line);

	/* Without data. */
	struct tsn_ctl_response ok = { .version = 1, .id = 1, .code = TSN_CTL_OK };
	line = tsn_ctl_response_encode(&ok, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL_FATAL(tsn_ctl_response_decode(line, len, &back, err, sizeof(err)), TSN_CTL_OK);
	CU_ASSERT_PTR_NULL(back.data);
	CU_ASSERT_EQUAL(back.code, TSN_CTL_OK);
	CU_ASSERT_STRING_EQUAL(back.message, "");
	tsn_ctl_response_release(&back);
	free(line);
}

static void test_response_every_code(void)
{
	for (int code = 0; code < TSN_CTL_CODE_COUNT; code++) {
		struct tsn_ctl_response resp = { .version = 1, .id = (uint64_t)code, .code = code };
		struct tsn_ctl_response back;
		char err[256], want[64];
		size_t len;

		char *line = tsn_ctl_response_encode(&resp, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(line);
		snprintf(want, sizeof(want), "\"result\":\"%s\"", tsn_ctl_code_name(code));
		CU_ASSERT_PTR_NOT_NULL(strstr(line, want));
		CU_ASSERT_EQUAL(tsn_ctl_response_decode(line, len, &back, err, sizeof(err)), TSN_CTL_OK);
		CU_ASSERT_EQUAL((int)back.code, code);
		tsn_ctl_response_release(&back);
		free(line);
	}
}

static void test_response_malformed(void)
{
	static const char *const bad[] = {
		"garbage",
		"[]",
		"{}",
		"{\"version\":1,\"id\":1}",				/* no code */
		"{\"version\":1,\"code\":0}",				/* no id */
		"{\"id\":1,\"code\":0}",				/* no version */
		"{\"version\":1,\"id\":1,\"code\":-1}",
		"{\"version\":1,\"id\":1,\"code\":\"ok\"}",
		"{\"version\":1,\"id\":1,\"code\":0} trailing",
	};
	struct tsn_ctl_response back;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(tsn_ctl_response_decode(bad[i], strlen(bad[i]), &back, err, sizeof(err)),
				TSN_CTL_E_MALFORMED);
		CU_ASSERT(err[0] != '\0');
		tsn_ctl_response_release(&back);
	}
	const char *v2 = "{\"version\":2,\"id\":1,\"code\":0}";
	CU_ASSERT_EQUAL(tsn_ctl_response_decode(v2, strlen(v2), &back, err, sizeof(err)), TSN_CTL_E_VERSION);
	tsn_ctl_response_release(&back);
}

/* ---- result codes and the command table ---- */

static void test_code_names(void)
{
	/* Numbers and names are the wire protocol: this table is the contract. */
	static const struct { int code; const char *name; } expect[] = {
		{ 0, "ok" },			{ 1, "malformed" },
		{ 2, "unsupported-version" },	{ 3, "unknown-command" },
		{ 4, "invalid-argument" },	{ 5, "permission-denied" },
		{ 6, "too-large" },		{ 7, "timeout" },
		{ 8, "config-invalid" },	{ 9, "not-found" },
		{ 10, "apply-failed" },		{ 11, "busy" },
		{ 12, "internal" },
	};
	size_t n = sizeof(expect) / sizeof(expect[0]);

	CU_ASSERT_EQUAL(n, TSN_CTL_CODE_COUNT);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_STRING_EQUAL(tsn_ctl_code_name(expect[i].code), expect[i].name);
		CU_ASSERT_EQUAL(tsn_ctl_code_from_name(expect[i].name), expect[i].code);
	}
	CU_ASSERT_STRING_EQUAL(tsn_ctl_code_name(TSN_CTL_CODE_COUNT), "unknown");
	CU_ASSERT_STRING_EQUAL(tsn_ctl_code_name((enum tsn_ctl_code)-1), "unknown");
	CU_ASSERT_EQUAL(tsn_ctl_code_from_name("no-such-code"), -1);
	CU_ASSERT_EQUAL(tsn_ctl_code_from_name(""), -1);
	CU_ASSERT_EQUAL(tsn_ctl_code_from_name("OK"), -1);
}

static void test_command_table(void)
{
	size_t n;
	const struct tsn_ctl_command *cmds = tsn_ctl_commands(&n);

	CU_ASSERT_FATAL(n > 0);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(cmds[i].name);
		CU_ASSERT(strlen(cmds[i].name) < TSN_CTL_COMMAND_MAX);
		CU_ASSERT(cmds[i].access == TSN_CTL_READ || cmds[i].access == TSN_CTL_ADMIN);
		CU_ASSERT_PTR_NOT_NULL(cmds[i].summary);
		CU_ASSERT_PTR_EQUAL(tsn_ctl_command_find(cmds[i].name), &cmds[i]);
		for (size_t j = i + 1; j < n; j++)
			CU_ASSERT(strcmp(cmds[i].name, cmds[j].name) != 0);
	}
	CU_ASSERT_PTR_NULL(tsn_ctl_command_find("no.such.command"));
	CU_ASSERT_PTR_NULL(tsn_ctl_command_find(""));
	/* The one command that changes state must need admin rights. */
	const struct tsn_ctl_command *reload = tsn_ctl_command_find("config.reload");
	CU_ASSERT_PTR_NOT_NULL_FATAL(reload);
	CU_ASSERT_EQUAL(reload->access, TSN_CTL_ADMIN);
	CU_ASSERT_EQUAL(tsn_ctl_command_find("hello")->access, TSN_CTL_READ);
}

/* ---- framing ---- */

static void test_framer_split_line(void)
{
	struct tsn_ctl_framer f;
	size_t len;

	tsn_ctl_framer_init(&f, 64);
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "{\"a\"", 4), 0);
	CU_ASSERT_PTR_NULL(tsn_ctl_framer_next(&f, &len));
	CU_ASSERT_TRUE(tsn_ctl_framer_pending(&f));
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, ":1", 2), 0);
	CU_ASSERT_PTR_NULL(tsn_ctl_framer_next(&f, &len));
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "}\n{\"b", 5), 0);
	const char *line = tsn_ctl_framer_next(&f, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL(len, 7);
	CU_ASSERT_STRING_EQUAL(line, "{\"a\":1}");	/* NUL-terminated, no newline */
	CU_ASSERT_TRUE(tsn_ctl_framer_pending(&f));	/* "{\"b" follows */
	CU_ASSERT_PTR_NULL(tsn_ctl_framer_next(&f, &len));
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "\"}\n", 3), 0);
	line = tsn_ctl_framer_next(&f, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_STRING_EQUAL(line, "{\"b\"}");
	CU_ASSERT_FALSE(tsn_ctl_framer_pending(&f));
	CU_ASSERT_PTR_NULL(tsn_ctl_framer_next(&f, &len));
	CU_ASSERT_FALSE(f.overflow);
	tsn_ctl_framer_free(&f);
}

static void test_framer_byte_by_byte(void)
{
	const char *msg = "{\"version\":1,\"id\":5,\"command\":\"hello\"}\n";
	struct tsn_ctl_framer f;
	struct tsn_ctl_request req;
	size_t len, total = strlen(msg);

	tsn_ctl_framer_init(&f, total);
	for (size_t i = 0; i < total; i++) {
		CU_ASSERT_EQUAL_FATAL(tsn_ctl_framer_push(&f, msg + i, 1), 0);
		if (i + 1 < total)
			CU_ASSERT_PTR_NULL(tsn_ctl_framer_next(&f, &len));
	}
	const char *line = tsn_ctl_framer_next(&f, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL(len, total - 1);
	CU_ASSERT_EQUAL_FATAL(decode_req(line, len, &req), TSN_CTL_OK);
	CU_ASSERT_EQUAL(req.id, 5);
	tsn_ctl_request_release(&req);
	tsn_ctl_framer_free(&f);
}

static void test_framer_several_lines(void)
{
	struct tsn_ctl_framer f;
	const char *data = "one\ntwo\n\nthree\nfou";
	const char *want[] = { "one", "two", "", "three" };
	size_t len;

	tsn_ctl_framer_init(&f, 16);
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, data, strlen(data)), 0);
	for (size_t i = 0; i < 4; i++) {
		const char *line = tsn_ctl_framer_next(&f, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(line);
		CU_ASSERT_STRING_EQUAL(line, want[i]);
		CU_ASSERT_EQUAL(len, strlen(want[i]));
	}
	CU_ASSERT_PTR_NULL(tsn_ctl_framer_next(&f, &len));
	CU_ASSERT_TRUE(tsn_ctl_framer_pending(&f));
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "r\n", 2), 0);
	CU_ASSERT_STRING_EQUAL(tsn_ctl_framer_next(&f, &len), "four");
	CU_ASSERT_FALSE(tsn_ctl_framer_pending(&f));
	tsn_ctl_framer_free(&f);
}

static void test_framer_exact_limit(void)
{
	struct tsn_ctl_framer f;
	size_t len;

	/* The limit counts the newline: 7 characters + '\n' = 8 fits a limit of 8. */
	tsn_ctl_framer_init(&f, 8);
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "1234567\n", 8), 0);
	CU_ASSERT_FALSE(f.overflow);
	const char *line = tsn_ctl_framer_next(&f, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL(len, 7);
	CU_ASSERT_STRING_EQUAL(line, "1234567");
	/* Several lines at the limit in one push are fine too. */
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "abcdefg\nhijklmn\n", 16), 0);
	CU_ASSERT_STRING_EQUAL(tsn_ctl_framer_next(&f, &len), "abcdefg");
	CU_ASSERT_STRING_EQUAL(tsn_ctl_framer_next(&f, &len), "hijklmn");
	CU_ASSERT_FALSE(f.overflow);
	tsn_ctl_framer_free(&f);
}

static void test_framer_limit_plus_one(void)
{
	struct tsn_ctl_framer f;

	tsn_ctl_framer_init(&f, 8);
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "12345678\n", 9), -1);
	CU_ASSERT_TRUE(f.overflow);
	tsn_ctl_framer_free(&f);

	/* An oversized line after a good one is still caught. */
	tsn_ctl_framer_init(&f, 8);
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "ok\n123456789\n", 13), -1);
	CU_ASSERT_TRUE(f.overflow);
	tsn_ctl_framer_free(&f);
}

static void test_framer_unfinished_overflow(void)
{
	struct tsn_ctl_framer f;

	/* limit - 1 bytes without a newline can still become a valid line ... */
	tsn_ctl_framer_init(&f, 8);
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "1234567", 7), 0);
	CU_ASSERT_FALSE(f.overflow);
	CU_ASSERT_TRUE(tsn_ctl_framer_pending(&f));
	/* ... one byte more cannot: overflow is known before the newline arrives. */
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "8", 1), -1);
	CU_ASSERT_TRUE(f.overflow);
	tsn_ctl_framer_free(&f);

	/* Growth in small pushes is caught the same way. */
	tsn_ctl_framer_init(&f, 1024);
	int rc = 0;
	for (int i = 0; i < 2048 && rc == 0; i++)
		rc = tsn_ctl_framer_push(&f, "x", 1);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_TRUE(f.overflow);
	CU_ASSERT(f.len <= 1024);	/* stopped at the limit, not after buffering everything */
	tsn_ctl_framer_free(&f);
}

static void on_alarm(int sig)
{
	static const char msg[] = "\n  framer: a line pushed a byte at a time took over 30 s\n";
	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

/* A line sent a byte at a time: each push scanned everything buffered, so a
 * 1 MiB request cost 5 * 10^11 byte comparisons (minutes of tsnd's loop).  Only
 * new bytes are scanned now (milliseconds); the alarm is 1000x generous. */
static void test_framer_byte_at_a_time_is_linear(void)
{
	struct tsn_ctl_framer f;
	size_t n = 1u << 20, len;
	const char *line;

	tsn_ctl_framer_init(&f, 16u << 20);
	signal(SIGALRM, on_alarm);
	alarm(30);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL_FATAL(tsn_ctl_framer_push(&f, "x", 1), 0);
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "\nab", 3), 0);
	alarm(0);
	line = tsn_ctl_framer_next(&f, &len);
	CU_ASSERT_PTR_NOT_NULL(line);
	CU_ASSERT_EQUAL(len, n);
	/* The limit still holds across pushes after a line was taken. */
	tsn_ctl_framer_free(&f);
	tsn_ctl_framer_init(&f, 8);
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "abc\nde", 6), 0);
	CU_ASSERT_PTR_NOT_NULL(tsn_ctl_framer_next(&f, &len));
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "fgh", 3), 0);	/* "defgh": 5 */
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "ij", 2), 0);	/* 7: room for the '\n' */
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "k", 1), -1);	/* 8 without its '\n' */
	CU_ASSERT_TRUE(f.overflow);
	tsn_ctl_framer_free(&f);
}

static void test_framer_pending(void)
{
	struct tsn_ctl_framer f;
	size_t len;

	tsn_ctl_framer_init(&f, 64);
	CU_ASSERT_FALSE(tsn_ctl_framer_pending(&f));
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "", 0), 0);
	CU_ASSERT_FALSE(tsn_ctl_framer_pending(&f));
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "{", 1), 0);
	CU_ASSERT_TRUE(tsn_ctl_framer_pending(&f));
	CU_ASSERT_EQUAL(tsn_ctl_framer_push(&f, "}\n", 2), 0);
	CU_ASSERT_PTR_NOT_NULL(tsn_ctl_framer_next(&f, &len));
	CU_ASSERT_FALSE(tsn_ctl_framer_pending(&f));
	tsn_ctl_framer_free(&f);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "request round trip", test_request_round_trip },
		{ "request without args", test_request_without_args },
		{ "request extreme ids", test_request_extreme_ids },
		{ "request command length", test_request_command_length },
		{ "request malformed inputs", test_request_malformed },
		{ "request protocol version", test_request_version },
		{ "request embedded NUL", test_request_embedded_nul },
		{ "request escaped NUL", test_request_escaped_nul },
		{ "request invalid UTF-8", test_request_invalid_utf8 },
		{ "request deep nesting", test_request_deep_nesting },
		{ "request with its newline", test_request_newline_terminated },
		{ "response round trip", test_response_round_trip },
		{ "response every code", test_response_every_code },
		{ "response message stays UTF-8", test_response_message_utf8 },
		{ "response malformed inputs", test_response_malformed },
		{ "result code names", test_code_names },
		{ "command table", test_command_table },
		{ "framer line split across pushes", test_framer_split_line },
		{ "framer byte by byte", test_framer_byte_by_byte },
		{ "framer several lines in one push", test_framer_several_lines },
		{ "framer exact limit", test_framer_exact_limit },
		{ "framer limit plus one", test_framer_limit_plus_one },
		{ "framer unfinished line overflow", test_framer_unfinished_overflow },
		{ "framer pending detection", test_framer_pending },
		{ "framer: a byte at a time is linear", test_framer_byte_at_a_time_is_linear },
	};

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	CU_pSuite suite = CU_add_suite("ctl_proto", NULL, NULL);
	if (!suite) {
		CU_cleanup_registry();
		return 1;
	}
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (!CU_add_test(suite, tests[i].name, tests[i].fn)) {
			CU_cleanup_registry();
			return 1;
		}
	}
	return tu_run_tests();
}
