#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# cnc_line.sh — the kernel lab's line of three switches for tsncnc (issue 14), sourced
# by tests/test_cnc_line.sh, tests/test_cnc_latency.sh and demo_network.sh after lib.sh:
#
#   talker1 ─ sw1p1 ┐                               ┌ sw3p2 ─ listener1
#                   sw1 ─ sw1p3 ── sw2p1 sw2 sw2p2 ── sw3p1 sw3
#   talker2 ─ sw1p2 ┘                               └ sw3p3 ─ listener2
#
# Each switch is a namespace with its own tsnd; the three tsn-netconfd run in the
# namespace "mgmt" on 127.0.0.1:8301..8303, each on its switch's control socket, and
# tsncnc reaches them there with key authentication.
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

# cnc_net: configs/networks/line3.yaml with the lab's NETCONF addresses and key, in
# $KL_WORK/net.yaml
cnc_net() {
	sed -e 's/address: 192\.0\.2\.1\([0-9]\), port: 830/address: 127.0.0.1, port: 830\1/' \
		-e "s|key: /etc/tsncnc/id_ed25519|key: $KL_WORK/cnc|" /tsn/configs/networks/line3.yaml >"$KL_WORK/net.yaml"
}

# cnc_deploy: deploy $KL_WORK/net.yaml to the line; BASE is the deploy's base time
cnc_deploy() {
	local s
	kl_run ip netns exec mgmt "$TSNCNC" deploy "$KL_WORK/net.yaml" --no-bridge --lead 20s --confirm-timeout 600 \
		--known-hosts "$KL_WORK/known_hosts"
	((RC == 0)) || kl_fail "deploy: $ERR $(for s in "${SWITCHES[@]}"; do kl_tail "$KL_WORK/$s/tsnd.log" 3; done)"
	BASE=$(sed -n 's/^base-time \([0-9]*\) .*/\1/p' <<<"$OUT")
	[[ -n $BASE ]] || kl_fail "no base time in: $OUT"
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

# cnc_bridges: L2 forwarding of the streams in every switch, as the plan routes them
# (tsnd has no bridging yet): a Linux bridge over the switch's ports, multicast
# flooding off, one static L2 multicast entry per stream and egress port of its path
cnc_bridges() {
	local s p name mac
	for s in "${SWITCHES[@]}"; do
		ip -n "$s" link add br0 type bridge mcast_snooping 1
		for p in ${SWPORTS[$s]}; do
			ip -n "$s" link set "$p" master br0
			ip -n "$s" link set "$p" type bridge_slave mcast_flood off
		done
		ip -n "$s" link set br0 up
	done
	cnc_plan_out
	jq -r '.streams[] | .name as $n | .paths[].hops[].port | select(contains(":")) | split(":") |
		select(.[1] != "eth0") | "\($n) \(.[0]) \(.[1])"' "$KL_WORK/plan/plan.json" | sort -u >"$KL_WORK/plan/mdb.txt"
	while read -r name s p; do
		mac=$(cat "$KL_WORK"/plan/sw*.yaml | grep -m1 "name: $name, identification" | sed 's/.*dst-mac: "\([^"]*\)".*/\1/')
		bridge -n "$s" mdb add dev br0 port "$p" grp "$mac" permanent ||
			kl_fail "$s: no L2 multicast entry for $name ($mac) on $p"
	done <"$KL_WORK/plan/mdb.txt"
}

# shellcheck disable=SC2153  # FRAMES: set by the caller
# cnc_report "NAME BOUND LISTENER,..."...: (one argument per stream id, from 1) per
# stream and listener the bound next to the measured latency, from the listeners'
# $KL_WORK/LISTENER.json; fails when a listener the plan does not name got a frame
# of a stream (how many arrive depends on TCG's timing: reported, not asserted)
cnc_report() {
	local id=0 a name bound listeners l row frames tol max bad="" within=0 rows=0
	for a in "$@"; do
		id=$((id + 1))
		read -r name bound listeners <<<"$a"
		for l in ${listeners//,/ }; do
			row=$(jq -c "select(.id == $id)" "$KL_WORK/$l.json")
			if [[ -z $row ]]; then
				kl_data "cnc-latency: $(printf '%-9s -> %-9s bound %6.1f us  no frame arrived' "$name" "$l" "$(kl_us "$bound")")"
				continue
			fi
			frames=$(jq .frames <<<"$row")
			max=$(jq .lat_max_ns <<<"$row")
			tol=$(jq .wake_p99_ns <<<"$row")
			rows=$((rows + 1))
			((max <= bound + tol)) && within=$((within + 1))
			kl_data "cnc-latency: $(printf '%-9s -> %-9s bound %6.1f us  measured max %8.1f us p99 %8.1f p50 %8.1f  transit max %8.1f  talker wake-up p99 %8.1f (tolerance) max %8.1f  frames %s of %s' \
				"$name" "$l" "$(kl_us "$bound")" "$(kl_us "$max")" "$(kl_us "$(jq .lat_p99_ns <<<"$row")")" \
				"$(kl_us "$(jq .lat_p50_ns <<<"$row")")" "$(kl_us "$(jq .transit_max_ns <<<"$row")")" \
				"$(kl_us "$tol")" "$(kl_us "$(jq .wake_max_ns <<<"$row")")" "$frames" "$FRAMES")"
		done
		for l in listener1 listener2; do
			[[ ,$listeners, == *,$l,* ]] && continue
			[[ -z $(jq -c "select(.id == $id)" "$KL_WORK/$l.json") ]] || bad+="$name: frames at $l, not on its path; "
		done
	done
	kl_data "cnc-latency: $within of $rows stream-listener pairs within bound + the talker's p99 wake-up error (frames that arrived)"
	[[ -z $bad ]] || kl_fail "$bad"
}

kl_us() {
	awk -v n="$1" 'BEGIN { printf "%.1f", n / 1000 }'
}
