/* SPDX-License-Identifier: GPL-2.0-only */
/* ports.h — what the kernel says about a network interface: links (rtnetlink
 * through nlio), ethtool (speed, timestamping, PTP hardware clock), root qdiscs. */
#ifndef TSND_PORTS_H
#define TSND_PORTS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

struct ports;	/* owns an nlio socket */

struct port_info {
	char name[IFNAMSIZ];
	bool present;			/* false: no such interface (other fields zero) */
	int ifindex;
	char oper_state[16];		/* "up", "down", "lowerlayerdown", "unknown", ... */
	bool admin_up;
	bool carrier;
	uint32_t speed_mbps;		/* 0: the driver does not say */
	uint32_t mtu;
	uint32_t num_tx_queues;
	uint32_t num_rx_queues;
	uint8_t mac[6];
	char qdisc[16];			/* root qdisc kind, "" if unknown */
	int8_t tx_vlan;			/* VLAN transmit offload (tx-vlan-hw-insert): 1 on, 0 off,
					 * -1 unknown; ports_query only */
};

struct ports *ports_open(void);
void ports_close(struct ports *p);
/* Fill *out for interface `name` in the daemon's network namespace.  Returns 0
 * (also when the interface does not exist: out->present is then false) or a
 * negative errno when netlink itself failed.  The root qdisc comes from a dump of
 * every qdisc: inside an nlio scope (nlio_scope_begin) all queries share one;
 * outside, each query takes its own. */
int ports_query(struct ports *p, const char *name, struct port_info *out);
/* The same without the root qdisc (out->qdisc stays ""), and without a dump. */
int ports_query_link(struct ports *p, const char *name, struct port_info *out);

/* What ETHTOOL_GET_TS_INFO says about a port. */
struct port_ts_info {
	int phc_index;			/* -1: no PTP hardware clock */
	uint32_t so_timestamping;	/* SOF_TIMESTAMPING_* the driver offers */
};
/* 0, or a negative errno (-EOPNOTSUPP: the driver does not answer; -ENODEV: no
 * such interface); *out has phc_index -1 then.  Needs no ports handle: the
 * configuration checks call it before the daemon has one. */
int ports_ts_info(const char *name, struct port_ts_info *out);
/* {"name","present","ifindex","oper_state","admin_up","carrier","speed_mbps",
 *  "mtu","tx_queues","rx_queues","mac","qdisc","tx_vlan_offload" (null: unknown)} */
json_object *port_info_to_json(const struct port_info *info);

/* The MAC address of `name` (SIOCGIFHWADDR).  0 or a negative errno.  Like
 * ports_ts_info, needs no handle. */
int ports_mac(const char *name, uint8_t mac[6]);

/* An 802.1Q (TPID 0x8100) VLAN sub-interface. */
struct port_vlan {
	int parent;		/* ifindex of the device it is stacked on */
	uint16_t vid;
	int ifindex;		/* the sub-interface's own */
};
/* Every 802.1Q sub-interface of the namespace, from one link dump (802.1ad ones
 * are left out).  *out is malloc'd (NULL when there are none).  0 or a negative
 * errno. */
int ports_vlans(struct port_vlan **out, size_t *count);

/* How many filters the dumps of ifindex's clsact hooks list (a filter's
 * chain/priority entry and the filter itself each count), leaving out the
 * ingress ones of priority skip_ingress_prio (tsnd's own).  A negative errno if
 * the kernel cannot tell. */
int ports_tc_filters(int ifindex, uint16_t skip_ingress_prio);

#endif
