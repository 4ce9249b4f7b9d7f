#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_schedule.sh — gate schedules with a real tsnd on this machine's kernel.
#
# The development host's kernel has no taprio, which makes it a good place to
# prove the refusal paths on a real kernel: a schedule tsnd finds wrong never
# reaches the kernel (error at file:line:col, nothing changed), and a valid one
# the kernel refuses ("Specified qdisc kind is unknown") comes back with the
# kernel's words while every port keeps exactly the qdiscs it had — including a
# tbf set up by hand — and the data plane step of the same reload is undone.
# The paths that need taprio run in the kernel lab (tests/kernel-lab).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A schedule for 4-queue ports; lines are counted by the tests below.
SCHED_OK='    schedule:
      num-tc: 3
      map: [0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
      queues: ["1@0", "1@1", "2@2"]
      entries:
        - { gates: [0], interval: 300us }
        - { gates: [1], interval: 300us }
        - { gates: [2], interval: 400us }'

# sched_config FILE SCHEDULE_OF_sw0p1 SCHEDULE_OF_sw0p2 [it_config KEY=VALUE...]:
# it_config's file with the schedule blocks ("" for none) under the two ports.
sched_config() {
	local file=$1
	S1=$2 S2=$3
	shift 3
	it_config "$file" "$@"
	S1=$S1 S2=$S2 awk '
		{ print }
		/^  - name: sw0p1$/ { port = 1 }
		/^  - name: sw0p2$/ { port = 2 }
		/^    xdp: / && port == 1 && ENVIRON["S1"] != "" { print ENVIRON["S1"] }
		/^    xdp: / && port == 2 && ENVIRON["S2"] != "" { print ENVIRON["S2"] }
		/^    xdp: / { port = 0 }
	' "$file" >"$file.tmp" && mv "$file.tmp" "$file"
}

# line_of FILE REGEX: the number of the first line matching REGEX.
line_of() {
	grep -n -E -- "$2" "$1" | head -n1 | cut -d: -f1
}

# qdiscs DEV: every qdisc of DEV in the switch namespace, as tc -j prints it.
qdiscs() {
	tc -n "$(lab_ns "$IT_NS")" -j qdisc show dev "$1"
}

kernel_has_taprio() {
	tc -n "$(lab_ns "$IT_NS")" qdisc add dev sw0p1 root handle 7474: taprio num_tc 1 map 0 queues 1@0 \
		base-time 0 sched-entry S 1 100000 clockid CLOCK_TAI >/dev/null 2>&1 || return 1
	tc -n "$(lab_ns "$IT_NS")" qdisc del dev sw0p1 root
	return 0
}

generation() {
	expect_exit 0 tsnctl_sw -j status
	jget "$OUT" .config.generation
}

# A tbf on sw0p1 set up by hand, removed when the test ends.
hand_made_tbf() {
	tc -n "$(lab_ns "$IT_NS")" qdisc replace dev sw0p1 root handle 1: tbf rate 1mbit burst 10kb latency 50ms
	lab_on_cleanup tc -n "$(lab_ns "$IT_NS")" qdisc del dev sw0p1 root
}

test_check_against_ports() {
	local conf=$IT_DIR/check.yaml line
	# 2@3 needs TX queues 3 and 4; the ports have 4 (0 to 3).
	sched_config "$conf" "${SCHED_OK/\"2@2\"/\"2@3\"}" ""
	line=$(line_of "$conf" '"2@3"')
	expect_exit 1 lab_exec "$IT_NS" "$TSND" --check "$conf"
	expect_match "$ERR" "^$conf:$line:[0-9]+: ports\[0\]\.schedule\.queues\[2\]: 2@3 of class 2 reaches TX queue 4, but sw0p1 has 4 TX queues" \
		"queue range beyond the port"
	# The same file on a host without the port: checked at link-speed-default, a warning.
	expect_exit 0 "$TSND" --check "$conf"
	expect_match "$ERR" "ports\[0\]\.name: warning: interface sw0p1 does not exist on this host" \
		"port absent on this host"
	# An interval shorter than a minimum frame at the configured speed.
	sched_config "$conf" "${SCHED_OK/interval: 300us \}/interval: 600ns \}}" ""
	sed -i 's/^    xdp: generic$/    xdp: generic\n    link-speed: 1000/' "$conf"
	line=$(line_of "$conf" 'interval: 600ns')
	expect_exit 1 lab_exec "$IT_NS" "$TSND" --check "$conf"
	expect_match "$ERR" "^$conf:$line:[0-9]+: ports\[0\]\.schedule\.entries\[0\]\.interval: 600ns is shorter than a minimum frame at 1000 Mbit/s" \
		"minimum frame"
}

test_reload_invalid_schedule() {
	local conf=$IT_DIR/invalid.yaml line before1 before2
	it_config "$conf"
	it_start_tsnd "$conf"
	hand_made_tbf
	before1=$(qdiscs sw0p1)
	before2=$(qdiscs sw0p2)
	sched_config "$conf" "${SCHED_OK/\"1@1\"/\"1@0\"}" "$SCHED_OK"
	line=$(line_of "$conf" '"1@0", "1@0"')
	expect_exit 5 tsnctl_sw config reload
	expect_match "$ERR" "^$conf:$line:[0-9]+: ports\[0\]\.schedule\.queues\[1\]: queues 1@0 of class 1 overlap" \
		"error at file:line:col"
	expect_match "$ERR" "nothing was changed" "nothing changed"
	expect_eq "$(generation)" 1 "generation after the refused reload"
	expect_eq "$(qdiscs sw0p1)" "$before1" "sw0p1's qdiscs"
	expect_eq "$(qdiscs sw0p2)" "$before2" "sw0p2's qdiscs"
	expect_exit 0 tsnctl_sw -j schedule show
	expect_json "$OUT" 'all(.ports[]; .configured == false and .state == "absent")' "no schedule running"
}

test_reload_refused_by_kernel() {
	local conf=$IT_DIR/refused.yaml before1 before2
	if kernel_has_taprio; then
		echo "SKIP reload_refused_by_kernel: this kernel has taprio (the kernel lab covers it)"
		return 0
	fi
	it_config "$conf" xdp=off
	it_start_tsnd "$conf"
	hand_made_tbf
	before1=$(qdiscs sw0p1)
	before2=$(qdiscs sw0p2)
	expect_match "$before1" '"kind":"tbf","handle":"1:"' "the hand-made tbf"
	# Valid everywhere tsnd looks; the kernel has no taprio.  The same reload
	# attaches XDP first: that must be undone too.
	sched_config "$conf" "$SCHED_OK" "$SCHED_OK" xdp=generic
	expect_exit 0 lab_exec "$IT_NS" "$TSND" --check "$conf"
	expect_exit 1 tsnctl_sw config reload
	expect_match "$ERR" "port sw0p1: the kernel refused the taprio schedule: Specified qdisc kind is unknown \(No such file or directory\)" \
		"the kernel's own words, with the port"
	expect_match "$ERR" "apply-failed" "result"
	expect_eq "$(generation)" 1 "generation after the refused reload"
	expect_eq "$(qdiscs sw0p1)" "$before1" "sw0p1 keeps its tbf exactly"
	expect_eq "$(qdiscs sw0p2)" "$before2" "sw0p2 keeps its default qdisc"
	expect_no_match "$(ip -n "$(lab_ns "$IT_NS")" -j link show)" '"xdp"' "the data plane step was undone"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.last_reload.result == "apply-failed"' "last_reload.result"
	expect_json "$OUT" '.subsystems.schedules == {"applied":0,"held":0,"drift":0,"error":0,"unreadable":0,"recoveries":0}' "schedule counts"
	expect_exit 0 tsnctl_sw -j schedule show
	expect_json "$OUT" 'all(.ports[]; .configured == false)' "the old configuration runs"
}

test_start_refused_by_kernel() {
	local conf=$IT_DIR/start.yaml before1
	if kernel_has_taprio; then
		echo "SKIP start_refused_by_kernel: this kernel has taprio (the kernel lab covers it)"
		return 0
	fi
	hand_made_tbf
	before1=$(qdiscs sw0p1)
	sched_config "$conf" "$SCHED_OK" "" xdp=off
	expect_exit 1 lab_exec "$IT_NS" "$TSND" -f --stderr -c "$conf"
	expect_match "$ERR" "not starting: cannot apply the gate schedules: port sw0p1: the kernel refused the taprio schedule: Specified qdisc kind is unknown" \
		"start-up refused with the kernel's words"
	expect_eq "$(qdiscs sw0p1)" "$before1" "sw0p1 keeps its tbf"
}

test_schedule_show() {
	local conf=$IT_DIR/show.yaml
	it_config "$conf" xdp=off
	it_start_tsnd "$conf"
	expect_exit 0 tsnctl_sw schedule show
	expect_match "$OUT" '^sw0p1: absent: no schedule configured' "text: a header per port"
	expect_match "$OUT" '^sw0p2: absent' "text: second port"
	expect_exit 0 tsnctl_sw -j schedule show dev sw0p2
	expect_json "$OUT" '.ports | length == 1' "one port"
	expect_json "$OUT" '.ports[0] | .name == "sw0p2" and .configured == false and .kernel == null and .config == null and .drift == []' \
		"-j shape"
	expect_exit 0 tsnctl_sw sched sh sw0p1
	expect_exit 1 tsnctl_sw schedule show sw0p9
	expect_match "$ERR" 'not-found' "unknown port"
	expect_exit 2 tsnctl_sw schedule show a b
	expect_exit 0 tsnctl_sw status
	expect_match "$OUT" '^schedules: +0 applied, 0 held, 0 drift, 0 error' "status line"
	expect_match "$OUT" 'sw0p1 +up +[^ ]+ +none' "status SCHEDULE column"
}

it_main check_against_ports reload_invalid_schedule reload_refused_by_kernel start_refused_by_kernel schedule_show
