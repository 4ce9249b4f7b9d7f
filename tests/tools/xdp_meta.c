/* SPDX-License-Identifier: GPL-2.0-only */
/* xdp_meta.c — whether this kernel lets an XDP program reserve metadata for tc,
 * asked the way tsnd asks it (dataplane_xdp_meta_ok; docs/dataplane.md, "Without
 * XDP metadata").  For the integration tests of paths that need it.
 *
 *   xdp_meta        prints yes (exit 0) or no (exit 1)
 */
#include <stdio.h>

#include "dataplane.h"

int main(void)
{
	int ok = dataplane_xdp_meta_ok();

	puts(ok ? "yes" : "no");
	return ok ? 0 : 1;
}
