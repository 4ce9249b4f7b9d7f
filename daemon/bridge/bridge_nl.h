/* SPDX-License-Identifier: GPL-2.0-only */
/* bridge_nl.h — the kernel bridge's objects over route netlink (internal to
 * daemon/bridge/): the bridge device and its settings, its ports, their VLANs,
 * FDB and MDB entries; read as snapshots, changed one request at a time. */
#ifndef TSND_BRIDGE_NL_H
#define TSND_BRIDGE_NL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlio;

/* A link as the bridge code needs it. */
struct bnl_link {
	bool exists;
	int ifindex;
	char kind[16];		/* IFLA_INFO_KIND, "" for none */
	int master;		/* IFLA_MASTER, 0 for none */
	bool up;
	/* kind "bridge" only */
	bool vlan_filtering;
	uint32_t ageing_cs;	/* centiseconds */
	bool mcast_snooping;
	uint16_t default_pvid;
};
int bnl_link_get(struct nlio *nl, const char *name, struct bnl_link *out);

struct bnl_vlan {
	int ifindex;		/* the port */
	uint16_t vid;
	uint16_t flags;		/* BRIDGE_VLAN_INFO_PVID | _UNTAGGED */
};
struct bnl_fdb {
	int ifindex;		/* the port */
	uint8_t mac[6];
	uint16_t vid;
	uint16_t state;		/* NUD_NOARP static, NUD_PERMANENT local, else learnt */
	uint32_t updated_s;	/* seconds since last seen (learnt) */
};
struct bnl_mdb {
	int ifindex;		/* the port */
	uint8_t mac[6];
	uint16_t vid;
	bool permanent;
};
/* Everything of the bridge br_ifindex (one dump each).  0 or a negative errno;
 * the arrays are malloc'd. */
struct bnl_snapshot {
	struct bnl_vlan *vlans;
	size_t n_vlans;
	struct bnl_fdb *fdb;
	size_t n_fdb;
	struct bnl_mdb *mdb;	/* layer-2 entries only */
	size_t n_mdb;
	int *ports;		/* ifindexes enslaved to the bridge */
	size_t n_ports;
};
int bnl_snapshot_take(struct nlio *nl, int br_ifindex, struct bnl_snapshot *s, char *ext, size_t extlen);
void bnl_snapshot_free(struct bnl_snapshot *s);

/* ---- changes: 0 or a negative errno, the kernel's text in ext ---- */
int bnl_bridge_create(struct nlio *nl, const char *name, bool vlan_filtering, uint32_t ageing_cs, char *ext,
		      size_t extlen);
int bnl_link_delete(struct nlio *nl, int ifindex, char *ext, size_t extlen);
/* Only the settings asked for (set_*) are sent. */
int bnl_bridge_settings(struct nlio *nl, int ifindex, bool set_vf, bool vlan_filtering, bool set_age,
			uint32_t ageing_cs, char *ext, size_t extlen);
int bnl_link_up(struct nlio *nl, int ifindex, bool up, char *ext, size_t extlen);
int bnl_set_master(struct nlio *nl, int ifindex, int master, char *ext, size_t extlen);
int bnl_vlan(struct nlio *nl, int port, uint16_t vid, uint16_t flags, bool add, char *ext, size_t extlen);
int bnl_fdb(struct nlio *nl, int port, const uint8_t mac[6], uint16_t vid, bool add, char *ext, size_t extlen);
int bnl_mdb(struct nlio *nl, int br, int port, const uint8_t mac[6], uint16_t vid, bool add, char *ext,
	    size_t extlen);

#endif
