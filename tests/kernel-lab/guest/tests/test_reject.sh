#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_reject.sh — issue 3, 6b: schedules tsnd rejects never reach the kernel;
# schedules only the kernel rejects come back with the kernel's own message; a
# refused change leaves every port as it was.
#
# "Never reach the kernel" is observed two ways: the qdisc dump is unchanged, and
# `tc monitor` (which prints every qdisc the kernel adds, changes or deletes) sees
# nothing while tsnd handles the reload.  The kernel's own message is what
# iproute2 prints for the same request (`Error: TEXT.`): tsnd's answer must hold
# TEXT verbatim.
. /tsn/tests/kernel-lab/guest/lib.sh

GOOD="      num-tc: 2
      map: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\"]
      base-time: 1000000000
      entries:
        - { gates: [0], interval: 500us }
        - { gates: [1], interval: 500us }"

# port NAME SCHEDULE_YAML: a ports[] item (schedule optional).
port() {
	echo "  - name: $1"
	[[ -n ${2:-} ]] && printf '    schedule:\n%s\n' "$2"
	return 0
}

# with_good_tsnd: swA and swB; tsnd running with GOOD on swA and nothing on swB.
with_good_tsnd() {
	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer swA swB
	kl_config "$KL_WORK/good.yaml" "$(port swA "$GOOD")
$(port swB)"
	cp "$KL_WORK/good.yaml" "$KL_WORK/tsnd.yaml"
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	[[ $(kl_root_qdisc sw swA | jq -r .kind) == taprio ]] || kl_fail "tsnd did not put taprio on swA"
}

# snapshot: the qdiscs of swA and swB as one JSON object: what kl_qdisc_json and
# kl_normalize give for each, from one dump of the namespace (whose objects name
# their device, which a dump of one device leaves out); 4 programs, not 9, as
# each program start costs a few hundred ms under TCG.
snapshot() {
	kl_tc_json sw qdisc show | jq -c -S '{swA: map(select(.dev == "swA") | del(.refcnt, .dev)),
		swB: map(select(.dev == "swB") | del(.refcnt, .dev))}'
}

# monitor_start / monitor_stop: record qdisc events in namespace sw.
monitor_start() {
	: >"$KL_WORK/monitor"
	lab_spawn MON_PID sw tc monitor >"$KL_WORK/monitor" 2>&1
	sleep 0.3
}

monitor_stop() {
	sleep 0.3
	lab_stop_pid "$MON_PID" 3 || true
	grep -v '^$' "$KL_WORK/monitor" || true
}

# reload_with SWA_SCHEDULE SWB_SCHEDULE: write the config tsnd reads, reload;
# RC, OUT, ERR hold tsnctl's result.
reload_with() {
	kl_config "$KL_WORK/tsnd.yaml" "$(port swA "$1")
$(port swB "${2:-}")"
	kl_run kl_tsnctl config reload
}

# ---- rejected by tsnd ---------------------------------------------------------------

# tsnd_rejects NAME FIELD_REGEX SCHEDULE_YAML: the reload is refused as an invalid
# configuration naming the field, and nothing reaches the kernel.
tsnd_rejects() {
	local what=$1 field=$2 sched=$3 before after events
	before=$(snapshot)
	monitor_start
	reload_with "$sched"
	events=$(monitor_stop)
	((RC == 5)) || kl_fail "$what: tsnctl config reload exited $RC, expected 5 (config invalid); $OUT $ERR"
	grep -Eq -- "$field" <<<"$OUT$ERR" || kl_fail "$what: the error does not name $field: $OUT $ERR"
	[[ -z $events ]] || kl_fail "$what: the kernel saw qdisc changes: $events"
	after=$(snapshot)
	[[ $before == "$after" ]] || kl_fail "$what: the qdiscs changed"
	kl_info "$what: $(grep -m1 -E -- "$field" <<<"$OUT$ERR")"
}

test_tsnd_rejects() {
	with_good_tsnd
	tsnd_rejects "gate beyond num-tc" 'entries\[1\]\.gates' "${GOOD/gates: \[1\]/gates: [3]}"
	tsnd_rejects "map beyond num-tc" 'map' "${GOOD/map: \[0, 1,/map: [0, 5,}"
	tsnd_rejects "overlapping queues" 'queues' "${GOOD/\"1@1\"/\"2@0\"}"
	tsnd_rejects "cycle shorter than the intervals" 'cycle-time' "$GOOD
      cycle-time: 900us"
	tsnd_rejects "txtime-delay without txtime-assist" 'txtime-delay' "$GOOD
      txtime-delay: 100us"
	tsnd_rejects "interval below a minimum frame" 'entries\[0\]\.interval' "${GOOD/interval: 500us/interval: 20ns}"
	tsnd_rejects "empty gate list" 'entries' "      num-tc: 2
      map: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\"]
      entries: []"
	kl_run kl_tsnctl -j status
	[[ $(jq -r .config.generation <<<"$OUT") == 1 ]] || kl_fail "the generation moved: $OUT"
}

# tsnd refuses to start with an invalid schedule and the port keeps no qdisc.
test_tsnd_rejects_at_start() {
	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer swA
	local before after
	before=$(kl_qdisc_json sw swA | kl_normalize)
	kl_config "$KL_WORK/bad.yaml" "$(port swA "${GOOD/gates: \[1\]/gates: [2]}")"
	kl_run ip netns exec sw timeout 30 "$TSND" -f --stderr -c "$KL_WORK/bad.yaml"
	((RC != 0)) || kl_fail "tsnd started with an invalid schedule"
	grep -q 'entries\[1\]\.gates' <<<"$ERR" || kl_fail "tsnd's error does not name the field: $ERR"
	after=$(kl_qdisc_json sw swA | kl_normalize)
	[[ $before == "$after" ]] || kl_fail "the qdisc changed: $after"
}

# ---- rejected by the kernel only ----------------------------------------------------

# What only the kernel refuses: an entry shorter than the kernel's own minimum.
# tsnd checks intervals against a minimum frame at the port's link speed, and
# `link-speed: 100000` (Mbit/s) makes 20 ns pass its check (84 B take 6.7 ns at
# 100 Gbit/s); the kernel computes with the speed the driver reports (veth: 10
# Gbit/s, 60 B take 48 ns) and refuses.  (A new taprio does not know the speed
# yet when it checks; a running one does, so the port runs a schedule first.)
FAST_PORT="
    link-speed: 100000"
SHORT="${GOOD/interval: 500us/interval: 20ns}"

# kernel_text TC_ARGS...: what the kernel tells iproute2 when a running taprio on
# a scratch port swC is changed this way, without tc's "Error: " and final period.
kernel_text() {
	ip netns exec sw tc qdisc replace dev swC parent root handle 9999: taprio num_tc 2 \
		map 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 queues 1@0 1@1 base-time 1000000000 \
		sched-entry S 01 500000 sched-entry S 02 500000 clockid CLOCK_TAI
	kl_run ip netns exec sw tc qdisc replace dev swC parent root handle 9999: taprio "$@"
	((RC != 0)) || kl_fail "tc: the kernel accepted what should be refused: $*"
	sed -n 's/^Error: \(sch_taprio: \)\{0,1\}\(.*\)$/\2/p' <<<"$ERR" | sed 's/\.$//' | head -n1
}

# reload_ports SWA_SCHEDULE SWB_SCHEDULE: like reload_with, swB at 100 Gbit/s.
reload_ports() {
	kl_config "$KL_WORK/tsnd.yaml" "$(port swA "$1")
$(port "swB$FAST_PORT" "$2")"
	kl_run kl_tsnctl config reload
}

# start_ports SWA_SCHEDULE: tsnd with SWA_SCHEDULE (may be empty) on swA, GOOD on
# swB (at 100 Gbit/s); swC is for tc.
start_ports() {
	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer swA swB swC
	kl_config "$KL_WORK/tsnd.yaml" "$(port swA "$1")
$(port "swB$FAST_PORT" "$GOOD")"
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	[[ $(kl_root_qdisc sw swB | jq -r .kind) == taprio ]] || kl_fail "tsnd did not put taprio on swB"
}

test_kernel_rejects() {
	local text before after
	start_ports "$GOOD"
	text=$(kernel_text num_tc 2 map 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 queues 1@0 1@1 \
		base-time 1000000000 sched-entry S 01 20 sched-entry S 02 500000 clockid CLOCK_TAI)
	[[ -n $text ]] || kl_fail "tc printed no kernel message: $ERR"
	kl_info "kernel says: $text"
	before=$(snapshot)
	reload_ports "$GOOD" "$SHORT"
	((RC == 1)) || kl_fail "tsnctl config reload exited $RC, expected 1 (apply-failed); $OUT $ERR"
	grep -qF -- "$text" <<<"$OUT$ERR" || kl_fail "tsnd's answer lacks the kernel's text '$text': $OUT $ERR"
	kl_info "tsnd says: $(grep -m1 -F -- "$text" <<<"$OUT$ERR")"
	after=$(snapshot)
	[[ $before == "$after" ]] || kl_fail "a port changed after the refused reload: $(kl_json_diff "$before" "$after")"
	kl_run kl_tsnctl -j status
	[[ $(jq -r .config.generation <<<"$OUT") == 1 ]] || kl_fail "the generation moved: $OUT"
}

# Transactional across ports: swA gets a new schedule, swB's is refused by the
# kernel; afterwards both hold exactly what they had.  Once with a taprio on swA
# (it must get its old schedule back), once with none (it must get its default
# qdisc back).
rollback_case() {
	local before after
	start_ports "$1"
	before=$(snapshot)
	monitor_start
	reload_ports "${GOOD/interval: 500us/interval: 700us}" "$SHORT"
	monitor_stop >/dev/null
	((RC == 1)) || kl_fail "tsnctl config reload exited $RC, expected 1 (apply-failed); $OUT $ERR"
	# The first port was really changed before the second failed (else nothing
	# was rolled back and this proves little).
	grep -q 'dev swA ' "$KL_WORK/monitor" || kl_fail "swA was not touched during the reload: $(kl_tail "$KL_WORK/monitor")"
	after=$(snapshot)
	[[ $before == "$after" ]] || kl_fail "the ports did not get back what they had: $(kl_json_diff "$before" "$after")"
}

test_rollback_schedule() { rollback_case "$GOOD"; }
test_rollback_no_qdisc() { rollback_case ""; }

kl_test reject-tsnd-invalid test_tsnd_rejects
kl_test reject-tsnd-invalid-at-start test_tsnd_rejects_at_start
kl_test reject-kernel-message test_kernel_rejects
kl_test reject-rollback-schedule test_rollback_schedule
kl_test reject-rollback-no-qdisc test_rollback_no_qdisc
