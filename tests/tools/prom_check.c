/* SPDX-License-Identifier: GPL-2.0-only */
/* prom_check.c — check Prometheus exposition text on standard input with the strict
 * checker of tests/unit/prom_lint.h (Debian 12 has no stand-alone promtool).
 *
 *   prom_check < metrics.txt     exit 0 and "ok: N families", or 1 and "line N: why"
 */
#include <stdio.h>
#include <stdlib.h>

#include "../unit/prom_lint.h"

int main(void)
{
	size_t cap = 1 << 16, len = 0, n, families = 0;
	char *buf = malloc(cap), err[512];

	if (!buf)
		return 2;
	while ((n = fread(buf + len, 1, cap - len, stdin)) > 0) {
		len += n;
		if (len == cap) {
			char *bigger = realloc(buf, cap *= 2);
			if (!bigger) {
				free(buf);
				return 2;
			}
			buf = bigger;
		}
	}
	int rc = prom_lint(buf, len, &families, err, sizeof(err));
	free(buf);
	if (rc != 0) {
		fprintf(stderr, "prom_check: %s\n", err);
		return 1;
	}
	printf("ok: %zu families\n", families);
	return 0;
}
