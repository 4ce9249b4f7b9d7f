/* SPDX-License-Identifier: GPL-2.0-only */
/* bridge.c — the kernel bridge as configured: the transaction step's plan,
 * apply and undo, ownership across reloads, read-back and drift (bridge.h).
 *
 * A plan is a list of operations, each with its exact inverse, computed in
 * prepare from the running configuration, the new one and what the kernel has.
 * Apply runs them in order and journals the inverses; a failure plays the
 * journal back, last first, and so does abort.  The order: the old bridge's
 * teardown (when the name changes or the section goes), the bridge itself,
 * ports in, VLAN memberships, static entries in, stale entries out, ports out.
 */
#include <errno.h>
#include <linux/if_bridge.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge.h"
#include "bridge_nl.h"
#include "bridge_fast.h"
#include "ethtool.h"
#include "evloop.h"
#include "nlio.h"
#include "tsn/log.h"

#define DRIFT_POLL_NS (2ull * 1000000000ull)
/* A burst of notifications (a flushed FDB) is one look, this long after the first. */
#define DRIFT_SETTLE_NS (100ull * 1000000ull)

enum op_kind { OP_CREATE, OP_DELETE, OP_SETTINGS, OP_UP, OP_MASTER, OP_VLAN, OP_FDB, OP_MDB, OP_TXVLAN };

struct op {
	enum op_kind kind;
	bool add;			/* OP_VLAN, OP_FDB, OP_MDB: add, else delete; OP_UP: up; OP_CREATE: and up;
					 * OP_TXVLAN: the VLAN transmit offload on, else off */
	char dev[IFNAMSIZ];		/* the bridge (link ops) or the port */
	char master[IFNAMSIZ];		/* OP_MASTER: the new master, "" for none; OP_MDB: the bridge */
	bool set_vf, vf, set_age;
	uint32_t age_cs;
	uint16_t vid, flags;
	uint8_t mac[6];
	const void *field;		/* the configuration field behind it, for errors (may be NULL) */
};

struct step {
	struct op run, undo;
};

/* What tsnd owns of the kernel's bridge; survives reloads. */
struct owner {
	char name[IFNAMSIZ];		/* "" none */
	bool created;
	/* an adopted bridge's own settings, put back when tsnd lets go */
	bool orig_vf;
	uint32_t orig_age_cs;
	char (*orig_ports)[IFNAMSIZ];	/* its ports before tsnd came */
	size_t n_orig_ports;
	/* ports whose VLAN transmit offload tsnd turned off: on again when it lets go */
	char (*txvlan_off)[IFNAMSIZ];
	size_t n_txvlan_off;
};

struct bridge {
	struct nlio *nl;
	struct ev_timer *timer;
	struct nlio_mon *mon;		/* link, neighbour and MDB changes: look at once */
	struct ev_io *mon_io;
	struct owner own, next;		/* next: the owner once this transaction commits */
	const struct tsn_config *plan_cfg;
	struct step *plan;
	size_t n_plan, cap_plan;
	struct op *journal;
	size_t n_journal;
	const struct tsn_config *running;
	/* drift */
	bool drift;
	char drift_reason[256];
	uint64_t drift_events;
	uint64_t refreshes;
};

static void owner_free(struct owner *o)
{
	free(o->orig_ports);
	free(o->txvlan_off);
	memset(o, 0, sizeof(*o));
}

static bool owner_txvlan_has(const struct owner *o, const char *name)
{
	for (size_t i = 0; i < o->n_txvlan_off; i++)
		if (strcmp(o->txvlan_off[i], name) == 0)
			return true;
	return false;
}

static int owner_txvlan_add(struct owner *o, const char *name)
{
	char (*p)[IFNAMSIZ];

	if (owner_txvlan_has(o, name))
		return 0;
	p = reallocarray(o->txvlan_off, o->n_txvlan_off + 1, IFNAMSIZ);
	if (!p)
		return -ENOMEM;
	o->txvlan_off = p;
	snprintf(p[o->n_txvlan_off++], IFNAMSIZ, "%s", name);
	return 0;
}

static void owner_txvlan_del(struct owner *o, const char *name)
{
	for (size_t i = 0; i < o->n_txvlan_off; i++)
		if (strcmp(o->txvlan_off[i], name) == 0) {
			memmove(o->txvlan_off[i], o->txvlan_off[i + 1], (o->n_txvlan_off - i - 1) * IFNAMSIZ);
			o->n_txvlan_off--;
			return;
		}
}

static int owner_copy(struct owner *dst, const struct owner *src)
{
	*dst = *src;
	dst->orig_ports = NULL;
	dst->txvlan_off = NULL;
	dst->n_txvlan_off = 0;
	if (src->n_orig_ports) {
		dst->orig_ports = malloc(src->n_orig_ports * IFNAMSIZ);
		if (!dst->orig_ports)
			return -ENOMEM;
		memcpy(dst->orig_ports, src->orig_ports, src->n_orig_ports * IFNAMSIZ);
	}
	for (size_t i = 0; i < src->n_txvlan_off; i++)
		if (owner_txvlan_add(dst, src->txvlan_off[i]) < 0)
			return -ENOMEM;
	return 0;
}

static bool owner_had_port(const struct owner *o, const char *name)
{
	for (size_t i = 0; i < o->n_orig_ports; i++)
		if (strcmp(o->orig_ports[i], name) == 0)
			return true;
	return false;
}

/* ---- life ---- */

static void drift_tick(struct evloop *loop, void *arg);
static void on_monitor(struct evloop *loop, int fd, uint32_t events, void *arg);

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct bridge *bridge_new(struct evloop *loop, char *err, size_t errlen)
{
	struct bridge *b = calloc(1, sizeof(*b));
	char why[160];

	if (!b) {
		snprintf(err, errlen, "bridge: out of memory");
		return NULL;
	}
	b->nl = nlio_open(why, sizeof(why));
	if (!b->nl) {
		snprintf(err, errlen, "bridge: %s", why);
		free(b);
		return NULL;
	}
	if (loop) {
		b->timer = evloop_timer_new(loop, drift_tick, b);
		if (!b->timer) {
			snprintf(err, errlen, "bridge: no timer for the drift check");
			bridge_free(b);
			return NULL;
		}
		/* Without notifications the 2 s poll still sees drift: not fatal. */
		static const unsigned groups[] = { RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_MDB };
		b->mon = nlio_mon_open(groups, 3, why, sizeof(why));
		if (b->mon)
			b->mon_io = evloop_io_add(loop, nlio_mon_fd(b->mon), EPOLLIN, on_monitor, b);
		if (!b->mon || !b->mon_io)
			log_warn("bridge: no change notifications (%s); drift is seen by the 2 s poll",
				 b->mon ? "cannot watch the socket" : why);
	}
	return b;
}

void bridge_free(struct bridge *b)
{
	if (!b)
		return;
	if (b->mon_io)
		evloop_io_del(b->mon_io);
	nlio_mon_close(b->mon);
	evloop_timer_free(b->timer);
	nlio_close(b->nl);
	free(b->plan);
	free(b->journal);
	owner_free(&b->own);
	owner_free(&b->next);
	free(b);
}

/* ---- errors ---- */

/* The reason at the field's file:line:col when the configuration knows it. */
__attribute__((format(printf, 5, 6))) static void field_error(const struct tsn_config *cfg, const void *field,
							      char *err, size_t errlen, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cfg && field) {
		struct tsn_diags diags;
		tsn_diags_init(&diags, cfg->source[0] ? cfg->source : "tsnd.yaml");
		tsn_config_report(cfg, &diags, TSN_DIAG_ERROR, field, "%s", msg);
		if (diags.count) {
			tsn_diag_format(&diags, &diags.items[0], err, errlen);
			tsn_diags_free(&diags);
			return;
		}
		tsn_diags_free(&diags);
	}
	snprintf(err, errlen, "bridge: %s", msg);
}

static void mac_str(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ---- the plan ---- */

static int plan_add(struct bridge *b, const struct op *run, const struct op *undo)
{
	if (b->n_plan == b->cap_plan) {
		size_t cap = b->cap_plan ? 2 * b->cap_plan : 32;
		struct step *p = reallocarray(b->plan, cap, sizeof(*p));
		if (!p)
			return -ENOMEM;
		b->plan = p;
		b->cap_plan = cap;
	}
	b->plan[b->n_plan].run = *run;
	b->plan[b->n_plan].undo = *undo;
	b->n_plan++;
	return 0;
}

static struct op op_link(enum op_kind kind, const char *dev)
{
	struct op o = { .kind = kind };
	snprintf(o.dev, sizeof(o.dev), "%s", dev);
	return o;
}

static struct op op_entry(enum op_kind kind, bool add, const char *port, const char *br, const uint8_t mac[6],
			  uint16_t vid, const void *field)
{
	struct op o = { .kind = kind, .add = add, .vid = vid, .field = field };
	snprintf(o.dev, sizeof(o.dev), "%s", port);
	snprintf(o.master, sizeof(o.master), "%s", br);
	if (mac)
		memcpy(o.mac, mac, 6);
	return o;
}

static struct op op_vlan(const char *port, uint16_t vid, uint16_t flags, bool add, const void *field)
{
	struct op o = { .kind = OP_VLAN, .add = add, .vid = vid, .flags = flags, .field = field };
	snprintf(o.dev, sizeof(o.dev), "%s", port);
	return o;
}

static struct op op_master(const char *port, const char *master, const void *field)
{
	struct op o = { .kind = OP_MASTER, .field = field };
	snprintf(o.dev, sizeof(o.dev), "%s", port);
	snprintf(o.master, sizeof(o.master), "%s", master);
	return o;
}

/* The kernel's view of one bridge, with its ports by name. */
struct kview {
	struct bnl_link br;
	struct bnl_snapshot s;
};

static int kview_take(struct bridge *b, const char *name, struct kview *k, char *err, size_t errlen)
{
	char ext[256];
	int rc;

	memset(k, 0, sizeof(*k));
	rc = bnl_link_get(b->nl, name, &k->br);
	if (rc == 0 && k->br.exists && strcmp(k->br.kind, "bridge") == 0)
		rc = bnl_snapshot_take(b->nl, k->br.ifindex, &k->s, ext, sizeof(ext));
	if (rc < 0)
		snprintf(err, errlen, "bridge: cannot read bridge %s from the kernel: %s", name, strerror(-rc));
	return rc;
}

static bool kv_has_port(const struct kview *k, int ifindex)
{
	for (size_t i = 0; i < k->s.n_ports; i++)
		if (k->s.ports[i] == ifindex)
			return true;
	return false;
}

static const struct bnl_fdb *kv_static(const struct kview *k, const uint8_t mac[6], uint16_t vid)
{
	for (size_t i = 0; i < k->s.n_fdb; i++) {
		const struct bnl_fdb *f = &k->s.fdb[i];
		if (f->vid == vid && memcmp(f->mac, mac, 6) == 0 && (f->state & NUD_NOARP) && !(f->state & NUD_PERMANENT))
			return f;
	}
	return NULL;
}

static bool kv_mdb(const struct kview *k, int port, const uint8_t mac[6], uint16_t vid)
{
	for (size_t i = 0; i < k->s.n_mdb; i++)
		if (k->s.mdb[i].ifindex == port && k->s.mdb[i].vid == vid && memcmp(k->s.mdb[i].mac, mac, 6) == 0)
			return true;
	return false;
}

static int ifindex_of(const char *name)
{
	return (int)if_nametoindex(name);
}

static bool is_multicast(const uint8_t mac[6])
{
	return mac[0] & 1;
}

static uint16_t cfg_vlan_flags(const struct tsn_cfg_bridge_port *p, const struct tsn_cfg_bridge_vlan *v)
{
	return (uint16_t)((p->pvid == v->vid ? BRIDGE_VLAN_INFO_PVID : 0) | (v->untagged ? BRIDGE_VLAN_INFO_UNTAGGED : 0));
}

static bool fdb_in(const struct tsn_cfg_bridge *c, const uint8_t mac[6], uint16_t vid, const char *port)
{
	for (size_t i = 0; c && i < c->n_fdb; i++) {
		const struct tsn_cfg_bridge_fdb *e = &c->fdb[i];
		if (e->vid != vid || memcmp(e->mac.addr, mac, 6) != 0)
			continue;
		if (!port)
			return true;
		for (size_t j = 0; j < e->n_ports; j++)
			if (strcmp(e->ports[j], port) == 0)
				return true;
	}
	return false;
}

static bool port_in(const struct tsn_cfg_bridge *c, const char *name)
{
	for (size_t i = 0; c && i < c->n_ports; i++)
		if (strcmp(c->ports[i].name, name) == 0)
			return true;
	return false;
}

/* Entries of old the new configuration (same bridge) no longer has: out. */
static int plan_stale_entries(struct bridge *b, const struct tsn_cfg_bridge *old, const struct tsn_cfg_bridge *neu,
			      const struct kview *k)
{
	for (size_t i = 0; old && i < old->n_fdb; i++) {
		const struct tsn_cfg_bridge_fdb *e = &old->fdb[i];
		uint16_t vid = (uint16_t)e->vid;
		for (size_t j = 0; j < e->n_ports; j++) {
			const char *port = e->ports[j];
			int ifx = ifindex_of(port);
			if (!is_multicast(e->mac.addr)) {
				const struct bnl_fdb *f = kv_static(k, e->mac.addr, vid);
				if (!f || f->ifindex != ifx || fdb_in(neu, e->mac.addr, vid, NULL))
					continue;
				struct op run = op_entry(OP_FDB, false, port, old->name, e->mac.addr, vid, NULL);
				struct op undo = op_entry(OP_FDB, true, port, old->name, e->mac.addr, vid, NULL);
				if (plan_add(b, &run, &undo) < 0)
					return -ENOMEM;
			} else {
				if (!ifx || !kv_mdb(k, ifx, e->mac.addr, vid) || fdb_in(neu, e->mac.addr, vid, port))
					continue;
				struct op run = op_entry(OP_MDB, false, port, old->name, e->mac.addr, vid, NULL);
				struct op undo = op_entry(OP_MDB, true, port, old->name, e->mac.addr, vid, NULL);
				if (plan_add(b, &run, &undo) < 0)
					return -ENOMEM;
			}
		}
	}
	return 0;
}

/* A port leaves the bridge: its VLANs first (so that undo gives them back
 * exactly), then the bridge. */
static int plan_release_port(struct bridge *b, const char *port, const char *br, const struct kview *k)
{
	int ifx = ifindex_of(port);

	if (!ifx || !kv_has_port(k, ifx))
		return 0;
	for (size_t i = 0; i < k->s.n_vlans; i++) {
		const struct bnl_vlan *v = &k->s.vlans[i];
		if (v->ifindex != ifx)
			continue;
		struct op run = op_vlan(port, v->vid, v->flags, false, NULL), undo = op_vlan(port, v->vid, v->flags, true, NULL);
		if (plan_add(b, &run, &undo) < 0)
			return -ENOMEM;
	}
	struct op run = op_master(port, "", NULL), undo = op_master(port, br, NULL);
	return plan_add(b, &run, &undo);
}

/* ---- the VLAN transmit offload ---- */

/* Whether port's driver hands a tag its VLAN transmit offload keeps beside the
 * frame (skb->vlan_tci) to another device as it is: veth gives the skb to its
 * peer, where XDP sees the frame untagged (docs/bridge.md, "The VLAN tag over
 * veth").  A NIC inserts the tag into what it puts on the wire, and tap writes
 * it into the frame user space reads: for those the offload is harmless. */
static bool tag_beside_frame(const char *port)
{
	char drv[32];

	return ethtool_driver(port, drv, sizeof(drv)) == 0 && strcmp(drv, "veth") == 0;
}

static struct op op_txvlan(const char *port, bool on, const void *field)
{
	struct op o = { .kind = OP_TXVLAN, .add = on, .field = field };
	snprintf(o.dev, sizeof(o.dev), "%s", port);
	return o;
}

/* The offload tsnd turned off on port goes on again (port leaves tsnd's bridge). */
static int plan_txvlan_restore(struct bridge *b, const char *port)
{
	if (!owner_txvlan_has(&b->next, port))
		return 0;
	owner_txvlan_del(&b->next, port);
	if (!ifindex_of(port))
		return 0;	/* the port is gone, and its setting with it */
	struct op run = op_txvlan(port, true, NULL), undo = op_txvlan(port, false, NULL);
	return plan_add(b, &run, &undo);
}

/* Off on every configured port whose driver keeps the tag beside the frame. */
static int plan_txvlan_off(struct bridge *b, const struct tsn_cfg_bridge *c)
{
	for (size_t i = 0; i < c->n_ports; i++) {
		const char *port = c->ports[i].name;
		bool on, fixed;
		int rc;
		if (!tag_beside_frame(port))
			continue;
		rc = ethtool_feature_get(port, ETHTOOL_F_TXVLAN, &on, &fixed);
		if (rc < 0) {
			log_warn("bridge: cannot read %s's %s: %s", port, ETHTOOL_F_TXVLAN, strerror(-rc));
			continue;
		}
		/* a teardown earlier in this plan turns it on again */
		if (owner_txvlan_has(&b->own, port) && !owner_txvlan_has(&b->next, port))
			on = true;
		if (!on)
			continue;
		if (fixed) {
			log_warn("bridge: %s's %s is fixed on: VLAN tags it sends travel beside the frame", port,
				 ETHTOOL_F_TXVLAN);
			continue;
		}
		struct op run = op_txvlan(port, false, port), undo = op_txvlan(port, true, NULL);
		if (plan_add(b, &run, &undo) < 0 || owner_txvlan_add(&b->next, port) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* tsnd lets go of old's bridge: a created one goes, an adopted one gets back
 * its settings and keeps the ports it had. */
static int plan_teardown(struct bridge *b, const struct tsn_cfg_bridge *old, char *err, size_t errlen)
{
	struct kview k;
	int rc;

	if (kview_take(b, old->name, &k, err, errlen) < 0)
		return -1;
	if (!k.br.exists || strcmp(k.br.kind, "bridge") != 0) {
		bnl_snapshot_free(&k.s);
		return 0;
	}
	rc = plan_stale_entries(b, old, NULL, &k);
	for (size_t i = 0; rc == 0 && i < b->own.n_txvlan_off; i++)
		rc = plan_txvlan_restore(b, b->own.txvlan_off[i]);
	for (size_t i = 0; rc == 0 && i < old->n_ports; i++)
		if (b->own.created || !owner_had_port(&b->own, old->ports[i].name))
			rc = plan_release_port(b, old->ports[i].name, old->name, &k);
	if (rc == 0 && b->own.created) {
		struct op run = op_link(OP_DELETE, old->name), undo = op_link(OP_CREATE, old->name);
		undo.vf = k.br.vlan_filtering;
		undo.age_cs = k.br.ageing_cs;
		undo.add = k.br.up;	/* recreated and brought up again */
		rc = plan_add(b, &run, &undo);
	} else if (rc == 0 && (k.br.vlan_filtering != b->own.orig_vf || k.br.ageing_cs != b->own.orig_age_cs)) {
		struct op run = op_link(OP_SETTINGS, old->name), undo = op_link(OP_SETTINGS, old->name);
		run.set_vf = undo.set_vf = k.br.vlan_filtering != b->own.orig_vf;
		run.set_age = undo.set_age = k.br.ageing_cs != b->own.orig_age_cs;
		run.vf = b->own.orig_vf;
		run.age_cs = b->own.orig_age_cs;
		undo.vf = k.br.vlan_filtering;
		undo.age_cs = k.br.ageing_cs;
		rc = plan_add(b, &run, &undo);
	}
	bnl_snapshot_free(&k.s);
	if (rc < 0)
		snprintf(err, errlen, "bridge: out of memory");
	return rc < 0 ? -1 : 0;
}

/* The configured bridge, from what the kernel has now. */
static int plan_setup(struct bridge *b, const struct tsn_config *cfg, const struct tsn_cfg_bridge *old, char *err,
		      size_t errlen)
{
	const struct tsn_cfg_bridge *c = &cfg->bridge;
	uint32_t age_cs = c->ageing_time_s * 100;
	struct kview k;
	uint16_t enslave_pvid;	/* the VLAN the kernel gives a port it enslaves */
	int rc = 0;

	if (kview_take(b, c->name, &k, err, errlen) < 0)
		return -1;
	if (k.br.exists && strcmp(k.br.kind, "bridge") != 0) {
		field_error(cfg, c->name, err, errlen, "%s exists and is not a bridge (kind %s)", c->name,
			    k.br.kind[0] ? k.br.kind : "none");
		goto fail;
	}
	if (!k.br.exists) {
		struct op run = op_link(OP_CREATE, c->name), undo = op_link(OP_DELETE, c->name);
		run.vf = c->vlan_filtering;
		run.age_cs = age_cs;
		run.field = c->vlan_filtering ? (const void *)&c->vlan_filtering : (const void *)c->name;
		if (plan_add(b, &run, &undo) < 0)
			goto oom;
		b->next.created = true;
		enslave_pvid = 0;
	} else {
		if (!old || strcmp(old->name, c->name) != 0) {
			/* Adopted: remember what it was, to give it back. */
			owner_free(&b->next);
			b->next.created = false;
			b->next.orig_vf = k.br.vlan_filtering;
			b->next.orig_age_cs = k.br.ageing_cs;
			b->next.orig_ports = malloc((k.s.n_ports ? k.s.n_ports : 1) * IFNAMSIZ);
			if (!b->next.orig_ports)
				goto oom;
			for (size_t i = 0; i < k.s.n_ports; i++)
				if (if_indextoname((unsigned)k.s.ports[i], b->next.orig_ports[b->next.n_orig_ports]))
					b->next.n_orig_ports++;
		}
		if (k.br.vlan_filtering != c->vlan_filtering || k.br.ageing_cs != age_cs) {
			struct op run = op_link(OP_SETTINGS, c->name), undo = op_link(OP_SETTINGS, c->name);
			run.set_vf = undo.set_vf = k.br.vlan_filtering != c->vlan_filtering;
			run.set_age = undo.set_age = k.br.ageing_cs != age_cs;
			run.vf = c->vlan_filtering;
			run.age_cs = age_cs;
			undo.vf = k.br.vlan_filtering;
			undo.age_cs = k.br.ageing_cs;
			run.field = run.set_vf ? (const void *)&c->vlan_filtering : (const void *)&c->ageing_time_s;
			if (plan_add(b, &run, &undo) < 0)
				goto oom;
		}
		enslave_pvid = k.br.default_pvid;
	}
	if (!k.br.exists || !k.br.up) {
		struct op run = op_link(OP_UP, c->name), undo = op_link(OP_UP, c->name);
		run.add = true;
		if (plan_add(b, &run, &undo) < 0)
			goto oom;
	}
	if (k.br.exists && !k.br.mcast_snooping)
		for (size_t i = 0; i < c->n_fdb; i++)
			if (is_multicast(c->fdb[i].mac.addr)) {
				field_error(cfg, &c->fdb[i].mac, err, errlen, "bridge %s has multicast snooping off; "
					    "multicast static entries (MDB) need it on", c->name);
				goto fail;
			}

	/* Ports in. */
	for (size_t i = 0; i < c->n_ports; i++) {
		const struct tsn_cfg_bridge_port *p = &c->ports[i];
		struct bnl_link l;
		if ((rc = bnl_link_get(b->nl, p->name, &l)) < 0) {
			field_error(cfg, p->name, err, errlen, "cannot read %s: %s", p->name, strerror(-rc));
			goto fail;
		}
		if (!l.exists) {
			field_error(cfg, p->name, err, errlen, "no interface %s", p->name);
			goto fail;
		}
		if (k.br.exists && l.master == k.br.ifindex)
			continue;
		if (l.master) {
			char other[IF_NAMESIZE] = "?";
			if_indextoname((unsigned)l.master, other);
			field_error(cfg, p->name, err, errlen, "%s is a port of %s already", p->name, other);
			goto fail;
		}
		struct op run = op_master(p->name, c->name, p->name), undo = op_master(p->name, "", NULL);
		if (plan_add(b, &run, &undo) < 0)
			goto oom;
	}

	if (plan_txvlan_off(b, c) < 0)
		goto oom;

	/* VLAN memberships (with vlan-filtering; without it the kernel's stay). */
	for (size_t i = 0; c->vlan_filtering && i < c->n_ports; i++) {
		const struct tsn_cfg_bridge_port *p = &c->ports[i];
		int ifx = ifindex_of(p->name);
		bool member = k.br.exists && kv_has_port(&k, ifx);
		/* what the port has now, or will have once enslaved */
		struct bnl_vlan *cur = NULL;
		size_t n_cur = 0;
		if (member) {
			cur = calloc(k.s.n_vlans ? k.s.n_vlans : 1, sizeof(*cur));
			if (!cur)
				goto oom;
			for (size_t v = 0; v < k.s.n_vlans; v++)
				if (k.s.vlans[v].ifindex == ifx)
					cur[n_cur++] = k.s.vlans[v];
		} else if (enslave_pvid) {
			cur = calloc(1, sizeof(*cur));
			if (!cur)
				goto oom;
			cur[n_cur++] = (struct bnl_vlan){ ifx, enslave_pvid,
							  BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED };
		}
		/* out, changed, then new: each undo restores its VLAN's flags exactly */
		for (int pass = 0; pass < 3 && rc == 0; pass++) {
			for (size_t v = 0; pass == 0 && v < n_cur; v++) {
				bool want = false;
				for (size_t w = 0; w < p->n_vlans; w++)
					want |= p->vlans[w].vid == cur[v].vid;
				if (want)
					continue;
				struct op run = op_vlan(p->name, cur[v].vid, cur[v].flags, false, &p->n_vlans);
				struct op undo = op_vlan(p->name, cur[v].vid, cur[v].flags, true, NULL);
				rc = plan_add(b, &run, &undo);
			}
			for (size_t w = 0; pass > 0 && rc == 0 && w < p->n_vlans; w++) {
				const struct tsn_cfg_bridge_vlan *cv = &p->vlans[w];
				uint16_t flags = cfg_vlan_flags(p, cv);
				const struct bnl_vlan *have = NULL;
				for (size_t v = 0; v < n_cur; v++)
					if (cur[v].vid == cv->vid)
						have = &cur[v];
				if ((pass == 1) != (have != NULL) || (have && have->flags == flags))
					continue;
				struct op run = op_vlan(p->name, (uint16_t)cv->vid, flags, true, &cv->vid);
				struct op undo = have ? op_vlan(p->name, have->vid, have->flags, true, NULL)
						      : op_vlan(p->name, (uint16_t)cv->vid, 0, false, NULL);
				rc = plan_add(b, &run, &undo);
			}
		}
		free(cur);
		if (rc < 0)
			goto oom;
	}

	/* Static entries in. */
	for (size_t i = 0; i < c->n_fdb; i++) {
		const struct tsn_cfg_bridge_fdb *e = &c->fdb[i];
		uint16_t vid = (uint16_t)e->vid;
		for (size_t j = 0; j < e->n_ports; j++) {
			int ifx = ifindex_of(e->ports[j]);
			if (!is_multicast(e->mac.addr)) {
				const struct bnl_fdb *f = kv_static(&k, e->mac.addr, vid);
				if (f && f->ifindex == ifx)
					continue;
				struct op run = op_entry(OP_FDB, true, e->ports[j], c->name, e->mac.addr, vid, &e->mac);
				struct op undo = op_entry(OP_FDB, false, e->ports[j], c->name, e->mac.addr, vid, NULL);
				char prev[IF_NAMESIZE];
				/* Another port's static entry is moved: undo moves it back. */
				if (f && if_indextoname((unsigned)f->ifindex, prev))
					undo = op_entry(OP_FDB, true, prev, c->name, e->mac.addr, vid, NULL);
				if (plan_add(b, &run, &undo) < 0)
					goto oom;
			} else {
				if (k.br.exists && kv_mdb(&k, ifx, e->mac.addr, vid))
					continue;
				struct op run = op_entry(OP_MDB, true, e->ports[j], c->name, e->mac.addr, vid, &e->mac);
				struct op undo = op_entry(OP_MDB, false, e->ports[j], c->name, e->mac.addr, vid, NULL);
				if (plan_add(b, &run, &undo) < 0)
					goto oom;
			}
		}
	}
	/* Stale entries and ports out (same bridge as before). */
	if (old && strcmp(old->name, c->name) == 0 && k.br.exists) {
		if (plan_stale_entries(b, old, c, &k) < 0)
			goto oom;
		for (size_t i = 0; i < old->n_ports; i++)
			if (!port_in(c, old->ports[i].name) &&
			    (b->own.created || !owner_had_port(&b->own, old->ports[i].name)) &&
			    plan_release_port(b, old->ports[i].name, c->name, &k) < 0)
				goto oom;
	}
	for (size_t i = 0; i < b->own.n_txvlan_off; i++)
		if (!port_in(c, b->own.txvlan_off[i]) && plan_txvlan_restore(b, b->own.txvlan_off[i]) < 0)
			goto oom;
	bnl_snapshot_free(&k.s);
	return 0;
oom:
	snprintf(err, errlen, "bridge: out of memory");
fail:
	bnl_snapshot_free(&k.s);
	return -1;
}

int bridge_prepare(struct bridge *b, const struct tsn_config *old, const struct tsn_config *cfg, char *err,
		   size_t errlen)
{
	const struct tsn_cfg_bridge *o = old && old->bridge.enabled && b->own.name[0] ? &old->bridge : NULL;
	const struct tsn_cfg_bridge *n = cfg->bridge.enabled ? &cfg->bridge : NULL;

	b->n_plan = 0;
	b->n_journal = 0;
	b->plan_cfg = cfg;
	owner_free(&b->next);
	if (owner_copy(&b->next, &b->own) < 0) {
		snprintf(err, errlen, "bridge: out of memory");
		return -1;
	}
	if (o && n && strcmp(o->name, n->name) == 0 && tsn_config_section_equal(old, cfg, "bridge"))
		return 0;	/* unchanged: drift is the watch's business, not a reload's */
	if (o && (!n || strcmp(o->name, n->name) != 0)) {
		if (plan_teardown(b, o, err, errlen) < 0)
			return -1;
		owner_free(&b->next);
		o = NULL;
	}
	if (n) {
		if (plan_setup(b, cfg, o, err, errlen) < 0)
			return -1;
		snprintf(b->next.name, sizeof(b->next.name), "%s", n->name);
	}
	return 0;
}

/* ---- carrying out ---- */

static int op_do(struct bridge *b, const struct op *o, char *ext, size_t extlen)
{
	int dev = ifindex_of(o->dev);

	if (extlen)
		ext[0] = '\0';
	if (!dev && o->kind != OP_CREATE)
		return -ENODEV;
	switch (o->kind) {
	case OP_CREATE: {
		int rc = bnl_bridge_create(b->nl, o->dev, o->vf, o->age_cs, ext, extlen);
		if (rc == 0 && o->add)
			rc = bnl_link_up(b->nl, ifindex_of(o->dev), true, ext, extlen);
		return rc;
	}
	case OP_DELETE:
		return bnl_link_delete(b->nl, dev, ext, extlen);
	case OP_SETTINGS:
		return bnl_bridge_settings(b->nl, dev, o->set_vf, o->vf, o->set_age, o->age_cs, ext, extlen);
	case OP_UP:
		return bnl_link_up(b->nl, dev, o->add, ext, extlen);
	case OP_MASTER: {
		int m = o->master[0] ? ifindex_of(o->master) : 0;
		if (o->master[0] && !m)
			return -ENODEV;
		return bnl_set_master(b->nl, dev, m, ext, extlen);
	}
	case OP_VLAN:
		return bnl_vlan(b->nl, dev, o->vid, o->flags, o->add, ext, extlen);
	case OP_FDB:
		return bnl_fdb(b->nl, dev, o->mac, o->vid, o->add, ext, extlen);
	case OP_MDB: {
		int br = ifindex_of(o->master);
		if (!br)
			return -ENODEV;
		return bnl_mdb(b->nl, br, dev, o->mac, o->vid, o->add, ext, extlen);
	}
	case OP_TXVLAN:
		return ethtool_feature_set(o->dev, ETHTOOL_F_TXVLAN, o->add);
	}
	return -EINVAL;
}

static const char *op_what(const struct op *o, char *buf, size_t len)
{
	char m[18];

	switch (o->kind) {
	case OP_CREATE: snprintf(buf, len, "create bridge %s", o->dev); break;
	case OP_DELETE: snprintf(buf, len, "delete bridge %s", o->dev); break;
	case OP_SETTINGS:
		snprintf(buf, len, "set bridge %s%s%s", o->dev, o->set_vf ? (o->vf ? " vlan_filtering 1" : " vlan_filtering 0") : "",
			 o->set_age ? " ageing_time" : "");
		break;
	case OP_UP: snprintf(buf, len, "set %s %s", o->dev, o->add ? "up" : "down"); break;
	case OP_MASTER:
		if (o->master[0])
			snprintf(buf, len, "enslave %s to %s", o->dev, o->master);
		else
			snprintf(buf, len, "release %s from its bridge", o->dev);
		break;
	case OP_VLAN: snprintf(buf, len, "%s VLAN %u on %s", o->add ? "add" : "delete", o->vid, o->dev); break;
	case OP_FDB:
	case OP_MDB:
		mac_str(o->mac, m);
		snprintf(buf, len, "%s %s entry %s vid %u on %s", o->add ? "add" : "delete",
			 o->kind == OP_FDB ? "FDB" : "MDB", m, o->vid, o->dev);
		break;
	case OP_TXVLAN:
		snprintf(buf, len, "turn %s %s on %s", ETHTOOL_F_TXVLAN, o->add ? "on" : "off", o->dev);
		break;
	}
	return buf;
}

static void journal_undo(struct bridge *b)
{
	char ext[256], what[96];

	while (b->n_journal > 0) {
		const struct op *u = &b->journal[--b->n_journal];
		int rc = op_do(b, u, ext, sizeof(ext));
		if (rc < 0)
			log_err("bridge: cannot undo (%s): %s%s%s", op_what(u, what, sizeof(what)), strerror(-rc),
				ext[0] ? ": " : "", ext);
		else if (u->kind == OP_TXVLAN)
			log_info("bridge: undone: %s", op_what(u, what, sizeof(what)));
	}
}

int bridge_apply(struct bridge *b, char *err, size_t errlen)
{
	char ext[256], what[96];

	free(b->journal);
	b->journal = calloc(b->n_plan ? b->n_plan : 1, sizeof(*b->journal));
	b->n_journal = 0;
	if (!b->journal) {
		snprintf(err, errlen, "bridge: out of memory");
		return -1;
	}
	for (size_t i = 0; i < b->n_plan; i++) {
		const struct op *o = &b->plan[i].run;
		int rc = op_do(b, o, ext, sizeof(ext));
		if (rc < 0) {
			const struct tsn_config *cfg = b->plan_cfg;
			if ((o->kind == OP_CREATE || o->kind == OP_SETTINGS) && o->vf && rc == -EOPNOTSUPP)
				field_error(cfg, &cfg->bridge.vlan_filtering, err, errlen,
					    "the kernel refuses VLAN filtering on %s (%s%s%s): it was built without "
					    "it; turn vlan-filtering off here", o->dev, strerror(-rc), ext[0] ? ": " : "", ext);
			else
				field_error(cfg, o->field, err, errlen, "cannot %s: %s%s%s", op_what(o, what, sizeof(what)),
					    strerror(-rc), ext[0] ? ": " : "", ext);
			journal_undo(b);
			return -1;
		}
		b->journal[b->n_journal++] = b->plan[i].undo;
		if (o->kind == OP_TXVLAN)
			log_info("bridge: %s%s", op_what(o, what, sizeof(what)),
				 o->add ? "" : " (VLAN tags go in the frame's bytes, where the next switch's XDP sees them)");
		else
			log_debug("bridge: %s", op_what(o, what, sizeof(what)));
	}
	return 0;
}

void bridge_abort(struct bridge *b)
{
	journal_undo(b);
	b->n_plan = 0;
	owner_free(&b->next);
}

void bridge_commit(struct bridge *b, const struct tsn_config *cfg)
{
	owner_free(&b->own);
	b->own = b->next;
	memset(&b->next, 0, sizeof(b->next));
	if (!cfg->bridge.enabled)
		owner_free(&b->own);
	b->n_plan = 0;
	b->n_journal = 0;
	b->running = cfg;
	b->drift = false;
	b->drift_reason[0] = '\0';
	bridge_refresh(b);
	if (b->timer) {
		if (cfg->bridge.enabled)
			evloop_timer_arm_at(b->timer, mono_ns() + DRIFT_POLL_NS);
		else
			evloop_timer_disarm(b->timer);
	}
}

void bridge_release(struct bridge *b, const struct tsn_config *running, bool keep)
{
	char err[512];
	struct tsn_config *none;

	if (!b || !running || !running->bridge.enabled || keep)
		return;
	none = tsn_config_defaults();
	if (!none)
		return;
	if (bridge_prepare(b, running, none, err, sizeof(err)) < 0 || bridge_apply(b, err, sizeof(err)) < 0)
		log_err("%s", err);
	else
		bridge_commit(b, none);
	b->running = NULL;
	tsn_config_free(none);
}

bool bridge_txvlan_off(const struct bridge *b, const char *port)
{
	return b && owner_txvlan_has(&b->own, port);
}

/* ---- read-back and drift ---- */

/* The first difference between the kernel and the running configuration, or "". */
static void find_drift(struct bridge *b, char *why, size_t len)
{
	const struct tsn_cfg_bridge *c = &b->running->bridge;
	struct kview k;
	char err[256], m[18];

	why[0] = '\0';
	if (kview_take(b, c->name, &k, err, sizeof(err)) < 0) {
		snprintf(why, len, "%s", err);
		return;
	}
	if (!k.br.exists || strcmp(k.br.kind, "bridge") != 0) {
		snprintf(why, len, "bridge %s is gone", c->name);
		goto out;
	}
	if (!k.br.up) {
		snprintf(why, len, "bridge %s is down", c->name);
		goto out;
	}
	if (k.br.vlan_filtering != c->vlan_filtering) {
		snprintf(why, len, "vlan_filtering is %d, configured %d", k.br.vlan_filtering, c->vlan_filtering);
		goto out;
	}
	if (k.br.ageing_cs != c->ageing_time_s * 100) {
		snprintf(why, len, "ageing_time is %u s, configured %u s", k.br.ageing_cs / 100, c->ageing_time_s);
		goto out;
	}
	for (size_t i = 0; i < c->n_ports; i++) {
		const struct tsn_cfg_bridge_port *p = &c->ports[i];
		int ifx = ifindex_of(p->name);
		if (!ifx || !kv_has_port(&k, ifx)) {
			snprintf(why, len, "port %s is not in bridge %s", p->name, c->name);
			goto out;
		}
		for (size_t w = 0; c->vlan_filtering && w < p->n_vlans; w++) {
			bool ok = false;
			for (size_t v = 0; v < k.s.n_vlans; v++)
				if (k.s.vlans[v].ifindex == ifx && k.s.vlans[v].vid == p->vlans[w].vid)
					ok = k.s.vlans[v].flags == cfg_vlan_flags(p, &p->vlans[w]);
			if (!ok) {
				snprintf(why, len, "VLAN %u on port %s differs", p->vlans[w].vid, p->name);
				goto out;
			}
		}
		for (size_t v = 0; c->vlan_filtering && v < k.s.n_vlans; v++) {
			bool want = false;
			if (k.s.vlans[v].ifindex != ifx)
				continue;
			for (size_t w = 0; w < p->n_vlans; w++)
				want |= p->vlans[w].vid == k.s.vlans[v].vid;
			if (!want) {
				snprintf(why, len, "port %s has VLAN %u, which is not configured", p->name, k.s.vlans[v].vid);
				goto out;
			}
		}
	}
	/* the offload tsnd turned off must stay off, or tags travel beside the frame again */
	for (size_t i = 0; i < b->own.n_txvlan_off; i++) {
		bool on, fixed;
		if (ethtool_feature_get(b->own.txvlan_off[i], ETHTOOL_F_TXVLAN, &on, &fixed) == 0 && on) {
			snprintf(why, len, "port %s has %s on again", b->own.txvlan_off[i], ETHTOOL_F_TXVLAN);
			goto out;
		}
	}
	for (size_t i = 0; i < c->n_fdb; i++) {
		const struct tsn_cfg_bridge_fdb *e = &c->fdb[i];
		for (size_t j = 0; j < e->n_ports; j++) {
			int ifx = ifindex_of(e->ports[j]);
			const struct bnl_fdb *f = is_multicast(e->mac.addr) ? NULL : kv_static(&k, e->mac.addr, (uint16_t)e->vid);
			bool ok = is_multicast(e->mac.addr) ? kv_mdb(&k, ifx, e->mac.addr, (uint16_t)e->vid)
							    : f && f->ifindex == ifx;
			if (!ok) {
				mac_str(e->mac.addr, m);
				snprintf(why, len, "static entry %s vid %u to %s is missing", m, e->vid, e->ports[j]);
				goto out;
			}
		}
	}
out:
	bnl_snapshot_free(&k.s);
}

int bridge_refresh(struct bridge *b)
{
	char why[256];

	if (!b->running || !b->running->bridge.enabled) {
		b->drift = false;
		return 0;
	}
	b->refreshes++;
	find_drift(b, why, sizeof(why));
	if (why[0] && (!b->drift || strcmp(why, b->drift_reason) != 0)) {
		log_warn("bridge %s drifted from the configuration: %s", b->running->bridge.name, why);
		b->drift_events++;
	} else if (!why[0] && b->drift) {
		log_notice("bridge %s matches the configuration again", b->running->bridge.name);
	}
	b->drift = why[0] != '\0';
	snprintf(b->drift_reason, sizeof(b->drift_reason), "%s", why);
	return 0;
}

static void on_monitor(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct bridge *b = arg;
	bool lost = false;
	uint64_t soon = mono_ns() + DRIFT_SETTLE_NS;

	(void)loop;
	(void)fd;
	(void)events;
	nlio_mon_drain(b->mon, NULL, NULL, &lost);
	/* Only while a bridge is configured, and never later than already due. */
	if (b->running && b->running->bridge.enabled && evloop_timer_when(b->timer) > soon)
		evloop_timer_arm_at(b->timer, soon);
}

static void drift_tick(struct evloop *loop, void *arg)
{
	struct bridge *b = arg;

	(void)loop;
	bridge_refresh(b);
	if (b->running && b->running->bridge.enabled)
		evloop_timer_arm_at(b->timer, mono_ns() + DRIFT_POLL_NS);
}

/* ---- JSON ---- */

static json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

json_object *bridge_show_json(struct bridge *b)
{
	const struct tsn_cfg_bridge *c = b->running && b->running->bridge.enabled ? &b->running->bridge : NULL;
	json_object *o = json_object_new_object(), *ports;
	struct kview k = { 0 };
	char err[256];

	bridge_refresh(b);
	json_object_object_add(o, "enabled", json_object_new_boolean(c != NULL));
	if (!c)
		return o;
	bool ok = kview_take(b, c->name, &k, err, sizeof(err)) == 0 && k.br.exists;
	json_object_object_add(o, "name", jstr(c->name));
	json_object_object_add(o, "present", json_object_new_boolean(ok));
	json_object_object_add(o, "created", json_object_new_boolean(b->own.created));
	json_object_object_add(o, "ifindex", json_object_new_int(ok ? k.br.ifindex : 0));
	json_object_object_add(o, "up", json_object_new_boolean(ok && k.br.up));
	json_object_object_add(o, "vlan_filtering", json_object_new_boolean(ok && k.br.vlan_filtering));
	json_object_object_add(o, "ageing_time_s", json_object_new_int64(ok ? k.br.ageing_cs / 100 : 0));
	json_object_object_add(o, "drift", json_object_new_boolean(b->drift));
	json_object_object_add(o, "drift_reason", b->drift ? jstr(b->drift_reason) : NULL);
	json_object_object_add(o, "drift_events", json_object_new_int64((int64_t)b->drift_events));
	json_object *fdb = json_object_new_object();
	size_t n_static = 0, n_learnt = 0, n_local = 0;
	for (size_t i = 0; ok && i < k.s.n_fdb; i++) {
		if (k.s.fdb[i].state & NUD_PERMANENT)
			n_local++;
		else if (k.s.fdb[i].state & NUD_NOARP)
			n_static++;
		else
			n_learnt++;
	}
	json_object_object_add(fdb, "static", json_object_new_int64((int64_t)n_static));
	json_object_object_add(fdb, "learnt", json_object_new_int64((int64_t)n_learnt));
	json_object_object_add(fdb, "local", json_object_new_int64((int64_t)n_local));
	json_object_object_add(fdb, "multicast", json_object_new_int64((int64_t)(ok ? k.s.n_mdb : 0)));
	json_object_object_add(o, "fdb", fdb);
	ports = json_object_new_array();
	for (size_t i = 0; i < c->n_ports; i++) {
		const struct tsn_cfg_bridge_port *p = &c->ports[i];
		json_object *po = json_object_new_object(), *vl = json_object_new_array(), *pm = json_object_new_array();
		int ifx = ifindex_of(p->name);
		json_object_object_add(po, "name", jstr(p->name));
		json_object_object_add(po, "ifindex", json_object_new_int(ifx));
		json_object_object_add(po, "member", json_object_new_boolean(ok && ifx && kv_has_port(&k, ifx)));
		json_object_object_add(po, "pvid", json_object_new_int64(p->pvid));
		json_object_object_add(po, "default_priority", json_object_new_int64(p->default_priority));
		for (size_t j = 0; j < p->n_pcp_map; j++)
			json_object_array_add(pm, json_object_new_int64(p->pcp_map[j]));
		json_object_object_add(po, "pcp_map", pm);
		/* the kernel's memberships, as read back */
		for (size_t v = 0; ok && v < k.s.n_vlans; v++) {
			if (k.s.vlans[v].ifindex != ifx)
				continue;
			json_object *vo = json_object_new_object();
			json_object_object_add(vo, "vid", json_object_new_int(k.s.vlans[v].vid));
			json_object_object_add(vo, "pvid",
					       json_object_new_boolean(k.s.vlans[v].flags & BRIDGE_VLAN_INFO_PVID));
			json_object_object_add(vo, "untagged",
					       json_object_new_boolean(k.s.vlans[v].flags & BRIDGE_VLAN_INFO_UNTAGGED));
			json_object_array_add(vl, vo);
		}
		json_object_object_add(po, "vlans", vl);
		json_object_array_add(ports, po);
	}
	json_object_object_add(o, "ports", ports);
	bnl_snapshot_free(&k.s);
	return o;
}

static json_object *entry_json(const struct bridge_fast *fast, const uint8_t mac[6], uint16_t vid, int ifindex,
			       const char *kind, bool configured, int64_t age_s)
{
	json_object *e = json_object_new_object();
	char m[18], port[IF_NAMESIZE] = "";
	uint64_t packets, bytes;

	mac_str(mac, m);
	if (!if_indextoname((unsigned)ifindex, port))
		snprintf(port, sizeof(port), "#%d", ifindex);
	json_object_object_add(e, "mac", jstr(m));
	json_object_object_add(e, "vid", json_object_new_int(vid));
	json_object_object_add(e, "port", jstr(port));
	json_object_object_add(e, "kind", jstr(kind));
	json_object_object_add(e, "configured", json_object_new_boolean(configured));
	json_object_object_add(e, "age_s", age_s >= 0 ? json_object_new_int64(age_s) : NULL);
	if (configured && fast && bridge_fast_counters(fast, mac, vid, &packets, &bytes) == 0) {
		json_object *f = json_object_new_object();
		json_object_object_add(f, "packets", json_object_new_int64((int64_t)packets));
		json_object_object_add(f, "bytes", json_object_new_int64((int64_t)bytes));
		json_object_object_add(e, "fast_path", f);
	} else {
		json_object_object_add(e, "fast_path", NULL);
	}
	return e;
}

json_object *bridge_fdb_json(struct bridge *b, const struct bridge_fast *fast)
{
	const struct tsn_cfg_bridge *c = b->running && b->running->bridge.enabled ? &b->running->bridge : NULL;
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	struct kview k = { 0 };
	char err[256];

	json_object_object_add(o, "enabled", json_object_new_boolean(c != NULL));
	json_object_object_add(o, "fast_path", json_object_new_boolean(fast != NULL));
	if (c && kview_take(b, c->name, &k, err, sizeof(err)) == 0 && k.br.exists) {
		json_object_object_add(o, "name", jstr(c->name));
		for (size_t i = 0; i < k.s.n_fdb; i++) {
			const struct bnl_fdb *f = &k.s.fdb[i];
			const char *kind = (f->state & NUD_PERMANENT) ? "local" : (f->state & NUD_NOARP) ? "static" : "learnt";
			bool conf = !strcmp(kind, "static") && fdb_in(c, f->mac, f->vid, NULL);
			json_object_array_add(arr, entry_json(fast, f->mac, f->vid, f->ifindex, kind, conf,
							      strcmp(kind, "learnt") == 0 ? (int64_t)f->updated_s : -1));
		}
		for (size_t i = 0; i < k.s.n_mdb; i++) {
			const struct bnl_mdb *m = &k.s.mdb[i];
			char port[IF_NAMESIZE] = "";
			if_indextoname((unsigned)m->ifindex, port);
			json_object_array_add(arr, entry_json(fast, m->mac, m->vid, m->ifindex, "multicast",
							      fdb_in(c, m->mac, m->vid, port), -1));
		}
	}
	json_object_object_add(o, "entries", arr);
	bnl_snapshot_free(&k.s);
	return o;
}
