/* SPDX-License-Identifier: GPL-2.0-only */
/* test_bpf_verifier.c — the verifier's work on the data plane's programs stays within
 * its budget.  Every tsnd start verifies tsn_xdp; when its stages were one inline
 * program the verifier processed 814 468 instructions (of its limit of 1 000 000),
 * most of tsnd's start-up, and the next feature would not have loaded.  The stages
 * are global functions now (docs/dataplane.md "Verifier cost"): a change that makes
 * their paths multiply again fails here, not at the next start in production.
 * The count is the kernel's own (bpf_prog_info.verified_insns, 5.16+), a number of
 * instructions, not a time.  Needs root (loading BPF). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/dataplane.skel.h"
#include "dp_skel.h"
#include "test_util.h"

/* A tenth of the verifier's limit: today's 18 761 with room for features, far below
 * the 814 468 of the inline program. */
#define TSN_XDP_BUDGET 100000
#define TSN_TC_BUDGET 10000

static struct dataplane_bpf *skel;

static int suite_init(void)
{
	skel = tu_dp_skel_load();
	if (!skel) {
		fprintf(stderr, "cannot load the data plane (root needed): %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int suite_cleanup(void)
{
	dataplane_bpf__destroy(skel);
	return 0;
}

/* The instructions the verifier processed for prog, 0 if the kernel does not say. */
static __u32 verified_insns(const struct bpf_program *prog)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0)
		return 0;
	return info.verified_insns;
}

static void test_xdp_within_budget(void)
{
	__u32 n = verified_insns(skel->progs.tsn_xdp);

	fprintf(stderr, "\n  tsn_xdp: %u instructions verified", n);
	CU_ASSERT(n > 0);	/* counted at all: the bound below is not vacuous */
	CU_ASSERT(n <= TSN_XDP_BUDGET);
}

static void test_tc_within_budget(void)
{
	__u32 n = verified_insns(skel->progs.tsn_tc_ingress);

	fprintf(stderr, "\n  tsn_tc_ingress: %u instructions verified", n);
	CU_ASSERT(n > 0);
	CU_ASSERT(n <= TSN_TC_BUDGET);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("bpf_verifier", suite_init, suite_cleanup);
	if (!suite ||
	    !CU_add_test(suite, "tsn_xdp within the verifier budget", test_xdp_within_budget) ||
	    !CU_add_test(suite, "tsn_tc_ingress within the verifier budget", test_tc_within_budget)) {
		CU_cleanup_registry();
		return 2;
	}
	return tu_run_tests();
}
