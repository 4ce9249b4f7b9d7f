#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# cnc_line.sh — the kernel lab's line of three switches for tsncnc (issue 14), sourced
# by tests/test_cnc_latency.sh after lib.sh (which builds it once for its tests
# cnc-latency and cnc-line, cnc_forward.sh):
#
#   talker1 ─ sw1p1 ┐                               ┌ sw3p2 ─ listener1
#                   sw1 ─ sw1p3 ── sw2p1 sw2 sw2p2 ── sw3p1 sw3
#   talker2 ─ sw1p2 ┘                               └ sw3p3 ─ listener2
#
# Each switch is a namespace with its own tsnd; the three tsn-netconfd run in the
# namespace "mgmt" on 127.0.0.1:8301..8303, each on its switch's control socket, and
# tsncnc reaches them there with key authentication.  The switches forward by
# what tsncnc deploys: each plan's `bridge` section (br0, VLAN filtering, one
# static entry per stream) and tsnd's XDP fast path; no bridge is made by hand.
# shellcheck shell=bash

TSNCNC=$TSN/build/tsncnc
NETCONFD=$TSN/build/tsn-netconfd
SWITCHES=(sw1 sw2 sw3)
declare -A NCPORT=([sw1]=8301 [sw2]=8302 [sw3]=8303)
declare -A SWPORTS=([sw1]="sw1p1 sw1p2 sw1p3" [sw2]="sw2p1 sw2p2" [sw3]="sw3p1 sw3p2 sw3p3")

line() {
	local s
	for s in mgmt "${SWITCHES[@]}" talker1 talker2 listener1 listener2; do
		lab_ns_add "$s"
	done
	lab_veth talker1 eth0 sw1 sw1p1 8
	lab_veth talker2 eth0 sw1 sw1p2 8
	lab_veth sw1 sw1p3 sw2 sw2p1 8
	lab_veth sw2 sw2p2 sw3 sw3p1 8
	lab_veth sw3 sw3p2 listener1 eth0 8
	lab_veth sw3 sw3p3 listener2 eth0 8
	switches_up
}

# switches_up: the host key tsn-netconfd serves, tsncnc's key, the known_hosts
# naming each switch's NETCONF port, and every switch of SWITCHES (`switch`)
switches_up() {
	local s
	ssh-keygen -q -t ed25519 -N '' -f "$KL_WORK/host" <<<y >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$KL_WORK/cnc" <<<y >/dev/null
	: >"$KL_WORK/known_hosts"
	for s in "${SWITCHES[@]}"; do
		echo "[127.0.0.1]:${NCPORT[$s]} $(cut -d' ' -f1-2 "$KL_WORK/host.pub")" >>"$KL_WORK/known_hosts"
		switch "$s"
	done
}

# switch SW: tsnd in SW with its ports and no schedule; its tsn-netconfd in mgmt
switch() {
	# shellcheck disable=SC2034  # pid: set by lab_spawn, not read
	local s=$1 p pid
	mkdir -p "$KL_WORK/$s"
	{
		cat <<CFG
daemon: { log-level: info, log-target: stderr, pid-file: $KL_WORK/$s/tsnd.pid, state-dir: $KL_WORK/$s }
control: { socket: $KL_WORK/$s/tsnd.sock, timeout: 30s }
ptp: { enabled: false }
dataplane: { pin-dir: /sys/fs/bpf/cnc-$s }
ports:
CFG
		for p in ${SWPORTS[$s]}; do
			echo "  - { name: $p, xdp: generic }"
		done
	} >"$KL_WORK/$s/tsnd.yaml"
	lab_spawn pid "$s" "$TSND" -f --stderr -c "$KL_WORK/$s/tsnd.yaml" >>"$KL_WORK/$s/tsnd.log" 2>&1
	lab_wait_until 60 ip netns exec "$s" "$TSNCTL" -s "$KL_WORK/$s/tsnd.sock" status ||
		kl_fail "tsnd of $s did not come up: $(kl_tail "$KL_WORK/$s/tsnd.log" 6)"
	cat >"$KL_WORK/$s/netconfd.yaml" <<CFG
listen: 127.0.0.1
port: ${NCPORT[$s]}
host-key: $KL_WORK/host
tsnd-socket: $KL_WORK/$s/tsnd.sock
tsnd-timeout: 60s
yang-dir: $TSN/netconf/yang
users:
  - { name: tsncnc, role: admin, keys: [$KL_WORK/cnc.pub] }
CFG
	lab_spawn pid mgmt "$NETCONFD" -c "$KL_WORK/$s/netconfd.yaml" >>"$KL_WORK/$s/netconfd.log" 2>&1
	lab_wait_until 60 ip netns exec mgmt bash -c "echo >/dev/tcp/127.0.0.1/${NCPORT[$s]}" ||
		kl_fail "tsn-netconfd of $s did not listen: $(kl_tail "$KL_WORK/$s/netconfd.log" 6)"
}

sw_tsnctl() {
	local s=$1
	shift
	ip netns exec "$s" "$TSNCTL" -s "$KL_WORK/$s/tsnd.sock" "$@"
}

# cnc_net [FILE]: configs/networks/FILE (default line3.yaml) with the lab's NETCONF
# addresses and key, in $KL_WORK/net.yaml
cnc_net() {
	sed -e 's/address: 192\.0\.2\.1\([0-9]\), port: 830/address: 127.0.0.1, port: 830\1/' \
		-e "s|key: /etc/tsncnc/id_ed25519|key: $KL_WORK/cnc|" "/tsn/configs/networks/${1:-line3.yaml}" >"$KL_WORK/net.yaml"
	rm -rf "$KL_WORK/plan"
}

# cnc_net_fwd N: the line's switches, stations and links with N (2 or 3) streams
# that cross it under TCG, in $KL_WORK/net.yaml.  Emulated, a talker wakes up
# hundreds of microseconds late and taprio opens a window late by as much, so
# with line3.yaml's 1 us precision the stream gates (open +-precision around
# each planned arrival) drop nearly every frame: here the precision is 1 ms, the
# periods 10 and 20 ms and the links 10 Mbit/s, so that the windows (0.4 and
# 0.8 ms) outlast taprio's late timers: a frame that misses its own window
# leaves in the next stream's, and the next switch's stream gate drops it.
# fwd-3 is the stream a re-plan adds; fwd-2 keeps its offset and windows.
cnc_net_fwd() {
	cnc_net line3.yaml
	sed -i -e '/^streams:/,$d' -e 's/precision: 1us /precision: 1ms /' -e 's/link-speed: 1000/link-speed: 10/' \
		"$KL_WORK/net.yaml"
	cat >>"$KL_WORK/net.yaml" <<NET
streams:
  - { name: fwd-1, talker: talker1, listeners: [listener1], period: 10ms, frame-size: 1000B,
      max-latency: 10ms, priority: 5, vlan: 100, dst-mac: "01:00:5e:7f:01:01" }
  - { name: fwd-2, talker: talker2, listeners: [listener1, listener2], period: 10ms, frame-size: 500B,
      max-latency: 10ms, priority: 5, vlan: 100, dst-mac: "01:00:5e:7f:01:02" }
NET
	(($1 < 3)) || cat >>"$KL_WORK/net.yaml" <<NET
  - { name: fwd-3, talker: talker1, listeners: [listener2], period: 20ms, frame-size: 300B,
      max-latency: 20ms, priority: 5, vlan: 100, dst-mac: "01:00:5e:7f:01:03" }
NET
}

# cnc_deploy [LEAD]: deploy $KL_WORK/net.yaml to the line, bridge sections
# included; BASE is the deploy's base time.  tsncnc fixes the base time at
# now + LEAD once every switch has answered and checked the plan, then commits
# everywhere: what the lead must cover is that commit, measured here as LEAD - (BASE
# - now) when the deploy returns, in $KL_WORK/cnc-commit-ms for cnc_lead.
cnc_deploy() {
	local s t0 t1 now lead=${1:-20s} ahead commit
	kl_uptime_cs t0
	kl_run ip netns exec mgmt "$TSNCNC" deploy "$KL_WORK/net.yaml" --lead "$lead" --confirm-timeout 600 \
		--known-hosts "$KL_WORK/known_hosts"
	kl_uptime_cs t1
	((RC == 0)) || kl_fail "deploy: $ERR $(for s in "${SWITCHES[@]}"; do kl_tail "$KL_WORK/$s/tsnd.log" 3; done)"
	BASE=$(sed -n 's/^base-time \([0-9]*\) .*/\1/p' <<<"$OUT")
	[[ -n $BASE ]] || kl_fail "no base time in: $OUT"
	now=$(kl_now tai)
	ahead=$(((BASE - now) / 1000000))
	commit=$((${lead%s} * 1000 - ahead))
	((commit > 0)) || commit=0
	echo "$commit" >"$KL_WORK/cnc-commit-ms"
	kl_info "deploy: $(((t1 - t0) / 100)).$(((t1 - t0) % 100 / 10)) s, the commits at most $commit ms of it; lead $lead, the base time $ahead ms ahead"
}

# cnc_lead LINE_CS: sets CNC_LEAD to the lead of the next deploy: 4 x the last
# deploy's commit (cnc_deploy), or before any deploy the line's start (LINE_CS,
# hundredths of a second: a step that shows the lab's load), at least 6 s and at
# most 20 s.  Every second of lead beyond the commit is waited for; the commit
# took 1-3 s in the lab (docs/kernel-lab.md, Timings).
cnc_lead() {
	local s ms
	if [[ -s $KL_WORK/cnc-commit-ms ]]; then
		read -r ms <"$KL_WORK/cnc-commit-ms"
		s=$(((ms * 4 + 999) / 1000))
	else
		s=$((($1 + 99) / 100))
	fi
	((s >= 6)) || s=6
	((s <= 20)) || s=20
	# shellcheck disable=SC2034  # read by the caller
	CNC_LEAD=${s}s
}

# cnc_status: tsncnc status of $KL_WORK/net.yaml (bridges included) finds no drift
cnc_status() {
	kl_run ip netns exec mgmt "$TSNCNC" status "$KL_WORK/net.yaml" --known-hosts "$KL_WORK/known_hosts"
	((RC == 0)) || kl_fail "status after the deploy ($1): $OUT $ERR"
}

# cnc_txvlan on|off: the VLAN transmit offload of every switch port.  With it on
# (veth's default) a tag the kernel's bridge or tsnd's tc fast path
# (bpf_skb_vlan_push) adds travels beside the frame (skb->vlan_tci) to the veth
# peer, where XDP sees the frame untagged; off, the egress path writes it into
# the frame's bytes (validate_xmit_vlan) and the next switch's XDP sees it.
cnc_txvlan() {
	local s p
	for s in "${SWITCHES[@]}"; do
		for p in ${SWPORTS[$s]}; do
			ip netns exec "$s" ethtool -K "$p" txvlan "$1" ||
				kl_fail "$s:$p: ethtool -K txvlan $1 failed"
		done
	done
}

# cnc_plan_out: the plan of $KL_WORK/net.yaml with each switch's fragment, in $KL_WORK/plan
cnc_plan_out() {
	[[ -f $KL_WORK/plan/plan.json ]] && return 0
	kl_run "$TSNCNC" plan --out "$KL_WORK/plan" "$KL_WORK/net.yaml"
	((RC == 0)) || kl_fail "plan: $OUT $ERR"
}

# cnc_streams: one line per planned stream, in the plan's order:
#   NAME TALKER DST-MAC VID PCP FRAME-BYTES PERIOD-NS OFFSET-NS BOUND-NS LISTENER,...
# (MAC, VID, priority and frame size from the fragments, the rest from plan.json)
# shellcheck disable=SC2001  # sed: the fields of one YAML flow mapping
cnc_streams() {
	local name talker period offset bound listeners frag line
	cnc_plan_out
	frag=$(cat "$KL_WORK"/plan/sw*.yaml)
	# (files, not process substitution: the guest has no /dev/fd)
	jq -r --argjson sw "$(printf '%s\n' "${SWITCHES[@]}" | jq -R . | jq -s .)" '.streams[] |
		"\(.name) \(.talker) \(.period_ns) \(.paths[0].offset_ns) \(.latency_bound_ns) " +
		([.paths[].hops[].to | select(. as $t | $sw | index($t) | not)] | unique | join(","))' \
		"$KL_WORK/plan/plan.json" >"$KL_WORK/plan/streams.txt"
	while read -r name talker period offset bound listeners; do
		line=$(grep -m1 "name: $name, identification: dst-mac-vlan" <<<"$frag")
		echo "$name $talker $(sed 's/.*dst-mac: "\([^"]*\)".*/\1/' <<<"$line")" \
			"$(sed -n 's/.*vlan: \([0-9]*\),.*/\1/p' <<<"$line")" \
			"$(sed 's/.*priority: \([0-9]*\),.*/\1/' <<<"$line")" \
			"$(grep -m1 "{ name: $name, max-sdu:" <<<"$frag" | sed 's/.*max-sdu: \([0-9]*\),.*/\1/')" \
			"$period $offset $bound $listeners"
	done <"$KL_WORK/plan/streams.txt"
}

# shellcheck disable=SC2153  # FRAMES: set by the caller
# cnc_report "NAME BOUND LISTENER,..."...: (one argument per stream id, from 1) per
# stream and listener the bound next to the measured latency, from the listeners'
# $KL_WORK/LISTENER.json; fails when a listener the plan does not name got a frame
# of a stream (how many arrive depends on TCG's timing: reported, not asserted)
cnc_report() {
	local id=0 a name bound listeners l bad="" within=0 rows=0 f=$KL_WORK/report.rows
	local frames max p99 p50 transit tol wmax
	local -A got=()
	# one jq per listener, one awk for all rows (program starts are slow under TCG)
	for l in listener1 listener2; do
		while read -r id frames max p99 p50 transit tol wmax; do
			[[ -z $id ]] || got[$l:$id]="$frames $max $p99 $p50 $transit $tol $wmax"
		done <<<"$(jq -r '"\(.id) \(.frames) \(.lat_max_ns) \(.lat_p99_ns) \(.lat_p50_ns) \(.transit_max_ns) \(.wake_p99_ns) \(.wake_max_ns)"' \
			"$KL_WORK/$l.json")"
	done
	id=0
	: >"$f"
	for a in "$@"; do
		id=$((id + 1))
		read -r name bound listeners <<<"$a"
		for l in ${listeners//,/ }; do
			if [[ -z ${got[$l:$id]:-} ]]; then
				printf '%s\t%s\t%s\n' "$name" "$l" "$bound" >>"$f"
				continue
			fi
			read -r frames max p99 p50 transit tol wmax <<<"${got[$l:$id]}"
			rows=$((rows + 1))
			((max <= bound + tol)) && within=$((within + 1))
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$l" "$bound" "$max" "$p99" "$p50" "$transit" \
				"$tol" "$wmax" "$frames" >>"$f"
		done
		for l in listener1 listener2; do
			[[ ,$listeners, == *,$l,* ]] && continue
			[[ -z ${got[$l:$id]:-} ]] || bad+="$name: frames at $l, not on its path; "
		done
	done
	awk -v total="$FRAMES" 'BEGIN { FS = "\t" }
		NF == 3 { printf "LAB DATA cnc-latency: %-9s -> %-9s bound %6.1f us  no frame arrived\n", $1, $2, $3 / 1000; next }
		{ printf "LAB DATA cnc-latency: %-9s -> %-9s bound %6.1f us  measured max %8.1f us p99 %8.1f p50 %8.1f  transit max %8.1f  talker wake-up p99 %8.1f (tolerance) max %8.1f  frames %s of %s\n",
			$1, $2, $3 / 1000, $4 / 1000, $5 / 1000, $6 / 1000, $7 / 1000, $8 / 1000, $9 / 1000, $10, total }' "$f"
	kl_data "cnc-latency: $within of $rows stream-listener pairs within bound + the talker's p99 wake-up error (frames that arrived)"
	[[ -z $bad ]] || kl_fail "$bad"
}

# cnc_counters SNAP [filters]: every switch's stream filters and bridge entries, as
# $KL_WORK/SNAP.SW.{filters,fdb}.json; with `filters` only the filters (a snapshot
# nothing reads the entries of: each tsnctl start costs under TCG)
cnc_counters() {
	local s
	for s in "${SWITCHES[@]}"; do
		sw_tsnctl "$s" -j filter show >"$KL_WORK/$1.$s.filters.json" || kl_fail "$s: filter show failed"
		[[ ${2:-} == filters ]] ||
			sw_tsnctl "$s" -j fdb show >"$KL_WORK/$1.$s.fdb.json" || kl_fail "$s: fdb show failed"
	done
}

# cnc_filter SNAP SW STREAM FIELD: a counter of STREAM's filter on SW (0: none)
cnc_filter() {
	jq -r --arg n "$3" --arg f "$4" '[.filters[] | select(.name == $n) | .counters[$f] // 0] | add // 0' \
		"$KL_WORK/$1.$2.filters.json"
}

# cnc_counts SNAP SW STREAM MAC: "MATCHED PASSED GATE_CLOSED RED FAST_PATH" of
# STREAM's filter and MAC's static entry on SW, as cnc_filter and cnc_fdb give
# them, from one jq (a program start costs a few hundred ms under TCG)
cnc_counts() {
	jq -r --arg n "$3" --arg m "$4" --slurpfile fdb "$KL_WORK/$1.$2.fdb.json" '
		def f(k): [.filters[] | select(.name == $n) | .counters[k] // 0] | add // 0;
		[f("matched"), f("passed"), f("gate_closed"), f("red"),
		 ([$fdb[0].entries[] | select(.mac == $m and .configured) | .fast_path.packets // 0] | max // 0)]
		| map(tostring) | join(" ")' "$KL_WORK/$1.$2.filters.json"
}

# cnc_root_base SW PORT: "KIND BASE_TIME" of PORT's root qdisc: kl_root_qdisc's
# kind and kl_sched_field's base time from one jq ("null null": no root qdisc)
cnc_root_base() {
	kl_qdisc_json "$1" "$2" |
		jq -r '[.[] | select(.root == true)][0] | "\(.kind) \((if .options.schedule then .options else .options.admin end).base_time)"'
}

# cnc_gated SW PREFIX: SW's configured base times (its schedules' and stream
# gates') are all $BASE, and each of its scheduled ports runs taprio on $BASE in
# the kernel; GATED is set to the number of those ports.  PREFIX starts each
# failure's message.
cnc_gated() {
	local s=$1 what=$2 b ports p kind kb
	GATED=0
	kl_run sw_tsnctl "$s" -j config show
	OUT=$(kl_exact_ints <<<"$OUT")
	# the configured base times (first line), then the scheduled ports: one jq
	{
		read -r b
		read -r ports
	} <<<"$(jq -r '([.ports[] | select(.schedule) | .schedule."base-time"] + [."stream-gates"[]? | ."base-time"] | unique | join(",")),
		([.ports[] | select(.schedule) | .name] | join(" "))' <<<"$OUT")"
	[[ $b == "$BASE" ]] || kl_fail "$what$s: configured base times $b, deployed $BASE"
	for p in $ports; do
		read -r kind kb <<<"$(cnc_root_base "$s" "$p")"
		[[ $kind == taprio ]] || kl_fail "$what$s:$p: no taprio: $(kl_root_qdisc "$s" "$p")"
		[[ $kb == "$BASE" ]] || kl_fail "$what$s:$p: the kernel's base time $kb, deployed $BASE"
		GATED=$((GATED + 1))
	done
}

# cnc_fdb SNAP SW MAC: the fast-path packets of SW's static entry for MAC (the same
# on each of a multicast entry's port rows; 0: none counted)
cnc_fdb() {
	jq -r --arg m "$3" '[.entries[] | select(.mac == $m and .configured) | .fast_path.packets // 0] | max // 0' \
		"$KL_WORK/$1.$2.fdb.json"
}

kl_us() {
	awk -v n="$1" 'BEGIN { printf "%.1f", n / 1000 }'
}
