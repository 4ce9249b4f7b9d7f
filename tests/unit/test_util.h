/* SPDX-License-Identifier: GPL-2.0-only */
/* test_util.h — small helpers shared by the CUnit test binaries (header-only, so the
 * Makefile's one-file-per-test rule still holds).
 *
 *   tu_sh("ip link add %s type veth ...", name)   run a shell command, report failures
 *   tu_sh_json("ip -j link show")                  parse a command's JSON output
 *   tu_jget(obj, "key")                            a member or NULL
 *   tu_netns_enter() / tu_netns_leave()            run the test in a private network
 *                                                  namespace that dies with it
 *   return tu_run_tests();                         run the registry, print CUnit's
 *                                                  summary, exit status 0 or 1
 *   tu_scale(65536, 4096)                          a size test's count: the second
 *                                                  under valgrind
 */
#ifndef TSN_TEST_UTIL_H
#define TSN_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <json.h>
#include <valgrind/valgrind.h>

static int tu_host_netns = -1;

/* A test of scale (bounded time at 65 536 entries) proves it in the plain and
 * sanitizer runs; valgrind, 20-50x slower, checks the same code's memory on a
 * smaller count, which keeps the suite within its time. */
__attribute__((unused))
static size_t tu_scale(size_t full, size_t under_valgrind)
{
	return RUNNING_ON_VALGRIND ? under_valgrind : full;
}

__attribute__((format(printf, 1, 2), unused))
static int tu_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "\n  command failed (%d): %s", rc, cmd);
	return rc;
}

/* Run a command that prints JSON (iproute2 -j, ...) and parse its output. */
__attribute__((unused))
static json_object *tu_sh_json(const char *cmd)
{
	size_t cap = 1 << 16, len = 0, n;
	char *buf = malloc(cap);
	FILE *f = popen(cmd, "r");

	if (!f || !buf) {
		if (f)
			pclose(f);
		free(buf);
		return NULL;
	}
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	pclose(f);
	json_object *obj = json_tokener_parse(buf);
	free(buf);
	return obj;
}

__attribute__((unused))
static json_object *tu_jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Move the process into a new network namespace; everything created there goes away
 * when tu_netns_leave drops the last reference (or the process dies). */
__attribute__((unused))
static int tu_netns_enter(void)
{
	tu_host_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (tu_host_netns < 0 || unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "cannot make a network namespace (root needed): %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

__attribute__((unused))
static void tu_netns_leave(void)
{
	if (tu_host_netns < 0)
		return;
	if (setns(tu_host_netns, CLONE_NEWNET) < 0)
		perror("setns back to the original network namespace");
	close(tu_host_netns);
	tu_host_netns = -1;
}

/* Run every registered suite verbosely; CUnit's run summary ends the output. */
__attribute__((unused))
static int tu_run_tests(void)
{
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
			  CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

#endif
