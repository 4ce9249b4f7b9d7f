/* bpf_shared.h — map keys and values shared by the BPF programs in bpf/ and the
 * user-space loaders in daemon/.  Fixed-width types only: this header is compiled
 * for the BPF target as well as for the host. */
#ifndef TSN_BPF_SHARED_H
#define TSN_BPF_SHARED_H

#include <linux/types.h>

/* Frame kinds counted by port_counters (index into struct port_counters). */
enum tsn_frame_kind {
	TSN_KIND_PTP = 0,	/* EtherType 0x88F7, untagged or VLAN-tagged */
	TSN_KIND_IPV6,
	TSN_KIND_IPV4,
	TSN_KIND_ARP,
	TSN_KIND_VLAN,		/* tagged frames of any other EtherType */
	TSN_KIND_OTHER,
	TSN_KIND_MALFORMED,	/* shorter than its headers claim */
	TSN_KIND_COUNT
};

struct tsn_kind_counter {
	__u64 packets;
	__u64 bytes;
};

/* Value of the per-CPU hash "port_stats", keyed by __u32 ifindex. */
struct port_counters {
	struct tsn_kind_counter kind[TSN_KIND_COUNT];
};

#endif
