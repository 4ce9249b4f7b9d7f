/* SPDX-License-Identifier: GPL-2.0-only */
/* bridge_fast.c — tables of the bridge's XDP fast path (bpf/bridge.bpf.c) from
 * the configuration's bridge section.
 *
 * Generations: every table is keyed (or indexed) by the generation tsn_gen
 * names, and tsn_gen is tsn_xdp's own map, shared: dataplane_apply writes the
 * classifier's tables and these into the inactive generation, then one store
 * switches both; the old generation is cleared after the grace period.
 *
 * Each static entry gets its own devmap (inner map of tsn_br_devs), holding its
 * egress ports; an untagged member's slot runs tsn_br_untag on the way out.
 * Inner maps are created per generation and dropped with it: the outer map
 * holds the only reference. */
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json.h>

#include "bpf/bridge.skel.h"
#include "bridge_fast.h"
#include "percpu.h"
#include "tsn/bpf_bridge.h"
#include "tsn/bpf_shared.h"
#include "tsn/log.h"

_Static_assert(TSN_BR_MAX_PORTS == TSN_BRIDGE_MAX_FDB_PORTS, "entry ports: config and BPF agree");
_Static_assert(sizeof(struct tsn_br_port) == 12 && sizeof(struct tsn_br_fdb_key) == 12 &&
	       sizeof(struct tsn_br_ent) == 40 && sizeof(struct tsn_br_vlan_key) == 8 &&
	       sizeof(struct tsn_br_cnt_key) == 8, "bridge layouts are shared with BPF");
_Static_assert(sizeof(struct tsn_br_counters) % 8 == 0, "per-CPU values need 8-byte sizes");

struct bridge_fast {
	struct bridge_bpf *skel;
	int xdp_hook_fd, tc_hook_fd;
	uint32_t used[2];		/* slots written per generation */
	bool hooked;			/* the programs are in tsn_xdp's and tsn_tc_ingress's hooks */
};

static const char *const verdict_names[TSN_BR_VERDICTS] = {
	[TSN_BR_FWD_XDP] = "xdp",
	[TSN_BR_FWD_QDISC] = "to_qdisc",
	[TSN_BR_DROP_HAIRPIN] = "hairpin",
	[TSN_BR_DROP_ERROR] = "error",
	[TSN_BR_PASS_NOT_BRIDGED] = "not_bridged",
	[TSN_BR_PASS_LINK_LOCAL] = "link_local",
	[TSN_BR_PASS_MALFORMED] = "malformed",
	[TSN_BR_PASS_QINQ] = "qinq",
	[TSN_BR_PASS_VLAN] = "vlan",
	[TSN_BR_PASS_MISS] = "miss",
	[TSN_BR_PASS_NO_META] = "no_meta",
};

const char *bridge_fast_verdict_name(unsigned verdict)
{
	return verdict < TSN_BR_VERDICTS ? verdict_names[verdict] : "?";
}

struct bridge_fast *bridge_fast_new(int gen_fd, int xdp_hook_fd, int tc_hook_fd, char *err, size_t errlen)
{
	struct bridge_fast *bf = calloc(1, sizeof(*bf));
	int rc;

	if (!bf) {
		snprintf(err, errlen, "bridge fast path: out of memory");
		return NULL;
	}
	bf->xdp_hook_fd = xdp_hook_fd;
	bf->tc_hook_fd = tc_hook_fd;
	bf->skel = bridge_bpf__open();
	if (!bf->skel) {
		rc = -errno;
		snprintf(err, errlen, "bridge fast path: cannot open the BPF object: %s", strerror(-rc));
		free(bf);
		return NULL;
	}
	rc = bpf_map__reuse_fd(bf->skel->maps.tsn_gen, gen_fd);
	if (rc == 0)
		rc = bridge_bpf__load(bf->skel);
	if (rc < 0) {
		snprintf(err, errlen, "bridge fast path: cannot load bpf/bridge.bpf.o: %s (the verifier "
			 "log is printed at log level debug)", strerror(-rc));
		bridge_bpf__destroy(bf->skel);
		free(bf);
		return NULL;
	}
	return bf;
}

int bridge_fast_hook(struct bridge_fast *bf, bool on)
{
	__u32 zero = 0;
	int fd, rc;

	if (!bf)
		return 0;
	if (on == bf->hooked)
		return 0;
	if (!on) {
		bpf_map_delete_elem(bf->xdp_hook_fd, &zero);
		bpf_map_delete_elem(bf->tc_hook_fd, &zero);
		bf->hooked = false;
		return 0;
	}
	/* tc first: a frame XDP marks for tc always finds the tc half. */
	fd = bpf_program__fd(bf->skel->progs.tsn_br_tc);
	rc = bpf_map_update_elem(bf->tc_hook_fd, &zero, &fd, BPF_ANY);
	if (rc == 0) {
		fd = bpf_program__fd(bf->skel->progs.tsn_br_xdp);
		rc = bpf_map_update_elem(bf->xdp_hook_fd, &zero, &fd, BPF_ANY);
	}
	if (rc < 0)
		return -errno;
	bf->hooked = true;
	return 0;
}

void bridge_fast_free(struct bridge_fast *bf, bool unhook)
{
	if (!bf)
		return;
	if (unhook)
		bridge_fast_hook(bf, false);
	bridge_bpf__destroy(bf->skel);
	free(bf);
}

int bridge_fast_map_fd(const struct bridge_fast *bf, const char *name)
{
	struct bpf_map *m = bf ? bpf_object__find_map_by_name(bf->skel->obj, name) : NULL;

	return m ? bpf_map__fd(m) : -1;
}

/* ---- writing ---- */

static int ifindex_of(const struct bf_port *ports, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ports[i].name, name) == 0)
			return ports[i].ifindex;
	return 0;
}

static const struct tsn_cfg_bridge_port *bridge_port(const struct tsn_cfg_bridge *b, const char *name)
{
	for (size_t i = 0; i < b->n_ports; i++)
		if (strcmp(b->ports[i].name, name) == 0)
			return &b->ports[i];
	return NULL;
}

/* The port's membership of vid: 0 none, 1 tagged, 2 untagged. */
static int membership(const struct tsn_cfg_bridge_port *bp, uint32_t vid)
{
	for (size_t i = 0; i < bp->n_vlans; i++)
		if (bp->vlans[i].vid == vid)
			return bp->vlans[i].untagged ? 2 : 1;
	return 0;
}

/* Priorities whose class the port's schedule gates, from tsn_xdp's port entry. */
static uint8_t gated_prios(int ports_fd, int ifindex, uint32_t gen)
{
	struct tsn_port_key k = { .ifindex = (__u32)ifindex, .gen = gen };
	struct tsn_port_conf pc;
	uint8_t mask = 0;

	if (bpf_map_lookup_elem(ports_fd, &k, &pc) < 0)
		return 0;
	for (unsigned p = 0; p < TSN_NUM_PRIO_MAX; p++)
		if ((pc.sched_mask >> (pc.prio_tc[p] & 7)) & 1)
			mask |= (uint8_t)(1u << p);
	return mask;
}

static int write_ports(struct bridge_fast *bf, const struct tsn_cfg_bridge *b, const struct bf_port *ports,
		       size_t n_ports, uint32_t gen, char *err, size_t errlen)
{
	int pfd = bpf_map__fd(bf->skel->maps.tsn_br_ports), vfd = bpf_map__fd(bf->skel->maps.tsn_br_vlans);
	__u8 one = 1;
	int rc;

	for (size_t i = 0; i < b->n_ports; i++) {
		const struct tsn_cfg_bridge_port *cp = &b->ports[i];
		int ifindex = ifindex_of(ports, n_ports, cp->name);
		struct tsn_port_key k = { .ifindex = (__u32)ifindex, .gen = gen };
		struct tsn_br_port v = {
			.pvid = (__u16)cp->pvid,
			.default_prio = (__u8)(cp->default_priority & 7),
			.flags = b->vlan_filtering ? TSN_BR_PORT_VLAN_AWARE : 0,
		};

		if (!ifindex)
			continue;	/* xdp off: its frames never reach the fast path */
		for (int p = 0; p < 8; p++)
			v.pcp_prio[p] = (__u8)(cp->pcp_map[p] & 7);
		if (bpf_map_update_elem(pfd, &k, &v, BPF_ANY) < 0)
			goto fail;
		for (size_t j = 0; b->vlan_filtering && j < cp->n_vlans; j++) {
			struct tsn_br_vlan_key vk = { .ifindex = (__u32)ifindex, .vid = (__u16)cp->vlans[j].vid,
						      .gen = (__u8)gen };

			if (bpf_map_update_elem(vfd, &vk, &one, BPF_ANY) < 0)
				goto fail;
		}
		continue;
fail:
		rc = -errno;
		snprintf(err, errlen, "bridge.ports[%zu] (%s): cannot write it to the XDP fast path: %s", i,
			 cp->name, strerror(-rc));
		return rc;
	}
	return 0;
}

static bool has_port(const struct tsn_br_ent *e, __u32 ifindex)
{
	for (unsigned i = 0; i < e->n_ports; i++)
		if (e->ifindex[i] == ifindex)
			return true;
	return false;
}

/* The entry as the fast path holds it; 0 if it does, 1 if it is left to the
 * kernel (an egress port the programs do not run on, or no member port). */
static int build_entry(const struct tsn_cfg_bridge *b, const struct tsn_cfg_bridge_fdb *e,
		       const struct bf_port *ports, size_t n_ports, int ports_fd, uint32_t gen,
		       struct tsn_br_ent *out)
{
	memset(out, 0, sizeof(*out));
	out->vid = b->vlan_filtering ? (__u16)e->vid : 0;
	out->flags = b->vlan_filtering ? TSN_BR_ENT_VLAN_AWARE : 0;
	if (b->vlan_filtering ? (e->vid == 0 || e->vid >= 4095) : e->vid != 0)
		return 1;	/* a VID the kernel's bridge would never look up with */
	for (size_t i = 0; i < e->n_ports && i < TSN_BR_MAX_PORTS; i++) {
		const struct tsn_cfg_bridge_port *bp = bridge_port(b, e->ports[i]);
		int ifindex = ifindex_of(ports, n_ports, e->ports[i]);
		int mem = bp && b->vlan_filtering ? membership(bp, e->vid) : 1;

		if (!bp || !ifindex)
			return 1;
		if (!mem)
			continue;	/* the kernel's egress filter would not send it there */
		if (has_port(out, (__u32)ifindex))
			continue;	/* named twice: one copy, as the devmap holds it once */
		if (mem == 2)
			out->untagged |= (__u8)(1u << out->n_ports);
		out->ifindex[out->n_ports++] = (__u32)ifindex;
		out->gated_prios |= gated_prios(ports_fd, ifindex, gen);
	}
	return out->n_ports ? 0 : 1;
}

/* The entry's devmap: its ports, an untagged member's with tsn_br_untag. */
static int entry_devmap(struct bridge_fast *bf, const struct tsn_br_ent *ent)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_DEVMAP_HASH, "tsn_br_dev", sizeof(__u32),
				sizeof(struct bpf_devmap_val), TSN_BR_MAX_PORTS, NULL);

	if (fd < 0)
		return -errno;
	for (unsigned i = 0; i < ent->n_ports; i++) {
		struct bpf_devmap_val v = { .ifindex = ent->ifindex[i] };
		__u32 k = ent->ifindex[i];

		v.bpf_prog.fd = (ent->flags & TSN_BR_ENT_VLAN_AWARE) && ((ent->untagged >> i) & 1)
					? bpf_program__fd(bf->skel->progs.tsn_br_untag) : 0;
		if (bpf_map_update_elem(fd, &k, &v, BPF_ANY) < 0) {
			int rc = -errno;

			close(fd);
			return rc;
		}
	}
	return fd;
}

int bridge_fast_write(struct bridge_fast *bf, const struct tsn_config *cfg, const struct bf_port *ports,
		      size_t n_ports, int ports_fd, uint32_t gen, char *err, size_t errlen)
{
	const struct tsn_cfg_bridge *b = &cfg->bridge;
	int ffd = bpf_map__fd(bf->skel->maps.tsn_br_fdb), efd = bpf_map__fd(bf->skel->maps.tsn_br_ents);
	int dfd = bpf_map__fd(bf->skel->maps.tsn_br_devs), sfd = bpf_map__fd(bf->skel->maps.tsn_br_stats);
	int ncpus = libbpf_num_possible_cpus();
	struct tsn_br_counters *zero;
	size_t left = 0;
	int rc;

	gen &= 1;
	bridge_fast_clear(bf, gen);
	if (!b->enabled)
		return 0;
	/* Hooked before the switch: until then the active generation has no
	 * bridge tables, and every frame passes. */
	rc = bridge_fast_hook(bf, true);
	if (rc < 0) {
		snprintf(err, errlen, "bridge fast path: cannot hook it into tsn_xdp/tsn_tc_ingress: %s",
			 strerror(-rc));
		return rc;
	}
	rc = write_ports(bf, b, ports, n_ports, gen, err, errlen);
	if (rc < 0)
		return rc;
	zero = calloc(ncpus > 0 ? (size_t)ncpus : 1, sizeof(*zero));
	if (!zero) {
		snprintf(err, errlen, "bridge fast path: out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < b->n_fdb && rc == 0; i++) {
		const struct tsn_cfg_bridge_fdb *e = &b->fdb[i];
		struct tsn_br_fdb_key fk = { .gen = (__u8)gen };
		struct tsn_br_cnt_key ck = { 0 };
		struct tsn_br_ent ent;
		__u32 slot = bf->used[gen], idx = gen * TSN_BR_MAX_FDB + slot;
		const char *what = NULL;
		int dev;

		if (build_entry(b, e, ports, n_ports, ports_fd, gen, &ent)) {
			left++;
			continue;
		}
		if (slot >= TSN_BR_MAX_FDB) {
			left++;
			continue;
		}
		memcpy(fk.mac, e->mac.addr, 6);
		fk.vid = ent.vid;
		memcpy(ck.mac, e->mac.addr, 6);
		ck.vid = ent.vid;
		dev = entry_devmap(bf, &ent);
		if (dev < 0) {
			rc = dev;
			what = "its devmap";
		} else {
			rc = bpf_map_update_elem(dfd, &idx, &dev, BPF_ANY) < 0 ? -errno : 0;
			close(dev);
			what = "its devmap";
		}
		if (rc == 0) {
			bf->used[gen] = slot + 1;
			what = "its ports";
			rc = bpf_map_update_elem(efd, &idx, &ent, BPF_ANY) < 0 ? -errno : 0;
		}
		if (rc == 0) {
			/* Counters carry over reloads: only new entries start at zero. */
			what = "its counters";
			if (bpf_map_update_elem(sfd, &ck, zero, BPF_NOEXIST) < 0 && errno != EEXIST)
				rc = -errno;
		}
		if (rc == 0) {
			what = "the entry";
			rc = bpf_map_update_elem(ffd, &fk, &slot, BPF_NOEXIST) < 0 ? -errno : 0;
		}
		if (rc < 0)
			snprintf(err, errlen, "bridge.fdb[%zu] (%02x:%02x:%02x:%02x:%02x:%02x vid %u): cannot "
				 "write %s to the XDP fast path: %s", i, e->mac.addr[0], e->mac.addr[1],
				 e->mac.addr[2], e->mac.addr[3], e->mac.addr[4], e->mac.addr[5], e->vid, what,
				 rc == -EEXIST ? "a second entry for the same MAC and VID" : strerror(-rc));
	}
	free(zero);
	if (rc == 0 && left)
		log_info("bridge: %zu static entr%s left to the kernel's bridge (egress port without "
			 "tsnd's XDP, no member port, or more than %d entries)", left, left == 1 ? "y" : "ies",
			 TSN_BR_MAX_FDB);
	return rc;
}

/* Delete every key of a generational hash whose generation field is gen: the
 * keys are listed first, then deleted (a deleted key cannot anchor a walk). */
static void clear_hash(int fd, size_t key_size, size_t gen_off, size_t gen_size, uint32_t gen)
{
	uint8_t cur[16], next[16], *del = NULL;
	size_t n = 0, cap = 0;
	bool first = true;

	while (bpf_map_get_next_key(fd, first ? NULL : cur, next) == 0) {
		uint32_t g = 0;

		first = false;
		memcpy(cur, next, key_size);
		memcpy(&g, cur + gen_off, gen_size);
		if (g != gen)
			continue;
		if (n == cap) {
			uint8_t *grown = realloc(del, (cap ? cap * 2 : 64) * key_size);

			if (!grown)
				break;
			del = grown;
			cap = cap ? cap * 2 : 64;
		}
		memcpy(del + n++ * key_size, cur, key_size);
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, del + i * key_size);
	free(del);
}

void bridge_fast_clear(struct bridge_fast *bf, uint32_t gen)
{
	int dfd, efd;

	if (!bf)
		return;
	gen &= 1;
	clear_hash(bpf_map__fd(bf->skel->maps.tsn_br_fdb), sizeof(struct tsn_br_fdb_key),
		   offsetof(struct tsn_br_fdb_key, gen), 1, gen);
	clear_hash(bpf_map__fd(bf->skel->maps.tsn_br_vlans), sizeof(struct tsn_br_vlan_key),
		   offsetof(struct tsn_br_vlan_key, gen), 1, gen);
	clear_hash(bpf_map__fd(bf->skel->maps.tsn_br_ports), sizeof(struct tsn_port_key),
		   offsetof(struct tsn_port_key, gen), 4, gen);
	dfd = bpf_map__fd(bf->skel->maps.tsn_br_devs);
	efd = bpf_map__fd(bf->skel->maps.tsn_br_ents);
	for (__u32 s = 0; s < bf->used[gen]; s++) {
		__u32 idx = gen * TSN_BR_MAX_FDB + s;
		struct tsn_br_ent none = { 0 };

		bpf_map_delete_elem(dfd, &idx);
		bpf_map_update_elem(efd, &idx, &none, BPF_ANY);
	}
	bf->used[gen] = 0;
}

static bool cfg_has(const struct tsn_config *cfg, const struct tsn_br_cnt_key *k)
{
	const struct tsn_cfg_bridge *b = &cfg->bridge;

	for (size_t i = 0; b->enabled && i < b->n_fdb; i++)
		if (memcmp(b->fdb[i].mac.addr, k->mac, 6) == 0 &&
		    (b->vlan_filtering ? b->fdb[i].vid : 0) == k->vid)
			return true;
	return false;
}

void bridge_fast_prune_counters(struct bridge_fast *bf, const struct tsn_config *cfg)
{
	struct tsn_br_cnt_key key, next, *del;
	size_t n = 0;
	bool first = true;
	int fd;

	if (!bf)
		return;
	fd = bpf_map__fd(bf->skel->maps.tsn_br_stats);
	/* Listed first, deleted after: a deleted key cannot anchor the walk. */
	del = calloc(TSN_BR_MAX_FDB, sizeof(*del));
	if (!del)
		return;
	while (n < TSN_BR_MAX_FDB && bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		if (!cfg_has(cfg, &key))
			del[n++] = key;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &del[i]);
	free(del);
}

int bridge_fast_counters(const struct bridge_fast *bf, const uint8_t mac[6], uint32_t vid, uint64_t *packets,
			 uint64_t *bytes)
{
	struct tsn_br_cnt_key k = { .vid = (__u16)vid };
	struct tsn_br_counters sum;
	int rc;

	*packets = *bytes = 0;
	if (!bf)
		return -ENOENT;
	memcpy(k.mac, mac, 6);
	rc = percpu_sum_u64(bpf_map__fd(bf->skel->maps.tsn_br_stats), &k, &sum, sizeof(sum));
	if (rc < 0)
		return rc;
	*packets = sum.packets;
	*bytes = sum.bytes;
	return 0;
}

int bridge_fast_has(const struct bridge_fast *bf, const uint8_t mac[6], uint32_t vid, uint32_t gen)
{
	struct tsn_br_fdb_key k = { .vid = (__u16)vid, .gen = (__u8)(gen & 1) };
	__u32 slot;

	if (!bf)
		return 0;
	memcpy(k.mac, mac, 6);
	return bpf_map_lookup_elem(bpf_map__fd(bf->skel->maps.tsn_br_fdb), &k, &slot) == 0;
}

uint64_t bridge_fast_verdict(const struct bridge_fast *bf, unsigned verdict)
{
	__u32 k = verdict;
	uint64_t sum = 0;

	if (!bf || verdict >= TSN_BR_VERDICTS)
		return 0;
	percpu_sum_u64(bpf_map__fd(bf->skel->maps.tsn_br_verdicts), &k, &sum, sizeof(sum));
	return sum;
}

json_object *bridge_fast_json(const struct bridge_fast *bf)
{
	json_object *o = json_object_new_object(), *v = json_object_new_object();

	json_object_object_add(o, "loaded", json_object_new_boolean(bf != NULL));
	json_object_object_add(o, "hooked", json_object_new_boolean(bf && bf->hooked));
	for (unsigned i = 0; i < TSN_BR_VERDICTS; i++)
		json_object_object_add(v, verdict_names[i],
				       json_object_new_int64((int64_t)bridge_fast_verdict(bf, i)));
	json_object_object_add(o, "verdicts", v);
	return o;
}
