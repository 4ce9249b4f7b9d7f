/* SPDX-License-Identifier: GPL-2.0-only */
/* ctl_proto.c — encode/decode of control-protocol messages, the command table
 * (from ctl_commands.h) and line framing. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsn/config.h"
#include "tsn/ctl_proto.h"

static const char *const code_names[TSN_CTL_CODE_COUNT] = {
	[TSN_CTL_OK] = "ok",
	[TSN_CTL_E_MALFORMED] = "malformed",
	[TSN_CTL_E_VERSION] = "unsupported-version",
	[TSN_CTL_E_UNKNOWN_COMMAND] = "unknown-command",
	[TSN_CTL_E_INVALID_ARGUMENT] = "invalid-argument",
	[TSN_CTL_E_PERMISSION] = "permission-denied",
	[TSN_CTL_E_TOO_LARGE] = "too-large",
	[TSN_CTL_E_TIMEOUT] = "timeout",
	[TSN_CTL_E_CONFIG_INVALID] = "config-invalid",
	[TSN_CTL_E_NOT_FOUND] = "not-found",
	[TSN_CTL_E_APPLY_FAILED] = "apply-failed",
	[TSN_CTL_E_BUSY] = "busy",
	[TSN_CTL_E_INTERNAL] = "internal",
};

/* The argument lists of the table's `args` column. */
static const struct tsn_ctl_arg ARGS_NONE[] = { { 0 } };
static const struct tsn_ctl_arg ARGS_DEV[] = {
	{ .name = "dev", .type = TSN_ARG_DEV, .meta = "DEV", .keyword = "dev", .what = "an interface name" },
	{ 0 },
};
static const struct tsn_ctl_arg ARGS_ID[] = {
	{ .name = "id", .type = TSN_ARG_STREAM_ID, .meta = "ID" },
	{ 0 },
};
static const struct tsn_ctl_arg ARGS_NAME[] = {
	{ .name = "name", .type = TSN_ARG_NAME, .meta = "NAME", .what = "a stream filter's name" },
	{ 0 },
};
static const struct tsn_ctl_arg ARGS_LATENCY[] = {
	{ .name = "dev", .type = TSN_ARG_DEV, .meta = "DEV", .keyword = "dev", .what = "an interface name" },
	/* "class N" and "stream ID" without dashes are accepted as before. */
	{ .name = "class", .type = TSN_ARG_CLASS, .meta = "N", .flag = "--class", .keyword = "class" },
	{ .name = "stream", .type = TSN_ARG_STREAM_ID, .meta = "ID", .flag = "--stream",
	  .keyword = "stream", .alone = 1 },
	{ 0 },
};
static const struct tsn_ctl_arg ARGS_SHOW[] = {
	/* For programs that read only "config": printing the YAML costs about as much
	 * as the rest of the answer. */
	{ .name = "no-yaml", .type = TSN_ARG_FLAG, .flag = "--no-yaml",
	  .what = "true: leave the YAML text out" },
	{ 0 },
};
static const struct tsn_ctl_arg ARGS_CHECK[] = {
	{ .name = "config", .type = TSN_ARG_CONFIG, .meta = "FILE",
	  .what = "the whole configuration as YAML or JSON text" },
	{ 0 },
};
static const struct tsn_ctl_arg ARGS_APPLY[] = {
	{ .name = "config", .type = TSN_ARG_CONFIG, .meta = "FILE", .required = 1,
	  .what = "the whole configuration as YAML or JSON text" },
	{ .name = "confirm-within-ms", .type = TSN_ARG_MS, .meta = "T", .flag = "--confirm-within" },
	/* Asked for, not always sent: a plain reload should not pay for the digest. */
	{ .name = "digest", .type = TSN_ARG_FLAG, .flag = "--digest",
	  .what = "true: answer the digest of what runs" },
	{ 0 },
};

#define N_ARGS(list) (sizeof(list) / sizeof(list[0]) - 1)

static const struct tsn_ctl_command commands[] = {
#define COMMAND_ROW(id_, fn, name_, access_, args_, summary_)                                    \
	[TSN_CMD_##id_] = { .id = TSN_CMD_##id_, .name = name_, .access = access_,              \
			    .summary = summary_, .args = args_, .n_args = N_ARGS(args_) },
	TSN_CTL_COMMANDS(COMMAND_ROW)
#undef COMMAND_ROW
};

_Static_assert(sizeof(commands) / sizeof(commands[0]) == TSN_CMD_COUNT,
	       "one row per command");

const char *tsn_ctl_code_name(enum tsn_ctl_code code)
{
	if ((unsigned)code < TSN_CTL_CODE_COUNT && code_names[code])
		return code_names[code];
	return "unknown";
}

int tsn_ctl_code_from_name(const char *name)
{
	for (int i = 0; i < TSN_CTL_CODE_COUNT; i++)
		if (code_names[i] && strcmp(code_names[i], name) == 0)
			return i;
	return -1;
}

const struct tsn_ctl_command *tsn_ctl_commands(size_t *count)
{
	*count = sizeof(commands) / sizeof(commands[0]);
	return commands;
}

const struct tsn_ctl_command *tsn_ctl_command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

const struct tsn_ctl_command *tsn_ctl_command_get(enum tsn_ctl_cmd id)
{
	return (unsigned)id < TSN_CMD_COUNT ? &commands[id] : NULL;
}

const struct tsn_ctl_arg *tsn_ctl_arg_find(const struct tsn_ctl_command *cmd, const char *name)
{
	for (size_t i = 0; i < cmd->n_args; i++)
		if (strcmp(cmd->args[i].name, name) == 0)
			return &cmd->args[i];
	return NULL;
}

/* One argument's value: its type and range. */
static bool arg_check(const struct tsn_ctl_arg *a, json_object *v, char *msg, size_t len)
{
	int64_t n = json_object_get_int64(v);
	bool is_int = json_object_is_type(v, json_type_int);
	bool is_str = json_object_is_type(v, json_type_string);
	size_t slen = is_str ? (size_t)json_object_get_string_len(v) : 0;
	const char *s = is_str ? json_object_get_string(v) : "";

	switch (a->type) {
	case TSN_ARG_DEV:
	case TSN_ARG_NAME: {
		size_t max = a->type == TSN_ARG_DEV ? 15 : (size_t)TSN_NAME_MAX - 1;
		if (!is_str) {
			snprintf(msg, len, "argument \"%s\" must be a string (%s)", a->name, a->what);
			return false;
		}
		if (slen < 1 || slen > max || memchr(s, '\0', slen)) {
			snprintf(msg, len, "argument \"%s\" must be %s of 1 to %zu bytes", a->name, a->what, max);
			return false;
		}
		return true;
	}
	case TSN_ARG_STREAM_ID:
		if (is_int && n >= 1 && n <= 4294967294LL)
			return true;
		snprintf(msg, len, "argument \"%s\" must be a stream id from 1 to 4294967294", a->name);
		return false;
	case TSN_ARG_CLASS:
		if (is_int && n >= 0 && n <= 7)
			return true;
		snprintf(msg, len, "argument \"%s\" must be a traffic class from 0 to 7", a->name);
		return false;
	case TSN_ARG_MS:
		if (is_int && n >= 1 && n <= 3600000)
			return true;
		snprintf(msg, len, "argument \"%s\" must be an integer from 1 to 3600000 (one hour)", a->name);
		return false;
	case TSN_ARG_FLAG:
		if (json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v))
			return true;
		snprintf(msg, len, "argument \"%s\" must be true (%s), or left out", a->name, a->what);
		return false;
	case TSN_ARG_CONFIG:
		if (!is_str) {
			snprintf(msg, len, "argument \"%s\" must be a string: %s", a->name, a->what);
			return false;
		}
		if (memchr(s, '\0', slen)) {
			snprintf(msg, len, "argument \"%s\" contains a NUL character", a->name);
			return false;
		}
		return true;
	}
	return false;
}

enum tsn_ctl_code tsn_ctl_args_check(const struct tsn_ctl_command *cmd, json_object *args,
				     char *msg, size_t len)
{
	json_object_object_foreach(args, key, val) {
		const struct tsn_ctl_arg *a = tsn_ctl_arg_find(cmd, key);

		if (!a) {
			/* Unknown args are refused, so that a typo does not silently do
			 * something else. */
			char accepted[128] = "none";
			size_t used = 0;
			for (size_t i = 0; i < cmd->n_args && used < sizeof(accepted); i++)
				used += (size_t)snprintf(accepted + used, sizeof(accepted) - used, "%s%s",
							 i ? ", " : "", cmd->args[i].name);
			snprintf(msg, len, "unknown argument \"%.64s\" for %s (accepted: %s)", key, cmd->name,
				 accepted);
			return TSN_CTL_E_INVALID_ARGUMENT;
		}
		if (!arg_check(a, val, msg, len))
			return TSN_CTL_E_INVALID_ARGUMENT;
	}
	for (size_t i = 0; i < cmd->n_args; i++) {
		const struct tsn_ctl_arg *a = &cmd->args[i];
		bool given = json_object_object_get_ex(args, a->name, NULL);

		if (a->required && !given) {
			snprintf(msg, len, "argument \"%s\" is missing: %s", a->name, a->what);
			return TSN_CTL_E_INVALID_ARGUMENT;
		}
		if (a->alone && given && json_object_object_length(args) > 1) {
			snprintf(msg, len, "argument \"%s\" excludes every other argument", a->name);
			return TSN_CTL_E_INVALID_ARGUMENT;
		}
	}
	return TSN_CTL_OK;
}

/* Length of the valid UTF-8 sequence at s[0..len), or 0 if there is none (stray
 * continuation, overlong form, surrogate, beyond U+10FFFF, cut short). */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned c = s[0];
	size_t n;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static bool utf8_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq((const unsigned char *)s + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

/* s as valid UTF-8 in out (NUL-terminated, at most outlen bytes): each byte that
 * starts no valid sequence becomes '?', and a sequence the end would cut is left
 * out.  A message may hold what a peer sent or a cut made by snprintf; the reply
 * must stay valid JSON (RFC 8259 requires UTF-8). */
static void utf8_sanitize(const char *s, char *out, size_t outlen)
{
	size_t len = strlen(s), o = 0;

	for (size_t i = 0; i < len && o + 1 < outlen;) {
		size_t n = utf8_seq((const unsigned char *)s + i, len - i);
		if (!n) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + n >= outlen)
			break;
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
}

/* Serialize obj compactly and append '\n'.  json-c escapes control characters, so
 * the result holds exactly one newline: the terminator. */
static char *encode_line(json_object *obj, size_t *len)
{
	size_t n;
	const char *text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	char *line = text ? malloc(n + 2) : NULL;
	if (line) {
		memcpy(line, text, n);
		line[n] = '\n';
		line[n + 1] = '\0';
		if (len)
			*len = n + 1;
	}
	json_object_put(obj);
	return line;
}

char *tsn_ctl_request_encode(const struct tsn_ctl_request *req, size_t *len)
{
	json_object *obj = json_object_new_object();
	json_object_object_add(obj, "version", json_object_new_int64(req->version));
	json_object_object_add(obj, "id", json_object_new_uint64(req->id));
	json_object_object_add(obj, "command", json_object_new_string(req->command));
	if (req->args)
		json_object_object_add(obj, "args", json_object_get(req->args));
	return encode_line(obj, len);
}

char *tsn_ctl_response_encode(const struct tsn_ctl_response *resp, size_t *len)
{
	json_object *obj = json_object_new_object();
	json_object_object_add(obj, "version", json_object_new_int64(resp->version));
	json_object_object_add(obj, "id", json_object_new_uint64(resp->id));
	json_object_object_add(obj, "code", json_object_new_int(resp->code));
	json_object_object_add(obj, "result", json_object_new_string(tsn_ctl_code_name(resp->code)));
	char message[TSN_CTL_MESSAGE_MAX];
	utf8_sanitize(resp->message, message, sizeof(message));
	json_object_object_add(obj, "message", json_object_new_string(message));
	if (resp->data)
		json_object_object_add(obj, "data", json_object_get(resp->data));
	return encode_line(obj, len);
}

/* True if a string of the JSON text line[0..len) holds the escape \u0000: json-c
 * would keep it, and every C string made from it would end there ("hello\u0000x"
 * would run hello).  A backslash escapes the character after it, so pairs are
 * skipped. */
static bool has_escaped_nul(const char *line, size_t len)
{
	for (const char *p = memchr(line, '\\', len); p; p = memchr(p, '\\', (size_t)(line + len - p))) {
		size_t left = (size_t)(line + len - p);
		if (left >= 6 && p[1] == 'u' && memcmp(p + 2, "0000", 4) == 0)
			return true;
		p += left >= 2 ? 2 : 1;
	}
	return false;
}

/* Parse exactly one JSON object from line[0..len), rejecting trailing garbage,
 * NUL bytes (raw or escaped) and invalid UTF-8. */
static json_object *parse_object(const char *line, size_t len, char *err, size_t errlen)
{
	if (len && line[len - 1] == '\n')
		len--;
	if (memchr(line, '\0', len)) {
		snprintf(err, errlen, "message contains a NUL byte");
		return NULL;
	}
	if (has_escaped_nul(line, len)) {
		snprintf(err, errlen, "message contains a NUL character (\\u0000); strings may not hold one");
		return NULL;
	}
	if (!utf8_valid(line, len)) {
		snprintf(err, errlen, "message is not valid UTF-8");
		return NULL;
	}
	if (len > (size_t)INT32_MAX) {
		snprintf(err, errlen, "message too long");
		return NULL;
	}
	json_tokener *tok = json_tokener_new();
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_object *obj = json_tokener_parse_ex(tok, line, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (!obj) {
		snprintf(err, errlen, "not valid JSON: %s",
			 jerr == json_tokener_continue ? "unexpected end of message"
						      : json_tokener_error_desc(jerr));
	} else if (json_tokener_get_parse_end(tok) != len &&
		   line[json_tokener_get_parse_end(tok)] != ' ') {
		snprintf(err, errlen, "trailing data after the JSON object");
		json_object_put(obj);
		obj = NULL;
	} else if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "message is not a JSON object");
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

static bool get_uint(json_object *obj, const char *key, uint64_t max, uint64_t *out)
{
	json_object *v;
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	int64_t s = json_object_get_int64(v);
	uint64_t u = json_object_get_uint64(v);
	if (s < 0 || u > max)
		return false;
	*out = u;
	return true;
}

enum tsn_ctl_code tsn_ctl_request_decode(const char *line, size_t len,
					 struct tsn_ctl_request *req, char *err, size_t errlen)
{
	memset(req, 0, sizeof(*req));
	json_object *obj = parse_object(line, len, err, errlen);
	if (!obj)
		return TSN_CTL_E_MALFORMED;

	enum tsn_ctl_code code = TSN_CTL_E_MALFORMED;
	uint64_t version, id;
	json_object *cmd, *args = NULL;

	if (get_uint(obj, "id", TSN_CTL_ID_MAX, &id))
		req->id = id;
	if (!get_uint(obj, "version", UINT32_MAX, &version)) {
		snprintf(err, errlen, "field \"version\" missing or not a non-negative integer");
		goto out;
	}
	req->version = (uint32_t)version;
	if (version != TSN_CTL_PROTOCOL_VERSION) {
		snprintf(err, errlen, "protocol version %llu not supported (this daemon speaks %d)",
			 (unsigned long long)version, TSN_CTL_PROTOCOL_VERSION);
		code = TSN_CTL_E_VERSION;
		goto out;
	}
	if (!get_uint(obj, "id", TSN_CTL_ID_MAX, &id)) {
		snprintf(err, errlen, "field \"id\" missing or not an integer from 0 to 2^53-1");
		goto out;
	}
	if (!json_object_object_get_ex(obj, "command", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		snprintf(err, errlen, "field \"command\" missing or not a string");
		goto out;
	}
	if ((size_t)json_object_get_string_len(cmd) >= sizeof(req->command)) {
		snprintf(err, errlen, "field \"command\" longer than %zu bytes", sizeof(req->command) - 1);
		goto out;
	}
	memcpy(req->command, json_object_get_string(cmd), json_object_get_string_len(cmd) + 1);
	if (json_object_object_get_ex(obj, "args", &args) && !json_object_is_type(args, json_type_null)) {
		if (!json_object_is_type(args, json_type_object)) {
			snprintf(err, errlen, "field \"args\" is not an object");
			goto out;
		}
		req->args = json_object_get(args);
	} else {
		req->args = json_object_new_object();
	}
	code = TSN_CTL_OK;
out:
	json_object_put(obj);
	return code;
}

enum tsn_ctl_code tsn_ctl_response_decode(const char *line, size_t len,
					  struct tsn_ctl_response *resp, char *err, size_t errlen)
{
	memset(resp, 0, sizeof(*resp));
	json_object *obj = parse_object(line, len, err, errlen);
	if (!obj)
		return TSN_CTL_E_MALFORMED;

	enum tsn_ctl_code status = TSN_CTL_E_MALFORMED;
	uint64_t version, id, code;
	json_object *msg, *data;

	if (!get_uint(obj, "version", UINT32_MAX, &version) || !get_uint(obj, "id", TSN_CTL_ID_MAX, &id) ||
	    !get_uint(obj, "code", INT32_MAX, &code)) {
		snprintf(err, errlen, "response lacks a valid version, id or code");
		goto out;
	}
	if (version != TSN_CTL_PROTOCOL_VERSION) {
		snprintf(err, errlen, "daemon speaks protocol version %llu, this client %d",
			 (unsigned long long)version, TSN_CTL_PROTOCOL_VERSION);
		status = TSN_CTL_E_VERSION;
		goto out;
	}
	resp->version = (uint32_t)version;
	resp->id = id;
	resp->code = (enum tsn_ctl_code)code;
	if (json_object_object_get_ex(obj, "message", &msg) && json_object_is_type(msg, json_type_string))
		snprintf(resp->message, sizeof(resp->message), "%s", json_object_get_string(msg));
	if (json_object_object_get_ex(obj, "data", &data) && !json_object_is_type(data, json_type_null))
		resp->data = json_object_get(data);
	status = TSN_CTL_OK;
out:
	json_object_put(obj);
	return status;
}

void tsn_ctl_request_release(struct tsn_ctl_request *req)
{
	json_object_put(req->args);
	req->args = NULL;
}

void tsn_ctl_response_release(struct tsn_ctl_response *resp)
{
	json_object_put(resp->data);
	resp->data = NULL;
}

/* ---- framing ----------------------------------------------------------------
 * buf[0..taken) is the line handed out by the last framer_next call (its '\n' was
 * replaced by '\0'); it is dropped at the start of the next framer call. */

void tsn_ctl_framer_init(struct tsn_ctl_framer *f, size_t limit)
{
	memset(f, 0, sizeof(*f));
	f->limit = limit;
}

void tsn_ctl_framer_free(struct tsn_ctl_framer *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

/* Drop the line handed out by the previous framer_next. */
static void framer_drop_taken(struct tsn_ctl_framer *f)
{
	if (!f->taken)
		return;
	memmove(f->buf, f->buf + f->taken, f->len - f->taken);
	f->len -= f->taken;
	f->scanned = f->scanned > f->taken ? f->scanned - f->taken : 0;
	f->line_start = f->line_start > f->taken ? f->line_start - f->taken : 0;
	f->taken = 0;
}

int tsn_ctl_framer_push(struct tsn_ctl_framer *f, const void *data, size_t len)
{
	framer_drop_taken(f);
	if (f->len + len + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 1024;
		while (cap < f->len + len + 1)
			cap *= 2;
		char *p = realloc(f->buf, cap);
		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		f->buf = p;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, data, len);
	f->len += len;

	/* Every line, complete or not, must fit in limit bytes including its '\n'.
	 * Only the new bytes are scanned: a request sent a byte at a time must not
	 * cost a scan of everything buffered per byte (quadratic in max-request). */
	size_t start = f->line_start;
	for (size_t i = f->scanned; i < f->len; i++) {
		if (f->buf[i] != '\n')
			continue;
		if (i - start + 1 > f->limit)
			f->overflow = true;
		start = i + 1;
	}
	f->scanned = f->len;
	f->line_start = start;
	if (f->len - start >= f->limit)
		f->overflow = true;
	return f->overflow ? -1 : 0;
}

const char *tsn_ctl_framer_next(struct tsn_ctl_framer *f, size_t *len)
{
	framer_drop_taken(f);
	char *nl = f->len ? memchr(f->buf, '\n', f->len) : NULL;
	if (!nl)
		return NULL;
	*nl = '\0';
	*len = (size_t)(nl - f->buf);
	f->taken = *len + 1;
	return f->buf;
}

bool tsn_ctl_framer_pending(const struct tsn_ctl_framer *f)
{
	return f->len > f->taken;
}
