#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# run.sh (--runs N | --time SECONDS) FUZZER... — run libFuzzer targets from their seeds.
#
# Each target tests/fuzz/fuzz_NAME.c is built into BUILD/fuzz/fuzz_NAME and starts
# from the seeds in tests/fuzz/corpus/NAME/.  New inputs go to a temporary
# directory (the seeds in the repository stay as they are); a crash leaves its
# input in tests/out/fuzz/ and makes this script exit 1.
#   make test   runs each target for a fixed number of runs, at most TSN_FUZZ_MAX_S
#               seconds (default 30) each (tests/run-all.sh)
#   make fuzz   runs each target for FUZZ_TIME seconds (default 600)
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$REPO/tests/out/fuzz
limit=()

case ${1:-} in
--runs) limit=(-runs="${2:?--runs needs a number}" -seed=1 -max_total_time="${TSN_FUZZ_MAX_S:-30}") ;;
--time) limit=(-max_total_time="${2:?--time needs seconds}") ;;
*)
	echo "usage: $0 (--runs N | --time SECONDS) FUZZER..." >&2
	exit 2
	;;
esac
shift 2
(($#)) || { echo "$0: no fuzzer given (make fuzz builds them)" >&2; exit 2; }

mkdir -p "$OUT"
work=$(mktemp -d /tmp/tsn-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

status=0
for bin in "$@"; do
	name=$(basename "$bin")
	seeds=$REPO/tests/fuzz/corpus/${name#fuzz_}
	if [[ ! -x $bin ]]; then
		echo "FAIL $name: $bin is missing (make fuzz builds it)"
		status=1
		continue
	fi
	mkdir -p "$work/$name"
	# -error_exitcode: a finding; anything else non-zero is the runner failing.
	if "$bin" "${limit[@]}" -error_exitcode=77 -artifact_prefix="$OUT/$name-" -print_final_stats=1 \
		"$work/$name" "$seeds" >"$OUT/$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$name.log")
		echo "PASS $name: ${runs:-?} inputs, no crash (log: tests/out/fuzz/$name.log)"
	else
		echo "FAIL $name: see tests/out/fuzz/$name.log; crashing input in tests/out/fuzz/$name-*"
		tail -n 20 "$OUT/$name.log" | sed 's/^/    | /'
		status=1
	fi
done
exit $status
