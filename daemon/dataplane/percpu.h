/* SPDX-License-Identifier: GPL-2.0-only */
/* percpu.h — summing a per-CPU BPF map entry over the CPUs.
 *
 * Every counter structure the BPF programs keep per CPU (port, stream and
 * filter counters; include/tsn/bpf_shared.h) is made of __u64 fields only, so
 * one word-by-word sum serves them all. */
#ifndef TSND_PERCPU_H
#define TSND_PERCPU_H

#include <stddef.h>

/* Look key up in the per-CPU map fd and add the values of every possible CPU
 * into sum (size bytes, a multiple of 8, all 64-bit counters).  sum is zeroed
 * first.  0, or -errno (-ENOENT: no entry, sum stays zero). */
int percpu_sum_u64(int fd, const void *key, void *sum, size_t size);

#endif
