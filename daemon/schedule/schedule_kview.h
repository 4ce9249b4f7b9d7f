/* SPDX-License-Identifier: GPL-2.0-only */
/* schedule_kview.h — the kernel's qdiscs as the schedule subsystem reads them:
 * one snapshot (nlio) indexed by port, each port's root decoded, the taprio a
 * configured schedule asks for, and what differs between two taprios.
 * Internal to the schedule_*.c files. */
#ifndef TSND_SCHEDULE_KVIEW_H
#define TSND_SCHEDULE_KVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nlio.h"
#include "taprio_nl.h"
#include "tsn/config.h"

struct schedules;
struct strlist;
struct tcmsg;

/* A port's root qdisc and the visible qdiscs under it. */
struct kroot {
	int ifindex;
	const struct nlmsghdr *root;
	const struct nlmsghdr **children;
	size_t n_children;
};

struct kview {
	struct nlio_qdiscs q;	/* one snapshot */
	struct kroot *roots;
	size_t n_roots;
};

/* One dump, then index.  0, or a negative errno with the reason in err. */
int kview_load(struct schedules *s, struct kview *kv, char *err, size_t errlen);
void kview_free(struct kview *kv);
struct kroot *kview_root(struct kview *kv, int ifindex);
/* The dump lists no root for ifindex although the device is up (an up device
 * always has one): the dump ended early, nothing about the port is known. */
bool kview_unread(struct kview *kv, int ifindex);
const struct tcmsg *sched_tcm_of(const struct nlmsghdr *h);
/* The port's root decoded (kind "" if none is listed). */
void kroot_decode(const struct kroot *r, struct taprio_qdisc *q);
/* The same without the gate control lists: kind, handle, layout, flags, clock. */
void kroot_decode_layout(const struct kroot *r, struct taprio_qdisc *q);

/* The taprio 7473: for schedule cs at base time `base`; entries has room for
 * cs->n_entries.  With mode mqprio: the mqprio 7473: root (kind "mqprio", the
 * layout only; base and entries unused). */
void sched_desired_taprio(const struct tsn_cfg_schedule *cs, int ifindex, int64_t base, struct taprio_entry *entries,
			  struct taprio_qdisc *q);
int64_t sched_cycle(const struct taprio_sched *s);
/* Same kind (taprio or mqprio), layout, flags and clock: the change path can take
 * the new schedule (an mqprio root is kept as it is). */
bool sched_same_structure(const struct taprio_qdisc *k, const struct taprio_qdisc *d);
/* Each difference of `have` from `want`, as text, into out. */
void sched_diff_taprio(const struct taprio_qdisc *want, const struct taprio_qdisc *have, bool ignore_base,
		       struct strlist *out);

#endif
