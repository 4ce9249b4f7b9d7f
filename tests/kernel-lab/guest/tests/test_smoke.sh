#!/usr/bin/env bash
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
kl_test smoke-tsnd smoke_tsnd
