/* SPDX-License-Identifier: GPL-2.0-only */
/* tcx_show.c — the programs on a device's tcx ingress list, one name a line in
 * the order they run (bpftool 7.1 on Debian 12 does not know tcx).  For the
 * integration tests of tsnd's tc hook (docs/dataplane.md, "tc hook").
 *
 *   tcx_show DEV     exit 0; 2 if the kernel has no tcx (before 6.6); 1 on error
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#define TCX_INGRESS 46		/* BPF_TCX_INGRESS: Debian 12's headers lack it */

int main(int argc, char **argv)
{
	__u32 ids[64], flags = 0, cnt = 64;
	int ifindex, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: tcx_show DEV\n");
		return 1;
	}
	ifindex = (int)if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "tcx_show: %s: no such device\n", argv[1]);
		return 1;
	}
	rc = bpf_prog_query(ifindex, (enum bpf_attach_type)TCX_INGRESS, 0, &flags, ids, &cnt);
	if (rc == -EINVAL)
		return 2;
	if (rc < 0) {
		fprintf(stderr, "tcx_show: %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	for (__u32 i = 0; i < cnt; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		memset(&info, 0, sizeof(info));
		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			printf("%s\n", info.name);
		else
			printf("id:%u\n", ids[i]);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}
