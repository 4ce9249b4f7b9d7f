/* SPDX-License-Identifier: GPL-2.0-only */
/* supervisor.c — start, watch, restart and stop one child process
 * (supervisor.h).  Its stdout and stderr are read line by line into tsnd's log;
 * an unexpected exit is followed by a restart after a back-off that doubles up
 * to a limit and resets after a long enough run. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "supervisor.h"
#include "tsn/log.h"
#include "tsn/timefmt.h"
#include "tsn/units.h"

bool sv_argv_equal(char **a, char **b)
{
	if (!a || !b)
		return a == b;
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b) != 0)
			return false;
	return !*a && !*b;
}

void sv_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

static void child_start(struct sv_child *ch);

/* The grace period after SIGTERM is over. */
static void kill_after_grace(struct sv_child *ch)
{
	char grace[32];

	log_warn("%s (pid %d) did not stop within %s of SIGTERM; killing it", ch->name, (int)ch->pid,
		 tsn_format_duration(ch->timing.stop_grace_ns, grace, sizeof(grace)));
	kill(ch->pid, SIGKILL);
}

/* ---- children: output ---- */

/* "name[1234.567]: text" -> "text" (linuxptp's style): tsnd adds its own prefix. */
static const char *strip_prog_prefix(const char *line, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(line, name, n) != 0 || line[n] != '[')
		return line;
	const char *end = strstr(line + n, "]: ");
	return end ? end + 3 : line;
}

static void emit_line(struct sv_child *ch, const char *line, bool is_err)
{
	const char *text = strip_prog_prefix(line, ch->name);
	if (is_err)
		log_warn("%s: %s", ch->name, text);
	else
		log_info("%s: %s", ch->name, text);
}

/* Split what was read into lines; a line longer than the buffer is cut. */
static void feed_lines(struct sv_child *ch, struct sv_linebuf *lb, const char *data, size_t n, bool is_err)
{
	for (size_t i = 0; i < n; i++) {
		char c = data[i];
		if (c == '\n' || lb->len == sizeof(lb->buf) - 1) {
			lb->buf[lb->len] = '\0';
			if (lb->len)
				emit_line(ch, lb->buf, is_err);
			lb->len = 0;
			if (c == '\n')
				continue;
		}
		lb->buf[lb->len++] = (c == '\0' || c == '\r') ? ' ' : c;
	}
}

/* Read what is there; true at end of file or on an error. */
static bool drain(struct sv_child *ch, int fd, struct sv_linebuf *lb, bool is_err)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			feed_lines(ch, lb, buf, (size_t)n, is_err);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		break;
	}
	if (lb->len) {
		lb->buf[lb->len] = '\0';
		emit_line(ch, lb->buf, is_err);
		lb->len = 0;
	}
	return true;
}

static void close_pipe(int *fd, struct ev_io **io)
{
	evloop_io_del(*io);
	*io = NULL;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void on_child_output(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct sv_child *ch = arg;
	bool is_err = fd == ch->err_fd;

	(void)loop;
	(void)events;
	if (drain(ch, fd, is_err ? &ch->err_line : &ch->out_line, is_err)) {
		if (is_err)
			close_pipe(&ch->err_fd, &ch->err_io);
		else
			close_pipe(&ch->out_fd, &ch->out_io);
	}
}

/* ---- children: life cycle ---- */

static void describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by SIG%s", sigabbrev_np(WTERMSIG(status)) ?
			 sigabbrev_np(WTERMSIG(status)) : "?");
	else
		snprintf(buf, len, "status 0x%x", status);
}

static void on_child_timer(struct evloop *loop, void *arg)
{
	struct sv_child *ch = arg;

	(void)loop;
	if (ch->state == SV_BACKOFF && ch->want) {
		ch->restarts++;
		log_notice("%s: restarting (restart %u)", ch->name, ch->restarts);
		child_start(ch);
	} else if (ch->state == SV_STOPPING && ch->pid > 0) {
		kill_after_grace(ch);
	}
}

/* After an exit or a failed start: wait, then try again. */
static void child_schedule_restart(struct sv_child *ch, uint64_t now)
{
	if (!ch->backoff_ns)
		ch->backoff_ns = ch->timing.backoff_min_ns;
	ch->state = SV_BACKOFF;
	ch->restart_at_ns = now + ch->backoff_ns;
	if (ch->timer)
		evloop_timer_arm_at(ch->timer, ch->restart_at_ns);
	ch->backoff_ns = ch->backoff_ns * 2 > ch->timing.backoff_max_ns ? ch->timing.backoff_max_ns : ch->backoff_ns * 2;
}

static void child_start(struct sv_child *ch)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	uint64_t now = evloop_now_ns();

	if (!ch->argv) {
		ch->state = SV_STOPPED;
		return;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		log_err("%s: cannot create pipes: %s", ch->name, strerror(errno));
		goto fail;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		log_err("%s: cannot fork: %s", ch->name, strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		/* The child: its own process group (a Ctrl-C to tsnd's terminal is
		 * tsnd's business), dies with tsnd, default signals, fds 0-2 only. */
		sigset_t none;
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		close_range(3, ~0u, 0);
		execv(ch->argv[0], ch->argv);
		dprintf(STDERR_FILENO, "cannot execute %s: %s\n", ch->argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	ch->out_fd = out[0];
	ch->err_fd = err[0];
	ch->out_io = evloop_io_add(ch->loop, ch->out_fd, EPOLLIN, on_child_output, ch);
	ch->err_io = evloop_io_add(ch->loop, ch->err_fd, EPOLLIN, on_child_output, ch);
	ch->pid = pid;
	ch->state = SV_RUNNING;
	ch->started_ns = now;
	ch->started_wall = time(NULL);
	ch->restart_pending = false;
	log_info("%s: started, pid %d: %s %s %s", ch->name, (int)pid, ch->argv[0],
		 ch->argv[1] ? ch->argv[1] : "", ch->argv[1] && ch->argv[2] ? ch->argv[2] : "");
	if (ch->on_started)
		ch->on_started(ch->arg);
	return;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	child_schedule_restart(ch, now);
}

/* Stop the child; with `restart`, start it again (new argv) once it is gone. */
void sv_child_stop(struct sv_child *ch, bool restart)
{
	switch (ch->state) {
	case SV_RUNNING:
		ch->restart_pending = restart;
		ch->state = SV_STOPPING;
		kill(ch->pid, SIGTERM);
		if (ch->timer)
			evloop_timer_arm_at(ch->timer, evloop_now_ns() + ch->timing.stop_grace_ns);
		break;
	case SV_STOPPING:
		ch->restart_pending = restart;
		break;
	case SV_BACKOFF:
		if (ch->timer)
			evloop_timer_disarm(ch->timer);
		ch->state = SV_STOPPED;
		/* fall through */
	case SV_STOPPED:
		if (restart && ch->want) {
			ch->backoff_ns = 0;
			child_start(ch);
		}
		break;
	}
}

static void child_exited(struct sv_child *ch, int status)
{
	uint64_t now = evloop_now_ns();
	char how[64];

	if (ch->out_fd >= 0) {
		drain(ch, ch->out_fd, &ch->out_line, false);
		close_pipe(&ch->out_fd, &ch->out_io);
	}
	if (ch->err_fd >= 0) {
		drain(ch, ch->err_fd, &ch->err_line, true);
		close_pipe(&ch->err_fd, &ch->err_io);
	}
	describe_status(status, how, sizeof(how));
	pid_t pid = ch->pid;
	ch->pid = 0;
	ch->has_exit = true;
	snprintf(ch->last_exit, sizeof(ch->last_exit), "%s", how);
	ch->last_exit_wall = time(NULL);
	ch->last_run_ns = now - ch->started_ns;
	if (ch->timer)
		evloop_timer_disarm(ch->timer);

	if (ch->state == SV_STOPPING) {
		ch->last_exit_expected = true;
		ch->state = SV_STOPPED;
		log_info("%s (pid %d) stopped: %s", ch->name, (int)pid, how);
		if (ch->restart_pending && ch->want) {
			ch->backoff_ns = 0;
			child_start(ch);
		}
		return;
	}
	ch->last_exit_expected = false;
	if (ch->last_run_ns >= ch->timing.stable_ns)
		ch->backoff_ns = ch->timing.backoff_min_ns;
	if (!ch->want) {
		ch->state = SV_STOPPED;
		return;
	}
	child_schedule_restart(ch, now);
	log_warn("%s (pid %d) exited unexpectedly (%s) after %llus; restarting in %llus", ch->name,
		 (int)pid, how, (unsigned long long)(ch->last_run_ns / 1000000000ull),
		 (unsigned long long)((ch->restart_at_ns - now + 999999999ull) / 1000000000ull));
}

/* At shutdown: SIGTERM, wait up to the grace period, then SIGKILL. */
static void child_kill_sync(struct sv_child *ch)
{
	if (ch->pid <= 0)
		return;
	int status = 0;
	if (ch->state != SV_STOPPING)
		kill(ch->pid, SIGTERM);
	ch->state = SV_STOPPING;
	uint64_t deadline = evloop_now_ns() + ch->timing.stop_grace_ns;
	pid_t r;
	while ((r = waitpid(ch->pid, &status, WNOHANG)) == 0 && evloop_now_ns() < deadline) {
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	if (r == 0) {
		kill_after_grace(ch);
		r = waitpid(ch->pid, &status, 0);
	}
	ch->want = false;
	if (r == ch->pid)
		child_exited(ch, status);
	else
		ch->pid = 0;
}

int sv_child_init(struct sv_child *ch, struct evloop *loop, const char *name,
		  const struct sv_timing *timing, sv_started_fn on_started, void *arg)
{
	memset(ch, 0, sizeof(*ch));
	ch->loop = loop;
	ch->name = name;
	ch->timing = *timing;
	ch->on_started = on_started;
	ch->arg = arg;
	ch->out_fd = ch->err_fd = -1;
	if (loop) {
		ch->timer = evloop_timer_new(loop, on_child_timer, ch);
		if (!ch->timer)
			return -1;
	}
	return 0;
}

void sv_child_fini(struct sv_child *ch)
{
	child_kill_sync(ch);
	close_pipe(&ch->out_fd, &ch->out_io);
	close_pipe(&ch->err_fd, &ch->err_io);
	evloop_timer_free(ch->timer);
	ch->timer = NULL;
	sv_argv_free(ch->argv);
	ch->argv = NULL;
}

void sv_child_set_argv(struct sv_child *ch, char **argv)
{
	if (ch->argv != argv)
		sv_argv_free(ch->argv);
	ch->argv = argv;
}

void sv_child_reap(struct sv_child *ch)
{
	int status;

	if (ch->pid > 0 && waitpid(ch->pid, &status, WNOHANG) == ch->pid)
		child_exited(ch, status);
}

const char *sv_child_state_name(const struct sv_child *ch)
{
	switch (ch->state) {
	case SV_RUNNING: return "running";
	case SV_STOPPING: return "stopping";
	case SV_BACKOFF: return "restarting";
	default: return "stopped";
	}
}

json_object *sv_child_json(const struct sv_child *ch, bool needed, const char *why_not)
{
	json_object *o = json_object_new_object();
	char when[32];
	uint64_t now = evloop_now_ns();

	json_object_object_add(o, "state", json_object_new_string(needed || ch->pid > 0
									   ? sv_child_state_name(ch)
									   : "not-needed"));
	if (!needed && why_not)
		json_object_object_add(o, "message", json_object_new_string(why_not));
	json_object_object_add(o, "pid", ch->pid > 0 ? json_object_new_int(ch->pid) : NULL);
	json_object_object_add(o, "restarts", json_object_new_uint64(ch->restarts));
	if (ch->pid > 0) {
		tsn_format_rfc3339(ch->started_wall, when, sizeof(when));
		json_object_object_add(o, "started", json_object_new_string(when));
		json_object_object_add(o, "uptime_s", json_object_new_uint64((now - ch->started_ns) / 1000000000ull));
	}
	if (ch->has_exit) {
		json_object *e = json_object_new_object();
		tsn_format_rfc3339(ch->last_exit_wall, when, sizeof(when));
		json_object_object_add(e, "time", json_object_new_string(when));
		json_object_object_add(e, "status", json_object_new_string(ch->last_exit));
		json_object_object_add(e, "expected", json_object_new_boolean(ch->last_exit_expected));
		json_object_object_add(e, "ran_s", json_object_new_uint64(ch->last_run_ns / 1000000000ull));
		json_object_object_add(o, "last_exit", e);
	} else {
		json_object_object_add(o, "last_exit", NULL);
	}
	if (ch->state == SV_BACKOFF)
		json_object_object_add(o, "restart_in_ms", json_object_new_uint64(
			ch->restart_at_ns > now ? (ch->restart_at_ns - now) / 1000000ull : 0));
	if (ch->argv) {
		json_object *a = json_object_new_array();
		for (char **s = ch->argv; *s; s++)
			json_object_array_add(a, json_object_new_string(*s));
		json_object_object_add(o, "command", a);
	}
	return o;
}

