#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_frer_gates.sh — issue 15: the copies FRER's stream splitting makes leave
# only in their gate windows: bpf_clone_redirect from frer_tc goes through each
# egress port's qdisc, here taprio (docs/frer.md "Stream splitting").
#
#   talker:t0 ── sw0p1 [sw: tsnd, XDP + frer] sw0p2 (taprio) ── listener:l0
#                                             sw0p3 (taprio) ── listener:l1
#
# Two ipv6 streams (DSCP 1 -> priority 1 -> class 0, DSCP 2 -> priority 2 -> class 1)
# have a frer entry with two paths, sw0p2 and sw0p3; both ports run the same 40 ms
# cycle (class 0 open the first 20 ms, class 1 the second, same base time: same
# cycle and lead).  The role is recovery with take-no-sequence, so the copies
# leave without an R-TAG and the listener's UDP socket takes them (a generator's
# R-tagged copies go the same way; gate_probe cannot read them).  The talker
# addresses l0's MAC, which l1 shares: the copies are bridged, not routed.
#
# Checks: both paths deliver (received ~ 2x sent; FRER counted two copies per
# frame); >= 95% of the arrivals in their class's window; control: the swapped
# windows score <= 5%.
. /tsn/tests/kernel-lab/guest/lib.sh

UDP6=$TSN/build/tests/tools/udp6
THRESHOLD_PPM=950000
CYCLE=40000000
WIN=20000000
SEND_MS=4000

test_split_copies_gated() {
	local root2 root3 base in_win swapped lmac sent j
	kl_switch_topology
	lab_veth sw sw0p3 listener l1 8
	# l1 takes l0's MAC: the bridged copies are addressed to it.
	lmac=$(ip -n listener -j link show l0 | jq -r '.[0].address')
	ip -n listener link set l1 address "$lmac"
	ip -n talker -6 neigh replace 2001:db8:75::ff lladdr "$lmac" dev t0

	kl_gate_schedule "{ gates: [0, 2], interval: 20ms }" "{ gates: [1, 2], interval: 20ms }"
	kl_config "$KL_WORK/tsnd.yaml" "  - name: sw0p1
    xdp: generic
  - name: sw0p2$KL_SCHED
  - name: sw0p3$KL_SCHED"
	cat >>"$KL_WORK/tsnd.yaml" <<CFG
streams:
  - { id: 1, name: p1, identification: ipv6, dst: "2001:db8:76::1", dscp: 1, priority: 1 }
  - { id: 2, name: p2, identification: ipv6, dst: "2001:db8:76::1", dscp: 2, priority: 2 }
frer:
  - { stream: p1, role: recovery, take-no-sequence: true, paths: [ { port: sw0p2 }, { port: sw0p3 } ] }
  - { stream: p2, role: recovery, take-no-sequence: true, paths: [ { port: sw0p2 }, { port: sw0p3 } ] }
CFG
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	root2=$(kl_root_qdisc sw sw0p2)
	root3=$(kl_root_qdisc sw sw0p3)
	[[ $(jq -r .kind <<<"$root2") == taprio && $(jq -r .kind <<<"$root3") == taprio ]] ||
		kl_fail "no taprio on sw0p2/sw0p3: $root2 $root3"
	base=$(kl_sched_field "$root2" base_time)
	[[ $(kl_sched_field "$root3" base_time) == "$base" ]] || kl_fail "the two ports' base times differ"
	kl_run ip netns exec sw tc filter show dev sw0p1 ingress
	grep -q frer_tc <<<"$OUT" || kl_fail "frer_tc is not on sw0p1: $OUT"
	kl_wait_base "$base"

	kl_gate_measure frer-gates "$KL_WORK/arrivals.txt" "$SEND_MS" "$UDP6" gate 2001:db8:76::1 7400 -p 1,2 \
		-i 500 -d "$SEND_MS"
	kl_gate_share frer-gates "$KL_WORK/arrivals.txt" "$base" $CYCLE "0:$WIN" "$WIN:$CYCLE"
	in_win=$SHARE
	((FRAMES >= 200)) || kl_fail "only $FRAMES copies arrived"
	kl_gate_share frer-gates "$KL_WORK/arrivals.txt" "$base" $CYCLE "$WIN:$CYCLE" "0:$WIN"
	swapped=$SHARE

	kl_run kl_tsnctl -j frer show
	j=$OUT
	sent=$(jq '[.streams[].counters.passed_packets] | add' <<<"$j")
	kl_data "frer-gates: FRER passed $sent frames, replicated $(jq '[.streams[].counters.replicated_packets] | add' <<<"$j"); $FRAMES copies arrived"
	jq -e '[.streams[].counters | .replicated_packets == 2 * .passed_packets and .replicate_errors == 0] | all' \
		<<<"$j" >/dev/null || kl_fail "not two copies per frame: $j"
	((FRAMES * 10 >= sent * 2 * 9)) || {
		kl_port_diag frer-gates sw sw0p2 sw0p3
		kl_fail "only $FRAMES of $((sent * 2)) copies arrived"
	}
	kl_data "frer-gates: in window $(kl_pct "$in_win") (threshold $(kl_pct $THRESHOLD_PPM)); swapped windows $(kl_pct "$swapped")"
	((in_win >= THRESHOLD_PPM)) || kl_fail "only $(kl_pct "$in_win") of the copies arrived in their class's window"
	((swapped <= 1000000 - THRESHOLD_PPM)) || kl_fail "control: $(kl_pct "$swapped") in the swapped windows"
}

kl_test frer-gates test_split_copies_gated
