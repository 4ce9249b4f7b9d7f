/* SPDX-License-Identifier: GPL-2.0-only */
/* verbs.c — tsnctl's objects and verbs from the command table, one argument
 * parser for all of them, and the help text (API in verbs.h). */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "tsn/config.h"
#include "tsn/units.h"
#include "verbs.h"

#define MAX_VERBS (TSN_CMD_COUNT + 1)	/* every command, and stats */

static struct verb verbs[MAX_VERBS];
static struct verb_object objects[MAX_VERBS];
static size_t n_objects;

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tsnctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'tsnctl help'.\n", stderr);
	return TSNCTL_EXIT_USAGE;
}

/* The verb of one command, with the few exceptions to "object.verb". */
static bool verb_of(const struct tsn_ctl_command *cmd, struct verb *v)
{
	static char words[TSN_CMD_COUNT][TSN_CTL_COMMAND_MAX];
	char *w = words[cmd->id];
	char *dot;

	if (cmd->id == TSN_CMD_HELLO)	/* tsnctl -V and every request say the version */
		return false;
	*v = (struct verb){ .cmd = cmd, .run = VERB_REQUEST, .summary = cmd->summary };
	snprintf(w, TSN_CTL_COMMAND_MAX, "%s", cmd->name);
	dot = strchr(w, '.');
	if (dot) {
		*dot = '\0';
		v->name = dot + 1;
	} else {
		v->name = "show";	/* status: `tsnctl status [show]` */
	}
	v->object = w;
	if (cmd->id == TSN_CMD_CONFIG_CHECK) {
		v->run = VERB_CONFIG_CHECK;
		v->args_synopsis = "[[--daemon] FILE]";
		v->summary = "check FILE here (syntax, rules); --daemon, or no FILE: all of tsnd's";
	}
	return true;
}

static void build(void)
{
	struct verb all[MAX_VERBS];
	size_t n_all = 0, n_cmds, n = 0;
	const struct tsn_ctl_command *cmds = tsn_ctl_commands(&n_cmds);

	if (n_objects)
		return;
	for (size_t i = 0; i < n_cmds; i++)
		if (verb_of(&cmds[i], &all[n_all]))
			n_all++;
	all[n_all++] = (struct verb){ .object = "stats", .name = "show", .run = VERB_STATS,
				      .args_synopsis = "[-o FORMAT]",
				      .summary = "all counters and gauges; FORMAT table, json or prometheus" };
	/* Objects in the order they first appear, each with its verbs together. */
	for (size_t i = 0; i < n_all; i++) {
		bool seen = false;
		for (size_t k = 0; k < n_objects && !seen; k++)
			seen = strcmp(objects[k].name, all[i].object) == 0;
		if (seen)
			continue;
		struct verb_object *o = &objects[n_objects++];
		o->name = all[i].object;
		o->verbs = &verbs[n];
		for (size_t j = i; j < n_all; j++)
			if (strcmp(all[j].object, o->name) == 0)
				verbs[n++] = all[j];
		o->n_verbs = (size_t)(&verbs[n] - o->verbs);
		/* The first verb runs without a verb word, but config's verbs all act
		 * differently enough that one must be named. */
		o->default_verb = strcmp(o->name, "config") == 0 ? NULL : o->verbs[0].name;
	}
}

const struct verb_object *verbs_objects(size_t *count)
{
	build();
	*count = n_objects;
	return objects;
}

/* ---- arguments --------------------------------------------------------------- */

static const char *value_wanted(enum tsn_ctl_arg_type t)
{
	switch (t) {
	case TSN_ARG_DEV: return "a device name";
	case TSN_ARG_STREAM_ID: return "a stream id";
	case TSN_ARG_CLASS: return "a number";
	case TSN_ARG_NAME: return "a name";
	case TSN_ARG_CONFIG: return "a FILE";
	case TSN_ARG_MS: return "a duration, e.g. 30s";
	case TSN_ARG_FLAG: return "no value";
	}
	return "a value";
}

static bool parse_uint(const char *s, unsigned long long lo, unsigned long long hi,
		       unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return !errno && end != s && !*end && s[0] != '-' && *out >= lo && *out <= hi;
}

/* The JSON value of one argument word; NULL after printing a usage error. */
static json_object *arg_value(const struct verb *v, const struct tsn_ctl_arg *a, const char *word)
{
	unsigned long long n;
	uint64_t ns;

	switch (a->type) {
	case TSN_ARG_DEV:
		if (!word[0] || strlen(word) >= IFNAMSIZ)
			break;
		return json_object_new_string(word);
	case TSN_ARG_NAME:
		if (!word[0] || strlen(word) >= TSN_NAME_MAX) {
			usage_error("%s name '%s' is not valid: 1 to %d bytes are allowed", v->object,
				    word, TSN_NAME_MAX - 1);
			return NULL;
		}
		return json_object_new_string(word);
	case TSN_ARG_STREAM_ID:
		if (parse_uint(word, 1, 4294967294ULL, &n))
			return json_object_new_int64((int64_t)n);
		usage_error("stream id '%s' is not valid: 1 to 4294967294", word);
		return NULL;
	case TSN_ARG_CLASS:
		if (parse_uint(word, 0, 7, &n))
			return json_object_new_int64((int64_t)n);
		usage_error("class '%s' is not valid: 0 to 7", word);
		return NULL;
	case TSN_ARG_MS:
		if (tsn_parse_duration(word, &ns) && ns >= 1000000ull && ns <= 3600000000000ull)
			return json_object_new_int64((int64_t)(ns / 1000000ull));
		usage_error("confirm time '%s' is not valid: a duration from 1ms to 1h, e.g. 30s", word);
		return NULL;
	case TSN_ARG_FLAG:
		return json_object_new_boolean(1);
	case TSN_ARG_CONFIG: {
		char *text = read_config_text(word);
		if (!text)
			return NULL;
		json_object *s = json_object_new_string(text);
		free(text);
		return s;
	}
	}
	usage_error("device name '%s' is not valid: 1 to %d bytes are allowed", word, IFNAMSIZ - 1);
	return NULL;
}

/* The argument a word names as flag ("--class", "--class=3") or keyword ("dev");
 * *inline_value is set for the "=" form. */
static const struct tsn_ctl_arg *named_arg(const struct tsn_ctl_command *cmd, const char *word,
					   const char **inline_value)
{
	*inline_value = NULL;
	for (size_t i = 0; i < cmd->n_args; i++) {
		const struct tsn_ctl_arg *a = &cmd->args[i];
		size_t fl = a->flag ? strlen(a->flag) : 0;

		if ((a->flag && strcmp(word, a->flag) == 0) || (a->keyword && strcmp(word, a->keyword) == 0))
			return a;
		if (a->flag && strncmp(word, a->flag, fl) == 0 && word[fl] == '=') {
			*inline_value = word + fl + 1;
			return a;
		}
	}
	return NULL;
}

json_object *verb_parse_args(const struct verb *v, int argc, char **argv)
{
	const struct tsn_ctl_command *cmd = v->cmd;
	json_object *args = json_object_new_object();

	for (int i = 0; i < argc; i++) {
		const char *word = argv[i], *value;
		const struct tsn_ctl_arg *a = named_arg(cmd, word, &value);

		if (a && a->type == TSN_ARG_FLAG) {
			if (value) {
				usage_error("'%s %s %s' takes no value", v->object, v->name, a->flag);
				goto fail;
			}
			value = a->flag;
		} else if (a && !value) {
			if (i + 1 >= argc) {
				usage_error("'%s %s %s' needs %s", v->object, v->name, word,
					    value_wanted(a->type));
				goto fail;
			}
			value = argv[++i];
		} else if (!a) {
			/* The next positional argument not given yet. */
			const struct tsn_ctl_arg *last = NULL;
			for (size_t k = 0; k < cmd->n_args && !a; k++) {
				if (cmd->args[k].flag)
					continue;
				if (!json_object_object_get_ex(args, cmd->args[k].name, NULL))
					a = &cmd->args[k];
				else
					last = &cmd->args[k];
			}
			if (cmd->n_args == 0) {
				usage_error("'%s %s' takes no arguments, got '%s'", v->object, v->name, word);
				goto fail;
			}
			if (word[0] == '-' && word[1]) {
				usage_error("'%s %s' has no option '%s'", v->object, v->name, word);
				goto fail;
			}
			if (!a) {
				if (last)
					usage_error("'%s %s' takes one %s, got '%s' after '%s'", v->object,
						    v->name, last->meta, word, argv[i - 1]);
				else
					usage_error("'%s %s' takes no %s", v->object, v->name, word);
				goto fail;
			}
			value = word;
		}
		if (json_object_object_get_ex(args, a->name, NULL)) {
			usage_error("'%s %s' takes one %s, got '%s' again", v->object, v->name,
				    a->flag ? a->flag : a->meta, value);
			goto fail;
		}
		json_object *jv = arg_value(v, a, value);
		if (!jv)
			goto fail;
		json_object_object_add(args, a->name, jv);
	}
	for (size_t k = 0; k < cmd->n_args; k++) {
		const struct tsn_ctl_arg *a = &cmd->args[k];
		bool given = json_object_object_get_ex(args, a->name, NULL);

		if (a->required && !given) {
			usage_error("'%s %s' needs %s", v->object, v->name, value_wanted(a->type));
			goto fail;
		}
		if (a->alone && given && json_object_object_length(args) > 1) {
			usage_error("'%s %s %s' takes no other argument", v->object, v->name,
				    a->flag ? a->flag : a->meta);
			goto fail;
		}
	}
	return args;
fail:
	json_object_put(args);
	return NULL;
}

char *read_config_text(const char *file)
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

/* ---- help ---------------------------------------------------------------------- */

/* "[[dev] DEV] [--class N] [--stream ID]" from the command's arguments. */
static const char *args_synopsis(const struct verb *v, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (v->args_synopsis)
		return v->args_synopsis;
	for (size_t i = 0; v->cmd && i < v->cmd->n_args && o < len; i++) {
		const struct tsn_ctl_arg *a = &v->cmd->args[i];
		const char *open = a->required ? "" : "[", *close = a->required ? "" : "]";

		if (a->flag && a->type == TSN_ARG_FLAG)
			o += (size_t)snprintf(buf + o, len - o, "%s%s%s%s", o ? " " : "", open, a->flag,
					      close);
		else if (a->flag)
			o += (size_t)snprintf(buf + o, len - o, "%s%s%s %s%s", o ? " " : "", open, a->flag,
					      a->meta, close);
		else if (a->keyword)
			o += (size_t)snprintf(buf + o, len - o, "%s%s[%s] %s%s", o ? " " : "", open,
					      a->keyword, a->meta, close);
		else
			o += (size_t)snprintf(buf + o, len - o, "%s%s%s%s", o ? " " : "", open, a->meta,
					      close);
	}
	return buf;
}

const char *verb_synopsis(const struct verb_object *obj, const struct verb *v, char *buf, size_t len)
{
	bool optional = obj->default_verb && strcmp(obj->default_verb, v->name) == 0;
	char args[96];
	const char *a = args_synopsis(v, args, sizeof(args));

	snprintf(buf, len, "%s %s%s%s%s%s", obj->name, optional ? "[" : "", v->name,
		 optional ? "]" : "", a[0] ? " " : "", a);
	return buf;
}

void verbs_print_object_help(FILE *out, const struct verb_object *obj)
{
	char synopsis[128];

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

void verbs_print_help(FILE *out)
{
	char synopsis[128];

	build();
	fputs("Usage: tsnctl [OPTIONS] OBJECT [VERB [ARGS]]\n"
	      "Query and control tsnd, the TSN switch daemon, over its control socket.\n"
	      "Words may be shortened to any unambiguous prefix: 'tsnctl po sh'.\n"
	      "\nCommands:\n", out);
	for (size_t i = 0; i < n_objects; i++)
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
		TSN_CTL_DEFAULT_SOCKET, TSNCTL_DEFAULT_TIMEOUT_S, TSNCTL_MAX_TIMEOUT_S);
}
