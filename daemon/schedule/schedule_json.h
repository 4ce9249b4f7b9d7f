/* SPDX-License-Identifier: GPL-2.0-only */
/* schedule_json.h — schedule.show and the schedule figures of status. */
#ifndef TSND_SCHEDULE_JSON_H
#define TSND_SCHEDULE_JSON_H

#include <stddef.h>

#include <json.h>

#include "tsn/config.h"

struct schedules;

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
