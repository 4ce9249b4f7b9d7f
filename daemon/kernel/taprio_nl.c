/* SPDX-License-Identifier: GPL-2.0-only */
/* taprio_nl.c — build and read taprio qdisc messages, replay dumped qdiscs
 * (see taprio_nl.h; the socket is nlio's). */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "nlio.h"
#include "taprio_nl.h"
#include "tsn/log.h"

/* ---- helpers on struct taprio_qdisc ---- */

static void sched_clear(struct taprio_sched *s)
{
	free(s->entries);
	memset(s, 0, sizeof(*s));
}

void taprio_qdisc_clear(struct taprio_qdisc *q)
{
	sched_clear(&q->oper);
	sched_clear(&q->admin);
	memset(q, 0, sizeof(*q));
}

static int sched_copy(struct taprio_sched *dst, const struct taprio_sched *src)
{
	*dst = *src;
	dst->entries = NULL;
	if (!src->n_entries)
		return 0;
	dst->entries = malloc(src->n_entries * sizeof(*src->entries));
	if (!dst->entries)
		return -ENOMEM;
	memcpy(dst->entries, src->entries, src->n_entries * sizeof(*src->entries));
	return 0;
}

int taprio_qdisc_copy(struct taprio_qdisc *dst, const struct taprio_qdisc *src)
{
	*dst = *src;
	memset(&dst->oper, 0, sizeof(dst->oper));
	memset(&dst->admin, 0, sizeof(dst->admin));
	if (sched_copy(&dst->oper, &src->oper) < 0 || sched_copy(&dst->admin, &src->admin) < 0) {
		taprio_qdisc_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

/* ---- building ---- */

/* Room for the whole message: libnl's default buffer is one page, and a
 * 4096-entry list needs about 150 KiB. */
static size_t build_size(const struct taprio_qdisc *q)
{
	return 1024 + (q->oper.n_entries + q->admin.n_entries) * 48 + TAPRIO_TC_MAX * 24;
}

/* One attribute written in place: header, value, zeroed padding.  Returns the
 * byte after it. */
static unsigned char *put_in_place(unsigned char *p, uint16_t type, const void *value, uint16_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type };

	memcpy(p, &a, sizeof(a));
	memcpy(p + NLA_HDRLEN, value, len);
	memset(p + NLA_HDRLEN + len, 0, (size_t)(NLA_ALIGN(len) - len));
	return p + NLA_HDRLEN + NLA_ALIGN(len);
}

/* One TCA_TAPRIO_SCHED_ENTRY nest.  libnl does its bookkeeping once per call and
 * a nest with four members takes six calls; an entry has a fixed size
 * (TAPRIO_ENTRY_SIZE), so it is reserved with one call and filled in place,
 * byte for byte what the six calls write.  A 256-entry message takes about five
 * times fewer instructions (taprio_nl's unit tests compare the bytes). */
static int put_entry(struct nl_msg *msg, const struct taprio_entry *e)
{
	/* nla_nest_start marks nests NLA_F_NESTED (libnl 3.5 and later): so does this */
	struct nlattr *item = nla_reserve(msg, TCA_TAPRIO_SCHED_ENTRY | NLA_F_NESTED, TAPRIO_ENTRY_SIZE - NLA_HDRLEN);

	if (!item)
		return -1;
	unsigned char *p = nla_data(item);
	p = put_in_place(p, TCA_TAPRIO_SCHED_ENTRY_INDEX, &e->index, sizeof(e->index));
	p = put_in_place(p, TCA_TAPRIO_SCHED_ENTRY_CMD, &e->cmd, sizeof(e->cmd));
	p = put_in_place(p, TCA_TAPRIO_SCHED_ENTRY_GATE_MASK, &e->gate_mask, sizeof(e->gate_mask));
	put_in_place(p, TCA_TAPRIO_SCHED_ENTRY_INTERVAL, &e->interval, sizeof(e->interval));
	return 0;
}

static int put_sched(struct nl_msg *msg, const struct taprio_sched *s)
{
	if (s->has_base_time && nla_put_s64(msg, TCA_TAPRIO_ATTR_SCHED_BASE_TIME, s->base_time) < 0)
		return -1;
	if (s->has_cycle_time && nla_put_s64(msg, TCA_TAPRIO_ATTR_SCHED_CYCLE_TIME, s->cycle_time) < 0)
		return -1;
	if (s->has_cycle_time_extension &&
	    nla_put_s64(msg, TCA_TAPRIO_ATTR_SCHED_CYCLE_TIME_EXTENSION, s->cycle_time_extension) < 0)
		return -1;
	if (!s->has_entries)
		return 0;
	struct nlattr *list = nla_nest_start(msg, TCA_TAPRIO_ATTR_SCHED_ENTRY_LIST);
	if (!list)
		return -1;
	for (size_t i = 0; i < s->n_entries; i++)
		if (put_entry(msg, &s->entries[i]) < 0)
			return -1;
	/* An attribute holds at most 64 KiB: a longer list cannot be sent at all. */
	return nla_nest_end_keep_empty(msg, list) < 0 ? -1 : 0;
}

static int put_options(struct nl_msg *msg, const struct taprio_qdisc *q)
{
	struct nlattr *opts = nla_nest_start(msg, TCA_OPTIONS);

	if (!opts)
		return -1;
	if (q->has_priomap && nla_put(msg, TCA_TAPRIO_ATTR_PRIOMAP, sizeof(q->priomap), &q->priomap) < 0)
		return -1;
	if (q->has_clockid && nla_put_s32(msg, TCA_TAPRIO_ATTR_SCHED_CLOCKID, q->clockid) < 0)
		return -1;
	if (q->has_flags && nla_put_u32(msg, TCA_TAPRIO_ATTR_FLAGS, q->flags) < 0)
		return -1;
	if (q->has_txtime_delay && nla_put_u32(msg, TCA_TAPRIO_ATTR_TXTIME_DELAY, q->txtime_delay) < 0)
		return -1;
	for (uint32_t tc = 0; tc < TAPRIO_TC_MAX; tc++) {
		if (!(q->max_sdu_set & (1u << tc)))
			continue;
		/* The kernel parses TC entries strictly: NLA_F_NESTED is required. */
		struct nlattr *n = nla_nest_start(msg, TCA_TAPRIO_ATTR_TC_ENTRY | NLA_F_NESTED);
		if (!n || nla_put_u32(msg, TCA_TAPRIO_TC_ENTRY_INDEX, tc) < 0 ||
		    nla_put_u32(msg, TCA_TAPRIO_TC_ENTRY_MAX_SDU, q->max_sdu[tc]) < 0)
			return -1;
		nla_nest_end(msg, n);
	}
	if (put_sched(msg, &q->oper) < 0)
		return -1;
	if (q->has_admin) {
		struct nlattr *admin = nla_nest_start(msg, TCA_TAPRIO_ATTR_ADMIN_SCHED);
		if (!admin || put_sched(msg, &q->admin) < 0 || nla_nest_end_keep_empty(msg, admin) < 0)
			return -1;
	}
	return nla_nest_end_keep_empty(msg, opts) < 0 ? -1 : 0;
}

size_t taprio_options_size(const struct taprio_qdisc *q)
{
	size_t n = NLA_HDRLEN;
	const struct taprio_sched *sc[2] = { &q->oper, q->has_admin ? &q->admin : NULL };

	n += q->has_priomap ? NLA_HDRLEN + NLA_ALIGN(sizeof(q->priomap)) : 0;
	n += (q->has_clockid + q->has_flags + q->has_txtime_delay) * (NLA_HDRLEN + 4);
	for (uint32_t tc = 0; tc < TAPRIO_TC_MAX; tc++)
		n += q->max_sdu_set & (1u << tc) ? 3 * NLA_HDRLEN + 8 : 0;
	for (int i = 0; i < 2; i++) {
		if (!sc[i])
			continue;
		n += i ? NLA_HDRLEN : 0;
		n += (sc[i]->has_base_time + sc[i]->has_cycle_time + sc[i]->has_cycle_time_extension) * (NLA_HDRLEN + 8);
		n += sc[i]->has_entries ? NLA_HDRLEN + sc[i]->n_entries * TAPRIO_ENTRY_SIZE : 0;
	}
	return n;
}

size_t taprio_dump_size(const struct taprio_qdisc *q, size_t n_oper, bool has_admin, size_t n_admin)
{
	/* One list: base time, cycle time, extension (s64 each, no pad attribute on
	 * x86-64), and the list nest. */
	const size_t times = 3 * (NLA_HDRLEN + 8) + NLA_HDRLEN;
	/* tc_fill_qdisc: the tcmsg, "taprio", TCA_HW_OFFLOAD, and gnet_stats'
	 * TCA_STATS2 {BASIC, QUEUE} plus the old struct tc_stats (40 bytes). */
	size_t n = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct tcmsg)) + NLA_HDRLEN + NLA_ALIGN(sizeof("taprio")) +
		   NLA_HDRLEN + 4 + NLA_HDRLEN + (NLA_HDRLEN + 16) + (NLA_HDRLEN + 20) + (NLA_HDRLEN + 40);
	bool offload = q->has_flags && (q->flags & TCA_TAPRIO_ATTR_FLAG_FULL_OFFLOAD);

	n += NLA_HDRLEN;						/* TCA_OPTIONS */
	n += NLA_HDRLEN + NLA_ALIGN(sizeof(struct tc_mqprio_qopt));	/* the priority map */
	n += offload ? 0 : NLA_HDRLEN + 4;				/* the clock */
	n += q->has_flags && q->flags ? NLA_HDRLEN + 4 : 0;
	n += q->has_txtime_delay && q->txtime_delay ? NLA_HDRLEN + 4 : 0;
	n += TAPRIO_TC_MAX * (3 * NLA_HDRLEN + 8);			/* every class's max SDU */
	n += times + n_oper * TAPRIO_ENTRY_SIZE;
	if (has_admin)
		n += NLA_HDRLEN + times + n_admin * TAPRIO_ENTRY_SIZE;
	return n;
}

struct nl_msg *taprio_build(int type, int flags, const struct taprio_qdisc *q)
{
	struct nl_msg *msg = nlio_tc_msg(type, flags, build_size(q), q->ifindex, q->handle, q->parent);

	if (!msg)
		return NULL;
	if (q->kind[0] && nla_put_string(msg, TCA_KIND, q->kind) < 0)
		goto fail;
	if (type == RTM_NEWQDISC && strcmp(q->kind, "taprio") == 0 &&
	    (taprio_options_size(q) > TAPRIO_OPTIONS_MAX || put_options(msg, q) < 0))
		goto fail;
	return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}

/* ---- parsing ---- */

int qdisc_parse_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int get_s64(const struct nlattr *a, int64_t *v, const char *what, char *err, size_t errlen)
{
	if (nla_len(a) != (int)sizeof(int64_t))
		return qdisc_parse_error(err, errlen, "%s: %d bytes, expected 8", what, nla_len(a));
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

static int get_u32(const struct nlattr *a, uint32_t *v, const char *what, char *err, size_t errlen)
{
	if (nla_len(a) != (int)sizeof(uint32_t))
		return qdisc_parse_error(err, errlen, "%s: %d bytes, expected 4", what, nla_len(a));
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

static int parse_entry(struct nlattr *item, struct taprio_entry *e, size_t pos, char *err, size_t errlen)
{
	struct nlattr *tb[TCA_TAPRIO_SCHED_ENTRY_MAX + 1];

	if (nla_parse_nested(tb, TCA_TAPRIO_SCHED_ENTRY_MAX, item, NULL) < 0)
		return qdisc_parse_error(err, errlen, "schedule entry %zu is malformed", pos);
	memset(e, 0, sizeof(*e));
	e->index = (uint32_t)pos;
	if (tb[TCA_TAPRIO_SCHED_ENTRY_INDEX] &&
	    get_u32(tb[TCA_TAPRIO_SCHED_ENTRY_INDEX], &e->index, "entry index", err, errlen) < 0)
		return -EINVAL;
	if (tb[TCA_TAPRIO_SCHED_ENTRY_CMD]) {
		if (nla_len(tb[TCA_TAPRIO_SCHED_ENTRY_CMD]) < 1)
			return qdisc_parse_error(err, errlen, "entry %zu: empty command", pos);
		e->cmd = nla_get_u8(tb[TCA_TAPRIO_SCHED_ENTRY_CMD]);
	}
	if (tb[TCA_TAPRIO_SCHED_ENTRY_GATE_MASK] &&
	    get_u32(tb[TCA_TAPRIO_SCHED_ENTRY_GATE_MASK], &e->gate_mask, "entry gate mask", err, errlen) < 0)
		return -EINVAL;
	if (tb[TCA_TAPRIO_SCHED_ENTRY_INTERVAL] &&
	    get_u32(tb[TCA_TAPRIO_SCHED_ENTRY_INTERVAL], &e->interval, "entry interval", err, errlen) < 0)
		return -EINVAL;
	return 0;
}

static int parse_entry_list(struct nlattr *list, struct taprio_sched *s, char *err, size_t errlen)
{
	struct nlattr *pos;
	size_t n = 0;
	int rem;

	nla_for_each_nested(pos, list, rem)
		if (nla_type(pos) == TCA_TAPRIO_SCHED_ENTRY)
			n++;
	s->has_entries = true;
	if (!n)
		return 0;
	s->entries = calloc(n, sizeof(*s->entries));
	if (!s->entries)
		return qdisc_parse_error(err, errlen, "out of memory for %zu entries", n);
	nla_for_each_nested(pos, list, rem) {
		if (nla_type(pos) != TCA_TAPRIO_SCHED_ENTRY)
			continue;
		if (parse_entry(pos, &s->entries[s->n_entries], s->n_entries, err, errlen) < 0)
			return -EINVAL;
		s->n_entries++;
	}
	return 0;
}

/* The schedule attributes of tb (the options, or the ADMIN_SCHED nest); the gate
 * control list only if `lists`. */
static int parse_sched(struct nlattr **tb, struct taprio_sched *s, bool lists, char *err, size_t errlen)
{
	if (tb[TCA_TAPRIO_ATTR_SCHED_BASE_TIME]) {
		if (get_s64(tb[TCA_TAPRIO_ATTR_SCHED_BASE_TIME], &s->base_time, "base time", err, errlen) < 0)
			return -EINVAL;
		s->has_base_time = true;
	}
	if (tb[TCA_TAPRIO_ATTR_SCHED_CYCLE_TIME]) {
		if (get_s64(tb[TCA_TAPRIO_ATTR_SCHED_CYCLE_TIME], &s->cycle_time, "cycle time", err, errlen) < 0)
			return -EINVAL;
		s->has_cycle_time = true;
	}
	if (tb[TCA_TAPRIO_ATTR_SCHED_CYCLE_TIME_EXTENSION]) {
		if (get_s64(tb[TCA_TAPRIO_ATTR_SCHED_CYCLE_TIME_EXTENSION], &s->cycle_time_extension,
			    "cycle time extension", err, errlen) < 0)
			return -EINVAL;
		s->has_cycle_time_extension = true;
	}
	if (lists && tb[TCA_TAPRIO_ATTR_SCHED_ENTRY_LIST])
		return parse_entry_list(tb[TCA_TAPRIO_ATTR_SCHED_ENTRY_LIST], s, err, errlen);
	return 0;
}

/* TC entries repeat one attribute type, so they are walked, not parsed into tb. */
static int parse_tc_entries(struct nlattr *opts, struct taprio_qdisc *q, char *err, size_t errlen)
{
	struct nlattr *pos;
	int rem;

	nla_for_each_nested(pos, opts, rem) {
		struct nlattr *tb[TCA_TAPRIO_TC_ENTRY_MAX + 1];
		uint32_t tc = 0, sdu = 0;

		if (nla_type(pos) != TCA_TAPRIO_ATTR_TC_ENTRY)
			continue;
		if (nla_parse_nested(tb, TCA_TAPRIO_TC_ENTRY_MAX, pos, NULL) < 0)
			return qdisc_parse_error(err, errlen, "malformed TC entry");
		if (!tb[TCA_TAPRIO_TC_ENTRY_INDEX])
			return qdisc_parse_error(err, errlen, "TC entry without an index");
		if (get_u32(tb[TCA_TAPRIO_TC_ENTRY_INDEX], &tc, "TC entry index", err, errlen) < 0)
			return -EINVAL;
		if (tc >= TAPRIO_TC_MAX)
			return qdisc_parse_error(err, errlen, "TC entry index %u is beyond %d", tc, TAPRIO_TC_MAX - 1);
		if (tb[TCA_TAPRIO_TC_ENTRY_MAX_SDU] &&
		    get_u32(tb[TCA_TAPRIO_TC_ENTRY_MAX_SDU], &sdu, "max SDU", err, errlen) < 0)
			return -EINVAL;
		q->max_sdu_set |= 1u << tc;
		q->max_sdu[tc] = sdu;
	}
	return 0;
}

static int parse_options(struct nlattr *opts, struct taprio_qdisc *q, bool lists, char *err, size_t errlen)
{
	struct nlattr *tb[TCA_TAPRIO_ATTR_MAX + 1];

	if (nla_parse_nested(tb, TCA_TAPRIO_ATTR_MAX, opts, NULL) < 0)
		return qdisc_parse_error(err, errlen, "malformed taprio options");
	if (tb[TCA_TAPRIO_ATTR_PRIOMAP]) {
		if (nla_len(tb[TCA_TAPRIO_ATTR_PRIOMAP]) < (int)sizeof(q->priomap))
			return qdisc_parse_error(err, errlen, "priority map: %d bytes, expected %zu",
				   nla_len(tb[TCA_TAPRIO_ATTR_PRIOMAP]), sizeof(q->priomap));
		memcpy(&q->priomap, nla_data(tb[TCA_TAPRIO_ATTR_PRIOMAP]), sizeof(q->priomap));
		q->has_priomap = true;
	}
	if (tb[TCA_TAPRIO_ATTR_SCHED_CLOCKID]) {
		uint32_t v = 0;
		if (get_u32(tb[TCA_TAPRIO_ATTR_SCHED_CLOCKID], &v, "clockid", err, errlen) < 0)
			return -EINVAL;
		q->clockid = (int32_t)v;
		q->has_clockid = true;
	}
	if (tb[TCA_TAPRIO_ATTR_FLAGS]) {
		if (get_u32(tb[TCA_TAPRIO_ATTR_FLAGS], &q->flags, "flags", err, errlen) < 0)
			return -EINVAL;
		q->has_flags = true;
	}
	if (tb[TCA_TAPRIO_ATTR_TXTIME_DELAY]) {
		if (get_u32(tb[TCA_TAPRIO_ATTR_TXTIME_DELAY], &q->txtime_delay, "txtime delay", err, errlen) < 0)
			return -EINVAL;
		q->has_txtime_delay = true;
	}
	if (parse_tc_entries(opts, q, err, errlen) < 0 || parse_sched(tb, &q->oper, lists, err, errlen) < 0)
		return -EINVAL;
	if (tb[TCA_TAPRIO_ATTR_ADMIN_SCHED]) {
		struct nlattr *atb[TCA_TAPRIO_ATTR_MAX + 1];
		if (nla_parse_nested(atb, TCA_TAPRIO_ATTR_MAX, tb[TCA_TAPRIO_ATTR_ADMIN_SCHED], NULL) < 0)
			return qdisc_parse_error(err, errlen, "malformed admin schedule");
		q->has_admin = true;
		if (parse_sched(atb, &q->admin, lists, err, errlen) < 0)
			return -EINVAL;
	}
	return 0;
}

static int parse_qdisc(const struct nlmsghdr *nlh, struct taprio_qdisc *q, bool lists, char *err, size_t errlen)
{
	struct nlattr *tb[TCA_MAX + 1];

	memset(q, 0, sizeof(*q));
	if (nlh->nlmsg_type != RTM_NEWQDISC && nlh->nlmsg_type != RTM_DELQDISC)
		return qdisc_parse_error(err, errlen, "message type %u is not a qdisc", nlh->nlmsg_type);
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)) ||
	    nlmsg_parse((struct nlmsghdr *)nlh, sizeof(struct tcmsg), tb, TCA_MAX, NULL) < 0)
		return qdisc_parse_error(err, errlen, "truncated or malformed qdisc message (%u bytes)", nlh->nlmsg_len);
	const struct tcmsg *tcm = nlmsg_data(nlh);
	q->ifindex = tcm->tcm_ifindex;
	q->handle = tcm->tcm_handle;
	q->parent = tcm->tcm_parent;
	if (tb[TCA_KIND])
		nla_strlcpy(q->kind, tb[TCA_KIND], sizeof(q->kind));
	if (strcmp(q->kind, "taprio") == 0 && tb[TCA_OPTIONS] && parse_options(tb[TCA_OPTIONS], q, lists, err, errlen) < 0) {
		taprio_qdisc_clear(q);
		return -EINVAL;
	}
	return 0;
}

int taprio_parse(const struct nlmsghdr *nlh, struct taprio_qdisc *q, char *err, size_t errlen)
{
	return parse_qdisc(nlh, q, true, err, errlen);
}

int taprio_parse_layout(const struct nlmsghdr *nlh, struct taprio_qdisc *q, char *err, size_t errlen)
{
	return parse_qdisc(nlh, q, false, err, errlen);
}

/* ---- replay ---- */

/* sch_htb dumps its protocol version as 0x30011 but accepts only the major (3):
 * put the major back so that the dump can be replayed. */
static void htb_fixup(struct nlattr *opts)
{
	struct nlattr *pos;
	int rem;

	nla_for_each_nested(pos, opts, rem) {
		if (nla_type(pos) == TCA_HTB_INIT && nla_len(pos) >= (int)sizeof(struct tc_htb_glob)) {
			struct tc_htb_glob g;
			memcpy(&g, nla_data(pos), sizeof(g));
			g.version = TC_HTB_PROTOVER;
			memcpy(nla_data(pos), &g, sizeof(g));
		}
	}
}

struct nl_msg *qdisc_replay_msg(const struct nlmsghdr *nlh, int flags, char *err, size_t errlen)
{
	struct nlattr *tb[TCA_MAX + 1];
	struct taprio_qdisc q;
	struct nl_msg *msg;

	if (taprio_parse(nlh, &q, err, errlen) < 0)
		return NULL;
	if (strcmp(q.kind, "taprio") == 0) {
		/* Run the newest schedule; the admin nest is dump-only. */
		if (q.has_admin) {
			sched_clear(&q.oper);
			q.oper = q.admin;
			memset(&q.admin, 0, sizeof(q.admin));
			q.has_admin = false;
		}
		q.has_flags = true;	/* absent means 0, and a change must repeat it */
		msg = taprio_build(RTM_NEWQDISC, flags, &q);
		taprio_qdisc_clear(&q);
		if (!msg)
			snprintf(err, errlen, "out of memory");
		return msg;
	}
	taprio_qdisc_clear(&q);

	nlmsg_parse((struct nlmsghdr *)nlh, sizeof(struct tcmsg), tb, TCA_MAX, NULL);
	const struct tcmsg *tcm = nlmsg_data(nlh);
	msg = nlio_tc_msg(RTM_NEWQDISC, flags, nlh->nlmsg_len + 256, tcm->tcm_ifindex, tcm->tcm_handle,
		     tcm->tcm_parent);
	if (!msg ||
	    (tb[TCA_KIND] && nla_put(msg, TCA_KIND, nla_len(tb[TCA_KIND]), nla_data(tb[TCA_KIND])) < 0) ||
	    (tb[TCA_OPTIONS] &&
	     nla_put(msg, tb[TCA_OPTIONS]->nla_type, nla_len(tb[TCA_OPTIONS]), nla_data(tb[TCA_OPTIONS])) < 0)) {
		nlmsg_free(msg);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (tb[TCA_KIND] && tb[TCA_OPTIONS] && nla_strcmp(tb[TCA_KIND], "htb") == 0) {
		struct nlattr *ntb[TCA_MAX + 1];
		if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct tcmsg), ntb, TCA_MAX, NULL) == 0 && ntb[TCA_OPTIONS])
			htb_fixup(ntb[TCA_OPTIONS]);
	}
	return msg;
}

int qdisc_tree_replay(struct nlio *t, const struct nlmsghdr *root, const struct nlmsghdr *const *children,
		      size_t n_children, size_t *lost, char *ext, size_t extlen)
{
	const int flags = NLM_F_CREATE | NLM_F_REPLACE;
	struct nl_msg *msg = qdisc_replay_msg(root, flags, ext, extlen);
	uint32_t *majors;
	bool *done;
	size_t n_majors = 0;
	char cext[256], h[16], p[16];
	int rc;

	*lost = 0;
	if (!msg)
		return -EINVAL;
	rc = nlio_request(t, msg, ext, extlen);
	nlmsg_free(msg);
	if (rc < 0)
		return rc;
	majors = calloc(n_children + 1, sizeof(*majors));
	done = calloc(n_children + 1, sizeof(*done));
	if (!majors || !done) {
		free(majors);
		free(done);
		*lost = n_children;
		return 0;
	}
	majors[n_majors++] = TC_H_MAJ(((const struct tcmsg *)nlmsg_data(root))->tcm_handle);
	for (bool progress = true; progress;) {
		progress = false;
		for (size_t i = 0; i < n_children; i++) {
			const struct tcmsg *c = nlmsg_data(children[i]);
			bool ready = false;
			for (size_t j = 0; j < n_majors; j++)
				ready |= TC_H_MAJ(c->tcm_parent) == majors[j];
			if (done[i] || !ready)
				continue;
			done[i] = progress = true;
			msg = qdisc_replay_msg(children[i], flags, cext, sizeof(cext));
			rc = msg ? nlio_request(t, msg, cext, sizeof(cext)) : -EINVAL;
			nlmsg_free(msg);
			if (rc < 0) {
				(*lost)++;
				log_err("qdisc %s under %s could not be put back: %s%s%s",
					tc_handle_format(c->tcm_handle, h, sizeof(h)),
					tc_handle_format(c->tcm_parent, p, sizeof(p)), strerror(-rc), cext[0] ? ": " : "",
					cext);
			} else {
				majors[n_majors++] = TC_H_MAJ(c->tcm_handle);
			}
		}
	}
	for (size_t i = 0; i < n_children; i++) {
		const struct tcmsg *c = nlmsg_data(children[i]);
		if (done[i])
			continue;
		(*lost)++;
		log_err("qdisc %s under %s could not be put back: its parent is gone",
			tc_handle_format(c->tcm_handle, h, sizeof(h)), tc_handle_format(c->tcm_parent, p, sizeof(p)));
	}
	free(majors);
	free(done);
	return 0;
}

/* ---- names and JSON ---- */

const char *taprio_clock_name(int32_t clockid)
{
	switch (clockid) {
	case CLOCK_TAI: return "tai";
	case CLOCK_REALTIME: return "realtime";
	case CLOCK_MONOTONIC: return "monotonic";
	case CLOCK_BOOTTIME: return "boottime";
	default: return NULL;
	}
}

const char *taprio_cmd_name(uint8_t cmd, char *buf, size_t len)
{
	switch (cmd) {
	case TC_TAPRIO_CMD_SET_GATES: return "set-gates";
	case TC_TAPRIO_CMD_SET_AND_HOLD: return "set-and-hold";
	case TC_TAPRIO_CMD_SET_AND_RELEASE: return "set-and-release";
	default:
		snprintf(buf, len, "cmd-%u", cmd);
		return buf;
	}
}

char *tc_handle_format(uint32_t handle, char *buf, size_t len)
{
	if (TC_H_MIN(handle))
		snprintf(buf, len, "%x:%x", TC_H_MAJ(handle) >> 16, TC_H_MIN(handle));
	else
		snprintf(buf, len, "%x:", TC_H_MAJ(handle) >> 16);
	return buf;
}

static json_object *gates_json(uint32_t mask)
{
	json_object *arr = json_object_new_array();
	for (int b = 0; b < 32; b++)
		if (mask & (1u << b))
			json_object_array_add(arr, json_object_new_int(b));
	return arr;
}

json_object *taprio_sched_to_json(const struct taprio_sched *s)
{
	json_object *o = json_object_new_object(), *entries = json_object_new_array();
	char buf[16];

	json_object_object_add(o, "base_time_ns", json_object_new_int64(s->base_time));
	json_object_object_add(o, "cycle_time_ns", json_object_new_int64(s->cycle_time));
	json_object_object_add(o, "cycle_time_extension_ns", json_object_new_int64(s->cycle_time_extension));
	for (size_t i = 0; i < s->n_entries; i++) {
		const struct taprio_entry *e = &s->entries[i];
		json_object *je = json_object_new_object();
		json_object_object_add(je, "index", json_object_new_int64(e->index));
		json_object_object_add(je, "op", json_object_new_string(taprio_cmd_name(e->cmd, buf, sizeof(buf))));
		json_object_object_add(je, "gates", gates_json(e->gate_mask));
		json_object_object_add(je, "interval_ns", json_object_new_int64(e->interval));
		json_object_array_add(entries, je);
	}
	json_object_object_add(o, "entries", entries);
	return o;
}

json_object *taprio_to_json(const struct taprio_qdisc *q)
{
	json_object *o = json_object_new_object();
	json_object *map = json_object_new_array(), *queues = json_object_new_array();
	json_object *sdu = json_object_new_array();
	unsigned num_tc = q->has_priomap ? q->priomap.num_tc : 0;
	char buf[32];

	if (num_tc > TAPRIO_TC_MAX)
		num_tc = TAPRIO_TC_MAX;
	json_object_object_add(o, "kind", json_object_new_string(q->kind));
	json_object_object_add(o, "handle", json_object_new_string(tc_handle_format(q->handle, buf, sizeof(buf))));
	json_object_object_add(o, "num_tc", json_object_new_int(num_tc));
	for (int i = 0; q->has_priomap && i <= TC_QOPT_BITMASK; i++)
		json_object_array_add(map, json_object_new_int(q->priomap.prio_tc_map[i]));
	json_object_object_add(o, "map", map);
	for (unsigned tc = 0; tc < num_tc; tc++) {
		snprintf(buf, sizeof(buf), "%u@%u", q->priomap.count[tc], q->priomap.offset[tc]);
		json_object_array_add(queues, json_object_new_string(buf));
		json_object_array_add(sdu, json_object_new_int64(q->max_sdu[tc]));
	}
	json_object_object_add(o, "queues", queues);
	if (!q->has_clockid) {
		json_object_object_add(o, "clockid", NULL);
	} else if (taprio_clock_name(q->clockid)) {
		json_object_object_add(o, "clockid", json_object_new_string(taprio_clock_name(q->clockid)));
	} else {
		snprintf(buf, sizeof(buf), "%d", q->clockid);
		json_object_object_add(o, "clockid", json_object_new_string(buf));
	}
	json_object_object_add(o, "flags", json_object_new_int64(q->flags));
	json_object_object_add(o, "txtime_delay_ns", json_object_new_int64(q->txtime_delay));
	json_object_object_add(o, "max_sdu", sdu);
	json_object_object_add(o, "oper", q->oper.has_entries ? taprio_sched_to_json(&q->oper) : NULL);
	json_object_object_add(o, "admin", q->has_admin ? taprio_sched_to_json(&q->admin) : NULL);
	return o;
}
