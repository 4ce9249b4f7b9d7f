#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_schedules.sh — issue 3, 6a: for each schedule, the kernel state after tsnd
# applies it equals the state after iproute2 applies the equivalent arguments.
#
# Each case gets two identical fresh ports in namespace `sw` (veth, 8 TX/RX
# queues): tsnd starts with the schedule on swA; `tc qdisc replace ... taprio`
# with the equivalent arguments goes on swB, with the handle tsnd chose and, for
# `base-time: auto`, the base time tsnd computed (which the case checks against
# the formula in docs/schedules.md: the first multiple of the cycle at or after
# now + lead).  When the base time lies ahead, both dumps are taken after it has
# passed, so both show the same (operational) schedule.  Then
# `tc -j qdisc show dev swA` must equal the same for swB, child qdiscs included,
# with only the reference counts left out.
#
# Where iproute2 (6.1, the host's) cannot be the oracle, the case says so and
# uses the next best thing:
#  - tc's whole taprio request must fit in 1024 bytes (its option parser's bound),
#    so it sends at most about 30 entries — more are dropped with an
#    "addattr_l ERROR" on stderr, yet the command succeeds.  For the 128- and
#    256-entry cases swB gets the first TC_MAX_ENTRIES entries and the full
#    cycle-time, and the expected dump is swB's with the entry list replaced by
#    the full list the case wrote (index, "S", gate mask, interval): tc vouches
#    for everything but the list, the case for the list.
#  - tc has no syntax for set-and-hold (H) and set-and-release (R) entries and
#    prints them as "Invalid": swB gets set-gates there, the dumps are compared
#    without the commands, and `gate_probe taprio` (its own netlink decoder) reads
#    the commands the kernel holds on both ports.  Debian's 6.1 kernel accepts H
#    and R in software mode.
#  - tc 6.1 can neither set nor print per-class max SDU: the dumps are compared
#    as they are, and `gate_probe taprio` reads the max SDU the kernel holds.
. /tsn/tests/kernel-lab/guest/lib.sh

MAP_ID="0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7"

# yaml_list WORDS...: "[a, b, c]"
yaml_list() {
	local IFS=,
	local s="$*"
	echo "[${s//,/, }]"
}

# ---- one case -----------------------------------------------------------------

TC_MAX_ENTRIES=24

# run_case BASE SCHEDULE_YAML TC_ARGS
#   BASE           auto, or absolute ns (base-time), or +S: S seconds from now
#                  rounded up to a whole second
#   SCHEDULE_YAML  the schedule's keys other than base-time, 6 spaces indented
#   TC_ARGS        taprio's arguments other than handle and base-time
# and, set by the case where tc cannot express the schedule (see the header):
#   CASE_FULL      the expected entry list as tc -j prints it (JSON)
#   CASE_CMDS      the expected entry commands on swA ("0 1 0": set-gates,
#                  set-and-hold, set-gates)
#   CASE_MAXSDU    the expected max SDU per class on swA ("0 1000 200")
# and, for the cbs and etf qdiscs tsnd puts under its taprio (docs/shapers.md):
#   CASE_CHILDREN  `tc qdisc replace dev swB` arguments, one child per ';'
run_case() {
	local base=$1 yaml=$2 tcargs=$3 cfg a b root handle bt cycle lead t0 t1 now wait_ns
	local strip_cmds='map(if .root then .options.schedule |= map(del(.cmd)) else . end)'

	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer swA swB

	if [[ $base == +* ]]; then
		now=$(kl_now tai)
		base=$(((now / 1000000000 + ${base#+} + 1) * 1000000000))
	fi
	cfg=$KL_WORK/case.yaml
	kl_config "$cfg" "  - name: swA
    schedule:
$yaml
      base-time: $base"

	t0=$(kl_now tai)
	kl_tsnd_start sw "$cfg"
	t1=$(kl_now tai)

	root=$(kl_root_qdisc sw swA)
	[[ $(jq -r .kind <<<"$root") == taprio ]] || kl_fail "tsnd left no taprio on swA: $root"
	handle=$(jq -r .handle <<<"$root")
	bt=$(kl_sched_field "$root" base_time)
	cycle=$(kl_sched_field "$root" cycle_time)
	if [[ $base == auto ]]; then
		lead=$(sed -n 's/^ *base-time-lead: *\([0-9]*\)s$/\1/p' <<<"$yaml")
		lead=$((${lead:-1} * 1000000000))
		((bt % cycle == 0)) || kl_fail "auto base time $bt is not a multiple of the cycle $cycle"
		((bt >= t0 + lead && bt < t1 + lead + cycle)) ||
			kl_fail "auto base time $bt is not the first cycle boundary after now + lead (now in [$t0, $t1], lead $lead, cycle $cycle)"
		kl_data "auto base time $bt: start + lead + $(((bt - t0 - lead) / 1000)) us (cycle $((cycle / 1000)) us)"
	else
		[[ $bt == "$base" ]] || kl_fail "base time on swA is $bt, configured $base"
	fi

	kl_run ip netns exec sw tc qdisc replace dev swB parent root handle "$handle" taprio \
		$tcargs base-time "$bt"
	((RC == 0)) || kl_fail "tc refused the equivalent schedule: $ERR (args: $tcargs)"
	[[ -z $ERR ]] || kl_fail "tc complained: $(head -c 300 <<<"$ERR")"
	local spec
	while IFS= read -r -d ';' spec || [[ -n ${spec//[[:space:]]/} ]]; do
		[[ -n ${spec//[[:space:]]/} ]] || continue
		# shellcheck disable=SC2086 # the arguments are words
		kl_run ip netns exec sw tc qdisc replace dev swB $spec
		((RC == 0)) || kl_fail "tc refused the child qdisc: $ERR ($spec)"
	done <<<"${CASE_CHILDREN:-}"

	now=$(kl_now tai)
	if ((bt > now - cycle)); then
		wait_ns=$((bt - now + cycle + 300000000))
		sleep "$((wait_ns / 1000000000)).$(printf '%09d' $((wait_ns % 1000000000)))"
	fi
	a=$(kl_qdisc_json sw swA | kl_normalize)
	b=$(kl_qdisc_json sw swB | kl_normalize)
	if [[ -n ${CASE_FULL:-} ]]; then
		b=$(jq -S -c --argjson full "$CASE_FULL" 'map(if .root then .options.schedule = $full else . end)' <<<"$b")
	fi
	if [[ -n ${CASE_CMDS:-} ]]; then
		a=$(jq -S -c "$strip_cmds" <<<"$a")
		b=$(jq -S -c "$strip_cmds" <<<"$b")
		local want_b
		want_b=$(sed 's/[0-9]\+/0/g' <<<"$CASE_CMDS")
		kl_run ip netns exec sw "$GATE_PROBE" taprio swA
		[[ $(grep '^oper' <<<"$OUT") == "oper $CASE_CMDS" ]] ||
			kl_fail "entry commands on swA: '$OUT $ERR', expected 'oper $CASE_CMDS'"
		kl_run ip netns exec sw "$GATE_PROBE" taprio swB
		[[ $(grep '^oper' <<<"$OUT") == "oper $want_b" ]] ||
			kl_fail "entry commands on swB (tc): '$OUT $ERR', expected 'oper $want_b'"
	fi
	if [[ -n ${CASE_MAXSDU:-} ]]; then
		local got want i
		kl_run ip netns exec sw "$GATE_PROBE" taprio swA
		read -ra got <<<"$(sed -n 's/^maxsdu //p' <<<"$OUT")"
		read -ra want <<<"$CASE_MAXSDU"
		for ((i = 0; i < 16; i++)); do
			[[ ${got[i]:-0} == "${want[i]:-0}" ]] ||
				kl_fail "max SDU of class $i on swA is ${got[i]:-absent}, expected ${want[i]:-0} ($OUT)"
		done
		kl_data "max SDU on swA by class: ${got[*]:0:4} ..."
	fi
	[[ $a == "$b" ]] || kl_fail "tsnd's taprio differs from tc's: $(kl_json_diff "$b" "$a")"
	kl_tsnd_stop
}

# ---- the cases ------------------------------------------------------------------

case_one_entry() {
	run_case 1000000000 "      num-tc: 1
      map: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\"]
      entries:
        - { op: set-gates, gates: [0], interval: 1ms }" \
		"num_tc 1 map 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 queues 1@0 sched-entry S 01 1000000 clockid CLOCK_TAI"
}

case_three_entries() {
	run_case 1000000000 "      num-tc: 3
      map: [2, 2, 1, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
      queues: [\"1@0\", \"1@1\", \"1@2\"]
      entries:
        - { gates: [0], interval: 300us }
        - { gates: [1], interval: 200us }
        - { gates: [2], interval: 500us }" \
		"num_tc 3 map 2 2 1 0 2 2 2 2 2 2 2 2 2 2 2 2 queues 1@0 1@1 1@2 sched-entry S 01 300000 sched-entry S 02 200000 sched-entry S 04 500000 clockid CLOCK_TAI"
}

case_eight_classes() {
	local i yaml="" tc=""
	for i in 0 1 2 3 4 5 6 7; do
		yaml+="
        - { gates: [$i], interval: $((100 + 10 * i))us }"
		tc+=" sched-entry S $(printf '%02x' $((1 << i))) $(((100 + 10 * i) * 1000))"
	done
	run_case auto "      num-tc: 8
      map: $(yaml_list $MAP_ID)
      queues: [\"1@0\", \"1@1\", \"1@2\", \"1@3\", \"1@4\", \"1@5\", \"1@6\", \"1@7\"]
      base-time-lead: 1s
      entries:$yaml" \
		"num_tc 8 map $MAP_ID queues 1@0 1@1 1@2 1@3 1@4 1@5 1@6 1@7$tc clockid CLOCK_TAI"
}

# entries_case N: N entries, classes in turn, intervals 20..69 us.  Beyond
# TC_MAX_ENTRIES, tc gets the first ones and the whole cycle (see the header).
entries_case() {
	local n=$1 i yaml="" tc="" iv sum=0 full=()
	for ((i = 0; i < n; i++)); do
		iv=$((20 + (i * 7) % 50))
		sum=$((sum + iv * 1000))
		yaml+="
        - { gates: [$((i % 3))], interval: ${iv}us }"
		((i < TC_MAX_ENTRIES)) && tc+=" sched-entry S $(printf '%02x' $((1 << (i % 3)))) $((iv * 1000))"
		full+=("{\"index\":$i,\"cmd\":\"S\",\"gatemask\":\"0x$((1 << (i % 3)))\",\"interval\":$((iv * 1000))}")
	done
	if ((n > TC_MAX_ENTRIES)); then
		CASE_FULL="[$(IFS=,; echo "${full[*]}")]"
		tc+=" cycle-time $sum"
	fi
	run_case 1000000000 "      num-tc: 3
      map: [0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"2@0\", \"2@2\", \"4@4\"]
      entries:$yaml" \
		"num_tc 3 map 0 1 2 0 0 0 0 0 0 0 0 0 0 0 0 0 queues 2@0 2@2 4@4$tc clockid CLOCK_TAI"
}

case_entries_128() { entries_case 128; }
case_entries_256() { entries_case 256; }

# hold_case OP CMD: OP as the second of three entries (CMD its number).
hold_case() {
	CASE_CMDS="0 $2 0"
	run_case 1000000000 "      num-tc: 2
      map: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\"]
      entries:
        - { op: set-gates, gates: [0], interval: 400us }
        - { op: $1, gates: [1], interval: 300us }
        - { op: set-gates, gates: [0-1], interval: 300us }" \
		"num_tc 2 map 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 queues 1@0 1@1 sched-entry S 01 400000 sched-entry S 02 300000 sched-entry S 03 300000 clockid CLOCK_TAI"
}

case_set_and_hold() { hold_case set-and-hold 1; }
case_set_and_release() { hold_case set-and-release 2; }

case_max_sdu() {
	CASE_MAXSDU="0 1000 200"
	run_case 1000000000 "      num-tc: 3
      map: [0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\", \"1@2\"]
      max-sdu: [0, 1000, 200]
      entries:
        - { gates: [0-2], interval: 1ms }" \
		"num_tc 3 map 0 1 2 0 0 0 0 0 0 0 0 0 0 0 0 0 queues 1@0 1@1 1@2 sched-entry S 07 1000000 clockid CLOCK_TAI"
}

# txtime-assist: tsnd puts an etf under every queue (delta = txtime-delay, skip_sock_check:
# taprio stamps the frames), as tc does here.
case_txtime_assist() {
	CASE_CHILDREN="parent 7473:1 handle 7480: etf clockid CLOCK_TAI delta 200000 skip_sock_check;
		parent 7473:2 handle 7481: etf clockid CLOCK_TAI delta 200000 skip_sock_check"
	run_case 1000000000 "      mode: txtime-assist
      txtime-delay: 200us
      num-tc: 2
      map: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\"]
      entries:
        - { gates: [0], interval: 500us }
        - { gates: [1], interval: 500us }" \
		"num_tc 2 map 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 queues 1@0 1@1 sched-entry S 01 500000 sched-entry S 02 500000 flags 0x1 txtime-delay 200000 clockid CLOCK_TAI"
}

# txtime-assist lets classes share queues (ETF below sorts them by launch time).
case_txtime_shared_queues() {
	CASE_CHILDREN="parent 7473:1 handle 7480: etf clockid CLOCK_TAI delta 50000 skip_sock_check"
	run_case 1000000000 "      mode: txtime-assist
      txtime-delay: 50us
      num-tc: 3
      map: [2, 2, 1, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
      queues: [\"1@0\", \"1@0\", \"1@0\"]
      entries:
        - { gates: [0], interval: 60us }
        - { gates: [1], interval: 120us }
        - { gates: [2], interval: 300us }" \
		"num_tc 3 map 2 2 1 0 2 2 2 2 2 2 2 2 2 2 2 2 queues 1@0 1@0 1@0 sched-entry S 01 60000 sched-entry S 02 120000 sched-entry S 04 300000 flags 0x1 txtime-delay 50000 clockid CLOCK_TAI"
}

case_cycle_extension() {
	run_case 1000000000 "      num-tc: 2
      map: [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
      queues: [\"1@0\", \"7@1\"]
      cycle-time: 1ms
      cycle-time-extension: 100us
      entries:
        - { gates: [0], interval: 250us }
        - { gates: [1], interval: 550us }" \
		"num_tc 2 map 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 queues 1@0 7@1 sched-entry S 01 250000 sched-entry S 02 550000 cycle-time 1000000 cycle-time-extension 100000 clockid CLOCK_TAI"
}

# A cycle longer than its entries: the last entry's gates stay as they are until
# the cycle ends (the kernel stretches nothing; the dump keeps both numbers).
case_cycle_longer() {
	run_case 1000000000 "      num-tc: 2
      map: [1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
      queues: [\"1@0\", \"1@1\"]
      cycle-time: 2ms
      entries:
        - { gates: [0], interval: 500us }
        - { gates: [], interval: 500us }" \
		"num_tc 2 map 1 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 queues 1@0 1@1 sched-entry S 01 500000 sched-entry S 00 500000 cycle-time 2000000 clockid CLOCK_TAI"
}

case_base_auto() {
	run_case auto "      num-tc: 2
      map: [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"4@0\", \"4@4\"]
      base-time-lead: 2s
      entries:
        - { gates: [0-1], interval: 333us }
        - { gates: [1], interval: 667us }" \
		"num_tc 2 map 0 0 1 1 0 0 0 0 0 0 0 0 0 0 0 0 queues 4@0 4@4 sched-entry S 03 333000 sched-entry S 02 667000 clockid CLOCK_TAI"
}

case_base_future() {
	run_case +2 "      num-tc: 4
      map: [3, 2, 1, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
      queues: [\"1@0\", \"1@1\", \"2@2\", \"4@4\"]
      entries:
        - { gates: [0, 3], interval: 100us }
        - { gates: [1-2], interval: 200us }
        - { gates: [0-3], interval: 700us }" \
		"num_tc 4 map 3 2 1 0 3 3 3 3 3 3 3 3 3 3 3 3 queues 1@0 1@1 2@2 4@4 sched-entry S 09 100000 sched-entry S 06 200000 sched-entry S 0f 700000 clockid CLOCK_TAI"
}

case_clock_realtime() {
	run_case 1000000000 "      clock: realtime
      num-tc: 3
      map: [1, 0, 2, 2, 1, 0, 2, 2, 1, 0, 2, 2, 1, 0, 2, 2]
      queues: [\"2@0\", \"3@2\", \"3@5\"]
      entries:
        - { gates: [0-2], interval: 1ms }
        - { gates: [2], interval: 1ms }" \
		"num_tc 3 map 1 0 2 2 1 0 2 2 1 0 2 2 1 0 2 2 queues 2@0 3@2 3@5 sched-entry S 07 1000000 sched-entry S 04 1000000 clockid CLOCK_REALTIME"
}

# Shapers (802.1Qav) at the veth's 10 Gbit/s (docs/shapers.md, worked example):
# class 2: 100 Mbit/s, hiCredit ceil(1522 x 0.01) = 16, loCredit -ceil(1522 x 0.99) = -1507;
# class 1: 1 % = 100 Mbit/s, interference ceil(1522 x 10G / 9.9G) + 1522 = 3060 B,
# hiCredit ceil(3060 x 0.01) = 31.
case_shapers() {
	# (in queue order, as tsnd installs them: the dump lists qdiscs in creation order)
	CASE_CHILDREN="parent 7473:2 handle 7481: cbs idleslope 100000 sendslope -9900000 hicredit 31 locredit -1507;
		parent 7473:3 handle 7482: cbs idleslope 100000 sendslope -9900000 hicredit 16 locredit -1507"
	run_case 1000000000 "      num-tc: 3
      map: [0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\", \"1@2\"]
      entries:
        - { gates: [0-2], interval: 1ms }
      shapers:
        - { class: 2, idle-slope: 100Mbit }
        - { class: 1, share: 1 }" \
		"num_tc 3 map 0 1 2 0 0 0 0 0 0 0 0 0 0 0 0 0 queues 1@0 1@1 1@2 sched-entry S 07 1000000 clockid CLOCK_TAI"
}

case_launch_time() {
	CASE_CHILDREN="parent 7473:2 handle 7481: etf clockid CLOCK_TAI delta 300000 deadline_mode"
	run_case 1000000000 "      num-tc: 2
      map: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\"]
      entries:
        - { gates: [0-1], interval: 1ms }
      launch-time:
        - { class: 1, delta: 300us, deadline-mode: true }" \
		"num_tc 2 map 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 queues 1@0 1@1 sched-entry S 03 1000000 clockid CLOCK_TAI"
}

# ---- shapers and launch times at work ----------------------------------------------
# The cases above compare trees; these two measure what the qdiscs do to traffic
# (docs/shapers.md, "Proven in the lab").  shaper_probe sends, and captures each
# frame on a packet socket of the egress device: the kernel stamps that copy when
# the qdisc hands the frame to the driver, so the stamp is the frame's departure.
SHAPER_PROBE=$TSN/build/tests/tools/shaper_probe

# kl_probe_capture NS DEV MS OUT: capture probe frames on NS:DEV for MS ms in the
# background (CAPTURE_PID), once it is ready.
kl_probe_capture() {
	ip netns exec "$1" "$SHAPER_PROBE" capture --dev "$2" --port 7500 --duration "$3" --out "$4" \
		>"$KL_WORK/capture.txt" 2>&1 &
	CAPTURE_PID=$!
	lab_register_pid "$CAPTURE_PID"
	lab_wait_until 10 grep -q 'capture ready' "$KL_WORK/capture.txt" || kl_fail "capture did not start: $(kl_tail "$KL_WORK/capture.txt")"
}

# field LINE KEY: the word after KEY in LINE
field() {
	sed -n "s/.* $2 \([-0-9]*\).*/\1/p" <<<" $1" | head -n1
}

# Rate shaping (issue 17, 1).  veth's driver says 10 Gbit/s, where a class's hiCredit
# (maxInterference x idleSlope / R) is a few bytes: a watchdog late by more than
# hiCredit / idleSlope (about a microsecond) loses credit for good, and TCG's timers
# are late by tens to hundreds of microseconds.  A dummy device's driver reports no
# speed, so cbs and taprio both take 10 Mbit/s (the kernel's SPEED_10 default) and
# `link-speed: 10` gives tsnd the same rate: hiCredit = 305 and 343 B, i.e. 1.2 and
# 2.7 ms of lateness absorbed.  (A link-speed that differs from the kernel's would
# not do: cbs charges each frame len x sendslope / the driver's rate.)  Nothing
# serializes frames on a dummy device, so a frame's wait is the shaper's alone.
#   class 1: reservation 1 Mbit/s, a talker sending as fast as its socket lets it
#            (1000-byte frames): shaped to 1 Mbit/s;
#   class 2: reservation 2 Mbit/s, a frame of 242 bytes every 10 ms (0.19 Mbit/s):
#            never held, as class 0 (no shaper) next to it.
# taprio (6.1) charges its entry's byte budget (interval x link rate) at every peek
# of a queue, also when cbs then holds the frame back, so the entry is long (50 ms)
# and the reservations small next to the link, lest the budget run out first.
SHAPED_BPS=1000000
case_shaper_rate() {
	local cap=$KL_WORK/shaper.txt dump r1 d0 d2 rate lo hi n2 s2 pids p
	lab_ns_add sw
	ip -n sw link add name shp0 numtxqueues 8 numrxqueues 8 txqueuelen 1000 type dummy
	ip -n sw link set shp0 up
	ip -n sw addr add 10.77.0.1/24 dev shp0
	kl_config "$KL_WORK/case.yaml" "  - name: shp0
    link-speed: 10
    schedule:
      num-tc: 3
      map: [0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\", \"1@2\"]
      base-time: 1000000000
      entries:
        - { gates: [0-2], interval: 50ms }
      shapers:
        - { class: 1, idle-slope: 1Mbit }
        - { class: 2, idle-slope: 2Mbit }"
	kl_tsnd_start sw "$KL_WORK/case.yaml"
	# tsnd's numbers at 10 Mbit/s: class 2 the highest shaped class (interference 1522 B),
	# class 1 below it (ceil(1522 x 10 / 8) + 1522 = 3425 B)
	dump=$(kl_qdisc_json sw shp0 | jq -c '[.[] | select(.kind == "cbs") | [.parent, .options.idleslope, .options.sendslope, .options.hicredit, .options.locredit]] | sort')
	[[ $dump == '[["7473:2",1000,-9000,343,-1370],["7473:3",2000,-8000,305,-1218]]' ]] ||
		kl_fail "cbs on shp0: $dump"

	kl_probe_capture sw shp0 6500 "$cap"
	ip netns exec sw timeout 30 "$SHAPER_PROBE" send --dst 10.77.0.2 --port 7500 --prio 1 --size 958 \
		--duration 4000 --interval 0 >"$KL_WORK/send1.txt" 2>&1 &
	pids=($!)
	ip netns exec sw timeout 30 "$SHAPER_PROBE" send --dst 10.77.0.2 --port 7500 --prio 2 --size 200 \
		--duration 4000 --interval 10000 --relative >"$KL_WORK/send2.txt" 2>&1 &
	pids+=($!)
	ip netns exec sw timeout 30 "$SHAPER_PROBE" send --dst 10.77.0.2 --port 7500 --prio 0 --size 200 \
		--duration 4000 --interval 10000 --relative >"$KL_WORK/send0.txt" 2>&1 &
	pids+=($!)
	wait "$CAPTURE_PID" || kl_fail "capture failed: $(kl_tail "$KL_WORK/capture.txt")"
	for p in "${pids[@]}"; do
		wait "$p" || kl_fail "a sender failed: $(cat "$KL_WORK"/send[012].txt); $(ip netns exec sw tc -s qdisc show dev shp0 | tr '\n' ' ')"
	done
	r1=$("$SHAPER_PROBE" rate --in "$cap" --prio 1)
	d2=$("$SHAPER_PROBE" delay --in "$cap" --prio 2)
	d0=$("$SHAPER_PROBE" delay --in "$cap" --prio 0)
	kl_data "shaper class 1 (1 Mbit/s reserved, saturated): $(tr '\n' ' ' <<<"$r1")"
	kl_data "shaper class 2 (2 Mbit/s reserved, 0.19 used) $d2"
	kl_data "shaper class 0 (no shaper, 0.19 Mbit/s) $d0"
	kl_data "shaper senders: $(cat "$KL_WORK/send1.txt") | $(cat "$KL_WORK/send2.txt") | $(cat "$KL_WORK/send0.txt")"
	rate=$(field "$r1" rate_bps)
	(($(field "$r1" frames) >= 200)) || kl_fail "only $(field "$r1" frames) class-1 frames left: $r1"
	# Above: the credit bound, bytes <= idleSlope x span + hiCredit + a frame, is
	# 0.4 % over 3 s; 1 % allowed.  Below: see docs/shapers.md for the measurement.
	hi=$((SHAPED_BPS * 101 / 100))
	lo=$((SHAPED_BPS * SHAPER_RATE_MIN_PCT / 100))
	((rate <= hi)) || kl_fail "class 1 left at $rate bit/s, over its reservation $SHAPED_BPS (+1 %)"
	((rate >= lo)) || kl_fail "class 1 left at $rate bit/s, under ${SHAPER_RATE_MIN_PCT} % of its reservation $SHAPED_BPS"
	# class 2 under its reservation: every frame sent left, and none waited for credit
	s2=$(field "$(cat "$KL_WORK/send2.txt")" sent)
	n2=$(field "$d2" frames)
	((n2 == s2)) || kl_fail "class 2 sent $s2 frames, $n2 left"
	(($(field "$d2" p50) <= $(field "$d0" p50) + UNSHAPED_P50_SLACK_NS)) ||
		kl_fail "class 2's frames waited longer than class 0's (no shaper): $d2 / $d0"
	kl_tsnd_stop
}
SHAPER_RATE_MIN_PCT=60
UNSHAPED_P50_SLACK_NS=1000000

# Launch times (issue 17, 2): etf (delta 2 ms) under class 1; a talker with SO_TXTIME
# puts a launch time 8-9 ms ahead on every frame, on a 1 ms grid at 500 us into the
# cycle (taprio drops an SO_TXTIME frame whose launch time is outside its class's
# window), then 5 frames whose launch time has passed.  Software etf hands a frame
# to the driver once its launch time is less than delta away, and drops a frame it
# could not hand over by its launch time (the socket hears ECANCELED, "missed"), or
# whose time has passed when it comes (EINVAL, "invalid"): every frame sent either
# leaves inside [launch - delta, launch] or is reported.
ETF_DELTA_NS=2000000
ETF_LEAD_NS=8000000
case_launch_time_tx() {
	launch_time_run "      base-time: 1000000000
      entries:
        - { gates: [0-1], interval: 1ms }" 3000 5000
}

# launch_time_run SCHEDULE_KEYS SEND_MS CAPTURE_MS [reload]: swA with 2 classes,
# etf under class 1, SCHEDULE_KEYS (6 spaces indented) the rest of its schedule;
# with `reload`, swA exists and the running tsnd takes the schedule by a reload
# (a tsnd start costs about 19 s of the suite under emulation).
launch_time_run() {
	local cap=$KL_WORK/etf.txt sent past lt inv missed other early n drops ontime stale
	if [[ ${4:-} != reload ]]; then
		lab_ns_add sw
		lab_ns_add peer
		kl_ports sw peer swA
	fi
	ip -n sw addr add 10.78.0.1/24 dev swA
	ip -n sw neigh replace 10.78.0.2 lladdr "$(ip -n peer -j link show pswA | jq -r '.[0].address')" dev swA
	kl_config "$KL_WORK/case.yaml" "  - name: swA
    schedule:
      num-tc: 2
      map: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\"]
$1
      launch-time:
        - { class: 1, delta: $((ETF_DELTA_NS / 1000))us }"
	if [[ ${4:-} == reload ]]; then
		kl_run kl_tsnctl config reload
		((RC == 0)) || kl_fail "the reload to the launch-time schedule failed: $OUT $ERR"
	else
		kl_tsnd_start sw "$KL_WORK/case.yaml"
	fi
	[[ $(kl_qdisc_json sw swA | jq -c '[.[] | select(.kind == "etf") | [.parent, .options.delta]]') == "[[\"7473:2\",$ETF_DELTA_NS]]" ]] ||
		kl_fail "no etf under 7473:2: $(kl_qdisc_json sw swA)"

	kl_probe_capture sw swA "$3" "$cap"
	# (timeout: a sender whose frames never leave blocks on its full send buffer)
	kl_run ip netns exec sw timeout 30 "$SHAPER_PROBE" send --dst 10.78.0.2 --port 7500 --prio 1 --size 100 \
		--duration "$2" --interval 2000 --txtime $((ETF_LEAD_NS / 1000)) --period 1000 --phase 500 --past 5 --errwait 1000
	((RC == 0)) || kl_fail "sender failed ($RC): $ERR $OUT; $(ip netns exec sw tc -s qdisc show dev swA | tr '\n' ' ')"
	wait "$CAPTURE_PID" || kl_fail "capture failed: $(kl_tail "$KL_WORK/capture.txt")"
	lt=$("$SHAPER_PROBE" launch --in "$cap" --prio 1 --delta "$ETF_DELTA_NS")
	drops=$(kl_tc_json sw -s qdisc show dev swA | jq '[.[] | select(.kind == "etf")][0].drops')
	kl_data "launch-time sender: $OUT; etf drops $drops"
	kl_data "launch-time departure - launch time (ns): $lt"
	sent=$(field "$OUT" sent)
	past=$(field "$OUT" past)
	inv=$(field "$OUT" invalid)
	missed=$(field "$OUT" missed)
	other=$(field "$OUT" other)
	n=$(field "$lt" frames)
	early=$(field "$lt" early)
	ontime=$((sent - past))
	# the past ones are refused at enqueue, and so is a frame whose sender stalled
	# longer than the lead between taking the time and sending (under emulation)
	((inv >= past)) || kl_fail "$past frames were sent after their launch time, only $inv reported invalid: $OUT"
	((other == 0)) || kl_fail "other errors on the socket: $OUT"
	((n + missed + inv == sent)) ||
		kl_fail "$sent frames sent: $n left, $missed reported missed, $inv invalid ($OUT; $lt)"
	stale=$(awk -v s="$ontime" '$1 == 1 && $2 >= s' "$cap" | wc -l)
	((stale == 0)) || kl_fail "$stale of the frames whose launch time had passed left the port"
	((drops == inv + missed)) || kl_fail "etf counted $drops drops, the socket heard of $((inv + missed))"
	((early == 0)) || kl_fail "$early frames left before launch time - delta: $lt"
	# frozen gates (see docs/shapers.md) let none leave, all are reported missed
	((n * 100 >= ontime * ETF_LEFT_MIN_PCT)) ||
		kl_fail "only $n of $ontime frames left (at least $ETF_LEFT_MIN_PCT % expected): $OUT"
	kl_tsnd_stop
}
ETF_LEFT_MIN_PCT=25

# Rollback of changed children (issue 17, 3): tsnd built with fault injection fails
# the reload at its ptp step, after the schedules step has changed swA's children:
# class 1's etf gets another delta (etf has no change operation) and class 2's cbs
# becomes an etf (another kind under the same handle).  The rollback must give swA
# exactly the tree it had; the next reload of the same file installs the new one.
children_config() {
	local lt=$1 sh=$2
	kl_config "$KL_WORK/case.yaml" "  - name: swA
    schedule:
      num-tc: 3
      map: [0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\", \"1@2\"]
      base-time: 1000000000
      entries:
        - { gates: [0-2], interval: 1ms }
      launch-time:$lt${sh:+
      shapers:$sh}"
}

case_children_rollback() {
	local before after kids
	# shellcheck disable=SC2034 # kl_tsnd_start runs $TSND
	local TSND=$TSN/build/tests/tsnd-fault
	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer swA
	children_config "
        - { class: 1, delta: 300us }" "
        - { class: 2, idle-slope: 100Mbit }"
	export TSND_FAULT=ptp
	kl_tsnd_start sw "$KL_WORK/case.yaml"
	before=$(kl_qdisc_json sw swA | jq -S -c 'map(del(.refcnt)) | sort_by(.parent, .handle)')
	[[ $(jq '[.[] | select(.kind == "etf" or .kind == "cbs")] | length' <<<"$before") == 2 ]] ||
		kl_fail "not the etf and the cbs at start: $before"
	children_config "
        - { class: 1, delta: 500us }
        - { class: 2, delta: 200us }" ""
	kl_run kl_tsnctl config reload
	((RC == 1)) || kl_fail "the reload exited $RC, expected 1: $OUT $ERR"
	grep -q "fault injected at step ptp" <<<"$OUT$ERR" || kl_fail "no fault named: $OUT $ERR"
	after=$(kl_qdisc_json sw swA | jq -S -c 'map(del(.refcnt)) | sort_by(.parent, .handle)')
	[[ $before == "$after" ]] || kl_fail "the rollback left swA's qdiscs changed: $(kl_json_diff "$before" "$after")"
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "the reload after the fault failed: $OUT $ERR"
	kids=$(kl_qdisc_json sw swA | jq -c '[.[] | select(.kind == "etf" or .kind == "cbs") | [.parent, .kind, .options.delta]] | sort')
	[[ $kids == '[["7473:2","etf",500000],["7473:3","etf",200000]]' ]] || kl_fail "after the second reload: $kids"
	unset TSND_FAULT
	kl_tsnd_stop
}

# ---- mode mqprio: shapers and launch time without gates (issue 17) ------------------

# mq_port NAME LAYOUT CHILDREN: a port block with mode mqprio, 3 classes; LAYOUT
# is its queues, CHILDREN its shapers/launch-time keys (6 spaces indented).
mq_port() {
	printf '  - name: %s\n    schedule:\n      mode: mqprio\n      num-tc: 3\n' "$1"
	printf '      map: [0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n      queues: [%s]\n%s\n' "$2" "$3"
}
MQ_KIDS='      launch-time:
        - { class: 1, delta: 300us }
      shapers:
        - { class: 2, idle-slope: 100Mbit }'
# an etf with offload, which veth cannot do: the kernel refuses it in the
# schedules step, after the ports before swB were changed
MQ_BAD=$(mq_port swB '"1@0", "1@1", "1@2"' '      launch-time:
        - { class: 1, delta: 300us, offload: true }')

mq_tree() {
	kl_qdisc_json sw "$1" | jq -S -c 'map(del(.refcnt)) | sort_by(.parent, .handle)'
}

# The tree tsnd builds equals tc's from the same numbers (cbs at veth's 10 Gbit/s
# as in case_shapers); two reloads the kernel refuses on swB give swA its tree
# back exactly — one that changes only the children under the kept mqprio (etf's
# delta, cbs -> etf), one that changes the layout (delete-then-create); a changed
# child is drift until a reload; taprio <-> mqprio by reload; removing the
# schedule gives swA its root from before tsnd.  Then launch_time_tx's checks with
# the etf under mqprio (issue 17, 2), sending for 1.2 s, in the same tsnd.
case_mqprio_tree() {
	local cfg=$KL_WORK/case.yaml pre a b before after k
	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer swA swB
	pre=$(mq_tree swA)
	kl_config "$cfg" "$(mq_port swA '"1@0", "1@1", "1@2"' "$MQ_KIDS")"
	kl_tsnd_start sw "$cfg"
	kl_run ip netns exec sw tc qdisc replace dev swB root handle 7473: mqprio num_tc 3 \
		map 0 1 2 0 0 0 0 0 0 0 0 0 0 0 0 0 queues 1@0 1@1 1@2 hw 0
	((RC == 0)) || kl_fail "tc refused the mqprio: $ERR"
	kl_run ip netns exec sw tc qdisc replace dev swB parent 7473:2 handle 7481: etf clockid CLOCK_TAI delta 300000
	((RC == 0)) || kl_fail "tc refused the etf: $ERR"
	kl_run ip netns exec sw tc qdisc replace dev swB parent 7473:3 handle 7482: cbs idleslope 100000 \
		sendslope -9900000 hicredit 16 locredit -1507
	((RC == 0)) || kl_fail "tc refused the cbs: $ERR"
	a=$(mq_tree swA)
	b=$(mq_tree swB)
	[[ $(jq -r '[.[] | select(.root)][0].kind' <<<"$a") == mqprio ]] || kl_fail "no mqprio root on swA: $a"
	[[ $a == "$b" ]] || kl_fail "tsnd's mqprio tree differs from tc's: $(kl_json_diff "$b" "$a")"
	kl_run kl_tsnctl -j schedule show
	k=$(jq -c '.ports[0] | [.state, .kernel.kind, .kernel.handle, (.kernel.queues | join(" ")), (.children | length)]' <<<"$OUT")
	[[ $k == '["applied","mqprio","7473:","1@0 1@1 1@2",2]' ]] || kl_fail "schedule show: $k"
	ip netns exec sw tc qdisc del dev swB root

	# refused reloads: swA's children only, then swA's layout
	before=$(mq_tree swA)
	b=$(mq_tree swB)
	for k in '"1@0", "1@1", "1@2"' '"1@0", "1@1", "2@2"'; do
		kl_config "$cfg" "$(mq_port swA "$k" '      launch-time:
        - { class: 1, delta: 500us }
        - { class: 2, delta: 200us }')
$MQ_BAD"
		kl_run kl_tsnctl config reload
		((RC == 1)) || kl_fail "the reload ($k) exited $RC, expected 1: $OUT $ERR"
		grep -q "port swB: the kernel refused the etf qdisc under 7473:2" <<<"$OUT$ERR" ||
			kl_fail "not the kernel refusing the etf: $OUT $ERR"
		grep -q "the ports changed before were restored" <<<"$OUT$ERR" || kl_fail "no rollback said: $OUT $ERR"
		after=$(mq_tree swA)
		[[ $before == "$after" ]] || kl_fail "the rollback ($k) left swA changed: $(kl_json_diff "$before" "$after")"
		[[ $b == "$(mq_tree swB)" ]] || kl_fail "the rollback ($k) left swB changed: $(mq_tree swB)"
	done

	# a changed child is drift; a reload applies the schedule again
	ip netns exec sw tc qdisc replace dev swA parent 7473:3 handle 7482: cbs idleslope 50000 \
		sendslope -9950000 hicredit 16 locredit -1507
	kl_run kl_tsnctl -j schedule show
	k=$(jq -c '.ports[0] | [.state, .drift]' <<<"$OUT")
	[[ $k == '["drift",["cbs under 7473:3: idleslope 100000 -> 50000, sendslope -9900000 -> -9950000"]]' ]] || kl_fail "after a hand change: $k"
	ip netns exec sw tc qdisc del dev swA root
	kl_run kl_tsnctl -j schedule show
	k=$(jq -c '.ports[0] | [.state, .drift[0]]' <<<"$OUT")
	[[ $k == '["drift","the root qdisc is noqueue 0:, not the mqprio 7473: tsnd applied"]' ]] ||
		kl_fail "after the mqprio was deleted: $k"
	kl_config "$cfg" "$(mq_port swA '"1@0", "1@1", "1@2"' "$MQ_KIDS")"
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "the reload after drift failed: $OUT $ERR"
	[[ $(mq_tree swA) == "$before" ]] || kl_fail "the reload did not restore the tree: $(kl_json_diff "$before" "$(mq_tree swA)")"

	# taprio and back: delete-then-create, logged
	kl_config "$cfg" "  - name: swA
    schedule:
      num-tc: 3
      map: [0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\", \"1@2\"]
      entries:
        - { gates: [0-2], interval: 1ms }
$MQ_KIDS"
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "the reload to taprio failed: $OUT $ERR"
	[[ $(kl_root_qdisc sw swA | jq -r .kind) == taprio ]] || kl_fail "no taprio after the reload: $(mq_tree swA)"
	grep -q "replacing root mqprio 7473:" "$KL_WORK/tsnd.log" || kl_fail "the rebuild is not logged"
	kl_config "$cfg" "$(mq_port swA '"1@0", "1@1", "1@2"' "$MQ_KIDS")"
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "the reload back to mqprio failed: $OUT $ERR"
	[[ $(mq_tree swA) == "$before" ]] || kl_fail "back to mqprio: $(kl_json_diff "$before" "$(mq_tree swA)")"

	# the schedule removed: the root from before tsnd
	kl_config "$cfg" "  - name: swA"
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "the reload without a schedule failed: $OUT $ERR"
	[[ $(mq_tree swA) == "$pre" ]] || kl_fail "after the schedule went: $(kl_json_diff "$pre" "$(mq_tree swA)")"

	launch_time_run "      mode: mqprio" 1200 2800 reload
	# tsnd stopped (no keep-on-exit): the root from before tsnd again
	[[ $(mq_tree swA) == "$pre" ]] || kl_fail "after tsnd stopped: $(kl_json_diff "$pre" "$(mq_tree swA)")"
}

CASES=(one_entry three_entries eight_classes entries_128 entries_256 set_and_hold set_and_release
	max_sdu txtime_assist txtime_shared_queues cycle_extension cycle_longer base_auto base_future
	clock_realtime shapers launch_time children_rollback launch_time_tx shaper_rate mqprio_tree)

# lab.cases=a,b on the kernel command line (run.sh --append) runs only those cases.
only=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^lab\.cases=//p' | tail -n1)
[[ -z $only ]] || IFS=, read -ra CASES <<<"$only"

for c in "${CASES[@]}"; do
	t0=$SECONDS
	kl_test "schedule-${c//_/-}" "case_$c"
	kl_info "schedule-${c//_/-}: $((SECONDS - t0)) s"	# each case's share of the suite's time
	rm -f "$KL_WORK/tsnd.log"
done
