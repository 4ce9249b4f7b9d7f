/* SPDX-License-Identifier: GPL-2.0-only */
/* bridge_nl.c — the kernel bridge's objects over route netlink (bridge_nl.h).
 * libnl builds and parses the messages; nlio sends them and returns the
 * kernel's extended-ack text. */
#include <errno.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "bridge_nl.h"
#include "nlio.h"

/* ---- reading ---- */

static int link_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct bnl_link *l = arg;
	struct nlmsghdr *h = (struct nlmsghdr *)nlh;
	struct ifinfomsg *ifi = nlmsg_data(h);
	struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1], *bd[IFLA_BR_MAX + 1];

	if (nlh->nlmsg_type != RTM_NEWLINK || nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return -EINVAL;
	l->exists = true;
	l->ifindex = ifi->ifi_index;
	l->up = ifi->ifi_flags & IFF_UP;
	if (tb[IFLA_MASTER])
		l->master = (int)nla_get_u32(tb[IFLA_MASTER]);
	if (!tb[IFLA_LINKINFO] || nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0)
		return 0;
	if (li[IFLA_INFO_KIND])
		nla_strlcpy(l->kind, li[IFLA_INFO_KIND], sizeof(l->kind));
	if (strcmp(l->kind, "bridge") != 0 || !li[IFLA_INFO_DATA] ||
	    nla_parse_nested(bd, IFLA_BR_MAX, li[IFLA_INFO_DATA], NULL) < 0)
		return 0;
	if (bd[IFLA_BR_VLAN_FILTERING])
		l->vlan_filtering = nla_get_u8(bd[IFLA_BR_VLAN_FILTERING]);
	if (bd[IFLA_BR_AGEING_TIME])
		l->ageing_cs = nla_get_u32(bd[IFLA_BR_AGEING_TIME]);
	if (bd[IFLA_BR_MCAST_SNOOPING])
		l->mcast_snooping = nla_get_u8(bd[IFLA_BR_MCAST_SNOOPING]);
	if (bd[IFLA_BR_VLAN_DEFAULT_PVID])
		l->default_pvid = nla_get_u16(bd[IFLA_BR_VLAN_DEFAULT_PVID]);
	return 0;
}

int bnl_link_get(struct nlio *nl, const char *name, struct bnl_link *out)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
	char ext[128];
	int rc = -ENOMEM;

	memset(out, 0, sizeof(*out));
	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) == 0 &&
	    nla_put_string(msg, IFLA_IFNAME, name) == 0 && nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) == 0)
		rc = nlio_get(nl, msg, link_cb, out, ext, sizeof(ext));
	nlmsg_free(msg);
	if (rc == -ENODEV) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return rc;
}

#define GROW(arr, n, cap)                                                          \
	((n) < (cap) || ((cap) = (cap) ? 2 * (cap) : 16,                           \
			 (arr) = reallocarray_keep((arr), (cap), sizeof(*(arr)))) != NULL)

static void *reallocarray_keep(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n, size);
	if (!q)
		free(p);
	return q;
}

struct snap_ctx {
	struct bnl_snapshot *s;
	int br;
	size_t cap_vlans, cap_fdb, cap_mdb, cap_ports;
};

static int vlan_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct snap_ctx *c = arg;
	struct nlmsghdr *h = (struct nlmsghdr *)nlh;
	struct ifinfomsg *ifi = nlmsg_data(h);
	struct nlattr *tb[IFLA_MAX + 1], *a;
	int rem;

	if (nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return 0;
	if (!tb[IFLA_MASTER] || (int)nla_get_u32(tb[IFLA_MASTER]) != c->br || ifi->ifi_index == c->br)
		return 0;
	if (!GROW(c->s->ports, c->s->n_ports, c->cap_ports))
		return -ENOMEM;
	c->s->ports[c->s->n_ports++] = ifi->ifi_index;
	if (!tb[IFLA_AF_SPEC])
		return 0;
	nla_for_each_nested(a, tb[IFLA_AF_SPEC], rem) {
		if (nla_type(a) != IFLA_BRIDGE_VLAN_INFO || nla_len(a) < (int)sizeof(struct bridge_vlan_info))
			continue;
		const struct bridge_vlan_info *vi = nla_data(a);
		if (!GROW(c->s->vlans, c->s->n_vlans, c->cap_vlans))
			return -ENOMEM;
		c->s->vlans[c->s->n_vlans++] = (struct bnl_vlan){ ifi->ifi_index, vi->vid,
								   vi->flags & (BRIDGE_VLAN_INFO_PVID |
										BRIDGE_VLAN_INFO_UNTAGGED) };
	}
	return 0;
}

static int fdb_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct snap_ctx *c = arg;
	struct nlmsghdr *h = (struct nlmsghdr *)nlh;
	struct ndmsg *ndm = nlmsg_data(h);
	struct nlattr *tb[NDA_MAX + 1];

	if (ndm->ndm_family != AF_BRIDGE || nlmsg_parse(h, sizeof(*ndm), tb, NDA_MAX, NULL) < 0)
		return 0;
	/* The bridge's own entries name it as master; a device's own (self) ones do not. */
	if (!tb[NDA_MASTER] || (int)nla_get_u32(tb[NDA_MASTER]) != c->br || !tb[NDA_LLADDR] ||
	    nla_len(tb[NDA_LLADDR]) != 6)
		return 0;
	if (!GROW(c->s->fdb, c->s->n_fdb, c->cap_fdb))
		return -ENOMEM;
	struct bnl_fdb *f = &c->s->fdb[c->s->n_fdb++];
	memset(f, 0, sizeof(*f));
	f->ifindex = ndm->ndm_ifindex;
	memcpy(f->mac, nla_data(tb[NDA_LLADDR]), 6);
	f->vid = tb[NDA_VLAN] ? nla_get_u16(tb[NDA_VLAN]) : 0;
	f->state = ndm->ndm_state;
	if (tb[NDA_CACHEINFO] && nla_len(tb[NDA_CACHEINFO]) >= (int)sizeof(struct nda_cacheinfo)) {
		const struct nda_cacheinfo *ci = nla_data(tb[NDA_CACHEINFO]);
		long hz = sysconf(_SC_CLK_TCK);
		f->updated_s = ci->ndm_updated / (uint32_t)(hz > 0 ? hz : 100);
	}
	return 0;
}

static int mdb_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct snap_ctx *c = arg;
	struct nlmsghdr *h = (struct nlmsghdr *)nlh;
	struct br_port_msg *bpm = nlmsg_data(h);
	struct nlattr *tb[MDBA_MAX + 1], *db, *ent;
	int rem1, rem2;

	if ((int)bpm->ifindex != c->br || nlmsg_parse(h, sizeof(*bpm), tb, MDBA_MAX, NULL) < 0 || !tb[MDBA_MDB])
		return 0;
	nla_for_each_nested(db, tb[MDBA_MDB], rem1) {
		if (nla_type(db) != MDBA_MDB_ENTRY)
			continue;
		nla_for_each_nested(ent, db, rem2) {
			if (nla_type(ent) != MDBA_MDB_ENTRY_INFO || nla_len(ent) < (int)sizeof(struct br_mdb_entry))
				continue;
			const struct br_mdb_entry *e = nla_data(ent);
			if (e->addr.proto != 0)	/* IPv4/IPv6 groups are the snooping's, not ours */
				continue;
			if (!GROW(c->s->mdb, c->s->n_mdb, c->cap_mdb))
				return -ENOMEM;
			struct bnl_mdb *m = &c->s->mdb[c->s->n_mdb++];
			m->ifindex = (int)e->ifindex;
			memcpy(m->mac, e->addr.u.mac_addr, 6);
			m->vid = e->vid;
			m->permanent = e->state == MDB_PERMANENT;
		}
	}
	return 0;
}

int bnl_snapshot_take(struct nlio *nl, int br, struct bnl_snapshot *s, char *ext, size_t extlen)
{
	struct snap_ctx c = { .s = s, .br = br };
	struct {
		struct ifinfomsg ifi;
		struct nlattr nla;
		uint32_t mask;
	} __attribute__((packed)) lreq = {
		.ifi = { .ifi_family = AF_BRIDGE },
		.nla = { .nla_len = NLA_HDRLEN + sizeof(uint32_t), .nla_type = IFLA_EXT_MASK },
		.mask = RTEXT_FILTER_BRVLAN,
	};
	struct ndmsg ndm = { .ndm_family = AF_BRIDGE };
	struct br_port_msg bpm;
	int rc;

	memset(s, 0, sizeof(*s));
	memset(&bpm, 0, sizeof(bpm));
	bpm.family = AF_BRIDGE;
	/* (The kernel answers an MDB dump with RTM_GETMDB messages.)
	   The link dump's header carries the ext mask: one attribute after the ifinfomsg. */
	rc = nlio_dump(nl, RTM_GETLINK, &lreq, sizeof(lreq), RTM_NEWLINK, vlan_cb, &c, ext, extlen);
	if (rc == 0)
		rc = nlio_dump(nl, RTM_GETNEIGH, &ndm, sizeof(ndm), RTM_NEWNEIGH, fdb_cb, &c, ext, extlen);
	if (rc == 0)
		rc = nlio_dump(nl, RTM_GETMDB, &bpm, sizeof(bpm), RTM_GETMDB, mdb_cb, &c, ext, extlen);
	if (rc < 0)
		bnl_snapshot_free(s);
	return rc;
}

void bnl_snapshot_free(struct bnl_snapshot *s)
{
	free(s->vlans);
	free(s->fdb);
	free(s->mdb);
	free(s->ports);
	memset(s, 0, sizeof(*s));
}

/* ---- changes ---- */

static int bnl_send(struct nlio *nl, struct nl_msg *msg, int rc, char *ext, size_t extlen)
{
	if (extlen)
		ext[0] = '\0';
	if (!msg)
		return -ENOMEM;
	if (rc == 0)
		rc = nlio_request(nl, msg, ext, extlen);
	else
		rc = -EMSGSIZE;
	nlmsg_free(msg);
	if (rc == 0 && extlen)
		ext[0] = '\0';	/* a warning on success is no reason */
	return rc;
}

/* IFLA_LINKINFO { kind bridge, data { the settings asked for } } */
static int put_bridge_info(struct nl_msg *msg, bool set_vf, bool vf, bool set_age, uint32_t age, bool creating)
{
	struct nlattr *li = nla_nest_start(msg, IFLA_LINKINFO), *data;

	if (!li || nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0)
		return -1;
	data = nla_nest_start(msg, IFLA_INFO_DATA);
	if (!data)
		return -1;
	if (set_age && nla_put_u32(msg, IFLA_BR_AGEING_TIME, age) < 0)
		return -1;
	if (set_vf) {
		/* A bridge tsnd creates gives new ports no VLAN of its own: the
		 * configuration lists every membership. */
		if (creating && vf && nla_put_u16(msg, IFLA_BR_VLAN_DEFAULT_PVID, 0) < 0)
			return -1;
		if (nla_put_u8(msg, IFLA_BR_VLAN_FILTERING, vf) < 0)
			return -1;
	}
	nla_nest_end(msg, data);
	nla_nest_end(msg, li);
	return 0;
}

int bnl_bridge_create(struct nlio *nl, const char *name, bool vlan_filtering, uint32_t ageing_cs, char *ext,
		      size_t extlen)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	int rc = -1;

	/* VLAN attributes only when asked for: a kernel without VLAN filtering
	 * refuses them even to say "off". */
	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) == 0 && nla_put_string(msg, IFLA_IFNAME, name) == 0)
		rc = put_bridge_info(msg, vlan_filtering, vlan_filtering, true, ageing_cs, true);
	return bnl_send(nl, msg, rc, ext, extlen);
}

int bnl_bridge_settings(struct nlio *nl, int ifindex, bool set_vf, bool vlan_filtering, bool set_age,
			uint32_t ageing_cs, char *ext, size_t extlen)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	int rc = -1;

	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) == 0)
		rc = put_bridge_info(msg, set_vf, vlan_filtering, set_age, ageing_cs, false);
	return bnl_send(nl, msg, rc, ext, extlen);
}

int bnl_link_delete(struct nlio *nl, int ifindex, char *ext, size_t extlen)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_DELLINK, 0);
	int rc = msg ? nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) : -1;

	return bnl_send(nl, msg, rc, ext, extlen);
}

int bnl_link_up(struct nlio *nl, int ifindex, bool up, char *ext, size_t extlen)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = up ? IFF_UP : 0,
				 .ifi_change = IFF_UP };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	int rc = msg ? nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) : -1;

	return bnl_send(nl, msg, rc, ext, extlen);
}

int bnl_set_master(struct nlio *nl, int ifindex, int master, char *ext, size_t extlen)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	int rc = -1;

	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) == 0)
		rc = nla_put_u32(msg, IFLA_MASTER, (uint32_t)master);
	return bnl_send(nl, msg, rc, ext, extlen);
}

int bnl_vlan(struct nlio *nl, int port, uint16_t vid, uint16_t flags, bool add, char *ext, size_t extlen)
{
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = port };
	struct bridge_vlan_info vi = { .flags = flags, .vid = vid };
	struct nl_msg *msg = nlmsg_alloc_simple(add ? RTM_SETLINK : RTM_DELLINK, 0);
	struct nlattr *spec;
	int rc = -1;

	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) == 0 &&
	    (spec = nla_nest_start(msg, IFLA_AF_SPEC)) != NULL &&
	    nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(vi), &vi) == 0) {
		nla_nest_end(msg, spec);
		rc = 0;
	}
	return bnl_send(nl, msg, rc, ext, extlen);
}

int bnl_fdb(struct nlio *nl, int port, const uint8_t mac[6], uint16_t vid, bool add, char *ext, size_t extlen)
{
	/* "static": forwarded to the port and never aged (NUD_PERMANENT would be a
	 * local entry, delivered to the host). */
	struct ndmsg ndm = { .ndm_family = AF_BRIDGE, .ndm_ifindex = port, .ndm_state = NUD_NOARP,
			     .ndm_flags = NTF_MASTER };
	struct nl_msg *msg = nlmsg_alloc_simple(add ? RTM_NEWNEIGH : RTM_DELNEIGH,
						add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	int rc = -1;

	if (msg && nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) == 0 && nla_put(msg, NDA_LLADDR, 6, mac) == 0)
		rc = vid ? nla_put_u16(msg, NDA_VLAN, vid) : 0;
	return bnl_send(nl, msg, rc, ext, extlen);
}

int bnl_mdb(struct nlio *nl, int br, int port, const uint8_t mac[6], uint16_t vid, bool add, char *ext,
	    size_t extlen)
{
	struct br_port_msg bpm;
	struct br_mdb_entry e;
	struct nl_msg *msg = nlmsg_alloc_simple(add ? RTM_NEWMDB : RTM_DELMDB, add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	int rc = -1;

	/* Both have padding the kernel receives: zero all of it. */
	memset(&bpm, 0, sizeof(bpm));
	memset(&e, 0, sizeof(e));
	bpm.family = AF_BRIDGE;
	bpm.ifindex = (uint32_t)br;
	e.ifindex = (uint32_t)port;
	e.state = MDB_PERMANENT;
	e.vid = vid;
	memcpy(e.addr.u.mac_addr, mac, 6);	/* proto 0: a layer-2 group */
	if (msg && nlmsg_append(msg, &bpm, sizeof(bpm), NLMSG_ALIGNTO) == 0)
		rc = nla_put(msg, MDBA_SET_ENTRY, sizeof(e), &e);
	return bnl_send(nl, msg, rc, ext, extlen);
}
