// SPDX-License-Identifier: GPL-2.0-only
/* tsn-netconfd — the NETCONF face of a tsnd switch (RFC 6241 over SSH, RFC 6242),
 * on libnetconf2 and libyang.  It holds no switch state: the running datastore is
 * tsnd's running configuration (config.show, translated to the tsnd YANG module),
 * a commit is tsnd's config.apply.  It runs without capabilities and talks to tsnd
 * over the control socket like tsnctl, so a compromise of it can do no more than
 * an admin tsnctl can.  The candidate datastore and the locks live here.
 *
 * Threads: a few accept SSH connections (handshakes run side by side, and a slow or
 * silent client holds up only its own thread); POLL_THREADS poll the sessions.  RPCs,
 * session ends and the notification watch run under one mutex: the datastores and
 * locks are touched by one thread at a time. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libnetconf2/netconf.h>
#include <libnetconf2/log.h>
#include <libnetconf2/messages_server.h>
#include <libnetconf2/session_server.h>
#include <libyang/libyang.h>

#include "client.h"
#include "nc_edit.h"
#include "ncd_conf.h"
#include "tsn/config.h"
#include "ymap.h"
#include "ytree.h"
#include "cfg_digest.h"

#define APP_TAG "tsnd"
#define ACCEPT_THREADS 4	/* SSH handshakes in parallel */
#define LISTEN_BACKLOG 256	/* connections the kernel holds until an accept thread is free */
#define POLL_THREADS 1		/* one poller: with several, sessions under load were closed (see docs/netconf.md) */

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

struct sess_data {
	enum ncd_role role;
	char user[64];
};

static struct {
	struct ncd_conf conf;
	struct ly_ctx *ctx;
	struct nc_pollsession *ps;
	volatile sig_atomic_t stop;
	bool verbose;
	/* the datastores (poll thread only) */
	struct lyd_node *candidate;	/* NULL while the candidate equals running */
	bool cand_modified;
	/* the candidate as its last edit checked it (tsnd's parser): what a commit
	 * sends, so that a commit does not convert and check it again; NULL when an
	 * edit skipped the check (test-option set) */
	char *cand_yaml;
	json_object *cand_tsnd;		/* its tsnd JSON, for error paths */
	struct tsn_config *cand_cfg;	/* libtsn's parse of it: running's tree after a commit */
	json_object *cand_yang;		/* the module's JSON walked from the tree that check saw */
	/* running as a tree, kept while tsnd runs the same configuration: fetching
	 * and converting it costs more than an edit (docs/netconf.md, Benchmark) */
	struct lyd_node *run_tree;
	bool run_valid;
	/* the configuration the last commit sent, the key tsnd runs it under and the
	 * digest of tsnd's normal form of it (running_seed), with the committed tree
	 * and its module JSON; check_seed: compare each tree made from it with a fetch */
	struct {
		struct tsn_config *cfg;
		struct lyd_node *tree;
		json_object *yang;
		char digest[CFG_DIGEST_HEX];
		char key[160];
	} seed;
	bool check_seed;
	bool seed_trust;	/* tests only: keep the committed tree unchecked (the check must catch it) */
	char run_key[160];		/* tsnd's pid, start time and configuration generation */
	uint32_t lock_running, lock_candidate;	/* holder's session id, 0: none */
	/* a confirmed commit waiting for its confirmation */
	bool confirm_pending;
	uint32_t confirm_sid;		/* session that issued it (0: persisted) */
	char persist_id[128];
	struct timespec confirm_deadline;
	unsigned n_sessions;		/* accept thread + poll thread: atomics */
	/* notifications: the last status seen (poll thread) */
	json_object *last_status;
	struct timespec next_watch;
} G;

static void logmsg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logmsg(int prio, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	if (prio == LOG_DEBUG && !G.verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "tsn-netconfd: %s\n", buf);
}

/* Where an RPC's time goes, phase by phase, at debug level (-v): the
 * benchmark's breakdown (docs/benchmarks.md). */
static struct timespec phase_t0;
static void phase(const char *what)
{
	struct timespec n;
	clock_gettime(CLOCK_MONOTONIC, &n);
	if (what)
		logmsg(LOG_DEBUG, "phase: %s %.2f ms", what,
		       (double)(n.tv_sec - phase_t0.tv_sec) * 1e3 + (double)(n.tv_nsec - phase_t0.tv_nsec) / 1e6);
	phase_t0 = n;
}

/* One line per refused or changing request, like tsnd's audit log. */
static void audit(const struct nc_session *s, const char *rpc, const char *result, const char *detail)
{
	const struct sess_data *d = nc_session_get_data(s);
	logmsg(LOG_NOTICE, "audit: user=%s session=%" PRIu32 " rpc=%s result=%s%s%s", d ? d->user : "?",
	       nc_session_get_id(s), rpc, result, detail ? " " : "", detail ? detail : "");
}

/* ---- replies ---- */
/* libyang 2.1 reports where an error is as `Data location "/a/b", line number 8.`
 * (or `Schema location ...`); an error-path is the path alone. */
static const char *location_path(const char *p, char *buf, size_t len)
{
	const char *q = p && *p != '/' ? strchr(p, '"') : NULL, *end = q ? strchr(q + 1, '"') : NULL;
	if (!end)
		return p;
	snprintf(buf, len, "%.*s", (int)(end - q - 1), q + 1);
	return buf;
}

static struct nc_server_reply *err_reply(NC_ERR tag, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static struct nc_server_reply *err_reply(NC_ERR tag, const char *path, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct lyd_node *e;
	if (tag == NC_ERR_LOCK_DENIED)
		e = nc_err(G.ctx, tag, (uint32_t)0);
	else if (tag == NC_ERR_DATA_EXISTS || tag == NC_ERR_DATA_MISSING || tag == NC_ERR_MALFORMED_MSG)
		e = nc_err(G.ctx, tag);
	else if (tag == NC_ERR_BAD_ELEM || tag == NC_ERR_UNKNOWN_ELEM || tag == NC_ERR_MISSING_ELEM)
		e = nc_err(G.ctx, tag, NC_ERR_TYPE_PROT, path ? path : "");
	else if (tag == NC_ERR_BAD_ATTR || tag == NC_ERR_UNKNOWN_ATTR || tag == NC_ERR_MISSING_ATTR)
		e = nc_err(G.ctx, tag, NC_ERR_TYPE_PROT, "operation", path ? path : "");
	else
		e = nc_err(G.ctx, tag, tag == NC_ERR_INVALID_VALUE || tag == NC_ERR_OP_FAILED ? NC_ERR_TYPE_APP
											: NC_ERR_TYPE_PROT);
	nc_err_set_msg(e, msg, "en");
	char pbuf[1024];
	path = location_path(path, pbuf, sizeof(pbuf));
	if (path && *path)
		nc_err_set_path(e, path);
	return nc_server_reply_err(e);
}

static struct nc_server_reply *lock_denied(uint32_t holder, const char *what)
{
	struct lyd_node *e = nc_err(G.ctx, NC_ERR_LOCK_DENIED, holder);
	char msg[128];
	snprintf(msg, sizeof(msg), "the %s datastore is locked by session %" PRIu32, what, holder);
	nc_err_set_msg(e, msg, "en");
	return nc_server_reply_err(e);
}

static struct nc_server_reply *in_use(uint32_t holder, const char *what)
{
	struct lyd_node *e = nc_err(G.ctx, NC_ERR_IN_USE, NC_ERR_TYPE_PROT);
	char msg[128];
	snprintf(msg, sizeof(msg), "the %s datastore is locked by session %" PRIu32, what, holder);
	nc_err_set_msg(e, msg, "en");
	return nc_server_reply_err(e);
}

/* ---- tsnd ---- */
/* One control request; 0 and *resp on an answer (any code), -1 with msg if none. */
static int tsnd_call(const char *cmd, json_object *args, struct tsn_ctl_response *resp, char *msg, size_t len)
{
	struct client_error cerr;
	if (client_request(G.conf.tsnd_socket, (int)G.conf.tsnd_timeout_ms, cmd, args, resp, &cerr) == 0)
		return 0;
	if (cerr.kind == CLIENT_CONNECT)
		snprintf(msg, len, "cannot reach tsnd at %.108s: %.200s", G.conf.tsnd_socket, cerr.detail);
	else
		snprintf(msg, len, "tsnd: %.200s", cerr.detail);
	return -1;
}

/* A YANG-JSON document -> a validated data tree (config only unless `state`). */
static struct lyd_node *tree_from_json(json_object *yang, bool state, char *msg, size_t len)
{
	struct lyd_node *tree = NULL;
	const char *text = json_object_to_json_string_ext(yang, JSON_C_TO_STRING_PLAIN);
	/* state is built here and only parsed; a configuration is validated */
	if (lyd_parse_data_mem(G.ctx, text, LYD_JSON, LYD_PARSE_STRICT | (state ? LYD_PARSE_ONLY : LYD_PARSE_NO_STATE),
			       state ? 0 : LYD_VALIDATE_NO_STATE, &tree)) {
		const struct ly_err_item *e = ly_err_last(G.ctx);
		snprintf(msg, len, "%s%s%s", e && e->msg ? e->msg : "invalid data", e && e->path ? " at " : "",
			 e && e->path ? e->path : "");
		lyd_free_siblings(tree);
		return NULL;
	}
	return tree;
}

/* tsnd's normalized configuration JSON in the module's JSON (NULL and *err). */
static json_object *yang_from_tsnd(json_object *cfg, struct nc_server_reply **err)
{
	struct ym_error yerr;
	json_object *y = ym_to_yang(cfg, &yerr);
	phase("running: translated to the module's JSON");
	if (!y)
		*err = err_reply(NC_ERR_OP_FAILED, yerr.path, "tsnd's running configuration has no YANG form: %s",
				 yerr.msg);
	return y;
}

/* The module's JSON of tsnd's running configuration as a validated data tree. */
static struct lyd_node *tree_from_yang(json_object *y, struct nc_server_reply **err)
{
	char msg[512];
	struct lyd_node *tree = yt_build(G.ctx, y, msg, sizeof(msg));
	if (!tree)
		*err = err_reply(NC_ERR_OP_FAILED, NULL, "tsnd's running configuration does not fit the module: %s", msg);
	phase("running: built and validated as a libyang tree");
	return tree;
}

/* tsnd's normalized configuration JSON (config.show's "config", which is
 * tsn_config_to_json of tsnd's configuration) as a validated data tree. */
static struct lyd_node *tree_from_tsnd(json_object *cfg, struct nc_server_reply **err)
{
	json_object *y = yang_from_tsnd(cfg, err);
	struct lyd_node *tree = y ? tree_from_yang(y, err) : NULL;
	json_object_put(y);
	return tree;
}

/* tsnd's running configuration as a data tree, fetched and converted now. */
static struct lyd_node *running_fetch(struct nc_server_reply **err)
{
	struct tsn_ctl_response resp;
	char msg[512];
	json_object *cfg;
	json_object *args = json_object_new_object();
	json_object_object_add(args, "no-yaml", json_object_new_boolean(1));	/* only "config" is read */
	int rc = tsnd_call("config.show", args, &resp, msg, sizeof(msg));
	json_object_put(args);
	if (rc) {
		*err = err_reply(NC_ERR_OP_FAILED, NULL, "%s", msg);
		return NULL;
	}
	if (resp.code != TSN_CTL_OK || !json_object_object_get_ex(resp.data, "config", &cfg)) {
		*err = err_reply(NC_ERR_OP_FAILED, NULL, "tsnd answered config.show with %s: %s",
				 tsn_ctl_code_name(resp.code), resp.message);
		tsn_ctl_response_release(&resp);
		return NULL;
	}
	phase("running: fetched from tsnd");
	struct lyd_node *tree = tree_from_tsnd(cfg, err);
	tsn_ctl_response_release(&resp);
	return tree;
}

static const char *jstr(json_object *o, const char *a, const char *b, const char *c);

/* What identifies tsnd's running configuration: its process (pid, start) and the
 * configuration's generation, which every applied change (reload, apply,
 * rollback) counts up.  -1 if tsnd's status does not say. */
static int running_key(char *key, size_t len)
{
	struct tsn_ctl_response resp;
	char msg[256];
	if (tsnd_call("status", NULL, &resp, msg, sizeof(msg)))
		return -1;
	const char *pid = NULL, *started = NULL, *gen = NULL;
	if (resp.code == TSN_CTL_OK) {
		pid = jstr(resp.data, "daemon", "pid", NULL);
		started = jstr(resp.data, "daemon", "started", NULL);
		gen = jstr(resp.data, "config", "generation", NULL);
	}
	int r = pid && started && gen && snprintf(key, len, "%s %s %s", pid, started, gen) < (int)len ? 0 : -1;
	tsn_ctl_response_release(&resp);
	return r;
}

/* A seeded tree against a fresh fetch of the same generation (TSN_NETCONFD_CHECK_SEED,
 * the tests): an exact match, default flags and order included, or an error in the
 * log naming the first difference, and the fetched tree wins. */
static void seed_check(void)
{
	struct nc_server_reply *err = NULL;
	struct lyd_node *f = running_fetch(&err), *diff = NULL;
	if (err) {
		nc_server_reply_free(err);
		logmsg(LOG_ERR, "seed: running could not be fetched to check it");
		return;
	}
	if (lyd_compare_siblings(G.run_tree, f, LYD_COMPARE_FULL_RECURSION | LYD_COMPARE_DEFAULTS) == LY_SUCCESS) {
		logmsg(LOG_INFO, "seed: verified, the committed tree equals tsnd's running configuration");
		lyd_free_siblings(f);
		return;
	}
	char path[512] = "(order or default flags)";
	if (lyd_diff_siblings(G.run_tree, f, LYD_DIFF_DEFAULTS, &diff) == LY_SUCCESS && diff) {
		/* down the "none" parents of the diff to the first changed node */
		const struct lyd_node *n = diff;
		for (;;) {
			struct lyd_meta *m = lyd_find_meta(n->meta, NULL, "yang:operation");
			if ((m && strcmp(lyd_get_meta_value(m), "none")) || !lyd_child(n))
				break;
			n = lyd_child(n);
		}
		lyd_path(n, LYD_PATH_STD, path, sizeof(path));
	}
	lyd_free_siblings(diff);
	logmsg(LOG_ERR, "seed: differs from tsnd's running configuration at %s", path);
	lyd_free_siblings(G.run_tree);
	G.run_tree = f;
}

static void seed_drop(void)
{
	tsn_config_free(G.seed.cfg);
	lyd_free_siblings(G.seed.tree);
	json_object_put(G.seed.yang);
	memset(&G.seed, 0, sizeof(G.seed));
}

/* running's tree from what the last commit sent (running_seed), when tsnd still
 * runs it; NULL (and the seed dropped) when not, or when it is not proven to be
 * tsnd's: the digest tsnd answered to config.apply, of its normal form of what it
 * runs, must be that of tsn_config_to_json of the configuration sent (tsnd runs
 * exactly the JSON a config.show would answer).  Then the committed candidate's
 * own tree is kept when yt_adopt proves it, node by node, the tree yt_build makes
 * of the module's JSON of that normal form (equal but for leaves the edit left to
 * their default that tsnd's form sets, made explicit); when not (tsnd filled in
 * a value, ordered a list, ...), the tree is built from the normal form, as a
 * fetch would build it. */
static struct lyd_node *running_from_seed(const char *key)
{
	struct lyd_node *t = NULL;
	if (G.seed.cfg && G.seed.digest[0] && !strcmp(key, G.seed.key)) {
		struct nc_server_reply *err = NULL;
		char hex[CFG_DIGEST_HEX];
		json_object *j = tsn_config_to_json(G.seed.cfg), *y = NULL;
		const char *text = j ? json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
								       JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
		uint8_t d[32];
		if (text) {
			cfg_sha256(text, strlen(text), d);
			for (int i = 0; i < 32; i++)
				snprintf(hex + 2 * i, 3, "%02x", d[i]);
		}
		phase("running: tsnd's JSON of the committed configuration and its digest");
		if (!text || strcmp(hex, G.seed.digest)) {
			logmsg(LOG_INFO, "seed: tsnd runs another normal form than the one committed: fetched");
		} else if (G.seed_trust || (G.seed.tree && G.seed.yang && (y = yang_from_tsnd(j, &err)) &&
					    yt_adopt(G.seed.tree, y, G.seed.yang) == 0)) {
			t = G.seed.tree;
			G.seed.tree = NULL;
			phase("running: the committed tree kept (proven tsnd's normal form)");
			logmsg(LOG_INFO, "seed: the committed tree kept");
		} else if (!err && (y || (y = yang_from_tsnd(j, &err)))) {
			t = tree_from_yang(y, &err);
			logmsg(LOG_INFO, "seed: built from tsnd's normal form (it differs from the committed tree)");
		}
		json_object_put(j);
		json_object_put(y);
		if (err)
			nc_server_reply_free(err);	/* a fetch says it again */
	}
	seed_drop();
	return t;
}

/* Running as a tree, owned by the cache: fetched again only when tsnd's
 * configuration changed since (the key is read before the fetch, so a change
 * in between makes the next look fetch again, never keeps a stale tree). */
static const struct lyd_node *running_cached(struct nc_server_reply **err)
{
	char key[sizeof(G.run_key)];
	bool keyed = running_key(key, sizeof(key)) == 0;
	if (keyed && G.run_valid && !strcmp(key, G.run_key))
		return G.run_tree;
	*err = NULL;
	struct lyd_node *t = keyed ? running_from_seed(key) : NULL;
	bool seeded = t != NULL;
	if (!t && !(t = running_fetch(err)))
		return NULL;
	lyd_free_siblings(G.run_tree);
	G.run_tree = t;
	G.run_valid = keyed;
	snprintf(G.run_key, sizeof(G.run_key), "%s", keyed ? key : "");
	if (seeded && G.check_seed)
		seed_check();
	return G.run_tree;
}

/* A commit put `cfg` into tsnd at generation `gen`, and tsnd's normal form of
 * what it runs now has `digest` (config.apply's answer): kept (all owned here,
 * `tree` and `yang` the committed candidate's validated tree and its module JSON,
 * or NULL), running's tree is made from them at the next look if tsnd still runs
 * that generation (running_from_seed), instead of asking tsnd for what this
 * server just sent.  Any other change of tsnd (a reload, a rollback, a restart)
 * moves the generation or the process, and the next look fetches. */
static void running_seed(struct tsn_config *cfg, const char *gen, const char *digest, struct lyd_node *tree,
			 json_object *yang)
{
	const char *sp = strrchr(G.run_key, ' ');
	G.run_valid = false;	/* running changed: made or fetched at the next look */
	seed_drop();
	G.seed.cfg = cfg;
	G.seed.tree = tree;
	G.seed.yang = yang;
	if (!cfg || !sp || !gen[0] || !digest || strlen(digest) != CFG_DIGEST_HEX - 1 ||
	    snprintf(G.seed.key, sizeof(G.seed.key), "%.*s %s", (int)(sp - G.run_key), G.run_key, gen) >=
		    (int)sizeof(G.seed.key)) {
		seed_drop();	/* a tsnd that answers no digest: fetched */
		return;
	}
	snprintf(G.seed.digest, sizeof(G.seed.digest), "%s", digest);
}

/* A copy of running for the caller to change or consume. */
static struct lyd_node *running_tree(struct nc_server_reply **err)
{
	const struct lyd_node *t = running_cached(err);
	struct lyd_node *dup = NULL;
	if (*err)
		return NULL;
	if (t && lyd_dup_siblings(t, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &dup)) {
		*err = err_reply(NC_ERR_OP_FAILED, NULL, "out of memory");
		return NULL;
	}
	return dup;
}

/* The state subtree from tsnd's show commands, merged into tree (best effort:
 * a command tsnd refuses leaves its part out). */
static void add_state(struct lyd_node **tree)
{
	static const char *const cmds[] = { "status", "schedule.show", "ptp.status", "stream.show", "frer.show",
					    "bridge.show", "fdb.show" };
	json_object *ans[7] = { 0 };
	for (size_t i = 0; i < 7; i++) {
		struct tsn_ctl_response resp;
		char msg[256];
		if (tsnd_call(cmds[i], NULL, &resp, msg, sizeof(msg)))
			continue;
		if (resp.code == TSN_CTL_OK)
			ans[i] = json_object_get(resp.data);
		tsn_ctl_response_release(&resp);
	}
	json_object *y = ym_state_to_yang(ans[0], ans[1], ans[2], ans[3], ans[4]);
	ym_state_add_bridge(y, ans[5], ans[6]);
	for (size_t i = 0; i < 7; i++)
		json_object_put(ans[i]);
	char msg[512];
	struct lyd_node *st = tree_from_json(y, true, msg, sizeof(msg));
	json_object_put(y);
	if (!st) {
		logmsg(LOG_WARNING, "state data left out: %s", msg);
		return;
	}
	if (lyd_merge_siblings(tree, st, LYD_MERGE_DESTRUCT))
		lyd_free_siblings(st);
}

/* ---- RPC helpers ---- */
static struct lyd_node *child(const struct lyd_node *n, const char *name)
{
	struct lyd_node *c;
	LY_LIST_FOR(lyd_child(n), c)
		if (strcmp(LYD_NAME(c), name) == 0)
			return c;
	return NULL;
}

/* <source>/<target>: the name of the datastore leaf in it. */
static const char *datastore(const struct lyd_node *rpc, const char *which)
{
	struct lyd_node *c = child(rpc, which);
	return c && lyd_child(c) ? LYD_NAME(lyd_child(c)) : NULL;
}

static NC_WD_MODE wd_mode(const struct lyd_node *rpc)
{
	struct lyd_node *c = child(rpc, "with-defaults");
	const char *v = c ? lyd_get_value(c) : NULL;
	if (!v)
		return NC_WD_ALL;	/* the basic mode: tsnd reports every value */
	if (!strcmp(v, "report-all-tagged"))
		return NC_WD_ALL_TAG;
	if (!strcmp(v, "trim"))
		return NC_WD_TRIM;
	if (!strcmp(v, "explicit"))
		return NC_WD_EXPLICIT;
	return NC_WD_ALL;
}

/* Apply <filter> to data; a new tree (data is consumed). */
static struct lyd_node *filter_tree(struct lyd_node *data, const struct lyd_node *rpc, struct nc_server_reply **err)
{
	struct lyd_node *f = child(rpc, "filter");
	if (!f)
		return data;
	const char *type = "subtree", *select = NULL;
	for (const struct lyd_meta *m = f->meta; m; m = m->next) {
		if (!strcmp(m->name, "type"))
			type = lyd_get_meta_value(m);
		else if (!strcmp(m->name, "select"))
			select = lyd_get_meta_value(m);
	}
	char *xpath = NULL, why[256] = "";
	if (!strcmp(type, "xpath")) {
		if (!select) {
			lyd_free_siblings(data);
			*err = err_reply(NC_ERR_MISSING_ATTR, "filter", "an xpath filter needs its select attribute");
			return NULL;
		}
		xpath = strdup(select);
	} else {
		const struct lyd_node_any *any = (const struct lyd_node_any *)f;
		struct lyd_node *ft = NULL;
		if (any->value_type == LYD_ANYDATA_DATATREE) {
			xpath = nce_subtree_to_xpath(G.ctx, any->value.tree, why, sizeof(why));
		} else {
			char *s = NULL;
			lyd_any_value_str(f, &s);
			if (s && *s && lyd_parse_data_mem(G.ctx, s, LYD_XML, LYD_PARSE_ONLY | LYD_PARSE_OPAQ, 0, &ft) == LY_SUCCESS)
				xpath = nce_subtree_to_xpath(G.ctx, ft, why, sizeof(why));
			lyd_free_siblings(ft);
			free(s);
		}
		if (!xpath && strcmp(why, "the filter selects nothing") != 0) {
			lyd_free_siblings(data);
			*err = err_reply(NC_ERR_INVALID_VALUE, "filter", "%s", why);
			return NULL;
		}
	}
	struct lyd_node *out = NULL;
	struct ly_set *set = NULL;
	logmsg(LOG_DEBUG, "filter xpath %s", xpath ? xpath : "-");
	if (xpath && lyd_find_xpath(data, xpath, &set)) {
		const struct ly_err_item *e = ly_err_last(G.ctx);
		*err = err_reply(NC_ERR_INVALID_VALUE, "filter", "bad XPath '%s': %s", xpath, e ? e->msg : "?");
		free(xpath);
		lyd_free_siblings(data);
		return NULL;
	}
	for (uint32_t i = 0; set && i < set->count; i++) {
		struct lyd_node *dup, *top;
		if (lyd_dup_single(set->dnodes[i], NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS | LYD_DUP_WITH_FLAGS, &dup))
			continue;
		for (top = dup; top->parent; top = lyd_parent(top))
			;
		if (lyd_merge_siblings(&out, top, LYD_MERGE_DESTRUCT | LYD_MERGE_WITH_FLAGS))
			lyd_free_tree(top);
	}
	logmsg(LOG_DEBUG, "filter matched %u nodes", set ? set->count : 0);
	ly_set_free(set, NULL);
	free(xpath);
	lyd_free_siblings(data);
	return out;
}

static struct nc_server_reply *data_reply(const struct lyd_node *rpc, struct lyd_node *data)
{
	struct lyd_node *out;
	if (lyd_dup_single(rpc, NULL, 0, &out)) {
		lyd_free_siblings(data);
		return err_reply(NC_ERR_OP_FAILED, NULL, "out of memory");
	}
	if (lyd_new_any(out, NULL, "data", data, 1, LYD_ANYDATA_DATATREE, 1, NULL)) {
		lyd_free_siblings(data);
		lyd_free_tree(out);
		return err_reply(NC_ERR_OP_FAILED, NULL, "cannot build the reply");
	}
	return nc_server_reply_data(out, wd_mode(rpc), NC_PARAMTYPE_FREE);
}

/* A copy of the candidate (of running while unmodified). */
static struct lyd_node *candidate_copy(struct nc_server_reply **err)
{
	if (!G.cand_modified)
		return running_tree(err);
	struct lyd_node *dup = NULL;
	if (G.candidate && lyd_dup_siblings(G.candidate, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &dup)) {
		*err = err_reply(NC_ERR_OP_FAILED, NULL, "out of memory");
		return NULL;
	}
	return dup;
}

/* The tree an edit works on: a copy of the candidate, or, while nothing edited the
 * candidate yet, running's cached tree itself, taken from the cache rather than
 * copied (the next look at running makes it again: after a commit it would anyway). */
static struct lyd_node *candidate_work(struct nc_server_reply **err)
{
	if (G.cand_modified)
		return candidate_copy(err);
	running_cached(err);
	if (*err)
		return NULL;
	struct lyd_node *t = G.run_tree;
	G.run_tree = NULL;
	G.run_valid = false;
	return t;
}

static void candidate_checked(char *yaml, json_object *tsnd, struct tsn_config *cfg, json_object *yang)
{
	free(G.cand_yaml);
	json_object_put(G.cand_tsnd);
	tsn_config_free(G.cand_cfg);
	json_object_put(G.cand_yang);
	G.cand_yaml = yaml;
	G.cand_tsnd = tsnd;
	G.cand_cfg = cfg;
	G.cand_yang = yang;
}

static void candidate_reset(void)
{
	lyd_free_siblings(G.candidate);
	G.candidate = NULL;
	G.cand_modified = false;
	candidate_checked(NULL, NULL, NULL, NULL);
}

/* ---- the tsnd configuration behind a data tree ---- */
/* The tree as tsnd config JSON text (malloc'd) and tsnd's JSON (for error paths);
 * with `yang`, the module's JSON walked from the tree too (the caller's). */
static char *tree_to_tsnd_yang(const struct lyd_node *tree, json_object **tsnd, json_object **yang,
			       struct nc_server_reply **err)
{
	/* the module's JSON walked from the tree (what libyang would print, without the text) */
	json_object *y = yt_to_json(tree);
	struct ym_error yerr;
	json_object *t = y ? ym_from_yang(y, &yerr) : NULL;
	if (!t) {
		*err = err_reply(NC_ERR_INVALID_VALUE, y ? yerr.path : NULL, "%s", y ? yerr.msg : "unreadable datastore");
		json_object_put(y);
		return NULL;
	}
	if (yang)
		*yang = y;
	else
		json_object_put(y);
	char *out = strdup(json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	*tsnd = t;
	return out;
}

static char *tree_to_tsnd(const struct lyd_node *tree, json_object **tsnd, struct nc_server_reply **err)
{
	return tree_to_tsnd_yang(tree, tsnd, NULL, err);
}

/* Diagnostics (tsnd's JSON form) -> one rpc-error each, error-path the YANG node. */
static struct nc_server_reply *diags_reply(json_object *diags, json_object *tsnd, const char *fallback)
{
	struct nc_server_reply *reply = NULL;
	size_t n = json_object_is_type(diags, json_type_array) ? json_object_array_length(diags) : 0;
	for (size_t i = 0; i < n && i < 64; i++) {
		json_object *d = json_object_array_get_idx(diags, i), *sev, *path, *msg;
		if (json_object_object_get_ex(d, "severity", &sev) && strcmp(json_object_get_string(sev), "error"))
			continue;
		json_object_object_get_ex(d, "path", &path);
		json_object_object_get_ex(d, "message", &msg);
		char ypath[600] = "";
		const char *fp = path ? json_object_get_string(path) : "";
		if (!fp || !*fp || !ym_field_path_to_yang(tsnd, fp, ypath, sizeof(ypath)))
			snprintf(ypath, sizeof(ypath), "/%s:%s", YM_MODULE, YM_TOP);
		struct lyd_node *e = nc_err(G.ctx, NC_ERR_INVALID_VALUE, NC_ERR_TYPE_APP);
		nc_err_set_msg(e, msg ? json_object_get_string(msg) : "invalid", "en");
		nc_err_set_path(e, ypath);
		nc_err_set_app_tag(e, APP_TAG "-config-invalid");
		if (!reply)
			reply = nc_server_reply_err(e);
		else
			nc_server_reply_add_err(reply, e);
	}
	return reply ? reply : err_reply(NC_ERR_INVALID_VALUE, NULL, "%s", fallback);
}

/* tsnd's parser and checks (libtsn, the same code tsnd runs) on the text.  With
 * `yaml`, an accepted configuration comes back as tsnd's normalized YAML: what tsnd
 * writes to its file on a confirmed commit, readable like any tsnd.yaml; with
 * `keep`, the parsed configuration too (the caller frees it). */
static struct nc_server_reply *check_local_yaml(const char *text, json_object *tsnd, char **yaml,
						struct tsn_config **keep)
{
	struct tsn_diags d;
	tsn_diags_init(&d, "candidate");
	struct tsn_config *cfg = tsn_config_parse(text, strlen(text), "candidate", &d);
	struct nc_server_reply *r = NULL;
	if (!cfg) {
		json_object *dj = tsn_diags_to_json(&d);
		r = diags_reply(dj, tsnd, "the configuration is not valid");
		json_object_put(dj);
	} else if (yaml && !(*yaml = tsn_config_to_yaml(cfg))) {
		r = err_reply(NC_ERR_OP_FAILED, NULL, "out of memory");
	} else if (keep) {
		*keep = cfg;
		cfg = NULL;
	}
	tsn_config_free(cfg);
	tsn_diags_free(&d);
	return r;
}

static struct nc_server_reply *check_local(const char *text, json_object *tsnd)
{
	return check_local_yaml(text, tsnd, NULL, NULL);
}

/* An answer of tsnd to config.apply/check/confirm/cancel -> NULL (ok) or an rpc-error. */
static struct nc_server_reply *tsnd_result(const char *cmd, struct tsn_ctl_response *resp, json_object *tsnd)
{
	json_object *diags;
	switch (resp->code) {
	case TSN_CTL_OK:
		return NULL;
	case TSN_CTL_E_CONFIG_INVALID:
		if (resp->data && json_object_object_get_ex(resp->data, "diagnostics", &diags))
			return diags_reply(diags, tsnd, resp->message);
		return err_reply(NC_ERR_INVALID_VALUE, NULL, "%s", resp->message);
	case TSN_CTL_E_BUSY: {
		struct lyd_node *e = nc_err(G.ctx, NC_ERR_IN_USE, NC_ERR_TYPE_APP);
		nc_err_set_msg(e, resp->message, "en");
		return nc_server_reply_err(e);
	}
	case TSN_CTL_E_UNKNOWN_COMMAND:
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL, "this tsnd does not offer %s: %s", cmd, resp->message);
	case TSN_CTL_E_PERMISSION:
		return err_reply(NC_ERR_ACCESS_DENIED, NULL, "tsnd refused %s to tsn-netconfd: %s", cmd, resp->message);
	default:
		return err_reply(NC_ERR_OP_FAILED, NULL, "tsnd: %s: %s", tsn_ctl_code_name(resp->code), resp->message);
	}
}

/* ---- operations ---- */
static struct nc_server_reply *op_get(const struct lyd_node *rpc, bool config_only)
{
	struct nc_server_reply *err = NULL;
	struct lyd_node *data;
	const char *src = config_only ? datastore(rpc, "source") : "running";
	if (!src)
		return err_reply(NC_ERR_MISSING_ELEM, "source", "source is required");
	if (!strcmp(src, "running"))
		data = running_tree(&err);
	else if (!strcmp(src, "candidate"))
		data = candidate_copy(&err);
	else
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL, "datastore %s is not supported", src);
	if (err)
		return err;
	if (!config_only)
		add_state(&data);
	data = filter_tree(data, rpc, &err);
	if (err)
		return err;
	return data_reply(rpc, data);
}

static const struct lyd_node *edit_tree(const struct lyd_node *cfg);
static struct nc_server_reply *edit_apply(const struct lyd_node *edit, struct lyd_node *owned, enum nce_op dop,
					  bool test_only, bool set_only, struct nc_session *s);

static struct nc_server_reply *op_edit(const struct lyd_node *rpc, struct nc_session *s)
{
	const char *target = datastore(rpc, "target");
	uint32_t sid = nc_session_get_id(s);
	if (!target || strcmp(target, "candidate"))
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL,
				 "edit the candidate datastore and commit it (running is not writable directly)");
	if (G.lock_candidate && G.lock_candidate != sid)
		return in_use(G.lock_candidate, "candidate");

	enum nce_op dop = NCE_MERGE;
	struct lyd_node *c = child(rpc, "default-operation");
	if (c)
		dop = (enum nce_op)nce_op_from_name(lyd_get_value(c));
	c = child(rpc, "test-option");
	bool test_only = c && !strcmp(lyd_get_value(c), "test-only");
	bool set_only = c && !strcmp(lyd_get_value(c), "set");
	c = child(rpc, "error-option");
	if (c && !strcmp(lyd_get_value(c), "continue-on-error"))
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, "error-option", "continue-on-error is not supported");
	struct lyd_node *cfg = child(rpc, "config");
	if (!cfg)
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL, "only an inline <config> is supported (no :url)");

	/* libyang parsed the anyxml's content already, with the schema where it
	 * fits: use that tree when every node of it is configuration of the modules;
	 * otherwise print it and parse it strictly, for the error that names the node */
	struct lyd_node *edit = NULL;
	const struct lyd_node *direct = edit_tree(cfg);
	if (direct) {
		phase("edit-config: <config> taken as libyang parsed it");
		return edit_apply(direct, NULL, dop, test_only, set_only, s);
	}
	char *xml = NULL;
	lyd_any_value_str(cfg, &xml);
	if (xml && *xml &&
	    lyd_parse_data_mem(G.ctx, xml, LYD_XML, LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, 0, &edit)) {
		const struct ly_err_item *e = ly_err_last(G.ctx);
		free(xml);
		return err_reply(NC_ERR_INVALID_VALUE, e && e->path ? e->path : NULL, "%s",
				 e && e->msg ? e->msg : "the <config> does not fit the modules");
	}
	free(xml);
	phase("edit-config: <config> parsed");
	return edit_apply(edit, edit, dop, test_only, set_only, s);
}

/* The anyxml <config>'s value as libyang's RPC parser left it, when it can be the
 * edit as it is: a tree of schema nodes (no opaque node: an unknown element or an
 * invalid value), all configuration, with only ietf-netconf metadata. */
static bool edit_node_ok(const struct lyd_node *n)
{
	for (; n; n = n->next) {
		if (!n->schema || !(n->schema->flags & LYS_CONFIG_W))
			return false;
		for (const struct lyd_meta *m = n->meta; m; m = m->next)
			if (strcmp(m->annotation->module->name, "ietf-netconf"))
				return false;
		if (!(n->schema->nodetype & LYD_NODE_TERM) && !edit_node_ok(lyd_child(n)))
			return false;
	}
	return true;
}

static const struct lyd_node *edit_tree(const struct lyd_node *cfg)
{
	if (!cfg || !cfg->schema || !(cfg->schema->nodetype & LYD_NODE_ANY))
		return NULL;
	const struct lyd_node_any *a = (const struct lyd_node_any *)cfg;
	if (a->value_type != LYD_ANYDATA_DATATREE || !a->value.tree || !edit_node_ok(a->value.tree))
		return NULL;
	return a->value.tree;
}

/* The edit (top-level siblings) applied to a copy of the candidate, checked unless
 * `set_only`, kept unless `test_only`; `owned` (the edit, or NULL) is freed. */
static struct nc_server_reply *edit_apply(const struct lyd_node *edit, struct lyd_node *owned, enum nce_op dop,
					  bool test_only, bool set_only, struct nc_session *s)
{
	struct nc_server_reply *err = NULL;
	struct lyd_node *work = candidate_work(&err);
	phase("edit-config: candidate copied (or running's tree taken)");
	if (err) {
		lyd_free_siblings(owned);
		return err;
	}
	struct nce_error ee;
	if (nce_apply(&work, edit, dop, &ee)) {
		lyd_free_siblings(owned);
		lyd_free_siblings(work);
		return err_reply(ee.tag, ee.path, "%s", ee.msg);
	}
	lyd_free_siblings(owned);
	phase("edit-config: edit applied");
	char *text, *yaml = NULL;
	json_object *tj = NULL, *yj = NULL;
	struct tsn_config *cfg = NULL;
	if (!set_only) {
		/* test-then-set: the module's rules, then tsnd's own parser and checks */
		if (lyd_validate_all(&work, G.ctx, LYD_VALIDATE_NO_STATE, NULL)) {
			const struct ly_err_item *e = ly_err_last(G.ctx);
			err = err_reply(NC_ERR_INVALID_VALUE, e && e->path ? e->path : NULL, "%s",
					e && e->msg ? e->msg : "invalid");
			lyd_free_siblings(work);
			return err;
		}
		phase("edit-config: module rules");
		text = tree_to_tsnd_yang(work, &tj, test_only ? NULL : &yj, &err);
		phase("edit-config: converted to tsnd's form");
		if (!err)
			err = check_local_yaml(text, tj, &yaml, test_only ? NULL : &cfg);
		phase("edit-config: tsnd's parser and checks");
		free(text);
		if (err) {
			json_object_put(tj);
			json_object_put(yj);
			lyd_free_siblings(work);
			return err;
		}
	}
	if (test_only) {
		free(yaml);
		json_object_put(tj);
		lyd_free_siblings(work);
		return nc_server_reply_ok();
	}
	lyd_free_siblings(G.candidate);
	G.candidate = work;
	G.cand_modified = true;
	candidate_checked(yaml, tj, cfg, yj);	/* NULL after a "set": the commit checks */
	audit(s, "edit-config", "ok", "target=candidate");
	return nc_server_reply_ok();
}

static struct nc_server_reply *op_validate(const struct lyd_node *rpc)
{
	const char *src = datastore(rpc, "source");
	struct nc_server_reply *err = NULL;
	struct lyd_node *tree;
	if (!src)
		return err_reply(NC_ERR_MISSING_ELEM, "source", "source is required");
	if (!strcmp(src, "candidate"))
		tree = candidate_copy(&err);
	else if (!strcmp(src, "running"))
		tree = running_tree(&err);
	else if (!strcmp(src, "config")) {
		struct lyd_node *c = child(child(rpc, "source"), "config");
		char *xml = NULL;
		tree = NULL;
		lyd_any_value_str(c, &xml);
		if (xml && *xml && lyd_parse_data_mem(G.ctx, xml, LYD_XML, LYD_PARSE_STRICT | LYD_PARSE_NO_STATE,
						      LYD_VALIDATE_NO_STATE, &tree)) {
			const struct ly_err_item *e = ly_err_last(G.ctx);
			err = err_reply(NC_ERR_INVALID_VALUE, e && e->path ? e->path : NULL, "%s", e ? e->msg : "invalid");
		}
		free(xml);
	} else {
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL, "datastore %s is not supported", src);
	}
	if (err)
		return err;
	if (lyd_validate_all(&tree, G.ctx, LYD_VALIDATE_NO_STATE, NULL)) {
		const struct ly_err_item *e = ly_err_last(G.ctx);
		lyd_free_siblings(tree);
		return err_reply(NC_ERR_INVALID_VALUE, e && e->path ? e->path : NULL, "%s", e ? e->msg : "invalid");
	}
	json_object *tj = NULL;
	char *text = tree_to_tsnd(tree, &tj, &err);
	lyd_free_siblings(tree);
	if (!err)
		err = check_local(text, tj);
	if (!err) {
		/* the daemon's checks too (link speeds, groups, ...), where tsnd offers them */
		struct tsn_ctl_response resp;
		char msg[512];
		json_object *args = json_object_new_object();
		json_object_object_add(args, "config", json_object_new_string(text));
		if (tsnd_call("config.check", args, &resp, msg, sizeof(msg)) == 0) {
			if (resp.code != TSN_CTL_E_INVALID_ARGUMENT && resp.code != TSN_CTL_E_UNKNOWN_COMMAND)
				err = tsnd_result("config.check", &resp, tj);
			tsn_ctl_response_release(&resp);
		}
		json_object_put(args);
	}
	free(text);
	json_object_put(tj);
	return err ? err : nc_server_reply_ok();
}

static bool confirm_expired(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > G.confirm_deadline.tv_sec ||
	       (now.tv_sec == G.confirm_deadline.tv_sec && now.tv_nsec >= G.confirm_deadline.tv_nsec);
}

/* config.confirm / config.cancel; NULL on success. */
static struct nc_server_reply *tsnd_simple(const char *cmd)
{
	struct tsn_ctl_response resp;
	char msg[512];
	if (tsnd_call(cmd, NULL, &resp, msg, sizeof(msg)))
		return err_reply(NC_ERR_OP_FAILED, NULL, "%s", msg);
	struct nc_server_reply *r = tsnd_result(cmd, &resp, NULL);
	tsn_ctl_response_release(&resp);
	return r;
}

static struct nc_server_reply *op_commit(const struct lyd_node *rpc, struct nc_session *s)
{
	uint32_t sid = nc_session_get_id(s);
	if (G.lock_running && G.lock_running != sid)
		return in_use(G.lock_running, "running");
	if (G.lock_candidate && G.lock_candidate != sid)
		return in_use(G.lock_candidate, "candidate");
	bool confirmed = child(rpc, "confirmed") != NULL;
	struct lyd_node *c = child(rpc, "confirm-timeout");
	uint32_t timeout = c ? (uint32_t)strtoul(lyd_get_value(c), NULL, 10) : 600;
	c = child(rpc, "persist");
	const char *persist = c ? lyd_get_value(c) : NULL;
	c = child(rpc, "persist-id");
	const char *persist_id = c ? lyd_get_value(c) : NULL;

	if (G.confirm_pending && confirm_expired())
		G.confirm_pending = false;	/* tsnd has rolled back by now */
	if (G.confirm_pending) {
		if (G.persist_id[0] ? !persist_id || strcmp(persist_id, G.persist_id) : G.confirm_sid != sid)
			return err_reply(NC_ERR_INVALID_VALUE, "persist-id",
					 "a confirmed commit of another session is pending");
		if (confirmed)
			return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL,
					 "a confirmed commit is pending: confirm it or cancel it first");
		/* the confirming commit */
		struct nc_server_reply *r = tsnd_simple("config.confirm");
		if (r)
			return r;
		G.confirm_pending = false;
		audit(s, "commit", "ok", "confirmed");
		if (!G.cand_modified)
			return nc_server_reply_ok();
	} else if (persist_id) {
		return err_reply(NC_ERR_INVALID_VALUE, "persist-id", "no confirmed commit is pending");
	}
	if (!G.cand_modified && !confirmed)
		return nc_server_reply_ok();

	struct nc_server_reply *err = NULL;
	json_object *tj = NULL;
	char *yaml = NULL, gen[32] = "", digest[CFG_DIGEST_HEX] = "";
	struct tsn_config *cfg = NULL;		/* what tsnd will run */
	bool checked = G.cand_modified && G.cand_yaml;	/* the candidate's tree validated, its JSON kept */
	if (checked) {
		/* checked by the edit that made it: send what that check gave */
		yaml = strdup(G.cand_yaml);
		tj = json_object_get(G.cand_tsnd);
		if (!yaml)
			err = err_reply(NC_ERR_OP_FAILED, NULL, "out of memory");
	} else {
		struct lyd_node *tree = candidate_copy(&err);
		if (err)
			return err;
		char *text = tree_to_tsnd(tree, &tj, &err);
		lyd_free_siblings(tree);
		if (!err)
			err = check_local_yaml(text, tj, &yaml, &cfg);
		free(text);
	}
	phase("commit: candidate converted and checked");
	if (!err) {
		json_object *args = json_object_new_object();
		json_object_object_add(args, "config", json_object_new_string(yaml));
		if (confirmed)
			json_object_object_add(args, "confirm-within-ms", json_object_new_int64((int64_t)timeout * 1000));
		json_object_object_add(args, "digest", json_object_new_boolean(1));	/* running_seed */
		struct tsn_ctl_response resp;
		char msg[512];
		if (tsnd_call("config.apply", args, &resp, msg, sizeof(msg)))
			err = err_reply(NC_ERR_OP_FAILED, NULL, "%s", msg);
		else {
			err = tsnd_result("config.apply", &resp, tj);
			const char *g = err ? NULL : jstr(resp.data, "generation", NULL, NULL);
			const char *dg = err ? NULL : jstr(resp.data, "digest", NULL, NULL);
			snprintf(gen, sizeof(gen), "%s", g ? g : "");
			snprintf(digest, sizeof(digest), "%s", dg ? dg : "");
			tsn_ctl_response_release(&resp);
		}
		json_object_put(args);
	}
	phase("commit: tsnd's config.apply");
	free(yaml);
	json_object_put(tj);
	if (err) {
		tsn_config_free(cfg);
		audit(s, "commit", "refused", NULL);
		return err;
	}
	struct lyd_node *tree = NULL;
	json_object *yang = NULL;
	if (checked) {	/* the edit's check made them */
		cfg = G.cand_cfg;
		G.cand_cfg = NULL;
		tree = G.candidate;
		G.candidate = NULL;
		yang = G.cand_yang;
		G.cand_yang = NULL;
	}
	running_seed(cfg, gen, digest, tree, yang);
	candidate_reset();
	if (confirmed) {
		G.confirm_pending = true;
		G.confirm_sid = persist ? 0 : sid;
		snprintf(G.persist_id, sizeof(G.persist_id), "%s", persist ? persist : "");
		clock_gettime(CLOCK_MONOTONIC, &G.confirm_deadline);
		G.confirm_deadline.tv_sec += timeout;
	}
	audit(s, "commit", "ok", confirmed ? "confirmed-commit pending" : NULL);
	return nc_server_reply_ok();
}

static struct nc_server_reply *op_cancel_commit(const struct lyd_node *rpc, struct nc_session *s)
{
	struct lyd_node *c = child(rpc, "persist-id");
	const char *persist_id = c ? lyd_get_value(c) : NULL;
	if (G.confirm_pending && confirm_expired())
		G.confirm_pending = false;
	if (!G.confirm_pending)
		return err_reply(NC_ERR_OP_FAILED, NULL, "no confirmed commit is pending");
	if (G.persist_id[0] ? !persist_id || strcmp(persist_id, G.persist_id) : G.confirm_sid != nc_session_get_id(s))
		return err_reply(NC_ERR_INVALID_VALUE, "persist-id", "the pending confirmed commit is not this session's");
	struct nc_server_reply *r = tsnd_simple("config.cancel");
	if (r)
		return r;
	G.confirm_pending = false;
	candidate_reset();
	audit(s, "cancel-commit", "ok", NULL);
	return nc_server_reply_ok();
}

static struct nc_server_reply *op_lock(const struct lyd_node *rpc, struct nc_session *s, bool lock)
{
	const char *t = datastore(rpc, "target");
	uint32_t sid = nc_session_get_id(s), *holder;
	if (!t)
		return err_reply(NC_ERR_MISSING_ELEM, "target", "target is required");
	if (!strcmp(t, "running"))
		holder = &G.lock_running;
	else if (!strcmp(t, "candidate"))
		holder = &G.lock_candidate;
	else
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL, "datastore %s is not supported", t);
	if (lock) {
		if (*holder)
			return lock_denied(*holder, t);
		if (holder == &G.lock_candidate && G.cand_modified)
			return err_reply(NC_ERR_LOCK_DENIED, NULL, "the candidate has uncommitted changes");
		*holder = sid;
	} else {
		if (*holder != sid)
			return err_reply(NC_ERR_OP_FAILED, NULL, "this session holds no lock on %s", t);
		*holder = 0;
	}
	audit(s, lock ? "lock" : "unlock", "ok", t);
	return nc_server_reply_ok();
}

static struct nc_server_reply *op_discard(struct nc_session *s)
{
	if (G.lock_candidate && G.lock_candidate != nc_session_get_id(s))
		return in_use(G.lock_candidate, "candidate");
	candidate_reset();
	return nc_server_reply_ok();
}

static struct nc_server_reply *op_kill(const struct lyd_node *rpc, struct nc_session *s)
{
	struct lyd_node *c = child(rpc, "session-id");
	uint32_t id = c ? (uint32_t)strtoul(lyd_get_value(c), NULL, 10) : 0;
	if (id == nc_session_get_id(s))
		return err_reply(NC_ERR_INVALID_VALUE, "session-id", "a session cannot kill itself (use close-session)");
	for (uint16_t i = 0; i < nc_ps_session_count(G.ps); i++) {
		struct nc_session *k = nc_ps_get_session(G.ps, i);
		if (k && nc_session_get_id(k) == id) {
			nc_session_set_term_reason(k, NC_SESSION_TERM_KILLED);
			nc_session_set_killed_by(k, nc_session_get_id(s));
			nc_session_set_status(k, NC_STATUS_INVALID);
			audit(s, "kill-session", "ok", NULL);
			return nc_server_reply_ok();
		}
	}
	return err_reply(NC_ERR_INVALID_VALUE, "session-id", "no session %" PRIu32, id);
}

/* <get-schema> (RFC 6022): ours, as libnetconf2 2.0's own mishandles the reply's
 * string with libyang 2.1 and drops the session. */
static struct nc_server_reply *op_get_schema(struct lyd_node *rpc, struct nc_session *s)
{
	(void)s;
	struct lyd_node *c = child(rpc, "identifier");
	const char *id = c ? lyd_get_value(c) : NULL;
	c = child(rpc, "version");
	const char *rev = c && *lyd_get_value(c) ? lyd_get_value(c) : NULL;
	c = child(rpc, "format");
	const char *fmt = c ? lyd_get_value(c) : NULL;
	LYS_OUTFORMAT of = LYS_OUT_YANG;
	if (fmt && strstr(fmt, "yin"))
		of = LYS_OUT_YIN;
	else if (fmt && !strstr(fmt, "yang"))
		return err_reply(NC_ERR_INVALID_VALUE, "format", "format %s is not supported (yang, yin)", fmt);
	const struct lys_module *mod = id ? (rev ? ly_ctx_get_module(G.ctx, id, rev) : ly_ctx_get_module_latest(G.ctx, id))
					  : NULL;
	if (!mod)
		return err_reply(NC_ERR_INVALID_VALUE, "identifier", "no module %s%s%s", id ? id : "?", rev ? "@" : "",
				 rev ? rev : "");
	char *text = NULL;
	if (lys_print_mem(&text, mod, of, 0))
		return err_reply(NC_ERR_OP_FAILED, NULL, "cannot print module %s", id);
	struct lyd_node *out = NULL;
	LY_ERR r = lyd_dup_single(rpc, NULL, 0, &out);
	if (!r)
		r = lyd_new_any(out, NULL, "data", text, 0, LYD_ANYDATA_STRING, 1, NULL);
	free(text);
	if (r) {
		lyd_free_tree(out);
		return err_reply(NC_ERR_OP_FAILED, NULL, "cannot build the reply");
	}
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

/* <create-subscription> (RFC 5277): the NETCONF stream, live only (no replay, no filter). */
static struct nc_server_reply *op_subscribe(const struct lyd_node *rpc, struct nc_session *s)
{
	struct lyd_node *c = child(rpc, "stream");
	if (c && strcmp(lyd_get_value(c), "NETCONF"))
		return err_reply(NC_ERR_INVALID_VALUE, "stream", "no stream %s (only NETCONF)", lyd_get_value(c));
	if (child(rpc, "startTime") || child(rpc, "stopTime"))
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, "startTime", "replay is not supported (:replay is not announced)");
	if (child(rpc, "filter"))
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, "filter", "notification filters are not supported");
	if (nc_session_get_notif_status(s))
		return err_reply(NC_ERR_IN_USE, NULL, "this session has a subscription already");
	nc_session_inc_notif_status(s);
	if (!G.last_status) {
		/* the baseline now: a change right after this reply is a change */
		struct tsn_ctl_response resp;
		char msg[256];
		if (tsnd_call("status", NULL, &resp, msg, sizeof(msg)) == 0) {
			if (resp.code == TSN_CTL_OK)
				G.last_status = json_object_get(resp.data);
			tsn_ctl_response_release(&resp);
		}
	}
	return nc_server_reply_ok();
}

static struct nc_server_reply *rpc_dispatch(struct lyd_node *rpc, struct nc_session *s);

static struct nc_server_reply *rpc_clb(struct lyd_node *rpc, struct nc_session *s)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&state_lock);
	phase(NULL);
	struct nc_server_reply *r = rpc_dispatch(rpc, s);
	pthread_mutex_unlock(&state_lock);
	/* the server's own time for the RPCs that change or check a configuration
	 * (the benchmark reads it: the client's share is not the server's) */
	const char *name = LYD_NAME(rpc);
	if (!strcmp(name, "edit-config") || !strcmp(name, "commit") || !strcmp(name, "validate")) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		logmsg(LOG_INFO, "session %" PRIu32 ": %s handled in %.1f ms", nc_session_get_id(s), name,
		       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	}
	return r;
}

static struct nc_server_reply *rpc_dispatch(struct lyd_node *rpc, struct nc_session *s)
{
	const char *name = LYD_NAME(rpc);
	const struct sess_data *d = nc_session_get_data(s);
	static const char *const admin_ops[] = { "edit-config", "commit", "discard-changes", "lock", "unlock",
						  "cancel-commit", "kill-session", "copy-config", "delete-config" };
	logmsg(LOG_DEBUG, "session %" PRIu32 ": %s", nc_session_get_id(s), name);
	for (size_t i = 0; i < sizeof(admin_ops) / sizeof(admin_ops[0]); i++)
		if (!strcmp(name, admin_ops[i]) && (!d || d->role != NCD_ROLE_ADMIN)) {
			audit(s, name, "denied", "role=read");
			return err_reply(NC_ERR_ACCESS_DENIED, NULL, "user %s has the read role: %s is not allowed",
					 d ? d->user : "?", name);
		}
	if (!strcmp(name, "get"))
		return op_get(rpc, false);
	if (!strcmp(name, "get-config"))
		return op_get(rpc, true);
	if (!strcmp(name, "edit-config"))
		return op_edit(rpc, s);
	if (!strcmp(name, "validate"))
		return op_validate(rpc);
	if (!strcmp(name, "commit"))
		return op_commit(rpc, s);
	if (!strcmp(name, "cancel-commit"))
		return op_cancel_commit(rpc, s);
	if (!strcmp(name, "discard-changes"))
		return op_discard(s);
	if (!strcmp(name, "lock"))
		return op_lock(rpc, s, true);
	if (!strcmp(name, "unlock"))
		return op_lock(rpc, s, false);
	if (!strcmp(name, "kill-session"))
		return op_kill(rpc, s);
	if (!strcmp(name, "create-subscription"))
		return op_subscribe(rpc, s);
	return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL, "%s is not supported", name);
}

/* A session ended: its locks go, a locked candidate it changed is discarded, and
 * its unconfirmed commit (without persist) is rolled back (RFC 6241 8.3.4, 8.4). */
static void session_ended(struct nc_session *s)
{
	uint32_t sid = nc_session_get_id(s);
	if (G.lock_running == sid)
		G.lock_running = 0;
	if (G.lock_candidate == sid) {
		G.lock_candidate = 0;
		candidate_reset();
	}
	if (G.confirm_pending && G.confirm_sid == sid && !confirm_expired()) {
		struct nc_server_reply *r = tsnd_simple("config.cancel");
		logmsg(LOG_NOTICE, "session %" PRIu32 " ended with a confirmed commit pending: %s", sid,
		       r ? "tsnd could not roll back" : "rolled back");
		nc_server_reply_free(r);
		G.confirm_pending = false;
		candidate_reset();
	}
	__atomic_sub_fetch(&G.n_sessions, 1, __ATOMIC_SEQ_CST);
	logmsg(LOG_INFO, "session %" PRIu32 " ended", sid);
}

/* ---- notifications ---- */
/* Send notification `name` with leaves (name, value) ... NULL to every subscriber. */
static void notify(const char *name, ...)
{
	const struct lys_module *mod = ly_ctx_get_module_implemented(G.ctx, YM_MODULE);
	struct lyd_node *n = NULL;
	va_list ap;
	if (!mod || lyd_new_inner(NULL, mod, name, 0, &n))
		return;
	va_start(ap, name);
	for (const char *k; (k = va_arg(ap, const char *));) {
		const char *v = va_arg(ap, const char *);
		if (v)
			lyd_new_term(n, NULL, k, v, 0, NULL);
	}
	va_end(ap);
	char when[64];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	struct nc_server_notif *nf = nc_server_notif_new(n, when, NC_PARAMTYPE_DUP_AND_FREE);
	lyd_free_tree(n);
	if (!nf)
		return;
	for (uint16_t i = 0; i < nc_ps_session_count(G.ps); i++) {
		struct nc_session *s = nc_ps_get_session(G.ps, i);
		if (s && nc_session_get_status(s) == NC_STATUS_RUNNING && nc_session_get_notif_status(s))
			nc_server_notif_send(s, nf, 1000);
	}
	nc_server_notif_free(nf);
	logmsg(LOG_INFO, "notification %s", name);
}

static const char *jstr(json_object *o, const char *a, const char *b, const char *c)
{
	json_object *v = o;
	const char *keys[] = { a, b, c };
	for (int i = 0; i < 3 && keys[i] && v; i++)
		if (!json_object_is_type(v, json_type_object) || !json_object_object_get_ex(v, keys[i], &v))
			return NULL;
	return v && !json_object_is_type(v, json_type_null) ? json_object_get_string(v) : NULL;
}

static bool changed(const char *a, const char *b)
{
	return (a || b) && (!a || !b || strcmp(a, b));
}

/* Once a second while someone subscribed: tsnd's status against the last one. */
static void watch(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec < G.next_watch.tv_sec ||
	    (now.tv_sec == G.next_watch.tv_sec && now.tv_nsec < G.next_watch.tv_nsec))
		return;
	G.next_watch = now;
	G.next_watch.tv_sec += 1;
	bool any = false;
	for (uint16_t i = 0; i < nc_ps_session_count(G.ps) && !any; i++) {
		struct nc_session *s = nc_ps_get_session(G.ps, i);
		any = s && nc_session_get_notif_status(s);
	}
	if (!any) {
		json_object_put(G.last_status);
		G.last_status = NULL;
		return;
	}
	struct tsn_ctl_response resp;
	char msg[256];
	if (tsnd_call("status", NULL, &resp, msg, sizeof(msg)))
		return;
	json_object *st = resp.code == TSN_CTL_OK ? json_object_get(resp.data) : NULL;
	tsn_ctl_response_release(&resp);
	if (!st)
		return;
	json_object *old = G.last_status;
	G.last_status = st;
	if (!old)
		return;	/* the first look only sets the baseline */
	if (changed(jstr(old, "config", "last_reload", "time"), jstr(st, "config", "last_reload", "time")) ||
	    changed(jstr(old, "config", "generation", NULL), jstr(st, "config", "generation", NULL)))
		notify("config-applied", "generation", jstr(st, "config", "generation", NULL), "time",
		       jstr(st, "config", "last_reload", "time"), "result", jstr(st, "config", "last_reload", "result"),
		       "message", jstr(st, "config", "last_reload", "message"), NULL);
	const char *ps_old = jstr(old, "subsystems", "ptp", "sync_state"), *ps_new = jstr(st, "subsystems", "ptp", "sync_state");
	if (changed(ps_old, ps_new))
		notify("sync-state-changed", "sync-state", ps_new, "previous", ps_old, "reason",
		       jstr(st, "subsystems", "ptp", "message"), NULL);
	json_object *pn = NULL, *po = NULL;
	json_object_object_get_ex(st, "ports", &pn);
	json_object_object_get_ex(old, "ports", &po);
	for (size_t i = 0; json_object_is_type(pn, json_type_array) && i < json_object_array_length(pn); i++) {
		json_object *p = json_object_array_get_idx(pn, i);
		const char *name = jstr(p, "name", NULL, NULL), *prev = NULL;
		for (size_t k = 0; name && json_object_is_type(po, json_type_array) && k < json_object_array_length(po); k++) {
			json_object *q = json_object_array_get_idx(po, k);
			if (jstr(q, "name", NULL, NULL) && !strcmp(jstr(q, "name", NULL, NULL), name))
				prev = jstr(q, "schedule_state", NULL, NULL);
		}
		const char *cur = jstr(p, "schedule_state", NULL, NULL);
		if (name && prev && changed(prev, cur))
			notify("schedule-state-changed", "port", name, "schedule-state", cur, "previous", prev, NULL);
	}
	const char *swc_o = jstr(old, "subsystems", "telemetry", "sent_while_closed"),
		   *swc_n = jstr(st, "subsystems", "telemetry", "sent_while_closed"),
		   *woc_o = jstr(old, "subsystems", "telemetry", "waited_over_cycle"),
		   *woc_n = jstr(st, "subsystems", "telemetry", "waited_over_cycle");
	if (swc_n && woc_n && ((swc_o && strtoull(swc_n, NULL, 10) > strtoull(swc_o, NULL, 10)) ||
			       (woc_o && strtoull(woc_n, NULL, 10) > strtoull(woc_o, NULL, 10))))
		notify("gate-conformance-violation", "sent-while-closed", swc_n, "waited-over-cycle", woc_n, NULL);
	json_object_put(old);
}

/* ---- start-up ---- */
static int hostkey_clb(const char *name, void *user_data, char **privkey_path, char **privkey_data,
		       NC_SSH_KEY_TYPE *privkey_type)
{
	(void)name;
	(void)user_data;
	(void)privkey_data;
	(void)privkey_type;
	*privkey_path = strdup(G.conf.host_key);
	return *privkey_path ? 0 : -1;
}

/* libnetconf2 listens with a backlog of a handful of connections.  When more clients
 * connect at once, the kernel drops the ACKs that complete their TCP handshakes: the
 * clients believe they are connected and wait for the SSH banner, while the server sees
 * them only after SYN-ACK retransmits 1, 2, 4, 8 s later, past an SSH client's banner
 * timeout.  listen() again on the bound socket raises its backlog. */
static int widen_backlog(uint16_t port)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));) {
		int fd = atoi(e->d_name), acc = 0;
		socklen_t l = sizeof(acc);
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		if (fd <= 2 || fd == dirfd(d) || getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) || !acc ||
		    getsockname(fd, (struct sockaddr *)&sa, &sl))
			continue;
		uint16_t p = sa.ss_family == AF_INET    ? ntohs(((struct sockaddr_in *)&sa)->sin_port)
			     : sa.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&sa)->sin6_port)
							: 0;
		if (p == port && listen(fd, LISTEN_BACKLOG) == 0)
			n++;
	}
	closedir(d);
	return n ? 0 : -1;
}

static void *accept_thread(void *arg)
{
	(void)arg;
	while (!G.stop) {
		struct nc_session *s = NULL;
		/* The accept threads take turns at libnetconf2's listening sockets
		 * (one lock), so a stop waits for each one's timeout in turn: about
		 * 2 s.  100 ms made a stop take 0.35 s; the one full run with it lost
		 * a session to libnetconf2's "inactive read timeout", which this
		 * timeout cannot cause (docs/netconf.md, Limits), but 100 ms has not
		 * had a full run since, so 500 ms stays. */
		NC_MSG_TYPE m = nc_accept(500, &s);
		if (m != NC_MSG_HELLO) {
			if (m == NC_MSG_BAD_HELLO)
				logmsg(LOG_INFO, "a client sent a bad <hello>");
			continue;
		}
		const struct ncd_user *u = ncd_conf_user(&G.conf, nc_session_get_username(s));
		if (!u || __atomic_add_fetch(&G.n_sessions, 1, __ATOMIC_SEQ_CST) > G.conf.max_sessions) {
			if (u)
				__atomic_sub_fetch(&G.n_sessions, 1, __ATOMIC_SEQ_CST);
			logmsg(LOG_WARNING, "session of %s refused: %s", nc_session_get_username(s),
			       u ? "too many sessions" : "not a configured user");
			nc_session_free(s, NULL);
			continue;
		}
		struct sess_data *d = calloc(1, sizeof(*d));
		if (!d) {
			__atomic_sub_fetch(&G.n_sessions, 1, __ATOMIC_SEQ_CST);
			nc_session_free(s, NULL);
			continue;
		}
		d->role = u->role;
		snprintf(d->user, sizeof(d->user), "%s", u->name);
		nc_session_set_data(s, d);
		if (nc_ps_add_session(G.ps, s)) {
			__atomic_sub_fetch(&G.n_sessions, 1, __ATOMIC_SEQ_CST);
			nc_session_free(s, free);
			continue;
		}
		logmsg(LOG_INFO, "session %" PRIu32 ": user %s (%s) from %s", nc_session_get_id(s), d->user,
		       d->role == NCD_ROLE_ADMIN ? "admin" : "read", nc_session_get_host(s) ? nc_session_get_host(s) : "?");
	}
	return NULL;
}

static void *poll_thread(void *arg)
{
	bool watcher = arg != NULL;
	while (!G.stop) {
		struct nc_session *s = NULL;
		if (watcher) {
			pthread_mutex_lock(&state_lock);
			watch();
			pthread_mutex_unlock(&state_lock);
		}
		int r = nc_ps_poll(G.ps, 200, &s);
		if (r & (NC_PSPOLL_NOSESSIONS | NC_PSPOLL_TIMEOUT)) {
			if (r & NC_PSPOLL_NOSESSIONS)
				usleep(50000);
			continue;
		}
		if (s && (r & (NC_PSPOLL_SESSION_TERM | NC_PSPOLL_SESSION_ERROR))) {
			pthread_mutex_lock(&state_lock);
			session_ended(s);
			pthread_mutex_unlock(&state_lock);
			nc_ps_del_session(G.ps, s);
			nc_session_free(s, free);
		}
	}
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	G.stop = 1;
}

static int load_modules(char *err, size_t len)
{
	if (ly_ctx_new(G.conf.yang_dir, 0, &G.ctx)) {
		snprintf(err, len, "libyang context: cannot use %s", G.conf.yang_dir);
		return -1;
	}
	for (size_t i = 0; i < G.conf.n_ietf_yang_dirs; i++)
		ly_ctx_set_searchdir(G.ctx, G.conf.ietf_yang_dirs[i]);
	static const char *nc_features[] = { "candidate", "confirmed-commit", "rollback-on-error", "validate", "xpath",
					     NULL };
	static const struct {
		const char *name;
		const char **features;
	} mods[] = {
		{ "ietf-netconf", nc_features },
		{ "ietf-netconf-with-defaults", NULL },
		{ "ietf-netconf-monitoring", NULL },
		{ "notifications", NULL },
		{ "nc-notifications", NULL },
		{ YM_MODULE, NULL },
	};
	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++)
		if (!ly_ctx_load_module(G.ctx, mods[i].name, NULL, mods[i].features)) {
			snprintf(err, len, "cannot load the YANG module %s (searched %s%s%s)", mods[i].name, G.conf.yang_dir,
				 G.conf.n_ietf_yang_dirs ? ", " : "", G.conf.n_ietf_yang_dirs ? G.conf.ietf_yang_dirs[0] : "");
			return -1;
		}
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: tsn-netconfd [-c FILE] [-v] [--check]\n"
	      "  -c, --config FILE   configuration (default /etc/tsnd/netconfd.yaml)\n"
	      "  -v, --verbose       log every RPC and libnetconf2's messages\n"
	      "      --check         check the configuration and the YANG modules, then exit\n",
	      f);
}

int main(int argc, char **argv)
{
	const char *config = "/etc/tsnd/netconfd.yaml";
	bool check = false;
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			config = optarg;
			break;
		case 'v':
			G.verbose = true;
			break;
		case 'C':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* tests: prove each tree a commit seeded against a fresh fetch (running_seed) */
	const char *cs = getenv("TSN_NETCONFD_CHECK_SEED");
	G.check_seed = cs && *cs && strcmp(cs, "0");
	/* tests: keep every committed tree unproven, to show that the check above
	 * catches it; only with that check, whose fetched tree wins, so that this
	 * switch can never make a server serve a running that is not tsnd's */
	const char *st = getenv("TSN_NETCONFD_SEED_TRUST");
	G.seed_trust = G.check_seed && st && *st && strcmp(st, "0");
	char err[1024];
	if (ncd_conf_load(config, &G.conf, err, sizeof(err))) {
		fprintf(stderr, "tsn-netconfd: %s\n", err);
		return 1;
	}
	if (load_modules(err, sizeof(err))) {
		fprintf(stderr, "tsn-netconfd: %s\n", err);
		ly_ctx_destroy(G.ctx);
		return 1;
	}
	if (check) {
		ly_ctx_destroy(G.ctx);
		puts("configuration and modules ok");
		return 0;
	}
	nc_verbosity(G.verbose ? NC_VERB_VERBOSE : NC_VERB_WARNING);
	if (nc_server_init(G.ctx)) {
		fprintf(stderr, "tsn-netconfd: libnetconf2 did not start\n");
		return 1;
	}
	nc_set_global_rpc_clb(rpc_clb);
	/* an RPC whose schema node has a callback gets it instead of the global one */
	const struct lysc_node *gs = lys_find_path(G.ctx, NULL, "/ietf-netconf-monitoring:get-schema", 0);
	if (gs)
		((struct lysc_node *)gs)->priv = op_get_schema;
	/* RFC 5277: the NETCONF stream, RPCs interleaved with notifications */
	nc_server_set_capability("urn:ietf:params:netconf:capability:notification:1.0");
	nc_server_set_capability("urn:ietf:params:netconf:capability:interleave:1.0");
	nc_server_set_capab_withdefaults(NC_WD_ALL, NC_WD_ALL | NC_WD_ALL_TAG | NC_WD_TRIM | NC_WD_EXPLICIT);
	nc_server_set_hello_timeout((uint16_t)G.conf.hello_timeout_s);
	nc_server_set_idle_timeout((uint16_t)G.conf.idle_timeout_s);
	nc_server_ssh_set_hostkey_clb(hostkey_clb, NULL, NULL);
	if (nc_server_add_endpt("main", NC_TI_LIBSSH) || nc_server_endpt_set_address("main", G.conf.address) ||
	    nc_server_endpt_set_port("main", G.conf.port) || nc_server_ssh_endpt_add_hostkey("main", "host", -1) ||
	    nc_server_ssh_endpt_set_auth_methods("main", NC_SSH_AUTH_PUBLICKEY) ||
	    nc_server_ssh_endpt_set_auth_attempts("main", 3) ||
	    nc_server_ssh_endpt_set_auth_timeout("main", (uint16_t)G.conf.auth_timeout_s)) {
		fprintf(stderr, "tsn-netconfd: cannot listen on [%s]:%u\n", G.conf.address, G.conf.port);
		nc_server_destroy();
		ly_ctx_destroy(G.ctx);
		return 1;
	}
	if (widen_backlog(G.conf.port))
		logmsg(LOG_WARNING, "listen backlog not raised: clients connecting at once may wait seconds");
	for (size_t i = 0; i < G.conf.n_users; i++)
		for (size_t k = 0; k < G.conf.users[i].n_keys; k++)
			if (nc_server_ssh_add_authkey_path(G.conf.users[i].keys[k], G.conf.users[i].name))
				logmsg(LOG_WARNING, "key %s of %s not added", G.conf.users[i].keys[k], G.conf.users[i].name);

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	G.ps = nc_ps_new();
	pthread_t acc[ACCEPT_THREADS];
	for (int i = 0; i < ACCEPT_THREADS; i++)
		if (!G.ps || pthread_create(&acc[i], NULL, accept_thread, NULL)) {
			fprintf(stderr, "tsn-netconfd: cannot start\n");
			return 1;
		}
	logmsg(LOG_NOTICE, "listening on [%s]:%u, tsnd at %s", G.conf.address, G.conf.port, G.conf.tsnd_socket);
	pthread_t pol[POLL_THREADS - 1];
	for (int i = 0; i < POLL_THREADS - 1; i++)
		if (pthread_create(&pol[i], NULL, poll_thread, NULL)) {
			fprintf(stderr, "tsn-netconfd: cannot start\n");
			return 1;
		}
	poll_thread(&G);	/* this one also runs the notification watch */
	for (int i = 0; i < POLL_THREADS - 1; i++)
		pthread_join(pol[i], NULL);
	for (int i = 0; i < ACCEPT_THREADS; i++)
		pthread_join(acc[i], NULL);
	for (uint16_t i = nc_ps_session_count(G.ps); i > 0; i--) {
		struct nc_session *s = nc_ps_get_session(G.ps, i - 1);
		if (s)
			session_ended(s);
	}
	nc_ps_clear(G.ps, 1, free);
	nc_ps_free(G.ps);
	candidate_reset();
	lyd_free_siblings(G.run_tree);
	seed_drop();
	json_object_put(G.last_status);
	nc_server_destroy();
	ly_ctx_destroy(G.ctx);
	logmsg(LOG_NOTICE, "stopped");
	return 0;
}
