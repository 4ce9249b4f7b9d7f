/* SPDX-License-Identifier: GPL-2.0-only */
/* ctl_proto.h — the tsnd control protocol, shared by tsnd, tsnctl and the tests.
 *
 * Transport: a UNIX stream socket.  Every message is one JSON object on one line,
 * terminated by '\n' (the JSON encoder never emits a raw newline).  A client sends a
 * request and reads exactly one response per request; several requests may follow
 * each other on one connection.  docs/control-protocol.md is the reference.
 *
 *   request:  {"version":1,"id":7,"command":"port.show","args":{"dev":"sw0p1"}}
 *   response: {"version":1,"id":7,"code":0,"result":"ok","message":"","data":{...}}
 */
#ifndef TSN_CTL_PROTO_H
#define TSN_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "tsn/ctl_commands.h"

#define TSN_CTL_PROTOCOL_VERSION 1
#define TSN_CTL_DEFAULT_SOCKET "/run/tsnd/tsnd.sock"
#define TSN_CTL_DEFAULT_MAX_REQUEST 65536u	/* bytes, including the newline */
/* Requests of admin peers may be this long (or control.max-request if larger):
 * config.apply carries a whole configuration (docs/control-protocol.md). */
#define TSN_CTL_ADMIN_MAX_REQUEST (4u << 20)
#define TSN_CTL_MAX_RESPONSE (16u << 20)	/* what a client accepts */
#define TSN_CTL_COMMAND_MAX 64
#define TSN_CTL_MESSAGE_MAX 1024
/* Ids stay within the integers every JSON implementation holds exactly (2^53 - 1). */
#define TSN_CTL_ID_MAX ((1ull << 53) - 1)

/* Result codes.  Numbers and names are part of the protocol: never renumber. */
enum tsn_ctl_code {
	TSN_CTL_OK = 0,
	TSN_CTL_E_MALFORMED = 1,	/* not JSON, not an object, a field missing or mistyped */
	TSN_CTL_E_VERSION = 2,		/* protocol version not supported */
	TSN_CTL_E_UNKNOWN_COMMAND = 3,
	TSN_CTL_E_INVALID_ARGUMENT = 4,
	TSN_CTL_E_PERMISSION = 5,	/* peer credentials do not allow this command */
	TSN_CTL_E_TOO_LARGE = 6,	/* request longer than control.max-request */
	TSN_CTL_E_TIMEOUT = 7,		/* request not complete within control.timeout */
	TSN_CTL_E_CONFIG_INVALID = 8,	/* configuration has errors; nothing was changed */
	TSN_CTL_E_NOT_FOUND = 9,	/* named object (port, stream, ...) does not exist */
	TSN_CTL_E_APPLY_FAILED = 10,	/* the kernel refused a change; previous state restored */
	TSN_CTL_E_BUSY = 11,		/* too many clients or an operation in progress */
	TSN_CTL_E_INTERNAL = 12,
	TSN_CTL_CODE_COUNT
};

enum tsn_ctl_access {
	TSN_CTL_READ,	/* members of control.read-group, control.admin-group and root */
	TSN_CTL_ADMIN,	/* members of control.admin-group and root */
};

/* One row per command, made from TSN_CTL_COMMANDS (ctl_commands.h). */
struct tsn_ctl_command {
	enum tsn_ctl_cmd id;	/* its index in tsn_ctl_commands() */
	const char *name;
	enum tsn_ctl_access access;
	const char *summary;
	const struct tsn_ctl_arg *args;	/* n_args of them */
	size_t n_args;
};

struct tsn_ctl_request {
	uint32_t version;
	uint64_t id;
	char command[TSN_CTL_COMMAND_MAX];
	json_object *args;	/* always an object after decode (empty if absent); owned */
};

struct tsn_ctl_response {
	uint32_t version;
	uint64_t id;
	enum tsn_ctl_code code;
	char message[TSN_CTL_MESSAGE_MAX];
	json_object *data;	/* may be NULL; owned */
};

const char *tsn_ctl_code_name(enum tsn_ctl_code code);
/* Returns -1 for an unknown name. */
int tsn_ctl_code_from_name(const char *name);

const struct tsn_ctl_command *tsn_ctl_commands(size_t *count);
const struct tsn_ctl_command *tsn_ctl_command_find(const char *name);
const struct tsn_ctl_command *tsn_ctl_command_get(enum tsn_ctl_cmd id);
/* The argument of cmd called name, or NULL. */
const struct tsn_ctl_arg *tsn_ctl_arg_find(const struct tsn_ctl_command *cmd, const char *name);
/* Check a request's args (an object) against cmd's list: names, types, ranges,
 * required and exclusive ones.  TSN_CTL_OK, or TSN_CTL_E_INVALID_ARGUMENT with
 * the reason in msg. */
enum tsn_ctl_code tsn_ctl_args_check(const struct tsn_ctl_command *cmd, json_object *args,
				     char *msg, size_t len);

/* Encoders return a malloc'd, '\n'-terminated line (and its length) or NULL on
 * allocation failure.  They do not take ownership of args/data. */
char *tsn_ctl_request_encode(const struct tsn_ctl_request *req, size_t *len);
char *tsn_ctl_response_encode(const struct tsn_ctl_response *resp, size_t *len);

/* Decoders take one line (with or without its '\n').  On failure they return a
 * code other than TSN_CTL_OK and write a reason to err.  On success the caller
 * owns req->args / resp->data and releases them with the *_release functions.
 * The request decoder fills req->id whenever the id could be read, so that an
 * error reply can still name it. */
enum tsn_ctl_code tsn_ctl_request_decode(const char *line, size_t len,
					 struct tsn_ctl_request *req, char *err, size_t errlen);
enum tsn_ctl_code tsn_ctl_response_decode(const char *line, size_t len,
					  struct tsn_ctl_response *resp, char *err, size_t errlen);
void tsn_ctl_request_release(struct tsn_ctl_request *req);
void tsn_ctl_response_release(struct tsn_ctl_response *resp);

/* Line framing with a size limit, for both ends of the socket. */
struct tsn_ctl_framer {
	char *buf;
	size_t len, cap, limit;
	size_t taken;	/* bytes of the line last returned by framer_next */
	size_t scanned;	/* buf[0..scanned) was checked against the limit ... */
	size_t line_start;	/* ... and the line in progress there starts here */
	bool overflow;	/* a line grew past limit: the connection must be answered and closed */
};

void tsn_ctl_framer_init(struct tsn_ctl_framer *f, size_t limit);
void tsn_ctl_framer_free(struct tsn_ctl_framer *f);
/* Append received bytes; returns -1 (and sets overflow) if the pending line exceeds
 * the limit, -1 with errno ENOMEM if memory ran out, 0 otherwise. */
int tsn_ctl_framer_push(struct tsn_ctl_framer *f, const void *data, size_t len);
/* If a complete line is buffered, return a pointer to it (NUL-terminated, without
 * the '\n') and its length; the line stays valid until the next framer call. */
const char *tsn_ctl_framer_next(struct tsn_ctl_framer *f, size_t *len);
/* True if bytes of an unfinished line are buffered (a half-sent request). */
bool tsn_ctl_framer_pending(const struct tsn_ctl_framer *f);

#endif
