/* SPDX-License-Identifier: GPL-2.0-only */
/* test_dataplane.c — daemon/dataplane/dataplane.c attaching the real programs (XDP and tc) to real veth
 * ports, with real traffic, in a network namespace of the test's own.
 *
 * The kernel is the oracle: what is attached is read back with bpf_xdp_query
 * (and once with `ip -j link`), counters are checked against frames the test
 * sent itself.  IPv6 is disabled in the namespace so the stack sends nothing on
 * its own and the counts are exact.  Needs root.
 *
 * Links: da0-da1, db0-db1, dc0-dc1 (veth pairs; the test attaches to the *0
 * ends and sends from the *1 ends) and dbig0-dbig1, whose peer MTU of 9000 makes
 * native XDP on dbig0 fail in the kernel (a real attach error).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "dataplane_priv.h"
#include "test_util.h"
#include "tsn/log.h"

#define MISSING "nosuch0"
#define ETHERTYPE_LOCAL_EXP 0x88B5

static const char *const test_links[] = { "da0", "db0", "dc0", "dbig0" };
#define N_LINKS (sizeof(test_links) / sizeof(test_links[0]))

static struct dataplane *dp;		/* the one under test; teardown destroys it */
static int foreign_fd = -1;		/* a program that is not tsnd's */

/* ---- helpers ---- */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A config with the given ports: "name:mode" pairs, mode one of off, auto,
 * native, generic.  Built by hand: this test does not need the YAML parser. */
static struct tsn_config *make_cfg(int n, ...)
{
	struct tsn_config *cfg = calloc(1, sizeof(*cfg));
	va_list ap;

	cfg->ports = calloc((size_t)(n ? n : 1), sizeof(*cfg->ports));
	cfg->n_ports = (size_t)n;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		const char *spec = va_arg(ap, const char *);
		const char *colon = strchr(spec, ':');
		const char *mode = colon + 1;

		snprintf(cfg->ports[i].name, sizeof(cfg->ports[i].name), "%.*s",
			 (int)(colon - spec), spec);
		cfg->ports[i].xdp = strcmp(mode, "native") == 0 ? TSN_XDP_NATIVE :
				    strcmp(mode, "generic") == 0 ? TSN_XDP_GENERIC :
				    strcmp(mode, "auto") == 0 ? TSN_XDP_AUTO : TSN_XDP_OFF;
	}
	va_end(ap);
	return cfg;
}

static void free_cfg(struct tsn_config *cfg)
{
	free(cfg->ports);
	free(cfg);
}

/* Apply and free the config; returns dataplane_apply's result. */
static int apply(char *err, size_t errlen, struct tsn_config *cfg)
{
	int rc;

	err[0] = '\0';
	rc = dataplane_apply(dp, cfg, err, errlen);
	free_cfg(cfg);
	return rc;
}

/* What the kernel has attached to each test link. */
struct snapshot {
	struct bpf_xdp_query_opts q[N_LINKS];
};

static void take_snapshot(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < N_LINKS; i++) {
		s->q[i].sz = sizeof(s->q[i]);
		CU_ASSERT_EQUAL(bpf_xdp_query((int)if_nametoindex(test_links[i]), 0, &s->q[i]), 0);
	}
}

static bool same_snapshot(const struct snapshot *a, const struct snapshot *b)
{
	bool same = true;

	for (size_t i = 0; i < N_LINKS; i++)
		if (a->q[i].drv_prog_id != b->q[i].drv_prog_id ||
		    a->q[i].skb_prog_id != b->q[i].skb_prog_id ||
		    a->q[i].hw_prog_id != b->q[i].hw_prog_id ||
		    a->q[i].attach_mode != b->q[i].attach_mode) {
			fprintf(stderr, "\n  %s changed: drv %u->%u skb %u->%u mode %u->%u",
				test_links[i], a->q[i].drv_prog_id, b->q[i].drv_prog_id,
				a->q[i].skb_prog_id, b->q[i].skb_prog_id, a->q[i].attach_mode,
				b->q[i].attach_mode);
			same = false;
		}
	return same;
}

static struct bpf_xdp_query_opts query(const char *dev)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	CU_ASSERT_EQUAL(bpf_xdp_query((int)if_nametoindex(dev), 0, &q), 0);
	return q;
}

/* The dataplane's own view of one port: mode string and program id. */
static void port_view(const char *port, char *mode, size_t len, __u32 *prog_id, bool *attached)
{
	json_object *o = dataplane_port_json(dp, port);

	snprintf(mode, len, "%s", o ? json_object_get_string(tu_jget(o, "mode")) : "none");
	*prog_id = o ? (__u32)json_object_get_int64(tu_jget(o, "prog_id")) : 0;
	*attached = o && json_object_get_boolean(tu_jget(o, "attached"));
	json_object_put(o);
}

static __u32 our_prog_id(void)
{
	json_object *o = dataplane_port_json(dp, "da0");
	__u32 id = o ? (__u32)json_object_get_int64(tu_jget(o, "prog_id")) : 0;

	json_object_put(o);
	return id;
}

static int ports_attached(void)
{
	json_object *o = dataplane_status_json(dp);
	int n = json_object_get_int(tu_jget(o, "ports_attached"));

	json_object_put(o);
	return n;
}

static uint64_t counter(const char *port, const char *kind, const char *field)
{
	json_object *o = dataplane_port_json(dp, port);
	uint64_t v = (uint64_t)json_object_get_int64(tu_jget(tu_jget(tu_jget(o, "counters"), kind), field));

	json_object_put(o);
	return v;
}

/* Wait until a counter reaches `want` (frames are processed in softirq context,
 * possibly after sendto returned), at most 3 s. */
static uint64_t wait_counter(const char *port, const char *kind, uint64_t want)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	uint64_t v = 0;

	for (int i = 0; i < 300 && (v = counter(port, kind, "packets")) < want; i++)
		nanosleep(&pause, NULL);
	return v;
}

/* Send `count` frames of `len` bytes with `ethertype` out of `dev`. */
static int send_frames(const char *dev, unsigned ethertype, size_t len, int count)
{
	static const unsigned char dst[6] = { 0x01, 0x1b, 0x19, 0x00, 0x00, 0x00 };
	unsigned char frame[256];
	struct sockaddr_ll to;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	int sent = 0;

	if (fd < 0)
		return -1;
	memset(frame, 0x5a, sizeof(frame));
	memcpy(frame, dst, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x02", 6);
	frame[12] = (unsigned char)(ethertype >> 8);
	frame[13] = (unsigned char)ethertype;
	if (ethertype == ETH_P_IPV6)
		frame[14] = 0x60;	/* version 6: any other is malformed */
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_ifindex = (int)if_nametoindex(dev);
	to.sll_halen = 6;
	memcpy(to.sll_addr, dst, 6);
	for (int i = 0; i < count; i++)
		if (sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len)
			sent++;
	close(fd);
	return sent;
}

/* "r0 = XDP_PASS; exit": the smallest XDP program, named so it is not ours. */
static int load_foreign_program(void)
{
	struct bpf_insn insns[2];

	memset(insns, 0, sizeof(insns));
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
	insns[0].dst_reg = BPF_REG_0;
	insns[0].imm = XDP_PASS;
	insns[1].code = BPF_JMP | BPF_EXIT;
	return bpf_prog_load(BPF_PROG_TYPE_XDP, "foreign_xdp", "GPL", insns, 2, NULL);
}

#define TCX_INGRESS 46	/* BPF_TCX_INGRESS: Debian 12's headers lack it */

/* The program ids on dev's tcx ingress list, in the order they run. */
static __u32 tcx_ids(const char *dev, __u32 *ids, __u32 max)
{
	__u32 flags = 0, cnt = max;

	if (bpf_prog_query((int)if_nametoindex(dev), (enum bpf_attach_type)TCX_INGRESS, 0, &flags,
			   ids, &cnt) < 0)
		return 0;
	return cnt;
}

static void detach_all(void)
{
	for (size_t i = 0; i < N_LINKS; i++) {
		int ifindex = (int)if_nametoindex(test_links[i]);
		__u32 ids[8], n = tcx_ids(test_links[i], ids, 8);

		bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
		for (__u32 k = 0; k < n; k++) {
			int fd = bpf_prog_get_fd_by_id(ids[k]);

			bpf_prog_detach2(fd, ifindex, (enum bpf_attach_type)TCX_INGRESS);
			close(fd);
		}
	}
}

static bool nothing_attached(void)
{
	bool none = true;

	for (size_t i = 0; i < N_LINKS; i++) {
		struct bpf_xdp_query_opts q = query(test_links[i]);

		if (q.attach_mode != XDP_ATTACHED_NONE) {
			fprintf(stderr, "\n  %s still has XDP program %u", test_links[i], q.prog_id);
			none = false;
		}
	}
	return none;
}

static bool all_attached(void)
{
	for (size_t i = 0; i < N_LINKS; i++)
		if (strcmp(test_links[i], "dc0") != 0 &&
		    query(test_links[i]).attach_mode == XDP_ATTACHED_NONE)
			return false;
	return true;
}

/* ---- fixtures ---- */

static int suite_init(void)
{
	const char *debug = getenv("TSN_TEST_DEBUG");

	tsn_log_setup("test_dataplane", TSN_LOG_STDERR, debug ? TSN_LOG_DEBUG : TSN_LOG_ERR);
	if (tu_netns_enter() < 0)
		return -1;
	/* No IPv6 means no router solicitations, DAD or MLD: only our frames. */
	if (write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1") < 0 ||
	    write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1") < 0)
		fprintf(stderr, "cannot disable IPv6; counts may include stack traffic\n");
	if (tu_sh("ip link add da0 type veth peer name da1 && ip link add db0 type veth peer name db1 && "
	       "ip link add dc0 type veth peer name dc1 && "
	       "ip link add dbig0 type veth peer name dbig1 && ip link set dbig1 mtu 9000"))
		return -1;
	for (size_t i = 0; i < N_LINKS; i++)
		if (tu_sh("ip link set %s up && ip link set %.*s1 up", test_links[i],
		       (int)strlen(test_links[i]) - 1, test_links[i]))
			return -1;
	foreign_fd = load_foreign_program();
	if (foreign_fd < 0) {
		fprintf(stderr, "cannot load the foreign test program: %s\n", strerror(-foreign_fd));
		return -1;
	}
	return 0;
}

static int suite_cleanup(void)
{
	if (foreign_fd >= 0) {
		detach_all();
		close(foreign_fd);
	}
	for (size_t i = 0; i < N_LINKS; i++)
		tu_sh("ip link del %s 2>/dev/null", test_links[i]);
	/* Leaving drops the last reference: the kernel deletes the namespace. */
	tu_netns_leave();
	return 0;
}

static void test_setup(void)
{
	char err[256];

	dp = dataplane_create(NULL, err, sizeof(err));
	if (!dp)
		fprintf(stderr, "\n  dataplane_create: %s", err);
}

/* Whatever a test did or failed to do, the next starts from bare links. */
static void test_teardown(void)
{
	dataplane_destroy(dp, false);
	dp = NULL;
	detach_all();
	unsetenv("TSND_TC_HOOK");
}

/* A data plane whose tc programs go on hook ("clsact", "tcx"; NULL: the kernel's
 * choice), in place of the one test_setup made. */
static void use_hook(const char *hook)
{
	dataplane_destroy(dp, false);
	if (hook)
		setenv("TSND_TC_HOOK", hook, 1);
	else
		unsetenv("TSND_TC_HOOK");
	test_setup();
}

/* ---- tests ---- */

static void test_create_loads_program(void)
{
	json_object *st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	st = dataplane_status_json(dp);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(st, "state")), "loaded");
	CU_ASSERT_EQUAL(json_object_get_int(tu_jget(st, "ports_attached")), 0);
	json_object_put(st);
	CU_ASSERT_PTR_NULL(dataplane_port_json(dp, "da0"));
}

static void test_attach_generic_and_native(void)
{
	char err[512], mode[16], cmd[64], buf[4096];
	struct bpf_xdp_query_opts qa, qb;
	bool attached;
	__u32 id, id_b;
	FILE *ip;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	id = our_prog_id();
	CU_ASSERT_NOT_EQUAL(id, 0);
	qa = query("da0");
	qb = query("db0");
	CU_ASSERT_EQUAL(qa.attach_mode, XDP_ATTACHED_SKB);
	CU_ASSERT_EQUAL(qa.skb_prog_id, id);
	CU_ASSERT_EQUAL(qa.drv_prog_id, 0);
	CU_ASSERT_EQUAL(qb.attach_mode, XDP_ATTACHED_DRV);
	CU_ASSERT_EQUAL(qb.drv_prog_id, id);
	CU_ASSERT_EQUAL(qb.skb_prog_id, 0);
	CU_ASSERT_EQUAL(query("dc0").attach_mode, XDP_ATTACHED_NONE);

	/* iproute2 agrees: generic is mode 2 in its JSON. */
	snprintf(cmd, sizeof(cmd), "ip -j link show dev da0");
	ip = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ip);
	buf[fread(buf, 1, sizeof(buf) - 1, ip)] = '\0';
	pclose(ip);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"xdp\":{\"mode\":2"));
	snprintf(cmd, sizeof(cmd), "\"id\":%u", id);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, cmd));

	port_view("da0", mode, sizeof(mode), &id_b, &attached);
	CU_ASSERT_STRING_EQUAL(mode, "generic");
	CU_ASSERT_TRUE(attached);
	port_view("db0", mode, sizeof(mode), &id_b, &attached);
	CU_ASSERT_STRING_EQUAL(mode, "native");
	CU_ASSERT_TRUE(attached);
	CU_ASSERT_EQUAL(id_b, id);
	CU_ASSERT_EQUAL(ports_attached(), 2);
	CU_ASSERT_PTR_NULL(dataplane_port_json(dp, "dc0"));

	/* Applying the same config again changes nothing. */
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	CU_ASSERT_EQUAL(query("da0").skb_prog_id, id);
	CU_ASSERT_EQUAL(query("db0").drv_prog_id, id);

	/* Someone detaches behind our back: the port view says so. */
	CU_ASSERT_EQUAL(bpf_xdp_detach((int)if_nametoindex("da0"), XDP_FLAGS_SKB_MODE, NULL), 0);
	port_view("da0", mode, sizeof(mode), &id_b, &attached);
	CU_ASSERT_FALSE(attached);
	/* ... and the next apply repairs it. */
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	CU_ASSERT_EQUAL(query("da0").skb_prog_id, id);
}

static void test_counters_follow_traffic(void)
{
	char err[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	CU_ASSERT_EQUAL(counter("da0", "ptp", "packets"), 0);

	CU_ASSERT_EQUAL(send_frames("da1", ETH_P_1588, 60, 5), 5);
	CU_ASSERT_EQUAL(send_frames("da1", ETHERTYPE_LOCAL_EXP, 64, 3), 3);
	CU_ASSERT_EQUAL(send_frames("da1", ETH_P_IPV6, 14 + 40 + 10, 2), 2);
	CU_ASSERT_EQUAL(send_frames("db1", ETH_P_1588, 90, 4), 4);
	CU_ASSERT_EQUAL(wait_counter("da0", "ptp", 5), 5);
	CU_ASSERT_EQUAL(wait_counter("da0", "other", 3), 3);
	CU_ASSERT_EQUAL(wait_counter("da0", "ipv6", 2), 2);
	CU_ASSERT_EQUAL(wait_counter("db0", "ptp", 4), 4);

	CU_ASSERT_EQUAL(counter("da0", "ptp", "bytes"), 5 * 60);
	CU_ASSERT_EQUAL(counter("da0", "other", "bytes"), 3 * 64);
	CU_ASSERT_EQUAL(counter("da0", "ipv6", "bytes"), 2 * 64);
	CU_ASSERT_EQUAL(counter("db0", "ptp", "bytes"), 4 * 90);
	/* Nothing else arrived, and each port has only its own frames. */
	CU_ASSERT_EQUAL(counter("da0", "ipv4", "packets"), 0);
	CU_ASSERT_EQUAL(counter("da0", "arp", "packets"), 0);
	CU_ASSERT_EQUAL(counter("da0", "vlan", "packets"), 0);
	CU_ASSERT_EQUAL(counter("da0", "malformed", "packets"), 0);
	CU_ASSERT_EQUAL(counter("db0", "other", "packets"), 0);
	CU_ASSERT_EQUAL(counter("db0", "ipv6", "packets"), 0);

	/* Detaching forgets a port's counters; attaching again starts from zero. */
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(1, "db0:native")), 0);
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	CU_ASSERT_EQUAL(counter("da0", "ptp", "packets"), 0);
	CU_ASSERT_EQUAL(counter("db0", "ptp", "packets"), 4);
}

static void test_missing_port_rolls_back(void)
{
	struct snapshot before, after;
	char err[512], mode[16];
	bool attached;
	__u32 id;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	take_snapshot(&before);

	/* db0 would be detached, the missing port attached: neither happens. */
	CU_ASSERT_NOT_EQUAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", MISSING ":native")), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, MISSING));
	take_snapshot(&after);
	CU_ASSERT_TRUE(same_snapshot(&before, &after));

	/* A mode change and a new port made before the failure are undone. */
	CU_ASSERT_NOT_EQUAL(apply(err, sizeof(err), make_cfg(4, "da0:native", "db0:native",
							     "dc0:generic", MISSING ":generic")), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, MISSING));
	take_snapshot(&after);
	CU_ASSERT_TRUE(same_snapshot(&before, &after));

	/* The dataplane's own view did not move either. */
	CU_ASSERT_EQUAL(ports_attached(), 2);
	port_view("da0", mode, sizeof(mode), &id, &attached);
	CU_ASSERT_STRING_EQUAL(mode, "generic");
	CU_ASSERT_TRUE(attached);
	CU_ASSERT_PTR_NULL(dataplane_port_json(dp, "dc0"));
}

static void test_attach_error_rolls_back(void)
{
	struct snapshot before, after;
	char err[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	take_snapshot(&before);

	/* veth refuses native XDP when its peer's MTU exceeds a page: ERANGE. */
	CU_ASSERT_NOT_EQUAL(apply(err, sizeof(err), make_cfg(3, "da0:native", "dc0:generic",
							     "dbig0:native")), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "dbig0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "native"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, strerror(ERANGE)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "MTU"));	/* the kernel's extack text */
	take_snapshot(&after);
	CU_ASSERT_TRUE(same_snapshot(&before, &after));
	CU_ASSERT_EQUAL(ports_attached(), 2);
}

/* ---- VLAN entries and ifindex-keyed maps ---- */

/* How many keys a hash map holds (keys of at most 64 bytes). */
static size_t map_count(int fd)
{
	unsigned char key[64], next[64];
	size_t n = 0;

	for (int rc = bpf_map_get_next_key(fd, NULL, next); rc == 0;
	     rc = bpf_map_get_next_key(fd, key, next)) {
		memcpy(key, next, sizeof(key));
		n++;
	}
	return n;
}

/* (port, vid) -> sub in tsn_vlan_in and sub -> (port, vid) in tsn_egress. */
static bool has_vlan(int port, unsigned vid, int sub)
{
	struct tsn_vlan_key k = { .ifindex = (__u32)port, .vid = vid };
	__u32 got = 0, key = (__u32)sub;
	struct tsn_egress eg;

	return bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_vlan_in"), &k, &got) == 0 &&
	       got == (__u32)sub &&
	       bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_egress"), &key, &eg) == 0 &&
	       eg.ifindex == (__u32)port && eg.vid == vid;
}

/* VLAN entries written by a failed apply are undone: new ones deleted, changed
 * ones put back.  (They stayed before: write_vlans had no undo record.)  The
 * host's kernel has no 8021q, so the sub-interfaces are injected into the
 * scan; the maps, the writes and the undo are the real ones. */
static void test_vlan_entries_roll_back(void)
{
	static const char *const steps[] = { "vlans", "tables", "devmap" };
	int da0 = (int)if_nametoindex("da0");
	char err[512];
	int in_fd, eg_fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	in_fd = dataplane_map_fd(dp, "tsn_vlan_in");
	eg_fd = dataplane_map_fd(dp, "tsn_egress");
	CU_ASSERT_EQUAL_FATAL(dataplane_test_add_vlan(dp, da0, 5, 9001), 0);
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	CU_ASSERT_TRUE(has_vlan(da0, 5, 9001));
	CU_ASSERT_EQUAL(map_count(in_fd), 1);
	CU_ASSERT_EQUAL(map_count(eg_fd), 1);

	/* vid 5 moves to another sub-interface and vid 6 appears; a later step fails. */
	dataplane_test_clear_vlans(dp);
	CU_ASSERT_EQUAL(dataplane_test_add_vlan(dp, da0, 5, 9002), 0);
	CU_ASSERT_EQUAL(dataplane_test_add_vlan(dp, da0, 6, 9003), 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		dataplane_test_fail_after(dp, steps[i]);
		CU_ASSERT_NOT_EQUAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, steps[i]));
		CU_ASSERT_TRUE(has_vlan(da0, 5, 9001));
		CU_ASSERT_EQUAL(map_count(in_fd), 1);
		CU_ASSERT_EQUAL(map_count(eg_fd), 1);
	}

	/* Without the fault the same apply goes through; the old sub-interface goes. */
	dataplane_test_fail_after(dp, NULL);
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	CU_ASSERT_TRUE(has_vlan(da0, 5, 9002));
	CU_ASSERT_TRUE(has_vlan(da0, 6, 9003));
	CU_ASSERT_EQUAL(map_count(in_fd), 2);
	CU_ASSERT_EQUAL(map_count(eg_fd), 2);
	dataplane_test_clear_vlans(dp);
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	CU_ASSERT_EQUAL(map_count(in_fd), 0);
	CU_ASSERT_EQUAL(map_count(eg_fd), 0);
}

static bool keep_low(const void *arg, __u32 ifindex)
{
	return ifindex <= *(const __u32 *)arg;
}

/* Every stale key goes, however many: the walk used to stop after
 * TSN_MAX_PORTS of them (a fixed array), leaving the rest behind. */
static void test_prune_many_stale_keys(void)
{
	const __u32 total = 3 * TSN_MAX_PORTS, low = 10;
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "tsn_test_prune", sizeof(__u32), sizeof(__u32),
				4 * TSN_MAX_PORTS, NULL);

	CU_ASSERT_FATAL(fd >= 0);
	for (__u32 k = 1; k <= total; k++)
		CU_ASSERT_EQUAL(bpf_map_update_elem(fd, &k, &k, BPF_NOEXIST), 0);
	CU_ASSERT_EQUAL(dp_prune_ifindex_map(fd, keep_low, &low), (int)(total - low));
	CU_ASSERT_EQUAL(map_count(fd), low);
	for (__u32 k = 1; k <= low; k++) {
		__u32 v = 0;
		CU_ASSERT_EQUAL(bpf_map_lookup_elem(fd, &k, &v), 0);
	}
	close(fd);
}

static void test_auto_mode(void)
{
	char err[512], mode[16];
	bool attached;
	__u32 id;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(2, "da0:auto", "dbig0:auto")), 0);
	id = our_prog_id();
	CU_ASSERT_EQUAL(query("da0").drv_prog_id, id);		/* veth does native */
	CU_ASSERT_EQUAL(query("dbig0").skb_prog_id, id);	/* ... unless it cannot */
	port_view("da0", mode, sizeof(mode), &id, &attached);
	CU_ASSERT_STRING_EQUAL(mode, "native");
	port_view("dbig0", mode, sizeof(mode), &id, &attached);
	CU_ASSERT_STRING_EQUAL(mode, "generic");
	CU_ASSERT_TRUE(attached);

	/* auto accepts what is there; generic -> native switches in place. */
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(1, "da0:generic")), 0);
	CU_ASSERT_EQUAL(query("da0").attach_mode, XDP_ATTACHED_SKB);
	CU_ASSERT_EQUAL(query("dbig0").attach_mode, XDP_ATTACHED_NONE);
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(1, "da0:auto")), 0);
	CU_ASSERT_EQUAL(query("da0").attach_mode, XDP_ATTACHED_SKB);
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(1, "da0:native")), 0);
	CU_ASSERT_EQUAL(query("da0").attach_mode, XDP_ATTACHED_DRV);
}

static void test_foreign_program_untouched(void)
{
	static const char *const modes[] = { "dc0:generic", "dc0:native", "dc0:auto" };
	__u32 foreign_id = dataplane_prog_id(foreign_fd);
	struct snapshot before, after;
	char err[512], id_text[32];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_NOT_EQUAL_FATAL(foreign_id, 0);
	CU_ASSERT_EQUAL_FATAL(bpf_xdp_attach((int)if_nametoindex("dc0"), foreign_fd,
					     XDP_FLAGS_SKB_MODE, NULL), 0);
	take_snapshot(&before);
	snprintf(id_text, sizeof(id_text), "id %u", foreign_id);

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		CU_ASSERT_NOT_EQUAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", modes[i])), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "dc0"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, id_text));
		take_snapshot(&after);
		CU_ASSERT_TRUE(same_snapshot(&before, &after));	/* da0 rolled back too */
	}
	CU_ASSERT_EQUAL(query("dc0").skb_prog_id, foreign_id);
	CU_ASSERT_EQUAL(ports_attached(), 0);

	/* Leaving the port out is fine, and releasing ports never touches it. */
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "dc0:off")), 0);
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(0)), 0);
	CU_ASSERT_EQUAL(query("dc0").skb_prog_id, foreign_id);
	CU_ASSERT_EQUAL(bpf_xdp_detach((int)if_nametoindex("dc0"), XDP_FLAGS_SKB_MODE, NULL), 0);
}

static void test_empty_list_detaches(void)
{
	char err[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	/* xdp: off counts as not listed. */
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(2, "da0:off", "db0:native")), 0);
	CU_ASSERT_EQUAL(query("da0").attach_mode, XDP_ATTACHED_NONE);
	CU_ASSERT_EQUAL(query("db0").attach_mode, XDP_ATTACHED_DRV);
	CU_ASSERT_EQUAL(ports_attached(), 1);

	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(0)), 0);
	CU_ASSERT_TRUE(nothing_attached());
	CU_ASSERT_EQUAL(ports_attached(), 0);
	CU_ASSERT_PTR_NULL(dataplane_port_json(dp, "db0"));
}

static void test_destroy_detaches(void)
{
	char err[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(3, "da0:generic", "db0:native",
							       "dbig0:auto")), 0);
	CU_ASSERT_TRUE(all_attached());
	dataplane_destroy(dp, false);
	dp = NULL;
	CU_ASSERT_TRUE(nothing_attached());
}

/* keep-on-exit: a restarted tsnd finds its predecessor's program and takes the
 * port over (atomically in the same mode, by detach + attach in another). */
static void test_keep_attached_then_adopt(void)
{
	struct snapshot before, after;
	char err[512];
	__u32 old_id, new_id;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:generic")), 0);
	old_id = our_prog_id();
	dataplane_destroy(dp, true);
	dp = NULL;
	CU_ASSERT_EQUAL(query("da0").skb_prog_id, old_id);
	CU_ASSERT_EQUAL(query("db0").skb_prog_id, old_id);

	test_setup();
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	/* A failing apply puts the predecessor's program back, whether it was
	 * swapped in place (da0) or moved to another mode (db0). */
	take_snapshot(&before);
	CU_ASSERT_NOT_EQUAL(apply(err, sizeof(err), make_cfg(3, "da0:generic", "db0:native",
							     MISSING ":generic")), 0);
	take_snapshot(&after);
	CU_ASSERT_TRUE(same_snapshot(&before, &after));

	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	new_id = our_prog_id();
	CU_ASSERT_NOT_EQUAL(new_id, old_id);
	CU_ASSERT_EQUAL(query("da0").skb_prog_id, new_id);
	CU_ASSERT_EQUAL(query("db0").drv_prog_id, new_id);
	CU_ASSERT_EQUAL(query("db0").skb_prog_id, 0);
}

/* "r0 = TC_ACT_OK (0); exit" as a tc program, named so it is not ours. */
static int load_foreign_tc_program(void)
{
	struct bpf_insn insns[2];

	memset(insns, 0, sizeof(insns));
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
	insns[0].dst_reg = BPF_REG_0;
	insns[1].code = BPF_JMP | BPF_EXIT;
	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "foreign_tc", "GPL", insns, 2, NULL);
}

static bool has_clsact(const char *dev)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "tc qdisc show dev %s | grep -q clsact", dev);
	return system(cmd) == 0;
}

static bool tc_filter_named(const char *dev, const char *name)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "tc filter show dev %s ingress | grep -q 'name %s '", dev, name);
	return system(cmd) == 0;
}

/* The tc program rides along with XDP: on with it, off with it, and the clsact
 * qdisc tsnd added goes when tsnd's filter does. */
static void test_tc_follows_xdp(void)
{
	char err[512];
	json_object *o;

	use_hook("clsact");	/* the cls_bpf path, also on kernels with tcx */
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_FALSE(has_clsact("da0"));
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	CU_ASSERT_TRUE(tc_filter_named("da0", "tsn_tc_ingress"));
	CU_ASSERT_TRUE(tc_filter_named("db0", "tsn_tc_ingress"));
	o = dataplane_port_json(dp, "da0");
	CU_ASSERT_TRUE(json_object_get_boolean(tu_jget(o, "tc_attached")));
	json_object_put(o);
	/* A failed apply that would have added dc0 leaves no trace on it. */
	CU_ASSERT_NOT_EQUAL(apply(err, sizeof(err), make_cfg(3, "da0:generic", "dc0:generic",
							     MISSING ":generic")), 0);
	CU_ASSERT_FALSE(has_clsact("dc0"));
	CU_ASSERT_TRUE(tc_filter_named("db0", "tsn_tc_ingress"));	/* and db0 is kept */
	/* Released: filter and qdisc gone. */
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(1, "da0:generic")), 0);
	CU_ASSERT_FALSE(has_clsact("db0"));
	CU_ASSERT_TRUE(tc_filter_named("da0", "tsn_tc_ingress"));
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(0)), 0);
	CU_ASSERT_FALSE(has_clsact("da0"));
}

/* Someone else's tc filters: never replaced, and their clsact stays. */
static void test_foreign_tc_filters(void)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)if_nametoindex("dc0"),
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, at_ours, .handle = 0x7473, .priority = 0x7473);
	LIBBPF_OPTS(bpf_tc_opts, elsewhere, .handle = 1, .priority = 1);
	LIBBPF_OPTS(bpf_tc_opts, del, .handle = 0x7473, .priority = 0x7473);
	int fd = load_foreign_tc_program();
	char err[512];

	use_hook("clsact");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(bpf_tc_hook_create(&hook), 0);
	at_ours.prog_fd = fd;
	CU_ASSERT_EQUAL_FATAL(bpf_tc_attach(&hook, &at_ours), 0);
	/* tsnd's handle and priority taken by another program: refused, rolled back. */
	CU_ASSERT_NOT_EQUAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "dc0:generic")), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "another tc filter"));
	CU_ASSERT_TRUE(tc_filter_named("dc0", "foreign_tc"));
	CU_ASSERT_FALSE(has_clsact("da0"));
	CU_ASSERT_EQUAL(query("da0").attach_mode, XDP_ATTACHED_NONE);
	/* Elsewhere on the same clsact: tsnd adds its own and leaves theirs. */
	CU_ASSERT_EQUAL(bpf_tc_detach(&hook, &del), 0);
	elsewhere.prog_fd = fd;
	CU_ASSERT_EQUAL_FATAL(bpf_tc_attach(&hook, &elsewhere), 0);
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(1, "dc0:generic")), 0);
	CU_ASSERT_TRUE(tc_filter_named("dc0", "tsn_tc_ingress"));
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(0)), 0);
	CU_ASSERT_FALSE(tc_filter_named("dc0", "tsn_tc_ingress"));
	CU_ASSERT_TRUE(tc_filter_named("dc0", "foreign_tc"));
	CU_ASSERT_TRUE(has_clsact("dc0"));
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&hook);
	close(fd);
}

/* ---- tcx (kernels from 6.6) ---- */

static __u32 tc_id(void)
{
	return dataplane_prog_id(dataplane_tc_fd(dp));
}

static bool no_tcx(void)
{
	if (dataplane_kernel_has_tcx())
		return false;
	fprintf(stderr, " (no tcx in this kernel: nothing to check) ");
	return true;
}

static const char *hook_of(const char *port)
{
	static char hook[16];
	json_object *o = dataplane_port_json(dp, port);

	snprintf(hook, sizeof(hook), "%s", o ? json_object_get_string(tu_jget(o, "tc_hook")) : "");
	json_object_put(o);
	return hook;
}

/* On a kernel with tcx the tc program goes on the tcx list by default: on with
 * XDP, off with it, no clsact qdisc, nothing left by a failed apply. */
static void test_tcx_follows_xdp(void)
{
	__u32 ids[8], id;
	char err[512];
	json_object *st;

	if (no_tcx())
		return;
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	id = tc_id();
	st = dataplane_status_json(dp);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(tu_jget(st, "tc_hook")), "tcx");
	json_object_put(st);
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", "db0:native")), 0);
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 1);
	CU_ASSERT_EQUAL(ids[0], id);
	CU_ASSERT_EQUAL(tcx_ids("db0", ids, 8), 1);
	CU_ASSERT_EQUAL(ids[0], id);
	CU_ASSERT_FALSE(has_clsact("da0"));
	CU_ASSERT_FALSE(tc_filter_named("da0", "tsn_tc_ingress"));
	CU_ASSERT_STRING_EQUAL(hook_of("da0"), "tcx");
	json_object *o = dataplane_port_json(dp, "da0");
	CU_ASSERT_TRUE(json_object_get_boolean(tu_jget(o, "tc_attached")));
	json_object_put(o);
	CU_ASSERT_NOT_EQUAL(apply(err, sizeof(err), make_cfg(3, "da0:generic", "dc0:generic",
							     MISSING ":generic")), 0);
	CU_ASSERT_EQUAL(tcx_ids("dc0", ids, 8), 0);
	CU_ASSERT_EQUAL(tcx_ids("db0", ids, 8), 1);	/* kept */
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(1, "da0:generic")), 0);
	CU_ASSERT_EQUAL(tcx_ids("db0", ids, 8), 0);
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 1);
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(0)), 0);
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 0);
	/* A normal exit takes it off too. */
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(1, "da0:generic")), 0);
	dataplane_destroy(dp, false);
	dp = NULL;
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 0);
}

/* keep-on-exit on tcx: the program stays without a pin; the next tsnd replaces
 * it where it stands (after someone else's), and a failed apply puts it back. */
static void test_tcx_keep_then_adopt(void)
{
	int foreign = load_foreign_tc_program();
	__u32 ids[8], old_id, new_id;
	char err[512];

	if (no_tcx()) {
		close(foreign);
		return;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_TRUE_FATAL(foreign >= 0);
	CU_ASSERT_EQUAL_FATAL(bpf_prog_attach(foreign, (int)if_nametoindex("da0"),
					      (enum bpf_attach_type)TCX_INGRESS, 0), 0);
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(1, "da0:generic")), 0);
	old_id = tc_id();
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 2);
	CU_ASSERT_EQUAL(ids[0], dataplane_prog_id(foreign));	/* theirs first, ours appended */
	CU_ASSERT_EQUAL(ids[1], old_id);
	dataplane_destroy(dp, true);
	dp = NULL;
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 2);
	CU_ASSERT_EQUAL(ids[1], old_id);

	test_setup();
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	new_id = tc_id();
	CU_ASSERT_NOT_EQUAL(new_id, old_id);
	CU_ASSERT_NOT_EQUAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", MISSING ":generic")), 0);
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 2);
	CU_ASSERT_EQUAL(ids[1], old_id);		/* put back */
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(1, "da0:generic")), 0);
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 2);
	CU_ASSERT_EQUAL(ids[0], dataplane_prog_id(foreign));
	CU_ASSERT_EQUAL(ids[1], new_id);		/* replaced where it stood */
	CU_ASSERT_EQUAL(apply(err, sizeof(err), make_cfg(0)), 0);
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 1);	/* theirs stays */
	CU_ASSERT_EQUAL(ids[0], dataplane_prog_id(foreign));
	close(foreign);
}

/* A restart that changes the hook (TSND_TC_HOOK) moves tsnd's program from one
 * to the other, and the clsact qdisc tsnd made goes with it. */
static void test_hook_switch(void)
{
	__u32 ids[8];
	char err[512];

	if (no_tcx())
		return;
	use_hook("clsact");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_STRING_EQUAL(dataplane_tc_hook(dp), "clsact");
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(1, "da0:generic")), 0);
	CU_ASSERT_TRUE(tc_filter_named("da0", "tsn_tc_ingress"));
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 0);
	dataplane_destroy(dp, true);
	dp = NULL;

	unsetenv("TSND_TC_HOOK");
	test_setup();
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_STRING_EQUAL(dataplane_tc_hook(dp), "tcx");
	/* A failed apply leaves the clsact filter as it was. */
	CU_ASSERT_NOT_EQUAL(apply(err, sizeof(err), make_cfg(2, "da0:generic", MISSING ":generic")), 0);
	CU_ASSERT_TRUE(tc_filter_named("da0", "tsn_tc_ingress"));
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 0);
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(1, "da0:generic")), 0);
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 1);
	CU_ASSERT_EQUAL(ids[0], tc_id());
	CU_ASSERT_FALSE(tc_filter_named("da0", "tsn_tc_ingress"));
	CU_ASSERT_FALSE(has_clsact("da0"));
	dataplane_destroy(dp, true);
	dp = NULL;

	use_hook("clsact");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_EQUAL_FATAL(apply(err, sizeof(err), make_cfg(1, "da0:generic")), 0);
	CU_ASSERT_TRUE(tc_filter_named("da0", "tsn_tc_ingress"));
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 0);
	dataplane_destroy(dp, false);
	dp = NULL;
	CU_ASSERT_FALSE(has_clsact("da0"));
	CU_ASSERT_EQUAL(tcx_ids("da0", ids, 8), 0);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite_with_setup_and_teardown("dataplane", suite_init, suite_cleanup,
						     test_setup, test_teardown);
	if (!suite ||
	    !CU_add_test(suite, "create loads the program", test_create_loads_program) ||
	    !CU_add_test(suite, "attach generic and native", test_attach_generic_and_native) ||
	    !CU_add_test(suite, "counters follow traffic", test_counters_follow_traffic) ||
	    !CU_add_test(suite, "missing port rolls back", test_missing_port_rolls_back) ||
	    !CU_add_test(suite, "kernel attach error rolls back", test_attach_error_rolls_back) ||
	    !CU_add_test(suite, "VLAN entries roll back", test_vlan_entries_roll_back) ||
	    !CU_add_test(suite, "prune many stale keys", test_prune_many_stale_keys) ||
	    !CU_add_test(suite, "auto mode", test_auto_mode) ||
	    !CU_add_test(suite, "foreign program untouched", test_foreign_program_untouched) ||
	    !CU_add_test(suite, "empty port list detaches", test_empty_list_detaches) ||
	    !CU_add_test(suite, "destroy detaches", test_destroy_detaches) ||
	    !CU_add_test(suite, "keep attached, then adopt", test_keep_attached_then_adopt) ||
	    !CU_add_test(suite, "tc follows XDP", test_tc_follows_xdp) ||
	    !CU_add_test(suite, "foreign tc filters untouched", test_foreign_tc_filters) ||
	    !CU_add_test(suite, "tcx follows XDP", test_tcx_follows_xdp) ||
	    !CU_add_test(suite, "tcx: keep attached, then adopt", test_tcx_keep_then_adopt) ||
	    !CU_add_test(suite, "tc hook switch across restarts", test_hook_switch)) {
		CU_cleanup_registry();
		return 2;
	}
	return tu_run_tests();
}
