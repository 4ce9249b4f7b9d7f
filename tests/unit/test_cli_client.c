/* SPDX-License-Identifier: GPL-2.0-only */
/* test_cli_client.c — tsnctl's client (cli/client.c) against a forked peer on a
 * real UNIX socket: answers in pieces, large, garbled, too long, late, absent;
 * an unreachable daemon and a refused permission. */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

/* The unit-test rule does not link the CLI objects: compiled in here.  The
 * exit statuses for client errors and the readers come from the output side. */
#include "../../cli/client.c"
#include "../../cli/output.c"
#include "../../cli/render_bridge.c"
#include "../../cli/render_latency.c"
#include "../../cli/render_ptp.c"
#include "../../cli/render_schedule.c"
#include "../../cli/render_status.c"
#include "../../cli/render_streams.c"
#include "../../cli/render_frer.c"
#include "../../cli/render_util.c"
#include "../../cli/table.c"
#include "test_util.h"

/* ---- client against a real socket ---------------------------------------------------
 * A forked peer accepts one connection, reads the request and then behaves as the
 * test asks: answers properly (in one-byte pieces), with the wrong id, with
 * garbage, with an endless line, not at all, or closes. */

enum peer_mode {
	PEER_ANSWER_BYTEWISE,
	PEER_ANSWER_LARGE,	/* ~1 MiB of data, well under the client's limit */
	PEER_WRONG_ID,
	PEER_GARBAGE,
	PEER_OVERSIZED,		/* a line longer than TSN_CTL_MAX_RESPONSE */
	PEER_SILENT,
	PEER_CLOSE,
	PEER_HALF_LINE,
};

static char sock_dir[32];
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static int client_suite_init(void)
{
	snprintf(sock_dir, sizeof(sock_dir), "/tmp/tsnctl-test.XXXXXX");
	if (!mkdtemp(sock_dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/tsnd.sock", sock_dir);
	return 0;
}

static int client_suite_clean(void)
{
	unlink(sock_path);
	return rmdir(sock_dir);
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void peer_serve(int lfd, enum peer_mode mode)
{
	struct tsn_ctl_framer f;
	struct tsn_ctl_request req;
	char buf[4096], err[256];
	const char *line = NULL;
	size_t len;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		_exit(1);
	tsn_ctl_framer_init(&f, TSN_CTL_DEFAULT_MAX_REQUEST);
	while (!(line = tsn_ctl_framer_next(&f, &len))) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			_exit(1);
		tsn_ctl_framer_push(&f, buf, (size_t)n);
	}
	if (tsn_ctl_request_decode(line, len, &req, err, sizeof(err)) != TSN_CTL_OK)
		_exit(1);

	struct tsn_ctl_response resp = { .version = 1, .id = req.id, .code = TSN_CTL_OK };
	json_object *data = json_object_new_object();
	json_object_object_add(data, "command", json_object_new_string(req.command));
	json_object_object_add(data, "args", json_object_get(req.args));
	if (mode == PEER_ANSWER_LARGE) {
		char *big = malloc(1 << 20);
		memset(big, 'x', (1 << 20) - 1);
		big[(1 << 20) - 1] = '\0';
		json_object_object_add(data, "big", json_object_new_string(big));
		free(big);
	}
	if (mode == PEER_WRONG_ID)
		resp.id = req.id + 1;
	resp.data = data;
	char *answer = tsn_ctl_response_encode(&resp, &len);

	switch (mode) {
	case PEER_ANSWER_BYTEWISE:
		for (size_t i = 0; i < len; i++) {
			write_all(fd, answer + i, 1);
			usleep(100);
		}
		break;
	case PEER_ANSWER_LARGE:
	case PEER_WRONG_ID:
		write_all(fd, answer, len);
		break;
	case PEER_GARBAGE:
		write_all(fd, "{\"version\":1,\"id\":\n", 19);
		break;
	case PEER_OVERSIZED:
		memset(buf, ' ', sizeof(buf));
		for (size_t sent = 0; sent <= TSN_CTL_MAX_RESPONSE; sent += sizeof(buf))
			write_all(fd, buf, sizeof(buf));
		break;
	case PEER_SILENT:
		pause();	/* killed by the test */
		break;
	case PEER_HALF_LINE:
		write_all(fd, answer, len / 2);
		break;
	case PEER_CLOSE:
		break;
	}
	free(answer);
	json_object_put(data);
	tsn_ctl_request_release(&req);
	tsn_ctl_framer_free(&f);
	close(fd);
	close(lfd);
	_exit(0);
}

/* Start a peer listening on sock_path; returns its pid. */
static pid_t peer_start(enum peer_mode mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);

	unlink(sock_path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	CU_ASSERT_FATAL(lfd >= 0);
	CU_ASSERT_FATAL(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_FATAL(listen(lfd, 4) == 0);
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		peer_serve(lfd, mode);
	close(lfd);
	return pid;
}

static void peer_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(sock_path);
}

static int64_t elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void test_client_answer_in_pieces(void)
{
	struct tsn_ctl_response resp;
	struct client_error e;
	json_object *args = json_object_new_object();
	json_object_object_add(args, "dev", json_object_new_string("sw0p1"));

	pid_t pid = peer_start(PEER_ANSWER_BYTEWISE);
	int ret = client_request(sock_path, 5000, "port.show", args, &resp, &e);
	peer_stop(pid);
	json_object_put(args);

	CU_ASSERT_EQUAL_FATAL(ret, 0);
	CU_ASSERT_EQUAL(resp.code, TSN_CTL_OK);
	CU_ASSERT_STRING_EQUAL(jstr(resp.data, "command"), "port.show");
	CU_ASSERT_STRING_EQUAL(jstr(jget(resp.data, "args"), "dev"), "sw0p1");
	tsn_ctl_response_release(&resp);
}

static void test_client_large_answer(void)
{
	struct tsn_ctl_response resp;
	struct client_error e;

	pid_t pid = peer_start(PEER_ANSWER_LARGE);
	int ret = client_request(sock_path, 5000, "config.show", NULL, &resp, &e);
	peer_stop(pid);

	CU_ASSERT_EQUAL_FATAL(ret, 0);
	CU_ASSERT_EQUAL(strlen(jstr(resp.data, "big")), (1u << 20) - 1);
	tsn_ctl_response_release(&resp);
}

/* Run one exchange against a misbehaving peer and check how it fails. */
static void expect_failure(enum peer_mode mode, int timeout_ms, enum client_failure kind,
			   const char *detail_part)
{
	struct tsn_ctl_response resp;
	struct client_error e;

	pid_t pid = peer_start(mode);
	int ret = client_request(sock_path, timeout_ms, "status", NULL, &resp, &e);
	peer_stop(pid);

	CU_ASSERT_EQUAL(ret, -1);
	CU_ASSERT_EQUAL(e.kind, kind);
	CU_ASSERT_PTR_NULL(resp.data);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.detail, detail_part));
	if (!strstr(e.detail, detail_part))
		fprintf(stderr, "\ndetail: %s\n", e.detail);
	CU_ASSERT_EQUAL(output_exit_for_client_error(&e), TSNCTL_EXIT_PROTOCOL);
}

static void test_client_wrong_id(void)
{
	expect_failure(PEER_WRONG_ID, 5000, CLIENT_PROTOCOL, "the answer carries id");
}

static void test_client_garbage(void)
{
	expect_failure(PEER_GARBAGE, 5000, CLIENT_PROTOCOL, "garbled answer from tsnd");
}

static void test_client_oversized(void)
{
	expect_failure(PEER_OVERSIZED, 20000, CLIENT_PROTOCOL, "longer than the 16777216 bytes");
}

static void test_client_closed(void)
{
	expect_failure(PEER_CLOSE, 5000, CLIENT_PROTOCOL, "closed the connection without answering");
	expect_failure(PEER_HALF_LINE, 5000, CLIENT_PROTOCOL, "in the middle of its answer");
}

static void test_client_timeout(void)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	expect_failure(PEER_SILENT, 300, CLIENT_TIMEOUT, "no answer from tsnd within 0.3 s");
	int64_t ms = elapsed_ms(&start);
	CU_ASSERT(ms >= 290 && ms < 3000);
}

static void test_client_unreachable(void)
{
	struct tsn_ctl_response resp;
	struct client_error e;

	/* No socket file at all. */
	unlink(sock_path);
	CU_ASSERT_EQUAL(client_request(sock_path, 1000, "status", NULL, &resp, &e), -1);
	CU_ASSERT_EQUAL(e.kind, CLIENT_CONNECT);
	CU_ASSERT_EQUAL(e.errnum, ENOENT);
	CU_ASSERT_EQUAL(output_exit_for_client_error(&e), TSNCTL_EXIT_UNREACHABLE);

	/* A socket file nobody listens on (a daemon that died). */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	CU_ASSERT_EQUAL(client_request(sock_path, 1000, "status", NULL, &resp, &e), -1);
	CU_ASSERT_EQUAL(e.kind, CLIENT_CONNECT);
	CU_ASSERT_EQUAL(e.errnum, ECONNREFUSED);
	CU_ASSERT_EQUAL(output_exit_for_client_error(&e), TSNCTL_EXIT_UNREACHABLE);
	unlink(sock_path);

	/* A path longer than sun_path allows. */
	char long_path[200];
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	CU_ASSERT_EQUAL(client_request(long_path, 1000, "status", NULL, &resp, &e), -1);
	CU_ASSERT_EQUAL(e.errnum, ENAMETOOLONG);
}

/* connect() is refused with EACCES when the socket file is not writable: checked
 * as an unprivileged user, since root passes every permission check. */
static void test_client_permission(void)
{
	struct tsn_ctl_response resp;
	struct client_error e;

	if (getuid() != 0) {
		fprintf(stderr, "(needs root to switch to an unprivileged user: not checked) ");
		return;
	}
	pid_t pid = peer_start(PEER_CLOSE);

	CU_ASSERT_FATAL(chmod(sock_path, 0600) == 0);
	CU_ASSERT_FATAL(chmod(sock_dir, 0755) == 0);
	pid_t child = fork();
	CU_ASSERT_FATAL(child >= 0);
	if (child == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(99);
		int ret = client_request(sock_path, 1000, "status", NULL, &resp, &e);
		_exit(ret == -1 && e.kind == CLIENT_CONNECT && e.errnum == EACCES &&
		      output_exit_for_client_error(&e) == TSNCTL_EXIT_PERMISSION ? 0 : 1);
	}
	int wstatus;
	waitpid(child, &wstatus, 0);
	chmod(sock_dir, 0700);
	peer_stop(pid);
	CU_ASSERT(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} client_tests[] = {
		{ "answer in one-byte pieces", test_client_answer_in_pieces },
		{ "1 MiB answer", test_client_large_answer },
		{ "answer with the wrong id", test_client_wrong_id },
		{ "garbled answer", test_client_garbage },
		{ "answer over the size limit", test_client_oversized },
		{ "peer closes early", test_client_closed },
		{ "timeout", test_client_timeout },
		{ "daemon not reachable", test_client_unreachable },
		{ "permission denied", test_client_permission },
	};

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite cli = CU_add_suite("tsnctl client", client_suite_init, client_suite_clean);
	if (!cli)
		goto fail;
	for (size_t i = 0; i < sizeof(client_tests) / sizeof(client_tests[0]); i++)
		if (!CU_add_test(cli, client_tests[i].name, client_tests[i].fn))
			goto fail;
	return tu_run_tests();
fail:
	CU_cleanup_registry();
	return 1;
}
