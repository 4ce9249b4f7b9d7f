/* SPDX-License-Identifier: GPL-2.0-only */
/* ptp.c — time synchronisation, the running half: life cycle and the reload
 * step.  ptp_config.c plans what runs, supervisor.c runs ptp4l and phc2sys,
 * ptp_session.c talks to ptp4l, ptp_sync.c judges the sync state, ptp_status.c
 * reports; docs/ptp.md describes the behaviour. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evloop.h"
#include "privs.h"
#include "ptp_priv.h"
#include "tsn/log.h"

static const struct sv_timing child_timing = {
	.backoff_min_ns = PTP_BACKOFF_MIN_NS,
	.backoff_max_ns = PTP_BACKOFF_MAX_NS,
	.stable_ns = PTP_STABLE_NS,
	.stop_grace_ns = PTP_STOP_GRACE_NS,
};

static bool str_equal(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* A new ptp4l process: what the session heard from the last one is void. */
static void on_ptp4l_started(void *arg)
{
	ptp_session_reset(arg);
}

void ptp_on_sigchld(struct ptp *p)
{
	if (!p)
		return;
	sv_child_reap(&p->ptp4l);
	sv_child_reap(&p->phc2sys);
	ptp_sync_evaluate(p, evloop_now_ns());
}

struct ptp *ptp_new(struct evloop *loop)
{
	struct ptp *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->loop = loop;
	p->uds.fd = -1;
	int rc = sv_child_init(&p->ptp4l, loop, "ptp4l", &child_timing, on_ptp4l_started, p);
	rc |= sv_child_init(&p->phc2sys, loop, "phc2sys", &child_timing, NULL, NULL);
	if (loop) {
		p->poll_timer = evloop_timer_new(loop, ptp_session_on_poll, p);
		if (!p->poll_timer || rc < 0) {
			ptp_free(p);
			return NULL;
		}
	}
	/* Our portIdentity in requests: "tsnd" and the pid, port 1.  ptp4l
	 * addresses answers and notifications to it. */
	uint32_t pid = (uint32_t)getpid();
	memcpy(p->self.clock, "tsnd", 4);
	p->self.clock[4] = (uint8_t)(pid >> 24);
	p->self.clock[5] = (uint8_t)(pid >> 16);
	p->self.clock[6] = (uint8_t)(pid >> 8);
	p->self.clock[7] = (uint8_t)pid;
	p->self.port = 1;
	p->sync = PTP_SYNC_DISABLED;
	snprintf(p->sync_reason, sizeof(p->sync_reason), "ptp.enabled is false");
	return p;
}

/* Put back the file a staged one replaced (or remove it if there was none). */
static void stage_undo(struct staged_file *f)
{
	if (f->tmp[0])
		unlink(f->tmp);
	f->tmp[0] = '\0';
	if (!f->installed)
		return;
	f->installed = false;
	if (f->had_old) {
		if (rename(f->old, f->path) < 0)
			log_err("ptp: cannot put %s back as %s: %s", f->old, f->path, strerror(errno));
	} else if (unlink(f->path) < 0 && errno != ENOENT) {
		log_err("ptp: cannot remove %s: %s", f->path, strerror(errno));
	}
}

/* The staged file stays: drop the copy of the one it replaced. */
static void stage_keep(struct staged_file *f)
{
	if (f->installed && f->had_old)
		unlink(f->old);
	f->installed = false;
}

/* An uncommitted configuration's files are undone, the later one first. */
static void pending_free(struct pending *pd)
{
	if (!pd)
		return;
	stage_undo(&pd->phc2sys_file);
	stage_undo(&pd->conf_file);
	ptp_plan_free(&pd->plan);
	free(pd->conf);
	free(pd->phc2sys_conf);
	sv_argv_free(pd->ptp4l_argv);
	sv_argv_free(pd->phc2sys_argv);
	free(pd);
}

void ptp_free(struct ptp *p)
{
	if (!p)
		return;
	pending_free(p->pending);
	sv_child_fini(&p->phc2sys);
	sv_child_fini(&p->ptp4l);
	ptp_session_close(p);
	evloop_timer_free(p->poll_timer);
	free(p->conf);
	free(p->phc2sys_conf);
	free(p->ports);
	free(p);
}

/* Write text to path (mode 0600) through a file of its own. */
static int write_file(const char *path, const char *text, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, 0600) < 0 || close(fd) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/* Write text to <path>.new, keep the file at path as <path>.old, rename the new
 * one into place.  Here, in the reload's apply step, a failure still fails the
 * reload; ptp_abort puts the old file back (stage_undo). */
static int stage_install(struct staged_file *f, const char *path, const char *text, char *err,
			 size_t errlen)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(f->tmp, sizeof(f->tmp), "%s.new", path);
	snprintf(f->old, sizeof(f->old), "%s.old", path);
	if (write_file(f->tmp, text, err, errlen) < 0) {
		f->tmp[0] = '\0';
		return -1;
	}
	if (unlink(f->old) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove the stale %s: %s", f->old, strerror(errno));
		return -1;
	}
	if (link(path, f->old) == 0) {
		f->had_old = true;
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "cannot keep %s as %s: %s", path, f->old, strerror(errno));
		return -1;
	}
	if (rename(f->tmp, path) < 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", f->tmp, path, strerror(errno));
		if (f->had_old)
			unlink(f->old);
		return -1;
	}
	f->tmp[0] = '\0';
	f->installed = true;
	return 0;
}

static int make_state_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		snprintf(err, errlen, "daemon.state-dir %s is not a directory", dir);
		return -1;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create daemon.state-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int ptp_apply(struct ptp *p, const struct tsn_config *cfg, char *err, size_t errlen)
{
	struct tsn_diags diags;

	pending_free(p->pending);
	p->pending = calloc(1, sizeof(*p->pending));
	if (!p->pending) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct pending *pd = p->pending;
	pd->enabled = cfg->ptp.enabled;
	if (!pd->enabled)
		return 0;
	/* privs.c keeps CAP_NET_BIND_SERVICE for children only when PTP was on at
	 * start; a ptp4l over UDP without it fails at bind() and stays in fault. */
	if (cfg->ptp.transport != TSN_PTP_L2 && !privs_children_have(CAP_NET_BIND_SERVICE)) {
		snprintf(err, errlen, "ptp: transport %s: ptp4l could not bind ports 319/320, because tsnd "
			 "started with ptp disabled and dropped CAP_NET_BIND_SERVICE (docs/security.md); "
			 "restart tsnd to enable ptp over UDP",
			 cfg->ptp.transport == TSN_PTP_UDPV6 ? "udpv6" : "udpv4");
		goto fail;
	}

	tsn_diags_init(&diags, cfg->source);
	bool ok = ptp_plan_build(cfg, &pd->plan, &diags);
	if (!ok) {
		/* The check in tsnd_config_prepare saw the same; the system changed since. */
		for (size_t i = 0; i < diags.count; i++)
			if (diags.items[i].severity == TSN_DIAG_ERROR) {
				snprintf(err, errlen, "ptp: %s: %s", diags.items[i].path, diags.items[i].message);
				break;
			}
		tsn_diags_free(&diags);
		goto fail;
	}
	tsn_diags_free(&diags);
	pd->conf = ptp_render_ptp4l(cfg, &pd->plan);
	pd->ptp4l_argv = ptp_ptp4l_argv(cfg, &pd->plan);
	if (pd->plan.phc2sys) {
		pd->phc2sys_conf = ptp_render_phc2sys(cfg, &pd->plan);
		pd->phc2sys_argv = ptp_phc2sys_argv(cfg, &pd->plan);
	}
	if (!pd->conf || !pd->ptp4l_argv || (pd->plan.phc2sys && (!pd->phc2sys_conf || !pd->phc2sys_argv))) {
		snprintf(err, errlen, "ptp: out of memory");
		goto fail;
	}
	if (make_state_dir(cfg->daemon.state_dir, err, errlen) < 0)
		goto fail;
	if (stage_install(&pd->conf_file, pd->plan.conf_path, pd->conf, err, errlen) < 0)
		goto fail;
	if (pd->plan.phc2sys &&
	    stage_install(&pd->phc2sys_file, pd->plan.phc2sys_conf_path, pd->phc2sys_conf, err,
			  errlen) < 0)
		goto fail;
	return 0;
fail:
	pending_free(p->pending);
	p->pending = NULL;
	return -1;
}

void ptp_abort(struct ptp *p)
{
	pending_free(p->pending);
	p->pending = NULL;
}

/* The per-port view for a new configuration, keeping what ptp4l said about
 * ports that stay (a reload that does not restart ptp4l changes nothing there). */
static void set_ports(struct ptp *p, const struct tsn_config *cfg)
{
	struct pport *ports = calloc(cfg->ptp.n_ports ? cfg->ptp.n_ports : 1, sizeof(*ports));
	if (!ports)
		return;
	for (size_t i = 0; i < cfg->ptp.n_ports; i++) {
		for (size_t j = 0; j < p->n_ports; j++)
			if (strcmp(p->ports[j].name, cfg->ptp.ports[i].name) == 0)
				ports[i] = p->ports[j];
		snprintf(ports[i].name, sizeof(ports[i].name), "%s", cfg->ptp.ports[i].name);
		ports[i].delay = ptp_effective_delay(&cfg->ptp, &cfg->ptp.ports[i]);
		if (!ports[i].have_props)
			ports[i].number = (uint16_t)(i + 1);
	}
	free(p->ports);
	p->ports = ports;
	p->n_ports = cfg->ptp.n_ports;
}

/* The scalars of the configuration the state machine and session use. */
static void set_params(struct ptp *p, const struct tsn_config *cfg, const struct ptp_plan *plan)
{
	p->enabled = cfg->ptp.enabled;
	p->free_running = cfg->ptp.free_running;
	p->profile = cfg->ptp.profile;
	p->transport = cfg->ptp.transport;
	p->domain = cfg->ptp.domain;
	p->lock_threshold_ns = cfg->ptp.lock_threshold_ns;
	p->lock_time_ns = cfg->ptp.lock_time_ns;
	p->neighbor_thresh_ns = ptp_effective_neighbor_thresh_ns(&cfg->ptp);
	p->log_sync_interval = ptp_effective_log_sync(&cfg->ptp);
	p->transport_specific = ptp_effective_transport_specific(&cfg->ptp);
	if (plan) {
		p->timestamping = plan->timestamping;
		snprintf(p->client_path, sizeof(p->client_path), "%s", plan->client_path);
		snprintf(p->conf_path, sizeof(p->conf_path), "%s", plan->conf_path);
	}
	snprintf(p->uds_address, sizeof(p->uds_address), "%s", cfg->ptp.uds_address);
}

void ptp_test_setup(struct ptp *p, const struct tsn_config *cfg, bool ptp4l_running_)
{
	set_params(p, cfg, NULL);
	set_ports(p, cfg);
	p->test_running = ptp4l_running_;
	ptp_session_reset(p);
}

void ptp_commit(struct ptp *p, const struct tsn_config *cfg)
{
	struct pending *pd = p->pending;
	char err[512];

	if (!pd)
		return;
	p->pending = NULL;
	if (!pd->enabled) {
		if (p->enabled)
			log_notice("ptp: disabled; stopping ptp4l%s", p->phc2sys.pid > 0 ? " and phc2sys" : "");
		p->ptp4l.want = p->phc2sys.want = false;
		sv_child_stop(&p->phc2sys, false);
		sv_child_stop(&p->ptp4l, false);
		ptp_session_close(p);
		evloop_timer_disarm(p->poll_timer);
		set_params(p, cfg, NULL);
		set_ports(p, cfg);
		p->was_locked = false;
		p->win_count = p->win_head = 0;
		pending_free(pd);
		ptp_sync_evaluate(p, evloop_now_ns());
		return;
	}

	/* A child stopped by an earlier commit (PTP off, then on again with the
	 * same settings) must start even though its configuration is the same. */
	bool ptp4l_changed = !str_equal(p->conf, pd->conf) ||
			     !sv_argv_equal(p->ptp4l.argv, pd->ptp4l_argv) || !p->ptp4l.want;
	bool phc_changed = !str_equal(p->phc2sys_conf, pd->phc2sys_conf) ||
			   !sv_argv_equal(p->phc2sys.argv, pd->phc2sys_argv) || !p->phc2sys.want;
	bool session_changed = !p->enabled || strcmp(p->uds_address, cfg->ptp.uds_address) != 0 ||
			       strcmp(p->client_path, pd->plan.client_path) != 0;

	/* The files went in place in ptp_apply. */
	stage_keep(&pd->conf_file);
	stage_keep(&pd->phc2sys_file);
	bool was_enabled = p->enabled;
	set_params(p, cfg, &pd->plan);
	set_ports(p, cfg);
	if (session_changed) {
		ptp_session_close(p);
		if (ptp_session_open(p, err, sizeof(err)) < 0)
			log_err("ptp: management session: %s; tsnd cannot read ptp4l's state", err);
	}
	if (ptp4l_changed) {
		free(p->conf);
		p->conf = pd->conf;
		pd->conf = NULL;
		sv_child_set_argv(&p->ptp4l, pd->ptp4l_argv);
		pd->ptp4l_argv = NULL;
		p->ptp4l.want = true;
		if (was_enabled && p->ptp4l.state != SV_STOPPED)
			log_notice("ptp: the generated ptp4l configuration changed; restarting ptp4l");
		sv_child_stop(&p->ptp4l, true);
	}
	if (session_changed && !ptp4l_changed)
		ptp_session_reset(p);	/* a new socket: what the old one heard is not trusted */
	p->phc2sys_needed = pd->plan.phc2sys;
	if (!pd->plan.phc2sys) {
		p->phc2sys.want = false;
		sv_child_stop(&p->phc2sys, false);
		free(p->phc2sys_conf);
		p->phc2sys_conf = NULL;
	} else if (phc_changed) {
		free(p->phc2sys_conf);
		p->phc2sys_conf = pd->phc2sys_conf;
		pd->phc2sys_conf = NULL;
		sv_child_set_argv(&p->phc2sys, pd->phc2sys_argv);
		pd->phc2sys_argv = NULL;
		p->phc2sys.want = true;
		sv_child_stop(&p->phc2sys, true);
	}
	pending_free(pd);
	if (p->poll_timer && !evloop_timer_armed(p->poll_timer))
		evloop_timer_arm_at(p->poll_timer, evloop_now_ns() + PTP_POLL_NS / 4);
	ptp_sync_evaluate(p, evloop_now_ns());
}

