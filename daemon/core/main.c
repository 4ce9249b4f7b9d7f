/* SPDX-License-Identifier: GPL-2.0-only */
/* main.c — tsnd: options, start-up, daemonizing, the signal handlers, shutdown.
 *
 * Start-up order: load the configuration; refuse if another tsnd answers on the
 * control socket; daemonize (the first process waits until the daemon reports
 * that it is ready, so that its exit status tells whether tsnd started); pid file;
 * create the subsystems (control socket, metrics listener, ports, routes, data
 * plane — FRER's programs load in a thread meanwhile —, schedules, time sync,
 * telemetry); then one transaction from the empty configuration to the file's,
 * the same table a reload runs (txn.c); log where the time went
 * (startup_probe.h); run the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"
#include "ctl_handlers.h"
#include "privs.h"
#include "ctl_server.h"
#include "dataplane.h"
#include "frer.h"
#include "evloop.h"
#include "fibwatch.h"
#include "metrics_http.h"
#include "pidfile.h"
#include "ports.h"
#include "routes.h"
#include "ptp.h"
#include "reload.h"
#include "schedule.h"
#include "startup_probe.h"
#include "telemetry.h"
#include "tsn/config.h"
#include "tsn/log.h"
#include "tsnd.h"
#include "txn.h"

enum { EXIT_USAGE = 2 };

struct options {
	const char *config;
	const char *check;	/* --check FILE / -n: check and exit */
	bool foreground;
	struct tsnd_overrides overrides;
};

static const struct {
	const char *name;
	enum tsn_log_level level;
} log_levels[] = {
	{ "error", TSN_LOG_ERR },   { "warning", TSN_LOG_WARNING }, { "notice", TSN_LOG_NOTICE },
	{ "info", TSN_LOG_INFO },   { "debug", TSN_LOG_DEBUG },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: tsnd [OPTION]...\n"
		"TSN switch daemon: gate schedules, time sync supervision, eBPF data plane.\n"
		"\n"
		"  -c, --config FILE       configuration file (default %s)\n"
		"  -f, --foreground        do not daemonize\n"
		"      --check FILE        check FILE, print it normalized, and exit\n"
		"  -n                      check the --config file and exit\n"
		"  -s, --socket PATH       control socket (overrides control.socket)\n"
		"  -p, --pid-file PATH     pid file (overrides daemon.pid-file)\n"
		"  -l, --log-level LEVEL   error, warning, notice, info or debug\n"
		"                          (overrides daemon.log-level)\n"
		"      --syslog            log to syslog\n"
		"      --stderr            log to standard error\n"
		"  -V, --version           print the version and exit\n"
		"  -h, --help              print this help and exit\n"
		"\n"
		"Signals: SIGHUP reloads the configuration, SIGTERM and SIGINT stop tsnd.\n"
		"See tsnd(8) and tsnd.yaml(5).\n",
		TSN_DEFAULT_CONFIG);
}

static int parse_log_level(const char *name)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (strcmp(log_levels[i].name, name) == 0)
			return log_levels[i].level;
	return -1;
}

/* Returns -1 to exit 0 (help, version), 0 to go on, EXIT_USAGE on a bad option. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_CHECK = 256, OPT_SYSLOG, OPT_STDERR };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", required_argument, NULL, OPT_CHECK },
		{ "socket", required_argument, NULL, 's' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "syslog", no_argument, NULL, OPT_SYSLOG },
		{ "stderr", no_argument, NULL, OPT_STDERR },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool check_config_file = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->config = TSN_DEFAULT_CONFIG;
	o->overrides.log_level = -1;
	o->overrides.log_target = -1;
	while ((c = getopt_long(argc, argv, "c:fns:p:l:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'f': o->foreground = true; break;
		case 'n': check_config_file = true; break;
		case OPT_CHECK: o->check = optarg; break;
		case 's': o->overrides.socket = optarg; break;
		case 'p': o->overrides.pid_file = optarg; break;
		case 'l':
			o->overrides.log_level = parse_log_level(optarg);
			if (o->overrides.log_level < 0) {
				fprintf(stderr, "tsnd: invalid log level \"%s\" (allowed: error, warning, "
					"notice, info, debug)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_SYSLOG: o->overrides.log_target = TSN_LOG_SYSLOG; break;
		case OPT_STDERR: o->overrides.log_target = TSN_LOG_STDERR; break;
		case 'V': printf("tsnd %s\n", TSN_VERSION); return -1;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tsnd: unexpected argument \"%s\" (tsnd takes options only)\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (check_config_file && !o->check)
		o->check = o->config;
	return 0;
}

/* --check: parse, validate, print; touch nothing. */
static int run_check(const char *file)
{
	struct tsn_diags diags;
	struct tsnd_groups groups;

	tsn_diags_init(&diags, file);
	struct tsn_config *cfg = tsn_config_load(file, &diags);
	if (cfg) {
		/* This host may not be the one tsnd runs on: unknown groups only warn. */
		tsnd_resolve_groups(cfg, &groups, &diags, true);
		/* Schedules against the ports that exist here (read-only); a port that
		 * does not exist is checked at its link-speed-default, with a warning. */
		schedule_validate(cfg, NULL, &diags, SCHEDULE_CHECK_HOST);
		char *yaml = tsn_config_to_yaml(cfg);
		if (yaml)
			fputs(yaml, stdout);
		free(yaml);
	}
	tsn_diags_print(&diags, stderr);
	int status = cfg && diags.errors == 0 ? 0 : 1;
	tsn_config_free(cfg);
	tsn_diags_free(&diags);
	return status;
}

/* An absolute version of path (relative to the start directory), in out. */
static int absolute_path(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return snprintf(out, len, "%s", path) < (int)len ? 0 : -1;
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	return snprintf(out, len, "%s/%s", cwd, path) < (int)len ? 0 : -1;
}

/* ---- daemonizing ---- */

/* In the process that was started: wait for the daemon's start-up report on fd and
 * exit with 0 if it says "ready", else print its reason and exit with 1. */
static void __attribute__((noreturn)) wait_for_daemon(int fd, pid_t child)
{
	char msg[1024];
	size_t got = 0;

	while (got < sizeof(msg) - 1) {
		ssize_t n = read(fd, msg + got, sizeof(msg) - 1 - got);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0 || errno != EINTR)
			break;	/* EOF: the daemon reported, or died */
	}
	msg[got] = '\0';
	waitpid(child, NULL, 0);
	if (strcmp(msg, "ready") == 0)
		exit(0);
	fprintf(stderr, "tsnd: %s\n", got ? msg : "the daemon exited during start-up (see the system log)");
	exit(1);
}

/* Fork twice and detach.  Returns in the daemon with *ready_fd set to the pipe on
 * which it reports start-up (report_start); the first process waits there. */
static int daemonize(int *ready_fd, bool keep_stderr)
{
	int pipefd[2];

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(pipefd[1]);
		wait_for_daemon(pipefd[0], pid);
	}
	close(pipefd[0]);
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);	/* the session leader goes; the daemon can never regain a tty */
	if (chdir("/") < 0)
		_exit(1);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (!keep_stderr)
			dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	*ready_fd = pipefd[1];
	return 0;
}

static void report_start(int *ready_fd, const char *msg)
{
	if (*ready_fd < 0)
		return;
	if (write(*ready_fd, msg, strlen(msg)) < 0)
		log_debug("start-up: parent is gone: %s", strerror(errno));
	close(*ready_fd);
	*ready_fd = -1;
}

/* ---- signals ---- */

static void on_signal(struct evloop *loop, int signo, void *arg)
{
	struct tsnd *d = arg;

	if (signo == SIGCHLD) {
		ptp_on_sigchld(d->ptp);
		return;
	}
	if (signo == SIGHUP) {	/* parsed off the loop, as config.reload */
		tsnd_reload_signal(d);
		return;
	}
	log_notice("received SIG%s; shutting down", sigabbrev_np(signo));
	evloop_stop(loop);
}

/* ---- time sync and gate schedules ---- */

/* The clock is one for all ports (software taprio runs on the system clock),
 * so the answer does not depend on the port. */
static bool schedule_sync_ok(void *arg, const char *port)
{
	struct tsnd *d = arg;

	(void)port;
	return ptp_locked(d->ptp);
}

static void on_ptp_lock(void *arg, bool locked)
{
	struct tsnd *d = arg;

	if (locked && d->sched)
		schedules_sync_changed(d->sched);
	telemetry_schedules_changed(d->tele, d->cfg, d->sched);
}

/* The kernel's routes, neighbours, links or addresses changed. */
static void on_fib_change(void *arg)
{
	struct tsnd *d = arg;

	dataplane_fib_invalidate(d->dp);
}

/* ---- start-up and shutdown ---- */

/* Everything after the configuration is loaded and the process is in place:
 * create the subsystems, then start-up is one transaction (txn.c) from the
 * empty configuration to the file's.  0, or -1 with a reason in err. */
static int start(struct tsnd *d, char *err, size_t errlen)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	struct tsn_config *cfg = d->cfg;	/* the file's, loaded by prepare() */
	struct tsnd_groups groups = d->groups;
	struct ctl_limits limits;
	struct sprobe pr;
	char dperr[512];

	d->cfg = tsn_config_defaults();
	memset(&d->groups, 0, sizeof(d->groups));
	if (!d->cfg) {
		d->cfg = cfg;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sprobe_start(&pr);
	/* daemon.pid-file: "" means no pid file. */
	if (d->pid_path[0]) {
		d->pidfile = pidfile_acquire(d->pid_path, err, errlen);
		if (!d->pidfile)
			goto fail;
	}
	d->loop = evloop_new();
	if (!d->loop) {
		snprintf(err, errlen, "cannot create the event loop: %s", strerror(errno));
		goto fail;
	}
	d->signals = evloop_signals_new(d->loop, signals, 4, on_signal, d);
	if (!d->signals) {
		snprintf(err, errlen, "cannot set up signal handling: %s", strerror(errno));
		goto fail;
	}
	/* Root only until the transaction sets the configured mode and group. */
	tsnd_ctl_limits(cfg, &groups, &limits);
	d->ctl = ctl_server_open(d->loop, d->socket_path, d->cfg->control.socket_mode, 0, &limits,
				 ctl_handlers_dispatch, d, err, errlen);
	if (!d->ctl)
		goto fail;
	/* The metrics listener (telemetry.prometheus); it serves once the loop runs. */
	d->metrics = metrics_http_new(d->loop, ctl_handlers_metrics, d);
	if (!d->metrics) {
		snprintf(err, errlen, "cannot set up the metrics listener: %s", strerror(errno));
		goto fail;
	}
	sprobe_end(&pr, "control");
	sprobe_start(&pr);
	d->ports = ports_open();
	if (!d->ports) {
		snprintf(err, errlen, "cannot open a route netlink socket to watch ports: %s",
			 strerror(errno));
		goto fail;
	}
	/* Before the routes: the FIB cache must see every change from here on. */
	d->fibwatch = fibwatch_open(d->loop, on_fib_change, d, dperr, sizeof(dperr));
	if (!d->fibwatch)
		log_warn("cannot watch the kernel's routes (%s): the fast path runs without its "
			 "FIB cache", dperr);
	d->routes = routes_open(dperr, sizeof(dperr));
	if (!d->routes) {
		snprintf(err, errlen, "cannot install the configured routes: %s", dperr);
		goto fail;
	}
	d->bridge = bridge_new(d->loop, dperr, sizeof(dperr));
	if (!d->bridge) {
		snprintf(err, errlen, "cannot set up bridging: %s", dperr);
		goto fail;
	}
	sprobe_end(&pr, "netlink");
	/* FRER's programs are verified beside tsn_xdp, on another CPU. */
	frer_plane_preload();
	sprobe_start(&pr);
	d->dp = dataplane_create(cfg, dperr, sizeof(dperr));
	sprobe_end(&pr, "dp_create");
	sprobe_start(&pr);
	if (d->dp) {
		d->dp_state = TSND_DP_LOADED;
	} else if (tsnd_config_needs_xdp(cfg)) {
		snprintf(err, errlen, "cannot load the data plane, which ports with xdp other than off "
			 "need: %s", dperr);
		goto fail;
	} else {
		d->dp_state = TSND_DP_UNAVAILABLE;
		snprintf(d->dp_message, sizeof(d->dp_message), "%s", dperr);
		log_warn("data plane unavailable (no port needs it): %s", dperr);
	}
	dataplane_fib_watched(d->dp, d->fibwatch != NULL);
	d->sched = schedules_new(d->loop, dperr, sizeof(dperr));
	if (!d->sched) {
		snprintf(err, errlen, "cannot set up gate schedules: %s", dperr);
		goto fail;
	}
	d->ptp = ptp_new(d->loop);
	if (!d->ptp) {
		snprintf(err, errlen, "cannot set up time synchronization: %s", strerror(errno));
		goto fail;
	}
	/* require-sync: held schedules go in once PTP is locked (docs/ptp.md). */
	schedules_set_sync(d->sched, schedule_sync_ok, d);
	ptp_set_lock_callback(d->ptp, on_ptp_lock, d);
	/* Before privs_drop: loading tracing programs needs CAP_PERFMON (telemetry.h). */
	d->tele = telemetry_new();
	sprobe_end(&pr, "subsystems");

	/* Taprio a previous tsnd left that matches is kept as it runs (schedule.h). */
	sprobe_start(&pr);
	if (txn_run(d, cfg, &groups, true, NULL, err, errlen) < 0)
		goto fail;
	sprobe_end(&pr, "txn");
	schedules_sync_changed(d->sched);
	return 0;
fail:
	tsn_config_free(cfg);
	return -1;
}

static void shutdown_daemon(struct tsnd *d)
{
	ctl_server_close(d->ctl);
	tsnd_pending_free(d);	/* an unconfirmed configuration stays: the file was not written */
	metrics_http_free(d->metrics);
	/* With keep-on-exit the schedules stay for the next tsnd; without, the ports
	 * get back the root qdiscs they had (docs/schedules.md). */
	if (d->sched && !(d->cfg && d->cfg->dataplane.keep_on_exit))
		schedules_release(d->sched);
	schedules_free(d->sched);
	ptp_free(d->ptp);	/* stops ptp4l and phc2sys */
	fibwatch_close(d->fibwatch);
	telemetry_free(d->tele, d->dp);	/* before the data plane: turns its stamp off */
	frer_plane_free(d->frer, d->dp);	/* before the data plane: its tc filter sits on the ports */
	if (d->dp)
		dataplane_destroy(d->dp, d->cfg && d->cfg->dataplane.keep_on_exit);
	/* A bridge tsnd created goes; an adopted one gets its settings back (bridge.h). */
	bridge_release(d->bridge, d->cfg, d->cfg && d->cfg->dataplane.keep_on_exit);
	bridge_free(d->bridge);
	/* keep-on-exit keeps forwarding, which needs the routes too. */
	routes_close(d->routes, !(d->cfg && d->cfg->dataplane.keep_on_exit));
	if (d->ports)
		ports_close(d->ports);
	pidfile_release(d->pidfile);
	evloop_signals_free(d->signals);
	evloop_free(d->loop);
	tsn_config_free(d->cfg);
}

/* Load the configuration and settle the paths, before anything is created.
 * Returns 0, or 1 (the exit status) after printing why. */
static int prepare(struct tsnd *d, const struct options *opts)
{
	char resolved[PATH_MAX], err[1024];
	struct tsn_diags diags;

	const char *config = realpath(opts->config, resolved) ? resolved : opts->config;
	if (absolute_path(config, d->config_path, sizeof(d->config_path)) < 0) {
		fprintf(stderr, "tsnd: configuration file path %s is too long (at most %zu bytes)\n",
			config, sizeof(d->config_path) - 1);
		return 1;
	}
	tsn_diags_init(&diags, d->config_path);
	d->cfg = tsnd_config_prepare(d->config_path, &diags, &d->groups);
	tsn_diags_print(&diags, stderr);
	d->warnings = diags.warnings;
	tsn_diags_free(&diags);
	if (!d->cfg) {
		fprintf(stderr, "tsnd: not starting: %s has errors\n", d->config_path);
		return 1;
	}

	memcpy(d->start_socket, d->cfg->control.socket, sizeof(d->start_socket));
	memcpy(d->start_pid_file, d->cfg->daemon.pid_file, sizeof(d->start_pid_file));
	const char *sock = d->overrides.socket ? d->overrides.socket : d->cfg->control.socket;
	const char *pid = d->overrides.pid_file ? d->overrides.pid_file : d->cfg->daemon.pid_file;
	if (!sock[0]) {
		fprintf(stderr, "tsnd: control.socket is empty: tsnd needs a control socket "
			"(set control.socket to an absolute path, or give -s PATH)\n");
		return 1;
	}
	if (absolute_path(sock, d->socket_path, sizeof(d->socket_path)) < 0) {
		fprintf(stderr, "tsnd: control socket path %s is too long (at most %zu bytes)\n", sock,
			sizeof(d->socket_path) - 1);
		return 1;
	}
	/* daemon.pid-file "" (and -p "") mean no pid file. */
	if (pid[0] && absolute_path(pid, d->pid_path, sizeof(d->pid_path)) < 0) {
		fprintf(stderr, "tsnd: pid file path %s is too long (at most %zu bytes)\n", pid,
			sizeof(d->pid_path) - 1);
		return 1;
	}

	int rc = ctl_socket_probe(d->socket_path, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tsnd: %s\n", err);
		return 1;
	}
	if (rc > 0) {
		pid_t other = d->pid_path[0] ? pidfile_read(d->pid_path) : 0;
		if (other)
			fprintf(stderr, "tsnd: already running: control socket %s answers "
				"(pid %d according to %s)\n", d->socket_path, (int)other, d->pid_path);
		else
			fprintf(stderr, "tsnd: already running: control socket %s answers "
				"(no pid in %s)\n", d->socket_path, d->pid_path[0] ? d->pid_path : "any pid file");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options opts;
	struct tsnd d;
	char err[1024];
	int ready_fd = -1;

	int rc = parse_options(argc, argv, &opts);
	if (rc)
		return rc < 0 ? 0 : rc;
	tsn_log_setup("tsnd", TSN_LOG_STDERR,
		      opts.overrides.log_level >= 0 ? (enum tsn_log_level)opts.overrides.log_level
						    : TSN_LOG_INFO);
	if (opts.check)
		return run_check(opts.check);
	if (!ctl_handlers_complete())
		return 1;
	txn_fault_init();

	memset(&d, 0, sizeof(d));
	d.overrides = opts.overrides;
	d.log_target = TSN_LOG_STDERR;
	struct sprobe pr;
	sprobe_start(&pr);
	if (prepare(&d, &opts) != 0) {
		tsn_config_free(d.cfg);
		return 1;
	}
	sprobe_end(&pr, "config");

	/* Hold the stop and reload signals from here on: the signalfd picks up any that
	 * arrive during start-up, so a SIGTERM then still shuts down cleanly. */
	sigset_t held;
	sigemptyset(&held);
	sigaddset(&held, SIGTERM);
	sigaddset(&held, SIGINT);
	sigaddset(&held, SIGHUP);
	sigprocmask(SIG_BLOCK, &held, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!opts.foreground) {
		if (daemonize(&ready_fd, d.overrides.log_target == TSN_LOG_STDERR) < 0) {
			fprintf(stderr, "tsnd: cannot daemonize: %s\n", strerror(errno));
			tsn_config_free(d.cfg);
			return 1;
		}
		d.daemonized = true;
	}
	d.log_target = tsnd_effective_log_target(&d, d.cfg);
	tsn_log_setup("tsnd", (enum tsn_log_target)d.log_target,
		      (enum tsn_log_level)tsnd_effective_log_level(&d, d.cfg));
	d.started = d.loaded = time(NULL);
	d.started_mono_ns = evloop_now_ns();
	d.generation = 0;	/* the start-up transaction makes it 1 */

	if (start(&d, err, sizeof(err)) < 0) {
		log_err("not starting: %s", err);
		report_start(&ready_fd, err);
		shutdown_daemon(&d);
		return 1;
	}
	/* Start-up is over: keep only the capabilities running needs (privs.c). */
	sprobe_start(&pr);
	if (privs_drop(d.cfg, err, sizeof(err)) < 0) {
		log_err("not starting: %s", err);
		report_start(&ready_fd, err);
		shutdown_daemon(&d);
		return 1;
	}
	sprobe_end(&pr, "privs");
	sprobe_report();
	log_notice("tsnd %s started: pid %d, configuration %s, control socket %s", TSN_VERSION,
		   (int)getpid(), d.config_path, d.socket_path);
	report_start(&ready_fd, "ready");

	rc = evloop_run(d.loop);
	if (rc < 0)
		log_err("event loop failed: %s", strerror(errno));
	shutdown_daemon(&d);
	log_notice("tsnd stopped");
	return rc < 0 ? 1 : 0;
}
