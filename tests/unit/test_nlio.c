/* SPDX-License-Identifier: GPL-2.0-only */
/* test_nlio.c — daemon/kernel/nlio.c against the kernel of a private network namespace:
 * requests with their ack and the kernel's own text, one-message requests,
 * dumps and their count, qdisc snapshots shared inside a scope, notifications.
 * Needs root.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>

#include "nlio.h"
#include "test_util.h"

static struct nlio *nl;

static int suite_init(void)
{
	char err[128];

	if (tu_netns_enter() < 0)
		return -1;
	if (tu_sh("ip link add nt0 type veth peer name nt1 && ip link set nt0 up && ip link set nt1 up"))
		return -1;
	nl = nlio_open(err, sizeof(err));
	if (!nl)
		fprintf(stderr, "nlio_open: %s\n", err);
	return nl ? 0 : -1;
}

static int suite_cleanup(void)
{
	nlio_close(nl);
	tu_sh("ip link del nt0 2>/dev/null");
	tu_netns_leave();
	return 0;
}

/* The one table: libnl's codes, either sign, as negative errno values. */
static void test_errno_table(void)
{
	CU_ASSERT_EQUAL(nlio_errno(-NLE_NOMEM), -ENOMEM);
	CU_ASSERT_EQUAL(nlio_errno(NLE_NOMEM), -ENOMEM);
	CU_ASSERT_EQUAL(nlio_errno(-NLE_EXIST), -EEXIST);
	CU_ASSERT_EQUAL(nlio_errno(-NLE_NODEV), -ENODEV);
	CU_ASSERT_EQUAL(nlio_errno(-NLE_PERM), -EPERM);
	CU_ASSERT_EQUAL(nlio_errno(-NLE_MSG_TRUNC), -EMSGSIZE);
	CU_ASSERT_EQUAL(nlio_errno(-NLE_AF_NOSUPPORT), -EAFNOSUPPORT);
	CU_ASSERT_EQUAL(nlio_errno(-NLE_FAILURE), -EIO);
}

static struct nl_msg *qdisc_msg(int type, int ifindex, uint32_t parent, const char *kind)
{
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex, .tcm_parent = parent };
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!nlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, type, 0, type == RTM_NEWQDISC ? NLM_F_CREATE : 0) ||
	    nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0 || (kind && nla_put_string(msg, TCA_KIND, kind) < 0)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* A refusal comes back with the kernel's errno and its own words; an accepted
 * request with 0. */
static void test_request(void)
{
	int ifindex = (int)if_nametoindex("nt0");
	char ext[256];
	struct nl_msg *msg = qdisc_msg(RTM_NEWQDISC, ifindex, TC_H_ROOT, "no-such-kind");

	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(nlio_request(nl, msg, ext, sizeof(ext)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(ext, "qdisc kind is unknown"));
	nlmsg_free(msg);

	msg = qdisc_msg(RTM_NEWQDISC, ifindex, TC_H_CLSACT, "clsact");
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(nlio_request(nl, msg, ext, sizeof(ext)), 0);
	nlmsg_free(msg);
	CU_ASSERT_EQUAL(tu_sh("tc qdisc show dev nt0 | grep -q clsact"), 0);
	msg = qdisc_msg(RTM_DELQDISC, ifindex, TC_H_CLSACT, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(nlio_request(nl, msg, ext, sizeof(ext)), 0);
	nlmsg_free(msg);
	CU_ASSERT_EQUAL(tu_sh("! tc qdisc show dev nt0 | grep -q clsact"), 0);
}

static int link_index(const struct nlmsghdr *h, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);

	if (h->nlmsg_type != RTM_NEWLINK)
		return -EPROTO;
	*(int *)arg = ifi->ifi_index;
	return 1;
}

static int get_link(const char *name, int *ifindex)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg *msg = nlmsg_alloc();
	char ext[128];
	int rc = -ENOMEM;

	if (msg && nlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, RTM_GETLINK, 0, 0) &&
	    nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) == 0 && nla_put_string(msg, IFLA_IFNAME, name) == 0)
		rc = nlio_get(nl, msg, link_index, ifindex, ext, sizeof(ext));
	nlmsg_free(msg);
	return rc;
}

/* One-message requests: the answer goes to fn, a refusal is the errno; the
 * socket stays in step (the next request gets its own answer). */
static void test_get(void)
{
	int ifindex = 0;

	CU_ASSERT_EQUAL(get_link("nt1", &ifindex), 1);
	CU_ASSERT_EQUAL(ifindex, (int)if_nametoindex("nt1"));
	CU_ASSERT_EQUAL(get_link("nosuch0", &ifindex), -ENODEV);
	CU_ASSERT_EQUAL(get_link("lo", &ifindex), 1);
	CU_ASSERT_EQUAL(ifindex, 1);
}

static int count_msg(const struct nlmsghdr *h, void *arg)
{
	(void)h;
	(*(int *)arg)++;
	return 0;
}

static int stop_at_second(const struct nlmsghdr *h, void *arg)
{
	(void)h;
	return ++*(int *)arg == 2 ? 42 : 0;
}

/* Dumps: every answer of the wanted type, counted per request type; a
 * non-zero callback stops the walk and is returned. */
static void test_dump(void)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	unsigned long before = nlio_dump_count(RTM_GETLINK);
	char ext[128];
	int n = 0;

	CU_ASSERT_EQUAL(nlio_dump(nl, RTM_GETLINK, &ifi, sizeof(ifi), RTM_NEWLINK, count_msg, &n, ext, sizeof(ext)), 0);
	CU_ASSERT_EQUAL(n, 3);	/* lo, nt0, nt1 */
	CU_ASSERT_EQUAL(nlio_dump_count(RTM_GETLINK), before + 1);
	n = 0;
	CU_ASSERT_EQUAL(nlio_dump(nl, RTM_GETLINK, &ifi, sizeof(ifi), RTM_NEWLINK, stop_at_second, &n, ext,
				  sizeof(ext)), 42);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(nlio_dump_count(RTM_GETLINK), before + 2);
}

/* Inside a scope every take shares the first dump; after the outermost end
 * the next take dumps again and sees changes made meanwhile. */
static void test_scope(void)
{
	struct nlio_qdiscs a, b;
	int ifindex = (int)if_nametoindex("nt0");
	char ext[128];
	unsigned long before = nlio_dump_count(RTM_GETQDISC);

	nlio_scope_begin();
	CU_ASSERT_EQUAL_FATAL(nlio_qdiscs_take(nl, &a, ext, sizeof(ext)), 0);
	nlio_scope_begin();
	CU_ASSERT_EQUAL_FATAL(nlio_qdiscs_take(nl, &b, ext, sizeof(ext)), 0);
	CU_ASSERT_TRUE(a.shared && b.shared);
	CU_ASSERT_PTR_EQUAL(a.msgs, b.msgs);
	CU_ASSERT_PTR_NOT_NULL(nlio_qdiscs_root(&a, ifindex));	/* veth up: noqueue */
	nlio_qdiscs_free(&b);
	nlio_scope_end();
	CU_ASSERT_EQUAL(nlio_dump_count(RTM_GETQDISC), before + 1);
	CU_ASSERT_EQUAL(tu_sh("tc qdisc replace dev nt0 root handle 5: pfifo"), 0);
	/* Still inside the outer scope: the old snapshot. */
	CU_ASSERT_EQUAL_FATAL(nlio_qdiscs_take(nl, &b, ext, sizeof(ext)), 0);
	CU_ASSERT_EQUAL(((const struct tcmsg *)NLMSG_DATA(nlio_qdiscs_root(&b, ifindex)))->tcm_handle, 0u);
	nlio_qdiscs_free(&b);
	nlio_qdiscs_free(&a);
	nlio_scope_end();
	CU_ASSERT_EQUAL(nlio_dump_count(RTM_GETQDISC), before + 1);

	CU_ASSERT_EQUAL_FATAL(nlio_qdiscs_take(nl, &a, ext, sizeof(ext)), 0);
	CU_ASSERT_FALSE(a.shared);
	CU_ASSERT_EQUAL(((const struct tcmsg *)NLMSG_DATA(nlio_qdiscs_root(&a, ifindex)))->tcm_handle, 0x50000u);
	nlio_qdiscs_free(&a);
	CU_ASSERT_EQUAL(nlio_dump_count(RTM_GETQDISC), before + 2);
	tu_sh("tc qdisc del dev nt0 root");
}

struct seen {
	int newlink;
	int other;
};

static int on_note(const struct nlmsghdr *h, void *arg)
{
	struct seen *s = arg;

	if (h->nlmsg_type == RTM_NEWLINK)
		s->newlink++;
	else
		s->other++;
	return 0;
}

/* Notifications: what is queued is read whole, then nothing more. */
static void test_monitor(void)
{
	static const unsigned groups[] = { RTNLGRP_LINK };
	struct seen s = { 0 };
	char err[128];
	bool lost = true;
	struct nlio_mon *m = nlio_mon_open(groups, 1, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(nlio_mon_fd(m) >= 0);
	CU_ASSERT_EQUAL(nlio_mon_drain(m, on_note, &s, &lost), 0);
	CU_ASSERT_FALSE(lost);
	CU_ASSERT_EQUAL(tu_sh("ip link set nt0 mtu 1400"), 0);
	CU_ASSERT(nlio_mon_drain(m, on_note, &s, &lost) >= 1);
	CU_ASSERT(s.newlink >= 1);
	CU_ASSERT_FALSE(lost);
	CU_ASSERT_EQUAL(nlio_mon_drain(m, NULL, NULL, &lost), 0);
	nlio_mon_close(m);
	CU_ASSERT_PTR_NULL(nlio_mon_open((const unsigned[]){ 100000 }, 1, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "group 100000"));
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("nlio", suite_init, suite_cleanup);
	if (!suite || !CU_add_test(suite, "errno table", test_errno_table) ||
	    !CU_add_test(suite, "request, ack, extack", test_request) ||
	    !CU_add_test(suite, "one-message request", test_get) ||
	    !CU_add_test(suite, "dump and its count", test_dump) ||
	    !CU_add_test(suite, "qdisc snapshot scope", test_scope) ||
	    !CU_add_test(suite, "notifications", test_monitor)) {
		CU_cleanup_registry();
		return 2;
	}
	return tu_run_tests();
}
