/* SPDX-License-Identifier: GPL-2.0-only */
/* ethtool.h — a port's driver and its netdev features (ethtool's `-k`/`-K`)
 * over the SIOCETHTOOL ioctl, in the namespace the caller runs in.
 *
 * The bridge step turns "tx-vlan-hw-insert" off on veth ports (docs/bridge.md,
 * "The VLAN tag over veth") and puts it back when it lets the port go. */
#ifndef TSND_ETHTOOL_H
#define TSND_ETHTOOL_H

#include <stdbool.h>
#include <stddef.h>

/* The VLAN transmit offload's feature name (NETIF_F_HW_VLAN_CTAG_TX). */
#define ETHTOOL_F_TXVLAN "tx-vlan-hw-insert"

/* The driver's name (ETHTOOL_GDRVINFO: "veth", "igc", ...).  0 or a negative errno. */
int ethtool_driver(const char *dev, char *drv, size_t len);

/* Feature `name` of dev: *on is whether it is active, *fixed whether it cannot
 * be changed (the driver does not offer it, or never lets it change).  0, or a
 * negative errno (-ENOENT: the kernel has no feature of that name). */
int ethtool_feature_get(const char *dev, const char *name, bool *on, bool *fixed);

/* Request feature `name` on or off (ETHTOOL_SFEATURES).  0 once it is active
 * as asked; -EOPNOTSUPP if the kernel keeps it otherwise; or a negative errno. */
int ethtool_feature_set(const char *dev, const char *name, bool on);

#endif
