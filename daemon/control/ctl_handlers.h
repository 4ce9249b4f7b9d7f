/* SPDX-License-Identifier: GPL-2.0-only */
/* ctl_handlers.h — what tsnd answers to each control command.
 *
 * One handler per row of TSN_CTL_COMMANDS (tsn/ctl_commands.h), by command id.  The
 * dispatcher decides permissions (root and control.admin-group: everything;
 * control.read-group: TSN_CTL_READ commands; anyone else: nothing) and writes the
 * audit log line for every admin command and every refusal.
 */
#ifndef TSND_CTL_HANDLERS_H
#define TSND_CTL_HANDLERS_H

#include <stdbool.h>

#include "ctl_server.h"
#include "tsn/ctl_proto.h"

struct tsnd;

enum ctl_role {
	CTL_ROLE_NONE,	/* may not run any command */
	CTL_ROLE_READ,	/* TSN_CTL_READ commands */
	CTL_ROLE_ADMIN,	/* every command */
};

/* True if every protocol command has a handler; logs each one that has none. */
bool ctl_handlers_complete(void);

/* What the peer may do under the running configuration's groups. */
enum ctl_role ctl_peer_role(const struct tsnd *d, const struct ctl_peer *peer);

/* The ctl_dispatch_fn for ctl_server_open(); arg is the struct tsnd. */
void ctl_handlers_dispatch(void *arg, const struct ctl_peer *peer,
			   const struct tsn_ctl_request *req, struct tsn_ctl_response *resp);

/* Run a read-only command without arguments for tsnd itself: its data, or NULL if
 * the command is unknown, needs admin, or failed. */
json_object *ctl_handlers_local(struct tsnd *d, const char *command);

/* The metrics_body_fn of the metrics listener (arg: the struct tsnd): the
 * Prometheus text from the answers of tsn_prom_commands. */
char *ctl_handlers_metrics(void *arg, size_t *len);

#endif
