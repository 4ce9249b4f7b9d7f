#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_conformance.sh — issue 7, items 2 and 5: the gate-conformance counters stay
# at 0 while the kernel runs the schedule tsnd applied, and count when it does
# not; residence time is measured on the way through taprio.  The tracing
# programs load on Debian's 6.1 kernel here (CO-RE against its BTF).
#
#   talker:t0 ── sw0p1 [sw: tsnd, XDP + tc] sw0p2 (taprio) ── listener:l0
#
# sw0p2 runs a 40 ms cycle: class 0 open in [0, 10 ms), class 1 in [10, 20 ms),
# class 2 always.  The talker sends DSCP 1 (-> class 0) and DSCP 2 (-> class 1)
# every 500 us; tsn_xdp hands them to tc, which redirects them into taprio.
# Correct: taprio sends each class only in its window, so no frame reaches the
# driver while tsnd's copy of the schedule says its gate is closed.  Mis-timed:
# the kernel's schedule is replaced behind tsnd's back by the same list with its
# base time 20 ms later (tsnd reports drift): classes 0 and 1 now leave in
# [20, 30) and [30, 40), at least 10 ms from any window tsnd knows of, so every
# frame of theirs must be counted.  Residence times and their bounds are not
# asserted: under TCG on a shared host they stretch with the host's load.
#
# NETCONF (issue 13, notifications): a tsn-netconfd beside tsnd and a subscribed
# ncclient session get `gate-conformance-violation` when the mis-timed frames are
# counted (the subscription and its baseline are in place before the mis-timing).
. /tsn/tests/kernel-lab/guest/lib.sh

UDP6=$TSN/build/tests/tools/udp6
SEND_MS=2000
NC_PY=$TSN/tests/netconf/nc.py

# nc_subscribe: tsn-netconfd in namespace sw on 127.0.0.1:830 with an admin key,
# and a client (nc.py notify, in the background) that subscribes, touches
# $KL_WORK/subscribed once tsn-netconfd has taken its baseline, then waits for
# gate-conformance-violation.  Its answer goes to
# $KL_WORK/notify.json.
nc_subscribe() {
	rm -f "$KL_WORK/subscribed"
	kl_netconfd_start sw
	lab_wait_until 60 grep -q 'listening on' "$NC_LOG" ||
		kl_fail "tsn-netconfd does not listen: $(kl_tail "$NC_LOG" 5)"
	lab_spawn NOTIFY_PID sw /usr/bin/python3 "$NC_PY" --key "$NC_KEYS/admin" notify 240 \
		gate-conformance-violation touch "$KL_WORK/subscribed" >"$KL_WORK/notify.json" 2>"$KL_WORK/notify.err"
}

test_conformance() {
	local root base n closed

	kl_switch_topology

	kl_gate_schedule "{ gates: [0, 2], interval: 10ms }" "{ gates: [1, 2], interval: 10ms }" \
		"{ gates: [2], interval: 20ms }"
	kl_config "$KL_WORK/tsnd.yaml" "  - name: sw0p1
    xdp: generic
  - name: sw0p2
    xdp: generic$KL_SCHED"
	# Tolerance: TCG stretches the few microseconds between taprio's dequeue
	# and the driver; 5 ms still leaves the mis-timed windows 5 ms clear.
	cat >>"$KL_WORK/tsnd.yaml" <<CFG
classification:
  dscp:
    - { dscp: 1, priority: 1 }
    - { dscp: 2, priority: 2 }
telemetry:
  residence-time: true
  conformance-tolerance: 5ms
CFG
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	root=$(kl_root_qdisc sw sw0p2)
	[[ $(jq -r .kind <<<"$root") == taprio ]] || kl_fail "no taprio on sw0p2: $root"
	base=$(kl_sched_field "$root" base_time)
	kl_wait_base "$base"
	kl_run kl_tsnctl -j status
	[[ $(jq -r .subsystems.telemetry.state <<<"$OUT") == on ]] ||
		kl_fail "telemetry not on: $(jq -c .subsystems.telemetry <<<"$OUT") $(kl_tail "$KL_TSND_LOG" 5)"
	jq -e '.subsystems.telemetry.ports[0] | .name == "sw0p2" and .scheduled and (.classes | length) == 3' \
		<<<"$OUT" >/dev/null || kl_fail "sw0p2 not checked: $(jq -c .subsystems.telemetry <<<"$OUT")"

	# Correct schedule: nothing out of its gate.
	kl_run kl_tsnctl latency reset
	kl_gate_measure conformance "$KL_WORK/correct.txt" "$SEND_MS" "$UDP6" gate 2001:db8:76::1 7400 -p 1,2 -i 500 -d "$SEND_MS"
	kl_gate_share conformance "$KL_WORK/correct.txt" "$base" 40000000 "0:10000000" "10000000:20000000"
	kl_data "conformance: correct schedule: $(kl_pct "$SHARE") of $FRAMES arrivals in tsnd's windows"
	kl_run kl_tsnctl -j latency show sw0p2
	n=$(jq '[.ports[0].classes[].count] | add // 0' <<<"$OUT")
	kl_data "conformance: correct schedule: $n residence samples on sw0p2, classes $(jq -c '[.ports[0].classes[] | {class, count, p50_ns, max_ns}]' <<<"$OUT")"
	((n >= 100)) || kl_fail "only $n frames measured through taprio: $(jq -c .totals <<<"$OUT")"
	kl_run kl_tsnctl -j status
	closed=$(jq .subsystems.telemetry.sent_while_closed <<<"$OUT")
	kl_data "conformance: correct schedule: sent_while_closed $closed, waited_over_cycle $(jq .subsystems.telemetry.waited_over_cycle <<<"$OUT")"
	# At most 1 %: on a loaded host TCG now and then stretches the step from
	# taprio's dequeue to the driver past the 5 ms tolerance (measured: 1 of 7302
	# frames at a host load average of 8; 0 on a quiet host).  The mis-timed run
	# below must count >= 90 %: the two stay apart by two orders of magnitude.
	((closed * 100 <= n)) || kl_fail "correct schedule: $closed of $n frames counted as sent while closed: $(jq -c .subsystems.telemetry <<<"$OUT")"

	# The subscription's baseline is in place before anything is mis-timed.  Not
	# earlier: python's start and the SSH handshake load the emulated CPUs enough
	# to delay the correct run's frames past the tolerance (30 counted, once).
	local t_sub=$SECONDS
	nc_subscribe
	lab_wait_until 180 test -e "$KL_WORK/subscribed" ||
		kl_fail "the NETCONF client did not subscribe: $(cat "$KL_WORK/notify.json") $(kl_tail "$KL_WORK/notify.err" 5) $(kl_tail "$NC_LOG" 5)"
	[[ ! -s $KL_WORK/notify.json ]] ||
		kl_fail "a notification before any frame was mis-timed: $(cat "$KL_WORK/notify.json")"
	kl_data "conformance: tsn-netconfd up and the NETCONF client subscribed in $((SECONDS - t_sub)) s"
	sleep 1	# tsn-netconfd's next look at tsnd's counters: the python client's work is done

	# Mis-timed: behind tsnd's back the kernel gets the list 20 ms later.
	kl_run ip netns exec sw tc qdisc replace dev sw0p2 parent root handle 7473: taprio \
		num_tc 3 map 2 0 1 2 2 2 2 2 2 2 2 2 2 2 2 2 queues 1@0 1@1 6@2 \
		base-time "$((base + 20000000))" sched-entry S 05 10000000 sched-entry S 06 10000000 \
		sched-entry S 04 20000000 clockid CLOCK_TAI
	((RC == 0)) || kl_fail "tc could not change the schedule: $ERR"
	# The new (admin) schedule takes over at the next cycle boundary.
	sleep 0.2
	kl_run ip netns exec sw tc qdisc show dev sw0p2
	kl_data "conformance: the kernel's schedule now: $(tr '\n' ' ' <<<"$OUT" | cut -c1-400)"
	kl_run kl_tsnctl latency reset
	kl_gate_measure conformance "$KL_WORK/shifted.txt" "$SEND_MS" "$UDP6" gate 2001:db8:76::1 7400 -p 1,2 -i 500 -d "$SEND_MS"
	# Control: the arrivals must really follow the shifted windows now.
	kl_gate_share conformance "$KL_WORK/shifted.txt" "$base" 40000000 "0:10000000" "10000000:20000000"
	kl_data "conformance: shifted: $(kl_pct "$SHARE") of $FRAMES arrivals in tsnd's windows"
	((SHARE < 100000)) || kl_fail "control: the kernel still sends in tsnd's windows ($(kl_pct "$SHARE")): the schedule did not change"
	kl_run kl_tsnctl -j status
	closed=$(jq .subsystems.telemetry.sent_while_closed <<<"$OUT")
	kl_run kl_tsnctl -j latency show sw0p2
	n=$(jq '[.ports[0].classes[].count] | add // 0' <<<"$OUT")
	kl_data "conformance: mis-timed by 20 ms: sent_while_closed $closed of $n frames"
	((n >= 100)) || kl_fail "only $n frames measured after the change"
	# Every frame of classes 0 and 1 leaves >= 5 ms beyond the tolerance; allow
	# a few that were dequeued before the kernel switched to the new schedule.
	((closed >= n * 9 / 10)) || kl_fail "mis-timed schedule: only $closed of $n frames counted as sent while closed"
	kl_run kl_tsnctl status
	grep -q "gate conformance: [1-9][0-9]* sent while closed" <<<"$OUT" ||
		kl_fail "status text lacks the conformance line: $OUT"

	# NETCONF: the subscribed session was told (tsn-netconfd looks once a second).
	lab_wait_until 30 eval "! kill -0 $NOTIFY_PID" ||
		kl_fail "no gate-conformance-violation notification within 30 s of the count: $(kl_tail "$NC_LOG" 5)"
	local x
	jq -e .ok "$KL_WORK/notify.json" >/dev/null ||
		kl_fail "no gate-conformance-violation notification: $(head -c 600 "$KL_WORK/notify.json") $(kl_tail "$KL_WORK/notify.err" 5)"
	x=$(jq -r .xml "$KL_WORK/notify.json")
	kl_data "conformance: NETCONF notification: $(tr -d '\n' <<<"$x" | cut -c1-400)"
	[[ $x =~ \<sent-while-closed\>([0-9]+)\</sent-while-closed\> ]] && ((BASH_REMATCH[1] > 0)) ||
		kl_fail "the notification does not carry a sent-while-closed count above 0: $x"
}

kl_test conformance test_conformance
