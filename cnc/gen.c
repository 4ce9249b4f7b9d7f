/* SPDX-License-Identifier: GPL-2.0-only */
/* gen.c — seeded network generator for the tests and the benchmark.
 *
 * Switches in a line, a ring or a binary tree, 1 Gbit/s everywhere, four stations
 * on every switch.  Each stream goes from a random station to one on a switch at
 * most three switch indices away (as the cells of a plant: traffic is mostly
 * local), with a period of 1, 2, 5 or 10 ms (cycle 10 ms), 64 to 256 bytes and its
 * period as its deadline.  The same seed gives the same file. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnc.h"

#define STATIONS 4

static uint64_t next(uint64_t *s)
{
	/* splitmix64: small, fast, and the same everywhere */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct out {
	char *s;
	size_t n, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = o->cap - o->n;
		va_start(ap, fmt);
		int k = o->s ? vsnprintf(o->s + o->n, room, fmt, ap) : -1;
		va_end(ap);
		if (k >= 0 && (size_t)k < room) {
			o->n += (size_t)k;
			return;
		}
		size_t nc = o->cap ? o->cap * 2 : 65536;
		char *ns = realloc(o->s, nc);
		if (!ns) {
			o->oom = true;
			return;
		}
		o->s = ns;
		o->cap = nc;
	}
}

char *cnc_generate(enum cnc_topology topo, unsigned n, unsigned n_streams, uint64_t seed)
{
	struct out o = { 0 };
	unsigned *deg = calloc(n + 1, sizeof(unsigned));
	unsigned n_links = topo == CNC_RING && n > 2 ? n : n - 1;
	if (!deg || !n)
		goto fail;
	put(&o, "# generated: %s of %u switches, %u streams, seed %llu\n",
	    topo == CNC_LINE ? "line" : topo == CNC_RING ? "ring" : "tree", n, n_streams, (unsigned long long)seed);
	put(&o, "planner: { precision: 500ns, best-effort-share: 20 }\nswitches:\n");
	for (unsigned i = 0; i < n; i++) {
		put(&o, "  - name: sw%u\n    netconf: { address: \"192.0.2.%u\", user: tsncnc, key: /etc/tsncnc/key }\n"
			"    processing-delay: 2us\n    ports:\n", i, i % 250 + 1);
		for (unsigned p = 0; p < STATIONS + 3; p++)
			put(&o, "      - { name: p%u, link-speed: 1000 }\n", p);
	}
	put(&o, "stations:\n");
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < STATIONS; k++)
			put(&o, "  - { name: st%u-%u, link-speed: 1000 }\n", i, k);
	put(&o, "links:\n");
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < STATIONS; k++)
			put(&o, "  - { a: \"sw%u:p%u\", b: st%u-%u, propagation: 50ns }\n", i, k, i, k);
	for (unsigned l = 0; l < n_links; l++) {
		unsigned a, b;
		if (topo == CNC_TREE) {
			a = (l + 1 - 1) / 2;
			b = l + 1;
		} else {
			a = l;
			b = (l + 1) % n;
		}
		put(&o, "  - { a: \"sw%u:p%u\", b: \"sw%u:p%u\", propagation: 100ns }\n", a, STATIONS + deg[a], b,
		    STATIONS + deg[b]);
		deg[a]++;
		deg[b]++;
	}
	put(&o, "streams:\n");
	static const unsigned periods_ms[] = { 1, 2, 2, 5, 5, 10, 10, 10 };
	for (unsigned s = 0; s < n_streams; s++) {
		unsigned ts = (unsigned)(next(&seed) % n), tk = (unsigned)(next(&seed) % STATIONS);
		int d = (int)(next(&seed) % 7) - 3;
		int ls = (int)ts + d;
		if (topo == CNC_RING)
			ls = (ls + (int)n) % (int)n;
		else if (ls < 0 || ls >= (int)n)
			ls = (int)ts - d;
		if (ls < 0 || ls >= (int)n)
			ls = (int)ts;
		unsigned lk = (unsigned)(next(&seed) % STATIONS);
		if ((unsigned)ls == ts && lk == tk)
			lk = (lk + 1) % STATIONS;
		unsigned per = periods_ms[next(&seed) % 8];
		unsigned frame = 64 + (unsigned)(next(&seed) % 193);
		put(&o, "  - { name: s%u, talker: st%u-%u, listeners: [st%d-%u], period: %ums, frame-size: %uB, "
			"max-latency: %ums, vlan: 100, dst-mac: \"02:00:%02x:%02x:%02x:%02x\" }\n",
		    s, ts, tk, ls, lk, per, frame, per, s >> 24 & 0xff, s >> 16 & 0xff, s >> 8 & 0xff, s & 0xff);
	}
	free(deg);
	if (o.oom)
		goto fail;
	return o.s;
fail:
	free(deg);
	free(o.s);
	return NULL;
}
