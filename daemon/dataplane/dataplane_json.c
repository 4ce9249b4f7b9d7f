/* SPDX-License-Identifier: GPL-2.0-only */
/* dataplane_json.c — what the data plane reports: its status, per-port
 * counters (frame kinds, forwarding reasons, the tc path), per-stream and
 * per-class counters, summed over CPUs. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane_priv.h"
#include "tsn/log.h"
#include "tsn/stream_id.h"

static const char *const kind_names[TSN_KIND_COUNT] = {
	[TSN_KIND_PTP] = "ptp",
	[TSN_KIND_IPV6] = "ipv6",
	[TSN_KIND_IPV4] = "ipv4",
	[TSN_KIND_ARP] = "arp",
	[TSN_KIND_VLAN] = "vlan",
	[TSN_KIND_OTHER] = "other",
	[TSN_KIND_MALFORMED] = "malformed",
};

static const char *const fwd_names[TSN_FWD_COUNT] = {
	[TSN_FWD_REDIRECT] = "redirect",
	[TSN_FWD_TO_QDISC] = "to_qdisc",
	[TSN_FWD_DROP] = "drop",
	[TSN_PASS_NOT_IPV6] = "not_ipv6",
	[TSN_PASS_NOT_ROUTED] = "not_routed",
	[TSN_PASS_VLAN] = "vlan",
	[TSN_PASS_HOP_LIMIT] = "hop_limit",
	[TSN_PASS_SCOPE] = "scope",
	[TSN_PASS_EXT_HDR] = "ext_hdr",
	[TSN_PASS_FRAGMENT] = "fragment",
	[TSN_PASS_LENGTH] = "length",
	[TSN_PASS_UNREACHABLE] = "unreachable",
	[TSN_PASS_NOT_FWDED] = "not_forwarded",
	[TSN_PASS_NO_NEIGH] = "no_neigh",
	[TSN_PASS_MTU] = "mtu",
	[TSN_PASS_EGRESS] = "egress",
	[TSN_PASS_OTHER] = "other",
	[TSN_FWD_ACL] = "acl",
	[TSN_FWD_STORM] = "storm",
};

static const char *const tc_names[TSN_TC_COUNT] = {
	[TSN_TC_REDIRECTED] = "redirected",
	[TSN_TC_PRIORITY] = "priority",
	[TSN_TC_REDIRECT_FAILED] = "redirect_failed",
};

const char *dataplane_fwd_reason_name(unsigned reason)
{
	return reason < TSN_FWD_COUNT ? fwd_names[reason] : "unknown";
}

/* ---- reading ---- */

int dataplane_xdp_fd(const struct dataplane *dp)
{
	return dp ? dp->xdp.fd : -1;
}

int dataplane_tc_fd(const struct dataplane *dp)
{
	return dp ? dp->tc.fd : -1;
}

int dataplane_port_counters(const struct dataplane *dp, int ifindex, struct port_counters *sum)
{
	if (!dp) {
		memset(sum, 0, sizeof(*sum));
		return -ENODEV;
	}
	return cls_port_counters(&dp->maps, ifindex, sum);
}

int dataplane_stream_counters(const struct dataplane *dp, uint32_t id, struct tsn_stream_counters *sum)
{
	if (!dp) {
		memset(sum, 0, sizeof(*sum));
		return -ENODEV;
	}
	return cls_stream_counters(&dp->maps, id, sum);
}

int dataplane_stream_slot(const struct dataplane *dp, uint32_t id)
{
	return dp ? cls_stream_slot(&dp->maps, id) : -ENOENT;
}

int dataplane_port_slot(const struct dataplane *dp, int ifindex)
{
	return dp ? cls_port_slot(&dp->maps, ifindex) : -ENOENT;
}

int dataplane_map_fd(const struct dataplane *dp, const char *map_name)
{
	const struct bpf_map *m = dp ? bpf_object__find_map_by_name(dp->skel->obj, map_name) : NULL;

	return m ? bpf_map__fd(m) : -1;
}

json_object *dataplane_status_json(const struct dataplane *dp)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "state", json_object_new_string(dp ? "loaded" : "unavailable"));
	json_object_object_add(o, "ports_attached", json_object_new_int64(dp ? (int64_t)dp->n_ports : 0));
	if (dp) {
		json_object_object_add(o, "generation",
				       json_object_new_int64(cls_active(&dp->maps)));
		json_object_object_add(o, "pin_dir", json_object_new_string(dp->pin_dir));
		json_object_object_add(o, "tc_hook", json_object_new_string(dataplane_tc_hook(dp)));
		json_object_object_add(o, "xdp_meta", json_object_new_boolean(dataplane_xdp_meta_ok()));
	}
	return o;
}

/* Sum one port's per-CPU counters; all zero when the port has seen no frame. */
static int read_port_counters(const struct dataplane *dp, int ifindex, struct port_counters *sum)
{
	return cls_port_counters(&dp->maps, ifindex, sum);
}

static const struct dp_port *port_by_name(const struct dataplane *dp, const char *name)
{
	return dp ? dp_find_port(dp->ports, dp->n_ports, name) : NULL;
}

json_object *dataplane_port_json(const struct dataplane *dp, const char *port)
{
	const struct dp_port *p = port_by_name(dp, port);
	struct port_counters sum;
	struct xdp_state st;
	json_object *o, *counters, *fwd, *tc;

	if (!p)
		return NULL;
	/* "attached" is what the kernel says now, not what we did last. */
	bool attached = dp_query_xdp(p->ifindex, &st) == 0 && st.prog_id == dp->xdp.id &&
			st.mode_flags == p->mode_flags;
	o = json_object_new_object();
	json_object_object_add(o, "mode", json_object_new_string(dp_mode_name(p->mode_flags)));
	json_object_object_add(o, "attached", json_object_new_boolean(attached));
	json_object_object_add(o, "tc_attached",
			       json_object_new_boolean(dp_query_tc(dp, p->ifindex) == dp->tc.id));
	json_object_object_add(o, "tc_hook", json_object_new_string(dataplane_tc_hook(dp)));
	json_object_object_add(o, "prog_id", json_object_new_int64(dp->xdp.id));
	if (read_port_counters(dp, p->ifindex, &sum) < 0)
		log_warn("dataplane: cannot read the counters of port %s", port);
	counters = json_object_new_object();
	for (int k = 0; k < TSN_KIND_COUNT; k++) {
		json_object *kc = json_object_new_object();

		json_object_object_add(kc, "packets", json_object_new_int64((int64_t)sum.kind[k].packets));
		json_object_object_add(kc, "bytes", json_object_new_int64((int64_t)sum.kind[k].bytes));
		json_object_object_add(counters, kind_names[k], kc);
	}
	json_object_object_add(o, "counters", counters);
	fwd = json_object_new_object();
	for (int r = 0; r < TSN_FWD_COUNT; r++)
		json_object_object_add(fwd, fwd_names[r], json_object_new_int64((int64_t)sum.fwd[r]));
	json_object_object_add(o, "forwarding", fwd);
	tc = json_object_new_object();
	for (int r = 0; r < TSN_TC_COUNT; r++)
		json_object_object_add(tc, tc_names[r], json_object_new_int64((int64_t)sum.tc_path[r]));
	json_object_object_add(o, "tc", tc);
	return o;
}


static json_object *stream_match_json(const struct tsn_cfg_stream *s)
{
	json_object *m = json_object_new_object();
	char buf[INET6_ADDRSTRLEN];
	const uint8_t *mac;

	if (s->has_dst_mac || s->has_src_mac) {
		mac = s->has_dst_mac ? s->dst_mac.addr : s->src_mac.addr;
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
			 mac[3], mac[4], mac[5]);
		json_object_object_add(m, s->has_dst_mac ? "dst_mac" : "src_mac",
				       json_object_new_string(buf));
	}
	if (s->has_vlan)
		json_object_object_add(m, "vlan", json_object_new_int64(s->vlan));
	if (s->has_src)
		json_object_object_add(m, "src", json_object_new_string(
			inet_ntop(AF_INET6, &s->src, buf, sizeof(buf))));
	if (s->has_dst)
		json_object_object_add(m, "dst", json_object_new_string(
			inet_ntop(AF_INET6, &s->dst, buf, sizeof(buf))));
	if (s->has_dscp)
		json_object_object_add(m, "dscp", json_object_new_int64(s->dscp));
	if (s->has_next_header)
		json_object_object_add(m, "next_header", json_object_new_int64(s->next_header));
	if (s->has_src_port)
		json_object_object_add(m, "src_port", json_object_new_int64(s->src_port));
	if (s->has_dst_port)
		json_object_object_add(m, "dst_port", json_object_new_int64(s->dst_port));
	return m;
}

static int read_stream_counters(const struct dataplane *dp, uint32_t id,
				struct tsn_stream_counters *sum)
{
	return cls_stream_counters(&dp->maps, id, sum);
}

json_object *dataplane_streams_json(const struct dataplane *dp, const struct tsn_config *cfg,
				    bool has_id, uint32_t id)
{
	json_object *arr = json_object_new_array(), *out = json_object_new_object();

	for (size_t i = 0; i < cfg->n_streams; i++) {
		const struct tsn_cfg_stream *s = &cfg->streams[i];
		struct tsn_stream_counters sc;
		json_object *o;
		char text[256];

		if (has_id && s->id != id)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(s->id));
		json_object_object_add(o, "name", json_object_new_string(s->name));
		json_object_object_add(o, "identification",
				       json_object_new_string(tsn_stream_ident_names[s->identification]));
		json_object_object_add(o, "match", stream_match_json(s));
		tsn_stream_match_text(s, text, sizeof(text));
		json_object_object_add(o, "match_text", json_object_new_string(text));
		json_object_object_add(o, "priority", json_object_new_int64(s->priority));
		json_object_object_add(o, "filter", json_object_new_string(s->filter));
		if (dp && read_stream_counters(dp, s->id, &sc) == 0) {
			json_object *c = json_object_new_object();

			json_object_object_add(c, "packets", json_object_new_int64((int64_t)sc.packets));
			json_object_object_add(c, "bytes", json_object_new_int64((int64_t)sc.bytes));
			json_object_object_add(c, "drops", json_object_new_int64((int64_t)sc.drops));
			json_object_object_add(o, "counters", c);
		} else {
			json_object_object_add(o, "counters", NULL);
		}
		json_object_array_add(arr, o);
	}
	json_object_object_add(out, "streams", arr);
	return out;
}

json_object *dataplane_class_stats_json(const struct dataplane *dp, const struct tsn_config *cfg,
					const char *dev)
{
	json_object *arr = json_object_new_array(), *out = json_object_new_object();

	for (size_t i = 0; i < cfg->n_ports; i++) {
		const struct tsn_cfg_port *cp = &cfg->ports[i];
		const struct dp_port *p = port_by_name(dp, cp->name);
		struct tsn_port_conf conf;
		struct port_counters sum;
		json_object *o, *classes;
		static const uint8_t no_mac[6];
		uint32_t n_classes;

		if (dev && strcmp(dev, cp->name) != 0)
			continue;
		cls_port_conf(cp, no_mac, &conf);
		memset(&sum, 0, sizeof(sum));
		if (p && read_port_counters(dp, p->ifindex, &sum) < 0)
			log_warn("dataplane: cannot read the counters of port %s", cp->name);
		n_classes = cp->has_schedule ? cp->schedule.num_tc : TSN_NUM_PRIO_MAX;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(cp->name));
		json_object_object_add(o, "attached", json_object_new_boolean(p != NULL));
		json_object_object_add(o, "scheduled", json_object_new_boolean(cp->has_schedule));
		classes = json_object_new_array();
		for (uint32_t tc = 0; tc < n_classes && tc < TSN_NUM_TC_MAX; tc++) {
			json_object *c = json_object_new_object(), *prios = json_object_new_array();

			for (uint32_t prio = 0; prio < TSN_NUM_PRIO_MAX; prio++)
				if (conf.prio_tc[prio] == tc)
					json_object_array_add(prios, json_object_new_int64(prio));
			json_object_object_add(c, "class", json_object_new_int64(tc));
			json_object_object_add(c, "priorities", prios);
			json_object_object_add(c, "scheduled",
					       json_object_new_boolean((conf.sched_mask >> tc) & 1));
			json_object_object_add(c, "packets", json_object_new_int64((int64_t)sum.tc[tc].packets));
			json_object_object_add(c, "bytes", json_object_new_int64((int64_t)sum.tc[tc].bytes));
			json_object_object_add(c, "drops", json_object_new_int64((int64_t)sum.tc[tc].drops));
			json_object_array_add(classes, c);
		}
		json_object_object_add(o, "classes", classes);
		json_object_array_add(arr, o);
	}
	json_object_object_add(out, "ports", arr);
	return out;
}
