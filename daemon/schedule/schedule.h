/* SPDX-License-Identifier: GPL-2.0-only */
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
 *
 * This header is the subsystem's life cycle and includes the headers of its
 * parts, so a caller includes only this one: schedule_check.h (validate),
 * schedule_apply.h (apply, commit, revert, time-sync hook), schedule_watch.h
 * (refresh), schedule_json.h (show, status).
 */
#ifndef TSND_SCHEDULE_H
#define TSND_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

#include "schedule_apply.h"
#include "schedule_check.h"
#include "schedule_json.h"
#include "schedule_watch.h"

struct evloop;
struct schedules;

/* Open the netlink sockets (requests, and RTNLGRP_TC notifications on `loop`).
 * NULL with a reason in err. */
struct schedules *schedules_new(struct evloop *loop, char *err, size_t errlen);
/* Close everything; every taprio stays in the kernel (see above). */
void schedules_free(struct schedules *s);

#endif
