/* SPDX-License-Identifier: GPL-2.0-only */
/* ptp_config.c — time synchronisation, the configuration half: what the kernel
 * and ptp4l say about a configuration (timestamping capabilities, ptp4l's own
 * option parser), the generated ptp4l.conf and phc2sys command line, and the
 * gate-window rule for PTP frames.  Nothing here keeps running state; ptp.c
 * runs what this file plans.  docs/ptp.md describes the behaviour. */
#include <errno.h>
#include <fcntl.h>
#include <linux/net_tstamp.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "ports.h"
#include "ptp.h"
#include "supervisor.h"
#include "tsn/stream_id.h"
#include "tsn/log.h"
#include "tsn/units.h"

#define PTP_ETHERTYPE		0x88f7
#define PROBE_TIMEOUT_MS	2000

/* ====================================================================== */
/* Small helpers                                                          */
/* ====================================================================== */

uint64_t ptp_log_interval_ns(int log_interval)
{
	if (log_interval <= -30)
		return 1;
	if (log_interval < 0)
		return 1000000000ull >> -log_interval;
	if (log_interval > 30)
		log_interval = 30;
	return 1000000000ull << log_interval;
}

const char *ptp_transport_name(int t)
{
	switch (t) {
	case TSN_PTP_UDPV6: return "UDPv6";
	case TSN_PTP_L2: return "L2";
	default: return "UDPv4";
	}
}

/* ptp.options[key], or NULL. */
static const struct tsn_cfg_kv *find_option(const struct tsn_cfg_ptp *ptp, const char *key)
{
	for (size_t i = 0; i < ptp->n_options; i++)
		if (strcmp(ptp->options[i].key, key) == 0)
			return &ptp->options[i];
	return NULL;
}

/* An integer option (decimal or 0x hex); false if absent or not a number. */
static bool option_int(const struct tsn_cfg_ptp *ptp, const char *key, long *out)
{
	const struct tsn_cfg_kv *kv = find_option(ptp, key);
	char *end;

	if (!kv)
		return false;
	errno = 0;
	long v = strtol(kv->value, &end, 0);
	if (errno || end == kv->value || *end)
		return false;
	*out = v;
	return true;
}

int ptp_effective_log_sync(const struct tsn_cfg_ptp *ptp)
{
	long v;
	if (option_int(ptp, "logSyncInterval", &v) && v >= -128 && v <= 127)
		return (int)v;
	return ptp->profile == TSN_PTP_GPTP ? -3 : 0;
}

unsigned ptp_effective_transport_specific(const struct tsn_cfg_ptp *ptp)
{
	long v;
	if (option_int(ptp, "transportSpecific", &v) && v >= 0 && v <= 15)
		return (unsigned)v;
	return ptp->profile == TSN_PTP_GPTP ? 1 : 0;
}

uint64_t ptp_effective_neighbor_thresh_ns(const struct tsn_cfg_ptp *ptp)
{
	long v;
	if (option_int(ptp, "neighborPropDelayThresh", &v) && v >= 0)
		return (uint64_t)v;
	if (ptp->neighbor_prop_delay_thresh_ns)
		return ptp->neighbor_prop_delay_thresh_ns;
	/* gPTP.cfg's 800 ns; linuxptp's own default otherwise. */
	return ptp->profile == TSN_PTP_GPTP ? 800 : 20000000;
}

int ptp_effective_delay(const struct tsn_cfg_ptp *ptp, const struct tsn_cfg_ptp_port *port)
{
	if (port && port->delay_mechanism != TSN_PTP_DELAY_AUTO)
		return port->delay_mechanism;
	return ptp->profile == TSN_PTP_GPTP ? TSN_PTP_DELAY_P2P : TSN_PTP_DELAY_E2E;
}

/* path = dir + "/" + name, false if it does not fit in len. */
static bool join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);
	return n > 0 && (size_t)n < len;
}

static char **argv_new(const char *first, ...)
{
	const char *args[24];
	size_t n = 0;
	va_list ap;

	args[n++] = first;
	va_start(ap, first);
	for (const char *a; n < 23 && (a = va_arg(ap, const char *));)
		args[n++] = a;
	va_end(ap);
	char **argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!(argv[i] = strdup(args[i]))) {
			sv_argv_free(argv);
			return NULL;
		}
	}
	return argv;
}

/* ====================================================================== */
/* What the kernel and ptp4l say                                          */
/* ====================================================================== */

void ptp_port_caps_read(const char *ifname, struct ptp_port_caps *caps)
{
	struct port_ts_info ts;
	int rc = ports_ts_info(ifname, &ts);

	memset(caps, 0, sizeof(*caps));
	caps->phc_index = -1;
	if (rc < 0) {
		caps->err = -rc;
		return;
	}
	const uint32_t hw = SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE |
			    SOF_TIMESTAMPING_RAW_HARDWARE;
	const uint32_t sw = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE |
			    SOF_TIMESTAMPING_SOFTWARE;
	caps->known = true;
	caps->phc_index = ts.phc_index;
	caps->hardware = (ts.so_timestamping & hw) == hw && ts.phc_index >= 0;
	caps->software = (ts.so_timestamping & sw) == sw;
}

/* Run argv (stdin /dev/null, stdout and stderr into out) and wait for it for
 * at most PROBE_TIMEOUT_MS.  Returns its exit status, or -1 if it could not
 * run, was killed or took too long. */
static int run_probe(char *const argv[], char *out, size_t outlen)
{
	int pipefd[2];
	size_t got = 0;

	out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	uint64_t deadline = evloop_now_ns() + PROBE_TIMEOUT_MS * 1000000ull;
	int status = -1;
	bool eof = false, reaped = false;
	while (!reaped) {
		uint64_t now = evloop_now_ns();
		if (now >= deadline)
			break;
		if (!eof) {
			struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
			poll(&pfd, 1, (int)((deadline - now) / 1000000ull) + 1);
			char buf[512];
			ssize_t n;
			while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) {
				size_t copy = (size_t)n < outlen - 1 - got ? (size_t)n : outlen - 1 - got;
				memcpy(out + got, buf, copy);
				got += copy;
				out[got] = '\0';
			}
			if (n == 0)
				eof = true;
		} else {
			struct timespec ts = { 0, 5000000 };
			nanosleep(&ts, NULL);
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			reaped = true;
	}
	close(pipefd[0]);
	if (!reaped) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Does this ptp4l accept `--name=value`?  ptp4l turns every configuration
 * option into a long option and parses them before it acts on -v, so this
 * asks ptp4l's own parser without starting anything.  1 yes, 0 no, -1 the
 * binary could not be run (reason in why). */
static int ptp4l_accepts(const char *ptp4l, const char *name, const char *value, char *why,
			 size_t whylen)
{
	char opt[256], out[1024];

	snprintf(opt, sizeof(opt), "--%s=%s", name, value);
	char *argv[] = { (char *)ptp4l, opt, (char *)"-v", NULL };
	int rc = run_probe(argv, out, sizeof(out));
	if (rc == 0)
		return 1;
	if (rc == 127 || rc < 0) {
		snprintf(why, whylen, "%s could not be run%s", ptp4l,
			 rc < 0 ? " (killed or no answer within 2s)" : "");
		return -1;
	}
	/* The first line says why ("X is a malformed value for option Y",
	 * "unrecognized option"); the usage text after it does not help. */
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	snprintf(why, whylen, "%s", out[0] ? out : "refused by ptp4l");
	return 0;
}

/* uds_ro_address came with linuxptp 4; the answer is cached per binary. */
static bool ptp4l_has_ro_address(const char *ptp4l)
{
	static struct {
		char path[TSN_PATH_MAX];
		dev_t dev;
		ino_t ino;
		struct timespec mtime;
		bool valid, result;
	} cache;
	struct stat st;
	char why[256];

	if (stat(ptp4l, &st) < 0)
		return false;
	if (cache.valid && strcmp(cache.path, ptp4l) == 0 && cache.dev == st.st_dev &&
	    cache.ino == st.st_ino && cache.mtime.tv_sec == st.st_mtim.tv_sec &&
	    cache.mtime.tv_nsec == st.st_mtim.tv_nsec)
		return cache.result;
	int rc = ptp4l_accepts(ptp4l, "uds_ro_address", "/nonexistent/tsnd-probe", why, sizeof(why));
	if (rc < 0)
		return false;
	snprintf(cache.path, sizeof(cache.path), "%s", ptp4l);
	cache.dev = st.st_dev;
	cache.ino = st.st_ino;
	cache.mtime = st.st_mtim;
	cache.valid = true;
	cache.result = rc == 1;
	return cache.result;
}

/* ====================================================================== */
/* Plan and generated files                                               */
/* ====================================================================== */

static void report(const struct tsn_config *cfg, struct tsn_diags *diags, enum tsn_diag_severity sev,
		   const void *field, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report(const struct tsn_config *cfg, struct tsn_diags *diags, enum tsn_diag_severity sev,
		   const void *field, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!diags)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tsn_config_report(cfg, diags, sev, field, "%s", msg);
}

/* Settings tsnd owns: writing them under ptp.options would fight tsnd. */
static const struct {
	const char *key;
	const char *instead;
} reserved_options[] = {
	{ "domainNumber", "set ptp.domain" },
	{ "priority1", "set ptp.priority1" },
	{ "priority2", "set ptp.priority2" },
	{ "network_transport", "set ptp.transport" },
	{ "delay_mechanism", "set ptp.ports[].delay-mechanism" },
	{ "time_stamping", "set ptp.ports[].timestamping" },
	{ "free_running", "set ptp.free-running" },
	{ "uds_address", "set ptp.uds-address" },
	{ "uds_ro_address", "tsnd derives it from ptp.uds-address" },
	{ "verbose", "tsnd reads ptp4l's output to log it" },
	{ "use_syslog", "tsnd logs ptp4l's output itself" },
};

static const char *reserved_option(const char *key)
{
	for (size_t i = 0; i < sizeof(reserved_options) / sizeof(reserved_options[0]); i++)
		if (strcmp(reserved_options[i].key, key) == 0)
			return reserved_options[i].instead;
	return NULL;
}

/* Resolve the timestamping mode: ptp4l has one mode for all its ports. */
static bool plan_timestamping(const struct tsn_config *cfg, struct ptp_plan *plan,
			      struct tsn_diags *diags)
{
	const struct tsn_cfg_ptp *ptp = &cfg->ptp;
	bool ok = true, all_hw = true, want_hw = false;

	for (size_t i = 0; i < ptp->n_ports; i++) {
		const struct tsn_cfg_ptp_port *pp = &ptp->ports[i];
		const struct ptp_port_caps *c = &plan->caps[i];
		if (!c->hardware)
			all_hw = false;
		if (pp->timestamping == TSN_TSTAMP_HARDWARE) {
			want_hw = true;
			if (!c->known) {
				report(cfg, diags, TSN_DIAG_WARNING, &pp->timestamping,
				       "cannot read the timestamping capabilities of %s (%s); "
				       "ptp4l will fail if it has no hardware timestamping",
				       pp->name, strerror(c->err));
			} else if (!c->hardware) {
				report(cfg, diags, TSN_DIAG_ERROR, &pp->timestamping,
				       "%s has no hardware timestamping (the kernel reports no PTP hardware "
				       "clock or hardware stamps); use software or auto", pp->name);
				ok = false;
			}
		} else if (pp->timestamping == TSN_TSTAMP_SOFTWARE && c->known && !c->software) {
			report(cfg, diags, TSN_DIAG_ERROR, &pp->timestamping,
			       "%s has no software timestamping either (the kernel reports neither)",
			       pp->name);
			ok = false;
		}
	}
	/* Hardware if every port has it and no port asks for software. */
	bool any_sw_asked = false;
	for (size_t i = 0; i < ptp->n_ports; i++)
		any_sw_asked |= ptp->ports[i].timestamping == TSN_TSTAMP_SOFTWARE;
	plan->timestamping = all_hw && !any_sw_asked && ptp->n_ports ? TSN_TSTAMP_HARDWARE
								     : TSN_TSTAMP_SOFTWARE;
	if (want_hw && plan->timestamping == TSN_TSTAMP_SOFTWARE && ok) {
		for (size_t i = 0; i < ptp->n_ports; i++)
			if (ptp->ports[i].timestamping == TSN_TSTAMP_HARDWARE && plan->caps[i].known) {
				report(cfg, diags, TSN_DIAG_ERROR, &ptp->ports[i].timestamping,
				       "ptp4l uses one timestamping mode for all its ports, and another "
				       "port needs software timestamping");
				ok = false;
			}
	}
	for (size_t i = 0; i < ptp->n_ports && plan->timestamping == TSN_TSTAMP_SOFTWARE; i++) {
		const struct tsn_cfg_ptp_port *pp = &ptp->ports[i];
		const struct ptp_port_caps *c = &plan->caps[i];
		if (pp->timestamping != TSN_TSTAMP_AUTO)
			continue;
		if (!c->known)
			report(cfg, diags, TSN_DIAG_WARNING, &pp->name,
			       "cannot read the timestamping capabilities of %s (%s); assuming software "
			       "timestamping", pp->name, strerror(c->err));
		else if (!c->hardware)
			report(cfg, diags, TSN_DIAG_WARNING, &pp->name,
			       "%s has no hardware timestamping; PTP uses software timestamps "
			       "(accuracy in microseconds, not nanoseconds)", pp->name);
		else
			report(cfg, diags, TSN_DIAG_WARNING, &pp->name,
			       "%s has hardware timestamping but uses software timestamps: ptp4l has one "
			       "mode for all ports and another port has none", pp->name);
	}
	return ok;
}

bool ptp_plan_build(const struct tsn_config *cfg, struct ptp_plan *plan, struct tsn_diags *diags)
{
	const struct tsn_cfg_ptp *ptp = &cfg->ptp;
	bool ok = true;

	memset(plan, 0, sizeof(*plan));
	plan->log_sync_interval = ptp_effective_log_sync(ptp);
	plan->transport_specific = ptp_effective_transport_specific(ptp);
	plan->caps = calloc(ptp->n_ports ? ptp->n_ports : 1, sizeof(*plan->caps));
	if (!plan->caps)
		return false;
	plan->n_caps = ptp->n_ports;
	for (size_t i = 0; i < ptp->n_ports; i++)
		ptp_port_caps_read(ptp->ports[i].name, &plan->caps[i]);

	if (!ptp->enabled) {
		plan->timestamping = TSN_TSTAMP_SOFTWARE;
		return true;
	}
	if (!ptp->n_ports) {
		report(cfg, diags, TSN_DIAG_ERROR, &ptp->n_ports,
		       "ptp.enabled is true but no port runs PTP; list at least one port");
		ok = false;
	}
	if (!ptp->uds_address[0]) {
		report(cfg, diags, TSN_DIAG_ERROR, ptp->uds_address,
		       "an explicit management socket path is needed (linuxptp's default differs "
		       "between versions)");
		ok = false;
	}
	const char *dir = cfg->daemon.state_dir;
	if (!dir[0]) {
		report(cfg, diags, TSN_DIAG_ERROR, cfg->daemon.state_dir,
		       "tsnd writes ptp4l.conf here: set a directory when ptp is enabled");
		ok = false;
	} else if (!join(plan->conf_path, sizeof(plan->conf_path), dir, "ptp4l.conf") ||
		   !join(plan->phc2sys_conf_path, sizeof(plan->phc2sys_conf_path), dir, "phc2sys.conf")) {
		report(cfg, diags, TSN_DIAG_ERROR, cfg->daemon.state_dir, "path too long");
		ok = false;
	} else if (!join(plan->client_path, sizeof(plan->client_path), dir, "tsnd-pmc.sock")) {
		report(cfg, diags, TSN_DIAG_ERROR, cfg->daemon.state_dir,
		       "too long for tsnd's management socket %s/tsnd-pmc.sock (at most %zu bytes)", dir,
		       sizeof(plan->client_path) - 1);
		ok = false;
	}
	if (ptp->uds_address[0] &&
	    snprintf(plan->ro_address, sizeof(plan->ro_address), "%s.ro", ptp->uds_address) >=
		    (int)sizeof(plan->ro_address)) {
		report(cfg, diags, TSN_DIAG_ERROR, ptp->uds_address,
		       "too long: tsnd adds \".ro\" for ptp4l's read-only socket; at most %zu bytes",
		       sizeof(plan->ro_address) - 4);
		ok = false;
	}

	if (access(ptp->ptp4l, X_OK) < 0) {
		report(cfg, diags, TSN_DIAG_ERROR, ptp->ptp4l, "%s cannot be executed: %s (install linuxptp)",
		       ptp->ptp4l, strerror(errno));
		return false;
	}
	plan->ro_supported = ptp4l_has_ro_address(ptp->ptp4l);

	ok &= plan_timestamping(cfg, plan, diags);
	if (ptp->profile == TSN_PTP_GPTP)
		for (size_t i = 0; i < ptp->n_ports; i++)
			if (ptp->ports[i].delay_mechanism == TSN_PTP_DELAY_E2E)
				report(cfg, diags, TSN_DIAG_WARNING, &ptp->ports[i].delay_mechanism,
				       "IEEE 802.1AS measures link delay peer to peer; e2e on a gptp port "
				       "will not interoperate with gPTP devices");

	/* phc2sys follows the PHC of a hardware-timestamping port to the system
	 * clock; free-running means no clock is ever steered. */
	if (plan->timestamping == TSN_TSTAMP_HARDWARE && !ptp->free_running)
		for (size_t i = 0; i < plan->n_caps; i++)
			plan->phc2sys |= plan->caps[i].phc_index >= 0;
	if (plan->phc2sys && access(ptp->phc2sys, X_OK) < 0) {
		report(cfg, diags, TSN_DIAG_ERROR, ptp->phc2sys,
		       "%s cannot be executed: %s (a port has a PTP hardware clock, so tsnd runs phc2sys)",
		       ptp->phc2sys, strerror(errno));
		ok = false;
	}

	/* Pass-through options: tsnd's own settings are refused, the rest is
	 * asked of ptp4l's parser. */
	for (size_t i = 0; i < ptp->n_options; i++) {
		const struct tsn_cfg_kv *kv = &ptp->options[i];
		const char *instead = reserved_option(kv->key);
		char why[256];
		if (ptp->neighbor_prop_delay_thresh_ns && strcmp(kv->key, "neighborPropDelayThresh") == 0) {
			report(cfg, diags, TSN_DIAG_ERROR, kv, "'%s' is set twice: here and as "
			       "ptp.neighbor-prop-delay-thresh; keep one", kv->key);
			ok = false;
			continue;
		}
		if (instead) {
			report(cfg, diags, TSN_DIAG_ERROR, kv, "'%s' is managed by tsnd; %s", kv->key, instead);
			ok = false;
			continue;
		}
		for (const char *c = kv->value; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == '#') {
				report(cfg, diags, TSN_DIAG_ERROR, kv,
				       "value of '%s' holds a control character or '#'", kv->key);
				ok = false;
				goto next;
			}
		if (!kv->value[0]) {
			report(cfg, diags, TSN_DIAG_ERROR, kv, "'%s' needs a value", kv->key);
			ok = false;
			continue;
		}
		int rc = ptp4l_accepts(ptp->ptp4l, kv->key, kv->value, why, sizeof(why));
		if (rc == 0) {
			report(cfg, diags, TSN_DIAG_ERROR, kv, "ptp4l refuses '%s: %s': %s", kv->key,
			       kv->value, why);
			ok = false;
		} else if (rc < 0) {
			report(cfg, diags, TSN_DIAG_ERROR, ptp->ptp4l, "%s", why);
			return false;
		}
next:;
	}
	return ok;
}

void ptp_plan_free(struct ptp_plan *plan)
{
	free(plan->caps);
	plan->caps = NULL;
	plan->n_caps = 0;
}

/* linuxptp's gPTP.cfg, the settings that differ from its defaults (priorities
 * and transport/delay come from tsnd's own fields). */
static const struct {
	const char *key, *value;
} gptp_settings[] = {
	{ "gmCapable", "1" },
	{ "logAnnounceInterval", "0" },
	{ "logSyncInterval", "-3" },
	{ "syncReceiptTimeout", "3" },
	{ "neighborPropDelayThresh", "800" },
	{ "min_neighbor_prop_delay", "-20000000" },
	{ "assume_two_step", "1" },
	{ "path_trace_enabled", "1" },
	{ "follow_up_info", "1" },
	{ "transportSpecific", "0x1" },
	{ "ptp_dst_mac", "01:80:C2:00:00:0E" },
};

/* tsnd's defaults that options may change. */
static const struct {
	const char *key, *value, *why;
} tsnd_settings[] = {
	{ "summary_interval", "6", "clock statistics every 64 s instead of a line per Sync" },
};

static void kv_line(FILE *f, const char *key, const char *value)
{
	int pad = 24 - (int)strlen(key);
	fprintf(f, "%s%*s%s\n", key, pad > 1 ? pad : 1, "", value);
}

char *ptp_render_ptp4l(const struct tsn_config *cfg, const struct ptp_plan *plan)
{
	const struct tsn_cfg_ptp *ptp = &cfg->ptp;
	char *text = NULL, num[32];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fputs("# ptp4l configuration written by tsnd from the ptp section of its configuration.\n"
	      "# tsnd rewrites it when that section changes: edit tsnd.yaml, not this file.\n"
	      "[global]\n", f);
	snprintf(num, sizeof(num), "%u", ptp->domain);
	kv_line(f, "domainNumber", num);
	snprintf(num, sizeof(num), "%u", ptp->priority1);
	kv_line(f, "priority1", num);
	snprintf(num, sizeof(num), "%u", ptp->priority2);
	kv_line(f, "priority2", num);
	kv_line(f, "network_transport", ptp_transport_name(ptp->transport));
	kv_line(f, "delay_mechanism", ptp_effective_delay(ptp, NULL) == TSN_PTP_DELAY_P2P ? "P2P" : "E2E");
	kv_line(f, "time_stamping", plan->timestamping == TSN_TSTAMP_HARDWARE ? "hardware" : "software");
	kv_line(f, "free_running", ptp->free_running ? "1" : "0");
	fputs("# management: tsnd's own client talks to this socket\n", f);
	kv_line(f, "uds_address", ptp->uds_address);
	if (plan->ro_supported)
		kv_line(f, "uds_ro_address", plan->ro_address);
	fputs("# output: tsnd reads it and writes it to its log\n", f);
	kv_line(f, "verbose", "1");
	kv_line(f, "use_syslog", "0");
	for (size_t i = 0; i < sizeof(tsnd_settings) / sizeof(tsnd_settings[0]); i++)
		if (!find_option(ptp, tsnd_settings[i].key)) {
			fprintf(f, "# %s\n", tsnd_settings[i].why);
			kv_line(f, tsnd_settings[i].key, tsnd_settings[i].value);
		}
	if (!find_option(ptp, "socket_priority")) {
		/* Without it ptp4l's frames have priority 0 and wait for class 0's gate:
		 * late transmit timestamps, and ptp4l faults the port. */
		fputs("# ptp4l's frames carry PTP's priority (classification, EtherType 0x88f7),\n"
		      "# so the gate schedules give them the PTP class's windows\n", f);
		snprintf(num, sizeof(num), "%u", ptp_frame_priority(cfg));
		kv_line(f, "socket_priority", num);
	}
	if (ptp->profile == TSN_PTP_GPTP) {
		fputs("# profile gptp: IEEE 802.1AS, the settings of linuxptp's gPTP.cfg\n", f);
		for (size_t i = 0; i < sizeof(gptp_settings) / sizeof(gptp_settings[0]); i++)
			if (!find_option(ptp, gptp_settings[i].key) &&
			    !(ptp->neighbor_prop_delay_thresh_ns &&
			      strcmp(gptp_settings[i].key, "neighborPropDelayThresh") == 0))
				kv_line(f, gptp_settings[i].key, gptp_settings[i].value);
	}
	if (ptp->neighbor_prop_delay_thresh_ns && !find_option(ptp, "neighborPropDelayThresh")) {
		fputs("# ptp.neighbor-prop-delay-thresh\n", f);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)ptp->neighbor_prop_delay_thresh_ns);
		kv_line(f, "neighborPropDelayThresh", num);
	}
	if (ptp->n_options) {
		fputs("# ptp.options\n", f);
		for (size_t i = 0; i < ptp->n_options; i++)
			kv_line(f, ptp->options[i].key, ptp->options[i].value);
	}
	int global_delay = ptp_effective_delay(ptp, NULL);
	for (size_t i = 0; i < ptp->n_ports; i++) {
		const struct tsn_cfg_ptp_port *pp = &ptp->ports[i];
		fprintf(f, "[%s]\n", pp->name);
		int d = ptp_effective_delay(ptp, pp);
		if (d != global_delay)
			kv_line(f, "delay_mechanism", d == TSN_PTP_DELAY_P2P ? "P2P" : "E2E");
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

char *ptp_render_phc2sys(const struct tsn_config *cfg, const struct ptp_plan *plan)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fputs("# phc2sys configuration written by tsnd (see ptp4l.conf beside it).\n[global]\n", f);
	fprintf(f, "domainNumber            %u\n", cfg->ptp.domain);
	fprintf(f, "transportSpecific       0x%x\n", plan->transport_specific);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

char **ptp_ptp4l_argv(const struct tsn_config *cfg, const struct ptp_plan *plan)
{
	return argv_new(cfg->ptp.ptp4l, "-f", plan->conf_path, NULL);
}

char **ptp_phc2sys_argv(const struct tsn_config *cfg, const struct ptp_plan *plan)
{
	/* -a: follow ptp4l's port states over its socket; -r: the system clock too. */
	return argv_new(cfg->ptp.phc2sys, "-a", "-r", "-f", plan->phc2sys_conf_path, "-z",
			cfg->ptp.uds_address, "-m", "-q", NULL);
}

/* ====================================================================== */
/* The gate-window rule for PTP frames                                     */
/* ====================================================================== */

uint32_t ptp_frame_priority(const struct tsn_config *cfg)
{
	/* The same rules the data plane classifies with: configured, then built-in. */
	struct tsn_cfg_prio_rule rules[80];
	size_t n = tsn_ethertype_rules(cfg, rules, sizeof(rules) / sizeof(rules[0]));

	for (size_t i = 0; i < n; i++)
		if (rules[i].match == PTP_ETHERTYPE)
			return rules[i].priority;
	return cfg->classification.default_priority;
}

uint64_t ptp_sync_interval_ns(const struct tsn_config *cfg)
{
	return ptp_log_interval_ns(ptp_effective_log_sync(&cfg->ptp));
}

uint64_t ptp_longest_closed_ns(const struct tsn_cfg_schedule *s, uint32_t tc)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < s->n_entries; i++)
		sum += s->entries[i].interval_ns;
	uint64_t cycle = s->cycle_time_ns ? s->cycle_time_ns : sum;
	if (!cycle || !s->n_entries)
		return cycle;

	/* Walk one cycle as taprio does: entries past the cycle are cut, and the
	 * last entry lasts until the cycle ends. */
	uint64_t t = 0, longest = 0, run = 0, first_run = 0;
	bool first_closed = true;	/* still in the closed stretch that starts the cycle */
	for (size_t i = 0; i < s->n_entries && t < cycle; i++) {
		uint64_t len = s->entries[i].interval_ns;
		if (i + 1 == s->n_entries || t + len > cycle)
			len = cycle - t;
		if (s->entries[i].gates & (1u << tc)) {
			if (first_closed) {
				first_run = run;
				first_closed = false;
			} else if (run > longest) {
				longest = run;
			}
			run = 0;
		} else {
			run += len;
		}
		t += len;
	}
	if (first_closed)
		return cycle;	/* never open */
	/* The closed stretch at the end continues into the next cycle's start. */
	if (run + first_run > longest)
		longest = run + first_run;
	return longest;
}

void ptp_check_schedule_windows(const struct tsn_config *cfg, struct tsn_diags *diags)
{
	const struct tsn_cfg_ptp *ptp = &cfg->ptp;
	uint32_t prio = ptp_frame_priority(cfg);
	uint64_t interval = ptp_sync_interval_ns(cfg);
	char a[48], b[48];

	if (!ptp->enabled)
		return;
	for (size_t i = 0; i < ptp->n_ports; i++) {
		const struct tsn_cfg_port *port = tsn_config_port(cfg, ptp->ports[i].name);
		if (!port || !port->has_schedule)
			continue;
		const struct tsn_cfg_schedule *s = &port->schedule;
		if (prio >= s->n_map)
			continue;	/* the schedule check reports a short map */
		uint32_t tc = s->map[prio];
		uint64_t closed = ptp_longest_closed_ns(s, tc);
		uint64_t sum = 0;
		for (size_t e = 0; e < s->n_entries; e++)
			sum += s->entries[e].interval_ns;
		uint64_t cycle = s->cycle_time_ns ? s->cycle_time_ns : sum;
		if (closed >= cycle && cycle) {
			report(cfg, diags, TSN_DIAG_WARNING, &s->n_entries,
			       "traffic class %u, which carries PTP (EtherType 0x88f7, priority %u), "
			       "never opens on %s: ptp4l's messages on this port will not be sent",
			       tc, prio, port->name);
		} else if (closed >= interval) {
			tsn_format_duration(closed, a, sizeof(a));
			tsn_format_duration(interval, b, sizeof(b));
			report(cfg, diags, TSN_DIAG_WARNING, &s->n_entries,
			       "traffic class %u, which carries PTP (EtherType 0x88f7, priority %u), "
			       "stays closed for %s on %s, not shorter than the sync interval %s: "
			       "open it at least once per sync interval",
			       tc, prio, a, port->name, b);
		}
	}
}

bool ptp_config_check(const struct tsn_config *cfg, struct tsn_diags *diags)
{
	struct ptp_plan plan;
	bool ok = true;

	if (cfg->ptp.enabled) {
		ok = ptp_plan_build(cfg, &plan, diags);
		ptp_plan_free(&plan);
	}
	ptp_check_schedule_windows(cfg, diags);
	return ok;
}
