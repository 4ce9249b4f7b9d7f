/* SPDX-License-Identifier: GPL-2.0-only */
/* test_shaper_nl.c — the cbs, etf and mqprio messages of qdisc_nl.c: the kernel's
 * structures at the right attributes, read back equal, differences named.  (The
 * kernel lab's test_cbs.sh and test_etf.sh send them to a kernel that has the
 * qdiscs; this host has none.) */
#include <linux/rtnetlink.h>
#include <string.h>
#include <time.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "qdisc_nl.h"
#include "test_util.h"

static void test_cbs_message(void)
{
	struct tsn_cbs_params p = { .tc = 3, .queue = 2, .idleslope_kbps = 20000, .sendslope_kbps = -980000,
				    .hicredit = 31, .locredit = -1492 };
	struct child_qdisc q, back;
	char err[128];

	child_qdisc_from_cbs(&q, 7, 0x74730000u, &p);
	CU_ASSERT_EQUAL(q.handle, 0x74820000u);	/* 7482: for queue 2 */
	CU_ASSERT_EQUAL(q.parent, 0x74730003u);	/* 7473:3, the class of queue 2 */
	struct nl_msg *msg = child_qdisc_build(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, &q);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	CU_ASSERT_EQUAL(nlh->nlmsg_type, RTM_NEWQDISC);
	CU_ASSERT_EQUAL(nlh->nlmsg_flags, NLM_F_CREATE | NLM_F_REPLACE);
	/* TCA_OPTIONS { TCA_CBS_PARMS: struct tc_cbs_qopt } */
	struct nlattr *tb[TCA_MAX + 1], *opt[TCA_CBS_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(nlmsg_parse(nlh, sizeof(struct tcmsg), tb, TCA_MAX, NULL), 0);
	CU_ASSERT_STRING_EQUAL(nla_get_string(tb[TCA_KIND]), "cbs");
	CU_ASSERT_EQUAL_FATAL(nla_parse_nested(opt, TCA_CBS_MAX, tb[TCA_OPTIONS], NULL), 0);
	CU_ASSERT_EQUAL_FATAL(nla_len(opt[TCA_CBS_PARMS]), (int)sizeof(struct tc_cbs_qopt));
	struct tc_cbs_qopt k;
	memcpy(&k, nla_data(opt[TCA_CBS_PARMS]), sizeof(k));
	CU_ASSERT_EQUAL(k.offload, 0);
	CU_ASSERT_EQUAL(k.idleslope, 20000);
	CU_ASSERT_EQUAL(k.sendslope, -980000);
	CU_ASSERT_EQUAL(k.hicredit, 31);
	CU_ASSERT_EQUAL(k.locredit, -1492);

	CU_ASSERT_EQUAL(child_qdisc_parse(nlh, &back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(back.ifindex, 7);
	CU_ASSERT_EQUAL(back.handle, q.handle);
	CU_ASSERT_EQUAL(back.parent, q.parent);
	CU_ASSERT_TRUE(child_qdisc_equal(&q, &back));
	char d[256];
	child_qdisc_diff(&q, &back, d, sizeof(d));
	CU_ASSERT_STRING_EQUAL(d, "");
	back.cbs.idleslope = 10000;
	back.cbs.hicredit = 16;
	CU_ASSERT_FALSE(child_qdisc_equal(&q, &back));
	child_qdisc_diff(&q, &back, d, sizeof(d));
	CU_ASSERT_STRING_EQUAL(d, "idleslope 20000 -> 10000, hicredit 31 -> 16");
	nlmsg_free(msg);

	json_object *j = child_qdisc_to_json(&q);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			       "{\"kind\":\"cbs\",\"handle\":\"7482:\",\"parent\":\"7473:3\",\"idleslope_kbps\":20000,"
			       "\"sendslope_kbps\":-980000,\"hicredit\":31,\"locredit\":-1492,\"offload\":false}");
	json_object_put(j);
}

static void test_etf_message(void)
{
	struct tsn_etf_params p = { .tc = 1, .queue = 0, .delta_ns = 150000, .clock = TSN_CLOCK_TAI,
				    .deadline_mode = true, .skip_sock_check = true };
	struct child_qdisc q, back;
	char err[128];

	child_qdisc_from_etf(&q, 3, 0x80010000u, &p);
	CU_ASSERT_EQUAL(q.parent, 0x80010001u);
	struct nl_msg *msg = child_qdisc_build(RTM_NEWQDISC, NLM_F_CREATE, &q);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	struct nlattr *tb[TCA_MAX + 1], *opt[TCA_ETF_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(nlmsg_parse(nlmsg_hdr(msg), sizeof(struct tcmsg), tb, TCA_MAX, NULL), 0);
	CU_ASSERT_STRING_EQUAL(nla_get_string(tb[TCA_KIND]), "etf");
	CU_ASSERT_EQUAL_FATAL(nla_parse_nested(opt, TCA_ETF_MAX, tb[TCA_OPTIONS], NULL), 0);
	CU_ASSERT_EQUAL_FATAL(nla_len(opt[TCA_ETF_PARMS]), (int)sizeof(struct tc_etf_qopt));
	struct tc_etf_qopt k;
	memcpy(&k, nla_data(opt[TCA_ETF_PARMS]), sizeof(k));
	CU_ASSERT_EQUAL(k.delta, 150000);
	CU_ASSERT_EQUAL(k.clockid, CLOCK_TAI);
	CU_ASSERT_EQUAL(k.flags, TC_ETF_DEADLINE_MODE_ON | TC_ETF_SKIP_SOCK_CHECK);
	CU_ASSERT_EQUAL(child_qdisc_parse(nlmsg_hdr(msg), &back, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(child_qdisc_equal(&q, &back));
	nlmsg_free(msg);

	/* a delete carries no options */
	msg = child_qdisc_build(RTM_DELQDISC, 0, &q);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL_FATAL(nlmsg_parse(nlmsg_hdr(msg), sizeof(struct tcmsg), tb, TCA_MAX, NULL), 0);
	CU_ASSERT_PTR_NULL(tb[TCA_OPTIONS]);
	nlmsg_free(msg);

	/* pfifo (a queue given back) carries no options; other kinds are not built */
	snprintf(q.kind, sizeof(q.kind), "pfifo");
	msg = child_qdisc_build(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, &q);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL_FATAL(nlmsg_parse(nlmsg_hdr(msg), sizeof(struct tcmsg), tb, TCA_MAX, NULL), 0);
	CU_ASSERT_STRING_EQUAL(nla_get_string(tb[TCA_KIND]), "pfifo");
	CU_ASSERT_PTR_NULL(tb[TCA_OPTIONS]);
	nlmsg_free(msg);
	snprintf(q.kind, sizeof(q.kind), "fq");
	CU_ASSERT_PTR_NULL(child_qdisc_build(RTM_NEWQDISC, 0, &q));
}

static void test_parse_refuses_short_parameters(void)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC, .tcm_ifindex = 2, .tcm_handle = 0x74800000u };
	struct child_qdisc q;
	char err[128] = "";
	uint32_t half = 7;

	nlmsg_put(msg, 0, 0, RTM_NEWQDISC, 0, 0);
	nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO);
	nla_put_string(msg, TCA_KIND, "cbs");
	struct nlattr *o = nla_nest_start(msg, TCA_OPTIONS);
	nla_put(msg, TCA_CBS_PARMS, sizeof(half), &half);
	nla_nest_end(msg, o);
	CU_ASSERT_EQUAL(child_qdisc_parse(nlmsg_hdr(msg), &q, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "cbs: parameters of 4 bytes, expected 20");
	nlmsg_free(msg);
}

static void test_mqprio_message(void)
{
	struct tc_mqprio_qopt qopt = { .num_tc = 2, .prio_tc_map = { 0, 1 }, .count = { 1, 1 }, .offset = { 0, 1 } };
	struct nl_msg *msg = mqprio_build(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, 4, 0x74730000u, &qopt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	struct nlattr *tb[TCA_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(nlmsg_parse(nlmsg_hdr(msg), sizeof(struct tcmsg), tb, TCA_MAX, NULL), 0);
	const struct tcmsg *tcm = nlmsg_data(nlmsg_hdr(msg));
	CU_ASSERT_EQUAL(tcm->tcm_parent, TC_H_ROOT);
	CU_ASSERT_EQUAL(tcm->tcm_handle, 0x74730000u);
	CU_ASSERT_STRING_EQUAL(nla_get_string(tb[TCA_KIND]), "mqprio");
	/* mqprio's options are the structure itself, not a nest */
	CU_ASSERT_EQUAL_FATAL(nla_len(tb[TCA_OPTIONS]), (int)sizeof(qopt));
	CU_ASSERT_EQUAL(memcmp(nla_data(tb[TCA_OPTIONS]), &qopt, sizeof(qopt)), 0);
	nlmsg_free(msg);
}

/* mqprio_parse reads back what mqprio_build wrote, and the kernel's dump, which
 * appends its mode and shaper attributes inside TCA_OPTIONS after the structure. */
static void test_mqprio_parse(void)
{
	struct tc_mqprio_qopt qopt = { .num_tc = 3, .prio_tc_map = { 0, 0, 1, 1, 2, 2, 2, 2 },
				       .count = { 1, 1, 2 }, .offset = { 0, 1, 2 } }, back;
	char err[128] = "";
	struct nl_msg *msg = mqprio_build(RTM_NEWQDISC, NLM_F_CREATE, 4, 0x74730000u, &qopt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(mqprio_parse(nlmsg_hdr(msg), &back, err, sizeof(err)), 1);
	CU_ASSERT_EQUAL(memcmp(&back, &qopt, sizeof(qopt)), 0);
	nlmsg_free(msg);

	/* as dumped: the structure, then TCA_MQPRIO_MODE inside the same attribute */
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC, .tcm_ifindex = 4, .tcm_handle = 0x74730000u,
			     .tcm_parent = TC_H_ROOT };
	msg = nlmsg_alloc_simple(RTM_NEWQDISC, 0);
	nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO);
	nla_put_string(msg, TCA_KIND, "mqprio");
	struct nlattr *o = nla_nest_start(msg, TCA_OPTIONS);
	void *room = nlmsg_reserve(msg, sizeof(qopt), NLA_ALIGNTO);
	memcpy(room, &qopt, sizeof(qopt));
	nla_put_u16(msg, TCA_MQPRIO_MODE, TC_MQPRIO_MODE_DCB);
	nla_nest_end(msg, o);
	memset(&back, 0xff, sizeof(back));
	CU_ASSERT_EQUAL(mqprio_parse(nlmsg_hdr(msg), &back, err, sizeof(err)), 1);
	CU_ASSERT_EQUAL(memcmp(&back, &qopt, sizeof(qopt)), 0);
	nlmsg_free(msg);

	/* options shorter than the structure: refused with the reason */
	msg = nlmsg_alloc_simple(RTM_NEWQDISC, 0);
	nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO);
	nla_put_string(msg, TCA_KIND, "mqprio");
	nla_put_u32(msg, TCA_OPTIONS, 2);
	CU_ASSERT_EQUAL(mqprio_parse(nlmsg_hdr(msg), &back, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "mqprio: options of 4 bytes, expected at least"));
	nlmsg_free(msg);

	/* another kind: nothing to read */
	struct child_qdisc c = { .ifindex = 4, .handle = 0x74810000u, .parent = 0x74730002u, .kind = "cbs" };
	msg = child_qdisc_build(RTM_NEWQDISC, NLM_F_CREATE, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(mqprio_parse(nlmsg_hdr(msg), &back, err, sizeof(err)), 0);
	nlmsg_free(msg);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("shaper_nl", NULL, NULL);
	CU_add_test(s, "cbs message", test_cbs_message);
	CU_add_test(s, "etf message", test_etf_message);
	CU_add_test(s, "short parameters refused", test_parse_refuses_short_parameters);
	CU_add_test(s, "mqprio message", test_mqprio_message);
	CU_add_test(s, "mqprio message parsed back", test_mqprio_parse);
	return tu_run_tests();
}
