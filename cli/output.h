/* SPDX-License-Identifier: GPL-2.0-only */
/* output.h — everything tsnctl prints: the human rendering of each command's
 * answer (tables, key/value blocks, diagnostics), the -j JSON rendering, error
 * messages, and the exit status that goes with each outcome.  output.c
 * dispatches; the renderers are render_*.c (render.h), the table engine
 * table.c.
 *
 * One entry point per outcome: output_response() for an answer from tsnd (or a
 * locally built one, see `config check FILE`), output_client_error() when no
 * answer came.  Both choose human or JSON output from struct output. */
#ifndef TSNCTL_OUTPUT_H
#define TSNCTL_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include <json.h>

#include "client.h"
#include "tsn/ctl_proto.h"

/* Exit status of tsnctl; documented in tsnctl(8) and --help. */
enum tsnctl_exit {
	TSNCTL_EXIT_OK = 0,
	TSNCTL_EXIT_ERROR = 1,		/* tsnd answered with an error not listed below */
	TSNCTL_EXIT_USAGE = 2,
	TSNCTL_EXIT_UNREACHABLE = 3,	/* socket missing, connection refused */
	TSNCTL_EXIT_PERMISSION = 4,
	TSNCTL_EXIT_CONFIG_INVALID = 5,
	TSNCTL_EXIT_PROTOCOL = 6,	/* garbled or missing answer, timeout */
};

#include "table.h"

/* ---- rendering ---- */
struct output {
	FILE *out;		/* results (and JSON, also of errors) */
	FILE *err;		/* error messages and diagnostics */
	bool json;
	bool pretty;		/* indent JSON */
	const char *socket;	/* named in error messages */
	const char *message;	/* tsnd's message in the answer being rendered, or NULL */
};

/* Print the answer to `command` (a protocol command name such as "port.show")
 * and return the exit status for it. */
int output_response(const struct output *o, const char *command,
		    const struct tsn_ctl_response *resp);
/* Print why no answer came and return the exit status for it. */
int output_client_error(const struct output *o, const char *command,
			const struct client_error *e);

int output_exit_for_code(enum tsn_ctl_code code);
/* obj as JSON on o->out, indented when o->pretty: the one JSON print path. */
void output_print_json(const struct output *o, json_object *obj);
int output_exit_for_client_error(const struct client_error *e);

#endif
