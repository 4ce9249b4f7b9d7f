/* SPDX-License-Identifier: GPL-2.0-only */
/* fuzz_ctl_proto.c — libFuzzer target for the control protocol's decoding side
 * (lib/ctl_proto.c): the line framer and the request and response decoders, the
 * code every byte a local client sends to tsnd goes through.
 *
 * The input is split into chunks (its first byte picks the chunk size) and pushed
 * through a framer with a small limit; every line the framer yields is decoded as
 * a request and as a response.  Checked: the framer never returns more than its
 * limit, a line never contains '\n', decoders return documented codes, a decoded
 * request re-encodes to one line that decodes to the same command and id.
 * Seeds: tests/fuzz/corpus/ctl_proto. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsn/ctl_proto.h"

#define LIMIT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request_roundtrip(const struct tsn_ctl_request *req)
{
	struct tsn_ctl_request again;
	char err[256];
	size_t len;
	char *line = tsn_ctl_request_encode(req, &len);

	if (!line)
		return;
	if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
		__builtin_trap();
	memset(&again, 0, sizeof(again));
	if (tsn_ctl_request_decode(line, len, &again, err, sizeof(err)) != TSN_CTL_OK ||
	    strcmp(again.command, req->command) != 0 || again.id != req->id)
		__builtin_trap();
	tsn_ctl_request_release(&again);
	free(line);
}

static void decode_line(const char *line, size_t len)
{
	struct tsn_ctl_request req;
	struct tsn_ctl_response resp;
	enum tsn_ctl_code rc;
	char err[256];

	if (len > LIMIT || memchr(line, '\n', len))
		__builtin_trap();
	memset(&req, 0, sizeof(req));
	rc = tsn_ctl_request_decode(line, len, &req, err, sizeof(err));
	if ((unsigned)rc >= TSN_CTL_CODE_COUNT)
		__builtin_trap();
	if (rc == TSN_CTL_OK) {
		if (!req.args || strnlen(req.command, sizeof(req.command)) >= sizeof(req.command))
			__builtin_trap();
		check_request_roundtrip(&req);
		(void)tsn_ctl_command_find(req.command);
		tsn_ctl_request_release(&req);
	} else if (strnlen(err, sizeof(err)) >= sizeof(err)) {
		__builtin_trap();
	}
	memset(&resp, 0, sizeof(resp));
	rc = tsn_ctl_response_decode(line, len, &resp, err, sizeof(err));
	if ((unsigned)rc >= TSN_CTL_CODE_COUNT)
		__builtin_trap();
	if (rc == TSN_CTL_OK)
		tsn_ctl_response_release(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsn_ctl_framer f;
	size_t chunk, off = 1;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	tsn_ctl_framer_init(&f, LIMIT);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		const char *line;
		size_t len;

		if (tsn_ctl_framer_push(&f, data + off, n) < 0)
			break;	/* overflow: tsnd answers too-large and closes */
		off += n;
		while ((line = tsn_ctl_framer_next(&f, &len)))
			decode_line(line, len);
	}
	(void)tsn_ctl_framer_pending(&f);
	tsn_ctl_framer_free(&f);
	return 0;
}
