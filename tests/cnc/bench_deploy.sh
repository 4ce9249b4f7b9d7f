#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench_deploy.sh — how long `tsncnc deploy` takes to one switch and to four (a line,
# each switch a namespace with tsnd and tsn-netconfd, as tests/cnc/test_deploy.sh),
# over ROUNDS deploys each (every deploy commits: the base time changes).  Target
# (issue 14): four switches in at most twice the time of one.  Root; prints one
# line per size and the ratio of the medians.
#   TSN_BUILD=build bash tests/cnc/bench_deploy.sh [ROUNDS]
# shellcheck source=test_deploy.sh
. "$(dirname "${BASH_SOURCE[0]}")/test_deploy.sh"

ROUNDS=${1:-5}
RESULTS=""	# set in main

# line_n N: ta -- sw1 -- ... -- swN -- lb, switches with ports sIa and sIb
line_n() {
	local n=$1 i s
	SWITCHES=()
	NC_PORT=()
	PORTS=()
	for ((i = 1; i <= n; i++)); do
		SWITCHES+=("sw$i")
		NC_PORT["sw$i"]=$((8300 + i))
		PORTS["sw$i"]="s${i}a s${i}b"
	done
	lab_ns_add mgmt
	for s in "${SWITCHES[@]}" ta lb; do
		lab_ns_add "$s"
	done
	lab_veth ta eth0 sw1 s1a 2
	for ((i = 1; i < n; i++)); do
		lab_veth "sw$i" "s${i}b" "sw$((i + 1))" "s$((i + 1))a" 2
	done
	lab_veth "sw$n" "s${n}b" lb eth0 2
	line_keys
	for s in "${SWITCHES[@]}"; do
		start_switch "$s"
	done
	{
		echo "planner: { cycle-limit: 10ms }"
		echo "switches:"
		for ((i = 1; i <= n; i++)); do
			echo "  - name: sw$i"
			echo "    netconf: { address: 127.0.0.1, port: ${NC_PORT[sw$i]}, user: cnc, key: $KEYS/cnc }"
			echo "    ports: [ { name: s${i}a, link-speed: 1000 }, { name: s${i}b, link-speed: 1000 } ]"
		done
		echo "stations: [ { name: ta, link-speed: 1000 }, { name: lb, link-speed: 1000 } ]"
		echo "links:"
		echo "  - { a: ta, b: \"sw1:s1a\" }"
		for ((i = 1; i < n; i++)); do
			echo "  - { a: \"sw$i:s${i}b\", b: \"sw$((i + 1)):s$((i + 1))a\", propagation: 500ns }"
		done
		echo "  - { a: \"sw$n:s${n}b\", b: lb }"
		echo "streams:"
		for i in 1 2 3 4; do
			echo "  - { name: f$i, talker: ta, listeners: [lb], period: $((i % 2 + 1))ms, frame-size: 128B,"
			echo "      max-latency: 1ms, priority: 5, vlan: 100, dst-mac: \"01:00:5e:7f:01:0$i\" }"
		done
	} >"$IT_DIR/net$n.yaml"
}

# bench_n N: deploy ROUNDS times, append "N median-ms min-ms max-ms" to RESULTS
bench_n() {
	local n=$1 r t0 t1 ms=()
	line_n "$n"
	for ((r = 0; r < ROUNDS; r++)); do
		t0=$(date +%s%N)
		cnc deploy "$IT_DIR/net$n.yaml" --lead 1s
		t1=$(date +%s%N)
		[[ $RC == 0 ]] || it_fail "deploy to $n: ${ERR:0:400}"
		ms+=($(((t1 - t0) / 1000000)))
	done
	local sorted
	mapfile -t sorted < <(printf '%s\n' "${ms[@]}" | sort -n)
	echo "$n ${sorted[$((ROUNDS / 2))]} ${sorted[0]} ${sorted[$((ROUNDS - 1))]}" >>"$RESULTS"
}

test_one() { bench_n 1; }
test_four() { bench_n 4; }

main() {
	lab_trap
	it_fixture
	RESULTS=$IT_DIR/results
	: >"$RESULTS"
	it_test one
	it_test four
	local n med lo hi one=0 four=0
	echo "tsncnc deploy, $ROUNDS rounds, median (min-max), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg):"
	while read -r n med lo hi; do
		echo "  $n switch(es): ${med} ms (${lo}-${hi} ms)"
		[[ $n == 1 ]] && one=$med
		[[ $n == 4 ]] && four=$med
	done <"$RESULTS"
	if ((one > 0 && four > 0)); then
		echo "  ratio 4/1: $(awk -v a="$four" -v b="$one" 'BEGIN { printf "%.2f", a / b }') (target <= 2)"
	fi
	exit "$IT_FAILED"
}

main
