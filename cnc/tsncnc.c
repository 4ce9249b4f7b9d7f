/* SPDX-License-Identifier: GPL-2.0-only */
/* tsncnc — the network planner (IEEE 802.1Qcc's CNC role for tsnd networks).
 *
 *   tsncnc plan NETWORK.yaml [-j] [--out DIR] [--exact] [--timeout MS]
 *   tsncnc generate line|ring|tree SWITCHES STREAMS SEED
 *   tsncnc deploy|status|diff NETWORK.yaml [options]   (NETCONF, deploy.c)
 *
 * Exit status: 0 a plan, 1 infeasible, 2 bad input or usage, 3 the checker
 * disagrees with the planner (a bug: the plan is not printed as good).
 * deploy, status, diff: 0 deployed / no drift / no change, 1 drift or changes (or
 * infeasible), 4 a switch unreachable or refusing (nothing deployed). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cnc.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: tsncnc plan NETWORK.yaml [-j] [--out DIR] [--exact] [--timeout MS] [--waits]\n"
		   "       tsncnc generate line|ring|tree SWITCHES STREAMS SEED\n"
		   "       tsncnc deploy NETWORK.yaml [--lead DURATION] [--confirm-timeout S] [--known-hosts FILE] [--no-gates] [--no-bridge]\n"
		   "       tsncnc status|diff NETWORK.yaml [-j] [--known-hosts FILE] [--no-gates] [--no-bridge]\n");
}

static int cmd_generate(int argc, char **argv)
{
	if (argc != 5) {
		usage(stderr);
		return 2;
	}
	enum cnc_topology t;
	if (!strcmp(argv[1], "line"))
		t = CNC_LINE;
	else if (!strcmp(argv[1], "ring"))
		t = CNC_RING;
	else if (!strcmp(argv[1], "tree"))
		t = CNC_TREE;
	else {
		fprintf(stderr, "tsncnc: topology '%s': expected line, ring or tree\n", argv[1]);
		return 2;
	}
	char *end;
	unsigned long sw = strtoul(argv[2], &end, 10), st;
	if (*end || sw < 2 || sw > 1000) {
		fprintf(stderr, "tsncnc: SWITCHES '%s': expected 2 to 1000\n", argv[2]);
		return 2;
	}
	st = strtoul(argv[3], &end, 10);
	if (*end || st > 100000) {
		fprintf(stderr, "tsncnc: STREAMS '%s': expected 0 to 100000\n", argv[3]);
		return 2;
	}
	unsigned long long seed = strtoull(argv[4], &end, 10);
	if (*end) {
		fprintf(stderr, "tsncnc: SEED '%s': expected an unsigned integer\n", argv[4]);
		return 2;
	}
	char *y = cnc_generate(t, (unsigned)sw, (unsigned)st, seed);
	if (!y) {
		fprintf(stderr, "tsncnc: out of memory\n");
		return 2;
	}
	fputs(y, stdout);
	free(y);
	return 0;
}

static int cmd_plan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },	  { "out", required_argument, NULL, 'o' },
		{ "exact", no_argument, NULL, 'x' },	  { "timeout", required_argument, NULL, 't' },
		{ "waits", no_argument, NULL, 'w' },	  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cnc_options opt = { .max_restarts = 3, .exact_timeout_ms = 600000 };
	bool json = false;
	const char *out = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jo:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 'x':
			opt.exact = true;
			break;
		case 'w':
			opt.exact_waits = true;
			break;
		case 't': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !v || v > 86400000) {
				fprintf(stderr, "tsncnc: --timeout '%s': expected milliseconds, 1 to 86400000\n", optarg);
				return 2;
			}
			opt.exact_timeout_ms = (unsigned)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	struct tsn_diags diags;
	tsn_diags_init(&diags, argv[optind]);
	struct cnc_network *net = cnc_network_load(argv[optind], &diags);
	if (!net) {
		tsn_diags_print(&diags, stderr);
		tsn_diags_free(&diags);
		return 2;
	}
	tsn_diags_free(&diags);
	struct cnc_plan *plan = cnc_plan(net, &opt);
	if (!plan) {
		fprintf(stderr, "tsncnc: out of memory\n");
		cnc_network_free(net);
		return 2;
	}
	int rc = 0;
	struct cnc_check chk;
	if (plan->feasible && !cnc_check(net, plan, &chk)) {
		fprintf(stderr, "tsncnc: the checker found %u violations in the plan (a planner bug):\n", chk.total);
		for (int v = 0; v < CNC_V_COUNT; v++)
			if (chk.count[v])
				fprintf(stderr, "  %s (%u): %s\n", cnc_violation_name((enum cnc_violation)v), chk.count[v],
					chk.first[v]);
		rc = 3;
	} else if (!plan->feasible) {
		/* a reason that starts with the file is bad input, the rest is capacity */
		bool input = !strncmp(plan->reason, net->file, strlen(net->file));
		if (input)
			fprintf(stderr, "%s\n", plan->reason);
		else if (!strncmp(plan->reason, "Z3 gave no answer", 17))
			fprintf(stderr, "tsncnc: no plan: %s\n", plan->reason);	/* unknown, not infeasible */
		else
			fprintf(stderr, "tsncnc: infeasible: %s\n", plan->reason);
		rc = input ? 2 : 1;
	}
	if (rc != 3) {
		if (json) {
			json_object *j = cnc_plan_to_json(net, plan);
			puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
			json_object_put(j);
		} else if (plan->feasible) {
			cnc_plan_print(net, plan, stdout);
		}
	}
	if (rc == 0 && out) {
		int e = cnc_write_dir(net, plan, out);
		if (e < 0) {
			fprintf(stderr, "tsncnc: writing %s: %s\n", out, strerror(-e));
			rc = 2;
		}
	}
	cnc_plan_free(plan);
	cnc_network_free(net);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "plan"))
		return cmd_plan(argc - 1, argv + 1);
	if (!strcmp(argv[1], "deploy") || !strcmp(argv[1], "status") || !strcmp(argv[1], "diff"))
		return cnc_cmd_remote(argv[1], argc - 1, argv + 1);
	if (!strcmp(argv[1], "generate"))
		return cmd_generate(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "tsncnc: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
