// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* port_counters.bpf.c — XDP program that counts received frames per port and kind.
 *
 * Parses Ethernet and up to two VLAN tags (802.1Q 0x8100, 802.1ad 0x88a8), sorts
 * the frame into an enum tsn_frame_kind and adds one packet and the frame length
 * to the per-CPU counters of the receiving port.  Every frame is passed on to the
 * stack unchanged: this program observes, it never decides.
 *
 * A frame counts as malformed when it ends before the headers its EtherTypes
 * announce: the Ethernet header, each VLAN tag, and the fixed part of the PTP,
 * IPv6, IPv4 or ARP header.  Frames of other EtherTypes need only their L2 headers.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "tsn/bpf_shared.h"

#define MAX_PORTS 256
#define MAX_VLAN_TAGS 2
/* Fixed parts of headers the kernel UAPI has no handy struct for. */
#define PTP_HEADER_LEN 34	/* IEEE 1588 common message header */
#define ARP_HEADER_LEN 8	/* hardware/protocol type and lengths, opcode */

struct vlan_tag {
	__be16 tci;
	__be16 encap_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_PORTS);
	__type(key, __u32);			/* ingress ifindex */
	__type(value, struct port_counters);
} port_stats SEC(".maps");

/* A read position in the frame; every read goes through cursor_take so the
 * verifier sees a bounds check before each header is touched. */
struct hdr_cursor {
	void *pos;
	void *end;
};

/* The next len bytes of the frame, or NULL if the frame ends first. */
static __always_inline void *cursor_take(struct hdr_cursor *c, __u32 len)
{
	void *start = c->pos;

	if (start + len > c->end)
		return NULL;
	c->pos = start + len;
	return start;
}

static __always_inline int is_vlan_proto(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

static __always_inline enum tsn_frame_kind classify(struct hdr_cursor *c)
{
	struct ethhdr *eth = cursor_take(c, sizeof(*eth));
	int tagged = 0;
	__be16 proto;

	if (!eth)
		return TSN_KIND_MALFORMED;
	proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		struct vlan_tag *tag;

		if (!is_vlan_proto(proto))
			break;
		tag = cursor_take(c, sizeof(*tag));
		if (!tag)
			return TSN_KIND_MALFORMED;
		proto = tag->encap_proto;
		tagged = 1;
	}

	/* A third tag is left unparsed: the frame counts as tagged "other". */
	switch (proto) {
	case bpf_htons(ETH_P_1588):
		return cursor_take(c, PTP_HEADER_LEN) ? TSN_KIND_PTP : TSN_KIND_MALFORMED;
	case bpf_htons(ETH_P_IPV6):
		return cursor_take(c, sizeof(struct ipv6hdr)) ? TSN_KIND_IPV6 : TSN_KIND_MALFORMED;
	case bpf_htons(ETH_P_IP):
		return cursor_take(c, sizeof(struct iphdr)) ? TSN_KIND_IPV4 : TSN_KIND_MALFORMED;
	case bpf_htons(ETH_P_ARP):
		return cursor_take(c, ARP_HEADER_LEN) ? TSN_KIND_ARP : TSN_KIND_MALFORMED;
	default:
		return tagged ? TSN_KIND_VLAN : TSN_KIND_OTHER;
	}
}

/* The counters of this port on this CPU, created zeroed on first sight. */
static __always_inline struct port_counters *port_slot(__u32 ifindex)
{
	struct port_counters *pc = bpf_map_lookup_elem(&port_stats, &ifindex);

	if (pc)
		return pc;
	struct port_counters zero = {};
	/* Another CPU may win the insert (-EEXIST); its entry serves us too. */
	bpf_map_update_elem(&port_stats, &ifindex, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&port_stats, &ifindex);	/* NULL: map full */
}

SEC("xdp")
int tsn_port_counters(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct hdr_cursor c = { .pos = data, .end = data_end };
	enum tsn_frame_kind kind = classify(&c);
	struct port_counters *pc = port_slot(ctx->ingress_ifindex);

	if (pc && kind < TSN_KIND_COUNT) {
		/* Per-CPU values: no other CPU writes this slot, plain adds suffice. */
		pc->kind[kind].packets++;
		pc->kind[kind].bytes += data_end - data;
	}
	return XDP_PASS;
}

/* No GPL-only helper is used today, but the kernel counts "Dual BSD/GPL" as GPL
 * compatible, so helpers the fast path will need (bpf_fib_lookup is GPL-only)
 * stay available while the source remains usable under BSD terms. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
