/* SPDX-License-Identifier: GPL-2.0-only */
/* test_dataplane_pin.c — dataplane.pin-dir: maps and programs pinned on bpffs,
 * reused by the next tsnd when it keeps the programs attached, moved when the
 * directory changes, removed on a normal stop.
 *
 * The test runs in a mount namespace and a network namespace of its own and pins
 * into a private bpffs mounted on a temporary directory, so it never touches
 * /sys/fs/bpf.  Needs root. */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "bpf_frames.h"
#include "dataplane.h"
#include "test_util.h"
#include "tsn/log.h"

static char root[64] = "/tmp/tsnd-pin-XXXXXX";	/* the private bpffs */
static char pin_a[128], pin_b[128];
static struct dataplane *dp;

static const char *const cfg_text =
	"ports:\n"
	"  - { name: pa0, xdp: generic }\n"
	"streams:\n"
	"  - { id: 5, identification: ipv6, dst: \"2001:db8::5\", priority: 6 }\n"
	"dataplane:\n"
	"  pin-dir: %s\n"
	"  keep-on-exit: true\n";

/* cfg_text with a second stream, 6 (counter slots after a restart). */
static const char *const cfg_text_6 =
	"ports:\n"
	"  - { name: pa0, xdp: generic }\n"
	"streams:\n"
	"  - { id: 5, identification: ipv6, dst: \"2001:db8::5\", priority: 6 }\n"
	"  - { id: 6, identification: ipv6, dst: \"2001:db8::6\", priority: 6 }\n"
	"dataplane:\n"
	"  pin-dir: %s\n"
	"  keep-on-exit: true\n";

static struct tsn_config *config_text(bool with_6, const char *pin_dir)
{
	struct tsn_diags diags;
	struct tsn_config *cfg;
	char yaml[1024];

	if (with_6)
		snprintf(yaml, sizeof(yaml), cfg_text_6, pin_dir);
	else
		snprintf(yaml, sizeof(yaml), cfg_text, pin_dir);
	tsn_diags_init(&diags, "pin.yaml");
	cfg = tsn_config_parse(yaml, strlen(yaml), "pin.yaml", &diags);
	if (!cfg)
		tsn_diags_print(&diags, stderr);
	tsn_diags_free(&diags);
	return cfg;
}

static struct tsn_config *config(const char *pin_dir)
{
	return config_text(false, pin_dir);
}

static bool exists(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static __u32 obj_id(const char *path)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);
	__u32 id = 0;

	memset(&info, 0, sizeof(info));
	if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		id = info.id;
	if (fd >= 0)
		close(fd);
	return id;
}

static __u32 map_id(const struct dataplane *d, const char *name)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	bpf_obj_get_info_by_fd(dataplane_map_fd(d, name), &info, &len);
	return info.id;
}

/* Packets of stream 5 as the pinned counters map says, in the slot the live
 * tsnd (dp) keeps for it. */
static uint64_t pinned_stream_packets(const char *dir)
{
	char path[256];
	int ncpus = libbpf_num_possible_cpus(), fd, slot = dataplane_stream_slot(dp, 5);
	struct tsn_stream_counters v;
	uint64_t sum = 0;

	snprintf(path, sizeof(path), "%s/tsn_strm_stats", dir);
	fd = bpf_obj_get(path);
	for (int c = 0; fd >= 0 && slot >= 0 && c < ncpus; c++) {
		__u32 key = (__u32)c * TSN_MAX_STREAMS + (__u32)slot;

		if (bpf_map_lookup_elem(fd, &key, &v) == 0)
			sum += v.packets;
	}
	if (fd >= 0)
		close(fd);
	return sum;
}

static void send_stream_frame(const struct dataplane *d)
{
	struct xdp_result r;
	struct fb f;

	fb_eth(&f, fb_mac_a, fb_mac_b);
	fb_ipv6(&f, "2001:db8::1", "2001:db8::5", 64, 0);
	fb_udp(&f, 1, 2, 10);
	fb_done(&f);
	struct tsn_stream_counters s0 = { 0 }, s1 = { 0 };

	dataplane_stream_counters(d, 5, &s0);
	xdp_run(dataplane_xdp_fd(d), (int)if_nametoindex("pa0"), f.b, f.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	if (dataplane_xdp_meta_ok())
		CU_ASSERT_EQUAL(r.meta.stream_id, 5);
	/* and counted as stream 5's, which is all there is to see without metadata */
	CU_ASSERT_EQUAL(dataplane_stream_counters(d, 5, &s1), 0);
	CU_ASSERT_EQUAL(s1.packets, s0.packets + 1);
}

static int suite_init(void)
{
	tsn_log_setup("test_dataplane_pin", TSN_LOG_STDERR,
		      getenv("TSN_TEST_DEBUG") ? TSN_LOG_DEBUG : TSN_LOG_ERR);
	if (tu_netns_enter() < 0)
		return -1;
	/* Mounts made from here on stay in this process's namespace. */
	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		perror("private mount namespace");
		return -1;
	}
	if (!mkdtemp(root) || mount("bpf", root, "bpf", 0, "mode=0755") < 0) {
		perror("bpffs on a temporary directory");
		return -1;
	}
	snprintf(pin_a, sizeof(pin_a), "%s/a/tsnd", root);
	snprintf(pin_b, sizeof(pin_b), "%s/b", root);
	/* No IPv6 addresses on the pair: the kernel's own ND and MLD frames would
	 * count on pa0 between two reads of its counters (seen under emulation). */
	return tu_sh("ip link add pa0 type veth peer name pa1 && ip link set pa0 addrgenmode none && "
		     "ip link set pa1 addrgenmode none && ip link set pa0 up && ip link set pa1 up");
}

static int suite_cleanup(void)
{
	dataplane_destroy(dp, false);
	umount2(root, MNT_DETACH);
	rmdir(root);
	tu_netns_leave();
	return 0;
}

static void test_pins_and_modes(void)
{
	static const char *const names[] = { "tsn_gen", "tsn_rules", "tsn_ethertype", "tsn_ports",
					     "tsn_mac_strm", "tsn_ip6_strm", "tsn_strm_stats",
					     "port_stats", "tsn_vlan_in", "tsn_egress", "tsn_tx_ports",
					     "tsn_xdp", "tsn_tc_ingress" };
	struct tsn_config *cfg = config(pin_a);
	char err[512], path[256];
	struct stat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	dp = dataplane_create(cfg, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_EQUAL(dataplane_apply(dp, cfg, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!exists(pin_a, names[i]))
			fprintf(stderr, "\n  %s/%s is missing", pin_a, names[i]);
		CU_ASSERT_TRUE(exists(pin_a, names[i]));
	}
	/* The directory is root's only; so is every pin. */
	CU_ASSERT_EQUAL(stat(pin_a, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/tsn_ip6_strm", pin_a);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 077, 0);
	/* The pin is the map the program uses. */
	CU_ASSERT_EQUAL(obj_id(path), map_id(dp, "tsn_ip6_strm"));
	tsn_config_free(cfg);
}

/* keep-on-exit, then a new tsnd: the same maps, counters carry on. */
static void test_reuse_after_keep(void)
{
	struct tsn_config *cfg = config(pin_a);
	__u32 before_id;
	char err[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	send_stream_frame(dp);
	send_stream_frame(dp);
	CU_ASSERT_EQUAL(pinned_stream_packets(pin_a), 2);
	before_id = map_id(dp, "tsn_strm_stats");
	dataplane_destroy(dp, true);
	dp = NULL;
	CU_ASSERT_TRUE(exists(pin_a, "tsn_strm_stats"));
	CU_ASSERT_TRUE(exists(pin_a, "tsn_xdp"));

	dp = dataplane_create(cfg, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_EQUAL(map_id(dp, "tsn_strm_stats"), before_id);
	CU_ASSERT_EQUAL(dataplane_apply(dp, cfg, err, sizeof(err)), 0);
	send_stream_frame(dp);
	CU_ASSERT_EQUAL(pinned_stream_packets(pin_a), 3);
	/* The pinned program is the new one. */
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/tsn_xdp", pin_a);
		int fd = bpf_obj_get(path);
		struct bpf_prog_info pi;
		__u32 len = sizeof(pi), mine_len = sizeof(pi);
		struct bpf_prog_info mine;

		memset(&pi, 0, sizeof(pi));
		memset(&mine, 0, sizeof(mine));
		CU_ASSERT_TRUE(fd >= 0);
		bpf_obj_get_info_by_fd(fd, &pi, &len);
		bpf_obj_get_info_by_fd(dataplane_xdp_fd(dp), &mine, &mine_len);
		CU_ASSERT_EQUAL(pi.id, mine.id);
		if (fd >= 0)
			close(fd);
	}
	tsn_config_free(cfg);
}

/* Counter slots after a restart with keep-on-exit: rebuilt from the pinned
 * tables, so stream 5 and port pa0 keep theirs (and their counts); a slot the
 * predecessor may have left counts in is zeroed before a new stream gets it. */
static void test_slots_after_keep(void)
{
	struct tsn_config *cfg = config(pin_a), *cfg6 = config_text(true, pin_a);
	struct tsn_stream_counters sc;
	struct port_counters before, after;
	int slot5, pslot, ncpus = libbpf_num_possible_cpus(), fd, pa0 = (int)if_nametoindex("pa0");
	__u32 stale_slot;
	char err[512], path[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_FATAL(cfg && cfg6 && ncpus > 0);
	CU_ASSERT_EQUAL_FATAL(dataplane_apply(dp, cfg, err, sizeof(err)), 0);
	send_stream_frame(dp);
	slot5 = dataplane_stream_slot(dp, 5);
	pslot = dataplane_port_slot(dp, pa0);
	CU_ASSERT_FATAL(slot5 >= 0 && pslot > 0);
	CU_ASSERT_EQUAL(dataplane_port_counters(dp, pa0, &before), 0);
	CU_ASSERT_TRUE(before.kind[TSN_KIND_IPV6].packets > 0);
	/* Counts in the lowest free slot, as a predecessor could leave them. */
	stale_slot = slot5 == 0 ? 1 : 0;
	snprintf(path, sizeof(path), "%s/tsn_strm_stats", pin_a);
	fd = bpf_obj_get(path);
	CU_ASSERT_FATAL(fd >= 0);
	for (int c = 0; c < ncpus; c++) {
		struct tsn_stream_counters junk = { .packets = 77, .bytes = 7777, .drops = 7 };
		__u32 key = (__u32)c * TSN_MAX_STREAMS + stale_slot;

		CU_ASSERT_EQUAL(bpf_map_update_elem(fd, &key, &junk, BPF_ANY), 0);
	}
	close(fd);

	dataplane_destroy(dp, true);
	dp = dataplane_create(cfg, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	/* Known before the first apply: rebuilt from the pinned tables. */
	CU_ASSERT_EQUAL(dataplane_stream_slot(dp, 5), slot5);
	CU_ASSERT_EQUAL(dataplane_port_slot(dp, pa0), pslot);
	CU_ASSERT_EQUAL(dataplane_port_counters(dp, pa0, &after), 0);
	CU_ASSERT_EQUAL(memcmp(&before, &after, sizeof(before)), 0);
	CU_ASSERT_EQUAL(dataplane_apply(dp, cfg6, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(dataplane_stream_slot(dp, 5), slot5);
	CU_ASSERT_EQUAL(dataplane_stream_slot(dp, 6), (int)stale_slot);
	CU_ASSERT_EQUAL(dataplane_stream_counters(dp, 6, &sc), 0);
	CU_ASSERT_EQUAL(sc.packets, 0);
	CU_ASSERT_EQUAL(sc.bytes, 0);
	CU_ASSERT_EQUAL(sc.drops, 0);
	CU_ASSERT_EQUAL(dataplane_port_slot(dp, pa0), pslot);
	/* Back to the test file's configuration for the tests after this one. */
	CU_ASSERT_EQUAL(dataplane_apply(dp, cfg, err, sizeof(err)), 0);
	tsn_config_free(cfg);
	tsn_config_free(cfg6);
}

/* A pin of another layout (another tsnd version) is replaced, not reused. */
static void test_incompatible_pin_replaced(void)
{
	struct tsn_config *cfg = config(pin_a);
	char err[512], path[256];
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	dataplane_destroy(dp, true);
	snprintf(path, sizeof(path), "%s/tsn_gen", pin_a);
	unlink(path);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "tsn_gen", 4, 4, 3, NULL);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(bpf_obj_pin(fd, path), 0);
	dp = dataplane_create(cfg, err, sizeof(err));
	if (!dp)
		fprintf(stderr, "\n  %s", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_NOT_EQUAL(obj_id(path), 0);
	CU_ASSERT_EQUAL(obj_id(path), map_id(dp, "tsn_gen"));
	close(fd);
	CU_ASSERT_EQUAL(dataplane_apply(dp, cfg, err, sizeof(err)), 0);
	tsn_config_free(cfg);
}

/* A new pin-dir on reload: pinned there, gone from the old one. */
static void test_pin_dir_moves(void)
{
	struct tsn_config *cfg = config(pin_b);
	char err[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(dataplane_apply(dp, cfg, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(exists(pin_b, "tsn_ip6_strm"));
	CU_ASSERT_TRUE(exists(pin_b, "tsn_tc_ingress"));
	CU_ASSERT_FALSE(exists(pin_a, "tsn_ip6_strm"));
	CU_ASSERT_EQUAL(access(pin_a, F_OK), -1);	/* the empty directory went too */
	tsn_config_free(cfg);
}

/* A normal stop removes every pin and the directory. */
static void test_stop_unpins(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	dataplane_destroy(dp, false);
	dp = NULL;
	CU_ASSERT_EQUAL(access(pin_b, F_OK), -1);
}

/* A pin-dir that is not on bpffs is refused with a reason. */
static void test_not_bpffs(void)
{
	struct tsn_config *cfg = config("/tmp/tsnd-not-bpffs/x");
	char err[512];
	struct dataplane *d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	d = dataplane_create(cfg, err, sizeof(err));
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not on a bpf filesystem"));
	dataplane_destroy(d, false);
	tsn_config_free(cfg);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("dataplane_pin", suite_init, suite_cleanup);
	if (!suite ||
	    !CU_add_test(suite, "pins and modes", test_pins_and_modes) ||
	    !CU_add_test(suite, "reused after keep-on-exit", test_reuse_after_keep) ||
	    !CU_add_test(suite, "counter slots after keep-on-exit", test_slots_after_keep) ||
	    !CU_add_test(suite, "incompatible pin replaced", test_incompatible_pin_replaced) ||
	    !CU_add_test(suite, "pin-dir moves on reload", test_pin_dir_moves) ||
	    !CU_add_test(suite, "a normal stop unpins", test_stop_unpins) ||
	    !CU_add_test(suite, "pin-dir must be on bpffs", test_not_bpffs)) {
		CU_cleanup_registry();
		return 2;
	}
	return tu_run_tests();
}
