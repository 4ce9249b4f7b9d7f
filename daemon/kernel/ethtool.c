/* SPDX-License-Identifier: GPL-2.0-only */
/* ethtool.c — driver names and netdev features over SIOCETHTOOL (ethtool.h).
 *
 * Features are named by the kernel's ETH_SS_FEATURES string set; a feature's
 * bit is its index in that set, so every call looks the name up first (the
 * set has ~70 names: one GSTRINGS of a few KiB, cheap next to a reload). */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ethtool.h"

/* Far more than any kernel has (6.18: 67); bounds what a reply may make us allocate. */
#define MAX_FEATURES 1024

static int eth_ioctl(const char *dev, void *cmd)
{
	struct ifreq ifr;
	int fd, rc = 0;

	if (!dev[0] || strlen(dev) >= IFNAMSIZ)
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = cmd;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int ethtool_driver(const char *dev, char *drv, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	int rc = eth_ioctl(dev, &info);

	if (rc < 0)
		return rc;
	snprintf(drv, len, "%.*s", (int)sizeof(info.driver), info.driver);
	return 0;
}

/* The feature's bit (index in ETH_SS_FEATURES) and the set's size. */
static int feature_bit(const char *dev, const char *name, uint32_t *bit, uint32_t *count)
{
	struct {
		struct ethtool_sset_info hdr;
		uint32_t len;
	} ss = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ull << ETH_SS_FEATURES } };
	struct ethtool_gstrings *gs;
	int rc = eth_ioctl(dev, &ss);

	if (rc < 0)
		return rc;
	if (!(ss.hdr.sset_mask & (1ull << ETH_SS_FEATURES)) || ss.len == 0 || ss.len > MAX_FEATURES)
		return -EOPNOTSUPP;
	gs = calloc(1, sizeof(*gs) + (size_t)ss.len * ETH_GSTRING_LEN);
	if (!gs)
		return -ENOMEM;
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_FEATURES;
	gs->len = ss.len;
	rc = eth_ioctl(dev, gs);
	if (rc == 0) {
		rc = -ENOENT;
		for (uint32_t i = 0; i < gs->len && i < ss.len; i++)
			if (strncmp((const char *)gs->data + (size_t)i * ETH_GSTRING_LEN, name, ETH_GSTRING_LEN) == 0) {
				*bit = i;
				rc = 0;
				break;
			}
	}
	*count = ss.len;
	free(gs);
	return rc;
}

static int features_get(const char *dev, uint32_t count, struct ethtool_gfeatures **out)
{
	uint32_t blocks = (count + 31) / 32;
	struct ethtool_gfeatures *g = calloc(1, sizeof(*g) + blocks * sizeof(g->features[0]));
	int rc;

	if (!g)
		return -ENOMEM;
	g->cmd = ETHTOOL_GFEATURES;
	g->size = blocks;
	rc = eth_ioctl(dev, g);
	if (rc < 0) {
		free(g);
		return rc;
	}
	*out = g;
	return 0;
}

int ethtool_feature_get(const char *dev, const char *name, bool *on, bool *fixed)
{
	struct ethtool_gfeatures *g;
	uint32_t bit, count;
	int rc = feature_bit(dev, name, &bit, &count);

	if (rc < 0 || (rc = features_get(dev, count, &g)) < 0)
		return rc;
	uint32_t m = 1u << (bit % 32);
	const struct ethtool_get_features_block *f = &g->features[bit / 32];
	*on = f->active & m;
	*fixed = !(f->available & m) || (f->never_changed & m);
	free(g);
	return 0;
}

int ethtool_feature_set(const char *dev, const char *name, bool on)
{
	uint32_t bit, count, blocks;
	struct ethtool_sfeatures *s;
	bool now, fixed;
	int rc = feature_bit(dev, name, &bit, &count);

	if (rc < 0)
		return rc;
	blocks = (count + 31) / 32;
	s = calloc(1, sizeof(*s) + blocks * sizeof(s->features[0]));
	if (!s)
		return -ENOMEM;
	s->cmd = ETHTOOL_SFEATURES;
	s->size = blocks;
	s->features[bit / 32].valid = 1u << (bit % 32);
	s->features[bit / 32].requested = on ? 1u << (bit % 32) : 0;
	/* A positive answer (ETHTOOL_F_WISH, ...) says some request did not take:
	 * the read-back below decides. */
	rc = eth_ioctl(dev, s);
	free(s);
	if (rc < 0)
		return rc;
	if ((rc = ethtool_feature_get(dev, name, &now, &fixed)) < 0)
		return rc;
	return now == on ? 0 : -EOPNOTSUPP;
}
