/* ptp.c — time synchronisation, the running half: supervision of ptp4l and
 * phc2sys, tsnd's own management session, the sync-state machine and the
 * status.  ptp_config.c plans what runs; docs/ptp.md describes the behaviour. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "ptp.h"
#include "tsn/log.h"
#include "tsn/units.h"
#include "tsnd.h"

/* ====================================================================== */
/* Running state                                                          */
/* ====================================================================== */

static bool argv_equal(char **a, char **b)
{
	if (!a || !b)
		return a == b;
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b) != 0)
			return false;
	return !*a && !*b;
}

static bool str_equal(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

enum child_state { CHILD_STOPPED, CHILD_RUNNING, CHILD_STOPPING, CHILD_BACKOFF };

struct linebuf {
	char buf[1024];
	size_t len;
};

struct child {
	struct ptp *ptp;
	const char *name;		/* "ptp4l", "phc2sys" */
	char **argv;			/* the command line in force */
	bool want;			/* should run */
	bool restart_pending;		/* stopping for a new configuration: start again at exit */
	enum child_state state;
	pid_t pid;
	int out_fd, err_fd;
	struct ev_io *out_io, *err_io;
	struct linebuf out_line, err_line;
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

struct pport {
	char name[IFNAMSIZ];
	int delay;			/* effective enum tsn_ptp_delay */
	uint16_t number;		/* PTP port number: config order, confirmed by PORT_PROPERTIES_NP */
	bool have_ds, have_props;
	struct pmc_port_ds ds;
	struct pmc_port_props props;
};

struct sample {
	uint64_t t_ns;
	int64_t offset_ns;
};

struct req {
	uint16_t seq;
	uint16_t id;
	uint64_t sent_ns;
	bool open;
};

struct pending {
	bool enabled;
	struct ptp_plan plan;
	char *conf, *phc2sys_conf;
	char **ptp4l_argv, **phc2sys_argv;
	char conf_tmp[TSN_PATH_MAX + 8], phc2sys_tmp[TSN_PATH_MAX + 8];
};

struct ptp {
	struct evloop *loop;
	struct pending *pending;

	/* configuration in force */
	bool enabled;
	bool free_running;
	int profile, transport, timestamping;
	uint32_t domain;
	unsigned transport_specific;
	int log_sync_interval;
	uint64_t lock_threshold_ns, lock_time_ns;
	char uds_address[TSN_SOCK_PATH_MAX];
	char client_path[TSN_SOCK_PATH_MAX];
	char conf_path[TSN_PATH_MAX];
	char *conf, *phc2sys_conf;	/* generated text in force */
	bool phc2sys_needed;
	struct pport *ports;
	size_t n_ports;

	struct child ptp4l, phc2sys;

	/* management session */
	struct pmc_uds uds;
	struct ev_io *uds_io;
	struct ev_timer *poll_timer;
	uint16_t seq;
	struct pmc_port_id self;
	struct req reqs[32];
	size_t next_req;
	uint64_t session_start_ns;	/* when this ptp4l run began to be asked */
	uint64_t last_rx_ns;
	uint64_t sent, received, timeouts, rejected, notifications;
	char last_reject[128];
	bool sub_ok, sub_unsupported;
	uint64_t sub_confirmed_ns, sub_sent_ns;
	uint64_t renewals;

	/* what ptp4l told */
	bool have_dds, have_cds, have_pds, have_tp, have_ts;
	struct pmc_default_ds dds;
	struct pmc_current_ds cds;
	struct pmc_parent_ds pds;
	struct pmc_time_props tp;
	struct pmc_time_status ts;

	/* sync state */
	enum ptp_sync_state sync;
	char sync_reason[192];
	uint64_t sync_since_ns;
	time_t sync_since_wall;
	bool was_locked;
	bool streak;			/* every sample since streak_since within the threshold */
	uint64_t streak_since_ns;
	uint64_t last_sample_ns;
	int64_t last_ingress_ns;
	int64_t last_offset_ns;
	uint8_t sample_gm[8];
	bool have_sample_gm;
	struct sample window[PTP_WINDOW_MAX];
	size_t win_head, win_count;

	ptp_lock_fn lock_fn;
	void *lock_arg;
	bool test_running;		/* ptp_test_setup: pretend ptp4l runs */
};

static void update_kernel_tai(struct ptp *p);

static void mgmt_reset_data(struct ptp *p);
static void evaluate(struct ptp *p, uint64_t now);
static void child_start(struct child *ch);

static bool ptp4l_running(const struct ptp *p)
{
	return p->test_running || p->ptp4l.state == CHILD_RUNNING;
}

/* ---- children: output ---- */

/* "ptp4l[1234.567]: text" -> "text": tsnd adds its own prefix. */
static const char *strip_prog_prefix(const char *line, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(line, name, n) != 0 || line[n] != '[')
		return line;
	const char *end = strstr(line + n, "]: ");
	return end ? end + 3 : line;
}

static void emit_line(struct child *ch, const char *line, bool is_err)
{
	const char *text = strip_prog_prefix(line, ch->name);
	if (is_err)
		log_warn("%s: %s", ch->name, text);
	else
		log_info("%s: %s", ch->name, text);
}

/* Split what was read into lines; a line longer than the buffer is cut. */
static void feed_lines(struct child *ch, struct linebuf *lb, const char *data, size_t n, bool is_err)
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
static bool drain(struct child *ch, int fd, struct linebuf *lb, bool is_err)
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
	struct child *ch = arg;
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
	struct child *ch = arg;

	(void)loop;
	if (ch->state == CHILD_BACKOFF && ch->want) {
		ch->restarts++;
		log_notice("%s: restarting (restart %u)", ch->name, ch->restarts);
		child_start(ch);
	} else if (ch->state == CHILD_STOPPING && ch->pid > 0) {
		log_warn("%s (pid %d) did not stop within %llus of SIGTERM; killing it", ch->name,
			 (int)ch->pid, PTP_STOP_GRACE_NS / 1000000000ull);
		kill(ch->pid, SIGKILL);
	}
}

/* After an exit or a failed start: wait, then try again. */
static void child_schedule_restart(struct child *ch, uint64_t now)
{
	if (!ch->backoff_ns)
		ch->backoff_ns = PTP_BACKOFF_MIN_NS;
	ch->state = CHILD_BACKOFF;
	ch->restart_at_ns = now + ch->backoff_ns;
	if (ch->timer)
		evloop_timer_arm_at(ch->timer, ch->restart_at_ns);
	ch->backoff_ns = ch->backoff_ns * 2 > PTP_BACKOFF_MAX_NS ? PTP_BACKOFF_MAX_NS : ch->backoff_ns * 2;
}

static void child_start(struct child *ch)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	uint64_t now = evloop_now_ns();

	if (!ch->argv) {
		ch->state = CHILD_STOPPED;
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
	ch->out_io = evloop_io_add(ch->ptp->loop, ch->out_fd, EPOLLIN, on_child_output, ch);
	ch->err_io = evloop_io_add(ch->ptp->loop, ch->err_fd, EPOLLIN, on_child_output, ch);
	ch->pid = pid;
	ch->state = CHILD_RUNNING;
	ch->started_ns = now;
	ch->started_wall = time(NULL);
	ch->restart_pending = false;
	log_info("%s: started, pid %d: %s %s %s", ch->name, (int)pid, ch->argv[0],
		 ch->argv[1] ? ch->argv[1] : "", ch->argv[1] && ch->argv[2] ? ch->argv[2] : "");
	if (ch == &ch->ptp->ptp4l)
		mgmt_reset_data(ch->ptp);
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
static void child_stop(struct child *ch, bool restart)
{
	switch (ch->state) {
	case CHILD_RUNNING:
		ch->restart_pending = restart;
		ch->state = CHILD_STOPPING;
		kill(ch->pid, SIGTERM);
		if (ch->timer)
			evloop_timer_arm_at(ch->timer, evloop_now_ns() + PTP_STOP_GRACE_NS);
		break;
	case CHILD_STOPPING:
		ch->restart_pending = restart;
		break;
	case CHILD_BACKOFF:
		if (ch->timer)
			evloop_timer_disarm(ch->timer);
		ch->state = CHILD_STOPPED;
		/* fall through */
	case CHILD_STOPPED:
		if (restart && ch->want) {
			ch->backoff_ns = 0;
			child_start(ch);
		}
		break;
	}
}

static void child_exited(struct child *ch, int status)
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

	if (ch->state == CHILD_STOPPING) {
		ch->last_exit_expected = true;
		ch->state = CHILD_STOPPED;
		log_info("%s (pid %d) stopped: %s", ch->name, (int)pid, how);
		if (ch->restart_pending && ch->want) {
			ch->backoff_ns = 0;
			child_start(ch);
		}
		return;
	}
	ch->last_exit_expected = false;
	if (ch->last_run_ns >= PTP_STABLE_NS)
		ch->backoff_ns = PTP_BACKOFF_MIN_NS;
	if (!ch->want) {
		ch->state = CHILD_STOPPED;
		return;
	}
	child_schedule_restart(ch, now);
	log_warn("%s (pid %d) exited unexpectedly (%s) after %llus; restarting in %llus", ch->name,
		 (int)pid, how, (unsigned long long)(ch->last_run_ns / 1000000000ull),
		 (unsigned long long)((ch->restart_at_ns - now + 999999999ull) / 1000000000ull));
}

/* At shutdown: SIGTERM, wait up to the grace period, then SIGKILL. */
static void child_kill_sync(struct child *ch)
{
	if (ch->pid <= 0)
		return;
	int status = 0;
	if (ch->state != CHILD_STOPPING)
		kill(ch->pid, SIGTERM);
	ch->state = CHILD_STOPPING;
	uint64_t deadline = evloop_now_ns() + PTP_STOP_GRACE_NS;
	pid_t r;
	while ((r = waitpid(ch->pid, &status, WNOHANG)) == 0 && evloop_now_ns() < deadline) {
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	if (r == 0) {
		log_warn("%s (pid %d) did not stop within %llus of SIGTERM; killing it", ch->name,
			 (int)ch->pid, PTP_STOP_GRACE_NS / 1000000000ull);
		kill(ch->pid, SIGKILL);
		r = waitpid(ch->pid, &status, 0);
	}
	ch->want = false;
	if (r == ch->pid)
		child_exited(ch, status);
	else
		ch->pid = 0;
}

static void child_init(struct ptp *p, struct child *ch, const char *name)
{
	memset(ch, 0, sizeof(*ch));
	ch->ptp = p;
	ch->name = name;
	ch->out_fd = ch->err_fd = -1;
	ch->timer = p->loop ? evloop_timer_new(p->loop, on_child_timer, ch) : NULL;
}

static void child_fini(struct child *ch)
{
	child_kill_sync(ch);
	close_pipe(&ch->out_fd, &ch->out_io);
	close_pipe(&ch->err_fd, &ch->err_io);
	evloop_timer_free(ch->timer);
	ch->timer = NULL;
	ptp_argv_free(ch->argv);
	ch->argv = NULL;
}

void ptp_on_sigchld(struct ptp *p)
{
	if (!p)
		return;
	struct child *children[] = { &p->ptp4l, &p->phc2sys };
	for (size_t i = 0; i < 2; i++) {
		struct child *ch = children[i];
		int status;
		if (ch->pid > 0 && waitpid(ch->pid, &status, WNOHANG) == ch->pid)
			child_exited(ch, status);
	}
	evaluate(p, evloop_now_ns());
}

/* ====================================================================== */
/* Management session                                                     */
/* ====================================================================== */

static void mgmt_reset_data(struct ptp *p)
{
	p->have_dds = p->have_cds = p->have_pds = p->have_tp = p->have_ts = false;
	for (size_t i = 0; i < p->n_ports; i++) {
		p->ports[i].have_ds = p->ports[i].have_props = false;
		p->ports[i].number = (uint16_t)(i + 1);
	}
	p->sub_ok = false;
	p->sub_unsupported = false;
	p->sub_confirmed_ns = p->sub_sent_ns = 0;
	p->last_rx_ns = 0;
	p->session_start_ns = evloop_now_ns();
	p->last_ingress_ns = 0;
	/* Samples of an earlier ptp4l say nothing about this one. */
	p->last_sample_ns = 0;
	p->streak = false;
	for (size_t i = 0; i < sizeof(p->reqs) / sizeof(p->reqs[0]); i++)
		p->reqs[i].open = false;
}

static void mgmt_send(struct ptp *p, uint8_t action, uint16_t id, uint64_t now)
{
	uint8_t buf[256];
	struct pmc_request req = {
		.action = action,
		.id = id,
		.domain = (uint8_t)p->domain,
		.transport_specific = (uint8_t)p->transport_specific,
		.sequence = p->seq++,
		.source = p->self,
		.target = pmc_wildcard(),
		.boundary_hops = 0,
	};
	ssize_t n = action == PMC_SET && id == PMC_ID_SUBSCRIBE_EVENTS_NP
			    ? pmc_build_subscribe(buf, sizeof(buf), &req, PTP_SUBSCRIBE_S,
						  1u << PMC_EVENT_PORT_STATE | 1u << PMC_EVENT_TIME_SYNC |
							  1u << PMC_EVENT_PARENT_DATA_SET)
			    : pmc_build(buf, sizeof(buf), &req);
	if (n < 0 || p->uds.fd < 0)
		return;
	if (pmc_uds_send(&p->uds, buf, (size_t)n) < 0) {
		/* ENOENT/ECONNREFUSED while ptp4l starts up: the next poll retries. */
		log_debug("ptp: sending %s to %s: %s", pmc_id_name(id), p->uds_address, strerror(errno));
		return;
	}
	p->sent++;
	struct req *r = &p->reqs[p->next_req++ % (sizeof(p->reqs) / sizeof(p->reqs[0]))];
	if (r->open)
		p->timeouts++;	/* overwritten before an answer came */
	*r = (struct req){ .seq = req.sequence, .id = id, .sent_ns = now, .open = true };
}

static struct pport *port_by_number(struct ptp *p, uint16_t number)
{
	for (size_t i = 0; i < p->n_ports; i++)
		if (p->ports[i].number == number)
			return &p->ports[i];
	return NULL;
}

static void window_add(struct ptp *p, uint64_t now, int64_t offset)
{
	size_t cap = PTP_WINDOW_MAX;
	p->window[(p->win_head + p->win_count) % cap] = (struct sample){ now, offset };
	if (p->win_count < cap)
		p->win_count++;
	else
		p->win_head = (p->win_head + 1) % cap;
}

static void window_expire(struct ptp *p, uint64_t now)
{
	while (p->win_count && now - p->window[p->win_head].t_ns > PTP_WINDOW_NS) {
		p->win_head = (p->win_head + 1) % PTP_WINDOW_MAX;
		p->win_count--;
	}
}

static uint64_t abs64(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* A new offset sample (a TIME_STATUS_NP whose ingress time moved). */
static void take_sample(struct ptp *p, const struct pmc_time_status *ts, uint64_t now)
{
	char id[24];

	if (!ts->gm_present || ts->ingress_time_ns == 0 || ts->ingress_time_ns == p->last_ingress_ns)
		return;
	p->last_ingress_ns = ts->ingress_time_ns;
	if (!p->have_sample_gm || memcmp(p->sample_gm, ts->gm_id, 8) != 0) {
		/* A new grandmaster: its offsets start a new window and a new lock. */
		if (p->have_sample_gm)
			log_notice("ptp: grandmaster is now %s", pmc_clock_id_str(ts->gm_id, id, sizeof(id)));
		memcpy(p->sample_gm, ts->gm_id, 8);
		p->have_sample_gm = true;
		p->win_count = p->win_head = 0;
		p->streak = false;
	}
	p->last_sample_ns = now;
	p->last_offset_ns = ts->master_offset_ns;
	window_add(p, now, ts->master_offset_ns);
	if (abs64(ts->master_offset_ns) < p->lock_threshold_ns) {
		if (!p->streak) {
			p->streak = true;
			p->streak_since_ns = now;
		}
	} else {
		p->streak = false;
	}
}

/* True if m answers one of our requests; else it is a notification. */
static bool mark_answered(struct ptp *p, const struct pmc_msg *m)
{
	for (size_t i = 0; i < sizeof(p->reqs) / sizeof(p->reqs[0]); i++) {
		struct req *r = &p->reqs[i];
		if (r->sent_ns && r->seq == m->sequence && r->id == m->id) {
			/* Several answers to one wildcard request (one per port). */
			r->open = false;
			return true;
		}
	}
	p->notifications++;
	return false;
}

void ptp_handle_datagram(struct ptp *p, const uint8_t *buf, size_t len, uint64_t now)
{
	struct pmc_msg m;
	int rc = pmc_parse(buf, len, &m);

	if (rc != PMC_OK) {
		p->rejected++;
		snprintf(p->last_reject, sizeof(p->last_reject), "%s (%zu bytes)", pmc_strerror(rc), len);
		log_debug("ptp: ignoring a message from ptp4l: %s", p->last_reject);
		return;
	}
	if (m.action != PMC_RESPONSE && m.action != PMC_ACKNOWLEDGE)
		return;		/* our own kind of message reflected: not an answer */
	p->received++;
	p->last_rx_ns = now;
	/* Answers to the poll are judged together at the next poll, so that one
	 * data set is never seen beside the stale rest; notifications at once. */
	bool notification = !mark_answered(p, &m);
	if (m.tlv_type == PMC_TLV_MANAGEMENT_ERROR_STATUS) {
		if (m.id == PMC_ID_SUBSCRIBE_EVENTS_NP && !p->sub_unsupported) {
			p->sub_unsupported = true;
			log_warn("ptp: ptp4l refuses SUBSCRIBE_EVENTS_NP (%s); tsnd polls only",
				 pmc_error_name(m.u.err.error_id));
		} else {
			log_debug("ptp: ptp4l answers %s with %s", pmc_id_name(m.id),
				  pmc_error_name(m.u.err.error_id));
		}
		return;
	}
	if (!m.has_data)
		return;
	struct pport *pp;
	switch (m.id) {
	case PMC_ID_DEFAULT_DATA_SET:
		p->dds = m.u.dds;
		p->have_dds = true;
		break;
	case PMC_ID_CURRENT_DATA_SET:
		p->cds = m.u.cds;
		p->have_cds = true;
		break;
	case PMC_ID_PARENT_DATA_SET:
		p->pds = m.u.pds;
		p->have_pds = true;
		break;
	case PMC_ID_TIME_PROPERTIES_DATA_SET:
		p->tp = m.u.tp;
		p->have_tp = true;
		update_kernel_tai(p);
		break;
	case PMC_ID_TIME_STATUS_NP:
		p->ts = m.u.ts;
		p->have_ts = true;
		take_sample(p, &m.u.ts, now);
		break;
	case PMC_ID_PORT_DATA_SET:
		pp = port_by_number(p, m.u.pods.id.port);
		if (pp) {
			if (pp->have_ds && pp->ds.state != m.u.pods.state)
				log_info("ptp: port %s: %s -> %s", pp->name, pmc_port_state_name(pp->ds.state),
					 pmc_port_state_name(m.u.pods.state));
			pp->ds = m.u.pods;
			pp->have_ds = true;
		}
		break;
	case PMC_ID_PORT_PROPERTIES_NP:
		for (size_t i = 0; i < p->n_ports; i++) {
			if (strcmp(p->ports[i].name, m.u.pp.iface) != 0)
				continue;
			/* ptp4l's numbering is authoritative: free the number first. */
			struct pport *other = port_by_number(p, m.u.pp.id.port);
			if (other && other != &p->ports[i])
				other->number = p->ports[i].number;
			p->ports[i].number = m.u.pp.id.port;
			p->ports[i].props = m.u.pp;
			p->ports[i].have_props = true;
		}
		break;
	case PMC_ID_SUBSCRIBE_EVENTS_NP:
		if (!p->sub_ok)
			log_info("ptp: subscribed to ptp4l's port-state and time-sync events for %us",
				 (unsigned)m.u.sub.duration_s);
		else
			p->renewals++;
		p->sub_ok = true;
		p->sub_confirmed_ns = now;
		break;
	}
	if (notification)
		evaluate(p, now);
}

static void on_uds_readable(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct ptp *p = arg;
	uint8_t buf[PMC_MSG_MAX + 1];

	(void)loop;
	(void)fd;
	(void)events;
	for (int i = 0; i < 64; i++) {
		bool from_server;
		ssize_t n = pmc_uds_recv(&p->uds, buf, sizeof(buf), &from_server);
		if (n < 0)
			break;
		if (!from_server) {
			p->rejected++;
			snprintf(p->last_reject, sizeof(p->last_reject), "datagram from a stranger");
			continue;
		}
		/* Longer than the buffer: pmc_parse sees PMC_MSG_MAX + 1 and refuses. */
		ptp_handle_datagram(p, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf),
				    evloop_now_ns());
	}
}

static void mgmt_close(struct ptp *p)
{
	evloop_io_del(p->uds_io);
	p->uds_io = NULL;
	pmc_uds_close(&p->uds);
}

static int mgmt_open(struct ptp *p, char *err, size_t errlen)
{
	if (pmc_uds_open(&p->uds, p->client_path, p->uds_address, err, errlen) < 0)
		return -1;
	p->uds_io = evloop_io_add(p->loop, p->uds.fd, EPOLLIN, on_uds_readable, p);
	if (!p->uds_io) {
		snprintf(err, errlen, "cannot watch the management socket: %s", strerror(errno));
		pmc_uds_close(&p->uds);
		return -1;
	}
	return 0;
}

static void on_poll(struct evloop *loop, void *arg)
{
	struct ptp *p = arg;
	uint64_t now = evloop_now_ns();
	static const uint16_t ids[] = {
		PMC_ID_DEFAULT_DATA_SET, PMC_ID_CURRENT_DATA_SET, PMC_ID_PARENT_DATA_SET,
		PMC_ID_TIME_PROPERTIES_DATA_SET, PMC_ID_TIME_STATUS_NP, PMC_ID_PORT_DATA_SET,
		PMC_ID_PORT_PROPERTIES_NP,
	};

	(void)loop;
	for (size_t i = 0; i < sizeof(p->reqs) / sizeof(p->reqs[0]); i++) {
		struct req *r = &p->reqs[i];
		if (r->open && now - r->sent_ns >= PTP_REQUEST_TIMEOUT_NS) {
			r->open = false;
			p->timeouts++;
		}
	}
	evaluate(p, now);
	if (p->enabled && ptp4l_running(p) && p->uds.fd >= 0) {
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			mgmt_send(p, PMC_GET, ids[i], now);
		bool due = !p->sub_ok || now - p->sub_confirmed_ns >= PTP_RENEW_NS;
		if (!p->sub_unsupported && due)
			mgmt_send(p, PMC_SET, PMC_ID_SUBSCRIBE_EVENTS_NP, now);
	}
	if (p->enabled)
		evloop_timer_arm_at(p->poll_timer, now + PTP_POLL_NS);
}

/* ====================================================================== */
/* Sync state                                                             */
/* ====================================================================== */

const char *ptp_sync_state_name(enum ptp_sync_state s)
{
	switch (s) {
	case PTP_SYNC_DISABLED: return "disabled";
	case PTP_SYNC_FAULT: return "fault";
	case PTP_SYNC_FREE_RUNNING: return "free-running";
	case PTP_SYNC_LOCKING: return "locking";
	case PTP_SYNC_LOCKED: return "locked";
	case PTP_SYNC_HOLDOVER: return "holdover";
	}
	return "unknown";
}

static uint64_t stale_after_ns(const struct ptp *p)
{
	uint64_t n = PTP_STALE_INTERVALS * ptp_log_interval_ns(p->log_sync_interval);
	return n > PTP_STALE_MIN_NS ? n : PTP_STALE_MIN_NS;
}

static bool port_follows(const struct pport *pp)
{
	/* UNCALIBRATED: the servo has not locked yet; under free_running ptp4l's
	 * servo never runs, and the port stays UNCALIBRATED while it measures. */
	return pp->have_ds && (pp->ds.state == PMC_PS_SLAVE || pp->ds.state == PMC_PS_UNCALIBRATED);
}

static bool following(const struct ptp *p)
{
	for (size_t i = 0; i < p->n_ports; i++)
		if (port_follows(&p->ports[i]))
			return true;
	return false;
}

static bool fresh(const struct ptp *p, uint64_t now)
{
	return p->last_sample_ns && now - p->last_sample_ns <= stale_after_ns(p);
}

static bool self_grandmaster(const struct ptp *p)
{
	return p->have_dds && p->have_pds && memcmp(p->dds.clock_id, p->pds.gm_id, 8) == 0;
}

static const char *child_state_name(const struct child *ch)
{
	switch (ch->state) {
	case CHILD_RUNNING: return "running";
	case CHILD_STOPPING: return "stopping";
	case CHILD_BACKOFF: return "restarting";
	default: return "stopped";
	}
}

static enum ptp_sync_state decide(struct ptp *p, uint64_t now, char *why, size_t len)
{
	char a[48], b[48];

	if (!p->enabled) {
		snprintf(why, len, "ptp.enabled is false");
		return PTP_SYNC_DISABLED;
	}
	if (!ptp4l_running(p)) {
		if (p->ptp4l.state == CHILD_BACKOFF)
			snprintf(why, len, "ptp4l is not running (%s; restart in %llus)",
				 p->ptp4l.has_exit ? p->ptp4l.last_exit : "start failed",
				 (unsigned long long)((p->ptp4l.restart_at_ns > now ? p->ptp4l.restart_at_ns - now
										    : 0) / 1000000000ull));
		else
			snprintf(why, len, "ptp4l is %s", child_state_name(&p->ptp4l));
		return PTP_SYNC_FAULT;
	}
	uint64_t heard = p->last_rx_ns > p->session_start_ns ? p->last_rx_ns : p->session_start_ns;
	uint64_t silent = now > heard ? now - heard : 0;
	if (silent > PTP_MGMT_DEAD_NS) {
		snprintf(why, len, "ptp4l does not answer on %s (for %llus)", p->uds_address,
			 (unsigned long long)(silent / 1000000000ull));
		return PTP_SYNC_FAULT;
	}
	for (size_t i = 0; i < p->n_ports; i++)
		if (p->ports[i].have_ds && p->ports[i].ds.state == PMC_PS_FAULTY) {
			snprintf(why, len, "port %s is FAULTY", p->ports[i].name);
			return PTP_SYNC_FAULT;
		}
	bool follow = following(p), is_fresh = fresh(p, now);
	if (!follow || !is_fresh)
		p->streak = false;
	if (follow && is_fresh) {
		tsn_format_duration(p->lock_threshold_ns, a, sizeof(a));
		tsn_format_duration(p->lock_time_ns, b, sizeof(b));
		if (p->streak && now - p->streak_since_ns >= p->lock_time_ns) {
			snprintf(why, len, "|offset| below %s for at least %s", a, b);
			return PTP_SYNC_LOCKED;
		}
		if (p->streak)
			snprintf(why, len, "|offset| below %s for %llus of the lock-time %s", a,
				 (unsigned long long)((now - p->streak_since_ns) / 1000000000ull), b);
		else if (abs64(p->last_offset_ns) >= p->lock_threshold_ns)
			snprintf(why, len, "offset %" PRId64 "ns is not below the lock-threshold %s",
				 p->last_offset_ns, a);
		else
			snprintf(why, len, "waiting for the next Sync sample");
		return PTP_SYNC_LOCKING;
	}
	if (follow) {
		/* A port follows a master, but no fresh sample came. */
		if (!p->last_sample_ns)
			snprintf(why, len, "waiting for Sync messages from the master");
		else
			snprintf(why, len, "no Sync sample for %llus",
				 (unsigned long long)((now - p->last_sample_ns) / 1000000000ull));
		return p->was_locked ? PTP_SYNC_HOLDOVER : PTP_SYNC_LOCKING;
	}
	if (self_grandmaster(p)) {
		p->was_locked = false;
		snprintf(why, len, "this clock is the grandmaster");
		return PTP_SYNC_FREE_RUNNING;
	}
	if (p->was_locked) {
		snprintf(why, len, "no port follows a master");
		return PTP_SYNC_HOLDOVER;
	}
	snprintf(why, len, "no master to follow");
	return PTP_SYNC_FREE_RUNNING;
}

static void evaluate(struct ptp *p, uint64_t now)
{
	char why[sizeof(p->sync_reason)], gm[24];

	window_expire(p, now);
	enum ptp_sync_state s = decide(p, now, why, sizeof(why));
	enum ptp_sync_state old = p->sync;
	snprintf(p->sync_reason, sizeof(p->sync_reason), "%s", why);
	if (s == old)
		return;
	p->sync = s;
	p->sync_since_ns = now;
	p->sync_since_wall = time(NULL);
	if (s == PTP_SYNC_LOCKED) {
		p->was_locked = true;
		log_notice("ptp: locked to grandmaster %s: %s (offset now %" PRId64 "ns)",
			   p->have_sample_gm ? pmc_clock_id_str(p->sample_gm, gm, sizeof(gm)) : "?", why,
			   p->last_offset_ns);
	} else if (old == PTP_SYNC_LOCKED) {
		log_warn("ptp: lost sync, now %s: %s", ptp_sync_state_name(s), why);
	} else if (s == PTP_SYNC_FAULT) {
		log_warn("ptp: fault: %s", why);
	} else {
		log_info("ptp: sync state %s: %s", ptp_sync_state_name(s), why);
	}
	if ((s == PTP_SYNC_LOCKED || old == PTP_SYNC_LOCKED) && p->lock_fn)
		p->lock_fn(p->lock_arg, s == PTP_SYNC_LOCKED);
}

void ptp_evaluate(struct ptp *p, uint64_t now_ns)
{
	evaluate(p, now_ns);
}

enum ptp_sync_state ptp_sync_state(const struct ptp *p)
{
	return p ? p->sync : PTP_SYNC_DISABLED;
}

bool ptp_locked_for(const struct ptp *p, uint64_t ns)
{
	uint64_t now = evloop_now_ns();

	if (!p || !p->enabled || p->sync == PTP_SYNC_FAULT || !ptp4l_running(p))
		return false;
	return following(p) && fresh(p, now) && p->streak && now - p->streak_since_ns >= ns;
}

bool ptp_locked(const struct ptp *p)
{
	return p && ptp_locked_for(p, p->lock_time_ns);
}

bool ptp_tai_utc_offset(const struct ptp *p, int *seconds)
{
	if (!p || !p->enabled || !p->have_tp || !(p->tp.flags & PMC_TP_UTC_OFF_VALID))
		return false;
	*seconds = p->tp.utc_offset;
	return true;
}

int ptp_kernel_tai_to_set(bool ptp4l_steers_system_clock, bool locked, bool utc_offset_valid,
			  int utc_offset, int kernel_tai)
{
	/* 0 is not a real TAI-UTC offset (37 s since 2017); a value far off is a
	 * misconfigured grandmaster, not something to push into the kernel. */
	if (!ptp4l_steers_system_clock || !locked || !utc_offset_valid || utc_offset < 1 || utc_offset > 100)
		return -1;
	return utc_offset == kernel_tai ? -1 : utc_offset;
}

/* Called when the time-properties data set arrives: keep the kernel's TAI offset
 * equal to what the grandmaster announces (see ptp_kernel_tai_to_set). */
static void update_kernel_tai(struct ptp *p)
{
	struct timex tx = { .modes = 0 };
	int offset = 0;
	bool valid = ptp_tai_utc_offset(p, &offset);

	if (adjtimex(&tx) < 0)
		return;
	/* Only for a ptp4l of ours that is running: never from replayed messages. */
	bool steers = p->enabled && !p->free_running && !p->phc2sys_needed && p->ptp4l.pid > 0;
	int set = ptp_kernel_tai_to_set(steers, ptp_locked(p), valid, offset, tx.tai);
	if (set < 0)
		return;
	struct timex adj = { .modes = ADJ_TAI, .constant = set };
	if (adjtimex(&adj) < 0)
		log_warn("ptp: cannot set the kernel's TAI offset to %d s (PTP's UTC offset): %s", set,
			 strerror(errno));
	else
		log_notice("ptp: kernel TAI offset set to %d s from PTP (was %d s); CLOCK_TAI is now TAI", set,
			   tx.tai);
}

void ptp_set_lock_callback(struct ptp *p, ptp_lock_fn fn, void *arg)
{
	p->lock_fn = fn;
	p->lock_arg = arg;
}

/* ====================================================================== */
/* Life cycle and reload                                                  */
/* ====================================================================== */

struct ptp *ptp_new(struct evloop *loop)
{
	struct ptp *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->loop = loop;
	p->uds.fd = -1;
	child_init(p, &p->ptp4l, "ptp4l");
	child_init(p, &p->phc2sys, "phc2sys");
	if (loop) {
		p->poll_timer = evloop_timer_new(loop, on_poll, p);
		if (!p->poll_timer || !p->ptp4l.timer || !p->phc2sys.timer) {
			ptp_free(p);
			return NULL;
		}
	}
	/* Our portIdentity in requests: "tsnd" and the pid, port 1.  ptp4l
	 * addresses answers and notifications to it. */
	uint32_t pid = (uint32_t)getpid();
	memcpy(p->self.clock, "tsnd", 4);
	p->self.clock[4] = (uint8_t)(pid >> 24);
	p->self.clock[5] = (uint8_t)(pid >> 16);
	p->self.clock[6] = (uint8_t)(pid >> 8);
	p->self.clock[7] = (uint8_t)pid;
	p->self.port = 1;
	p->sync = PTP_SYNC_DISABLED;
	snprintf(p->sync_reason, sizeof(p->sync_reason), "ptp.enabled is false");
	return p;
}

static void pending_free(struct pending *pd)
{
	if (!pd)
		return;
	if (pd->conf_tmp[0])
		unlink(pd->conf_tmp);
	if (pd->phc2sys_tmp[0])
		unlink(pd->phc2sys_tmp);
	ptp_plan_free(&pd->plan);
	free(pd->conf);
	free(pd->phc2sys_conf);
	ptp_argv_free(pd->ptp4l_argv);
	ptp_argv_free(pd->phc2sys_argv);
	free(pd);
}

void ptp_free(struct ptp *p)
{
	if (!p)
		return;
	pending_free(p->pending);
	child_fini(&p->phc2sys);
	child_fini(&p->ptp4l);
	mgmt_close(p);
	evloop_timer_free(p->poll_timer);
	free(p->conf);
	free(p->phc2sys_conf);
	free(p->ports);
	free(p);
}

/* Write text to path (mode 0600) through a file of its own. */
static int write_file(const char *path, const char *text, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, 0600) < 0 || close(fd) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

static int make_state_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		snprintf(err, errlen, "daemon.state-dir %s is not a directory", dir);
		return -1;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create daemon.state-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int ptp_prepare(struct ptp *p, const struct tsn_config *cfg, char *err, size_t errlen)
{
	struct tsn_diags diags;

	pending_free(p->pending);
	p->pending = calloc(1, sizeof(*p->pending));
	if (!p->pending) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct pending *pd = p->pending;
	pd->enabled = cfg->ptp.enabled;
	if (!pd->enabled)
		return 0;

	tsn_diags_init(&diags, cfg->source);
	bool ok = ptp_plan_build(cfg, &pd->plan, &diags);
	if (!ok) {
		/* The check in tsnd_config_prepare saw the same; the system changed since. */
		for (size_t i = 0; i < diags.count; i++)
			if (diags.items[i].severity == TSN_DIAG_ERROR) {
				snprintf(err, errlen, "ptp: %s: %s", diags.items[i].path, diags.items[i].message);
				break;
			}
		tsn_diags_free(&diags);
		goto fail;
	}
	tsn_diags_free(&diags);
	pd->conf = ptp_render_ptp4l(cfg, &pd->plan);
	pd->ptp4l_argv = ptp_ptp4l_argv(cfg, &pd->plan);
	if (pd->plan.phc2sys) {
		pd->phc2sys_conf = ptp_render_phc2sys(cfg, &pd->plan);
		pd->phc2sys_argv = ptp_phc2sys_argv(cfg, &pd->plan);
	}
	if (!pd->conf || !pd->ptp4l_argv || (pd->plan.phc2sys && (!pd->phc2sys_conf || !pd->phc2sys_argv))) {
		snprintf(err, errlen, "ptp: out of memory");
		goto fail;
	}
	if (make_state_dir(cfg->daemon.state_dir, err, errlen) < 0)
		goto fail;
	snprintf(pd->conf_tmp, sizeof(pd->conf_tmp), "%s.new", pd->plan.conf_path);
	if (write_file(pd->conf_tmp, pd->conf, err, errlen) < 0) {
		pd->conf_tmp[0] = '\0';
		goto fail;
	}
	if (pd->plan.phc2sys) {
		snprintf(pd->phc2sys_tmp, sizeof(pd->phc2sys_tmp), "%s.new", pd->plan.phc2sys_conf_path);
		if (write_file(pd->phc2sys_tmp, pd->phc2sys_conf, err, errlen) < 0) {
			pd->phc2sys_tmp[0] = '\0';
			goto fail;
		}
	}
	return 0;
fail:
	pending_free(p->pending);
	p->pending = NULL;
	return -1;
}

void ptp_abort(struct ptp *p)
{
	pending_free(p->pending);
	p->pending = NULL;
}

/* The per-port view for a new configuration, keeping what ptp4l said about
 * ports that stay (a reload that does not restart ptp4l changes nothing there). */
static void set_ports(struct ptp *p, const struct tsn_config *cfg)
{
	struct pport *ports = calloc(cfg->ptp.n_ports ? cfg->ptp.n_ports : 1, sizeof(*ports));
	if (!ports)
		return;
	for (size_t i = 0; i < cfg->ptp.n_ports; i++) {
		for (size_t j = 0; j < p->n_ports; j++)
			if (strcmp(p->ports[j].name, cfg->ptp.ports[i].name) == 0)
				ports[i] = p->ports[j];
		snprintf(ports[i].name, sizeof(ports[i].name), "%s", cfg->ptp.ports[i].name);
		ports[i].delay = ptp_effective_delay(&cfg->ptp, &cfg->ptp.ports[i]);
		if (!ports[i].have_props)
			ports[i].number = (uint16_t)(i + 1);
	}
	free(p->ports);
	p->ports = ports;
	p->n_ports = cfg->ptp.n_ports;
}

/* The scalars of the configuration the state machine and session use. */
static void set_params(struct ptp *p, const struct tsn_config *cfg, const struct ptp_plan *plan)
{
	p->enabled = cfg->ptp.enabled;
	p->free_running = cfg->ptp.free_running;
	p->profile = cfg->ptp.profile;
	p->transport = cfg->ptp.transport;
	p->domain = cfg->ptp.domain;
	p->lock_threshold_ns = cfg->ptp.lock_threshold_ns;
	p->lock_time_ns = cfg->ptp.lock_time_ns;
	p->log_sync_interval = ptp_effective_log_sync(&cfg->ptp);
	p->transport_specific = ptp_effective_transport_specific(&cfg->ptp);
	if (plan) {
		p->timestamping = plan->timestamping;
		snprintf(p->client_path, sizeof(p->client_path), "%s", plan->client_path);
		snprintf(p->conf_path, sizeof(p->conf_path), "%s", plan->conf_path);
	}
	snprintf(p->uds_address, sizeof(p->uds_address), "%s", cfg->ptp.uds_address);
}

void ptp_test_setup(struct ptp *p, const struct tsn_config *cfg, bool ptp4l_running_)
{
	set_params(p, cfg, NULL);
	set_ports(p, cfg);
	p->test_running = ptp4l_running_;
	mgmt_reset_data(p);
}

void ptp_commit(struct ptp *p, const struct tsn_config *cfg)
{
	struct pending *pd = p->pending;
	char err[512];

	if (!pd)
		return;
	p->pending = NULL;
	if (!pd->enabled) {
		if (p->enabled)
			log_notice("ptp: disabled; stopping ptp4l%s", p->phc2sys.pid > 0 ? " and phc2sys" : "");
		p->ptp4l.want = p->phc2sys.want = false;
		child_stop(&p->phc2sys, false);
		child_stop(&p->ptp4l, false);
		mgmt_close(p);
		evloop_timer_disarm(p->poll_timer);
		set_params(p, cfg, NULL);
		set_ports(p, cfg);
		p->was_locked = false;
		p->win_count = p->win_head = 0;
		pending_free(pd);
		evaluate(p, evloop_now_ns());
		return;
	}

	bool ptp4l_changed = !str_equal(p->conf, pd->conf) || !argv_equal(p->ptp4l.argv, pd->ptp4l_argv);
	bool phc_changed = !str_equal(p->phc2sys_conf, pd->phc2sys_conf) ||
			   !argv_equal(p->phc2sys.argv, pd->phc2sys_argv);
	bool session_changed = !p->enabled || strcmp(p->uds_address, cfg->ptp.uds_address) != 0 ||
			       strcmp(p->client_path, pd->plan.client_path) != 0;

	if (rename(pd->conf_tmp, pd->plan.conf_path) < 0)
		log_err("ptp: cannot rename %s to %s: %s", pd->conf_tmp, pd->plan.conf_path, strerror(errno));
	pd->conf_tmp[0] = '\0';
	if (pd->phc2sys_tmp[0]) {
		if (rename(pd->phc2sys_tmp, pd->plan.phc2sys_conf_path) < 0)
			log_err("ptp: cannot rename %s: %s", pd->phc2sys_tmp, strerror(errno));
		pd->phc2sys_tmp[0] = '\0';
	}
	bool was_enabled = p->enabled;
	set_params(p, cfg, &pd->plan);
	set_ports(p, cfg);
	if (session_changed) {
		mgmt_close(p);
		if (mgmt_open(p, err, sizeof(err)) < 0)
			log_err("ptp: management session: %s; tsnd cannot read ptp4l's state", err);
	}
	if (ptp4l_changed) {
		free(p->conf);
		p->conf = pd->conf;
		pd->conf = NULL;
		ptp_argv_free(p->ptp4l.argv);
		p->ptp4l.argv = pd->ptp4l_argv;
		pd->ptp4l_argv = NULL;
		p->ptp4l.want = true;
		if (was_enabled && p->ptp4l.state != CHILD_STOPPED)
			log_notice("ptp: the generated ptp4l configuration changed; restarting ptp4l");
		child_stop(&p->ptp4l, true);
	}
	if (session_changed && !ptp4l_changed)
		mgmt_reset_data(p);	/* a new socket: what the old one heard is not trusted */
	p->phc2sys_needed = pd->plan.phc2sys;
	if (!pd->plan.phc2sys) {
		p->phc2sys.want = false;
		child_stop(&p->phc2sys, false);
		free(p->phc2sys_conf);
		p->phc2sys_conf = NULL;
	} else if (phc_changed) {
		free(p->phc2sys_conf);
		p->phc2sys_conf = pd->phc2sys_conf;
		pd->phc2sys_conf = NULL;
		ptp_argv_free(p->phc2sys.argv);
		p->phc2sys.argv = pd->phc2sys_argv;
		pd->phc2sys_argv = NULL;
		p->phc2sys.want = true;
		child_stop(&p->phc2sys, true);
	}
	pending_free(pd);
	if (p->poll_timer && !evloop_timer_armed(p->poll_timer))
		evloop_timer_arm_at(p->poll_timer, evloop_now_ns() + PTP_POLL_NS / 4);
	evaluate(p, evloop_now_ns());
}

/* ====================================================================== */
/* Status                                                                 */
/* ====================================================================== */

static json_object *jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *clock_id_json(const uint8_t id[8])
{
	char buf[24];
	return json_object_new_string(pmc_clock_id_str(id, buf, sizeof(buf)));
}

static const char *port_role(uint8_t state)
{
	switch (state) {
	case PMC_PS_MASTER:
	case PMC_PS_PRE_MASTER: return "master";
	case PMC_PS_SLAVE:
	case PMC_PS_UNCALIBRATED: return "slave";
	case PMC_PS_PASSIVE: return "passive";
	case PMC_PS_FAULTY:
	case PMC_PS_DISABLED: return "disabled";
	default: return "none";
	}
}

static const char *delay_name(int d)
{
	return d == TSN_PTP_DELAY_P2P ? "p2p" : "e2e";
}

static json_object *child_json(const struct child *ch, bool needed, const char *why_not)
{
	json_object *o = json_object_new_object();
	char when[32];
	uint64_t now = evloop_now_ns();

	json_object_object_add(o, "state", json_object_new_string(needed || ch->pid > 0
									   ? child_state_name(ch)
									   : "not-needed"));
	if (!needed && why_not)
		json_object_object_add(o, "message", json_object_new_string(why_not));
	json_object_object_add(o, "pid", ch->pid > 0 ? json_object_new_int(ch->pid) : NULL);
	json_object_object_add(o, "restarts", json_object_new_uint64(ch->restarts));
	if (ch->pid > 0) {
		tsnd_rfc3339(ch->started_wall, when, sizeof(when));
		json_object_object_add(o, "started", json_object_new_string(when));
		json_object_object_add(o, "uptime_s", json_object_new_uint64((now - ch->started_ns) / 1000000000ull));
	}
	if (ch->has_exit) {
		json_object *e = json_object_new_object();
		tsnd_rfc3339(ch->last_exit_wall, when, sizeof(when));
		json_object_object_add(e, "time", json_object_new_string(when));
		json_object_object_add(e, "status", json_object_new_string(ch->last_exit));
		json_object_object_add(e, "expected", json_object_new_boolean(ch->last_exit_expected));
		json_object_object_add(e, "ran_s", json_object_new_uint64(ch->last_run_ns / 1000000000ull));
		json_object_object_add(o, "last_exit", e);
	} else {
		json_object_object_add(o, "last_exit", NULL);
	}
	if (ch->state == CHILD_BACKOFF)
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

static json_object *window_json(const struct ptp *p)
{
	json_object *o = json_object_new_object();
	int64_t min = 0, max = 0;
	double sum = 0;

	for (size_t i = 0; i < p->win_count; i++) {
		int64_t v = p->window[(p->win_head + i) % PTP_WINDOW_MAX].offset_ns;
		if (i == 0 || v < min)
			min = v;
		if (i == 0 || v > max)
			max = v;
		sum += (double)v;
	}
	json_object_object_add(o, "window_s", json_object_new_uint64(PTP_WINDOW_NS / 1000000000ull));
	json_object_object_add(o, "samples", json_object_new_uint64(p->win_count));
	json_object_object_add(o, "min_ns", p->win_count ? json_object_new_int64(min) : NULL);
	json_object_object_add(o, "max_ns", p->win_count ? json_object_new_int64(max) : NULL);
	json_object_object_add(o, "mean_ns", p->win_count ? json_object_new_int64(
		(int64_t)(sum / (double)p->win_count + (sum >= 0 ? 0.5 : -0.5))) : NULL);
	return o;
}

static json_object *sync_json(const struct ptp *p)
{
	json_object *o = json_object_new_object();
	char when[32];
	uint64_t now = evloop_now_ns();

	json_object_object_add(o, "state", json_object_new_string(ptp_sync_state_name(p->sync)));
	json_object_object_add(o, "reason", json_object_new_string(p->sync_reason));
	if (p->sync_since_wall) {
		tsnd_rfc3339(p->sync_since_wall, when, sizeof(when));
		json_object_object_add(o, "since", json_object_new_string(when));
	} else {
		json_object_object_add(o, "since", NULL);
	}
	json_object_object_add(o, "lock_threshold_ns", json_object_new_uint64(p->lock_threshold_ns));
	json_object_object_add(o, "lock_time_ns", json_object_new_uint64(p->lock_time_ns));
	json_object_object_add(o, "stale_after_ns", json_object_new_uint64(stale_after_ns(p)));
	json_object_object_add(o, "sync_interval_ns",
			       json_object_new_uint64(ptp_log_interval_ns(p->log_sync_interval)));
	json_object_object_add(o, "within_threshold_ns",
			       json_object_new_uint64(p->streak && now >= p->streak_since_ns
							      ? now - p->streak_since_ns : 0));
	json_object_object_add(o, "last_sample_age_ms", p->last_sample_ns
				? json_object_new_uint64((now - p->last_sample_ns) / 1000000ull) : NULL);
	return o;
}

static json_object *quality_json(const struct pmc_clock_quality *q, json_object *o)
{
	json_object_object_add(o, "class", json_object_new_int(q->clock_class));
	json_object_object_add(o, "accuracy", json_object_new_int(q->accuracy));
	json_object_object_add(o, "variance", json_object_new_int(q->variance));
	return o;
}

json_object *ptp_status_json(const struct ptp *p)
{
	json_object *o = json_object_new_object();
	char buf[48];

	json_object_object_add(o, "enabled", json_object_new_boolean(p->enabled));
	json_object_object_add(o, "sync", sync_json(p));
	if (!p->enabled)
		return o;

	json_object *clock = json_object_new_object();
	json_object_object_add(clock, "identity", p->have_dds ? clock_id_json(p->dds.clock_id) : NULL);
	json_object_object_add(clock, "domain", json_object_new_int((int)p->domain));
	json_object_object_add(clock, "priority1", p->have_dds ? json_object_new_int(p->dds.priority1) : NULL);
	json_object_object_add(clock, "priority2", p->have_dds ? json_object_new_int(p->dds.priority2) : NULL);
	if (p->have_dds)
		quality_json(&p->dds.quality, clock);
	json_object_object_add(clock, "profile", json_object_new_string(p->profile == TSN_PTP_GPTP ? "gptp"
												 : "default"));
	json_object_object_add(clock, "transport", json_object_new_string(ptp_transport_name(p->transport)));
	json_object_object_add(clock, "timestamping", json_object_new_string(
		p->timestamping == TSN_TSTAMP_HARDWARE ? "hardware" : "software"));
	json_object_object_add(clock, "free_running", json_object_new_boolean(p->free_running));
	json_object_object_add(o, "clock", clock);

	json_object *gm = NULL;
	if (p->have_pds) {
		gm = json_object_new_object();
		json_object_object_add(gm, "identity", clock_id_json(p->pds.gm_id));
		quality_json(&p->pds.gm_quality, gm);
		json_object_object_add(gm, "priority1", json_object_new_int(p->pds.gm_priority1));
		json_object_object_add(gm, "priority2", json_object_new_int(p->pds.gm_priority2));
		json_object_object_add(gm, "is_self", json_object_new_boolean(self_grandmaster(p)));
		json_object_object_add(gm, "parent_port",
				       json_object_new_string(pmc_port_id_str(&p->pds.parent, buf, sizeof(buf))));
	}
	json_object_object_add(o, "grandmaster", gm);

	json_object *cur = NULL;
	if (p->have_cds) {
		cur = json_object_new_object();
		json_object_object_add(cur, "offset_ns", json_object_new_int64(pmc_scaled_ns(p->cds.offset_scaled)));
		json_object_object_add(cur, "mean_path_delay_ns",
				       json_object_new_int64(pmc_scaled_ns(p->cds.delay_scaled)));
		json_object_object_add(cur, "steps_removed", json_object_new_int(p->cds.steps_removed));
	}
	json_object_object_add(o, "current", cur);

	json_object *ts = NULL;
	if (p->have_ts) {
		ts = json_object_new_object();
		json_object_object_add(ts, "master_offset_ns", json_object_new_int64(p->ts.master_offset_ns));
		json_object_object_add(ts, "ingress_time_ns", json_object_new_int64(p->ts.ingress_time_ns));
		json_object_object_add(ts, "gm_present", json_object_new_boolean(p->ts.gm_present != 0));
		json_object_object_add(ts, "gm_identity", clock_id_json(p->ts.gm_id));
	}
	json_object_object_add(o, "time_status", ts);

	json_object *utc = NULL;
	if (p->have_tp) {
		utc = json_object_new_object();
		json_object_object_add(utc, "offset_s", json_object_new_int(p->tp.utc_offset));
		json_object_object_add(utc, "valid", json_object_new_boolean(p->tp.flags & PMC_TP_UTC_OFF_VALID));
		json_object_object_add(utc, "ptp_timescale",
				       json_object_new_boolean(p->tp.flags & PMC_TP_PTP_TIMESCALE));
		json_object_object_add(utc, "time_traceable",
				       json_object_new_boolean(p->tp.flags & PMC_TP_TIME_TRACEABLE));
		json_object_object_add(utc, "time_source", json_object_new_int(p->tp.time_source));
	}
	json_object_object_add(o, "utc", utc);
	json_object_object_add(o, "offset_window", window_json(p));

	json_object *ports = json_object_new_array();
	for (size_t i = 0; i < p->n_ports; i++) {
		const struct pport *pp = &p->ports[i];
		json_object *po = json_object_new_object();
		json_object_object_add(po, "name", json_object_new_string(pp->name));
		json_object_object_add(po, "port_number", json_object_new_int(pp->number));
		json_object_object_add(po, "state", pp->have_ds
			? json_object_new_string(pmc_port_state_name(pp->ds.state)) : NULL);
		json_object_object_add(po, "role", pp->have_ds ? json_object_new_string(port_role(pp->ds.state))
							       : NULL);
		json_object_object_add(po, "delay_mechanism", json_object_new_string(delay_name(pp->delay)));
		json_object_object_add(po, "peer_mean_path_delay_ns", pp->have_ds
			? json_object_new_int64(pmc_scaled_ns(pp->ds.peer_delay_scaled)) : NULL);
		json_object_object_add(po, "log_sync_interval", pp->have_ds
			? json_object_new_int(pp->ds.log_sync) : NULL);
		json_object_object_add(po, "log_announce_interval", pp->have_ds
			? json_object_new_int(pp->ds.log_announce) : NULL);
		json_object_object_add(po, "identity", pp->have_ds
			? json_object_new_string(pmc_port_id_str(&pp->ds.id, buf, sizeof(buf))) : NULL);
		json_object_array_add(ports, po);
	}
	json_object_object_add(o, "ports", ports);

	json_object *procs = json_object_new_object();
	json_object_object_add(procs, "ptp4l", child_json(&p->ptp4l, true, NULL));
	json_object_object_add(procs, "phc2sys", child_json(&p->phc2sys, p->phc2sys_needed,
		p->free_running ? "free-running: no clock is steered"
				: "no port has a PTP hardware clock in use"));
	json_object_object_add(o, "processes", procs);

	json_object *m = json_object_new_object();
	uint64_t now = evloop_now_ns();
	json_object_object_add(m, "uds_address", json_object_new_string(p->uds_address));
	json_object_object_add(m, "client_socket", json_object_new_string(p->client_path));
	json_object_object_add(m, "config", json_object_new_string(p->conf_path));
	json_object_object_add(m, "subscribed", json_object_new_boolean(p->sub_ok &&
		now - p->sub_confirmed_ns < PTP_SUBSCRIBE_S * 1000000000ull));
	json_object_object_add(m, "subscription_renewals", json_object_new_uint64(p->renewals));
	json_object_object_add(m, "requests", json_object_new_uint64(p->sent));
	json_object_object_add(m, "responses", json_object_new_uint64(p->received));
	json_object_object_add(m, "notifications", json_object_new_uint64(p->notifications));
	json_object_object_add(m, "timeouts", json_object_new_uint64(p->timeouts));
	json_object_object_add(m, "rejected", json_object_new_uint64(p->rejected));
	json_object_object_add(m, "last_rejected", jstr_or_null(p->rejected ? p->last_reject : NULL));
	json_object_object_add(m, "last_response_age_ms", p->last_rx_ns
		? json_object_new_uint64((now - p->last_rx_ns) / 1000000ull) : NULL);
	json_object_object_add(o, "management", m);
	return o;
}

json_object *ptp_summary_json(const struct ptp *p)
{
	json_object *o = json_object_new_object();
	char msg[256], gm[24];

	if (!p || !p->enabled) {
		json_object_object_add(o, "state", json_object_new_string("disabled"));
		json_object_object_add(o, "sync_state", json_object_new_string("disabled"));
		return o;
	}
	json_object_object_add(o, "state", json_object_new_string(child_state_name(&p->ptp4l)));
	json_object_object_add(o, "sync_state", json_object_new_string(ptp_sync_state_name(p->sync)));
	if (p->sync == PTP_SYNC_LOCKED || p->sync == PTP_SYNC_LOCKING)
		snprintf(msg, sizeof(msg), "sync %s, grandmaster %s, offset %" PRId64 "ns",
			 ptp_sync_state_name(p->sync),
			 p->have_sample_gm ? pmc_clock_id_str(p->sample_gm, gm, sizeof(gm)) : "-",
			 p->last_offset_ns);
	else
		snprintf(msg, sizeof(msg), "sync %s: %s", ptp_sync_state_name(p->sync), p->sync_reason);
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "restarts", json_object_new_uint64(p->ptp4l.restarts));
	return o;
}
