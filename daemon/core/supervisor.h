/* SPDX-License-Identifier: GPL-2.0-only */
/* supervisor.h — one child process kept running: started with its output on
 * tsnd's log, restarted with back-off when it dies, stopped on request or when
 * tsnd stops.  Knows nothing of what the child is (ptp.c runs ptp4l and phc2sys
 * with it).
 *
 * The owner sets `want` (should the child run at all) and reads the other
 * fields of struct sv_child (state, pid, restarts, last exit) for its status;
 * it changes them only through the functions below.  To start a child: set
 * its command line, want = true, sv_child_stop(ch, true). */
#ifndef TSND_SUPERVISOR_H
#define TSND_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <json.h>

struct evloop;
struct ev_io;
struct ev_timer;

enum sv_state { SV_STOPPED, SV_RUNNING, SV_STOPPING, SV_BACKOFF };

struct sv_timing {
	uint64_t backoff_min_ns;	/* first restart delay */
	uint64_t backoff_max_ns;	/* doubling up to this */
	uint64_t stable_ns;		/* a run this long resets the back-off */
	uint64_t stop_grace_ns;		/* SIGTERM, then SIGKILL after this */
};

/* Called each time the child was started (a new process runs). */
typedef void (*sv_started_fn)(void *arg);

struct sv_linebuf {
	char buf[1024];
	size_t len;
};

struct sv_child {
	struct evloop *loop;		/* NULL: a child that is never started (tests) */
	const char *name;		/* "ptp4l": prefix of its log lines */
	struct sv_timing timing;
	sv_started_fn on_started;
	void *arg;
	char **argv;			/* the command line in force (owned) */
	bool want;			/* should run */
	bool restart_pending;		/* stopping for a new command line: start again at exit */
	enum sv_state state;
	pid_t pid;
	int out_fd, err_fd;
	struct ev_io *out_io, *err_io;
	struct sv_linebuf out_line, err_line;
	struct ev_timer *timer;		/* restart after the back-off, or SIGKILL after the grace */
	uint64_t started_ns;
	time_t started_wall;
	uint64_t backoff_ns;		/* the next restart's delay */
	uint64_t restart_at_ns;
	unsigned restarts;		/* restarts after an unexpected exit */
	bool has_exit;
	char last_exit[64];		/* "exit status 1", "killed by SIGKILL" */
	time_t last_exit_wall;
	uint64_t last_run_ns;		/* how long the last run lasted */
	bool last_exit_expected;
};

/* Set up a stopped child.  -1 (errno) if its timer cannot be made. */
int sv_child_init(struct sv_child *ch, struct evloop *loop, const char *name,
		  const struct sv_timing *timing, sv_started_fn on_started, void *arg);
/* Stop it (SIGTERM, SIGKILL after the grace; waits), free the command line. */
void sv_child_fini(struct sv_child *ch);

/* Take argv (NULL-terminated, malloc'd strings) as the command line; the old
 * one is freed.  The running process is not touched: sv_child_stop(ch, true). */
void sv_child_set_argv(struct sv_child *ch, char **argv);
/* Stop the child; with `restart` (and want), start it again once it is gone —
 * at once if it is not running. */
void sv_child_stop(struct sv_child *ch, bool restart);
/* After SIGCHLD: reap the child if it ended (never another process). */
void sv_child_reap(struct sv_child *ch);

/* "running", "stopping", "restarting", "stopped". */
const char *sv_child_state_name(const struct sv_child *ch);
/* {"state","pid","restarts","started","uptime_s","last_exit":{..}|null,
 *  "restart_in_ms","command":[..]}; state "not-needed" (and why_not as
 *  "message") when !needed and nothing runs. */
json_object *sv_child_json(const struct sv_child *ch, bool needed, const char *why_not);

/* NULL-terminated vectors of malloc'd strings. */
bool sv_argv_equal(char **a, char **b);
void sv_argv_free(char **argv);

#endif
