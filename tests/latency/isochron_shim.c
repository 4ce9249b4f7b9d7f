/* SPDX-License-Identifier: GPL-2.0-only */
/* isochron_shim.c — an LD_PRELOAD library that lets isochron (Debian's 0.9)
 * run on veth, which has neither hardware timestamping nor a PTP hardware
 * clock (PHC).  Used only by the latency runs (tests/latency/, make lab-latency).
 *
 * isochron insists on both even when told to ignore synchronisation:
 *   - it switches hardware timestamping on with SIOCSHWTSTAMP and gives up when
 *     the driver says "not supported" (veth always does);
 *   - `isochron rcv` opens the interface's PHC (ETHTOOL_GET_TS_INFO's
 *     phc_index, then /dev/ptpN) and gives up when there is none.
 * The shim answers those three things and nothing else:
 *   - SIOCSHWTSTAMP failing with EOPNOTSUPP/EINVAL/ENOTTY reports success with
 *     the configuration unchanged (no hardware stamps will ever come; the
 *     software ones the socket asks for are the kernel's, untouched);
 *   - ETHTOOL_GET_TS_INFO with no PHC reports phc_index SHIM_PHC;
 *   - /dev/ptpSHIM_PHC opens /dev/null, and clock_gettime on that "PHC" reads
 *     CLOCK_REALTIME: in one machine the only clock there is is the system
 *     clock, so this is the truth, not an approximation.  PHC ioctls on it fail
 *     (ENOTTY), so isochron falls back to reading the clock pairwise.
 * Every timestamp isochron records is still a kernel software timestamp or a
 * clock_gettime() of the system clock.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#define SHIM_PHC	7
#define SHIM_PHC_PATH	"/dev/ptp7"
/* The kernel's encoding of a dynamic (file descriptor) clock id. */
#define FD_TO_CLOCKID(fd)	((clockid_t)((~(unsigned int)(fd) << 3) | 3))

static int phc_fd = -1;

static void *next_sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real_ioctl)(int, unsigned long, ...);
	struct ifreq *ifr;
	va_list ap;
	void *arg;
	int rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real_ioctl)
		real_ioctl = next_sym("ioctl");
	rc = real_ioctl(fd, req, arg);
	if (req == SIOCSHWTSTAMP && rc < 0 &&
	    (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOTTY)) {
		errno = 0;
		return 0;
	}
	if (req == SIOCETHTOOL && rc == 0) {
		struct ethtool_ts_info *info;

		ifr = arg;
		info = (struct ethtool_ts_info *)ifr->ifr_data;
		if (info && info->cmd == ETHTOOL_GET_TS_INFO && info->phc_index < 0)
			info->phc_index = SHIM_PHC;
	}
	return rc;
}

static int shim_open(const char *sym, const char *path, int flags, va_list ap)
{
	int (*real_open)(const char *, int, ...) = next_sym(sym);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;

	if (path && !strcmp(path, SHIM_PHC_PATH)) {
		phc_fd = real_open("/dev/null", O_RDWR);
		return phc_fd;
	}
	return real_open(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int rc;

	va_start(ap, flags);
	rc = shim_open("open", path, flags, ap);
	va_end(ap);
	return rc;
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	int rc;

	va_start(ap, flags);
	rc = shim_open("open64", path, flags, ap);
	va_end(ap);
	return rc;
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	static int (*real_gettime)(clockid_t, struct timespec *);

	if (!real_gettime)
		real_gettime = next_sym("clock_gettime");
	if (phc_fd >= 0 && clk == FD_TO_CLOCKID(phc_fd))
		clk = CLOCK_REALTIME;
	return real_gettime(clk, ts);
}
