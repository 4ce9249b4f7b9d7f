/* ports.c — what the kernel says about a network interface.
 *
 * Link attributes come from one RTM_GETLINK request (read and parsed here;
 * libnl-route only for an answer beyond 32 KiB), the link speed from the ethtool
 * ioctl (rtnetlink does not carry it), the root qdisc from a qdisc dump.
 * Everything is read in the network namespace ports_open() ran in.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/pkt_sched.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include "ports.h"
#include "tsn/log.h"

struct ports {
	struct nl_sock *nl;	/* NETLINK_ROUTE */
	int ioctl_fd;		/* any socket of this namespace, for SIOCETHTOOL */
	uint32_t raw_seq;	/* getlink_raw()'s requests; from 2^31 (libnl counts from the time) */
};

/* ETHTOOL_GLINKSETTINGS mask words: the running kernel's constant, the same for
 * every device and namespace; 0 until the first handshake. */
static __s8 link_mode_nwords;

/* libnl speaks NLE_* codes; our callers expect negative errno values. */
static int nl_to_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM: return -EPERM;
	case NLE_NOACCESS: return -EACCES;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_BUSY: return -EBUSY;
	case NLE_INTR: return -EINTR;
	case NLE_BAD_SOCK: return -EBADF;
	case NLE_OBJ_NOTFOUND: return -ENODEV;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_RANGE: return -ERANGE;
	default: return -EIO;
	}
}

struct ports *ports_open(void)
{
	struct ports *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return NULL;
	p->ioctl_fd = -1;
	p->raw_seq = 0x80000000u;
	p->nl = nl_socket_alloc();
	if (!p->nl) {
		errno = ENOMEM;
		goto fail;
	}
	err = nl_connect(p->nl, NETLINK_ROUTE);
	if (err < 0) {
		log_err("ports: cannot open a route netlink socket: %s", nl_geterror(err));
		errno = -nl_to_errno(err);
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
fail:
	err = errno;
	ports_close(p);
	errno = err;
	return NULL;
}

void ports_close(struct ports *p)
{
	if (!p)
		return;
	if (p->nl)
		nl_socket_free(p->nl);
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

/* Kind of the root qdisc of ifindex; "" when the kernel lists none (a device
 * that is down has only the built-in noop qdisc, which is not dumped). */
static int root_qdisc_kind(struct ports *p, int ifindex, char *kind, size_t len)
{
	struct nl_cache *cache;
	struct rtnl_qdisc *qdisc;
	int err;

	kind[0] = '\0';
	err = rtnl_qdisc_alloc_cache(p->nl, &cache);
	if (err < 0) {
		log_warn("ports: cannot list qdiscs: %s", nl_geterror(err));
		return nl_to_errno(err);
	}
	qdisc = rtnl_qdisc_get_by_parent(cache, ifindex, TC_H_ROOT);
	if (qdisc) {
		const char *k = rtnl_tc_get_kind(TC_CAST(qdisc));
		snprintf(kind, len, "%s", k ? k : "");
		rtnl_qdisc_put(qdisc);
	}
	nl_cache_free(cache);
	return 0;
}

static void fill_from_link(struct port_info *out, struct rtnl_link *link)
{
	struct nl_addr *addr = rtnl_link_get_addr(link);

	out->ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_operstate2str(rtnl_link_get_operstate(link), out->oper_state,
				sizeof(out->oper_state));
	out->admin_up = rtnl_link_get_flags(link) & IFF_UP;
	out->carrier = rtnl_link_get_carrier(link);
	out->mtu = rtnl_link_get_mtu(link);
	out->num_tx_queues = rtnl_link_get_num_tx_queues(link);
	out->num_rx_queues = rtnl_link_get_num_rx_queues(link);
	if (addr && nl_addr_get_len(addr) == sizeof(out->mac))
		memcpy(out->mac, nl_addr_get_binary_addr(addr), sizeof(out->mac));
}

/* The attributes fill_from_link() reads, from one RTM_NEWLINK message. */
static void fill_from_msg(struct port_info *out, const struct nlmsghdr *h)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct nlattr *tb[IFLA_MAX + 1];

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
}

/* RTM_GETLINK by name, read straight into a buffer: one send, one receive
 * (libnl's rtnl_link_get_kernel() peeks every read, waits for a separate ack
 * and parses every attribute, which costs where system calls are dear).
 * 1 with *out filled, 0 when there is no such interface, -EMSGSIZE when the
 * answer did not fit, or another -errno. */
static int getlink_raw(struct ports *p, const char *name, struct port_info *out)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
		char attrs[NLA_HDRLEN + NLA_ALIGN(IFNAMSIZ)];
	} req;
	unsigned char buf[32768] __attribute__((aligned(4)));
	size_t nlen = strlen(name) + 1;
	struct nlattr *a = (struct nlattr *)req.attrs;
	int fd = nl_socket_get_fd(p->nl);
	/* Our own sequence numbers: libnl checks its replies against its counter. */
	uint32_t seq = ++p->raw_seq;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_type = RTM_GETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = seq;
	req.ifi.ifi_family = AF_UNSPEC;
	a->nla_type = IFLA_IFNAME;
	a->nla_len = NLA_HDRLEN + nlen;
	memcpy((char *)a + NLA_HDRLEN, name, nlen);
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi)) + NLA_ALIGN(a->nla_len);
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((size_t)n > sizeof(buf))
			return -EMSGSIZE;
		int len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
			if (h->nlmsg_seq != seq)
				continue;	/* a late answer to an earlier request */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EPROTO;
				if (e->error == -ENODEV)
					return 0;
				return e->error < 0 ? e->error : -EPROTO;
			}
			if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
				return -EPROTO;
			fill_from_msg(out, h);
			return 1;
		}
	}
}

static int query(struct ports *p, const char *name, struct port_info *out, bool with_qdisc)
{
	struct rtnl_link *link = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	/* A name that does not fit IFNAMSIZ cannot exist; the kernel would only
	 * answer EINVAL. */
	if (name[0] == '\0' || strlen(name) >= IFNAMSIZ)
		return 0;

	err = getlink_raw(p, name, out);
	if (err == 0)
		return 0;
	if (err > 0) {
		out->present = true;
		out->speed_mbps = link_speed(p, name);
		return with_qdisc ? root_qdisc_kind(p, out->ifindex, out->qdisc, sizeof(out->qdisc)) : 0;
	}
	if (err != -EMSGSIZE) {
		log_warn("ports: cannot query interface %s: %s", name, strerror(-err));
		return err;
	}
	/* An answer beyond 32 KiB: libnl reads any size. */
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	err = rtnl_link_get_kernel(p->nl, 0, name, &link);
	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
		return 0;
	if (err < 0) {
		log_warn("ports: cannot query interface %s: %s", name, nl_geterror(err));
		return nl_to_errno(err);
	}
	out->present = true;
	fill_from_link(out, link);
	rtnl_link_put(link);

	out->speed_mbps = link_speed(p, name);
	return with_qdisc ? root_qdisc_kind(p, out->ifindex, out->qdisc, sizeof(out->qdisc)) : 0;
}

int ports_query(struct ports *p, const char *name, struct port_info *out)
{
	return query(p, name, out, true);
}

int ports_query_link(struct ports *p, const char *name, struct port_info *out)
{
	return query(p, name, out, false);
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
	return o;
}
