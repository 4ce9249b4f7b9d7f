/* SPDX-License-Identifier: GPL-2.0-only */
/* dataplane_attach.c — tsnd's XDP and tc programs on ports.
 *
 * Rules kept here:
 * - Never replace or detach a program that is not ours.  "Ours" is the program
 *   this process loaded, or a program of the same name left attached by an
 *   earlier tsnd (dataplane.keep-on-exit), which this one takes over.
 * - Every change is journaled, so dataplane_apply can undo it in reverse order.
 * - Per port, tc goes on before XDP and comes off after it: a frame XDP marks
 *   for tc always finds the tc program.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/pkt_sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane_priv.h"
#include "ports.h"
#include "tsn/log.h"

/* ---- libbpf log ----
 * libbpf reports the kernel's extack text as "Kernel error message: ..." on its
 * log; keep the last one so an attach error can quote the kernel's own words. */
static char last_kernel_message[256];

/* A verifier log is one message of many lines, and its reason is at the end:
 * log it line by line, its head and its last lines (a long log only the last). */
#define DP_LOG_HEAD 8
#define DP_LOG_TAIL 60
static void dp_log_lines(char *all)
{
	size_t n = 0, i = 0;
	char *save = NULL;

	for (const char *c = all; *c; c++)
		n += *c == '\n';
	n++;
	for (char *l = strtok_r(all, "\n", &save); l; l = strtok_r(NULL, "\n", &save), i++) {
		if (i == DP_LOG_HEAD && n > DP_LOG_HEAD + DP_LOG_TAIL)
			tsn_log(TSN_LOG_DEBUG, "... (%zu lines of the log left out)", n - DP_LOG_HEAD - DP_LOG_TAIL);
		if (i < DP_LOG_HEAD || i + DP_LOG_TAIL >= n)
			tsn_log(TSN_LOG_DEBUG, "%s", l);
	}
}

int dp_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static const char marker[] = "Kernel error message: ";
	char line[1024];
	const char *hit;
	size_t len;

	char *all = NULL;
	va_list ap2;

	(void)level;
	va_copy(ap2, ap);
	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	while (len && line[len - 1] == '\n')
		line[--len] = '\0';
	hit = strstr(line, marker);
	if (hit)
		snprintf(last_kernel_message, sizeof(last_kernel_message), "%s",
			 hit + sizeof(marker) - 1);
	if (!strchr(line, '\n') || vasprintf(&all, fmt, ap2) < 0) {
		va_end(ap2);
		tsn_log(TSN_LOG_DEBUG, "%s", line);
		return 0;
	}
	va_end(ap2);
	dp_log_lines(all);
	free(all);
	return 0;
}

const char *dp_mode_name(__u32 mode_flags)
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

int dp_query_xdp(int ifindex, struct xdp_state *st)
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

/* ---- tcx ----
 * Kernels from 6.6 run a device's tcx programs before the clsact qdisc, without
 * its classifier walk.  tsnd attaches with BPF_PROG_ATTACH (not a link): like a
 * cls_bpf filter the program stays until detached, so keep-on-exit needs no pin.
 * Debian 12's headers (6.1) lack the names, so the numbers (uapi, fixed) are here. */
#define DP_TCX_INGRESS 46		/* enum bpf_attach_type BPF_TCX_INGRESS */
#define DP_F_BEFORE (1U << 3)		/* BPF_F_BEFORE: no relative program = first */
#define DP_TCX_MAX 64

bool dataplane_kernel_has_tcx(void)
{
	static int has = -1;		/* probed once: the kernel does not change */
	__u32 flags = 0, cnt = 0;

	if (has < 0)	/* loopback is ifindex 1 in every namespace; 6.1 says EINVAL */
		has = bpf_prog_query(1, (enum bpf_attach_type)DP_TCX_INGRESS, 0, &flags, NULL,
				     &cnt) == 0;
	return has;
}

bool dataplane_xdp_meta_ok(void)
{
	/* probed once: the kernel does not change.  Atomic: FRER's loader may ask
	 * from its thread while the data plane loads (the answer is the same). */
	static int cached = -1;
	const char *env = getenv("TSND_XDP_META");
	int ok = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (env && strcmp(env, "0") == 0)
		return false;
	if (ok < 0) {
		/* r2 = -8; call bpf_xdp_adjust_meta(ctx, r2); return XDP_PASS.  The
		 * verifier rejects nothing else here, so EINVAL means the helper (libbpf's
		 * own probe misses the kernel's "cannot use helper" wording).  Another
		 * error (no privilege) says nothing: the real load then reports it. */
		const struct bpf_insn prog[] = {
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = -8 },
			{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_xdp_adjust_meta },
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_XDP);
		int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "tsn_meta_probe", "GPL", prog,
				       sizeof(prog) / sizeof(prog[0]), &opts);

		ok = fd >= 0 || errno != EINVAL;
		if (fd >= 0)
			close(fd);
		__atomic_store_n(&cached, ok, __ATOMIC_RELAXED);
	}
	return ok;
}

bool dataplane_tcx_wanted(void)
{
	const char *env = getenv("TSND_TC_HOOK");

	if (env && strcmp(env, "clsact") == 0)
		return false;
	if (env && strcmp(env, "tcx") == 0)
		return true;
	return dataplane_kernel_has_tcx();
}

uint32_t dataplane_prog_id(int prog_fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(prog_fd, &info, &len) == 0 ? info.id : 0;
}

uint32_t dataplane_tcx_find(int ifindex, const char *name, uint32_t id)
{
	__u32 ids[DP_TCX_MAX], flags = 0, cnt = DP_TCX_MAX, found = 0;
	int rc;

	if (!dataplane_kernel_has_tcx())
		return 0;
	rc = bpf_prog_query(ifindex, (enum bpf_attach_type)DP_TCX_INGRESS, 0, &flags, ids, &cnt);
	if (rc < 0 && rc != -ENOSPC)
		return 0;
	if (cnt > DP_TCX_MAX)
		cnt = DP_TCX_MAX;
	for (__u32 i = 0; i < cnt && !found; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd;

		if (ids[i] == id)
			return id;
		fd = bpf_prog_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && strcmp(info.name, name) == 0)
			found = ids[i];
		close(fd);
	}
	for (__u32 i = 0; i < cnt; i++)	/* id itself may come after a namesake */
		if (ids[i] == id)
			return id;
	return found;
}

int dataplane_tcx_attach(int ifindex, int prog_fd, int replace_fd, bool first)
{
	LIBBPF_OPTS(bpf_prog_attach_opts, o);

	if (replace_fd >= 0) {	/* in place, in one step: its position is kept */
		o.flags = BPF_F_REPLACE;
		o.replace_prog_fd = replace_fd;
	} else if (first) {
		o.flags = DP_F_BEFORE;
	}
	return bpf_prog_attach_opts(prog_fd, ifindex, (enum bpf_attach_type)DP_TCX_INGRESS, &o);
}

int dataplane_tcx_detach(int ifindex, int prog_fd)
{
	return bpf_prog_detach2(prog_fd, ifindex, (enum bpf_attach_type)DP_TCX_INGRESS);
}

const char *dataplane_tc_hook(const struct dataplane *dp)
{
	return dp && dp->tcx ? "tcx" : "clsact";
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
__u32 dp_query_clsact(int ifindex)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;

	tc_hook_init(&h, ifindex);
	tc_opts_init(&o, 0, 0);

	return bpf_tc_query(&h, &o) == 0 ? o.prog_id : 0;
}

int dp_clsact_detach(int ifindex)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;

	tc_hook_init(&h, ifindex);
	tc_opts_init(&o, 0, 0);

	return bpf_tc_detach(&h, &o);
}

__u32 dp_query_tc(const struct dataplane *dp, int ifindex)
{
	return dp->tcx ? dataplane_tcx_find(ifindex, TC_PROG_NAME, dp->tc.id) :
			 dp_query_clsact(ifindex);
}

int dp_tc_detach(const struct dataplane *dp, int ifindex)
{
	return dp->tcx ? dataplane_tcx_detach(ifindex, dp->tc.fd) : dp_clsact_detach(ifindex);
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
void dp_tc_remove_clsact(int ifindex, const char *port)
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
	c->other_old_fd = -1;
	return c;
}

/* Detach prog_fd from ifindex, but only if it is still the one attached. */
int dp_detach_exact(int ifindex, int prog_fd, __u32 mode_flags)
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
		err = dp_detach_exact(c->ifindex, dp->xdp.fd, c->new_flags);
		if (err < 0)
			log_err("dataplane: rollback: cannot detach from port %s: %s", c->name,
				strerror(-err));
	}
	if (restore) {
		err = bpf_xdp_attach(c->ifindex, c->old_fd,
				     c->old_flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
		if (err < 0)
			log_err("dataplane: rollback: cannot re-attach the previous program to "
				"port %s in %s mode: %s", c->name, dp_mode_name(c->old_flags),
				strerror(-err));
	}
}

/* Put back what a hook change removed: ours, on the hook tsnd used before. */
static void undo_other(const struct dataplane *dp, const struct port_change *c)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	int err;

	if (!c->other_removed)
		return;
	if (dp->tcx) {		/* it was a cls_bpf filter */
		tc_hook_init(&h, c->ifindex);
		tc_opts_init(&o, c->other_old_fd, 0);
		err = bpf_tc_attach(&h, &o);
	} else {
		err = dataplane_tcx_attach(c->ifindex, c->other_old_fd, -1, false);
	}
	if (err < 0)
		log_err("dataplane: rollback: cannot put tsnd's earlier tc program back on port "
			"%s: %s", c->name, strerror(-err));
}

static void undo_tcx(const struct dataplane *dp, const struct port_change *c)
{
	int err = 0;

	if (c->tc_attached && c->tc_old_fd >= 0)
		err = dataplane_tcx_attach(c->ifindex, c->tc_old_fd, dp->tc.fd, false);
	else if (c->tc_attached)
		err = dataplane_tcx_detach(c->ifindex, dp->tc.fd);
	else if (c->tc_removed && c->tc_old_fd >= 0)
		err = dataplane_tcx_attach(c->ifindex, c->tc_old_fd, -1, false);
	if (err < 0)
		log_err("dataplane: rollback: cannot restore the tcx program of port %s: %s",
			c->name, strerror(-err));
}

static void undo_tc(const struct dataplane *dp, const struct port_change *c)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	int err = 0;

	/* The old hook's program first: the frames never miss a tc program. */
	undo_other(dp, c);
	if (dp->tcx) {
		undo_tcx(dp, c);
		return;
	}
	tc_hook_init(&h, c->ifindex);
	if (c->tc_attached && c->tc_old_fd >= 0) {
		tc_opts_init(&o, c->tc_old_fd, BPF_TC_F_REPLACE);
		err = bpf_tc_attach(&h, &o);
	} else if (c->tc_attached) {
		err = dp_clsact_detach(c->ifindex);
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

size_t dp_journal_changes(const struct journal *j)
{
	size_t n = 0;

	for (size_t i = 0; i < j->count; i++)
		n += j->items[i].new_flags || j->items[i].old_removed || j->items[i].tc_attached ||
		     j->items[i].tc_removed || j->items[i].other_removed;
	return n;
}

/* XDP is undone before tc, the reverse of how apply_port makes them. */
void dp_journal_finish(struct dataplane *dp, struct journal *j, bool rollback)
{
	for (size_t i = j->count; i-- > 0;) {
		struct port_change *c = &j->items[i];

		if (rollback) {
			undo_xdp(dp, c);
			undo_tc(dp, c);
		} else if (c->other_removed && dp->tcx && c->other_clsact_ours) {
			/* Moved to tcx for good: the clsact qdisc held only tsnd's filter. */
			dp_tc_remove_clsact(c->ifindex, c->name);
		}
		if (c->old_fd >= 0)
			close(c->old_fd);
		if (c->tc_old_fd >= 0)
			close(c->tc_old_fd);
		if (c->other_old_fd >= 0)
			close(c->other_old_fd);
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
		rc = dp_detach_exact(c->ifindex, c->old_fd, c->old_flags);
		if (rc < 0)
			return rc;
		c->old_removed = true;
	}
	return bpf_xdp_attach(c->ifindex, dp->xdp.fd,
			      mode_flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
}

/* Our tc program on the port's clsact ingress hook, at tsnd's handle/priority.
 * *created: the clsact qdisc is tsnd's (added now, or holding only tsnd's filter). */
static int attach_clsact(struct dataplane *dp, struct port_change *c, bool *created, char *err,
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
	id = dp_query_clsact(c->ifindex);
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

/* Our tc program at the end of the port's tcx ingress list (frer_tc goes
 * first); a predecessor's (same name) is replaced in place, in one step. */
static int attach_tcx(struct dataplane *dp, struct port_change *c, char *err, size_t errlen)
{
	char detail[300];
	__u32 id = dataplane_tcx_find(c->ifindex, TC_PROG_NAME, dp->tc.id);
	int rc;

	if (id == dp->tc.id && id)
		return 0;
	if (id) {
		c->tc_old_fd = adopt_prog(&dp->tc, id, NULL);
		if (c->tc_old_fd < 0) {
			rc = errno ? -errno : -ENOENT;	/* gone since the query, say */
			snprintf(err, errlen, "port %s: cannot open the running %s (tcx, id %u): %s",
				 c->name, TC_PROG_NAME, id, strerror(-rc));
			return rc;
		}
	}
	last_kernel_message[0] = '\0';
	rc = dataplane_tcx_attach(c->ifindex, dp->tc.fd, c->tc_old_fd, false);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot attach tsnd's tc program to tcx ingress: "
			 "%s%s", c->name, strerror(-rc), kernel_detail(detail, sizeof(detail)));
		return rc;
	}
	c->tc_attached = true;
	return 0;
}

/* tsnd's program on the hook tsnd does not use now (a predecessor's, or before
 * TSND_TC_HOOK changed) comes off once ours is on the other: tcx runs before
 * clsact, so in either order each frame meets exactly one of them. */
static int remove_other(struct dataplane *dp, struct port_change *c, char *err, size_t errlen)
{
	__u32 id = dp->tcx ? dp_query_clsact(c->ifindex) :
			     dataplane_tcx_find(c->ifindex, TC_PROG_NAME, dp->tc.id);
	int fd, rc;

	if (!id)
		return 0;
	fd = adopt_prog(&dp->tc, id, NULL);
	if (fd < 0)
		return 0;	/* someone else's filter: attach_clsact's check covers ours */
	rc = dp->tcx ? dp_clsact_detach(c->ifindex) : dataplane_tcx_detach(c->ifindex, fd);
	if (rc < 0) {
		close(fd);
		snprintf(err, errlen, "port %s: cannot remove tsnd's earlier tc program from %s: %s",
			 c->name, dp->tcx ? "clsact" : "tcx", strerror(-rc));
		return rc;
	}
	c->other_old_fd = fd;
	c->other_removed = true;
	c->other_clsact_ours = dp->tcx && count_tc_filters(c->ifindex) == 0;
	log_info("dataplane: port %s: moved %s from %s to %s", c->name, TC_PROG_NAME,
		 dp->tcx ? "clsact" : "tcx", dp->tcx ? "tcx" : "clsact");
	return 0;
}

static int attach_tc(struct dataplane *dp, struct port_change *c, bool *created, char *err,
		     size_t errlen)
{
	int rc;

	*created = false;
	rc = dp->tcx ? attach_tcx(dp, c, err, errlen) : attach_clsact(dp, c, created, err, errlen);
	return rc < 0 ? rc : remove_other(dp, c, err, errlen);
}

static int read_mac(const char *name, uint8_t mac[6])
{
	return ports_mac(name, mac);
}

/* Bring one configured port to "our programs, XDP in a mode port->xdp accepts". */
int dp_apply_port(struct dataplane *dp, struct journal *j, const struct tsn_cfg_port *port,
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
	rc = dp_query_xdp(ifindex, &st);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot query its XDP program: %s", port->name,
			 strerror(-rc));
		return rc;
	}
	if (st.prog_id == dp->xdp.id && mode_satisfies(port->xdp, st.mode_flags) &&
	    dp_query_tc(dp, ifindex) == dp->tc.id) {
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
				 st.prog_id, dp_mode_name(st.mode_flags));
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
			 dp_mode_name(mode), strerror(-rc), kernel_detail(detail, sizeof(detail)),
			 rc == -EBUSY || rc == -EEXIST ?
			 " (another program was attached meanwhile)" : "");
		return rc;
	}
	c->new_flags = mode;
	result->mode_flags = mode;
	/* A predecessor's programs (keep-on-exit) in the same mode were swapped in one
	 * step each (XDP_FLAGS_REPLACE, BPF_TC_F_REPLACE): say so, it is what a
	 * restart without a gap rests on. */
	if (st.prog_id && st.prog_id != dp->xdp.id && c->old_flags == mode)
		log_info("dataplane: port %s: took over the running %s (%s mode) and %s (%s), "
			 "each replaced in one step", port->name, XDP_PROG_NAME, dp_mode_name(mode),
			 TC_PROG_NAME, dataplane_tc_hook(dp));
	else
		log_info("dataplane: port %s: attached %s in %s mode and %s on %s ingress",
			 port->name, XDP_PROG_NAME, dp_mode_name(mode), TC_PROG_NAME,
			 dataplane_tc_hook(dp));
	return 0;
}

/* Take our programs off a port that is no longer configured.  Gone already
 * (interface deleted, or someone detached them) is fine: that is the wanted end
 * state. */
int dp_release_port(struct dataplane *dp, struct journal *j, const struct dp_port *port,
			char *err, size_t errlen)
{
	struct xdp_state st;
	struct port_change *c;
	bool xdp_ours = dp_query_xdp(port->ifindex, &st) == 0 && st.prog_id == dp->xdp.id;
	bool tc_ours = dp_query_tc(dp, port->ifindex) == dp->tc.id;
	int rc;

	if (!xdp_ours && !tc_ours)
		return 0;
	c = journal_add(j, port->name, port->ifindex);
	if (!c) {
		snprintf(err, errlen, "port %s: out of memory", port->name);
		return -ENOMEM;
	}
	if (xdp_ours) {
		rc = dp_detach_exact(port->ifindex, dp->xdp.fd, st.mode_flags);
		if (rc < 0) {
			snprintf(err, errlen, "port %s: cannot detach XDP (%s mode): %s", port->name,
				 dp_mode_name(st.mode_flags), strerror(-rc));
			return rc;
		}
		c->old_fd = fcntl(dp->xdp.fd, F_DUPFD_CLOEXEC, 0);
		c->old_flags = st.mode_flags;
		c->old_removed = c->old_fd >= 0;
	}
	if (tc_ours) {
		rc = dp_tc_detach(dp, port->ifindex);
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

const struct dp_port *dp_find_port(const struct dp_port *ports, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ports[i].name, name) == 0)
			return &ports[i];
	return NULL;
}

bool dp_has_ifindex(const struct dp_port *ports, size_t n, int ifindex)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i].ifindex == ifindex)
			return true;
	return false;
}

