#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_restore.sh — issue 19 item 3: a port gets back the root qdisc it had
# before tsnd took it, when its schedule is removed from the configuration and
# when tsnd stops without dataplane.keep-on-exit; with keep-on-exit the
# schedule stays.
#
# swA starts with `mq` (handle 1:), swB with `mqprio` (handle 2:, two classes).
# tsnd puts its taprio on both.  A reload without swA's schedule must leave
# swA's qdiscs exactly as they were before tsnd (tc -j, reference counts left
# out); stopping tsnd must do the same for swB.  Before the fix both ended on
# the kernel's default (noqueue), and swB kept tsnd's taprio after the stop.
. /tsn/tests/kernel-lab/guest/lib.sh

SCHED="    schedule:
      num-tc: 2
      map: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\"]
      base-time: 1000000000
      entries:
        - { gates: [0], interval: 500us }
        - { gates: [1], interval: 500us }"

qd() {
	kl_qdisc_json sw "$1" | kl_normalize
}

test_restore() {
	local a0 b0 a1 b1
	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer swA swB
	ip netns exec sw tc qdisc replace dev swA root handle 1: mq || kl_fail "tc cannot put mq on swA"
	ip netns exec sw tc qdisc replace dev swB root handle 2: mqprio num_tc 2 \
		map 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 queues 1@0 1@1 hw 0 || kl_fail "tc cannot put mqprio on swB"
	a0=$(qd swA)
	b0=$(qd swB)

	kl_config "$KL_WORK/tsnd.yaml" "  - name: swA
$SCHED
  - name: swB
$SCHED"
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	[[ $(kl_root_qdisc sw swA | jq -r .kind) == taprio ]] || kl_fail "tsnd did not put taprio on swA"
	[[ $(kl_root_qdisc sw swB | jq -r .kind) == taprio ]] || kl_fail "tsnd did not put taprio on swB"

	# A change through the change path keeps what the port had before.
	kl_config "$KL_WORK/tsnd.yaml" "  - name: swA
${SCHED//500us/400us}
  - name: swB
$SCHED"
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "changing swA's schedule failed ($RC): $OUT $ERR"

	kl_config "$KL_WORK/tsnd.yaml" "  - name: swA
  - name: swB
$SCHED"
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "removing swA's schedule failed ($RC): $OUT $ERR"
	a1=$(qd swA)
	[[ $a1 == "$a0" ]] || kl_fail "swA after its schedule was removed: $(kl_json_diff "$a0" "$a1")"
	grep -q "swA: schedule removed; its earlier root qdisc mq 1: is back" "$KL_TSND_LOG" ||
		kl_fail "tsnd's log does not say mq came back: $(kl_tail "$KL_TSND_LOG" 4)"

	kl_tsnd_stop
	lab_pid_alive "$KL_TSND_PID" && kl_fail "tsnd did not stop"
	b1=$(qd swB)
	[[ $b1 == "$b0" ]] || kl_fail "swB after tsnd stopped: $(kl_json_diff "$b0" "$b1")"
	kl_info "restore: swA has $(jq -r '.[] | select(.root == true) | .kind' <<<"$a1") again, swB $(jq -r '.[] | select(.root == true) | .kind' <<<"$b1")"

	# With keep-on-exit the schedule stays for the next tsnd.
	kl_config "$KL_WORK/tsnd.yaml" "  - name: swB
$SCHED"
	sed -i 's|^  pin-dir: .*|&\n  keep-on-exit: true|' "$KL_WORK/tsnd.yaml"
	: >"$KL_TSND_LOG"
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	kl_tsnd_stop
	[[ $(kl_root_qdisc sw swB | jq -r .kind) == taprio ]] ||
		kl_fail "with keep-on-exit the taprio did not stay on swB: $(kl_root_qdisc sw swB)"
}

kl_test restore test_restore
