#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_cnc_frer.sh — a redundant stream planned by tsncnc, run by real tsnd
# instances from the fragments tsncnc wrote (issue 15, FRER; docs/cnc.md):
#
#            ┌ p1 ── sw2 ── p1 ┐
#   tlk ── sw1                 sw3 ── lst         a ring of four tsnd switches:
#            └ p2 ── sw4 ── p2 ┘                   sw1 generates, sw3 recovers
#
#   cut_path  the probe's stream (64 B every 2 ms, untagged, redundant) at
#             500 frames/s for FRER_SECONDS (5; 2 under CI=true); the link
#             sw2 -> sw3 goes down halfway: every frame reaches the listener once
#             and in order, and the 802.1CB counters of sw1 and sw3 equal what was
#             sent and what the cut path carried.
#
# Each switch runs its fragment as tsncnc wrote it (ports with XDP, stream
# identification, filters, meters, FRER, bridge) but for what needs what this
# host or this talker lacks: the ports' gate schedules (no taprio here, as
# `tsncnc deploy --no-gates`), the stream gates (they open on the plan's time
# grid; the probe sends on its own clock) and the meters' burst size (widened:
# the probe keeps the reserved rate on average, not frame by frame when the
# machine is loaded).  daemon, control and dataplane sections are the test's.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TSNCNC=$IT_BUILD/tsncnc
PROBE=$IT_BUILD/tests/tools/frer_probe
RATE=500
SECONDS_RUN=$(frer_seconds 5 2)
DST=01:1b:19:00:00:10

# The network: ring4 (configs/networks/ring4.yaml) with one stream the probe sends.
cnc_frer_network() {
	local sw
	{
		echo "planner: { precision: 1us, best-effort-share: 20 }"
		echo "switches:"
		for sw in sw1 sw3; do
			echo "  - { name: $sw, netconf: { address: 192.0.2.1, user: u, key: /k }, ports: [ { name: p1, link-speed: 1000 }, { name: p2, link-speed: 1000 }, { name: p3, link-speed: 1000 } ] }"
		done
		for sw in sw2 sw4; do
			echo "  - { name: $sw, netconf: { address: 192.0.2.1, user: u, key: /k }, ports: [ { name: p1, link-speed: 1000 }, { name: p2, link-speed: 1000 } ] }"
		done
		cat <<EOF
stations: [ { name: tlk, link-speed: 1000 }, { name: lst, link-speed: 1000 } ]
links:
  - { a: tlk, b: "sw1:p3" }
  - { a: "sw1:p1", b: "sw2:p1", propagation: 200ns }
  - { a: "sw2:p2", b: "sw3:p1", propagation: 200ns }
  - { a: "sw3:p2", b: "sw4:p2", propagation: 200ns }
  - { a: "sw4:p1", b: "sw1:p2", propagation: 200ns }
  - { a: "sw3:p3", b: lst }
streams:
  - { name: ctl, talker: tlk, listeners: [lst], period: 2ms, frame-size: 64B, max-latency: 100us,
      priority: 5, dst-mac: "$DST", redundant: true }
EOF
	} >"$1"
}

# cnc_frer_config FRAGMENT NAME OUT: the test's daemon sections + the fragment
# without gate schedules and stream gates, meters with a wide burst.
cnc_frer_config() {
	mkdir -p "$IT_DIR/$2"
	{
		cat <<EOF
daemon:
  log-level: info
  log-target: stderr
  pid-file: $IT_DIR/$2/tsnd.pid
  state-dir: $IT_DIR/$2
control:
  socket: $IT_DIR/$2/tsnd.sock
  timeout: 2s
dataplane:
  pin-dir: /sys/fs/bpf/${LAB_PREFIX}$2
  keep-on-exit: false
EOF
		awk '
			/^    schedule:$/ { sched = 1; next }
			sched && /^      / { next }
			{ sched = 0 }
			/^stream-gates:/ { print "stream-gates: []"; gates = 1; next }
			gates && /^  / { next }
			{ gates = 0 }
			{ gsub(/, gate: [A-Za-z0-9_-]+/, ""); sub(/cbs: [0-9]+B/, "cbs: 65536B"); print }
		' "$1"
	} >"$3"
}

cnc_frer_topology() {
	local ns
	for ns in tlk sw1 sw2 sw3 sw4 lst; do
		lab_ns_add "$ns"
		# No IPv6 chatter: the only frames on the paths are the probe's.
		lab_sysctl "$ns" net.ipv6.conf.all.disable_ipv6=1
		lab_sysctl "$ns" net.ipv6.conf.default.disable_ipv6=1
	done
	lab_veth tlk eth0 sw1 p3
	lab_veth sw1 p1 sw2 p1
	lab_veth sw2 p2 sw3 p1
	lab_veth sw3 p2 sw4 p2
	lab_veth sw4 p1 sw1 p2
	lab_veth sw3 p3 lst eth0
}

# start_switches NAME...: a tsnd per switch, all at once (each loads its BPF
# objects for seconds), then wait for every one.
start_switches() {
	# lab_spawn sets pid by name (and stops the process when the test ends)
	# shellcheck disable=SC2034
	local name pid
	for name in "$@"; do
		lab_spawn pid "$name" "$TSND" -f --stderr -c "$IT_DIR/$name.yaml" >>"$IT_DIR/$name.log" 2>&1
	done
	for name in "$@"; do
		lab_wait_until 30 lab_exec "$name" "$TSNCTL" -s "$IT_DIR/$name/tsnd.sock" status ||
			it_fail "tsnd in $name did not start: $(it_tail "$IT_DIR/$name.log")"
	done
}

ctl() {
	local name=$1
	shift
	lab_exec "$name" "$TSNCTL" -s "$IT_DIR/$name/tsnd.sock" "$@"
}

test_cut_path() {
	it_need_xdp_meta cut_path || return 0
	local n=$((RATE * SECONDS_RUN)) sw j1 j3 a b
	cnc_frer_network "$IT_DIR/net.yaml"
	expect_exit 0 "$TSNCNC" plan "$IT_DIR/net.yaml" --out "$IT_DIR/plan"
	cnc_frer_topology
	for sw in sw1 sw2 sw3 sw4; do
		cnc_frer_config "$IT_DIR/plan/$sw.yaml" "$sw" "$IT_DIR/$sw.yaml"
	done
	# the generator and the recovery switch bridge nothing: FRER forwards there
	expect_no_match "$(cat "$IT_DIR/sw1.yaml" "$IT_DIR/sw3.yaml")" "^bridge:" "no bridge at sw1, sw3"
	start_switches sw1 sw2 sw3 sw4
	# The roles tsncnc planned, as tsnd runs them.
	j1=$(ctl sw1 -j frer show)
	expect_json "$j1" '.enabled == true and (.streams | length) == 1 and .streams[0].role == "generator"' \
		"sw1 generates ($j1)"
	expect_json "$j1" '[.streams[0].paths[].port] == ["p1", "p2"]' "sw1 splits onto both paths"
	j3=$(ctl sw3 -j frer show)
	expect_json "$j3" '.streams[0].role == "recovery" and ([.streams[0].paths[].port] == ["p3"])' \
		"sw3 recovers ($j3)"
	for sw in sw2 sw4; do
		expect_json "$(ctl "$sw" -j frer show)" '(.streams | length) == 0' "$sw relays"
	done

	frer_run_cut "$n" eth0 eth0 sw2 p2	# path a: sw2 -> sw3 cut

	j1=$(ctl sw1 -j frer show)
	j3=$(ctl sw3 -j frer show)
	expect_json "$j1" ".streams[0].counters.generated_packets == $n" "sw1 generated ($j1)"
	expect_json "$j1" ".streams[0].counters.replicated_packets == 2 * $n" "sw1 replicated"
	# sw3: p1 is path a (cut), p2 path b (intact)
	a=$(jget "$j3" '[.ports[] | select(.port == "p1") | .counters | .passed_packets + .discarded_packets] | add')
	b=$(jget "$j3" '[.ports[] | select(.port == "p2") | .counters | .passed_packets + .discarded_packets] | add')
	expect_eq "$b" "$n" "frames on the intact path b"
	((a > 0 && a < n)) || it_fail "path a carried $a of $n frames: the cut did not fall mid-run"
	expect_json "$j3" ".streams[0].counters.passed_packets == $n" "sw3 passed ($j3)"
	expect_json "$j3" ".streams[0].counters.discarded_packets == $a" "sw3 discarded = path a's frames"
	expect_json "$j3" '.streams[0].counters | .rogue_packets == 0 and .lost_packets == 0 and
		.tagless_packets == 0 and .encode_errored_packets == 0' "sw3: nothing rogue, lost or tagless"
	expect_json "$j3" ".streams[0].counters.replicated_packets == $n" "sw3 sent each to the listener"
}

[[ -x $PROBE && -x $TSNCNC ]] || { echo "FAIL setup: missing $PROBE or $TSNCNC (make all tests-build)"; exit 1; }
it_main cut_path
