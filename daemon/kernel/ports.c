/* SPDX-License-Identifier: GPL-2.0-only */
/* ports.c — what the kernel says about a network interface.
 *
 * The one place tsnd asks the kernel about links, ethtool and PTP hardware
 * clocks.  Link attributes come from one RTM_GETLINK request over nlio, the
 * link speed and timestamping from ethtool ioctls (rtnetlink carries neither),
 * the root qdisc from a qdisc snapshot (inside an nlio scope, one for every
 * query of the request).
 * Everything is read in the network namespace ports_open() ran in.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>

#include "ethtool.h"
#include "nlio.h"
#include "ports.h"
#include "tsn/log.h"

struct ports {
	struct nlio *nl;	/* NETLINK_ROUTE */
	int ioctl_fd;		/* any socket of this namespace, for SIOCETHTOOL */
};

/* ETHTOOL_GLINKSETTINGS mask words: the running kernel's constant, the same for
 * every device and namespace; 0 until the first handshake. */
static __s8 link_mode_nwords;

struct ports *ports_open(void)
{
	struct ports *p = calloc(1, sizeof(*p));
	char err[128];

	if (!p)
		return NULL;
	p->ioctl_fd = -1;
	p->nl = nlio_open(err, sizeof(err));
	if (!p->nl) {
		log_err("ports: %s", err);
		errno = EIO;
		goto fail;
	}
	/* SIOCETHTOOL works on any socket family; AF_INET is what ethtool uses, a
	 * netlink socket still works where IPv4 is compiled out. */
	p->ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->ioctl_fd < 0)
		p->ioctl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (p->ioctl_fd < 0) {
		log_err("ports: cannot open a socket for ethtool requests: %s", strerror(errno));
		goto fail;
	}
	return p;
fail:;
	int e = errno;
	ports_close(p);
	errno = e;
	return NULL;
}

void ports_close(struct ports *p)
{
	if (!p)
		return;
	nlio_close(p->nl);
	if (p->ioctl_fd >= 0)
		close(p->ioctl_fd);
	free(p);
}

static int ethtool_ioctl(struct ports *p, const char *name, void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = cmd;
	return ioctl(p->ioctl_fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

static uint32_t known_speed(uint32_t speed)
{
	return speed == (uint32_t)SPEED_UNKNOWN ? 0 : speed;
}

/* ETHTOOL_GLINKSETTINGS: the caller first offers zero mask words and the kernel
 * answers with the (negated) number it needs; the second call returns the settings. */
static int speed_from_link_settings(struct ports *p, const char *name, uint32_t *speed)
{
	struct {
		struct ethtool_link_settings base;
		__u32 masks[3 * 127];	/* supported, advertising, lp_advertising */
	} req;
	__s8 nwords = link_mode_nwords;
	int err;

	/* The number of mask words is the kernel's, the same for every device:
	 * once learnt, one call is enough.  A kernel that wants another number
	 * answers with the handshake again (a negative count). */
	for (int attempt = 0; attempt < 2; attempt++) {
		memset(&req, 0, sizeof(req));
		req.base.cmd = ETHTOOL_GLINKSETTINGS;
		req.base.link_mode_masks_nwords = nwords;
		err = ethtool_ioctl(p, name, &req);
		if (err < 0)
			return err;
		if (req.base.cmd != ETHTOOL_GLINKSETTINGS)
			return -EPROTO;
		if (req.base.link_mode_masks_nwords > 0 && nwords > 0) {
			*speed = known_speed(req.base.speed);
			return 0;
		}
		if (req.base.link_mode_masks_nwords >= 0 || -req.base.link_mode_masks_nwords > 127)
			return -EPROTO;
		nwords = (__s8)-req.base.link_mode_masks_nwords;
		link_mode_nwords = nwords;
	}
	return -EPROTO;
}

/* ETHTOOL_GSET: deprecated, but the only way on drivers older than link settings. */
static int speed_from_legacy_settings(struct ports *p, const char *name, uint32_t *speed)
{
	struct ethtool_cmd cmd;
	int err;

	memset(&cmd, 0, sizeof(cmd));
	cmd.cmd = ETHTOOL_GSET;
	err = ethtool_ioctl(p, name, &cmd);
	if (err < 0)
		return err;
	*speed = known_speed(ethtool_cmd_speed(&cmd));
	return 0;
}

/* Link speed in Mbit/s, 0 when the driver does not know or does not say. */
static uint32_t link_speed(struct ports *p, const char *name)
{
	uint32_t speed = 0;
	int err = speed_from_link_settings(p, name, &speed);

	if (err < 0 && speed_from_legacy_settings(p, name, &speed) < 0) {
		log_debug("ports: %s: no link speed from ethtool: %s", name, strerror(-err));
		speed = 0;
	}
	return speed;
}

/* The root qdisc's kind from the snapshot q; "" when it lists none. */
static void root_qdisc_kind(const struct nlio_qdiscs *q, int ifindex, char *kind, size_t len)
{
	const struct nlmsghdr *h = nlio_qdiscs_root(q, ifindex);
	struct nlattr *tb[TCA_MAX + 1];

	kind[0] = '\0';
	if (!h || nlmsg_parse((struct nlmsghdr *)h, sizeof(struct tcmsg), tb, TCA_MAX, NULL) < 0 || !tb[TCA_KIND])
		return;
	snprintf(kind, len, "%.*s", (int)strnlen(nla_data(tb[TCA_KIND]), (size_t)nla_len(tb[TCA_KIND])),
		 (const char *)nla_data(tb[TCA_KIND]));
}

/* The attributes of one RTM_NEWLINK message. */
static int fill_from_msg(const struct nlmsghdr *h, void *arg)
{
	struct port_info *out = arg;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct nlattr *tb[IFLA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -EPROTO;
	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		memset(tb, 0, sizeof(tb));
	out->ifindex = ifi->ifi_index;
	rtnl_link_operstate2str(tb[IFLA_OPERSTATE] && nla_len(tb[IFLA_OPERSTATE]) >= 1 ?
				nla_get_u8(tb[IFLA_OPERSTATE]) : 0, out->oper_state, sizeof(out->oper_state));
	out->admin_up = ifi->ifi_flags & IFF_UP;
	out->carrier = tb[IFLA_CARRIER] && nla_len(tb[IFLA_CARRIER]) >= 1 && nla_get_u8(tb[IFLA_CARRIER]);
	if (tb[IFLA_MTU] && nla_len(tb[IFLA_MTU]) >= 4)
		out->mtu = nla_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_NUM_TX_QUEUES] && nla_len(tb[IFLA_NUM_TX_QUEUES]) >= 4)
		out->num_tx_queues = nla_get_u32(tb[IFLA_NUM_TX_QUEUES]);
	if (tb[IFLA_NUM_RX_QUEUES] && nla_len(tb[IFLA_NUM_RX_QUEUES]) >= 4)
		out->num_rx_queues = nla_get_u32(tb[IFLA_NUM_RX_QUEUES]);
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == sizeof(out->mac))
		memcpy(out->mac, nla_data(tb[IFLA_ADDRESS]), sizeof(out->mac));
	return 1;
}

/* RTM_GETLINK by name: one send, one receive.  Statistics are left out (the
 * answer stays a few hundred bytes, far below nlio's 32 KiB buffer).  1 with
 * *out filled, 0 when there is no such interface, or a negative errno. */
static int getlink(struct ports *p, const char *name, struct port_info *out)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg *msg = nlmsg_alloc_size(256);
	char ext[128];
	int rc = -ENOMEM;

	if (msg && nlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, RTM_GETLINK, 0, 0) &&
	    nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) == 0 && nla_put_string(msg, IFLA_IFNAME, name) == 0 &&
	    nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) == 0)
		rc = nlio_get(p->nl, msg, fill_from_msg, out, ext, sizeof(ext));
	nlmsg_free(msg);
	return rc == -ENODEV ? 0 : rc;
}

static int query(struct ports *p, const char *name, struct port_info *out, bool with_qdisc)
{
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	/* A name that does not fit IFNAMSIZ cannot exist; the kernel would only
	 * answer EINVAL. */
	if (name[0] == '\0' || strlen(name) >= IFNAMSIZ)
		return 0;

	err = getlink(p, name, out);
	if (err == 0)
		return 0;
	if (err < 0) {
		log_warn("ports: cannot query interface %s: %s", name, strerror(-err));
		memset(out, 0, sizeof(*out));
		snprintf(out->name, sizeof(out->name), "%s", name);
		return err;
	}
	out->present = true;
	out->speed_mbps = link_speed(p, name);
	out->tx_vlan = -1;
	if (!with_qdisc)
		return 0;
	bool on, fixed;
	if (ethtool_feature_get(name, ETHTOOL_F_TXVLAN, &on, &fixed) == 0)
		out->tx_vlan = on;
	/* Inside an nlio scope every query reads the same dump. */
	struct nlio_qdiscs q;
	char ext[256];
	err = nlio_qdiscs_take(p->nl, &q, ext, sizeof(ext));
	if (err < 0) {
		log_warn("ports: cannot list qdiscs: %s%s%s", strerror(-err), ext[0] ? ": " : "", ext);
		return err;
	}
	root_qdisc_kind(&q, out->ifindex, out->qdisc, sizeof(out->qdisc));
	nlio_qdiscs_free(&q);
	return 0;
}

int ports_query(struct ports *p, const char *name, struct port_info *out)
{
	return query(p, name, out, true);
}

int ports_query_link(struct ports *p, const char *name, struct port_info *out)
{
	return query(p, name, out, false);
}

int ports_ts_info(const char *name, struct port_ts_info *out)
{
	struct ethtool_ts_info info = { .cmd = ETHTOOL_GET_TS_INFO, .phc_index = -1 };
	struct ifreq ifr;
	int fd, rc = 0;

	memset(out, 0, sizeof(*out));
	out->phc_index = -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		rc = -errno;
	close(fd);
	if (rc < 0)
		return rc;
	out->phc_index = info.phc_index;
	out->so_timestamping = info.so_timestamping;
	return 0;
}

int ports_mac(const char *name, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	if (fd < 0)
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		rc = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return rc;
}

struct vlan_list {
	struct port_vlan *v;
	size_t n;
};

/* One RTM_NEWLINK of the dump: kept if it is an 802.1Q sub-interface. */
static int collect_vlan(const struct nlmsghdr *h, void *arg)
{
	struct vlan_list *l = arg;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *data[IFLA_VLAN_MAX + 1];

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) ||
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0 || !tb[IFLA_LINK] ||
	    !tb[IFLA_LINKINFO] || nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0 ||
	    !info[IFLA_INFO_KIND] || strcmp(nla_get_string(info[IFLA_INFO_KIND]), "vlan") != 0 ||
	    !info[IFLA_INFO_DATA] || nla_parse_nested(data, IFLA_VLAN_MAX, info[IFLA_INFO_DATA], NULL) < 0 ||
	    !data[IFLA_VLAN_ID] || !data[IFLA_VLAN_PROTOCOL] ||
	    nla_get_u16(data[IFLA_VLAN_PROTOCOL]) != htons(ETH_P_8021Q))
		return 0;
	struct port_vlan *grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	l->v = grown;
	l->v[l->n].parent = (int)nla_get_u32(tb[IFLA_LINK]);
	l->v[l->n].vid = nla_get_u16(data[IFLA_VLAN_ID]);
	l->v[l->n++].ifindex = ifi->ifi_index;
	return 0;
}

int ports_vlans(struct port_vlan **out, size_t *count)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct vlan_list l = { NULL, 0 };
	char why[128];
	struct nlio *nl = nlio_open(why, sizeof(why));
	int rc;

	*out = NULL;
	*count = 0;
	if (!nl) {
		log_debug("ports: %s", why);
		return -EIO;
	}
	rc = nlio_dump(nl, RTM_GETLINK, &ifi, sizeof(ifi), RTM_NEWLINK, collect_vlan, &l, why, sizeof(why));
	nlio_close(nl);
	if (rc < 0) {
		free(l.v);
		return rc;
	}
	*out = l.v;
	*count = l.n;
	return 0;
}

struct filter_count {
	bool ingress;
	uint16_t skip_prio;
	int n;
};

static int count_filter(const struct nlmsghdr *h, void *arg)
{
	struct filter_count *c = arg;
	const struct tcmsg *tcm = NLMSG_DATA(h);

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*tcm)))
		return 0;
	c->n += !c->ingress || TC_H_MAJ(tcm->tcm_info) >> 16 != c->skip_prio;
	return 0;
}

int ports_tc_filters(int ifindex, uint16_t skip_ingress_prio)
{
	static const uint32_t hooks[] = { TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
					  TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS) };
	struct filter_count c = { .skip_prio = skip_ingress_prio };
	char why[128];
	struct nlio *nl = nlio_open(why, sizeof(why));
	int rc = 0;

	if (!nl) {
		log_debug("ports: %s", why);
		return -EIO;
	}
	for (size_t i = 0; i < 2 && rc == 0; i++) {
		struct tcmsg tcm = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex, .tcm_parent = hooks[i] };

		c.ingress = i == 0;
		rc = nlio_dump(nl, RTM_GETTFILTER, &tcm, sizeof(tcm), RTM_NEWTFILTER, count_filter, &c, why,
			       sizeof(why));
	}
	nlio_close(nl);
	return rc < 0 ? rc : c.n;
}

json_object *port_info_to_json(const struct port_info *info)
{
	json_object *o = json_object_new_object();
	char mac[18];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", info->mac[0], info->mac[1],
		 info->mac[2], info->mac[3], info->mac[4], info->mac[5]);
	json_object_object_add(o, "name", json_object_new_string(info->name));
	json_object_object_add(o, "present", json_object_new_boolean(info->present));
	json_object_object_add(o, "ifindex", json_object_new_int(info->ifindex));
	json_object_object_add(o, "oper_state", json_object_new_string(info->oper_state));
	json_object_object_add(o, "admin_up", json_object_new_boolean(info->admin_up));
	json_object_object_add(o, "carrier", json_object_new_boolean(info->carrier));
	json_object_object_add(o, "speed_mbps", json_object_new_int64(info->speed_mbps));
	json_object_object_add(o, "mtu", json_object_new_int64(info->mtu));
	json_object_object_add(o, "tx_queues", json_object_new_int64(info->num_tx_queues));
	json_object_object_add(o, "rx_queues", json_object_new_int64(info->num_rx_queues));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	json_object_object_add(o, "qdisc", json_object_new_string(info->qdisc));
	json_object_object_add(o, "tx_vlan_offload",
			       info->present && info->tx_vlan >= 0 ? json_object_new_boolean(info->tx_vlan) : NULL);
	return o;
}
