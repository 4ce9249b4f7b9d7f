#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_admin_oper.sh — issue 3, 6c: changing the schedule of a running port goes
# through the kernel's admin/oper path, not delete-and-add.
#
# tsnd runs schedule S1 on swA (traffic has gone through it).  The file is changed
# to S2 with `base-time: auto` (lead 5 s: on a loaded host the reload alone once
# took 1.3 s and the checks after it ate the rest of a 3 s lead) and reloaded.
# Until S2's base time the dump must show S1 as the operational schedule and S2 as the admin schedule;
# after it, S2 alone.  Throughout, the root qdisc keeps its handle and its byte
# and packet counters keep counting up (a deleted and re-added qdisc starts from
# zero), and `tc monitor` sees no qdisc deleted.
. /tsn/tests/kernel-lab/guest/lib.sh

sched() {
	# sched I1 I2 [BASE-TIME-LINES]: a two-class schedule with these intervals (us).
	printf '%s\n' "      num-tc: 2
      map: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\"]
${3:-      base-time: 1000000000}
      entries:
        - { gates: [0], interval: $1us }
        - { gates: [1], interval: $2us }"
}

write_config() {
	kl_config "$KL_WORK/tsnd.yaml" "  - name: swA
    schedule:
$1"
}

# intervals JSON PATH: the schedule's intervals at PATH (e.g. .options), "a b".
intervals() {
	jq -r "[$2.schedule[]?.interval] | map(tostring) | join(\" \")" <<<"$1"
}

root_stats() {
	kl_tc_json sw -s qdisc show dev swA | jq -c '[.[] | select(.root == true)][0]'
}

test_admin_to_oper() {
	local r0 r1 r2 h0 t0 t1 bt cycle now
	lab_ns_add sw
	lab_ns_add peer
	kl_ports sw peer swA
	lab_addr sw swA 2001:db8:77::1/64
	lab_addr peer pswA 2001:db8:77::2/64
	ip -n sw -6 neigh replace 2001:db8:77::2 lladdr "$(ip -n peer -j link show pswA | jq -r '.[0].address')" dev swA

	write_config "$(sched 500 500)"
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	ip netns exec sw "$GATE_PROBE" talk --dst 2001:db8:77::2 --port 9 --prio 0,1 --interval 2000 --duration 300 >/dev/null
	r0=$(root_stats)
	h0=$(jq -r .handle <<<"$r0")
	[[ $(jq -r .kind <<<"$r0") == taprio ]] || kl_fail "no taprio on swA: $r0"
	(($(jq -r .packets <<<"$r0") > 0)) || kl_fail "no traffic went through the qdisc: $r0"

	lab_spawn MON_PID sw tc monitor >"$KL_WORK/monitor" 2>&1
	write_config "$(sched 300 700 "      base-time: auto
      base-time-lead: 5s")"
	t0=$(kl_now tai)
	kl_run kl_tsnctl config reload
	t1=$(kl_now tai)
	((RC == 0)) || kl_fail "reload failed ($RC): $OUT $ERR"
	ip netns exec sw "$GATE_PROBE" talk --dst 2001:db8:77::2 --port 9 --prio 0,1 --interval 2000 --duration 200 >/dev/null

	r1=$(root_stats)
	now=$(kl_now tai)
	bt=$(jq -r '.options.admin.base_time // empty' <<<"$r1")
	[[ -n $bt ]] || kl_fail "right after the reload the dump has no admin schedule: $r1"
	((now < bt)) || kl_fail "the check came too late: now $now is past the new base time $bt (reload took $(((t1 - t0) / 1000000)) ms)"
	[[ $(intervals "$r1" .options) == "500000 500000" ]] ||
		kl_fail "operational schedule before the base time is not S1: $(intervals "$r1" .options)"
	[[ $(intervals "$r1" .options.admin) == "300000 700000" ]] ||
		kl_fail "admin schedule is not S2: $(intervals "$r1" .options.admin)"
	cycle=$(jq -r .options.admin.cycle_time <<<"$r1")
	((bt % cycle == 0 && bt >= t0 + 5000000000 && bt < t1 + 5000000000 + cycle)) ||
		kl_fail "auto base time $bt is not the first cycle boundary 5 s after the reload"
	[[ $(jq -r .handle <<<"$r1") == "$h0" ]] || kl_fail "handle changed: $h0 -> $(jq -r .handle <<<"$r1")"
	(($(jq -r .packets <<<"$r1") > $(jq -r .packets <<<"$r0"))) ||
		kl_fail "packet counter did not grow across the change (reset by delete-and-add?): $(jq -r .packets <<<"$r0") -> $(jq -r .packets <<<"$r1")"
	kl_data "admin-oper: admin schedule pending $(((bt - now) / 1000000)) ms after the reload answered; reload took $(((t1 - t0) / 1000000)) ms"

	# Past the new base time: S2 is operational, no admin schedule is left.
	# (The checks above may have used up the wait already: each program start
	# costs a few hundred ms under emulation.)
	now=$(kl_now tai)
	local wait_ms=$(((bt - now) / 1000000 + 300))
	((wait_ms <= 0)) || sleep "$((wait_ms / 1000)).$(printf '%03d' $((wait_ms % 1000)))"
	ip netns exec sw "$GATE_PROBE" talk --dst 2001:db8:77::2 --port 9 --prio 0,1 --interval 2000 --duration 200 >/dev/null
	r2=$(root_stats)
	[[ $(intervals "$r2" .options) == "300000 700000" ]] ||
		kl_fail "after the base time the operational schedule is not S2: $(intervals "$r2" .options)"
	[[ $(jq -r '.options.admin // "none"' <<<"$r2") == none ]] || kl_fail "an admin schedule is still pending: $r2"
	[[ $(jq -r .options.base_time <<<"$r2") == "$bt" ]] || kl_fail "operational base time is not $bt: $r2"
	[[ $(jq -r .handle <<<"$r2") == "$h0" ]] || kl_fail "handle changed: $h0 -> $(jq -r .handle <<<"$r2")"
	(($(jq -r .packets <<<"$r2") > $(jq -r .packets <<<"$r1"))) || kl_fail "packet counter did not grow"
	lab_stop_pid "$MON_PID" 3 || true
	! grep -qi 'deleted' "$KL_WORK/monitor" || kl_fail "tc monitor saw a qdisc deleted: $(kl_tail "$KL_WORK/monitor")"
	kl_run kl_tsnctl -j status
	[[ $(jq -r .config.generation <<<"$OUT") == 2 ]] || kl_fail "generation is not 2 after one reload: $OUT"
}

kl_test admin-to-oper test_admin_to_oper
