/* SPDX-License-Identifier: GPL-2.0-only */
/* test_ports.c — daemon/kernel/ports.c against a real veth pair.
 *
 * The test moves itself into a fresh network namespace (unshare), so the links
 * it makes cannot collide with the host's and vanish with the namespace even if
 * the test dies; it switches back to the original namespace when done.  Values
 * the test set (MTU, queues, MAC) are asserted directly; values the kernel
 * chooses (ifindex, qdisc) are compared with what iproute2 reports.  Needs root.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <linux/net_tstamp.h>
#include <linux/rtnetlink.h>

#include "ethtool.h"
#include "nlio.h"
#include "ports.h"
#include "test_util.h"

#define PORT "tp0"
#define PEER "tp1"
#define PORT_MAC "02:11:22:33:44:55"

static struct ports *ports;

/* The root qdisc kind per `tc -j qdisc show`, "" when it lists none. */
static void tc_root_qdisc(const char *dev, char *kind, size_t len)
{
	char cmd[128];
	json_object *list;

	snprintf(cmd, sizeof(cmd), "tc -j qdisc show dev %s root", dev);
	list = tu_sh_json(cmd);
	kind[0] = '\0';
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *q = json_object_array_get_idx(list, i);
		json_object *root = tu_jget(q, "root");

		if (root && json_object_get_boolean(root))
			snprintf(kind, len, "%s", json_object_get_string(tu_jget(q, "kind")));
	}
	json_object_put(list);
}

static int ip_ifindex(const char *dev)
{
	char cmd[128];
	json_object *list;
	int ifindex = -1;

	snprintf(cmd, sizeof(cmd), "ip -j link show dev %s", dev);
	list = tu_sh_json(cmd);
	if (list && json_object_array_length(list) == 1)
		ifindex = json_object_get_int(tu_jget(json_object_array_get_idx(list, 0), "ifindex"));
	json_object_put(list);
	return ifindex;
}

/* ---- fixtures ---- */

static int suite_init(void)
{
	if (tu_netns_enter() < 0)
		return -1;
	if (tu_sh("ip link add " PORT " mtu 1400 numtxqueues 4 numrxqueues 2 address " PORT_MAC
	       " type veth peer name " PEER " numtxqueues 2 numrxqueues 4"))
		return -1;
	ports = ports_open();
	return ports ? 0 : -1;
}

static int suite_cleanup(void)
{
	ports_close(ports);
	tu_sh("ip link del " PORT " 2>/dev/null");
	/* Leaving drops the last reference: the kernel deletes the namespace. */
	tu_netns_leave();
	return 0;
}

/* ---- tests ---- */

static void assert_static_fields(const struct port_info *pi)
{
	static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

	CU_ASSERT_TRUE(pi->present);
	CU_ASSERT_STRING_EQUAL(pi->name, PORT);
	CU_ASSERT_EQUAL(pi->ifindex, ip_ifindex(PORT));
	CU_ASSERT(pi->ifindex > 1);
	CU_ASSERT_EQUAL(pi->mtu, 1400);
	CU_ASSERT_EQUAL(pi->num_tx_queues, 4);
	CU_ASSERT_EQUAL(pi->num_rx_queues, 2);
	CU_ASSERT_EQUAL(memcmp(pi->mac, mac, sizeof(mac)), 0);
	/* veth reports 10000 Mbit/s on recent kernels and "unknown" on older ones. */
	CU_ASSERT(pi->speed_mbps == 10000 || pi->speed_mbps == 0);
}

static void test_link_down(void)
{
	struct port_info pi;
	char kind[16];

	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link set " PORT " down && ip link set " PEER " down"), 0);
	CU_ASSERT_EQUAL_FATAL(ports_query(ports, PORT, &pi), 0);
	assert_static_fields(&pi);
	CU_ASSERT_STRING_EQUAL(pi.oper_state, "down");
	CU_ASSERT_FALSE(pi.admin_up);
	CU_ASSERT_FALSE(pi.carrier);
	tc_root_qdisc(PORT, kind, sizeof(kind));
	CU_ASSERT_STRING_EQUAL(pi.qdisc, kind);
}

static void test_link_up(void)
{
	struct port_info pi;
	char kind[16];

	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link set " PEER " up && ip link set " PORT " up"), 0);
	CU_ASSERT_EQUAL_FATAL(ports_query(ports, PORT, &pi), 0);
	assert_static_fields(&pi);
	CU_ASSERT_STRING_EQUAL(pi.oper_state, "up");
	CU_ASSERT_TRUE(pi.admin_up);
	CU_ASSERT_TRUE(pi.carrier);
	tc_root_qdisc(PORT, kind, sizeof(kind));
	CU_ASSERT_STRING_EQUAL(kind, "noqueue");	/* veth's default once up */
	CU_ASSERT_STRING_EQUAL(pi.qdisc, kind);
}

static void test_peer_down(void)
{
	struct port_info pi;

	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link set " PORT " up && ip link set " PEER " down"), 0);
	CU_ASSERT_EQUAL_FATAL(ports_query(ports, PORT, &pi), 0);
	CU_ASSERT_STRING_EQUAL(pi.oper_state, "lowerlayerdown");
	CU_ASSERT_TRUE(pi.admin_up);
	CU_ASSERT_FALSE(pi.carrier);
}

static void test_root_qdisc(void)
{
	struct port_info pi;
	char kind[16];

	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link set " PEER " up && ip link set " PORT " up && "
				 "tc qdisc replace dev " PORT " root handle 1: mq"), 0);
	CU_ASSERT_EQUAL_FATAL(ports_query(ports, PORT, &pi), 0);
	tc_root_qdisc(PORT, kind, sizeof(kind));
	CU_ASSERT_STRING_EQUAL(kind, "mq");
	CU_ASSERT_STRING_EQUAL(pi.qdisc, "mq");
	/* The peer keeps its own qdisc: the lookup is per interface. */
	CU_ASSERT_EQUAL_FATAL(ports_query(ports, PEER, &pi), 0);
	CU_ASSERT_STRING_EQUAL(pi.qdisc, "noqueue");
	CU_ASSERT_EQUAL(pi.num_tx_queues, 2);
	CU_ASSERT_EQUAL(pi.num_rx_queues, 4);
	tu_sh("tc qdisc del dev " PORT " root");
}

static void test_missing_interface(void)
{
	static const char *const names[] = { "nosuch0", "", "name-longer-than-ifnamsiz" };
	struct port_info pi;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		memset(&pi, 0xa5, sizeof(pi));
		CU_ASSERT_EQUAL(ports_query(ports, names[i], &pi), 0);
		CU_ASSERT_FALSE(pi.present);
		CU_ASSERT_EQUAL(pi.ifindex, 0);
		CU_ASSERT_EQUAL(pi.mtu, 0);
		CU_ASSERT_EQUAL(pi.speed_mbps, 0);
		CU_ASSERT_STRING_EQUAL(pi.oper_state, "");
		CU_ASSERT_STRING_EQUAL(pi.qdisc, "");
		CU_ASSERT_EQUAL(strncmp(pi.name, names[i], IFNAMSIZ - 1), 0);
	}
}

static void test_json(void)
{
	static const char *const keys[] = {
		"name", "present", "ifindex", "oper_state", "admin_up", "carrier",
		"speed_mbps", "mtu", "tx_queues", "rx_queues", "mac", "qdisc", "tx_vlan_offload",
	};
	struct port_info pi;
	json_object *o;

	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link set " PEER " up && ip link set " PORT " up"), 0);
	CU_ASSERT_EQUAL_FATAL(ports_query(ports, PORT, &pi), 0);
	o = port_info_to_json(&pi);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(json_object_object_length(o), (int)(sizeof(keys) / sizeof(keys[0])));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CU_ASSERT_PTR_NOT_NULL(tu_jget(o, keys[i]));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(o, "name")), PORT);
	CU_ASSERT_TRUE(json_object_get_boolean(tu_jget(o, "present")));
	CU_ASSERT_EQUAL(json_object_get_int(tu_jget(o, "ifindex")), pi.ifindex);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(o, "oper_state")), "up");
	CU_ASSERT_TRUE(json_object_is_type(tu_jget(o, "admin_up"), json_type_boolean));
	CU_ASSERT_TRUE(json_object_is_type(tu_jget(o, "carrier"), json_type_boolean));
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(o, "speed_mbps")), pi.speed_mbps);
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(o, "mtu")), 1400);
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(o, "tx_queues")), 4);
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(o, "rx_queues")), 2);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(o, "mac")), PORT_MAC);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(o, "qdisc")), "noqueue");
	CU_ASSERT_TRUE(json_object_get_boolean(tu_jget(o, "tx_vlan_offload")));	/* veth's default */
	json_object_put(o);

	CU_ASSERT_EQUAL(ports_query(ports, "nosuch0", &pi), 0);
	o = port_info_to_json(&pi);
	CU_ASSERT_FALSE(json_object_get_boolean(tu_jget(o, "present")));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(o, "name")), "nosuch0");
	json_object_put(o);
}

/* "on" or "off": what `ethtool -k` says of the VLAN transmit offload (its
 * legacy name tx-vlan-offload), for a view independent of ethtool.c. */
static void ethtool_k_txvlan(const char *dev, char *out, size_t len)
{
	char cmd[160];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ethtool -k %s | awk '$1 == \"tx-vlan-offload:\" { print $2 }'", dev);
	out[0] = '\0';
	f = popen(cmd, "r");
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = '\0';
	pclose(f);
}

/* ethtool.c: the driver's name, and tx-vlan-hw-insert read, turned off and on
 * again as ethtool -k sees it (the bridge step's use, docs/bridge.md). */
static void test_ethtool_features(void)
{
	struct port_info pi;
	char drv[32], k[16];
	bool on = false, fixed = true;

	CU_ASSERT_EQUAL(ethtool_driver(PORT, drv, sizeof(drv)), 0);
	CU_ASSERT_STRING_EQUAL(drv, "veth");
	CU_ASSERT_EQUAL(ethtool_driver("nosuch0", drv, sizeof(drv)), -ENODEV);
	CU_ASSERT_EQUAL(ethtool_feature_get(PORT, ETHTOOL_F_TXVLAN, &on, &fixed), 0);
	CU_ASSERT_TRUE(on);
	CU_ASSERT_FALSE(fixed);
	CU_ASSERT_EQUAL(ethtool_feature_get(PORT, "no-such-feature", &on, &fixed), -ENOENT);
	CU_ASSERT_EQUAL(ethtool_feature_get("nosuch0", ETHTOOL_F_TXVLAN, &on, &fixed), -ENODEV);

	CU_ASSERT_EQUAL(ethtool_feature_set(PORT, ETHTOOL_F_TXVLAN, false), 0);
	ethtool_k_txvlan(PORT, k, sizeof(k));
	CU_ASSERT_STRING_EQUAL(k, "off");
	CU_ASSERT_EQUAL(ethtool_feature_get(PORT, ETHTOOL_F_TXVLAN, &on, &fixed), 0);
	CU_ASSERT_FALSE(on);
	CU_ASSERT_EQUAL(ports_query(ports, PORT, &pi), 0);
	CU_ASSERT_EQUAL(pi.tx_vlan, 0);
	ethtool_k_txvlan(PEER, k, sizeof(k));
	CU_ASSERT_STRING_EQUAL(k, "on");	/* the peer keeps its own */

	CU_ASSERT_EQUAL(ethtool_feature_set(PORT, ETHTOOL_F_TXVLAN, true), 0);
	ethtool_k_txvlan(PORT, k, sizeof(k));
	CU_ASSERT_STRING_EQUAL(k, "on");
	CU_ASSERT_EQUAL(ports_query(ports, PORT, &pi), 0);
	CU_ASSERT_EQUAL(pi.tx_vlan, 1);
	/* a feature the driver never lets change: refused */
	CU_ASSERT_EQUAL(ethtool_feature_get(PORT, "vlan-challenged", &on, &fixed), 0);
	CU_ASSERT_TRUE(fixed);
	CU_ASSERT_NOT_EQUAL(ethtool_feature_set(PORT, "vlan-challenged", true), 0);
}

/* A listing of N ports takes one qdisc dump inside an nlio scope, not one per port;
 * every port still gets its own root qdisc; a link-only query takes none. */
static void test_one_dump_per_request(void)
{
	static const char *const names[] = { PORT, PEER, "nosuch0", PORT, PEER };
	const size_t n = sizeof(names) / sizeof(names[0]);
	struct port_info pi;
	char kind[16];

	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link set " PEER " up && ip link set " PORT " up && "
				 "tc qdisc replace dev " PORT " root handle 1: mq"), 0);
	unsigned long before = nlio_dump_count(RTM_GETQDISC);
	nlio_scope_begin();
	nlio_scope_begin();	/* nested: no second dump */
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(ports_query(ports, names[i], &pi), 0);
		kind[0] = '\0';
		if (strcmp(names[i], "nosuch0") != 0)
			tc_root_qdisc(names[i], kind, sizeof(kind));
		CU_ASSERT_STRING_EQUAL(pi.qdisc, kind);
	}
	nlio_scope_end();
	CU_ASSERT_EQUAL(nlio_dump_count(RTM_GETQDISC), before + 1);
	nlio_scope_end();
	CU_ASSERT_EQUAL(nlio_dump_count(RTM_GETQDISC), before + 1);

	/* Without a snapshot, each query dumps on its own: the snapshot was dropped. */
	before = nlio_dump_count(RTM_GETQDISC);
	CU_ASSERT_EQUAL(ports_query(ports, PORT, &pi), 0);
	CU_ASSERT_EQUAL(ports_query(ports, PEER, &pi), 0);
	CU_ASSERT_EQUAL(nlio_dump_count(RTM_GETQDISC), before + 2);
	/* A snapshot taken before a change does not outlive its request. */
	tu_sh("tc qdisc del dev " PORT " root");
	CU_ASSERT_EQUAL(ports_query(ports, PORT, &pi), 0);
	CU_ASSERT_STRING_EQUAL(pi.qdisc, "noqueue");

	before = nlio_dump_count(RTM_GETQDISC);
	CU_ASSERT_EQUAL(ports_query_link(ports, PORT, &pi), 0);
	CU_ASSERT_EQUAL(nlio_dump_count(RTM_GETQDISC), before);
	CU_ASSERT_STRING_EQUAL(pi.qdisc, "");
	CU_ASSERT_TRUE(pi.present);
}

/* The one PHC lookup: veth has software timestamps and no PTP hardware clock. */
static void test_ts_info(void)
{
	struct port_ts_info ts;

	CU_ASSERT_EQUAL(ports_ts_info(PORT, &ts), 0);
	CU_ASSERT_EQUAL(ts.phc_index, -1);
	CU_ASSERT_NOT_EQUAL(ts.so_timestamping & SOF_TIMESTAMPING_SOFTWARE, 0);
	memset(&ts, 0x5a, sizeof(ts));
	CU_ASSERT_EQUAL(ports_ts_info("nosuch0", &ts), -ENODEV);
	CU_ASSERT_EQUAL(ts.phc_index, -1);
}

static void test_mac(void)
{
	static const uint8_t want[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	uint8_t mac[6] = { 0 };

	CU_ASSERT_EQUAL(ports_mac(PORT, mac), 0);
	CU_ASSERT_EQUAL(memcmp(mac, want, sizeof(mac)), 0);
	CU_ASSERT_EQUAL(ports_mac("nosuch0", mac), -ENODEV);
}

/* What `tc -j filter show` lists on one hook: one object per entry of the dump. */
static int tc_filter_lines(const char *hook)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "tc -j filter show dev " PORT " %s", hook);
	json_object *list = tu_sh_json(cmd);
	int n = list ? (int)json_object_array_length(list) : -1;
	json_object_put(list);
	return n;
}

/* Filters on the clsact hooks as the dumps list them (a u32 filter is its
 * priority entry, its hash table and its key); the ingress ones of the skipped
 * priority are left out. */
static void test_tc_filters(void)
{
	int ifindex = ip_ifindex(PORT);

	CU_ASSERT_EQUAL_FATAL(tu_sh("tc qdisc add dev " PORT " clsact"), 0);
	CU_ASSERT_EQUAL(ports_tc_filters(ifindex, 7), 0);
	CU_ASSERT_EQUAL_FATAL(tu_sh("tc filter add dev " PORT " ingress prio 7 u32 match u32 0 0"), 0);
	int in = tc_filter_lines("ingress");
	CU_ASSERT(in >= 2);
	CU_ASSERT_EQUAL(ports_tc_filters(ifindex, 7), 0);
	CU_ASSERT_EQUAL(ports_tc_filters(ifindex, 8), in);
	CU_ASSERT_EQUAL_FATAL(tu_sh("tc filter add dev " PORT " egress prio 7 u32 match u32 0 0"), 0);
	int eg = tc_filter_lines("egress");
	CU_ASSERT(eg >= 2);
	CU_ASSERT_EQUAL(ports_tc_filters(ifindex, 7), eg);
	/* u32's hash tables belong to the qdisc: both hooks now list both. */
	in = tc_filter_lines("ingress");
	CU_ASSERT_EQUAL(ports_tc_filters(ifindex, 8), in + eg);
	tu_sh("tc qdisc del dev " PORT " clsact");
	CU_ASSERT_EQUAL(ports_tc_filters(ifindex, 7), 0);
}

/* 802.1Q sub-interfaces from one link dump; veth pairs are not VLANs.  Kernels
 * without 8021q (the build host's) check only the negative half. */
static void test_vlans(void)
{
	struct port_vlan *v = NULL;
	size_t n = 99;
	bool have_8021q = tu_sh("ip link add link " PORT " name " PORT ".5 type vlan id 5 2>/dev/null || "
				"{ ip link del " PORT ".5 2>/dev/null; false; }") == 0;

	if (have_8021q)
		tu_sh("ip link add link " PORT " name " PORT ".6 type vlan id 6 protocol 802.1ad");
	CU_ASSERT_EQUAL_FATAL(ports_vlans(&v, &n), 0);
	if (have_8021q) {
		CU_ASSERT_EQUAL_FATAL(n, 1);
		CU_ASSERT_EQUAL(v[0].parent, ip_ifindex(PORT));
		CU_ASSERT_EQUAL(v[0].vid, 5);
		CU_ASSERT_EQUAL(v[0].ifindex, ip_ifindex(PORT ".5"));
		tu_sh("ip link del " PORT ".5; ip link del " PORT ".6");
	} else {
		fprintf(stderr, "(no 8021q in this kernel: only the negative half) ");
		CU_ASSERT_EQUAL(n, 0);
		CU_ASSERT_PTR_NULL(v);
	}
	free(v);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("ports", suite_init, suite_cleanup);
	if (!suite ||
	    !CU_add_test(suite, "administratively down", test_link_down) ||
	    !CU_add_test(suite, "up with carrier", test_link_up) ||
	    !CU_add_test(suite, "up, peer down", test_peer_down) ||
	    !CU_add_test(suite, "root qdisc", test_root_qdisc) ||
	    !CU_add_test(suite, "missing interface", test_missing_interface) ||
	    !CU_add_test(suite, "port_info_to_json", test_json) ||
	    !CU_add_test(suite, "ethtool features", test_ethtool_features) ||
	    !CU_add_test(suite, "one qdisc dump per request", test_one_dump_per_request) ||
	    !CU_add_test(suite, "timestamping and PHC", test_ts_info) ||
	    !CU_add_test(suite, "MAC address", test_mac) ||
	    !CU_add_test(suite, "tc filters on clsact", test_tc_filters) ||
	    !CU_add_test(suite, "802.1Q sub-interfaces", test_vlans)) {
		CU_cleanup_registry();
		return 2;
	}
	return tu_run_tests();
}
