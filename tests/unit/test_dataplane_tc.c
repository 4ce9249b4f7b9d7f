/* SPDX-License-Identifier: GPL-2.0-only */
/* test_dataplane_tc.c — the two forwarding paths with real traffic: frames of a
 * class the egress port's schedule gates go XDP -> tc ingress -> the egress
 * device's transmit path (where a qdisc would gate them), with skb->priority set;
 * frames of an ungated class go by XDP_REDIRECT, which skips that path.
 *
 * The oracle is a tc egress program on the egress port that counts what passes
 * there by skb->priority: that hook sits in dev_queue_xmit right before the root
 * qdisc, so a frame it sees is a frame taprio would see.  (taprio itself is not
 * in this host's kernel; tests/kernel-lab has the gate test.)
 *
 *   talker ns: eth0 2001:db8:1::2 ── sw0p1 [this process's ns] sw0p2 ── eth0 2001:db8:2::2 listener ns
 *
 * Needs root. */
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "test_util.h"
#include "tsn/bpf_shared.h"
#include "tsn/log.h"
#include "dp_skel.h"

static struct dataplane *dp;
static char ns_t[32], ns_l[32], udp6[PATH_MAX + 16];
static int prio_map = -1, egress_prog = -1;

/* sw0p2 gates class 1 = priorities 4..7; DSCP 46 -> priority 5, DSCP 10 ->
 * priority 3 (class 0, never gated; the kernel's own frames, ND and MLD, leave
 * with priority 0, so the oracle can tell the test's frames by priority). */
static const char *const cfg_text =
	"ports:\n"
	"  - { name: sw0p1, xdp: generic }\n"
	"  - name: sw0p2\n"
	"    xdp: generic\n"
	"    schedule:\n"
	"      num-tc: 2\n"
	"      map: [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]\n"
	"      queues: [\"1@0\", \"1@1\"]\n"
	"      entries:\n"
	"        - { gates: [0, 1], interval: 500us }\n"
	"        - { gates: [0], interval: 500us }\n"
	"classification:\n"
	"  dscp:\n"
	"    - { dscp: 46, priority: 5 }\n"
	"    - { dscp: 10, priority: 3 }\n";

/* Count every frame at sw0p2's tc egress hook by skb->priority & 7. */
static int load_egress_counter(int map_fd)
{
	struct bpf_insn insns[] = {
		/* r6 = ctx; r1 = skb->priority & 7; *(u32 *)(fp - 4) = r1 */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_6, .src_reg = BPF_REG_1 },
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_6,
		  .off = offsetof(struct __sk_buff, priority) },
		{ .code = BPF_ALU64 | BPF_AND | BPF_K, .dst_reg = BPF_REG_1, .imm = 7 },
		{ .code = BPF_STX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_10, .src_reg = BPF_REG_1, .off = -4 },
		/* r2 = fp - 4; r1 = map; r0 = bpf_map_lookup_elem(r1, r2) */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2, .imm = -4 },
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD,
		  .imm = map_fd },
		{ 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem },
		/* if r0: atomic *(u64 *)r0 += 1 */
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = BPF_REG_0, .off = 2, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1 },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_1,
		  .imm = BPF_ADD },
		/* return TC_ACT_OK */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_OK },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "egress_count", "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), NULL);
}

static uint64_t egress_seen(uint32_t prio)
{
	uint64_t n = 0;

	bpf_map_lookup_elem(prio_map, &prio, &n);
	return n;
}

static uint64_t port_fwd(const char *port, const char *reason)
{
	json_object *o = dataplane_port_json(dp, port);
	uint64_t v = (uint64_t)json_object_get_int64(tu_jget(tu_jget(o, "forwarding"), reason));

	json_object_put(o);
	return v;
}

static uint64_t port_tc(const char *port, const char *what)
{
	json_object *o = dataplane_port_json(dp, port);
	uint64_t v = (uint64_t)json_object_get_int64(tu_jget(tu_jget(o, "tc"), what));

	json_object_put(o);
	return v;
}

/* Send count datagrams with traffic class tclass to the listener; returns how
 * many arrived with hop limit 63. */
static int send_and_receive(int count, int tclass)
{
	char cmd[PATH_MAX + 256], line[256];
	int got = 0;
	FILE *recv;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s %s recv 5000 -n %d -w 3000 2>/dev/null", ns_l,
		 udp6, count);
	recv = popen(cmd, "r");
	if (!recv)
		return -1;
	usleep(300 * 1000);	/* bound before the first datagram */
	tu_sh("ip netns exec %s %s send 2001:db8:2::2 5000 -n %d -t %d -i 2000", ns_t, udp6, count,
	      tclass);
	while (fgets(line, sizeof(line), recv))
		got += strstr(line, "\"hop_limit\":63") != NULL;
	pclose(recv);
	return got;
}

static int suite_init(void)
{
	struct tsn_diags diags;
	struct tsn_config *cfg;
	char err[512], exe[PATH_MAX];
	ssize_t n;
	int rc;

	tsn_log_setup("test_dataplane_tc", TSN_LOG_STDERR,
		      getenv("TSN_TEST_DEBUG") ? TSN_LOG_DEBUG : TSN_LOG_ERR);
	/* The udp6 tool of the same build: <build>/tests/tools/udp6. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(udp6, sizeof(udp6), "%s/tools/udp6", exe);
	if (access(udp6, X_OK) < 0) {
		fprintf(stderr, "%s is missing (make tests-build)\n", udp6);
		return -1;
	}
	snprintf(ns_t, sizeof(ns_t), "tsntc-%d-t", (int)getpid());
	snprintf(ns_l, sizeof(ns_l), "tsntc-%d-l", (int)getpid());
	if (tu_netns_enter() < 0)
		return -1;
	if (tu_sh("ip netns add %s && ip netns add %s", ns_t, ns_l) ||
	    tu_sh("ip link add sw0p1 type veth peer name eth0 netns %s && "
		  "ip link add sw0p2 type veth peer name eth0 netns %s", ns_t, ns_l) ||
	    tu_sh("sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.all.accept_dad=0 && "
		  "ip link set sw0p1 up && ip link set sw0p2 up && "
		  "ip -6 addr add 2001:db8:1::1/64 dev sw0p1 nodad && "
		  "ip -6 addr add 2001:db8:2::1/64 dev sw0p2 nodad") ||
	    tu_sh("ip -n %s link set lo up && ip -n %s link set eth0 up && "
		  "ip -n %s -6 addr add 2001:db8:1::2/64 dev eth0 nodad && "
		  "ip -n %s -6 route add default via 2001:db8:1::1", ns_t, ns_t, ns_t, ns_t) ||
	    tu_sh("ip -n %s link set lo up && ip -n %s link set eth0 up && "
		  "ip -n %s -6 addr add 2001:db8:2::2/64 dev eth0 nodad && "
		  "ip -n %s -6 route add default via 2001:db8:2::1", ns_l, ns_l, ns_l, ns_l))
		return -1;
	dp = dataplane_create(NULL, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "dataplane_create: %s\n", err);
		return -1;
	}
	tsn_diags_init(&diags, "tc.yaml");
	cfg = tsn_config_parse(cfg_text, strlen(cfg_text), "tc.yaml", &diags);
	tsn_diags_free(&diags);
	if (!cfg || dataplane_apply(dp, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "apply: %s\n", cfg ? err : "config invalid");
		tsn_config_free(cfg);
		return -1;
	}
	tsn_config_free(cfg);

	/* Neighbours resolved up front: every test frame then takes the fast path. */
	if (tu_sh("ping -6 -c 1 -W 2 2001:db8:2::2 >/dev/null && ping -6 -c 1 -W 2 2001:db8:1::2 >/dev/null"))
		return -1;

	/* The oracle, on sw0p2's egress hook (a clsact of its own where tsnd's program
	 * is on tcx; the one tsnd made otherwise). */
	prio_map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "egress_prio", 4, 8, 8, NULL);
	egress_prog = prio_map >= 0 ? load_egress_counter(prio_map) : -1;
	if (egress_prog < 0) {
		fprintf(stderr, "cannot load the egress counter: %s\n", strerror(-egress_prog));
		return -1;
	}
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)if_nametoindex("sw0p2"),
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1, .prog_fd = egress_prog);
	rc = bpf_tc_hook_create(&hook);
	if ((rc < 0 && rc != -EEXIST) || bpf_tc_attach(&hook, &opts) < 0) {
		fprintf(stderr, "cannot attach the egress counter\n");
		return -1;
	}
	return 0;
}

static int suite_cleanup(void)
{
	dataplane_destroy(dp, false);
	if (egress_prog >= 0)
		close(egress_prog);
	if (prio_map >= 0)
		close(prio_map);
	tu_sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null", ns_t, ns_l);
	tu_netns_leave();
	return 0;
}

/* DSCP 46 -> priority 5 -> class 1, gated on sw0p2: every frame goes XDP -> tc
 * and passes sw0p2's transmit path with skb->priority 5. */
static void test_scheduled_class_through_tc(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	uint64_t seen = egress_seen(5), to_qdisc = port_fwd("sw0p1", "to_qdisc");
	uint64_t redirected = port_tc("sw0p1", "redirected");

	CU_ASSERT_EQUAL(send_and_receive(10, 46 << 2), 10);
	CU_ASSERT_EQUAL(egress_seen(5) - seen, 10);
	CU_ASSERT_EQUAL(port_fwd("sw0p1", "to_qdisc") - to_qdisc, 10);
	CU_ASSERT_EQUAL(port_tc("sw0p1", "redirected") - redirected,
			port_fwd("sw0p1", "to_qdisc") - to_qdisc);
	CU_ASSERT_EQUAL(port_fwd("sw0p1", "redirect"), 0);
}

/* DSCP 10 -> priority 3 -> class 0, never gated: XDP_REDIRECT, which skips the
 * egress hook (and the qdisc) entirely. */
static void test_ungated_class_bypasses(void)
{
	uint64_t seen = egress_seen(3), redirect = port_fwd("sw0p1", "redirect");

	CU_ASSERT_EQUAL(send_and_receive(10, 10 << 2), 10);
	CU_ASSERT_EQUAL(port_fwd("sw0p1", "redirect") - redirect, 10);
	CU_ASSERT_EQUAL(egress_seen(3) - seen, 0);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("dataplane_tc", suite_init, suite_cleanup);
	if (!suite ||
	    !CU_add_test(suite, "a gated class goes through tc to the egress path",
			 test_scheduled_class_through_tc) ||
	    !CU_add_test(suite, "an ungated class bypasses it", test_ungated_class_bypasses)) {
		CU_cleanup_registry();
		return 2;
	}
	return tu_run_tests();
}
