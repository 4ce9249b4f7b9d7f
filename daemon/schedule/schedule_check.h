/* SPDX-License-Identifier: GPL-2.0-only */
/* schedule_check.h — gate schedules checked against their port and the
 * kernel's taprio rules, before anything changes. */
#ifndef TSND_SCHEDULE_CHECK_H
#define TSND_SCHEDULE_CHECK_H

#include <stdbool.h>

#include "tsn/config.h"

struct ports;

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

#endif
