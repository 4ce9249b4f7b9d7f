/* SPDX-License-Identifier: GPL-2.0-only */
/* dp_skel.h — bpf/dataplane.bpf.c's (and frer.bpf.c's) skeleton loaded on its
 * own, set up as tsnd sets it up (daemon/dataplane/dataplane.c): whether the
 * kernel allows XDP metadata, and a counter region per possible CPU, so that a
 * frame counts whichever CPU runs it. */
#ifndef TSND_TEST_DP_SKEL_H
#define TSND_TEST_DP_SKEL_H

#include <stdbool.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#include "bpf/dataplane.skel.h"
#include "bpf/frer.skel.h"
#include "dataplane.h"
#include "tsn/bpf_shared.h"

/* NULL on failure (errno from libbpf). */
static inline struct dataplane_bpf *tu_dp_skel_load(void)
{
	int ncpus = libbpf_num_possible_cpus();
	struct dataplane_bpf *skel = ncpus > 0 ? dataplane_bpf__open() : NULL;

	if (!skel)
		return NULL;
	skel->rodata->tsn_ncpus = (__u32)ncpus;
	skel->rodata->tsn_xdp_meta = dataplane_xdp_meta_ok();
	if (bpf_map__set_max_entries(skel->maps.port_stats, (__u32)ncpus * TSN_PORT_SLOTS) ||
	    bpf_map__set_max_entries(skel->maps.tsn_strm_stats, (__u32)ncpus * TSN_MAX_STREAMS) ||
	    dataplane_bpf__load(skel)) {
		dataplane_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

/* bpf/frer.bpf.c's skeleton, loaded as tsnd loads it (daemon/dataplane/frer.c).
 * NULL on failure (errno from libbpf). */
static inline struct frer_bpf *tu_frer_skel_load(void)
{
	struct frer_bpf *skel = frer_bpf__open();

	if (!skel)
		return NULL;
	skel->rodata->frer_xdp_meta = dataplane_xdp_meta_ok();
	if (frer_bpf__load(skel)) {
		frer_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

/* Tests of what tsn_xdp (or frer_xdp) hands to tc in its metadata have nothing
 * to check on a kernel that refuses XDP metadata (dataplane_xdp_meta_ok): such a
 * test says SKIP, which tests/run-all.sh counts apart, and returns.  The kernel
 * lab runs these binaries on Debian's 6.1, which allows it (guest test
 * unit_bpf). */
static inline bool tu_skip_without_xdp_meta(const char *test)
{
	if (dataplane_xdp_meta_ok())
		return false;
	printf("\nSKIP %s: this kernel refuses XDP metadata (bpf_xdp_adjust_meta)\n", test);
	return true;
}

/* Port slot slot's counters summed over the CPUs' regions. */
static inline int tu_dp_skel_port_counters(struct dataplane_bpf *skel, __u32 slot,
					   struct port_counters *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *out = (__u64 *)sum;

	memset(sum, 0, sizeof(*sum));
	for (int cpu = 0; cpu < ncpus; cpu++) {
		__u32 key = (__u32)cpu * TSN_PORT_SLOTS + slot;
		struct port_counters one;
		const __u64 *in = (const __u64 *)&one;
		int err = bpf_map__lookup_elem(skel->maps.port_stats, &key, sizeof(key), &one,
					       sizeof(one), 0);

		if (err)
			return err;
		for (size_t w = 0; w < sizeof(one) / sizeof(__u64); w++)
			out[w] += in[w];
	}
	return 0;
}

#endif
