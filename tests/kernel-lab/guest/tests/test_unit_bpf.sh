#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_unit_bpf.sh — the data plane's CUnit binaries on Debian's 6.1 kernel: its
# verifier, and what tsn_xdp hands to tc in XDP metadata, which a host kernel may
# refuse (the binaries then skip those tests there: tests/unit/dp_skel.h).  One
# lab test per binary; it fails on any failed test and on any skipped one, since
# 6.1 allows everything these tests need.
. /tsn/tests/kernel-lab/guest/lib.sh

# The list: guest/unit_bpf.list (also what the Makefile builds and the image holds).
mapfile -t UNIT_BPF <<<"$(sed 's/#.*//; /^[[:space:]]*$/d' "$KL_GUEST/unit_bpf.list")"	# no <(...): the guest has no /dev/fd

unit_bpf() {
	local bin=$TSN/build/tests/$1 log=$KL_WORK/$1.log row ran passed failed
	[[ -x $bin ]] || kl_fail "$bin is not in the image"
	# The binaries call `ip` through system(3): busybox's sh would run its own
	# applet, which lacks what iproute2 has (netns, xdp).  /bin/sh is a link to
	# busybox (a bind mount would cover busybox itself): swapped for bash's.
	if [[ ! -e /bin/sh.busybox ]]; then
		mv /bin/sh /bin/sh.busybox
		lab_on_cleanup mv -f /bin/sh.busybox /bin/sh
		ln -s "$(command -v bash)" /bin/sh
	fi
	(cd "$TSN" && timeout 600 "$bin") >"$log" 2>&1 || true
	row=$(awk '/^Run Summary:/ { s = 1 } s && $1 == "tests" { print $3, $4, $5; exit }' "$log")
	[[ -n $row ]] || kl_fail "$1: no CUnit summary: $(tail -n 5 "$log" | tr '\n' ' ')"
	read -r ran passed failed <<<"$row"
	kl_info "$1: $ran ran, $passed passed, $failed failed"
	((failed == 0)) || kl_fail "$1: $failed failed: $(grep -m3 -A2 'FAILED' "$log" | tr '\n' ' ' | cut -c1-600)"
	! grep -q '^SKIP ' "$log" || kl_fail "$1 skipped on 6.1: $(grep -m1 '^SKIP ' "$log")"
	((ran > 0)) || kl_fail "$1 ran no test"
}

for t in "${UNIT_BPF[@]}"; do
	kl_test "unit-${t#test_}" unit_bpf "$t"
done
