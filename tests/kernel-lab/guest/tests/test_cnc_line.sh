#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_cnc_line.sh — issue 14, item 4 (first part): tsncnc plans the line of three
# switches of configs/networks/line3.yaml (8 streams, periods 500 us, 1 ms, 2 ms) and
# deploys it over NETCONF with the gate schedules on taprio; every switch runs the
# plan and every gated port's taprio runs on the one base time of the deploy (read
# back from tsnd's configuration and from the kernel).
#
#   talker1 ─ sw1p1 ┐                               ┌ sw3p2 ─ listener1
#                   sw1 ─ sw1p3 ── sw2p1 sw2 sw2p2 ── sw3p1 sw3
#   talker2 ─ sw1p2 ┘                               └ sw3p3 ─ listener2
#
# Each switch is a namespace with its own tsnd; the three tsn-netconfd run in the
# namespace "mgmt" on 127.0.0.1:8301..8303, each on its switch's control socket, and
# tsncnc reaches them there with key authentication.  Traffic at the planned offsets
# and the measured latencies are not here yet (see docs/cnc.md).
. /tsn/tests/kernel-lab/guest/lib.sh

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

test_deploy_line() {
	local s p base b root kb n=0
	line
	sed -e 's/address: 192\.0\.2\.1\([0-9]\), port: 830/address: 127.0.0.1, port: 830\1/' \
		-e "s|key: /etc/tsncnc/id_ed25519|key: $KL_WORK/cnc|" /tsn/configs/networks/line3.yaml >"$KL_WORK/net.yaml"
	kl_run ip netns exec mgmt "$TSNCNC" deploy "$KL_WORK/net.yaml" --lead 20s --confirm-timeout 600 \
		--known-hosts "$KL_WORK/known_hosts"
	((RC == 0)) || kl_fail "deploy: $ERR $(for s in "${SWITCHES[@]}"; do kl_tail "$KL_WORK/$s/tsnd.log" 3; done)"
	base=$(sed -n 's/^base-time \([0-9]*\) .*/\1/p' <<<"$OUT")
	[[ -n $base ]] || kl_fail "no base time in: $OUT"
	kl_data "cnc-line: deployed to 3 switches, base-time $base"
	for s in "${SWITCHES[@]}"; do
		kl_run sw_tsnctl "$s" -j config show
		OUT=$(kl_exact_ints <<<"$OUT")
		b=$(jq -r '[.ports[] | select(.schedule) | .schedule."base-time"] + [."stream-gates"[]? | ."base-time"] | unique | join(",")' <<<"$OUT")
		[[ $b == "$base" ]] || kl_fail "$s: configured base times $b, deployed $base"
		for p in $(jq -r '.ports[] | select(.schedule) | .name' <<<"$OUT"); do
			root=$(kl_root_qdisc "$s" "$p")
			[[ $(jq -r .kind <<<"$root") == taprio ]] || kl_fail "$s:$p: no taprio: $root"
			kb=$(kl_sched_field "$root" base_time)
			[[ $kb == "$base" ]] || kl_fail "$s:$p: the kernel's base time $kb, deployed $base"
			n=$((n + 1))
		done
	done
	((n >= 4)) || kl_fail "only $n gated ports"
	kl_data "cnc-line: $n gated ports, all on base-time $base in tsnd and in taprio"
	kl_run ip netns exec mgmt "$TSNCNC" status "$KL_WORK/net.yaml" --known-hosts "$KL_WORK/known_hosts"
	((RC == 0)) || kl_fail "status after the deploy: $OUT $ERR"
}

kl_test cnc-line test_deploy_line
