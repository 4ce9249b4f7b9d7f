/* SPDX-License-Identifier: GPL-2.0-only */
/* audit.h — the audit log (control.audit-log): one JSON line per change request
 * and per refusal through the control socket, appended to a file root alone can
 * read (0600).  Every record also goes to the daemon log at notice level.
 * Repeated refusals are coalesced and rate-limited (audit.c), so that no peer can
 * make tsnd write without bound. */
#ifndef TSND_AUDIT_H
#define TSND_AUDIT_H

/* Record one event.  path: control.audit-log of the running configuration ("":
 * the daemon log only); the file is opened (created 0600, O_APPEND, never through
 * a symbolic link) on first use and reopened when the path changes.  who: "uid U
 * pid P" or a word such as "SIGHUP".  result: a result code name. */
void audit_record(const char *path, const char *who, const char *command, const char *result,
		  const char *message);

/* Write the counts of coalesced refusals still pending, and close the file (at
 * exit).  Refusals (any result but "ok") are bounded: see audit.c. */
void audit_close(void);

#endif
