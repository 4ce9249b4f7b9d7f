#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench_host.sh — the NETCONF benchmark's change on the host, for profiling
# tsn-netconfd without the kernel lab's emulation: 4 ports x 256 gate entries, the
# same change (variant 0 <-> 1 of the intervals) made alternately by <edit-config> +
# <commit> in one ncclient session and by `tsnctl config reload`, as the lab's
# guest/bench.sh does (tests/netconf/nc.py bench).  The host has no taprio, so the
# schedules are held (`require-sync: true` while PTP is off): both paths run tsnd's
# whole reload (parse, checks, transaction) but not the kernel's part.  A figure,
# not a test: it prints `DATA key value` lines and PASS once every figure exists.
#
#   sudo TSN_BUILD=build bash tests/netconf/bench_host.sh [ROUNDS]
#   NC_PERF=1: also record tsn-netconfd with perf (perf.data in the temp directory,
#              its report's top lines printed; NC_PERF_OUT=FILE keeps perf.data)
#   NC_LOG_OUT=FILE: keep tsn-netconfd's log
#   NC_VERBOSE=1: run it with -v (its phase times per RPC in the log)
#   NC_NETCONFD=PATH: that tsn-netconfd (e.g. an older build, for before/after)
#   NC_BENCH_APPLY=1: also time `tsnctl config apply FILE` (tsnd's config.apply alone)
# Then the same rounds through build/tests/nc_bench (libnetconf2 in C, little client
# time): the `lean_*` figures.
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
# shellcheck source=bench_rounds.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_rounds.sh"

NETCONFD=${NC_NETCONFD:-$IT_BUILD/tsn-netconfd}	# another build to compare
NC_PY=$IT_REPO/tests/netconf/nc.py
PY=/usr/bin/python3
ROUNDS=${1:-11}
ENTRIES=256
PORTS=(sw0p1 sw0p2 sw0p3 sw0p4)

# sched_yaml VARIANT, sched_xml VARIANT: the schedule of every port (intervals of
# 100-490 us, as the lab's bench), as tsnd.yaml keys and as the edit's entries.
sched_yaml() {
	local i
	printf '    schedule:\n      num-tc: 4\n      map: [0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n'
	printf '      queues: ["1@0", "1@1", "1@2", "1@3"]\n      base-time: 1000000000\n      require-sync: true\n      entries:\n'
	for ((i = 0; i < ENTRIES; i++)); do
		printf '        - { gates: [%d], interval: %dus }\n' $((i % 4)) $((100 + (i * 13 + $1 * 5) % 40 * 10))
	done
}

sched_xml() {
	local i p e=""
	for ((i = 0; i < ENTRIES; i++)); do
		e+="<gate-control-entry><index>$i</index><gate-states-value>$((1 << (i % 4)))</gate-states-value><time-interval-value>$(((100 + (i * 13 + $1 * 5) % 40 * 10) * 1000))</time-interval-value></gate-control-entry>"
	done
	printf '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><tsnd xmlns="urn:tsnd:yang:tsnd">'
	for p in "${PORTS[@]}"; do
		printf '<ports><name>%s</name><gate-parameter-table><admin-control-list xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="replace">%s</admin-control-list></gate-parameter-table></ports>' "$p" "$e"
	done
	printf '</tsnd></config>'
}

# write_conf FILE VARIANT: the test switch's configuration with 4 scheduled ports.
write_conf() {
	local p s
	it_config "$1" level=notice
	s=$(sched_yaml "$2")
	# the two ports of it_config, replaced by four with schedules
	awk '/^ports:/ { skip = 1; next } skip && /^[a-z]/ { skip = 0 } !skip' "$1" >"$1.tmp"
	{
		cat "$1.tmp"
		echo "ports:"
		for p in "${PORTS[@]}"; do
			printf '  - name: %s\n    xdp: generic\n%s\n' "$p" "$s"
		done
	} >"$1"
	rm -f "$1.tmp"
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

test_bench() {
	local p keys=$IT_DIR/keys out nm tm em cm
	for p in sw0p3 sw0p4; do
		lab_veth "$IT_NS" "$p" "$IT_PEER" "${p#sw0}" 4
		lab_on_cleanup ip -n "$(lab_ns "$IT_NS")" link del "$p"
	done
	write_conf "$IT_DIR/conf0.yaml" 0
	write_conf "$IT_DIR/conf1.yaml" 1
	cp "$IT_DIR/conf0.yaml" "$IT_DIR/tsnd.yaml"
	sched_xml 0 >"$IT_DIR/edit0.xml"
	sched_xml 1 >"$IT_DIR/edit1.xml"
	it_start_tsnd "$IT_DIR/tsnd.yaml"
	mkdir -p "$keys"
	ssh-keygen -q -t ed25519 -N '' -f "$keys/host" <<<y >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$keys/admin" <<<y >/dev/null
	printf 'listen: 127.0.0.1\nport: 830\nhost-key: %s\ntsnd-socket: %s\nyang-dir: %s\nusers:\n  - name: admin\n    role: admin\n    keys: [%s]\n' \
		"$keys/host" "$IT_SOCK" "$IT_REPO/netconf/yang" "$keys/admin.pub" >"$IT_DIR/netconfd.yaml"
	local log=$IT_DIR/netconfd.log
	if [[ -n ${NC_PERF:-} ]]; then
		lab_spawn NC_PID "$IT_NS" perf record -g -o "$IT_DIR/perf.data" -- "$NETCONFD" -c "$IT_DIR/netconfd.yaml" >"$log" 2>&1
	else
		lab_spawn NC_PID "$IT_NS" "$NETCONFD" -c "$IT_DIR/netconfd.yaml" ${NC_VERBOSE:+-v} >"$log" 2>&1
	fi
	lab_wait_until 20 lab_exec "$IT_NS" "$PY" "$NC_PY" --key "$keys/admin" caps ||
		it_fail "tsn-netconfd did not answer: $(it_tail "$log")"
	out=$(lab_exec "$IT_NS" "$PY" "$NC_PY" --key "$keys/admin" bench "$ROUNDS" "$IT_DIR/tsnd.yaml" \
		"$IT_DIR/conf0.yaml" "$IT_DIR/conf1.yaml" "$IT_DIR/edit0.xml" "$IT_DIR/edit1.xml" "$TSNCTL" "$IT_SOCK") ||
		it_fail "nc.py bench: ${out:0:300}"
	jq -e .ok <<<"$out" >/dev/null || it_fail "nc.py bench: ${out:0:500}"
	# the last change is tsnd's running configuration
	expect_exit 0 tsnctl_sw -j config show
	local want
	want=$(((100 + (255 * 13 + $(jq -r .final <<<"$out") * 5) % 40 * 10)))us
	expect_json "$OUT" "[.ports[].schedule.entries[255].interval] | unique == [\"$want\"]" "tsnd runs the last variant"
	nm=$(median $(jq -r '.netconf_us[]' <<<"$out"))
	tm=$(median $(jq -r '.tsnctl_us[]' <<<"$out"))
	em=$(median $(jq -r '.edit_us[]' <<<"$out"))
	cm=$(median $(jq -r '.commit_us[]' <<<"$out"))
	local -a ED CO SUMS ne
	nc_server_sums "$log" "$ROUNDS"
	echo "DATA netconf_edit_commit_4x${ENTRIES}_us $nm (edit-config $em + commit $cm; runs: $(jq -r '.netconf_us | join(" ")' <<<"$out"))"
	echo "DATA tsnctl_reload_4x${ENTRIES}_us $tm (runs: $(jq -r '.tsnctl_us | join(" ")' <<<"$out"))"
	if [[ -n ${NC_BENCH_APPLY:-} ]]; then
		echo "DATA tsnctl_apply_4x${ENTRIES}_us $(median $(jq -r '.apply_us[]' <<<"$out")) (runs: $(jq -r '.apply_us | join(" ")' <<<"$out"))"
	fi
	echo "DATA ratio_netconf_over_tsnctl $(awk -v a="$nm" -v b="$tm" 'BEGIN { printf "%.2f", a / b }')"
	if ((${#SUMS[@]})); then
		local sm
		sm=$(median "${SUMS[@]}")
		echo "DATA netconf_server_4x${ENTRIES}_us $sm (edit ms: ${ED[*]}; commit ms: ${CO[*]})"
		echo "DATA ratio_netconf_server_over_tsnctl $(awk -v a="$sm" -v b="$tm" 'BEGIN { printf "%.2f", a / b }')"
		mapfile -t ne <<<"$(jq -r '.netconf_us[]' <<<"$out")"
		local -a OWN OWN_E OTH OTH_E
		nc_rounds_split SUMS ne
		if ((${#OWN[@]} && ${#OTH[@]})); then
			local so sr
			so=$(median "${OWN[@]}")
			sr=$(median "${OTH[@]}")
			echo "DATA netconf_server_after_own_commit_us $so (ratio $(awk -v a="$so" -v b="$tm" 'BEGIN { printf "%.2f", a / b }'); end to end $(median "${OWN_E[@]}"), ratio $(awk -v a="$(median "${OWN_E[@]}")" -v b="$tm" 'BEGIN { printf "%.2f", a / b }'))"
			echo "DATA netconf_server_after_reload_us $sr (ratio $(awk -v a="$sr" -v b="$tm" 'BEGIN { printf "%.2f", a / b }'); end to end $(median "${OTH_E[@]}"), ratio $(awk -v a="$(median "${OTH_E[@]}")" -v b="$tm" 'BEGIN { printf "%.2f", a / b }'))"
		fi
	fi
	# the same bench through the lean client (libnetconf2 in C): an end-to-end figure
	# with little client time; tsnctl's reload timed again in its own rounds
	local lean=$IT_BUILD/tests/nc_bench
	if [[ -x $lean ]]; then
		# a schema directory of its own: libnetconf2's client stores there the modules
		# it fetches with <get-schema>
		mkdir -p "$IT_DIR/ncyang"
		cp "$IT_REPO"/netconf/yang/tsnd@*.yang "$IT_DIR/ncyang/"
		out=$(lab_exec "$IT_NS" "$lean" -k "$keys/admin" -y "$IT_DIR/ncyang" "$ROUNDS" "$IT_DIR/tsnd.yaml" \
			"$IT_DIR/conf0.yaml" "$IT_DIR/conf1.yaml" "$IT_DIR/edit0.xml" "$IT_DIR/edit1.xml" "$TSNCTL" "$IT_SOCK") ||
			it_fail "nc_bench: ${out:0:300}"
		jq -e .ok <<<"$out" >/dev/null || it_fail "nc_bench: ${out:0:500}"
		local ln lt
		ln=$(median $(jq -r '.netconf_us[]' <<<"$out"))
		lt=$(median $(jq -r '.tsnctl_us[]' <<<"$out"))
		echo "DATA lean_netconf_edit_commit_4x${ENTRIES}_us $ln (edit-config $(median $(jq -r '.edit_us[]' <<<"$out")) + commit $(median $(jq -r '.commit_us[]' <<<"$out")); runs: $(jq -r '.netconf_us | join(" ")' <<<"$out"))"
		echo "DATA lean_tsnctl_reload_4x${ENTRIES}_us $lt (runs: $(jq -r '.tsnctl_us | join(" ")' <<<"$out"))"
		echo "DATA lean_ratio_netconf_over_tsnctl $(awk -v a="$ln" -v b="$lt" 'BEGIN { printf "%.2f", a / b }')"
		nc_server_sums "$log" "$ROUNDS"
		if ((${#SUMS[@]})); then
			echo "DATA lean_ratio_netconf_server_over_tsnctl $(awk -v a="$(median "${SUMS[@]}")" -v b="$lt" 'BEGIN { printf "%.2f", a / b }') (server $(median "${SUMS[@]}") us)"
		fi
		expect_exit 0 tsnctl_sw -j config show
		want=$(((100 + (255 * 13 + $(jq -r .final <<<"$out") * 5) % 40 * 10)))us
		expect_json "$OUT" "[.ports[].schedule.entries[255].interval] | unique == [\"$want\"]" "tsnd runs the lean client's last variant"
	fi
	# what tsnd's answers cost by themselves (one process, no start-up): what a
	# freshness check of tsn-netconfd's cached running tree can ask for
	local c rtts
	for c in hello status config.show; do
		rtts=()
		for r in 1 2 3 4 5; do
			rtts+=("$(lab_exec "$IT_NS" "$IT_BUILD/tests/tools/ctl_rtt" "$IT_SOCK" "$c" | awk '{ print $2 }')")
		done
		echo "DATA tsnd_rtt_${c}_us $(median "${rtts[@]}") (runs: ${rtts[*]})"
	done
	[[ -z ${NC_LOG_OUT:-} ]] || cp "$log" "$NC_LOG_OUT"
	echo "DATA netconfd_vmhwm_kib $(awk '$1 == "VmHWM:" { print $2 }' "/proc/$(pgrep -P "$NC_PID" -x tsn-netconfd || echo "$NC_PID")/status" 2>/dev/null)"
	if [[ -n ${NC_PERF:-} ]]; then
		kill -INT "$NC_PID"
		lab_wait_until 20 bash -c "! kill -0 $NC_PID 2>/dev/null" || true
		cp "$IT_DIR/perf.data" "${NC_PERF_OUT:-/dev/null}" 2>/dev/null || true
		perf report -i "$IT_DIR/perf.data" --no-children --stdio -g none --sort dso,sym 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 40
	fi
}

it_main bench
