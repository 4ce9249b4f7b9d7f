#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# cnc_forward.sh — issue 14, item 4, the test "cnc-line": tsncnc deploys the line of
# three switches over NETCONF with the gate schedules on taprio and the bridge
# sections; the streams' frames cross the line by what tsncnc deployed, and a
# re-plan is deployed while a stream runs.  Sourced by tests/test_cnc_latency.sh,
# which builds the line once (cnc_line.sh) for this test and "cnc-latency".
#
#   talker1 ─ sw1p1 ┐                               ┌ sw3p2 ─ listener1
#                   sw1 ─ sw1p3 ── sw2p1 sw2 sw2p2 ── sw3p1 sw3
#   talker2 ─ sw1p2 ┘                               └ sw3p3 ─ listener2
#
# Each switch is a namespace with its own tsnd; the three tsn-netconfd run in the
# namespace "mgmt" on 127.0.0.1:8301..8303, each on its switch's control socket, and
# tsncnc reaches them there with key authentication (cnc_line.sh).  The network is
# line3.yaml's with two streams sized for TCG (cnc_net_fwd: precision 1 ms).
#
# 1. Deploy: every switch runs the plan, every gated port's taprio runs on the one
#    base time of the deploy (tsnd's configuration and the kernel), each switch's
#    br0 is the plan's (VLAN filtering, the static entries) with no drift, and
#    `tsncnc status` (bridge sections included) finds none.
# 2. Forwarding: tsnd turned the VLAN transmit offload off on every bridge port
#    (veth keeps the tag beside the frame otherwise, where the next switch's XDP
#    does not see it), and every stream's frames cross the line:
#    on every switch the static entry's fast-path counter equals the frames its
#    stream filter passed, the next switch identifies every frame the previous
#    one forwarded, each listener gets exactly what sw3 forwarded to it, at least
#    one frame of each stream, and nothing the plan does not send it.
# 3. Re-plan under traffic: while fwd-2 runs, a plan with a third stream (fwd-2
#    keeps its offset and windows) is deployed; the switchover falls inside the
#    traffic, frames keep arriving after it, and the losses are counted against
#    what the switches' stream gates dropped (LAB DATA).
# shellcheck shell=bash

FWD_FRAMES=${CNC_FWD_FRAMES:-500}

# check_deploy: base times in tsnd and taprio, the bridges, status
check_deploy() {
	local s n=0 what=$1
	for s in "${SWITCHES[@]}"; do
		cnc_gated "$s" "$what: "
		n=$((n + GATED))
		[[ $(ip -n "$s" -j -d link show br0 | jq -r '.[0].linkinfo.info_data.vlan_filtering') == 1 ]] ||
			kl_fail "$what: $s: br0 missing or not filtering VLANs"
		kl_run sw_tsnctl "$s" -j bridge show
		[[ $(jq -r '.present and (.drift | not)' <<<"$OUT") == true ]] || kl_fail "$what: $s: bridge: $OUT"
	done
	((n >= 4)) || kl_fail "$what: only $n gated ports"
	kl_data "cnc-line: $what: $n gated ports, all on base-time $BASE in tsnd and in taprio; br0 on every switch, no drift"
	cnc_status "$what"
}

# check_txvlan: every switch's bridge ports (veth) have their VLAN transmit
# offload off, by tsnd (docs/bridge.md, "The VLAN tag over veth"): a tag the
# kernel's bridge or tsnd's tc path adds is then in the frame's bytes, where the
# next switch's XDP sees it (the hop-by-hop counts of 2b prove that it does).
check_txvlan() {
	local s p n=0 ports k v
	local -A by_tsnd=()
	for s in "${SWITCHES[@]}"; do
		kl_run sw_tsnctl "$s" -j bridge show
		ports=$(jq -r '.ports[].name' <<<"$OUT")
		kl_run sw_tsnctl "$s" -j port show
		# (one jq for all ports; `// "unlisted"` would also turn false into "unlisted")
		by_tsnd=()
		while read -r k v; do
			[[ -z $k || -v by_tsnd[$k] ]] || by_tsnd[$k]=$v
		done <<<"$(jq -r '.ports[] | "\(.name) \(if has("tx_vlan_offload_off_by_tsnd") then .tx_vlan_offload_off_by_tsnd else "unlisted" end)"' <<<"$OUT")"
		for p in $ports; do
			v=$(ip netns exec "$s" ethtool -k "$p")
			[[ $v =~ (^|$'\n')tx-vlan-offload:\ ([a-z]+) && ${BASH_REMATCH[2]} == off ]] ||
				kl_fail "$s:$p: tx-vlan-offload is not off"
			[[ ${by_tsnd[$p]:-unlisted} != false ]] ||
				kl_fail "$s:$p: port show does not say tsnd turned the offload off: $OUT"
			n=$((n + 1))
		done
	done
	((n >= 8)) || kl_fail "only $n bridge ports"
	kl_data "cnc-line: tsnd turned tx-vlan-offload off on all $n bridge ports"
}

# listen SECONDS TAG: both listeners for SECONDS at most (however sparse the
# arrivals; listen_stop ends them when the traffic is over), output in
# $KL_WORK/LISTENER.TAG.json
listen() {
	local l pid
	LPIDS=()
	for l in listener1 listener2; do
		lab_spawn pid "$l" "$CNC_TALK" listen eth0 "$1" "$1" >"$KL_WORK/$l.$2.json" 2>"$KL_WORK/$l.$2.err"
		LPIDS+=("$pid")
	done
	sleep 1
}

listen_wait() {
	local pid
	for pid in "${LPIDS[@]}"; do
		wait "$pid" || kl_fail "a listener failed: $(kl_tail "$KL_WORK/listener1.$1.err") $(kl_tail "$KL_WORK/listener2.$1.err")"
	done
}

# listen_stop TAG: the traffic is over: SIGTERM to the listeners of LPIDS (each
# still reads what its socket holds, for up to 2 s), then listen_wait TAG.  The
# caller waits first for the frames still in the switches' queues (a gate opens
# every period: 10 or 20 ms).
listen_stop() {
	local pid
	for pid in "${LPIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	listen_wait "$1"
}

# rx L TAG ID: frames of stream ID listener L got (0: none)
rx() {
	jq -s -r "[.[] | select(.id == $3) | .frames] | add // 0" "$KL_WORK/$1.$2.json"
}

# chain SNAP0 SNAP1 NAME MAC SENT LISTENERS TAG: account for the SENT frames of
# stream NAME between two counter snapshots, hop by hop: each switch identifies
# every frame the previous hop forwarded (sw1: the talker's), its entry's
# fast-path counter equals what its filter passed, and each listener got what
# sw3 forwarded, at least one.  Appends to $bad, the figures to $line.
chain() {
	local s l m a c r pkts got prev=$5
	line="$3: sent $5"
	local m0 a0 c0 r0 p0
	for s in "${SWITCHES[@]}"; do
		read -r m0 a0 c0 r0 p0 <<<"$(cnc_counts "$1" "$s" "$3" "$4")"
		read -r m a c r pkts <<<"$(cnc_counts "$2" "$s" "$3" "$4")"
		m=$((m - m0)) a=$((a - a0)) c=$((c - c0)) r=$((r - r0)) pkts=$((pkts - p0))
		line+="; $s identified $m, gate closed $c, red $r, passed $a, fast path $pkts"
		((m == prev)) || bad+="$3: $s identified $m of the $prev frames the previous hop forwarded; "
		((pkts == a)) || bad+="$3: $s's entry forwarded $pkts, its filter passed $a; "
		prev=$pkts
	done
	for l in ${6//,/ }; do
		got=$(rx "$l" "$7" "$(jq -r --arg n "$3" 'select(.name == $n) | .id' "$KL_WORK/ids.json")")
		line+="; $l got $got"
		((got == prev)) || bad+="$3: $l got $got of the $prev frames sw3 forwarded; "
		((got > 0)) || bad+="$3: nothing reached $l; "
	done
}

test_line() {
	local s l n name talker mac vid pcp frame period offset bound listeners id=0 pid bad="" line
	local sent a off2 t0 t1 base1 post
	local -a names=() macs=() talkers=() first=()
	# shellcheck disable=SC2034  # FRAMES: cnc_report's count
	local FRAMES=$FWD_FRAMES
	# the line: built by the caller, its plan replaced here
	cnc_net_fwd 2
	cnc_lead "$LINE_CS"
	cnc_deploy "$CNC_LEAD"
	base1=$BASE
	check_deploy "deploy"
	kl_mark "cnc-line: deployed and checked"

	cnc_streams >"$KL_WORK/streams.txt"
	kl_wait_base "$BASE"

	# 2a. tsnd turned the VLAN transmit offload off on every veth bridge port
	check_txvlan
	# 2b. every stream through the line
	cnc_counters c0
	listen 120 fwd
	: >"$KL_WORK/talkers.json"
	: >"$KL_WORK/ids.json"
	while read -r name talker mac vid pcp frame period offset bound listeners; do
		id=$((id + 1))
		echo "{\"name\": \"$name\", \"id\": $id}" >>"$KL_WORK/ids.json"
		names[id]="$name $bound $listeners"
		macs[id]=$mac
		lab_spawn pid "$talker" "$CNC_TALK" send eth0 "$mac" "$vid" "$pcp" "$frame" "$period" "$offset" \
			"$FWD_FRAMES" "$id" >>"$KL_WORK/talkers.json" 2>>"$KL_WORK/talkers.err"
		talkers+=("$pid")
	done <"$KL_WORK/streams.txt"
	((id == 2)) || kl_fail "$id streams in the plan, 2 written"
	for pid in "${talkers[@]}"; do
		wait "$pid" || kl_info "talker $pid: exit status $? $(kl_tail "$KL_WORK/talkers.err")"
	done
	# the last frames' way through the line (planned: under 10 ms)
	sleep 3
	listen_stop fwd
	cnc_counters c1
	kl_mark "cnc-line: forwarding traffic done"
	for ((n = 1; n <= id; n++)); do
		read -r name _ listeners <<<"${names[n]}"
		sent=$(jq -r "select(.id == $n) | .sent" "$KL_WORK/talkers.json")
		chain c0 c1 "$name" "${macs[n]}" "$sent" "$listeners" fwd
		kl_data "cnc-line: $line"
	done
	[[ -z $bad ]] || kl_fail "$bad"
	for l in listener1 listener2; do
		cp "$KL_WORK/$l.fwd.json" "$KL_WORK/$l.json"
	done
	cnc_report "${names[@]}"

	# 3. re-plan while fwd-2 runs (under its id of part 2)
	read -r name talker mac vid pcp frame period offset _ listeners <<<"$(grep '^fwd-2 ' "$KL_WORK/streams.txt")"
	cnc_net_fwd 3
	cnc_streams >"$KL_WORK/streams3.txt"
	off2=$(awk '$1 == "fwd-2" { print $8 }' "$KL_WORK/streams3.txt")
	[[ $off2 == "$offset" ]] || kl_fail "the re-plan moved fwd-2 from offset $offset to $off2"
	cnc_counters r0
	id=$(jq -r 'select(.name == "fwd-2") | .id' "$KL_WORK/ids.json")
	listen 150 replan
	cnc_lead "$LINE_CS"
	t0=$(kl_now tai)
	# 4000 frames: 40 s or more, past the switchover (deploy + its lead, 20 s at most)
	lab_spawn pid "$talker" "$CNC_TALK" send eth0 "$mac" "$vid" "$pcp" "$frame" "$period" "$offset" 4000 "$id" \
		>"$KL_WORK/replan-talker.json" 2>"$KL_WORK/replan-talker.err"
	cnc_deploy "$CNC_LEAD"
	((BASE > base1)) || kl_fail "re-plan: base time $BASE not after the first $base1"
	kl_wait_base "$BASE"
	cnc_counters rb filters
	first=("${LPIDS[@]}")
	# a second pair of listeners from the switchover on
	listen 150 post
	wait "$pid" || kl_info "re-plan talker: exit status $? $(kl_tail "$KL_WORK/replan-talker.err")"
	t1=$(kl_now tai)
	((BASE + 2000000000 < t1)) ||
		kl_fail "re-plan: the switchover is not inside the traffic: $(((BASE - t0) / 1000000)) ms after its start, the talker stopped at $(((t1 - t0) / 1000000)) ms"
	sleep 3
	listen_stop post
	LPIDS=("${first[@]}")
	listen_stop replan
	cnc_counters r1
	kl_mark "cnc-line: re-plan traffic done"
	sent=$(jq -r .sent "$KL_WORK/replan-talker.json")
	((sent > 0)) || kl_fail "re-plan: the talker sent nothing: $(cat "$KL_WORK/replan-talker.json" "$KL_WORK/replan-talker.err")"
	chain r0 r1 fwd-2 "$mac" "$sent" "$listeners" replan
	kl_data "cnc-line: re-plan under traffic: $line"
	a=$(($(cnc_filter r1 sw1 fwd-2 passed) - $(cnc_filter rb sw1 fwd-2 passed)))
	post="sw1 forwarded $a after the switchover at $BASE ($(((BASE - t0) / 1000000)) ms into the traffic)"
	for l in ${listeners//,/ }; do
		post+=", $l got $(rx "$l" post "$id") of them and later ones, $(jq -s -r --argjson id "$id" '[.[] | select(.id == $id) | .lost] | add // 0' "$KL_WORK/$l.replan.json") sequence gaps in all"
	done
	kl_data "cnc-line: re-plan under traffic: $post"
	((a > 0)) || bad+="re-plan: sw1 forwarded no frame of fwd-2 after the switchover; "
	[[ -z $bad ]] || kl_fail "$bad"
	check_deploy "re-plan"
}

