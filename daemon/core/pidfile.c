/* SPDX-License-Identifier: GPL-2.0-only */
/* pidfile.c — create, lock and remove tsnd's pid file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"

struct pidfile {
	int fd;
	char *path;
};

int make_parent_dirs(const char *path, mode_t mode)
{
	char *copy = strdup(path);
	if (!copy)
		return -1;
	/* Walk "/a/b/c/file": create /a, /a/b, /a/b/c in turn. */
	for (char *p = strchr(copy + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			int saved = errno;
			free(copy);
			errno = saved;
			return -1;
		}
		*p = '/';
	}
	free(copy);
	return 0;
}

pid_t pidfile_read(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *end;
	long pid = strtol(buf, &end, 10);
	if (end == buf || pid <= 0 || pid > 0x7fffffffL)
		return 0;
	return (pid_t)pid;
}

struct pidfile *pidfile_acquire(const char *path, char *err, size_t errlen)
{
	struct pidfile *pf = calloc(1, sizeof(*pf));
	if (!pf || !(pf->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		free(pf);
		return NULL;
	}
	if (make_parent_dirs(path, 0755) < 0) {
		snprintf(err, errlen, "cannot create the directory of pid file %s: %s", path,
			 strerror(errno));
		goto fail;
	}
	pf->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (pf->fd < 0) {
		snprintf(err, errlen, "cannot open pid file %s: %s", path, strerror(errno));
		goto fail;
	}
	if (flock(pf->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			pid_t other = pidfile_read(path);
			if (other)
				snprintf(err, errlen, "pid file %s is locked: tsnd is already running (pid %d)",
					 path, (int)other);
			else
				snprintf(err, errlen, "pid file %s is locked by another process", path);
		} else {
			snprintf(err, errlen, "cannot lock pid file %s: %s", path, strerror(errno));
		}
		close(pf->fd);
		goto fail;
	}
	char line[32];
	int n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	if (ftruncate(pf->fd, 0) < 0 || pwrite(pf->fd, line, (size_t)n, 0) != n) {
		snprintf(err, errlen, "cannot write pid file %s: %s", path, strerror(errno));
		unlink(path);
		close(pf->fd);
		goto fail;
	}
	return pf;
fail:
	free(pf->path);
	free(pf);
	return NULL;
}

void pidfile_release(struct pidfile *pf)
{
	if (!pf)
		return;
	/* Unlink while still holding the lock, so a new tsnd cannot lock the old inode. */
	unlink(pf->path);
	close(pf->fd);
	free(pf->path);
	free(pf);
}
