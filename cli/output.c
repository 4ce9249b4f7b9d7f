/* SPDX-License-Identifier: GPL-2.0-only */
/* output.c — tsnctl's one printing path: picks the renderer for a command
 * (render_*.c) or prints -j JSON, error messages and exit statuses.  Field
 * names are the daemon's (see the data shapes in docs/control-protocol.md). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "render.h"
#include "tsn/config.h"

/* One renderer per row of TSN_CTL_COMMANDS: a command without render_<fn> does
 * not compile. */
static const render_fn renderers[] = {
#define RENDER_ROW(id, fn, name, access, args, summary) [TSN_CMD_##id] = render_##fn,
	TSN_CTL_COMMANDS(RENDER_ROW)
#undef RENDER_ROW
};

_Static_assert(sizeof(renderers) / sizeof(renderers[0]) == TSN_CMD_COUNT, "one renderer per command");

/* -j prints data[json_field] instead of data. */
static const char *const json_fields[TSN_CMD_COUNT] = {
	[TSN_CMD_CONFIG_SHOW] = "config",
};

/* ---- JSON rendering ----------------------------------------------------------- */

void output_print_json(const struct output *o, json_object *obj)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (o->pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
			       : JSON_C_TO_STRING_PLAIN);
	fprintf(o->out, "%s\n", json_object_to_json_string_ext(obj, flags));
}

/* {"error":{"code":N|null,"result":"name","message":"..."},"data":...|null} */
static void print_json_error(const struct output *o, json_object *code, const char *result,
			     const char *message, json_object *data)
{
	json_object *root = json_object_new_object(), *error = json_object_new_object();

	if (!root || !error)
		cli_die_oom();
	json_object_object_add(error, "code", code);
	json_object_object_add(error, "result", json_object_new_string(result));
	json_object_object_add(error, "message", json_object_new_string(message));
	json_object_object_add(root, "error", error);
	json_object_object_add(root, "data", json_object_get(data));
	output_print_json(o, root);
	json_object_put(root);
}

/* ---- exit statuses and error messages ----------------------------------------- */

int output_exit_for_code(enum tsn_ctl_code code)
{
	switch (code) {
	case TSN_CTL_OK:
		return TSNCTL_EXIT_OK;
	case TSN_CTL_E_PERMISSION:
		return TSNCTL_EXIT_PERMISSION;
	case TSN_CTL_E_CONFIG_INVALID:
		return TSNCTL_EXIT_CONFIG_INVALID;
	/* The daemon did not understand what tsnctl sent: the two disagree on the
	 * protocol, which is not something the user can fix by changing arguments. */
	case TSN_CTL_E_MALFORMED:
	case TSN_CTL_E_VERSION:
	case TSN_CTL_E_TOO_LARGE:
	case TSN_CTL_E_TIMEOUT:
		return TSNCTL_EXIT_PROTOCOL;
	default:
		return TSNCTL_EXIT_ERROR;
	}
}

int output_exit_for_client_error(const struct client_error *e)
{
	switch (e->kind) {
	case CLIENT_OK:
		return TSNCTL_EXIT_OK;
	case CLIENT_CONNECT:
		if (e->errnum == EACCES || e->errnum == EPERM)
			return TSNCTL_EXIT_PERMISSION;
		return TSNCTL_EXIT_UNREACHABLE;
	case CLIENT_TIMEOUT:
	case CLIENT_PROTOCOL:
	default:
		return TSNCTL_EXIT_PROTOCOL;
	}
}

/* "config.reload" -> "config reload", as the user typed it. */
static const char *command_words(const char *command, char *buf, size_t len)
{
	snprintf(buf, len, "%s", command);
	for (char *p = buf; *p; p++)
		if (*p == '.')
			*p = ' ';
	return buf;
}

/* Which group a command needs, for permission messages. */
static const char *needed_group(const char *command)
{
	const struct tsn_ctl_command *c = tsn_ctl_command_find(command);
	return c && c->access == TSN_CTL_ADMIN ? "admin" : "read";
}

static void permission_hint(char *buf, size_t len, const char *command)
{
	char words[TSN_CTL_COMMAND_MAX];
	const char *group = needed_group(command);

	snprintf(buf, len, "'%s' needs root or membership in tsnd's %s group (control.%s-group in tsnd.yaml)",
		 command_words(command, words, sizeof(words)), group, group);
}

int output_client_error(const struct output *o, const char *command, const struct client_error *e)
{
	char msg[1024], hint[256];
	const char *result;
	int status = output_exit_for_client_error(e);

	switch (status) {
	case TSNCTL_EXIT_PERMISSION:
		permission_hint(hint, sizeof(hint), command);
		snprintf(msg, sizeof(msg), "permission denied connecting to tsnd at %s: %s; %s",
			 o->socket, e->detail, hint);
		result = "permission-denied";
		break;
	case TSNCTL_EXIT_UNREACHABLE:
		snprintf(msg, sizeof(msg), "cannot reach tsnd at %s: %s (is tsnd running?)",
			 o->socket, e->detail);
		result = "unreachable";
		break;
	default:
		snprintf(msg, sizeof(msg), "%s talking to tsnd at %s: %s",
			 e->kind == CLIENT_TIMEOUT ? "timeout" : "protocol error", o->socket, e->detail);
		result = e->kind == CLIENT_TIMEOUT ? "timeout" : "protocol-error";
		break;
	}
	fprintf(o->err, "tsnctl: %s\n", msg);
	if (o->json)
		print_json_error(o, NULL, result, msg, NULL);
	return status;
}

/* The daemon answered with an error: say what failed in words, with the
 * diagnostics when the configuration was the problem. */
static void print_response_error(const struct output *o, const char *command,
				 const struct tsn_ctl_response *resp)
{
	char words[TSN_CTL_COMMAND_MAX], hint[256], buf[32];
	json_object *data = resp->data;
	const char *message = resp->message[0] ? resp->message : "no reason given";

	command_words(command, words, sizeof(words));
	switch (resp->code) {
	case TSN_CTL_E_PERMISSION:
		permission_hint(hint, sizeof(hint), command);
		fprintf(o->err, "tsnctl: tsnd at %s refused %s: %s (%s)\ntsnctl: %s\n", o->socket,
			words, message, tsn_ctl_code_name(resp->code), hint);
		return;
	case TSN_CTL_E_CONFIG_INVALID:
		if (jget(data, "diagnostics")) {
			int64_t errors = 0, warnings = 0;
			char e[32], w[48] = "";
			jint(data, "errors", &errors);
			if (jint(data, "warnings", &warnings) && warnings > 0) {
				char count[32];
				snprintf(w, sizeof(w), ", %s",
					 count_of(count, sizeof(count), warnings, "warning"));
			}
			print_diagnostics(o->err, jstr(data, "file"), jget(data, "diagnostics"));
			fprintf(o->err, "tsnctl: %s: configuration invalid: %s%s%s\n",
				jtext(data, "file", buf, sizeof(buf)), count_of(e, sizeof(e), errors, "error"),
				w, strcmp(command, "config.reload") == 0 ? "; nothing was changed" : "");
			return;
		}
		break;
	default:
		break;
	}
	fprintf(o->err, "tsnctl: %s: %s (%s)\n", words, message, tsn_ctl_code_name(resp->code));
}

int output_response(const struct output *o, const char *command,
		    const struct tsn_ctl_response *resp)
{
	const struct tsn_ctl_command *cmd = tsn_ctl_command_find(command);

	if (resp->code != TSN_CTL_OK) {
		print_response_error(o, command, resp);
		if (o->json)
			print_json_error(o, json_object_new_int(resp->code),
					 tsn_ctl_code_name(resp->code), resp->message, resp->data);
		return output_exit_for_code(resp->code);
	}

	if (o->json) {
		json_object *obj = resp->data;
		const char *field = cmd ? json_fields[cmd->id] : NULL;
		if (field && !(obj = jget(resp->data, field))) {
			fprintf(o->err, "tsnctl: tsnd's answer to %s lacks the field \"%s\"\n",
				command, field);
			return TSNCTL_EXIT_PROTOCOL;
		}
		output_print_json(o, obj);
		return TSNCTL_EXIT_OK;
	}
	if (!cmd) {	/* a command this tsnctl does not know: show the data as it is */
		struct output pretty = *o;
		pretty.pretty = true;
		output_print_json(&pretty, resp->data);
		return TSNCTL_EXIT_OK;
	}
	struct output with_message = *o;
	with_message.message = resp->message;
	return renderers[cmd->id](&with_message, resp->data);
}

