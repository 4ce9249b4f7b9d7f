#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_cnc_ring.sh — issue 14, item 4: the ring of four switches (two disjoint
# paths), planned by tsncnc and deployed over NETCONF with taprio, FRER and bridges.
#
#   talker ── p3 sw1 p1 ──── p1 sw2
#                p2             p2
#                p1             p1
#                sw4 p2 ──── p2 sw3 p3 ── listener
#
# The network is configs/networks/ring4-lab.yaml (cnc_ring.sh): `safety` redundant
# (10 ms, sw1 generates, sw3 recovers), `telemetry` plain (20 ms, one path).
#
# 1. Deploy: every switch runs the plan on one base time (tsnd's configuration and
#    taprio read back), the FRER roles as planned, `tsncnc status` finds no drift.
# 2. Cut: both streams' talkers send; halfway sw1's link to the path `telemetry`
#    does not take goes down.  The listener gets every safety frame once and in
#    order (ring_rx.py); sw3's recovery passed exactly what the listener got and
#    discarded the second copies (what both paths delivered, minus what it
#    passed); the cut path carried some frames, not all; frames the listener
#    lacks are no more than the same run's stream gates dropped (TCG wakes a talker
#    late); telemetry arrives whole, but for its own gate drops.
# 3. Refusal: a plan naming a port sw4 lacks is refused, and every switch still
#    runs the first plan: its qdiscs (tc -j qdisc show) as before, no drift.
. /tsn/tests/kernel-lab/guest/lib.sh
# shellcheck source=../cnc_ring.sh
. /tsn/tests/kernel-lab/guest/cnc_ring.sh

CNC_TALK=$TSN/build/tests/tools/cnc_talk
RING_RX=$KL_GUEST/ring_rx.py
FRAMES=${CNC_RING_FRAMES:-400}	# safety's: 4 s at 10 ms; telemetry sends half

# ring_deployed: every switch's schedules and stream gates on $BASE, in tsnd's
# configuration and in taprio; the FRER roles; no drift
ring_deployed() {
	local s n=0 j
	for s in "${SWITCHES[@]}"; do
		cnc_gated "$s" ""
		n=$((n + GATED))
	done
	# safety's gated ports: sw1 p1 p2, sw2 p2, sw4 p2, sw3 p3
	((n >= 5)) || kl_fail "only $n gated ports"
	j=$(ring_frer sw1)
	jq -e '[.streams[] | select(.name == "safety" and .role == "generator") | .paths[].port] == ["p1", "p2"]' \
		<<<"$j" >/dev/null || kl_fail "sw1 does not generate safety onto p1 and p2: $j"
	j=$(ring_frer sw3)
	jq -e '[.streams[] | select(.name == "safety" and .role == "recovery") | .paths[].port] == ["p3"]' \
		<<<"$j" >/dev/null || kl_fail "sw3 does not recover safety onto p3: $j"
	for s in sw2 sw4; do
		j=$(ring_frer "$s")
		jq -e '(.streams | length) == 0' <<<"$j" >/dev/null || kl_fail "$s has a FRER role: $j"
	done
	kl_data "cnc-ring: $n gated ports on four switches, all on base-time $BASE in tsnd and in taprio; sw1 generates, sw3 recovers"
	cnc_status "deploy"
}

# drops SNAP0 SNAP1 STREAM SW...: frames of STREAM the switches' filters dropped
# (matched but not passed: gate closed, meter, max-sdu) between two snapshots
drops() {
	local a=$1 b=$2 n=$3 s d=0 m0 p0 m1 p1
	shift 3
	for s in "$@"; do
		# (cnc_counts: the filter's counters from one jq; no entry's MAC asked)
		read -r m0 p0 _ <<<"$(cnc_counts "$a" "$s" "$n" -)"
		read -r m1 p1 _ <<<"$(cnc_counts "$b" "$s" "$n" -)"
		d=$((d + m1 - m0 - (p1 - p0)))
	done
	echo "$d"
}

# sw3_port FRER-JSON PORT: frames of any stream that entered PORT's recovery
sw3_port() {
	jq "[.ports[] | select(.port == \"$2\") | .counters | .passed_packets + .discarded_packets] | add // 0" <<<"$1"
}

# qdiscs: every switch's qdiscs, normalized, one line each
qdiscs() {
	local s
	for s in "${SWITCHES[@]}"; do
		echo "$s $(kl_tc_json "$s" qdisc show | kl_normalize)"
	done
}

test_ring() {
	local tp cut other pid_l pid_s pid_t sent sent_t rx rx_t j1 j3 gen pa pb passed disc d1 dpath dt
	local lost rogue resets late late_t passed_b j3b bad="" before after base1 mac vid pcp frame period offset
	local rx_frames rx_unique rx_once rx_t_unique rx_t_once rx_s rx_t_s
	SECONDS=0
	rm -f "$KL_WORK/cnc-commit-ms"
	ring
	kl_info "cnc-ring: four switches up after $SECONDS s"
	ring_net
	# the lead from the ring's start (cnc_lead; the read-back below overlaps it)
	cnc_lead $((SECONDS * 100))
	cnc_deploy "$CNC_LEAD"
	base1=$BASE
	ring_deployed
	kl_info "cnc-ring: deployed and read back after $SECONDS s"

	# 2. the cut: sw1's port to the path telemetry does not take (sw1:p1 leads
	# to sw2 and on to sw3:p1, sw1:p2 to sw4 and on to sw3:p2)
	cnc_plan_out
	tp=$(jq -r '.streams[] | select(.name == "telemetry") | .paths[0].hops[].port | select(startswith("sw1:"))' \
		"$KL_WORK/plan/plan.json")
	case $tp in
	sw1:p1) cut=p2 other=p1 ;;
	sw1:p2) cut=p1 other=p2 ;;
	*) kl_fail "telemetry leaves sw1 by '$tp'" ;;
	esac
	kl_info "telemetry leaves sw1 by $tp; the cut: sw1:$cut (sw3:$cut's path)"
	kl_wait_base "$BASE"
	cnc_counters c0
	j1=$(ring_frer sw1)
	j3=$(ring_frer sw3)
	echo "$j1" >"$KL_WORK/c0.sw1.frer.json"
	echo "$j3" >"$KL_WORK/c0.sw3.frer.json"
	# (ended below: taprio may release held frames for a long while)
	lab_spawn pid_l listener /usr/bin/python3 "$RING_RX" eth0 300 300 >"$KL_WORK/rx.json" 2>"$KL_WORK/rx.err"
	lab_wait_until 30 grep -q ready "$KL_WORK/rx.err" || kl_fail "ring_rx did not start: $(kl_tail "$KL_WORK/rx.err")"
	read -r _ _ mac vid pcp frame period offset _ <<<"$(cnc_streams | grep '^safety ')"
	lab_spawn pid_s talker "$CNC_TALK" send eth0 "$mac" "$vid" "$pcp" "$frame" "$period" "$offset" "$FRAMES" 1 \
		>"$KL_WORK/safety.json" 2>"$KL_WORK/safety.err"
	read -r _ _ mac vid pcp frame period offset _ <<<"$(cnc_streams | grep '^telemetry ')"
	lab_spawn pid_t talker "$CNC_TALK" send eth0 "$mac" "$vid" "$pcp" "$frame" "$period" "$offset" $((FRAMES / 2)) 2 \
		>"$KL_WORK/telemetry.json" 2>"$KL_WORK/telemetry.err"
	# halfway through safety's frames (first send >= 100 ms out)
	sleep "$(awk -v n="$FRAMES" 'BEGIN { printf "%.2f", 0.1 + n * 10 / 2 / 1000 }')"
	ip -n sw1 link set "$cut" down
	wait "$pid_s" || kl_info "safety talker: exit status $? $(kl_tail "$KL_WORK/safety.err")"
	wait "$pid_t" || kl_info "telemetry talker: exit status $? $(kl_tail "$KL_WORK/telemetry.err")"
	# the last frames' way to the listener (planned: under 5 ms), then the
	# counters, then the listener stops; what sw3 passes meanwhile (frames
	# taprio held) is counted by a second look at sw3
	sleep 3
	cnc_counters c1
	j1=$(ring_frer sw1)
	j3=$(ring_frer sw3)
	kill -TERM "$pid_l"
	wait "$pid_l" || kl_fail "ring_rx failed: $(kl_tail "$KL_WORK/rx.err")"
	j3b=$(ring_frer sw3)
	ip -n sw1 link set "$cut" up

	# (the figures from few jq runs: each program start costs a few hundred ms under TCG)
	{
		read -r sent
		read -r sent_t
	} <<<"$(jq -r .sent "$KL_WORK/safety.json" "$KL_WORK/telemetry.json")"
	rx=$(jq -c 'select(.id == 1)' "$KL_WORK/rx.json")
	rx_t=$(jq -c 'select(.id == 2)' "$KL_WORK/rx.json")
	[[ -n $rx && -n $rx_t ]] || kl_fail "the listener got nothing of a stream: $(cat "$KL_WORK/rx.json")"
	# the listener: per stream frames, unique, the last quarter's, once each and in order
	{
		read -r rx_frames rx_unique late rx_once rx_t_unique late_t rx_t_once
		read -r rx_s
		read -r rx_t_s
	} <<<"$(jq -r -n --argjson r "$rx" --argjson t "$rx_t" --argjson q $((FRAMES * 3 / 4)) --argjson qt $((FRAMES * 3 / 8)) '
		([$r.frames, $r.unique, ([$r.seqs[] | select(. >= $q)] | length), ($r.duplicates == 0 and $r.out_of_order == 0),
		  $t.unique, ([$t.seqs[] | select(. >= $qt)] | length), ($t.duplicates == 0 and $t.out_of_order == 0)]
		 | map(tostring) | join(" ")),
		($r | del(.seqs) | tojson), ($t | del(.seqs) | tojson)')"
	# sw1's and sw3's FRER counters, after and before (c0)
	local g1 g0 pa1 pa0 pb1 pb0 p1 p0 x1 x0 r1 r0 s1 s0 pl
	read -r g1 g0 pa1 pa0 pb1 pb0 p1 p0 x1 x0 r1 r0 s1 s0 pl <<<"$(jq -r -n --argjson j1 "$j1" --argjson j3 "$j3" \
		--argjson j3b "$j3b" --slurpfile c1 "$KL_WORK/c0.sw1.frer.json" --slurpfile c3 "$KL_WORK/c0.sw3.frer.json" \
		--arg cut "$cut" --arg other "$other" '
		def st(j; f): [j.streams[] | select(.name == "safety") | .counters[f]] | add;
		def port(j; p): [j.ports[] | select(.port == p) | .counters | .passed_packets + .discarded_packets] | add // 0;
		[st($j1; "generated_packets"), st($c1[0]; "generated_packets"), port($j3; $cut), port($c3[0]; $cut),
		 port($j3; $other), port($c3[0]; $other), st($j3; "passed_packets"), st($c3[0]; "passed_packets"),
		 st($j3; "discarded_packets"), st($c3[0]; "discarded_packets"), st($j3; "rogue_packets"), st($c3[0]; "rogue_packets"),
		 st($j3; "resets"), st($c3[0]; "resets"), st($j3b; "passed_packets")] | map(tostring) | join(" ")')"
	# sw1: generated = what its filter passed; two copies each
	gen=$((g1 - g0))
	d1=$(drops c0 c1 safety sw1)
	# sw3: what each path brought (per ingress port: passed or discarded)
	pa=$((pa1 - pa0))
	pb=$((pb1 - pb0))
	passed=$((p1 - p0))
	disc=$((x1 - x0))
	dpath=$(drops c0 c1 safety sw2 sw4 sw3)
	dt=$(drops c0 c1 telemetry sw1 sw2 sw3)
	lost=$((sent - rx_unique))
	rogue=$((r1 - r0))
	resets=$((s1 - s0))
	passed_b=$((pl - p0))
	kl_data "cnc-ring: safety: sent $sent; sw1's filter dropped $d1 (late), generated $gen; sw3 got $pa on the cut path, $pb on the intact one, passed $passed ($passed_b when the listener had stopped), discarded $disc (rogue $rogue), reset $resets times; the paths' filters dropped $dpath; the listener: $rx_s, $late of the last quarter"
	kl_data "cnc-ring: telemetry: sent $sent_t; the filters on its path dropped $dt; the listener: $rx_t_s, $late_t of the last quarter; $((sent_t - dt - rx_t_unique)) held in taprio's queues when it stopped"
	((sent == FRAMES)) || bad+="the safety talker sent $sent of $FRAMES; "
	((gen == sent - d1)) || bad+="safety: sw1 generated $gen, its filter passed $((sent - d1)) of $sent; "
	((pa > 0 && pa < gen)) || bad+="safety: the cut path carried $pa of $gen frames: the cut did not fall mid-run; "
	((disc == pa + pb - passed)) || bad+="safety: sw3 discarded $disc, the paths brought $((pa + pb)), it passed $passed; "
	((rx_frames >= passed && rx_frames <= passed_b)) ||
		bad+="safety: the listener got $rx_frames frames, sw3 passed $passed before it stopped listening, $passed_b after; "
	((late > 0)) || bad+="safety: nothing of the last quarter (after the cut) reached the listener; "
	((lost <= d1 + dpath + rogue)) ||
		bad+="safety: $lost frames lost, the stream gates dropped only $((d1 + dpath)), sw3's recovery $rogue as rogue: lost to the cut; "
	# Once each, in order: unless a copy trailed its twin by more than the
	# planned reset timeout ((history + 1) periods), which TCG's late timers
	# and taprio's queues can do; then sw3's recovery resets and passes the
	# next copy whatever its number (802.1CB), counted above
	if ((resets == 0)); then
		[[ $rx_once == true ]] ||
			bad+="safety: duplicates or out of order at the listener without a reset at sw3: $rx_s; "
	fi
	[[ $rx_t_once == true ]] || bad+="telemetry: $rx_t_s; "
	# what the listener lacks its stream filters dropped, or taprio still held
	((rx_t_unique + dt <= sent_t)) || bad+="telemetry: sent $sent_t, the listener got $rx_t_unique, the filters dropped $dt; "
	((late_t > 0)) || bad+="telemetry: nothing of its last quarter (after the cut) reached the listener; "
	[[ -z $bad ]] || kl_fail "$bad"

	kl_info "cnc-ring: traffic done after $SECONDS s; the talkers: $(jq -c '{id, sent, skipped, wake_p99_ns, wake_max_ns}' "$KL_WORK/safety.json" "$KL_WORK/telemetry.json" | tr '\n' ' ')"

	# 3. sw4 refuses: a port it lacks
	before=$(qdiscs)
	ring_net "$KL_WORK/bad.yaml"
	sed -i -e '/name: sw4/,/ports:/ s/{ name: p1,/{ name: p7,/' -e 's/a: "sw4:p1"/a: "sw4:p7"/' "$KL_WORK/bad.yaml"
	{ grep -q 'sw4:p7' "$KL_WORK/bad.yaml" && grep -q 'name: p7' "$KL_WORK/bad.yaml"; } || kl_fail "bad.yaml: the sed did not apply"
	kl_run ip netns exec mgmt "$TSNCNC" deploy "$KL_WORK/bad.yaml" --lead 20s --confirm-timeout 600 \
		--known-hosts "$KL_WORK/known_hosts"
	((RC != 0)) || kl_fail "a plan naming sw4:p7 was deployed: $OUT"
	{ grep -q sw4 <<<"$ERR$OUT" && grep -q p7 <<<"$ERR$OUT"; } || kl_fail "the refusal names neither sw4 nor p7: $OUT $ERR"
	kl_data "cnc-ring: refused: $(grep -m2 -e sw4 <<<"$ERR$OUT" | tr '\n' ' ' | cut -c1-300)"
	after=$(qdiscs)
	[[ $before == "$after" ]] || kl_fail "the qdiscs changed after the refused deploy: before $before after $after"
	BASE=$base1
	ring_deployed
	kl_info "cnc-ring: refusal checked after $SECONDS s"
}

kl_test cnc-ring test_ring
