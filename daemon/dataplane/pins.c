/* SPDX-License-Identifier: GPL-2.0-only */
/* pins.c — pinning the data plane's maps and programs under dataplane.pin-dir.
 *
 * Pins make the tables and counters visible to bpftool and let a tsnd that
 * restarts with the programs still attached (dataplane.keep-on-exit) reuse the
 * maps they use.  The directory is root's alone (0700); the bpf filesystem makes
 * every pin 0600.  See docs/dataplane.md, "Pinning".
 */
#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pins.h"
#include "tsn/config.h"
#include "tsn/log.h"

#define BPFFS_DEFAULT "/sys/fs/bpf"

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[TSN_PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Make sure dir is on a bpf filesystem; mount one on /sys/fs/bpf when the pin
 * directory lies there and nothing is mounted yet (containers, fresh systems). */
static int ensure_bpffs(const char *dir, char *err, size_t errlen)
{
	char probe[TSN_PATH_MAX];
	struct statfs fs;

	snprintf(probe, sizeof(probe), "%s", dir);
	/* The nearest existing ancestor tells which filesystem dir will be on. */
	while (statfs(probe, &fs) < 0) {
		char *slash = strrchr(probe, '/');

		if (errno != ENOENT || !slash || slash == probe) {
			snprintf(probe, sizeof(probe), "/");
			if (statfs(probe, &fs) < 0)
				fs.f_type = 0;
			break;
		}
		*slash = '\0';
	}
	if ((unsigned long)fs.f_type == BPF_FS_MAGIC)
		return 0;
	if (strncmp(dir, BPFFS_DEFAULT "/", sizeof(BPFFS_DEFAULT)) == 0) {
		if (mount("bpf", BPFFS_DEFAULT, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=0700") == 0) {
			log_notice("dataplane: mounted a bpf filesystem on %s", BPFFS_DEFAULT);
			return 0;
		}
		snprintf(err, errlen, "dataplane.pin-dir %s: %s is not a bpf filesystem and "
			 "mounting one failed: %s", dir, BPFFS_DEFAULT, strerror(errno));
		return -errno;
	}
	snprintf(err, errlen, "dataplane.pin-dir %s is not on a bpf filesystem (mount -t bpf "
		 "bpf DIR, or use a directory under %s)", dir, BPFFS_DEFAULT);
	return -EINVAL;
}

static void pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Is the object pinned at path a map with the layout of map? */
static bool pinned_map_matches(const char *path, const struct bpf_map *map)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);
	bool same;

	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	same = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
	       info.type == bpf_map__type(map) && info.key_size == bpf_map__key_size(map) &&
	       info.value_size == bpf_map__value_size(map) &&
	       info.max_entries == bpf_map__max_entries(map) &&
	       info.map_flags == bpf_map__map_flags(map);
	close(fd);
	return same;
}

/* bpffs mounted, the pin directory there and root-only: maps hold the switch's
 * tables. */
static int prepare_dir(const char *dir, char *err, size_t errlen)
{
	int rc = ensure_bpffs(dir, err, errlen);

	if (rc < 0)
		return rc;
	rc = mkdir_p(dir, 0700);
	if (rc < 0) {
		snprintf(err, errlen, "dataplane.pin-dir %s: cannot create it: %s", dir, strerror(-rc));
		return rc;
	}
	chmod(dir, 0700);
	return 0;
}

/* Before load: point every map at its pin.  libbpf then reuses what is pinned
 * there and pins what is new.  A pin whose layout differs (another tsnd version)
 * is removed first: its contents would not fit. */
int pins_prepare(struct bpf_object *obj, const char *dir, char *err, size_t errlen)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int rc = prepare_dir(dir, err, errlen);

	if (rc < 0)
		return rc;
	bpf_object__for_each_map(map, obj) {
		if (strchr(bpf_map__name(map), '.'))
			continue;	/* .rodata: internal, never pinned */
		pin_path(path, sizeof(path), dir, bpf_map__name(map));
		if (access(path, F_OK) == 0 && !pinned_map_matches(path, map)) {
			log_notice("dataplane: %s has another layout; replacing it", path);
			unlink(path);
		}
		rc = bpf_map__set_pin_path(map, path);
		if (rc < 0) {
			snprintf(err, errlen, "dataplane: cannot pin map %s: %s", bpf_map__name(map),
				 strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int pins_program(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX];

	pin_path(path, sizeof(path), dir, name);
	unlink(path);		/* an earlier tsnd's program: ours replaces it */
	return bpf_obj_pin(fd, path) < 0 ? -errno : 0;
}

void pins_remove(struct bpf_object *obj, const char *const *names, size_t n, const char *dir)
{
	struct bpf_map *map;
	char path[PATH_MAX];

	if (!dir[0])
		return;
	bpf_object__for_each_map(map, obj) {
		if (strchr(bpf_map__name(map), '.'))
			continue;
		pin_path(path, sizeof(path), dir, bpf_map__name(map));
		unlink(path);
	}
	for (size_t i = 0; i < n; i++) {
		pin_path(path, sizeof(path), dir, names[i]);
		unlink(path);
	}
	rmdir(dir);		/* only if empty: someone else's files stay */
}

int pins_create(struct bpf_object *obj, const int *fds, const char *const *names, size_t n,
		const char *dir, char *err, size_t errlen)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int rc = prepare_dir(dir, err, errlen);

	if (rc < 0)
		return rc;
	bpf_object__for_each_map(map, obj) {
		if (strchr(bpf_map__name(map), '.'))
			continue;
		pin_path(path, sizeof(path), dir, bpf_map__name(map));
		unlink(path);
		if (bpf_obj_pin(bpf_map__fd(map), path) < 0) {
			rc = -errno;
			snprintf(err, errlen, "dataplane.pin-dir %s: cannot pin map %s: %s", dir,
				 bpf_map__name(map), strerror(-rc));
			pins_remove(obj, names, n, dir);
			return rc;
		}
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = pins_program(fds[i], dir, names[i]);
	if (rc < 0) {
		snprintf(err, errlen, "dataplane.pin-dir %s: cannot pin the programs: %s", dir,
			 strerror(-rc));
		pins_remove(obj, names, n, dir);
	}
	return rc;
}
