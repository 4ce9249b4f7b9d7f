/* dataplane.c — load tsnd's XDP program and keep its attachments in line with
 * the configuration.
 *
 * Rules kept here:
 * - Never replace or detach an XDP program that is not ours.  "Ours" is the
 *   program this process loaded, or a tsn_port_counters left attached by an
 *   earlier tsnd (dataplane.keep-on-exit), which this one takes over.
 * - dataplane_apply is all or nothing: every kernel change is journaled and
 *   undone in reverse order when a later step fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/port_counters.skel.h"
#include "dataplane.h"
#include "tsn/bpf_shared.h"
#include "tsn/log.h"

#define PROG_NAME "tsn_port_counters"
#define XDP_MODE_MASK (XDP_FLAGS_SKB_MODE | XDP_FLAGS_DRV_MODE | XDP_FLAGS_HW_MODE)

static const char *const kind_names[TSN_KIND_COUNT] = {
	[TSN_KIND_PTP] = "ptp",
	[TSN_KIND_IPV6] = "ipv6",
	[TSN_KIND_IPV4] = "ipv4",
	[TSN_KIND_ARP] = "arp",
	[TSN_KIND_VLAN] = "vlan",
	[TSN_KIND_OTHER] = "other",
	[TSN_KIND_MALFORMED] = "malformed",
};

/* A port the program is attached to. */
struct dp_port {
	char name[IFNAMSIZ];
	int ifindex;
	__u32 mode_flags;		/* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
};

/* Per-CPU map values are laid out at 8-byte strides; read_counters relies on it. */
_Static_assert(sizeof(struct port_counters) % 8 == 0, "port_counters must be 8-byte sized");

struct dataplane {
	struct port_counters_bpf *skel;
	int prog_fd;
	__u32 prog_id;
	char prog_name[BPF_OBJ_NAME_LEN];	/* as the kernel stores it (truncated) */
	struct dp_port *ports;
	size_t n_ports;
};

/* One port's change during dataplane_apply, enough to put it back. */
struct xdp_change {
	char name[IFNAMSIZ];
	int ifindex;
	int old_fd;			/* program there before (-1: none) */
	__u32 old_flags;		/* its mode */
	bool old_removed;		/* we detached it */
	__u32 new_flags;		/* mode we attached ours in, 0 if we did not */
};

struct journal {
	struct xdp_change *items;
	size_t count;
};

/* ---- libbpf log ----
 * libbpf reports the kernel's extack text as "Kernel error message: ..." on its
 * log; keep the last one so an attach error can quote the kernel's own words. */
static char last_kernel_message[256];

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static const char marker[] = "Kernel error message: ";
	char line[1024];
	const char *hit;
	size_t len;

	(void)level;
	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	while (len && line[len - 1] == '\n')
		line[--len] = '\0';
	hit = strstr(line, marker);
	if (hit)
		snprintf(last_kernel_message, sizeof(last_kernel_message), "%s",
			 hit + sizeof(marker) - 1);
	tsn_log(TSN_LOG_DEBUG, "%s", line);
	return 0;
}

static const char *mode_name(__u32 mode_flags)
{
	switch (mode_flags & XDP_MODE_MASK) {
	case XDP_FLAGS_DRV_MODE: return "native";
	case XDP_FLAGS_SKB_MODE: return "generic";
	case XDP_FLAGS_HW_MODE: return "offload";
	}
	return "off";
}

/* " (kernel: ...)" when libbpf logged an extack message since the last reset. */
static const char *kernel_detail(char *buf, size_t len)
{
	if (last_kernel_message[0])
		snprintf(buf, len, " (kernel: %s)", last_kernel_message);
	else
		buf[0] = '\0';
	return buf;
}

/* ---- what is attached ---- */

struct xdp_state {
	__u32 prog_id;			/* 0: nothing attached */
	__u32 mode_flags;
};

static int query_xdp(int ifindex, struct xdp_state *st)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err = bpf_xdp_query(ifindex, 0, &q);

	memset(st, 0, sizeof(*st));
	if (err < 0)
		return err;
	/* Only one of generic and native can be active at a time; offloaded
	 * programs (HW) can coexist with them but are never ours. */
	if (q.drv_prog_id) {
		st->prog_id = q.drv_prog_id;
		st->mode_flags = XDP_FLAGS_DRV_MODE;
	} else if (q.skb_prog_id) {
		st->prog_id = q.skb_prog_id;
		st->mode_flags = XDP_FLAGS_SKB_MODE;
	} else if (q.hw_prog_id) {
		st->prog_id = q.hw_prog_id;
		st->mode_flags = XDP_FLAGS_HW_MODE;
	}
	return 0;
}

/* An fd for program id if it is a tsn_port_counters (ours or an earlier
 * tsnd's), -1 if it is someone else's. */
static int adopt_prog(const struct dataplane *dp, __u32 prog_id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd;

	if (prog_id == dp->prog_id)
		return fcntl(dp->prog_fd, F_DUPFD_CLOEXEC, 0);
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == BPF_PROG_TYPE_XDP &&
	    strcmp(info.name, dp->prog_name) == 0)
		return fd;
	close(fd);
	return -1;
}

/* ---- attaching and detaching, journaled ---- */

static struct xdp_change *journal_add(struct journal *j, const char *name, int ifindex)
{
	struct xdp_change *c;
	struct xdp_change *grown = realloc(j->items, (j->count + 1) * sizeof(*grown));

	if (!grown)
		return NULL;
	j->items = grown;
	c = &j->items[j->count++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->ifindex = ifindex;
	c->old_fd = -1;
	return c;
}

/* Detach prog_fd from ifindex, but only if it is still the one attached. */
static int detach_exact(int ifindex, int prog_fd, __u32 mode_flags)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = prog_fd);

	return bpf_xdp_detach(ifindex, mode_flags | XDP_FLAGS_REPLACE, &opts);
}

/* Put one port back the way it was.  Errors are logged: nothing better to do
 * while already failing. */
static void undo_change(struct dataplane *dp, const struct xdp_change *c)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, swap, .old_prog_fd = dp->prog_fd);
	bool restore = c->old_removed && c->old_fd >= 0;
	int err;

	if (c->new_flags && restore && c->new_flags == c->old_flags) {
		/* Same mode: swap back atomically, as it was swapped in. */
		err = bpf_xdp_attach(c->ifindex, c->old_fd, c->old_flags | XDP_FLAGS_REPLACE,
				     &swap);
		if (err < 0)
			log_err("dataplane: rollback: cannot put the previous program back on "
				"port %s: %s", c->name, strerror(-err));
		return;
	}
	if (c->new_flags) {
		err = detach_exact(c->ifindex, dp->prog_fd, c->new_flags);
		if (err < 0)
			log_err("dataplane: rollback: cannot detach from port %s: %s", c->name,
				strerror(-err));
	}
	if (restore) {
		err = bpf_xdp_attach(c->ifindex, c->old_fd,
				     c->old_flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
		if (err < 0)
			log_err("dataplane: rollback: cannot re-attach the previous program to "
				"port %s in %s mode: %s", c->name, mode_name(c->old_flags),
				strerror(-err));
	}
}

static size_t journal_changes(const struct journal *j)
{
	size_t n = 0;

	for (size_t i = 0; i < j->count; i++)
		n += j->items[i].new_flags || j->items[i].old_removed;
	return n;
}

static void journal_finish(struct dataplane *dp, struct journal *j, bool rollback)
{
	for (size_t i = j->count; i-- > 0;) {
		if (rollback)
			undo_change(dp, &j->items[i]);
		if (j->items[i].old_fd >= 0)
			close(j->items[i].old_fd);
	}
	free(j->items);
	j->items = NULL;
	j->count = 0;
}

static bool mode_satisfies(int want, __u32 have_flags)
{
	switch (want) {
	case TSN_XDP_NATIVE: return have_flags == XDP_FLAGS_DRV_MODE;
	case TSN_XDP_GENERIC: return have_flags == XDP_FLAGS_SKB_MODE;
	case TSN_XDP_AUTO: return have_flags == XDP_FLAGS_DRV_MODE ||
				  have_flags == XDP_FLAGS_SKB_MODE;
	}
	return false;
}

/* Attach our program to c's port in one mode.  A program of ours already in that
 * mode is swapped atomically; one in the other mode is detached first, since
 * native and generic XDP cannot be active together.  Anything else must be
 * absent: XDP_FLAGS_UPDATE_IF_NOEXIST makes the kernel refuse if a program
 * appeared since we looked. */
static int attach_in_mode(struct dataplane *dp, struct xdp_change *c, __u32 mode_flags)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = c->old_fd);
	int rc;

	last_kernel_message[0] = '\0';
	if (c->old_fd >= 0 && !c->old_removed) {
		if (c->old_flags == mode_flags) {
			rc = bpf_xdp_attach(c->ifindex, dp->prog_fd,
					    mode_flags | XDP_FLAGS_REPLACE, &opts);
			c->old_removed = rc == 0;
			return rc;
		}
		rc = detach_exact(c->ifindex, c->old_fd, c->old_flags);
		if (rc < 0)
			return rc;
		c->old_removed = true;
	}
	return bpf_xdp_attach(c->ifindex, dp->prog_fd,
			      mode_flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
}

/* Bring one configured port to "our program, in a mode port->xdp accepts". */
static int apply_port(struct dataplane *dp, struct journal *j, const struct tsn_cfg_port *port,
		      struct dp_port *result, char *err, size_t errlen)
{
	char detail[300];
	struct xdp_state st;
	struct xdp_change *c;
	__u32 mode;
	int ifindex = (int)if_nametoindex(port->name);
	int rc;

	if (ifindex == 0) {
		snprintf(err, errlen, "port %s: no such network interface (XDP needs an existing "
			 "interface; create it or set xdp: off for this port)", port->name);
		return -ENODEV;
	}
	rc = query_xdp(ifindex, &st);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot query its XDP program: %s", port->name,
			 strerror(-rc));
		return rc;
	}
	snprintf(result->name, sizeof(result->name), "%s", port->name);
	result->ifindex = ifindex;
	if (st.prog_id == dp->prog_id && mode_satisfies(port->xdp, st.mode_flags)) {
		result->mode_flags = st.mode_flags;
		return 0;
	}

	c = journal_add(j, port->name, ifindex);
	if (!c) {
		snprintf(err, errlen, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	if (st.prog_id) {
		c->old_fd = st.mode_flags == XDP_FLAGS_HW_MODE ? -1 : adopt_prog(dp, st.prog_id);
		if (c->old_fd < 0) {
			snprintf(err, errlen, "port %s: another XDP program (id %u, %s mode) is "
				 "attached; tsnd does not replace programs it did not load: "
				 "detach it or set xdp: off for this port", port->name,
				 st.prog_id, mode_name(st.mode_flags));
			return -EBUSY;
		}
		c->old_flags = st.mode_flags;
	}

	mode = port->xdp == TSN_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	rc = attach_in_mode(dp, c, mode);
	if (rc < 0 && port->xdp == TSN_XDP_AUTO) {
		log_info("dataplane: port %s: native XDP failed (%s%s), using generic mode",
			 port->name, strerror(-rc), kernel_detail(detail, sizeof(detail)));
		mode = XDP_FLAGS_SKB_MODE;
		rc = attach_in_mode(dp, c, mode);
	}
	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot attach XDP in %s mode: %s%s%s", port->name,
			 mode_name(mode), strerror(-rc), kernel_detail(detail, sizeof(detail)),
			 rc == -EBUSY || rc == -EEXIST ?
			 " (another program was attached meanwhile)" : "");
		return rc;
	}
	c->new_flags = mode;
	result->mode_flags = mode;
	log_info("dataplane: port %s: attached %s in %s mode", port->name, PROG_NAME,
		 mode_name(mode));
	return 0;
}

/* Detach from a port that is no longer configured.  Gone already (interface
 * deleted, or someone detached it) is fine: that is the wanted end state. */
static int release_port(struct dataplane *dp, struct journal *j, const struct dp_port *port,
			char *err, size_t errlen)
{
	struct xdp_state st;
	struct xdp_change *c;
	int rc;

	if (query_xdp(port->ifindex, &st) < 0 || st.prog_id != dp->prog_id)
		return 0;
	c = journal_add(j, port->name, port->ifindex);
	if (!c) {
		snprintf(err, errlen, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	rc = detach_exact(port->ifindex, dp->prog_fd, st.mode_flags);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot detach XDP (%s mode): %s", port->name,
			 mode_name(st.mode_flags), strerror(-rc));
		return rc;
	}
	c->old_fd = fcntl(dp->prog_fd, F_DUPFD_CLOEXEC, 0);
	c->old_flags = st.mode_flags;
	c->old_removed = c->old_fd >= 0;
	log_info("dataplane: port %s: detached %s", port->name, PROG_NAME);
	return 0;
}

static bool cfg_wants(const struct tsn_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].xdp != TSN_XDP_OFF && strcmp(cfg->ports[i].name, name) == 0)
			return true;
	return false;
}

static bool has_ifindex(const struct dp_port *ports, size_t n, int ifindex)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i].ifindex == ifindex)
			return true;
	return false;
}

/* Counters of a port that is no longer ours must not greet the next interface
 * that happens to get the same ifindex. */
static void forget_counters(struct dataplane *dp, int ifindex)
{
	__u32 key = (__u32)ifindex;

	bpf_map__delete_elem(dp->skel->maps.port_stats, &key, sizeof(key), 0);
}

int dataplane_apply(struct dataplane *dp, const struct tsn_config *cfg, char *err, size_t errlen)
{
	struct journal j = { 0 };
	struct dp_port *next = calloc(cfg->n_ports ? cfg->n_ports : 1, sizeof(*next));
	size_t n_next = 0;
	int rc = 0;

	if (!next) {
		snprintf(err, errlen, "dataplane: out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_ports && rc == 0; i++) {
		if (cfg->ports[i].xdp == TSN_XDP_OFF)
			continue;
		rc = apply_port(dp, &j, &cfg->ports[i], &next[n_next], err, errlen);
		if (rc == 0)
			n_next++;
	}
	for (size_t i = 0; i < dp->n_ports && rc == 0; i++)
		if (!cfg_wants(cfg, dp->ports[i].name))
			rc = release_port(dp, &j, &dp->ports[i], err, errlen);

	if (rc < 0) {
		log_err("dataplane: %s; undoing %zu change(s)", err, journal_changes(&j));
		journal_finish(dp, &j, true);
		free(next);
		return rc;
	}
	journal_finish(dp, &j, false);
	for (size_t i = 0; i < dp->n_ports; i++)
		if (!has_ifindex(next, n_next, dp->ports[i].ifindex))
			forget_counters(dp, dp->ports[i].ifindex);
	free(dp->ports);
	dp->ports = next;
	dp->n_ports = n_next;
	return 0;
}

struct dataplane *dataplane_create(char *err, size_t errlen)
{
	struct dataplane *dp = calloc(1, sizeof(*dp));
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int rc;

	if (!dp) {
		snprintf(err, errlen, "dataplane: out of memory");
		return NULL;
	}
	libbpf_set_print(libbpf_log);
	dp->skel = port_counters_bpf__open_and_load();
	if (!dp->skel) {
		rc = -errno;
		snprintf(err, errlen, "cannot load the BPF program %s: %s (the verifier log is "
			 "printed at log level debug; BPF needs CAP_BPF and CAP_NET_ADMIN)",
			 PROG_NAME, strerror(-rc));
		free(dp);
		return NULL;
	}
	dp->prog_fd = bpf_program__fd(dp->skel->progs.tsn_port_counters);
	memset(&info, 0, sizeof(info));
	rc = bpf_obj_get_info_by_fd(dp->prog_fd, &info, &len);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read the id of the BPF program %s: %s", PROG_NAME,
			 strerror(-rc));
		port_counters_bpf__destroy(dp->skel);
		free(dp);
		return NULL;
	}
	dp->prog_id = info.id;
	memcpy(dp->prog_name, info.name, sizeof(dp->prog_name));
	dp->prog_name[sizeof(dp->prog_name) - 1] = '\0';
	log_debug("dataplane: loaded %s, program id %u", PROG_NAME, dp->prog_id);
	return dp;
}

void dataplane_destroy(struct dataplane *dp, bool keep_attached)
{
	if (!dp)
		return;
	for (size_t i = 0; i < dp->n_ports && !keep_attached; i++) {
		struct xdp_state st;

		if (query_xdp(dp->ports[i].ifindex, &st) < 0 || st.prog_id != dp->prog_id)
			continue;
		int rc = detach_exact(dp->ports[i].ifindex, dp->prog_fd, st.mode_flags);
		if (rc < 0)
			log_err("dataplane: cannot detach from port %s: %s", dp->ports[i].name,
				strerror(-rc));
	}
	if (keep_attached && dp->n_ports)
		log_notice("dataplane: leaving %s attached to %zu port(s)", PROG_NAME, dp->n_ports);
	port_counters_bpf__destroy(dp->skel);
	free(dp->ports);
	free(dp);
}

json_object *dataplane_status_json(const struct dataplane *dp)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "state", json_object_new_string(dp ? "loaded" : "unavailable"));
	json_object_object_add(o, "ports_attached", json_object_new_int64(dp ? (int64_t)dp->n_ports : 0));
	return o;
}

/* Sum one port's per-CPU counters; all zero when the port has seen no frame. */
static int read_counters(const struct dataplane *dp, int ifindex, struct port_counters *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct port_counters *percpu;
	__u32 key = (__u32)ifindex;
	int rc;

	memset(sum, 0, sizeof(*sum));
	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	/* sizeof(struct port_counters) is a multiple of 8: no per-CPU padding. */
	percpu = calloc((size_t)ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	rc = bpf_map__lookup_elem(dp->skel->maps.port_stats, &key, sizeof(key), percpu,
				  (size_t)ncpus * sizeof(*percpu), 0);
	if (rc == -ENOENT)
		rc = 0;
	else if (rc == 0)
		for (int cpu = 0; cpu < ncpus; cpu++)
			for (int k = 0; k < TSN_KIND_COUNT; k++) {
				sum->kind[k].packets += percpu[cpu].kind[k].packets;
				sum->kind[k].bytes += percpu[cpu].kind[k].bytes;
			}
	free(percpu);
	return rc;
}

json_object *dataplane_port_json(const struct dataplane *dp, const char *port)
{
	const struct dp_port *p = NULL;
	struct port_counters sum;
	struct xdp_state st;
	json_object *o, *counters;

	for (size_t i = 0; dp && i < dp->n_ports && !p; i++)
		if (strcmp(dp->ports[i].name, port) == 0)
			p = &dp->ports[i];
	if (!p)
		return NULL;

	/* "attached" is what the kernel says now, not what we did last. */
	bool attached = query_xdp(p->ifindex, &st) == 0 && st.prog_id == dp->prog_id &&
			st.mode_flags == p->mode_flags;
	o = json_object_new_object();
	json_object_object_add(o, "mode", json_object_new_string(mode_name(p->mode_flags)));
	json_object_object_add(o, "attached", json_object_new_boolean(attached));
	json_object_object_add(o, "prog_id", json_object_new_int64(dp->prog_id));
	counters = json_object_new_object();
	if (read_counters(dp, p->ifindex, &sum) < 0)
		log_warn("dataplane: cannot read the counters of port %s", port);
	for (int k = 0; k < TSN_KIND_COUNT; k++) {
		json_object *kc = json_object_new_object();

		json_object_object_add(kc, "packets", json_object_new_int64((int64_t)sum.kind[k].packets));
		json_object_object_add(kc, "bytes", json_object_new_int64((int64_t)sum.kind[k].bytes));
		json_object_object_add(counters, kind_names[k], kc);
	}
	json_object_object_add(o, "counters", counters);
	return o;
}
