#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench_rounds.sh — sourced by tests/netconf/bench_host.sh and the kernel lab's
# guest/bench.sh: the NETCONF benchmark's rounds, split by what each edit followed,
# and the server's own time per round from its log.
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

# nc_server_sums LOG N: tsn-netconfd's own time in its last N rounds (LOG, its -v
# log: "edit-config handled in X ms", the same for commit, tsnd's apply
# included), per round in us into SUMS, the parts in ms into ED and CO (arrays
# the caller declares).
nc_server_sums() {
	local r
	# here-strings, not process substitution: the lab's initramfs has no /dev/fd
	mapfile -t ED <<<"$(sed -n 's/.*: edit-config handled in \([0-9.]*\) ms/\1/p' "$1" | tail -n "$2")"
	mapfile -t CO <<<"$(sed -n 's/.*: commit handled in \([0-9.]*\) ms/\1/p' "$1" | tail -n "$2")"
	[[ -n ${ED[0]} ]] || ED=()
	[[ -n ${CO[0]} ]] || CO=()
	SUMS=()
	for ((r = 0; r < ${#ED[@]} && r < ${#CO[@]}; r++)); do
		SUMS+=("$(awk -v a="${ED[r]}" -v b="${CO[r]}" 'BEGIN { printf "%d", (a + b) * 1000 }')")
	done
}
