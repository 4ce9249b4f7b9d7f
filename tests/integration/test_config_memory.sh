#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_config_memory.sh — a configuration file is checked within 64 MB (issue 16),
# locally and in tsnd.  The file is the largest list the schema allows: 65 536
# streams, 6.9 MB, valid.  Before the leaner tree and index, tsnctl's check of it
# peaked at 159 MB resident and failed under a 64 MB address-space limit (out of
# memory); tsnd's check of it, at 170 MB and more.  No timing is asserted.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIMIT_KB=$((64 << 10))

# streams_yaml N: a streams: list of N valid ipv6 streams, one line each field.
streams_yaml() {
	awk -v n="$1" 'BEGIN {
		print "streams:"
		for (i = 0; i < n; i++)
			printf "  - id: %d\n    name: stream-%d\n    identification: ipv6\n" \
			       "    dst: \"2001:db8::%x:%x\"\n    priority: %d\n",
			       i + 1, i, int(i / 65536), i % 65536, i % 8
	}'
}

# The local check of the file, under a 64 MB address-space limit (which counts
# every mapping, touched or not: stricter than resident memory).
test_local_check_within_64mb() {
	local conf=$IT_DIR/streams-local.yaml
	streams_yaml 65536 >"$conf"
	expect_exit 0 prlimit --as=$((LIMIT_KB << 10)) "$TSNCTL" config check "$conf"
	expect_match "$OUT$ERR" 'configuration valid' "the 65 536-stream file is valid within 64 MB"
}

# tsnd checks its own file (config.check parses it as a reload would, without
# applying it): its peak resident size stays within 64 MB.
test_tsnd_check_within_64mb() {
	local conf=$IT_DIR/streams-tsnd.yaml
	it_config "$conf"
	it_start_tsnd "$conf"
	streams_yaml 65536 >>"$conf"
	expect_exit 0 "$TSNCTL" -s "$IT_SOCK" --timeout 60 config check
	expect_match "$OUT$ERR" 'valid' "tsnd finds the 65 536-stream file valid"
	local hwm
	hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$TSND_PID/status")
	[[ -n $hwm ]] || it_fail "no VmHWM for tsnd ($TSND_PID)"
	echo "    tsnd's peak resident size: $hwm kB"
	((hwm <= LIMIT_KB)) || it_fail "tsnd peaked at $hwm kB checking the file; the bound is $LIMIT_KB kB"
	expect_exit 0 tsnctl_sw status
}

it_main local_check_within_64mb tsnd_check_within_64mb
