/* SPDX-License-Identifier: GPL-2.0-only */
/* test_taprio_nl.c — taprio netlink messages: encode -> decode round trips of
 * every attribute, a 4096-entry list, dumps laid out the way the kernel writes
 * them (built here byte by byte, not with the encoder under test), malformed
 * input, extended-ack parsing, and — on the real kernel, in a private network
 * namespace — requests with their extack text, dumps, and the replay of dumped
 * qdiscs that the schedule transaction uses to put a port back. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "nlio.h"
#include "taprio_nl.h"
#include "test_util.h"

/* Every qdisc of the namespace, through nlio's generic dump. */
static int dump_qdiscs(struct nlio *t, nlio_msg_fn fn, void *arg, char *ext, size_t extlen)
{
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC };

	return nlio_dump(t, RTM_GETQDISC, &tcm, sizeof(tcm), RTM_NEWQDISC, fn, arg, ext, extlen);
}

/* ---- a raw message writer, independent of libnl ---- */

struct raw {
	unsigned char buf[1 << 16];
	size_t len;
};

static void raw_align(struct raw *r)
{
	while (r->len % 4)
		r->buf[r->len++] = 0;
}

static size_t raw_attr(struct raw *r, uint16_t type, const void *data, size_t dlen)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + dlen), .nla_type = type };
	size_t at = r->len;

	memcpy(r->buf + r->len, &a, sizeof(a));
	r->len += NLA_HDRLEN;
	if (dlen)
		memcpy(r->buf + r->len, data, dlen);
	r->len += dlen;
	raw_align(r);
	return at;
}

static size_t raw_nest(struct raw *r, uint16_t type)
{
	return raw_attr(r, type, NULL, 0);
}

static void raw_end(struct raw *r, size_t at)
{
	struct nlattr *a = (struct nlattr *)(r->buf + at);
	a->nla_len = (uint16_t)(r->len - at);
}

static void raw_u32(struct raw *r, uint16_t type, uint32_t v)
{
	raw_attr(r, type, &v, sizeof(v));
}

/* s64 the way the kernel puts it on strict-alignment builds: a PAD attribute
 * first, so the decoder must skip unknown/pad attributes. */
static void raw_s64_padded(struct raw *r, uint16_t type, int64_t v)
{
	raw_attr(r, TCA_TAPRIO_PAD, NULL, 0);
	raw_attr(r, type, &v, sizeof(v));
}

static void raw_entry(struct raw *r, uint32_t index, uint8_t cmd, uint32_t mask, uint32_t interval)
{
	size_t e = raw_nest(r, TCA_TAPRIO_SCHED_ENTRY);
	raw_u32(r, TCA_TAPRIO_SCHED_ENTRY_INDEX, index);
	raw_attr(r, TCA_TAPRIO_SCHED_ENTRY_CMD, &cmd, 1);
	raw_u32(r, TCA_TAPRIO_SCHED_ENTRY_GATE_MASK, mask);
	raw_u32(r, TCA_TAPRIO_SCHED_ENTRY_INTERVAL, interval);
	raw_end(r, e);
}

/* The schedule part of taprio_dump (dump_schedule). */
static void raw_schedule(struct raw *r, int64_t base, int64_t cycle, int64_t ext, uint32_t first_interval)
{
	raw_s64_padded(r, TCA_TAPRIO_ATTR_SCHED_BASE_TIME, base);
	raw_s64_padded(r, TCA_TAPRIO_ATTR_SCHED_CYCLE_TIME, cycle);
	raw_s64_padded(r, TCA_TAPRIO_ATTR_SCHED_CYCLE_TIME_EXTENSION, ext);
	size_t list = raw_nest(r, TCA_TAPRIO_ATTR_SCHED_ENTRY_LIST);
	raw_entry(r, 0, TC_TAPRIO_CMD_SET_GATES, 0x1, first_interval);
	raw_entry(r, 1, TC_TAPRIO_CMD_SET_GATES, 0x6, (uint32_t)(cycle - first_interval));
	raw_end(r, list);
}

/* An RTM_NEWQDISC of a running taprio with a pending admin schedule, in the
 * order sch_taprio's dump writes it, with the stats the core appends. */
static struct nlmsghdr *kernel_taprio_dump(struct raw *r, bool with_admin)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)r->buf;
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC, .tcm_ifindex = 7, .tcm_handle = 0x74730000,
			     .tcm_parent = TC_H_ROOT, .tcm_info = 2 };
	struct tc_mqprio_qopt qopt;

	memset(r, 0, sizeof(*r));
	r->len = NLMSG_HDRLEN;
	memcpy(r->buf + r->len, &tcm, sizeof(tcm));
	r->len += NLMSG_ALIGN(sizeof(tcm));
	raw_attr(r, TCA_KIND, "taprio", 7);
	size_t opts = raw_nest(r, TCA_OPTIONS);
	memset(&qopt, 0, sizeof(qopt));
	qopt.num_tc = 3;
	for (int i = 0; i < 16; i++)
		qopt.prio_tc_map[i] = (uint8_t)(i < 2 ? 0 : i < 5 ? 1 : 2);
	qopt.count[0] = 1, qopt.offset[0] = 0;
	qopt.count[1] = 1, qopt.offset[1] = 1;
	qopt.count[2] = 2, qopt.offset[2] = 2;
	raw_attr(r, TCA_TAPRIO_ATTR_PRIOMAP, &qopt, sizeof(qopt));
	raw_u32(r, TCA_TAPRIO_ATTR_SCHED_CLOCKID, CLOCK_TAI);
	for (uint32_t tc = 0; tc < 16; tc++) {
		size_t n = raw_nest(r, TCA_TAPRIO_ATTR_TC_ENTRY | NLA_F_NESTED);
		raw_u32(r, TCA_TAPRIO_TC_ENTRY_INDEX, tc);
		raw_u32(r, TCA_TAPRIO_TC_ENTRY_MAX_SDU, tc == 1 ? 500 : 0);
		raw_end(r, n);
	}
	raw_schedule(r, 1000000000, 1000000, 0, 300000);
	if (with_admin) {
		size_t admin = raw_nest(r, TCA_TAPRIO_ATTR_ADMIN_SCHED);
		raw_schedule(r, 2000000000, 2000000, 5000, 700000);
		raw_end(r, admin);
	}
	raw_end(r, opts);
	raw_attr(r, TCA_STATS, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);	/* ignored */
	nlh->nlmsg_len = (uint32_t)r->len;
	nlh->nlmsg_type = RTM_NEWQDISC;
	nlh->nlmsg_flags = NLM_F_MULTI;
	return nlh;
}

/* ---- encode -> decode ---- */

static void fill_full(struct taprio_qdisc *q, struct taprio_entry *oper, struct taprio_entry *admin)
{
	memset(q, 0, sizeof(*q));
	q->ifindex = 42;
	q->handle = TSND_TAPRIO_HANDLE;
	q->parent = TC_H_ROOT;
	strcpy(q->kind, "taprio");
	q->has_priomap = true;
	q->priomap.num_tc = 3;
	for (int i = 0; i < 16; i++)
		q->priomap.prio_tc_map[i] = (uint8_t)(i % 3);
	q->priomap.count[0] = 1, q->priomap.offset[0] = 0;
	q->priomap.count[1] = 2, q->priomap.offset[1] = 1;
	q->priomap.count[2] = 1, q->priomap.offset[2] = 3;
	q->has_clockid = true;
	q->clockid = CLOCK_TAI;
	q->has_flags = true;
	q->flags = TCA_TAPRIO_ATTR_FLAG_TXTIME_ASSIST;
	q->has_txtime_delay = true;
	q->txtime_delay = 200000;
	q->max_sdu_set = (1u << 0) | (1u << 2) | (1u << 15);
	q->max_sdu[0] = 1500, q->max_sdu[2] = 64, q->max_sdu[15] = 9000;
	oper[0] = (struct taprio_entry){ 0, TC_TAPRIO_CMD_SET_GATES, 0x1, 300000 };
	oper[1] = (struct taprio_entry){ 1, TC_TAPRIO_CMD_SET_AND_HOLD, 0x6, 200000 };
	oper[2] = (struct taprio_entry){ 2, TC_TAPRIO_CMD_SET_AND_RELEASE, 0x0, UINT32_MAX };
	q->oper = (struct taprio_sched){ .has_base_time = true, .base_time = INT64_MIN,
					 .has_cycle_time = true, .cycle_time = INT64_MAX,
					 .has_cycle_time_extension = true, .cycle_time_extension = 12345,
					 .has_entries = true, .entries = oper, .n_entries = 3 };
	admin[0] = (struct taprio_entry){ 0, TC_TAPRIO_CMD_SET_GATES, 0xff, 1 };
	admin[1] = (struct taprio_entry){ 1, TC_TAPRIO_CMD_SET_GATES, 0x80000000u, 2 };
	q->has_admin = true;
	q->admin = (struct taprio_sched){ .has_base_time = true, .base_time = -1, .has_cycle_time = true,
					  .cycle_time = 3, .has_entries = true, .entries = admin, .n_entries = 2 };
}

static void assert_sched_equal(const struct taprio_sched *a, const struct taprio_sched *b)
{
	CU_ASSERT_EQUAL(a->has_base_time, b->has_base_time);
	CU_ASSERT_EQUAL(a->has_cycle_time, b->has_cycle_time);
	CU_ASSERT_EQUAL(a->has_cycle_time_extension, b->has_cycle_time_extension);
	CU_ASSERT_EQUAL(a->has_entries, b->has_entries);
	CU_ASSERT_EQUAL(a->base_time, b->base_time);
	CU_ASSERT_EQUAL(a->cycle_time, b->cycle_time);
	CU_ASSERT_EQUAL(a->cycle_time_extension, b->cycle_time_extension);
	CU_ASSERT_EQUAL_FATAL(a->n_entries, b->n_entries);
	for (size_t i = 0; i < a->n_entries; i++) {
		CU_ASSERT_EQUAL(a->entries[i].index, b->entries[i].index);
		CU_ASSERT_EQUAL(a->entries[i].cmd, b->entries[i].cmd);
		CU_ASSERT_EQUAL(a->entries[i].gate_mask, b->entries[i].gate_mask);
		CU_ASSERT_EQUAL(a->entries[i].interval, b->entries[i].interval);
	}
}

static void assert_qdisc_equal(const struct taprio_qdisc *a, const struct taprio_qdisc *b)
{
	CU_ASSERT_EQUAL(a->ifindex, b->ifindex);
	CU_ASSERT_EQUAL(a->handle, b->handle);
	CU_ASSERT_EQUAL(a->parent, b->parent);
	CU_ASSERT_STRING_EQUAL(a->kind, b->kind);
	CU_ASSERT_EQUAL(a->has_priomap, b->has_priomap);
	CU_ASSERT(memcmp(&a->priomap, &b->priomap, sizeof(a->priomap)) == 0);
	CU_ASSERT_EQUAL(a->has_clockid, b->has_clockid);
	CU_ASSERT_EQUAL(a->clockid, b->clockid);
	CU_ASSERT_EQUAL(a->has_flags, b->has_flags);
	CU_ASSERT_EQUAL(a->flags, b->flags);
	CU_ASSERT_EQUAL(a->has_txtime_delay, b->has_txtime_delay);
	CU_ASSERT_EQUAL(a->txtime_delay, b->txtime_delay);
	CU_ASSERT_EQUAL(a->max_sdu_set, b->max_sdu_set);
	CU_ASSERT(memcmp(a->max_sdu, b->max_sdu, sizeof(a->max_sdu)) == 0);
	assert_sched_equal(&a->oper, &b->oper);
	CU_ASSERT_EQUAL(a->has_admin, b->has_admin);
	assert_sched_equal(&a->admin, &b->admin);
}

static void test_roundtrip_every_attribute(void)
{
	struct taprio_entry oper[3], admin[2];
	struct taprio_qdisc q, back;
	char err[128] = "";

	fill_full(&q, oper, admin);
	struct nl_msg *msg = taprio_build(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, &q);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	CU_ASSERT_EQUAL(nlh->nlmsg_type, RTM_NEWQDISC);
	CU_ASSERT_EQUAL(nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_REPLACE), NLM_F_CREATE | NLM_F_REPLACE);
	CU_ASSERT_EQUAL_FATAL(taprio_parse(nlh, &back, err, sizeof(err)), 0);
	assert_qdisc_equal(&q, &back);
	taprio_qdisc_clear(&back);
	struct nlattr *tb[TCA_MAX + 1];
	CU_ASSERT_EQUAL(nlmsg_parse(nlh, sizeof(struct tcmsg), tb, TCA_MAX, NULL), 0);
	CU_ASSERT_EQUAL((size_t)tb[TCA_OPTIONS]->nla_len, taprio_options_size(&q));
	nlmsg_free(msg);
}

static void test_roundtrip_presence(void)
{
	struct taprio_qdisc q, back;
	char err[128];

	/* Nothing optional: kind only. */
	memset(&q, 0, sizeof(q));
	q.ifindex = 3;
	strcpy(q.kind, "taprio");
	struct nl_msg *msg = taprio_build(RTM_NEWQDISC, 0, &q);
	CU_ASSERT_EQUAL_FATAL(taprio_parse(nlmsg_hdr(msg), &back, err, sizeof(err)), 0);
	assert_qdisc_equal(&q, &back);
	taprio_qdisc_clear(&back);
	nlmsg_free(msg);

	/* A change as tsnd sends it: no priority map, flags 0, no max SDU, no admin. */
	struct taprio_entry e[1] = { { 0, TC_TAPRIO_CMD_SET_GATES, 3, 1000 } };
	q.has_flags = true;
	q.has_clockid = true;
	q.clockid = CLOCK_REALTIME;
	q.oper = (struct taprio_sched){ .has_base_time = true, .base_time = 0, .has_entries = true, .entries = e,
					.n_entries = 1 };
	msg = taprio_build(RTM_NEWQDISC, NLM_F_REPLACE, &q);
	CU_ASSERT_EQUAL_FATAL(taprio_parse(nlmsg_hdr(msg), &back, err, sizeof(err)), 0);
	assert_qdisc_equal(&q, &back);
	CU_ASSERT_FALSE(back.has_priomap);
	CU_ASSERT_FALSE(back.oper.has_cycle_time);
	taprio_qdisc_clear(&back);
	nlmsg_free(msg);

	/* RTM_DELQDISC carries the tcmsg only (and the kind). */
	q.handle = TSND_TAPRIO_HANDLE;
	q.parent = TC_H_ROOT;
	q.kind[0] = '\0';
	msg = taprio_build(RTM_DELQDISC, 0, &q);
	CU_ASSERT_EQUAL(nlmsg_hdr(msg)->nlmsg_len, NLMSG_LENGTH(sizeof(struct tcmsg)));
	CU_ASSERT_EQUAL_FATAL(taprio_parse(nlmsg_hdr(msg), &back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(back.handle, TSND_TAPRIO_HANDLE);
	CU_ASSERT_EQUAL(back.parent, TC_H_ROOT);
	CU_ASSERT_FALSE(back.oper.has_entries);
	taprio_qdisc_clear(&back);
	nlmsg_free(msg);
}

/* taprio_build fills each entry nest in place: the bytes must be those libnl's
 * nest and put calls write for the same entries. */
static void test_entry_bytes_match_libnl(void)
{
	struct taprio_entry e[3] = {
		{ 0, TC_TAPRIO_CMD_SET_GATES, 0x1, 250000 },
		{ 1, TC_TAPRIO_CMD_SET_AND_HOLD, 0xff, 1 },
		{ 2, TC_TAPRIO_CMD_SET_AND_RELEASE, 0x80000000u, 4294967295u },
	};
	struct taprio_qdisc q;

	memset(&q, 0, sizeof(q));
	strcpy(q.kind, "taprio");
	q.oper = (struct taprio_sched){ .has_entries = true, .entries = e, .n_entries = 3 };
	struct nl_msg *msg = taprio_build(RTM_NEWQDISC, 0, &q);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	struct nlattr *tb[TCA_MAX + 1], *otb[TCA_TAPRIO_ATTR_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(nlmsg_parse(nlmsg_hdr(msg), sizeof(struct tcmsg), tb, TCA_MAX, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tb[TCA_OPTIONS]);
	CU_ASSERT_EQUAL_FATAL(nla_parse_nested(otb, TCA_TAPRIO_ATTR_MAX, tb[TCA_OPTIONS], NULL), 0);
	struct nlattr *list = otb[TCA_TAPRIO_ATTR_SCHED_ENTRY_LIST];
	CU_ASSERT_PTR_NOT_NULL_FATAL(list);

	struct nl_msg *ref = nlmsg_alloc();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
	struct nlattr *rlist = nla_nest_start(ref, TCA_TAPRIO_ATTR_SCHED_ENTRY_LIST);
	for (int i = 0; i < 3; i++) {
		struct nlattr *item = nla_nest_start(ref, TCA_TAPRIO_SCHED_ENTRY);
		CU_ASSERT_EQUAL(nla_put_u32(ref, TCA_TAPRIO_SCHED_ENTRY_INDEX, e[i].index), 0);
		CU_ASSERT_EQUAL(nla_put_u8(ref, TCA_TAPRIO_SCHED_ENTRY_CMD, e[i].cmd), 0);
		CU_ASSERT_EQUAL(nla_put_u32(ref, TCA_TAPRIO_SCHED_ENTRY_GATE_MASK, e[i].gate_mask), 0);
		CU_ASSERT_EQUAL(nla_put_u32(ref, TCA_TAPRIO_SCHED_ENTRY_INTERVAL, e[i].interval), 0);
		nla_nest_end(ref, item);
	}
	nla_nest_end(ref, rlist);
	CU_ASSERT_EQUAL_FATAL(nla_len(list), 3 * TAPRIO_ENTRY_SIZE);
	CU_ASSERT_EQUAL_FATAL(nla_len(rlist), nla_len(list));
	CU_ASSERT_EQUAL(memcmp(nla_data(list), nla_data(rlist), (size_t)nla_len(list)), 0);
	nlmsg_free(ref);
	nlmsg_free(msg);
}

static void test_roundtrip_long_list(void)
{
	static const size_t counts[] = { 101, 128, 1000, 1810 };

	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		size_t n = counts[c];
		struct taprio_entry *e = calloc(n, sizeof(*e));
		struct taprio_qdisc q, back;
		char err[128];

		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		memset(&q, 0, sizeof(q));
		strcpy(q.kind, "taprio");
		for (size_t i = 0; i < n; i++)
			e[i] = (struct taprio_entry){ (uint32_t)i, (uint8_t)(i % 3), (uint32_t)(1u << (i % 8)),
						      (uint32_t)(1000 + i) };
		q.oper = (struct taprio_sched){ .has_entries = true, .entries = e, .n_entries = n };
		struct nl_msg *msg = taprio_build(RTM_NEWQDISC, 0, &q);
		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		/* 36 bytes per entry: far beyond libnl's default one-page buffer. */
		CU_ASSERT(nlmsg_hdr(msg)->nlmsg_len >= n * 36);
		CU_ASSERT_EQUAL_FATAL(taprio_parse(nlmsg_hdr(msg), &back, err, sizeof(err)), 0);
		assert_sched_equal(&q.oper, &back.oper);
		taprio_qdisc_clear(&back);
		nlmsg_free(msg);
		free(e);
	}
}

/* A netlink attribute's length is 16 bits: lists that do not fit are refused by
 * the builder (and by validation, see test_schedule), never truncated. */
static void test_list_too_long(void)
{
	size_t n = 1900;
	struct taprio_entry *e = calloc(n, sizeof(*e));
	struct taprio_qdisc q;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	memset(&q, 0, sizeof(q));
	strcpy(q.kind, "taprio");
	q.oper = (struct taprio_sched){ .has_entries = true, .entries = e, .n_entries = n };
	CU_ASSERT(taprio_options_size(&q) > TAPRIO_OPTIONS_MAX);
	CU_ASSERT_PTR_NULL(taprio_build(RTM_NEWQDISC, 0, &q));
	q.oper.n_entries = 1810;
	CU_ASSERT(taprio_options_size(&q) <= TAPRIO_OPTIONS_MAX);
	struct nl_msg *msg = taprio_build(RTM_NEWQDISC, 0, &q);
	CU_ASSERT_PTR_NOT_NULL(msg);
	/* The size the validation relies on is the size written. */
	if (msg) {
		struct nlattr *tb[TCA_MAX + 1];
		CU_ASSERT_EQUAL(nlmsg_parse(nlmsg_hdr(msg), sizeof(struct tcmsg), tb, TCA_MAX, NULL), 0);
		CU_ASSERT_EQUAL((size_t)tb[TCA_OPTIONS]->nla_len, taprio_options_size(&q));
	}
	nlmsg_free(msg);
	free(e);
}

static void test_copy(void)
{
	struct taprio_entry oper[3], admin[2];
	struct taprio_qdisc q, copy;

	fill_full(&q, oper, admin);
	CU_ASSERT_EQUAL_FATAL(taprio_qdisc_copy(&copy, &q), 0);
	CU_ASSERT_PTR_NOT_EQUAL(copy.oper.entries, q.oper.entries);
	assert_qdisc_equal(&q, &copy);
	taprio_qdisc_clear(&copy);
}

/* ---- dumps as the kernel writes them ---- */

static void test_decode_kernel_dump_admin_and_oper(void)
{
	struct raw r;
	struct taprio_qdisc q;
	char err[128] = "";

	struct nlmsghdr *nlh = kernel_taprio_dump(&r, true);
	CU_ASSERT_EQUAL_FATAL(taprio_parse(nlh, &q, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(q.ifindex, 7);
	CU_ASSERT_EQUAL(q.handle, 0x74730000u);
	CU_ASSERT_EQUAL(q.parent, TC_H_ROOT);
	CU_ASSERT_STRING_EQUAL(q.kind, "taprio");
	CU_ASSERT_TRUE(q.has_priomap);
	CU_ASSERT_EQUAL(q.priomap.num_tc, 3);
	CU_ASSERT_EQUAL(q.priomap.prio_tc_map[4], 1);
	CU_ASSERT_EQUAL(q.priomap.prio_tc_map[15], 2);
	CU_ASSERT_EQUAL(q.priomap.count[2], 2);
	CU_ASSERT_EQUAL(q.priomap.offset[2], 2);
	CU_ASSERT_TRUE(q.has_clockid);
	CU_ASSERT_EQUAL(q.clockid, CLOCK_TAI);
	CU_ASSERT_FALSE(q.has_flags);		/* the kernel omits flags 0 */
	CU_ASSERT_FALSE(q.has_txtime_delay);
	CU_ASSERT_EQUAL(q.max_sdu_set, 0xffffu);	/* all 16 classes dumped */
	CU_ASSERT_EQUAL(q.max_sdu[1], 500);
	CU_ASSERT_EQUAL(q.max_sdu[0], 0);
	/* oper: the attributes at the top level */
	CU_ASSERT_TRUE(q.oper.has_entries);
	CU_ASSERT_EQUAL(q.oper.base_time, 1000000000);
	CU_ASSERT_EQUAL(q.oper.cycle_time, 1000000);
	CU_ASSERT_EQUAL(q.oper.cycle_time_extension, 0);
	CU_ASSERT_EQUAL_FATAL(q.oper.n_entries, 2);
	CU_ASSERT_EQUAL(q.oper.entries[0].interval, 300000);
	CU_ASSERT_EQUAL(q.oper.entries[1].gate_mask, 0x6);
	CU_ASSERT_EQUAL(q.oper.entries[1].interval, 700000);
	/* admin: inside TCA_TAPRIO_ATTR_ADMIN_SCHED */
	CU_ASSERT_TRUE_FATAL(q.has_admin);
	CU_ASSERT_EQUAL(q.admin.base_time, 2000000000);
	CU_ASSERT_EQUAL(q.admin.cycle_time, 2000000);
	CU_ASSERT_EQUAL(q.admin.cycle_time_extension, 5000);
	CU_ASSERT_EQUAL_FATAL(q.admin.n_entries, 2);
	CU_ASSERT_EQUAL(q.admin.entries[0].interval, 700000);
	CU_ASSERT_EQUAL(q.admin.entries[1].interval, 1300000);

	json_object *j = taprio_to_json(&q);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(j, "handle")), "7473:");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(j, "clockid")), "tai");
	CU_ASSERT_EQUAL(json_object_array_length(tu_jget(j, "map")), 16);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_array_get_idx(tu_jget(j, "queues"), 2)), "2@2");
	CU_ASSERT_EQUAL(json_object_array_length(tu_jget(j, "max_sdu")), 3);
	json_object *admin = tu_jget(j, "admin"), *e1 = json_object_array_get_idx(tu_jget(admin, "entries"), 1);
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(admin, "base_time_ns")), 2000000000);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(e1, "op")), "set-gates");
	CU_ASSERT_EQUAL(json_object_array_length(tu_jget(e1, "gates")), 2);
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(e1, "interval_ns")), 1300000);
	json_object_put(j);
	taprio_qdisc_clear(&q);

	/* The layout alone: everything but the two gate control lists. */
	CU_ASSERT_EQUAL_FATAL(taprio_parse_layout(nlh, &q, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(q.kind, "taprio");
	CU_ASSERT_EQUAL(q.handle, 0x74730000u);
	CU_ASSERT_EQUAL(q.priomap.num_tc, 3);
	CU_ASSERT_EQUAL(q.priomap.count[2], 2);
	CU_ASSERT_EQUAL(q.clockid, CLOCK_TAI);
	CU_ASSERT_EQUAL(q.max_sdu[1], 500);
	CU_ASSERT_EQUAL(q.oper.base_time, 1000000000);
	CU_ASSERT_TRUE(q.has_admin);
	CU_ASSERT_EQUAL(q.admin.cycle_time_extension, 5000);
	CU_ASSERT_FALSE(q.oper.has_entries);
	CU_ASSERT_FALSE(q.admin.has_entries);
	CU_ASSERT_EQUAL(q.oper.n_entries + q.admin.n_entries, 0);
	CU_ASSERT_PTR_NULL(q.oper.entries);
	taprio_qdisc_clear(&q);

	/* Before the first schedule starts, only an admin schedule is listed. */
	nlh = kernel_taprio_dump(&r, false);
	CU_ASSERT_EQUAL_FATAL(taprio_parse(nlh, &q, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(q.has_admin);
	j = taprio_to_json(&q);
	CU_ASSERT_PTR_NULL(tu_jget(j, "admin"));
	json_object_put(j);
	taprio_qdisc_clear(&q);
}

static void test_decode_other_kinds(void)
{
	struct raw r;
	struct taprio_qdisc q;
	char err[128];
	struct tcmsg tcm = { .tcm_ifindex = 9, .tcm_handle = 0x10000, .tcm_parent = TC_H_ROOT };
	struct nlmsghdr *nlh = (struct nlmsghdr *)r.buf;

	memset(&r, 0, sizeof(r));
	r.len = NLMSG_HDRLEN;
	memcpy(r.buf + r.len, &tcm, sizeof(tcm));
	r.len += sizeof(tcm);
	raw_attr(&r, TCA_KIND, "tbf", 4);
	size_t o = raw_nest(&r, TCA_OPTIONS);
	raw_u32(&r, 1, 0xdeadbeef);	/* tbf's own attributes: not read */
	raw_end(&r, o);
	nlh->nlmsg_len = (uint32_t)r.len;
	nlh->nlmsg_type = RTM_NEWQDISC;
	CU_ASSERT_EQUAL_FATAL(taprio_parse(nlh, &q, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(q.kind, "tbf");
	CU_ASSERT_EQUAL(q.handle, 0x10000u);
	CU_ASSERT_FALSE(q.has_priomap);
	CU_ASSERT_FALSE(q.oper.has_entries);
	taprio_qdisc_clear(&q);
}

/* Flip one byte range of a good dump and expect a precise refusal. */
static void test_decode_malformed(void)
{
	struct raw r;
	struct taprio_qdisc q;
	char err[160];
	struct nlmsghdr *nlh;

	/* Not a qdisc message. */
	nlh = kernel_taprio_dump(&r, false);
	nlh->nlmsg_type = RTM_NEWLINK;
	CU_ASSERT_EQUAL(taprio_parse(nlh, &q, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a qdisc"));

	/* Truncated below the tcmsg. */
	nlh = kernel_taprio_dump(&r, false);
	nlh->nlmsg_len = NLMSG_HDRLEN + 8;
	CU_ASSERT_EQUAL(taprio_parse(nlh, &q, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated"));

	/* A base time of 4 bytes. */
	{
		struct taprio_qdisc ok;
		struct tcmsg tcm = { .tcm_parent = TC_H_ROOT };
		uint32_t short_time = 5;
		memset(&r, 0, sizeof(r));
		r.len = NLMSG_HDRLEN;
		memcpy(r.buf + r.len, &tcm, sizeof(tcm));
		r.len += sizeof(tcm);
		raw_attr(&r, TCA_KIND, "taprio", 7);
		size_t o = raw_nest(&r, TCA_OPTIONS);
		raw_attr(&r, TCA_TAPRIO_ATTR_SCHED_BASE_TIME, &short_time, sizeof(short_time));
		raw_end(&r, o);
		nlh = (struct nlmsghdr *)r.buf;
		nlh->nlmsg_len = (uint32_t)r.len;
		nlh->nlmsg_type = RTM_NEWQDISC;
		CU_ASSERT_EQUAL(taprio_parse(nlh, &ok, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "base time: 4 bytes"));
	}
	/* A TC entry beyond class 15, a TC entry without index, a short priority map. */
	{
		struct tcmsg tcm = { .tcm_parent = TC_H_ROOT };
		for (int variant = 0; variant < 3; variant++) {
			memset(&r, 0, sizeof(r));
			r.len = NLMSG_HDRLEN;
			memcpy(r.buf + r.len, &tcm, sizeof(tcm));
			r.len += sizeof(tcm);
			raw_attr(&r, TCA_KIND, "taprio", 7);
			size_t o = raw_nest(&r, TCA_OPTIONS);
			if (variant == 2) {
				raw_attr(&r, TCA_TAPRIO_ATTR_PRIOMAP, "\3\0\0", 3);
			} else {
				size_t n = raw_nest(&r, TCA_TAPRIO_ATTR_TC_ENTRY | NLA_F_NESTED);
				if (variant == 0)
					raw_u32(&r, TCA_TAPRIO_TC_ENTRY_INDEX, 16);
				raw_u32(&r, TCA_TAPRIO_TC_ENTRY_MAX_SDU, 100);
				raw_end(&r, n);
			}
			raw_end(&r, o);
			nlh = (struct nlmsghdr *)r.buf;
			nlh->nlmsg_len = (uint32_t)r.len;
			nlh->nlmsg_type = RTM_NEWQDISC;
			CU_ASSERT_EQUAL(taprio_parse(nlh, &q, err, sizeof(err)), -EINVAL);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, variant == 0 ? "beyond 15" : variant == 1 ? "without an index"
											: "priority map"));
		}
	}
}

/* ---- extended acks ---- */

/* NLMSG_ERROR as netlink_ack builds it: error, the request's header (and, unless
 * capped, its payload), then TLVs. */
static struct nlmsghdr *make_ack(struct raw *r, int error, bool capped, size_t echoed_payload, const char *text,
				 const char *warning_only)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)r->buf;
	struct nlmsgerr e = { .error = error };

	memset(r, 0, sizeof(*r));
	e.msg.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + echoed_payload);
	e.msg.nlmsg_type = RTM_NEWQDISC;
	e.msg.nlmsg_seq = 77;
	r->len = NLMSG_HDRLEN;
	memcpy(r->buf + r->len, &e, sizeof(e));
	r->len += sizeof(e);
	if (!capped) {
		memset(r->buf + r->len, 0xab, echoed_payload);	/* the echoed request body */
		r->len += echoed_payload;
		raw_align(r);
	}
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = capped ? NLM_F_CAPPED : 0;
	const char *msg = text ? text : warning_only;
	if (msg) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		raw_attr(r, NLMSGERR_ATTR_MSG, msg, strlen(msg) + 1);
		uint32_t offs = 20;
		raw_attr(r, NLMSGERR_ATTR_OFFS, &offs, sizeof(offs));
	}
	nlh->nlmsg_len = (uint32_t)r->len;
	return nlh;
}

static void test_extack(void)
{
	struct raw r;
	char msg[128];
	int error = 1;

	/* Capped (NETLINK_CAP_ACK), as tsnd's socket asks for. */
	CU_ASSERT_EQUAL(nlio_ack_parse(make_ack(&r, -ENOENT, true, 0, "Specified qdisc kind is unknown", NULL), &error,
				     msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(error, -ENOENT);
	CU_ASSERT_STRING_EQUAL(msg, "Specified qdisc kind is unknown");
	/* Not capped: the request echoed, with a length that needs alignment (37). */
	CU_ASSERT_EQUAL(nlio_ack_parse(make_ack(&r, -EINVAL, false, 37, "Invalid interval for schedule entry", NULL),
				     &error, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(error, -EINVAL);
	CU_ASSERT_STRING_EQUAL(msg, "Invalid interval for schedule entry");
	/* No TLVs: no text. */
	CU_ASSERT_EQUAL(nlio_ack_parse(make_ack(&r, -EPERM, true, 0, NULL, NULL), &error, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(error, -EPERM);
	CU_ASSERT_STRING_EQUAL(msg, "");
	/* A success that carries a warning. */
	CU_ASSERT_EQUAL(nlio_ack_parse(make_ack(&r, 0, true, 0, NULL, "Warning: sch_htb: quantum is big"), &error, msg,
				     sizeof(msg)), 0);
	CU_ASSERT_EQUAL(error, 0);
	CU_ASSERT_STRING_EQUAL(msg, "Warning: sch_htb: quantum is big");
	/* A small buffer truncates, never overruns. */
	CU_ASSERT_EQUAL(nlio_ack_parse(make_ack(&r, -EINVAL, true, 0, "0123456789", NULL), &error, msg, 5), 0);
	CU_ASSERT_STRING_EQUAL(msg, "0123");
	/* Not an error message, or too short for one. */
	struct nlmsghdr *nlh = make_ack(&r, -EINVAL, true, 0, NULL, NULL);
	nlh->nlmsg_type = NLMSG_DONE;
	CU_ASSERT_EQUAL(nlio_ack_parse(nlh, &error, msg, sizeof(msg)), -EINVAL);
	nlh = make_ack(&r, -EINVAL, true, 0, NULL, NULL);
	nlh->nlmsg_len = NLMSG_HDRLEN + 4;
	CU_ASSERT_EQUAL(nlio_ack_parse(nlh, &error, msg, sizeof(msg)), -EINVAL);
	/* An uncapped echo whose header claims less than a header. */
	nlh = make_ack(&r, -EINVAL, false, 0, "x", NULL);
	((struct nlmsgerr *)NLMSG_DATA(nlh))->msg.nlmsg_len = 3;
	CU_ASSERT_EQUAL(nlio_ack_parse(nlh, &error, msg, sizeof(msg)), -EINVAL);
}

/* ---- replay builders ---- */

static void test_replay_taprio_dump(void)
{
	struct raw r;
	struct taprio_qdisc q;
	char err[128] = "";

	struct nl_msg *msg = qdisc_replay_msg(kernel_taprio_dump(&r, true), NLM_F_CREATE | NLM_F_REPLACE, err,
					      sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL_FATAL(taprio_parse(nlmsg_hdr(msg), &q, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(q.handle, 0x74730000u);
	CU_ASSERT_EQUAL(q.ifindex, 7);
	CU_ASSERT_FALSE(q.has_admin);		/* dump-only */
	CU_ASSERT_TRUE(q.has_flags);		/* a change must repeat the flags */
	CU_ASSERT_EQUAL(q.flags, 0);
	CU_ASSERT_EQUAL(q.oper.base_time, 2000000000);	/* the newest list runs */
	CU_ASSERT_EQUAL(q.oper.n_entries, 2);
	CU_ASSERT_EQUAL(q.oper.entries[0].interval, 700000);
	CU_ASSERT_EQUAL(q.max_sdu[1], 500);
	CU_ASSERT_EQUAL(q.clockid, CLOCK_TAI);
	taprio_qdisc_clear(&q);
	nlmsg_free(msg);
}

static void test_replay_other_kind(void)
{
	struct raw r;
	char err[128];
	struct tcmsg tcm = { .tcm_ifindex = 9, .tcm_handle = 0x10000, .tcm_parent = TC_H_ROOT, .tcm_info = 1 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)r.buf;
	static const unsigned char opt_body[] = { 8, 0, 1, 0, 1, 2, 3, 4, 8, 0, 2, 0, 5, 6, 7, 8 };

	memset(&r, 0, sizeof(r));
	r.len = NLMSG_HDRLEN;
	memcpy(r.buf + r.len, &tcm, sizeof(tcm));
	r.len += sizeof(tcm);
	raw_attr(&r, TCA_KIND, "tbf", 4);
	raw_attr(&r, TCA_OPTIONS, opt_body, sizeof(opt_body));
	raw_attr(&r, TCA_STATS, "statsstatsstats", 16);
	nlh->nlmsg_len = (uint32_t)r.len;
	nlh->nlmsg_type = RTM_NEWQDISC;

	struct nl_msg *msg = qdisc_replay_msg(nlh, NLM_F_CREATE | NLM_F_REPLACE, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	struct nlmsghdr *out = nlmsg_hdr(msg);
	struct tcmsg *t = NLMSG_DATA(out);
	CU_ASSERT_EQUAL(out->nlmsg_type, RTM_NEWQDISC);
	CU_ASSERT_EQUAL(t->tcm_ifindex, 9);
	CU_ASSERT_EQUAL(t->tcm_handle, 0x10000u);
	CU_ASSERT_EQUAL(t->tcm_parent, TC_H_ROOT);
	CU_ASSERT_EQUAL(t->tcm_info, 0);
	/* kind and options byte for byte, no stats */
	struct nlattr *a = (struct nlattr *)((char *)t + NLMSG_ALIGN(sizeof(*t)));
	CU_ASSERT_EQUAL(a->nla_type, TCA_KIND);
	CU_ASSERT_STRING_EQUAL((char *)a + NLA_HDRLEN, "tbf");
	a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	CU_ASSERT_EQUAL(a->nla_type, TCA_OPTIONS);
	CU_ASSERT_EQUAL(a->nla_len, NLA_HDRLEN + sizeof(opt_body));
	CU_ASSERT(memcmp((char *)a + NLA_HDRLEN, opt_body, sizeof(opt_body)) == 0);
	CU_ASSERT_EQUAL((char *)a + NLA_ALIGN(a->nla_len) - (char *)out, (long)out->nlmsg_len);
	nlmsg_free(msg);
}

static void test_names(void)
{
	char buf[32];
	CU_ASSERT_STRING_EQUAL(tc_handle_format(TSND_TAPRIO_HANDLE, buf, sizeof(buf)), "7473:");
	CU_ASSERT_STRING_EQUAL(tc_handle_format(0x80010000u, buf, sizeof(buf)), "8001:");
	CU_ASSERT_STRING_EQUAL(tc_handle_format(0x10002u, buf, sizeof(buf)), "1:2");
	CU_ASSERT_STRING_EQUAL(tc_handle_format(0, buf, sizeof(buf)), "0:");
	CU_ASSERT_STRING_EQUAL(taprio_clock_name(CLOCK_TAI), "tai");
	CU_ASSERT_PTR_NULL(taprio_clock_name(99));
	CU_ASSERT_STRING_EQUAL(taprio_cmd_name(2, buf, sizeof(buf)), "set-and-release");
	CU_ASSERT_STRING_EQUAL(taprio_cmd_name(9, buf, sizeof(buf)), "cmd-9");
}

/* ---- the real kernel, in a private network namespace ---- */

static bool kernel_has_taprio;

static int count_root(const struct nlmsghdr *nlh, void *arg)
{
	const struct tcmsg *t = NLMSG_DATA(nlh);
	int *want = arg;
	if (t->tcm_ifindex == want[0] && t->tcm_parent == TC_H_ROOT)
		want[1]++;
	return 0;
}

/* The root qdisc of dev as `tc -j` prints it, without counters. */
static char *root_json(const char *dev)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "tc -j qdisc show dev %s root", dev);
	json_object *j = tu_sh_json(cmd);
	if (!j)
		return strdup("(tc failed)");
	/* htb's direct_packets_stat is a live counter, not configuration: a router
	 * solicitation sent while a slow (valgrind) run is under way bumps it. */
	for (size_t i = 0; json_object_is_type(j, json_type_array) && i < json_object_array_length(j); i++) {
		json_object *opts;
		if (json_object_object_get_ex(json_object_array_get_idx(j, i), "options", &opts))
			json_object_object_del(opts, "direct_packets_stat");
	}
	char *s = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	return s;
}

/* A taprio request on a real veth: refused with the kernel's words where the
 * kernel has no taprio (the host), accepted and dumped back where it has. */
static void test_kernel_request_and_dump(void)
{
	char err[256], ext[256];
	struct nlio *t = nlio_open(err, sizeof(err));
	struct taprio_entry e[2] = { { 0, 0, 1, 500000 }, { 1, 0, 2, 500000 } };
	struct taprio_qdisc q;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link del tnl0 2>/dev/null; ip link add tnl0 numtxqueues 4 numrxqueues 4 type veth peer tnl1 "
				    "numtxqueues 4 numrxqueues 4 && ip link set tnl0 up && ip link set tnl1 up"), 0);
	int ifindex = (int)if_nametoindex("tnl0");
	memset(&q, 0, sizeof(q));
	q.ifindex = ifindex;
	q.handle = TSND_TAPRIO_HANDLE;
	q.parent = TC_H_ROOT;
	strcpy(q.kind, "taprio");
	q.has_priomap = true;
	q.priomap.num_tc = 2;
	q.priomap.prio_tc_map[1] = 1;
	q.priomap.count[0] = q.priomap.count[1] = 1;
	q.priomap.offset[1] = 1;
	q.has_clockid = true;
	q.clockid = CLOCK_TAI;
	q.has_flags = true;
	q.oper = (struct taprio_sched){ .has_base_time = true, .has_entries = true, .entries = e, .n_entries = 2 };
	struct nl_msg *msg = taprio_build(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, &q);
	int rc = nlio_request(t, msg, ext, sizeof(ext));
	nlmsg_free(msg);
	if (rc == 0) {
		kernel_has_taprio = true;
		char *s = root_json("tnl0");
		CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"kind\":\"taprio\""));
		CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"handle\":\"7473:\""));
		free(s);
	} else {
		/* The host kernel: no sch_taprio, no module loading. */
		CU_ASSERT_EQUAL(rc, -ENOENT);
		CU_ASSERT_STRING_EQUAL(ext, "Specified qdisc kind is unknown");
	}
	/* A request the kernel refuses on every kernel: an unknown device. */
	q.ifindex = 999999;
	msg = taprio_build(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, &q);
	CU_ASSERT_EQUAL(nlio_request(t, msg, ext, sizeof(ext)), -ENODEV);
	nlmsg_free(msg);

	int want[2] = { ifindex, 0 };
	CU_ASSERT_EQUAL(dump_qdiscs(t, count_root, want, ext, sizeof(ext)), 0);
	CU_ASSERT_EQUAL(want[1], 1);	/* exactly one root per device */
	tu_sh("ip link del tnl0");
	nlio_close(t);
}

struct find_root {
	int ifindex;
	unsigned char *msg;
};

static int keep_root(const struct nlmsghdr *nlh, void *arg)
{
	struct find_root *f = arg;
	const struct tcmsg *t = NLMSG_DATA(nlh);
	if (t->tcm_ifindex == f->ifindex && t->tcm_parent == TC_H_ROOT && !f->msg) {
		f->msg = malloc(nlh->nlmsg_len);
		memcpy(f->msg, nlh, nlh->nlmsg_len);
	}
	return 0;
}

/* False (and a note) when the kernel lacks the qdisc kind of a tc setup such as
 * "handle 1: tbf ..." (the kernel lab has no tbf or htb, for one). */
static bool kernel_has_kind(const char *setup)
{
	char cmd[512];
	/* Try it, take it away again; only an unknown kind says no. */
	snprintf(cmd, sizeof(cmd), "out=$(tc qdisc replace dev tnl0 root %s 2>&1); rc=$?; "
		 "tc qdisc del dev tnl0 root 2>/dev/null; [ $rc -eq 0 ] && exit 1; "
		 "echo \"$out\" | grep -q 'kind is unknown'", setup);
	if (system(cmd) != 0)
		return true;
	fprintf(stderr, "\n  this kernel lacks the qdisc of '%s': not tried", setup);
	return false;
}

/* Dump a root qdisc made with tc, replace it, replay the dump: `tc -j qdisc show`
 * must be what it was.  This is the put-back path of the schedule transaction. */
static void replay_case(struct nlio *t, const char *setup)
{
	char err[256], ext[256];
	struct find_root f = { .ifindex = (int)if_nametoindex("tnl0") };

	if (!kernel_has_kind(setup))
		return;
	CU_ASSERT_EQUAL_FATAL(tu_sh("tc qdisc replace dev tnl0 root %s", setup), 0);
	char *before = root_json("tnl0");
	CU_ASSERT_EQUAL_FATAL(dump_qdiscs(t, keep_root, &f, ext, sizeof(ext)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f.msg);
	/* Something else takes the root (as taprio would). */
	CU_ASSERT_EQUAL(tu_sh("tc qdisc replace dev tnl0 root handle 7473: pfifo limit 7"), 0);
	struct nl_msg *msg = qdisc_replay_msg((struct nlmsghdr *)f.msg, NLM_F_CREATE | NLM_F_REPLACE, err,
					      sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(nlio_request(t, msg, ext, sizeof(ext)), 0);
	if (ext[0])
		fprintf(stderr, "\n  %s: the kernel says: %s", setup, ext);
	nlmsg_free(msg);
	char *after = root_json("tnl0");
	CU_ASSERT_STRING_EQUAL(after, before);
	if (strcmp(after, before) != 0)
		fprintf(stderr, "\n  %s\n  before: %s\n  after:  %s\n", setup, before, after);
	free(before);
	free(after);
	free(f.msg);
}

static void test_kernel_replay(void)
{
	char err[256];
	struct nlio *t = nlio_open(err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link del tnl0 2>/dev/null; ip link add tnl0 numtxqueues 4 numrxqueues 4 type veth peer tnl1 "
				    "numtxqueues 4 numrxqueues 4 && ip link set tnl0 up && ip link set tnl1 up"), 0);
	replay_case(t, "handle 1: tbf rate 1mbit burst 10kb latency 50ms");
	replay_case(t, "handle 2: tbf rate 100mbit burst 64kb limit 100kb mpu 64");
	replay_case(t, "handle 3: pfifo limit 42");
	replay_case(t, "handle 4: bfifo limit 30000");
	replay_case(t, "handle 5: htb default 10 r2q 5");
	replay_case(t, "handle 6: mq");
	tu_sh("ip link del tnl0");
	nlio_close(t);
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* All qdiscs of dev as `tc -j` prints them, one JSON object per line, sorted:
 * the kernel lists children in hash order. */
static char *all_qdiscs(const char *dev)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "tc -j qdisc show dev %s", dev);
	json_object *j = tu_sh_json(cmd);
	size_t n = j ? json_object_array_length(j) : 0;
	char **lines = calloc(n + 1, sizeof(*lines)), *out;
	size_t len = 1;

	for (size_t i = 0; i < n; i++) {
		lines[i] = strdup(json_object_to_json_string_ext(json_object_array_get_idx(j, i), JSON_C_TO_STRING_PLAIN));
		len += strlen(lines[i]) + 1;
	}
	qsort(lines, n, sizeof(*lines), cmp_lines);
	out = calloc(1, len);
	for (size_t i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
		free(lines[i]);
	}
	free(lines);
	json_object_put(j);
	return out;
}

struct tree {
	int ifindex;
	unsigned char *root;
	unsigned char *children[16];
	size_t n;
};

static int keep_tree(const struct nlmsghdr *nlh, void *arg)
{
	struct tree *tr = arg;
	const struct tcmsg *t = NLMSG_DATA(nlh);
	unsigned char *copy;

	if (t->tcm_ifindex != tr->ifindex || t->tcm_parent == TC_H_INGRESS || t->tcm_handle == 0)
		return 0;
	copy = malloc(nlh->nlmsg_len);
	memcpy(copy, nlh, nlh->nlmsg_len);
	if (t->tcm_parent == TC_H_ROOT)
		tr->root = copy;
	else if (tr->n < 16)
		tr->children[tr->n++] = copy;
	else
		free(copy);
	return 0;
}

static void tree_free(struct tree *tr)
{
	free(tr->root);
	for (size_t i = 0; i < tr->n; i++)
		free(tr->children[i]);
}

/* A root with qdiscs under it comes back whole; children whose class is gone
 * (htb classes die with their qdisc) are counted as lost, never fatal. */
static void test_kernel_tree_replay(void)
{
	char err[256], ext[256];
	struct nlio *t = nlio_open(err, sizeof(err));
	struct tree tr;
	size_t lost = 99;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link del tnl0 2>/dev/null; ip link add tnl0 numtxqueues 4 numrxqueues 4 type veth peer tnl1 "
				    "numtxqueues 4 numrxqueues 4 && ip link set tnl0 up && ip link set tnl1 up"), 0);
	/* Two levels under the root where tbf exists (its class 1 takes a qdisc),
	 * one level elsewhere. */
	bool nested = system("tc qdisc replace dev tnl0 root handle 6: mq && "
			     "tc qdisc add dev tnl0 parent 6:1 handle 10: tbf rate 1mbit burst 10kb latency 50ms "
			     ">/dev/null 2>&1 && tc qdisc add dev tnl0 parent 10:1 handle 11: pfifo limit 5") == 0;
	if (!nested)
		CU_ASSERT_EQUAL_FATAL(tu_sh("tc qdisc replace dev tnl0 root handle 6: mq && "
					    "tc qdisc add dev tnl0 parent 6:1 handle 10: bfifo limit 20000"), 0);
	CU_ASSERT_EQUAL_FATAL(tu_sh("tc qdisc add dev tnl0 parent 6:3 handle 20: pfifo limit 9"), 0);
	char *before = all_qdiscs("tnl0");
	memset(&tr, 0, sizeof(tr));
	tr.ifindex = (int)if_nametoindex("tnl0");
	CU_ASSERT_EQUAL_FATAL(dump_qdiscs(t, keep_tree, &tr, ext, sizeof(ext)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tr.root);
	CU_ASSERT_EQUAL(tr.n, nested ? 3u : 2u);
	CU_ASSERT_EQUAL(tu_sh("tc qdisc replace dev tnl0 root handle 7473: pfifo limit 7"), 0);
	CU_ASSERT_EQUAL(qdisc_tree_replay(t, (struct nlmsghdr *)tr.root, (const struct nlmsghdr *const *)tr.children,
					  tr.n, &lost, ext, sizeof(ext)), 0);
	CU_ASSERT_EQUAL(lost, 0);
	char *after = all_qdiscs("tnl0");
	CU_ASSERT_STRING_EQUAL(after, before);
	if (strcmp(after, before) != 0)
		fprintf(stderr, "\n  before:\n%s  after:\n%s", before, after);
	free(before);
	free(after);
	tree_free(&tr);

	/* htb: the root returns, the qdisc under its class cannot. */
	if (!kernel_has_kind("handle 5: htb default 1"))
		goto unknown_kind;
	CU_ASSERT_EQUAL_FATAL(tu_sh("tc qdisc replace dev tnl0 root handle 5: htb default 1 && "
				    "tc class add dev tnl0 parent 5: classid 5:1 htb rate 10mbit && "
				    "tc qdisc add dev tnl0 parent 5:1 handle 30: pfifo limit 3"), 0);
	memset(&tr, 0, sizeof(tr));
	tr.ifindex = (int)if_nametoindex("tnl0");
	CU_ASSERT_EQUAL_FATAL(dump_qdiscs(t, keep_tree, &tr, ext, sizeof(ext)), 0);
	CU_ASSERT_EQUAL(tu_sh("tc qdisc replace dev tnl0 root handle 7473: pfifo limit 7"), 0);
	CU_ASSERT_EQUAL(qdisc_tree_replay(t, (struct nlmsghdr *)tr.root, (const struct nlmsghdr *const *)tr.children,
					  tr.n, &lost, ext, sizeof(ext)), 0);
	CU_ASSERT_EQUAL(lost, 1);
	char *root = root_json("tnl0");
	CU_ASSERT_PTR_NOT_NULL(strstr(root, "\"kind\":\"htb\",\"handle\":\"5:\""));
	free(root);
	tree_free(&tr);

unknown_kind:
	/* A root the kernel refuses (an unknown kind): the error, the kernel's words. */
	CU_ASSERT_EQUAL_FATAL(tu_sh("tc qdisc replace dev tnl0 root handle 9: pfifo limit 1"), 0);
	memset(&tr, 0, sizeof(tr));
	tr.ifindex = (int)if_nametoindex("tnl0");
	CU_ASSERT_EQUAL_FATAL(dump_qdiscs(t, keep_tree, &tr, ext, sizeof(ext)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tr.root);
	struct nlattr *kind = (struct nlattr *)((char *)NLMSG_DATA((struct nlmsghdr *)tr.root) +
						NLMSG_ALIGN(sizeof(struct tcmsg)));
	CU_ASSERT_EQUAL_FATAL(kind->nla_type, TCA_KIND);
	memcpy((char *)kind + NLA_HDRLEN, "pfxxo", 5);
	/* (another handle: with the same one the kernel would change the pfifo and say
	 * "Invalid qdisc name: must match existing qdisc") */
	((struct tcmsg *)NLMSG_DATA((struct nlmsghdr *)tr.root))->tcm_handle = 0xa0000;
	CU_ASSERT_EQUAL(qdisc_tree_replay(t, (struct nlmsghdr *)tr.root, NULL, 0, &lost, ext, sizeof(ext)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(ext, "Specified qdisc kind is unknown");
	tree_free(&tr);
	tu_sh("ip link del tnl0");
	nlio_close(t);
}

static int suite_init(void)
{
	return tu_netns_enter();
}

static int suite_clean(void)
{
	tu_netns_leave();
	return 0;
}

/* The figures the kernel lab measured (test_long_list.sh, Linux 6.1 x86-64): a
 * software taprio with 441 entries dumps as 16484 bytes, with a pending change of
 * 441 more as 32404; the dump limit allows no entry more in each list. */
static void test_dump_size(void)
{
	struct taprio_qdisc q = { .has_priomap = true, .has_clockid = true, .has_flags = true };

	CU_ASSERT_EQUAL(taprio_dump_size(&q, 441, false, 0), 16484);
	CU_ASSERT_EQUAL(taprio_dump_size(&q, 441, true, 441), 32404);
	CU_ASSERT_TRUE(taprio_dump_size(&q, 441, true, 441) <= QDISC_DUMP_MSG_MAX);
	CU_ASSERT_TRUE(taprio_dump_size(&q, 442, true, 442) > QDISC_DUMP_MSG_MAX);
	/* txtime-assist adds the flags and the delay; full offload drops the clock. */
	q.flags = TCA_TAPRIO_ATTR_FLAG_TXTIME_ASSIST;
	q.has_txtime_delay = true;
	q.txtime_delay = 1000;
	CU_ASSERT_EQUAL(taprio_dump_size(&q, 1, false, 0), 16484 - 440 * 36 + 16);
	q.flags = TCA_TAPRIO_ATTR_FLAG_FULL_OFFLOAD;
	q.has_txtime_delay = false;
	CU_ASSERT_EQUAL(taprio_dump_size(&q, 1, false, 0), 16484 - 440 * 36);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("taprio messages", NULL, NULL);
	CU_add_test(s, "round trip: every attribute", test_roundtrip_every_attribute);
	CU_add_test(s, "round trip: presence of optional attributes", test_roundtrip_presence);
	CU_add_test(s, "entries filled in place: the bytes of libnl's calls", test_entry_bytes_match_libnl);
	CU_add_test(s, "round trip: 101 to 1810 entries", test_roundtrip_long_list);
	CU_add_test(s, "a list beyond 64 KiB is refused", test_list_too_long);
	CU_add_test(s, "dump message size as Linux 6.1 sends it", test_dump_size);
	CU_add_test(s, "deep copy", test_copy);
	CU_add_test(s, "decode: kernel dump with admin and oper", test_decode_kernel_dump_admin_and_oper);
	CU_add_test(s, "decode: other qdisc kinds", test_decode_other_kinds);
	CU_add_test(s, "decode: malformed messages", test_decode_malformed);
	CU_add_test(s, "extended ack parsing", test_extack);
	CU_add_test(s, "replay: taprio dump", test_replay_taprio_dump);
	CU_add_test(s, "replay: other kinds byte for byte", test_replay_other_kind);
	CU_add_test(s, "names", test_names);
	CU_pSuite k = CU_add_suite("real kernel (private netns)", suite_init, suite_clean);
	CU_add_test(k, "request with extack, dump", test_kernel_request_and_dump);
	CU_add_test(k, "replay puts back tc-made roots", test_kernel_replay);
	CU_add_test(k, "replay puts back a root with qdiscs under it", test_kernel_tree_replay);
	return tu_run_tests();
}
