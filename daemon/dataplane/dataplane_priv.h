/* SPDX-License-Identifier: GPL-2.0-only */
/* dataplane_priv.h — the data plane's state and the functions its files share
 * (the public API is dataplane.h):
 *   dataplane.c         create, apply (all or nothing), destroy, pins;
 *   dataplane_attach.c  XDP and tc attachments on ports, journaled and undone;
 *   dataplane_tables.c  kernel facts in the maps: VLAN sub-interfaces, redirect
 *                       targets, ifindex-keyed pruning, the FIB cache's control;
 *   dataplane_json.c    counters and status as JSON.
 * The classifier's tables are classifier.c's (two generations, one switch). */
#ifndef TSND_DATAPLANE_PRIV_H
#define TSND_DATAPLANE_PRIV_H

#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/libbpf.h>

#include "bpf/dataplane.skel.h"
#include "classifier.h"
#include "dataplane.h"
#include "tsn/bpf_shared.h"

#define XDP_PROG_NAME "tsn_xdp"
#define TC_PROG_NAME "tsn_tc_ingress"
/* The program of tsnd 0.1 (tsn_port_counters, as the kernel truncates it): a
 * restarted tsnd takes it over like its own. */
#define LEGACY_XDP_NAME "tsn_port_counte"
#define XDP_MODE_MASK (XDP_FLAGS_SKB_MODE | XDP_FLAGS_DRV_MODE | XDP_FLAGS_HW_MODE)
/* tsnd's tc filter: one fixed handle and priority on the clsact ingress hook. */
#define TSND_TC_HANDLE 0x7473
#define TSND_TC_PRIO 0x7473

/* A port the programs are attached to. */
struct dp_port {
	char name[IFNAMSIZ];
	int ifindex;
	__u32 mode_flags;		/* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	uint8_t mac[6];
	bool clsact_created;		/* tsnd added the clsact qdisc */
};

struct prog {
	int fd;
	__u32 id;
	char name[BPF_OBJ_NAME_LEN];	/* as the kernel stores it (truncated) */
};

struct vlan_entry;
struct bridge_fast;

struct dataplane {
	struct dataplane_bpf *skel;
	struct prog xdp, tc;
	bool tcx;			/* tc programs on tcx, not clsact (dataplane_tcx_wanted) */
	struct cls_maps maps;
	struct dp_port *ports;
	size_t n_ports;
	char pin_dir[TSN_PATH_MAX];	/* "" while nothing is pinned */
	bool fib_watched;		/* someone bumps the FIB cache's generation */
	bool fib_cache;			/* the configuration wants the cache */
	bool fib_on;			/* what tsn_fib_ctl says now */
	struct bridge_fast *bf;		/* the bridge's fast path (bridge_fast.c), NULL if not loaded */
	/* for tests (dataplane_test_*) */
	char test_fail_after[16];	/* dataplane_apply fails after this step */
	struct vlan_entry *test_vlans;	/* added to what the kernel's link list says */
	size_t n_test_vlans;
};

/* One port's change during dataplane_apply, enough to put it back. */
struct port_change {
	char name[IFNAMSIZ];
	int ifindex;
	/* XDP */
	int old_fd;			/* program there before (-1: none) */
	__u32 old_flags;		/* its mode */
	bool old_removed;		/* we detached it */
	__u32 new_flags;		/* mode we attached ours in, 0 if we did not */
	/* tc */
	int tc_old_fd;			/* our-named filter there before (-1: none) */
	bool tc_attached;		/* we attached or replaced the filter */
	bool tc_removed;		/* we detached the filter (tc_old_fd is ours) */
	bool clsact_created;		/* we added the clsact qdisc */
	/* tsnd's program on the hook not in use (clsact on a tcx run, or the
	 * reverse), removed after ours went on: put back on a rollback. */
	int other_old_fd;
	bool other_removed;
	bool other_clsact_ours;		/* its clsact qdisc holds nothing else now */
};

struct journal {
	struct port_change *items;
	size_t count;
};

/* ---- dataplane_attach.c ---- */

struct xdp_state {
	__u32 prog_id;			/* 0: nothing attached */
	__u32 mode_flags;
};

/* libbpf's log, into tsnd's; keeps the kernel's last extack text for errors. */
int dp_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap);
const char *dp_mode_name(__u32 mode_flags);		/* "native", "generic", ... */
int dp_query_xdp(int ifindex, struct xdp_state *st);
__u32 dp_query_clsact(int ifindex);			/* 0: no tsnd-handle filter */
int dp_clsact_detach(int ifindex);
/* On the hook dp uses: the id of tsnd's tc program there (dp's, or a
 * predecessor's of the same name on tcx), 0 if none; take dp's off. */
__u32 dp_query_tc(const struct dataplane *dp, int ifindex);
int dp_tc_detach(const struct dataplane *dp, int ifindex);
void dp_tc_remove_clsact(int ifindex, const char *port);
int dp_detach_exact(int ifindex, int prog_fd, __u32 mode_flags);
/* Bring a configured port to "our programs attached" / take them off a port no
 * longer configured; every change goes to the journal. */
int dp_apply_port(struct dataplane *dp, struct journal *j, const struct tsn_cfg_port *port,
		  const struct dp_port *before, struct dp_port *result, char *err, size_t errlen);
int dp_release_port(struct dataplane *dp, struct journal *j, const struct dp_port *port,
		    char *err, size_t errlen);
size_t dp_journal_changes(const struct journal *j);
/* Undo the journal (rollback) or only forget it, and free it. */
void dp_journal_finish(struct dataplane *dp, struct journal *j, bool rollback);
const struct dp_port *dp_find_port(const struct dp_port *ports, size_t n, const char *name);
bool dp_has_ifindex(const struct dp_port *ports, size_t n, int ifindex);

/* ---- dataplane_tables.c ---- */

struct vlan_entry {
	struct tsn_vlan_key in;		/* (physical port, vid) */
	__u32 sub_ifindex;
};

/* What dp_write_vlans overwrote, to put back on a rollback. */
struct vlan_undo_item {
	struct tsn_vlan_key in;
	bool had_in;			/* tsn_vlan_in held the key */
	__u32 old_sub;
	__u32 sub_ifindex;
	bool had_eg;			/* tsn_egress held sub_ifindex */
	struct tsn_egress old_eg;
};

struct vlan_undo {
	struct vlan_undo_item *items;
	size_t count;
};

/* The 802.1Q sub-interfaces of attached ports (kernel link list, plus
 * dp->test_vlans).  *out is malloc'd. */
int dp_scan_vlans(const struct dataplane *dp, const struct dp_port *ports, size_t n,
		  struct vlan_entry **out, size_t *count);
/* Write the VLAN maps, recording in undo what each write replaced. */
int dp_write_vlans(struct dataplane *dp, const struct vlan_entry *v, size_t n, struct vlan_undo *undo);
/* Put the VLAN maps back as they were before dp_write_vlans; frees undo. */
void dp_vlans_undo(struct dataplane *dp, struct vlan_undo *undo);
void dp_vlans_undo_free(struct vlan_undo *undo);
/* Delete VLAN map entries the scan no longer found. */
void dp_prune_vlans(struct dataplane *dp, const struct vlan_entry *v, size_t n);
/* Delete every key of an ifindex-keyed map for which keep(arg, key) is false;
 * returns how many were deleted, or -errno. */
int dp_prune_ifindex_map(int fd, bool (*keep)(const void *arg, __u32 ifindex), const void *arg);
/* Add the ports to the redirect map; *added (malloc'd, n_added entries) lists
 * the keys that were new, for undo. */
int dp_add_devmap(struct dataplane *dp, const struct dp_port *ports, size_t n, __u32 **added,
		  size_t *n_added);

#endif
