/* SPDX-License-Identifier: GPL-2.0-only */
/* verbs.h — tsnctl's words, made from the command table (tsn/ctl_commands.h).
 *
 * Each protocol command "object.verb" is `tsnctl object verb`; its arguments
 * are parsed by one parser from the command's argument list, and its summary
 * is the table's.  The exceptions are explicit in verbs.c: hello has no verb,
 * status is `status [show]`, config check runs locally with FILE, stats is
 * several commands. */
#ifndef TSNCTL_VERBS_H
#define TSNCTL_VERBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json.h>

#include "tsn/ctl_proto.h"

#define TSNCTL_DEFAULT_TIMEOUT_S 10
#define TSNCTL_MAX_TIMEOUT_S 86400

/* How tsnctl runs a verb. */
enum verb_run {
	VERB_REQUEST,		/* one request of cmd, arguments from cmd's list */
	VERB_CONFIG_CHECK,	/* config check: FILE here, --daemon FILE or none: tsnd */
	VERB_STATS,		/* stats: several commands, printed as metrics */
};

struct verb {
	const char *object;
	const char *name;
	const struct tsn_ctl_command *cmd;	/* NULL for VERB_STATS */
	enum verb_run run;
	const char *args_synopsis;	/* NULL: made from cmd's arguments */
	const char *summary;
};

struct verb_object {
	const char *name;
	const char *default_verb;	/* run when no verb is given; NULL: a verb is required */
	const struct verb *verbs;	/* n_verbs of them, consecutive */
	size_t n_verbs;
};

/* Every object, in the command table's order. */
const struct verb_object *verbs_objects(size_t *count);

/* Print "tsnctl: ...\nTry 'tsnctl help'." and return TSNCTL_EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The request arguments of a VERB_REQUEST verb from its words (argv: the words
 * after the verb); NULL after printing a usage error. */
json_object *verb_parse_args(const struct verb *v, int argc, char **argv);

/* A configuration file's text (at most 16 MiB, no NUL); NULL after printing why. */
char *read_config_text(const char *file);

/* "port [show] [[dev] DEV]": the default verb is optional, hence the brackets. */
const char *verb_synopsis(const struct verb_object *obj, const struct verb *v, char *buf, size_t len);

void verbs_print_help(FILE *out);
void verbs_print_object_help(FILE *out, const struct verb_object *obj);

#endif
