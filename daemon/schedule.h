/* schedule.h — IEEE 802.1Qbv gate schedules on the kernel's taprio qdisc.
 *
 * What this module does with ports[].schedule (docs/schedules.md has the details):
 *
 *  - validate:  the checks that need the kernel — link speed, TX queues, MTU, PTP
 *               clock — reported at the config field (the structural rules live in
 *               lib/cfg_check.c and run when the file is parsed);
 *  - apply:     one transaction over every port: replace the root qdisc with
 *               taprio 7473:, or send a running tsnd taprio its new schedule
 *               through the kernel's change path (it becomes the admin schedule
 *               and takes over at its base time); if port N fails, ports 1..N-1
 *               get back exactly the root qdisc they had; the kernel's
 *               extended-ack text comes back verbatim;
 *  - read back: dump and decode the taprio of each port (oper and admin);
 *  - drift:     watch RTNLGRP_TC and compare the kernel's taprio with what tsnd
 *               applied; differences are logged once and shown by schedule.show.
 *
 * Shutdown leaves every schedule in place: the switch keeps forwarding on its
 * schedule while tsnd restarts, and the next tsnd adopts a taprio that already
 * matches its configuration without touching it.
 */
#ifndef TSND_SCHEDULE_H
#define TSND_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

#include <json.h>

#include "tsn/config.h"

struct evloop;
struct ports;
struct schedules;

/* ---- validation: reads the system, changes nothing ---- */

enum schedule_check_mode {
	/* tsnd --check: the file may be meant for another host; a port that does not
	 * exist here is checked with its link-speed-default and a warning. */
	SCHEDULE_CHECK_HOST,
	/* start-up, reload, config.check: a port with a schedule must exist. */
	SCHEDULE_CHECK_DAEMON,
};

/* Check every ports[].schedule of cfg against its port (link speed, TX queues,
 * MTU, PTP clock) and against the kernel's taprio rules.  Diagnostics go to diags
 * at the config field they concern.  `ports` may be NULL (one is opened for the
 * call).  Returns false if an error was added. */
bool schedule_validate(const struct tsn_config *cfg, struct ports *ports, struct tsn_diags *diags,
		       enum schedule_check_mode mode);

/* ---- the subsystem ---- */

/* Open the netlink sockets (requests, and RTNLGRP_TC notifications on `loop`).
 * NULL with a reason in err. */
struct schedules *schedules_new(struct evloop *loop, char *err, size_t errlen);
/* Close everything; every taprio stays in the kernel (see above). */
void schedules_free(struct schedules *s);

/* Make the kernel's root qdiscs match cfg, all or nothing.  `old` is the running
 * configuration, NULL at start-up (then a taprio 7473: that already matches a
 * port's schedule is adopted as it is, and one on a port without a schedule is
 * removed).  Only ports whose schedule changed, or whose kernel state no longer
 * matches what tsnd applied, are touched.  On failure every port is back as it
 * was and err names the port and quotes the kernel.  On success the change is
 * pending until schedules_commit() (keep it) or schedules_revert() (undo it,
 * e.g. when a later step of a reload fails).  0 or -1. */
int schedules_apply(struct schedules *s, const struct tsn_config *old, const struct tsn_config *cfg,
		    char *err, size_t errlen);
/* `cfg` (the one given to schedules_apply) is now the running configuration;
 * it must stay valid until the next commit. */
void schedules_commit(struct schedules *s, const struct tsn_config *cfg);
void schedules_revert(struct schedules *s);

/* ---- the hook for time synchronization (issue 4) ----
 * A schedule with `require-sync: true` is applied only when this predicate says
 * its port's time is synchronized; until then its state is "held" (shown as
 * "held: waiting for PTP lock") and the port keeps whatever root qdisc it has.
 * Without a predicate (the default) such schedules stay held.  Call
 * schedules_sync_changed() whenever the predicate's answer may have changed: each
 * held schedule whose port is now synchronized is applied on its own (all or
 * nothing for that port); a refusal puts that port in state "error" with the
 * kernel's message.  Applied schedules are not withdrawn when sync is lost. */
typedef bool (*schedule_sync_fn)(void *arg, const char *port);
void schedules_set_sync(struct schedules *s, schedule_sync_fn fn, void *arg);
void schedules_sync_changed(struct schedules *s);

/* ---- read back ---- */

/* Dump the kernel's qdiscs and update each applied port's drift state (logged
 * once per episode).  0 or a negative errno. */
int schedules_refresh(struct schedules *s);
/* schedule.show: {"ports":[...]} for the ports of cfg (or only `dev`); see
 * docs/control-protocol.md.  NULL with err on a netlink failure. */
json_object *schedules_show_json(struct schedules *s, const struct tsn_config *cfg, const char *dev,
				 char *err, size_t errlen);
/* {"applied":N,"held":N,"drift":N,"error":N} for status.subsystems.schedules (the
 * states as last compared; schedules_refresh() compares now). */
json_object *schedules_status_json(struct schedules *s);
/* "applied", "held", "drift", "error" for a port with a schedule, else "none". */
const char *schedules_port_state(const struct schedules *s, const char *port);

#endif
