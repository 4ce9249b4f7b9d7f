/* SPDX-License-Identifier: GPL-2.0-only */
/* client.h — tsnctl's side of the control socket: connect, send one request,
 * read the one response that answers it, all within a deadline. */
#ifndef TSNCTL_CLIENT_H
#define TSNCTL_CLIENT_H

#include <json.h>

#include "tsn/ctl_proto.h"

/* Why an exchange did not produce a response.  The exit status follows from it
 * (see output_exit_for_client_error). */
enum client_failure {
	CLIENT_OK,
	CLIENT_CONNECT,		/* socket() or connect() failed; errnum says why */
	CLIENT_TIMEOUT,		/* no complete answer before the deadline */
	CLIENT_PROTOCOL,	/* closed early, I/O error, garbled, too long or wrong id */
};

struct client_error {
	enum client_failure kind;
	int errnum;		/* errno behind the failure, 0 if none */
	char detail[256];	/* what went wrong, without the socket path */
};

/* Send `command` with `args` (may be NULL; not consumed) to the daemon listening
 * on socket_path and wait at most timeout_ms for the answer.  On success returns 0
 * and *resp holds the response (release it with tsn_ctl_response_release); the
 * response's code may still be an error code.  On failure returns -1 and fills
 * *err; *resp is then empty. */
int client_request(const char *socket_path, int timeout_ms, const char *command,
		   json_object *args, struct tsn_ctl_response *resp, struct client_error *err);

#endif
