/* SPDX-License-Identifier: GPL-2.0-only */
/* percpu.c — a per-CPU map entry summed over the CPUs (percpu.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "percpu.h"

int percpu_sum_u64(int fd, const void *key, void *sum, size_t size)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t words = size / sizeof(uint64_t);
	uint64_t *percpu, *out = sum;
	int rc;

	memset(sum, 0, size);
	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	if (size % sizeof(uint64_t))
		return -EINVAL;
	percpu = calloc((size_t)ncpus, size);
	if (!percpu)
		return -ENOMEM;
	rc = bpf_map_lookup_elem(fd, key, percpu);
	if (rc == 0)
		for (size_t cpu = 0; cpu < (size_t)ncpus; cpu++)
			for (size_t w = 0; w < words; w++)
				out[w] += percpu[cpu * words + w];
	free(percpu);
	return rc;
}
