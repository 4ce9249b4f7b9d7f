/* SPDX-License-Identifier: GPL-2.0-only */
/* schedule_json.c — schedule.show and the schedule figures of status
 * (schedule_json.h, docs/control-protocol.md). */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schedule_int.h"
#include "tsn/basetime.h"
#include "tsn/log.h"

static json_object *schedule_json(json_object *ports_json, size_t i)
{
	json_object *port = ports_json ? json_object_array_get_idx(ports_json, i) : NULL, *sched = NULL;
	if (port)
		json_object_object_get_ex(port, "schedule", &sched);
	return sched;
}

static json_object *ports_json_of(const struct tsn_config *cfg, json_object **root)
{
	json_object *ports = NULL;
	*root = cfg ? tsn_config_to_json(cfg) : NULL;
	if (*root)
		json_object_object_get_ex(*root, "ports", &ports);
	return ports;
}

static const char *state_of(const struct schedules *s, const char *name)
{
	const struct sched_port *p = sched_find_port(s->ports, s->n_ports, name);
	return p ? sched_state_names[p->state] : NULL;
}

const char *schedules_port_state(const struct schedules *s, const char *port)
{
	const char *st = s ? state_of(s, port) : NULL;
	return st ? st : "none";
}

json_object *schedules_status_json(struct schedules *s)
{
	size_t n[SCHED_N_STATES] = { 0 };
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < s->n_ports; i++)
		n[s->ports[i].state]++;
	json_object_object_add(o, "applied", json_object_new_uint64(n[SCHED_APPLIED]));
	json_object_object_add(o, "held", json_object_new_uint64(n[SCHED_HELD]));
	json_object_object_add(o, "drift", json_object_new_uint64(n[SCHED_DRIFT]));
	json_object_object_add(o, "error", json_object_new_uint64(n[SCHED_ERROR]));
	json_object_object_add(o, "unreadable", json_object_new_uint64(n[SCHED_UNREAD]));
	json_object_object_add(o, "recoveries", json_object_new_uint64(s->recoveries));
	return o;
}

/* The cbs and etf qdiscs the kernel has under the port's root (docs/shapers.md). */
static json_object *children_json(const struct kroot *r)
{
	json_object *arr = json_object_new_array();
	char e[128];

	for (size_t i = 0; r && i < r->n_children; i++) {
		struct child_qdisc c;
		if (child_qdisc_parse(r->children[i], &c, e, sizeof(e)) == 0 &&
		    (strcmp(c.kind, "cbs") == 0 || strcmp(c.kind, "etf") == 0))
			json_object_array_add(arr, child_qdisc_to_json(&c));
	}
	return arr;
}

static json_object *port_show(const struct schedules *s, struct kview *kv, const struct tsn_cfg_port *cp,
			      json_object *sched_json)
{
	const struct sched_port *p = sched_find_port(s->ports, s->n_ports, cp->name);
	int ifindex = p && p->ifindex ? p->ifindex : (int)if_nametoindex(cp->name);
	struct kroot *r = ifindex ? kview_root(kv, ifindex) : NULL;
	json_object *o = json_object_new_object(), *drift = json_object_new_array();
	struct taprio_qdisc k;
	char msg[1100], a[48];

	kroot_decode(r, &k);
	json_object_object_add(o, "name", json_object_new_string(cp->name));
	json_object_object_add(o, "configured", json_object_new_boolean(cp->has_schedule));
	if (!cp->has_schedule || !p) {
		json_object_object_add(o, "state", json_object_new_string("absent"));
		snprintf(msg, sizeof(msg), "no schedule configured%s",
			 strcmp(k.kind, "taprio") == 0 ? "; the root qdisc is a taprio that tsnd does not manage" : "");
	} else {
		json_object_object_add(o, "state", json_object_new_string(sched_state_names[p->state]));
		snprintf(msg, sizeof(msg), "%s", p->message);
		if (p->state == SCHED_APPLIED && k.has_admin && p->tracked)
			snprintf(msg, sizeof(msg), "the new schedule is pending: it takes over at base time %s",
				 tsn_basetime_format(k.admin.base_time, a, sizeof(a)));
		for (size_t i = 0; i < p->drift.n; i++)
			json_object_array_add(drift, json_object_new_string(p->drift.v[i]));
		if (p->drift.total > p->drift.n) {
			snprintf(a, sizeof(a), "... and %zu more", p->drift.total - p->drift.n);
			json_object_array_add(drift, json_object_new_string(a));
		}
	}
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "config", cp->has_schedule && sched_json ? json_object_get(sched_json) : NULL);
	/* an mqprio root only when it is tsnd's (mode mqprio): its layout, no lists */
	bool shown = strcmp(k.kind, "taprio") == 0 ||
		     (strcmp(k.kind, "mqprio") == 0 && cp->has_schedule && cp->schedule.mode == TSN_SCHED_MQPRIO);
	json_object_object_add(o, "kernel", shown ? taprio_to_json(&k) : NULL);
	json_object_object_add(o, "children", children_json(r));
	json_object_object_add(o, "base_time_ns", p && p->tracked ? json_object_new_int64(p->expected.oper.base_time)
								: NULL);
	json_object_object_add(o, "drift", drift);
	json_object_object_add(o, "recoveries", json_object_new_uint64(p ? p->recoveries : 0));
	json_object_object_add(o, "last_recovery", p && p->last_recovery[0] ? json_object_new_string(p->last_recovery)
									     : NULL);
	taprio_qdisc_clear(&k);
	return o;
}

json_object *schedules_show_json(struct schedules *s, const struct tsn_config *cfg, const char *dev,
				 char *err, size_t errlen)
{
	struct kview kv;
	json_object *root = NULL, *ports_json, *arr;

	if (kview_load(s, &kv, err, errlen) < 0)
		return NULL;
	sched_refresh_with(s, &kv);
	ports_json = ports_json_of(cfg, &root);
	arr = json_object_new_array();
	for (size_t i = 0; i < cfg->n_ports; i++) {
		if (dev && strcmp(cfg->ports[i].name, dev) != 0)
			continue;
		json_object_array_add(arr, port_show(s, &kv, &cfg->ports[i], schedule_json(ports_json, i)));
	}
	json_object_put(root);
	kview_free(&kv);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ports", arr);
	return o;
}

