#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_flood_sched.sh — issue 6: a flood that claims a scheduled priority does not
# harm a protected stream through a real gate schedule.
#
#   talker:t0 ── sw0p1 ┐                         (taprio)
#   rogue:r0  ── sw0p3 ┤ [sw: tsnd, XDP + tc] sw0p2 ──── listener:l0
#   unknown:u0 ─ sw0p4 ┘
#
# sw0p2 runs a 10 ms cycle: class 1 (priority 6) open for 9 ms and closed for 1 ms,
# class 0 (everything else) always open, so priority 6 is a scheduled priority.
#   - protected: stream 10 from the talker, priority 6 (lat6, 1 kHz, one-way latency);
#   - rogue: stream 20, a KNOWN stream with a 1 Mbit/s flow meter, flooded at about
#     17 Mbit/s (1400-byte datagrams): the meter drops the excess (red);
#   - unknown: datagrams that match no stream but carry DSCP 46, which the
#     classification maps to priority 6: sw0p4's unmatched-priority policy drops
#     them (drop) or moves them to the default priority 0 (demote).
# Checks: a control with unmatched-priority: pass shows the unknown frames really
# land in class 6 of their port (to the qdisc), so the policy is what keeps them
# out; with drop, they are dropped (class 6 drops on sw0p4), with demote they are
# counted in class 0 and none in class 6; the meter marks the known stream's excess
# red; the protected stream loses nothing with either flood; its latency
# percentiles without and with the floods are printed and compared (tolerance
# below).
. /tsn/tests/kernel-lab/guest/lib.sh

LAT6=$TSN/build/tests/tools/lat6
UDP6=$TSN/build/tests/tools/udp6
N_PROT=1000		# protected datagrams per run, 1 per ms
# Latency tolerance (with flood vs without, same boot): p50 and p90 at most 3x the
# figure without the flood plus 2 ms.  Why so loose: under TCG the two vCPUs are
# shared by the protected talker (lat6 busy-waits for its pacing), the listener,
# two flooding senders and the XDP program that drops or demotes every flood frame
# in softirq, so a flooded run pays for CPU time the unflooded one does not; and
# the gate's 1 ms closed window already spreads the figures by up to 1 ms.  What
# the bound still catches is what a flood that reached the protected class would
# do: on taprio's class 1 queue (1000 frames of pfifo) behind ~1.5 kpps of
# flood frames per closed window, and a full queue loses frames, which the
# no-loss check catches exactly.  p99/max are printed, not judged (a single vCPU
# stall under TCG moves them by tens of ms).
LAT_FACTOR=3
LAT_SLACK_NS=2000000

config() {
	kl_config "$KL_WORK/tsnd.yaml" "  - name: sw0p1
    xdp: generic
  - name: sw0p3
    xdp: generic
  - name: sw0p4
    xdp: generic
    unmatched-priority: $1
  - name: sw0p2
    xdp: generic
    schedule:
      num-tc: 2
      map: [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      queues: [\"1@0\", \"1@1\"]
      base-time: auto
      base-time-lead: 1s
      entries:
        - { gates: [0, 1], interval: 9ms }
        - { gates: [0], interval: 1ms }"
	cat >>"$KL_WORK/tsnd.yaml" <<CFG
classification:
  dscp:
    - { dscp: 46, priority: 6 }
flow-meters:
  - { name: contract, cir: 1Mbit, cbs: 3000B }
stream-filters:
  - { name: rogue-contract, max-sdu: 1522, meter: contract }
streams:
  - { id: 10, name: protected, identification: ipv6, dst: "2001:db8:76::1", next-header: 17,
      dst-port: 5000, priority: 6 }
  - { id: 20, name: rogue, identification: ipv6, dst: "2001:db8:76::1", next-header: 17,
      dst-port: 6000, priority: 6, filter: rogue-contract }
CFG
}

# cls PORT CLASS FIELD: a class counter of PORT (class stats -j).
cls() {
	kl_run kl_tsnctl -j class stats "$1"
	((RC == 0)) || kl_fail "class stats $1: $ERR"
	jq -r ".ports[0].classes[$2].$3" <<<"$OUT"
}

# qdisc_fwd PORT: frames PORT's XDP program handed to an egress qdisc (scheduled class).
qdisc_fwd() {
	kl_run kl_tsnctl -j port show "$1"
	jq -r '.ports[0].xdp.forwarding.to_qdisc' <<<"$OUT"
}

red() {
	kl_run kl_tsnctl -j filter show rogue-contract
	jq -r '.filters[0].counters.red' <<<"$OUT"
}

# protected LABEL: N_PROT datagrams at 1 kHz from the talker; RESULT: lat6's JSON.
protected() {
	local lpid
	: >"$KL_WORK/lat.err"
	ip netns exec listener "$LAT6" recv 5000 -n $N_PROT -w 3000 >"$KL_WORK/lat.out" \
		2>"$KL_WORK/lat.err" &
	lpid=$!
	lab_register_pid "$lpid"
	lab_wait_until 10 grep -q listening "$KL_WORK/lat.err" || kl_fail "lat6 listener did not start"
	ip netns exec talker "$LAT6" send 2001:db8:76::1 5000 -n $N_PROT -i 1000 -s 100
	wait "$lpid" || kl_fail "lat6 listener failed: $(cat "$KL_WORK/lat.err")"
	RESULT=$(cat "$KL_WORK/lat.out")
	kl_data "flood-sched: $1: $RESULT"
	jq -e ".received == $N_PROT and .lost == 0" <<<"$RESULT" >/dev/null ||
		kl_fail "$1: the protected stream lost frames: $RESULT"
}

# floods_start: the known stream over its rate and the unknown stream with a
# scheduled priority, both until floods_stop.
floods_start() {
	lab_spawn ROGUE_PID rogue "$UDP6" send 2001:db8:76::1 6000 -n 100000000 -s 1400 -i 500 \
		>/dev/null 2>&1
	lab_spawn UNK_PID unknown "$UDP6" send 2001:db8:76::1 7000 -n 100000000 -s 200 -i 500 \
		-t $((46 << 2)) >/dev/null 2>&1
	sleep 0.3
}

floods_stop() {
	lab_pid_alive "$ROGUE_PID" || kl_fail "the known-stream flood ended early"
	lab_pid_alive "$UNK_PID" || kl_fail "the unknown-stream flood ended early"
	lab_stop_pid "$ROGUE_PID" 3 || true
	lab_stop_pid "$UNK_PID" 3 || true
}

# within LABEL FIELD BASE FLOODED: FLOODED <= LAT_FACTOR * BASE + LAT_SLACK_NS.
within() {
	local lim=$(($3 * LAT_FACTOR + LAT_SLACK_NS))
	kl_data "flood-sched: $1 $2: $(($3 / 1000)) us without, $(($4 / 1000)) us with (limit $((lim / 1000)) us)"
	(($4 <= lim)) || kl_fail "$1: $2 $(($4 / 1000)) us with the flood, limit $((lim / 1000)) us"
}

reload_policy() {
	config "$1"
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "reload with unmatched-priority: $1 failed: $OUT $ERR"
}

test_flood_with_schedule() {
	local root base now mac r0 r1 d0 d1 z0 z1 s0 s1 q0 q1 base_lat
	lab_ns_add talker
	lab_ns_add rogue
	lab_ns_add unknown
	lab_ns_add sw
	lab_ns_add listener
	lab_veth talker t0 sw sw0p1 8
	lab_veth rogue r0 sw sw0p3 8
	lab_veth unknown u0 sw sw0p4 8
	lab_veth sw sw0p2 listener l0 8
	lab_addr talker t0 2001:db8:75::1/64
	lab_addr rogue r0 2001:db8:77::1/64
	lab_addr unknown u0 2001:db8:78::1/64
	lab_addr sw sw0p1 2001:db8:75::ff/64
	lab_addr sw sw0p3 2001:db8:77::ff/64
	lab_addr sw sw0p4 2001:db8:78::ff/64
	lab_addr sw sw0p2 2001:db8:76::ff/64
	lab_addr listener l0 2001:db8:76::1/64
	lab_route6 talker default via 2001:db8:75::ff
	lab_route6 rogue default via 2001:db8:77::ff
	lab_route6 unknown default via 2001:db8:78::ff
	lab_route6 listener default via 2001:db8:76::ff
	lab_sysctl sw net.ipv6.conf.all.forwarding=1
	# Static neighbours: no frame waits for neighbour discovery.
	mac=$(ip -n listener -j link show l0 | jq -r '.[0].address')
	ip -n sw -6 neigh replace 2001:db8:76::1 lladdr "$mac" dev sw0p2
	local ns dev port net
	while read -r ns dev port net; do
		ip -n "$ns" -6 neigh replace "2001:db8:$net::ff" \
			lladdr "$(ip -n sw -j link show "$port" | jq -r '.[0].address')" dev "$dev"
		ip -n sw -6 neigh replace "2001:db8:$net::1" \
			lladdr "$(ip -n "$ns" -j link show "$dev" | jq -r '.[0].address')" dev "$port"
	done <<-EOF
		talker t0 sw0p1 75
		rogue r0 sw0p3 77
		unknown u0 sw0p4 78
	EOF
	ip -n listener -6 neigh replace 2001:db8:76::ff \
		lladdr "$(ip -n sw -j link show sw0p2 | jq -r '.[0].address')" dev l0

	config pass
	kl_tsnd_start sw "$KL_WORK/tsnd.yaml"
	root=$(kl_root_qdisc sw sw0p2)
	[[ $(jq -r .kind <<<"$root") == taprio ]] || kl_fail "no taprio on sw0p2: $root"
	base=$(kl_sched_field "$root" base_time)
	now=$(kl_now tai)
	((base <= now)) || sleep $(((base - now) / 1000000000 + 1))
	kl_run kl_tsnctl -j class stats sw0p4
	[[ $(jq -r '.ports[0].classes[6].priorities == [6]' <<<"$OUT") == true ]] ||
		kl_fail "sw0p4 class 6 is not priority 6: $OUT"

	# Control: with pass, the unknown frames keep priority 6 (class 6 on sw0p4)
	# and go to sw0p2's qdisc; so what the policies below do is theirs.
	s0=$(cls sw0p4 6 packets)
	q0=$(qdisc_fwd sw0p4)
	ip netns exec unknown "$UDP6" send 2001:db8:76::1 7000 -n 200 -s 200 -t $((46 << 2)) -i 200
	s1=$(cls sw0p4 6 packets)
	q1=$(qdisc_fwd sw0p4)
	kl_data "flood-sched: control (pass): $((s1 - s0)) of 200 unknown frames in class 6, $((q1 - q0)) to sw0p2's qdisc, $(cls sw0p4 6 drops) dropped"
	((s1 - s0 >= 200)) || kl_fail "control: only $((s1 - s0)) of 200 unknown frames kept priority 6"
	((q1 - q0 >= 200)) || kl_fail "control: only $((q1 - q0)) of 200 unknown frames went to the scheduled class"
	(($(cls sw0p4 6 drops) == 0)) || kl_fail "control: pass dropped unknown frames"

	# drop: the baseline without flood, then both floods.
	reload_policy drop
	protected "without flood"
	base_lat=$RESULT
	r0=$(red)
	d0=$(cls sw0p4 6 drops)
	s0=$(cls sw0p4 6 packets)
	floods_start
	protected "with flood, unmatched-priority drop"
	floods_stop
	r1=$(red)
	d1=$(cls sw0p4 6 drops)
	s1=$(cls sw0p4 6 packets)
	kl_data "flood-sched: drop: known stream: $((r1 - r0)) frames red (dropped by the meter); unknown stream: $((d1 - d0)) of $((s1 - s0)) class-6 frames dropped"
	((r1 - r0 >= 500)) || kl_fail "the known stream's flood was not policed: $((r1 - r0)) red"
	((d1 - d0 >= 500)) || kl_fail "the unknown stream's flood was not dropped: $((d1 - d0)) drops"
	((d1 - d0 == s1 - s0)) || kl_fail "drop: $((s1 - s0)) class-6 frames on sw0p4 but $((d1 - d0)) dropped"
	within drop p50_ns "$(jq .p50_ns <<<"$base_lat")" "$(jq .p50_ns <<<"$RESULT")"
	within drop p90_ns "$(jq .p90_ns <<<"$base_lat")" "$(jq .p90_ns <<<"$RESULT")"

	# demote: the unknown frames are let in at the default priority (class 0).
	reload_policy demote
	r0=$(red)
	s0=$(cls sw0p4 6 packets)
	z0=$(cls sw0p4 0 packets)
	floods_start
	protected "with flood, unmatched-priority demote"
	floods_stop
	r1=$(red)
	s1=$(cls sw0p4 6 packets)
	z1=$(cls sw0p4 0 packets)
	kl_data "flood-sched: demote: known stream: $((r1 - r0)) frames red; unknown stream: $((z1 - z0)) frames demoted to class 0, $((s1 - s0)) in class 6"
	((r1 - r0 >= 500)) || kl_fail "demote: the known stream's flood was not policed: $((r1 - r0)) red"
	((z1 - z0 >= 500)) || kl_fail "demote: only $((z1 - z0)) unknown frames in class 0"
	((s1 - s0 == 0)) || kl_fail "demote: $((s1 - s0)) unknown frames kept priority 6"
	within demote p50_ns "$(jq .p50_ns <<<"$base_lat")" "$(jq .p50_ns <<<"$RESULT")"
	within demote p90_ns "$(jq .p90_ns <<<"$base_lat")" "$(jq .p90_ns <<<"$RESULT")"
}

kl_test flood-sched test_flood_with_schedule
