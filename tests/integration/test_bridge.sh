#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_bridge.sh — 802.1Q bridging's slow path on the host kernel's bridge
# (daemon/bridge/, docs/bridge.md): tsnd creates a bridge over three veth ports
# into three host namespaces; static unicast (FDB) and multicast (MDB) entries
# are in the kernel; flooding and learning work (ping), learnt entries show in
# `tsnctl fdb show`; a reload moves a static entry; a reload that fails (fault
# injection in the bridge step, and in the step after it) leaves the bridge
# exactly as it was; removing the section removes what tsnd created; an adopted
# bridge keeps its settings and ports; drift is seen; the host kernel's refusal
# of VLAN filtering is reported at the field; veth ports' VLAN transmit offload
# is off while they are tsnd's bridge ports, and back on after (and on a
# rollback).  ONLY="NAME..." runs only those.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TSND_FAULT_BIN=$IT_BUILD/tests/tsnd-fault
BR=br18t
UC_MAC=02:18:00:00:00:99	# a unicast stream's destination (no host has it)
MC_MAC=01:1b:19:00:00:18	# a multicast stream's destination

# br_hosts: hosts h1..h3 (10.18.0.N/24, MAC 02:18:00:00:00:0N) on switch ports b18p1..3.
br_hosts() {
	local i
	for i in 1 2 3; do
		lab_ns_add "h$i"
		lab_veth "h$i" eth0 "$IT_NS" "b18p$i" 1
		lab_on_cleanup ip -n "$(lab_ns "$IT_NS")" link del "b18p$i"
		ip -n "$(lab_ns "h$i")" link set eth0 address "02:18:00:00:00:0$i"
		lab_addr "h$i" eth0 "10.18.0.$i/24"
	done
	# Whatever bridge a test leaves behind goes too.
	lab_on_cleanup br_del
}

br_del() { ip -n "$(lab_ns "$IT_NS")" link del "$BR" 2>/dev/null || true; }

# br_config FILE UCPORT [EXTRA-BRIDGE-LINES]: it_config plus a bridge section.
br_config() {
	local file=$1 ucport=$2
	it_config "$file" xdp=off
	cat >>"$file" <<EOF
bridge:
  name: $BR
  ageing-time: 300
  ports:
    - name: b18p1
    - name: b18p2
    - name: b18p3
  fdb:
    - { mac: "$UC_MAC", ports: [$ucport] }
    - { mac: "$MC_MAC", ports: [b18p2, b18p3] }
${3:-}
EOF
}

br_ns() { lab_ns "$IT_NS"; }

# The kernel's bridge objects as one text: settings, ports, static and MDB entries.
br_snapshot() {
	local ns
	ns=$(br_ns)
	echo "== bridge"
	ip -n "$ns" -j -d link show type bridge |
		jq -S -c '.[] | {ifname, up: (.flags | index("UP") != null), age: .linkinfo.info_data.ageing_time,
			vf: .linkinfo.info_data.vlan_filtering}'
	echo "== ports"
	ip -n "$ns" -j link show | jq -S -c '[.[] | select(.ifname | startswith("b18p")) | {ifname, master}]'
	echo "== static"
	bridge -n "$ns" -j fdb show | jq -S -c '[.[] | select(.state == "static") | {mac, ifname, vlan}] | sort'
	# only tsnd's permanent groups: the hosts' MLD joins come and go as "temp"
	echo "== mdb"
	bridge -n "$ns" -j mdb show | jq -S -c '[.[].mdb[]? | select(.state == "permanent") | {port, grp, vid}] | sort'
}

static_port() { # MAC: the port of the bridge's static entry for MAC, or ""
	bridge -n "$(br_ns)" -j fdb show | jq -r --arg m "$1" '[.[] | select(.mac == $m and .state == "static")][0].ifname // ""'
}

test_create_entries() {
	br_hosts
	br_config "$IT_DIR/b.yaml" b18p3
	it_start_tsnd "$IT_DIR/b.yaml"
	local ns info
	ns=$(br_ns)
	info=$(ip -n "$ns" -j -d link show "$BR")
	expect_json "$info" '.[0].linkinfo.info_kind == "bridge" and (.[0].flags | index("UP") != null)' "bridge created and up"
	expect_json "$info" '.[0].linkinfo.info_data.ageing_time == 30000' "ageing time in centiseconds"
	for p in b18p1 b18p2 b18p3; do
		expect_eq "$(ip -n "$ns" -j link show "$p" | jq -r '.[0].master')" "$BR" "$p's master"
	done
	expect_eq "$(static_port "$UC_MAC")" b18p3 "unicast static entry"
	local mdb
	mdb=$(bridge -n "$ns" -j mdb show)
	expect_json "$mdb" "[.[].mdb[]? | select(.grp == \"$MC_MAC\" and .state == \"permanent\") | .port] | sort == [\"b18p2\", \"b18p3\"]" \
		"multicast entry on b18p2 and b18p3"
	expect_exit 0 tsnctl_sw -j bridge show
	expect_json "$OUT" '.enabled and .present and .created and .drift == false and (.ports | length) == 3 and ([.ports[].member] | all)' "bridge show"
	expect_exit 0 tsnctl_sw bridge show
	expect_match "$OUT" "created by tsnd" "bridge show text"
	expect_exit 0 tsnctl_sw -j fdb show
	expect_json "$OUT" "[.entries[] | select(.mac == \"$UC_MAC\" and .kind == \"static\" and .configured and .port == \"b18p3\")] | length == 1" "fdb show: static entry"
	expect_json "$OUT" "[.entries[] | select(.mac == \"$MC_MAC\" and .kind == \"multicast\")] | length == 2" "fdb show: multicast entries"
	# The data plane's bridge program is loaded, but these ports run no XDP, so
	# every entry is left to the kernel bridge and has no fast-path counters.
	expect_json "$OUT" '.fast_path == true and ([.entries[].fast_path] | all(. == null))' "fast path loaded, entries on the slow path"
	expect_exit 0 tsnctl_sw stats -o prometheus
	expect_match "$OUT" "^tsnd_bridge_fdb_entries\\{bridge=\"$BR\",kind=\"static\"\\} 1$" "metric: static entries"
	expect_match "$OUT" "^tsnd_bridge_fdb_entries\\{bridge=\"$BR\",kind=\"multicast\"\\} 2$" "metric: multicast entries"
	expect_match "$OUT" "^tsnd_bridge_ports\\{bridge=\"$BR\"\\} 3$" "metric: ports"
	expect_match "$OUT" "^tsnd_bridge_drift\\{bridge=\"$BR\"\\} 0$" "metric: no drift"
}

test_flood_learn() {
	br_hosts
	br_config "$IT_DIR/b.yaml" b18p3
	it_start_tsnd "$IT_DIR/b.yaml"
	lab_wait_until 10 lab_exec h1 ping -c1 -W1 10.18.0.2 >/dev/null ||
		it_fail "h1 cannot reach h2 through the bridge"
	expect_exit 0 lab_exec h1 ping -c2 -i0.2 -W1 10.18.0.3
	expect_exit 0 tsnctl_sw -j fdb show
	expect_json "$OUT" '[.entries[] | select(.mac == "02:18:00:00:00:01" and .kind == "learnt" and .port == "b18p1")] | length == 1' \
		"h1's MAC learnt on b18p1"
	expect_json "$OUT" '[.entries[] | select(.mac == "02:18:00:00:00:02" and .kind == "learnt" and .port == "b18p2")] | length == 1' \
		"h2's MAC learnt on b18p2"
	expect_exit 0 tsnctl_sw fdb show
	expect_match "$OUT" "02:18:00:00:00:01 +0 +b18p1 +learnt" "fdb show text"
}

test_reload_moves_entry() {
	br_hosts
	br_config "$IT_DIR/b.yaml" b18p3
	it_start_tsnd "$IT_DIR/b.yaml"
	br_config "$IT_DIR/b.yaml" b18p1 "    - { mac: \"02:18:00:00:00:77\", ports: [b18p2] }"
	expect_exit 0 tsnctl_sw config reload
	expect_eq "$(static_port "$UC_MAC")" b18p1 "the entry moved"
	expect_eq "$(static_port 02:18:00:00:00:77)" b18p2 "the new entry"
	# and back: the entry tsnd no longer has is gone
	br_config "$IT_DIR/b.yaml" b18p3
	expect_exit 0 tsnctl_sw config reload
	expect_eq "$(static_port "$UC_MAC")" b18p3 "moved back"
	expect_eq "$(static_port 02:18:00:00:00:77)" "" "removed entry gone"
}

# fault_case STEP: a reload failing at STEP (bridge itself, or the step after it)
# leaves the bridge as it was; the same reload works once the fault is spent.
fault_case() {
	local step=$1 before after
	br_hosts
	br_config "$IT_DIR/b.yaml" b18p3
	lab_spawn TSND_PID "$IT_NS" env TSND_FAULT="$step" "$TSND_FAULT_BIN" -f --stderr -c "$IT_DIR/b.yaml" >>"$IT_LOG" 2>&1
	IT_SOCK=$IT_DIR/tsnd.sock
	lab_wait_until 10 tsnctl_sw status || it_fail "tsnd-fault did not start; log: $(it_tail "$IT_LOG")"
	before=$(br_snapshot)
	# everything changes: an entry moves, one comes, the multicast one loses a port, a port goes
	it_config "$IT_DIR/b.yaml" xdp=off
	cat >>"$IT_DIR/b.yaml" <<EOF
bridge:
  name: $BR
  ageing-time: 100
  ports:
    - name: b18p1
    - name: b18p2
  fdb:
    - { mac: "$UC_MAC", ports: [b18p1] }
    - { mac: "02:18:00:00:00:77", ports: [b18p2] }
    - { mac: "$MC_MAC", ports: [b18p2] }
EOF
	expect_exit 1 tsnctl_sw config reload
	expect_match "$ERR$OUT" "fault injected at step $step" "the reload failed at $step"
	after=$(br_snapshot)
	[[ $before == "$after" ]] || it_fail "the bridge changed: before: $before | after: $after"
	expect_exit 0 tsnctl_sw config reload
	expect_eq "$(static_port "$UC_MAC")" b18p1 "the next reload applies"
	expect_eq "$(ip -n "$(br_ns)" -j link show b18p3 | jq -r '.[0].master // ""')" "" "b18p3 released"
}

test_fault_bridge() { fault_case bridge; }
test_fault_after_bridge() { fault_case dataplane; }

test_remove_created() {
	br_hosts
	br_config "$IT_DIR/b.yaml" b18p3
	it_start_tsnd "$IT_DIR/b.yaml"
	it_config "$IT_DIR/b.yaml" xdp=off
	expect_exit 0 tsnctl_sw config reload
	ip -n "$(br_ns)" link show "$BR" >/dev/null 2>&1 && it_fail "the bridge tsnd created is still there"
	expect_eq "$(ip -n "$(br_ns)" -j link show b18p1 | jq -r '.[0].master // ""')" "" "b18p1 released"
	expect_exit 0 tsnctl_sw -j bridge show
	expect_json "$OUT" '.enabled == false' "bridge show after removal"
}

test_adopt_and_leave() {
	br_hosts
	local ns
	ns=$(br_ns)
	ip -n "$ns" link add "$BR" type bridge ageing_time 10000
	ip -n "$ns" link set b18p1 master "$BR"
	br_config "$IT_DIR/b.yaml" b18p3
	it_start_tsnd "$IT_DIR/b.yaml"
	expect_exit 0 tsnctl_sw -j bridge show
	expect_json "$OUT" '.created == false and .ageing_time_s == 300' "adopted and set"
	it_config "$IT_DIR/b.yaml" xdp=off
	expect_exit 0 tsnctl_sw config reload
	local info
	info=$(ip -n "$ns" -j -d link show "$BR")
	expect_json "$info" '.[0].linkinfo.info_data.ageing_time == 10000' "its own ageing time is back"
	expect_eq "$(ip -n "$ns" -j link show b18p1 | jq -r '.[0].master // ""')" "$BR" "its own port stays"
	expect_eq "$(ip -n "$ns" -j link show b18p2 | jq -r '.[0].master // ""')" "" "tsnd's port goes"
	expect_eq "$(static_port "$UC_MAC")" "" "tsnd's static entry goes"
}

test_drift() {
	br_hosts
	br_config "$IT_DIR/b.yaml" b18p3
	it_start_tsnd "$IT_DIR/b.yaml"
	bridge -n "$(br_ns)" fdb del "$UC_MAC" dev b18p3 master
	expect_exit 0 tsnctl_sw -j bridge show
	expect_json "$OUT" '.drift == true and (.drift_reason | test("static entry"))' "a deleted entry is drift"
	expect_exit 0 tsnctl_sw stats -o prometheus
	expect_match "$OUT" "^tsnd_bridge_drift\\{bridge=\"$BR\"\\} 1$" "metric: drift"
	lab_wait_until 10 grep -q "drifted from the configuration" "$IT_LOG" || it_fail "no drift log line"
	expect_exit 0 tsnctl_sw config reload
	expect_exit 0 tsnctl_sw -j bridge show
	expect_json "$OUT" '.drift == true' "a reload of the same file does not hide drift"
}

# txvlan PORT: "on" or "off", the port's VLAN transmit offload (tx-vlan-hw-insert,
# which ethtool -k calls tx-vlan-offload).
txvlan() {
	ip netns exec "$(br_ns)" ethtool -k "$1" | awk '$1 == "tx-vlan-offload:" { print $2 }'
}

# br_config_ports FILE PORT...: a bridge over PORTs (one static entry on the
# first), every port also a configured port (for `tsnctl port show`).
br_config_ports() {
	local file=$1 p
	shift
	it_config "$file" xdp=off
	for p in "$@"; do
		sed -i "/^ports:\$/a\  - { name: $p, xdp: off }" "$file"
	done
	{
		printf 'bridge:\n  name: %s\n  ports:\n' "$BR"
		for p in "$@"; do printf '    - name: %s\n' "$p"; done
		printf '  fdb:\n    - { mac: "%s", ports: [%s] }\n' "$UC_MAC" "$1"
	} >>"$file"
}

# veth keeps a VLAN tag its transmit offload adds beside the frame, where the
# next switch's XDP does not see it: tsnd turns the offload off on its veth
# bridge ports, shows it, and turns it on again when a port leaves the bridge
# and when tsnd stops.
test_txvlan() {
	br_hosts
	local p
	for p in b18p1 b18p2 b18p3; do
		expect_eq "$(txvlan $p)" on "$p: veth's default"
	done
	br_config_ports "$IT_DIR/b.yaml" b18p1 b18p2 b18p3
	it_start_tsnd "$IT_DIR/b.yaml"
	for p in b18p1 b18p2 b18p3; do
		expect_eq "$(txvlan $p)" off "$p: off once bridged"
	done
	expect_eq "$(ip netns exec "$(lab_ns h1)" ethtool -k eth0 | awk '$1 == "tx-vlan-offload:" { print $2 }')" on \
		"a host's end of the link keeps its offload"
	grep -q "turn tx-vlan-hw-insert off on b18p1" "$IT_LOG" || it_fail "no log line for b18p1's offload"
	expect_exit 0 tsnctl_sw -j port show
	expect_json "$OUT" '[.ports[] | select(.name == "b18p1")][0] | .tx_vlan_offload == false and .tx_vlan_offload_off_by_tsnd' \
		"port show -j: off by tsnd"
	expect_json "$OUT" '[.ports[] | select(.name == "sw0p1")][0] | .tx_vlan_offload_off_by_tsnd == false' \
		"port show -j: a port outside the bridge is not tsnd's"
	expect_exit 0 tsnctl_sw port show
	expect_match "$OUT" "^b18p1 .* off \\(tsnd\\)$" "port show text"
	# turned on behind tsnd's back: drift
	ip netns exec "$(br_ns)" ethtool -K b18p2 txvlan on
	expect_exit 0 tsnctl_sw -j bridge show
	expect_json "$OUT" '.drift == true and .drift_reason == "port b18p2 has tx-vlan-hw-insert on again"' "the offload on again is drift"
	ip netns exec "$(br_ns)" ethtool -K b18p2 txvlan off
	expect_exit 0 tsnctl_sw -j bridge show
	expect_json "$OUT" '.drift == false' "off again: no drift"
	# b18p3 leaves the bridge: its offload is back
	br_config_ports "$IT_DIR/b.yaml" b18p1 b18p2
	expect_exit 0 tsnctl_sw config reload
	expect_eq "$(txvlan b18p3)" on "b18p3: back on when it leaves the bridge"
	expect_eq "$(txvlan b18p1)" off "b18p1: still off"
	lab_stop_pid "$TSND_PID" 5 || it_fail "tsnd did not stop on SIGTERM"
	for p in b18p1 b18p2 b18p3; do
		expect_eq "$(txvlan $p)" on "$p: back on after tsnd's exit"
	done
}

# A reload that brings a port into the bridge and fails at the step after the
# bridge's leaves the port's offload as it was; the same reload then turns it off.
test_txvlan_rollback() {
	br_hosts
	br_config_ports "$IT_DIR/b.yaml" b18p1 b18p2
	lab_spawn TSND_PID "$IT_NS" env TSND_FAULT=dataplane "$TSND_FAULT_BIN" -f --stderr -c "$IT_DIR/b.yaml" >>"$IT_LOG" 2>&1
	IT_SOCK=$IT_DIR/tsnd.sock
	lab_wait_until 10 tsnctl_sw status || it_fail "tsnd-fault did not start; log: $(it_tail "$IT_LOG")"
	expect_eq "$(txvlan b18p3)" on "b18p3: not a bridge port yet"
	br_config_ports "$IT_DIR/b.yaml" b18p1 b18p2 b18p3
	expect_exit 1 tsnctl_sw config reload
	expect_match "$ERR$OUT" "fault injected at step dataplane" "the reload failed after the bridge step"
	expect_eq "$(txvlan b18p3)" on "b18p3: the rollback put the offload back"
	grep -q "undone: turn tx-vlan-hw-insert on on b18p3" "$IT_LOG" || it_fail "no log line for the undo"
	expect_exit 0 tsnctl_sw config reload
	expect_eq "$(txvlan b18p3)" off "b18p3: off once the reload applies"
}

# The host kernel refuses VLAN filtering: the error names the field's line.
test_vlan_filtering_refused() {
	local ns
	ns=$(br_ns)
	if ip -n "$ns" link add br18probe type bridge vlan_filtering 1 2>/dev/null; then
		ip -n "$ns" link del br18probe
		echo "    (this kernel has VLAN filtering: nothing to refuse; the kernel lab tests it)"
		return 0
	fi
	br_hosts
	br_config "$IT_DIR/b.yaml" b18p3
	it_start_tsnd "$IT_DIR/b.yaml"
	before=$(br_snapshot)
	it_config "$IT_DIR/b.yaml" xdp=off
	cat >>"$IT_DIR/b.yaml" <<EOF
bridge:
  name: $BR
  vlan-filtering: true
  ports:
    - { name: b18p1, pvid: 1, vlans: [{ vid: 1, untagged: true }] }
EOF
	local line
	line=$(grep -n "vlan-filtering: true" "$IT_DIR/b.yaml" | cut -d: -f1)
	expect_exit 1 tsnctl_sw config reload
	expect_match "$ERR$OUT" "b.yaml:$line:[0-9]+: bridge.vlan-filtering: the kernel refuses VLAN filtering" "error at the field"
	[[ $before == "$(br_snapshot)" ]] || it_fail "the bridge changed"
}

it_main ${ONLY:-create_entries flood_learn reload_moves_entry fault_bridge fault_after_bridge remove_created \
	adopt_and_leave drift vlan_filtering_refused txvlan txvlan_rollback}
