/* SPDX-License-Identifier: GPL-2.0-only */
/* cfg_digest.h — a digest of a configuration's normal form: SHA-256 of
 * tsn_config_to_json's text (what config.show answers as "config"), printed
 * without spaces or escaped slashes.  tsnd answers it to a config.apply that asks
 * ("digest": true); tsn-netconfd computes the same of what it committed, and keeps
 * its own tree of that configuration as running only when the two match
 * (docs/netconf.md).  No dependency beyond libtsn and json-c: tsn-netconfd links it. */
#ifndef TSND_CFG_DIGEST_H
#define TSND_CFG_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "tsn/config.h"

#define CFG_DIGEST_HEX 65	/* 64 hex digits and the NUL */

/* SHA-256 (FIPS 180-4) of len bytes. */
void cfg_sha256(const void *data, size_t len, uint8_t out[32]);

/* The digest of cfg's normal form as lowercase hex; 0, or -1 (out of memory). */
int cfg_digest(const struct tsn_config *cfg, char hex[CFG_DIGEST_HEX]);

#endif
