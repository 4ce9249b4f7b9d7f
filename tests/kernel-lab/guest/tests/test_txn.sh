#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_txn.sh — issue 12, item 1: the configuration transaction with taprio.
# tsnd built with -DTSN_FAULT_INJECTION (build/tests/tsnd-fault) fails the first
# reload at one step of its table (TSND_FAULT=STEP); for every step, the reload
# that changes swA's schedule and gives swB one fails, and both ports' qdiscs are
# exactly as before — also for the steps after the schedules, whose failure must
# revert taprio — and the next reload of the same file puts the new schedules in.
# The host's test_txn.sh checks the other kernel objects; the host has no taprio.
. /tsn/tests/kernel-lab/guest/lib.sh

TSND=$TSN/build/tests/tsnd-fault
STEPS=(daemon access metrics routes dataplane schedules ptp telemetry)

sched() {
	echo "      num-tc: 2
      map: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\"]
      base-time: 1000000000
      entries:
        - { gates: [0], interval: $1 }
        - { gates: [1], interval: 500us }"
}

# write_config A|B: A: swA with a 500 us entry, swB none; B: 300 us on swA, swB too.
write_config() {
	if [[ $1 == A ]]; then
		kl_config "$KL_WORK/tsnd.yaml" "  - name: swA
    schedule:
$(sched 500us)
  - name: swB"
	else
		kl_config "$KL_WORK/tsnd.yaml" "  - name: swA
    schedule:
$(sched 300us)
  - name: swB
    schedule:
$(sched 400us)"
	fi
}

snapshot() {
	jq -n -c -S --argjson a "$(kl_qdisc_json sw swA | kl_normalize)" \
		--argjson b "$(kl_qdisc_json sw swB | kl_normalize)" '{swA: $a, swB: $b}'
}

fault_at() {
	local step=$1 before after
	write_config A
	export TSND_FAULT=$step
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	[[ $(kl_root_qdisc sw swA | jq -r .kind) == taprio ]] || kl_fail "$step: no taprio on swA at start"
	before=$(snapshot)
	write_config B
	kl_run kl_tsnctl config reload
	((RC == 1)) || kl_fail "$step: the reload exited $RC, expected 1: $OUT $ERR"
	grep -q "fault injected at step $step" <<<"$OUT$ERR" || kl_fail "$step: no fault named: $OUT $ERR"
	after=$(snapshot)
	[[ $before == "$after" ]] || kl_fail "$step: the qdiscs changed: $(kl_json_diff "$before" "$after")"
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "$step: the next reload failed: $OUT $ERR $(kl_tail "$KL_TSND_LOG" 6)"
	[[ $(kl_root_qdisc sw swB | jq -r .kind) == taprio ]] || kl_fail "$step: the good reload put no taprio on swB"
	[[ $(snapshot) != "$before" ]] || kl_fail "$step: the good reload changed no qdisc"
	kl_tsnd_stop
	unset TSND_FAULT
	kl_info "txn: a failure at step $step left both ports' qdiscs as they were"
}

test_txn() {
	local s
	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer swA swB
	for s in "${STEPS[@]}"; do
		fault_at "$s"
	done
}

kl_test txn test_txn
