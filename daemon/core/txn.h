/* SPDX-License-Identifier: GPL-2.0-only */
/* txn.h — the configuration transaction: one ordered table of subsystem steps.
 *
 * Every change of the running configuration — start-up (from the empty
 * configuration), config.reload, SIGHUP, config.apply, a confirmation's
 * rollback — goes through txn_run().  Each step of the table (txn.c) has up to
 * four hooks:
 *   prepare  check against the kernel and get ready; changes nothing that runs
 *   apply    change the kernel; all or nothing for the step, which keeps its own
 *            undo record
 *   abort    undo what prepare and apply did in this transaction
 *   commit   make it final (cannot fail)
 * All prepares run first, then all applies, in table order.  A failure at step k
 * aborts every step that got that far, in reverse order, in one loop; then the
 * running configuration and the kernel are as before.  docs/architecture.md
 * shows the table.
 *
 * Fault injection (tests only): built with -DTSN_FAULT_INJECTION, tsnd reads
 * TSND_FAULT=STEP[:PHASE][@N] once at start and fails transaction N (1 is the
 * start-up, default 2: the first reload) at STEP's PHASE ("prepare" or "apply",
 * default apply).  An injected apply failure runs the step's real apply first and
 * then its abort, as a step that fails half way through must leave nothing
 * behind.  A production build has no such code.
 */
#ifndef TSND_TXN_H
#define TSND_TXN_H

#include <stdbool.h>
#include <stddef.h>

#include "tsnd.h"

/* Apply cfg (with the groups resolved from it) all or nothing.  `starting`: the
 * start-up transaction (d->cfg is the empty configuration; subsystems adopt what
 * a previous tsnd left).  On success returns 0: cfg is the running configuration
 * (d owns it), the generation counts up, and the previous configuration is
 * handed to *old (freed if old is NULL).  On failure returns -1 with the reason
 * in msg; every step is undone, cfg stays the caller's. */
int txn_run(struct tsnd *d, struct tsn_config *cfg, const struct tsnd_groups *groups, bool starting,
	    struct tsn_config **old, char *msg, size_t msglen);

/* Where the time of the last txn_run went (ms): each step's prepare and apply,
 * and the commit of all steps; for the reload's debug line (docs/benchmarks.md). */
double txn_step_ms(const char *step);
double txn_commit_ms(void);

/* The step names in table order (docs, tests). */
const char *const *txn_step_names(size_t *count);

/* Read TSND_FAULT (fault-injection builds only; otherwise nothing). */
void txn_fault_init(void);

#endif
