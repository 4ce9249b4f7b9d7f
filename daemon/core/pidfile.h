/* SPDX-License-Identifier: GPL-2.0-only */
/* pidfile.h — the pid file that marks one running tsnd, held with flock(). */
#ifndef TSND_PIDFILE_H
#define TSND_PIDFILE_H

#include <stddef.h>
#include <sys/types.h>

struct pidfile;

/* Create (with its parent directories, mode 0755) and lock `path`, then write our
 * pid into it.  Fails if another process holds the lock; err then names that
 * process.  NULL on failure, with a reason in err. */
struct pidfile *pidfile_acquire(const char *path, char *err, size_t errlen);
/* Remove the file and drop the lock. */
void pidfile_release(struct pidfile *pf);
/* The pid written in `path`, or 0 if it cannot be read. */
pid_t pidfile_read(const char *path);

/* Create the directories above `path` that do not exist yet, with `mode`.
 * Returns 0 or -1 with errno (also used for the control socket's directory). */
int make_parent_dirs(const char *path, mode_t mode);

#endif
