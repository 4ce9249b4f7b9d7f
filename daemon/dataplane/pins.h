/* SPDX-License-Identifier: GPL-2.0-only */
/* pins.h — a BPF object's maps and programs pinned in a bpffs directory
 * (dataplane.pin-dir): created root-only, reused across restarts when the layout
 * matches, moved, removed. */
#ifndef TSND_PINS_H
#define TSND_PINS_H

#include <stddef.h>

struct bpf_object;

/* Before the object is loaded: make sure dir exists (mode 0700) on a bpf
 * filesystem (mounting one on /sys/fs/bpf when dir lies below it and nothing is
 * mounted there), drop pins whose layout differs from the object's maps, and point
 * every map at dir/NAME, so that loading reuses what is pinned and pins the rest. */
int pins_prepare(struct bpf_object *obj, const char *dir, char *err, size_t errlen);
/* Pin one program as dir/name (replacing an older pin). 0 or -errno. */
int pins_program(int fd, const char *dir, const char *name);
/* Pin every map of obj and the n programs (fds, names) in dir; on failure nothing
 * stays pinned there. */
int pins_create(struct bpf_object *obj, const int *fds, const char *const *names, size_t n,
		const char *dir, char *err, size_t errlen);
/* Remove the pins pins_create made, and dir if it is then empty. */
void pins_remove(struct bpf_object *obj, const char *const *names, size_t n, const char *dir);

#endif
