#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_deploy.sh — tsncnc deploy, status and diff against three real switches: each a
# network namespace with its own tsnd on veth ports, each with its own tsn-netconfd
# (in a management namespace, talking to its tsnd over its control socket), all
# reached over NETCONF/SSH with key authentication.  Checks: a deploy reaches every
# switch with one base time, status shows no drift, diff is empty; a changed plan
# shows in diff and deploys everywhere; a switch that refuses (a planned port it does
# not have), one that cannot be reached, and a wrong key each leave every switch on
# its previous configuration (read back with tsnctl); a static entry deleted from a
# switch's kernel bridge behind tsnd's back is drift in status.
#
# Run: TSN_BUILD=build bash tests/cnc/test_deploy.sh  (root; needs tsnd, tsnctl,
# tsn-netconfd and tsncnc built).  The host kernel has no taprio: tsnd keeps a gate
# schedule it cannot install (schedule state in `tsnctl status`) and the
# configuration still applies; the kernel lab runs the same with taprio.
# shellcheck source=../integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

TSNCNC=$IT_BUILD/tsncnc
NETCONFD=$IT_BUILD/tsn-netconfd
YANG_DIR=$IT_REPO/netconf/yang
SWITCHES=(sw1 sw2 sw3)
declare -A NC_PORT=([sw1]=8301 [sw2]=8302 [sw3]=8303)
declare -A PORTS=([sw1]="s1a s1b" [sw2]="s2a s2b s2c" [sw3]="s3a s3b")

# The line:  ta -- sw1 -- sw2 -- sw3 -- lb,  tc on sw2.
line_fixture() {
	lab_ns_add mgmt
	local s
	for s in "${SWITCHES[@]}"; do
		lab_ns_add "$s"
	done
	for s in ta lb tc; do
		lab_ns_add "$s"
	done
	lab_veth ta eth0 sw1 s1a 2
	lab_veth sw1 s1b sw2 s2a 2
	lab_veth sw2 s2b sw3 s3a 2
	lab_veth sw3 s3b lb eth0 2
	lab_veth tc eth0 sw2 s2c 2
	line_keys
	for s in "${SWITCHES[@]}"; do
		start_switch "$s"
	done
}

# line_keys: the host key all switches share here, the CNC's key, a key no switch
# knows, and known_hosts with every switch's address.
line_keys() {
	local s
	KEYS=$IT_DIR/keys
	mkdir -p "$KEYS"
	ssh-keygen -q -t ed25519 -N '' -f "$KEYS/host" <<<y >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$KEYS/cnc" <<<y >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$KEYS/stranger" <<<y >/dev/null
	KNOWN=$IT_DIR/known_hosts
	: >"$KNOWN"
	for s in "${SWITCHES[@]}"; do
		echo "[127.0.0.1]:${NC_PORT[$s]} $(cut -d' ' -f1-2 "$KEYS/host.pub")" >>"$KNOWN"
	done
}

# start_switch SW: tsnd in SW's namespace with its ports (no schedule), and its
# tsn-netconfd on 127.0.0.1:NC_PORT in the management namespace.
start_switch() {
	local s=$1 p conf=$IT_DIR/$1.yaml
	{
		cat <<EOF
daemon: { log-level: info, log-target: stderr, pid-file: $IT_DIR/$s.pid, state-dir: $IT_DIR/$s.state }
control: { socket: $IT_DIR/$s.sock, socket-mode: "0660", timeout: 5s }
ptp: { enabled: false }
dataplane: { pin-dir: /sys/fs/bpf/${LAB_PREFIX}$s, keep-on-exit: false }
ports:
EOF
		for p in ${PORTS[$s]}; do
			echo "  - { name: $p, xdp: generic }"
		done
	} >"$conf"
	mkdir -p "$IT_DIR/$s.state"
	local pid
	lab_spawn pid "$s" "$TSND" -f --stderr -c "$conf" >>"$IT_DIR/tsnd-$s.log" 2>&1
	lab_wait_until 10 lab_exec "$s" "$TSNCTL" -s "$IT_DIR/$s.sock" status >/dev/null ||
		it_fail "tsnd of $s does not answer: $(lab_exec "$s" "$TSNCTL" -s "$IT_DIR/$s.sock" status 2>&1 | head -c 300); log: $(it_tail "$IT_DIR/tsnd-$s.log")"
	start_netconfd "$s"
}

start_netconfd() {
	local s=$1
	cat >"$IT_DIR/nc-$s.yaml" <<EOF
listen: 127.0.0.1
port: ${NC_PORT[$s]}
host-key: $KEYS/host
tsnd-socket: $IT_DIR/$s.sock
yang-dir: $YANG_DIR
users:
  - name: cnc
    role: admin
    keys: [$KEYS/cnc.pub]
EOF
	local pid
	lab_spawn pid mgmt "$NETCONFD" -c "$IT_DIR/nc-$s.yaml" >>"$IT_DIR/netconfd-$s.log" 2>&1
	printf -v "NCD_PID_$s" '%s' "$pid"
	lab_wait_until 10 bash -c "ip netns exec $(lab_ns mgmt) bash -c 'echo >/dev/tcp/127.0.0.1/${NC_PORT[$s]}' 2>/dev/null" ||
		it_fail "tsn-netconfd of $s did not listen: $(it_tail "$IT_DIR/netconfd-$s.log")"
}

# network FILE [KEY] [EXTRA-STREAM]: the network file for the line.
network() {
	local key=${2:-$KEYS/cnc}
	cat >"$1" <<EOF
planner: { cycle-limit: 10ms, precision: 1us }
switches:
  - name: sw1
    netconf: { address: 127.0.0.1, port: ${NC_PORT[sw1]}, user: cnc, key: $key }
    ports: [ { name: s1a, link-speed: 1000 }, { name: s1b, link-speed: 1000 } ]
  - name: sw2
    netconf: { address: 127.0.0.1, port: ${NC_PORT[sw2]}, user: cnc, key: $key }
    ports: [ { name: s2a, link-speed: 1000 }, { name: s2b, link-speed: 1000 }, { name: s2c, link-speed: 1000 } ]
  - name: sw3
    netconf: { address: 127.0.0.1, port: ${NC_PORT[sw3]}, user: cnc, key: $key }
    ports: [ { name: s3a, link-speed: 1000 }, { name: s3b, link-speed: 1000 } ]
stations:
  - { name: ta, link-speed: 1000 }
  - { name: lb, link-speed: 1000 }
  - { name: tc, link-speed: 1000 }
links:
  - { a: ta, b: "sw1:s1a", propagation: 50ns }
  - { a: "sw1:s1b", b: "sw2:s2a", propagation: 500ns }
  - { a: "sw2:s2b", b: "sw3:s3a", propagation: 500ns }
  - { a: "sw3:s3b", b: lb, propagation: 50ns }
  - { a: tc, b: "sw2:s2c", propagation: 50ns }
streams:
  - { name: m1, talker: ta, listeners: [lb], period: 500us, frame-size: 128B, max-latency: 100us,
      priority: 5, vlan: 100, dst-mac: "01:00:5e:7f:00:01" }
  - { name: s2, talker: tc, listeners: [lb], period: 1ms, frame-size: 256B, max-latency: 200us,
      priority: 5, vlan: 100, dst-mac: "01:00:5e:7f:00:02" }
  - { name: v3, talker: lb, listeners: [ta], period: 2ms, frame-size: 1500B, max-latency: 1ms,
      priority: 4, vlan: 100, dst-mac: "01:00:5e:7f:00:03" }
${3:-}
EOF
}

# cnc CMD ARGS...: tsncnc in the management namespace; --no-gates: this kernel has
# no taprio (cnc_gates runs without it to see the refusal); --no-bridge: it refuses
# bridge VLAN filtering
# TSNCNC_WRAP (optional): a command to run tsncnc under, e.g.
# "valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite"
read -ra WRAP <<<"${TSNCNC_WRAP:-}"
cnc() {
	it_run lab_exec mgmt "${WRAP[@]}" "$TSNCNC" "$@" --known-hosts "$KNOWN" --no-gates --no-bridge
}

# cnc_gates: with gates (to see taprio's refusal), still without the VLAN-filtering bridge
cnc_gates() {
	it_run lab_exec mgmt "${WRAP[@]}" "$TSNCNC" "$@" --known-hosts "$KNOWN" --no-bridge
}

# cnc_bridge: with the VLAN-filtering bridge (to see this kernel's refusal), no gates
cnc_bridge() {
	it_run lab_exec mgmt "${WRAP[@]}" "$TSNCNC" "$@" --known-hosts "$KNOWN" --no-gates
}

# sw_config SW: tsnd's running configuration, integers of 16 digits and more (base
# times) quoted: jq holds numbers as doubles, which cannot keep every nanosecond.
sw_config() {
	lab_exec "$1" "$TSNCTL" -s "$IT_DIR/$1.sock" -j config show |
		sed -E -e 's/([:,[])(-?[0-9]{16,})([],}])/\1"\2"\3/g' -e 's/([:,[])(-?[0-9]{16,})([],}])/\1"\2"\3/g'
}

# snapshot: every switch's running configuration, in one string
snapshot() {
	local s
	for s in "${SWITCHES[@]}"; do
		echo "== $s"
		sw_config "$s"
	done
}

generation() {
	lab_exec "$1" "$TSNCTL" -s "$IT_DIR/$1.sock" -j status | jq -r .config.generation
}

test_deploy_status_diff() {
	line_fixture
	network "$IT_DIR/net.yaml"
	# before: every switch differs from the plan
	cnc diff "$IT_DIR/net.yaml"
	expect_eq "$RC" 1 "diff before the first deploy: exit 1; stderr: ${ERR:0:300}"
	expect_match "$OUT" "^sw2: changes" "diff names sw2"
	expect_match "$OUT" "stream-gates|streams\[" "diff shows the streams"
	cnc deploy "$IT_DIR/net.yaml" --lead 2s
	expect_eq "$RC" 0 "deploy: ${ERR:0:600}"
	expect_match "$OUT" "^sw1: deployed" "sw1 deployed"
	expect_match "$OUT" "^sw3: deployed" "sw3 deployed"
	local base s b want
	base=$(sed -n 's/^base-time \([0-9]*\) .*/\1/p' <<<"$OUT")
	[[ -n $base ]] || it_fail "no base time in: $OUT"
	(( base % 2000000 == 0 )) || it_fail "base time $base is not on the 2 ms cycle's grid"
	# every switch runs the plan, every stream gate on the one base time
	for s in "${SWITCHES[@]}"; do
		it_run sw_config "$s"
		want='["m1", "s2", "v3"]'
		[[ $s != sw1 ]] || want='["m1", "v3"]'	# s2 goes tc -> sw2 -> sw3 -> lb
		expect_json "$OUT" "[.\"stream-filters\"[] | .name] | sort == $want" "$s polices its streams"
		b=$(jq -r '[.ports[] | select(.schedule) | .schedule."base-time"] + [."stream-gates"[]? | ."base-time"] | unique | join(",")' <<<"$OUT")
		expect_eq "$b" "$base" "$s: base times"
	done
	it_run sw_config sw2
	expect_json "$OUT" '[."stream-gates"[] | ."cycle-time"] | unique == ["2ms"]' "sw2's stream gates on the 2 ms cycle"
	expect_json "$OUT" '[.ports[] | select(.schedule)] == []' "no gate schedules with --no-gates"
	expect_json "$OUT" '.bridge == null' "no bridge with --no-bridge"
	cnc status "$IT_DIR/net.yaml"
	expect_eq "$RC" 0 "status after deploy: ${OUT:0:600} ${ERR:0:300}"
	expect_match "$OUT" "^sw1: as planned \(base-time $base\)" "status sw1"
	cnc diff "$IT_DIR/net.yaml" -j
	expect_eq "$RC" 0 "diff after deploy: ${OUT:0:600}"
	expect_json "$OUT" '.changes == false and ([.switches[].changes[]] | length == 0)' "diff empty"

	# a changed plan: a new stream; diff shows it, deploy changes every switch it crosses
	network "$IT_DIR/net2.yaml" "" '  - { name: n4, talker: ta, listeners: [lb], period: 1ms, frame-size: 64B, max-latency: 500us,
      priority: 5, vlan: 100, dst-mac: "01:00:5e:7f:00:04" }'
	cnc diff "$IT_DIR/net2.yaml"
	expect_eq "$RC" 1 "diff of the changed plan"
	expect_match "$OUT" "n4" "diff names the new stream"
	local g1 g3
	g1=$(generation sw1)
	g3=$(generation sw3)
	cnc deploy "$IT_DIR/net2.yaml" --lead 2s
	expect_eq "$RC" 0 "deploy of the changed plan: ${ERR:0:600}"
	expect_eq "$(generation sw1)" "$((g1 + 1))" "sw1 took the new plan"
	expect_eq "$(generation sw3)" "$((g3 + 1))" "sw3 took the new plan"
	for s in "${SWITCHES[@]}"; do
		it_run sw_config "$s"
		expect_json "$OUT" '[."stream-filters"[]? | .name] | index("n4") != null' "$s polices n4"
	done
	cnc status "$IT_DIR/net2.yaml"
	expect_eq "$RC" 0 "no drift from the new plan"
	# the old plan is now drift
	cnc status "$IT_DIR/net.yaml"
	expect_eq "$RC" 1 "status against the old plan"
	expect_match "$OUT" "^sw1: DRIFT" "drift on sw1"
	# operational drift: a planned port disappears from sw3
	ip -n "$(lab_ns sw3)" link del s3b
	cnc status "$IT_DIR/net2.yaml"
	expect_eq "$RC" 1 "status with a port gone: ${OUT:0:400}"
	expect_match "$OUT" "^sw3: DRIFT" "drift on sw3"
	expect_match "$OUT" "! state: port s3b is not present on the switch" "the missing port named"
	expect_match "$OUT" "^sw1: as planned" "sw1 still as planned"
}

test_refusal_unreachable_wrong_key() {
	line_fixture
	network "$IT_DIR/net.yaml"
	cnc deploy "$IT_DIR/net.yaml" --lead 2s
	expect_eq "$RC" 0 "first deploy: ${ERR:0:600}"
	local before
	before=$(snapshot)

	# sw3 refuses: the plan gives it a port it does not have
	sed -e 's/name: s3b, link-speed/name: s3x, link-speed/' -e 's/"sw3:s3b"/"sw3:s3x"/' "$IT_DIR/net.yaml" >"$IT_DIR/refuse.yaml"
	network "$IT_DIR/tmp.yaml" "" '  - { name: n4, talker: ta, listeners: [lb], period: 1ms, frame-size: 64B, max-latency: 500us,
      priority: 5, vlan: 100, dst-mac: "01:00:5e:7f:00:04" }'
	sed -e 's/name: s3b, link-speed/name: s3x, link-speed/' -e 's/"sw3:s3b"/"sw3:s3x"/' "$IT_DIR/tmp.yaml" >"$IT_DIR/refuse.yaml"
	cnc deploy "$IT_DIR/refuse.yaml" --lead 2s
	expect_eq "$RC" 4 "deploy refused: ${OUT:0:300}"
	expect_match "$ERR" "sw3: .*refused: .*s3x" "the refusal names the switch and the port"
	expect_match "$ERR" "every switch keeps its previous configuration" "all or nothing"
	[[ $(snapshot) == "$before" ]] || it_fail "a switch changed: $(diff <(echo "$before") <(snapshot) | head -n 6 | tr '\n' '|')"

	# sw2's tsn-netconfd is gone
	local p=NCD_PID_sw2
	lab_stop_pid "${!p}" 3
	cnc deploy "$IT_DIR/tmp.yaml" --lead 2s
	expect_eq "$RC" 4 "deploy with sw2 unreachable"
	expect_match "$ERR" "sw2: cannot connect to 127.0.0.1 port 8302" "unreachable named"
	expect_match "$ERR" "nothing deployed" "nothing deployed"
	[[ $(snapshot) == "$before" ]] || it_fail "a switch changed with sw2 unreachable"
	cnc status "$IT_DIR/net.yaml"
	expect_eq "$RC" 4 "status with sw2 unreachable"
	start_netconfd sw2

	# a key the switches do not know
	network "$IT_DIR/stranger.yaml" "$KEYS/stranger" '  - { name: n4, talker: ta, listeners: [lb], period: 1ms, frame-size: 64B, max-latency: 500us,
      priority: 5, vlan: 100, dst-mac: "01:00:5e:7f:00:04" }'
	cnc deploy "$IT_DIR/stranger.yaml" --lead 2s
	expect_eq "$RC" 4 "deploy with a wrong key"
	expect_match "$ERR" "sw1: cannot connect .* as cnc: .*[Aa]uth" "authentication failure named"
	[[ $(snapshot) == "$before" ]] || it_fail "a switch changed with a wrong key"

	# with gate schedules this kernel (no taprio) refuses on sw1: nothing changes
	cnc_gates deploy "$IT_DIR/tmp.yaml" --lead 2s
	expect_eq "$RC" 4 "deploy with gates on a kernel without taprio"
	expect_match "$ERR" "sw1: confirmed commit refused: .*taprio" "the kernel's refusal is named"
	[[ $(snapshot) == "$before" ]] || it_fail "a switch changed after the taprio refusal"

	# with the bridge section (VLAN 100 streams: VLAN filtering) this kernel refuses too
	cnc_bridge deploy "$IT_DIR/tmp.yaml" --lead 2s
	expect_eq "$RC" 4 "deploy with the bridge on a kernel without bridge VLAN filtering"
	expect_match "$ERR" "sw1: confirmed commit refused: .*vlan-filtering" "the bridge's refusal is named"
	[[ $(snapshot) == "$before" ]] || it_fail "a switch changed after the bridge refusal"

	# bad input: nothing is contacted, nothing changes
	cnc deploy "$IT_DIR/tmp.yaml" --lead soon
	expect_eq "$RC" 2 "a bad --lead"
	expect_match "$ERR" "^tsncnc: --lead 'soon': expected a duration" "the option named"
	sed 's/"sw2:s2a"/"sw2:s2z"/' "$IT_DIR/tmp.yaml" >"$IT_DIR/badport.yaml"
	cnc deploy "$IT_DIR/badport.yaml"
	expect_eq "$RC" 2 "a link to a port that does not exist"
	expect_match "$ERR" "^$IT_DIR/badport.yaml:[0-9]+:[0-9]+: links\[1\]\.b: sw2 has no port 's2z'" "file:line:col and field"
	[[ $(snapshot) == "$before" ]] || it_fail "a switch changed after bad input"

	# an unknown host key
	: >"$IT_DIR/empty_known"
	it_run lab_exec mgmt "$TSNCNC" status "$IT_DIR/net.yaml" --known-hosts "$IT_DIR/empty_known"
	expect_eq "$RC" 4 "unknown host key"
	expect_match "$ERR" "sw1: cannot connect to 127.0.0.1 port 8301 as cnc: host key of 127.0.0.1 is not known in $IT_DIR/empty_known" "host key check"
	# and after all that the plan still deploys
	cnc status "$IT_DIR/net.yaml"
	expect_eq "$RC" 0 "still as planned: ${OUT:0:400} ${ERR:0:300}"
}

# Kernel-side bridge drift: a plan whose streams carry no VLAN gives each switch a
# VLAN-unaware bridge (this kernel refuses VLAN filtering) with static entries;
# an entry deleted behind tsnd's back (bridge fdb del / bridge mdb del) leaves
# tsnd's running configuration as planned, and status still reports the switch
# as drift (exit 1), naming the entry, from the bridge state the switch serves.
test_bridge_drift() {
	line_fixture
	network "$IT_DIR/net.yaml" "" '  - { name: u5, talker: ta, listeners: [lb], period: 2ms, frame-size: 64B, max-latency: 1ms,
      priority: 5, dst-mac: "02:00:00:00:0b:05" }'
	sed -i 's/ vlan: 100,//' "$IT_DIR/net.yaml"
	cnc_bridge deploy "$IT_DIR/net.yaml" --lead 2s
	expect_eq "$RC" 0 "deploy with the bridge: ${ERR:0:600}"
	cnc_bridge status "$IT_DIR/net.yaml"
	expect_eq "$RC" 0 "status after the deploy: ${OUT:0:600} ${ERR:0:300}"
	expect_match "$OUT" "^sw1: as planned" "sw1 as planned"
	local ns1 ns2
	ns1=$(lab_ns sw1)
	ns2=$(lab_ns sw2)
	[[ $(bridge -n "$ns1" -j fdb show br br0 | jq -r '[.[] | select(.mac == "02:00:00:00:0b:05" and .state == "static")][0].ifname') == s1b ]] ||
		it_fail "sw1 has no static entry for u5 on s1b: $(bridge -n "$ns1" fdb show br br0 | head -c 600)"
	# behind tsnd's back: u5's unicast entry on sw1, m1's multicast entry on sw2
	bridge -n "$ns1" fdb del 02:00:00:00:0b:05 dev s1b master || it_fail "bridge fdb del failed"
	bridge -n "$ns2" mdb del dev br0 port s2b grp 01:00:5e:7f:00:01 || it_fail "bridge mdb del failed"
	cnc_bridge status "$IT_DIR/net.yaml"
	expect_eq "$RC" 1 "status with entries gone from the kernel: ${OUT:0:800} ${ERR:0:300}"
	expect_match "$OUT" "^sw1: DRIFT" "drift on sw1"
	expect_match "$OUT" "! state: bridge br0: static entry 02:00:00:00:0b:05 vid 0 to s1b is not in the kernel" "sw1's entry named"
	expect_match "$OUT" "! state: bridge br0: drift: static entry" "tsnd's own drift reason"
	expect_match "$OUT" "^sw2: DRIFT" "drift on sw2"
	expect_match "$OUT" "! state: bridge br0: static entry 01:00:5e:7f:00:01 vid 0 to s2b is not in the kernel" "sw2's entry named"
	expect_match "$OUT" "^sw3: as planned" "sw3 as planned"
	# tsnd's running configuration is still the plan: only the kernel says otherwise
	expect_no_match "$OUT" "^  [^!]" "no configuration difference"
	cnc_bridge status "$IT_DIR/net.yaml" -j
	expect_eq "$RC" 1 "status -j: exit 1"
	expect_json "$OUT" '.drift == true and (.switches.sw3.changes | length == 0) and
		([.switches.sw1.changes[] | select(test("static entry 02:00:00:00:0b:05 vid 0 to s1b is not in the kernel"))] | length == 1)' "status -j"
}

# Sourced (tests/cnc/bench_deploy.sh): the functions only.
[[ ${BASH_SOURCE[0]} == "$0" ]] || return 0
[[ -x $TSNCNC && -x $NETCONFD ]] || { echo "FAIL setup: build tsncnc and tsn-netconfd first"; exit 1; }
it_main ${ONLY:-deploy_status_diff refusal_unreachable_wrong_key bridge_drift}
