/* SPDX-License-Identifier: GPL-2.0-only */
/* acl.c — per-port access lists in the data plane's maps (API in acl.h).
 *
 * Semantics (docs/security.md): with `default: deny` a frame is let in when its
 * source MAC is on allow-src-mac, or its EtherType (behind the VLAN tags) on
 * allow-ethertype, or it is IPv6 and its source address lies in a prefix of
 * allow-prefix; every other frame is dropped by XDP.  With `default: allow` (the
 * default) the lists let in what everything else lets in: nothing is written. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "acl.h"
#include "tsn/bpf_meter.h"

_Static_assert(sizeof(struct tsn_acl_key) == 12, "ACL key layout is shared with BPF");
_Static_assert(sizeof(struct tsn_acl_pfx_key) == 28, "ACL prefix key layout is shared with BPF");

uint8_t acl_port_flags(const struct tsn_cfg_port *p)
{
	uint8_t f = 0;

	if (!p->has_acl || p->acl.default_action != TSN_ACL_DENY)
		return 0;
	f = TSN_PACL_DENY;
	if (p->acl.n_src_macs)
		f |= TSN_PACL_MAC;
	if (p->acl.n_prefixes)
		f |= TSN_PACL_PFX;
	if (p->acl.n_ethertypes)
		f |= TSN_PACL_ET;
	return f;
}

uint8_t storm_port_flag(const struct tsn_cfg_port *p)
{
	return p->has_storm_guard && (p->storm_guard.broadcast_bps || p->storm_guard.multicast_bps ||
				      p->storm_guard.unknown_bps);
}

/* Burst: what the rate sends in 10 ms, at least 2 frames of 1522 bytes, at most
 * 1 GiB (so that the bucket fits bpf_meter.h's units). */
static uint64_t storm_burst_units(uint64_t bps)
{
	uint64_t bytes = bps / 800;

	if (bytes < 2 * 1522)
		bytes = 2 * 1522;
	if (bytes > (1ull << 30))
		bytes = 1ull << 30;
	return bytes * TSN_METER_UNITS_PER_BYTE;
}

void storm_conf(const struct tsn_cfg_port *p, struct tsn_storm_conf *out)
{
	memset(out, 0, sizeof(*out));
	out->rate_bps[TSN_STORM_BCAST] = p->storm_guard.broadcast_bps;
	out->rate_bps[TSN_STORM_MCAST] = p->storm_guard.multicast_bps;
	out->rate_bps[TSN_STORM_UNKNOWN] = p->storm_guard.unknown_bps;
	for (int k = 0; k < TSN_STORM_KINDS; k++)
		out->burst_units[k] = out->rate_bps[k] ? storm_burst_units(out->rate_bps[k]) : 0;
}

int storm_write_port(int conf_fd, int ifindex, const struct tsn_cfg_port *p, uint32_t gen,
		     char *err, size_t errlen)
{
	struct tsn_port_key k = { .ifindex = (uint32_t)ifindex, .gen = gen };
	struct tsn_storm_conf sc;
	int rc;

	if (!storm_port_flag(p))
		return 0;
	storm_conf(p, &sc);
	rc = bpf_map_update_elem(conf_fd, &k, &sc, BPF_ANY);
	if (rc < 0)
		snprintf(err, errlen, "port %s: cannot write its storm guard to the data plane: %s",
			 p->name, strerror(-rc));
	return rc;
}

uint32_t acl_gen_of(const void *key)
{
	return ((const struct tsn_acl_key *)key)->gen;
}

uint32_t acl_pfx_gen_of(const void *key)
{
	return ((const struct tsn_acl_pfx_key *)key)->gen;
}

int acl_write_port(int acl_fd, int pfx_fd, int ifindex, const struct tsn_cfg_port *p, uint32_t gen,
		   char *err, size_t errlen)
{
	const uint8_t one = 1;
	int rc = 0;

	if (!acl_port_flags(p))
		return 0;
	for (size_t i = 0; i < p->acl.n_src_macs && rc == 0; i++) {
		struct tsn_acl_key k = { .ifindex = (uint32_t)ifindex, .gen = (uint8_t)gen,
					 .kind = TSN_ACL_KIND_MAC };

		memcpy(k.val, p->acl.src_macs[i].addr, 6);
		rc = bpf_map_update_elem(acl_fd, &k, &one, BPF_ANY);
	}
	for (size_t i = 0; i < p->acl.n_ethertypes && rc == 0; i++) {
		struct tsn_acl_key k = { .ifindex = (uint32_t)ifindex, .gen = (uint8_t)gen,
					 .kind = TSN_ACL_KIND_ETHERTYPE };
		uint16_t et = htons((uint16_t)p->acl.ethertypes[i]);

		memcpy(k.val, &et, 2);
		rc = bpf_map_update_elem(acl_fd, &k, &one, BPF_ANY);
	}
	for (size_t i = 0; i < p->acl.n_prefixes && rc == 0; i++) {
		struct tsn_acl_pfx_key k = { .prefixlen = 64 + p->acl.prefixes[i].len,
					     .ifindex = (uint32_t)ifindex, .gen = gen };

		memcpy(k.addr, &p->acl.prefixes[i].addr, 16);
		rc = bpf_map_update_elem(pfx_fd, &k, &one, BPF_ANY);
	}
	if (rc < 0)
		snprintf(err, errlen, "port %s: cannot write its access list to the data plane: %s%s",
			 p->name, strerror(-rc), rc == -E2BIG || rc == -ENOSPC ?
			 " (at most 65536 entries for all ports together)" : "");
	return rc;
}
