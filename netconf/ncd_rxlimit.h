/* SPDX-License-Identifier: GPL-2.0-only */
/* ncd_rxlimit.h — the size limit of a NETCONF message tsn-netconfd reads. */
#ifndef NCD_RXLIMIT_H
#define NCD_RXLIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define NCD_MAX_MSG (16ULL << 20)	/* default: 16 MiB, far over any tsnd configuration */

/* Set the limit in bytes (0: none). */
void ncd_rxlimit_set(uint64_t bytes);

#endif
