#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_cnc.sh — tsncnc, the network planner, end to end: the example networks plan,
# every switch's configuration fragment is accepted by the real `tsnd --check`, the
# JSON output holds the bounds, and bad input fails with the exact message and
# nothing written.  (The planner's own logic is in tests/unit/test_cnc_plan.c.)
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

TSNCNC=${TSN_BUILD:-build}/tsncnc

# cnc_fragments_check DIR: tsnd --check on every DIR/*.yaml but plan.json; each is
# a full tsnd configuration (ports of the switch, streams, 802.1Qci) and must have
# no error (warnings are fine: the ports do not exist on this host).
cnc_fragments_check() {
	local f n=0
	for f in "$1"/*.yaml; do
		expect_exit 0 "$TSND" --check "$f"
		expect_no_match "$ERR" ": error|^[^:]+:[0-9]+:[0-9]+: [^:]+: [^w]" "tsnd --check $f"
		n=$((n + 1))
	done
	((n > 0)) || it_fail "no fragment in $1"
}

test_example_line3() {
	local out=$IT_DIR/line3
	expect_exit 0 "$TSNCNC" plan configs/networks/line3.yaml --out "$out"
	expect_match "$OUT" "feasible" "summary"
	[[ -f $out/sw1.yaml && -f $out/sw2.yaml && -f $out/sw3.yaml && -f $out/plan.json ]] ||
		it_fail "missing files in $out: $(ls "$out")"
	cnc_fragments_check "$out"
	# the switch in the middle gates its port towards sw3 and polices every stream
	expect_match "$(cat "$out/sw2.yaml")" "cycle-time: 2ms" "sw2's cycle"
	expect_match "$(cat "$out/sw2.yaml")" "name: motion-1, cir: " "sw2's meter"
}

test_example_ring4_redundant() {
	local out=$IT_DIR/ring4
	expect_exit 0 "$TSNCNC" plan configs/networks/ring4.yaml -j --out "$out"
	expect_json "$OUT" '.feasible == true' "feasible"
	expect_json "$OUT" '[.streams[] | select(.name == "safety") | .paths | length] == [2]' "two paths"
	expect_json "$OUT" '[.streams[] | .latency_bound_ns <= .max_latency_ns] | all' "bounds within deadlines"
	# FRER: one frame from the talker; the talker's switch generates, the
	# listener's recovers, the others relay (tsnd --check reads all of them)
	expect_json "$OUT" '[.streams[] | select(.name == "safety") | .paths[].offset_ns] | unique | length == 1' \
		"one frame from the talker"
	expect_json "$OUT" '.streams[] | select(.name == "safety") | .frer == {"generator": "sw1", "recovery": "sw3",
		"skew_ns": 0, "history": 2, "reset_timeout_ns": 3000000}' "safety's FRER roles"
	expect_json "$OUT" '[.streams[] | select(.name == "telemetry") | has("frer")] == [false]' "telemetry: no FRER"
	cnc_fragments_check "$out"
	expect_match "$(tr '\n' ' ' <"$out/sw1.yaml")" \
		"frer: +- stream: safety +role: generator +paths: \[ \{ port: p1 \}, \{ port: p2 \} \]" \
		"sw1 generates safety"
	expect_match "$(tr '\n' ' ' <"$out/sw3.yaml")" \
		"- stream: safety +role: recovery +algorithm: vector +history: 2 +reset-timeout: 3ms +paths: \[ \{ port: p3 \} \]" \
		"sw3 recovers safety"
	expect_match "$(cat "$out/sw2.yaml")" "^frer: \[\]$" "sw2 relays"
}

test_generated_fragments() {
	local out=$IT_DIR/gen
	"$TSNCNC" generate tree 7 60 3 >"$IT_DIR/gen.yaml"
	expect_exit 0 "$TSNCNC" plan "$IT_DIR/gen.yaml" --out "$out"
	cnc_fragments_check "$out"
}

test_bad_input() {
	local out=$IT_DIR/bad
	sed 's/b: "sw2:sw2p1"/b: "sw2:sw2p9"/' configs/networks/line3.yaml >"$IT_DIR/bad.yaml"
	expect_exit 2 "$TSNCNC" plan "$IT_DIR/bad.yaml" --out "$out"
	expect_eq "$ERR" "$IT_DIR/bad.yaml:49:26: links[2].b: sw2 has no port 'sw2p9'; its ports: sw2p1, sw2p2" \
		"unknown port"
	[[ ! -e $out ]] || it_fail "$out was written for a bad file"
	sed 's/max-latency: 100us, priority: 5, vlan: 100, dst-mac: "01:00:5e:7f:00:01"/max-latency: 20us, priority: 5, vlan: 100, dst-mac: "01:00:5e:7f:00:01"/' \
		configs/networks/line3.yaml >"$IT_DIR/bad2.yaml"
	expect_exit 2 "$TSNCNC" plan "$IT_DIR/bad2.yaml" --out "$out"
	expect_match "$ERR" "^$IT_DIR/bad2.yaml:57:20: streams\[0\].max-latency: 20us is shorter than the 23836ns" \
		"deadline below the path"
	[[ ! -e $out ]] || it_fail "$out was written for an unplannable file"
}

test_infeasible() {
	"$TSNCNC" generate line 5 5000 1 >"$IT_DIR/big.yaml"
	expect_exit 1 "$TSNCNC" plan "$IT_DIR/big.yaml"
	expect_match "$ERR" "^tsncnc: infeasible: stream s[0-9]+: .*link [a-z0-9]+:[a-z0-9]+[ ,].*(short by [0-9]+|over by [0-9]+|% reserved)" "reason names stream, link, amount"
}

it_main example_line3 example_ring4_redundant generated_fragments bad_input infeasible
