#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# exec_host.sh [ROUNDS] — what starting the two programs costs on this host's own
# CPU (no emulation): `tc qdisc show dev lo` against `tsnctl --version`, each the
# median of ROUNDS runs (default 201), interleaved so that both see the same load.
# Part of `make bench-schedules`: the kernel lab measures the schedules under
# emulation, where a program start costs 10-100 times more; this says what the
# start-up costs alone allow on real hardware (docs/benchmarks.md, "Gate schedules").
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-201}
tsnctl=${TSNCTL:-build/tsnctl}
[[ -x $tsnctl ]] || { echo "exec_host: $tsnctl is missing (make all)" >&2; exit 1; }
command -v tc >/dev/null || { echo "exec_host: tc is missing (iproute2)" >&2; exit 1; }

us() {	# us CMD...: wall time of CMD in microseconds, output discarded
	local t0=$EPOCHREALTIME t1
	"$@" >/dev/null 2>&1
	t1=$EPOCHREALTIME
	echo $(((${t1%.*} - ${t0%.*}) * 1000000 + 10#${t1#*.} - 10#${t0#*.}))
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

tc_runs=() ctl_runs=()
for ((r = 0; r < rounds; r++)); do
	tc_runs+=("$(us tc qdisc show dev lo)")
	ctl_runs+=("$(us "$tsnctl" --version)")
done
tc_us=$(median "${tc_runs[@]}")
ctl_us=$(median "${ctl_runs[@]}")
echo "host: tc qdisc show dev lo ${tc_us} us, tsnctl --version ${ctl_us} us (medians of $rounds)"
echo "host: 4 tc starts over 1 tsnctl start = $(awk -v a="$tc_us" -v b="$ctl_us" 'BEGIN { printf "%.2f", 4 * a / b }')" \
	"(the most a reload through tsnctl can gain on 4 ports, with tsnd's own work counted as nothing)"
