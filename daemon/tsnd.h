/* tsnd.h — the running daemon's state and the daemon-internal API around it.
 *
 * main.c owns the lifetime of struct tsnd (start-up, shutdown); reload.c turns a
 * configuration file into running state (used at start, by config.reload, by
 * SIGHUP and by config.check); ctl_handlers.c answers control commands from it.
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

/* Requests of admin peers may be this long (control.max-request applies to the
 * others): config.apply carries a whole configuration (docs/control-protocol.md). */
#define TSND_ADMIN_MAX_REQUEST (4u << 20)

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

/* ---- reload.c: configuration transactions ---- */

/* Resolve control.read-group and control.admin-group.  An unknown group is an
 * error diagnostic at that field (a warning if `as_warning`); returns false if an
 * error was added. */
bool tsnd_resolve_groups(const struct tsn_config *cfg, struct tsnd_groups *out,
			 struct tsn_diags *diags, bool as_warning);

/* Load and validate `path` exactly as a reload would (parse, validate, groups,
 * time sync and schedules against the system).
 * Returns the config or NULL; diags gets every error and warning. */
struct tsn_config *tsnd_config_prepare(const char *path, struct tsn_diags *diags,
				       struct tsnd_groups *groups);

/* {"file","valid","errors","warnings","diagnostics"} for config.check and a refused
 * reload. */
json_object *tsnd_check_json(const struct tsn_diags *diags);

/* True if any configured port asks for XDP. */
bool tsnd_config_needs_xdp(const struct tsn_config *cfg);

/* The effective log level and target: command line first, then the config; a
 * daemonized tsnd logs to syslog unless --stderr was given. */
int tsnd_effective_log_level(const struct tsnd *d, const struct tsn_config *cfg);
int tsnd_effective_log_target(const struct tsnd *d, const struct tsn_config *cfg);

/* The group that owns the control socket: read-group, else admin-group, else root. */
gid_t tsnd_socket_group(const struct tsnd_groups *groups);

/* Reload the configuration file, all or nothing (config.reload and SIGHUP).
 * `who` names the requester for the audit log ("uid 0 pid 123", "SIGHUP").
 * Returns the result code; *data gets the reply data (see
 * docs/control-protocol.md) and msg a one-line summary. */
enum tsn_ctl_code tsnd_reload(struct tsnd *d, const char *who, json_object **data,
			      char *msg, size_t msglen);

/* config.apply: apply the configuration in `text` (YAML or JSON) through the
 * same transaction as a reload.  confirm_ms 0: confirmed at once (the file is
 * written atomically); otherwise rolled back after confirm_ms unless
 * tsnd_config_confirm() comes first.  Busy while a confirmation is pending,
 * unless confirm_ms is given again (that extends it, keeping the first rollback
 * point).  Reply data as tsnd_reload. */
enum tsn_ctl_code tsnd_config_apply(struct tsnd *d, const char *who, const char *text, size_t len,
				    uint64_t confirm_ms, json_object **data, char *msg, size_t msglen);
/* config.confirm and config.cancel. */
enum tsn_ctl_code tsnd_config_confirm(struct tsnd *d, const char *who, char *msg, size_t msglen);
enum tsn_ctl_code tsnd_config_cancel(struct tsnd *d, const char *who, json_object **data, char *msg,
				     size_t msglen);
/* {"pending":bool,"expires":RFC 3339 or null,"expires_in_ms":N or null}. */
json_object *tsnd_confirm_json(const struct tsnd *d);
/* config.check of a configuration text: every check a reload makes, nothing
 * changed.  The config or NULL; diags as tsnd_config_prepare. */
struct tsn_config *tsnd_config_prepare_text(struct tsnd *d, const char *text, size_t len,
					    struct tsn_diags *diags, struct tsnd_groups *groups);
/* Free what the pending confirmation holds (shutdown). */
void tsnd_pending_free(struct tsnd *d);

/* The control server's limits for cfg (groups: the admin group's gid). */
struct ctl_limits;
void tsnd_ctl_limits(const struct tsn_config *cfg, const struct tsnd_groups *groups,
		     struct ctl_limits *limits);

/* Bind the metrics listener for cfg's telemetry.prometheus and -listen (see
 * metrics_http_prepare); -1 with a message at the field's file:line in msg. */
int tsnd_metrics_prepare(struct tsnd *d, const struct tsn_config *cfg, char *msg, size_t msglen);

/* Format a wall-clock time as RFC 3339 UTC ("2024-05-01T12:00:00Z"). */
void tsnd_rfc3339(time_t t, char *buf, size_t len);

#endif
