/* SPDX-License-Identifier: GPL-2.0-only */
/* reload.h — configuration changes as the control protocol sees them: load and
 * check a configuration (file or text), run it through the transaction (txn.h),
 * answer and audit; config.apply's pending confirmation.  The state they change
 * is struct tsnd (tsnd.h).
 */
#ifndef TSND_RELOAD_H
#define TSND_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tsnd.h"

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
 * docs/control-protocol.md) and msg a one-line summary.
 * Called for a control request (inside the control server's dispatch), the file
 * is parsed in a worker thread and the request answered when the reload is done
 * (ctl_server_defer; what this returns is then not sent).  While a
 * configuration is being parsed (a reload, a check), another reload, a check or
 * a config.apply is refused as busy. */
enum tsn_ctl_code tsnd_reload(struct tsnd *d, const char *who, json_object **data,
			      char *msg, size_t msglen);
/* SIGHUP: the same reload, parsed off the loop, with no requester; the result
 * goes to the log and to status's last_reload.  A SIGHUP while a configuration
 * is being parsed is coalesced: one reload follows when that parse is done. */
void tsnd_reload_signal(struct tsnd *d);
/* config.check of the file (text NULL) or of a text: every check a reload
 * makes, nothing changed.  Parsed off the loop and answered later within a
 * control request, as tsnd_reload; busy while another parse runs. */
enum tsn_ctl_code tsnd_config_check(struct tsnd *d, const char *who, const char *text, size_t len,
				    json_object **data, char *msg, size_t msglen);

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
/* True while a reload's file is being parsed off the loop. */
bool tsnd_reload_pending(void);
/* Free what the pending confirmation holds and wait for a reload being parsed
 * (shutdown, after the control server is closed). */
void tsnd_pending_free(struct tsnd *d);

/* The control server's limits for cfg (groups: the admin group's gid). */
struct ctl_limits;
void tsnd_ctl_limits(const struct tsn_config *cfg, const struct tsnd_groups *groups,
		     struct ctl_limits *limits);

/* Bind the metrics listener for cfg's telemetry.prometheus and -listen (see
 * metrics_http_prepare); -1 with a message at the field's file:line in msg. */
int tsnd_metrics_prepare(struct tsnd *d, const struct tsn_config *cfg, char *msg, size_t msglen);

#endif
