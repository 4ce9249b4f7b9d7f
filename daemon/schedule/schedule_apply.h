/* SPDX-License-Identifier: GPL-2.0-only */
/* schedule_apply.h — the taprio transaction across ports, and the hook for
 * time synchronization. */
#ifndef TSND_SCHEDULE_APPLY_H
#define TSND_SCHEDULE_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "tsn/config.h"

struct schedules;

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

/* Shutdown without dataplane.keep-on-exit: tsnd's taprio leaves every port it
 * scheduled, and the port gets back the root qdisc it had before tsnd took it
 * (the one a rollback would put back; the kernel's default if that was the
 * default, or if tsnd adopted the taprio from an earlier run and never saw
 * what was there).  Failures are logged. */
void schedules_release(struct schedules *s);

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

#endif
