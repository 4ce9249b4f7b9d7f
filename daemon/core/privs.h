/* SPDX-License-Identifier: GPL-2.0-only */
/* privs.h — after start-up tsnd keeps only the capabilities it needs (the list,
 * and why each, is in privs.c and docs/security.md) and drops every other one
 * from its permitted, effective, inheritable and ambient sets and from the
 * bounding set, which also limits what its children (ptp4l, phc2sys) can have. */
#ifndef TSND_PRIVS_H
#define TSND_PRIVS_H

#include <stdbool.h>
#include <stddef.h>

#include "tsn/config.h"

/* Drop the capabilities cfg does not need.  0 on success or when there is nothing
 * to drop (tsnd runs without capabilities, or without CAP_SETPCAP: then it only
 * logs what it keeps); a negative errno with a message if the kernel refused. */
int privs_drop(const struct tsn_config *cfg, char *err, size_t errlen);

/* The capabilities privs_drop keeps for cfg, as text ("cap_net_admin,...") for
 * the log and tests. */
void privs_kept_text(const struct tsn_config *cfg, char *buf, size_t len);

/* Whether children tsnd starts now still get `cap` (it is in the bounding set):
 * ptp.c refuses a reload that would start a ptp4l unable to work. */
bool privs_children_have(int cap);

#endif
