/* SPDX-License-Identifier: GPL-2.0-only */
/* stats.c — `tsnctl stats` (API in stats.h): gather the answers the metrics are
 * made from, one request each, and print them through lib/prom.c, the renderer
 * tsnd's metrics listener uses too, so both give the same families. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "output.h"
#include "stats.h"
#include "tsn/prom.h"

/* The answers by command name; NULL after printing why (*status set). */
static json_object *gather(const struct output *o, const char *socket, int timeout_ms, int *status)
{
	json_object *answers = json_object_new_object();

	for (const char *const *cmd = tsn_prom_commands; *cmd; cmd++) {
		struct tsn_ctl_response resp;
		struct client_error err;

		if (client_request(socket, timeout_ms, *cmd, NULL, &resp, &err) < 0) {
			*status = output_client_error(o, *cmd, &err);
			json_object_put(answers);
			return NULL;
		}
		switch (resp.code) {
		case TSN_CTL_OK:
			json_object_object_add(answers, *cmd, json_object_get(resp.data));
			break;
		case TSN_CTL_E_PERMISSION:
		case TSN_CTL_E_MALFORMED:
		case TSN_CTL_E_VERSION:
		case TSN_CTL_E_TOO_LARGE:
		case TSN_CTL_E_TIMEOUT:
		case TSN_CTL_E_BUSY:
			/* Not about this command: the others would fail alike. */
			*status = output_response(o, *cmd, &resp);
			tsn_ctl_response_release(&resp);
			json_object_put(answers);
			return NULL;
		default:
			/* unknown-command (an older tsnd), internal (a subsystem not set up): the
			 * metrics of that command are left out, as tsnd's listener does. */
			json_object_object_add(answers, *cmd, NULL);
			break;
		}
		tsn_ctl_response_release(&resp);
	}
	return answers;
}

struct table_arg {
	struct table *t;
	size_t rows;
};

static void table_sample(void *arg, const char *family, enum tsn_prom_type type, const char *name,
			 const char *labels, const char *value)
{
	struct table_arg *a = arg;

	(void)family;
	/* Histogram buckets are many and cumulative: the table keeps _sum and _count;
	 * -o prometheus has them all. */
	if (type == TSN_PROM_HISTOGRAM && strstr(name, "_bucket"))
		return;
	table_add_row(a->t);
	table_add_cell(a->t, "%s", name);
	table_add_cell(a->t, "%s", labels);
	table_add_cell(a->t, "%s", value);
	a->rows++;
}

int stats_run(const struct output *o, const char *socket, int timeout_ms, enum stats_format fmt)
{
	int status = TSNCTL_EXIT_OK;
	json_object *answers = gather(o, socket, timeout_ms, &status);

	if (!answers)
		return status;
	if (fmt == STATS_JSON) {
		int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
			    (o->pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
		fprintf(o->out, "%s\n", json_object_to_json_string_ext(answers, flags));
		json_object_put(answers);
		return TSNCTL_EXIT_OK;
	}
	struct tsn_prom *p = tsn_prom_build(answers);
	json_object_put(answers);
	if (!p) {
		fputs("tsnctl: out of memory\n", o->err);
		return TSNCTL_EXIT_ERROR;
	}
	if (fmt == STATS_PROMETHEUS) {
		size_t len;
		char *text = tsn_prom_text(p, &len);
		if (text)
			fwrite(text, 1, len, o->out);
		else
			status = TSNCTL_EXIT_ERROR;
		free(text);
	} else {
		struct table_arg a = { table_new(), 0 };
		table_add_column(a.t, "METRIC");
		table_add_column(a.t, "LABELS");
		table_add_column(a.t, "VALUE");
		tsn_prom_foreach(p, table_sample, &a);
		if (a.rows)
			table_print(a.t, o->out);
		else
			fputs("tsnd reported no metrics\n", o->out);
		table_free(a.t);
	}
	tsn_prom_free(p);
	return status;
}
