/* SPDX-License-Identifier: GPL-2.0-only */
/* tsnctl.c — command line of tsnctl: options and dispatch.
 *
 * tsnctl is thin: it turns `OBJECT VERB ARGS` into one control-protocol request,
 * sends it (client.c) and prints the answer (output.c).  All state lives in tsnd.
 * The objects, verbs and their arguments come from the command table (verbs.c).
 * Words may be abbreviated to any unambiguous prefix, as in iproute2
 * (`tsnctl po sh`). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "client.h"
#include "output.h"
#include "stats.h"
#include "tsn/config.h"
#include "tsn/ctl_proto.h"
#include "verbs.h"

#define DEFAULT_TIMEOUT_S TSNCTL_DEFAULT_TIMEOUT_S
#define MAX_TIMEOUT_S TSNCTL_MAX_TIMEOUT_S

struct ctx {
	struct output out;
	const char *socket;
	int timeout_ms;
};

/* Send one request and print its answer; returns the exit status. */
static int request(struct ctx *c, const char *command, json_object *args)
{
	struct tsn_ctl_response resp;
	struct client_error err;

	if (client_request(c->socket, c->timeout_ms, command, args, &resp, &err) < 0)
		return output_client_error(&c->out, command, &err);
	int status = output_response(&c->out, command, &resp);
	tsn_ctl_response_release(&resp);
	return status;
}

/* ---- commands ------------------------------------------------------------------ */

/* Validate a file here, without tsnd, in config.check's data shape, rendering
 * and exit status.  Only the checks that need no system run here: parsing,
 * every field's type and range, and the cross-field rules (lib/config.c,
 * lib/cfg_check.c).  tsnd's config.check adds the checks against the host:
 * control groups, PTP timestamping and ptp4l's options, schedules against the
 * ports; `tsnctl config check` without FILE (or with --daemon) runs those. */
static int check_file_locally(struct ctx *c, const char *file)
{
	struct tsn_ctl_response resp = { .version = TSN_CTL_PROTOCOL_VERSION };
	struct tsn_diags diags;

	tsn_diags_init(&diags, file);
	struct tsn_config *cfg = tsn_config_load(file, &diags);
	if (!cfg && diags.errors == 0)
		tsn_diags_add(&diags, TSN_DIAG_ERROR, 0, 0, "", "the file could not be loaded");
	bool valid = cfg && diags.errors == 0;

	json_object *data = json_object_new_object();
	json_object_object_add(data, "file", json_object_new_string(file));
	json_object_object_add(data, "valid", json_object_new_boolean(valid));
	json_object_object_add(data, "errors", json_object_new_uint64(diags.errors));
	json_object_object_add(data, "warnings", json_object_new_uint64(diags.warnings));
	json_object_object_add(data, "diagnostics", tsn_diags_to_json(&diags));
	resp.data = data;
	resp.code = valid ? TSN_CTL_OK : TSN_CTL_E_CONFIG_INVALID;
	if (!valid)
		snprintf(resp.message, sizeof(resp.message), "%s has %zu error%s", file,
			 diags.errors, diags.errors == 1 ? "" : "s");

	/* Say which checks ran: the daemon's answer has the same shape but ran them all. */
	static const char *const ran[] = { "syntax", "types and ranges", "cross-field rules" };
	static const char *const skipped[] = { "control groups", "PTP timestamping and ptp4l options",
					       "schedules against the ports" };
	json_object *checks = json_object_new_object(), *a = json_object_new_array(),
		    *b = json_object_new_array();
	for (size_t i = 0; i < 3; i++) {
		json_object_array_add(a, json_object_new_string(ran[i]));
		json_object_array_add(b, json_object_new_string(skipped[i]));
	}
	json_object_object_add(checks, "ran", a);
	json_object_object_add(checks, "not_ran", b);
	json_object_object_add(data, "checks", checks);
	int status = output_response(&c->out, "config.check", &resp);
	if (!c->out.json)
		fprintf(valid ? c->out.out : c->out.err,
			"checked here: %s, %s, %s; not checked (needs tsnd: tsnctl config check --daemon "
			"FILE): %s, %s, %s\n", ran[0], ran[1], ran[2], skipped[0], skipped[1], skipped[2]);
	json_object_put(data);
	if (cfg)
		tsn_config_free(cfg);
	tsn_diags_free(&diags);
	return status;
}

/* config check [FILE | --daemon FILE] */
static int cmd_config_check(struct ctx *c, int argc, char **argv)
{
	bool daemon = argc >= 1 && strcmp(argv[0], "--daemon") == 0;

	if (daemon) {
		argc--;
		argv++;
		if (argc != 1)
			return usage_error("'config check --daemon' needs one FILE");
	}
	if (argc > 1)
		return usage_error("'config check' takes at most one FILE, got '%s' after '%s'",
				   argv[1], argv[0]);
	if (argc == 1 && !daemon)
		return check_file_locally(c, argv[0]);
	if (argc == 0)
		return request(c, "config.check", NULL);
	char *text = read_config_text(argv[0]);
	if (!text)
		return TSNCTL_EXIT_USAGE;
	json_object *args = json_object_new_object();
	json_object_object_add(args, "config", json_object_new_string(text));
	free(text);
	int status = request(c, "config.check", args);
	json_object_put(args);
	return status;
}

/* stats [show] [-o table|json|prometheus] */
static int cmd_stats(struct ctx *c, int argc, char **argv)
{
	static const char *const formats[] = { "table", "json", "prometheus" };
	enum stats_format fmt = c->out.json ? STATS_JSON : STATS_TABLE;
	const char *word = NULL;

	if (argc >= 1 && (strcmp(argv[0], "-o") == 0 || strcmp(argv[0], "--output") == 0)) {
		if (argc < 2)
			return usage_error("'stats %s' needs a format: table, json or prometheus", argv[0]);
		word = argv[1];
		argc -= 2;
		argv += 2;
	} else if (argc >= 1 && strncmp(argv[0], "--output=", 9) == 0) {
		word = argv[0] + 9;
		argc--;
		argv++;
	}
	if (argc > 0)
		return usage_error("'stats' takes only -o FORMAT, got '%s'", argv[0]);
	if (word) {
		size_t i = 0;
		while (i < 3 && strcmp(word, formats[i]) != 0)
			i++;
		if (i == 3)
			return usage_error("unknown output format '%s'; allowed: table, json, prometheus", word);
		fmt = (enum stats_format)i;
	}
	return stats_run(&c->out, c->socket, c->timeout_ms, fmt);
}

/* ---- dispatch ------------------------------------------------------------------ */

/* Index of the name `word` is exact or an unambiguous prefix of, else -1 after
 * printing a usage error naming what is allowed. */
static int match_word(const char *kind, const char *word, const char *const *names, size_t n)
{
	int found = -1, matches = 0;
	size_t len = strlen(word);

	for (size_t i = 0; i < n; i++) {
		if (strcmp(word, names[i]) == 0)
			return (int)i;
		if (len && strncmp(word, names[i], len) == 0) {
			found = (int)i;
			matches++;
		}
	}
	if (matches == 1)
		return found;

	char list[256] = "";
	size_t off = 0;
	for (size_t i = 0; i < n && off < sizeof(list); i++)
		if (matches == 0 || strncmp(word, names[i], len) == 0)
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", off ? ", " : "",
						names[i]);
	if (matches == 0)
		usage_error("unknown %s '%s'; allowed: %s", kind, word, list);
	else
		usage_error("%s '%s' is ambiguous: it could be %s", kind, word, list);
	return -1;
}

/* One verb: its request, or one of the exceptions verbs.h lists. */
static int run_verb(struct ctx *c, const struct verb *v, int argc, char **argv)
{
	switch (v->run) {
	case VERB_CONFIG_CHECK:
		return cmd_config_check(c, argc, argv);
	case VERB_STATS:
		return cmd_stats(c, argc, argv);
	case VERB_REQUEST:
		break;
	}
	json_object *args = verb_parse_args(v, argc, argv);
	if (!args)
		return TSNCTL_EXIT_USAGE;
	int status = request(c, v->cmd->name, args);
	json_object_put(args);
	return status;
}

static int dispatch(struct ctx *c, int argc, char **argv)
{
	size_t n_objects;
	const struct verb_object *objects = verbs_objects(&n_objects);
	const char *names[TSN_CMD_COUNT + 2];

	if (argc == 0) {
		verbs_print_help(stderr);
		return TSNCTL_EXIT_USAGE;
	}
	for (size_t i = 0; i < n_objects; i++)
		names[i] = objects[i].name;
	names[n_objects] = "help";
	int o = match_word("object", argv[0], names, n_objects + 1);
	if (o < 0)
		return TSNCTL_EXIT_USAGE;
	if ((size_t)o == n_objects) {
		if (argc > 1)
			return usage_error("'help' takes no arguments, got '%s'", argv[1]);
		verbs_print_help(stdout);
		return TSNCTL_EXIT_OK;
	}

	const struct verb_object *obj = &objects[o];
	const char *verb_names[TSN_CMD_COUNT + 2];
	size_t n = 0;
	for (; n < obj->n_verbs; n++)
		verb_names[n] = obj->verbs[n].name;
	verb_names[n] = "help";

	/* "stats -o prometheus": an option right after the object goes to the default verb. */
	bool implicit = argc > 1 && argv[1][0] == '-' && obj->default_verb;
	const char *word = argc > 1 && !implicit ? argv[1] : obj->default_verb;
	if (!word) {
		fprintf(stderr, "tsnctl: '%s' needs a verb:\n", obj->name);
		verbs_print_object_help(stderr, obj);
		return TSNCTL_EXIT_USAGE;
	}
	int v = match_word("verb", word, verb_names, n + 1);
	if (v < 0)
		return TSNCTL_EXIT_USAGE;
	if ((size_t)v == n) {
		if (argc > 2)
			return usage_error("'%s help' takes no arguments, got '%s'", obj->name, argv[2]);
		verbs_print_object_help(stdout, obj);
		return TSNCTL_EXIT_OK;
	}
	int rest = argc > 1 ? argc - (implicit ? 1 : 2) : 0;
	return run_verb(c, &obj->verbs[v], rest, argv + argc - rest);
}

static int parse_timeout(const char *arg, int *ms)
{
	char *end;
	errno = 0;
	double s = strtod(arg, &end);

	if (errno || end == arg || *end || !isfinite(s) || s <= 0 || s > MAX_TIMEOUT_S)
		return usage_error("timeout '%s' is not valid: give seconds, more than 0 and at most %d",
				   arg, MAX_TIMEOUT_S);
	*ms = (int)(s * 1000 + 0.999);	/* round up: 0.0001 s still waits 1 ms */
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'P' },
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c = {
		.out = { .out = stdout, .err = stderr },
		.timeout_ms = DEFAULT_TIMEOUT_S * 1000,
	};
	int opt;

	opterr = 0;
	/* '+': options end at the first word, so an argument such as a file name
	 * starting with '-' reaches its command. */
	while ((opt = getopt_long(argc, argv, "+:js:t:hV", long_options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c.out.json = true;
			break;
		case 'P':
			c.out.json = true;
			c.out.pretty = true;
			break;
		case 's':
			c.socket = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, &c.timeout_ms))
				return TSNCTL_EXIT_USAGE;
			break;
		case 'h':
			verbs_print_help(stdout);
			return TSNCTL_EXIT_OK;
		case 'V':
			printf("tsnctl %s\n", TSN_VERSION);
			return TSNCTL_EXIT_OK;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}

	if (!c.socket) {
		const char *env = getenv("TSND_SOCKET");
		c.socket = env && env[0] ? env : TSN_CTL_DEFAULT_SOCKET;
	}
	if (!c.socket[0] || strlen(c.socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return usage_error("socket path '%s' is not valid: 1 to %zu bytes are allowed", c.socket,
				   sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	c.out.socket = c.socket;

	int status = dispatch(&c, argc - optind, argv + optind);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "tsnctl: writing the output failed: %s\n", strerror(errno));
		if (status == TSNCTL_EXIT_OK)
			status = TSNCTL_EXIT_ERROR;
	}
	return status;
}
