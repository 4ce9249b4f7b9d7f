/* SPDX-License-Identifier: GPL-2.0-only */
/* nc_bench.c — the NETCONF benchmark's change through a lean client: libnetconf2 in
 * C instead of ncclient in python, so that the end-to-end figure carries little
 * client time.  The same protocol as tests/netconf/nc.py bench: ROUNDS times, the
 * two paths taking turns going first, the change of tsnd's configuration (variant
 * 0 <-> 1) made by <edit-config> + <commit> in one open session and by
 * `tsnctl config reload` of a file; each timed from its request to its answer.
 * Prints one JSON object (netconf_us, edit_us, commit_us, tsnctl_us, final).
 *
 *   nc_bench [-H HOST] [-p PORT] [-u USER] -k KEY -y YANG_DIR \
 *            ROUNDS TSND-CONF CONF0 CONF1 EDIT0 EDIT1 TSNCTL SOCK
 * EDITn is the whole <config> element (as nc.py takes it).  libnetconf2 writes the
 * modules it fetches into YANG_DIR: give it a scratch directory. */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <json.h>
#include <libssh/libssh.h>
#include <nc_client.h>

extern char **environ;

static char last_err[512];

static void nc_log(const struct nc_session *s, NC_VERB_LEVEL level, const char *msg)
{
	(void)s;
	if (level == NC_VERB_ERROR)
		snprintf(last_err, sizeof(last_err), "%s", msg);
}

/* A test tool against a server it started: any host key. */
static int any_hostkey(const char *host, ssh_session session, void *priv)
{
	(void)host;
	(void)session;
	(void)priv;
	return 0;
}

static int64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(m);
	fclose(f);
	return buf;
}

/* The content of the <config> element (libnetconf2 wraps it in <config> itself). */
static char *config_content(char *xml)
{
	char *start = strstr(xml, "<config");
	char *end = strstr(xml, "</config>");
	start = start ? strchr(start, '>') : NULL;
	if (!start || !end || end < start)
		return NULL;
	*end = '\0';
	return start + 1;
}

static void die(const char *what, const char *why)
{
	printf("{\"ok\": false, \"error\": \"%s: %s\"}\n", what, why && *why ? why : "failed");
	exit(1);
}

static void call(struct nc_session *s, struct nc_rpc *rpc, const char *what)
{
	uint64_t id;
	struct lyd_node *envp = NULL, *op = NULL;
	if (!rpc || nc_send_rpc(s, rpc, 60000, &id) != NC_MSG_RPC)
		die(what, last_err);
	NC_MSG_TYPE t;
	do
		t = nc_recv_reply(s, rpc, id, 60000, &envp, &op);
	while (t == NC_MSG_NOTIF);
	if (t != NC_MSG_REPLY)
		die(what, last_err);
	if (envp && lyd_child(envp) && !strcmp(LYD_NAME(lyd_child(envp)), "rpc-error"))
		die(what, "rpc-error");
	lyd_free_all(envp);
	lyd_free_all(op);
	nc_rpc_free(rpc);
}

static void run_tsnctl(char *const argv[])
{
	pid_t pid;
	int st;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		die("tsnctl config reload", "failed");
	posix_spawn_file_actions_destroy(&fa);
}

static void add(json_object *o, const char *key, int64_t v)
{
	json_object *a;
	if (!json_object_object_get_ex(o, key, &a)) {
		a = json_object_new_array();
		json_object_object_add(o, key, a);
	}
	json_object_array_add(a, json_object_new_int64(v));
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *user = "admin", *key = NULL, *yang = NULL;
	int port = 830, c;
	while ((c = getopt(argc, argv, "H:p:u:k:y:")) != -1) {
		switch (c) {
		case 'H': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'u': user = optarg; break;
		case 'k': key = optarg; break;
		case 'y': yang = optarg; break;
		default: return 2;
		}
	}
	if (argc - optind != 8 || !key || !yang) {
		fprintf(stderr, "usage: nc_bench [-H HOST] [-p PORT] [-u USER] -k KEY -y YANG_DIR ROUNDS TSND-CONF CONF0 CONF1 EDIT0 EDIT1 TSNCTL SOCK\n");
		return 2;
	}
	char **a = argv + optind;
	int rounds = atoi(a[0]);
	const char *conf = a[1];
	char *confs[2] = { slurp(a[2]), slurp(a[3]) }, *edit_xml[2] = { slurp(a[4]), slurp(a[5]) };
	if (!confs[0] || !confs[1] || !edit_xml[0] || !edit_xml[1])
		die("reading the inputs", "missing file");
	const char *edits[2] = { config_content(edit_xml[0]), config_content(edit_xml[1]) };
	if (!edits[0] || !edits[1])
		die("the edits", "no <config> element");
	char *tsnctl[] = { a[6], "-s", a[7], "config", "reload", NULL };

	char pub[4096];
	snprintf(pub, sizeof(pub), "%s.pub", key);
	nc_client_init();
	nc_verbosity(NC_VERB_ERROR);
	nc_set_print_clb_session(nc_log);
	nc_client_set_schema_searchpath(yang);
	nc_client_ssh_set_auth_hostkey_check_clb(any_hostkey, NULL);
	nc_client_ssh_set_auth_pref(NC_SSH_AUTH_PUBLICKEY, 10);
	nc_client_ssh_set_auth_pref(NC_SSH_AUTH_PASSWORD, -1);
	nc_client_ssh_set_auth_pref(NC_SSH_AUTH_INTERACTIVE, -1);
	if (nc_client_ssh_add_keypair(pub, key) || nc_client_ssh_set_username(user))
		die("the key", key);
	struct nc_session *s = nc_connect_ssh(host, (uint16_t)port, NULL);
	if (!s)
		die("connect", last_err);

	json_object *out = json_object_new_object();
	json_object_object_add(out, "ok", json_object_new_boolean(1));
	json_object_object_add(out, "client", json_object_new_string("libnetconf2"));
	int state = 0;
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < 2; k++) {
			bool via_nc = (k == 0) == (r % 2 == 0);
			int to = 1 - state;
			if (via_nc) {
				int64_t t0 = now_us();
				call(s, nc_rpc_edit(NC_DATASTORE_CANDIDATE, NC_RPC_EDIT_DFLTOP_UNKNOWN, NC_RPC_EDIT_TESTOPT_UNKNOWN,
						    NC_RPC_EDIT_ERROPT_UNKNOWN, edits[to], NC_PARAMTYPE_CONST),
				     "edit-config");
				int64_t t1 = now_us();
				call(s, nc_rpc_commit(0, 0, NULL, NULL, NC_PARAMTYPE_CONST), "commit");
				int64_t t2 = now_us();
				add(out, "edit_us", t1 - t0);
				add(out, "commit_us", t2 - t1);
				add(out, "netconf_us", t2 - t0);
			} else {
				FILE *f = fopen(conf, "w");
				if (!f || fputs(confs[to], f) < 0 || fclose(f))
					die("writing", conf);
				int64_t t0 = now_us();
				run_tsnctl(tsnctl);
				add(out, "tsnctl_us", now_us() - t0);
			}
			state = to;
		}
	}
	json_object_object_add(out, "final", json_object_new_int(state));
	puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
	nc_session_free(s, NULL);
	nc_client_destroy();
	for (int i = 0; i < 2; i++) {
		free(confs[i]);
		free(edit_xml[i]);
	}
	return 0;
}
