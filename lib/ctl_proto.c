/* ctl_proto.c — encode/decode of control-protocol messages and line framing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const struct tsn_ctl_command commands[] = {
	{ "hello",         TSN_CTL_READ,  "protocol and daemon version" },
	{ "status",        TSN_CTL_READ,  "daemon, configuration and port summary" },
	{ "config.show",   TSN_CTL_READ,  "the running configuration, normalized" },
	{ "config.check",  TSN_CTL_READ,  "validate the configuration file on disk, or a configuration text" },
	{ "config.reload", TSN_CTL_ADMIN, "load the configuration file, all or nothing" },
	{ "config.apply",  TSN_CTL_ADMIN, "apply a configuration text, all or nothing, optionally until confirmed" },
	{ "config.confirm", TSN_CTL_ADMIN, "keep the configuration config.apply left waiting, and write it to the file" },
	{ "config.cancel", TSN_CTL_ADMIN, "roll back the configuration config.apply left waiting" },
	{ "port.show",     TSN_CTL_READ,  "configured ports and their kernel state" },
	{ "schedule.show", TSN_CTL_READ,  "gate schedules: configured, in the kernel (admin and oper), drift" },
	{ "ptp.status",    TSN_CTL_READ,  "time sync: ptp4l, ports, grandmaster, offsets, sync state" },
	{ "stream.show",   TSN_CTL_READ,  "identified streams (802.1CB) and their counters" },
	{ "class.stats",   TSN_CTL_READ,  "per port and traffic class: packets, bytes, drops" },
	{ "route.show",    TSN_CTL_READ,  "the configured IPv6 routes and whether they are installed" },
	{ "filter.show",   TSN_CTL_READ,  "stream filters and flow meters (802.1Qci) and their counters" },
	{ "latency.show",  TSN_CTL_READ,  "residence-time histograms per port and class, and per stream" },
	{ "latency.reset", TSN_CTL_ADMIN, "zero the residence-time histograms and conformance counters" },
};

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
	json_object_object_add(obj, "message", json_object_new_string(resp->message));
	if (resp->data)
		json_object_object_add(obj, "data", json_object_get(resp->data));
	return encode_line(obj, len);
}

/* Parse exactly one JSON object from line[0..len), rejecting trailing garbage and
 * embedded NUL bytes. */
static json_object *parse_object(const char *line, size_t len, char *err, size_t errlen)
{
	if (len && line[len - 1] == '\n')
		len--;
	if (memchr(line, '\0', len)) {
		snprintf(err, errlen, "message contains a NUL byte");
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

	/* Every line, complete or not, must fit in limit bytes including its '\n'. */
	size_t start = 0;
	for (size_t i = 0; i < f->len; i++) {
		if (f->buf[i] != '\n')
			continue;
		if (i - start + 1 > f->limit)
			f->overflow = true;
		start = i + 1;
	}
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
