/* SPDX-License-Identifier: GPL-2.0-only */
/* dataplane.c — load tsnd's BPF programs, pin them, keep their attachments and
 * tables in line with the configuration (attachments: dataplane_attach.c; maps
 * besides the classifier's: dataplane_tables.c; reports: dataplane_json.c).
 *
 * Rules kept here:
 * - Never replace or detach a program that is not ours.  "Ours" is the program
 *   this process loaded, or a program of the same name left attached by an
 *   earlier tsnd (dataplane.keep-on-exit), which this one takes over.
 * - dataplane_apply is all or nothing: every kernel change (XDP and tc
 *   attachments, VLAN entries, new table generation, redirect targets) is
 *   recorded and undone in reverse order when a later step fails.  The
 *   classifier's tables switch generation in one store (classifier.c), the
 *   last step before the commit.
 * - Per port, tc goes on before XDP and comes off after it: a frame XDP marks
 *   for tc always finds the tc program.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bridge_fast.h"
#include "dataplane_priv.h"
#include "pins.h"
#include "startup_probe.h"
#include "tsn/log.h"

_Static_assert(sizeof(struct port_counters) % 8 == 0, "per-CPU values need 8-byte sizes");
_Static_assert(sizeof(struct tsn_stream_counters) % 8 == 0, "per-CPU values need 8-byte sizes");
_Static_assert(sizeof(struct tsn_xdp_meta) <= 32 && sizeof(struct tsn_xdp_meta) % 4 == 0,
	       "XDP metadata: at most 32 bytes, a multiple of 4");
_Static_assert(sizeof(struct tsn_fib_key) == 48 && sizeof(struct tsn_fib_val) == 32 &&
	       sizeof(struct tsn_fib_ent) == 80 && sizeof(struct tsn_fib_set) == 328 &&
	       sizeof(struct tsn_fib_ctl) == 16 && (TSN_FIB_SETS & (TSN_FIB_SETS - 1)) == 0,
	       "FIB cache layouts are shared with BPF");
_Static_assert(sizeof(struct tsn_ip6_key) == 44 && sizeof(struct tsn_mac_key) == 12 &&
	       sizeof(struct tsn_port_conf) == 24 && sizeof(struct tsn_stream_val) == 12 &&
	       sizeof(struct tsn_strm_ent) == 64,
	       "key layouts are shared with BPF");
_Static_assert(TSN_PORT_SLOTS <= 256, "a port's slot is a __u8 (tsn_port_conf, XDP metadata)");

static bool cfg_wants(const struct tsn_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].xdp != TSN_XDP_OFF && strcmp(cfg->ports[i].name, name) == 0)
			return true;
	return false;
}

/* ---- pinning (daemon/dataplane/pins.c) ---- */

static const char *const prog_pin_names[] = { XDP_PROG_NAME, TC_PROG_NAME };

static void unpin_all(struct dataplane *dp, const char *dir)
{
	pins_remove(dp->skel->obj, prog_pin_names, 2, dir);
}

static int pin_all(struct dataplane *dp, const char *dir, char *err, size_t errlen)
{
	int fds[] = { dp->xdp.fd, dp->tc.fd };

	return pins_create(dp->skel->obj, fds, prog_pin_names, 2, dir, err, errlen);
}

/* ---- apply ---- */

static bool keep_attached_port(const void *arg, __u32 ifindex)
{
	const struct dataplane *dp = arg;

	return dp_has_ifindex(dp->ports, dp->n_ports, (int)ifindex);
}

/* For tests: a failure injected after the named step, as if the kernel refused. */
static int test_fault(const struct dataplane *dp, const char *step, char *err, size_t errlen)
{
	if (strcmp(dp->test_fail_after, step) != 0)
		return 0;
	snprintf(err, errlen, "injected failure after step %s (test)", step);
	return -EIO;
}

/* The bridge's fast path tables for generation gen, over the attached ports. */
static int bridge_write(struct dataplane *dp, const struct tsn_config *cfg, const struct dp_port *ports,
			size_t n, uint32_t gen, char *err, size_t errlen)
{
	struct bf_port *bp;
	int rc;

	if (!dp->bf)
		return 0;
	bp = calloc(n ? n : 1, sizeof(*bp));
	if (!bp) {
		snprintf(err, errlen, "dataplane: out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		bp[i] = (struct bf_port){ .name = ports[i].name, .ifindex = ports[i].ifindex };
	rc = bridge_fast_write(dp->bf, cfg, bp, n, dp->maps.ports, gen, err, errlen);
	free(bp);
	return rc;
}

int dataplane_apply(struct dataplane *dp, const struct tsn_config *cfg, char *err, size_t errlen)
{
	struct journal j = { 0 };
	struct dp_port *next = calloc(cfg->n_ports ? cfg->n_ports : 1, sizeof(*next));
	struct cls_port *cports = calloc(cfg->n_ports ? cfg->n_ports : 1, sizeof(*cports));
	__u32 *added = NULL;
	struct vlan_undo vlan_undo = { 0 };
	struct vlan_entry *vlans = NULL;
	size_t n_next = 0, n_added = 0, n_vlans = 0;
	const char *want_dir = cfg->dataplane.pin_dir;
	bool moved_pins = false;
	__u32 old_gen, new_gen;
	struct sprobe pr;
	int rc = 0;

	err[0] = '\0';
	if (!next || !cports) {
		free(next);
		free(cports);
		snprintf(err, errlen, "dataplane: out of memory");
		return -ENOMEM;
	}
	/* A new pin directory first: it is the easiest step to undo. */
	if (want_dir[0] && strcmp(want_dir, dp->pin_dir) != 0) {
		rc = pin_all(dp, want_dir, err, errlen);
		moved_pins = rc == 0;
	}
	sprobe_start(&pr);
	for (size_t i = 0; i < cfg->n_ports && rc == 0; i++) {
		const struct tsn_cfg_port *p = &cfg->ports[i];

		if (p->xdp == TSN_XDP_OFF)
			continue;
		rc = dp_apply_port(dp, &j, p, dp_find_port(dp->ports, dp->n_ports, p->name),
				&next[n_next], err, errlen);
		if (rc == 0) {
			cports[n_next].ifindex = next[n_next].ifindex;
			memcpy(cports[n_next].mac, next[n_next].mac, 6);
			cports[n_next].cfg = p;
			n_next++;
		}
	}
	for (size_t i = 0; i < dp->n_ports && rc == 0; i++)
		if (!cfg_wants(cfg, dp->ports[i].name))
			rc = dp_release_port(dp, &j, &dp->ports[i], err, errlen);
	sprobe_end(&pr, "dp_attach");
	sprobe_start(&pr);

	/* Kernel facts the tables depend on, then the tables: the inactive
	 * generation, then the switch. */
	if (rc == 0 && dp_scan_vlans(dp, next, n_next, &vlans, &n_vlans) < 0)
		log_warn("dataplane: cannot list VLAN sub-interfaces; tagged frames go to the "
			 "kernel");
	if (rc == 0) {
		rc = dp_write_vlans(dp, vlans, n_vlans, &vlan_undo);
		if (rc < 0)
			snprintf(err, errlen, "dataplane: cannot write the VLAN table: %s",
				 strerror(-rc));
	}
	if (rc == 0)
		rc = test_fault(dp, "vlans", err, errlen);
	old_gen = cls_active(&dp->maps);
	new_gen = old_gen ^ 1;
	if (rc == 0)
		rc = cls_write(&dp->maps, cfg, cports, n_next, n_vlans ? TSN_RULES_VLANS : 0, new_gen,
			       err, errlen);
	if (rc == 0)
		rc = bridge_write(dp, cfg, next, n_next, new_gen, err, errlen);
	if (rc == 0)
		rc = test_fault(dp, "tables", err, errlen);
	if (rc == 0) {
		rc = dp_add_devmap(dp, next, n_next, &added, &n_added);
		if (rc < 0)
			snprintf(err, errlen, "dataplane: cannot add a port to the redirect map: %s",
				 strerror(-rc));
	}
	if (rc == 0)
		rc = test_fault(dp, "devmap", err, errlen);
	if (rc == 0) {
		rc = cls_activate(&dp->maps, new_gen);
		if (rc < 0)
			snprintf(err, errlen, "dataplane: cannot activate the new tables: %s",
				 strerror(-rc));
		else
			cls_slots_commit(&dp->maps);
	}

	sprobe_end(&pr, "dp_tables");
	if (rc < 0) {
		log_err("dataplane: %s; undoing %zu port change(s)", err, dp_journal_changes(&j));
		for (size_t i = 0; i < n_added; i++)
			bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.tsn_tx_ports), &added[i]);
		free(added);
		dp_vlans_undo(dp, &vlan_undo);
		dp_journal_finish(dp, &j, true);
		cls_clear(&dp->maps, new_gen);
		bridge_fast_clear(dp->bf, new_gen);
		if (moved_pins)
			unpin_all(dp, want_dir);
		/* New ports whose clsact qdisc came and went leave nothing behind. */
		free(vlans);
		free(next);
		free(cports);
		return rc;
	}

	/* Committed.  Clean up once no frame can still read the old generation. */
	sprobe_start(&pr);
	free(added);
	dp_vlans_undo_free(&vlan_undo);
	dp_journal_finish(dp, &j, false);
	for (size_t i = 0; i < dp->n_ports; i++)
		if (!cfg_wants(cfg, dp->ports[i].name) && dp->ports[i].clsact_created &&
		    dp_query_clsact(dp->ports[i].ifindex) == 0)
			dp_tc_remove_clsact(dp->ports[i].ifindex, dp->ports[i].name);
	free(dp->ports);
	dp->ports = next;
	dp->n_ports = n_next;
	cls_quiesce();
	if (cls_clear(&dp->maps, old_gen) < 0)
		log_warn("dataplane: cannot clear the old table generation; the next update "
			 "clears it");
	bridge_fast_clear(dp->bf, old_gen);
	bridge_fast_prune_counters(dp->bf, cfg);
	if (!cfg->bridge.enabled)
		bridge_fast_hook(dp->bf, false);
	if (cls_prune_counters(&dp->maps) < 0)
		log_warn("dataplane: cannot zero the counters of removed streams and ports; "
			 "they are zeroed before their slots are used again");
	if (dp_prune_ifindex_map(bpf_map__fd(dp->skel->maps.tsn_tx_ports), keep_attached_port, dp) < 0)
		log_warn("dataplane: cannot delete the redirect entries of released ports");
	dp_prune_vlans(dp, vlans, n_vlans);
	if (moved_pins) {
		unpin_all(dp, dp->pin_dir);	/* no-op when nothing was pinned */
		snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", want_dir);
	} else if (dp->pin_dir[0] && !want_dir[0]) {
		unpin_all(dp, dp->pin_dir);
		dp->pin_dir[0] = '\0';
	}
	free(vlans);
	free(cports);
	/* Routes (routes_apply runs first), ports and VLANs may have changed. */
	dp->fib_cache = cfg->dataplane.fib_cache;
	dataplane_fib_invalidate(dp);
	sprobe_end(&pr, "dp_commit");
	log_debug("dataplane: tables generation %u active: %zu stream(s), %zu port(s)", new_gen,
		  cfg->n_streams, n_next);
	return 0;
}

/* ---- create, destroy ---- */

static int prog_info(int fd, struct prog *p)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int rc;

	memset(&info, 0, sizeof(info));
	rc = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (rc < 0)
		return rc;
	p->fd = fd;
	p->id = info.id;
	memcpy(p->name, info.name, sizeof(p->name));
	p->name[sizeof(p->name) - 1] = '\0';
	return 0;
}

struct dataplane *dataplane_create(const struct tsn_config *cfg, char *err, size_t errlen)
{
	struct dataplane *dp = calloc(1, sizeof(*dp));
	const char *dir = cfg ? cfg->dataplane.pin_dir : "";
	struct sprobe pr;
	int rc, ncpus = 1;

	if (!dp) {
		snprintf(err, errlen, "dataplane: out of memory");
		return NULL;
	}
	libbpf_set_print(dp_libbpf_log);
	sprobe_start(&pr);
	dp->skel = dataplane_bpf__open();
	if (!dp->skel) {
		rc = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-rc));
		goto fail;
	}
	sprobe_end(&pr, "dp_open");
	/* The counter arrays hold a region per possible CPU (dataplane.bpf.c);
	 * sized before the pins are compared, which includes max_entries. */
	rc = libbpf_num_possible_cpus();
	if (rc > 0) {
		ncpus = rc;
		dp->skel->rodata->tsn_ncpus = (uint32_t)rc;
		dp->skel->rodata->tsn_xdp_meta = dataplane_xdp_meta_ok();
		rc = bpf_map__set_max_entries(dp->skel->maps.tsn_strm_stats,
					      (uint32_t)rc * TSN_MAX_STREAMS);
		if (rc == 0)
			rc = bpf_map__set_max_entries(dp->skel->maps.port_stats,
						      (uint32_t)ncpus * TSN_PORT_SLOTS);
	} else if (rc == 0) {
		rc = -EINVAL;
	}
	if (rc < 0) {
		snprintf(err, errlen, "cannot size the stream counters for the CPUs: %s", strerror(-rc));
		goto fail;
	}
	sprobe_start(&pr);
	if (dir[0]) {
		rc = pins_prepare(dp->skel->obj, dir, err, errlen);
		if (rc < 0)
			goto fail;
	}
	sprobe_end(&pr, "dp_pins");
	if (!dp->skel->rodata->tsn_xdp_meta)
		log_warn("dataplane: this kernel refuses XDP metadata "
			"(bpf_xdp_adjust_meta): frames for a gate schedule's queues, the bridge's "
			"qdisc path and FRER's splitting reach the kernel unclassified; the fast "
			"path, filters and counters work (docs/dataplane.md)");
	sprobe_start(&pr);
	rc = dataplane_bpf__load(dp->skel);
	sprobe_end(&pr, "dp_load");
	if (rc < 0) {
		snprintf(err, errlen, "cannot load the BPF programs %s and %s: %s (the verifier log "
			 "is printed at log level debug; BPF needs CAP_BPF and CAP_NET_ADMIN)",
			 XDP_PROG_NAME, TC_PROG_NAME, strerror(-rc));
		goto fail;
	}
	if (prog_info(bpf_program__fd(dp->skel->progs.tsn_xdp), &dp->xdp) < 0 ||
	    prog_info(bpf_program__fd(dp->skel->progs.tsn_tc_ingress), &dp->tc) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read the ids of the BPF programs: %s", strerror(-rc));
		goto fail;
	}
	dp->maps = (struct cls_maps){
		.gen = bpf_map__fd(dp->skel->maps.tsn_gen),
		.rules = bpf_map__fd(dp->skel->maps.tsn_rules),
		.ethertype = bpf_map__fd(dp->skel->maps.tsn_ethertype),
		.ports = bpf_map__fd(dp->skel->maps.tsn_ports),
		.mac = bpf_map__fd(dp->skel->maps.tsn_mac_strm),
		.ip6 = bpf_map__fd(dp->skel->maps.tsn_ip6_strm),
		.strm_tab = bpf_map__fd(dp->skel->maps.tsn_strm_tab),
		.stream_stats = bpf_map__fd(dp->skel->maps.tsn_strm_stats),
		.port_stats = bpf_map__fd(dp->skel->maps.port_stats),
		/* Pinned counters may hold a predecessor's counts. */
		.slots = cls_slots_new(ncpus, dir[0] != '\0'),
		.filters = bpf_map__fd(dp->skel->maps.tsn_filters),
		.gates = bpf_map__fd(dp->skel->maps.tsn_gates),
		.gate_ents = bpf_map__fd(dp->skel->maps.tsn_gate_ents),
		.acl = bpf_map__fd(dp->skel->maps.tsn_acl),
		.acl_pfx = bpf_map__fd(dp->skel->maps.tsn_acl_pfx),
		.storm_conf = bpf_map__fd(dp->skel->maps.tsn_storm_conf),
	};
	if (!dp->maps.slots) {
		rc = -ENOMEM;
		snprintf(err, errlen, "dataplane: out of memory");
		goto fail;
	}
	/* A predecessor's streams and ports keep their counters (keep-on-exit). */
	rc = cls_slots_rebuild(&dp->maps);
	if (rc < 0) {
		snprintf(err, errlen, "dataplane: cannot read the counter slots of the pinned "
			 "tables: %s", strerror(-rc));
		goto fail;
	}
	if (dir[0]) {
		rc = pins_program(dp->xdp.fd, dir, XDP_PROG_NAME);
		if (rc == 0)
			rc = pins_program(dp->tc.fd, dir, TC_PROG_NAME);
		if (rc < 0) {
			snprintf(err, errlen, "dataplane.pin-dir %s: cannot pin the programs: %s",
				 dir, strerror(-rc));
			goto fail;
		}
		snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", dir);
	}
	/* The bridge's fast path is optional: without it the kernel's bridge
	 * forwards every frame. */
	{
		char berr[256];

		sprobe_start(&pr);
		dp->bf = bridge_fast_new(dp->maps.gen, bpf_map__fd(dp->skel->maps.tsn_br_hook),
					 bpf_map__fd(dp->skel->maps.tsn_br_tc_hook), berr, sizeof(berr));
		sprobe_end(&pr, "br_load");
		if (!dp->bf)
			log_warn("dataplane: %s; the kernel's bridge forwards every frame", berr);
	}
	/* An inactive generation left by a predecessor (pinned maps) is stale, and
	 * so is its FIB cache: nobody watched the kernel in between. */
	cls_clear(&dp->maps, cls_active(&dp->maps) ^ 1);
	dp->fib_cache = cfg ? cfg->dataplane.fib_cache : false;
	dataplane_fib_invalidate(dp);
	/* One hook for the process's life: release and destroy look where apply put it. */
	dp->tcx = dataplane_tcx_wanted();
	log_debug("dataplane: loaded %s (id %u) and %s (id %u, on %s ingress)%s%s", XDP_PROG_NAME,
		  dp->xdp.id, TC_PROG_NAME, dp->tc.id, dataplane_tc_hook(dp),
		  dp->pin_dir[0] ? ", pinned in " : "", dp->pin_dir);
	return dp;
fail:
	/* Pins stay: they may be a predecessor's tables its programs still use. */
	cls_slots_free(dp->maps.slots);
	dataplane_bpf__destroy(dp->skel);
	free(dp);
	return NULL;
}

void dataplane_destroy(struct dataplane *dp, bool keep_attached)
{
	if (!dp)
		return;
	/* Programs left attached must not use a cache nobody invalidates. */
	dataplane_fib_watched(dp, false);
	for (size_t i = 0; i < dp->n_ports && !keep_attached; i++) {
		struct dp_port *p = &dp->ports[i];
		struct xdp_state st;
		int rc;

		if (dp_query_xdp(p->ifindex, &st) == 0 && st.prog_id == dp->xdp.id) {
			rc = dp_detach_exact(p->ifindex, dp->xdp.fd, st.mode_flags);
			if (rc < 0)
				log_err("dataplane: cannot detach from port %s: %s", p->name,
					strerror(-rc));
		}
		if (dp_query_tc(dp, p->ifindex) == dp->tc.id) {
			rc = dp_tc_detach(dp, p->ifindex);
			if (rc < 0)
				log_err("dataplane: cannot remove the tc filter of port %s: %s",
					p->name, strerror(-rc));
			else if (p->clsact_created)
				dp_tc_remove_clsact(p->ifindex, p->name);
		}
	}
	if (keep_attached && dp->n_ports)
		log_notice("dataplane: leaving %s and %s attached to %zu port(s)%s%s", XDP_PROG_NAME,
			   TC_PROG_NAME, dp->n_ports, dp->pin_dir[0] ? "; maps stay pinned in " : "",
			   dp->pin_dir);
	if (!keep_attached)
		unpin_all(dp, dp->pin_dir);
	/* Kept attached: the hooks keep the bridge's program and tables alive. */
	bridge_fast_free(dp->bf, !keep_attached);
	cls_slots_free(dp->maps.slots);
	dataplane_bpf__destroy(dp->skel);
	free(dp->test_vlans);
	free(dp->ports);
	free(dp);
}

struct bridge_fast *dataplane_bridge(const struct dataplane *dp)
{
	return dp ? dp->bf : NULL;
}

/* ---- for tests ---- */

void dataplane_test_fail_after(struct dataplane *dp, const char *step)
{
	snprintf(dp->test_fail_after, sizeof(dp->test_fail_after), "%s", step ? step : "");
}

int dataplane_test_add_vlan(struct dataplane *dp, int port_ifindex, unsigned vid, int sub_ifindex)
{
	struct vlan_entry *grown = realloc(dp->test_vlans, (dp->n_test_vlans + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	dp->test_vlans = grown;
	grown[dp->n_test_vlans++] = (struct vlan_entry){
		.in = { .ifindex = (__u32)port_ifindex, .vid = vid },
		.sub_ifindex = (__u32)sub_ifindex,
	};
	return 0;
}

void dataplane_test_clear_vlans(struct dataplane *dp)
{
	free(dp->test_vlans);
	dp->test_vlans = NULL;
	dp->n_test_vlans = 0;
}

