#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_cnc_line.sh — issue 14, item 4 (first part): tsncnc plans the line of three
# switches of configs/networks/line3.yaml (8 streams, periods 500 us, 1 ms, 2 ms) and
# deploys it over NETCONF with the gate schedules on taprio; every switch runs the
# plan and every gated port's taprio runs on the one base time of the deploy (read
# back from tsnd's configuration and from the kernel).
#
#   talker1 ─ sw1p1 ┐                               ┌ sw3p2 ─ listener1
#                   sw1 ─ sw1p3 ── sw2p1 sw2 sw2p2 ── sw3p1 sw3
#   talker2 ─ sw1p2 ┘                               └ sw3p3 ─ listener2
#
# Each switch is a namespace with its own tsnd; the three tsn-netconfd run in the
# namespace "mgmt" on 127.0.0.1:8301..8303, each on its switch's control socket, and
# tsncnc reaches them there with key authentication (cnc_line.sh).  Traffic at the
# planned offsets and the measured latencies: test_cnc_latency.sh.
. /tsn/tests/kernel-lab/guest/lib.sh
# shellcheck source=../cnc_line.sh
. /tsn/tests/kernel-lab/guest/cnc_line.sh

test_deploy_line() {
	local s p base b root kb n=0
	line
	cnc_net
	cnc_deploy
	# shellcheck disable=SC2153  # BASE: set by cnc_deploy
	base=$BASE
	kl_data "cnc-line: deployed to 3 switches, base-time $base"
	for s in "${SWITCHES[@]}"; do
		kl_run sw_tsnctl "$s" -j config show
		OUT=$(kl_exact_ints <<<"$OUT")
		b=$(jq -r '[.ports[] | select(.schedule) | .schedule."base-time"] + [."stream-gates"[]? | ."base-time"] | unique | join(",")' <<<"$OUT")
		[[ $b == "$base" ]] || kl_fail "$s: configured base times $b, deployed $base"
		for p in $(jq -r '.ports[] | select(.schedule) | .name' <<<"$OUT"); do
			root=$(kl_root_qdisc "$s" "$p")
			[[ $(jq -r .kind <<<"$root") == taprio ]] || kl_fail "$s:$p: no taprio: $root"
			kb=$(kl_sched_field "$root" base_time)
			[[ $kb == "$base" ]] || kl_fail "$s:$p: the kernel's base time $kb, deployed $base"
			n=$((n + 1))
		done
	done
	((n >= 4)) || kl_fail "only $n gated ports"
	kl_data "cnc-line: $n gated ports, all on base-time $base in tsnd and in taprio"
	kl_run ip netns exec mgmt "$TSNCNC" status "$KL_WORK/net.yaml" --no-bridge --known-hosts "$KL_WORK/known_hosts"
	((RC == 0)) || kl_fail "status after the deploy: $OUT $ERR"
}

kl_test cnc-line test_deploy_line
