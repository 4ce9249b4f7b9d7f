/* SPDX-License-Identifier: GPL-2.0-only */
/* qdisc_nl.c — cbs, etf and mqprio messages (qdisc_nl.h). */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "nlio.h"
#include "qdisc_nl.h"
#include "taprio_nl.h"

void child_qdisc_from_cbs(struct child_qdisc *q, int ifindex, uint32_t root, const struct tsn_cbs_params *p)
{
	memset(q, 0, sizeof(*q));
	q->ifindex = ifindex;
	q->handle = TSND_CHILD_HANDLE(p->queue);
	q->parent = TSND_QUEUE_CLASS(root, p->queue);
	snprintf(q->kind, sizeof(q->kind), "cbs");
	q->cbs.hicredit = p->hicredit;
	q->cbs.locredit = p->locredit;
	q->cbs.idleslope = p->idleslope_kbps;
	q->cbs.sendslope = p->sendslope_kbps;
}

void child_qdisc_from_etf(struct child_qdisc *q, int ifindex, uint32_t root, const struct tsn_etf_params *p)
{
	memset(q, 0, sizeof(*q));
	q->ifindex = ifindex;
	q->handle = TSND_CHILD_HANDLE(p->queue);
	q->parent = TSND_QUEUE_CLASS(root, p->queue);
	snprintf(q->kind, sizeof(q->kind), "etf");
	q->etf.delta = p->delta_ns;
	q->etf.clockid = CLOCK_TAI;	/* etf takes no other (the config checks it) */
	q->etf.flags = (p->deadline_mode ? TC_ETF_DEADLINE_MODE_ON : 0) | (p->offload ? TC_ETF_OFFLOAD_ON : 0) |
		       (p->skip_sock_check ? TC_ETF_SKIP_SOCK_CHECK : 0);
}

struct nl_msg *child_qdisc_build(int type, int flags, const struct child_qdisc *q)
{
	bool cbs = strcmp(q->kind, "cbs") == 0, etf = strcmp(q->kind, "etf") == 0;
	bool pfifo = strcmp(q->kind, "pfifo") == 0;	/* no options: the device's queue length */
	struct nl_msg *msg;

	if (!cbs && !etf && !pfifo)
		return NULL;
	msg = nlio_tc_msg(type, flags, 0, q->ifindex, q->handle, q->parent);
	if (!msg)
		return NULL;
	if (nla_put_string(msg, TCA_KIND, q->kind) < 0)
		goto fail;
	if (type == RTM_NEWQDISC && !pfifo) {
		struct nlattr *opts = nla_nest_start(msg, TCA_OPTIONS);
		if (!opts)
			goto fail;
		if (cbs && nla_put(msg, TCA_CBS_PARMS, sizeof(q->cbs), &q->cbs) < 0)
			goto fail;
		if (etf && nla_put(msg, TCA_ETF_PARMS, sizeof(q->etf), &q->etf) < 0)
			goto fail;
		nla_nest_end(msg, opts);
	}
	return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}

int child_qdisc_parse(const struct nlmsghdr *nlh, struct child_qdisc *q, char *err, size_t errlen)
{
	struct nlattr *tb[TCA_MAX + 1], *opt[8];

	memset(q, 0, sizeof(*q));
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)))
		return qdisc_parse_error(err, errlen, "qdisc message of %u bytes is too short", nlh->nlmsg_len);
	const struct tcmsg *tcm = NLMSG_DATA(nlh);
	q->ifindex = tcm->tcm_ifindex;
	q->handle = tcm->tcm_handle;
	q->parent = tcm->tcm_parent;
	if (nlmsg_parse((struct nlmsghdr *)nlh, sizeof(struct tcmsg), tb, TCA_MAX, NULL) < 0)
		return qdisc_parse_error(err, errlen, "malformed qdisc message");
	if (tb[TCA_KIND])
		nla_strlcpy(q->kind, tb[TCA_KIND], sizeof(q->kind));
	bool cbs = strcmp(q->kind, "cbs") == 0, etf = strcmp(q->kind, "etf") == 0;
	if ((!cbs && !etf) || !tb[TCA_OPTIONS])
		return 0;
	if (nla_parse_nested(opt, 7, tb[TCA_OPTIONS], NULL) < 0)
		return qdisc_parse_error(err, errlen, "%s: malformed options", q->kind);
	/* TCA_CBS_PARMS and TCA_ETF_PARMS are both attribute 1 */
	struct nlattr *p = opt[TCA_CBS_PARMS];
	size_t want = cbs ? sizeof(q->cbs) : sizeof(q->etf);
	if (!p)
		return qdisc_parse_error(err, errlen, "%s: no parameters", q->kind);
	if ((size_t)nla_len(p) < want)
		return qdisc_parse_error(err, errlen, "%s: parameters of %d bytes, expected %zu", q->kind, nla_len(p), want);
	memcpy(cbs ? (void *)&q->cbs : (void *)&q->etf, nla_data(p), want);
	return 0;
}

bool child_qdisc_equal(const struct child_qdisc *a, const struct child_qdisc *b)
{
	if (strcmp(a->kind, b->kind) != 0)
		return false;
	if (strcmp(a->kind, "cbs") == 0)
		return a->cbs.offload == b->cbs.offload && a->cbs.hicredit == b->cbs.hicredit &&
		       a->cbs.locredit == b->cbs.locredit && a->cbs.idleslope == b->cbs.idleslope &&
		       a->cbs.sendslope == b->cbs.sendslope;
	if (strcmp(a->kind, "etf") == 0)
		return a->etf.delta == b->etf.delta && a->etf.clockid == b->etf.clockid && a->etf.flags == b->etf.flags;
	return true;
}

#define DIFF(name, x, y)                                                                                   \
	do {                                                                                               \
		if ((x) != (y) && o < len)                                                                 \
			o += (size_t)snprintf(buf + o, len - o, "%s%s %lld -> %lld", o ? ", " : "", name,  \
					      (long long)(x), (long long)(y));                             \
	} while (0)

void child_qdisc_diff(const struct child_qdisc *want, const struct child_qdisc *have, char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (strcmp(want->kind, have->kind) != 0) {
		snprintf(buf, len, "%s instead of %s", have->kind[0] ? have->kind : "no qdisc", want->kind);
		return;
	}
	if (strcmp(want->kind, "cbs") == 0) {
		DIFF("idleslope", want->cbs.idleslope, have->cbs.idleslope);
		DIFF("sendslope", want->cbs.sendslope, have->cbs.sendslope);
		DIFF("hicredit", want->cbs.hicredit, have->cbs.hicredit);
		DIFF("locredit", want->cbs.locredit, have->cbs.locredit);
		DIFF("offload", want->cbs.offload, have->cbs.offload);
	} else if (strcmp(want->kind, "etf") == 0) {
		DIFF("delta", want->etf.delta, have->etf.delta);
		DIFF("clockid", want->etf.clockid, have->etf.clockid);
		DIFF("flags", want->etf.flags, have->etf.flags);
	}
}

json_object *child_qdisc_to_json(const struct child_qdisc *q)
{
	json_object *o = json_object_new_object();
	char h[16];

	if (!o)
		return NULL;
	json_object_object_add(o, "kind", json_object_new_string(q->kind));
	json_object_object_add(o, "handle", json_object_new_string(tc_handle_format(q->handle, h, sizeof(h))));
	json_object_object_add(o, "parent", json_object_new_string(tc_handle_format(q->parent, h, sizeof(h))));
	if (strcmp(q->kind, "cbs") == 0) {
		json_object_object_add(o, "idleslope_kbps", json_object_new_int64(q->cbs.idleslope));
		json_object_object_add(o, "sendslope_kbps", json_object_new_int64(q->cbs.sendslope));
		json_object_object_add(o, "hicredit", json_object_new_int64(q->cbs.hicredit));
		json_object_object_add(o, "locredit", json_object_new_int64(q->cbs.locredit));
		json_object_object_add(o, "offload", json_object_new_boolean(q->cbs.offload));
	} else if (strcmp(q->kind, "etf") == 0) {
		const char *clk = taprio_clock_name(q->etf.clockid);
		json_object_object_add(o, "delta_ns", json_object_new_int64(q->etf.delta));
		json_object_object_add(o, "clockid", clk ? json_object_new_string(clk) : json_object_new_int(q->etf.clockid));
		json_object_object_add(o, "deadline_mode", json_object_new_boolean(q->etf.flags & TC_ETF_DEADLINE_MODE_ON));
		json_object_object_add(o, "offload", json_object_new_boolean(q->etf.flags & TC_ETF_OFFLOAD_ON));
		json_object_object_add(o, "skip_sock_check", json_object_new_boolean(q->etf.flags & TC_ETF_SKIP_SOCK_CHECK));
	}
	return o;
}

struct nl_msg *mqprio_build(int type, int flags, int ifindex, uint32_t handle, const struct tc_mqprio_qopt *qopt)
{
	struct nl_msg *msg = nlio_tc_msg(type, flags, 0, ifindex, handle, TC_H_ROOT);

	if (!msg)
		return NULL;
	if (nla_put_string(msg, TCA_KIND, "mqprio") < 0 ||
	    (type == RTM_NEWQDISC && nla_put(msg, TCA_OPTIONS, sizeof(*qopt), qopt) < 0)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int mqprio_parse(const struct nlmsghdr *nlh, struct tc_mqprio_qopt *qopt, char *err, size_t errlen)
{
	struct nlattr *tb[TCA_MAX + 1];

	memset(qopt, 0, sizeof(*qopt));
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)) ||
	    nlmsg_parse((struct nlmsghdr *)nlh, sizeof(struct tcmsg), tb, TCA_MAX, NULL) < 0)
		return qdisc_parse_error(err, errlen, "truncated or malformed qdisc message (%u bytes)", nlh->nlmsg_len);
	if (!tb[TCA_KIND] || nla_strcmp(tb[TCA_KIND], "mqprio") != 0 || !tb[TCA_OPTIONS])
		return 0;
	if ((size_t)nla_len(tb[TCA_OPTIONS]) < sizeof(*qopt))
		return qdisc_parse_error(err, errlen, "mqprio: options of %d bytes, expected at least %zu",
					 nla_len(tb[TCA_OPTIONS]), sizeof(*qopt));
	memcpy(qopt, nla_data(tb[TCA_OPTIONS]), sizeof(*qopt));
	return 1;
}
