/* reload.c — load, check and apply a configuration file, all or nothing.
 *
 * A reload runs these steps and stops at the first failure, leaving the running
 * state as it was:
 *   1. load and validate the file, resolve the control groups  -> config-invalid
 *   2. open up the control socket for the new mode/group       -> apply-failed
 *   3. time sync: write the new ptp4l configuration beside the running one
 *      (nothing restarts yet)                                  -> apply-failed
 *   4. install the IPv6 routes (routes.c), then make the data plane match the
 *      new ports and tables (each restores its own work on failure; the routes
 *      are put back if the data plane fails; steps 2 and 3 are undone here)
 *                                                              -> apply-failed
 *   5. gate schedules: taprio on the ports whose schedule changed (all or
 *      nothing across ports; on failure steps 2 to 4 are undone) -> apply-failed
 *   6. swap the configurations, apply log level and control limits, count the
 *      generation, report the sections that changed; ptp4l is restarted if its
 *      generated configuration changed.
 * Settings bound at start (control.socket, daemon.pid-file) keep their running
 * values; a warning says so.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "classifier.h"
#include "ctl_server.h"
#include "dataplane.h"
#include "metrics_http.h"
#include "ptp.h"
#include "reload.h"
#include "routes.h"
#include "schedule.h"
#include "telemetry.h"
#include "tsn/log.h"
#include "tsnd.h"

static const char *const config_sections[] = {
	"daemon", "control", "ports", "ptp", "classification", "streams", "stream-filters",
	"flow-meters", "stream-gates", "routes", "dataplane", "telemetry",
};

const char *const *tsnd_config_sections(size_t *count)
{
	*count = sizeof(config_sections) / sizeof(config_sections[0]);
	return config_sections;
}

void tsnd_rfc3339(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "1970-01-01T00:00:00Z");
}

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

/* Phase timings of one reload, logged at debug level: where a slow reload goes. */
struct reload_times {
	struct timespec mark;
	double load, checks, access, dataplane, schedules, commit;	/* ms */
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

static struct tsn_config *config_prepare(const char *path, struct tsn_diags *diags,
					 struct tsnd_groups *groups, struct ports *ports, struct reload_times *t)
{
	struct tsn_config *cfg = tsn_config_load(path, diags);
	if (t)
		t->load = lap_ms(t);
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

struct tsn_config *tsnd_config_prepare(const char *path, struct tsn_diags *diags,
				       struct tsnd_groups *groups)
{
	return config_prepare(path, diags, groups, NULL, NULL);
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

/* True if the data plane's tables for cfg are those of the running configuration,
 * so dataplane_apply would rewrite both table generations (and wait for an RCU
 * grace period) to end where it is: a reload that only changes gate intervals.
 * Only while no port is in the data plane (XDP off everywhere): then the tables
 * come from the configuration alone, with no MAC address or VLAN sub-interface
 * read from the kernel.  Everything but the ports' schedules must be equal; of
 * the schedules, what the classifier takes from them (scheduled flag, priority
 * map, gated classes) must be, and no stream gate may run on the realtime clock. */
static bool dataplane_unchanged(const struct tsnd *d, const struct tsn_config *cfg)
{
	const struct tsn_config *old = d->cfg;
	size_t n_sections;
	const char *const *sections = tsnd_config_sections(&n_sections);

	if (!d->dp || !old || tsnd_config_needs_xdp(old) || tsnd_config_needs_xdp(cfg) ||
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

/* Step 4: the data plane.  0 or -1 with a message; *applied says whether
 * dataplane_apply ran (and has to be undone if a later step fails). */
static int apply_dataplane(struct tsnd *d, const struct tsn_config *cfg, bool *applied, char *msg,
			   size_t msglen)
{
	char err[512] = "";

	*applied = false;

	if (!d->dp && tsnd_config_needs_xdp(cfg)) {
		/* It failed at start; the kernel may allow it now. */
		d->dp = dataplane_create(cfg, err, sizeof(err));
		if (!d->dp) {
			snprintf(msg, msglen, "a port asks for XDP but the data plane cannot be loaded: %s",
				 err);
			return -1;
		}
		d->dp_state = TSND_DP_LOADED;
		d->dp_message[0] = '\0';
		dataplane_fib_watched(d->dp, d->fibwatch != NULL);
	}
	/* Routes first (the fast path forwards by them); put back if the data plane refuses. */
	if (d->routes && routes_apply(d->routes, cfg, err, sizeof(err)) < 0) {
		snprintf(msg, msglen, "%s; previous routes kept", err);
		return -1;
	}
	if (d->dp && dataplane_unchanged(d, cfg)) {
		log_debug("reload: the data plane's tables stay as they are (no XDP port; their inputs are unchanged)");
		return 0;
	}
	if (d->dp && dataplane_apply(d->dp, cfg, err, sizeof(err)) < 0) {
		snprintf(msg, msglen, "data plane: %s; previous attachments kept", err);
		if (d->routes && routes_apply(d->routes, d->cfg, err, sizeof(err)) < 0)
			log_err("reload: cannot restore the routes: %s", err);
		return -1;
	}
	*applied = d->dp != NULL;
	return 0;
}

static json_object *changed_sections(const struct tsn_config *old, const struct tsn_config *cfg,
				     char *list, size_t listlen)
{
	json_object *arr = json_object_new_array();
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < sizeof(config_sections) / sizeof(config_sections[0]); i++) {
		if (tsn_config_section_equal(old, cfg, config_sections[i]))
			continue;
		json_object_array_add(arr, json_object_new_string(config_sections[i]));
		int n = snprintf(list + used, listlen - used, "%s%s", used ? ", " : "", config_sections[i]);
		if (n > 0 && (size_t)n < listlen - used)
			used += (size_t)n;
	}
	return arr;
}

enum tsn_ctl_code tsnd_reload(struct tsnd *d, const char *who, json_object **data,
			      char *msg, size_t msglen)
{
	struct tsn_diags diags;
	struct tsnd_groups groups = { 0 };
	struct reload_times t = { 0 };
	enum tsn_ctl_code code;
	char err[512];

	*data = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t.mark);
	tsn_diags_init(&diags, d->config_path);
	/* The daemon's own ports handle: no new sockets per reload. */
	struct tsn_config *cfg = config_prepare(d->config_path, &diags, &groups, d->ports, &t);
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
			snprintf(msg, msglen, "configuration %s could not be loaded; nothing was changed",
				 d->config_path);
		}
		goto out;
	}
	warn_restart_only(d, cfg, &diags);
	/* The metrics listener's new address, bound before anything changes (served
	 * from the commit on; the out: label drops it if a later step fails). */
	if (tsnd_metrics_prepare(d, cfg, msg, msglen) < 0) {
		size_t used = strlen(msg);
		snprintf(msg + used, msglen - used, "; previous state kept");
		code = TSN_CTL_E_APPLY_FAILED;
		tsn_config_free(cfg);
		goto out;
	}

	/* Step 2: socket mode and group (undone if the data plane refuses). */
	gid_t old_group = tsnd_socket_group(&d->groups), new_group = tsnd_socket_group(&groups);
	mode_t old_mode = d->cfg->control.socket_mode, new_mode = cfg->control.socket_mode;
	bool access_changed = old_group != new_group || old_mode != new_mode;
	if (access_changed && d->ctl &&
	    ctl_server_set_access(d->ctl, new_mode, new_group, err, sizeof(err)) < 0) {
		code = TSN_CTL_E_APPLY_FAILED;
		snprintf(msg, msglen, "%s; previous state kept", err);
		ctl_server_set_access(d->ctl, old_mode, old_group, err, sizeof(err));
		tsn_config_free(cfg);
		goto out;
	}
	/* Step 3: the new ptp4l configuration, written beside the running one. */
	if (d->ptp && ptp_prepare(d->ptp, cfg, err, sizeof(err)) < 0) {
		code = TSN_CTL_E_APPLY_FAILED;
		snprintf(msg, msglen, "%s; previous state kept", err);
		if (access_changed && d->ctl &&
		    ctl_server_set_access(d->ctl, old_mode, old_group, err, sizeof(err)) < 0)
			log_err("reload: cannot restore the control socket's access: %s", err);
		tsn_config_free(cfg);
		goto out;
	}
	t.access = lap_ms(&t);
	bool dp_applied;
	if (apply_dataplane(d, cfg, &dp_applied, msg, msglen) < 0) {
		code = TSN_CTL_E_APPLY_FAILED;
		if (d->ptp)
			ptp_abort(d->ptp);
		if (access_changed && d->ctl &&
		    ctl_server_set_access(d->ctl, old_mode, old_group, err, sizeof(err)) < 0)
			log_err("reload: cannot restore the control socket's access: %s", err);
		tsn_config_free(cfg);
		goto out;
	}
	t.dataplane = lap_ms(&t);
	/* Step 5: gate schedules; a refusal undoes the data plane, ptp and access. */
	if (d->sched && schedules_apply(d->sched, d->cfg, cfg, err, sizeof(err)) < 0) {
		char dperr[512];
		code = TSN_CTL_E_APPLY_FAILED;
		snprintf(msg, msglen, "%s", err);
		if (dp_applied && dataplane_apply(d->dp, d->cfg, dperr, sizeof(dperr)) < 0)
			log_err("reload: cannot restore the data plane: %s", dperr);
		if (d->routes && routes_apply(d->routes, d->cfg, dperr, sizeof(dperr)) < 0)
			log_err("reload: cannot restore the routes: %s", dperr);
		if (d->ptp)
			ptp_abort(d->ptp);
		if (access_changed && d->ctl &&
		    ctl_server_set_access(d->ctl, old_mode, old_group, err, sizeof(err)) < 0)
			log_err("reload: cannot restore the control socket's access: %s", err);
		tsn_config_free(cfg);
		goto out;
	}

	t.schedules = lap_ms(&t);
	/* Step 6: commit. */
	char list[512];
	json_object *changed = changed_sections(d->cfg, cfg, list, sizeof(list));
	tsn_config_free(d->cfg);
	d->cfg = cfg;
	d->groups = groups;
	d->generation++;
	d->warnings = diags.warnings;
	d->loaded = time(NULL);
	if (d->sched)
		schedules_commit(d->sched, cfg);
	if (d->ptp)	/* after the schedules: a lock event may release held ones */
		ptp_commit(d->ptp, cfg);
	if (d->tele)	/* measurement only: never fails the reload (telemetry.h) */
		telemetry_apply(d->tele, cfg, d->dp, d->sched);
	metrics_http_commit(d->metrics);
	if (d->ctl) {
		struct ctl_limits limits = {
			.max_request = cfg->control.max_request,
			.timeout_ns = cfg->control.timeout_ns,
			.max_clients = cfg->control.max_clients,
		};
		ctl_server_set_limits(d->ctl, &limits);
	}
	int level = tsnd_effective_log_level(d, cfg), target = tsnd_effective_log_target(d, cfg);
	if (target != d->log_target) {
		log_notice("reload: logging to %s from now on", target == TSN_LOG_SYSLOG ? "syslog" : "stderr");
		tsn_log_setup("tsnd", (enum tsn_log_target)target, (enum tsn_log_level)level);
		d->log_target = target;
	} else {
		tsn_log_set_level((enum tsn_log_level)level);
	}

	code = TSN_CTL_OK;
	*data = json_object_new_object();
	json_object_object_add(*data, "generation", json_object_new_uint64(d->generation));
	json_object_object_add(*data, "changed", changed);
	json_object_object_add(*data, "diagnostics", tsn_diags_to_json(&diags));
	snprintf(msg, msglen, "configuration reloaded (generation %llu); changed: %s%s",
		 (unsigned long long)d->generation, list[0] ? list : "nothing",
		 diags.warnings ? "; see warnings" : "");
	for (size_t i = 0; i < diags.count; i++) {
		char line[512];
		tsn_diag_format(&diags, &diags.items[i], line, sizeof(line));
		log_warn("reload: %s", line);
	}
	t.commit = lap_ms(&t);
out:
	metrics_http_abort(d->metrics);	/* a failed reload keeps the running listener */
	log_debug("reload: load %.1f ms, checks %.1f ms, socket access and ptp %.1f ms, routes and data plane "
		  "%.1f ms, schedules %.1f ms, commit %.1f ms (%s)", t.load, t.checks, t.access, t.dataplane,
		  t.schedules, t.commit, tsn_ctl_code_name(code));
	d->last_reload.valid = true;
	d->last_reload.time = time(NULL);
	d->last_reload.result = code;
	snprintf(d->last_reload.message, sizeof(d->last_reload.message), "%s", msg);
	audit_record(d->cfg ? d->cfg->control.audit_log : "", who, "config.reload",
		     tsn_ctl_code_name(code), msg);
	tsn_diags_free(&diags);
	return code;
}
