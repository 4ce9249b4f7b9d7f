/* SPDX-License-Identifier: GPL-2.0-only */
/* stream_id.c — configured streams as BPF map keys; the config rules that keep
 * stream identification unambiguous.  See include/tsn/stream_id.h. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_schema.h"
#include "tsn/stream_id.h"

uint8_t tsn_stream_ip6_mask(const struct tsn_cfg_stream *s)
{
	return (uint8_t)((s->has_src ? TSN_IP6F_SRC : 0) | (s->has_dst ? TSN_IP6F_DST : 0) |
			 (s->has_dscp ? TSN_IP6F_DSCP : 0) | (s->has_next_header ? TSN_IP6F_NH : 0) |
			 (s->has_src_port ? TSN_IP6F_SPORT : 0) |
			 (s->has_dst_port ? TSN_IP6F_DPORT : 0) | (s->has_vlan ? TSN_IP6F_VLAN : 0));
}

void tsn_stream_ip6_key(const struct tsn_cfg_stream *s, uint8_t gen, struct tsn_ip6_key *k)
{
	memset(k, 0, sizeof(*k));
	if (s->has_src)
		memcpy(k->src, &s->src, 16);
	if (s->has_dst)
		memcpy(k->dst, &s->dst, 16);
	if (s->has_dscp)
		k->dscp = (uint8_t)s->dscp;
	if (s->has_next_header)
		k->nexthdr = (uint8_t)s->next_header;
	if (s->has_src_port)
		k->sport = htons((uint16_t)s->src_port);
	if (s->has_dst_port)
		k->dport = htons((uint16_t)s->dst_port);
	if (s->has_vlan)
		k->vid = (uint16_t)s->vlan;
	k->mask = tsn_stream_ip6_mask(s);
	k->gen = gen;
}

void tsn_stream_mac_key(const struct tsn_cfg_stream *s, uint8_t gen, struct tsn_mac_key *k)
{
	bool dst = s->identification == TSN_IDENT_DST_MAC_VLAN;

	memset(k, 0, sizeof(*k));
	memcpy(k->mac, dst ? s->dst_mac.addr : s->src_mac.addr, 6);
	k->vid = s->has_vlan ? (uint16_t)s->vlan : TSN_VID_UNTAGGED;
	k->kind = dst ? TSN_MAC_DST : TSN_MAC_SRC;
	k->gen = gen;
}

static int popcount8(uint8_t v)
{
	return __builtin_popcount(v);
}

int tsn_stream_mask_order(uint8_t a, uint8_t b)
{
	if (popcount8(a) != popcount8(b))
		return popcount8(b) - popcount8(a);
	return (int)b - (int)a;
}

static int cmp_mask(const void *a, const void *b)
{
	return tsn_stream_mask_order(*(const uint8_t *)a, *(const uint8_t *)b);
}

size_t tsn_stream_ip6_masks(const struct tsn_config *cfg, uint8_t *out, size_t max)
{
	bool seen[128] = { false };
	uint8_t all[128];
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_streams; i++) {
		uint8_t m;

		if (cfg->streams[i].identification != TSN_IDENT_IPV6)
			continue;
		m = tsn_stream_ip6_mask(&cfg->streams[i]) & 0x7f;
		if (!seen[m]) {
			seen[m] = true;
			all[n++] = m;
		}
	}
	qsort(all, n, 1, cmp_mask);
	memcpy(out, all, n < max ? n : max);
	return n;
}

static const struct tsn_ethertype_default ethertype_defaults[] = {
	{ 0x88f7, 7, "PTP" },
	{ 0x8892, 6, "PROFINET RT" },
};

const struct tsn_ethertype_default *tsn_ethertype_defaults(size_t *count)
{
	*count = sizeof(ethertype_defaults) / sizeof(ethertype_defaults[0]);
	return ethertype_defaults;
}

size_t tsn_ethertype_rules(const struct tsn_config *cfg, struct tsn_cfg_prio_rule *out, size_t max)
{
	const struct tsn_cfg_classification *c = &cfg->classification;
	size_t n = 0;

	for (size_t i = 0; i < c->n_ethertype && n < max; i++)
		out[n++] = c->ethertype[i];
	for (size_t d = 0; d < sizeof(ethertype_defaults) / sizeof(ethertype_defaults[0]); d++) {
		bool configured = false;

		for (size_t i = 0; i < c->n_ethertype; i++)
			configured |= c->ethertype[i].match == ethertype_defaults[d].ethertype;
		if (!configured && n < max)
			out[n++] = (struct tsn_cfg_prio_rule){ ethertype_defaults[d].ethertype,
							       ethertype_defaults[d].priority };
	}
	return n;
}

struct text {
	char *buf;
	size_t len, used;
};

static void append(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void append(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->used + 1 >= t->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->used += (size_t)n < t->len - t->used ? (size_t)n : t->len - t->used - 1;
}

void tsn_stream_match_text(const struct tsn_cfg_stream *s, char *buf, size_t len)
{
	struct text t = { buf, len, 0 };
	char a[INET6_ADDRSTRLEN];

	if (!len)
		return;
	buf[0] = '\0';
	if (s->identification != TSN_IDENT_IPV6) {
		bool dst = s->identification == TSN_IDENT_DST_MAC_VLAN;
		const uint8_t *m = dst ? s->dst_mac.addr : s->src_mac.addr;

		append(&t, "%s %02x:%02x:%02x:%02x:%02x:%02x", dst ? "dst-mac" : "src-mac",
		       m[0], m[1], m[2], m[3], m[4], m[5]);
		if (s->has_vlan)
			append(&t, " vlan %u", s->vlan);
		else
			append(&t, " untagged");
		return;
	}
	if (s->has_src)
		append(&t, " src %s", inet_ntop(AF_INET6, &s->src, a, sizeof(a)));
	if (s->has_dst)
		append(&t, " dst %s", inet_ntop(AF_INET6, &s->dst, a, sizeof(a)));
	if (s->has_dscp)
		append(&t, " dscp %u", s->dscp);
	if (s->has_next_header && (s->next_header == 17 || s->next_header == 6))
		append(&t, " %s", s->next_header == 17 ? "udp" : "tcp");
	else if (s->has_next_header)
		append(&t, " nh %u", s->next_header);
	if (s->has_src_port)
		append(&t, " sport %u", s->src_port);
	if (s->has_dst_port)
		append(&t, " dport %u", s->dst_port);
	if (s->has_vlan)
		append(&t, " vlan %u", s->vlan);
	/* Every ipv6 item starts with a blank: drop the first. */
	if (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
}

/* ---- config rules ---- */

struct keyed {
	union {
		struct tsn_ip6_key ip6;
		struct tsn_mac_key mac;
	} k;
	size_t index;
	bool ip6;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c;

	if (x->ip6 != y->ip6)
		return x->ip6 ? 1 : -1;
	c = memcmp(&x->k, &y->k, x->ip6 ? sizeof(x->k.ip6) : sizeof(x->k.mac));
	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Two streams that identify the same frames would leave one of them unreachable;
 * more shapes of ipv6 streams than the data plane tries per frame could not be
 * loaded.  Both are reported at the stream in the file.  Sorting keeps this
 * O(n log n) for the 65536 streams a configuration may hold. */
void cfg_check_stream_identification(struct cfg_checker *chk, struct tsn_config *cfg)
{
	uint8_t masks[TSN_IP6_MAX_MASKS];
	struct keyed *keys;
	size_t *first;
	size_t n_masks = tsn_stream_ip6_masks(cfg, masks, TSN_IP6_MAX_MASKS);

	if (n_masks > TSN_IP6_MAX_MASKS) {
		bool seen[128] = { false };
		size_t distinct = 0;

		for (size_t i = 0; i < cfg->n_streams; i++) {
			uint8_t m = tsn_stream_ip6_mask(&cfg->streams[i]) & 0x7f;

			if (cfg->streams[i].identification != TSN_IDENT_IPV6 || seen[m])
				continue;
			seen[m] = true;
			if (++distinct == TSN_IP6_MAX_MASKS + 1)
				cfg_error(chk, &cfg->streams[i].identification,
					  "ipv6 streams use %zu different combinations of src, dst, "
					  "dscp, next-header, ports and vlan; at most %d are allowed "
					  "(the data plane tries one lookup per combination)",
					  n_masks, TSN_IP6_MAX_MASKS);
		}
	}
	if (cfg->n_streams < 2)
		return;
	keys = calloc(cfg->n_streams, sizeof(*keys));
	if (!keys)
		return;
	for (size_t i = 0; i < cfg->n_streams; i++) {
		const struct tsn_cfg_stream *s = &cfg->streams[i];

		keys[i].index = i;
		keys[i].ip6 = s->identification == TSN_IDENT_IPV6;
		if (keys[i].ip6)
			tsn_stream_ip6_key(s, 0, &keys[i].k.ip6);
		else
			tsn_stream_mac_key(s, 0, &keys[i].k.mac);
	}
	qsort(keys, cfg->n_streams, sizeof(*keys), cmp_keyed);
	/* first[i]: the earlier stream that i duplicates (i itself if none); reported
	 * in file order afterwards. */
	first = malloc(cfg->n_streams * sizeof(*first));
	if (!first) {
		free(keys);
		return;
	}
	for (size_t i = 0; i < cfg->n_streams; i++)
		first[i] = i;
	for (size_t i = 1; i < cfg->n_streams; i++) {
		const struct keyed *a = &keys[i - 1], *b = &keys[i];

		/* Sorted by index within equal keys: a is the earlier stream. */
		if (a->ip6 == b->ip6 &&
		    memcmp(&a->k, &b->k, a->ip6 ? sizeof(a->k.ip6) : sizeof(a->k.mac)) == 0)
			first[b->index] = a->index;
	}
	for (size_t i = 0; i < cfg->n_streams; i++)
		if (first[i] != i)
			cfg_error(chk, &cfg->streams[i].identification,
				  "identifies exactly the frames streams[%zu] (id %u) identifies; a "
				  "frame belongs to one stream only", first[i], cfg->streams[first[i]].id);
	free(first);
	free(keys);
}
