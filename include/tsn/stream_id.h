/* SPDX-License-Identifier: GPL-2.0-only */
/* stream_id.h — IEEE 802.1CB stream identification as the data plane does it: how
 * a configured stream becomes an exact-match key of the BPF maps
 * (include/tsn/bpf_shared.h), which "shapes" of ipv6 streams exist and in which
 * order they are tried, and the default rules by EtherType.
 *
 * Pure functions, no kernel: the config checker (lib/cfg_check.c), the loader
 * (daemon/dataplane/classifier.c) and the tests share them, so a key is built one way only.
 *
 * Matching rules (docs/dataplane.md):
 * - ipv6 streams: the fields a stream gives form its mask; a field it leaves out
 *   matches anything (vlan included: absent = any VLAN or none).  Masks are tried
 *   most specific first (more fields first; equal counts by the mask's value,
 *   which ranks VLAN > ports > next header > DSCP > destination > source); the
 *   first hit wins.  At most TSN_IP6_MAX_MASKS distinct masks per configuration.
 * - dst-mac-vlan and src-mac-vlan: MAC and VLAN exact; vlan absent = untagged.
 * - precedence: ipv6, then dst-mac-vlan, then src-mac-vlan.
 */
#ifndef TSN_STREAM_ID_H
#define TSN_STREAM_ID_H

#include <stddef.h>
#include <stdint.h>

#include "tsn/bpf_shared.h"
#include "tsn/config.h"

/* The TSN_IP6F_* set of the fields an ipv6 stream gives. */
uint8_t tsn_stream_ip6_mask(const struct tsn_cfg_stream *s);
/* The map key of an ipv6 stream in generation gen. */
void tsn_stream_ip6_key(const struct tsn_cfg_stream *s, uint8_t gen, struct tsn_ip6_key *k);
/* The map key of a dst-mac-vlan or src-mac-vlan stream in generation gen. */
void tsn_stream_mac_key(const struct tsn_cfg_stream *s, uint8_t gen, struct tsn_mac_key *k);

/* The distinct masks of cfg's ipv6 streams, most specific first, in out[]
 * (TSN_IP6F_* sets; up to max).  Returns how many there are, which may exceed
 * max (then only the first max are stored). */
size_t tsn_stream_ip6_masks(const struct tsn_config *cfg, uint8_t *out, size_t max);
/* Negative if mask a is tried before mask b. */
int tsn_stream_mask_order(uint8_t a, uint8_t b);

/* Built-in default priorities by EtherType, used unless the configuration has a
 * rule for the same EtherType: PTP (0x88F7) 7, PROFINET RT (0x8892) 6. */
struct tsn_ethertype_default {
	uint16_t ethertype;
	uint8_t priority;
	const char *name;
};
const struct tsn_ethertype_default *tsn_ethertype_defaults(size_t *count);
/* The EtherType rules in effect: the configured ones, then the built-ins the
 * configuration does not override.  Returns the count (at most max). */
size_t tsn_ethertype_rules(const struct tsn_config *cfg, struct tsn_cfg_prio_rule *out, size_t max);

/* Text for `tsnctl stream show`: "dst 2001:db8::1 nh 17 dport 5000", "dst-mac
 * 01:..:0e vlan 100". */
void tsn_stream_match_text(const struct tsn_cfg_stream *s, char *buf, size_t len);

#endif
