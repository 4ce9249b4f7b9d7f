/* SPDX-License-Identifier: GPL-2.0-only */
/* test_bpf_bridge.c — the bridge's XDP fast path (bpf/bridge.bpf.c, tables by
 * daemon/dataplane/bridge_fast.c) through tsn_xdp, which tail-calls it.
 *
 * BPF_PROG_RUN with exact output bytes for what XDP does to a frame (tag pushed,
 * rewritten, PCP from the port's map, priority-tagged frames, the gated path's
 * metadata), and every case handed to the kernel unchanged; then real frames on
 * veth pairs for what happens per egress port (the devmap broadcast, the untag
 * program of untagged members, no hairpin, the tc path through each egress
 * qdisc).  The bridge section is filled in by hand (the parser of `bridge:` is
 * another helper's).  Needs root.
 *
 *   b1 (ingress) .. b4: tsnd ports, xdp native; peers b1p .. b4p
 *   VLAN 10: b1, b2 untagged; b3, b4 tagged.   VLAN 20: b1, b2, b4 tagged; b3 untagged
 *   b1: PVID 10, default priority 2, PCP p -> priority (p + 1) & 7
 *   b4: a schedule that gates class 1 (priorities 5..7)
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "bpf_frames.h"
#include "bridge_fast.h"
#include "dataplane.h"
#include "test_util.h"
#include "tsn/bpf_bridge.h"
#include "tsn/log.h"
#include "dp_skel.h"

static struct dataplane *dp;
static int if_1, if_2, if_3, if_4;
static int pass_prog = -1;

static const uint8_t mac_talker[6] = { 0x02, 0, 0, 0, 0x01, 0x10 };
static const uint8_t mac_uni[6] = { 0x02, 0, 0, 0, 0x99, 0x01 };	/* behind b2 */
static const uint8_t mac_back[6] = { 0x02, 0, 0, 0, 0x99, 0x02 };	/* behind b1 itself */
static const uint8_t mac_gated[6] = { 0x02, 0, 0, 0, 0x99, 0x03 };	/* behind b4 */
static const uint8_t mac_mc[6] = { 0x01, 0x0c, 0xcd, 0x01, 0x00, 0x01 };	/* GOOSE-like group */
static const uint8_t mac_mcg[6] = { 0x01, 0x0c, 0xcd, 0x01, 0x00, 0x02 };	/* gated group */
static const uint8_t mac_unknown[6] = { 0x02, 0, 0, 0, 0x77, 0x77 };
static const uint8_t mac_stp[6] = { 0x01, 0x80, 0xc2, 0, 0, 0x00 };
static const uint8_t mac_lldp[6] = { 0x01, 0x80, 0xc2, 0, 0, 0x0e };

/* The ports, in XDP mode xdp_mode ("native" or "generic"), then extra_yaml. */
static const char *xdp_mode = "native";
static const char *extra_yaml = "";
static const char *const cfg_ports_fmt =
	"ports:\n"
	"  - { name: b1, xdp: %1$s }\n"
	"  - { name: b2, xdp: %1$s }\n"
	"  - { name: b3, xdp: %1$s }\n"
	"  - name: b4\n"
	"    xdp: %1$s\n"
	"    schedule:\n"
	"      num-tc: 2\n"
	"      map: [0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]\n"
	"      queues: [\"1@0\", \"1@1\"]\n"
	"      entries:\n"
	"        - { gates: [0, 1], interval: 300us }\n"
	"        - { gates: [0], interval: 700us }\n";

/* ---- the bridge section, by hand ---- */

static struct tsn_cfg_bridge_vlan vl_1[] = { { 10, true }, { 20, false } };
static struct tsn_cfg_bridge_vlan vl_2[] = { { 10, true }, { 20, false } };
static struct tsn_cfg_bridge_vlan vl_3[] = { { 10, false }, { 20, true } };
static struct tsn_cfg_bridge_vlan vl_4[] = { { 10, false }, { 20, false } };
static struct tsn_cfg_bridge_port br_ports[4];
static struct tsn_cfg_bridge_fdb br_fdb[8];

static void fdb_entry(size_t i, const uint8_t mac[6], uint32_t vid, const char *p0, const char *p1,
		      const char *p2, const char *p3)
{
	const char *ps[] = { p0, p1, p2, p3 };

	memset(&br_fdb[i], 0, sizeof(br_fdb[i]));
	memcpy(br_fdb[i].mac.addr, mac, 6);
	br_fdb[i].vid = vid;
	for (int k = 0; k < 4 && ps[k]; k++)
		snprintf(br_fdb[i].ports[br_fdb[i].n_ports++], IFNAMSIZ, "%s", ps[k]);
}

/* The VLAN-aware bridge of the file comment; entries 0..5. */
static void bridge_aware(struct tsn_cfg_bridge *b)
{
	struct tsn_cfg_bridge_vlan *vls[] = { vl_1, vl_2, vl_3, vl_4 };

	memset(br_ports, 0, sizeof(br_ports));
	for (int i = 0; i < 4; i++) {
		snprintf(br_ports[i].name, IFNAMSIZ, "b%d", i + 1);
		br_ports[i].pvid = 10;
		br_ports[i].vlans = vls[i];
		br_ports[i].n_vlans = 2;
		for (int p = 0; p < 8; p++)
			br_ports[i].pcp_map[p] = (uint32_t)(i == 0 ? (p + 1) & 7 : p);
	}
	br_ports[0].default_priority = 2;
	fdb_entry(0, mac_uni, 10, "b2", NULL, NULL, NULL);
	fdb_entry(1, mac_mc, 10, "b1", "b2", "b3", "b4");
	fdb_entry(2, mac_back, 20, "b1", NULL, NULL, NULL);
	fdb_entry(3, mac_mc, 20, "b2", "b3", NULL, NULL);
	fdb_entry(4, mac_gated, 10, "b4", NULL, NULL, NULL);
	fdb_entry(5, mac_mcg, 10, "b2", "b3", "b4", NULL);
	memset(b, 0, sizeof(*b));
	b->enabled = true;
	snprintf(b->name, IFNAMSIZ, "br0");
	b->vlan_filtering = true;
	b->ports = br_ports;
	b->n_ports = 4;
	b->fdb = br_fdb;
	b->n_fdb = 6;
}

/* The ports' YAML with the bridge section fill makes (NULL: none) through
 * dataplane_apply.  0 or its error. */
static int apply_bridge(void (*fill)(struct tsn_cfg_bridge *), char *err, size_t errlen)
{
	struct tsn_diags diags;
	struct tsn_config *cfg;
	char yaml[2048];
	int rc;

	snprintf(yaml, sizeof(yaml), cfg_ports_fmt, xdp_mode);
	snprintf(yaml + strlen(yaml), sizeof(yaml) - strlen(yaml), "%s", extra_yaml);
	tsn_diags_init(&diags, "test.yaml");
	cfg = tsn_config_parse(yaml, strlen(yaml), "test.yaml", &diags);
	if (!cfg) {
		tsn_diags_print(&diags, stderr);
		tsn_diags_free(&diags);
		snprintf(err, errlen, "configuration invalid");
		return -EINVAL;
	}
	tsn_diags_free(&diags);
	if (fill)
		fill(&cfg->bridge);
	rc = dataplane_apply(dp, cfg, err, errlen);
	if (rc < 0)
		fprintf(stderr, "\n  apply: %s", err);
	/* The arrays are the test's, not the parser's. */
	memset(&cfg->bridge, 0, sizeof(cfg->bridge));
	tsn_config_free(cfg);
	return rc;
}

/* ---- helpers ---- */

static uint64_t verdict(unsigned v)
{
	return bridge_fast_verdict(dataplane_bridge(dp), v);
}

static uint64_t entry_packets(const uint8_t mac[6], uint32_t vid, uint64_t *bytes)
{
	uint64_t packets = 0, b = 0;

	bridge_fast_counters(dataplane_bridge(dp), mac, vid, &packets, &b);
	if (bytes)
		*bytes = b;
	return packets;
}

/* A frame to dst from the talker: untagged (pcp < 0), or tagged with tpid. */
static void frame(struct fb *f, const uint8_t dst[6], int tpid, unsigned pcp, unsigned vid)
{
	fb_eth(f, dst, mac_talker);
	if (tpid > 0)
		fb_vlan(f, (unsigned)tpid, pcp, vid);
	fb_ethertype(f, 0x88b8, 60);	/* GOOSE */
}

/* What f becomes with tag tci in front of its EtherType (f untagged). */
static void pushed(const struct fb *f, struct fb *want, unsigned tci)
{
	memcpy(want->b, f->b, 12);
	fb_put16(want->b + 12, 0x8100);
	fb_put16(want->b + 14, tci);
	memcpy(want->b + 16, f->b + 12, f->len - 12);
	want->len = f->len + 4;
}

/* What f becomes with its tag's TCI replaced (f tagged). */
static void retagged(const struct fb *f, struct fb *want, unsigned tci)
{
	*want = *f;
	fb_put16(want->b + 14, tci);
}

/* Run f into b1's tsn_xdp; the kernel must get it unchanged, counted as v. */
#define EXPECT_PASS(f, v) expect_pass(f, v, #v, __LINE__)

static void expect_pass(const struct fb *f, unsigned v, const char *name, int line)
{
	uint64_t before = verdict(v);
	struct xdp_result r;

	xdp_run(dataplane_xdp_fd(dp), if_1, f->b, f->len, &r);
	if (r.verdict != XDP_PASS || verdict(v) != before + 1)
		fprintf(stderr, "\n  line %d: verdict %d (err %d), %s %llu -> %llu", line, r.verdict, r.err,
			name, (unsigned long long)before, (unsigned long long)verdict(v));
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_EQUAL(verdict(v), before + 1);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, f->b, f->len, name));
	CU_ASSERT_TRUE(r.has_meta);
	CU_ASSERT_FALSE(r.meta.flags & (TSN_META_BRIDGE | TSN_META_TO_QDISC));
}

/* Run f into b1's tsn_xdp: XDP_REDIRECT with exactly want's bytes. */
#define EXPECT_FWD(f, want) expect_fwd(f, want, __LINE__)

static void expect_fwd(const struct fb *f, const struct fb *want, int line)
{
	uint64_t before = verdict(TSN_BR_FWD_XDP);
	struct xdp_result r;

	xdp_run(dataplane_xdp_fd(dp), if_1, f->b, f->len, &r);
	if (r.verdict != XDP_REDIRECT)
		fprintf(stderr, "\n  line %d: verdict %d (err %d), want XDP_REDIRECT", line, r.verdict, r.err);
	CU_ASSERT_EQUAL(r.verdict, XDP_REDIRECT);
	CU_ASSERT_EQUAL(verdict(TSN_BR_FWD_XDP), before + 1);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, want->b, want->len, "forwarded frame"));
}

/* ---- BPF_PROG_RUN ---- */

/* Untagged in: PVID 10, the default priority 2, tag pushed (b2, the entry's only
 * port, pops it again on the way out: the veth tests). */
static void test_push(void)
{
	struct fb f, want;
	uint64_t bytes0, bytes1, n0 = entry_packets(mac_uni, 10, &bytes0);

	CU_ASSERT_EQUAL_FATAL(apply_bridge(bridge_aware, (char[256]){ 0 }, 256), 0);
	frame(&f, mac_uni, -1, 0, 0);
	pushed(&f, &want, (2u << 13) | 10);
	EXPECT_FWD(&f, &want);
	CU_ASSERT_EQUAL(entry_packets(mac_uni, 10, &bytes1), n0 + 1);
	CU_ASSERT_EQUAL(bytes1, bytes0 + f.len);
}

/* Tagged in: the VID stays, PCP through b1's map (p -> p + 1), DEI kept. */
static void test_rewrite_pcp(void)
{
	struct fb f, want;

	for (unsigned pcp = 0; pcp < 8; pcp++) {
		frame(&f, mac_uni, 0x8100, pcp, 10);
		retagged(&f, &want, (((pcp + 1) & 7) << 13) | 10);
		EXPECT_FWD(&f, &want);
	}
	frame(&f, mac_uni, 0x8100, 3, 10);
	f.b[14] |= 0x10;	/* DEI */
	retagged(&f, &want, (4u << 13) | 0x1000 | 10);
	EXPECT_FWD(&f, &want);
}

/* Priority-tagged (VID 0): the PVID, the PCP through the map. */
static void test_priority_tagged(void)
{
	struct fb f, want;

	frame(&f, mac_uni, 0x8100, 5, 0);
	retagged(&f, &want, (6u << 13) | 10);
	EXPECT_FWD(&f, &want);
	/* A multicast entry of VLAN 20, tagged in. */
	frame(&f, mac_mc, 0x8100, 1, 20);
	retagged(&f, &want, (2u << 13) | 20);
	EXPECT_FWD(&f, &want);
}

/* Everything the fast path does not take goes to the kernel's bridge unchanged. */
static void test_to_kernel(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	struct fb f;

	frame(&f, mac_uni, 0x8100, 0, 30);		/* b1 is not in VLAN 30 */
	EXPECT_PASS(&f, TSN_BR_PASS_VLAN);
	frame(&f, mac_uni, 0x8100, 0, 4095);
	EXPECT_PASS(&f, TSN_BR_PASS_VLAN);
	frame(&f, mac_unknown, -1, 0, 0);		/* unknown MAC: learning, flooding */
	EXPECT_PASS(&f, TSN_BR_PASS_MISS);
	frame(&f, mac_uni, 0x8100, 0, 20);		/* known MAC, other VID */
	EXPECT_PASS(&f, TSN_BR_PASS_MISS);
	frame(&f, mac_stp, -1, 0, 0);
	EXPECT_PASS(&f, TSN_BR_PASS_LINK_LOCAL);
	frame(&f, mac_lldp, 0x8100, 7, 10);
	EXPECT_PASS(&f, TSN_BR_PASS_LINK_LOCAL);
	/* QinQ: an 802.1ad outer tag, even over a known (MAC, inner VID). */
	fb_eth(&f, mac_uni, mac_talker);
	fb_vlan(&f, 0x88a8, 0, 100);
	fb_vlan(&f, 0x8100, 0, 10);
	fb_ethertype(&f, 0x88b8, 60);
	EXPECT_PASS(&f, TSN_BR_PASS_QINQ);
	/* Cut inside its tag. */
	frame(&f, mac_uni, 0x8100, 0, 10);
	f.len = 16;
	EXPECT_PASS(&f, TSN_BR_PASS_MALFORMED);
	/* A group address as source. */
	frame(&f, mac_uni, -1, 0, 0);
	f.b[6] |= 1;
	EXPECT_PASS(&f, TSN_BR_PASS_MALFORMED);
}

/* The entry's only port is the ingress port: filtered, as the kernel does. */
static void test_hairpin(void)
{
	struct fb f;
	struct xdp_result r;
	uint64_t before = verdict(TSN_BR_DROP_HAIRPIN);

	frame(&f, mac_back, 0x8100, 0, 20);
	xdp_run(dataplane_xdp_fd(dp), if_1, f.b, f.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_DROP);
	CU_ASSERT_EQUAL(verdict(TSN_BR_DROP_HAIRPIN), before + 1);
}

/* A class b4's schedule gates (priorities 5..7): XDP_PASS with the metadata
 * tsn_br_tc needs, the frame already tagged as the entry wants it. */
static void test_gated(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	struct fb f, want;
	struct xdp_result r;
	uint64_t before = verdict(TSN_BR_FWD_QDISC);

	frame(&f, mac_gated, 0x8100, 4, 10);		/* priority 5 */
	retagged(&f, &want, (5u << 13) | 10);
	xdp_run(dataplane_xdp_fd(dp), if_1, f.b, f.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_EQUAL(verdict(TSN_BR_FWD_QDISC), before + 1);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, want.b, want.len, "gated frame"));
	CU_ASSERT_TRUE(r.has_meta);
	CU_ASSERT_EQUAL(r.meta.flags & (TSN_META_BRIDGE | TSN_META_TO_QDISC), TSN_META_BRIDGE);
	CU_ASSERT_EQUAL(r.meta.priority, 5);
	CU_ASSERT_TRUE(r.meta.egress_ifindex < TSN_BR_SLOTS);
	/* Untagged: pushed, priority 2 is not gated: XDP. */
	frame(&f, mac_gated, -1, 0, 0);
	pushed(&f, &want, (2u << 13) | 10);
	EXPECT_FWD(&f, &want);
	/* Multicast with one gated port among three: all of it through the qdiscs. */
	frame(&f, mac_mcg, 0x8100, 6, 10);		/* priority 7 */
	retagged(&f, &want, (7u << 13) | 10);
	xdp_run(dataplane_xdp_fd(dp), if_1, f.b, f.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, want.b, want.len, "gated multicast"));
	CU_ASSERT_EQUAL(r.meta.flags & TSN_META_BRIDGE, TSN_META_BRIDGE);
}

/* A stream tsn_xdp identified keeps its priority (the PCP in the tag is the
 * stream's, not the port map's). */
static void test_stream_priority(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	struct fb f, want;

	extra_yaml = "streams:\n"
		     "  - { id: 9, identification: dst-mac-vlan, dst-mac: \"02:00:00:00:99:01\", vlan: 10,\n"
		     "      priority: 6 }\n";
	CU_ASSERT_EQUAL(apply_bridge(bridge_aware, (char[256]){ 0 }, 256), 0);
	extra_yaml = "";
	frame(&f, mac_uni, 0x8100, 0, 10);
	retagged(&f, &want, (6u << 13) | 10);
	EXPECT_FWD(&f, &want);
	/* Not the stream (another VID): the port's map again. */
	frame(&f, mac_mc, 0x8100, 0, 20);
	retagged(&f, &want, (1u << 13) | 20);
	EXPECT_FWD(&f, &want);
	CU_ASSERT_EQUAL_FATAL(apply_bridge(bridge_aware, (char[256]){ 0 }, 256), 0);
}

/* Frames to b1's own MAC are the router's, never the bridge's. */
static void test_own_mac(void)
{
	struct fb f;
	struct xdp_result r;
	uint8_t own[6];
	char cmd[64];
	json_object *arr;
	uint64_t total = 0, after = 0;

	snprintf(cmd, sizeof(cmd), "ip -j link show b1");
	arr = tu_sh_json(cmd);
	CU_ASSERT_FATAL(arr != NULL);
	sscanf(json_object_get_string(tu_jget(json_object_array_get_idx(arr, 0), "address")),
	       "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &own[0], &own[1], &own[2], &own[3], &own[4], &own[5]);
	json_object_put(arr);
	for (unsigned v = 0; v < TSN_BR_VERDICTS; v++)
		total += verdict(v);
	frame(&f, own, -1, 0, 0);
	xdp_run(dataplane_xdp_fd(dp), if_1, f.b, f.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	for (unsigned v = 0; v < TSN_BR_VERDICTS; v++)
		after += verdict(v);
	CU_ASSERT_EQUAL(after, total);	/* tsn_br_xdp never ran */
}

/* Without VLAN filtering: entries of VID 0, frames leave as they came. */
static void bridge_unaware(struct tsn_cfg_bridge *b)
{
	bridge_aware(b);
	b->vlan_filtering = false;
	fdb_entry(0, mac_uni, 0, "b2", NULL, NULL, NULL);
	fdb_entry(1, mac_mc, 0, "b1", "b2", "b3", NULL);
	b->n_fdb = 2;
}

static void test_vlan_unaware(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	struct fb f;

	CU_ASSERT_EQUAL_FATAL(apply_bridge(bridge_unaware, (char[256]){ 0 }, 256), 0);
	frame(&f, mac_uni, -1, 0, 0);
	EXPECT_FWD(&f, &f);
	frame(&f, mac_mc, 0x8100, 3, 10);
	EXPECT_FWD(&f, &f);
	frame(&f, mac_gated, -1, 0, 0);
	EXPECT_PASS(&f, TSN_BR_PASS_MISS);
	/* The old generation is gone; counters of removed entries too. */
	CU_ASSERT_FALSE(bridge_fast_has(dataplane_bridge(dp), mac_gated, 10, 0));
	CU_ASSERT_FALSE(bridge_fast_has(dataplane_bridge(dp), mac_gated, 10, 1));
	CU_ASSERT_EQUAL(entry_packets(mac_uni, 10, NULL), 0);
	CU_ASSERT_EQUAL(entry_packets(mac_uni, 0, NULL), 1);
}

/* A reload without the bridge section: the hooks are empty, tsn_br_xdp never
 * runs, every frame goes to the kernel unchanged. */
static uint64_t all_verdicts(void)
{
	uint64_t sum = 0;

	for (unsigned v = 0; v < TSN_BR_VERDICTS; v++)
		sum += verdict(v);
	return sum;
}

static void test_removed(void)
{
	struct fb f;
	struct xdp_result r;
	uint64_t before;
	__u32 zero = 0, id;

	CU_ASSERT_EQUAL_FATAL(apply_bridge(NULL, (char[256]){ 0 }, 256), 0);
	before = all_verdicts();
	frame(&f, mac_uni, -1, 0, 0);
	xdp_run(dataplane_xdp_fd(dp), if_1, f.b, f.len, &r);
	CU_ASSERT_EQUAL(r.verdict, XDP_PASS);
	CU_ASSERT_TRUE(bytes_equal(r.frame, r.frame_len, f.b, f.len, "frame to the kernel"));
	CU_ASSERT_EQUAL(all_verdicts(), before);
	CU_ASSERT_NOT_EQUAL(bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_br_hook"), &zero, &id), 0);
	CU_ASSERT_NOT_EQUAL(bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_br_tc_hook"), &zero, &id), 0);
	CU_ASSERT_EQUAL(bridge_fast_counters(dataplane_bridge(dp), mac_uni, 0, &(uint64_t){ 0 },
					     &(uint64_t){ 0 }), -ENOENT);
	/* And back: the hooks are filled again. */
	CU_ASSERT_EQUAL_FATAL(apply_bridge(bridge_aware, (char[256]){ 0 }, 256), 0);
	CU_ASSERT_EQUAL(bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_br_hook"), &zero, &id), 0);
	{
		struct fb want;

		pushed(&f, &want, (2u << 13) | 10);
		EXPECT_FWD(&f, &want);
	}
}

/* A failed apply leaves the bridge's tables as they were (the injected failure
 * comes after the tables are written). */
static void test_rollback(void)
{
	struct fb f, want;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(apply_bridge(bridge_aware, err, sizeof(err)), 0);
	dataplane_test_fail_after(dp, "tables");
	CU_ASSERT_NOT_EQUAL(apply_bridge(bridge_unaware, err, sizeof(err)), 0);
	dataplane_test_fail_after(dp, NULL);
	frame(&f, mac_uni, -1, 0, 0);
	pushed(&f, &want, (2u << 13) | 10);
	EXPECT_FWD(&f, &want);
	CU_ASSERT_FALSE(bridge_fast_has(dataplane_bridge(dp), mac_uni, 0, 0));
	CU_ASSERT_FALSE(bridge_fast_has(dataplane_bridge(dp), mac_uni, 0, 1));
}

/* Two entries for one (MAC, VID): the apply fails naming the second, and the
 * running tables stay. */
static void bridge_dup(struct tsn_cfg_bridge *b)
{
	bridge_aware(b);
	fdb_entry(6, mac_uni, 10, "b3", NULL, NULL, NULL);
	b->n_fdb = 7;
}

static void test_duplicate(void)
{
	struct fb f, want;
	char err[256] = "";

	CU_ASSERT_EQUAL_FATAL(apply_bridge(bridge_aware, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(apply_bridge(bridge_dup, err, sizeof(err)), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bridge.fdb[6] (02:00:00:00:99:01 vid 10)"));
	frame(&f, mac_uni, -1, 0, 0);
	pushed(&f, &want, (2u << 13) | 10);
	EXPECT_FWD(&f, &want);
}

/* A port named twice in an entry is one egress port (the tc path would
 * otherwise send it two copies). */
static void bridge_twice(struct tsn_cfg_bridge *b)
{
	bridge_aware(b);
	fdb_entry(0, mac_uni, 10, "b2", "b3", "b2", NULL);
}

static void test_port_twice(void)
{
	struct tsn_br_fdb_key k = { .vid = 10 };
	struct tsn_gen g;
	struct tsn_br_ent ent;
	__u32 zero = 0, slot, idx;

	CU_ASSERT_EQUAL_FATAL(apply_bridge(bridge_twice, (char[256]){ 0 }, 256), 0);
	CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(dataplane_map_fd(dp, "tsn_gen"), &zero, &g), 0);
	memcpy(k.mac, mac_uni, 6);
	k.gen = (__u8)(g.active & 1);
	CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(bridge_fast_map_fd(dataplane_bridge(dp), "tsn_br_fdb"), &k, &slot), 0);
	idx = (g.active & 1) * TSN_BR_MAX_FDB + slot;
	CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(bridge_fast_map_fd(dataplane_bridge(dp), "tsn_br_ents"), &idx, &ent), 0);
	CU_ASSERT_EQUAL(ent.n_ports, 2);
	CU_ASSERT_EQUAL(ent.ifindex[0], (__u32)if_2);
	CU_ASSERT_EQUAL(ent.ifindex[1], (__u32)if_3);
	CU_ASSERT_EQUAL(ent.untagged, 0x1);	/* b2 untagged in VLAN 10, b3 tagged */
}

/* ---- real frames on veth ---- */

static int packet_socket(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(ifname) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL)), on = 1;

	if (fd >= 0 && (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
			setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &on, sizeof(on)) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The next frame fd receives (not one it sent) within wait_ms, as it was on the
 * wire: the receive path moves the outer tag into the auxiliary data, this puts
 * it back.  Its length, or -1. */
static ssize_t recv_wire(int fd, uint8_t *buf, size_t cap, int wait_ms)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		union {
			struct cmsghdr h;
			uint8_t b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		} ctl;
		struct sockaddr_ll from;
		uint8_t raw[2048];
		struct iovec iov = { .iov_base = raw, .iov_len = sizeof(raw) };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				     .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
		ssize_t n;
		int tci = -1, tpid = 0x8100;

		if (poll(&p, 1, wait_ms) != 1 || (n = recvmsg(fd, &mh, 0)) < 12)
			return -1;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		/* Only the test's frames (GOOSE's EtherType, behind the tags): the
		 * kernel's bridge sends IGMP of its own once it is up. */
		if (!(raw[12] == 0x88 && raw[13] == 0xb8) && !(n >= 18 && raw[16] == 0x88 && raw[17] == 0xb8))
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
				struct tpacket_auxdata aux;

				memcpy(&aux, CMSG_DATA(c), sizeof(aux));
				if (aux.tp_status & TP_STATUS_VLAN_VALID) {
					tci = aux.tp_vlan_tci;
					if (aux.tp_status & TP_STATUS_VLAN_TPID_VALID)
						tpid = aux.tp_vlan_tpid;
				}
			}
		if ((size_t)n + 4 > cap)
			return -1;
		if (tci < 0) {
			memcpy(buf, raw, (size_t)n);
			return n;
		}
		memcpy(buf, raw, 12);
		fb_put16(buf + 12, (unsigned)tpid);
		fb_put16(buf + 14, (unsigned)tci);
		memcpy(buf + 16, raw + 12, (size_t)n - 12);
		return n + 4;
	}
}

/* The packets a port's root qdisc has sent, from `tc -s -j qdisc`. */
static long long qdisc_sent(const char *dev)
{
	char cmd[128];
	json_object *arr, *q;
	long long n = -1;

	snprintf(cmd, sizeof(cmd), "tc -s -j qdisc show dev %s root", dev);
	arr = tu_sh_json(cmd);
	q = arr && json_object_is_type(arr, json_type_array) ? json_object_array_get_idx(arr, 0) : NULL;
	if (tu_jget(q, "packets"))
		n = json_object_get_int64(tu_jget(q, "packets"));
	json_object_put(arr);
	return n;
}

struct sockets {
	int tx, rx[5];			/* rx[i]: on the peer of port bi (rx[1] on b1p) */
};

static int open_sockets(struct sockets *s)
{
	char name[IF_NAMESIZE];

	s->tx = packet_socket("b1p");
	for (int i = 1; i <= 4; i++) {
		snprintf(name, sizeof(name), "b%dp", i);
		s->rx[i] = packet_socket(name);
		if (s->rx[i] < 0)
			return -1;
	}
	return s->tx < 0 ? -1 : 0;
}

static void close_sockets(struct sockets *s)
{
	close(s->tx);
	for (int i = 1; i <= 4; i++)
		close(s->rx[i]);
}

/* Send f from b1p; port i's peer must receive want[i] (len 0: nothing). */
static void send_expect(struct sockets *s, const struct fb *f, const struct fb *want[5], int line)
{
	uint8_t buf[2048];

	CU_ASSERT_EQUAL(send(s->tx, f->b, f->len, 0), (ssize_t)f->len);
	for (int i = 1; i <= 4; i++) {
		ssize_t n = recv_wire(s->rx[i], buf, sizeof(buf), want[i] ? 1000 : 100);
		char what[64];

		snprintf(what, sizeof(what), "line %d: the frame on b%d", line, i);
		if (!want[i]) {
			if (n >= 0)
				fprintf(stderr, "\n  %s: %zd bytes, want none", what, n);
			CU_ASSERT_EQUAL(n, -1);
		} else {
			CU_ASSERT_TRUE(bytes_equal(buf, n < 0 ? 0 : (size_t)n, want[i]->b, want[i]->len, what));
		}
	}
}

/* Multicast to three ports at once, each as its membership says, none back out
 * of b1 (a member too); unicast to one. */
static void test_veth_multicast(void)
{
	struct sockets s;
	struct fb f, tag10, tag20;
	uint64_t xdp0 = verdict(TSN_BR_FWD_XDP);

	CU_ASSERT_EQUAL_FATAL(apply_bridge(bridge_aware, (char[256]){ 0 }, 256), 0);
	CU_ASSERT_EQUAL_FATAL(open_sockets(&s), 0);

	frame(&f, mac_mc, -1, 0, 0);
	pushed(&f, &tag10, (2u << 13) | 10);
	send_expect(&s, &f, (const struct fb *[5]){ NULL, NULL, &f, &tag10, &tag10 }, __LINE__);

	frame(&f, mac_uni, -1, 0, 0);
	send_expect(&s, &f, (const struct fb *[5]){ NULL, NULL, &f, NULL, NULL }, __LINE__);

	/* VLAN 20: b2 tagged, b3 untagged (the entry has no b4). */
	struct fb bare;

	frame(&f, mac_mc, 0x8100, 2, 20);
	retagged(&f, &tag20, (3u << 13) | 20);
	frame(&bare, mac_mc, -1, 0, 0);
	send_expect(&s, &f, (const struct fb *[5]){ NULL, NULL, &tag20, &bare, NULL }, __LINE__);
	CU_ASSERT_EQUAL(verdict(TSN_BR_FWD_XDP), xdp0 + 3);
	/* The same figures as JSON, for tsnctl. */
	json_object *j = bridge_fast_json(dataplane_bridge(dp));

	CU_ASSERT_TRUE(json_object_get_boolean(tu_jget(j, "hooked")));
	CU_ASSERT_EQUAL(json_object_get_int64(tu_jget(tu_jget(j, "verdicts"), "xdp")), (int64_t)(xdp0 + 3));
	json_object_put(j);
	close_sockets(&s);
}

/* A gated class: every copy through its port's qdisc (tc), tagged per port. */
static void test_veth_gated(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	struct sockets s;
	struct fb f, tag, bare;
	long long q[5];
	uint64_t n0 = verdict(TSN_BR_FWD_QDISC);

	CU_ASSERT_EQUAL_FATAL(apply_bridge(bridge_aware, (char[256]){ 0 }, 256), 0);
	CU_ASSERT_EQUAL_FATAL(tu_sh("for d in b2 b3 b4; do tc qdisc replace dev $d root pfifo || exit 1; done"), 0);
	CU_ASSERT_EQUAL_FATAL(open_sockets(&s), 0);
	for (int i = 2; i <= 4; i++) {
		char d[4] = { 'b', (char)('0' + i), 0, 0 };

		q[i] = qdisc_sent(d);
	}
	frame(&f, mac_mcg, 0x8100, 6, 10);		/* priority 7: gated on b4 */
	retagged(&f, &tag, (7u << 13) | 10);
	frame(&bare, mac_mcg, -1, 0, 0);
	send_expect(&s, &f, (const struct fb *[5]){ NULL, NULL, &bare, &tag, &tag }, __LINE__);
	CU_ASSERT_EQUAL(verdict(TSN_BR_FWD_QDISC), n0 + 1);
	CU_ASSERT_EQUAL(qdisc_sent("b2"), q[2] + 1);
	CU_ASSERT_EQUAL(qdisc_sent("b3"), q[3] + 1);
	CU_ASSERT_EQUAL(qdisc_sent("b4"), q[4] + 1);
	/* Unicast, gated, untagged in (b4 tagged: priority 5 from PCP 4). */
	frame(&f, mac_gated, 0x8100, 4, 0);
	retagged(&f, &tag, (5u << 13) | 10);
	send_expect(&s, &f, (const struct fb *[5]){ NULL, NULL, NULL, NULL, &tag }, __LINE__);
	CU_ASSERT_EQUAL(qdisc_sent("b4"), q[4] + 2);
	close_sockets(&s);
	tu_sh("for d in b2 b3 b4; do tc qdisc del dev $d root 2>/dev/null; done; true");
}

/* With the kernel's bridge behind the fast path (no VLAN filtering: this host's
 * kernel refuses it): unknown destinations are flooded and source addresses
 * learnt by the kernel, static entries go only where they say. */
static void test_veth_kernel_bridge(void)
{
	struct sockets s;
	struct fb f;
	uint64_t miss0 = verdict(TSN_BR_PASS_MISS), xdp0 = verdict(TSN_BR_FWD_XDP);
	static const uint8_t mac_b2host[6] = { 0x02, 0, 0, 0, 0x22, 0x22 };

	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link add br0 type bridge stp_state 0 && "
				    "for i in 1 2 3 4; do ip link set b$i master br0 || exit 1; done && "
				    "ip link set br0 up"), 0);
	CU_ASSERT_EQUAL_FATAL(apply_bridge(bridge_unaware, (char[256]){ 0 }, 256), 0);
	CU_ASSERT_EQUAL_FATAL(open_sockets(&s), 0);

	/* Unknown unicast: the kernel floods it (learning the talker on b1). */
	frame(&f, mac_unknown, -1, 0, 0);
	send_expect(&s, &f, (const struct fb *[5]){ NULL, NULL, &f, &f, &f }, __LINE__);
	CU_ASSERT_EQUAL(verdict(TSN_BR_PASS_MISS), miss0 + 1);
	CU_ASSERT_EQUAL(tu_sh("bridge fdb show br br0 | grep -q '^02:00:00:00:01:10 dev b1 '"), 0);
	/* The static group: XDP, to b2 and b3 only (the kernel would flood b4 too). */
	frame(&f, mac_mc, -1, 0, 0);
	send_expect(&s, &f, (const struct fb *[5]){ NULL, NULL, &f, &f, NULL }, __LINE__);
	CU_ASSERT_EQUAL(verdict(TSN_BR_FWD_XDP), xdp0 + 1);
	/* An answer from behind b2 to the talker: learnt, so only to b1. */
	fb_eth(&f, mac_talker, mac_b2host);
	fb_ethertype(&f, 0x88b8, 60);
	CU_ASSERT_EQUAL(send(s.rx[2], f.b, f.len, 0), (ssize_t)f.len);
	{
		uint8_t buf[2048];
		ssize_t n = recv_wire(s.rx[1], buf, sizeof(buf), 1000);

		CU_ASSERT_TRUE(bytes_equal(buf, n < 0 ? 0 : (size_t)n, f.b, f.len, "answer on b1"));
		CU_ASSERT_EQUAL(recv_wire(s.rx[3], buf, sizeof(buf), 100), -1);
		CU_ASSERT_EQUAL(recv_wire(s.rx[4], buf, sizeof(buf), 100), -1);
	}
	close_sockets(&s);
	tu_sh("ip link del br0 2>/dev/null; true");
}

/* A reload moves a static entry to another port: the next frame follows, the
 * entry's counters carry over. */
static void bridge_moved(struct tsn_cfg_bridge *b)
{
	bridge_aware(b);
	fdb_entry(0, mac_uni, 10, "b3", NULL, NULL, NULL);
}

static void test_veth_reload(void)
{
	struct sockets s;
	struct fb f, tag;
	uint64_t n0;

	CU_ASSERT_EQUAL_FATAL(apply_bridge(bridge_aware, (char[256]){ 0 }, 256), 0);
	CU_ASSERT_EQUAL_FATAL(open_sockets(&s), 0);
	frame(&f, mac_uni, -1, 0, 0);
	send_expect(&s, &f, (const struct fb *[5]){ NULL, NULL, &f, NULL, NULL }, __LINE__);
	n0 = entry_packets(mac_uni, 10, NULL);
	CU_ASSERT_EQUAL_FATAL(apply_bridge(bridge_moved, (char[256]){ 0 }, 256), 0);
	pushed(&f, &tag, (2u << 13) | 10);		/* b3 is a tagged member of VLAN 10 */
	send_expect(&s, &f, (const struct fb *[5]){ NULL, NULL, NULL, &tag, NULL }, __LINE__);
	CU_ASSERT_EQUAL(entry_packets(mac_uni, 10, NULL), n0 + 1);
	close_sockets(&s);
}

/* The same on ports in generic (skb) XDP mode: the broadcast clones skbs and
 * runs the untag program on each. */
static void test_generic(void)
{
	if (tu_skip_without_xdp_meta(__func__))
		return;
	xdp_mode = "generic";
	test_veth_multicast();
	test_veth_gated();
	xdp_mode = "native";
}

/* ---- suite ---- */

/* A program that passes everything, for the peers: veth delivers frames sent
 * with XDP only to a peer whose receive side runs NAPI, which XDP turns on. */
static int load_pass_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "pass", "GPL", insns, 2, NULL);
}

static int suite_init(void)
{
	char err[256];

	tsn_log_setup("test_bpf_bridge", TSN_LOG_STDERR, getenv("TSN_DEBUG") ? TSN_LOG_DEBUG : TSN_LOG_WARNING);
	if (tu_netns_enter())
		return -1;
	/* No IPv6 on the ports: no ND or MLD frames in the captures. */
	if (tu_sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 && "
		  "for i in 1 2 3 4; do ip link add b$i type veth peer name b${i}p && "
		  "ip link set b$i up && ip link set b${i}p up || exit 1; done"))
		return -1;
	if_1 = (int)if_nametoindex("b1");
	if_2 = (int)if_nametoindex("b2");
	if_3 = (int)if_nametoindex("b3");
	if_4 = (int)if_nametoindex("b4");
	pass_prog = load_pass_prog();
	if (pass_prog < 0)
		return -1;
	for (int i = 1; i <= 4; i++) {
		char name[IF_NAMESIZE];

		snprintf(name, sizeof(name), "b%dp", i);
		if (bpf_xdp_attach((int)if_nametoindex(name), pass_prog, XDP_FLAGS_DRV_MODE, NULL) < 0)
			return -1;
	}
	dp = dataplane_create(NULL, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "dataplane_create: %s\n", err);
		return -1;
	}
	if (!dataplane_bridge(dp)) {
		fprintf(stderr, "the bridge's fast path did not load\n");
		return -1;
	}
	return 0;
}

static int suite_clean(void)
{
	dataplane_destroy(dp, false);
	if (pass_prog >= 0)
		close(pass_prog);
	tu_sh("ip link del br0 2>/dev/null; for i in 1 2 3 4; do ip link del b$i 2>/dev/null; done; true");
	tu_netns_leave();
	return 0;
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("bpf_bridge", suite_init, suite_clean);
	CU_add_test(s, "untagged in: PVID tag pushed, default priority", test_push);
	CU_add_test(s, "tagged in: PCP through the port's map, DEI kept", test_rewrite_pcp);
	CU_add_test(s, "priority-tagged: the PVID; multicast entry", test_priority_tagged);
	CU_add_test(s, "to the kernel: VID, miss, link-local, QinQ, malformed", test_to_kernel);
	CU_add_test(s, "no hairpin: the entry's only port is the ingress", test_hairpin);
	CU_add_test(s, "gated class: metadata for tc, multicast all through tc", test_gated);
	CU_add_test(s, "a stream's priority wins over the port's PCP map", test_stream_priority);
	CU_add_test(s, "frames to the port's own MAC never reach the bridge", test_own_mac);
	CU_add_test(s, "duplicate entry: error names it, tables stay", test_duplicate);
	CU_add_test(s, "a port named twice in an entry is one egress port", test_port_twice);
	CU_add_test(s, "veth: multicast to 3 ports, tags per port, no hairpin", test_veth_multicast);
	CU_add_test(s, "veth: gated class through each egress qdisc", test_veth_gated);
	CU_add_test(s, "veth: a reload moves an entry; counters carry over", test_veth_reload);
	CU_add_test(s, "generic XDP: multicast and gated class on veth", test_generic);
	CU_add_test(s, "failed apply: the bridge's tables stay", test_rollback);
	CU_add_test(s, "VLAN-unaware bridge: frames unchanged; old generation gone", test_vlan_unaware);
	CU_add_test(s, "veth: kernel bridge floods and learns, static entries by XDP", test_veth_kernel_bridge);
	CU_add_test(s, "bridge removed: every frame to the kernel", test_removed);
	return tu_run_tests();
}
