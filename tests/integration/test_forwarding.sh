#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_forwarding.sh — IPv6 through a switch run by tsnd: a talker sends UDP, the
# XDP fast path forwards it, a listener receives it.  Checked: delivery with the hop
# limit decremented, per-class and per-stream counters, ICMPv6 time exceeded and
# destination unreachable from the switch, neighbour discovery, routes installed
# from the configuration and changed by `tsnctl config reload`, and routes removed
# when tsnd stops.
#
#   tlk:eth0 ── sw0p3 [sw: tsnd] sw0p4 ── lst:eth0
#   2001:db8:1::2   ::1        2::1     2001:db8:2::2 (and 2001:db8:3::2 on lo)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UDP6=$IT_BUILD/tests/tools/udp6

# fw_topology: talker and listener namespaces on two new switch ports; removed when
# the test ends (deleting a namespace deletes its veth pair with it).
fw_topology() {
	it_host tlk sw0p3 1
	it_host lst sw0p4 2
	lab_addr lst lo 2001:db8:3::2/128
	it_forwarding_on
}

# fw_config FILE [ROUTE-LINE...]: the switch's configuration; each ROUTE-LINE is one
# entry of `routes:` in flow style.
fw_config() {
	local file=$1
	shift
	cat >"$file" <<EOF
daemon:
  log-level: info
  log-target: stderr
  pid-file: $IT_DIR/fw.pid
  state-dir: $IT_DIR
control:
  socket: $IT_DIR/fw.sock
  timeout: 1s
ports:
  - { name: sw0p3, xdp: generic }
  - { name: sw0p4, xdp: generic }
classification:
  dscp:
    - { dscp: 46, priority: 6 }
streams:
  - { id: 10, name: sensor, identification: ipv6, dst: "2001:db8:2::2", next-header: 17,
      dst-port: 5000, priority: 5 }
routes:
EOF
	if (($#)); then
		printf '  - %s\n' "$@" >>"$file"
	else
		sed -i 's/^routes:$/routes: []/' "$file"
	fi
	cat >>"$file" <<EOF
dataplane:
  pin-dir: /sys/fs/bpf/${LAB_PREFIX}fw
  keep-on-exit: false
EOF
}

# recv_start PORT COUNT: a listener in lst, its JSON lines in $IT_DIR/recv.out.
recv_start() {
	: >"$IT_DIR/recv.err"
	lab_spawn RECV_PID lst "$UDP6" recv "$1" -n "$2" -w 5000 >"$IT_DIR/recv.out" 2>"$IT_DIR/recv.err"
	lab_wait_until 5 grep -q listening "$IT_DIR/recv.err" || it_fail "the listener did not start"
}

# recv_wait: until the listener has what it waited for (or gave up).
recv_wait() {
	lab_wait_until 10 bash -c "! kill -0 $RECV_PID 2>/dev/null" || it_fail "the listener hangs"
	wait "$RECV_PID" 2>/dev/null || true
}

# fwd REASON [PORT]: a forwarding counter of a port (default sw0p3).
fwd() {
	expect_exit 0 tsnctl_sw -j port show "${2:-sw0p3}"
	jget "$OUT" ".ports[0].xdp.forwarding.$1"
}

start_switch() {
	fw_topology
	fw_config "$IT_DIR/fw.yaml" "$@"
	it_start_tsnd "$IT_DIR/fw.yaml"
}

test_forward_udp() {
	start_switch
	recv_start 5000 20
	lab_exec tlk "$UDP6" send 2001:db8:2::2 5000 -n 20 -l 64 -s 100 -i 2000
	recv_wait
	local lines
	lines=$(wc -l <"$IT_DIR/recv.out")
	expect_eq "$lines" 20 "datagrams delivered"
	expect_eq "$(jq -s 'map(select(.hop_limit == 63 and .from == "2001:db8:1::2" and .len == 100)) | length' \
		"$IT_DIR/recv.out")" 20 "hop limit 63 on every datagram"
	# Every frame of the stream was counted in its class (priority 5, no schedule:
	# class 5) and on the stream, with its bytes (14 + 40 + 8 + 100).
	expect_exit 0 tsnctl_sw -j class stats sw0p3
	expect_json "$OUT" '.ports[0].classes[5].packets == 20 and .ports[0].classes[5].bytes == 3240' \
		"class 5 counters"
	expect_exit 0 tsnctl_sw -j stream show 10
	expect_json "$OUT" '.streams[0].counters.packets == 20 and .streams[0].counters.bytes == 3240' \
		"stream 10 counters"
	# The fast path carried them (the first may have waited for neighbour discovery).
	local redirected
	redirected=$(fwd redirect)
	((redirected >= 19)) || it_fail "only $redirected frames took the XDP fast path"
	# Text output.
	expect_exit 0 tsnctl_sw class stats
	expect_match "$OUT" '^PORT +CLASS +PRIORITIES +GATED +PACKETS +BYTES +DROPS' "class stats header"
	expect_match "$OUT" '^sw0p3 +5 +5 +no +20 +3240 +0' "class stats row"
	expect_exit 0 tsnctl_sw stream show
	expect_match "$OUT" '^10 +sensor +ipv6 +dst 2001:db8:2::2 udp dport 5000 +5 +- +20 +3240 +0' \
		"stream show row"
}

test_time_exceeded() {
	start_switch
	local before
	before=$(fwd hop_limit)
	expect_exit 0 lab_exec tlk "$UDP6" probe 2001:db8:2::2 5000 -l 1 -w 3000
	expect_json "$OUT" '.icmp_type == 3 and .icmp_code == 0 and .offender == "2001:db8:1::1"' \
		"ICMPv6 time exceeded from the switch"
	(($(fwd hop_limit) == before + 1)) || it_fail "hop_limit counter did not count the probe"
}

test_unreachable() {
	start_switch
	expect_exit 0 lab_exec tlk "$UDP6" probe 2001:db8:99::1 5000 -w 3000
	expect_json "$OUT" '.icmp_type == 1 and .icmp_code == 0 and .offender == "2001:db8:1::1"' \
		"ICMPv6 no route from the switch"
	(($(fwd not_forwarded) >= 1)) || it_fail "not_forwarded counter did not count the probe"
}

test_neighbour_discovery() {
	start_switch
	lab_exec "$IT_NS" ip -6 neigh flush dev sw0p4
	expect_eq "$(lab_exec "$IT_NS" ip -6 neigh show 2001:db8:2::2 dev sw0p4)" "" "no neighbour yet"
	recv_start 5000 5
	lab_exec tlk "$UDP6" send 2001:db8:2::2 5000 -n 5 -i 100000
	recv_wait
	expect_eq "$(wc -l <"$IT_DIR/recv.out")" 5 "datagrams delivered"
	(($(fwd no_neigh) >= 1)) || it_fail "the first frame did not go to the kernel for ND"
	(($(fwd redirect) >= 1)) || it_fail "no frame took the fast path after ND"
	expect_match "$(lab_exec "$IT_NS" ip -6 neigh show 2001:db8:2::2 dev sw0p4)" 'lladdr' \
		"the kernel resolved the listener"
}

test_route_change() {
	start_switch
	expect_exit 0 tsnctl_sw -j route show
	expect_json "$OUT" '.routes == [] and .unconfigured == []' "no routes"
	expect_exit 0 lab_exec tlk "$UDP6" probe 2001:db8:3::2 5001 -w 3000
	expect_json "$OUT" '.icmp_type == 1' "unreachable before the route exists"

	fw_config "$IT_DIR/fw.yaml" '{ prefix: "2001:db8:3::/64", via: "2001:db8:2::2", dev: sw0p4 }'
	expect_exit 0 tsnctl_sw config reload
	expect_match "$OUT" 'changed: .*routes' "reload reports routes"
	expect_match "$(lab_exec "$IT_NS" ip -6 route show 2001:db8:3::/64)" \
		'via 2001:db8:2::2 dev sw0p4 proto 201 metric 1024' "route in the kernel"
	expect_exit 0 tsnctl_sw -j route show
	expect_json "$OUT" '.routes == [{"prefix":"2001:db8:3::/64","via":"2001:db8:2::2","dev":"sw0p4",
		"metric":1024,"installed":true}]' "route show -j"
	expect_exit 0 tsnctl_sw route show
	expect_match "$OUT" '^2001:db8:3::/64 +2001:db8:2::2 +sw0p4 +1024 +installed' "route show"
	local before
	before=$(fwd redirect)
	recv_start 5001 3
	lab_exec tlk "$UDP6" send 2001:db8:3::2 5001 -n 3 -l 30 -i 20000
	recv_wait
	expect_eq "$(jq -s 'map(select(.hop_limit == 29)) | length' "$IT_DIR/recv.out")" 3 \
		"delivered over the new route"
	(($(fwd redirect) >= before + 2)) || it_fail "the new route did not take the fast path"

	# A new metric replaces tsnd's route; nothing else is left behind.
	fw_config "$IT_DIR/fw.yaml" '{ prefix: "2001:db8:3::/64", via: "2001:db8:2::2", dev: sw0p4, metric: 2048 }'
	expect_exit 0 tsnctl_sw config reload
	expect_eq "$(lab_exec "$IT_NS" ip -6 route show proto 201 | wc -l)" 1 "one tsnd route"
	expect_match "$(lab_exec "$IT_NS" ip -6 route show proto 201)" 'metric 2048' "new metric"

	# Gone from the configuration: gone from the kernel.
	fw_config "$IT_DIR/fw.yaml"
	expect_exit 0 tsnctl_sw config reload
	expect_eq "$(lab_exec "$IT_NS" ip -6 route show proto 201)" "" "route removed"
	expect_exit 0 lab_exec tlk "$UDP6" probe 2001:db8:3::2 5001 -w 3000
	expect_json "$OUT" '.icmp_type == 1' "unreachable again"
}

# The kernel refuses a route: the reload fails, nothing changes.
test_route_refused() {
	start_switch '{ prefix: "2001:db8:3::/64", via: "2001:db8:2::2", dev: sw0p4 }'
	expect_exit 0 tsnctl_sw -j status
	local gen
	gen=$(jget "$OUT" .config.generation)
	fw_config "$IT_DIR/fw.yaml" '{ prefix: "2001:db8:5::/64", via: "2001:db8:2::2", dev: sw0p4 }' \
		'{ prefix: "2001:db8:6::/64", via: "2001:db8:2::1", dev: sw0p4 }'
	expect_exit 1 tsnctl_sw config reload
	expect_match "$ERR" 'apply-failed' "result"
	expect_match "$ERR" 'routes\[1\] \(2001:db8:6::/64' "the route is named"
	expect_match "$ERR" 'kernel: Gateway can not be a local address' "the kernel's reason is quoted"
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" ".config.generation == $gen" "generation unchanged"
	local routes
	routes=$(lab_exec "$IT_NS" ip -6 route show proto 201)
	expect_match "$routes" '^2001:db8:3::/64 via 2001:db8:2::2' "old route kept"
	expect_no_match "$routes" '2001:db8:5::' "new route rolled back"
}

test_stop_cleans_up() {
	# The cls_bpf path: the only one before kernel 6.6, forced where tcx is there.
	TSND_TC_HOOK=clsact start_switch '{ prefix: "2001:db8:3::/64", via: "2001:db8:2::2", dev: sw0p4 }'
	expect_match "$(lab_exec "$IT_NS" ip -6 route show proto 201)" '2001:db8:3::/64' "route installed"
	expect_match "$(lab_exec "$IT_NS" tc filter show dev sw0p3 ingress)" 'tsn_tc_ingress' \
		"tc program attached"
	lab_stop_pid "$TSND_PID" 5 || it_fail "tsnd did not stop on SIGTERM"
	expect_eq "$(lab_exec "$IT_NS" ip -6 route show proto 201)" "" "routes removed"
	expect_no_match "$(lab_exec "$IT_NS" ip -d link show dev sw0p3)" 'prog/xdp' "XDP detached"
	expect_no_match "$(lab_exec "$IT_NS" tc qdisc show dev sw0p3)" 'clsact' "clsact removed"
}

# The kernel's choice of tc hook: tcx from 6.6 (no clsact qdisc at all), clsact
# before; the status and the port say which.
test_tc_hook_default() {
	local want=clsact
	[[ "$(printf '%s\n' 6.6 "$(uname -r)" | sort -V | head -n1)" == 6.6 ]] && want=tcx
	start_switch
	expect_exit 0 tsnctl_sw -j status
	expect_eq "$(jq -r '[.. | .tc_hook? // empty][0]' <<<"$OUT")" "$want" "status: tc hook"
	expect_exit 0 tsnctl_sw -j port show sw0p3
	expect_json "$OUT" "[.. | objects | select(has(\"tc_hook\"))][0] | .tc_hook == \"$want\" and .tc_attached" \
		"port: tsn_tc_ingress on $want"
	if [[ $want == tcx ]]; then
		expect_no_match "$(lab_exec "$IT_NS" tc qdisc show dev sw0p3)" 'clsact' "no clsact qdisc"
		expect_eq "$(lab_exec "$IT_NS" "$IT_BUILD/tests/tools/tcx_show" sw0p3)" "tsn_tc_ingress" \
			"tsn_tc_ingress on tcx"
	else
		expect_match "$(lab_exec "$IT_NS" tc filter show dev sw0p3 ingress)" 'tsn_tc_ingress' \
			"tc program on clsact"
	fi
	lab_stop_pid "$TSND_PID" 5 || it_fail "tsnd did not stop on SIGTERM"
	expect_no_match "$(lab_exec "$IT_NS" tc qdisc show dev sw0p3)" 'clsact' "clsact removed"
	[[ $want == clsact ]] ||
		expect_eq "$(lab_exec "$IT_NS" "$IT_BUILD/tests/tools/tcx_show" sw0p3)" "" "tcx emptied"
}

# keep-on-exit on the kernel's hook: the tc program outlives tsnd (on tcx without
# a link or pin of its own), the next tsnd replaces it in place and forwards.
test_keep_on_exit_restart() {
	local hook progs
	fw_topology
	fw_config "$IT_DIR/fw.yaml"
	sed -i 's/keep-on-exit: false/keep-on-exit: true/' "$IT_DIR/fw.yaml"
	it_start_tsnd "$IT_DIR/fw.yaml"
	expect_exit 0 tsnctl_sw -j status
	hook=$(jq -r '[.. | .tc_hook? // empty][0]' <<<"$OUT")
	lab_stop_pid "$TSND_PID" 5 || it_fail "tsnd did not stop on SIGTERM"
	if [[ $hook == tcx ]]; then
		progs=$(lab_exec "$IT_NS" "$IT_BUILD/tests/tools/tcx_show" sw0p3)
	else
		progs=$(lab_exec "$IT_NS" tc filter show dev sw0p3 ingress)
	fi
	expect_match "$progs" 'tsn_tc_ingress' "tsn_tc_ingress kept on $hook after the exit"
	it_start_tsnd "$IT_DIR/fw.yaml"
	expect_exit 0 tsnctl_sw -j port show sw0p3
	expect_json "$OUT" "[.. | objects | select(has(\"tc_hook\"))][0] | .tc_attached" \
		"the new tsnd's program attached"
	[[ $hook == tcx ]] &&
		expect_eq "$(lab_exec "$IT_NS" "$IT_BUILD/tests/tools/tcx_show" sw0p3)" "tsn_tc_ingress" \
			"one tsn_tc_ingress on tcx: replaced, not added"
	recv_start 5000 10
	lab_exec tlk "$UDP6" send 2001:db8:2::2 5000 -n 10 -l 64 -s 100 -i 2000
	recv_wait
	expect_eq "$(wc -l <"$IT_DIR/recv.out")" 10 "datagrams delivered after the take-over"
	# Off again: keep-on-exit false, then a normal exit takes everything off.
	sed -i 's/keep-on-exit: true/keep-on-exit: false/' "$IT_DIR/fw.yaml"
	expect_exit 0 tsnctl_sw config reload
	lab_stop_pid "$TSND_PID" 5 || it_fail "tsnd did not stop on SIGTERM"
	expect_no_match "$(lab_exec "$IT_NS" tc qdisc show dev sw0p3)" 'clsact' "clsact removed"
	[[ $hook == tcx ]] &&
		expect_eq "$(lab_exec "$IT_NS" "$IT_BUILD/tests/tools/tcx_show" sw0p3)" "" "tcx emptied"
	true
}

it_main forward_udp time_exceeded unreachable neighbour_discovery route_change route_refused \
	stop_cleans_up tc_hook_default keep_on_exit_restart
