/* dataplane.c — load tsnd's BPF programs, pin them, keep their attachments and
 * tables in line with the configuration.
 *
 * Rules kept here:
 * - Never replace or detach a program that is not ours.  "Ours" is the program
 *   this process loaded, or a program of the same name left attached by an
 *   earlier tsnd (dataplane.keep-on-exit), which this one takes over.
 * - dataplane_apply is all or nothing: every kernel change (XDP and tc
 *   attachments, new table generation, redirect targets) is journaled and undone
 *   in reverse order when a later step fails.  The classifier's tables switch
 *   generation in one store (classifier.c), the last step before the commit.
 * - Per port, tc goes on before XDP and comes off after it: a frame XDP marks
 *   for tc always finds the tc program.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/dataplane.skel.h"
#include "classifier.h"
#include "dataplane.h"
#include "pins.h"
#include "ports.h"
#include "tsn/bpf_shared.h"
#include "tsn/log.h"
#include "tsn/stream_id.h"

#define XDP_PROG_NAME "tsn_xdp"
#define TC_PROG_NAME "tsn_tc_ingress"
/* The program of tsnd 0.1 (tsn_port_counters, as the kernel truncates it): a
 * restarted tsnd takes it over like its own. */
#define LEGACY_XDP_NAME "tsn_port_counte"
#define XDP_MODE_MASK (XDP_FLAGS_SKB_MODE | XDP_FLAGS_DRV_MODE | XDP_FLAGS_HW_MODE)
/* tsnd's tc filter: one fixed handle and priority on the clsact ingress hook. */
#define TSND_TC_HANDLE 0x7473
#define TSND_TC_PRIO 0x7473

_Static_assert(sizeof(struct port_counters) % 8 == 0, "per-CPU values need 8-byte sizes");
_Static_assert(sizeof(struct tsn_stream_counters) % 8 == 0, "per-CPU values need 8-byte sizes");
_Static_assert(sizeof(struct tsn_xdp_meta) <= 32 && sizeof(struct tsn_xdp_meta) % 4 == 0,
	       "XDP metadata: at most 32 bytes, a multiple of 4");
_Static_assert(sizeof(struct tsn_fib_key) == 48 && sizeof(struct tsn_fib_val) == 24,
	       "FIB cache layouts are shared with BPF");
_Static_assert(sizeof(struct tsn_ip6_key) == 44 && sizeof(struct tsn_mac_key) == 12 &&
	       sizeof(struct tsn_port_conf) == 24, "key layouts are shared with BPF");

static const char *const kind_names[TSN_KIND_COUNT] = {
	[TSN_KIND_PTP] = "ptp",
	[TSN_KIND_IPV6] = "ipv6",
	[TSN_KIND_IPV4] = "ipv4",
	[TSN_KIND_ARP] = "arp",
	[TSN_KIND_VLAN] = "vlan",
	[TSN_KIND_OTHER] = "other",
	[TSN_KIND_MALFORMED] = "malformed",
};

static const char *const fwd_names[TSN_FWD_COUNT] = {
	[TSN_FWD_REDIRECT] = "redirect",
	[TSN_FWD_TO_QDISC] = "to_qdisc",
	[TSN_FWD_DROP] = "drop",
	[TSN_PASS_NOT_IPV6] = "not_ipv6",
	[TSN_PASS_NOT_ROUTED] = "not_routed",
	[TSN_PASS_VLAN] = "vlan",
	[TSN_PASS_HOP_LIMIT] = "hop_limit",
	[TSN_PASS_SCOPE] = "scope",
	[TSN_PASS_EXT_HDR] = "ext_hdr",
	[TSN_PASS_FRAGMENT] = "fragment",
	[TSN_PASS_LENGTH] = "length",
	[TSN_PASS_UNREACHABLE] = "unreachable",
	[TSN_PASS_NOT_FWDED] = "not_forwarded",
	[TSN_PASS_NO_NEIGH] = "no_neigh",
	[TSN_PASS_MTU] = "mtu",
	[TSN_PASS_EGRESS] = "egress",
	[TSN_PASS_OTHER] = "other",
	[TSN_FWD_ACL] = "acl",
	[TSN_FWD_STORM] = "storm",
};

static const char *const tc_names[TSN_TC_COUNT] = {
	[TSN_TC_REDIRECTED] = "redirected",
	[TSN_TC_PRIORITY] = "priority",
	[TSN_TC_REDIRECT_FAILED] = "redirect_failed",
};

/* A port the programs are attached to. */
struct dp_port {
	char name[IFNAMSIZ];
	int ifindex;
	__u32 mode_flags;		/* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	uint8_t mac[6];
	bool clsact_created;		/* tsnd added the clsact qdisc */
};

struct prog {
	int fd;
	__u32 id;
	char name[BPF_OBJ_NAME_LEN];	/* as the kernel stores it (truncated) */
};

struct dataplane {
	struct dataplane_bpf *skel;
	struct prog xdp, tc;
	struct cls_maps maps;
	struct dp_port *ports;
	size_t n_ports;
	char pin_dir[TSN_PATH_MAX];	/* "" while nothing is pinned */
	bool fib_watched;		/* someone bumps the FIB cache's generation */
	bool fib_cache;			/* the configuration wants the cache */
	bool fib_on;			/* what tsn_fib_ctl says now */
};

/* One port's change during dataplane_apply, enough to put it back. */
struct port_change {
	char name[IFNAMSIZ];
	int ifindex;
	/* XDP */
	int old_fd;			/* program there before (-1: none) */
	__u32 old_flags;		/* its mode */
	bool old_removed;		/* we detached it */
	__u32 new_flags;		/* mode we attached ours in, 0 if we did not */
	/* tc */
	int tc_old_fd;			/* our-named filter there before (-1: none) */
	bool tc_attached;		/* we attached or replaced the filter */
	bool tc_removed;		/* we detached the filter (tc_old_fd is ours) */
	bool clsact_created;		/* we added the clsact qdisc */
};

struct journal {
	struct port_change *items;
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

const char *dataplane_fwd_reason_name(unsigned reason)
{
	return reason < TSN_FWD_COUNT ? fwd_names[reason] : "unknown";
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

/* An fd for program id if it is ours or an earlier tsnd's of the same kind (its
 * name is p's, or legacy), -1 if it is someone else's. */
static int adopt_prog(const struct prog *p, __u32 prog_id, const char *legacy)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd;

	if (prog_id == p->id)
		return fcntl(p->fd, F_DUPFD_CLOEXEC, 0);
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
	    (strcmp(info.name, p->name) == 0 || (legacy && strcmp(info.name, legacy) == 0)))
		return fd;
	close(fd);
	return -1;
}

/* ---- tc ---- */

/* libbpf rejects option structs with non-zero padding: these fill the caller's
 * object in place (a struct returned by value may carry garbage padding). */
static void tc_hook_init(struct bpf_tc_hook *h, int ifindex)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = BPF_TC_INGRESS;
}

static void tc_opts_init(struct bpf_tc_opts *o, int prog_fd, __u32 flags)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->handle = TSND_TC_HANDLE;
	o->priority = TSND_TC_PRIO;
	o->prog_fd = prog_fd;
	o->flags = flags;
}

/* The program id at tsnd's handle and priority, 0 if none (or no clsact). */
static __u32 query_tc(int ifindex)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;

	tc_hook_init(&h, ifindex);
	tc_opts_init(&o, 0, 0);

	return bpf_tc_query(&h, &o) == 0 ? o.prog_id : 0;
}

static int tc_detach(int ifindex)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;

	tc_hook_init(&h, ifindex);
	tc_opts_init(&o, 0, 0);

	return bpf_tc_detach(&h, &o);
}

/* Filters on the clsact qdisc's hooks other than tsnd's own priority, -1 if
 * unknown.  (A dump lists a filter's chain/priority entry and the filter itself.) */
static int count_tc_filters(int ifindex)
{
	int n = ports_tc_filters(ifindex, TSND_TC_PRIO);

	return n < 0 ? -1 : n;
}

/* Remove the clsact qdisc tsnd added, unless someone else's filters sit on it
 * (called after tsnd's own filter is gone). */
static void tc_remove_clsact(int ifindex, const char *port)
{
	struct bpf_tc_hook h;
	int n = count_tc_filters(ifindex);

	tc_hook_init(&h, ifindex);

	if (n != 0) {
		log_debug("dataplane: port %s: leaving the clsact qdisc (%s)", port,
			  n > 0 ? "other filters use it" : "cannot count its filters");
		return;
	}
	h.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	if (bpf_tc_hook_destroy(&h) < 0)
		log_debug("dataplane: port %s: cannot remove the clsact qdisc", port);
}

/* ---- attaching and detaching, journaled ---- */

static struct port_change *journal_add(struct journal *j, const char *name, int ifindex)
{
	struct port_change *c;
	struct port_change *grown = realloc(j->items, (j->count + 1) * sizeof(*grown));

	if (!grown)
		return NULL;
	j->items = grown;
	c = &j->items[j->count++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->ifindex = ifindex;
	c->old_fd = -1;
	c->tc_old_fd = -1;
	return c;
}

/* Detach prog_fd from ifindex, but only if it is still the one attached. */
static int detach_exact(int ifindex, int prog_fd, __u32 mode_flags)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = prog_fd);

	return bpf_xdp_detach(ifindex, mode_flags | XDP_FLAGS_REPLACE, &opts);
}

static void undo_xdp(struct dataplane *dp, const struct port_change *c)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, swap, .old_prog_fd = dp->xdp.fd);
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
		err = detach_exact(c->ifindex, dp->xdp.fd, c->new_flags);
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

static void undo_tc(const struct port_change *c)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	int err = 0;

	tc_hook_init(&h, c->ifindex);
	if (c->tc_attached && c->tc_old_fd >= 0) {
		tc_opts_init(&o, c->tc_old_fd, BPF_TC_F_REPLACE);
		err = bpf_tc_attach(&h, &o);
	} else if (c->tc_attached) {
		err = tc_detach(c->ifindex);
	} else if (c->tc_removed && c->tc_old_fd >= 0) {
		tc_opts_init(&o, c->tc_old_fd, 0);
		err = bpf_tc_attach(&h, &o);
	}
	if (err < 0)
		log_err("dataplane: rollback: cannot restore the tc filter of port %s: %s",
			c->name, strerror(-err));
	if (c->clsact_created) {
		h.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&h);
	}
}

static size_t journal_changes(const struct journal *j)
{
	size_t n = 0;

	for (size_t i = 0; i < j->count; i++)
		n += j->items[i].new_flags || j->items[i].old_removed || j->items[i].tc_attached ||
		     j->items[i].tc_removed;
	return n;
}

/* XDP is undone before tc, the reverse of how apply_port makes them. */
static void journal_finish(struct dataplane *dp, struct journal *j, bool rollback)
{
	for (size_t i = j->count; i-- > 0;) {
		if (rollback) {
			undo_xdp(dp, &j->items[i]);
			undo_tc(&j->items[i]);
		}
		if (j->items[i].old_fd >= 0)
			close(j->items[i].old_fd);
		if (j->items[i].tc_old_fd >= 0)
			close(j->items[i].tc_old_fd);
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

/* Attach our XDP program to c's port in one mode.  A program of ours already in
 * that mode is swapped atomically; one in the other mode is detached first, since
 * native and generic XDP cannot be active together.  Anything else must be
 * absent: XDP_FLAGS_UPDATE_IF_NOEXIST makes the kernel refuse if a program
 * appeared since we looked. */
static int attach_in_mode(struct dataplane *dp, struct port_change *c, __u32 mode_flags)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = c->old_fd);
	int rc;

	last_kernel_message[0] = '\0';
	if (c->old_fd >= 0 && !c->old_removed) {
		if (c->old_flags == mode_flags) {
			rc = bpf_xdp_attach(c->ifindex, dp->xdp.fd,
					    mode_flags | XDP_FLAGS_REPLACE, &opts);
			c->old_removed = rc == 0;
			return rc;
		}
		rc = detach_exact(c->ifindex, c->old_fd, c->old_flags);
		if (rc < 0)
			return rc;
		c->old_removed = true;
	}
	return bpf_xdp_attach(c->ifindex, dp->xdp.fd,
			      mode_flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
}

/* Our tc program on the port's clsact ingress hook, at tsnd's handle/priority.
 * *created: the clsact qdisc is tsnd's (added now, or holding only tsnd's filter). */
static int attach_tc(struct dataplane *dp, struct port_change *c, bool *created, char *err,
		     size_t errlen)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	char detail[300];
	__u32 id;
	int rc;

	*created = false;
	tc_hook_init(&h, c->ifindex);
	last_kernel_message[0] = '\0';
	rc = bpf_tc_hook_create(&h);
	if (rc == 0) {
		*created = true;
		c->clsact_created = true;
	} else if (rc != -EEXIST) {
		snprintf(err, errlen, "port %s: cannot add the clsact qdisc for tsnd's tc program: "
			 "%s%s", c->name, strerror(-rc), kernel_detail(detail, sizeof(detail)));
		return rc;
	}
	id = query_tc(c->ifindex);
	/* A clsact that holds nothing but tsnd's filter (a predecessor's, say) is
	 * tsnd's to remove when the port is released. */
	if (!*created && id && count_tc_filters(c->ifindex) == 0)
		*created = true;
	if (id == dp->tc.id)
		return 0;
	if (id) {
		c->tc_old_fd = adopt_prog(&dp->tc, id, NULL);
		if (c->tc_old_fd < 0) {
			snprintf(err, errlen, "port %s: another tc filter (program id %u) uses "
				 "tsnd's handle %#x and priority %#x on the ingress hook; tsnd "
				 "does not replace filters it did not add", c->name, id,
				 TSND_TC_HANDLE, TSND_TC_PRIO);
			return -EBUSY;
		}
	}
	tc_opts_init(&o, dp->tc.fd, id ? BPF_TC_F_REPLACE : 0);
	last_kernel_message[0] = '\0';	/* the query's "not found" is no reason */
	rc = bpf_tc_attach(&h, &o);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot attach tsnd's tc program: %s%s", c->name,
			 strerror(-rc), kernel_detail(detail, sizeof(detail)));
		return rc;
	}
	c->tc_attached = true;
	return 0;
}

static int read_mac(const char *name, uint8_t mac[6])
{
	return ports_mac(name, mac);
}

/* Bring one configured port to "our programs, XDP in a mode port->xdp accepts". */
static int apply_port(struct dataplane *dp, struct journal *j, const struct tsn_cfg_port *port,
		      const struct dp_port *before, struct dp_port *result, char *err, size_t errlen)
{
	char detail[300];
	struct xdp_state st;
	struct port_change *c;
	bool created;
	__u32 mode;
	int ifindex = (int)if_nametoindex(port->name);
	int rc;

	if (ifindex == 0) {
		snprintf(err, errlen, "port %s: no such network interface (XDP needs an existing "
			 "interface; create it or set xdp: off for this port)", port->name);
		return -ENODEV;
	}
	memset(result, 0, sizeof(*result));
	snprintf(result->name, sizeof(result->name), "%s", port->name);
	result->ifindex = ifindex;
	result->clsact_created = before && before->ifindex == ifindex && before->clsact_created;
	rc = read_mac(port->name, result->mac);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot read its MAC address: %s", port->name,
			 strerror(-rc));
		return rc;
	}
	rc = query_xdp(ifindex, &st);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot query its XDP program: %s", port->name,
			 strerror(-rc));
		return rc;
	}
	if (st.prog_id == dp->xdp.id && mode_satisfies(port->xdp, st.mode_flags) &&
	    query_tc(ifindex) == dp->tc.id) {
		result->mode_flags = st.mode_flags;
		return 0;
	}

	c = journal_add(j, port->name, ifindex);
	if (!c) {
		snprintf(err, errlen, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	if (st.prog_id && st.prog_id != dp->xdp.id) {
		c->old_fd = st.mode_flags == XDP_FLAGS_HW_MODE ? -1 :
			    adopt_prog(&dp->xdp, st.prog_id, LEGACY_XDP_NAME);
		if (c->old_fd < 0) {
			snprintf(err, errlen, "port %s: another XDP program (id %u, %s mode) is "
				 "attached; tsnd does not replace programs it did not load: "
				 "detach it or set xdp: off for this port", port->name,
				 st.prog_id, mode_name(st.mode_flags));
			return -EBUSY;
		}
		c->old_flags = st.mode_flags;
	}

	rc = attach_tc(dp, c, &created, err, errlen);
	if (rc < 0)
		return rc;
	if (created)
		result->clsact_created = true;

	if (st.prog_id == dp->xdp.id && mode_satisfies(port->xdp, st.mode_flags)) {
		result->mode_flags = st.mode_flags;
		return 0;
	}
	if (st.prog_id == dp->xdp.id) {
		/* Ours, in the other mode: treat it as the old program to move. */
		c->old_fd = fcntl(dp->xdp.fd, F_DUPFD_CLOEXEC, 0);
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
	log_info("dataplane: port %s: attached %s in %s mode and %s on tc ingress", port->name,
		 XDP_PROG_NAME, mode_name(mode), TC_PROG_NAME);
	return 0;
}

/* Take our programs off a port that is no longer configured.  Gone already
 * (interface deleted, or someone detached them) is fine: that is the wanted end
 * state. */
static int release_port(struct dataplane *dp, struct journal *j, const struct dp_port *port,
			char *err, size_t errlen)
{
	struct xdp_state st;
	struct port_change *c;
	bool xdp_ours = query_xdp(port->ifindex, &st) == 0 && st.prog_id == dp->xdp.id;
	bool tc_ours = query_tc(port->ifindex) == dp->tc.id;
	int rc;

	if (!xdp_ours && !tc_ours)
		return 0;
	c = journal_add(j, port->name, port->ifindex);
	if (!c) {
		snprintf(err, errlen, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	if (xdp_ours) {
		rc = detach_exact(port->ifindex, dp->xdp.fd, st.mode_flags);
		if (rc < 0) {
			snprintf(err, errlen, "port %s: cannot detach XDP (%s mode): %s", port->name,
				 mode_name(st.mode_flags), strerror(-rc));
			return rc;
		}
		c->old_fd = fcntl(dp->xdp.fd, F_DUPFD_CLOEXEC, 0);
		c->old_flags = st.mode_flags;
		c->old_removed = c->old_fd >= 0;
	}
	if (tc_ours) {
		rc = tc_detach(port->ifindex);
		if (rc < 0 && rc != -ENOENT) {
			snprintf(err, errlen, "port %s: cannot remove tsnd's tc filter: %s",
				 port->name, strerror(-rc));
			return rc;
		}
		c->tc_old_fd = fcntl(dp->tc.fd, F_DUPFD_CLOEXEC, 0);
		c->tc_removed = c->tc_old_fd >= 0;
	}
	log_info("dataplane: port %s: detached %s and %s", port->name, XDP_PROG_NAME, TC_PROG_NAME);
	return 0;
}

static bool cfg_wants(const struct tsn_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].xdp != TSN_XDP_OFF && strcmp(cfg->ports[i].name, name) == 0)
			return true;
	return false;
}

static const struct dp_port *find_port(const struct dp_port *ports, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ports[i].name, name) == 0)
			return &ports[i];
	return NULL;
}

static bool has_ifindex(const struct dp_port *ports, size_t n, int ifindex)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i].ifindex == ifindex)
			return true;
	return false;
}

/* ---- pinning (daemon/pins.c) ---- */

static const char *const prog_pin_names[] = { XDP_PROG_NAME, TC_PROG_NAME };

static void unpin_all(struct dataplane *dp, const char *dir)
{
	pins_remove(dp->skel->obj, prog_pin_names, 2, dir);
}

static int pin_all(struct dataplane *dp, const char *dir, char *err, size_t errlen)
{
	int fds[] = { dp->xdp.fd, dp->tc.fd };

	return pins_create(dp->skel->obj, fds, prog_pin_names, 2, dir, err, errlen);
}

/* ---- kernel facts: VLAN sub-interfaces, redirect targets ---- */

struct vlan_entry {
	struct tsn_vlan_key in;		/* (physical port, vid) */
	__u32 sub_ifindex;
};

/* The 802.1Q sub-interfaces of attached ports, from the kernel's link list. */
static int scan_vlans(const struct dp_port *ports, size_t n, struct vlan_entry **out, size_t *count)
{
	struct port_vlan *all;
	size_t n_all, nv = 0;
	int rc = ports_vlans(&all, &n_all);

	*out = NULL;
	*count = 0;
	if (rc < 0 || !n_all)
		return rc;
	struct vlan_entry *v = calloc(n_all, sizeof(*v));
	for (size_t i = 0; v && i < n_all; i++) {
		if (!has_ifindex(ports, n, all[i].parent))
			continue;
		v[nv].in.ifindex = (__u32)all[i].parent;
		v[nv].in.vid = all[i].vid;
		v[nv++].sub_ifindex = (__u32)all[i].ifindex;
	}
	free(all);
	if (!v)
		return -ENOMEM;
	*out = v;
	*count = nv;
	return 0;
}

static int write_vlans(struct dataplane *dp, const struct vlan_entry *v, size_t n)
{
	int in_fd = bpf_map__fd(dp->skel->maps.tsn_vlan_in);
	int eg_fd = bpf_map__fd(dp->skel->maps.tsn_egress);

	for (size_t i = 0; i < n; i++) {
		struct tsn_egress eg = { .ifindex = v[i].in.ifindex, .vid = v[i].in.vid };
		int rc = bpf_map_update_elem(in_fd, &v[i].in, &v[i].sub_ifindex, BPF_ANY);

		if (rc == 0)
			rc = bpf_map_update_elem(eg_fd, &v[i].sub_ifindex, &eg, BPF_ANY);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Entries of the VLAN maps the scan no longer found.  Keys are collected first:
 * deleting while walking a hash map restarts the walk. */
static void prune_vlans(struct dataplane *dp, const struct vlan_entry *v, size_t n)
{
	int in_fd = bpf_map__fd(dp->skel->maps.tsn_vlan_in);
	int eg_fd = bpf_map__fd(dp->skel->maps.tsn_egress);
	struct tsn_vlan_key k, next, *stale_in = NULL;
	__u32 ek, enext, *stale_eg = NULL;
	size_t n_in = 0, n_eg = 0;

	for (int rc = bpf_map_get_next_key(in_fd, NULL, &next); rc == 0;
	     rc = bpf_map_get_next_key(in_fd, &k, &next)) {
		bool keep = false;
		struct tsn_vlan_key *grown;

		k = next;
		for (size_t i = 0; i < n && !keep; i++)
			keep = v[i].in.ifindex == k.ifindex && v[i].in.vid == k.vid;
		if (keep || !(grown = realloc(stale_in, (n_in + 1) * sizeof(*grown))))
			continue;
		stale_in = grown;
		stale_in[n_in++] = k;
	}
	for (int rc = bpf_map_get_next_key(eg_fd, NULL, &enext); rc == 0;
	     rc = bpf_map_get_next_key(eg_fd, &ek, &enext)) {
		bool keep = false;
		__u32 *grown;

		ek = enext;
		for (size_t i = 0; i < n && !keep; i++)
			keep = v[i].sub_ifindex == ek;
		if (keep || !(grown = realloc(stale_eg, (n_eg + 1) * sizeof(*grown))))
			continue;
		stale_eg = grown;
		stale_eg[n_eg++] = ek;
	}
	for (size_t i = 0; i < n_in; i++)
		bpf_map_delete_elem(in_fd, &stale_in[i]);
	for (size_t i = 0; i < n_eg; i++)
		bpf_map_delete_elem(eg_fd, &stale_eg[i]);
	free(stale_in);
	free(stale_eg);
}

/* Drop the entries of a map keyed by ifindex whose port is no longer ours: its
 * counters must not greet the next interface that gets the same ifindex, and XDP
 * must not redirect to it. */
static void prune_ifindex_map(struct dataplane *dp, int fd)
{
	__u32 key, next, stale[TSN_MAX_PORTS];
	size_t n = 0;

	for (int rc = bpf_map_get_next_key(fd, NULL, &next); rc == 0 && n < TSN_MAX_PORTS;
	     rc = bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		if (!has_ifindex(dp->ports, dp->n_ports, (int)key))
			stale[n++] = key;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &stale[i]);
}

/* Ports XDP may redirect to; returns how many entries were new (for undo). */
static int add_devmap(struct dataplane *dp, const struct dp_port *ports, size_t n, __u32 *added,
		      size_t *n_added)
{
	int fd = bpf_map__fd(dp->skel->maps.tsn_tx_ports);

	*n_added = 0;
	for (size_t i = 0; i < n; i++) {
		struct bpf_devmap_val v = { .ifindex = (__u32)ports[i].ifindex };
		__u32 key = (__u32)ports[i].ifindex;
		int rc = bpf_map_update_elem(fd, &key, &v, BPF_NOEXIST);

		if (rc == -EEXIST)
			continue;
		if (rc < 0)
			return rc;
		added[(*n_added)++] = key;
	}
	return 0;
}

/* ---- FIB cache ---- */

/* Write tsn_fib_ctl: a new generation (every entry becomes a miss) and whether
 * the cache is used at all: only while someone watches the kernel for changes. */
static int fib_ctl_bump(struct dataplane *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.tsn_fib_ctl);
	struct tsn_fib_ctl ctl = { 0 };
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &ctl) < 0)
		return -errno;
	ctl.gen++;
	ctl.on = dp->fib_watched && dp->fib_cache;
	if (bpf_map_update_elem(fd, &zero, &ctl, BPF_ANY) < 0)
		return -errno;
	if (ctl.on != dp->fib_on)
		log_info("dataplane: FIB cache %s", ctl.on ? "on" : "off");
	log_debug("dataplane: FIB cache generation %u", ctl.gen);
	dp->fib_on = ctl.on;
	return 0;
}

void dataplane_fib_invalidate(struct dataplane *dp)
{
	int rc = dp ? fib_ctl_bump(dp) : 0;

	/* Cannot happen for an array of one; if it does, stop using the cache. */
	if (rc < 0) {
		log_err("dataplane: cannot invalidate the FIB cache: %s; turning it off",
			strerror(-rc));
		dp->fib_watched = false;
		fib_ctl_bump(dp);
	}
}

void dataplane_fib_watched(struct dataplane *dp, bool watched)
{
	if (!dp)
		return;
	dp->fib_watched = watched;
	dataplane_fib_invalidate(dp);
}

bool dataplane_fib_cache_on(const struct dataplane *dp)
{
	return dp && dp->fib_watched && dp->fib_cache;
}

/* ---- apply ---- */

int dataplane_apply(struct dataplane *dp, const struct tsn_config *cfg, char *err, size_t errlen)
{
	struct journal j = { 0 };
	struct dp_port *next = calloc(cfg->n_ports ? cfg->n_ports : 1, sizeof(*next));
	struct cls_port *cports = calloc(cfg->n_ports ? cfg->n_ports : 1, sizeof(*cports));
	__u32 added[TSN_MAX_PORTS];
	struct vlan_entry *vlans = NULL;
	size_t n_next = 0, n_added = 0, n_vlans = 0;
	const char *want_dir = cfg->dataplane.pin_dir;
	bool moved_pins = false;
	__u32 old_gen, new_gen;
	int rc = 0;

	err[0] = '\0';
	if (!next || !cports) {
		free(next);
		free(cports);
		snprintf(err, errlen, "dataplane: out of memory");
		return -ENOMEM;
	}
	/* A new pin directory first: it is the easiest step to undo. */
	if (want_dir[0] && strcmp(want_dir, dp->pin_dir) != 0) {
		rc = pin_all(dp, want_dir, err, errlen);
		moved_pins = rc == 0;
	}
	for (size_t i = 0; i < cfg->n_ports && rc == 0; i++) {
		const struct tsn_cfg_port *p = &cfg->ports[i];

		if (p->xdp == TSN_XDP_OFF)
			continue;
		rc = apply_port(dp, &j, p, find_port(dp->ports, dp->n_ports, p->name),
				&next[n_next], err, errlen);
		if (rc == 0) {
			cports[n_next].ifindex = next[n_next].ifindex;
			memcpy(cports[n_next].mac, next[n_next].mac, 6);
			cports[n_next].cfg = p;
			n_next++;
		}
	}
	for (size_t i = 0; i < dp->n_ports && rc == 0; i++)
		if (!cfg_wants(cfg, dp->ports[i].name))
			rc = release_port(dp, &j, &dp->ports[i], err, errlen);

	/* Kernel facts the tables depend on, then the tables: the inactive
	 * generation, then the switch. */
	if (rc == 0 && scan_vlans(next, n_next, &vlans, &n_vlans) < 0)
		log_warn("dataplane: cannot list VLAN sub-interfaces; tagged frames go to the "
			 "kernel");
	if (rc == 0) {
		rc = write_vlans(dp, vlans, n_vlans);
		if (rc < 0)
			snprintf(err, errlen, "dataplane: cannot write the VLAN table: %s",
				 strerror(-rc));
	}
	old_gen = cls_active(&dp->maps);
	new_gen = old_gen ^ 1;
	if (rc == 0)
		rc = cls_write(&dp->maps, cfg, cports, n_next, n_vlans ? TSN_RULES_VLANS : 0, new_gen,
			       err, errlen);
	if (rc == 0) {
		rc = add_devmap(dp, next, n_next, added, &n_added);
		if (rc < 0)
			snprintf(err, errlen, "dataplane: cannot add a port to the redirect map: %s",
				 strerror(-rc));
	}
	if (rc == 0) {
		rc = cls_activate(&dp->maps, new_gen);
		if (rc < 0)
			snprintf(err, errlen, "dataplane: cannot activate the new tables: %s",
				 strerror(-rc));
	}

	if (rc < 0) {
		log_err("dataplane: %s; undoing %zu port change(s)", err, journal_changes(&j));
		for (size_t i = 0; i < n_added; i++)
			bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.tsn_tx_ports), &added[i]);
		journal_finish(dp, &j, true);
		cls_clear(&dp->maps, new_gen);
		if (moved_pins)
			unpin_all(dp, want_dir);
		/* New ports whose clsact qdisc came and went leave nothing behind. */
		free(vlans);
		free(next);
		free(cports);
		return rc;
	}

	/* Committed.  Clean up once no frame can still read the old generation. */
	journal_finish(dp, &j, false);
	for (size_t i = 0; i < dp->n_ports; i++)
		if (!cfg_wants(cfg, dp->ports[i].name) && dp->ports[i].clsact_created &&
		    query_tc(dp->ports[i].ifindex) == 0)
			tc_remove_clsact(dp->ports[i].ifindex, dp->ports[i].name);
	free(dp->ports);
	dp->ports = next;
	dp->n_ports = n_next;
	cls_quiesce();
	if (cls_clear(&dp->maps, old_gen) < 0)
		log_warn("dataplane: cannot clear the old table generation; the next update "
			 "clears it");
	if (cls_prune_stream_stats(&dp->maps, cfg) < 0)
		log_warn("dataplane: cannot delete the counters of removed streams");
	prune_ifindex_map(dp, bpf_map__fd(dp->skel->maps.tsn_tx_ports));
	prune_vlans(dp, vlans, n_vlans);
	prune_ifindex_map(dp, bpf_map__fd(dp->skel->maps.port_stats));
	if (moved_pins) {
		unpin_all(dp, dp->pin_dir);	/* no-op when nothing was pinned */
		snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", want_dir);
	} else if (dp->pin_dir[0] && !want_dir[0]) {
		unpin_all(dp, dp->pin_dir);
		dp->pin_dir[0] = '\0';
	}
	free(vlans);
	free(cports);
	/* Routes (routes_apply runs first), ports and VLANs may have changed. */
	dp->fib_cache = cfg->dataplane.fib_cache;
	dataplane_fib_invalidate(dp);
	log_debug("dataplane: tables generation %u active: %zu stream(s), %zu port(s)", new_gen,
		  cfg->n_streams, n_next);
	return 0;
}

/* ---- create, destroy ---- */

static int prog_info(int fd, struct prog *p)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int rc;

	memset(&info, 0, sizeof(info));
	rc = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (rc < 0)
		return rc;
	p->fd = fd;
	p->id = info.id;
	memcpy(p->name, info.name, sizeof(p->name));
	p->name[sizeof(p->name) - 1] = '\0';
	return 0;
}

struct dataplane *dataplane_create(const struct tsn_config *cfg, char *err, size_t errlen)
{
	struct dataplane *dp = calloc(1, sizeof(*dp));
	const char *dir = cfg ? cfg->dataplane.pin_dir : "";
	int rc;

	if (!dp) {
		snprintf(err, errlen, "dataplane: out of memory");
		return NULL;
	}
	libbpf_set_print(libbpf_log);
	dp->skel = dataplane_bpf__open();
	if (!dp->skel) {
		rc = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-rc));
		goto fail;
	}
	if (dir[0]) {
		rc = pins_prepare(dp->skel->obj, dir, err, errlen);
		if (rc < 0)
			goto fail;
	}
	rc = dataplane_bpf__load(dp->skel);
	if (rc < 0) {
		snprintf(err, errlen, "cannot load the BPF programs %s and %s: %s (the verifier log "
			 "is printed at log level debug; BPF needs CAP_BPF and CAP_NET_ADMIN)",
			 XDP_PROG_NAME, TC_PROG_NAME, strerror(-rc));
		goto fail;
	}
	if (prog_info(bpf_program__fd(dp->skel->progs.tsn_xdp), &dp->xdp) < 0 ||
	    prog_info(bpf_program__fd(dp->skel->progs.tsn_tc_ingress), &dp->tc) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read the ids of the BPF programs: %s", strerror(-rc));
		goto fail;
	}
	dp->maps = (struct cls_maps){
		.gen = bpf_map__fd(dp->skel->maps.tsn_gen),
		.rules = bpf_map__fd(dp->skel->maps.tsn_rules),
		.ethertype = bpf_map__fd(dp->skel->maps.tsn_ethertype),
		.ports = bpf_map__fd(dp->skel->maps.tsn_ports),
		.mac = bpf_map__fd(dp->skel->maps.tsn_mac_strm),
		.ip6 = bpf_map__fd(dp->skel->maps.tsn_ip6_strm),
		.stream_stats = bpf_map__fd(dp->skel->maps.tsn_strm_stats),
		.filters = bpf_map__fd(dp->skel->maps.tsn_filters),
		.gates = bpf_map__fd(dp->skel->maps.tsn_gates),
		.gate_ents = bpf_map__fd(dp->skel->maps.tsn_gate_ents),
		.acl = bpf_map__fd(dp->skel->maps.tsn_acl),
		.acl_pfx = bpf_map__fd(dp->skel->maps.tsn_acl_pfx),
		.storm_conf = bpf_map__fd(dp->skel->maps.tsn_storm_conf),
	};
	if (dir[0]) {
		rc = pins_program(dp->xdp.fd, dir, XDP_PROG_NAME);
		if (rc == 0)
			rc = pins_program(dp->tc.fd, dir, TC_PROG_NAME);
		if (rc < 0) {
			snprintf(err, errlen, "dataplane.pin-dir %s: cannot pin the programs: %s",
				 dir, strerror(-rc));
			goto fail;
		}
		snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", dir);
	}
	/* An inactive generation left by a predecessor (pinned maps) is stale, and
	 * so is its FIB cache: nobody watched the kernel in between. */
	cls_clear(&dp->maps, cls_active(&dp->maps) ^ 1);
	dp->fib_cache = cfg ? cfg->dataplane.fib_cache : false;
	dataplane_fib_invalidate(dp);
	log_debug("dataplane: loaded %s (id %u) and %s (id %u)%s%s", XDP_PROG_NAME, dp->xdp.id,
		  TC_PROG_NAME, dp->tc.id, dp->pin_dir[0] ? ", pinned in " : "", dp->pin_dir);
	return dp;
fail:
	/* Pins stay: they may be a predecessor's tables its programs still use. */
	dataplane_bpf__destroy(dp->skel);
	free(dp);
	return NULL;
}

void dataplane_destroy(struct dataplane *dp, bool keep_attached)
{
	if (!dp)
		return;
	/* Programs left attached must not use a cache nobody invalidates. */
	dataplane_fib_watched(dp, false);
	for (size_t i = 0; i < dp->n_ports && !keep_attached; i++) {
		struct dp_port *p = &dp->ports[i];
		struct xdp_state st;
		int rc;

		if (query_xdp(p->ifindex, &st) == 0 && st.prog_id == dp->xdp.id) {
			rc = detach_exact(p->ifindex, dp->xdp.fd, st.mode_flags);
			if (rc < 0)
				log_err("dataplane: cannot detach from port %s: %s", p->name,
					strerror(-rc));
		}
		if (query_tc(p->ifindex) == dp->tc.id) {
			rc = tc_detach(p->ifindex);
			if (rc < 0)
				log_err("dataplane: cannot remove the tc filter of port %s: %s",
					p->name, strerror(-rc));
			else if (p->clsact_created)
				tc_remove_clsact(p->ifindex, p->name);
		}
	}
	if (keep_attached && dp->n_ports)
		log_notice("dataplane: leaving %s and %s attached to %zu port(s)%s%s", XDP_PROG_NAME,
			   TC_PROG_NAME, dp->n_ports, dp->pin_dir[0] ? "; maps stay pinned in " : "",
			   dp->pin_dir);
	if (!keep_attached)
		unpin_all(dp, dp->pin_dir);
	dataplane_bpf__destroy(dp->skel);
	free(dp->ports);
	free(dp);
}

/* ---- reading ---- */

int dataplane_xdp_fd(const struct dataplane *dp)
{
	return dp ? dp->xdp.fd : -1;
}

int dataplane_tc_fd(const struct dataplane *dp)
{
	return dp ? dp->tc.fd : -1;
}

int dataplane_map_fd(const struct dataplane *dp, const char *map_name)
{
	const struct bpf_map *m = dp ? bpf_object__find_map_by_name(dp->skel->obj, map_name) : NULL;

	return m ? bpf_map__fd(m) : -1;
}

json_object *dataplane_status_json(const struct dataplane *dp)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "state", json_object_new_string(dp ? "loaded" : "unavailable"));
	json_object_object_add(o, "ports_attached", json_object_new_int64(dp ? (int64_t)dp->n_ports : 0));
	if (dp) {
		json_object_object_add(o, "generation",
				       json_object_new_int64(cls_active(&dp->maps)));
		json_object_object_add(o, "pin_dir", json_object_new_string(dp->pin_dir));
	}
	return o;
}

/* Sum one port's per-CPU counters; all zero when the port has seen no frame. */
static int read_port_counters(const struct dataplane *dp, int ifindex, struct port_counters *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct port_counters *percpu;
	__u32 key = (__u32)ifindex;
	int rc;

	memset(sum, 0, sizeof(*sum));
	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	percpu = calloc((size_t)ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	rc = bpf_map__lookup_elem(dp->skel->maps.port_stats, &key, sizeof(key), percpu,
				  (size_t)ncpus * sizeof(*percpu), 0);
	if (rc == -ENOENT)
		rc = 0;
	else if (rc == 0)
		for (int cpu = 0; cpu < ncpus; cpu++) {
			const struct port_counters *c = &percpu[cpu];

			for (int k = 0; k < TSN_KIND_COUNT; k++) {
				sum->kind[k].packets += c->kind[k].packets;
				sum->kind[k].bytes += c->kind[k].bytes;
			}
			for (int t = 0; t < TSN_NUM_TC_MAX; t++) {
				sum->tc[t].packets += c->tc[t].packets;
				sum->tc[t].bytes += c->tc[t].bytes;
				sum->tc[t].drops += c->tc[t].drops;
			}
			for (int r = 0; r < TSN_FWD_COUNT; r++)
				sum->fwd[r] += c->fwd[r];
			for (int r = 0; r < TSN_TC_COUNT; r++)
				sum->tc_path[r] += c->tc_path[r];
		}
	free(percpu);
	return rc;
}

static const struct dp_port *port_by_name(const struct dataplane *dp, const char *name)
{
	return dp ? find_port(dp->ports, dp->n_ports, name) : NULL;
}

json_object *dataplane_port_json(const struct dataplane *dp, const char *port)
{
	const struct dp_port *p = port_by_name(dp, port);
	struct port_counters sum;
	struct xdp_state st;
	json_object *o, *counters, *fwd, *tc;

	if (!p)
		return NULL;
	/* "attached" is what the kernel says now, not what we did last. */
	bool attached = query_xdp(p->ifindex, &st) == 0 && st.prog_id == dp->xdp.id &&
			st.mode_flags == p->mode_flags;
	o = json_object_new_object();
	json_object_object_add(o, "mode", json_object_new_string(mode_name(p->mode_flags)));
	json_object_object_add(o, "attached", json_object_new_boolean(attached));
	json_object_object_add(o, "tc_attached",
			       json_object_new_boolean(query_tc(p->ifindex) == dp->tc.id));
	json_object_object_add(o, "prog_id", json_object_new_int64(dp->xdp.id));
	if (read_port_counters(dp, p->ifindex, &sum) < 0)
		log_warn("dataplane: cannot read the counters of port %s", port);
	counters = json_object_new_object();
	for (int k = 0; k < TSN_KIND_COUNT; k++) {
		json_object *kc = json_object_new_object();

		json_object_object_add(kc, "packets", json_object_new_int64((int64_t)sum.kind[k].packets));
		json_object_object_add(kc, "bytes", json_object_new_int64((int64_t)sum.kind[k].bytes));
		json_object_object_add(counters, kind_names[k], kc);
	}
	json_object_object_add(o, "counters", counters);
	fwd = json_object_new_object();
	for (int r = 0; r < TSN_FWD_COUNT; r++)
		json_object_object_add(fwd, fwd_names[r], json_object_new_int64((int64_t)sum.fwd[r]));
	json_object_object_add(o, "forwarding", fwd);
	tc = json_object_new_object();
	for (int r = 0; r < TSN_TC_COUNT; r++)
		json_object_object_add(tc, tc_names[r], json_object_new_int64((int64_t)sum.tc_path[r]));
	json_object_object_add(o, "tc", tc);
	return o;
}

static const char *const ident_names[] = { "dst-mac-vlan", "src-mac-vlan", "ipv6" };

static json_object *stream_match_json(const struct tsn_cfg_stream *s)
{
	json_object *m = json_object_new_object();
	char buf[INET6_ADDRSTRLEN];
	const uint8_t *mac;

	if (s->has_dst_mac || s->has_src_mac) {
		mac = s->has_dst_mac ? s->dst_mac.addr : s->src_mac.addr;
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
			 mac[3], mac[4], mac[5]);
		json_object_object_add(m, s->has_dst_mac ? "dst_mac" : "src_mac",
				       json_object_new_string(buf));
	}
	if (s->has_vlan)
		json_object_object_add(m, "vlan", json_object_new_int64(s->vlan));
	if (s->has_src)
		json_object_object_add(m, "src", json_object_new_string(
			inet_ntop(AF_INET6, &s->src, buf, sizeof(buf))));
	if (s->has_dst)
		json_object_object_add(m, "dst", json_object_new_string(
			inet_ntop(AF_INET6, &s->dst, buf, sizeof(buf))));
	if (s->has_dscp)
		json_object_object_add(m, "dscp", json_object_new_int64(s->dscp));
	if (s->has_next_header)
		json_object_object_add(m, "next_header", json_object_new_int64(s->next_header));
	if (s->has_src_port)
		json_object_object_add(m, "src_port", json_object_new_int64(s->src_port));
	if (s->has_dst_port)
		json_object_object_add(m, "dst_port", json_object_new_int64(s->dst_port));
	return m;
}

static int read_stream_counters(const struct dataplane *dp, uint32_t id,
				struct tsn_stream_counters *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct tsn_stream_counters *percpu;
	int rc;

	memset(sum, 0, sizeof(*sum));
	if (ncpus <= 0)
		return -EINVAL;
	percpu = calloc((size_t)ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	rc = bpf_map_lookup_elem(dp->maps.stream_stats, &id, percpu);
	for (int cpu = 0; rc == 0 && cpu < ncpus; cpu++) {
		sum->packets += percpu[cpu].packets;
		sum->bytes += percpu[cpu].bytes;
		sum->drops += percpu[cpu].drops;
	}
	free(percpu);
	return rc;
}

json_object *dataplane_streams_json(const struct dataplane *dp, const struct tsn_config *cfg,
				    bool has_id, uint32_t id)
{
	json_object *arr = json_object_new_array(), *out = json_object_new_object();

	for (size_t i = 0; i < cfg->n_streams; i++) {
		const struct tsn_cfg_stream *s = &cfg->streams[i];
		struct tsn_stream_counters sc;
		json_object *o;
		char text[256];

		if (has_id && s->id != id)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(s->id));
		json_object_object_add(o, "name", json_object_new_string(s->name));
		json_object_object_add(o, "identification",
				       json_object_new_string(ident_names[s->identification]));
		json_object_object_add(o, "match", stream_match_json(s));
		tsn_stream_match_text(s, text, sizeof(text));
		json_object_object_add(o, "match_text", json_object_new_string(text));
		json_object_object_add(o, "priority", json_object_new_int64(s->priority));
		json_object_object_add(o, "filter", json_object_new_string(s->filter));
		if (dp && read_stream_counters(dp, s->id, &sc) == 0) {
			json_object *c = json_object_new_object();

			json_object_object_add(c, "packets", json_object_new_int64((int64_t)sc.packets));
			json_object_object_add(c, "bytes", json_object_new_int64((int64_t)sc.bytes));
			json_object_object_add(c, "drops", json_object_new_int64((int64_t)sc.drops));
			json_object_object_add(o, "counters", c);
		} else {
			json_object_object_add(o, "counters", NULL);
		}
		json_object_array_add(arr, o);
	}
	json_object_object_add(out, "streams", arr);
	return out;
}

json_object *dataplane_class_stats_json(const struct dataplane *dp, const struct tsn_config *cfg,
					const char *dev)
{
	json_object *arr = json_object_new_array(), *out = json_object_new_object();

	for (size_t i = 0; i < cfg->n_ports; i++) {
		const struct tsn_cfg_port *cp = &cfg->ports[i];
		const struct dp_port *p = port_by_name(dp, cp->name);
		struct tsn_port_conf conf;
		struct port_counters sum;
		json_object *o, *classes;
		static const uint8_t no_mac[6];
		uint32_t n_classes;

		if (dev && strcmp(dev, cp->name) != 0)
			continue;
		cls_port_conf(cp, no_mac, &conf);
		memset(&sum, 0, sizeof(sum));
		if (p && read_port_counters(dp, p->ifindex, &sum) < 0)
			log_warn("dataplane: cannot read the counters of port %s", cp->name);
		n_classes = cp->has_schedule ? cp->schedule.num_tc : TSN_NUM_PRIO_MAX;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(cp->name));
		json_object_object_add(o, "attached", json_object_new_boolean(p != NULL));
		json_object_object_add(o, "scheduled", json_object_new_boolean(cp->has_schedule));
		classes = json_object_new_array();
		for (uint32_t tc = 0; tc < n_classes && tc < TSN_NUM_TC_MAX; tc++) {
			json_object *c = json_object_new_object(), *prios = json_object_new_array();

			for (uint32_t prio = 0; prio < TSN_NUM_PRIO_MAX; prio++)
				if (conf.prio_tc[prio] == tc)
					json_object_array_add(prios, json_object_new_int64(prio));
			json_object_object_add(c, "class", json_object_new_int64(tc));
			json_object_object_add(c, "priorities", prios);
			json_object_object_add(c, "scheduled",
					       json_object_new_boolean((conf.sched_mask >> tc) & 1));
			json_object_object_add(c, "packets", json_object_new_int64((int64_t)sum.tc[tc].packets));
			json_object_object_add(c, "bytes", json_object_new_int64((int64_t)sum.tc[tc].bytes));
			json_object_object_add(c, "drops", json_object_new_int64((int64_t)sum.tc[tc].drops));
			json_object_array_add(classes, c);
		}
		json_object_object_add(o, "classes", classes);
		json_object_array_add(arr, o);
	}
	json_object_object_add(out, "ports", arr);
	return out;
}
