#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_forward_gates.sh — issue 5, item 3: frames tsnd's data plane forwards never
# bypass the egress port's gate schedule.
#
#   talker:t0 ── sw0p1 [sw: tsnd, XDP + tc on both ports] sw0p2 (taprio) ── listener:l0
#   2001:db8:75::1     2001:db8:75::ff   2001:db8:76::ff           2001:db8:76::1
#
# sw0p2 runs a 40 ms cycle: class 0 open for the first 20 ms, class 1 for the
# second 20 ms, class 2 (everything else) always.  The talker sends datagrams with
# DSCP 1 and DSCP 2 every 500 us for 4 s (udp6 gate, in gate_probe's format); the
# switch's classifier maps DSCP 1 -> priority 1 -> class 0 and DSCP 2 -> priority 2
# -> class 1 on sw0p2, both gated, so tsn_xdp routes them and hands them to
# tsn_tc_ingress, which sets skb->priority and redirects them into sw0p2's
# dev_queue_xmit: taprio.  The listener stamps each arrival (gate_probe listen);
# gate_probe analyze folds the stamps into the cycle.  See test_gates.sh for why
# the stamp on veth marks the moment taprio let the frame through.
#
# Checks: >= 95% of the forwarded frames in their class's window; the switch's
# counters show they went XDP -> tc (to_qdisc, tc redirected), not the kernel's
# own forwarding.  Controls: the swapped windows score <= 5%; with the schedule
# removed (a reload), the same traffic goes by XDP_REDIRECT and scores < 95%.
. /tsn/tests/kernel-lab/guest/lib.sh

UDP6=$TSN/build/tests/tools/udp6
THRESHOLD_PPM=950000
CYCLE=40000000
WIN=20000000
SEND_MS=4000

config() {
	local sched=""
	if [[ $1 == with ]]; then
		kl_gate_schedule "{ gates: [0, 2], interval: 20ms }" "{ gates: [1, 2], interval: 20ms }"
		sched=$KL_SCHED
	fi
	kl_config "$KL_WORK/tsnd.yaml" "  - name: sw0p1
    xdp: generic
  - name: sw0p2
    xdp: generic$sched"
	cat >>"$KL_WORK/tsnd.yaml" <<CFG
classification:
  dscp:
    - { dscp: 1, priority: 1 }
    - { dscp: 2, priority: 2 }
CFG
}

# fwd NAME: a forwarding counter of sw0p1 (port show -j).
fwd() {
	kl_run kl_tsnctl -j port show sw0p1
	jq -r ".ports[0].xdp.$1" <<<"$OUT"
}

test_forwarded_frames_gated() {
	local root base in_win swapped nogate q0 q1 r0 r1
	kl_switch_topology

	config with
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	root=$(kl_root_qdisc sw sw0p2)
	[[ $(jq -r .kind <<<"$root") == taprio ]] || kl_fail "no taprio on sw0p2: $root"
	kl_run ip netns exec sw tc filter show dev sw0p1 ingress
	grep -q tsn_tc_ingress <<<"$OUT" || kl_fail "tsnd's tc program is not on sw0p1: $OUT"
	base=$(kl_sched_field "$root" base_time)
	kl_wait_base "$base"
	q0=$(fwd forwarding.to_qdisc)
	r0=$(fwd tc.redirected)

	measure_arrivals "$KL_WORK/gated.txt"
	kl_gate_share forward-gates "$KL_WORK/gated.txt" "$base" $CYCLE "0:$WIN" "$WIN:$CYCLE"
	in_win=$SHARE
	# Under TCG on a busy host the talker may get out only a few hundred frames in
	# SEND_MS.  200 still separates gating from none: without gates the share is
	# about 50 %, and 95 % is then more than 12 standard deviations away.
	((FRAMES >= 200)) || kl_fail "only $FRAMES frames arrived"
	kl_gate_share forward-gates "$KL_WORK/gated.txt" "$base" $CYCLE "$WIN:$CYCLE" "0:$WIN"
	swapped=$SHARE
	q1=$(fwd forwarding.to_qdisc)
	r1=$(fwd tc.redirected)
	kl_data "forward-gates: XDP -> tc: $((q1 - q0)) frames, tc redirected $((r1 - r0)), of $FRAMES received"
	((q1 - q0 >= FRAMES * 9 / 10)) ||
		kl_fail "only $((q1 - q0)) of $FRAMES frames took the XDP -> tc path ($(fwd forwarding | tr -d ' \n'))"
	((r1 - r0 == q1 - q0)) || kl_fail "tc redirected $((r1 - r0)) of the $((q1 - q0)) frames XDP marked"

	# Control: no schedule, so nothing is gated: the frames go by XDP_REDIRECT.
	config without
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "reload without the schedule failed: $OUT $ERR"
	[[ $(kl_root_qdisc sw sw0p2 | jq -r .kind) != taprio ]] || kl_fail "taprio still on sw0p2"
	q0=$(fwd forwarding.redirect)
	measure_arrivals "$KL_WORK/open.txt"
	kl_gate_share forward-gates "$KL_WORK/open.txt" "$base" $CYCLE "0:$WIN" "$WIN:$CYCLE"
	nogate=$SHARE
	q1=$(fwd forwarding.redirect)
	((q1 - q0 >= FRAMES * 9 / 10)) || kl_fail "without a schedule only $((q1 - q0)) frames took XDP_REDIRECT"

	kl_data "forward-gates: in window $(kl_pct "$in_win") (threshold $(kl_pct $THRESHOLD_PPM)); swapped windows $(kl_pct "$swapped"); ungated (XDP_REDIRECT) $(kl_pct "$nogate")"
	((in_win >= THRESHOLD_PPM)) || kl_fail "only $(kl_pct "$in_win") of the forwarded frames arrived in their class's window"
	((swapped <= 1000000 - THRESHOLD_PPM)) || kl_fail "control: $(kl_pct "$swapped") in the swapped windows"
	((nogate < THRESHOLD_PPM)) || kl_fail "control: without a schedule $(kl_pct "$nogate") in window: the check cannot fail"
}

# measure_arrivals FILE: one run of the two-priority traffic, arrivals in FILE.
measure_arrivals() {
	kl_gate_measure forward-gates "$1" "$SEND_MS" "$UDP6" gate 2001:db8:76::1 7400 -p 1,2 -i 500 -d "$SEND_MS"
}

kl_test forward-gates test_forwarded_frames_gated
