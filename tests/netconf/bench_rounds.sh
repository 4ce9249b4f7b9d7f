#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench_rounds.sh — sourced by tests/netconf/bench_host.sh and the kernel lab's
# guest/bench.sh: the NETCONF benchmark's rounds split by what each edit followed.
# shellcheck shell=bash

# nc_rounds_split SUMS NE: SUMS and NE name arrays of the server's and the
# end-to-end time of each round.  The paths take turns first (N T, T N, N T, ...):
# an even round's edit (but the first) follows tsn-netconfd's own commit, which
# leaves running's tree to be made from what it sent; an odd round's follows a
# reload, so a fetch.  Sets OWN and OWN_E (after its own commit: server, end to
# end) and OTH and OTH_E (after a reload).
nc_rounds_split() {
	local -n sums_=$1 ne_=$2
	local r
	OWN=() OWN_E=() OTH=() OTH_E=()
	for ((r = 1; r < ${#sums_[@]}; r++)); do
		if ((r % 2 == 0)); then
			OWN+=("${sums_[r]}")
			OWN_E+=("${ne_[r]}")
		else
			OTH+=("${sums_[r]}")
			OTH_E+=("${ne_[r]}")
		fi
	done
}
