/* tsnctl.c — command line of tsnctl: options, the command table, dispatch.
 *
 * tsnctl is thin: it turns `OBJECT VERB ARGS` into one control-protocol request,
 * sends it (client.c) and prints the answer (output.c).  All state lives in tsnd.
 * Words may be abbreviated to any unambiguous prefix, as in iproute2
 * (`tsnctl po sh`). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <net/if.h>
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
#include "tsn/units.h"

#define DEFAULT_TIMEOUT_S 10
#define MAX_TIMEOUT_S 86400
#define MAX_VERBS 8		/* per object, not counting "help" */

struct ctx {
	struct output out;
	const char *socket;
	int timeout_ms;
};

struct verb {
	const char *name;
	const char *args;	/* argument synopsis, "" if none */
	const char *summary;
	int (*run)(struct ctx *c, int argc, char **argv);	/* argv: the words after the verb */
};

struct object {
	const char *name;
	const char *default_verb;	/* run when no verb is given; NULL: a verb is required */
	const struct verb *verbs;
	size_t n_verbs;
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tsnctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'tsnctl help'.\n", stderr);
	return TSNCTL_EXIT_USAGE;
}

static int no_arguments(const char *object, const char *verb, int argc, char **argv)
{
	if (argc == 0)
		return 0;
	return usage_error("'%s %s' takes no arguments, got '%s'", object, verb, argv[0]);
}

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

/* A request whose human answer is tsnd's one-line message (config.apply,
 * config.confirm, config.cancel); -j prints the data as usual. */
static int request_said(struct ctx *c, const char *command, json_object *args)
{
	struct tsn_ctl_response resp;
	struct client_error err;

	if (client_request(c->socket, c->timeout_ms, command, args, &resp, &err) < 0)
		return output_client_error(&c->out, command, &err);
	int status;
	if (resp.code == TSN_CTL_OK && !c->out.json) {
		fprintf(c->out.out, "%s\n", resp.message);
		status = TSNCTL_EXIT_OK;
	} else {
		status = output_response(&c->out, command, &resp);
	}
	tsn_ctl_response_release(&resp);
	return status;
}

/* ---- commands ------------------------------------------------------------------ */

static int cmd_status(struct ctx *c, int argc, char **argv)
{
	int status = no_arguments("status", "show", argc, argv);
	return status ? status : request(c, "status", NULL);
}

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

/* A configuration file's text, for config.apply and config.check --daemon.
 * NULL after printing why. */
static char *read_config_text(const char *file)
{
	FILE *f = fopen(file, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "tsnctl: cannot open %s: %s\n", file, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			if (cap >= (16u << 20)) {
				fprintf(stderr, "tsnctl: %s is larger than 16 MiB\n", file);
				goto fail;
			}
			char *n = realloc(buf, cap ? cap * 2 : 65536);
			if (!n)
				goto fail;
			buf = n;
			cap = cap ? cap * 2 : 65536;
		}
		size_t got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "tsnctl: cannot read %s: %s\n", file, strerror(errno));
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		fprintf(stderr, "tsnctl: %s contains a NUL byte\n", file);
		free(buf);
		return NULL;
	}
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
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

/* config apply FILE [--confirm-within DURATION] */
static int cmd_config_apply(struct ctx *c, int argc, char **argv)
{
	const char *file = NULL, *within = NULL;
	uint64_t ns = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--confirm-within") == 0) {
			if (i + 1 >= argc)
				return usage_error("'config apply --confirm-within' needs a duration, e.g. 30s");
			within = argv[++i];
		} else if (strncmp(argv[i], "--confirm-within=", 17) == 0) {
			within = argv[i] + 17;
		} else if (!file) {
			file = argv[i];
		} else {
			return usage_error("'config apply' takes one FILE, got '%s' after '%s'", argv[i], file);
		}
	}
	if (!file)
		return usage_error("'config apply' needs a FILE");
	if (within && (!tsn_parse_duration(within, &ns) || ns < 1000000ull || ns > 3600000000000ull))
		return usage_error("confirm time '%s' is not valid: a duration from 1ms to 1h, e.g. 30s", within);
	char *text = read_config_text(file);
	if (!text)
		return TSNCTL_EXIT_USAGE;
	json_object *args = json_object_new_object();
	json_object_object_add(args, "config", json_object_new_string(text));
	free(text);
	if (within)
		json_object_object_add(args, "confirm-within-ms", json_object_new_int64((int64_t)(ns / 1000000ull)));
	int status = request_said(c, "config.apply", args);
	json_object_put(args);
	return status;
}

static int cmd_config_confirm(struct ctx *c, int argc, char **argv)
{
	int status = no_arguments("config", "confirm", argc, argv);
	return status ? status : request_said(c, "config.confirm", NULL);
}

static int cmd_config_cancel(struct ctx *c, int argc, char **argv)
{
	int status = no_arguments("config", "cancel", argc, argv);
	return status ? status : request_said(c, "config.cancel", NULL);
}

static int cmd_config_show(struct ctx *c, int argc, char **argv)
{
	int status = no_arguments("config", "show", argc, argv);
	return status ? status : request(c, "config.show", NULL);
}

static int cmd_config_reload(struct ctx *c, int argc, char **argv)
{
	int status = no_arguments("config", "reload", argc, argv);
	return status ? status : request(c, "config.reload", NULL);
}

/* port show [[dev] DEV] */
static int cmd_port_show(struct ctx *c, int argc, char **argv)
{
	const char *dev = NULL;

	if (argc >= 1 && strcmp(argv[0], "dev") == 0) {
		if (argc < 2)
			return usage_error("'port show dev' needs a device name");
		argc--;
		argv++;
	}
	if (argc > 1)
		return usage_error("'port show' takes one device, got '%s' after '%s'", argv[1], argv[0]);
	if (argc == 1) {
		dev = argv[0];
		if (!dev[0] || strlen(dev) >= IFNAMSIZ)
			return usage_error("device name '%s' is not valid: 1 to %d bytes are allowed",
					   dev, IFNAMSIZ - 1);
	}

	json_object *args = json_object_new_object();
	if (dev)
		json_object_object_add(args, "dev", json_object_new_string(dev));
	int status = request(c, "port.show", args);
	json_object_put(args);
	return status;
}

static int cmd_ptp_status(struct ctx *c, int argc, char **argv)
{
	int status = no_arguments("ptp", "status", argc, argv);
	return status ? status : request(c, "ptp.status", NULL);
}

/* schedule show [[dev] DEV] */
static int cmd_schedule_show(struct ctx *c, int argc, char **argv)
{
	json_object *args;

	if (argc >= 1 && strcmp(argv[0], "dev") == 0) {
		if (argc < 2)
			return usage_error("'schedule show dev' needs a device name");
		argc--;
		argv++;
	}
	if (argc > 1)
		return usage_error("'schedule show' takes one device, got '%s' after '%s'", argv[1], argv[0]);
	if (argc == 1 && (!argv[0][0] || strlen(argv[0]) >= IFNAMSIZ))
		return usage_error("device name '%s' is not valid: 1 to %d bytes are allowed", argv[0], IFNAMSIZ - 1);
	args = json_object_new_object();
	if (argc == 1)
		json_object_object_add(args, "dev", json_object_new_string(argv[0]));
	int status = request(c, "schedule.show", args);
	json_object_put(args);
	return status;
}

/* stream show [ID] */
static int cmd_stream_show(struct ctx *c, int argc, char **argv)
{
	json_object *args = json_object_new_object();
	unsigned long long id;
	char *end;

	if (argc > 1) {
		json_object_put(args);
		return usage_error("'stream show' takes one stream id, got '%s' after '%s'", argv[1],
				   argv[0]);
	}
	if (argc == 1) {
		errno = 0;
		id = strtoull(argv[0], &end, 0);
		if (errno || end == argv[0] || *end || argv[0][0] == '-' || id < 1 || id > 4294967294ULL) {
			json_object_put(args);
			return usage_error("stream id '%s' is not valid: 1 to 4294967294", argv[0]);
		}
		json_object_object_add(args, "id", json_object_new_int64((int64_t)id));
	}
	int status = request(c, "stream.show", args);
	json_object_put(args);
	return status;
}

/* class stats [[dev] DEV] */
static int cmd_class_stats(struct ctx *c, int argc, char **argv)
{
	json_object *args;

	if (argc >= 1 && strcmp(argv[0], "dev") == 0) {
		if (argc < 2)
			return usage_error("'class stats dev' needs a device name");
		argc--;
		argv++;
	}
	if (argc > 1)
		return usage_error("'class stats' takes one device, got '%s' after '%s'", argv[1], argv[0]);
	if (argc == 1 && (!argv[0][0] || strlen(argv[0]) >= IFNAMSIZ))
		return usage_error("device name '%s' is not valid: 1 to %d bytes are allowed", argv[0], IFNAMSIZ - 1);
	args = json_object_new_object();
	if (argc == 1)
		json_object_object_add(args, "dev", json_object_new_string(argv[0]));
	int status = request(c, "class.stats", args);
	json_object_put(args);
	return status;
}

static int cmd_route_show(struct ctx *c, int argc, char **argv)
{
	int status = no_arguments("route", "show", argc, argv);
	return status ? status : request(c, "route.show", NULL);
}

/* filter show [NAME] */
static int cmd_filter_show(struct ctx *c, int argc, char **argv)
{
	json_object *args;

	if (argc > 1)
		return usage_error("'filter show' takes one filter name, got '%s' after '%s'", argv[1],
				   argv[0]);
	if (argc == 1 && (!argv[0][0] || strlen(argv[0]) >= TSN_NAME_MAX))
		return usage_error("filter name '%s' is not valid: 1 to %d bytes are allowed", argv[0],
				   TSN_NAME_MAX - 1);
	args = json_object_new_object();
	if (argc == 1)
		json_object_object_add(args, "name", json_object_new_string(argv[0]));
	int status = request(c, "filter.show", args);
	json_object_put(args);
	return status;
}

/* latency show [[dev] DEV] [--class N | --stream ID] */
static int cmd_latency_show(struct ctx *c, int argc, char **argv)
{
	json_object *args = json_object_new_object();
	unsigned long long n;
	char *end;

	while (argc > 0) {
		const char *w = argv[0];
		bool is_class = strcmp(w, "--class") == 0 || strcmp(w, "class") == 0;
		bool is_stream = strcmp(w, "--stream") == 0 || strcmp(w, "stream") == 0;

		if (is_class || is_stream) {
			if (argc < 2) {
				json_object_put(args);
				return usage_error("'latency show %s' needs a number", w);
			}
			errno = 0;
			n = strtoull(argv[1], &end, 0);
			if (errno || end == argv[1] || *end || argv[1][0] == '-' ||
			    (is_class ? n > 7 : (n < 1 || n > 4294967294ULL))) {
				json_object_put(args);
				return usage_error(is_class ? "class '%s' is not valid: 0 to 7" :
						   "stream id '%s' is not valid: 1 to 4294967294", argv[1]);
			}
			json_object_object_add(args, is_class ? "class" : "stream", json_object_new_int64((int64_t)n));
			argc -= 2;
			argv += 2;
			continue;
		}
		if (strcmp(w, "dev") == 0) {
			if (argc < 2) {
				json_object_put(args);
				return usage_error("'latency show dev' needs a device name");
			}
			argc--;
			argv++;
			w = argv[0];
		}
		if (json_object_object_get_ex(args, "dev", NULL) || !w[0] || strlen(w) >= IFNAMSIZ || w[0] == '-') {
			json_object_put(args);
			return usage_error("'latency show' takes one device (1 to %d bytes), --class N or "
					   "--stream ID; got '%s'", IFNAMSIZ - 1, w);
		}
		json_object_object_add(args, "dev", json_object_new_string(w));
		argc--;
		argv++;
	}
	if (json_object_object_get_ex(args, "stream", NULL) &&
	    (json_object_object_get_ex(args, "dev", NULL) || json_object_object_get_ex(args, "class", NULL))) {
		json_object_put(args);
		return usage_error("'latency show --stream' takes no device and no class");
	}
	int status = request(c, "latency.show", args);
	json_object_put(args);
	return status;
}

static int cmd_latency_reset(struct ctx *c, int argc, char **argv)
{
	int status = no_arguments("latency", "reset", argc, argv);
	return status ? status : request(c, "latency.reset", NULL);
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

static const struct verb status_verbs[] = {
	{ "show", "", "daemon, configuration, ports and subsystems at a glance", cmd_status },
};

static const struct verb config_verbs[] = {
	{ "check", "[[--daemon] FILE]", "check FILE here (syntax, rules); --daemon, or no FILE: all of tsnd's",
	  cmd_config_check },
	{ "show", "", "the running configuration as normalized YAML", cmd_config_show },
	{ "reload", "", "load tsnd's configuration file, all or nothing", cmd_config_reload },
	{ "apply", "FILE [--confirm-within T]", "apply FILE, all or nothing; T: undone unless confirmed",
	  cmd_config_apply },
	{ "confirm", "", "keep what 'config apply --confirm-within' applied, write the file", cmd_config_confirm },
	{ "cancel", "", "roll back what 'config apply --confirm-within' applied", cmd_config_cancel },
};

static const struct verb port_verbs[] = {
	{ "show", "[[dev] DEV]", "configured ports: link state, queues, qdisc, XDP", cmd_port_show },
};

static const struct verb ptp_verbs[] = {
	{ "status", "", "time sync: sync state, grandmaster, offsets, ports, ptp4l", cmd_ptp_status },
};

static const struct verb schedule_verbs[] = {
	{ "show", "[[dev] DEV]", "gate schedules: configured, in the kernel (oper, admin), drift", cmd_schedule_show },
};

static const struct verb stream_verbs[] = {
	{ "show", "[ID]", "identified streams (802.1CB): match, priority, counters", cmd_stream_show },
};

static const struct verb class_verbs[] = {
	{ "stats", "[[dev] DEV]", "per port and traffic class: packets, bytes, drops", cmd_class_stats },
};

static const struct verb route_verbs[] = {
	{ "show", "", "configured IPv6 routes and whether the kernel has them", cmd_route_show },
};

static const struct verb filter_verbs[] = {
	{ "show", "[NAME]", "stream filters (802.1Qci): max SDU, meter, counters", cmd_filter_show },
};

static const struct verb latency_verbs[] = {
	{ "show", "[DEV] [--class N|--stream ID]", "residence time: min, mean, max, p50, p99, p99.9",
	  cmd_latency_show },
	{ "reset", "", "zero the residence-time histograms and conformance counters", cmd_latency_reset },
};

static const struct verb stats_verbs[] = {
	{ "show", "[-o FORMAT]", "all counters and gauges; FORMAT table, json or prometheus", cmd_stats },
};

#define VERBS(v) v, sizeof(v) / sizeof(v[0])

static const struct object objects[] = {
	{ "status", "show", VERBS(status_verbs) },
	{ "config", NULL, VERBS(config_verbs) },
	{ "port", "show", VERBS(port_verbs) },
	{ "schedule", "show", VERBS(schedule_verbs) },
	{ "ptp", "status", VERBS(ptp_verbs) },
	{ "stream", "show", VERBS(stream_verbs) },
	{ "class", "stats", VERBS(class_verbs) },
	{ "route", "show", VERBS(route_verbs) },
	{ "filter", "show", VERBS(filter_verbs) },
	{ "latency", "show", VERBS(latency_verbs) },
	{ "stats", "show", VERBS(stats_verbs) },
};

#define N_OBJECTS (sizeof(objects) / sizeof(objects[0]))

/* ---- help ---------------------------------------------------------------------- */

/* "port [show] [[dev] DEV]": the default verb is optional, hence the brackets. */
static const char *verb_synopsis(const struct object *obj, const struct verb *v, char *buf,
				 size_t len)
{
	bool optional = obj->default_verb && strcmp(obj->default_verb, v->name) == 0;

	snprintf(buf, len, "%s %s%s%s%s%s", obj->name, optional ? "[" : "", v->name,
		 optional ? "]" : "", v->args[0] ? " " : "", v->args);
	return buf;
}

static void print_object_help(FILE *out, const struct object *obj)
{
	char synopsis[64];

	for (size_t i = 0; i < obj->n_verbs; i++) {
		const char *syn = verb_synopsis(obj, &obj->verbs[i], synopsis, sizeof(synopsis));
		if (strlen(syn) > 26)
			fprintf(out, "  tsnctl %s\n         %-26s %s\n", syn, "", obj->verbs[i].summary);
		else
			fprintf(out, "  tsnctl %-26s %s\n", syn, obj->verbs[i].summary);
	}
	snprintf(synopsis, sizeof(synopsis), "%s help", obj->name);
	fprintf(out, "  tsnctl %-26s %s\n", synopsis, "this list");
}

static void print_help(FILE *out)
{
	char synopsis[64];

	fputs("Usage: tsnctl [OPTIONS] OBJECT [VERB [ARGS]]\n"
	      "Query and control tsnd, the TSN switch daemon, over its control socket.\n"
	      "Words may be shortened to any unambiguous prefix: 'tsnctl po sh'.\n"
	      "\nCommands:\n", out);
	for (size_t i = 0; i < N_OBJECTS; i++)
		for (size_t j = 0; j < objects[i].n_verbs; j++) {
			const char *syn = verb_synopsis(&objects[i], &objects[i].verbs[j], synopsis,
							sizeof(synopsis));
			/* A synopsis too long for the column gets a line of its own. */
			if (strlen(syn) > 28)
				fprintf(out, "  %s\n  %-28s %s\n", syn, "", objects[i].verbs[j].summary);
			else
				fprintf(out, "  %-28s %s\n", syn, objects[i].verbs[j].summary);
		}
	fprintf(out,
		"  %-28s %s\n"
		"\nOptions:\n"
		"  -j, --json            print the answer's data as JSON (stable field names)\n"
		"      --pretty          indent the JSON (implies -j)\n"
		"  -s, --socket PATH     tsnd's control socket (default: $TSND_SOCKET, else %s)\n"
		"  -t, --timeout SECONDS give up when tsnd has not answered within SECONDS\n"
		"                        (default %d, at most %d; fractions allowed)\n"
		"  -h, --help            print this help\n"
		"  -V, --version         print tsnctl's version\n"
		"\nExit status:\n"
		"  0  success\n"
		"  1  tsnd answered with an error not listed below\n"
		"  2  usage error\n"
		"  3  tsnd not reachable (socket missing, connection refused)\n"
		"  4  permission denied (socket or command needs group membership)\n"
		"  5  configuration invalid (config check, config reload)\n"
		"  6  protocol error or no answer within the timeout\n"
		"\nSee tsnctl(8).\n",
		"help | OBJECT help", "this help, or the verbs of OBJECT",
		TSN_CTL_DEFAULT_SOCKET, DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S);
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

static int dispatch(struct ctx *c, int argc, char **argv)
{
	const char *names[N_OBJECTS + 1];

	if (argc == 0) {
		print_help(stderr);
		return TSNCTL_EXIT_USAGE;
	}
	for (size_t i = 0; i < N_OBJECTS; i++)
		names[i] = objects[i].name;
	names[N_OBJECTS] = "help";
	int o = match_word("object", argv[0], names, N_OBJECTS + 1);
	if (o < 0)
		return TSNCTL_EXIT_USAGE;
	if ((size_t)o == N_OBJECTS) {
		if (argc > 1)
			return usage_error("'help' takes no arguments, got '%s'", argv[1]);
		print_help(stdout);
		return TSNCTL_EXIT_OK;
	}

	const struct object *obj = &objects[o];
	const char *verb_names[MAX_VERBS + 1];
	size_t n = 0;
	for (; n < obj->n_verbs && n < MAX_VERBS; n++)
		verb_names[n] = obj->verbs[n].name;
	verb_names[n] = "help";

	/* "stats -o prometheus": an option right after the object goes to the default verb. */
	bool implicit = argc > 1 && argv[1][0] == '-' && obj->default_verb;
	const char *word = argc > 1 && !implicit ? argv[1] : obj->default_verb;
	if (!word) {
		fprintf(stderr, "tsnctl: '%s' needs a verb:\n", obj->name);
		print_object_help(stderr, obj);
		return TSNCTL_EXIT_USAGE;
	}
	int v = match_word("verb", word, verb_names, n + 1);
	if (v < 0)
		return TSNCTL_EXIT_USAGE;
	if ((size_t)v == n) {
		if (argc > 2)
			return usage_error("'%s help' takes no arguments, got '%s'", obj->name, argv[2]);
		print_object_help(stdout, obj);
		return TSNCTL_EXIT_OK;
	}
	int rest = argc > 1 ? argc - (implicit ? 1 : 2) : 0;
	return obj->verbs[v].run(c, rest, argv + argc - rest);
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
			print_help(stdout);
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
