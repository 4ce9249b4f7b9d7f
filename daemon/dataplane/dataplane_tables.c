/* SPDX-License-Identifier: GPL-2.0-only */
/* dataplane_tables.c — kernel facts the BPF programs read from maps besides the
 * classifier's tables: the VLAN sub-interfaces of attached ports, the ports XDP
 * may redirect to, the pruning of ifindex-keyed maps, the FIB cache's control.
 * Writes made during dataplane_apply are recorded so a rollback undoes them. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane_priv.h"
#include "ports.h"
#include "tsn/log.h"

/* ---- VLAN sub-interfaces ---- */

/* The 802.1Q sub-interfaces of attached ports, from the kernel's link list
 * (and the ones a test added: the host's kernel may lack 8021q). */
int dp_scan_vlans(const struct dataplane *dp, const struct dp_port *ports, size_t n,
		  struct vlan_entry **out, size_t *count)
{
	struct port_vlan *all = NULL;
	size_t n_all = 0, nv = 0;
	int rc = ports_vlans(&all, &n_all);

	*out = NULL;
	*count = 0;
	if (rc < 0)
		return rc;
	if (!n_all && !dp->n_test_vlans) {
		free(all);
		return 0;
	}
	struct vlan_entry *v = calloc(n_all + dp->n_test_vlans, sizeof(*v));
	if (!v) {
		free(all);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n_all; i++) {
		if (!dp_has_ifindex(ports, n, all[i].parent))
			continue;
		v[nv].in.ifindex = (__u32)all[i].parent;
		v[nv].in.vid = all[i].vid;
		v[nv++].sub_ifindex = (__u32)all[i].ifindex;
	}
	free(all);
	if (dp->n_test_vlans) {
		memcpy(v + nv, dp->test_vlans, dp->n_test_vlans * sizeof(*v));
		nv += dp->n_test_vlans;
	}
	*out = v;
	*count = nv;
	return 0;
}

int dp_write_vlans(struct dataplane *dp, const struct vlan_entry *v, size_t n, struct vlan_undo *undo)
{
	int in_fd = bpf_map__fd(dp->skel->maps.tsn_vlan_in);
	int eg_fd = bpf_map__fd(dp->skel->maps.tsn_egress);

	undo->items = NULL;
	undo->count = 0;
	if (!n)
		return 0;
	undo->items = calloc(n, sizeof(*undo->items));
	if (!undo->items)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct tsn_egress eg = { .ifindex = v[i].in.ifindex, .vid = v[i].in.vid };
		struct vlan_undo_item *u = &undo->items[undo->count++];
		int rc;

		/* What is there before the write is what a rollback puts back. */
		u->in = v[i].in;
		u->sub_ifindex = v[i].sub_ifindex;
		u->had_in = bpf_map_lookup_elem(in_fd, &u->in, &u->old_sub) == 0;
		u->had_eg = bpf_map_lookup_elem(eg_fd, &u->sub_ifindex, &u->old_eg) == 0;
		rc = bpf_map_update_elem(in_fd, &v[i].in, &v[i].sub_ifindex, BPF_ANY);
		if (rc == 0)
			rc = bpf_map_update_elem(eg_fd, &v[i].sub_ifindex, &eg, BPF_ANY);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void dp_vlans_undo_free(struct vlan_undo *undo)
{
	free(undo->items);
	undo->items = NULL;
	undo->count = 0;
}

/* In reverse order, so that a key written twice ends at its first old value. */
void dp_vlans_undo(struct dataplane *dp, struct vlan_undo *undo)
{
	int in_fd = bpf_map__fd(dp->skel->maps.tsn_vlan_in);
	int eg_fd = bpf_map__fd(dp->skel->maps.tsn_egress);
	int failed = 0;

	for (size_t i = undo->count; i-- > 0;) {
		const struct vlan_undo_item *u = &undo->items[i];
		int rc = u->had_in ? bpf_map_update_elem(in_fd, &u->in, &u->old_sub, BPF_ANY)
				   : bpf_map_delete_elem(in_fd, &u->in);

		failed += rc < 0 && rc != -ENOENT;
		rc = u->had_eg ? bpf_map_update_elem(eg_fd, &u->sub_ifindex, &u->old_eg, BPF_ANY)
			       : bpf_map_delete_elem(eg_fd, &u->sub_ifindex);
		failed += rc < 0 && rc != -ENOENT;
	}
	if (failed)
		log_err("dataplane: rollback: %d VLAN map entr%s could not be restored", failed,
			failed == 1 ? "y" : "ies");
	dp_vlans_undo_free(undo);
}

/* Entries of the VLAN maps the scan no longer found.  Keys are collected first:
 * deleting while walking a hash map restarts the walk. */
void dp_prune_vlans(struct dataplane *dp, const struct vlan_entry *v, size_t n)
{
	int in_fd = bpf_map__fd(dp->skel->maps.tsn_vlan_in);
	int eg_fd = bpf_map__fd(dp->skel->maps.tsn_egress);
	struct tsn_vlan_key k, next, *stale_in = NULL;
	__u32 ek, enext, *stale_eg = NULL;
	size_t n_in = 0, n_eg = 0;

	for (int rc = bpf_map_get_next_key(in_fd, NULL, &next); rc == 0;
	     rc = bpf_map_get_next_key(in_fd, &k, &next)) {
		bool keep = false;
		struct tsn_vlan_key *grown;

		k = next;
		for (size_t i = 0; i < n && !keep; i++)
			keep = v[i].in.ifindex == k.ifindex && v[i].in.vid == k.vid;
		if (keep || !(grown = realloc(stale_in, (n_in + 1) * sizeof(*grown))))
			continue;
		stale_in = grown;
		stale_in[n_in++] = k;
	}
	for (int rc = bpf_map_get_next_key(eg_fd, NULL, &enext); rc == 0;
	     rc = bpf_map_get_next_key(eg_fd, &ek, &enext)) {
		bool keep = false;
		__u32 *grown;

		ek = enext;
		for (size_t i = 0; i < n && !keep; i++)
			keep = v[i].sub_ifindex == ek;
		if (keep || !(grown = realloc(stale_eg, (n_eg + 1) * sizeof(*grown))))
			continue;
		stale_eg = grown;
		stale_eg[n_eg++] = ek;
	}
	for (size_t i = 0; i < n_in; i++)
		bpf_map_delete_elem(in_fd, &stale_in[i]);
	for (size_t i = 0; i < n_eg; i++)
		bpf_map_delete_elem(eg_fd, &stale_eg[i]);
	free(stale_in);
	free(stale_eg);
}

/* ---- ifindex-keyed maps, redirect targets ---- */

/* Drop the entries of a map keyed by ifindex whose port is no longer ours: its
 * counters must not greet the next interface that gets the same ifindex, and XDP
 * must not redirect to it.  Keys are collected first (deleting while walking a
 * hash map restarts the walk), however many the map holds. */
int dp_prune_ifindex_map(int fd, bool (*keep)(const void *arg, __u32 ifindex), const void *arg)
{
	__u32 key, next, *stale = NULL;
	size_t n = 0, cap = 0;
	int rc, deleted = 0;

	for (rc = bpf_map_get_next_key(fd, NULL, &next); rc == 0;
	     rc = bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		if (keep(arg, key))
			continue;
		if (n == cap) {
			size_t want = cap ? cap * 2 : 64;
			__u32 *grown = realloc(stale, want * sizeof(*grown));

			if (!grown)
				break;
			stale = grown;
			cap = want;
		}
		stale[n++] = key;
	}
	for (size_t i = 0; i < n; i++)
		deleted += bpf_map_delete_elem(fd, &stale[i]) == 0;
	free(stale);
	return rc == -ENOENT ? deleted : rc == 0 ? -ENOMEM : rc;
}

/* Ports XDP may redirect to; *added lists the entries that were new (for undo). */
int dp_add_devmap(struct dataplane *dp, const struct dp_port *ports, size_t n, __u32 **added,
		  size_t *n_added)
{
	int fd = bpf_map__fd(dp->skel->maps.tsn_tx_ports);

	*n_added = 0;
	/* One slot per port: no bound but the number of ports itself. */
	*added = calloc(n ? n : 1, sizeof(**added));
	if (!*added)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct bpf_devmap_val v = { .ifindex = (__u32)ports[i].ifindex };
		__u32 key = (__u32)ports[i].ifindex;
		int rc = bpf_map_update_elem(fd, &key, &v, BPF_NOEXIST);

		if (rc == -EEXIST)
			continue;
		if (rc < 0)
			return rc;
		(*added)[(*n_added)++] = key;
	}
	return 0;
}

/* ---- FIB cache ---- */

/* Write tsn_fib_ctl: a new generation (every entry becomes a miss) and whether
 * the cache is used at all: only while someone watches the kernel for changes. */
static int fib_ctl_bump(struct dataplane *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.tsn_fib_ctl);
	struct tsn_fib_ctl ctl = { 0 };
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &ctl) < 0)
		return -errno;
	ctl.gen++;
	ctl.on = dp->fib_watched && dp->fib_cache;
	/* Once per map (a reused pin keeps its seed): a seed nobody outside knows.
	 * Without getrandom, the clock is still not a constant. */
	if (!ctl.seed && getrandom(&ctl.seed, sizeof(ctl.seed), GRND_NONBLOCK) != sizeof(ctl.seed)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ctl.seed = (__u32)ts.tv_nsec ^ (__u32)ts.tv_sec * 0x9e3779b9u;
	}
	ctl.seed |= 1;
	if (bpf_map_update_elem(fd, &zero, &ctl, BPF_ANY) < 0)
		return -errno;
	if (ctl.on != dp->fib_on)
		log_info("dataplane: FIB cache %s", ctl.on ? "on" : "off");
	log_debug("dataplane: FIB cache generation %u", ctl.gen);
	dp->fib_on = ctl.on;
	return 0;
}

void dataplane_fib_invalidate(struct dataplane *dp)
{
	int rc = dp ? fib_ctl_bump(dp) : 0;

	/* Cannot happen for an array of one; if it does, stop using the cache. */
	if (rc < 0) {
		log_err("dataplane: cannot invalidate the FIB cache: %s; turning it off",
			strerror(-rc));
		dp->fib_watched = false;
		fib_ctl_bump(dp);
	}
}

void dataplane_fib_watched(struct dataplane *dp, bool watched)
{
	if (!dp)
		return;
	dp->fib_watched = watched;
	dataplane_fib_invalidate(dp);
}

bool dataplane_fib_cache_on(const struct dataplane *dp)
{
	return dp && dp->fib_watched && dp->fib_cache;
}

