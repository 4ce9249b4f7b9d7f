/* SPDX-License-Identifier: GPL-2.0-only */
/* txn.c — the configuration transaction: the table of subsystem steps and the
 * one loop that runs it (see txn.h).
 *
 * Order of the table, and why:
 *   daemon     log level and target                     (commit only)
 *   access     control socket mode and group, limits    (undone by restoring the old ones)
 *   metrics    the Prometheus listener's new socket, bound in prepare, served from commit
 *   routes     IPv6 routes before the data plane: the fast path forwards by them
 *   bridge     the kernel bridge (slow path of 802.1Q bridging): planned against the
 *              kernel in prepare, carried out in apply with its own undo journal;
 *              before the data plane, whose bridge fast path needs the ports enslaved
 *   dataplane  XDP/tc attachments and tables (dataplane.c keeps its own undo log)
 *   frer       802.1CB tables, frer_tc on the XDP ports, tsn_xdp's tail call; after the
 *              data plane it hooks into; undone by applying the old section
 *   schedules  taprio across ports (schedule.c's journal); committed before PTP
 *   ptp        ptp4l.conf put in place in apply (ptp_apply keeps the old file for
 *              ptp_abort, so a failed rename fails the change); ptp4l restarts in commit, once everything it relies on is in place — and its lock
 *              event may release held schedules, which must be committed by then
 *   telemetry  follows the committed schedules; measurement only, never fails
 * Room for what comes next (NETCONF, FRER, shapers): one row each.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge.h"
#include "classifier.h"
#include "ctl_server.h"
#include "dataplane.h"
#include "frer.h"
#include "metrics_http.h"
#include "ptp.h"
#include "reload.h"
#include "routes.h"
#include "schedule.h"
#include "telemetry.h"
#include "tsn/log.h"
#include "txn.h"

struct txn {
	struct tsnd *d;
	const struct tsn_config *old;	/* running (the empty configuration at start) */
	const struct tsn_config *cfg;	/* being applied */
	const struct tsnd_groups *groups;
	bool starting;
	bool dp_applied;		/* dataplane_apply ran (not skipped as unchanged) */
};

enum txn_state { TXN_NONE, TXN_PREPARED, TXN_APPLIED };

struct txn_step {
	const char *name;
	/* How a failure reads: at start "PREFIX_START: reason", on reload
	 * "PREFIX_RELOAD reason SUFFIX" (the wording the reload always had). */
	const char *at_start, *at_reload, *suffix;
	int (*prepare)(struct txn *t, char *err, size_t errlen);
	int (*apply)(struct txn *t, char *err, size_t errlen);
	void (*abort)(struct txn *t, bool applied);
	void (*commit)(struct txn *t);
};

/* ---- daemon: logging ---- */

static void daemon_commit(struct txn *t)
{
	struct tsnd *d = t->d;
	int level = tsnd_effective_log_level(d, t->cfg), target = tsnd_effective_log_target(d, t->cfg);

	if (target != d->log_target) {
		log_notice("reload: logging to %s from now on", target == TSN_LOG_SYSLOG ? "syslog" : "stderr");
		tsn_log_setup("tsnd", (enum tsn_log_target)target, (enum tsn_log_level)level);
		d->log_target = target;
	} else {
		tsn_log_set_level((enum tsn_log_level)level);
	}
}

/* ---- access: the control socket ---- */

static bool access_changed(const struct txn *t)
{
	return tsnd_socket_group(&t->d->groups) != tsnd_socket_group(t->groups) ||
	       t->old->control.socket_mode != t->cfg->control.socket_mode;
}

static int access_apply(struct txn *t, char *err, size_t errlen)
{
	struct tsnd *d = t->d;
	char e2[256];

	if (!d->ctl || !access_changed(t))
		return 0;
	if (ctl_server_set_access(d->ctl, t->cfg->control.socket_mode, tsnd_socket_group(t->groups), err,
				  errlen) == 0)
		return 0;
	/* chmod may have worked where chown did not: all or nothing for the step. */
	ctl_server_set_access(d->ctl, t->old->control.socket_mode, tsnd_socket_group(&d->groups), e2,
			      sizeof(e2));
	return -1;
}

static void access_abort(struct txn *t, bool applied)
{
	struct tsnd *d = t->d;
	char err[256];

	if (applied && d->ctl && access_changed(t) &&
	    ctl_server_set_access(d->ctl, t->old->control.socket_mode, tsnd_socket_group(&d->groups), err,
				  sizeof(err)) < 0)
		log_err("reload: cannot restore the control socket's access: %s", err);
}

static void access_commit(struct txn *t)
{
	if (!t->d->ctl)
		return;
	struct ctl_limits limits;
	tsnd_ctl_limits(t->cfg, t->groups, &limits);
	ctl_server_set_limits(t->d->ctl, &limits);
}

/* ---- metrics: the Prometheus listener ---- */

static int metrics_prepare(struct txn *t, char *err, size_t errlen)
{
	return t->d->metrics ? tsnd_metrics_prepare(t->d, t->cfg, err, errlen) : 0;
}

static void metrics_abort(struct txn *t, bool applied)
{
	(void)applied;
	if (t->d->metrics)
		metrics_http_abort(t->d->metrics);
}

static void metrics_commit(struct txn *t)
{
	if (t->d->metrics)
		metrics_http_commit(t->d->metrics);
}

/* ---- routes ---- */

static int routes_step_apply(struct txn *t, char *err, size_t errlen)
{
	return t->d->routes ? routes_apply(t->d->routes, t->cfg, err, errlen) : 0;
}

static void routes_step_abort(struct txn *t, bool applied)
{
	char err[512];

	if (applied && t->d->routes && routes_apply(t->d->routes, t->old, err, sizeof(err)) < 0)
		log_err("reload: cannot restore the routes: %s", err);
}

/* ---- bridge ---- */

static int bridge_step_prepare(struct txn *t, char *err, size_t errlen)
{
	/* At start nothing is tsnd's yet: a bridge that exists is adopted. */
	return t->d->bridge ? bridge_prepare(t->d->bridge, t->starting ? NULL : t->old, t->cfg, err, errlen) : 0;
}

static int bridge_step_apply(struct txn *t, char *err, size_t errlen)
{
	return t->d->bridge ? bridge_apply(t->d->bridge, err, errlen) : 0;
}

static void bridge_step_abort(struct txn *t, bool applied)
{
	(void)applied;	/* the journal holds exactly what was done */
	if (t->d->bridge)
		bridge_abort(t->d->bridge);
}

static void bridge_step_commit(struct txn *t)
{
	if (t->d->bridge)
		bridge_commit(t->d->bridge, t->cfg);
}

/* ---- dataplane ---- */

/* True if the data plane's tables for cfg are those of the running configuration,
 * so dataplane_apply would rewrite both table generations (and wait for an RCU
 * grace period) to end where it is: a reload that only changes gate intervals.
 * Only while no port is in the data plane (XDP off everywhere): then the tables
 * come from the configuration alone, with no MAC address or VLAN sub-interface
 * read from the kernel.  Everything but the ports' schedules must be equal; of
 * the schedules, what the classifier takes from them (scheduled flag, priority
 * map, gated classes) must be, and no stream gate may run on the realtime clock.
 * Never at start: maps a previous tsnd pinned are rewritten then. */
static bool dataplane_unchanged(const struct txn *t)
{
	const struct tsn_config *old = t->old, *cfg = t->cfg;
	size_t n_sections;
	const char *const *sections = tsn_config_sections(&n_sections);

	if (t->starting || tsnd_config_needs_xdp(old) || tsnd_config_needs_xdp(cfg) ||
	    old->n_ports != cfg->n_ports)
		return false;
	for (size_t i = 0; i < n_sections; i++)
		if (strcmp(sections[i], "ports") != 0 && !tsn_config_section_equal(old, cfg, sections[i]))
			return false;
	/* A gate on the realtime clock is written with the kernel's TAI offset of now. */
	for (size_t i = 0; i < cfg->n_stream_gates; i++)
		if (cfg->stream_gates[i].clock == TSN_CLOCK_REALTIME)
			return false;
	struct tsn_rules ra, rb;
	cls_rules(old, &ra);
	cls_rules(cfg, &rb);
	if (memcmp(&ra, &rb, sizeof(ra)) != 0)
		return false;
	/* The ports compared with their schedules left out (shallow copies). */
	struct tsn_cfg_port *pa = calloc(old->n_ports ? old->n_ports : 1, sizeof(*pa));
	struct tsn_cfg_port *pb = calloc(old->n_ports ? old->n_ports : 1, sizeof(*pb));
	struct tsn_config *ca = malloc(sizeof(*ca)), *cb = malloc(sizeof(*cb));
	bool same = pa && pb && ca && cb;
	for (size_t i = 0; same && i < old->n_ports; i++) {
		static const uint8_t no_mac[6];
		struct tsn_port_conf ka, kb;
		cls_port_conf(&old->ports[i], no_mac, &ka);
		cls_port_conf(&cfg->ports[i], no_mac, &kb);
		same = memcmp(&ka, &kb, sizeof(ka)) == 0;
		pa[i] = old->ports[i];
		pb[i] = cfg->ports[i];
		pa[i].has_schedule = pb[i].has_schedule = false;
	}
	if (same) {
		*ca = *old;
		*cb = *cfg;
		ca->ports = pa;
		cb->ports = pb;
		same = tsn_config_section_equal(ca, cb, "ports");
	}
	free(pa);
	free(pb);
	free(ca);
	free(cb);
	return same;
}

static int dataplane_step_apply(struct txn *t, char *err, size_t errlen)
{
	struct tsnd *d = t->d;
	char why[512];

	t->dp_applied = false;
	if (!d->dp && tsnd_config_needs_xdp(t->cfg)) {
		/* It failed at start; the kernel may allow it now. */
		d->dp = dataplane_create(t->cfg, why, sizeof(why));
		if (!d->dp) {
			snprintf(err, errlen, "a port asks for XDP but the data plane cannot be loaded: %s", why);
			return -1;
		}
		d->dp_state = TSND_DP_LOADED;
		d->dp_message[0] = '\0';
		dataplane_fib_watched(d->dp, d->fibwatch != NULL);
	}
	if (!d->dp)
		return 0;
	if (dataplane_unchanged(t)) {
		log_debug("reload: the data plane's tables stay as they are (no XDP port; their inputs are unchanged)");
		return 0;
	}
	if (dataplane_apply(d->dp, t->cfg, err, errlen) < 0)
		return -1;
	t->dp_applied = true;
	return 0;
}

static void dataplane_step_abort(struct txn *t, bool applied)
{
	char err[512];

	if (applied && t->dp_applied && dataplane_apply(t->d->dp, t->old, err, sizeof(err)) < 0)
		log_err("reload: cannot restore the data plane: %s", err);
}

/* ---- frer (802.1CB, docs/frer.md) ---- */

static int frer_step_apply(struct txn *t, char *err, size_t errlen)
{
	return frer_plane_apply(&t->d->frer, t->d->dp, t->d->loop, t->cfg, err, errlen);
}

static void frer_step_abort(struct txn *t, bool applied)
{
	char err[512];

	/* A failed apply may have written tables before it stopped: always restore. */
	(void)applied;
	if (t->d->frer && frer_plane_apply(&t->d->frer, t->d->dp, t->d->loop, t->old, err, sizeof(err)) < 0)
		log_err("reload: cannot restore FRER: %s", err);
}

/* ---- schedules ---- */

static int schedules_step_apply(struct txn *t, char *err, size_t errlen)
{
	/* At start no old configuration: a matching taprio a previous tsnd left is adopted. */
	return t->d->sched ? schedules_apply(t->d->sched, t->starting ? NULL : t->old, t->cfg, err, errlen) : 0;
}

static void schedules_step_abort(struct txn *t, bool applied)
{
	if (applied && t->d->sched)
		schedules_revert(t->d->sched);
}

static void schedules_step_commit(struct txn *t)
{
	if (t->d->sched)
		schedules_commit(t->d->sched, t->cfg);
}

/* ---- ptp ---- */

static int ptp_step_apply(struct txn *t, char *err, size_t errlen)
{
	return t->d->ptp ? ptp_apply(t->d->ptp, t->cfg, err, errlen) : 0;
}

static void ptp_step_abort(struct txn *t, bool applied)
{
	(void)applied;
	if (t->d->ptp)
		ptp_abort(t->d->ptp);
}

static void ptp_step_commit(struct txn *t)
{
	if (t->d->ptp)
		ptp_commit(t->d->ptp, t->cfg);
}

/* ---- telemetry ---- */

static void telemetry_step_commit(struct txn *t)
{
	if (t->d->tele)	/* measurement only: never fails the reload (telemetry.h) */
		telemetry_apply(t->d->tele, t->cfg, t->d->dp, t->d->sched);
}

/* ---- the table ---- */

static const struct txn_step steps[] = {
	{ .name = "daemon", .commit = daemon_commit },
	{ .name = "access", .at_start = "cannot set the control socket's access", .suffix = "; previous state kept",
	  .apply = access_apply, .abort = access_abort, .commit = access_commit },
	{ .name = "metrics", .suffix = "; previous state kept",
	  .prepare = metrics_prepare, .abort = metrics_abort, .commit = metrics_commit },
	{ .name = "routes", .at_start = "cannot install the configured routes", .suffix = "; previous routes kept",
	  .apply = routes_step_apply, .abort = routes_step_abort },
	{ .name = "bridge", .at_start = "cannot set up the bridge", .suffix = "; previous bridge kept",
	  .prepare = bridge_step_prepare, .apply = bridge_step_apply, .abort = bridge_step_abort,
	  .commit = bridge_step_commit },
	{ .name = "dataplane", .at_start = "cannot apply the configuration to the data plane",
	  .at_reload = "data plane: ", .suffix = "; previous attachments kept",
	  .apply = dataplane_step_apply, .abort = dataplane_step_abort },
	{ .name = "frer", .at_start = "cannot apply the frer section", 
	  .suffix = "; previous FRER state kept", .apply = frer_step_apply, .abort = frer_step_abort },
	{ .name = "schedules", .at_start = "cannot apply the gate schedules",
	  .apply = schedules_step_apply, .abort = schedules_step_abort, .commit = schedules_step_commit },
	{ .name = "ptp", .at_start = "cannot start time synchronization", .suffix = "; previous state kept",
	  .apply = ptp_step_apply, .abort = ptp_step_abort, .commit = ptp_step_commit },
	{ .name = "telemetry", .commit = telemetry_step_commit },
};

#define N_STEPS (sizeof(steps) / sizeof(steps[0]))

const char *const *txn_step_names(size_t *count)
{
	static const char *names[N_STEPS];

	for (size_t i = 0; i < N_STEPS; i++)
		names[i] = steps[i].name;
	*count = N_STEPS;
	return names;
}

/* ---- fault injection (tests only) ---- */

#ifdef TSN_FAULT_INJECTION
static struct {
	bool armed;
	char step[64];
	bool prepare;		/* else apply */
	unsigned long txn;	/* which transaction, 1 = start-up */
} fault;
static unsigned long txn_count;

void txn_fault_init(void)
{
	const char *v = getenv("TSND_FAULT");
	char buf[64];

	if (!v || !v[0] || strlen(v) >= sizeof(buf))
		return;
	snprintf(buf, sizeof(buf), "%s", v);
	char *at = strchr(buf, '@'), *colon = strchr(buf, ':');
	fault.txn = 2;
	if (at) {
		*at = '\0';
		fault.txn = strtoul(at + 1, NULL, 10);
	}
	if (colon) {
		*colon = '\0';
		fault.prepare = strcmp(colon + 1, "prepare") == 0;
	}
	snprintf(fault.step, sizeof(fault.step), "%s", buf);
	fault.armed = true;
	log_warn("fault injection: transaction %lu fails at step %s (%s)", fault.txn, fault.step,
		 fault.prepare ? "prepare" : "apply");
}

static bool fault_hits(size_t step, bool prepare)
{
	return fault.armed && txn_count == fault.txn && fault.prepare == prepare &&
	       strcmp(fault.step, steps[step].name) == 0;
}

static void fault_begin(void)
{
	txn_count++;
}
#else
void txn_fault_init(void)
{
}

static bool fault_hits(size_t step, bool prepare)
{
	(void)step;
	(void)prepare;
	return false;
}

static void fault_begin(void)
{
}
#endif

static double step_ms[N_STEPS], commit_ms;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

double txn_step_ms(const char *step)
{
	for (size_t i = 0; i < N_STEPS; i++)
		if (strcmp(steps[i].name, step) == 0)
			return step_ms[i];
	return 0;
}

double txn_commit_ms(void)
{
	return commit_ms;
}

/* Run one hook of one step; the injected fault, if armed for it, after the
 * real work (which is then undone as a failing step would). */
static int run_hook(struct txn *t, size_t k, bool prepare, char *err, size_t errlen)
{
	const struct txn_step *s = &steps[k];
	int (*fn)(struct txn *, char *, size_t) = prepare ? s->prepare : s->apply;

	err[0] = '\0';
	if (prepare && fault_hits(k, true)) {
		snprintf(err, errlen, "fault injected at step %s (prepare)", s->name);
		return -1;
	}
	if (fn && fn(t, err, errlen) < 0)
		return -1;
	if (!prepare && fault_hits(k, false)) {
		if (s->abort)
			s->abort(t, true);
		snprintf(err, errlen, "fault injected at step %s (apply)", s->name);
		return -1;
	}
	return 0;
}

int txn_run(struct tsnd *d, struct tsn_config *cfg, const struct tsnd_groups *groups, bool starting,
	    struct tsn_config **old, char *msg, size_t msglen)
{
	struct txn t = { .d = d, .old = d->cfg, .cfg = cfg, .groups = groups, .starting = starting };
	enum txn_state state[N_STEPS] = { TXN_NONE };
	char err[512];
	size_t k;

	fault_begin();
	memset(step_ms, 0, sizeof(step_ms));
	commit_ms = 0;
	/* Prepare every step, then apply every step. */
	for (int phase = 0; phase < 2; phase++) {
		bool prepare = phase == 0;
		for (k = 0; k < N_STEPS; k++) {
			double t0 = now_ms();
			int rc = run_hook(&t, k, prepare, err, sizeof(err));
			step_ms[k] += now_ms() - t0;
			if (rc < 0)
				goto fail;
			state[k] = prepare ? TXN_PREPARED : TXN_APPLIED;
		}
	}
	double t0 = now_ms();

	/* Commit: the new configuration runs. */
	struct tsn_config *prev = d->cfg;
	d->cfg = cfg;
	d->groups = *groups;
	d->generation++;
	d->loaded = time(NULL);
	for (k = 0; k < N_STEPS; k++)
		if (steps[k].commit)
			steps[k].commit(&t);
	if (old)
		*old = prev;
	else
		tsn_config_free(prev);
	commit_ms = now_ms() - t0;
	return 0;

fail:
	/* The failing step undid its own apply (or prepare); the rest of what it did
	 * in this transaction goes with the others. */
	if (state[k] == TXN_NONE)
		state[k] = TXN_PREPARED;
	if (starting)
		snprintf(msg, msglen, "%s%s%s", steps[k].at_start ? steps[k].at_start : "",
			 steps[k].at_start ? ": " : "", err);
	else
		snprintf(msg, msglen, "%s%s%s", steps[k].at_reload ? steps[k].at_reload : "", err,
			 steps[k].suffix ? steps[k].suffix : "");
	log_debug("transaction: step %s failed; undoing the steps before it", steps[k].name);
	/* The one rollback: every step that got anywhere, last first. */
	for (size_t i = N_STEPS; i-- > 0;)
		if (state[i] != TXN_NONE && steps[i].abort)
			steps[i].abort(&t, state[i] == TXN_APPLIED);
	return -1;
}
