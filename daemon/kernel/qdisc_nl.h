/* SPDX-License-Identifier: GPL-2.0-only */
/* qdisc_nl.h — the qdiscs around a schedule other than taprio, over route netlink:
 * the cbs (802.1Qav) and etf (LaunchTime) qdiscs tsnd puts under the per-queue
 * classes of its taprio or mqprio root, and the mqprio root of a port without a
 * gate list (mode: mqprio).
 *
 *   cbs     TCA_OPTIONS { TCA_CBS_PARMS: struct tc_cbs_qopt }   (kbit/s, bytes)
 *   etf     TCA_OPTIONS { TCA_ETF_PARMS: struct tc_etf_qopt }   (ns, clockid, flags)
 *   mqprio  TCA_OPTIONS: struct tc_mqprio_qopt itself (not nested), hw 0
 *
 * A child's parent is the root's class of its TX queue, root-handle:queue+1 (the
 * kernel numbers the classes of taprio and mqprio from 1). */
#ifndef TSND_QDISC_NL_H
#define TSND_QDISC_NL_H

#include <linux/pkt_sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "tsn/shaper.h"

struct nl_msg;
struct nlmsghdr;

/* tsnd's handle for the child on TX queue q: 7480+q (hex), so `tc qdisc show`
 * tells them apart and a tc-built tree can use the same numbers. */
#define TSND_CHILD_HANDLE(q) ((0x7480u + (uint32_t)(q)) << 16)
/* The class of TX queue q under the root with handle `root`. */
#define TSND_QUEUE_CLASS(root, q) (((root) & 0xffff0000u) | ((uint32_t)(q) + 1))

struct child_qdisc {
	int ifindex;
	uint32_t handle;
	uint32_t parent;
	char kind[16];			/* "cbs", "etf", or another kind (not decoded) */
	struct tc_cbs_qopt cbs;		/* kind "cbs" */
	struct tc_etf_qopt etf;		/* kind "etf" */
};

/* The child a plan entry asks for, under root handle `root`. */
void child_qdisc_from_cbs(struct child_qdisc *q, int ifindex, uint32_t root, const struct tsn_cbs_params *p);
void child_qdisc_from_etf(struct child_qdisc *q, int ifindex, uint32_t root, const struct tsn_etf_params *p);

/* RTM_NEWQDISC (options included) or RTM_DELQDISC (tcmsg and kind only) with nlmsg
 * flags `flags`.  Kind "pfifo" (no options) is what a queue gets back when tsnd's
 * child leaves a running root: a deleted child would leave noop, which drops all.
 * NULL if out of memory or the kind is none of cbs, etf, pfifo. */
struct nl_msg *child_qdisc_build(int type, int flags, const struct child_qdisc *q);
/* Read a dumped qdisc message: tcmsg, kind, and the options of cbs and etf.  0, or
 * -EINVAL with the reason in err. */
int child_qdisc_parse(const struct nlmsghdr *nlh, struct child_qdisc *q, char *err, size_t errlen);
/* Same kind and options (the handles and parents are compared by the caller). */
bool child_qdisc_equal(const struct child_qdisc *a, const struct child_qdisc *b);
/* "idleslope 20000 -> 10000, hicredit 31 -> 16": what `have` has that `want`
 * does not; empty if equal. */
void child_qdisc_diff(const struct child_qdisc *want, const struct child_qdisc *have, char *buf, size_t len);
/* {"kind","handle","parent", cbs: "idleslope_kbps","sendslope_kbps","hicredit",
 *  "locredit","offload"; etf: "delta_ns","clockid","deadline_mode","offload",
 *  "skip_sock_check"} */
json_object *child_qdisc_to_json(const struct child_qdisc *q);

/* An mqprio root (hw 0) with the given layout. */
struct nl_msg *mqprio_build(int type, int flags, int ifindex, uint32_t handle, const struct tc_mqprio_qopt *qopt);
/* The layout of a dumped (or built) mqprio qdisc message: 1 and *qopt filled; 0 if
 * the message is of another kind or carries no options; -EINVAL with err if it is
 * malformed.  The kernel appends its mode and shaper attributes after the
 * structure inside TCA_OPTIONS; they are not read. */
int mqprio_parse(const struct nlmsghdr *nlh, struct tc_mqprio_qopt *qopt, char *err, size_t errlen);

#endif
