/* SPDX-License-Identifier: GPL-2.0-only */
/* privs.c — keep only the capabilities tsnd needs after start-up (API in privs.h).
 *
 * At start tsnd needs root-like powers (load BPF programs, mount a bpf filesystem,
 * pin maps, take over programs an earlier tsnd left); afterwards it only talks
 * netlink, updates its maps, chowns its socket on reload and runs ptp4l.  What it
 * keeps, and why:
 *
 *   tsnd itself (permitted, effective):
 *     CAP_NET_ADMIN  netlink changes: XDP and tc attach/detach, clsact and taprio
 *                    qdiscs, IPv6 routes, ethtool queries (reloads, shutdown)
 *     CAP_BPF        bpf() on its maps and programs (reading counters, writing
 *                    tables on reload) on kernels that refuse every bpf() command
 *                    to a caller without it while kernel.unprivileged_bpf_disabled
 *                    is set
 *     CAP_CHOWN      giving the control socket control.read-group on a reload
 *     CAP_SYS_TIME   only when ptp is enabled and not free-running at start
 *                    (restart tsnd to change that): ptp4l / phc2sys steer a clock,
 *                    and tsnd sets the kernel's TAI offset from PTP (ptp.h)
 *   only in the bounding set, for children (root's execve grants them):
 *     CAP_NET_RAW    ptp4l: raw packet sockets for PTP over Ethernet (L2)
 *     CAP_NET_BIND_SERVICE  only when ptp is enabled at start: ptp4l over UDPv4
 *                    or UDPv6 binds ports 319 and 320, and tsnd restarts it
 *                    (after a crash, after a reload that changes ptp4l.conf) long
 *                    after this drop.  Bounding set only, not tsnd's own sets nor
 *                    the ambient set: tsnd never binds a low port, and ambient
 *                    would need it in tsnd's permitted set; kept whatever the
 *                    transport, since a reload may switch L2 to UDP
 *
 * Dropped, among them: CAP_PERFMON (with CAP_BPF, needed to load the programs:
 * the verifier's pointer rules; tsnd loads them only at start), CAP_SYS_ADMIN (needed at start to mount a bpf filesystem
 * and for BPF_PROG_GET_FD_BY_ID, which takes over programs an earlier tsnd left
 * attached; after start a new pin-dir must already be on a bpf filesystem, and
 * such programs on ports added by a reload count as foreign), CAP_SYS_RESOURCE
 * (memlock limits: kernels before 5.11 only, and only while maps are created, at
 * start), CAP_DAC_OVERRIDE (tsnd's files are root's own), CAP_SETPCAP (once the
 * sets are final), CAP_SYS_MODULE, CAP_SYS_PTRACE, ...
 *
 * Children: ptp4l and phc2sys run as root; execve gives a root process the
 * bounding set, so they get tsnd's kept capabilities plus CAP_NET_RAW (and
 * CAP_SYS_TIME where a clock is steered), nothing else. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "privs.h"
#include "tsn/log.h"

struct kept_cap {
	cap_value_t cap;
	bool self;		/* in tsnd's permitted and effective sets */
};

static size_t kept_caps(const struct tsn_config *cfg, struct kept_cap *out)
{
	size_t n = 0;

	out[n++] = (struct kept_cap){ CAP_NET_ADMIN, true };
	out[n++] = (struct kept_cap){ CAP_BPF, true };
	out[n++] = (struct kept_cap){ CAP_CHOWN, true };
	out[n++] = (struct kept_cap){ CAP_NET_RAW, false };
	if (cfg && cfg->ptp.enabled)
		out[n++] = (struct kept_cap){ CAP_NET_BIND_SERVICE, false };
	if (cfg && cfg->ptp.enabled && !cfg->ptp.free_running)
		out[n++] = (struct kept_cap){ CAP_SYS_TIME, true };
	return n;
}

static bool is_kept(const struct kept_cap *k, size_t n, cap_value_t c)
{
	for (size_t i = 0; i < n; i++)
		if (k[i].cap == c)
			return true;
	return false;
}

void privs_kept_text(const struct tsn_config *cfg, char *buf, size_t len)
{
	struct kept_cap k[8];
	size_t n = kept_caps(cfg, k), used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		char *name = cap_to_name(k[i].cap);

		used += (size_t)snprintf(buf + used, len - used, "%s%s%s", i ? "," : "",
					 name ? name : "?", k[i].self ? "" : " (children)");
		cap_free(name);
	}
}

bool privs_children_have(int cap)
{
	/* 1 in the set, 0 not, -1 (EINVAL) a capability this kernel lacks. */
	return prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) == 1;
}

int privs_drop(const struct tsn_config *cfg, char *err, size_t errlen)
{
	struct kept_cap k[8];
	size_t n = kept_caps(cfg, k);
	cap_flag_value_t setpcap = CAP_CLEAR;
	cap_value_t self[8];
	int n_self = 0, rc = 0;
	cap_t now = cap_get_proc();
	cap_t want = NULL;
	char text[256];

	if (!now) {
		snprintf(err, errlen, "cannot read the process capabilities: %s", strerror(errno));
		return -errno;
	}
	cap_get_flag(now, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
	if (setpcap != CAP_SET) {
		/* Not started with full privileges (tests, a unit file that already
		 * restricts them): nothing to drop from the bounding set. */
		log_info("privileges: no CAP_SETPCAP; keeping the capabilities tsnd was given");
		cap_free(now);
		return 0;
	}
	/* The bounding set first: dropping from it needs CAP_SETPCAP, dropped last. */
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		if (is_kept(k, n, c) || !CAP_IS_SUPPORTED(c))
			continue;
		if (cap_drop_bound(c) < 0 && errno != EINVAL) {
			rc = -errno;
			snprintf(err, errlen, "cannot drop capability %d from the bounding set: %s", c,
				 strerror(errno));
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (k[i].self)
			self[n_self++] = k[i].cap;
	want = cap_init();	/* all clear: inheritable stays empty */
	if (!want || cap_set_flag(want, CAP_PERMITTED, n_self, self, CAP_SET) < 0 ||
	    cap_set_flag(want, CAP_EFFECTIVE, n_self, self, CAP_SET) < 0 || cap_set_proc(want) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot set the process capabilities: %s", strerror(errno));
		goto out;
	}
	/* Ambient capabilities would survive execve into children: none. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		rc = -errno;
		snprintf(err, errlen, "cannot clear the ambient capabilities: %s", strerror(errno));
		goto out;
	}
	privs_kept_text(cfg, text, sizeof(text));
	log_info("privileges: dropped every capability but %s", text);
out:
	cap_free(want);
	cap_free(now);
	return rc;
}
