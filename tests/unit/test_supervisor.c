/* SPDX-License-Identifier: GPL-2.0-only */
/* test_supervisor.c — daemon/core/supervisor.c with real processes (/bin/sh, sleep)
 * on a real event loop: output to the log, restarts after an unexpected exit,
 * a planned restart with a new command line, SIGKILL after the grace period.
 * Nothing here is PTP: the supervisor knows no more than a command line. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "evloop.h"
#include "supervisor.h"
#include "test_util.h"
#include "tsn/log.h"

static const struct sv_timing fast = {
	.backoff_min_ns = 20000000ull,		/* 20 ms */
	.backoff_max_ns = 80000000ull,
	.stable_ns = 60000000000ull,
	.stop_grace_ns = 300000000ull,		/* 300 ms */
};

/* The same with a grace period no slow run outlasts (valgrind, a loaded CI
 * machine): for tests that expect the child to die of SIGTERM itself. */
static const struct sv_timing patient = {
	.backoff_min_ns = 20000000ull,
	.backoff_max_ns = 80000000ull,
	.stable_ns = 60000000000ull,
	.stop_grace_ns = 30000000000ull,	/* 30 s */
};

struct fixture {
	struct evloop *loop;
	struct ev_signals *sig;
	struct ev_timer *tick;
	struct sv_child ch;
	unsigned starts;
	bool (*done)(const struct fixture *f);
};

static struct fixture fx;

static char **argv_of(const char *a, const char *b, const char *c)
{
	char **v = calloc(4, sizeof(*v));

	v[0] = strdup(a);
	v[1] = b ? strdup(b) : NULL;
	v[2] = b && c ? strdup(c) : NULL;
	return v;
}

static void on_started(void *arg)
{
	((struct fixture *)arg)->starts++;
}

static void on_sigchld(struct evloop *loop, int signo, void *arg)
{
	(void)loop;
	(void)signo;
	sv_child_reap(&((struct fixture *)arg)->ch);
}

static void on_tick(struct evloop *loop, void *arg)
{
	struct fixture *f = arg;

	if (f->done(f))
		evloop_stop(loop);
	else
		evloop_timer_arm_at(f->tick, evloop_now_ns() + 10000000ull);
}

static void on_deadline(struct evloop *loop, void *arg)
{
	(void)arg;
	evloop_stop(loop);
}

/* Run the loop until done(f) holds or 10 s passed; the verdict is done(f). */
static bool run_until(bool (*done)(const struct fixture *f))
{
	struct ev_timer *deadline = evloop_timer_new(fx.loop, on_deadline, NULL);

	fx.done = done;
	evloop_timer_arm_at(deadline, evloop_now_ns() + 10000000000ull);
	evloop_timer_arm_at(fx.tick, evloop_now_ns());
	evloop_run(fx.loop);
	evloop_timer_free(deadline);
	return done(&fx);
}

static int setup_with(const struct sv_timing *timing)
{
	static const int sigs[] = { SIGCHLD };

	memset(&fx, 0, sizeof(fx));
	fx.loop = evloop_new();
	if (!fx.loop)
		return -1;
	fx.sig = evloop_signals_new(fx.loop, sigs, 1, on_sigchld, &fx);
	fx.tick = evloop_timer_new(fx.loop, on_tick, &fx);
	if (!fx.sig || !fx.tick)
		return -1;
	return sv_child_init(&fx.ch, fx.loop, "job", timing, on_started, &fx);
}

static int setup(void)
{
	return setup_with(&patient);
}

static int teardown(void)
{
	sv_child_fini(&fx.ch);
	evloop_timer_free(fx.tick);
	evloop_signals_free(fx.sig);
	evloop_free(fx.loop);
	return 0;
}

/* The child's output, read back from tsnd's log (stderr, redirected). */
static char *log_text(const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static bool restarted_twice(const struct fixture *f)
{
	return f->ch.restarts >= 2 && f->ch.state == SV_RUNNING;
}

static void test_output_and_restarts(void)
{
	char path[] = "/tmp/test_supervisor.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);

	CU_ASSERT_FATAL(fd >= 0 && saved >= 0);
	CU_ASSERT_EQUAL_FATAL(setup(), 0);
	dup2(fd, STDERR_FILENO);
	sv_child_set_argv(&fx.ch, argv_of("/bin/sh", "-c",
					  "echo 'job[12.5]: hello'; echo oops >&2; exit 3"));
	fx.ch.want = true;
	sv_child_stop(&fx.ch, true);		/* not running: starts it */
	bool ok = run_until(restarted_twice);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);

	CU_ASSERT_TRUE(ok);
	CU_ASSERT_TRUE(fx.starts >= 3);
	CU_ASSERT_TRUE(fx.ch.has_exit);
	CU_ASSERT_STRING_EQUAL(fx.ch.last_exit, "exit status 3");
	CU_ASSERT_FALSE(fx.ch.last_exit_expected);
	/* The back-off doubled from its minimum, within its maximum. */
	CU_ASSERT_TRUE(fx.ch.backoff_ns > patient.backoff_min_ns && fx.ch.backoff_ns <= patient.backoff_max_ns);
	/* stdout at info, stderr at warning, the program's own prefix dropped. */
	const char *text = log_text(path);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "job: hello"));
	CU_ASSERT_PTR_NULL(strstr(text, "job: job[12.5]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "job: oops"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "exited unexpectedly (exit status 3)"));
	unlink(path);
	teardown();
}

static pid_t first_pid;

static bool replaced(const struct fixture *f)
{
	return f->ch.state == SV_RUNNING && f->ch.pid > 0 && f->ch.pid != first_pid;
}

static bool running(const struct fixture *f)
{
	return f->ch.state == SV_RUNNING && f->ch.pid > 0;
}

static bool stopped(const struct fixture *f)
{
	return f->ch.state == SV_STOPPED && f->ch.pid == 0;
}

static void test_planned_restart_and_stop(void)
{
	CU_ASSERT_EQUAL_FATAL(setup(), 0);
	sv_child_set_argv(&fx.ch, argv_of("/bin/sleep", "30", NULL));
	fx.ch.want = true;
	sv_child_stop(&fx.ch, true);
	CU_ASSERT_TRUE_FATAL(run_until(running));
	first_pid = fx.ch.pid;

	/* A new command line: the old process is stopped, the new one started. */
	sv_child_set_argv(&fx.ch, argv_of("/bin/sleep", "31", NULL));
	sv_child_stop(&fx.ch, true);
	CU_ASSERT_TRUE(run_until(replaced));
	CU_ASSERT_EQUAL(fx.ch.restarts, 0);		/* planned: not a failure restart */
	CU_ASSERT_TRUE(fx.ch.last_exit_expected);
	CU_ASSERT_STRING_EQUAL(fx.ch.last_exit, "killed by SIGTERM");
	CU_ASSERT_EQUAL(kill(first_pid, 0), -1);

	json_object *j = sv_child_json(&fx.ch, true, NULL);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(j, "state")), "running");
	CU_ASSERT_EQUAL(json_object_get_int(tu_jget(j, "pid")), fx.ch.pid);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(
		json_object_array_get_idx(tu_jget(j, "command"), 1)), "31");
	json_object_put(j);

	/* Not wanted any more: stopped, and not started again. */
	pid_t pid = fx.ch.pid;
	fx.ch.want = false;
	sv_child_stop(&fx.ch, false);
	CU_ASSERT_TRUE(run_until(stopped));
	CU_ASSERT_EQUAL(kill(pid, 0), -1);
	j = sv_child_json(&fx.ch, false, "not configured");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(j, "state")), "not-needed");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(j, "message")), "not configured");
	CU_ASSERT_PTR_NULL(tu_jget(j, "pid"));
	json_object_put(j);
	teardown();
}

/* The shell has set its trap and become sleep. */
static bool execed_sleep(const struct fixture *f)
{
	char path[64], comm[32] = "";
	FILE *p;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)f->ch.pid);
	p = fopen(path, "r");
	if (p) {
		if (!fgets(comm, sizeof(comm), p))
			comm[0] = '\0';
		fclose(p);
	}
	return strcmp(comm, "sleep\n") == 0;
}

/* A child that ignores SIGTERM gets SIGKILL after the grace period. */
static void test_kill_after_grace(void)
{
	CU_ASSERT_EQUAL_FATAL(setup_with(&fast), 0);
	/* An ignored signal stays ignored across exec: sleep ignores SIGTERM. */
	sv_child_set_argv(&fx.ch, argv_of("/bin/sh", "-c", "trap '' TERM; exec sleep 30"));
	fx.ch.want = true;
	sv_child_stop(&fx.ch, true);
	CU_ASSERT_TRUE_FATAL(run_until(running));
	CU_ASSERT_TRUE_FATAL(run_until(execed_sleep));
	fx.ch.want = false;
	sv_child_stop(&fx.ch, false);
	CU_ASSERT_TRUE(run_until(stopped));
	CU_ASSERT_STRING_EQUAL(fx.ch.last_exit, "killed by SIGKILL");
	CU_ASSERT_TRUE(fx.ch.last_exit_expected);
	teardown();
}

int main(void)
{
	tsn_log_setup("test_supervisor", TSN_LOG_STDERR, TSN_LOG_INFO);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("supervisor", NULL, NULL);
	CU_add_test(s, "output and restarts", test_output_and_restarts);
	CU_add_test(s, "planned restart and stop", test_planned_restart_and_stop);
	CU_add_test(s, "SIGKILL after the grace period", test_kill_after_grace);
	return tu_run_tests();
}
