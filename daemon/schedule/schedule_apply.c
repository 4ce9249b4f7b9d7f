/* SPDX-License-Identifier: GPL-2.0-only */
/* schedule_apply.c — the taprio transaction across ports: snapshots of what
 * each port had, the requests, the journal that puts it back, commit and
 * revert, and the time-sync hook (schedule_apply.h, docs/schedules.md).
 *
 * Kernel facts this file relies on (sch_taprio.c, sch_api.c):
 * - A RTM_NEWQDISC for the root with the handle of the taprio already there takes
 *   the qdisc's change path: the new list becomes the admin schedule and replaces
 *   the running (oper) one at its base time.  The priority map, flags and clockid
 *   cannot change that way.
 * - A new root qdisc with another handle is created and grafted in one step; the
 *   old one is destroyed afterwards.  taprio and mqprio keep the traffic-class
 *   layout in the net device, and destroying one clears it, so a root holding one
 *   is deleted first and the new taprio created after.
 * - Deleting the root brings the kernel's default qdisc back.
 * - mqprio (Linux 6.1) has no change operation: a replace with its own handle and
 *   options is refused.  tsnd keeps an mqprio root whose layout is right as it is
 *   and only (re)places the children; another layout is delete-then-create.
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netlink/msg.h>

#include "nlio.h"
#include "schedule_int.h"
#include "tsn/basetime.h"
#include "tsn/log.h"

enum action { ACT_CHANGE, ACT_CREATE, ACT_DELETE_CREATE, ACT_DELETE };

struct journal_item {
	char port[IFNAMSIZ];
	int ifindex;
	enum action act;
	bool deleted, created, changed;	/* what actually happened */
	bool children;			/* cbs/etf children were (re)placed under a kept root */
	uint32_t touched[TSN_ETF_MAX];	/* ... under these queue classes */
	size_t n_touched;
	uint32_t restored;		/* ACT_DELETE: the handle of the earlier root put back, 0: none */
	struct snapshot snap;
};

struct journal {
	struct journal_item *items;
	size_t n;
};

struct txn {
	struct journal journal;
	struct sched_port *next;	/* the port states to commit */
	size_t n_next;
};

/* ---- snapshots, requests, the journal ---- */

void sched_snapshot_free(struct snapshot *sn)
{
	free(sn->root);
	for (size_t i = 0; i < sn->n_children; i++)
		free(sn->children[i]);
	free(sn->children);
	taprio_qdisc_clear(&sn->root_q);
	memset(sn, 0, sizeof(*sn));
}

static unsigned char *msg_dup(const struct nlmsghdr *h);

struct snapshot *sched_snapshot_dup(const struct snapshot *sn)
{
	struct snapshot *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (sn->root && !(d->root = msg_dup((const struct nlmsghdr *)sn->root)))
		goto fail;
	if (sn->n_children && !(d->children = calloc(sn->n_children, sizeof(*d->children))))
		goto fail;
	for (size_t i = 0; i < sn->n_children; i++) {
		if (!(d->children[i] = msg_dup((const struct nlmsghdr *)sn->children[i])))
			goto fail;
		d->n_children++;
	}
	if (taprio_qdisc_copy(&d->root_q, &sn->root_q) < 0)
		goto fail;
	return d;
fail:
	sched_snapshot_free(d);
	free(d);
	return NULL;
}

static unsigned char *msg_dup(const struct nlmsghdr *h)
{
	unsigned char *m = malloc(h->nlmsg_len);
	if (m)
		memcpy(m, h, h->nlmsg_len);
	return m;
}

static int snapshot_take(const struct kroot *r, struct snapshot *sn)
{
	memset(sn, 0, sizeof(*sn));
	if (!r || !r->root)
		return 0;
	kroot_decode_layout(r, &sn->root_q);	/* the raw message is what a rollback replays */
	if (!(sn->root = msg_dup(r->root)))
		return -ENOMEM;
	if (r->n_children && !(sn->children = calloc(r->n_children, sizeof(*sn->children))))
		return -ENOMEM;
	for (size_t i = 0; i < r->n_children; i++) {
		if (!(sn->children[i] = msg_dup(r->children[i])))
			return -ENOMEM;
		sn->n_children++;
	}
	return 0;
}

/* The kernel's default root (noqueue, mq, pfifo_fast...) has handle 0: a delete
 * of whatever is at the root brings it back. */
static bool snapshot_is_default(const struct snapshot *sn)
{
	return !sn->root || sn->root_q.handle == 0;
}

static int request(struct schedules *s, struct nl_msg *msg, const char *port, const char *what, char *err,
		   size_t errlen);

/* tsnd's root: its taprio, or the mqprio of a port in mode mqprio (same handle). */
static bool root_is_ours(const struct taprio_qdisc *k)
{
	return (strcmp(k->kind, "taprio") == 0 || strcmp(k->kind, "mqprio") == 0) && k->handle == TSND_TAPRIO_HANDLE;
}

static bool is_mqprio(const struct taprio_qdisc *q)
{
	return strcmp(q->kind, "mqprio") == 0;
}

/* The RTM_NEWQDISC of the root tsnd wants. */
static struct nl_msg *root_build(int flags, const struct taprio_qdisc *q)
{
	if (is_mqprio(q))
		return mqprio_build(RTM_NEWQDISC, flags, q->ifindex, q->handle, &q->priomap);
	return taprio_build(RTM_NEWQDISC, flags, q);
}

/* Put back dumped children one by one under a root that stayed (mqprio, which
 * cannot be replayed over itself); parents come before what hangs below them. */
static int replay_children(struct schedules *s, const char *port, unsigned char *const *kids, size_t n, char *err,
			   size_t errlen)
{
	char e[512];
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		struct nl_msg *msg = qdisc_replay_msg((const struct nlmsghdr *)kids[i], NLM_REPLACE, e, sizeof(e));
		if (!msg) {
			log_err("schedule: port %s: cannot rebuild a qdisc to put back: %s", port, e);
			failed++;
			continue;
		}
		if (request(s, msg, port, "cannot put back a qdisc under its mqprio", e, sizeof(e)) < 0) {
			log_err("schedule: rollback: %s", e);
			if (!failed++)
				snprintf(err, errlen, "%s", e);
		}
	}
	return failed ? -EIO : 0;
}

/* Send one request; on refusal err gets "port P: WHAT: <kernel text> (<errno>)". */
static int request(struct schedules *s, struct nl_msg *msg, const char *port, const char *what, char *err,
		   size_t errlen)
{
	char ext[512];
	int rc;

	if (!msg) {
		snprintf(err, errlen, "port %s: %s: out of memory", port, what);
		return -ENOMEM;
	}
	rc = nlio_request(s->nl, msg, ext, sizeof(ext));
	nlmsg_free(msg);
	if (rc < 0) {
		if (ext[0])
			snprintf(err, errlen, "port %s: %s: %s (%s)", port, what, ext, strerror(-rc));
		else
			snprintf(err, errlen, "port %s: %s: %s", port, what, strerror(-rc));
	} else if (ext[0]) {
		log_warn("schedule: port %s: %s: the kernel says: %s", port, what, ext);
	}
	return rc;
}

static int delete_root(struct schedules *s, const char *port, int ifindex, uint32_t handle, char *err, size_t errlen)
{
	struct taprio_qdisc q = { .ifindex = ifindex, .handle = handle, .parent = TC_H_ROOT };
	char h[16], what[64];

	snprintf(what, sizeof(what), "cannot delete the root qdisc %s", tc_handle_format(handle, h, sizeof(h)));
	return request(s, taprio_build(RTM_DELQDISC, 0, &q), port, what, err, errlen);
}

/* Put the snapshot's root back, then the qdiscs under it (qdisc_tree_replay).
 * 0, or the error that kept the root from coming back. */
static int replay_snapshot(struct schedules *s, const char *port, const struct snapshot *sn, char *err, size_t errlen)
{
	char ext[512], h[16];
	size_t lost = 0;
	int rc = qdisc_tree_replay(s->nl, (const struct nlmsghdr *)sn->root,
				   (const struct nlmsghdr *const *)sn->children, sn->n_children, &lost, ext, sizeof(ext));

	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot put back its %s %s: %.300s (%s)", port, sn->root_q.kind,
			 tc_handle_format(sn->root_q.handle, h, sizeof(h)), ext[0] ? ext : "-", strerror(-rc));
		return rc;
	}
	if (sn->n_children && strcmp(sn->root_q.kind, "taprio") == 0 &&
	    !(sn->root_q.has_flags && (sn->root_q.flags & TCA_TAPRIO_ATTR_FLAG_TXTIME_ASSIST))) {
		/* the children's grafts stopped its gate timer (see restart_gates) */
		size_t none;
		if (qdisc_tree_replay(s->nl, (const struct nlmsghdr *)sn->root, NULL, 0, &none, ext, sizeof(ext)) < 0)
			log_err("schedule: port %s: cannot restart the gates of its taprio: %s", port, ext);
	}
	if (lost)
		log_err("schedule: port %s: its %s %s is back, but %zu qdisc%s under it could not be put back",
			port, sn->root_q.kind, tc_handle_format(sn->root_q.handle, h, sizeof(h)), lost,
			lost == 1 ? "" : "s");
	return 0;
}

/* A rollback of a kept root: the queues whose child the transaction replaced get
 * a plain pfifo first, so that the snapshot's child is created anew — etf has no
 * change operation (a replace with its own handle is refused) and a replace
 * cannot turn one kind into another — then the root and the snapshot's children
 * under those queues (and what hangs below them) come back.  The other queues were
 * not touched: replaying their etf would be refused the same way.  A queue that
 * had no child of tsnd's keeps the pfifo: the kernel's default child cannot be
 * made again, and deleting a child under taprio leaves noop, which drops all. */
static int revert_children(struct schedules *s, struct journal_item *it, char *err, size_t errlen)
{
	const struct snapshot *sn = &it->snap;
	unsigned char **keep = calloc(sn->n_children + 1, sizeof(*keep));
	uint32_t *majors = calloc(sn->n_children + 1, sizeof(*majors));
	struct snapshot part = *sn;
	char h[16], what[96], e[256];
	size_t n_keep = 0, n_majors = 0;
	int rc;

	if (!keep || !majors) {
		free(keep);
		free(majors);
		snprintf(err, errlen, "port %s: out of memory", it->port);
		return -ENOMEM;
	}
	for (size_t i = 0; i < it->n_touched; i++) {
		struct child_qdisc plain = { .ifindex = it->ifindex, .parent = it->touched[i], .kind = "pfifo" };
		snprintf(what, sizeof(what), "cannot clear queue class %s",
			 tc_handle_format(it->touched[i], h, sizeof(h)));
		if (request(s, child_qdisc_build(RTM_NEWQDISC, NLM_REPLACE, &plain), it->port, what, e, sizeof(e)) < 0)
			log_err("schedule: rollback: %s", e);
	}
	/* the snapshot's children under the touched queues, then, pass by pass, the
	 * qdiscs under those */
	for (bool more = true; more;) {
		more = false;
		for (size_t i = 0; i < sn->n_children; i++) {
			unsigned char *c = sn->children[i];
			const struct tcmsg *tcm = sched_tcm_of((const struct nlmsghdr *)c);
			bool take = false, have = false;
			for (size_t k = 0; k < n_keep; k++)
				have |= keep[k] == c;
			for (size_t k = 0; k < it->n_touched && !have; k++)
				take |= tcm->tcm_parent == it->touched[k];
			for (size_t k = 0; k < n_majors && !have; k++)
				take |= TC_H_MAJ(tcm->tcm_parent) == majors[k];
			if (have || !take)
				continue;
			keep[n_keep++] = c;
			majors[n_majors++] = TC_H_MAJ(tcm->tcm_handle);
			more = true;
		}
	}
	part.children = keep;
	part.n_children = n_keep;
	if (is_mqprio(&sn->root_q))
		rc = replay_children(s, it->port, keep, n_keep, err, errlen);
	else
		rc = replay_snapshot(s, it->port, &part, err, errlen);
	free(keep);
	free(majors);
	return rc;
}

/* Note that the transaction replaces the child under queue class `parent`. */
static void touch(struct journal_item *it, uint32_t parent)
{
	for (size_t i = 0; i < it->n_touched; i++)
		if (it->touched[i] == parent)
			return;
	if (it->n_touched < TSN_ETF_MAX)
		it->touched[it->n_touched++] = parent;
}

static struct journal_item *journal_add(struct journal *j, const char *port, int ifindex, enum action act)
{
	struct journal_item *items = realloc(j->items, (j->n + 1) * sizeof(*items));
	if (!items)
		return NULL;
	j->items = items;
	struct journal_item *it = &j->items[j->n++];
	memset(it, 0, sizeof(*it));
	snprintf(it->port, sizeof(it->port), "%s", port);
	it->ifindex = ifindex;
	it->act = act;
	return it;
}

/* Undo one item: only what actually happened.  0, or -1 with err. */
static int revert_item(struct schedules *s, struct journal_item *it, char *err, size_t errlen)
{
	char ignored[512];
	bool deflt = snapshot_is_default(&it->snap);

	switch (it->act) {
	case ACT_CHANGE:
		/* The old list goes in as the admin schedule with its old base time, so it
		 * continues on its own cycle grid, and the pending new one is dropped. */
		return it->changed || it->children ? revert_children(s, it, err, errlen) : 0;
	case ACT_CREATE:
		if (!it->created)
			return 0;
		if (deflt)
			return delete_root(s, it->port, it->ifindex, TSND_TAPRIO_HANDLE, err, errlen);
		return replay_snapshot(s, it->port, &it->snap, err, errlen);
	case ACT_DELETE_CREATE:
		if (it->created)
			delete_root(s, it->port, it->ifindex, TSND_TAPRIO_HANDLE, ignored, sizeof(ignored));
		return it->deleted ? replay_snapshot(s, it->port, &it->snap, err, errlen) : 0;
	case ACT_DELETE:
		/* The earlier root that came back goes again, then tsnd's taprio. */
		if (it->restored)
			delete_root(s, it->port, it->ifindex, it->restored, ignored, sizeof(ignored));
		return it->deleted ? replay_snapshot(s, it->port, &it->snap, err, errlen) : 0;
	}
	return 0;
}

/* Undo the journal newest first; failures are logged and summed up in err. */
static int journal_revert(struct schedules *s, struct journal *j, char *err, size_t errlen)
{
	int failed = 0;

	if (errlen)
		err[0] = '\0';
	/* Its notifications come from tsnd's own socket, which sched_on_monitor() would
	 * otherwise skip: a rollback is compared like someone else's change. */
	if (j->n)
		s->recheck = true;
	for (size_t i = j->n; i-- > 0;) {
		char e[512];
		if (revert_item(s, &j->items[i], e, sizeof(e)) < 0) {
			log_err("schedule: rollback: %s", e);
			if (!failed++)
				snprintf(err, errlen, "%s", e);
		} else if (j->items[i].changed || j->items[i].created || j->items[i].deleted || j->items[i].children) {
			log_info("schedule: port %s: previous root qdisc restored", j->items[i].port);
		}
	}
	return failed ? -1 : 0;
}

static void journal_free(struct journal *j)
{
	for (size_t i = 0; i < j->n; i++)
		sched_snapshot_free(&j->items[i].snap);
	free(j->items);
	memset(j, 0, sizeof(*j));
}

/* tsnd's cbs and etf children under its taprio (installed after the root): each
 * wanted one replaces what its queue has; on a kept root, a queue whose tsnd child
 * is no longer wanted gets a plain pfifo back. */
static int apply_children(struct schedules *s, struct journal_item *it, const char *port, int ifindex,
			  const struct child_qdisc *kids, size_t n_kids, char *err, size_t errlen)
{
	char h[16], what[96];
	int rc;

	for (size_t i = 0; it->act == ACT_CHANGE && i < it->snap.n_children; i++) {
		const struct tcmsg *tcm = sched_tcm_of((const struct nlmsghdr *)it->snap.children[i]);
		uint32_t major = tcm->tcm_handle >> 16;
		bool wanted = false;
		if (major < 0x7480 || major >= 0x7480 + TSN_ETF_MAX ||
		    (tcm->tcm_parent & 0xffff0000u) != TSND_TAPRIO_HANDLE)
			continue;
		for (size_t k = 0; k < n_kids; k++)
			wanted |= kids[k].parent == tcm->tcm_parent;
		if (wanted)
			continue;
		struct child_qdisc plain = { .ifindex = ifindex, .parent = tcm->tcm_parent, .kind = "pfifo" };
		snprintf(what, sizeof(what), "cannot give queue class %s its pfifo back",
			 tc_handle_format(tcm->tcm_parent, h, sizeof(h)));
		it->children = true;
		touch(it, plain.parent);
		rc = request(s, child_qdisc_build(RTM_NEWQDISC, NLM_REPLACE, &plain), port, what, err, errlen);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < n_kids; i++) {
		/* On a kept root the queue may hold this child already: as it is, nothing to
		 * do; a different etf, or a child of the other kind, must go first (etf has
		 * no change operation, and a replace with the child's own handle cannot
		 * change its kind: both are refused); a cbs changes in place. */
		for (size_t k = 0; it->act == ACT_CHANGE && k < it->snap.n_children; k++) {
			struct child_qdisc have;
			char e[128];
			if (child_qdisc_parse((const struct nlmsghdr *)it->snap.children[k], &have, e, sizeof(e)) < 0 ||
			    have.parent != kids[i].parent || have.handle != kids[i].handle)
				continue;
			if (child_qdisc_equal(&have, &kids[i]))
				goto next;
			if (strcmp(have.kind, "etf") == 0 || strcmp(have.kind, kids[i].kind) != 0) {
				struct child_qdisc plain = { .ifindex = ifindex, .parent = have.parent, .kind = "pfifo" };
				snprintf(what, sizeof(what), "cannot replace the %s under %s", have.kind,
					 tc_handle_format(have.parent, h, sizeof(h)));
				it->children = true;
				touch(it, plain.parent);
				rc = request(s, child_qdisc_build(RTM_NEWQDISC, NLM_REPLACE, &plain), port, what, err,
					     errlen);
				if (rc < 0)
					return rc;
			}
		}
		snprintf(what, sizeof(what), "the kernel refused the %s qdisc under %s", kids[i].kind,
			 tc_handle_format(kids[i].parent, h, sizeof(h)));
		it->children = true;
		touch(it, kids[i].parent);
		rc = request(s, child_qdisc_build(RTM_NEWQDISC, NLM_REPLACE, &kids[i]), port, what, err, errlen);
		if (rc < 0)
			return rc;
next:;
	}
	if (n_kids)
		log_notice("schedule: port %s: %zu cbs/etf qdisc%s installed under %s", port, n_kids,
			   n_kids == 1 ? "" : "s", it->snap.root_q.kind[0] && it->act == ACT_CHANGE ?
			   it->snap.root_q.kind : "the new root");
	return 0;
}

/* Linux 6.1's software taprio stops its gate timer whenever a qdisc is grafted
 * under it (the graft deactivates the device, taprio_reset cancels the timer and
 * nothing starts it again; docs/schedules.md, "Link flaps", is the same fault):
 * the gates freeze where they were — or open for good if the schedule had not
 * started — and cbs and etf see no dequeue.  A change of the schedule starts the
 * timer again, so after its children the taprio is sent once more, unchanged.
 * Not in txtime-assist mode: there taprio dequeues without looking at the gates
 * (the launch times it stamps at enqueue do the gating), and a change stays
 * pending as admin schedule until a frame comes. */
static int restart_gates(struct schedules *s, struct journal_item *it, const char *port,
			 const struct taprio_qdisc *want, char *err, size_t errlen)
{
	struct taprio_qdisc change = *want;

	if (!it->n_touched || is_mqprio(want) || (want->has_flags && (want->flags & TCA_TAPRIO_ATTR_FLAG_TXTIME_ASSIST)))
		return 0;
	change.has_priomap = false;	/* the kernel refuses a map on a running schedule */
	return request(s, taprio_build(RTM_NEWQDISC, NLM_REPLACE, &change), port,
		       "the kernel refused to restart the gates after the cbs/etf qdiscs", err, errlen);
}

/* Apply `want` to a port whose root is `r`: the change path if tsnd's taprio is
 * there with the same layout, flags and clock, else a new root; then its
 * children `kids`. */
static int apply_port(struct schedules *s, struct journal *j, const char *port, const struct kroot *r,
		      const struct taprio_qdisc *want, const struct child_qdisc *kids, size_t n_kids, char *err,
		      size_t errlen)
{
	struct journal_item *it = journal_add(j, port, want->ifindex, ACT_CREATE);
	char a[32], h[16];
	int rc;

	if (!it || snapshot_take(r, &it->snap) < 0) {
		snprintf(err, errlen, "port %s: out of memory", port);
		return -ENOMEM;
	}
	const struct taprio_qdisc *k = &it->snap.root_q;
	if (sched_same_structure(k, want) && is_mqprio(want)) {
		it->act = ACT_CHANGE;	/* the root stays; only its children change */
		return apply_children(s, it, port, want->ifindex, kids, n_kids, err, errlen);
	}
	if (sched_same_structure(k, want)) {
		struct taprio_qdisc change = *want;
		it->act = ACT_CHANGE;
		change.has_priomap = false;	/* the kernel refuses a map on a running schedule */
		rc = request(s, taprio_build(RTM_NEWQDISC, NLM_REPLACE, &change), port,
			     "the kernel refused the new schedule", err, errlen);
		if (rc < 0)
			return rc;
		it->changed = true;
		log_notice("schedule: port %s: new schedule sent through the change path; it takes over at base "
			   "time %s", port, tsn_basetime_format(want->oper.base_time, a, sizeof(a)));
		rc = apply_children(s, it, port, want->ifindex, kids, n_kids, err, errlen);
		return rc < 0 ? rc : restart_gates(s, it, port, want, err, errlen);
	}
	if (!snapshot_is_default(&it->snap) && (strcmp(k->kind, "taprio") == 0 || strcmp(k->kind, "mqprio") == 0)) {
		it->act = ACT_DELETE_CREATE;
		log_notice("schedule: port %s: replacing root %s %s (its classes, queues, flags or clock differ): "
			   "traffic on the port is interrupted while the qdisc is rebuilt", port, k->kind,
			   tc_handle_format(k->handle, h, sizeof(h)));
		rc = delete_root(s, port, want->ifindex, k->handle, err, errlen);
		if (rc < 0)
			return rc;
		it->deleted = true;
	}
	rc = request(s, root_build(NLM_REPLACE, want), port,
		     is_mqprio(want) ? "the kernel refused the mqprio root" : "the kernel refused the taprio schedule",
		     err, errlen);
	if (rc < 0)
		return rc;
	it->created = true;
	char was[16];
	if (is_mqprio(want))
		log_notice("schedule: port %s: mqprio %s installed as root qdisc (was %s %s); no gate schedule", port,
			   tc_handle_format(want->handle, h, sizeof(h)), k->kind[0] ? k->kind : "none",
			   tc_handle_format(k->handle, was, sizeof(was)));
	else
		log_notice("schedule: port %s: taprio %s installed as root qdisc (was %s %s); base time %s", port,
			   tc_handle_format(want->handle, h, sizeof(h)), k->kind[0] ? k->kind : "none",
			   tc_handle_format(k->handle, was, sizeof(was)),
			   tsn_basetime_format(want->oper.base_time, a, sizeof(a)));
	rc = apply_children(s, it, port, want->ifindex, kids, n_kids, err, errlen);
	return rc < 0 ? rc : restart_gates(s, it, port, want, err, errlen);
}

/* tsnd's taprio leaves the port, which gets back the root it had before
 * (`before`, as dumped when tsnd took the port; NULL: the kernel's default). */
static int remove_port(struct schedules *s, struct journal *j, const char *port, const struct kroot *r,
		       const struct snapshot *before, char *err, size_t errlen)
{
	struct journal_item *it = journal_add(j, port, r->ifindex, ACT_DELETE);

	if (!it || snapshot_take(r, &it->snap) < 0) {
		snprintf(err, errlen, "port %s: out of memory", port);
		return -ENOMEM;
	}
	int rc = delete_root(s, port, r->ifindex, TSND_TAPRIO_HANDLE, err, errlen);
	if (rc < 0)
		return rc;
	it->deleted = true;
	if (!before || snapshot_is_default(before)) {
		log_notice("schedule: port %s: schedule removed; the kernel's default qdisc is back", port);
		return 0;
	}
	rc = replay_snapshot(s, port, before, err, errlen);
	if (rc < 0)
		return rc;
	it->restored = before->root_q.handle;
	char h[16];
	log_notice("schedule: port %s: schedule removed; its earlier root qdisc %s %s is back", port,
		   before->root_q.kind, tc_handle_format(before->root_q.handle, h, sizeof(h)));
	return 0;
}

/* What the port gets back when its schedule goes: the root apply_port found
 * (journal item `it`), unless that was tsnd's own taprio (the change path, or a
 * rebuilt one): then what the port had before that. */
static int remember_before(struct sched_port *next, const struct sched_port *prev, const struct journal_item *it)
{
	const struct snapshot *src = NULL;
	bool ours = root_is_ours(&it->snap.root_q);

	if (next->before)
		return 0;	/* carried over already */
	if (it->act == ACT_CHANGE || ours)
		src = prev ? prev->before : NULL;
	else if (it->created && !snapshot_is_default(&it->snap))
		src = &it->snap;
	if (!src)
		return 0;
	next->before = sched_snapshot_dup(src);
	return next->before ? 0 : -ENOMEM;
}

/* ---- the transaction ---- */

/* Base times are computed from one reading of each clock per transaction, so
 * ports with the same cycle time and lead get the same base time. */
struct clocks {
	bool read[4];
	int64_t now[4];
};

static int base_time_for(struct clocks *ck, const struct tsn_cfg_port *cp, int64_t *base, char *err, size_t errlen)
{
	const struct tsn_cfg_schedule *cs = &cp->schedule;
	int c = cs->clock, rc;

	if (!cs->base_time_auto || cs->mode == TSN_SCHED_MQPRIO) {
		*base = cs->mode == TSN_SCHED_MQPRIO ? 0 : cs->base_time_ns;	/* mqprio: no cycle */
		return 0;
	}
	if (!ck->read[c]) {
		rc = sched_read_clock(c, &ck->now[c]);
		if (rc < 0) {
			snprintf(err, errlen, "port %s: cannot read the %s clock: %s", cp->name, tsn_clock_names[c],
				 strerror(-rc));
			return rc;
		}
		ck->read[c] = true;
	}
	rc = tsn_basetime_auto(ck->now[c], cs->base_time_lead_ns, sched_effective_cycle(cs), base);
	if (rc < 0)
		snprintf(err, errlen, "port %s: no base time: the next cycle boundary after now + base-time-lead "
			 "does not fit in 64 bits", cp->name);
	return rc;
}

static void txn_free(struct txn *t)
{
	if (!t)
		return;
	journal_free(&t->journal);
	sched_ports_free(t->next, t->n_next);
	free(t);
}

static bool port_configured(const struct tsn_config *cfg, const char *name, bool *has_schedule)
{
	const struct tsn_cfg_port *cp = cfg ? tsn_config_port(cfg, name) : NULL;
	*has_schedule = cp && cp->has_schedule;
	return cp != NULL;
}

/* Plan and carry out one port with a schedule; the state to commit goes to *next. */
static int txn_port(struct schedules *s, struct txn *t, struct kview *kv, struct clocks *ck,
		    const struct tsn_config *old, const struct tsn_cfg_port *cp, const struct tsn_cfg_port *old_cp,
		    struct sched_port *next, char *err, size_t errlen)
{
	const struct tsn_cfg_schedule *cs = &cp->schedule;
	struct sched_port *prev = sched_find_port(s->ports, s->n_ports, cp->name);
	int ifindex = (int)if_nametoindex(cp->name);
	struct kroot *r;
	struct taprio_qdisc want, have;
	int64_t base;
	int rc;

	snprintf(next->name, sizeof(next->name), "%s", cp->name);
	next->ifindex = ifindex;
	if (prev) {	/* the link watch goes on across reloads */
		next->recoveries = prev->recoveries;
		memcpy(next->last_recovery, prev->last_recovery, sizeof(next->last_recovery));
		next->link_known = prev->link_known && prev->ifindex == ifindex;
		next->link_up = prev->link_up;
	}
	if (!ifindex) {
		snprintf(err, errlen, "port %s: no such network interface (a schedule needs it)", cp->name);
		return -ENODEV;
	}
	r = kview_root(kv, ifindex);
	/* Compared field by field (the schema's deep compare): cheap for long lists. */
	bool unchanged = old && prev && prev->ifindex == ifindex && old_cp && old_cp->has_schedule &&
			 tsn_config_port_member_equal(old_cp, cp, "schedule");
	if (unchanged && prev->state == SCHED_HELD && sched_is_held(s, cp))
		return sched_port_copy(next, prev) < 0 ? -ENOMEM : 0;
	if (unchanged && prev->tracked &&
	    (prev->state == SCHED_APPLIED || prev->state == SCHED_DRIFT || prev->state == SCHED_UNREAD)) {
		sched_port_check_in(prev, kv);
		if (prev->state == SCHED_APPLIED || prev->state == SCHED_UNREAD)
			return sched_port_copy(next, prev) < 0 ? -ENOMEM : 0;
		log_notice("schedule: port %s: the kernel no longer holds the applied schedule; applying it again",
			   cp->name);
	}

	/* What the port has decides change or create, and is what a rollback puts
	 * back: without it the port is not touched. */
	if (kview_unread(kv, ifindex)) {
		snprintf(err, errlen, "port %s: cannot read its root qdisc back: the kernel's qdisc dump ended before "
			 "it (a qdisc on it or on a device dumped earlier is longer than the %u bytes of a dump "
			 "message), so tsnd does not know what to change or put back", cp->name, QDISC_DUMP_MSG_MAX);
		return -EMSGSIZE;
	}
	struct taprio_entry *entries = calloc(cs->n_entries ? cs->n_entries : 1, sizeof(*entries));
	if (!entries) {
		snprintf(err, errlen, "port %s: out of memory", cp->name);
		return -ENOMEM;
	}
	rc = base_time_for(ck, cp, &base, err, errlen);
	if (rc < 0) {
		free(entries);
		return rc;
	}
	sched_desired_taprio(cs, ifindex, base, entries, &want);
	rc = sched_desired_children(cp, ifindex, next->children, &next->n_children, err, errlen);
	if (rc < 0) {
		free(entries);
		return -EINVAL;
	}

	/* At start-up, a taprio that already runs this schedule is kept as it is:
	 * tsnd restarted, the switch went on forwarding. */
	if (!old) {
		struct strlist diffs = { 0 };
		kroot_decode(r, &have);
		sched_diff_taprio(&want, &have, cs->base_time_auto, &diffs);
		sched_diff_children(next->children, next->n_children, r, &diffs);
		bool adopt = diffs.total == 0;
		if (adopt) {
			const struct taprio_sched *k = have.has_admin ? &have.admin : &have.oper;
			want.oper.base_time = k->base_time;
		}
		taprio_qdisc_clear(&have);
		sched_sl_free(&diffs);
		if (adopt) {
			rc = sched_port_track(next, &want);
			free(entries);
			if (rc == 0)
				log_notice("schedule: port %s: the running %s 7473: already matches the "
					   "schedule; kept as it is", cp->name, want.kind);
			else
				snprintf(err, errlen, "port %s: out of memory", cp->name);
			return rc;
		}
	}
	if (sched_is_held(s, cp)) {
		next->state = SCHED_HELD;
		if (prev && prev->before && !next->before && !(next->before = sched_snapshot_dup(prev->before))) {
			free(entries);
			snprintf(err, errlen, "port %s: out of memory", cp->name);
			return -ENOMEM;
		}
		snprintf(next->message, sizeof(next->message), "waiting for PTP lock (require-sync); the port "
			 "keeps its current root qdisc");
		free(entries);
		log_notice("schedule: port %s: held until PTP is locked (require-sync)", cp->name);
		return 0;
	}
	rc = apply_port(s, &t->journal, cp->name, r, &want, next->children, next->n_children, err, errlen);
	if (rc == 0 && (sched_port_track(next, &want) < 0 ||
			remember_before(next, prev, &t->journal.items[t->journal.n - 1]) < 0)) {
		snprintf(err, errlen, "port %s: out of memory", cp->name);
		rc = -ENOMEM;
	}
	free(entries);
	return rc;
}

int schedules_apply(struct schedules *s, const struct tsn_config *old, const struct tsn_config *cfg,
		    char *err, size_t errlen)
{
	struct kview kv;
	struct clocks ck = { 0 };
	struct txn *t;
	int rc = 0;

	if (s->txn) {	/* a previous transaction was neither committed nor reverted */
		schedules_revert(s);
	}
	t = calloc(1, sizeof(*t));
	if (!t || !(t->next = calloc(cfg->n_ports ? cfg->n_ports : 1, sizeof(*t->next)))) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (kview_load(s, &kv, err, errlen) < 0) {
		txn_free(t);
		return -1;
	}

	for (size_t i = 0; i < cfg->n_ports && rc == 0; i++) {
		const struct tsn_cfg_port *cp = &cfg->ports[i];
		if (!cp->has_schedule)
			continue;
		rc = txn_port(s, t, &kv, &ck, old, cp, old ? tsn_config_port(old, cp->name) : NULL,
			      &t->next[t->n_next], err, errlen);
		t->n_next++;
	}
	/* Schedules that are gone: tsnd's taprio leaves the port. */
	for (size_t i = 0; i < s->n_ports && rc == 0; i++) {
		const struct sched_port *p = &s->ports[i];
		bool has;
		port_configured(cfg, p->name, &has);
		struct kroot *r = kview_root(&kv, p->ifindex);
		struct taprio_qdisc k;
		if (has || !r)
			continue;
		kroot_decode_layout(r, &k);
		if (root_is_ours(&k))
			rc = remove_port(s, &t->journal, p->name, r, p->before, err, errlen);
		taprio_qdisc_clear(&k);
	}
	/* At start-up, a taprio 7473: left on a port that has no schedule now. */
	for (size_t i = 0; !old && i < cfg->n_ports && rc == 0; i++) {
		const struct tsn_cfg_port *cp = &cfg->ports[i];
		int ifindex = (int)if_nametoindex(cp->name);
		struct kroot *r = ifindex ? kview_root(&kv, ifindex) : NULL;
		struct taprio_qdisc k;
		if (cp->has_schedule || !r)
			continue;
		kroot_decode_layout(r, &k);
		if (root_is_ours(&k))
			rc = remove_port(s, &t->journal, cp->name, r, NULL, err, errlen);
		taprio_qdisc_clear(&k);
	}
	kview_free(&kv);

	if (rc < 0) {
		char rerr[512];
		size_t used = strlen(err);
		bool touched = false;
		for (size_t i = 0; i < t->journal.n; i++)
			touched |= t->journal.items[i].changed || t->journal.items[i].created ||
				   t->journal.items[i].deleted || t->journal.items[i].children;
		if (journal_revert(s, &t->journal, rerr, sizeof(rerr)) < 0)
			snprintf(err + used, errlen - used, "; rolling back failed too: %s", rerr);
		else if (touched)
			snprintf(err + used, errlen - used, "; the ports changed before were restored");
		txn_free(t);
		return -1;
	}
	s->txn = t;
	return 0;
}

void schedules_commit(struct schedules *s, const struct tsn_config *cfg)
{
	s->cfg = cfg;
	if (!s->txn)
		return;
	sched_ports_free(s->ports, s->n_ports);
	s->ports = s->txn->next;
	s->n_ports = s->txn->n_next;
	s->txn->next = NULL;
	s->txn->n_next = 0;
	txn_free(s->txn);
	s->txn = NULL;
	sched_poll_update(s);
}

void schedules_revert(struct schedules *s)
{
	char err[512];

	if (!s->txn)
		return;
	if (journal_revert(s, &s->txn->journal, err, sizeof(err)) < 0)
		log_err("schedule: undoing the schedule changes failed: %s", err);
	txn_free(s->txn);
	s->txn = NULL;
}

void schedules_release(struct schedules *s)
{
	struct kview kv;
	struct journal j = { 0 };
	char err[1024];

	if (s->txn)
		schedules_revert(s);
	if (!s->n_ports)
		return;
	if (kview_load(s, &kv, err, sizeof(err)) < 0) {
		log_err("schedule: cannot give the ports their root qdiscs back: %s", err);
		return;
	}
	for (size_t i = 0; i < s->n_ports; i++) {
		struct sched_port *p = &s->ports[i];
		struct kroot *r = kview_root(&kv, p->ifindex);
		struct taprio_qdisc k;
		if (!p->tracked || !r)
			continue;
		kroot_decode_layout(r, &k);
		if (root_is_ours(&k) &&
		    remove_port(s, &j, p->name, r, p->before, err, sizeof(err)) < 0)
			log_err("schedule: %s", err);
		else
			p->tracked = false;
		taprio_qdisc_clear(&k);
	}
	journal_free(&j);
	kview_free(&kv);
}

/* Install cp's schedule on port p at a fresh base time, in a journal of its own
 * that is reverted if any part fails (r: the port's root in the kernel view;
 * remember: record it as the port's earlier root, for a port tsnd takes over
 * now).  0 and the base time, or -1 with err. */
static int install_fresh(struct schedules *s, struct sched_port *p, const struct tsn_cfg_port *cp,
			 struct kroot *r, bool remember, int64_t *base, char *err, size_t errlen)
{
	struct journal j = { 0 };
	struct clocks ck = { 0 };
	struct taprio_qdisc want;
	struct taprio_entry *entries = calloc(cp->schedule.n_entries + 1, sizeof(*entries));
	int rc = entries ? base_time_for(&ck, cp, base, err, errlen) : -ENOMEM;

	if (!entries)
		snprintf(err, errlen, "out of memory");
	if (rc == 0) {
		sched_desired_taprio(&cp->schedule, p->ifindex, *base, entries, &want);
		rc = sched_desired_children(cp, p->ifindex, p->children, &p->n_children, err, errlen);
		if (rc == 0)
			rc = apply_port(s, &j, cp->name, r, &want, p->children, p->n_children, err, errlen);
	}
	if (rc == 0)
		rc = sched_port_track(p, &want);	/* p->before stays unless remembered now */
	if (rc == 0 && remember)
		rc = remember_before(p, NULL, &j.items[j.n - 1]);
	if (rc < 0) {
		char rerr[512];
		if (journal_revert(s, &j, rerr, sizeof(rerr)) < 0)
			log_err("schedule: port %s: rollback failed: %s", cp->name, rerr);
	}
	journal_free(&j);
	free(entries);
	return rc < 0 ? -1 : 0;
}

/* ---- link flaps ---- */

void sched_recover_links(struct schedules *s)
{
	struct kview kv;
	char err[1024], a[32];
	bool loaded = false;

	for (size_t i = 0; s->cfg && i < s->n_ports; i++) {
		struct sched_port *p = &s->ports[i];
		const struct tsn_cfg_port *cp = tsn_config_port(s->cfg, p->name);

		if (!p->recover)
			continue;
		p->recover = false;
		if (!cp || !cp->has_schedule || !p->tracked || (p->state != SCHED_APPLIED && p->state != SCHED_DRIFT))
			continue;
		if (!cp->schedule.link_recovery) {
			log_notice("schedule: port %s: link back up; link-recovery is off, the schedule is left as it "
				   "is", p->name);
			continue;
		}
		if (!loaded && kview_load(s, &kv, err, sizeof(err)) < 0) {
			log_err("schedule: cannot re-install schedules after a link change: %s", err);
			return;
		}
		loaded = true;
		struct kroot *r = kview_root(&kv, p->ifindex);
		struct taprio_qdisc k;
		kroot_decode_layout(r, &k);
		bool ours = strcmp(k.kind, "taprio") == 0 && k.handle == TSND_TAPRIO_HANDLE;
		taprio_qdisc_clear(&k);
		if (!ours)	/* someone replaced it: drift, not tsnd's to fix silently */
			continue;
		int64_t base;
		if (install_fresh(s, p, cp, r, false, &base, err, sizeof(err)) < 0) {
			log_err("schedule: port %s: re-installing the schedule after the link came back failed: %s",
				cp->name, err);
		} else {
			p->recoveries++;
			s->recoveries++;
			snprintf(p->last_recovery, sizeof(p->last_recovery), "link came back up; re-installed at base "
				 "time %s", tsn_basetime_format(base, a, sizeof(a)));
			log_notice("schedule: port %s: the link came back up: schedule re-installed at base time %s "
				   "(Linux 6.1's software taprio stops its gates on a carrier change; recovery %llu)",
				   cp->name, a, (unsigned long long)p->recoveries);
		}
	}
	if (loaded)
		kview_free(&kv);
}

/* ---- the time-sync hook ---- */

void schedules_set_sync(struct schedules *s, schedule_sync_fn fn, void *arg)
{
	s->sync = fn;
	s->sync_arg = arg;
}

void schedules_sync_changed(struct schedules *s)
{
	struct kview kv;
	char err[1024];
	bool loaded = false;

	for (size_t i = 0; s->cfg && i < s->n_ports; i++) {
		struct sched_port *p = &s->ports[i];
		const struct tsn_cfg_port *cp = tsn_config_port(s->cfg, p->name);

		if (p->state != SCHED_HELD || !cp || !cp->has_schedule || sched_is_held(s, cp))
			continue;
		if (!loaded && kview_load(s, &kv, err, sizeof(err)) < 0) {
			log_err("schedule: cannot apply held schedules: %s", err);
			return;
		}
		loaded = true;
		p->ifindex = (int)if_nametoindex(cp->name);
		int64_t base;
		if (install_fresh(s, p, cp, kview_root(&kv, p->ifindex), true, &base, err, sizeof(err)) < 0) {
			p->state = SCHED_ERROR;
			snprintf(p->message, sizeof(p->message), "%s", err);
			log_err("schedule: port %s: PTP is locked, but applying the held schedule failed: %s",
				cp->name, p->message);
		} else {
			log_notice("schedule: port %s: PTP is locked; held schedule applied", cp->name);
		}
	}
	if (loaded)
		kview_free(&kv);
	sched_poll_update(s);
}

