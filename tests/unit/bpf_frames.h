/* SPDX-License-Identifier: GPL-2.0-only */
/* bpf_frames.h — crafting frames and running XDP programs on them through
 * BPF_PROG_RUN, for the data plane's CUnit tests (header-only, like test_util.h).
 *
 *   struct fb f; fb_eth(&f, dst, src); fb_vlan(&f, 0x8100, pcp, vid);
 *   fb_ipv6(&f, "2001:db8::1", "2001:db8::2", hop_limit, dscp);
 *   fb_ext(&f, 0, 8);  fb_udp(&f, 1000, 5000, 20);  fb_done(&f);
 *   struct xdp_result r; xdp_run(prog_fd, ifindex, f.b, f.len, &r);
 *   fb_routed(&f, &want, dmac, smac);   what a router sends on for f
 *
 * Next-header fields chain themselves: each header writes its protocol number
 * into the previous header's next-header byte. */
#ifndef TSN_BPF_FRAMES_H
#define TSN_BPF_FRAMES_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "tsn/bpf_shared.h"

#define FB_MAX 4096

struct fb {
	uint8_t b[FB_MAX];
	size_t len;
	size_t l3;		/* offset of the IPv6 header, 0 if none */
	size_t l4;		/* offset of the upper-layer header */
	size_t nh;		/* offset of the next-header byte to fill, 0 if none */
	size_t type;		/* offset of the EtherType/TPID field to fill */
};

static const uint8_t fb_mac_a[6] __attribute__((unused)) = { 0x02, 0, 0, 0, 0xaa, 0x01 };
static const uint8_t fb_mac_b[6] __attribute__((unused)) = { 0x02, 0, 0, 0, 0xbb, 0x02 };

__attribute__((unused))
static void fb_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet header; the EtherType is filled by the next header added. */
__attribute__((unused))
static void fb_eth(struct fb *f, const uint8_t dst[6], const uint8_t src[6])
{
	memset(f, 0, sizeof(*f));
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	f->type = 12;
	f->len = 14;
}

__attribute__((unused))
static void fb_vlan(struct fb *f, unsigned tpid, unsigned pcp, unsigned vid)
{
	fb_put16(f->b + f->type, tpid);
	fb_put16(f->b + f->len, (pcp << 13) | vid);
	f->type = f->len + 2;
	f->len += 4;
}

/* EtherType plus n bytes of pattern. */
__attribute__((unused))
static void fb_ethertype(struct fb *f, unsigned type, size_t n)
{
	fb_put16(f->b + f->type, type);
	for (size_t i = 0; i < n; i++)
		f->b[f->len + i] = (uint8_t)(0x30 + i);
	f->len += n;
}

__attribute__((unused))
static void fb_ipv6(struct fb *f, const char *src, const char *dst, unsigned hop_limit, unsigned dscp)
{
	uint8_t *h;

	fb_put16(f->b + f->type, 0x86dd);
	h = f->b + f->len;
	f->l3 = f->len;
	/* version 6, traffic class dscp<<2, flow label 0x12345 */
	h[0] = (uint8_t)(0x60 | (dscp >> 2));
	h[1] = (uint8_t)(((dscp & 3) << 6) | 0x01);
	h[2] = 0x23;
	h[3] = 0x45;
	h[7] = (uint8_t)hop_limit;
	inet_pton(AF_INET6, src, h + 8);
	inet_pton(AF_INET6, dst, h + 24);
	f->nh = f->len + 6;
	f->len += 40;
}

/* A hop-by-hop (0), routing (43) or destination options (60) header of
 * (hdrlen + 1) * 8 bytes, or any other type of that size. */
__attribute__((unused))
static void fb_ext(struct fb *f, unsigned type, unsigned hdrlen)
{
	uint8_t *h = f->b + f->len;
	size_t size = ((size_t)hdrlen + 1) * 8;

	f->b[f->nh] = (uint8_t)type;
	memset(h, 0, size);
	h[1] = (uint8_t)hdrlen;
	if (type == 0 || type == 60) {	/* PadN over the rest */
		h[2] = 1;
		h[3] = (uint8_t)(size - 4);
	}
	if (type == 43)			/* type 0 routing, segments left 0 */
		h[2] = 0;
	f->nh = f->len;
	f->len += size;
}

/* An AH header (51): length in 4-byte units minus 2. */
__attribute__((unused))
static void fb_ah(struct fb *f)
{
	uint8_t *h = f->b + f->len;

	f->b[f->nh] = 51;
	memset(h, 0, 16);
	h[1] = 2;
	f->nh = f->len;
	f->len += 16;
}

__attribute__((unused))
static void fb_frag(struct fb *f, unsigned offset8, int more)
{
	uint8_t *h = f->b + f->len;

	f->b[f->nh] = 44;
	memset(h, 0, 8);
	fb_put16(h + 2, (offset8 << 3) | (more ? 1 : 0));
	h[4] = 0xde;
	h[7] = 0x01;
	f->nh = f->len;
	f->len += 8;
}

__attribute__((unused))
static void fb_udp(struct fb *f, unsigned sport, unsigned dport, size_t payload)
{
	uint8_t *h = f->b + f->len;

	f->b[f->nh] = 17;
	f->nh = 0;
	f->l4 = f->len;
	fb_put16(h, sport);
	fb_put16(h + 2, dport);
	fb_put16(h + 4, (unsigned)(8 + payload));
	for (size_t i = 0; i < payload; i++)
		h[8 + i] = (uint8_t)(0x61 + i % 26);
	f->len += 8 + payload;
}

/* An upper layer of any protocol number, n bytes. */
__attribute__((unused))
static void fb_l4(struct fb *f, unsigned proto, size_t n)
{
	f->b[f->nh] = (uint8_t)proto;
	f->nh = 0;
	f->l4 = f->len;
	for (size_t i = 0; i < n; i++)
		f->b[f->len + i] = (uint8_t)(0x41 + i % 26);
	f->len += n;
}

/* Fill the IPv6 payload length from what was added. */
__attribute__((unused))
static void fb_done(struct fb *f)
{
	if (f->l3)
		fb_put16(f->b + f->l3 + 4, (unsigned)(f->len - f->l3 - 40));
}

/* The frame a router makes of f: new MACs, hop limit - 1, nothing else changed. */
__attribute__((unused))
static void fb_routed(const struct fb *f, struct fb *want, const uint8_t dmac[6], const uint8_t smac[6])
{
	*want = *f;
	memcpy(want->b, dmac, 6);
	memcpy(want->b + 6, smac, 6);
	want->b[f->l3 + 7]--;
}

/* What one BPF_PROG_RUN gave back. */
struct xdp_result {
	int err;			/* 0, or the negative errno of the run itself */
	int verdict;
	uint8_t out[FB_MAX + 64];	/* metadata (meta_len bytes), then the frame */
	size_t out_len;
	size_t meta_len;
	struct tsn_xdp_meta meta;	/* valid if has_meta */
	bool has_meta;
	const uint8_t *frame;		/* out + meta_len */
	size_t frame_len;
};

__attribute__((unused))
static void xdp_run(int prog_fd, int ifindex, const void *data, size_t len, struct xdp_result *r)
{
	struct xdp_md ctx_in = { .data_end = (__u32)len, .ingress_ifindex = (__u32)ifindex };
	struct xdp_md ctx_out;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = data,
		.data_size_in = (__u32)len,
		.data_out = r->out,
		.data_size_out = sizeof(r->out),
		.ctx_in = &ctx_in,
		.ctx_size_in = sizeof(ctx_in),
		.ctx_out = &ctx_out,
		.ctx_size_out = sizeof(ctx_out),
		.repeat = 1,
	);

	memset(r, 0, sizeof(*r));
	memset(&ctx_out, 0, sizeof(ctx_out));
	r->err = bpf_prog_test_run_opts(prog_fd, &opts);
	r->verdict = r->err ? -1 : (int)opts.retval;
	r->out_len = opts.data_size_out;
	/* ctx_out.data is where the frame starts in data_out: the metadata length. */
	r->meta_len = ctx_out.data;
	if (r->meta_len > r->out_len)
		r->meta_len = 0;
	r->frame = r->out + r->meta_len;
	r->frame_len = r->out_len - r->meta_len;
	if (r->meta_len == sizeof(r->meta)) {
		memcpy(&r->meta, r->out, sizeof(r->meta));
		r->has_meta = r->meta.magic == TSN_META_MAGIC;
	}
}

/* Print where two byte strings differ (for a failing exact-bytes check). */
__attribute__((unused))
static bool bytes_equal(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len,
			const char *what)
{
	if (got_len == want_len && memcmp(got, want, want_len) == 0)
		return true;
	fprintf(stderr, "\n  %s: got %zu bytes, want %zu", what, got_len, want_len);
	for (size_t i = 0; i < got_len && i < want_len; i++)
		if (got[i] != want[i]) {
			fprintf(stderr, "; first difference at byte %zu: got %02x, want %02x", i,
				got[i], want[i]);
			break;
		}
	return false;
}

#endif
