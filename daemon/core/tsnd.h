/* SPDX-License-Identifier: GPL-2.0-only */
/* tsnd.h — the running daemon's state and the daemon-internal API around it.
 *
 * main.c owns the lifetime of struct tsnd (start-up, shutdown); txn.c is the one
 * transaction that turns a configuration into running state (at start, and for
 * every change); reload.c loads and checks configurations and answers
 * config.reload, config.apply/confirm/cancel and SIGHUP through it;
 * ctl_handlers.c answers control commands from the state.
 */
#ifndef TSND_TSND_H
#define TSND_TSND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "tsn/config.h"
#include "tsn/ctl_proto.h"

struct evloop;
struct ev_signals;
struct ctl_server;
struct pidfile;
struct ports;
struct dataplane;
struct routes;
struct ptp;
struct schedules;
struct telemetry;
struct metrics_http;
struct fibwatch;
struct bridge;
struct ev_timer;

/* Who may use the control socket: gids resolved from control.read-group and
 * control.admin-group (has_* false: the group is "" and only root qualifies). */
struct tsnd_groups {
	bool has_read, has_admin;
	gid_t read_gid, admin_gid;
};

enum tsnd_dataplane_state {
	TSND_DP_LOADED,		/* programs loaded; attachments follow the config */
	TSND_DP_UNAVAILABLE,	/* could not load; allowed while no port needs XDP */
};

struct tsnd_last_reload {
	bool valid;		/* false until the first reload */
	time_t time;
	enum tsn_ctl_code result;
	char message[TSN_CTL_MESSAGE_MAX];
};

/* Command-line choices that win over the configuration file. */
struct tsnd_overrides {
	const char *socket;	/* -s, or NULL */
	const char *pid_file;	/* -p, or NULL */
	int log_level;		/* -l, or -1 */
	int log_target;		/* --syslog / --stderr, or -1 */
};


/* A configuration applied with confirm-within-ms that waits for config.confirm. */
struct tsnd_pending {
	bool active;
	struct tsn_config *rollback;	/* what ran before the first confirmed apply */
	struct tsnd_groups rollback_groups;
	char *text;			/* the applied text, written to the file on confirm */
	size_t text_len;
	time_t expires;			/* wall clock, for status */
	struct ev_timer *timer;		/* rolls back when it fires */
};

struct tsnd {
	struct evloop *loop;
	struct ev_signals *signals;
	struct ctl_server *ctl;
	struct pidfile *pidfile;
	struct ports *ports;
	struct dataplane *dp;
	struct routes *routes;		/* the configuration's IPv6 routes (routes.c) */
	struct fibwatch *fibwatch;	/* invalidates the fast path's FIB cache (fibwatch.c) */
	struct ptp *ptp;		/* ptp4l/phc2sys and the sync state (ptp.c) */
	struct schedules *sched;	/* taprio gate schedules (schedule.c) */
	struct telemetry *tele;		/* residence time, gate conformance (telemetry.c) */
	struct metrics_http *metrics;	/* the Prometheus listener (metrics_http.c) */
	struct bridge *bridge;		/* the kernel bridge, 802.1Q slow path (bridge.c) */
	struct frer_plane *frer;	/* FRER, 802.1CB (frer_conf.c); NULL until a frer entry */

	char config_path[TSN_PATH_MAX];	/* absolute: tsnd chdirs to / when daemonized */
	struct tsn_config *cfg;		/* the running configuration */
	struct tsnd_groups groups;	/* resolved from cfg->control */
	uint64_t generation;		/* 1 at start, +1 per successful reload */
	size_t warnings;		/* warnings of the running configuration */
	time_t loaded;			/* when cfg was loaded (wall clock) */

	struct tsnd_overrides overrides;
	bool daemonized;
	int log_target;			/* enum tsn_log_target in use */
	char socket_path[TSN_SOCK_PATH_MAX];	/* fixed for the daemon's lifetime */
	char pid_path[TSN_PATH_MAX];
	/* control.socket and daemon.pid-file as the file said at start: a reload that
	 * changes them only warns. */
	char start_socket[TSN_SOCK_PATH_MAX];
	char start_pid_file[TSN_PATH_MAX];

	enum tsnd_dataplane_state dp_state;
	char dp_message[512];		/* why the data plane is unavailable */

	time_t started;			/* wall clock */
	uint64_t started_mono_ns;
	struct tsnd_last_reload last_reload;
	struct tsnd_pending pending;
};

/* The reload API (configuration transactions) is in reload.h. */

#endif
