/* SPDX-License-Identifier: GPL-2.0-only */
/* deploy.c — tsncnc deploy, status and diff: the plan's switch configurations over
 * NETCONF (libnetconf2's client, SSH with key authentication) to every switch's
 * tsn-netconfd, network-wide all or nothing (docs/cnc.md, "Deploying").
 *
 * Per switch: lock the candidate, read running, build the planned configuration
 * (running with the planner's sections replaced, every schedule and stream gate on
 * one absolute base time), edit-config replace, then a confirmed commit with a
 * persist id.  Only when every switch accepted does a confirming commit go to each;
 * otherwise every accepted switch gets cancel-commit (and tsnd's own confirm timer
 * rolls back a switch that cannot be reached any more).
 *
 * The YAML <-> YANG translation is netconf/ymap.c, the one tsn-netconfd uses. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libyang/libyang.h>
#include <nc_client.h>

#include "cnc.h"
#include "tsn/config.h"
#include "tsn/units.h"
#include "ymap.h"

#define RPC_TIMEOUT_MS 30000

enum mode { M_DEPLOY, M_STATUS, M_DIFF };

struct sw {
	int node;
	const struct cnc_node *n;
	struct nc_session *s;
	bool locked, committed, confirmed;
	json_object *running;	/* tsnd's normalized config, as read */
	json_object *state;	/* status: /tsnd:tsnd/state as the switch reports it */
	json_object *want;	/* the planned one, normalized */
	char err[1024];		/* first problem with this switch */
};

struct opts {
	int64_t lead;		/* base time = a cycle boundary at least this after now (TAI) */
	uint32_t confirm_timeout;	/* s: the switches roll back when not confirmed by then */
	const char *known_hosts;
	bool accept_any_hostkey;
	const char *yang_dir;
	bool json;
	bool no_gates;		/* leave out the ports' gate schedules (no taprio) */
	bool no_bridge;		/* leave the switch's bridge section as it runs (no VLAN filtering) */
};

/* Per thread: every switch is talked to in its own thread (libnetconf2's client
 * options are per thread too). */
static __thread char last_nc_err[512];	/* libnetconf2's last error message (its log) */
static __thread char hostkey_err[512];	/* why the host key check failed */

static void nc_log(const struct nc_session *s, NC_VERB_LEVEL level, const char *msg)
{
	(void)s;
	if (level == NC_VERB_ERROR)
		snprintf(last_nc_err, sizeof(last_nc_err), "%s", msg);
}

static const struct opts *G_opts;

/* Host key: known_hosts (the given file, else libssh's default); --accept-any-hostkey
 * skips the check (labs only). */
static int hostkey_check(const char *host, ssh_session session, void *priv)
{
	(void)priv;
	if (G_opts->accept_any_hostkey)
		return 0;
	if (G_opts->known_hosts && ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, G_opts->known_hosts) < 0)
		return -1;
	enum ssh_known_hosts_e k = ssh_session_is_known_server(session);
	if (k == SSH_KNOWN_HOSTS_OK)
		return 0;
	snprintf(hostkey_err, sizeof(hostkey_err), "host key of %s is %s in %s", host,
		 k == SSH_KNOWN_HOSTS_CHANGED ? "CHANGED" : k == SSH_KNOWN_HOSTS_OTHER ? "of another type" : "not known",
		 G_opts->known_hosts ? G_opts->known_hosts : "~/.ssh/known_hosts");
	return -1;
}

static void sw_err(struct sw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sw_err(struct sw *w, const char *fmt, ...)
{
	if (w->err[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
}

/* The rpc-errors of a reply envelope, as "tag: path: message; ..." */
static void reply_errors(const struct lyd_node *envp, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = 0;
	if (!envp)
		return;
	const struct lyd_node *e;
	LY_LIST_FOR(lyd_child(envp), e) {
		if (strcmp(LYD_NAME(e), "rpc-error"))
			continue;
		const char *tag = "", *path = NULL, *msg = "";
		const struct lyd_node *c;
		LY_LIST_FOR(lyd_child(e), c) {
			const char *v = lyd_get_value(c);
			if (!strcmp(LYD_NAME(c), "error-tag"))
				tag = v ? v : "";
			else if (!strcmp(LYD_NAME(c), "error-path"))
				path = v;
			else if (!strcmp(LYD_NAME(c), "error-message"))
				msg = v ? v : "";
		}
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s: %s%s%s", o ? "; " : "", tag, path ? path : "",
					      path ? ": " : "", msg);
	}
	if (!buf[0])
		snprintf(buf, len, "an error reply");
}

/* Send rpc, wait for its reply.  0 ok (data, if wanted, in *data as JSON of the
 * reply's output), -1 with w->err set. */
static int call(struct sw *w, struct nc_rpc *rpc, const char *what, json_object **data)
{
	uint64_t id;
	struct lyd_node *envp = NULL, *op = NULL;
	int rc = -1;
	if (!rpc) {
		sw_err(w, "%s: out of memory", what);
		return -1;
	}
	last_nc_err[0] = 0;
	if (nc_send_rpc(w->s, rpc, RPC_TIMEOUT_MS, &id) != NC_MSG_RPC) {
		sw_err(w, "%s: cannot send (%s)", what, last_nc_err[0] ? last_nc_err : "session lost");
		goto out;
	}
	NC_MSG_TYPE t;
	do
		t = nc_recv_reply(w->s, rpc, id, RPC_TIMEOUT_MS, &envp, &op);
	while (t == NC_MSG_NOTIF);
	if (t == NC_MSG_WOULDBLOCK) {
		sw_err(w, "%s: no reply within %d ms", what, RPC_TIMEOUT_MS);
		goto out;
	}
	if (t != NC_MSG_REPLY) {
		sw_err(w, "%s: %s", what, last_nc_err[0] ? last_nc_err : "no valid reply");
		goto out;
	}
	if (envp && lyd_child(envp) && !strcmp(LYD_NAME(lyd_child(envp)), "rpc-error")) {
		char e[768];
		reply_errors(envp, e, sizeof(e));
		sw_err(w, "%s refused: %s", what, e);
		goto out;
	}
	if (data) {
		/* <data> is anydata: print it as XML and parse it strictly with the
		 * session's modules, so values get their YANG types */
		struct lyd_node *d = NULL, *tree = NULL;
		char *xml = NULL, *txt = NULL;
		if (op) {
			struct lyd_node *c;
			LY_LIST_FOR(lyd_child(op), c)
				if (!strcmp(LYD_NAME(c), "data"))
					d = c;
		}
		if (!d || lyd_any_value_str(d, &xml) != LY_SUCCESS) {
			sw_err(w, "%s: a reply without data", what);
			goto out;
		}
		if (xml && *xml &&
		    lyd_parse_data_mem(nc_session_get_ctx(w->s), xml, LYD_XML,
				       LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0, &tree) != LY_SUCCESS) {
			const struct ly_err_item *le = ly_err_last(nc_session_get_ctx(w->s));
			sw_err(w, "%s: the switch's data does not fit its module: %s", what,
			       le && le->msg ? le->msg : "libyang error");
			free(xml);
			goto out;
		}
		free(xml);
		if (tree && lyd_print_mem(&txt, tree, LYD_JSON, LYD_PRINT_WITHSIBLINGS) != LY_SUCCESS)
			txt = NULL;
		lyd_free_all(tree);
		*data = json_tokener_parse(txt ? txt : "{}");
		free(txt);
		if (!*data) {
			sw_err(w, "%s: cannot read the reply's data", what);
			goto out;
		}
	}
	rc = 0;
out:
	lyd_free_all(envp);
	lyd_free_all(op);
	nc_rpc_free(rpc);
	return rc;
}

/* A tsnd config (JSON or YAML text) -> tsnd's normalized JSON; NULL with the
 * diagnostics in err. */
static json_object *normalize(const char *text, const char *name, char *err, size_t len)
{
	struct tsn_diags d;
	tsn_diags_init(&d, name);
	struct tsn_config *cfg = tsn_config_parse(text, strlen(text), name, &d);
	if (!cfg) {
		char *buf = NULL;
		size_t sz = 0;
		FILE *m = open_memstream(&buf, &sz);
		if (m) {
			tsn_diags_print(&d, m);
			fclose(m);
		}
		snprintf(err, len, "%s", buf ? buf : "invalid configuration");
		free(buf);
		size_t l = strlen(err);
		while (l && err[l - 1] == '\n')
			err[--l] = 0;
		tsn_diags_free(&d);
		return NULL;
	}
	tsn_diags_free(&d);
	json_object *j = tsn_config_to_json(cfg);
	tsn_config_free(cfg);
	return j;
}

/* The session's context knows the modules the switch announced in its hello;
 * tsnd's module is YANG 1.1 (announced through the YANG library only): load it from
 * --yang-dir, else fetch it from the switch with <get-schema>. */
static int ensure_module(struct sw *w)
{
	struct ly_ctx *ctx = nc_session_get_ctx(w->s);
	if (ly_ctx_get_module_implemented(ctx, YM_MODULE))
		return 0;
	if (G_opts->yang_dir) {
		ly_ctx_set_searchdir(ctx, G_opts->yang_dir);
		if (ly_ctx_load_module(ctx, YM_MODULE, YM_REVISION, NULL))
			return 0;
	}
	uint64_t id;
	struct lyd_node *envp = NULL, *op = NULL, *c;
	struct nc_rpc *rpc = nc_rpc_getschema(YM_MODULE, YM_REVISION, "yang", NC_PARAMTYPE_CONST);
	int rc = -1;
	if (!rpc || nc_send_rpc(w->s, rpc, RPC_TIMEOUT_MS, &id) != NC_MSG_RPC ||
	    nc_recv_reply(w->s, rpc, id, RPC_TIMEOUT_MS, &envp, &op) != NC_MSG_REPLY || !op) {
		char e[512] = "";
		reply_errors(envp, e, sizeof(e));
		sw_err(w, "get-schema %s@%s: %s", YM_MODULE, YM_REVISION, e[0] ? e : "no answer");
		goto out;
	}
	LY_LIST_FOR(lyd_child(op), c) {
		char *text = NULL;
		if (strcmp(LYD_NAME(c), "data") || lyd_any_value_str(c, &text) != LY_SUCCESS || !text)
			continue;
		if (lys_parse_mem(ctx, text, LYS_IN_YANG, NULL) == LY_SUCCESS)
			rc = 0;
		free(text);
	}
	if (rc)
		sw_err(w, "the switch's module %s@%s cannot be loaded: %s", YM_MODULE, YM_REVISION,
		       ly_err_last(ctx) && ly_err_last(ctx)->msg ? ly_err_last(ctx)->msg : "no module text");
out:
	lyd_free_all(envp);
	lyd_free_all(op);
	nc_rpc_free(rpc);
	return rc;
}

static int read_running(struct sw *w)
{
	if (ensure_module(w))
		return -1;
	json_object *reply = NULL;
	if (call(w, nc_rpc_getconfig(NC_DATASTORE_RUNNING, "<tsnd xmlns=\"" YM_NAMESPACE "\"/>", NC_WD_ALL,
				     NC_PARAMTYPE_CONST),
		 "get-config", &reply))
		return -1;
	json_object *top = NULL;
	json_object_object_get_ex(reply, YM_MODULE ":" YM_TOP, &top);
	if (!top) {
		sw_err(w, "get-config: no /" YM_MODULE ":" YM_TOP " in the reply");
		json_object_put(reply);
		return -1;
	}
	json_object *y = json_object_new_object();
	json_object_object_add(y, YM_MODULE ":" YM_TOP, json_object_get(top));
	json_object_put(reply);
	struct ym_error e;
	json_object *t = ym_from_yang(y, &e);
	json_object_put(y);
	if (!t) {
		sw_err(w, "running configuration: %s: %s", e.path, e.msg);
		return -1;
	}
	char err[1024];
	w->running = normalize(json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN), w->n->name, err, sizeof(err));
	json_object_put(t);
	if (!w->running) {
		sw_err(w, "running configuration: %s", err);
		return -1;
	}
	return 0;
}

/* Set every schedule's and stream gate's base time (ns; < 0: leave as planned). */
static void set_base_times(json_object *cfg, int64_t base)
{
	json_object *a, *s;
	if (json_object_object_get_ex(cfg, "ports", &a))
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if (json_object_object_get_ex(json_object_array_get_idx(a, i), "schedule", &s) &&
			    json_object_is_type(s, json_type_object))
				json_object_object_add(s, "base-time", json_object_new_int64(base));
	if (json_object_object_get_ex(cfg, "stream-gates", &a))
		for (size_t i = 0; i < json_object_array_length(a); i++)
			json_object_object_add(json_object_array_get_idx(a, i), "base-time", json_object_new_int64(base));
}

/* The planned configuration of a switch: its running one with the sections the
 * planner writes replaced by the plan's.  base < 0: base times stay "auto". */
static int build_want(struct sw *w, const struct cnc_network *net, const struct cnc_plan *plan, int64_t base)
{
	char *frag = cnc_switch_config(net, plan, w->node);
	char err[1024];
	if (!frag) {
		sw_err(w, "out of memory");
		return -1;
	}
	json_object *fj = normalize(frag, w->n->name, err, sizeof(err));
	if (!fj) {
		sw_err(w, "the planned configuration: %s", err);
		free(frag);
		return -1;
	}
	json_object *m = NULL;
	json_object_deep_copy(w->running, &m, NULL);
	/* the sections the planner writes: the fragment's top-level keys */
	for (char *l = frag; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char key[64];
		if (sscanf(l, "%63[a-z-]:", key) == 1 && l[strlen(key)] == ':') {
			json_object *v;
			/* --no-bridge: the running bridge section (or none) stays */
			if (G_opts->no_bridge && !strcmp(key, "bridge"))
				continue;
			if (json_object_object_get_ex(fj, key, &v)) {
				json_object *c = NULL;
				json_object_deep_copy(v, &c, NULL);
				json_object_object_add(m, key, c);
			}
		}
	}
	free(frag);
	json_object_put(fj);
	if (G_opts->no_gates) {
		json_object *a;
		if (json_object_object_get_ex(m, "ports", &a))
			for (size_t i = 0; i < json_object_array_length(a); i++)
				json_object_object_del(json_object_array_get_idx(a, i), "schedule");
	}
	if (base >= 0)
		set_base_times(m, base);
	w->want = normalize(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN), w->n->name, err, sizeof(err));
	json_object_put(m);
	if (!w->want) {
		sw_err(w, "the planned configuration: %s", err);
		return -1;
	}
	return 0;
}

/* ---- differences ---- */

struct dlist {
	char **line;
	size_t n;
};

static void dadd(struct dlist *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dadd(struct dlist *d, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	char **l = s ? realloc(d->line, (d->n + 1) * sizeof(*l)) : NULL;
	if (!l) {
		free(s);
		return;
	}
	d->line = l;
	d->line[d->n++] = s;
}

static const char *jtext(json_object *j)
{
	return j ? json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "(none)";
}

/* An array element's label: its name or id when it has one. */
static void elem_label(json_object *e, size_t i, char *buf, size_t len)
{
	json_object *k;
	if (json_object_is_type(e, json_type_object) &&
	    (json_object_object_get_ex(e, "name", &k) || json_object_object_get_ex(e, "id", &k)))
		snprintf(buf, len, "[%s]", json_object_get_string(k));
	else
		snprintf(buf, len, "[%zu]", i);
}

static bool keyed(json_object *arr)
{
	size_t n = json_object_array_length(arr);
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i), *k;
		if (!json_object_is_type(e, json_type_object) ||
		    !(json_object_object_get_ex(e, "name", &k) || json_object_object_get_ex(e, "id", &k)))
			return false;
	}
	return true;
}

static json_object *find_keyed(json_object *arr, const char *label)
{
	char b[160];
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		elem_label(json_object_array_get_idx(arr, i), i, b, sizeof(b));
		if (!strcmp(b, label))
			return json_object_array_get_idx(arr, i);
	}
	return NULL;
}

/* base times are set anew by every deploy: compared across switches, not here */
static bool ignored(const char *path)
{
	size_t l = strlen(path);
	return l >= 10 && !strcmp(path + l - 10, ".base-time");
}

static void jdiff(const char *path, json_object *have, json_object *want, struct dlist *d)
{
	if (ignored(path))
		return;
	if (have && want && json_object_get_type(have) == json_object_get_type(want)) {
		char p[1024];
		if (json_object_is_type(want, json_type_object)) {
			json_object_object_foreach(want, k, v) {
				json_object *h = NULL;
				json_object_object_get_ex(have, k, &h);
				snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", k);
				jdiff(p, h, v, d);
			}
			json_object_object_foreach(have, k2, v2) {
				if (!json_object_object_get_ex(want, k2, NULL)) {
					snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", k2);
					if (!ignored(p))
						dadd(d, "- %s: %s", p, jtext(v2));
				}
			}
			return;
		}
		if (json_object_is_type(want, json_type_array) && keyed(want) && keyed(have)) {
			char b[160];
			for (size_t i = 0; i < json_object_array_length(want); i++) {
				json_object *v = json_object_array_get_idx(want, i);
				elem_label(v, i, b, sizeof(b));
				snprintf(p, sizeof(p), "%s%s", path, b);
				jdiff(p, find_keyed(have, b), v, d);
			}
			for (size_t i = 0; i < json_object_array_length(have); i++) {
				json_object *v = json_object_array_get_idx(have, i);
				elem_label(v, i, b, sizeof(b));
				if (!find_keyed(want, b))
					dadd(d, "- %s%s", path, b);
			}
			return;
		}
		if (json_object_is_type(want, json_type_array) &&
		    json_object_array_length(want) == json_object_array_length(have)) {
			for (size_t i = 0; i < json_object_array_length(want); i++) {
				snprintf(p, sizeof(p), "%s[%zu]", path, i);
				jdiff(p, json_object_array_get_idx(have, i), json_object_array_get_idx(want, i), d);
			}
			return;
		}
		if (json_object_equal(have, want))
			return;
	}
	if (!have)
		dadd(d, "+ %s: %s", path, jtext(want));
	else if (!want)
		dadd(d, "- %s", path);
	else {
		char *h = strdup(jtext(have));
		dadd(d, "~ %s: %s -> %s", path, h ? h : "?", jtext(want));
		free(h);
	}
}

static void dfree(struct dlist *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->line[i]);
	free(d->line);
	d->line = NULL;
	d->n = 0;
}

static void base_of(json_object *o, int64_t *b)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, "base-time", &v) || *b == -2)
		return;
	int64_t x = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -3;	/* auto */
	if (*b == -1)
		*b = x;
	else if (*b != x)
		*b = -2;
}

/* The base time every gate schedule and stream gate of a switch shares: -1 none,
 * -2 they differ, -3 auto. */
static int64_t running_base(json_object *cfg)
{
	int64_t b = -1;
	json_object *a, *s;
	if (json_object_object_get_ex(cfg, "ports", &a))
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if (json_object_object_get_ex(json_object_array_get_idx(a, i), "schedule", &s))
				base_of(s, &b);
	if (json_object_object_get_ex(cfg, "stream-gates", &a))
		for (size_t i = 0; i < json_object_array_length(a); i++)
			base_of(json_object_array_get_idx(a, i), &b);
	return b;
}

/* Operational drift: a planned port the switch does not have (any more), down, or
 * whose schedule is not what tsnd applied (tsnd's schedule state). */
static void state_drift(json_object *want, json_object *state, struct dlist *d)
{
	json_object *wp = NULL, *top, *st, *sp = NULL;
	if (!json_object_object_get_ex(want, "ports", &wp) || !json_object_array_length(wp))
		return;
	if (!json_object_object_get_ex(state, YM_MODULE ":" YM_TOP, &top) ||
	    !json_object_object_get_ex(top, "state", &st) || !json_object_object_get_ex(st, "ports", &sp)) {
		dadd(d, "! state: the switch reports no port state");
		return;
	}
	for (size_t i = 0; i < json_object_array_length(wp); i++) {
		json_object *name, *p = NULL, *v;
		if (!json_object_object_get_ex(json_object_array_get_idx(wp, i), "name", &name))
			continue;
		for (size_t k = 0; k < json_object_array_length(sp); k++)
			if (json_object_object_get_ex(json_object_array_get_idx(sp, k), "name", &v) &&
			    !strcmp(json_object_get_string(v), json_object_get_string(name)))
				p = json_object_array_get_idx(sp, k);
		const char *n = json_object_get_string(name);
		if (!p || (json_object_object_get_ex(p, "present", &v) && !json_object_get_boolean(v))) {
			dadd(d, "! state: port %s is not present on the switch", n);
			continue;
		}
		if (json_object_object_get_ex(p, "oper-state", &v) && strcmp(json_object_get_string(v), "up"))
			dadd(d, "! state: port %s is %s", n, json_object_get_string(v));
		if (json_object_object_get_ex(p, "schedule-state", &v)) {
			const char *ss = json_object_get_string(v);
			if (!strcmp(ss, "drift") || !strcmp(ss, "error") || !strcmp(ss, "unreadable")) {
				json_object *m = NULL;
				json_object_object_get_ex(p, "schedule-message", &m);
				dadd(d, "! state: port %s: schedule %s%s%s", n, ss, m ? ": " : "",
				     m ? json_object_get_string(m) : "");
			}
		}
	}
}

/* Kernel-side bridge drift: the planned bridge (want's `bridge` section) against
 * the bridge the switch reads back from its kernel (state/bridge): tsnd's own
 * drift verdict, and each planned static entry (one per port) the kernel lacks. */
static void bridge_drift(json_object *want, json_object *state, struct dlist *d)
{
	json_object *wb, *top, *st, *b = NULL, *v, *fdb, *have = NULL;
	if (!json_object_object_get_ex(want, "bridge", &wb) || !json_object_object_get_ex(wb, "name", &v))
		return;
	const char *name = json_object_get_string(v);
	if (!json_object_object_get_ex(state, YM_MODULE ":" YM_TOP, &top) ||
	    !json_object_object_get_ex(top, "state", &st) || !json_object_object_get_ex(st, "bridge", &b)) {
		dadd(d, "! state: bridge %s: the switch reports no bridge state", name);
		return;
	}
	if (!json_object_object_get_ex(b, "present", &v) || !json_object_get_boolean(v)) {
		dadd(d, "! state: bridge %s is not in the switch's kernel", name);
		return;
	}
	if (json_object_object_get_ex(b, "drift", &v) && json_object_get_boolean(v)) {
		json_object *r = NULL;
		json_object_object_get_ex(b, "drift-reason", &r);
		dadd(d, "! state: bridge %s: drift: %s", name, r ? json_object_get_string(r) : "(no reason)");
	}
	json_object_object_get_ex(b, "static-entries", &have);
	if (!json_object_object_get_ex(wb, "fdb", &fdb))
		return;
	for (size_t i = 0; i < json_object_array_length(fdb); i++) {
		json_object *e = json_object_array_get_idx(fdb, i), *mac, *vid = NULL, *ports;
		if (!json_object_object_get_ex(e, "mac", &mac) || !json_object_object_get_ex(e, "ports", &ports))
			continue;
		json_object_object_get_ex(e, "vid", &vid);
		int64_t wv = vid ? json_object_get_int64(vid) : 0;
		for (size_t k = 0; k < json_object_array_length(ports); k++) {
			const char *port = json_object_get_string(json_object_array_get_idx(ports, k));
			bool found = false;
			for (size_t h = 0; !found && have && h < json_object_array_length(have); h++) {
				json_object *x = json_object_array_get_idx(have, h), *hm, *hv, *hp;
				found = json_object_object_get_ex(x, "mac", &hm) && json_object_object_get_ex(x, "vid", &hv) &&
					json_object_object_get_ex(x, "port", &hp) &&
					!strcasecmp(json_object_get_string(hm), json_object_get_string(mac)) &&
					json_object_get_int64(hv) == wv && !strcmp(json_object_get_string(hp), port);
			}
			if (!found)
				dadd(d, "! state: bridge %s: static entry %s vid %lld to %s is not in the kernel", name,
				     json_object_get_string(mac), (long long)wv, port);
		}
	}
}

/* ---- sessions ---- */

static int sw_connect(struct sw *w)
{
	const struct cnc_node *n = w->n;
	char pub[300];
	if (!n->nc_address[0]) {
		sw_err(w, "no netconf.address in the network file");
		return -1;
	}
	if (snprintf(pub, sizeof(pub), "%s.pub", n->nc_key) >= (int)sizeof(pub)) {
		sw_err(w, "key path too long");
		return -1;
	}
	if (access(n->nc_key, R_OK) || access(pub, R_OK)) {
		sw_err(w, "key %s (and %s): %s", n->nc_key, pub, strerror(errno));
		return -1;
	}
	/* the client keeps one key list: this switch's key only */
	while (nc_client_ssh_get_keypair_count() > 0)
		nc_client_ssh_del_keypair(0);
	if (nc_client_ssh_add_keypair(pub, n->nc_key) || nc_client_ssh_set_username(n->nc_user[0] ? n->nc_user : "cnc")) {
		sw_err(w, "cannot use key %s", n->nc_key);
		return -1;
	}
	last_nc_err[0] = hostkey_err[0] = 0;
	w->s = nc_connect_ssh(n->nc_address, (uint16_t)(n->nc_port ? n->nc_port : 830), NULL);
	if (!w->s) {
		sw_err(w, "cannot connect to %s port %u as %s: %s", n->nc_address, n->nc_port ? n->nc_port : 830,
		       n->nc_user[0] ? n->nc_user : "cnc",
		       hostkey_err[0] ? hostkey_err : last_nc_err[0] ? last_nc_err : "no NETCONF session");
		return -1;
	}
	return 0;
}

static void sw_close(struct sw *w)
{
	if (w->s && w->locked) {
		if (!w->confirmed && !w->committed)
			call(w, nc_rpc_discard(), "discard-changes", NULL);
		call(w, nc_rpc_unlock(NC_DATASTORE_CANDIDATE), "unlock", NULL);
	}
	if (w->s)
		nc_session_free(w->s, NULL);
	w->s = NULL;
	json_object_put(w->running);
	json_object_put(w->want);
	json_object_put(w->state);
}

static int64_t tai_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_TAI, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int parse_opts(int argc, char **argv, struct opts *o, const char **file)
{
	static const struct option longopts[] = {
		{ "lead", required_argument, NULL, 'l' },
		{ "confirm-timeout", required_argument, NULL, 'c' },
		{ "known-hosts", required_argument, NULL, 'k' },
		{ "accept-any-hostkey", no_argument, NULL, 'A' },
		{ "yang-dir", required_argument, NULL, 'y' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-gates", no_argument, NULL, 'G' },
		{ "no-bridge", no_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': {
			uint64_t v;
			if (!tsn_parse_duration(optarg, &v) || v > 3600ull * 1000000000) {
				fprintf(stderr, "tsncnc: --lead '%s': expected a duration up to 1h (e.g. 5s)\n", optarg);
				return -1;
			}
			o->lead = (int64_t)v;
			break;
		}
		case 'c': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !v || v > 3600) {
				fprintf(stderr, "tsncnc: --confirm-timeout '%s': expected seconds, 1 to 3600\n", optarg);
				return -1;
			}
			o->confirm_timeout = (uint32_t)v;
			break;
		}
		case 'k':
			o->known_hosts = optarg;
			break;
		case 'A':
			o->accept_any_hostkey = true;
			break;
		case 'y':
			o->yang_dir = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'G':
			o->no_gates = true;
			break;
		case 'B':
			o->no_bridge = true;
			break;
		default:
			return -1;
		}
	}
	if (optind + 1 != argc)
		return -1;
	*file = argv[optind];
	return 0;
}

/* ---- the phases, one thread per switch ---- */

struct job {
	struct sw *w;
	const struct cnc_network *net;
	const struct cnc_plan *plan;
	enum mode mode;
	int64_t base;
	const char *persist;
	uint32_t confirm_timeout;
	int rc;
};

/* session, lock (deploy), running configuration, the planned one */
static void *phase_prepare(void *arg)
{
	struct job *j = arg;
	struct sw *w = j->w;
	nc_client_ssh_set_auth_hostkey_check_clb(hostkey_check, NULL);
	nc_client_ssh_set_auth_pref(NC_SSH_AUTH_PUBLICKEY, 10);
	nc_client_ssh_set_auth_pref(NC_SSH_AUTH_PASSWORD, -1);
	nc_client_ssh_set_auth_pref(NC_SSH_AUTH_INTERACTIVE, -1);
	j->rc = -1;
	if (sw_connect(w))
		return NULL;
	if (j->mode == M_DEPLOY) {
		if (call(w, nc_rpc_lock(NC_DATASTORE_CANDIDATE), "lock candidate", NULL))
			return NULL;
		w->locked = true;
	}
	if (read_running(w) || build_want(w, j->net, j->plan, -1))
		return NULL;
	if (j->mode == M_STATUS &&
	    call(w, nc_rpc_get("/" YM_MODULE ":" YM_TOP "/state", NC_WD_UNKNOWN, NC_PARAMTYPE_CONST), "get state",
		 &w->state))
		return NULL;
	j->rc = 0;
	return NULL;
}

/* edit the candidate, confirmed commit (tsnd rolls it back by itself unless
 * confirmed within the timeout) */
static void *phase_commit(void *arg)
{
	struct job *j = arg;
	struct sw *w = j->w;
	struct ym_error ye;
	json_object *y = NULL;
	char *xml = NULL;
	struct lyd_node *tree = NULL;
	j->rc = -1;
	json_object_put(w->want);
	w->want = NULL;
	if (build_want(w, j->net, j->plan, j->base))
		goto out;
	y = ym_to_yang(w->want, &ye);
	if (!y) {
		sw_err(w, "the planned configuration: %s: %s", ye.path, ye.msg);
		goto out;
	}
	if (lyd_parse_data_mem(nc_session_get_ctx(w->s), json_object_to_json_string_ext(y, JSON_C_TO_STRING_PLAIN),
			       LYD_JSON, LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0, &tree) != LY_SUCCESS ||
	    lyd_print_mem(&xml, tree, LYD_XML, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK) != LY_SUCCESS) {
		const struct ly_err_item *le = ly_err_last(nc_session_get_ctx(w->s));
		sw_err(w, "the planned configuration does not fit the switch's module: %s",
		       le && le->msg ? le->msg : "libyang error");
		goto out;
	}
	/* libnetconf2 puts the content into <config> itself */
	if (call(w, nc_rpc_edit(NC_DATASTORE_CANDIDATE, NC_RPC_EDIT_DFLTOP_REPLACE, NC_RPC_EDIT_TESTOPT_TESTSET,
				NC_RPC_EDIT_ERROPT_ROLLBACK, xml, NC_PARAMTYPE_CONST),
		 "edit-config", NULL))
		goto out;
	if (call(w, nc_rpc_commit(1, j->confirm_timeout, j->persist, NULL, NC_PARAMTYPE_CONST), "confirmed commit", NULL))
		goto out;
	w->committed = true;
	j->rc = 0;
out:
	free(xml);
	lyd_free_all(tree);
	json_object_put(y);
	return NULL;
}

static void *phase_confirm(void *arg)
{
	struct job *j = arg;
	j->rc = call(j->w, nc_rpc_commit(0, 0, NULL, j->persist, NC_PARAMTYPE_CONST), "confirming commit", NULL);
	if (!j->rc)
		j->w->confirmed = true;
	return NULL;
}

/* all or nothing: a switch that accepted goes back now */
static void *phase_cancel(void *arg)
{
	struct job *j = arg;
	j->rc = 0;
	if (!j->w->committed)
		return NULL;
	j->w->err[0] = 0;
	j->rc = call(j->w, nc_rpc_cancel(j->persist, NC_PARAMTYPE_CONST), "cancel-commit", NULL);
	if (!j->rc)
		j->w->committed = false;
	return NULL;
}

/* Run fn for every job at once (the switches answer in parallel); a thread that
 * cannot be started runs inline.  Returns how many failed. */
static size_t run_phase(struct job *jobs, size_t n, void *(*fn)(void *))
{
	pthread_t *t = calloc(n ? n : 1, sizeof(*t));
	bool *started = calloc(n ? n : 1, sizeof(*started));
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		started[i] = t && started && !pthread_create(&t[i], NULL, fn, &jobs[i]);
		if (!started[i])
			fn(&jobs[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (started && started[i])
			pthread_join(t[i], NULL);
		bad += jobs[i].rc != 0;
	}
	free(t);
	free(started);
	return bad;
}

int cnc_cmd_remote(const char *cmd, int argc, char **argv)
{
	enum mode mode = !strcmp(cmd, "deploy") ? M_DEPLOY : !strcmp(cmd, "status") ? M_STATUS : M_DIFF;
	struct opts o = { .lead = 5000000000LL, .confirm_timeout = 120 };
	const char *file;
	if (parse_opts(argc, argv, &o, &file)) {
		fprintf(stderr, "usage: tsncnc %s NETWORK.yaml [--known-hosts FILE | --accept-any-hostkey] [--yang-dir DIR] [--no-gates] [--no-bridge]%s\n",
			cmd, mode == M_DEPLOY ? " [--lead DURATION] [--confirm-timeout S]" : " [-j]");
		return 2;
	}
	G_opts = &o;

	struct tsn_diags diags;
	tsn_diags_init(&diags, file);
	struct cnc_network *net = cnc_network_load(file, &diags);
	if (!net) {
		tsn_diags_print(&diags, stderr);
		tsn_diags_free(&diags);
		return 2;
	}
	tsn_diags_free(&diags);
	struct cnc_options popt = { .max_restarts = 3 };
	struct cnc_plan *plan = cnc_plan(net, &popt);
	struct cnc_check chk;
	int rc = 0;
	if (!plan) {
		fprintf(stderr, "tsncnc: out of memory\n");
		cnc_network_free(net);
		return 2;
	}
	if (!plan->feasible) {
		fprintf(stderr, "tsncnc: infeasible: %s; nothing deployed\n", plan->reason);
		rc = 1;
		goto out_plan;
	}
	if (!cnc_check(net, plan, &chk)) {
		fprintf(stderr, "tsncnc: the checker found %u violations in the plan (a planner bug); nothing deployed\n",
			chk.total);
		rc = 3;
		goto out_plan;
	}

	size_t nsw = 0;
	for (size_t i = 0; i < net->n_nodes; i++)
		nsw += net->nodes[i].is_switch;
	struct sw *sw = calloc(nsw ? nsw : 1, sizeof(*sw));
	struct job *jobs = NULL;
	if (!sw) {
		rc = 2;
		goto out_plan;
	}
	nsw = 0;
	for (size_t i = 0; i < net->n_nodes; i++)
		if (net->nodes[i].is_switch)
			sw[nsw++] = (struct sw){ .node = (int)i, .n = &net->nodes[i] };

	nc_client_init();
	nc_verbosity(NC_VERB_ERROR);
	nc_set_print_clb_session(nc_log);
	jobs = calloc(nsw ? nsw : 1, sizeof(*jobs));
	if (!jobs) {
		rc = 2;
		goto out_sw;
	}
	for (size_t i = 0; i < nsw; i++)
		jobs[i] = (struct job){ .w = &sw[i], .net = net, .plan = plan, .mode = mode,
					.confirm_timeout = o.confirm_timeout };

	/* 1. every switch: session, lock (deploy), running config, the planned one */
	size_t bad = run_phase(jobs, nsw, phase_prepare);
	if (bad) {
		for (size_t i = 0; i < nsw; i++)
			if (sw[i].err[0])
				fprintf(stderr, "tsncnc: %s: %s\n", sw[i].n->name, sw[i].err);
		fprintf(stderr, "tsncnc: %zu of %zu switches failed; %s\n", bad, nsw,
			mode == M_DEPLOY ? "nothing deployed, no switch changed" : "nothing compared");
		rc = 4;
		goto out_sw;
	}

	if (mode != M_DEPLOY) {
		/* diff: what a deploy would change; status: drift of running from the plan */
		size_t changed = 0;
		json_object *jout = json_object_new_object(), *jsw = json_object_new_object();
		int64_t common = -1;
		bool bases_differ = false;
		for (size_t i = 0; i < nsw; i++) {
			struct dlist d = { 0 };
			jdiff("", sw[i].running, sw[i].want, &d);
			if (mode == M_STATUS) {
				state_drift(sw[i].want, sw[i].state, &d);
				bridge_drift(sw[i].want, sw[i].state, &d);
			}
			int64_t b = running_base(sw[i].running);
			json_object *js = json_object_new_object(), *jl = json_object_new_array();
			for (size_t k = 0; k < d.n; k++)
				json_object_array_add(jl, json_object_new_string(d.line[k]));
			json_object_object_add(js, "changes", jl);
			json_object_object_add(js, "base-time", b >= 0 ? json_object_new_int64(b) : NULL);
			json_object_object_add(jsw, sw[i].n->name, js);
			if (b == -2 || b == -3 || (b >= 0 && common >= 0 && b != common))
				bases_differ = true;
			if (b >= 0 && common < 0)
				common = b;
			if (!o.json) {
				if (mode == M_STATUS)
					printf("%s: %s", sw[i].n->name, d.n ? "DRIFT" : "as planned");
				else
					printf("%s: %s", sw[i].n->name, d.n ? "changes" : "no change");
				if (b >= 0)
					printf(" (base-time %lld)", (long long)b);
				else if (b == -2)
					printf(" (its base times differ)");
				else if (b == -3)
					printf(" (base-time auto)");
				printf("\n");
				for (size_t k = 0; k < d.n; k++)
					printf("  %s\n", d.line[k]);
			}
			changed += d.n != 0;
			dfree(&d);
		}
		if (mode == M_STATUS && bases_differ) {
			changed++;
			if (!o.json)
				printf("DRIFT: the switches' schedules do not share one base time\n");
		}
		json_object_object_add(jout, "switches", jsw);
		json_object_object_add(jout, mode == M_STATUS ? "drift" : "changes", json_object_new_boolean(changed != 0));
		if (mode == M_STATUS)
			json_object_object_add(jout, "common-base-time", json_object_new_boolean(!bases_differ));
		if (o.json)
			puts(json_object_to_json_string_ext(jout, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(jout);
		rc = changed ? 1 : 0;
		goto out_sw;
	}

	/* 2. one base time for the whole network: the first cycle boundary (on the grid
	 * anchored at 0 TAI) at least `lead` from now */
	int64_t now = tai_now(), t = now + o.lead;
	int64_t base = (t / plan->cycle + (t % plan->cycle != 0)) * plan->cycle;
	char persist[64];
	snprintf(persist, sizeof(persist), "tsncnc-%lld-%d", (long long)now, (int)getpid());

	for (size_t i = 0; i < nsw; i++) {
		jobs[i].base = base;
		jobs[i].persist = persist;
	}

	/* 3. every switch: edit the candidate, confirmed commit */
	if (run_phase(jobs, nsw, phase_commit)) {
		size_t refused = 0;
		for (size_t i = 0; i < nsw; i++)
			if (jobs[i].rc) {
				fprintf(stderr, "tsncnc: %s: %s\n", sw[i].n->name, sw[i].err);
				refused++;
			}
		/* all or nothing: every switch that accepted goes back now */
		run_phase(jobs, nsw, phase_cancel);
		for (size_t i = 0; i < nsw; i++)
			if (jobs[i].rc)
				fprintf(stderr, "tsncnc: %s: %s (it rolls back by itself within %u s)\n", sw[i].n->name,
					sw[i].err, o.confirm_timeout);
		fprintf(stderr, "tsncnc: %zu of %zu switches refused the plan; every switch keeps its previous "
				"configuration\n", refused, nsw);
		rc = 4;
		goto out_sw;
	}

	/* 4. all accepted: confirm everywhere */
	size_t unconfirmed = run_phase(jobs, nsw, phase_confirm);
	if (unconfirmed) {
		for (size_t i = 0; i < nsw; i++)
			if (jobs[i].rc)
				fprintf(stderr, "tsncnc: %s: %s\n", sw[i].n->name, sw[i].err);
		fprintf(stderr, "tsncnc: %zu switches could not be confirmed and roll back within %u s; "
				"deploy again\n", unconfirmed, o.confirm_timeout);
		rc = 4;
		goto out_sw;
	}
	char bt[64];
	snprintf(bt, sizeof(bt), "%lld.%09lld", (long long)(base / 1000000000), (long long)(base % 1000000000));
	for (size_t i = 0; i < nsw; i++)
		printf("%s: deployed\n", sw[i].n->name);
	printf("base-time %lld (TAI %s s), cycle %lld ns, %zu switches\n", (long long)base, bt, (long long)plan->cycle,
	       nsw);

out_sw:
	for (size_t i = 0; i < nsw; i++)
		sw_close(&sw[i]);
	free(jobs);
	free(sw);
	nc_client_destroy();
out_plan:
	cnc_plan_free(plan);
	cnc_network_free(net);
	return rc;
}
