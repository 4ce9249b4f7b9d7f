/* SPDX-License-Identifier: GPL-2.0-only */
/* reload.c — configuration changes as the control protocol sees them: load and
 * check a configuration (file or text), run it through the transaction
 * (txn.c), answer, audit; config.apply with its pending confirmation.
 *
 * A change runs these steps and stops at the first failure, leaving the running
 * state as it was:
 *   1. load and validate the configuration, resolve the control groups, check
 *      time sync and schedules against the system        -> config-invalid
 *   2. the transaction: every subsystem prepares, then applies, in the order of
 *      txn.c's table; a failure undoes them all           -> apply-failed
 *   3. commit: the new configuration runs, the generation counts up, the reply
 *      lists the sections that changed.
 * Settings bound at start (control.socket, daemon.pid-file) keep their running
 * values; a warning says so.
 *
 * config.reload, SIGHUP and config.check parse and check the configuration (the
 * part of step 1 that only reads the file or text: about 0.2 s of CPU per MB) in
 * a worker thread, one at a time, so that the loop answers other requests
 * meanwhile; the rest of step 1 and the transaction run on the loop when it is
 * done, and the requester (if any) gets its answer then.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "ctl_server.h"
#include "evloop.h"
#include "metrics_http.h"
#include "ptp.h"
#include "reload.h"
#include "schedule.h"
#include "tsn/log.h"
#include "tsn/timefmt.h"
#include "tsnd.h"
#include "txn.h"

/* The file name diagnostics of a configuration handed over by config.apply carry. */
#define APPLY_SOURCE "<config.apply>"

/* Look up a group by name; 1 found, 0 unknown, -1 lookup failed (errno). */
static int lookup_group(const char *name, gid_t *gid)
{
	struct group grp, *found = NULL;
	char buf[16384];

	int rc = getgrnam_r(name, &grp, buf, sizeof(buf), &found);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	if (!found)
		return 0;
	*gid = found->gr_gid;
	return 1;
}

static bool resolve_one(const char *name, const char *field, bool *has, gid_t *gid,
			struct tsn_diags *diags, bool as_warning)
{
	enum tsn_diag_severity sev = as_warning ? TSN_DIAG_WARNING : TSN_DIAG_ERROR;

	*has = false;
	if (!name[0])
		return true;
	int rc = lookup_group(name, gid);
	if (rc == 1) {
		*has = true;
		return true;
	}
	if (rc == 0)
		tsn_diags_add(diags, sev, 0, 0, field,
			      "group \"%s\" does not exist on this host; create it, or name an "
			      "existing group (\"\" allows root only)", name);
	else
		tsn_diags_add(diags, sev, 0, 0, field, "cannot look up group \"%s\": %s", name,
			      strerror(errno));
	return as_warning;
}

bool tsnd_resolve_groups(const struct tsn_config *cfg, struct tsnd_groups *out,
			 struct tsn_diags *diags, bool as_warning)
{
	bool ok = resolve_one(cfg->control.read_group, "control.read-group", &out->has_read,
			      &out->read_gid, diags, as_warning);
	ok &= resolve_one(cfg->control.admin_group, "control.admin-group", &out->has_admin,
			  &out->admin_gid, diags, as_warning);
	return ok;
}

/* Phase timings of one change, logged at debug level: where a slow reload goes. */
struct reload_times {
	struct timespec mark;
	double load, checks, txn;	/* ms */
};

/* Milliseconds since the last lap (or start), and a new mark. */
static double lap_ms(struct reload_times *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - t->mark.tv_sec) * 1e3 + (double)(now.tv_nsec - t->mark.tv_nsec) / 1e6;
	t->mark = now;
	return ms;
}

/* A loaded configuration (NULL: not loaded): resolve the groups, check time sync
 * and schedules against the system.  These use the daemon's handles: on the loop. */
static struct tsn_config *config_checks(struct tsn_config *cfg, struct tsn_diags *diags,
					struct tsnd_groups *groups, struct ports *ports,
					struct reload_times *t)
{
	if (!cfg)
		return NULL;
	if (!tsnd_resolve_groups(cfg, groups, diags, false)) {
		tsn_config_free(cfg);
		return NULL;
	}
	/* Timestamping capabilities, ptp4l's own option parser, PTP gate windows. */
	if (!ptp_config_check(cfg, diags)) {
		tsn_config_free(cfg);
		return NULL;
	}
	/* Schedules against their ports: link speed, TX queues, MTU, PTP clock. */
	if (!schedule_validate(cfg, ports, diags, SCHEDULE_CHECK_DAEMON)) {
		tsn_config_free(cfg);
		return NULL;
	}
	if (t)
		t->checks = lap_ms(t);
	return cfg;
}

/* Load (from the file at path, or from text when text is not NULL), validate,
 * resolve the groups, check time sync and schedules against the system. */
static struct tsn_config *config_prepare(const char *path, const char *text, size_t len,
					 struct tsn_diags *diags, struct tsnd_groups *groups,
					 struct ports *ports, struct reload_times *t)
{
	struct tsn_config *cfg = text ? tsn_config_parse(text, len, path, diags) : tsn_config_load(path, diags);
	if (t)
		t->load = lap_ms(t);
	return config_checks(cfg, diags, groups, ports, t);
}

struct tsn_config *tsnd_config_prepare(const char *path, struct tsn_diags *diags,
				       struct tsnd_groups *groups)
{
	return config_prepare(path, NULL, 0, diags, groups, NULL, NULL);
}

json_object *tsnd_check_json(const struct tsn_diags *diags)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "file", json_object_new_string(diags->file));
	json_object_object_add(o, "valid", json_object_new_boolean(diags->errors == 0));
	json_object_object_add(o, "errors", json_object_new_uint64(diags->errors));
	json_object_object_add(o, "warnings", json_object_new_uint64(diags->warnings));
	json_object_object_add(o, "diagnostics", tsn_diags_to_json(diags));
	return o;
}

bool tsnd_config_needs_xdp(const struct tsn_config *cfg)
{
	for (size_t i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].xdp != TSN_XDP_OFF)
			return true;
	return false;
}

int tsnd_effective_log_level(const struct tsnd *d, const struct tsn_config *cfg)
{
	return d->overrides.log_level >= 0 ? d->overrides.log_level : cfg->daemon.log_level;
}

int tsnd_effective_log_target(const struct tsnd *d, const struct tsn_config *cfg)
{
	if (d->overrides.log_target >= 0)
		return d->overrides.log_target;
	return d->daemonized ? TSN_LOG_SYSLOG : cfg->daemon.log_target;
}

/* The group that owns the control socket: read-group, else admin-group, else root. */
gid_t tsnd_socket_group(const struct tsnd_groups *groups)
{
	if (groups->has_read)
		return groups->read_gid;
	if (groups->has_admin)
		return groups->admin_gid;
	return 0;
}

void tsnd_ctl_limits(const struct tsn_config *cfg, const struct tsnd_groups *groups,
		     struct ctl_limits *limits)
{
	memset(limits, 0, sizeof(*limits));
	limits->max_request = cfg->control.max_request;
	limits->timeout_ns = cfg->control.timeout_ns;
	limits->max_clients = cfg->control.max_clients;
	limits->max_admin_request = TSN_CTL_ADMIN_MAX_REQUEST;
	limits->has_admin = groups->has_admin;
	limits->admin_gid = groups->admin_gid;
}

int tsnd_metrics_prepare(struct tsnd *d, const struct tsn_config *cfg, char *msg, size_t msglen)
{
	char err[256];

	if (metrics_http_prepare(d->metrics, cfg->telemetry.prometheus, cfg->telemetry.prometheus_listen, err,
				 sizeof(err)) == 0)
		return 0;
	/* At the field's line, as a configuration error would be. */
	struct tsn_diags diags;
	tsn_diags_init(&diags, cfg->source[0] ? cfg->source : d->config_path);
	tsn_config_report(cfg, &diags, TSN_DIAG_ERROR, cfg->telemetry.prometheus_listen, "%s", err);
	if (diags.count)
		tsn_diag_format(&diags, &diags.items[0], msg, msglen);
	else
		snprintf(msg, msglen, "telemetry.prometheus-listen: %s", err);
	tsn_diags_free(&diags);
	return -1;
}

/* Settings only read at start: keep them, and say so. */
static void warn_restart_only(const struct tsnd *d, const struct tsn_config *cfg,
			      struct tsn_diags *diags)
{
	if (!d->overrides.socket && strcmp(cfg->control.socket, d->start_socket) != 0)
		tsn_diags_add(diags, TSN_DIAG_WARNING, 0, 0, "control.socket",
			      "changed to %s; this takes effect when tsnd restarts (still listening on %s)",
			      cfg->control.socket, d->socket_path);
	if (!d->overrides.pid_file && strcmp(cfg->daemon.pid_file, d->start_pid_file) != 0)
		tsn_diags_add(diags, TSN_DIAG_WARNING, 0, 0, "daemon.pid-file",
			      "changed to %s; this takes effect when tsnd restarts (still using %s)",
			      cfg->daemon.pid_file, d->pid_path);
}

/* The sections that differ, from the schema's list of top-level keys. */
static json_object *changed_sections(const struct tsn_config *old, const struct tsn_config *cfg,
				     char *list, size_t listlen)
{
	json_object *arr = json_object_new_array();
	size_t used = 0, n;
	const char *const *sections = tsn_config_sections(&n);

	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (tsn_config_section_equal(old, cfg, sections[i]))
			continue;
		json_object_array_add(arr, json_object_new_string(sections[i]));
		int k = snprintf(list + used, listlen - used, "%s%s", used ? ", " : "", sections[i]);
		if (k > 0 && (size_t)k < listlen - used)
			used += (size_t)k;
	}
	return arr;
}

/* What a change is and what it answers. */
struct change {
	const char *who, *command;	/* audit: requester, command name */
	const char *text;		/* config.apply: the configuration; NULL: the file */
	size_t len;
	struct tsn_config *cfg;		/* a rollback: this configuration (owned), no load */
	struct tsnd_groups groups;	/* with cfg */
	struct tsn_config **old;	/* on success, keep the previous configuration here */
	const char *verb;		/* "reloaded", "applied", "rolled back" */
	struct tsn_diags *loaded_diags;	/* a reload parsed off the loop: its diagnostics ... */
	struct tsn_config *loaded;	/* ... and configuration (owned; NULL: invalid) */
	double load_ms;
};

/* Load (unless c->cfg), check, run the transaction, answer, audit. */
static enum tsn_ctl_code change_run(struct tsnd *d, struct change *c, json_object **data, char *msg,
				    size_t msglen)
{
	struct tsn_diags diags;
	struct tsnd_groups groups = c->groups;
	struct reload_times t = { 0 };
	enum tsn_ctl_code code;
	const char *source = c->text ? APPLY_SOURCE : d->config_path;

	*data = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t.mark);
	/* The daemon's own ports handle: no new sockets per reload. */
	struct tsn_config *cfg = c->cfg;
	c->cfg = NULL;
	if (c->loaded_diags) {	/* the diagnostics move here */
		diags = *c->loaded_diags;
		memset(c->loaded_diags, 0, sizeof(*c->loaded_diags));
		t.load = c->load_ms;
		cfg = config_checks(c->loaded, &diags, &groups, d->ports, &t);
		c->loaded = NULL;
	} else {
		tsn_diags_init(&diags, source);
		if (!cfg)
			cfg = config_prepare(source, c->text, c->len, &diags, &groups, d->ports, &t);
	}
	if (!cfg) {
		code = TSN_CTL_E_CONFIG_INVALID;
		*data = tsnd_check_json(&diags);
		if (diags.count) {
			char first[512];
			size_t e = 0;
			while (e + 1 < diags.count && diags.items[e].severity != TSN_DIAG_ERROR)
				e++;	/* name the first error, not a warning before it */
			tsn_diag_format(&diags, &diags.items[e], first, sizeof(first));
			snprintf(msg, msglen, "configuration has %zu error(s), nothing was changed; first: %s",
				 diags.errors, first);
		} else {
			snprintf(msg, msglen, "configuration %s could not be loaded; nothing was changed", source);
		}
		goto out;
	}
	warn_restart_only(d, cfg, &diags);

	char list[512];
	json_object *changed = changed_sections(d->cfg, cfg, list, sizeof(list));
	if (txn_run(d, cfg, &groups, false, c->old, msg, msglen) < 0) {
		code = TSN_CTL_E_APPLY_FAILED;
		json_object_put(changed);
		tsn_config_free(cfg);
		t.txn = lap_ms(&t);
		goto out;
	}
	t.txn = lap_ms(&t);
	d->warnings = diags.warnings;
	code = TSN_CTL_OK;
	*data = json_object_new_object();
	json_object_object_add(*data, "generation", json_object_new_uint64(d->generation));
	json_object_object_add(*data, "changed", changed);
	json_object_object_add(*data, "diagnostics", tsn_diags_to_json(&diags));
	snprintf(msg, msglen, "configuration %s (generation %llu); changed: %s%s", c->verb,
		 (unsigned long long)d->generation, list[0] ? list : "nothing",
		 diags.warnings ? "; see warnings" : "");
	for (size_t i = 0; i < diags.count; i++) {
		char line[512];
		tsn_diag_format(&diags, &diags.items[i], line, sizeof(line));
		log_warn("reload: %s", line);
	}
out:
	/* The phases docs/benchmarks.md and the lab's bench.sh read. */
	log_debug("reload: load %.1f ms, checks %.1f ms, socket access and ptp %.1f ms, routes and data plane "
		  "%.1f ms, schedules %.1f ms, commit %.1f ms (%s)", t.load, t.checks,
		  t.txn ? txn_step_ms("access") + txn_step_ms("metrics") + txn_step_ms("ptp") : 0,
		  t.txn ? txn_step_ms("routes") + txn_step_ms("dataplane") : 0,
		  t.txn ? txn_step_ms("schedules") : 0, t.txn ? txn_commit_ms() : 0, tsn_ctl_code_name(code));
	d->last_reload.valid = true;
	d->last_reload.time = time(NULL);
	d->last_reload.result = code;
	snprintf(d->last_reload.message, sizeof(d->last_reload.message), "%s", msg);
	audit_record(d->cfg ? d->cfg->control.audit_log : "", c->who, c->command, tsn_ctl_code_name(code), msg);
	tsn_diags_free(&diags);
	return code;
}

/* ---- pending confirmation ---- */

static enum tsn_ctl_code busy(const struct tsnd *d, char *msg, size_t msglen)
{
	char when[32];

	tsn_format_rfc3339(d->pending.expires, when, sizeof(when));
	snprintf(msg, msglen, "a configuration applied with confirm-within-ms waits for config.confirm "
		 "(it is rolled back at %s); confirm it (tsnctl config confirm) or cancel it "
		 "(tsnctl config cancel) first", when);
	return TSN_CTL_E_BUSY;
}

/* ---- config.reload, config.check and SIGHUP: parsed off the loop ---- */

/* One parse at a time: a config.reload, a config.check (of the file or of a
 * text) or a SIGHUP reload.  Another reload, check or apply meanwhile is refused
 * as busy; a SIGHUP meanwhile is coalesced into one reload after it. */
struct reload_job {
	struct tsnd *d;
	bool check;			/* config.check: answer the diagnostics, change nothing */
	char who[128];
	char path[PATH_MAX];		/* the file, or the name a text's diagnostics carry */
	char *text;			/* config.check of a text (owned); NULL: the file */
	size_t len;
	struct ctl_later *later;	/* where the answer goes (NULL: SIGHUP, or once sent) */
	pthread_t thread;
	int efd;			/* the thread says it is done */
	struct ev_io *io;
	struct timespec start;
	/* written by the thread, read after its end */
	struct tsn_diags diags;
	struct tsn_config *cfg;
};

static struct reload_job *reload_job;	/* one at a time (one tsnd per process) */
static bool hup_again;			/* a SIGHUP came while reload_job ran */

static void *reload_parse(void *arg)
{
	struct reload_job *j = arg;
	uint64_t one = 1;

	j->cfg = j->text ? tsn_config_parse(j->text, j->len, j->path, &j->diags)
			 : tsn_config_load(j->path, &j->diags);
	while (write(j->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	return NULL;
}

static void reload_job_free(struct reload_job *j)
{
	pthread_join(j->thread, NULL);
	evloop_io_del(j->io);
	close(j->efd);
	tsn_config_free(j->cfg);
	tsn_diags_free(&j->diags);
	if (j->later) {	/* tsnd stops: the connection is gone (ctl_server_close came first) */
		struct tsn_ctl_response resp = { .code = TSN_CTL_E_INTERNAL };
		snprintf(resp.message, sizeof(resp.message), "tsnd stopped during the %s",
			 j->check ? "check" : "reload");
		ctl_later_finish(j->later, &resp);
	}
	free(j->text);
	free(j);
}

/* config.check's answer for a loaded configuration (NULL: invalid): the checks
 * against the system; text checks see the daemon's ports, as config.apply. */
static enum tsn_ctl_code check_finish(struct tsnd *d, struct tsn_config *cfg, bool text,
				      struct tsn_diags *diags, json_object **data, char *msg, size_t msglen)
{
	struct tsnd_groups groups;

	cfg = config_checks(cfg, diags, &groups, text ? d->ports : NULL, NULL);
	*data = tsnd_check_json(diags);
	enum tsn_ctl_code code = cfg ? TSN_CTL_OK : TSN_CTL_E_CONFIG_INVALID;
	if (cfg)
		snprintf(msg, msglen, "%s is valid (%zu warning(s))", diags->file, diags->warnings);
	else
		snprintf(msg, msglen, "%s has %zu error(s)", diags->file, diags->errors);
	tsn_config_free(cfg);
	return code;
}

static bool reload_start(struct tsnd *d, const char *who, struct ctl_later *later);
static enum tsn_ctl_code reload_now(struct tsnd *d, const char *who, json_object **data, char *msg,
				    size_t msglen);

/* A SIGHUP's reload: no requester; the result goes to the log and status. */
static void hup_reload(struct tsnd *d)
{
	if (reload_start(d, "SIGHUP", NULL))
		return;
	json_object *data = NULL;
	char msg[TSN_CTL_MESSAGE_MAX];
	enum tsn_ctl_code code = reload_now(d, "SIGHUP", &data, msg, sizeof(msg));
	json_object_put(data);
	if (code == TSN_CTL_OK)
		log_notice("SIGHUP: %s", msg);
	else
		log_err("SIGHUP: %s", msg);
}

/* The thread is done: the checks against the system (and for a reload the
 * transaction), on the loop. */
static void reload_parsed(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct reload_job *j = arg;
	struct tsn_ctl_response resp = { .code = TSN_CTL_OK };
	struct timespec now;
	struct tsnd *d = j->d;

	(void)loop;
	(void)fd;
	(void)events;
	pthread_join(j->thread, NULL);
	clock_gettime(CLOCK_MONOTONIC, &now);
	reload_job = NULL;	/* from here on, another parse may start */
	if (j->check) {
		resp.code = check_finish(d, j->cfg, j->text != NULL, &j->diags, &resp.data, resp.message,
					 sizeof(resp.message));
	} else {
		struct change c = { .who = j->who, .command = "config.reload", .verb = "reloaded",
				    .loaded_diags = &j->diags, .loaded = j->cfg,
				    .load_ms = (double)(now.tv_sec - j->start.tv_sec) * 1e3 +
					       (double)(now.tv_nsec - j->start.tv_nsec) / 1e6 };
		resp.code = change_run(d, &c, &resp.data, resp.message, sizeof(resp.message));
	}
	j->cfg = NULL;
	if (j->later) {
		ctl_later_finish(j->later, &resp);
		j->later = NULL;
	} else {	/* SIGHUP */
		if (resp.code == TSN_CTL_OK)
			log_notice("SIGHUP: %s", resp.message);
		else
			log_err("SIGHUP: %s", resp.message);
		json_object_put(resp.data);
	}
	evloop_io_del(j->io);
	close(j->efd);
	tsn_diags_free(&j->diags);
	free(j->text);
	free(j);
	if (hup_again && !reload_job) {	/* the file may have changed since this parse began */
		hup_again = false;
		log_info("reload: the SIGHUP that came during the last parse reloads now");
		hup_reload(d);
	}
}

/* Start parsing in a thread (text: a config.check's text, copied; NULL: d's
 * file); false if it cannot (then nothing changed). */
static bool job_start(struct tsnd *d, bool check, const char *who, const char *text, size_t len,
		      struct ctl_later *later)
{
	struct reload_job *j = calloc(1, sizeof(*j));

	if (!j)
		return false;
	j->d = d;
	j->check = check;
	j->later = later;
	j->efd = -1;
	snprintf(j->who, sizeof(j->who), "%s", who);
	snprintf(j->path, sizeof(j->path), "%s", text ? APPLY_SOURCE : d->config_path);
	if (text) {
		j->text = malloc(len + 1);
		if (!j->text) {
			free(j);
			return false;
		}
		memcpy(j->text, text, len);
		j->text[len] = '\0';
		j->len = len;
	}
	tsn_diags_init(&j->diags, j->path);
	clock_gettime(CLOCK_MONOTONIC, &j->start);
	j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	j->io = j->efd >= 0 ? evloop_io_add(d->loop, j->efd, EPOLLIN, reload_parsed, j) : NULL;
	if (!j->io || pthread_create(&j->thread, NULL, reload_parse, j) != 0) {
		log_warn("%s: cannot parse in a thread (%s); parsing on the loop", check ? "check" : "reload",
			 strerror(errno));
		evloop_io_del(j->io);
		if (j->efd >= 0)
			close(j->efd);
		tsn_diags_free(&j->diags);
		free(j->text);
		free(j);
		return false;
	}
	reload_job = j;
	log_info("%s: parsing %s off the loop (%s)", check ? "check" : "reload", j->path, who);
	return true;
}

static bool reload_start(struct tsnd *d, const char *who, struct ctl_later *later)
{
	return job_start(d, false, who, NULL, 0, later);
}

static enum tsn_ctl_code reload_busy(const char *who, const char *command, const struct tsnd *d, char *msg,
				     size_t msglen)
{
	snprintf(msg, msglen, "a configuration is being loaded (a reload or a check); try again when it has "
		 "answered");
	audit_record(d->cfg ? d->cfg->control.audit_log : "", who, command, tsn_ctl_code_name(TSN_CTL_E_BUSY), msg);
	return TSN_CTL_E_BUSY;
}

bool tsnd_reload_pending(void)
{
	return reload_job != NULL;
}

void tsnd_pending_free(struct tsnd *d)
{
	if (reload_job) {
		reload_job_free(reload_job);
		reload_job = NULL;
	}
	evloop_timer_free(d->pending.timer);
	tsn_config_free(d->pending.rollback);
	free(d->pending.text);
	memset(&d->pending, 0, sizeof(d->pending));
}

/* Forget the pending confirmation (the timer stays for the next one). */
static void pending_clear(struct tsnd *d)
{
	struct ev_timer *timer = d->pending.timer;

	if (timer)
		evloop_timer_disarm(timer);
	tsn_config_free(d->pending.rollback);
	free(d->pending.text);
	memset(&d->pending, 0, sizeof(d->pending));
	d->pending.timer = timer;
}

/* Back to the configuration before the first confirmed apply, through the
 * transaction: the kernel goes back too. */
static enum tsn_ctl_code pending_rollback(struct tsnd *d, const char *who, json_object **data, char *msg,
					  size_t msglen)
{
	struct change c = { .who = who, .command = "config.rollback", .cfg = d->pending.rollback,
			    .groups = d->pending.rollback_groups, .verb = "rolled back" };

	d->pending.rollback = NULL;	/* change_run owns it now */
	enum tsn_ctl_code code = change_run(d, &c, data, msg, msglen);
	if (code != TSN_CTL_OK)
		log_err("%s: the rollback failed, the applied configuration stays (the file still "
			"holds the previous one): %s", who, msg);
	pending_clear(d);
	return code;
}

static void on_confirm_timeout(struct evloop *loop, void *arg)
{
	struct tsnd *d = arg;
	json_object *data = NULL;
	char msg[TSN_CTL_MESSAGE_MAX];

	(void)loop;
	if (!d->pending.active)
		return;
	log_warn("config.apply: not confirmed in time; rolling back to the previous configuration");
	pending_rollback(d, "confirm timeout", &data, msg, sizeof(msg));
	json_object_put(data);
}

/* Write text to path atomically: a temporary file in the same directory with the
 * old file's mode (and owner), fsync, rename over path, fsync the directory. */
static int write_config_file(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	char dir[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX + 16];
	struct stat st;
	bool have = stat(path, &st) == 0;

	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	const char *dname = dirname(dir), *bname = basename(base);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dname, bname) >= sizeof(tmp)) {
		snprintf(err, errlen, "path %s is too long", path);
		return -1;
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a file in %s: %s", dname, strerror(errno));
		return -1;
	}
	const char *what = "write";
	size_t done = 0;
	if (fchmod(fd, have ? st.st_mode & 07777 : 0644) < 0) {
		what = "set the mode of";
		goto fail;
	}
	if (have && (st.st_uid != geteuid() || st.st_gid != getegid()) && fchown(fd, st.st_uid, st.st_gid) < 0) {
		what = "set the owner of";
		goto fail;
	}
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		done += (size_t)n;
	}
	if (fsync(fd) < 0) {
		what = "sync";
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		what = "rename into place";
		goto fail;
	}
	int dfd = open(dname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) < 0)
			log_warn("config: cannot sync directory %s: %s", dname, strerror(errno));
		close(dfd);
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot %s %.300s: %s", what, tmp, strerror(errno ? errno : EIO));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

json_object *tsnd_confirm_json(const struct tsnd *d)
{
	json_object *o = json_object_new_object();
	char when[32];

	json_object_object_add(o, "pending", json_object_new_boolean(d->pending.active));
	if (d->pending.active && d->pending.timer) {
		uint64_t at = evloop_timer_when(d->pending.timer), now = evloop_now_ns();
		tsn_format_rfc3339(d->pending.expires, when, sizeof(when));
		json_object_object_add(o, "expires", json_object_new_string(when));
		json_object_object_add(o, "expires_in_ms", json_object_new_uint64(at > now ? (at - now) / 1000000 : 0));
	} else {
		json_object_object_add(o, "expires", NULL);
		json_object_object_add(o, "expires_in_ms", NULL);
	}
	return o;
}

/* The file read, checked and applied at once, on the loop. */
static enum tsn_ctl_code reload_now(struct tsnd *d, const char *who, json_object **data, char *msg,
				    size_t msglen)
{
	struct change c = { .who = who, .command = "config.reload", .verb = "reloaded" };

	*data = NULL;
	if (d->pending.active) {
		enum tsn_ctl_code code = busy(d, msg, msglen);
		audit_record(d->cfg->control.audit_log, who, "config.reload", tsn_ctl_code_name(code), msg);
		return code;
	}
	return change_run(d, &c, data, msg, msglen);
}

enum tsn_ctl_code tsnd_reload(struct tsnd *d, const char *who, json_object **data,
			      char *msg, size_t msglen)
{
	*data = NULL;
	if (reload_job)	/* a second reload is refused, not queued: the first one reads the same file */
		return reload_busy(who, "config.reload", d, msg, msglen);
	if (d->pending.active)
		return reload_now(d, who, data, msg, msglen);	/* busy */
	/* A control request: parsed off the loop, answered when done.  (Callers
	 * outside a request run it all at once.) */
	struct ctl_later *later = ctl_server_defer(d->ctl);
	if (later) {
		if (reload_start(d, who, later)) {
			snprintf(msg, msglen, "reload started");	/* (not sent: the answer comes later) */
			return TSN_CTL_OK;
		}
		ctl_later_cancel(later);	/* answered now, below */
	}
	return reload_now(d, who, data, msg, msglen);
}

void tsnd_reload_signal(struct tsnd *d)
{
	if (reload_job) {	/* coalesced: one reload when this parse is done */
		if (!hup_again)
			log_info("SIGHUP: a configuration is being parsed; reloading when it is done");
		hup_again = true;
		return;
	}
	if (d->pending.active) {	/* refused and logged as before */
		json_object *data = NULL;
		char msg[TSN_CTL_MESSAGE_MAX];
		reload_now(d, "SIGHUP", &data, msg, sizeof(msg));
		json_object_put(data);
		log_err("SIGHUP: %s", msg);
		return;
	}
	hup_reload(d);
}

enum tsn_ctl_code tsnd_config_check(struct tsnd *d, const char *who, const char *text, size_t len,
				    json_object **data, char *msg, size_t msglen)
{
	*data = NULL;
	if (reload_job) {	/* one parse at a time bounds tsnd's memory */
		snprintf(msg, msglen, "a configuration is being loaded (a reload or a check); try again when it "
			 "has answered");
		return TSN_CTL_E_BUSY;
	}
	struct ctl_later *later = ctl_server_defer(d->ctl);
	if (later) {
		if (job_start(d, true, who, text, len, later)) {
			snprintf(msg, msglen, "check started");	/* (not sent) */
			return TSN_CTL_OK;
		}
		ctl_later_cancel(later);
	}
	struct tsn_diags diags;
	tsn_diags_init(&diags, text ? APPLY_SOURCE : d->config_path);
	struct tsn_config *cfg = text ? tsn_config_parse(text, len, APPLY_SOURCE, &diags)
				      : tsn_config_load(d->config_path, &diags);
	enum tsn_ctl_code code = check_finish(d, cfg, text != NULL, &diags, data, msg, msglen);
	tsn_diags_free(&diags);
	return code;
}

enum tsn_ctl_code tsnd_config_apply(struct tsnd *d, const char *who, const char *text, size_t len,
				    uint64_t confirm_ms, json_object **data, char *msg, size_t msglen)
{
	if (reload_job) {
		*data = NULL;
		return reload_busy(who, "config.apply", d, msg, msglen);
	}
	struct tsn_config *old = NULL;
	struct tsnd_groups old_groups = d->groups;
	struct change c = { .who = who, .command = "config.apply", .text = text, .len = len, .old = &old,
			    .verb = "applied" };
	char err[512];

	*data = NULL;
	if (d->pending.active && !confirm_ms) {
		enum tsn_ctl_code code = busy(d, msg, msglen);
		audit_record(d->cfg->control.audit_log, who, "config.apply", tsn_ctl_code_name(code), msg);
		return code;
	}
	if (confirm_ms && !d->pending.timer) {
		d->pending.timer = evloop_timer_new(d->loop, on_confirm_timeout, d);
		if (!d->pending.timer) {
			snprintf(msg, msglen, "cannot set up the confirmation timer: %s; nothing was changed",
				 strerror(errno));
			return TSN_CTL_E_INTERNAL;
		}
	}
	char *copy = malloc(len + 1);
	if (!copy) {
		snprintf(msg, msglen, "out of memory; nothing was changed");
		return TSN_CTL_E_INTERNAL;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	enum tsn_ctl_code code = change_run(d, &c, data, msg, msglen);
	if (code != TSN_CTL_OK) {
		free(copy);
		return code;
	}
	if (confirm_ms) {
		if (d->pending.active) {
			tsn_config_free(old);	/* the first rollback point stays */
		} else {
			d->pending.rollback = old;
			d->pending.rollback_groups = old_groups;
		}
		free(d->pending.text);
		d->pending.text = copy;
		d->pending.text_len = len;
		d->pending.active = true;
		d->pending.expires = time(NULL) + (time_t)((confirm_ms + 999) / 1000);
		evloop_timer_arm_at(d->pending.timer, evloop_now_ns() + confirm_ms * 1000000ull);
		size_t used = strlen(msg);
		snprintf(msg + used, msglen - used, "; rolled back in %llu ms unless confirmed",
			 (unsigned long long)confirm_ms);
		json_object_object_add(*data, "confirm", tsnd_confirm_json(d));
		return code;
	}
	/* Confirmed at once: a restart must find it in the file. */
	if (write_config_file(d->config_path, copy, len, err, sizeof(err)) < 0) {
		json_object *rb = NULL;
		char rbmsg[TSN_CTL_MESSAGE_MAX];
		free(copy);
		d->pending.rollback = old;
		d->pending.rollback_groups = old_groups;
		d->pending.active = true;
		pending_rollback(d, who, &rb, rbmsg, sizeof(rbmsg));
		json_object_put(rb);
		json_object_put(*data);
		*data = NULL;
		snprintf(msg, msglen, "%s; the previous configuration was restored (%s)", err, rbmsg);
		return TSN_CTL_E_INTERNAL;
	}
	free(copy);
	tsn_config_free(old);
	return code;
}

enum tsn_ctl_code tsnd_config_confirm(struct tsnd *d, const char *who, char *msg, size_t msglen)
{
	char err[512];

	(void)who;
	if (!d->pending.active) {
		snprintf(msg, msglen, "no configuration waits for confirmation (config.apply with "
			 "confirm-within-ms starts one)");
		return TSN_CTL_E_INVALID_ARGUMENT;
	}
	if (write_config_file(d->config_path, d->pending.text, d->pending.text_len, err, sizeof(err)) < 0) {
		snprintf(msg, msglen, "%s; still waiting for confirmation", err);
		return TSN_CTL_E_INTERNAL;
	}
	pending_clear(d);
	snprintf(msg, msglen, "configuration confirmed (generation %llu) and written to %s",
		 (unsigned long long)d->generation, d->config_path);
	return TSN_CTL_OK;
}

enum tsn_ctl_code tsnd_config_cancel(struct tsnd *d, const char *who, json_object **data, char *msg,
				     size_t msglen)
{
	*data = NULL;
	if (!d->pending.active) {
		snprintf(msg, msglen, "no configuration waits for confirmation (config.apply with "
			 "confirm-within-ms starts one)");
		return TSN_CTL_E_INVALID_ARGUMENT;
	}
	return pending_rollback(d, who, data, msg, msglen);
}
