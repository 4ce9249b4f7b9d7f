/* ports.h — what the kernel says about a network interface (rtnetlink via libnl). */
#ifndef TSND_PORTS_H
#define TSND_PORTS_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include <json.h>

struct ports;	/* owns a route netlink socket */

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
};

struct ports *ports_open(void);
void ports_close(struct ports *p);
/* Fill *out for interface `name` in the daemon's network namespace.  Returns 0
 * (also when the interface does not exist: out->present is then false) or a
 * negative errno when netlink itself failed. */
int ports_query(struct ports *p, const char *name, struct port_info *out);
/* The same without the root qdisc (out->qdisc stays ""): that takes a dump of every
 * qdisc, which is slow where long taprio schedules run. */
int ports_query_link(struct ports *p, const char *name, struct port_info *out);
/* {"name","present","ifindex","oper_state","admin_up","carrier","speed_mbps",
 *  "mtu","tx_queues","rx_queues","mac","qdisc"} */
json_object *port_info_to_json(const struct port_info *info);

#endif
