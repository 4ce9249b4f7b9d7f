#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_smoke.sh — the lab itself works: taprio and friends are loaded, multi-queue
# veth pairs come up in namespaces, iproute2 talks taprio, tsnd starts.
. /tsn/tests/kernel-lab/guest/lib.sh

smoke_modules() {
	local m missing=()
	for m in sch_taprio sch_mqprio sch_etf sch_cbs veth 8021q act_gate cls_flower; do
		grep -q "^$m " /proc/modules || missing+=("$m")
	done
	((${#missing[@]} == 0)) || kl_fail "modules not loaded: ${missing[*]}"
}

smoke_taprio_tc() {
	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer swA
	ip netns exec sw tc qdisc replace dev swA parent root handle 100 taprio num_tc 2 \
		map 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 queues 1@0 1@1 base-time 0 \
		sched-entry S 01 500000 sched-entry S 02 500000 clockid CLOCK_TAI
	local j
	j=$(kl_root_qdisc sw swA)
	kl_info "taprio: $j"
	[[ $(jq -r .kind <<<"$j") == taprio ]] || kl_fail "root qdisc is not taprio: $j"
}

# The lab's JSON comparisons see a 1 ns difference in a 19-digit base time (jq 1.6
# alone rounds both to the same double).
smoke_exact_ints() {
	local a='[{"kind":"taprio","options":{"base_time":1733000000467123457,"x":[1733000000467123457,1]}}]'
	local b='[{"kind":"taprio","options":{"base_time":1733000000467123458,"x":[1733000000467123457,1]}}]'
	local na nb
	na=$(kl_exact_ints <<<"$a" | kl_normalize)
	nb=$(kl_exact_ints <<<"$b" | kl_normalize)
	[[ $na != "$nb" ]] || kl_fail "base times 1 ns apart compare equal: $na"
	[[ $(jq -r '.[0].options.base_time' <<<"$na") == 1733000000467123457 ]] ||
		kl_fail "base time not kept to the nanosecond: $na"
	[[ $(jq -r '.[0].options.x[0]' <<<"$na") == 1733000000467123457 ]] ||
		kl_fail "an integer inside an array is not kept: $na"
	# What jq 1.6 does without it, so this test shows why the step exists.
	[[ $(jq -c . <<<"$a") == $(jq -c . <<<"$b") ]] &&
		kl_info "jq alone: the two base times compare equal (doubles)"
	return 0
}

smoke_tsnd() {
	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer swA
	kl_config "$KL_WORK/smoke.yaml" "  - name: swA"
	kl_tsnd_start sw "$KL_WORK/smoke.yaml"
	kl_run kl_tsnctl status
	((RC == 0)) || kl_fail "tsnctl status exited $RC: $ERR"
}

kl_test smoke-modules smoke_modules
kl_test smoke-taprio-tc smoke_taprio_tc
kl_test smoke-exact-ints smoke_exact_ints
kl_test smoke-tsnd smoke_tsnd
