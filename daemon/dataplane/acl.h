/* SPDX-License-Identifier: GPL-2.0-only */
/* acl.h — per-port access lists (ports[].acl) in the data plane's tsn_acl and
 * tsn_acl_pfx maps, and the storm guard (ports[].storm-guard) in tsn_storm_conf,
 * written per table generation like the classifier's tables.
 * Layouts: include/tsn/bpf_shared.h; the program side: acl_allows() in
 * bpf/dataplane.bpf.c. */
#ifndef TSND_ACL_H
#define TSND_ACL_H

#include <stddef.h>
#include <stdint.h>

#include "tsn/bpf_shared.h"
#include "tsn/config.h"

/* TSN_PACL_* flags of a port's entry in tsn_ports (0: no access list applies). */
uint8_t acl_port_flags(const struct tsn_cfg_port *p);

/* Write port p's allow lists (ifindex) into generation gen.  0, or a negative
 * errno with a message naming the port. */
int acl_write_port(int acl_fd, int pfx_fd, int ifindex, const struct tsn_cfg_port *p, uint32_t gen,
		   char *err, size_t errlen);

/* Storm guard: nonzero if port p has one with some rate; its configuration. */
uint8_t storm_port_flag(const struct tsn_cfg_port *p);
void storm_conf(const struct tsn_cfg_port *p, struct tsn_storm_conf *out);
/* Write port p's storm guard (ifindex) into generation gen of tsn_storm_conf. */
int storm_write_port(int conf_fd, int ifindex, const struct tsn_cfg_port *p, uint32_t gen,
		     char *err, size_t errlen);

/* The generation of a key of either map (for clearing a generation). */
uint32_t acl_gen_of(const void *key);
uint32_t acl_pfx_gen_of(const void *key);

#endif
