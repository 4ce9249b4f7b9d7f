/* SPDX-License-Identifier: GPL-2.0-only */
/* schedule_watch.h — read back and drift.  Notifications (RTNLGRP_TC) and the
 * poll timer are set up by schedules_new(); this is the on-demand comparison. */
#ifndef TSND_SCHEDULE_WATCH_H
#define TSND_SCHEDULE_WATCH_H

struct schedules;

/* ---- read back ---- */

/* Dump the kernel's qdiscs and update each applied port's drift state (logged
 * once per episode).  0 or a negative errno. */
int schedules_refresh(struct schedules *s);

#endif
